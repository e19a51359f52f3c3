/*
** image_sift.c — image bytes to a sift blob.  See image_sift.h.
**
** Owns: mapping keypoints found on the working copy (downscaled to the
** limits' max_side) back to the original image's pixel coordinates, the
** coordinates a sift blob stores.
**
** May call: image.h (decode), sift_cv.h (SIFT), sift_blob.h (encode),
** error.h (error_set).
*/
#include <string.h>

#include "sqlite_ext.h"
#include "error.h"
#include "image_sift.h"
#include "sift_blob.h"
#include "sift_cv.h"

/* Keypoints found on grey's working pixels, moved to its original size.
** Working pixel i covers original [i*s, (i+1)*s), so its centre (pixel
** centres at integer coordinates) is at (i+0.5)*s-0.5; sizes scale by the
** mean of the two factors. */
static void image_sift_to_original(const GreyImage *grey,
                                   SiftFeatures *features){
  const double sx = (double)grey->original_width/grey->width;
  const double sy = (double)grey->original_height/grey->height;
  int i;
  if( grey->width==grey->original_width
   && grey->height==grey->original_height ) return;
  for(i=0; i<features->count; i++){
    SiftKeypoint *k = &features->keypoints[i];
    k->x = (float)((k->x + 0.5)*sx - 0.5);
    k->y = (float)((k->y + 0.5)*sy - 0.5);
    k->size = (float)(k->size*0.5*(sx + sy));
  }
}

int image_sift_blob(const ImageLimits *limits, const unsigned char *data,
                    size_t n, int max_features, unsigned char **pBlob,
                    size_t *pn, char **pzErr){
  GreyImage grey;
  SiftFeatures features;
  int rc;

  *pBlob = 0;
  *pn = 0;
  memset(&features, 0, sizeof(features));
  if( sift_blob_has_magic(data, n) ){
    return error_set(pzErr, SQLITE_ERROR,
                     "the argument is already a sift blob, not an image");
  }
  rc = image_decode_grey(data, n, limits, &grey, pzErr);
  if( rc!=SQLITE_OK ) return rc;
  rc = sift_extract(grey.pixels, grey.width, grey.height, grey.width,
                    max_features, &features, pzErr);
  if( rc==SQLITE_OK ){
    image_sift_to_original(&grey, &features);
    *pBlob = sift_blob_encode(grey.original_width, grey.original_height,
                              features.count, features.keypoints,
                              features.descriptors, pn);
    if( *pBlob==0 ) rc = error_set(pzErr, SQLITE_NOMEM, "out of memory");
  }
  sift_features_free(&features);
  image_grey_free(&grey);
  return rc;
}
