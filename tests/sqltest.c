/*
** sqltest.c — runs SQL case files against the extension.
**
**   sqltest EXTENSION FILE.test...
**   sqltest --oom[=MAX] EXTENSION FILE.test...      (out-of-memory runs, below)
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
** Prints "ok - file: header" or "not ok ..." with a diff-like report.
**
** OUT OF MEMORY (--oom), as SQLite's own fault injection does it. Every
** allocation of SQLite and of the extension goes through a wrapper around
** SQLite's default allocator (SQLITE_CONFIG_MALLOC) that can fail the Nth
** one. Before a case runs as usual, it is run once for each N = 1, 2, 3, ...
** up to its number of allocations (with --oom=MAX: at most MAX values of N,
** spread evenly over them), in two kinds: "transient" fails only allocation
** N, "persistent" fails N and every later one. A child forked from the
** parent just before the case (the runner) runs it without faults and, at
** allocation N, forks again: that child is the faulted run. So each run
** starts from exactly the database and connection state the case expects,
** and every N costs one pass through the case, not N allocations of
** replay. A faulted run passes when
**   1. its output is the expected output, or the first lines of it followed
**      by an error whose code is SQLITE_NOMEM, or by the expected error with
**      SQLite's generic text for its code (SQLite copies a message with an
**      allocation allowed to fail); another error code, or different rows,
**      means the failure was lost or misreported;
**   2. with allocation working again, the database is consistent: PRAGMA
**      integrity_check is ok, and every annoy table the case names passes
**      annoy_check, takes an inserted copy of a row, finds it with a KNN
**      query, deletes it and passes annoy_check again; all this again after
**      rolling back a transaction the fault left open. A table the case
**      damages on purpose is excused: a clean run of the case, in another
**      child, checks every table before, between and after its statements;
**   3. sqlite3_close succeeds and every allocation is freed (no leak);
**   4. no signal ended it (a crash, a hang past 5 minutes, or an
**      AddressSanitizer report with SANITIZE=1).
** --cases=FIRST[-LAST] (after --oom) limits the faulted runs to the cases
** numbered FIRST through LAST (e.g. 4.32-4.34; without LAST, FIRST only);
** the others run as usual, to build the state, so a long file can be split
** between processes.
** OpenCV allocates with C++ new, which this cannot fail: inside img_sift
** and img_match only SQLite's and the extension's allocations fail.
*/
#include <sqlite3.h>
#include <ctype.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sql/testlib.h"

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

/* The text so far ("" when empty); the Buf keeps ownership. */
static const char *buf_text(Buf *b){
  if( b->p==0 ) buf_str(b, "");
  return b->p;
}

/* ---- running SQL ---------------------------------------------------------------- */

/* Called after each statement that succeeded (see find_damage). */
typedef void (*StatementHook)(sqlite3 *db, void *ctx);

/* Run every statement of sql, appending its output to out. Returns the
** error code of the statement that failed, or SQLITE_OK. */
static int run_sql(sqlite3 *db, const char *sql, Buf *out, StatementHook after, void *ctx){
  while( sql && *sql ){
    sqlite3_stmt *st = 0;
    const char *tail = 0;
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, &tail);
    if( rc ){
      buf_str(out, "error: "); buf_str(out, sqlite3_errmsg(db)); buf_str(out, "\n");
      return rc;
    }
    if( st==0 ){ sql = tail; continue; }
    while( (rc = sqlite3_step(st))==SQLITE_ROW ){
      Buf row = {0};
      int i, n = sqlite3_column_count(st);
      for(i=0; i<n && rc==SQLITE_ROW; i++){
        if( i ) buf_str(&row, "|");
        switch( sqlite3_column_type(st, i) ){
          case SQLITE_NULL: buf_str(&row, "NULL"); break;
          case SQLITE_BLOB: {
            const unsigned char *p = sqlite3_column_blob(st, i);
            int j, m = sqlite3_column_bytes(st, i);
            char hex[3];
            buf_str(&row, "X'");
            for(j=0; j<m; j++){ snprintf(hex, sizeof(hex), "%02X", p[j]); buf_str(&row, hex); }
            buf_str(&row, "'");
            break;
          }
          default: {
            /* Converting a number to text allocates, so this can run out of memory. */
            const char *text = (const char*)sqlite3_column_text(st, i);
            if( text ) buf_str(&row, text); else rc = SQLITE_NOMEM;
          }
        }
      }
      if( rc==SQLITE_ROW ){ buf_str(&row, "\n"); buf_str(out, buf_text(&row)); }
      free(row.p);
      if( rc!=SQLITE_ROW ) break;
    }
    if( rc!=SQLITE_DONE ){
      buf_str(out, "error: "); buf_str(out, sqlite3_errmsg(db)); buf_str(out, "\n");
      sqlite3_finalize(st);
      return rc;
    }
    sqlite3_finalize(st);
    if( after ) after(db, ctx);
    sql = tail;
  }
  return SQLITE_OK;
}

