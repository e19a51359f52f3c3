/*
** annoy_columns.c — metadata and auxiliary columns of an annoy table
** (annoy_columns.h).
**
** Owns: the shadow tables NAME_metadata and NAME_auxiliary, their indexes
** and every statement on them. Their columns have positional names (m0..,
** a0..: the declaration, kept by SQLite in sqlite_schema, gives the user's
** names and types), so no user text is ever part of a statement.
** May call: shadow.h, slot_set.h, error.h, SQLite.
*/
#include <math.h>
#include <string.h>
#include <strings.h>
#include "annoy_columns.h"
#include "error.h"
#include "shadow.h"

/* The two tables; a kind with no declared column has no table. */
enum { META = 0, AUX = 1 };
static const char *const table_suffix[2] = { "metadata", "auxiliary" };
static const char *const column_prefix[2] = { "m", "a" };

/* Statements, per table: three for rows, then two per column. A row is
** put with a plain INSERT (the caller deletes a row it replaces): INSERT OR
** REPLACE into an indexed table needs a statement journal, and opening one
** inside xUpdate calls the annoy table's xSavepoint, which writes its
** pending tree nodes -- at every row of a bulk insert. */
enum { ROW_PUT, ROW_DEL, ROW_MOVE, ROW_STMTS };
#define STMTS_PER_TABLE (ROW_STMTS + 2*COLUMNS_MAX)
#define COL_GET(j) (ROW_STMTS + 2*(j))
#define COL_SET(j) (ROW_STMTS + 2*(j) + 1)

struct AnnoyColumns {
  ShadowTables t;                 /* the tables that exist, statements */
  ColumnDecl *decl;
  int n;
  int table_of[2*COLUMNS_MAX];    /* column i: META or AUX ... */
  int pos_of[2*COLUMNS_MAX];      /* ... and its position there (m<pos>) */
  int n_in[2];                    /* columns of each kind */
  char *sql[2*STMTS_PER_TABLE];   /* statement templates (shadow.h) */
  char *broken;                   /* why the tables cannot be used */
};

/* ---- types ------------------------------------------------------------------- */

static const struct { const char *name; ColumnType type; int aux_only; } type_names[] = {
  { "INTEGER", COLUMN_INTEGER, 0 }, { "INT", COLUMN_INTEGER, 0 },
  { "REAL", COLUMN_REAL, 0 }, { "FLOAT", COLUMN_REAL, 0 }, { "DOUBLE", COLUMN_REAL, 0 },
  { "TEXT", COLUMN_TEXT, 0 }, { "BOOLEAN", COLUMN_BOOLEAN, 0 },
  { "BLOB", COLUMN_BLOB, 1 }, { "ANY", COLUMN_ANY, 1 },
};

ColumnType column_type_from_name(const char *s, size_t n, int aux){
  size_t i;
  if( n==0 ) return aux ? COLUMN_ANY : 0;
  for(i=0; i<sizeof(type_names)/sizeof(type_names[0]); i++){
    if( strlen(type_names[i].name)==n && strncasecmp(type_names[i].name, s, n)==0
     && (aux || !type_names[i].aux_only) ){
      return type_names[i].type;
    }
  }
  return 0;
}

const char *column_type_name(ColumnType type){
  switch( type ){
    case COLUMN_INTEGER: return "INTEGER";
    case COLUMN_REAL:    return "REAL";
    case COLUMN_TEXT:    return "TEXT";
    case COLUMN_BOOLEAN: return "BOOLEAN";
    case COLUMN_BLOB:    return "BLOB";
    default:             return "ANY";
  }
}

/* The STRICT type of the shadow column. */
static const char *storage_type(ColumnType type){
  return type==COLUMN_BOOLEAN ? "INTEGER" : column_type_name(type);
}

/* ---- open / close --------------------------------------------------------------- */

/* A statement on table k cannot be prepared: the table is not what the
** declaration says (dropped, or its columns changed). */
static int table_damaged(AnnoyColumns *c, int k, int rc, char **pzErr){
  if( rc==SQLITE_NOMEM ) return rc;
  rc = error_set(pzErr, SQLITE_CORRUPT_VTAB, "annoy table %s is corrupt: %s_%s: %s",
                 c->t.name, c->t.name, table_suffix[k], sqlite3_errmsg(c->t.db));
  return pzErr && *pzErr==0 ? SQLITE_NOMEM : rc;
}

