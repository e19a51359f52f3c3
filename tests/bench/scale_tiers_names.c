/*
** scale_tiers_names.c — what `dups` would call each labelled pair: the
** shell's own copy_tier.c (copy_confidence, copy_describe) run over the
** pairs' words matches, so the figures are the C code's, not a model
** written again in Python.  (tests/bench/scale.sh calibrate;
** docs/BENCHMARKS.md, "The confidence `dups` prints".)
**
**   scale_tiers_names TIERS.db
**
** TIERS.db's table words_geometry (scale_tiers_words.sql: kind, copy,
** report, inliers, r, e, mirrored, h, a_w, a_h, b_w, b_h).  The features
** of the image with fewer are inliers / r, given to both images, which is
** all the confidence reads of them.  Prints, per kind, on the report half:
** the pairs, the share called a copy (confidence >= COPY_MIN_CONFIDENCE),
** and how the copies are named — "same image", "edited copy" and which
** edit (mirrored, crop, wider, size, turned), as shares of those called.
** The shares called a copy must equal those scale_tiers_calibrate.py
** prints for its fitted model at 0.5 (the coefficients in copy_tier.c are
** that fit's): a check that the two compute the same measures.
*/
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "copy_tier.h"

typedef struct Tally {
  char zKind[32];
  int copy, pairs, called, same, edited, mirrored, crop, wider, size, turned;
} Tally;

static void tally_name(Tally *t, const char *zName){
  t->called++;
  if( strncmp(zName, "same image", 10)==0 ) t->same++;
  if( strncmp(zName, "edited copy", 11)==0 ) t->edited++;
  if( strstr(zName, "mirrored") ) t->mirrored++;
  if( strstr(zName, ": crop") || strstr(zName, ", crop") ) t->crop++;
  if( strstr(zName, "wider") ) t->wider++;
  if( strstr(zName, "% size") ) t->size++;
  if( strstr(zName, "turned") ) t->turned++;
}

int main(int argc, char **argv){
  sqlite3 *db;
  sqlite3_stmt *st;
  Tally t[64];
  int n = 0, i;
  if( argc!=2 ){
    fprintf(stderr, "usage: scale_tiers_names TIERS.db\n");
    return 2;
  }
  if( sqlite3_open_v2(argv[1], &db, SQLITE_OPEN_READONLY, 0)!=SQLITE_OK
   || sqlite3_prepare_v2(db,
        "SELECT kind, copy, inliers, r, e, mirrored, h, a_w, a_h, b_w, b_h"
        "  FROM words_geometry WHERE report AND inliers > 0 AND e IS NOT NULL"
        " ORDER BY copy, kind", -1, &st, 0)!=SQLITE_OK ){
    fprintf(stderr, "scale_tiers_names: %s\n", sqlite3_errmsg(db));
    return 1;
  }
  while( sqlite3_step(st)==SQLITE_ROW ){
    const char *zKind = (const char*)sqlite3_column_text(st, 0);
    CopyMatch m;
    CopyImage a, b;
    char zJson[600], zName[120];
    double r = sqlite3_column_double(st, 3), confidence;
    for(i=0; i<n && strcmp(t[i].zKind, zKind)!=0; i++){}
    if( i==n ){
      if( n==64 ) continue;
      memset(&t[n], 0, sizeof(Tally));
      snprintf(t[n].zKind, sizeof(t[n].zKind), "%s", zKind);
      t[n++].copy = sqlite3_column_int(st, 1);
    }
    snprintf(zJson, sizeof(zJson), "{\"inliers\":%d,\"homography\":%s,\"error\":%.17g}",
             sqlite3_column_int(st, 2), (const char*)sqlite3_column_text(st, 6),
             sqlite3_column_double(st, 4));
    if( copy_match_parse(zJson, &m)==0 ) continue;
    m.mirrored = sqlite3_column_int(st, 5);
    a.width = sqlite3_column_int(st, 7);
    a.height = sqlite3_column_int(st, 8);
    b.width = sqlite3_column_int(st, 9);
    b.height = sqlite3_column_int(st, 10);
    a.features = b.features = r>0 ? (int)lround(m.inliers/r) : 0;
    confidence = copy_confidence(&m, &a, &b);
    t[i].pairs++;
    if( confidence<COPY_MIN_CONFIDENCE ) continue;
    copy_describe(&m, confidence, COPY_MIN_CONFIDENCE, &a, &b, zName, sizeof(zName));
    tally_name(&t[i], zName);
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  printf("| kind (report half) | pairs | called a copy | same image | edited copy |"
         " mirrored | crop | wider | size | turned |\n");
  printf("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  for(i=0; i<n; i++){
    double p = t[i].pairs ? t[i].pairs : 1, c = t[i].called ? t[i].called : 1;
    printf("| %s%s | %d | %.3f | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f |\n",
           t[i].zKind, t[i].copy ? "" : " (other)", t[i].pairs, t[i].called/p,
           t[i].same/c, t[i].edited/c, t[i].mirrored/c, t[i].crop/c, t[i].wider/c,
           t[i].size/c, t[i].turned/c);
  }
  return 0;
}
