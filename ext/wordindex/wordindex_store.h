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

/* ---- segments: id, level; and their postings: (segment, word) -> list ---- */
#define WORDINDEX_MAX_LEVEL 64
typedef struct WordIndexSegment { sqlite3_int64 id; int level; } WordIndexSegment;
/* Every segment, by id: *out (sqlite3_malloc64), *pn of them. */
int wordindex_store_segments(WordIndexStore *s, WordIndexSegment **out, int *pn, char **pzErr);
/* A new, empty segment at level. */
int wordindex_store_new_segment(WordIndexStore *s, int level, sqlite3_int64 *id, char **pzErr);
/* Remove a segment and its postings. */
int wordindex_store_drop_segment(WordIndexStore *s, sqlite3_int64 id, char **pzErr);
/* A copy of one list (NULL, *pn 0 when there is none). */
int wordindex_store_postings(WordIndexStore *s, sqlite3_int64 seg, uint32_t word,
                             unsigned char **p, size_t *pn, char **pzErr);
/* n = 0 deletes the row. */
int wordindex_store_put_postings(WordIndexStore *s, sqlite3_int64 seg, uint32_t word,
                                 const unsigned char *p, size_t n, char **pzErr);
/* One segment's lists in word order: next returns SQLITE_ROW with *p
** pointing into the scan until the next call, then SQLITE_DONE. */
typedef struct WordIndexSegScan WordIndexSegScan;
int wordindex_segscan_open(WordIndexStore *s, sqlite3_int64 seg, WordIndexSegScan **out,
                           char **pzErr);
int wordindex_segscan_next(WordIndexSegScan *scan, uint32_t *word,
                           const unsigned char **p, size_t *pn, char **pzErr);
void wordindex_segscan_close(WordIndexSegScan *scan);

/* ---- feature counts: block -> u16 count per offset (0: no document) ---- */
#define WORDINDEX_BLOCK_SHIFT 10
#define WORDINDEX_BLOCK_DOCS  (1 << WORDINDEX_BLOCK_SHIFT)
#define WORDINDEX_BLOCK(rowid)  ((rowid) >> WORDINDEX_BLOCK_SHIFT)
#define WORDINDEX_OFFSET(rowid) ((int)((rowid) & (WORDINDEX_BLOCK_DOCS - 1)))
int wordindex_store_counts(WordIndexStore *s, sqlite3_int64 block,
                           uint16_t counts[WORDINDEX_BLOCK_DOCS], char **pzErr);
int wordindex_store_put_counts(WordIndexStore *s, sqlite3_int64 block,
                               const uint16_t counts[WORDINDEX_BLOCK_DOCS], char **pzErr);

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
