/*
** postings.c — posting lists and votes (postings.h).
**
** May call: sqlite3_malloc64/sqlite3_free, bytes.h.
*/
#include <stdlib.h>
#include <string.h>
#include "postings.h"

int postings_check(const unsigned char *p, size_t n){
  size_t i, count = n/POSTING_BYTES;
  if( n%POSTING_BYTES ) return SQLITE_CORRUPT_VTAB;
  for(i=1; i<count; i++){
    if( postings_rowid(p, i)<postings_rowid(p, i-1) ) return SQLITE_CORRUPT_VTAB;
  }
  return SQLITE_OK;
}

size_t postings_remove(unsigned char *p, size_t n, sqlite3_int64 rowid){
  size_t count = n/POSTING_BYTES, i, kept = 0;
  for(i=0; i<count; i++){
    if( postings_rowid(p, i)==rowid ) continue;
    if( kept!=i ) memmove(p + kept*POSTING_BYTES, p + i*POSTING_BYTES, POSTING_BYTES);
    kept++;
  }
  return kept*POSTING_BYTES;
}

void postings_merge(const unsigned char *a, size_t na, const unsigned char *b, size_t nb,
                    unsigned char *out){
  size_t i = 0, j = 0, ca = na/POSTING_BYTES, cb = nb/POSTING_BYTES;
  while( i<ca || j<cb ){
    if( j==cb || (i<ca && postings_rowid(a, i)<=postings_rowid(b, j)) ){
      memcpy(out, a + i++*POSTING_BYTES, POSTING_BYTES);
    }else{
      memcpy(out, b + j++*POSTING_BYTES, POSTING_BYTES);
    }
    out += POSTING_BYTES;
  }
}

/* ---- pending ------------------------------------------------------------------------ */

int pending_add(Pending *pending, uint32_t word, uint32_t signature, sqlite3_int64 rowid){
  PendingPosting *e;
  if( pending->n==pending->cap ){
    size_t cap = pending->cap ? 2*pending->cap : 4096;
    PendingPosting *p = (PendingPosting*)sqlite3_realloc64(pending->p, sizeof(*p)*cap);
    if( p==0 ) return SQLITE_NOMEM;
    pending->p = p;
    pending->cap = cap;
  }
  e = &pending->p[pending->n];
  e->word = word;
  e->signature = signature;
  e->rowid = rowid;
  e->order = (uint32_t)pending->n++;
  return SQLITE_OK;
}

size_t pending_remove(Pending *pending, sqlite3_int64 rowid){
  size_t i, kept = 0, removed;
  for(i=0; i<pending->n; i++){
    if( pending->p[i].rowid!=rowid ) pending->p[kept++] = pending->p[i];
  }
  removed = pending->n - kept;
  pending->n = kept;
  return removed;
}

static int pending_compare(const void *a, const void *b){
  const PendingPosting *x = (const PendingPosting*)a, *y = (const PendingPosting*)b;
  if( x->word!=y->word ) return x->word<y->word ? -1 : 1;
  if( x->rowid!=y->rowid ) return x->rowid<y->rowid ? -1 : 1;
  return x->order<y->order ? -1 : x->order>y->order;
}

void pending_sort(Pending *pending){
  qsort(pending->p, pending->n, sizeof(PendingPosting), pending_compare);
}

void pending_clear(Pending *pending){
  sqlite3_free(pending->p);
  memset(pending, 0, sizeof(*pending));
}

/* ---- votes -------------------------------------------------------------------------- */

void votes_init(Votes *v){
  memset(v, 0, sizeof(*v));
}

void votes_free(Votes *v){
  sqlite3_free(v->slot);
  sqlite3_free(v->used);
  votes_init(v);
}

static size_t votes_hash(sqlite3_int64 rowid, size_t capacity){
  uint64_t h = (uint64_t)rowid * 0x9E3779B97F4A7C15ull;
  return (size_t)(h >> 20) & (capacity - 1);
}

/* Double the table (or make the first one). */
static int votes_grow(Votes *v){
  size_t capacity = v->capacity ? 2*v->capacity : 1024, i;
  VoteEntry *slot = (VoteEntry*)sqlite3_malloc64(sizeof(VoteEntry)*capacity);
  unsigned char *used = (unsigned char*)sqlite3_malloc64(capacity);
  if( slot==0 || used==0 ){
    sqlite3_free(slot);
    sqlite3_free(used);
    return SQLITE_NOMEM;
  }
  memset(used, 0, capacity);
  for(i=0; i<v->capacity; i++){
    size_t h;
    if( !v->used[i] ) continue;
    for(h=votes_hash(v->slot[i].rowid, capacity); used[h]; h=(h+1)&(capacity-1)){}
    used[h] = 1;
    slot[h] = v->slot[i];
  }
  sqlite3_free(v->slot);
  sqlite3_free(v->used);
  v->slot = slot;
  v->used = used;
  v->capacity = capacity;
  return SQLITE_OK;
}

int votes_add(Votes *v, sqlite3_int64 rowid, double weight, int mirror){
  size_t h;
  if( 2*(v->count + 1) > v->capacity && votes_grow(v)!=SQLITE_OK ) return SQLITE_NOMEM;
  for(h=votes_hash(rowid, v->capacity); v->used[h]; h=(h+1)&(v->capacity-1)){
    if( v->slot[h].rowid==rowid ) break;
  }
  if( !v->used[h] ){
    v->used[h] = 1;
    v->slot[h].rowid = rowid;
    v->slot[h].score = v->slot[h].mirror = 0.0;
    v->count++;
  }
  v->slot[h].score += weight;
  if( mirror ) v->slot[h].mirror += weight;
  return SQLITE_OK;
}
