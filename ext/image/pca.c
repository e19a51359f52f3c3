/*
** pca.c — PCA-whitening: training on a sample of vectors, the PCA blob, and
** projection.  See pca.h for the contract.
**
** May call: sample.h, bytes.h (the little-endian codecs), error.h
** (error_set, the common blob header), interrupt.h (training stops on
** sqlite3_interrupt), sqlite3_malloc64 / sqlite3_free
** through sqlite_ext.h, and libm.  Nothing else.
**
** PCA BLOB FORMAT, version 1.  Little-endian; floats IEEE-754 binary32.
**
**   offset  size  field
**   0       4     magic "VPCA" (56 50 43 41)
**   4       1     format version, 1
**   5       3     reserved, zero
**   8       4     uint32 D: input dimensions (1..2^20)
**   12      4     uint32 d: output dimensions (1..D)
**   16      4*D   mean of the training vectors
**   16+4D   4*d   variance along each component, descending, all > 0
**   16+4D+4d  4*d*D  components, row-major: row r is the unit vector of
**                    component r (floats [r*D, (r+1)*D))
**
** Length is exactly 16 + 4*(D + d + d*D) bytes; every value is finite.
** Projection: y[r] = components[r] . (x - mean) / sqrt(variance[r]), then
** y is L2-normalised.
**
** HOW TRAINING WORKS
**   The sample (sample.c) keeps at most PCA_TRAIN_MAX_VECTORS vectors,
**   chosen by content hash, in a fixed order.  With N sample vectors of D
**   dimensions and N < D (VLAD: N <= 1000, D = 8192) the D x D covariance
**   is never formed: the N x N Gram matrix G = Xc Xc^T of the centred
**   vectors has the same nonzero eigenvalues, and an eigenvector u of G
**   gives the component Xc^T u / |Xc^T u|.  G's eigen decomposition:
**   Householder reduction to tridiagonal form, then implicit symmetric QR
**   steps with Wilkinson shifts (Golub & Van Loan, ch. 8), in double.
**   Each component's sign is fixed so that its largest-magnitude entry is
**   positive.  Components whose variance is below 1e-9 of the largest are
**   dropped: whitening would divide by noise.
*/
#include <float.h>
#include <math.h>
#include <string.h>

#include "sqlite_ext.h"
#include "bytes.h"
#include "error.h"
#include "interrupt.h"
#include "pca.h"
#include "sample.h"

#define PCA_VERSION          1
#define PCA_HEADER_BYTES     16
#define PCA_MIN_RELATIVE_VARIANCE 1e-9
#define PCA_MAX_QR_STEPS_PER_VALUE 60
/* How often training asks whether SQL was interrupted (interrupt.h): rows of
** the Gram matrix, columns reduced, QR steps. */
#define PCA_CHECK_ROWS       16

static const BlobFormat pca_format = {
  {'V', 'P', 'C', 'A'}, PCA_VERSION, PCA_HEADER_BYTES,
  "PCA blob", "img_pca_train(vlad)", "train it again with img_pca_train", 0
};

/* ---- blob ------------------------------------------------------------------ */

void pca_model_free(PcaModel *model){
  if( model==0 ) return;
  sqlite3_free(model->mean);
  sqlite3_free(model->variances);
  sqlite3_free(model->components);
  memset(model, 0, sizeof(*model));
}

/* A model's arrays for D inputs and d outputs.  SQLITE_NOMEM (with *m
** zeroed) or OK. */
static int pca_model_alloc(PcaModel *m, int D, int d){
  m->input_dims = D;
  m->output_dims = d;
  m->mean = (float*)sqlite3_malloc64(sizeof(float)*(sqlite3_uint64)D);
  m->variances = (float*)sqlite3_malloc64(sizeof(float)*(sqlite3_uint64)d);
  m->components = (float*)sqlite3_malloc64(sizeof(float)*(sqlite3_uint64)d*D);
  if( m->mean==0 || m->variances==0 || m->components==0 ){
    pca_model_free(m);
    return SQLITE_NOMEM;
  }
  return SQLITE_OK;
}

