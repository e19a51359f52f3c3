/*
** test_forest.c — the forest over plain arrays, without any database.
**
** 1.x  insert: every slot once per tree, in the leaf its vector descends to
** 2.x  search: with search_k >= n the answer is the brute-force answer
** 3.x  remove, and re-insert after remove
** 4.x  build from scratch; recall on clustered data
** 5.x  determinism: the same operations give the same trees
** 6.x  inseparable items (duplicates) do not loop or get lost
** 7.x  bit vectors with hamming
** 8.x  damaged nodes from storage are reported as corrupt
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>
#include "annoy/forest.h"

static int n_fail = 0;
static void check(int ok, const char *what){
  printf("%s - forest %s\n", ok ? "ok" : "not ok", what);
  if( !ok ) n_fail++;
}

/* ---- vectors in an array ---------------------------------------------------- */
typedef struct Data { int dim; size_t bytes; uint8_t *v; ForestNode *bad; } Data;

static int load_vector(void *ctx, uint32_t slot, const void **out, char **pzErr){
  Data *d = ctx;
  (void)pzErr;
  *out = d->v + slot*d->bytes;
  return SQLITE_OK;
}
static int load_node(void *ctx, uint32_t id, ForestNode **out, char **pzErr){
  Data *d = ctx;
  (void)id; (void)pzErr;
  *out = d->bad;
  d->bad = 0;
  return *out ? SQLITE_OK : SQLITE_CORRUPT;
}

static uint64_t rng_state = 12345;
static uint32_t rnd(void){
  rng_state = rng_state*6364136223846793005ull + 1442695040888963407ull;
  return (uint32_t)(rng_state >> 33);
}
static float frand(void){ return (float)rnd()/2147483648.0f; }

/* n float vectors around 20 centres. */
static Data make_data(int n, int dim){
  Data d;
  float centre[20][64];
  int i, j;
  d.dim = dim;
  d.bytes = (size_t)dim*4;
  d.v = malloc((size_t)n*d.bytes);
  d.bad = 0;
  for(i=0; i<20; i++) for(j=0; j<dim; j++) centre[i][j] = frand()*10;
  for(i=0; i<n; i++){
    float *x = (float*)(d.v + i*d.bytes);
    int c = (int)(rnd()%20);
    for(j=0; j<dim; j++) x[j] = centre[c][j] + frand() - 0.5f;
  }
  return d;
}

/* Walk tree t; count each slot; check it descends to the leaf holding it. */
static int tree_ok(Forest *f, int t, int *count, int n){
  uint32_t stack[4096], n_stack = 0, id = (uint32_t)t, i;
  memset(count, 0, sizeof(int)*(size_t)n);
  for(;;){
    ForestNode *node;
    if( forest_node(f, id, &node, 0) ) return 0;
    if( node->is_split ){
      if( n_stack+2>4096 ) return 0;
      stack[n_stack++] = node->child[0];
      stack[n_stack++] = node->child[1];
    }else{
      for(i=0; i<node->count; i++){
        const void *v;
        uint32_t leaf;
        count[node->slots[i]]++;
        f->io.load_vector(f->io.ctx, node->slots[i], &v, 0);
        if( forest_descend(f, (uint32_t)t, v, &leaf, 0) || leaf!=id ) return 0;
      }
    }
    if( n_stack==0 ) break;
    id = stack[--n_stack];
  }
  return 1;
}

/* Every live slot exactly once in every tree. */
static int forest_ok(Forest *f, const uint8_t *live, int n){
  int *count = malloc(sizeof(int)*(size_t)n), t, i, ok = 1;
  for(t=0; ok && t<f->cfg.n_trees; t++){
    ok = tree_ok(f, t, count, n);
    for(i=0; ok && i<n; i++) ok = count[i]==(live[i] ? 1 : 0);
  }
  free(count);
  return ok;
}

/* Brute-force top k of live slots, compared with a search. */
static int search_matches_exact(Forest *f, ForestSearcher *s, Data *d, const uint8_t *live,
                                int n, const void *q, int k, int64_t search_k){
  TopkHit hits[64];
  Topk top = { hits, 0, k };
  int i;
  for(i=0; i<n; i++){
    if( live[i] ) topk_push(&top, f->kernel(q, d->v + i*d->bytes, d->dim), (uint32_t)i);
  }
  topk_sort(&top);
  if( forest_search(f, s, q, k, search_k, 0, 0, 0) ) return 0;
  if( s->top.n!=top.n ) return 0;
  for(i=0; i<top.n; i++){
    if( s->top.hits[i].slot!=top.hits[i].slot ) return 0;
  }
  return 1;
}