static int exec_owned(AnnoyColumns *c, char *sql, char **pzErr){
  int rc;
  if( sql==0 ) return SQLITE_NOMEM;
  rc = sqlite3_exec(c->t.db, sql, 0, 0, 0);
  sqlite3_free(sql);
  return rc ? shadow_failed(&c->t, rc, pzErr) : SQLITE_OK;
}

/* "p0, p1, ..." for table k, with each column's STRICT type if typed. */
static char *column_list(const AnnoyColumns *c, int k, int typed){
  sqlite3_str *s = sqlite3_str_new(0);
  int i;
  for(i=0; i<c->n; i++){
    if( c->table_of[i]!=k ) continue;
    sqlite3_str_appendf(s, "%s%s%d%s%s", c->pos_of[i] ? ", " : "", column_prefix[k], c->pos_of[i],
                        typed ? " " : "", typed ? storage_type(c->decl[i].type) : "");
  }
  return sqlite3_str_finish(s);
}

/* The statement templates ("%w" schema, "%w" name, as shadow.h wants). */
static int make_templates(AnnoyColumns *c){
  int k, j;
  for(k=0; k<2; k++){
    char **sql = &c->sql[k*STMTS_PER_TABLE];
    const char *suf = table_suffix[k];
    const char *p = column_prefix[k];
    char *cols, *params;
    sqlite3_str *s;
    if( c->n_in[k]==0 ) continue;
    s = sqlite3_str_new(0);
    for(j=0; j<c->n_in[k]; j++) sqlite3_str_appendf(s, ", ?%d", j+3);
    params = sqlite3_str_finish(s);
    cols = column_list(c, k, 0);
    if( params && cols ){         /* ?2 is the slot, for the metadata */
      sql[ROW_PUT] = sqlite3_mprintf("INSERT INTO \"%%w\".\"%%w_%s\"(rowid, %s%s) VALUES(?1%s%s)",
                                     suf, k==META ? "slot, " : "", cols, k==META ? ", ?2" : "", params);
    }
    sqlite3_free(params);
    sqlite3_free(cols);
    sql[ROW_DEL] = sqlite3_mprintf("DELETE FROM \"%%w\".\"%%w_%s\" WHERE rowid=?1", suf);
    sql[ROW_MOVE] = sqlite3_mprintf("UPDATE \"%%w\".\"%%w_%s\" SET rowid=?2 WHERE rowid=?1", suf);
    if( sql[ROW_PUT]==0 || sql[ROW_DEL]==0 || sql[ROW_MOVE]==0 ) return SQLITE_NOMEM;
    for(j=0; j<c->n_in[k]; j++){
      sql[COL_GET(j)] = sqlite3_mprintf("SELECT %s%d FROM \"%%w\".\"%%w_%s\" WHERE rowid=?1", p, j, suf);
      sql[COL_SET(j)] = sqlite3_mprintf("UPDATE \"%%w\".\"%%w_%s\" SET %s%d=?2 WHERE rowid=?1", suf, p, j);
      if( sql[COL_GET(j)]==0 || sql[COL_SET(j)]==0 ) return SQLITE_NOMEM;
    }
  }
  return SQLITE_OK;
}

