/*
** words.h — visual words: a vocabulary tree (hierarchical k-means on
** RootSIFT, Nistér & Stewénius 2006) that turns each SIFT descriptor into
** a word id, plus a 32-bit Hamming signature of where in its word the
** descriptor lies (Jégou et al. 2008, "Hamming embedding").
**
** A word says two descriptors are roughly alike; the signature tells near
** matches from the rest of the word's cell.  Together they are what an
** inverted file needs: a short posting per feature instead of 128 bytes.
**
** Contract: plain C over arrays; no database access.  Memory comes from
** sqlite3_malloc64 and is released by words_vocab_free.  Errors follow
** ext/error.h.  Deterministic: the same training descriptors give the same
** vocabulary (k-means through vlad.c's seeded trainer).
*/
#ifndef IMGSEARCH_WORDS_H
#define IMGSEARCH_WORDS_H
#include <stddef.h>
#include <stdint.h>

#define WORDS_MAX_BRANCH 256
#define WORDS_MAX_DEPTH  4
#define WORDS_SIGNATURE_BITS 32
#define WORDS_BRANCH         32      /* img_vocab_train's */
#define WORDS_DEFAULT_DEPTH  3       /* 32^3 = 32,768 words */
#define WORDS_SQL_MAX_DEPTH  3       /* 32^4 would be a 560 MB blob */
#define WORDS_TRAIN_MAX_DESCRIPTORS 300000   /* sample, by content hash */

typedef struct WordVocab {
  int branch, depth;
  int64_t words;           /* branch^depth */
  int64_t internal;        /* internal nodes: (branch^depth - 1)/(branch - 1) */
  float *centroids;        /* internal * branch * 128: the children of node
                           ** n are n*branch+1 .. n*branch+branch, and their
                           ** centroids start at n*branch*128 */
  float *projection;       /* WORDS_SIGNATURE_BITS x 128, fixed seed */
} WordVocab;

/* Train a vocabulary of branch^depth words on n descriptors (n rows of
** 128 bytes).  A node with fewer descriptors than branch repeats its
** nearest ones (its extra words stay empty).  Stops with SQLITE_INTERRUPT
** soon after sqlite3_interrupt(db) (db may be NULL: interrupt.h). */
int words_vocab_train(const unsigned char *descriptors, int64_t n, int branch,
                      int depth, sqlite3 *db, WordVocab *out, char **pzErr);
void words_vocab_free(WordVocab *vocab);

/* A trainer that keeps a sample of at most max_samples descriptors chosen
** by a hash of their bytes (sample.h), so the vocabulary does not depend on
** the order they arrive in.  NULL if out of memory. */
typedef struct WordsTrainer WordsTrainer;
WordsTrainer *words_trainer_new(int max_samples);
int words_trainer_add(WordsTrainer *trainer, const unsigned char *descriptors,
                      int count);
int words_trainer_finish(WordsTrainer *trainer, int branch, int depth,
                         sqlite3 *db, WordVocab *out, char **pzErr);
void words_trainer_free(WordsTrainer *trainer);

/* The vocabulary blob (layout at the top of words.c): encode returns a new
** blob (sqlite3_malloc64; caller frees) or NULL if out of memory; parse
** validates one and copies it into *out (zeroed on failure). */
unsigned char *words_vocab_encode(const WordVocab *vocab, size_t *pn);
int words_vocab_parse(const void *data, size_t n, WordVocab *out, char **pzErr);

/* The word and signature of one descriptor (128 bytes). */
void words_quantize(const WordVocab *vocab, const unsigned char *descriptor,
                    uint32_t *word, uint32_t *signature);

/* Up to `near` words of one descriptor, nearest first, with its signature
** in each (multiple assignment, Jégou et al. 2010): the nearest, and the
** next ones whose centroid is at most `ratio` times as far from it.  A
** beam search of width `near` (at most WORDS_MAX_NEAR) down the tree, so
** not always the true nearest leaves.  Returns how many (1..near). */
#define WORDS_MAX_NEAR 8
#define WORDS_NEAR_RATIO 1.2   /* Jégou et al.'s */
int words_quantize_near(const WordVocab *vocab, const unsigned char *descriptor,
                        int near, double ratio, uint32_t *words, uint32_t *signatures);

#endif
