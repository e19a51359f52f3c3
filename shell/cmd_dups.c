/*
** cmd_dups.c — `imgsearch dups DB`: groups of near-duplicate images.
**
** Every image's k nearest neighbours in image_vectors (annoy, angular)
** give candidate pairs; a pair with score (cosine similarity) >= --min-score
** links two images, and so do files with the same content hash.  Groups
** are the connected components (union-find).  A member's score is its best
** similarity to another member of its group.
**
** --verify keeps only the pairs that img_match also confirms (at least
** --min-inliers RANSAC inliers): fewer false groups at low thresholds.
**
** Output: one row per member: group, path, score (table, csv or json);
** with -o FILE an HTML page instead (report_html.c): a section per group,
** its members' thumbnails side by side with score and path.
*/
#include <stdlib.h>
#include <string.h>

#include "shell.h"

typedef struct DupsImage {
  sqlite3_int64 id;
  char *zPath;
  int parent;        /* union-find */
  double best;       /* best score to a linked image */
  int group;         /* 1-based output group, 0: none */
} DupsImage;

static int dups_find(DupsImage *a, int i){
  while( a[i].parent!=i ){
    a[i].parent = a[a[i].parent].parent;
    i = a[i].parent;
  }
  return i;
}

static void dups_link(DupsImage *a, int i, int j, double score){
  int ri = dups_find(a, i), rj = dups_find(a, j);
  if( score>a[i].best ) a[i].best = score;
  if( score>a[j].best ) a[j].best = score;
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
  sqlite3_stmt *stmt = 0;
  int hasPca = 0;
  if( sqlite3_prepare_v2(db, "SELECT count(*) FROM projection", -1, &stmt, 0)==SQLITE_OK
   && sqlite3_step(stmt)==SQLITE_ROW ) hasPca = sqlite3_column_int(stmt, 0)>0;
  sqlite3_finalize(stmt);
  return hasPca ? DUPS_MIN_SCORE_PCA : DUPS_MIN_SCORE_FULL;
}

