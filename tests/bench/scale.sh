#!/bin/sh
# scale.sh — copy detection and retrieval at collection scale (≥ 10k images),
# measured as a user meets it: `imgsearch index` on folders of photos, then
# the first stage and verification on queries the database has never seen.
# Nothing it writes is committed (build/bench/scale/).  Needs ../shared/data
# and ImageMagick.  Stages, in order:
#
#   sh tests/bench/scale.sh collect   the collection: ukbench (500), dvd
#        covers (100), oxford affine (48), samples (18), the 4,000 distractor
#        photos and each of them twice more with a mild edit (v1: 90% size,
#        JPEG q80; v2: mirrored, centre 92%, a little more saturation) —
#        near-copies of each other, never of a query: 12,666 images.
#        Queries: the 14 edits of tests/bench/copies.sh of 100 dvd covers and
#        of 100 ukbench photos (ukbench0000{0,4,8,...}: one per object), all
#        of whose originals are in the collection: 2,800 images.
#   sh tests/bench/scale.sh index     index both with the tool (--stats)
#   sh tests/bench/scale.sh eval      build/bench/scale_eval on the two dbs
#   sh tests/bench/scale.sh vlad      the tool's VLAD first stage on the same
#                                     queries (scale_vlad.sql), for comparison
#   sh tests/bench/scale.sh search    `imgsearch search` as a user runs it
#        (visual words, verification) on the report-half copies, the DVD
#        phone photos and UKBench's photos, -k 10; scale_search.sql reads
#        its CSV.  DB=... picks the database (default the collection);
#        EVERY=n searches every n-th query only.
#   sh tests/bench/scale.sh replicate   a copy of the collection (DB=...)
#        with every image seven more times (scale_replicate.sql), as
#        $OUT/replicated.db: what a query costs at ~100k images.
#   sh tests/bench/scale.sh dups   `imgsearch dups` with its defaults, its
#        groups scored (scale_dups.sql): labelled copy pairs linked, and the
#        other pairs in groups by where their images come from.
#   sh tests/bench/scale.sh featureless   the featureless images' thumbnail
#        pairs (scale_featureless.sql): how many copies link, how many
#        wrong pairs, per threshold, on a tuning and a report half.
#   sh tests/bench/scale.sh tiers   after dups: can the verified geometry
#        (scale_tiers.sql) or the pixels aligned by it (scale_tiers_photo.c)
#        tell an edited copy from another photo of one object?  Rules
#        chosen on a tuning half, read on a report half
#        (scale_tiers_rules.sql).
#   sh tests/bench/scale.sh calibrate   after tiers, DB=... a collection
#        database with visual words: the same pairs matched by their words
#        as `dups` matches them (scale_tiers_words.sql, ~15 min CPU), then
#        the confidence `dups` prints fitted on the tuning half and read on
#        the report half (scale_tiers_calibrate.py; copy_tier.c holds the
#        coefficients it prints), and what copy_tier.c itself calls each
#        pair (scale_tiers_names.c).
#
# BUILD=build/x selects the build (default build), JOBS the workers (2).
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
BUILD=${BUILD:-build}
DATA=${DATA:-../shared/data} JOBS=${JOBS:-2} OUT=build/bench/scale
mkdir -p "$OUT"

