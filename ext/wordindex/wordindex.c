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

static int put_count(WordIndexStore *s, sqlite3_int64 rowid, int count, char **pzErr){
  uint16_t counts[WORDINDEX_BLOCK_DOCS];
  sqlite3_int64 block = WORDINDEX_BLOCK(rowid);
  int rc = wordindex_store_counts(s, block, counts, pzErr);
  if( rc ) return rc;
  counts[WORDINDEX_OFFSET(rowid)] = (uint16_t)(count<COUNT_MAX ? count : COUNT_MAX);
  return wordindex_store_put_counts(s, block, counts, pzErr);
}

int wordindex_insert(WordIndex *x, sqlite3_int64 rowid,
                     const unsigned char *blob, size_t n, char **pzErr){
  WordsBlob b;
  int rc = words_blob_parse(blob, n, &b, pzErr), i;
  if( rc ) return rc;
  if( b.count>b.n_features ){
    return error_set(pzErr, SQLITE_ERROR, "wordindex: an indexed image has one word a "
                     "feature: make its words with img_words(sift, vocabulary [, mirrored]) "
                     "without near (near is for queries)");
  }
  rc = wordindex_store_put_doc(x->store, rowid, blob, n, pzErr);
  for(i=0; rc==SQLITE_OK && i<b.count; i++){
    WordFeature f;
    words_blob_feature(&b, i, &f);
    rc = pending_add(&x->pending, f.word, f.signature, rowid);
  }
  if( rc==SQLITE_OK ) rc = put_count(x->store, rowid, b.count, pzErr);
  if( rc==SQLITE_OK ) rc = wordindex_store_add_docs(x->store, 1, pzErr);
  return rc;
}

/* Remove rowid's entries from the lists of b's words in every segment. */
static int remove_postings(WordIndex *x, sqlite3_int64 rowid, const WordsBlob *b,
                           char **pzErr){
  WordIndexSegment *seg = 0;
  int n_seg = 0, i = 0, j, rc = wordindex_store_segments(x->store, &seg, &n_seg, pzErr);
  while( rc==SQLITE_OK && i<b->count ){
    uint32_t word;
    int end = word_run_end(b, i, &word);
    for(j=0; rc==SQLITE_OK && j<n_seg; j++){
      unsigned char *p = 0;
      size_t n = 0, kept;
      rc = wordindex_store_postings(x->store, seg[j].id, word, &p, &n, pzErr);
      if( rc==SQLITE_OK && p && (kept = postings_remove(p, n, rowid))!=n ){
        rc = wordindex_store_put_postings(x->store, seg[j].id, word, p, kept, pzErr);
      }
      sqlite3_free(p);
    }
    i = end;
  }
  sqlite3_free(seg);
  return rc;
}

int wordindex_delete(WordIndex *x, sqlite3_int64 rowid, int *found, char **pzErr){
  unsigned char *blob = 0;
  size_t n = 0;
  WordsBlob b;
  int rc = wordindex_store_doc(x->store, rowid, &blob, &n, pzErr);
  *found = blob!=0;
  if( rc || blob==0 ) return rc;
  if( words_blob_parse(blob, n, &b, 0)!=SQLITE_OK ){
    rc = error_set(pzErr, SQLITE_CORRUPT_VTAB,
                   "wordindex: the stored words of rowid %lld are damaged", (long long)rowid);
  }
  /* A document's postings are all waiting, or all in one segment. */
  if( rc==SQLITE_OK && pending_remove(&x->pending, rowid)==0 ){
    rc = remove_postings(x, rowid, &b, pzErr);
  }
  if( rc==SQLITE_OK ) rc = put_count(x->store, rowid, 0, pzErr);
  if( rc==SQLITE_OK ) rc = wordindex_store_add_docs(x->store, -1, pzErr);
  if( rc==SQLITE_OK ) rc = wordindex_store_delete_doc(x->store, rowid, pzErr);
  sqlite3_free(blob);
  return rc;
}

/* ---- flush and merge ---------------------------------------------------------------- */

/* Grow *buf to hold n bytes. */
static int buffer_reserve(unsigned char **buf, size_t *cap, size_t n){
  unsigned char *p;
  if( n<=*cap ) return SQLITE_OK;
  p = (unsigned char*)sqlite3_realloc64(*buf, 2*n);
  if( p==0 ) return SQLITE_NOMEM;
  *buf = p;
  *cap = 2*n;
  return SQLITE_OK;
}

