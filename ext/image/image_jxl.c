/*
** image_jxl.c — the only libjxl translation unit: JPEG XL behind the
** ImageCodec interface (image_codec.h).
**
** May call: libjxl's decoder (jxl/decode.h), error.h, sqlite3_malloc64 and
** sqlite3_free through sqlite3ext.h.
**
** The decoder runs on the calling thread (no parallel runner), on the
** whole file at once (input closed), and decodes into our buffer.  Of an
** animation, the first frame (composited, as a viewer shows it) is read.
** Orientation: the decoder is asked to keep the stored orientation and the
** header's value (the EXIF values 1..8) goes to image.c, like the other
** codecs', so one piece of code turns every format upright.
**
** libjxl 0.7 as Debian builds it writes a line to stderr on some failures
** ("./lib/jxl/decode.cc:2143: missing input" for a truncated file); the
** error is also returned, and reported, as for the other codecs.
*/
#include "sqlite3ext.h"
SQLITE_EXTENSION_INIT3

#include <jxl/decode.h>

#include "error.h"
#include "image_codec.h"

/* A bare codestream (FF 0A) or the ISO BMFF container ("JXL " box). */
static int image_jxl_sniff(const unsigned char *p, size_t n){
  JxlSignature sig = JxlSignatureCheck(p, n);
  return sig==JXL_SIG_CODESTREAM || sig==JXL_SIG_CONTAINER;
}

/* *pDec: a decoder for p[0..n) that reports events (JXL_DEC_*), with the
** stored orientation kept. */
static int image_jxl_open(const unsigned char *p, size_t n, int events,
                          JxlDecoder **pDec, char **pzErr){
  JxlDecoder *dec = JxlDecoderCreate(0);
  *pDec = 0;
  if( dec==0 ){
    return error_set(pzErr, SQLITE_NOMEM, "out of memory starting the jxl decoder");
  }
  if( JxlDecoderSubscribeEvents(dec, events)!=JXL_DEC_SUCCESS
   || JxlDecoderSetKeepOrientation(dec, JXL_TRUE)!=JXL_DEC_SUCCESS
   || JxlDecoderSetInput(dec, p, n)!=JXL_DEC_SUCCESS ){
    JxlDecoderDestroy(dec);
    return error_set(pzErr, SQLITE_ERROR, "libjxl: cannot set up the decoder");
  }
  JxlDecoderCloseInput(dec);
  *pDec = dec;
  return SQLITE_OK;
}

/* The next event of dec, or SQLITE_ERROR with a message when the file
** ends early or is corrupt. */
static int image_jxl_next(JxlDecoder *dec, JxlDecoderStatus *pStatus, char **pzErr){
  JxlDecoderStatus status = JxlDecoderProcessInput(dec);
  *pStatus = status;
  if( status==JXL_DEC_ERROR ){
    return error_set(pzErr, SQLITE_ERROR, "cannot decode jxl image: corrupt or truncated codestream");
  }
  if( status==JXL_DEC_NEED_MORE_INPUT || status==JXL_DEC_SUCCESS ){
    return error_set(pzErr, SQLITE_ERROR, "cannot decode jxl image: truncated file");
  }
  return SQLITE_OK;
}

/* Process dec up to its basic info, into *info. */
static int image_jxl_info(JxlDecoder *dec, JxlBasicInfo *info, char **pzErr){
  JxlDecoderStatus status;
  int rc = image_jxl_next(dec, &status, pzErr);
  if( rc!=SQLITE_OK ) return rc;
  if( status!=JXL_DEC_BASIC_INFO || JxlDecoderGetBasicInfo(dec, info)!=JXL_DEC_SUCCESS ){
    return error_set(pzErr, SQLITE_ERROR, "cannot read the jxl header");
  }
  if( info->xsize==0 || info->ysize==0 || info->xsize>0x7fffffff || info->ysize>0x7fffffff ){
    return error_set(pzErr, SQLITE_ERROR, "jxl header says %ux%u: not a usable size",
                     info->xsize, info->ysize);
  }
  return SQLITE_OK;
}

