/*
** image.h — decode image bytes into 8-bit grey or RGB pixels, upright,
** with limits.
**
** Contract: image.c is the only translation unit that owns stb_image, and
** the one entry to the other decoders (image_codec.h: one file per
** library).  Callers pass encoded bytes (JPEG, PNG, WebP, HEIC/HEIF, AVIF,
** TIFF, BMP, GIF, TGA, PNM (P5/P6)) and get plain C structs back.  Sizes
** and pixels are those of the upright image: a JPEG's or TIFF's EXIF
** Orientation is applied, and HEIF's rotation and mirroring.  Nothing here
** touches a database.
**
** Errors: every function returns an SQLite result code (SQLITE_OK,
** SQLITE_ERROR for bad or unsupported bytes, SQLITE_TOOBIG for images over
** a limit, SQLITE_NOMEM).  On failure *pzErr receives a message made with
** sqlite3_mprintf() that the caller frees with sqlite3_free(); on success
** *pzErr is set to NULL.  pzErr itself may be NULL if the caller does not
** want the message.
**
** Memory: pixel buffers come from sqlite3_malloc64() and are released with
** image_grey_free() / image_rgb_free().
*/
#ifndef IMGSEARCH_IMAGE_H
#define IMGSEARCH_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#define IMAGE_DEFAULT_MAX_PIXELS 50000000u  /* 50 MP, checked before decoding */
#define IMAGE_DEFAULT_MAX_SIDE   1024       /* longest side after downscaling */

/* What the header says, read without decoding pixels. */
typedef struct ImageInfo {
  int width;
  int height;
  int channels;        /* channels stored in the file (1..4); 0 = unknown,
                       ** which happens only for headers too large for the
                       ** decoder to inspect (they fail the pixel limit) */
  const char *format;  /* static string: "jpeg" "png" "webp" "heif" "avif"
                       ** "tiff" "bmp" "gif" "tga" "pnm" */
} ImageInfo;

typedef struct ImageLimits {
  uint64_t max_pixels; /* reject width*height above this before decoding;
                       ** 0 = no limit beyond what the decoder supports */
  int max_side;        /* downscale so the longest side is <= this;
                       ** 0 = keep the decoded size */
} ImageLimits;

/* Decoded 8-bit grey image, rows packed (stride == width). */
typedef struct GreyImage {
  int width;
  int height;
  int original_width;  /* size before downscaling */
  int original_height;
  unsigned char *pixels;  /* width*height bytes; owned, see image_grey_free */
} GreyImage;

/* Decoded 8-bit RGB image, 3 bytes a pixel, rows packed (stride ==
** 3*width); the fields mean what GreyImage's do. */
typedef struct RgbImage {
  int width;
  int height;
  int original_width;
  int original_height;
  unsigned char *pixels;  /* width*height*3 bytes; owned, see image_rgb_free */
} RgbImage;

/* Fill *lim with the defaults above. */
void image_limits_default(ImageLimits *lim);

/* Read width, height (upright), channels and format from the header only.
** Success says nothing about whether the pixel data will decode. */
int image_probe(const void *data, size_t n, ImageInfo *out, char **pzErr);

/* Decode to grey.  lim may be NULL for the defaults.  Images whose header
** says width*height > lim->max_pixels are rejected with SQLITE_TOOBIG before
** any pixel is decoded.  Larger images are shrunk with an area (box) filter
** so that max(width, height) <= lim->max_side, keeping the aspect ratio;
** images are never enlarged.  On failure *out is zeroed. */
int image_decode_grey(const void *data, size_t n, const ImageLimits *lim,
                      GreyImage *out, char **pzErr);

/* The same, to RGB (grey images give R = G = B). */
int image_decode_rgb(const void *data, size_t n, const ImageLimits *lim,
                     RgbImage *out, char **pzErr);

/* Release out->pixels and zero *img.  Safe on a zeroed or freed image. */
void image_grey_free(GreyImage *img);
void image_rgb_free(RgbImage *img);

/* Area-filter downscale of a grey image, exposed for tests and callers that
** already hold pixels.  src is sw x sh with row stride src_stride; dst must
** hold dw*dh bytes, 1 <= dw <= sw, 1 <= dh <= sh.  Each output pixel is the
** exact mean (rounded half up) of the source area it covers, computed in
** integers, so the result is the same on every machine.  No allocation. */
void image_area_downscale(const unsigned char *src, int sw, int sh,
                          int src_stride, unsigned char *dst, int dw, int dh);

/* ---- tiny-image descriptor ------------------------------------------------ */

#define IMAGE_THUMB_DEFAULT_SIDE 16
#define IMAGE_THUMB_MAX_SIDE     64

/* A global descriptor for images SIFT cannot describe (smooth gradients,
** skies, fog): img shrunk to side x side by the area filter (the aspect
** ratio is not kept), mirrored left-right if asked, then made zero-mean and
** unit-length, so the cosine similarity of two thumbnails is the
** correlation of their pixels: blind to brightness and contrast changes,
** scale, blur and JPEG artefacts; not to crops, rotations or occlusion.
** out holds side*side floats, row-major.  Returns 1, or 0 (out untouched)
** when the image is narrower or lower than side pixels or has a single
** grey level.  2 <= side <= IMAGE_THUMB_MAX_SIDE. */
int image_thumbnail(const GreyImage *img, int side, int mirror, float *out);

#endif /* IMGSEARCH_IMAGE_H */
