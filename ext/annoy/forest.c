/*
** forest.c — the random-projection forest: split, insert, remove, build,
** search, and the integrity walk. See forest.h for the shape of the trees
** and the invariants.
**
** May call: ForestIO callbacks (for nodes and vectors not in memory),
** distance.c kernels, error.h, SQLite's allocator and result codes. No SQL:
** storage is the caller's.
*/
#include <math.h>
#include <string.h>
#include "sqlite_ext.h"
#include "error.h"
#include "forest.h"
#include "rng.h"

#define SPLIT_ATTEMPTS   3
#define SPLIT_MIN_SHARE  0.05   /* retry a split leaving < 5% on one side */
#define TWO_MEANS_STEPS  200    /* Annoy's iteration count */
#define BIT_CANDIDATES   16     /* random bits tried per hamming split */
#define SAMPLE_MAX       1024   /* items sampled to choose a hamming bit */
#define WORK_PER_CHECK   (1u<<16) /* work_done units between interrupt checks */

/* ---- small helpers --------------------------------------------------------- */

int id_stack_push(IdStack *s, uint32_t id){
  if( s->n==s->alloc ){
    uint32_t alloc = s->alloc ? s->alloc*2 : 64;
    uint32_t *a = sqlite3_realloc64(s->id, (sqlite3_uint64)alloc*sizeof(uint32_t));
    if( a==0 ) return SQLITE_NOMEM;
    s->id = a;
    s->alloc = alloc;
  }
  s->id[s->n++] = id;
  return SQLITE_OK;
}

static int is_bit_forest(const Forest *f){ return f->cfg.type==VEC_BIT; }

ForestNode *forest_node_new(const ForestConfig *cfg, int is_split, uint32_t count){
  ForestNode *n;
  size_t extra = cfg->type!=VEC_BIT ? (size_t)cfg->dim : 0;
  n = sqlite3_malloc64(sizeof(*n) + extra);
  if( n==0 ) return 0;
  memset(n, 0, sizeof(*n));
  n->is_split = (uint8_t)(is_split!=0);
  if( extra ) n->normal = (int8_t*)(n+1);
  if( !is_split && count>0 ){
    n->slots = sqlite3_malloc64((sqlite3_uint64)count*sizeof(uint32_t));
    if( n->slots==0 ){ sqlite3_free(n); return 0; }
    n->alloc = count;
  }
  return n;
}

void forest_node_free(ForestNode *n){
  if( n ){ sqlite3_free(n->slots); sqlite3_free(n); }
}

/* Node id if it is in memory, else NULL. */
static ForestNode *node_cached(const Forest *f, uint32_t id){
  return id<f->node_alloc ? f->node[id] : 0;
}

static int mark_dirty(Forest *f, uint32_t id){
  ForestNode *n = f->node[id];
  if( n->is_dirty ) return SQLITE_OK;
  if( id_stack_push(&f->dirty, id) ) return SQLITE_NOMEM;
  n->is_dirty = 1;
  return SQLITE_OK;
}

void forest_dirty_clear(Forest *f){
  uint32_t i;
  for(i=0; i<f->dirty.n; i++){
    ForestNode *n = node_cached(f, f->dirty.id[i]);
    if( n ) n->is_dirty = 0;
  }
  f->dirty.n = 0;
}

/* Room in f->node for ids below want. The array follows the nodes that are
** in memory, not the stored count: a damaged count must not make every
** query allocate for nodes that are not there. It doubles, but not past
** the stored count while only stored nodes are being read. */
static int node_reserve(Forest *f, uint64_t want){
  uint64_t alloc = f->node_alloc ? f->node_alloc : 64;
  ForestNode **a;
  if( want<=f->node_alloc ) return SQLITE_OK;
  while( alloc<want ) alloc *= 2;
  if( want<=f->n_nodes && alloc>f->n_nodes ) alloc = f->n_nodes;
  a = sqlite3_realloc64(f->node, alloc*sizeof(*a));
  if( a==0 ) return SQLITE_NOMEM;
  memset(a + f->node_alloc, 0, (size_t)(alloc - f->node_alloc)*sizeof(*a));
  f->node = a;
  f->node_alloc = (uint32_t)alloc;
  return SQLITE_OK;
}

/* Append a new node; it is dirty from birth. */
static int node_append(Forest *f, ForestNode *n, uint32_t *id, char **pzErr){
  if( f->n_nodes==0xFFFFFFFFu ) return error_set(pzErr, SQLITE_FULL, "too many tree nodes");
  if( node_reserve(f, (uint64_t)f->n_nodes+1) ) return SQLITE_NOMEM;
  *id = f->n_nodes++;
  f->node[*id] = n;
  if( mark_dirty(f, *id) ){
    /* Give n back: on failure the caller still owns it and frees it. */
    f->node[*id] = 0;
    f->n_nodes--;
    return SQLITE_NOMEM;
  }
  return SQLITE_OK;
}

