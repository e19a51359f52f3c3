/*
** cmd_dups.c — `imgsearch dups DB`: groups of near-duplicate images.
**
** With visual words (image_words, made by `imgsearch index` since it has
** them): each image's k best images by words (search_words.c: as is and
** mirrored) are verified from their words; a verified pair whose
** confidence (copy_tier.h) reaches --min-score links two images as copies
** — crops, rotations, mirrors, re-encodes —, one below it only with
** --similar (different photos of one thing).  Databases from before: every image's k nearest
** neighbours in image_vectors (annoy, angular) give candidate pairs; a pair
** with score (cosine similarity) >= --min-score links two images, and
** --verify keeps only the pairs that img_match also confirms (at least
** --min-inliers RANSAC inliers).  Files with the same content hash always
** link, and so do featureless images whose thumbnails correlate
** (thumbs.h).  Groups are the connected components (union-find).  A member's
** score is its best score (with words: confidence) to another member of
** its group.
**
** Each group has a copy to keep (dups_keep.c), shown with the reason.
**
** Output: one row per member: group, path, score, match (what it is to the
** kept copy, or its best link: "same file", "same image 99%: 50% size, N
** inliers", "edited copy 97%: mirrored, crop 60%, N inliers", "similar 8%,
** N inliers", "featureless, thumbnails C", or without words "similar"),
** keep (1 for the copy to keep), reason (why it is kept) (table, csv or json); with -o FILE an
** HTML page instead (report_html.c): a section per group, its members'
** thumbnails side by side with score and path, the kept copy marked.
** Then, with --move-to, --hardlink, --delete or --exec, the other copies
** are acted on (dups_act.c).
**
** May call: common.h, copy_tier.h, db.h, output.h, report_html.h, dups_parts.h, search.h,
** SQLite (the annoy and wordindex tables, img_words, img_match).
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common.h"
#include "copy_tier.h"
#include "db.h"
#include "dups_parts.h"
#include "output.h"
#include "report_html.h"
#include "search.h"
#include "thumbs.h"

static int dups_find(DupsImage *a, int i){
  while( a[i].parent!=i ){
    a[i].parent = a[a[i].parent].parent;
    i = a[i].parent;
  }
  return i;
}

/* Link images i and j with a link of strength (DUPS_LINK_*) that zMatch
** describes (the match column of each for which it is the strongest). */
static void dups_link(DupsImage *a, int i, int j, double score, int strength,
                      const char *zMatch){
  int ri = dups_find(a, i), rj = dups_find(a, j), k;
  for(k=0; k<2; k++){
    DupsImage *m = &a[k ? j : i];
    if( score>m->best ) m->best = score;
    if( strength>m->strength || (strength==m->strength && score>m->match_score) ){
      m->strength = strength;
      m->match_score = score;
      snprintf(m->zMatch, sizeof(m->zMatch), "%s", zMatch);
    }
  }
  if( ri!=rj ){
    if( ri<rj ) a[rj].parent = ri; else a[ri].parent = rj;
  }
}

/* Index of id in a (sorted by id), or -1. */
static int dups_index(const DupsImage *a, int n, sqlite3_int64 id){
  int lo = 0, hi = n-1;
  while( lo<=hi ){
    int mid = (lo+hi)/2;
    if( a[mid].id==id ) return mid;
    if( a[mid].id<id ) lo = mid+1; else hi = mid-1;
  }
  return -1;
}

/* The default --min-score: cosines of PCA-whitened vectors (a projection
** row, sql/schema.sql) run higher than those of full VLADs.  Each was set
** where the 10,426-image benchmark links about as many true pairs
** (docs/BENCHMARKS.md, "dups"). */
#define DUPS_MIN_SCORE_FULL 0.4
#define DUPS_MIN_SCORE_PCA  0.6

static double dups_default_score(sqlite3 *db){
  int has_pca = db_query_int(db, "SELECT count(*) FROM projection")>0;
  return has_pca ? DUPS_MIN_SCORE_PCA : DUPS_MIN_SCORE_FULL;
}

void dups_options_default(DupsOptions *o){
  o->min_score = -1;
  o->k = 10;
  o->min_inliers = 0;
  o->mode = OUTPUT_TABLE;
  o->zHtml = 0;
  o->action = DUPS_ACTION_NONE;
  o->zMoveTo = o->zExec = o->zUndo = 0;
  o->dry_run = o->yes = 0;
  o->similar = 0;
}

