/*
** match_json.c — a match result as JSON text.  See match_json.h.
**
** Owns: the JSON layout img_match_json returns.  Numbers: the homography
** with 10 significant digits, pixel coordinates with 7 (a float's).
**
** May call: sqlite3_str_* through sqlite_ext.h.
*/
#include "match_json.h"

int match_result_json(sqlite3 *db, const MatchResult *r, char **pzJson){
  sqlite3_str *json = sqlite3_str_new(db);
  int i, rc;
  sqlite3_str_appendf(json, "{\"inliers\":%d,\"matches\":%d,\"mirrored\":%s,",
                      r->inliers, r->matches, r->mirrored ? "true" : "false");
  if( r->inliers>0 ){
    const double *h = r->homography;
    sqlite3_str_appendf(json, "\"homography\":[%.10g,%.10g,%.10g,%.10g,%.10g,"
                        "%.10g,%.10g,%.10g,%.10g],\"inlier_pairs\":[",
                        h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7], h[8]);
    for(i=0; i<r->inliers; i++){
      const float *p = r->inlier_pairs + 4*(size_t)i;
      sqlite3_str_appendf(json, "%s[%.7g,%.7g,%.7g,%.7g]", i ? "," : "",
                          (double)p[0], (double)p[1], (double)p[2],
                          (double)p[3]);
    }
    sqlite3_str_appendall(json, "]}");
  }else{
    sqlite3_str_appendall(json, "\"homography\":null,\"inlier_pairs\":[]}");
  }
  rc = sqlite3_str_errcode(json);
  *pzJson = sqlite3_str_finish(json);
  if( rc!=SQLITE_OK ){
    sqlite3_free(*pzJson);
    *pzJson = 0;
  }
  return rc;
}
