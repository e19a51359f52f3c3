/*
** keypoints_vtab.c — img_keypoints, a table-valued function: one row per
** keypoint of an image or a sift blob.
**
**   SELECT * FROM img_keypoints(image_or_sift)
**       -> x, y, size, angle, response, descriptor; rowid = keypoint index
**
** Eponymous-only virtual table (no xCreate): the argument is the hidden
** column "input"; it may be an image (SIFT runs with this connection's
** limits and the default feature cap) or a sift blob.  NULL gives no rows.
** Not deterministic for images: the result depends on the connection's
** limits (img_limits).
**
** Owns: the module and its cursor.  May call: image_sift.h (image to sift
** blob), sift_blob.h (parse, keypoints), image_sql.h (the connection's
** limits), image_sql_args.h (type names for messages), sqlite3 vtab calls
** through sqlite_ext.h.
**
** THE xBestIndex CONTRACT:
**   idxNum 1  input = ? is usable; argv[0] of xFilter is its value.
**   idxNum 0  no input constraint; xFilter fails with a message saying how
**             to call the function.
**   An input constraint that is present but not usable makes xBestIndex
**   return SQLITE_CONSTRAINT, so the planner looks for another order.
*/
#include <string.h>

#include "sqlite_ext.h"
#include "image_sift.h"
#include "image_sql.h"
#include "image_sql_args.h"
#include "sift_blob.h"

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

/* n zeroed bytes (sqlite3_malloc64), or NULL. */
static void *keypoints_alloc_zeroed(size_t n){
  void *p = sqlite3_malloc64(n);
  if( p ) memset(p, 0, n);
  return p;
}

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
  table = (KeypointsTable*)keypoints_alloc_zeroed(sizeof(*table));
  if( table==0 ) return SQLITE_NOMEM;
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
  KeypointsCursor *cursor;
  (void)vtab;
  cursor = (KeypointsCursor*)keypoints_alloc_zeroed(sizeof(*cursor));
  *ppCursor = cursor ? &cursor->base : 0;
  return cursor ? SQLITE_OK : SQLITE_NOMEM;
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
    rc = image_sift_blob(&table->conn->limits, data, n,
                         IMAGE_SIFT_DEFAULT_FEATURES, &cursor->bytes,
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

int keypoints_vtab_register(sqlite3 *db, ImageConnection *conn){
  conn->references++;
  return sqlite3_create_module_v2(db, "img_keypoints", &keypoints_module, conn,
                                  image_connection_release);
}
