/*
** fuzz_wordindex.c — libFuzzer target: a wordindex table's shadow tables
** damaged, then searches and writes.
**
** At start-up: six textured 128x128 PGM images made in C (the formula of
** tests/cases/11_wordindex.test case 11.0, five seeds, and the mirror
** image of the first), their SIFT features, a vocabulary trained on them
** (img_vocab_train(sift, 2)) and their words blobs (and the words of each
** one's mirror image, for mirror queries).  Three template databases, one
** wordindex table `w` each, are built from them and serialized:
**
**   0 batch      hamming=11: five documents in one transaction (rowids -3,
**                1, 2, 5, 9: two feature-count blocks), then rowid 2
**                deleted (gaps in the one segment's lists)
**   1 levels     hamming=8: seven documents, one per transaction (rowids
**                1..6 and 2000), so the segments are at levels 1,0,0,0;
**                then rowids 2 and 6 deleted
**   2 optimized  hamming=16: as `levels`, then 'optimize': one segment
**
** Every input starts from a fresh copy of one (sqlite3_deserialize).
** Byte 0 picks the template (% 3) and the query image (/ 3 % 6); the rest
** is a list of 8-byte edits of the shadow tables:
**
**   byte 0  edit       see enum below
**   byte 1  shadow     _info, _docs, _segments, _postings, _counts
**   byte 2  row        which row (the Nth by key, wrapping)
**   byte 3  column     which column (or which key column for EDIT_COPY);
**                      for the BLOB edits, the low byte of an offset
**   4..7    value      little-endian; an integer, a length, or (EDIT_BYTE)
**                      byte 4 the value and byte 5 the offset's high byte
**
** Then the workload: searches (k = 5, with the mirror query, LIMIT, the
** default k, k = 1000, k = 0, with a rowid constraint), a scan, rowid
** lookups; INSERT, DELETE, UPDATE of words and of the rowid inside a
** savepoint that is rolled back, and again for real (and a transaction of
** two inserts); 'optimize'; searches again; DROP TABLE.
**
** Any SQL error is an expected answer to damage.  A crash, a sanitizer
** report or a hang is a finding, and so is a broken promise (abort()):
**
**  - every search that succeeds returns at most k rows, distinct rowids,
**    finite scores >= 0, mirrored 0 or 1, best first (score descending,
**    then rowid), whatever the damage;
**  - when the shadow tables are whole (table_is_whole: they say exactly
**    what the documents' own words blobs say — the postings are the
**    documents' features, each document in one segment, the counts and
**    the document count agree, the segments and next_segment are valid),
**    a search for a document's own words must succeed, return only rowids
**    of _docs, and find the document with a score of 1 (0 when every
**    one of its words is in every document: idf 0);
**  - a whole table stays whole through every write statement that
**    succeeds (the module keeps its own invariants).
**
** Built and run by tests/fuzz/run.sh.
*/
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_sql.h"
#include "bytes.h"
#include "image/words_blob.h"

enum {
  EDIT_SET_INT,       /* column = value (as a signed 32-bit integer) */
  EDIT_SET_BYTE,      /* byte (offset) of the row's BLOB = value & 0xff */
  EDIT_SET_U32,       /* the 4 bytes at offset & ~3 of the row's BLOB = value */
  EDIT_RESIZE,        /* the row's BLOB cut or padded to value & 0xfff bytes */
  EDIT_DELETE,        /* delete the row */
  EDIT_COPY,          /* copy the row with key column (column) = value (INSERT OR REPLACE) */
  EDIT_SET_TEXT,      /* column = a short text: type confusion */
  EDIT_QUERY,         /* run a search now */
  EDIT_COUNT
};
#define EDIT_BYTES 8
#define MAX_EDITS  32

typedef struct ShadowTable {
  const char *suffix;
  const char *keys;         /* the primary key columns, for ORDER BY and WHERE (...) = (...) */
  int n_keys;
  const char *key[2];
  const char *columns[3];   /* the columns an edit may set (a 0 ends a shorter list) */
  const char *blob;         /* the BLOB column, or NULL */
  const char *all;          /* every column, in order, for EDIT_COPY */
} ShadowTable;

static const ShadowTable shadows[] = {
  { "info",     "key",       1, { "key", 0 },      { "value", 0 },                 0,      "key, value" },
  { "docs",     "id",        1, { "id", 0 },       { "id", "words", 0 },           "words", "id, words" },
  { "segments", "id",        1, { "id", 0 },       { "id", "level", 0 },           0,      "id, level" },
  { "postings", "seg, word", 2, { "seg", "word" }, { "seg", "word", "data" },      "data", "seg, word, data" },
  { "counts",   "block",     1, { "block", 0 },    { "block", "data", 0 },         "data", "block, data" },
};
#define N_SHADOWS (sizeof(shadows)/sizeof(shadows[0]))

