/*
** bench_images.c — how long the img_* functions take, through SQL, on the
** images in samples/.  Prints tables; asserts nothing.
**
**   cc -O2 -o build/bench/bench_images tests/bench/bench_images.c -lsqlite3
**   build/bench/bench_images [build/imgsearch.so] [samples]
**
** Times are milliseconds, the median of REPEATS runs, with the default
** limits (longest side 1024) unless a row says otherwise: wall clock, and
** for img_sift also the process CPU time (all threads; OpenCV uses every
** core for SIFT, the rest is single-threaded).  On a busy machine the CPU
** time is the steadier number.
*/
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define REPEATS 5

static double clock_ms(clockid_t clock){
  struct timespec t;
  clock_gettime(clock, &t);
  return t.tv_sec*1e3 + t.tv_nsec/1e6;
}
static double now_ms(void){ return clock_ms(CLOCK_MONOTONIC); }

/* CPU time of the last time_sql() median run (all threads of the process). */
static double last_cpu_ms;

static int compare_double(const void *a, const void *b){
  double x = *(const double*)a, y = *(const double*)b;
  return x<y ? -1 : x>y;
}

/* Median wall time of running sql (first row stepped, result ignored). */
static double time_sql(sqlite3 *db, const char *sql, int repeats){
  double t[REPEATS], cpu[REPEATS];
  int i;
  if( repeats>REPEATS ) repeats = REPEATS;
  for(i=0; i<repeats; i++){
    sqlite3_stmt *st;
    double start = now_ms(), cpu_start = clock_ms(CLOCK_PROCESS_CPUTIME_ID);
    if( sqlite3_prepare_v2(db, sql, -1, &st, 0)!=SQLITE_OK ){
      fprintf(stderr, "%s: %s\n", sql, sqlite3_errmsg(db));
      exit(1);
    }
    while( sqlite3_step(st)==SQLITE_ROW ){}
    sqlite3_finalize(st);
    t[i] = now_ms() - start;
    cpu[i] = clock_ms(CLOCK_PROCESS_CPUTIME_ID) - cpu_start;
  }
  qsort(t, (size_t)repeats, sizeof(double), compare_double);
  qsort(cpu, (size_t)repeats, sizeof(double), compare_double);
  last_cpu_ms = cpu[repeats/2];
  return t[repeats/2];
}

static long long query_int(sqlite3 *db, const char *sql){
  sqlite3_stmt *st;
  long long v = -1;
  if( sqlite3_prepare_v2(db, sql, -1, &st, 0)==SQLITE_OK && sqlite3_step(st)==SQLITE_ROW ){
    v = sqlite3_column_int64(st, 0);
  }
  sqlite3_finalize(st);
  return v;
}

static void load(sqlite3 *db, const char *dir, const char *name){
  char path[1024];
  FILE *f;
  long n;
  unsigned char *data;
  sqlite3_stmt *st;
  snprintf(path, sizeof(path), "%s/%s", dir, name);
  f = fopen(path, "rb");
  if( f==0 ){ fprintf(stderr, "cannot read %s\n", path); exit(1); }
  fseek(f, 0, SEEK_END);
  n = ftell(f);
  fseek(f, 0, SEEK_SET);
  data = malloc((size_t)n);
  if( fread(data, 1, (size_t)n, f)!=(size_t)n ){ fprintf(stderr, "short read\n"); exit(1); }
  fclose(f);
  sqlite3_prepare_v2(db, "INSERT INTO img(name, data) VALUES (?, ?)", -1, &st, 0);
  sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
  sqlite3_bind_blob(st, 2, data, (int)n, free);
  sqlite3_step(st);
  sqlite3_finalize(st);
}

