/*
** vector_sql.c — vector helpers in SQL.
**
**   vec_f32(json_or_blob)        -> float32 BLOB
**   vec_json(blob [, type])      -> JSON text; type 'float32' (default),
**                                   'uint8' or 'bit' says how to read the BLOB
**   vec_distance(a, b [, metric]) -> distance between two vectors given as
**                                   JSON or float32 BLOBs (metric default
**                                   euclidean; hamming takes bit BLOBs)
*/
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "sqlite_ext.h"
#include "vector.h"
#include "vector_sql.h"
#include "error.h"

/* Any vector argument as float32: JSON of any length, or a float32 BLOB. */
static float *arg_f32(sqlite3_context *ctx, sqlite3_value *v, int *dim, const char *fn){
  char err[VECTOR_ERR_SIZE];
  float *out = 0;
  if( sqlite3_value_type(v)==SQLITE_BLOB ){
    int n = sqlite3_value_bytes(v);
    if( n%4!=0 ){
      sql_func_errorf(ctx, SQLITE_ERROR, "%s: a float32 BLOB has a multiple of 4 bytes, got %d", fn, n);
      return 0;
    }
    *dim = n/4;
    out = sqlite3_malloc64((sqlite3_uint64)(n ? n : 4));
    if( out==0 ){ sqlite3_result_error_nomem(ctx); return 0; }
    if( vector_parse(VEC_FLOAT32, *dim, sqlite3_value_blob(v), n, 1, out, err) ){
      sql_func_errorf(ctx, SQLITE_ERROR, "%s: %s", fn, err);
      sqlite3_free(out);
      return 0;
    }
    return out;
  }
  if( sqlite3_value_type(v)==SQLITE_TEXT ){
    int rc = vector_parse_json_f32((const char*)sqlite3_value_text(v), sqlite3_value_bytes(v),
                                   &out, dim, err);
    if( rc==2 ){ sqlite3_result_error_nomem(ctx); return 0; }
    if( rc==0 ) return out;
  }else{
    snprintf(err, sizeof(err), "expected a JSON array or a BLOB");
  }
  sql_func_errorf(ctx, SQLITE_ERROR, "%s: %s", fn, err);
  return 0;
}

static void vec_f32_func(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  int dim;
  float *v = arg_f32(ctx, argv[0], &dim, "vec_f32");
  (void)argc;
  if( v ) sqlite3_result_blob(ctx, v, dim*4, sqlite3_free);
}

static void vec_json_func(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  VecType type = VEC_FLOAT32;
  int n = sqlite3_value_bytes(argv[0]), dim;
  char *json;
  if( argc>1 ){
    const char *name = (const char*)sqlite3_value_text(argv[1]);
    type = name ? vec_type_from_name(name, strlen(name)) : 0;
    if( type==0 ){
      sqlite3_result_error(ctx, "vec_json: type must be 'float32', 'uint8' or 'bit'", -1);
      return;
    }
  }
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
    /* An aligned copy: the BLOB may sit at any address. */
    char err[VECTOR_ERR_SIZE];
    float *check = sqlite3_malloc64((sqlite3_uint64)(n ? n : 4));
    if( check==0 ){ sqlite3_result_error_nomem(ctx); return; }
    if( vector_parse(VEC_FLOAT32, dim, sqlite3_value_blob(argv[0]), n, 1, check, err) ){
      sql_func_errorf(ctx, SQLITE_ERROR, "vec_json: %s", err);
      sqlite3_free(check);
      return;
    }
    json = vector_to_json(type, dim, check);
    sqlite3_free(check);
  }else{
    json = vector_to_json(type, dim, sqlite3_value_blob(argv[0]));
  }
  if( json==0 ){ sqlite3_result_error_nomem(ctx); return; }
  sqlite3_result_text(ctx, json, -1, sqlite3_free);
}

static void vec_distance_func(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  Metric metric = METRIC_EUCLIDEAN;
  float *a = 0, *b = 0;
  int da, db;
  if( argc>2 ){
    const char *name = (const char*)sqlite3_value_text(argv[2]);
    metric = name ? metric_from_name(name, strlen(name)) : 0;
    if( metric==0 ){
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

int vector_sql_register(sqlite3 *db){
  const int flags = SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS;
  int rc = sqlite3_create_function(db, "vec_f32", 1, flags, 0, vec_f32_func, 0, 0);
  if( rc==SQLITE_OK ) rc = sqlite3_create_function(db, "vec_json", 1, flags, 0, vec_json_func, 0, 0);
  if( rc==SQLITE_OK ) rc = sqlite3_create_function(db, "vec_json", 2, flags, 0, vec_json_func, 0, 0);
  if( rc==SQLITE_OK ) rc = sqlite3_create_function(db, "vec_distance", 2, flags, 0, vec_distance_func, 0, 0);
  if( rc==SQLITE_OK ) rc = sqlite3_create_function(db, "vec_distance", 3, flags, 0, vec_distance_func, 0, 0);
  return rc;
}
