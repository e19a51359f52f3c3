/*
** wordindex_store.c — the shadow tables of a wordindex table.
**
** DATABASE FORMAT (version 1). For a table NAME:
**
**   CREATE TABLE NAME_info(key TEXT PRIMARY KEY, value) WITHOUT ROWID;
**     format = 1; docs = how many documents; next_segment = the id the
**     next segment gets.
**   CREATE TABLE NAME_docs(id INTEGER PRIMARY KEY, words BLOB NOT NULL);
**     rowid -> the document's words blob (ext/image/words_blob.c), as
**     inserted: what verification reads back.
**   CREATE TABLE NAME_segments(id INTEGER PRIMARY KEY, level INTEGER NOT NULL);
**   CREATE TABLE NAME_postings(seg INTEGER NOT NULL, word INTEGER NOT NULL,
**                              data BLOB NOT NULL, PRIMARY KEY(seg, word))
**                              WITHOUT ROWID;
**     the posting list (postings.h) of one word in one segment.  A
**     segment is the postings of the documents one transaction added, or
**     the merge of several segments (wordindex.c); its rows are adjacent in
**     the b-tree, so writing one appends, and a query reads a word with one
**     seek per segment.
**   CREATE TABLE NAME_counts(block INTEGER PRIMARY KEY, data BLOB NOT NULL);
**     per block of 1024 rowids (rowid >> 10), 1024 x u16 little-endian:
**     each document's feature count (what its votes are divided by;
**     capped at 65535), 0 where there is no document.
**
** May call: shadow.h, postings.h, bytes.h, error.h, SQLite.
*/
#include <string.h>
#include "bytes.h"
#include "error.h"
#include "shadow.h"
#include "wordindex_store.h"

#define FORMAT_VERSION 1
#define COUNTS_BYTES (2*WORDINDEX_BLOCK_DOCS)

static const char *const shadow_suffix[] = { "info", "docs", "segments", "postings", "counts" };
#define N_SHADOW 5

enum {
  STMT_INFO_GET, STMT_INFO_SET,
  STMT_DOC_GET, STMT_DOC_PUT, STMT_DOC_DEL, STMT_DOC_MAX,
  STMT_POST_GET, STMT_POST_PUT, STMT_POST_DEL,
  STMT_SEG_LIST, STMT_SEG_ADD, STMT_SEG_DEL, STMT_SEG_CLEAR,
  STMT_COUNTS_GET, STMT_COUNTS_PUT,
  STMT_COUNT
};

static const char *const stmt_sql[STMT_COUNT] = {
  "SELECT value FROM \"%w\".\"%w_info\" WHERE key=?1",
  "INSERT OR REPLACE INTO \"%w\".\"%w_info\"(key, value) VALUES(?1, ?2)",
  "SELECT words FROM \"%w\".\"%w_docs\" WHERE id=?1",
  "INSERT INTO \"%w\".\"%w_docs\"(id, words) VALUES(?1, ?2)",
  "DELETE FROM \"%w\".\"%w_docs\" WHERE id=?1",
  "SELECT max(id) FROM \"%w\".\"%w_docs\"",
  "SELECT data FROM \"%w\".\"%w_postings\" WHERE seg=?1 AND word=?2",
  "INSERT OR REPLACE INTO \"%w\".\"%w_postings\"(seg, word, data) VALUES(?1, ?2, ?3)",
  "DELETE FROM \"%w\".\"%w_postings\" WHERE seg=?1 AND word=?2",
  "SELECT id, level FROM \"%w\".\"%w_segments\" ORDER BY id",
  "INSERT INTO \"%w\".\"%w_segments\"(id, level) VALUES(?1, ?2)",
  "DELETE FROM \"%w\".\"%w_segments\" WHERE id=?1",
  "DELETE FROM \"%w\".\"%w_postings\" WHERE seg=?1",
  "SELECT data FROM \"%w\".\"%w_counts\" WHERE block=?1",
  "INSERT OR REPLACE INTO \"%w\".\"%w_counts\"(block, data) VALUES(?1, ?2)",
};

