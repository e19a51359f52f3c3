/*
** sift_blob.c — encode and validate sift blobs.  See sift_blob.h.
**
** May call: sqlite3_malloc64 / sqlite3_mprintf through sqlite_ext.h.
**
** SIFT BLOB FORMAT, version 1.  All integers and floats little-endian;
** floats are IEEE-754 binary32.
**
**   offset  size  field
**   0       4     magic "SIFT" (53 49 46 54)
**   4       1     format version, 1
**   5       3     reserved, zero
**   8       4     uint32 count: number of keypoints (may be 0)
**   12      4     uint32 width  of the original image, pixels (>= 1)
**   16      4     uint32 height of the original image, pixels (>= 1)
**   20      20*count   keypoints, 5 float32 each:
**                        x, y      position in the ORIGINAL image, pixel
**                                  centres at integer coordinates, origin
**                                  top-left (even when SIFT ran on a
**                                  downscaled copy)
**                        size      diameter of the neighbourhood, original
**                                  pixels
**                        angle     orientation, degrees in [0, 360), as
**                                  OpenCV reports it
**                        response  detector strength
**   20+20*count  128*count  descriptors, uint8, row i for keypoint i, in
**                           OpenCV's order: index (row*4 + column)*8 +
**                           orientation bin, 4x4 spatial bins of 8 bins
**
** Total length is exactly 20 + 148*count bytes.  Keypoints are in the order
** sift_extract() returns them: strongest response first.  Keypoints and
** descriptors are stored apart so that descriptors form one contiguous
** count x 128 matrix for matching and VLAD.
**
** A reader refuses other versions, nonzero reserved bytes, a length that
** disagrees with count, a zero or oversized width/height and non-finite
** keypoint values.  A later version that adds fields bumps the version.
*/
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "sqlite_ext.h"
#include "sift_blob.h"

static const unsigned char sift_blob_magic[4] = {'S', 'I', 'F', 'T'};

/* ---- little-endian helpers --------------------------------------------- */

static uint32_t sift_blob_get_u32(const unsigned char *p){
  return (uint32_t)p[0] | (uint32_t)p[1]<<8 | (uint32_t)p[2]<<16
       | (uint32_t)p[3]<<24;
}

static void sift_blob_put_u32(unsigned char *p, uint32_t v){
  p[0] = (unsigned char)v;
  p[1] = (unsigned char)(v>>8);
  p[2] = (unsigned char)(v>>16);
  p[3] = (unsigned char)(v>>24);
}

static float sift_blob_get_f32(const unsigned char *p){
  uint32_t bits = sift_blob_get_u32(p);
  float f;
  memcpy(&f, &bits, sizeof(f));
  return f;
}

static void sift_blob_put_f32(unsigned char *p, float f){
  uint32_t bits;
  memcpy(&bits, &f, sizeof(bits));
  sift_blob_put_u32(p, bits);
}

static void sift_blob_set_error(char **pzErr, char *zMsg){
  if( pzErr ) *pzErr = zMsg;
  else sqlite3_free(zMsg);
}

/* ---- public API ---------------------------------------------------------- */

int sift_blob_has_magic(const void *data, size_t n){
  return data!=0 && n>=4 && memcmp(data, sift_blob_magic, 4)==0;
}