/* An index on each metadata column, named after the table: NAME_metadata_m0,
** or NAME_metadata_m0_2, _3 ... when a table renamed away from NAME still
** has that name for its own (SQLite keeps index names on RENAME, and an
** xRename cannot drop an index while the ALTER TABLE runs). */
static int create_indexes(AnnoyColumns *c, char **pzErr){
  sqlite3_stmt *taken = 0;
  char *sql = sqlite3_mprintf("SELECT 1 FROM \"%w\".sqlite_schema WHERE name = ?1 COLLATE NOCASE",
                              c->t.schema);
  int j, n, rc;
  if( sql==0 ) return SQLITE_NOMEM;
  rc = sqlite3_prepare_v2(c->t.db, sql, -1, &taken, 0);
  sqlite3_free(sql);
  if( rc ) return shadow_failed(&c->t, rc, pzErr);
  for(j=0; rc==SQLITE_OK && j<c->n_in[META]; j++){
    char *index = 0;
    for(n=1; rc==SQLITE_OK && n<=1000; n++){
      sqlite3_free(index);
      index = n==1 ? sqlite3_mprintf("%s_metadata_m%d", c->t.name, j)
                   : sqlite3_mprintf("%s_metadata_m%d_%d", c->t.name, j, n);
      if( index==0 ){ rc = SQLITE_NOMEM; break; }
      sqlite3_bind_text(taken, 1, index, -1, SQLITE_STATIC);
      rc = sqlite3_step(taken);
      sqlite3_reset(taken);
      if( rc==SQLITE_DONE ){ rc = SQLITE_OK; break; }
      rc = rc==SQLITE_ROW ? SQLITE_OK : shadow_failed(&c->t, rc, pzErr);
    }
    if( rc==SQLITE_OK ){
      rc = exec_owned(c, sqlite3_mprintf("CREATE INDEX \"%w\".\"%w\" ON \"%w_metadata\"(m%d, slot)",
                                         c->t.schema, index, c->t.name, j), pzErr);
    }
    sqlite3_free(index);
  }
  sqlite3_finalize(taken);
  return rc;
}

static int create_tables(AnnoyColumns *c, char **pzErr){
  int k, rc = SQLITE_OK;
  for(k=0; rc==SQLITE_OK && k<2; k++){
    char *cols;
    if( c->n_in[k]==0 ) continue;
    if( (cols = column_list(c, k, 1))==0 ) return SQLITE_NOMEM;
    rc = exec_owned(c, sqlite3_mprintf("CREATE TABLE \"%w\".\"%w_%s\"(rowid INTEGER PRIMARY KEY, %s%s) STRICT",
                                       c->t.schema, c->t.name, table_suffix[k],
                                       k==META ? "slot INTEGER NOT NULL, " : "", cols), pzErr);
    sqlite3_free(cols);
  }
  return rc ? rc : create_indexes(c, pzErr);
}

/* On connect: each table is there with its columns. */
static int check_tables(AnnoyColumns *c, char **pzErr){
  int k, rc = SQLITE_OK;
  for(k=0; rc==SQLITE_OK && k<2; k++){
    sqlite3_stmt *st = 0;
    char *cols, *sql;
    if( c->n_in[k]==0 ) continue;
    if( (cols = column_list(c, k, 0))==0 ) return SQLITE_NOMEM;
    sql = sqlite3_mprintf("SELECT rowid, %s%s FROM \"%w\".\"%w_%s\"", k==META ? "slot, " : "", cols,
                          c->t.schema, c->t.name, table_suffix[k]);
    sqlite3_free(cols);
    if( sql==0 ) return SQLITE_NOMEM;
    rc = sqlite3_prepare_v2(c->t.db, sql, -1, &st, 0);
    sqlite3_free(sql);
    sqlite3_finalize(st);
    if( rc ) rc = table_damaged(c, k, rc, pzErr);
  }
  return rc;
}

int columns_open(sqlite3 *db, const char *schema, const char *name, ColumnDecl *decl,
                 int n, int create, AnnoyColumns **out, char **pzErr){
  AnnoyColumns *c = sqlite3_malloc64(sizeof(*c));
  int i, rc, first;
  *out = 0;
  if( c==0 ){
    for(i=0; i<n; i++) sqlite3_free(decl[i].name);
    sqlite3_free(decl);
    return SQLITE_NOMEM;
  }
  memset(c, 0, sizeof(*c));
  c->decl = decl;
  c->n = n;
  for(i=0; i<n; i++){
    int k = decl[i].aux ? AUX : META;
    c->table_of[i] = k;
    c->pos_of[i] = c->n_in[k]++;
  }
  /* The suffixes of the tables that exist: both, or the one. */
  first = c->n_in[META] ? META : AUX;
  rc = shadow_init(&c->t, db, schema, name, &table_suffix[first],
                   (c->n_in[META]>0) + (c->n_in[AUX]>0), (const char *const*)c->sql,
                   2*STMTS_PER_TABLE);
  if( rc==SQLITE_OK ) rc = make_templates(c);
  if( rc ){ columns_close(c); return rc; }
  rc = create ? create_tables(c, pzErr) : check_tables(c, pzErr);
  if( !create && (rc & 0xff)==SQLITE_CORRUPT ){
    c->broken = *pzErr;           /* still connects, to be dropped */
    *pzErr = 0;
    rc = SQLITE_OK;
  }
  if( rc ){ columns_close(c); return rc; }
  *out = c;
  return SQLITE_OK;
}

