/*
** cmd_index.c — `imgsearch index DB PATH...`: bring the database up to date
** with the image files under PATH.
**
** Pipeline:
**   1. plan (this thread): walk PATHs; for each file look up its images row.
**      Same size and mtime as recorded, status 'ok' -> skipped, unread.
**      Otherwise it becomes a task (new, or "check" with the old hash).
**   2. workers (--jobs threads, each with its own ":memory:" connection that
**      has the extension): read the file, hash it; a "check" task whose
**      hash is unchanged only needs its size/mtime updated; otherwise run
**      img_info and img_sift, and img_vlad when a codebook exists.
**   3. the writer (this thread, the only one that writes the database):
**      takes finished tasks in completion order and writes them; every
**      --batch results (or 2 s) are one transaction.  Killing the program
**      loses at most the open batch; a re-run resumes, because finished
**      files are then unchanged.  SIGINT stops the workers and commits what
**      is finished.
**   4. codebook: trained (img_codebook_train over features.sift) when there
**      is none, or when the collection has grown to more than twice the
**      images it was trained on, or on --retrain; --codebook-from DIR
**      trains on the images under DIR only (and keeps that codebook as the
**      collection grows, until --retrain).  With it, from 1000 training
**      images on (or as --dims says), a PCA-whitening to 256 dims
**      (img_pca_train on the VLADs of 1000 of them, table projection):
**      256 floats a vector instead of 8192 keep search and memory flat as
**      the collection grows.  Then image_vectors is (re)created with that
**      many dims and every image lacking a vector gets
**      img_vlad(sift, codebook, pca), in batches.
**
** In-flight results are bounded (workers wait) so memory stays flat on big
** folders.  Failed files are recorded with status 'error' and retried on
** every run; each is reported with its reason and makes the exit code 1.
*/
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shell.h"

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
  unsigned char *sift;  size_t nSift;     /* malloc'd */
  unsigned char *vlad;  size_t nVlad;     /* malloc'd, NULL: none */
  char *zError;                            /* malloc'd */
} IndexTask;

/* What img_vlad needs besides the sift blob: the codebook and the
** projection's PCA (NULL: none), copied out of the database and bound as
** parameters, so img_vlad parses them once per statement (a subquery
** argument is parsed again for every row: 8 MB for a PCA). */
typedef struct IndexModel {
  unsigned char *codebook;   /* NULL: no codebook yet */
  unsigned char *pca;
  int nCodebook, nPca;
} IndexModel;

typedef struct IndexQueue {
  pthread_mutex_t mutex;
  pthread_cond_t resultReady;   /* a task finished, or a worker left */
  pthread_cond_t spaceFree;     /* the writer consumed a result */
  IndexTask *aTask;
  int nTask;
  int nextTask;                 /* next task to claim */
  int *aFinished;               /* indexes of finished tasks, in order */
  int nFinished, nConsumed;
  int inFlight, maxInFlight;    /* claimed, not yet written */
  int workersRunning;
  const IndexModel *model;      /* no codebook: no vectors in workers */
} IndexQueue;

void index_options_default(IndexOptions *o){
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  memset(o, 0, sizeof(*o));
  o->jobs = cores>0 ? (int)cores : 1;
  o->clusters = 64;
  o->dims = -1;
  o->batch = 32;
}

static char *index_copy_blob(const void *data, int n, size_t *pn){
  char *p = malloc(n>0 ? (size_t)n : 1);
  if( p && n>0 ) memcpy(p, data, (size_t)n);
  *pn = p ? (size_t)n : 0;
  return p;
}

/* The blob zSql selects (malloc'd), or NULL. */
static unsigned char *index_load_blob(sqlite3 *db, const char *zSql, int *pn){
  sqlite3_stmt *stmt = 0;
  unsigned char *p = 0;
  *pn = 0;
  if( sqlite3_prepare_v2(db, zSql, -1, &stmt, 0)==SQLITE_OK
   && sqlite3_step(stmt)==SQLITE_ROW ){
    size_t n;
    p = (unsigned char*)index_copy_blob(sqlite3_column_blob(stmt, 0),
                                        sqlite3_column_bytes(stmt, 0), &n);
    *pn = (int)n;
  }
  sqlite3_finalize(stmt);
  return p;
}

static void index_model_load(sqlite3 *db, IndexModel *m){
  m->codebook = index_load_blob(db, "SELECT codebook FROM codebook WHERE id=1", &m->nCodebook);
  m->pca = index_load_blob(db, "SELECT pca FROM projection WHERE id=1", &m->nPca);
}

/* Bind the codebook to parameter i of stmt and the PCA to i+1. */
static void index_model_bind(const IndexModel *m, sqlite3_stmt *stmt, int i){
  sqlite3_bind_blob(stmt, i, m->codebook, m->nCodebook, SQLITE_STATIC);
  sqlite3_bind_blob(stmt, i+1, m->pca, m->nPca, SQLITE_STATIC);
}

static void index_model_free(IndexModel *m){
  free(m->codebook);
  free(m->pca);
  memset(m, 0, sizeof(*m));
}

/* ---- workers ----------------------------------------------------------------- */

/* Seconds one worker spent in each stage (for --stats). */
typedef struct IndexStageTimes {
  double read;               /* files_read and files_hash */
  double info;               /* img_info: the header */
  double sift;               /* img_sift: decode and SIFT */
  double siftCpu;            /* the CPU time of this thread in img_sift */
  double vlad;               /* sift_count and img_vlad */
} IndexStageTimes;

typedef struct IndexWorker {
  IndexQueue *queue;
  sqlite3 *db;               /* ":memory:", with the extension */
  sqlite3_stmt *info;        /* img_info -> width, height */
  sqlite3_stmt *sift;        /* img_sift */
  sqlite3_stmt *vectorize;   /* sift_count, img_vlad */
  IndexStageTimes times;
} IndexWorker;

static void index_task_fail(IndexTask *task, const char *zError){
  task->result = INDEX_RESULT_FAILED;
  free(task->zError);
  task->zError = strdup(zError);
}

