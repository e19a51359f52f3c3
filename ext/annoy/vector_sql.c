/*
** vector_sql.c — vector helpers in SQL.
**
**   vec_f32(json_or_blob)        -> float32 BLOB
**   vec_json(blob [, type])      -> JSON text; type 'float32' (default),
**                                   'uint8' or 'bit' says how to read the BLOB
**   vec_distance(a, b [, metric]) -> distance between two vectors given as
**                                   JSON or float32 BLOBs (metric default
**                                   euclidean; hamming takes bit BLOBs)
**
** Errors go out through sql_func_errorf (ext/error.h), prefixed with the
** function's name.
** May call: vector.h (parsers), distance.h (kernels), bytes.h, error.h.
*/
#include <math.h>
#include <string.h>
#include "sqlite_ext.h"
#include "bytes.h"
#include "distance.h"
#include "error.h"
#include "vector.h"
#include "vector_sql.h"

/* A parser failed with rc and message zErr (freed here): the function's
** error is "fn: message". A failure without a message is out of memory. */
static void parse_failed(sqlite3_context *ctx, const char *fn, int rc, char *zErr){
  if( rc==SQLITE_NOMEM || zErr==0 ) sqlite3_result_error_nomem(ctx);
  else sql_func_errorf(ctx, rc, "%s: %s", fn, zErr);
  sqlite3_free(zErr);
}

/* The dim float32s of a BLOB of 4*dim bytes, as an aligned array (the BLOB
** may sit at any address; sqlite3_malloc'd). NULL, with the function's
** error set, when the BLOB holds NaN or infinity. */
static float *blob_f32(sqlite3_context *ctx, sqlite3_value *v, int dim, const char *fn){
  char *zErr = 0;
  float *out = sqlite3_malloc64((sqlite3_uint64)(dim ? dim : 1)*sizeof(float));
  int rc;
  if( out==0 ){ sqlite3_result_error_nomem(ctx); return 0; }
  rc = vector_parse(VEC_FLOAT32, dim, sqlite3_value_blob(v), dim*4, 1, out, &zErr);
  if( rc ){
    parse_failed(ctx, fn, rc, zErr);
    sqlite3_free(out);
    return 0;
  }
  return out;
}

/* Any vector argument as float32: JSON of any length, or a float32 BLOB. */
static float *arg_f32(sqlite3_context *ctx, sqlite3_value *v, int *dim, const char *fn){
  char *zErr = 0;
  float *out = 0;
  int rc;
  if( sqlite3_value_type(v)==SQLITE_BLOB ){
    int n = sqlite3_value_bytes(v);
    if( n%4!=0 ){
      sql_func_errorf(ctx, SQLITE_ERROR, "%s: a float32 BLOB has a multiple of 4 bytes, got %d", fn, n);
      return 0;
    }
    *dim = n/4;
    return blob_f32(ctx, v, *dim, fn);
  }
  if( sqlite3_value_type(v)!=SQLITE_TEXT ){
    sql_func_errorf(ctx, SQLITE_ERROR, "%s: expected a JSON array or a BLOB", fn);
    return 0;
  }
  rc = vector_parse_json_f32((const char*)sqlite3_value_text(v), sqlite3_value_bytes(v),
                             &out, dim, &zErr);
  if( rc ){ parse_failed(ctx, fn, rc, zErr); return 0; }
  return out;
}

/* Optional argument argv[i], an element type or metric name, through
** lookup (0 = unknown); *value keeps its default when there is no such
** argument. SQLITE_ERROR, with zUnknown as the function's error, when the
** name is not known. */
static int arg_name(sqlite3_context *ctx, int argc, sqlite3_value **argv, int i,
                    int (*lookup)(const char*, size_t), int *value, const char *zUnknown){
  const char *name;
  if( i>=argc ) return SQLITE_OK;
  name = (const char*)sqlite3_value_text(argv[i]);
  *value = name ? lookup(name, strlen(name)) : 0;
  if( *value==0 ){
    sqlite3_result_error(ctx, zUnknown, -1);
    return SQLITE_ERROR;
  }
  return SQLITE_OK;
}
static int type_lookup(const char *name, size_t n){ return (int)vec_type_from_name(name, n); }
static int metric_lookup(const char *name, size_t n){ return (int)metric_from_name(name, n); }

static void vec_f32_func(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  int dim;
  float *v = arg_f32(ctx, argv[0], &dim, "vec_f32");
  (void)argc;
  if( v==0 ) return;
  bytes_put_f32s((unsigned char*)v, v, (uint64_t)dim);   /* in place, little-endian */
  sqlite3_result_blob(ctx, v, dim*4, sqlite3_free);
}