void columns_close(AnnoyColumns *c){
  int i;
  if( c==0 ) return;
  shadow_free(&c->t);
  for(i=0; i<2*STMTS_PER_TABLE; i++) sqlite3_free(c->sql[i]);
  for(i=0; i<c->n; i++) sqlite3_free(c->decl[i].name);
  sqlite3_free(c->decl);
  sqlite3_free(c->broken);
  sqlite3_free(c);
}

int columns_drop(AnnoyColumns *c, char **pzErr){
  return shadow_drop(&c->t, pzErr);
}

/* The tables follow the new name; their indexes keep theirs (see
** create_indexes). */
int columns_rename(AnnoyColumns *c, const char *new_name, char **pzErr){
  return shadow_rename(&c->t, new_name, pzErr);
}

int columns_is_shadow_name(const char *suffix){
  return shadow_is_suffix(table_suffix, 2, suffix);
}

int columns_count(const AnnoyColumns *c){ return c->n; }
const ColumnDecl *columns_decl(const AnnoyColumns *c, int i){ return &c->decl[i]; }

/* ---- writes ---------------------------------------------------------------------- */

static int usable(AnnoyColumns *c, char **pzErr){
  if( c->broken==0 ) return SQLITE_OK;
  return error_set(pzErr, SQLITE_CORRUPT_VTAB, "%s", c->broken);
}

static const char *storage_class(int t){
  switch( t ){
    case SQLITE_INTEGER: return "an integer";
    case SQLITE_FLOAT:   return "a real number";
    case SQLITE_TEXT:    return "text";
    default:             return "a BLOB";
  }
}

/* Values a column takes: NULL, or its type (an INTEGER also takes a real
** with no fraction, a REAL an integer; BOOLEAN is 0 or 1). */
static int value_fits(ColumnType type, sqlite3_value *v){
  int t = sqlite3_value_type(v);
  double d;
  if( t==SQLITE_NULL || type==COLUMN_ANY ) return 1;
  switch( type ){
    case COLUMN_INTEGER:
      if( t==SQLITE_INTEGER ) return 1;
      d = sqlite3_value_double(v);
      return t==SQLITE_FLOAT && d==floor(d) && d>=-9.2e18 && d<=9.2e18;
    case COLUMN_BOOLEAN:
      return t==SQLITE_INTEGER && (sqlite3_value_int64(v)==0 || sqlite3_value_int64(v)==1);
    case COLUMN_REAL: return t==SQLITE_INTEGER || t==SQLITE_FLOAT;
    case COLUMN_TEXT: return t==SQLITE_TEXT;
    default:          return t==SQLITE_BLOB;
  }
}

int columns_check_values(AnnoyColumns *c, sqlite3_value **values, char **pzErr){
  int i;
  for(i=0; i<c->n; i++){
    const ColumnDecl *d = &c->decl[i];
    if( sqlite3_value_nochange(values[i]) || value_fits(d->type, values[i]) ) continue;
    if( d->type==COLUMN_BOOLEAN ){
      return error_set(pzErr, SQLITE_MISMATCH, "annoy: %s is a BOOLEAN column: it takes 0, 1 or NULL",
                       d->name);
    }
    return error_set(pzErr, SQLITE_MISMATCH, "annoy: %s is %s %s column: it cannot take %s",
                     d->name, d->type==COLUMN_INTEGER ? "an" : "a", column_type_name(d->type),
                     storage_class(sqlite3_value_type(values[i])));
  }
  return SQLITE_OK;
}

/* Statement j of table k, for one call. */
static int stmt(AnnoyColumns *c, int k, int j, sqlite3_stmt **st, char **pzErr){
  char *zErr = 0;
  int rc = shadow_stmt(&c->t, k*STMTS_PER_TABLE + j, st, &zErr);
  sqlite3_free(zErr);
  return rc ? table_damaged(c, k, rc, pzErr) : SQLITE_OK;
}