/* Do one task: read, hash, extract.  Never fails as a whole: problems end
** up in task->zError. */
static void index_worker_process(IndexWorker *w, IndexTask *task){
  double start = shell_now(), now;
  size_t nData = 0;
  char *zReadError = 0;
  unsigned char *data = files_read(task->file->zPath, &nData, &zReadError);
  int rc;
  if( data==0 ){
    index_task_fail(task, zReadError ? zReadError : "cannot read file");
    free(zReadError);
    return;
  }
  files_hash(data, nData, task->zHash);
  now = shell_now();
  w->times.read += now - start;
  start = now;
  if( nData > FILES_MAX_BYTES ){
    index_task_fail(task, "file is over 1 GB: not indexed");
    free(data);
    return;
  }
  if( task->zOldHash[0] && strcmp(task->zOldHash, task->zHash)==0 ){
    task->result = INDEX_RESULT_TOUCHED;
    free(data);
    return;
  }
  sqlite3_bind_blob(w->info, 1, data, (int)nData, SQLITE_STATIC);
  rc = sqlite3_step(w->info);
  if( rc==SQLITE_ROW ){
    task->width = sqlite3_column_int(w->info, 0);
    task->height = sqlite3_column_int(w->info, 1);
  }else{
    index_task_fail(task, sqlite3_errmsg(w->db));
  }
  sqlite3_reset(w->info);
  sqlite3_clear_bindings(w->info);
  now = shell_now();
  w->times.info += now - start;
  start = now;
  if( task->zError==0 ){
    double cpu = shell_thread_cpu();
    sqlite3_bind_blob(w->sift, 1, data, (int)nData, SQLITE_STATIC);
    rc = sqlite3_step(w->sift);
    if( rc==SQLITE_ROW ){
      task->sift = (unsigned char*)index_copy_blob(
          sqlite3_column_blob(w->sift, 0), sqlite3_column_bytes(w->sift, 0),
          &task->nSift);
      if( task->sift==0 ) index_task_fail(task, "out of memory");
    }else{
      index_task_fail(task, sqlite3_errmsg(w->db));
    }
    sqlite3_reset(w->sift);
    sqlite3_clear_bindings(w->sift);
    w->times.siftCpu += shell_thread_cpu() - cpu;
    now = shell_now();
    w->times.sift += now - start;
    start = now;
  }
  free(data);
  if( task->zError ) return;

  sqlite3_bind_blob(w->vectorize, 1, task->sift, (int)task->nSift, SQLITE_STATIC);
  index_model_bind(w->queue->model, w->vectorize, 2);
  rc = sqlite3_step(w->vectorize);
  if( rc==SQLITE_ROW ){
    task->features = sqlite3_column_int(w->vectorize, 0);
    if( sqlite3_column_type(w->vectorize, 1)==SQLITE_BLOB ){
      task->vlad = (unsigned char*)index_copy_blob(
          sqlite3_column_blob(w->vectorize, 1),
          sqlite3_column_bytes(w->vectorize, 1), &task->nVlad);
      if( task->vlad==0 ) index_task_fail(task, "out of memory");
    }
  }else{
    index_task_fail(task, sqlite3_errmsg(w->db));
  }
  sqlite3_reset(w->vectorize);
  sqlite3_clear_bindings(w->vectorize);
  w->times.vlad += shell_now() - start;
  if( task->zError==0 ) task->result = INDEX_RESULT_EXTRACTED;
}

static void *index_worker_main(void *arg){
  IndexWorker *w = (IndexWorker*)arg;
  IndexQueue *q = w->queue;
  pthread_mutex_lock(&q->mutex);
  while( !shell_interrupted && q->nextTask < q->nTask ){
    int i;
    while( q->inFlight >= q->maxInFlight && !shell_interrupted ){
      pthread_cond_wait(&q->spaceFree, &q->mutex);
    }
    if( shell_interrupted || q->nextTask >= q->nTask ) break;
    i = q->nextTask++;
    q->inFlight++;
    pthread_mutex_unlock(&q->mutex);

    if( w->info && w->sift && w->vectorize ){
      index_worker_process(w, &q->aTask[i]);
    }else{
      index_task_fail(&q->aTask[i], w->db ? sqlite3_errmsg(w->db) : "out of memory");
    }

    pthread_mutex_lock(&q->mutex);
    q->aFinished[q->nFinished++] = i;
    pthread_cond_signal(&q->resultReady);
  }
  q->workersRunning--;
  pthread_cond_signal(&q->resultReady);
  pthread_mutex_unlock(&q->mutex);
  return 0;
}

static int index_worker_open(IndexWorker *w, IndexQueue *q){
  memset(w, 0, sizeof(*w));
  w->queue = q;
  if( sqlite3_open(":memory:", &w->db)!=SQLITE_OK ) return SQLITE_ERROR;
  if( sqlite3_prepare_v2(w->db,
        "SELECT json_extract(i, '$.width'), json_extract(i, '$.height')"
        "  FROM (SELECT img_info(?1) AS i)", -1, &w->info, 0)!=SQLITE_OK
   || sqlite3_prepare_v2(w->db, "SELECT img_sift(?1)", -1, &w->sift, 0)!=SQLITE_OK ){
    return SQLITE_ERROR;
  }
  if( sqlite3_prepare_v2(w->db,
        "SELECT sift_count(?1), CASE WHEN ?2 IS NOT NULL THEN img_vlad(?1, ?2, ?3) END",
        -1, &w->vectorize, 0)!=SQLITE_OK ) return SQLITE_ERROR;
  return SQLITE_OK;
}

static void index_worker_close(IndexWorker *w){
  sqlite3_finalize(w->info);
  sqlite3_finalize(w->sift);
  sqlite3_finalize(w->vectorize);
  sqlite3_close(w->db);
}

/* ---- the writer ---------------------------------------------------------------- */

typedef struct IndexWriter {
  sqlite3 *db;
  int hasVectors;            /* image_vectors exists */
  sqlite3_stmt *upsert, *touch, *putFeatures, *dropFeatures;
  sqlite3_stmt *putVector, *dropVector;
  int inTransaction, nInBatch;
  double batchStart;
  int64_t nExtracted, nTouched, nFailed, nSkipped;
  int64_t nPlanFailed;       /* of nFailed: could not even stat */
  double writeTime, writeCpu; /* seconds in index_writer_put: wall, CPU */
} IndexWriter;

