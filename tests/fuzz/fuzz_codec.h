/*
** fuzz_codec.h — the body of the libFuzzer targets for the decoders of
** ext/image/image_codec.h (fuzz_webp.c, fuzz_tiff.c, fuzz_heif.c), each of
** which defines FUZZ_CODEC (the codec) and includes this.
**
** Inputs that do not start with the codec's magic bytes are dropped, so
** the mutations stay on the library under test.  The rest go through the
** public interface, as img_sift and the report thumbnails use it: probe,
** then decode to grey and to RGB under small limits (the pixel check, the
** decode, the downscale, the orientation).  Any sanitizer report or
** abort() is a bug; so is a failure without a message (out of memory
** aside) or a success with a size outside the limits.
*/
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <sqlite3.h>

#include "image/image.h"
#include "image/image_codec.h"

#define FUZZ_MAX_PIXELS 65536u
#define FUZZ_MAX_SIDE   64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size){
  ImageLimits limits = {FUZZ_MAX_PIXELS, FUZZ_MAX_SIDE};
  ImageInfo info;
  GreyImage grey;
  RgbImage rgb;
  char *zErr = 0;
  int probed, rc;

  if( !FUZZ_CODEC.sniff(data, size) ) return 0;
  probed = image_probe(data, size, &info, &zErr)==SQLITE_OK;
  if( probed && (info.width<=0 || info.height<=0 || info.format==0) ) abort();
  if( !probed && zErr==0 ) abort();
  sqlite3_free(zErr);
  zErr = 0;

  rc = image_decode_grey(data, size, &limits, &grey, &zErr);
  if( rc!=SQLITE_OK ){
    if( zErr==0 && rc!=SQLITE_NOMEM ) abort();
  }else if( grey.width<1 || grey.height<1 || grey.width>FUZZ_MAX_SIDE
         || grey.height>FUZZ_MAX_SIDE || !probed ){
    abort();
  }
  sqlite3_free(zErr);
  zErr = 0;
  image_grey_free(&grey);

  rc = image_decode_rgb(data, size, &limits, &rgb, &zErr);
  if( rc!=SQLITE_OK ){
    if( zErr==0 && rc!=SQLITE_NOMEM ) abort();
  }else{
    size_t i, n = (size_t)rgb.width*(size_t)rgb.height*3;
    unsigned sum = 0;
    if( rgb.width<1 || rgb.height<1 || rgb.width>FUZZ_MAX_SIDE
     || rgb.height>FUZZ_MAX_SIDE ) abort();
    for(i=0; i<n; i++) sum += rgb.pixels[i];   /* ASan: the buffer holds them */
    if( sum>n*255 ) abort();
  }
  sqlite3_free(zErr);
  image_rgb_free(&rgb);
  return 0;
}
