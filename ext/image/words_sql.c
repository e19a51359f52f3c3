/*
** words_sql.c — visual words in SQL (words.h, words_blob.h, words_match.h):
**
**   img_words(sift, vocabulary [, mirrored])  -> words blob: per feature its
**                                               word, signature and position
**                                               (of the mirror image when
**                                               mirrored is 1)
**   img_words_match(words_a, words_b)         -> RANSAC inliers over the
**                                               word correspondences (0
**                                               below 8)
**   img_words_match_json(words_a, words_b)    -> {"inliers":N,"homography":
**                                               [9 numbers] or null,"error":E}:
**                                               H maps a's positions to b's,
**                                               E the inliers' mean squared
**                                               error under H (words_match.h)
**
** The vocabulary comes from img_vocab_train (train_sql.c).  NULL in, NULL
** out; other wrong arguments are errors named by the function.
**
** May call: words.h, words_blob.h, words_match.h, image_sql_args.h.
*/
#include "sqlite_ext.h"
#include "error.h"
#include "image_sql.h"
#include "image_sql_args.h"
#include "match.h"
#include "words_blob.h"
#include "words_match.h"

static void img_words_func(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  const ImageSqlModel *model;
  SiftBlob sift;
  unsigned char *blob;
  size_t n;
  int mirrored = 0, near = 1;
  if( sqlite3_value_type(argv[1])==SQLITE_NULL ) return;
  if( image_sql_sift_arg(ctx, argv[0], "img_words", "the sift blob", &sift)<=0 ) return;
  if( argc>2 && image_sql_int_arg(ctx, argv[2], "img_words", "mirrored", 0, 1,
                                  &mirrored)<0 ){
    return;
  }
  if( argc>3 && image_sql_int_arg(ctx, argv[3], "img_words", "near", 1, WORDS_MAX_NEAR,
                                  &near)<0 ){
    return;
  }
  model = image_sql_model_arg(ctx, argv, 1, "img_words", IMAGE_SQL_VOCABULARY);
  if( model==0 ) return;
  blob = words_blob_encode(&model->u.vocab, &sift, mirrored, near, WORDS_NEAR_RATIO, &n);
  if( blob==0 ){
    sqlite3_result_error_nomem(ctx);
    return;
  }
  sqlite3_result_blob64(ctx, blob, n, sqlite3_free);
}

/* Argument i as a parsed words blob: 1, 0 for NULL, -1 after reporting. */
static int words_sql_arg(sqlite3_context *ctx, sqlite3_value *value, const char *zFunction,
                         const char *zWhat, WordsBlob *out){
  const unsigned char *data = 0;
  size_t n = 0;
  char *zErr = 0;
  int got = image_sql_blob_arg(ctx, value, zFunction, zWhat, &data, &n);
  int rc;
  if( got<=0 ) return got;
  rc = words_blob_parse(data, n, out, &zErr);
  if( rc!=SQLITE_OK ){
    image_sql_error_from(ctx, zFunction, rc, zErr);
    return -1;
  }
  return 1;
}

/* img_words_match and, with user data 1, img_words_match_json. */
static void img_words_match_func(sqlite3_context *ctx, int argc,
                                 sqlite3_value **argv){
  const int json = sqlite3_user_data(ctx)!=0;
  const char *zFunction = json ? "img_words_match_json" : "img_words_match";
  WordsBlob a, b;
  double h[9], error = 0;
  char *zErr = 0;
  int inliers = 0, rc;
  (void)argc;
  if( words_sql_arg(ctx, argv[0], zFunction, "argument 1", &a)<=0 ) return;
  if( words_sql_arg(ctx, argv[1], zFunction, "argument 2", &b)<=0 ) return;
  rc = words_match(&a, &b, WORDS_MATCH_HAMMING, MATCH_MIN_INLIERS, &inliers, h, &error, &zErr);
  if( rc!=SQLITE_OK ){
    image_sql_error_from(ctx, zFunction, rc, zErr);
    return;
  }
  if( inliers<MATCH_MIN_INLIERS ) inliers = 0;
  if( !json ){
    sqlite3_result_int(ctx, inliers);
  }else{
    char *z = inliers==0 ? sqlite3_mprintf("{\"inliers\":0,\"homography\":null}")
      : sqlite3_mprintf("{\"inliers\":%d,\"homography\":[%.10g,%.10g,%.10g,%.10g,%.10g,"
                        "%.10g,%.10g,%.10g,%.10g],\"error\":%.6g}", inliers,
                        h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7], h[8], error);
    if( z==0 ){
      sqlite3_result_error_nomem(ctx);
      return;
    }
    sqlite3_result_text(ctx, z, -1, sqlite3_free);
  }
}

int words_sql_register(sqlite3 *db, ImageConnection *conn){
  static const struct {
    const char *zName;
    int nArg;
    void (*xFunc)(sqlite3_context*, int, sqlite3_value**);
    int needsConnection;     /* user data = conn: its model cache */
    void *pUser;             /* else this */
  } functions[] = {
    {"img_words",            2, img_words_func, 1, 0},
    {"img_words",            3, img_words_func, 1, 0},
    {"img_words",            4, img_words_func, 1, 0},
    {"img_words_match",      2, img_words_match_func, 0, 0},
    {"img_words_match_json", 2, img_words_match_func, 0, (void*)"json"},
  };
  size_t i;
  int rc = SQLITE_OK;
  for(i=0; rc==SQLITE_OK && i<sizeof(functions)/sizeof(functions[0]); i++){
    if( functions[i].needsConnection ) conn->references++;
    rc = sqlite3_create_function_v2(db, functions[i].zName, functions[i].nArg,
        SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS,
        functions[i].needsConnection ? conn : functions[i].pUser, functions[i].xFunc, 0, 0,
        functions[i].needsConnection ? image_connection_release : 0);
  }
  return rc;
}
