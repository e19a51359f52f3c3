/*
** fuzz_vector.c — libFuzzer target for the vector parsers (ext/annoy/vector.c)
** and the vec_* SQL functions (ext/annoy/vector_sql.c).
**
** Input: byte 0 picks the element type, byte 1 the dimension, byte 2 the
** metric for vec_distance; the rest is the vector, read both as JSON text
** and as a BLOB.  Checked besides "no crash":
**   - a failure always has a message;
**   - what parses formats back (vector_to_json) to JSON that parses to the
**     same values (float32 JSON is printed with 9 digits, which is exact;
**     only the sign of -0 is lost);
**   - a float32 BLOB that parses is stored byte for byte as given, and so
**     is a uint8/int8/bit BLOB of the column's own size.
** Then, through SQL on one in-memory connection: vec_f32, vec_json with
** each type name, vec_distance of the two halves of the input, and the
** other helpers (vec_length, vec_normalize, vec_add/vec_sub of the
** halves, vec_slice, vec_quantize_binary, vec_each).
**
** Built and run by tests/fuzz/run.sh.  Any sanitizer report or abort() is
** a bug.
*/
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_sql.h"
#include "annoy/vector.h"

#define FUZZ_HEADER 3

static const int fuzz_dims[] = { 1, 2, 3, 4, 7, 8, 16, 128 };
/* ?3: a metric for vec_distance, a type for vec_length and vec_each */
static const char *const fuzz_metrics[] = {
  "euclidean", "angular", "cosine", "dot", "manhattan", "hamming", "bogus",
  "float32", "uint8", "int8", "bit"
};
static sqlite3 *fuzz_db;

/* The SQL functions, prepared once: the input bound as ?1 (or its two
** halves as ?1 and ?2) and a metric or type name as ?3. */
static const char *const fuzz_sql[] = {
  "SELECT vec_f32(?1), vec_f32(CAST(?1 AS BLOB))",
  "SELECT vec_json(?1), vec_json(CAST(?1 AS BLOB), ?3)",
  "SELECT vec_json(CAST(?1 AS BLOB), 'float32'), vec_json(CAST(?1 AS BLOB), 'uint8')",
  "SELECT vec_json(CAST(?1 AS BLOB), 'bit'), vec_json(CAST(?1 AS BLOB), 'int8')",
  "SELECT vec_length(?1), vec_length(CAST(?1 AS BLOB), ?3), vec_normalize(?1), vec_quantize_binary(?1)",
  "SELECT vec_add(?1, ?2), vec_sub(CAST(?1 AS BLOB), CAST(?2 AS BLOB)), vec_slice(?1, 1, 3)",
  "SELECT sum(value) FROM vec_each(?1) UNION ALL SELECT sum(value) FROM vec_each(CAST(?1 AS BLOB), ?3)",
  "SELECT vec_distance(?1, ?2), vec_distance(?1, ?2, ?3)",
  "SELECT vec_distance(CAST(?1 AS BLOB), CAST(?2 AS BLOB), ?3)",
  "SELECT vec_distance(vec_f32(?1), ?1, ?3)",
};
#define N_FUZZ_SQL (sizeof(fuzz_sql)/sizeof(fuzz_sql[0]))
static sqlite3_stmt *fuzz_stmt[N_FUZZ_SQL];

int LLVMFuzzerInitialize(int *argc, char ***argv){
  size_t i;
  (void)argc; (void)argv;
  fuzz_register_extension();
  fuzz_db = fuzz_open_memory();
  for(i=0; i<N_FUZZ_SQL; i++){
    fuzz_stmt[i] = fuzz_prepare(fuzz_db, "%s", fuzz_sql[i]);
    if( fuzz_stmt[i]==0 ) abort();          /* fixed SQL: must compile */
  }
  return 0;
}

/* A failed parse must say why (nothing here runs out of memory); the
** message is freed. */
static void expect_message(int failed, char *zErr){
  if( failed && zErr==0 ) abort();
  if( !failed && zErr!=0 ) abort();
  sqlite3_free(zErr);
}

