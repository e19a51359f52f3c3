/*
** cmd_index.c — `imgsearch index DB PATH...`: bring the database up to date
** with the image files under PATH.  This file owns the command line and the
** order of the phases (index_run); the phases are the index_*.c files
** (index_parts.h):
**
**   1. plan (index_plan.c): walk PATHs; for each file look up its images
**      row; unchanged files are skipped unread, the others become tasks.
**      --prune first removes the records of files that are gone.
**   2. extract (index_pipeline.c): --jobs workers read and SIFT the files,
**      this thread writes the results, --batch per transaction.
**   3. train (index_train.c): the codebook and PCA when the policy says so,
**      then image_vectors for them.
**   4. vectors (index_train.c): every image lacking one gets its vector;
**      featureless images get their thumbnails (thumbs.c).
**   --stats (index_stats.c): where the time went.
**
** Failed files are recorded with status 'error' and retried on every run;
** each is reported with its reason and makes the exit code 1.
**
** May call: common.h, db.h, files.h, progress.h, index_parts.h.
*/
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common.h"
#include "db.h"
#include "index_parts.h"
#include "thumbs.h"

void index_options_default(IndexOptions *o){
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  memset(o, 0, sizeof(*o));
  o->jobs = cores>0 ? (int)cores : 1;
  o->clusters = 64;
  o->dims = -1;
  o->batch = 32;
}

/* What one run holds, from the files found to the pipeline's times. */
typedef struct IndexRun {
  sqlite3 *db;
  const IndexOptions *o;
  FileList files;
  IndexTask *tasks;
  int n_task;
  DbModel model;          /* the stored one, when it is kept */
  IndexPipeline *pipeline;
  IndexCounts counts;
  IndexPhaseTimes phase;
  int n_featureless;      /* images compared by thumbnail (thumbs.h) */
} IndexRun;

/* Phase 1: the files under paths, pruning, the tasks.  EXIT_OK or
** EXIT_ERROR (printed). */
static int index_run_plan(IndexRun *run, int n_path, char **paths){
  int has_vectors = db_has_index(run->db) && db_has_words(run->db), i;
  for(i=0; i<n_path; i++){
    if( files_collect(&run->files, paths[i]) ){
      fprintf(stderr, "imgsearch: out of memory\n");
      return EXIT_ERROR;
    }
  }
  files_sort_unique(&run->files);
  if( run->o->prune ){
    int n = index_prune(run->db, has_vectors, run->o->quiet);
    if( n<0 ) return EXIT_ERROR;
    if( !run->o->quiet && n>0 ) fprintf(stderr, "pruned %d records of deleted files\n", n);
  }
  run->pipeline = index_pipeline_open(run->db, has_vectors);
  if( run->pipeline==0 ) return EXIT_ERROR;
  /* A model about to be trained again gives no vectors now. */
  if( has_vectors && !run->o->retrain && !run->o->zCodebookFrom && run->o->dims<0 ){
    db_model_load(run->db, &run->model);
  }
  return EXIT_OK;
}

/* Phases 1 and 2 under one progress bar.  EXIT_OK or EXIT_ERROR. */
static int index_run_extract(IndexRun *run, int n_path, char **paths){
  const IndexOptions *o = run->o;
  Progress *progress;
  int exit_code = index_run_plan(run, n_path, paths);
  if( exit_code!=EXIT_OK ) return exit_code;
  progress = progress_start("index", (int64_t)run->files.n, o->quiet);
  run->n_task = index_plan(run->db, &run->files, &run->tasks, &run->counts, progress);
  if( run->n_task<0 ){
    run->n_task = 0;
    progress_finish(progress);
    return EXIT_ERROR;
  }
  progress_set_total(progress, run->n_task);    /* skipped files are not work */
  run->phase.planned = shell_now();
  if( !o->quiet && run->counts.skipped ){
    progress_message(progress, "%lld unchanged files skipped",
                     (long long)run->counts.skipped);
  }
  exit_code = index_pipeline_run(run->pipeline, o, &run->model, run->tasks,
                                 run->n_task, &run->counts, progress);
  progress_finish(progress);
  return exit_code;
}