/* The images of a run, sorted by id, and what links them. */
typedef struct DupsSet {
  DupsImage *images;
  int n, n_alloc;
  int words;            /* the database has visual words: dups_link_words */
  double min_score;
  DbModel model;        /* with words: for describe */
  sqlite3_stmt *describe;  /* dups_describe_sql, with words */
} DupsSet;

/* Every image with status 'ok', each its own group.  SQLITE_OK, or an
** error code (printed). */
static int dups_load(sqlite3 *db, DupsSet *set){
  sqlite3_stmt *list = 0;
  int rc = sqlite3_prepare_v2(db,
      "SELECT id, path, width, height, size, mtime, hash, features FROM images"
      " WHERE status='ok' ORDER BY id", -1, &list, 0);
  if( rc!=SQLITE_OK ){
    db_error(db, "cannot prepare the duplicate search");
    return rc;
  }
  while( rc==SQLITE_OK && sqlite3_step(list)==SQLITE_ROW ){
    DupsImage *image;
    if( set->n==set->n_alloc ){
      int n_new = set->n_alloc ? 2*set->n_alloc : 256;
      DupsImage *p = realloc(set->images, n_new*sizeof(DupsImage));
      if( p==0 ){ rc = SQLITE_NOMEM; break; }
      set->images = p;
      set->n_alloc = n_new;
    }
    image = &set->images[set->n];
    image->id = sqlite3_column_int64(list, 0);
    image->zPath = strdup((const char*)sqlite3_column_text(list, 1));
    if( image->zPath==0 ){ rc = SQLITE_NOMEM; break; }
    image->parent = set->n;
    image->best = 0;
    image->strength = 0;
    image->match_score = 0;
    image->zMatch[0] = 0;
    image->described = 0;
    memset(&image->to_kept, 0, sizeof(image->to_kept));
    image->group = 0;
    image->image.width = sqlite3_column_int(list, 2);
    image->image.height = sqlite3_column_int(list, 3);
    image->size = sqlite3_column_int64(list, 4);
    image->mtime_ns = sqlite3_column_int64(list, 5);
    image->image.features = sqlite3_column_int(list, 7);
    snprintf(image->zHash, sizeof(image->zHash), "%s",
             sqlite3_column_type(list, 6)==SQLITE_TEXT ? (const char*)sqlite3_column_text(list, 6) : "");
    set->n++;
  }
  sqlite3_finalize(list);
  if( rc==SQLITE_NOMEM ) fprintf(stderr, "imgsearch: out of memory\n");
  return rc;
}

/* 1 if img_match confirms the pair x, y with at least o->min_inliers
** inliers (match: the prepared statement), 0 if not, -1 on an error
** (printed). */
static int dups_confirmed(sqlite3 *db, sqlite3_stmt *match, const DupsOptions *o,
                          sqlite3_int64 x, sqlite3_int64 y){
  int inliers = 0, ok = 1;
  sqlite3_bind_int64(match, 1, x);
  sqlite3_bind_int64(match, 2, y);
  if( sqlite3_step(match)==SQLITE_ROW ){
    inliers = sqlite3_column_int(match, 0);
  }else{
    db_error(db, "img_match");
    ok = 0;
  }
  sqlite3_reset(match);
  if( !ok ) return -1;
  return inliers >= o->min_inliers;
}

/* Without visual words: each image's k nearest neighbours with score >=
** the threshold (confirmed by img_match with --verify).  Stops early on
** SIGINT.  SQLITE_OK or an error (printed). */
static int dups_link_pairs(sqlite3 *db, DupsSet *set, const DupsOptions *o){
  sqlite3_stmt *pairs = 0, *match = 0;
  DupsImage *a = set->images;
  int rc = sqlite3_prepare_v2(db,
      "SELECT a.id, n.rowid, 1 - n.distance FROM images AS a, image_vectors AS n"
      " WHERE a.vector=1 AND n.vlad MATCH (SELECT vlad FROM image_vectors WHERE rowid=a.id)"
      "   AND n.k = ?1", -1, &pairs, 0);
  if( rc==SQLITE_OK && o->min_inliers>0 ) rc = sqlite3_prepare_v2(db,
      "SELECT img_match((SELECT sift FROM features WHERE image_id=?1),"
      "                 (SELECT sift FROM features WHERE image_id=?2))", -1, &match, 0);
  if( rc!=SQLITE_OK ){
    db_error(db, "cannot prepare the duplicate search");
    goto done;
  }
  sqlite3_bind_int(pairs, 1, o->k + 1);    /* +1: each image finds itself */
  while( (rc = sqlite3_step(pairs))==SQLITE_ROW && !shell_interrupted ){
    sqlite3_int64 x = sqlite3_column_int64(pairs, 0), y = sqlite3_column_int64(pairs, 1);
    double score = sqlite3_column_double(pairs, 2);
    int ix, iy;
    if( x==y || score < set->min_score ) continue;
    ix = dups_index(a, set->n, x);
    iy = dups_index(a, set->n, y);
    if( ix<0 || iy<0 ) continue;
    if( match && dups_find(a, ix)!=dups_find(a, iy) ){
      int confirmed = dups_confirmed(db, match, o, x, y);
      if( confirmed<0 ){ rc = SQLITE_ERROR; goto done; }
      if( !confirmed ) continue;
    }
    dups_link(a, ix, iy, score, DUPS_LINK_SIMILAR, match ? "similar, verified" : "similar");
  }
  if( rc!=SQLITE_DONE && rc!=SQLITE_ROW ){
    db_error(db, "duplicate search");
    goto done;
  }
  rc = SQLITE_OK;
done:
  sqlite3_finalize(pairs);
  sqlite3_finalize(match);
  return rc;
}

