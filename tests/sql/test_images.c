/*
** test_images.c — the img_* functions on the real images in samples/, and
** on images this program makes: a mirrored copy of box.png, a 1x1 and a
** flat image, truncated files.
**
**   test_images EXTENSION        (run from the repository root, or set
**                                 SAMPLES=dir)
**
** Sample bytes are read from disk and bound as BLOBs into a table
** img(name, data); everything else is SQL.  The mirrored copy is made by
** decoding box.png with stb_image (the test's own copy, not the
** extension's) and writing a 24-bit BMP.
**
** Expected values that depend on OpenCV's SIFT (feature counts, inliers)
** are asserted as ranges, wide enough for other OpenCV 4.x builds; exact
** values are asserted where the functions define them.
*/
#include <math.h>
#include "testlib.h"

#define STB_IMAGE_IMPLEMENTATION
#define STB_IMAGE_STATIC
#define STBI_ONLY_PNG
#define STBI_NO_STDIO
#if defined(__GNUC__)
#pragma GCC diagnostic ignored "-Wunused-function"
#endif
#include <stb/stb_image.h>

typedef struct Sample {
  const char *name;
  int width, height, channels;
  const char *format;
} Sample;

static const Sample samples[] = {
  {"aero1.jpg",        640, 480, 3, "jpeg"},
  {"aero3.jpg",        640, 480, 3, "jpeg"},
  {"astronaut.png",    512, 512, 3, "png"},
  {"box.png",          324, 223, 1, "png"},
  {"box_in_scene.png", 512, 384, 1, "png"},
  {"brick.png",        512, 512, 1, "png"},
  {"building.jpg",     868, 600, 3, "jpeg"},
  {"butterfly.jpg",    493, 356, 3, "jpeg"},
  {"camera.png",       512, 512, 1, "png"},
  {"chelsea.png",      451, 300, 3, "png"},
  {"clock_motion.png", 400, 300, 1, "png"},
  {"coffee.png",       600, 400, 3, "png"},
  {"coins.png",        384, 303, 1, "png"},
  {"gradient.png",     300, 300, 4, "png"},
  {"gravel.png",       512, 512, 1, "png"},
  {"home.jpg",         512, 384, 3, "jpeg"},
  {"moon.png",         512, 512, 1, "png"},
  {"rocket.jpg",       640, 427, 3, "jpeg"},
};
#define N_SAMPLES ((int)(sizeof(samples)/sizeof(samples[0])))

/* ---- helpers ------------------------------------------------------------------ */

/* INSERT INTO table(name, data) VALUES (name, bytes). */
static int insert_blob(sqlite3 *db, const char *table, const char *name,
                       const void *data, size_t n){
  sqlite3_stmt *st;
  char *sql = sqlite3_mprintf("INSERT INTO %s(name, data) VALUES (?, ?)", table);
  int rc = sqlite3_prepare_v2(db, sql, -1, &st, 0);
  sqlite3_free(sql);
  if( rc ) return rc;
  sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
  sqlite3_bind_blob64(st, 2, data ? data : "", (sqlite3_uint64)n, SQLITE_TRANSIENT);
  rc = sqlite3_step(st);
  sqlite3_finalize(st);
  return rc==SQLITE_DONE ? SQLITE_OK : rc;
}

static sqlite3_int64 query_int(sqlite3 *db, const char *fmt, ...){
  va_list ap;
  char *sql;
  sqlite3_stmt *st;
  sqlite3_int64 v = -999999;
  va_start(ap, fmt);
  sql = sqlite3_vmprintf(fmt, ap);
  va_end(ap);
  if( sqlite3_prepare_v2(db, sql, -1, &st, 0)==SQLITE_OK ){
    if( sqlite3_step(st)==SQLITE_ROW && sqlite3_column_type(st, 0)!=SQLITE_NULL ){
      v = sqlite3_column_int64(st, 0);
    }else if( getenv("TEST_VERBOSE") ){
      fprintf(stderr, "# %s: %s\n", sql, sqlite3_errmsg(db));
    }
    sqlite3_finalize(st);
  }
  sqlite3_free(sql);
  return v;
}

/* L2 norm of a float32 BLOB result; -1 if not a BLOB. */
static double query_norm(sqlite3 *db, const char *sql, int *pBytes){
  sqlite3_stmt *st;
  double norm = -1.0;
  *pBytes = -1;
  if( sqlite3_prepare_v2(db, sql, -1, &st, 0)==SQLITE_OK ){
    if( sqlite3_step(st)==SQLITE_ROW && sqlite3_column_type(st, 0)==SQLITE_BLOB ){
      const unsigned char *p = sqlite3_column_blob(st, 0);
      int n = sqlite3_column_bytes(st, 0), i;
      double s = 0.0;
      for(i=0; i+4<=n; i+=4){
        float f;
        memcpy(&f, p+i, 4);            /* the test runs little-endian */
        s += (double)f*f;
      }
      norm = sqrt(s);
      *pBytes = n;
    }
    sqlite3_finalize(st);
  }
  return norm;
}

