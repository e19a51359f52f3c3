/*
** match.c — ratio-test matching and RANSAC verification of two sift blobs.
** See match.h for the contract.
**
** May call: sift_blob.h, vlad.h (RootSIFT, vlad_dot), sift_cv.h (RANSAC),
** error.h (error_set), sqlite3_malloc64 / sqlite3_free through
** sqlite_ext.h.
**
** Steps, for each orientation of the second image (as is, mirrored):
**   1. every descriptor of a finds its nearest and second-nearest
**      descriptor of b (squared L2 between RootSIFT vectors, brute force);
**      it is a tentative match if nearest < MATCH_RATIO^2 x second;
**   2. a keypoint of b claimed by several keypoints of a keeps only the
**      closest, so repeated texture cannot inflate the count;
**   3. cv::findHomography(RANSAC, MATCH_RANSAC_THRESHOLD) on the matched
**      positions counts the inliers.
** Mirroring b: x -> width-1-x (pixel centres at integer coordinates) and
** each descriptor permuted by match_mirror_descriptor.
**
** WHY THE MIRROR FLIPS DESCRIPTOR ROWS.  A keypoint with orientation theta
** has, in the mirrored image, orientation 180 - theta.  The frame its
** descriptor is measured in (x axis along the orientation, y axis 90
** degrees from it) therefore maps to a frame whose x axis is the new
** orientation but whose y axis points the other way: the spatial rows (y
** bins) reverse, the columns stay, and a gradient at angle phi relative to
** the frame goes to -phi, so orientation bin o goes to (8-o)%8.  Measured
** on samples/box.png against its mirror image: flipping rows gives 550
** RANSAC inliers of 552 matches; flipping columns instead gives only 42
** (from a few mirror-symmetric features), on aero1, home and chelsea alike.  The homography
** found against mirrored b is composed with the mirror, so the reported one
** always maps a into b's own coordinates (its determinant is then
** negative).
*/
#include <string.h>

#include "sqlite_ext.h"
#include "error.h"
#include "match.h"
#include "sift_cv.h"
#include "vlad.h"

#define MATCH_DIMS VLAD_DESCRIPTOR_DIMS

void match_mirror_descriptor(const unsigned char *in, unsigned char *out){
  int row, col, o;
  for(row=0; row<4; row++){
    for(col=0; col<4; col++){
      const unsigned char *from = in + (row*4 + col)*8;
      unsigned char *to = out + ((3-row)*4 + col)*8;
      for(o=0; o<8; o++) to[(8-o)%8] = from[o];
    }
  }
}

/* RootSIFT rows and their squared norms for count descriptors, mirrored
** first if asked.  rows: count*128 floats, norms: count floats. */
static void match_prepare(const unsigned char *descriptors, int count,
                          int mirror, float *rows, float *norms){
  unsigned char flipped[MATCH_DIMS];
  int i;
  for(i=0; i<count; i++){
    const unsigned char *d = descriptors + (size_t)i*MATCH_DIMS;
    float *x = rows + (size_t)i*MATCH_DIMS;
    if( mirror ){
      match_mirror_descriptor(d, flipped);
      d = flipped;
    }
    vlad_rootsift(d, x);
    norms[i] = vlad_dot(x, x);
  }
}

