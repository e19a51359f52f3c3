/*
** progress.h — the progress of a long command on stderr (progress.c).
*/
#ifndef IMGSEARCH_PROGRESS_H
#define IMGSEARCH_PROGRESS_H
#include <stdint.h>

typedef struct Progress Progress;
Progress *progress_start(const char *zLabel, int64_t total, int quiet);
void progress_set_total(Progress *p, int64_t total);
void progress_update(Progress *p, int64_t done, int64_t failed);
void progress_message(Progress *p, const char *zFormat, ...);  /* above the bar */
void progress_finish(Progress *p);

#endif /* IMGSEARCH_PROGRESS_H */