/* With visual words: each image's o->k best images of image_words (its
** stored words and those of its mirror image) are verified from their
** words (search_words.c).  A pair that verifies with at least
** MATCH_MIN_INLIERS (or --min-inliers) inliers links as a copy when its
** confidence (copy_tier.h) is at least --min-score (by default
** COPY_MIN_CONFIDENCE), and as similar photos below that with --similar.
** Stops early on SIGINT.  SQLITE_OK or an error (printed). */
static int dups_link_words(sqlite3 *db, DupsSet *set, const DupsOptions *o){
  SearchStatements s;
  sqlite3_stmt *each = 0;
  int rc = SQLITE_ERROR, min_inliers = o->min_inliers>0 ? o->min_inliers : 1;
  if( search_prepare(db, &s)!=EXIT_OK ) return SQLITE_ERROR;
  if( s.model.vocab ) rc = sqlite3_prepare_v2(db,
      "SELECT a.id, (SELECT words FROM image_words WHERE rowid=a.id), img_words(f.sift, ?3, 1),"
      "       (SELECT vlad FROM image_vectors WHERE rowid=a.id)"
      "  FROM images AS a JOIN features AS f ON f.image_id=a.id"
      " WHERE a.vector=1 ORDER BY a.id", -1, &each, 0);
  if( rc!=SQLITE_OK ){
    db_error(db, "cannot prepare the duplicate search");
    goto done;
  }
  db_model_bind(&s.model, each, 1);
  while( (rc = sqlite3_step(each))==SQLITE_ROW && !shell_interrupted ){
    SearchWordsQuery q;
    SearchHit *hits = 0;
    char *zErr = 0;
    int n_hit = 0, ix = dups_index(set->images, set->n, sqlite3_column_int64(each, 0)), i;
    if( ix<0 || sqlite3_column_type(each, 1)!=SQLITE_BLOB ) continue;
    q.words = sqlite3_column_value(each, 1);
    q.mirror = sqlite3_column_value(each, 2);
    q.sift = 0;                          /* one word a feature, as indexed */
    q.n_sift = 0;
    q.vector = sqlite3_column_type(each, 3)==SQLITE_BLOB ? sqlite3_column_value(each, 3) : 0;
    q.image = set->images[ix].image;
    q.n_words = o->k + 1;                /* +1: each image finds itself */
    q.n_vlad = 0;
    rc = search_words_rank(db, &s, &q, &hits, &n_hit, &zErr);
    if( rc!=SQLITE_OK ){
      fprintf(stderr, "imgsearch: duplicate search: %s\n", search_error_text(rc, zErr));
      sqlite3_free(zErr);
      break;
    }
    for(i=0; i<n_hit; i++){
      int iy = dups_index(set->images, set->n, hits[i].id), copy;
      char zMatch[sizeof(set->images->zMatch)];
      if( iy<0 || iy==ix || hits[i].match.inliers<min_inliers ) continue;
      copy = hits[i].confidence>=set->min_score;
      if( !copy && !o->similar ) continue;
      copy_describe(&hits[i].match, hits[i].confidence, set->min_score, &q.image,
                    &hits[i].image, zMatch, sizeof(zMatch));
      dups_link(set->images, ix, iy, hits[i].confidence,
                copy ? DUPS_LINK_COPY : DUPS_LINK_SIMILAR, zMatch);
    }
    search_hits_free(hits, n_hit);
  }
  if( rc==SQLITE_DONE || rc==SQLITE_ROW ){
    rc = SQLITE_OK;
  }else if( rc!=SQLITE_OK ){
    db_error(db, "duplicate search");
  }
done:
  sqlite3_finalize(each);
  search_finalize(&s);
  return rc;
}