/* Steps 1 and 2: best[i] is the index in b matched by a's keypoint i, or
** -1.  best_d2[] is scratch for a's counts, claim[]/claim_d2[] for b's. */
static int match_ratio(const float *a_rows, const float *a_norms, int na,
                       const float *b_rows, const float *b_norms, int nb,
                       int *best, float *best_d2, int *claim, float *claim_d2){
  const float ratio2 = (float)(MATCH_RATIO*MATCH_RATIO);
  int i, j, matches = 0;
  for(j=0; j<nb; j++) claim[j] = -1;
  for(i=0; i<na; i++){
    const float *x = a_rows + (size_t)i*MATCH_DIMS;
    float d1 = -1.0f, d2 = -1.0f;
    int j1 = -1;
    best[i] = -1;
    for(j=0; j<nb; j++){
      float d = a_norms[i] + b_norms[j]
              - 2.0f*vlad_dot(x, b_rows + (size_t)j*MATCH_DIMS);
      if( d<0.0f ) d = 0.0f;           /* rounding on near-identical rows */
      if( j1<0 || d<d1 ){
        d2 = d1;
        d1 = d;
        j1 = j;
      }else if( d2<0.0f || d<d2 ){
        d2 = d;
      }
    }
    if( j1<0 || d2<0.0f || !(d1 < ratio2*d2) ) continue;
    best[i] = j1;
    best_d2[i] = d1;
    if( claim[j1]<0 || d1<claim_d2[j1] ){
      claim[j1] = i;
      claim_d2[j1] = d1;
    }
  }
  for(i=0; i<na; i++){
    if( best[i]>=0 && claim[best[i]]!=i ) best[i] = -1;
    if( best[i]>=0 ) matches++;
  }
  return matches;
}

/* out[] = mirror * h: the mirror x -> width-1-x applied after h. */
static void match_compose_mirror(const double *h, int width, double *out){
  const double w = (double)width - 1.0;
  int c;
  for(c=0; c<3; c++){
    out[c] = -h[c] + w*h[6+c];
    out[3+c] = h[3+c];
    out[6+c] = h[6+c];
  }
}

/* The working arrays of one match of na against nb keypoints, carved from
** one allocation (block); all are 4-byte types but inlier_mask, last. */
typedef struct MatchScratch {
  void *block;
  float *a_rows, *a_norms, *b_rows, *b_norms;   /* RootSIFT rows, |row|^2 */
  int *best, *claim;                            /* match_ratio's */
  float *best_d2, *claim_d2;
  float *src_xy, *dst_xy;                       /* matched positions */
  unsigned char *inlier_mask;                   /* RANSAC's verdict */
} MatchScratch;

static void match_scratch_free(MatchScratch *s){
  sqlite3_free(s->block);
  memset(s, 0, sizeof(*s));
}

/* SQLITE_NOMEM (*s zeroed) or OK. */
static int match_scratch_alloc(MatchScratch *s, int na, int nb){
  const size_t a = (size_t)(na ? na : 1), b = (size_t)(nb ? nb : 1);
  const size_t words = a*MATCH_DIMS + a + b*MATCH_DIMS + b   /* rows, norms */
                     + a + b + a + b                         /* best, claim */
                     + 2*a + 2*a;                            /* src, dst */
  float *w;
  memset(s, 0, sizeof(*s));
  s->block = sqlite3_malloc64(4*(sqlite3_uint64)words + a);
  if( s->block==0 ) return SQLITE_NOMEM;
  w = (float*)s->block;
  s->a_rows = w;   w += a*MATCH_DIMS;
  s->a_norms = w;  w += a;
  s->b_rows = w;   w += b*MATCH_DIMS;
  s->b_norms = w;  w += b;
  s->best = (int*)w;   w += a;
  s->claim = (int*)w;  w += b;
  s->best_d2 = w;  w += a;
  s->claim_d2 = w; w += b;
  s->src_xy = w;   w += 2*a;
  s->dst_xy = w;   w += 2*a;
  s->inlier_mask = (unsigned char*)w;
  return SQLITE_OK;
}

/* out->inlier_pairs from the RANSAC mask over the pairs in s, in b's
** original coordinates. */
static int match_copy_pairs(const SiftBlob *b, int mirror, int pairs,
                            const MatchScratch *s, MatchResult *out,
                            char **pzErr){
  int i, row = 0;
  out->inlier_pairs = (float*)sqlite3_malloc64(
      sizeof(float)*4*(sqlite3_uint64)out->inliers);
  if( out->inlier_pairs==0 ){
    return error_set(pzErr, SQLITE_NOMEM,
        "out of memory listing %d inlier pairs", out->inliers);
  }
  for(i=0; i<pairs && row<out->inliers; i++){
    float *r;
    if( !s->inlier_mask[i] ) continue;
    r = out->inlier_pairs + 4*(size_t)row++;
    r[0] = s->src_xy[2*i];
    r[1] = s->src_xy[2*i+1];
    r[2] = mirror ? (float)(b->width - 1) - s->dst_xy[2*i] : s->dst_xy[2*i];
    r[3] = s->dst_xy[2*i+1];
  }
  return SQLITE_OK;
}