int pca_model_parse(const void *data, size_t n, PcaModel *out, char **pzErr){
  const unsigned char *p = (const unsigned char*)data;
  uint32_t input_dims, output_dims;
  uint64_t expected;
  int r, rc;

  memset(out, 0, sizeof(*out));
  rc = blob_header_check(&pca_format, data, n, pzErr);
  if( rc!=SQLITE_OK ) return rc;
  input_dims = bytes_get_u32(p+8);
  output_dims = bytes_get_u32(p+12);
  if( input_dims<1 || input_dims>PCA_MAX_INPUT_DIMS
   || output_dims<1 || output_dims>input_dims ){
    return error_set(pzErr, SQLITE_ERROR,
        "corrupt PCA blob: %u input and %u output dimensions", input_dims,
        output_dims);
  }
  expected = PCA_HEADER_BYTES
           + 4*((uint64_t)input_dims + output_dims + (uint64_t)output_dims*input_dims);
  if( expected!=(uint64_t)n ){
    return error_set(pzErr, SQLITE_ERROR,
        "corrupt PCA blob: %u x %u dimensions need %llu bytes, the blob has "
        "%llu", output_dims, input_dims, (unsigned long long)expected,
        (unsigned long long)n);
  }
  if( pca_model_alloc(out, (int)input_dims, (int)output_dims)!=SQLITE_OK ){
    return error_set(pzErr, SQLITE_NOMEM, "out of memory reading a PCA blob");
  }
  p += PCA_HEADER_BYTES;
  if( !bytes_get_f32s(p, input_dims, out->mean)
   || !bytes_get_f32s(p + 4*(uint64_t)input_dims, output_dims, out->variances)
   || !bytes_get_f32s(p + 4*((uint64_t)input_dims + output_dims),
                      (uint64_t)output_dims*input_dims, out->components) ){
    pca_model_free(out);
    return error_set(pzErr, SQLITE_ERROR,
        "corrupt PCA blob: a value is not finite");
  }
  for(r=0; r<(int)output_dims; r++){
    if( !(out->variances[r]>0.0f) ){
      pca_model_free(out);
      return error_set(pzErr, SQLITE_ERROR,
          "corrupt PCA blob: variance %d is not positive", r);
    }
  }
  return SQLITE_OK;
}

unsigned char *pca_model_encode(const PcaModel *m, size_t *pn){
  uint64_t D = (uint64_t)m->input_dims, d = (uint64_t)m->output_dims;
  uint64_t n = PCA_HEADER_BYTES + 4*(D + d + d*D);
  unsigned char *blob = (unsigned char*)sqlite3_malloc64(n);
  *pn = 0;
  if( blob==0 ) return 0;
  blob_header_write(&pca_format, 0, blob);
  bytes_put_u32(blob+8, (uint32_t)D);
  bytes_put_u32(blob+12, (uint32_t)d);
  bytes_put_f32s(blob + PCA_HEADER_BYTES, m->mean, D);
  bytes_put_f32s(blob + PCA_HEADER_BYTES + 4*D, m->variances, d);
  bytes_put_f32s(blob + PCA_HEADER_BYTES + 4*(D + d), m->components, d*D);
  *pn = (size_t)n;
  return blob;
}

/* ---- projection ------------------------------------------------------------ */

int pca_project(const PcaModel *m, const float *in, float *out){
  double total = 0.0;
  int r, j;
  for(r=0; r<m->output_dims; r++){
    const float *row = m->components + (size_t)r*m->input_dims;
    double lane[4] = {0, 0, 0, 0};
    for(j=0; j+4<=m->input_dims; j+=4){
      lane[0] += (double)row[j]*(in[j]-m->mean[j]);
      lane[1] += (double)row[j+1]*(in[j+1]-m->mean[j+1]);
      lane[2] += (double)row[j+2]*(in[j+2]-m->mean[j+2]);
      lane[3] += (double)row[j+3]*(in[j+3]-m->mean[j+3]);
    }
    for(; j<m->input_dims; j++) lane[0] += (double)row[j]*(in[j]-m->mean[j]);
    out[r] = (float)(((lane[0]+lane[1]) + (lane[2]+lane[3]))
                     / sqrt((double)m->variances[r]));
    total += (double)out[r]*out[r];
  }
  if( !(total>0.0) || !isfinite(total) ){
    memset(out, 0, sizeof(float)*(size_t)m->output_dims);
    return 0;
  }
  {
    float scale = (float)(1.0/sqrt(total));
    for(r=0; r<m->output_dims; r++) out[r] *= scale;
  }
  return 1;
}

/* ---- symmetric eigen decomposition ----------------------------------------- */

