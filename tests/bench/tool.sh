#!/bin/sh
# tool.sh — speed and scale of the imgsearch tool (issue 4), printed as
# markdown tables for docs/BENCHMARKS.md.  Nothing it writes is committed
# (build/bench/tool/, build/bench/tool10k/).  Run in this order:
#
#   sh tests/bench/tool.sh index     100 UKBench images, then ukbench +
#                                    dvd_covers (802), each into a new db
#   sh tests/bench/tool.sh make10k   12 ImageMagick edits of each of the 802
#                                    in build/bench/tool10k/ (10,426 images)
#   sh tests/bench/tool.sh search    the 802-image db + 198 crop80 copies =
#                                    1000 images; 21 queries not in the db,
#                                    k = 10, without and with --verify
#   sh tests/bench/tool.sh index10k  index build/bench/tool10k/ (incremental:
#                                    a rerun completes an interrupted run),
#                                    db size, and the searches on it
#   sh tests/bench/tool.sh pca       on copies of that db: full VLADs against
#                                    PCA to 64, 128, 256 dims (index --dims):
#                                    ranking (tool_siblings.sql), search time,
#                                    dups pairs at several --min-score
#
# BUILD=build/x selects the build (default build), JOBS the workers (2).
# Every figure comes from the tool's own --stats lines, so ratios compare
# times taken side by side in one run.  On a shared machine wall times
# stretch with the load; the CPU columns do not.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
BUILD=${BUILD:-build}
TOOL=$BUILD/imgsearch
DATA=${DATA:-../shared/data}
OUT=build/bench/tool
TENK=build/bench/tool10k
JOBS=${JOBS:-2}
mkdir -p "$OUT"

# The 12 edits of make10k (ImageMagick 6): crop80 centre 80% of each side;
# crop60 top-left 60%; rot10 rotate 10 degrees (black corners); rot90;
# scale50, scale70 resize; q20, q50 JPEG quality; mirror (-flop); grey;
# colour -modulate 100,140,120; border 8% blue.  JPEG output (quality 90
# unless q20/q50), one folder per edit.
EDITS="crop80 crop60 rot10 rot90 scale50 scale70 q20 q50 mirror grey colour border"

make10k() {
  mkdir -p "$TENK/original"
  for e in $EDITS; do mkdir -p "$TENK/$e"; done
  find "$DATA/ukbench" "$DATA/dvd_covers" -name '*.jpg' | sort | while read -r src; do
    # dvd_covers/canon/001.jpg and dvd_covers/droid/001.jpg: keep both
    stem=$(echo "${src#"$DATA"/}" | sed -e 's/\.jpg$//' -e 's|/|_|g')
    [ -s "$TENK/original/$stem.jpg" ] || cp "$src" "$TENK/original/$stem.jpg"
    [ -s "$TENK/q20/$stem.jpg" ] && continue    # q20 is written last
    # one convert per source (decoded once; -write per edit)
    o() { echo "$TENK/$1/$stem.jpg"; }
    convert "$src" -quality 90 -write mpr:s +delete \
      \( mpr:s -gravity center -crop 80%x80%+0+0 +repage +gravity -write "$(o crop80)" +delete \) \
      \( mpr:s -gravity northwest -crop 60%x60%+0+0 +repage +gravity -write "$(o crop60)" +delete \) \
      \( mpr:s -background black -rotate 10 +repage -write "$(o rot10)" +delete \) \
      \( mpr:s -rotate 90 -write "$(o rot90)" +delete \) \
      \( mpr:s -resize 50% -write "$(o scale50)" +delete \) \
      \( mpr:s -resize 70% -write "$(o scale70)" +delete \) \
      \( mpr:s -flop -write "$(o mirror)" +delete \) \
      \( mpr:s -colorspace Gray -write "$(o grey)" +delete \) \
      \( mpr:s -modulate 100,140,120 -write "$(o colour)" +delete \) \
      \( mpr:s -bordercolor '#2060c0' -border 8% -write "$(o border)" +delete \) \
      \( mpr:s -quality 50 -write "$(o q50)" +delete \) \
      mpr:s -quality 20 "$(o q20)"
  done
  echo "tool.sh: $(find "$TENK" -name '*.jpg' | wc -l) images in $TENK" >&2
}