int sift_blob_parse(const void *data, size_t n, SiftBlob *out, char **pzErr){
  const unsigned char *p = (const unsigned char*)data;
  uint32_t count, width, height;
  uint64_t expected;
  int i;

  memset(out, 0, sizeof(*out));
  if( pzErr ) *pzErr = 0;
  if( !sift_blob_has_magic(data, n) ){
    sift_blob_set_error(pzErr, sqlite3_mprintf(
        "not a sift blob (it does not start with \"SIFT\"); make one with "
        "img_sift(image)"));
    return SQLITE_ERROR;
  }
  if( n<SIFT_BLOB_HEADER_BYTES ){
    sift_blob_set_error(pzErr, sqlite3_mprintf(
        "sift blob is truncated: %llu bytes, the header alone is %d",
        (unsigned long long)n, SIFT_BLOB_HEADER_BYTES));
    return SQLITE_ERROR;
  }
  if( p[4]!=SIFT_BLOB_VERSION ){
    sift_blob_set_error(pzErr, sqlite3_mprintf(
        "sift blob has format version %d; this build reads version %d "
        "(recompute it with img_sift)", p[4], SIFT_BLOB_VERSION));
    return SQLITE_ERROR;
  }
  if( p[5] || p[6] || p[7] ){
    sift_blob_set_error(pzErr, sqlite3_mprintf(
        "corrupt sift blob: reserved header bytes are not zero"));
    return SQLITE_ERROR;
  }
  count = sift_blob_get_u32(p+8);
  width = sift_blob_get_u32(p+12);
  height = sift_blob_get_u32(p+16);
  expected = SIFT_BLOB_HEADER_BYTES + (uint64_t)count*SIFT_BLOB_FEATURE_BYTES;
  if( expected!=(uint64_t)n ){
    sift_blob_set_error(pzErr, sqlite3_mprintf(
        "corrupt sift blob: %u keypoints need %llu bytes, the blob has %llu",
        count, (unsigned long long)expected, (unsigned long long)n));
    return SQLITE_ERROR;
  }
  if( count>(uint32_t)(INT32_MAX/SIFT_BLOB_FEATURE_BYTES) ){
    sift_blob_set_error(pzErr, sqlite3_mprintf(
        "sift blob holds %u keypoints, more than this build handles", count));
    return SQLITE_TOOBIG;
  }
  if( width==0 || height==0 || width>INT32_MAX || height>INT32_MAX ){
    sift_blob_set_error(pzErr, sqlite3_mprintf(
        "corrupt sift blob: image size %ux%u is invalid", width, height));
    return SQLITE_ERROR;
  }
  for(i=0; i<(int)count*5; i++){
    float v = sift_blob_get_f32(p + SIFT_BLOB_HEADER_BYTES + (size_t)i*4);
    if( !isfinite(v) ){
      sift_blob_set_error(pzErr, sqlite3_mprintf(
          "corrupt sift blob: keypoint %d has a non-finite value", i/5));
      return SQLITE_ERROR;
    }
  }
  out->count = (int)count;
  out->width = (int)width;
  out->height = (int)height;
  out->keypoints = p + SIFT_BLOB_HEADER_BYTES;
  out->descriptors = out->keypoints + (size_t)count*SIFT_BLOB_KEYPOINT_BYTES;
  return SQLITE_OK;
}

void sift_blob_keypoint(const SiftBlob *blob, int i, SiftKeypoint *out){
  const unsigned char *p = blob->keypoints + (size_t)i*SIFT_BLOB_KEYPOINT_BYTES;
  out->x = sift_blob_get_f32(p);
  out->y = sift_blob_get_f32(p+4);
  out->size = sift_blob_get_f32(p+8);
  out->angle = sift_blob_get_f32(p+12);
  out->response = sift_blob_get_f32(p+16);
}

unsigned char *sift_blob_encode(int width, int height, int count,
                                const SiftKeypoint *keypoints,
                                const unsigned char *descriptors, size_t *pn){
  uint64_t n = SIFT_BLOB_HEADER_BYTES + (uint64_t)count*SIFT_BLOB_FEATURE_BYTES;
  unsigned char *blob, *kp;
  int i;

  *pn = 0;
  if( count<0 || width<=0 || height<=0 ) return 0;
  blob = (unsigned char*)sqlite3_malloc64(n);
  if( blob==0 ) return 0;
  memcpy(blob, sift_blob_magic, 4);
  blob[4] = SIFT_BLOB_VERSION;
  blob[5] = blob[6] = blob[7] = 0;
  sift_blob_put_u32(blob+8, (uint32_t)count);
  sift_blob_put_u32(blob+12, (uint32_t)width);
  sift_blob_put_u32(blob+16, (uint32_t)height);
  kp = blob + SIFT_BLOB_HEADER_BYTES;
  for(i=0; i<count; i++){
    unsigned char *q = kp + (size_t)i*SIFT_BLOB_KEYPOINT_BYTES;
    sift_blob_put_f32(q, keypoints[i].x);
    sift_blob_put_f32(q+4, keypoints[i].y);
    sift_blob_put_f32(q+8, keypoints[i].size);
    sift_blob_put_f32(q+12, keypoints[i].angle);
    sift_blob_put_f32(q+16, keypoints[i].response);
  }
  if( count>0 ){
    memcpy(kp + (size_t)count*SIFT_BLOB_KEYPOINT_BYTES, descriptors,
           (size_t)count*SIFT_DESCRIPTOR_BYTES);
  }
  *pn = (size_t)n;
  return blob;
}
