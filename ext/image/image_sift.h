/*
** image_sift.h — from image bytes to a sift blob: the pipeline img_sift and
** img_keypoints share (image_sift.c).
**
** Contract: decode under the caller's limits (image.h), SIFT on the working
** copy (sift_cv.h), keypoints mapped back to the original image's
** coordinates, one new sift blob (sift_blob.h).  No database access.
** Errors follow error.h: an SQLite result code, and a sqlite3_mprintf()
** message in *pzErr for the caller to sqlite3_free().
*/
#ifndef IMGSEARCH_IMAGE_SIFT_H
#define IMGSEARCH_IMAGE_SIFT_H

#include <stddef.h>
#include "image.h"

#define IMAGE_SIFT_DEFAULT_FEATURES  1000      /* img_sift, img_keypoints */
#define IMAGE_SIFT_MAX_FEATURES      1000000   /* img_sift's max_features */

/* Decode data[n] under limits, run SIFT on the (possibly downscaled) grey
** copy keeping at most max_features (0 = all), and return a new sift blob
** (*pBlob, sqlite3_malloc64, caller frees; *pn its size) whose keypoints
** are in original-image pixels.  Bytes that already are a sift blob are
** refused with a message saying so. */
int image_sift_blob(const ImageLimits *limits, const unsigned char *data,
                    size_t n, int max_features, unsigned char **pBlob,
                    size_t *pn, char **pzErr);

#endif /* IMGSEARCH_IMAGE_SIFT_H */
