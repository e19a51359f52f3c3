/*
** image_sql.c — the scalar image functions in SQL, and the registration of
** all of them: thin glue from SQL values to image.h (decode, limits),
** image_sift.h (image to sift blob), sift_blob.h, vlad.h (VLAD), pca.h
** (PCA-whitening), match.h and match_json.h (RANSAC matching).  Owns no
** algorithm and no blob format of its own.
**
**   img_info(image)                     -> JSON {"width","height","channels","format"}
**   img_sift(image [, max_features])    -> sift blob (default 1000 features,
**                                          0 = all)
**   sift_count(sift)                    -> number of keypoints
**   img_vlad(sift, codebook [, pca])    -> float32 BLOB, k*128 dims (or the
**                                          PCA's), unit L2 norm; a NULL pca
**                                          is no PCA
**   img_match(sift_a, sift_b)           -> RANSAC inliers (0 below 8)
**   img_match_json(sift_a, sift_b)      -> JSON {"inliers","matches",
**                                          "mirrored","homography",
**                                          "inlier_pairs"}
**   img_thumb(image [, side [, mirror]]) -> float32 BLOB, side*side dims
**                                          (16): zero-mean unit-length tiny
**                                          grey image, for featureless images
**   img_limits([max_megapixels, max_side]) -> JSON of this connection's
**                                          limits, after setting them
** and, registered from here too: img_keypoints (keypoints_vtab.c),
** img_codebook_train, img_pca_train and img_vocab_train (train_sql.c),
** img_words and img_words_match (words_sql.c).
**
** NULL in, NULL out.  Anything else that is not what a function expects is
** an error whose message starts with the function's name
** (image_sql_args.h).
**
** Per-connection state: one ImageConnection (image_sql.h), reference
** counted.  img_sift, img_thumb and img_keypoints are not
** SQLITE_DETERMINISTIC: their result depends on the connection's limits,
** which img_limits can change.  For the same bytes under the same limits
** they return the same result.
*/
#include <math.h>
#include <string.h>

#include "sqlite_ext.h"
#include "bytes.h"
#include "error.h"
#include "image.h"
#include "image_sift.h"
#include "image_sql.h"
#include "image_sql_args.h"
#include "match.h"
#include "match_json.h"
#include "pca.h"
#include "sift_blob.h"
#include "vlad.h"

#define IMAGE_SQL_MAX_MEGAPIXELS     100000.0
#define IMAGE_SQL_MAX_SIDE           1000000

void image_connection_release(void *p){
  ImageConnection *conn = (ImageConnection*)p;
  int i;
  if( conn==0 || --conn->references>0 ) return;
  for(i=0; i<IMAGE_SQL_MODEL_KINDS; i++){
    image_sql_model_release(conn->model[i]);
    sqlite3_free(conn->model_blob[i]);
  }
  sqlite3_free(conn);
}

/* Return n floats as a little-endian float32 BLOB. */
static void image_sql_result_floats(sqlite3_context *ctx, const float *v,
                                    int n){
  const sqlite3_uint64 bytes = 4*(sqlite3_uint64)n;
  unsigned char *blob = (unsigned char*)sqlite3_malloc64(bytes ? bytes : 1);
  if( blob==0 ){
    sqlite3_result_error_nomem(ctx);
    return;
  }
  bytes_put_f32s(blob, v, (uint64_t)n);
  sqlite3_result_blob64(ctx, blob, bytes, sqlite3_free);
}

/* ---- img_info -------------------------------------------------------------- */

static void img_info_func(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  const unsigned char *data = 0;
  size_t n = 0;
  ImageInfo info;
  char *zErr = 0, *zJson;
  int rc;
  (void)argc;
  if( image_sql_blob_arg(ctx, argv[0], "img_info", "the image", &data, &n)<=0 ) return;
  rc = image_probe(data, n, &info, &zErr);
  if( rc!=SQLITE_OK ){
    image_sql_error_from(ctx, "img_info", rc, zErr);
    return;
  }
  zJson = sqlite3_mprintf("{\"width\":%d,\"height\":%d,\"channels\":%d,"
                          "\"format\":\"%s\"}", info.width, info.height,
                          info.channels, info.format);
  if( zJson==0 ){
    sqlite3_result_error_nomem(ctx);
    return;
  }
  sqlite3_result_text(ctx, zJson, -1, sqlite3_free);
}