/* Files with the same content always link.  SQLITE_OK or an error
** (printed). */
static int dups_link_same(sqlite3 *db, DupsSet *set){
  sqlite3_stmt *same = 0;
  int rc = sqlite3_prepare_v2(db,
      "SELECT a.id, b.id FROM images AS a JOIN images AS b"
      "    ON a.hash=b.hash AND a.id<b.id AND a.size=b.size"
      " WHERE a.status='ok' AND b.status='ok'", -1, &same, 0);
  if( rc!=SQLITE_OK ){
    db_error(db, "cannot prepare the duplicate search");
    return rc;
  }
  while( sqlite3_step(same)==SQLITE_ROW ){
    int ix = dups_index(set->images, set->n, sqlite3_column_int64(same, 0));
    int iy = dups_index(set->images, set->n, sqlite3_column_int64(same, 1));
    if( ix>=0 && iy>=0 ) dups_link(set->images, ix, iy, 1.0, DUPS_LINK_SAME_FILE, "same file");
  }
  return sqlite3_finalize(same);
}

/* Featureless images whose thumbnails correlate (thumbs.h) link, with the
** correlation as score.  SQLITE_OK or an error (printed). */
static int dups_link_thumbs(sqlite3 *db, DupsSet *set){
  sqlite3_stmt *pairs = 0;
  int rc;
  if( db_query_int(db, "SELECT count(*) FROM sqlite_schema WHERE name='thumbs'")==0 ){
    return SQLITE_OK;         /* a read-only database from before thumbnails */
  }
  rc = sqlite3_prepare_v2(db, THUMBS_PAIRS_SQL, -1, &pairs, 0);
  if( rc!=SQLITE_OK ){
    db_error(db, "cannot prepare the duplicate search");
    return rc;
  }
  while( !shell_interrupted && sqlite3_step(pairs)==SQLITE_ROW ){
    int ix = dups_index(set->images, set->n, sqlite3_column_int64(pairs, 0));
    int iy = dups_index(set->images, set->n, sqlite3_column_int64(pairs, 1));
    if( ix>=0 && iy>=0 ){
      double correlation = sqlite3_column_double(pairs, 2);
      char zMatch[80];
      snprintf(zMatch, sizeof(zMatch), "featureless, thumbnails %.2f", correlation);
      dups_link(set->images, ix, iy, correlation, DUPS_LINK_FEATURELESS, zMatch);
    }
  }
  rc = sqlite3_finalize(pairs);
  if( rc!=SQLITE_OK ) db_error(db, "cannot compare thumbnails");
  return rc;
}

/* Where the groups go: the table t or the page report, or (a pass of its
** own, after the listing) the actor that acts on the other copies. */
typedef struct DupsSink {
  OutputTable *t;
  HtmlReport *report;
  DupsActor *actor;
} DupsSink;

static int dups_compare_group(const void *x, const void *y){
  const DupsImage *a = *(const DupsImage *const*)x, *b = *(const DupsImage *const*)y;
  if( a->group!=b->group ) return a->group<b->group ? -1 : 1;
  return a->id<b->id ? -1 : a->id>b->id;
}

