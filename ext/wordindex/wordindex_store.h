/*
** wordindex_store.h — the shadow tables of a wordindex table, and the only
** code that reads or writes them (layout: wordindex_store.c).
**
** Contract: every function returns an SQLite result code with its message
** in *pzErr (ext/error.h).  Blobs handed out are checked (damaged rows are
** SQLITE_CORRUPT_VTAB naming the table) and are the caller's to
** sqlite3_free unless the function says they point into a statement.
*/
#ifndef IMGSEARCH_WORDINDEX_STORE_H
#define IMGSEARCH_WORDINDEX_STORE_H
#include <stddef.h>
#include <stdint.h>
#include "sqlite_ext.h"
#include "postings.h"

typedef struct WordIndexStore WordIndexStore;

int wordindex_store_open(sqlite3 *db, const char *schema, const char *name,
                         int create, WordIndexStore **out, char **pzErr);
void wordindex_store_close(WordIndexStore *s);
int wordindex_store_drop(WordIndexStore *s, char **pzErr);
int wordindex_store_rename(WordIndexStore *s, const char *new_name, char **pzErr);
int wordindex_store_is_shadow_name(const char *suffix);

/* ---- documents: rowid -> words blob ---- */
/* *pBlob = a copy of rowid's words blob (NULL, *pn 0 when there is none). */
int wordindex_store_doc(WordIndexStore *s, sqlite3_int64 rowid,
                        unsigned char **pBlob, size_t *pn, char **pzErr);
int wordindex_store_put_doc(WordIndexStore *s, sqlite3_int64 rowid,
                            const unsigned char *blob, size_t n, char **pzErr);
int wordindex_store_delete_doc(WordIndexStore *s, sqlite3_int64 rowid, char **pzErr);
/* The largest rowid (0 for an empty table). */
int wordindex_store_max_rowid(WordIndexStore *s, sqlite3_int64 *out, char **pzErr);
/* How many documents (kept in NAME_info), and its change. */
int wordindex_store_docs(WordIndexStore *s, sqlite3_int64 *out, char **pzErr);
int wordindex_store_add_docs(WordIndexStore *s, int delta, char **pzErr);

/* ---- postings: (word, block) -> posting list (postings.h) ---- */
int wordindex_store_postings(WordIndexStore *s, uint32_t word, sqlite3_int64 block,
                             unsigned char **p, size_t *pn, char **pzErr);
/* n = 0 deletes the row. */
int wordindex_store_put_postings(WordIndexStore *s, uint32_t word, sqlite3_int64 block,
                                 const unsigned char *p, size_t n, char **pzErr);
/* Every block of one word, in block order: begin, then next until it
** returns SQLITE_DONE; *p points into the statement until the next call. */
int wordindex_store_word_begin(WordIndexStore *s, uint32_t word, char **pzErr);
int wordindex_store_word_next(WordIndexStore *s, sqlite3_int64 *block,
                              const unsigned char **p, size_t *pn, char **pzErr);

/* ---- feature counts: block -> u16 count per offset (0: no document) ---- */
int wordindex_store_counts(WordIndexStore *s, sqlite3_int64 block,
                           uint16_t counts[POSTINGS_BLOCK_DOCS], char **pzErr);
int wordindex_store_put_counts(WordIndexStore *s, sqlite3_int64 block,
                               const uint16_t counts[POSTINGS_BLOCK_DOCS], char **pzErr);

/* ---- a scan of every document in rowid order (xFilter without MATCH) ---- */
typedef struct WordIndexScan WordIndexScan;
/* rowid_eq: only that rowid when has_rowid. */
int wordindex_scan_open(WordIndexStore *s, int has_rowid, sqlite3_int64 rowid,
                        WordIndexScan **out, char **pzErr);
/* SQLITE_ROW with the row's rowid and words (pointing into the scan), or
** SQLITE_DONE. */
int wordindex_scan_next(WordIndexScan *scan, sqlite3_int64 *rowid,
                        const unsigned char **blob, size_t *pn, char **pzErr);
void wordindex_scan_close(WordIndexScan *scan);

#endif
