/*
** distance.h — metrics and distance kernels.
**
** Owns: how two vectors are compared (what a vector is, element type and
** size, is vector.h's). Plain C, no SQLite calls.
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
#include "vector.h"

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

const char *metric_name(Metric metric);
/* Parse a metric name ("euclidean", "cosine", "l2", ...); 0 if unknown. */
Metric metric_from_name(const char *name, size_t n);
/* Is this metric defined for this element type? */
int metric_allowed(VecType type, Metric metric);

/* The score kernel for a type and metric (never NULL for allowed pairs). */
DistanceKernel distance_kernel(VecType type, Metric metric);
double distance_from_score(Metric metric, float score);

#endif
