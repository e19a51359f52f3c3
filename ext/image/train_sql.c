/*
** train_sql.c — the training aggregates in SQL:
**
**   img_codebook_train(sift [, k])   -> codebook blob (k = 64), vlad.h
**   img_pca_train(vlad [, dims])     -> PCA blob (dims = 64), pca.h
**   img_vocab_train(sift [, depth])  -> vocabulary blob (32^depth words,
**                                       depth = 3), words.h
**
** NULL rows are skipped; no rows (or only NULL ones) give NULL.  After a
** step has reported an error the aggregate stops learning, and its final
** step returns nothing more (the error stands).  k and dims must not change
** between rows.  The trainers sample by content hash, so the result does
** not depend on row order.  The final step (k-means, PCA) stops with
** SQLITE_INTERRUPT soon after sqlite3_interrupt() (the trainers ask
** interrupt.h every few milliseconds of work).
**
** One step and one final function serve both aggregates: what differs is a
** TrainKind (the function's user data): how a row is added, how the model
** is finished and encoded, how the trainer is freed.
**
** May call: vlad.h and pca.h (trainers, blob encoders), bytes.h (float32
** vectors), image_sql_args.h (arguments), error.h (sql_func_errorf).
*/
#include <math.h>
#include <string.h>

#include "sqlite_ext.h"
#include "bytes.h"
#include "error.h"
#include "image_sql.h"
#include "image_sql_args.h"
#include "pca.h"
#include "vlad.h"
#include "words.h"

/* The state of one aggregate (sqlite3_aggregate_context, zeroed). */
typedef struct TrainAggregate {
  void *trainer;           /* VladTrainer or PcaTrainer, from the first row */
  int setting;             /* k or dims of the first row */
  int failed;              /* a step reported an error: finish nothing */
  float *row;              /* img_pca_train's scratch: one decoded vector */
} TrainAggregate;

typedef struct TrainKind {
  const char *zFunction;   /* starts every message */
  const char *zSetting;    /* the optional second argument: "k", "dims" */
  int default_setting;
  int max_setting;         /* from 1 */
  /* Add the row (a value that is not NULL) trained with setting.
  ** SQLITE_OK, or an error code after reporting it on ctx. */
  int (*xAdd)(sqlite3_context *ctx, TrainAggregate *agg,
              sqlite3_value *value, int setting);
  /* The trained model as a new blob (sqlite3_malloc64), or an error code
  ** with a message in *pzErr (none: out of memory); SQLITE_INTERRUPT soon
  ** after sqlite3_interrupt(db). */
  int (*xFinish)(TrainAggregate *agg, sqlite3 *db, unsigned char **pBlob,
                 size_t *pn, char **pzErr);
  /* Free the trainer and the scratch; zero them. */
  void (*xFree)(TrainAggregate *agg);
  /* The aggregates over sift blobs (xAdd = sift_rows_add): a new trainer
  ** for the setting (NULL if out of memory), and adding descriptors to it
  ** (SQLITE_OK or SQLITE_NOMEM). */
  void *(*xNewSiftTrainer)(int setting);
  int (*xAddDescriptors)(void *trainer, const unsigned char *descriptors, int count);
} TrainKind;

/* 1 after reporting that setting differs from the first row's. */
static int train_setting_changed(sqlite3_context *ctx,
                                 const TrainAggregate *agg, int setting){
  const TrainKind *kind = (const TrainKind*)sqlite3_user_data(ctx);
  if( setting==agg->setting ) return 0;
  sql_func_errorf(ctx, SQLITE_ERROR, "%s: %s changed from %d to %d between "
                  "rows", kind->zFunction, kind->zSetting, agg->setting,
                  setting);
  return 1;
}

static void train_step(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  const TrainKind *kind = (const TrainKind*)sqlite3_user_data(ctx);
  TrainAggregate *agg = (TrainAggregate*)sqlite3_aggregate_context(ctx, sizeof(*agg));
  int setting = kind->default_setting;
  if( agg==0 ){
    sqlite3_result_error_nomem(ctx);
    return;
  }
  if( agg->failed ) return;
  agg->failed = 1;                       /* until this step succeeds */
  if( argc>1 && image_sql_int_arg(ctx, argv[1], kind->zFunction,
                                  kind->zSetting, 1, kind->max_setting,
                                  &setting)<0 ){
    return;
  }
  if( sqlite3_value_type(argv[0])==SQLITE_NULL
   || kind->xAdd(ctx, agg, argv[0], setting)==SQLITE_OK ){
    agg->failed = 0;                     /* a NULL row is skipped */
  }
}

