/*
** annoy_store.c — shadow tables, node and vector codecs, the per-connection
** cache and its invalidation, KNN and integrity checking for annoy tables.
**
** Owns: every SQL statement on an annoy table's shadow tables (the vtab
** calls the functions of annoy_store.h and builds no shadow-table SQL), the
** bytes stored in them, and what this connection caches of them.
** May call: forest.h (the trees; it reads nodes and vectors back through
** the ForestIO callbacks below), distance.h, rowid_set.h, slot_set.h, bytes.h (every
** number stored), error.h, SQLite.
**
** DATABASE FORMAT (version 1). For a table NAME:
**
**   CREATE TABLE NAME_info(key TEXT PRIMARY KEY, value) WITHOUT ROWID;
**     format=1, type, dim, metric, trees, leaf_size, seed (as created);
**     next_slot, nodes, count, generation (counters, see below).
**   CREATE TABLE NAME_rowids(rowid INTEGER PRIMARY KEY, slot INTEGER NOT NULL);
**     user rowid -> slot.
**   CREATE TABLE NAME_vectors(slot INTEGER PRIMARY KEY, item INTEGER NOT NULL,
**                             v BLOB NOT NULL);
**     slot -> (user rowid, vector). v is the vector in the column's element
**     type: float32 little-endian, uint8 bytes, or bit-packed (bit i of the
**     vector is bit i%8 of byte i/8).
**   CREATE TABLE NAME_free(slot INTEGER PRIMARY KEY);
**     slots below next_slot that are unused; the smallest is reused first.
**   CREATE TABLE NAME_nodes(id INTEGER PRIMARY KEY, data BLOB NOT NULL);
**     forest nodes 0..nodes-1 (0..trees-1 are the roots), little-endian:
**       leaf:  u8 0, u32 count, count x u32 slot
**       split: u8 1, u32 child0, u32 child1, then
**              f32 scale, f32 threshold, dim x i8 normal  (float32, uint8)
**              u32 bit                                    (bit tables)
**     A vector x goes to child1 when normal.x > threshold (see forest.h).
**
** Slots are dense small integers so the forest can use arrays; rowids are
** whatever the user chose. A table that declares metadata or auxiliary
** columns also has NAME_metadata and NAME_auxiliary, which annoy_columns.c
** owns (its header documents them); this file never reads them.
**
** CACHE. Each connection keeps the nodes it has read (decoded) and the
** vectors it has read (an array indexed by slot), both filled lazily, so
** the first query after opening a file reads only the nodes and vectors it
** visits. Node changes are kept in memory and written at store_flush(),
** which the vtab calls at xSync (commit) and xSavepoint; any rollback
** calls store_discard(). A connection learns that another one committed
** from the pager's data version and the "generation" counter, which every
** flush increments: when it differs from the cached one, the cache goes.
**
** ERRORS (ext/error.h). Every function returns an SQLite result code with
** its message in *pzErr. Damaged shadow tables are SQLITE_CORRUPT_VTAB with
** "annoy table NAME is corrupt: ... (run ... 'rebuild' ...)" (corrupt()),
** and so is damage the forest finds in the trees (forest_failed()).
*/
#include <math.h>
#include <stdarg.h>
#include <string.h>
#include "annoy_store.h"
#include "bytes.h"
#include "error.h"
#include "interrupt.h"

#define FORMAT_VERSION 1
#define NODE_LEAF  0
#define NODE_SPLIT 1

enum {
  STMT_INFO_GET, STMT_INFO_SET,
  STMT_ROWID_GET, STMT_ROWID_PUT, STMT_ROWID_DEL, STMT_ROWID_MAX,
  STMT_VEC_GET, STMT_VEC_ADD, STMT_VEC_SET, STMT_VEC_DEL, STMT_VEC_ALL,
  STMT_FREE_FIRST, STMT_FREE_ADD, STMT_FREE_DEL,
  STMT_NODE_GET, STMT_NODE_PUT, STMT_NODE_CLEAR,
  STMT_ROWID_SCAN, STMT_FREE_ALL,
  STMT_DB_BYTES,
  STMT_VEC_RANGE, STMT_VEC_ITEM, STMT_FREE_CLEAR,
  STMT_COUNT
};

static const char *const stmt_sql[STMT_COUNT] = {
  "SELECT value FROM \"%w\".\"%w_info\" WHERE key=?1",
  "INSERT OR REPLACE INTO \"%w\".\"%w_info\"(key, value) VALUES(?1, ?2)",
  "SELECT slot FROM \"%w\".\"%w_rowids\" WHERE rowid=?1",
  "INSERT INTO \"%w\".\"%w_rowids\"(rowid, slot) VALUES(?1, ?2)",
  "DELETE FROM \"%w\".\"%w_rowids\" WHERE rowid=?1",
  "SELECT max(rowid) FROM \"%w\".\"%w_rowids\"",
  "SELECT item, v FROM \"%w\".\"%w_vectors\" WHERE slot=?1",
  "INSERT INTO \"%w\".\"%w_vectors\"(slot, item, v) VALUES(?1, ?2, ?3)",
  "UPDATE \"%w\".\"%w_vectors\" SET item=?2, v=?3 WHERE slot=?1",
  "DELETE FROM \"%w\".\"%w_vectors\" WHERE slot=?1",
  "SELECT slot, item, v FROM \"%w\".\"%w_vectors\"",
  "SELECT slot FROM \"%w\".\"%w_free\" ORDER BY slot LIMIT 1",
  "INSERT INTO \"%w\".\"%w_free\"(slot) VALUES(?1)",
  "DELETE FROM \"%w\".\"%w_free\" WHERE slot=?1",
  "SELECT data FROM \"%w\".\"%w_nodes\" WHERE id=?1",
  "INSERT OR REPLACE INTO \"%w\".\"%w_nodes\"(id, data) VALUES(?1, ?2)",
  "DELETE FROM \"%w\".\"%w_nodes\"",
  "SELECT rowid, slot FROM \"%w\".\"%w_rowids\" ORDER BY rowid",
  "SELECT slot FROM \"%w\".\"%w_free\"",
  "SELECT c.page_count * s.page_size FROM pragma_page_count AS c, pragma_page_size AS s WHERE c.schema = '%q' AND s.schema = c.schema",
  "SELECT min(slot), max(slot) FROM \"%w\".\"%w_vectors\"",
  "UPDATE \"%w\".\"%w_vectors\" SET item=?2 WHERE slot=?1",
  "DELETE FROM \"%w\".\"%w_free\"",
};

static const char *const shadow_suffix[] = { "info", "rowids", "vectors", "free", "nodes" };
#define N_SHADOW 5

struct AnnoyStore {
  sqlite3 *db;
  char *schema, *name;
  AnnoyConfig cfg;
  size_t vbytes;
  sqlite3_stmt *stmt[STMT_COUNT];
  char *broken;               /* why this table cannot be used, if it cannot */
  int io_failed;              /* a ForestIO callback below failed: its message
                              ** is final (see forest_failed) */

  /* Counters, as in NAME_info once flushed. */
  int loaded;                 /* counters read and forest opened */
  int counters_dirty;
  int rebuilt;                /* NAME_nodes must be emptied at flush */
  uint32_t next_slot;
  sqlite3_int64 count, generation;
  unsigned data_version;

  Forest forest;
  ForestSearcher searcher;
  int searcher_busy;

  /* Vector cache: slots in chunks of 2^chunk_shift (see cache_chunk). */
  uint8_t **chunk;            /* chunk[slot >> chunk_shift]; NULL: none read */
  uint32_t n_chunk;           /* entries in chunk[] */
  int chunk_shift;
  int all_loaded;             /* every live slot is in the cache */
};

/* ---- errors ------------------------------------------------------------------ */

/* SQLITE_CORRUPT_VTAB with "annoy table X is corrupt: <detail> (advice)". */
static int corrupt(AnnoyStore *s, char **pzErr, const char *fmt, ...){
  va_list ap;
  char *detail;
  int rc;
  va_start(ap, fmt);
  detail = sqlite3_vmprintf(fmt, ap);
  va_end(ap);
  if( detail==0 ) return SQLITE_NOMEM;
  rc = error_set(pzErr, SQLITE_CORRUPT_VTAB,
    "annoy table %s is corrupt: %s (run INSERT INTO %s(%s) VALUES('rebuild') "
    "if the vectors are intact)", s->name, detail, s->name, s->name);
  sqlite3_free(detail);
  return rc;
}

/* The SQLite error of the last statement, as this call's error. */
static int sql_failed(AnnoyStore *s, int rc, char **pzErr){
  return error_set(pzErr, rc, "%s", sqlite3_errmsg(s->db));
}

