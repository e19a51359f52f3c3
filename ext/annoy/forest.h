/*
** forest.h — an Annoy-style forest of random-projection trees.
**
** Owns: the trees and how they change. Items are dense 32-bit "slots"; the
** vector of a slot, and any node not yet in memory, come from the caller
** through ForestIO, so this module makes no SQLite calls (it uses SQLite's
** allocator and result codes only) and can be tested over plain arrays.
**
** Shape. Nodes are numbered; nodes 0..n_trees-1 are the roots. A node is a
** leaf (a list of slots) or a split: a hyperplane normal.x = threshold (for
** bit vectors: one bit) with two children; slots where normal.x > threshold
** live under child[1], the others under child[0]. The normal is quantised
** to int8 (times a float scale): a split costs dim bytes rather than 4*dim,
** which is what a descent mostly pays for, and for uint8 vectors the side
** test is exact integer arithmetic.
** A child's id is always greater than its parent's (so a corrupt tree cannot
** loop), and every node has one parent. Damaged trees can break the second
** rule (two splits naming one child, or a split both of whose children are
** one node): every walk counts its steps and stops with SQLITE_CORRUPT
** past the number of nodes, so a shared node costs one error, not 2^depth
** steps. The invariant everything relies on: every slot is in exactly one
** leaf of every tree, the leaf its own vector descends to. That lets insert
** and remove work by descent, one leaf per tree, with no parent pointers.
**
** Change. Insert appends to the leaf; a leaf over leaf_size splits in two
** (two-means on its items, as Annoy does at build time). A leaf whose items
** cannot be separated (duplicates) grows instead, and tries again when its
** size reaches the next power of two. Remove deletes from the leaf; empty
** leaves stay until a rebuild. forest_build() makes every tree from scratch.
**
** Determinism. Split randomness is seeded by (seed, node id, attempt), and
** float sums run in a fixed order (build with -ffp-contract=off), so the
** same operations give the same bytes anywhere.
**
** Dirty nodes. Every node created or changed is listed as dirty until the
** caller has written it out (forest_dirty_*).
**
** Errors (ext/error.h): every call that can fail returns an SQLite result
** code with the message in *pzErr. Damage the forest finds in its trees is
** SQLITE_CORRUPT with a message naming the node; a ForestIO callback's
** failure comes back as the callback gave it, code and message unchanged.
*/
#ifndef IMGSEARCH_FOREST_H
#define IMGSEARCH_FOREST_H
#include <stdint.h>
#include "distance.h"
#include "topk.h"

/* A growable stack of node ids, for walking trees without recursion. */
typedef struct IdStack { uint32_t *id; uint32_t n, alloc; } IdStack;
int id_stack_push(IdStack *s, uint32_t id);   /* SQLITE_OK or SQLITE_NOMEM */

typedef struct ForestConfig {
  VecType type;
  Metric metric;
  int dim;
  int n_trees;
  int leaf_size;
  uint64_t seed;
} ForestConfig;

typedef struct ForestNode {
  uint8_t is_split;
  uint8_t is_dirty;
  /* split */
  uint32_t child[2];
  struct ForestNode *child_node[2];  /* children once looked up: a node's
                         ** address never changes while the forest is open
                         ** (a leaf becomes a split in place) */
  uint32_t bit;          /* bit vectors: the bit tested */
  float scale;           /* the hyperplane is scale*normal.x = scale*threshold */
  float threshold;
  int8_t *normal;        /* dim values, in the same allocation (leaves too,
                         ** so that a leaf can become a split); NULL for bit */
  /* leaf */
  uint32_t count, alloc;
  uint32_t *slots;       /* separate allocation, grows */
} ForestNode;

/* Storage, as the caller provides it. Each callback returns an SQLite
** result code, with its message in *pzErr, as every call here does. */
typedef struct ForestIO {
  void *ctx;
  /* Read node id from storage into a new node (forest_node_new). */
  int (*load_node)(void *ctx, uint32_t id, ForestNode **out, char **pzErr);
  /* Point *out at the vector of a live slot. The pointer must stay valid
  ** for the rest of the forest call that asked (a search holds many). */
  int (*load_vector)(void *ctx, uint32_t slot, const void **out, char **pzErr);
  /* May be NULL. Called now and then during long work (a search, a check,
  ** a build): SQLITE_OK to go on, or a code (SQLITE_INTERRUPT) and message
  ** to stop with. */
  int (*interrupted)(void *ctx, char **pzErr);
} ForestIO;