/* ---- case files ------------------------------------------------------------------ */

typedef struct Case { Buf header, sql, want; } Case;

static char *read_text_file(const char *path){
  FILE *f = fopen(path, "rb");
  Buf b = { 0, 0, 0 };
  char chunk[4096];
  size_t n;
  if( f==0 ) return 0;
  while( (n = fread(chunk, 1, sizeof(chunk), f))>0 ) buf_add(&b, chunk, n);
  fclose(f);
  buf_text(&b);
  return b.p;
}

/* Split text (which is modified) into cases; returns how many. */
static int parse_cases(char *text, Case **out){
  Case *cases = 0, c;
  char *line, *save = 0;
  int n = 0, state = 0;   /* 0 between cases, 1 in SQL, 2 in expected output */
  memset(&c, 0, sizeof(c));
  for(line=strtok_r(text, "\n", &save); ; line=strtok_r(0, "\n", &save)){
    /* strtok_r skips empty lines, so a case ends at the next header or EOF */
    int is_header = line && strncmp(line, "-- ", 3)==0 && state!=1;
    if( (line==0 || is_header) && state==2 ){
      cases = realloc(cases, (n+1)*sizeof(Case));
      if( cases==0 ){ fprintf(stderr, "out of memory\n"); exit(2); }
      buf_text(&c.sql);
      buf_text(&c.want);
      cases[n++] = c;
      memset(&c, 0, sizeof(c));
      state = 0;
    }
    if( line==0 ) break;
    if( is_header ){
      c.header.n = 0;
      buf_str(&c.header, line+3);
      state = 1;
    }else if( state==1 && strcmp(line, "----")==0 ){
      state = 2;
    }else if( state==1 ){
      buf_str(&c.sql, line); buf_str(&c.sql, "\n");
    }else if( state==2 ){
      buf_str(&c.want, line); buf_str(&c.want, "\n");
    }
  }
  free(c.header.p); free(c.sql.p); free(c.want.p);
  *out = cases;
  return n;
}

static int run_case(sqlite3 *db, const char *file, Case *c){
  Buf got = {0};
  int failed;
  run_sql(db, c->sql.p, &got, 0, 0);
  failed = strcmp(buf_text(&got), c->want.p)!=0;
  if( failed ){
    printf("not ok - %s: %s\n  SQL:\n%s  expected:\n%s  got:\n%s", file, c->header.p,
           c->sql.p, c->want.p, got.p);
  }else{
    printf("ok - %s: %s\n", file, c->header.p);
  }
  free(got.p);
  return failed;
}

/* ---- the failing allocator --------------------------------------------------------- */

/* What the faulted runs of one case and kind came to; kept in memory shared
** with the parent, which forks the runner (see run_faulted). */
typedef struct OomTally { sqlite3_int64 runs, failures, max_n; } OomTally;

#define CHILD_FAILED 22   /* exit status of a faulted run that found a problem */

