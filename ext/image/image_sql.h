/*
** image_sql.h — the image functions in SQL: the one registration entry
** point (for ext/imgsearch.c), and what the files of this SQL layer share.
**
**   image_sql.c       the scalar img_* functions and sift_count; registration
**   keypoints_vtab.c  the img_keypoints table-valued function
**   train_sql.c       the aggregates img_codebook_train, img_pca_train,
**                     img_vocab_train
**   words_sql.c       img_words, img_words_match (visual words)
**   image_sql_args.c  argument readers (image_sql_args.h)
*/
#ifndef IMGSEARCH_IMAGE_SQL_H
#define IMGSEARCH_IMAGE_SQL_H
#include "sqlite_ext.h"
#include "image.h"

/* Register everything on db, with this connection's own image limits
** (img_limits).  SQLITE_OK or an SQLite error code. */
int image_sql_register(sqlite3 *db);

/* ---- inside the SQL layer ---------------------------------------------------- */

/* Per-connection state: the image limits, shared as user data by img_sift,
** img_thumb, img_limits and the img_keypoints module, and the last model of
** each kind that img_vlad and img_words parsed (image_sql_model_arg: a
** 17 MB vocabulary is parsed once per connection, not once per
** statement); freed when the last of them is dropped.  No globals. */
struct ImageSqlModel;
#define IMAGE_SQL_MODEL_KINDS 3
typedef struct ImageConnection {
  ImageLimits limits;
  int references;      /* registrations that hold this as user data */
  struct ImageSqlModel *model[IMAGE_SQL_MODEL_KINDS];  /* by kind, or NULL */
  unsigned char *model_blob[IMAGE_SQL_MODEL_KINDS];    /* the bytes it came from */
  size_t model_bytes[IMAGE_SQL_MODEL_KINDS];
} ImageConnection;

/* Destructor of every registration holding an ImageConnection: drops one
** reference.  A registration takes its reference (references++) before
** sqlite3_create_*_v2, which calls this even when it fails. */
void image_connection_release(void *conn);

/* img_keypoints on db, holding a reference to conn (keypoints_vtab.c). */
int keypoints_vtab_register(sqlite3 *db, ImageConnection *conn);

/* img_words and img_words_match on db, img_words holding a reference to
** conn (words_sql.c). */
int words_sql_register(sqlite3 *db, ImageConnection *conn);

/* img_codebook_train, img_pca_train and img_vocab_train on db (train_sql.c). */
int train_sql_register(sqlite3 *db);


#endif /* IMGSEARCH_IMAGE_SQL_H */