static int index_writer_prepare(IndexWriter *w){
  int rc = sqlite3_prepare_v2(w->db,
    "INSERT INTO images(path, size, mtime, hash, width, height, features,"
    "                   status, error, vector)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
    " ON CONFLICT(path) DO UPDATE SET size=excluded.size, mtime=excluded.mtime,"
    "   hash=excluded.hash, width=excluded.width, height=excluded.height,"
    "   features=excluded.features, status=excluded.status,"
    "   error=excluded.error, vector=excluded.vector,"
    "   indexed_at=excluded.indexed_at"
    " RETURNING id", -1, &w->upsert, 0);
  if( rc==SQLITE_OK ) rc = sqlite3_prepare_v2(w->db,
    "UPDATE images SET size=?2, mtime=?3 WHERE id=?1", -1, &w->touch, 0);
  if( rc==SQLITE_OK ) rc = sqlite3_prepare_v2(w->db,
    "INSERT OR REPLACE INTO features(image_id, sift) VALUES (?1, ?2)",
    -1, &w->putFeatures, 0);
  if( rc==SQLITE_OK ) rc = sqlite3_prepare_v2(w->db,
    "DELETE FROM features WHERE image_id=?1", -1, &w->dropFeatures, 0);
  if( rc==SQLITE_OK && w->hasVectors ) rc = sqlite3_prepare_v2(w->db,
    "INSERT OR REPLACE INTO image_vectors(rowid, vlad) VALUES (?1, ?2)",
    -1, &w->putVector, 0);
  if( rc==SQLITE_OK && w->hasVectors ) rc = sqlite3_prepare_v2(w->db,
    "DELETE FROM image_vectors WHERE rowid=?1", -1, &w->dropVector, 0);
  if( rc!=SQLITE_OK ) shell_db_error(w->db, "cannot prepare the index statements");
  return rc;
}

static void index_writer_finalize(IndexWriter *w){
  sqlite3_finalize(w->upsert);
  sqlite3_finalize(w->touch);
  sqlite3_finalize(w->putFeatures);
  sqlite3_finalize(w->dropFeatures);
  sqlite3_finalize(w->putVector);
  sqlite3_finalize(w->dropVector);
  w->upsert = w->touch = w->putFeatures = w->dropFeatures = 0;
  w->putVector = w->dropVector = 0;
}

/* Run a prepared statement to completion and reset it. */
static int index_step(sqlite3_stmt *stmt){
  int rc;
  while( (rc = sqlite3_step(stmt))==SQLITE_ROW ){}
  sqlite3_reset(stmt);
  sqlite3_clear_bindings(stmt);
  return rc==SQLITE_DONE ? SQLITE_OK : rc;
}

static int index_exec(sqlite3 *db, const char *zSql){
  int rc = sqlite3_exec(db, zSql, 0, 0, 0);
  if( rc!=SQLITE_OK ) shell_db_error(db, zSql);
  return rc;
}

static int index_commit(IndexWriter *w){
  int rc = SQLITE_OK;
  if( w->inTransaction ){
    rc = index_exec(w->db, "COMMIT");
    w->inTransaction = 0;
    w->nInBatch = 0;
  }
  return rc;
}

/* Write one finished task.  A database error is returned (and stops the
** run); a failed file is a row with status 'error'. */
static int index_writer_put(IndexWriter *w, IndexTask *task, int batch){
  int rc = SQLITE_OK;
  sqlite3_int64 id = task->id;
  if( !w->inTransaction ){
    rc = index_exec(w->db, "BEGIN IMMEDIATE");
    if( rc ) return rc;
    w->inTransaction = 1;
    w->batchStart = shell_now();
  }
  if( task->result==INDEX_RESULT_TOUCHED ){
    sqlite3_bind_int64(w->touch, 1, id);
    sqlite3_bind_int64(w->touch, 2, task->file->size);
    sqlite3_bind_int64(w->touch, 3, task->file->mtime_ns);
    rc = index_step(w->touch);
  }else{
    int ok = task->result==INDEX_RESULT_EXTRACTED;
    sqlite3_stmt *s = w->upsert;
    sqlite3_bind_text(s, 1, task->file->zPath, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, task->file->size);
    sqlite3_bind_int64(s, 3, task->file->mtime_ns);
    if( task->zHash[0] ) sqlite3_bind_text(s, 4, task->zHash, -1, SQLITE_STATIC);
    if( ok ){
      sqlite3_bind_int(s, 5, task->width);
      sqlite3_bind_int(s, 6, task->height);
      sqlite3_bind_int(s, 7, task->features);
    }
    sqlite3_bind_text(s, 8, ok ? "ok" : "error", -1, SQLITE_STATIC);
    if( !ok ) sqlite3_bind_text(s, 9, task->zError, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 10, ok && task->vlad && w->hasVectors);
    rc = sqlite3_step(s);
    if( rc==SQLITE_ROW ){
      id = sqlite3_column_int64(s, 0);
      rc = index_step(s);
    }else{
      sqlite3_reset(s);
      sqlite3_clear_bindings(s);
    }
    if( rc==SQLITE_OK && ok ){
      sqlite3_bind_int64(w->putFeatures, 1, id);
      sqlite3_bind_blob(w->putFeatures, 2, task->sift, (int)task->nSift, SQLITE_STATIC);
      rc = index_step(w->putFeatures);
    }else if( rc==SQLITE_OK ){
      sqlite3_bind_int64(w->dropFeatures, 1, id);
      rc = index_step(w->dropFeatures);
    }
    if( rc==SQLITE_OK && w->hasVectors ){
      if( ok && task->vlad ){
        sqlite3_bind_int64(w->putVector, 1, id);
        sqlite3_bind_blob(w->putVector, 2, task->vlad, (int)task->nVlad, SQLITE_STATIC);
        rc = index_step(w->putVector);
      }else if( task->id ){
        sqlite3_bind_int64(w->dropVector, 1, id);
        rc = index_step(w->dropVector);
      }
    }
  }
  if( rc!=SQLITE_OK ){
    fprintf(stderr, "imgsearch: cannot record %s: %s\n", task->file->zPath,
            sqlite3_errmsg(w->db));
    return rc;
  }
  if( ++w->nInBatch >= batch || shell_now() - w->batchStart >= 2.0 ){
    rc = index_commit(w);
  }
  return rc;
}

