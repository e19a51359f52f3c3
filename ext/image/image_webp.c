/*
** image_webp.c — the only libwebp translation unit: WebP behind the
** ImageCodec interface (image_codec.h).
**
** May call: libwebp's decoder (decode.h), error.h, sqlite3_malloc64 and
** sqlite3_free through sqlite3ext.h.
**
** libwebp decodes straight into our buffer (external memory), so no
** allocation of the library outlives a call.  An animated WebP is refused
** with a message: its frames need libwebpdemux and a compositing step, and
** a photo library's animations are rare.  WebP has no orientation of its
** own (browsers ignore an EXIF chunk in WebP too), so pixels are upright.
*/
#include "sqlite3ext.h"
SQLITE_EXTENSION_INIT3

#include <string.h>

#include <webp/decode.h>

#include "error.h"
#include "image_codec.h"

/* RIFF, a 4-byte length, WEBP. */
static int image_webp_sniff(const unsigned char *p, size_t n){
  return n>=12 && memcmp(p, "RIFF", 4)==0 && memcmp(p+8, "WEBP", 4)==0;
}

/* What went wrong, from libwebp's status code. */
static const char *image_webp_reason(VP8StatusCode status){
  switch( status ){
    case VP8_STATUS_OUT_OF_MEMORY:       return "out of memory";
    case VP8_STATUS_INVALID_PARAM:       return "invalid parameter";
    case VP8_STATUS_BITSTREAM_ERROR:     return "corrupt bitstream";
    case VP8_STATUS_UNSUPPORTED_FEATURE: return "unsupported feature";
    case VP8_STATUS_SUSPENDED:           return "decoding suspended";
    case VP8_STATUS_USER_ABORT:          return "decoding aborted";
    case VP8_STATUS_NOT_ENOUGH_DATA:     return "truncated file";
    default:                             return "unknown error";
  }
}

static int image_webp_features(const unsigned char *p, size_t n,
                               WebPBitstreamFeatures *f, char **pzErr){
  VP8StatusCode status = WebPGetFeatures(p, n, f);
  if( status!=VP8_STATUS_OK ){
    return error_set(pzErr, status==VP8_STATUS_OUT_OF_MEMORY ? SQLITE_NOMEM
                     : SQLITE_ERROR, "cannot read the webp header: %s",
                     image_webp_reason(status));
  }
  if( f->width<=0 || f->height<=0 ){
    return error_set(pzErr, SQLITE_ERROR,
        "webp header says %dx%d: the image has no pixels", f->width, f->height);
  }
  return SQLITE_OK;
}

static int image_webp_probe(const unsigned char *p, size_t n, ImageInfo *out,
                            char **pzErr){
  WebPBitstreamFeatures f;
  int rc = image_webp_features(p, n, &f, pzErr);
  if( rc!=SQLITE_OK ) return rc;
  out->width = f.width;
  out->height = f.height;
  out->channels = f.has_alpha ? 4 : 3;
  out->format = "webp";
  return SQLITE_OK;
}

static int image_webp_decode(const unsigned char *p, size_t n,
                             uint64_t max_pixels, unsigned char **pPixels,
                             int *pWidth, int *pHeight, int *pOrientation,
                             char **pzErr){
  WebPDecoderConfig config;
  VP8StatusCode status;
  unsigned char *pixels;
  uint64_t bytes;
  int rc;

  (void)max_pixels;          /* image.c checked the header's size */
  *pPixels = 0;
  *pOrientation = 1;
  if( !WebPInitDecoderConfig(&config) ){
    return error_set(pzErr, SQLITE_ERROR, "libwebp: incompatible library version");
  }
  rc = image_webp_features(p, n, &config.input, pzErr);
  if( rc!=SQLITE_OK ) return rc;
  if( config.input.has_animation ){
    return error_set(pzErr, SQLITE_ERROR,
        "animated webp is not supported; save a frame as a still image");
  }
  bytes = (uint64_t)config.input.width*(uint64_t)config.input.height*3;
  pixels = (unsigned char*)sqlite3_malloc64(bytes);
  if( pixels==0 ){
    return error_set(pzErr, SQLITE_NOMEM, "out of memory decoding a %dx%d webp "
                     "image", config.input.width, config.input.height);
  }
  config.output.colorspace = MODE_RGB;
  config.output.is_external_memory = 1;
  config.output.u.RGBA.rgba = pixels;
  config.output.u.RGBA.stride = config.input.width*3;
  config.output.u.RGBA.size = (size_t)bytes;
  status = WebPDecode(p, n, &config);
  WebPFreeDecBuffer(&config.output);    /* external memory: frees nothing of ours */
  if( status!=VP8_STATUS_OK ){
    sqlite3_free(pixels);
    return error_set(pzErr, status==VP8_STATUS_OUT_OF_MEMORY ? SQLITE_NOMEM
                     : SQLITE_ERROR, "cannot decode webp image (%dx%d): %s",
                     config.input.width, config.input.height,
                     image_webp_reason(status));
  }
  *pPixels = pixels;
  *pWidth = config.input.width;
  *pHeight = config.input.height;
  return SQLITE_OK;
}

const ImageCodec image_codec_webp = {
  image_webp_sniff, image_webp_probe, image_webp_decode
};
