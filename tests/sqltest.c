/*
** sqltest.c — runs SQL case files against the extension.
**
** A case file is a list of cases, each a header line, SQL, a "----" line and
** the exact expected output, which runs to the next header:
**
**   -- 2.3 wrong dimension is rejected
**   INSERT INTO t(rowid, v) VALUES (1, '[1,2]');
**   ----
**   error: annoy: the vector: wrong dimension: expected 3 values, got 2
**
** Output is one line per result row, values joined by '|', NULL as NULL,
** BLOBs as X'hex'. A failing statement prints "error: " and its message and
** stops that case. All cases of one file share one fresh in-memory database
** with build/imgsearch.so loaded (path from argv[1]).
**
** Prints "ok N - file: header" or "not ok ..." with a diff-like report.
*/
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct Buf { char *p; size_t n, alloc; } Buf;

static void buf_add(Buf *b, const char *s, size_t n){
  if( b->n+n+1 > b->alloc ){
    b->alloc = (b->n+n+1)*2;
    b->p = realloc(b->p, b->alloc);
    if( b->p==0 ){ fprintf(stderr, "out of memory\n"); exit(2); }
  }
  memcpy(b->p+b->n, s, n);
  b->n += n;
  b->p[b->n] = 0;
}
static void buf_str(Buf *b, const char *s){ buf_add(b, s, strlen(s)); }

/* Run every statement of sql, appending its output to out. */
static void run_sql(sqlite3 *db, const char *sql, Buf *out){
  while( sql && *sql ){
    sqlite3_stmt *st = 0;
    const char *tail = 0;
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, &tail);
    if( rc ){
      buf_str(out, "error: "); buf_str(out, sqlite3_errmsg(db)); buf_str(out, "\n");
      return;
    }
    if( st==0 ){ sql = tail; continue; }
    while( (rc = sqlite3_step(st))==SQLITE_ROW ){
      int i, n = sqlite3_column_count(st);
      for(i=0; i<n; i++){
        if( i ) buf_str(out, "|");
        switch( sqlite3_column_type(st, i) ){
          case SQLITE_NULL: buf_str(out, "NULL"); break;
          case SQLITE_BLOB: {
            const unsigned char *p = sqlite3_column_blob(st, i);
            int j, m = sqlite3_column_bytes(st, i);
            char hex[3];
            buf_str(out, "X'");
            for(j=0; j<m; j++){ snprintf(hex, sizeof(hex), "%02X", p[j]); buf_str(out, hex); }
            buf_str(out, "'");
            break;
          }
          default: buf_str(out, (const char*)sqlite3_column_text(st, i));
        }
      }
      buf_str(out, "\n");
    }
    if( rc!=SQLITE_DONE ){
      buf_str(out, "error: "); buf_str(out, sqlite3_errmsg(db)); buf_str(out, "\n");
      sqlite3_finalize(st);
      return;
    }
    sqlite3_finalize(st);
    sql = tail;
  }
}

static char *read_file(const char *path){
  FILE *f = fopen(path, "rb");
  Buf b = { 0, 0, 0 };
  char chunk[4096];
  size_t n;
  if( f==0 ) return 0;
  while( (n = fread(chunk, 1, sizeof(chunk), f))>0 ) buf_add(&b, chunk, n);
  fclose(f);
  if( b.p==0 ) buf_str(&b, "");
  return b.p;
}

int main(int argc, char **argv){
  sqlite3 *db;
  char *text, *line, *save = 0, *err = 0;
  int failed = 0, i;
  if( argc<3 ){ fprintf(stderr, "usage: sqltest EXTENSION FILE.test...\n"); return 2; }
  for(i=2; i<argc; i++){
    Buf header = {0}, sql = {0}, want = {0};
    int state = 0;   /* 0 between cases, 1 in SQL, 2 in expected output */
    if( (text = read_file(argv[i]))==0 ){ printf("not ok - %s: cannot read\n", argv[i]); failed++; continue; }
    sqlite3_open(":memory:", &db);
    sqlite3_enable_load_extension(db, 1);
    if( sqlite3_load_extension(db, argv[1], 0, &err) ){
      printf("not ok - %s: cannot load %s: %s\n", argv[i], argv[1], err);
      return 1;
    }
    for(line=strtok_r(text, "\n", &save); ; line=strtok_r(0, "\n", &save)){
      /* strtok_r skips empty lines, so a case ends at the next header or EOF */
      int is_header = line && strncmp(line, "-- ", 3)==0 && state!=1;
      if( (line==0 || is_header) && state==2 ){
        Buf got = {0};
        run_sql(db, sql.p, &got);
        if( got.p==0 ) buf_str(&got, "");
        if( strcmp(got.p, want.p ? want.p : "")==0 ){
          printf("ok - %s: %s\n", argv[i], header.p);
        }else{
          failed++;
          printf("not ok - %s: %s\n  SQL:\n%s  expected:\n%s  got:\n%s", argv[i], header.p,
                 sql.p, want.p ? want.p : "", got.p);
        }
        free(got.p);
        sql.n = want.n = 0;
        if( sql.p ) sql.p[0] = 0;
        if( want.p ) want.p[0] = 0;
        state = 0;
      }
      if( line==0 ) break;
      if( is_header ){
        header.n = 0;
        buf_str(&header, line+3);
        state = 1;
      }else if( state==1 && strcmp(line, "----")==0 ){
        state = 2;
      }else if( state==1 ){
        buf_str(&sql, line); buf_str(&sql, "\n");
      }else if( state==2 ){
        buf_str(&want, line); buf_str(&want, "\n");
      }
    }
    sqlite3_close(db);
    free(text); free(header.p); free(sql.p); free(want.p);
  }
  return failed ? 1 : 0;
}