/* ---- the images, their words, the templates ----------------------------------------- */

#define N_IMAGES 6          /* five seeds and the mirror image of the first */
#define SIDE 128

typedef struct Blob { unsigned char *p; int n; } Blob;
static Blob words[N_IMAGES];      /* img_words(sift, vocab) */
static Blob mirror_words[N_IMAGES];   /* img_words(sift, vocab, 1) */

typedef struct TemplateDb { unsigned char *bytes; sqlite3_int64 size; } TemplateDb;
#define N_TEMPLATES 3
static TemplateDb templates[N_TEMPLATES];

static void fail(sqlite3 *db, const char *what){
  fprintf(stderr, "fuzz_wordindex: %s: %s\n", what, db ? sqlite3_errmsg(db) : "");
  abort();
}

/* The PGM of image id (1..5), mirrored when flip: case 11.0's formula. */
static unsigned char *make_pgm(int a, int b, int flip, int *n){
  static const char header[] = "P5 128 128 127\n";
  int h = (int)sizeof(header) - 1, i;
  unsigned char *p = malloc((size_t)h + SIDE*SIDE);
  if( p==0 ) abort();
  memcpy(p, header, (size_t)h);
  for(i=0; i<SIDE*SIDE; i++){
    int x = flip ? SIDE-1 - i%SIDE : i%SIDE, y = i/SIDE;
    int v = (((x/8)*a + (y/8)*b + (x/8)*(y/8)) * 7919) % 97;
    p[h+i] = (unsigned char)(20 + 100*(v > 48));
  }
  *n = h + SIDE*SIDE;
  return p;
}

static Blob copy_column(sqlite3_stmt *st, int i){
  Blob b;
  if( sqlite3_column_type(st, i)!=SQLITE_BLOB ) fail(0, "no words blob");
  b.n = sqlite3_column_bytes(st, i);
  b.p = malloc((size_t)b.n + 1);
  if( b.p==0 ) abort();
  if( b.n ) memcpy(b.p, sqlite3_column_blob(st, i), (size_t)b.n);
  return b;
}

static void build_words(void){
  static const int seed[5][2] = { {31, 17}, {13, 29}, {41, 7}, {23, 37}, {11, 43} };
  sqlite3 *db = fuzz_open_memory();
  sqlite3_stmt *st;
  int i, n;
  if( sqlite3_exec(db, "CREATE TABLE img(id INTEGER PRIMARY KEY, s)", 0, 0, 0) ) fail(db, "img");
  if( sqlite3_prepare_v2(db, "INSERT INTO img VALUES(?1, img_sift(?2, 30))", -1, &st, 0) ) fail(db, "img");
  for(i=0; i<N_IMAGES; i++){
    unsigned char *pgm = make_pgm(seed[i%5][0], seed[i%5][1], i==5, &n);
    sqlite3_bind_int(st, 1, i);
    sqlite3_bind_blob(st, 2, pgm, n, SQLITE_TRANSIENT);
    if( sqlite3_step(st)!=SQLITE_DONE ) fail(db, "img_sift");
    sqlite3_reset(st);
    free(pgm);
  }
  sqlite3_finalize(st);
  if( sqlite3_exec(db, "CREATE TABLE vocab AS SELECT img_vocab_train(s, 2) AS v FROM img WHERE id < 5",
                   0, 0, 0) ) fail(db, "vocabulary");
  if( sqlite3_prepare_v2(db, "SELECT img_words(s, (SELECT v FROM vocab)),"
                         " img_words(s, (SELECT v FROM vocab), 1) FROM img ORDER BY id", -1, &st, 0) ){
    fail(db, "img_words");
  }
  for(i=0; i<N_IMAGES && sqlite3_step(st)==SQLITE_ROW; i++){
    words[i] = copy_column(st, 0);
    mirror_words[i] = copy_column(st, 1);
  }
  if( i<N_IMAGES ) fail(db, "img_words");
  sqlite3_finalize(st);
  sqlite3_close(db);
}

static void must(sqlite3 *db, const char *sql){
  char *zErr = 0;
  if( sqlite3_exec(db, sql, 0, 0, &zErr) ){
    fprintf(stderr, "fuzz_wordindex: template: %s: %s\n", sql, zErr ? zErr : "");
    abort();
  }
}

