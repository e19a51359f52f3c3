/*
** wordindex_vtab.c — the "wordindex" virtual table module: an inverted file
** of images' visual words, kept in SQLite tables (wordindex_store.c) and
** updated by ordinary INSERT, UPDATE and DELETE.
**
**   CREATE VIRTUAL TABLE image_words USING wordindex(hamming=11);
**   INSERT INTO image_words(rowid, words) VALUES (:id, img_words(:sift, :vocab));
**   SELECT rowid, score, mirrored FROM image_words
**    WHERE words MATCH img_words(:qsift, :vocab)
**      AND mirror = img_words(:qsift, :vocab, 1)      -- optional
**      AND k = 50;
**
** Columns: words (the document's words blob), and hidden score (REAL,
** wordindex.h: about 1 for the query itself), mirrored (1 when the mirror
** query gave most of the votes), mirror and k (query inputs).  Option:
** hamming = how many of the 32 signature bits may differ for a vote
** (0..32, default 11).  Without MATCH the table is its documents, by rowid.
**
** THE xBestIndex CONTRACT (written down once, read back by xFilter):
**   idxNum PLAN_SCAN    every row in rowid order
**          PLAN_ROWID   rowid = argv[0]
**          PLAN_SEARCH  idxStr has one letter per argv[] entry:
**                       'q' the query (MATCH), 'm' mirror, 'k' k or LIMIT
**   Search results come best first; ORDER BY score DESC is consumed.
**
** May call: wordindex.h, wordindex_store.h, image/words_blob.h, error.h.
*/
#include <stdlib.h>
#include <string.h>
#include "error.h"
#include "wordindex.h"
#include "wordindex_vtab.h"

#define COL_WORDS     0
#define COL_SCORE     1
#define COL_MIRRORED  2
#define COL_MIRROR    3
#define COL_K         4
#define COL_COMMAND   5    /* named as the table: INSERT INTO t(t) VALUES('optimize') */

#define PLAN_SCAN   1
#define PLAN_ROWID  2
#define PLAN_SEARCH 3

#define K_DEFAULT 10
#define K_MAX     100000

#define LARGEST_ROWID ((sqlite3_int64)(((sqlite3_uint64)1 << 63) - 1))

typedef struct WordIndexTable {
  sqlite3_vtab base;
  sqlite3 *db;
  char *name;
  WordIndex x;               /* the store and the postings not yet written */
  int hamming;
} WordIndexTable;

typedef struct WordIndexCursor {
  sqlite3_vtab_cursor base;
  WordIndexScan *scan;       /* PLAN_SCAN / PLAN_ROWID */
  sqlite3_int64 rowid;
  const unsigned char *words;    /* the scan row's, into the scan */
  size_t n_words;
  WordIndexHit *hits;        /* PLAN_SEARCH */
  int n_hits, i_hit;
  int eof;
} WordIndexCursor;

/* A store call failed: its message (taken over) becomes the table's. */
static int vtab_failed(WordIndexTable *t, int rc, char *zErr){
  if( rc==SQLITE_NOMEM || zErr==0 ){
    sqlite3_free(zErr);
    return rc==SQLITE_OK ? SQLITE_NOMEM : rc;
  }
  sqlite3_free(t->base.zErrMsg);
  t->base.zErrMsg = zErr;
  return rc;
}

/* ---- create, connect ---------------------------------------------------------------- */

static int parse_options(int argc, const char *const *argv, int *hamming, char **pzErr){
  int i;
  *hamming = WORDINDEX_DEFAULT_HAMMING;
  for(i=3; i<argc; i++){
    const char *z = argv[i];
    char *end = 0;
    long v;
    while( *z==' ' ) z++;
    if( strncmp(z, "hamming", 7)!=0 || strchr(z, '=')==0 ){
      return error_set(pzErr, SQLITE_ERROR,
                       "wordindex: unknown option '%s' (the one option is hamming=N)", argv[i]);
    }
    z = strchr(z, '=') + 1;
    v = strtol(z, &end, 10);
    while( end && *end==' ' ) end++;
    if( end==z || *end || v<0 || v>WORDS_SIGNATURE_BITS ){
      return error_set(pzErr, SQLITE_ERROR, "wordindex: hamming must be 0..%d",
                       WORDS_SIGNATURE_BITS);
    }
    *hamming = (int)v;
  }
  return SQLITE_OK;
}