/* Reduce the symmetric n x n matrix a (row-major, destroyed) to tridiagonal
** form T = Q^T A Q by Householder reflections.  On return d[0..n-1] is T's
** diagonal, e[0..n-2] its subdiagonal, and vt (n x n) holds Q transposed:
** row c of vt is column c of Q (so later rotations touch contiguous rows).
** work needs 2n doubles.  SQLITE_OK or SQLITE_INTERRUPT (asked every
** PCA_CHECK_ROWS columns). */
static int pca_tridiagonalize(sqlite3 *db, double *a, int n, double *d, double *e,
                              double *vt, double *work, char **pzErr){
  double *v = work, *p = work + n;
  int k, i, j, rc;

  memset(vt, 0, sizeof(double)*(size_t)n*n);
  for(i=0; i<n; i++) vt[(size_t)i*n+i] = 1.0;
  for(k=0; k+2<n; k++){
    const int m = n-k-1;                 /* length of the column below k */
    double xnorm = 0.0, alpha, vnorm, K = 0.0;
    if( k%PCA_CHECK_ROWS==0 && (rc = sql_interrupted(db, pzErr)) ) return rc;
    for(i=0; i<m; i++){
      double x = a[(size_t)(k+1+i)*n + k];
      v[i] = x;
      xnorm += x*x;
    }
    xnorm = sqrt(xnorm);
    if( xnorm==0.0 ) continue;           /* already reduced */
    alpha = v[0]>=0.0 ? -xnorm : xnorm;
    v[0] -= alpha;
    vnorm = 0.0;
    for(i=0; i<m; i++) vnorm += v[i]*v[i];
    vnorm = sqrt(vnorm);
    if( vnorm==0.0 ) continue;
    for(i=0; i<m; i++) v[i] /= vnorm;    /* H = I - 2 v v^T */

    /* Trailing block S = a[k+1.., k+1..]: S <- H S H = S - 2(v w^T + w v^T)
    ** with p = S v, K = v.p, w = p - K v. */
    for(i=0; i<m; i++){
      const double *row = a + (size_t)(k+1+i)*n + (k+1);
      double s = 0.0;
      for(j=0; j<m; j++) s += row[j]*v[j];
      p[i] = s;
    }
    for(i=0; i<m; i++) K += v[i]*p[i];
    for(i=0; i<m; i++) p[i] -= K*v[i];   /* p is now w */
    for(i=0; i<m; i++){
      double *row = a + (size_t)(k+1+i)*n + (k+1);
      for(j=0; j<m; j++) row[j] -= 2.0*(v[i]*p[j] + p[i]*v[j]);
    }
    a[(size_t)(k+1)*n + k] = alpha;
    a[(size_t)k*n + (k+1)] = alpha;
    for(i=1; i<m; i++){
      a[(size_t)(k+1+i)*n + k] = 0.0;
      a[(size_t)k*n + (k+1+i)] = 0.0;
    }

    /* Q <- Q H: in vt, rows k+1.. change: s = sum_i v[i] vt[k+1+i],
    ** vt[k+1+i] -= 2 v[i] s.  p (free again) holds s. */
    memset(p, 0, sizeof(double)*(size_t)n);
    for(i=0; i<m; i++){
      const double *row = vt + (size_t)(k+1+i)*n;
      for(j=0; j<n; j++) p[j] += v[i]*row[j];
    }
    for(i=0; i<m; i++){
      double *row = vt + (size_t)(k+1+i)*n;
      double f = 2.0*v[i];
      for(j=0; j<n; j++) row[j] -= f*p[j];
    }
  }
  for(i=0; i<n; i++) d[i] = a[(size_t)i*n + i];
  for(i=0; i+1<n; i++) e[i] = a[(size_t)(i+1)*n + i];
  return SQLITE_OK;
}