/* The allocator hooks get no context pointer, so their state is global;
** it belongs to this test program, not to the extension. */
static sqlite3_mem_methods real_allocator;
static struct {
  sqlite3_int64 count;       /* allocations so far (malloc and realloc) */
  sqlite3_int64 step;        /* in the runner: a faulted run at allocations
                             ** 1, 1+step, 1+2*step, ...; 0 = none */
  int persistent;            /* after the failure, fail every allocation */
  int fired;                 /* in a faulted run: allocation n has failed */
  sqlite3_int64 n;
  OomTally *tally;           /* shared memory */
  sqlite3_int64 live;        /* allocations not yet freed */
} fault;

static int fork_faulted_run(void);

static int fault_now(void){
  if( fault.fired ) return fault.persistent;
  fault.count++;
  return fault.step && (fault.count-1)%fault.step==0 && fork_faulted_run();
}
static void *fault_malloc(int n){
  void *p = fault_now() ? 0 : real_allocator.xMalloc(n);
  if( p ) fault.live++;
  return p;
}
static void fault_free(void *p){ fault.live--; real_allocator.xFree(p); }
static void *fault_realloc(void *p, int n){ return fault_now() ? 0 : real_allocator.xRealloc(p, n); }
static int fault_size(void *p){ return real_allocator.xSize(p); }
static int fault_roundup(int n){ return real_allocator.xRoundup(n); }
static int fault_init(void *app){ return real_allocator.xInit(app); }
static void fault_shutdown(void *app){ real_allocator.xShutdown(app); }

static void fault_install(void){
  static const sqlite3_mem_methods wrapper = {
    fault_malloc, fault_free, fault_realloc, fault_size, fault_roundup,
    fault_init, fault_shutdown, 0
  };
  fault.tally = mmap(0, sizeof(OomTally), PROT_READ|PROT_WRITE, MAP_SHARED|MAP_ANONYMOUS, -1, 0);
  if( fault.tally==MAP_FAILED ){ perror("mmap"); exit(2); }
  /* Single-thread mode: no mutexes. A faulted run is forked while SQLite
  ** holds its connection's recursive mutex, which records its owner's
  ** thread id; in the child that id is another, and taking the mutex again
  ** would wait for ever. */
  if( sqlite3_config(SQLITE_CONFIG_SINGLETHREAD)
   || sqlite3_config(SQLITE_CONFIG_GETMALLOC, &real_allocator)
   || sqlite3_config(SQLITE_CONFIG_MALLOC, &wrapper) || sqlite3_initialize() ){
    fprintf(stderr, "sqltest: cannot install the failing allocator\n");
    exit(2);
  }
}

/* In the runner, at allocation fault.count: fork. The child is a faulted
** run: this allocation fails (returns 1) and it goes on from here. The
** runner waits for it, tallies it and lets the allocation succeed. */
static int fork_faulted_run(void){
  const char *kind = fault.persistent ? "persistent" : "transient";
  int status, ok, reported;
  pid_t pid;
  fflush(stdout);
  if( (pid = fork())<0 ){ perror("fork"); exit(2); }
  if( pid==0 ){
    fault.step = 0;
    fault.fired = 1;
    fault.n = fault.count;
    alarm(300);
    return 1;
  }
  if( waitpid(pid, &status, 0)!=pid ){ perror("waitpid"); exit(2); }
  ok = WIFEXITED(status) && WEXITSTATUS(status)==0;
  reported = WIFEXITED(status) && WEXITSTATUS(status)==CHILD_FAILED;   /* it printed why */
  if( !ok && !reported && fault.tally->failures==0 ){
    if( WIFSIGNALED(status) ){
      printf("  N=%lld, %s: killed by signal %d (%s)\n", fault.count, kind,
             WTERMSIG(status), strsignal(WTERMSIG(status)));
    }else{
      printf("  N=%lld, %s: exited with status %d (a sanitizer report is above)\n",
             fault.count, kind, WEXITSTATUS(status));
    }
  }
  fault.tally->runs++;
  fault.tally->failures += !ok;
  fault.tally->max_n = fault.count;
  return 0;
}

