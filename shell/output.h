/*
** output.h — result tables written as table, csv, json or line (output.c).
*/
#ifndef IMGSEARCH_OUTPUT_H
#define IMGSEARCH_OUTPUT_H
#include <sqlite3.h>
#include <stdio.h>

typedef enum OutputMode {
  OUTPUT_TABLE, OUTPUT_CSV, OUTPUT_JSON, OUTPUT_LINE
} OutputMode;

/* Parse "table", "csv", "json", "line"; -1 if none of these. */
int output_mode_parse(const char *z);

/* 1 if colour escapes may be written to f (a TTY, NO_COLOR unset). */
int output_use_color(FILE *f);

/* A buffered result: column names and rows of cells.  Cells keep their
** SQLite type so JSON writes numbers as numbers. */
typedef struct OutputTable OutputTable;
OutputTable *output_table_new(int n_column, const char *const *column_names);
/* Append a row from values (n_column of them), e.g. a statement's columns. */
int output_table_add_stmt_row(OutputTable *t, sqlite3_stmt *stmt);
/* Append a row of cells: each a type (SQLITE_TEXT/INTEGER/FLOAT/NULL) and
** a value: "s" text, "i" int64, "f" double, "n" null; e.g. "sif". */
int output_table_add(OutputTable *t, const char *zTypes, ...);
/* Write t to f in mode.  In JSON mode an array of objects. */
void output_table_print(OutputTable *t, FILE *f, OutputMode mode);
int output_table_rows(const OutputTable *t);
void output_table_free(OutputTable *t);
/* Write z as a JSON string literal / a CSV field. */
void output_json_string(FILE *f, const char *z);
void output_csv_field(FILE *f, const char *z);
/* Run every row of stmt through a table and print it; SQLITE_DONE or the
** error code (message left on the connection). */
int output_statement(sqlite3_stmt *stmt, FILE *f, OutputMode mode);

#endif /* IMGSEARCH_OUTPUT_H */
