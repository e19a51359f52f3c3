/*
** db.h — an image database: opening it with the extension and the schema
** (sql/schema.sql), and the few SQL helpers every command repeats.
** Defined in db.c.
*/
#ifndef IMGSEARCH_DB_H
#define IMGSEARCH_DB_H
#include <sqlite3.h>

/* Register the extension for every connection opened afterwards.  Call once,
** before any thread starts. */
int db_register_extension(void);

/* Open zPath (created if missing) with the schema in place.  A file that
** cannot be written is opened read-only, as it is (no schema, no journal
** mode): reading must not write.  On failure prints the reason to stderr
** and returns NULL. */
sqlite3 *db_open(const char *zPath);

/* Apply the tables of sql/schema.sql to db.  SQLITE_OK or an error printed
** to stderr. */
int db_ensure_schema(sqlite3 *db);

/* db_open for commands that only read: a missing zPath is an error
** ("imgsearch zCommand: no such database"), not a new empty database. */
sqlite3 *db_open_existing(const char *zCommand, const char *zPath);

/* (Re)create image_vectors with dims-float vectors, every images.vector
** back to 0: the image_vectors part of sql/schema.sql.  SQLITE_OK, or an
** error code with the message in *pzErr (sqlite3_mprintf'd, caller frees). */
int db_create_vectors(sqlite3 *db, int dims, char **pzErr);

/* 1 if the database has a codebook and the image_vectors table. */
int db_has_index(sqlite3 *db);
/* 1 if it also has the visual words: a vocabulary and image_words (made
** by an index run of this version; older databases get them at the next). */
int db_has_words(sqlite3 *db);
/* Tell the user (stderr) that a database without them searches by the
** global vectors only, and how to add them. */
void db_note_no_words(void);
/* db_has_index, or 0 after telling the user to run `imgsearch index`. */
int db_require_index(sqlite3 *db);

/* The stored model — codebook, the projection's PCA, the vocabulary —
** copied out of the database and bound as parameters, so img_vlad and
** img_words get the same bytes every time (parsed once per connection,
** image_sql_args.h) instead of a 17 MB blob read per query. */
typedef struct DbModel {
  unsigned char *codebook;   /* NULL: no codebook yet */
  unsigned char *pca;        /* NULL: no projection */
  unsigned char *vocab;      /* NULL: no vocabulary (a database from before
                             ** image_words: the next training makes one) */
  size_t codebook_bytes, pca_bytes, vocab_bytes;
} DbModel;

void db_model_load(sqlite3 *db, DbModel *m);
/* Bind the codebook to parameter i of stmt, the PCA to i+1 and the
** vocabulary to i+2 (those the statement has). */
void db_model_bind(const DbModel *m, sqlite3_stmt *stmt, int i);
void db_model_free(DbModel *m);

/* Print "imgsearch: <what>: <sqlite message>" to stderr. */
void db_error(sqlite3 *db, const char *zWhat);

/* sqlite3_exec(zSql); an error is printed with db_error(db, zSql). */
int db_exec(sqlite3 *db, const char *zSql);

/* Run a prepared statement to completion, then reset it and clear its
** bindings.  SQLITE_OK or the error code (message left on the connection). */
int db_step(sqlite3_stmt *stmt);

/* The integer in the first column of zSql's first row (0 if no row or an
** error). */
sqlite3_int64 db_query_int(sqlite3 *db, const char *zSql);

/* A malloc'd copy of column i of stmt's current row (a BLOB), its size in
** *pn; NULL when out of memory.  An empty or NULL value gives a 1-byte
** allocation and *pn 0. */
unsigned char *db_column_blob_copy(sqlite3_stmt *stmt, int i, size_t *pn);

#endif /* IMGSEARCH_DB_H */
