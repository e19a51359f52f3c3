/*
** test_vlad.c — unit test of the plain-C image modules, without SQL or
** OpenCV: the sift blob codec (ext/sift_blob.c), bottom-k sampling
** (ext/sample.c), RootSIFT / k-means / VLAD and the codebook blob
** (ext/vlad.c), PCA training, the eigen solver and the PCA blob
** (ext/pca.c).
**
**   make build/tests/test_vlad && build/tests/test_vlad
**
** Prints "ok N - what" or "not ok N - what: why" per case, then "1..N".
*/
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "image/pca.h"
#include "image/sample.h"
#include "image/sift_blob.h"
#include "image/vlad.h"

static int cases = 0, failures = 0;

static void check(int ok, const char *what, const char *why, ...){
  cases++;
  if( ok ){
    printf("ok %d - %s\n", cases, what);
    return;
  }
  failures++;
  printf("not ok %d - %s: ", cases, what);
  {
    va_list ap;
    va_start(ap, why);
    vprintf(why, ap);
    va_end(ap);
  }
  printf("\n");
}

static uint64_t rng_state = 12345;
static uint32_t rnd(void){
  rng_state ^= rng_state<<13;
  rng_state ^= rng_state>>7;
  rng_state ^= rng_state<<17;
  return (uint32_t)rng_state;
}
static double rnd_unit(void){ return (rnd()>>8) * (1.0/16777216.0); }

/* Does the message contain the text?  Frees the message. */
static int says(char *zMsg, const char *zText){
  int ok = zMsg && strstr(zMsg, zText)!=0;
  if( !ok ) printf("#   message: %s\n", zMsg ? zMsg : "(none)");
  sqlite3_free(zMsg);
  return ok;
}

/* ---- 1. sift blob -------------------------------------------------------------- */

