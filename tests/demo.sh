#!/bin/sh
# tests/demo.sh — `make demo`: index samples/ into a fresh build/demo.db,
# then search for samples/box.png.  A person can check the answer: the
# first hit is box.png itself, and the second is box_in_scene.png (the same
# box on a cluttered table), confirmed by geometric verification (inliers).
# The same searches are also written as a contact sheet, build/demo-report.html.
set -e
B=${BUILD:-build}
DB=$B/demo.db
rm -f "$DB" "$DB-wal" "$DB-shm"

echo "== imgsearch index $DB samples/"
"$B/imgsearch" index "$DB" samples/ 2>&1
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
echo "== imgsearch $DB \"SELECT ...\"   (the database is plain SQLite)"
"$B/imgsearch" "$DB" "SELECT count(*) AS images, sum(features) AS keypoints,
  (SELECT clusters FROM codebook) AS clusters FROM images WHERE status = 'ok'"
