/*
** postings.h — the posting lists of the wordindex table, and the votes a
** query gathers from them.
**
** A posting list holds, for one visual word and one block of
** POSTINGS_BLOCK_DOCS consecutive rowids (block = rowid >> 10), one entry
** per feature of those documents that has the word:
**
**     u16 offset      rowid - block*POSTINGS_BLOCK_DOCS (0 .. 1023)
**     u32 signature   the feature's Hamming signature (words.h)
**
** little-endian, POSTING_BYTES each, sorted by offset (a document's entries
** are adjacent).  Blocks keep the lists short enough to rewrite on every
** insert and delete, and their number (rowids / 1024) bounds the rows a
** query reads per word.
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

#define POSTINGS_BLOCK_SHIFT 10
#define POSTINGS_BLOCK_DOCS  (1 << POSTINGS_BLOCK_SHIFT)
#define POSTING_BYTES        6

#define POSTINGS_BLOCK(rowid)  ((rowid) >> POSTINGS_BLOCK_SHIFT)
#define POSTINGS_OFFSET(rowid) ((int)((rowid) & (POSTINGS_BLOCK_DOCS - 1)))

/* SQLITE_OK if p[0..n) is a well-formed list (whole entries, offsets in
** range and non-decreasing); else SQLITE_CORRUPT_VTAB with a message. */
int postings_check(const unsigned char *p, size_t n, char **pzErr);

/* Entry i of a checked list. */
static inline int postings_offset(const unsigned char *p, size_t i){
  return bytes_get_u16(p + i*POSTING_BYTES);
}
static inline uint32_t postings_signature(const unsigned char *p, size_t i){
  return bytes_get_u32(p + i*POSTING_BYTES + 2);
}

/* A new list (sqlite3_malloc64, *pn its bytes): the checked list p[0..n)
** without the entries of offset, and with n_sig entries for it (sig[]) in
** their place.  n_sig = 0 removes the document; the result may then be
** empty (NULL with *pn = 0 and SQLITE_OK).  SQLITE_NOMEM if out of memory. */
int postings_replace(const unsigned char *p, size_t n, int offset,
                     const uint32_t *sig, int n_sig,
                     unsigned char **out, size_t *pn);

/* ---- votes ------------------------------------------------------------------------
** A query's votes, by rowid: an open-addressing hash table that grows. */
typedef struct VoteEntry {
  sqlite3_int64 rowid;
  double score;            /* the votes of every query feature */
  double mirror;           /* those of the query's mirror image */
} VoteEntry;

typedef struct Votes {
  VoteEntry *slot;         /* capacity entries; rowid 0 with used[i] = 0 */
  unsigned char *used;
  size_t capacity, count;
} Votes;

void votes_init(Votes *v);
/* Add weight to rowid's score (and to its mirror share when mirror is 1). */
int votes_add(Votes *v, sqlite3_int64 rowid, double weight, int mirror);
void votes_free(Votes *v);

#endif