/* Error message and code of a statement expected to fail. */
static char *query_error(sqlite3 *db, const char *sql, int *pCode){
  sqlite3_stmt *st;
  char *msg = 0;
  int rc;
  *pCode = SQLITE_OK;
  rc = sqlite3_prepare_v2(db, sql, -1, &st, 0);
  if( rc==SQLITE_OK ){
    while( (rc = sqlite3_step(st))==SQLITE_ROW ){}
    if( rc!=SQLITE_DONE ){
      msg = sqlite3_mprintf("%s", sqlite3_errmsg(db));
      *pCode = sqlite3_errcode(db);
    }
    sqlite3_finalize(st);
  }else{
    msg = sqlite3_mprintf("%s", sqlite3_errmsg(db));
    *pCode = rc;
  }
  return msg;
}

static int error_is(sqlite3 *db, const char *want, int want_code, const char *sql){
  int code;
  char *got = query_error(db, sql, &code);
  int ok = got && strcmp(got, want)==0 && (want_code==0 || code==want_code);
  if( !ok ) fprintf(stderr, "# %s\n#   want %s (%d)\n#   got  %s (%d)\n", sql, want,
                    want_code, got ? got : "(no error)", code);
  sqlite3_free(got);
  return ok;
}

/* A 24-bit BMP (bottom-up rows, padded to 4 bytes) of grey pixels. */
static unsigned char *bmp_encode(const unsigned char *grey, int w, int h, size_t *pn){
  const size_t row = ((size_t)w*3 + 3) & ~(size_t)3;
  const size_t size = 54 + row*(size_t)h;
  unsigned char *b = calloc(1, size);
  int x, y;
  uint32_t fields[13];
  b[0] = 'B'; b[1] = 'M';
  fields[0] = (uint32_t)size; fields[1] = 0; fields[2] = 54;      /* file header */
  fields[3] = 40; fields[4] = (uint32_t)w; fields[5] = (uint32_t)h;
  fields[6] = 1 | (24u<<16);                                      /* planes, bpp */
  fields[7] = 0; fields[8] = (uint32_t)(row*(size_t)h);
  fields[9] = 2835; fields[10] = 2835; fields[11] = 0; fields[12] = 0;
  for(x=0; x<13; x++){
    uint32_t v = fields[x];
    int k;
    for(k=0; k<4; k++) b[2 + 4*x + k] = (unsigned char)(v>>(8*k));
  }
  for(y=0; y<h; y++){
    unsigned char *out = b + 54 + row*(size_t)(h-1-y);
    for(x=0; x<w; x++){
      unsigned char g = grey[(size_t)y*w + x];
      out[3*x] = out[3*x+1] = out[3*x+2] = g;
    }
  }
  *pn = size;
  return b;
}

/* ---- cases ------------------------------------------------------------------- */

static void load_samples(sqlite3 *db, const char *dir){
  int i, loaded = 0;
  exec(db, "CREATE TABLE img(name TEXT PRIMARY KEY, data BLOB)");
  for(i=0; i<N_SAMPLES; i++){
    char *path = sqlite3_mprintf("%s/%s", dir, samples[i].name);
    size_t n;
    unsigned char *data = read_file(path, &n);
    if( data && insert_blob(db, "img", samples[i].name, data, n)==SQLITE_OK ) loaded++;
    free(data);
    sqlite3_free(path);
  }
  check(loaded==N_SAMPLES, "11.0 read %d of %d sample images from %s", loaded, N_SAMPLES, dir);
}

static void test_info(sqlite3 *db){
  int i, good = 0;
  for(i=0; i<N_SAMPLES; i++){
    char *want = sqlite3_mprintf("{\"width\":%d,\"height\":%d,\"channels\":%d,\"format\":\"%s\"}",
                                 samples[i].width, samples[i].height,
                                 samples[i].channels, samples[i].format);
    char *sql = sqlite3_mprintf("SELECT img_info(data) FROM img WHERE name=%Q", samples[i].name);
    good += query_is(db, want, sql);
    sqlite3_free(want);
    sqlite3_free(sql);
  }
  check(good==N_SAMPLES, "11.1 img_info: exact JSON for all %d samples (jpeg and png)", N_SAMPLES);
}

