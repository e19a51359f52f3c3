/*
** index_pipeline.c — the extraction of `imgsearch index`: a work queue of
** tasks, --jobs worker threads, and the writer.
**
**   workers (each with its own ":memory:" connection that has the
**     extension): read the file, hash it; a "check" task whose hash is
**     unchanged only needs its size/mtime updated; otherwise run img_info
**     and img_sift, and img_vlad when a codebook exists.
**   the writer (the calling thread, the only one that writes the
**     database): takes finished tasks in completion order and writes them;
**     every --batch results (or 2 s) are one transaction.  Killing the
**     program loses at most the open batch; a re-run resumes, because
**     finished files are then unchanged.  SIGINT stops the workers and
**     commits what is finished.
**
** In-flight results are bounded (workers wait) so memory stays flat on big
** folders.  A failed file is a row with status 'error', reported with its
** reason.
**
** May call: common.h, db.h, files.h, progress.h, db_model_bind
** (index_train.c), SQLite, pthreads.
*/
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "db.h"
#include "index_parts.h"

typedef struct IndexQueue {
  pthread_mutex_t mutex;
  pthread_cond_t result_ready;  /* a task finished, or a worker left */
  pthread_cond_t space_free;    /* the writer consumed a result */
  IndexTask *tasks;
  int n_task;
  int next_task;                /* next task to claim */
  int *finished;                /* indexes of finished tasks, in order */
  int n_finished, n_consumed;
  int in_flight, max_in_flight; /* claimed, not yet written */
  int workers_running;
  const DbModel *model;      /* no codebook: no vectors in workers */
} IndexQueue;

typedef struct IndexWorker {
  IndexQueue *queue;
  sqlite3 *db;               /* ":memory:", with the extension */
  sqlite3_stmt *info;        /* img_info -> width, height */
  sqlite3_stmt *sift;        /* img_sift */
  sqlite3_stmt *vectorize;   /* sift_count, img_vlad, img_words */
  IndexStageTimes times;
} IndexWorker;

typedef struct IndexWriter {
  sqlite3 *db;
  int has_vectors;           /* image_vectors and image_words exist */
  sqlite3_stmt *upsert, *touch, *put_features, *drop_features;
  sqlite3_stmt *put_vector, *drop_vector, *put_words, *drop_words;
  int in_transaction, n_in_batch;
  double batch_start;
} IndexWriter;

struct IndexPipeline {
  IndexWriter writer;
  IndexQueue queue;
  int queue_ready;           /* its mutex and conditions are initialised */
  IndexWorker *workers;
  pthread_t *threads;
  int n_worker;              /* started */
  IndexStageTimes writer_times;
};

/* ---- workers ------------------------------------------------------------------ */

static void index_task_fail(IndexTask *task, const char *zError){
  task->result = INDEX_RESULT_FAILED;
  free(task->zError);
  task->zError = strdup(zError);
}

/* Step stmt (its parameters bound) to its one row: 1, or 0 with the
** failure in task. */
static int index_worker_row(IndexWorker *w, sqlite3_stmt *stmt, IndexTask *task){
  if( sqlite3_step(stmt)==SQLITE_ROW ) return 1;
  index_task_fail(task, sqlite3_errmsg(w->db));
  return 0;
}

/* Copy column i of stmt's row into *p_blob (malloc'd, *pn bytes). */
static void index_worker_copy(sqlite3_stmt *stmt, int i, IndexTask *task,
                              unsigned char **p_blob, size_t *pn){
  *p_blob = db_column_blob_copy(stmt, i, pn);
  if( *p_blob==0 ) index_task_fail(task, "out of memory");
}

static void index_worker_reset(sqlite3_stmt *stmt){
  sqlite3_reset(stmt);
  sqlite3_clear_bindings(stmt);
}

