/*
** common.c — the helpers every command uses: the SIGINT flag, option
** values, the clocks (see common.h).
**
** May call: libc only.  Nothing here knows SQLite or any command.
*/
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common.h"

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

double shell_parse_fraction(const char *zOption, const char *zValue){
  char *zEnd = 0;
  double v = strtod(zValue, &zEnd);
  if( zEnd==zValue || *zEnd || !(v>=0 && v<=1) ){     /* NaN fails both */
    fprintf(stderr, "imgsearch: %s must be a number from 0 to 1, not '%s'\n", zOption, zValue);
    return -1;
  }
  return v;
}

int shell_is_help(const char *arg){
  return strcmp(arg, "-h")==0 || strcmp(arg, "--help")==0;
}

ShellArg shell_arg_kind(const char *arg, int *p_operands){
  if( *p_operands || arg[0]!='-' || arg[1]==0 ) return SHELL_ARG_OPERAND;
  if( strcmp(arg, "--")==0 ){
    *p_operands = 1;
    return SHELL_ARG_END_OF_OPTIONS;
  }
  return SHELL_ARG_OPTION;
}

int shell_unknown_option(const char *zCommand, const char *arg){
  if( arg[0]!='-' || arg[1]==0 ) return 0;
  fprintf(stderr, "imgsearch%s%s: unknown option %s\n",
          zCommand ? " " : "", zCommand ? zCommand : "", arg);
  return 1;
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

void shell_size_text(int64_t bytes, char *z, size_t n){
  if( bytes>=1000000 ) snprintf(z, n, "%.1f MB", (double)bytes/1e6);
  else if( bytes>=1000 ) snprintf(z, n, "%.0f KB", (double)bytes/1e3);
  else snprintf(z, n, "%lld bytes", (long long)bytes);
}

void shell_date_text(int64_t mtime_ns, char *z, size_t n){
  time_t t = (time_t)(mtime_ns/1000000000);
  struct tm tm;
  gmtime_r(&t, &tm);
  strftime(z, n, "%Y-%m-%d %H:%M", &tm);
}
