#!/bin/sh
# run.sh — `make bench`: the annoy table against its peers on real SIFT.
#
#   sh tests/bench/run.sh                  everything (first run ~20 min)
#   TREES=32 SEARCH_K="5000 10000" sh tests/bench/run.sh annoy   only our rows
#   sh tests/bench/run.sh scale            copies at 12,666 images (scale.sh:
#                                          ~15 min of SIFT the first time)
#   sh tests/bench/run.sh filter           KNN filtered by a metadata column
#                                          (bench_filter; ~6 min)
#
# Steps: extract.sh (SIFT descriptors from ../shared/data, once), peers.sh
# (ground truth, hnswlib, sqlite-vec), bench_annoy for uint8 and float32
# tables, then quality.sh (image retrieval quality, issue 3; ~14 min the
# first time, cached after). Every program prints markdown rows; copy the tables to
# docs/BENCHMARKS.md with the date and machine.
set -eu
cd "$(dirname "$0")/../.."
TREES=${TREES:-16}
LEAF=${LEAF:-64}
SEARCH_K=${SEARCH_K:-"0 1000 2000 5000 10000 20000 -1"}
TYPES=${TYPES:-"uint8 float32"}
what=${1:-all}

if [ "$what" = scale ]; then
  [ -s build/bench/scale/copies/list.txt ] || sh tests/bench/scale.sh collect >&2
  [ -s build/bench/scale/queries.db ] || sh tests/bench/scale.sh index >&2
  make -s build/bench/scale_eval >&2
  sh tests/bench/scale.sh eval
  exit 0
fi
sh tests/bench/extract.sh >&2
if [ "$what" = filter ]; then
  [ -s build/bench/gt.i32 ] || sh tests/bench/peers.sh groundtruth >&2
  cc -O2 -Wall -Wextra -o build/bench/bench_filter tests/bench/bench_filter.c -lsqlite3
  build/bench/bench_filter build/imgsearch.so 5000 10000
  exit 0
fi
[ "$what" = annoy ] || sh tests/bench/peers.sh
cc -O2 -Wall -Wextra -o build/bench/bench_annoy tests/bench/bench_annoy.c -lsqlite3
cc -O2 -Wall -Wextra -o build/bench/bench_filter tests/bench/bench_filter.c -lsqlite3
for type in $TYPES; do
  # shellcheck disable=SC2086
  build/bench/bench_annoy build/imgsearch.so "$type" "$TREES" "$LEAF" $SEARCH_K
  echo
done
[ "$what" = annoy ] || sh tests/bench/quality.sh
[ "$what" = annoy ] || build/bench/bench_filter build/imgsearch.so 5000 10000
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(date -u +%Y-%m-%d)"
