#!/bin/sh
# tests/reliability/run.sh — `make reliability`: every hardening program at
# full length (each takes EXTENSION --full), then the long fuzz runs are
# separate: sh tests/fuzz/run.sh SECONDS. Figures go to docs/RELIABILITY.md.
B=${BUILD:-build}
status=0
for t in "$B"/reliability/*; do
  [ -x "$t" ] || continue
  echo "== $(basename "$t") --full"
  "$t" "$B/imgsearch.so" --full || status=1
done
exit $status
