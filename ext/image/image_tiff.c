/*
** image_tiff.c — the only libtiff translation unit: TIFF behind the
** ImageCodec interface (image_codec.h).
**
** May call: libtiff (tiffio.h), error.h, sqlite3_malloc64 / sqlite3_free /
** sqlite3_mprintf through sqlite3ext.h.
**
** The bytes are read through TIFFClientOpenExt from memory (no file, no
** mapping), with this call's own error and warning handlers (libtiff 4.5
** open options): libtiff's global handlers print to stderr and are shared
** by every thread, so they are never used or set.  The first error libtiff
** reports is kept and becomes the message.  libtiff's own allocations are
** capped per allocation (TIFF_MAX_SINGLE_ALLOC, or what the pixel limit
** needs if that is more).
**
** Pixels come from libtiff's RGBA interface (TIFFRGBAImage), which reads
** every photometric, bit depth, strip and tile layout in common use, and
** only the first page.  Its orientation handling flips but cannot
** transpose (Orientation 5..8), so it is told the pixels are stored
** top-left, and the Orientation tag goes to image.c, which turns every
** format upright the same way.
*/
#include "sqlite3ext.h"
SQLITE_EXTENSION_INIT3

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <tiffio.h>

#include "error.h"
#include "image_codec.h"

/* A cap on one allocation by libtiff (strip buffers, tables), enough for
** the raster of the default 50 MP limit read a strip at a time. */
#define TIFF_MAX_SINGLE_ALLOC ((tmsize_t)256 << 20)

/* One open file: the bytes, the read position, the first error message.
** The message is a fixed buffer because libtiff's format strings use C99
** length modifiers (%zu, %hu) that sqlite3_vmprintf does not know. */
typedef struct TiffStream {
  const unsigned char *p;
  toff_t n, pos;
  char zError[200];
} TiffStream;

static tmsize_t image_tiff_read(thandle_t h, void *buf, tmsize_t size){
  TiffStream *s = (TiffStream*)h;
  toff_t left = s->pos < s->n ? s->n - s->pos : 0;
  if( size<0 ) return -1;
  if( (toff_t)size > left ) size = (tmsize_t)left;
  memcpy(buf, s->p + s->pos, (size_t)size);
  s->pos += (toff_t)size;
  return size;
}

static tmsize_t image_tiff_write(thandle_t h, void *buf, tmsize_t size){
  (void)h; (void)buf; (void)size;
  return -1;
}

static toff_t image_tiff_seek(thandle_t h, toff_t offset, int whence){
  TiffStream *s = (TiffStream*)h;
  toff_t base = whence==SEEK_CUR ? s->pos : whence==SEEK_END ? s->n : 0;
  if( offset > (toff_t)-1 - base ) return (toff_t)-1;
  s->pos = base + offset;
  return s->pos;
}

static int image_tiff_close(thandle_t h){ (void)h; return 0; }
static toff_t image_tiff_size(thandle_t h){ return ((TiffStream*)h)->n; }
static int image_tiff_map(thandle_t h, void **base, toff_t *size){
  (void)h; (void)base; (void)size;
  return 0;
}
static void image_tiff_unmap(thandle_t h, void *base, toff_t size){
  (void)h; (void)base; (void)size;
}

/* libtiff's error handler for one file: keep the first message; returning
** 1 keeps libtiff's global handlers out. */
static int image_tiff_on_error(TIFF *tif, void *user, const char *zModule,
                               const char *zFormat, va_list ap){
  TiffStream *s = (TiffStream*)user;
  (void)tif; (void)zModule;
  if( s->zError[0]==0 ) vsnprintf(s->zError, sizeof(s->zError), zFormat, ap);
  return 1;
}
static int image_tiff_on_warning(TIFF *tif, void *user, const char *zModule,
                                 const char *zFormat, va_list ap){
  (void)tif; (void)user; (void)zModule; (void)zFormat; (void)ap;
  return 1;
}

/* "II*\0" (little-endian) or "MM\0*" (big-endian); BigTIFF has 43. */
static int image_tiff_sniff(const unsigned char *p, size_t n){
  return n>=4 && ((p[0]=='I' && p[1]=='I' && (p[2]==42 || p[2]==43) && p[3]==0)
               || (p[0]=='M' && p[1]=='M' && p[2]==0 && (p[3]==42 || p[3]==43)));
}

/* Open the bytes; NULL with the message in *pzErr. */
static TIFF *image_tiff_open(const unsigned char *p, size_t n,
                             uint64_t max_pixels, TiffStream *s, char **pzErr){
  TIFFOpenOptions *opts = TIFFOpenOptionsAlloc();
  tmsize_t cap = TIFF_MAX_SINGLE_ALLOC;
  TIFF *tif;
  memset(s, 0, sizeof(*s));
  s->p = p;
  s->n = (toff_t)n;
  if( opts==0 ){
    error_set(pzErr, SQLITE_NOMEM, "out of memory opening a tiff image");
    return 0;
  }
  if( max_pixels > (uint64_t)cap/4 && max_pixels < (uint64_t)1<<40 ){
    cap = (tmsize_t)(max_pixels*4);
  }
  TIFFOpenOptionsSetMaxSingleMemAlloc(opts, cap);
  TIFFOpenOptionsSetErrorHandlerExtR(opts, image_tiff_on_error, s);
  TIFFOpenOptionsSetWarningHandlerExtR(opts, image_tiff_on_warning, s);
  tif = TIFFClientOpenExt("tiff", "rm", (thandle_t)s, image_tiff_read,
                          image_tiff_write, image_tiff_seek, image_tiff_close,
                          image_tiff_size, image_tiff_map, image_tiff_unmap,
                          opts);
  TIFFOpenOptionsFree(opts);
  if( tif==0 ){
    error_set(pzErr, SQLITE_ERROR, "cannot read the tiff header: %s",
              s->zError[0] ? s->zError : "not a readable tiff file");
  }
  return tif;
}

