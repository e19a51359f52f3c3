/*
** sqlite_ext.h — the one way files in ext/ reach SQLite.
**
** Inside the loadable extension every sqlite3_* call goes through the
** routine table handed to sqlite3_imgsearch_init (sqlite3ext.h macros).
** Compiled with -DSQLITE_CORE (unit tests, the shell's static link) the same
** names are the ordinary library functions.
*/
#ifndef IMGSEARCH_SQLITE_EXT_H
#define IMGSEARCH_SQLITE_EXT_H
#include <sqlite3ext.h>
SQLITE_EXTENSION_INIT3
#endif
