/*
** match.h — geometric verification of two images' SIFT features: Lowe's
** ratio test on RootSIFT descriptors, then a RANSAC homography, tried both
** as is and against the horizontally mirrored second image.
**
** Contract: plain C over parsed sift blobs (sift_blob.h); RANSAC through
** sift_cv.h.  No database access.  Errors are SQLite result codes with a
** sqlite3_mprintf() message in *pzErr (when not NULL) for the caller to
** sqlite3_free().
*/
#ifndef IMGSEARCH_MATCH_H
#define IMGSEARCH_MATCH_H

#include "sift_blob.h"

#define MATCH_RATIO              0.8   /* Lowe: nearest < 0.8 x second */
#define MATCH_RANSAC_THRESHOLD   5.0   /* reprojection error, pixels */
#define MATCH_MIN_INLIERS        8     /* fewer is reported as 0 */

typedef struct MatchResult {
  int inliers;            /* RANSAC inliers; 0 if below MATCH_MIN_INLIERS */
  int matches;            /* tentative matches that passed the ratio test,
                          ** for the orientation reported */
  int mirrored;           /* 1 if the mirrored second image matched better */
  double homography[9];   /* row-major, maps (x, y, 1) of the first image
                          ** to the second image's ORIGINAL (unmirrored)
                          ** coordinates; all zero when inliers == 0 */
  float *inlier_pairs;    /* only when asked for (want_pairs): inliers rows
                          ** of (x1, y1, x2, y2), a keypoint of the first
                          ** image and its match in the second, both in
                          ** original (unmirrored) pixels, in a's keypoint
                          ** order; NULL when inliers == 0.  Owned: release
                          ** with match_result_free */
} MatchResult;

/* Match a against b and b mirrored left-right; report the orientation with
** more inliers (the unmirrored one on a tie).  With want_pairs, also fill
** out->inlier_pairs.  Brute-force matching costs O(a->count * b->count).
** On failure *out is zeroed (nothing to free). */
int match_sift(const SiftBlob *a, const SiftBlob *b, int want_pairs,
               MatchResult *out, char **pzErr);

/* Release out->inlier_pairs and zero *out.  Safe on a zeroed result. */
void match_result_free(MatchResult *out);

/* The descriptor of the same keypoint in the image mirrored left-right.
** OpenCV's SIFT descriptor is 4x4 spatial bins x 8 orientation bins, index
** (row*4 + col)*8 + o, rows and columns in the keypoint's own rotated
** frame; the mirrored one is ((3-row)*4 + col)*8 + (8-o)%8.  in and out
** must not overlap.  Why rows and not columns: see match.c. */
void match_mirror_descriptor(const unsigned char *in, unsigned char *out);

#endif /* IMGSEARCH_MATCH_H */
