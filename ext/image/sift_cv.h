/*
** sift_cv.h — OpenCV behind a C interface of plain types.
**
** Contract: sift_cv.cpp is the only C++ file in the product and the only
** file that includes OpenCV.  No OpenCV type, exception or allocation
** crosses this header.  Every function returns an SQLite result code
** (SQLITE_OK, SQLITE_ERROR, SQLITE_NOMEM, SQLITE_MISUSE for bad arguments)
** and follows error.h: on failure *pzErr (when pzErr is not NULL) receives
** a sqlite3_mprintf() message for the caller to sqlite3_free(); it is left
** NULL on success, and when even the message could not be allocated.
**
** Memory: arrays returned to the caller come from sqlite3_malloc64 and are
** released with the matching *_free function.
**
** Thread safety: no shared mutable state here; functions may be called from
** several threads at once (OpenCV parallelises internally).
**
** New OpenCV-backed functions go in this header under their own heading,
** following the same rules (see "geometric verification" below).
*/
#ifndef IMGSEARCH_SIFT_CV_H
#define IMGSEARCH_SIFT_CV_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- SIFT extraction ----------------------------------------------------- */

#define SIFT_DESCRIPTOR_BYTES 128
#define SIFT_MIN_KEYPOINTS    100   /* below this, retry with lower contrast */

typedef struct SiftKeypoint {
  float x, y;       /* pixel coordinates in the input image, origin top-left */
  float size;       /* diameter of the meaningful neighbourhood, pixels */
  float angle;      /* orientation in degrees, [0, 360) */
  float response;   /* detector strength; larger is stronger */
} SiftKeypoint;

typedef struct SiftFeatures {
  int count;
  SiftKeypoint *keypoints;      /* count entries */
  unsigned char *descriptors;   /* count * SIFT_DESCRIPTOR_BYTES; row i
                                ** describes keypoints[i]; values 0..255 */
  double contrast_threshold;    /* the threshold that produced them */
} SiftFeatures;

/* Detect SIFT keypoints and compute their descriptors on an 8-bit grey
** image of width x height pixels, rows stride bytes apart.
**
** max_features: 0 = keep all; otherwise keep the strongest max_features.
**
** Deterministic: the same pixels always give the same features in the same
** order: by response descending, then y, x, size, angle ascending.
**
** Low contrast: OpenCV's default contrastThreshold 0.04 finds almost nothing
** on dark or flat photos.  If it yields fewer than
** min(SIFT_MIN_KEYPOINTS, max_features) keypoints, detection is repeated
** with 0.02, 0.01 and 0.005, stopping at the first that reaches the minimum
** (else the last is kept).  Normal photos never pay for the retries and
** keep exactly the standard SIFT features.
**
** Tiny or featureless images succeed with count 0.  On success *out owns
** its arrays (free with sift_features_free); on failure *out is zeroed. */
int sift_extract(const unsigned char *pixels, int width, int height,
                 int stride, int max_features, SiftFeatures *out,
                 char **pzErr);

/* Release the arrays of *f and zero it.  Safe on a zeroed struct. */
void sift_features_free(SiftFeatures *f);

/* ---- geometric verification: RANSAC homography --------------------------- */

#define SIFT_HOMOGRAPHY_MIN_PAIRS 4   /* a homography needs 4 correspondences */

/* Fit a homography H with dst ~ H * src to count point pairs by RANSAC
** (cv::findHomography with cv::RANSAC; reprojection threshold in pixels),
** then refine it on the inliers as OpenCV does.
**
** src_xy and dst_xy hold count (x, y) pairs each; every value must be
** finite (SQLITE_MISUSE otherwise).  On success homography[9] is H in
** row-major order scaled so that homography[8] == 1, inlier_mask[i] (when
** inlier_mask is not NULL; count bytes) is 1 for an inlier pair and 0
** otherwise, and *inlier_count is the number of inliers.
**
** Fewer than SIFT_HOMOGRAPHY_MIN_PAIRS pairs, or no model found (e.g. all
** points collinear): success with *inlier_count 0, an all-zero homography
** and an all-zero mask.
**
** Deterministic: OpenCV's RANSAC seeds its generator with a constant, so
** the same pairs in the same order give the same result. */
int sift_homography_ransac(const float *src_xy, const float *dst_xy,
                           int count, double reprojection_threshold,
                           double homography[9], unsigned char *inlier_mask,
                           int *inlier_count, char **pzErr);

#ifdef __cplusplus
}
#endif

#endif /* IMGSEARCH_SIFT_CV_H */
