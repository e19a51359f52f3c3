/*
** cmd_search.c — `imgsearch search DB IMAGE...`: the images most like each
** query image.
**
** For each query: img_sift of the file's bytes, img_vlad with the stored
** codebook, then k nearest neighbours in image_vectors (annoy, angular):
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
#include <unistd.h>

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
  int rc = sqlite3_prepare_v2(db, "SELECT img_sift(?1)", -1, &s->sift, 0);
  if( rc==SQLITE_OK ) rc = sqlite3_prepare_v2(db,
      "SELECT img_vlad(?1, (SELECT codebook FROM codebook WHERE id=1))",
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
  return rc;
}

/* Search one query.  Fills *paHit (malloc'd, *pnHit) or returns a message
** (malloc'd) saying why not. */
char *search_one(sqlite3 *db, SearchStatements *s, const SearchOptions *o,
                 const char *zQuery, SearchHit **paHit, int *pnHit){
  size_t nData = 0;
  char *zError = 0;
  unsigned char *data = files_read(zQuery, &nData, &zError);
  unsigned char *sift = 0;
  int nSift = 0, nWant, nHit = 0, rc;
  SearchHit *aHit = 0;
  char zHash[17];
  *paHit = 0;
  *pnHit = 0;
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
    nSift = sqlite3_column_bytes(s->stored, 0);
    sift = malloc(nSift>0 ? nSift : 1);
    if( sift ) memcpy(sift, sqlite3_column_blob(s->stored, 0), nSift);
    else zError = strdup("out of memory");
  }
  sqlite3_reset(s->stored);
  if( sift==0 && zError==0 ){
    sqlite3_bind_blob(s->sift, 1, data, (int)nData, SQLITE_STATIC);
    if( sqlite3_step(s->sift)==SQLITE_ROW ){
      nSift = sqlite3_column_bytes(s->sift, 0);
      sift = malloc(nSift>0 ? nSift : 1);
      if( sift ) memcpy(sift, sqlite3_column_blob(s->sift, 0), nSift);
    }else{
      zError = strdup(sqlite3_errmsg(db));
    }
    sqlite3_reset(s->sift);
  }
  free(data);
  if( zError ) return zError;
  if( sift==0 ) return strdup("out of memory");

  sqlite3_bind_blob(s->vlad, 1, sift, nSift, SQLITE_STATIC);
  rc = sqlite3_step(s->vlad);
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
    }
  }
  sqlite3_reset(s->vlad);

  if( zError==0 && o->verify ){
    int i;
    for(i=0; i<nHit && zError==0; i++){
      sqlite3_bind_blob(s->match, 1, sift, nSift, SQLITE_STATIC);
      sqlite3_bind_int64(s->match, 2, aHit[i].id);
      rc = sqlite3_step(s->match);
      if( rc==SQLITE_ROW ) aHit[i].inliers = sqlite3_column_int(s->match, 0);
      else if( rc!=SQLITE_DONE ) zError = strdup(sqlite3_errmsg(db));
      sqlite3_reset(s->match);
    }
    qsort(aHit, nHit, sizeof(SearchHit), search_hit_compare);
  }
  free(sift);
  if( zError ){
    int i;
    for(i=0; i<nHit; i++) free(aHit[i].zPath);
    free(aHit);
    return zError;
  }
  *paHit = aHit;
  *pnHit = nHit < o->k ? nHit : o->k;
  for(; nHit > *pnHit; nHit--) free(aHit[nHit-1].zPath);
  return 0;
}

int search_run(sqlite3 *db, const SearchOptions *o, int nQuery, char **azQuery){
  SearchStatements s;
  int i, nFailed = 0, color = output_use_color(stdout);
  static const char *const azName[] = {"query", "rank", "path", "score", "inliers"};
  memset(&s, 0, sizeof(s));
  if( !shell_has_index(db) ){
    fprintf(stderr, "imgsearch: the database has no image index yet: "
                    "run `imgsearch index DB FOLDER` first\n");
    return EXIT_ERROR;
  }
  if( search_prepare(db, &s)!=SQLITE_OK ){
    shell_db_error(db, "cannot prepare the search");
    search_finalize(&s);
    return EXIT_ERROR;
  }
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
  "  -h, --help            this text\n"
  "\n"
  "exit status: 0 ok, 1 some query failed, 2 usage error, 3 no index\n";

int cmd_search(int argc, char **argv){
  SearchOptions o;
  char **azQuery = calloc(argc>0 ? argc : 1, sizeof(char*));
  const char *zDb = 0;
  int nQuery = 0, i, exitCode;
  sqlite3 *db;
  memset(&o, 0, sizeof(o));
  o.k = 10;
  o.shortlist = 20;
  o.mode = OUTPUT_TABLE;
  if( azQuery==0 ) return EXIT_ERROR;
  for(i=0; i<argc; i++){
    const char *z = argv[i];
    if( strcmp(z, "-h")==0 || strcmp(z, "--help")==0 ){
      fputs(search_usage, stdout);
      free(azQuery);
      return EXIT_OK;
    }else if( strcmp(z, "-k")==0 ){
      if( i+1>=argc || (o.k = shell_parse_int(z, argv[++i], 1, 10000))<0 ) goto usage;
    }else if( strcmp(z, "--shortlist")==0 ){
      if( i+1>=argc || (o.shortlist = shell_parse_int(z, argv[++i], 1, 10000))<0 ) goto usage;
    }else if( strcmp(z, "--verify")==0 ){
      o.verify = 1;
    }else if( strcmp(z, "--format")==0 || strncmp(z, "--format=", 9)==0 ){
      const char *zMode = z[8]=='=' ? z+9 : (i+1<argc ? argv[++i] : "");
      int mode = output_mode_parse(zMode);
      if( mode<0 || mode==OUTPUT_LINE ){
        fprintf(stderr, "imgsearch search: --format must be table, csv or json, not '%s'\n", zMode);
        goto usage;
      }
      o.mode = (OutputMode)mode;
    }else if( z[0]=='-' && z[1] ){
      fprintf(stderr, "imgsearch search: unknown option %s\n", z);
      goto usage;
    }else if( zDb==0 ){
      zDb = z;
    }else{
      azQuery[nQuery++] = argv[i];
    }
  }
  if( zDb==0 || nQuery==0 ){
    fprintf(stderr, "imgsearch search: needs a database and at least one IMAGE\n");
    goto usage;
  }
  if( access(zDb, F_OK)!=0 ){
    fprintf(stderr, "imgsearch search: no such database: %s\n", zDb);
    free(azQuery);
    return EXIT_ERROR;
  }
  db = shell_open(zDb);
  if( db==0 ){ free(azQuery); return EXIT_ERROR; }
  exitCode = search_run(db, &o, nQuery, azQuery);
  sqlite3_close(db);
  free(azQuery);
  return exitCode;

usage:
  fputs(search_usage, stderr);
  free(azQuery);
  return EXIT_USAGE;
}
