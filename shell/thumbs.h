/*
** thumbs.h — featureless images, compared by thumbnail (thumbs.c).
*/
#ifndef IMGSEARCH_THUMBS_H
#define IMGSEARCH_THUMBS_H
#include <sqlite3.h>

/* An image with fewer SIFT features than this is featureless: it has too
** few visual words to be found as a copy, so it gets a thumbnail. */
#define THUMBS_FEATURELESS 100

/* Two thumbnails that correlate this well (the better of the two ways
** round) are copies.  Chosen on half of the featureless images of the
** 12,666-image benchmark, checked on the other half (docs/BENCHMARKS.md,
** "Featureless images"). */
#define THUMBS_MIN_CORRELATION 0.88

#define THUMBS_STR_(x) #x
#define THUMBS_STR(x) THUMBS_STR_(x)

/* After `index`: the thumbnails of featureless images that have none (new
** ones, and those indexed before thumbnails were kept; their files are
** read again), and none for images no longer featureless.  SQLITE_OK with
** the number of featureless images in *pn, or an error (printed). */
int thumbs_fill(sqlite3 *db, int *pn);

/* SQL: ?1 image bytes, ?2 its sift blob -> img_thumb of the image when it
** is featureless, else NULL. */
#define THUMBS_QUERY_SQL \
  "SELECT CASE WHEN sift_count(?2) < " THUMBS_STR(THUMBS_FEATURELESS) " THEN img_thumb(?1) END"

/* SQL: ?1 a thumbnail, ?2 k -> image id, path, correlation: the k best
** stored thumbnails at or over THUMBS_MIN_CORRELATION, best first. */
#define THUMBS_NEAREST_SQL \
  "SELECT t.image_id, i.path, c FROM (SELECT image_id, 1 - min(" \
  "vec_distance_cosine(thumb, ?1), vec_distance_cosine(mirror, ?1)) AS c FROM thumbs) AS t" \
  " JOIN images AS i ON i.id = t.image_id WHERE c >= " THUMBS_STR(THUMBS_MIN_CORRELATION) " ORDER BY c DESC LIMIT ?2"

/* SQL: every pair of featureless images (ids a < b) and its correlation,
** at or over THUMBS_MIN_CORRELATION. */
#define THUMBS_PAIRS_SQL \
  "SELECT a, b, c FROM (SELECT x.image_id AS a, y.image_id AS b, 1 - min(" \
  "vec_distance_cosine(x.thumb, y.thumb), vec_distance_cosine(x.thumb, y.mirror)) AS c" \
  " FROM thumbs AS x JOIN thumbs AS y ON x.image_id < y.image_id) WHERE c >= " THUMBS_STR(THUMBS_MIN_CORRELATION)
#endif
