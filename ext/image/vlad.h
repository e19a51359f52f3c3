/*
** vlad.h — a global image vector from SIFT descriptors: RootSIFT, a visual
** codebook trained by k-means, and VLAD aggregation.  The codebook blob
** layout is documented at the top of vlad.c.
**
** Contract: plain C over arrays; no database access.  Memory comes from
** sqlite3_malloc64 and is released by the matching *_free function.
** Errors are SQLite result codes with a sqlite3_mprintf() message in
** *pzErr (when pzErr is not NULL) for the caller to sqlite3_free().
**
** Deterministic: the same descriptors give the same codebook and the same
** vectors, bit for bit, whatever order the training descriptors arrive in
** (see vlad.c: sampling by hash, fixed-seed k-means++).
*/
#ifndef IMGSEARCH_VLAD_H
#define IMGSEARCH_VLAD_H

#include <stddef.h>
#include <stdint.h>

#define VLAD_DESCRIPTOR_DIMS        128
#define VLAD_DEFAULT_CLUSTERS       64
#define VLAD_MAX_CLUSTERS           1024
#define VLAD_TRAIN_MAX_DESCRIPTORS  100000  /* k-means sample, see vlad.c */
#define VLAD_KMEANS_ITERATIONS      20      /* Lloyd iterations at most */

/* Dot product of two VLAD_DESCRIPTOR_DIMS-float vectors in eight fixed
** lanes: the compiler may vectorise it without reassociating, and the
** result does not depend on the machine's vector width.  Inline: k-means
** (vlad.c) and matching (match.c) call it in their innermost loops. */
static inline float vlad_dot(const float *a, const float *b){
  float lane[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int i, j;
  for(i=0; i<VLAD_DESCRIPTOR_DIMS; i+=8){
    for(j=0; j<8; j++) lane[j] += a[i+j]*b[i+j];
  }
  return ((lane[0]+lane[1]) + (lane[2]+lane[3]))
       + ((lane[4]+lane[5]) + (lane[6]+lane[7]));
}

/* RootSIFT (Arandjelovic & Zisserman 2012): L1-normalise the 128 uint8
** values, then take square roots; the result has unit L2 norm (or is zero
** for an all-zero descriptor). */
void vlad_rootsift(const unsigned char *descriptor, float *out);

/* ---- codebook -------------------------------------------------------------- */

typedef struct VladCodebook {
  int clusters;        /* k */
  float *centroids;    /* k * VLAD_DESCRIPTOR_DIMS, RootSIFT space; owned */
} VladCodebook;

/* Validate a codebook blob and copy its centroids out.  *out is zeroed on
** failure. */
int vlad_codebook_parse(const void *data, size_t n, VladCodebook *out,
                        char **pzErr);

/* A codebook blob (sqlite3_malloc64; caller frees), or NULL if out of
** memory.  *pn gets its size. */
unsigned char *vlad_codebook_encode(const VladCodebook *codebook, size_t *pn);

void vlad_codebook_free(VladCodebook *codebook);

/* ---- training -------------------------------------------------------------- */

typedef struct VladTrainer VladTrainer;

/* A trainer for a codebook of `clusters` centroids (1..VLAD_MAX_CLUSTERS)
** that keeps at most max_samples descriptors.  NULL if out of memory or the
** arguments are out of range. */
VladTrainer *vlad_trainer_new(int clusters, int max_samples);

/* Offer count descriptors (count rows of 128 bytes).  SQLITE_NOMEM or OK. */
int vlad_trainer_add(VladTrainer *trainer, const unsigned char *descriptors,
                     int count);

/* Descriptors offered so far (not only those kept). */
int64_t vlad_trainer_seen(const VladTrainer *trainer);

/* Run k-means on the kept sample.  Fails (SQLITE_ERROR) if fewer than
** `clusters` descriptors were kept, and stops with SQLITE_INTERRUPT soon
** after sqlite3_interrupt(db) (db may be NULL: interrupt.h). */
int vlad_trainer_finish(VladTrainer *trainer, sqlite3 *db, VladCodebook *out,
                        char **pzErr);

void vlad_trainer_free(VladTrainer *trainer);

/* ---- aggregation ----------------------------------------------------------- */

/* VLAD of count descriptors against the codebook: for each RootSIFT
** descriptor, its residual to the nearest centroid is added to that
** centroid's block; then signed square root of every value, L2
** normalisation of every block (intra-normalisation), and L2 normalisation
** of the whole.  out holds clusters * VLAD_DESCRIPTOR_DIMS floats.
** Returns 1 if out is a unit vector, 0 if there is none (no descriptors,
** or every residual is zero); out is then all zero. */
int vlad_encode(const VladCodebook *codebook, const unsigned char *descriptors,
                int count, float *out);

/* Index of the centroid nearest to a RootSIFT vector (lowest on ties). */
int vlad_nearest(const VladCodebook *codebook, const float *x);

#endif /* IMGSEARCH_VLAD_H */