/* ---- consistency after a fault ----------------------------------------------------- */

/* "schema.name" of every annoy table, one per line. */
static void list_annoy_tables(sqlite3 *db, Buf *out){
  sqlite3_stmt *schemas, *tables;
  out->n = 0;
  buf_text(out);
  if( sqlite3_prepare_v2(db, "SELECT name FROM pragma_database_list", -1, &schemas, 0) ) return;
  while( sqlite3_step(schemas)==SQLITE_ROW ){
    const char *schema = (const char*)sqlite3_column_text(schemas, 0);
    char *sql = sqlite3_mprintf("SELECT name FROM \"%w\".sqlite_master WHERE type='table' "
                                "AND sql LIKE 'CREATE VIRTUAL TABLE%%USING annoy%%'", schema);
    if( sql && sqlite3_prepare_v2(db, sql, -1, &tables, 0)==SQLITE_OK ){
      while( sqlite3_step(tables)==SQLITE_ROW ){
        buf_str(out, schema); buf_str(out, ".");
        buf_str(out, (const char*)sqlite3_column_text(tables, 0)); buf_str(out, "\n");
      }
      sqlite3_finalize(tables);
    }
    sqlite3_free(sql);
  }
  sqlite3_finalize(schemas);
}

/* Whether list has the line item (n bytes, without its "\n"). */
static int listed(const char *list, const char *item, size_t n){
  const char *line;
  for(line=list; *line; line=strchr(line, '\n')+1){
    if( strncmp(line, item, n)==0 && line[n]=='\n' ) return 1;
  }
  return 0;
}

/* Whether sql names the table: as a word, or as the stem of a shadow
** table's name ("t" in "t_nodes"). */
static int names_table(const char *sql, const char *name){
  size_t n = strlen(name);
  const char *p;
  for(p=sql; (p = strcasestr(p, name))!=0; p++){
    int starts = p==sql || !(isalnum((unsigned char)p[-1]) || p[-1]=='_');
    if( starts && !isalnum((unsigned char)p[n]) ) return 1;
  }
  return 0;
}

/* annoy_check of the table on a line of list_annoy_tables (sqlite3_malloc'd). */
static char *annoy_check_line(sqlite3 *db, const char *line){
  const char *dot = strchr(line, '.'), *end = strchr(line, '\n');
  return query_text(db, "SELECT annoy_check('%.*q', '%.*q')",
                    (int)(end-dot-1), dot+1, (int)(dot-line), line);
}

/* Add the tables whose annoy_check fails (and "integrity_check" when that
** fails) to the list in ctx, a Buf. Runs between the statements of a clean
** run, whose allocations are being counted: these are not. */
static void note_damage(sqlite3 *db, void *ctx){
  Buf *damaged = ctx, tables = {0};
  const char *line;
  sqlite3_int64 count = fault.count;
  char *got = query_text(db, "PRAGMA integrity_check");
  if( !got || strcmp(got, "ok")!=0 ) buf_str(damaged, "integrity_check\n");
  sqlite3_free(got);
  list_annoy_tables(db, &tables);
  for(line=tables.p; *line; line=strchr(line, '\n')+1){
    size_t n = (size_t)(strchr(line, '\n')-line);
    got = annoy_check_line(db, line);
    if( (!got || strcmp(got, "ok")!=0) && !listed(damaged->p, line, n) ) buf_add(damaged, line, n+1);
    sqlite3_free(got);
  }
  free(tables.p);
  fault.count = count;
}

