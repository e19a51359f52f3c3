/*
** vector.c — element types, and parsing and formatting vectors (see
** vector.h for the accepted forms).
**
** The JSON reader is deliberately strict: an array of JSON numbers and
** nothing else, so "nan", "0x10" or "1,2" (no brackets) are errors that name
** the offending element rather than silently becoming something.
**
** May call: bytes.h (float32 BLOBs), error.h, SQLite's allocator and string
** builder.
*/
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "sqlite_ext.h"
#include "bytes.h"
#include "error.h"
#include "vector.h"

/* ---- element types ------------------------------------------------------ */

size_t vec_bytes(VecType type, int dim){
  switch( type ){
    case VEC_FLOAT32: return (size_t)dim * 4;
    case VEC_UINT8:
    case VEC_INT8:    return (size_t)dim;
    case VEC_BIT:     return (size_t)dim / 8;
  }
  return 0;
}

int vec_dim_of_bytes(VecType type, int n){
  switch( type ){
    case VEC_FLOAT32: return n%4==0 ? n/4 : -1;
    case VEC_UINT8:
    case VEC_INT8:    return n;
    case VEC_BIT:     return n<=0x0FFFFFFF ? n*8 : -1;
  }
  return -1;
}

static const char *const type_names[] = { 0, "float32", "uint8", "bit", "int8" };

const char *vec_type_name(VecType type){ return type_names[type]; }

static int name_is(const char *name, size_t n, const char *want){
  return strlen(want)==n && strncasecmp(name, want, n)==0;
}

VecType vec_type_from_name(const char *name, size_t n){
  if( name_is(name, n, "float32") || name_is(name, n, "float") ) return VEC_FLOAT32;
  if( name_is(name, n, "uint8") ) return VEC_UINT8;
  if( name_is(name, n, "int8") ) return VEC_INT8;
  if( name_is(name, n, "bit") ) return VEC_BIT;
  return 0;
}

/* ---- the JSON array scanner --------------------------------------------- */

/* One JSON array scanner shared by both parsers. Calls emit(ctx, i, value,
** pzErr) for each number; emit returns SQLITE_OK to go on, or an error
** code (with its message) to stop. */
typedef int (*EmitFn)(void *ctx, int i, double value, char **pzErr);

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
                           int *count, char **pzErr){
  int i = skip_space(s, 0, n), k = 0, rc;
  if( i>=n || s[i]!='[' ){
    return error_set(pzErr, SQLITE_ERROR, "a vector must be a JSON array like '[1, 2, 3]' or a BLOB");
  }
  i = skip_space(s, i+1, n);
  while( i<n && s[i]!=']' ){
    char buf[64];
    int len = json_number_length(s+i, n-i);
    double value;
    if( len==0 || len>=(int)sizeof(buf) ){
      return error_set(pzErr, SQLITE_ERROR, "element %d of the JSON vector is not a number", k);
    }
    memcpy(buf, s+i, (size_t)len);
    buf[len] = 0;
    value = strtod(buf, 0);
    if( !isfinite(value) || !isfinite((float)value) ){
      return error_set(pzErr, SQLITE_ERROR, "element %d of the JSON vector is out of float32 range", k);
    }
    if( (rc = emit(ctx, k, value, pzErr)) ) return rc;
    k++;
    i = skip_space(s, i+len, n);
    if( i<n && s[i]==',' ){
      i = skip_space(s, i+1, n);
      if( i<n && s[i]==']' ) i = n;   /* "[1,]" is not JSON */
      continue;
    }
    if( i<n && s[i]==']' ) break;
    return error_set(pzErr, SQLITE_ERROR, "JSON vector: expected ',' or ']' after element %d", k-1);
  }
  if( i>=n ){
    return error_set(pzErr, SQLITE_ERROR, "JSON vector: missing ']' or a number after element %d", k-1);
  }
  if( skip_space(s, i+1, n)!=n ){
    return error_set(pzErr, SQLITE_ERROR, "JSON vector: unexpected text after ']'");
  }
  *count = k;
  return SQLITE_OK;
}

/* ---- fixed type and dimension ------------------------------------------ */
typedef struct FixedTarget { VecType type; int dim; void *out; } FixedTarget;