int dups_run(sqlite3 *db, const DupsOptions *o){
  sqlite3_stmt *list = 0, *pairs = 0, *same = 0, *match = 0;
  DupsImage *a = 0;
  OutputTable *t = 0;
  HtmlReport *report = 0;
  int n = 0, nAlloc = 0, i, rc, exitCode = EXIT_ERROR, nGroup = 0;
  double minScore;
  static const char *const azName[] = {"group", "path", "score"};

  if( !shell_require_index(db) ) return EXIT_ERROR;
  minScore = o->min_score>=0 ? o->min_score : dups_default_score(db);
  rc = sqlite3_prepare_v2(db,
      "SELECT id, path FROM images WHERE status='ok' ORDER BY id", -1, &list, 0);
  if( rc==SQLITE_OK ) rc = sqlite3_prepare_v2(db,
      "SELECT a.id, n.rowid, 1 - n.distance FROM images AS a, image_vectors AS n"
      " WHERE a.vector=1 AND n.vlad MATCH (SELECT vlad FROM image_vectors WHERE rowid=a.id)"
      "   AND n.k = ?1", -1, &pairs, 0);
  if( rc==SQLITE_OK ) rc = sqlite3_prepare_v2(db,
      "SELECT a.id, b.id FROM images AS a JOIN images AS b"
      "    ON a.hash=b.hash AND a.id<b.id AND a.size=b.size"
      " WHERE a.status='ok' AND b.status='ok'", -1, &same, 0);
  if( rc==SQLITE_OK && o->min_inliers>0 ) rc = sqlite3_prepare_v2(db,
      "SELECT img_match((SELECT sift FROM features WHERE image_id=?1),"
      "                 (SELECT sift FROM features WHERE image_id=?2))", -1, &match, 0);
  if( rc!=SQLITE_OK ){ shell_db_error(db, "cannot prepare the duplicate search"); goto done; }

  while( sqlite3_step(list)==SQLITE_ROW ){
    if( n==nAlloc ){
      int nNew = nAlloc ? 2*nAlloc : 256;
      DupsImage *p = realloc(a, nNew*sizeof(DupsImage));
      if( p==0 ) goto nomem;
      a = p;
      nAlloc = nNew;
    }
    a[n].id = sqlite3_column_int64(list, 0);
    a[n].zPath = strdup((const char*)sqlite3_column_text(list, 1));
    if( a[n].zPath==0 ) goto nomem;
    a[n].parent = n;
    a[n].best = 0;
    a[n].group = 0;
    n++;
  }

  sqlite3_bind_int(pairs, 1, o->k + 1);    /* +1: each image finds itself */
  while( (rc = sqlite3_step(pairs))==SQLITE_ROW && !shell_interrupted ){
    sqlite3_int64 x = sqlite3_column_int64(pairs, 0), y = sqlite3_column_int64(pairs, 1);
    double score = sqlite3_column_double(pairs, 2);
    int ix, iy;
    if( x==y || score < minScore ) continue;
    ix = dups_index(a, n, x);
    iy = dups_index(a, n, y);
    if( ix>=0 && iy>=0 && match && dups_find(a, ix)!=dups_find(a, iy) ){
      int inliers = 0;
      sqlite3_bind_int64(match, 1, x);
      sqlite3_bind_int64(match, 2, y);
      if( sqlite3_step(match)==SQLITE_ROW ) inliers = sqlite3_column_int(match, 0);
      else{ shell_db_error(db, "img_match"); sqlite3_reset(match); goto done; }
      sqlite3_reset(match);
      if( inliers < o->min_inliers ) continue;
    }
    if( ix>=0 && iy>=0 ) dups_link(a, ix, iy, score);
  }
  if( rc!=SQLITE_DONE && rc!=SQLITE_ROW ){ shell_db_error(db, "duplicate search"); goto done; }
  while( sqlite3_step(same)==SQLITE_ROW ){
    int ix = dups_index(a, n, sqlite3_column_int64(same, 0));
    int iy = dups_index(a, n, sqlite3_column_int64(same, 1));
    if( ix>=0 && iy>=0 ) dups_link(a, ix, iy, 1.0);
  }

  t = output_table_new(3, azName);
  if( t==0 ) goto nomem;
  if( o->zHtml ){
    char zSummary[160];
    snprintf(zSummary, sizeof(zSummary),
             "near-duplicate groups: score (cosine similarity) >= %.2f%s; "
             "a member's score is its best to another member", minScore,
             o->min_inliers>0 ? ", confirmed by geometric verification" : "");
    report = html_report_open(o->zHtml, "imgsearch duplicates", zSummary);
    if( report==0 ) goto done;
  }
  /* Groups in order of their first (lowest id) member. */
  for(i=0; i<n; i++){
    int r = dups_find(a, i), j;
    if( a[i].best==0 || a[r].group ) continue;
    a[r].group = ++nGroup;
    if( report ){
      char zHeading[32];
      snprintf(zHeading, sizeof(zHeading), "Group %d", nGroup);
      html_report_section(report, zHeading, 0);
    }
    for(j=r; j<n; j++){
      if( a[j].best>0 && dups_find(a, j)==r ){
        if( report ){
          char zDetail[32];
          snprintf(zDetail, sizeof(zDetail), "score %.4f", a[j].best);
          html_report_card(report, a[j].zPath, 0, zDetail, 0);
        }else if( output_table_add(t, "isf", (sqlite3_int64)nGroup, a[j].zPath, a[j].best) ){
          goto nomem;
        }
      }
    }
  }
  if( report ){
    if( nGroup==0 ) html_report_section(report, "No near-duplicates", 0);
    exitCode = html_report_close(report);
    report = 0;
    if( exitCode!=EXIT_OK ) goto done;
    printf("%d group%s written to %s\n", nGroup, nGroup==1 ? "" : "s", o->zHtml);
  }else if( o->mode==OUTPUT_TABLE && nGroup==0 ){
    printf("no near-duplicates with score >= %.2f\n", minScore);
  }else{
    output_table_print(t, stdout, o->mode);
  }
  exitCode = shell_interrupted ? EXIT_INTERRUPTED : EXIT_OK;
  goto done;

nomem:
  fprintf(stderr, "imgsearch: out of memory\n");
done:
  if( report ) html_report_close(report);
  sqlite3_finalize(list);
  sqlite3_finalize(pairs);
  sqlite3_finalize(same);
  sqlite3_finalize(match);
  for(i=0; i<n; i++) free(a[i].zPath);
  free(a);
  output_table_free(t);
  return exitCode;
}

