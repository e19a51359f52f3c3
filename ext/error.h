/*
** error.h — the one error convention of the extension, and its helpers.
**
** Every function in ext/ that can fail returns an SQLite result code:
** SQLITE_OK, or SQLITE_ERROR / SQLITE_NOMEM / SQLITE_CORRUPT_VTAB / ... that
** says what kind of failure it was.  When there is something to tell the
** user, the message goes to the caller through a `char **pzErr` argument,
** allocated with sqlite3_mprintf and owned by the caller (sqlite3_free).
** pzErr may be NULL when the caller only wants the code.  *pzErr is left
** NULL on success and on out-of-memory (the code says it all).
**
** At the SQL boundary the message is handed on once: an SQL function with
** sql_func_errorf (below), a virtual-table method through its vtab's
** zErrMsg.  Nothing else — no fixed-size buffers, no private 0/1/2 codes.
** sift_cv.cpp, the one C++ file, follows the same rule: it catches every
** exception and hands its message on through error_set (a C function that
** allocates with sqlite3_mprintf, which never throws), so no C++ exception
** or allocation crosses into C.  For that this header can be included from
** C++: it keeps SQLite's API pointer (SQLITE_EXTENSION_INIT3) and these
** functions in C linkage, in the loadable build and with -DSQLITE_CORE.
**
** Names: functions and variables are snake_case with the module's prefix;
** strings that carry SQLite's meaning keep SQLite's names (zErrMsg, pzErr).
*/
#ifndef IMGSEARCH_ERROR_H
#define IMGSEARCH_ERROR_H
#include <stddef.h>
#ifdef __cplusplus
/* sqlite3ext.h first, with its own C++ guards; sqlite_ext.h then adds only
** the declaration of the API pointer, which must have C linkage. */
#include <sqlite3ext.h>
extern "C" {
#endif
#include "sqlite_ext.h"

/* *pzErr = the printf-style message (if pzErr is not NULL); returns rc, so
** a failure reads `return error_set(pzErr, SQLITE_ERROR, "...", ...);`. A
** message that cannot be allocated leaves *pzErr NULL; rc is unchanged. */
int error_set(char **pzErr, int rc, const char *zFormat, ...);

/* Make an SQL function's result an error with the printf-style message; rc
** is its result code (SQLITE_ERROR or a more specific one).  SQLITE_NOMEM,
** or no memory for the message, becomes sqlite3_result_error_nomem: a
** message that cannot be made must not turn an out-of-memory into another
** error. */
void sql_func_errorf(sqlite3_context *ctx, int rc, const char *zFormat, ...);

/* ---- versioned blobs ---------------------------------------------------------
** The extension's own blobs (sift blob, codebook, PCA model, vocabulary,
** words blob) share one header: 4 magic bytes, a format version byte, a
** flag byte (0 .. max_flag; 0 for formats without one), 2 reserved zero
** bytes, then the format's own fields up to header_bytes. */
typedef struct BlobFormat {
  char magic[4];
  int version;
  int header_bytes;
  const char *name;        /* "sift blob": starts every message */
  const char *make_with;   /* "img_sift(image)": how to make one */
  const char *redo;        /* "recompute it with img_sift": after a version change */
  int max_flag;            /* largest value of byte 5; 0: reserved */
} BlobFormat;

/* SQLITE_OK if p[0..n) starts with a header of format f (and *pzErr NULL,
** so a parser may start with it); otherwise SQLITE_ERROR with a message
** that names the problem.  It checks the first 8 bytes and that n covers
** header_bytes; the format's own fields are the caller's to check. */
int blob_header_check(const BlobFormat *f, const void *p, size_t n, char **pzErr);

/* Write f's header into p (header_bytes long) with the flag byte; the
** format's own fields are zeroed, for the caller to fill. */
void blob_header_write(const BlobFormat *f, int flag, void *p);

#ifdef __cplusplus
}
#endif
#endif
