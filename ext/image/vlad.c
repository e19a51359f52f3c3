/*
** vlad.c — RootSIFT, k-means codebook training and VLAD aggregation.
** See vlad.h for the contract.
**
** May call: sample.h, rng.h, bytes.h (the little-endian codecs), error.h
** (error_set, the common blob header), interrupt.h (k-means stops on
** sqlite3_interrupt), sqlite3_malloc64 / sqlite3_free
** through sqlite_ext.h, and libm.  Nothing else.
**
** CODEBOOK BLOB FORMAT, version 1.  Little-endian; floats IEEE-754 binary32.
**
**   offset  size  field
**   0       4     magic "VLCB" (56 4C 43 42)
**   4       1     format version, 1
**   5       3     reserved, zero
**   8       4     uint32 k: number of centroids, 1..1024
**   12      4     uint32 dims: values per centroid, 128
**   16      4*k*dims   centroids, row-major: centroid c is floats
**                      [c*dims, (c+1)*dims), in RootSIFT space
**
** Length is exactly 16 + 512*k bytes; every value must be finite.
**
** HOW TRAINING STAYS DETERMINISTIC
**   Sampling (sample.c): the trainer keeps the max_samples descriptors with
**   the smallest (hash of bytes, bytes) keys.  The kept set depends only on
**   the multiset of descriptors, not on the order rows arrive in, and is
**   sorted by key, so k-means sees it in a fixed order.
**   k-means++: seeded from a fixed-seed splitmix64 generator.
**   Lloyd: at most VLAD_KMEANS_ITERATIONS rounds, stopping early when no
**   assignment changes; ties go to the lowest centroid index; an empty
**   cluster keeps its previous centroid.  Sums are accumulated in double in
**   a fixed order.
*/
#include <math.h>
#include <string.h>

#include "sqlite_ext.h"
#include "bytes.h"
#include "error.h"
#include "interrupt.h"
#include "sample.h"
#include "vlad.h"
#include "rng.h"

#define VLAD_CODEBOOK_VERSION       1
#define VLAD_CODEBOOK_HEADER_BYTES  16
#define VLAD_KMEANS_SEED            0x9E3779B97F4A7C15ull
/* How often k-means asks whether SQL was interrupted (interrupt.h): a few
** milliseconds of work at 100,000 descriptors and 64 centroids. */
#define VLAD_CHECK_CENTROIDS        16
#define VLAD_CHECK_ROWS             16384

static const BlobFormat vlad_codebook_format = {
  {'V', 'L', 'C', 'B'}, VLAD_CODEBOOK_VERSION, VLAD_CODEBOOK_HEADER_BYTES,
  "codebook blob", "img_codebook_train(sift)",
  "train it again with img_codebook_train", 0
};

/* ---- small arithmetic ------------------------------------------------------ */

/* Uniform in [0, n), n >= 1. */
static int vlad_random_below(uint64_t *state, int n){
  return (int)(rng_next(state) % (uint64_t)n);
}

/* Uniform in [0, 1) with 53 random bits. */
static double vlad_random_unit(uint64_t *state){
  return (double)(rng_next(state)>>11) * (1.0/9007199254740992.0);
}

