/*
** sift_dump.c — benchmark data: SIFT descriptors of a list of images, as
** raw bytes (n x 128 uint8, no header), in image order.
**
** Links ext/image.c and ext/sift_cv.cpp built with -DSQLITE_CORE (see
** tests/bench/extract.sh), so it measures exactly the product's decode and
** extraction path: image_decode_grey() with the default 50 MP limit and
** longest side <= 1024 (-s), then sift_extract() with no feature cap.
**
**   sift_dump -o OUT [-j THREADS] [-s MAX_SIDE] [-n SAMPLE [-S SEED]]
**             (-l LISTFILE | FILE...)
**
** -j  worker threads (default 2).  Images are handed out dynamically but
**     written strictly in input order, so OUT is the same for any -j.
** -n  instead of all descriptors, write SAMPLE of them drawn without
**     replacement with a splitmix64 PRNG seeded by -S (default 1), in draw
**     order.  Same inputs + same seed = same bytes.
**
** OUT is written to OUT.tmp and renamed only when every image succeeded.
** Prints a summary table to stdout; exit status 1 if any image failed.
*/
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "image/image.h"
#include "image/sift_cv.h"

typedef struct DumpSlot {
  const char *path;
  int done;
  int failed;
  int width, height;             /* after decode (and downscale) */
  double decode_ms, sift_ms;
  SiftFeatures features;
} DumpSlot;

typedef struct DumpJob {
  DumpSlot *slots;
  int n_slots;
  int next;                      /* next slot to hand out; under mutex */
  int max_side;
  pthread_mutex_t mutex;
  pthread_cond_t slot_done;
} DumpJob;

static double dump_now_ms(void){
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec*1e3 + ts.tv_nsec/1e6;
}

/* Read a whole file into malloc'd memory.  Returns 0 and prints on error. */
static unsigned char *dump_read_file(const char *path, size_t *pn){
  FILE *f = fopen(path, "rb");
  unsigned char *buf = 0;
  long size;
  if( f==0 ){
    fprintf(stderr, "%s: %s\n", path, strerror(errno));
    return 0;
  }
  if( fseek(f, 0, SEEK_END)!=0 || (size = ftell(f))<0 || fseek(f, 0, SEEK_SET)!=0 ){
    fprintf(stderr, "%s: cannot determine size\n", path);
    goto done;
  }
  buf = malloc(size>0 ? (size_t)size : 1);
  if( buf==0 ){
    fprintf(stderr, "%s: out of memory (%ld bytes)\n", path, size);
    goto done;
  }
  if( fread(buf, 1, (size_t)size, f)!=(size_t)size ){
    fprintf(stderr, "%s: short read\n", path);
    free(buf);
    buf = 0;
    goto done;
  }
  *pn = (size_t)size;
done:
  fclose(f);
  return buf;
}

static void dump_process(DumpSlot *slot, int max_side){
  ImageLimits lim;
  GreyImage img;
  char *zErr = 0;
  size_t n = 0;
  unsigned char *bytes;
  double t0, t1, t2;
  int rc;

  slot->failed = 1;
  bytes = dump_read_file(slot->path, &n);
  if( bytes==0 ) return;
  image_limits_default(&lim);
  lim.max_side = max_side;
  t0 = dump_now_ms();
  rc = image_decode_grey(bytes, n, &lim, &img, &zErr);
  t1 = dump_now_ms();
  free(bytes);
  if( rc!=0 ){
    fprintf(stderr, "%s: %s\n", slot->path, zErr ? zErr : "decode failed");
    image_grey_free(&img);
    sqlite3_free(zErr);
    return;
  }
  zErr = 0;
  rc = sift_extract(img.pixels, img.width, img.height, img.width, 0,
                    &slot->features, &zErr);
  t2 = dump_now_ms();
  if( rc!=0 ){
    fprintf(stderr, "%s: %s\n", slot->path, zErr ? zErr : "out of memory");
    sqlite3_free(zErr);
  }else{
    slot->failed = 0;
  }
  slot->width = img.width;
  slot->height = img.height;
  slot->decode_ms = t1 - t0;
  slot->sift_ms = t2 - t1;
  image_grey_free(&img);
}

static void *dump_worker(void *arg){
  DumpJob *job = arg;
  for(;;){
    int i;
    pthread_mutex_lock(&job->mutex);
    i = job->next++;
    pthread_mutex_unlock(&job->mutex);
    if( i>=job->n_slots ) break;
    dump_process(&job->slots[i], job->max_side);
    pthread_mutex_lock(&job->mutex);
    job->slots[i].done = 1;
    pthread_cond_broadcast(&job->slot_done);
    pthread_mutex_unlock(&job->mutex);
  }
  return 0;
}