typedef struct Forest {
  ForestConfig cfg;
  ForestIO io;
  DistanceKernel kernel;
  ForestNode **node;     /* node[id] for id < node_alloc; NULL until loaded */
  uint32_t n_nodes, node_alloc;
  uint32_t work;         /* work since the last io.interrupted call */
  IdStack dirty;         /* ids of dirty nodes (dirty.id[0..dirty.n)) */
  float *scratch;        /* 4*dim floats for splits */
  uint32_t *leaf_scratch; /* n_trees leaf ids for insert and remove */
  ForestNode **walk_scratch; /* n_trees nodes, the same walk */
  uint8_t *side_buf[2];  /* which side each item of a leaf being split is on */
  uint32_t side_alloc;
} Forest;

/* Open a forest of n_nodes stored nodes (0 = new: empty roots, dirty). */
int forest_open(Forest *f, const ForestConfig *cfg, const ForestIO *io, uint32_t n_nodes,
                char **pzErr);
void forest_close(Forest *f);

int forest_insert(Forest *f, uint32_t slot, const void *vec, char **pzErr);
int forest_remove(Forest *f, uint32_t slot, const void *vec, char **pzErr);
/* Replace every tree by one built top-down over these slots. */
int forest_build(Forest *f, const uint32_t *slots, uint32_t n, char **pzErr);

/* The leaf of tree `root` that vec descends to. */
int forest_descend(Forest *f, uint32_t root, const void *vec, uint32_t *leaf, char **pzErr);
/* Get node id (loading it if needed). */
int forest_node(Forest *f, uint32_t id, ForestNode **out, char **pzErr);
ForestNode *forest_node_new(const ForestConfig *cfg, int is_split, uint32_t count);
void forest_node_free(ForestNode *n);

/* Dirty nodes: ids to write out, then forest_dirty_clear(). */
void forest_dirty_clear(Forest *f);

/* Query state, kept apart from the index (one per concurrent query). */
typedef struct ForestSearcher {
  struct { float priority; uint32_t id; ForestNode *node; } *queue;  /* node: NULL until known */
  int n_queue, queue_alloc;
  uint32_t *seen;        /* open-addressing set of slots, 0 = empty */
  uint32_t seen_mask;
  Topk top;
} ForestSearcher;

/* Return the k best slots by score (best first in top.hits after the call),
** visiting leaves in order of margin until search_k distinct accepted slots
** have been scored or the forest is exhausted. accept may be NULL. */
int forest_search(Forest *f, ForestSearcher *s, const void *query, int k,
                  int64_t search_k,
                  int (*accept)(void *ctx, uint32_t slot), void *accept_ctx,
                  char **pzErr);
void forest_searcher_free(ForestSearcher *s);

/* ---- integrity ----------------------------------------------------------
** forest_check walks every tree and reports each way it breaks the
** invariant (every live slot in exactly one leaf of every tree, the one its
** vector descends to), tree by tree, through report(). A node that cannot
** be read (SQLITE_CORRUPT from the forest or its ForestIO) is a finding,
** and the walk goes on without it; any other failure ends the check with
** its code. */
typedef enum ForestFault {
  FOREST_FAULT_NODE = 1,   /* node `leaf` cannot be read: zMessage says why */
  FOREST_FAULT_FREE_SLOT,  /* leaf `leaf` holds `slot`, which is not live */
  FOREST_FAULT_TWICE,      /* `slot` is in a second leaf (`leaf`) */
  FOREST_FAULT_WRONG_LEAF, /* `slot` is in `leaf`, its vector leads to `expected` */
  FOREST_FAULT_UNREACHABLE, /* live `slot` is in no leaf of the tree */
  FOREST_FAULT_SHARED      /* node `leaf` is reached a second time (not walked again) */
} ForestFault;

typedef struct ForestFinding {
  ForestFault fault;
  int tree;
  uint32_t leaf, slot, expected;
  const char *zMessage;    /* FOREST_FAULT_NODE only; valid during the call */
} ForestFinding;

/* live[slot] is nonzero for the n_slots slots that hold a vector. */
int forest_check(Forest *f, const uint8_t *live, uint32_t n_slots,
                 void (*report)(void *ctx, const ForestFinding *finding), void *report_ctx,
                 char **pzErr);
#endif
