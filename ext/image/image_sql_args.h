/*
** image_sql_args.h — the img_* functions' SQL arguments, read and checked
** (image_sql_args.c), for image_sql.c, train_sql.c and keypoints_vtab.c.
**
** Contract: every reader that fails has already reported the error on the
** context with sql_func_errorf (error.h), in the words users see: the
** message starts with the function's name (zFunction) and names the
** argument (zWhat).  NULL is not an error: the reader says so and the
** caller returns NULL (or skips the row, in an aggregate).
*/
#ifndef IMGSEARCH_IMAGE_SQL_ARGS_H
#define IMGSEARCH_IMAGE_SQL_ARGS_H

#include <stddef.h>
#include "sqlite_ext.h"
#include "pca.h"
#include "sift_blob.h"
#include "vlad.h"
#include "words.h"

/* "an integer", "a real", "text", "a BLOB" or "NULL", for messages. */
const char *image_sql_type_name(int type);

/* A BLOB argument.  Returns 1 with the bytes, 0 if it is NULL, -1 after
** reporting any other type. */
int image_sql_blob_arg(sqlite3_context *ctx, sqlite3_value *value,
                       const char *zFunction, const char *zWhat,
                       const unsigned char **pData, size_t *pn);

/* A sift blob argument, parsed (a view into the value).  Same returns as
** image_sql_blob_arg.  A zWhat that starts with "argument" ("argument 2")
** is named in the message; the parser's message names the sift blob. */
int image_sql_sift_arg(sqlite3_context *ctx, sqlite3_value *value,
                       const char *zFunction, const char *zWhat,
                       SiftBlob *blob);

/* An integer argument in [lo, hi].  1 if set, -1 after reporting. */
int image_sql_int_arg(sqlite3_context *ctx, sqlite3_value *value,
                      const char *zFunction, const char *zWhat,
                      sqlite3_int64 lo, sqlite3_int64 hi, int *pOut);

/* A model argument (codebook, PCA model or vocabulary blob), parsed once
** and cached with sqlite3_set_auxdata while the argument stays the same (a
** literal or a bound parameter), and, for a function whose user data is
** the ImageConnection, kept there for the next statement with the same
** bytes (compared in full).  NULL after reporting an error. */
typedef enum ImageSqlModelKind {
  IMAGE_SQL_CODEBOOK, IMAGE_SQL_PCA, IMAGE_SQL_VOCABULARY
} ImageSqlModelKind;
typedef struct ImageSqlModel {
  ImageSqlModelKind kind;
  int references;          /* the connection's cache, statements' auxdata */
  union {
    VladCodebook codebook;
    PcaModel pca;
    WordVocab vocab;
  } u;
} ImageSqlModel;
const ImageSqlModel *image_sql_model_arg(sqlite3_context *ctx,
                                         sqlite3_value **argv, int i,
                                         const char *zFunction,
                                         ImageSqlModelKind kind);

/* Report a module's failure (rc, and zErr from sqlite3_mprintf) as
** "zFunction: zErr", and free zErr.  The modules give a message with
** every failure (the fuzz targets check that), so a missing one could not
** be allocated: SQLITE_NOMEM. */
/* Drop a reference; the last frees the model.  NULL is a no-op. */
void image_sql_model_release(struct ImageSqlModel *model);

void image_sql_error_from(sqlite3_context *ctx, const char *zFunction,
                          int rc, char *zErr);

#endif /* IMGSEARCH_IMAGE_SQL_ARGS_H */