/* After a run that trained or added this many images, the visual-word
** index is merged into one segment ('optimize', ext/wordindex/): a query
** then reads each word with one seek (docs/BENCHMARKS.md: half the
** shortlist's CPU at 12.7k images, for ~1 s of CPU).  Smaller runs leave
** their segments to the index's own merging. */
#define INDEX_OPTIMIZE_AFTER 1000

/* Phases 3 and 4.  EXIT_OK, EXIT_FAILURES (training failed) or EXIT_ERROR. */
static int index_run_vectors(IndexRun *run){
  const IndexOptions *o = run->o;
  int exit_code = EXIT_OK, trained = 0;
  if( !shell_interrupted && index_needs_training(run->db, o) ){
    int rc = index_train(run->db, o);
    trained = rc==SQLITE_OK;
    if( rc==SQLITE_DONE ){
      if( !o->quiet ) fprintf(stderr, "no features yet: the codebook is not trained\n");
    }else if( rc!=SQLITE_OK ){
      exit_code = EXIT_FAILURES;
    }
  }
  run->phase.trained = shell_now();
  run->phase.rss_trained = index_peak_rss_mb();
  if( !shell_interrupted && db_has_index(run->db) ){
    if( index_fill_vectors(run->db, o)!=SQLITE_OK ) exit_code = EXIT_ERROR;
  }
  if( exit_code!=EXIT_ERROR && !shell_interrupted && db_has_words(run->db)
   && (trained || run->counts.extracted>=INDEX_OPTIMIZE_AFTER) ){
    if( db_exec(run->db, "INSERT INTO image_words(image_words) VALUES ('optimize')")!=SQLITE_OK ){
      exit_code = EXIT_ERROR;
    }
  }
  if( !shell_interrupted && thumbs_fill(run->db, &run->n_featureless)!=SQLITE_OK ){
    exit_code = EXIT_ERROR;
  }
  return exit_code;
}

/* The summary line, --stats, and the exit code of a run that got through. */
static int index_run_finish(IndexRun *run, int exit_code){
  const IndexCounts *c = &run->counts;
  run->phase.end = shell_now();
  if( !run->o->quiet || c->failed ){
    fprintf(stderr, "%lld indexed, %lld unchanged, %lld touched, %lld failed"
            " in %.1f s\n", (long long)c->extracted, (long long)c->skipped,
            (long long)c->touched, (long long)c->failed,
            run->phase.end - run->phase.start);
  }
  if( !run->o->quiet ){
    char *zSkipped = files_skipped_text(&run->files);
    if( zSkipped ) fprintf(stderr, "%s\n", zSkipped);
    free(zSkipped);
    if( run->n_featureless>0 ){
      fprintf(stderr, "%d featureless image%s (under %d SIFT features: skies, gradients,"
              " flat scans) %s compared by thumbnail; list them with\n"
              "  imgsearch %s \"SELECT path FROM images WHERE features < %d\"\n",
              run->n_featureless, run->n_featureless==1 ? "" : "s", THUMBS_FEATURELESS,
              run->n_featureless==1 ? "is" : "are", sqlite3_db_filename(run->db, "main"),
              THUMBS_FEATURELESS);
    }
  }
  if( run->o->stats ){
    IndexStageTimes sum;
    index_pipeline_times(run->pipeline, &sum);
    index_print_stats(&run->phase, &sum);
  }
  if( shell_interrupted && exit_code!=EXIT_ERROR ){
    fprintf(stderr, "interrupted: finished work is saved; run the same command to resume\n");
    exit_code = EXIT_INTERRUPTED;
  }else if( exit_code==EXIT_OK && c->failed>0 ){
    exit_code = EXIT_FAILURES;
  }
  return exit_code;
}

int index_run(sqlite3 *db, const IndexOptions *o, int n_path, char **paths){
  IndexRun run;
  int exit_code;
  memset(&run, 0, sizeof(run));
  run.db = db;
  run.o = o;
  run.phase.start = shell_now();
  exit_code = index_run_extract(&run, n_path, paths);
  run.phase.extracted = shell_now();
  run.phase.rss_extracted = index_peak_rss_mb();
  if( exit_code!=EXIT_ERROR ){
    exit_code = index_run_vectors(&run);
    exit_code = index_run_finish(&run, exit_code);
  }
  index_pipeline_close(run.pipeline);
  index_tasks_free(run.tasks, run.n_task);
  db_model_free(&run.model);
  files_free(&run.files);
  return exit_code;
}

