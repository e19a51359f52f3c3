/*
** cmd_search.c — `imgsearch search DB IMAGE...`: the images most like each
** query image.
**
** For each query: img_sift of the file's bytes, img_vlad with the stored
** codebook and projection (sql/schema.sql), then k nearest neighbours in
** image_vectors (annoy, angular):
** score = 1 - distance = cosine similarity.  --verify takes a shortlist
** (max(20, k)) and re-ranks it by img_match inliers against the stored sift
** blobs (ties: by score).  All computing is the extension's SQL.  A query
** file that is already indexed (same content hash and size) uses its stored
** sift blob instead of running img_sift again.
**
** Output: table (a block per query), csv (query,rank,path,score[,inliers]),
** json ([{"query":..., "results":[{"rank","path","score"[,"inliers"]}]}],
** with "error" instead of "results" for a query that failed).
**
** Also owns the command line that `search` and `report` share
** (search_command_main) and search_one, which cmd_report.c and the REPL use.
**
** May call: common.h, db.h, files.h, output.h, SQLite (the extension's
** img_sift, img_vlad, img_match and the annoy table).
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "db.h"
#include "files.h"
#include "output.h"
#include "search.h"
#include "thumbs.h"

int search_hit_compare(const void *a, const void *b){
  const SearchHit *x = a, *y = b;
  if( x->match.inliers!=y->match.inliers ) return x->match.inliers > y->match.inliers ? -1 : 1;
  if( x->score!=y->score ) return x->score > y->score ? -1 : 1;
  return x->id < y->id ? -1 : x->id > y->id;
}

void search_hits_free(SearchHit *hits, int n_hit){
  int i;
  for(i=0; i<n_hit; i++) free(hits[i].zPath);
  free(hits);
}

const char *search_error_text(int rc, const char *zErr){
  return zErr ? zErr : sqlite3_errstr(rc);
}

void search_finalize(SearchStatements *s){
  sqlite3_finalize(s->sift);
  sqlite3_finalize(s->vlad);
  sqlite3_finalize(s->nearest);
  sqlite3_finalize(s->match);
  sqlite3_finalize(s->stored);
  sqlite3_finalize(s->words);
  sqlite3_finalize(s->shortlist);
  sqlite3_finalize(s->words_match);
  sqlite3_finalize(s->words_match_near);
  sqlite3_finalize(s->words_near[0]);
  sqlite3_finalize(s->words_near[1]);
  sqlite3_finalize(s->thumb);
  sqlite3_finalize(s->thumbs);
  db_model_free(&s->model);
}

int search_prepare(sqlite3 *db, SearchStatements *s){
  enum { ALWAYS, WORDS, THUMBS };   /* what a statement needs */
  const struct { sqlite3_stmt **p_stmt; const char *zSql; int needs; } statements[] = {
    { &s->sift, "SELECT img_sift(?1)", ALWAYS },
    { &s->vlad, "SELECT img_vlad(?1, ?2, ?3)", ALWAYS },
    { &s->nearest, "SELECT n.rowid, n.distance, (SELECT path FROM images WHERE id=n.rowid)"
                   "  FROM image_vectors AS n WHERE n.vlad MATCH ?1 AND n.k = ?2", ALWAYS },
    { &s->match, "SELECT img_match(?1, sift) FROM features WHERE image_id=?2", ALWAYS },
    { &s->stored, "SELECT f.sift FROM images AS i JOIN features AS f ON f.image_id=i.id"
                  " WHERE i.hash=?1 AND i.size=?2 AND i.status='ok' LIMIT 1", ALWAYS },
    /* search_words.c */
    { &s->words, "SELECT img_words(?1, ?4), img_words(?1, ?4, 1)", WORDS },
    { &s->words_near[0], "SELECT img_words(?1, ?4, 0, ?5)", WORDS },
    { &s->words_near[1], "SELECT img_words(?1, ?4, 1, ?5)", WORDS },
    { &s->shortlist, "SELECT w.rowid, w.score, w.mirrored FROM image_words AS w"
                     " WHERE w.words MATCH ?1 AND w.mirror = ?2 AND w.k = ?3", WORDS },
    { &s->words_match,
      "SELECT img_words_match_json(?1, (SELECT words FROM image_words WHERE rowid=?2)),"
      "       i.path, (SELECT 1 - vec_distance(?3, vlad, 'angular') FROM image_vectors"
      "                 WHERE rowid=?2 AND ?3 IS NOT NULL), i.features, i.width, i.height"
      "  FROM (SELECT ?2 AS id) AS c LEFT JOIN images AS i ON i.id = c.id", WORDS },
    { &s->words_match_near,
      "SELECT img_words_match_json(?1, (SELECT words FROM image_words WHERE rowid=?2))", WORDS },
    /* featureless queries (thumbs.h) */
    { &s->thumb, THUMBS_QUERY_SQL, THUMBS },
    { &s->thumbs, THUMBS_NEAREST_SQL, THUMBS },
  };
  size_t i;
  memset(s, 0, sizeof(*s));
  if( !db_require_index(db) ) return EXIT_ERROR;
  s->has_words = db_has_words(db);
  if( !s->has_words ) db_note_no_words();
  s->has_thumbs = db_query_int(db, "SELECT count(*) FROM sqlite_schema WHERE name='thumbs'")>0;
  db_model_load(db, &s->model);
  for(i=0; i<sizeof(statements)/sizeof(statements[0]); i++){
    if( (statements[i].needs==WORDS && !s->has_words)
     || (statements[i].needs==THUMBS && !s->has_thumbs) ) continue;
    if( sqlite3_prepare_v2(db, statements[i].zSql, -1, statements[i].p_stmt, 0)!=SQLITE_OK ){
      db_error(db, "cannot prepare the search");
      search_finalize(s);
      return EXIT_ERROR;
    }
  }
  return EXIT_OK;
}

