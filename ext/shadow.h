/*
** shadow.h — the shadow tables of a virtual table: their names, their
** statements prepared once, and the DROP and RENAME of all of them.
**
** A module lists its shadow-table suffixes and its statements as
** sqlite3_mprintf templates whose two conversions are "%w" for the schema
** and "%w" for the table's name; shadow_stmt() prepares statement i on
** first use and keeps it until shadow_finalize().
**
** Errors follow ext/error.h: an SQLite failure is its code with
** sqlite3_errmsg() as the message.
*/
#ifndef IMGSEARCH_SHADOW_H
#define IMGSEARCH_SHADOW_H
#include "sqlite_ext.h"

typedef struct ShadowTables {
  sqlite3 *db;
  char *schema, *name;
  const char *const *suffix;   /* the tables NAME_suffix */
  int n_suffix;
  const char *const *sql;      /* statement templates */
  int n_sql;
  sqlite3_stmt **stmt;         /* n_sql, prepared on first use */
} ShadowTables;

/* SQLITE_OK or SQLITE_NOMEM (then nothing to free). */
int shadow_init(ShadowTables *t, sqlite3 *db, const char *schema, const char *name,
                const char *const *suffix, int n_suffix,
                const char *const *sql, int n_sql);
void shadow_free(ShadowTables *t);
void shadow_finalize(ShadowTables *t);

/* Statement i, prepared and kept. */
int shadow_stmt(ShadowTables *t, int i, sqlite3_stmt **out, char **pzErr);
/* Step st once (rows are ignored) and reset it. */
int shadow_run(ShadowTables *t, sqlite3_stmt *st, char **pzErr);
/* Execute the template zFormat ("%w" schema, "%w" name). */
int shadow_exec(ShadowTables *t, const char *zFormat, char **pzErr);
/* The failure rc of an SQLite call, with the connection's message. */
int shadow_failed(ShadowTables *t, int rc, char **pzErr);

int shadow_drop(ShadowTables *t, char **pzErr);
int shadow_rename(ShadowTables *t, const char *new_name, char **pzErr);
/* 1 if zSuffix is one of the n suffixes (for xShadowName). */
int shadow_is_suffix(const char *const *suffix, int n, const char *zSuffix);

#endif
