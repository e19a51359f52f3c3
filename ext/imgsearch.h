/*
** imgsearch.h — the public header: the entry points and the version.
**
** Two builds of one tree, each a loadable extension and a library:
**
**   full         build/imgsearch.so       libimgsearch.{a,so}      pkg-config imgsearch
**   vector-only  build/imgsearch_vec.so   libimgsearch_vec.{a,so}  pkg-config imgsearch-vec
**
** sqlite3_imgsearchvec_init registers the vector side: the annoy virtual
** table, annoy_check() and the vec_* functions. It needs only SQLite and
** libm (no OpenCV, no stb_image, no C++ runtime).
**
** sqlite3_imgsearch_init registers all of that and the image side: the
** img_* scalar functions, the training aggregates (img_codebook_train,
** img_pca_train, img_vocab_train), sift_count, the img_keypoints table and
** the wordindex virtual table (visual words).  The full library has both
** entry points.
**
** Loaded as an extension, SQLite finds the entry point by the file name
** (".load imgsearch" -> sqlite3_imgsearch_init, ".load imgsearch_vec" ->
** sqlite3_imgsearchvec_init). Linked into a program, register one for
** every connection opened afterwards:
**
**   #include <imgsearch.h>
**   sqlite3_auto_extension((void(*)(void))sqlite3_imgsearchvec_init);
**
** or call it on one open connection (pApi may be NULL when linked in).
** Both return an SQLite result code; on failure *pzErrMsg is a message
** from sqlite3_mprintf for the caller to sqlite3_free.
*/
#ifndef IMGSEARCH_H
#define IMGSEARCH_H
#include <sqlite3.h>

#define IMGSEARCH_VERSION        "0.1.0"
#define IMGSEARCH_VERSION_MAJOR  0
#define IMGSEARCH_VERSION_MINOR  1
#define IMGSEARCH_VERSION_PATCH  0
/* MAJOR*1000000 + MINOR*1000 + PATCH, as SQLITE_VERSION_NUMBER does it */
#define IMGSEARCH_VERSION_NUMBER 1000

#ifdef __cplusplus
extern "C" {
#endif

int sqlite3_imgsearch_init(sqlite3 *db, char **pzErrMsg,
                           const sqlite3_api_routines *pApi);
int sqlite3_imgsearchvec_init(sqlite3 *db, char **pzErrMsg,
                              const sqlite3_api_routines *pApi);

#ifdef __cplusplus
}
#endif
#endif