/* template with $T replaced by the quoted table, $V by the vector column,
** $A by annoy_check's arguments, $R by rowid and $K by k (sqlite3_malloc'd). */
static char *expand(const char *template, const char *schema, const char *name,
                    const char *column, const char *rowid, const char *k){
  sqlite3_str *out = sqlite3_str_new(0);
  const char *p;
  for(p=template; *p; p++){
    if( p[0]!='$' || p[1]==0 ){ sqlite3_str_appendchar(out, 1, *p); continue; }
    switch( *++p ){
      case 'T': sqlite3_str_appendf(out, "\"%w\".\"%w\"", schema, name); break;
      case 'V': sqlite3_str_appendf(out, "\"%w\"", column); break;
      case 'A': sqlite3_str_appendf(out, "'%q', '%q'", name, schema); break;
      case 'R': sqlite3_str_appendall(out, rowid); break;
      default:  sqlite3_str_appendall(out, k); break;
    }
  }
  return sqlite3_str_finish(out);
}

/* Insert a copy of a row of schema.name, find it, delete it, then
** annoy_check. Appends what went wrong to problems. */
static void try_writes(sqlite3 *db, const char *schema, const char *name, Buf *problems){
  static const char *const steps[] = {   /* SQL, then its result or 0 for none */
    "INSERT INTO $T(rowid, $V) SELECT $R, $V FROM $T LIMIT 1", 0,
    "SELECT count(*) FROM $T WHERE $V MATCH (SELECT $V FROM $T WHERE rowid=$R) AND k=5", "$K",
    "DELETE FROM $T WHERE rowid=$R", 0,
    "SELECT annoy_check($A)", "ok",
  };
  char *column = query_text(db, "SELECT name FROM pragma_table_info('%q', '%q')", name, schema);
  char *k = query_text(db, "SELECT min(count(*)+1, 5) FROM \"%w\".\"%w\"", schema, name);
  char *rowid = query_text(db, "SELECT min(rowid+1) FROM \"%w\".\"%w\" WHERE rowid<9223372036854775807 "
                           "AND rowid+1 NOT IN (SELECT rowid FROM \"%w\".\"%w\")",
                           schema, name, schema, name);
  size_t i, n_steps = sizeof(steps)/sizeof(steps[0]);
  if( column==0 || k==0 || rowid==0 || strncmp(k, "error: ", 7)==0 || strcmp(k, "1")==0 ) n_steps = 0;
  for(i=0; i<n_steps; i+=2){
    char *sql = expand(steps[i], schema, name, column, rowid, k);
    char *want = steps[i+1] ? expand(steps[i+1], schema, name, column, rowid, k) : 0;
    char *got = want ? query_text(db, "%s", sql) : 0;
    int rc = want ? 0 : exec(db, "%s", sql);
    if( rc || (want && (!got || strcmp(got, want)!=0)) ){
      buf_str(problems, "    "); buf_str(problems, sql); buf_str(problems, "\n      gave: ");
      buf_str(problems, rc ? sqlite3_errmsg(db) : got ? got : "no row");
      buf_str(problems, "\n");
    }
    sqlite3_free(sql); sqlite3_free(want); sqlite3_free(got);
    if( rc ) break;
  }
  sqlite3_free(column);
  sqlite3_free(k);
  sqlite3_free(rowid);
}

/* Check the database as described at the top, for the annoy tables that sql
** names (a case cannot reach the others); what is wrong goes to problems. */
static void check_state(sqlite3 *db, const char *sql, const char *damaged, Buf *problems){
  Buf tables = {0};
  const char *line;
  char *got = query_text(db, "PRAGMA integrity_check");
  if( (!got || strcmp(got, "ok")!=0) && !listed(damaged, "integrity_check", 15) ){
    buf_str(problems, "    PRAGMA integrity_check: "); buf_str(problems, got ? got : "no row");
    buf_str(problems, "\n");
  }
  sqlite3_free(got);
  list_annoy_tables(db, &tables);
  for(line=tables.p; *line; line=strchr(line, '\n')+1){
    const char *dot = strchr(line, '.'), *end = strchr(line, '\n');
    char *name = sqlite3_mprintf("%.*s", (int)(end-dot-1), dot+1);
    int named = name && names_table(sql, name);
    sqlite3_free(name);
    if( !named || listed(damaged, line, (size_t)(end-line)) ) continue;
    got = annoy_check_line(db, line);
    if( !got || strcmp(got, "ok")!=0 ){
      buf_str(problems, "    annoy_check of "); buf_add(problems, line, (size_t)(end-line));
      buf_str(problems, ": "); buf_str(problems, got ? got : "no row"); buf_str(problems, "\n");
    }else{
      char *schema = sqlite3_mprintf("%.*s", (int)(dot-line), line);
      char *name = sqlite3_mprintf("%.*s", (int)(end-dot-1), dot+1);
      try_writes(db, schema, name, problems);
      sqlite3_free(schema);
      sqlite3_free(name);
    }
    sqlite3_free(got);
  }
  free(tables.p);
}

