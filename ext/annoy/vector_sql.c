/*
** vector_sql.c — vector helpers in SQL: constructors, conversion, distance,
** and the argument readers the other vec_* files share (vector_sql.h).
**
**   vec_f32(json_or_blob)          -> float32 BLOB
**   vec_json(blob [, type])        -> JSON text; type 'float32' (default),
**   vec_to_json(blob [, type])        'uint8', 'int8' or 'bit' says how to
**                                     read the BLOB (vec_to_json: sqlite-vec's
**                                     name; it also takes JSON)
**   vec_length(vector [, type])    -> number of elements
**   vec_version()                  -> 'v' IMGSEARCH_VERSION
**   vec_distance(a, b [, metric])  -> distance between two vectors given as
**                                     JSON or float32 BLOBs (metric default
**                                     euclidean; hamming takes bit BLOBs)
**   vec_distance_l2 | _l1 | _cosine | _hamming(a, b)
**                                  -> vec_distance with that metric
**                                     (sqlite-vec's names)
**
** A BLOB is float32 unless a type argument says otherwise: values carry
** no subtype. Errors go out through sql_func_errorf (ext/error.h), prefixed
** with the function's name.
** May call: vector.h (parsers), distance.h (kernels), bytes.h, error.h,
** imgsearch.h (the version).
*/
#include <math.h>
#include <string.h>
#include "sqlite_ext.h"
#include "imgsearch.h"
#include "bytes.h"
#include "distance.h"
#include "error.h"
#include "vector.h"
#include "vector_sql.h"

/* ---- argument readers (vector_sql.h) ------------------------------------ */

int vector_read(sqlite3_value *v, VecType type, float **out, int *dim, char **pzErr){
  int n = sqlite3_value_bytes(v), i, rc;
  void *raw;
  *out = 0;
  if( sqlite3_value_type(v)==SQLITE_TEXT ){
    rc = vector_parse_json_f32((const char*)sqlite3_value_text(v), n, out, dim, pzErr);
    if( rc==SQLITE_OK && *out==0 && (*out = sqlite3_malloc(sizeof(float)))==0 ) rc = SQLITE_NOMEM;  /* '[]' */
    return rc;
  }
  if( sqlite3_value_type(v)!=SQLITE_BLOB ){
    return error_set(pzErr, SQLITE_ERROR, "expected a JSON array or a BLOB");
  }
  if( (*dim = vec_dim_of_bytes(type, n))<0 ){
    return error_set(pzErr, SQLITE_ERROR, "a float32 BLOB has a multiple of 4 bytes, got %d", n);
  }
  /* one allocation: the floats, then (other types) the parsed bytes */
  *out = sqlite3_malloc64((sqlite3_uint64)(*dim ? *dim : 1)*sizeof(float) + (type!=VEC_FLOAT32 ? (size_t)n : 0));
  if( *out==0 ) return SQLITE_NOMEM;
  raw = type==VEC_FLOAT32 ? (void*)*out : (void*)(*out + *dim);
  rc = n==0 ? SQLITE_OK : vector_parse(type, *dim, sqlite3_value_blob(v), n, 1, raw, pzErr);
  if( rc ){
    sqlite3_free(*out);
    *out = 0;
    return rc;
  }
  if( type!=VEC_FLOAT32 ){
    for(i=0; i<*dim; i++) (*out)[i] = vec_element(type, raw, i);
  }
  return SQLITE_OK;
}

/* A reader failed with rc and message zErr (freed here): the function's
** error is "fn: message". A failure without a message is out of memory. */
static void read_failed(sqlite3_context *ctx, const char *fn, int rc, char *zErr){
  if( rc==SQLITE_NOMEM || zErr==0 ) sqlite3_result_error_nomem(ctx);
  else sql_func_errorf(ctx, rc, "%s: %s", fn, zErr);
  sqlite3_free(zErr);
}

float *vector_sql_arg(sqlite3_context *ctx, sqlite3_value *v, VecType type, int *dim, const char *fn){
  char *zErr = 0;
  float *out;
  int rc = vector_read(v, type, &out, dim, &zErr);
  if( rc ) read_failed(ctx, fn, rc, zErr);
  return out;
}

int vector_sql_arg_type(sqlite3_context *ctx, int argc, sqlite3_value **argv, int i,
                        VecType *type, const char *fn){
  const char *name;
  *type = VEC_FLOAT32;
  if( i>=argc ) return SQLITE_OK;
  name = (const char*)sqlite3_value_text(argv[i]);
  if( name==0 || (*type = vec_type_from_name(name, strlen(name)))==0 ){
    sql_func_errorf(ctx, SQLITE_ERROR, "%s: type must be 'float32', 'uint8', 'int8' or 'bit'", fn);
    return SQLITE_ERROR;
  }
  return SQLITE_OK;
}

void vector_sql_result_f32(sqlite3_context *ctx, float *v, int dim){
  bytes_put_f32s((unsigned char*)v, v, (uint64_t)dim);   /* in place, little-endian */
  sqlite3_result_blob(ctx, v, dim*4, sqlite3_free);
}

