/*
** interrupt.h — has sqlite3_interrupt() been called on this connection?
**
** Long work inside the extension (a KNN search or annoy_check over a big
** or damaged forest, 'rebuild', the training aggregates) runs inside one
** call from SQLite's virtual machine, which checks for an interrupt only
** between its own instructions. SQLite 3.41 has sqlite3_is_interrupted()
** for this; 3.40 does not, so the extension asks the way every statement
** does: a statement stepped while the connection is interrupted returns
** SQLITE_INTERRUPT (its first jump checks the flag). Costs a prepare and a
** step (a few microseconds): call it every few milliseconds of work, not
** in an inner loop.
**
** May call: SQLite.
*/
#ifndef IMGSEARCH_INTERRUPT_H
#define IMGSEARCH_INTERRUPT_H
#include "sqlite_ext.h"

/* SQLITE_OK, or SQLITE_INTERRUPT with "interrupted" in *pzErr (ext/error.h;
** pzErr may be NULL), or the failure of the probe itself (SQLITE_NOMEM).
** db may be NULL (work run outside SQL, e.g. by a test): SQLITE_OK. */
int sql_interrupted(sqlite3 *db, char **pzErr);
#endif
