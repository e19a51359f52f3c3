/*
** annoy_vtab.c — the "annoy" virtual table module: SQL in, store calls out.
**
**   CREATE VIRTUAL TABLE items USING annoy(
**     v float32[128],            -- or uint8[N], bit[N]; any column name
**     metric=euclidean,          -- euclidean|angular|cosine|dot|manhattan|hamming
**     trees=16, leaf_size=64, seed=1, search_k=0,
**     album INTEGER, taken TEXT,   -- metadata columns, filtered in the search
**     +caption TEXT);              -- auxiliary columns, only stored
**
** Declared columns: v, hidden distance, k, search_k and a command column
** named after the table (INSERT INTO items(items) VALUES('rebuild')), then
** the metadata and auxiliary columns (annoy_columns.h) as declared.
**
** THE xBestIndex CONTRACT (written down once, read back by xFilter):
**   idxNum  PLAN_SCAN   every row in rowid order        idxStr unused
**           PLAN_ROWID  one row: rowid = ?              argv[0] = rowid
**           PLAN_META   the rows that conditions on metadata columns keep,
**                       in rowid order                  idxStr as below
**           PLAN_KNN    v MATCH ? nearest neighbours    idxStr below
**   For PLAN_KNN, idxStr has one letter per argv[] entry, in order:
**     'q' the query vector (MATCH)     'k' k (= constraint or LIMIT)
**     'o' OFFSET (added to LIMIT)      's' search_k
**     'r' rowid = ? filter             'i' rowid IN (...) filter (all values)
**     'm' 'z' 'n' a condition on a metadata column (TermKind)
**   then, if there are conditions on metadata columns, '\n' and their SQL
**   texts (columns_term), in order, each ended by '\n'. PLAN_META's idxStr
**   is the same with only those letters.
**   KNN results come ordered by distance; ORDER BY distance is consumed.
**
** Errors: store calls return a code and a message (ext/error.h), which
** becomes the table's zErrMsg (store_failed) or an SQL function's error.
**
** May call: annoy_store.h (the vectors and trees), annoy_columns.h (the
** other columns), rowid_set.h, slot_set.h, vector.h, distance.h (names of metrics),
** error.h. Owns no data of its own beyond the per-cursor result list.
*/
#include <math.h>
#include <stdarg.h>
#include <string.h>
#include <strings.h>
#include "sqlite_ext.h"
#include "annoy_columns.h"
#include "annoy_store.h"
#include "annoy_vtab.h"
#include "error.h"
#include "rowid_set.h"
#include "vector.h"

#define COL_VECTOR    0
#define COL_DISTANCE  1
#define COL_K         2
#define COL_SEARCH_K  3
#define COL_COMMAND   4
#define COL_EXTRA     5     /* metadata and auxiliary columns from here */

#define PLAN_SCAN   1
#define PLAN_ROWID  2
#define PLAN_KNN    3
#define PLAN_META   4

#define K_MAX 1000000

/* Per-connection list of open annoy tables, so annoy_check() can find one. */
typedef struct AnnoyConnection AnnoyConnection;

typedef struct AnnoyTable {
  sqlite3_vtab base;
  sqlite3 *db;
  AnnoyStore *store;
  AnnoyColumns *columns;     /* metadata and auxiliary columns (maybe none) */
  char *schema, *name;
  AnnoyConnection *conn;     /* this connection's registry of tables */
  struct AnnoyTable *next;   /* in conn's list */
} AnnoyTable;

typedef struct AnnoyCursor {
  sqlite3_vtab_cursor base;
  int plan;
  int eof;
  /* PLAN_SCAN, PLAN_META */
  StoreScan *scan;
  ColumnsScan *meta;
  /* PLAN_ROWID and PLAN_SCAN: the current row */
  sqlite3_int64 rowid;
  uint32_t slot;
  /* PLAN_KNN */
  AnnoyHit *hits;
  int n_hits, i_hit;
  /* PLAN_KNN without k: results are fetched in growing batches, and rows
  ** already returned are skipped (see knn_widen). */
  int open_ended, batch_k;
  int batch_short;           /* the last search found fewer than batch_k */
  void *query;
  int64_t search_k;
  RowidSet filter, returned;
  int has_filter;
  SlotSet slots;             /* the rows the metadata conditions keep */
  int has_slots;
  double last_distance;
} AnnoyCursor;

/* ---- errors ------------------------------------------------------------------ */

/* Set the table's error message; returns rc, or SQLITE_NOMEM when there is
** no memory for the message, so that the failure is not misreported. */
static int vtab_error(AnnoyTable *t, int rc, const char *fmt, ...){
  va_list ap;
  va_start(ap, fmt);
  sqlite3_free(t->base.zErrMsg);
  t->base.zErrMsg = sqlite3_vmprintf(fmt, ap);
  va_end(ap);
  return t->base.zErrMsg ? rc : SQLITE_NOMEM;
}

/* A store call failed with rc and zErr (taken over): the table's error. A
** failure whose message could not be made is out of memory. */
static int store_failed(AnnoyTable *t, int rc, char *zErr){
  if( rc==SQLITE_NOMEM || zErr==0 ){
    sqlite3_free(zErr);
    return SQLITE_NOMEM;
  }
  sqlite3_free(t->base.zErrMsg);
  t->base.zErrMsg = zErr;
  return rc;
}

/* The same for an SQL function (xColumn, annoy_check). */
static void store_failed_in_function(sqlite3_context *ctx, int rc, char *zErr){
  if( rc==SQLITE_NOMEM || zErr==0 ) sqlite3_result_error_nomem(ctx);
  else sql_func_errorf(ctx, rc, "%s", zErr);
  sqlite3_free(zErr);
}

/* rc from error_set() in xCreate/xConnect: SQLITE_NOMEM when there was no
** memory for the message, so that the failure is not misreported. */
static int init_error(int rc, char **pzErr){
  return rc && *pzErr==0 ? SQLITE_NOMEM : rc;
}

/* ---- registry: annoy_check() finds a connection's tables by name ---------------- */

struct AnnoyConnection { AnnoyTable *tables; };

static AnnoyConnection *annoy_connection_new(void){
  AnnoyConnection *c = sqlite3_malloc64(sizeof(*c));
  if( c ) c->tables = 0;
  return c;
}

static void annoy_connection_free(void *p){ sqlite3_free(p); }

static void registry_remove(AnnoyTable *t){
  AnnoyTable **pp;
  for(pp=&t->conn->tables; *pp; pp=&(*pp)->next){
    if( *pp==t ){ *pp = t->next; return; }
  }
}

/* ---- arguments ---------------------------------------------------------------- */

static void trim(const char **s, size_t *n){
  while( *n>0 && (**s==' ' || **s=='\t' || **s=='\n') ){ (*s)++; (*n)--; }
  while( *n>0 && ((*s)[*n-1]==' ' || (*s)[*n-1]=='\t' || (*s)[*n-1]=='\n') ) (*n)--;
}

static int parse_int(const char *s, size_t n, sqlite3_int64 lo, sqlite3_int64 hi,
                     sqlite3_int64 *out){
  sqlite3_int64 v = 0;
  size_t i;
  int neg = n>0 && s[0]=='-';
  if( n==(size_t)neg || n>(size_t)(19+neg) ) return 1;
  for(i=(size_t)neg; i<n; i++){
    if( s[i]<'0' || s[i]>'9' || v > (INT64_MAX - (s[i]-'0'))/10 ) return 1;
    v = v*10 + (s[i]-'0');
  }
  if( neg ) v = -v;
  if( v<lo || v>hi ) return 1;
  *out = v;
  return 0;
}

