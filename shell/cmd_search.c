/*
** cmd_search.c — `imgsearch search DB IMAGE...`: the images most like each
** query image.
**
** For each query: img_sift of the file's bytes, img_vlad with the stored
** codebook and projection (sql/schema.sql), then k nearest neighbours in image_vectors (annoy, angular):
** score = 1 - distance = cosine similarity.  --verify takes a shortlist
** (max(20, k)) and re-ranks it by img_match inliers against the stored sift
** blobs (ties: by score).  All computing is the extension's SQL.  A query
** file that is already indexed (same content hash and size) uses its stored
** sift blob instead of running img_sift again.
**
** Output: table (a block per query), csv (query,rank,path,score[,inliers]),
** json ([{"query":..., "results":[{"rank","path","score"[,"inliers"]}]}],
** with "error" instead of "results" for a query that failed).
*/
#include <stdlib.h>
#include <string.h>

#include "shell.h"

static int search_hit_compare(const void *a, const void *b){
  const SearchHit *x = a, *y = b;
  if( x->inliers!=y->inliers ) return x->inliers > y->inliers ? -1 : 1;
  if( x->score!=y->score ) return x->score > y->score ? -1 : 1;
  return x->id < y->id ? -1 : x->id > y->id;
}

void search_finalize(SearchStatements *s){
  sqlite3_finalize(s->sift);
  sqlite3_finalize(s->vlad);
  sqlite3_finalize(s->nearest);
  sqlite3_finalize(s->match);
  sqlite3_finalize(s->stored);
}

int search_prepare(sqlite3 *db, SearchStatements *s){
  int rc;
  memset(s, 0, sizeof(*s));
  if( !shell_require_index(db) ) return EXIT_ERROR;
  rc = sqlite3_prepare_v2(db, "SELECT img_sift(?1)", -1, &s->sift, 0);
  if( rc==SQLITE_OK ) rc = sqlite3_prepare_v2(db,
      "SELECT img_vlad(?1, (SELECT codebook FROM codebook WHERE id=1),"
      "                    (SELECT pca FROM projection WHERE id=1))",
      -1, &s->vlad, 0);
  if( rc==SQLITE_OK ) rc = sqlite3_prepare_v2(db,
      "SELECT n.rowid, n.distance, (SELECT path FROM images WHERE id=n.rowid)"
      "  FROM image_vectors AS n WHERE n.vlad MATCH ?1 AND n.k = ?2",
      -1, &s->nearest, 0);
  if( rc==SQLITE_OK ) rc = sqlite3_prepare_v2(db,
      "SELECT img_match(?1, sift) FROM features WHERE image_id=?2",
      -1, &s->match, 0);
  if( rc==SQLITE_OK ) rc = sqlite3_prepare_v2(db,
      "SELECT f.sift FROM images AS i JOIN features AS f ON f.image_id=i.id"
      " WHERE i.hash=?1 AND i.size=?2 AND i.status='ok' LIMIT 1",
      -1, &s->stored, 0);
  if( rc!=SQLITE_OK ){
    shell_db_error(db, "cannot prepare the search");
    search_finalize(s);
    return EXIT_ERROR;
  }
  return EXIT_OK;
}

/* Copy column 0 of stmt (a BLOB) into *pBlob (malloc'd), *pn bytes. */
static int search_copy_blob(sqlite3_stmt *stmt, unsigned char **pBlob, int *pn){
  int n = sqlite3_column_bytes(stmt, 0);
  *pBlob = malloc(n>0 ? n : 1);
  if( *pBlob==0 ) return SQLITE_NOMEM;
  if( n>0 ) memcpy(*pBlob, sqlite3_column_blob(stmt, 0), n);
  *pn = n;
  return SQLITE_OK;
}

