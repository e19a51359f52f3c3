/*
** wordindex.c — inserting, deleting and searching documents of a wordindex
** table (wordindex.h), over its store.
**
** May call: wordindex_store.h, postings.h, image/words_blob.h, error.h.
*/
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "error.h"
#include "wordindex.h"

#define COUNT_MAX 65535

/* The end of the run of features that share feature i's word. */
static int word_run_end(const WordsBlob *b, int i, uint32_t *word){
  WordFeature f;
  int j;
  words_blob_feature(b, i, &f);
  *word = f.word;
  for(j=i+1; j<b->count; j++){
    WordFeature g;
    words_blob_feature(b, j, &g);
    if( g.word!=f.word ) break;
  }
  return j;
}

/* Set rowid's posting entries for every word of b: its features'
** signatures (add), or none (remove). */
static int put_postings(WordIndexStore *s, sqlite3_int64 rowid, const WordsBlob *b,
                        int add, char **pzErr){
  sqlite3_int64 block = POSTINGS_BLOCK(rowid);
  int offset = POSTINGS_OFFSET(rowid), i = 0, rc = SQLITE_OK;
  uint32_t *sig = (uint32_t*)sqlite3_malloc64(sizeof(uint32_t)*(b->count ? b->count : 1));
  if( sig==0 ) return SQLITE_NOMEM;
  while( rc==SQLITE_OK && i<b->count ){
    unsigned char *old = 0, *list = 0;
    size_t n_old = 0, n_list = 0;
    uint32_t word;
    int end = word_run_end(b, i, &word), j;
    for(j=i; add && j<end; j++){
      WordFeature f;
      words_blob_feature(b, j, &f);
      sig[j-i] = f.signature;
    }
    rc = wordindex_store_postings(s, word, block, &old, &n_old, pzErr);
    if( rc==SQLITE_OK ){
      rc = postings_replace(old, n_old, offset, sig, add ? end-i : 0, &list, &n_list);
    }
    if( rc==SQLITE_OK ) rc = wordindex_store_put_postings(s, word, block, list, n_list, pzErr);
    sqlite3_free(old);
    sqlite3_free(list);
    i = end;
  }
  sqlite3_free(sig);
  return rc;
}

static int put_count(WordIndexStore *s, sqlite3_int64 rowid, int count, char **pzErr){
  uint16_t counts[POSTINGS_BLOCK_DOCS];
  sqlite3_int64 block = POSTINGS_BLOCK(rowid);
  int rc = wordindex_store_counts(s, block, counts, pzErr);
  if( rc ) return rc;
  counts[POSTINGS_OFFSET(rowid)] = (uint16_t)(count<COUNT_MAX ? count : COUNT_MAX);
  return wordindex_store_put_counts(s, block, counts, pzErr);
}

int wordindex_insert(WordIndexStore *s, sqlite3_int64 rowid,
                     const unsigned char *blob, size_t n, char **pzErr){
  WordsBlob b;
  int rc = words_blob_parse(blob, n, &b, pzErr);
  if( rc ) return rc;
  rc = wordindex_store_put_doc(s, rowid, blob, n, pzErr);
  if( rc==SQLITE_OK ) rc = put_postings(s, rowid, &b, 1, pzErr);
  if( rc==SQLITE_OK ) rc = put_count(s, rowid, b.count, pzErr);
  if( rc==SQLITE_OK ) rc = wordindex_store_add_docs(s, 1, pzErr);
  return rc;
}