static int wordindex_init(sqlite3 *db, int argc, const char *const *argv,
                          sqlite3_vtab **out, char **pzErr, int create){
  WordIndexTable *t;
  int hamming, rc = parse_options(argc, argv, &hamming, pzErr);
  *out = 0;
  if( rc ) return rc;
  {
    char *zDecl = sqlite3_mprintf("CREATE TABLE x(words BLOB, score REAL HIDDEN,"
                                  " mirrored INTEGER HIDDEN, mirror BLOB HIDDEN,"
                                  " k INTEGER HIDDEN, \"%w\" HIDDEN)", argv[2]);
    rc = zDecl ? sqlite3_declare_vtab(db, zDecl) : SQLITE_NOMEM;
    sqlite3_free(zDecl);
  }
  if( rc ) return rc;
  t = (WordIndexTable*)sqlite3_malloc64(sizeof(*t));
  if( t==0 ) return SQLITE_NOMEM;
  memset(t, 0, sizeof(*t));
  t->db = db;
  t->hamming = hamming;
  t->name = sqlite3_mprintf("%s", argv[2]);
  rc = t->name ? wordindex_store_open(db, argv[1], argv[2], create, &t->x.store, pzErr)
               : SQLITE_NOMEM;
  if( rc ){
    sqlite3_free(t->name);
    sqlite3_free(t);
    return rc;
  }
  sqlite3_vtab_config(db, SQLITE_VTAB_CONSTRAINT_SUPPORT, 1);
  *out = &t->base;
  return SQLITE_OK;
}

static int wordindex_create(sqlite3 *db, void *aux, int argc, const char *const *argv,
                            sqlite3_vtab **out, char **pzErr){
  (void)aux;
  return wordindex_init(db, argc, argv, out, pzErr, 1);
}

static int wordindex_connect(sqlite3 *db, void *aux, int argc, const char *const *argv,
                             sqlite3_vtab **out, char **pzErr){
  (void)aux;
  return wordindex_init(db, argc, argv, out, pzErr, 0);
}

static int wordindex_disconnect(sqlite3_vtab *vtab){
  WordIndexTable *t = (WordIndexTable*)vtab;
  wordindex_discard(&t->x);
  wordindex_store_close(t->x.store);
  sqlite3_free(t->name);
  sqlite3_free(t->base.zErrMsg);   /* one SQLite did not take (xSavepoint's) */
  sqlite3_free(t);
  return SQLITE_OK;
}

static int wordindex_destroy(sqlite3_vtab *vtab){
  WordIndexTable *t = (WordIndexTable*)vtab;
  char *zErr = 0;
  int rc = wordindex_store_drop(t->x.store, &zErr);
  return rc ? vtab_failed(t, rc, zErr) : wordindex_disconnect(vtab);
}

static int wordindex_rename(sqlite3_vtab *vtab, const char *new_name){
  WordIndexTable *t = (WordIndexTable*)vtab;
  char *zErr = 0;
  char *name = sqlite3_mprintf("%s", new_name);
  int rc = name ? wordindex_store_rename(t->x.store, new_name, &zErr) : SQLITE_NOMEM;
  if( rc ){
    sqlite3_free(name);
    return vtab_failed(t, rc, zErr);
  }
  sqlite3_free(t->name);
  t->name = name;
  return SQLITE_OK;
}

/* ---- planning ----------------------------------------------------------------------- */