static double recall(Forest *f, ForestSearcher *s, Data *d, int n, int n_queries, int64_t search_k){
  int q, i, j, found = 0;
  for(q=0; q<n_queries; q++){
    TopkHit hits[10];
    Topk top = { hits, 0, 10 };
    const void *query = d->v + (size_t)(rnd()%(uint32_t)n)*d->bytes;
    for(i=0; i<n; i++) topk_push(&top, f->kernel(query, d->v + i*d->bytes, d->dim), (uint32_t)i);
    forest_search(f, s, query, 10, search_k, 0, 0, 0);
    for(i=0; i<s->top.n; i++){
      for(j=0; j<top.n; j++) if( s->top.hits[i].slot==top.hits[j].slot ){ found++; break; }
    }
  }
  return (double)found/(n_queries*10);
}

static ForestConfig config(VecType type, Metric metric, int dim, int trees, int leaf){
  ForestConfig c;
  c.type = type; c.metric = metric; c.dim = dim; c.n_trees = trees; c.leaf_size = leaf; c.seed = 7;
  return c;
}

/* Same shape and contents, node by node. */
static int same_forest(Forest *a, Forest *b){
  uint32_t i;
  if( a->n_nodes!=b->n_nodes ) return 0;
  for(i=0; i<a->n_nodes; i++){
    ForestNode *x = a->node[i], *y = b->node[i];
    if( x->is_split!=y->is_split ) return 0;
    if( x->is_split ){
      if( x->child[0]!=y->child[0] || x->child[1]!=y->child[1] || x->threshold!=y->threshold ) return 0;
      if( x->scale!=y->scale || memcmp(x->normal, y->normal, (size_t)a->cfg.dim) ) return 0;
    }else if( x->count!=y->count || memcmp(x->slots, y->slots, x->count*4u) ){
      return 0;
    }
  }
  return 1;
}