/* A forest call failed with rc and *pzErr. A ForestIO callback of ours has
** already said all there is to say (s->io_failed); damage the forest found
** in the trees itself is this table's corruption. */
static int forest_failed(AnnoyStore *s, int rc, char **pzErr){
  int from_io = s->io_failed;
  char *zForest;
  s->io_failed = 0;
  if( pzErr==0 ) return rc;
  if( rc==SQLITE_NOMEM ){ sqlite3_free(*pzErr); *pzErr = 0; return rc; }
  if( from_io ) return rc;
  if( *pzErr==0 ) return error_set(pzErr, rc, "%s", sqlite3_errstr(rc));
  if( (rc & 0xff)!=SQLITE_CORRUPT ) return rc;
  zForest = *pzErr;
  *pzErr = 0;
  rc = corrupt(s, pzErr, "%s", zForest);
  sqlite3_free(zForest);
  return rc;
}

const AnnoyConfig *store_config(AnnoyStore *s){ return &s->cfg; }

/* ---- statements -------------------------------------------------------------- */

/* Prepare statement i of stmt_sql for this table. */
static int stmt_prepare(AnnoyStore *s, int i, unsigned flags, sqlite3_stmt **out, char **pzErr){
  char *sql = sqlite3_mprintf(stmt_sql[i], s->schema, s->name);
  int rc;
  *out = 0;
  if( sql==0 ) return SQLITE_NOMEM;
  rc = sqlite3_prepare_v3(s->db, sql, -1, flags, out, 0);
  sqlite3_free(sql);
  return rc ? sql_failed(s, rc, pzErr) : SQLITE_OK;
}

/* Statement i, prepared once and kept until the table is closed, dropped
** or renamed. */
static int stmt_get(AnnoyStore *s, int i, sqlite3_stmt **out, char **pzErr){
  int rc;
  if( s->stmt[i]==0 && (rc = stmt_prepare(s, i, SQLITE_PREPARE_PERSISTENT, &s->stmt[i], pzErr)) ){
    return rc;
  }
  *out = s->stmt[i];
  return SQLITE_OK;
}

/* Step a statement that returns no rows (or ignore them), then reset. */
static int stmt_run(AnnoyStore *s, sqlite3_stmt *st, char **pzErr){
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  if( rc==SQLITE_DONE || rc==SQLITE_ROW ) return SQLITE_OK;
  return sql_failed(s, rc, pzErr);
}

/* Statement i stepped once with ?1 = key. With *found set, the row is
** there to read, and the caller resets the statement after. */
static int stmt_find(AnnoyStore *s, int i, sqlite3_int64 key, sqlite3_stmt **out, int *found,
                     char **pzErr){
  int rc = stmt_get(s, i, out, pzErr);
  *found = 0;
  if( rc ) return rc;
  sqlite3_bind_int64(*out, 1, key);
  rc = sqlite3_step(*out);
  if( rc==SQLITE_ROW ){ *found = 1; return SQLITE_OK; }
  sqlite3_reset(*out);
  return rc==SQLITE_DONE ? SQLITE_OK : sql_failed(s, rc, pzErr);
}

static void finalize_all(AnnoyStore *s){
  int i;
  for(i=0; i<STMT_COUNT; i++){ sqlite3_finalize(s->stmt[i]); s->stmt[i] = 0; }
}

static int info_get_int(AnnoyStore *s, const char *key, sqlite3_int64 *value, int *found, char **pzErr){
  sqlite3_stmt *st;
  int rc = stmt_get(s, STMT_INFO_GET, &st, pzErr);
  if( rc ) return rc;
  sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
  rc = sqlite3_step(st);
  *found = 0;
  if( rc==SQLITE_ROW ){
    if( sqlite3_column_type(st, 0)!=SQLITE_INTEGER ){
      sqlite3_reset(st);
      return corrupt(s, pzErr, "a value in the _info table is not an integer");
    }
    *value = sqlite3_column_int64(st, 0);
    *found = 1;
  }
  rc = sqlite3_reset(st);
  if( rc ) return sql_failed(s, rc, pzErr);
  return SQLITE_OK;
}

static int info_set_int(AnnoyStore *s, const char *key, sqlite3_int64 value, char **pzErr){
  sqlite3_stmt *st;
  int rc = stmt_get(s, STMT_INFO_SET, &st, pzErr);
  if( rc ) return rc;
  sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 2, value);
  return stmt_run(s, st, pzErr);
}

/* ---- node codec ------------------------------------------------------------------ */

static size_t split_bytes(const ForestConfig *cfg){
  return cfg->type==VEC_BIT ? 13 : 17 + (size_t)cfg->dim;
}

/* Encoded node into a sqlite3_malloc'd buffer. */
static uint8_t *node_encode(const ForestConfig *cfg, const ForestNode *n, int *len){
  size_t size = n->is_split ? split_bytes(cfg) : 5 + 4*(size_t)n->count;
  uint8_t *p = sqlite3_malloc64(size);
  uint32_t i;
  if( p==0 ) return 0;
  p[0] = n->is_split ? NODE_SPLIT : NODE_LEAF;
  if( n->is_split ){
    bytes_put_u32(p+1, n->child[0]);
    bytes_put_u32(p+5, n->child[1]);
    if( cfg->type==VEC_BIT ){
      bytes_put_u32(p+9, n->bit);
    }else{
      bytes_put_f32(p+9, n->scale);
      bytes_put_f32(p+13, n->threshold);
      memcpy(p+17, n->normal, (size_t)cfg->dim);
    }
  }else{
    bytes_put_u32(p+1, n->count);
    for(i=0; i<n->count; i++) bytes_put_u32(p+5+4*i, n->slots[i]);
  }
  *len = (int)size;
  return p;
}

static int node_decode(AnnoyStore *s, uint32_t id, const uint8_t *p, int len,
                       ForestNode **out, char **pzErr){
  const ForestConfig *cfg = &s->cfg.forest;
  ForestNode *n;
  uint32_t i;
  *out = 0;
  if( len<5 || (p[0]!=NODE_LEAF && p[0]!=NODE_SPLIT) ){
    return corrupt(s, pzErr, "node %u is malformed", id);
  }
  if( p[0]==NODE_SPLIT ){
    if( (size_t)len!=split_bytes(cfg) ){
      return corrupt(s, pzErr, "split node %u has %d bytes", id, len);
    }
    if( (n = forest_node_new(cfg, 1, 0))==0 ) return SQLITE_NOMEM;
    n->child[0] = bytes_get_u32(p+1);
    n->child[1] = bytes_get_u32(p+5);
    if( cfg->type==VEC_BIT ){
      n->bit = bytes_get_u32(p+9);
    }else{
      n->scale = bytes_get_f32(p+9);
      n->threshold = bytes_get_f32(p+13);
      memcpy(n->normal, p+17, (size_t)cfg->dim);
      if( !(n->scale>0) || !isfinite(n->scale) || !isfinite(n->threshold) ){
        forest_node_free(n);
        return corrupt(s, pzErr, "split node %u is not finite", id);
      }
    }
  }else{
    uint32_t count = bytes_get_u32(p+1);
    if( (size_t)len != 5 + 4*(size_t)count ){
      return corrupt(s, pzErr, "leaf %u: %u slots in %d bytes", id, count, len);
    }
    if( (n = forest_node_new(cfg, 0, count))==0 ) return SQLITE_NOMEM;
    for(i=0; i<count; i++){
      n->slots[i] = bytes_get_u32(p+5+4*i);
      if( n->slots[i]>=s->next_slot ){
        forest_node_free(n);
        return corrupt(s, pzErr, "leaf %u holds slot %u, beyond %u",
                           id, bytes_get_u32(p+5+4*i), s->next_slot);
      }
    }
    n->count = count;
  }
  *out = n;
  return SQLITE_OK;
}

/* Read node id from _nodes. */
static int node_read(AnnoyStore *s, uint32_t id, ForestNode **out, char **pzErr){
  sqlite3_stmt *st;
  int found, rc = stmt_find(s, STMT_NODE_GET, id, &st, &found, pzErr);
  if( rc ) return rc;
  if( !found ) return corrupt(s, pzErr, "node %u is missing", id);
  rc = node_decode(s, id, sqlite3_column_blob(st, 0), sqlite3_column_bytes(st, 0), out, pzErr);
  sqlite3_reset(st);
  return rc;
}

/* ForestIO: read a node. */
static int io_load_node(void *ctx, uint32_t id, ForestNode **out, char **pzErr){
  AnnoyStore *s = ctx;
  int rc = node_read(s, id, out, pzErr);
  if( rc ) s->io_failed = 1;
  return rc;
}

/* ---- vector cache ---------------------------------------------------------------- */

/* The cache holds the vectors read so far, in chunks of 2^chunk_shift
** slots (about 64 KB of vectors each), each allocated when a vector in it
** is first read: memory follows the rows that exist, whatever next_slot
** says, and a vector never moves once cached (a search holds pointers).
** A chunk is, in one allocation: the rowid of each slot (int64), the
** vectors, then a byte per slot that says whether it is loaded. */
#define CACHE_CHUNK_BYTES 65536