static void index_task_clear(IndexTask *task){
  free(task->sift);  task->sift = 0;
  free(task->vlad);  task->vlad = 0;
}

/* ---- plan ------------------------------------------------------------------------ */

/* Decide what to do with every file: skip, or a task.  Files whose stat
** failed are reported and counted as failures.  Returns the task count, or
** -1 on error. */
static int index_plan(IndexWriter *w, FileList *files, IndexTask **paTask,
                      Progress *progress){
  sqlite3_stmt *lookup = 0;
  IndexTask *aTask = calloc(files->n ? files->n : 1, sizeof(IndexTask));
  int nTask = 0;
  size_t i;
  if( aTask==0 ) return -1;
  if( sqlite3_prepare_v2(w->db,
        "SELECT id, size, mtime, hash, status FROM images WHERE path=?1",
        -1, &lookup, 0)!=SQLITE_OK ){
    shell_db_error(w->db, "cannot read images");
    free(aTask);
    return -1;
  }
  for(i=0; i<files->n; i++){
    const FileEntry *f = &files->a[i];
    IndexTask *task;
    if( f->zError ){
      progress_message(progress, "FAILED %s: %s", f->zPath, f->zError);
      w->nFailed++;
      w->nPlanFailed++;
      continue;
    }
    task = &aTask[nTask];
    task->file = f;
    sqlite3_bind_text(lookup, 1, f->zPath, -1, SQLITE_STATIC);
    if( sqlite3_step(lookup)==SQLITE_ROW ){
      const char *zHash = (const char*)sqlite3_column_text(lookup, 3);
      const char *zStatus = (const char*)sqlite3_column_text(lookup, 4);
      int ok = zStatus && strcmp(zStatus, "ok")==0;
      task->id = sqlite3_column_int64(lookup, 0);
      if( ok && sqlite3_column_int64(lookup, 1)==f->size
             && sqlite3_column_int64(lookup, 2)==f->mtime_ns ){
        w->nSkipped++;
        sqlite3_reset(lookup);
        continue;
      }
      if( ok && zHash && strlen(zHash)==16 ) memcpy(task->zOldHash, zHash, 17);
    }
    sqlite3_reset(lookup);
    nTask++;
  }
  sqlite3_finalize(lookup);
  *paTask = aTask;
  return nTask;
}

/* ---- prune ----------------------------------------------------------------------- */

/* Remove the records of files that no longer exist.  Returns the count, or
** -1 on a database error. */
static int index_prune(IndexWriter *w, int quiet){
  sqlite3_stmt *list = 0, *drop = 0, *dropVector = 0;
  sqlite3_int64 *aId = 0;
  int nId = 0, nAlloc = 0, i, rc, nPruned = -1;
  rc = sqlite3_prepare_v2(w->db, "SELECT id, path FROM images ORDER BY id", -1, &list, 0);
  if( rc==SQLITE_OK ) rc = sqlite3_prepare_v2(w->db,
      "DELETE FROM images WHERE id=?1", -1, &drop, 0);
  if( rc==SQLITE_OK && w->hasVectors ) rc = sqlite3_prepare_v2(w->db,
      "DELETE FROM image_vectors WHERE rowid=?1", -1, &dropVector, 0);
  if( rc!=SQLITE_OK ){ shell_db_error(w->db, "prune"); goto done; }
  while( sqlite3_step(list)==SQLITE_ROW ){
    struct stat st;
    const char *zPath = (const char*)sqlite3_column_text(list, 1);
    if( zPath && stat(zPath, &st)!=0 && errno==ENOENT ){
      if( nId==nAlloc ){
        int nNew = nAlloc ? nAlloc*2 : 64;
        sqlite3_int64 *a = realloc(aId, nNew*sizeof(*a));
        if( a==0 ){ fprintf(stderr, "imgsearch: out of memory\n"); goto done; }
        aId = a;
        nAlloc = nNew;
      }
      aId[nId++] = sqlite3_column_int64(list, 0);
      if( !quiet ) fprintf(stderr, "pruned %s\n", zPath);
    }
  }
  sqlite3_reset(list);
  if( nId==0 ){ nPruned = 0; goto done; }
  if( index_exec(w->db, "BEGIN IMMEDIATE") ) goto done;
  for(i=0; i<nId; i++){
    sqlite3_bind_int64(drop, 1, aId[i]);
    rc = index_step(drop);
    if( rc==SQLITE_OK && dropVector ){
      sqlite3_bind_int64(dropVector, 1, aId[i]);
      rc = index_step(dropVector);
    }
    if( rc!=SQLITE_OK ){
      shell_db_error(w->db, "prune");
      sqlite3_exec(w->db, "ROLLBACK", 0, 0, 0);
      goto done;
    }
  }
  if( index_exec(w->db, "COMMIT")==SQLITE_OK ) nPruned = nId;

done:
  sqlite3_finalize(list);
  sqlite3_finalize(drop);
  sqlite3_finalize(dropVector);
  free(aId);
  return nPruned;
}

/* ---- codebook and vectors -------------------------------------------------------- */

/* One integer from SQL (0 if no row). */
static sqlite3_int64 index_query_int(sqlite3 *db, const char *zSql){
  sqlite3_stmt *stmt = 0;
  sqlite3_int64 v = 0;
  if( sqlite3_prepare_v2(db, zSql, -1, &stmt, 0)==SQLITE_OK
   && sqlite3_step(stmt)==SQLITE_ROW ) v = sqlite3_column_int64(stmt, 0);
  sqlite3_finalize(stmt);
  return v;
}

/* The images a codebook is trained on: those with features, and with
** --codebook-from only those under that folder (?1: its path and a '/'). */
#define INDEX_TRAINING_SET \
  "images.status='ok' AND images.features>0" \
  " AND (?1 IS NULL OR substr(images.path, 1, length(?1))=?1)"