static const char dups_usage[] =
  "usage: imgsearch dups DB [options]\n"
  "\n"
  "Groups of near-duplicate images in DB: pairs whose score (cosine\n"
  "similarity of their vectors) is at least --min-score, joined into groups;\n"
  "identical files always group.  One row per member: group, path, score.\n"
  "\n"
  "options:\n"
  "  --min-score S      link threshold, 0..1 (default 0.4; 0.6 when the vectors\n"
  "                     are PCA-reduced, from 1000 images on)\n"
  "  -k N               neighbours examined per image (default 10)\n"
  "  --verify           link a pair only if img_match finds at least\n"
  "                     --min-inliers N (default 20) inliers\n"
  "  --format FORMAT    table (default), csv or json\n"
  "  -o, --output FILE  write the groups as an HTML page (thumbnails side by\n"
  "                     side) to FILE instead\n"
  "  -h, --help         this text\n"
  "\n"
  "exit status: 0 ok, 2 usage error, 3 no index, database error or the\n"
  "HTML file cannot be written\n";

int cmd_dups(int argc, char **argv){
  DupsOptions o;
  const char *zDb = 0;
  int i, exitCode;
  sqlite3 *db;
  o.min_score = -1;
  o.k = 10;
  o.min_inliers = 0;
  o.mode = OUTPUT_TABLE;
  o.zHtml = 0;
  for(i=0; i<argc; i++){
    const char *z = argv[i];
    if( strcmp(z, "-h")==0 || strcmp(z, "--help")==0 ){
      fputs(dups_usage, stdout);
      return EXIT_OK;
    }else if( strcmp(z, "--min-score")==0 ){
      char *zEnd = 0;
      if( i+1>=argc ) goto usage;
      o.min_score = strtod(argv[++i], &zEnd);
      if( zEnd==argv[i] || *zEnd || o.min_score<0 || o.min_score>1 ){
        fprintf(stderr, "imgsearch dups: --min-score must be a number from 0 to 1, not '%s'\n", argv[i]);
        goto usage;
      }
    }else if( strcmp(z, "-k")==0 ){
      if( i+1>=argc || (o.k = shell_parse_int(z, argv[++i], 1, 1000))<0 ) goto usage;
    }else if( strcmp(z, "-o")==0 || strcmp(z, "--output")==0 ){
      if( i+1>=argc ) goto usage;
      o.zHtml = argv[++i];
    }else if( strcmp(z, "--verify")==0 ){
      if( o.min_inliers==0 ) o.min_inliers = 20;
    }else if( strcmp(z, "--min-inliers")==0 ){
      if( i+1>=argc || (o.min_inliers = shell_parse_int(z, argv[++i], 1, 100000))<0 ) goto usage;
    }else if( strcmp(z, "--format")==0 ){
      int mode = i+1<argc ? output_mode_parse(argv[++i]) : -1;
      if( mode<0 || mode==OUTPUT_LINE ){
        fprintf(stderr, "imgsearch dups: --format must be table, csv or json\n");
        goto usage;
      }
      o.mode = (OutputMode)mode;
    }else if( z[0]=='-' && z[1] ){
      fprintf(stderr, "imgsearch dups: unknown option %s\n", z);
      goto usage;
    }else if( zDb==0 ){
      zDb = z;
    }else{
      fprintf(stderr, "imgsearch dups: unexpected argument %s\n", z);
      goto usage;
    }
  }
  if( zDb==0 ){
    fprintf(stderr, "imgsearch dups: needs a database\n");
    goto usage;
  }
  db = shell_open_existing("dups", zDb);
  if( db==0 ) return EXIT_ERROR;
  shell_install_interrupt();
  exitCode = dups_run(db, &o);
  sqlite3_close(db);
  return exitCode;

usage:
  fputs(dups_usage, stderr);
  return EXIT_USAGE;
}
