/*
** test_shell.c — build/imgsearch end to end, on a copy of samples/ in a
** temporary folder.
**
**   test_shell BUILD/imgsearch.so      (run from the repository root by
**                                       tests/run.sh; the tool is the
**                                       imgsearch next to the .so; SAMPLES=dir
**                                       overrides samples/)
**
** Each case runs the tool through sh, with stdout and stderr captured to
** files, and asserts the exit code and what was printed or stored.  The
** database is read back with plain SQLite; CSV and JSON output are parsed
** back (JSON with SQLite's json functions).  Near-duplicates are made here:
** a half-size PPM of chelsea.png (decoded with stb_image) and a byte copy.
*/
#include <limits.h>
#include <math.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "testlib.h"

/* stb_image reads the screenshot (PNG) and the thumbnails (JPEG) back;
** most of it goes unused. */
#pragma GCC diagnostic ignored "-Wunused-function"
#define STB_IMAGE_IMPLEMENTATION
#define STB_IMAGE_STATIC
#define STBI_ONLY_PNG
#define STBI_ONLY_JPEG
#include <stb/stb_image.h>

static char zTool[1024];      /* the imgsearch binary */
static const char *zDir;      /* temporary folder (testlib's test_dir) */
static char zRoot[PATH_MAX];  /* the repository (the working directory) */
static char zOut[1100], zErr[1100];   /* captured stdout, stderr */

/* Whole file as a NUL-terminated string (malloc'd; "" if unreadable). */
static char *slurp(const char *zPath){
  FILE *f = fopen(zPath, "rb");
  char *z = 0;
  size_t n = 0, nAlloc = 0, got;
  if( f==0 ) return calloc(1, 1);
  do{
    if( n+4096>=nAlloc ){
      nAlloc = nAlloc*2 + 8192;
      z = realloc(z, nAlloc);
      if( z==0 ){ fclose(f); return calloc(1, 1); }
    }
    got = fread(z+n, 1, nAlloc-n-1, f);
    n += got;
  }while( got>0 );
  fclose(f);
  z[n] = 0;
  return z;
}

/* slurp() of a file in the test folder. */
static char *slurp_test_file(const char *zName){
  char zPath[1200];
  snprintf(zPath, sizeof(zPath), "%s/%s", zDir, zName);
  return slurp(zPath);
}

/* Run "imgsearch ARGS" in zDir (sh syntax allowed in ARGS).  Returns the
** exit code; *pzOut and *pzErr (malloc'd) get what it printed. */
static int run(char **pzOut, char **pzErr, const char *zFormat, ...){
  char zArgs[8192], zCmd[16384];
  va_list ap;
  int status;
  va_start(ap, zFormat);
  vsnprintf(zArgs, sizeof(zArgs), zFormat, ap);
  va_end(ap);
  snprintf(zCmd, sizeof(zCmd), "cd '%s' && NO_COLOR=1 '%s' %s >'%s' 2>'%s'",
           zDir, zTool, zArgs, zOut, zErr);
  status = system(zCmd);
  if( pzOut ) *pzOut = slurp(zOut);
  if( pzErr ) *pzErr = slurp(zErr);
  if( status==-1 || !WIFEXITED(status) ) return -1;
  return WEXITSTATUS(status);
}

static int sh(const char *zFormat, ...){
  char zCmd[8192], zFull[9300];
  va_list ap;
  va_start(ap, zFormat);
  vsnprintf(zCmd, sizeof(zCmd), zFormat, ap);
  va_end(ap);
  snprintf(zFull, sizeof(zFull), "cd '%s' && %s", zDir, zCmd);
  return system(zFull);
}

/* One value from SQL on the test database zDb in zDir (NULL: in memory),
** as text (malloc'd, "" for no row or NULL, "error: ..." on error). */
static char *query(const char *zDb, const char *zFormat, ...){
  char zPath[4400], *zSql, *zResult, *zCopy;
  sqlite3 *db;
  va_list ap;
  va_start(ap, zFormat);
  zSql = sqlite3_vmprintf(zFormat, ap);
  va_end(ap);
  if( zDb ) snprintf(zPath, sizeof(zPath), "%s/%s", zDir, zDb);
  db = open_db(zDb ? zPath : ":memory:");
  zResult = query_text(db, "%s", zSql);
  zCopy = strdup(zResult ? zResult : "");
  sqlite3_free(zResult);
  sqlite3_free(zSql);
  sqlite3_close(db);
  return zCopy;
}

static int query_int(const char *zDb, const char *zSql){
  char *z = query(zDb, "%s", zSql);
  int v = atoi(z);
  if( strncmp(z, "error", 5)==0 ) v = -999;
  free(z);
  return v;
}

static int contains(const char *zHay, const char *zNeedle){
  return strstr(zHay, zNeedle)!=0;
}

/* Write the PNG at zFrom, halved in both directions, as a binary PPM. */
static int write_half_ppm(const char *zFrom, const char *zTo){
  int w, h, n, x, y, c;
  unsigned char *px = stbi_load(zFrom, &w, &h, &n, 3);
  FILE *f;
  if( px==0 ) return -1;
  f = fopen(zTo, "wb");
  if( f==0 ){ stbi_image_free(px); return -1; }
  fprintf(f, "P6\n%d %d\n255\n", w/2, h/2);
  for(y=0; y<h/2; y++) for(x=0; x<w/2; x++) for(c=0; c<3; c++){
    int s = px[((2*y)*w + 2*x)*3+c] + px[((2*y)*w + 2*x+1)*3+c]
          + px[((2*y+1)*w + 2*x)*3+c] + px[((2*y+1)*w + 2*x+1)*3+c];
    fputc(s/4, f);
  }
  fclose(f);
  stbi_image_free(px);
  return 0;
}

/* The line of zText that starts with zPrefix (malloc'd), or "". */
static char *line_starting(const char *zText, const char *zPrefix){
  const char *z = zText;
  size_t n = strlen(zPrefix);
  while( z && *z ){
    if( strncmp(z, zPrefix, n)==0 ){
      const char *zEnd = strchr(z, '\n');
      size_t len = zEnd ? (size_t)(zEnd-z) : strlen(z);
      char *p = malloc(len+1);
      memcpy(p, z, len);
      p[len] = 0;
      return p;
    }
    z = strchr(z, '\n');
    if( z ) z++;
  }
  return calloc(1, 1);
}

static void write_file(const char *zName, const char *zText){
  char zPath[4400];
  FILE *f;
  snprintf(zPath, sizeof(zPath), "%s/%s", zDir, zName);
  f = fopen(zPath, "wb");
  if( f ){ fputs(zText, f); fclose(f); }
}

/* ---- CSV: split one line into fields (no quoted fields expected). -------- */
static int csv_split(char *zLine, char **azField, int nMax){
  int n = 0;
  char *z = zLine;
  while( n<nMax ){
    azField[n++] = z;
    z = strchr(z, ',');
    if( z==0 ) break;
    *z++ = 0;
  }
  return n;
}

static void test_help_and_usage(void){
  char *zO, *zE;
  int rc;
  static const char *const azCmd[] = {"index", "search", "dups", "report", ""};
  int i;
  /* 1.x --help on every command: exit 0, usage on stdout */
  for(i=0; i<5; i++){
    char zWant[64];
    rc = run(&zO, &zE, "%s --help", azCmd[i]);
    snprintf(zWant, sizeof(zWant), "usage: imgsearch %s", azCmd[i]);
    check(rc==0 && contains(zO, zWant), "1.%d %s --help: exit 0, prints \"%s\"",
          i+1, azCmd[i][0] ? azCmd[i] : "(shell)", zWant);
    free(zO); free(zE);
  }
  /* 2.x usage errors exit 2 */
  rc = run(&zO, &zE, "index");
  check(rc==2 && contains(zE, "needs a database"), "2.1 index without arguments: exit 2 (%d)", rc);
  free(zO); free(zE);
  rc = run(&zO, &zE, "index t.db img --jobs 0");
  check(rc==2 && contains(zE, "--jobs must be"), "2.2 index --jobs 0: exit 2 (%d)", rc);
  free(zO); free(zE);
  rc = run(&zO, &zE, "search t.db");
  check(rc==2, "2.3 search without an image: exit 2 (%d)", rc);
  free(zO); free(zE);
  rc = run(&zO, &zE, "search t.db x.png --format xml");
  check(rc==2 && contains(zE, "--format must be"), "2.4 search --format xml: exit 2 (%d)", rc);
  free(zO); free(zE);
  rc = run(&zO, &zE, "dups t.db --min-score 2");
  check(rc==2, "2.5 dups --min-score 2: exit 2 (%d)", rc);
  free(zO); free(zE);
  rc = run(&zO, &zE, "frobnicate --now");
  check(rc==2, "2.6 unknown option: exit 2 (%d)", rc);
  free(zO); free(zE);
  rc = run(&zO, &zE, "search missing.db img/box.png");
  check(rc==3 && contains(zE, "no such database"), "2.7 search on a missing database: exit 3 (%d)", rc);
  free(zO); free(zE);
}

