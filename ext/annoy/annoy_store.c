/*
** annoy_store.c — shadow tables, node and vector codecs, the per-connection
** cache and its invalidation, KNN and integrity checking for annoy tables.
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
** whatever the user chose.
**
** CACHE. Each connection keeps the nodes it has read (decoded) and the
** vectors it has read (an array indexed by slot), both filled lazily, so
** the first query after opening a file reads only the nodes and vectors it
** visits. Node changes are kept in memory and written at store_flush(),
** which the vtab calls at xSync (commit) and xSavepoint; any rollback
** calls store_discard(). A connection learns that another one committed
** from the pager's data version and the "generation" counter, which every
** flush increments: when it differs from the cached one, the cache goes.
*/
#include <math.h>
#include <stdarg.h>
#include <string.h>
#include "annoy_store.h"

#define FORMAT_VERSION 1
#define NODE_LEAF  0
#define NODE_SPLIT 1

enum {
  STMT_INFO_GET, STMT_INFO_SET,
  STMT_ROWID_GET, STMT_ROWID_PUT, STMT_ROWID_DEL, STMT_ROWID_MAX,
  STMT_VEC_GET, STMT_VEC_ADD, STMT_VEC_SET, STMT_VEC_DEL, STMT_VEC_ALL,
  STMT_FREE_FIRST, STMT_FREE_ADD, STMT_FREE_DEL,
  STMT_NODE_GET, STMT_NODE_PUT, STMT_NODE_CLEAR,
  STMT_DB_BYTES,
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
  "SELECT c.page_count * s.page_size FROM pragma_page_count AS c, pragma_page_size AS s WHERE c.schema = '%q' AND s.schema = c.schema",
};

static const char *const shadow_suffix[] = { "info", "rowids", "vectors", "free", "nodes" };
#define N_SHADOW 5

struct AnnoyStore {
  sqlite3 *db;
  char *schema, *name;
  AnnoyConfig cfg;
  size_t vbytes;
  sqlite3_stmt *stmt[STMT_COUNT];
  char *errmsg;
  char *broken;               /* why this table cannot be used, if it cannot */

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

  /* Vector cache, indexed by slot. */
  uint8_t *vec;
  sqlite3_int64 *vec_item;
  uint8_t *vec_loaded;
  uint32_t vec_alloc;
  int all_loaded;             /* every live slot is in the cache */
};

/* ---- errors ------------------------------------------------------------------ */

/* Keep the message for store_errmsg() and return rc, or SQLITE_NOMEM when
** there is no memory for the message (a failure must not lose its cause). */
static int store_error(AnnoyStore *s, int rc, const char *fmt, ...){
  va_list ap;
  va_start(ap, fmt);
  sqlite3_free(s->errmsg);
  s->errmsg = sqlite3_vmprintf(fmt, ap);
  va_end(ap);
  return s->errmsg ? rc : SQLITE_NOMEM;
}

/* SQLITE_CORRUPT_VTAB with "annoy table X is corrupt: <detail> (advice)". */
static int corrupt(AnnoyStore *s, const char *fmt, ...){
  va_list ap;
  char *detail;
  int rc;
  va_start(ap, fmt);
  detail = sqlite3_vmprintf(fmt, ap);
  va_end(ap);
  if( detail==0 ) return SQLITE_NOMEM;
  rc = store_error(s, SQLITE_CORRUPT_VTAB,
    "annoy table %s is corrupt: %s (run INSERT INTO %s(%s) VALUES('rebuild') "
    "if the vectors are intact)", s->name, detail, s->name, s->name);
  sqlite3_free(detail);
  return rc;
}

/* The forest failed: use its message, or keep the one a ForestIO callback
** of ours already left in s->errmsg. */
static int forest_failed(AnnoyStore *s, int rc){
  if( rc==SQLITE_NOMEM ) return store_error(s, rc, "out of memory");
  if( s->forest.errmsg[0]==0 ) return s->errmsg ? rc : store_error(s, rc, "%s", sqlite3_errstr(rc));
  if( (rc & 0xff)==SQLITE_CORRUPT ) return corrupt(s, "%s", s->forest.errmsg);
  return store_error(s, rc, "%s", s->forest.errmsg);
}

const char *store_errmsg(AnnoyStore *s){
  return s->errmsg ? s->errmsg : "unknown error";
}

const AnnoyConfig *store_config(AnnoyStore *s){ return &s->cfg; }

/* ---- statements -------------------------------------------------------------- */

static int stmt_get(AnnoyStore *s, int i, sqlite3_stmt **out){
  if( s->stmt[i]==0 ){
    char *sql = sqlite3_mprintf(stmt_sql[i], s->schema, s->name);
    int rc;
    if( sql==0 ) return SQLITE_NOMEM;
    rc = sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s->stmt[i], 0);
    sqlite3_free(sql);
    if( rc ) return store_error(s, rc, "%s", sqlite3_errmsg(s->db));
  }
  *out = s->stmt[i];
  return SQLITE_OK;
}

/* Step a statement that returns no rows (or ignore them), then reset. */
static int stmt_run(AnnoyStore *s, sqlite3_stmt *st){
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  if( rc==SQLITE_DONE || rc==SQLITE_ROW ) return SQLITE_OK;
  return store_error(s, rc, "%s", sqlite3_errmsg(s->db));
}

static void finalize_all(AnnoyStore *s){
  int i;
  for(i=0; i<STMT_COUNT; i++){ sqlite3_finalize(s->stmt[i]); s->stmt[i] = 0; }
}

static int info_get_int(AnnoyStore *s, const char *key, sqlite3_int64 *value, int *found){
  sqlite3_stmt *st;
  int rc = stmt_get(s, STMT_INFO_GET, &st);
  if( rc ) return rc;
  sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
  rc = sqlite3_step(st);
  *found = 0;
  if( rc==SQLITE_ROW ){
    if( sqlite3_column_type(st, 0)!=SQLITE_INTEGER ){
      sqlite3_reset(st);
      return corrupt(s, "a value in the _info table is not an integer");
    }
    *value = sqlite3_column_int64(st, 0);
    *found = 1;
  }
  rc = sqlite3_reset(st);
  if( rc ) return store_error(s, rc, "%s", sqlite3_errmsg(s->db));
  return SQLITE_OK;
}

