/*
** words_blob.c — the words blob of words_blob.h.
**
** Words blob, version 1 (all little-endian):
**
**   offset  size  field
**   0       4     magic "WRDS"
**   4       1     format version (1)
**   5       1     mirrored: 0, or 1 for the words of the mirror image
**   6       2     reserved, zero
**   8       4     count   u32, entries (one a feature, or see 20)
**   12      4     width   u32, pixels of the original image
**   16      4     height  u32
**   20      4     features u32: 0 when each feature has one word (count
**                 of them); with several words a feature (img_words'
**                 near), how many features the count entries come from
**   24      ...   count entries of 16 bytes, sorted by word (then by the
**                 feature's place in the sift blob):
**                   u32 word, u32 signature, f32 x, f32 y
**
** The words depend on the vocabulary they were made with: a blob is only
** comparable with blobs (and an inverted file) of the same vocabulary.
*/
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "sqlite_ext.h"
#include "bytes.h"
#include "error.h"
#include "match.h"
#include "words_blob.h"

static const BlobFormat words_blob_format = {
  {'W', 'R', 'D', 'S'}, 1, WORDS_BLOB_HEADER_BYTES, "words blob",
  "img_words(sift, vocabulary)", "recompute it with img_words", 1
};

int words_blob_parse(const void *data, size_t n, WordsBlob *out, char **pzErr){
  const unsigned char *p = (const unsigned char*)data;
  uint32_t count, width, height, features, previous = 0;
  uint64_t expected, i;
  int rc;

  memset(out, 0, sizeof(*out));
  rc = blob_header_check(&words_blob_format, data, n, pzErr);   /* mirrored: 0 or 1 */
  if( rc ) return rc;
  count = bytes_get_u32(p+8);
  width = bytes_get_u32(p+12);
  height = bytes_get_u32(p+16);
  features = bytes_get_u32(p+20);
  expected = WORDS_BLOB_HEADER_BYTES + (uint64_t)count*WORDS_BLOB_FEATURE_BYTES;
  if( expected!=(uint64_t)n || count>(uint32_t)(INT32_MAX/WORDS_BLOB_FEATURE_BYTES) ){
    return error_set(pzErr, SQLITE_ERROR,
        "corrupt words blob: %u features need %llu bytes, the blob has %llu",
        count, (unsigned long long)expected, (unsigned long long)n);
  }
  if( width==0 || height==0 || width>INT32_MAX || height>INT32_MAX ){
    return error_set(pzErr, SQLITE_ERROR, "corrupt words blob: image size %ux%u is invalid",
                     width, height);
  }
  if( features!=0 && (features>count || (uint64_t)features*WORDS_MAX_NEAR<count) ){
    return error_set(pzErr, SQLITE_ERROR, "corrupt words blob: %u entries cannot come "
                     "from %u features", count, features);
  }
  for(i=0; i<count; i++){
    const unsigned char *f = p + WORDS_BLOB_HEADER_BYTES + i*WORDS_BLOB_FEATURE_BYTES;
    uint32_t word = bytes_get_u32(f);
    if( word<previous || !isfinite(bytes_get_f32(f+8)) || !isfinite(bytes_get_f32(f+12)) ){
      return error_set(pzErr, SQLITE_ERROR,
          "corrupt words blob: feature %llu is out of order or not finite",
          (unsigned long long)i);
    }
    previous = word;
  }
  out->count = (int)count;
  out->n_features = features ? (int)features : (int)count;
  out->width = (int)width;
  out->height = (int)height;
  out->mirrored = p[5];
  out->features = p + WORDS_BLOB_HEADER_BYTES;
  return SQLITE_OK;
}

void words_blob_feature(const WordsBlob *blob, int i, WordFeature *out){
  const unsigned char *f = blob->features + (size_t)i*WORDS_BLOB_FEATURE_BYTES;
  out->word = bytes_get_u32(f);
  out->signature = bytes_get_u32(f+4);
  out->x = bytes_get_f32(f+8);
  out->y = bytes_get_f32(f+12);
}

typedef struct WordsSortKey { uint32_t word, signature; int index; } WordsSortKey;

static int words_sort_key_cmp(const void *a, const void *b){
  const WordsSortKey *x = (const WordsSortKey*)a, *y = (const WordsSortKey*)b;
  if( x->word!=y->word ) return x->word<y->word ? -1 : 1;
  return (x->index>y->index) - (x->index<y->index);
}

unsigned char *words_blob_encode(const WordVocab *vocab, const SiftBlob *sift,
                                 int mirrored, int near, double ratio, size_t *pn){
  WordsSortKey *keys;
  unsigned char *p;
  int i, j, count = 0;
  if( near<1 ) near = 1;
  if( near>WORDS_MAX_NEAR ) near = WORDS_MAX_NEAR;
  keys = (WordsSortKey*)sqlite3_malloc64(sizeof(WordsSortKey)*((uint64_t)sift->count*near+1));
  if( keys==0 ) return 0;
  for(i=0; i<sift->count; i++){
    const unsigned char *d = sift->descriptors + (size_t)i*SIFT_DESCRIPTOR_BYTES;
    unsigned char flipped[SIFT_DESCRIPTOR_BYTES];
    uint32_t words[WORDS_MAX_NEAR], signatures[WORDS_MAX_NEAR];
    int n;
    if( mirrored ){ match_mirror_descriptor(d, flipped); d = flipped; }
    n = words_quantize_near(vocab, d, near, ratio, words, signatures);
    for(j=0; j<n; j++, count++){
      keys[count].word = words[j];
      keys[count].signature = signatures[j];
      keys[count].index = i;
    }
  }
  qsort(keys, (size_t)count, sizeof(WordsSortKey), words_sort_key_cmp);
  p = (unsigned char*)sqlite3_malloc64(WORDS_BLOB_HEADER_BYTES
                                       + (uint64_t)count*WORDS_BLOB_FEATURE_BYTES);
  if( p==0 ){
    sqlite3_free(keys);
    return 0;
  }
  blob_header_write(&words_blob_format, mirrored!=0, p);
  bytes_put_u32(p+8, (uint32_t)count);
  bytes_put_u32(p+12, (uint32_t)sift->width);
  bytes_put_u32(p+16, (uint32_t)sift->height);
  bytes_put_u32(p+20, count>sift->count ? (uint32_t)sift->count : 0);
  for(i=0; i<count; i++){
    unsigned char *f = p + WORDS_BLOB_HEADER_BYTES + (size_t)i*WORDS_BLOB_FEATURE_BYTES;
    SiftKeypoint k;
    sift_blob_keypoint(sift, keys[i].index, &k);
    bytes_put_u32(f, keys[i].word);
    bytes_put_u32(f+4, keys[i].signature);
    bytes_put_f32(f+8, mirrored ? (float)(sift->width-1) - k.x : k.x);
    bytes_put_f32(f+12, k.y);
  }
  sqlite3_free(keys);
  *pn = WORDS_BLOB_HEADER_BYTES + (size_t)count*WORDS_BLOB_FEATURE_BYTES;
  return p;
}