static void test_sift_blob(void){
  SiftKeypoint kps[3] = {{10.5f, 20.25f, 3.0f, 45.0f, 0.1f},
                         {0.0f, 0.0f, 1.5f, 359.0f, 0.05f},
                         {99.0f, 49.0f, 8.0f, 0.0f, 0.01f}};
  unsigned char desc[3*128], *blob, *copy;
  size_t n;
  SiftBlob view;
  SiftKeypoint k;
  char *zErr = 0;
  int i, rc;
  for(i=0; i<3*128; i++) desc[i] = (unsigned char)(i*7);

  blob = sift_blob_encode(100, 50, 3, kps, desc, &n);
  check(blob && n==20+3*148, "1.1 encode: 20 + 148*count bytes", "n=%d", (int)n);
  check(memcmp(blob, "SIFT\x01\0\0\0\x03\0\0\0\x64\0\0\0\x32\0\0\0", 20)==0,
        "1.2 header bytes: magic, version 1, count, width, height (LE)", "");
  rc = sift_blob_parse(blob, n, &view, &zErr);
  sift_blob_keypoint(&view, 2, &k);
  check(rc==SQLITE_OK && view.count==3 && view.width==100 && view.height==50
        && k.x==99.0f && k.y==49.0f && k.size==8.0f && k.response==0.01f
        && memcmp(view.descriptors, desc, sizeof(desc))==0,
        "1.3 parse returns what was encoded", "rc=%d", rc);
  sqlite3_free(zErr);

  copy = malloc(n+1);
  memcpy(copy, blob, n);
  copy[4] = 2;
  check(sift_blob_parse(copy, n, &view, &zErr)==SQLITE_ERROR
        && says(zErr, "format version 2; this build reads version 1"),
        "1.4 another version is refused", "");
  memcpy(copy, blob, n);
  copy[6] = 1;
  check(sift_blob_parse(copy, n, &view, &zErr)==SQLITE_ERROR
        && says(zErr, "reserved header bytes"), "1.5 nonzero reserved bytes", "");
  memcpy(copy, blob, n);
  check(sift_blob_parse(copy, n-1, &view, &zErr)==SQLITE_ERROR
        && says(zErr, "3 keypoints need 464 bytes, the blob has 463"),
        "1.6 one byte short", "");
  copy[n] = 0;
  check(sift_blob_parse(copy, n+1, &view, &zErr)==SQLITE_ERROR
        && says(zErr, "the blob has 465"), "1.7 one byte long", "");
  memcpy(copy, blob, n);
  copy[8] = 0xFF; copy[9] = 0xFF; copy[10] = 0xFF; copy[11] = 0xFF;
  check(sift_blob_parse(copy, n, &view, &zErr)==SQLITE_ERROR
        && says(zErr, "4294967295 keypoints need"), "1.8 huge count", "");
  memcpy(copy, blob, n);
  copy[12] = copy[13] = copy[14] = copy[15] = 0;
  check(sift_blob_parse(copy, n, &view, &zErr)==SQLITE_ERROR
        && says(zErr, "image size 0x50"), "1.9 zero width", "");
  memcpy(copy, blob, n);
  memcpy(copy+20+20+4, "\x00\x00\xc0\x7f", 4);           /* NaN y of kp 1 */
  check(sift_blob_parse(copy, n, &view, &zErr)==SQLITE_ERROR
        && says(zErr, "keypoint 1 has a non-finite value"), "1.10 NaN keypoint", "");
  check(sift_blob_parse("SIF", 3, &view, &zErr)==SQLITE_ERROR
        && says(zErr, "not a sift blob"), "1.11 no magic", "");
  check(sift_blob_parse("SIFT\x01", 5, &view, &zErr)==SQLITE_ERROR
        && says(zErr, "truncated: 5 bytes"), "1.12 truncated header", "");
  free(copy);
  sqlite3_free(blob);

  blob = sift_blob_encode(1, 1, 0, 0, 0, &n);
  rc = sift_blob_parse(blob, n, &view, &zErr);
  check(blob && n==20 && rc==SQLITE_OK && view.count==0,
        "1.13 an image without features is a 20-byte blob", "n=%d rc=%d", (int)n, rc);
  sqlite3_free(zErr);
  sqlite3_free(blob);
}

/* ---- 2. sample ----------------------------------------------------------------- */

static void test_sample(void){
  enum { ROWS = 500, KEEP = 64 };
  static uint32_t rows[ROWS][4];
  Sample *forward = sample_new(sizeof(rows[0]), KEEP);
  Sample *backward = sample_new(sizeof(rows[0]), KEEP);
  int i, same = 1;
  for(i=0; i<ROWS; i++){
    rows[i][0] = rnd(); rows[i][1] = rnd(); rows[i][2] = rnd();
    rows[i][3] = (uint32_t)(i%7);
  }
  memcpy(rows[10], rows[20], sizeof(rows[0]));          /* a duplicate */
  for(i=0; i<ROWS; i++) sample_add(forward, rows[i]);
  for(i=ROWS-1; i>=0; i--) sample_add(backward, rows[i]);
  sample_sort(forward);
  sample_sort(backward);
  for(i=0; i<KEEP; i++){
    if( memcmp(sample_row(forward, i), sample_row(backward, i), sizeof(rows[0])) ) same = 0;
  }
  check(sample_count(forward)==KEEP && sample_seen(forward)==ROWS,
        "2.1 keeps max_rows of the rows seen", "count=%d", sample_count(forward));
  check(same, "2.2 the kept rows and their order do not depend on arrival order", "");
  sample_free(forward);
  sample_free(backward);
}

/* ---- 3. RootSIFT, codebook, VLAD ------------------------------------------------ */

/* count descriptors around `centres` well-separated prototypes. */
static unsigned char *make_descriptors(int count, int centres){
  unsigned char *d = malloc((size_t)count*128);
  int i, j;
  for(i=0; i<count; i++){
    int c = i%centres;
    for(j=0; j<128; j++){
      int base = ((j/16)==c%8) ? 120 : 5;
      d[(size_t)i*128+j] = (unsigned char)(base + rnd()%10);
    }
  }
  return d;
}

