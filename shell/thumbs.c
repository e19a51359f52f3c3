/*
** thumbs.c — featureless images: those SIFT finds fewer than
** THUMBS_FEATURELESS features in (skies, smooth gradients, fog, flat
** scans) have too few visual words to be found as copies, so they are
** compared by thumbnail instead.  The table thumbs (sql/schema.sql) holds
** img_thumb of each — 16 x 16 grey, zero mean, unit norm — and of its
** mirror image; the score of two images is the correlation (cosine) of
** their thumbnails, the better of the two ways round, and from
** THUMBS_MIN_CORRELATION on they are copies.  That survives re-encoding,
** scaling, brightness, contrast, colour, blur, small crops and mirroring;
** not rotation or large crops.  search (cmd_search.c) and dups
** (cmd_dups.c) use the SQL of thumbs.h; this file keeps the table filled.
**
** May call: common.h, db.h, files.h, thumbs.h, SQLite (img_thumb).
*/
#include <stdio.h>
#include <stdlib.h>

#include "common.h"
#include "db.h"
#include "files.h"
#include "thumbs.h"

/* The thumbnails of one image file (its bytes read again) into thumbs;
** a file that cannot be read or has no thumbnail (smaller than 16 x 16, or
** a single grey level) gets none.  SQLITE_OK or a database error. */
static int thumbs_put(sqlite3_stmt *put, sqlite3_int64 id, const char *zPath){
  size_t n = 0;
  char *zError = 0;
  unsigned char *data = files_read(zPath, &n, &zError);
  int rc = SQLITE_OK;
  free(zError);
  if( data && n<=FILES_MAX_BYTES ){
    sqlite3_bind_int64(put, 1, id);
    sqlite3_bind_blob(put, 2, data, (int)n, SQLITE_STATIC);
    rc = db_step(put);
    /* no thumbnail (NULL), or img_thumb's error about the image: none */
    if( rc==SQLITE_CONSTRAINT || rc==SQLITE_ERROR ) rc = SQLITE_OK;
  }
  free(data);
  return rc;
}

int thumbs_fill(sqlite3 *db, int *pn){
  sqlite3_stmt *todo = 0, *put = 0;
  int rc;
  *pn = 0;
  rc = db_exec(db, "DELETE FROM thumbs WHERE image_id NOT IN (SELECT id FROM images"
                   " WHERE status = 'ok' AND features < " THUMBS_STR(THUMBS_FEATURELESS) ")");
  if( rc==SQLITE_OK ){
    rc = sqlite3_prepare_v2(db,
        "SELECT id, path FROM images WHERE status = 'ok' AND features < "
        THUMBS_STR(THUMBS_FEATURELESS) " AND id NOT IN (SELECT image_id FROM thumbs)",
        -1, &todo, 0);
  }
  if( rc==SQLITE_OK ){
    rc = sqlite3_prepare_v2(db,
        "INSERT INTO thumbs(image_id, thumb, mirror)"
        " SELECT ?1, img_thumb(?2), img_thumb(?2, 16, 1)", -1, &put, 0);
  }
  if( rc!=SQLITE_OK ) db_error(db, "cannot prepare the thumbnails");
  while( rc==SQLITE_OK && !shell_interrupted && sqlite3_step(todo)==SQLITE_ROW ){
    rc = thumbs_put(put, sqlite3_column_int64(todo, 0),
                    (const char*)sqlite3_column_text(todo, 1));
    if( rc!=SQLITE_OK ) db_error(db, "cannot store a thumbnail");
  }
  sqlite3_finalize(todo);
  sqlite3_finalize(put);
  if( rc==SQLITE_OK ){
    *pn = (int)db_query_int(db, "SELECT count(*) FROM images WHERE status = 'ok' AND features < "
                                THUMBS_STR(THUMBS_FEATURELESS));
  }
  return rc;
}
