/*
** rowid_set.c — a set of rowids (see rowid_set.h): open addressing with
** linear probing, grown to stay at most half full.
**
** May call: SQLite's allocator.
*/
#include <string.h>
#include "rowid_set.h"

/* The first cell to probe for rowid (Fibonacci hashing). */
static uint32_t rowid_set_home(const RowidSet *set, sqlite3_int64 rowid){
  return (uint32_t)(((uint64_t)rowid*0x9E3779B97F4A7C15ull)>>32) & set->mask;
}

int rowid_set_add(RowidSet *set, sqlite3_int64 rowid){
  uint32_t h;
  if( (set->n+1)*2 > (set->mask ? set->mask+1 : 0) ){
    RowidSet bigger = { 0, 0, set->mask ? set->mask*2+1 : 15, 0 };
    uint32_t i;
    bigger.keys = sqlite3_malloc64(((sqlite3_uint64)bigger.mask+1)*sizeof(sqlite3_int64));
    bigger.used = sqlite3_malloc64((sqlite3_uint64)bigger.mask+1);
    if( bigger.keys==0 || bigger.used==0 ){ rowid_set_free(&bigger); return SQLITE_NOMEM; }
    memset(bigger.used, 0, (size_t)bigger.mask+1);
    for(i=0; set->mask && i<=set->mask; i++){
      if( set->used[i] ) rowid_set_add(&bigger, set->keys[i]);
    }
    rowid_set_free(set);
    *set = bigger;
  }
  for(h=rowid_set_home(set, rowid); set->used[h]; h=(h+1) & set->mask){
    if( set->keys[h]==rowid ) return SQLITE_OK;
  }
  set->used[h] = 1;
  set->keys[h] = rowid;
  set->n++;
  return SQLITE_OK;
}

int rowid_set_has(const RowidSet *set, sqlite3_int64 rowid){
  uint32_t h;
  if( set->n==0 ) return 0;
  for(h=rowid_set_home(set, rowid); set->used[h]; h=(h+1) & set->mask){
    if( set->keys[h]==rowid ) return 1;
  }
  return 0;
}

void rowid_set_free(RowidSet *set){
  sqlite3_free(set->keys);
  sqlite3_free(set->used);
  memset(set, 0, sizeof(*set));
}