/* The length of the column name at the start of p (n bytes): up to the
** first blank, or a quoted name ("v", `v`, [v], 'v') to its closing quote,
** in which a doubled quote stands for one. 0 if a quote is not closed. */
static size_t column_name_len(const char *p, size_t n){
  size_t i;
  char close = p[0]=='"' || p[0]=='`' || p[0]=='\'' ? p[0] : p[0]=='[' ? ']' : 0;
  if( close==0 ){
    for(i=0; i<n && p[i]!=' ' && p[i]!='\t'; i++){}
    return i;
  }
  for(i=1; i<n; i++){
    if( p[i]!=close ) continue;
    if( close!=']' && i+1<n && p[i+1]==close ){ i++; continue; }
    return i+1;
  }
  return 0;
}

/* A column name as SQL wrote it (name_len bytes at p), unquoted. */
static char *column_name(const char *p, size_t name_len){
  char close = p[0]=='"' || p[0]=='`' || p[0]=='\'' ? p[0] : p[0]=='[' ? ']' : 0;
  char *z;
  size_t i, j = 0;
  if( close==0 ) return sqlite3_mprintf("%.*s", (int)name_len, p);
  if( (z = sqlite3_malloc64(name_len))==0 ) return 0;
  for(i=1; i+1<name_len; i++){
    z[j++] = p[i];
    if( p[i]==close && close!=']' ) i++;     /* "" -> " */
  }
  z[j] = 0;
  return z;
}

/* "v float32[128]": column name, element type, dimension. */
static int parse_column(const char *arg, char **col, AnnoyConfig *cfg, char **pzErr){
  const char *p = arg, *type, *lb, *rb;
  size_t n = strlen(arg), name_len;
  sqlite3_int64 dim;
  trim(&p, &n);
  name_len = n>0 ? column_name_len(p, n) : 0;
  type = p + name_len;
  n -= name_len;
  trim(&type, &n);
  lb = memchr(type, '[', n);
  rb = n>0 && type[n-1]==']' ? type+n-1 : 0;
  if( name_len==0 || lb==0 || rb==0 || rb<lb ){
    return init_error(error_set(pzErr, SQLITE_ERROR, "annoy: expected a vector column like 'v float32[128]', got '%s'", arg), pzErr);
  }
  cfg->forest.type = vec_type_from_name(type, (size_t)(lb-type));
  if( cfg->forest.type==0 ){
    return init_error(error_set(pzErr, SQLITE_ERROR, "annoy: unknown element type '%.*s' (use float32, uint8, int8 or bit)",
                           (int)(lb-type), type), pzErr);
  }
  if( parse_int(lb+1, (size_t)(rb-lb-1), 1, 65536, &dim)
   || (cfg->forest.type==VEC_BIT && dim%8!=0) ){
    return init_error(error_set(pzErr, SQLITE_ERROR, "annoy: bad dimension '%.*s' in '%s' (1..65536%s)", (int)(rb-lb-1), lb+1,
                           arg, cfg->forest.type==VEC_BIT ? ", a multiple of 8 for bit" : ""), pzErr);
  }
  cfg->forest.dim = (int)dim;
  if( (*col = column_name(p, name_len))==0 ) return SQLITE_NOMEM;
  if( (*col)[0]==0 ){
    return init_error(error_set(pzErr, SQLITE_ERROR, "annoy: the vector column needs a name, got '%s'", arg), pzErr);
  }
  return SQLITE_OK;
}

/* "key=value" (arg has a '='). */
static int parse_option(const char *arg, AnnoyConfig *cfg, char **pzErr){
  const char *eq = strchr(arg, '='), *key = arg, *val;
  size_t klen, vlen;
  sqlite3_int64 v;
  klen = (size_t)(eq-arg);
  val = eq+1;
  vlen = strlen(val);
  trim(&key, &klen);
  trim(&val, &vlen);
  if( vlen>=2 && (val[0]=='\'' || val[0]=='"') && val[vlen-1]==val[0] ){ val++; vlen -= 2; }
#define KEY_IS(s) (klen==strlen(s) && strncasecmp(key, s, klen)==0)
  if( KEY_IS("metric") ){
    cfg->forest.metric = metric_from_name(val, vlen);
    if( cfg->forest.metric==0 ){
      return init_error(error_set(pzErr, SQLITE_ERROR, "annoy: unknown metric '%.*s' (use euclidean, angular, "
                             "dot, manhattan or hamming)", (int)vlen, val), pzErr);
    }
    return SQLITE_OK;
  }
  if( KEY_IS("trees") ){
    if( parse_int(val, vlen, 1, 1000, &v) ) goto bad_number;
    cfg->forest.n_trees = (int)v;
  }else if( KEY_IS("leaf_size") ){
    if( parse_int(val, vlen, 2, 100000, &v) ) goto bad_number;
    cfg->forest.leaf_size = (int)v;
  }else if( KEY_IS("seed") ){
    if( parse_int(val, vlen, 0, INT64_MAX, &v) ) goto bad_number;
    cfg->forest.seed = (uint64_t)v;
  }else if( KEY_IS("search_k") ){
    if( parse_int(val, vlen, -1, INT64_MAX, &v) || v==0 ) goto bad_number;
    cfg->search_k = v;
  }else{
    return init_error(error_set(pzErr, SQLITE_ERROR, "annoy: unknown option '%.*s' (metric, trees, leaf_size, "
                           "seed, search_k)", (int)klen, key), pzErr);
  }
  return SQLITE_OK;
#undef KEY_IS
bad_number:
  return init_error(error_set(pzErr, SQLITE_ERROR, "annoy: bad value '%.*s' for %.*s (trees 1..1000, leaf_size "
                         "2..100000, seed >= 0, search_k -1 or >= 1)", (int)vlen, val, (int)klen, key), pzErr);
}

/* ---- create / connect / disconnect / destroy ------------------------------------- */

/* Does arg (not an option) declare the vector column: a '[' after its name? */
static int declares_vector(const char *arg){
  const char *p = arg;
  size_t n = strlen(arg), name_len;
  trim(&p, &n);
  if( n>0 && p[0]=='+' ) return 0;
  name_len = n>0 ? column_name_len(p, n) : 0;
  return memchr(p+name_len, '[', n-name_len)!=0;
}

/* "album INTEGER" or "+caption TEXT": a metadata or auxiliary column. */
static int parse_extra_column(const char *arg, ColumnDecl *d, char **pzErr){
  const char *p = arg, *type;
  size_t n = strlen(arg), name_len;
  trim(&p, &n);
  d->aux = n>0 && p[0]=='+';
  if( d->aux ){ p++; n--; trim(&p, &n); }
  name_len = n>0 ? column_name_len(p, n) : 0;
  type = p + name_len;
  n -= name_len;
  trim(&type, &n);
  if( name_len==0 || (n==0 && !d->aux) ){
    return init_error(error_set(pzErr, SQLITE_ERROR, "annoy: expected option=value or a column with its "
                                "type ('album INTEGER', '+caption TEXT'), got '%s'", arg), pzErr);
  }
  if( (d->type = column_type_from_name(type, n, d->aux))==0 ){
    return init_error(error_set(pzErr, SQLITE_ERROR, "annoy: unknown column type '%.*s' in '%s' (metadata "
                                "columns: INTEGER, REAL, TEXT, BOOLEAN; +auxiliary columns also BLOB, ANY)",
                                (int)n, type, arg), pzErr);
  }
  if( (d->name = column_name(p, name_len))==0 ) return SQLITE_NOMEM;
  if( d->name[0]==0 ){
    return init_error(error_set(pzErr, SQLITE_ERROR, "annoy: a column needs a name, got '%s'", arg), pzErr);
  }
  return SQLITE_OK;
}

