/*
** bench_common.h — small helpers shared by the benchmark programs in tests/bench/.
**
** Owns: locating the data directory, loading the raw descriptor files, the
** monotonic clock, recall@10, and the one markdown row format every bench
** program prints.  Used only by stand-alone bench programs (C and C++), never by
** the extension, so everything is `static inline` and errors go to stderr.
**
** Data files (all in $BENCH_DIR, default build/bench):
**   base.u8    n x 128 uint8 descriptors, row after row, no header (n = size/128)
**   query.u8   nq x 128 uint8, same layout
**   gt.i32     nq x 10 int32 (host byte order): 0-based base indices of the exact
**              10 nearest neighbours by squared L2, nearest first, ties broken by
**              the smaller index (written by groundtruth.c)
**
** Table row format, shared with the other bench tables:
**   | system | setting | build s | size MB | recall@10 | queries/s |
** A negative number is printed as "-" (not measured); MB are 10^6 bytes;
** queries/s under 100 get two decimals (brute force on 1.5M runs at a few per second).
*/
#ifndef BENCH_COMMON_H
#define BENCH_COMMON_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define BENCH_DIM 128
#define BENCH_K 10

/* Directory holding base.u8, query.u8, gt.i32 and the peers' caches. */
static inline const char *bench_dir(void) {
  const char *dir = getenv("BENCH_DIR");
  return (dir && dir[0]) ? dir : "build/bench";
}

/* "$BENCH_DIR/name" in a static buffer of the caller's (size PATH_BYTES). */
#define BENCH_PATH_BYTES 4096
static inline const char *bench_path(char *buffer, const char *name) {
  snprintf(buffer, BENCH_PATH_BYTES, "%s/%s", bench_dir(), name);
  return buffer;
}

static inline double bench_now(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (double)now.tv_sec + (double)now.tv_nsec * 1e-9;
}

/* Size of a file in bytes, or -1 if it cannot be stat'ed. */
static inline long long bench_file_bytes(const char *path) {
  struct stat info;
  return stat(path, &info) == 0 ? (long long)info.st_size : -1;
}

/*
** Read a whole file whose size must be a multiple of record_bytes.  Returns a
** malloc'ed buffer (the caller frees it) and the record count in *count, or NULL
** after printing why.
*/
static inline void *bench_load_records(const char *path, size_t record_bytes, size_t *count) {
  FILE *file = fopen(path, "rb");
  void *data = NULL;
  long long bytes = bench_file_bytes(path);
  *count = 0;
  if (!file || bytes < 0) {
    fprintf(stderr, "cannot open %s: %s\n", path, strerror(errno));
    goto fail;
  }
  if (bytes == 0 || bytes % (long long)record_bytes != 0) {
    fprintf(stderr, "%s: size %lld is not a positive multiple of %zu bytes\n",
            path, bytes, record_bytes);
    goto fail;
  }
  data = malloc((size_t)bytes);
  if (!data) {
    fprintf(stderr, "%s: out of memory for %lld bytes\n", path, bytes);
    goto fail;
  }
  if (fread(data, 1, (size_t)bytes, file) != (size_t)bytes) {
    fprintf(stderr, "%s: short read\n", path);
    goto fail;
  }
  fclose(file);
  *count = (size_t)bytes / record_bytes;
  return data;
fail:
  free(data);
  if (file) fclose(file);
  return NULL;
}

/* n x 128 uint8 descriptors from $BENCH_DIR/name. */
static inline uint8_t *bench_load_u8(const char *name, size_t *count) {
  char path[BENCH_PATH_BYTES];
  return (uint8_t *)bench_load_records(bench_path(path, name), BENCH_DIM, count);
}

/* The ground truth for exactly query_count queries, or NULL after printing why. */
static inline int32_t *bench_load_groundtruth(size_t query_count) {
  char path[BENCH_PATH_BYTES];
  size_t rows = 0;
  int32_t *truth = (int32_t *)bench_load_records(bench_path(path, "gt.i32"),
                                                 BENCH_K * sizeof(int32_t), &rows);
  if (truth && rows != query_count) {
    fprintf(stderr, "%s has %zu rows but there are %zu queries: rerun groundtruth\n",
            path, rows, query_count);
    free(truth);
    return NULL;
  }
  return truth;
}

/*
** Mean over queries of |found ∩ truth| / 10.  found holds query_count rows of
** 10 base indices (-1 for "nothing returned").  Ties at the 10th distance count
** as misses when a system returns a different, equally near vector.
*/
static inline double bench_recall_at_10(const int32_t *truth, const int64_t *found,
                                        size_t query_count) {
  size_t hits = 0;
  for (size_t q = 0; q < query_count; q++) {
    for (int i = 0; i < BENCH_K; i++) {
      for (int j = 0; j < BENCH_K; j++) {
        if (found[q * BENCH_K + i] == truth[q * BENCH_K + j]) { hits++; break; }
      }
    }
  }
  return query_count ? (double)hits / (double)(query_count * BENCH_K) : 0.0;
}

static inline void bench_print_header(void) {
  printf("| system | setting | build s | size MB | recall@10 | queries/s |\n");
  printf("|---|---|---|---|---|---|\n");
}

static inline void bench_print_row(const char *system, const char *setting, double build_seconds,
                                   double size_mb, double recall, double queries_per_second) {
  char cell[4][32];
  double value[4] = {build_seconds, size_mb, recall, queries_per_second};
  const char *format[4] = {"%.1f", "%.1f", "%.3f", "%.0f"};
  for (int i = 0; i < 4; i++) {
    if (value[i] < 0) snprintf(cell[i], sizeof cell[i], "-");
    else if (i == 3 && value[i] < 100) snprintf(cell[i], sizeof cell[i], "%.2f", value[i]);
    else snprintf(cell[i], sizeof cell[i], format[i], value[i]);
  }
  printf("| %s | %s | %s | %s | %s | %s |\n", system, setting, cell[0], cell[1], cell[2], cell[3]);
  fflush(stdout);
}

#endif /* BENCH_COMMON_H */
