#!/bin/sh
# tests/run.sh — run every test program; each prints "ok - ..." or
# "not ok - ..." per case. Closes with "N passed, N failed"; exits 1 on any
# failure. A program that dies without reporting a failure counts as one.
# BUILD (default build) is the build directory the Makefile used.
B=${BUILD:-build}
log=$(mktemp)
trap 'rm -f "$log"' EXIT

run() {   # run NAME COMMAND...
  name=$1; shift
  before=$(grep -c '^not ok' "$log")
  "$@" >>"$log" 2>&1
  status=$?
  after=$(grep -c '^not ok' "$log")
  if [ $status -ne 0 ] && [ "$after" -eq "$before" ]; then
    echo "not ok - $name exited with status $status" >>"$log"
  fi
}

for t in "$B"/tests/test_*; do
  [ -x "$t" ] && run "$(basename "$t")" "$t" "$B/imgsearch.so"
done
run sqltest "$B/tests/sqltest" "$B/imgsearch.so" tests/cases/*.test
# Out-of-memory fault injection, short: the cases that create and change
# tables, at 2 values of N per case and kind (make reliability: all files).
run "sqltest --oom=2" "$B/tests/sqltest" --oom=2 "$B/imgsearch.so" \
  tests/cases/01_create.test tests/cases/04_changes.test
# ... and every N for the vec_* functions (6,450 faulted runs): each error
# message that cannot be allocated must come out as SQLITE_NOMEM.
run "sqltest --oom 05_functions" "$B/tests/sqltest" --oom "$B/imgsearch.so" \
  tests/cases/05_functions.test
# Short runs of the hardening programs (full length: make reliability).
for t in "$B"/reliability/*; do
  [ -x "$t" ] && run "$(basename "$t")" "$t" "$B/imgsearch.so"
done

# The shared object exports its entry point and nothing else.
exported=$(nm -D --defined-only "$B/imgsearch.so" | awk '$2 ~ /^[TDBWVRi]$/ {print $3}' | sort | tr '\n' ' ')
if [ "$exported" = "sqlite3_imgsearch_init " ]; then
  echo "ok - nm -D: only sqlite3_imgsearch_init is exported" >>"$log"
else
  echo "not ok - nm -D: exported symbols are: $exported" >>"$log"
fi

grep -v '^ok' "$log"
passed=$(grep -c '^ok' "$log")
failed=$(grep -c '^not ok' "$log")
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
