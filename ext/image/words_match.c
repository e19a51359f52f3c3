/*
** words_match.c — verification from words; see words_match.h.
**
** Both blobs are sorted by word, so the correspondences are a merge: for
** each feature of a, the feature of b with its word and the nearest
** signature, kept when it differs in at most `hamming` bits and the next
** nearest differs in WORDS_MATCH_MARGIN more (Lowe's ratio test, in bits:
** a word repeated all over b — a texture, text — would otherwise flood
** RANSAC with pairs that agree by chance).
**
** RANSAC with a 5-pixel threshold also "finds" models that squeeze a
** large part of one image into a few pixels of the other: random
** correspondences then agree by the dozen (a DVD cover against an
** unrelated 224-pixel photo: 58 inliers).  A model counts only when its
** inliers cover a fair part of both images (WORDS_MATCH_MIN_SPREAD of each
** side) and it scales areas by at most WORDS_MATCH_MAX_AREA_RATIO either
** way; otherwise the match has 0 inliers.  What remains of wrong matches
** are real shared content: DVD covers that share the "BLU-RAY + DVD"
** banner match on that strip (a rule that the query's inliers span a fifth
** of it removed most of those but lost 6% of the DVD phone photos:
** docs/BENCHMARKS.md).
*/
#include <math.h>
#include <stdlib.h>
#include "sqlite_ext.h"
#include "match.h"
#include "sift_cv.h"
#include "words_match.h"

/* One correspondence per point of a: a query blob with several words a
** feature (words_blob_encode's near) gives a point a pair in each word
** it shares with b; keep the one at the smallest Hamming distance (the
** first on a tie).  Returns the new count; src, dst and distance are
** compacted in place. */
typedef struct WordsPair { float x, y; int distance, index; } WordsPair;

static int words_pair_cmp(const void *p, const void *q){
  const WordsPair *a = (const WordsPair*)p, *b = (const WordsPair*)q;
  if( a->x!=b->x ) return a->x<b->x ? -1 : 1;
  if( a->y!=b->y ) return a->y<b->y ? -1 : 1;
  if( a->distance!=b->distance ) return a->distance - b->distance;
  return a->index - b->index;
}

static int words_match_one_per_point(float *src, float *dst, const int *distance,
                                     int pairs, WordsPair *scratch, unsigned char *keep){
  int i, n = 0;
  for(i=0; i<pairs; i++){
    scratch[i].x = src[2*i]; scratch[i].y = src[2*i+1];
    scratch[i].distance = distance[i]; scratch[i].index = i;
    keep[i] = 0;
  }
  qsort(scratch, (size_t)pairs, sizeof(WordsPair), words_pair_cmp);
  for(i=0; i<pairs; i++){
    keep[scratch[i].index] = i==0 || scratch[i].x!=scratch[i-1].x
                                  || scratch[i].y!=scratch[i-1].y;
  }
  for(i=0; i<pairs; i++){      /* in a's order */
    if( !keep[i] ) continue;
    src[2*n] = src[2*i]; src[2*n+1] = src[2*i+1];
    dst[2*n] = dst[2*i]; dst[2*n+1] = dst[2*i+1];
    n++;
  }
  return n;
}

/* 1 if the n points at xy (with mask[i] set) span at least
** WORDS_MATCH_MIN_SPREAD of width and of height. */
static int words_match_spread(const float *xy, const unsigned char *mask, int n,
                              int width, int height){
  float lo_x = 1e30f, hi_x = -1e30f, lo_y = 1e30f, hi_y = -1e30f;
  int i;
  for(i=0; i<n; i++){
    if( !mask[i] ) continue;
    if( xy[2*i]<lo_x ) lo_x = xy[2*i];
    if( xy[2*i]>hi_x ) hi_x = xy[2*i];
    if( xy[2*i+1]<lo_y ) lo_y = xy[2*i+1];
    if( xy[2*i+1]>hi_y ) hi_y = xy[2*i+1];
  }
  return hi_x-lo_x >= WORDS_MATCH_MIN_SPREAD*width
      && hi_y-lo_y >= WORDS_MATCH_MIN_SPREAD*height;
}

/* 1 if the homography's area scale |det| of its linear part (at the
** origin; the projective terms are small for a real copy) is within
** WORDS_MATCH_MAX_AREA_RATIO of 1 either way. */
static int words_match_scale_ok(const double h[9]){
  double det = fabs(h[0]*h[4] - h[1]*h[3]);
  return det*WORDS_MATCH_MAX_AREA_RATIO>=1.0 && det<=WORDS_MATCH_MAX_AREA_RATIO;
}