int wordindex_delete(WordIndexStore *s, sqlite3_int64 rowid, int *found, char **pzErr){
  unsigned char *blob = 0;
  size_t n = 0;
  WordsBlob b;
  int rc = wordindex_store_doc(s, rowid, &blob, &n, pzErr);
  *found = blob!=0;
  if( rc || blob==0 ) return rc;
  if( words_blob_parse(blob, n, &b, 0)!=SQLITE_OK ){
    rc = error_set(pzErr, SQLITE_CORRUPT_VTAB,
                   "wordindex: the stored words of rowid %lld are damaged", (long long)rowid);
  }
  if( rc==SQLITE_OK ) rc = put_postings(s, rowid, &b, 0, pzErr);
  if( rc==SQLITE_OK ) rc = put_count(s, rowid, 0, pzErr);
  if( rc==SQLITE_OK ) rc = wordindex_store_add_docs(s, -1, pzErr);
  if( rc==SQLITE_OK ) rc = wordindex_store_delete_doc(s, rowid, pzErr);
  sqlite3_free(blob);
  return rc;
}

/* ---- search ------------------------------------------------------------------------ */

/* One word's postings from every block: rowid and signature. */
typedef struct WordList {
  sqlite3_int64 *rowid;
  uint32_t *sig;
  size_t n, cap;
  sqlite3_int64 df;        /* distinct documents */
} WordList;

static int word_list_read(WordIndexStore *s, uint32_t word, WordList *w, char **pzErr){
  sqlite3_int64 block;
  const unsigned char *p;
  size_t n;
  int rc = wordindex_store_word_begin(s, word, pzErr);
  w->n = 0;
  w->df = 0;
  while( rc==SQLITE_OK && (rc = wordindex_store_word_next(s, &block, &p, &n, pzErr))==SQLITE_ROW ){
    size_t count = n/POSTING_BYTES, i;
    rc = SQLITE_OK;
    if( w->n + count > w->cap ){
      size_t cap = 2*(w->n + count);
      sqlite3_int64 *r = (sqlite3_int64*)sqlite3_realloc64(w->rowid, sizeof(*r)*cap);
      uint32_t *g = r ? (uint32_t*)sqlite3_realloc64(w->sig, sizeof(*g)*cap) : 0;
      if( r ) w->rowid = r;
      if( g ) w->sig = g;
      if( r==0 || g==0 ){ rc = SQLITE_NOMEM; break; }
      w->cap = cap;
    }
    for(i=0; i<count; i++){
      sqlite3_int64 rowid = (block << POSTINGS_BLOCK_SHIFT) + postings_offset(p, i);
      if( w->n==0 || w->rowid[w->n-1]!=rowid ) w->df++;
      w->rowid[w->n] = rowid;
      w->sig[w->n] = postings_signature(p, i);
      w->n++;
    }
  }
  return rc==SQLITE_DONE ? SQLITE_OK : rc;
}

/* The votes of one orientation of the query; *norm += its idf² sum. */
static int vote(WordIndexStore *s, const WordsBlob *q, int mirror, int hamming,
                sqlite3_int64 docs, WordList *w, Votes *votes, double *norm, char **pzErr){
  int i = 0, rc = SQLITE_OK;
  while( rc==SQLITE_OK && i<q->count ){
    uint32_t word;
    int end = word_run_end(q, i, &word), j;
    double idf2;
    rc = word_list_read(s, word, w, pzErr);
    if( rc || w->df==0 ){ i = end; continue; }
    idf2 = log((double)docs/(double)w->df);
    idf2 *= idf2;
    if( !mirror ) *norm += idf2*(end-i);
    for(j=i; rc==SQLITE_OK && j<end; j++){
      WordFeature f;
      sqlite3_int64 last = 0;
      size_t k;
      int voted = 0;
      words_blob_feature(q, j, &f);
      for(k=0; rc==SQLITE_OK && k<w->n; k++){
        if( voted && w->rowid[k]==last ) continue;      /* one vote a document */
        if( __builtin_popcount(w->sig[k] ^ f.signature)>hamming ) continue;
        rc = votes_add(votes, w->rowid[k], idf2, mirror);
        last = w->rowid[k];
        voted = 1;
      }
    }
    i = end;
  }
  return rc;
}

static int by_rowid(const void *a, const void *b){
  const VoteEntry *x = (const VoteEntry*)a, *y = (const VoteEntry*)b;
  return x->rowid<y->rowid ? -1 : x->rowid>y->rowid;
}