static void test_index(void){
  char *zO, *zE, *z;
  int rc, n;
  /* 3.x first index of the samples */
  rc = run(&zO, &zE, "index t.db img --jobs 2");
  check(rc==0, "3.1 index img: exit 0 (%d)%s%s", rc, rc ? "\n# " : "", rc ? zE : "");
  check(contains(zE, "18 indexed, 0 unchanged, 0 touched, 0 failed"),
        "3.2 index reports 18 indexed, 0 failed");
  free(zO); free(zE);
  n = query_int("t.db", "SELECT count(*) FROM images WHERE status='ok'");
  check(n==18, "3.3 18 images with status ok (%d)", n);
  n = query_int("t.db", "SELECT count(*) FROM images WHERE path NOT LIKE '/%' OR hash NOT GLOB '[0-9a-f]*' OR length(hash)<>16");
  check(n==0, "3.4 paths are absolute, hashes 16 hex digits (%d bad)", n);
  z = query("t.db", "SELECT width||'x'||height||' '||features FROM images WHERE path LIKE '%%/box.png'");
  check(strncmp(z, "324x223 ", 8)==0 && atoi(z+8)>100, "3.5 box.png: 324x223 with features (%s)", z);
  free(z);
  n = query_int("t.db", "SELECT count(*) FROM features JOIN images ON id=image_id WHERE length(sift)<>20+148*features");
  check(n==0, "3.6 every sift blob holds images.features keypoints (%d mismatched)", n);
  n = query_int("t.db", "SELECT count(*) FROM features");
  check(n==18, "3.7 18 sift blobs (%d)", n);
  n = query_int("t.db", "SELECT (SELECT count(*) FROM images WHERE features>0) = (SELECT count(*) FROM images WHERE vector=1)"
                        " AND (SELECT clusters FROM codebook)=64 AND (SELECT count(*) FROM sqlite_schema WHERE name='image_vectors')=1");
  check(n==1, "3.8 codebook of 64 clusters; a vector for every image with features");

  /* 4.x incremental */
  rc = run(&zO, &zE, "index t.db img");
  check(rc==0 && contains(zE, "0 indexed, 18 unchanged, 0 touched, 0 failed"),
        "4.1 re-run: 18 unchanged, nothing indexed (%d)", rc);
  free(zO); free(zE);
  n = query_int("t.db", "SELECT id FROM images WHERE path LIKE '%/moon.png'");
  sh("touch -d @981173106 img/moon.png");
  rc = run(&zO, &zE, "index t.db img");
  check(rc==0 && contains(zE, "0 indexed, 17 unchanged, 1 touched, 0 failed"),
        "4.2 touched file: same content, only its mtime is updated (%d)", rc);
  free(zO); free(zE);
  z = query("t.db", "SELECT id||' '||mtime FROM images WHERE path LIKE '%%/moon.png'");
  check(atoi(z)==n && contains(z, " 981173106000000000"), "4.3 same id, new mtime (%s)", z);
  free(z);
  sh("cp img/moon.png img/camera.png");
  rc = run(&zO, &zE, "index t.db img");
  check(rc==0 && contains(zE, "1 indexed, 17 unchanged, 0 touched, 0 failed"),
        "4.4 modified file is indexed again (%d)", rc);
  free(zO); free(zE);
  n = query_int("t.db", "SELECT count(DISTINCT features) || count(DISTINCT hash) FROM images WHERE path LIKE '%/moon.png' OR path LIKE '%/camera.png'");
  check(n==11, "4.5 camera.png now has moon.png's hash and features (%d)", n);
  rc = run(&zO, 0, "search t.db img/moon.png -k 2 --format csv");
  check(rc==0 && contains(zO, "/camera.png,1.0000") && contains(zO, "/moon.png,1.0000"),
        "4.6 its vector was replaced: both score 1 for moon.png");
  free(zO);

  /* 5.x failures */
  sh("printf 'not an image' > img/garbage.jpg && head -c 1000 img/box.png > img/truncated.png"
     " && ln -s /nonexistent img/dangling.png");
  rc = run(&zO, &zE, "index t.db img -q");
  check(rc==1, "5.1 garbage, truncated and dangling files: exit 1 (%d)", rc);
  check(contains(zE, "FAILED") && contains(zE, "garbage.jpg: img_info: not a supported image")
        && contains(zE, "truncated.png:") && contains(zE, "dangling.png: cannot read"),
        "5.2 each failure is reported with its reason");
  check(contains(zE, "0 indexed, 18 unchanged, 0 touched, 3 failed"), "5.3 counted: 3 failed");
  free(zO); free(zE);
  n = query_int("t.db", "SELECT count(*) FROM images WHERE status='error' AND length(error)>10 AND id NOT IN (SELECT image_id FROM features)");
  check(n==2, "5.4 the two bad files are recorded with status error and their reason (%d)", n);
  rc = run(&zO, &zE, "index t.db img -q");
  check(rc==1 && contains(zE, "3 failed"), "5.5 failed files are retried on every run: exit 1 again (%d)", rc);
  free(zO); free(zE);

  /* 6.x --prune */
  sh("rm img/garbage.jpg img/truncated.png img/dangling.png img/rocket.jpg");
  rc = run(&zO, &zE, "index t.db img --prune");
  check(rc==0 && contains(zE, "pruned 3 records"), "6.1 --prune after deleting files: exit 0, 3 pruned (%d)", rc);
  free(zO); free(zE);
  n = query_int("t.db", "SELECT count(*) FROM images WHERE path LIKE '%rocket%' OR status='error'");
  check(n==0, "6.2 their records are gone (%d)", n);
  n = query_int("t.db", "SELECT (SELECT count(*) FROM images)*1000 + (SELECT count(*) FROM features)");
  check(n==17017, "6.3 17 images and 17 sift blobs left (%d)", n);
  rc = run(&zO, 0, "search t.db img_orig/rocket.jpg -k 20 --format csv");
  check(rc==0 && !contains(zO, "/img/rocket.jpg"), "6.4 rocket.jpg is out of image_vectors (%d)", rc);
  free(zO);
  sh("cp '%s/img_orig/rocket.jpg' img/ && cp '%s/img_orig/camera.png' img/", zDir, zDir);
  rc = run(&zO, &zE, "index t.db img");
  check(rc==0 && contains(zE, "2 indexed"), "6.5 restoring files indexes them again (%d)", rc);
  free(zO); free(zE);
}

static void test_search(void){
  char *zO, *zE, *z;
  char *azLine[64], *azField[8];
  int rc, n, i, ok;
  /* 7.x */
  rc = run(&zO, &zE, "search t.db img/box.png -k 5");
  check(rc==0 && contains(zO, "query: img/box.png") && contains(zO, "rank  path"),
        "7.1 table output: a block per query (%d)", rc);
  z = line_starting(zO, "   1  ");
  check(contains(z, "/img/box.png ") && contains(z, "1.0000"), "7.2 the image itself is rank 1, score 1 (%s)", z);
  free(z);
  free(zO); free(zE);

  rc = run(&zO, &zE, "search t.db img/box.png --verify -k 3");
  z = line_starting(zO, "   2  ");
  check(rc==0 && contains(zO, "inliers") && contains(z, "/img/box_in_scene.png "),
        "7.3 --verify: box_in_scene.png is rank 2 for box.png (%s)", z);
  free(z);
  free(zO); free(zE);
  rc = run(&zO, &zE, "search t.db img/box_in_scene.png --verify -k 2 --format csv");
  ok = rc==0 && contains(zO, "/img/box.png,");
  if( ok ){
    char *zRow = strstr(zO, "/img/box.png,");
    int inliers = 0;
    double score = 0;
    ok = sscanf(strchr(zRow, ',')+1, "%lf,%d", &score, &inliers)==2 && inliers>=20;
    check(ok, "7.4 --verify: box.png found for box_in_scene.png with %d inliers", inliers);
  }else{
    check(0, "7.4 --verify: box.png found for box_in_scene.png");
  }
  free(zO); free(zE);

  /* 8.x csv parsed back */
  rc = run(&zO, &zE, "search t.db img/aero1.jpg img/coins.png -k 3 --format csv");
  n = 0;
  for(z=strtok(zO, "\n"); z && n<64; z=strtok(0, "\n")) azLine[n++] = z;
  check(rc==0 && n==7 && strcmp(azLine[0], "query,rank,path,score,inliers")==0,
        "8.1 csv: header query,rank,path,score,inliers (words are always verified) and 3 rows per query (%d lines)", n);
  ok = n==7;
  for(i=1; ok && i<n; i++){
    int nField = csv_split(azLine[i], azField, 8);
    double score = atof(azField[3]);
    ok = nField==5 && atoi(azField[1])==(i-1)%3+1 && azField[2][0]=='/'
      && strcmp(azField[0], i<=3 ? "img/aero1.jpg" : "img/coins.png")==0
      && score>=-1 && score<=1.00001;
    if( ok && (i-1)%3==0 ){
      ok = score>0.999 && contains(azField[2], i<=3 ? "/aero1.jpg" : "/coins.png");
    }
  }
  check(ok, "8.2 csv: every row has query, rank 1..3, an absolute path, a score; rank 1 is the query itself");
  free(zO); free(zE);

  /* 9.x json parsed back with SQLite's JSON functions */
  rc = run(&zO, &zE, "search t.db img/box.png img/chelsea.png -k 4 --verify --format json");
  z = query(0, "SELECT json_valid(%Q) || json_array_length(%Q) || json_array_length(%Q, '$[0].results')"
               " || json_extract(%Q, '$[1].query')", zO, zO, zO, zO);
  check(rc==0 && strcmp(z, "124img/chelsea.png")==0, "9.1 json: valid, 2 queries, 4 results each (%s)", z);
  free(z);
  z = query(0, "SELECT json_extract(%Q, '$[0].results[0].rank') || ' ' || json_extract(%Q, '$[0].results[0].path')"
               " || ' ' || json_extract(%Q, '$[0].results[0].score') || ' ' || json_extract(%Q, '$[0].results[1].path')"
               " || ' ' || (json_extract(%Q, '$[0].results[1].inliers') >= 20)"
               " || ' ' || json_type(%Q, '$[0].results[0].score')",
           zO, zO, zO, zO, zO, zO);
  check(contains(z, "1 /") && contains(z, "/img/box.png 1.0 ") && contains(z, "/img/box_in_scene.png 1 real"),
        "9.2 json: rank 1 is box.png with score 1.0, rank 2 box_in_scene.png with inliers (%s)", z);
  free(z);
  free(zO); free(zE);

  /* 10.x a query that fails */
  sh("printf 'not an image' > notimage.png");
  rc = run(&zO, &zE, "search t.db notimage.png img/box.png -k 1 --format json");
  z = query(0, "SELECT json_extract(%Q, '$[0].error') IS NOT NULL AND json_extract(%Q, '$[1].results[0].path') LIKE '%%/box.png'", zO, zO);
  check(rc==1 && strcmp(z, "1")==0 && contains(zE, "notimage.png: img_sift: not a supported image"),
        "10.1 a query that is not an image: exit 1, reported, the next query still answered (%d)", rc);
  free(z);
  free(zO); free(zE);
}