static void cache_init(AnnoyStore *s){
  size_t per_chunk = CACHE_CHUNK_BYTES / s->vbytes;
  s->chunk_shift = 0;
  while( ((size_t)2<<s->chunk_shift) <= per_chunk && s->chunk_shift<12 ) s->chunk_shift++;
}

static size_t chunk_slots(const AnnoyStore *s){ return (size_t)1<<s->chunk_shift; }

/* The chunk holding slot, or NULL when none of its slots has been read. */
static uint8_t *cache_chunk(const AnnoyStore *s, uint32_t slot){
  uint32_t c = slot >> s->chunk_shift;
  return c<s->n_chunk ? s->chunk[c] : 0;
}

static sqlite3_int64 *chunk_items(uint8_t *chunk){ return (sqlite3_int64*)chunk; }
static uint8_t *chunk_vector(const AnnoyStore *s, uint8_t *chunk, uint32_t slot){
  size_t i = slot & (chunk_slots(s)-1);
  return chunk + chunk_slots(s)*sizeof(sqlite3_int64) + i*s->vbytes;
}
static uint8_t *chunk_loaded(const AnnoyStore *s, uint8_t *chunk, uint32_t slot){
  size_t i = slot & (chunk_slots(s)-1);
  return chunk + chunk_slots(s)*(sizeof(sqlite3_int64) + s->vbytes) + i;
}

/* Is slot's vector cached? */
static int cache_has(const AnnoyStore *s, uint32_t slot){
  uint8_t *chunk = cache_chunk(s, slot);
  return chunk && *chunk_loaded(s, chunk, slot);
}

/* The rowid and vector of a cached slot. */
static sqlite3_int64 cache_item(const AnnoyStore *s, uint32_t slot){
  return chunk_items(cache_chunk(s, slot))[slot & (chunk_slots(s)-1)];
}
static const void *cache_vector(const AnnoyStore *s, uint32_t slot){
  return chunk_vector(s, cache_chunk(s, slot), slot);
}

static void cache_forget(AnnoyStore *s, uint32_t slot){
  uint8_t *chunk = cache_chunk(s, slot);
  if( chunk ) *chunk_loaded(s, chunk, slot) = 0;
}

static int cache_put(AnnoyStore *s, uint32_t slot, sqlite3_int64 item, const void *v){
  uint32_t c = slot >> s->chunk_shift;
  uint8_t *chunk;
  if( c>=s->n_chunk ){
    uint32_t n = s->n_chunk ? s->n_chunk : 16;
    uint8_t **a;
    while( n<=c ) n = n>0x7FFFFFFFu ? c+1 : n*2;
    a = sqlite3_realloc64(s->chunk, (sqlite3_uint64)n*sizeof(*a));
    if( a==0 ) return SQLITE_NOMEM;
    memset(a + s->n_chunk, 0, (size_t)(n - s->n_chunk)*sizeof(*a));
    s->chunk = a;
    s->n_chunk = n;
  }
  if( (chunk = s->chunk[c])==0 ){
    size_t bytes = chunk_slots(s)*(sizeof(sqlite3_int64) + s->vbytes + 1);
    if( (chunk = sqlite3_malloc64(bytes))==0 ) return SQLITE_NOMEM;
    memset(chunk_loaded(s, chunk, 0), 0, chunk_slots(s));
    s->chunk[c] = chunk;
  }
  memcpy(chunk_vector(s, chunk, slot), v, s->vbytes);
  chunk_items(chunk)[slot & (chunk_slots(s)-1)] = item;
  *chunk_loaded(s, chunk, slot) = 1;
  return SQLITE_OK;
}

/* A _vectors.v of the right size (and, for float32, finite). */
static int vector_row_ok(AnnoyStore *s, const void *v, int len){
  uint32_t i;
  if( (size_t)len!=s->vbytes ) return 0;
  if( s->cfg.forest.type==VEC_FLOAT32 ){
    for(i=0; i<(uint32_t)s->cfg.forest.dim; i++){
      if( !isfinite(bytes_get_f32((const unsigned char*)v + 4*i)) ) return 0;
    }
  }
  return 1;
}

/* Bring slot's vector and rowid into the cache. */
static int cache_load(AnnoyStore *s, uint32_t slot, char **pzErr){
  sqlite3_stmt *st;
  const void *v;
  int found, rc;
  if( slot>=s->next_slot ) return corrupt(s, pzErr, "slot %u is out of range", slot);
  if( cache_has(s, slot) ) return SQLITE_OK;
  if( (rc = stmt_find(s, STMT_VEC_GET, slot, &st, &found, pzErr)) ) return rc;
  if( !found ) return corrupt(s, pzErr, "the vector of slot %u is missing", slot);
  v = sqlite3_column_blob(st, 1);
  if( !vector_row_ok(s, v, sqlite3_column_bytes(st, 1)) ){
    sqlite3_reset(st);
    return corrupt(s, pzErr, "the vector in slot %u is malformed", slot);
  }
  rc = cache_put(s, slot, sqlite3_column_int64(st, 0), v);
  sqlite3_reset(st);
  return rc;
}

/* Read every stored vector into the cache (for exact scans). */
static int cache_load_all(AnnoyStore *s, char **pzErr){
  sqlite3_stmt *st;
  int rc;
  if( s->all_loaded ) return SQLITE_OK;
  if( (rc = stmt_get(s, STMT_VEC_ALL, &st, pzErr)) ) return rc;
  while( (rc = sqlite3_step(st))==SQLITE_ROW ){
    sqlite3_int64 slot = sqlite3_column_int64(st, 0);
    const void *v = sqlite3_column_blob(st, 2);
    if( slot<0 || slot>=s->next_slot || !vector_row_ok(s, v, sqlite3_column_bytes(st, 2)) ){
      sqlite3_reset(st);
      return corrupt(s, pzErr, "vector row %lld is malformed", slot);
    }
    if( !cache_has(s, (uint32_t)slot)
     && (rc = cache_put(s, (uint32_t)slot, sqlite3_column_int64(st, 1), v)) ){
      sqlite3_reset(st);
      return rc;
    }
  }
  sqlite3_reset(st);
  if( rc!=SQLITE_DONE ) return sql_failed(s, rc, pzErr);
  s->all_loaded = 1;
  return SQLITE_OK;
}

static void cache_drop(AnnoyStore *s){
  uint32_t c;
  for(c=0; c<s->n_chunk; c++) sqlite3_free(s->chunk[c]);
  sqlite3_free(s->chunk);
  s->chunk = 0;
  s->n_chunk = 0;
  s->all_loaded = 0;
}

/* A slot's vector, through the cache. */
static int vector_get(AnnoyStore *s, uint32_t slot, const void **out, char **pzErr){
  int rc = SQLITE_OK;
  if( !cache_has(s, slot) ) rc = cache_load(s, slot, pzErr);
  *out = rc ? 0 : cache_vector(s, slot);
  return rc;
}

/* ForestIO: a slot's vector. */
static int io_load_vector(void *ctx, uint32_t slot, const void **out, char **pzErr){
  AnnoyStore *s = ctx;
  int rc = vector_get(s, slot, out, pzErr);
  if( rc ) s->io_failed = 1;
  return rc;
}

/* ForestIO: stop long work after sqlite3_interrupt(). */
static int io_interrupted(void *ctx, char **pzErr){
  AnnoyStore *s = ctx;
  int rc = sql_interrupted(s->db, pzErr);
  if( rc ) s->io_failed = 1;
  return rc;
}

/* ---- freshness ----------------------------------------------------------------- */

void store_discard(AnnoyStore *s){
  if( s->loaded ) forest_close(&s->forest);
  cache_drop(s);
  s->loaded = 0;
  s->counters_dirty = 0;
  s->rebuilt = 0;
}

static int read_counter(AnnoyStore *s, const char *key, sqlite3_int64 max, sqlite3_int64 *out, char **pzErr){
  int found, rc = info_get_int(s, key, out, &found, pzErr);
  if( rc ) return rc;
  if( !found || *out<0 || *out>max ) rc = corrupt(s, pzErr, "_info.%s is missing or out of range", key);
  return rc;
}

/* A damaged counter must not make a connection allocate for rows that are
** not there, so each is held to what the file could store: every slot
** below next_slot is a _vectors or a _free row, at least 4 bytes of the
** file each, and every node a _nodes row of at least 8 (a 5-byte blob
** plus its record and cell headers). What is allocated follows the rows
** actually read (the forest's node array, the vector cache's chunks); the
** arrays of a check or a rebuild take a byte or a few per slot or node. */
static int check_counters_fit(AnnoyStore *s, sqlite3_int64 next_slot, sqlite3_int64 nodes, char **pzErr){
  sqlite3_stmt *st;
  sqlite3_int64 bytes;
  int rc = stmt_get(s, STMT_DB_BYTES, &st, pzErr);
  if( rc ) return rc;
  rc = sqlite3_step(st);
  bytes = sqlite3_column_int64(st, 0);
  sqlite3_reset(st);
  if( rc!=SQLITE_ROW ) return sql_failed(s, rc, pzErr);
  if( nodes>bytes/8 ){
    return corrupt(s, pzErr, "_info.nodes is %lld, more than a database of %lld bytes holds", nodes, bytes);
  }
  if( next_slot>bytes/4 ){
    return corrupt(s, pzErr, "_info.next_slot is %lld, more than a database of %lld bytes holds", next_slot, bytes);
  }
  return SQLITE_OK;
}