int forest_node(Forest *f, uint32_t id, ForestNode **out, char **pzErr){
  ForestNode *n = node_cached(f, id);
  int rc;
  if( n ){ *out = n; return SQLITE_OK; }
  if( id>=f->n_nodes ){
    return error_set(pzErr, SQLITE_CORRUPT, "tree node %u does not exist (%u nodes)", id, f->n_nodes);
  }
  if( (rc = f->io.load_node(f->io.ctx, id, &n, pzErr)) ) return rc;
  if( n->is_split && (n->child[0]<=id || n->child[1]<=id
                      || n->child[0]>=f->n_nodes || n->child[1]>=f->n_nodes) ){
    forest_node_free(n);
    return error_set(pzErr, SQLITE_CORRUPT, "tree node %u has a bad child (%u nodes)", id, f->n_nodes);
  }
  if( n->is_split && is_bit_forest(f) && n->bit>=(uint32_t)f->cfg.dim ){
    uint32_t bit = n->bit;
    forest_node_free(n);
    return error_set(pzErr, SQLITE_CORRUPT, "tree node %u tests bit %u, out of range", id, bit);
  }
  if( node_reserve(f, (uint64_t)id+1) ){ forest_node_free(n); return SQLITE_NOMEM; }
  f->node[id] = n;
  *out = n;
  return SQLITE_OK;
}

/* Count `units` of work (about one node visited or one vector placed
** each); every WORK_PER_CHECK of them, ask the caller whether to stop
** (sqlite3_interrupt), so that a long walk or build ends soon after. */
static int work_done(Forest *f, uint32_t units, char **pzErr){
  f->work += units;
  if( f->work<WORK_PER_CHECK || f->io.interrupted==0 ) return SQLITE_OK;
  f->work = 0;
  return f->io.interrupted(f->io.ctx, pzErr);
}

/* A walk that has taken more steps than there are nodes has met a node
** twice: in a sound forest every node has one parent. */
static int walk_step(Forest *f, uint64_t *steps, char **pzErr){
  if( ++*steps > f->n_nodes ){
    return error_set(pzErr, SQLITE_CORRUPT, "the trees reach a node more than once "
                     "(a node with two parents; %u nodes)", f->n_nodes);
  }
  return work_done(f, 1, pzErr);
}

/* Child `side` of split n, through n's pointer cache. */
static int child_of(Forest *f, ForestNode *n, int side, ForestNode **out, char **pzErr){
  int rc;
  if( n->child_node[side] ){ *out = n->child_node[side]; return SQLITE_OK; }
  if( (rc = forest_node(f, n->child[side], out, pzErr)) ) return rc;
  n->child_node[side] = *out;
  return SQLITE_OK;
}

/* ---- opening and closing --------------------------------------------------- */

static void free_nodes(Forest *f){
  uint32_t i;
  for(i=0; i<f->node_alloc; i++) forest_node_free(f->node[i]);
  sqlite3_free(f->node);
  f->node = 0;
  f->n_nodes = f->node_alloc = 0;
  f->dirty.n = 0;
}

/* Empty leaves for roots 0..n_trees-1. */
static int make_roots(Forest *f){
  int t;
  for(t=0; t<f->cfg.n_trees; t++){
    uint32_t id;
    ForestNode *n = forest_node_new(&f->cfg, 0, 0);
    if( n==0 ) return SQLITE_NOMEM;
    if( node_append(f, n, &id, 0) ){ forest_node_free(n); return SQLITE_NOMEM; }
  }
  return SQLITE_OK;
}

int forest_open(Forest *f, const ForestConfig *cfg, const ForestIO *io, uint32_t n_nodes,
                char **pzErr){
  memset(f, 0, sizeof(*f));
  f->cfg = *cfg;
  f->io = *io;
  f->kernel = distance_kernel(cfg->type, cfg->metric);
  f->scratch = sqlite3_malloc64((sqlite3_uint64)cfg->dim*4*sizeof(float));
  if( f->scratch==0 ) return SQLITE_NOMEM;
  if( n_nodes==0 ) return make_roots(f);
  if( n_nodes<(uint32_t)cfg->n_trees ){
    return error_set(pzErr, SQLITE_CORRUPT, "%u tree nodes stored, fewer than %u trees",
                     n_nodes, (uint32_t)cfg->n_trees);
  }
  f->n_nodes = n_nodes;              /* f->node grows as nodes are read */
  return SQLITE_OK;
}

void forest_close(Forest *f){
  free_nodes(f);
  sqlite3_free(f->dirty.id);
  sqlite3_free(f->scratch);
  sqlite3_free(f->leaf_scratch);
  sqlite3_free(f->walk_scratch);
  sqlite3_free(f->side_buf[0]);
  sqlite3_free(f->side_buf[1]);
  memset(f, 0, sizeof(*f));
}

/* ---- which side of a split a vector falls on --------------------------- */

/* normal.x for integer elements of type T: exact. */
#define INTEGER_DOT(T) do{ \
    const T *x = vec; \
    int32_t s[8] = {0}; \
    for(i=0; i+8<=dim; i+=8){ \
      for(j=0; j<8; j++) s[j] += (int32_t)n->normal[i+j]*(int32_t)x[i+j]; \
    } \
    for(; i<dim; i++) s[0] += (int32_t)n->normal[i]*(int32_t)x[i]; \
    sum = (int64_t)s[0]+s[1]+s[2]+s[3]+s[4]+s[5]+s[6]+s[7]; \
  }while(0)