static int put_row(AnnoyColumns *c, int k, sqlite3_int64 rowid, uint32_t slot, sqlite3_value **values,
                   char **pzErr){
  sqlite3_stmt *st;
  int rc = stmt(c, k, ROW_PUT, &st, pzErr), i;
  if( rc ) return rc;
  sqlite3_bind_int64(st, 1, rowid);
  sqlite3_bind_int64(st, 2, slot);
  for(i=0; i<c->n; i++){
    if( c->table_of[i]==k ) sqlite3_bind_value(st, 3 + c->pos_of[i], values[i]);
  }
  rc = shadow_run(&c->t, st, pzErr);
  sqlite3_clear_bindings(st);
  return rc;
}

/* Run statement j of table k with ?1 = a (and ?2 = b when has_b). */
static int run_on_row(AnnoyColumns *c, int k, int j, sqlite3_int64 a, sqlite3_value *b,
                      char **pzErr){
  sqlite3_stmt *st;
  int rc = stmt(c, k, j, &st, pzErr);
  if( rc ) return rc;
  sqlite3_bind_int64(st, 1, a);
  if( b ) sqlite3_bind_value(st, 2, b);
  rc = shadow_run(&c->t, st, pzErr);
  sqlite3_clear_bindings(st);
  return rc;
}

int columns_insert(AnnoyColumns *c, sqlite3_int64 rowid, uint32_t slot, sqlite3_value **values,
                   char **pzErr){
  int k, rc = usable(c, pzErr);
  for(k=0; rc==SQLITE_OK && k<2; k++){
    if( c->n_in[k] ) rc = put_row(c, k, rowid, slot, values, pzErr);
  }
  return rc;
}

int columns_update(AnnoyColumns *c, sqlite3_int64 old_rowid, sqlite3_int64 new_rowid,
                   sqlite3_value **values, char **pzErr){
  sqlite3_stmt *st;
  int k, i, rc = usable(c, pzErr);
  for(k=0; rc==SQLITE_OK && k<2; k++){
    if( c->n_in[k]==0 || new_rowid==old_rowid ) continue;
    if( (rc = stmt(c, k, ROW_MOVE, &st, pzErr)) ) break;
    sqlite3_bind_int64(st, 1, old_rowid);
    sqlite3_bind_int64(st, 2, new_rowid);
    rc = shadow_run(&c->t, st, pzErr);
  }
  for(i=0; rc==SQLITE_OK && i<c->n; i++){
    if( sqlite3_value_nochange(values[i]) ) continue;
    rc = run_on_row(c, c->table_of[i], COL_SET(c->pos_of[i]), new_rowid, values[i], pzErr);
  }
  return rc;
}

int columns_delete(AnnoyColumns *c, sqlite3_int64 rowid, char **pzErr){
  int k, rc = usable(c, pzErr);
  for(k=0; rc==SQLITE_OK && k<2; k++){
    if( c->n_in[k] ) rc = run_on_row(c, k, ROW_DEL, rowid, 0, pzErr);
  }
  return rc;
}

int columns_result(AnnoyColumns *c, sqlite3_int64 rowid, int i, sqlite3_context *ctx,
                   char **pzErr){
  sqlite3_stmt *st;
  int rc = usable(c, pzErr);
  if( rc==SQLITE_OK ) rc = stmt(c, c->table_of[i], COL_GET(c->pos_of[i]), &st, pzErr);
  if( rc ) return rc;
  sqlite3_bind_int64(st, 1, rowid);
  rc = sqlite3_step(st);
  if( rc==SQLITE_ROW ) sqlite3_result_value(ctx, sqlite3_column_value(st, 0));
  sqlite3_reset(st);
  if( rc==SQLITE_ROW || rc==SQLITE_DONE ) return SQLITE_OK;
  return shadow_failed(&c->t, rc, pzErr);
}

/* ---- filters ---------------------------------------------------------------------- */

