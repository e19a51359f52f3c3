/*
** repl_files.c — readfile(PATH) and writefile(PATH, DATA) for the REPL's
** connection (see repl_files.h), with the sqlite3 shell's meaning:
**
**   readfile(PATH)          -> the file's bytes as a BLOB; NULL if it cannot
**                              be read (as in sqlite3)
**   writefile(PATH, DATA)   -> the number of bytes written; an error if the
**                              file cannot be written
**
** They are SQLITE_DIRECTONLY: a view or trigger in an untrusted database
** cannot read or write files through them.
**
** May call: files.h (files_read), SQLite, stdio.
*/
#include <stdio.h>
#include <stdlib.h>

#include "files.h"
#include "repl_files.h"

static void repl_readfile(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  const char *zPath = (const char*)sqlite3_value_text(argv[0]);
  char *zError = 0;
  size_t n = 0;
  unsigned char *data;
  (void)argc;
  if( zPath==0 ) return;
  data = files_read(zPath, &n, &zError);
  free(zError);
  if( data==0 ) return;
  if( n>FILES_MAX_BYTES ){
    free(data);
    sqlite3_result_error_toobig(ctx);
    return;
  }
  sqlite3_result_blob64(ctx, data, n, free);
}

static void repl_writefile(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  const char *zPath = (const char*)sqlite3_value_text(argv[0]);
  const void *data = sqlite3_value_blob(argv[1]);
  int n = sqlite3_value_bytes(argv[1]);
  FILE *f;
  int ok;
  (void)argc;
  if( zPath==0 ) return;
  f = fopen(zPath, "wb");
  ok = f!=0 && (n==0 || fwrite(data, 1, (size_t)n, f)==(size_t)n);
  if( f && fclose(f)!=0 ) ok = 0;
  if( !ok ){
    char *zMsg = sqlite3_mprintf("writefile: cannot write %s", zPath);
    if( zMsg==0 ){ sqlite3_result_error_nomem(ctx); return; }
    sqlite3_result_error(ctx, zMsg, -1);
    sqlite3_free(zMsg);
    return;
  }
  sqlite3_result_int(ctx, n);
}

int repl_files_register(sqlite3 *db){
  int rc = sqlite3_create_function(db, "readfile", 1, SQLITE_UTF8 | SQLITE_DIRECTONLY,
                                   0, repl_readfile, 0, 0);
  if( rc==SQLITE_OK ) rc = sqlite3_create_function(db, "writefile", 2,
                                   SQLITE_UTF8 | SQLITE_DIRECTONLY, 0, repl_writefile, 0, 0);
  return rc;
}