/* Names the table's own columns and rowid use, or another declared one. */
static int check_column_names(const char *table, const char *col, const ColumnDecl *d, int n,
                              char **pzErr){
  static const char *const reserved[] = { "distance", "k", "search_k", "rowid", "oid", "_rowid_" };
  int i, j, n_aux = 0;
  for(i=0; i<3; i++){                /* rowid was allowed as a vector column's name */
    if( sqlite3_stricmp(col, reserved[i])==0 ) goto vector_name;
  }
  if( sqlite3_stricmp(col, table)==0 ) goto vector_name;
  for(i=0; i<n; i++){
    const char *taken = sqlite3_stricmp(d[i].name, col)==0 || sqlite3_stricmp(d[i].name, table)==0
                      ? d[i].name : 0;
    for(j=0; taken==0 && j<6; j++) if( sqlite3_stricmp(d[i].name, reserved[j])==0 ) taken = d[i].name;
    for(j=0; taken==0 && j<i; j++) if( sqlite3_stricmp(d[i].name, d[j].name)==0 ) taken = d[i].name;
    if( taken ){
      return init_error(error_set(pzErr, SQLITE_ERROR, "annoy: a column cannot be named '%s' (a name "
                                  "used twice, or one the table uses)", taken), pzErr);
    }
    n_aux += d[i].aux;
  }
  if( n_aux>COLUMNS_MAX || n-n_aux>COLUMNS_MAX ){
    return init_error(error_set(pzErr, SQLITE_ERROR, "annoy: at most %d metadata and %d auxiliary columns",
                                COLUMNS_MAX, COLUMNS_MAX), pzErr);
  }
  return SQLITE_OK;
vector_name:
  return init_error(error_set(pzErr, SQLITE_ERROR, "annoy: the vector column cannot be named '%s'", col), pzErr);
}

/* The columns as SQLite sees them (see the top of this file). */
static int declare_table(sqlite3 *db, const char *table, const char *col, const ColumnDecl *d, int n){
  sqlite3_str *s = sqlite3_str_new(db);
  char *ddl;
  int i, rc;
  sqlite3_str_appendf(s, "CREATE TABLE x(\"%w\" BLOB, distance REAL HIDDEN, k INTEGER HIDDEN, "
                      "search_k INTEGER HIDDEN, \"%w\" HIDDEN", col, table);
  for(i=0; i<n; i++){
    sqlite3_str_appendf(s, ", \"%w\" %s", d[i].name, d[i].type==COLUMN_ANY ? ""
                        : d[i].type==COLUMN_BOOLEAN ? "INTEGER" : column_type_name(d[i].type));
  }
  sqlite3_str_appendall(s, ")");
  if( (ddl = sqlite3_str_finish(s))==0 ) return SQLITE_NOMEM;
  rc = sqlite3_declare_vtab(db, ddl);
  sqlite3_free(ddl);
  return rc;
}

static void table_free(AnnoyTable *t){
  store_close(t->store);
  columns_close(t->columns);
  sqlite3_free(t->schema);
  sqlite3_free(t->name);
  sqlite3_free(t->base.zErrMsg);   /* one SQLite did not take (xSavepoint's) */
  sqlite3_free(t);
}

static int annoy_init(sqlite3 *db, void *aux, int argc, const char *const *argv,
                      sqlite3_vtab **out, char **pzErr, int create){
  AnnoyConfig cfg;
  AnnoyTable *t = 0;
  ColumnDecl *decl;
  char *col = 0;
  int rc = SQLITE_OK, i, n_decl = 0;

  memset(&cfg, 0, sizeof(cfg));
  cfg.forest.n_trees = 16;
  cfg.forest.leaf_size = 64;
  cfg.forest.seed = 1;
  *out = 0;
  if( (decl = sqlite3_malloc64(sizeof(*decl)*(size_t)argc))==0 ) return SQLITE_NOMEM;
  for(i=3; rc==SQLITE_OK && i<argc; i++){
    if( strchr(argv[i], '=') ){
      rc = parse_option(argv[i], &cfg, pzErr);
    }else if( col==0 ){                         /* the vector column comes first */
      rc = parse_column(argv[i], &col, &cfg, pzErr);
    }else if( declares_vector(argv[i]) ){
      rc = init_error(error_set(pzErr, SQLITE_ERROR, "annoy: only one vector column is supported ('%s')",
                                argv[i]), pzErr);
    }else{
      memset(&decl[n_decl], 0, sizeof(decl[n_decl]));
      rc = parse_extra_column(argv[i], &decl[n_decl], pzErr);
      n_decl++;
    }
  }
  if( rc ) goto fail;
  if( col==0 ){
    rc = init_error(error_set(pzErr, SQLITE_ERROR, "annoy: declare a vector column, e.g. USING annoy(v float32[128])"), pzErr);
    goto fail;
  }
  if( cfg.forest.metric==0 ){
    cfg.forest.metric = cfg.forest.type==VEC_BIT ? METRIC_HAMMING : METRIC_EUCLIDEAN;
  }
  if( !metric_allowed(cfg.forest.type, cfg.forest.metric) ){
    rc = init_error(error_set(pzErr, SQLITE_ERROR, "annoy: metric %s does not apply to %s vectors%s",
      metric_name(cfg.forest.metric), vec_type_name(cfg.forest.type),
      cfg.forest.type==VEC_BIT ? " (bit vectors use hamming)" : " (hamming is for bit vectors)"), pzErr);
    goto fail;
  }
  if( (rc = check_column_names(argv[2], col, decl, n_decl, pzErr))
   || (rc = declare_table(db, argv[2], col, decl, n_decl)) ){
    goto fail;
  }
  sqlite3_vtab_config(db, SQLITE_VTAB_CONSTRAINT_SUPPORT, 1);

  t = sqlite3_malloc64(sizeof(*t));
  if( t==0 ){ rc = SQLITE_NOMEM; goto fail; }
  memset(t, 0, sizeof(*t));
  t->db = db;
  t->conn = aux;
  t->schema = sqlite3_mprintf("%s", argv[1]);
  t->name = sqlite3_mprintf("%s", argv[2]);
  if( t->schema==0 || t->name==0 ){ rc = SQLITE_NOMEM; goto fail; }
  if( (rc = store_open(db, argv[1], argv[2], &cfg, create, &t->store, pzErr)) ) goto fail;
  rc = columns_open(db, argv[1], argv[2], decl, n_decl, create, &t->columns, pzErr);
  decl = 0;                        /* columns_open took it over */
  n_decl = 0;
  if( rc ) goto fail;
  t->next = t->conn->tables;
  t->conn->tables = t;
  sqlite3_free(col);
  *out = &t->base;
  return SQLITE_OK;
fail:
  for(i=0; i<n_decl; i++) sqlite3_free(decl[i].name);
  sqlite3_free(decl);
  sqlite3_free(col);
  if( t ) table_free(t);
  return rc;
}

static int annoy_create(sqlite3 *db, void *aux, int argc, const char *const *argv,
                        sqlite3_vtab **out, char **pzErr){
  return annoy_init(db, aux, argc, argv, out, pzErr, 1);
}
static int annoy_connect(sqlite3 *db, void *aux, int argc, const char *const *argv,
                         sqlite3_vtab **out, char **pzErr){
  return annoy_init(db, aux, argc, argv, out, pzErr, 0);
}

static int annoy_disconnect(sqlite3_vtab *vtab){
  AnnoyTable *t = (AnnoyTable*)vtab;
  registry_remove(t);
  table_free(t);
  return SQLITE_OK;
}

