/*
** repl.c — `imgsearch [DB] [SQL]`: an SQL shell whose connection has the
** extension (annoy, vec_*, img_*), plus dot-commands for the image work.
**
**   imgsearch DB "SQL"     run SQL, print, exit (1 if it failed)
**   imgsearch DB < file    run the SQL and dot-commands read from stdin
**   imgsearch [DB]         interactive, with readline, on a terminal
**                          (history in ~/.imgsearch_history)
**
** A statement runs when sqlite3_complete says it is complete; a line that
** starts with '.' outside a statement is a dot-command (.help lists them).
** Non-interactive runs exit 1 if any statement or command failed.
**
** .output FILE sends everything the shell prints to FILE (stdout's file
** descriptor is pointed at it, so the commands' output follows too);
** .output alone brings it back.  .read FILE runs a file of SQL and
** dot-commands; .open DB changes the database.  readfile() and writefile()
** are registered on the connection (repl_files.c).
**
** May call: common.h, db.h, output.h, repl_files.h, and the commands'
** work: index.h, search.h, dups.h; readline.
*/
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <readline/history.h>
#include <readline/readline.h>

#include "common.h"
#include "db.h"
#include "dups.h"
#include "index.h"
#include "output.h"
#include "repl_files.h"
#include "search.h"

/* The connection Ctrl-C interrupts, in an interactive session.  A signal
** handler has no argument to carry it, hence this one static. */
static sqlite3 *volatile repl_interrupt_db = 0;

static void repl_on_interrupt(int sig){
  (void)sig;
  shell_interrupted = 1;
  if( repl_interrupt_db ) sqlite3_interrupt(repl_interrupt_db);
}

typedef struct Repl {
  sqlite3 *db;
  FILE *in;             /* where SQL is read from when not interactive */
  int saved_stdout;     /* -1, or stdout's descriptor while .output is on */
  OutputMode mode;
  int timer;
  int n_error;
  int interactive;
  int quit;
} Repl;

static void repl_install_interrupt(Repl *r);
static void repl_loop(Repl *r);

/* .output FILE (zPath NULL: back to the original stdout).  0 or -1. */
static int repl_output(Repl *r, const char *zPath){
  int fd;
  fflush(stdout);
  if( r->saved_stdout>=0 ){
    dup2(r->saved_stdout, 1);
    close(r->saved_stdout);
    r->saved_stdout = -1;
  }
  if( zPath==0 ) return 0;
  fd = open(zPath, O_WRONLY|O_CREAT|O_TRUNC, 0644);
  if( fd<0 ) return -1;
  r->saved_stdout = dup(1);
  dup2(fd, 1);
  close(fd);
  return 0;
}

/* Open zPath as the shell's database with readfile() and writefile().
** NULL with the reason printed. */
static sqlite3 *repl_open(const char *zPath){
  sqlite3 *db = db_open(zPath);
  if( db && repl_files_register(db)!=SQLITE_OK ){
    db_error(db, "cannot register readfile() and writefile()");
    sqlite3_close(db);
    db = 0;
  }
  return db;
}

/* Run every statement in zSql, printing results.  Returns SQLITE_OK or the
** first error (printed). */
static int repl_run_sql(Repl *r, const char *zSql){
  const char *zTail = zSql;
  double wall0 = shell_now();
  clock_t cpu0 = clock();
  int rc = SQLITE_OK;
  while( zTail && *zTail ){
    sqlite3_stmt *stmt = 0;
    rc = sqlite3_prepare_v2(r->db, zTail, -1, &stmt, &zTail);
    if( rc!=SQLITE_OK ){
      fprintf(stderr, "Error: %s\n", sqlite3_errmsg(r->db));
      break;
    }
    if( stmt==0 ) continue;   /* whitespace or a comment */
    rc = output_statement(stmt, stdout, r->mode);
    if( rc!=SQLITE_DONE ){
      fprintf(stderr, "Error: %s\n", sqlite3_errmsg(r->db));
      sqlite3_finalize(stmt);
      break;
    }
    rc = SQLITE_OK;
    sqlite3_finalize(stmt);
  }
  if( r->timer ){
    printf("Run Time: real %.3f cpu %.3f\n", shell_now() - wall0,
           (double)(clock() - cpu0)/CLOCKS_PER_SEC);
  }
  fflush(stdout);
  if( rc!=SQLITE_OK ) r->n_error++;
  return rc;
}