/* normal.x - threshold. For uint8 and int8 vectors the dot product is an
** exact integer; for float32 vectors it is 8 interleaved partial sums added
** in a fixed order. Either way inserts and removes agree bit for bit with
** the split that placed an item, on any machine (-ffp-contract=off forbids
** fused multiply-adds), and eight independent lanes vectorise. */
VEC_KERNEL static float margin_of(const Forest *f, const ForestNode *n, const void *vec){
  int i, j, dim = f->cfg.dim;
  if( f->cfg.type==VEC_UINT8 || f->cfg.type==VEC_INT8 ){
    int64_t sum;
    if( f->cfg.type==VEC_UINT8 ) INTEGER_DOT(uint8_t);
    else INTEGER_DOT(int8_t);
    return (float)((double)sum - (double)n->threshold);
  }else{
    const float *x = vec;
    float s[8] = {0};
    for(i=0; i+8<=dim; i+=8){
      for(j=0; j<8; j++) s[j] += (float)n->normal[i+j]*x[i+j];
    }
    for(; i<dim; i++) s[0] += (float)n->normal[i]*x[i];
    return (((s[0]+s[1])+(s[2]+s[3])) + ((s[4]+s[5])+(s[6]+s[7]))) - n->threshold;
  }
}

static int side_of(const Forest *f, const ForestNode *n, const void *vec){
  if( is_bit_forest(f) ) return (int)vec_element(VEC_BIT, vec, (int)n->bit);
  return margin_of(f, n, vec) > 0;
}

int forest_descend(Forest *f, uint32_t root, const void *vec, uint32_t *leaf_id,
                   char **pzErr){
  uint32_t id = root;
  ForestNode *n;
  int rc = forest_node(f, id, &n, pzErr);
  while( rc==SQLITE_OK && n->is_split ){
    int side = side_of(f, n, vec);
    id = n->child[side];
    if( (rc = child_of(f, n, side, &n, pzErr))==SQLITE_OK ) rc = work_done(f, 1, pzErr);
  }
  *leaf_id = id;
  return rc;
}

/* ---- splitting a leaf -------------------------------------------------------- */

static int load_float(Forest *f, uint32_t slot, float *out, char **pzErr){
  const void *v;
  int i, rc = f->io.load_vector(f->io.ctx, slot, &v, pzErr);
  if( rc ) return rc;
  for(i=0; i<f->cfg.dim; i++) out[i] = vec_element(f->cfg.type, v, i);
  if( f->cfg.metric==METRIC_ANGULAR ){
    float norm = 0;
    for(i=0; i<f->cfg.dim; i++) norm += out[i]*out[i];
    if( norm>0 ){
      norm = sqrtf(norm);
      for(i=0; i<f->cfg.dim; i++) out[i] /= norm;
    }
  }
  return SQLITE_OK;
}

/* Two-means on the items (as Annoy does): two centroids that start at two
** random items and move toward sampled items; the split is their
** perpendicular bisector (through the origin for angular). */
static int two_means_plane(Forest *f, uint64_t *rng, const uint32_t *slots,
                           uint32_t n, ForestNode *split, char **pzErr){
  int dim = f->cfg.dim, d, rc;
  float *p = f->scratch, *q = p + dim, *x = q + dim;
  uint32_t i = rng_below(rng, n), j = rng_below(rng, n-1), steps, s;
  DistanceKernel sq_dist = distance_kernel(VEC_FLOAT32, METRIC_EUCLIDEAN);
  float ic = 1, jc = 1, norm = 0, offset = 0;
  if( j>=i ) j++;
  if( (rc = load_float(f, slots[i], p, pzErr)) || (rc = load_float(f, slots[j], q, pzErr)) ) return rc;
  steps = n < TWO_MEANS_STEPS ? n : TWO_MEANS_STEPS;
  for(s=0; s<steps; s++){
    float di, dj;
    if( (rc = load_float(f, slots[rng_below(rng, n)], x, pzErr)) ) return rc;
    di = ic*sq_dist(p, x, dim);
    dj = jc*sq_dist(q, x, dim);
    if( di<dj ){
      for(d=0; d<dim; d++) p[d] = (p[d]*ic + x[d])/(ic+1);
      ic++;
    }else if( dj<di ){
      for(d=0; d<dim; d++) q[d] = (q[d]*jc + x[d])/(jc+1);
      jc++;
    }
  }
  /* normal = p - q, quantised to int8 with the largest component at 127 */
  for(d=0; d<dim; d++){
    float a = fabsf(p[d]-q[d]);
    if( a>norm ) norm = a;
  }
  if( !(norm>0) ){                      /* no plane: p == q */
    memset(split->normal, 0, (size_t)dim);
    split->scale = 1;
    split->threshold = 0;
    return SQLITE_OK;
  }
  for(d=0; d<dim; d++) split->normal[d] = (int8_t)lrintf((p[d]-q[d])/norm*127.0f);
  /* Through the midpoint of p and q (the origin for angular). */
  if( f->cfg.metric!=METRIC_ANGULAR ){
    for(d=0; d<dim; d++) offset += (float)split->normal[d]*((p[d]+q[d])*0.5f);
  }
  split->threshold = offset;
  /* scale makes the margin a distance: 1/|normal| */
  norm = 0;
  for(d=0; d<dim; d++) norm += (float)split->normal[d]*(float)split->normal[d];
  split->scale = 1.0f/sqrtf(norm);
  return SQLITE_OK;
}

