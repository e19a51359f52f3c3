#!/bin/sh
# tests/demo.sh — `make demo`: index samples/ and tests/data/formats/
# (the cat as WebP, HEIC, AVIF and TIFF, a JPEG turned by its EXIF tag)
# into a fresh build/demo.db, then search for samples/box.png.  A person can check the answer: the
# first hit is box.png itself, and the second is box_in_scene.png (the same
# box on a cluttered table), confirmed by geometric verification (inliers).
# The same searches are also written as a contact sheet, build/demo-report.html.
# Then the duplicates, each named (same image, edited copy) with its
# confidence, the copy each group would keep and why, the similar photos
# (--similar), and what --move-to would do (a dry run: nothing is moved).
set -e
B=${BUILD:-build}
DB=$B/demo.db
rm -f "$DB" "$DB-wal" "$DB-shm"

echo "== imgsearch index $DB samples/ tests/data/formats/"
"$B/imgsearch" index "$DB" samples/ tests/data/formats/ 2>&1
echo
echo "== imgsearch search $DB samples/box.png --verify -k 5"
"$B/imgsearch" search "$DB" samples/box.png --verify -k 5
echo
echo "== imgsearch search $DB samples/aero1.jpg -k 3   (aero3.jpg: the same plane)"
"$B/imgsearch" search "$DB" samples/aero1.jpg -k 3
echo
echo "== imgsearch report $DB samples/box.png samples/aero1.jpg --verify -k 5 -o $B/demo-report.html"
"$B/imgsearch" report "$DB" samples/box.png samples/aero1.jpg --verify -k 5 -o "$B/demo-report.html"
echo "wrote $B/demo-report.html (open it in a browser)"
echo
echo "== imgsearch dups $DB   (copies, verified by geometry, each with its confidence and what it is)"
"$B/imgsearch" dups "$DB"
echo
echo "== imgsearch dups $DB --similar   (also other photos of the same thing: box.png and box_in_scene.png)"
"$B/imgsearch" dups "$DB" --similar
echo
echo "== imgsearch dups $DB --move-to $B --dry-run"
"$B/imgsearch" dups "$DB" --move-to "$B" --dry-run | grep -v '^ *[0-9]\|^group\|^---'
echo
echo "== imgsearch $DB \"SELECT ...\"   (the database is plain SQLite)"
"$B/imgsearch" "$DB" "SELECT count(*) AS images, sum(features) AS keypoints,
  (SELECT clusters FROM codebook) AS clusters FROM images WHERE status = 'ok'"
