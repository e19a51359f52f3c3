/*
** dups_describe.c — how a copy differs from the copy kept in its group,
** read from the geometry their visual words verify: the homography H of
** img_words_match_json, which maps the copy's pixels (of its mirror image,
** when the mirrored words match better) to the kept one's.
**
**   crop      the copy's frame mapped into the kept one covers less of it
**             than DUPS_CROP_BELOW (its area fraction, said as "crop N%")
**   size      the copy's linear size against the kept one's (1/√|det A|,
**             A the linear part of H), said when off by DUPS_SIZE_OFF
**   turned    the rotation of A (atan2 of its antisymmetric and symmetric
**             parts), said from DUPS_TURN_DEGREES on
**   mirrored  when the mirror image's words verified with more inliers
**
** "mirrored copy: crop 25%, 50% size, turned 90°, 40 inliers".
**
** May call: dups_parts.h, db.h, SQLite (img_words_match_json, img_words).
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "dups_parts.h"

#define DUPS_CROP_BELOW    0.85
#define DUPS_SIZE_OFF      0.1
#define DUPS_TURN_DEGREES  2.0

const char *const dups_describe_sql =
  "SELECT img_words_match_json((SELECT words FROM image_words WHERE rowid = ?4), kept),"
  "       img_words_match_json(img_words((SELECT sift FROM features WHERE image_id = ?4), ?3, 1),"
  "                            kept)"
  "  FROM (SELECT words AS kept FROM image_words WHERE rowid = ?5)";

/* The inliers and homography of an img_words_match_json text: inliers,
** with h filled when positive; 0 otherwise. */
static int dups_parse_match(const char *zJson, double h[9]){
  const char *z;
  int inliers = 0, i;
  if( zJson==0 || sscanf(zJson, "{\"inliers\":%d", &inliers)!=1 || inliers<=0 ) return 0;
  z = strstr(zJson, "\"homography\":[");
  if( z==0 ) return 0;
  z += strlen("\"homography\":[");
  for(i=0; i<9; i++){
    char *zEnd;
    h[i] = strtod(z, &zEnd);
    if( zEnd==z ) return 0;
    z = zEnd + 1;
  }
  return inliers;
}

/* The area of the quadrilateral the w x h frame becomes under H. */
static double dups_mapped_area(const double H[9], int w, int h){
  const double corner[4][2] = {{0, 0}, {w, 0}, {w, h}, {0, h}};
  double x[4], y[4], area = 0;
  int i;
  for(i=0; i<4; i++){
    double d = H[6]*corner[i][0] + H[7]*corner[i][1] + H[8];
    if( fabs(d)<1e-9 ) return 0;
    x[i] = (H[0]*corner[i][0] + H[1]*corner[i][1] + H[2])/d;
    y[i] = (H[3]*corner[i][0] + H[4]*corner[i][1] + H[5])/d;
  }
  for(i=0; i<4; i++) area += x[i]*y[(i+1)%4] - x[(i+1)%4]*y[i];
  return fabs(area)/2;
}

int dups_describe(sqlite3_stmt *describe, const DbModel *model, const DupsImage *copy,
                  const DupsImage *kept, char *zOut, size_t n_out){
  double h[9], hm[9];
  int inliers, inliers_mirrored, mirrored, rc;
  size_t len;
  db_model_bind(model, describe, 1);
  sqlite3_bind_int64(describe, 4, copy->id);
  sqlite3_bind_int64(describe, 5, kept->id);
  rc = sqlite3_step(describe);
  if( rc!=SQLITE_ROW ){
    sqlite3_reset(describe);
    return rc==SQLITE_DONE ? SQLITE_OK : rc;     /* no words: nothing to say */
  }
  inliers = dups_parse_match((const char*)sqlite3_column_text(describe, 0), h);
  inliers_mirrored = dups_parse_match((const char*)sqlite3_column_text(describe, 1), hm);
  sqlite3_reset(describe);
  mirrored = inliers_mirrored>inliers;
  if( mirrored ){
    inliers = inliers_mirrored;
    memcpy(h, hm, sizeof(h));
  }
  if( inliers==0 ) return SQLITE_OK;
  snprintf(zOut, n_out, "%s", mirrored ? "mirrored copy" : "copy");
  {
    double covered = kept->width>0 && kept->height>0
        ? dups_mapped_area(h, copy->width, copy->height)/((double)kept->width*kept->height) : 1;
    double det = fabs(h[0]*h[4] - h[1]*h[3]);
    double size = det>0 ? 1/sqrt(det) : 1;
    double turn = atan2(h[3] - h[1], h[0] + h[4])*180/M_PI;
    const char *zSep = ": ";
    if( covered<DUPS_CROP_BELOW ){
      len = strlen(zOut);
      snprintf(zOut+len, n_out-len, "%scrop %.0f%%", zSep, 100*covered);
      zSep = ", ";
    }
    if( fabs(size-1)>DUPS_SIZE_OFF ){
      len = strlen(zOut);
      snprintf(zOut+len, n_out-len, "%s%.0f%% size", zSep, 100*size);
      zSep = ", ";
    }
    if( fabs(turn)>=DUPS_TURN_DEGREES ){
      len = strlen(zOut);
      snprintf(zOut+len, n_out-len, "%sturned %.0f°", zSep, turn);
      zSep = ", ";
    }
    len = strlen(zOut);
    snprintf(zOut+len, n_out-len, "%s%d inliers", zSep, inliers);
  }
  return SQLITE_OK;
}
