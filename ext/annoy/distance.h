/*
** distance.h — vector element types, metrics and distance kernels.
**
** Owns: what a stored vector is (element type x dimension -> bytes) and how
** two of them are compared. Plain C, no SQLite calls.
**
** Kernels return a "score": a number that orders like the true distance but
** is cheaper (squared L2 for euclidean). distance_from_score() turns a score
** into the distance users see:
**   euclidean  L2 = sqrt(sum (a-b)^2)
**   angular    cosine distance 1 - a.b/(|a||b|)   (1 when either is zero)
**   dot        negative inner product -a.b (smaller = more similar)
**   manhattan  L1 = sum |a-b|
**   hamming    number of differing bits (bit vectors only)
*/
#ifndef IMGSEARCH_DISTANCE_H
#define IMGSEARCH_DISTANCE_H
#include <stddef.h>
#include <stdint.h>

typedef enum VecType { VEC_FLOAT32 = 1, VEC_UINT8 = 2, VEC_BIT = 3 } VecType;
typedef enum Metric {
  METRIC_EUCLIDEAN = 1, METRIC_ANGULAR, METRIC_DOT, METRIC_MANHATTAN,
  METRIC_HAMMING
} Metric;

typedef float (*DistanceKernel)(const void *a, const void *b, int dim);

/* Hot loops are built twice, for AVX2 and for the baseline CPU, and the
** loader picks one at run time (the .so stays portable). Both compute the
** same lanes in the same order (no FMA: -ffp-contract=off). */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__SANITIZE_ADDRESS__)
# define VEC_KERNEL __attribute__((target_clones("avx2","default")))
#else
# define VEC_KERNEL
#endif

/* Bytes one vector of dim elements takes (bit: dim/8, dim a multiple of 8). */
size_t vec_bytes(VecType type, int dim);
const char *vec_type_name(VecType type);
const char *metric_name(Metric metric);
/* Parse "float32" / "uint8" / "bit" (and metric names); 0 if unknown. */
VecType vec_type_from_name(const char *name, size_t n);
Metric metric_from_name(const char *name, size_t n);
/* Is this metric defined for this element type? */
int metric_allowed(VecType type, Metric metric);

/* The score kernel for a type and metric (never NULL for allowed pairs). */
DistanceKernel distance_kernel(VecType type, Metric metric);
double distance_from_score(Metric metric, float score);

/* Element i of a vector as a float (bit vectors: 0 or 1). */
static inline float vec_element(VecType type, const void *v, int i){
  switch( type ){
    case VEC_FLOAT32: return ((const float*)v)[i];
    case VEC_UINT8:   return (float)((const uint8_t*)v)[i];
    default:          return (float)((((const uint8_t*)v)[i>>3] >> (i&7)) & 1);
  }
}
#endif