static void test_sift(sqlite3 *db){
  char *counts;
  exec(db, "CREATE TABLE sift AS SELECT name, img_sift(data) AS s FROM img ORDER BY name");
  check(query_int(db, "SELECT count(*) FROM sift WHERE typeof(s)='blob'")==N_SAMPLES,
        "11.2 img_sift returns a BLOB for every sample");
  check(query_int(db, "SELECT count(*) FROM sift JOIN img USING(name) WHERE s = img_sift(data)")==N_SAMPLES,
        "11.3 img_sift is deterministic: the same bytes again give the same blob");
  {
    sqlite3 *other = open_db(":memory:");
    sqlite3_stmt *st;
    int same = 0, total = 0;
    exec(other, "CREATE TABLE img(name TEXT, data BLOB)");
    if( sqlite3_prepare_v2(db, "SELECT img.name, img.data, s FROM img JOIN sift USING(name) "
                               "WHERE name IN ('aero1.jpg','box.png','moon.png','rocket.jpg')", -1, &st, 0)==SQLITE_OK ){
      while( sqlite3_step(st)==SQLITE_ROW ){
        sqlite3_stmt *q;
        total++;
        if( sqlite3_prepare_v2(other, "SELECT img_sift(?1) = ?2", -1, &q, 0)==SQLITE_OK ){
          sqlite3_bind_value(q, 1, sqlite3_column_value(st, 1));
          sqlite3_bind_value(q, 2, sqlite3_column_value(st, 2));
          if( sqlite3_step(q)==SQLITE_ROW && sqlite3_column_int(q, 0)==1 ) same++;
          sqlite3_finalize(q);
        }
      }
      sqlite3_finalize(st);
    }
    sqlite3_close(other);
    check(same==4 && total==4,
          "11.4 ... and the same blob on another connection (%d of %d)", same, total);
  }
  check(query_int(db, "SELECT count(*) FROM sift WHERE length(s) = 20 + 148*sift_count(s)")==N_SAMPLES,
        "11.5 blob length is 20 + 148 * sift_count");
  {
    int i, good = 0;
    for(i=0; i<N_SAMPLES; i++){
      const Sample *p = &samples[i];
      char *want = sqlite3_mprintf("5349465401000000|%02X%02X0000%02X%02X0000",
                                   p->width & 255, p->width>>8, p->height & 255, p->height>>8);
      char *sql = sqlite3_mprintf("SELECT hex(substr(s,1,8)) || '|' || hex(substr(s,13,8)) "
                                  "FROM sift WHERE name=%Q", p->name);
      good += query_is(db, want, sql);
      sqlite3_free(want);
      sqlite3_free(sql);
    }
    check(good==N_SAMPLES, "11.6 header: \"SIFT\", version 1, reserved 0, the image's width "
          "and height (LE uint32)");
  }
  counts = query_text(db, "SELECT group_concat(name||'='||sift_count(s), ' ') FROM sift");
  check(query_int(db, "SELECT count(*) FROM sift WHERE sift_count(s) BETWEEN 50 AND 1000 "
                      "AND name<>'gradient.png'")==N_SAMPLES-1,
        "11.7 every sample but gradient.png gives 50..1000 features: %s", counts);
  sqlite3_free(counts);
  check(query_int(db, "SELECT sift_count(s) FROM sift WHERE name='gradient.png'")==0
        && query_int(db, "SELECT length(s) FROM sift WHERE name='gradient.png'")==20,
        "11.8 gradient.png (smooth ramp): a defined empty result, 0 keypoints");
  check(query_int(db, "SELECT sift_count(s) FROM sift WHERE name='moon.png'")>=100,
        "11.9 moon.png (dark, low contrast): at least 100 features (%lld) thanks to "
        "the lower-contrast retry", query_int(db, "SELECT sift_count(s) FROM sift WHERE name='moon.png'"));
  check(query_int(db, "SELECT sift_count(img_sift(data, 50)) FROM img WHERE name='building.jpg'")==50
        && query_int(db, "SELECT substr(img_sift(data, 50), 21, 1000) = substr(s, 21, 1000) "
                         "FROM img JOIN sift USING(name) WHERE name='building.jpg'")==1,
        "11.10 img_sift(image, 50): the 50 strongest, the same as the first 50 of 1000");
  check(query_int(db, "SELECT sift_count(img_sift(data, 0)) FROM img WHERE name='building.jpg'")>1000,
        "11.11 img_sift(image, 0) keeps every feature (%lld)",
        query_int(db, "SELECT sift_count(img_sift(data, 0)) FROM img WHERE name='building.jpg'"));
}

static void test_keypoints(sqlite3 *db){
  check(query_int(db, "SELECT count(*) FROM sift WHERE sift_count(s) = "
                      "(SELECT count(*) FROM img_keypoints(s))")==N_SAMPLES,
        "11.12 img_keypoints(sift blob): one row per keypoint, for every sample");
  check(query_int(db, "SELECT count(*) FROM img JOIN sift USING(name) WHERE sift_count(s) = "
                      "(SELECT count(*) FROM img_keypoints(data)) "
                      "AND name IN ('aero3.jpg','coins.png','gradient.png','home.jpg')")==4,
        "11.13 img_keypoints(image) gives the same number of rows");
  check(query_int(db, "SELECT count(*) FROM img_keypoints((SELECT s FROM sift WHERE name='building.jpg')) "
                      "WHERE length(descriptor)=128 AND x>=-0.5 AND x<=867.5 AND y>=-0.5 AND y<=599.5 "
                      "AND size>0 AND angle>=0 AND angle<360 AND response>0")==1000,
        "11.14 every row has a 128-byte descriptor and values in range");
  /* Materialised first: in a join, a table-valued function on the inner
  ** side runs again for every outer row. */
  exec(db, "CREATE TABLE kp_blob AS SELECT rowid AS i, * FROM "
           "img_keypoints((SELECT s FROM sift WHERE name='box.png'))");
  exec(db, "CREATE TABLE kp_image AS SELECT rowid AS i, * FROM "
           "img_keypoints((SELECT data FROM img WHERE name='box.png'))");
  check(query_int(db, "SELECT count(*) FROM kp_blob k JOIN kp_image j USING(i) "
                      "WHERE k.x=j.x AND k.y=j.y AND k.size=j.size AND k.angle=j.angle "
                      "AND k.response=j.response AND k.descriptor=j.descriptor")
        ==query_int(db, "SELECT sift_count(s) FROM sift WHERE name='box.png'")
        && query_int(db, "SELECT min(i) = 0 AND max(i) = count(*) - 1 FROM kp_blob")==1,
        "11.15 image and sift blob arguments give identical rows; rowid is the index");
}