int main(void){
  enum { N = 3000, DIM = 16 };
  Data d = make_data(N, DIM);
  ForestConfig cfg = config(VEC_FLOAT32, METRIC_EUCLIDEAN, DIM, 8, 16);
  ForestIO io = { &d, load_node, load_vector, 0 };
  Forest f, g;
  ForestSearcher s;
  uint8_t live[N];
  int i, ok;

  memset(&s, 0, sizeof(s));
  memset(live, 0, sizeof(live));
  forest_open(&f, &cfg, &io, 0, 0);
  for(ok=1, i=0; i<N; i++){ ok &= forest_insert(&f, (uint32_t)i, d.v + i*d.bytes, 0)==SQLITE_OK; live[i] = 1; }
  check(ok, "1.1 3000 inserts succeed");
  check(forest_ok(&f, live, N), "1.2 each slot once per tree, in the leaf its vector descends to");
  check(f.n_nodes > (uint32_t)(8*N/16), "1.3 leaves split as they fill");

  for(ok=1, i=0; i<20; i++){
    ok &= search_matches_exact(&f, &s, &d, live, N, d.v + (size_t)(rnd()%N)*d.bytes, 10, N);
  }
  check(ok, "2.1 search_k >= n gives the exact top 10 (20 queries)");
  {
    float q[DIM];
    for(i=0; i<DIM; i++) q[i] = 100;   /* far from everything */
    check(search_matches_exact(&f, &s, &d, live, N, q, 5, N), "2.2 a far query also gets the exact answer");
  }

  for(ok=1, i=0; i<N; i+=2){ ok &= forest_remove(&f, (uint32_t)i, d.v + i*d.bytes, 0)==SQLITE_OK; live[i] = 0; }
  check(ok, "3.1 removing every second slot succeeds");
  check(forest_ok(&f, live, N), "3.2 removed slots are gone from every tree");
  check(search_matches_exact(&f, &s, &d, live, N, d.v, 10, N), "3.3 exact search skips removed slots");
  for(ok=1, i=0; i<N; i+=4){ ok &= forest_insert(&f, (uint32_t)i, d.v + i*d.bytes, 0)==SQLITE_OK; live[i] = 1; }
  check(ok && forest_ok(&f, live, N), "3.4 re-inserted slots are back once per tree");
  {
    float q[DIM];
    memset(q, 0, sizeof(q));
    check(forest_remove(&f, 1, q, 0)==SQLITE_OK && (live[1] = 0, forest_ok(&f, live, N)),
          "3.5 remove finds a slot even when given another vector (scan fallback)");
  }

  {
    uint32_t slots[N];
    int n = 0;
    for(i=0; i<N; i++) if( live[i] ) slots[n++] = (uint32_t)i;
    check(forest_build(&f, slots, (uint32_t)n, 0)==SQLITE_OK && forest_ok(&f, live, N), "4.1 build keeps the invariant");
  }
  for(i=0; i<N; i++) live[i] = 1;
  {
    Data big = make_data(20000, DIM);
    ForestIO bio = { &big, load_node, load_vector, 0 };
    Forest h;
    uint32_t *slots = malloc(20000*sizeof(uint32_t));
    double r;
    for(i=0; i<20000; i++) slots[i] = (uint32_t)i;
    cfg = config(VEC_FLOAT32, METRIC_EUCLIDEAN, DIM, 16, 32);
    forest_open(&h, &cfg, &bio, 0, 0);
    forest_build(&h, slots, 20000, 0);
    r = recall(&h, &s, &big, 20000, 100, 1000);
    printf("# recall@10 at search_k=1000 on 20000 clustered vectors: %.3f\n", r);
    check(r >= 0.9, "4.2 recall@10 >= 0.9 at search_k=1000 (20000 clustered, 16 trees)");
    forest_close(&h);
    free(slots);
    free(big.v);
  }
  forest_close(&f);

  cfg = config(VEC_FLOAT32, METRIC_EUCLIDEAN, DIM, 4, 16);
  forest_open(&f, &cfg, &io, 0, 0);
  forest_open(&g, &cfg, &io, 0, 0);
  for(i=0; i<1000; i++){
    forest_insert(&f, (uint32_t)i, d.v + i*d.bytes, 0);
    forest_insert(&g, (uint32_t)i, d.v + i*d.bytes, 0);
  }
  for(i=0; i<1000; i+=3){
    forest_remove(&f, (uint32_t)i, d.v + i*d.bytes, 0);
    forest_remove(&g, (uint32_t)i, d.v + i*d.bytes, 0);
  }
  check(same_forest(&f, &g), "5.1 same operations, same seed: identical trees");
  forest_close(&g);
  cfg.seed = 8;
  forest_open(&g, &cfg, &io, 0, 0);
  for(i=0; i<1000; i++) forest_insert(&g, (uint32_t)i, d.v + i*d.bytes, 0);
  check(!same_forest(&f, &g), "5.2 another seed: other trees");
  forest_close(&g);
  forest_close(&f);

  {
    Data dup = make_data(600, DIM);
    ForestIO dio = { &dup, load_node, load_vector, 0 };
    uint8_t dlive[600];
    for(i=1; i<500; i++) memcpy(dup.v + i*dup.bytes, dup.v, dup.bytes);
    memset(dlive, 1, sizeof(dlive));
    cfg = config(VEC_FLOAT32, METRIC_EUCLIDEAN, DIM, 4, 8);
    forest_open(&f, &cfg, &dio, 0, 0);
    for(ok=1, i=0; i<600; i++) ok &= forest_insert(&f, (uint32_t)i, dup.v + i*dup.bytes, 0)==SQLITE_OK;
    check(ok && forest_ok(&f, dlive, 600), "6.1 500 identical vectors: all stored, invariant holds");
    forest_search(&f, &s, dup.v, 50, 100000, 0, 0, 0);
    check(s.top.n==50 && s.top.hits[49].score==0, "6.2 the duplicates are found at distance 0");
    forest_close(&f);
    free(dup.v);
  }

  {
    enum { NB = 2000, BITS = 64 };
    Data b;
    uint8_t blive[NB];
    ForestIO bio = { &b, load_node, load_vector, 0 };
    b.dim = BITS; b.bytes = BITS/8; b.v = malloc(NB*b.bytes); b.bad = 0;
    for(i=0; i<NB*(int)b.bytes; i++) b.v[i] = (uint8_t)rnd();
    memset(blive, 1, sizeof(blive));
    cfg = config(VEC_BIT, METRIC_HAMMING, BITS, 8, 16);
    forest_open(&f, &cfg, &bio, 0, 0);
    for(ok=1, i=0; i<NB; i++) ok &= forest_insert(&f, (uint32_t)i, b.v + i*b.bytes, 0)==SQLITE_OK;
    check(ok && forest_ok(&f, blive, NB), "7.1 bit vectors: invariant holds");
    check(search_matches_exact(&f, &s, &b, blive, NB, b.v + 5*b.bytes, 10, NB) && s.top.hits[0].slot==5,
          "7.2 hamming search with search_k >= n is exact");
    forest_close(&f);
    free(b.v);
  }

  {
    ForestNode *bad;
    ForestNode *got;
    char *zErr = 0;
    cfg = config(VEC_FLOAT32, METRIC_EUCLIDEAN, DIM, 2, 16);
    forest_open(&f, &cfg, &io, 5, 0);
    bad = forest_node_new(&cfg, 1, 0);
    bad->child[0] = 0; bad->child[1] = 4;          /* child 0 is not after node 1 */
    d.bad = bad;
    check(forest_node(&f, 1, &got, &zErr)==SQLITE_CORRUPT && zErr && strstr(zErr, "bad child"),
          "8.1 a child pointing backwards is corrupt (no loops)");
    sqlite3_free(zErr);
    check(forest_node(&f, 9, &got, 0)==SQLITE_CORRUPT, "8.2 a node id beyond the count is corrupt");
    check(forest_node(&f, 2, &got, 0)==SQLITE_CORRUPT, "8.3 a node the store cannot read is corrupt");
    forest_close(&f);
  }
  forest_searcher_free(&s);
  free(d.v);
  return n_fail ? 1 : 0;
}
