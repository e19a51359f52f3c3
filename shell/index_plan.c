/*
** index_plan.c — what `imgsearch index` has to do: for each file found, a
** task or nothing (index_plan); and which records to drop because their
** file is gone (index_prune, --prune).
**
** A file with the same size and mtime as recorded and status 'ok' is
** skipped, unread.  Otherwise it becomes a task: new, or a "check" that
** carries the old hash, so a worker that finds the same bytes only updates
** size and mtime.
**
** May call: db.h, files.h, progress.h, SQLite, stat.
*/
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "db.h"
#include "index_parts.h"

void index_task_clear(IndexTask *task){
  free(task->sift);  task->sift = 0;
  free(task->vlad);  task->vlad = 0;
  free(task->words); task->words = 0;
}

void index_tasks_free(IndexTask *tasks, int n_task){
  int i;
  for(i=0; i<n_task; i++){
    index_task_clear(&tasks[i]);
    free(tasks[i].zError);
  }
  free(tasks);
}

/* Fill task from the file's images row (lookup stepped on its path):
** returns 1 if the file is unchanged and needs no task. */
static int index_plan_lookup(sqlite3_stmt *lookup, const FileEntry *f, IndexTask *task){
  const char *zHash = (const char*)sqlite3_column_text(lookup, 3);
  const char *zStatus = (const char*)sqlite3_column_text(lookup, 4);
  int ok = zStatus && strcmp(zStatus, "ok")==0;
  task->id = sqlite3_column_int64(lookup, 0);
  if( ok && sqlite3_column_int64(lookup, 1)==f->size
         && sqlite3_column_int64(lookup, 2)==f->mtime_ns ){
    return 1;
  }
  if( ok && zHash && strlen(zHash)==16 ) memcpy(task->zOldHash, zHash, 17);
  return 0;
}

int index_plan(sqlite3 *db, const FileList *files, IndexTask **p_tasks,
               IndexCounts *counts, Progress *progress){
  sqlite3_stmt *lookup = 0;
  IndexTask *tasks = calloc(files->n ? files->n : 1, sizeof(IndexTask));
  int n_task = 0;
  size_t i;
  if( tasks==0 ) return -1;
  if( sqlite3_prepare_v2(db,
        "SELECT id, size, mtime, hash, status FROM images WHERE path=?1",
        -1, &lookup, 0)!=SQLITE_OK ){
    db_error(db, "cannot read images");
    free(tasks);
    return -1;
  }
  for(i=0; i<files->n; i++){
    const FileEntry *f = &files->a[i];
    IndexTask *task = &tasks[n_task];
    int unchanged = 0;
    if( f->zError ){
      progress_message(progress, "FAILED %s: %s", f->zPath, f->zError);
      counts->failed++;
      counts->plan_failed++;
      continue;
    }
    task->file = f;
    sqlite3_bind_text(lookup, 1, f->zPath, -1, SQLITE_STATIC);
    if( sqlite3_step(lookup)==SQLITE_ROW ){
      unchanged = index_plan_lookup(lookup, f, task);
    }
    sqlite3_reset(lookup);
    if( unchanged ){
      counts->skipped++;
    }else{
      n_task++;
    }
  }
  sqlite3_finalize(lookup);
  *p_tasks = tasks;
  return n_task;
}

/* ---- prune ------------------------------------------------------------------- */

/* The ids of the images whose file no longer exists, in *p_ids (malloc'd),
** each reported unless quiet.  Returns the count, or -1 (printed). */
static int index_prune_find(sqlite3 *db, int quiet, sqlite3_int64 **p_ids){
  sqlite3_stmt *list = 0;
  sqlite3_int64 *ids = 0;
  int n_id = 0, n_alloc = 0;
  *p_ids = 0;
  if( sqlite3_prepare_v2(db, "SELECT id, path FROM images ORDER BY id", -1,
                         &list, 0)!=SQLITE_OK ){
    db_error(db, "prune");
    return -1;
  }
  while( sqlite3_step(list)==SQLITE_ROW ){
    struct stat st;
    const char *zPath = (const char*)sqlite3_column_text(list, 1);
    if( zPath==0 || stat(zPath, &st)==0 || errno!=ENOENT ) continue;
    if( n_id==n_alloc ){
      int n_new = n_alloc ? n_alloc*2 : 64;
      sqlite3_int64 *a = realloc(ids, n_new*sizeof(*a));
      if( a==0 ){
        fprintf(stderr, "imgsearch: out of memory\n");
        free(ids);
        sqlite3_finalize(list);
        return -1;
      }
      ids = a;
      n_alloc = n_new;
    }
    ids[n_id++] = sqlite3_column_int64(list, 0);
    if( !quiet ) fprintf(stderr, "pruned %s\n", zPath);
  }
  sqlite3_finalize(list);
  *p_ids = ids;
  return n_id;
}

/* Delete the records of ids[0..n_id) in one transaction: the images rows
** (features go with them) and, has_vectors, their rows in the two virtual
** tables, which no foreign key reaches. */
static int index_prune_delete(sqlite3 *db, int has_vectors,
                              const sqlite3_int64 *ids, int n_id){
  static const char *const zDrop[] = {
    "DELETE FROM images WHERE id=?1",
    "DELETE FROM image_vectors WHERE rowid=?1",
    "DELETE FROM image_words WHERE rowid=?1",
  };
  sqlite3_stmt *drop[3] = {0, 0, 0};
  int n_drop = has_vectors ? 3 : 1, i, j, rc = SQLITE_OK;
  for(j=0; rc==SQLITE_OK && j<n_drop; j++){
    rc = sqlite3_prepare_v2(db, zDrop[j], -1, &drop[j], 0);
  }
  if( rc!=SQLITE_OK ){
    db_error(db, "prune");
  }else{
    rc = db_exec(db, "BEGIN IMMEDIATE");
  }
  for(i=0; rc==SQLITE_OK && i<n_id; i++){
    for(j=0; rc==SQLITE_OK && j<n_drop; j++){
      sqlite3_bind_int64(drop[j], 1, ids[i]);
      rc = db_step(drop[j]);
    }
    if( rc!=SQLITE_OK ){
      db_error(db, "prune");
      sqlite3_exec(db, "ROLLBACK", 0, 0, 0);
    }
  }
  if( rc==SQLITE_OK ) rc = db_exec(db, "COMMIT");
  for(j=0; j<3; j++) sqlite3_finalize(drop[j]);
  return rc;
}

int index_prune(sqlite3 *db, int has_vectors, int quiet){
  sqlite3_int64 *ids = 0;
  int n_id = index_prune_find(db, quiet, &ids);
  if( n_id>0 && index_prune_delete(db, has_vectors, ids, n_id)!=SQLITE_OK ){
    n_id = -1;
  }
  free(ids);
  return n_id;
}
