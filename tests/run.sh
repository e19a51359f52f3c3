#!/bin/sh
# tests/run.sh — run every test program; each prints "ok - ..." or
# "not ok - ..." per case. Closes with "N passed, N failed"; exits 1 on any
# failure. A program that dies without reporting a failure counts as one.
# BUILD (default build) is the build directory the Makefile used.
#
# The programs run side by side, TEST_JOBS at a time (default: the number
# of processors; TEST_JOBS=1 runs them one after another).  Each writes to
# its own log; the logs are read back in the order of the list below, so
# the output does not depend on which finished first.  The list starts
# with the longest programs so that none of them starts last.
B=${BUILD:-build}
export B

# Internal: sh run.sh --job DIR N runs line N of DIR/jobs (NAME, then the
# command, with "$B" unexpanded) and writes its output to DIR/N.log.
if [ "${1:-}" = --job ]; then
  dir=$2 n=$3
  line=$(sed -n "${n}p" "$dir/jobs")
  name=${line%%	*}
  eval "${line#*	}" >"$dir/$n.log" 2>&1
  status=$?
  if [ $status -ne 0 ] && ! grep -q '^not ok' "$dir/$n.log"; then
    echo "not ok - $name exited with status $status" >>"$dir/$n.log"
  fi
  exit 0
fi

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
job() {   # job NAME COMMAND (a shell word list; "$B" is expanded when it runs)
  printf '%s\t%s\n' "$1" "$2" >>"$dir/jobs"
}

job test_shell '"$B/tests/test_shell" "$B/imgsearch.so"'
# Out-of-memory fault injection: every N for the vec_* functions (6,450
# faulted runs): each error message that cannot be allocated must come out
# as SQLITE_NOMEM ...
job "sqltest --oom 05_functions" '"$B/tests/sqltest" --oom "$B/imgsearch.so" tests/cases/05_functions.test'
# ... and short: the cases that create and change tables, at 2 values of N
# per case and kind (make reliability: all files, every N).
job "sqltest --oom=2" '"$B/tests/sqltest" --oom=2 "$B/imgsearch.so" tests/cases/01_create.test tests/cases/04_changes.test tests/cases/08_helpers.test tests/cases/09_int8.test tests/cases/12_columns.test'
for t in "$B"/tests/test_*; do
  name=$(basename "$t")
  [ -x "$t" ] && [ "$name" != test_shell ] && job "$name" "\"\$B/tests/$name\" \"\$B/imgsearch.so\""
done
# Short runs of the hardening programs (full length: make reliability).
for t in "$B"/reliability/*; do
  name=$(basename "$t")
  [ -x "$t" ] && job "$name" "\"\$B/reliability/$name\" \"\$B/imgsearch.so\""
done
job sqltest '"$B/tests/sqltest" "$B/imgsearch.so" tests/cases/*.test'
# The vector-only extension: the vector cases (0*.test and 12_columns;
# 10 and 11 are the image functions) and what it must not have (vector_only/).
job "sqltest imgsearch_vec.so" '"$B/tests/sqltest" "$B/imgsearch_vec.so" tests/cases/0*.test tests/cases/12_columns.test tests/cases/vector_only/*.test'
# The C library and make install (make test installs into $B/test-prefix).
job library 'sh tests/library.sh'
# The Python package, installed with Debian's pip.
job python 'sh tests/python/run.sh'
# The WebAssembly build under Node.js and in headless Chromium (make wasm).
job wasm 'sh tests/wasm/run.sh'

njobs=$(wc -l <"$dir/jobs")
seq "$njobs" | xargs -P "${TEST_JOBS:-$(nproc)}" -I{} sh "$0" --job "$dir" {}
log=$dir/all.log
for n in $(seq "$njobs"); do cat "$dir/$n.log"; done >"$log"

# Each shared object exports its entry points and nothing else.
exports() {   # exports FILE EXPECTED: nm -D lists exactly EXPECTED (sorted, space-separated)
  exported=$(nm -D --defined-only "$1" | awk '$2 ~ /^[TDBWVRi]$/ {print $3}' | sort | tr '\n' ' ')
  if [ "$exported" = "$2 " ]; then
    echo "ok - nm -D $(basename "$1"): only $2 exported"
  else
    echo "not ok - nm -D $(basename "$1"): exported symbols are: $exported"
  fi
} >>"$log"
exports "$B/imgsearch.so" sqlite3_imgsearch_init
exports "$B/imgsearch_vec.so" sqlite3_imgsearchvec_init
exports "$B/lib/libimgsearch_vec.so" sqlite3_imgsearchvec_init
exports "$B/lib/libimgsearch.so" "sqlite3_imgsearch_init sqlite3_imgsearchvec_init"
# The vector-only extension needs the C library and libm, and (with
# SANITIZE=1) the sanitizer runtimes: no OpenCV, no C++ runtime.
needed=$(readelf -d "$B/imgsearch_vec.so" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | grep -v -e '^libasan' -e '^libubsan' | sort | tr '\n' ' ')
stb=$(nm "$B/imgsearch_vec.so" | grep -c stbi_)
if [ "$needed" = "libc.so.6 libm.so.6 " ] && [ "$stb" = 0 ]; then
  echo "ok - imgsearch_vec.so needs only libc and libm, and has no stb_image code" >>"$log"
else
  echo "not ok - imgsearch_vec.so needs: $needed; stbi_ symbols: $stb" >>"$log"
fi

grep -v '^ok' "$log"
passed=$(grep -c '^ok' "$log")
failed=$(grep -c '^not ok' "$log")
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