/* ---- one case under fault injection -------------------------------------------------- */

static sqlite3_int64 live_at_start;   /* allocations before any database was opened */

/* What a run of the case without faults gives (see clean_run). */
typedef struct CleanRun {
  sqlite3_int64 allocations;
  int rc;                    /* the error code the case ends with, or SQLITE_OK */
} CleanRun;

/* Whether a faulted run's output (got, ending with the error rc if any) is
** acceptable: the expected output, or its first lines and then
**   - an error whose code is SQLITE_NOMEM, or
**   - the error the case expects (the clean run's code) with SQLite's
**     generic text for that code: SQLite copies a statement's message to
**     the connection with a "benign" allocation, which, when it fails,
**     loses the message and keeps the code.  Our code saw its own error,
**     not the fault. */
static int output_acceptable(const char *got, int rc, const char *want, const CleanRun *clean){
  const char *error_line;
  size_t prefix;
  if( strcmp(got, want)==0 ) return 1;
  if( rc==SQLITE_OK ) return 0;
  error_line = got + strlen(got) - 1;               /* got ends with "\n" */
  while( error_line>got && error_line[-1]!='\n' ) error_line--;
  prefix = (size_t)(error_line-got);
  if( strncmp(want, got, prefix)!=0 ) return 0;
  if( (rc & 0xff)==SQLITE_NOMEM ) return 1;
  return rc==clean->rc && strncmp(want+prefix, "error: ", 7)==0
      && strchr(want+prefix, '\n')==want+strlen(want)-1
      && strncmp(error_line, "error: ", 7)==0
      && strncmp(error_line+7, sqlite3_errstr(rc), strlen(sqlite3_errstr(rc)))==0
      && strcmp(error_line+7+strlen(sqlite3_errstr(rc)), "\n")==0;
}

