/*
** topk.h — the k best (score, slot) pairs seen so far.
**
** A max-heap of at most k entries: the root is the worst kept hit, so a new
** candidate is compared against it in O(1) and replaces it in O(log k).
** Equal scores are ordered by slot, so results are reproducible.
** The caller owns the storage (hits, capacity >= k).
** Header-only; may call: the C library (qsort).
*/
#ifndef IMGSEARCH_TOPK_H
#define IMGSEARCH_TOPK_H
#include <stdint.h>
#include <stdlib.h>

typedef struct TopkHit { float score; uint32_t slot; } TopkHit;
typedef struct Topk { TopkHit *hits; int n, k; } Topk;

static inline int topk_worse(const TopkHit *a, const TopkHit *b){
  return a->score > b->score || (a->score==b->score && a->slot > b->slot);
}

static inline void topk_sift_down(Topk *t, int i){
  for(;;){
    int l = 2*i+1, r = l+1, m = i;
    TopkHit tmp;
    if( l<t->n && topk_worse(&t->hits[l], &t->hits[m]) ) m = l;
    if( r<t->n && topk_worse(&t->hits[r], &t->hits[m]) ) m = r;
    if( m==i ) return;
    tmp = t->hits[i]; t->hits[i] = t->hits[m]; t->hits[m] = tmp;
    i = m;
  }
}

/* Offer a hit: kept when it is among the best k seen so far. */
static inline void topk_push(Topk *t, float score, uint32_t slot){
  TopkHit h = { score, slot };
  if( t->n < t->k ){
    int i = t->n++;
    while( i>0 && topk_worse(&h, &t->hits[(i-1)/2]) ){
      t->hits[i] = t->hits[(i-1)/2];
      i = (i-1)/2;
    }
    t->hits[i] = h;
  }else if( t->k>0 && topk_worse(&t->hits[0], &h) ){
    t->hits[0] = h;
    topk_sift_down(t, 0);
  }
}

static inline int topk_compare(const void *a, const void *b){
  const TopkHit *x = a, *y = b;
  return topk_worse(x, y) ? 1 : (topk_worse(y, x) ? -1 : 0);
}

/* Sort the kept hits best-first (destroys the heap order). */
static inline void topk_sort(Topk *t){
  qsort(t->hits, (size_t)t->n, sizeof(TopkHit), topk_compare);
}
#endif
