/*
** image_sql.h — registration of the img_* SQL functions, the img_keypoints
** table-valued function and sift_count() (image_sql.c).
*/
#ifndef IMGSEARCH_IMAGE_SQL_H
#define IMGSEARCH_IMAGE_SQL_H
#include "sqlite_ext.h"

/* Register everything on db, with this connection's own image limits
** (img_limits).  SQLITE_OK or an SQLite error code. */
int image_sql_register(sqlite3 *db);

#endif /* IMGSEARCH_IMAGE_SQL_H */