static const char repl_help[] =
  ".dups [MIN_SCORE]       groups of near-duplicate images (see dups --help)\n"
  ".help                   this text\n"
  ".index PATH...          index the images under PATH (like imgsearch index)\n"
  ".mode MODE              table, csv, json or line\n"
  ".open DB                close this database, open DB (created if missing)\n"
  ".output [FILE]          send output to FILE; alone: back to the terminal\n"
  ".quit                   leave (also .exit, Ctrl-D)\n"
  ".read FILE              run the SQL and dot-commands in FILE\n"
  ".schema [PATTERN]       CREATE statements, of names LIKE PATTERN\n"
  ".search IMAGE [K]       the K (10) images most like IMAGE, verified\n"
  ".tables                 the tables\n"
  ".timer on|off           time each statement\n"
  "Anything else is SQL, run when it ends with ';'.  readfile(PATH) and\n"
  "writefile(PATH, DATA) read and write files: img_sift(readfile('x.jpg')).\n";

/* Split a dot-command line into at most n_max words (in place). */
static int repl_split(char *z, char **args, int n_max){
  int n = 0;
  while( *z && n<n_max ){
    while( *z==' ' || *z=='\t' ) z++;
    if( *z==0 ) break;
    if( *z=='"' || *z=='\'' ){
      char q = *z++;
      args[n++] = z;
      while( *z && *z!=q ) z++;
    }else{
      args[n++] = z;
      while( *z && *z!=' ' && *z!='\t' ) z++;
    }
    if( *z ) *z++ = 0;
  }
  return n;
}

static void repl_error(Repl *r, const char *zFormat, const char *zArg){
  fprintf(stderr, zFormat, zArg);
  fputc('\n', stderr);
  r->n_error++;
}

