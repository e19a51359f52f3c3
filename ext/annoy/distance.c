/*
** distance.c — distance kernels for float32, uint8, int8 and bit vectors.
**
** The hot loops of every query live here (VEC_KERNEL: AVX2 and baseline
** builds, chosen at load time).
** The float kernels keep 8 running sums so the compiler may vectorise them
** without -ffast-math; results can differ from a serial sum in the last bits,
** which only matters for ordering exact ties.
**
** May call: the C library only (no SQLite calls).
*/
#include <math.h>
#include <string.h>
#include <strings.h>
#include "distance.h"

static const char *const metric_names[] = {
  0, "euclidean", "angular", "dot", "manhattan", "hamming"
};

const char *metric_name(Metric metric){ return metric_names[metric]; }

static int name_is(const char *name, size_t n, const char *want){
  return strlen(want)==n && strncasecmp(name, want, n)==0;
}

Metric metric_from_name(const char *name, size_t n){
  int i;
  for(i=METRIC_EUCLIDEAN; i<=METRIC_HAMMING; i++){
    if( name_is(name, n, metric_names[i]) ) return (Metric)i;
  }
  if( name_is(name, n, "cosine") ) return METRIC_ANGULAR;
  if( name_is(name, n, "l2") ) return METRIC_EUCLIDEAN;
  if( name_is(name, n, "l1") ) return METRIC_MANHATTAN;
  return 0;
}

int metric_allowed(VecType type, Metric metric){
  return (type==VEC_BIT) == (metric==METRIC_HAMMING);
}

/* ---- float32 ---------------------------------------------------------- */
VEC_KERNEL static float f32_l2sq(const void *pa, const void *pb, int dim){
  const float *a = pa, *b = pb;
  float s[8] = {0};
  int i, j;
  for(i=0; i+8<=dim; i+=8){
    for(j=0; j<8; j++){ float d = a[i+j]-b[i+j]; s[j] += d*d; }
  }
  for(; i<dim; i++){ float d = a[i]-b[i]; s[0] += d*d; }
  return ((s[0]+s[1])+(s[2]+s[3])) + ((s[4]+s[5])+(s[6]+s[7]));
}

VEC_KERNEL static float f32_l1(const void *pa, const void *pb, int dim){
  const float *a = pa, *b = pb;
  float s[8] = {0};
  int i, j;
  for(i=0; i+8<=dim; i+=8){
    for(j=0; j<8; j++) s[j] += fabsf(a[i+j]-b[i+j]);
  }
  for(; i<dim; i++) s[0] += fabsf(a[i]-b[i]);
  return ((s[0]+s[1])+(s[2]+s[3])) + ((s[4]+s[5])+(s[6]+s[7]));
}

/* Dot product and both squared norms in one pass. */
VEC_KERNEL static void f32_dot3(const float *a, const float *b, int dim, float out[3]){
  float ab[8] = {0}, aa[8] = {0}, bb[8] = {0};
  int i, j;
  for(i=0; i+8<=dim; i+=8){
    for(j=0; j<8; j++){
      ab[j] += a[i+j]*b[i+j]; aa[j] += a[i+j]*a[i+j]; bb[j] += b[i+j]*b[i+j];
    }
  }
  for(; i<dim; i++){ ab[0] += a[i]*b[i]; aa[0] += a[i]*a[i]; bb[0] += b[i]*b[i]; }
  out[0] = out[1] = out[2] = 0;
  for(j=0; j<8; j++){ out[0] += ab[j]; out[1] += aa[j]; out[2] += bb[j]; }
}

static float cosine_score(float ab, float aa, float bb){
  if( aa<=0 || bb<=0 ) return 1.0f;
  return 1.0f - ab/sqrtf(aa*bb);
}

static float f32_angular(const void *a, const void *b, int dim){
  float r[3];
  f32_dot3(a, b, dim, r);
  return cosine_score(r[0], r[1], r[2]);
}

static float f32_negdot(const void *a, const void *b, int dim){
  float r[3];
  f32_dot3(a, b, dim, r);
  return -r[0];
}

/* ---- uint8: exact integer arithmetic ----------------------------------- */
VEC_KERNEL static float u8_l2sq(const void *pa, const void *pb, int dim){
  const uint8_t *a = pa, *b = pb;
  uint32_t s = 0;
  int i;
  for(i=0; i<dim; i++){ int d = (int)a[i]-(int)b[i]; s += (uint32_t)(d*d); }
  return (float)s;
}

