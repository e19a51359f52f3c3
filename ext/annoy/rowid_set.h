/*
** rowid_set.h — a set of rowids, for the cursor's KNN filters.
**
** Owns: the rowids of a KNN query's `rowid = ?` or `rowid IN (...)`
** constraint, and those an open-ended query has already returned.  An open
** addressing hash table over SQLite's allocator; no other SQLite calls.
** May call: SQLite's allocator.
*/
#ifndef IMGSEARCH_ROWID_SET_H
#define IMGSEARCH_ROWID_SET_H
#include <stdint.h>
#include "sqlite_ext.h"

/* Start zeroed ({0}); rowid_set_free() empties it again. */
typedef struct RowidSet {
  sqlite3_int64 *keys;     /* open addressing; used[] marks filled cells */
  uint8_t *used;
  uint32_t mask, n;        /* cells - 1 (0 while empty); rowids held */
} RowidSet;

/* SQLITE_OK, or SQLITE_NOMEM (the set is unchanged). */
int rowid_set_add(RowidSet *set, sqlite3_int64 rowid);
int rowid_set_has(const RowidSet *set, sqlite3_int64 rowid);
void rowid_set_free(RowidSet *set);
#endif