/* Store value as element i of a vector of the target type. */
static int store_element(VecType type, int dim, void *out, int i, double value,
                         char **pzErr){
  if( i>=dim ){
    return error_set(pzErr, SQLITE_ERROR, "too many values: expected %d", dim);
  }
  switch( type ){
    case VEC_FLOAT32:
      ((float*)out)[i] = (float)value;
      return SQLITE_OK;
    case VEC_UINT8:
      if( value!=floor(value) || value<0 || value>255 ){
        return error_set(pzErr, SQLITE_ERROR,
                         "element %d is %g: uint8 vectors take integers 0..255", i, value);
      }
      ((uint8_t*)out)[i] = (uint8_t)value;
      return SQLITE_OK;
    case VEC_INT8:
      if( value!=floor(value) || value<-128 || value>127 ){
        return error_set(pzErr, SQLITE_ERROR,
                         "element %d is %g: int8 vectors take integers -128..127", i, value);
      }
      ((int8_t*)out)[i] = (int8_t)value;
      return SQLITE_OK;
    case VEC_BIT:
      if( value!=0 && value!=1 ){
        return error_set(pzErr, SQLITE_ERROR,
                         "element %d is %g: bit vectors take 0 or 1", i, value);
      }
      if( value==1 ) ((uint8_t*)out)[i>>3] |= (uint8_t)(1u << (i&7));
      return SQLITE_OK;
  }
  return error_set(pzErr, SQLITE_ERROR, "unknown vector element type %d", (int)type);
}

static int emit_fixed(void *ctx, int i, double value, char **pzErr){
  FixedTarget *t = ctx;
  return store_element(t->type, t->dim, t->out, i, value, pzErr);
}

/* A BLOB of dim little-endian float32s (p, 4*dim bytes) into out. */
static int parse_f32_blob(VecType type, int dim, const unsigned char *p, void *out,
                          char **pzErr){
  int i, rc;
  /* The common case in one pass; the loop below finds what was wrong. */
  if( type==VEC_FLOAT32 && bytes_get_f32s(p, (uint64_t)dim, out) ) return SQLITE_OK;
  for(i=0; i<dim; i++){
    float f = bytes_get_f32(p + 4*(size_t)i);
    if( !isfinite(f) ){
      return error_set(pzErr, SQLITE_ERROR, "element %d is %s", i, isnan(f) ? "NaN" : "infinite");
    }
    if( (rc = store_element(type, dim, out, i, f, pzErr)) ) return rc;
  }
  return SQLITE_OK;
}

int vector_parse(VecType type, int dim, const void *data, int n, int is_blob,
                 void *out, char **pzErr){
  size_t nbytes = vec_bytes(type, dim);
  memset(out, 0, nbytes);
  if( data==0 ){
    return error_set(pzErr, SQLITE_ERROR, "vector is NULL");
  }
  if( !is_blob ){
    FixedTarget t = { type, dim, out };
    int count = 0, rc;
    if( (rc = scan_json_array(data, n, &t, emit_fixed, &count, pzErr)) ) return rc;
    if( count!=dim ){
      return error_set(pzErr, SQLITE_ERROR, "wrong dimension: expected %d values, got %d", dim, count);
    }
    return SQLITE_OK;
  }
  if( (size_t)n==nbytes && type!=VEC_FLOAT32 ){
    memcpy(out, data, nbytes);
    return SQLITE_OK;
  }
  if( (size_t)n==(size_t)dim*4 ) return parse_f32_blob(type, dim, data, out, pzErr);
  if( type==VEC_FLOAT32 ){
    return error_set(pzErr, SQLITE_ERROR,
                     "wrong vector size: a float32[%d] BLOB has %d bytes, got %d", dim, dim*4, n);
  }
  return error_set(pzErr, SQLITE_ERROR,
                   "wrong vector size: a %s[%d] BLOB has %d bytes (or %d as float32), got %d",
                   vec_type_name(type), dim, (int)nbytes, dim*4, n);
}

/* ---- JSON of any length -> float32 ------------------------------------- */
typedef struct GrowTarget { float *v; int n, alloc; } GrowTarget;

static int emit_grow(void *ctx, int i, double value, char **pzErr){
  GrowTarget *t = ctx;
  (void)i; (void)pzErr;
  if( t->n==t->alloc ){
    int alloc = t->alloc ? t->alloc*2 : 64;
    float *v = sqlite3_realloc64(t->v, (sqlite3_uint64)alloc*sizeof(float));
    if( v==0 ) return SQLITE_NOMEM;
    t->v = v; t->alloc = alloc;
  }
  t->v[t->n++] = (float)value;
  return SQLITE_OK;
}

int vector_parse_json_f32(const char *text, int n, float **out, int *dim,
                          char **pzErr){
  GrowTarget t = { 0, 0, 0 };
  int count = 0, rc = scan_json_array(text, n, &t, emit_grow, &count, pzErr);
  if( rc ){
    sqlite3_free(t.v);
    return rc;
  }
  *out = t.v;
  *dim = count;
  return SQLITE_OK;
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
