/*
** image_codec.h — the decoders besides stb_image, one translation unit per
** library, all behind this one interface (image.c dispatches to them):
**
**   image_webp.c   WebP (libwebp): lossy, lossless, with alpha; the first
**                  frame of an animation is not read (refused with a message)
**   image_tiff.c   TIFF (libtiff): the first page, any layout libtiff's
**                  RGBA interface reads
**   image_heif.c   HEIC/HEIF and AVIF (libheif): the primary image, with
**                  its rotation and mirroring (irot/imir) applied
**   image_jxl.c    JPEG XL (libjxl): codestream or container; the first
**                  frame of an animation
**
** Contract: a codec owns its library and nothing else.  It never sees the
** pixel limit's policy: image.c probes first, refuses headers over the
** limit (the same limit and message as for stb_image), then asks the codec
** to decode, and checks the decoded size again.  max_pixels is passed to
** decode only so that a codec can also bound its library's own
** allocations.
**
** Errors follow error.h: an SQLite result code, the message in *pzErr
** (sqlite3_mprintf) naming the format and what is wrong.  Pixels come from
** sqlite3_malloc64, 3 bytes (R, G, B) a pixel, rows packed, in the order
** the file stores them; *pOrientation says how to turn them upright (the
** EXIF values 1..8, 1 = as stored), for image.c to apply.
**
** Thread safety: every call uses its own library handles; no codec sets a
** library-global handler or option.
*/
#ifndef IMGSEARCH_IMAGE_CODEC_H
#define IMGSEARCH_IMAGE_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "image.h"

typedef struct ImageCodec {
  /* 1 if p[0..n) starts with this codec's magic bytes. */
  int (*sniff)(const unsigned char *p, size_t n);
  /* The header: width and height of the upright image, channels, format
  ** (a static string).  No pixel is decoded. */
  int (*probe)(const unsigned char *p, size_t n, ImageInfo *out, char **pzErr);
  /* The pixels, see above. */
  int (*decode_rgb)(const unsigned char *p, size_t n, uint64_t max_pixels,
                    unsigned char **pPixels, int *pWidth, int *pHeight,
                    int *pOrientation, char **pzErr);
} ImageCodec;

extern const ImageCodec image_codec_webp;
extern const ImageCodec image_codec_tiff;
extern const ImageCodec image_codec_heif;
extern const ImageCodec image_codec_jxl;

/* Orientation values 5..8 swap width and height. */
#define IMAGE_ORIENTATION_SWAPS(o) ((o)>=5 && (o)<=8)

#endif /* IMGSEARCH_IMAGE_CODEC_H */