/* Make the cache agree with the database; call before every operation. */
static int store_ready(AnnoyStore *s, char **pzErr){
  unsigned version = 0;
  sqlite3_int64 generation, next_slot, nodes, count;
  ForestIO io = { 0, io_load_node, io_load_vector, io_interrupted };
  int rc;
  if( s->broken ) return error_set(pzErr, SQLITE_CORRUPT_VTAB, "%s", s->broken);
  if( s->loaded && (s->counters_dirty || s->forest.dirty.n) ) return SQLITE_OK;  /* our own write txn */
  sqlite3_file_control(s->db, s->schema, SQLITE_FCNTL_DATA_VERSION, &version);
  if( s->loaded && version==s->data_version ) return SQLITE_OK;
  if( (rc = read_counter(s, "generation", INT64_MAX, &generation, pzErr)) ){
    /* Whatever generation comes after the damage, the cache is stale. */
    store_discard(s);
    return rc;
  }
  if( s->loaded && generation==s->generation ){
    s->data_version = version;
    return SQLITE_OK;
  }
  store_discard(s);
  if( (rc = read_counter(s, "next_slot", 0xFFFFFFFFll, &next_slot, pzErr))
   || (rc = read_counter(s, "nodes", 0xFFFFFFFFll, &nodes, pzErr))
   || (rc = read_counter(s, "count", next_slot, &count, pzErr))
   || (rc = check_counters_fit(s, next_slot, nodes, pzErr)) ){
    return rc;
  }
  s->next_slot = (uint32_t)next_slot;
  s->count = count;
  s->generation = generation;
  io.ctx = s;
  rc = forest_open(&s->forest, &s->cfg.forest, &io, (uint32_t)nodes, pzErr);
  if( rc ){
    rc = forest_failed(s, rc, pzErr);
    forest_close(&s->forest);
    return rc;
  }
  if( nodes==0 ) s->counters_dirty = 1;    /* fresh roots to write */
  s->loaded = 1;
  s->data_version = version;
  return SQLITE_OK;
}

/* The generation only has to differ from the last: after INT64_MAX, 0. */
static sqlite3_int64 next_generation(const AnnoyStore *s){
  return s->generation<INT64_MAX ? s->generation+1 : 0;
}

static int flush_pending(AnnoyStore *s, char **pzErr){
  sqlite3_stmt *st;
  uint32_t i;
  int rc;
  if( s->rebuilt ){
    if( (rc = stmt_get(s, STMT_NODE_CLEAR, &st, pzErr)) || (rc = stmt_run(s, st, pzErr)) ) return rc;
    s->rebuilt = 0;
  }
  if( (rc = stmt_get(s, STMT_NODE_PUT, &st, pzErr)) ) return rc;
  for(i=0; i<s->forest.dirty.n; i++){
    uint32_t id = s->forest.dirty.id[i];
    int len;
    uint8_t *blob = node_encode(&s->cfg.forest, s->forest.node[id], &len);
    if( blob==0 ) return SQLITE_NOMEM;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_blob(st, 2, blob, len, sqlite3_free);
    if( (rc = stmt_run(s, st, pzErr)) ) return rc;
  }
  if( (rc = info_set_int(s, "next_slot", s->next_slot, pzErr))
   || (rc = info_set_int(s, "nodes", s->forest.n_nodes, pzErr))
   || (rc = info_set_int(s, "count", s->count, pzErr))
   || (rc = info_set_int(s, "generation", next_generation(s), pzErr)) ){
    return rc;
  }
  s->generation = next_generation(s);
  forest_dirty_clear(&s->forest);
  s->counters_dirty = 0;
  return SQLITE_OK;
}

/* Write pending node changes and counters. The user's last_insert_rowid
** must not see our own INSERTs into the shadow tables. */
int store_flush(AnnoyStore *s, char **pzErr){
  sqlite3_int64 last_rowid = sqlite3_last_insert_rowid(s->db);
  int rc;
  if( !s->loaded || (!s->counters_dirty && s->forest.dirty.n==0) ) return SQLITE_OK;
  rc = flush_pending(s, pzErr);
  sqlite3_set_last_insert_rowid(s->db, last_rowid);
  return rc;
}

/* ---- open, close, drop, rename ----------------------------------------------------- */

/* Run sql, which sqlite3_mprintf made (NULL: it ran out of memory), and
** free it; SQLite's message, if any, goes to *pzErr. */
static int exec_sql(sqlite3 *db, char *sql, char **pzErr){
  int rc;
  if( sql==0 ) return SQLITE_NOMEM;
  rc = sqlite3_exec(db, sql, 0, 0, pzErr);
  sqlite3_free(sql);
  return rc;
}

/* The creation settings recorded in _info, for checking on connect. */
static const char *const setting_keys[] = { "type", "dim", "metric", "trees", "leaf_size", "seed" };
static sqlite3_int64 setting_value(const AnnoyConfig *cfg, int i){
  switch( i ){
    case 0: return cfg->forest.type;
    case 1: return cfg->forest.dim;
    case 2: return cfg->forest.metric;
    case 3: return cfg->forest.n_trees;
    case 4: return cfg->forest.leaf_size;
    default: return (sqlite3_int64)cfg->forest.seed;
  }
}

static int create_tables(AnnoyStore *s, char **pzErr){
  const char *q = s->schema, *n = s->name;
  int rc, i;
  rc = exec_sql(s->db, sqlite3_mprintf(
    "CREATE TABLE \"%w\".\"%w_info\"(key TEXT PRIMARY KEY, value) WITHOUT ROWID;"
    "CREATE TABLE \"%w\".\"%w_rowids\"(rowid INTEGER PRIMARY KEY, slot INTEGER NOT NULL);"
    "CREATE TABLE \"%w\".\"%w_vectors\"(slot INTEGER PRIMARY KEY, item INTEGER NOT NULL, v BLOB NOT NULL);"
    "CREATE TABLE \"%w\".\"%w_free\"(slot INTEGER PRIMARY KEY);"
    "CREATE TABLE \"%w\".\"%w_nodes\"(id INTEGER PRIMARY KEY, data BLOB NOT NULL);",
    q, n, q, n, q, n, q, n, q, n), pzErr);
  if( rc ) return rc;
  if( (rc = info_set_int(s, "format", FORMAT_VERSION, pzErr)) ) return rc;
  for(i=0; i<6; i++){
    if( (rc = info_set_int(s, setting_keys[i], setting_value(&s->cfg, i), pzErr)) ) return rc;
  }
  if( (rc = info_set_int(s, "next_slot", 0, pzErr))
   || (rc = info_set_int(s, "nodes", 0, pzErr))
   || (rc = info_set_int(s, "count", 0, pzErr))
   || (rc = info_set_int(s, "generation", 0, pzErr)) ){
    return rc;
  }
  return SQLITE_OK;
}

static int check_tables(AnnoyStore *s, char **pzErr){
  sqlite3_int64 v;
  int found, rc, i;
  rc = info_get_int(s, "format", &v, &found, pzErr);
  if( rc==SQLITE_OK && !found ) rc = corrupt(s, pzErr, "no format version in _info");
  if( rc==SQLITE_OK && v!=FORMAT_VERSION ){
    rc = error_set(pzErr, SQLITE_ERROR, "annoy table %s has format %lld; this build reads format %d",
                     s->name, v, FORMAT_VERSION);
  }
  for(i=0; rc==SQLITE_OK && i<6; i++){
    rc = info_get_int(s, setting_keys[i], &v, &found, pzErr);
    if( rc==SQLITE_OK && (!found || v!=setting_value(&s->cfg, i)) ){
      rc = error_set(pzErr, SQLITE_CORRUPT_VTAB,
        "annoy table %s: _info.%s does not match the table's declaration", s->name, setting_keys[i]);
    }
  }
  /* Without the message a damaged table would be opened as a sound one
  ** (store_open keeps it as s->broken): out of memory instead. */
  if( rc && *pzErr==0 ) rc = SQLITE_NOMEM;
  return rc;
}