/* In the runner, a child forked just before the case: run the case
** cleanly, forking a faulted run at every step-th allocation (see
** fork_faulted_run), and exit. Each faulted run returns from run_sql here
** too, with its allocation failed, checks the outcome and exits. So a
** faulted run starts from exactly the state at allocation n without
** replaying the n-1 before it: every N of a case costs one pass through
** it, not a pass per N. */
static void run_faulted(sqlite3 *db, const Case *c, const CleanRun *clean, sqlite3_int64 step,
                        int persistent, const char *damaged){
  Buf got = {0}, problems = {0};
  int rc, closed, verbose;
  fault.count = 0;
  fault.step = step;
  fault.persistent = persistent;
  rc = run_sql(db, c->sql.p, &got, 0, 0);
  if( !fault.fired ) exit(0);                 /* the runner, at the end of the case */
  fault.fired = 0;                            /* allocation works again */
  verbose = fault.tally->failures==0;         /* only the first failure is described */
  if( !output_acceptable(buf_text(&got), rc, c->want.p, clean) ){
    buf_str(&problems, "    output:\n"); buf_str(&problems, got.p);
  }
  check_state(db, c->sql.p, damaged, &problems);
  if( !sqlite3_get_autocommit(db) ){
    Buf after = {0};
    if( exec(db, "ROLLBACK") ) buf_str(&problems, "    ROLLBACK of the open transaction failed\n");
    check_state(db, c->sql.p, damaged, &after);
    if( after.n ){ buf_str(&problems, "  after ROLLBACK:\n"); buf_str(&problems, after.p); }
    free(after.p);
  }
  closed = sqlite3_close(db)==SQLITE_OK;
  if( !closed ) buf_str(&problems, "    sqlite3_close failed: a statement was not finalized\n");
  if( closed && fault.live!=live_at_start ){
    char line[100];
    snprintf(line, sizeof(line), "    %lld allocations were not freed\n", fault.live-live_at_start);
    buf_str(&problems, line);
  }
  if( problems.n && verbose ){
    printf("  N=%lld, %s:\n%s", fault.n, persistent ? "persistent" : "transient", problems.p);
    fflush(stdout);
  }
  /* _exit, not exit: the count above is the leak check for every
  ** allocation of SQLite and of the extension's C code (none calls malloc
  ** directly).  exit would also run LeakSanitizer's scan of the whole
  ** process, under SANITIZE=1, in each of thousands of faulted runs: 70%
  ** of the time of --oom.  The runner still ends with exit, so a case's
  ** clean pass (OpenCV's C++ allocations included) is scanned. */
  _exit(problems.n ? CHILD_FAILED : 0);
}

/* In a child, run the case cleanly: count its allocations and keep its
** error code; with find_damage, also note every table it leaves damaged
** before, between or after its statements (that warms caches, so it is a
** separate run from the count). Returns the list (malloc'd). */
static char *clean_run(sqlite3 *db, const Case *c, int find_damage, CleanRun *out){
  Buf damaged = {0}, got = {0};
  int pipe_fd[2], status;
  char chunk[4096];
  ssize_t n;
  pid_t pid;
  fflush(stdout);
  if( pipe(pipe_fd) || (pid = fork())<0 ){ perror("fork"); exit(2); }
  if( pid==0 ){
    close(pipe_fd[0]);
    buf_text(&damaged);
    if( find_damage ) note_damage(db, &damaged);
    fault.count = 0;
    out->rc = run_sql(db, c->sql.p, &got, find_damage ? note_damage : 0, &damaged);
    out->allocations = fault.count;
    /* the CleanRun, then the list */
    if( write(pipe_fd[1], out, sizeof(*out))!=(ssize_t)sizeof(*out)
     || write(pipe_fd[1], damaged.p, damaged.n)!=(ssize_t)damaged.n ) _exit(1);
    _exit(0);   /* no LeakSanitizer scan: the runner's pass is scanned */
  }
  close(pipe_fd[1]);
  while( (n = read(pipe_fd[0], chunk, sizeof(chunk)))>0 ) buf_add(&damaged, chunk, (size_t)n);
  close(pipe_fd[0]);
  if( waitpid(pid, &status, 0)!=pid || !WIFEXITED(status) || WEXITSTATUS(status)!=0
   || damaged.n<sizeof(*out) ){
    fprintf(stderr, "sqltest: the clean run of \"%s\" failed\n", c->header.p);
    exit(2);
  }
  memcpy(out, damaged.p, sizeof(*out));
  memmove(damaged.p, damaged.p+sizeof(*out), damaged.n-sizeof(*out)+1);
  return damaged.p;
}