/* Copy column 0 of stmt (a BLOB) into *p_blob (malloc'd), *pn bytes. */
static int search_copy_blob(sqlite3_stmt *stmt, unsigned char **p_blob, int *pn){
  size_t n = 0;
  *p_blob = db_column_blob_copy(stmt, 0, &n);
  *pn = (int)n;
  return *p_blob ? SQLITE_OK : SQLITE_NOMEM;
}

int search_db_error(sqlite3 *db, char **pzErr){
  int rc = sqlite3_errcode(db);
  if( rc==SQLITE_OK || rc==SQLITE_ROW || rc==SQLITE_DONE ) rc = SQLITE_ERROR;
  *pzErr = sqlite3_mprintf("%s", sqlite3_errmsg(db));
  return rc;
}

/* --stats: where one query's time went, on stderr. */
static void search_print_times(const char *zQuery, const SearchTimes *t){
  fprintf(stderr, "stats: %s: sift %.1f ms%s, rest %.1f ms (read+hash %.1f,"
          " vlad %.1f, words %.1f, nearest %.1f, verify %.1f); CPU: sift %.1f ms,"
          " rest %.1f ms\n",
          zQuery, 1e3*t->sift, t->stored ? " (stored blob)" : "",
          1e3*(t->read + t->vlad + t->words + t->nearest + t->verify),
          1e3*t->read, 1e3*t->vlad, 1e3*t->words, 1e3*t->nearest, 1e3*t->verify,
          1e3*t->sift_cpu, 1e3*(t->total_cpu - t->sift_cpu));
}

/* The sift blob of the query file zQuery (malloc'd, *pn bytes): the stored
** one when the file is already in the database (same bytes: what img_sift
** would return, so the work is skipped), else img_sift of its bytes.  When
** the image is featureless and the database has thumbnails, its thumbnail
** too (malloc'd, *pn_thumb bytes; else NULL). */
static int search_query_sift(sqlite3 *db, SearchStatements *s, const char *zQuery,
                             unsigned char **p_sift, int *pn,
                             unsigned char **p_thumb, int *pn_thumb, char **pzErr){
  SearchTimes *t = &s->times;
  double start = shell_now(), cpu;
  size_t n_data = 0;
  char *zReadError = 0;
  unsigned char *data = files_read(zQuery, &n_data, &zReadError);
  char zHash[17];
  int rc = SQLITE_OK;
  *p_sift = 0;
  *p_thumb = 0;
  if( data==0 ){
    *pzErr = sqlite3_mprintf("%s", zReadError ? zReadError : "cannot read file");
    free(zReadError);
    return SQLITE_CANTOPEN;
  }
  if( n_data > FILES_MAX_BYTES ){
    free(data);
    *pzErr = sqlite3_mprintf("file is over 1 GB");
    return SQLITE_TOOBIG;
  }
  files_hash(data, n_data, zHash);
  sqlite3_bind_text(s->stored, 1, zHash, -1, SQLITE_STATIC);
  sqlite3_bind_int64(s->stored, 2, (sqlite3_int64)n_data);
  if( sqlite3_step(s->stored)==SQLITE_ROW ){
    t->stored = 1;
    rc = search_copy_blob(s->stored, p_sift, pn);
  }
  sqlite3_reset(s->stored);
  t->read = shell_now() - start;
  if( *p_sift==0 && rc==SQLITE_OK ){
    start = shell_now();
    cpu = shell_thread_cpu();
    sqlite3_bind_blob(s->sift, 1, data, (int)n_data, SQLITE_STATIC);
    if( sqlite3_step(s->sift)==SQLITE_ROW ){
      rc = search_copy_blob(s->sift, p_sift, pn);
    }else{
      rc = search_db_error(db, pzErr);
    }
    sqlite3_reset(s->sift);
    t->sift = shell_now() - start;
    t->sift_cpu = shell_thread_cpu() - cpu;
  }
  if( rc==SQLITE_OK && s->thumb ){
    sqlite3_bind_blob(s->thumb, 1, data, (int)n_data, SQLITE_STATIC);
    sqlite3_bind_blob(s->thumb, 2, *p_sift, *pn, SQLITE_STATIC);
    if( sqlite3_step(s->thumb)!=SQLITE_ROW ){
      rc = search_db_error(db, pzErr);
    }else if( sqlite3_column_type(s->thumb, 0)==SQLITE_BLOB ){
      rc = search_copy_blob(s->thumb, p_thumb, pn_thumb);
    }
    sqlite3_reset(s->thumb);
  }
  free(data);
  return rc;
}

