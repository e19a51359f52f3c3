/*
** main.c — build/imgsearch: command dispatch, exit codes, SIGINT.
**
**   imgsearch index DB PATH...     add or update images (cmd_index.c)
**   imgsearch search DB IMAGE...   most similar images (cmd_search.c)
**   imgsearch dups DB              near-duplicate groups (cmd_dups.c)
**   imgsearch report DB IMAGE...   search results as HTML (cmd_report.c)
**   imgsearch [DB [SQL]]           SQL shell with the extension (repl.c)
*/
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "shell.h"

volatile sig_atomic_t shell_interrupted = 0;

static void shell_on_interrupt(int sig){
  (void)sig;
  shell_interrupted = 1;
  signal(SIGINT, SIG_DFL);   /* a second Ctrl-C ends the program at once */
}

void shell_install_interrupt(void){
  shell_interrupted = 0;
  signal(SIGINT, shell_on_interrupt);
}

int shell_parse_int(const char *zOption, const char *zValue, int lo, int hi){
  char *zEnd = 0;
  long v = strtol(zValue, &zEnd, 10);
  if( zEnd==zValue || *zEnd || v<lo || v>hi ){
    fprintf(stderr, "imgsearch: %s must be a whole number from %d to %d, not '%s'\n",
            zOption, lo, hi, zValue);
    return -1;
  }
  return (int)v;
}

double shell_now(void){
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec*1e-9;
}

double shell_thread_cpu(void){
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec*1e-9;
}

static const char main_usage[] =
  "usage: imgsearch COMMAND [ARGS]     (imgsearch COMMAND --help for more)\n"
  "\n"
  "  index DB PATH...      index the images under PATH into DB\n"
  "  search DB IMAGE...    the images in DB most like IMAGE\n"
  "  dups DB               groups of near-duplicate images\n"
  "  report DB IMAGE... -o FILE.html   search results as an HTML page\n"
  "  [DB] [SQL]            SQL shell with the imgsearch extension loaded;\n"
  "                        runs SQL and exits when given, reads stdin if it\n"
  "                        is not a terminal\n"
  "\n"
  "exit status: 0 ok, 1 some files or queries failed, 2 usage error,\n"
  "3 database error, 130 interrupted.  NO_COLOR turns colour off.\n";

int main(int argc, char **argv){
  const char *zCommand = argc>1 ? argv[1] : 0;
  if( shell_register_extension()!=SQLITE_OK ) return EXIT_ERROR;
  if( zCommand && (strcmp(zCommand, "-h")==0 || strcmp(zCommand, "--help")==0
                   || strcmp(zCommand, "help")==0) ){
    fputs(main_usage, stdout);
    return EXIT_OK;
  }
  if( zCommand && strcmp(zCommand, "index")==0 ) return cmd_index(argc-2, argv+2);
  if( zCommand && strcmp(zCommand, "search")==0 ) return cmd_search(argc-2, argv+2);
  if( zCommand && strcmp(zCommand, "dups")==0 ) return cmd_dups(argc-2, argv+2);
  if( zCommand && strcmp(zCommand, "report")==0 ) return cmd_report(argc-2, argv+2);
  return cmd_repl(argc-1, argv+1);
}