static int info_set_int(AnnoyStore *s, const char *key, sqlite3_int64 value){
  sqlite3_stmt *st;
  int rc = stmt_get(s, STMT_INFO_SET, &st);
  if( rc ) return rc;
  sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 2, value);
  return stmt_run(s, st);
}

/* ---- node codec ------------------------------------------------------------------ */

static void put_u32(uint8_t *p, uint32_t v){
  p[0] = (uint8_t)v; p[1] = (uint8_t)(v>>8); p[2] = (uint8_t)(v>>16); p[3] = (uint8_t)(v>>24);
}
static uint32_t get_u32(const uint8_t *p){
  return (uint32_t)p[0] | (uint32_t)p[1]<<8 | (uint32_t)p[2]<<16 | (uint32_t)p[3]<<24;
}
static void put_f32(uint8_t *p, float f){ uint32_t v; memcpy(&v, &f, 4); put_u32(p, v); }
static float get_f32(const uint8_t *p){ uint32_t v = get_u32(p); float f; memcpy(&f, &v, 4); return f; }

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
    put_u32(p+1, n->child[0]);
    put_u32(p+5, n->child[1]);
    if( cfg->type==VEC_BIT ){
      put_u32(p+9, n->bit);
    }else{
      put_f32(p+9, n->scale);
      put_f32(p+13, n->threshold);
      memcpy(p+17, n->normal, (size_t)cfg->dim);
    }
  }else{
    put_u32(p+1, n->count);
    for(i=0; i<n->count; i++) put_u32(p+5+4*i, n->slots[i]);
  }
  *len = (int)size;
  return p;
}

static int node_decode(AnnoyStore *s, uint32_t id, const uint8_t *p, int len,
                       ForestNode **out){
  const ForestConfig *cfg = &s->cfg.forest;
  ForestNode *n;
  uint32_t i;
  *out = 0;
  if( len<5 || (p[0]!=NODE_LEAF && p[0]!=NODE_SPLIT) ){
    return corrupt(s, "node %u is malformed", id);
  }
  if( p[0]==NODE_SPLIT ){
    if( (size_t)len!=split_bytes(cfg) ){
      return corrupt(s, "split node %u has %d bytes", id, len);
    }
    if( (n = forest_node_new(cfg, 1, 0))==0 ) return SQLITE_NOMEM;
    n->child[0] = get_u32(p+1);
    n->child[1] = get_u32(p+5);
    if( cfg->type==VEC_BIT ){
      n->bit = get_u32(p+9);
    }else{
      n->scale = get_f32(p+9);
      n->threshold = get_f32(p+13);
      memcpy(n->normal, p+17, (size_t)cfg->dim);
      if( !(n->scale>0) || !isfinite(n->scale) || !isfinite(n->threshold) ){
        forest_node_free(n);
        return corrupt(s, "split node %u is not finite", id);
      }
    }
  }else{
    uint32_t count = get_u32(p+1);
    if( (size_t)len != 5 + 4*(size_t)count ){
      return corrupt(s, "leaf %u: %u slots in %d bytes", id, count, len);
    }
    if( (n = forest_node_new(cfg, 0, count))==0 ) return SQLITE_NOMEM;
    for(i=0; i<count; i++){
      n->slots[i] = get_u32(p+5+4*i);
      if( n->slots[i]>=s->next_slot ){
        forest_node_free(n);
        return corrupt(s, "leaf %u holds slot %u, beyond %u",
                           id, get_u32(p+5+4*i), s->next_slot);
      }
    }
    n->count = count;
  }
  *out = n;
  return SQLITE_OK;
}

/* ForestIO: read a node. */
static int io_load_node(void *ctx, uint32_t id, ForestNode **out){
  AnnoyStore *s = ctx;
  sqlite3_stmt *st;
  int rc = stmt_get(s, STMT_NODE_GET, &st);
  if( rc ) return rc;
  sqlite3_bind_int64(st, 1, id);
  rc = sqlite3_step(st);
  if( rc==SQLITE_ROW ){
    rc = node_decode(s, id, sqlite3_column_blob(st, 0), sqlite3_column_bytes(st, 0), out);
    sqlite3_reset(st);
    return rc;
  }
  sqlite3_reset(st);
  if( rc==SQLITE_DONE ) return corrupt(s, "node %u is missing", id);
  return store_error(s, rc, "%s", sqlite3_errmsg(s->db));
}

/* ---- vector cache ---------------------------------------------------------------- */

static int cache_reserve(AnnoyStore *s, uint32_t n_slots){
  uint32_t alloc = s->vec_alloc ? s->vec_alloc : 1024;
  void *a, *b, *c;
  if( n_slots<=s->vec_alloc ) return SQLITE_OK;
  while( alloc<n_slots ) alloc = alloc>0x7FFFFFFFu ? 0xFFFFFFFFu : alloc*2;
  a = sqlite3_realloc64(s->vec, (sqlite3_uint64)alloc*s->vbytes);
  if( a==0 ) return SQLITE_NOMEM;
  s->vec = a;
  b = sqlite3_realloc64(s->vec_item, (sqlite3_uint64)alloc*sizeof(sqlite3_int64));
  if( b==0 ) return SQLITE_NOMEM;
  s->vec_item = b;
  c = sqlite3_realloc64(s->vec_loaded, alloc);
  if( c==0 ) return SQLITE_NOMEM;
  s->vec_loaded = c;
  memset(s->vec_loaded + s->vec_alloc, 0, alloc - s->vec_alloc);
  s->vec_alloc = alloc;
  return SQLITE_OK;
}