/* The PCA of the vectors: INDEX_PCA_DIMS once the training set has
** INDEX_PCA_MIN_IMAGES images, the most img_pca_train uses (whitening 256
** components learnt from fewer vectors amplifies their noise: on UKBench's
** 500 images 256 dims scored well below the full vectors; learnt from 1000,
** 256 dims keep most of their quality at 10k images, docs/BENCHMARKS.md).
** --dims overrides that, in this run and the later ones (shell_meta 'dims').
** At most one less than the images it learns from; 0: full vectors. */
#define INDEX_PCA_DIMS 256
#define INDEX_PCA_MIN_IMAGES 1000

static int index_pca_dims(sqlite3 *db, const IndexOptions *o, int nImages){
  int dims = o->dims;
  if( dims<0 ){
    dims = (int)index_query_int(db,
        "SELECT coalesce((SELECT value FROM shell_meta WHERE key='dims'), -1)");
  }
  if( dims<0 ) dims = nImages>=INDEX_PCA_MIN_IMAGES ? INDEX_PCA_DIMS : 0;
  if( nImages>INDEX_PCA_MIN_IMAGES ) nImages = INDEX_PCA_MIN_IMAGES;
  return dims<nImages ? dims : nImages-1;
}

/* Replace the projection: none when dims is 0, else a PCA to dims trained on
** the VLADs of (up to) INDEX_PCA_MIN_IMAGES training images, the same ones
** whatever the row order (the smallest content hashes). */
static int index_train_projection(sqlite3 *db, const char *zFolder, int dims){
  sqlite3_stmt *train = 0;
  int rc = index_exec(db, "DELETE FROM projection");
  if( rc || dims==0 ) return rc;
  rc = sqlite3_prepare_v2(db,
      "INSERT INTO projection(id, pca, dims, images)"
      " SELECT 1, img_pca_train(img_vlad(t.sift, c.codebook), ?2), ?2, count(*)"
      "   FROM codebook AS c,"
      "        (SELECT features.sift FROM features JOIN images ON images.id=features.image_id"
      "          WHERE " INDEX_TRAINING_SET " ORDER BY images.hash LIMIT ?3) AS t"
      "  WHERE c.id=1", -1, &train, 0);
  if( rc==SQLITE_OK ){
    sqlite3_bind_text(train, 1, zFolder, -1, SQLITE_STATIC);
    sqlite3_bind_int(train, 2, dims);
    sqlite3_bind_int(train, 3, INDEX_PCA_MIN_IMAGES);
    rc = index_step(train);
  }
  sqlite3_finalize(train);
  return rc;
}

/* Train the codebook on the training set's features, and the projection,
** and recreate image_vectors to match them, in one transaction.  shell_meta's
** 'codebook_from' records the --codebook-from folder (absent: every image),
** 'dims' the last --dims.
** SQLITE_OK, SQLITE_DONE when there are no features yet (nothing trained),
** or an error (reported). */
static int index_train_codebook(IndexWriter *w, const IndexOptions *o){
  sqlite3_stmt *count = 0, *train = 0;
  char *zFolder = 0, *zSql = 0;
  int rc, nImages = 0, dims = 0;
  double start = shell_now();
  if( o->zCodebookFrom ){
    char zReal[PATH_MAX];
    if( realpath(o->zCodebookFrom, zReal)==0 ){
      fprintf(stderr, "imgsearch: --codebook-from %s: %s\n", o->zCodebookFrom,
              strerror(errno));
      return SQLITE_ERROR;
    }
    zFolder = sqlite3_mprintf("%s/", zReal);
    if( zFolder==0 ) return SQLITE_NOMEM;
  }
  rc = index_exec(w->db, "BEGIN IMMEDIATE");
  if( rc ) goto failed;
  rc = sqlite3_prepare_v2(w->db, "SELECT count(*) FROM images WHERE " INDEX_TRAINING_SET,
                          -1, &count, 0);
  if( rc==SQLITE_OK ){
    sqlite3_bind_text(count, 1, zFolder, -1, SQLITE_STATIC);
    if( sqlite3_step(count)==SQLITE_ROW ) nImages = sqlite3_column_int(count, 0);
    rc = sqlite3_reset(count);
  }
  if( rc==SQLITE_OK && nImages==0 ){
    sqlite3_exec(w->db, "ROLLBACK", 0, 0, 0);
    rc = SQLITE_DONE;
    goto done;
  }
  if( rc==SQLITE_OK ) dims = index_pca_dims(w->db, o, nImages);
  if( rc==SQLITE_OK && !o->quiet ){
    fprintf(stderr, "training the codebook (%d clusters)%s on %d images%s%s...\n",
            o->clusters, dims ? " and the PCA" : "", nImages,
            zFolder ? " under " : "", zFolder ? zFolder : "");
  }
  if( rc==SQLITE_OK ) rc = sqlite3_prepare_v2(w->db,
      "INSERT OR REPLACE INTO codebook(id, codebook, clusters, images)"
      " SELECT 1, img_codebook_train(sift, ?2), ?2, count(*)"
      "   FROM features JOIN images ON images.id=features.image_id"
      "  WHERE " INDEX_TRAINING_SET, -1, &train, 0);
  if( rc==SQLITE_OK ){
    sqlite3_bind_text(train, 1, zFolder, -1, SQLITE_STATIC);
    sqlite3_bind_int(train, 2, o->clusters);
    rc = index_step(train);
  }
  if( rc==SQLITE_OK ) rc = index_train_projection(w->db, zFolder, dims);
  if( rc!=SQLITE_OK ){
    fprintf(stderr, "imgsearch: cannot train the codebook: %s\n", sqlite3_errmsg(w->db));
    goto failed;
  }
  zSql = sqlite3_mprintf(
      "DROP TABLE IF EXISTS image_vectors;"
      "CREATE VIRTUAL TABLE image_vectors USING annoy(vlad float32[%d], metric=angular);"
      "UPDATE images SET vector=0 WHERE vector<>0;"
      "DELETE FROM shell_meta WHERE key='codebook_from';"
      "INSERT INTO shell_meta(key, value) SELECT 'codebook_from', %Q WHERE %Q IS NOT NULL;"
      "INSERT OR REPLACE INTO shell_meta(key, value) SELECT 'dims', %d WHERE %d>=0;",
      dims ? dims : 128*o->clusters, zFolder, zFolder, o->dims, o->dims);
  if( zSql==0 ){ rc = SQLITE_NOMEM; goto failed; }
  rc = index_exec(w->db, zSql);
  if( rc ) goto failed;
  rc = index_exec(w->db, "COMMIT");
  if( rc ) goto failed;
  if( !o->quiet ){
    fprintf(stderr, "codebook trained in %.1f s\n", shell_now() - start);
  }
  goto done;

failed:
  sqlite3_exec(w->db, "ROLLBACK", 0, 0, 0);
  if( rc==SQLITE_OK ) rc = SQLITE_ERROR;
done:
  sqlite3_free(zSql);
  sqlite3_free(zFolder);
  sqlite3_finalize(count);
  sqlite3_finalize(train);
  return rc;
}

