/*
** annoy_columns.h — an annoy table's metadata and auxiliary columns.
**
**   CREATE VIRTUAL TABLE photos USING annoy(v float32[256],
**     album INTEGER, taken TEXT, score REAL, favourite BOOLEAN,   -- metadata
**     +caption TEXT, +thumb BLOB);                                -- auxiliary
**
** Metadata columns can be filtered inside a KNN search (`AND album = 2`
** narrows the search, so k rows come back when k rows match); auxiliary
** columns (`+name`) are stored beside the vector and returned, never
** filtered. Both are kept in shadow tables of their own, so a table without
** them has exactly the shadow tables of annoy_store.c:
**
**   NAME_metadata(rowid INTEGER PRIMARY KEY, slot INTEGER NOT NULL,
**                 <metadata columns>) STRICT,
**     slot: the row's slot in the store (fixed for the row's life), and an
**     index NAME_metadata_m<i> on each column with the slot: a filter is a
**     query SQLite answers from one index, read in order, giving the slots
**     to search (a SlotSet) without looking up a single rowid;
**   NAME_auxiliary(rowid INTEGER PRIMARY KEY, <auxiliary columns>) STRICT.
**
** Every vector row has one row in each (all NULL if nothing was given).
** Columns are numbered 0..n-1 in declaration order, both kinds together.
**
** Errors (ext/error.h): calls that can fail return an SQLite result code
** with the message in *pzErr.
*/
#ifndef IMGSEARCH_ANNOY_COLUMNS_H
#define IMGSEARCH_ANNOY_COLUMNS_H
#include "sqlite_ext.h"
#include "slot_set.h"

#define COLUMNS_MAX 16            /* of each kind */

typedef enum ColumnType {
  COLUMN_INTEGER = 1, COLUMN_REAL, COLUMN_TEXT, COLUMN_BOOLEAN,   /* metadata */
  COLUMN_BLOB, COLUMN_ANY                                         /* auxiliary only */
} ColumnType;

typedef struct ColumnDecl {
  char *name;                     /* sqlite3_malloc'd */
  ColumnType type;
  int aux;                        /* declared +name */
} ColumnDecl;

/* The type named by s[0..n) (case-insensitive; INT = INTEGER, FLOAT and
** DOUBLE = REAL; auxiliary columns also take BLOB and ANY, and no type
** at all, meaning ANY), or 0 if there is none such. */
ColumnType column_type_from_name(const char *s, size_t n, int aux);
const char *column_type_name(ColumnType type);

typedef struct AnnoyColumns AnnoyColumns;

/* Takes over decl[0..n) (their names). create makes the shadow tables;
** connect checks them, and a damaged pair still connects (so that the
** table can be dropped) and reports the damage at every other call. */
int columns_open(sqlite3 *db, const char *schema, const char *name, ColumnDecl *decl,
                 int n, int create, AnnoyColumns **out, char **pzErr);
void columns_close(AnnoyColumns *c);                      /* NULL is a no-op */
int columns_drop(AnnoyColumns *c, char **pzErr);
int columns_rename(AnnoyColumns *c, const char *new_name, char **pzErr);
int columns_is_shadow_name(const char *suffix);
int columns_count(const AnnoyColumns *c);
const ColumnDecl *columns_decl(const AnnoyColumns *c, int i);

/* Writes. values[i] is column i's new value; for an update, a value that
** sqlite3_value_nochange() says is unchanged is left as it is. */
int columns_check_values(AnnoyColumns *c, sqlite3_value **values, char **pzErr);
int columns_insert(AnnoyColumns *c, sqlite3_int64 rowid, uint32_t slot, sqlite3_value **values,
                   char **pzErr);           /* a new row: delete the one it replaces first */
int columns_update(AnnoyColumns *c, sqlite3_int64 old_rowid, sqlite3_int64 new_rowid,
                   sqlite3_value **values, char **pzErr);
int columns_delete(AnnoyColumns *c, sqlite3_int64 rowid, char **pzErr);

/* Column i of row rowid as the result of ctx (NULL if the row has none). */
int columns_result(AnnoyColumns *c, sqlite3_int64 rowid, int i, sqlite3_context *ctx,
                   char **pzErr);

/* Integrity: a line of report for each problem (nothing if there is none):
** a table missing or not as declared, rows of no vector, vectors of no row,
** slots that are not the row's (slot_of asks the store). */
typedef int (*ColumnsSlotOf)(void *ctx, sqlite3_int64 rowid, uint32_t *slot, int *found, char **pzErr);
int columns_check(AnnoyColumns *c, sqlite3_str *report, ColumnsSlotOf slot_of, void *ctx,
                  char **pzErr);

/* ---- filters ------------------------------------------------------------------
** A filter is an AND of terms. At planning, columns_term() gives each usable
** constraint on a metadata column its SQL text (or NULL: not one a filter can
** apply); the vtab keeps the texts in its plan and at search time hands them
** back with their values to columns_filter(). */
typedef enum TermKind {
  TERM_VALUE = 'm',               /* compared with one value: = < LIKE ... */
  TERM_NONE  = 'z',               /* no value: IS NULL, IS NOT NULL */
  TERM_LIST  = 'n'                /* = with every value of an IN list */
} TermKind;

/* The SQL of constraint op (SQLITE_INDEX_CONSTRAINT_*) on column i with
** the given collation, e.g. "\"album\" = ?"; *kind says what it binds.
** Returns SQLITE_OK with *sql NULL when the constraint is not one a filter
** can apply (an auxiliary column, an unsupported operator). */
int columns_term(const AnnoyColumns *c, int i, int op, int is_in, const char *collation,
                 char **sql, TermKind *kind);

/* The slots of the rows matching every term (n terms, their SQL texts
** joined by '\n' in terms_sql, their kinds in kinds, their values in
** values): added to *out. */
int columns_filter(AnnoyColumns *c, const char *terms_sql, const char *kinds, int n,
                   sqlite3_value **values, SlotSet *out, char **pzErr);

/* The same conditions without a search: the matching rowids in order. */
typedef struct ColumnsScan ColumnsScan;
int columns_scan_open(AnnoyColumns *c, const char *terms_sql, const char *kinds, int n,
                      sqlite3_value **values, ColumnsScan **scan, char **pzErr);
int columns_scan_next(ColumnsScan *scan, int *eof, sqlite3_int64 *rowid, char **pzErr);
void columns_scan_close(ColumnsScan *scan);          /* NULL is a no-op */
#endif