static const char *op_sql(int op){
  switch( op ){
    case SQLITE_INDEX_CONSTRAINT_EQ:        return "=";
    case SQLITE_INDEX_CONSTRAINT_NE:        return "!=";
    case SQLITE_INDEX_CONSTRAINT_LT:        return "<";
    case SQLITE_INDEX_CONSTRAINT_LE:        return "<=";
    case SQLITE_INDEX_CONSTRAINT_GT:        return ">";
    case SQLITE_INDEX_CONSTRAINT_GE:        return ">=";
    case SQLITE_INDEX_CONSTRAINT_IS:        return "IS";
    case SQLITE_INDEX_CONSTRAINT_ISNOT:     return "IS NOT";
    case SQLITE_INDEX_CONSTRAINT_ISNULL:    return "IS NULL";
    case SQLITE_INDEX_CONSTRAINT_ISNOTNULL: return "IS NOT NULL";
    case SQLITE_INDEX_CONSTRAINT_LIKE:      return "LIKE";
    case SQLITE_INDEX_CONSTRAINT_GLOB:      return "GLOB";
    default:                                return 0;
  }
}

int columns_term(const AnnoyColumns *c, int i, int op, int is_in, const char *collation,
                 char **sql, TermKind *kind){
  const char *o = op_sql(op);
  int j = c->pos_of[i];
  *sql = 0;
  if( c->table_of[i]!=META || o==0 ) return SQLITE_OK;
  /* LIKE and GLOB have no collation; the others compare as the query says. */
  if( op==SQLITE_INDEX_CONSTRAINT_LIKE || op==SQLITE_INDEX_CONSTRAINT_GLOB || collation==0 ){
    collation = "BINARY";
  }
  if( op==SQLITE_INDEX_CONSTRAINT_ISNULL || op==SQLITE_INDEX_CONSTRAINT_ISNOTNULL ){
    *kind = TERM_NONE;
    *sql = sqlite3_mprintf("m%d %s", j, o);
  }else if( is_in ){
    *kind = TERM_LIST;
    *sql = sqlite3_mprintf("m%d COLLATE \"%w\" IN (", j, collation);
  }else{
    *kind = TERM_VALUE;
    *sql = op==SQLITE_INDEX_CONSTRAINT_LIKE || op==SQLITE_INDEX_CONSTRAINT_GLOB
         ? sqlite3_mprintf("m%d %s ?", j, o)
         : sqlite3_mprintf("m%d COLLATE \"%w\" %s ?", j, collation, o);
  }
  return *sql ? SQLITE_OK : SQLITE_NOMEM;
}

/* The SELECT of a filter ("SELECT what FROM NAME_metadata WHERE ... tail"):
** each IN list gets as many '?' as it has values (counted in n_in[]). */
static char *filter_sql(AnnoyColumns *c, const char *what, const char *tail, const char *terms_sql,
                        const char *kinds, int n, const int *n_in){
  sqlite3_str *s = sqlite3_str_new(c->t.db);
  const char *p = terms_sql;
  int i, j;
  sqlite3_str_appendf(s, "SELECT %s FROM \"%w\".\"%w_metadata\" WHERE 1", what, c->t.schema, c->t.name);
  for(i=0; i<n; i++){
    const char *end = strchr(p, '\n');
    int len = end ? (int)(end-p) : (int)strlen(p);
    sqlite3_str_appendf(s, " AND %.*s", len, p);
    if( kinds[i]==TERM_LIST ){
      for(j=0; j<n_in[i]; j++) sqlite3_str_appendall(s, j ? ",?" : "?");
      sqlite3_str_appendall(s, ")");
    }
    p = end ? end+1 : p+len;
  }
  sqlite3_str_appendall(s, tail);
  return sqlite3_str_finish(s);
}

/* Bind term i's value(s) from position *pos on, or count an IN list's. */
static int bind_term(sqlite3_stmt *st, char kind, sqlite3_value *v, int *pos, int *count){
  sqlite3_value *x;
  int rc;
  if( kind==TERM_VALUE ){
    if( st ) sqlite3_bind_value(st, *pos, v);
    (*pos)++;
    return SQLITE_OK;
  }
  if( kind!=TERM_LIST ) return SQLITE_OK;
  *count = 0;
  for(rc=sqlite3_vtab_in_first(v, &x); rc==SQLITE_OK && x; rc=sqlite3_vtab_in_next(v, &x)){
    if( st ) sqlite3_bind_value(st, *pos, x);
    (*pos)++;
    (*count)++;
  }
  return rc==SQLITE_DONE ? SQLITE_OK : rc;
}

