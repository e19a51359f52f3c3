/*
** fuzz_sift_blob.c — libFuzzer target for the blob parsers and what runs on
** a parsed blob: sift_blob_parse (ext/sift_blob.c) then sift_count-style
** reads, VLAD against a fixed codebook (ext/vlad.c) and matching the blob
** with itself (ext/match.c: ratio test, mirroring, RANSAC through
** ext/sift_cv.cpp with whatever finite coordinates the input holds): its
** first 32 keypoints against its first 16 or fewer, so that the two sides
** differ in size and an input costs well under a millisecond; also
** vlad_codebook_parse and pca_model_parse (ext/pca.c) on the same bytes,
** with a projection when a model parses; words_blob_parse (with the blob's
** first 32 features matched against themselves by words_match) and
** words_vocab_parse (with one descriptor quantized) likewise.
**
** Built and run by tests/fuzz/run.sh.  Any sanitizer report or abort() is
** a bug.
*/
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "image/match.h"
#include "image/pca.h"
#include "image/sift_blob.h"
#include "image/vlad.h"
#include "image/words_blob.h"
#include "image/words_match.h"

#define FUZZ_CLUSTERS     4
#define FUZZ_MATCH_KEYPOINTS 32   /* matching is quadratic in keypoints */

/* A fixed codebook: centroid c is RootSIFT of a descriptor with one bright
** spatial bin. */
static void fuzz_codebook(VladCodebook *codebook, float *centroids){
  int c, i;
  for(c=0; c<FUZZ_CLUSTERS; c++){
    unsigned char d[VLAD_DESCRIPTOR_DIMS];
    for(i=0; i<VLAD_DESCRIPTOR_DIMS; i++) d[i] = (unsigned char)((i/32)==c ? 100 : 3);
    vlad_rootsift(d, centroids + c*VLAD_DESCRIPTOR_DIMS);
  }
  codebook->clusters = FUZZ_CLUSTERS;
  codebook->centroids = centroids;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size){
  SiftBlob blob;
  VladCodebook parsed;
  PcaModel model;
  char *zErr = 0;

  if( sift_blob_parse(data, size, &blob, &zErr)==SQLITE_OK ){
    static float centroids[FUZZ_CLUSTERS*VLAD_DESCRIPTOR_DIMS];
    static float vlad[FUZZ_CLUSTERS*VLAD_DESCRIPTOR_DIMS];
    VladCodebook codebook;
    SiftBlob a = blob, b = blob;
    MatchResult result;
    int i;
    if( zErr ) abort();
    for(i=0; i<blob.count; i++){
      SiftKeypoint k;
      sift_blob_keypoint(&blob, i, &k);
    }
    fuzz_codebook(&codebook, centroids);
    vlad_encode(&codebook, blob.descriptors, blob.count, vlad);
    if( a.count>FUZZ_MATCH_KEYPOINTS ) a.count = FUZZ_MATCH_KEYPOINTS;
    b.count = (a.count+1)/2;
    if( match_sift(&a, &b, 1, &result, &zErr)==SQLITE_OK ){
      if( result.inliers<0 || result.inliers>b.count ) abort();
      if( (result.inliers>0)!=(result.inlier_pairs!=0) ) abort();
      match_result_free(&result);
    }else if( zErr==0 ){
      abort();
    }
  }else if( zErr==0 ){
    abort();                                /* every failure has a message */
  }
  sqlite3_free(zErr);
  zErr = 0;

  if( vlad_codebook_parse(data, size, &parsed, &zErr)==SQLITE_OK ){
    unsigned char d[VLAD_DESCRIPTOR_DIMS];
    float *v = malloc(sizeof(float)*(size_t)parsed.clusters*VLAD_DESCRIPTOR_DIMS);
    memset(d, 7, sizeof(d));
    if( v ) vlad_encode(&parsed, d, 1, v);
    free(v);
    vlad_codebook_free(&parsed);
  }
  sqlite3_free(zErr);
  zErr = 0;

  if( pca_model_parse(data, size, &model, &zErr)==SQLITE_OK ){
    float *in = calloc((size_t)model.input_dims, sizeof(float));
    float *out = malloc(sizeof(float)*(size_t)model.output_dims);
    if( in && out ){
      in[0] = 1.0f;
      pca_project(&model, in, out);
    }
    free(in);
    free(out);
    pca_model_free(&model);
  }
  sqlite3_free(zErr);
  zErr = 0;

  {
    WordsBlob words;
    WordVocab vocab;
    if( words_blob_parse(data, size, &words, &zErr)==SQLITE_OK ){
      int inliers = -1;
      if( words.count>FUZZ_MATCH_KEYPOINTS ) words.count = FUZZ_MATCH_KEYPOINTS;
      if( words_match(&words, &words, WORDS_MATCH_HAMMING, 8, &inliers, 0, 0, &zErr)==SQLITE_OK ){
        if( inliers<0 || inliers>words.count ) abort();
      }else if( zErr==0 ){
        abort();
      }
    }else if( zErr==0 ){
      abort();
    }
    sqlite3_free(zErr);
    zErr = 0;
    if( words_vocab_parse(data, size, &vocab, &zErr)==SQLITE_OK ){
      unsigned char d[VLAD_DESCRIPTOR_DIMS];
      uint32_t word, signature;
      memset(d, 7, sizeof(d));
      words_quantize(&vocab, d, &word, &signature);
      if( word>=vocab.words ) abort();
      words_vocab_free(&vocab);
    }
    sqlite3_free(zErr);
  }
  return 0;
}