struct WordIndexStore {
  ShadowTables t;
};

/* The table's damage as SQLITE_CORRUPT_VTAB. */
static int corrupt(WordIndexStore *s, char **pzErr, const char *zWhat){
  return error_set(pzErr, SQLITE_CORRUPT_VTAB,
      "wordindex table %s is corrupt: %s (drop it and insert the words again)",
      s->t.name, zWhat);
}

/* ---- opening ----------------------------------------------------------------------- */

static int info_get(WordIndexStore *s, const char *zKey, sqlite3_int64 *out,
                    int *found, char **pzErr){
  sqlite3_stmt *st;
  int rc = shadow_stmt(&s->t, STMT_INFO_GET, &st, pzErr);
  *found = 0;
  if( rc ) return rc;
  sqlite3_bind_text(st, 1, zKey, -1, SQLITE_STATIC);
  rc = sqlite3_step(st);
  if( rc==SQLITE_ROW ){
    *found = 1;
    if( sqlite3_column_type(st, 0)!=SQLITE_INTEGER ) *found = -1;
    *out = sqlite3_column_int64(st, 0);
    rc = SQLITE_OK;
  }
  sqlite3_reset(st);
  if( rc!=SQLITE_OK && rc!=SQLITE_DONE ) return shadow_failed(&s->t, rc, pzErr);
  return SQLITE_OK;
}

static int info_set(WordIndexStore *s, const char *zKey, sqlite3_int64 v, char **pzErr){
  sqlite3_stmt *st;
  int rc = shadow_stmt(&s->t, STMT_INFO_SET, &st, pzErr);
  if( rc ) return rc;
  sqlite3_bind_text(st, 1, zKey, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 2, v);
  return shadow_run(&s->t, st, pzErr);
}

static int create_tables(WordIndexStore *s, char **pzErr){
  int rc = shadow_exec(&s->t,
      "CREATE TABLE \"%w\".\"%w_info\"(key TEXT PRIMARY KEY, value) WITHOUT ROWID;", pzErr);
  if( rc==SQLITE_OK ) rc = shadow_exec(&s->t,
      "CREATE TABLE \"%w\".\"%w_docs\"(id INTEGER PRIMARY KEY, words BLOB NOT NULL);", pzErr);
  if( rc==SQLITE_OK ) rc = shadow_exec(&s->t,
      "CREATE TABLE \"%w\".\"%w_segments\"(id INTEGER PRIMARY KEY, level INTEGER NOT NULL);",
      pzErr);
  if( rc==SQLITE_OK ) rc = shadow_exec(&s->t,
      "CREATE TABLE \"%w\".\"%w_postings\"(seg INTEGER NOT NULL, word INTEGER NOT NULL,"
      " data BLOB NOT NULL, PRIMARY KEY(seg, word)) WITHOUT ROWID;", pzErr);
  if( rc==SQLITE_OK ) rc = shadow_exec(&s->t,
      "CREATE TABLE \"%w\".\"%w_counts\"(block INTEGER PRIMARY KEY, data BLOB NOT NULL);",
      pzErr);
  if( rc==SQLITE_OK ) rc = info_set(s, "format", FORMAT_VERSION, pzErr);
  if( rc==SQLITE_OK ) rc = info_set(s, "docs", 0, pzErr);
  if( rc==SQLITE_OK ) rc = info_set(s, "next_segment", 1, pzErr);
  return rc;
}

static int check_format(WordIndexStore *s, char **pzErr){
  sqlite3_int64 v = 0;
  int found, rc = info_get(s, "format", &v, &found, pzErr);
  if( rc ) return rc;
  if( found==1 && v==FORMAT_VERSION ) return SQLITE_OK;
  if( found==1 && v>FORMAT_VERSION ){
    return error_set(pzErr, SQLITE_ERROR, "wordindex table %s has format %lld;"
                     " this build reads format %d", s->t.name, (long long)v, FORMAT_VERSION);
  }
  return corrupt(s, pzErr, "no valid format in its _info table");
}

