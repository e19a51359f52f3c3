/*
** progress.c — progress of a long command, on stderr.
**
** On a terminal: one bar redrawn in place (at most 10 times a second) with
** the count, rate and ETA; messages are printed above it.  Otherwise: a
** plain line at every 10% and at the end, so logs stay readable.  Quiet:
** only messages.  Called from one thread at a time.
**
** May call: common.h (the clock), output.h (whether to colour), stdio.
*/
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "output.h"
#include "progress.h"

struct Progress {
  char zLabel[32];
  int64_t total, done, failed;
  int quiet, tty, color;
  int lastDecile;        /* plain mode: last 10% step printed */
  double start, lastDraw;
  int drawn;             /* a bar is on the current line */
};

Progress *progress_start(const char *zLabel, int64_t total, int quiet){
  Progress *p = calloc(1, sizeof(Progress));
  if( p==0 ) return 0;
  snprintf(p->zLabel, sizeof(p->zLabel), "%s", zLabel);
  p->total = total;
  p->quiet = quiet;
  p->tty = isatty(2);
  p->color = output_use_color(stderr);
  p->start = p->lastDraw = shell_now();
  p->lastDecile = -1;
  return p;
}

static void progress_format_seconds(double s, char *z, size_t n){
  if( s<0 || s>359999 ) snprintf(z, n, "--:--");
  else if( s>=3600 ) snprintf(z, n, "%d:%02d:%02d", (int)s/3600, ((int)s/60)%60, (int)s%60);
  else snprintf(z, n, "%d:%02d", (int)s/60, (int)s%60);
}

static void progress_draw(Progress *p){
  double elapsed = shell_now() - p->start;
  double rate = elapsed>0 ? p->done/elapsed : 0;
  double eta = rate>0 ? (p->total - p->done)/rate : -1;
  char zEta[16], zBar[31];
  int width = 30, filled = p->total>0 ? (int)(width*p->done/p->total) : width;
  int i;
  progress_format_seconds(eta, zEta, sizeof(zEta));
  for(i=0; i<width; i++) zBar[i] = i<filled ? '#' : '-';
  zBar[width] = 0;
  fprintf(stderr, "\r%s [%s] %lld/%lld  %.1f/s  ETA %s",
          p->zLabel, zBar, (long long)p->done, (long long)p->total, rate, zEta);
  if( p->failed ){
    fprintf(stderr, p->color ? "  \033[31m%lld failed\033[0m" : "  %lld failed",
            (long long)p->failed);
  }
  fprintf(stderr, "\033[K");
  fflush(stderr);
  p->drawn = 1;
}

void progress_set_total(Progress *p, int64_t total){
  if( p ) p->total = total;
}

void progress_update(Progress *p, int64_t done, int64_t failed){
  if( p==0 ) return;
  p->done = done;
  p->failed = failed;
  if( p->quiet ) return;
  if( p->tty ){
    double now = shell_now();
    if( now - p->lastDraw >= 0.1 || done==p->total ){
      p->lastDraw = now;
      progress_draw(p);
    }
  }else{
    int decile = p->total>0 ? (int)(10*done/p->total) : 10;
    if( decile!=p->lastDecile && (decile>p->lastDecile) ){
      double elapsed = shell_now() - p->start;
      p->lastDecile = decile;
      fprintf(stderr, "%s: %lld/%lld done, %lld failed, %.1f s\n", p->zLabel,
              (long long)done, (long long)p->total, (long long)failed, elapsed);
    }
  }
}

void progress_message(Progress *p, const char *zFormat, ...){
  va_list ap;
  if( p && p->drawn ) fprintf(stderr, "\r\033[K");
  va_start(ap, zFormat);
  vfprintf(stderr, zFormat, ap);
  va_end(ap);
  fputc('\n', stderr);
  if( p && p->drawn ) progress_draw(p);
  fflush(stderr);
}

void progress_finish(Progress *p){
  if( p==0 ) return;
  if( p->drawn ){
    progress_draw(p);
    fputc('\n', stderr);
  }
  free(p);
}