static int annoy_destroy(sqlite3_vtab *vtab){
  AnnoyTable *t = (AnnoyTable*)vtab;
  char *zErr = 0;
  int rc = store_drop(t->store, &zErr);
  if( rc==SQLITE_OK ) rc = columns_drop(t->columns, &zErr);
  return rc ? store_failed(t, rc, zErr) : annoy_disconnect(vtab);
}

static int annoy_rename(sqlite3_vtab *vtab, const char *new_name){
  AnnoyTable *t = (AnnoyTable*)vtab;
  char *name, *zErr = 0;
  int rc = store_rename(t->store, new_name, &zErr);
  if( rc==SQLITE_OK ) rc = columns_rename(t->columns, new_name, &zErr);
  if( rc ) return store_failed(t, rc, zErr);
  if( (name = sqlite3_mprintf("%s", new_name))==0 ) return SQLITE_NOMEM;
  sqlite3_free(t->name);
  t->name = name;
  return SQLITE_OK;
}

static int annoy_shadow_name(const char *suffix){
  return store_is_shadow_name(suffix) || columns_is_shadow_name(suffix);
}

/* ---- planning ------------------------------------------------------------------ */

/* The constraints a plan can use: index in aConstraint[], -1 if none. */
typedef struct PlanInputs {
  int match, k, limit, offset, search_k, rowid_eq, rowid_in;
  int match_unusable;        /* MATCH is there but not usable in this order */
} PlanInputs;

static void plan_inputs(sqlite3_index_info *info, PlanInputs *in){
  int i;
  in->match = in->k = in->limit = in->offset = in->search_k = in->rowid_eq = in->rowid_in = -1;
  in->match_unusable = 0;
  for(i=0; i<info->nConstraint; i++){
    const struct sqlite3_index_constraint *c = &info->aConstraint[i];
    if( c->op==SQLITE_INDEX_CONSTRAINT_MATCH && c->iColumn==COL_VECTOR ){
      if( c->usable ) in->match = i; else in->match_unusable = 1;
      continue;
    }
    if( !c->usable ) continue;
    if( c->op==SQLITE_INDEX_CONSTRAINT_LIMIT ) in->limit = i;
    else if( c->op==SQLITE_INDEX_CONSTRAINT_OFFSET ) in->offset = i;
    else if( c->op==SQLITE_INDEX_CONSTRAINT_EQ && c->iColumn==COL_K ) in->k = i;
    else if( c->op==SQLITE_INDEX_CONSTRAINT_EQ && c->iColumn==COL_SEARCH_K ) in->search_k = i;
    else if( c->op==SQLITE_INDEX_CONSTRAINT_EQ && c->iColumn<0 ){
      if( sqlite3_vtab_in(info, i, -1) ) in->rowid_in = i; else in->rowid_eq = i;
    }
  }
}

/* Without MATCH: one row by rowid, or every row in rowid order. */
static void plan_rowid_or_scan(sqlite3_index_info *info, const PlanInputs *in){
  if( in->rowid_eq>=0 ){
    info->idxNum = PLAN_ROWID;
    info->aConstraintUsage[in->rowid_eq].argvIndex = 1;
    info->aConstraintUsage[in->rowid_eq].omit = 1;
    info->estimatedCost = 10;
    info->estimatedRows = 1;
    info->idxFlags = SQLITE_INDEX_SCAN_UNIQUE;
  }else{
    info->idxNum = PLAN_SCAN;
    info->estimatedCost = 1e6;
    if( info->nOrderBy==1 && info->aOrderBy[0].iColumn<0 && !info->aOrderBy[0].desc ){
      info->orderByConsumed = 1;
    }
  }
}

/* Pass constraint i to xFilter as the next argv[] entry, with its letter
** in the plan string; omit: SQLite need not check it again. */
static void plan_add(sqlite3_index_info *info, char *plan, int *n_plan, char letter,
                     int i, int omit){
  plan[(*n_plan)++] = letter;
  info->aConstraintUsage[i].argvIndex = *n_plan;
  if( omit ) info->aConstraintUsage[i].omit = 1;
}

/* Conditions on metadata columns narrow the search: each becomes a letter
** of the plan and its SQL text goes to terms. In a KNN plan, one on an
** auxiliary column, or one a filter cannot apply, is an error rather than
** fewer rows; a scan leaves those to SQLite. */
static int plan_terms(AnnoyTable *t, sqlite3_index_info *info, int knn, char *plan, int *n_plan,
                      sqlite3_str *terms, int *unusable){
  int i, rc;
  for(i=0; i<info->nConstraint; i++){
    const struct sqlite3_index_constraint *c = &info->aConstraint[i];
    const ColumnDecl *d;
    TermKind kind;
    char *sql;
    int is_in;
    if( c->iColumn<COL_EXTRA ) continue;
    if( !c->usable ){ *unusable = 1; continue; }
    d = columns_decl(t->columns, c->iColumn-COL_EXTRA);
    is_in = c->op==SQLITE_INDEX_CONSTRAINT_EQ && sqlite3_vtab_in(info, i, -1);
    rc = columns_term(t->columns, c->iColumn-COL_EXTRA, c->op, is_in,
                      sqlite3_vtab_collation(info, i), &sql, &kind);
    if( rc ) return rc;
    if( sql==0 && !knn ) continue;            /* a scan: SQLite checks it */
    if( sql==0 && d->aux ){
      return vtab_error(t, SQLITE_ERROR, "annoy: %s is an auxiliary column (+%s): it cannot filter a "
                        "KNN search; declare it without + to filter on it", d->name, d->name);
    }
    if( sql==0 ){
      return vtab_error(t, SQLITE_ERROR, "annoy: this condition on %s cannot be applied inside a KNN "
                        "search (use =, !=, <, <=, >, >=, IN, BETWEEN, IS [NOT], IS [NOT] NULL, LIKE "
                        "or GLOB)", d->name);
    }
    plan_add(info, plan, n_plan, (char)kind, i, 1);
    if( is_in ) sqlite3_vtab_in(info, i, 1);
    sqlite3_str_appendf(terms, "%s\n", sql);
    sqlite3_free(sql);
  }
  return SQLITE_OK;
}

/* Without MATCH or rowid = ?: conditions on metadata columns are read
** from their indexes (PLAN_META), or, if there are none, a scan. */
static int plan_meta(AnnoyTable *t, sqlite3_index_info *info){
  sqlite3_str *terms = sqlite3_str_new(t->db);
  char *plan, *text;
  int n_plan = 0, unusable = 0, rc;
  if( (plan = sqlite3_malloc64((size_t)info->nConstraint + 1))==0 ){
    sqlite3_free(sqlite3_str_finish(terms));
    return SQLITE_NOMEM;
  }
  rc = plan_terms(t, info, 0, plan, &n_plan, terms, &unusable);
  if( rc==SQLITE_OK ) rc = sqlite3_str_errcode(terms);
  plan[n_plan] = 0;
  text = sqlite3_str_finish(terms);
  if( rc==SQLITE_OK && n_plan>0 ){
    info->idxStr = sqlite3_mprintf("%s\n%s", plan, text);
    if( info->idxStr==0 ) rc = SQLITE_NOMEM;
    info->needToFreeIdxStr = 1;
    info->idxNum = PLAN_META;
    info->estimatedCost = 1e4;
    info->estimatedRows = 1000;
    if( info->nOrderBy==1 && info->aOrderBy[0].iColumn<0 && !info->aOrderBy[0].desc ){
      info->orderByConsumed = 1;
    }
  }else if( rc==SQLITE_OK ){
    PlanInputs in;
    plan_inputs(info, &in);
    plan_rowid_or_scan(info, &in);
  }
  sqlite3_free(plan);
  sqlite3_free(text);
  return rc;
}