# The --stats lines of an index run as a markdown row (see index_bench).
index_row() {   # LABEL LOGFILE
  awk -v label="$1" '
    / indexed, / { n = $1 }
    /^stats: wall/ { wall = $3; extract = $9; codebook = $12; vectors = $15 }
    /^stats: .* workers, summed/ { sift = $12; siftcpu = $15 }
    /^stats: SIFT-only bound/ { bound = $8; xe = $12; xr = $16 }
    /^stats: CPU/ { rss = $11 }
    /^stats: process CPU/ { xcpu = $8 }
    END { printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", label, n,
                 wall, extract, codebook, vectors, sift, bound, xe, xr, siftcpu, xcpu, rss }' "$2"
}

index_header() {
  echo "| run | images | wall s | extract s | codebook s | vectors s | img_sift s (sum) | bound s | extract / bound | whole run / bound | img_sift CPU s | process CPU / img_sift CPU | peak RSS MB |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
}

index_bench() {
  index_header
  # a small collection first: memory should not grow with the collection
  rm -f "$OUT"/small.db*
  nice -n 10 "$TOOL" index "$OUT/small.db" $(find "$DATA/ukbench" -name '*.jpg' | sort | head -100) \
    --jobs "$JOBS" --stats 2> "$OUT/small.log" || true
  index_row "100 UKBench, new db" "$OUT/small.log"
  rm -f "$OUT"/data.db*
  nice -n 10 "$TOOL" index "$OUT/data.db" "$DATA/ukbench" "$DATA/dvd_covers" \
    --jobs "$JOBS" --stats 2> "$OUT/data.log" || true
  index_row "ukbench + dvd_covers, new db" "$OUT/data.log"
}

# The --stats lines of a search run, one row a query, in ms:
# "sift rest read vlad nearest verify siftCPU restCPU"
search_times() {   # LOGFILE
  sed -n 's/^stats: .*: sift \([0-9.]*\) ms.*, rest \([0-9.]*\) ms (read+hash \([0-9.]*\), vlad \([0-9.]*\), nearest \([0-9.]*\), verify \([0-9.]*\)); CPU: sift \([0-9.]*\) ms, rest \([0-9.]*\) ms$/\1 \2 \3 \4 \5 \6 \7 \8/p' "$1"
}

# Median of column N of stdin.
median() { sort -g -k"$1,$1" | awk -v c="$1" '{ v[NR] = $c } END { print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2 }'; }

# A markdown row: the first query (cold: the process has just opened the db)
# and the median and maximum over the other queries.
search_row() {   # LABEL LOGFILE
  search_times "$2" > "$2.times"
  first=$(head -1 "$2.times")
  tail -n +2 "$2.times" > "$2.warm"
  col() { echo "$first" | awk -v c="$1" '{print $c}'; }
  printf '| %s | %s | %s / %s | %s / %s | %s / %s | %s / %s | %s | %s | %s |\n' "$1" \
    "$(wc -l < "$2.warm")" "$(col 1)" "$(col 7)" "$(col 2)" "$(col 8)" \
    "$(median 1 < "$2.warm")" "$(median 7 < "$2.warm")" \
    "$(median 2 < "$2.warm")" "$(median 8 < "$2.warm")" \
    "$(sort -g -k8,8 "$2.warm" | tail -1 | awk '{print $8}')" \
    "$(median 5 < "$2.warm")" "$(median 6 < "$2.warm")"
}

# DB: search latency with QUERIES (files not in DB), k = 10, without and
# with --verify of the top 20.
search_bench() {   # DB QUERY...
  db=$1; shift
  echo "| search | queries after the first | first query: SIFT ms wall / CPU | first query: rest ms wall / CPU | SIFT ms wall / CPU (median) | rest ms wall / CPU (median) | rest CPU ms (max) | nearest ms wall (median) | verify ms wall (median) |"
  echo "|---|---|---|---|---|---|---|---|---|"
  nice -n 10 "$TOOL" search "$db" "$@" -k 10 --stats --format csv > /dev/null 2> "$OUT/search.log" || true
  search_row "k = 10" "$OUT/search.log"
  nice -n 10 "$TOOL" search "$db" "$@" -k 10 --verify --stats --format csv > /dev/null 2> "$OUT/verify.log" || true
  search_row "k = 10, --verify (top 20)" "$OUT/verify.log"
}