static void test_dups(void){
  char zFrom[4400], zTo[4400];
  char *zO, *zE, *z;
  int rc;
  snprintf(zFrom, sizeof(zFrom), "%s/img/chelsea.png", zDir);
  snprintf(zTo, sizeof(zTo), "%s/img/sub/chelsea_half.ppm", zDir);
  sh("mkdir -p img/sub && cp img/home.jpg img/sub/home_copy.jpg");
  check(write_half_ppm(zFrom, zTo)==0, "11.1 made a half-size PPM of chelsea.png");
  rc = run(&zO, &zE, "index t.db img -q");
  check(rc==0, "11.2 indexed the copies in a subfolder (%d)", rc);
  free(zO); free(zE);

  rc = run(&zO, &zE, "dups t.db --format json");
  z = query(0, "SELECT group_concat(g || ':' || substr(p, instr(p, '/img/')+5), ' ') FROM"
               " (SELECT json_extract(value, '$.group') AS g, json_extract(value, '$.path') AS p"
               "    FROM json_each(%Q) ORDER BY 1, 2)", zO);
  check(rc==0 && strcmp(z, "1:chelsea.png 1:sub/chelsea_half.ppm 2:home.jpg 2:sub/home_copy.jpg")==0,
        "11.3 dups: chelsea.png with its half-size copy, home.jpg with its byte copy; box.png"
        " (another photo of the box in box_in_scene.png) is not a copy (%s)", z);
  free(z);
  z = query(0, "SELECT min(json_extract(value, '$.score')) >= 0.5 AND max(json_extract(value, '$.score')) <= 1.0001 FROM json_each(%Q)", zO);
  check(strcmp(z, "1")==0, "11.4 dups: member scores (confidences) are in [0.5, 1]");
  free(z);
  /* the inlier counts, confidences and the crop's figures depend on SIFT's
  ** SIMD path: "same image 100%: 50% size, 159 inliers" is read as
  ** "same image: 50% size" */
  z = query(0, "SELECT group_concat(substr(p, instr(p, '/img/')+5) || '=' ||"
               "  CASE WHEN m LIKE '%% inliers' THEN rtrim(substr(m, 1, length(m) - 8), '0123456789, ')"
               "       ELSE m END, '; ') FROM"
               " (SELECT json_extract(value, '$.path') AS p,"
               "         replace(replace(json_extract(value, '$.match'), ' 100%%', ''), ' 99%%', '') AS m"
               "    FROM json_each(%Q) ORDER BY 1)", zO);
  check(strcmp(z, "chelsea.png=kept: the others are compared with it; home.jpg=same file;"
                  " sub/chelsea_half.ppm=same image: 50% size; sub/home_copy.jpg=same file")==0,
        "11.7 dups: the match column says what each is to the kept copy: the PPM the same"
        " image at half the size (%s)", z);
  free(z);
  free(zO); free(zE);
  rc = run(&zO, &zE, "dups t.db --similar --format json");
  z = query(0, "SELECT group_concat(substr(p, instr(p, '/img/')+5) || '=' || m, '; ') FROM"
               " (SELECT json_extract(value, '$.path') AS p, json_extract(value, '$.match') AS m,"
               "         json_extract(value, '$.score') AS c"
               "    FROM json_each(%Q) WHERE p LIKE '%%/box%%' ORDER BY 1)", zO);
  check(rc==0 && z && strncmp(z, "box.png=similar ", 16)==0
        && contains(z, "; box_in_scene.png=kept: the others are compared with it"),
        "11.8 dups --similar: box.png and box_in_scene.png grouped as similar photos (%s)", z);
  free(z);
  z = query(0, "SELECT max(json_extract(value, '$.score')) < 0.5 FROM json_each(%Q)"
               " WHERE json_extract(value, '$.path') LIKE '%%/box.png'", zO);
  check(strcmp(z, "1")==0, "11.9 dups --similar: the similar pair's confidence is below 0.5");
  free(z);
  free(zO); free(zE);
  rc = run(&zO, &zE, "dups t.db --similar --delete --yes");
  check(rc==2 && contains(zE, "--similar groups different photos of one thing: it cannot be combined with an action"),
        "11.10 dups --similar with an action: usage error (%d)", rc);
  free(zO); free(zE);
  rc = run(&zO, &zE, "dups t.db --min-score 0 --format csv");
  check(rc==0 && contains(zO, "group,path,score,match,keep,reason\n") && contains(zO, "/img/box_in_scene.png,")
        && contains(zO, "/img/box.png,") && contains(zO, "/chelsea_half.ppm,") && contains(zO, "/home_copy.jpg,")
        && !contains(zO, "gravel") && !contains(zO, "brick"),
        "11.5 dups --min-score 0: every verified pair is a copy (box with box_in_scene), nothing unverified");
  free(zO); free(zE);
  rc = run(&zO, &zE, "dups t.db --min-score 1");
  check(rc==0 && contains(zO, "home_copy.jpg") && !contains(zO, "chelsea"),
        "11.6 dups --min-score 1: only the identical files");
  free(zO); free(zE);
}

/* Occurrences of zNeedle in zHay. */
static int count_of(const char *zHay, const char *zNeedle){
  int n = 0;
  for(zHay=strstr(zHay, zNeedle); zHay; zHay=strstr(zHay+1, zNeedle)) n++;
  return n;
}

/* Screenshot zHtml (in zDir) with headless chromium into zPng; 1 if a PNG
** was written, 0 if chromium failed. */
static int screenshot(const char *zHtml, const char *zPng){
  return sh("timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-quic"
            " --no-first-run --disable-background-networking --disable-component-update"
            " --disable-sync --user-data-dir=\"$(mktemp -d)\" --screenshot='%s'"
            " --window-size=1200,900 'file://%s/%s' >chromium.log 2>&1", zPng, zDir, zHtml)==0;
}

/* Standard deviation of the grey levels of a PNG, -1 if it does not decode. */
static double png_grey_deviation(const char *zPng, int *pWidth, int *pHeight){
  int w, h, n;
  unsigned char *px = stbi_load(zPng, &w, &h, &n, 1);
  double sum = 0, sum2 = 0, mean;
  long i;
  if( px==0 ) return -1;
  for(i=0; i<(long)w*h; i++){ sum += px[i]; sum2 += (double)px[i]*px[i]; }
  stbi_image_free(px);
  *pWidth = w;
  *pHeight = h;
  mean = sum/((double)w*h);
  return sqrt(sum2/((double)w*h) - mean*mean);
}