/* For bit vectors: the most balanced of a few random bits, over a sample. */
static int choose_bit(Forest *f, uint64_t *rng, const uint32_t *slots,
                      uint32_t n, ForestNode *split, char **pzErr){
  uint32_t sample = n < SAMPLE_MAX ? n : SAMPLE_MAX, best_gap = 0xFFFFFFFFu, c, s;
  for(c=0; c<BIT_CANDIDATES; c++){
    uint32_t bit = rng_below(rng, (uint32_t)f->cfg.dim), ones = 0, gap;
    for(s=0; s<sample; s++){
      const void *v;
      uint32_t slot = slots[sample==n ? s : rng_below(rng, n)];
      int rc = f->io.load_vector(f->io.ctx, slot, &v, pzErr);
      if( rc ) return rc;
      ones += (uint32_t)vec_element(VEC_BIT, v, (int)bit);
    }
    gap = ones*2 > sample ? ones*2 - sample : sample - ones*2;
    if( gap<best_gap ){ best_gap = gap; split->bit = bit; }
  }
  return SQLITE_OK;
}

/* The side of each item in sides[], and how many are on side 1. */
static int compute_sides(Forest *f, const ForestNode *split, const uint32_t *slots,
                         uint32_t n, uint8_t *sides, uint32_t *n1, char **pzErr){
  uint32_t i, c = 0;
  for(i=0; i<n; i++){
    const void *v;
    int rc = f->io.load_vector(f->io.ctx, slots[i], &v, pzErr);
    if( rc ) return rc;
    sides[i] = (uint8_t)side_of(f, split, v);
    c += sides[i];
  }
  *n1 = c;
  return work_done(f, n, pzErr);
}

/* Two side buffers of n items each: the best attempt's and the current. */
static int reserve_sides(Forest *f, uint32_t n){
  int b;
  if( n<=f->side_alloc ) return SQLITE_OK;
  for(b=0; b<2; b++){
    uint8_t *p = sqlite3_realloc64(f->side_buf[b], n);
    if( p==0 ) return SQLITE_NOMEM;
    f->side_buf[b] = p;
  }
  f->side_alloc = n;
  return SQLITE_OK;
}

/* Choose a split for leaf `id`: *split (NULL when the items cannot be
** separated, all on one side in every attempt), the side of each item in
** *sides and the count on side 1 in *n1. */
static int choose_split(Forest *f, uint32_t id, ForestNode **split_out,
                        const uint8_t **sides, uint32_t *n1_out, char **pzErr){
  ForestNode *leaf = f->node[id], *best = 0, *cand = 0;
  uint32_t best_small = 0, attempt;
  int rc, best_buf = 0;
  *split_out = 0;
  if( (rc = reserve_sides(f, leaf->count)) ) return rc;
  for(attempt=0; attempt<SPLIT_ATTEMPTS; attempt++){
    uint64_t rng = f->cfg.seed ^ ((uint64_t)id << 20) ^ attempt;
    uint32_t n1, small;
    uint8_t *cand_sides = f->side_buf[1-best_buf];
    rng_next(&rng);
    if( cand==0 && (cand = forest_node_new(&f->cfg, 1, 0))==0 ){ rc = SQLITE_NOMEM; break; }
    rc = is_bit_forest(f) ? choose_bit(f, &rng, leaf->slots, leaf->count, cand, pzErr)
                          : two_means_plane(f, &rng, leaf->slots, leaf->count, cand, pzErr);
    if( rc==SQLITE_OK ) rc = compute_sides(f, cand, leaf->slots, leaf->count, cand_sides, &n1, pzErr);
    if( rc ) break;
    small = n1 < leaf->count-n1 ? n1 : leaf->count-n1;
    if( small>best_small ){
      ForestNode *t = best; best = cand; cand = t;
      best_buf = 1-best_buf;
      best_small = small;
      *n1_out = n1;
      if( small >= SPLIT_MIN_SHARE*leaf->count ) break;
    }
  }
  forest_node_free(cand);
  if( rc ){ forest_node_free(best); return rc; }
  *split_out = best;
  *sides = f->side_buf[best_buf];
  return SQLITE_OK;
}

/* Replace leaf `id` by `split` and two new leaves holding its items,
** placed by sides[] (n1 of them on side 1). */
static int apply_split(Forest *f, uint32_t id, ForestNode *split,
                       const uint8_t *sides, uint32_t n1, char **pzErr){
  ForestNode *leaf = f->node[id], *child[2] = {0, 0};
  uint32_t i;
  int rc, side;
  child[0] = forest_node_new(&f->cfg, 0, leaf->count - n1);
  child[1] = forest_node_new(&f->cfg, 0, n1);
  if( child[0]==0 || child[1]==0 ){ rc = SQLITE_NOMEM; goto fail; }
  for(i=0; i<leaf->count; i++){
    side = sides[i];
    child[side]->slots[child[side]->count++] = leaf->slots[i];
  }
  for(side=0; side<2; side++){
    if( (rc = node_append(f, child[side], &split->child[side], pzErr)) ) goto fail;
    child[side] = 0;
  }
  /* The leaf becomes the split in place, so pointers to it stay good. */
  sqlite3_free(leaf->slots);
  leaf->slots = 0;
  leaf->count = leaf->alloc = 0;
  leaf->is_split = 1;
  leaf->child[0] = split->child[0];
  leaf->child[1] = split->child[1];
  leaf->child_node[0] = f->node[split->child[0]];
  leaf->child_node[1] = f->node[split->child[1]];
  leaf->bit = split->bit;
  leaf->scale = split->scale;
  leaf->threshold = split->threshold;
  if( leaf->normal ) memcpy(leaf->normal, split->normal, (size_t)f->cfg.dim);
  forest_node_free(split);
  return mark_dirty(f, id);
fail:
  forest_node_free(child[0]);
  forest_node_free(child[1]);
  forest_node_free(split);
  return rc;
}