static void insert_doc(sqlite3 *db, sqlite3_int64 rowid, int image){
  sqlite3_stmt *st;
  if( sqlite3_prepare_v2(db, "INSERT INTO w(rowid, words) VALUES(?1, ?2)", -1, &st, 0) ) fail(db, "insert");
  sqlite3_bind_int64(st, 1, rowid);
  sqlite3_bind_blob(st, 2, words[image].p, words[image].n, SQLITE_STATIC);
  if( sqlite3_step(st)!=SQLITE_DONE ) fail(db, "insert");
  sqlite3_finalize(st);
}

static void build_template(int t){
  sqlite3 *db = fuzz_open_memory();
  static const sqlite3_int64 batch[] = { -3, 1, 2, 5, 9 };
  static const sqlite3_int64 levels[] = { 1, 2, 3, 4, 5, 6, 2000 };
  static const char *const decl[N_TEMPLATES] = { "hamming=11", "hamming=8", "hamming=16" };
  char *sql = sqlite3_mprintf("CREATE VIRTUAL TABLE w USING wordindex(%s)", decl[t]);
  int i;
  must(db, sql);
  sqlite3_free(sql);
  if( t==0 ){
    must(db, "BEGIN");
    for(i=0; i<5; i++) insert_doc(db, batch[i], i);
    must(db, "COMMIT");
    must(db, "DELETE FROM w WHERE rowid = 2");
  }else{
    for(i=0; i<7; i++) insert_doc(db, levels[i], i%N_IMAGES);   /* 2000: image 0 again */
    must(db, "DELETE FROM w WHERE rowid IN (2, 6)");
    if( t==2 ) must(db, "INSERT INTO w(w) VALUES('optimize')");
  }
  templates[t].bytes = sqlite3_serialize(db, "main", &templates[t].size, 0);
  if( templates[t].bytes==0 ) abort();
  sqlite3_close(db);
}

int LLVMFuzzerInitialize(int *argc, char ***argv){
  int t;
  (void)argc; (void)argv;
  fuzz_register_extension();
  build_words();
  for(t=0; t<N_TEMPLATES; t++) build_template(t);
  return 0;
}

static sqlite3 *open_copy(const TemplateDb *template){
  sqlite3 *db = fuzz_open_memory();
  unsigned char *copy = sqlite3_malloc64((sqlite3_uint64)template->size);
  if( copy==0 ) abort();
  memcpy(copy, template->bytes, (size_t)template->size);
  if( sqlite3_deserialize(db, "main", copy, template->size, template->size,
                          SQLITE_DESERIALIZE_FREEONCLOSE|SQLITE_DESERIALIZE_RESIZEABLE) ){
    abort();
  }
  return db;
}

typedef struct Entry { sqlite3_int64 rowid, seg; uint32_t word, sig; } Entry;
typedef struct Doc { sqlite3_int64 rowid; Blob words; int count; } Doc;

typedef struct Whole {
  Entry *expect, *post;      /* from the documents' blobs; from _postings */
  size_t n_expect, n_post, cap_expect, cap_post;
  Doc *doc;
  int n_doc, cap_doc;
  sqlite3_int64 docs;        /* _info's count */
} Whole;

static const Doc *find_doc(const Whole *w, sqlite3_int64 rowid);

/* ---- the promises ------------------------------------------------------------------- */

static void broken(const char *fmt, ...){
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "fuzz_wordindex: broken promise: ");
  vfprintf(stderr, fmt, ap);
  fprintf(stderr, "\n");
  va_end(ap);
  abort();
}

/* One search, SELECT rowid, score, mirrored, words FROM w WHERE words MATCH
** ?1 <where> (?2 the mirror query), with the checks that hold whatever the
** damage.  With whole (a whole table's documents): every rowid must be
** one of them, and *found_score = the score of rowid `find` (NAN if
** absent).  Returns the result code of the last step. */
static int search(sqlite3 *db, const char *where, int k, const Blob *q, const Blob *m,
                  const Whole *whole, sqlite3_int64 find, double *found_score){
  sqlite3_stmt *st = fuzz_prepare(db, "SELECT rowid, score, mirrored, words FROM w"
                                  " WHERE words MATCH ?1 %s", where);
  sqlite3_int64 seen[1001];
  double last = 0;
  int rc, rows = 0, i;
  if( whole ) *found_score = NAN;
  if( st==0 ) return SQLITE_ERROR;
  sqlite3_bind_blob(st, 1, q->p, q->n, SQLITE_STATIC);
  if( m ) sqlite3_bind_blob(st, 2, m->p, m->n, SQLITE_STATIC);
  while( (rc = sqlite3_step(st))==SQLITE_ROW ){
    sqlite3_int64 rowid = sqlite3_column_int64(st, 0);
    double score = sqlite3_column_double(st, 1);
    int mirrored = sqlite3_column_int(st, 2);
    sqlite3_column_blob(st, 3);
    if( rows>=k ) broken("more than k = %d rows (%s)", k, where);
    if( sqlite3_column_type(st, 1)!=SQLITE_FLOAT || !isfinite(score) || score<0 ){
      broken("score %g of rowid %lld (%s)", score, (long long)rowid, where);
    }
    if( mirrored!=0 && mirrored!=1 ) broken("mirrored = %d (%s)", mirrored, where);
    if( rows>0 && (score>last || (score==last && rowid<=seen[rows-1])) ){
      broken("rowid %lld (score %.17g) after rowid %lld (score %.17g): not best first (%s)",
             (long long)rowid, score, (long long)seen[rows-1], last, where);
    }
    for(i=0; i<rows; i++){
      if( seen[i]==rowid ) broken("rowid %lld twice (%s)", (long long)rowid, where);
    }
    seen[rows++] = rowid;
    if( whole && find_doc(whole, rowid)==0 ){
      broken("the table is whole, but a search returns rowid %lld, not in w_docs", (long long)rowid);
    }
    if( whole && rowid==find ) *found_score = score;
    last = score;
  }
  sqlite3_finalize(st);
  return rc;
}