/* Width and height as stored, and the Orientation tag (1 if absent or not
** 1..8). */
static int image_tiff_size_of(TIFF *tif, int *pWidth, int *pHeight,
                              int *pOrientation, char **pzErr){
  uint32_t w = 0, h = 0;
  uint16_t orientation = 1;
  if( !TIFFGetField(tif, TIFFTAG_IMAGEWIDTH, &w)
   || !TIFFGetField(tif, TIFFTAG_IMAGELENGTH, &h) || w==0 || h==0
   || w>0x7fffffff || h>0x7fffffff ){
    return error_set(pzErr, SQLITE_ERROR,
        "tiff header says %ux%u: the image has no pixels", w, h);
  }
  if( !TIFFGetField(tif, TIFFTAG_ORIENTATION, &orientation)
   || orientation<1 || orientation>8 ) orientation = 1;
  *pWidth = (int)w;
  *pHeight = (int)h;
  *pOrientation = orientation;
  return SQLITE_OK;
}

static int image_tiff_probe(const unsigned char *p, size_t n, ImageInfo *out,
                            char **pzErr){
  TiffStream s;
  uint16_t samples = 1;
  int w = 0, h = 0, orientation = 1, rc;
  TIFF *tif = image_tiff_open(p, n, 0, &s, pzErr);
  if( tif==0 ) return SQLITE_ERROR;
  rc = image_tiff_size_of(tif, &w, &h, &orientation, pzErr);
  if( rc==SQLITE_OK ){
    TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLESPERPIXEL, &samples);
    out->width = IMAGE_ORIENTATION_SWAPS(orientation) ? h : w;
    out->height = IMAGE_ORIENTATION_SWAPS(orientation) ? w : h;
    out->channels = samples>=1 && samples<=4 ? samples : 0;
    out->format = "tiff";
  }
  TIFFClose(tif);
  return rc;
}

static int image_tiff_decode(const unsigned char *p, size_t n,
                             uint64_t max_pixels, unsigned char **pPixels,
                             int *pWidth, int *pHeight, int *pOrientation,
                             char **pzErr){
  TiffStream s;
  TIFFRGBAImage img;
  char zMsg[1024];
  uint32_t *raster = 0;
  unsigned char *rgb;
  int w = 0, h = 0, began = 0, rc;
  size_t i, count;
  TIFF *tif = image_tiff_open(p, n, max_pixels, &s, pzErr);

  *pPixels = 0;
  if( tif==0 ) return SQLITE_ERROR;
  rc = image_tiff_size_of(tif, &w, &h, pOrientation, pzErr);
  if( rc!=SQLITE_OK ) goto cleanup;
  zMsg[0] = 0;
  if( !TIFFRGBAImageOK(tif, zMsg) || !(began = TIFFRGBAImageBegin(&img, tif, 0, zMsg)) ){
    rc = error_set(pzErr, SQLITE_ERROR, "unsupported tiff image (%dx%d): %s",
                   w, h, zMsg[0] ? zMsg : s.zError);
    goto cleanup;
  }
  count = (size_t)w*(size_t)h;
  raster = (uint32_t*)sqlite3_malloc64((sqlite3_uint64)count*4);
  if( raster==0 ){
    rc = error_set(pzErr, SQLITE_NOMEM, "out of memory decoding a %dx%d tiff "
                   "image", w, h);
    goto cleanup;
  }
  /* Stored order, top row first: image.c applies the Orientation tag. */
  img.req_orientation = ORIENTATION_TOPLEFT;
  img.orientation = ORIENTATION_TOPLEFT;
  if( !TIFFRGBAImageGet(&img, raster, (uint32_t)w, (uint32_t)h) ){
    rc = error_set(pzErr, SQLITE_ERROR, "cannot decode tiff image (%dx%d): %s",
                   w, h, s.zError[0] ? s.zError : "corrupt image data");
    goto cleanup;
  }
  /* ABGR words to packed RGB, in place: byte 3i+k is written only after
  ** word i (bytes 4i..4i+3, at or past 3i+k) was read. */
  rgb = (unsigned char*)raster;
  for(i=0; i<count; i++){
    uint32_t v = raster[i];
    rgb[3*i]   = (unsigned char)TIFFGetR(v);
    rgb[3*i+1] = (unsigned char)TIFFGetG(v);
    rgb[3*i+2] = (unsigned char)TIFFGetB(v);
  }
  *pPixels = rgb;
  *pWidth = w;
  *pHeight = h;
  raster = 0;

cleanup:
  if( began ) TIFFRGBAImageEnd(&img);
  TIFFClose(tif);
  sqlite3_free(raster);
  return rc;
}

const ImageCodec image_codec_tiff = {
  image_tiff_sniff, image_tiff_probe, image_tiff_decode
};
