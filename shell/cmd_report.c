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

#include "shell.h"

static int report_run(sqlite3 *db, const SearchOptions *o, const char *zOutput,
                      int nQuery, char **azQuery){
  SearchStatements s;
  HtmlReport *r;
  char zSummary[200];
  int i, nFailed = 0, exitCode;
  if( search_prepare(db, &s)!=EXIT_OK ) return EXIT_ERROR;
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
  "  --stats               per query on stderr: SIFT time and the rest\n"
  "  -h, --help            this text\n"
  "\n"
  "exit status: 0 ok, 1 some query failed, 2 usage error, 3 no index or\n"
  "the file cannot be written\n";

int cmd_report(int argc, char **argv){
  SearchCommand c;
  int exitCode = search_parse_options("report", argc, argv, &c);
  sqlite3 *db;
  if( exitCode==EXIT_OK && c.help ){
    fputs(report_usage, stdout);
  }else if( exitCode==EXIT_USAGE ){
    fputs(report_usage, stderr);
  }else if( exitCode==EXIT_OK ){
    db = shell_open_existing("report", c.zDb);
    if( db ) shell_install_interrupt();
    exitCode = db ? report_run(db, &c.o, c.zOutput, c.nQuery, c.azQuery) : EXIT_ERROR;
    sqlite3_close(db);
  }
  search_command_free(&c);
  return exitCode;
}