/* Eigenvalues of the symmetric tridiagonal (d, e) by implicit QR steps with
** Wilkinson shifts; the rotations are applied to the rows of vt, which then
** hold the eigenvectors of the original matrix (row i for d[i]).  SQLITE_OK,
** SQLITE_ERROR if some eigenvalue did not converge (no message), or
** SQLITE_INTERRUPT (asked every PCA_CHECK_ROWS steps). */
static int pca_tridiagonal_eigen(sqlite3 *db, double *d, double *e, int n,
                                 double *vt, char **pzErr){
  long steps = 0, max_steps = (long)PCA_MAX_QR_STEPS_PER_VALUE*n;
  int hi = n-1;
  while( hi>0 ){
    int lo, k, j;
    double t, ee, mu, x, z;
    if( fabs(e[hi-1]) <= DBL_EPSILON*(fabs(d[hi-1]) + fabs(d[hi])) ){
      e[hi-1] = 0.0;
      hi--;
      continue;
    }
    lo = hi-1;
    while( lo>0 && fabs(e[lo-1]) > DBL_EPSILON*(fabs(d[lo-1]) + fabs(d[lo])) ){
      lo--;
    }
    if( ++steps>max_steps ) return SQLITE_ERROR;
    if( steps%PCA_CHECK_ROWS==0 ){
      int rc = sql_interrupted(db, pzErr);
      if( rc ) return rc;
    }
    /* Wilkinson shift: the eigenvalue of the trailing 2x2 nearer d[hi]. */
    t = (d[hi-1] - d[hi])/2.0;
    ee = e[hi-1];
    mu = d[hi] - ee*ee/(t + (t>=0.0 ? 1.0 : -1.0)*hypot(t, ee));
    x = d[lo] - mu;
    z = e[lo];
    for(k=lo; k<hi; k++){
      /* Rotation in the (k, k+1) plane that zeroes z against x: the first
      ** one starts the implicit step, the others chase the bulge down. */
      double r = hypot(x, z), c = 1.0, s = 0.0, a, b, cc;
      double *rk = vt + (size_t)k*n, *rk1 = vt + (size_t)(k+1)*n;
      if( r!=0.0 ){ c = x/r; s = z/r; }
      if( k>lo ) e[k-1] = r;
      a = d[k];
      b = e[k];
      cc = d[k+1];
      d[k]   = c*c*a + 2.0*c*s*b + s*s*cc;
      d[k+1] = s*s*a - 2.0*c*s*b + c*c*cc;
      e[k]   = c*s*(cc - a) + (c*c - s*s)*b;
      if( k+1<hi ){
        x = e[k];
        z = s*e[k+1];
        e[k+1] *= c;
      }
      for(j=0; j<n; j++){
        double u = rk[j], w = rk1[j];
        rk[j] = c*u + s*w;
        rk1[j] = c*w - s*u;
      }
    }
  }
  return SQLITE_OK;
}

/* ---- training -------------------------------------------------------------- */

struct PcaTrainer {
  int input_dims;
  Sample *sample;            /* rows of input_dims floats */
};

PcaTrainer *pca_trainer_new(int input_dims, int max_vectors){
  PcaTrainer *t;
  if( input_dims<1 || input_dims>PCA_MAX_INPUT_DIMS || max_vectors<2 ) return 0;
  t = (PcaTrainer*)sqlite3_malloc64(sizeof(*t));
  if( t==0 ) return 0;
  t->input_dims = input_dims;
  if( (uint64_t)max_vectors > PCA_TRAIN_MAX_BYTES/(8*(uint64_t)input_dims) ){
    max_vectors = (int)(PCA_TRAIN_MAX_BYTES/(8*(uint64_t)input_dims));
  }
  t->sample = sample_new(sizeof(float)*(size_t)input_dims, max_vectors);
  if( t->sample==0 ){
    sqlite3_free(t);
    return 0;
  }
  return t;
}

int pca_trainer_input_dims(const PcaTrainer *t){
  return t->input_dims;
}

int pca_trainer_add(PcaTrainer *t, const float *vector){
  return sample_add(t->sample, vector);
}

void pca_trainer_free(PcaTrainer *t){
  if( t==0 ) return;
  sample_free(t->sample);
  sqlite3_free(t);
}

/* Indices 0..n-1 ordered by value descending, ties by index (insertion
** sort: n is at most PCA_TRAIN_MAX_VECTORS and this runs once). */
static void pca_order_descending(const double *value, int n, int *order){
  int i, j;
  for(i=0; i<n; i++){
    int idx = i;
    for(j=i; j>0 && value[order[j-1]]<value[idx]; j--) order[j] = order[j-1];
    order[j] = idx;
  }
}