/* ---- img_sift, sift_count -------------------------------------------------- */

static void img_sift_func(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  ImageConnection *conn = (ImageConnection*)sqlite3_user_data(ctx);
  const unsigned char *data = 0;
  unsigned char *blob = 0;
  size_t n = 0, blob_n = 0;
  int max_features = IMAGE_SIFT_DEFAULT_FEATURES, rc;
  char *zErr = 0;

  if( argc>1 && sqlite3_value_type(argv[1])!=SQLITE_NULL
   && image_sql_int_arg(ctx, argv[1], "img_sift", "max_features", 0,
                        IMAGE_SIFT_MAX_FEATURES, &max_features)<0 ){
    return;
  }
  if( image_sql_blob_arg(ctx, argv[0], "img_sift", "the image", &data, &n)<=0 ) return;
  rc = image_sift_blob(&conn->limits, data, n, max_features, &blob, &blob_n,
                       &zErr);
  if( rc!=SQLITE_OK ){
    image_sql_error_from(ctx, "img_sift", rc, zErr);
    return;
  }
  sqlite3_result_blob64(ctx, blob, blob_n, sqlite3_free);
}

static void sift_count_func(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  SiftBlob blob;
  (void)argc;
  if( image_sql_sift_arg(ctx, argv[0], "sift_count", "the sift blob", &blob)<=0 ) return;
  sqlite3_result_int(ctx, blob.count);
}

/* ---- img_vlad -------------------------------------------------------------- */

static void img_vlad_func(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  const ImageSqlModel *model;
  const VladCodebook *codebook;
  const PcaModel *pca = 0;
  SiftBlob blob;
  float *vlad = 0, *reduced = 0;
  int i, dims;

  for(i=0; i<2; i++){
    if( sqlite3_value_type(argv[i])==SQLITE_NULL ) return;   /* NULL */
  }
  if( image_sql_sift_arg(ctx, argv[0], "img_vlad", "the sift blob", &blob)<0 ) return;
  if( (model = image_sql_model_arg(ctx, argv, 1, "img_vlad", IMAGE_SQL_CODEBOOK))==0 ) return;
  codebook = &model->u.codebook;
  dims = codebook->clusters*VLAD_DESCRIPTOR_DIMS;
  if( argc>2 && sqlite3_value_type(argv[2])!=SQLITE_NULL ){   /* NULL: no PCA */
    if( (model = image_sql_model_arg(ctx, argv, 2, "img_vlad", IMAGE_SQL_PCA))==0 ) return;
    pca = &model->u.pca;
    if( pca->input_dims!=dims ){
      sql_func_errorf(ctx, SQLITE_ERROR, "img_vlad: the PCA model takes "
                      "%d-dimensional vectors, but this codebook makes %d "
                      "(train the PCA on img_vlad() of the same codebook)",
                      pca->input_dims, dims);
      return;
    }
  }
  vlad = (float*)sqlite3_malloc64(sizeof(float)*(sqlite3_uint64)dims);
  if( vlad==0 ){
    sqlite3_result_error_nomem(ctx);
    return;
  }
  if( !vlad_encode(codebook, blob.descriptors, blob.count, vlad) ){
    sqlite3_free(vlad);
    return;                      /* no features: NULL */
  }
  if( pca ){
    reduced = (float*)sqlite3_malloc64(sizeof(float)*(sqlite3_uint64)pca->output_dims);
    if( reduced==0 ){
      sqlite3_free(vlad);
      sqlite3_result_error_nomem(ctx);
      return;
    }
    if( !pca_project(pca, vlad, reduced) ){
      sqlite3_free(vlad);
      sqlite3_free(reduced);
      return;                    /* projects to zero: NULL */
    }
    dims = pca->output_dims;
    sqlite3_free(vlad);
    vlad = reduced;
  }
  image_sql_result_floats(ctx, vlad, dims);
  sqlite3_free(vlad);
}

