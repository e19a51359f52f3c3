/*
** image_heif.c — the only libheif translation unit: HEIC/HEIF (HEVC) and
** AVIF (AV1) behind the ImageCodec interface (image_codec.h).
**
** May call: libheif's C API (heif.h), error.h, sqlite3_malloc64 /
** sqlite3_free through sqlite3ext.h.
**
** The primary image is decoded, as a phone's gallery shows it: libheif
** applies the file's rotation and mirroring (irot, imir) and its crop
** (clap), so the pixels handed back are upright (orientation 1) and the
** header's size is the transformed one.  The bytes are read in place
** (heif_context_read_from_memory_without_copy); every call has its own
** context.  heif_init runs once per process (pthread_once), and
** heif_deinit never: each init/deinit pair registers and unregisters the
** decoder plugins, which made a call 20 times slower (2.8 ms for an 8x8
** image's header).  The once-flag is the only state outside a call, and it
** never changes after the first call.
**
** Which compressions decode depends on the plugins libheif was built with
** (Debian: libde265 for HEVC, dav1d and aom for AV1); a file whose codec
** has no decoder is refused with libheif's message.
*/
#include "sqlite3ext.h"
SQLITE_EXTENSION_INIT3

#include <pthread.h>
#include <string.h>

#include <libheif/heif.h>

#include "error.h"
#include "image_codec.h"

/* An ISO base media file ("ftyp" box first) whose brands libheif knows as
** a still image. */
static int image_heif_sniff(const unsigned char *p, size_t n){
  if( n<12 || memcmp(p+4, "ftyp", 4)!=0 || n>0x7fffffff ) return 0;
  return heif_check_filetype(p, (int)n)!=heif_filetype_no;
}

static const char *image_heif_format(const unsigned char *p, size_t n){
  enum heif_brand brand = heif_main_brand(p, (int)(n<64 ? n : 64));
  return brand==heif_avif || brand==heif_avis ? "avif" : "heif";
}

/* libheif's error as ours.  It reports its own size limit (32768 x 32768
** pixels) as a memory allocation error with the subcode "security limit
** exceeded": that is an image too large, not an out-of-memory. */
static int image_heif_error(struct heif_error e, const char *zWhat,
                            const unsigned char *p, size_t n, char **pzErr){
  const char *zMsg = e.message ? e.message : "unknown error";
  int len = (int)strlen(zMsg), rc = SQLITE_ERROR;
  while( len>0 && (zMsg[len-1]=='\n' || zMsg[len-1]==' ') ) len--;
  if( e.subcode==heif_suberror_Security_limit_exceeded ) rc = SQLITE_TOOBIG;
  else if( e.code==heif_error_Memory_allocation_error ) rc = SQLITE_NOMEM;
  return error_set(pzErr, rc, "cannot %s %s image: %.*s", zWhat,
                   image_heif_format(p, n), len, zMsg);
}

static pthread_once_t image_heif_once = PTHREAD_ONCE_INIT;
static void image_heif_init(void){ heif_init(0); }

/* Open the bytes and the primary image's handle.  On success the caller
** releases both (image_heif_close). */
static int image_heif_open(const unsigned char *p, size_t n,
                           struct heif_context **pCtx,
                           struct heif_image_handle **pHandle, char **pzErr){
  struct heif_error e;
  *pHandle = 0;
  pthread_once(&image_heif_once, image_heif_init);
  *pCtx = heif_context_alloc();
  if( *pCtx==0 ){
    return error_set(pzErr, SQLITE_NOMEM, "out of memory opening a %s image",
                     image_heif_format(p, n));
  }
  e = heif_context_read_from_memory_without_copy(*pCtx, p, n, 0);
  if( e.code==heif_error_Ok ){
    e = heif_context_get_primary_image_handle(*pCtx, pHandle);
  }
  if( e.code!=heif_error_Ok ){
    /* e.message lives in the context: copied out before it is freed. */
    int rc = image_heif_error(e, "read the header of the", p, n, pzErr);
    heif_context_free(*pCtx);
    *pCtx = 0;
    *pHandle = 0;
    return rc;
  }
  return SQLITE_OK;
}

static void image_heif_close(struct heif_context *ctx,
                             struct heif_image_handle *handle){
  heif_image_handle_release(handle);
  heif_context_free(ctx);
}

static int image_heif_probe(const unsigned char *p, size_t n, ImageInfo *out,
                            char **pzErr){
  struct heif_context *ctx;
  struct heif_image_handle *handle;
  int rc = image_heif_open(p, n, &ctx, &handle, pzErr);
  if( rc!=SQLITE_OK ) return rc;
  out->width = heif_image_handle_get_width(handle);
  out->height = heif_image_handle_get_height(handle);
  out->channels = heif_image_handle_has_alpha_channel(handle) ? 4 : 3;
  out->format = image_heif_format(p, n);
  image_heif_close(ctx, handle);
  if( out->width<=0 || out->height<=0 ){
    return error_set(pzErr, SQLITE_ERROR, "%s header says %dx%d: the image has "
                     "no pixels", out->format, out->width, out->height);
  }
  return SQLITE_OK;
}

static int image_heif_decode(const unsigned char *p, size_t n,
                             uint64_t max_pixels, unsigned char **pPixels,
                             int *pWidth, int *pHeight, int *pOrientation,
                             char **pzErr){
  struct heif_context *ctx;
  struct heif_image_handle *handle;
  struct heif_image *img = 0;
  struct heif_error e;
  const uint8_t *plane;
  unsigned char *pixels;
  int w, h, stride = 0, y, rc;

  *pPixels = 0;
  *pOrientation = 1;
  rc = image_heif_open(p, n, &ctx, &handle, pzErr);
  if( rc!=SQLITE_OK ) return rc;
  e = heif_decode_image(handle, &img, heif_colorspace_RGB,
                        heif_chroma_interleaved_RGB, 0);
  if( e.code!=heif_error_Ok ){
    rc = image_heif_error(e, "decode the", p, n, pzErr);
    goto cleanup;
  }
  w = heif_image_get_width(img, heif_channel_interleaved);
  h = heif_image_get_height(img, heif_channel_interleaved);
  plane = heif_image_get_plane_readonly(img, heif_channel_interleaved, &stride);
  if( plane==0 || w<=0 || h<=0 || stride<3*w
   || (max_pixels && (uint64_t)w*(uint64_t)h > max_pixels) ){
    rc = error_set(pzErr, SQLITE_ERROR, "cannot decode the %s image: the "
                   "decoder returned %dx%d pixels", image_heif_format(p, n), w, h);
    goto cleanup;
  }
  pixels = (unsigned char*)sqlite3_malloc64((sqlite3_uint64)w*(sqlite3_uint64)h*3);
  if( pixels==0 ){
    rc = error_set(pzErr, SQLITE_NOMEM, "out of memory decoding a %dx%d %s "
                   "image", w, h, image_heif_format(p, n));
    goto cleanup;
  }
  for(y=0; y<h; y++){
    memcpy(pixels + (size_t)y*w*3, plane + (size_t)y*stride, (size_t)w*3);
  }
  *pPixels = pixels;
  *pWidth = w;
  *pHeight = h;

cleanup:
  heif_image_release(img);
  image_heif_close(ctx, handle);
  return rc;
}

const ImageCodec image_codec_heif = {
  image_heif_sniff, image_heif_probe, image_heif_decode
};