# dups DB at --min-score S: of the pairs put in one group, the share that are
# versions of one source (same file name), and the share of all such pairs
# (TOTAL) that were grouped.
dups_pairs() {   # DB S TOTAL
  nice -n 5 "$TOOL" dups "$1" --min-score "$2" --format csv | awk -F, -v total="$3" '
    NR > 1 { n = split($2, p, "/"); same[$1 SUBSEP p[n]]++; group[$1]++ }
    END { for (k in same) s += same[k] * (same[k] - 1) / 2
          for (k in group) a += group[k] * (group[k] - 1) / 2
          printf "%.3f / %.3f", a ? s / a : 0, s / total }'
}

pca_bench() {
  total=$("$TOOL" "$OUT/10k.db" "SELECT sum(n * (n - 1) / 2) FROM (SELECT count(*) AS n FROM images
    GROUP BY replace(path, rtrim(path, replace(path, '/', '')), ''))" --mode csv | tail -1)
  queries=$(find "$DATA/oxford_affine" -name 'img*' | sort | head -21)
  echo "| vectors | bytes each | siblings in top 12 | top-1 is a sibling | search rest ms CPU (median) | annoy search ms wall (median) | dups: --min-score, pair precision / recall, wall s |"
  echo "|---|---|---|---|---|---|---|"
  for d in 0 64 128 256; do
    db=$OUT/10k_dims$d.db
    cp "$OUT/10k.db" "$db"
    rm -f "$db-wal" "$db-shm"
    nice -n 5 "$TOOL" index "$db" --dims "$d" -q
    sib=$("$TOOL" "$db" --mode csv < tests/bench/tool_siblings.sql | tail -1)
    nice -n 5 "$TOOL" search "$db" $queries -k 10 --stats --format csv > /dev/null 2> "$OUT/pca.log"
    search_times "$OUT/pca.log" | tail -n +2 > "$OUT/pca.warm"
    case $d in 0) scores="0.3 0.4 0.5" ;; *) scores="0.5 0.6 0.7" ;; esac
    dups=""
    for s in $scores; do
      t0=$(date +%s.%N)
      p=$(dups_pairs "$db" "$s" "$total")
      dups="$dups $s: $p, $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.0f", b - a }');"
    done
    if [ "$d" = 0 ]; then label="full VLAD, 8192 dims"; bytes=32768; else label="PCA-whitened, $d dims"; bytes=$((4 * d)); fi
    echo "| $label | $bytes | $(echo "$sib" | cut -d, -f2) | $(echo "$sib" | cut -d, -f3) | $(median 8 < "$OUT/pca.warm") | $(median 5 < "$OUT/pca.warm") |$dups |"
    rm -f "$db" "$db-wal" "$db-shm"
  done
}

case ${1:-} in
  make10k) make10k ;;
  pca) pca_bench ;;
  index) index_bench ;;
  search)
    # 1000 images: data.db's 802 and the first 198 crop80 copies (once)
    [ -s "$OUT/data1000.log" ] ||
      nice -n 10 "$TOOL" index "$OUT/data.db" $(find "$TENK/crop80" -name '*.jpg' | sort | head -198) \
        --jobs "$JOBS" --stats 2> "$OUT/data1000.log" || true
    index_header
    index_row "+198 crop80 copies into that db (codebook kept)" "$OUT/data1000.log"
    echo
    # queries: 21 rotated copies, not in the db
    search_bench "$OUT/data.db" $(find "$TENK/rot10" -name '*.jpg' | sort | head -21) ;;
  index10k)
    # Incremental: a run on a partly generated tool10k/ is completed by the
    # next (rm build/bench/tool/10k.db* for a fresh start).
    n=$(ls "$OUT"/10k.*.log 2>/dev/null | wc -l)
    nice -n 5 "$TOOL" index "$OUT/10k.db" "$TENK" --jobs "$JOBS" --stats 2> "$OUT/10k.$n.log" || true
    index_header
    for log in "$OUT"/10k.*.log; do index_row "tool10k, run $(basename "$log" .log | cut -d. -f2)" "$log"; done
    echo
    "$TOOL" "$OUT/10k.db" "SELECT count(*) AS images, sum(status='ok') AS ok, sum(vector) AS vectors,
      (SELECT images FROM codebook) AS codebook_images FROM images" --mode csv
    echo "db size: $(du -m "$OUT/10k.db" | cut -f1) MB"
    echo
    # queries: Oxford affine images, not in the db
    search_bench "$OUT/10k.db" $(find "$DATA/oxford_affine" -name 'img*' | sort | head -21) ;;
  *) echo "usage: sh tests/bench/tool.sh index|search|make10k|index10k|pca" >&2; exit 2 ;;
esac
