/*
** vector_sql.h — the vec_* SQL functions: registration, and the argument
** readers their files share.
**
**   vector_sql.c      vec_f32, vec_json/vec_to_json, vec_length, vec_version,
**                     vec_distance and its vec_distance_METRIC forms
**   vector_ops_sql.c  vec_normalize, vec_add, vec_sub, vec_slice,
**                     vec_quantize_binary
**   vec_each.c        the vec_each table-valued function
**
** The entry point (ext/imgsearch_vec.c) calls vector_sql_register on each
** connection; it registers all three.
*/
#ifndef IMGSEARCH_VECTOR_SQL_H
#define IMGSEARCH_VECTOR_SQL_H
#include "sqlite_ext.h"
#include "vector.h"

int vector_sql_register(sqlite3 *db);
int vector_ops_sql_register(sqlite3 *db);
int vec_each_register(sqlite3 *db);

/* A vector value as floats: JSON text of any length, or a BLOB of the
** given element type (a float32 BLOB must be finite). *out is
** sqlite3_malloc'd (caller frees), *dim its length. SQLITE_OK, or an error
** code with the message in *pzErr (ext/error.h). */
int vector_read(sqlite3_value *v, VecType type, float **out, int *dim, char **pzErr);

/* vector_read for an SQL function: NULL, with the error "fn: message" set
** on ctx, when it fails. */
float *vector_sql_arg(sqlite3_context *ctx, sqlite3_value *v, VecType type, int *dim, const char *fn);

/* Optional argument argv[i], an element type name; *type is float32 when
** there is none. SQLITE_ERROR, with the function's error set, for an
** unknown name. */
int vector_sql_arg_type(sqlite3_context *ctx, int argc, sqlite3_value **argv, int i,
                        VecType *type, const char *fn);

/* Make v (dim floats, sqlite3_malloc'd; taken over) the function's result
** as a little-endian float32 BLOB. */
void vector_sql_result_f32(sqlite3_context *ctx, float *v, int dim);
#endif