/* vector (type, dim) -> JSON -> vector must give back the same values
** (float32 -0 is printed as 0, so floats are compared with ==). */
static void check_json_round_trip(VecType type, int dim, const void *v, size_t nbytes){
  char *json = vector_to_json(type, dim, v);
  void *again = malloc(nbytes);
  int i;
  if( json==0 || again==0 ) abort();
  if( vector_parse(type, dim, json, (int)strlen(json), 0, again, 0) ) abort();
  if( type==VEC_FLOAT32 ){
    for(i=0; i<dim; i++) if( ((const float*)v)[i]!=((float*)again)[i] ) abort();
  }else if( memcmp(v, again, nbytes)!=0 ){
    abort();
  }
  free(again);
  sqlite3_free(json);
}

/* The C parsers for one type and dimension. */
static void fuzz_parsers(VecType type, int dim, const uint8_t *data, int n){
  size_t nbytes = vec_bytes(type, dim);
  uint8_t *out = malloc(nbytes);
  char *zErr;
  float *grown = 0;
  int grown_dim = 0, rc;
  if( out==0 ) abort();

  zErr = 0;
  rc = vector_parse(type, dim, data, n, 0, out, &zErr);
  expect_message(rc, zErr);
  if( rc==0 ) check_json_round_trip(type, dim, out, nbytes);

  zErr = 0;
  rc = vector_parse(type, dim, data, n, 1, out, &zErr);
  expect_message(rc, zErr);
  if( rc==0 ){
    if( (size_t)n==(size_t)dim*4 && type==VEC_FLOAT32 && memcmp(out, data, nbytes)!=0 ) abort();
    if( (size_t)n==nbytes && type!=VEC_FLOAT32 && memcmp(out, data, nbytes)!=0 ) abort();
    check_json_round_trip(type, dim, out, nbytes);
  }

  zErr = 0;
  rc = vector_parse_json_f32((const char*)data, n, &grown, &grown_dim, &zErr);
  expect_message(rc, zErr);
  if( rc==0 ){
    if( grown_dim>0 ) check_json_round_trip(VEC_FLOAT32, grown_dim, grown, (size_t)grown_dim*4);
    sqlite3_free(grown);
  }
  free(out);
}

/* Run each of them on the input. */
static void fuzz_functions(const uint8_t *data, int n, const char *metric){
  int half = n/2;
  size_t i;
  for(i=0; i<N_FUZZ_SQL; i++){
    sqlite3_stmt *st = fuzz_stmt[i];
    if( strstr(fuzz_sql[i], "?2") ){
      sqlite3_bind_text(st, 1, (const char*)data, half, SQLITE_STATIC);
      sqlite3_bind_text(st, 2, (const char*)data + half, n - half, SQLITE_STATIC);
    }else{
      sqlite3_bind_text(st, 1, (const char*)data, n, SQLITE_STATIC);
    }
    sqlite3_bind_text(st, 3, metric, -1, SQLITE_STATIC);
    fuzz_rows(st, 1);
    sqlite3_clear_bindings(st);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size){
  VecType type;
  int dim;
  if( size<FUZZ_HEADER || size>100000 ) return 0;
  type = (VecType)(VEC_FLOAT32 + data[0]%4);       /* float32, uint8, bit, int8 */
  dim = fuzz_dims[data[1] % (sizeof(fuzz_dims)/sizeof(fuzz_dims[0]))];
  if( type==VEC_BIT ) dim = (dim+7)/8*8;        /* bit[N]: N a multiple of 8 */
  fuzz_parsers(type, dim, data + FUZZ_HEADER, (int)(size - FUZZ_HEADER));
  fuzz_functions(data + FUZZ_HEADER, (int)(size - FUZZ_HEADER),
                 fuzz_metrics[data[2] % (sizeof(fuzz_metrics)/sizeof(fuzz_metrics[0]))]);
  return 0;
}