/* Split leaf `id`, and then any resulting leaf still over leaf_size. */
static int split_recursive(Forest *f, uint32_t id, char **pzErr){
  IdStack todo = { 0, 0, 0 };
  int rc = SQLITE_OK;
  for(;;){
    ForestNode *split;
    const uint8_t *sides;
    uint32_t n1 = 0;
    if( (rc = choose_split(f, id, &split, &sides, &n1, pzErr)) ) break;
    if( split ){
      uint32_t side;
      if( (rc = apply_split(f, id, split, sides, n1, pzErr)) ) break;
      split = f->node[id];
      for(side=2; side-- > 0 && rc==SQLITE_OK; ){
        if( f->node[split->child[side]]->count > (uint32_t)f->cfg.leaf_size ){
          rc = id_stack_push(&todo, split->child[side]);
        }
      }
      if( rc ) break;
    }
    if( todo.n==0 ) break;
    id = todo.id[--todo.n];
  }
  sqlite3_free(todo.id);
  return rc;
}

/* ---- insert, remove, build -------------------------------------------------- */

static int leaf_append(Forest *f, uint32_t id, uint32_t slot){
  ForestNode *leaf = f->node[id];
  if( leaf->count==leaf->alloc ){
    uint32_t alloc = leaf->alloc ? leaf->alloc*2 : (uint32_t)f->cfg.leaf_size+1;
    uint32_t *s = sqlite3_realloc64(leaf->slots, (sqlite3_uint64)alloc*sizeof(uint32_t));
    if( s==0 ) return SQLITE_NOMEM;
    leaf->slots = s;
    leaf->alloc = alloc;
  }
  leaf->slots[leaf->count++] = slot;
  return mark_dirty(f, id);
}

/* A leaf over leaf_size splits at once; one that could not be split (its
** items are inseparable) tries again each time its size doubles. */
static int wants_split(const Forest *f, uint32_t count){
  uint32_t max = (uint32_t)f->cfg.leaf_size;
  return count>max && (count==max+1 || (count & (count-1))==0);
}

/* Ask the memory system for node id (its struct and the normal that
** follows it in the same allocation) before it is needed. */
static void prefetch_node(const Forest *f, const ForestNode *n){
  const char *p = (const char*)n;
  size_t i, bytes = sizeof(ForestNode) + (is_bit_forest(f) ? 0 : (size_t)f->cfg.dim);
  for(i=0; i<bytes; i+=64) __builtin_prefetch(p+i);
}

/* The leaf of every tree that vec descends to. The trees are walked side
** by side, one level of each in turn, with the next node of each
** prefetched: a forest much larger than the CPU caches is then limited by
** memory bandwidth rather than by one cache miss after another. */
static int descend_all(Forest *f, const void *vec, uint32_t *leaf, ForestNode **node,
                       char **pzErr){
  int t, rc, active = 1;
  for(t=0; t<f->cfg.n_trees; t++){
    leaf[t] = (uint32_t)t;
    if( (rc = forest_node(f, (uint32_t)t, &node[t], pzErr)) ) return rc;
  }
  while( active ){
    active = 0;
    for(t=0; t<f->cfg.n_trees; t++){
      ForestNode *n = node[t];
      int side;
      if( !n->is_split ) continue;
      side = side_of(f, n, vec);
      leaf[t] = n->child[side];
      if( (rc = child_of(f, n, side, &node[t], pzErr)) ) return rc;
      prefetch_node(f, node[t]);
      active = 1;
    }
  }
  return SQLITE_OK;
}

/* descend_all() into scratch arrays of n_trees entries. */
static int leaves_of(Forest *f, const void *vec, uint32_t **leaf, char **pzErr){
  if( f->leaf_scratch==0 ){
    f->leaf_scratch = sqlite3_malloc64((sqlite3_uint64)f->cfg.n_trees*sizeof(uint32_t));
    f->walk_scratch = sqlite3_malloc64((sqlite3_uint64)f->cfg.n_trees*sizeof(ForestNode*));
    if( f->leaf_scratch==0 || f->walk_scratch==0 ) return SQLITE_NOMEM;
  }
  *leaf = f->leaf_scratch;
  return descend_all(f, vec, *leaf, f->walk_scratch, pzErr);
}

int forest_insert(Forest *f, uint32_t slot, const void *vec, char **pzErr){
  uint32_t *leaf;
  int t, rc;
  if( (rc = leaves_of(f, vec, &leaf, pzErr)) ) return rc;
  for(t=0; t<f->cfg.n_trees; t++){
    if( (rc = leaf_append(f, leaf[t], slot)) ) return rc;
    if( wants_split(f, f->node[leaf[t]]->count) && (rc = split_recursive(f, leaf[t], pzErr)) ) return rc;
  }
  return SQLITE_OK;
}