static int image_jxl_orientation(const JxlBasicInfo *info){
  return info->orientation>=1 && info->orientation<=8 ? (int)info->orientation : 1;
}

static int image_jxl_probe(const unsigned char *p, size_t n, ImageInfo *out,
                           char **pzErr){
  JxlBasicInfo info;
  JxlDecoder *dec;
  int rc = image_jxl_open(p, n, JXL_DEC_BASIC_INFO, &dec, pzErr);
  if( rc!=SQLITE_OK ) return rc;
  rc = image_jxl_info(dec, &info, pzErr);
  JxlDecoderDestroy(dec);
  if( rc!=SQLITE_OK ) return rc;
  if( IMAGE_ORIENTATION_SWAPS(image_jxl_orientation(&info)) ){
    out->width = (int)info.ysize;
    out->height = (int)info.xsize;
  }else{
    out->width = (int)info.xsize;
    out->height = (int)info.ysize;
  }
  out->channels = (int)info.num_color_channels + (info.alpha_bits>0);
  out->format = "jxl";
  return SQLITE_OK;
}

static int image_jxl_decode(const unsigned char *p, size_t n,
                            uint64_t max_pixels, unsigned char **pPixels,
                            int *pWidth, int *pHeight, int *pOrientation,
                            char **pzErr){
  const JxlPixelFormat format = { 3, JXL_TYPE_UINT8, JXL_NATIVE_ENDIAN, 0 };
  JxlDecoder *dec;
  JxlDecoderStatus status;
  JxlBasicInfo info;
  unsigned char *pixels = 0;
  size_t bytes = 0;
  int rc;

  *pPixels = 0;
  rc = image_jxl_open(p, n, JXL_DEC_BASIC_INFO | JXL_DEC_FULL_IMAGE, &dec, pzErr);
  if( rc!=SQLITE_OK ) return rc;
  rc = image_jxl_info(dec, &info, pzErr);
  if( rc==SQLITE_OK && (uint64_t)info.xsize*info.ysize>max_pixels ){
    rc = error_set(pzErr, SQLITE_TOOBIG, "jxl image of %ux%u pixels is over the limit",
                   info.xsize, info.ysize);
  }
  while( rc==SQLITE_OK && (rc = image_jxl_next(dec, &status, pzErr))==SQLITE_OK ){
    if( status==JXL_DEC_NEED_IMAGE_OUT_BUFFER ){
      if( pixels!=0
       || JxlDecoderImageOutBufferSize(dec, &format, &bytes)!=JXL_DEC_SUCCESS
       || bytes!=(size_t)info.xsize*info.ysize*3 ){
        rc = error_set(pzErr, SQLITE_ERROR, "cannot decode jxl image: unexpected layout");
      }else if( (pixels = (unsigned char*)sqlite3_malloc64(bytes))==0 ){
        rc = error_set(pzErr, SQLITE_NOMEM, "out of memory decoding a %ux%u jxl image",
                       info.xsize, info.ysize);
      }else if( JxlDecoderSetImageOutBuffer(dec, &format, pixels, bytes)!=JXL_DEC_SUCCESS ){
        rc = error_set(pzErr, SQLITE_ERROR, "cannot decode jxl image: output refused");
      }
    }else if( status==JXL_DEC_FULL_IMAGE ){
      break;                       /* the first frame is the image */
    }
  }
  JxlDecoderDestroy(dec);
  if( rc==SQLITE_OK && pixels==0 ){
    rc = error_set(pzErr, SQLITE_ERROR, "cannot decode jxl image: no pixels");
  }
  if( rc!=SQLITE_OK ){
    sqlite3_free(pixels);
    return rc;
  }
  *pPixels = pixels;
  *pWidth = (int)info.xsize;
  *pHeight = (int)info.ysize;
  *pOrientation = image_jxl_orientation(&info);
  return SQLITE_OK;
}

const ImageCodec image_codec_jxl = {
  image_jxl_sniff, image_jxl_probe, image_jxl_decode
};
