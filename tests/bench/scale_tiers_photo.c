/*
** scale_tiers_photo.c — do the pixels of a verified pair, aligned by its
** homography, tell an edited copy from another photo of the same object?
** (tests/bench/scale.sh tiers; docs/BENCHMARKS.md, "Copy or similar".)
**
**   scale_tiers_photo TIERS.db
**
** TIERS.db is what scale_tiers.sql writes: table pair(kind, copy, report,
** nf, a_path, b_path, j), j the img_match_json of a's sift blob against
** b's, whose homography H maps a's pixels to b's (for a mirrored match it
** includes the flip); SQLite's json_each reads it.
** For each pair with inliers, both files are decoded to grey
** (image_decode_grey, the extension's decoder and limits), shrunk by the
** area filter to at most WORK_SIDE pixels a side (so blur, JPEG blocks and
** noise do not count), and every pixel of b's small image is looked up in
** a's through H⁻¹ (bilinear).  Over the pixels that land inside a:
**   overlap  their fraction of b's small image
**   ncc      the correlation of the two samples (blind to brightness and
**            contrast changes)
**   agree    the fraction of pixels whose z-scores differ by less than
**            AGREE_Z (an overlay or a caption spoils only its own pixels)
** The three are written to table photo(pair_rowid, overlap, ncc, agree);
** scale_tiers_photo.sql reads them.  Plain C over the extension's image
** code and the shell's files_read; no SQL functions of the extension are
** needed.
*/
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image/image.h"
#include "files.h"      /* shell/: files_read */

#define WORK_SIDE 96
#define AGREE_Z   0.5

typedef struct Small {       /* a grey image shrunk to at most WORK_SIDE */
  int w, h;                  /* of the small image */
  double sx, sy;             /* original pixels per small pixel */
  unsigned char *px;
} Small;

static int small_load(const char *zPath, Small *s){
  size_t n = 0;
  char *zReadErr = 0;
  unsigned char *data = files_read(zPath, &n, &zReadErr);
  GreyImage grey;
  char *zErr = 0;
  int rc;
  memset(s, 0, sizeof(*s));
  free(zReadErr);
  if( data==0 ) return 0;
  rc = image_decode_grey(data, n, 0, &grey, &zErr);
  free(data);
  sqlite3_free(zErr);
  if( rc!=SQLITE_OK ) return 0;
  {
    double k = (double)WORK_SIDE/(grey.width>grey.height ? grey.width : grey.height);
    if( k>1 ) k = 1;
    s->w = (int)(grey.width*k + 0.5);
    s->h = (int)(grey.height*k + 0.5);
    if( s->w<1 ) s->w = 1;
    if( s->h<1 ) s->h = 1;
    s->sx = (double)grey.original_width/s->w;
    s->sy = (double)grey.original_height/s->h;
    s->px = malloc((size_t)s->w*s->h);
    if( s->px ) image_area_downscale(grey.pixels, grey.width, grey.height, grey.width,
                                     s->px, s->w, s->h);
  }
  image_grey_free(&grey);
  return s->px!=0;
}

static int invert3(const double m[9], double r[9]){
  double det = m[0]*(m[4]*m[8] - m[5]*m[7]) - m[1]*(m[3]*m[8] - m[5]*m[6])
             + m[2]*(m[3]*m[7] - m[4]*m[6]);
  if( fabs(det)<1e-12 ) return 0;
  r[0] = (m[4]*m[8] - m[5]*m[7])/det;  r[1] = (m[2]*m[7] - m[1]*m[8])/det;
  r[2] = (m[1]*m[5] - m[2]*m[4])/det;  r[3] = (m[5]*m[6] - m[3]*m[8])/det;
  r[4] = (m[0]*m[8] - m[2]*m[6])/det;  r[5] = (m[2]*m[3] - m[0]*m[5])/det;
  r[6] = (m[3]*m[7] - m[4]*m[6])/det;  r[7] = (m[1]*m[6] - m[0]*m[7])/det;
  r[8] = (m[0]*m[4] - m[1]*m[3])/det;
  return 1;
}

static double bilinear(const Small *s, double x, double y){
  int x0 = (int)floor(x), y0 = (int)floor(y), x1, y1;
  double fx = x - x0, fy = y - y0;
  if( x0<0 ){ x0 = 0; fx = 0; }
  if( y0<0 ){ y0 = 0; fy = 0; }
  x1 = x0+1<s->w ? x0+1 : x0;
  y1 = y0+1<s->h ? y0+1 : y0;
  return (1-fy)*((1-fx)*s->px[y0*s->w+x0] + fx*s->px[y0*s->w+x1])
       + fy*((1-fx)*s->px[y1*s->w+x0] + fx*s->px[y1*s->w+x1]);
}

