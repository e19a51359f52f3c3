/*
** shell.h — what the files of build/imgsearch share.
**
**   main.c        command dispatch, --help, exit codes
**   db.c          opening a database with the extension, the schema
**   files.c       walking folders, reading files, the content hash
**   progress.c    the progress bar (TTY) or plain progress lines
**   cmd_index.c   `imgsearch index`: workers, the writer, the codebook
**   cmd_search.c  `imgsearch search`
**   cmd_dups.c    `imgsearch dups` (and its -o HTML report)
**   cmd_report.c  `imgsearch report`: search results as an HTML page
**   report_html.c the self-contained HTML contact sheet both write
**   thumbnail.c   grey JPEG thumbnails (the one stb_image_write user)
**   output.c      result tables as table, csv, json or line
**   repl.c        the interactive SQL shell
**
** The extension (ext/) is compiled into this program with -DSQLITE_CORE
** and registered with sqlite3_auto_extension, so every connection the shell
** opens has the annoy table and the img_* functions.  The shell computes
** nothing itself that the extension provides: SIFT, VLAD, codebooks,
** matching and nearest-neighbour search are all SQL calls.
*/
#ifndef IMGSEARCH_SHELL_H
#define IMGSEARCH_SHELL_H
#include <signal.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>

/* Exit codes of every command. */
#define EXIT_OK       0   /* done, nothing failed */
#define EXIT_FAILURES 1   /* done, but some files or queries failed */
#define EXIT_USAGE    2   /* bad command line */
#define EXIT_ERROR    3   /* could not run at all (database, memory) */
#define EXIT_INTERRUPTED 130

/* ---- db.c ---------------------------------------------------------------- */

/* Register the extension for every connection opened afterwards.  Call once,
** before any thread starts. */
int shell_register_extension(void);

/* Open zPath (created if missing) with the schema in place.  On failure
** prints the reason to stderr and returns NULL. */
sqlite3 *shell_open(const char *zPath);

/* Apply sql/schema.sql to db.  SQLITE_OK or an error printed to stderr. */
int shell_ensure_schema(sqlite3 *db);

/* shell_open for commands that only read: a missing zPath is an error
** ("imgsearch zCommand: no such database"), not a new empty database. */
sqlite3 *shell_open_existing(const char *zCommand, const char *zPath);

/* 1 if the database has a codebook and the image_vectors table. */
int shell_has_index(sqlite3 *db);
/* shell_has_index, or 0 after telling the user to run `imgsearch index`. */
int shell_require_index(sqlite3 *db);

/* Print "imgsearch: <what>: <sqlite message>" to stderr. */
void shell_db_error(sqlite3 *db, const char *zWhat);

/* ---- files.c ------------------------------------------------------------- */

typedef struct FileEntry {
  char *zPath;          /* absolute, resolved (malloc'd) */
  int64_t size;
  int64_t mtime_ns;
  char *zError;         /* non-NULL: stat/walk failed for this path */
} FileEntry;

typedef struct FileList {
  FileEntry *a;
  size_t n, nAlloc;
} FileList;

/* 1 if the name ends in a supported image extension (case-insensitive). */
int files_is_image_name(const char *zName);

/* Add zPath (a file or a folder walked recursively) to list.  Files named
** explicitly are added whatever their extension.  Problems (missing paths,
** unreadable folders) become entries with zError set.  Returns 0, or -1 on
** out of memory. */
int files_collect(FileList *list, const char *zPath);

/* Sort by path and drop repeated paths. */
void files_sort_unique(FileList *list);
void files_free(FileList *list);

/* Files larger than this are refused (SQLite BLOBs are at most 2 GB; an
** image this big is over img_sift's pixel limit anyway). */
#define FILES_MAX_BYTES ((size_t)1 << 30)

/* Read a whole file (malloc'd, *pn bytes).  NULL with *pzError (malloc'd
** strerror text) on failure. */
unsigned char *files_read(const char *zPath, size_t *pn, char **pzError);

/* 64-bit FNV-1a of the bytes as 16 lowercase hex digits + NUL. */
void files_hash(const unsigned char *data, size_t n, char zOut[17]);