int wordindex_store_open(sqlite3 *db, const char *schema, const char *name,
                         int create, WordIndexStore **out, char **pzErr){
  WordIndexStore *s = (WordIndexStore*)sqlite3_malloc64(sizeof(*s));
  int rc;
  *out = 0;
  if( s==0 ) return SQLITE_NOMEM;
  memset(s, 0, sizeof(*s));
  rc = shadow_init(&s->t, db, schema, name, shadow_suffix, N_SHADOW, stmt_sql, STMT_COUNT);
  if( rc ){ sqlite3_free(s); return rc; }
  rc = create ? create_tables(s, pzErr) : check_format(s, pzErr);
  if( rc ){
    wordindex_store_close(s);
    return rc;
  }
  *out = s;
  return SQLITE_OK;
}

void wordindex_store_close(WordIndexStore *s){
  if( s==0 ) return;
  shadow_free(&s->t);
  sqlite3_free(s);
}

int wordindex_store_drop(WordIndexStore *s, char **pzErr){
  return shadow_drop(&s->t, pzErr);
}

int wordindex_store_rename(WordIndexStore *s, const char *new_name, char **pzErr){
  return shadow_rename(&s->t, new_name, pzErr);
}

int wordindex_store_is_shadow_name(const char *suffix){
  return shadow_is_suffix(shadow_suffix, N_SHADOW, suffix);
}

/* ---- documents --------------------------------------------------------------------- */

/* A copy of column 0 of st's row (a BLOB), or SQLITE_NOMEM. */
static int column_copy(sqlite3_stmt *st, unsigned char **p, size_t *pn){
  size_t n = (size_t)sqlite3_column_bytes(st, 0);
  const void *data = sqlite3_column_blob(st, 0);
  *p = (unsigned char*)sqlite3_malloc64(n ? n : 1);
  if( *p==0 ) return SQLITE_NOMEM;
  if( n ) memcpy(*p, data, n);
  *pn = n;
  return SQLITE_OK;
}

/* Step st (bound by the caller): its row's blob copied into *p, or NULL
** when there is no row; a value of another type is damage. */
static int blob_row(WordIndexStore *s, sqlite3_stmt *st, unsigned char **p, size_t *pn,
                    const char *zWhat, char **pzErr){
  int rc = sqlite3_step(st);
  *p = 0;
  *pn = 0;
  if( rc==SQLITE_ROW ){
    rc = sqlite3_column_type(st, 0)==SQLITE_BLOB ? column_copy(st, p, pn)
                                                  : corrupt(s, pzErr, zWhat);
  }else if( rc==SQLITE_DONE ){
    rc = SQLITE_OK;
  }else{
    rc = shadow_failed(&s->t, rc, pzErr);
  }
  sqlite3_reset(st);
  return rc;
}

int wordindex_store_doc(WordIndexStore *s, sqlite3_int64 rowid,
                        unsigned char **pBlob, size_t *pn, char **pzErr){
  sqlite3_stmt *st;
  int rc = shadow_stmt(&s->t, STMT_DOC_GET, &st, pzErr);
  *pBlob = 0;
  *pn = 0;
  if( rc ) return rc;
  sqlite3_bind_int64(st, 1, rowid);
  return blob_row(s, st, pBlob, pn, "a document that is not a blob", pzErr);
}

int wordindex_store_put_doc(WordIndexStore *s, sqlite3_int64 rowid,
                            const unsigned char *blob, size_t n, char **pzErr){
  sqlite3_stmt *st;
  int rc = shadow_stmt(&s->t, STMT_DOC_PUT, &st, pzErr);
  if( rc ) return rc;
  sqlite3_bind_int64(st, 1, rowid);
  sqlite3_bind_blob64(st, 2, blob, n, SQLITE_STATIC);
  return shadow_run(&s->t, st, pzErr);
}