/* The HTML card of members[i] (keep: the kept one's index, zReason why):
** a member is "#i" with what it is to the kept copy and the kept copy's
** frame outlined in it; the kept copy has every member's frame outlined,
** each labelled "#i".  0, or -1 when out of memory. */
static int dups_card(HtmlReport *report, const DupsImage *a, const int *members, int n,
                     int keep, int i, const char *zReason){
  const DupsImage *m = &a[members[i]], *kept = &a[members[keep]];
  HtmlOutline *outlines = calloc(n, sizeof(HtmlOutline));
  HtmlCard card;
  char zLabel[16], zDetail[400];
  int j;
  if( outlines==0 ) return -1;
  memset(&card, 0, sizeof(card));
  card.zPath = m->zPath;
  card.outlines = outlines;
  if( i==keep ){
    card.kind = HTML_CARD_QUERY;
    card.zLabel = "keep";
    snprintf(zDetail, sizeof(zDetail), "%s; %s", m->zMatch, zReason);
    for(j=0; j<n; j++){
      const DupsImage *other = &a[members[j]];
      if( j==keep || other->to_kept.inliers==0
       || copy_frame_in_b(&other->to_kept, &other->image, outlines[card.n_outline].xy) ) continue;
      snprintf(outlines[card.n_outline++].zLabel, sizeof(outlines->zLabel), "#%d", j+1);
    }
  }else{
    card.kind = m->strength==DUPS_LINK_SIMILAR ? HTML_CARD_SIMILAR : HTML_CARD_COPY;
    snprintf(zLabel, sizeof(zLabel), "#%d", i+1);
    card.zLabel = zLabel;
    if( m->described ){                 /* the confidence is in the text */
      snprintf(zDetail, sizeof(zDetail), "%s", m->zMatch);
    }else{
      snprintf(zDetail, sizeof(zDetail), "%s (score %.4f)", m->zMatch, m->best);
    }
    if( m->to_kept.inliers>0
     && copy_frame_in_a(&m->to_kept, &m->image, &kept->image, outlines[0].xy)==0 ){
      snprintf(outlines[0].zLabel, sizeof(outlines->zLabel), "keep");
      card.n_outline = 1;
    }
  }
  card.zDetail = zDetail;
  html_report_card(report, &card);
  free(outlines);
  return 0;
}

/* One group (members index into set->images): choose the copy to keep,
** hand every member to the sink.  0, or -1 when out of memory. */
static int dups_emit_group(DupsSet *set, int group, const int *members, int n,
                           DupsSink *sink){
  DupsImage *a = set->images;
  char zReason[160];
  int keep = dups_keep_choose(a, members, n, zReason, sizeof(zReason)), i;
  for(i=0; set->describe && i<n; i++){
    DupsImage *m = &a[members[i]];
    if( i==keep && (m->strength==DUPS_LINK_COPY || m->strength==DUPS_LINK_SIMILAR) ){
      snprintf(m->zMatch, sizeof(m->zMatch), "kept: the others are compared with it");
    }
    if( i==keep || m->described
     || (m->strength!=DUPS_LINK_COPY && m->strength!=DUPS_LINK_SIMILAR) ) continue;
    m->described = 1;
    if( dups_describe(set->describe, &set->model, set->min_score, m,
                      &a[members[keep]])==SQLITE_NOMEM ) return -1;
  }
  if( sink->report ){
    char zHeading[32];
    snprintf(zHeading, sizeof(zHeading), "Group %d", group);
    html_report_section(sink->report, zHeading, 0);
  }
  for(i=0; i<n; i++){
    const DupsImage *m = &a[members[i]];
    if( sink->report ){
      if( dups_card(sink->report, a, members, n, keep, i, zReason) ) return -1;
    }else if( sink->t && output_table_add(sink->t, "isfsis", (sqlite3_int64)group, m->zPath,
                                          m->best, m->zMatch, (sqlite3_int64)(i==keep),
                                          i==keep ? zReason : "") ){
      return -1;
    }
  }
  if( sink->actor ) dups_act_group(sink->actor, group, a, members, n, keep);
  return 0;
}

/* Number the groups in order of their first (lowest id) member and hand
** each to the sink.  Returns the number of groups, or -1 when out of
** memory. */
static int dups_collect_groups(DupsSet *set, DupsSink *sink){
  DupsImage *a = set->images;
  DupsImage **order = malloc((set->n ? set->n : 1)*sizeof(DupsImage*));
  int *members = malloc((set->n ? set->n : 1)*sizeof(int));
  int n_group = 0, n_member = 0, i, start;
  if( order==0 || members==0 ) goto oom;
  for(i=0; i<set->n; i++) a[i].group = 0;
  for(i=0; i<set->n; i++){
    int r = dups_find(a, i);
    if( a[i].best==0 ) continue;
    if( a[r].group==0 ) a[r].group = ++n_group;
    a[i].group = a[r].group;
    order[n_member++] = &a[i];
  }
  qsort(order, n_member, sizeof(DupsImage*), dups_compare_group);
  for(start=0; start<n_member; ){
    int end = start, n = 0;
    while( end<n_member && order[end]->group==order[start]->group ){
      members[n++] = (int)(order[end] - a);
      end++;
    }
    if( dups_emit_group(set, order[start]->group, members, n, sink) ) goto oom;
    start = end;
  }
  free(order);
  free(members);
  return n_group;
oom:
  free(order);
  free(members);
  return -1;
}