static void train_final(sqlite3_context *ctx){
  const TrainKind *kind = (const TrainKind*)sqlite3_user_data(ctx);
  TrainAggregate *agg = (TrainAggregate*)sqlite3_aggregate_context(ctx, 0);
  unsigned char *blob = 0;
  size_t n = 0;
  char *zErr = 0;
  int rc;
  if( agg==0 ) return;                   /* no rows: NULL */
  if( agg->trainer==0 || agg->failed ){  /* no rows but NULL ones: NULL */
    kind->xFree(agg);
    return;
  }
  rc = kind->xFinish(agg, sqlite3_context_db_handle(ctx), &blob, &n, &zErr);
  kind->xFree(agg);
  if( rc!=SQLITE_OK ){
    image_sql_error_from(ctx, kind->zFunction, rc, zErr);
    return;
  }
  sqlite3_result_blob64(ctx, blob, n, sqlite3_free);
}

/* ---- img_codebook_train ---------------------------------------------------- */

/* A sift-blob row of img_codebook_train or img_vocab_train: its
** descriptors go to the trainer (made on the first row with the row's
** setting by kind->xNewSiftTrainer). */
static int sift_rows_add(sqlite3_context *ctx, TrainAggregate *agg,
                         sqlite3_value *value, int setting){
  const TrainKind *kind = (const TrainKind*)sqlite3_user_data(ctx);
  SiftBlob blob;
  if( image_sql_sift_arg(ctx, value, kind->zFunction, "the sift blob", &blob)<0 ){
    return SQLITE_ERROR;
  }
  if( agg->trainer==0 ){
    agg->trainer = kind->xNewSiftTrainer(setting);
    if( agg->trainer==0 ){
      sqlite3_result_error_nomem(ctx);
      return SQLITE_NOMEM;
    }
    agg->setting = setting;
  }else if( train_setting_changed(ctx, agg, setting) ){
    return SQLITE_ERROR;
  }
  if( kind->xAddDescriptors(agg->trainer, blob.descriptors, blob.count)!=SQLITE_OK ){
    sqlite3_result_error_nomem(ctx);
    return SQLITE_NOMEM;
  }
  return SQLITE_OK;
}

static void *codebook_new(int clusters){
  return vlad_trainer_new(clusters, VLAD_TRAIN_MAX_DESCRIPTORS);
}

static int codebook_add(void *trainer, const unsigned char *descriptors, int count){
  return vlad_trainer_add((VladTrainer*)trainer, descriptors, count);
}

static int codebook_finish(TrainAggregate *agg, sqlite3 *db, unsigned char **pBlob,
                           size_t *pn, char **pzErr){
  VladCodebook codebook;
  int rc = vlad_trainer_finish((VladTrainer*)agg->trainer, db, &codebook, pzErr);
  if( rc!=SQLITE_OK ) return rc;
  *pBlob = vlad_codebook_encode(&codebook, pn);
  vlad_codebook_free(&codebook);
  return *pBlob ? SQLITE_OK : SQLITE_NOMEM;
}

static void codebook_free(TrainAggregate *agg){
  vlad_trainer_free((VladTrainer*)agg->trainer);
  agg->trainer = 0;
}

static const TrainKind codebook_kind = {
  "img_codebook_train", "k", VLAD_DEFAULT_CLUSTERS, VLAD_MAX_CLUSTERS,
  sift_rows_add, codebook_finish, codebook_free, codebook_new, codebook_add
};

/* ---- img_pca_train --------------------------------------------------------- */

