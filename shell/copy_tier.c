/*
** copy_tier.c — what a verified pair of images is: a calibrated
** confidence that it is a copy, and the relation named (copy_tier.h).
**
** The confidence is a logistic model of four measures of the verified
** match (its visual words' inliers under the homography H):
**
**   log(inliers)
**   r       inliers / the SIFT features of the image with fewer (an edit
**           keeps most of a photo's features)
**   log(e)  e the inliers' mean squared reprojection error under H, in
**           pixels² of the smaller image: an edit leaves every point where
**           H puts it, another photo of a 3D object fits H only roughly
**   log(shift + 0.001)   shift how far H moves a's frame corners from b's,
**           over b's diagonal: 0 for a copy with the other's frame
**           (re-encoded, resized, blurred, recoloured, overlaid, mirrored),
**           rarely small for another photo of the same thing, which is
**           taken from somewhere else; a crop or a turn moves it, and the
**           other measures must carry those
**
** fitted on the tuning half of the labelled pairs of the 12,666-image
** benchmark (`tests/bench/scale_tiers_calibrate.py words_geometry`: the
** 14 edits of 200 photos and mild edits of distractor photos against
** UKBench photos of one object and burst shots; each kind weighted the
** same, the two classes the same) and read on the other half
** (docs/BENCHMARKS.md, "The confidence `dups` prints": at 0.5, 0.947 of
** the copies, 2.1% of the other photos).  So 0.9 means: among pairs like
** these, in a mix of as many copies as other photos, nine in ten are
** copies.
**
** The geometry of a copy is read from H: the crop (the area a's frame covers in b's), the size
** (1/√|det A|, A the linear part of H), the turn (atan2 of A's
** antisymmetric and symmetric parts).
**
** May call: libc (math, stdio, string).
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "copy_tier.h"

/* The model: P(copy) = 1 / (1 + exp(-(B0 + B_INLIERS log(inliers) + B_R r
** + B_ERROR log(max(e, COPY_MIN_ERROR)) + B_SHIFT log(shift +
** COPY_SHIFT_ADD)))), coefficients in raw units as
** `scale_tiers_calibrate.py words_geometry` prints them for its model
** "geometry+frame". */
#define COPY_B0         -12.4336
#define COPY_B_INLIERS  0.9649
#define COPY_B_R        13.2138
#define COPY_B_ERROR    -0.8095
#define COPY_B_SHIFT    -1.8019
#define COPY_MIN_ERROR  1e-4
#define COPY_SHIFT_ADD  1e-3
#define COPY_MAX_SHIFT  10.0      /* also when the sizes are unknown */

#define COPY_CROP_BELOW    0.85   /* a's frame covers less of b: a crop */
#define COPY_SIZE_OFF      0.1    /* the size said when off by this */
#define COPY_TURN_DEGREES  2.0    /* the turn said from this on */

int copy_match_parse(const char *zJson, CopyMatch *m){
  const char *z;
  int i;
  m->inliers = 0;
  m->error = 0;
  memset(m->h, 0, sizeof(m->h));
  if( zJson==0 || sscanf(zJson, "{\"inliers\":%d", &m->inliers)!=1 || m->inliers<0 ){
    return m->inliers = 0;
  }
  z = strstr(zJson, "\"homography\":[");
  if( m->inliers==0 || z==0 ) return m->inliers = 0;
  z += strlen("\"homography\":[");
  for(i=0; i<9; i++){
    char *zEnd;
    m->h[i] = strtod(z, &zEnd);
    if( zEnd==z ) return m->inliers = 0;
    z = zEnd + 1;
  }
  z = strstr(z, "\"error\":");
  if( z ) m->error = strtod(z + strlen("\"error\":"), 0);
  return m->inliers;
}

/* The w x h frame's corners mapped by h into xy; 0, or -1 when a corner
** goes to infinity. */
static int copy_map_frame(const double h[9], int w, int h_px, double xy[8]){
  const double frame[4][2] = {{0, 0}, {w, 0}, {w, h_px}, {0, h_px}};
  int i;
  for(i=0; i<4; i++){
    double d = h[6]*frame[i][0] + h[7]*frame[i][1] + h[8];
    if( fabs(d)<1e-9 ) return -1;
    xy[2*i] = (h[0]*frame[i][0] + h[1]*frame[i][1] + h[2])/d;
    xy[2*i+1] = (h[3]*frame[i][0] + h[4]*frame[i][1] + h[5])/d;
  }
  return 0;
}

int copy_frame_in_b(const CopyMatch *m, const CopyImage *a, double xy[8]){
  return copy_map_frame(m->h, a->width, a->height, xy);
}

