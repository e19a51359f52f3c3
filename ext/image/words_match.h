/*
** words_match.h — geometric verification of two images from their words:
** features that share a word and nearly the same signature are taken as
** correspondences, and a RANSAC homography counts how many agree.  The
** cheap counterpart of match.h's descriptor matching: no 128-byte
** descriptors, no nearest-neighbour search, a merge of two sorted lists.
**
** Contract: plain C over parsed words blobs, RANSAC through sift_cv.h.
** Errors follow ext/error.h.
*/
#ifndef IMGSEARCH_WORDS_MATCH_H
#define IMGSEARCH_WORDS_MATCH_H
#include "words_blob.h"

#define WORDS_MATCH_HAMMING      8    /* of 32 signature bits */
#define WORDS_MATCH_MARGIN       2    /* bits between the nearest and the next */
#define WORDS_MATCH_MAX_PAIRS    4000
#define WORDS_MATCH_MIN_SPREAD   0.1  /* inliers span 10% of each side */
#define WORDS_MATCH_MAX_AREA_RATIO 100.0  /* scale 1/10 .. 10 per side */

/* a is the query (a possible copy), b a candidate original.
** *inliers = the RANSAC inliers (MATCH_RANSAC_THRESHOLD pixels) of the
** homography b ~ H a over a's and b's correspondences; 0 with fewer than
** four, or fewer than min_inliers (RANSAC is not run: it could not find
** more inliers than pairs), and 0 for an implausible model (words_match.c:
** one that squeezes one image into a few pixels of the other).  Both blobs
** must come from the same vocabulary.  homography (9 doubles, row-major,
** or NULL) gets H when *inliers > 0, else zeros.  error (or NULL) gets the
** inliers' mean squared distance from where H puts them, in pixels² of the
** smaller image (divided by the area scale |det| of H's linear part when
** it is above 1): an edit of one photo fits H to a fraction of a pixel,
** another photo of the same 3D object only roughly.  0 without inliers. */
int words_match(const WordsBlob *a, const WordsBlob *b, int hamming,
                int min_inliers, int *inliers, double *homography, double *error,
                char **pzErr);

#endif
