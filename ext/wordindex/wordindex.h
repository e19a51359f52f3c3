/*
** wordindex.h — what a wordindex table does with its documents: add one,
** remove one, and find the documents that share most visual words with a
** query (an inverted file: Sivic & Zisserman 2003, with Hamming embedding,
** Jégou et al. 2008).
**
** SCORING.  Each query feature gives each document at most one vote: of
** idf(word)² = log(N / df)², when one of the document's features has the
** same word and a signature at most `hamming` bits away (N documents; df
** of them have the word).  A document's score is its votes divided by
** sqrt(its feature count), scaled so that a document identical to the
** query scores about 1: score = votes x sqrt(n_query) / (sum over the
** query's features of idf² x sqrt(n_doc)).  With a mirror query (the words
** of the query's mirror image) both orientations vote, and `mirrored`
** says which gave most of a document's votes.
**
** WRITES.  An insert writes its document row at once and keeps its
** postings in memory; wordindex_flush (at commit and savepoints, and
** before a search) writes them as one new segment, so a batch of
** documents appends rows instead of rewriting lists all over the b-tree.
** Segments merge in a log-structured way: WORDINDEX_MERGE of one level
** make one of the next, so a collection of N documents in batches of b has
** at most (WORDINDEX_MERGE - 1) x log(N/b) segments, and each posting is
** rewritten once a level.  A delete removes the document's entries from
** every segment at once.  'optimize' merges all segments into one.
**
** Contract: over wordindex_store.h; no SQL of its own.  Errors follow
** ext/error.h: a malformed words blob from the caller is SQLITE_ERROR,
** damage in the tables SQLITE_CORRUPT_VTAB.  The work of a search is
** bounded by the postings of the query's words; every read goes through
** SQLite, so sqlite3_interrupt() stops it at the next row.
*/
#ifndef IMGSEARCH_WORDINDEX_H
#define IMGSEARCH_WORDINDEX_H
#include "image/words_blob.h"
#include "wordindex_store.h"

#define WORDINDEX_DEFAULT_HAMMING 11   /* of WORDS_SIGNATURE_BITS */
#define WORDINDEX_MERGE 4              /* segments of one level merged into one */

/* A table's documents: the store, and the postings added since the last
** flush (kept in memory, so that a transaction's inserts become one
** segment instead of a rewrite of many lists). */
typedef struct WordIndex {
  WordIndexStore *store;
  Pending pending;
} WordIndex;

typedef struct WordIndexHit {
  sqlite3_int64 rowid;
  double score;
  int mirrored;            /* 1: most votes came from the mirror query */
} WordIndexHit;

/* Add rowid with its words blob (n bytes, not yet parsed).  The rowid
** must not be in the table.  Its postings wait in memory for
** wordindex_flush. */
int wordindex_insert(WordIndex *x, sqlite3_int64 rowid,
                     const unsigned char *blob, size_t n, char **pzErr);
/* Remove rowid; *found says whether it was there. */
int wordindex_delete(WordIndex *x, sqlite3_int64 rowid, int *found, char **pzErr);
/* Write the waiting postings as a new segment, then merge every
** WORDINDEX_MERGE segments of one level into one of the next. */
int wordindex_flush(WordIndex *x, char **pzErr);
/* Forget the waiting postings (the transaction rolled back). */
void wordindex_discard(WordIndex *x);
/* Flush, then merge every segment into one (a level above the highest),
** so that a search reads each word with one seek: 'optimize'. */
int wordindex_optimize(WordIndex *x, char **pzErr);

/* The k best documents for query (and mirror, when not NULL), best first:
** *hits (sqlite3_malloc64; caller frees), *n_hits <= k.  Flushes first. */
int wordindex_search(WordIndex *x, const WordsBlob *query, const WordsBlob *mirror,
                     int hamming, int k, WordIndexHit **hits, int *n_hits, char **pzErr);

#endif