/* One orientation: matches, RANSAC, result in *out (homography in b's
** original coordinates). */
static int match_one(const SiftBlob *a, const SiftBlob *b, int mirror,
                     int want_pairs, MatchScratch *s, MatchResult *out,
                     char **pzErr){
  double h[9];
  int i, pairs = 0, inliers = 0, rc;

  memset(out, 0, sizeof(*out));
  out->mirrored = mirror;
  match_prepare(b->descriptors, b->count, mirror, s->b_rows, s->b_norms);
  out->matches = match_ratio(s->a_rows, s->a_norms, a->count,
                             s->b_rows, s->b_norms, b->count,
                             s->best, s->best_d2, s->claim, s->claim_d2);
  for(i=0; i<a->count; i++){
    SiftKeypoint ka, kb;
    if( s->best[i]<0 ) continue;
    sift_blob_keypoint(a, i, &ka);
    sift_blob_keypoint(b, s->best[i], &kb);
    s->src_xy[2*pairs] = ka.x;
    s->src_xy[2*pairs+1] = ka.y;
    s->dst_xy[2*pairs] = mirror ? (float)(b->width - 1) - kb.x : kb.x;
    s->dst_xy[2*pairs+1] = kb.y;
    pairs++;
  }
  rc = sift_homography_ransac(s->src_xy, s->dst_xy, pairs,
                              MATCH_RANSAC_THRESHOLD, h, s->inlier_mask,
                              &inliers, pzErr);
  if( rc!=SQLITE_OK ) return rc;
  if( inliers<MATCH_MIN_INLIERS ) return SQLITE_OK;
  out->inliers = inliers;
  if( mirror ) match_compose_mirror(h, b->width, out->homography);
  else memcpy(out->homography, h, sizeof(h));
  return want_pairs ? match_copy_pairs(b, mirror, pairs, s, out, pzErr)
                    : SQLITE_OK;
}

void match_result_free(MatchResult *out){
  if( out==0 ) return;
  sqlite3_free(out->inlier_pairs);
  memset(out, 0, sizeof(*out));
}

int match_sift(const SiftBlob *a, const SiftBlob *b, int want_pairs,
               MatchResult *out, char **pzErr){
  MatchScratch scratch;
  MatchResult mirrored;
  int rc;

  memset(out, 0, sizeof(*out));
  memset(&mirrored, 0, sizeof(mirrored));
  if( pzErr ) *pzErr = 0;
  if( a->count==0 || b->count<2 ) return SQLITE_OK;   /* nothing to match */
  rc = match_scratch_alloc(&scratch, a->count, b->count);
  if( rc!=SQLITE_OK ){
    return error_set(pzErr, rc,
        "out of memory matching %d against %d keypoints", a->count, b->count);
  }
  match_prepare(a->descriptors, a->count, 0, scratch.a_rows, scratch.a_norms);
  rc = match_one(a, b, 0, want_pairs, &scratch, out, pzErr);
  if( rc==SQLITE_OK ){
    rc = match_one(a, b, 1, want_pairs, &scratch, &mirrored, pzErr);
  }
  if( rc==SQLITE_OK && mirrored.inliers>out->inliers ){
    match_result_free(out);
    *out = mirrored;
  }else{
    match_result_free(&mirrored);
  }
  if( rc!=SQLITE_OK ) match_result_free(out);
  match_scratch_free(&scratch);
  return rc;
}