int wordindex_store_delete_doc(WordIndexStore *s, sqlite3_int64 rowid, char **pzErr){
  sqlite3_stmt *st;
  int rc = shadow_stmt(&s->t, STMT_DOC_DEL, &st, pzErr);
  if( rc ) return rc;
  sqlite3_bind_int64(st, 1, rowid);
  return shadow_run(&s->t, st, pzErr);
}

int wordindex_store_max_rowid(WordIndexStore *s, sqlite3_int64 *out, char **pzErr){
  sqlite3_stmt *st;
  int rc = shadow_stmt(&s->t, STMT_DOC_MAX, &st, pzErr);
  *out = 0;
  if( rc ) return rc;
  rc = sqlite3_step(st);
  if( rc==SQLITE_ROW ) *out = sqlite3_column_int64(st, 0);
  sqlite3_reset(st);
  return rc==SQLITE_ROW ? SQLITE_OK : shadow_failed(&s->t, rc, pzErr);
}

int wordindex_store_docs(WordIndexStore *s, sqlite3_int64 *out, char **pzErr){
  int found, rc = info_get(s, "docs", out, &found, pzErr);
  if( rc ) return rc;
  if( found!=1 || *out<0 ) return corrupt(s, pzErr, "no valid document count");
  return SQLITE_OK;
}

int wordindex_store_add_docs(WordIndexStore *s, int delta, char **pzErr){
  sqlite3_int64 n;
  int rc = wordindex_store_docs(s, &n, pzErr);
  if( rc ) return rc;
  if( n+delta<0 ) return corrupt(s, pzErr, "a document count below the documents");
  return info_set(s, "docs", n+delta, pzErr);
}

/* ---- segments and postings -------------------------------------------------------- */

int wordindex_store_segments(WordIndexStore *s, WordIndexSegment **out, int *pn, char **pzErr){
  sqlite3_stmt *st;
  WordIndexSegment *seg = 0;
  int n = 0, cap = 0, rc = shadow_stmt(&s->t, STMT_SEG_LIST, &st, pzErr);
  *out = 0;
  *pn = 0;
  if( rc ) return rc;
  while( (rc = sqlite3_step(st))==SQLITE_ROW ){
    sqlite3_int64 level = sqlite3_column_int64(st, 1);
    if( level<0 || level>WORDINDEX_MAX_LEVEL ){
      rc = corrupt(s, pzErr, "a segment with a bad level");
      break;
    }
    if( n==cap ){
      WordIndexSegment *p;
      cap = cap ? 2*cap : 16;
      p = (WordIndexSegment*)sqlite3_realloc64(seg, sizeof(*seg)*(size_t)cap);
      if( p==0 ){ rc = SQLITE_NOMEM; break; }
      seg = p;
    }
    seg[n].id = sqlite3_column_int64(st, 0);
    seg[n].level = (int)level;
    n++;
  }
  sqlite3_reset(st);
  if( rc==SQLITE_DONE ){
    *out = seg;
    *pn = n;
    return SQLITE_OK;
  }
  sqlite3_free(seg);
  return rc==SQLITE_ROW || (rc & 0xff)==SQLITE_CORRUPT || rc==SQLITE_NOMEM
         ? rc : shadow_failed(&s->t, rc, pzErr);
}

int wordindex_store_new_segment(WordIndexStore *s, int level, sqlite3_int64 *id, char **pzErr){
  sqlite3_stmt *st;
  int found, rc = info_get(s, "next_segment", id, &found, pzErr);
  if( rc ) return rc;
  if( found!=1 || *id<1 ) return corrupt(s, pzErr, "no valid next_segment");
  rc = info_set(s, "next_segment", *id + 1, pzErr);
  if( rc==SQLITE_OK ) rc = shadow_stmt(&s->t, STMT_SEG_ADD, &st, pzErr);
  if( rc ) return rc;
  sqlite3_bind_int64(st, 1, *id);
  sqlite3_bind_int(st, 2, level);
  return shadow_run(&s->t, st, pzErr);
}