static int wordindex_best_index(sqlite3_vtab *vtab, sqlite3_index_info *info){
  int match = -1, mirror = -1, k = -1, limit = -1, rowid = -1, i, n = 0;
  int unusable = 0;
  char plan[4];
  (void)vtab;
  for(i=0; i<info->nConstraint; i++){
    const struct sqlite3_index_constraint *c = &info->aConstraint[i];
    if( c->op==SQLITE_INDEX_CONSTRAINT_MATCH && c->iColumn==COL_WORDS ){
      if( c->usable ) match = i; else unusable = 1;
    }
    if( !c->usable ) continue;
    if( c->op==SQLITE_INDEX_CONSTRAINT_EQ && c->iColumn==COL_MIRROR ) mirror = i;
    else if( c->op==SQLITE_INDEX_CONSTRAINT_EQ && c->iColumn==COL_K ) k = i;
    else if( c->op==SQLITE_INDEX_CONSTRAINT_LIMIT ) limit = i;
    else if( c->op==SQLITE_INDEX_CONSTRAINT_EQ && c->iColumn<0 ) rowid = i;
  }
  if( match<0 && unusable ) return SQLITE_CONSTRAINT;
  if( match<0 ){
    info->idxNum = rowid>=0 ? PLAN_ROWID : PLAN_SCAN;
    if( rowid>=0 ){
      info->aConstraintUsage[rowid].argvIndex = 1;
      info->aConstraintUsage[rowid].omit = 1;
      info->estimatedCost = 10;
      info->estimatedRows = 1;
      info->idxFlags = SQLITE_INDEX_SCAN_UNIQUE;
    }else{
      info->estimatedCost = 1e6;
    }
    if( info->nOrderBy==1 && info->aOrderBy[0].iColumn<0 && !info->aOrderBy[0].desc ){
      info->orderByConsumed = 1;
    }
    return SQLITE_OK;
  }
  info->idxNum = PLAN_SEARCH;
  plan[n++] = 'q';
  info->aConstraintUsage[match].argvIndex = n;
  info->aConstraintUsage[match].omit = 1;
  if( mirror>=0 ){
    plan[n++] = 'm';
    info->aConstraintUsage[mirror].argvIndex = n;
    info->aConstraintUsage[mirror].omit = 1;
  }
  if( k>=0 || limit>=0 ){
    plan[n++] = 'k';
    info->aConstraintUsage[k>=0 ? k : limit].argvIndex = n;
    info->aConstraintUsage[k>=0 ? k : limit].omit = k>=0;
  }
  plan[n] = 0;
  info->idxStr = sqlite3_mprintf("%s", plan);
  if( info->idxStr==0 ) return SQLITE_NOMEM;
  info->needToFreeIdxStr = 1;
  if( info->nOrderBy==1 && info->aOrderBy[0].iColumn==COL_SCORE && info->aOrderBy[0].desc ){
    info->orderByConsumed = 1;
  }
  info->estimatedCost = 100;
  info->estimatedRows = 10;
  return SQLITE_OK;
}

/* ---- cursors ------------------------------------------------------------------------ */

static int wordindex_open(sqlite3_vtab *vtab, sqlite3_vtab_cursor **out){
  WordIndexCursor *c = (WordIndexCursor*)sqlite3_malloc64(sizeof(*c));
  (void)vtab;
  if( c==0 ) return SQLITE_NOMEM;
  memset(c, 0, sizeof(*c));
  *out = &c->base;
  return SQLITE_OK;
}

static void cursor_reset(WordIndexCursor *c){
  wordindex_scan_close(c->scan);
  sqlite3_free(c->hits);
  memset((char*)c + sizeof(c->base), 0, sizeof(*c) - sizeof(c->base));
}

static int wordindex_close(sqlite3_vtab_cursor *cur){
  cursor_reset((WordIndexCursor*)cur);
  sqlite3_free(cur);
  return SQLITE_OK;
}

static int scan_step(WordIndexCursor *c){
  WordIndexTable *t = (WordIndexTable*)c->base.pVtab;
  char *zErr = 0;
  int rc = wordindex_scan_next(c->scan, &c->rowid, &c->words, &c->n_words, &zErr);
  if( rc==SQLITE_ROW ) return SQLITE_OK;
  c->eof = 1;
  return rc==SQLITE_DONE ? SQLITE_OK : vtab_failed(t, rc, zErr);
}

/* argv[i] as a words blob: SQLITE_OK, or an error naming zWhat. */
static int words_arg(WordIndexTable *t, sqlite3_value *v, const char *zWhat, WordsBlob *out){
  char *zErr = 0;
  int rc;
  if( sqlite3_value_type(v)!=SQLITE_BLOB ){
    return vtab_failed(t, SQLITE_ERROR, sqlite3_mprintf(
        "wordindex: %s must be a words blob (img_words)", zWhat));
  }
  rc = words_blob_parse(sqlite3_value_blob(v), (size_t)sqlite3_value_bytes(v), out, &zErr);
  if( rc ){
    char *zMsg = sqlite3_mprintf("wordindex: %s: %s", zWhat, zErr ? zErr : "not a words blob");
    sqlite3_free(zErr);
    return vtab_failed(t, rc, zMsg);
  }
  return SQLITE_OK;
}