static void searches(sqlite3 *db, const Blob *q, const Blob *m){
  search(db, "AND k = 5", 5, q, m, 0, 0, 0);
  search(db, "AND mirror = ?2 AND k = 3", 3, q, m, 0, 0, 0);
  search(db, "ORDER BY score DESC LIMIT 2", 2, q, m, 0, 0, 0);
  search(db, "", 10, q, m, 0, 0, 0);
  search(db, "AND mirror = ?2 AND k = 1000", 1000, q, m, 0, 0, 0);
  search(db, "AND k = 0", 0, q, m, 0, 0, 0);
  search(db, "AND k = 4 AND rowid IN (1, 3, 5, 2000)", 4, q, m, 0, 0, 0);
}

/* ---- is the table whole? ------------------------------------------------------------ */

static void entry_push(Entry **e, size_t *n, size_t *cap, Entry x){
  if( *n==*cap ){
    *cap = *cap ? 2 * *cap : 256;
    *e = realloc(*e, sizeof(**e) * *cap);
    if( *e==0 ) abort();
  }
  (*e)[(*n)++] = x;
}

static int by_word_rowid(const void *a, const void *b){
  const Entry *x = a, *y = b;
  if( x->word!=y->word ) return x->word<y->word ? -1 : 1;
  if( x->rowid!=y->rowid ) return x->rowid<y->rowid ? -1 : 1;
  if( x->sig!=y->sig ) return x->sig<y->sig ? -1 : 1;
  return 0;
}

static int by_rowid_seg(const void *a, const void *b){
  const Entry *x = a, *y = b;
  if( x->rowid!=y->rowid ) return x->rowid<y->rowid ? -1 : 1;
  return x->seg<y->seg ? -1 : x->seg>y->seg;
}

static void whole_free(Whole *w){
  int i;
  for(i=0; i<w->n_doc; i++) free(w->doc[i].words.p);
  free(w->doc);
  free(w->expect);
  free(w->post);
  memset(w, 0, sizeof(*w));
}

static const Doc *find_doc(const Whole *w, sqlite3_int64 rowid){
  int lo = 0, hi = w->n_doc;     /* w->doc is sorted by rowid */
  while( lo<hi ){
    int mid = (lo + hi)/2;
    if( w->doc[mid].rowid==rowid ) return &w->doc[mid];
    if( w->doc[mid].rowid<rowid ) lo = mid + 1; else hi = mid;
  }
  return 0;
}

static int read_info(sqlite3 *db, Whole *w, sqlite3_int64 *next_segment){
  sqlite3_stmt *st = fuzz_prepare(db, "SELECT key, value FROM w_info");
  int ok = 1, have = 0;
  if( st==0 ) return 0;
  while( sqlite3_step(st)==SQLITE_ROW ){
    const char *key = (const char*)sqlite3_column_text(st, 0);
    sqlite3_int64 v = sqlite3_column_int64(st, 1);
    int is_int = sqlite3_column_type(st, 1)==SQLITE_INTEGER;
    if( key==0 || sqlite3_column_type(st, 0)!=SQLITE_TEXT ) continue;
    if( strcmp(key, "format")==0 ){ ok &= is_int && v==1; have |= 1; }
    if( strcmp(key, "docs")==0 ){ ok &= is_int; w->docs = v; have |= 2; }
    if( strcmp(key, "next_segment")==0 ){ ok &= is_int && v>=1; *next_segment = v; have |= 4; }
  }
  sqlite3_finalize(st);
  return ok && have==7;
}