/* ---- command line ------------------------------------------------------------------ */

static const char index_usage[] =
  "usage: imgsearch index DB PATH... [options]\n"
  "\n"
  "Add the images under each PATH (folders are walked recursively; jpg jpeg\n"
  "png webp heic heif hif avif jxl tif tiff bmp gif tga pnm ppm pgm) to the\n"
  "database DB, created if missing; other files in the folders are counted\n"
  "by extension and reported as skipped.  JPEG and TIFF orientation tags are\n"
  "applied: sizes and keypoints are those of the upright image.\n"
  "Unchanged files (same size and mtime) are skipped unread; a file with a\n"
  "new mtime but the same content is only \"touched\" (its new size and mtime\n"
  "recorded, not indexed again);\n"
  "changed ones are indexed again.  A codebook is trained when there is none,\n"
  "then every image gets its global vector.\n"
  "\n"
  "options:\n"
  "  -j, --jobs N       worker threads for decoding and SIFT (default: cores)\n"
  "  --prune            remove the records of files that no longer exist\n"
  "  --retrain          train the codebook again and recompute every vector\n"
  "  --codebook-from DIR  train (again) on the images under DIR only, which\n"
  "                     are indexed too; kept as the collection grows\n"
  "  --clusters K       codebook size when training (default 64; 128*K dims)\n"
  "  --dims N           train again, PCA-reducing the vectors to N dims (at most\n"
  "                     one less than the images); 0 keeps all 128*K.  Kept\n"
  "                     for later training; default 256 from 1000 images on\n"
  "  --batch N          files per transaction (default 32)\n"
  "  -q, --quiet        no progress, only failures\n"
  "  --stats            at the end: time per phase and per worker stage, the\n"
  "                     SIFT-only bound, CPU time and peak memory\n"
  "  -h, --help         this text\n"
  "\n"
  "exit status: 0 all files indexed, 1 some files failed (listed on stderr),\n"
  "2 usage error, 3 database error, 130 interrupted (re-run to resume)\n";

/* The command line of `index`: the options into o, the database into
** *pzDb, the paths into paths (argc long).  EXIT_OK (*p_help set for
** --help) or EXIT_USAGE with the problem printed. */
static int index_parse_options(int argc, char **argv, IndexOptions *o,
                               const char **pzDb, char **paths, int *p_n_path,
                               int *p_help){
  int i, operands = 0;
  for(i=0; i<argc; i++){
    const char *z = argv[i];
    ShellArg kind = shell_arg_kind(z, &operands);
    if( kind==SHELL_ARG_END_OF_OPTIONS ) continue;
    if( kind==SHELL_ARG_OPERAND ){
      if( *pzDb==0 ) *pzDb = z;
      else paths[(*p_n_path)++] = argv[i];
      continue;
    }
    if( shell_is_help(z) ){
      *p_help = 1;
      return EXIT_OK;
    }else if( strcmp(z, "-j")==0 || strcmp(z, "--jobs")==0 ){
      if( i+1>=argc || (o->jobs = shell_parse_int(z, argv[++i], 1, 256))<0 ) return EXIT_USAGE;
    }else if( strncmp(z, "--jobs=", 7)==0 ){
      if( (o->jobs = shell_parse_int("--jobs", z+7, 1, 256))<0 ) return EXIT_USAGE;
    }else if( strcmp(z, "--clusters")==0 ){
      if( i+1>=argc || (o->clusters = shell_parse_int(z, argv[++i], 2, 1024))<0 ) return EXIT_USAGE;
    }else if( strcmp(z, "--dims")==0 ){
      if( i+1>=argc || (o->dims = shell_parse_int(z, argv[++i], 0, 1000))<0 ) return EXIT_USAGE;
    }else if( strcmp(z, "--batch")==0 ){
      if( i+1>=argc || (o->batch = shell_parse_int(z, argv[++i], 1, 100000))<0 ) return EXIT_USAGE;
    }else if( strcmp(z, "--prune")==0 ){
      o->prune = 1;
    }else if( strcmp(z, "--retrain")==0 ){
      o->retrain = 1;
    }else if( strcmp(z, "--codebook-from")==0 ){
      if( i+1>=argc ) return EXIT_USAGE;
      o->zCodebookFrom = argv[++i];
      paths[(*p_n_path)++] = argv[i];     /* its images are indexed too */
    }else if( strcmp(z, "-q")==0 || strcmp(z, "--quiet")==0 ){
      o->quiet = 1;
    }else if( strcmp(z, "--stats")==0 ){
      o->stats = 1;
    }else if( shell_unknown_option("index", z) ){
      return EXIT_USAGE;
    }
  }
  if( *pzDb==0 || (*p_n_path==0 && !o->prune && !o->retrain && o->dims<0) ){
    fprintf(stderr, "imgsearch index: needs a database and at least one PATH\n");
    return EXIT_USAGE;
  }
  return EXIT_OK;
}

