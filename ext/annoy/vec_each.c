/*
** vec_each.c — the vec_each table-valued function: one row per element.
**
**   SELECT rowid, value FROM vec_each('[1, 2, 3]');           -- 0|1.0  1|2.0  2|3.0
**   SELECT rowid, value FROM vec_each(X'0102', 'uint8');      -- 0|1  1|2
**
** The vector is JSON or a BLOB of the type named by the optional second
** argument (float32 by default; 'uint8', 'int8', 'bit'), as vec_json reads
** it. rowid is the element's index from 0; value a REAL for float32 and
** an INTEGER for the other types. NULL gives no rows. Eponymous only:
** there is no CREATE VIRTUAL TABLE ... USING vec_each.
**
** xBestIndex contract: idxNum bit 1 = the vector is argv[0], bit 2 = a type
** name follows it. Without an equality constraint on the vector the plan
** is refused (SQLITE_CONSTRAINT), so the function needs its argument.
** May call: vector_sql.h (the reader), error.h.
*/
#include <string.h>
#include "sqlite_ext.h"
#include "error.h"
#include "vector_sql.h"

enum { EACH_VALUE, EACH_VECTOR, EACH_TYPE };

typedef struct EachCursor {
  sqlite3_vtab_cursor base;
  float *values;         /* the elements (sqlite3_malloc'd) */
  int dim, i;
  VecType type;
} EachCursor;

static int each_connect(sqlite3 *db, void *aux, int argc, const char *const *argv,
                        sqlite3_vtab **ppVtab, char **pzErr){
  sqlite3_vtab *vtab;
  int rc;
  (void)aux; (void)argc; (void)argv; (void)pzErr;
  rc = sqlite3_declare_vtab(db, "CREATE TABLE x(value, vector HIDDEN, type HIDDEN)");
  if( rc ) return rc;
  if( (vtab = sqlite3_malloc(sizeof(*vtab)))==0 ) return SQLITE_NOMEM;
  memset(vtab, 0, sizeof(*vtab));
  sqlite3_vtab_config(db, SQLITE_VTAB_INNOCUOUS);
  *ppVtab = vtab;
  return SQLITE_OK;
}

static int each_disconnect(sqlite3_vtab *vtab){
  sqlite3_free(vtab);
  return SQLITE_OK;
}

static int each_best_index(sqlite3_vtab *vtab, sqlite3_index_info *info){
  int i, vector = -1, type = -1;
  (void)vtab;
  for(i=0; i<info->nConstraint; i++){
    const struct sqlite3_index_constraint *c = &info->aConstraint[i];
    if( c->op!=SQLITE_INDEX_CONSTRAINT_EQ ) continue;
    if( c->iColumn==EACH_VECTOR ){
      if( !c->usable ) return SQLITE_CONSTRAINT;
      vector = i;
    }else if( c->iColumn==EACH_TYPE ){
      if( !c->usable ) return SQLITE_CONSTRAINT;
      type = i;
    }
  }
  if( vector<0 ) return SQLITE_CONSTRAINT;
  info->aConstraintUsage[vector].argvIndex = 1;
  info->aConstraintUsage[vector].omit = 1;
  info->idxNum = 1;
  if( type>=0 ){
    info->aConstraintUsage[type].argvIndex = 2;
    info->aConstraintUsage[type].omit = 1;
    info->idxNum |= 2;
  }
  info->estimatedCost = 10;
  info->estimatedRows = 100;
  return SQLITE_OK;
}

static int each_open(sqlite3_vtab *vtab, sqlite3_vtab_cursor **ppCursor){
  EachCursor *c = sqlite3_malloc(sizeof(*c));
  (void)vtab;
  if( c==0 ) return SQLITE_NOMEM;
  memset(c, 0, sizeof(*c));
  *ppCursor = &c->base;
  return SQLITE_OK;
}

static int each_close(sqlite3_vtab_cursor *cur){
  EachCursor *c = (EachCursor*)cur;
  sqlite3_free(c->values);
  sqlite3_free(c);
  return SQLITE_OK;
}

static int each_filter(sqlite3_vtab_cursor *cur, int idxNum, const char *idxStr,
                       int argc, sqlite3_value **argv){
  EachCursor *c = (EachCursor*)cur;
  char *zErr = 0;
  int rc;
  (void)idxStr;
  sqlite3_free(cur->pVtab->zErrMsg);
  cur->pVtab->zErrMsg = 0;
  sqlite3_free(c->values);
  c->values = 0;
  c->dim = c->i = 0;
  c->type = VEC_FLOAT32;
  if( argc<1 || !(idxNum & 1) || sqlite3_value_type(argv[0])==SQLITE_NULL ) return SQLITE_OK;
  if( (idxNum & 2) && argc>1 ){
    const char *name = (const char*)sqlite3_value_text(argv[1]);
    if( name==0 || (c->type = vec_type_from_name(name, strlen(name)))==0 ){
      return error_set(&cur->pVtab->zErrMsg, SQLITE_ERROR,
                       "vec_each: type must be 'float32', 'uint8', 'int8' or 'bit'");
    }
  }
  rc = vector_read(argv[0], c->type, &c->values, &c->dim, &zErr);
  if( rc && zErr ){
    rc = error_set(&cur->pVtab->zErrMsg, rc, "vec_each: %s", zErr);
  }
  sqlite3_free(zErr);
  return rc;
}

static int each_next(sqlite3_vtab_cursor *cur){
  ((EachCursor*)cur)->i++;
  return SQLITE_OK;
}

static int each_eof(sqlite3_vtab_cursor *cur){
  EachCursor *c = (EachCursor*)cur;
  return c->i>=c->dim;
}

static int each_column(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int col){
  EachCursor *c = (EachCursor*)cur;
  if( col!=EACH_VALUE ) return SQLITE_OK;    /* hidden arguments read as NULL */
  if( c->type==VEC_FLOAT32 ) sqlite3_result_double(ctx, c->values[c->i]);
  else sqlite3_result_int(ctx, (int)c->values[c->i]);
  return SQLITE_OK;
}

static int each_rowid(sqlite3_vtab_cursor *cur, sqlite3_int64 *rowid){
  *rowid = ((EachCursor*)cur)->i;
  return SQLITE_OK;
}

static const sqlite3_module each_module = {
  0,                  /* iVersion */
  0,                  /* xCreate: 0 makes it eponymous-only */
  each_connect, each_best_index, each_disconnect, 0,
  each_open, each_close, each_filter, each_next, each_eof, each_column, each_rowid,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
};

int vec_each_register(sqlite3 *db){
  return sqlite3_create_module(db, "vec_each", &each_module, 0);
}