/* The groups as the page o->zHtml.  An EXIT_* code. */
static int dups_write_html(DupsSet *set, const DupsOptions *o, DupsSink *sink){
  char zSummary[240];
  int n_group, exit_code;
  if( set->words ){
    snprintf(zSummary, sizeof(zSummary),
             "%s: pairs confirmed by geometric verification of their visual words"
             " (copies: confidence >= %.2f); a member's score is its best confidence"
             " to another member; the copy to keep is marked",
             o->similar ? "copies and similar photos" : "copies", set->min_score);
  }else{
    snprintf(zSummary, sizeof(zSummary),
             "near-duplicate groups: score (cosine similarity) >= %.2f%s; "
             "a member's score is its best to another member; the copy to keep "
             "is marked", set->min_score,
             o->min_inliers>0 ? ", confirmed by geometric verification" : "");
  }
  sink->report = html_report_open(o->zHtml, "imgsearch duplicates", zSummary);
  if( sink->report==0 ) return EXIT_ERROR;
  n_group = dups_collect_groups(set, sink);
  if( n_group==0 ) html_report_section(sink->report, "No near-duplicates", 0);
  exit_code = html_report_close(sink->report);
  if( n_group<0 ){
    fprintf(stderr, "imgsearch dups: out of memory\n");
    return EXIT_ERROR;
  }
  if( exit_code!=EXIT_OK ) return exit_code;
  printf("%d group%s written to %s\n", n_group, n_group==1 ? "" : "s", o->zHtml);
  return EXIT_OK;
}

/* The groups as one row per member (group, path, score, match, keep,
** reason) in o->mode.  An EXIT_* code. */
static int dups_print(DupsSet *set, const DupsOptions *o, DupsSink *sink){
  static const char *const column_names[] = {"group", "path", "score", "match", "keep", "reason"};
  int n_group;
  sink->t = output_table_new(6, column_names);
  n_group = sink->t ? dups_collect_groups(set, sink) : -1;
  if( n_group<0 ){
    fprintf(stderr, "imgsearch dups: out of memory\n");
    output_table_free(sink->t);
    return EXIT_ERROR;
  }
  if( o->mode==OUTPUT_TABLE && n_group==0 ){
    printf("no near-duplicates with score >= %.2f\n", set->min_score);
  }else{
    output_table_print(sink->t, stdout, o->mode);
  }
  output_table_free(sink->t);
  return EXIT_OK;
}

int dups_run(sqlite3 *db, const DupsOptions *o){
  DupsSet set;
  int exit_code = EXIT_ERROR, i;
  if( !db_require_index(db) ) return EXIT_ERROR;
  memset(&set, 0, sizeof(set));
  set.words = db_has_words(db);
  if( !set.words ) db_note_no_words();
  if( set.words ){
    db_model_load(db, &set.model);
    if( sqlite3_prepare_v2(db, dups_describe_sql, -1, &set.describe, 0)!=SQLITE_OK ){
      db_error(db, "cannot prepare the duplicate search");
      db_model_free(&set.model);
      return EXIT_ERROR;
    }
  }
  set.min_score = o->min_score>=0 ? o->min_score
                : set.words ? COPY_MIN_CONFIDENCE : dups_default_score(db);
  if( dups_load(db, &set)==SQLITE_OK
   && (set.words ? dups_link_words(db, &set, o) : dups_link_pairs(db, &set, o))==SQLITE_OK
   && dups_link_same(db, &set)==SQLITE_OK
   && dups_link_thumbs(db, &set)==SQLITE_OK ){
    DupsSink sink;
    memset(&sink, 0, sizeof(sink));
    exit_code = o->zHtml ? dups_write_html(&set, o, &sink) : dups_print(&set, o, &sink);
    if( exit_code==EXIT_OK && shell_interrupted ) exit_code = EXIT_INTERRUPTED;
    if( exit_code==EXIT_OK && o->action!=DUPS_ACTION_NONE ){
      memset(&sink, 0, sizeof(sink));
      sink.actor = dups_act_open(o);
      if( sink.actor==0 ){
        exit_code = EXIT_ERROR;
      }else{
        if( dups_collect_groups(&set, &sink)<0 ) fprintf(stderr, "imgsearch dups: out of memory\n");
        exit_code = dups_act_close(sink.actor);
      }
    }
  }
  for(i=0; i<set.n; i++) free(set.images[i].zPath);
  free(set.images);
  sqlite3_finalize(set.describe);
  db_model_free(&set.model);
  return exit_code;
}

