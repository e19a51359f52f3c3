/*
** sample.c — bottom-k sampling by content hash.  See sample.h.
**
** May call: sqlite3_malloc64 / sqlite3_realloc64 / sqlite3_free through
** sqlite_ext.h.
**
** Every row offered gets a 64-bit key: FNV-1a over its bytes, spread by a
** splitmix64 finaliser.  The kept rows sit in a max-heap on (key, bytes);
** a new row smaller than the top overwrites the top's storage.  Rows with
** equal key and bytes are identical, so which copy is kept never matters.
*/
#include <string.h>

#include "sqlite_ext.h"
#include "sample.h"

typedef struct SampleKey {
  uint64_t hash;
  int slot;                  /* row index in Sample.rows */
} SampleKey;

struct Sample {
  size_t row_bytes;
  int max_rows;
  int kept;                  /* rows used */
  int capacity;              /* rows allocated */
  int sorted;
  int64_t seen;
  unsigned char *rows;       /* capacity * row_bytes */
  SampleKey *heap;           /* kept keys: a max-heap, or ascending once
                             ** sorted */
};

static uint64_t sample_hash(const unsigned char *p, size_t n){
  uint64_t h = 0xCBF29CE484222325ull;
  size_t i;
  for(i=0; i<n; i++){
    h ^= p[i];
    h *= 0x100000001B3ull;
  }
  h = (h ^ (h>>30)) * 0xBF58476D1CE4E5B9ull;
  h = (h ^ (h>>27)) * 0x94D049BB133111EBull;
  return h ^ (h>>31);
}

static const unsigned char *sample_slot(const Sample *s, int slot){
  return s->rows + (size_t)slot*s->row_bytes;
}

/* Compare key a with (hash, bytes): <0, 0, >0. */
static int sample_compare(const Sample *s, const SampleKey *a, uint64_t hash,
                          const unsigned char *bytes){
  if( a->hash!=hash ) return a->hash<hash ? -1 : 1;
  return memcmp(sample_slot(s, a->slot), bytes, s->row_bytes);
}

static int sample_less(const Sample *s, const SampleKey *a, const SampleKey *b){
  return sample_compare(s, a, b->hash, sample_slot(s, b->slot))<0;
}

static void sample_swap(SampleKey *a, SampleKey *b){
  SampleKey tmp = *a;
  *a = *b;
  *b = tmp;
}

static void sample_sift_up(Sample *s, int i){
  while( i>0 ){
    int parent = (i-1)/2;
    if( !sample_less(s, &s->heap[parent], &s->heap[i]) ) break;
    sample_swap(&s->heap[parent], &s->heap[i]);
    i = parent;
  }
}

/* Restore the max-heap below i within the first n keys. */
static void sample_sift_down(Sample *s, int i, int n){
  for(;;){
    int left = 2*i+1, right = left+1, largest = i;
    if( left<n && sample_less(s, &s->heap[largest], &s->heap[left]) ) largest = left;
    if( right<n && sample_less(s, &s->heap[largest], &s->heap[right]) ) largest = right;
    if( largest==i ) break;
    sample_swap(&s->heap[largest], &s->heap[i]);
    i = largest;
  }
}

Sample *sample_new(size_t row_bytes, int max_rows){
  Sample *s;
  if( row_bytes==0 || max_rows<=0 ) return 0;
  s = (Sample*)sqlite3_malloc64(sizeof(*s));
  if( s==0 ) return 0;
  memset(s, 0, sizeof(*s));
  s->row_bytes = row_bytes;
  s->max_rows = max_rows;
  return s;
}

/* Room for one more kept row; grows geometrically up to max_rows. */
static int sample_reserve(Sample *s){
  int capacity;
  unsigned char *rows;
  SampleKey *heap;
  if( s->kept<s->capacity ) return SQLITE_OK;
  capacity = s->capacity ? s->capacity*2 : 16;
  if( capacity>s->max_rows ) capacity = s->max_rows;
  rows = (unsigned char*)sqlite3_realloc64(s->rows,
      (sqlite3_uint64)capacity*s->row_bytes);
  if( rows==0 ) return SQLITE_NOMEM;
  s->rows = rows;
  heap = (SampleKey*)sqlite3_realloc64(s->heap,
      (sqlite3_uint64)capacity*sizeof(SampleKey));
  if( heap==0 ) return SQLITE_NOMEM;
  s->heap = heap;
  s->capacity = capacity;
  return SQLITE_OK;
}

int sample_add(Sample *s, const void *row){
  const unsigned char *bytes = (const unsigned char*)row;
  uint64_t hash = sample_hash(bytes, s->row_bytes);
  s->seen++;
  if( s->kept<s->max_rows ){
    int rc = sample_reserve(s);
    if( rc!=SQLITE_OK ) return rc;
    memcpy(s->rows + (size_t)s->kept*s->row_bytes, bytes, s->row_bytes);
    s->heap[s->kept].hash = hash;
    s->heap[s->kept].slot = s->kept;
    s->kept++;
    sample_sift_up(s, s->kept-1);
  }else if( sample_compare(s, &s->heap[0], hash, bytes)>0 ){
    memcpy(s->rows + (size_t)s->heap[0].slot*s->row_bytes, bytes, s->row_bytes);
    s->heap[0].hash = hash;
    sample_sift_down(s, 0, s->kept);
  }
  return SQLITE_OK;
}

int sample_count(const Sample *s){ return s->kept; }
int64_t sample_seen(const Sample *s){ return s->seen; }

void sample_sort(Sample *s){
  int end;
  if( s->sorted ) return;
  /* Heapsort in place: repeatedly move the largest key to the end. */
  for(end=s->kept-1; end>0; end--){
    sample_swap(&s->heap[0], &s->heap[end]);
    sample_sift_down(s, 0, end);
  }
  s->sorted = 1;
}

const void *sample_row(const Sample *s, int i){
  return sample_slot(s, s->heap[i].slot);
}

void sample_free(Sample *s){
  if( s==0 ) return;
  sqlite3_free(s->rows);
  sqlite3_free(s->heap);
  sqlite3_free(s);
}