static void repl_dot_command(Repl *r, char *zLine){
  char *args[64];
  int n_arg = repl_split(zLine+1, args, 64);
  const char *zCmd = n_arg ? args[0] : "";
  if( strcmp(zCmd, "help")==0 ){
    fputs(repl_help, stdout);
  }else if( strcmp(zCmd, "quit")==0 || strcmp(zCmd, "exit")==0 ){
    r->quit = 1;
  }else if( strcmp(zCmd, "output")==0 ){
    if( repl_output(r, n_arg>1 ? args[1] : 0)!=0 ){
      repl_error(r, "Error: .output: cannot write %s", args[1]);
    }
  }else if( strcmp(zCmd, "read")==0 ){
    FILE *f = n_arg>1 ? fopen(args[1], "r") : 0;
    if( f==0 ){
      repl_error(r, "Error: .read needs a readable FILE%s", "");
    }else{
      FILE *in = r->in;
      int interactive = r->interactive;
      r->in = f;
      r->interactive = 0;
      repl_loop(r);
      r->in = in;
      r->interactive = interactive;
      fclose(f);
    }
  }else if( strcmp(zCmd, "open")==0 ){
    sqlite3 *db = n_arg>1 ? repl_open(args[1]) : 0;
    if( n_arg<2 ){
      repl_error(r, "Error: .open needs a DB%s", "");
    }else if( db==0 ){
      r->n_error++;
    }else{
      sqlite3_close(r->db);
      r->db = db;
      repl_install_interrupt(r);
    }
  }else if( strcmp(zCmd, "mode")==0 ){
    int mode = n_arg>1 ? output_mode_parse(args[1]) : -1;
    if( mode<0 ) repl_error(r, "Error: .mode needs table, csv, json or line%s", "");
    else r->mode = (OutputMode)mode;
  }else if( strcmp(zCmd, "timer")==0 ){
    if( n_arg>1 && strcmp(args[1], "on")==0 ) r->timer = 1;
    else if( n_arg>1 && strcmp(args[1], "off")==0 ) r->timer = 0;
    else repl_error(r, "Error: .timer needs on or off%s", "");
  }else if( strcmp(zCmd, "schema")==0 || strcmp(zCmd, "tables")==0 ){
    int schema = zCmd[0]=='s';
    char *zSql = sqlite3_mprintf(
        "SELECT %s FROM sqlite_schema WHERE sql IS NOT NULL AND name LIKE %Q"
        " AND name NOT LIKE 'sqlite_%%' %s ORDER BY %s",
        schema ? "sql || ';'" : "name", n_arg>1 ? args[1] : "%",
        schema ? "" : "AND type='table'", schema ? "rowid" : "name");
    sqlite3_stmt *stmt = 0;
    if( zSql && sqlite3_prepare_v2(r->db, zSql, -1, &stmt, 0)==SQLITE_OK ){
      while( sqlite3_step(stmt)==SQLITE_ROW ){
        printf("%s\n", (const char*)sqlite3_column_text(stmt, 0));
      }
    }else{
      repl_error(r, "Error: %s", sqlite3_errmsg(r->db));
    }
    sqlite3_finalize(stmt);
    sqlite3_free(zSql);
  }else if( strcmp(zCmd, "index")==0 ){
    IndexOptions o;
    int rc;
    if( n_arg<2 ){ repl_error(r, "Error: .index needs a PATH%s", ""); return; }
    index_options_default(&o);
    shell_install_interrupt();
    rc = index_run(r->db, &o, n_arg-1, args+1);
    repl_install_interrupt(r);
    if( rc!=EXIT_OK ) r->n_error++;
  }else if( strcmp(zCmd, "search")==0 ){
    SearchOptions o;
    memset(&o, 0, sizeof(o));
    o.k = 10;
    o.verify = 1;
    o.shortlist = 20;
    o.mode = r->mode==OUTPUT_LINE ? OUTPUT_TABLE : r->mode;
    if( n_arg<2 ){ repl_error(r, "Error: .search needs an IMAGE%s", ""); return; }
    if( n_arg>2 && (o.k = shell_parse_int(".search K", args[2], 1, 10000))<0 ){
      r->n_error++;
      return;
    }
    if( search_run(r->db, &o, 1, args+1)!=EXIT_OK ) r->n_error++;
  }else if( strcmp(zCmd, "dups")==0 ){
    DupsOptions o;
    dups_options_default(&o);
    if( n_arg>1 && (o.min_score = shell_parse_fraction(".dups MIN_SCORE", args[1]))<0 ){
      r->n_error++;
      return;
    }
    o.mode = r->mode==OUTPUT_LINE ? OUTPUT_TABLE : r->mode;
    if( dups_run(r->db, &o)!=EXIT_OK ) r->n_error++;
  }else{
    repl_error(r, "Error: unknown command .%s (try .help)", zCmd);
  }
  fflush(stdout);
}

/* Interactive: Ctrl-C stops the running statement, not the shell. */
static void repl_install_interrupt(Repl *r){
  if( r->interactive ){
    repl_interrupt_db = r->db;
    shell_interrupted = 0;
    signal(SIGINT, repl_on_interrupt);
  }else{
    signal(SIGINT, SIG_DFL);
  }
}

/* Read one line: readline on a terminal, fgets otherwise.  malloc'd, or
** NULL at end of input. */
static char *repl_read_line(Repl *r, int continuation){
  if( r->interactive ){
    char *z = readline(continuation ? "      ...> " : "imgsearch> ");
    if( z && z[0] ) add_history(z);
    return z;
  }else{
    size_t n_alloc = 256, n = 0;
    char *z = malloc(n_alloc);
    if( z==0 ) return 0;
    while( fgets(z+n, (int)(n_alloc-n), r->in) ){
      n += strlen(z+n);
      if( n>0 && z[n-1]=='\n' ){ z[--n] = 0; return z; }
      if( n+1>=n_alloc ){
        char *p = realloc(z, n_alloc*2);
        if( p==0 ){ free(z); return 0; }
        z = p;
        n_alloc *= 2;
      }
    }
    if( n>0 ) return z;
    free(z);
    return 0;
  }
}