/* Give every image with features but no vector its VLAD vector, 32 images
** per transaction.  Stops early on SIGINT (a re-run continues). */
static int index_fill_vectors(IndexWriter *w, const IndexOptions *o){
  sqlite3_stmt *fill = 0, *mark = 0;
  IndexModel model;
  int64_t total = index_query_int(w->db,
      "SELECT count(*) FROM images WHERE status='ok' AND features>0 AND vector=0");
  int64_t done = 0;
  Progress *progress;
  int rc;
  if( total==0 ) return SQLITE_OK;
  progress = progress_start("vectors", total, o->quiet);
  rc = sqlite3_prepare_v2(w->db,
      "INSERT OR REPLACE INTO image_vectors(rowid, vlad)"
      " SELECT image_id, img_vlad(sift, ?1, ?2)"
      "   FROM features WHERE image_id IN (SELECT id FROM images"
      "     WHERE status='ok' AND features>0 AND vector=0 ORDER BY id LIMIT 32)",
      -1, &fill, 0);
  if( rc==SQLITE_OK ) rc = sqlite3_prepare_v2(w->db,
      "UPDATE images SET vector=1 WHERE id IN (SELECT id FROM images"
      "  WHERE status='ok' AND features>0 AND vector=0 ORDER BY id LIMIT 32)",
      -1, &mark, 0);
  index_model_load(w->db, &model);
  if( rc==SQLITE_OK && model.codebook==0 ) rc = SQLITE_NOMEM;
  while( rc==SQLITE_OK && done<total && !shell_interrupted ){
    int n;
    rc = index_exec(w->db, "BEGIN IMMEDIATE");
    if( rc ) break;
    index_model_bind(&model, fill, 1);    /* index_step clears bindings */
    rc = index_step(fill);
    n = sqlite3_changes(w->db);
    if( rc==SQLITE_OK ) rc = index_step(mark);
    if( rc!=SQLITE_OK ){
      shell_db_error(w->db, "cannot compute vectors");
      sqlite3_exec(w->db, "ROLLBACK", 0, 0, 0);
      break;
    }
    rc = index_exec(w->db, "COMMIT");
    if( n==0 ) break;
    done += n;
    progress_update(progress, done, 0);
  }
  progress_finish(progress);
  sqlite3_finalize(fill);
  sqlite3_finalize(mark);
  index_model_free(&model);
  return rc;
}

/* ---- the run --------------------------------------------------------------------- */

/* 1 when the codebook should be trained now: there is none, it is asked
** for (--retrain, --codebook-from, --dims), or the collection has more
** than doubled since (unless the codebook came from a chosen folder: that
** one is kept until asked). */
static int index_needs_training(sqlite3 *db, const IndexOptions *o){
  sqlite3_int64 trainedOn, nowHave;
  if( o->retrain || o->zCodebookFrom || o->dims>=0 || !shell_has_index(db) ) return 1;
  if( index_query_int(db, "SELECT count(*) FROM shell_meta WHERE key='codebook_from'") ){
    return 0;
  }
  trainedOn = index_query_int(db, "SELECT images FROM codebook WHERE id=1");
  nowHave = index_query_int(db,
      "SELECT count(*) FROM images WHERE status='ok' AND features>0");
  return nowHave > 2*trainedOn;
}

/* When each phase of a run ended (shell_now), and the peak RSS (MB) by
** then, for --stats. */
typedef struct IndexPhaseTimes {
  double start, planned, extracted, trained, end;
  double rssExtracted, rssTrained;
} IndexPhaseTimes;

static double index_peak_rss_mb(void){
  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss/1024.0;
}

/* --stats: where the time went, and the SIFT-only bound: the img_sift time
** of all workers divided by their number is how long the run would take if
** the workers did nothing but SIFT.  Every figure is from this one run.  On
** a busy machine wall times stretch with the load, so the CPU times are
** given too: the process's CPU time over the workers' img_sift CPU time is
** the work done besides SIFT, whatever else runs. */
static void index_print_stats(const IndexPhaseTimes *phase, const IndexWriter *w,
                              const IndexWorker *aWorker, int nWorker){
  IndexStageTimes sum;
  struct rusage usage;
  double wall = phase->end - phase->start, bound, cpuUser, cpuSystem;
  int i;
  memset(&sum, 0, sizeof(sum));
  for(i=0; i<nWorker; i++){
    sum.read += aWorker[i].times.read;
    sum.info += aWorker[i].times.info;
    sum.sift += aWorker[i].times.sift;
    sum.siftCpu += aWorker[i].times.siftCpu;
    sum.vlad += aWorker[i].times.vlad;
  }
  getrusage(RUSAGE_SELF, &usage);
  cpuUser = usage.ru_utime.tv_sec + usage.ru_utime.tv_usec*1e-6;
  cpuSystem = usage.ru_stime.tv_sec + usage.ru_stime.tv_usec*1e-6;
  fprintf(stderr, "stats: wall %.2f s: plan %.2f s, extract %.2f s, codebook %.2f s,"
          " vectors %.2f s\n", wall, phase->planned - phase->start,
          phase->extracted - phase->planned, phase->trained - phase->extracted,
          phase->end - phase->trained);
  fprintf(stderr, "stats: %d workers, summed: read+hash %.2f s, img_info %.2f s,"
          " img_sift %.2f s (CPU %.2f s), img_vlad %.2f s; writer %.2f s (CPU %.2f s)\n",
          nWorker, sum.read, sum.info, sum.sift, sum.siftCpu, sum.vlad, w->writeTime,
          w->writeCpu);
  if( nWorker>0 && sum.sift>0 ){
    bound = sum.sift / nWorker;
    fprintf(stderr, "stats: SIFT-only bound (img_sift / %d workers) %.2f s:"
            " extract phase %.3f x, whole run %.3f x\n", nWorker, bound,
            (phase->extracted - phase->planned)/bound, wall/bound);
  }
  fprintf(stderr, "stats: CPU user %.2f s, system %.2f s; peak RSS %.1f MB"
          " (%.1f MB after extract, %.1f MB after codebook)\n", cpuUser, cpuSystem,
          usage.ru_maxrss/1024.0, phase->rssExtracted, phase->rssTrained);
  if( sum.siftCpu>0 ){
    fprintf(stderr, "stats: process CPU / img_sift CPU = %.3f\n",
            (cpuUser + cpuSystem)/sum.siftCpu);
  }
}