/* The inliers' mean squared reprojection error under h (see words_match.h). */
static double words_match_error(const double h[9], const float *src, const float *dst,
                                const unsigned char *mask, int pairs){
  double sum = 0, det = fabs(h[0]*h[4] - h[1]*h[3]);
  int i, n = 0;
  for(i=0; i<pairs; i++){
    double x = src[2*i], y = src[2*i+1], w = h[6]*x + h[7]*y + h[8], dx, dy;
    if( !mask[i] || fabs(w)<1e-12 ) continue;
    dx = (h[0]*x + h[1]*y + h[2])/w - dst[2*i];
    dy = (h[3]*x + h[4]*y + h[5])/w - dst[2*i+1];
    sum += dx*dx + dy*dy;
    n++;
  }
  return n ? sum/n/(det>1 ? det : 1) : 0;
}

int words_match(const WordsBlob *a, const WordsBlob *b, int hamming,
                int min_inliers, int *inliers, double *homography, double *error,
                char **pzErr){
  float *src, *dst;
  int *distance;
  WordsPair *scratch;
  unsigned char *mask;
  double h[9];
  int i = 0, j = 0, pairs = 0, rc = SQLITE_OK;

  *inliers = 0;
  src = (float*)sqlite3_malloc64((sizeof(float)*4 + sizeof(int) + sizeof(WordsPair) + 1)
                                 *WORDS_MATCH_MAX_PAIRS);
  if( src==0 ) return SQLITE_NOMEM;
  dst = src + 2*WORDS_MATCH_MAX_PAIRS;
  distance = (int*)(dst + 2*WORDS_MATCH_MAX_PAIRS);
  scratch = (WordsPair*)(distance + WORDS_MATCH_MAX_PAIRS);
  mask = (unsigned char*)(scratch + WORDS_MATCH_MAX_PAIRS);
  while( i<a->count && j<b->count && pairs<WORDS_MATCH_MAX_PAIRS ){
    WordFeature fa, fb, best = {0, 0, 0.0f, 0.0f};
    int k, best_distance = hamming+1, second = hamming+1;
    words_blob_feature(a, i, &fa);
    words_blob_feature(b, j, &fb);
    if( fa.word<fb.word ){ i++; continue; }
    if( fa.word>fb.word ){ j++; continue; }
    for(k=j; k<b->count; k++){
      int distance;
      words_blob_feature(b, k, &fb);
      if( fb.word!=fa.word ) break;
      distance = __builtin_popcount(fa.signature ^ fb.signature);
      if( distance<best_distance ){
        second = best_distance; best_distance = distance; best = fb;
      }else if( distance<second ){
        second = distance;
      }
    }
    /* the nearest signature, if clearly nearer than the next (a ratio
    ** test in bits) */
    if( best_distance<=hamming && second-best_distance>=WORDS_MATCH_MARGIN ){
      src[2*pairs] = fa.x; src[2*pairs+1] = fa.y;
      dst[2*pairs] = best.x; dst[2*pairs+1] = best.y;
      distance[pairs] = best_distance;
      pairs++;
    }
    i++;            /* j stays: a's next feature may share the word */
  }
  if( a->count>a->n_features ){
    pairs = words_match_one_per_point(src, dst, distance, pairs, scratch, mask);
  }
  if( pairs>=SIFT_HOMOGRAPHY_MIN_PAIRS && pairs>=min_inliers ){
    rc = sift_homography_ransac(src, dst, pairs, MATCH_RANSAC_THRESHOLD, h, mask,
                                inliers, pzErr);
    if( rc==SQLITE_OK && *inliers>0
     && !(words_match_scale_ok(h)
          && words_match_spread(src, mask, pairs, a->width, a->height)
          && words_match_spread(dst, mask, pairs, b->width, b->height)) ){
      *inliers = 0;
    }
  }
  for(i=0; homography && i<9; i++) homography[i] = rc==SQLITE_OK && *inliers>0 ? h[i] : 0.0;
  if( error ) *error = rc==SQLITE_OK && *inliers>0 ? words_match_error(h, src, dst, mask, pairs) : 0.0;
  sqlite3_free(src);
  return rc;
}
