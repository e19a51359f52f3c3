/*
** search_words.c — the first stage of `search` when the database has
** visual words (image_words, sql/schema.sql), and what follows it:
**
**   1. the query's words, as is and of its mirror image (img_words with
**      the stored vocabulary);
**   2. the shortlist: the SEARCH_WORDS_SHORTLIST best images of
**      image_words (wordindex: the inverted file), joined by the
**      SEARCH_VLAD_NEIGHBOURS nearest global vectors (image_vectors), which
**      find different photos of the same thing that share few words;
**   3. verification of every candidate: img_words_match_json of the
**      query's words (in the orientation that gave most of the votes)
**      against the stored ones — RANSAC over word correspondences, no
**      descriptors — and the confidence that it is a copy (copy_tier.h).
**      One they do not verify — among the SEARCH_NEAR_RETRIES best by
**      words, or a VLAD neighbour — is tried again with the query's
**      SEARCH_VERIFY_NEAR nearest words a feature (img_words' near):
**      another photo of the object has descriptors that fall in a
**      neighbouring word (docs/BENCHMARKS.md, "Other photos of an
**      object").  Copies verify at the first try, so their confidence
**      is the one calibrated on one word a feature;
**   4. ranking: verified images first, by inliers; then the rest by score.
**
** score = (min(words score, 1) + cosine of the VLAD vectors) / 2, so the
** same image scores about 1 (docs/BENCHMARKS.md, "Copies at 12k images":
** the words score finds copies, the cosine similar photos).
**
** May call: common.h, copy_tier.h, db.h, search.h, ext/image/sift_blob.h
** (the query's size), SQLite (img_words, img_words_match_json,
** the wordindex and annoy tables).
*/
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "db.h"
#include "search.h"
#include "image/sift_blob.h"


/* A candidate, before it becomes a SearchHit. */
typedef struct Candidate {
  sqlite3_int64 id;
  double words_score;
  int mirrored;
  int retry;               /* tried again with several words a feature */
} Candidate;

/* Add id unless it is there; returns the new count. */
static int candidate_add(Candidate *c, int n, sqlite3_int64 id, double words_score,
                         int mirrored, int retry){
  int i;
  for(i=0; i<n; i++) if( c[i].id==id ) return n;
  c[n].id = id;
  c[n].words_score = words_score;
  c[n].mirrored = mirrored;
  c[n].retry = retry;
  return n+1;
}

/* Steps 2: the words shortlist, then VLAD's neighbours, into c (room for
** both); their count in *pn. */
static int search_words_shortlist(sqlite3 *db, SearchStatements *s, const SearchWordsQuery *q,
                                  Candidate *c, int *pn, char **pzErr){
  int n = 0, rc = SQLITE_OK, step;
  sqlite3_stmt *st = s->shortlist;
  sqlite3_bind_value(st, 1, q->words);
  sqlite3_bind_value(st, 2, q->mirror);
  sqlite3_bind_int(st, 3, q->n_words);
  while( (step = sqlite3_step(st))==SQLITE_ROW && n<q->n_words ){
    n = candidate_add(c, n, sqlite3_column_int64(st, 0), sqlite3_column_double(st, 1),
                      sqlite3_column_int(st, 2), n<SEARCH_NEAR_RETRIES);
  }
  if( step!=SQLITE_ROW && step!=SQLITE_DONE ) rc = search_db_error(db, pzErr);
  sqlite3_reset(st);
  if( rc==SQLITE_OK && q->vector && q->n_vlad>0 ){
    st = s->nearest;
    sqlite3_bind_value(st, 1, q->vector);
    sqlite3_bind_int(st, 2, q->n_vlad);
    while( (step = sqlite3_step(st))==SQLITE_ROW ){
      n = candidate_add(c, n, sqlite3_column_int64(st, 0), 0.0, 0, 1);
    }
    if( step!=SQLITE_DONE ) rc = search_db_error(db, pzErr);
    sqlite3_reset(st);
  }
  *pn = n;
  return rc;
}

/* Step 3's second try, for a candidate the query's words did not verify:
** the query's words in orientation o with several words a feature (made
** once, when first needed: *made), matched again, into *match. */
static int search_words_match_near(sqlite3 *db, SearchStatements *s, const SearchWordsQuery *q,
                                   int o, int *made, sqlite3_int64 id, CopyMatch *match,
                                   char **pzErr){
  sqlite3_stmt *words = s->words_near[o], *st = s->words_match_near;
  int rc = SQLITE_OK;
  if( !*made ){
    sqlite3_bind_blob(words, 1, q->sift, q->n_sift, SQLITE_STATIC);
    db_model_bind(&s->model, words, 2);
    sqlite3_bind_int(words, 5, SEARCH_VERIFY_NEAR);
    if( sqlite3_step(words)!=SQLITE_ROW ) return search_db_error(db, pzErr);
    *made = 1;
  }
  sqlite3_bind_value(st, 1, sqlite3_column_value(words, 0));
  sqlite3_bind_int64(st, 2, id);
  if( sqlite3_step(st)==SQLITE_ROW ){
    copy_match_parse((const char*)sqlite3_column_text(st, 0), match);
  }else{
    rc = search_db_error(db, pzErr);
  }
  sqlite3_reset(st);
  return rc;
}