/* ---- the functions -------------------------------------------------------- */

static void vec_f32_func(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  int dim;
  float *v = vector_sql_arg(ctx, argv[0], VEC_FLOAT32, &dim, "vec_f32");
  (void)argc;
  if( v ) vector_sql_result_f32(ctx, v, dim);
}

/* vec_json and vec_to_json: the user data is the function's name. */
static void vec_json_func(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  const char *fn = sqlite3_user_data(ctx);
  VecType type;
  float *v;
  int dim;
  char *json;
  if( vector_sql_arg_type(ctx, argc, argv, 1, &type, fn) ) return;
  if( sqlite3_value_type(argv[0])!=SQLITE_BLOB && strcmp(fn, "vec_json")==0 ){
    sql_func_errorf(ctx, SQLITE_ERROR, "%s: expected a BLOB", fn);
    return;
  }
  if( (v = vector_sql_arg(ctx, argv[0], type, &dim, fn))==0 ) return;
  json = vector_to_json(VEC_FLOAT32, dim, v);    /* whole numbers print as such */
  sqlite3_free(v);
  if( json==0 ){ sqlite3_result_error_nomem(ctx); return; }
  sqlite3_result_text(ctx, json, -1, sqlite3_free);
}

static void vec_length_func(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  VecType type;
  float *v;
  int dim;
  if( vector_sql_arg_type(ctx, argc, argv, 1, &type, "vec_length") ) return;
  if( (v = vector_sql_arg(ctx, argv[0], type, &dim, "vec_length"))==0 ) return;
  sqlite3_free(v);
  sqlite3_result_int(ctx, dim);
}

static void vec_version_func(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  (void)argc; (void)argv;
  sqlite3_result_text(ctx, "v" IMGSEARCH_VERSION, -1, SQLITE_STATIC);
}

/* vec_distance(a, b [, metric]); the vec_distance_METRIC forms have the
** metric as user data. */
static void vec_distance_func(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  const Metric *fixed = sqlite3_user_data(ctx);
  Metric metric = fixed ? *fixed : METRIC_EUCLIDEAN;
  float *a = 0, *b = 0;
  int da, db;
  if( argc>2 ){
    const char *name = (const char*)sqlite3_value_text(argv[2]);
    if( name==0 || (metric = metric_from_name(name, strlen(name)))==0 ){
      sqlite3_result_error(ctx, "vec_distance: unknown metric (euclidean, angular, dot, manhattan, hamming)", -1);
      return;
    }
  }
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
  if( (a = vector_sql_arg(ctx, argv[0], VEC_FLOAT32, &da, "vec_distance"))==0 ) return;
  if( (b = vector_sql_arg(ctx, argv[1], VEC_FLOAT32, &db, "vec_distance"))!=0 ){
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
      score = distance_kernel(VEC_FLOAT32, metric)(a, b, da);
      d = distance_from_score(metric, score);
      if( metric==METRIC_DOT ) d = ldexp(d, 2*e);
      else if( metric!=METRIC_ANGULAR ) d = ldexp(d, e);
      sqlite3_result_double(ctx, d);
    }
  }
  sqlite3_free(a);
  sqlite3_free(b);
}

static const Metric metric_l2 = METRIC_EUCLIDEAN, metric_l1 = METRIC_MANHATTAN,
                    metric_cosine = METRIC_ANGULAR, metric_hamming = METRIC_HAMMING;

int vector_sql_register(sqlite3 *db){
  static const struct {
    const char *name;
    int n_arg;
    const void *user_data;
    void (*func)(sqlite3_context*, int, sqlite3_value**);
  } functions[] = {
    { "vec_f32", 1, 0, vec_f32_func },
    { "vec_json", 1, "vec_json", vec_json_func },
    { "vec_json", 2, "vec_json", vec_json_func },
    { "vec_to_json", 1, "vec_to_json", vec_json_func },
    { "vec_to_json", 2, "vec_to_json", vec_json_func },
    { "vec_length", 1, 0, vec_length_func },
    { "vec_length", 2, 0, vec_length_func },
    { "vec_version", 0, 0, vec_version_func },
    { "vec_distance", 2, 0, vec_distance_func },
    { "vec_distance", 3, 0, vec_distance_func },
    { "vec_distance_l2", 2, &metric_l2, vec_distance_func },
    { "vec_distance_l1", 2, &metric_l1, vec_distance_func },
    { "vec_distance_cosine", 2, &metric_cosine, vec_distance_func },
    { "vec_distance_hamming", 2, &metric_hamming, vec_distance_func },
  };
  const int flags = SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS;
  size_t i;
  int rc = SQLITE_OK;
  for(i=0; rc==SQLITE_OK && i<sizeof(functions)/sizeof(functions[0]); i++){
    rc = sqlite3_create_function(db, functions[i].name, functions[i].n_arg, flags,
                                 (void*)functions[i].user_data, functions[i].func, 0, 0);
  }
  if( rc==SQLITE_OK ) rc = vector_ops_sql_register(db);
  if( rc==SQLITE_OK ) rc = vec_each_register(db);
  return rc;
}