static int cache_put(AnnoyStore *s, uint32_t slot, sqlite3_int64 item, const void *v){
  int rc = cache_reserve(s, slot+1);
  if( rc ) return rc;
  memcpy(s->vec + (size_t)slot*s->vbytes, v, s->vbytes);
  s->vec_item[slot] = item;
  s->vec_loaded[slot] = 1;
  return SQLITE_OK;
}

static int vector_row_ok(AnnoyStore *s, const void *v, int len){
  uint32_t i;
  if( (size_t)len!=s->vbytes ) return 0;
  if( s->cfg.forest.type==VEC_FLOAT32 ){
    for(i=0; i<(uint32_t)s->cfg.forest.dim; i++){
      float f;
      memcpy(&f, (const char*)v + 4*i, 4);
      if( !isfinite(f) ) return 0;
    }
  }
  return 1;
}

/* Bring slot's vector and rowid into the cache. */
static int cache_load(AnnoyStore *s, uint32_t slot){
  sqlite3_stmt *st;
  int rc;
  if( slot>=s->next_slot ) return corrupt(s, "slot %u is out of range", slot);
  if( slot<s->vec_alloc && s->vec_loaded[slot] ) return SQLITE_OK;
  if( (rc = stmt_get(s, STMT_VEC_GET, &st)) ) return rc;
  sqlite3_bind_int64(st, 1, slot);
  rc = sqlite3_step(st);
  if( rc==SQLITE_ROW ){
    const void *v = sqlite3_column_blob(st, 1);
    if( !vector_row_ok(s, v, sqlite3_column_bytes(st, 1)) ){
      sqlite3_reset(st);
      return corrupt(s, "the vector in slot %u is malformed", slot);
    }
    rc = cache_put(s, slot, sqlite3_column_int64(st, 0), v);
    sqlite3_reset(st);
    return rc;
  }
  sqlite3_reset(st);
  if( rc==SQLITE_DONE ) return corrupt(s, "the vector of slot %u is missing", slot);
  return store_error(s, rc, "%s", sqlite3_errmsg(s->db));
}

/* Read every stored vector into the cache (for exact scans). */
static int cache_load_all(AnnoyStore *s){
  sqlite3_stmt *st;
  int rc;
  if( s->all_loaded ) return SQLITE_OK;
  if( (rc = stmt_get(s, STMT_VEC_ALL, &st)) ) return rc;
  if( (rc = cache_reserve(s, s->next_slot)) ) return rc;
  while( (rc = sqlite3_step(st))==SQLITE_ROW ){
    sqlite3_int64 slot = sqlite3_column_int64(st, 0);
    const void *v = sqlite3_column_blob(st, 2);
    if( slot<0 || slot>=s->next_slot || !vector_row_ok(s, v, sqlite3_column_bytes(st, 2)) ){
      sqlite3_reset(st);
      return corrupt(s, "vector row %lld is malformed", slot);
    }
    if( !s->vec_loaded[slot] ) cache_put(s, (uint32_t)slot, sqlite3_column_int64(st, 1), v);
  }
  sqlite3_reset(st);
  if( rc!=SQLITE_DONE ) return store_error(s, rc, "%s", sqlite3_errmsg(s->db));
  s->all_loaded = 1;
  return SQLITE_OK;
}

static void cache_drop(AnnoyStore *s){
  sqlite3_free(s->vec); s->vec = 0;
  sqlite3_free(s->vec_item); s->vec_item = 0;
  sqlite3_free(s->vec_loaded); s->vec_loaded = 0;
  s->vec_alloc = 0;
  s->all_loaded = 0;
}

