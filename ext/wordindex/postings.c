/*
** postings.c — posting lists and votes (postings.h).
**
** May call: sqlite3_malloc64/sqlite3_free, error.h.
*/
#include <string.h>
#include "error.h"
#include "postings.h"

int postings_check(const unsigned char *p, size_t n, char **pzErr){
  size_t i, count = n/POSTING_BYTES;
  int last = 0;
  if( n%POSTING_BYTES ){
    return error_set(pzErr, SQLITE_CORRUPT_VTAB,
        "wordindex: a posting list of %llu bytes is not whole %d-byte entries",
        (unsigned long long)n, POSTING_BYTES);
  }
  for(i=0; i<count; i++){
    int offset = postings_offset(p, i);
    if( offset>=POSTINGS_BLOCK_DOCS || offset<last ){
      return error_set(pzErr, SQLITE_CORRUPT_VTAB,
          "wordindex: a posting list has offset %d after %d", offset, last);
    }
    last = offset;
  }
  return SQLITE_OK;
}

static void posting_put(unsigned char *e, int offset, uint32_t sig){
  bytes_put_u16(e, (uint16_t)offset);
  bytes_put_u32(e + 2, sig);
}

int postings_replace(const unsigned char *p, size_t n, int offset,
                     const uint32_t *sig, int n_sig,
                     unsigned char **out, size_t *pn){
  size_t count = n/POSTING_BYTES, before = 0, after, kept;
  unsigned char *q;
  int i;
  *out = 0;
  *pn = 0;
  while( before<count && postings_offset(p, before)<offset ) before++;
  after = before;
  while( after<count && postings_offset(p, after)==offset ) after++;
  kept = count - (after - before);
  if( kept + (size_t)n_sig==0 ) return SQLITE_OK;
  q = (unsigned char*)sqlite3_malloc64((kept + (size_t)n_sig)*POSTING_BYTES);
  if( q==0 ) return SQLITE_NOMEM;
  memcpy(q, p, before*POSTING_BYTES);
  for(i=0; i<n_sig; i++) posting_put(q + (before + i)*POSTING_BYTES, offset, sig[i]);
  memcpy(q + (before + n_sig)*POSTING_BYTES, p + after*POSTING_BYTES,
         (count - after)*POSTING_BYTES);
  *out = q;
  *pn = (kept + (size_t)n_sig)*POSTING_BYTES;
  return SQLITE_OK;
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
