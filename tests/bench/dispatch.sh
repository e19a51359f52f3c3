#!/bin/sh
# dispatch.sh — a database indexed on one kind of x86 processor, queried on
# another: does it answer as well?
#
#   sh tests/bench/dispatch.sh            (needs AVX-512 and ../shared/data)
#
# OpenCV chooses its SIMD code when it starts (AVX-512 where the processor
# has it, else AVX2, ...), and its SIFT gives slightly different descriptors
# on each path.  OPENCV_CPU_DISABLE=AVX512-SKX makes an AVX-512 machine take
# the AVX2 path, as a machine without AVX-512 would.  This indexes UKBench
# (500 images, 125 objects x 4 views) once on each path, then searches every
# image with the `imgsearch` tool: on the path that indexed it, and on the
# other.  Prints how many sift blobs differ (and by how many bytes), the N-S
# score (mean number of the query's 4 group members in its top 4, itself
# included; max 4.0) and how many top-4 lists change.
#
# Environment: DATA=dir (default ../shared/data next to the repo),
# B=build directory (default build).  Work files: $B/bench/dispatch/.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DATA=${DATA:-$ROOT/../shared/data}
B=${B:-build}
cd "$ROOT"
if [ ! -d "$DATA/ukbench" ]; then
  echo "dispatch.sh: skipped: no $DATA/ukbench"; exit 0
fi
if ! grep -qw avx512f /proc/cpuinfo; then
  echo "dispatch.sh: skipped: this processor has no AVX-512"; exit 0
fi
make -s B="$B" "$B/imgsearch"
W=$B/bench/dispatch
rm -rf "$W" && mkdir -p "$W"
AVX2=AVX512-SKX                       # what OPENCV_CPU_DISABLE turns off
N=$(find "$DATA/ukbench" -name "*.jpg" | wc -l)    # images, and queries

index(){   # index(DB, DISABLE)
  OPENCV_CPU_DISABLE=$2 "$B/imgsearch" index "$1" "$DATA/ukbench" -q
}
# search(DB, DISABLE, OUT): every UKBench image, top 4, on path DISABLE.
search(){
  OPENCV_CPU_DISABLE=$2 "$B/imgsearch" search "$1" "$DATA"/ukbench/*.jpg \
      -k 4 --format csv | sed 1d | cut -d, -f1-3 > "$3"
}
ns(){      # ns(CSV): N-S of the results in CSV
  awk -F, '{
      q = $1; sub(/.*ukbench/, "", q); r = $3; sub(/.*ukbench/, "", r)
      if (int(q / 4) == int(r / 4)) hit++
      if (!(q in seen)) { seen[q] = 1; n++ }
    } END { printf "%.3f", hit / n }' "$1"
}
# changed(A, B): queries whose top-4 lists (in order) differ
changed(){
  diff "$1" "$2" | sed -n 's/^[<>] \([^,]*\),.*/\1/p' | sort -u | wc -l
}

index "$W/avx512.db" ""
index "$W/avx2.db" "$AVX2"
# The blobs that differ, written out in pairs to count their differing bytes.
mkdir "$W/blobs"
sqlite3 "$W/avx512.db" "ATTACH '$W/avx2.db' AS o;
  SELECT writefile('$W/blobs/' || a.id || '.512', fa.sift),
         writefile('$W/blobs/' || a.id || '.2', fb.sift)
    FROM images a JOIN features fa ON fa.image_id = a.id
    JOIN o.images b ON b.path = a.path JOIN o.features fb ON fb.image_id = b.id
   WHERE fa.sift IS NOT fb.sift;" > /dev/null
differ=0 bytes=""
for f in "$W"/blobs/*.512; do
  [ -e "$f" ] || break
  differ=$((differ + 1))
  bytes="$bytes $(cmp -l "$f" "${f%.512}.2" | wc -l)"
done
echo "sift blobs that differ between the two paths: $differ of $N;" \
  "bytes that differ in each:$bytes"
echo
search "$W/avx512.db" "" "$W/512-512.csv"
search "$W/avx512.db" "$AVX2" "$W/512-2.csv"
search "$W/avx2.db" "$AVX2" "$W/2-2.csv"
search "$W/avx2.db" "" "$W/2-512.csv"
echo "| indexed on | queried on | N-S | top-4 lists not as on the indexing path |"
echo "|---|---|---|---|"
echo "| AVX-512 | AVX-512 | $(ns "$W/512-512.csv") | – |"
echo "| AVX-512 | AVX2 | $(ns "$W/512-2.csv") | $(changed "$W/512-512.csv" "$W/512-2.csv") of $N |"
echo "| AVX2 | AVX2 | $(ns "$W/2-2.csv") | – |"
echo "| AVX2 | AVX-512 | $(ns "$W/2-512.csv") | $(changed "$W/2-2.csv" "$W/2-512.csv") of $N |"
echo
echo "top-4 lists that differ between the two databases, each queried on its" \
  "own path: $(changed "$W/512-512.csv" "$W/2-2.csv") of $N"
echo
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(date -u +%Y-%m-%d)"
