#!/bin/sh
# copies.sh — make the edited copies of samples/* for the copy-detection part
# of bench_quality (part 5) with ImageMagick, under build/bench/copies/EDIT/,
# and write build/bench/copies/list.txt: "EDIT<TAB>SOURCE<TAB>PATH" per copy
# (PATH relative to the repo root).  Nothing here is committed.
#
#   sh tests/bench/copies.sh       (run by quality.sh when PARTS has 5)
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
OUT=build/bench/copies
EDITS="crop50 crop25 rot15 rot90 scale30 jpeg8 blur colour grey box40 mirror perspective border combo"
mkdir -p "$OUT"
for e in $EDITS; do mkdir -p "$OUT/$e"; done
: > "$OUT/list.tmp"
for src in samples/*.jpg samples/*.png; do
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
echo "copies.sh: $(wc -l < "$OUT/list.txt") copies in $OUT" >&2