static const char dups_usage[] =
  "usage: imgsearch dups DB [options]\n"
  "\n"
  "Groups of copies in DB: pairs of images that geometric verification of\n"
  "their visual words confirms, joined into groups; identical files always\n"
  "group.  A verified pair gets a confidence that it is a copy, from how\n"
  "many of its points fit, how exactly (an edit of one photo fits to a\n"
  "fraction of a pixel, another photo of the same thing only roughly) and\n"
  "whether the frame moved (another photo is taken from elsewhere), and a\n"
  "name:\n"
  "  same file      identical bytes\n"
  "  same image     re-encoded, resized, recoloured, blurred or overlaid\n"
  "  edited copy    cropped, turned or mirrored (said which, and how much)\n"
  "  similar        another photo of the same object or scene (below the\n"
  "                 --min-score confidence: grouped only with --similar)\n"
  "  featureless    too few features: thumbnails that correlate\n"
  "One row per member: group, path, score (its best confidence to another\n"
  "member, 0..1; 0.9 = nine in ten such pairs are copies), match (what it\n"
  "is to the kept copy), keep, reason.  In each group one copy is marked to\n"
  "keep (keep 1), with the reason: the most pixels, then an original format\n"
  "(JPEG, HEIC, TIFF) over a conversion, then the larger file, then the\n"
  "oldest.  A database indexed by an older imgsearch (no visual words) links\n"
  "pairs whose cosine similarity is at least --min-score instead.\n"
  "\n"
  "Acting on the other copies (the kept one is never touched; a group whose\n"
  "kept file is gone or changed since `index` is left alone; one action):\n"
  "  --move-to DIR      move them into DIR (NAME (2).EXT when NAME.EXT is taken)\n"
  "  --hardlink         replace those identical to the kept copy (same bytes)\n"
  "                     with hard links to it; near-duplicates are left alone\n"
  "  --delete --yes     delete them (--delete alone is refused)\n"
  "  --exec CMD         run sh -c 'CMD \"$@\"' once per group with the kept\n"
  "                     copy first, then the others; IMGSEARCH_GROUP is set\n"
  "  --dry-run          say what would be done; change nothing\n"
  "  --undo FILE        the undo log (default imgsearch-undo-DATE-TIME.sh):\n"
  "                     a shell script that moves moved files back and unlinks\n"
  "                     linked ones (deletions cannot be undone)\n"
  "Afterwards `imgsearch index DB PATH --prune` brings DB up to date.\n"
  "\n"
  "options:\n"
  "  --min-score S      the confidence from which a pair is a copy, 0..1\n"
  "                     (default 0.5; for an older database the cosine, 0.4,\n"
  "                     or 0.6 when its vectors are PCA-reduced)\n"
  "  --similar          also group similar photos (no action then)\n"
  "  -k N               candidates examined per image (default 10)\n"
  "  --min-inliers N    link a pair only with at least N inliers (default 8\n"
  "                     with visual words)\n"
  "  --verify           older databases: link a pair only if img_match finds\n"
  "                     at least --min-inliers N (default 20) inliers\n"
  "  --format FORMAT    table (default), csv or json\n"
  "  -o, --output FILE  write the groups as an HTML page (thumbnails side by\n"
  "                     side) to FILE instead\n"
  "  -h, --help         this text\n"
  "\n"
  "exit status: 0 ok, 1 some action failed, 2 usage error, 3 no index,\n"
  "database error, or the HTML file or undo log cannot be written\n";