/* The first thumbnail after zFrom in an HTML page (a base64 JPEG data:
** URI): its components (1 grey, 3 colour) and its mean |R-G| + |G-B|, the
** colour in it; -1 if there is none or it does not decode. */
static double thumbnail_colour(const char *zFrom, int *pComponents){
  static const char digits[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const char *z = zFrom ? strstr(zFrom, "base64,") : 0;
  unsigned char *jpeg, *px;
  size_t n = 0;
  unsigned v = 0;
  int bits = 0, w, h, i;
  double sum = 0;
  if( z==0 ) return -1;
  z += 7;
  jpeg = malloc(strlen(z));
  for(; *z && *z!='"' && *z!='='; z++){
    const char *d = strchr(digits, *z);
    if( d==0 ) break;
    v = v<<6 | (unsigned)(d-digits);
    bits += 6;
    if( bits>=8 ){ bits -= 8; jpeg[n++] = (unsigned char)(v>>bits); }
  }
  stbi_info_from_memory(jpeg, (int)n, &w, &h, pComponents);
  px = stbi_load_from_memory(jpeg, (int)n, &w, &h, &i, 3);
  free(jpeg);
  if( px==0 ) return -1;
  for(i=0; i<w*h; i++){
    sum += abs(px[3*i]-px[3*i+1]) + abs(px[3*i+1]-px[3*i+2]);
  }
  stbi_image_free(px);
  return sum/((double)w*h);
}

static void test_report(void){
  char *zO, *zE, *zHtml;
  char zPath[4400], zKeep[1200];
  const char *zSection;
  int rc, n;
  /* 16.x report: search results as one self-contained HTML page */
  sh("mkdir -p q && cp img/coins.png 'q/odd&<b>.png'");
  rc = run(&zO, &zE, "report t.db img/box.png 'q/odd&<b>.png' -k 3 --verify -o report.html");
  check(rc==0 && contains(zO, "2 queries written to report.html\n"),
        "16.1 report on two queries, one with & < > in its name: exit 0, says what it wrote (%d)%s%s",
        rc, rc ? "\n# " : "", rc ? zE : "");
  free(zO); free(zE);
  zHtml = slurp_test_file("report.html");
  n = count_of(zHtml, "<img src=\"data:image/jpeg;base64,/9j/");
  check(n==8 && count_of(zHtml, "<img ")==8,
        "16.2 8 thumbnails (2 queries + 2x3 results), all JPEG data: URIs (%d)", n);
  check(strncmp(zHtml, "<!DOCTYPE html>", 15)==0 && contains(zHtml, "</html>\n")
        && count_of(zHtml, "<section>")==2 && count_of(zHtml, "</section>")==2
        && count_of(zHtml, "<figure")==8 && count_of(zHtml, "</figure>")==8,
        "16.3 a complete page: 2 sections, 8 cards, every element closed");
  n = count_of(zHtml, "href=");
  check(!contains(zHtml, "<script") && !contains(zHtml, "src=\"http") && !contains(zHtml, "url(")
        && n==8 && count_of(zHtml, "<a class=\"thumb\" href=\"file:///")==8
        && contains(zHtml, "/q/odd%26%3Cb%3E.png\""),
        "16.4 self-contained: no script, no external resource; the only links are the 8 images'"
        " file: URLs, percent-encoded (%d)", n);
  check(contains(zHtml, "Query: q/odd&amp;&lt;b&gt;.png") && contains(zHtml, "title=\"q/odd&amp;&lt;b&gt;.png\"")
        && !contains(zHtml, "odd&<b>") && !contains(zHtml, "<b>.png"),
        "16.5 paths are HTML-escaped in text and attributes");
  zSection = strstr(zHtml, "Query: img/box.png");
  check(zSection && contains(zSection, "<figure class=\"card copy\">")
        && contains(zSection, "<b>#1</b>same image 100%: ")
        && strstr(zSection, "/img/box_in_scene.png") && strstr(zSection, "/img/box_in_scene.png") < strstr(zHtml, "Query: q/odd")
        && count_of(zHtml, " inliers")==6,
        "16.6 what each result is: box.png #1 the same image, box_in_scene.png among its results");
  {
    const char *zScene = zSection ? strstr(zSection, "<figure class=\"card similar\">") : 0;
    const char *zNext = zSection ? strstr(zSection, "Query: q/odd") : 0;
    check(zScene && zNext && zScene < zNext && strstr(zScene, "/img/box_in_scene.png") < zNext
          && contains(zScene, "</b>similar ") && count_of(zHtml, "<figure class=\"card unverified\">")==3
          && count_of(zHtml, "<figure class=\"card copy\">")==2,
          "16.8 cards differ: box_in_scene.png a similar photo (amber), 2 copies (green),"
          " 3 unverified neighbours (grey)");
    check(count_of(zHtml, "<polygon points=")==4 && count_of(zHtml, "<text ")==4
          && contains(zHtml, ">query</text>") && contains(zHtml, ">#1</text>"),
          "16.9 each copy's card outlines where the query lies in it, and the query's card where"
          " the copy lies (%d outlines)", count_of(zHtml, "<polygon points="));
    check(count_of(zHtml, "<span class=\"file\">")==8 && contains(zHtml, "<span class=\"file\">512x384, "),
          "16.10 every card says the image's pixel size, file size and date");
  }
  rc = run(&zO, &zE, "report t.db img/box.png");
  check(rc==2 && contains(zE, "needs -o FILE.html"), "16.7 report without -o: exit 2 (%d)", rc);
  free(zO); free(zE);

  /* 17.x screenshot with headless chromium, when it is installed */
  if( sh("command -v chromium >/dev/null 2>&1")!=0 ){
    printf("ok - 17.1 screenshot of report.html # SKIP chromium not installed\n");
  }else{
    int w = 0, h = 0;
    double deviation;
    struct stat st;
    snprintf(zPath, sizeof(zPath), "%s/report.png", zDir);
    rc = screenshot("report.html", zPath);
    check(rc && stat(zPath, &st)==0 && st.st_size>20000,
          "17.1 chromium --screenshot of report.html: a PNG of %lld bytes",
          rc && stat(zPath, &st)==0 ? (long long)st.st_size : -1LL);
    deviation = png_grey_deviation(zPath, &w, &h);
    check(w==1200 && h==900 && deviation>20,
          "17.2 the screenshot is 1200x900 and not blank (grey deviation %.1f)", deviation);
    /* Kept next to the tool for a person to look at. */
    snprintf(zKeep, sizeof(zKeep), "%.*stests/report-screenshot.png",
             (int)(strlen(zTool)-strlen("imgsearch")), zTool);
    sh("cp report.png '%s'", zKeep);
  }
  free(zHtml);

  /* 18.x dups -o: the groups side by side */
  rc = run(&zO, &zE, "dups t.db -o dups.html");
  check(rc==0 && contains(zO, "2 groups written to dups.html"), "18.1 dups -o dups.html: exit 0, 2 groups (%d)", rc);
  free(zO); free(zE);
  zHtml = slurp_test_file("dups.html");
  n = count_of(zHtml, "<img src=\"data:image/jpeg;base64,/9j/");
  check(n==4 && count_of(zHtml, "<section>")==2 && contains(zHtml, "Group 1") && contains(zHtml, "Group 2")
        && count_of(zHtml, "<b>keep</b>")==2 && contains(zHtml, "; most pixels (451x300)")
        && count_of(zHtml, "<span class=\"file\">")==4 && contains(zHtml, "<span class=\"file\">512x384, 32 KB, "),
        "18.2 two groups of two thumbnails, the copy to keep marked in each, pixels and file size on every card (%d)", n);
  zSection = strstr(zHtml, "Group 2");
  check(zSection && contains(zHtml, "/img/sub/chelsea_half.ppm</code>") && contains(zSection, "/img/home.jpg</code>")
        && contains(zSection, "/img/sub/home_copy.jpg</code>") && contains(zSection, "same file (score 1.0000)"),
        "18.3 each member's path and what it is; the byte copies score 1");
  check(count_of(zHtml, "<polygon points=")==2 && contains(zHtml, ">#2</text>") && contains(zHtml, ">keep</text>")
        && count_of(zHtml, "<figure class=\"card copy\">")==2,
        "18.5 the half-size copy's card outlines the kept image in it, the kept card the copy (#2)");
  {
    int components = 0;
    double colour = thumbnail_colour(strstr(zHtml, "Group 1"), &components);
    check(components==3 && colour>10,
          "18.4 thumbnails are in colour: chelsea.png's is a 3-component JPEG, mean |R-G|+|G-B| %.1f", colour);
  }
  free(zHtml);
}

static void test_repl(void){
  char *zO, *zE, *z;
  int rc;
  /* 12.x the shell driven through stdin */
  write_file("script.sql",
    ".mode csv\n"
    "SELECT count(*) AS n FROM images\n"
    "  WHERE status = 'ok';\n"
    ".mode json\n"
    "SELECT width, path FROM images WHERE path LIKE '%/box.png';\n"
    ".mode line\n"
    "SELECT sift_count(sift) AS features FROM features LIMIT 1;\n"
    ".schema codebook\n"
    ".search img/box.png 2\n");
  rc = run(&zO, &zE, "t.db < script.sql");
  check(rc==0, "12.1 SQL and dot-commands piped on stdin: exit 0 (%d)%s%s", rc, rc ? "\n# " : "", rc ? zE : "");
  check(contains(zO, "n\n20\n"), "12.2 .mode csv: header and value across a two-line statement");
  check(contains(zO, "[{\"width\":324,\"path\":\"/"), "12.3 .mode json: numbers as numbers");
  check(contains(zO, "features = "), "12.4 .mode line");
  check(contains(zO, "CREATE TABLE codebook("), "12.5 .schema codebook");
  z = strstr(zO, "query: img/box.png");
  check(z && contains(z, "/img/box.png") && contains(z, "box_in_scene.png") && contains(z, "inliers"),
        "12.6 .search runs a verified search");
  free(zO); free(zE);

  rc = run(&zO, &zE, "t.db \"SELECT img_info(x'89504E470D0A1A0A0000000D49484452000000010000000108000000003A7E9B55') AS info\" --mode csv");
  check(rc==0 && contains(zO, "\"{\"\"width\"\":1,"), "12.7 imgsearch DB SQL: runs one statement with the extension (%d)", rc);
  free(zO); free(zE);
  rc = run(&zO, &zE, "t.db 'SELECT nosuchfunction()'");
  check(rc==1 && contains(zE, "no such function: nosuchfunction"), "12.8 a failing statement: exit 1 with SQLite's message (%d)", rc);
  free(zO); free(zE);
  rc = run(&zO, &zE, "t.db < /dev/null");
  check(rc==0, "12.9 empty stdin: exit 0 (%d)", rc);
  free(zO); free(zE);
  write_file("bad.sql", ".bogus\nSELECT 1;\n");
  rc = run(&zO, &zE, "< bad.sql");
  check(rc==1 && contains(zE, "unknown command .bogus") && contains(zO, "1"),
        "12.10 unknown dot-command: reported, the rest still runs, exit 1 (%d)", rc);
  free(zO); free(zE);
  rc = run(&zO, &zE, "t.db \"CREATE VIRTUAL TABLE x USING annoy(v float32[2]); INSERT INTO x(rowid, v) VALUES (1, '[1,0]'), (2, '[0,1]');"
                    " SELECT rowid FROM x WHERE v MATCH '[0.9,0.1]' AND k = 1\" --mode csv");
  check(rc==0 && contains(zO, "rowid\n1\n"), "12.11 the annoy table works in the shell (%d)", rc);
  free(zO); free(zE);
}

static void test_jobs_deterministic(void){
  char *z;
  int rc;
  /* 13.x one job gives the same sift blobs and vectors as several */
  rc = run(0, 0, "index one.db img_orig --jobs 1 -q");
  check(rc==0, "13.1 index with --jobs 1: exit 0 (%d)", rc);
  rc = run(0, 0, "index many.db img_orig --jobs 4 -q");
  check(rc==0, "13.2 index with --jobs 4: exit 0 (%d)", rc);
  rc = run(&z, 0, "one.db \"ATTACH 'many.db' AS m; SELECT count(*) AS same FROM images a JOIN features f ON f.image_id=a.id"
                  " JOIN m.images b ON b.path=a.path JOIN m.features g ON g.image_id=b.id WHERE f.sift=g.sift;"
                  " SELECT (SELECT codebook FROM codebook)=(SELECT codebook FROM m.codebook) AS same_codebook\" --mode csv");
  check(rc==0 && contains(z, "same\n18\n") && contains(z, "same_codebook\n1\n"),
        "13.3 same 18 sift blobs and the same codebook, whatever the number of jobs");
  free(z);
}

static void test_stats(void){
  char *zO, *zE, *z;
  double sift = 0, bound = 0, extract = 0, rss = 0;
  int rc, n, nWorker = 0;
  /* 19.x --stats: the figures docs/BENCHMARKS.md is made of */
  rc = run(&zO, &zE, "index stats.db img_orig --jobs 2 -q --stats");
  z = line_starting(zE, "stats: 2 workers, summed: ");
  n = sscanf(z, "stats: %d workers, summed: read+hash %*f s, img_info %*f s, img_sift %lf",
             &nWorker, &sift);
  check(rc==0 && n==2 && nWorker==2 && sift>0,
        "19.1 index --stats: summed img_sift time of 2 workers (%.2f s)", sift);
  free(z);
  z = line_starting(zE, "stats: SIFT-only bound");
  n = sscanf(z, "stats: SIFT-only bound (img_sift / 2 workers) %lf s: extract phase %lf x",
             &bound, &extract);
  check(n==2 && fabs(bound - sift/2) < 0.01 && extract>0,
        "19.2 the bound is img_sift / workers, with the extract phase's ratio (%s)", z);
  free(z);
  z = line_starting(zE, "stats: CPU ");
  n = sscanf(z, "stats: CPU user %*f s, system %*f s; peak RSS %lf MB", &rss);
  check(n==1 && rss>1, "19.3 CPU time and peak RSS (%.1f MB)", rss);
  free(z);
  free(zO); free(zE);
  rc = run(&zO, &zE, "search stats.db img/box.png img/sub/chelsea_half.ppm -k 1 --stats");
  check(rc==0 && contains(zE, "stats: img/box.png: sift 0.0 ms (stored blob), rest ")
        && contains(zE, "stats: img/sub/chelsea_half.ppm: sift ")
        && !contains(zE, "chelsea_half.ppm: sift 0.0 ms"),
        "19.4 search --stats: an indexed query reuses its stored sift blob; a new one runs SIFT");
  free(zO); free(zE);
}

static void test_codebook_from(void){
  char *zO, *zE, *z;
  int rc, n;
  /* 20.x --codebook-from DIR: a codebook from a chosen folder, kept */
  sh("mkdir -p part && cp img_orig/box.png img_orig/box_in_scene.png img_orig/coins.png img_orig/chelsea.png part/");
  rc = run(&zO, &zE, "index cbf.db img_orig --codebook-from part");
  check(rc==0 && contains(zE, "on 4 images under /") && contains(zE, "22 indexed"),
        "20.1 index img_orig --codebook-from part: part is indexed too, the codebook trained on its 4 images (%d)", rc);
  free(zO); free(zE);
  z = query("cbf.db", "SELECT (SELECT images FROM codebook) || ' ' || (SELECT value LIKE '%%/part/' FROM shell_meta WHERE key='codebook_from')"
                      " || ' ' || (SELECT count(*) FROM images WHERE features>0 AND vector=0)");
  check(strcmp(z, "4 1 0")==0, "20.2 codebook.images = 4, its folder recorded, every image has a vector (%s)", z);
  free(z);
  rc = run(&zO, &zE, "index cbf.db img -q");
  n = query_int("cbf.db", "SELECT images FROM codebook");
  check(rc==0 && n==4, "20.3 the collection more than doubles: that codebook is kept (%d)", n);
  free(zO); free(zE);
  rc = run(&zO, &zE, "index cbf.db --retrain -q");
  z = query("cbf.db", "SELECT (SELECT images>4 FROM codebook) || ' ' || (SELECT count(*) FROM shell_meta WHERE key='codebook_from')"
                      " || ' ' || (SELECT count(*) FROM images WHERE features>0 AND vector=0)");
  check(rc==0 && strcmp(z, "1 0 0")==0, "20.4 --retrain trains on every image again and forgets the folder (%s)", z);
  free(z);
  free(zO); free(zE);
}

static void test_projection(void){
  char *zO, *zE, *z;
  int rc;
  /* 21.x --dims N: PCA-reduced vectors (table projection), kept for later
  ** training; 0 goes back to full VLADs.  (Without --dims a PCA is trained
  ** from 1000 images on: docs/BENCHMARKS.md measures that path.) */
  rc = run(&zO, &zE, "index pca.db img_orig --dims 8 -q");
  z = query("pca.db", "SELECT (SELECT dims || ' ' || images FROM projection) || ' '"
                      " || (SELECT value FROM shell_meta WHERE key='dims') || ' '"
                      " || (SELECT count(*) FROM image_vectors WHERE length(vlad)=8*4)");
  check(rc==0 && strcmp(z, "8 17 8 17")==0,
        "21.1 index --dims 8: a PCA to 8 dims trained on the 17 images with features, every vector 8 floats (%s)", z);
  free(z); free(zO); free(zE);
  /* The query goes through the same projection as the stored vectors:
  ** box.png finds itself at 1.0, and --verify, which re-ranks what the
  ** projected search returns, puts box_in_scene.png second.  The order of
  ** the unverified ranks after the first is not asserted: OpenCV's SIFT
  ** differs in the last bits between its AVX2 and AVX-512 code, and an
  ** 8-dim PCA of 17 images turns that into another order (with AVX-512,
  ** coins.png 0.61 before box_in_scene.png 0.52; OPENCV_CPU_DISABLE=
  ** AVX512-SKX gives box_in_scene.png 0.56 second). */
  rc = run(&zO, &zE, "search pca.db img_orig/box.png -k 2 --verify --format csv");
  check(rc==0 && contains(zO, ",1,/") && contains(zO, "/box.png,1.0000,")
        && contains(zO, ",2,/") && contains(zO, "/box_in_scene.png,"),
        "21.2 search through the PCA: box.png itself, then box_in_scene.png once verified (%d)", rc);
  free(zO); free(zE);
  /* A database from before visual words (no vocabulary) links by the
  ** cosine, with a default threshold per kind of vector. */
  free(query("pca.db", "DELETE FROM vocabulary"));
  rc = run(&zO, &zE, "dups pca.db -o pca.html");
  z = slurp_test_file("pca.html");
  check(rc==0 && contains(z, "score (cosine similarity) &gt;= 0.60") && contains(zE, "has no visual words"),
        "21.3 dups on PCA vectors of an older database: default --min-score 0.60 (%d)", rc);
  free(z); free(zO); free(zE);
  rc = run(&zO, &zE, "index pca.db --retrain -q");
  z = query("pca.db", "SELECT dims FROM projection");
  check(rc==0 && strcmp(z, "8")==0, "21.4 --retrain keeps the --dims given before (%s)", z);
  free(z); free(zO); free(zE);
  rc = run(&zO, &zE, "index pca.db --dims 100 -q");
  z = query("pca.db", "SELECT dims FROM projection");
  check(rc==0 && strcmp(z, "16")==0, "21.5 --dims 100 from 17 images: at most 16 dims (%s)", z);
  free(z); free(zO); free(zE);
  rc = run(&zO, &zE, "index pca.db --dims 0 -q");
  z = query("pca.db", "SELECT (SELECT count(*) FROM projection) || ' '"
                      " || (SELECT count(*) FROM image_vectors WHERE length(vlad)=8192*4)");
  check(rc==0 && strcmp(z, "0 17")==0, "21.6 --dims 0: no projection, full 8192-float vectors again (%s)", z);
  free(z); free(zO); free(zE);
  free(query("pca.db", "DELETE FROM vocabulary"));
  rc = run(&zO, &zE, "dups pca.db -o full.html");
  z = slurp_test_file("full.html");
  check(rc==0 && contains(z, "score (cosine similarity) &gt;= 0.40"),
        "21.7 dups on full vectors of an older database: default --min-score 0.40 (%d)", rc);
  free(z); free(zO); free(zE);
}

static void test_interrupt(void){
  char *zO, *zE;
  int rc, n;
  /* 14.x Ctrl-C: finished batches are kept, a re-run resumes */
  sh("mkdir many && for i in 1 2 3; do mkdir many/$i && cp img_orig/* many/$i/; done");
  sh("('%s' index int.db many --jobs 1 --batch 1 2>int.err & pid=$!;"
     " sleep 1.5; kill -INT $pid; wait $pid; echo $? > int.rc)", zTool);
  {
    char *zRc = slurp_test_file("int.rc");
    rc = atoi(zRc);
    free(zRc);
  }
  n = query_int("int.db", "SELECT count(*) FROM images");
  if( rc==0 ){
    check(n==54, "14.1 (the run finished before Ctrl-C: nothing to interrupt)");
  }else{
    /* n = 54 when the signal came during the codebook or vector phase */
    check(rc==130 && n>=0 && n<=54, "14.1 Ctrl-C during index: exit 130, %d of 54 images saved (exit %d)", n, rc);
  }
  rc = run(&zO, &zE, "index int.db many -q");
  n = query_int("int.db", "SELECT count(*) FROM images WHERE status='ok'")*100
    + query_int("int.db", "SELECT count(*) FROM images WHERE vector=1");
  check(rc==0 && n==5451, "14.2 re-run resumes: 54 images, 51 vectors (%d, exit %d)", n, rc);
  free(zO); free(zE);

  /* 15.1 .index in the shell, on an in-memory database */
  write_file("index.sql", ".index img_orig\nSELECT count(*) AS n FROM images WHERE vector=1;\n");
  rc = run(&zO, &zE, "--mode csv < index.sql");
  check(rc==0 && contains(zO, "n\n17\n"), "15.1 .index PATH in the shell indexes into its database (%d)", rc);
  free(zO); free(zE);
}

/* Run zCommand (sh syntax, in zDir) on a pseudo-terminal made by
** util-linux `script`, stdin from zInput; what the terminal showed
** (malloc'd), or NULL if `script` is not installed. */
static char *run_on_pty(const char *zInput, const char *zCommand){
  if( sh("command -v script >/dev/null 2>&1")!=0 ) return 0;
  sh("timeout 60 script -qec \"%s\" /dev/null < %s > pty.out 2>&1", zCommand, zInput);
  return slurp_test_file("pty.out");
}

static void test_pty(void){
  char zCmd[2400], *z;
  /* 21.x on a terminal: line editing, history, colour, the progress bar */
  write_file("pty.sql", ".mode csv\nSELECT 40+2 AS answer;\n.quit\n");
  snprintf(zCmd, sizeof(zCmd), "HOME=%s '%s' t.db", zDir, zTool);
  z = run_on_pty("pty.sql", zCmd);
  if( z==0 ){
    printf("ok - 21.1 the shell on a terminal # SKIP util-linux script not installed\n");
    return;
  }
  check(contains(z, "imgsearch shell on t.db") && contains(z, "imgsearch> ")
        && contains(z, "answer\r\n42\r\n"),
        "21.1 interactive shell on a terminal: banner, readline prompt, the answer");
  free(z);
  z = slurp(strcat(strcpy(zCmd, zDir), "/.imgsearch_history"));
  check(contains(z, "SELECT 40+2 AS answer;") && contains(z, ".mode csv"),
        "21.2 the lines typed are saved in ~/.imgsearch_history");
  free(z);
  snprintf(zCmd, sizeof(zCmd), "'%s' search t.db img/box.png -k 1", zTool);
  z = run_on_pty("/dev/null", zCmd);
  check(contains(z, "\033[1mquery: img/box.png\033[0m"), "21.3 search on a terminal: the query line in bold");
  free(z);
  snprintf(zCmd, sizeof(zCmd), "NO_COLOR=1 '%s' search t.db img/box.png -k 1", zTool);
  z = run_on_pty("/dev/null", zCmd);
  check(contains(z, "query: img/box.png") && !contains(z, "\033["), "21.4 NO_COLOR=1: no escape sequences at all");
  free(z);
  snprintf(zCmd, sizeof(zCmd), "'%s' index pty.db img_orig --jobs 2", zTool);
  z = run_on_pty("/dev/null", zCmd);
  check(contains(z, "\rindex [##############################] 18/18") && contains(z, "/s  ETA ")
        && !contains(z, "index: 18/18 done"),
        "21.5 index on a terminal: one progress bar redrawn in place, with rate and ETA");
  free(z);
}

/* 30.x issue 19: a read-only database, "--", NaN thresholds, non-UTF-8
** paths in JSON, two index runs at once. */
static void test_hardening(void){
  char *zO, *zE, *z;
  const char *zAs = geteuid()==0 ? "setpriv --reuid=nobody --regid=nogroup --clear-groups " : "";
  int rc;
  /* A 0444 file that this user cannot write (root writes anything, so as
  ** root the tool runs as nobody), in a folder it can write (WAL needs its
  ** -shm file).  one.db is img_orig indexed (13.x). */
  sh("chmod 755 . && mkdir -m 777 ro && cp one.db ro/ro.db && chmod 444 ro/ro.db");
  rc = sh("%s'%s' search ro/ro.db img_orig/box.png -k 1 >ro.out 2>ro.err", zAs, zTool);
  z = slurp_test_file("ro.out");
  check(rc==0 && contains(z, "/img_orig/box.png"), "30.1 search on a read-only database (%d): %s", rc, z);
  free(z);
  rc = sh("%s'%s' dups ro/ro.db >ro.out 2>ro.err", zAs, zTool);
  check(rc==0, "30.2 dups on a read-only database (%d)", rc);
  rc = sh("%s'%s' ro/ro.db 'SELECT count(*) FROM images' >ro.out 2>ro.err", zAs, zTool);
  z = slurp_test_file("ro.out");
  check(rc==0 && contains(z, "18"), "30.3 the shell on a read-only database (%d): %s", rc, z);
  free(z);
  rc = sh("%s'%s' index ro/ro.db img_orig -q >ro.out 2>ro.err", zAs, zTool);
  rc = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  z = slurp_test_file("ro.err");
  check(rc==3 && contains(z, "is read-only"), "30.4 index on it: a clear error (%d): %s", rc, z);
  free(z);

  /* "--" ends the options: an image whose name starts with '-' */
  sh("cp img_orig/box.png ./-box.png");
  rc = run(&zO, &zE, "search one.db -k 1 -- -box.png");
  check(rc==0 && contains(zO, "query: -box.png") && contains(zO, "/img_orig/box.png"),
        "30.5 search DB -- -box.png (%d): %s", rc, zE);
  free(zO); free(zE);

  rc = run(&zO, &zE, "dups one.db --min-score nan");
  check(rc==2 && contains(zE, "must be a number from 0 to 1, not 'nan'"), "30.6 dups --min-score nan: usage error (%d)", rc);
  free(zO); free(zE);
  sh("echo '.dups abc' >dups_abc.txt");
  rc = run(&zO, &zE, "one.db <dups_abc.txt");
  check(rc==1 && contains(zE, "must be a number from 0 to 1, not 'abc'"), "30.7 .dups abc: an error, not threshold 0 (%d): %s", rc, zE);
  free(zO); free(zE);

  /* a file name that is not UTF-8: escaped as \udcXX in JSON */
  sh("mkdir nu && cp img_orig/box.png \"nu/$(printf 'x\\377y.png')\"");
  rc = run(0, 0, "index nu.db nu -q");
  zO = zE = 0;
  if( rc==0 ) rc = run(&zO, &zE, "search nu.db \"nu/$(printf 'x\\377y.png')\" --format json -k 1");
  if( zO==0 ) zO = calloc(1, 1);
  check(rc==0 && contains(zO, "x\\udcffy.png") && strchr(zO, '\377')==0,
        "30.8 search --format json: a non-UTF-8 byte is written as \\udcff (%d): %s", rc, zO);
  free(zO); free(zE);

  /* Two index runs at once end as one run: the second waits.  It starts
  ** once the first holds its lock (flock(1) polls; at most 10 s). */
  sh("{ '%s' index two.db img_orig -q --jobs 1 >two_a.err 2>&1 & "
     "i=0; while [ $i -lt 200 ] && { [ ! -e two.db ] || flock -n two.db true; }; do sleep 0.05; i=$((i+1)); done; "
     "'%s' index two.db img_orig >two_b.out 2>two_b.err; wait; }", zTool, zTool);
  z = slurp_test_file("two_b.err");
  check(contains(z, "another index run is working on this database"), "30.9 the second run waits for the first: %s", z);
  free(z);
  rc = run(&z, 0, "one.db \"ATTACH 'two.db' AS m; SELECT (SELECT codebook FROM codebook)=(SELECT codebook FROM m.codebook) AS same_codebook,"
                  " (SELECT count(*) FROM m.images WHERE vector=1) - (SELECT count(*) FROM images WHERE vector=1) AS fewer_vectors,"
                  " (SELECT count(*) FROM m.images) AS images\" --mode csv");
  check(rc==0 && contains(z, "1,0,18"), "30.10 ... and the database is the one a single run makes: %s", z);
  free(z);
}

/* 22.x the formats beyond stb_image's, an upright JPEG, skipped files */
static void test_formats(void){
  char *zO, *zE, *z;
  int rc;
  sh("mkdir fmt && cp '%s'/tests/data/formats/* '%s'/samples/home.jpg fmt/"
     " && printf 'raw' > fmt/raw.cr2", zRoot, zRoot);
  rc = run(&zO, &zE, "index f.db fmt");
  check(rc==0 && contains(zE, "7 indexed, 0 unchanged, 0 touched, 0 failed"),
        "22.1 index a folder of WebP, HEIC, AVIF, JPEG XL, TIFF, a rotated JPEG and its original: all 7 indexed (%d)%s%s",
        rc, rc ? "\n# " : "", rc ? zE : "");
  check(contains(zE, "2 skipped: unsupported format (.cr2, .md)\n"),
        "22.2 the other files are counted and named by extension, not ignored");
  free(zO); free(zE);
  z = query("f.db", "SELECT group_concat(substr(path, instr(path, '/fmt/')+5) || ' ' || width || 'x' || height"
                    " || (features>100), ', ') FROM (SELECT * FROM images ORDER BY path)");
  check(strcmp(z, "chelsea.avif 200x1331, chelsea.heic 200x1331, chelsea.jxl 200x1331, chelsea.tif 120x801, "
                  "chelsea.webp 200x1331, home.jpg 512x3841, home_rotated.jpg 200x1501")==0,
        "22.3 each decoded with its features; the Orientation 6 JPEG is 200x150 upright (%s)", z);
  free(z);
  rc = run(&zO, &zE, "search f.db '%s/samples/home.jpg' -k 2 --verify --format csv", zRoot);
  check(rc==0 && contains(zO, "/fmt/home_rotated.jpg,") && contains(zO, "/fmt/home.jpg,"),
        "22.4 samples/home.jpg finds itself and its rotated copy (%d)", rc);
  free(zO); free(zE);
  z = query("f.db", "SELECT json_extract(m, '$.homography[0]') > 2 AND abs(json_extract(m, '$.homography[1]')) < 0.1"
                    "  FROM (SELECT img_match_json(a.sift, b.sift) AS m FROM features a, features b"
                    " WHERE a.image_id=(SELECT id FROM images WHERE path LIKE '%%/home_rotated.jpg')"
                    "   AND b.image_id=(SELECT id FROM images WHERE path LIKE '%%/fmt/home.jpg'))");
  check(strcmp(z, "1")==0, "22.5 its keypoints are upright: the homography to home.jpg is a scaling, not a turn (%s)", z);
  free(z);
}

/* A w x h grey PPM whose level at (x, y) is f(x, y) in 0..255. */
static void write_grey_ppm(const char *zName, int w, int h, int (*f)(int x, int y, int w, int h)){
  char zPath[4400];
  FILE *out;
  int x, y;
  snprintf(zPath, sizeof(zPath), "%s/%s", zDir, zName);
  out = fopen(zPath, "wb");
  if( out==0 ) return;
  fprintf(out, "P6\n%d %d\n255\n", w, h);
  for(y=0; y<h; y++) for(x=0; x<w; x++){
    int v = f(x, y, w, h);
    fputc(v, out); fputc(v, out); fputc(v, out);
  }
  fclose(out);
}
static int sky(int x, int y, int w, int h){ (void)x; (void)w; return 90 + 120*y/h; }
static int sky_brighter(int x, int y, int w, int h){ return sky(x, y, w, h)*4/5 + 50; }
static int vignette(int x, int y, int w, int h){     /* bright centre, dark corners */
  int dx = 2*x - w, dy = 2*y - h;
  return 200 - 150*(dx*dx + dy*dy)/(w*w + h*h);
}
static int flat(int x, int y, int w, int h){ (void)x; (void)y; (void)w; (void)h; return 128; }

/* 31.x featureless images (shell/thumbs.c): found and grouped by thumbnail. */
static void test_featureless(void){
  char zFrom[4400], zTo[4400];
  char *zO, *zE, *z;
  int rc;
  sh("mkdir fl");
  snprintf(zFrom, sizeof(zFrom), "%s/samples/gradient.png", zRoot);
  snprintf(zTo, sizeof(zTo), "%s/fl/gradient_half.ppm", zDir);
  check(write_half_ppm(zFrom, zTo)==0, "31.1 made a half-size PPM of gradient.png (no SIFT features)");
  sh("cp '%s' '%s'/samples/chelsea.png '%s'/samples/coffee.png fl/", zFrom, zRoot, zRoot);
  write_grey_ppm("fl/sky.ppm", 240, 160, sky);
  write_grey_ppm("fl/sky_brighter.ppm", 180, 120, sky_brighter);
  write_grey_ppm("fl/vignette.ppm", 240, 160, vignette);
  write_grey_ppm("fl/flat.ppm", 64, 64, flat);
  rc = run(&zO, &zE, "index fl.db fl");
  check(rc==0 && contains(zE, "6 featureless images (under 100 SIFT features: skies, gradients,"
                              " flat scans) are compared by thumbnail"),
        "31.2 index says how many images are featureless and what is done with them (%d)%s%s",
        rc, rc ? "\n# " : "", rc ? zE : "");
  free(zO); free(zE);
  z = query("fl.db", "SELECT group_concat(substr(path, instr(path, '/fl/')+4), ' ') FROM"
                     " (SELECT path FROM images JOIN thumbs ON image_id = id ORDER BY path)");
  check(strcmp(z, "gradient.png gradient_half.ppm sky.ppm sky_brighter.ppm vignette.ppm")==0,
        "31.3 each featureless image has a thumbnail but the flat one (%s)", z);
  free(z);
  rc = run(&zO, &zE, "dups fl.db --format csv");
  check(rc==0 && contains(zO, "/fl/gradient.png,") && contains(zO, "/fl/gradient_half.ppm,")
        && contains(zO, "/fl/sky.ppm,") && contains(zO, "/fl/sky_brighter.ppm,")
        && !contains(zO, "vignette") && !contains(zO, "flat") && !contains(zO, "chelsea")
        && contains(zO, ",\"featureless, thumbnails "),
        "31.4 dups: the gradient with its half-size copy, the sky with its brighter smaller copy;"
        " not the vignette, the flat image or the photos (%d)\n%s", rc, zO);
  free(zO); free(zE);
  rc = run(&zO, &zE, "search fl.db fl/gradient_half.ppm -k 3 --format csv");
  z = line_starting(zO, "fl/gradient_half.ppm,2,");
  check(rc==0 && contains(zO, "fl/gradient_half.ppm,1,") && contains(z, "/fl/gradient")
        && !contains(zO, "fl/gradient_half.ppm,3,"),
        "31.5 search with a featureless query: its copies by thumbnail, nothing else (%d)\n%s", rc, zO);
  free(z);
  free(zO); free(zE);
  rc = run(&zO, &zE, "search fl.db fl/flat.ppm");
  check(rc==1 && contains(zE, "no SIFT features in the query image"),
        "31.6 a query without features or thumbnail (one grey level) is still an error (%d)", rc);
  free(zO); free(zE);
  rc = run(&zO, &zE, "index fl.db fl");
  check(rc==0 && query_int("fl.db", "SELECT count(*) FROM thumbs")==5,
        "31.7 indexing again keeps the thumbnails as they are (%d)", rc);
  free(zO); free(zE);
}

/* Count of the files under zDir's folder zSub (find -type f). */
static int files_in(const char *zSub){
  char zCmd[1200];
  FILE *p;
  int n = -1;
  snprintf(zCmd, sizeof(zCmd), "find '%s/%s' -type f | wc -l", zDir, zSub);
  p = popen(zCmd, "r");
  if( p && fscanf(p, "%d", &n)!=1 ) n = -1;
  if( p ) pclose(p);
  return n;
}

/* A fresh act/ with copies of the four files in t.db's two groups, and
** a.db, t.db with their paths (and the byte copies' mtimes) moved there. */
static void dups_fresh_copy(void){
  char *z;
  sh("rm -rf act moved a.db && mkdir act moved && cp -a img_orig/home.jpg img_orig/chelsea.png act/"
     " && mkdir act/sub && cp -a img/sub/chelsea_half.ppm act/sub/ && cp -p act/home.jpg act/sub/home_copy.jpg"
     " && touch -d @1600000000 act/home.jpg && touch -d @1700000000 act/sub/home_copy.jpg && cp t.db a.db");
  z = query("a.db", "UPDATE images SET path = replace(replace(path, '/img/sub/', '/act/sub/'), '/img/', '/act/'),"
                    " mtime = CASE WHEN path LIKE '%%/sub/home_copy.jpg' THEN 1700000000000000000"
                    "              WHEN path LIKE '%%/home.jpg' THEN 1600000000000000000 ELSE mtime END"
                    " WHERE path LIKE '%%/home.jpg' OR path LIKE '%%/home_copy.jpg' OR path LIKE '%%/chelsea.png'"
                    " OR path LIKE '%%/chelsea_half.ppm' RETURNING 1");
  free(z);
  /* only those four: t.db's third group (box.png, in box_in_scene.png) stays out */
  z = query("a.db", "DELETE FROM images WHERE path NOT LIKE '%%/act/%%' RETURNING 1");
  free(z);
}

/* 23.x dups: the copy to keep, and the actions on the others, each on a
** copy of t.db's two groups (chelsea.png with its half-size PPM, home.jpg
** with its byte copy) in the folder act/. */
static void test_dups_actions(void){
  char *zO, *zE, *z;
  int rc;
  dups_fresh_copy();
  rc = run(&zO, &zE, "dups a.db --format csv");
  check(rc==0 && contains(zO, "/act/chelsea.png,") && contains(zO, ",1,most pixels (451x300)\n")
        && contains(zO, "/act/home.jpg,1.0000,same file,1,\"same pixels, format and size; oldest (2020-09-13 12:26)\"\n"),
        "23.1 the copy to keep, with why: chelsea.png has the most pixels, home.jpg is the older byte copy (%d)\n%s", rc, zO);
  free(zO); free(zE);

  rc = run(&zO, &zE, "dups a.db --move-to moved --dry-run");
  check(rc==0 && contains(zO, "would move ") && contains(zO, "dry run: 2 files to move, nothing changed")
        && files_in("act")==4 && files_in("moved")==0 && sh("ls imgsearch-undo-* >/dev/null 2>&1")!=0,
        "23.2 --move-to --dry-run: says what it would move, moves nothing, writes no undo log (%d)", rc);
  free(zO); free(zE);

  rc = run(&zO, &zE, "dups a.db --move-to moved --undo undo.sh");
  check(rc==0 && contains(zO, "2 files moved, 0 failed, 0 left alone") && contains(zO, "undo log: undo.sh")
        && files_in("act")==2 && sh("test -f act/chelsea.png && test -f act/home.jpg"
                                   " && test -f moved/chelsea_half.ppm && test -f moved/home_copy.jpg")==0,
        "23.3 --move-to: the two other copies are moved, the kept ones stay (%d)", rc);
  free(zO); free(zE);
  rc = sh("sh undo.sh");
  check(rc==0 && files_in("moved")==0 && sh("cmp act/home.jpg act/sub/home_copy.jpg && test -f act/sub/chelsea_half.ppm")==0,
        "23.4 sh undo.sh puts them back (%d)", rc);

  sh("rm -rf moved && mkdir moved && cp act/home.jpg moved/home_copy.jpg");
  rc = run(&zO, &zE, "dups a.db --move-to moved --undo undo.sh");
  check(rc==0 && sh("test -f 'moved/home_copy (2).jpg'")==0,
        "23.5 --move-to never overwrites: a taken name becomes NAME (2).EXT (%d)", rc);
  free(zO); free(zE);
  dups_fresh_copy();

  rc = run(&zO, &zE, "dups a.db --delete");
  check(rc==2 && contains(zE, "add --yes to confirm") && files_in("act")==4,
        "23.6 --delete without --yes is refused; nothing deleted (%d)", rc);
  free(zO); free(zE);

  rc = run(&zO, &zE, "dups a.db --hardlink --undo link.sh");
  check(rc==0 && contains(zO, "1 file linked, 0 failed, 1 left alone")
        && contains(zO, "chelsea_half.ppm: not identical to the kept copy")
        && sh("test act/home.jpg -ef act/sub/home_copy.jpg")==0,
        "23.7 --hardlink links the byte copy to the kept file, leaves the near-duplicate (%d)", rc);
  free(zO); free(zE);
  rc = sh("sh link.sh && ! test act/home.jpg -ef act/sub/home_copy.jpg && cmp act/home.jpg act/sub/home_copy.jpg");
  check(rc==0, "23.8 sh link.sh gives the linked copy its own file again (%d)", rc);

  write_file("show.sh", "echo \"group $IMGSEARCH_GROUP: $*\" >> exec.log\n");
  rc = run(&zO, &zE, "dups a.db --exec 'sh show.sh'");
  z = slurp_test_file("exec.log");
  check(rc==0 && contains(zO, "2 groups run through --exec") && z
        && contains(z, "group 1: ") && contains(z, "/act/chelsea.png ") && contains(z, "group 2: ")
        && strstr(z, "/act/home.jpg") < strstr(z, "/act/sub/home_copy.jpg") && files_in("act")==4,
        "23.9 --exec runs once per group, the kept copy first (%d)\n%s", rc, z ? z : "");
  free(z); free(zO); free(zE);

  sh("printf x >> act/chelsea.png");
  rc = run(&zO, &zE, "dups a.db --delete --yes --undo del.sh");
  z = slurp_test_file("del.sh");
  check(rc==0 && contains(zO, "left group 1 alone: its kept copy") && contains(zO, "1 file deleted")
        && files_in("act")==3 && sh("test -f act/sub/chelsea_half.ppm && test -f act/home.jpg && ! test -e act/sub/home_copy.jpg")==0
        && z && contains(z, "# deleted, cannot be restored: '"),
        "23.10 --delete --yes deletes the other copy; a group whose kept file changed is left alone; the log lists the deletion (%d)", rc);
  free(z); free(zO); free(zE);
}

/* 24.x the command line's rough edges */
static void test_cli_edges(void){
  char *zO, *zE;
  int rc;
  rc = run(&zO, &zE, "frobnicate photos.db");
  check(rc==2 && contains(zE, "imgsearch: unknown command 'frobnicate'") && sh("test ! -e frobnicate")==0,
        "24.1 an unknown command is said so, and creates no database (%d)", rc);
  free(zO); free(zE);
  rc = run(&zO, &zE, "--version");
  check(rc==0 && strncmp(zO, "imgsearch ", 10)==0 && contains(zO, ", SQLite 3."),
        "24.2 --version (%d: %s)", rc, zO);
  free(zO); free(zE);
  rc = run(&zO, &zE, "index new.db no_such_folder");
  check(rc==2 && contains(zE, "imgsearch index: no_such_folder: No such file or directory")
        && sh("test ! -e new.db")==0,
        "24.3 index on a missing folder says why and creates no database (%d)", rc);
  free(zO); free(zE);
  rc = run(&zO, &zE, "index --help");
  check(rc==0 && contains(zO, "only \"touched\""), "24.4 index --help explains \"touched\" (%d)", rc);
  free(zO); free(zE);
  write_file("cmds.sql", "SELECT 40 + 2 AS answer;\n");
  write_file("repl.in", ".read cmds.sql\n.output out.txt\nSELECT sift_count(img_sift(readfile('img/box.png'))) > 100 AS ok;\n"
                        ".output\nSELECT writefile('copy.png', readfile('img/box.png')) > 0 AS wrote;\n"
                        ".open other.db\nCREATE TABLE t(a);\n.tables\n");
  rc = run(&zO, &zE, "< repl.in");
  check(rc==0 && contains(zO, "42") && contains(zO, "wrote") && !contains(zO, "\nok\n") && contains(zO, "\nt\n")
        && sh("grep -q '^ 1' out.txt")==0 && sh("cmp copy.png img/box.png")==0 && sh("test -f other.db")==0,
        "24.5 the shell: .read, .output FILE and back, readfile() into img_sift, writefile(), .open (%d)\n%s%s", rc, zO, zE);
  free(zO); free(zE);
  rc = run(&zO, &zE, ":memory: \"SELECT '\xc3\xbc' AS name, 1 AS n UNION ALL SELECT '\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e.jpg', 22"
                     " UNION ALL SELECT 'a' || char(10) || 'b.jpg', 333\"");
  check(rc==0 && strcmp(zO, "name        n\n----------  ---\n\xc3\xbc             1\n"
                            "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e.jpg   22\na\\nb.jpg    333\n")==0,
        "24.6 table columns in display width (\xc3\xbc is 1 column, CJK 2 each), a newline in a name escaped (%d)\n%s", rc, zO);
  free(zO); free(zE);
}

int main(int argc, char **argv){
  const char *zSamples = getenv("SAMPLES") ? getenv("SAMPLES") : "samples";
  char zSo[PATH_MAX], zCmd[16384], *zSlash;
  test_extension = argc>1 ? argv[1] : test_extension;
  /* The tool is the imgsearch next to the extension. */
  if( realpath(test_extension, zSo)==0 || (zSlash = strrchr(zSo, '/'))==0 ){
    printf("not ok - the extension %s is not built (make)\n", test_extension);
    return 1;
  }
  snprintf(zTool, sizeof(zTool), "%.*s/imgsearch", (int)(zSlash-zSo), zSo);
  if( access(zTool, X_OK)!=0 ){
    printf("not ok - the tool %s is not built (make)\n", zTool);
    return 1;
  }
  zDir = test_dir();
  if( getcwd(zRoot, sizeof(zRoot))==0 ){
    printf("not ok - getcwd failed\n");
    return 1;
  }
  snprintf(zOut, sizeof(zOut), "%s/stdout", zDir);
  snprintf(zErr, sizeof(zErr), "%s/stderr", zDir);
  snprintf(zCmd, sizeof(zCmd),
           "mkdir '%s/img' '%s/img_orig' && cp '%s'/*.jpg '%s'/*.png '%s/img/' && cp '%s'/img/* '%s/img_orig/'",
           zDir, zDir, zSamples, zSamples, zDir, zDir, zDir);
  if( system(zCmd)!=0 ){
    printf("not ok - cannot copy %s to %s\n", zSamples, zDir);
    return 1;
  }

  test_help_and_usage();
  test_index();
  test_search();
  test_dups();
  test_report();
  test_repl();
  test_jobs_deterministic();
  test_stats();
  test_codebook_from();
  test_projection();
  test_pty();
  test_interrupt();
  test_hardening();
  test_formats();
  test_featureless();
  test_dups_actions();
  test_cli_edges();

  if( test_failures==0 ){
    snprintf(zCmd, sizeof(zCmd), "rm -rf '%s'", zDir);
    if( system(zCmd)!=0 ) fprintf(stderr, "# could not remove %s\n", zDir);
  }else{
    fprintf(stderr, "# kept %s for inspection\n", zDir);
  }
  return test_failures ? 1 : 0;
}