int copy_frame_in_a(const CopyMatch *m, const CopyImage *a, const CopyImage *b, double xy[8]){
  const double *h = m->h;
  double inv[9], det;
  int i;
  inv[0] = h[4]*h[8] - h[5]*h[7];           /* the adjugate of H */
  inv[1] = h[2]*h[7] - h[1]*h[8];
  inv[2] = h[1]*h[5] - h[2]*h[4];
  inv[3] = h[5]*h[6] - h[3]*h[8];
  inv[4] = h[0]*h[8] - h[2]*h[6];
  inv[5] = h[2]*h[3] - h[0]*h[5];
  inv[6] = h[3]*h[7] - h[4]*h[6];
  inv[7] = h[1]*h[6] - h[0]*h[7];
  inv[8] = h[0]*h[4] - h[1]*h[3];
  det = h[0]*inv[0] + h[1]*inv[3] + h[2]*inv[6];
  if( fabs(det)<1e-12 || copy_map_frame(inv, b->width, b->height, xy) ) return -1;
  for(i=0; m->mirrored && i<4; i++) xy[2*i] = (a->width - 1) - xy[2*i];
  return 0;
}

/* How far H moves a's frame corners from b's, over b's diagonal, at most
** COPY_MAX_SHIFT (also when a size is unknown or a corner cannot be
** placed). */
static double copy_frame_shift(const CopyMatch *m, const CopyImage *a, const CopyImage *b){
  double xy[8], shift = 0;
  int i;
  if( a->width<=0 || a->height<=0 || b->width<=0 || b->height<=0
   || copy_frame_in_b(m, a, xy) ) return COPY_MAX_SHIFT;
  for(i=0; i<4; i++){
    double u = (i==1 || i==2) ? b->width : 0, v = i>=2 ? b->height : 0;
    shift += hypot(xy[2*i] - u, xy[2*i+1] - v);
  }
  shift /= 4*hypot(b->width, b->height);
  return shift<COPY_MAX_SHIFT ? shift : COPY_MAX_SHIFT;
}

double copy_confidence(const CopyMatch *m, const CopyImage *a, const CopyImage *b){
  int fewer = a->features<b->features ? a->features : b->features;
  double r, x;
  if( m->inliers<=0 ) return 0;
  r = fewer>0 ? (double)m->inliers/fewer : 1;
  if( r>1 ) r = 1;
  x = COPY_B0 + COPY_B_INLIERS*log(m->inliers) + COPY_B_R*r
    + COPY_B_ERROR*log(m->error>COPY_MIN_ERROR ? m->error : COPY_MIN_ERROR)
    + COPY_B_SHIFT*log(copy_frame_shift(m, a, b) + COPY_SHIFT_ADD);
  return 1/(1 + exp(-x));
}

/* The share of b's frame that a's covers under H (above 1 when a's
** frame reaches past b's); 1 when unknown. */
static double copy_covered(const CopyMatch *m, const CopyImage *a, const CopyImage *b){
  double c[8], area = 0;
  int i;
  if( a->width<=0 || a->height<=0 || b->width<=0 || b->height<=0
   || copy_frame_in_b(m, a, c) ) return 1;
  for(i=0; i<4; i++) area += c[2*i]*c[(2*i+3)%8] - c[(2*i+2)%8]*c[2*i+1];
  return fabs(area)/2/((double)b->width*b->height);
}

/* Append ", "-separated text to z (n bytes); *pzSep is ": " first. */
static void copy_append(char *z, size_t n, const char **pzSep, const char *zText){
  size_t len = strlen(z);
  snprintf(z+len, n-len, "%s%s", *pzSep, zText);
  *pzSep = ", ";
}

void copy_describe(const CopyMatch *m, double confidence, double min_confidence,
                   const CopyImage *a, const CopyImage *b, char *z, size_t n){
  double covered = copy_covered(m, a, b);
  double det = fabs(m->h[0]*m->h[4] - m->h[1]*m->h[3]);
  double size = det>0 ? 1/sqrt(det) : 1;
  double turn = atan2(m->h[3] - m->h[1], m->h[0] + m->h[4])*180/M_PI;
  const char *zSep = ": ";
  char zPart[48];
  int cropped = covered<COPY_CROP_BELOW, uncropped = covered*COPY_CROP_BELOW>1;
  int turned = fabs(turn)>=COPY_TURN_DEGREES;
  if( confidence<min_confidence ){
    snprintf(z, n, "similar %.0f%%, %d inliers", 100*confidence, m->inliers);
    return;
  }
  snprintf(z, n, "%s %.0f%%", m->mirrored || cropped || uncropped || turned
           ? "edited copy" : "same image", 100*confidence);
  if( m->mirrored ) copy_append(z, n, &zSep, "mirrored");
  if( cropped ){
    snprintf(zPart, sizeof(zPart), "crop %.0f%%", 100*covered);
    copy_append(z, n, &zSep, zPart);
  }
  if( uncropped ){
    snprintf(zPart, sizeof(zPart), "wider: the other is a %.0f%% crop", 100/covered);
    copy_append(z, n, &zSep, zPart);
  }
  if( fabs(size-1)>COPY_SIZE_OFF ){
    snprintf(zPart, sizeof(zPart), "%.0f%% size", 100*size);
    copy_append(z, n, &zSep, zPart);
  }
  if( turned ){
    snprintf(zPart, sizeof(zPart), "turned %.0f°", turn);
    copy_append(z, n, &zSep, zPart);
  }
  snprintf(zPart, sizeof(zPart), "%d inliers", m->inliers);
  copy_append(z, n, &zSep, zPart);
}