static void test_vlad(void){
  unsigned char zero[128] = {0}, *desc, *blob, *copy;
  float x[128], *v;
  double norm = 0.0;
  VladTrainer *t1, *t2;
  VladCodebook cb1, cb2, parsed;
  size_t n1;
  char *zErr = 0;
  int i, rc;

  desc = make_descriptors(1, 1);
  vlad_rootsift(desc, x);
  for(i=0; i<128; i++) norm += (double)x[i]*x[i];
  check(fabs(norm-1.0)<1e-5, "3.1 RootSIFT has unit L2 norm", "norm^2=%g", norm);
  vlad_rootsift(zero, x);
  check(x[0]==0.0f && x[127]==0.0f, "3.2 RootSIFT of zeros is zeros", "");
  free(desc);

  desc = make_descriptors(2000, 8);
  t1 = vlad_trainer_new(8, 1000);
  t2 = vlad_trainer_new(8, 1000);
  vlad_trainer_add(t1, desc, 2000);
  for(i=1999; i>=0; i--) vlad_trainer_add(t2, desc + (size_t)i*128, 1);
  rc = vlad_trainer_finish(t1, 0, &cb1, &zErr);
  check(rc==SQLITE_OK && vlad_trainer_finish(t2, 0, &cb2, 0)==SQLITE_OK
        && memcmp(cb1.centroids, cb2.centroids, sizeof(float)*8*128)==0,
        "3.3 codebook is the same whatever order descriptors arrive in", "rc=%d", rc);
  sqlite3_free(zErr);
  {
    /* every prototype got its own centroid: descriptors of prototype c all
    ** go to one centroid, and different prototypes to different ones */
    int owner[8], distinct = 1, c, k;
    for(c=0; c<8; c++){
      vlad_rootsift(desc + (size_t)c*128, x);
      owner[c] = vlad_nearest(&cb1, x);
      for(k=0; k<c; k++) if( owner[k]==owner[c] ) distinct = 0;
    }
    check(distinct, "3.4 k-means separates well-separated clusters", "");
  }
  vlad_trainer_free(t1);
  vlad_trainer_free(t2);

  blob = vlad_codebook_encode(&cb1, &n1);
  rc = vlad_codebook_parse(blob, n1, &parsed, &zErr);
  check(rc==SQLITE_OK && n1==16+8*512 && parsed.clusters==8
        && memcmp(parsed.centroids, cb1.centroids, sizeof(float)*8*128)==0,
        "3.5 codebook blob round trip, 16 + 512k bytes", "rc=%d n=%d", rc, (int)n1);
  sqlite3_free(zErr);
  vlad_codebook_free(&parsed);
  copy = malloc(n1);
  memcpy(copy, blob, n1);
  copy[4] = 9;
  check(vlad_codebook_parse(copy, n1, &parsed, &zErr)==SQLITE_ERROR
        && says(zErr, "format version 9"), "3.6 codebook version checked", "");
  memcpy(copy, blob, n1);
  check(vlad_codebook_parse(copy, n1-4, &parsed, &zErr)==SQLITE_ERROR
        && says(zErr, "8 centroids need 4112 bytes"), "3.7 codebook length checked", "");
  memcpy(copy, blob, n1);
  copy[12] = 64;
  check(vlad_codebook_parse(copy, n1, &parsed, &zErr)==SQLITE_ERROR
        && says(zErr, "8 centroids of 64 values"), "3.8 codebook dims checked", "");
  memcpy(copy, blob, n1);
  memcpy(copy+16+4*77, "\x00\x00\x80\x7f", 4);             /* +inf */
  check(vlad_codebook_parse(copy, n1, &parsed, &zErr)==SQLITE_ERROR
        && says(zErr, "centroid 0 has a non-finite value"), "3.9 codebook values checked", "");
  free(copy);
  sqlite3_free(blob);

  v = malloc(sizeof(float)*8*128);
  rc = vlad_encode(&cb1, desc, 300, v);
  norm = 0.0;
  for(i=0; i<8*128; i++) norm += (double)v[i]*v[i];
  check(rc==1 && fabs(norm-1.0)<1e-5, "3.10 VLAD has unit L2 norm", "rc=%d norm^2=%g", rc, norm);
  check(vlad_encode(&cb1, desc, 0, v)==0 && v[0]==0.0f,
        "3.11 no descriptors: no VLAD", "");
  free(v);

  vlad_codebook_free(&cb2);
  t1 = vlad_trainer_new(8, 1000);
  vlad_trainer_add(t1, desc, 5);
  check(vlad_trainer_finish(t1, 0, &cb2, &zErr)==SQLITE_ERROR
        && says(zErr, "needs at least 8 descriptors; got 5"),
        "3.12 fewer descriptors than k is an error", "");
  vlad_trainer_free(t1);
  vlad_codebook_free(&cb1);
  vlad_codebook_free(&cb2);
  free(desc);
}

