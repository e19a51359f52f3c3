/*
** cmd_report.c — `imgsearch report DB IMAGE... -o FILE`: the results of
** `search` as an HTML contact sheet.
**
** A section per query: the query image first, then its k results, each a
** grey thumbnail with rank, score (and inliers with --verify) and the
** path.  The search itself is cmd_search.c's (search_one); the page is
** report_html.c's.  A query that fails gets a section with the reason and
** makes the exit code 1, as in `search`.
*/
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shell.h"

static int report_run(sqlite3 *db, const SearchOptions *o, const char *zOutput,
                      int nQuery, char **azQuery){
  SearchStatements s;
  HtmlReport *r;
  char zSummary[200];
  int i, nFailed = 0, exitCode;
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
  snprintf(zSummary, sizeof(zSummary),
           "%d quer%s, %d result%s each; score = cosine similarity (1 = same)%s",
           nQuery, nQuery==1 ? "y" : "ies", o->k, o->k==1 ? "" : "s",
           o->verify ? "; ranked by geometric verification (inliers)" : "");
  r = html_report_open(zOutput, "imgsearch report", zSummary);
  if( r==0 ){
    search_finalize(&s);
    return EXIT_ERROR;
  }
  for(i=0; i<nQuery && !shell_interrupted; i++){
    SearchHit *aHit = 0;
    int nHit = 0, j;
    char *zError = search_one(db, &s, o, azQuery[i], &aHit, &nHit);
    char *zHeading = sqlite3_mprintf("Query: %s", azQuery[i]);
    if( zError ){
      nFailed++;
      fprintf(stderr, "imgsearch: %s: %s\n", azQuery[i], zError);
    }
    html_report_section(r, zHeading ? zHeading : azQuery[i], zError);
    html_report_card(r, azQuery[i], "query", 0, 1);
    for(j=0; j<nHit; j++){
      char zLabel[32], zDetail[64];
      snprintf(zLabel, sizeof(zLabel), "#%d", j+1);
      if( o->verify ){
        snprintf(zDetail, sizeof(zDetail), "score %.4f, %d inliers",
                 aHit[j].score, aHit[j].inliers);
      }else{
        snprintf(zDetail, sizeof(zDetail), "score %.4f", aHit[j].score);
      }
      html_report_card(r, aHit[j].zPath, zLabel, zDetail, 0);
      free(aHit[j].zPath);
    }
    free(aHit);
    free(zError);
    sqlite3_free(zHeading);
  }
  search_finalize(&s);
  exitCode = html_report_close(r);
  if( exitCode!=EXIT_OK ) return exitCode;
  if( shell_interrupted ) return EXIT_INTERRUPTED;
  return nFailed ? EXIT_FAILURES : EXIT_OK;
}

static const char report_usage[] =
  "usage: imgsearch report DB IMAGE... -o FILE.html [options]\n"
  "\n"
  "Search DB for each IMAGE, as `imgsearch search` does, and write the\n"
  "results as one self-contained HTML page: per query, the query image and\n"
  "its results as thumbnails (grey) with rank, score and path.\n"
  "\n"
  "options:\n"
  "  -o, --output FILE     the HTML file to write (required)\n"
  "  -k N                  results per query (default 10)\n"
  "  --verify              re-rank the best 20 by geometric verification\n"
  "                        (img_match); shows inliers\n"
  "  --shortlist N         candidates for --verify (default 20)\n"
  "  -h, --help            this text\n"
  "\n"
  "exit status: 0 ok, 1 some query failed, 2 usage error, 3 no index or\n"
  "the file cannot be written\n";

int cmd_report(int argc, char **argv){
  SearchOptions o;
  char **azQuery = calloc(argc>0 ? argc : 1, sizeof(char*));
  const char *zDb = 0, *zOutput = 0;
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
      fputs(report_usage, stdout);
      free(azQuery);
      return EXIT_OK;
    }else if( strcmp(z, "-o")==0 || strcmp(z, "--output")==0 ){
      if( i+1>=argc ) goto usage;
      zOutput = argv[++i];
    }else if( strcmp(z, "-k")==0 ){
      if( i+1>=argc || (o.k = shell_parse_int(z, argv[++i], 1, 10000))<0 ) goto usage;
    }else if( strcmp(z, "--shortlist")==0 ){
      if( i+1>=argc || (o.shortlist = shell_parse_int(z, argv[++i], 1, 10000))<0 ) goto usage;
    }else if( strcmp(z, "--verify")==0 ){
      o.verify = 1;
    }else if( z[0]=='-' && z[1] ){
      fprintf(stderr, "imgsearch report: unknown option %s\n", z);
      goto usage;
    }else if( zDb==0 ){
      zDb = z;
    }else{
      azQuery[nQuery++] = argv[i];
    }
  }
  if( zDb==0 || nQuery==0 ){
    fprintf(stderr, "imgsearch report: needs a database and at least one IMAGE\n");
    goto usage;
  }
  if( zOutput==0 ){
    fprintf(stderr, "imgsearch report: needs -o FILE.html, the page to write\n");
    goto usage;
  }
  if( access(zDb, F_OK)!=0 ){
    fprintf(stderr, "imgsearch report: no such database: %s\n", zDb);
    free(azQuery);
    return EXIT_ERROR;
  }
  db = shell_open(zDb);
  if( db==0 ){ free(azQuery); return EXIT_ERROR; }
  shell_install_interrupt();
  exitCode = report_run(db, &o, zOutput, nQuery, azQuery);
  sqlite3_close(db);
  free(azQuery);
  return exitCode;

usage:
  fputs(report_usage, stderr);
  free(azQuery);
  return EXIT_USAGE;
}