static float vlad_distance2(const float *a, const float *b){
  float lane[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int i, j;
  for(i=0; i<VLAD_DESCRIPTOR_DIMS; i+=8){
    for(j=0; j<8; j++){
      float d = a[i+j]-b[i+j];
      lane[j] += d*d;
    }
  }
  return ((lane[0]+lane[1]) + (lane[2]+lane[3]))
       + ((lane[4]+lane[5]) + (lane[6]+lane[7]));
}

void vlad_rootsift(const unsigned char *descriptor, float *out){
  unsigned sum = 0;
  int i;
  for(i=0; i<VLAD_DESCRIPTOR_DIMS; i++) sum += descriptor[i];
  if( sum==0 ){
    memset(out, 0, sizeof(float)*VLAD_DESCRIPTOR_DIMS);
    return;
  }
  for(i=0; i<VLAD_DESCRIPTOR_DIMS; i++){
    out[i] = sqrtf((float)descriptor[i] / (float)sum);
  }
}

/* Nearest centroid by |c|^2 - 2 x.c (|x|^2 is the same for every c). */
static int vlad_nearest_with_norms(const float *centroids, const float *norms,
                                   int clusters, const float *x){
  int best = 0, c;
  float best_score = norms[0] - 2.0f*vlad_dot(x, centroids);
  for(c=1; c<clusters; c++){
    float score = norms[c] - 2.0f*vlad_dot(x, centroids + (size_t)c*VLAD_DESCRIPTOR_DIMS);
    if( score<best_score ){
      best_score = score;
      best = c;
    }
  }
  return best;
}

int vlad_nearest(const VladCodebook *codebook, const float *x){
  int best = 0, c;
  float best_d = vlad_distance2(x, codebook->centroids);
  for(c=1; c<codebook->clusters; c++){
    float d = vlad_distance2(x, codebook->centroids + (size_t)c*VLAD_DESCRIPTOR_DIMS);
    if( d<best_d ){
      best_d = d;
      best = c;
    }
  }
  return best;
}

/* ---- codebook blob --------------------------------------------------------- */

int vlad_codebook_parse(const void *data, size_t n, VladCodebook *out,
                        char **pzErr){
  const unsigned char *p = (const unsigned char*)data;
  uint32_t clusters, dims;
  uint64_t values, i;
  float *centroids;
  int rc;

  memset(out, 0, sizeof(*out));
  rc = blob_header_check(&vlad_codebook_format, data, n, pzErr);
  if( rc!=SQLITE_OK ) return rc;
  clusters = bytes_get_u32(p+8);
  dims = bytes_get_u32(p+12);
  if( clusters<1 || clusters>VLAD_MAX_CLUSTERS || dims!=VLAD_DESCRIPTOR_DIMS ){
    return error_set(pzErr, SQLITE_ERROR,
        "corrupt codebook blob: %u centroids of %u values (expected 1..%d "
        "centroids of %d)", clusters, dims, VLAD_MAX_CLUSTERS,
        VLAD_DESCRIPTOR_DIMS);
  }
  values = (uint64_t)clusters*dims;
  if( (uint64_t)n!=VLAD_CODEBOOK_HEADER_BYTES + 4*values ){
    return error_set(pzErr, SQLITE_ERROR,
        "corrupt codebook blob: %u centroids need %llu bytes, the blob has "
        "%llu", clusters,
        (unsigned long long)(VLAD_CODEBOOK_HEADER_BYTES + 4*values),
        (unsigned long long)n);
  }
  centroids = (float*)sqlite3_malloc64(4*values);
  if( centroids==0 ){
    return error_set(pzErr, SQLITE_NOMEM, "out of memory reading a codebook");
  }
  if( !bytes_get_f32s(p + VLAD_CODEBOOK_HEADER_BYTES, values, centroids) ){
    for(i=0; isfinite(centroids[i]); i++){}   /* the first that is not */
    sqlite3_free(centroids);
    return error_set(pzErr, SQLITE_ERROR,
        "corrupt codebook blob: centroid %llu has a non-finite value",
        (unsigned long long)(i/dims));
  }
  out->clusters = (int)clusters;
  out->centroids = centroids;
  return SQLITE_OK;
}

unsigned char *vlad_codebook_encode(const VladCodebook *codebook, size_t *pn){
  uint64_t values = (uint64_t)codebook->clusters*VLAD_DESCRIPTOR_DIMS;
  unsigned char *blob = (unsigned char*)sqlite3_malloc64(
      VLAD_CODEBOOK_HEADER_BYTES + 4*values);
  *pn = 0;
  if( blob==0 ) return 0;
  blob_header_write(&vlad_codebook_format, 0, blob);
  bytes_put_u32(blob+8, (uint32_t)codebook->clusters);
  bytes_put_u32(blob+12, VLAD_DESCRIPTOR_DIMS);
  bytes_put_f32s(blob + VLAD_CODEBOOK_HEADER_BYTES, codebook->centroids, values);
  *pn = (size_t)(VLAD_CODEBOOK_HEADER_BYTES + 4*values);
  return blob;
}

void vlad_codebook_free(VladCodebook *codebook){
  if( codebook==0 ) return;
  sqlite3_free(codebook->centroids);
  memset(codebook, 0, sizeof(*codebook));
}

/* ---- training: sample -------------------------------------------------------- */

struct VladTrainer {
  int clusters;
  Sample *sample;            /* descriptors, 128 bytes per row */
};

VladTrainer *vlad_trainer_new(int clusters, int max_samples){
  VladTrainer *t;
  if( clusters<1 || clusters>VLAD_MAX_CLUSTERS || max_samples<clusters ) return 0;
  t = (VladTrainer*)sqlite3_malloc64(sizeof(*t));
  if( t==0 ) return 0;
  t->clusters = clusters;
  t->sample = sample_new(VLAD_DESCRIPTOR_DIMS, max_samples);
  if( t->sample==0 ){
    sqlite3_free(t);
    return 0;
  }
  return t;
}

int vlad_trainer_add(VladTrainer *t, const unsigned char *descriptors,
                     int count){
  int i;
  for(i=0; i<count; i++){
    int rc = sample_add(t->sample, descriptors + (size_t)i*VLAD_DESCRIPTOR_DIMS);
    if( rc!=SQLITE_OK ) return rc;
  }
  return SQLITE_OK;
}

int64_t vlad_trainer_seen(const VladTrainer *t){
  return sample_seen(t->sample);
}

void vlad_trainer_free(VladTrainer *t){
  if( t==0 ) return;
  sample_free(t->sample);
  sqlite3_free(t);
}

/* ---- training: k-means ----------------------------------------------------- */

/* k-means++ seeding: the first centroid uniformly, each next one with
** probability proportional to the squared distance to the nearest chosen
** centroid.  nearest2[] is scratch of n floats.  SQLITE_OK, or
** SQLITE_INTERRUPT (a pass over the sample per centroid: asked every
** VLAD_CHECK_CENTROIDS). */
static int vlad_kmeans_seed(sqlite3 *db, const float *x, int n, int clusters,
                            float *centroids, float *nearest2, char **pzErr){
  uint64_t state = VLAD_KMEANS_SEED;
  int first = vlad_random_below(&state, n);
  int c, i;
  memcpy(centroids, x + (size_t)first*VLAD_DESCRIPTOR_DIMS,
         sizeof(float)*VLAD_DESCRIPTOR_DIMS);
  for(i=0; i<n; i++){
    nearest2[i] = vlad_distance2(x + (size_t)i*VLAD_DESCRIPTOR_DIMS, centroids);
  }
  for(c=1; c<clusters; c++){
    double total = 0.0, target, running = 0.0;
    int pick = -1, rc;
    float *centroid = centroids + (size_t)c*VLAD_DESCRIPTOR_DIMS;
    if( c%VLAD_CHECK_CENTROIDS==0 && (rc = sql_interrupted(db, pzErr)) ) return rc;
    for(i=0; i<n; i++) total += nearest2[i];
    if( total>0.0 ){
      target = vlad_random_unit(&state)*total;
      for(i=0; i<n; i++){
        if( nearest2[i]<=0.0f ) continue;
        pick = i;                          /* last positive, if rounding */
        running += nearest2[i];
        if( running>target ) break;
      }
    }
    if( pick<0 ) pick = vlad_random_below(&state, n);  /* all points taken */
    memcpy(centroid, x + (size_t)pick*VLAD_DESCRIPTOR_DIMS,
           sizeof(float)*VLAD_DESCRIPTOR_DIMS);
    for(i=0; i<n; i++){
      float d = vlad_distance2(x + (size_t)i*VLAD_DESCRIPTOR_DIMS, centroid);
      if( d<nearest2[i] ) nearest2[i] = d;
    }
  }
  return SQLITE_OK;
}

static void vlad_centroid_norms(const float *centroids, int clusters,
                                float *norms){
  int c;
  for(c=0; c<clusters; c++){
    const float *v = centroids + (size_t)c*VLAD_DESCRIPTOR_DIMS;
    norms[c] = vlad_dot(v, v);
  }
}

/* Lloyd iterations from the seeded centroids: SQLITE_OK, SQLITE_NOMEM or
** SQLITE_INTERRUPT (asked every VLAD_CHECK_ROWS assignments). */
static int vlad_kmeans_refine(sqlite3 *db, const float *x, int n, int clusters,
                              float *centroids, char **pzErr){
  int *assign = (int*)sqlite3_malloc64(sizeof(int)*(sqlite3_uint64)n);
  int *members = (int*)sqlite3_malloc64(sizeof(int)*(sqlite3_uint64)clusters);
  float *norms = (float*)sqlite3_malloc64(sizeof(float)*(sqlite3_uint64)clusters);
  double *sums = (double*)sqlite3_malloc64(
      sizeof(double)*(sqlite3_uint64)clusters*VLAD_DESCRIPTOR_DIMS);
  int rc = SQLITE_NOMEM, iteration, i, c, j;

  if( assign==0 || members==0 || norms==0 || sums==0 ) goto cleanup;
  for(i=0; i<n; i++) assign[i] = -1;
  for(iteration=0; iteration<VLAD_KMEANS_ITERATIONS; iteration++){
    int changed = 0;
    vlad_centroid_norms(centroids, clusters, norms);
    for(i=0; i<n; i++){
      int best;
      if( i%VLAD_CHECK_ROWS==0 && (rc = sql_interrupted(db, pzErr))!=SQLITE_OK ){
        goto cleanup;
      }
      best = vlad_nearest_with_norms(centroids, norms, clusters,
                                     x + (size_t)i*VLAD_DESCRIPTOR_DIMS);
      if( best!=assign[i] ){
        assign[i] = best;
        changed++;
      }
    }
    if( changed==0 ) break;
    memset(members, 0, sizeof(int)*(size_t)clusters);
    memset(sums, 0, sizeof(double)*(size_t)clusters*VLAD_DESCRIPTOR_DIMS);
    for(i=0; i<n; i++){
      double *sum = sums + (size_t)assign[i]*VLAD_DESCRIPTOR_DIMS;
      const float *v = x + (size_t)i*VLAD_DESCRIPTOR_DIMS;
      members[assign[i]]++;
      for(j=0; j<VLAD_DESCRIPTOR_DIMS; j++) sum[j] += v[j];
    }
    for(c=0; c<clusters; c++){
      if( members[c]==0 ) continue;     /* empty: keep the old centroid */
      for(j=0; j<VLAD_DESCRIPTOR_DIMS; j++){
        centroids[(size_t)c*VLAD_DESCRIPTOR_DIMS+j] =
            (float)(sums[(size_t)c*VLAD_DESCRIPTOR_DIMS+j] / members[c]);
      }
    }
  }
  rc = SQLITE_OK;

cleanup:
  sqlite3_free(assign);
  sqlite3_free(members);
  sqlite3_free(norms);
  sqlite3_free(sums);
  return rc;
}

int vlad_trainer_finish(VladTrainer *t, sqlite3 *db, VladCodebook *out, char **pzErr){
  float *x = 0, *centroids = 0, *scratch = 0;
  int n = sample_count(t->sample), i, rc;

  memset(out, 0, sizeof(*out));
  if( pzErr ) *pzErr = 0;
  if( n<t->clusters ){
    return error_set(pzErr, SQLITE_ERROR,
        "a codebook of %d centroids needs at least %d descriptors; got %lld "
        "(use more images or a smaller k)", t->clusters, t->clusters,
        (long long)sample_seen(t->sample));
  }
  sample_sort(t->sample);
  x = (float*)sqlite3_malloc64(sizeof(float)*(sqlite3_uint64)n*VLAD_DESCRIPTOR_DIMS);
  centroids = (float*)sqlite3_malloc64(
      sizeof(float)*(sqlite3_uint64)t->clusters*VLAD_DESCRIPTOR_DIMS);
  scratch = (float*)sqlite3_malloc64(sizeof(float)*(sqlite3_uint64)n);
  rc = SQLITE_NOMEM;
  if( x==0 || centroids==0 || scratch==0 ) goto cleanup;
  for(i=0; i<n; i++){
    vlad_rootsift((const unsigned char*)sample_row(t->sample, i),
                  x + (size_t)i*VLAD_DESCRIPTOR_DIMS);
  }
  rc = vlad_kmeans_seed(db, x, n, t->clusters, centroids, scratch, pzErr);
  if( rc==SQLITE_OK ) rc = vlad_kmeans_refine(db, x, n, t->clusters, centroids, pzErr);
  if( rc!=SQLITE_OK ) goto cleanup;
  out->clusters = t->clusters;
  out->centroids = centroids;
  centroids = 0;

cleanup:
  if( rc==SQLITE_NOMEM ){
    error_set(pzErr, rc, "out of memory training a codebook on %d descriptors",
              n);
  }
  sqlite3_free(x);
  sqlite3_free(centroids);
  sqlite3_free(scratch);
  return rc;
}

/* ---- aggregation ----------------------------------------------------------- */

int vlad_encode(const VladCodebook *codebook, const unsigned char *descriptors,
                int count, float *out){
  const size_t dims = (size_t)codebook->clusters*VLAD_DESCRIPTOR_DIMS;
  float x[VLAD_DESCRIPTOR_DIMS];
  double total = 0.0;
  size_t j;
  int i, c;

  memset(out, 0, sizeof(float)*dims);
  for(i=0; i<count; i++){
    const float *centroid;
    float *block;
    int k;
    vlad_rootsift(descriptors + (size_t)i*VLAD_DESCRIPTOR_DIMS, x);
    c = vlad_nearest(codebook, x);
    centroid = codebook->centroids + (size_t)c*VLAD_DESCRIPTOR_DIMS;
    block = out + (size_t)c*VLAD_DESCRIPTOR_DIMS;
    for(k=0; k<VLAD_DESCRIPTOR_DIMS; k++) block[k] += x[k] - centroid[k];
  }
  /* Power normalisation: signed square root damps bursty components. */
  for(j=0; j<dims; j++){
    out[j] = out[j]<0.0f ? -sqrtf(-out[j]) : sqrtf(out[j]);
  }
  /* Intra-normalisation: each cluster's block to unit length. */
  for(c=0; c<codebook->clusters; c++){
    float *block = out + (size_t)c*VLAD_DESCRIPTOR_DIMS;
    double norm2 = 0.0;
    int k;
    for(k=0; k<VLAD_DESCRIPTOR_DIMS; k++) norm2 += (double)block[k]*block[k];
    if( norm2>0.0 ){
      float scale = (float)(1.0/sqrt(norm2));
      for(k=0; k<VLAD_DESCRIPTOR_DIMS; k++) block[k] *= scale;
    }
  }
  for(j=0; j<dims; j++) total += (double)out[j]*out[j];
  if( !(total>0.0) ){
    memset(out, 0, sizeof(float)*dims);
    return 0;
  }
  {
    float scale = (float)(1.0/sqrt(total));
    for(j=0; j<dims; j++) out[j] *= scale;
  }
  return 1;
}