int index_run(sqlite3 *db, const IndexOptions *o, int nPath, char **azPath){
  FileList files = {0, 0, 0};
  IndexWriter writer;
  IndexQueue queue;
  IndexWorker *aWorker = 0;
  pthread_t *aThread = 0;
  Progress *progress = 0;
  int nThread = 0, nTask = 0, i, rc = SQLITE_OK, exitCode = EXIT_OK;
  int queueReady = 0;
  IndexModel model = {0, 0, 0, 0};
  IndexPhaseTimes phase;
  memset(&phase, 0, sizeof(phase));
  phase.start = shell_now();

  memset(&writer, 0, sizeof(writer));
  memset(&queue, 0, sizeof(queue));
  writer.db = db;
  writer.hasVectors = shell_has_index(db);

  for(i=0; i<nPath; i++){
    if( files_collect(&files, azPath[i]) ){
      fprintf(stderr, "imgsearch: out of memory\n");
      exitCode = EXIT_ERROR;
      goto done;
    }
  }
  files_sort_unique(&files);

  if( o->prune ){
    int n = index_prune(&writer, o->quiet);
    if( n<0 ){ exitCode = EXIT_ERROR; goto done; }
    if( !o->quiet && n>0 ) fprintf(stderr, "pruned %d records of deleted files\n", n);
  }

  if( index_writer_prepare(&writer) ){ exitCode = EXIT_ERROR; goto done; }
  if( writer.hasVectors && !o->retrain && !o->zCodebookFrom && o->dims<0 ){
    index_model_load(db, &model);
  }

  progress = progress_start("index", (int64_t)files.n, o->quiet);
  nTask = index_plan(&writer, &files, &queue.aTask, progress);
  if( nTask<0 ){ exitCode = EXIT_ERROR; goto done; }
  progress_set_total(progress, nTask);    /* skipped files are not work */
  phase.planned = shell_now();
  if( !o->quiet && writer.nSkipped ){
    progress_message(progress, "%lld unchanged files skipped", (long long)writer.nSkipped);
  }

  /* Workers and the writer. */
  queue.nTask = nTask;
  queue.aFinished = calloc(nTask ? nTask : 1, sizeof(int));
  queue.maxInFlight = 4*o->jobs + o->batch;
  queue.model = &model;
  nThread = nTask < o->jobs ? nTask : o->jobs;
  aWorker = calloc(nThread ? nThread : 1, sizeof(IndexWorker));
  aThread = calloc(nThread ? nThread : 1, sizeof(pthread_t));
  if( queue.aFinished==0 || aWorker==0 || aThread==0 ){
    fprintf(stderr, "imgsearch: out of memory\n");
    exitCode = EXIT_ERROR;
    goto done;
  }
  pthread_mutex_init(&queue.mutex, 0);
  pthread_cond_init(&queue.resultReady, 0);
  pthread_cond_init(&queue.spaceFree, 0);
  queueReady = 1;
  for(i=0; i<nThread; i++){
    if( index_worker_open(&aWorker[i], &queue)!=SQLITE_OK ){
      fprintf(stderr, "imgsearch: cannot open a worker connection: %s\n",
              aWorker[i].db ? sqlite3_errmsg(aWorker[i].db) : "out of memory");
      index_worker_close(&aWorker[i]);
      break;
    }
    queue.workersRunning++;
    if( pthread_create(&aThread[i], 0, index_worker_main, &aWorker[i]) ){
      queue.workersRunning--;
      index_worker_close(&aWorker[i]);
      break;
    }
  }
  nThread = i;
  if( nThread==0 && nTask>0 ){
    fprintf(stderr, "imgsearch: cannot start worker threads\n");
    exitCode = EXIT_ERROR;
    goto done;
  }

  pthread_mutex_lock(&queue.mutex);
  for(;;){
    IndexTask *task;
    while( queue.nConsumed==queue.nFinished && queue.workersRunning>0 ){
      pthread_cond_wait(&queue.resultReady, &queue.mutex);
    }
    if( queue.nConsumed==queue.nFinished ) break;
    task = &queue.aTask[queue.aFinished[queue.nConsumed++]];
    pthread_mutex_unlock(&queue.mutex);

    if( rc==SQLITE_OK ){
      double writeStart = shell_now(), writeCpu = shell_thread_cpu();
      rc = index_writer_put(&writer, task, o->batch);
      writer.writeTime += shell_now() - writeStart;
      writer.writeCpu += shell_thread_cpu() - writeCpu;
    }
    if( rc!=SQLITE_OK && !shell_interrupted ){
      shell_interrupted = 1;   /* stop the workers: the database is in trouble */
      exitCode = EXIT_ERROR;
    }
    switch( task->result ){
      case INDEX_RESULT_EXTRACTED: writer.nExtracted++; break;
      case INDEX_RESULT_TOUCHED:   writer.nTouched++; break;
      case INDEX_RESULT_FAILED:
        writer.nFailed++;
        progress_message(progress, "FAILED %s: %s", task->file->zPath, task->zError);
        break;
    }
    index_task_clear(task);
    progress_update(progress, writer.nExtracted + writer.nTouched + writer.nFailed
                              - writer.nPlanFailed, writer.nFailed);

    pthread_mutex_lock(&queue.mutex);
    queue.inFlight--;
    pthread_cond_broadcast(&queue.spaceFree);
  }
  pthread_mutex_unlock(&queue.mutex);
  for(i=0; i<nThread; i++) pthread_join(aThread[i], 0);
  /* After a database error the open batch is rolled back (at done:). */
  if( rc==SQLITE_OK && index_commit(&writer)!=SQLITE_OK ) exitCode = EXIT_ERROR;
  progress_finish(progress);
  progress = 0;
  phase.extracted = shell_now();
  phase.rssExtracted = index_peak_rss_mb();
  if( exitCode==EXIT_ERROR ) goto done;

  /* Codebook and vectors. */
  if( !shell_interrupted && index_needs_training(db, o) ){
    index_writer_finalize(&writer);
    rc = index_train_codebook(&writer, o);
    if( rc==SQLITE_DONE ){
      if( !o->quiet ) fprintf(stderr, "no features yet: the codebook is not trained\n");
    }else if( rc!=SQLITE_OK ){
      exitCode = EXIT_FAILURES;
    }
    writer.hasVectors = shell_has_index(db);
  }
  phase.trained = shell_now();
  phase.rssTrained = index_peak_rss_mb();
  if( !shell_interrupted && writer.hasVectors ){
    if( index_fill_vectors(&writer, o)!=SQLITE_OK ) exitCode = EXIT_ERROR;
  }
  phase.end = shell_now();

  if( !o->quiet || writer.nFailed ){
    fprintf(stderr, "%lld indexed, %lld unchanged, %lld touched, %lld failed"
            " in %.1f s\n", (long long)writer.nExtracted, (long long)writer.nSkipped,
            (long long)writer.nTouched, (long long)writer.nFailed,
            phase.end - phase.start);
  }
  if( o->stats ) index_print_stats(&phase, &writer, aWorker, nThread);
  if( shell_interrupted && exitCode!=EXIT_ERROR ){
    fprintf(stderr, "interrupted: finished work is saved; run the same command to resume\n");
    exitCode = EXIT_INTERRUPTED;
  }else if( exitCode==EXIT_OK && writer.nFailed>0 ){
    exitCode = EXIT_FAILURES;
  }

done:
  progress_finish(progress);
  for(i=0; i<nThread; i++) index_worker_close(&aWorker[i]);
  if( queueReady ){
    pthread_mutex_destroy(&queue.mutex);
    pthread_cond_destroy(&queue.resultReady);
    pthread_cond_destroy(&queue.spaceFree);
  }
  if( writer.inTransaction ) sqlite3_exec(db, "ROLLBACK", 0, 0, 0);
  index_writer_finalize(&writer);
  for(i=0; i<nTask; i++){
    index_task_clear(&queue.aTask[i]);
    free(queue.aTask[i].zError);
  }
  free(queue.aTask);
  free(queue.aFinished);
  free(aWorker);
  free(aThread);
  index_model_free(&model);
  files_free(&files);
  return exitCode;
}