int store_open(sqlite3 *db, const char *schema, const char *name,
               const AnnoyConfig *cfg, int create, AnnoyStore **out, char **pzErr){
  AnnoyStore *s = sqlite3_malloc64(sizeof(*s));
  char *zErr = 0;
  int rc;
  *out = 0;
  if( s==0 ) return SQLITE_NOMEM;
  memset(s, 0, sizeof(*s));
  s->db = db;
  s->cfg = *cfg;
  s->vbytes = vec_bytes(cfg->forest.type, cfg->forest.dim);
  cache_init(s);
  s->schema = sqlite3_mprintf("%s", schema);
  s->name = sqlite3_mprintf("%s", name);
  if( s->schema==0 || s->name==0 ){ store_close(s); return SQLITE_NOMEM; }
  rc = create ? create_tables(s, &zErr) : check_tables(s, &zErr);
  if( !create && (rc & 0xff)==SQLITE_CORRUPT ){
    /* Connect anyway, so that the table can still be dropped; every use
    ** reports the damage. */
    s->broken = zErr;
    zErr = 0;
    rc = SQLITE_OK;
  }
  if( rc ){
    if( pzErr ) *pzErr = zErr; else sqlite3_free(zErr);
    store_close(s);
    return rc;
  }
  *out = s;
  return SQLITE_OK;
}

void store_close(AnnoyStore *s){
  if( s==0 ) return;
  store_discard(s);
  forest_searcher_free(&s->searcher);
  finalize_all(s);
  sqlite3_free(s->schema);
  sqlite3_free(s->name);
  sqlite3_free(s->broken);
  sqlite3_free(s);
}

/* Run fmt on each shadow table: its arguments are the schema, the table's
** name, the suffix, then new_name and the suffix again (for RENAME; a
** format that stops earlier ignores the rest). */
static int shadow_exec_each(AnnoyStore *s, const char *fmt, const char *new_name, char **pzErr){
  char *zErr = 0;
  int i, rc = SQLITE_OK;
  for(i=0; rc==SQLITE_OK && i<N_SHADOW; i++){
    rc = exec_sql(s->db, sqlite3_mprintf(fmt, s->schema, s->name, shadow_suffix[i],
                                         new_name, shadow_suffix[i]), &zErr);
  }
  if( rc ) rc = error_set(pzErr, rc, "%s", zErr ? zErr : sqlite3_errstr(rc));
  sqlite3_free(zErr);
  return rc;
}

int store_drop(AnnoyStore *s, char **pzErr){
  store_discard(s);
  finalize_all(s);
  return shadow_exec_each(s, "DROP TABLE IF EXISTS \"%w\".\"%w_%s\"", 0, pzErr);
}

int store_rename(AnnoyStore *s, const char *new_name, char **pzErr){
  char *name;
  int rc;
  if( (rc = store_flush(s, pzErr)) ) return rc;
  finalize_all(s);
  rc = shadow_exec_each(s, "ALTER TABLE \"%w\".\"%w_%s\" RENAME TO \"%w_%s\"", new_name, pzErr);
  if( rc ) return rc;
  if( (name = sqlite3_mprintf("%s", new_name))==0 ) return SQLITE_NOMEM;
  sqlite3_free(s->name);
  s->name = name;
  return SQLITE_OK;
}

int store_is_shadow_name(const char *suffix){
  int i;
  for(i=0; i<N_SHADOW; i++){
    if( sqlite3_stricmp(suffix, shadow_suffix[i])==0 ) return 1;
  }
  return 0;
}

/* ---- rows ------------------------------------------------------------------------- */

int store_lookup(AnnoyStore *s, sqlite3_int64 rowid, uint32_t *slot, int *found, char **pzErr){
  sqlite3_stmt *st;
  sqlite3_int64 v;
  int rc = stmt_find(s, STMT_ROWID_GET, rowid, &st, found, pzErr);
  if( rc || !*found ) return rc;
  v = sqlite3_column_int64(st, 0);
  sqlite3_reset(st);
  *found = 0;
  if( (rc = store_ready(s, pzErr)) ) return rc;
  if( v<0 || v>=s->next_slot ) return corrupt(s, pzErr, "a _rowids row points outside the slots");
  *slot = (uint32_t)v;
  *found = 1;
  return SQLITE_OK;
}

int store_exists(AnnoyStore *s, sqlite3_int64 rowid, int *exists, char **pzErr){
  uint32_t slot;
  return store_lookup(s, rowid, &slot, exists, pzErr);
}

int store_next_rowid(AnnoyStore *s, sqlite3_int64 *rowid, char **pzErr){
  sqlite3_stmt *st;
  int rc = stmt_get(s, STMT_ROWID_MAX, &st, pzErr);
  if( rc ) return rc;
  rc = sqlite3_step(st);
  *rowid = 1;
  if( rc==SQLITE_ROW && sqlite3_column_type(st, 0)!=SQLITE_NULL ){
    sqlite3_int64 max = sqlite3_column_int64(st, 0);
    if( max==INT64_MAX ){
      sqlite3_reset(st);
      return error_set(pzErr, SQLITE_FULL, "no rowid left above %lld; give rowids explicitly", max);
    }
    *rowid = max+1;
  }
  sqlite3_reset(st);
  return SQLITE_OK;
}

int store_vector(AnnoyStore *s, uint32_t slot, const void **vec, char **pzErr){
  int rc = store_ready(s, pzErr);
  if( rc ) return rc;
  return vector_get(s, slot, vec, pzErr);
}

/* ---- scans in rowid order ------------------------------------------------------ */

struct StoreScan {
  AnnoyStore *s;
  sqlite3_stmt *stmt;        /* its own: several scans may be open at once */
};

int store_scan_open(AnnoyStore *s, StoreScan **out, char **pzErr){
  StoreScan *scan;
  int rc;
  *out = 0;
  if( (rc = store_ready(s, pzErr)) ) return rc;
  if( (scan = sqlite3_malloc64(sizeof(*scan)))==0 ) return SQLITE_NOMEM;
  scan->s = s;
  if( (rc = stmt_prepare(s, STMT_ROWID_SCAN, 0, &scan->stmt, pzErr)) ){
    sqlite3_free(scan);
    return rc;
  }
  *out = scan;
  return SQLITE_OK;
}

int store_scan_next(StoreScan *scan, int *eof, sqlite3_int64 *rowid, uint32_t *slot,
                    char **pzErr){
  AnnoyStore *s = scan->s;
  int rc = sqlite3_step(scan->stmt);
  *eof = 1;
  if( rc==SQLITE_ROW ){
    sqlite3_int64 v = sqlite3_column_int64(scan->stmt, 1);
    *rowid = sqlite3_column_int64(scan->stmt, 0);
    if( v<0 || v>0xFFFFFFFFll ){
      return error_set(pzErr, SQLITE_CORRUPT_VTAB, "annoy table %s is corrupt: rowid %lld has slot %lld",
                       s->name, *rowid, v);
    }
    *slot = (uint32_t)v;
    *eof = 0;
    return SQLITE_OK;
  }
  if( rc==SQLITE_DONE ) return SQLITE_OK;
  return sql_failed(s, rc, pzErr);
}

void store_scan_close(StoreScan *scan){
  if( scan==0 ) return;
  sqlite3_finalize(scan->stmt);
  sqlite3_free(scan);
}

/* ---- changes ------------------------------------------------------------------------ */

/* Take the smallest free slot, or a new one. */
static int slot_allocate(AnnoyStore *s, uint32_t *slot, char **pzErr){
  sqlite3_stmt *st;
  int rc = stmt_get(s, STMT_FREE_FIRST, &st, pzErr);
  if( rc ) return rc;
  rc = sqlite3_step(st);
  if( rc==SQLITE_ROW ){
    sqlite3_int64 v = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    if( v<0 || v>=s->next_slot ) return corrupt(s, pzErr, "_free holds slot %lld, beyond %u", v, s->next_slot);
    if( (rc = stmt_get(s, STMT_VEC_GET, &st, pzErr)) ) return rc;
    sqlite3_bind_int64(st, 1, v);
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    if( rc==SQLITE_ROW ) return corrupt(s, pzErr, "_free holds slot %lld, which is in use", v);
    *slot = (uint32_t)v;
    if( (rc = stmt_get(s, STMT_FREE_DEL, &st, pzErr)) ) return rc;
    sqlite3_bind_int64(st, 1, v);
    return stmt_run(s, st, pzErr);
  }
  sqlite3_reset(st);
  if( rc!=SQLITE_DONE ) return sql_failed(s, rc, pzErr);
  if( s->next_slot==0xFFFFFFFFu ) return error_set(pzErr, SQLITE_FULL, "annoy table %s is full", s->name);
  *slot = s->next_slot++;
  s->counters_dirty = 1;
  return SQLITE_OK;
}