/* A featureless query: the images whose thumbnails match its thumbnail
** join the hits (one already there takes the better score) and the hits
** are ranked again. */
static int search_thumbs(sqlite3 *db, SearchStatements *s, const unsigned char *thumb,
                         int n_thumb, int k, SearchHit **p_hits, int *p_n_hit, char **pzErr){
  SearchHit *hits = *p_hits;
  int n_hit = *p_n_hit, rc = SQLITE_OK, step, i;
  sqlite3_bind_blob(s->thumbs, 1, thumb, n_thumb, SQLITE_STATIC);
  sqlite3_bind_int(s->thumbs, 2, k);
  while( rc==SQLITE_OK && (step = sqlite3_step(s->thumbs))==SQLITE_ROW ){
    sqlite3_int64 id = sqlite3_column_int64(s->thumbs, 0);
    const char *zPath = (const char*)sqlite3_column_text(s->thumbs, 1);
    double correlation = sqlite3_column_double(s->thumbs, 2);
    for(i=0; i<n_hit && hits[i].id!=id; i++){}
    if( i==n_hit ){
      SearchHit *p = realloc(hits, (n_hit+1)*sizeof(SearchHit));
      if( p==0 ){ rc = SQLITE_NOMEM; break; }
      hits = p;
      memset(&hits[n_hit], 0, sizeof(SearchHit));
      hits[n_hit].id = id;
      hits[n_hit].zPath = strdup(zPath ? zPath : "?");
      if( hits[n_hit++].zPath==0 ){ rc = SQLITE_NOMEM; break; }
    }
    if( correlation>hits[i].score ) hits[i].score = correlation;
  }
  if( rc==SQLITE_OK && step!=SQLITE_DONE ) rc = search_db_error(db, pzErr);
  sqlite3_reset(s->thumbs);
  qsort(hits, n_hit, sizeof(SearchHit), search_hit_compare);
  *p_hits = hits;
  *p_n_hit = n_hit;
  return rc;
}

/* The n_want nearest neighbours of vector (an img_vlad value) into hits
** (n_want long); their count in *p_n_hit. */
static int search_nearest(sqlite3 *db, SearchStatements *s, sqlite3_value *vector,
                          SearchHit *hits, int n_want, int *p_n_hit, char **pzErr){
  int n_hit = 0, rc = SQLITE_OK, step = SQLITE_DONE;
  double start = shell_now();
  sqlite3_bind_value(s->nearest, 1, vector);
  sqlite3_bind_int(s->nearest, 2, n_want);
  while( n_hit<n_want && (step = sqlite3_step(s->nearest))==SQLITE_ROW ){
    const char *zPath = (const char*)sqlite3_column_text(s->nearest, 2);
    hits[n_hit].id = sqlite3_column_int64(s->nearest, 0);
    hits[n_hit].score = 1.0 - sqlite3_column_double(s->nearest, 1);
    hits[n_hit].zPath = strdup(zPath ? zPath : "?");
    n_hit++;
  }
  if( n_hit<n_want && step!=SQLITE_DONE ) rc = search_db_error(db, pzErr);
  sqlite3_reset(s->nearest);
  s->times.nearest = shell_now() - start;
  *p_n_hit = n_hit;
  return rc;
}

