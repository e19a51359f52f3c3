#!/bin/sh
# copies.sh — make the edited copies of samples/* for the copy-detection part
# of bench_quality (part 5) with ImageMagick, under build/bench/copies/EDIT/,
# and write build/bench/copies/list.txt: "EDIT<TAB>SOURCE<TAB>PATH" per copy
# (PATH relative to the repo root); also flat distractors (flat.txt, see
# below).  Nothing here is committed.
#
#   sh tests/bench/copies.sh       (run by quality.sh when PARTS has 5)
#   SOURCES=list.txt OUT=dir sh tests/bench/copies.sh
#                                  the same 14 edits of the images listed in
#                                  list.txt (one path a line; run by scale.sh)
#
# Needs ImageMagick 6 or 7 (apt-get install -y --no-install-recommends imagemagick);
# CONVERT=path overrides the convert binary.  Existing copies are kept.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
if [ -z "${CONVERT:-}" ]; then
  for c in magick convert /usr/bin/convert; do
    if command -v "$c" >/dev/null 2>&1 && "$c" -version 2>/dev/null | grep -q ImageMagick; then
      CONVERT=$c; break
    fi
  done
fi
if [ -z "${CONVERT:-}" ]; then
  echo "copies.sh: ImageMagick not found (apt-get install -y --no-install-recommends imagemagick)" >&2
  exit 1
fi
OUT=${OUT:-build/bench/copies}
EDITS="crop50 crop25 rot15 rot90 scale30 jpeg8 blur colour grey box40 mirror perspective border combo"
mkdir -p "$OUT"
for e in $EDITS; do mkdir -p "$OUT/$e"; done
: > "$OUT/list.tmp"
list_sources(){
  if [ -n "${SOURCES:-}" ]; then cat "$SOURCES"
  else ls samples/*.jpg samples/*.png; fi
}
list_sources | while read -r src; do
  name=$(basename "$src"); stem=${name%.*}
  set -- $("$CONVERT" "$src" -format '%w %h' info:)
  W=$1; H=$2
  for e in $EDITS; do
    ext=png
    case $e in jpeg8|combo) ext=jpg ;; esac
    dst=$OUT/$e/$stem.$ext
    printf '%s\t%s\t%s\n' "$e" "$name" "$dst" >> "$OUT/list.tmp"
    [ -s "$dst" ] && continue
    case $e in
      # 50% of the area, centred: sides × 0.707
      crop50) "$CONVERT" "$src" -gravity center -crop 70.7%x70.7%+0+0 +repage "$dst" ;;
      # 25% of the area, offset: half of each side, starting at (15%, 20%)
      crop25) "$CONVERT" "$src" -crop "$((W/2))x$((H/2))+$((W*15/100))+$((H*20/100))" +repage "$dst" ;;
      rot15)  "$CONVERT" "$src" -background black -rotate 15 +repage "$dst" ;;
      rot90)  "$CONVERT" "$src" -rotate 90 "$dst" ;;
      scale30) "$CONVERT" "$src" -resize 30% "$dst" ;;
      jpeg8)  "$CONVERT" "$src" -alpha remove -quality 8 "$dst" ;;
      blur)   "$CONVERT" "$src" -blur 0x3 "$dst" ;;
      colour) "$CONVERT" "$src" -modulate 100,150,130 "$dst" ;;
      grey)   "$CONVERT" "$src" -colorspace Gray "$dst" ;;
      # a red box of 63% × 63% of the sides (40% of the area) at (8%, 10%)
      box40)  "$CONVERT" "$src" -fill '#d02020' -draw "rectangle $((W*8/100)),$((H*10/100)) $((W*8/100+W*63/100)),$((H*10/100+H*63/100))" "$dst" ;;
      mirror) "$CONVERT" "$src" -flop "$dst" ;;
      perspective) "$CONVERT" "$src" -virtual-pixel black -distort Perspective \
                "0,0 $((W*12/100)),$((H*8/100))  $W,0 $((W*92/100)),0  0,$H 0,$H  $W,$H $W,$((H*88/100))" "$dst" ;;
      border) "$CONVERT" "$src" -bordercolor '#2060c0' -border 10% "$dst" ;;
      # crop to 50% of the area (centred), rotate 15°, JPEG quality 30
      combo)  "$CONVERT" "$src" -gravity center -crop 70.7%x70.7%+0+0 +repage \
                -background black -rotate 15 +repage -alpha remove -quality 30 "$dst" ;;
    esac
  done
done
mv "$OUT/list.tmp" "$OUT/list.txt"

# Flat distractors: smooth synthetic images with (almost) no SIFT features —
# skies, ramps, vignettes, blurred noise — indexed next to the originals, so
# that a featureless query (gradient.png's copies) has to be told apart from
# other featureless images, not merely from textured ones.  One is a hard
# case on purpose: an S-curve of the same left-to-right ramp as gradient.png.
# Listed in flat.txt, one path per line.
mkdir -p "$OUT/flat"
: > "$OUT/flat.tmp"
i=0
while read -r spec; do
  i=$((i+1))
  dst=$OUT/flat/flat$i.png
  echo "$dst" >> "$OUT/flat.tmp"
  [ -s "$dst" ] && continue
  # shellcheck disable=SC2086
  "$CONVERT" $spec "$dst"
done <<'SPECS'
-size 640x480 gradient:navy-skyblue
-size 640x480 gradient:#202040-#e0a060
-size 640x480 -define gradient:angle=45 gradient:black-white
-size 640x480 -define gradient:angle=135 gradient:darkgreen-lightyellow
-size 480x640 -define gradient:angle=30 gradient:gray20-gray80
-size 640x480 radial-gradient:white-black
-size 640x480 -define gradient:center=200,150 radial-gradient:#ffd0a0-#402010
-size 300x300 radial-gradient:gray90-gray30
-size 320x240 -seed 1 plasma:fractal -blur 0x24 -resize 640x480!
-size 320x240 -seed 2 plasma:fractal -blur 0x24 -resize 640x480!
-size 320x240 -seed 3 plasma:grey40-grey60 -blur 0x24 -resize 640x480!
-size 320x240 -seed 4 plasma:skyblue-white -blur 0x24 -resize 640x480!
-size 300x300 -define gradient:angle=90 gradient:black-white -sigmoidal-contrast 8x50%
-size 640x480 gradient:gray70-gray40
SPECS
mv "$OUT/flat.tmp" "$OUT/flat.txt"
echo "copies.sh: $(wc -l < "$OUT/list.txt") copies in $OUT" >&2
