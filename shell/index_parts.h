/*
** index_parts.h — what the parts of `imgsearch index` share; not for use
** outside index_*.c and cmd_index.c.
**
**   index_plan.c      which files need work (tasks), pruning gone files
**   index_pipeline.c  the work queue, the worker threads, the writer
**   index_train.c     the codebook/PCA policy and the vectors
**   index_stats.c     --stats: phase times, stage times, rusage
**   cmd_index.c       options and the orchestration (index_run)
*/
#ifndef IMGSEARCH_INDEX_PARTS_H
#define IMGSEARCH_INDEX_PARTS_H
#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "files.h"
#include "index.h"
#include "progress.h"

/* ---- tasks (index_plan.c makes them, index_pipeline.c does them) ---------- */

typedef enum IndexResult {
  INDEX_RESULT_EXTRACTED,   /* new features (and maybe a vector) */
  INDEX_RESULT_TOUCHED,     /* same bytes, only size/mtime changed */
  INDEX_RESULT_FAILED       /* zError says why */
} IndexResult;

typedef struct IndexTask {
  const FileEntry *file;
  sqlite3_int64 id;          /* existing images.id, or 0 */
  char zOldHash[17];         /* recorded hash when the old row was 'ok' */
  /* Filled by a worker: */
  IndexResult result;
  char zHash[17];            /* empty if the file could not be read */
  int width, height, features;
  unsigned char *sift;  size_t sift_bytes;   /* malloc'd */
  unsigned char *vlad;  size_t vlad_bytes;   /* malloc'd, NULL: none */
  unsigned char *words; size_t words_bytes;  /* img_words: the same */
  char *zError;                              /* malloc'd */
} IndexTask;

/* Free a task's blobs (index_task_free: and its message). */
void index_task_clear(IndexTask *task);
void index_tasks_free(IndexTask *tasks, int n_task);

/* What a run did with the files, for the summary line. */
typedef struct IndexCounts {
  int64_t extracted, touched, failed, skipped;
  int64_t plan_failed;       /* of failed: could not even stat */
} IndexCounts;

/* ---- index_plan.c ----------------------------------------------------------- */

/* Decide what to do with every file: skip (counts->skipped), or a task in
** *p_tasks (malloc'd).  Files whose stat failed are reported and counted as
** failures.  Returns the task count, or -1 on error (printed). */
int index_plan(sqlite3 *db, const FileList *files, IndexTask **p_tasks,
               IndexCounts *counts, Progress *progress);

/* Remove the records of files that no longer exist (has_vectors: their
** image_vectors rows too).  Returns the count, or -1 on a database error
** (printed). */
int index_prune(sqlite3 *db, int has_vectors, int quiet);

/* ---- index_train.c ---------------------------------------------------------- */

/* 1 when the codebook should be trained in this run. */
int index_needs_training(sqlite3 *db, const IndexOptions *o);
/* Train the codebook and the projection and recreate image_vectors for
** them, in one transaction.  SQLITE_OK, SQLITE_DONE when there are no
** features yet (nothing trained), or an error (printed). */
int index_train(sqlite3 *db, const IndexOptions *o);
/* Give every image with features but no vector its vector.  Stops early on
** SIGINT (a re-run continues). */
int index_fill_vectors(sqlite3 *db, const IndexOptions *o);

/* ---- index_pipeline.c ------------------------------------------------------- */

/* Seconds spent in each stage (for --stats): a worker's, or their sum. */
typedef struct IndexStageTimes {
  double read;               /* files_read and files_hash */
  double info;               /* img_info: the header */
  double sift;               /* img_sift: decode and SIFT */
  double sift_cpu;           /* the CPU time of the thread(s) in img_sift */
  double vlad;               /* sift_count, img_vlad and img_words */
  double write, write_cpu;   /* the writer: wall, CPU */
  int workers;               /* how many workers ran */
} IndexStageTimes;

typedef struct IndexPipeline IndexPipeline;

/* Prepare the writer's statements on db (has_vectors: image_vectors and
** image_words exist, so vectors and words are written too).  NULL with the reason printed. */
IndexPipeline *index_pipeline_open(sqlite3 *db, int has_vectors);

/* Do the tasks: o->jobs workers (each with its own ":memory:" connection)
** read and extract, this thread writes the results in completion order,
** o->batch per transaction.  model: no codebook, no vectors.  Counts go to
** counts, failures to progress.  EXIT_OK (also when interrupted: finished
** work is committed) or EXIT_ERROR (printed; the open batch is rolled back). */
int index_pipeline_run(IndexPipeline *p, const IndexOptions *o,
                       const DbModel *model, IndexTask *tasks, int n_task,
                       IndexCounts *counts, Progress *progress);

/* The summed stage times of the last run. */
void index_pipeline_times(const IndexPipeline *p, IndexStageTimes *sum);

/* Finalize the statements, end the workers' connections.  NULL is fine. */
void index_pipeline_close(IndexPipeline *p);

/* ---- index_stats.c ---------------------------------------------------------- */

/* When each phase of a run ended (shell_now), and the peak RSS (MB) by
** then, for --stats. */
typedef struct IndexPhaseTimes {
  double start, planned, extracted, trained, end;
  double rss_extracted, rss_trained;
} IndexPhaseTimes;

double index_peak_rss_mb(void);
void index_print_stats(const IndexPhaseTimes *phase, const IndexStageTimes *sum);

#endif /* IMGSEARCH_INDEX_PARTS_H */
