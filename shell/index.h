/*
** index.h — the work of `imgsearch index` on an open connection, for
** cmd_index.c and the REPL's .index.  The parts are index_plan.c,
** index_pipeline.c, index_train.c and index_stats.c (index_parts.h).
*/
#ifndef IMGSEARCH_INDEX_H
#define IMGSEARCH_INDEX_H
#include <sqlite3.h>

typedef struct IndexOptions {
  int jobs;             /* worker threads */
  int prune;            /* remove records of files that are gone */
  int quiet;
  int retrain;          /* train the codebook again, recompute vectors */
  const char *zCodebookFrom;  /* train on the images under this folder */
  int clusters;         /* codebook size when training */
  int dims;             /* PCA dims when training, -1: as before or auto */
  int batch;            /* results per transaction */
  int stats;            /* print times per phase and stage at the end */
} IndexOptions;
void index_options_default(IndexOptions *o);

/* Index the files under paths[0..n_path) into db.  Returns an EXIT_* code. */
int index_run(sqlite3 *db, const IndexOptions *o, int n_path, char **paths);

#endif /* IMGSEARCH_INDEX_H */
