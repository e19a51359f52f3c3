/*
** sift_blob.c — encode and validate sift blobs.  See sift_blob.h.
**
** May call: bytes.h (the little-endian codecs), error.h (error_set, the
** common blob header), sqlite3_malloc64 through sqlite_ext.h.
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
#include "bytes.h"
#include "error.h"
#include "sift_blob.h"

static const BlobFormat sift_blob_format = {
  {'S', 'I', 'F', 'T'}, SIFT_BLOB_VERSION, SIFT_BLOB_HEADER_BYTES,
  "sift blob", "img_sift(image)", "recompute it with img_sift", 0
};

int sift_blob_has_magic(const void *data, size_t n){
  return data!=0 && n>=4 && memcmp(data, sift_blob_format.magic, 4)==0;
}

int sift_blob_parse(const void *data, size_t n, SiftBlob *out, char **pzErr){
  const unsigned char *p = (const unsigned char*)data;
  uint32_t count, width, height;
  uint64_t expected;
  int i, rc;

  memset(out, 0, sizeof(*out));
  rc = blob_header_check(&sift_blob_format, data, n, pzErr);
  if( rc!=SQLITE_OK ) return rc;
  count = bytes_get_u32(p+8);
  width = bytes_get_u32(p+12);
  height = bytes_get_u32(p+16);
  expected = SIFT_BLOB_HEADER_BYTES + (uint64_t)count*SIFT_BLOB_FEATURE_BYTES;
  if( expected!=(uint64_t)n ){
    return error_set(pzErr, SQLITE_ERROR,
        "corrupt sift blob: %u keypoints need %llu bytes, the blob has %llu",
        count, (unsigned long long)expected, (unsigned long long)n);
  }
  if( count>(uint32_t)(INT32_MAX/SIFT_BLOB_FEATURE_BYTES) ){
    return error_set(pzErr, SQLITE_TOOBIG,
        "sift blob holds %u keypoints, more than this build handles", count);
  }
  if( width==0 || height==0 || width>INT32_MAX || height>INT32_MAX ){
    return error_set(pzErr, SQLITE_ERROR,
        "corrupt sift blob: image size %ux%u is invalid", width, height);
  }
  for(i=0; i<(int)count*5; i++){
    float v = bytes_get_f32(p + SIFT_BLOB_HEADER_BYTES + (size_t)i*4);
    if( !isfinite(v) ){
      return error_set(pzErr, SQLITE_ERROR,
          "corrupt sift blob: keypoint %d has a non-finite value", i/5);
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
  out->x = bytes_get_f32(p);
  out->y = bytes_get_f32(p+4);
  out->size = bytes_get_f32(p+8);
  out->angle = bytes_get_f32(p+12);
  out->response = bytes_get_f32(p+16);
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
  blob_header_write(&sift_blob_format, 0, blob);
  bytes_put_u32(blob+8, (uint32_t)count);
  bytes_put_u32(blob+12, (uint32_t)width);
  bytes_put_u32(blob+16, (uint32_t)height);
  kp = blob + SIFT_BLOB_HEADER_BYTES;
  for(i=0; i<count; i++){
    unsigned char *q = kp + (size_t)i*SIFT_BLOB_KEYPOINT_BYTES;
    bytes_put_f32(q, keypoints[i].x);
    bytes_put_f32(q+4, keypoints[i].y);
    bytes_put_f32(q+8, keypoints[i].size);
    bytes_put_f32(q+12, keypoints[i].angle);
    bytes_put_f32(q+16, keypoints[i].response);
  }
  if( count>0 ){
    memcpy(kp + (size_t)count*SIFT_BLOB_KEYPOINT_BYTES, descriptors,
           (size_t)count*SIFT_DESCRIPTOR_BYTES);
  }
  *pn = (size_t)n;
  return blob;
}