/* ---- 4. PCA -------------------------------------------------------------------- */

/* N vectors of D dims: planted standard deviations along a random rotation
** is overkill; axis j gets standard deviation sigma[j], plus a mean. */
static float *make_vectors(int N, int D, const double *sigma){
  float *x = malloc(sizeof(float)*(size_t)N*D);
  int i, j;
  for(i=0; i<N; i++){
    for(j=0; j<D; j++){
      /* sum of 4 uniforms: roughly normal, unit variance */
      double g = (rnd_unit()+rnd_unit()+rnd_unit()+rnd_unit()-2.0)*sqrt(3.0);
      x[(size_t)i*D+j] = (float)(0.5 + sigma[j]*g);
    }
  }
  return x;
}

static void test_pca(void){
  enum { N = 300, D = 12 };
  double sigma[D] = {5, 0.2, 3, 0.1, 1, 0.05, 0.5, 0.02, 2, 0.3, 0.01, 4};
  float *x = make_vectors(N, D, sigma), *y;
  double cov[D][D], mean[D], worst = 0.0, norm = 0.0;
  PcaTrainer *t1 = pca_trainer_new(D, 1000), *t2 = pca_trainer_new(D, 1000);
  PcaModel m1, m2, parsed;
  unsigned char *blob, *copy;
  size_t n;
  char *zErr = 0;
  int i, j, k, r, rc;

  for(i=0; i<N; i++) pca_trainer_add(t1, x + (size_t)i*D);
  for(i=N-1; i>=0; i--) pca_trainer_add(t2, x + (size_t)i*D);
  rc = pca_trainer_finish(t1, 6, 0, &m1, &zErr);
  check(rc==SQLITE_OK && m1.output_dims==6 && m1.input_dims==D,
        "4.1 PCA keeps the dims asked for", "rc=%d %s", rc, zErr ? zErr : "");
  sqlite3_free(zErr);
  check(pca_trainer_finish(t2, 6, 0, &m2, 0)==SQLITE_OK
        && memcmp(m1.components, m2.components, sizeof(float)*6*D)==0
        && memcmp(m1.variances, m2.variances, sizeof(float)*6)==0,
        "4.2 PCA is the same whatever order vectors arrive in", "");
  pca_trainer_free(t1);
  pca_trainer_free(t2);

  /* Exact covariance in double; every component must be an eigenvector:
  ** |C v - lambda v| small, and the variances descending. */
  for(j=0; j<D; j++){
    mean[j] = 0.0;
    for(i=0; i<N; i++) mean[j] += x[(size_t)i*D+j];
    mean[j] /= N;
  }
  for(j=0; j<D; j++) for(k=0; k<D; k++){
    double s = 0.0;
    for(i=0; i<N; i++) s += (x[(size_t)i*D+j]-mean[j])*(x[(size_t)i*D+k]-mean[k]);
    cov[j][k] = s/(N-1);
  }
  for(r=0; r<6; r++){
    const float *v = m1.components + (size_t)r*D;
    double residual = 0.0;
    for(j=0; j<D; j++){
      double cv = 0.0;
      for(k=0; k<D; k++) cv += cov[j][k]*v[k];
      residual += (cv - m1.variances[r]*v[j])*(cv - m1.variances[r]*v[j]);
    }
    residual = sqrt(residual)/m1.variances[0];
    if( residual>worst ) worst = residual;
    if( r>0 && m1.variances[r]>m1.variances[r-1] ) worst = 1.0;
  }
  check(worst<1e-4, "4.3 components are eigenvectors of the covariance, "
        "variances descending", "worst relative residual %g", worst);
  check(fabs(m1.variances[0]/(sigma[0]*sigma[0]) - 1.0)<0.25
        && fabs(m1.components[0])>0.95 && m1.components[0]>0,
        "4.4 the largest component is the planted axis 0, sign positive",
        "variance %g component[0] %g", m1.variances[0], m1.components[0]);

  y = malloc(sizeof(float)*6);
  rc = pca_project(&m1, x, y);
  for(r=0; r<6; r++) norm += (double)y[r]*y[r];
  check(rc==1 && fabs(norm-1.0)<1e-5, "4.5 projection is L2-normalised", "norm^2=%g", norm);
  free(y);

  blob = pca_model_encode(&m1, &n);
  rc = pca_model_parse(blob, n, &parsed, &zErr);
  check(rc==SQLITE_OK && n==16+4*(D+6+6*D) && parsed.output_dims==6
        && memcmp(parsed.components, m1.components, sizeof(float)*6*D)==0,
        "4.6 PCA blob round trip", "rc=%d", rc);
  sqlite3_free(zErr);
  pca_model_free(&parsed);
  copy = malloc(n);
  memcpy(copy, blob, n);
  copy[4] = 2;
  check(pca_model_parse(copy, n, &parsed, &zErr)==SQLITE_ERROR
        && says(zErr, "format version 2"), "4.7 PCA version checked", "");
  memcpy(copy, blob, n);
  check(pca_model_parse(copy, n-1, &parsed, &zErr)==SQLITE_ERROR
        && says(zErr, "need 376 bytes, the blob has 375"), "4.8 PCA length checked", "");
  memcpy(copy, blob, n);
  copy[12] = 13;
  check(pca_model_parse(copy, n, &parsed, &zErr)==SQLITE_ERROR
        && says(zErr, "12 input and 13 output"), "4.9 output dims <= input dims", "");
  memcpy(copy, blob, n);
  memset(copy+16+4*D, 0, 4);                                  /* variance 0 */
  check(pca_model_parse(copy, n, &parsed, &zErr)==SQLITE_ERROR
        && says(zErr, "variance 0 is not positive"), "4.10 variances checked", "");
  free(copy);
  sqlite3_free(blob);
  pca_model_free(&m1);
  pca_model_free(&m2);

  /* Fewer vectors than dims: at most N-1 components. */
  t1 = pca_trainer_new(D, 1000);
  for(i=0; i<4; i++) pca_trainer_add(t1, x + (size_t)i*D);
  rc = pca_trainer_finish(t1, 10, 0, &m1, 0);
  check(rc==SQLITE_OK && m1.output_dims==3, "4.11 4 vectors give at most 3 components",
        "rc=%d dims=%d", rc, m1.output_dims);
  pca_model_free(&m1);
  pca_trainer_free(t1);

  t1 = pca_trainer_new(D, 1000);
  pca_trainer_add(t1, x);
  pca_trainer_add(t1, x);
  check(pca_trainer_finish(t1, 4, 0, &m1, &zErr)==SQLITE_ERROR
        && says(zErr, "all equal"), "4.12 identical vectors are an error", "");
  pca_trainer_free(t1);
  t1 = pca_trainer_new(D, 1000);
  pca_trainer_add(t1, x);
  check(pca_trainer_finish(t1, 4, 0, &m1, &zErr)==SQLITE_ERROR
        && says(zErr, "at least 2"), "4.13 one vector is an error", "");
  pca_trainer_free(t1);
  free(x);
}

