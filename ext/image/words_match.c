/*
** words_match.c — verification from words; see words_match.h.
**
** Both blobs are sorted by word, so the correspondences are a merge: for
** each feature of a, the features of b with its word, kept when the
** signatures differ in at most `hamming` bits, at most
** WORDS_MATCH_PER_FEATURE of them (a word repeated all over b — a
** texture, text — would otherwise flood RANSAC with pairs).
*/
#include "sqlite_ext.h"
#include "match.h"
#include "sift_cv.h"
#include "words_match.h"

int words_match(const WordsBlob *a, const WordsBlob *b, int hamming,
                int min_inliers, int *inliers, char **pzErr){
  float *src, *dst;
  double h[9];
  int i = 0, j = 0, pairs = 0, rc = SQLITE_OK;

  *inliers = 0;
  src = (float*)sqlite3_malloc64(sizeof(float)*4*WORDS_MATCH_MAX_PAIRS);
  if( src==0 ) return SQLITE_NOMEM;
  dst = src + 2*WORDS_MATCH_MAX_PAIRS;
  while( i<a->count && j<b->count && pairs<WORDS_MATCH_MAX_PAIRS ){
    WordFeature fa, fb;
    int k, taken = 0;
    words_blob_feature(a, i, &fa);
    words_blob_feature(b, j, &fb);
    if( fa.word<fb.word ){ i++; continue; }
    if( fa.word>fb.word ){ j++; continue; }
    for(k=j; k<b->count && pairs<WORDS_MATCH_MAX_PAIRS; k++){
      words_blob_feature(b, k, &fb);
      if( fb.word!=fa.word ) break;
      if( taken<WORDS_MATCH_PER_FEATURE
       && __builtin_popcount(fa.signature ^ fb.signature)<=hamming ){
        src[2*pairs] = fa.x; src[2*pairs+1] = fa.y;
        dst[2*pairs] = fb.x; dst[2*pairs+1] = fb.y;
        pairs++; taken++;
      }
    }
    i++;            /* j stays: a's next feature may share the word */
  }
  if( pairs>=SIFT_HOMOGRAPHY_MIN_PAIRS && pairs>=min_inliers ){
    rc = sift_homography_ransac(src, dst, pairs, MATCH_RANSAC_THRESHOLD, h, 0,
                                inliers, pzErr);
  }
  sqlite3_free(src);
  return rc;
}