static int read_docs(sqlite3 *db, Whole *w){
  sqlite3_stmt *st = fuzz_prepare(db, "SELECT id, words FROM w_docs ORDER BY id");
  int ok = 1, i;
  if( st==0 ) return 0;
  while( ok && sqlite3_step(st)==SQLITE_ROW ){
    WordsBlob b;
    Doc d;
    if( sqlite3_column_type(st, 1)!=SQLITE_BLOB ){ ok = 0; break; }
    d.rowid = sqlite3_column_int64(st, 0);
    d.words = copy_column(st, 1);
    if( words_blob_parse(d.words.p, (size_t)d.words.n, &b, 0)!=SQLITE_OK ){
      free(d.words.p);
      ok = 0;
      break;
    }
    d.count = b.count;
    for(i=0; i<b.count; i++){
      WordFeature f;
      Entry e;
      words_blob_feature(&b, i, &f);
      e.rowid = d.rowid; e.seg = 0; e.word = f.word; e.sig = f.signature;
      entry_push(&w->expect, &w->n_expect, &w->cap_expect, e);
    }
    if( w->n_doc==w->cap_doc ){
      w->cap_doc = w->cap_doc ? 2*w->cap_doc : 16;
      w->doc = realloc(w->doc, sizeof(*w->doc)*(size_t)w->cap_doc);
      if( w->doc==0 ) abort();
    }
    w->doc[w->n_doc++] = d;
  }
  sqlite3_finalize(st);
  return ok && w->docs==w->n_doc;
}

/* The segments: integer levels 0..64, ids below next_segment; the
** postings: in a segment, integer words, BLOBs of whole entries sorted by
** rowid. */
static int read_postings(sqlite3 *db, Whole *w, sqlite3_int64 next_segment){
  sqlite3_stmt *st = fuzz_prepare(db, "SELECT id, level FROM w_segments");
  int ok = 1;
  if( st==0 ) return 0;
  while( ok && sqlite3_step(st)==SQLITE_ROW ){
    sqlite3_int64 level = sqlite3_column_int64(st, 1);
    ok = sqlite3_column_type(st, 1)==SQLITE_INTEGER && level>=0 && level<=64
      && sqlite3_column_int64(st, 0) < next_segment;
  }
  sqlite3_finalize(st);
  if( !ok ) return 0;
  st = fuzz_prepare(db, "SELECT seg, word, data, seg IN (SELECT id FROM w_segments) FROM w_postings");
  if( st==0 ) return 0;
  while( ok && sqlite3_step(st)==SQLITE_ROW ){
    const unsigned char *p = sqlite3_column_blob(st, 2);
    int n = sqlite3_column_bytes(st, 2), i;
    sqlite3_int64 word = sqlite3_column_int64(st, 1);
    if( sqlite3_column_type(st, 0)!=SQLITE_INTEGER || sqlite3_column_type(st, 1)!=SQLITE_INTEGER
     || sqlite3_column_type(st, 2)!=SQLITE_BLOB || !sqlite3_column_int(st, 3)
     || word<0 || word>UINT32_MAX || n%12 ){
      ok = 0;
      break;
    }
    for(i=0; i<n/12; i++){
      Entry e;
      e.rowid = (sqlite3_int64)bytes_get_u64(p + 12*i);
      e.sig = bytes_get_u32(p + 12*i + 8);
      e.word = (uint32_t)word;
      e.seg = sqlite3_column_int64(st, 0);
      if( i>0 && e.rowid < w->post[w->n_post-1].rowid ){ ok = 0; break; }
      entry_push(&w->post, &w->n_post, &w->cap_post, e);
    }
  }
  sqlite3_finalize(st);
  return ok;
}

/* Every block a 2048-byte BLOB; each document's entry its feature count
** (capped), every other entry 0. */
static int read_counts(sqlite3 *db, const Whole *w){
  sqlite3_stmt *st = fuzz_prepare(db, "SELECT block, data FROM w_counts");
  int ok = 1, i, nonzero = 0, counted = 0;
  if( st==0 ) return 0;
  while( ok && sqlite3_step(st)==SQLITE_ROW ){
    const unsigned char *p = sqlite3_column_blob(st, 1);
    sqlite3_int64 block = sqlite3_column_int64(st, 0);
    if( sqlite3_column_type(st, 1)!=SQLITE_BLOB || sqlite3_column_bytes(st, 1)!=2048
     || block < -((sqlite3_int64)1<<53) || block >= ((sqlite3_int64)1<<53) ){
      ok = 0;
      break;
    }
    for(i=0; ok && i<1024; i++){
      int count = bytes_get_u16(p + 2*i);
      const Doc *d;
      if( count==0 ) continue;
      nonzero++;
      d = find_doc(w, block*1024 + i);
      ok = d && count==(d->count<65535 ? d->count : 65535);
    }
  }
  sqlite3_finalize(st);
  for(i=0; i<w->n_doc; i++) counted += w->doc[i].count>0;
  return ok && nonzero==counted;
}