/* ---- transactions: the waiting postings are written at commit and at
** savepoints, and forgotten on rollback (SQLite undoes the rest) ---- */

static int wordindex_flush_vtab(sqlite3_vtab *vtab){
  WordIndexTable *t = (WordIndexTable*)vtab;
  sqlite3_int64 last_rowid = sqlite3_last_insert_rowid(t->db);
  char *zErr = 0;
  int rc = wordindex_flush(&t->x, &zErr);
  sqlite3_set_last_insert_rowid(t->db, last_rowid);   /* moved by our own inserts */
  return rc ? vtab_failed(t, rc, zErr) : SQLITE_OK;
}

static int search(WordIndexCursor *c, const char *plan, int argc, sqlite3_value **argv){
  WordIndexTable *t = (WordIndexTable*)c->base.pVtab;
  WordsBlob query, mirror;
  int has_mirror = 0, k = K_DEFAULT, i, rc = SQLITE_OK;
  char *zErr = 0;
  memset(&query, 0, sizeof(query));
  for(i=0; rc==SQLITE_OK && i<argc && plan[i]; i++){
    if( plan[i]=='q' ){
      if( sqlite3_value_type(argv[i])==SQLITE_NULL ){ c->eof = 1; return SQLITE_OK; }
      rc = words_arg(t, argv[i], "the query (MATCH)", &query);
    }else if( plan[i]=='m' ){
      if( sqlite3_value_type(argv[i])==SQLITE_NULL ) continue;
      rc = words_arg(t, argv[i], "mirror", &mirror);
      has_mirror = 1;
    }else if( plan[i]=='k' ){
      sqlite3_int64 v = sqlite3_value_int64(argv[i]);
      if( sqlite3_value_type(argv[i])!=SQLITE_INTEGER || v<0 || v>K_MAX ){
        return vtab_failed(t, SQLITE_ERROR, sqlite3_mprintf(
            "wordindex: k must be an integer 0..%d", K_MAX));
      }
      k = (int)v;
    }
  }
  if( rc==SQLITE_OK ) rc = wordindex_flush_vtab(&t->base);
  if( rc ) return rc;
  rc = wordindex_search(&t->x, &query, has_mirror ? &mirror : 0, t->hamming, k,
                        &c->hits, &c->n_hits, &zErr);
  if( rc ) return vtab_failed(t, rc, zErr);
  c->eof = c->n_hits==0;
  if( !c->eof ) c->rowid = c->hits[0].rowid;
  return SQLITE_OK;
}

static int wordindex_filter(sqlite3_vtab_cursor *cur, int plan, const char *plan_str,
                            int argc, sqlite3_value **argv){
  WordIndexCursor *c = (WordIndexCursor*)cur;
  WordIndexTable *t = (WordIndexTable*)cur->pVtab;
  char *zErr = 0;
  int rc;
  cursor_reset(c);
  if( plan==PLAN_SEARCH ) return search(c, plan_str, argc, argv);
  if( plan==PLAN_ROWID && sqlite3_value_type(argv[0])!=SQLITE_INTEGER ){
    c->eof = 1;               /* a rowid that is not an integer matches nothing */
    return SQLITE_OK;
  }
  rc = wordindex_scan_open(t->x.store, plan==PLAN_ROWID,
                           plan==PLAN_ROWID ? sqlite3_value_int64(argv[0]) : 0,
                           &c->scan, &zErr);
  return rc ? vtab_failed(t, rc, zErr) : scan_step(c);
}

static int wordindex_next(sqlite3_vtab_cursor *cur){
  WordIndexCursor *c = (WordIndexCursor*)cur;
  if( c->scan ) return scan_step(c);
  if( ++c->i_hit>=c->n_hits ) c->eof = 1;
  else c->rowid = c->hits[c->i_hit].rowid;
  return SQLITE_OK;
}

static int wordindex_eof(sqlite3_vtab_cursor *cur){
  return ((WordIndexCursor*)cur)->eof;
}