/* The working arrays of one fit, N sample vectors of D dimensions, carved
** from one allocation (block): the doubles first, then the floats and ints. */
typedef struct PcaFit {
  int N, D;
  void *block;
  double *mean;          /* D */
  double *gram;          /* N x N Gram matrix; the eigen solver destroys it */
  double *vt;            /* N x N: row i is the eigenvector of eigenvalue[i] */
  double *eigenvalue;    /* N, in the solver's order */
  double *offdiagonal;   /* N: the tridiagonal form's subdiagonal */
  double *work;          /* 2N: the solver's scratch */
  double *component;     /* D: one component before normalisation */
  float *centred;        /* N x D: each sample vector minus the mean */
  int *order;            /* N: eigenvalue indices, largest first */
} PcaFit;

static void pca_fit_free(PcaFit *f){
  sqlite3_free(f->block);
  memset(f, 0, sizeof(*f));
}

/* SQLITE_NOMEM (nothing to free) or OK. */
static int pca_fit_alloc(PcaFit *f, int N, int D){
  const sqlite3_uint64 n = (sqlite3_uint64)N, dims = (sqlite3_uint64)D;
  const sqlite3_uint64 doubles = 2*dims + 2*n*n + 4*n;
  double *next;
  memset(f, 0, sizeof(*f));
  f->block = sqlite3_malloc64(sizeof(double)*doubles + sizeof(float)*n*dims
                              + sizeof(int)*n);
  if( f->block==0 ) return SQLITE_NOMEM;
  f->N = N;
  f->D = D;
  next = (double*)f->block;
  f->mean = next;          next += dims;
  f->gram = next;          next += n*n;
  f->vt = next;            next += n*n;
  f->eigenvalue = next;    next += n;
  f->offdiagonal = next;   next += n;
  f->work = next;          next += 2*n;
  f->component = next;     next += dims;
  f->centred = (float*)next;
  f->order = (int*)(f->centred + n*dims);
  return SQLITE_OK;
}

/* The mean of the (sorted) sample, then the centred vectors. */
static void pca_fit_centre(PcaFit *f, const Sample *sample){
  const int N = f->N, D = f->D;
  int i, j;
  memset(f->mean, 0, sizeof(double)*(size_t)D);
  for(i=0; i<N; i++){
    const float *x = (const float*)sample_row(sample, i);
    for(j=0; j<D; j++) f->mean[j] += x[j];
  }
  for(j=0; j<D; j++) f->mean[j] /= N;
  for(i=0; i<N; i++){
    const float *x = (const float*)sample_row(sample, i);
    float *c = f->centred + (size_t)i*D;
    for(j=0; j<D; j++) c[j] = (float)(x[j] - f->mean[j]);
  }
}

/* Gram matrix of the centred vectors (symmetric: upper half, mirrored).
** SQLITE_OK or SQLITE_INTERRUPT (asked every PCA_CHECK_ROWS rows). */
static int pca_fit_gram(sqlite3 *db, PcaFit *f, char **pzErr){
  const int N = f->N, D = f->D;
  int i, r, j, rc;
  for(i=0; i<N; i++){
    const float *a = f->centred + (size_t)i*D;
    if( i%PCA_CHECK_ROWS==0 && (rc = sql_interrupted(db, pzErr)) ) return rc;
    for(r=i; r<N; r++){
      const float *b = f->centred + (size_t)r*D;
      double lane[4] = {0, 0, 0, 0};
      for(j=0; j+4<=D; j+=4){
        lane[0] += (double)a[j]*b[j];
        lane[1] += (double)a[j+1]*b[j+1];
        lane[2] += (double)a[j+2]*b[j+2];
        lane[3] += (double)a[j+3]*b[j+3];
      }
      for(; j<D; j++) lane[0] += (double)a[j]*b[j];
      f->gram[(size_t)i*N + r] = f->gram[(size_t)r*N + i]
                               = (lane[0]+lane[1]) + (lane[2]+lane[3]);
    }
  }
  return SQLITE_OK;
}

/* How many components to keep: at most dims and N-1, and only those whose
** variance is above PCA_MIN_RELATIVE_VARIANCE of the largest (positive);
** at least 1. */
static int pca_fit_keep(const PcaFit *f, int dims){
  const double largest = f->eigenvalue[f->order[0]];
  int keep = dims < f->N-1 ? dims : f->N-1, r;
  for(r=0; r<keep; r++){
    if( !(f->eigenvalue[f->order[r]] > PCA_MIN_RELATIVE_VARIANCE*largest) ) break;
  }
  return r<1 ? 1 : r;
}

