/*
** words.c — the vocabulary tree and Hamming signatures of words.h, and the
** vocabulary blob.
**
** Vocabulary blob, version 1 (all little-endian):
**
**   offset  size  field
**   0       4     magic "VOCB"
**   4       1     format version (1)
**   5       3     reserved, zero
**   8       4     branch   u32, 2..WORDS_MAX_BRANCH
**   12      4     depth    u32, 1..WORDS_MAX_DEPTH
**   16      ...   centroids: internal * branch * 128 float32 (internal =
**                 (branch^depth - 1) / (branch - 1)), node by node; the
**                 children of node n are nodes n*branch+1 .. n*branch+branch
**   then          projection: 32 * 128 float32, one signature bit a row
**
** Every float is finite.  A 32 x 3 vocabulary (32,768 words) is 17.3 MB.
**
** Training is top-down: k-means with `branch` centroids on the whole
** sample (vlad.c's trainer: hash sampling, k-means++, Lloyd), then the
** same on each centroid's share of the sample, depth levels deep.
** Quantizing walks down the tree, branch distances per level.
**
** The signature: the RootSIFT descriptor minus its word's centroid (the
** residual), projected on 32 fixed random directions; bit b is 1 where the
** projection is positive.  Residuals are centred on their centroid, so each
** bit splits a word's cell roughly in half, and the Hamming distance of two
** signatures estimates how close two descriptors of one word are.
*/
#include <math.h>
#include <string.h>
#include "sqlite_ext.h"
#include "bytes.h"
#include "error.h"
#include "rng.h"
#include "sample.h"
#include "vlad.h"
#include "words.h"

#define WORDS_DIMS VLAD_DESCRIPTOR_DIMS
#define WORDS_PROJECTION_SEED 0x5157a11dcafef00dull
#define WORDS_NEAR_BEAM 2          /* words_quantize_near's beam above the leaves */

void words_vocab_free(WordVocab *vocab){
  if( vocab==0 ) return;
  sqlite3_free(vocab->centroids);
  sqlite3_free(vocab->projection);
  memset(vocab, 0, sizeof(*vocab));
}