/* ---- img_match, img_match_json -------------------------------------------- */

/* Parse both arguments and match.  1 with *out set (the caller frees it
** with match_result_free), 0 for NULL, -1 after reporting an error. */
static int image_sql_match(sqlite3_context *ctx, sqlite3_value **argv,
                           const char *zFunction, int want_pairs,
                           MatchResult *out){
  SiftBlob a, b;
  char *zErr = 0;
  int got, rc;
  got = image_sql_sift_arg(ctx, argv[0], zFunction, "argument 1", &a);
  if( got<=0 ) return got;
  got = image_sql_sift_arg(ctx, argv[1], zFunction, "argument 2", &b);
  if( got<=0 ) return got;
  rc = match_sift(&a, &b, want_pairs, out, &zErr);
  if( rc!=SQLITE_OK ){
    image_sql_error_from(ctx, zFunction, rc, zErr);
    return -1;
  }
  return 1;
}

static void img_match_func(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  MatchResult result;
  (void)argc;
  if( image_sql_match(ctx, argv, "img_match", 0, &result)>0 ){
    sqlite3_result_int(ctx, result.inliers);
    match_result_free(&result);
  }
}

static void img_match_json_func(sqlite3_context *ctx, int argc,
                                sqlite3_value **argv){
  MatchResult result;
  char *zJson = 0;
  int rc;
  (void)argc;
  if( image_sql_match(ctx, argv, "img_match_json", 1, &result)<=0 ) return;
  rc = match_result_json(sqlite3_context_db_handle(ctx), &result, &zJson);
  match_result_free(&result);
  if( rc!=SQLITE_OK ){
    sql_func_errorf(ctx, rc, "img_match_json: the JSON text is too long");
    return;
  }
  sqlite3_result_text(ctx, zJson, -1, sqlite3_free);
}

/* ---- img_thumb ------------------------------------------------------------- */

static void img_thumb_func(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  ImageConnection *conn = (ImageConnection*)sqlite3_user_data(ctx);
  float thumb[IMAGE_THUMB_MAX_SIDE*IMAGE_THUMB_MAX_SIDE];
  const unsigned char *data = 0;
  size_t n = 0;
  int side = IMAGE_THUMB_DEFAULT_SIDE, mirror = 0, made, rc;
  GreyImage grey;
  char *zErr = 0;

  if( argc>1 && sqlite3_value_type(argv[1])!=SQLITE_NULL
   && image_sql_int_arg(ctx, argv[1], "img_thumb", "side", 2,
                        IMAGE_THUMB_MAX_SIDE, &side)<0 ){
    return;
  }
  if( argc>2 && sqlite3_value_type(argv[2])!=SQLITE_NULL
   && image_sql_int_arg(ctx, argv[2], "img_thumb", "mirror (0 or 1)", 0, 1,
                        &mirror)<0 ){
    return;
  }
  if( image_sql_blob_arg(ctx, argv[0], "img_thumb", "the image", &data, &n)<=0 ) return;
  if( sift_blob_has_magic(data, n) ){
    sql_func_errorf(ctx, SQLITE_ERROR, "img_thumb: the argument is a sift "
                    "blob, not an image");
    return;
  }
  rc = image_decode_grey(data, n, &conn->limits, &grey, &zErr);
  if( rc!=SQLITE_OK ){
    image_sql_error_from(ctx, "img_thumb", rc, zErr);
    return;
  }
  made = image_thumbnail(&grey, side, mirror, thumb);
  image_grey_free(&grey);
  if( !made ) return;            /* too small, or one grey level: NULL */
  image_sql_result_floats(ctx, thumb, side*side);
}

/* ---- img_limits ------------------------------------------------------------ */