/* img_info and img_sift of the file's bytes. */
static void index_worker_extract(IndexWorker *w, IndexTask *task,
                                 const unsigned char *data, size_t n_data){
  double start = shell_now(), now, cpu;
  sqlite3_bind_blob(w->info, 1, data, (int)n_data, SQLITE_STATIC);
  if( index_worker_row(w, w->info, task) ){
    task->width = sqlite3_column_int(w->info, 0);
    task->height = sqlite3_column_int(w->info, 1);
  }
  index_worker_reset(w->info);
  now = shell_now();
  w->times.info += now - start;
  if( task->zError ) return;
  start = now;
  cpu = shell_thread_cpu();
  sqlite3_bind_blob(w->sift, 1, data, (int)n_data, SQLITE_STATIC);
  if( index_worker_row(w, w->sift, task) ){
    index_worker_copy(w->sift, 0, task, &task->sift, &task->sift_bytes);
  }
  index_worker_reset(w->sift);
  w->times.sift_cpu += shell_thread_cpu() - cpu;
  w->times.sift += shell_now() - start;
}

/* sift_count and, with a codebook, img_vlad of the task's sift blob; with
** a vocabulary, img_words. */
static void index_worker_vectorize(IndexWorker *w, IndexTask *task){
  double start = shell_now();
  sqlite3_bind_blob(w->vectorize, 1, task->sift, (int)task->sift_bytes, SQLITE_STATIC);
  db_model_bind(w->queue->model, w->vectorize, 2);
  if( index_worker_row(w, w->vectorize, task) ){
    task->features = sqlite3_column_int(w->vectorize, 0);
    if( sqlite3_column_type(w->vectorize, 1)==SQLITE_BLOB ){
      index_worker_copy(w->vectorize, 1, task, &task->vlad, &task->vlad_bytes);
    }
    if( sqlite3_column_type(w->vectorize, 2)==SQLITE_BLOB ){
      index_worker_copy(w->vectorize, 2, task, &task->words, &task->words_bytes);
    }
  }
  index_worker_reset(w->vectorize);
  w->times.vlad += shell_now() - start;
}

/* Do one task: read, hash, extract, vectorize.  Never fails as a whole:
** problems end up in task->zError. */
static void index_worker_process(IndexWorker *w, IndexTask *task){
  double start = shell_now();
  size_t n_data = 0;
  char *zReadError = 0;
  unsigned char *data = files_read(task->file->zPath, &n_data, &zReadError);
  if( data==0 ){
    index_task_fail(task, zReadError ? zReadError : "cannot read file");
    free(zReadError);
    return;
  }
  files_hash(data, n_data, task->zHash);
  w->times.read += shell_now() - start;
  if( n_data > FILES_MAX_BYTES ){
    index_task_fail(task, "file is over 1 GB: not indexed");
  }else if( task->zOldHash[0] && strcmp(task->zOldHash, task->zHash)==0 ){
    task->result = INDEX_RESULT_TOUCHED;
  }else{
    index_worker_extract(w, task, data, n_data);
  }
  free(data);
  if( task->zError || task->result==INDEX_RESULT_TOUCHED ) return;
  index_worker_vectorize(w, task);
  if( task->zError==0 ) task->result = INDEX_RESULT_EXTRACTED;
}