static int leaf_remove(Forest *f, uint32_t id, uint32_t slot, int *found){
  ForestNode *leaf = f->node[id];
  uint32_t i;
  for(i=0; i<leaf->count; i++){
    if( leaf->slots[i]==slot ){
      leaf->slots[i] = leaf->slots[--leaf->count];
      *found = 1;
      return mark_dirty(f, id);
    }
  }
  return SQLITE_OK;
}

/* Last resort when descent misses a slot (which only a damaged tree can
** cause): look through every leaf of the tree. */
static int remove_by_scan(Forest *f, uint32_t root, uint32_t slot, int *found, char **pzErr){
  IdStack todo = { 0, 0, 0 };
  uint32_t id = root;
  uint64_t steps = 0;
  int rc = SQLITE_OK;
  for(;;){
    ForestNode *n;
    if( (rc = walk_step(f, &steps, pzErr)) || (rc = forest_node(f, id, &n, pzErr)) ) break;
    if( n->is_split ){
      if( (rc = id_stack_push(&todo, n->child[1])) ) break;
      id = n->child[0];
      continue;
    }
    if( (rc = leaf_remove(f, id, slot, found)) || *found || todo.n==0 ) break;
    id = todo.id[--todo.n];
  }
  sqlite3_free(todo.id);
  return rc;
}

int forest_remove(Forest *f, uint32_t slot, const void *vec, char **pzErr){
  uint32_t *leaf;
  int t, rc;
  if( (rc = leaves_of(f, vec, &leaf, pzErr)) ) return rc;
  for(t=0; t<f->cfg.n_trees; t++){
    int found = 0;
    if( (rc = leaf_remove(f, leaf[t], slot, &found)) ) return rc;
    if( !found && (rc = remove_by_scan(f, (uint32_t)t, slot, &found, pzErr)) ) return rc;
    if( !found ){
      return error_set(pzErr, SQLITE_CORRUPT, "slot %u is missing from tree %u", slot, (uint32_t)t);
    }
  }
  return SQLITE_OK;
}

int forest_build(Forest *f, const uint32_t *slots, uint32_t n, char **pzErr){
  int t, rc;
  free_nodes(f);
  if( (rc = make_roots(f)) ) return rc;
  for(t=0; t<f->cfg.n_trees; t++){
    ForestNode *root = f->node[t];
    sqlite3_free(root->slots);
    root->slots = sqlite3_malloc64((sqlite3_uint64)(n ? n : 1)*sizeof(uint32_t));
    if( root->slots==0 ) return SQLITE_NOMEM;
    memcpy(root->slots, slots, (size_t)n*sizeof(uint32_t));
    root->count = root->alloc = n;
    if( n > (uint32_t)f->cfg.leaf_size && (rc = split_recursive(f, (uint32_t)t, pzErr)) ) return rc;
  }
  return SQLITE_OK;
}

/* ---- search -------------------------------------------------------------------- */

static int queue_push(ForestSearcher *s, float priority, uint32_t id, ForestNode *node){
  int i;
  if( s->n_queue==s->queue_alloc ){
    int alloc = s->queue_alloc ? s->queue_alloc*2 : 256;
    void *q = sqlite3_realloc64(s->queue, (sqlite3_uint64)alloc*sizeof(*s->queue));
    if( q==0 ) return SQLITE_NOMEM;
    s->queue = q;
    s->queue_alloc = alloc;
  }
  for(i=s->n_queue++; i>0 && s->queue[(i-1)/2].priority < priority; i=(i-1)/2){
    s->queue[i] = s->queue[(i-1)/2];
  }
  s->queue[i].priority = priority;
  s->queue[i].id = id;
  s->queue[i].node = node;
  return SQLITE_OK;
}

static void queue_pop(ForestSearcher *s, float *priority, uint32_t *id, ForestNode **node){
  int i = 0, n = --s->n_queue;
  *priority = s->queue[0].priority;
  *id = s->queue[0].id;
  *node = s->queue[0].node;
  for(;;){
    int c = 2*i+1;
    if( c>=n ) break;
    if( c+1<n && s->queue[c+1].priority > s->queue[c].priority ) c++;
    if( s->queue[c].priority <= s->queue[n].priority ) break;
    s->queue[i] = s->queue[c];
    i = c;
  }
  s->queue[i] = s->queue[n];
}

static uint32_t hash_slot(uint32_t slot){
  return (slot+1u) * 0x9E3779B1u;
}

/* Make room for a set of at least n slots, emptied. */
static int seen_reset(ForestSearcher *s, uint64_t n){
  uint64_t want = 64;
  while( want < 2*n ) want *= 2;
  if( want > s->seen_mask+1 || s->seen==0 ){
    sqlite3_free(s->seen);
    s->seen = sqlite3_malloc64(want*sizeof(uint32_t));
    if( s->seen==0 ){ s->seen_mask = 0; return SQLITE_NOMEM; }
    s->seen_mask = (uint32_t)(want-1);
  }
  memset(s->seen, 0, ((size_t)s->seen_mask+1)*sizeof(uint32_t));
  return SQLITE_OK;
}