/* The shadow tables say exactly what the documents say (see the header). */
static int table_is_whole(sqlite3 *db, Whole *w){
  sqlite3_int64 next_segment = 0;
  size_t i;
  memset(w, 0, sizeof(*w));
  if( !read_info(db, w, &next_segment) || !read_docs(db, w)
   || !read_postings(db, w, next_segment) || !read_counts(db, w)
   || w->n_post!=w->n_expect ){
    return 0;
  }
  /* one segment per document */
  qsort(w->post, w->n_post, sizeof(Entry), by_rowid_seg);
  for(i=1; i<w->n_post; i++){
    if( w->post[i].rowid==w->post[i-1].rowid && w->post[i].seg!=w->post[i-1].seg ) return 0;
  }
  qsort(w->post, w->n_post, sizeof(Entry), by_word_rowid);
  qsort(w->expect, w->n_expect, sizeof(Entry), by_word_rowid);
  for(i=0; i<w->n_post; i++){
    if( by_word_rowid(&w->post[i], &w->expect[i])!=0 ) return 0;
  }
  return 1;
}

/* How many documents have word (w->expect sorted by word, rowid). */
static sqlite3_int64 document_frequency(const Whole *w, uint32_t word){
  size_t lo = 0, hi = w->n_expect;
  sqlite3_int64 df = 0;
  while( lo<hi ){
    size_t mid = (lo + hi)/2;
    if( w->expect[mid].word<word ) lo = mid + 1; else hi = mid;
  }
  for(; lo<w->n_expect && w->expect[lo].word==word; lo++){
    if( lo==0 || w->expect[lo-1].word!=word || w->expect[lo-1].rowid!=w->expect[lo].rowid ) df++;
  }
  return df;
}

/* The promises of a whole table: a search for (up to two) documents' own
** words finds them, with score 1 (or 0 when idf is 0 for every word), and
** only documents; a scan returns the documents. Returns whether it was
** whole. */
static int check_whole(sqlite3 *db, const char *when){
  Whole w;
  int i, checked = 0, whole = table_is_whole(db, &w);
  for(i=0; whole && i<w.n_doc && checked<2; i++){
    const Doc *d = &w.doc[i];
    WordsBlob b;
    double score = NAN, expect = 0;
    int rc, j;
    if( d->count==0 ) continue;
    checked++;
    words_blob_parse(d->words.p, (size_t)d->words.n, &b, 0);
    for(j=0; j<b.count; j++){
      WordFeature f;
      words_blob_feature(&b, j, &f);
      if( document_frequency(&w, f.word) < w.docs ) expect = 1;
    }
    rc = search(db, "AND k = 1000", 1000, &d->words, 0, &w, d->rowid, &score);
    if( rc!=SQLITE_DONE ){
      broken("%s: the table is whole, but a search for rowid %lld's words fails: %s",
             when, (long long)d->rowid, sqlite3_errmsg(db));
    }
    if( !(fabs(score - expect) < 1e-9) ){
      broken("%s: the table is whole, but a search for rowid %lld's words gives it score %.17g"
             " (expected %g)", when, (long long)d->rowid, score, expect);
    }
  }
  if( whole ){
    sqlite3_stmt *st = fuzz_prepare(db, "SELECT rowid FROM w");
    int rows = 0, rc;
    if( st==0 ) fail(db, "prepare");
    while( (rc = sqlite3_step(st))==SQLITE_ROW ){
      if( rows>=w.n_doc || sqlite3_column_int64(st, 0)!=w.doc[rows].rowid ){
        broken("%s: the table is whole, but its scan does not return w_docs' rowids", when);
      }
      rows++;
    }
    if( rc!=SQLITE_DONE || rows!=w.n_doc ){
      broken("%s: the table is whole, but its scan fails or stops early: %s", when, sqlite3_errmsg(db));
    }
    sqlite3_finalize(st);
  }
  whole_free(&w);
  return whole;
}

/* A write: if the table was whole and the statement succeeds, the table
** must be whole after it (checked when no transaction is open: inside
** one, postings wait in memory).  *whole is updated. */
static void write_sql(sqlite3 *db, int *whole, const char *what, const Blob *q, const char *sql){
  sqlite3_stmt *st = fuzz_prepare(db, "%s", sql);
  int rc = SQLITE_ERROR, after;
  if( st && q ) sqlite3_bind_blob(st, 1, q->p, q->n, SQLITE_STATIC);
  if( st ) rc = fuzz_finish(st, 1);
  if( !sqlite3_get_autocommit(db) ) return;
  after = check_whole(db, what);
  if( rc==SQLITE_DONE && *whole && !after ){
    broken("the table was whole and `%s` succeeded, but it is not whole after", sql);
  }
  *whole = after;
}