int wordindex_store_drop_segment(WordIndexStore *s, sqlite3_int64 id, char **pzErr){
  sqlite3_stmt *st;
  int rc = shadow_stmt(&s->t, STMT_SEG_DEL, &st, pzErr);
  if( rc ) return rc;
  sqlite3_bind_int64(st, 1, id);
  rc = shadow_run(&s->t, st, pzErr);
  if( rc==SQLITE_OK ) rc = shadow_stmt(&s->t, STMT_SEG_CLEAR, &st, pzErr);
  if( rc ) return rc;
  sqlite3_bind_int64(st, 1, id);
  return shadow_run(&s->t, st, pzErr);
}

int wordindex_store_postings(WordIndexStore *s, sqlite3_int64 seg, uint32_t word,
                             unsigned char **p, size_t *pn, char **pzErr){
  sqlite3_stmt *st;
  int rc = shadow_stmt(&s->t, STMT_POST_GET, &st, pzErr);
  if( rc ) return rc;
  sqlite3_bind_int64(st, 1, seg);
  sqlite3_bind_int64(st, 2, word);
  rc = blob_row(s, st, p, pn, "a posting list that is not a blob", pzErr);
  if( rc==SQLITE_OK && postings_check(*p, *pn)!=SQLITE_OK ){
    sqlite3_free(*p);
    *p = 0;
    rc = corrupt(s, pzErr, "a posting list with a bad entry");
  }
  return rc;
}

int wordindex_store_put_postings(WordIndexStore *s, sqlite3_int64 seg, uint32_t word,
                                 const unsigned char *p, size_t n, char **pzErr){
  sqlite3_stmt *st;
  int rc = shadow_stmt(&s->t, n ? STMT_POST_PUT : STMT_POST_DEL, &st, pzErr);
  if( rc ) return rc;
  sqlite3_bind_int64(st, 1, seg);
  sqlite3_bind_int64(st, 2, word);
  if( n ) sqlite3_bind_blob64(st, 3, p, n, SQLITE_STATIC);
  return shadow_run(&s->t, st, pzErr);
}

struct WordIndexSegScan {
  WordIndexStore *s;
  sqlite3_stmt *st;
};

int wordindex_segscan_open(WordIndexStore *s, sqlite3_int64 seg, WordIndexSegScan **out,
                           char **pzErr){
  WordIndexSegScan *scan = (WordIndexSegScan*)sqlite3_malloc64(sizeof(*scan));
  char *zSql = sqlite3_mprintf("SELECT word, data FROM \"%w\".\"%w_postings\""
                               " WHERE seg=?1 ORDER BY word", s->t.schema, s->t.name);
  int rc = scan && zSql ? SQLITE_OK : SQLITE_NOMEM;
  *out = 0;
  if( rc==SQLITE_OK ){
    scan->s = s;
    scan->st = 0;
    rc = sqlite3_prepare_v2(s->t.db, zSql, -1, &scan->st, 0);
    if( rc ) rc = shadow_failed(&s->t, rc, pzErr);
  }
  sqlite3_free(zSql);
  if( rc ){
    sqlite3_free(scan);
    return rc;
  }
  sqlite3_bind_int64(scan->st, 1, seg);
  *out = scan;
  return SQLITE_OK;
}

int wordindex_segscan_next(WordIndexSegScan *scan, uint32_t *word,
                           const unsigned char **p, size_t *pn, char **pzErr){
  sqlite3_int64 w;
  int rc = sqlite3_step(scan->st);
  if( rc==SQLITE_DONE ) return rc;
  if( rc!=SQLITE_ROW ) return shadow_failed(&scan->s->t, rc, pzErr);
  w = sqlite3_column_int64(scan->st, 0);
  *p = (const unsigned char*)sqlite3_column_blob(scan->st, 1);
  *pn = (size_t)sqlite3_column_bytes(scan->st, 1);
  if( w<0 || w>UINT32_MAX || sqlite3_column_type(scan->st, 1)!=SQLITE_BLOB
   || postings_check(*p, *pn)!=SQLITE_OK ){
    return corrupt(scan->s, pzErr, "a posting list with a bad entry");
  }
  *word = (uint32_t)w;
  return SQLITE_ROW;
}