static int annoy_best_index(sqlite3_vtab *vtab, sqlite3_index_info *info){
  AnnoyTable *t = (AnnoyTable*)vtab;
  PlanInputs in;
  sqlite3_str *terms;
  char *plan, *text;
  int n_plan = 0, order_ok, rc, unusable = 0;
  plan_inputs(info, &in);
  if( in.match<0 && in.match_unusable ) return SQLITE_CONSTRAINT;   /* try another join order */
  if( in.match<0 && in.rowid_eq<0 && columns_count(t->columns)>0 ) return plan_meta(t, info);
  if( in.match<0 ){
    plan_rowid_or_scan(info, &in);
    return SQLITE_OK;
  }
  /* LIMIT stands for k only when rows are wanted nearest first. */
  order_ok = info->nOrderBy==0
          || (info->nOrderBy==1 && info->aOrderBy[0].iColumn==COL_DISTANCE && !info->aOrderBy[0].desc);
  info->idxNum = PLAN_KNN;
  if( (plan = sqlite3_malloc64((size_t)info->nConstraint + 8))==0 ) return SQLITE_NOMEM;
  plan_add(info, plan, &n_plan, 'q', in.match, 1);
  if( in.k>=0 ){
    plan_add(info, plan, &n_plan, 'k', in.k, 1);
  }else if( in.limit>=0 && order_ok ){
    plan_add(info, plan, &n_plan, 'k', in.limit, 0);
    if( in.offset>=0 ) plan_add(info, plan, &n_plan, 'o', in.offset, 0);
  }
  if( in.search_k>=0 ) plan_add(info, plan, &n_plan, 's', in.search_k, 1);
  if( in.rowid_in>=0 ){
    plan_add(info, plan, &n_plan, 'i', in.rowid_in, 1);
    sqlite3_vtab_in(info, in.rowid_in, 1);
  }else if( in.rowid_eq>=0 ){
    plan_add(info, plan, &n_plan, 'r', in.rowid_eq, 1);
  }
  terms = sqlite3_str_new(t->db);
  rc = plan_terms(t, info, 1, plan, &n_plan, terms, &unusable);
  if( rc==SQLITE_OK ) rc = sqlite3_str_errcode(terms);
  plan[n_plan] = 0;
  text = sqlite3_str_finish(terms);      /* NULL when there are no terms */
  info->idxStr = rc ? 0 : text && text[0] ? sqlite3_mprintf("%s\n%s", plan, text)
                                          : sqlite3_mprintf("%s", plan);
  sqlite3_free(plan);
  sqlite3_free(text);
  if( rc ) return rc;
  if( info->idxStr==0 ) return SQLITE_NOMEM;
  info->needToFreeIdxStr = 1;
  if( order_ok && info->nOrderBy==1 ) info->orderByConsumed = 1;
  /* A condition on a metadata column that this join order cannot apply
  ** would be checked after the k nearest: prefer an order that can. */
  info->estimatedCost = unusable ? 1e12 : 100;
  info->estimatedRows = 10;
  return SQLITE_OK;
}

/* ---- cursors ------------------------------------------------------------------ */

static int annoy_open(sqlite3_vtab *vtab, sqlite3_vtab_cursor **out){
  AnnoyCursor *c = sqlite3_malloc64(sizeof(*c));
  (void)vtab;
  if( c==0 ) return SQLITE_NOMEM;
  memset(c, 0, sizeof(*c));
  *out = &c->base;
  return SQLITE_OK;
}

static void cursor_reset(AnnoyCursor *c){
  store_scan_close(c->scan);
  c->scan = 0;
  columns_scan_close(c->meta);
  c->meta = 0;
  sqlite3_free(c->hits);
  c->hits = 0;
  c->n_hits = c->i_hit = 0;
  sqlite3_free(c->query);
  c->query = 0;
  rowid_set_free(&c->filter);
  rowid_set_free(&c->returned);
  slot_set_free(&c->slots);
  c->open_ended = c->has_filter = c->has_slots = 0;
  c->eof = 1;
}

static int annoy_close(sqlite3_vtab_cursor *cur){
  cursor_reset((AnnoyCursor*)cur);
  sqlite3_free(cur);
  return SQLITE_OK;
}

static int scan_step(AnnoyCursor *c){
  char *zErr = 0;
  int rc = store_scan_next(c->scan, &c->eof, &c->rowid, &c->slot, &zErr);
  return rc ? store_failed((AnnoyTable*)c->base.pVtab, rc, zErr) : SQLITE_OK;
}

/* The next row the metadata conditions keep that has a vector (a row of
** NAME_metadata without one is damage annoy_check reports). */
static int meta_step(AnnoyCursor *c){
  AnnoyTable *t = (AnnoyTable*)c->base.pVtab;
  char *zErr = 0;
  int rc, found = 0;
  do{
    rc = columns_scan_next(c->meta, &c->eof, &c->rowid, &zErr);
    if( rc==SQLITE_OK && !c->eof ) rc = store_lookup(t->store, c->rowid, &c->slot, &found, &zErr);
  }while( rc==SQLITE_OK && !c->eof && !found );
  return rc ? store_failed(t, rc, zErr) : SQLITE_OK;
}

/* Read an integer argument of a KNN query, with its range in the message. */
static int int_arg(AnnoyTable *t, sqlite3_value *v, const char *what,
                   sqlite3_int64 lo, sqlite3_int64 hi, sqlite3_int64 *out){
  if( sqlite3_value_numeric_type(v)!=SQLITE_INTEGER
   || sqlite3_value_int64(v)<lo || sqlite3_value_int64(v)>hi ){
    return vtab_error(t, SQLITE_ERROR, "annoy: %s must be an integer from %lld to %lld", what, lo, hi);
  }
  *out = sqlite3_value_int64(v);
  return SQLITE_OK;
}

/* Parse a vector argument or value into buf (vec_bytes), with a message
** naming the column on failure. */
static int vector_arg(AnnoyTable *t, sqlite3_value *v, void *buf, const char *role){
  const AnnoyConfig *cfg = store_config(t->store);
  char *zErr = 0;
  int type = sqlite3_value_type(v), rc;
  if( type==SQLITE_NULL ){
    return vtab_error(t, SQLITE_CONSTRAINT, "annoy: %s is NULL", role);
  }
  if( type!=SQLITE_BLOB && type!=SQLITE_TEXT ){
    return vtab_error(t, SQLITE_MISMATCH, "annoy: %s must be a JSON array or a BLOB, not a number", role);
  }
  rc = vector_parse(cfg->forest.type, cfg->forest.dim,
                    type==SQLITE_BLOB ? sqlite3_value_blob(v) : (const void*)sqlite3_value_text(v),
                    sqlite3_value_bytes(v), type==SQLITE_BLOB, buf, &zErr);
  if( rc && zErr ) rc = vtab_error(t, SQLITE_MISMATCH, "annoy: %s: %s", role, zErr);
  else if( rc ) rc = SQLITE_NOMEM;
  sqlite3_free(zErr);
  return rc;
}

/* Run the KNN search for the cursor's query with k results. */
static int knn_run(AnnoyCursor *c, int k){
  AnnoyTable *t = (AnnoyTable*)c->base.pVtab;
  int rc;
  char *zErr = 0;
  sqlite3_free(c->hits);
  c->hits = 0;
  c->n_hits = c->i_hit = 0;
  c->batch_short = 1;
  if( (c->has_filter && c->filter.n==0) || (c->has_slots && c->slots.n==0) ) return SQLITE_OK;
  rc = store_knn(t->store, c->query, k, c->search_k, c->has_filter ? &c->filter : 0,
                 c->has_slots ? &c->slots : 0, &c->hits, &c->n_hits, &zErr);
  c->batch_short = c->n_hits < k;
  return rc ? store_failed(t, rc, zErr) : SQLITE_OK;
}