/* ---- command line ------------------------------------------------------------------ */

static const char index_usage[] =
  "usage: imgsearch index DB PATH... [options]\n"
  "\n"
  "Add the images under each PATH (folders are walked recursively; jpg jpeg\n"
  "png bmp gif tga pnm ppm pgm) to the database DB, created if missing.\n"
  "Unchanged files (same size and mtime, or same content) are skipped;\n"
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

int cmd_index(int argc, char **argv){
  IndexOptions o;
  char **azPath = calloc(argc>0 ? argc : 1, sizeof(char*));
  const char *zDb = 0;
  int nPath = 0, i, exitCode;
  sqlite3 *db;
  index_options_default(&o);
  if( azPath==0 ) return EXIT_ERROR;
  for(i=0; i<argc; i++){
    const char *z = argv[i];
    if( strcmp(z, "-h")==0 || strcmp(z, "--help")==0 ){
      fputs(index_usage, stdout);
      free(azPath);
      return EXIT_OK;
    }else if( strcmp(z, "-j")==0 || strcmp(z, "--jobs")==0 ){
      if( i+1>=argc || (o.jobs = shell_parse_int(z, argv[++i], 1, 256))<0 ) goto usage;
    }else if( strncmp(z, "--jobs=", 7)==0 ){
      if( (o.jobs = shell_parse_int("--jobs", z+7, 1, 256))<0 ) goto usage;
    }else if( strcmp(z, "--clusters")==0 ){
      if( i+1>=argc || (o.clusters = shell_parse_int(z, argv[++i], 2, 1024))<0 ) goto usage;
    }else if( strcmp(z, "--dims")==0 ){
      if( i+1>=argc || (o.dims = shell_parse_int(z, argv[++i], 0, 1000))<0 ) goto usage;
    }else if( strcmp(z, "--batch")==0 ){
      if( i+1>=argc || (o.batch = shell_parse_int(z, argv[++i], 1, 100000))<0 ) goto usage;
    }else if( strcmp(z, "--prune")==0 ){
      o.prune = 1;
    }else if( strcmp(z, "--retrain")==0 ){
      o.retrain = 1;
    }else if( strcmp(z, "--codebook-from")==0 ){
      if( i+1>=argc ) goto usage;
      o.zCodebookFrom = argv[++i];
      azPath[nPath++] = argv[i];     /* its images are indexed too */
    }else if( strcmp(z, "-q")==0 || strcmp(z, "--quiet")==0 ){
      o.quiet = 1;
    }else if( strcmp(z, "--stats")==0 ){
      o.stats = 1;
    }else if( z[0]=='-' && z[1] ){
      fprintf(stderr, "imgsearch index: unknown option %s\n", z);
      goto usage;
    }else if( zDb==0 ){
      zDb = z;
    }else{
      azPath[nPath++] = argv[i];
    }
  }
  if( zDb==0 || (nPath==0 && !o.prune && !o.retrain && o.dims<0) ){
    fprintf(stderr, "imgsearch index: needs a database and at least one PATH\n");
    goto usage;
  }
  db = shell_open(zDb);
  if( db==0 ){ free(azPath); return EXIT_ERROR; }
  shell_install_interrupt();
  exitCode = index_run(db, &o, nPath, azPath);
  sqlite3_close(db);
  free(azPath);
  return exitCode;

usage:
  fputs(index_usage, stderr);
  free(azPath);
  return EXIT_USAGE;
}