/* A larger eigenproblem: N = 400 random vectors of D = 600 dims (Gram path,
** N < D), compared against power iteration on the explicit covariance. */
static void test_pca_large(void){
  enum { N = 400, D = 600 };
  static double sigma[D];
  float *x;
  PcaTrainer *t = pca_trainer_new(D, 1000);
  PcaModel m;
  double *mean = calloc(D, sizeof(double)), worst = 0.0;
  int i, j, r, rc;
  for(j=0; j<D; j++) sigma[j] = 1.0/(1.0 + j*0.05);
  x = make_vectors(N, D, sigma);
  for(i=0; i<N; i++) pca_trainer_add(t, x + (size_t)i*D);
  rc = pca_trainer_finish(t, 50, 0, &m, 0);
  for(i=0; i<N; i++) for(j=0; j<D; j++) mean[j] += x[(size_t)i*D+j];
  for(j=0; j<D; j++) mean[j] /= N;
  /* residual |C v - lambda v| / lambda_0 with C v = Xc^T (Xc v) / (N-1) */
  for(r=0; rc==SQLITE_OK && r<50; r++){
    const float *v = m.components + (size_t)r*D;
    double *cv = calloc(D, sizeof(double)), residual = 0.0;
    for(i=0; i<N; i++){
      double dot = 0.0;
      for(j=0; j<D; j++) dot += (x[(size_t)i*D+j]-mean[j])*v[j];
      for(j=0; j<D; j++) cv[j] += (x[(size_t)i*D+j]-mean[j])*dot/(N-1);
    }
    for(j=0; j<D; j++) residual += (cv[j]-m.variances[r]*v[j])*(cv[j]-m.variances[r]*v[j]);
    residual = sqrt(residual)/m.variances[0];
    if( residual>worst ) worst = residual;
    free(cv);
  }
  check(rc==SQLITE_OK && m.output_dims==50 && worst<1e-4,
        "4.14 400 x 600: 50 components are eigenvectors of the covariance",
        "rc=%d worst relative residual %g", rc, worst);
  pca_model_free(&m);
  pca_trainer_free(t);
  free(mean);
  free(x);
}