/* --stats: where one query's time went, on stderr. */
static void search_print_times(const char *zQuery, const SearchTimes *t){
  fprintf(stderr, "stats: %s: sift %.1f ms%s, rest %.1f ms (read+hash %.1f,"
          " vlad %.1f, nearest %.1f, verify %.1f); CPU: sift %.1f ms, rest %.1f ms\n",
          zQuery, 1e3*t->sift, t->stored ? " (stored blob)" : "",
          1e3*(t->read + t->vlad + t->nearest + t->verify),
          1e3*t->read, 1e3*t->vlad, 1e3*t->nearest, 1e3*t->verify,
          1e3*t->siftCpu, 1e3*(t->totalCpu - t->siftCpu));
}

/* Search one query.  Fills *paHit (malloc'd, *pnHit) or returns a message
** (malloc'd) saying why not.  s->times says where the time went. */
char *search_one(sqlite3 *db, SearchStatements *s, const SearchOptions *o,
                 const char *zQuery, SearchHit **paHit, int *pnHit){
  SearchTimes *t = &s->times;
  double start = shell_now(), cpuStart = shell_thread_cpu(), cpu;
  size_t nData = 0;
  char *zError = 0;
  unsigned char *data = files_read(zQuery, &nData, &zError);
  unsigned char *sift = 0;
  int nSift = 0, nWant, nHit = 0, rc;
  SearchHit *aHit = 0;
  char zHash[17];
  *paHit = 0;
  *pnHit = 0;
  memset(t, 0, sizeof(*t));
  if( data==0 ) return zError;
  if( nData > FILES_MAX_BYTES ){
    free(data);
    return strdup("file is over 1 GB");
  }

  /* A file already in the database (same bytes): its stored sift blob is
  ** what img_sift would return, so skip the work. */
  files_hash(data, nData, zHash);
  sqlite3_bind_text(s->stored, 1, zHash, -1, SQLITE_STATIC);
  sqlite3_bind_int64(s->stored, 2, (sqlite3_int64)nData);
  if( sqlite3_step(s->stored)==SQLITE_ROW ){
    t->stored = 1;
    if( search_copy_blob(s->stored, &sift, &nSift) ) zError = strdup("out of memory");
  }
  sqlite3_reset(s->stored);
  t->read = shell_now() - start;
  if( sift==0 && zError==0 ){
    start = shell_now();
    cpu = shell_thread_cpu();
    sqlite3_bind_blob(s->sift, 1, data, (int)nData, SQLITE_STATIC);
    if( sqlite3_step(s->sift)==SQLITE_ROW ){
      if( search_copy_blob(s->sift, &sift, &nSift) ) zError = strdup("out of memory");
    }else{
      zError = strdup(sqlite3_errmsg(db));
    }
    sqlite3_reset(s->sift);
    t->sift = shell_now() - start;
    t->siftCpu = shell_thread_cpu() - cpu;
  }
  free(data);
  if( zError ) return zError;

  start = shell_now();
  sqlite3_bind_blob(s->vlad, 1, sift, nSift, SQLITE_STATIC);
  rc = sqlite3_step(s->vlad);
  t->vlad = shell_now() - start;
  if( rc!=SQLITE_ROW ){
    zError = strdup(sqlite3_errmsg(db));
  }else if( sqlite3_column_type(s->vlad, 0)!=SQLITE_BLOB ){
    zError = strdup("no SIFT features in the query image");
  }else{
    nWant = o->verify ? (o->shortlist > o->k ? o->shortlist : o->k) : o->k;
    aHit = calloc(nWant, sizeof(SearchHit));
    if( aHit==0 ){
      zError = strdup("out of memory");
    }else{
      start = shell_now();
      sqlite3_bind_value(s->nearest, 1, sqlite3_column_value(s->vlad, 0));
      sqlite3_bind_int(s->nearest, 2, nWant);
      while( nHit<nWant && (rc = sqlite3_step(s->nearest))==SQLITE_ROW ){
        const char *zPath = (const char*)sqlite3_column_text(s->nearest, 2);
        aHit[nHit].id = sqlite3_column_int64(s->nearest, 0);
        aHit[nHit].score = 1.0 - sqlite3_column_double(s->nearest, 1);
        aHit[nHit].zPath = strdup(zPath ? zPath : "?");
        nHit++;
      }
      if( rc!=SQLITE_ROW && rc!=SQLITE_DONE ) zError = strdup(sqlite3_errmsg(db));
      sqlite3_reset(s->nearest);
      t->nearest = shell_now() - start;
    }
  }
  sqlite3_reset(s->vlad);

  if( zError==0 && o->verify ){
    int i;
    start = shell_now();
    for(i=0; i<nHit && zError==0; i++){
      sqlite3_bind_blob(s->match, 1, sift, nSift, SQLITE_STATIC);
      sqlite3_bind_int64(s->match, 2, aHit[i].id);
      rc = sqlite3_step(s->match);
      if( rc==SQLITE_ROW ) aHit[i].inliers = sqlite3_column_int(s->match, 0);
      else if( rc!=SQLITE_DONE ) zError = strdup(sqlite3_errmsg(db));
      sqlite3_reset(s->match);
    }
    qsort(aHit, nHit, sizeof(SearchHit), search_hit_compare);
    t->verify = shell_now() - start;
  }
  free(sift);
  if( zError ){
    int i;
    for(i=0; i<nHit; i++) free(aHit[i].zPath);
    free(aHit);
    return zError;
  }
  t->totalCpu = shell_thread_cpu() - cpuStart;
  if( o->stats ) search_print_times(zQuery, t);
  *paHit = aHit;
  *pnHit = nHit < o->k ? nHit : o->k;
  for(; nHit > *pnHit; nHit--) free(aHit[nHit-1].zPath);
  return 0;
}