static uint64_t dump_splitmix64(uint64_t *state){
  uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

/* Append paths from a file, one per line; blank lines ignored.  Strings
** and the array are malloc'd; main() frees them. */
static int dump_read_list(const char *list, char ***pPaths, int *pn){
  FILE *f = fopen(list, "r");
  char line[4096];
  if( f==0 ){
    fprintf(stderr, "%s: %s\n", list, strerror(errno));
    return 1;
  }
  while( fgets(line, sizeof(line), f) ){
    size_t len = strcspn(line, "\r\n");
    char **grown;
    line[len] = 0;
    if( len==0 ) continue;
    grown = realloc(*pPaths, sizeof(char*)*(size_t)(*pn + 1));
    if( grown==0 || (grown[*pn] = strdup(line))==0 ){
      fprintf(stderr, "out of memory reading %s\n", list);
      if( grown ) *pPaths = grown;
      fclose(f);
      return 1;
    }
    *pPaths = grown;
    (*pn)++;
  }
  fclose(f);
  return 0;
}

static void dump_usage(void){
  fprintf(stderr, "usage: sift_dump -o OUT [-j THREADS] [-s MAX_SIDE] "
                  "[-n SAMPLE [-S SEED]] (-l LISTFILE | FILE...)\n");
}

int main(int argc, char **argv){
  const char *out_path = 0, *list_path = 0;
  char **paths = 0;
  int n_paths = 0, n_listed = 0, n_threads = 2, max_side = IMAGE_DEFAULT_MAX_SIDE;
  long sample = 0;
  uint64_t seed = 1;
  DumpJob job;
  pthread_t threads[16];
  FILE *out = 0;
  char *tmp_path = 0;
  unsigned char *pool = 0;       /* -n: every descriptor, in image order */
  size_t pool_count = 0, pool_cap = 0;
  uint64_t total_desc = 0;
  double sum_decode = 0, sum_sift = 0, t_start, wall_ms;
  int n_failed = 0, n_done = 0, n_started = 0, i, rc = 1;
  int min_features = -1, max_features = 0, n_retried = 0;

  for(i=1; i<argc; i++){
    const char *a = argv[i];
    if( a[0]!='-' ) break;
    if( i+1>=argc ){ dump_usage(); return 2; }
    if( strcmp(a, "-o")==0 ) out_path = argv[++i];
    else if( strcmp(a, "-l")==0 ) list_path = argv[++i];
    else if( strcmp(a, "-j")==0 ) n_threads = atoi(argv[++i]);
    else if( strcmp(a, "-s")==0 ) max_side = atoi(argv[++i]);
    else if( strcmp(a, "-n")==0 ) sample = atol(argv[++i]);
    else if( strcmp(a, "-S")==0 ) seed = strtoull(argv[++i], 0, 10);
    else { dump_usage(); return 2; }
  }
  if( out_path==0 || n_threads<1 || n_threads>16 || max_side<0 || sample<0 ){
    dump_usage();
    return 2;
  }
  if( list_path && dump_read_list(list_path, &paths, &n_paths) ) return 1;
  n_listed = n_paths;              /* paths[0..n_listed) are strdup'd */
  for(; i<argc; i++){
    char **grown = realloc(paths, sizeof(char*)*(size_t)(n_paths + 1));
    if( grown==0 ){ fprintf(stderr, "out of memory\n"); return 1; }
    paths = grown;
    paths[n_paths++] = argv[i];
  }
  if( n_paths==0 ){
    fprintf(stderr, "sift_dump: no images given\n");
    return 2;
  }

  memset(&job, 0, sizeof(job));
  job.slots = calloc((size_t)n_paths, sizeof(DumpSlot));
  tmp_path = malloc(strlen(out_path) + 5);
  if( job.slots==0 || tmp_path==0 ){ fprintf(stderr, "out of memory\n"); return 1; }
  for(i=0; i<n_paths; i++) job.slots[i].path = paths[i];
  job.n_slots = n_paths;
  job.max_side = max_side;
  pthread_mutex_init(&job.mutex, 0);
  pthread_cond_init(&job.slot_done, 0);

  sprintf(tmp_path, "%s.tmp", out_path);
  out = fopen(tmp_path, "wb");
  if( out==0 ){
    fprintf(stderr, "%s: %s\n", tmp_path, strerror(errno));
    goto cleanup;
  }

  t_start = dump_now_ms();
  for(i=0; i<n_threads; i++){
    if( pthread_create(&threads[i], 0, dump_worker, &job)!=0 ){
      fprintf(stderr, "cannot start worker thread %d\n", i);
      break;
    }
    n_started++;
  }
  if( n_started==0 ) goto cleanup;

  /* Consume results strictly in input order. */
  for(i=0; i<n_paths; i++){
    DumpSlot *s = &job.slots[i];
    size_t bytes;
    pthread_mutex_lock(&job.mutex);
    while( !s->done ) pthread_cond_wait(&job.slot_done, &job.mutex);
    pthread_mutex_unlock(&job.mutex);
    if( s->failed ){
      n_failed++;
      sift_features_free(&s->features);
      continue;
    }
    n_done++;
    sum_decode += s->decode_ms;
    sum_sift += s->sift_ms;
    total_desc += (uint64_t)s->features.count;
    if( min_features<0 || s->features.count<min_features ) min_features = s->features.count;
    if( s->features.count>max_features ) max_features = s->features.count;
    if( s->features.contrast_threshold<0.04 ) n_retried++;
    bytes = (size_t)s->features.count*SIFT_DESCRIPTOR_BYTES;
    if( sample==0 ){
      if( bytes && fwrite(s->features.descriptors, 1, bytes, out)!=bytes ){
        fprintf(stderr, "%s: write failed\n", tmp_path);
        goto cleanup;
      }
    }else if( bytes ){
      if( pool_count + (size_t)s->features.count > pool_cap ){
        size_t cap = pool_cap ? pool_cap*2 : 65536;
        unsigned char *grown;
        while( cap < pool_count + (size_t)s->features.count ) cap *= 2;
        grown = realloc(pool, cap*SIFT_DESCRIPTOR_BYTES);
        if( grown==0 ){ fprintf(stderr, "out of memory\n"); goto cleanup; }
        pool = grown;
        pool_cap = cap;
      }
      memcpy(pool + pool_count*SIFT_DESCRIPTOR_BYTES, s->features.descriptors, bytes);
      pool_count += (size_t)s->features.count;
    }
    sift_features_free(&s->features);
  }
  wall_ms = dump_now_ms() - t_start;

  if( sample>0 ){
    /* Partial Fisher-Yates over descriptor indices. */
    uint64_t state = seed;
    size_t *idx, k = (size_t)sample < pool_count ? (size_t)sample : pool_count, j;
    if( (size_t)sample > pool_count ){
      fprintf(stderr, "warning: asked for %ld descriptors, only %zu exist\n",
              sample, pool_count);
    }
    idx = malloc(sizeof(size_t)*(pool_count ? pool_count : 1));
    if( idx==0 ){ fprintf(stderr, "out of memory\n"); goto cleanup; }
    for(j=0; j<pool_count; j++) idx[j] = j;
    for(j=0; j<k; j++){
      size_t pick = j + (size_t)(dump_splitmix64(&state) % (pool_count - j));
      size_t t = idx[j]; idx[j] = idx[pick]; idx[pick] = t;
      if( fwrite(pool + idx[j]*SIFT_DESCRIPTOR_BYTES, 1, SIFT_DESCRIPTOR_BYTES, out)
          !=SIFT_DESCRIPTOR_BYTES ){
        fprintf(stderr, "%s: write failed\n", tmp_path);
        free(idx);
        goto cleanup;
      }
    }
    free(idx);
  }
  if( fclose(out)!=0 ){
    out = 0;
    fprintf(stderr, "%s: close failed\n", tmp_path);
    remove(tmp_path);
    goto cleanup;
  }
  out = 0;
  if( n_failed ){
    /* A partial data set must not look finished to extract.sh. */
    fprintf(stderr, "not writing %s: %d image(s) failed\n", out_path, n_failed);
    remove(tmp_path);
  }else if( rename(tmp_path, out_path)!=0 ){
    fprintf(stderr, "rename %s: %s\n", out_path, strerror(errno));
    remove(tmp_path);
    goto cleanup;
  }

  printf("%-28s %12s\n", "sift_dump", out_path);
  printf("%-28s %12d\n", "images", n_paths);
  printf("%-28s %12d\n", "failed", n_failed);
  printf("%-28s %12d\n", "threads", n_started);
  printf("%-28s %12d\n", "max side (0 = native)", max_side);
  printf("%-28s %12llu\n", "descriptors extracted", (unsigned long long)total_desc);
  if( sample>0 ){
    printf("%-28s %12zu\n", "descriptors written", (size_t)sample < pool_count ? (size_t)sample : pool_count);
  }
  printf("%-28s %12.0f\n", "descriptors / image", n_done ? (double)total_desc/n_done : 0.0);
  printf("%-28s %6d %5d\n", "min / max per image", min_features<0 ? 0 : min_features, max_features);
  printf("%-28s %12d\n", "low-contrast retries", n_retried);
  printf("%-28s %12.1f\n", "decode ms / image (mean)", n_done ? sum_decode/n_done : 0.0);
  printf("%-28s %12.1f\n", "sift ms / image (mean)", n_done ? sum_sift/n_done : 0.0);
  printf("%-28s %12.1f\n", "wall ms / image", wall_ms/n_paths);
  printf("%-28s %12.1f\n", "wall s", wall_ms/1e3);
  rc = n_failed ? 1 : 0;

cleanup:
  for(i=0; i<n_started; i++) pthread_join(threads[i], 0);
  if( out ){ fclose(out); remove(tmp_path); }
  if( job.slots ){
    for(i=0; i<n_paths; i++) sift_features_free(&job.slots[i].features);
  }
  free(job.slots);
  for(i=0; i<n_listed; i++) free(paths[i]);
  free(paths);
  free(pool);
  free(tmp_path);
  return rc;
}
