/*
** vector.c — parse and format vectors (see vector.h for the accepted forms).
**
** The JSON reader is deliberately strict: an array of JSON numbers and
** nothing else, so "nan", "0x10" or "1,2" (no brackets) are errors that name
** the offending element rather than silently becoming something.
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sqlite_ext.h"
#include "vector.h"

/* One JSON array scanner shared by both parsers. Calls emit(ctx, i, value)
** for each number; emit returns 0 to go on, 1 to stop with err filled. */
typedef int (*EmitFn)(void *ctx, int i, double value, char *err);

static int skip_space(const char *s, int i, int n){
  while( i<n && (s[i]==' ' || s[i]=='\t' || s[i]=='\n' || s[i]=='\r') ) i++;
  return i;
}

/* Length of the JSON number at s[0..n), 0 if there is none. */
static int json_number_length(const char *s, int n){
  int i = 0, digits;
  if( i<n && s[i]=='-' ) i++;
  for(digits=0; i<n && s[i]>='0' && s[i]<='9'; i++) digits++;
  if( digits==0 ) return 0;
  if( i<n && s[i]=='.' ){
    for(i++, digits=0; i<n && s[i]>='0' && s[i]<='9'; i++) digits++;
    if( digits==0 ) return 0;
  }
  if( i<n && (s[i]=='e' || s[i]=='E') ){
    i++;
    if( i<n && (s[i]=='+' || s[i]=='-') ) i++;
    for(digits=0; i<n && s[i]>='0' && s[i]<='9'; i++) digits++;
    if( digits==0 ) return 0;
  }
  return i;
}

static int scan_json_array(const char *s, int n, void *ctx, EmitFn emit,
                           int *count, char *err){
  int i = skip_space(s, 0, n), k = 0;
  if( i>=n || s[i]!='[' ){
    snprintf(err, VECTOR_ERR_SIZE, "a vector must be a JSON array like '[1, 2, 3]' or a BLOB");
    return 1;
  }
  i = skip_space(s, i+1, n);
  while( i<n && s[i]!=']' ){
    char buf[64];
    int len = json_number_length(s+i, n-i);
    double value;
    if( len==0 || len>=(int)sizeof(buf) ){
      snprintf(err, VECTOR_ERR_SIZE, "element %d of the JSON vector is not a number", k);
      return 1;
    }
    memcpy(buf, s+i, (size_t)len);
    buf[len] = 0;
    value = strtod(buf, 0);
    if( !isfinite(value) || !isfinite((float)value) ){
      snprintf(err, VECTOR_ERR_SIZE, "element %d of the JSON vector is out of float32 range", k);
      return 1;
    }
    if( emit(ctx, k, value, err) ) return 1;
    k++;
    i = skip_space(s, i+len, n);
    if( i<n && s[i]==',' ){
      i = skip_space(s, i+1, n);
      if( i<n && s[i]==']' ) i = n;   /* "[1,]" is not JSON */
      continue;
    }
    if( i<n && s[i]==']' ) break;
    snprintf(err, VECTOR_ERR_SIZE, "JSON vector: expected ',' or ']' after element %d", k-1);
    return 1;
  }
  if( i>=n ){
    snprintf(err, VECTOR_ERR_SIZE, "JSON vector: missing ']' or a number after element %d", k-1);
    return 1;
  }
  if( skip_space(s, i+1, n)!=n ){
    snprintf(err, VECTOR_ERR_SIZE, "JSON vector: unexpected text after ']'");
    return 1;
  }
  *count = k;
  return 0;
}

/* ---- fixed type and dimension ------------------------------------------ */
typedef struct FixedTarget { VecType type; int dim; void *out; } FixedTarget;

/* Store value as element i of a vector of the target type. */
static int store_element(VecType type, int dim, void *out, int i, double value,
                         char *err){
  if( i>=dim ){
    snprintf(err, VECTOR_ERR_SIZE, "too many values: expected %d", dim);
    return 1;
  }
  switch( type ){
    case VEC_FLOAT32:
      ((float*)out)[i] = (float)value;
      return 0;
    case VEC_UINT8:
      if( value!=floor(value) || value<0 || value>255 ){
        snprintf(err, VECTOR_ERR_SIZE,
                 "element %d is %g: uint8 vectors take integers 0..255", i, value);
        return 1;
      }
      ((uint8_t*)out)[i] = (uint8_t)value;
      return 0;
    case VEC_BIT:
      if( value!=0 && value!=1 ){
        snprintf(err, VECTOR_ERR_SIZE,
                 "element %d is %g: bit vectors take 0 or 1", i, value);
        return 1;
      }
      if( value==1 ) ((uint8_t*)out)[i>>3] |= (uint8_t)(1u << (i&7));
      return 0;
  }
  return 1;
}