/* One index run at a time on a database. The writer decides at start-up
** what the database holds (features, a codebook, vectors) and acts on it
** for the whole run, so two overlapping runs would each undo part of the
** other's work. The second waits: a flock(2) on the database file, held
** from before the plan until the connection is closed, released by the
** kernel if the process dies. flock is not SQLite's lock (SQLite locks
** byte ranges with fcntl), and this descriptor stays open to the end, so
** closing it cannot drop SQLite's locks. Returns the descriptor to close
** after sqlite3_close, or -1 where there is nothing to lock (":memory:"). */
static int index_lock_database(const char *zDb, int quiet){
  int fd = open(zDb, O_RDONLY|O_CLOEXEC);
  if( fd<0 ) return -1;
  if( flock(fd, LOCK_EX|LOCK_NB)!=0 ){
    if( !quiet ) fprintf(stderr, "imgsearch index: another index run is working on this "
                                 "database (%s); waiting for it to finish\n", zDb);
    while( flock(fd, LOCK_EX)!=0 && errno==EINTR ){}
  }
  return fd;
}

/* Every PATH must exist before the database is created or changed: a
** mistyped folder is a usage error, not an empty database.  EXIT_OK or
** EXIT_USAGE (printed). */
static int index_check_paths(int n_path, char **paths){
  int i;
  for(i=0; i<n_path; i++){
    struct stat st;
    if( stat(paths[i], &st)!=0 ){
      fprintf(stderr, "imgsearch index: %s: %s\n", paths[i], strerror(errno));
      return EXIT_USAGE;
    }
  }
  return EXIT_OK;
}

int cmd_index(int argc, char **argv){
  IndexOptions o;
  char **paths = calloc(argc>0 ? argc : 1, sizeof(char*));
  const char *zDb = 0;
  int n_path = 0, help = 0, exit_code, lock_fd;
  sqlite3 *db;
  index_options_default(&o);
  if( paths==0 ) return EXIT_ERROR;
  exit_code = index_parse_options(argc, argv, &o, &zDb, paths, &n_path, &help);
  if( help ){
    fputs(index_usage, stdout);
  }else if( exit_code==EXIT_USAGE ){
    fputs(index_usage, stderr);
  }else if( (exit_code = index_check_paths(n_path, paths))!=EXIT_OK ){
    /* no database is created for a run that cannot read its PATHs */
  }else if( (db = db_open(zDb))==0 ){
    exit_code = EXIT_ERROR;
  }else if( sqlite3_db_readonly(db, "main")==1 ){
    fprintf(stderr, "imgsearch index: %s is read-only (this user cannot write it)\n", zDb);
    sqlite3_close(db);
    exit_code = EXIT_ERROR;
  }else{
    lock_fd = index_lock_database(zDb, o.quiet);
    shell_install_interrupt();
    exit_code = index_run(db, &o, n_path, paths);
    sqlite3_close(db);
    if( lock_fd>=0 ) close(lock_fd);
  }
  free(paths);
  return exit_code;
}
