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

typedef struct WordIndexHit {
  sqlite3_int64 rowid;
  double score;
  int mirrored;            /* 1: most votes came from the mirror query */
} WordIndexHit;

/* Add rowid with its words blob (n bytes, not yet parsed).  The rowid
** must not be in the table. */
int wordindex_insert(WordIndexStore *s, sqlite3_int64 rowid,
                     const unsigned char *blob, size_t n, char **pzErr);
/* Remove rowid; *found says whether it was there. */
int wordindex_delete(WordIndexStore *s, sqlite3_int64 rowid, int *found, char **pzErr);

/* The k best documents for query (and mirror, when not NULL), best first:
** *hits (sqlite3_malloc64; caller frees), *n_hits <= k. */
int wordindex_search(WordIndexStore *s, const WordsBlob *query, const WordsBlob *mirror,
                     int hamming, int k, WordIndexHit **hits, int *n_hits, char **pzErr);

#endif
