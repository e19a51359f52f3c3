/*
** vector.h — what a stored vector is, and vectors as users write them.
**
** Owns: the element types (float32, uint8, int8, bit), how many bytes a vector of
** a type and dimension takes, and the text and BLOB forms users give.
** Accepted forms, for a column declared TYPE[dim]:
**   JSON text   '[0.5, 1, -2e3]'  exactly dim finite numbers
**               (uint8: integers 0..255; int8: -128..127; bit: 0 or 1)
**   float32     a BLOB of dim little-endian IEEE floats (any type: uint8,
**               int8 and bit columns accept it when every value fits)
**   uint8, int8 a BLOB of dim bytes (int8: two's complement)
**   bit         a BLOB of dim/8 bytes; element i is bit (i%8) of byte i/8
** NaN and infinities are always rejected.  In memory a float32 vector is
** an array of float; uint8, int8 and bit vectors are their stored bytes.
**
** Errors follow ext/error.h: an SQLite result code, the message in *pzErr.
** May call: bytes.h, error.h, SQLite's allocator and string builder.
*/
#ifndef IMGSEARCH_VECTOR_H
#define IMGSEARCH_VECTOR_H
#include <stddef.h>
#include <stdint.h>

/* The numbers are stored in _info (annoy_store.c): never renumber. */
typedef enum VecType { VEC_FLOAT32 = 1, VEC_UINT8 = 2, VEC_BIT = 3, VEC_INT8 = 4 } VecType;

/* Bytes one vector of dim elements takes (bit: dim/8, dim a multiple of 8). */
size_t vec_bytes(VecType type, int dim);
/* The dimension of a BLOB of n bytes of this type; -1 when n does not
** fit (float32: not a multiple of 4). */
int vec_dim_of_bytes(VecType type, int n);
const char *vec_type_name(VecType type);
/* Parse "float32" (or "float") / "uint8" / "int8" / "bit"; 0 if unknown. */
VecType vec_type_from_name(const char *name, size_t n);

/* Element i of a vector in memory as a float (bit vectors: 0 or 1). */
static inline float vec_element(VecType type, const void *v, int i){
  switch( type ){
    case VEC_FLOAT32: return ((const float*)v)[i];
    case VEC_UINT8:   return (float)((const uint8_t*)v)[i];
    case VEC_INT8:    return (float)((const int8_t*)v)[i];
    default:          return (float)((((const uint8_t*)v)[i>>3] >> (i&7)) & 1);
  }
}

/* Parse data (n bytes; JSON text when is_blob==0) into out, which holds
** vec_bytes(type, dim) bytes. SQLITE_OK, or SQLITE_ERROR with a message
** that says what is wrong with the input. */
int vector_parse(VecType type, int dim, const void *data, int n, int is_blob,
                 void *out, char **pzErr);

/* Parse JSON of unknown length into float32s. *out is sqlite3_malloc'd
** (caller frees), *dim its length. SQLITE_OK, SQLITE_ERROR (bad input,
** with a message) or SQLITE_NOMEM. */
int vector_parse_json_f32(const char *text, int n, float **out, int *dim,
                          char **pzErr);

/* JSON text for a vector in memory; sqlite3_malloc'd, NULL when out of
** memory. */
char *vector_to_json(VecType type, int dim, const void *v);
#endif