/* The faulted runs of case c (at most max_runs per kind, 0 = every N);
** prints one line. Returns 1 if any failed. */
static int oom_case(sqlite3 *db, const char *file, const Case *c, int max_runs){
  sqlite3_int64 step, runs = 0, failures = 0, max_n = 0;
  CleanRun clean;
  char *damaged = clean_run(db, c, 1, &clean);
  int persistent;
  free(clean_run(db, c, 0, &clean));
  step = max_runs && clean.allocations>max_runs ? (clean.allocations+max_runs-1)/max_runs : 1;
  for(persistent=0; persistent<=1; persistent++){
    int status;
    pid_t pid;
    memset(fault.tally, 0, sizeof(*fault.tally));
    fflush(stdout);
    if( (pid = fork())<0 ){ perror("fork"); exit(2); }
    if( pid==0 ) run_faulted(db, c, &clean, step, persistent, damaged);
    if( waitpid(pid, &status, 0)!=pid ){ perror("waitpid"); exit(2); }
    if( !WIFEXITED(status) || WEXITSTATUS(status)!=0 ){
      printf("  the runner (no fault) ended with status 0x%x\n", status);
      failures++;
    }
    runs += fault.tally->runs;
    failures += fault.tally->failures;
    if( fault.tally->max_n>max_n ) max_n = fault.tally->max_n;
  }
  if( failures ){
    printf("not ok - oom %s: %s: %lld of %lld faulted runs failed (the first is above)\n",
           file, c->header.p, failures, runs);
  }else{
    printf("ok - oom %s: %s: %lld allocations, %lld faulted runs, N=1..%lld step %lld\n",
           file, c->header.p, clean.allocations, runs, max_n, step);
  }
  free(damaged);
  return failures>0;
}

/* ---- main ------------------------------------------------------------------------------ */

/* Whether the case's number (the header's first word) is first. */
static int case_is(const Case *c, const char *number){
  size_t n = strlen(number);
  return strncmp(c->header.p, number, n)==0 && (c->header.p[n]==' ' || c->header.p[n]==0);
}

int main(int argc, char **argv){
  int failed = 0, oom = 0, oom_max_runs = 0, i, j;
  const char *first = 0, *last = 0;     /* --cases=FIRST-LAST */
  int in_range = 0;
  if( argc>1 && strncmp(argv[1], "--oom", 5)==0 ){
    oom = 1;
    if( argv[1][5]=='=' && (oom_max_runs = atoi(argv[1]+6))<1 ){
      fprintf(stderr, "sqltest: --oom=MAX needs a number of runs, 1 or more\n");
      return 2;
    }
    argv++; argc--;
    if( argc>1 && strncmp(argv[1], "--cases=", 8)==0 ){
      char *dash = strchr(argv[1]+8, '-');
      first = argv[1]+8;
      if( dash ){ *dash = 0; last = dash+1; }
      argv++; argc--;
    }
    fault_install();
    live_at_start = fault.live;
  }
  if( argc<3 ){
    fprintf(stderr, "usage: sqltest [--oom[=MAX] [--cases=FIRST[-LAST]]] EXTENSION FILE.test...\n");
    return 2;
  }
  test_extension = argv[1];
  for(i=2; i<argc; i++){
    char *text = read_text_file(argv[i]);
    Case *cases;
    int n_cases;
    sqlite3 *db;
    if( text==0 ){ printf("not ok - %s: cannot read\n", argv[i]); failed++; continue; }
    n_cases = parse_cases(text, &cases);
    db = open_db(":memory:");
    for(j=0; j<n_cases; j++){
      if( first && case_is(&cases[j], first) ) in_range = 1;
      if( oom && (first==0 || in_range) ) failed += oom_case(db, argv[i], &cases[j], oom_max_runs);
      failed += run_case(db, argv[i], &cases[j]);
      if( in_range && (last==0 || case_is(&cases[j], last)) ) in_range = 0;
    }
    if( sqlite3_close(db)!=SQLITE_OK ){
      printf("not ok - %s: sqlite3_close: %s\n", argv[i], sqlite3_errmsg(db));
      failed++;
    }else if( oom ){
      check(fault.live==live_at_start, "oom %s: closing the database frees every allocation (%lld left)",
            argv[i], fault.live-live_at_start);
      failed += fault.live!=live_at_start;
    }
    for(j=0; j<n_cases; j++){ free(cases[j].header.p); free(cases[j].sql.p); free(cases[j].want.p); }
    free(cases);
    free(text);
  }
  return failed ? 1 : 0;
}