/* The filter's statement, prepared and bound, in *st. */
static int filter_prepare(AnnoyColumns *c, const char *what, const char *tail, const char *terms_sql,
                          const char *kinds, int n, sqlite3_value **values, sqlite3_stmt **st,
                          char **pzErr){
  int *n_in, i, pos = 1, rc = usable(c, pzErr), max_vars, count;
  char *sql;
  *st = 0;
  if( rc ) return rc;
  if( (n_in = sqlite3_malloc64(sizeof(int)*(size_t)(n+1)))==0 ) return SQLITE_NOMEM;
  for(i=0; rc==SQLITE_OK && i<n; i++) rc = bind_term(0, kinds[i], values[i], &pos, &n_in[i]);
  max_vars = sqlite3_limit(c->t.db, SQLITE_LIMIT_VARIABLE_NUMBER, -1);
  if( rc==SQLITE_OK && pos-1 > max_vars ){
    rc = error_set(pzErr, SQLITE_ERROR, "annoy: the metadata filter has %d values; at most %d can be "
                   "applied inside a search", pos-1, max_vars);
  }
  sql = rc ? 0 : filter_sql(c, what, tail, terms_sql, kinds, n, n_in);
  sqlite3_free(n_in);
  if( rc ) return rc;
  if( sql==0 ) return SQLITE_NOMEM;
  rc = sqlite3_prepare_v2(c->t.db, sql, -1, st, 0);
  sqlite3_free(sql);
  if( rc ) return table_damaged(c, META, rc, pzErr);
  for(i=0, pos=1; rc==SQLITE_OK && i<n; i++) rc = bind_term(*st, kinds[i], values[i], &pos, &count);
  if( rc ){
    sqlite3_finalize(*st);
    *st = 0;
  }
  return rc;
}

int columns_filter(AnnoyColumns *c, const char *terms_sql, const char *kinds, int n,
                   sqlite3_value **values, SlotSet *out, char **pzErr){
  sqlite3_stmt *st;
  int rc = filter_prepare(c, "slot", "", terms_sql, kinds, n, values, &st, pzErr);
  while( rc==SQLITE_OK && (rc = sqlite3_step(st))==SQLITE_ROW ){
    sqlite3_int64 slot = sqlite3_column_int64(st, 0);
    if( slot>=0 && slot<=UINT32_MAX ) slot_set_add(out, (uint32_t)slot);   /* else: damage annoy_check reports */
    rc = SQLITE_OK;
  }
  if( rc==SQLITE_DONE ) rc = SQLITE_OK;
  if( rc && st && rc!=SQLITE_NOMEM ) rc = shadow_failed(&c->t, rc, pzErr);
  sqlite3_finalize(st);
  return rc;
}

struct ColumnsScan { AnnoyColumns *c; sqlite3_stmt *st; };

int columns_scan_open(AnnoyColumns *c, const char *terms_sql, const char *kinds, int n,
                      sqlite3_value **values, ColumnsScan **out, char **pzErr){
  ColumnsScan *scan = sqlite3_malloc64(sizeof(*scan));
  int rc;
  *out = 0;
  if( scan==0 ) return SQLITE_NOMEM;
  scan->c = c;
  rc = filter_prepare(c, "rowid", " ORDER BY rowid", terms_sql, kinds, n, values, &scan->st, pzErr);
  if( rc ){
    sqlite3_free(scan);
    return rc;
  }
  *out = scan;
  return SQLITE_OK;
}

int columns_scan_next(ColumnsScan *scan, int *eof, sqlite3_int64 *rowid, char **pzErr){
  int rc = sqlite3_step(scan->st);
  *eof = rc!=SQLITE_ROW;
  if( rc==SQLITE_ROW ){
    *rowid = sqlite3_column_int64(scan->st, 0);
    return SQLITE_OK;
  }
  return rc==SQLITE_DONE ? SQLITE_OK : shadow_failed(&scan->c->t, rc, pzErr);
}

void columns_scan_close(ColumnsScan *scan){
  if( scan==0 ) return;
  sqlite3_finalize(scan->st);
  sqlite3_free(scan);
}

/* ---- integrity --------------------------------------------------------------------- */

