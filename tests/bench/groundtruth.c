/*
** groundtruth.c — the exact 10 nearest base vectors of every query, for recall@10.
**
** Reads $BENCH_DIR/base.u8 and $BENCH_DIR/query.u8 and writes $BENCH_DIR/gt.i32
** (formats in bench_common.h).  Distance is squared L2 computed exactly in
** integers; among equal distances the smaller base index wins.
**
** Brute force, made fast enough by two things:
**   - the distance loop is plain C over uint8 that GCC vectorises at -O3
**     (widen to 16 bit, subtract, multiply-add pairs into 32 bit);
**   - the base is visited in blocks small enough to stay in L2 cache, and every
**     query of a thread is compared against a block before moving on, so the
**     1.5M x 128 bytes base is read from memory once per thread, not per query.
** Queries are split between GROUNDTRUTH_THREADS threads.
**
** Build: cc -O3 -march=native -pthread tests/bench/groundtruth.c -o build/bench/groundtruth
*/
#include <pthread.h>

#include "bench_common.h"

#define GROUNDTRUTH_THREADS 2
#define GROUNDTRUTH_BLOCK 2048 /* base vectors per block: 256 KiB */

/* The 10 best so far for one query, nearest first. */
typedef struct TopTen {
  uint32_t distance[BENCH_K];
  int32_t index[BENCH_K];
} TopTen;

typedef struct GroundtruthJob {
  const uint8_t *base;
  size_t base_count;
  const uint8_t *queries;
  size_t first_query, end_query; /* this thread's half-open range */
  TopTen *best;                  /* one per query, shared array, disjoint ranges */
} GroundtruthJob;

static inline uint32_t squared_l2_u8(const uint8_t *a, const uint8_t *b) {
  uint32_t sum = 0;
  for (int i = 0; i < BENCH_DIM; i++) {
    int difference = (int)a[i] - (int)b[i];
    sum += (uint32_t)(difference * difference);
  }
  return sum;
}

/*
** Base indices arrive in increasing order, so keeping equal distances in
** arrival order (strict comparisons below) breaks ties by the smaller index.
*/
static inline void top_ten_offer(TopTen *best, uint32_t distance, int32_t index) {
  if (distance >= best->distance[BENCH_K - 1]) return;
  int slot = BENCH_K - 1;
  while (slot > 0 && best->distance[slot - 1] > distance) {
    best->distance[slot] = best->distance[slot - 1];
    best->index[slot] = best->index[slot - 1];
    slot--;
  }
  best->distance[slot] = distance;
  best->index[slot] = index;
}

static void *groundtruth_thread(void *argument) {
  GroundtruthJob *job = argument;
  for (size_t q = job->first_query; q < job->end_query; q++) {
    for (int i = 0; i < BENCH_K; i++) {
      job->best[q].distance[i] = UINT32_MAX;
      job->best[q].index[i] = -1;
    }
  }
  for (size_t block = 0; block < job->base_count; block += GROUNDTRUTH_BLOCK) {
    size_t block_end = block + GROUNDTRUTH_BLOCK;
    if (block_end > job->base_count) block_end = job->base_count;
    for (size_t q = job->first_query; q < job->end_query; q++) {
      const uint8_t *query = job->queries + q * BENCH_DIM;
      TopTen *best = &job->best[q];
      for (size_t i = block; i < block_end; i++) {
        top_ten_offer(best, squared_l2_u8(query, job->base + i * BENCH_DIM), (int32_t)i);
      }
    }
  }
  return NULL;
}

int main(void) {
  int rc = 1;
  size_t base_count = 0, query_count = 0;
  uint8_t *base = bench_load_u8("base.u8", &base_count);
  uint8_t *queries = bench_load_u8("query.u8", &query_count);
  TopTen *best = NULL;
  int32_t *rows = NULL;
  FILE *out = NULL;
  char path[BENCH_PATH_BYTES], temporary[BENCH_PATH_BYTES + 8];

  if (!base || !queries) goto done;
  if (base_count > INT32_MAX) {
    fprintf(stderr, "base has %zu vectors; gt.i32 holds int32 indices\n", base_count);
    goto done;
  }
  if (base_count < BENCH_K) {
    fprintf(stderr, "base has %zu vectors; need at least %d\n", base_count, BENCH_K);
    goto done;
  }
  best = malloc(query_count * sizeof *best);
  rows = malloc(query_count * BENCH_K * sizeof *rows);
  if (!best || !rows) {
    fprintf(stderr, "out of memory\n");
    goto done;
  }

  double start = bench_now();
  pthread_t threads[GROUNDTRUTH_THREADS];
  GroundtruthJob jobs[GROUNDTRUTH_THREADS];
  int started = 0;
  for (int t = 0; t < GROUNDTRUTH_THREADS; t++) {
    jobs[t] = (GroundtruthJob){base, base_count, queries,
                               query_count * (size_t)t / GROUNDTRUTH_THREADS,
                               query_count * (size_t)(t + 1) / GROUNDTRUTH_THREADS, best};
    if (pthread_create(&threads[t], NULL, groundtruth_thread, &jobs[t]) != 0) {
      fprintf(stderr, "cannot start thread %d; finishing its share on this one\n", t);
      groundtruth_thread(&jobs[t]);
    } else {
      started |= 1 << t;
    }
  }
  for (int t = 0; t < GROUNDTRUTH_THREADS; t++) {
    if (started & (1 << t)) pthread_join(threads[t], NULL);
  }
  double seconds = bench_now() - start;

  for (size_t q = 0; q < query_count; q++) {
    memcpy(&rows[q * BENCH_K], best[q].index, sizeof best[q].index);
  }
  /* Write beside the target and rename, so a killed run leaves no half file. */
  bench_path(path, "gt.i32");
  snprintf(temporary, sizeof temporary, "%s.tmp", path);
  out = fopen(temporary, "wb");
  if (!out || fwrite(rows, sizeof *rows, query_count * BENCH_K, out) != query_count * BENCH_K) {
    fprintf(stderr, "cannot write %s: %s\n", temporary, strerror(errno));
    goto done;
  }
  if (fclose(out) != 0 || rename(temporary, path) != 0) {
    out = NULL;
    fprintf(stderr, "cannot write %s: %s\n", path, strerror(errno));
    goto done;
  }
  out = NULL;
  fprintf(stderr, "groundtruth: %zu queries x %zu base vectors in %.1f s (%d threads) -> %s\n",
          query_count, base_count, seconds, GROUNDTRUTH_THREADS, path);
  rc = 0;

done:
  if (out) fclose(out);
  free(rows);
  free(best);
  free(queries);
  free(base);
  return rc;
}