static void vec_json_func(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  int type = VEC_FLOAT32;
  int n = sqlite3_value_bytes(argv[0]), dim;
  char *json;
  if( arg_name(ctx, argc, argv, 1, type_lookup, &type,
               "vec_json: type must be 'float32', 'uint8' or 'bit'") ) return;
  if( sqlite3_value_type(argv[0])!=SQLITE_BLOB ){
    sqlite3_result_error(ctx, "vec_json: expected a BLOB", -1);
    return;
  }
  if( type==VEC_FLOAT32 && n%4!=0 ){
    sqlite3_result_error(ctx, "vec_json: a float32 BLOB has a multiple of 4 bytes", -1);
    return;
  }
  dim = type==VEC_FLOAT32 ? n/4 : (type==VEC_UINT8 ? n : n*8);
  if( n==0 ){ sqlite3_result_text(ctx, "[]", 2, SQLITE_STATIC); return; }
  if( type==VEC_FLOAT32 ){
    float *v = blob_f32(ctx, argv[0], dim, "vec_json");
    if( v==0 ) return;
    json = vector_to_json(VEC_FLOAT32, dim, v);
    sqlite3_free(v);
  }else{
    json = vector_to_json((VecType)type, dim, sqlite3_value_blob(argv[0]));
  }
  if( json==0 ){ sqlite3_result_error_nomem(ctx); return; }
  sqlite3_result_text(ctx, json, -1, sqlite3_free);
}

static void vec_distance_func(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  int metric = METRIC_EUCLIDEAN;
  float *a = 0, *b = 0;
  int da, db;
  if( arg_name(ctx, argc, argv, 2, metric_lookup, &metric,
               "vec_distance: unknown metric (euclidean, angular, dot, manhattan, hamming)") ) return;
  if( metric==METRIC_HAMMING ){
    int n = sqlite3_value_bytes(argv[0]);
    if( sqlite3_value_type(argv[0])!=SQLITE_BLOB || sqlite3_value_type(argv[1])!=SQLITE_BLOB
     || n!=sqlite3_value_bytes(argv[1]) ){
      sqlite3_result_error(ctx, "vec_distance: hamming takes two bit BLOBs of equal length", -1);
      return;
    }
    sqlite3_result_double(ctx, distance_kernel(VEC_BIT, METRIC_HAMMING)(
      sqlite3_value_blob(argv[0]), sqlite3_value_blob(argv[1]), n*8));
    return;
  }
  if( (a = arg_f32(ctx, argv[0], &da, "vec_distance"))==0 ) return;
  if( (b = arg_f32(ctx, argv[1], &db, "vec_distance"))!=0 ){
    if( da!=db ){
      sql_func_errorf(ctx, SQLITE_ERROR, "vec_distance: dimensions differ (%d and %d)", da, db);
    }else{
      /* Scale both by a power of two (exact) into [-1, 1] so that large
      ** finite values cannot overflow the float sums, then scale back. */
      float big = 0, score;
      int i, e = 0;
      double d;
      for(i=0; i<da; i++){
        if( fabsf(a[i])>big ) big = fabsf(a[i]);
        if( fabsf(b[i])>big ) big = fabsf(b[i]);
      }
      if( big>1 ){
        frexpf(big, &e);
        for(i=0; i<da; i++){ a[i] = ldexpf(a[i], -e); b[i] = ldexpf(b[i], -e); }
      }
      score = distance_kernel(VEC_FLOAT32, (Metric)metric)(a, b, da);
      d = distance_from_score((Metric)metric, score);
      if( metric==METRIC_DOT ) d = ldexp(d, 2*e);
      else if( metric!=METRIC_ANGULAR ) d = ldexp(d, e);
      sqlite3_result_double(ctx, d);
    }
  }
  sqlite3_free(a);
  sqlite3_free(b);
}

int vector_sql_register(sqlite3 *db){
  const int flags = SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS;
  int rc = sqlite3_create_function(db, "vec_f32", 1, flags, 0, vec_f32_func, 0, 0);
  if( rc==SQLITE_OK ) rc = sqlite3_create_function(db, "vec_json", 1, flags, 0, vec_json_func, 0, 0);
  if( rc==SQLITE_OK ) rc = sqlite3_create_function(db, "vec_json", 2, flags, 0, vec_json_func, 0, 0);
  if( rc==SQLITE_OK ) rc = sqlite3_create_function(db, "vec_distance", 2, flags, 0, vec_distance_func, 0, 0);
  if( rc==SQLITE_OK ) rc = sqlite3_create_function(db, "vec_distance", 3, flags, 0, vec_distance_func, 0, 0);
  return rc;
}