/* Store slot's vector: a new row (is_new) or over the old one. */
static int vector_write(AnnoyStore *s, uint32_t slot, sqlite3_int64 rowid, const void *vec,
                        int is_new, char **pzErr){
  sqlite3_stmt *st;
  int rc = stmt_get(s, is_new ? STMT_VEC_ADD : STMT_VEC_SET, &st, pzErr);
  if( rc ) return rc;
  sqlite3_bind_int64(st, 1, slot);
  sqlite3_bind_int64(st, 2, rowid);
  sqlite3_bind_blob(st, 3, vec, (int)s->vbytes, SQLITE_STATIC);
  rc = sqlite3_step(st);
  sqlite3_reset(st);
  if( rc==SQLITE_CONSTRAINT ) return corrupt(s, pzErr, "_info.next_slot is below a stored slot");
  if( rc!=SQLITE_DONE ) return sql_failed(s, rc, pzErr);
  return cache_put(s, slot, rowid, vec);
}

static int rowid_write(AnnoyStore *s, sqlite3_int64 rowid, uint32_t slot, char **pzErr){
  sqlite3_stmt *st;
  int rc = stmt_get(s, STMT_ROWID_PUT, &st, pzErr);
  if( rc ) return rc;
  sqlite3_bind_int64(st, 1, rowid);
  sqlite3_bind_int64(st, 2, slot);
  return stmt_run(s, st, pzErr);
}

static int rowid_erase(AnnoyStore *s, sqlite3_int64 rowid, char **pzErr){
  sqlite3_stmt *st;
  int rc = stmt_get(s, STMT_ROWID_DEL, &st, pzErr);
  if( rc ) return rc;
  sqlite3_bind_int64(st, 1, rowid);
  return stmt_run(s, st, pzErr);
}

int store_insert(AnnoyStore *s, sqlite3_int64 rowid, const void *vec, char **pzErr){
  uint32_t slot = 0;
  int rc;
  if( (rc = store_ready(s, pzErr)) || (rc = slot_allocate(s, &slot, pzErr)) ) return rc;
  if( (rc = rowid_write(s, rowid, slot, pzErr)) || (rc = vector_write(s, slot, rowid, vec, 1, pzErr)) ) return rc;
  if( (rc = forest_insert(&s->forest, slot, vec, pzErr)) ) return forest_failed(s, rc, pzErr);
  s->count++;
  s->counters_dirty = 1;
  return SQLITE_OK;
}

/* Take slot's vector out of the forest (a copy: the cache may move). */
static int forest_take_out(AnnoyStore *s, uint32_t slot, char **pzErr){
  const void *v;
  int rc = vector_get(s, slot, &v, pzErr);
  if( rc ) return rc;
  rc = forest_remove(&s->forest, slot, v, pzErr);
  return rc ? forest_failed(s, rc, pzErr) : SQLITE_OK;
}

int store_delete(AnnoyStore *s, sqlite3_int64 rowid, char **pzErr){
  sqlite3_stmt *st;
  uint32_t slot;
  int found, rc;
  if( (rc = store_ready(s, pzErr)) || (rc = store_lookup(s, rowid, &slot, &found, pzErr)) ) return rc;
  if( !found ) return SQLITE_OK;
  if( (rc = forest_take_out(s, slot, pzErr)) || (rc = rowid_erase(s, rowid, pzErr)) ) return rc;
  if( (rc = stmt_get(s, STMT_VEC_DEL, &st, pzErr)) ) return rc;
  sqlite3_bind_int64(st, 1, slot);
  if( (rc = stmt_run(s, st, pzErr)) ) return rc;
  if( (rc = stmt_get(s, STMT_FREE_ADD, &st, pzErr)) ) return rc;
  sqlite3_bind_int64(st, 1, slot);
  if( ((rc = stmt_run(s, st, pzErr)) & 0xff)==SQLITE_CONSTRAINT ){
    if( pzErr ){ sqlite3_free(*pzErr); *pzErr = 0; }
    return corrupt(s, pzErr, "_free holds slot %u, which was in use", slot);
  }
  if( rc ) return rc;
  cache_forget(s, slot);
  s->count--;
  s->counters_dirty = 1;
  return SQLITE_OK;
}

int store_update(AnnoyStore *s, sqlite3_int64 old_rowid, sqlite3_int64 new_rowid,
                 const void *vec, char **pzErr){
  uint32_t slot;
  int found, rc;
  if( (rc = store_ready(s, pzErr)) || (rc = store_lookup(s, old_rowid, &slot, &found, pzErr)) ) return rc;
  if( !found ) return SQLITE_OK;
  if( (rc = forest_take_out(s, slot, pzErr)) ) return rc;
  if( new_rowid!=old_rowid ){
    if( (rc = rowid_erase(s, old_rowid, pzErr)) || (rc = rowid_write(s, new_rowid, slot, pzErr)) ) return rc;
  }
  if( (rc = vector_write(s, slot, new_rowid, vec, 0, pzErr)) ) return rc;
  if( (rc = forest_insert(&s->forest, slot, vec, pzErr)) ) return forest_failed(s, rc, pzErr);
  s->counters_dirty = 1;
  return SQLITE_OK;
}

/* ---- rebuild: everything again from the rows --------------------------------- */

/* A rebuild trusts no counter and no tree: it works out next_slot, count
** and the nodes from the _vectors rows, makes _rowids and _free agree with
** them, and builds the trees, so that whatever damage annoy_check reports
** (short of a malformed vector) is gone afterwards. Who owns a vector:
**   1. a _rowids row pointing to it whose rowid is the vector's item;
**   2. else a _rowids row pointing to it (the item is rewritten);
**   3. else its item, when no _rowids row has that rowid (one is made);
**   4. else nobody: the vector is a stray copy and is deleted.
** _rowids rows left pointing elsewhere are deleted; every slot below
** next_slot without a vector is listed in _free. */

/* The settings in _info again from the table's declaration, when they did
** not match it (store_open kept the table as broken). */
static int rebuild_settings(AnnoyStore *s, char **pzErr){
  int rc, i;
  if( s->broken==0 ) return SQLITE_OK;
  if( (rc = info_set_int(s, "format", FORMAT_VERSION, pzErr)) ) return rc;
  for(i=0; i<6; i++){
    if( (rc = info_set_int(s, setting_keys[i], setting_value(&s->cfg, i), pzErr)) ) return rc;
  }
  sqlite3_free(s->broken);
  s->broken = 0;
  return SQLITE_OK;
}

/* The counters from the rows, an empty forest, every vector cached. */
static int rebuild_counters(AnnoyStore *s, char **pzErr){
  ForestIO io = { 0, io_load_node, io_load_vector, io_interrupted };
  sqlite3_stmt *st;
  sqlite3_int64 lo = 0, hi = -1, generation;
  int found, rc;
  char *zErr = 0;
  if( (rc = stmt_get(s, STMT_VEC_RANGE, &st, pzErr)) ) return rc;
  if( (rc = sqlite3_step(st))==SQLITE_ROW && sqlite3_column_type(st, 0)!=SQLITE_NULL ){
    lo = sqlite3_column_int64(st, 0);
    hi = sqlite3_column_int64(st, 1);
  }
  sqlite3_reset(st);
  if( rc!=SQLITE_ROW ) return sql_failed(s, rc, pzErr);
  if( lo<0 || hi>=0xFFFFFFFFll ){
    return error_set(pzErr, SQLITE_CORRUPT_VTAB, "annoy table %s is corrupt beyond what "
                     "'rebuild' repairs: _vectors holds slot %lld (slots are 0 to %u); "
                     "delete that row from %s_vectors first", s->name, lo<0 ? lo : hi,
                     0xFFFFFFFEu, s->name);
  }
  if( (rc = check_counters_fit(s, hi+1, 0, pzErr)) ) return rc;
  /* The generation only has to change; a damaged one starts again. */
  rc = info_get_int(s, "generation", &generation, &found, &zErr);
  sqlite3_free(zErr);
  if( (rc & 0xff)==SQLITE_CORRUPT || !found || generation<0 ) generation = 0;
  else if( rc ) return rc;
  s->next_slot = (uint32_t)(hi+1);
  s->count = 0;
  s->generation = generation;
  io.ctx = s;
  if( (rc = forest_open(&s->forest, &s->cfg.forest, &io, 0, pzErr)) ){
    forest_close(&s->forest);
    return rc;
  }
  s->loaded = 1;
  s->counters_dirty = 1;
  s->rebuilt = 1;
  return cache_load_all(s, pzErr);
}

typedef struct RowidSlot { sqlite3_int64 rowid; uint32_t slot; } RowidSlot;