/* --verify: re-rank hits by img_match inliers against the query's sift. */
static int search_verify(sqlite3 *db, SearchStatements *s, const unsigned char *sift,
                         int n_sift, SearchHit *hits, int n_hit, char **pzErr){
  int i, rc = SQLITE_OK, step;
  double start = shell_now();
  for(i=0; i<n_hit && rc==SQLITE_OK; i++){
    sqlite3_bind_blob(s->match, 1, sift, n_sift, SQLITE_STATIC);
    sqlite3_bind_int64(s->match, 2, hits[i].id);
    step = sqlite3_step(s->match);
    if( step==SQLITE_ROW ) hits[i].match.inliers = sqlite3_column_int(s->match, 0);
    else if( step!=SQLITE_DONE ) rc = search_db_error(db, pzErr);
    sqlite3_reset(s->match);
  }
  qsort(hits, n_hit, sizeof(SearchHit), search_hit_compare);
  s->times.verify = shell_now() - start;
  return rc;
}

int search_one(sqlite3 *db, SearchStatements *s, const SearchOptions *o,
               const char *zQuery, SearchHit **p_hits, int *p_n_hit, char **pzErr){
  SearchTimes *t = &s->times;
  double cpu_start = shell_thread_cpu(), start;
  unsigned char *sift = 0, *thumb = 0;
  int n_sift = 0, n_thumb = 0, n_hit = 0, featureless = 0, rc;
  int n_want = o->verify ? (o->shortlist > o->k ? o->shortlist : o->k) : o->k;
  SearchHit *hits = 0;
  *p_hits = 0;
  *p_n_hit = 0;
  *pzErr = 0;
  memset(t, 0, sizeof(*t));
  rc = search_query_sift(db, s, zQuery, &sift, &n_sift, &thumb, &n_thumb, pzErr);
  if( rc!=SQLITE_OK ){
    free(sift);
    free(thumb);
    return rc;
  }

  start = shell_now();
  sqlite3_bind_blob(s->vlad, 1, sift, n_sift, SQLITE_STATIC);
  db_model_bind(&s->model, s->vlad, 2);
  rc = sqlite3_step(s->vlad)==SQLITE_ROW ? SQLITE_OK : search_db_error(db, pzErr);
  t->vlad = shell_now() - start;
  if( rc==SQLITE_OK && sqlite3_column_type(s->vlad, 0)!=SQLITE_BLOB ){
    featureless = 1;            /* no features at all: the thumbnail alone */
    if( thumb==0 ){
      *pzErr = sqlite3_mprintf("no SIFT features in the query image");
      rc = SQLITE_ERROR;
    }
  }
  if( rc==SQLITE_OK && !featureless && s->has_words ){
    rc = search_words(db, s, sift, n_sift, sqlite3_column_value(s->vlad, 0), &hits, &n_hit,
                      pzErr);
  }else if( rc==SQLITE_OK && !featureless ){
    hits = calloc(n_want, sizeof(SearchHit));
    rc = hits ? search_nearest(db, s, sqlite3_column_value(s->vlad, 0), hits, n_want,
                               &n_hit, pzErr)
              : SQLITE_NOMEM;
  }
  sqlite3_reset(s->vlad);
  if( rc==SQLITE_OK && o->verify && !s->has_words && !featureless ){
    rc = search_verify(db, s, sift, n_sift, hits, n_hit, pzErr);
  }
  if( rc==SQLITE_OK && thumb ){
    rc = search_thumbs(db, s, thumb, n_thumb, o->k, &hits, &n_hit, pzErr);
  }
  free(sift);
  free(thumb);
  if( rc!=SQLITE_OK ){
    search_hits_free(hits, n_hit);
    return rc;
  }
  t->total_cpu = shell_thread_cpu() - cpu_start;
  if( o->stats ) search_print_times(zQuery, t);
  *p_hits = hits;
  *p_n_hit = n_hit < o->k ? n_hit : o->k;
  for(; n_hit > *p_n_hit; n_hit--) free(hits[n_hit-1].zPath);
  return SQLITE_OK;
}

/* One query's hits as CSV rows (query,rank,path,score[,inliers]). */
static void search_print_csv(const SearchOptions *o, const char *zQuery,
                             const SearchHit *hits, int n_hit){
  int j;
  for(j=0; j<n_hit; j++){
    output_csv_field(stdout, zQuery);
    printf(",%d,", j+1);
    output_csv_field(stdout, hits[j].zPath);
    printf(",%.4f", hits[j].score);
    if( o->verify ) printf(",%d", hits[j].match.inliers);
    fputc('\n', stdout);
  }
}

