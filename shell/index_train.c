/*
** index_train.c — the model of `imgsearch index`: when to train the
** codebook and the PCA, training them, (re)creating image_vectors for them,
** and computing the vectors (and visual words) of the images that lack them.
**
** The codebook is trained (img_codebook_train over features.sift) when
** there is none, or when the collection has grown to more than twice the
** images it was trained on, or on --retrain; --codebook-from DIR trains on
** the images under DIR only (and keeps that codebook as the collection
** grows, until --retrain).  With it, from 1000 training images on (or as
** --dims says), a PCA-whitening to 256 dims (img_pca_train on the VLADs of
** 1000 of them, table projection): 256 floats a vector instead of 8192 keep
** search and memory flat as the collection grows.  Then image_vectors is
** (re)created (the template in sql/schema.sql) with as many dims as
** img_vlad gives under the new model, and every image lacking a vector
** gets img_vlad(sift, codebook, pca), in batches.  The vocabulary of
** visual words (img_vocab_train, table vocabulary) is trained with the
** codebook, on the same images, and every image gets img_words(sift,
** vocab) in image_words with its vector; a database made before
** image_words has no vocabulary, and its next index run trains one.
**
** May call: common.h, db.h, progress.h, SQLite (the extension's
** img_codebook_train, img_pca_train, img_vlad), realpath.
*/
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "db.h"
#include "index_parts.h"

/* ---- when, and on what -------------------------------------------------------- */

