/*
** cmd_report.c — `imgsearch report DB IMAGE... -o FILE`: the results of
** `search` as an HTML contact sheet.
**
** A section per query: the query image first, then its k results, each a
** colour thumbnail with rank, what it is to the query (with visual words:
** "edited copy 97%: crop 40%", "similar 8%", or an unverified neighbour's
** score; older databases: score, and inliers with --verify), pixel size,
** file size, date and path, linking to the file.  A copy's card shows
** where the query lies in it, and the query's card where each copy lies.  The search itself is cmd_search.c's (search_one); the page is
** report_html.c's.  A query that fails gets a section with the reason and
** makes the exit code 1, as in `search`.
**
** May call: common.h, copy_tier.h, search.h (the search and the command
** line), report_html.h, thumbnail.h, SQLite (sqlite3_mprintf).
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "copy_tier.h"
#include "report_html.h"
#include "search.h"
#include "thumbnail.h"

/* One query's section: the query image, then its hits (or the error).
** With visual words, a hit is a copy (its card green, the query's frame
** outlined in it, and its frame outlined in the query's, labelled with its
** rank), a similar photo (amber) or an unverified neighbour (grey). */
static void report_query(HtmlReport *r, const SearchOptions *o, const char *zQuery,
                         const SearchHit *hits, int n_hit, const char *zError){
  char *zHeading = sqlite3_mprintf("Query: %s", zQuery);
  HtmlOutline *in_query = calloc(n_hit ? n_hit : 1, sizeof(HtmlOutline));
  HtmlCard card;
  CopyImage query = {0, 0, 0};
  int j;
  html_report_section(r, zHeading ? zHeading : zQuery, zError);
  memset(&card, 0, sizeof(card));
  card.zPath = zQuery;
  card.zLabel = "query";
  card.kind = HTML_CARD_QUERY;
  card.outlines = in_query;
  if( in_query && thumbnail_image_size(zQuery, &query.width, &query.height)==0 ){
    for(j=0; j<n_hit; j++){
      if( hits[j].confidence<COPY_MIN_CONFIDENCE
       || copy_frame_in_a(&hits[j].match, &query, &hits[j].image, in_query[card.n_outline].xy) ){
        continue;
      }
      snprintf(in_query[card.n_outline++].zLabel, sizeof(in_query->zLabel), "#%d", j+1);
    }
  }
  html_report_card(r, &card);
  for(j=0; j<n_hit; j++){
    const SearchHit *h = &hits[j];
    char zLabel[32], zDetail[160];
    HtmlOutline in_hit;
    memset(&card, 0, sizeof(card));
    snprintf(zLabel, sizeof(zLabel), "#%d", j+1);
    card.zPath = h->zPath;
    card.zLabel = zLabel;
    card.zDetail = zDetail;
    if( h->match.inliers>0 && h->image.width>0 ){    /* verified by words */
      copy_describe(&h->match, h->confidence, COPY_MIN_CONFIDENCE, &query, &h->image, zDetail,
                    sizeof(zDetail));
      card.kind = h->confidence>=COPY_MIN_CONFIDENCE ? HTML_CARD_COPY : HTML_CARD_SIMILAR;
      if( card.kind==HTML_CARD_COPY && query.width>0
       && copy_frame_in_b(&h->match, &query, in_hit.xy)==0 ){
        snprintf(in_hit.zLabel, sizeof(in_hit.zLabel), "query");
        card.outlines = &in_hit;
        card.n_outline = 1;
      }
    }else if( o->verify ){
      snprintf(zDetail, sizeof(zDetail), "score %.4f, %d inliers", h->score, h->match.inliers);
      card.kind = h->match.inliers>0 ? HTML_CARD_COPY : HTML_CARD_UNVERIFIED;
    }else{
      snprintf(zDetail, sizeof(zDetail), "score %.4f", h->score);
    }
    html_report_card(r, &card);
  }
  free(in_query);
  sqlite3_free(zHeading);
}

static int report_run(sqlite3 *db, const SearchCommand *c){
  SearchOptions shown = c->o;
  const SearchOptions *o = &shown;
  SearchStatements s;
  HtmlReport *r;
  char zSummary[300];
  int i, n_failed = 0, exit_code;
  shell_install_interrupt();
  if( search_prepare(db, &s)!=EXIT_OK ) return EXIT_ERROR;
  shown.verify |= s.has_words;         /* words are always verified */
  snprintf(zSummary, sizeof(zSummary),
           "%d quer%s, %d result%s each; %s",
           c->n_query, c->n_query==1 ? "y" : "ies", o->k, o->k==1 ? "" : "s",
           s.has_words ? "ranked by geometric verification; each result says what it is to the"
                         " query and the confidence that it is a copy: copies in green (the"
                         " query's frame outlined), similar photos in amber, unverified"
                         " neighbours in grey"
           : o->verify ? "score: 1 = same image; ranked by geometric verification (inliers)"
           : "score: 1 = same image");
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