/* ---- edits ------------------------------------------------------------------------- */

static int32_t edit_value(const uint8_t *e){
  return (int32_t)((uint32_t)e[4] | (uint32_t)e[5]<<8 | (uint32_t)e[6]<<16 | (uint32_t)e[7]<<24);
}

/* The key of the Nth row of a shadow table, wrapping (n_keys values,
** protected copies); 0 if it is empty. */
static int nth_key(sqlite3 *db, const ShadowTable *sh, int n, sqlite3_value *key[2]){
  int i, found = 0;
  sqlite3_stmt *st = fuzz_prepare(db,
    "SELECT %s FROM w_%s ORDER BY %s LIMIT 1 OFFSET ?1 %% max(1, (SELECT count(*) FROM w_%s))",
    sh->keys, sh->suffix, sh->keys, sh->suffix);
  if( st==0 ) return 0;
  sqlite3_bind_int(st, 1, n);
  if( sqlite3_step(st)==SQLITE_ROW ){
    for(i=0; i<sh->n_keys; i++) key[i] = sqlite3_value_dup(sqlite3_column_value(st, i));
    found = 1;
  }
  sqlite3_finalize(st);
  return found;
}

/* head + " WHERE (k1, k2) = (?1, ?2)", the key bound; the statement's
** other parameter is ?3.  head is sqlite3_free'd. */
static sqlite3_stmt *prepare_keyed(sqlite3 *db, const ShadowTable *sh, sqlite3_value *key[2],
                                   char *head){
  sqlite3_stmt *st;
  int i;
  if( head==0 ) abort();
  st = fuzz_prepare(db, "%s WHERE (%s) = (%s)", head, sh->keys, sh->n_keys==2 ? "?1, ?2" : "?1");
  sqlite3_free(head);
  for(i=0; st && i<sh->n_keys; i++) sqlite3_bind_value(st, i+1, key[i]);
  return st;
}

static sqlite3_stmt *prepare_set(sqlite3 *db, const ShadowTable *sh, sqlite3_value *key[2],
                                 const char *column){
  return prepare_keyed(db, sh, key, sqlite3_mprintf("UPDATE w_%s SET \"%w\" = ?3", sh->suffix, column));
}

static unsigned char *read_blob(sqlite3 *db, const ShadowTable *sh, sqlite3_value *key[2], int *n){
  unsigned char *copy = 0;
  sqlite3_stmt *st = prepare_keyed(db, sh, key,
      sqlite3_mprintf("SELECT CAST(\"%w\" AS BLOB) FROM w_%s", sh->blob, sh->suffix));
  *n = 0;
  if( st==0 ) return 0;
  if( sqlite3_step(st)==SQLITE_ROW ){
    *n = sqlite3_column_bytes(st, 0);
    copy = malloc((size_t)*n + 4);
    if( copy==0 ) abort();
    if( *n ) memcpy(copy, sqlite3_column_blob(st, 0), (size_t)*n);
  }
  sqlite3_finalize(st);
  return copy;
}

