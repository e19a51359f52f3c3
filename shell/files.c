/*
** files.c — finding image files and reading them.  No SQLite here.
**
** files_collect walks folders recursively (nftw, not following symlinked
** folders, so a link loop cannot trap it) and keeps files whose name ends in
** a supported extension: jpg jpeg png webp heic heif hif avif jxl tif tiff
** bmp gif tga pnm ppm pgm.  Every other file it meets is counted by extension
** (FileList.skipped), so `index` can say what it left out and why.  Paths
** are stored absolute and resolved (realpath), so the same file indexed
** from two working directories is one record.
**
** May call: libc (nftw, realpath, stat, stdio).
*/
#include <errno.h>
#include <stdio.h>
#include <ftw.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "files.h"

static const char *const files_extensions[] = {
  "jpg", "jpeg", "png", "webp", "heic", "heif", "hif", "avif", "jxl", "tif",
  "tiff", "bmp", "gif", "tga", "pnm", "ppm", "pgm", 0
};

int files_is_image_name(const char *zName){
  const char *zDot = strrchr(zName, '.');
  int i;
  if( zDot==0 || strchr(zDot, '/') ) return 0;
  for(i=0; files_extensions[i]; i++){
    if( strcasecmp(zDot+1, files_extensions[i])==0 ) return 1;
  }
  return 0;
}

static int files_add(FileList *list, const char *zPath, const struct stat *st,
                     const char *zError){
  FileEntry *e;
  if( list->n==list->n_alloc ){
    size_t n_new = list->n_alloc ? list->n_alloc*2 : 64;
    FileEntry *a = realloc(list->a, n_new*sizeof(FileEntry));
    if( a==0 ) return -1;
    list->a = a;
    list->n_alloc = n_new;
  }
  e = &list->a[list->n];
  memset(e, 0, sizeof(*e));
  e->zPath = strdup(zPath);
  if( e->zPath==0 ) return -1;
  if( zError ){
    e->zError = strdup(zError);
    if( e->zError==0 ){ free(e->zPath); return -1; }
  }else{
    e->size = (int64_t)st->st_size;
    e->mtime_ns = (int64_t)st->st_mtim.tv_sec*1000000000 + st->st_mtim.tv_nsec;
  }
  list->n++;
  return 0;
}

/* Add one file given by path: resolved, stat'ed. */
static int files_add_path(FileList *list, const char *zPath){
  char zReal[PATH_MAX];
  struct stat st;
  if( realpath(zPath, zReal)==0 || stat(zReal, &st)!=0 ){
    char zError[300];
    snprintf(zError, sizeof(zError), "cannot read: %s", strerror(errno));
    return files_add(list, zPath, 0, zError);
  }
  if( !S_ISREG(st.st_mode) ){
    return files_add(list, zReal, 0, "not a regular file");
  }
  return files_add(list, zReal, &st, 0);
}

/* Count a file the walk leaves out, under its extension (lower case; ""
** when the name has none).  -1 when out of memory. */
static int files_skip(FileList *list, const char *zPath){
  const char *zBase = strrchr(zPath, '/');
  const char *zDot;
  char zExt[sizeof(list->skipped[0].zExt)];
  size_t i;
  zBase = zBase ? zBase+1 : zPath;
  zDot = strrchr(zBase, '.');
  zExt[0] = 0;
  if( zDot && zDot>zBase && strlen(zDot+1)<sizeof(zExt) ){
    for(i=0; zDot[1+i]; i++){
      char c = zDot[1+i];
      zExt[i] = (char)(c>='A' && c<='Z' ? c-'A'+'a' : c);
    }
    zExt[i] = 0;
  }else if( zDot && zDot>zBase ){
    strcpy(zExt, "?");                      /* too long to be a format */
  }
  list->n_skipped++;
  for(i=0; i<list->n_skipped_kinds; i++){
    if( strcmp(list->skipped[i].zExt, zExt)==0 ){
      list->skipped[i].n++;
      return 0;
    }
  }
  if( (list->n_skipped_kinds & 15)==0 ){
    FileSkipped *a = realloc(list->skipped, (list->n_skipped_kinds+16)*sizeof(FileSkipped));
    if( a==0 ) return -1;
    list->skipped = a;
  }
  strcpy(list->skipped[list->n_skipped_kinds].zExt, zExt);
  list->skipped[list->n_skipped_kinds++].n = 1;
  return 0;
}

static int files_skipped_compare(const void *a, const void *b){
  const FileSkipped *x = a, *y = b;
  if( x->n!=y->n ) return x->n > y->n ? -1 : 1;
  return strcmp(x->zExt, y->zExt);
}

