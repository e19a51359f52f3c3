/*
** thumbnail.c — small JPEG thumbnails for the HTML reports, as base64,
** and an image file's size.
**
** Contract: the only translation unit that owns stb_image_write.  Decoding
** is not done here: ext/image/image.c owns the decoders, and its
** image_decode_rgb (with its pixel limit, exact area-filter downscale and
** orientation) gives the colour pixels of the upright image.
**
** May call: files.h (reading the file), ext/image/image.h, stb_image_write
** (to memory, no stdio), malloc.
*/
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "files.h"
#include "thumbnail.h"
#include "image/image.h"

#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STB_IMAGE_WRITE_STATIC
#define STBI_WRITE_NO_STDIO
/* Static: the encoders we do not call are unused (warned at the end of the
** file, so the pragmas stay on). */
#if defined(__GNUC__)
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#endif
#include <stb/stb_image_write.h>

#define THUMBNAIL_JPEG_QUALITY 80

/* The encoder's output, grown as stb_image_write hands it over. */
typedef struct ThumbnailBuffer {
  unsigned char *a;
  size_t n, n_alloc;
  int oom;
} ThumbnailBuffer;

static void thumbnail_append(void *context, void *data, int n){
  ThumbnailBuffer *b = context;
  if( b->oom || n<=0 ) return;
  if( b->n + (size_t)n > b->n_alloc ){
    size_t n_new = (b->n_alloc ? b->n_alloc*2 : 8192) + (size_t)n;
    unsigned char *p = realloc(b->a, n_new);
    if( p==0 ){ b->oom = 1; return; }
    b->a = p;
    b->n_alloc = n_new;
  }
  memcpy(b->a + b->n, data, (size_t)n);
  b->n += (size_t)n;
}

static char *thumbnail_base64(const unsigned char *a, size_t n){
  static const char digits[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  char *z = malloc((n+2)/3*4 + 1), *p = z;
  size_t i;
  if( z==0 ) return 0;
  for(i=0; i+2<n; i+=3){
    unsigned v = (unsigned)a[i]<<16 | (unsigned)a[i+1]<<8 | a[i+2];
    *p++ = digits[v>>18 & 63];
    *p++ = digits[v>>12 & 63];
    *p++ = digits[v>>6 & 63];
    *p++ = digits[v & 63];
  }
  if( i<n ){
    unsigned v = (unsigned)a[i]<<16 | (i+1<n ? (unsigned)a[i+1]<<8 : 0);
    *p++ = digits[v>>18 & 63];
    *p++ = digits[v>>12 & 63];
    *p++ = i+1<n ? digits[v>>6 & 63] : '=';
    *p++ = '=';
  }
  *p = 0;
  return z;
}

char *thumbnail_jpeg_base64(const char *zPath, int maxSide, int *p_width, int *p_height,
                            int *p_original_width, int *p_original_height, char **pzError){
  size_t n_data = 0;
  unsigned char *data;
  ImageLimits lim;
  RgbImage img;
  ThumbnailBuffer out;
  char *zImageError = 0, *zResult = 0;
  int rc;
  *pzError = 0;
  data = files_read(zPath, &n_data, pzError);
  if( data==0 ) return 0;
  image_limits_default(&lim);
  lim.max_side = maxSide;
  rc = image_decode_rgb(data, n_data, &lim, &img, &zImageError);
  free(data);
  if( rc!=0 ){
    *pzError = strdup(zImageError ? zImageError : "cannot decode the image");
    sqlite3_free(zImageError);
    return 0;
  }
  memset(&out, 0, sizeof(out));
  if( !stbi_write_jpg_to_func(thumbnail_append, &out, img.width, img.height, 3,
                              img.pixels, THUMBNAIL_JPEG_QUALITY) || out.oom ){
    *pzError = strdup(out.oom ? "out of memory" : "cannot encode the thumbnail");
  }else{
    zResult = thumbnail_base64(out.a, out.n);
    if( zResult==0 ) *pzError = strdup("out of memory");
    *p_width = img.width;
    *p_height = img.height;
    *p_original_width = img.original_width;
    *p_original_height = img.original_height;
  }
  free(out.a);
  image_rgb_free(&img);
  return zResult;
}

int thumbnail_image_size(const char *zPath, int *p_width, int *p_height){
  size_t n_data = 0;
  char *zError = 0, *zProbeError = 0;
  unsigned char *data = files_read(zPath, &n_data, &zError);
  ImageInfo info;
  int rc = data ? image_probe(data, n_data, &info, &zProbeError) : -1;
  free(data);
  free(zError);
  sqlite3_free(zProbeError);
  if( rc!=0 ) return -1;
  *p_width = info.width;
  *p_height = info.height;
  return 0;
}
