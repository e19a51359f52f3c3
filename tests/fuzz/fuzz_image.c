/*
** fuzz_image.c — libFuzzer target for the image path of img_sift: header
** probe, decode with limits (ext/image.c), SIFT (ext/sift_cv.cpp), and the
** sift blob built from the result (ext/sift_blob.c), which must parse back.
**
** Built and run by tests/fuzz/run.sh (clang -fsanitize=fuzzer,address,
** undefined), linked with -DSQLITE_CORE against the system libsqlite3.
**
** The limits are far below the product's defaults (50 MP, longest side
** 1024) so that an input takes about a millisecond: the code paths are the
** same (probe, the pixel-count check, decode, downscale, SIFT), only the
** images that get through them are small.  The full-size limits are
** exercised by tests/reliability/hostile_images.c.  Any sanitizer report
** or abort() is a bug.
*/
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <sqlite3.h>

#include "image/image.h"
#include "image/sift_blob.h"
#include "image/sift_cv.h"

#define FUZZ_MAX_PIXELS 65536u
#define FUZZ_MAX_SIDE   64
#define FUZZ_FEATURES   50

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size){
  ImageLimits limits = {FUZZ_MAX_PIXELS, FUZZ_MAX_SIDE};
  ImageInfo info;
  GreyImage grey;
  SiftFeatures features;
  char *zErr = 0;

  if( image_probe(data, size, &info, &zErr)==SQLITE_OK ){
    if( info.width<=0 || info.height<=0 || info.format==0 ) abort();
  }
  sqlite3_free(zErr);
  zErr = 0;
  if( image_decode_grey(data, size, &limits, &grey, &zErr)!=SQLITE_OK ){
    if( zErr==0 ) abort();                 /* every failure has a message */
    sqlite3_free(zErr);
    return 0;
  }
  if( grey.width<1 || grey.height<1 || grey.width>FUZZ_MAX_SIDE
   || grey.height>FUZZ_MAX_SIDE ) abort();
  zErr = 0;
  if( sift_extract(grey.pixels, grey.width, grey.height, grey.width,
                   FUZZ_FEATURES, &features, &zErr)==SQLITE_OK ){
    size_t n = 0;
    unsigned char *blob = sift_blob_encode(grey.original_width,
                                           grey.original_height,
                                           features.count, features.keypoints,
                                           features.descriptors, &n);
    SiftBlob view;
    if( features.count>FUZZ_FEATURES ) abort();
    if( blob && sift_blob_parse(blob, n, &view, 0)!=SQLITE_OK ) abort();
    sqlite3_free(blob);
    sift_features_free(&features);
  }else if( zErr==0 ){
    abort();                               /* every failure has a message */
  }
  sqlite3_free(zErr);
  image_grey_free(&grey);
  return 0;
}