static int by_score(const void *a, const void *b){
  const WordIndexHit *x = (const WordIndexHit*)a, *y = (const WordIndexHit*)b;
  if( x->score!=y->score ) return x->score<y->score ? 1 : -1;
  return x->rowid<y->rowid ? -1 : x->rowid>y->rowid;
}

/* Divide each voted document's score by sqrt(its feature count), reading
** the counts block by block (entries sorted by rowid), and keep the k best
** in hits[0..*n_hits) (k+1 entries of room). */
static int normalise_and_rank(WordIndexStore *s, VoteEntry *e, size_t n, double scale,
                              int k, WordIndexHit *hits, int *n_hits, char **pzErr){
  uint16_t counts[POSTINGS_BLOCK_DOCS];
  sqlite3_int64 block = 0;
  size_t i;
  int loaded = 0, rc = SQLITE_OK, m = 0;
  qsort(e, n, sizeof(*e), by_rowid);
  for(i=0; rc==SQLITE_OK && i<n; i++){
    WordIndexHit h;
    int count;
    if( !loaded || POSTINGS_BLOCK(e[i].rowid)!=block ){
      block = POSTINGS_BLOCK(e[i].rowid);
      rc = wordindex_store_counts(s, block, counts, pzErr);
      loaded = 1;
      if( rc ) break;
    }
    count = counts[POSTINGS_OFFSET(e[i].rowid)];
    if( count==0 ) continue;              /* counts lag the postings: damage */
    h.rowid = e[i].rowid;
    h.score = e[i].score*scale/sqrt((double)count);
    h.mirrored = e[i].mirror > 0.5*e[i].score;
    /* insertion into the sorted best k (k is small) */
    if( m<k || by_score(&h, &hits[m-1])<0 ){
      int j = m<k ? m++ : m-1;
      while( j>0 && by_score(&h, &hits[j-1])<0 ){ hits[j] = hits[j-1]; j--; }
      hits[j] = h;
    }
  }
  *n_hits = m;
  return rc;
}

int wordindex_search(WordIndexStore *s, const WordsBlob *query, const WordsBlob *mirror,
                     int hamming, int k, WordIndexHit **hits, int *n_hits, char **pzErr){
  WordList w;
  Votes votes;
  VoteEntry *e = 0;
  sqlite3_int64 docs;
  double norm = 0.0;
  size_t i, n = 0;
  int rc = wordindex_store_docs(s, &docs, pzErr);
  *hits = 0;
  *n_hits = 0;
  if( rc || docs==0 || k<=0 ) return rc;
  memset(&w, 0, sizeof(w));
  votes_init(&votes);
  rc = vote(s, query, 0, hamming, docs, &w, &votes, &norm, pzErr);
  if( rc==SQLITE_OK && mirror ) rc = vote(s, mirror, 1, hamming, docs, &w, &votes, &norm, pzErr);
  sqlite3_free(w.rowid);
  sqlite3_free(w.sig);
  if( rc==SQLITE_OK && votes.count ){
    e = (VoteEntry*)sqlite3_malloc64(sizeof(*e)*votes.count);
    *hits = (WordIndexHit*)sqlite3_malloc64(sizeof(WordIndexHit)*((size_t)k+1));
    if( e==0 || *hits==0 ) rc = SQLITE_NOMEM;
  }
  for(i=0; rc==SQLITE_OK && i<votes.capacity; i++){
    if( votes.used[i] ) e[n++] = votes.slot[i];
  }
  votes_free(&votes);
  if( rc==SQLITE_OK && n ){
    double scale = norm>0 ? sqrt((double)query->count)/norm : 0.0;
    rc = normalise_and_rank(s, e, n, scale, k, *hits, n_hits, pzErr);
  }
  sqlite3_free(e);
  if( rc ){
    sqlite3_free(*hits);
    *hits = 0;
    *n_hits = 0;
  }
  return rc;
}