static float words_distance2(const float *a, const float *b){
  float lane[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int i, j;
  for(i=0; i<WORDS_DIMS; i+=8){
    for(j=0; j<8; j++){ float d = a[i+j]-b[i+j]; lane[j] += d*d; }
  }
  return ((lane[0]+lane[1])+(lane[2]+lane[3]))+((lane[4]+lane[5])+(lane[6]+lane[7]));
}

/* Child (0..branch-1) of internal node `node` nearest to x. */
static int words_child(const WordVocab *v, int64_t node, const float *x){
  const float *c = v->centroids + (size_t)node*v->branch*WORDS_DIMS;
  int best = 0, i;
  float best_d = words_distance2(x, c);
  for(i=1; i<v->branch; i++){
    float d = words_distance2(x, c + (size_t)i*WORDS_DIMS);
    if( d<best_d ){ best_d = d; best = i; }
  }
  return best;
}

/* The branch centroids of one node, into c: k-means on the node's n rows,
** or, with fewer distinct descriptors than branch, the descriptors
** themselves, the last repeated (with none at all, zeros). */
static int words_kmeans(WordVocab *v, sqlite3 *db, const unsigned char *all,
                        const int64_t *rows, int64_t n, float *c, char **pzErr){
  int64_t i;
  int k, rc = SQLITE_ERROR;
  if( n>=v->branch ){
    VladCodebook cb;
    char *zErr = 0;
    VladTrainer *t = vlad_trainer_new(v->branch, (int)(n<1000000 ? n : 1000000));
    if( t==0 ) return SQLITE_NOMEM;
    rc = SQLITE_OK;
    for(i=0; i<n && rc==SQLITE_OK; i++){
      rc = vlad_trainer_add(t, all + (size_t)rows[i]*WORDS_DIMS, 1);
    }
    if( rc==SQLITE_OK ) rc = vlad_trainer_finish(t, db, &cb, &zErr);
    vlad_trainer_free(t);
    if( rc==SQLITE_OK ){
      memcpy(c, cb.centroids, sizeof(float)*WORDS_DIMS*v->branch);
      vlad_codebook_free(&cb);
    }
    if( rc!=SQLITE_ERROR ){       /* done, interrupted or out of memory */
      if( pzErr ) *pzErr = zErr; else sqlite3_free(zErr);
      return rc;
    }
    sqlite3_free(zErr);           /* too few distinct descriptors: below */
  }
  for(k=0; k<v->branch; k++){
    if( n>0 ){
      vlad_rootsift(all + (size_t)rows[k<n ? k : n-1]*WORDS_DIMS, c + (size_t)k*WORDS_DIMS);
    }else{
      memset(c + (size_t)k*WORDS_DIMS, 0, sizeof(float)*WORDS_DIMS);
    }
  }
  return SQLITE_OK;
}

/* Train node's children on the n descriptors at rows[] (indexes into
** all), then recurse into each child's share (rows is reordered). */
static int words_train_node(WordVocab *v, sqlite3 *db, const unsigned char *all,
                            int64_t *rows, int64_t n, int64_t node, int level,
                            char **pzErr){
  float *c = v->centroids + (size_t)node*v->branch*WORDS_DIMS;
  int64_t i, start;
  int k, rc;
  int64_t counts[WORDS_MAX_BRANCH];

  rc = words_kmeans(v, db, all, rows, n, c, pzErr);
  if( rc ) return rc;
  if( level+1>=v->depth ) return SQLITE_OK;

  /* partition rows by nearest child (counting sort, stable) */
  {
    float x[WORDS_DIMS];
    int64_t *sorted, pos[WORDS_MAX_BRANCH];
    unsigned char *child = (unsigned char*)sqlite3_malloc64(n>0 ? (uint64_t)n : 1);
    sorted = (int64_t*)sqlite3_malloc64(sizeof(int64_t)*(n>0 ? (uint64_t)n : 1));
    if( child==0 || sorted==0 ){
      sqlite3_free(child); sqlite3_free(sorted);
      return SQLITE_NOMEM;
    }
    memset(counts, 0, sizeof(counts));
    for(i=0; i<n; i++){
      vlad_rootsift(all + (size_t)rows[i]*WORDS_DIMS, x);
      child[i] = (unsigned char)words_child(v, node, x);
      counts[child[i]]++;
    }
    for(k=0, start=0; k<v->branch; k++){ pos[k] = start; start += counts[k]; }
    for(i=0; i<n; i++) sorted[pos[child[i]]++] = rows[i];
    memcpy(rows, sorted, sizeof(int64_t)*(size_t)n);
    sqlite3_free(child);
    sqlite3_free(sorted);
  }
  for(k=0, start=0; k<v->branch && rc==SQLITE_OK; k++){
    rc = words_train_node(v, db, all, rows+start, counts[k], node*v->branch+k+1,
                          level+1, pzErr);
    start += counts[k];
  }
  return rc;
}

int words_vocab_train(const unsigned char *descriptors, int64_t n, int branch,
                      int depth, sqlite3 *db, WordVocab *out, char **pzErr){
  int64_t words = 1, internal = 0, i;
  int64_t *rows;
  uint64_t state = WORDS_PROJECTION_SEED;
  int d, rc;

  memset(out, 0, sizeof(*out));
  if( branch<2 || branch>WORDS_MAX_BRANCH || depth<1 || depth>WORDS_MAX_DEPTH ){
    return error_set(pzErr, SQLITE_ERROR,
        "a vocabulary needs 2 to %d branches and 1 to %d levels",
        WORDS_MAX_BRANCH, WORDS_MAX_DEPTH);
  }
  for(d=0; d<depth; d++){ internal += words; words *= branch; }
  if( words>UINT32_MAX ){
    return error_set(pzErr, SQLITE_ERROR, "a vocabulary of %lld words is too large",
                     (long long)words);
  }
  out->branch = branch;
  out->depth = depth;
  out->words = words;
  out->internal = internal;
  out->centroids = (float*)sqlite3_malloc64(sizeof(float)*WORDS_DIMS*(uint64_t)internal*branch);
  out->projection = (float*)sqlite3_malloc64(sizeof(float)*WORDS_DIMS*WORDS_SIGNATURE_BITS);
  rows = (int64_t*)sqlite3_malloc64(sizeof(int64_t)*(n>0 ? (uint64_t)n : 1));
  if( out->centroids==0 || out->projection==0 || rows==0 ){
    sqlite3_free(rows);
    words_vocab_free(out);
    return SQLITE_NOMEM;
  }
  /* Gaussian directions (Box-Muller) from a fixed seed */
  for(i=0; i<WORDS_DIMS*WORDS_SIGNATURE_BITS; i++){
    double u1 = ((double)(rng_next(&state)>>11) + 1.0) / 9007199254740993.0;
    double u2 = (double)(rng_next(&state)>>11) / 9007199254740992.0;
    out->projection[i] = (float)(sqrt(-2.0*log(u1)) * cos(6.283185307179586*u2));
  }
  for(i=0; i<n; i++) rows[i] = i;
  rc = words_train_node(out, db, descriptors, rows, n, 0, 0, pzErr);
  sqlite3_free(rows);
  if( rc ) words_vocab_free(out);
  return rc;
}

/* ---- training from a sample --------------------------------------------------- */

struct WordsTrainer { Sample *sample; };

WordsTrainer *words_trainer_new(int max_samples){
  WordsTrainer *t = (WordsTrainer*)sqlite3_malloc64(sizeof(*t));
  if( t==0 ) return 0;
  t->sample = sample_new(WORDS_DIMS, max_samples);
  if( t->sample==0 ){
    sqlite3_free(t);
    return 0;
  }
  return t;
}

int words_trainer_add(WordsTrainer *t, const unsigned char *descriptors, int count){
  int i, rc = SQLITE_OK;
  for(i=0; i<count && rc==SQLITE_OK; i++){
    rc = sample_add(t->sample, descriptors + (size_t)i*WORDS_DIMS);
  }
  return rc;
}

int words_trainer_finish(WordsTrainer *t, int branch, int depth,
                         sqlite3 *db, WordVocab *out, char **pzErr){
  int n = sample_count(t->sample), i, rc;
  unsigned char *rows;
  if( n<branch ){
    memset(out, 0, sizeof(*out));
    return error_set(pzErr, SQLITE_ERROR,
        "a vocabulary needs at least %d distinct descriptors, got %d", branch, n);
  }
  rows = (unsigned char*)sqlite3_malloc64((uint64_t)n*WORDS_DIMS);
  if( rows==0 ) return SQLITE_NOMEM;
  sample_sort(t->sample);
  for(i=0; i<n; i++){
    memcpy(rows + (size_t)i*WORDS_DIMS, sample_row(t->sample, i), WORDS_DIMS);
  }
  rc = words_vocab_train(rows, n, branch, depth, db, out, pzErr);
  sqlite3_free(rows);
  return rc;
}

void words_trainer_free(WordsTrainer *t){
  if( t==0 ) return;
  sample_free(t->sample);
  sqlite3_free(t);
}

/* The signature of x in the word whose centroid is c. */
static uint32_t words_signature(const WordVocab *v, const float *x, const float *c){
  float r[WORDS_DIMS];
  uint32_t sig = 0;
  int b, i;
  for(i=0; i<WORDS_DIMS; i++) r[i] = x[i] - c[i];
  for(b=0; b<WORDS_SIGNATURE_BITS; b++){
    const float *p = v->projection + (size_t)b*WORDS_DIMS;
    float dot = 0.0f;
    for(i=0; i<WORDS_DIMS; i++) dot += p[i]*r[i];
    if( dot>0.0f ) sig |= (uint32_t)1<<b;
  }
  return sig;
}

void words_quantize(const WordVocab *v, const unsigned char *descriptor,
                    uint32_t *word, uint32_t *signature){
  words_quantize_near(v, descriptor, 1, 1.0, word, signature);
}

/* A beam search down the tree: the WORDS_NEAR_BEAM nodes nearest to x
** at each level (by their centroids), then the `near` leaves nearest to
** it among their children.  A narrow beam costs under twice a plain
** descent; one as wide as near (5) costs five times and verified the
** same share of other photos of an object (docs/BENCHMARKS.md, "Other
** photos of an object"). */
int words_quantize_near(const WordVocab *v, const unsigned char *descriptor,
                        int near, double ratio, uint32_t *words, uint32_t *signatures){
  float x[WORDS_DIMS];
  int64_t beam[WORDS_MAX_NEAR], next[WORDS_MAX_NEAR];
  float dist[WORDS_MAX_NEAR];
  int n = 1, level, i, k;

  if( near<1 ) near = 1;
  if( near>WORDS_MAX_NEAR ) near = WORDS_MAX_NEAR;
  vlad_rootsift(descriptor, x);
  beam[0] = 0;
  for(level=0; level<v->depth; level++){
    int m = 0, keep = level==v->depth-1 || near<WORDS_NEAR_BEAM ? near : WORDS_NEAR_BEAM;
    for(i=0; i<n; i++){
      const float *c = v->centroids + (size_t)beam[i]*v->branch*WORDS_DIMS;
      for(k=0; k<v->branch; k++){
        float d = words_distance2(x, c + (size_t)k*WORDS_DIMS);
        int j;
        if( m==keep && d>=dist[m-1] ) continue;
        if( m<keep ) m++;
        for(j=m-1; j>0 && dist[j-1]>d; j--){ dist[j] = dist[j-1]; next[j] = next[j-1]; }
        dist[j] = d;
        next[j] = beam[i]*v->branch + k + 1;
      }
    }
    memcpy(beam, next, sizeof(int64_t)*m);
    n = m;
  }
  /* keep the leaves within ratio of the nearest's distance */
  for(i=1; i<n && dist[i]<=ratio*ratio*dist[0]; i++){}
  n = i;
  for(i=0; i<n; i++){
    int64_t leaf = beam[i];
    const float *c = v->centroids + (size_t)(leaf-1)*WORDS_DIMS;   /* node c's centroid */
    words[i] = (uint32_t)(leaf - v->internal);
    signatures[i] = words_signature(v, x, c);
  }
  return n;
}

/* ---- the vocabulary blob ---------------------------------------------------- */

static const BlobFormat words_vocab_format = {
  {'V', 'O', 'C', 'B'}, 1, 16, "vocabulary blob",
  "img_vocab_train(sift)", "train it again with img_vocab_train", 0
};

static uint64_t words_vocab_floats(const WordVocab *v){
  return (uint64_t)v->internal*v->branch*WORDS_DIMS + WORDS_SIGNATURE_BITS*WORDS_DIMS;
}

unsigned char *words_vocab_encode(const WordVocab *v, size_t *pn){
  uint64_t centroids = (uint64_t)v->internal*v->branch*WORDS_DIMS;
  uint64_t n = 16 + 4*words_vocab_floats(v);
  unsigned char *p = (unsigned char*)sqlite3_malloc64(n);
  if( p==0 ) return 0;
  blob_header_write(&words_vocab_format, 0, p);
  bytes_put_u32(p+8, (uint32_t)v->branch);
  bytes_put_u32(p+12, (uint32_t)v->depth);
  bytes_put_f32s(p+16, v->centroids, centroids);
  bytes_put_f32s(p+16+4*centroids, v->projection, WORDS_SIGNATURE_BITS*WORDS_DIMS);
  *pn = (size_t)n;
  return p;
}

int words_vocab_parse(const void *data, size_t n, WordVocab *out, char **pzErr){
  const unsigned char *p = (const unsigned char*)data;
  uint32_t branch, depth;
  uint64_t centroids, expected;
  int rc, d;

  memset(out, 0, sizeof(*out));
  rc = blob_header_check(&words_vocab_format, data, n, pzErr);
  if( rc ) return rc;
  branch = bytes_get_u32(p+8);
  depth = bytes_get_u32(p+12);
  if( branch<2 || branch>WORDS_MAX_BRANCH || depth<1 || depth>WORDS_MAX_DEPTH ){
    return error_set(pzErr, SQLITE_ERROR,
        "corrupt vocabulary blob: branch %u, depth %u", branch, depth);
  }
  out->branch = (int)branch;
  out->depth = (int)depth;
  out->words = 1;
  for(d=0; d<(int)depth; d++){ out->internal += out->words; out->words *= branch; }
  if( out->words>UINT32_MAX ){
    memset(out, 0, sizeof(*out));
    return error_set(pzErr, SQLITE_ERROR,
        "corrupt vocabulary blob: branch %u, depth %u", branch, depth);
  }
  centroids = (uint64_t)out->internal*branch*WORDS_DIMS;
  expected = 16 + 4*words_vocab_floats(out);
  if( expected!=(uint64_t)n ){
    memset(out, 0, sizeof(*out));
    return error_set(pzErr, SQLITE_ERROR,
        "corrupt vocabulary blob: %u x %u needs %llu bytes, the blob has %llu",
        branch, depth, (unsigned long long)expected, (unsigned long long)n);
  }
  out->centroids = (float*)sqlite3_malloc64(4*centroids);
  out->projection = (float*)sqlite3_malloc64(4*WORDS_SIGNATURE_BITS*WORDS_DIMS);
  if( out->centroids==0 || out->projection==0 ){
    words_vocab_free(out);
    return SQLITE_NOMEM;
  }
  if( !bytes_get_f32s(p+16, centroids, out->centroids)
   || !bytes_get_f32s(p+16+4*centroids, WORDS_SIGNATURE_BITS*WORDS_DIMS, out->projection) ){
    words_vocab_free(out);
    return error_set(pzErr, SQLITE_ERROR, "corrupt vocabulary blob: a value is not finite");
  }
  return SQLITE_OK;
}