static int wordindex_column(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int col){
  WordIndexCursor *c = (WordIndexCursor*)cur;
  WordIndexTable *t = (WordIndexTable*)cur->pVtab;
  if( col==COL_WORDS && c->scan ){
    sqlite3_result_blob64(ctx, c->words, c->n_words, SQLITE_TRANSIENT);
  }else if( col==COL_WORDS ){
    unsigned char *blob = 0;
    size_t n = 0;
    char *zErr = 0;
    int rc = wordindex_store_doc(t->x.store, c->rowid, &blob, &n, &zErr);
    if( rc ){
      if( zErr ) sql_func_errorf(ctx, rc, "%s", zErr); else sqlite3_result_error_code(ctx, rc);
      sqlite3_free(zErr);
    }else if( blob ){
      sqlite3_result_blob64(ctx, blob, n, sqlite3_free);
    }
  }else if( col==COL_SCORE && c->hits ){
    sqlite3_result_double(ctx, c->hits[c->i_hit].score);
  }else if( col==COL_MIRRORED && c->hits ){
    sqlite3_result_int(ctx, c->hits[c->i_hit].mirrored);
  }
  return SQLITE_OK;
}

static int wordindex_rowid(sqlite3_vtab_cursor *cur, sqlite_int64 *rowid){
  *rowid = ((WordIndexCursor*)cur)->rowid;
  return SQLITE_OK;
}

/* ---- changes ------------------------------------------------------------------------ */

/* Make room for rowid: SQLITE_OK when it is free, or taken and the
** statement says OR REPLACE (then it is deleted); else the conflict. */
static int claim_rowid(WordIndexTable *t, sqlite3_int64 rowid, char **pzErr){
  unsigned char *blob = 0;
  size_t n;
  int found, rc = wordindex_store_doc(t->x.store, rowid, &blob, &n, pzErr);
  sqlite3_free(blob);
  if( rc || blob==0 ) return rc;
  if( sqlite3_vtab_on_conflict(t->db)!=SQLITE_REPLACE ){
    return error_set(pzErr, SQLITE_CONSTRAINT, "UNIQUE constraint failed: %s.rowid (%lld)",
                     t->name, (long long)rowid);
  }
  return wordindex_delete(&t->x, rowid, &found, pzErr);
}

/* The rowid an INSERT gets: argv[1], or after the largest one. */
static int new_rowid(WordIndexTable *t, sqlite3_value *v, sqlite3_int64 *rowid, char **pzErr){
  int rc;
  if( sqlite3_value_type(v)!=SQLITE_NULL ){
    *rowid = sqlite3_value_int64(v);
    return SQLITE_OK;
  }
  rc = wordindex_store_max_rowid(t->x.store, rowid, pzErr);
  if( rc==SQLITE_OK && *rowid==LARGEST_ROWID ){
    return error_set(pzErr, SQLITE_FULL, "wordindex: no rowid left after %lld", *rowid);
  }
  (*rowid)++;
  return rc;
}

/* INSERT INTO t(t) VALUES(command): 'optimize' merges every segment into
** one. */
static int command(WordIndexTable *t, sqlite3_value *old_rowid, sqlite3_value *cmd,
                   char **pzErr){
  const char *z = (const char*)sqlite3_value_text(cmd);
  if( sqlite3_value_type(old_rowid)!=SQLITE_NULL ){
    return error_set(pzErr, SQLITE_ERROR, "wordindex: the %s column takes commands in an INSERT",
                     t->name);
  }
  if( z && sqlite3_stricmp(z, "optimize")==0 ) return wordindex_optimize(&t->x, pzErr);
  return error_set(pzErr, SQLITE_ERROR, "wordindex: unknown command '%s' (the one command is "
                   "'optimize')", z ? z : "");
}