/* Add slot to the seen set; 1 if it was new. Grows the set at half load. */
static int seen_add(ForestSearcher *s, uint32_t slot, uint32_t *n_seen, int *is_new){
  uint32_t h;
  if( (*n_seen+1)*2 > s->seen_mask+1 ){
    uint32_t old_mask = s->seen_mask, *old = s->seen, i;
    s->seen = 0;
    if( seen_reset(s, (uint64_t)old_mask+1) ){ s->seen = old; s->seen_mask = old_mask; return SQLITE_NOMEM; }
    for(i=0; i<=old_mask; i++){
      if( old[i] ){
        for(h=hash_slot(old[i]-1) & s->seen_mask; s->seen[h]; h=(h+1) & s->seen_mask){}
        s->seen[h] = old[i];
      }
    }
    sqlite3_free(old);
  }
  for(h=hash_slot(slot) & s->seen_mask; s->seen[h]; h=(h+1) & s->seen_mask){
    if( s->seen[h]==slot+1 ){ *is_new = 0; return SQLITE_OK; }
  }
  s->seen[h] = slot+1;
  (*n_seen)++;
  *is_new = 1;
  return SQLITE_OK;
}

/* Queue both children of split n, reached with `priority`: each child's
** priority is the smallest margin on the way to it. */
static int queue_children(Forest *f, ForestSearcher *s, const void *query,
                          ForestNode *n, float priority){
  float m0, m1;
  int side, rc;
  if( is_bit_forest(f) ){
    /* The wrong side of a bit costs one. */
    int bit = (int)vec_element(VEC_BIT, query, (int)n->bit);
    m1 = bit ? priority : priority-1;
    m0 = bit ? priority-1 : priority;
  }else{
    float m = margin_of(f, n, query)*n->scale;
    m1 = priority < m ? priority : m;
    m0 = priority < -m ? priority : -m;
  }
  /* Remember children that are in memory: the next query goes straight to
  ** them, without the node table. */
  for(side=0; side<2; side++){
    if( n->child_node[side]==0 ) n->child_node[side] = node_cached(f, n->child[side]);
  }
  if( (rc = queue_push(s, m1, n->child[1], n->child_node[1])) ) return rc;
  return queue_push(s, m0, n->child[0], n->child_node[0]);
}

/* Score leaf n's slots not seen before that accept() takes. They are
** gathered in small batches, their vectors prefetched, then scored: the
** loads overlap instead of each distance waiting for its own cache miss. */
static int score_leaf(Forest *f, ForestSearcher *s, const void *query, const ForestNode *n,
                      int (*accept)(void *ctx, uint32_t slot), void *accept_ctx,
                      uint32_t *n_seen, int64_t *n_scored, char **pzErr){
  int i, rc;
  for(i=0; i<(int)n->count; ){
    const void *vec[32];
    uint32_t slot[32];
    int m = 0, j;
    for(; i<(int)n->count && m<32; i++){
      int is_new;
      if( (rc = seen_add(s, n->slots[i], n_seen, &is_new)) ) return rc;
      if( !is_new ) continue;
      if( (rc = f->io.load_vector(f->io.ctx, n->slots[i], &vec[m], pzErr)) ) return rc;
      if( accept && !accept(accept_ctx, n->slots[i]) ) continue;
      __builtin_prefetch(vec[m]);
      __builtin_prefetch((const char*)vec[m] + 64);
      slot[m++] = n->slots[i];
    }
    for(j=0; j<m; j++) topk_push(&s->top, f->kernel(query, vec[j], f->cfg.dim), slot[j]);
    *n_scored += m;
  }
  return SQLITE_OK;
}

int forest_search(Forest *f, ForestSearcher *s, const void *query, int k,
                  int64_t search_k,
                  int (*accept)(void *ctx, uint32_t slot), void *accept_ctx,
                  char **pzErr){
  int rc, t;
  int64_t n_scored = 0;
  uint64_t steps = 0;
  uint32_t n_seen = 0;

  sqlite3_free(s->top.hits);
  s->top.hits = sqlite3_malloc64((sqlite3_uint64)(k>0 ? k : 1)*sizeof(TopkHit));
  s->top.n = 0;
  s->top.k = k;
  if( s->top.hits==0 ) return SQLITE_NOMEM;
  if( (rc = seen_reset(s, (uint64_t)(search_k < (1<<20) ? search_k : (1<<20)))) ) return rc;
  s->n_queue = 0;
  /* Bit forests count wrong turns down from dim (INFINITY-1 would not). */
  for(t=0; t<f->cfg.n_trees; t++){
    float start = is_bit_forest(f) ? (float)f->cfg.dim : INFINITY;
    if( (rc = queue_push(s, start, (uint32_t)t, 0)) ) return rc;
  }
  while( s->n_queue>0 && n_scored<search_k ){
    float priority;
    uint32_t id;
    ForestNode *n;
    queue_pop(s, &priority, &id, &n);
    if( (rc = walk_step(f, &steps, pzErr)) ) return rc;
    if( n==0 && (rc = forest_node(f, id, &n, pzErr)) ) return rc;
    rc = n->is_split ? queue_children(f, s, query, n, priority)
                     : score_leaf(f, s, query, n, accept, accept_ctx, &n_seen, &n_scored, pzErr);
    if( rc ) return rc;
  }
  topk_sort(&s->top);
  return SQLITE_OK;
}

