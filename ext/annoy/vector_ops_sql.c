/*
** vector_ops_sql.c — arithmetic on vectors in SQL, with sqlite-vec's names
** and meanings. Arguments are JSON or float32 BLOBs; results float32 BLOBs.
**
**   vec_normalize(v)          v / |v| (L2); a zero vector stays zero
**   vec_add(a, b), vec_sub(a, b)   element by element; same dimension
**   vec_slice(v, start, end)  elements start (from 0) up to, not including,
**                             end: 0 <= start < end <= the dimension
**   vec_quantize_binary(v)    a bit vector (dimension a multiple of 8):
**                             bit i is 1 where v[i] > 0 (bit i%8 of byte i/8,
**                             as bit[N] columns store it)
**
** Errors go out through sql_func_errorf (ext/error.h), prefixed with the
** function's name.
** May call: vector_sql.h (argument readers), error.h.
*/
#include <math.h>
#include <string.h>
#include "sqlite_ext.h"
#include "error.h"
#include "vector_sql.h"

static void vec_normalize_func(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  int dim, i;
  double norm = 0;
  float *v = vector_sql_arg(ctx, argv[0], VEC_FLOAT32, &dim, "vec_normalize");
  (void)argc;
  if( v==0 ) return;
  for(i=0; i<dim; i++) norm += (double)v[i]*v[i];
  if( norm>0 ){
    norm = sqrt(norm);
    for(i=0; i<dim; i++) v[i] = (float)(v[i]/norm);
  }
  vector_sql_result_f32(ctx, v, dim);
}

/* vec_add and vec_sub: the user data is the sign of b (+1 or -1). */
static void vec_add_func(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  const char *fn = *(const int*)sqlite3_user_data(ctx)>0 ? "vec_add" : "vec_sub";
  float sign = (float)*(const int*)sqlite3_user_data(ctx);
  float *a, *b;
  int da, db, i;
  (void)argc;
  if( (a = vector_sql_arg(ctx, argv[0], VEC_FLOAT32, &da, fn))==0 ) return;
  if( (b = vector_sql_arg(ctx, argv[1], VEC_FLOAT32, &db, fn))==0 ){
    sqlite3_free(a);
    return;
  }
  if( da!=db ){
    sql_func_errorf(ctx, SQLITE_ERROR, "%s: dimensions differ (%d and %d)", fn, da, db);
    goto done;
  }
  for(i=0; i<da; i++){
    a[i] += sign*b[i];
    if( !isfinite(a[i]) ){
      sql_func_errorf(ctx, SQLITE_ERROR, "%s: element %d is out of float32 range", fn, i);
      goto done;
    }
  }
  vector_sql_result_f32(ctx, a, da);
  a = 0;
done:
  sqlite3_free(a);
  sqlite3_free(b);
}

static void vec_slice_func(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  sqlite3_int64 start, end;
  float *v;
  int dim;
  (void)argc;
  if( sqlite3_value_type(argv[1])!=SQLITE_INTEGER || sqlite3_value_type(argv[2])!=SQLITE_INTEGER ){
    sqlite3_result_error(ctx, "vec_slice: start and end must be integers", -1);
    return;
  }
  start = sqlite3_value_int64(argv[1]);
  end = sqlite3_value_int64(argv[2]);
  if( (v = vector_sql_arg(ctx, argv[0], VEC_FLOAT32, &dim, "vec_slice"))==0 ) return;
  if( start<0 || end<=start || end>dim ){
    sql_func_errorf(ctx, SQLITE_ERROR,
                    "vec_slice: need 0 <= start < end <= %d (the dimension), got start %lld, end %lld",
                    dim, start, end);
    sqlite3_free(v);
    return;
  }
  memmove(v, v+start, (size_t)(end-start)*sizeof(float));
  vector_sql_result_f32(ctx, v, (int)(end-start));
}

static void vec_quantize_binary_func(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  unsigned char *bits;
  float *v;
  int dim, i;
  (void)argc;
  if( (v = vector_sql_arg(ctx, argv[0], VEC_FLOAT32, &dim, "vec_quantize_binary"))==0 ) return;
  if( dim%8!=0 || dim==0 ){
    sql_func_errorf(ctx, SQLITE_ERROR,
                    "vec_quantize_binary: the dimension must be a positive multiple of 8, got %d", dim);
    sqlite3_free(v);
    return;
  }
  /* in place: byte i/8 is written after elements 0..i-1 were read */
  bits = (unsigned char*)v;
  for(i=0; i<dim; i+=8){
    unsigned char byte = 0;
    int j;
    for(j=0; j<8; j++) if( v[i+j]>0 ) byte |= (unsigned char)(1u << j);
    bits[i/8] = byte;
  }
  sqlite3_result_blob(ctx, bits, dim/8, sqlite3_free);
}

int vector_ops_sql_register(sqlite3 *db){
  static const int plus = 1, minus = -1;
  const int flags = SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS;
  int rc = sqlite3_create_function(db, "vec_normalize", 1, flags, 0, vec_normalize_func, 0, 0);
  if( rc==SQLITE_OK ) rc = sqlite3_create_function(db, "vec_add", 2, flags, (void*)&plus, vec_add_func, 0, 0);
  if( rc==SQLITE_OK ) rc = sqlite3_create_function(db, "vec_sub", 2, flags, (void*)&minus, vec_add_func, 0, 0);
  if( rc==SQLITE_OK ) rc = sqlite3_create_function(db, "vec_slice", 3, flags, 0, vec_slice_func, 0, 0);
  if( rc==SQLITE_OK ) rc = sqlite3_create_function(db, "vec_quantize_binary", 1, flags, 0, vec_quantize_binary_func, 0, 0);
  return rc;
}