static int pca_add(sqlite3_context *ctx, TrainAggregate *agg,
                   sqlite3_value *value, int dims){
  const unsigned char *data = 0;
  size_t n = 0, i;
  if( image_sql_blob_arg(ctx, value, "img_pca_train", "the vector",
                         &data, &n)<0 ){
    return SQLITE_ERROR;
  }
  if( n==0 || n%4!=0 || n/4>PCA_MAX_INPUT_DIMS ){
    sql_func_errorf(ctx, SQLITE_ERROR, "img_pca_train: the vector must be a "
                    "float32 BLOB (a multiple of 4 bytes, at most %d values), "
                    "got %llu bytes", PCA_MAX_INPUT_DIMS, (unsigned long long)n);
    return SQLITE_ERROR;
  }
  if( agg->trainer==0 ){
    agg->trainer = pca_trainer_new((int)(n/4), PCA_TRAIN_MAX_VECTORS);
    agg->row = (float*)sqlite3_malloc64(n);
    if( agg->trainer==0 || agg->row==0 ){
      sqlite3_result_error_nomem(ctx);
      return SQLITE_NOMEM;
    }
    agg->setting = dims;
  }else if( n/4!=(size_t)pca_trainer_input_dims((PcaTrainer*)agg->trainer) ){
    sql_func_errorf(ctx, SQLITE_ERROR, "img_pca_train: vectors have different "
                    "lengths (%d and %llu values)",
                    pca_trainer_input_dims((PcaTrainer*)agg->trainer),
                    (unsigned long long)(n/4));
    return SQLITE_ERROR;
  }else if( train_setting_changed(ctx, agg, dims) ){
    return SQLITE_ERROR;
  }
  if( !bytes_get_f32s(data, n/4, agg->row) ){
    for(i=0; isfinite(agg->row[i]); i++){}   /* the first that is not */
    sql_func_errorf(ctx, SQLITE_ERROR, "img_pca_train: value %llu of the "
                    "vector is not finite", (unsigned long long)i);
    return SQLITE_ERROR;
  }
  if( pca_trainer_add((PcaTrainer*)agg->trainer, agg->row)!=SQLITE_OK ){
    sqlite3_result_error_nomem(ctx);
    return SQLITE_NOMEM;
  }
  return SQLITE_OK;
}

static int pca_finish(TrainAggregate *agg, sqlite3 *db, unsigned char **pBlob,
                      size_t *pn, char **pzErr){
  PcaModel model;
  int rc = pca_trainer_finish((PcaTrainer*)agg->trainer, agg->setting, db,
                              &model, pzErr);
  if( rc!=SQLITE_OK ) return rc;
  *pBlob = pca_model_encode(&model, pn);
  pca_model_free(&model);
  return *pBlob ? SQLITE_OK : SQLITE_NOMEM;
}

static void pca_free(TrainAggregate *agg){
  pca_trainer_free((PcaTrainer*)agg->trainer);
  agg->trainer = 0;
  sqlite3_free(agg->row);
  agg->row = 0;
}

static const TrainKind pca_kind = {
  "img_pca_train", "dims", PCA_DEFAULT_DIMS, PCA_TRAIN_MAX_VECTORS,
  pca_add, pca_finish, pca_free, 0, 0
};

/* ---- img_vocab_train -------------------------------------------------------- */

static void *vocab_new(int depth){
  (void)depth;              /* used when the vocabulary is trained */
  return words_trainer_new(WORDS_TRAIN_MAX_DESCRIPTORS);
}

static int vocab_add(void *trainer, const unsigned char *descriptors, int count){
  return words_trainer_add((WordsTrainer*)trainer, descriptors, count);
}

static int vocab_finish(TrainAggregate *agg, sqlite3 *db, unsigned char **pBlob,
                        size_t *pn, char **pzErr){
  WordVocab vocab;
  int rc = words_trainer_finish((WordsTrainer*)agg->trainer, WORDS_BRANCH,
                                agg->setting, db, &vocab, pzErr);
  if( rc!=SQLITE_OK ) return rc;
  *pBlob = words_vocab_encode(&vocab, pn);
  words_vocab_free(&vocab);
  return *pBlob ? SQLITE_OK : SQLITE_NOMEM;
}

static void vocab_free(TrainAggregate *agg){
  words_trainer_free((WordsTrainer*)agg->trainer);
  agg->trainer = 0;
}

static const TrainKind vocab_kind = {
  "img_vocab_train", "depth", WORDS_DEFAULT_DEPTH, WORDS_SQL_MAX_DEPTH,
  sift_rows_add, vocab_finish, vocab_free, vocab_new, vocab_add
};

/* ---- registration ---------------------------------------------------------- */

int train_sql_register(sqlite3 *db){
  static const struct {
    const char *zName;
    int nArg;
    const TrainKind *kind;
  } aggregates[] = {
    {"img_codebook_train", 1, &codebook_kind},
    {"img_codebook_train", 2, &codebook_kind},
    {"img_pca_train",      1, &pca_kind},
    {"img_pca_train",      2, &pca_kind},
    {"img_vocab_train",    1, &vocab_kind},
    {"img_vocab_train",    2, &vocab_kind},
  };
  size_t i;
  int rc = SQLITE_OK;
  for(i=0; rc==SQLITE_OK && i<sizeof(aggregates)/sizeof(aggregates[0]); i++){
    rc = sqlite3_create_function_v2(db, aggregates[i].zName, aggregates[i].nArg,
        SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS,
        (void*)aggregates[i].kind, 0, train_step, train_final, 0);
  }
  return rc;
}