/* Steps 3 and 4 for the candidates: hits (n long) in rank order. */
static int search_words_verify(sqlite3 *db, SearchStatements *s, const SearchWordsQuery *q,
                               const Candidate *c, int n, SearchHit *hits, char **pzErr){
  sqlite3_stmt *st = s->words_match;
  int i, rc = SQLITE_OK, made[2] = {0, 0};
  for(i=0; i<n && rc==SQLITE_OK; i++){
    double words_score = c[i].words_score<1.0 ? c[i].words_score : 1.0;
    const char *zPath;
    sqlite3_bind_value(st, 1, c[i].mirrored ? q->mirror : q->words);
    sqlite3_bind_int64(st, 2, c[i].id);
    if( q->vector ) sqlite3_bind_value(st, 3, q->vector);
    if( sqlite3_step(st)!=SQLITE_ROW ){
      rc = search_db_error(db, pzErr);
    }else{
      zPath = (const char*)sqlite3_column_text(st, 1);
      hits[i].id = c[i].id;
      copy_match_parse((const char*)sqlite3_column_text(st, 0), &hits[i].match);
      if( hits[i].match.inliers==0 && q->sift && c[i].retry ){
        rc = search_words_match_near(db, s, q, c[i].mirrored, &made[c[i].mirrored], c[i].id,
                                     &hits[i].match, pzErr);
      }
      hits[i].match.mirrored = c[i].mirrored;
      hits[i].image.features = sqlite3_column_int(st, 3);
      hits[i].image.width = sqlite3_column_int(st, 4);
      hits[i].image.height = sqlite3_column_int(st, 5);
      hits[i].confidence = copy_confidence(&hits[i].match, &q->image, &hits[i].image);
      hits[i].score = (words_score + sqlite3_column_double(st, 2))/2;
      hits[i].zPath = strdup(zPath ? zPath : "?");
      if( rc==SQLITE_OK && hits[i].zPath==0 ) rc = SQLITE_NOMEM;
    }
    sqlite3_reset(st);
  }
  sqlite3_reset(s->words_near[0]);
  sqlite3_reset(s->words_near[1]);
  if( rc==SQLITE_OK ) qsort(hits, n, sizeof(SearchHit), search_hit_compare);
  return rc;
}

int search_words_rank(sqlite3 *db, SearchStatements *s, const SearchWordsQuery *q,
                      SearchHit **p_hits, int *p_n_hit, char **pzErr){
  Candidate *c = calloc(q->n_words + q->n_vlad + 1, sizeof(Candidate));
  SearchHit *hits = 0;
  int n = 0, rc;
  double start = shell_now();
  *p_hits = 0;
  *p_n_hit = 0;
  rc = c ? search_words_shortlist(db, s, q, c, &n, pzErr) : SQLITE_NOMEM;
  s->times.nearest = shell_now() - start;
  start = shell_now();
  if( rc==SQLITE_OK && n>0 ){
    hits = calloc(n, sizeof(SearchHit));
    rc = hits ? search_words_verify(db, s, q, c, n, hits, pzErr) : SQLITE_NOMEM;
  }
  s->times.verify = shell_now() - start;
  free(c);
  if( rc!=SQLITE_OK ){
    search_hits_free(hits, n);
    return rc;
  }
  *p_hits = hits;
  *p_n_hit = n;
  return SQLITE_OK;
}

int search_words(sqlite3 *db, SearchStatements *s, const unsigned char *sift, int n_sift,
                 sqlite3_value *vector, SearchHit **p_hits, int *p_n_hit, char **pzErr){
  SearchWordsQuery q;
  int rc;
  double start = shell_now();
  *p_hits = 0;
  *p_n_hit = 0;
  sqlite3_bind_blob(s->words, 1, sift, n_sift, SQLITE_STATIC);
  db_model_bind(&s->model, s->words, 2);
  rc = sqlite3_step(s->words)==SQLITE_ROW ? SQLITE_OK : search_db_error(db, pzErr);
  s->times.words = shell_now() - start;
  if( rc==SQLITE_OK && sqlite3_column_type(s->words, 0)!=SQLITE_BLOB ){
    *pzErr = sqlite3_mprintf("no SIFT features in the query image");
    rc = SQLITE_ERROR;
  }
  if( rc==SQLITE_OK ){
    q.words = sqlite3_column_value(s->words, 0);
    q.mirror = sqlite3_column_value(s->words, 1);
    q.sift = sift;
    q.n_sift = n_sift;
    q.vector = vector;
    SiftBlob blob;
    char *zBlobErr = 0;
    memset(&q.image, 0, sizeof(q.image));    /* the query's size and features */
    if( sift_blob_parse(sift, (size_t)n_sift, &blob, &zBlobErr)==SQLITE_OK ){
      q.image.width = blob.width;
      q.image.height = blob.height;
      q.image.features = blob.count;
    }
    sqlite3_free(zBlobErr);
    q.n_words = SEARCH_WORDS_SHORTLIST;
    q.n_vlad = SEARCH_VLAD_NEIGHBOURS;
    rc = search_words_rank(db, s, &q, p_hits, p_n_hit, pzErr);
  }
  sqlite3_reset(s->words);
  return rc;
}
