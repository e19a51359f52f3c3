/*
** files.h — finding image files and reading them (files.c, no SQLite).
*/
#ifndef IMGSEARCH_FILES_H
#define IMGSEARCH_FILES_H
#include <stddef.h>
#include <stdint.h>

typedef struct FileEntry {
  char *zPath;          /* absolute, resolved (malloc'd) */
  int64_t size;
  int64_t mtime_ns;
  char *zError;         /* non-NULL: stat/walk failed for this path */
} FileEntry;

/* Files a walk left out, of one extension. */
typedef struct FileSkipped {
  char zExt[12];        /* lower case, no dot; "" none, "?" longer than 11 */
  int64_t n;
} FileSkipped;

typedef struct FileList {
  FileEntry *a;
  size_t n, n_alloc;
  FileSkipped *skipped; /* by extension, n_skipped_kinds of them (malloc'd) */
  size_t n_skipped_kinds;
  int64_t n_skipped;    /* files in walked folders without an image extension */
} FileList;

/* 1 if the name ends in a supported image extension (case-insensitive). */
int files_is_image_name(const char *zName);

/* Add zPath (a file or a folder walked recursively) to list.  Files named
** explicitly are added whatever their extension.  Problems (missing paths,
** unreadable folders) become entries with zError set.  Returns 0, or -1 on
** out of memory. */
int files_collect(FileList *list, const char *zPath);

/* "3 skipped: unsupported format (.cr2 x2, .txt)", the commonest first
** (malloc'd; it sorts list->skipped), or NULL when nothing was skipped or
** out of memory. */
char *files_skipped_text(FileList *list);

/* Sort by path and drop repeated paths. */
void files_sort_unique(FileList *list);
void files_free(FileList *list);

/* Files larger than this are refused (SQLite BLOBs are at most 2 GB; an
** image this big is over img_sift's pixel limit anyway). */
#define FILES_MAX_BYTES ((size_t)1 << 30)

/* Read a whole file (malloc'd, *pn bytes).  NULL with *pzError (malloc'd
** strerror text) on failure. */
unsigned char *files_read(const char *zPath, size_t *pn, char **pzError);

/* 64-bit FNV-1a of the bytes as 16 lowercase hex digits + NUL. */
void files_hash(const unsigned char *data, size_t n, char zOut[17]);

#endif /* IMGSEARCH_FILES_H */