/* An open-ended query (no k; SQLite applies LIMIT itself, which 3.40 does
** not pass to xBestIndex together with MATCH) has returned every row of
** its batch: search again for 4x as many, and go on with the rows not yet
** returned that are no nearer than the last one. */
static int knn_widen(AnnoyCursor *c){
  int i, n = 0, rc;
  for(i=0; i<c->n_hits; i++){
    if( (rc = rowid_set_add(&c->returned, c->hits[i].rowid)) ) return rc;
  }
  if( c->batch_short || c->batch_k>=K_MAX ){ c->eof = 1; return SQLITE_OK; }
  c->batch_k = c->batch_k > K_MAX/4 ? K_MAX : c->batch_k*4;
  if( (rc = knn_run(c, c->batch_k)) ) return rc;
  for(i=0; i<c->n_hits; i++){
    if( !rowid_set_has(&c->returned, c->hits[i].rowid)
     && c->hits[i].distance >= c->last_distance ){
      c->hits[n++] = c->hits[i];
    }
  }
  if( n==0 && !c->batch_short ){ c->n_hits = 0; return knn_widen(c); }
  c->n_hits = n;
  c->eof = n==0;
  return SQLITE_OK;
}

/* The slots of the rows that match the conditions on metadata columns
** (plan letters and argv entries first..end-1; their SQL after the '\n'):
** the search's slot filter. */
static int knn_terms(AnnoyCursor *c, const char *plan, int first, int end, sqlite3_value **argv){
  AnnoyTable *t = (AnnoyTable*)c->base.pVtab;
  const char *terms_sql = strchr(plan, '\n');
  char *zErr = 0;
  uint32_t limit;
  int rc;
  if( terms_sql==0 ) return vtab_error(t, SQLITE_INTERNAL, "annoy: a plan without its conditions");
  rc = store_slot_limit(t->store, &limit, &zErr);
  if( rc==SQLITE_OK ) rc = slot_set_init(&c->slots, limit);
  if( rc==SQLITE_OK ){
    c->has_slots = 1;
    rc = columns_filter(t->columns, terms_sql+1, plan+first, end-first, argv+first, &c->slots, &zErr);
  }
  return rc ? store_failed(t, rc, zErr) : SQLITE_OK;
}

static int knn_filter(AnnoyCursor *c, const char *plan, int argc, sqlite3_value **argv){
  AnnoyTable *t = (AnnoyTable*)c->base.pVtab;
  const AnnoyConfig *cfg = store_config(t->store);
  sqlite3_int64 k = -1, offset = 0, search_k = 0;
  int rc = SQLITE_OK, i, first_term = -1;

  c->query = sqlite3_malloc64(vec_bytes(cfg->forest.type, cfg->forest.dim));
  if( c->query==0 ) return SQLITE_NOMEM;
  for(i=0; rc==SQLITE_OK && i<argc && plan[i] && plan[i]!='\n'; i++){
    sqlite3_value *v = argv[i], *x;
    switch( plan[i] ){
      case 'q': rc = vector_arg(t, v, c->query, "the query vector (MATCH)"); break;
      case 'k': rc = int_arg(t, v, "k (or LIMIT)", 0, K_MAX, &k); break;
      case 'o': rc = int_arg(t, v, "OFFSET", 0, K_MAX, &offset); break;
      case 's': rc = int_arg(t, v, "search_k (-1 = exact)", -1, INT64_MAX, &search_k);
                if( rc==SQLITE_OK && search_k==0 ){
                  rc = vtab_error(t, SQLITE_ERROR, "annoy: search_k must be -1 (exact) or >= 1");
                }
                break;
      case 'r': c->has_filter = 1;
                if( sqlite3_value_numeric_type(v)==SQLITE_INTEGER ){
                  rc = rowid_set_add(&c->filter, sqlite3_value_int64(v));
                }
                break;
      case 'i': c->has_filter = 1;
                for(rc=sqlite3_vtab_in_first(v, &x); rc==SQLITE_OK && x; rc=sqlite3_vtab_in_next(v, &x)){
                  if( sqlite3_value_numeric_type(x)==SQLITE_INTEGER
                   && (rc = rowid_set_add(&c->filter, sqlite3_value_int64(x))) ) break;
                }
                if( rc==SQLITE_DONE ) rc = SQLITE_OK;
                break;
      case TERM_VALUE: case TERM_NONE: case TERM_LIST:
                if( first_term<0 ) first_term = i;      /* the terms come last */
                break;
    }
  }
  if( rc==SQLITE_OK && first_term>=0 ) rc = knn_terms(c, plan, first_term, i, argv);
  if( rc ) return rc;
  if( k+offset>K_MAX ){
    return vtab_error(t, SQLITE_ERROR, "annoy: k plus OFFSET must be at most %d", K_MAX);
  }
  c->search_k = search_k;
  c->open_ended = k<0;
  c->batch_k = c->open_ended ? 16 : (int)(k+offset);
  c->last_distance = -INFINITY;
  rc = c->batch_k>0 ? knn_run(c, c->batch_k) : SQLITE_OK;
  c->eof = c->n_hits==0;
  return rc;
}

static int annoy_filter(sqlite3_vtab_cursor *cur, int plan, const char *plan_str,
                        int argc, sqlite3_value **argv){
  AnnoyCursor *c = (AnnoyCursor*)cur;
  AnnoyTable *t = (AnnoyTable*)cur->pVtab;
  char *zErr = 0;
  int rc, found;
  cursor_reset(c);
  c->plan = plan;
  if( plan==PLAN_KNN ) return knn_filter(c, plan_str, argc, argv);
  if( plan==PLAN_META ){
    const char *terms_sql = strchr(plan_str, '\n');
    if( terms_sql==0 ) return vtab_error(t, SQLITE_INTERNAL, "annoy: a plan without its conditions");
    rc = columns_scan_open(t->columns, terms_sql+1, plan_str, argc, argv, &c->meta, &zErr);
    return rc ? store_failed(t, rc, zErr) : meta_step(c);
  }
  if( plan==PLAN_ROWID ){
    if( sqlite3_value_numeric_type(argv[0])!=SQLITE_INTEGER ) return SQLITE_OK;
    c->rowid = sqlite3_value_int64(argv[0]);
    rc = store_lookup(t->store, c->rowid, &c->slot, &found, &zErr);
    if( rc ) return store_failed(t, rc, zErr);
    c->eof = !found;
    return SQLITE_OK;
  }
  if( (rc = store_scan_open(t->store, &c->scan, &zErr)) ) return store_failed(t, rc, zErr);
  return scan_step(c);
}

static int annoy_next(sqlite3_vtab_cursor *cur){
  AnnoyCursor *c = (AnnoyCursor*)cur;
  switch( c->plan ){
    case PLAN_KNN:
      c->last_distance = c->hits[c->i_hit].distance;
      if( ++c->i_hit < c->n_hits ) return SQLITE_OK;
      if( c->open_ended ) return knn_widen(c);
      c->eof = 1;
      return SQLITE_OK;
    case PLAN_ROWID: c->eof = 1; return SQLITE_OK;
    case PLAN_META:  return meta_step(c);
    default:         return scan_step(c);
  }
}