static void repl_loop(Repl *r){
  char *zSql = 0;
  size_t n_sql = 0;
  while( !r->quit ){
    char *zLine = repl_read_line(r, n_sql>0);
    size_t n_line;
    if( zLine==0 ) break;
    if( n_sql==0 ){
      const char *z = zLine;
      while( *z==' ' || *z=='\t' ) z++;
      if( *z=='.' ){
        repl_dot_command(r, (char*)z);
        free(zLine);
        continue;
      }
      if( *z==0 ){ free(zLine); continue; }
    }
    n_line = strlen(zLine);
    {
      char *p = realloc(zSql, n_sql + n_line + 2);
      if( p==0 ){ free(zLine); break; }
      zSql = p;
    }
    memcpy(zSql+n_sql, zLine, n_line);
    n_sql += n_line;
    zSql[n_sql++] = '\n';
    zSql[n_sql] = 0;
    free(zLine);
    if( sqlite3_complete(zSql) ){
      repl_run_sql(r, zSql);
      n_sql = 0;
    }
  }
  if( n_sql>0 ){
    zSql[n_sql] = 0;
    repl_run_sql(r, zSql);   /* the last statement may lack its ';' */
  }
  free(zSql);
}

static const char repl_usage[] =
  "usage: imgsearch [DB] [SQL] [--mode MODE]\n"
  "\n"
  "An SQL shell on DB (default: an in-memory database) with the imgsearch\n"
  "extension: the annoy table, vec_* and img_* functions.  With SQL, runs it\n"
  "and exits; otherwise reads SQL and dot-commands from stdin (interactive,\n"
  "with line editing, on a terminal).  .help lists the dot-commands.\n"
  "\n"
  "options:\n"
  "  --mode MODE     table (default), csv, json or line\n"
  "  -h, --help      this text\n"
  "\n"
  "exit status: 0 ok, 1 a statement failed (non-interactive), 2 usage,\n"
  "3 cannot open DB\n";

int cmd_repl(int argc, char **argv){
  Repl r;
  const char *zDb = 0, *zSql = 0;
  int i, operands = 0;
  memset(&r, 0, sizeof(r));
  r.mode = OUTPUT_TABLE;
  r.in = stdin;
  r.saved_stdout = -1;
  for(i=0; i<argc; i++){
    const char *z = argv[i];
    ShellArg kind = shell_arg_kind(z, &operands);
    if( kind==SHELL_ARG_END_OF_OPTIONS ) continue;
    if( kind==SHELL_ARG_OPERAND ){
      if( zDb==0 ) zDb = z;
      else if( zSql==0 ) zSql = z;
      else{
        fprintf(stderr, "imgsearch: unexpected argument %s (quote the SQL)\n", z);
        return EXIT_USAGE;
      }
      continue;
    }
    if( shell_is_help(z) ){
      fputs(repl_usage, stdout);
      return EXIT_OK;
    }else if( strcmp(z, "--mode")==0 ){
      int mode = i+1<argc ? output_mode_parse(argv[++i]) : -1;
      if( mode<0 ){
        fprintf(stderr, "imgsearch: --mode must be table, csv, json or line\n");
        return EXIT_USAGE;
      }
      r.mode = (OutputMode)mode;
    }else if( shell_unknown_option(0, z) ){
      fputs(repl_usage, stderr);
      return EXIT_USAGE;
    }
  }
  r.db = repl_open(zDb ? zDb : ":memory:");
  if( r.db==0 ) return EXIT_ERROR;
  if( zSql ){
    repl_run_sql(&r, zSql);
  }else{
    r.interactive = isatty(0);
    if( r.interactive ){
      printf("imgsearch shell on %s (SQLite %s).  .help for help.\n",
             zDb ? zDb : "an in-memory database", sqlite3_libversion());
    }
    char *zHistory = 0;
    if( r.interactive && getenv("HOME") ){
      zHistory = sqlite3_mprintf("%s/.imgsearch_history", getenv("HOME"));
      if( zHistory ) read_history(zHistory);
    }
    repl_install_interrupt(&r);
    repl_loop(&r);
    repl_interrupt_db = 0;
    if( zHistory ){
      stifle_history(1000);
      write_history(zHistory);
      sqlite3_free(zHistory);
    }
  }
  repl_output(&r, 0);
  sqlite3_close(r.db);
  return (r.n_error && !r.interactive) ? EXIT_FAILURES : EXIT_OK;
}
