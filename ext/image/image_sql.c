/*
** image_sql.c — image functions in SQL: thin glue from SQL values to
** image.h (decode, limits), sift_cv.h (SIFT), sift_blob.h (the sift blob),
** vlad.h (codebook, VLAD), pca.h (PCA-whitening) and match.h (RANSAC
** matching).  Owns no algorithm and no blob format of its own.
**
**   img_info(image)                     -> JSON {"width","height","channels","format"}
**   img_sift(image [, max_features])    -> sift blob (default 1000 features,
**                                          0 = all)
**   sift_count(sift)                    -> number of keypoints
**   SELECT * FROM img_keypoints(image_or_sift)
**                                       -> x, y, size, angle, response,
**                                          descriptor; rowid = keypoint index
**   img_codebook_train(sift [, k])      aggregate -> codebook blob (k = 64)
**   img_vlad(sift, codebook [, pca])    -> float32 BLOB, k*128 dims (or the
**                                          PCA's), unit L2 norm; a NULL pca
**                                          is no PCA
**   img_pca_train(vlad [, dims])        aggregate -> PCA blob (dims = 64)
**   img_match(sift_a, sift_b)           -> RANSAC inliers (0 below 8)
**   img_match_json(sift_a, sift_b)      -> JSON {"inliers","matches",
**                                          "mirrored","homography",
**                                          "inlier_pairs"}
**   img_thumb(image [, side [, mirror]]) -> float32 BLOB, side*side dims
**                                          (16): zero-mean unit-length tiny
**                                          grey image, for featureless images
**   img_limits([max_megapixels, max_side]) -> JSON of this connection's
**                                          limits, after setting them
**
** NULL in, NULL out (aggregates skip NULL rows).  Anything else that is
** not what a function expects is an error whose message starts with the
** function's name.
**
** Per-connection state: one ImageConnection (the image limits), shared as
** user data by img_sift, img_thumb, img_limits and the img_keypoints module, freed
** when the last of them is dropped (reference count).  No globals.
**
** img_sift, img_thumb and img_keypoints are not SQLITE_DETERMINISTIC: their result
** depends on the connection's limits, which img_limits can change.  For
** the same bytes under the same limits they return the same result.
*/
#include <math.h>
#include <string.h>

#include "sqlite_ext.h"
#include "image.h"
#include "image_sql.h"
#include "match.h"
#include "pca.h"
#include "sift_blob.h"
#include "sift_cv.h"
#include "error.h"
#include "vlad.h"

#define IMAGE_SQL_DEFAULT_FEATURES   1000
#define IMAGE_SQL_MAX_FEATURES       1000000
#define IMAGE_SQL_MAX_MEGAPIXELS     100000.0
#define IMAGE_SQL_MAX_SIDE           1000000

/* ---- per-connection state -------------------------------------------------- */

typedef struct ImageConnection {
  ImageLimits limits;
  int references;      /* registrations that hold this as user data */
} ImageConnection;

/* Destructor of every registration holding the connection state. */
static void image_connection_release(void *p){
  ImageConnection *conn = (ImageConnection*)p;
  if( conn && --conn->references==0 ) sqlite3_free(conn);
}

/* ---- helpers --------------------------------------------------------------- */

/* Report a module's failure (rc, zErr from sqlite3_mprintf) and free zErr.
** The modules give a message with every failure (the fuzz targets check
** that), so a missing one could not be allocated: SQLITE_NOMEM. */
static void image_sql_error_from(sqlite3_context *ctx, const char *zFunction,
                                 int rc, char *zErr){
  sql_func_errorf(ctx, zErr ? rc : SQLITE_NOMEM, "%s: %s", zFunction, zErr);
  sqlite3_free(zErr);
}

static const char *image_sql_type_name(int type){
  switch( type ){
    case SQLITE_INTEGER: return "an integer";
    case SQLITE_FLOAT:   return "a real";
    case SQLITE_TEXT:    return "text";
    case SQLITE_BLOB:    return "a BLOB";
    default:             return "NULL";
  }
}

