/*
** search.h — the work of `imgsearch search` (cmd_search.c), also used by
** `report` (cmd_report.c) and the REPL's .search.
*/
#ifndef IMGSEARCH_SEARCH_H
#define IMGSEARCH_SEARCH_H
#include <sqlite3.h>

#include "copy_tier.h"
#include "db.h"
#include "output.h"

/* The work of `search` for one query (also used by .search). */
typedef struct SearchOptions {
  int k;
  int verify;           /* re-rank a shortlist with img_match */
  int shortlist;        /* candidates for --verify */
  int stats;            /* print each query's times (SearchTimes) */
  OutputMode mode;
} SearchOptions;

/* The command lines of `search` and `report`, which share their options
** (search also takes --format, report -o FILE). */
typedef struct SearchCommand {
  SearchOptions o;
  int help;             /* -h or --help was given */
  const char *zDb;
  char **queries;       /* malloc'd array of argv pointers */
  int n_query;
  const char *zOutput;  /* report's -o FILE */
} SearchCommand;

/* The body of `imgsearch search` and `imgsearch report`: parse the command
** line (zCommand is "search" or "report"), print zUsage for --help or a
** usage error, open the database and call run.  Returns the EXIT_* code. */
int search_command_main(const char *zCommand, const char *zUsage, int argc,
                        char **argv,
                        int (*run)(sqlite3 *db, const SearchCommand *c));

/* Search every query path; prints per mode.  EXIT_* code. */
int search_run(sqlite3 *db, const SearchOptions *o, int n_query, char **queries);

/* One query at a time, for callers that lay results out themselves
** (cmd_report.c).  search_prepare: EXIT_OK, or EXIT_ERROR with the reason
** printed (no index yet, or a statement failed) and s finalized;
** search_finalize is safe on a zeroed or half-prepared struct. */
typedef struct SearchHit {
  sqlite3_int64 id;
  char *zPath;          /* malloc'd */
  double score;         /* without words: the cosine similarity; with
                        ** words: search_words.c; 1 = same */
  CopyMatch match;      /* inliers with verify, or words; with words
                        ** also the geometry (H maps the query's pixels
                        ** to this image's) */
  double confidence;    /* words: that it is a copy (copy_tier.h); else 0 */
  CopyImage image;      /* words: its size and features, as indexed */
} SearchHit;
typedef struct SearchTimes {   /* seconds */
  double read;              /* reading and hashing the query file */
  double sift;              /* img_sift (0 when the stored blob was used) */
  int stored;               /* the file is in the database: its sift blob used */
  double vlad, words, nearest, verify;
  double sift_cpu, total_cpu; /* this thread's CPU time: img_sift, the query */
} SearchTimes;
typedef struct SearchStatements {
  SearchTimes times;        /* of the last search_one */
  sqlite3_stmt *sift;       /* ?1 image bytes -> sift blob */
  sqlite3_stmt *vlad;       /* ?1 sift -> vector */
  sqlite3_stmt *nearest;    /* ?1 vector, ?2 k -> id, distance, path */
  sqlite3_stmt *match;      /* ?1 sift, ?2 image id -> inliers */
  sqlite3_stmt *stored;     /* ?1 hash, ?2 size -> sift already in DB */
  DbModel model;            /* bound to vlad and words */
  int has_words;            /* the database has image_words: search_words */
  sqlite3_stmt *words;      /* ?1 sift -> words, mirror words */
  sqlite3_stmt *words_near[2]; /* ?1 sift -> words with SEARCH_VERIFY_NEAR
                            ** words a feature, as is / mirrored */
  sqlite3_stmt *shortlist;  /* ?1 words, ?2 mirror words, ?3 k -> id, score, mirrored */
  sqlite3_stmt *words_match;/* ?1 words, ?2 id, ?3 vector -> match json, path,
                            ** cosine, features, width, height */
  sqlite3_stmt *words_match_near; /* ?1 words, ?2 id -> match json */
  int has_thumbs;           /* the database has the thumbs table (thumbs.h) */
  sqlite3_stmt *thumb;      /* THUMBS_QUERY_SQL: the query's, if featureless */
  sqlite3_stmt *thumbs;     /* THUMBS_NEAREST_SQL */
} SearchStatements;
int search_prepare(sqlite3 *db, SearchStatements *s);
void search_finalize(SearchStatements *s);

/* Search for the image file zQuery.  SQLITE_OK with *p_hits filled
** (malloc'd, *p_n_hit hits, each zPath malloc'd; search_hits_free), or an
** error code with the reason in *pzErr (sqlite3_mprintf'd, the caller
** frees it; NULL when out of memory: search_error_text gives the text). */
int search_one(sqlite3 *db, SearchStatements *s, const SearchOptions *o,
               const char *zQuery, SearchHit **p_hits, int *p_n_hit, char **pzErr);
void search_hits_free(SearchHit *hits, int n_hit);
/* qsort order of hits: by inliers, then score, then id. */
int search_hit_compare(const void *a, const void *b);
/* An error code and *pzErr = db's message (the convention of search_one). */
int search_db_error(sqlite3 *db, char **pzErr);

/* ---- search_words.c: the first stage with visual words ---- */
#define SEARCH_WORDS_SHORTLIST 200  /* candidates from image_words */
#define SEARCH_VLAD_NEIGHBOURS 10   /* and from image_vectors */
#define SEARCH_VERIFY_NEAR     5    /* words a query feature in the second try */
#define SEARCH_NEAR_RETRIES    20   /* of the best by words (and every VLAD
                                    ** neighbour) that get the second try */

/* One query: its words as is and mirrored (img_words values), its sift
** blob (NULL: no second try with several words a feature), its VLAD
** vector (NULL: no neighbours, cosine 0), and how many candidates to take
** from each index. */
typedef struct SearchWordsQuery {
  sqlite3_value *words, *mirror, *vector;
  const unsigned char *sift;
  int n_sift;
  CopyImage image;      /* the query's size and features (the confidence) */
  int n_words, n_vlad;
} SearchWordsQuery;

/* The candidates of q, verified and ranked: *p_hits (malloc'd, *p_n_hit;
** search_hits_free). */
int search_words_rank(sqlite3 *db, SearchStatements *s, const SearchWordsQuery *q,
                      SearchHit **p_hits, int *p_n_hit, char **pzErr);
/* The same for a sift blob (the words made with the stored vocabulary). */
int search_words(sqlite3 *db, SearchStatements *s, const unsigned char *sift, int n_sift,
                 sqlite3_value *vector, SearchHit **p_hits, int *p_n_hit, char **pzErr);
/* What to tell the user about a failed search_one: zErr, or rc's text. */
const char *search_error_text(int rc, const char *zErr);

#endif /* IMGSEARCH_SEARCH_H */