static void apply_edit(sqlite3 *db, const uint8_t *e, const Blob *q){
  const ShadowTable *sh = &shadows[e[1] % N_SHADOWS];
  int ncol = 0, value = edit_value(e), n = 0, edit = e[0] % EDIT_COUNT, i;
  sqlite3_value *key[2] = { 0, 0 };
  sqlite3_stmt *st = 0;
  unsigned char *blob;
  const char *column;

  if( edit==EDIT_QUERY ){
    search(db, "AND k = 3", 3, q, 0, 0, 0, 0);
    return;
  }
  while( ncol<3 && sh->columns[ncol] ) ncol++;
  column = sh->columns[e[3] % ncol];
  if( !nth_key(db, sh, e[2], key) ) return;
  switch( edit ){
    case EDIT_SET_INT:
      if( (st = prepare_set(db, sh, key, column)) ){
        sqlite3_bind_int(st, 3, value);
      }
      break;
    case EDIT_SET_BYTE:
    case EDIT_SET_U32:
    case EDIT_RESIZE:
      if( sh->blob && (blob = read_blob(db, sh, key, &n)) ){
        int len = n, at = e[3] | e[5]<<8;
        if( edit==EDIT_SET_BYTE ){
          if( n>0 ) blob[at % n] = e[4];
        }else if( edit==EDIT_SET_U32 ){
          if( n>=4 ){
            at = (at % n) & ~3;
            if( at+4>n ) at = n - 4;
            bytes_put_u32(blob + at, (uint32_t)value);
          }
        }else{
          len = value & 0xfff;
          if( len>n ){
            unsigned char *grown = realloc(blob, (size_t)len);
            if( grown==0 ) abort();
            blob = grown;
            memset(blob + n, e[3], (size_t)(len - n));
          }
        }
        if( (st = prepare_set(db, sh, key, sh->blob)) ){
          sqlite3_bind_blob(st, 3, blob, len, SQLITE_TRANSIENT);
        }
        free(blob);
      }
      break;
    case EDIT_DELETE:
      st = prepare_keyed(db, sh, key, sqlite3_mprintf("DELETE FROM w_%s", sh->suffix));
      break;
    case EDIT_COPY: {
      /* the row again, with one key column set to value */
      const char *k = sh->key[e[3] % sh->n_keys], *at = strstr(sh->all, k);
      st = prepare_keyed(db, sh, key, sqlite3_mprintf(
          "INSERT OR REPLACE INTO w_%s(%s) SELECT %.*s?3%s FROM w_%s", sh->suffix, sh->all,
          (int)(at - sh->all), sh->all, at + strlen(k), sh->suffix));
      if( st ) sqlite3_bind_int(st, 3, value);
      break;
    }
    case EDIT_SET_TEXT:
      if( (st = prepare_set(db, sh, key, column)) ){
        sqlite3_bind_text(st, 3, value & 1 ? "12" : "x", -1, SQLITE_STATIC);
      }
      break;
  }
  if( st ) fuzz_finish(st, 1);
  for(i=0; i<2; i++) sqlite3_value_free(key[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size){
  const Blob *q, *m, *other;
  sqlite3 *db;
  size_t i;
  int whole;
  if( size<1 || size>1 + MAX_EDITS*EDIT_BYTES ) return 0;
  db = open_copy(&templates[data[0] % N_TEMPLATES]);
  q = &words[data[0] / N_TEMPLATES % N_IMAGES];
  m = &mirror_words[data[0] / N_TEMPLATES % N_IMAGES];
  other = &words[(data[0] / N_TEMPLATES + 1) % N_IMAGES];
  for(i=1; i+EDIT_BYTES<=size; i+=EDIT_BYTES) apply_edit(db, data + i, q);

  searches(db, q, m);
  fuzz_exec(db, 100, "SELECT rowid, words FROM w");
  fuzz_exec(db, 1, "SELECT words FROM w WHERE rowid = 3");
  fuzz_exec(db, 1, "SELECT rowid, words FROM w WHERE rowid = 2000");
  whole = check_whole(db, "after the edits");

  fuzz_exec(db, 1, "SAVEPOINT edits");
  write_sql(db, &whole, "in a savepoint", q, "INSERT INTO w(rowid, words) VALUES(1000, ?1)");
  write_sql(db, &whole, "in a savepoint", 0, "DELETE FROM w WHERE rowid = 3");
  write_sql(db, &whole, "in a savepoint", other, "UPDATE w SET words = ?1 WHERE rowid = 4");
  search(db, "AND mirror = ?2 AND k = 5", 5, q, m, 0, 0, 0);
  fuzz_exec(db, 1, "ROLLBACK TO edits");
  write_sql(db, &whole, "after a rollback", 0, "RELEASE edits");

  write_sql(db, &whole, "insert", q, "INSERT INTO w(rowid, words) VALUES(1000, ?1)");
  write_sql(db, &whole, "insert or replace", other, "INSERT OR REPLACE INTO w(rowid, words) VALUES(1, ?1)");
  write_sql(db, &whole, "insert, next rowid", q, "INSERT INTO w(words) VALUES(?1)");
  write_sql(db, &whole, "delete", 0, "DELETE FROM w WHERE rowid IN (3, 5)");
  write_sql(db, &whole, "update words", other, "UPDATE w SET words = ?1 WHERE rowid = 4");
  write_sql(db, &whole, "update rowid", 0, "UPDATE w SET rowid = 3000 WHERE rowid = 1");
  fuzz_exec(db, 1, "BEGIN");
  write_sql(db, &whole, "in a transaction", q, "INSERT INTO w(rowid, words) VALUES(-7, ?1)");
  write_sql(db, &whole, "in a transaction", other, "INSERT INTO w(rowid, words) VALUES(7, ?1)");
  search(db, "AND k = 5", 5, q, m, 0, 0, 0);
  write_sql(db, &whole, "commit", 0, "COMMIT");
  searches(db, q, m);

  write_sql(db, &whole, "optimize", 0, "INSERT INTO w(w) VALUES('optimize')");
  searches(db, q, m);
  fuzz_exec(db, 1, "DROP TABLE w");
  sqlite3_close(db);
  return 0;
}
