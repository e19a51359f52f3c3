/*
** annoy_store.h — an annoy table's shadow tables and per-connection cache.
**
** The store is everything of one annoy table that touches the database:
** it maps rowids to slots, keeps vectors, persists the forest's nodes and
** decides when the cache in memory is stale. annoy_vtab.c is the only
** caller; it turns SQL into these calls. The file format is documented at
** the top of annoy_store.c.
*/
#ifndef IMGSEARCH_ANNOY_STORE_H
#define IMGSEARCH_ANNOY_STORE_H
#include "sqlite_ext.h"
#include "forest.h"

typedef struct AnnoyConfig {
  ForestConfig forest;
  int64_t search_k;        /* table default; 0 = automatic */
} AnnoyConfig;

typedef struct AnnoyStore AnnoyStore;

/* One KNN answer. */
typedef struct AnnoyHit { sqlite3_int64 rowid; uint32_t slot; double distance; } AnnoyHit;

/* A set of rowids a KNN query is restricted to (rowid IN (...)). */
typedef struct RowidSet {
  sqlite3_int64 *keys;     /* open addressing; used[] marks filled cells */
  uint8_t *used;
  uint32_t mask, n;
} RowidSet;
int rowid_set_add(RowidSet *set, sqlite3_int64 rowid);
int rowid_set_has(const RowidSet *set, sqlite3_int64 rowid);
void rowid_set_free(RowidSet *set);

/* Life cycle. create makes the shadow tables; connect checks them. Both
** return SQLITE_OK or an error code with *err set (sqlite3_malloc'd). */
int store_open(sqlite3 *db, const char *schema, const char *name,
               const AnnoyConfig *cfg, int create, AnnoyStore **out, char **err);
void store_close(AnnoyStore *s);
int store_drop(AnnoyStore *s);
int store_rename(AnnoyStore *s, const char *new_name);
const char *store_errmsg(AnnoyStore *s);   /* message of the last failure */
const AnnoyConfig *store_config(AnnoyStore *s);

/* Changes. Vectors are already parsed to the table's element type. */
int store_insert(AnnoyStore *s, sqlite3_int64 rowid, const void *vec);
int store_delete(AnnoyStore *s, sqlite3_int64 rowid);
int store_update(AnnoyStore *s, sqlite3_int64 old_rowid, sqlite3_int64 new_rowid,
                 const void *vec);
int store_exists(AnnoyStore *s, sqlite3_int64 rowid, int *exists);
int store_next_rowid(AnnoyStore *s, sqlite3_int64 *rowid);
int store_rebuild(AnnoyStore *s);

/* Reads. store_vector's pointer is valid until the next store call. */
int store_lookup(AnnoyStore *s, sqlite3_int64 rowid, uint32_t *slot, int *found);
int store_vector(AnnoyStore *s, uint32_t slot, const void **vec);
/* k nearest to query; search_k: 0 = default, -1 = exact. filter may be NULL.
** *hits is sqlite3_malloc'd, best first. */
int store_knn(AnnoyStore *s, const void *query, int k, int64_t search_k,
              const RowidSet *filter, AnnoyHit **hits, int *n_hits);

/* Make the cache agree with the database (another connection may have
** committed); fails if the table is damaged. Every other call does this. */
int store_refresh(AnnoyStore *s);

/* Transactions: write what is pending (before commit and at savepoints);
** forget everything cached (after any rollback). */
int store_flush(AnnoyStore *s);
void store_discard(AnnoyStore *s);

/* Integrity: *report is "ok" or one problem per line (sqlite3_malloc'd). */
int store_check(AnnoyStore *s, char **report);
#endif
