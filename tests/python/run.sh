#!/bin/sh
# tests/python/run.sh — the Python package with Debian's own pip and
# python3 (run by tests/run.sh): `pip install --no-build-isolation .` into a
# scratch folder, offline (--no-index), reusing the build in $BUILD; then
# test_imgsearch.py from there.
B=${BUILD:-build}
py=/usr/bin/python3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# setup.py's make must not join the jobserver of the make that runs the tests
unset MAKEFLAGS MFLAGS MAKELEVEL

if IMGSEARCH_BUILD=$B "$py" -m pip install --no-build-isolation --no-index --no-deps --no-cache-dir \
     --target "$tmp/site" . >"$tmp/pip.log" 2>&1; then
  echo "ok - python: pip install --no-build-isolation . with Debian's pip, offline"
else
  echo "not ok - python: pip install failed:"
  sed 's/^/#   /' "$tmp/pip.log"
  exit 1
fi
# With SANITIZE=1 the extensions need the sanitizer runtimes loaded first;
# the interpreter's own allocations are not this project's leaks.
case "$LDFLAGS_ALL" in *-fsanitize=*)
  LD_PRELOAD="$(${CC:-cc} -print-file-name=libasan.so) $(${CC:-cc} -print-file-name=libubsan.so)"
  ASAN_OPTIONS=detect_leaks=0
  export LD_PRELOAD ASAN_OPTIONS ;;
esac
PYTHONPATH="$tmp/site" "$py" tests/python/test_imgsearch.py
