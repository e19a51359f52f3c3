/*
** words_blob.h — an image's visual words in one BLOB, as made by
** img_words(): per feature its word, its Hamming signature and its
** position.  Enough to put the image in an inverted file and to verify a
** match geometrically, without the 128-byte descriptors.  The byte layout
** is documented at the top of words_blob.c.
**
** Contract: plain C over bytes.  words_blob_parse() validates a blob and
** returns a view into the caller's bytes; words_blob_encode() builds one.
** Errors follow ext/error.h.
*/
#ifndef IMGSEARCH_WORDS_BLOB_H
#define IMGSEARCH_WORDS_BLOB_H
#include <stddef.h>
#include <stdint.h>
#include "sift_blob.h"
#include "words.h"

#define WORDS_BLOB_HEADER_BYTES  24
#define WORDS_BLOB_FEATURE_BYTES 16

typedef struct WordFeature {
  uint32_t word, signature;
  float x, y;              /* pixels of the image as indexed (mirrored: of
                           ** its mirror image) */
} WordFeature;

/* A validated words blob; points into the parsed bytes. */
typedef struct WordsBlob {
  int count;               /* entries */
  int n_features;          /* the features they come from: count, or fewer
                           ** with several words a feature */
  int width, height;
  int mirrored;            /* 1: the words of the mirror image */
  const unsigned char *features;   /* count * WORDS_BLOB_FEATURE_BYTES,
                                   ** sorted by word */
} WordsBlob;

int words_blob_parse(const void *data, size_t n, WordsBlob *out, char **pzErr);
void words_blob_feature(const WordsBlob *blob, int i, WordFeature *out);

/* The words of a sift blob's features (of its mirror image when mirrored
** is 1), sorted by word: a new blob (sqlite3_malloc64; caller frees), or
** NULL if out of memory.  *pn gets its size.  near > 1 gives each feature
** up to that many words (words_quantize_near with ratio): one entry per
** word, so the blob has more entries than the image has features. */
unsigned char *words_blob_encode(const WordVocab *vocab, const SiftBlob *sift,
                                 int mirrored, int near, double ratio, size_t *pn);

#endif
