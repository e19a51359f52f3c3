/*
** pca.h — PCA-whitening of global image vectors (VLAD), trained on the
** collection's own vectors.  The PCA blob layout is documented at the top
** of pca.c.
**
** Contract: plain C over arrays; no database access.  Memory comes from
** sqlite3_malloc64 and is released by the matching *_free function.
** Errors are SQLite result codes with a sqlite3_mprintf() message in
** *pzErr (when pzErr is not NULL) for the caller to sqlite3_free().
**
** Deterministic: the same set of training vectors gives the same model bit
** for bit, in any order (hash-based sampling, a fixed-order eigen solver).
*/
#ifndef IMGSEARCH_PCA_H
#define IMGSEARCH_PCA_H

#include <stddef.h>
#include <stdint.h>

/* 64 by default: learnt from UKBench's 500 images (VLAD k=64), whitening to
** 64 dims scored best (N-S 3.77 vs 3.74 unreduced) and 256 lost badly
** (3.18).  Whitening divides each component by its spread, so components
** learnt from few vectors, whose trailing ones are mostly noise, have that
** noise scaled up; the more components, the more noise.  With more vectors
** to learn from it is another matter: learnt from 1000 vectors (the most
** PCA_TRAIN_MAX_VECTORS keeps) of a larger collection, 256 dims kept most
** of the full vectors' quality on 10,426 images, which is why `imgsearch
** index` asks for 256 once it has 1000 training images (shell/cmd_index.c,
** INDEX_PCA_DIMS).  A default must suit small collections too: 64.
** docs/BENCHMARKS.md, issue 3. */
#define PCA_DEFAULT_DIMS       64
#define PCA_MAX_INPUT_DIMS     (1<<20)
#define PCA_TRAIN_MAX_VECTORS  1000    /* training sample, see pca.c */
/* ... and at most this many bytes of it: training holds each kept vector
** twice as floats (the sample and the fit), 8 bytes a dim, so 2^20-dim
** vectors keep 32, not 1000 (8 GB); VLAD up to 32768 dims keeps 1000. */
#define PCA_TRAIN_MAX_BYTES    ((uint64_t)256<<20)

typedef struct PcaModel {
  int input_dims;
  int output_dims;
  float *mean;          /* input_dims; owned */
  float *variances;     /* output_dims, descending, all > 0; owned */
  float *components;    /* output_dims x input_dims, unit rows; owned */
} PcaModel;

int pca_model_parse(const void *data, size_t n, PcaModel *out, char **pzErr);

/* A PCA blob (sqlite3_malloc64; caller frees), or NULL if out of memory. */
unsigned char *pca_model_encode(const PcaModel *model, size_t *pn);

void pca_model_free(PcaModel *model);

/* Project in[input_dims] onto the components, divide each by the square
** root of its variance (whitening), then L2-normalise.  out holds
** output_dims floats.  Returns 1 if out is a unit vector, 0 if the
** projection is zero (out is then all zero). */
int pca_project(const PcaModel *model, const float *in, float *out);

/* ---- training -------------------------------------------------------------- */

typedef struct PcaTrainer PcaTrainer;

/* A trainer for vectors of `input_dims` floats that keeps at most
** max_vectors of them, and no more than PCA_TRAIN_MAX_BYTES allow.  NULL if
** out of memory or out of range. */
PcaTrainer *pca_trainer_new(int input_dims, int max_vectors);

int pca_trainer_input_dims(const PcaTrainer *trainer);

/* Offer one vector (input_dims finite floats).  SQLITE_NOMEM or OK. */
int pca_trainer_add(PcaTrainer *trainer, const float *vector);

/* Fit the model: at most `dims` components, fewer when the sample does not
** span that many (at most kept vectors - 1, and only components whose
** variance is above 1e-9 of the largest).  SQLITE_ERROR with a message if
** fewer than 2 vectors were offered or they do not vary; SQLITE_INTERRUPT
** soon after sqlite3_interrupt(db) (db may be NULL: interrupt.h). */
int pca_trainer_finish(PcaTrainer *trainer, int dims, sqlite3 *db,
                       PcaModel *out, char **pzErr);

void pca_trainer_free(PcaTrainer *trainer);

#endif /* IMGSEARCH_PCA_H */