/* ---- progress.c ---------------------------------------------------------- */

typedef struct Progress Progress;
Progress *progress_start(const char *zLabel, int64_t total, int quiet);
void progress_set_total(Progress *p, int64_t total);
void progress_update(Progress *p, int64_t done, int64_t failed);
void progress_message(Progress *p, const char *zFormat, ...);  /* above the bar */
void progress_finish(Progress *p);

/* ---- output.c ------------------------------------------------------------ */

typedef enum OutputMode {
  OUTPUT_TABLE, OUTPUT_CSV, OUTPUT_JSON, OUTPUT_LINE
} OutputMode;

/* Parse "table", "csv", "json", "line"; -1 if none of these. */
int output_mode_parse(const char *z);

/* 1 if colour escapes may be written to f (a TTY, NO_COLOR unset). */
int output_use_color(FILE *f);

/* A buffered result: column names and rows of cells.  Cells keep their
** SQLite type so JSON writes numbers as numbers. */
typedef struct OutputTable OutputTable;
OutputTable *output_table_new(int nColumn, const char *const *azName);
/* Append a row from values (nColumn of them), e.g. a statement's columns. */
int output_table_add_stmt_row(OutputTable *t, sqlite3_stmt *stmt);
/* Append a row of cells: each a type (SQLITE_TEXT/INTEGER/FLOAT/NULL) and
** a value: "s" text, "i" int64, "f" double, "n" null; e.g. "sif". */
int output_table_add(OutputTable *t, const char *zTypes, ...);
/* Write t to f in mode.  In JSON mode an array of objects. */
void output_table_print(OutputTable *t, FILE *f, OutputMode mode);
int output_table_rows(const OutputTable *t);
void output_table_free(OutputTable *t);
/* Write z as a JSON string literal / a CSV field. */
void output_json_string(FILE *f, const char *z);
void output_csv_field(FILE *f, const char *z);
/* Run every row of stmt through a table and print it; SQLITE_DONE or the
** error code (message left on the connection). */
int output_statement(sqlite3_stmt *stmt, FILE *f, OutputMode mode);

/* ---- thumbnail.c --------------------------------------------------------- */

/* The image file at zPath as a grey JPEG whose longest side is at most
** maxSide, base64-encoded (malloc'd, NUL-terminated); its size in *pWidth,
** *pHeight.  NULL with *pzError (malloc'd) if the file cannot be read or
** decoded. */
char *thumbnail_jpeg_base64(const char *zPath, int maxSide, int *pWidth,
                            int *pHeight, char **pzError);

/* ---- report_html.c ------------------------------------------------------- */

/* A self-contained HTML page (inline CSS, thumbnails as data: URIs, no
** script): a title, then sections, each a row of image cards.  Every text
** written is HTML-escaped. */
typedef struct HtmlReport HtmlReport;
/* Create zPath; NULL with the reason printed to stderr. */
HtmlReport *html_report_open(const char *zPath, const char *zTitle,
                             const char *zSummary);
/* Start a section (ends the previous one); zError non-NULL: a failed
** query, shown instead of cards. */
void html_report_section(HtmlReport *r, const char *zHeading, const char *zError);
/* A card: the thumbnail of zPath, zLabel (e.g. "#1"), zDetail (e.g. the
** score), the path.  isQuery marks the query image. */
void html_report_card(HtmlReport *r, const char *zPath, const char *zLabel,
                      const char *zDetail, int isQuery);
/* Finish and close; EXIT_OK, or EXIT_ERROR with the reason printed. */
int html_report_close(HtmlReport *r);
/* Write z with & < > " ' escaped, safe in text and in quoted attributes. */
void html_escape(FILE *f, const char *z);

/* ---- commands ------------------------------------------------------------ */