static void test_working_size(sqlite3 *db){
  exec(db, "SELECT img_limits(NULL, 256)");
  exec(db, "CREATE TABLE small AS SELECT name, img_sift(data) AS s FROM img "
           "WHERE name IN ('box.png', 'box_in_scene.png', 'building.jpg')");
  exec(db, "SELECT img_limits(NULL, 1024)");
  check(query_is(db, "6403000058020000", "SELECT hex(substr(s,13,8)) FROM small WHERE name='building.jpg'"),
        "11.16 downscaled to 256: the blob still records the original size 868x600");
  {
    char *max_x = query_text(db, "SELECT round(max(x),1) FROM img_keypoints("
                                 "(SELECT s FROM small WHERE name='building.jpg'))");
    check(query_int(db, "SELECT max(x) > 700 AND max(x) <= 867.5 AND max(y) > 450 AND max(y) <= 599.5 "
                        "FROM img_keypoints((SELECT s FROM small WHERE name='building.jpg'))")==1,
          "11.17 ... and keypoints in original coordinates (max x %s)", max_x ? max_x : "?");
    sqlite3_free(max_x);
  }
  check(query_int(db, "SELECT img_match(a.s, b.s) FROM small a, sift b "
                      "WHERE a.name='box_in_scene.png' AND b.name='box_in_scene.png'")>=20,
        "11.18 features from the 256-pixel copy match the full-size image in original "
        "coordinates (%lld inliers)",
        query_int(db, "SELECT img_match(a.s, b.s) FROM small a, sift b "
                      "WHERE a.name='box_in_scene.png' AND b.name='box_in_scene.png'"));
}

static void test_vlad(sqlite3 *db){
  int bytes = 0, good = 0;
  double norm;
  sqlite3_stmt *st;
  exec(db, "CREATE TABLE cb AS SELECT img_codebook_train(s) AS c FROM sift");
  check(query_int(db, "SELECT length(c) FROM cb")==16+64*512
        && query_is(db, "564C43420100000040000000800000", "SELECT substr(hex(c),1,30) FROM cb"),
        "11.19 img_codebook_train: default k=64, 16 + 64*512 bytes, header VLCB v1");
  check(query_int(db, "SELECT c = (SELECT img_codebook_train(s) FROM "
                      "(SELECT s FROM sift ORDER BY name DESC)) FROM cb")==1,
        "11.20 the codebook does not depend on row order");
  check(query_int(db, "SELECT length(img_codebook_train(s, 16)) FROM sift")==16+16*512,
        "11.21 img_codebook_train(s, 16): 16 centroids");
  exec(db, "CREATE TABLE vlad AS SELECT name, img_vlad(s, (SELECT c FROM cb)) AS v FROM sift");
  check(query_int(db, "SELECT count(*) FROM vlad WHERE length(v)=32768")==N_SAMPLES-1
        && query_int(db, "SELECT v IS NULL FROM vlad WHERE name='gradient.png'")==1,
        "11.22 img_vlad: 8192 float32 per image; NULL for the image without features");
  if( sqlite3_prepare_v2(db, "SELECT v FROM vlad WHERE v IS NOT NULL", -1, &st, 0)==SQLITE_OK ){
    while( sqlite3_step(st)==SQLITE_ROW ){
      const unsigned char *p = sqlite3_column_blob(st, 0);
      int n = sqlite3_column_bytes(st, 0), i;
      double s = 0.0;
      for(i=0; i+4<=n; i+=4){ float f; memcpy(&f, p+i, 4); s += (double)f*f; }
      if( fabs(sqrt(s)-1.0)<1e-5 ) good++;
    }
    sqlite3_finalize(st);
  }
  check(good==N_SAMPLES-1, "11.23 every VLAD has L2 norm 1 (%d of %d)", good, N_SAMPLES-1);
  norm = query_norm(db, "SELECT img_vlad(s, (SELECT img_codebook_train(s, 16) FROM sift)) "
                        "FROM sift WHERE name='box.png'", &bytes);
  check(bytes==16*128*4 && fabs(norm-1.0)<1e-5, "11.24 with k=16: 2048 dims, norm 1");
  check(query_int(db, "SELECT v = img_vlad(s, (SELECT c FROM cb)) FROM vlad JOIN sift USING(name) "
                      "WHERE name='coins.png'")==1,
        "11.25 img_vlad is deterministic");

  /* The VLAD goes straight into an annoy table. */
  exec(db, "CREATE VIRTUAL TABLE items USING annoy(v float32[8192], metric=angular)");
  exec(db, "INSERT INTO items(rowid, v) SELECT rowid, v FROM vlad WHERE v IS NOT NULL");
  check(query_int(db, "SELECT count(*) FROM items")==N_SAMPLES-1,
        "11.26 annoy(v float32[8192], metric=angular) takes img_vlad() BLOBs");
  {
    int self = 0;
    if( sqlite3_prepare_v2(db, "SELECT rowid, (SELECT rowid FROM items WHERE v MATCH vlad.v AND k=1) "
                               "FROM vlad WHERE v IS NOT NULL", -1, &st, 0)==SQLITE_OK ){
      while( sqlite3_step(st)==SQLITE_ROW ){
        if( sqlite3_column_int64(st, 0)==sqlite3_column_int64(st, 1) ) self++;
      }
      sqlite3_finalize(st);
    }
    check(self==N_SAMPLES-1, "11.27 each image's nearest neighbour is itself (%d of %d)",
          self, N_SAMPLES-1);
  }

  /* PCA: 17 vectors span at most 16 dimensions. */
  exec(db, "CREATE TABLE pca AS SELECT img_pca_train(v) AS p FROM vlad");
  check(query_is(db, "5650434101000000002000001000000", "SELECT substr(hex(p),1,31) FROM pca"),
        "11.28 img_pca_train: VPCA v1, 8192 in, 16 out (17 vectors; default 64 capped at n-1)");
  norm = query_norm(db, "SELECT img_vlad(s, (SELECT c FROM cb), (SELECT p FROM pca)) FROM sift "
                        "WHERE name='camera.png'", &bytes);
  check(bytes==16*4 && fabs(norm-1.0)<1e-5, "11.29 img_vlad(s, codebook, pca): 16 dims, norm 1");
  check(query_int(db, "SELECT img_pca_train(v, 4) = img_pca_train(v, 4) FROM vlad")==1
        && query_int(db, "SELECT (SELECT img_pca_train(v, 4) FROM vlad) = "
                         "(SELECT img_pca_train(v, 4) FROM (SELECT v FROM vlad ORDER BY name DESC))")==1,
        "11.30 img_pca_train is deterministic and does not depend on row order");
  check(error_is(db, "img_vlad: the PCA model takes 8192-dimensional vectors, but this codebook "
                     "makes 2048 (train the PCA on img_vlad() of the same codebook)", SQLITE_ERROR,
                 "SELECT img_vlad(s, (SELECT img_codebook_train(s, 16) FROM sift), (SELECT p FROM pca)) "
                 "FROM sift WHERE name='box.png'"),
        "11.31 a PCA model from another codebook is an error");
}