collect() {
  # the distractors' mild edits, one convert per photo
  mkdir -p "$OUT/distractors_v1" "$OUT/distractors_v2"
  for src in "$DATA"/distractors/*; do
    stem=$(basename "$src"); stem=${stem%.*}
    [ -s "$OUT/distractors_v2/$stem.jpg" ] && continue
    convert "$src" -write mpr:s +delete \
      \( mpr:s -resize 90% -quality 80 -write "$OUT/distractors_v1/$stem.jpg" +delete \) \
      \( mpr:s -flop -gravity center -crop 92%x92%+0+0 +repage -modulate 100,112 \
         -quality 90 -write "$OUT/distractors_v2/$stem.jpg" +delete \) -size 1x1 xc:none null:
  done
  # the queries' originals: 100 dvd covers, one photo of each of 100 objects
  { ls "$DATA"/dvd_covers/reference/*.jpg | LC_ALL=C sort
    i=0; while [ $i -lt 400 ]; do
      printf '%s/ukbench/ukbench%05d.jpg\n' "$DATA" $i; i=$((i+4)); done
  } > "$OUT/originals.txt"
  SOURCES="$OUT/originals.txt" OUT="$OUT/copies" sh tests/bench/copies.sh
}

index() {
  "$BUILD/imgsearch" index "$OUT/collection.db" --jobs "$JOBS" --stats --quiet \
    "$DATA/ukbench" "$DATA/dvd_covers/reference" "$DATA/oxford_affine" samples \
    "$DATA/distractors" "$OUT/distractors_v1" "$OUT/distractors_v2" \
    2> "$OUT/index.log" || { cat "$OUT/index.log"; exit 1; }
  cat "$OUT/index.log"
  # the queries: sift blobs only matter; the tool computes them as it does
  # for any query (img_sift with its defaults)
  "$BUILD/imgsearch" index "$OUT/queries.db" --jobs "$JOBS" --quiet \
    $(for e in $(cut -f1 "$OUT/copies/list.txt" | sort -u); do echo "$OUT/copies/$e"; done) \
    "$DATA/dvd_covers/canon" "$DATA/dvd_covers/droid"
}

search() {
  DB=${DB:-$OUT/collection.db}
  awk -F'\t' '($2 ~ /^ukbench/ && substr($2, 8, 5)/4 >= 50) || ($2 !~ /^ukbench/ && $2+0 >= 50) { print $3 }' \
    "$OUT/copies/list.txt" > "$OUT/search_queries.txt"
  ls "$DATA"/dvd_covers/canon/*.jpg "$DATA"/dvd_covers/droid/*.jpg "$DATA"/ukbench/*.jpg \
    >> "$OUT/search_queries.txt"
  if [ -n "${EVERY:-}" ]; then      # every EVERY-th query only
    awk -v n="$EVERY" 'NR % n == 1' "$OUT/search_queries.txt" > "$OUT/search_queries.tmp"
    mv "$OUT/search_queries.tmp" "$OUT/search_queries.txt"
  fi
  # shellcheck disable=SC2046
  "$BUILD/imgsearch" search "$DB" $(cat "$OUT/search_queries.txt") -k 10 --format csv --stats \
    > "$OUT/search.csv" 2> "$OUT/search_stats.txt" || true
  sqlite3 < tests/bench/scale_search.sql
  awk '/^stats:/ { n++; s += $4; first = 1; for(i=1;i<=NF;i++){ if($i=="rest" && first){ r += $(i+1); first = 0 }
       if($i=="(read+hash") rh += $(i+1); if($i=="words") w += $(i+1); if($i=="nearest") nn += $(i+1);
       if($i=="verify") v += $(i+1); if($i=="CPU:"){ cs += $(i+2); cr += $(i+5) } } }
       END { printf "per query (ms): sift %.1f, rest %.1f (read %.1f, words %.1f, shortlist %.1f, verify %.1f), %d queries\n",
             s/n, r/n, rh/n, w/n, nn/n, v/n, n
             printf "per query, CPU of its thread (ms): sift %.1f, rest %.1f\n", cs/n, cr/n }' "$OUT/search_stats.txt"
}

case "${1:-}" in
  collect) collect ;;
  index)   index ;;
  vlad)    sqlite3 "$OUT/collection.db" < tests/bench/scale_vlad.sql ;;
  search)  search ;;
  replicate) cp "${DB:-$OUT/collection.db}" "$OUT/replicated.db"
           sqlite3 "$OUT/replicated.db" < tests/bench/scale_replicate.sql ;;
  tiers)   make -s build/bench/scale_tiers_photo
           sqlite3 "$OUT/collection.db" < tests/bench/scale_tiers.sql
           build/bench/scale_tiers_photo "$OUT/tiers.db"
           sqlite3 "$OUT/tiers.db" < tests/bench/scale_tiers_rules.sql ;;
  calibrate) make -s build/bench/scale_tiers_names
           sqlite3 "${DB:?DB=a collection database with visual words}" < tests/bench/scale_tiers_words.sql
           /usr/bin/python3 tests/bench/scale_tiers_calibrate.py words_geometry
           build/bench/scale_tiers_names "$OUT/tiers.db" ;;
  featureless) sqlite3 "${DB:-$OUT/collection.db}" < tests/bench/scale_featureless.sql ;;
  dups)    "$BUILD/imgsearch" dups "${DB:-$OUT/collection.db}" --format csv > "$OUT/dups.csv"
           sqlite3 :memory: < tests/bench/scale_dups.sql ;;
  eval)    "$BUILD/bench/scale_eval" "$OUT/collection.db" "$OUT/queries.db" "$OUT/copies/list.txt" "$DATA" ;;
  *) echo "usage: sh tests/bench/scale.sh collect|index|eval|vlad|search|replicate|featureless|dups|tiers|calibrate" >&2; exit 2 ;;
esac
