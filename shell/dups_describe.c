/*
** dups_describe.c — what a copy is to the copy kept in its group: their
** visual words matched again (img_words_match_json: the copy's words, and
** its mirror image's, against the kept one's; the better of the two), and
** the match named by copy_tier.c: "edited copy 97%: mirrored, crop 25%,
** 50% size, turned 90°, 40 inliers", "same image 99%: 50% size, 159
** inliers", "similar 8%, 30 inliers".
**
** May call: copy_tier.h, dups_parts.h, db.h, SQLite (img_words_match_json,
** img_words).
*/

#include "copy_tier.h"
#include "db.h"
#include "dups_parts.h"

const char *const dups_describe_sql =
  "SELECT img_words_match_json((SELECT words FROM image_words WHERE rowid = ?4), kept),"
  "       img_words_match_json(img_words((SELECT sift FROM features WHERE image_id = ?4), ?3, 1),"
  "                            kept)"
  "  FROM (SELECT words AS kept FROM image_words WHERE rowid = ?5)";

int dups_describe(sqlite3_stmt *describe, const DbModel *model, double min_confidence,
                  DupsImage *copy, const DupsImage *kept){
  CopyMatch m, mirrored;
  int rc;
  db_model_bind(model, describe, 1);
  sqlite3_bind_int64(describe, 4, copy->id);
  sqlite3_bind_int64(describe, 5, kept->id);
  rc = sqlite3_step(describe);
  if( rc!=SQLITE_ROW ){
    sqlite3_reset(describe);
    return rc==SQLITE_DONE ? SQLITE_OK : rc;     /* no words: nothing to say */
  }
  copy_match_parse((const char*)sqlite3_column_text(describe, 0), &m);
  copy_match_parse((const char*)sqlite3_column_text(describe, 1), &mirrored);
  sqlite3_reset(describe);
  m.mirrored = 0;
  if( mirrored.inliers>m.inliers ){
    m = mirrored;
    m.mirrored = 1;
  }
  if( m.inliers==0 ) return SQLITE_OK;
  copy->to_kept = m;
  copy_describe(&m, copy_confidence(&m, &copy->image, &kept->image), min_confidence,
                &copy->image, &kept->image, copy->zMatch, sizeof(copy->zMatch));
  return SQLITE_OK;
}