static void test_match(sqlite3 *db){
  sqlite3_int64 inliers = query_int(db, "SELECT img_match(a.s, b.s) FROM sift a, sift b "
                                        "WHERE a.name='box.png' AND b.name='box_in_scene.png'");
  check(inliers>=40, "11.32 img_match(box, box_in_scene): %lld inliers (>= 40)", inliers);
  inliers = query_int(db, "SELECT img_match(b.s, a.s) FROM sift a, sift b "
                          "WHERE a.name='box.png' AND b.name='box_in_scene.png'");
  check(inliers>=40, "11.33 img_match(box_in_scene, box): %lld inliers", inliers);
  check(query_int(db, "SELECT img_match(a.s, b.s) FROM sift a, sift b "
                      "WHERE a.name='box.png' AND b.name='coins.png'")==0
        && query_int(db, "SELECT img_match(a.s, b.s) FROM sift a, sift b "
                         "WHERE a.name='box.png' AND b.name='astronaut.png'")==0
        && query_int(db, "SELECT img_match(a.s, b.s) FROM sift a, sift b "
                         "WHERE a.name='building.jpg' AND b.name='rocket.jpg'")==0,
        "11.34 unrelated images: 0");
  check(query_int(db, "SELECT count(*) FROM sift WHERE name<>'gradient.png' AND "
                      "img_match(s, s) = sift_count(s)")==N_SAMPLES-1,
        "11.35 an image against itself: every keypoint is an inlier");
  check(query_is(db, "1|0|1|1", "SELECT (json_extract(j,'$.inliers')>=40) || '|' || json_extract(j,'$.mirrored') "
                     "|| '|' || (json_extract(j,'$.matches')>=json_extract(j,'$.inliers')) || '|' || "
                     "(json_array_length(j,'$.homography')=9) FROM "
                     "(SELECT img_match_json(a.s, b.s) AS j FROM sift a, sift b "
                     "WHERE a.name='box.png' AND b.name='box_in_scene.png')"),
        "11.36 img_match_json: inliers, matches >= inliers, mirrored false, 9 numbers");
  check(query_is(db, "{\"inliers\":0,\"matches\":0,\"mirrored\":false,\"homography\":null,"
                     "\"inlier_pairs\":[]}",
                 "SELECT img_match_json(a.s, b.s) FROM sift a, sift b "
                 "WHERE a.name='box.png' AND b.name='gradient.png'"),
        "11.37 img_match_json against an image without features");
  check(query_int(db, "SELECT img_match(a.s, b.s) = img_match(a.s, b.s) FROM sift a, sift b "
                      "WHERE a.name='box.png' AND b.name='box_in_scene.png'")==1,
        "11.38 img_match is deterministic");
}

