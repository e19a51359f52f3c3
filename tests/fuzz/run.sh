#!/bin/sh
# tests/fuzz/run.sh — build the libFuzzer targets and run each for a while.
#
#   sh tests/fuzz/run.sh [SECONDS]      (default 10 seconds per target)
#
# Targets (clang -fsanitize=fuzzer,address,undefined, -DSQLITE_CORE):
#   fuzz_image      image bytes -> probe, decode with limits, SIFT, sift blob
#   fuzz_sift_blob  bytes -> sift blob / codebook / PCA parsers, VLAD, match
#
# Seeds: every image in samples/, plus tiny PNG, GIF, TGA, BMP and PGM
# images and a JPEG bomb header (fast to run); for fuzz_sift_blob, sift
# blobs, a codebook and a PCA model made from the samples.  The extra seeds
# are written with the built extension through the sqlite3 shell (skipped
# if either is missing).  Working corpora and
# crash files go to build/fuzz/.  Exit status 1 if a target found a crash.
#
# Environment: CC_FUZZ, CXX_FUZZ (default clang, clang++).
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SECONDS_EACH=${1:-10}
OUT=$ROOT/build/fuzz
CC=${CC_FUZZ:-clang}
CXX=${CXX_FUZZ:-clang++}
SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
CFLAGS="-std=c11 -D_GNU_SOURCE -DSQLITE_CORE -O1 -g -Wall -Wextra -I$ROOT/ext $SAN"
CXXFLAGS="-std=c++17 -DSQLITE_CORE -O1 -g -Wall -Wextra -I$ROOT/ext -I/usr/include/opencv4 $SAN"
LIBS="-lsqlite3 -lopencv_calib3d -lopencv_features2d -lopencv_imgproc -lopencv_core -lm"

mkdir -p "$OUT/obj"
for f in image sift_blob sample vlad pca match; do
  $CC $CFLAGS -fsanitize=fuzzer-no-link -c "$ROOT/ext/$f.c" -o "$OUT/obj/$f.o"
done
$CXX $CXXFLAGS -fsanitize=fuzzer-no-link -c "$ROOT/ext/sift_cv.cpp" -o "$OUT/obj/sift_cv.o"
for t in fuzz_image fuzz_sift_blob; do
  $CC $CFLAGS -fsanitize=fuzzer-no-link -c "$ROOT/tests/fuzz/$t.c" -o "$OUT/obj/$t.o"
done
O=$OUT/obj
$CXX -fsanitize=fuzzer $SAN -o "$OUT/fuzz_image" "$O/fuzz_image.o" "$O/image.o" \
  "$O/sift_blob.o" "$O/sift_cv.o" $LIBS
$CXX -fsanitize=fuzzer $SAN -o "$OUT/fuzz_sift_blob" "$O/fuzz_sift_blob.o" \
  "$O/sift_blob.o" "$O/sample.o" "$O/vlad.o" "$O/pca.o" "$O/match.o" \
  "$O/sift_cv.o" $LIBS

# Seeds.
mkdir -p "$OUT/seeds_image" "$OUT/seeds_sift_blob" "$OUT/corpus_image" "$OUT/corpus_sift_blob"
cp "$ROOT"/samples/*.png "$ROOT"/samples/*.jpg "$OUT/seeds_image/"
if command -v sqlite3 >/dev/null 2>&1 && [ -f "$ROOT/build/imgsearch.so" ]; then
  (cd "$ROOT" && sqlite3 :memory: \
    ".load build/imgsearch" \
    "CREATE TABLE s AS SELECT name, img_sift(readfile('samples/'||name), 60) AS s FROM
       (SELECT 'box.png' AS name UNION ALL SELECT 'coins.png' UNION ALL SELECT 'home.jpg')" \
    "SELECT writefile('$OUT/seeds_sift_blob/'||name||'.sift', s) FROM s" \
    "SELECT writefile('$OUT/seeds_sift_blob/empty.sift', img_sift(X'89504E470D0A1A0A0000000D49484452000000010000000108000000003A7E9B550000000A49444154789C636800000082008177CD72B60000000049454E44AE426082'))" \
    "CREATE TABLE c AS SELECT img_codebook_train(s, 4) AS c FROM s" \
    "SELECT writefile('$OUT/seeds_sift_blob/k4.codebook', c) FROM c" \
    "SELECT writefile('$OUT/seeds_sift_blob/d2.pca', img_pca_train(img_vlad(s, c), 2)) FROM s, c" \
    "SELECT writefile('$OUT/seeds_image/one.png', X'89504E470D0A1A0A0000000D49484452000000010000000108000000003A7E9B550000000A49444154789C636800000082008177CD72B60000000049454E44AE426082')" \
    "SELECT writefile('$OUT/seeds_image/one.gif', X'47494638396101000100800000FFFFFF00000021F90401000000002C00000000010001000002024401003B')" \
    "SELECT writefile('$OUT/seeds_image/two.tga', X'0000030000000000000000000200020008000AC81E5A')" \
    "SELECT writefile('$OUT/seeds_image/two.bmp', X'424D460000000000000036000000280000000200000002000000010018000000000010000000130B0000130B00000000000000000000000000FFFFFF0000000000FFFFFF0000')" \
    "SELECT writefile('$OUT/seeds_image/bomb.jpg', X'FFD8FFC0000B08FFFFFFFF01011100FFD9')" \
    "SELECT writefile('$OUT/seeds_image/discs.pgm', CAST('P5 32 32 127' || char(10) ||
       (WITH RECURSIVE p(i, s) AS (SELECT 0, '' UNION ALL SELECT i+1, s || char(20 +
          90*(((i%32)-12)*((i%32)-12) + ((i/32)-12)*((i/32)-12) < 30) +
          60*((i%32) >= 18 AND (i/32) >= 18 AND (i/32) < 28)) FROM p WHERE i < 1024)
        SELECT s FROM p WHERE i = 1024) AS BLOB))" \
    >/dev/null)
else
  echo "run.sh: no sqlite3 shell or build/imgsearch.so: fuzz_sift_blob starts without seeds"
fi

status=0
for t in image sift_blob; do
  echo "== fuzz_$t: $SECONDS_EACH s"
  log=$OUT/fuzz_$t.log
  if "$OUT/fuzz_$t" -max_total_time="$SECONDS_EACH" -timeout=30 -rss_limit_mb=4096 \
       -print_final_stats=1 -artifact_prefix="$OUT/crash_$t-" \
       "$OUT/corpus_$t" "$OUT/seeds_$t" >"$log" 2>&1; then
    grep -E "^Done|stat::number_of_executed_units|stat::peak_rss" "$log" || true
  else
    status=1
    echo "fuzz_$t FAILED; see $log and $OUT/crash_$t-*"
    tail -40 "$log"
  fi
done
exit $status