static int wordindex_update(sqlite3_vtab *vtab, int argc, sqlite3_value **argv,
                            sqlite_int64 *out_rowid){
  WordIndexTable *t = (WordIndexTable*)vtab;
  sqlite3_int64 last_rowid = sqlite3_last_insert_rowid(t->db), rowid = last_rowid;
  sqlite3_value *words = argc>1 ? argv[2 + COL_WORDS] : 0;
  char *zErr = 0;
  int rc = SQLITE_OK, found, i;
  if( argc==1 ){
    rc = wordindex_delete(&t->x, sqlite3_value_int64(argv[0]), &found, &zErr);
  }else if( sqlite3_value_type(argv[2+COL_COMMAND])!=SQLITE_NULL ){
    rc = command(t, argv[0], argv[2+COL_COMMAND], &zErr);
    *out_rowid = last_rowid;      /* SQLite makes it last_insert_rowid */
  }else if( sqlite3_value_type(words)!=SQLITE_BLOB ){
    zErr = sqlite3_mprintf("wordindex: words must be a words blob (img_words)");
    rc = SQLITE_CONSTRAINT;
  }else if( (sqlite3_value_type(argv[1])!=SQLITE_NULL || sqlite3_value_type(argv[0])!=SQLITE_NULL)
         && sqlite3_value_numeric_type(argv[1])!=SQLITE_INTEGER ){
    zErr = sqlite3_mprintf("wordindex: rowid must be an integer");
    rc = SQLITE_MISMATCH;
  }else{
    for(i=COL_SCORE; rc==SQLITE_OK && i<=COL_K; i++){
      if( sqlite3_value_type(argv[2+i])!=SQLITE_NULL ){
        zErr = sqlite3_mprintf("wordindex: only words and rowid can be written");
        rc = SQLITE_ERROR;
      }
    }
    if( rc==SQLITE_OK ) rc = new_rowid(t, argv[1], &rowid, &zErr);
    if( rc==SQLITE_OK && sqlite3_value_type(argv[0])!=SQLITE_NULL ){       /* UPDATE */
      sqlite3_int64 old_rowid = sqlite3_value_int64(argv[0]);
      if( rowid!=old_rowid ) rc = claim_rowid(t, rowid, &zErr);
      if( rc==SQLITE_OK ) rc = wordindex_delete(&t->x, old_rowid, &found, &zErr);
    }else if( rc==SQLITE_OK ){                                               /* INSERT */
      rc = claim_rowid(t, rowid, &zErr);
    }
    if( rc==SQLITE_OK ){
      rc = wordindex_insert(&t->x, rowid, (const unsigned char*)sqlite3_value_blob(words),
                            (size_t)sqlite3_value_bytes(words), &zErr);
    }
    if( rc==SQLITE_OK ) *out_rowid = rowid;
  }
  /* Our own statements on the shadow tables moved last_insert_rowid. */
  sqlite3_set_last_insert_rowid(t->db, rc==SQLITE_OK && argc>1
                                && sqlite3_value_type(argv[0])==SQLITE_NULL ? rowid : last_rowid);
  return rc ? vtab_failed(t, rc, zErr) : SQLITE_OK;
}

static int wordindex_begin(sqlite3_vtab *vtab){ (void)vtab; return SQLITE_OK; }
static int wordindex_commit(sqlite3_vtab *vtab){ (void)vtab; return SQLITE_OK; }

static int wordindex_rollback(sqlite3_vtab *vtab){
  wordindex_discard(&((WordIndexTable*)vtab)->x);
  return SQLITE_OK;
}

static int wordindex_savepoint(sqlite3_vtab *vtab, int n){
  (void)n;
  return wordindex_flush_vtab(vtab);
}

static int wordindex_release(sqlite3_vtab *vtab, int n){
  (void)vtab; (void)n;
  return SQLITE_OK;
}

static int wordindex_rollback_to(sqlite3_vtab *vtab, int n){
  (void)n;
  return wordindex_rollback(vtab);
}

static int wordindex_shadow_name(const char *suffix){
  return wordindex_store_is_shadow_name(suffix);
}

static const sqlite3_module wordindex_module = {
  3,                        /* iVersion: xShadowName */
  wordindex_create, wordindex_connect, wordindex_best_index,
  wordindex_disconnect, wordindex_destroy,
  wordindex_open, wordindex_close, wordindex_filter, wordindex_next, wordindex_eof,
  wordindex_column, wordindex_rowid, wordindex_update,
  wordindex_begin, wordindex_flush_vtab, wordindex_commit, wordindex_rollback,
  0,                        /* xFindFunction */
  wordindex_rename,
  wordindex_savepoint, wordindex_release, wordindex_rollback_to,
  wordindex_shadow_name
};

int wordindex_register(sqlite3 *db){
  return sqlite3_create_module_v2(db, "wordindex", &wordindex_module, 0, 0);
}