/* img_words with near: several words a feature for a query (words.h's
** words_quantize_near), and what verification makes of them. */
static void test_words_near(sqlite3 *db){
  sqlite3_int64 one, five, points, self;
  exec(db, "CREATE TABLE wv AS SELECT img_vocab_train(x, 2) AS v FROM "
           "(SELECT s AS x FROM sift WHERE name IN ('box.png', 'box_in_scene.png'))");
  exec(db, "CREATE TABLE wn AS SELECT name, img_words(s, v) AS w1, img_words(s, v, 0, 5) AS w5, "
           "sift_count(s) AS n FROM sift, wv WHERE name IN ('box.png', 'box_in_scene.png')");
  check(query_int(db, "SELECT count(*) FROM wn WHERE (length(w5) - 24)/16 > n "
                      "AND substr(w5, 21, 4) = substr(w1, 9, 4) AND substr(w1, 21, 4) = X'00000000'")==2
        && query_int(db, "SELECT count(*) FROM sift, wv WHERE name = 'box.png' "
                         "AND img_words(s, v, 0, 1) = img_words(s, v)")==1,
        "11.63 img_words(s, v, 0, 5): more entries than features, and their feature count at "
        "offset 20 (0 with one word a feature; near 1 is the 3-argument blob)");
  one = query_int(db, "SELECT img_words_match(a.w1, b.w1) FROM wn a, wn b "
                      "WHERE a.name='box.png' AND b.name='box_in_scene.png'");
  five = query_int(db, "SELECT img_words_match(a.w5, b.w1) FROM wn a, wn b "
                       "WHERE a.name='box.png' AND b.name='box_in_scene.png'");
  check(five>=8 && five>one, "11.64 box.png in another photo (box_in_scene.png): %lld inliers "
        "with one word a feature, %lld with five (>= 8, and more)", one, five);
  points = query_int(db, "SELECT count(*) FROM (SELECT DISTINCT x, y FROM kp_blob)");
  self = query_int(db, "SELECT img_words_match(w5, w1) FROM wn WHERE name='box.png'");
  check(self<=points && self*10>=points*9, "11.65 with several words a feature, one "
        "correspondence a point: box.png against itself %lld inliers, %lld keypoint positions",
        self, points);
  check(error_is(db, "img_words: near must be between 1 and 8, got 9", SQLITE_ERROR,
                 "SELECT img_words(s, v, 0, 9) FROM sift, wv WHERE name='box.png'")
        && error_is(db, "img_words: near must be between 1 and 8, got 0", SQLITE_ERROR,
                    "SELECT img_words(s, v, 0, 0) FROM sift, wv WHERE name='box.png'"),
        "11.66 near is 1 to 8");
  check(error_is(db, "img_words_match: corrupt words blob: 3 entries cannot come from 4 features",
                 SQLITE_ERROR, "SELECT img_words_match(w, w) FROM (SELECT CAST(substr(w1, 1, 8) "
                 "|| X'03000000' || substr(w1, 13, 8) || X'04000000' || substr(w1, 25, 48) AS BLOB) "
                 "AS w FROM wn WHERE name='box.png')"),
        "11.67 a words blob that says it has more features than entries is corrupt");
  exec(db, "CREATE VIRTUAL TABLE wx USING wordindex");
  check(error_is(db, "wordindex: an indexed image has one word a feature: make its words with "
                     "img_words(sift, vocabulary [, mirrored]) without near (near is for queries)",
                 SQLITE_ERROR, "INSERT INTO wx(rowid, words) SELECT 1, w5 FROM wn WHERE name='box.png'")
        && query_int(db, "SELECT count(*) FROM wx")==0,
        "11.68 the wordindex table takes one word a feature");
}

static void test_mirror(sqlite3 *db, const char *dir){
  char *path = sqlite3_mprintf("%s/box.png", dir);
  size_t n = 0, bmp_n = 0;
  unsigned char *png = read_file(path, &n), *grey = 0, *flipped = 0, *bmp = 0;
  int w = 0, h = 0, channels = 0, x, y;
  sqlite3_free(path);
  if( png ) grey = stbi_load_from_memory(png, (int)n, &w, &h, &channels, 1);
  if( grey ){
    flipped = malloc((size_t)w*h);
    for(y=0; y<h; y++) for(x=0; x<w; x++) flipped[(size_t)y*w + x] = grey[(size_t)y*w + (w-1-x)];
    bmp = bmp_encode(flipped, w, h, &bmp_n);
  }
  exec(db, "CREATE TABLE extra(name TEXT PRIMARY KEY, data BLOB)");
  check(bmp && insert_blob(db, "extra", "box_mirror.bmp", bmp, bmp_n)==SQLITE_OK,
        "11.39 made a mirrored box.png as a %dx%d BMP", w, h);
  check(query_is(db, "{\"width\":324,\"height\":223,\"channels\":3,\"format\":\"bmp\"}",
                 "SELECT img_info(data) FROM extra WHERE name='box_mirror.bmp'"),
        "11.40 img_info on a BMP");
  exec(db, "CREATE TABLE mirror AS SELECT img_sift(data) AS s FROM extra WHERE name='box_mirror.bmp'");
  {
    char *j = query_text(db, "SELECT json_remove(img_match_json(a.s, m.s), '$.inlier_pairs') FROM sift a, mirror m WHERE a.name='box.png'");
    check(query_int(db, "SELECT json_extract(img_match_json(a.s, m.s), '$.mirrored') "
                        "FROM sift a, mirror m WHERE a.name='box.png'")==1
          && query_int(db, "SELECT img_match(a.s, m.s) FROM sift a, mirror m WHERE a.name='box.png'")>=300,
          "11.41 box vs its mirror image: mirrored, many inliers: %s", j ? j : "(null)");
    sqlite3_free(j);
  }
  check(query_int(db, "SELECT abs(json_extract(j,'$.homography[0]') + 1) < 0.02 "
                      "AND abs(json_extract(j,'$.homography[2]') - 323) < 2 "
                      "AND abs(json_extract(j,'$.homography[4]') - 1) < 0.02 "
                      "FROM (SELECT img_match_json(a.s, m.s) AS j FROM sift a, mirror m WHERE a.name='box.png')")==1,
        "11.42 ... its homography maps x to about 323 - x in the mirror's own coordinates");
  {
    char *j = query_text(db, "SELECT json_remove(img_match_json(b.s, m.s), '$.inlier_pairs') FROM sift b, mirror m WHERE b.name='box_in_scene.png'");
    check(query_int(db, "SELECT json_extract(img_match_json(b.s, m.s), '$.mirrored') "
                        "FROM sift b, mirror m WHERE b.name='box_in_scene.png'")==1
          && query_int(db, "SELECT img_match(b.s, m.s) FROM sift b, mirror m WHERE b.name='box_in_scene.png'")>=20,
          "11.43 box_in_scene vs the mirrored box: found, mirrored: %s", j ? j : "(null)");
    sqlite3_free(j);
  }
  check(query_int(db, "SELECT img_match(m.s, a.s) FROM sift a, mirror m WHERE a.name='coins.png'")==0,
        "11.44 the mirrored box against coins.png: 0");
  free(png);
  if( grey ) stbi_image_free(grey);
  free(flipped);
  free(bmp);
}