int cmd_index(int argc, char **argv);
int cmd_search(int argc, char **argv);
int cmd_dups(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_repl(int argc, char **argv);

/* The work of `index` on an open connection (also used by .index).
** Returns an EXIT_* code. */
typedef struct IndexOptions {
  int jobs;             /* worker threads */
  int prune;            /* remove records of files that are gone */
  int quiet;
  int retrain;          /* train the codebook again, recompute vectors */
  const char *zCodebookFrom;  /* train on the images under this folder */
  int clusters;         /* codebook size when training */
  int dims;             /* PCA dims when training, -1: as before or auto */
  int batch;            /* results per transaction */
  int stats;            /* print times per phase and stage at the end */
} IndexOptions;
void index_options_default(IndexOptions *o);
int index_run(sqlite3 *db, const IndexOptions *o, int nPath, char **azPath);

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
  char **azQuery;       /* malloc'd array of argv pointers */
  int nQuery;
  const char *zOutput;  /* report's -o FILE */
} SearchCommand;
/* zCommand is "search" or "report".  EXIT_OK (check c->help), EXIT_USAGE
** with the problem printed (the caller prints its usage), or EXIT_ERROR.
** Free with search_command_free in every case. */
int search_parse_options(const char *zCommand, int argc, char **argv,
                         SearchCommand *c);
void search_command_free(SearchCommand *c);
/* Search every query path; prints per mode.  EXIT_* code. */
int search_run(sqlite3 *db, const SearchOptions *o, int nQuery, char **azQuery);

/* One query at a time, for callers that lay results out themselves
** (cmd_report.c).  search_prepare: EXIT_OK, or EXIT_ERROR with the reason
** printed (no index yet, or a statement failed) and s finalized;
** search_finalize is safe on a zeroed or half-prepared struct. */
typedef struct SearchHit {
  sqlite3_int64 id;
  char *zPath;          /* malloc'd */
  double score;         /* cosine similarity, 1 = same */
  int inliers;          /* with verify */
} SearchHit;
typedef struct SearchTimes {   /* seconds */
  double read;              /* reading and hashing the query file */
  double sift;              /* img_sift (0 when the stored blob was used) */
  int stored;               /* the file is in the database: its sift blob used */
  double vlad, nearest, verify;
  double siftCpu, totalCpu; /* this thread's CPU time: img_sift, the query */
} SearchTimes;
typedef struct SearchStatements {
  SearchTimes times;        /* of the last search_one */
  sqlite3_stmt *sift;       /* ?1 image bytes -> sift blob */
  sqlite3_stmt *vlad;       /* ?1 sift -> vector */
  sqlite3_stmt *nearest;    /* ?1 vector, ?2 k -> id, distance, path */
  sqlite3_stmt *match;      /* ?1 sift, ?2 image id -> inliers */
  sqlite3_stmt *stored;     /* ?1 hash, ?2 size -> sift already in DB */
} SearchStatements;
int search_prepare(sqlite3 *db, SearchStatements *s);
void search_finalize(SearchStatements *s);
/* Fills *paHit (malloc'd, *pnHit, each zPath malloc'd) or returns why not
** (malloc'd message). */
char *search_one(sqlite3 *db, SearchStatements *s, const SearchOptions *o,
                 const char *zQuery, SearchHit **paHit, int *pnHit);

typedef struct DupsOptions {
  double min_score;     /* < 0: the default for the database's vectors */
  int k;                /* neighbours examined per image */
  int min_inliers;      /* > 0: pairs must pass img_match with this many */
  OutputMode mode;
  const char *zHtml;    /* non-NULL: write an HTML report here instead */
} DupsOptions;
int dups_run(sqlite3 *db, const DupsOptions *o);

/* ---- main.c -------------------------------------------------------------- */

/* Set by SIGINT; long loops check it and stop cleanly. */
extern volatile sig_atomic_t shell_interrupted;
void shell_install_interrupt(void);

/* Parse a positive integer option value; prints and returns -1 if bad. */
int shell_parse_int(const char *zOption, const char *zValue, int lo, int hi);

/* Seconds on the monotonic clock (for rates, timers and --stats), and
** the CPU seconds the calling thread has used (--stats: on a busy machine
** wall times stretch, CPU times do not). */
double shell_now(void);
double shell_thread_cpu(void);

#endif /* IMGSEARCH_SHELL_H */
