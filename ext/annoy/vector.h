/*
** vector.h — vectors as users write them, and back.
**
** Accepted forms, for a column declared TYPE[dim]:
**   JSON text   '[0.5, 1, -2e3]'  exactly dim finite numbers
**               (uint8: integers 0..255; bit: 0 or 1)
**   float32     a BLOB of dim little-endian IEEE floats (any type: uint8
**               and bit columns accept it when every value fits)
**   uint8       a BLOB of dim bytes
**   bit         a BLOB of dim/8 bytes; element i is bit (i%8) of byte i/8
** NaN and infinities are always rejected.
*/
#ifndef IMGSEARCH_VECTOR_H
#define IMGSEARCH_VECTOR_H
#include "distance.h"

#define VECTOR_ERR_SIZE 160

/* Parse data (n bytes; JSON text when is_blob==0) into out, which holds
** vec_bytes(type, dim) bytes. Returns 0, or 1 with a message in err. */
int vector_parse(VecType type, int dim, const void *data, int n, int is_blob,
                 void *out, char err[VECTOR_ERR_SIZE]);

/* Parse JSON of unknown length into float32s. *out is sqlite3_malloc'd
** (caller frees), *dim its length. Returns 0, 1 (bad input, message in err)
** or 2 (out of memory). */
int vector_parse_json_f32(const char *text, int n, float **out, int *dim,
                          char err[VECTOR_ERR_SIZE]);

/* JSON text for a stored vector; sqlite3_malloc'd, NULL when out of memory. */
char *vector_to_json(VecType type, int dim, const void *v);
#endif