/* The number the query sql (taken over) counts. */
static int count_rows(AnnoyColumns *c, char *sql, sqlite3_int64 *n, char **pzErr){
  sqlite3_stmt *st = 0;
  int rc;
  if( sql==0 ) return SQLITE_NOMEM;
  rc = sqlite3_prepare_v2(c->t.db, sql, -1, &st, 0);
  sqlite3_free(sql);
  if( rc==SQLITE_OK && (rc = sqlite3_step(st))==SQLITE_ROW ){
    *n = sqlite3_column_int64(st, 0);
    rc = SQLITE_OK;
  }
  sqlite3_finalize(st);
  return rc==SQLITE_OK || rc==SQLITE_NOMEM ? rc : shadow_failed(&c->t, rc, pzErr);
}

/* Rows of NAME_metadata whose slot is not their row's in the store. */
static int wrong_slots(AnnoyColumns *c, ColumnsSlotOf slot_of, void *ctx, sqlite3_int64 *n_wrong,
                       char **pzErr){
  sqlite3_stmt *st = 0;
  char *sql = sqlite3_mprintf("SELECT rowid, slot FROM \"%w\".\"%w_metadata\"", c->t.schema, c->t.name);
  int rc;
  *n_wrong = 0;
  if( sql==0 ) return SQLITE_NOMEM;
  rc = sqlite3_prepare_v2(c->t.db, sql, -1, &st, 0);
  sqlite3_free(sql);
  while( rc==SQLITE_OK && (rc = sqlite3_step(st))==SQLITE_ROW ){
    uint32_t slot;
    int found;
    rc = slot_of(ctx, sqlite3_column_int64(st, 0), &slot, &found, pzErr);
    if( rc==SQLITE_OK && found && sqlite3_column_int64(st, 1)!=(sqlite3_int64)slot ) (*n_wrong)++;
  }
  if( rc==SQLITE_DONE ) rc = SQLITE_OK;
  else if( rc!=SQLITE_OK && (pzErr==0 || *pzErr==0) ) rc = shadow_failed(&c->t, rc, pzErr);
  sqlite3_finalize(st);
  return rc;
}

int columns_check(AnnoyColumns *c, sqlite3_str *report, ColumnsSlotOf slot_of, void *ctx,
                  char **pzErr){
  const char *q = c->t.schema, *n = c->t.name;
  char *zErr = 0;
  int k, rc;
  if( c->broken ){
    sqlite3_str_appendf(report, "%s\n", c->broken);
    return SQLITE_OK;
  }
  rc = check_tables(c, &zErr);
  if( (rc & 0xff)==SQLITE_CORRUPT ){
    sqlite3_str_appendf(report, "%s\n", zErr);
    sqlite3_free(zErr);
    return SQLITE_OK;
  }
  for(k=0; rc==SQLITE_OK && k<2; k++){
    const char *suf = table_suffix[k];
    sqlite3_int64 extra = 0, missing = 0;
    if( c->n_in[k]==0 ) continue;
    rc = count_rows(c, sqlite3_mprintf("SELECT count(*) FROM \"%w\".\"%w_%s\" WHERE rowid NOT IN "
                                       "(SELECT rowid FROM \"%w\".\"%w\")", q, n, suf, q, n), &extra, pzErr);
    if( rc==SQLITE_OK ){
      rc = count_rows(c, sqlite3_mprintf("SELECT count(*) FROM \"%w\".\"%w\" WHERE rowid NOT IN "
                                         "(SELECT rowid FROM \"%w\".\"%w_%s\")", q, n, q, n, suf),
                      &missing, pzErr);
    }
    if( rc==SQLITE_OK && extra ){
      sqlite3_str_appendf(report, "%s_%s: %lld rows of no vector\n", n, suf, extra);
    }
    if( rc==SQLITE_OK && missing ){
      sqlite3_str_appendf(report, "%s_%s: no row for %lld vectors\n", n, suf, missing);
    }
    if( rc==SQLITE_OK && k==META && (rc = wrong_slots(c, slot_of, ctx, &extra, pzErr))==SQLITE_OK && extra ){
      sqlite3_str_appendf(report, "%s_metadata: %lld rows with another row's slot\n", n, extra);
    }
  }
  return rc;
}
