/*
** postings.h — the posting lists of the wordindex table, the postings a
** transaction has not written yet, and the votes a query gathers.
**
** A posting list holds, for one visual word in one segment (a batch of
** documents written together, wordindex_store.c), one entry per feature
** that has the word:
**
**     i64 rowid       the document
**     u32 signature   the feature's Hamming signature (words.h)
**
** little-endian, POSTING_BYTES each, sorted by rowid (a document's entries
** are adjacent, in its features' order).
**
** Contract: plain C over bytes; no database access.  Memory comes from
** sqlite3_malloc64.  Errors follow ext/error.h.
*/
#ifndef IMGSEARCH_POSTINGS_H
#define IMGSEARCH_POSTINGS_H
#include <stddef.h>
#include <stdint.h>
#include "bytes.h"
#include "sqlite_ext.h"

#define POSTING_BYTES 12

/* SQLITE_OK if p[0..n) is a well-formed list (whole entries, rowids
** non-decreasing); else SQLITE_CORRUPT_VTAB. */
int postings_check(const unsigned char *p, size_t n);

static inline sqlite3_int64 postings_rowid(const unsigned char *p, size_t i){
  return (sqlite3_int64)bytes_get_u64(p + i*POSTING_BYTES);
}
static inline uint32_t postings_signature(const unsigned char *p, size_t i){
  return bytes_get_u32(p + i*POSTING_BYTES + 8);
}

/* The list p[0..n) without rowid's entries, in place; the new size. */
size_t postings_remove(unsigned char *p, size_t n, sqlite3_int64 rowid);

/* a and b merged by rowid into out (na + nb bytes of room); a's entries
** first among equal rowids. */
void postings_merge(const unsigned char *a, size_t na, const unsigned char *b, size_t nb,
                    unsigned char *out);

/* ---- pending: postings added in this transaction, not yet written ---------------- */
typedef struct PendingPosting {
  uint32_t word, signature;
  sqlite3_int64 rowid;
  uint32_t order;          /* arrival, to keep a document's features in order */
} PendingPosting;

typedef struct Pending {
  PendingPosting *p;
  size_t n, cap;
} Pending;

int pending_add(Pending *pending, uint32_t word, uint32_t signature, sqlite3_int64 rowid);
/* Drop rowid's postings; returns how many there were. */
size_t pending_remove(Pending *pending, sqlite3_int64 rowid);
/* Sort by word, then rowid, then arrival: the order of the lists to write. */
void pending_sort(Pending *pending);
void pending_clear(Pending *pending);

/* ---- votes -------------------------------------------------------------------------
** A query's votes, by rowid: an open-addressing hash table that grows. */
typedef struct VoteEntry {
  sqlite3_int64 rowid;
  double score;            /* the votes of every query feature */
  double mirror;           /* those of the query's mirror image */
} VoteEntry;

typedef struct Votes {
  VoteEntry *slot;         /* capacity entries, used where used[i] */
  unsigned char *used;
  size_t capacity, count;
} Votes;

void votes_init(Votes *v);
/* Add weight to rowid's score (and to its mirror share when mirror is 1). */
int votes_add(Votes *v, sqlite3_int64 rowid, double weight, int mirror);
void votes_free(Votes *v);

#endif