/* Merge the segments seg[0..n) into one new segment at level. */
static int merge_segments(WordIndex *x, const WordIndexSegment *seg, int n, int level,
                          char **pzErr){
  WordIndexSegScan **scan = (WordIndexSegScan**)sqlite3_malloc64(sizeof(*scan)*(size_t)n);
  uint32_t *word = (uint32_t*)sqlite3_malloc64(sizeof(uint32_t)*(size_t)n);
  const unsigned char **p = (const unsigned char**)sqlite3_malloc64(sizeof(*p)*(size_t)n);
  size_t *np = (size_t*)sqlite3_malloc64(sizeof(size_t)*(size_t)n), cap = 0, cap2 = 0;
  int *live = (int*)sqlite3_malloc64(sizeof(int)*(size_t)n);
  unsigned char *out = 0, *tmp = 0;
  sqlite3_int64 id;
  int rc = scan && word && p && np && live ? SQLITE_OK : SQLITE_NOMEM, i;
  for(i=0; scan && i<n; i++) scan[i] = 0;
  if( rc==SQLITE_OK ) rc = wordindex_store_new_segment(x->store, level, &id, pzErr);
  for(i=0; rc==SQLITE_OK && i<n; i++){
    rc = wordindex_segscan_open(x->store, seg[i].id, &scan[i], pzErr);
    if( rc==SQLITE_OK ){
      rc = wordindex_segscan_next(scan[i], &word[i], &p[i], &np[i], pzErr);
      live[i] = rc==SQLITE_ROW;
      if( rc==SQLITE_ROW || rc==SQLITE_DONE ) rc = SQLITE_OK;
    }
  }
  while( rc==SQLITE_OK ){
    uint32_t w = 0;
    size_t len = 0;
    int any = 0;
    for(i=0; i<n; i++){
      if( live[i] && (!any || word[i]<w) ){ w = word[i]; any = 1; }
    }
    if( !any ) break;
    /* the lists of w, merged by rowid one segment at a time */
    for(i=0; rc==SQLITE_OK && i<n; i++){
      if( !live[i] || word[i]!=w ) continue;
      rc = buffer_reserve(&tmp, &cap2, len + np[i]);
      if( rc==SQLITE_OK ) rc = buffer_reserve(&out, &cap, len + np[i]);
      if( rc ) break;
      /* len 0 with out still NULL: the first list was empty (damage) */
      if( len ) memcpy(tmp, out, len);
      postings_merge(tmp, len, p[i], np[i], out);
      len += np[i];
      rc = wordindex_segscan_next(scan[i], &word[i], &p[i], &np[i], pzErr);
      live[i] = rc==SQLITE_ROW;
      if( rc==SQLITE_ROW || rc==SQLITE_DONE ) rc = SQLITE_OK;
    }
    if( rc==SQLITE_OK && len ) rc = wordindex_store_put_postings(x->store, id, w, out, len, pzErr);
  }
  for(i=0; scan && i<n; i++) wordindex_segscan_close(scan[i]);
  for(i=0; rc==SQLITE_OK && i<n; i++) rc = wordindex_store_drop_segment(x->store, seg[i].id, pzErr);
  sqlite3_free(scan); sqlite3_free(word); sqlite3_free(p); sqlite3_free(np); sqlite3_free(live);
  sqlite3_free(out); sqlite3_free(tmp);
  return rc;
}

/* While some level has WORDINDEX_MERGE segments, merge its oldest into the
** next level. */
static int merge_levels(WordIndex *x, char **pzErr){
  int rc = SQLITE_OK, merged = 1;
  while( rc==SQLITE_OK && merged ){
    WordIndexSegment *seg = 0, same[WORDINDEX_MERGE];
    int n_seg = 0, level, i, n;
    merged = 0;
    rc = wordindex_store_segments(x->store, &seg, &n_seg, pzErr);
    for(level=0; rc==SQLITE_OK && !merged && level<WORDINDEX_MAX_LEVEL; level++){
      for(i=0, n=0; i<n_seg && n<WORDINDEX_MERGE; i++){
        if( seg[i].level==level ) same[n++] = seg[i];
      }
      if( n==WORDINDEX_MERGE ){
        rc = merge_segments(x, same, n, level+1, pzErr);
        merged = 1;
      }
    }
    sqlite3_free(seg);
  }
  return rc;
}

int wordindex_flush(WordIndex *x, char **pzErr){
  Pending *pending = &x->pending;
  unsigned char *buf = 0;
  size_t cap = 0, i = 0;
  sqlite3_int64 id;
  int rc;
  if( pending->n==0 ) return SQLITE_OK;
  pending_sort(pending);
  rc = wordindex_store_new_segment(x->store, 0, &id, pzErr);
  while( rc==SQLITE_OK && i<pending->n ){
    uint32_t word = pending->p[i].word;
    size_t j = i, len;
    while( j<pending->n && pending->p[j].word==word ) j++;
    len = (j - i)*POSTING_BYTES;
    rc = buffer_reserve(&buf, &cap, len);
    for(; rc==SQLITE_OK && i<j; i++){
      unsigned char *e = buf + (len - (j - i)*POSTING_BYTES);
      bytes_put_u64(e, (uint64_t)pending->p[i].rowid);
      bytes_put_u32(e + 8, pending->p[i].signature);
    }
    if( rc==SQLITE_OK ) rc = wordindex_store_put_postings(x->store, id, word, buf, len, pzErr);
    i = j;
  }
  sqlite3_free(buf);
  if( rc==SQLITE_OK ){
    pending_clear(pending);
    rc = merge_levels(x, pzErr);
  }
  return rc;
}