VEC_KERNEL static float u8_l1(const void *pa, const void *pb, int dim){
  const uint8_t *a = pa, *b = pb;
  uint32_t s = 0;
  int i;
  for(i=0; i<dim; i++){ int d = (int)a[i]-(int)b[i]; s += (uint32_t)(d<0 ? -d : d); }
  return (float)s;
}

VEC_KERNEL static void u8_dot3(const uint8_t *a, const uint8_t *b, int dim, uint64_t out[3]){
  uint32_t ab = 0, aa = 0, bb = 0;   /* 255*255*dim fits for dim < 66051 */
  int i;
  for(i=0; i<dim; i++){
    ab += (uint32_t)a[i]*b[i]; aa += (uint32_t)a[i]*a[i]; bb += (uint32_t)b[i]*b[i];
  }
  out[0] = ab; out[1] = aa; out[2] = bb;
}

static float u8_angular(const void *a, const void *b, int dim){
  uint64_t r[3];
  u8_dot3(a, b, dim, r);
  return cosine_score((float)r[0], (float)r[1], (float)r[2]);
}

static float u8_negdot(const void *a, const void *b, int dim){
  uint64_t r[3];
  u8_dot3(a, b, dim, r);
  return -(float)r[0];
}

/* ---- int8: exact integer arithmetic ------------------------------------ */
VEC_KERNEL static float i8_l2sq(const void *pa, const void *pb, int dim){
  const int8_t *a = pa, *b = pb;
  uint32_t s = 0;                    /* 255*255*dim fits for dim < 66051 */
  int i;
  for(i=0; i<dim; i++){ int d = (int)a[i]-(int)b[i]; s += (uint32_t)(d*d); }
  return (float)s;
}

VEC_KERNEL static float i8_l1(const void *pa, const void *pb, int dim){
  const int8_t *a = pa, *b = pb;
  uint32_t s = 0;
  int i;
  for(i=0; i<dim; i++){ int d = (int)a[i]-(int)b[i]; s += (uint32_t)(d<0 ? -d : d); }
  return (float)s;
}

VEC_KERNEL static void i8_dot3(const int8_t *a, const int8_t *b, int dim, int64_t out[3]){
  int32_t ab = 0, aa = 0, bb = 0;    /* |128*128*dim| < 2^31 for dim <= 65536 */
  int i;
  for(i=0; i<dim; i++){
    ab += (int32_t)a[i]*b[i]; aa += (int32_t)a[i]*a[i]; bb += (int32_t)b[i]*b[i];
  }
  out[0] = ab; out[1] = aa; out[2] = bb;
}

static float i8_angular(const void *a, const void *b, int dim){
  int64_t r[3];
  i8_dot3(a, b, dim, r);
  return cosine_score((float)r[0], (float)r[1], (float)r[2]);
}

static float i8_negdot(const void *a, const void *b, int dim){
  int64_t r[3];
  i8_dot3(a, b, dim, r);
  return -(float)r[0];
}

/* ---- bit ----------------------------------------------------------------- */
static float bit_hamming(const void *pa, const void *pb, int dim){
  const uint8_t *a = pa, *b = pb;
  int nbytes = dim/8, i;
  uint32_t s = 0;
  for(i=0; i+8<=nbytes; i+=8){
    uint64_t x, y;
    memcpy(&x, a+i, 8); memcpy(&y, b+i, 8);
    s += (uint32_t)__builtin_popcountll(x^y);
  }
  for(; i<nbytes; i++) s += (uint32_t)__builtin_popcount((unsigned)(a[i]^b[i]));
  return (float)s;
}

DistanceKernel distance_kernel(VecType type, Metric metric){
  if( type==VEC_BIT ) return metric==METRIC_HAMMING ? bit_hamming : 0;
  if( type==VEC_INT8 ){
    switch( metric ){
      case METRIC_EUCLIDEAN: return i8_l2sq;
      case METRIC_MANHATTAN: return i8_l1;
      case METRIC_ANGULAR:   return i8_angular;
      case METRIC_DOT:       return i8_negdot;
      default:               return 0;
    }
  }
  switch( metric ){
    case METRIC_EUCLIDEAN: return type==VEC_UINT8 ? u8_l2sq : f32_l2sq;
    case METRIC_MANHATTAN: return type==VEC_UINT8 ? u8_l1 : f32_l1;
    case METRIC_ANGULAR:   return type==VEC_UINT8 ? u8_angular : f32_angular;
    case METRIC_DOT:       return type==VEC_UINT8 ? u8_negdot : f32_negdot;
    default:               return 0;
  }
}

double distance_from_score(Metric metric, float score){
  if( metric==METRIC_EUCLIDEAN ) return sqrt((double)(score>0 ? score : 0));
  return (double)score;
}