/* One query as a JSON object, the i-th of the array: its results, or the
** error (zError non-NULL). */
static void search_print_json(const SearchOptions *o, int i, const char *zQuery,
                              const SearchHit *hits, int n_hit, const char *zError){
  int j;
  fputs(i ? ",\n{\"query\":" : "{\"query\":", stdout);
  output_json_string(stdout, zQuery);
  if( zError ){
    fputs(",\"error\":", stdout);
    output_json_string(stdout, zError);
  }else{
    fputs(",\"results\":[", stdout);
    for(j=0; j<n_hit; j++){
      printf("%s{\"rank\":%d,\"path\":", j ? ",\n  " : "\n  ", j+1);
      output_json_string(stdout, hits[j].zPath);
      printf(",\"score\":%.4f", hits[j].score);
      if( o->verify ) printf(",\"inliers\":%d", hits[j].match.inliers);
      fputc('}', stdout);
    }
    fputc(']', stdout);
  }
  fputc('}', stdout);
}

/* One query as a block: a heading, then a table of rank, path, score
** [, inliers]; the i-th block is preceded by a blank line. */
static void search_print_table(const SearchOptions *o, int i, const char *zQuery,
                               const SearchHit *hits, int n_hit, int color){
  static const char *const column_names[] = {"rank", "path", "score", "inliers"};
  OutputTable *t = output_table_new(o->verify ? 4 : 3, column_names);
  int j;
  if( t==0 ) return;
  for(j=0; j<n_hit; j++){
    output_table_add(t, o->verify ? "isfi" : "isf", (sqlite3_int64)(j+1),
                     hits[j].zPath, hits[j].score, (sqlite3_int64)hits[j].match.inliers);
  }
  if( i ) fputc('\n', stdout);
  printf(color ? "\033[1mquery: %s\033[0m\n" : "query: %s\n", zQuery);
  output_table_print(t, stdout, o->mode);
  output_table_free(t);
}

int search_run(sqlite3 *db, const SearchOptions *options, int n_query, char **queries){
  SearchStatements s;
  SearchOptions shown = *options;
  const SearchOptions *o = &shown;
  int i, n_failed = 0, color = output_use_color(stdout);
  if( search_prepare(db, &s)!=EXIT_OK ) return EXIT_ERROR;
  shown.verify |= s.has_words;         /* words are always verified */
  if( o->mode==OUTPUT_CSV ){
    fputs(o->verify ? "query,rank,path,score,inliers\n" : "query,rank,path,score\n", stdout);
  }else if( o->mode==OUTPUT_JSON ){
    fputc('[', stdout);
  }
  for(i=0; i<n_query; i++){
    SearchHit *hits = 0;
    int n_hit = 0;
    char *zErr = 0;
    int rc = search_one(db, &s, o, queries[i], &hits, &n_hit, &zErr);
    const char *zError = rc==SQLITE_OK ? 0 : search_error_text(rc, zErr);
    if( zError ){
      n_failed++;
      fprintf(stderr, "imgsearch: %s: %s\n", queries[i], zError);
    }
    if( o->mode==OUTPUT_CSV ){
      search_print_csv(o, queries[i], hits, n_hit);
    }else if( o->mode==OUTPUT_JSON ){
      search_print_json(o, i, queries[i], hits, n_hit, zError);
    }else if( zError==0 ){
      search_print_table(o, i, queries[i], hits, n_hit, color);
    }
    search_hits_free(hits, n_hit);
    sqlite3_free(zErr);
  }
  if( o->mode==OUTPUT_JSON ) fputs("]\n", stdout);
  search_finalize(&s);
  return n_failed ? EXIT_FAILURES : EXIT_OK;
}

static const char search_usage[] =
  "usage: imgsearch search DB IMAGE... [options]\n"
  "\n"
  "The images in DB most like each IMAGE (which need not be in DB).\n"
  "score is the cosine similarity of the images' VLAD vectors (1 = same).\n"
  "\n"
  "options:\n"
  "  -k N                  results per query (default 10)\n"
  "  --verify              re-rank the best 20 by geometric verification\n"
  "                        (img_match); adds an inliers column\n"
  "  --shortlist N         candidates for --verify (default 20)\n"
  "  --format FORMAT       table (default), csv (query,rank,path,score) or json\n"
  "  --stats               per query on stderr: SIFT time and the rest\n"
  "  -h, --help            this text\n"
  "\n"
  "exit status: 0 ok, 1 some query failed, 2 usage error, 3 no index\n";