void wordindex_discard(WordIndex *x){
  pending_clear(&x->pending);
}

int wordindex_optimize(WordIndex *x, char **pzErr){
  WordIndexSegment *seg = 0;
  int n_seg = 0, level = 0, i, rc = wordindex_flush(x, pzErr);
  if( rc==SQLITE_OK ) rc = wordindex_store_segments(x->store, &seg, &n_seg, pzErr);
  if( rc==SQLITE_OK && n_seg>1 ){
    for(i=0; i<n_seg; i++) if( seg[i].level>level ) level = seg[i].level;
    rc = merge_segments(x, seg, n_seg, level+1<WORDINDEX_MAX_LEVEL ? level+1 : level, pzErr);
  }
  sqlite3_free(seg);
  return rc;
}

/* ---- search ------------------------------------------------------------------------ */

/* One word's postings from every segment: rowid and signature. */
typedef struct WordList {
  sqlite3_int64 *rowid;
  uint32_t *sig;
  size_t n, cap;
  sqlite3_int64 df;        /* distinct documents */
} WordList;

static int word_list_read(WordIndexStore *s, const WordIndexSegment *seg, int n_seg,
                          uint32_t word, WordList *w, char **pzErr){
  int j, rc = SQLITE_OK;
  w->n = 0;
  w->df = 0;
  for(j=0; rc==SQLITE_OK && j<n_seg; j++){
    unsigned char *p = 0;
    size_t n = 0, count, i;
    rc = wordindex_store_postings(s, seg[j].id, word, &p, &n, pzErr);
    count = n/POSTING_BYTES;
    if( rc==SQLITE_OK && w->n + count > w->cap ){
      size_t cap = 2*(w->n + count);
      sqlite3_int64 *r = (sqlite3_int64*)sqlite3_realloc64(w->rowid, sizeof(*r)*cap);
      uint32_t *g = r ? (uint32_t*)sqlite3_realloc64(w->sig, sizeof(*g)*cap) : 0;
      if( r ) w->rowid = r;
      if( g ) w->sig = g;
      if( r==0 || g==0 ) rc = SQLITE_NOMEM; else w->cap = cap;
    }
    for(i=0; rc==SQLITE_OK && i<count; i++){
      sqlite3_int64 rowid = postings_rowid(p, i);
      if( i==0 || postings_rowid(p, i-1)!=rowid ) w->df++;
      w->rowid[w->n] = rowid;
      w->sig[w->n] = postings_signature(p, i);
      w->n++;
    }
    sqlite3_free(p);
  }
  return rc;
}

/* The votes of one orientation of the query; *norm += its idf² sum. */
static int vote(WordIndexStore *s, const WordIndexSegment *seg, int n_seg,
                const WordsBlob *q, int mirror, int hamming,
                sqlite3_int64 docs, WordList *w, Votes *votes, double *norm, char **pzErr){
  int i = 0, rc = SQLITE_OK;
  while( rc==SQLITE_OK && i<q->count ){
    uint32_t word;
    int end = word_run_end(q, i, &word), j;
    double idf2;
    rc = word_list_read(s, seg, n_seg, word, w, pzErr);
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
  uint16_t counts[WORDINDEX_BLOCK_DOCS];
  sqlite3_int64 block = 0;
  size_t i;
  int loaded = 0, rc = SQLITE_OK, m = 0;
  qsort(e, n, sizeof(*e), by_rowid);
  for(i=0; rc==SQLITE_OK && i<n; i++){
    WordIndexHit h;
    int count;
    if( !loaded || WORDINDEX_BLOCK(e[i].rowid)!=block ){
      block = WORDINDEX_BLOCK(e[i].rowid);
      rc = wordindex_store_counts(s, block, counts, pzErr);
      loaded = 1;
      if( rc ) break;
    }
    count = counts[WORDINDEX_OFFSET(e[i].rowid)];
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

int wordindex_search(WordIndex *x, const WordsBlob *query, const WordsBlob *mirror,
                     int hamming, int k, WordIndexHit **hits, int *n_hits, char **pzErr){
  WordIndexStore *s = x->store;
  WordIndexSegment *seg = 0;
  WordList w;
  Votes votes;
  VoteEntry *e = 0;
  sqlite3_int64 docs;
  double norm = 0.0;
  size_t i, n = 0;
  int n_seg = 0, rc = wordindex_flush(x, pzErr);
  *hits = 0;
  *n_hits = 0;
  if( rc==SQLITE_OK ) rc = wordindex_store_docs(s, &docs, pzErr);
  if( rc || docs==0 || k<=0 ) return rc;
  rc = wordindex_store_segments(s, &seg, &n_seg, pzErr);
  if( rc ) return rc;
  memset(&w, 0, sizeof(w));
  votes_init(&votes);
  rc = vote(s, seg, n_seg, query, 0, hamming, docs, &w, &votes, &norm, pzErr);
  if( rc==SQLITE_OK && mirror ){
    rc = vote(s, seg, n_seg, mirror, 1, hamming, docs, &w, &votes, &norm, pzErr);
  }
  sqlite3_free(seg);
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
