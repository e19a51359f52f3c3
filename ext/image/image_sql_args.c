/*
** image_sql_args.c — reading the img_* functions' arguments.  See
** image_sql_args.h.
**
** May call: sift_blob.h (parse), error.h (sql_func_errorf), sqlite3_value_*
** and sqlite3_free through sqlite_ext.h.
*/
#include <string.h>

#include "error.h"
#include "image_sql.h"
#include "image_sql_args.h"

const char *image_sql_type_name(int type){
  switch( type ){
    case SQLITE_INTEGER: return "an integer";
    case SQLITE_FLOAT:   return "a real";
    case SQLITE_TEXT:    return "text";
    case SQLITE_BLOB:    return "a BLOB";
    default:             return "NULL";
  }
}

void image_sql_error_from(sqlite3_context *ctx, const char *zFunction,
                          int rc, char *zErr){
  sql_func_errorf(ctx, zErr ? rc : SQLITE_NOMEM, "%s: %s", zFunction, zErr);
  sqlite3_free(zErr);
}

int image_sql_blob_arg(sqlite3_context *ctx, sqlite3_value *value,
                       const char *zFunction, const char *zWhat,
                       const unsigned char **pData, size_t *pn){
  int type = sqlite3_value_type(value);
  if( type==SQLITE_NULL ) return 0;
  if( type!=SQLITE_BLOB ){
    sql_func_errorf(ctx, SQLITE_MISMATCH, "%s: %s must be a BLOB, not %s",
                    zFunction, zWhat, image_sql_type_name(type));
    return -1;
  }
  *pData = (const unsigned char*)sqlite3_value_blob(value);
  *pn = (size_t)sqlite3_value_bytes(value);
  return 1;
}

int image_sql_sift_arg(sqlite3_context *ctx, sqlite3_value *value,
                       const char *zFunction, const char *zWhat,
                       SiftBlob *blob){
  const unsigned char *data = 0;
  size_t n = 0;
  char *zErr = 0;
  int rc, got = image_sql_blob_arg(ctx, value, zFunction, zWhat, &data, &n);
  if( got<=0 ) return got;
  rc = sift_blob_parse(data, n, blob, &zErr);
  if( rc==SQLITE_OK ) return 1;
  if( zErr==0 ) rc = SQLITE_NOMEM;          /* as in image_sql_error_from */
  if( strncmp(zWhat, "argument", 8)==0 ){
    sql_func_errorf(ctx, rc, "%s: %s: %s", zFunction, zWhat, zErr);
  }else{
    sql_func_errorf(ctx, rc, "%s: %s", zFunction, zErr);
  }
  sqlite3_free(zErr);
  return -1;
}

int image_sql_int_arg(sqlite3_context *ctx, sqlite3_value *value,
                      const char *zFunction, const char *zWhat,
                      sqlite3_int64 lo, sqlite3_int64 hi, int *pOut){
  sqlite3_int64 v;
  int type = sqlite3_value_type(value);
  if( type!=SQLITE_INTEGER ){
    sql_func_errorf(ctx, SQLITE_MISMATCH, "%s: %s must be an integer, not %s",
                    zFunction, zWhat, image_sql_type_name(type));
    return -1;
  }
  v = sqlite3_value_int64(value);
  if( v<lo || v>hi ){
    sql_func_errorf(ctx, SQLITE_ERROR, "%s: %s must be between %lld and %lld, "
                    "got %lld", zFunction, zWhat, lo, hi, v);
    return -1;
  }
  *pOut = (int)v;
  return 1;
}

/* ---- models, cached per statement and per connection ----------------------------------------- */

void image_sql_model_release(ImageSqlModel *model){
  if( model==0 || --model->references>0 ) return;
  switch( model->kind ){
    case IMAGE_SQL_CODEBOOK:   vlad_codebook_free(&model->u.codebook); break;
    case IMAGE_SQL_PCA:        pca_model_free(&model->u.pca); break;
    case IMAGE_SQL_VOCABULARY: words_vocab_free(&model->u.vocab); break;
  }
  sqlite3_free(model);
}

static void image_sql_model_auxdata_free(void *p){
  image_sql_model_release((ImageSqlModel*)p);
}

/* The model of kind parsed from data[0..n), with no reference taken; NULL
** after reporting an error. */
static ImageSqlModel *image_sql_model_parse(sqlite3_context *ctx, const unsigned char *data,
                                            size_t n, const char *zFunction,
                                            ImageSqlModelKind kind){
  ImageSqlModel *model = (ImageSqlModel*)sqlite3_malloc64(sizeof(*model));
  char *zErr = 0;
  int rc = SQLITE_OK;
  if( model==0 ){
    sqlite3_result_error_nomem(ctx);
    return 0;
  }
  model->kind = kind;
  model->references = 0;
  switch( kind ){
    case IMAGE_SQL_CODEBOOK:
      rc = vlad_codebook_parse(data, n, &model->u.codebook, &zErr); break;
    case IMAGE_SQL_PCA:
      rc = pca_model_parse(data, n, &model->u.pca, &zErr); break;
    case IMAGE_SQL_VOCABULARY:
      rc = words_vocab_parse(data, n, &model->u.vocab, &zErr); break;
  }
  if( rc!=SQLITE_OK ){
    sqlite3_free(model);
    image_sql_error_from(ctx, zFunction, rc, zErr);
    return 0;
  }
  return model;
}

/* Keep model as conn's model of its kind (a copy of its bytes with it);
** without memory for the copy the cache stays as it was. */
static void image_sql_model_keep(ImageConnection *conn, ImageSqlModel *model,
                                 const unsigned char *data, size_t n){
  unsigned char *copy = (unsigned char*)sqlite3_malloc64(n ? n : 1);
  int kind = (int)model->kind;
  if( copy==0 ) return;
  memcpy(copy, data, n);
  image_sql_model_release(conn->model[kind]);
  sqlite3_free(conn->model_blob[kind]);
  conn->model[kind] = model;
  conn->model_blob[kind] = copy;
  conn->model_bytes[kind] = n;
  model->references++;
}

const ImageSqlModel *image_sql_model_arg(sqlite3_context *ctx,
                                         sqlite3_value **argv, int i,
                                         const char *zFunction,
                                         ImageSqlModelKind kind){
  static const char *const azWhat[] = {"the codebook", "the PCA model", "the vocabulary"};
  ImageConnection *conn = (ImageConnection*)sqlite3_user_data(ctx);
  ImageSqlModel *model = (ImageSqlModel*)sqlite3_get_auxdata(ctx, i);
  const unsigned char *data = 0;
  size_t n = 0;
  if( model && model->kind==kind ) return model;
  if( image_sql_blob_arg(ctx, argv[i], zFunction, azWhat[kind], &data, &n)<0 ){
    return 0;
  }
  if( conn && conn->model[kind] && conn->model_bytes[kind]==n
   && memcmp(conn->model_blob[kind], data, n)==0 ){
    model = conn->model[kind];
  }else{
    model = image_sql_model_parse(ctx, data, n, zFunction, kind);
    if( model==0 ) return 0;
    if( conn ) image_sql_model_keep(conn, model, data, n);
  }
  model->references++;
  sqlite3_set_auxdata(ctx, i, model, image_sql_model_auxdata_free);
  /* set_auxdata may have released it already (out of memory): ask again. */
  model = (ImageSqlModel*)sqlite3_get_auxdata(ctx, i);
  if( model==0 ) sqlite3_result_error_nomem(ctx);
  return model;
}