static void *index_worker_main(void *arg){
  IndexWorker *w = (IndexWorker*)arg;
  IndexQueue *q = w->queue;
  pthread_mutex_lock(&q->mutex);
  while( !shell_interrupted && q->next_task < q->n_task ){
    int i;
    while( q->in_flight >= q->max_in_flight && !shell_interrupted ){
      pthread_cond_wait(&q->space_free, &q->mutex);
    }
    if( shell_interrupted || q->next_task >= q->n_task ) break;
    i = q->next_task++;
    q->in_flight++;
    pthread_mutex_unlock(&q->mutex);

    if( w->info && w->sift && w->vectorize ){
      index_worker_process(w, &q->tasks[i]);
    }else{
      index_task_fail(&q->tasks[i], w->db ? sqlite3_errmsg(w->db) : "out of memory");
    }

    pthread_mutex_lock(&q->mutex);
    q->finished[q->n_finished++] = i;
    pthread_cond_signal(&q->result_ready);
  }
  q->workers_running--;
  pthread_cond_signal(&q->result_ready);
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
        "SELECT sift_count(?1), CASE WHEN ?2 IS NOT NULL THEN img_vlad(?1, ?2, ?3) END,"
        "       CASE WHEN ?4 IS NOT NULL THEN img_words(?1, ?4) END",
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

static int index_writer_prepare(IndexWriter *w){
  static const struct { const char *zSql; int vectors; size_t offset; } statements[] = {
    { "INSERT INTO images(path, size, mtime, hash, width, height, features,"
      "                   status, error, vector)"
      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
      " ON CONFLICT(path) DO UPDATE SET size=excluded.size, mtime=excluded.mtime,"
      "   hash=excluded.hash, width=excluded.width, height=excluded.height,"
      "   features=excluded.features, status=excluded.status,"
      "   error=excluded.error, vector=excluded.vector,"
      "   indexed_at=excluded.indexed_at"
      " RETURNING id", 0, offsetof(IndexWriter, upsert) },
    { "UPDATE images SET size=?2, mtime=?3 WHERE id=?1", 0,
      offsetof(IndexWriter, touch) },
    { "INSERT OR REPLACE INTO features(image_id, sift) VALUES (?1, ?2)", 0,
      offsetof(IndexWriter, put_features) },
    { "DELETE FROM features WHERE image_id=?1", 0,
      offsetof(IndexWriter, drop_features) },
    { "INSERT OR REPLACE INTO image_vectors(rowid, vlad) VALUES (?1, ?2)", 1,
      offsetof(IndexWriter, put_vector) },
    { "DELETE FROM image_vectors WHERE rowid=?1", 1,
      offsetof(IndexWriter, drop_vector) },
    { "INSERT OR REPLACE INTO image_words(rowid, words) VALUES (?1, ?2)", 1,
      offsetof(IndexWriter, put_words) },
    { "DELETE FROM image_words WHERE rowid=?1", 1,
      offsetof(IndexWriter, drop_words) },
  };
  size_t i;
  for(i=0; i<sizeof(statements)/sizeof(statements[0]); i++){
    sqlite3_stmt **p_stmt = (sqlite3_stmt**)((char*)w + statements[i].offset);
    if( statements[i].vectors && !w->has_vectors ) continue;
    if( sqlite3_prepare_v2(w->db, statements[i].zSql, -1, p_stmt, 0)!=SQLITE_OK ){
      db_error(w->db, "cannot prepare the index statements");
      return SQLITE_ERROR;
    }
  }
  return SQLITE_OK;
}

static void index_writer_finalize(IndexWriter *w){
  sqlite3_stmt *all[] = { w->upsert, w->touch, w->put_features, w->drop_features,
                          w->put_vector, w->drop_vector, w->put_words, w->drop_words };
  size_t i;
  for(i=0; i<sizeof(all)/sizeof(all[0]); i++) sqlite3_finalize(all[i]);
  w->upsert = w->touch = w->put_features = w->drop_features = 0;
  w->put_vector = w->drop_vector = w->put_words = w->drop_words = 0;
}

static int index_writer_commit(IndexWriter *w){
  int rc = SQLITE_OK;
  if( w->in_transaction ){
    rc = db_exec(w->db, "COMMIT");
    w->in_transaction = 0;
    w->n_in_batch = 0;
  }
  return rc;
}

/* The images row of an extracted or failed file (upsert), its features and
** its vector. */
static int index_writer_put_row(IndexWriter *w, const IndexTask *task){
  int ok = task->result==INDEX_RESULT_EXTRACTED;
  sqlite3_int64 id = task->id;
  sqlite3_stmt *s = w->upsert;
  int rc;
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
  sqlite3_bind_int(s, 10, ok && task->vlad && task->words && w->has_vectors);
  rc = sqlite3_step(s);
  if( rc==SQLITE_ROW ){
    id = sqlite3_column_int64(s, 0);
    rc = db_step(s);
  }else{
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
  }
  if( rc==SQLITE_OK && ok ){
    sqlite3_bind_int64(w->put_features, 1, id);
    sqlite3_bind_blob(w->put_features, 2, task->sift, (int)task->sift_bytes, SQLITE_STATIC);
    rc = db_step(w->put_features);
  }else if( rc==SQLITE_OK ){
    sqlite3_bind_int64(w->drop_features, 1, id);
    rc = db_step(w->drop_features);
  }
  if( rc==SQLITE_OK && w->has_vectors ){
    if( ok && task->vlad ){
      sqlite3_bind_int64(w->put_vector, 1, id);
      sqlite3_bind_blob(w->put_vector, 2, task->vlad, (int)task->vlad_bytes, SQLITE_STATIC);
      rc = db_step(w->put_vector);
    }else if( task->id ){
      sqlite3_bind_int64(w->drop_vector, 1, id);
      rc = db_step(w->drop_vector);
    }
  }
  if( rc==SQLITE_OK && w->has_vectors ){
    if( ok && task->words ){
      sqlite3_bind_int64(w->put_words, 1, id);
      sqlite3_bind_blob(w->put_words, 2, task->words, (int)task->words_bytes, SQLITE_STATIC);
      rc = db_step(w->put_words);
    }else if( task->id ){
      sqlite3_bind_int64(w->drop_words, 1, id);
      rc = db_step(w->drop_words);
    }
  }
  return rc;
}

/* Write one finished task.  A database error is returned (and stops the
** run); a failed file is a row with status 'error'. */
static int index_writer_put(IndexWriter *w, const IndexTask *task, int batch){
  int rc;
  if( !w->in_transaction ){
    rc = db_exec(w->db, "BEGIN IMMEDIATE");
    if( rc ) return rc;
    w->in_transaction = 1;
    w->batch_start = shell_now();
  }
  if( task->result==INDEX_RESULT_TOUCHED ){
    sqlite3_bind_int64(w->touch, 1, task->id);
    sqlite3_bind_int64(w->touch, 2, task->file->size);
    sqlite3_bind_int64(w->touch, 3, task->file->mtime_ns);
    rc = db_step(w->touch);
  }else{
    rc = index_writer_put_row(w, task);
  }
  if( rc!=SQLITE_OK ){
    fprintf(stderr, "imgsearch: cannot record %s: %s\n", task->file->zPath,
            sqlite3_errmsg(w->db));
    return rc;
  }
  if( ++w->n_in_batch >= batch || shell_now() - w->batch_start >= 2.0 ){
    rc = index_writer_commit(w);
  }
  return rc;
}

/* ---- the pipeline ---------------------------------------------------------------- */

IndexPipeline *index_pipeline_open(sqlite3 *db, int has_vectors){
  IndexPipeline *p = calloc(1, sizeof(*p));
  if( p==0 ){
    fprintf(stderr, "imgsearch: out of memory\n");
    return 0;
  }
  p->writer.db = db;
  p->writer.has_vectors = has_vectors;
  if( index_writer_prepare(&p->writer)!=SQLITE_OK ){
    index_pipeline_close(p);
    return 0;
  }
  return p;
}

/* Start up to o->jobs workers over the queue's tasks.  EXIT_OK or EXIT_ERROR
** (printed). */
static int index_pipeline_start(IndexPipeline *p, const IndexOptions *o){
  IndexQueue *q = &p->queue;
  int n_thread = q->n_task < o->jobs ? q->n_task : o->jobs, i;
  q->finished = calloc(q->n_task ? q->n_task : 1, sizeof(int));
  q->max_in_flight = 4*o->jobs + o->batch;
  p->workers = calloc(n_thread ? n_thread : 1, sizeof(IndexWorker));
  p->threads = calloc(n_thread ? n_thread : 1, sizeof(pthread_t));
  if( q->finished==0 || p->workers==0 || p->threads==0 ){
    fprintf(stderr, "imgsearch: out of memory\n");
    return EXIT_ERROR;
  }
  pthread_mutex_init(&q->mutex, 0);
  pthread_cond_init(&q->result_ready, 0);
  pthread_cond_init(&q->space_free, 0);
  p->queue_ready = 1;
  for(i=0; i<n_thread; i++){
    IndexWorker *w = &p->workers[i];
    if( index_worker_open(w, q)!=SQLITE_OK ){
      fprintf(stderr, "imgsearch: cannot open a worker connection: %s\n",
              w->db ? sqlite3_errmsg(w->db) : "out of memory");
      index_worker_close(w);
      break;
    }
    q->workers_running++;
    if( pthread_create(&p->threads[i], 0, index_worker_main, w) ){
      q->workers_running--;
      index_worker_close(w);
      break;
    }
  }
  p->n_worker = i;
  if( p->n_worker==0 && q->n_task>0 ){
    fprintf(stderr, "imgsearch: cannot start worker threads\n");
    return EXIT_ERROR;
  }
  return EXIT_OK;
}

/* Count and report one finished task (this thread). */
static void index_pipeline_count(const IndexTask *task, IndexCounts *counts,
                                 Progress *progress){
  switch( task->result ){
    case INDEX_RESULT_EXTRACTED: counts->extracted++; break;
    case INDEX_RESULT_TOUCHED:   counts->touched++; break;
    case INDEX_RESULT_FAILED:
      counts->failed++;
      progress_message(progress, "FAILED %s: %s", task->file->zPath, task->zError);
      break;
  }
  progress_update(progress, counts->extracted + counts->touched + counts->failed
                            - counts->plan_failed, counts->failed);
}

/* The writer's loop: write the finished tasks until the workers are done.
** After a database error the workers are stopped, the rest only counted. */
static int index_pipeline_write(IndexPipeline *p, const IndexOptions *o,
                                IndexCounts *counts, Progress *progress){
  IndexQueue *q = &p->queue;
  int rc = SQLITE_OK, exit_code = EXIT_OK;
  pthread_mutex_lock(&q->mutex);
  for(;;){
    IndexTask *task;
    while( q->n_consumed==q->n_finished && q->workers_running>0 ){
      pthread_cond_wait(&q->result_ready, &q->mutex);
    }
    if( q->n_consumed==q->n_finished ) break;
    task = &q->tasks[q->finished[q->n_consumed++]];
    pthread_mutex_unlock(&q->mutex);

    if( rc==SQLITE_OK ){
      double write_start = shell_now(), cpu_start = shell_thread_cpu();
      rc = index_writer_put(&p->writer, task, o->batch);
      p->writer_times.write += shell_now() - write_start;
      p->writer_times.write_cpu += shell_thread_cpu() - cpu_start;
    }
    if( rc!=SQLITE_OK && !shell_interrupted ){
      shell_interrupted = 1;   /* stop the workers: the database is in trouble */
      exit_code = EXIT_ERROR;
    }
    index_pipeline_count(task, counts, progress);
    index_task_clear(task);

    pthread_mutex_lock(&q->mutex);
    q->in_flight--;
    pthread_cond_broadcast(&q->space_free);
  }
  pthread_mutex_unlock(&q->mutex);
  /* After a database error the open batch is rolled back (close). */
  if( rc==SQLITE_OK && index_writer_commit(&p->writer)!=SQLITE_OK ) exit_code = EXIT_ERROR;
  return exit_code;
}

int index_pipeline_run(IndexPipeline *p, const IndexOptions *o,
                       const DbModel *model, IndexTask *tasks, int n_task,
                       IndexCounts *counts, Progress *progress){
  int exit_code, i;
  p->queue.tasks = tasks;
  p->queue.n_task = n_task;
  p->queue.model = model;
  exit_code = index_pipeline_start(p, o);
  if( exit_code!=EXIT_OK ) return exit_code;
  exit_code = index_pipeline_write(p, o, counts, progress);
  for(i=0; i<p->n_worker; i++) pthread_join(p->threads[i], 0);
  if( p->writer.in_transaction ) sqlite3_exec(p->writer.db, "ROLLBACK", 0, 0, 0);
  p->writer.in_transaction = 0;
  index_writer_finalize(&p->writer);
  return exit_code;
}

void index_pipeline_times(const IndexPipeline *p, IndexStageTimes *sum){
  int i;
  memset(sum, 0, sizeof(*sum));
  if( p==0 ) return;
  for(i=0; i<p->n_worker; i++){
    const IndexStageTimes *t = &p->workers[i].times;
    sum->read += t->read;
    sum->info += t->info;
    sum->sift += t->sift;
    sum->sift_cpu += t->sift_cpu;
    sum->vlad += t->vlad;
  }
  sum->write = p->writer_times.write;
  sum->write_cpu = p->writer_times.write_cpu;
  sum->workers = p->n_worker;
}

void index_pipeline_close(IndexPipeline *p){
  int i;
  if( p==0 ) return;
  for(i=0; i<p->n_worker; i++) index_worker_close(&p->workers[i]);
  if( p->queue_ready ){
    pthread_mutex_destroy(&p->queue.mutex);
    pthread_cond_destroy(&p->queue.result_ready);
    pthread_cond_destroy(&p->queue.space_free);
  }
  if( p->writer.in_transaction ) sqlite3_exec(p->writer.db, "ROLLBACK", 0, 0, 0);
  index_writer_finalize(&p->writer);
  free(p->queue.finished);
  free(p->workers);
  free(p->threads);
  free(p);
}
