/*
** peer_hnswlib.cpp — hnswlib as a benchmark peer: one graph index, one thread.
**
** Uses Debian's libhnswlib-dev (header-only, <hnswlib/hnswlib.h>), L2 space over
** float32 copies of the uint8 descriptors, M=16, efConstruction=200, seed 100.
** Build and every query run on one thread, queries one at a time, so the
** numbers compare with the single-threaded annoy vtab.
**
** Reads $BENCH_DIR/base.u8, query.u8, gt.i32 (see bench_common.h).  Prints one
** markdown row per ef in {16,32,64,128,256}.
**
** Cache: building 1.5M vectors takes ~11 minutes, so the index is saved to
** $BENCH_DIR/hnsw_M16_efc200.bin and reused while it is newer than base.u8 and
** holds as many vectors.  The side file hnsw_M16_efc200.build records
** "<build seconds> <vector count>" from the run that built it; that recorded time
** is what a cached run reports.  Delete both files to rebuild.
**
** Build: c++ -O3 -march=native tests/bench/peer_hnswlib.cpp -o build/bench/peer_hnswlib
*/
#include <hnswlib/hnswlib.h>

#include <exception>
#include <vector>

#include "bench_common.h"

static const size_t kGraphDegree = 16;       /* M */
static const size_t kConstructionEf = 200;   /* efConstruction */
static const size_t kRandomSeed = 100;
static const size_t kSearchEf[] = {16, 32, 64, 128, 256};

static void widen(const uint8_t *from, float *to) {
  for (int i = 0; i < BENCH_DIM; i++) to[i] = (float)from[i];
}

/* Recorded build seconds if the cache matches this base, else a negative number. */
static double cached_build_seconds(const char *index_path, const char *side_path,
                                   const char *base_path, size_t base_count) {
  struct stat index_info, base_info;
  double seconds = -1;
  unsigned long long count = 0;
  if (stat(index_path, &index_info) != 0 || stat(base_path, &base_info) != 0) return -1;
  if (index_info.st_mtime < base_info.st_mtime) {
    fprintf(stderr, "hnswlib: %s is older than %s; rebuilding\n", index_path, base_path);
    return -1;
  }
  FILE *side = fopen(side_path, "r");
  if (!side) return -1;
  int fields = fscanf(side, "%lf %llu", &seconds, &count);
  fclose(side);
  if (fields != 2 || seconds < 0 || count != base_count) {
    fprintf(stderr, "hnswlib: %s does not match this base; rebuilding\n", side_path);
    return -1;
  }
  return seconds;
}

static int run(void) {
  size_t base_count = 0, query_count = 0;
  uint8_t *base = bench_load_u8("base.u8", &base_count);
  uint8_t *queries = bench_load_u8("query.u8", &query_count);
  int32_t *truth = queries ? bench_load_groundtruth(query_count) : NULL;
  if (!base || !queries || !truth) {
    free(base); free(queries); free(truth);
    return 1;
  }

  char base_path[BENCH_PATH_BYTES], index_path[BENCH_PATH_BYTES], side_path[BENCH_PATH_BYTES];
  bench_path(base_path, "base.u8");
  bench_path(index_path, "hnsw_M16_efc200.bin");
  bench_path(side_path, "hnsw_M16_efc200.build");

  hnswlib::L2Space space(BENCH_DIM);
  hnswlib::HierarchicalNSW<float> *index = NULL;
  std::vector<float> vector(BENCH_DIM);

  double build_seconds = cached_build_seconds(index_path, side_path, base_path, base_count);
  if (build_seconds >= 0) {
    index = new hnswlib::HierarchicalNSW<float>(&space, index_path);
    if (index->cur_element_count != base_count) {
      fprintf(stderr, "hnswlib: %s holds %zu vectors, base has %zu; rebuilding\n",
              index_path, (size_t)index->cur_element_count, base_count);
      delete index;
      index = NULL;
      build_seconds = -1;
    } else {
      fprintf(stderr, "hnswlib: loaded %s (built in %.1f s)\n", index_path, build_seconds);
    }
  }
  if (!index) {
    fprintf(stderr, "hnswlib: building M=%zu efC=%zu over %zu vectors, one thread...\n",
            kGraphDegree, kConstructionEf, base_count);
    double start = bench_now();
    index = new hnswlib::HierarchicalNSW<float>(&space, base_count, kGraphDegree,
                                                kConstructionEf, kRandomSeed);
    for (size_t i = 0; i < base_count; i++) {
      widen(base + i * BENCH_DIM, vector.data());
      index->addPoint(vector.data(), (hnswlib::labeltype)i);
      if ((i + 1) % 250000 == 0) {
        fprintf(stderr, "hnswlib:   %zu vectors, %.0f s\n", i + 1, bench_now() - start);
      }
    }
    build_seconds = bench_now() - start;
    /* Save beside the target and rename, so a killed run leaves no half cache. */
    std::string temporary = std::string(index_path) + ".tmp";
    try {
      index->saveIndex(temporary);
      FILE *side = fopen(side_path, "w");
      if (!side || fprintf(side, "%.3f %zu\n", build_seconds, base_count) < 0 ||
          fclose(side) != 0 || rename(temporary.c_str(), index_path) != 0) {
        fprintf(stderr, "hnswlib: cannot save the cache %s: %s\n", index_path, strerror(errno));
      }
    } catch (const std::exception &error) {
      fprintf(stderr, "hnswlib: cannot save the cache %s: %s\n", index_path, error.what());
    }
  }
  free(base);
  double size_mb = (double)bench_file_bytes(index_path) / 1e6;

  std::vector<int64_t> found(query_count * BENCH_K);
  char setting[64];
  for (size_t ef : kSearchEf) {
    index->setEf(ef);
    std::fill(found.begin(), found.end(), -1);
    double start = bench_now();
    for (size_t q = 0; q < query_count; q++) {
      widen(queries + q * BENCH_DIM, vector.data());
      auto nearest = index->searchKnn(vector.data(), BENCH_K);
      /* A max-heap: the farthest comes out first. */
      for (size_t slot = nearest.size(); slot-- > 0; nearest.pop()) {
        if (slot < BENCH_K) found[q * BENCH_K + slot] = (int64_t)nearest.top().second;
      }
    }
    double seconds = bench_now() - start;
    snprintf(setting, sizeof setting, "M=16 efC=200 ef=%zu", ef);
    bench_print_row("hnswlib", setting, build_seconds, size_mb,
                    bench_recall_at_10(truth, found.data(), query_count),
                    (double)query_count / seconds);
  }
  delete index;
  free(queries);
  free(truth);
  return 0;
}

int main(void) {
  try {
    return run();
  } catch (const std::exception &error) {
    /* hnswlib reports a bad or truncated index file by throwing. */
    fprintf(stderr, "hnswlib: %s (delete %s/hnsw_M16_efc200.* to rebuild)\n", error.what(),
            bench_dir());
    return 1;
  }
}
