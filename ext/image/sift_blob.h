/*
** sift_blob.h — the sift blob: SIFT keypoints and descriptors of one image
** in one BLOB, as made by img_sift().  The byte layout is documented at the
** top of sift_blob.c.
**
** Contract: plain C over bytes.  sift_blob_parse() validates a blob and
** returns a view into the caller's bytes (nothing is copied or owned);
** sift_blob_encode() builds a new blob.  No other sqlite3 call than
** sqlite3_malloc64 / sqlite3_mprintf.
**
** Errors: SQLite result codes; on failure *pzErr (if pzErr is not NULL)
** receives a sqlite3_mprintf() message for the caller to sqlite3_free().
*/
#ifndef IMGSEARCH_SIFT_BLOB_H
#define IMGSEARCH_SIFT_BLOB_H

#include <stddef.h>
#include "sift_cv.h"

#define SIFT_BLOB_VERSION         1
#define SIFT_BLOB_HEADER_BYTES    20
#define SIFT_BLOB_KEYPOINT_BYTES  20    /* five float32 */
#define SIFT_BLOB_FEATURE_BYTES   (SIFT_BLOB_KEYPOINT_BYTES + SIFT_DESCRIPTOR_BYTES)

/* A validated sift blob.  Points into the parsed bytes, which must outlive
** it.  Every keypoint value is finite. */
typedef struct SiftBlob {
  int count;                          /* keypoints */
  int width, height;                  /* original image size, pixels */
  const unsigned char *keypoints;     /* count * SIFT_BLOB_KEYPOINT_BYTES */
  const unsigned char *descriptors;   /* count * SIFT_DESCRIPTOR_BYTES,
                                      ** contiguous, row i for keypoint i */
} SiftBlob;

/* 1 if the bytes start with the sift blob magic (whatever follows). */
int sift_blob_has_magic(const void *data, size_t n);

/* Validate data[n] as a sift blob: magic, version, reserved bytes, sizes,
** exact length, finite keypoint values.  On failure *out is zeroed. */
int sift_blob_parse(const void *data, size_t n, SiftBlob *out, char **pzErr);

/* Keypoint i (0 <= i < blob->count) of a parsed blob. */
void sift_blob_keypoint(const SiftBlob *blob, int i, SiftKeypoint *out);

/* A new blob (sqlite3_malloc64; caller frees) for count features of an
** image of width x height pixels.  descriptors holds count rows of
** SIFT_DESCRIPTOR_BYTES.  NULL if out of memory.  *pn gets its size. */
unsigned char *sift_blob_encode(int width, int height, int count,
                                const SiftKeypoint *keypoints,
                                const unsigned char *descriptors, size_t *pn);

#endif /* IMGSEARCH_SIFT_BLOB_H */