void wordindex_segscan_close(WordIndexSegScan *scan){
  if( scan==0 ) return;
  sqlite3_finalize(scan->st);
  sqlite3_free(scan);
}

/* ---- counts ------------------------------------------------------------------------ */

int wordindex_store_counts(WordIndexStore *s, sqlite3_int64 block,
                           uint16_t counts[WORDINDEX_BLOCK_DOCS], char **pzErr){
  sqlite3_stmt *st;
  unsigned char *p = 0;
  size_t n = 0;
  int rc = shadow_stmt(&s->t, STMT_COUNTS_GET, &st, pzErr), i;
  if( rc ) return rc;
  sqlite3_bind_int64(st, 1, block);
  rc = blob_row(s, st, &p, &n, "feature counts that are not a blob", pzErr);
  if( rc ) return rc;
  if( p && n!=COUNTS_BYTES ){
    sqlite3_free(p);
    return corrupt(s, pzErr, "feature counts of the wrong size");
  }
  for(i=0; i<WORDINDEX_BLOCK_DOCS; i++) counts[i] = p ? bytes_get_u16(p + 2*i) : 0;
  sqlite3_free(p);
  return SQLITE_OK;
}

int wordindex_store_put_counts(WordIndexStore *s, sqlite3_int64 block,
                               const uint16_t counts[WORDINDEX_BLOCK_DOCS], char **pzErr){
  unsigned char p[COUNTS_BYTES];
  sqlite3_stmt *st;
  int rc = shadow_stmt(&s->t, STMT_COUNTS_PUT, &st, pzErr), i;
  if( rc ) return rc;
  for(i=0; i<WORDINDEX_BLOCK_DOCS; i++) bytes_put_u16(p + 2*i, counts[i]);
  sqlite3_bind_int64(st, 1, block);
  sqlite3_bind_blob(st, 2, p, COUNTS_BYTES, SQLITE_TRANSIENT);
  return shadow_run(&s->t, st, pzErr);
}

/* ---- scans ------------------------------------------------------------------------- */

struct WordIndexScan {
  WordIndexStore *s;
  sqlite3_stmt *st;
};

int wordindex_scan_open(WordIndexStore *s, int has_rowid, sqlite3_int64 rowid,
                        WordIndexScan **out, char **pzErr){
  WordIndexScan *scan = (WordIndexScan*)sqlite3_malloc64(sizeof(*scan));
  char *zSql;
  int rc;
  *out = 0;
  if( scan==0 ) return SQLITE_NOMEM;
  scan->s = s;
  scan->st = 0;
  zSql = sqlite3_mprintf("SELECT id, words FROM \"%w\".\"%w_docs\"%s ORDER BY id",
                         s->t.schema, s->t.name, has_rowid ? " WHERE id=?1" : "");
  rc = zSql ? sqlite3_prepare_v2(s->t.db, zSql, -1, &scan->st, 0) : SQLITE_NOMEM;
  sqlite3_free(zSql);
  if( rc ){
    sqlite3_free(scan);
    return shadow_failed(&s->t, rc, pzErr);
  }
  if( has_rowid ) sqlite3_bind_int64(scan->st, 1, rowid);
  *out = scan;
  return SQLITE_OK;
}

int wordindex_scan_next(WordIndexScan *scan, sqlite3_int64 *rowid,
                        const unsigned char **blob, size_t *pn, char **pzErr){
  int rc = sqlite3_step(scan->st);
  if( rc==SQLITE_DONE ) return rc;
  if( rc!=SQLITE_ROW ) return shadow_failed(&scan->s->t, rc, pzErr);
  *rowid = sqlite3_column_int64(scan->st, 0);
  *blob = (const unsigned char*)sqlite3_column_blob(scan->st, 1);
  *pn = (size_t)sqlite3_column_bytes(scan->st, 1);
  return SQLITE_ROW;
}

void wordindex_scan_close(WordIndexScan *scan){
  if( scan==0 ) return;
  sqlite3_finalize(scan->st);
  sqlite3_free(scan);
}