int search_run(sqlite3 *db, const SearchOptions *o, int nQuery, char **azQuery){
  SearchStatements s;
  int i, nFailed = 0, color = output_use_color(stdout);
  static const char *const azName[] = {"query", "rank", "path", "score", "inliers"};
  if( search_prepare(db, &s)!=EXIT_OK ) return EXIT_ERROR;
  if( o->mode==OUTPUT_CSV ){
    fputs(o->verify ? "query,rank,path,score,inliers\n" : "query,rank,path,score\n", stdout);
  }else if( o->mode==OUTPUT_JSON ){
    fputc('[', stdout);
  }
  for(i=0; i<nQuery; i++){
    SearchHit *aHit = 0;
    int nHit = 0, j;
    char *zError = search_one(db, &s, o, azQuery[i], &aHit, &nHit);
    if( zError ){
      nFailed++;
      fprintf(stderr, "imgsearch: %s: %s\n", azQuery[i], zError);
    }
    switch( o->mode ){
      case OUTPUT_CSV:
        for(j=0; j<nHit; j++){
          output_csv_field(stdout, azQuery[i]);
          printf(",%d,", j+1);
          output_csv_field(stdout, aHit[j].zPath);
          printf(",%.4f", aHit[j].score);
          if( o->verify ) printf(",%d", aHit[j].inliers);
          fputc('\n', stdout);
        }
        break;
      case OUTPUT_JSON:
        fputs(i ? ",\n{\"query\":" : "{\"query\":", stdout);
        output_json_string(stdout, azQuery[i]);
        if( zError ){
          fputs(",\"error\":", stdout);
          output_json_string(stdout, zError);
        }else{
          fputs(",\"results\":[", stdout);
          for(j=0; j<nHit; j++){
            printf("%s{\"rank\":%d,\"path\":", j ? ",\n  " : "\n  ", j+1);
            output_json_string(stdout, aHit[j].zPath);
            printf(",\"score\":%.4f", aHit[j].score);
            if( o->verify ) printf(",\"inliers\":%d", aHit[j].inliers);
            fputc('}', stdout);
          }
          fputc(']', stdout);
        }
        fputc('}', stdout);
        break;
      default: {
        OutputTable *t;
        if( zError ) break;
        t = output_table_new(o->verify ? 4 : 3, azName+1);
        if( t==0 ) break;
        for(j=0; j<nHit; j++){
          output_table_add(t, o->verify ? "isfi" : "isf", (sqlite3_int64)(j+1),
                           aHit[j].zPath, aHit[j].score, (sqlite3_int64)aHit[j].inliers);
        }
        if( i ) fputc('\n', stdout);
        printf(color ? "\033[1mquery: %s\033[0m\n" : "query: %s\n", azQuery[i]);
        output_table_print(t, stdout, o->mode);
        output_table_free(t);
        break;
      }
    }
    for(j=0; j<nHit; j++) free(aHit[j].zPath);
    free(aHit);
    free(zError);
  }
  if( o->mode==OUTPUT_JSON ) fputs("]\n", stdout);
  search_finalize(&s);
  return nFailed ? EXIT_FAILURES : EXIT_OK;
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

void search_command_free(SearchCommand *c){
  free(c->azQuery);
  memset(c, 0, sizeof(*c));
}

int search_parse_options(const char *zCommand, int argc, char **argv,
                         SearchCommand *c){
  int isReport = strcmp(zCommand, "report")==0, i;
  memset(c, 0, sizeof(*c));
  c->o.k = 10;
  c->o.shortlist = 20;
  c->o.mode = OUTPUT_TABLE;
  c->azQuery = calloc(argc>0 ? argc : 1, sizeof(char*));
  if( c->azQuery==0 ){
    fprintf(stderr, "imgsearch: out of memory\n");
    return EXIT_ERROR;
  }
  for(i=0; i<argc; i++){
    const char *z = argv[i];
    if( strcmp(z, "-h")==0 || strcmp(z, "--help")==0 ){
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
    }else if( !isReport && (strcmp(z, "--format")==0 || strncmp(z, "--format=", 9)==0) ){
      const char *zMode = z[8]=='=' ? z+9 : (i+1<argc ? argv[++i] : "");
      int mode = output_mode_parse(zMode);
      if( mode<0 || mode==OUTPUT_LINE ){
        fprintf(stderr, "imgsearch %s: --format must be table, csv or json, not '%s'\n",
                zCommand, zMode);
        return EXIT_USAGE;
      }
      c->o.mode = (OutputMode)mode;
    }else if( isReport && (strcmp(z, "-o")==0 || strcmp(z, "--output")==0) ){
      if( i+1>=argc ) return EXIT_USAGE;
      c->zOutput = argv[++i];
    }else if( z[0]=='-' && z[1] ){
      fprintf(stderr, "imgsearch %s: unknown option %s\n", zCommand, z);
      return EXIT_USAGE;
    }else if( c->zDb==0 ){
      c->zDb = z;
    }else{
      c->azQuery[c->nQuery++] = argv[i];
    }
  }
  if( c->zDb==0 || c->nQuery==0 ){
    fprintf(stderr, "imgsearch %s: needs a database and at least one IMAGE\n", zCommand);
    return EXIT_USAGE;
  }
  if( isReport && c->zOutput==0 ){
    fprintf(stderr, "imgsearch report: needs -o FILE.html, the page to write\n");
    return EXIT_USAGE;
  }
  return EXIT_OK;
}

int cmd_search(int argc, char **argv){
  SearchCommand c;
  int exitCode = search_parse_options("search", argc, argv, &c);
  sqlite3 *db;
  if( exitCode==EXIT_OK && c.help ){
    fputs(search_usage, stdout);
  }else if( exitCode==EXIT_USAGE ){
    fputs(search_usage, stderr);
  }else if( exitCode==EXIT_OK ){
    db = shell_open_existing("search", c.zDb);
    exitCode = db ? search_run(db, &c.o, c.nQuery, c.azQuery) : EXIT_ERROR;
    sqlite3_close(db);
  }
  search_command_free(&c);
  return exitCode;
}
