#!/bin/sh
# tests/fuzz/run.sh — build the libFuzzer targets and run each for a while.
#
#   sh tests/fuzz/run.sh [SECONDS [TARGET...]]   (default 10 s, all targets)
#
# Targets (clang -fsanitize=fuzzer,address,undefined; the extension's
# sources compiled with -DSQLITE_CORE and linked in):
#   fuzz_image      image bytes -> probe, decode with limits, SIFT, sift blob
#   fuzz_webp, fuzz_tiff, fuzz_heif, fuzz_jxl
#                   WebP / TIFF / HEIF+AVIF / JPEG XL bytes -> probe, decode to
#                   grey and RGB with limits (image_webp.c, image_tiff.c,
#                   image_heif.c, image_jxl.c through image.c; the body is
#                   fuzz_codec.h)
#   fuzz_sift_blob  bytes -> sift blob / codebook / PCA parsers, VLAD, match
#   fuzz_vector     vector JSON/BLOB parsers for each type; vec_* functions
#   fuzz_create     CREATE VIRTUAL TABLE x USING annoy(<input>), then use it
#   fuzz_shadow     edits of an annoy table's shadow tables, then queries
#   fuzz_wordindex  edits of a wordindex table's shadow tables, then
#                   searches, writes, 'optimize' (its templates' words
#                   blobs come from images it makes itself at start-up)
#
# Seeds: every image in samples/ (for the codecs, tests/data/formats/ and
# the 8x8 images and hand-written TIFF of tests/fuzz/seeds_codec/; the
# Orientation 6 JPEG there seeds fuzz_image), plus tiny PNG, GIF, TGA, BMP and PGM
# images and a JPEG bomb header (fast to run); for fuzz_sift_blob, sift
# blobs, a codebook, a PCA model, a vocabulary and words blobs made from
# the samples (these extra seeds are written with the built extension
# through the sqlite3 shell, skipped if either is missing); for fuzz_vector, vectors of each type;
# for fuzz_create, argument lists; for fuzz_shadow and fuzz_wordindex, a few
# edit lists.
# Working corpora and crash files go to build/fuzz/ (or $FUZZ_OUT).  Where
# there is a committed corpus, tests/fuzz/corpus_TARGET.tar.gz, it is
# unpacked into the working corpus first, so a count gathered over several
# sessions does not start again from the seeds each time; it is a working
# corpus minimized with libFuzzer's -merge=1 (docs/RELIABILITY.md says
# how).  Exit status 1 if a target found a crash.
#
# A long run (docs/RELIABILITY.md): SECONDS 0 and a count of executions,
#   FUZZ_RUNS=10000000 nice -n 10 sh tests/fuzz/run.sh 0 shadow
#
# Each run adds a line to tests/fuzz/ledger (or $FUZZ_LEDGER): date,
# target, a hash of the code it fuzzed (ext/, the target's source (with
# fuzz_codec.h for the codec targets) and the coverage ignore list),
# executions, 1 if it found a crash.  The ledger is
# committed, so 10M executions of a slow target can be gathered over
# several sessions and machines; this sums them for the code checked out
# now (a change to that code starts a new count):
#   sh tests/fuzz/run.sh ledger
#
# tests/fuzz/coverage_ignore.txt names the fixed-length arithmetic kernels
# that are built without libFuzzer's coverage tracing (they keep ASan and
# UBSan); the file says why.
#
# Environment: CC_FUZZ, CXX_FUZZ (default clang, clang++), FUZZ_OUT,
# FUZZ_LEDGER, FUZZ_RUNS (stop after this many inputs; default: no limit).
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${FUZZ_OUT:-$ROOT/build/fuzz}
LEDGER=${FUZZ_LEDGER:-$ROOT/tests/fuzz/ledger}
IGNORE=$ROOT/tests/fuzz/coverage_ignore.txt

# What a count of executions is a count for: the bytes of ext/, of the
# target's own files and of the ignore list, so a change anywhere in them
# starts a new count.
code_hash(){
  { find "$ROOT/ext" -type f | LC_ALL=C sort | xargs cat
    cat "$ROOT/tests/fuzz/fuzz_$1.c" "$ROOT/tests/fuzz/fuzz_sql.h" "$IGNORE"
    case $1 in webp|tiff|heif|jxl) cat "$ROOT/tests/fuzz/fuzz_codec.h";; esac; } \
    | sha256sum | cut -c1-12
}

if [ "${1:-}" = ledger ]; then
  [ -f "$LEDGER" ] || { echo "no runs recorded in $LEDGER"; exit 0; }
  for t in image sift_blob vector create shadow wordindex webp tiff heif jxl; do
    awk -v t="fuzz_$t" -v code="$(code_hash "$t")" '
      $2==t && $3==code { runs += $4; crashes += $5; n++ }
      END { printf "%-15s %s %12d executions in %d runs, %d with a crash\n",
                   t, code, runs, n, crashes }' "$LEDGER"
  done
  exit 0