/* Component r (by variance, descending) into out[D]: Xc^T u for the
** eigenvector u of the Gram matrix, normalised, its largest-magnitude entry
** made positive.  0 if it vanished (numerically degenerate sample). */
static int pca_fit_component(PcaFit *f, int r, float *out){
  const int N = f->N, D = f->D;
  const double *u = f->vt + (size_t)f->order[r]*N;
  double *comp = f->component;
  double norm = 0.0, peak = 0.0, sign;
  int i, j, peak_at = 0;
  memset(comp, 0, sizeof(double)*(size_t)D);
  for(i=0; i<N; i++){
    const float *c = f->centred + (size_t)i*D;
    for(j=0; j<D; j++) comp[j] += u[i]*c[j];
  }
  for(j=0; j<D; j++){
    norm += comp[j]*comp[j];
    if( fabs(comp[j])>peak ){ peak = fabs(comp[j]); peak_at = j; }
  }
  norm = sqrt(norm);
  if( !(norm>0.0) ) return 0;
  sign = comp[peak_at]<0.0 ? -1.0 : 1.0;
  for(j=0; j<D; j++) out[j] = (float)(sign*comp[j]/norm);
  return 1;
}

int pca_trainer_finish(PcaTrainer *t, int dims, sqlite3 *db, PcaModel *out,
                       char **pzErr){
  const int D = t->input_dims;
  const int N = sample_count(t->sample);
  PcaFit fit;
  int rc, r, j, keep;

  memset(out, 0, sizeof(*out));
  if( pzErr ) *pzErr = 0;
  if( dims<1 ){
    return error_set(pzErr, SQLITE_ERROR, "PCA needs at least 1 dimension");
  }
  if( N<2 ){
    return error_set(pzErr, SQLITE_ERROR,
        "PCA needs at least 2 distinct vectors, got %lld",
        (long long)sample_seen(t->sample));
  }
  sample_sort(t->sample);
  if( pca_fit_alloc(&fit, N, D)!=SQLITE_OK ) goto nomem;

  pca_fit_centre(&fit, t->sample);
  rc = pca_fit_gram(db, &fit, pzErr);
  if( rc==SQLITE_OK ){
    rc = pca_tridiagonalize(db, fit.gram, N, fit.eigenvalue, fit.offdiagonal,
                            fit.vt, fit.work, pzErr);
  }
  if( rc==SQLITE_OK ){
    rc = pca_tridiagonal_eigen(db, fit.eigenvalue, fit.offdiagonal, N, fit.vt, pzErr);
    if( rc==SQLITE_ERROR ){
      rc = error_set(pzErr, SQLITE_ERROR,
          "PCA eigen decomposition did not converge on %d vectors", N);
    }
  }
  if( rc==SQLITE_NOMEM ) goto nomem;
  if( rc!=SQLITE_OK ) goto cleanup;
  pca_order_descending(fit.eigenvalue, N, fit.order);
  if( !(fit.eigenvalue[fit.order[0]]>0.0) ){
    rc = error_set(pzErr, SQLITE_ERROR,
        "PCA: the %d training vectors are all equal", N);
    goto cleanup;
  }

  keep = pca_fit_keep(&fit, dims);
  if( pca_model_alloc(out, D, keep)!=SQLITE_OK ) goto nomem;
  for(j=0; j<D; j++) out->mean[j] = (float)fit.mean[j];
  for(r=0; r<keep; r++){
    if( (rc = sql_interrupted(db, pzErr))!=SQLITE_OK ) goto cleanup;
    if( !pca_fit_component(&fit, r, out->components + (size_t)r*D) ){
      rc = error_set(pzErr, SQLITE_ERROR,
          "PCA: component %d vanished (numerically degenerate sample)", r);
      goto cleanup;
    }
    out->variances[r] = (float)(fit.eigenvalue[fit.order[r]]/(N-1));
    if( !(out->variances[r]>0.0f) ) out->variances[r] = FLT_MIN;
  }
  rc = SQLITE_OK;
  goto cleanup;

nomem:
  rc = error_set(pzErr, SQLITE_NOMEM,
      "out of memory training PCA on %d vectors of %d dimensions", N, D);
cleanup:
  if( rc!=SQLITE_OK ) pca_model_free(out);
  pca_fit_free(&fit);
  return rc;
}