/* Rules 1 and 2 (above): owner[slot] set for each vector a _rowids row
** owns; the rows that own nothing are deleted. */
static int rebuild_rowids(AnnoyStore *s, uint8_t *owner, char **pzErr){
  sqlite3_stmt *st;
  RowidSlot *other = 0;
  uint32_t n_other = 0, alloc = 0, i;
  int rc = stmt_get(s, STMT_ROWID_SCAN, &st, pzErr);
  if( rc ) return rc;
  while( (rc = sqlite3_step(st))==SQLITE_ROW ){
    sqlite3_int64 rowid = sqlite3_column_int64(st, 0), slot = sqlite3_column_int64(st, 1);
    int valid = slot>=0 && slot<s->next_slot && cache_has(s, (uint32_t)slot);
    if( valid && !owner[slot] && cache_item(s, (uint32_t)slot)==rowid ){
      owner[slot] = 1;
      continue;
    }
    if( n_other==alloc ){
      RowidSlot *a;
      alloc = alloc ? alloc*2 : 16;
      if( (a = sqlite3_realloc64(other, (sqlite3_uint64)alloc*sizeof(*a)))==0 ){ rc = SQLITE_NOMEM; break; }
      other = a;
    }
    other[n_other].rowid = rowid;
    other[n_other++].slot = valid ? (uint32_t)slot : 0xFFFFFFFFu;
  }
  sqlite3_reset(st);
  if( rc==SQLITE_DONE ) rc = SQLITE_OK;
  else if( rc!=SQLITE_NOMEM ) rc = sql_failed(s, rc, pzErr);
  for(i=0; rc==SQLITE_OK && i<n_other; i++){
    uint32_t slot = other[i].slot;
    if( slot!=0xFFFFFFFFu && !owner[slot] ){
      if( (rc = stmt_get(s, STMT_VEC_ITEM, &st, pzErr)) ) break;
      sqlite3_bind_int64(st, 1, slot);
      sqlite3_bind_int64(st, 2, other[i].rowid);
      if( (rc = stmt_run(s, st, pzErr)) ) break;
      chunk_items(cache_chunk(s, slot))[slot & (chunk_slots(s)-1)] = other[i].rowid;
      owner[slot] = 1;
    }else{
      rc = rowid_erase(s, other[i].rowid, pzErr);
    }
  }
  sqlite3_free(other);
  return rc;
}

/* Rules 3 and 4 for the vectors no _rowids row owns, then _free; the
** owned slots go to *slots (sqlite3_malloc'd, *n of them). */
static int rebuild_vectors(AnnoyStore *s, uint8_t *owner, uint32_t **slots, uint32_t *n,
                           char **pzErr){
  sqlite3_stmt *st;
  uint32_t i;
  int rc;
  *n = 0;
  if( (*slots = sqlite3_malloc64((sqlite3_uint64)(s->next_slot ? s->next_slot : 1)*sizeof(uint32_t)))==0 ){
    return SQLITE_NOMEM;
  }
  if( (rc = stmt_get(s, STMT_FREE_CLEAR, &st, pzErr)) || (rc = stmt_run(s, st, pzErr)) ) return rc;
  for(i=0; i<s->next_slot; i++){
    if( cache_has(s, i) && !owner[i] ){
      int taken;
      if( (rc = stmt_find(s, STMT_ROWID_GET, cache_item(s, i), &st, &taken, pzErr)) ) return rc;
      if( taken ) sqlite3_reset(st);
      if( !taken ){
        if( (rc = rowid_write(s, cache_item(s, i), i, pzErr)) ) return rc;
        owner[i] = 1;
      }else{
        if( (rc = stmt_get(s, STMT_VEC_DEL, &st, pzErr)) ) return rc;
        sqlite3_bind_int64(st, 1, i);
        if( (rc = stmt_run(s, st, pzErr)) ) return rc;
        cache_forget(s, i);
      }
    }
    if( owner[i] ){
      (*slots)[(*n)++] = i;
    }else{
      if( (rc = stmt_get(s, STMT_FREE_ADD, &st, pzErr)) ) return rc;
      sqlite3_bind_int64(st, 1, i);
      if( (rc = stmt_run(s, st, pzErr)) ) return rc;
    }
  }
  return SQLITE_OK;
}

int store_rebuild(AnnoyStore *s, char **pzErr){
  uint32_t *slots = 0, n = 0;
  uint8_t *owner = 0;
  int rc;
  store_discard(s);
  if( (rc = rebuild_settings(s, pzErr)) || (rc = rebuild_counters(s, pzErr)) ) goto done;
  if( (owner = sqlite3_malloc64(s->next_slot ? s->next_slot : 1))==0 ){ rc = SQLITE_NOMEM; goto done; }
  memset(owner, 0, s->next_slot);
  if( (rc = rebuild_rowids(s, owner, pzErr)) || (rc = rebuild_vectors(s, owner, &slots, &n, pzErr)) ) goto done;
  s->count = n;
  if( (rc = forest_build(&s->forest, slots, n, pzErr)) ) rc = forest_failed(s, rc, pzErr);
done:
  sqlite3_free(owner);
  sqlite3_free(slots);
  if( rc ) store_discard(s);
  return rc;
}

/* ---- KNN -------------------------------------------------------------------------- */

/* A search's filter: the slots it may return, by rowid and/or by slot
** (either may be NULL; a row must be in both that are given). */
typedef struct FilterCtx { AnnoyStore *s; const RowidSet *rowids; const SlotSet *slots; } FilterCtx;

/* Called with the slot's vector already cached, so its rowid is known. */
static int accept_filtered(void *ctx, uint32_t slot){
  FilterCtx *fc = ctx;
  return (fc->slots==0 || slot_set_has(fc->slots, slot))
      && (fc->rowids==0 || rowid_set_has(fc->rowids, cache_item(fc->s, slot)));
}

/* How many rows the filter can let through, at most. */
static int64_t filter_size(const FilterCtx *fc){
  int64_t n = INT64_MAX;
  if( fc->slots ) n = fc->slots->n;
  if( fc->rowids && fc->rowids->n < n ) n = fc->rowids->n;
  return n;
}

/* The automatic search_k: how many distinct candidates to score. Annoy's
** default (trees x k) gives poor recall on real data; this one was chosen
** from the recall measurements in docs/BENCHMARKS.md. */
static int64_t default_search_k(const AnnoyStore *s, int k){
  int64_t want = (int64_t)k * s->cfg.forest.n_trees * 16;
  return want < 2000 ? 2000 : want;
}

/* Score slot i if the filter takes it. */
static int exact_one(AnnoyStore *s, const void *query, Topk *top, const FilterCtx *fc, uint32_t i,
                     char **pzErr){
  const void *v;
  int rc = vector_get(s, i, &v, pzErr);
  if( rc==SQLITE_OK && accept_filtered((void*)fc, i) ){
    topk_push(top, s->forest.kernel(query, v, s->cfg.forest.dim), i);
  }
  return rc;
}

/* Exact top-k over all slots, or over those the filter lets through: a
** small slot set bit by bit, a small rowid set row by row. */
static int knn_exact(AnnoyStore *s, const void *query, Topk *top, const FilterCtx *fc, char **pzErr){
  int64_t n = filter_size(fc);
  uint32_t i, w;
  int rc;
  if( fc->slots && n < s->count/8 ){
    for(w=0; w<(fc->slots->limit+63)/64; w++){
      uint64_t bits = fc->slots->bits[w];
      if( (w & 0x3FF)==0x3FF && (rc = sql_interrupted(s->db, pzErr)) ) return rc;
      for(; bits; bits &= bits-1){
        if( (rc = exact_one(s, query, top, fc, w*64 + (uint32_t)__builtin_ctzll(bits), pzErr)) ) return rc;
      }
    }
    return SQLITE_OK;
  }
  if( fc->rowids && n < s->count/8 ){
    for(i=0; i<=fc->rowids->mask; i++){
      uint32_t slot;
      int found;
      if( !fc->rowids->used[i] ) continue;
      if( (rc = store_lookup(s, fc->rowids->keys[i], &slot, &found, pzErr)) ) return rc;
      if( found && (rc = exact_one(s, query, top, fc, slot, pzErr)) ) return rc;
    }
    return SQLITE_OK;
  }
  if( (rc = cache_load_all(s, pzErr)) ) return rc;
  for(i=0; i<s->next_slot; i++){
    if( (i & 0xFFFF)==0xFFFF && (rc = sql_interrupted(s->db, pzErr)) ) return rc;
    if( !cache_has(s, i) || !accept_filtered((void*)fc, i) ) continue;
    topk_push(top, s->forest.kernel(query, cache_vector(s, i), s->cfg.forest.dim), i);
  }
  return SQLITE_OK;
}

int store_slot_limit(AnnoyStore *s, uint32_t *limit, char **pzErr){
  int rc = store_ready(s, pzErr);
  *limit = rc ? 0 : s->next_slot;
  return rc;
}