/* A BLOB argument.  Returns 1 with the bytes, 0 if it is NULL (the caller
** returns NULL), -1 after reporting any other type. */
static int image_sql_blob_arg(sqlite3_context *ctx, sqlite3_value *value,
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

/* A sift blob argument, parsed.  Same returns as image_sql_blob_arg. */
static int image_sql_sift_arg(sqlite3_context *ctx, sqlite3_value *value,
                              const char *zFunction, const char *zWhat,
                              SiftBlob *blob){
  const unsigned char *data = 0;
  size_t n = 0;
  char *zErr = 0;
  int rc, got = image_sql_blob_arg(ctx, value, zFunction, zWhat, &data, &n);
  if( got<=0 ) return got;
  rc = sift_blob_parse(data, n, blob, &zErr);
  if( rc!=SQLITE_OK ){
    if( zErr==0 ) rc = SQLITE_NOMEM;        /* as in image_sql_error_from */
    /* "argument 2: ..." where it helps; the parser's message names the
    ** sift blob itself. */
    if( strncmp(zWhat, "argument", 8)==0 ){
      sql_func_errorf(ctx, rc, "%s: %s: %s", zFunction, zWhat, zErr);
    }else{
      sql_func_errorf(ctx, rc, "%s: %s", zFunction, zErr);
    }
    sqlite3_free(zErr);
    return -1;
  }
  return 1;
}

/* An integer argument in [lo, hi].  1 if set, -1 after reporting. */
static int image_sql_int_arg(sqlite3_context *ctx, sqlite3_value *value,
                             const char *zFunction, const char *zWhat,
                             sqlite3_int64 lo, sqlite3_int64 hi, int *pOut){
  sqlite3_int64 v;
  if( sqlite3_value_type(value)!=SQLITE_INTEGER ){
    sql_func_errorf(ctx, SQLITE_MISMATCH, "%s: %s must be an integer, not %s",
                    zFunction, zWhat, image_sql_type_name(sqlite3_value_type(value)));
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

/* Little-endian float32 BLOB of n floats (sqlite3_malloc64), or NULL. */
static unsigned char *image_sql_float_blob(const float *v, int n){
  unsigned char *blob = (unsigned char*)sqlite3_malloc64(4*(sqlite3_uint64)(n ? n : 1));
  int i;
  if( blob==0 ) return 0;
  for(i=0; i<n; i++){
    uint32_t bits;
    memcpy(&bits, &v[i], 4);
    blob[4*i] = (unsigned char)bits;
    blob[4*i+1] = (unsigned char)(bits>>8);
    blob[4*i+2] = (unsigned char)(bits>>16);
    blob[4*i+3] = (unsigned char)(bits>>24);
  }
  return blob;
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

/* Decode an image under the limits, run SIFT on the working copy, and
** return a new sift blob (sqlite3_malloc64) with keypoints mapped back to
** original-image coordinates.  On failure *pzErr has a message. */
static int image_sql_extract(const ImageLimits *limits,
                             const unsigned char *data, size_t n,
                             int max_features, unsigned char **pBlob,
                             size_t *pn, char **pzErr){
  GreyImage grey;
  SiftFeatures features;
  char zErr[300];
  int rc, i;

  *pBlob = 0;
  *pn = 0;
  memset(&features, 0, sizeof(features));
  if( sift_blob_has_magic(data, n) ){
    *pzErr = sqlite3_mprintf("the argument is already a sift blob, not an "
                             "image");
    return SQLITE_ERROR;
  }
  rc = image_decode_grey(data, n, limits, &grey, pzErr);
  if( rc!=SQLITE_OK ) return rc;
  rc = sift_extract(grey.pixels, grey.width, grey.height, grey.width,
                    max_features, &features, zErr, sizeof(zErr));
  if( rc!=SQLITE_OK ){
    *pzErr = sqlite3_mprintf("%s", zErr);
    goto cleanup;
  }
  if( grey.width!=grey.original_width || grey.height!=grey.original_height ){
    /* Working pixel i covers original [i*s, (i+1)*s): centre (i+0.5)*s-0.5. */
    const double sx = (double)grey.original_width/grey.width;
    const double sy = (double)grey.original_height/grey.height;
    for(i=0; i<features.count; i++){
      SiftKeypoint *k = &features.keypoints[i];
      k->x = (float)((k->x + 0.5)*sx - 0.5);
      k->y = (float)((k->y + 0.5)*sy - 0.5);
      k->size = (float)(k->size*0.5*(sx + sy));
    }
  }
  *pBlob = sift_blob_encode(grey.original_width, grey.original_height,
                            features.count, features.keypoints,
                            features.descriptors, pn);
  if( *pBlob==0 ){
    rc = SQLITE_NOMEM;
    *pzErr = sqlite3_mprintf("out of memory");
  }

cleanup:
  sift_features_free(&features);
  image_grey_free(&grey);
  return rc;
}

static void img_sift_func(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  ImageConnection *conn = (ImageConnection*)sqlite3_user_data(ctx);
  const unsigned char *data = 0;
  unsigned char *blob = 0;
  size_t n = 0, blob_n = 0;
  int max_features = IMAGE_SQL_DEFAULT_FEATURES, rc;
  char *zErr = 0;

  if( argc>1 && sqlite3_value_type(argv[1])!=SQLITE_NULL
   && image_sql_int_arg(ctx, argv[1], "img_sift", "max_features", 0,
                        IMAGE_SQL_MAX_FEATURES, &max_features)<0 ){
    return;
  }
  if( image_sql_blob_arg(ctx, argv[0], "img_sift", "the image", &data, &n)<=0 ) return;
  rc = image_sql_extract(&conn->limits, data, n, max_features, &blob,
                         &blob_n, &zErr);
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

/* ---- img_keypoints: table-valued function ---------------------------------- */
/*
** Eponymous-only virtual table (no xCreate): SELECT * FROM
** img_keypoints(:blob).  The argument is the hidden column "input"; it may
** be an image (SIFT runs with this connection's limits and the default
** feature cap) or a sift blob.  NULL gives no rows.
**
** THE xBestIndex CONTRACT:
**   idxNum 1  input = ? is usable; argv[0] of xFilter is its value.
**   idxNum 0  no input constraint; xFilter fails with a message saying how
**             to call the function.
**   An input constraint that is present but not usable makes xBestIndex
**   return SQLITE_CONSTRAINT, so the planner looks for another order.
*/

#define KEYPOINTS_COL_X           0
#define KEYPOINTS_COL_Y           1
#define KEYPOINTS_COL_SIZE        2
#define KEYPOINTS_COL_ANGLE       3
#define KEYPOINTS_COL_RESPONSE    4
#define KEYPOINTS_COL_DESCRIPTOR  5
#define KEYPOINTS_COL_INPUT       6

typedef struct KeypointsTable {
  sqlite3_vtab base;
  ImageConnection *conn;
} KeypointsTable;

typedef struct KeypointsCursor {
  sqlite3_vtab_cursor base;
  unsigned char *bytes;    /* owned sift blob bytes (copied or extracted) */
  SiftBlob blob;           /* view into bytes */
  int row;
} KeypointsCursor;

static int keypoints_connect(sqlite3 *db, void *aux, int argc,
                             const char *const *argv, sqlite3_vtab **ppVtab,
                             char **pzErr){
  KeypointsTable *table;
  int rc;
  (void)argc;
  (void)argv;
  rc = sqlite3_declare_vtab(db, "CREATE TABLE x(x REAL, y REAL, size REAL, "
                            "angle REAL, response REAL, descriptor BLOB, "
                            "input HIDDEN)");
  if( rc!=SQLITE_OK ){
    *pzErr = sqlite3_mprintf("img_keypoints: cannot declare the table: %s",
                             sqlite3_errstr(rc));
    return rc;
  }
  table = (KeypointsTable*)sqlite3_malloc64(sizeof(*table));
  if( table==0 ) return SQLITE_NOMEM;
  memset(table, 0, sizeof(*table));
  table->conn = (ImageConnection*)aux;
  sqlite3_vtab_config(db, SQLITE_VTAB_INNOCUOUS);
  *ppVtab = &table->base;
  return SQLITE_OK;
}

static int keypoints_disconnect(sqlite3_vtab *vtab){
  sqlite3_free(vtab);
  return SQLITE_OK;
}

static int keypoints_open(sqlite3_vtab *vtab, sqlite3_vtab_cursor **ppCursor){
  KeypointsCursor *cursor = (KeypointsCursor*)sqlite3_malloc64(sizeof(*cursor));
  (void)vtab;
  if( cursor==0 ) return SQLITE_NOMEM;
  memset(cursor, 0, sizeof(*cursor));
  *ppCursor = &cursor->base;
  return SQLITE_OK;
}

static void keypoints_reset(KeypointsCursor *cursor){
  sqlite3_free(cursor->bytes);
  cursor->bytes = 0;
  memset(&cursor->blob, 0, sizeof(cursor->blob));
  cursor->row = 0;
}

static int keypoints_close(sqlite3_vtab_cursor *cur){
  KeypointsCursor *cursor = (KeypointsCursor*)cur;
  keypoints_reset(cursor);
  sqlite3_free(cursor);
  return SQLITE_OK;
}

/* Fail xFilter with "img_keypoints: message" (zMsg from sqlite3_mprintf,
** freed here); SQLITE_NOMEM when there is no memory for the message. */
static int keypoints_error(KeypointsCursor *cursor, int rc, char *zMsg){
  sqlite3_vtab *vtab = cursor->base.pVtab;
  sqlite3_free(vtab->zErrMsg);
  vtab->zErrMsg = zMsg ? sqlite3_mprintf("img_keypoints: %s", zMsg) : 0;
  sqlite3_free(zMsg);
  if( vtab->zErrMsg==0 ) return SQLITE_NOMEM;
  return rc==SQLITE_OK ? SQLITE_ERROR : rc;
}

static int keypoints_filter(sqlite3_vtab_cursor *cur, int idxNum,
                            const char *idxStr, int argc,
                            sqlite3_value **argv){
  KeypointsCursor *cursor = (KeypointsCursor*)cur;
  KeypointsTable *table = (KeypointsTable*)cur->pVtab;
  const unsigned char *data;
  size_t n, blob_n = 0;
  char *zErr = 0;
  int rc, type;
  (void)idxStr;

  keypoints_reset(cursor);
  if( idxNum!=1 || argc<1 ){
    return keypoints_error(cursor, SQLITE_ERROR, sqlite3_mprintf(
        "needs an image or sift blob argument: SELECT * FROM "
        "img_keypoints(:blob)"));
  }
  type = sqlite3_value_type(argv[0]);
  if( type==SQLITE_NULL ) return SQLITE_OK;          /* no rows */
  if( type!=SQLITE_BLOB ){
    return keypoints_error(cursor, SQLITE_MISMATCH, sqlite3_mprintf(
        "the argument must be an image or sift blob, not %s",
        image_sql_type_name(type)));
  }
  data = (const unsigned char*)sqlite3_value_blob(argv[0]);
  n = (size_t)sqlite3_value_bytes(argv[0]);
  if( sift_blob_has_magic(data, n) ){
    /* The value dies with xFilter; keep a copy for the rows. */
    cursor->bytes = (unsigned char*)sqlite3_malloc64(n);
    if( cursor->bytes==0 ) return SQLITE_NOMEM;
    memcpy(cursor->bytes, data, n);
    blob_n = n;
  }else{
    rc = image_sql_extract(&table->conn->limits, data, n,
                           IMAGE_SQL_DEFAULT_FEATURES, &cursor->bytes,
                           &blob_n, &zErr);
    if( rc!=SQLITE_OK ) return keypoints_error(cursor, rc, zErr);
  }
  rc = sift_blob_parse(cursor->bytes, blob_n, &cursor->blob, &zErr);
  if( rc!=SQLITE_OK ){
    keypoints_reset(cursor);
    return keypoints_error(cursor, rc, zErr);
  }
  return SQLITE_OK;
}

static int keypoints_next(sqlite3_vtab_cursor *cur){
  ((KeypointsCursor*)cur)->row++;
  return SQLITE_OK;
}

static int keypoints_eof(sqlite3_vtab_cursor *cur){
  KeypointsCursor *cursor = (KeypointsCursor*)cur;
  return cursor->row>=cursor->blob.count;
}

static int keypoints_column(sqlite3_vtab_cursor *cur, sqlite3_context *ctx,
                            int column){
  KeypointsCursor *cursor = (KeypointsCursor*)cur;
  SiftKeypoint k;
  if( cursor->row>=cursor->blob.count ) return SQLITE_OK;
  sift_blob_keypoint(&cursor->blob, cursor->row, &k);
  switch( column ){
    case KEYPOINTS_COL_X:        sqlite3_result_double(ctx, k.x); break;
    case KEYPOINTS_COL_Y:        sqlite3_result_double(ctx, k.y); break;
    case KEYPOINTS_COL_SIZE:     sqlite3_result_double(ctx, k.size); break;
    case KEYPOINTS_COL_ANGLE:    sqlite3_result_double(ctx, k.angle); break;
    case KEYPOINTS_COL_RESPONSE: sqlite3_result_double(ctx, k.response); break;
    case KEYPOINTS_COL_DESCRIPTOR:
      sqlite3_result_blob(ctx, cursor->blob.descriptors
                          + (size_t)cursor->row*SIFT_DESCRIPTOR_BYTES,
                          SIFT_DESCRIPTOR_BYTES, SQLITE_TRANSIENT);
      break;
    default:                     sqlite3_result_null(ctx); break;
  }
  return SQLITE_OK;
}

static int keypoints_rowid(sqlite3_vtab_cursor *cur, sqlite3_int64 *pRowid){
  *pRowid = ((KeypointsCursor*)cur)->row;
  return SQLITE_OK;
}

static int keypoints_best_index(sqlite3_vtab *vtab, sqlite3_index_info *info){
  int i, input = -1, unusable = 0;
  (void)vtab;
  for(i=0; i<info->nConstraint; i++){
    const struct sqlite3_index_constraint *c = &info->aConstraint[i];
    if( c->iColumn!=KEYPOINTS_COL_INPUT || c->op!=SQLITE_INDEX_CONSTRAINT_EQ ) continue;
    if( !c->usable ){
      unusable = 1;
      continue;
    }
    input = i;
    break;
  }
  if( input>=0 ){
    info->aConstraintUsage[input].argvIndex = 1;
    info->aConstraintUsage[input].omit = 1;
    info->idxNum = 1;
    info->estimatedCost = 1000.0;
    info->estimatedRows = 1000;
    return SQLITE_OK;
  }
  if( unusable ) return SQLITE_CONSTRAINT;
  info->idxNum = 0;
  info->estimatedCost = 1e12;
  return SQLITE_OK;
}

static const sqlite3_module keypoints_module = {
  0,                       /* iVersion */
  0,                       /* xCreate: eponymous-only */
  keypoints_connect,
  keypoints_best_index,
  keypoints_disconnect,
  0,                       /* xDestroy */
  keypoints_open,
  keypoints_close,
  keypoints_filter,
  keypoints_next,
  keypoints_eof,
  keypoints_column,
  keypoints_rowid,
  0, 0, 0, 0, 0, 0, 0,     /* xUpdate .. xRename: read-only */
  0, 0, 0,                 /* xSavepoint, xRelease, xRollbackTo */
  0                        /* xShadowName */
};

/* ---- img_codebook_train, img_vlad ----------------------------------------- */

typedef struct CodebookAggregate {
  VladTrainer *trainer;
  int clusters;
  int failed;              /* a step reported an error: finish nothing */
} CodebookAggregate;

static void codebook_step(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  CodebookAggregate *agg = (CodebookAggregate*)sqlite3_aggregate_context(ctx, sizeof(*agg));
  SiftBlob blob;
  int clusters = VLAD_DEFAULT_CLUSTERS, got;
  if( agg==0 ){
    sqlite3_result_error_nomem(ctx);
    return;
  }
  if( agg->failed ) return;
  agg->failed = 1;                       /* until this step succeeds */
  if( argc>1 && image_sql_int_arg(ctx, argv[1], "img_codebook_train", "k", 1,
                                  VLAD_MAX_CLUSTERS, &clusters)<0 ){
    return;
  }
  got = image_sql_sift_arg(ctx, argv[0], "img_codebook_train",
                           "the sift blob", &blob);
  if( got<0 ) return;
  if( got==0 ){                          /* NULL row: skipped */
    agg->failed = 0;
    return;
  }
  if( agg->trainer==0 ){
    agg->trainer = vlad_trainer_new(clusters, VLAD_TRAIN_MAX_DESCRIPTORS);
    if( agg->trainer==0 ){
      sqlite3_result_error_nomem(ctx);
      return;
    }
    agg->clusters = clusters;
  }else if( clusters!=agg->clusters ){
    sql_func_errorf(ctx, SQLITE_ERROR, "img_codebook_train: k changed from %d "
                    "to %d between rows", agg->clusters, clusters);
    return;
  }
  if( vlad_trainer_add(agg->trainer, blob.descriptors, blob.count)!=SQLITE_OK ){
    sqlite3_result_error_nomem(ctx);
    return;
  }
  agg->failed = 0;
}

static void codebook_final(sqlite3_context *ctx){
  CodebookAggregate *agg = (CodebookAggregate*)sqlite3_aggregate_context(ctx, 0);
  VladCodebook codebook;
  unsigned char *blob;
  size_t n;
  char *zErr = 0;
  int rc;
  if( agg==0 || agg->trainer==0 ) return;          /* no rows: NULL */
  if( agg->failed ){
    vlad_trainer_free(agg->trainer);
    agg->trainer = 0;
    return;
  }
  rc = vlad_trainer_finish(agg->trainer, &codebook, &zErr);
  vlad_trainer_free(agg->trainer);
  agg->trainer = 0;
  if( rc!=SQLITE_OK ){
    image_sql_error_from(ctx, "img_codebook_train", rc, zErr);
    return;
  }
  blob = vlad_codebook_encode(&codebook, &n);
  vlad_codebook_free(&codebook);
  if( blob==0 ){
    sqlite3_result_error_nomem(ctx);
    return;
  }
  sqlite3_result_blob64(ctx, blob, n, sqlite3_free);
}

static void image_sql_codebook_delete(void *p){
  VladCodebook *codebook = (VladCodebook*)p;
  vlad_codebook_free(codebook);
  sqlite3_free(codebook);
}

static void image_sql_pca_delete(void *p){
  PcaModel *model = (PcaModel*)p;
  pca_model_free(model);
  sqlite3_free(model);
}

/* The parsed codebook of argument i, cached with sqlite3_set_auxdata while
** the argument stays the same (a literal or bound parameter).  NULL after
** reporting an error. */
static const VladCodebook *image_sql_codebook_arg(sqlite3_context *ctx,
                                                  sqlite3_value **argv, int i,
                                                  const char *zFunction){
  VladCodebook *codebook = (VladCodebook*)sqlite3_get_auxdata(ctx, i);
  const unsigned char *data = 0;
  size_t n = 0;
  char *zErr = 0;
  int rc;
  if( codebook ) return codebook;
  if( image_sql_blob_arg(ctx, argv[i], zFunction, "the codebook", &data, &n)<0 ) return 0;
  codebook = (VladCodebook*)sqlite3_malloc64(sizeof(*codebook));
  if( codebook==0 ){
    sqlite3_result_error_nomem(ctx);
    return 0;
  }
  rc = vlad_codebook_parse(data, n, codebook, &zErr);
  if( rc!=SQLITE_OK ){
    sqlite3_free(codebook);
    image_sql_error_from(ctx, zFunction, rc, zErr);
    return 0;
  }
  sqlite3_set_auxdata(ctx, i, codebook, image_sql_codebook_delete);
  /* set_auxdata may have freed it already (out of memory): ask again. */
  codebook = (VladCodebook*)sqlite3_get_auxdata(ctx, i);
  if( codebook==0 ) sqlite3_result_error_nomem(ctx);
  return codebook;
}

/* The parsed PCA model of argument i, cached like the codebook. */
static const PcaModel *image_sql_pca_arg(sqlite3_context *ctx,
                                         sqlite3_value **argv, int i,
                                         const char *zFunction){
  PcaModel *model = (PcaModel*)sqlite3_get_auxdata(ctx, i);
  const unsigned char *data = 0;
  size_t n = 0;
  char *zErr = 0;
  int rc;
  if( model ) return model;
  if( image_sql_blob_arg(ctx, argv[i], zFunction, "the PCA model", &data, &n)<0 ) return 0;
  model = (PcaModel*)sqlite3_malloc64(sizeof(*model));
  if( model==0 ){
    sqlite3_result_error_nomem(ctx);
    return 0;
  }
  rc = pca_model_parse(data, n, model, &zErr);
  if( rc!=SQLITE_OK ){
    sqlite3_free(model);
    image_sql_error_from(ctx, zFunction, rc, zErr);
    return 0;
  }
  sqlite3_set_auxdata(ctx, i, model, image_sql_pca_delete);
  model = (PcaModel*)sqlite3_get_auxdata(ctx, i);
  if( model==0 ) sqlite3_result_error_nomem(ctx);
  return model;
}

static void img_vlad_func(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  const VladCodebook *codebook;
  const PcaModel *pca = 0;
  SiftBlob blob;
  float *vlad = 0, *reduced = 0;
  unsigned char *out;
  int i, dims;

  for(i=0; i<2; i++){
    if( sqlite3_value_type(argv[i])==SQLITE_NULL ) return;   /* NULL */
  }
  if( image_sql_sift_arg(ctx, argv[0], "img_vlad", "the sift blob", &blob)<0 ) return;
  if( (codebook = image_sql_codebook_arg(ctx, argv, 1, "img_vlad"))==0 ) return;
  dims = codebook->clusters*VLAD_DESCRIPTOR_DIMS;
  if( argc>2 && sqlite3_value_type(argv[2])!=SQLITE_NULL ){   /* NULL: no PCA */
    if( (pca = image_sql_pca_arg(ctx, argv, 2, "img_vlad"))==0 ) return;
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
  out = image_sql_float_blob(vlad, dims);
  sqlite3_free(vlad);
  if( out==0 ){
    sqlite3_result_error_nomem(ctx);
    return;
  }
  sqlite3_result_blob64(ctx, out, 4*(sqlite3_uint64)dims, sqlite3_free);
}

/* ---- img_pca_train --------------------------------------------------------- */

typedef struct PcaAggregate {
  PcaTrainer *trainer;
  int dims;
  int failed;
  float *row;              /* scratch: one decoded vector */
} PcaAggregate;

static void pca_step(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  PcaAggregate *agg = (PcaAggregate*)sqlite3_aggregate_context(ctx, sizeof(*agg));
  const unsigned char *data = 0;
  size_t n = 0, i;
  int dims = PCA_DEFAULT_DIMS, got;
  if( agg==0 ){
    sqlite3_result_error_nomem(ctx);
    return;
  }
  if( agg->failed ) return;
  agg->failed = 1;                       /* until this step succeeds */
  if( argc>1 && image_sql_int_arg(ctx, argv[1], "img_pca_train", "dims", 1,
                                  PCA_TRAIN_MAX_VECTORS, &dims)<0 ){
    return;
  }
  got = image_sql_blob_arg(ctx, argv[0], "img_pca_train", "the vector",
                           &data, &n);
  if( got<0 ) return;
  if( got==0 ){                          /* NULL row: skipped */
    agg->failed = 0;
    return;
  }
  if( n==0 || n%4!=0 || n/4>PCA_MAX_INPUT_DIMS ){
    sql_func_errorf(ctx, SQLITE_ERROR, "img_pca_train: the vector must be a "
                    "float32 BLOB (a multiple of 4 bytes, at most %d values), "
                    "got %llu bytes", PCA_MAX_INPUT_DIMS, (unsigned long long)n);
    return;
  }
  if( agg->trainer==0 ){
    agg->trainer = pca_trainer_new((int)(n/4), PCA_TRAIN_MAX_VECTORS);
    agg->row = (float*)sqlite3_malloc64(n);
    if( agg->trainer==0 || agg->row==0 ){
      sqlite3_result_error_nomem(ctx);
      return;
    }
    agg->dims = dims;
  }else if( n/4!=(size_t)pca_trainer_input_dims(agg->trainer) ){
    sql_func_errorf(ctx, SQLITE_ERROR, "img_pca_train: vectors have different "
                    "lengths (%d and %llu values)",
                    pca_trainer_input_dims(agg->trainer),
                    (unsigned long long)(n/4));
    return;
  }else if( dims!=agg->dims ){
    sql_func_errorf(ctx, SQLITE_ERROR, "img_pca_train: dims changed from %d "
                    "to %d between rows", agg->dims, dims);
    return;
  }
  for(i=0; i<n/4; i++){
    uint32_t bits = (uint32_t)data[4*i] | (uint32_t)data[4*i+1]<<8
                  | (uint32_t)data[4*i+2]<<16 | (uint32_t)data[4*i+3]<<24;
    memcpy(&agg->row[i], &bits, 4);
    if( !isfinite(agg->row[i]) ){
      sql_func_errorf(ctx, SQLITE_ERROR, "img_pca_train: value %llu of the "
                      "vector is not finite", (unsigned long long)i);
      return;
    }
  }
  if( pca_trainer_add(agg->trainer, agg->row)!=SQLITE_OK ){
    sqlite3_result_error_nomem(ctx);
    return;
  }
  agg->failed = 0;
}

static void pca_final(sqlite3_context *ctx){
  PcaAggregate *agg = (PcaAggregate*)sqlite3_aggregate_context(ctx, 0);
  PcaModel model;
  unsigned char *blob;
  size_t n;
  char *zErr = 0;
  int rc;
  if( agg==0 ) return;
  sqlite3_free(agg->row);
  agg->row = 0;
  if( agg->trainer==0 ) return;                    /* no vectors: NULL */
  if( agg->failed ){
    pca_trainer_free(agg->trainer);
    agg->trainer = 0;
    return;
  }
  rc = pca_trainer_finish(agg->trainer, agg->dims, &model, &zErr);
  pca_trainer_free(agg->trainer);
  agg->trainer = 0;
  if( rc!=SQLITE_OK ){
    image_sql_error_from(ctx, "img_pca_train", rc, zErr);
    return;
  }
  blob = pca_model_encode(&model, &n);
  pca_model_free(&model);
  if( blob==0 ){
    sqlite3_result_error_nomem(ctx);
    return;
  }
  sqlite3_result_blob64(ctx, blob, n, sqlite3_free);
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
  MatchResult r;
  sqlite3_str *json;
  int i, rc;
  (void)argc;
  if( image_sql_match(ctx, argv, "img_match_json", 1, &r)<=0 ) return;
  json = sqlite3_str_new(sqlite3_context_db_handle(ctx));
  sqlite3_str_appendf(json, "{\"inliers\":%d,\"matches\":%d,\"mirrored\":%s,",
                      r.inliers, r.matches, r.mirrored ? "true" : "false");
  if( r.inliers>0 ){
    const double *h = r.homography;
    sqlite3_str_appendf(json, "\"homography\":[%.10g,%.10g,%.10g,%.10g,%.10g,"
                        "%.10g,%.10g,%.10g,%.10g],\"inlier_pairs\":[",
                        h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7], h[8]);
    for(i=0; i<r.inliers; i++){
      const float *p = r.inlier_pairs + 4*(size_t)i;
      sqlite3_str_appendf(json, "%s[%.7g,%.7g,%.7g,%.7g]", i ? "," : "",
                          (double)p[0], (double)p[1], (double)p[2],
                          (double)p[3]);
    }
    sqlite3_str_appendall(json, "]}");
  }else{
    sqlite3_str_appendall(json, "\"homography\":null,\"inlier_pairs\":[]}");
  }
  match_result_free(&r);
  rc = sqlite3_str_errcode(json);
  if( rc!=SQLITE_OK ){
    sqlite3_free(sqlite3_str_finish(json));
    sql_func_errorf(ctx, rc, "img_match_json: the JSON text is too long");
    return;
  }
  sqlite3_result_text(ctx, sqlite3_str_finish(json), -1, sqlite3_free);
}

/* ---- img_thumb ------------------------------------------------------------- */

static void img_thumb_func(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  ImageConnection *conn = (ImageConnection*)sqlite3_user_data(ctx);
  float thumb[IMAGE_THUMB_MAX_SIDE*IMAGE_THUMB_MAX_SIDE];
  const unsigned char *data = 0;
  unsigned char *out;
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
  out = image_sql_float_blob(thumb, side*side);
  if( out==0 ){
    sqlite3_result_error_nomem(ctx);
    return;
  }
  sqlite3_result_blob64(ctx, out, 4*(sqlite3_uint64)(side*side), sqlite3_free);
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
  void (*xStep)(sqlite3_context*, int, sqlite3_value**);
  void (*xFinal)(sqlite3_context*);
} ImageSqlFunction;

#define PURE  (SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS)
#define READS (SQLITE_UTF8 | SQLITE_INNOCUOUS)

static const ImageSqlFunction image_sql_functions[] = {
  {"img_info",           1, 0, PURE,  img_info_func,       0, 0},
  {"img_sift",           1, 1, READS, img_sift_func,       0, 0},
  {"img_sift",           2, 1, READS, img_sift_func,       0, 0},
  {"sift_count",         1, 0, PURE,  sift_count_func,     0, 0},
  {"img_codebook_train", 1, 0, PURE,  0, codebook_step, codebook_final},
  {"img_codebook_train", 2, 0, PURE,  0, codebook_step, codebook_final},
  {"img_vlad",           2, 0, PURE,  img_vlad_func,       0, 0},
  {"img_vlad",           3, 0, PURE,  img_vlad_func,       0, 0},
  {"img_pca_train",      1, 0, PURE,  0, pca_step, pca_final},
  {"img_pca_train",      2, 0, PURE,  0, pca_step, pca_final},
  {"img_match",          2, 0, PURE,  img_match_func,      0, 0},
  {"img_match_json",     2, 0, PURE,  img_match_json_func, 0, 0},
  {"img_thumb",          1, 1, READS, img_thumb_func,      0, 0},
  {"img_thumb",          2, 1, READS, img_thumb_func,      0, 0},
  {"img_thumb",          3, 1, READS, img_thumb_func,      0, 0},
  /* Changes settings: never from a trigger, view or schema. */
  {"img_limits",         0, 1, SQLITE_UTF8 | SQLITE_DIRECTONLY, img_limits_func, 0, 0},
  {"img_limits",         2, 1, SQLITE_UTF8 | SQLITE_DIRECTONLY, img_limits_func, 0, 0},
};

int image_sql_register(sqlite3 *db){
  ImageConnection *conn;
  size_t i;
  int rc;

  conn = (ImageConnection*)sqlite3_malloc64(sizeof(*conn));
  if( conn==0 ) return SQLITE_NOMEM;
  image_limits_default(&conn->limits);
  /* One reference for the duration of this function, so that a failed
  ** registration (which calls the destructor at once) cannot free it. */
  conn->references = 1;

  conn->references++;
  rc = sqlite3_create_module_v2(db, "img_keypoints", &keypoints_module, conn,
                                image_connection_release);
  for(i=0; rc==SQLITE_OK && i<sizeof(image_sql_functions)/sizeof(image_sql_functions[0]); i++){
    const ImageSqlFunction *f = &image_sql_functions[i];
    if( f->needsConnection ) conn->references++;
    rc = sqlite3_create_function_v2(db, f->zName, f->nArg, f->flags,
                                    f->needsConnection ? conn : 0,
                                    f->xFunc, f->xStep, f->xFinal,
                                    f->needsConnection ? image_connection_release : 0);
  }
  image_connection_release(conn);
  return rc;
}
