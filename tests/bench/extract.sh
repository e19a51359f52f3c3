#!/bin/sh
# extract.sh — build tests/bench/sift_dump and extract the benchmark vectors.
#
#   sh tests/bench/extract.sh          (from anywhere; paths are repo-relative)
#
# Writes (raw uint8, 128 bytes per descriptor, no header):
#   build/bench/base.u8   every SIFT descriptor of ukbench/*,
#                         dvd_covers/reference/*, dvd_covers/canon/*,
#                         oxford_affine/*/img*  (in that order, each sorted)
#   build/bench/query.u8  1000 descriptors drawn with splitmix64 (seed 1)
#                         from dvd_covers/droid/* — photos not in the base
#
# Images go through the product's own path: image_decode_grey() (at native
# size by default, MAX_SIDE=n to shrink) and sift_extract() with no feature
# cap. Native size is what gives >= 1M base descriptors from these folders.
#
# Environment:
#   DATA=dir    image folders (default: ../shared/data next to the repo)
#   FORCE=1     re-extract even if the outputs exist
#   THREADS=n   worker threads (default 2); output does not depend on it
#   CC, CXX     compilers (default cc, c++)
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DATA=${DATA:-$ROOT/../shared/data}
OUT=$ROOT/build/bench
CC=${CC:-cc}
CXX=${CXX:-c++}
THREADS=${THREADS:-2}
MAX_SIDE=${MAX_SIDE:-0}   # native size: the phone photos are <= 1280 px already
FORCE=${FORCE:-0}
SEED=1
QUERY_COUNT=1000

if [ ! -d "$DATA/ukbench" ]; then
  echo "extract.sh: no image data in $DATA (set DATA=...; see docs/BENCHMARKS.md)" >&2
  exit 1
fi

if [ "$FORCE" != 1 ] && [ -s "$OUT/base.u8" ] && [ -s "$OUT/query.u8" ]; then
  echo "extract.sh: $OUT/base.u8 and query.u8 exist (FORCE=1 to redo)"
  for f in base query; do
    n=$(( $(wc -c < "$OUT/$f.u8") / 128 ))
    echo "  $f.u8: $n descriptors"
  done
  exit 0
fi

mkdir -p "$OUT/obj"
FLAGS="-O2 -g -fPIC -ffp-contract=off -Wall -Wextra -DSQLITE_CORE -I$ROOT/ext"
echo "extract.sh: building $OUT/sift_dump"
for f in image image_webp image_tiff image_heif image_jxl; do
  $CC -std=c11 -D_GNU_SOURCE $FLAGS -c "$ROOT/ext/image/$f.c" -o "$OUT/obj/$f.o"
done
$CC  -std=c11 -D_GNU_SOURCE $FLAGS -c "$ROOT/ext/error.c" -o "$OUT/obj/error.o"
$CXX -std=c++17 $FLAGS -I/usr/include/opencv4 \
     -c "$ROOT/ext/image/sift_cv.cpp" -o "$OUT/obj/sift_cv.o"
$CC  -std=c11 -D_GNU_SOURCE $FLAGS -pthread \
     -c "$ROOT/tests/bench/sift_dump.c" -o "$OUT/obj/sift_dump.o"
$CXX -pthread -o "$OUT/sift_dump" "$OUT/obj/sift_dump.o" "$OUT/obj/image.o" \
     "$OUT/obj/image_webp.o" "$OUT/obj/image_tiff.o" "$OUT/obj/image_heif.o" "$OUT/obj/image_jxl.o" \
     "$OUT/obj/sift_cv.o" "$OUT/obj/error.o" -lopencv_calib3d -lopencv_features2d -lopencv_imgproc -lopencv_core \
     -lwebp -ltiff -lheif -ljxl -lsqlite3 -lm

# Sorted lists, C collation so every machine agrees on the order.
list_images() {
  for pattern in "$@"; do
    # shellcheck disable=SC2086  # the pattern is meant to glob
    for f in $pattern; do
      [ -f "$f" ] && printf '%s\n' "$f"
    done | LC_ALL=C sort
  done
}
list_images "$DATA/ukbench/*" "$DATA/dvd_covers/reference/*" \
            "$DATA/dvd_covers/canon/*" "$DATA/oxford_affine/*/img*" \
            > "$OUT/base.list"
list_images "$DATA/dvd_covers/droid/*" > "$OUT/query.list"
echo "extract.sh: $(wc -l < "$OUT/base.list") base images," \
     "$(wc -l < "$OUT/query.list") query images"

echo
"$OUT/sift_dump" -j "$THREADS" -s "$MAX_SIDE" -o "$OUT/base.u8" -l "$OUT/base.list"
echo
"$OUT/sift_dump" -j "$THREADS" -s "$MAX_SIDE" -n "$QUERY_COUNT" -S "$SEED" \
    -o "$OUT/query.u8" -l "$OUT/query.list"
echo
for f in base query; do
  n=$(( $(wc -c < "$OUT/$f.u8") / 128 ))
  echo "extract.sh: $OUT/$f.u8: $n descriptors"
done
