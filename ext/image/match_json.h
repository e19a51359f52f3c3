/*
** match_json.h — a match result (match.h) as JSON text, for
** img_match_json (match_json.c).
*/
#ifndef IMGSEARCH_MATCH_JSON_H
#define IMGSEARCH_MATCH_JSON_H

#include "sqlite_ext.h"
#include "match.h"

/* *pzJson = {"inliers":N,"matches":M,"mirrored":false|true,
** "homography":[9 numbers]|null,"inlier_pairs":[[x1,y1,x2,y2],...]},
** built with sqlite3_str on db (whose length limit applies); the caller
** sqlite3_free()s it.  Returns SQLITE_OK, or sqlite3_str's error code
** (SQLITE_NOMEM, SQLITE_TOOBIG) with *pzJson NULL. */
int match_result_json(sqlite3 *db, const MatchResult *result, char **pzJson);

#endif /* IMGSEARCH_MATCH_JSON_H */