static int emit_fixed(void *ctx, int i, double value, char *err){
  FixedTarget *t = ctx;
  return store_element(t->type, t->dim, t->out, i, value, err);
}

int vector_parse(VecType type, int dim, const void *data, int n, int is_blob,
                 void *out, char err[VECTOR_ERR_SIZE]){
  size_t nbytes = vec_bytes(type, dim);
  int i;
  memset(out, 0, nbytes);
  if( data==0 ){
    snprintf(err, VECTOR_ERR_SIZE, "vector is NULL");
    return 1;
  }
  if( !is_blob ){
    FixedTarget t = { type, dim, out };
    int count = 0;
    if( scan_json_array(data, n, &t, emit_fixed, &count, err) ) return 1;
    if( count!=dim ){
      snprintf(err, VECTOR_ERR_SIZE, "wrong dimension: expected %d values, got %d", dim, count);
      return 1;
    }
    return 0;
  }
  if( (size_t)n==nbytes && type!=VEC_FLOAT32 ){
    memcpy(out, data, nbytes);
    return 0;
  }
  if( (size_t)n==(size_t)dim*4 ){
    for(i=0; i<dim; i++){
      float f;
      memcpy(&f, (const char*)data + 4*(size_t)i, 4);
      if( !isfinite(f) ){
        snprintf(err, VECTOR_ERR_SIZE, "element %d is %s", i, isnan(f) ? "NaN" : "infinite");
        return 1;
      }
      if( store_element(type, dim, out, i, f, err) ) return 1;
    }
    return 0;
  }
  if( type==VEC_FLOAT32 ){
    snprintf(err, VECTOR_ERR_SIZE,
             "wrong vector size: a float32[%d] BLOB has %d bytes, got %d", dim, dim*4, n);
  }else{
    snprintf(err, VECTOR_ERR_SIZE,
             "wrong vector size: a %s[%d] BLOB has %d bytes (or %d as float32), got %d",
             vec_type_name(type), dim, (int)nbytes, dim*4, n);
  }
  return 1;
}

/* ---- JSON of any length -> float32 ------------------------------------- */
typedef struct GrowTarget { float *v; int n, alloc; int nomem; } GrowTarget;

static int emit_grow(void *ctx, int i, double value, char *err){
  GrowTarget *t = ctx;
  (void)i;
  if( t->n==t->alloc ){
    int alloc = t->alloc ? t->alloc*2 : 64;
    float *v = sqlite3_realloc64(t->v, (sqlite3_uint64)alloc*sizeof(float));
    if( v==0 ){ t->nomem = 1; snprintf(err, VECTOR_ERR_SIZE, "out of memory"); return 1; }
    t->v = v; t->alloc = alloc;
  }
  t->v[t->n++] = (float)value;
  return 0;
}

int vector_parse_json_f32(const char *text, int n, float **out, int *dim,
                          char err[VECTOR_ERR_SIZE]){
  GrowTarget t = { 0, 0, 0, 0 };
  int count = 0;
  if( scan_json_array(text, n, &t, emit_grow, &count, err) ){
    sqlite3_free(t.v);
    return t.nomem ? 2 : 1;
  }
  *out = t.v;
  *dim = count;
  return 0;
}

char *vector_to_json(VecType type, int dim, const void *v){
  sqlite3_str *s = sqlite3_str_new(0);
  int i;
  sqlite3_str_appendchar(s, 1, '[');
  for(i=0; i<dim; i++){
    if( i ) sqlite3_str_appendchar(s, 1, ',');
    if( type==VEC_FLOAT32 ){
      sqlite3_str_appendf(s, "%.9g", (double)((const float*)v)[i]);
    }else{
      sqlite3_str_appendf(s, "%d", (int)vec_element(type, v, i));
    }
  }
  sqlite3_str_appendchar(s, 1, ']');
  return sqlite3_str_finish(s);
}