/* The command line of `dups` into o and *pzDb.  EXIT_OK (*p_help set for
** --help) or EXIT_USAGE with the problem printed. */
static int dups_parse_options(int argc, char **argv, DupsOptions *o,
                              const char **pzDb, int *p_help){
  int i, operands = 0;
  for(i=0; i<argc; i++){
    const char *z = argv[i];
    ShellArg kind = shell_arg_kind(z, &operands);
    if( kind==SHELL_ARG_END_OF_OPTIONS ) continue;
    if( kind==SHELL_ARG_OPERAND ){
      if( *pzDb ){
        fprintf(stderr, "imgsearch dups: unexpected argument %s\n", z);
        return EXIT_USAGE;
      }
      *pzDb = z;
      continue;
    }
    if( shell_is_help(z) ){
      *p_help = 1;
      return EXIT_OK;
    }else if( strcmp(z, "--min-score")==0 ){
      if( i+1>=argc || (o->min_score = shell_parse_fraction("dups --min-score", argv[++i]))<0 ) return EXIT_USAGE;
    }else if( strcmp(z, "-k")==0 ){
      if( i+1>=argc || (o->k = shell_parse_int(z, argv[++i], 1, 1000))<0 ) return EXIT_USAGE;
    }else if( strcmp(z, "-o")==0 || strcmp(z, "--output")==0 ){
      if( i+1>=argc ) return EXIT_USAGE;
      o->zHtml = argv[++i];
    }else if( strcmp(z, "--verify")==0 ){
      if( o->min_inliers==0 ) o->min_inliers = 20;
    }else if( strcmp(z, "--min-inliers")==0 ){
      if( i+1>=argc || (o->min_inliers = shell_parse_int(z, argv[++i], 1, 100000))<0 ) return EXIT_USAGE;
    }else if( strcmp(z, "--format")==0 ){
      int mode = i+1<argc ? output_mode_parse(argv[++i]) : -1;
      if( mode<0 || mode==OUTPUT_LINE ){
        fprintf(stderr, "imgsearch dups: --format must be table, csv or json\n");
        return EXIT_USAGE;
      }
      o->mode = (OutputMode)mode;
    }else if( strcmp(z, "--move-to")==0 || strcmp(z, "--exec")==0
           || strcmp(z, "--hardlink")==0 || strcmp(z, "--delete")==0 ){
      DupsAction action = z[2]=='m' ? DUPS_ACTION_MOVE : z[2]=='e' ? DUPS_ACTION_EXEC
                        : z[2]=='h' ? DUPS_ACTION_HARDLINK : DUPS_ACTION_DELETE;
      if( o->action!=DUPS_ACTION_NONE ){
        fprintf(stderr, "imgsearch dups: one action at a time (--move-to, --hardlink, --delete or --exec)\n");
        return EXIT_USAGE;
      }
      if( (action==DUPS_ACTION_MOVE || action==DUPS_ACTION_EXEC) && i+1>=argc ){
        fprintf(stderr, "imgsearch dups: %s needs a value\n", z);
        return EXIT_USAGE;
      }
      if( action==DUPS_ACTION_MOVE ) o->zMoveTo = argv[++i];
      if( action==DUPS_ACTION_EXEC ) o->zExec = argv[++i];
      o->action = action;
    }else if( strcmp(z, "--undo")==0 ){
      if( i+1>=argc ) return EXIT_USAGE;
      o->zUndo = argv[++i];
    }else if( strcmp(z, "--dry-run")==0 ){
      o->dry_run = 1;
    }else if( strcmp(z, "--yes")==0 ){
      o->yes = 1;
    }else if( strcmp(z, "--similar")==0 ){
      o->similar = 1;
    }else if( shell_unknown_option("dups", z) ){
      return EXIT_USAGE;
    }
  }
  if( *pzDb==0 ){
    fprintf(stderr, "imgsearch dups: needs a database\n");
    return EXIT_USAGE;
  }
  if( o->action==DUPS_ACTION_DELETE && !o->yes && !o->dry_run ){
    fprintf(stderr, "imgsearch dups: --delete deletes files for good: add --yes to "
                    "confirm, or --dry-run to see what it would delete\n");
    return EXIT_USAGE;
  }
  if( o->similar && o->action!=DUPS_ACTION_NONE ){
    fprintf(stderr, "imgsearch dups: --similar groups different photos of one thing: "
                    "it cannot be combined with an action\n");
    return EXIT_USAGE;
  }
  if( o->action==DUPS_ACTION_MOVE ){
    struct stat st;
    if( stat(o->zMoveTo, &st)!=0 || !S_ISDIR(st.st_mode) ){
      fprintf(stderr, "imgsearch dups: --move-to %s: not a folder (create it first)\n", o->zMoveTo);
      return EXIT_USAGE;
    }
  }
  return EXIT_OK;
}

int cmd_dups(int argc, char **argv){
  DupsOptions o;
  const char *zDb = 0;
  int help = 0, exit_code;
  sqlite3 *db;
  dups_options_default(&o);
  exit_code = dups_parse_options(argc, argv, &o, &zDb, &help);
  if( help ){
    fputs(dups_usage, stdout);
  }else if( exit_code==EXIT_USAGE ){
    fputs(dups_usage, stderr);
  }else if( (db = db_open_existing("dups", zDb))==0 ){
    exit_code = EXIT_ERROR;
  }else{
    shell_install_interrupt();
    exit_code = dups_run(db, &o);
    sqlite3_close(db);
  }
  return exit_code;
}
