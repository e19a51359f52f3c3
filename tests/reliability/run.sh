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
# Out-of-memory fault injection over every SQL case (tests/sqltest.c), every
# N (about 1.9 million faulted runs; docs/RELIABILITY.md has the time).
echo "== sqltest --oom"
"$B/tests/sqltest" --oom "$B/imgsearch.so" tests/cases/*.test || status=1
# The transaction model test (tests/sql/test_transactions.c): 5 seeds x
# 20000 steps (make test runs one seed x 3000).
for seed in 1 2 3 4 5; do
  echo "== test_transactions 20000 steps, seed $seed"
  "$B/tests/test_transactions" "$B/imgsearch.so" 20000 $seed || status=1
done
exit $status