/* Rows (x1, y1, x2, y2, error) of img_match_json(a, b)'s inlier_pairs, where
** error is the distance in b's pixels between (x2, y2) and the homography's
** image of (x1, y1).  %s: a SELECT of the JSON as column j. */
#define INLIER_PAIRS_SQL \
  "WITH m(j) AS MATERIALIZED (%s), p AS MATERIALIZED (SELECT json_extract(e.value,'$[0]') AS x1, " \
  "json_extract(e.value,'$[1]') AS y1, json_extract(e.value,'$[2]') AS x2, " \
  "json_extract(e.value,'$[3]') AS y2, json_extract(m.j,'$.homography') AS h " \
  "FROM m, json_each(m.j, '$.inlier_pairs') e), " \
  "q AS (SELECT *, h->>0*x1 + h->>1*y1 + h->>2 AS u, h->>3*x1 + h->>4*y1 + h->>5 AS v, " \
  "h->>6*x1 + h->>7*y1 + h->>8 AS w FROM p) " \
  "SELECT x1, y1, x2, y2, sqrt((u/w-x2)*(u/w-x2) + (v/w-y2)*(v/w-y2)) AS error FROM q"

static void test_inlier_pairs(sqlite3 *db){
  const char *scene = "SELECT img_match_json(a.s, b.s) FROM sift a, sift b "
                      "WHERE a.name='box.png' AND b.name='box_in_scene.png'";
  const char *mirror = "SELECT img_match_json(a.s, m.s) FROM sift a, mirror m "
                       "WHERE a.name='box.png'";
  char *sql = sqlite3_mprintf("SELECT count(*) = (%s)->>'inliers' AND max(error) < 6 "
                              "FROM (" INLIER_PAIRS_SQL ")", scene, scene);
  check(query_int(db, "%s", sql)==1,
        "11.60 img_match_json(box, box_in_scene): one inlier_pairs row per inlier, each "
        "within 6 px of the homography's image (RANSAC threshold 5 px, then refined)");
  sqlite3_free(sql);
  sql = sqlite3_mprintf("SELECT count(*) = (%s)->>'inliers' AND max(error) < 6 "
                        "AND max(abs(x2 - (323 - x1))) < 3 AND max(abs(y2 - y1)) < 3 "
                        "FROM (" INLIER_PAIRS_SQL ")", mirror, mirror);
  check(query_int(db, "%s", sql)==1,
        "11.61 against the mirror image the pairs are in the mirror's own pixels: "
        "(x, y) -> (323 - x, y)");
  sqlite3_free(sql);
  sql = sqlite3_mprintf("SELECT count(*) = sift_count(s) AND max(error) < 0.01 "
                        "AND max(x1 <> x2 OR y1 <> y2) = 0 FROM sift, (" INLIER_PAIRS_SQL ") "
                        "WHERE name='box.png'",
                        "SELECT img_match_json(s, s) FROM sift WHERE name='box.png'");
  check(query_int(db, "%s", sql)==1,
        "11.62 an image against itself: every keypoint paired with itself");
  sqlite3_free(sql);
}

