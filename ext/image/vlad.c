/*
** vlad.c — RootSIFT, k-means codebook training and VLAD aggregation.
** See vlad.h for the contract.
**
** May call: sample.h, sqlite3_malloc64 / sqlite3_free / sqlite3_mprintf
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
#include "sample.h"
#include "vlad.h"
#include "rng.h"

#define VLAD_CODEBOOK_VERSION       1
#define VLAD_CODEBOOK_HEADER_BYTES  16
#define VLAD_KMEANS_SEED            0x9E3779B97F4A7C15ull

static const unsigned char vlad_codebook_magic[4] = {'V', 'L', 'C', 'B'};

static void vlad_set_error(char **pzErr, char *zMsg){
  if( pzErr ) *pzErr = zMsg;
  else sqlite3_free(zMsg);
}

/* ---- small arithmetic ------------------------------------------------------ */

/* Uniform in [0, n), n >= 1. */
static int vlad_random_below(uint64_t *state, int n){
  return (int)(rng_next(state) % (uint64_t)n);
}

/* Uniform in [0, 1) with 53 random bits. */
static double vlad_random_unit(uint64_t *state){
  return (double)(rng_next(state)>>11) * (1.0/9007199254740992.0);
}

/* Dot product of two 128-float vectors in eight fixed lanes: the compiler
** may vectorise it without reassociating, and the result does not depend
** on the machine's vector width. */
static float vlad_dot(const float *a, const float *b){
  float lane[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int i, j;
  for(i=0; i<VLAD_DESCRIPTOR_DIMS; i+=8){
    for(j=0; j<8; j++) lane[j] += a[i+j]*b[i+j];
  }
  return ((lane[0]+lane[1]) + (lane[2]+lane[3]))
       + ((lane[4]+lane[5]) + (lane[6]+lane[7]));
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

static uint32_t vlad_get_u32(const unsigned char *p){
  return (uint32_t)p[0] | (uint32_t)p[1]<<8 | (uint32_t)p[2]<<16
       | (uint32_t)p[3]<<24;
}

static void vlad_put_u32(unsigned char *p, uint32_t v){
  p[0] = (unsigned char)v;
  p[1] = (unsigned char)(v>>8);
  p[2] = (unsigned char)(v>>16);
  p[3] = (unsigned char)(v>>24);
}

int vlad_codebook_parse(const void *data, size_t n, VladCodebook *out,
                        char **pzErr){
  const unsigned char *p = (const unsigned char*)data;
  uint32_t clusters, dims;
  uint64_t values, i;
  float *centroids;

  memset(out, 0, sizeof(*out));
  if( pzErr ) *pzErr = 0;
  if( p==0 || n<4 || memcmp(p, vlad_codebook_magic, 4)!=0 ){
    vlad_set_error(pzErr, sqlite3_mprintf(
        "not a codebook blob (it does not start with \"VLCB\"); make one "
        "with img_codebook_train(sift)"));
    return SQLITE_ERROR;
  }
  if( n<VLAD_CODEBOOK_HEADER_BYTES ){
    vlad_set_error(pzErr, sqlite3_mprintf(
        "codebook blob is truncated: %llu bytes, the header alone is %d",
        (unsigned long long)n, VLAD_CODEBOOK_HEADER_BYTES));
    return SQLITE_ERROR;
  }
  if( p[4]!=VLAD_CODEBOOK_VERSION ){
    vlad_set_error(pzErr, sqlite3_mprintf(
        "codebook blob has format version %d; this build reads version %d "
        "(train it again with img_codebook_train)", p[4],
        VLAD_CODEBOOK_VERSION));
    return SQLITE_ERROR;
  }
  if( p[5] || p[6] || p[7] ){
    vlad_set_error(pzErr, sqlite3_mprintf(
        "corrupt codebook blob: reserved header bytes are not zero"));
    return SQLITE_ERROR;
  }
  clusters = vlad_get_u32(p+8);
  dims = vlad_get_u32(p+12);
  if( clusters<1 || clusters>VLAD_MAX_CLUSTERS || dims!=VLAD_DESCRIPTOR_DIMS ){
    vlad_set_error(pzErr, sqlite3_mprintf(
        "corrupt codebook blob: %u centroids of %u values (expected 1..%d "
        "centroids of %d)", clusters, dims, VLAD_MAX_CLUSTERS,
        VLAD_DESCRIPTOR_DIMS));
    return SQLITE_ERROR;
  }
  values = (uint64_t)clusters*dims;
  if( (uint64_t)n!=VLAD_CODEBOOK_HEADER_BYTES + 4*values ){
    vlad_set_error(pzErr, sqlite3_mprintf(
        "corrupt codebook blob: %u centroids need %llu bytes, the blob has "
        "%llu", clusters,
        (unsigned long long)(VLAD_CODEBOOK_HEADER_BYTES + 4*values),
        (unsigned long long)n));
    return SQLITE_ERROR;
  }
  centroids = (float*)sqlite3_malloc64(4*values);
  if( centroids==0 ){
    vlad_set_error(pzErr, sqlite3_mprintf("out of memory reading a codebook"));
    return SQLITE_NOMEM;
  }
  for(i=0; i<values; i++){
    uint32_t bits = vlad_get_u32(p + VLAD_CODEBOOK_HEADER_BYTES + 4*i);
    memcpy(&centroids[i], &bits, 4);
    if( !isfinite(centroids[i]) ){
      sqlite3_free(centroids);
      vlad_set_error(pzErr, sqlite3_mprintf(
          "corrupt codebook blob: centroid %llu has a non-finite value",
          (unsigned long long)(i/dims)));
      return SQLITE_ERROR;
    }
  }
  out->clusters = (int)clusters;
  out->centroids = centroids;
  return SQLITE_OK;
}

unsigned char *vlad_codebook_encode(const VladCodebook *codebook, size_t *pn){
  uint64_t values = (uint64_t)codebook->clusters*VLAD_DESCRIPTOR_DIMS, i;
  unsigned char *blob = (unsigned char*)sqlite3_malloc64(
      VLAD_CODEBOOK_HEADER_BYTES + 4*values);
  *pn = 0;
  if( blob==0 ) return 0;
  memcpy(blob, vlad_codebook_magic, 4);
  blob[4] = VLAD_CODEBOOK_VERSION;
  blob[5] = blob[6] = blob[7] = 0;
  vlad_put_u32(blob+8, (uint32_t)codebook->clusters);
  vlad_put_u32(blob+12, VLAD_DESCRIPTOR_DIMS);
  for(i=0; i<values; i++){
    uint32_t bits;
    memcpy(&bits, &codebook->centroids[i], 4);
    vlad_put_u32(blob + VLAD_CODEBOOK_HEADER_BYTES + 4*i, bits);
  }
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
** centroid.  nearest2[] is scratch of n floats. */
static void vlad_kmeans_seed(const float *x, int n, int clusters,
                             float *centroids, float *nearest2){
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
    int pick = -1;
    float *centroid = centroids + (size_t)c*VLAD_DESCRIPTOR_DIMS;
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
}

static void vlad_centroid_norms(const float *centroids, int clusters,
                                float *norms){
  int c;
  for(c=0; c<clusters; c++){
    const float *v = centroids + (size_t)c*VLAD_DESCRIPTOR_DIMS;
    norms[c] = vlad_dot(v, v);
  }
}

/* Lloyd iterations from the seeded centroids. */
static int vlad_kmeans_refine(const float *x, int n, int clusters,
                              float *centroids){
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
      int best = vlad_nearest_with_norms(centroids, norms, clusters,
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

int vlad_trainer_finish(VladTrainer *t, VladCodebook *out, char **pzErr){
  float *x = 0, *centroids = 0, *scratch = 0;
  int n = sample_count(t->sample), i, rc;

  memset(out, 0, sizeof(*out));
  if( pzErr ) *pzErr = 0;
  if( n<t->clusters ){
    vlad_set_error(pzErr, sqlite3_mprintf(
        "a codebook of %d centroids needs at least %d descriptors; got %lld "
        "(use more images or a smaller k)", t->clusters, t->clusters,
        (long long)sample_seen(t->sample)));
    return SQLITE_ERROR;
  }
  sample_sort(t->sample);
  x = (float*)sqlite3_malloc64(sizeof(float)*(sqlite3_uint64)n*VLAD_DESCRIPTOR_DIMS);
  centroids = (float*)sqlite3_malloc64(
      sizeof(float)*(sqlite3_uint64)t->clusters*VLAD_DESCRIPTOR_DIMS);
  scratch = (float*)sqlite3_malloc64(sizeof(float)*(sqlite3_uint64)n);
  if( x==0 || centroids==0 || scratch==0 ){
    rc = SQLITE_NOMEM;
    vlad_set_error(pzErr, sqlite3_mprintf(
        "out of memory training a codebook on %d descriptors", n));
    goto cleanup;
  }
  for(i=0; i<n; i++){
    vlad_rootsift((const unsigned char*)sample_row(t->sample, i),
                  x + (size_t)i*VLAD_DESCRIPTOR_DIMS);
  }
  vlad_kmeans_seed(x, n, t->clusters, centroids, scratch);
  rc = vlad_kmeans_refine(x, n, t->clusters, centroids);
  if( rc!=SQLITE_OK ){
    vlad_set_error(pzErr, sqlite3_mprintf(
        "out of memory training a codebook on %d descriptors", n));
    goto cleanup;
  }
  out->clusters = t->clusters;
  out->centroids = centroids;
  centroids = 0;

cleanup:
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
