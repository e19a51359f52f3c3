/*
** error.c — the error convention's helpers and the common blob header.
** See error.h.
*/
#include <stdarg.h>
#include <string.h>
#include "error.h"

int error_set(char **pzErr, int rc, const char *zFormat, ...){
  va_list ap;
  if( pzErr==0 ) return rc;
  va_start(ap, zFormat);
  *pzErr = sqlite3_vmprintf(zFormat, ap);
  va_end(ap);
  return rc;
}

void sql_func_errorf(sqlite3_context *ctx, int rc, const char *zFormat, ...){
  char *zMsg;
  va_list ap;
  if( rc==SQLITE_NOMEM ){
    sqlite3_result_error_nomem(ctx);
    return;
  }
  va_start(ap, zFormat);
  zMsg = sqlite3_vmprintf(zFormat, ap);
  va_end(ap);
  if( zMsg==0 ){
    sqlite3_result_error_nomem(ctx);
    return;
  }
  sqlite3_result_error(ctx, zMsg, -1);
  if( rc!=SQLITE_OK && rc!=SQLITE_ERROR ) sqlite3_result_error_code(ctx, rc);
  sqlite3_free(zMsg);
}

int blob_header_check(const BlobFormat *f, const void *data, size_t n, char **pzErr){
  const unsigned char *p = (const unsigned char*)data;
  if( p==0 || n<4 || memcmp(p, f->magic, 4)!=0 ){
    return error_set(pzErr, SQLITE_ERROR,
        "not a %s (it does not start with \"%.4s\"); make one with %s",
        f->name, f->magic, f->make_with);
  }
  if( n<(size_t)f->header_bytes ){
    return error_set(pzErr, SQLITE_ERROR,
        "%s is truncated: %llu bytes, the header alone is %d",
        f->name, (unsigned long long)n, f->header_bytes);
  }
  if( p[4]!=f->version ){
    return error_set(pzErr, SQLITE_ERROR,
        "%s has format version %d; this build reads version %d (%s)",
        f->name, p[4], f->version, f->redo);
  }
  if( p[5]>f->max_flag || p[6] || p[7] ){
    return error_set(pzErr, SQLITE_ERROR,
        "corrupt %s: reserved header bytes are not zero", f->name);
  }
  if( pzErr ) *pzErr = 0;
  return SQLITE_OK;
}

void blob_header_write(const BlobFormat *f, int flag, void *data){
  unsigned char *p = (unsigned char*)data;
  memset(p, 0, (size_t)f->header_bytes);
  memcpy(p, f->magic, 4);
  p[4] = (unsigned char)f->version;
  p[5] = (unsigned char)flag;
}