fi

SECONDS_EACH=${1:-10}
[ $# -gt 0 ] && shift
TARGETS=${*:-image sift_blob vector create shadow wordindex webp tiff heif jxl}
CC=${CC_FUZZ:-clang}
CXX=${CXX_FUZZ:-clang++}
SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
CFLAGS="-std=c11 -D_GNU_SOURCE -DSQLITE_CORE -O1 -g -Wall -Wextra -I$ROOT/ext $SAN"
CXXFLAGS="-std=c++17 -DSQLITE_CORE -O1 -g -Wall -Wextra -I$ROOT/ext -I/usr/include/opencv4 $SAN"
LIBS="-lsqlite3 -lopencv_calib3d -lopencv_features2d -lopencv_imgproc -lopencv_core -lwebp -ltiff -lheif -ljxl -lm"

mkdir -p "$OUT/obj"
O=$OUT/obj
EXT_OBJ=""
for src in "$ROOT"/ext/*.c "$ROOT"/ext/*/*.c; do
  f=$(basename "$src" .c)
  $CC $CFLAGS -fsanitize=fuzzer-no-link -fsanitize-coverage-ignorelist="$IGNORE" \
    -c "$src" -o "$O/$f.o"
  EXT_OBJ="$EXT_OBJ $O/$f.o"
done
for src in "$ROOT"/ext/*/*.cpp; do
  f=$(basename "$src" .cpp)
  $CXX $CXXFLAGS -fsanitize=fuzzer-no-link -c "$src" -o "$O/$f.o"
  EXT_OBJ="$EXT_OBJ $O/$f.o"
done
for t in $TARGETS; do
  $CC $CFLAGS -fsanitize=fuzzer-no-link -c "$ROOT/tests/fuzz/fuzz_$t.c" -o "$O/fuzz_$t.o"
  # linked to a new name and renamed, so a run of the old binary goes on
  $CXX -fsanitize=fuzzer $SAN -o "$OUT/fuzz_$t.new" "$O/fuzz_$t.o" $EXT_OBJ $LIBS
  mv "$OUT/fuzz_$t.new" "$OUT/fuzz_$t"
done

# Seeds.
for t in image sift_blob vector create shadow wordindex webp tiff heif jxl; do
  mkdir -p "$OUT/seeds_$t" "$OUT/corpus_$t"
  kept=$ROOT/tests/fuzz/corpus_$t.tar.gz
  if [ -f "$kept" ]; then tar -xzf "$kept" -C "$OUT/corpus_$t"; fi
done
cp "$ROOT"/samples/*.png "$ROOT"/samples/*.jpg "$OUT/seeds_image/"
for F in "$ROOT/tests/data/formats" "$ROOT/tests/fuzz/seeds_codec"; do
  cp "$F"/*.webp "$OUT/seeds_webp/"
  cp "$F"/*.tif "$OUT/seeds_tiff/"
  cp "$F"/*.heic "$F"/*.avif "$OUT/seeds_heif/"
  cp "$F"/*.jxl "$OUT/seeds_jxl/"
  cp "$F"/*.jpg "$OUT/seeds_image/"
done
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
    "CREATE TABLE v AS SELECT img_vocab_train(s, 1) AS v FROM s" \
    "SELECT writefile('$OUT/seeds_sift_blob/d1.vocab', v) FROM v" \
    "SELECT writefile('$OUT/seeds_sift_blob/'||name||'.words', img_words(s, v, name='box')) FROM s, v" \
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

# fuzz_vector: byte 0 type (0 float32, 1 uint8, 2 bit), byte 1 dimension
# (index into 1 2 3 4 7 8 16 128), byte 2 metric, then the vector.
V=$OUT/seeds_vector
printf '\000\003\000[0.5, 1, -2e3, 4]' > "$V/f32_json"
printf '\000\003\001\000\000\200\077\000\000\000\300\000\000\000\000\000\000\040\101' > "$V/f32_blob"
printf '\001\005\004[0,1,2,3,4,5,6,255]' > "$V/u8_json"
printf '\002\006\005[1,0,1,1,0,0,0,1,0,1,0,0,1,1,1,1]' > "$V/bit_json"
printf '\002\005\005\245' > "$V/bit_blob"
printf '\000\000\002[ 1e-45 , -0.0,3.4028234e38 ,1E+2]' > "$V/f32_edge"
# fuzz_create: the text inside annoy(...).
C=$OUT/seeds_create
printf 'v float32[4]' > "$C/plain"
printf 'v float32[3], metric=angular, trees=2, leaf_size=2, seed=7' > "$C/angular"
printf 'emb uint8[16], metric=manhattan, trees=1, search_k=50' > "$C/uint8"
printf 'v bit[64], metric=hamming, leaf_size=3' > "$C/bit"
printf 'v float32[2], metric=dot, trees=5, leaf_size="4"' > "$C/dot"
# fuzz_shadow: byte 0 table (0 f, 1 a, 2 u, 3 b, 4 d: deep trees, 5 m: metadata); then
# 8-byte edits: edit (0 int, 1 byte, 2 resize, 3 delete, 4 copy, 5 text, 6 query), shadow
# (0 info, 1 rowids, 2 vectors, 3 free, 4 nodes, 5 metadata, 6 auxiliary), row, column, value.
S=$OUT/seeds_shadow
printf '\000' > "$S/none"
printf '\004' > "$S/deep"
printf '\004\003\004\003\000\000\000\000\000' > "$S/deep_delete_node"
printf '\000\003\004\002\000\000\000\000\000' > "$S/delete_node"
printf '\001\001\004\001\007\377\000\000\000' > "$S/node_byte"
printf '\002\002\002\005\000\003\000\000\000' > "$S/short_vector"
printf '\003\000\001\003\001\011\000\000\000\006\000\000\000\000\000\000\000' > "$S/slot_then_query"
printf '\000\000\000\007\000\377\377\377\177\004\003\000\000\001\000\000\000' > "$S/info_and_free"
printf '\005' > "$S/metadata"
printf '\005\000\005\003\001\002\000\000\000' > "$S/metadata_slot"
printf '\005\003\005\004\000\000\000\000\000\000\006\001\001\000\000\000\000' > "$S/metadata_gone_row"
# fuzz_wordindex: byte 0 template (% 3: 0 batch, 1 levels, 2 optimized) and
# query image (/ 3 % 6; 5 is a mirror image); then 8-byte edits: edit (0 int,
# 1 byte, 2 u32, 3 resize, 4 delete, 5 copy, 6 text, 7 query), shadow (0 info,
# 1 docs, 2 segments, 3 postings, 4 counts), row, column or offset, value.
W=$OUT/seeds_wordindex
printf '\000' > "$W/batch"
printf '\001' > "$W/levels"
printf '\002' > "$W/optimized"
printf '\021' > "$W/optimized_mirror_image"
printf '\000\004\001\000\000\000\000\000\000' > "$W/delete_doc"
printf '\001\001\003\005\004\007\000\000\000' > "$W/posting_byte"
printf '\001\002\003\002\000\011\000\000\000' > "$W/posting_rowid"
printf '\000\003\004\000\000\000\004\000\000' > "$W/counts_short"
printf '\001\000\002\000\001\100\000\000\000' > "$W/segment_level"
printf '\002\000\000\000\000\000\000\000\000' > "$W/docs_zero"
printf '\001\005\003\001\001\001\000\000\000\007\000\000\000\000\000\000\000' > "$W/copy_then_query"
printf '\000\006\001\002\001\000\000\000\000' > "$W/docs_text"

# Leaks inside third-party libraries that our code cannot free (each
# named and dated in the file) are not findings.
export LSAN_OPTIONS="suppressions=$ROOT/tests/fuzz/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"

status=0
for t in $TARGETS; do
  echo "== fuzz_$t: $SECONDS_EACH s${FUZZ_RUNS:+, $FUZZ_RUNS runs}"
  log=$OUT/fuzz_$t-$$.log
  # exit 72: stopped by SIGINT (libFuzzer prints its counts first): no finding
  rc=0
  "$OUT/fuzz_$t" -max_total_time="$SECONDS_EACH" -runs="${FUZZ_RUNS:--1}" \
       -timeout=30 -rss_limit_mb=4096 -interrupted_exit_code=72 \
       -print_final_stats=1 -artifact_prefix="$OUT/crash_$t-" \
       "$OUT/corpus_$t" "$OUT/seeds_$t" >"$log" 2>&1 || rc=$?
  if [ $rc -eq 0 ] || [ $rc -eq 72 ]; then
    crashed=0
    [ $rc -eq 0 ] || echo "fuzz_$t interrupted"
    grep -E "^Done|stat::number_of_executed_units|stat::peak_rss" "$log" || true
  else
    crashed=1
    status=1
    echo "fuzz_$t FAILED (exit $rc); see $log and $OUT/crash_$t-*"
    tail -40 "$log"
  fi
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) fuzz_$t $(code_hash "$t") ${runs:-0} $crashed" >>"$LEDGER"
done
exit $status