static int annoy_eof(sqlite3_vtab_cursor *cur){
  return ((AnnoyCursor*)cur)->eof;
}

static int annoy_column(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int col){
  AnnoyCursor *c = (AnnoyCursor*)cur;
  AnnoyTable *t = (AnnoyTable*)cur->pVtab;
  const AnnoyConfig *cfg = store_config(t->store);
  uint32_t slot = c->plan==PLAN_KNN ? c->hits[c->i_hit].slot : c->slot;
  char *zErr = 0;
  int rc = SQLITE_OK;
  /* An UPDATE that does not set this column: xUpdate is told so. */
  if( (col==COL_VECTOR || col>=COL_EXTRA) && sqlite3_vtab_nochange(ctx) ) return SQLITE_OK;
  if( col==COL_VECTOR ){
    const void *v;
    rc = store_vector(t->store, slot, &v, &zErr);
    if( rc==SQLITE_OK ){
      sqlite3_result_blob(ctx, v, (int)vec_bytes(cfg->forest.type, cfg->forest.dim), SQLITE_TRANSIENT);
    }
  }else if( col==COL_DISTANCE && c->plan==PLAN_KNN ){
    sqlite3_result_double(ctx, c->hits[c->i_hit].distance);
  }else if( col>=COL_EXTRA ){
    sqlite3_int64 rowid = c->plan==PLAN_KNN ? c->hits[c->i_hit].rowid : c->rowid;
    rc = columns_result(t->columns, rowid, col-COL_EXTRA, ctx, &zErr);
  }
  if( rc ) store_failed_in_function(ctx, rc, zErr);
  return rc;
}

static int annoy_rowid(sqlite3_vtab_cursor *cur, sqlite_int64 *rowid){
  AnnoyCursor *c = (AnnoyCursor*)cur;
  *rowid = c->plan==PLAN_KNN ? c->hits[c->i_hit].rowid : c->rowid;
  return SQLITE_OK;
}

/* ---- changes ------------------------------------------------------------------ */

static int run_command(AnnoyTable *t, sqlite3_value *cmd){
  const char *text = (const char*)sqlite3_value_text(cmd);
  char *zErr = 0;
  int rc;
  if( text && sqlite3_stricmp(text, "rebuild")==0 ){
    rc = store_rebuild(t->store, &zErr);
    return rc ? store_failed(t, rc, zErr) : SQLITE_OK;
  }
  return vtab_error(t, SQLITE_ERROR, "annoy: unknown command '%s' (known: 'rebuild')",
                    text ? text : "NULL");
}

/* A rowid that is taken: what the statement's ON CONFLICT says to do. */
static int rowid_conflict(AnnoyTable *t, sqlite3_int64 rowid, int *replace){
  int mode = sqlite3_vtab_on_conflict(t->db);
  if( mode==SQLITE_REPLACE ){ *replace = 1; return SQLITE_OK; }
  return vtab_error(t, SQLITE_CONSTRAINT, "UNIQUE constraint failed: %s.rowid (%lld)", t->name, rowid);
}

/* The slot of row rowid, which the statement has just read or written:
** SQLITE_CORRUPT_VTAB when the store has no such row. */
static int row_slot(AnnoyTable *t, sqlite3_int64 rowid, uint32_t *slot, char **pzErr){
  int found, rc = store_lookup(t->store, rowid, slot, &found, pzErr);
  if( rc==SQLITE_OK && !found ) rc = error_set(pzErr, SQLITE_CORRUPT_VTAB, "annoy: row %lld vanished", rowid);
  return rc;
}

/* The vector of row rowid, copied into vec (an UPDATE that moves a row
** without setting its vector). */
static int stored_vector(AnnoyTable *t, sqlite3_int64 rowid, void *vec, char **pzErr){
  const AnnoyConfig *cfg = store_config(t->store);
  const void *v;
  uint32_t slot;
  int rc = row_slot(t, rowid, &slot, pzErr);
  if( rc==SQLITE_OK ) rc = store_vector(t->store, slot, &v, pzErr);
  if( rc==SQLITE_OK ) memcpy(vec, v, vec_bytes(cfg->forest.type, cfg->forest.dim));
  return rc;
}

/* The declared columns of a row just written to the store, with its slot. */
static int insert_columns(AnnoyTable *t, sqlite3_int64 rowid, sqlite3_value **values, char **pzErr){
  uint32_t slot;
  int rc = row_slot(t, rowid, &slot, pzErr);
  return rc ? rc : columns_insert(t->columns, rowid, slot, values, pzErr);
}

static int annoy_update(sqlite3_vtab *vtab, int argc, sqlite3_value **argv, sqlite_int64 *out_rowid){
  AnnoyTable *t = (AnnoyTable*)vtab;
  const AnnoyConfig *cfg = store_config(t->store);
  sqlite3_int64 rowid, old_rowid, last_rowid = sqlite3_last_insert_rowid(t->db);
  sqlite3_value **values = &argv[2+COL_EXTRA];     /* metadata and auxiliary columns */
  int is_insert = argc>1 && sqlite3_value_type(argv[0])==SQLITE_NULL;
  void *vec = 0;
  char *zErr = 0;
  int rc, exists = 0, replace = 0, same_vector, i;

  if( argc==1 ){
    rowid = sqlite3_value_int64(argv[0]);
    rc = store_delete(t->store, rowid, &zErr);
    if( rc==SQLITE_OK ) rc = columns_delete(t->columns, rowid, &zErr);
    sqlite3_set_last_insert_rowid(t->db, last_rowid);
    return rc ? store_failed(t, rc, zErr) : SQLITE_OK;
  }
  if( is_insert && sqlite3_value_type(argv[2+COL_COMMAND])!=SQLITE_NULL ){
    return run_command(t, argv[2+COL_COMMAND]);
  }
  for(i=COL_DISTANCE; i<=COL_COMMAND; i++){
    if( sqlite3_value_type(argv[2+i])!=SQLITE_NULL ){
      return vtab_error(t, SQLITE_ERROR, "annoy: only the vector column, the declared columns and rowid "
                        "can be written");
    }
  }
  if( (sqlite3_value_type(argv[1])!=SQLITE_NULL || !is_insert)
   && sqlite3_value_numeric_type(argv[1])!=SQLITE_INTEGER ){
    return vtab_error(t, SQLITE_MISMATCH, "annoy: rowid must be an integer");
  }
  /* Everything is checked before anything is written. */
  if( (rc = columns_check_values(t->columns, values, &zErr)) ) return store_failed(t, rc, zErr);
  vec = sqlite3_malloc64(vec_bytes(cfg->forest.type, cfg->forest.dim));
  if( vec==0 ) return SQLITE_NOMEM;
  same_vector = !is_insert && sqlite3_value_nochange(argv[2+COL_VECTOR]);
  rc = same_vector ? SQLITE_OK : vector_arg(t, argv[2+COL_VECTOR], vec, "the vector");
  if( rc ) goto done;

  if( is_insert ){
    if( sqlite3_value_type(argv[1])==SQLITE_NULL ){
      if( (rc = store_next_rowid(t->store, &rowid, &zErr)) ) goto store_error;
    }else{
      rowid = sqlite3_value_int64(argv[1]);
      if( (rc = store_exists(t->store, rowid, &exists, &zErr)) ) goto store_error;
      if( exists && (rc = rowid_conflict(t, rowid, &replace)) ) goto done;
    }
    rc = replace ? store_update(t->store, rowid, rowid, vec, &zErr)
                 : store_insert(t->store, rowid, vec, &zErr);
    if( rc==SQLITE_OK && replace ) rc = columns_delete(t->columns, rowid, &zErr);
    if( rc==SQLITE_OK && columns_count(t->columns)>0 ) rc = insert_columns(t, rowid, values, &zErr);
    if( rc ) goto store_error;
    *out_rowid = rowid;
  }else{
    old_rowid = sqlite3_value_int64(argv[0]);
    rowid = sqlite3_value_int64(argv[1]);
    if( rowid!=old_rowid ){
      if( (rc = store_exists(t->store, rowid, &exists, &zErr)) ) goto store_error;
      if( exists ){
        if( (rc = rowid_conflict(t, rowid, &replace)) ) goto done;
        if( (rc = store_delete(t->store, rowid, &zErr))
         || (rc = columns_delete(t->columns, rowid, &zErr)) ) goto store_error;
      }
      if( same_vector && (rc = stored_vector(t, old_rowid, vec, &zErr)) ) goto store_error;
      same_vector = 0;
    }
    if( !same_vector && (rc = store_update(t->store, old_rowid, rowid, vec, &zErr)) ) goto store_error;
    rc = columns_update(t->columns, old_rowid, rowid, values, &zErr);
  }
store_error:
  if( rc ) rc = store_failed(t, rc, zErr);
done:
  /* Our own statements on the shadow tables moved last_insert_rowid. */
  sqlite3_set_last_insert_rowid(t->db, rc==SQLITE_OK && is_insert ? *out_rowid : last_rowid);
  sqlite3_free(vec);
  return rc;
}