char *files_skipped_text(FileList *list){
  size_t i, n_alloc = 64;
  char *z;
  int len;
  if( list->n_skipped==0 ) return 0;
  qsort(list->skipped, list->n_skipped_kinds, sizeof(FileSkipped), files_skipped_compare);
  n_alloc += list->n_skipped_kinds*(sizeof(list->skipped[0].zExt) + 24);
  z = malloc(n_alloc);
  if( z==0 ) return 0;
  len = snprintf(z, n_alloc, "%lld skipped: unsupported format (",
                 (long long)list->n_skipped);
  for(i=0; i<list->n_skipped_kinds; i++){
    const FileSkipped *k = &list->skipped[i];
    len += snprintf(z+len, n_alloc-(size_t)len, "%s%s%s", i ? ", " : "",
                    k->zExt[0]==0 ? "no extension" : k->zExt[0]=='?' ? "other" : ".",
                    k->zExt[0]=='?' ? "" : k->zExt);
    if( k->n>1 ) len += snprintf(z+len, n_alloc-(size_t)len, " x%lld", (long long)k->n);
  }
  snprintf(z+len, n_alloc-(size_t)len, ")");
  return z;
}

/* nftw has no user pointer: the walk in progress is passed through this
** thread-local (one walk at a time per thread). */
static _Thread_local FileList *files_walk_list;
static _Thread_local int files_walk_nomem;

static int files_walk_visit(const char *zPath, const struct stat *st,
                            int type, struct FTW *ftw){
  (void)ftw;
  if( type==FTW_F || type==FTW_SL || type==FTW_SLN ){
    /* A symlink to a file is followed (resolved by files_add_path). */
    int rc = !files_is_image_name(zPath) ? files_skip(files_walk_list, zPath)
           : type==FTW_F ? files_add(files_walk_list, zPath, st, 0)
           : files_add_path(files_walk_list, zPath);
    if( rc ) files_walk_nomem = 1;
  }else if( type==FTW_DNR ){
    if( files_add(files_walk_list, zPath, 0, "cannot read folder") ){
      files_walk_nomem = 1;
    }
  }
  return files_walk_nomem ? 1 : 0;
}

int files_collect(FileList *list, const char *zPath){
  char zReal[PATH_MAX];
  struct stat st;
  /* Not a folder: a file, or an entry saying why it cannot be read. */
  if( realpath(zPath, zReal)==0 || stat(zReal, &st)!=0 || !S_ISDIR(st.st_mode) ){
    return files_add_path(list, zPath);
  }
  files_walk_list = list;
  files_walk_nomem = 0;
  if( nftw(zReal, files_walk_visit, 32, FTW_PHYS)!=0 && !files_walk_nomem ){
    char zError[300];
    snprintf(zError, sizeof(zError), "cannot walk folder: %s", strerror(errno));
    return files_add(list, zReal, 0, zError);
  }
  return files_walk_nomem ? -1 : 0;
}

static int files_compare(const void *a, const void *b){
  return strcmp(((const FileEntry*)a)->zPath, ((const FileEntry*)b)->zPath);
}

void files_sort_unique(FileList *list){
  size_t i, j = 0;
  if( list->n==0 ) return;
  qsort(list->a, list->n, sizeof(FileEntry), files_compare);
  for(i=1; i<list->n; i++){
    if( strcmp(list->a[i].zPath, list->a[j].zPath)==0 ){
      free(list->a[i].zPath);
      free(list->a[i].zError);
    }else{
      list->a[++j] = list->a[i];
    }
  }
  list->n = j+1;
}

void files_free(FileList *list){
  size_t i;
  for(i=0; i<list->n; i++){
    free(list->a[i].zPath);
    free(list->a[i].zError);
  }
  free(list->a);
  free(list->skipped);
  memset(list, 0, sizeof(*list));
}

unsigned char *files_read(const char *zPath, size_t *pn, char **pzError){
  FILE *f = fopen(zPath, "rb");
  unsigned char *data = 0;
  size_t n = 0, n_alloc = 0;
  *pn = 0;
  *pzError = 0;
  if( f==0 ) goto failed;
  for(;;){
    size_t got;
    if( n==n_alloc ){
      size_t n_new = n_alloc ? n_alloc*2 : 1<<16;
      unsigned char *p = realloc(data, n_new);
      if( p==0 ){ errno = ENOMEM; goto failed; }
      data = p;
      n_alloc = n_new;
    }
    got = fread(data+n, 1, n_alloc-n, f);
    n += got;
    if( got==0 ){
      if( ferror(f) ) goto failed;
      break;
    }
  }
  fclose(f);
  *pn = n;
  return data;

failed:
  {
    char zError[300];
    snprintf(zError, sizeof(zError), "cannot read: %s", strerror(errno));
    *pzError = strdup(zError);
  }
  if( f ) fclose(f);
  free(data);
  return 0;
}

void files_hash(const unsigned char *data, size_t n, char zOut[17]){
  uint64_t h = 0xcbf29ce484222325ull;
  size_t i;
  for(i=0; i<n; i++){
    h ^= data[i];
    h *= 0x100000001b3ull;
  }
  snprintf(zOut, 17, "%016llx", (unsigned long long)h);
}