int store_knn(AnnoyStore *s, const void *query, int k, int64_t search_k,
              const RowidSet *rowids, const SlotSet *slots,
              AnnoyHit **hits_out, int *n_out, char **pzErr){
  ForestSearcher local, *searcher;
  Topk *top, exact_top = { 0, 0, 0 };
  AnnoyHit *hits = 0;
  FilterCtx fc = { s, rowids, slots };
  int filtered = rowids || slots, rc, i;
  double n_filter = (double)filter_size(&fc);
  *hits_out = 0;
  *n_out = 0;
  if( (rc = store_ready(s, pzErr)) ) return rc;
  if( search_k==0 ) search_k = s->cfg.search_k ? s->cfg.search_k : default_search_k(s, k);
  if( search_k<k && search_k>=0 ) search_k = k;
  /* A filter of n rows out of count leaves the search scoring search_k of
  ** them, after visiting about search_k x count / n rows; scoring the n
  ** directly costs a lookup each, ~8 visits' worth (measured at 1M rows,
  ** docs/BENCHMARKS.md "Filtered search"): scan the small sets. */
  if( filtered && (n_filter <= (double)search_k || n_filter * n_filter * 8 <= (double)search_k * s->count) ){
    search_k = -1;
  }

  memset(&local, 0, sizeof(local));
  searcher = s->searcher_busy ? &local : &s->searcher;
  s->searcher_busy = 1;
  if( search_k<0 ){
    exact_top.hits = sqlite3_malloc64((sqlite3_uint64)k*sizeof(TopkHit));
    exact_top.k = k;
    rc = exact_top.hits ? knn_exact(s, query, &exact_top, &fc, pzErr) : SQLITE_NOMEM;
    topk_sort(&exact_top);
    top = &exact_top;
  }else{
    rc = forest_search(&s->forest, searcher, query, k, search_k,
                       filtered ? accept_filtered : 0, &fc, pzErr);
    if( rc ) rc = forest_failed(s, rc, pzErr);
    top = &searcher->top;
  }
  if( rc==SQLITE_OK && top->n>0 ){
    hits = sqlite3_malloc64((sqlite3_uint64)top->n*sizeof(AnnoyHit));
    if( hits==0 ) rc = SQLITE_NOMEM;
  }
  for(i=0; rc==SQLITE_OK && i<top->n; i++){
    uint32_t slot = top->hits[i].slot;
    if( (rc = cache_load(s, slot, pzErr)) ) break;
    hits[i].rowid = cache_item(s, slot);
    hits[i].slot = slot;
    hits[i].distance = distance_from_score(s->cfg.forest.metric, top->hits[i].score);
  }
  if( rc==SQLITE_OK ){
    *hits_out = hits;
    *n_out = top->n;
  }else{
    sqlite3_free(hits);
  }
  sqlite3_free(exact_top.hits);
  if( searcher==&local ) forest_searcher_free(&local); else s->searcher_busy = 0;
  return rc;
}

/* ---- integrity -------------------------------------------------------------------- */

typedef struct Report { AnnoyStore *s; sqlite3_str *text; int n; } Report;

static void report(Report *r, const char *fmt, ...){
  va_list ap;
  if( r->n++ >= 20 ) return;               /* enough to act on */
  if( sqlite3_str_length(r->text) ) sqlite3_str_appendchar(r->text, 1, '\n');
  va_start(ap, fmt);
  sqlite3_str_vappendf(r->text, fmt, ap);
  va_end(ap);
}

/* forest_check's findings, in the words of this table (rowids, not only
** slots). */
static void report_finding(void *ctx, const ForestFinding *x){
  Report *r = ctx;
  AnnoyStore *s = r->s;
  switch( x->fault ){
    case FOREST_FAULT_NODE:
      report(r, "tree %d: %s", x->tree, x->zMessage);
      s->io_failed = 0;                    /* a finding, not a failure */
      break;
    case FOREST_FAULT_FREE_SLOT:
      report(r, "tree %d: leaf %u holds free slot %u", x->tree, x->leaf, x->slot);
      break;
    case FOREST_FAULT_TWICE:
      report(r, "tree %d: slot %u appears twice", x->tree, x->slot);
      break;
    case FOREST_FAULT_WRONG_LEAF:
      report(r, "tree %d: rowid %lld (slot %u) is in leaf %u but its vector leads to leaf %u",
             x->tree, cache_item(s, x->slot), x->slot, x->leaf, x->expected);
      break;
    case FOREST_FAULT_SHARED:
      report(r, "tree %d: node %u is reached a second time (two parents)", x->tree, x->leaf);
      break;
    case FOREST_FAULT_UNREACHABLE:
      report(r, "tree %d: rowid %lld (slot %u) is not reachable", x->tree, cache_item(s, x->slot), x->slot);
      break;
  }
}

/* Every _rowids row points to the slot of its own vector, and every vector
** is pointed to (owned[slot], next_slot bytes, is set for those that are);
** _info.count counts the rows. */
static int check_rowids(AnnoyStore *s, Report *r, uint8_t *owned, char **pzErr){
  sqlite3_stmt *st;
  sqlite3_int64 n_rowids = 0;
  uint32_t i;
  int rc = stmt_get(s, STMT_ROWID_SCAN, &st, pzErr);
  if( rc ) return rc;
  while( (rc = sqlite3_step(st))==SQLITE_ROW ){
    sqlite3_int64 rowid = sqlite3_column_int64(st, 0), slot = sqlite3_column_int64(st, 1);
    n_rowids++;
    if( slot<0 || slot>=s->next_slot || !cache_has(s, (uint32_t)slot) ){
      report(r, "rowid %lld points to slot %lld, which holds no vector", rowid, slot);
    }else if( cache_item(s, (uint32_t)slot)!=rowid ){
      report(r, "rowid %lld points to slot %lld, which belongs to rowid %lld",
             rowid, slot, cache_item(s, (uint32_t)slot));
    }else{
      owned[slot] = 1;
    }
  }
  sqlite3_reset(st);
  if( rc!=SQLITE_DONE ) return sql_failed(s, rc, pzErr);
  if( n_rowids!=s->count ) report(r, "_info.count is %lld but %lld rowids are stored", s->count, n_rowids);
  for(i=0; i<s->next_slot; i++){
    if( cache_has(s, i) && !owned[i] ){
      report(r, "slot %u holds a vector of rowid %lld, but that rowid does not point to it",
             i, cache_item(s, i));
    }
  }
  return SQLITE_OK;
}

/* Every _free row is an unused slot below next_slot. */
static int check_free(AnnoyStore *s, Report *r, char **pzErr){
  sqlite3_stmt *st;
  int rc = stmt_get(s, STMT_FREE_ALL, &st, pzErr);
  if( rc ) return rc;
  while( sqlite3_step(st)==SQLITE_ROW ){
    sqlite3_int64 slot = sqlite3_column_int64(st, 0);
    if( slot<0 || slot>=s->next_slot ) report(r, "_free holds slot %lld, beyond %u", slot, s->next_slot);
    else if( cache_has(s, (uint32_t)slot) ) report(r, "_free holds slot %lld, which is in use", slot);
  }
  if( (rc = sqlite3_reset(st)) ) return sql_failed(s, rc, pzErr);
  return SQLITE_OK;
}

int store_check(AnnoyStore *s, char **out, char **pzErr){
  Report r;
  char *zErr = 0;
  uint8_t *live = 0;
  uint32_t i;
  int rc;

  *out = 0;
  if( (rc = store_flush(s, pzErr)) ) return rc;
  store_discard(s);
  r.s = s;
  r.text = sqlite3_str_new(s->db);
  r.n = 0;
  if( (rc = store_ready(s, &zErr))==SQLITE_OK ) rc = cache_load_all(s, &zErr);
  if( (rc & 0xff)==SQLITE_CORRUPT ){
    /* Nothing more can be read: the reason is the report. */
    if( zErr==0 ){ rc = SQLITE_NOMEM; goto done; }
    report(&r, "%s", zErr);
    rc = SQLITE_OK;
    goto finish;
  }
  if( rc ) goto done;
  /* live[] and owned[]: a byte per slot each. */
  if( (live = sqlite3_malloc64(2*(sqlite3_uint64)s->next_slot + 1))==0 ){ rc = SQLITE_NOMEM; goto done; }
  memset(live, 0, 2*(size_t)s->next_slot);
  for(i=0; i<s->next_slot; i++) live[i] = (uint8_t)cache_has(s, i);
  if( (rc = check_rowids(s, &r, live + s->next_slot, pzErr)) || (rc = check_free(s, &r, pzErr)) ) goto done;
  rc = forest_check(&s->forest, live, s->next_slot, report_finding, &r, pzErr);
  if( rc ){ rc = forest_failed(s, rc, pzErr); goto done; }
  s->io_failed = 0;
finish:
  if( r.n>20 ) sqlite3_str_appendf(r.text, "\n... and %d more problems", r.n-20);
  if( r.n==0 ) sqlite3_str_appendall(r.text, "ok");
  *out = sqlite3_str_finish(r.text);
  r.text = 0;
  if( *out==0 ) rc = SQLITE_NOMEM;
done:
  if( rc && zErr ){
    if( pzErr && *pzErr==0 ) *pzErr = zErr; else sqlite3_free(zErr);
    zErr = 0;
  }
  sqlite3_free(zErr);
  sqlite3_free(live);
  if( r.text ) sqlite3_free(sqlite3_str_finish(r.text));
  store_discard(s);
  return rc;
}