static void img_limits_func(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  ImageConnection *conn = (ImageConnection*)sqlite3_user_data(ctx);
  ImageLimits next = conn->limits;
  char *zJson;
  if( argc==2 ){
    int type = sqlite3_value_type(argv[0]);
    if( type!=SQLITE_NULL ){
      double mp = sqlite3_value_double(argv[0]);
      if( (type!=SQLITE_INTEGER && type!=SQLITE_FLOAT) || !(mp>=0.0)
       || mp>IMAGE_SQL_MAX_MEGAPIXELS ){
        sql_func_errorf(ctx, SQLITE_ERROR, "img_limits: max_megapixels must "
                        "be a number from 0 (no limit) to %g",
                        IMAGE_SQL_MAX_MEGAPIXELS);
        return;
      }
      next.max_pixels = (uint64_t)llround(mp*1e6);
      if( mp>0.0 && next.max_pixels==0 ) next.max_pixels = 1;
    }
    if( sqlite3_value_type(argv[1])!=SQLITE_NULL
     && image_sql_int_arg(ctx, argv[1], "img_limits", "max_side (0 = keep "
                          "the decoded size)", 0, IMAGE_SQL_MAX_SIDE,
                          &next.max_side)<0 ){
      return;
    }
    conn->limits = next;
  }
  zJson = sqlite3_mprintf("{\"max_megapixels\":%.15g,\"max_side\":%d}",
                          (double)conn->limits.max_pixels/1e6,
                          conn->limits.max_side);
  if( zJson==0 ){
    sqlite3_result_error_nomem(ctx);
    return;
  }
  sqlite3_result_text(ctx, zJson, -1, sqlite3_free);
}

/* ---- registration ---------------------------------------------------------- */

typedef struct ImageSqlFunction {
  const char *zName;
  int nArg;
  int needsConnection;     /* user data = ImageConnection */
  int flags;
  void (*xFunc)(sqlite3_context*, int, sqlite3_value**);
} ImageSqlFunction;

#define PURE  (SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS)
#define READS (SQLITE_UTF8 | SQLITE_INNOCUOUS)

static const ImageSqlFunction image_sql_functions[] = {
  {"img_info",       1, 0, PURE,  img_info_func},
  {"img_sift",       1, 1, READS, img_sift_func},
  {"img_sift",       2, 1, READS, img_sift_func},
  {"sift_count",     1, 0, PURE,  sift_count_func},
  {"img_vlad",       2, 1, PURE,  img_vlad_func},
  {"img_vlad",       3, 1, PURE,  img_vlad_func},
  {"img_match",      2, 0, PURE,  img_match_func},
  {"img_match_json", 2, 0, PURE,  img_match_json_func},
  {"img_thumb",      1, 1, READS, img_thumb_func},
  {"img_thumb",      2, 1, READS, img_thumb_func},
  {"img_thumb",      3, 1, READS, img_thumb_func},
  /* Changes settings: never from a trigger, view or schema. */
  {"img_limits",     0, 1, SQLITE_UTF8 | SQLITE_DIRECTONLY, img_limits_func},
  {"img_limits",     2, 1, SQLITE_UTF8 | SQLITE_DIRECTONLY, img_limits_func},
};

/* The scalar functions here, img_keypoints (keypoints_vtab.c) and the
** aggregates (train_sql.c). */
int image_sql_register(sqlite3 *db){
  ImageConnection *conn;
  size_t i;
  int rc;

  conn = (ImageConnection*)sqlite3_malloc64(sizeof(*conn));
  if( conn==0 ) return SQLITE_NOMEM;
  memset(conn, 0, sizeof(*conn));
  image_limits_default(&conn->limits);
  /* One reference for the duration of this function, so that a failed
  ** registration (which calls the destructor at once) cannot free it. */
  conn->references = 1;

  rc = keypoints_vtab_register(db, conn);
  for(i=0; rc==SQLITE_OK && i<sizeof(image_sql_functions)/sizeof(image_sql_functions[0]); i++){
    const ImageSqlFunction *f = &image_sql_functions[i];
    if( f->needsConnection ) conn->references++;
    rc = sqlite3_create_function_v2(db, f->zName, f->nArg, f->flags,
                                    f->needsConnection ? conn : 0,
                                    f->xFunc, 0, 0,
                                    f->needsConnection ? image_connection_release : 0);
  }
  if( rc==SQLITE_OK ) rc = train_sql_register(db);
  if( rc==SQLITE_OK ) rc = words_sql_register(db, conn);
  image_connection_release(conn);
  return rc;
}