int main(int argc, char **argv){
  static const char *names[] = {
    "aero1.jpg", "aero3.jpg", "astronaut.png", "box.png", "box_in_scene.png",
    "brick.png", "building.jpg", "butterfly.jpg", "camera.png", "chelsea.png",
    "clock_motion.png", "coffee.png", "coins.png", "gradient.png", "gravel.png",
    "home.jpg", "moon.png", "rocket.jpg"};
  const char *ext = argc>1 ? argv[1] : "build/imgsearch.so";
  const char *dir = argc>2 ? argv[2] : "samples";
  sqlite3 *db;
  char *err = 0, sql[512];
  size_t i;
  long long total;

  sqlite3_open(":memory:", &db);
  sqlite3_enable_load_extension(db, 1);
  if( sqlite3_load_extension(db, ext, 0, &err) ){ fprintf(stderr, "%s\n", err); return 1; }
  sqlite3_exec(db, "CREATE TABLE img(name TEXT PRIMARY KEY, data BLOB)", 0, 0, 0);
  for(i=0; i<sizeof(names)/sizeof(names[0]); i++) load(db, dir, names[i]);
  sqlite3_exec(db, "CREATE TABLE sift AS SELECT name, img_sift(data) AS s FROM img;"
                   "CREATE TABLE cb AS SELECT img_codebook_train(s) AS c FROM sift;", 0, 0, 0);

  printf("img_sift (default 1000 features, longest side 1024), median of %d\n\n", REPEATS);
  printf("| image | size | features | img_info ms | img_sift ms | img_sift CPU ms | img_vlad k=64 ms |\n");
  printf("|---|---|---|---|---|---|---|\n");
  for(i=0; i<sizeof(names)/sizeof(names[0]); i++){
    double t_info, t_sift, t_sift_cpu, t_vlad;
    snprintf(sql, sizeof(sql), "SELECT img_info(data) FROM img WHERE name='%s'", names[i]);
    t_info = time_sql(db, sql, REPEATS);
    snprintf(sql, sizeof(sql), "SELECT img_sift(data) FROM img WHERE name='%s'", names[i]);
    t_sift = time_sql(db, sql, REPEATS);
    t_sift_cpu = last_cpu_ms;
    snprintf(sql, sizeof(sql), "SELECT img_vlad(s, (SELECT c FROM cb)) FROM sift WHERE name='%s'", names[i]);
    t_vlad = time_sql(db, sql, REPEATS);
    snprintf(sql, sizeof(sql), "SELECT json_extract(img_info(data),'$.width')*10000 + "
             "json_extract(img_info(data),'$.height') FROM img WHERE name='%s'", names[i]);
    total = query_int(db, sql);
    snprintf(sql, sizeof(sql), "SELECT sift_count(s) FROM sift WHERE name='%s'", names[i]);
    printf("| %s | %lldx%lld | %lld | %.2f | %.1f | %.1f | %.2f |\n", names[i], total/10000,
           total%10000, query_int(db, sql), t_info, t_sift, t_sift_cpu, t_vlad);
  }

  printf("\nimg_match (RootSIFT ratio test both ways round + 2 RANSAC fits)\n\n");
  printf("| pair | features | inliers | ms |\n|---|---|---|---|\n");
  {
    static const char *pairs[][2] = {{"box.png", "box_in_scene.png"},
                                     {"aero1.jpg", "aero3.jpg"},
                                     {"building.jpg", "gravel.png"}};
    for(i=0; i<3; i++){
      double t;
      snprintf(sql, sizeof(sql), "SELECT img_match(a.s, b.s) FROM sift a, sift b "
               "WHERE a.name='%s' AND b.name='%s'", pairs[i][0], pairs[i][1]);
      t = time_sql(db, sql, REPEATS);
      total = query_int(db, sql);
      snprintf(sql, sizeof(sql), "SELECT group_concat(sift_count(s), 'x') FROM sift "
               "WHERE name IN ('%s', '%s')", pairs[i][0], pairs[i][1]);
      {
        sqlite3_stmt *st;
        const char *counts = "?";
        sqlite3_prepare_v2(db, sql, -1, &st, 0);
        if( sqlite3_step(st)==SQLITE_ROW ) counts = (const char*)sqlite3_column_text(st, 0);
        printf("| %s / %s | %s | %lld | %.1f |\n", pairs[i][0], pairs[i][1], counts, total, t);
        sqlite3_finalize(st);
      }
    }
  }

  /* Training sets: every feature of every sample at several working sizes,
  ** to get past the 100k sample cap. */
  sqlite3_exec(db, "CREATE TABLE many(s BLOB);"
                   "SELECT img_limits(NULL, 1024); INSERT INTO many SELECT img_sift(data, 0) FROM img;"
                   "SELECT img_limits(NULL, 800);  INSERT INTO many SELECT img_sift(data, 0) FROM img;"
                   "SELECT img_limits(NULL, 640);  INSERT INTO many SELECT img_sift(data, 0) FROM img;"
                   "SELECT img_limits(NULL, 512);  INSERT INTO many SELECT img_sift(data, 0) FROM img;"
                   "SELECT img_limits(NULL, 1600); INSERT INTO many SELECT img_sift(data, 0) FROM img;"
                   "SELECT img_limits(NULL, 1024);", 0, 0, 0);
  total = query_int(db, "SELECT sum(sift_count(s)) FROM many");
  printf("\nimg_codebook_train (k-means++ then at most 20 Lloyd rounds, single run)\n\n");
  printf("| descriptors offered | kept | k | ms |\n|---|---|---|---|\n");
  printf("| %lld | %lld | 64 | %.0f |\n", query_int(db, "SELECT sum(sift_count(s)) FROM sift"),
         query_int(db, "SELECT sum(sift_count(s)) FROM sift"),
         time_sql(db, "SELECT img_codebook_train(s) FROM sift", 1));
  printf("| %lld | %lld | 64 | %.0f |\n", total, total<100000 ? total : 100000,
         time_sql(db, "SELECT img_codebook_train(s) FROM many", 1));
  printf("| %lld | %lld | 256 | %.0f |\n", total, total<100000 ? total : 100000,
         time_sql(db, "SELECT img_codebook_train(s, 256) FROM many", 1));

  sqlite3_exec(db, "CREATE TABLE v AS SELECT img_vlad(s, (SELECT c FROM cb)) AS v FROM many", 0, 0, 0);
  printf("\nimg_pca_train on %lld VLAD vectors of 8192 dims: %.0f ms (dims 256)\n",
         query_int(db, "SELECT count(v) FROM v"),
         time_sql(db, "SELECT img_pca_train(v) FROM v", 1));
  sqlite3_close(db);
  return 0;
}