static void test_bad_images(sqlite3 *db, const char *dir){
  unsigned char one[1] = {200}, flat[64*64];
  unsigned char *bmp;
  size_t n;
  char *path = sqlite3_mprintf("%s/../README.md", dir);
  unsigned char *text = read_file(path, &n);
  sqlite3_free(path);
  insert_blob(db, "extra", "readme.txt", text ? text : (unsigned char*)"text", text ? n : 4);
  free(text);
  bmp = bmp_encode(one, 1, 1, &n);
  insert_blob(db, "extra", "one.bmp", bmp, n);
  free(bmp);
  memset(flat, 77, sizeof(flat));
  bmp = bmp_encode(flat, 64, 64, &n);
  insert_blob(db, "extra", "flat.bmp", bmp, n);
  free(bmp);
  exec(db, "INSERT INTO extra SELECT 'half.jpg', substr(data, 1, length(data)/2) FROM img WHERE name='aero1.jpg'");
  exec(db, "INSERT INTO extra SELECT 'half.png', substr(data, 1, length(data)/2) FROM img WHERE name='box.png'");
  exec(db, "INSERT INTO extra SELECT 'head.png', substr(data, 1, 40) FROM img WHERE name='box.png'");
  exec(db, "INSERT INTO extra VALUES ('empty', X'')");

  check(error_is(db, "img_sift: cannot decode jpeg image (640x480): Corrupt JPEG", SQLITE_ERROR,
                 "SELECT img_sift(data) FROM extra WHERE name='half.jpg'"),
        "11.45 truncated JPEG: error");
  check(error_is(db, "img_sift: cannot decode png image (324x223): Corrupt PNG", SQLITE_ERROR,
                 "SELECT img_sift(data) FROM extra WHERE name='half.png'"),
        "11.46 truncated PNG: error");
  check(error_is(db, "img_sift: cannot decode png image (324x223): PNG not supported: unknown PNG chunk type",
                 SQLITE_ERROR, "SELECT img_sift(data) FROM extra WHERE name='head.png'")
        && query_is(db, "{\"width\":324,\"height\":223,\"channels\":1,\"format\":\"png\"}",
                    "SELECT img_info(data) FROM extra WHERE name='head.png'"),
        "11.47 only the PNG header: img_info reads it, img_sift cannot decode");
  check(error_is(db, "img_keypoints: cannot decode jpeg image (640x480): Corrupt JPEG", SQLITE_ERROR,
                 "SELECT count(*) FROM img_keypoints((SELECT data FROM extra WHERE name='half.jpg'))"),
        "11.48 img_keypoints on a truncated JPEG: error");
  check(error_is(db, "img_sift: not a supported image (expected jpeg, png, webp, heic, avif, jxl, tiff, bmp, gif, tga or pnm; "
                     "Image not of any known type, or corrupt)", SQLITE_ERROR,
                 "SELECT img_sift(data) FROM extra WHERE name='readme.txt'"),
        "11.49 a text file: error");
  check(error_is(db, "img_sift: image is empty (0 bytes)", SQLITE_ERROR,
                 "SELECT img_sift(data) FROM extra WHERE name='empty'"),
        "11.50 zero bytes: error");
  check(query_is(db, "0|20|0100000001000000", "SELECT sift_count(s) || '|' || length(s) || '|' || hex(substr(s,13,8)) FROM "
                     "(SELECT img_sift(data) AS s FROM extra WHERE name='one.bmp')"),
        "11.51 a 1x1 image: empty sift blob recording 1x1");
  check(query_is(db, "0|0|NULL", "SELECT sift_count(s) || '|' || (SELECT count(*) FROM img_keypoints(s)) "
                     "|| '|' || ifnull(img_vlad(s, (SELECT c FROM cb)), 'NULL') FROM "
                     "(SELECT img_sift(data) AS s FROM extra WHERE name='flat.bmp')"),
        "11.52 a flat image: 0 keypoints, no rows, NULL VLAD");
  check(query_int(db, "SELECT img_match(a.s, img_sift(e.data)) FROM sift a, extra e "
                      "WHERE a.name='box.png' AND e.name='flat.bmp'")==0,
        "11.53 matching against an image without features: 0");
}

static void test_limits(sqlite3 *db){
  check(query_is(db, "{\"max_megapixels\":50,\"max_side\":1024}", "SELECT img_limits()"),
        "11.54 img_limits(): defaults 50 MP, longest side 1024");
  check(query_is(db, "{\"max_megapixels\":0.1,\"max_side\":1024}", "SELECT img_limits(0.1, NULL)"),
        "11.55 img_limits(0.1, NULL) changes only the pixel limit");
  check(error_is(db, "img_sift: image is 512x384 = 0.2 MP, over the 0.1 MP limit (see img_limits)",
                 SQLITE_TOOBIG, "SELECT img_sift(data) FROM img WHERE name='box_in_scene.png'"),
        "11.56 over the limit: SQLITE_TOOBIG with the sizes in the message");
  check(query_int(db, "SELECT sift_count(img_sift(data)) FROM img WHERE name='box.png'")>0,
        "11.57 ... while a 0.07 MP image still passes");
  {
    sqlite3 *other = open_db(":memory:");
    check(query_is(other, "{\"max_megapixels\":50,\"max_side\":1024}", "SELECT img_limits()"),
          "11.58 limits belong to the connection: another one still has the defaults");
    sqlite3_close(other);
  }
  check(query_is(db, "{\"max_megapixels\":50,\"max_side\":1024}", "SELECT img_limits(50, 1024)"),
        "11.59 img_limits(50, 1024) restores the defaults");
}

int main(int argc, char **argv){
  const char *dir = getenv("SAMPLES") ? getenv("SAMPLES") : "samples";
  sqlite3 *db;
  (void)rnd;                          /* testlib.h's, unused here */
  if( argc>1 ) test_extension = argv[1];
  db = open_db(":memory:");
  load_samples(db, dir);
  test_info(db);
  test_sift(db);
  test_keypoints(db);
  test_working_size(db);
  test_vlad(db);
  test_match(db);
  test_words_near(db);
  test_mirror(db, dir);
  test_inlier_pairs(db);
  test_bad_images(db, dir);
  test_limits(db);
  sqlite3_close(db);
  return test_failures ? 1 : 0;
}
