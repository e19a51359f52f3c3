/*
** copy_tier.h — what a verified pair of images is (copy_tier.c).
**
** From the match of their visual words (img_words_match_json: inliers,
** homography H, the inliers' reprojection error), a calibrated confidence
** that one image is a copy of the other, and the relation named:
**
**   same image    a copy whose frame is the other's: re-encoded, resized,
**                 recoloured, blurred, overlaid ("same image 99%: 50% size")
**   edited copy   a copy cropped, turned or mirrored, said which
**                 ("edited copy 97%: mirrored, crop 64%, turned 15°")
**   similar       verified, but the points fit H only as another photo of
**                 the same object or scene does ("similar 8%")
**
** Identical files ("same file") and featureless images (thumbs.h) are
** told apart before any of this.
*/
#ifndef IMGSEARCH_COPY_TIER_H
#define IMGSEARCH_COPY_TIER_H
#include <stddef.h>

/* One verified match of image a's words against image b's. */
typedef struct CopyMatch {
  int inliers;        /* 0: not verified */
  int mirrored;       /* a's mirror image is what matched */
  double error;       /* the inliers' mean squared reprojection error */
  double h[9];        /* H, row-major: a's pixels (mirrored: its mirror
                      ** image's) to b's */
} CopyMatch;

/* What the measures need of an image (0: unknown). */
typedef struct CopyImage {
  int width, height;  /* pixels, upright */
  int features;       /* SIFT features */
} CopyImage;

/* A pair is called a copy from this confidence on; below it, "similar".
** The midpoint of the model, not tuned; read on the report half of the
** 12,666-image benchmark (docs/BENCHMARKS.md, "The confidence `dups`
** prints"). */
#define COPY_MIN_CONFIDENCE 0.5

/* m from an img_words_match_json text (mirrored left as it is).  Returns
** m->inliers: 0 when the text says no match or is not such a text. */
int copy_match_parse(const char *zJson, CopyMatch *m);

/* The probability that images a and b, with match m, are copies of each
** other: the logistic model of copy_tier.c. */
double copy_confidence(const CopyMatch *m, const CopyImage *a, const CopyImage *b);

/* The relation into z (n bytes): "same image 99%: 50% size, 159 inliers",
** "edited copy 97%: mirrored, crop 64%, turned 15°, 310 inliers", or below
** min_confidence (COPY_MIN_CONFIDENCE unless the user chose) "similar 8%,
** 40 inliers".  No crop is said when a size is unknown. */
void copy_describe(const CopyMatch *m, double confidence, double min_confidence,
                   const CopyImage *a, const CopyImage *b, char *z, size_t n);

/* Where one image's frame falls in the other, for outlines: a's frame in
** b's pixels (x0 y0 .. x3 y3), or b's frame in a's (through H's inverse,
** and mirrored back when a's mirror image matched).  0, or -1 when H
** cannot place it (a corner at infinity, H singular). */
int copy_frame_in_b(const CopyMatch *m, const CopyImage *a, double xy[8]);
int copy_frame_in_a(const CopyMatch *m, const CopyImage *a, const CopyImage *b, double xy[8]);

#endif /* IMGSEARCH_COPY_TIER_H */
