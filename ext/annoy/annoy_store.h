/*
** annoy_store.h — an annoy table's shadow tables and per-connection cache.
**
** The store is everything of one annoy table that touches the database:
** it maps rowids to slots, keeps vectors, persists the forest's nodes and
** decides when the cache in memory is stale. annoy_vtab.c is the only
** caller; it turns SQL into these calls and builds no shadow-table SQL of
** its own. The file format is documented at the top of annoy_store.c.
**
** Errors (ext/error.h): every call that can fail returns an SQLite result
** code, with the message in *pzErr (sqlite3_malloc'd, the caller's to
** free). Any failure but SQLITE_NOMEM comes with a message unless there
** was no memory for it.
*/
#ifndef IMGSEARCH_ANNOY_STORE_H
#define IMGSEARCH_ANNOY_STORE_H
#include "sqlite_ext.h"
#include "forest.h"
#include "rowid_set.h"
#include "slot_set.h"

typedef struct AnnoyConfig {
  ForestConfig forest;
  int64_t search_k;        /* table default; 0 = automatic */
} AnnoyConfig;

typedef struct AnnoyStore AnnoyStore;

/* One KNN answer. */
typedef struct AnnoyHit { sqlite3_int64 rowid; uint32_t slot; double distance; } AnnoyHit;

/* Life cycle. create makes the shadow tables; connect checks them (a
** damaged table still connects, so that it can be dropped: every other call
** then reports the damage). */
int store_open(sqlite3 *db, const char *schema, const char *name,
               const AnnoyConfig *cfg, int create, AnnoyStore **out, char **pzErr);
void store_close(AnnoyStore *s);
int store_drop(AnnoyStore *s, char **pzErr);
int store_rename(AnnoyStore *s, const char *new_name, char **pzErr);
const AnnoyConfig *store_config(AnnoyStore *s);
/* Is NAME_suffix one of an annoy table's shadow tables? (xShadowName) */
int store_is_shadow_name(const char *suffix);

/* Changes. Vectors are already parsed to the table's element type. */
int store_insert(AnnoyStore *s, sqlite3_int64 rowid, const void *vec, char **pzErr);
int store_delete(AnnoyStore *s, sqlite3_int64 rowid, char **pzErr);
int store_update(AnnoyStore *s, sqlite3_int64 old_rowid, sqlite3_int64 new_rowid,
                 const void *vec, char **pzErr);
int store_exists(AnnoyStore *s, sqlite3_int64 rowid, int *exists, char **pzErr);
int store_next_rowid(AnnoyStore *s, sqlite3_int64 *rowid, char **pzErr);
int store_rebuild(AnnoyStore *s, char **pzErr);

/* Reads. store_vector's pointer is valid until the next store call. */
int store_lookup(AnnoyStore *s, sqlite3_int64 rowid, uint32_t *slot, int *found, char **pzErr);
int store_vector(AnnoyStore *s, uint32_t slot, const void **vec, char **pzErr);
/* k nearest to query; search_k: 0 = default, -1 = exact. Only rows whose
** rowid is in rowids and whose slot is in slots, for each that is not NULL.
** *hits is sqlite3_malloc'd, best first. */
int store_knn(AnnoyStore *s, const void *query, int k, int64_t search_k,
              const RowidSet *rowids, const SlotSet *slots,
              AnnoyHit **hits, int *n_hits, char **pzErr);
/* Every slot is below *limit (for a SlotSet). */
int store_slot_limit(AnnoyStore *s, uint32_t *limit, char **pzErr);

/* Every row in rowid order (a full-table scan). Opening brings the cache up
** to date with the database first; next sets *eof after the last row. */
typedef struct StoreScan StoreScan;
int store_scan_open(AnnoyStore *s, StoreScan **scan, char **pzErr);
int store_scan_next(StoreScan *scan, int *eof, sqlite3_int64 *rowid, uint32_t *slot,
                    char **pzErr);
void store_scan_close(StoreScan *scan);          /* NULL is a no-op */

/* Transactions: write what is pending (before commit and at savepoints);
** forget everything cached (after any rollback). */
int store_flush(AnnoyStore *s, char **pzErr);
void store_discard(AnnoyStore *s);

/* Integrity: *report is "ok" or one problem per line (sqlite3_malloc'd).
** A damaged table is a report, not a failure. */
int store_check(AnnoyStore *s, char **report, char **pzErr);
#endif