/* ForestIO: a slot's vector. */
static int io_load_vector(void *ctx, uint32_t slot, const void **out){
  AnnoyStore *s = ctx;
  int rc = SQLITE_OK;
  if( slot>=s->vec_alloc || !s->vec_loaded[slot] ) rc = cache_load(s, slot);
  *out = rc ? 0 : s->vec + (size_t)slot*s->vbytes;
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

static int read_counter(AnnoyStore *s, const char *key, sqlite3_int64 max, sqlite3_int64 *out){
  int found, rc = info_get_int(s, key, out, &found);
  if( rc ) return rc;
  if( !found || *out<0 || *out>max ) rc = corrupt(s, "_info.%s is missing or out of range", key);
  return rc;
}

/* The counters size arrays (8 bytes per node, a byte per slot, zeroed at
** once), so a damaged one must not ask for more than the file could hold:
** every node and every slot (a _vectors or _free row) takes at least 4
** bytes of the database. */
static int check_counters_fit(AnnoyStore *s, sqlite3_int64 next_slot, sqlite3_int64 nodes){
  sqlite3_stmt *st;
  sqlite3_int64 bytes;
  int rc = stmt_get(s, STMT_DB_BYTES, &st);
  if( rc ) return rc;
  rc = sqlite3_step(st);
  bytes = sqlite3_column_int64(st, 0);
  sqlite3_reset(st);
  if( rc!=SQLITE_ROW ) return store_error(s, rc, "%s", sqlite3_errmsg(s->db));
  if( nodes>bytes/4 ){
    return corrupt(s, "_info.nodes is %lld, more than a database of %lld bytes holds", nodes, bytes);
  }
  if( next_slot>bytes/4 ){
    return corrupt(s, "_info.next_slot is %lld, more than a database of %lld bytes holds", next_slot, bytes);
  }
  return SQLITE_OK;
}

/* Make the cache agree with the database; call before every operation. */
static int store_ready(AnnoyStore *s){
  unsigned version = 0;
  sqlite3_int64 generation, next_slot, nodes, count;
  ForestIO io = { 0, io_load_node, io_load_vector };
  int rc;
  if( s->broken ) return store_error(s, SQLITE_CORRUPT_VTAB, "%s", s->broken);
  if( s->loaded && (s->counters_dirty || s->forest.n_dirty) ) return SQLITE_OK;  /* our own write txn */
  sqlite3_file_control(s->db, s->schema, SQLITE_FCNTL_DATA_VERSION, &version);
  if( s->loaded && version==s->data_version ) return SQLITE_OK;
  if( (rc = read_counter(s, "generation", INT64_MAX, &generation)) ) return rc;
  if( s->loaded && generation==s->generation ){
    s->data_version = version;
    return SQLITE_OK;
  }
  store_discard(s);
  if( (rc = read_counter(s, "next_slot", 0xFFFFFFFFll, &next_slot))
   || (rc = read_counter(s, "nodes", 0xFFFFFFFFll, &nodes))
   || (rc = read_counter(s, "count", next_slot, &count))
   || (rc = check_counters_fit(s, next_slot, nodes)) ){
    return rc;
  }
  s->next_slot = (uint32_t)next_slot;
  s->count = count;
  s->generation = generation;
  io.ctx = s;
  rc = forest_open(&s->forest, &s->cfg.forest, &io, (uint32_t)nodes);
  if( rc ){
    rc = forest_failed(s, rc);
    forest_close(&s->forest);
    return rc;
  }
  if( nodes==0 ) s->counters_dirty = 1;    /* fresh roots to write */
  /* Room for every slot now, so vector pointers stay put during a search. */
  if( (rc = cache_reserve(s, s->next_slot)) ){
    forest_close(&s->forest);
    return rc;
  }
  s->loaded = 1;
  s->data_version = version;
  return SQLITE_OK;
}

static int flush_pending(AnnoyStore *s);

/* Write pending node changes and counters. The user's last_insert_rowid
** must not see our own INSERTs into the shadow tables. */
int store_refresh(AnnoyStore *s){ return store_ready(s); }

int store_flush(AnnoyStore *s){
  sqlite3_int64 last_rowid = sqlite3_last_insert_rowid(s->db);
  int rc;
  if( !s->loaded || (!s->counters_dirty && s->forest.n_dirty==0) ) return SQLITE_OK;
  rc = flush_pending(s);
  sqlite3_set_last_insert_rowid(s->db, last_rowid);
  return rc;
}

static int flush_pending(AnnoyStore *s){
  sqlite3_stmt *st;
  uint32_t i;
  int rc;
  if( s->rebuilt ){
    if( (rc = stmt_get(s, STMT_NODE_CLEAR, &st)) || (rc = stmt_run(s, st)) ) return rc;
    s->rebuilt = 0;
  }
  if( (rc = stmt_get(s, STMT_NODE_PUT, &st)) ) return rc;
  for(i=0; i<s->forest.n_dirty; i++){
    uint32_t id = s->forest.dirty[i];
    int len;
    uint8_t *blob = node_encode(&s->cfg.forest, s->forest.node[id], &len);
    if( blob==0 ) return SQLITE_NOMEM;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_blob(st, 2, blob, len, sqlite3_free);
    if( (rc = stmt_run(s, st)) ) return rc;
  }
  if( (rc = info_set_int(s, "next_slot", s->next_slot))
   || (rc = info_set_int(s, "nodes", s->forest.n_nodes))
   || (rc = info_set_int(s, "count", s->count))
   || (rc = info_set_int(s, "generation", s->generation+1)) ){
    return rc;
  }
  s->generation++;
  forest_dirty_clear(&s->forest);
  s->counters_dirty = 0;
  return SQLITE_OK;
}

/* ---- open, close, drop, rename ----------------------------------------------------- */

static int exec_fmt(sqlite3 *db, char **err, const char *fmt, ...){
  va_list ap;
  char *sql;
  int rc;
  va_start(ap, fmt);
  sql = sqlite3_vmprintf(fmt, ap);
  va_end(ap);
  if( sql==0 ) return SQLITE_NOMEM;
  rc = sqlite3_exec(db, sql, 0, 0, err);
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

static int create_tables(AnnoyStore *s, char **err){
  const char *q = s->schema, *n = s->name;
  int rc, i;
  rc = exec_fmt(s->db, err,
    "CREATE TABLE \"%w\".\"%w_info\"(key TEXT PRIMARY KEY, value) WITHOUT ROWID;"
    "CREATE TABLE \"%w\".\"%w_rowids\"(rowid INTEGER PRIMARY KEY, slot INTEGER NOT NULL);"
    "CREATE TABLE \"%w\".\"%w_vectors\"(slot INTEGER PRIMARY KEY, item INTEGER NOT NULL, v BLOB NOT NULL);"
    "CREATE TABLE \"%w\".\"%w_free\"(slot INTEGER PRIMARY KEY);"
    "CREATE TABLE \"%w\".\"%w_nodes\"(id INTEGER PRIMARY KEY, data BLOB NOT NULL);",
    q, n, q, n, q, n, q, n, q, n);
  if( rc ) return rc;
  if( (rc = info_set_int(s, "format", FORMAT_VERSION)) ) return rc;
  for(i=0; i<6; i++){
    if( (rc = info_set_int(s, setting_keys[i], setting_value(&s->cfg, i))) ) return rc;
  }
  if( (rc = info_set_int(s, "next_slot", 0))
   || (rc = info_set_int(s, "nodes", 0))
   || (rc = info_set_int(s, "count", 0))
   || (rc = info_set_int(s, "generation", 0)) ){
    return rc;
  }
  return SQLITE_OK;
}

static int check_tables(AnnoyStore *s, char **err){
  sqlite3_int64 v;
  int found, rc, i;
  rc = info_get_int(s, "format", &v, &found);
  if( rc==SQLITE_OK && !found ) rc = corrupt(s, "no format version in _info");
  if( rc==SQLITE_OK && v!=FORMAT_VERSION ){
    rc = store_error(s, SQLITE_ERROR, "annoy table %s has format %lld; this build reads format %d",
                     s->name, v, FORMAT_VERSION);
  }
  for(i=0; rc==SQLITE_OK && i<6; i++){
    rc = info_get_int(s, setting_keys[i], &v, &found);
    if( rc==SQLITE_OK && (!found || v!=setting_value(&s->cfg, i)) ){
      rc = store_error(s, SQLITE_CORRUPT_VTAB,
        "annoy table %s: _info.%s does not match the table's declaration", s->name, setting_keys[i]);
    }
  }
  /* Without the message a damaged table would be opened as a sound one
  ** (store_open keeps it as s->broken): out of memory instead. */
  if( rc && (*err = sqlite3_mprintf("%s", store_errmsg(s)))==0 ) rc = SQLITE_NOMEM;
  return rc;
}

int store_open(sqlite3 *db, const char *schema, const char *name,
               const AnnoyConfig *cfg, int create, AnnoyStore **out, char **err){
  AnnoyStore *s = sqlite3_malloc64(sizeof(*s));
  int rc;
  *out = 0;
  if( s==0 ) return SQLITE_NOMEM;
  memset(s, 0, sizeof(*s));
  s->db = db;
  s->cfg = *cfg;
  s->vbytes = vec_bytes(cfg->forest.type, cfg->forest.dim);
  s->schema = sqlite3_mprintf("%s", schema);
  s->name = sqlite3_mprintf("%s", name);
  if( s->schema==0 || s->name==0 ){ store_close(s); return SQLITE_NOMEM; }
  rc = create ? create_tables(s, err) : check_tables(s, err);
  if( !create && (rc & 0xff)==SQLITE_CORRUPT ){
    /* Connect anyway, so that the table can still be dropped; every use
    ** reports the damage. */
    s->broken = *err;
    *err = 0;
    rc = SQLITE_OK;
  }
  if( rc ){
    if( *err==0 ) *err = sqlite3_mprintf("%s", store_errmsg(s));
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
  sqlite3_free(s->errmsg);
  sqlite3_free(s->broken);
  sqlite3_free(s);
}

int store_drop(AnnoyStore *s){
  int i, rc = SQLITE_OK;
  char *err = 0;
  store_discard(s);
  finalize_all(s);
  for(i=0; rc==SQLITE_OK && i<N_SHADOW; i++){
    rc = exec_fmt(s->db, &err, "DROP TABLE IF EXISTS \"%w\".\"%w_%s\"", s->schema, s->name, shadow_suffix[i]);
  }
  if( rc ) rc = store_error(s, rc, "%s", err ? err : sqlite3_errstr(rc));
  sqlite3_free(err);
  return rc;
}

int store_rename(AnnoyStore *s, const char *new_name){
  int i, rc = SQLITE_OK;
  char *err = 0, *name;
  if( (rc = store_flush(s)) ) return rc;
  finalize_all(s);
  for(i=0; rc==SQLITE_OK && i<N_SHADOW; i++){
    rc = exec_fmt(s->db, &err, "ALTER TABLE \"%w\".\"%w_%s\" RENAME TO \"%w_%s\"",
                  s->schema, s->name, shadow_suffix[i], new_name, shadow_suffix[i]);
  }
  if( rc ){
    rc = store_error(s, rc, "%s", err ? err : sqlite3_errstr(rc));
    sqlite3_free(err);
    return rc;
  }
  if( (name = sqlite3_mprintf("%s", new_name))==0 ) return SQLITE_NOMEM;
  sqlite3_free(s->name);
  s->name = name;
  return SQLITE_OK;
}

/* ---- rows ------------------------------------------------------------------------- */

int store_lookup(AnnoyStore *s, sqlite3_int64 rowid, uint32_t *slot, int *found){
  sqlite3_stmt *st;
  int rc = stmt_get(s, STMT_ROWID_GET, &st);
  *found = 0;
  if( rc ) return rc;
  sqlite3_bind_int64(st, 1, rowid);
  rc = sqlite3_step(st);
  if( rc==SQLITE_ROW ){
    sqlite3_int64 v = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    if( (rc = store_ready(s)) ) return rc;
    if( v<0 || v>=s->next_slot ) return corrupt(s, "a _rowids row points outside the slots");
    *slot = (uint32_t)v;
    *found = 1;
    return SQLITE_OK;
  }
  sqlite3_reset(st);
  if( rc==SQLITE_DONE ) return SQLITE_OK;
  return store_error(s, rc, "%s", sqlite3_errmsg(s->db));
}

int store_exists(AnnoyStore *s, sqlite3_int64 rowid, int *exists){
  uint32_t slot;
  return store_lookup(s, rowid, &slot, exists);
}

int store_next_rowid(AnnoyStore *s, sqlite3_int64 *rowid){
  sqlite3_stmt *st;
  int rc = stmt_get(s, STMT_ROWID_MAX, &st);
  if( rc ) return rc;
  rc = sqlite3_step(st);
  *rowid = 1;
  if( rc==SQLITE_ROW && sqlite3_column_type(st, 0)!=SQLITE_NULL ){
    sqlite3_int64 max = sqlite3_column_int64(st, 0);
    if( max==INT64_MAX ){
      sqlite3_reset(st);
      return store_error(s, SQLITE_FULL, "no rowid left above %lld; give rowids explicitly", max);
    }
    *rowid = max+1;
  }
  sqlite3_reset(st);
  return SQLITE_OK;
}

int store_vector(AnnoyStore *s, uint32_t slot, const void **vec){
  int rc = store_ready(s);
  if( rc ) return rc;
  return io_load_vector(s, slot, vec);
}

/* Take the smallest free slot, or a new one. */
static int slot_allocate(AnnoyStore *s, uint32_t *slot){
  sqlite3_stmt *st;
  int rc = stmt_get(s, STMT_FREE_FIRST, &st);
  if( rc ) return rc;
  rc = sqlite3_step(st);
  if( rc==SQLITE_ROW ){
    sqlite3_int64 v = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    if( v<0 || v>=s->next_slot ) return corrupt(s, "_free holds slot %lld, beyond %u", v, s->next_slot);
    if( (rc = stmt_get(s, STMT_VEC_GET, &st)) ) return rc;
    sqlite3_bind_int64(st, 1, v);
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    if( rc==SQLITE_ROW ) return corrupt(s, "_free holds slot %lld, which is in use", v);
    *slot = (uint32_t)v;
    if( (rc = stmt_get(s, STMT_FREE_DEL, &st)) ) return rc;
    sqlite3_bind_int64(st, 1, v);
    return stmt_run(s, st);
  }
  sqlite3_reset(st);
  if( rc!=SQLITE_DONE ) return store_error(s, rc, "%s", sqlite3_errmsg(s->db));
  if( s->next_slot==0xFFFFFFFFu ) return store_error(s, SQLITE_FULL, "annoy table %s is full", s->name);
  *slot = s->next_slot++;
  s->counters_dirty = 1;
  return SQLITE_OK;
}

/* Store slot's vector: a new row (is_new) or over the old one. */
static int vector_write(AnnoyStore *s, uint32_t slot, sqlite3_int64 rowid, const void *vec,
                        int is_new){
  sqlite3_stmt *st;
  int rc = stmt_get(s, is_new ? STMT_VEC_ADD : STMT_VEC_SET, &st);
  if( rc ) return rc;
  sqlite3_bind_int64(st, 1, slot);
  sqlite3_bind_int64(st, 2, rowid);
  sqlite3_bind_blob(st, 3, vec, (int)s->vbytes, SQLITE_STATIC);
  rc = sqlite3_step(st);
  sqlite3_reset(st);
  if( rc==SQLITE_CONSTRAINT ) return corrupt(s, "_info.next_slot is below a stored slot");
  if( rc!=SQLITE_DONE ) return store_error(s, rc, "%s", sqlite3_errmsg(s->db));
  return cache_put(s, slot, rowid, vec);
}

static int rowid_write(AnnoyStore *s, sqlite3_int64 rowid, uint32_t slot){
  sqlite3_stmt *st;
  int rc = stmt_get(s, STMT_ROWID_PUT, &st);
  if( rc ) return rc;
  sqlite3_bind_int64(st, 1, rowid);
  sqlite3_bind_int64(st, 2, slot);
  return stmt_run(s, st);
}

static int rowid_erase(AnnoyStore *s, sqlite3_int64 rowid){
  sqlite3_stmt *st;
  int rc = stmt_get(s, STMT_ROWID_DEL, &st);
  if( rc ) return rc;
  sqlite3_bind_int64(st, 1, rowid);
  return stmt_run(s, st);
}

int store_insert(AnnoyStore *s, sqlite3_int64 rowid, const void *vec){
  uint32_t slot = 0;
  int rc;
  if( (rc = store_ready(s)) || (rc = slot_allocate(s, &slot)) ) return rc;
  if( (rc = rowid_write(s, rowid, slot)) || (rc = vector_write(s, slot, rowid, vec, 1)) ) return rc;
  if( (rc = forest_insert(&s->forest, slot, vec)) ) return forest_failed(s, rc);
  s->count++;
  s->counters_dirty = 1;
  return SQLITE_OK;
}

/* Take slot's vector out of the forest (a copy: the cache may move). */
static int forest_take_out(AnnoyStore *s, uint32_t slot){
  const void *v;
  int rc = io_load_vector(s, slot, &v);
  if( rc ) return rc;
  rc = forest_remove(&s->forest, slot, v);
  return rc ? forest_failed(s, rc) : SQLITE_OK;
}

int store_delete(AnnoyStore *s, sqlite3_int64 rowid){
  sqlite3_stmt *st;
  uint32_t slot;
  int found, rc;
  if( (rc = store_ready(s)) || (rc = store_lookup(s, rowid, &slot, &found)) ) return rc;
  if( !found ) return SQLITE_OK;
  if( (rc = forest_take_out(s, slot)) || (rc = rowid_erase(s, rowid)) ) return rc;
  if( (rc = stmt_get(s, STMT_VEC_DEL, &st)) ) return rc;
  sqlite3_bind_int64(st, 1, slot);
  if( (rc = stmt_run(s, st)) ) return rc;
  if( (rc = stmt_get(s, STMT_FREE_ADD, &st)) ) return rc;
  sqlite3_bind_int64(st, 1, slot);
  if( (rc = stmt_run(s, st)) ) return rc;
  s->vec_loaded[slot] = 0;
  s->count--;
  s->counters_dirty = 1;
  return SQLITE_OK;
}

int store_update(AnnoyStore *s, sqlite3_int64 old_rowid, sqlite3_int64 new_rowid,
                 const void *vec){
  uint32_t slot;
  int found, rc;
  if( (rc = store_ready(s)) || (rc = store_lookup(s, old_rowid, &slot, &found)) ) return rc;
  if( !found ) return SQLITE_OK;
  if( (rc = forest_take_out(s, slot)) ) return rc;
  if( new_rowid!=old_rowid ){
    if( (rc = rowid_erase(s, old_rowid)) || (rc = rowid_write(s, new_rowid, slot)) ) return rc;
  }
  if( (rc = vector_write(s, slot, new_rowid, vec, 0)) ) return rc;
  if( (rc = forest_insert(&s->forest, slot, vec)) ) return forest_failed(s, rc);
  s->counters_dirty = 1;
  return SQLITE_OK;
}

int store_rebuild(AnnoyStore *s){
  uint32_t *slots, n = 0, i;
  int rc;
  if( (rc = store_ready(s)) || (rc = cache_load_all(s)) ) return rc;
  slots = sqlite3_malloc64((sqlite3_uint64)(s->next_slot ? s->next_slot : 1)*sizeof(uint32_t));
  if( slots==0 ) return SQLITE_NOMEM;
  for(i=0; i<s->next_slot; i++){
    if( s->vec_loaded[i] ) slots[n++] = i;
  }
  rc = forest_build(&s->forest, slots, n);
  sqlite3_free(slots);
  if( rc ){
    rc = forest_failed(s, rc);
    store_discard(s);
    return rc;
  }
  s->rebuilt = 1;
  s->counters_dirty = 1;
  return SQLITE_OK;
}

/* ---- KNN -------------------------------------------------------------------------- */

int rowid_set_add(RowidSet *set, sqlite3_int64 rowid){
  uint32_t h;
  if( (set->n+1)*2 > (set->mask ? set->mask+1 : 0) ){
    RowidSet bigger = { 0, 0, set->mask ? set->mask*2+1 : 15, 0 };
    uint32_t i;
    bigger.keys = sqlite3_malloc64(((sqlite3_uint64)bigger.mask+1)*sizeof(sqlite3_int64));
    bigger.used = sqlite3_malloc64((sqlite3_uint64)bigger.mask+1);
    if( bigger.keys==0 || bigger.used==0 ){ rowid_set_free(&bigger); return SQLITE_NOMEM; }
    memset(bigger.used, 0, (size_t)bigger.mask+1);
    for(i=0; set->mask && i<=set->mask; i++){
      if( set->used[i] ) rowid_set_add(&bigger, set->keys[i]);
    }
    rowid_set_free(set);
    *set = bigger;
  }
  for(h=(uint32_t)(((uint64_t)rowid*0x9E3779B97F4A7C15ull)>>32) & set->mask;
      set->used[h]; h=(h+1) & set->mask){
    if( set->keys[h]==rowid ) return SQLITE_OK;
  }
  set->used[h] = 1;
  set->keys[h] = rowid;
  set->n++;
  return SQLITE_OK;
}

int rowid_set_has(const RowidSet *set, sqlite3_int64 rowid){
  uint32_t h;
  if( set->n==0 ) return 0;
  for(h=(uint32_t)(((uint64_t)rowid*0x9E3779B97F4A7C15ull)>>32) & set->mask;
      set->used[h]; h=(h+1) & set->mask){
    if( set->keys[h]==rowid ) return 1;
  }
  return 0;
}

void rowid_set_free(RowidSet *set){
  sqlite3_free(set->keys);
  sqlite3_free(set->used);
  memset(set, 0, sizeof(*set));
}

typedef struct FilterCtx { AnnoyStore *s; const RowidSet *set; } FilterCtx;

/* Called with the slot's vector already cached, so its rowid is known. */
static int accept_in_set(void *ctx, uint32_t slot){
  FilterCtx *fc = ctx;
  return rowid_set_has(fc->set, fc->s->vec_item[slot]);
}

/* The automatic search_k: how many distinct candidates to score. Annoy's
** default (trees x k) gives poor recall on real data; this one was chosen
** from the recall measurements in docs/BENCHMARKS.md. */
static int64_t default_search_k(const AnnoyStore *s, int k){
  int64_t want = (int64_t)k * s->cfg.forest.n_trees * 16;
  return want < 2000 ? 2000 : want;
}

/* Exact top-k over all slots, or over the slots of filter's rowids. */
static int knn_exact(AnnoyStore *s, const void *query, Topk *top, const RowidSet *filter){
  DistanceKernel kernel = s->forest.kernel;
  int dim = s->cfg.forest.dim, rc;
  uint32_t i;
  if( filter && filter->n < s->count/8 ){
    for(i=0; i<=filter->mask; i++){
      uint32_t slot;
      const void *v;
      int found;
      if( !filter->used[i] ) continue;
      if( (rc = store_lookup(s, filter->keys[i], &slot, &found)) ) return rc;
      if( !found ) continue;
      if( (rc = io_load_vector(s, slot, &v)) ) return rc;
      topk_push(top, kernel(query, v, dim), slot);
    }
    return SQLITE_OK;
  }
  if( (rc = cache_load_all(s)) ) return rc;
  for(i=0; i<s->next_slot; i++){
    if( !s->vec_loaded[i] ) continue;
    if( filter && !rowid_set_has(filter, s->vec_item[i]) ) continue;
    topk_push(top, kernel(query, s->vec + (size_t)i*s->vbytes, dim), i);
  }
  return SQLITE_OK;
}

int store_knn(AnnoyStore *s, const void *query, int k, int64_t search_k,
              const RowidSet *filter, AnnoyHit **hits_out, int *n_out){
  ForestSearcher local, *searcher;
  Topk *top, exact_top = { 0, 0, 0 };
  AnnoyHit *hits = 0;
  int rc, i;
  *hits_out = 0;
  *n_out = 0;
  if( (rc = store_ready(s)) ) return rc;
  if( search_k==0 ) search_k = s->cfg.search_k ? s->cfg.search_k : default_search_k(s, k);
  if( search_k<k && search_k>=0 ) search_k = k;
  /* A small filter set is cheaper to scan than to search for. */
  if( filter && (int64_t)filter->n <= search_k ) search_k = -1;

  memset(&local, 0, sizeof(local));
  searcher = s->searcher_busy ? &local : &s->searcher;
  s->searcher_busy = 1;
  if( search_k<0 ){
    exact_top.hits = sqlite3_malloc64((sqlite3_uint64)k*sizeof(TopkHit));
    exact_top.k = k;
    rc = exact_top.hits ? knn_exact(s, query, &exact_top, filter) : SQLITE_NOMEM;
    topk_sort(&exact_top);
    top = &exact_top;
  }else{
    FilterCtx fc = { s, filter };
    rc = forest_search(&s->forest, searcher, query, k, search_k,
                       filter ? accept_in_set : 0, &fc);
    if( rc ) rc = forest_failed(s, rc);
    top = &searcher->top;
  }
  if( rc==SQLITE_OK && top->n>0 ){
    hits = sqlite3_malloc64((sqlite3_uint64)top->n*sizeof(AnnoyHit));
    if( hits==0 ) rc = SQLITE_NOMEM;
  }
  for(i=0; rc==SQLITE_OK && i<top->n; i++){
    uint32_t slot = top->hits[i].slot;
    if( (rc = cache_load(s, slot)) ) break;
    hits[i].rowid = s->vec_item[slot];
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

typedef struct Report { sqlite3_str *text; int n; } Report;

static void report(Report *r, const char *fmt, ...){
  va_list ap;
  if( r->n++ >= 20 ) return;               /* enough to act on */
  if( sqlite3_str_length(r->text) ) sqlite3_str_appendchar(r->text, 1, '\n');
  va_start(ap, fmt);
  sqlite3_str_vappendf(r->text, fmt, ap);
  va_end(ap);
}

/* Walk tree t: every slot once, each in the leaf its vector descends to. */
static int check_tree(AnnoyStore *s, int t, uint8_t *seen, Report *r){
  IdStack todo = { 0, 0, 0 };
  uint32_t id = (uint32_t)t, i;
  int rc = SQLITE_OK;
  for(;;){
    ForestNode *n;
    if( (rc = forest_node(&s->forest, id, &n)) ){
      if( (rc & 0xff)!=SQLITE_CORRUPT ) break;
      report(r, "tree %d: %s", t, s->forest.errmsg[0] ? s->forest.errmsg : store_errmsg(s));
      rc = SQLITE_OK;
    }else if( n->is_split ){
      if( (rc = id_stack_push(&todo, n->child[1])) || (rc = id_stack_push(&todo, n->child[0])) ) break;
    }else{
      for(i=0; i<n->count; i++){
        uint32_t slot = n->slots[i], leaf;
        const void *v;
        if( !s->vec_loaded[slot] ){ report(r, "tree %d: leaf %u holds free slot %u", t, id, slot); continue; }
        if( seen[slot] ){ report(r, "tree %d: slot %u appears twice", t, slot); continue; }
        seen[slot] = 1;
        if( (rc = io_load_vector(s, slot, &v)) ) break;
        if( (rc = forest_descend(&s->forest, (uint32_t)t, v, &leaf)) ) break;
        if( leaf!=id ){
          report(r, "tree %d: rowid %lld (slot %u) is in leaf %u but its vector leads to leaf %u",
                 t, s->vec_item[slot], slot, id, leaf);
        }
      }
      if( rc ) break;
    }
    if( todo.n==0 ) break;
    id = todo.id[--todo.n];
  }
  sqlite3_free(todo.id);
  return rc;
}

int store_check(AnnoyStore *s, char **out){
  Report r;
  uint8_t *seen = 0;
  sqlite3_int64 n_rowids = 0;
  uint32_t i;
  int t, rc;
  char *sql;
  sqlite3_stmt *st = 0;

  *out = 0;
  if( (rc = store_flush(s)) ) return rc;
  store_discard(s);
  r.text = sqlite3_str_new(s->db);
  r.n = 0;
  if( (rc = store_ready(s)) ){
    if( (rc & 0xff)!=SQLITE_CORRUPT ) goto done;
    report(&r, "%s", store_errmsg(s));
    rc = SQLITE_OK;
    goto finish;
  }
  if( (rc = cache_load_all(s)) ){
    if( (rc & 0xff)!=SQLITE_CORRUPT ) goto done;
    report(&r, "%s", store_errmsg(s));
    rc = SQLITE_OK;
    goto finish;
  }
  /* rowids <-> vectors */
  sql = sqlite3_mprintf("SELECT rowid, slot FROM \"%w\".\"%w_rowids\"", s->schema, s->name);
  if( sql==0 ){ rc = SQLITE_NOMEM; goto done; }
  rc = sqlite3_prepare_v2(s->db, sql, -1, &st, 0);
  sqlite3_free(sql);
  if( rc ){ rc = store_error(s, rc, "%s", sqlite3_errmsg(s->db)); goto done; }
  while( sqlite3_step(st)==SQLITE_ROW ){
    sqlite3_int64 rowid = sqlite3_column_int64(st, 0), slot = sqlite3_column_int64(st, 1);
    n_rowids++;
    if( slot<0 || slot>=s->next_slot || !s->vec_loaded[slot] ){
      report(&r, "rowid %lld points to slot %lld, which holds no vector", rowid, slot);
    }else if( s->vec_item[slot]!=rowid ){
      report(&r, "rowid %lld points to slot %lld, which belongs to rowid %lld",
             rowid, slot, s->vec_item[slot]);
    }
  }
  if( (rc = sqlite3_finalize(st)) ){ store_error(s, rc, "%s", sqlite3_errmsg(s->db)); goto done; }
  if( n_rowids!=s->count ) report(&r, "_info.count is %lld but %lld rowids are stored", s->count, n_rowids);
  sql = sqlite3_mprintf("SELECT slot FROM \"%w\".\"%w_free\"", s->schema, s->name);
  if( sql==0 ){ rc = SQLITE_NOMEM; goto done; }
  rc = sqlite3_prepare_v2(s->db, sql, -1, &st, 0);
  sqlite3_free(sql);
  if( rc ){ rc = store_error(s, rc, "%s", sqlite3_errmsg(s->db)); goto done; }
  while( sqlite3_step(st)==SQLITE_ROW ){
    sqlite3_int64 slot = sqlite3_column_int64(st, 0);
    if( slot<0 || slot>=s->next_slot ) report(&r, "_free holds slot %lld, beyond %u", slot, s->next_slot);
    else if( s->vec_loaded[slot] ) report(&r, "_free holds slot %lld, which is in use", slot);
  }
  if( (rc = sqlite3_finalize(st)) ){ store_error(s, rc, "%s", sqlite3_errmsg(s->db)); goto done; }

  seen = sqlite3_malloc64(s->next_slot ? s->next_slot : 1);
  if( seen==0 ){ rc = SQLITE_NOMEM; goto done; }
  for(t=0; t<s->cfg.forest.n_trees; t++){
    memset(seen, 0, s->next_slot);
    if( (rc = check_tree(s, t, seen, &r)) ) goto done;
    for(i=0; i<s->next_slot; i++){
      if( s->vec_loaded[i] && !seen[i] ){
        report(&r, "tree %d: rowid %lld (slot %u) is not reachable", t, s->vec_item[i], i);
      }
    }
  }
finish:
  if( r.n>20 ) sqlite3_str_appendf(r.text, "\n... and %d more problems", r.n-20);
  if( r.n==0 ) sqlite3_str_appendall(r.text, "ok");
  *out = sqlite3_str_finish(r.text);
  r.text = 0;
  if( *out==0 ) rc = SQLITE_NOMEM;
done:
  sqlite3_free(seen);
  if( r.text ) sqlite3_free(sqlite3_str_finish(r.text));
  store_discard(s);
  return rc;
}