/* Compare a and b aligned by h (a -> b).  Returns 0 when under 16 pixels
** overlap. */
static int compare(const Small *a, const Small *b, const double h[9], double *overlap, double *ncc, double *agree){
  double inv[9], sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0, ma, mb, da, db;
  double *va = malloc(sizeof(double)*b->w*b->h), *vb = malloc(sizeof(double)*b->w*b->h);
  int n = 0, u, v, i, close = 0;
  if( va==0 || vb==0 || !invert3(h, inv) ){ free(va); free(vb); return 0; }
  for(v=0; v<b->h; v++) for(u=0; u<b->w; u++){
    double xb = (u+0.5)*b->sx, yb = (v+0.5)*b->sy;
    double d = inv[6]*xb + inv[7]*yb + inv[8], xa, ya;
    if( fabs(d)<1e-12 ) continue;
    xa = (inv[0]*xb + inv[1]*yb + inv[2])/d;
    ya = (inv[3]*xb + inv[4]*yb + inv[5])/d;
    xa = xa/a->sx - 0.5;
    ya = ya/a->sy - 0.5;
    if( xa<0 || ya<0 || xa>a->w-1 || ya>a->h-1 ) continue;
    va[n] = bilinear(a, xa, ya);
    vb[n] = b->px[v*b->w+u];
    n++;
  }
  if( n<16 ){ free(va); free(vb); return 0; }
  for(i=0; i<n; i++){
    sa += va[i]; sb += vb[i]; saa += va[i]*va[i]; sbb += vb[i]*vb[i]; sab += va[i]*vb[i];
  }
  ma = sa/n; mb = sb/n;
  da = sqrt(saa/n - ma*ma); db = sqrt(sbb/n - mb*mb);
  if( da<1e-6 || db<1e-6 ){ free(va); free(vb); return 0; }
  for(i=0; i<n; i++){
    if( fabs((va[i]-ma)/da - (vb[i]-mb)/db)<AGREE_Z ) close++;
  }
  *overlap = (double)n/(b->w*b->h);
  *ncc = (sab/n - ma*mb)/(da*db);
  *agree = (double)close/n;
  free(va); free(vb);
  return 1;
}

int main(int argc, char **argv){
  sqlite3 *db;
  sqlite3_stmt *list, *put;
  int done = 0, failed = 0;
  if( argc!=2 ){
    fprintf(stderr, "usage: scale_tiers_photo TIERS.db\n");
    return 2;
  }
  if( sqlite3_open(argv[1], &db)!=SQLITE_OK
   || sqlite3_exec(db, "DROP TABLE IF EXISTS photo;"
                       "CREATE TABLE photo(pair_rowid INTEGER PRIMARY KEY, overlap REAL,"
                       " ncc REAL, agree REAL); BEGIN", 0, 0, 0)!=SQLITE_OK
   || sqlite3_prepare_v2(db, "SELECT pair.rowid, a_path, b_path, h.value FROM pair,"
                             " json_each(j, '$.homography') AS h"
                             " WHERE j->>'inliers' > 0 ORDER BY pair.rowid, h.key", -1, &list, 0)!=SQLITE_OK
   || sqlite3_prepare_v2(db, "INSERT INTO photo VALUES (?1, ?2, ?3, ?4)", -1, &put, 0)!=SQLITE_OK ){
    fprintf(stderr, "scale_tiers_photo: %s\n", sqlite3_errmsg(db));
    return 1;
  }
  /* nine rows a pair: its homography, row-major */
  while( sqlite3_step(list)==SQLITE_ROW ){
    Small a = {0}, b = {0};
    double h[9], overlap, ncc, agree;
    sqlite3_int64 pair = sqlite3_column_int64(list, 0);
    int i, ok;
    char *zA = strdup((const char*)sqlite3_column_text(list, 1));
    char *zB = strdup((const char*)sqlite3_column_text(list, 2));
    h[0] = sqlite3_column_double(list, 3);
    for(i=1; i<9 && sqlite3_step(list)==SQLITE_ROW; i++) h[i] = sqlite3_column_double(list, 3);
    ok = i==9 && zA && zB && small_load(zA, &a) && small_load(zB, &b)
      && compare(&a, &b, h, &overlap, &ncc, &agree);
    if( ok ){
      sqlite3_bind_int64(put, 1, pair);
      sqlite3_bind_double(put, 2, overlap);
      sqlite3_bind_double(put, 3, ncc);
      sqlite3_bind_double(put, 4, agree);
      sqlite3_step(put);
      sqlite3_reset(put);
      done++;
    }else{
      failed++;
    }
    free(zA);
    free(zB);
    free(a.px);
    free(b.px);
  }
  sqlite3_finalize(list);
  sqlite3_finalize(put);
  sqlite3_exec(db, "COMMIT", 0, 0, 0);
  sqlite3_close(db);
  printf("photo: %d pairs compared, %d not (a file unreadable or under 16 pixels overlap)\n",
         done, failed);
  return 0;
}
