/*
** cmd_report.c — `imgsearch report DB IMAGE... -o FILE`: the results of
** `search` as an HTML contact sheet.
**
** A section per query: the query image first, then its k results, each a
** colour thumbnail with rank, score (and inliers with --verify) and the
** path.  The search itself is cmd_search.c's (search_one); the page is
** report_html.c's.  A query that fails gets a section with the reason and
** makes the exit code 1, as in `search`.
**
** May call: common.h, search.h (the search and the command line),
** report_html.h, SQLite (sqlite3_mprintf).
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "report_html.h"
#include "search.h"

/* One query's section: the query image, then its hits (or the error). */
static void report_query(HtmlReport *r, const SearchOptions *o, const char *zQuery,
                         const SearchHit *hits, int n_hit, const char *zError){
  char *zHeading = sqlite3_mprintf("Query: %s", zQuery);
  int j;
  html_report_section(r, zHeading ? zHeading : zQuery, zError);
  html_report_card(r, zQuery, "query", 0, 1);
  for(j=0; j<n_hit; j++){
    char zLabel[32], zDetail[64];
    snprintf(zLabel, sizeof(zLabel), "#%d", j+1);
    if( o->verify ){
      snprintf(zDetail, sizeof(zDetail), "score %.4f, %d inliers",
               hits[j].score, hits[j].inliers);
    }else{
      snprintf(zDetail, sizeof(zDetail), "score %.4f", hits[j].score);
    }
    html_report_card(r, hits[j].zPath, zLabel, zDetail, 0);
  }
  sqlite3_free(zHeading);
}

static int report_run(sqlite3 *db, const SearchCommand *c){
  SearchOptions shown = c->o;
  const SearchOptions *o = &shown;
  SearchStatements s;
  HtmlReport *r;
  char zSummary[200];
  int i, n_failed = 0, exit_code;
  shell_install_interrupt();
  if( search_prepare(db, &s)!=EXIT_OK ) return EXIT_ERROR;
  shown.verify |= s.has_words;         /* words are always verified */
  snprintf(zSummary, sizeof(zSummary),
           "%d quer%s, %d result%s each; score: 1 = same image%s",
           c->n_query, c->n_query==1 ? "y" : "ies", o->k, o->k==1 ? "" : "s",
           o->verify ? "; ranked by geometric verification (inliers)" : "");
  r = html_report_open(c->zOutput, "imgsearch report", zSummary);
  if( r==0 ){
    search_finalize(&s);
    return EXIT_ERROR;
  }
  for(i=0; i<c->n_query && !shell_interrupted; i++){
    SearchHit *hits = 0;
    int n_hit = 0;
    char *zErr = 0;
    int rc = search_one(db, &s, o, c->queries[i], &hits, &n_hit, &zErr);
    const char *zError = rc==SQLITE_OK ? 0 : search_error_text(rc, zErr);
    if( zError ){
      n_failed++;
      fprintf(stderr, "imgsearch: %s: %s\n", c->queries[i], zError);
    }
    report_query(r, o, c->queries[i], hits, n_hit, zError);
    search_hits_free(hits, n_hit);
    sqlite3_free(zErr);
  }
  search_finalize(&s);
  exit_code = html_report_close(r);
  if( exit_code!=EXIT_OK ) return exit_code;
  printf("%d quer%s written to %s\n", c->n_query, c->n_query==1 ? "y" : "ies", c->zOutput);
  if( shell_interrupted ) return EXIT_INTERRUPTED;
  return n_failed ? EXIT_FAILURES : EXIT_OK;
}

static const char report_usage[] =
  "usage: imgsearch report DB IMAGE... -o FILE.html [options]\n"
  "\n"
  "Search DB for each IMAGE, as `imgsearch search` does, and write the\n"
  "results as one self-contained HTML page: per query, the query image and\n"
  "its results as thumbnails (colour) with rank, score and path.\n"
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
  return search_command_main("report", report_usage, argc, argv, report_run);
}
