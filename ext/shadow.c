/*
** shadow.c — shadow tables of a virtual table (shadow.h).
**
** May call: SQLite, error.h.
*/
#include <string.h>
#include "error.h"
#include "shadow.h"

int shadow_init(ShadowTables *t, sqlite3 *db, const char *schema, const char *name,
                const char *const *suffix, int n_suffix,
                const char *const *sql, int n_sql){
  memset(t, 0, sizeof(*t));
  t->db = db;
  t->suffix = suffix;
  t->n_suffix = n_suffix;
  t->sql = sql;
  t->n_sql = n_sql;
  t->schema = sqlite3_mprintf("%s", schema);
  t->name = sqlite3_mprintf("%s", name);
  t->stmt = (sqlite3_stmt**)sqlite3_malloc64(sizeof(sqlite3_stmt*)*(n_sql ? n_sql : 1));
  if( t->stmt ) memset(t->stmt, 0, sizeof(sqlite3_stmt*)*(n_sql ? n_sql : 1));
  if( t->schema==0 || t->name==0 || t->stmt==0 ){
    shadow_free(t);
    return SQLITE_NOMEM;
  }
  return SQLITE_OK;
}

void shadow_finalize(ShadowTables *t){
  int i;
  for(i=0; t->stmt && i<t->n_sql; i++){
    sqlite3_finalize(t->stmt[i]);
    t->stmt[i] = 0;
  }
}

void shadow_free(ShadowTables *t){
  shadow_finalize(t);
  sqlite3_free(t->stmt);
  sqlite3_free(t->schema);
  sqlite3_free(t->name);
  memset(t, 0, sizeof(*t));
}

int shadow_failed(ShadowTables *t, int rc, char **pzErr){
  if( rc==SQLITE_NOMEM ) return rc;
  return error_set(pzErr, rc, "%s", sqlite3_errmsg(t->db));
}

int shadow_stmt(ShadowTables *t, int i, sqlite3_stmt **out, char **pzErr){
  *out = 0;
  if( t->stmt[i]==0 ){
    char *zSql = sqlite3_mprintf(t->sql[i], t->schema, t->name);
    int rc;
    if( zSql==0 ) return SQLITE_NOMEM;
    rc = sqlite3_prepare_v3(t->db, zSql, -1, SQLITE_PREPARE_PERSISTENT, &t->stmt[i], 0);
    sqlite3_free(zSql);
    if( rc ) return shadow_failed(t, rc, pzErr);
  }
  *out = t->stmt[i];
  return SQLITE_OK;
}

int shadow_run(ShadowTables *t, sqlite3_stmt *st, char **pzErr){
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  if( rc==SQLITE_DONE || rc==SQLITE_ROW ) return SQLITE_OK;
  return shadow_failed(t, sqlite3_errcode(t->db), pzErr);
}

/* Execute zSql (taken over; NULL means out of memory). */
static int shadow_exec_sql(ShadowTables *t, char *zSql, char **pzErr){
  int rc;
  if( zSql==0 ) return SQLITE_NOMEM;
  rc = sqlite3_exec(t->db, zSql, 0, 0, 0);
  sqlite3_free(zSql);
  return rc ? shadow_failed(t, rc, pzErr) : SQLITE_OK;
}

int shadow_exec(ShadowTables *t, const char *zFormat, char **pzErr){
  return shadow_exec_sql(t, sqlite3_mprintf(zFormat, t->schema, t->name), pzErr);
}

int shadow_drop(ShadowTables *t, char **pzErr){
  int i, rc = SQLITE_OK;
  shadow_finalize(t);
  for(i=0; rc==SQLITE_OK && i<t->n_suffix; i++){
    rc = shadow_exec_sql(t, sqlite3_mprintf("DROP TABLE IF EXISTS \"%w\".\"%w_%s\"",
                                            t->schema, t->name, t->suffix[i]), pzErr);
  }
  return rc;
}

int shadow_rename(ShadowTables *t, const char *new_name, char **pzErr){
  char *name;
  int i, rc = SQLITE_OK;
  shadow_finalize(t);
  for(i=0; rc==SQLITE_OK && i<t->n_suffix; i++){
    rc = shadow_exec_sql(t, sqlite3_mprintf("ALTER TABLE \"%w\".\"%w_%s\" RENAME TO \"%w_%s\"",
                                            t->schema, t->name, t->suffix[i],
                                            new_name, t->suffix[i]), pzErr);
  }
  if( rc ) return rc;
  if( (name = sqlite3_mprintf("%s", new_name))==0 ) return SQLITE_NOMEM;
  sqlite3_free(t->name);
  t->name = name;
  return SQLITE_OK;
}

int shadow_is_suffix(const char *const *suffix, int n, const char *zSuffix){
  int i;
  for(i=0; i<n; i++){
    if( sqlite3_stricmp(zSuffix, suffix[i])==0 ) return 1;
  }
  return 0;
}
