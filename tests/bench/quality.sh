#!/bin/sh
# quality.sh — build and run tests/bench/bench_quality.c: retrieval quality of
# the img_* functions on the shared images (UKBench N-S, DVD covers recall@1,
# Oxford affine homography error, img_sift time).  Prints markdown tables.
#
#   sh tests/bench/quality.sh [PARTS]     PARTS: any of 1234 (default all)
#
# Environment: DATA=dir (default ../shared/data next to the repo),
# THREADS=n img_match worker threads (default 2), CC.
# Sift blobs and img_match results are cached in build/bench/quality.db
# (delete it to re-extract; extraction is one thread, ~5 min).
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DATA=${DATA:-$ROOT/../shared/data}
CC=${CC:-cc}
if [ ! -d "$DATA/ukbench" ] || [ ! -d "$DATA/dvd_covers" ] || [ ! -d "$DATA/oxford_affine" ]; then
  echo "quality.sh: skipped: no image data in $DATA (set DATA=...)"
  exit 0
fi
cd "$ROOT"
make -s build/imgsearch.so
mkdir -p build/bench
$CC -O2 -Wall -Wextra -o build/bench/bench_quality tests/bench/bench_quality.c -lsqlite3 -lpthread -lm
exec build/bench/bench_quality build/imgsearch.so "$DATA" build/bench/quality.db "${1:-1234}"