/* ---- transactions ------------------------------------------------------------ */

static int annoy_sync(sqlite3_vtab *vtab){
  AnnoyTable *t = (AnnoyTable*)vtab;
  char *zErr = 0;
  int rc = store_flush(t->store, &zErr);
  return rc ? store_failed(t, rc, zErr) : SQLITE_OK;
}

static int annoy_begin(sqlite3_vtab *vtab){ (void)vtab; return SQLITE_OK; }
static int annoy_commit(sqlite3_vtab *vtab){ (void)vtab; return SQLITE_OK; }

static int annoy_rollback(sqlite3_vtab *vtab){
  store_discard(((AnnoyTable*)vtab)->store);
  return SQLITE_OK;
}

/* Pending changes go to the database before a savepoint opens, so that
** ROLLBACK TO finds them in the pages it restores. */
static int annoy_savepoint(sqlite3_vtab *vtab, int n){
  (void)n;
  return annoy_sync(vtab);
}
static int annoy_release(sqlite3_vtab *vtab, int n){ (void)vtab; (void)n; return SQLITE_OK; }
static int annoy_rollback_to(sqlite3_vtab *vtab, int n){ (void)n; return annoy_rollback(vtab); }

static const sqlite3_module annoy_module = {
  3,                      /* iVersion: savepoints and shadow names */
  annoy_create, annoy_connect, annoy_best_index, annoy_disconnect, annoy_destroy,
  annoy_open, annoy_close, annoy_filter, annoy_next, annoy_eof, annoy_column, annoy_rowid,
  annoy_update, annoy_begin, annoy_sync, annoy_commit, annoy_rollback,
  0,                      /* xFindFunction */
  annoy_rename, annoy_savepoint, annoy_release, annoy_rollback_to, annoy_shadow_name
};

/* ---- annoy_check(table [, schema]) ----------------------------------------------- */

static int slot_of(void *store, sqlite3_int64 rowid, uint32_t *slot, int *found, char **pzErr){
  return store_lookup((AnnoyStore*)store, rowid, slot, found, pzErr);
}

/* Add the columns' problems to the store's report ("ok" or lines). */
static int columns_report(AnnoyTable *t, char **report, char **pzErr){
  sqlite3_str *lines = sqlite3_str_new(t->db);
  char *more, *all;
  int rc = columns_check(t->columns, lines, slot_of, t->store, pzErr);
  if( rc==SQLITE_OK ) rc = sqlite3_str_errcode(lines);
  more = sqlite3_str_finish(lines);            /* NULL: nothing to add */
  if( rc || more==0 ){
    sqlite3_free(more);
    return rc;
  }
  more[strlen(more)-1] = 0;                    /* the last line's '\n' */
  all = strcmp(*report, "ok")==0 ? sqlite3_mprintf("%s", more) : sqlite3_mprintf("%s\n%s", *report, more);
  sqlite3_free(more);
  if( all==0 ) return SQLITE_NOMEM;
  sqlite3_free(*report);
  *report = all;
  return SQLITE_OK;
}

static void annoy_check_func(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  AnnoyConnection *conn = sqlite3_user_data(ctx);
  sqlite3 *db = sqlite3_context_db_handle(ctx);
  const char *name = (const char*)sqlite3_value_text(argv[0]);
  const char *schema = argc>1 ? (const char*)sqlite3_value_text(argv[1]) : "main";
  AnnoyTable *t;
  sqlite3_stmt *hold = 0;
  char *report = 0, *sql, *zErr = 0;
  int rc;
  if( name==0 || schema==0 ){
    sqlite3_result_error(ctx, "annoy_check: give the table name, e.g. annoy_check('items')", -1);
    return;
  }
  /* A statement that names the table connects it if this connection has
  ** not used it yet, and, left on its first row (from sqlite_schema; the
  ** part after UNION ALL never runs), holds it for the whole check: it
  ** keeps the table connected -- otherwise a schema change that one of the
  ** check's statements notices disconnects the table and frees its store
  ** mid-check -- and keeps one read snapshot, so that another connection's
  ** commit cannot land between the check's reads. */
  sql = sqlite3_mprintf("SELECT 1 FROM \"%w\".sqlite_schema "
                        "UNION ALL SELECT 1 FROM \"%w\".\"%w\" WHERE rowid=0", schema, schema, name);
  if( sql==0 ){ sqlite3_result_error_nomem(ctx); return; }
  rc = sqlite3_prepare_v2(db, sql, -1, &hold, 0);
  sqlite3_free(sql);
  if( rc==SQLITE_OK && sqlite3_step(hold)!=SQLITE_ROW ) rc = sqlite3_reset(hold);
  for(t = rc ? 0 : conn->tables; t; t=t->next){
    if( sqlite3_stricmp(t->name, name)==0 && sqlite3_stricmp(t->schema, schema)==0 ) break;
  }
  if( t==0 ){
    char *msg = sqlite3_mprintf("annoy_check: %s.%s is not an annoy table%s", schema, name,
                                rc ? " (or cannot be opened)" : "");
    if( msg ) sqlite3_result_error(ctx, msg, -1);
    else sqlite3_result_error_nomem(ctx);
    sqlite3_free(msg);
    goto done;
  }
  rc = store_check(t->store, &report, &zErr);
  if( rc==SQLITE_OK ) rc = columns_report(t, &report, &zErr);
  if( rc ){
    sqlite3_free(report);
    store_failed_in_function(ctx, rc, zErr);
    goto done;
  }
  sqlite3_result_text(ctx, report, -1, sqlite3_free);
done:
  sqlite3_finalize(hold);
}

int annoy_register(sqlite3 *db){
  AnnoyConnection *conn = annoy_connection_new();
  int rc;
  if( conn==0 ) return SQLITE_NOMEM;
  rc = sqlite3_create_module_v2(db, "annoy", &annoy_module, conn, annoy_connection_free);
  if( rc ) return rc;
  rc = sqlite3_create_function(db, "annoy_check", 1, SQLITE_UTF8, conn, annoy_check_func, 0, 0);
  if( rc==SQLITE_OK ){
    rc = sqlite3_create_function(db, "annoy_check", 2, SQLITE_UTF8, conn, annoy_check_func, 0, 0);
  }
  return rc;
}
