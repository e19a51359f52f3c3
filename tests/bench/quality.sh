#!/bin/sh
# quality.sh — build and run tests/bench/bench_quality.c: retrieval quality of
# the img_* functions on the shared images (UKBench N-S, DVD covers recall@1,
# Oxford affine homography error, img_sift time, copy detection on edited
# copies of samples/*).  Prints markdown tables.
#
#   sh tests/bench/quality.sh [PARTS]     PARTS: any of 123456 (default 1234)
#
# Part 6 is tests/bench/bench_overhead.cpp (img_sift against OpenCV called
# directly, 100 UKBench + 100 DVD phone photos; OVERHEAD_N=n per set).
#
# Part 5 (copy detection) first makes the edited copies with
# tests/bench/copies.sh (needs ImageMagick; skipped without it) under
# build/bench/copies/:  sh tests/bench/quality.sh 5
#
# Environment: DATA=dir (default ../shared/data next to the repo),
# THREADS=n img_match worker threads (default 2), CC, B=build directory
# (default build; the extension is $B/imgsearch.so).
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
B=${B:-build}
make -s B="$B" "$B/imgsearch.so"
mkdir -p build/bench "$B/bench"
$CC -O2 -Wall -Wextra -o "$B/bench/bench_quality" tests/bench/bench_quality.c -lsqlite3 -lpthread -lm
PARTS=${1:-1234}
case $PARTS in *6*)
  make -s B="$B" "$B/bench/bench_overhead"
  "$B/bench/bench_overhead" "$B/imgsearch.so" "$DATA" "${OVERHEAD_N:-100}"
  PARTS=$(echo "$PARTS" | tr -d 6) ;;
esac
[ -n "$PARTS" ] || exit 0
case $PARTS in *5*)
  if ! sh tests/bench/copies.sh; then
    echo "quality.sh: part 5 skipped: no ImageMagick" >&2
    PARTS=$(echo "$PARTS" | tr -d 5)
  fi ;;
esac
exec "$B/bench/bench_quality" "$B/imgsearch.so" "$DATA" build/bench/quality.db "$PARTS"