static void search_command_free(SearchCommand *c){
  free(c->queries);
  memset(c, 0, sizeof(*c));
}

/* The command line of `search` or `report` (zCommand) into c.  EXIT_OK
** (check c->help), EXIT_USAGE with the problem printed (the caller prints
** its usage), or EXIT_ERROR.  Free with search_command_free in every case. */
static int search_parse_options(const char *zCommand, int argc, char **argv,
                                SearchCommand *c){
  int is_report = strcmp(zCommand, "report")==0, i, operands = 0;
  memset(c, 0, sizeof(*c));
  c->o.k = 10;
  c->o.shortlist = 20;
  c->o.mode = OUTPUT_TABLE;
  c->queries = calloc(argc>0 ? argc : 1, sizeof(char*));
  if( c->queries==0 ){
    fprintf(stderr, "imgsearch: out of memory\n");
    return EXIT_ERROR;
  }
  for(i=0; i<argc; i++){
    const char *z = argv[i];
    ShellArg kind = shell_arg_kind(z, &operands);
    if( kind==SHELL_ARG_END_OF_OPTIONS ) continue;
    if( kind==SHELL_ARG_OPERAND ){
      if( c->zDb==0 ) c->zDb = z;
      else c->queries[c->n_query++] = argv[i];
      continue;
    }
    if( shell_is_help(z) ){
      c->help = 1;
      return EXIT_OK;
    }else if( strcmp(z, "-k")==0 ){
      if( i+1>=argc || (c->o.k = shell_parse_int(z, argv[++i], 1, 10000))<0 ) return EXIT_USAGE;
    }else if( strcmp(z, "--shortlist")==0 ){
      if( i+1>=argc || (c->o.shortlist = shell_parse_int(z, argv[++i], 1, 10000))<0 ) return EXIT_USAGE;
    }else if( strcmp(z, "--verify")==0 ){
      c->o.verify = 1;
    }else if( strcmp(z, "--stats")==0 ){
      c->o.stats = 1;
    }else if( !is_report && (strcmp(z, "--format")==0 || strncmp(z, "--format=", 9)==0) ){
      const char *zMode = z[8]=='=' ? z+9 : (i+1<argc ? argv[++i] : "");
      int mode = output_mode_parse(zMode);
      if( mode<0 || mode==OUTPUT_LINE ){
        fprintf(stderr, "imgsearch %s: --format must be table, csv or json, not '%s'\n",
                zCommand, zMode);
        return EXIT_USAGE;
      }
      c->o.mode = (OutputMode)mode;
    }else if( is_report && (strcmp(z, "-o")==0 || strcmp(z, "--output")==0) ){
      if( i+1>=argc ) return EXIT_USAGE;
      c->zOutput = argv[++i];
    }else if( shell_unknown_option(zCommand, z) ){
      return EXIT_USAGE;
    }
  }
  if( c->zDb==0 || c->n_query==0 ){
    fprintf(stderr, "imgsearch %s: needs a database and at least one IMAGE\n", zCommand);
    return EXIT_USAGE;
  }
  if( is_report && c->zOutput==0 ){
    fprintf(stderr, "imgsearch report: needs -o FILE.html, the page to write\n");
    return EXIT_USAGE;
  }
  return EXIT_OK;
}

int search_command_main(const char *zCommand, const char *zUsage, int argc,
                        char **argv,
                        int (*run)(sqlite3 *db, const SearchCommand *c)){
  SearchCommand c;
  int exit_code = search_parse_options(zCommand, argc, argv, &c);
  sqlite3 *db;
  if( exit_code==EXIT_OK && c.help ){
    fputs(zUsage, stdout);
  }else if( exit_code==EXIT_USAGE ){
    fputs(zUsage, stderr);
  }else if( exit_code==EXIT_OK ){
    db = db_open_existing(zCommand, c.zDb);
    exit_code = db ? run(db, &c) : EXIT_ERROR;
    sqlite3_close(db);
  }
  search_command_free(&c);
  return exit_code;
}

static int search_command_run(sqlite3 *db, const SearchCommand *c){
  return search_run(db, &c->o, c->n_query, c->queries);
}

int cmd_search(int argc, char **argv){
  return search_command_main("search", search_usage, argc, argv, search_command_run);
}