/* 1 when the codebook should be trained now: there is none, it is asked
** for (--retrain, --codebook-from, --dims), or the collection has more
** than doubled since (unless the codebook came from a chosen folder: that
** one is kept until asked). */
int index_needs_training(sqlite3 *db, const IndexOptions *o){
  sqlite3_int64 trained_on, now_have;
  if( o->retrain || o->zCodebookFrom || o->dims>=0 || !db_has_index(db) ) return 1;
  if( !db_has_words(db) ) return 1;     /* made before image_words */
  if( db_query_int(db, "SELECT count(*) FROM shell_meta WHERE key='codebook_from'") ){
    return 0;
  }
  trained_on = db_query_int(db, "SELECT images FROM codebook WHERE id=1");
  now_have = db_query_int(db,
      "SELECT count(*) FROM images WHERE status='ok' AND features>0");
  return now_have > 2*trained_on;
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

/* The vocabulary: 32^2 = 1,024 words for a small collection, whose images
** are few enough to tell apart with coarse words (and a 0.5 MB vocabulary
** instead of 17 MB), 32^3 = 32,768 from INDEX_VOCAB_LARGE_IMAGES on
** (docs/BENCHMARKS.md, "Copies at 12k images"). */
#define INDEX_VOCAB_LARGE_IMAGES 1000

static int index_pca_dims(sqlite3 *db, const IndexOptions *o, int n_images){
  int dims = o->dims;
  if( dims<0 ){
    dims = (int)db_query_int(db,
        "SELECT coalesce((SELECT value FROM shell_meta WHERE key='dims'), -1)");
  }
  if( dims<0 ) dims = n_images>=INDEX_PCA_MIN_IMAGES ? INDEX_PCA_DIMS : 0;
  if( n_images>INDEX_PCA_MIN_IMAGES ) n_images = INDEX_PCA_MIN_IMAGES;
  return dims<n_images ? dims : n_images-1;
}

/* Run zSql with ?1 bound to zFolder and ?2, ?3 to the integers a2, a3 (when
** the statement has them): the training statements below. */
static int index_train_exec(sqlite3 *db, const char *zSql, const char *zFolder,
                            int a2, int a3){
  sqlite3_stmt *stmt = 0;
  int rc = sqlite3_prepare_v2(db, zSql, -1, &stmt, 0);
  if( rc==SQLITE_OK ){
    sqlite3_bind_text(stmt, 1, zFolder, -1, SQLITE_STATIC);
    if( sqlite3_bind_parameter_count(stmt)>=2 ) sqlite3_bind_int(stmt, 2, a2);
    if( sqlite3_bind_parameter_count(stmt)>=3 ) sqlite3_bind_int(stmt, 3, a3);
    rc = db_step(stmt);
  }
  sqlite3_finalize(stmt);
  return rc;
}

/* How many images the training set has (0 on error). */
static int index_training_count(sqlite3 *db, const char *zFolder){
  sqlite3_stmt *count = 0;
  int n = 0;
  if( sqlite3_prepare_v2(db, "SELECT count(*) FROM images WHERE " INDEX_TRAINING_SET,
                         -1, &count, 0)==SQLITE_OK ){
    sqlite3_bind_text(count, 1, zFolder, -1, SQLITE_STATIC);
    if( sqlite3_step(count)==SQLITE_ROW ) n = sqlite3_column_int(count, 0);
  }
  sqlite3_finalize(count);
  return n;
}

/* ---- training ------------------------------------------------------------------ */

/* Replace the codebook, trained on the training set with o->clusters
** clusters, the vocabulary, and the projection: none when dims is 0, else a PCA to dims
** trained on the VLADs of (up to) INDEX_PCA_MIN_IMAGES training images, the
** same ones whatever the row order (the smallest content hashes). */
static int index_train_models(sqlite3 *db, const IndexOptions *o,
                              const char *zFolder, int dims, int vocab_depth){
  int rc = index_train_exec(db,
      "INSERT OR REPLACE INTO codebook(id, codebook, clusters, images)"
      " SELECT 1, img_codebook_train(sift, ?2), ?2, count(*)"
      "   FROM features JOIN images ON images.id=features.image_id"
      "  WHERE " INDEX_TRAINING_SET, zFolder, o->clusters, 0);
  if( rc==SQLITE_OK ) rc = index_train_exec(db,
      "INSERT OR REPLACE INTO vocabulary(id, vocab, depth, images)"
      " SELECT 1, img_vocab_train(sift, ?2), ?2, count(*)"
      "   FROM features JOIN images ON images.id=features.image_id"
      "  WHERE " INDEX_TRAINING_SET, zFolder, vocab_depth, 0);
  if( rc==SQLITE_OK ) rc = db_exec(db, "DELETE FROM projection");
  if( rc==SQLITE_OK && dims>0 ) rc = index_train_exec(db,
      "INSERT INTO projection(id, pca, dims, images)"
      " SELECT 1, img_pca_train(img_vlad(t.sift, c.codebook), ?2), ?2, count(*)"
      "   FROM codebook AS c,"
      "        (SELECT features.sift FROM features JOIN images ON images.id=features.image_id"
      "          WHERE " INDEX_TRAINING_SET " ORDER BY images.hash LIMIT ?3) AS t"
      "  WHERE c.id=1", zFolder, dims, INDEX_PCA_MIN_IMAGES);
  return rc;
}

/* The dimension of the vectors img_vlad gives under the stored codebook and
** projection: the length of one training image's vector (float32s).  This
** is what image_vectors must hold, however the model was trained. */
static int index_vector_dims(sqlite3 *db){
  return (int)db_query_int(db,
      "SELECT length(img_vlad(f.sift, c.codebook,"
      "                       (SELECT pca FROM projection WHERE id=1)))/4"
      "  FROM codebook AS c, features AS f JOIN images ON images.id=f.image_id"
      " WHERE c.id=1 AND images.status='ok' AND images.features>0 LIMIT 1");
}

/* image_vectors for the new model (empty: every vector is computed again),
** and shell_meta: 'codebook_from' records the --codebook-from folder
** (absent: every image), 'dims' the last --dims. */
static int index_reset_vectors(sqlite3 *db, const IndexOptions *o, const char *zFolder){
  char *zErr = 0, *zSql;
  int dims = index_vector_dims(db);
  int rc = dims>0 ? db_create_vectors(db, dims, &zErr) : SQLITE_ERROR;
  if( rc!=SQLITE_OK ){
    fprintf(stderr, "imgsearch: cannot create image_vectors: %s\n",
            zErr ? zErr : dims>0 ? sqlite3_errstr(rc) : "the model gives no vectors");
    sqlite3_free(zErr);
    return rc;
  }
  zSql = sqlite3_mprintf(
      "DELETE FROM shell_meta WHERE key='codebook_from';"
      "INSERT INTO shell_meta(key, value) SELECT 'codebook_from', %Q WHERE %Q IS NOT NULL;"
      "INSERT OR REPLACE INTO shell_meta(key, value) SELECT 'dims', %d WHERE %d>=0;",
      zFolder, zFolder, o->dims, o->dims);
  rc = zSql ? db_exec(db, zSql) : SQLITE_NOMEM;
  sqlite3_free(zSql);
  return rc;
}

/* The --codebook-from folder as an absolute path and a '/' (sqlite3_malloc'd)
** in *pzFolder, NULL without the option.  An error is printed. */
static int index_training_folder(const IndexOptions *o, char **pzFolder){
  char zReal[PATH_MAX];
  *pzFolder = 0;
  if( o->zCodebookFrom==0 ) return SQLITE_OK;
  if( realpath(o->zCodebookFrom, zReal)==0 ){
    fprintf(stderr, "imgsearch: --codebook-from %s: %s\n", o->zCodebookFrom,
            strerror(errno));
    return SQLITE_ERROR;
  }
  *pzFolder = sqlite3_mprintf("%s/", zReal);
  return *pzFolder ? SQLITE_OK : SQLITE_NOMEM;
}

int index_train(sqlite3 *db, const IndexOptions *o){
  char *zFolder = 0;
  int rc, n_images, dims;
  double start = shell_now();
  rc = index_training_folder(o, &zFolder);
  if( rc ) return rc;
  rc = db_exec(db, "BEGIN IMMEDIATE");
  if( rc ) goto done;
  n_images = index_training_count(db, zFolder);
  if( n_images==0 ){
    sqlite3_exec(db, "ROLLBACK", 0, 0, 0);
    rc = SQLITE_DONE;
    goto done;
  }
  dims = index_pca_dims(db, o, n_images);
  if( !o->quiet ){
    fprintf(stderr, "training the codebook (%d clusters), the vocabulary%s on %d images%s%s...\n",
            o->clusters, dims ? " and the PCA" : "", n_images,
            zFolder ? " under " : "", zFolder ? zFolder : "");
  }
  rc = index_train_models(db, o, zFolder, dims,
                          n_images>=INDEX_VOCAB_LARGE_IMAGES ? 3 : 2);
  if( rc!=SQLITE_OK ){
    fprintf(stderr, "imgsearch: cannot train the codebook: %s\n", sqlite3_errmsg(db));
  }
  if( rc==SQLITE_OK ) rc = index_reset_vectors(db, o, zFolder);
  if( rc==SQLITE_OK ) rc = db_exec(db, "COMMIT");
  if( rc!=SQLITE_OK ){
    sqlite3_exec(db, "ROLLBACK", 0, 0, 0);
  }else if( !o->quiet ){
    fprintf(stderr, "codebook trained in %.1f s\n", shell_now() - start);
  }
done:
  sqlite3_free(zFolder);
  return rc;
}

/* ---- vectors ------------------------------------------------------------------- */

/* The images that lack a vector, 32 at a time. */
#define INDEX_VECTORLESS_BATCH \
  "SELECT id FROM images WHERE status='ok' AND features>0 AND vector=0" \
  " ORDER BY id LIMIT 32"

int index_fill_vectors(sqlite3 *db, const IndexOptions *o){
  sqlite3_stmt *fill = 0, *fill_words = 0, *mark = 0;
  DbModel model;
  int64_t total = db_query_int(db,
      "SELECT count(*) FROM images WHERE status='ok' AND features>0 AND vector=0");
  int64_t done = 0;
  Progress *progress;
  int rc;
  if( total==0 ) return SQLITE_OK;
  progress = progress_start("vectors", total, o->quiet);
  rc = sqlite3_prepare_v2(db,
      "INSERT OR REPLACE INTO image_vectors(rowid, vlad)"
      " SELECT image_id, img_vlad(sift, ?1, ?2)"
      "   FROM features WHERE image_id IN (" INDEX_VECTORLESS_BATCH ")",
      -1, &fill, 0);
  if( rc==SQLITE_OK ) rc = sqlite3_prepare_v2(db,
      "INSERT OR REPLACE INTO image_words(rowid, words)"
      " SELECT image_id, img_words(sift, ?3)"
      "   FROM features WHERE image_id IN (" INDEX_VECTORLESS_BATCH ")",
      -1, &fill_words, 0);
  if( rc==SQLITE_OK ) rc = sqlite3_prepare_v2(db,
      "UPDATE images SET vector=1 WHERE id IN (" INDEX_VECTORLESS_BATCH ")",
      -1, &mark, 0);
  db_model_load(db, &model);
  if( rc==SQLITE_OK && (model.codebook==0 || model.vocab==0) ) rc = SQLITE_NOMEM;
  while( rc==SQLITE_OK && done<total && !shell_interrupted ){
    int n;
    rc = db_exec(db, "BEGIN IMMEDIATE");
    if( rc ) break;
    db_model_bind(&model, fill, 1);    /* db_step clears bindings */
    rc = db_step(fill);
    n = sqlite3_changes(db);
    db_model_bind(&model, fill_words, 1);
    if( rc==SQLITE_OK ) rc = db_step(fill_words);
    if( rc==SQLITE_OK ) rc = db_step(mark);
    if( rc!=SQLITE_OK ){
      db_error(db, "cannot compute vectors");
      sqlite3_exec(db, "ROLLBACK", 0, 0, 0);
      break;
    }
    rc = db_exec(db, "COMMIT");
    if( n==0 ) break;
    done += n;
    progress_update(progress, done, 0);
  }
  progress_finish(progress);
  sqlite3_finalize(fill);
  sqlite3_finalize(fill_words);
  sqlite3_finalize(mark);
  db_model_free(&model);
  return rc;
}