/* 4.15 issue 19: the training sample is capped by bytes, not only by
** count: 64 vectors of 2^20 dims keep 32 (128 MB), not 64 (256 MB). */
static void test_pca_memory(void){
  enum { D = 1<<20 };
  float *x = calloc(D, sizeof(float));
  PcaTrainer *t = pca_trainer_new(D, PCA_TRAIN_MAX_VECTORS);
  sqlite3_int64 before = sqlite3_memory_used(), peak;
  int i, rc = t && x ? SQLITE_OK : SQLITE_NOMEM;
  sqlite3_memory_highwater(1);
  for(i=0; rc==SQLITE_OK && i<64; i++){
    x[i] = 1.0f;
    rc = pca_trainer_add(t, x);
  }
  peak = sqlite3_memory_highwater(0) - before;
  check(rc==SQLITE_OK && peak < ((sqlite3_int64)160<<20),
        "4.15 2^20-dim vectors: the training sample stays within its byte cap",
        "rc=%d, %lld MB", rc, (long long)(peak>>20));
  pca_trainer_free(t);
  free(x);
}

int main(void){
  test_sift_blob();
  test_sample();
  test_vlad();
  test_pca();
  test_pca_large();
  test_pca_memory();
  printf("1..%d\n", cases);
  return failures ? 1 : 0;
}
