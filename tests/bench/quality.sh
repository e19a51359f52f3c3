#!/bin/sh
# quality.sh — build and run tests/bench/bench_quality.c: retrieval quality of
# the img_* functions on the shared images (UKBench N-S, DVD covers recall@1,
# Oxford affine homography error, img_sift time, copy detection on edited
# copies of samples/*).  Prints markdown tables.
#
#   sh tests/bench/quality.sh [PARTS]     PARTS: any of 12345 (default 1234)
#
# Part 5 (copy detection) first makes the edited copies with
# tests/bench/copies.sh (needs ImageMagick; skipped without it) under
# build/bench/copies/:  sh tests/bench/quality.sh 5
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
PARTS=${1:-1234}
case $PARTS in *5*)
  if ! sh tests/bench/copies.sh; then
    echo "quality.sh: part 5 skipped: no ImageMagick" >&2
    PARTS=$(echo "$PARTS" | tr -d 5)
  fi ;;
esac
exec build/bench/bench_quality build/imgsearch.so "$DATA" build/bench/quality.db "$PARTS"