void forest_searcher_free(ForestSearcher *s){
  sqlite3_free(s->queue);
  sqlite3_free(s->seen);
  sqlite3_free(s->top.hits);
  memset(s, 0, sizeof(*s));
}

/* ---- integrity ------------------------------------------------------------------ */

typedef struct CheckWalk {
  Forest *f;
  int tree;
  const uint8_t *live;
  uint32_t n_slots;
  uint8_t *seen;             /* n_slots flags: found in a leaf of this tree */
  uint8_t *reached;          /* a bit per node: walked to already (any tree) */
  void (*report)(void *ctx, const ForestFinding *finding);
  void *report_ctx;
} CheckWalk;

static void check_report(CheckWalk *w, ForestFault fault, uint32_t leaf, uint32_t slot,
                         uint32_t expected, const char *zMessage){
  ForestFinding x;
  x.fault = fault;
  x.tree = w->tree;
  x.leaf = leaf;
  x.slot = slot;
  x.expected = expected;
  x.zMessage = zMessage;
  w->report(w->report_ctx, &x);
}

/* Each slot of leaf `id`: live, once in the tree, where its vector leads. */
static int check_leaf(CheckWalk *w, uint32_t id, const ForestNode *n, char **pzErr){
  uint32_t i;
  int rc;
  for(i=0; i<n->count; i++){
    uint32_t slot = n->slots[i], leaf;
    const void *v;
    if( slot>=w->n_slots || !w->live[slot] ){
      check_report(w, FOREST_FAULT_FREE_SLOT, id, slot, 0, 0);
      continue;
    }
    if( w->seen[slot] ){
      check_report(w, FOREST_FAULT_TWICE, id, slot, 0, 0);
      continue;
    }
    w->seen[slot] = 1;
    if( (rc = w->f->io.load_vector(w->f->io.ctx, slot, &v, pzErr)) ) return rc;
    if( (rc = forest_descend(w->f, (uint32_t)w->tree, v, &leaf, pzErr)) ) return rc;
    if( leaf!=id ) check_report(w, FOREST_FAULT_WRONG_LEAF, id, slot, leaf, 0);
  }
  return SQLITE_OK;
}

/* Mark node id reached; 1 if it was already. */
static int reach_node(CheckWalk *w, uint32_t id){
  uint8_t bit = (uint8_t)(1u<<(id%8));
  int was = (w->reached[id/8] & bit)!=0;
  w->reached[id/8] |= bit;
  return was;
}

/* Walk tree w->tree depth first, marking the slots of its leaves seen. */
static int check_tree(CheckWalk *w, char **pzErr){
  IdStack todo = { 0, 0, 0 };
  uint32_t id = (uint32_t)w->tree;
  int rc = SQLITE_OK;
  for(;;){
    ForestNode *n;
    char *zErr = 0;
    if( (rc = work_done(w->f, 1, pzErr)) ) break;
    if( reach_node(w, id) ){
      /* Not walked again: a shared node would make the walk exponential. */
      check_report(w, FOREST_FAULT_SHARED, id, 0, 0, 0);
    }else if( (rc = forest_node(w->f, id, &n, &zErr)) ){
      if( (rc & 0xff)!=SQLITE_CORRUPT ){
        if( pzErr ) *pzErr = zErr; else sqlite3_free(zErr);
        break;
      }
      if( zErr==0 ){ rc = SQLITE_NOMEM; break; }
      check_report(w, FOREST_FAULT_NODE, id, 0, 0, zErr);
      sqlite3_free(zErr);
      rc = SQLITE_OK;
    }else if( n->is_split ){
      if( (rc = id_stack_push(&todo, n->child[1])) || (rc = id_stack_push(&todo, n->child[0])) ) break;
    }else if( (rc = check_leaf(w, id, n, pzErr)) ){
      break;
    }
    if( todo.n==0 ) break;
    id = todo.id[--todo.n];
  }
  sqlite3_free(todo.id);
  return rc;
}

int forest_check(Forest *f, const uint8_t *live, uint32_t n_slots,
                 void (*report)(void *ctx, const ForestFinding *finding), void *report_ctx,
                 char **pzErr){
  CheckWalk w;
  uint32_t i;
  int rc = SQLITE_OK;
  memset(&w, 0, sizeof(w));
  w.f = f;
  w.live = live;
  w.n_slots = n_slots;
  w.report = report;
  w.report_ctx = report_ctx;
  w.seen = sqlite3_malloc64(n_slots ? n_slots : 1);
  w.reached = sqlite3_malloc64((sqlite3_uint64)f->n_nodes/8 + 1);
  if( w.seen==0 || w.reached==0 ){ rc = SQLITE_NOMEM; goto done; }
  memset(w.reached, 0, (size_t)f->n_nodes/8 + 1);
  for(w.tree=0; w.tree<f->cfg.n_trees; w.tree++){
    memset(w.seen, 0, n_slots);
    if( (rc = check_tree(&w, pzErr)) ) break;
    for(i=0; i<n_slots; i++){
      if( live[i] && !w.seen[i] ) check_report(&w, FOREST_FAULT_UNREACHABLE, 0, i, 0, 0);
    }
  }
done:
  sqlite3_free(w.seen);
  sqlite3_free(w.reached);
  return rc;
}
