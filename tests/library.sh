#!/bin/sh
# tests/library.sh — the C library as a program uses it (run by run.sh).
#
#   BUILD=DIR CC=cc LDFLAGS_ALL=... sh tests/library.sh
#
# 1. $B/samples/embed (samples/embed.c linked with build/lib/libimgsearch_vec.a)
#    prints the expected neighbours;
# 2. `make install` put every file under $B/test-prefix (make test installs
#    there first);
# 3. samples/embed.c builds against that install with nothing but
#    `pkg-config --cflags --libs imgsearch-vec` (the shared library), and
#    again with `imgsearch` (the full library), and both run;
# 4. the installed bin/imgsearch and loadable extensions work.
# Prints "ok - ..." or "not ok - ..." per check.
B=${BUILD:-build}
prefix=$PWD/$B/test-prefix
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

version=$(sed -n 's/^#define IMGSEARCH_VERSION  *"\(.*\)"/\1/p' ext/imgsearch.h)
expected="2 0.1414
5 0.5657
1 0.9055"

check() {   # check NAME OUTPUT_FILE: the version line, then $expected
  if head -1 "$2" | grep -q "^imgsearch $version, SQLite 3\." && [ "$(sed 1d "$2")" = "$expected" ]; then
    echo "ok - $1"
  else echo "not ok - $1: got:"; sed 's/^/#   /' "$2"; fi
}

"$B/samples/embed" >"$tmp/out" 2>&1
check "samples/embed (static libimgsearch_vec.a) finds the nearest points" "$tmp/out"

missing=""
for f in bin/imgsearch include/imgsearch.h lib/imgsearch/imgsearch.so lib/imgsearch/imgsearch_vec.so \
         lib/libimgsearch.a lib/libimgsearch.so lib/libimgsearch.so.0 \
         lib/libimgsearch_vec.a lib/libimgsearch_vec.so lib/libimgsearch_vec.so.0 \
         lib/pkgconfig/imgsearch.pc lib/pkgconfig/imgsearch-vec.pc share/man/man1/imgsearch.1; do
  [ -e "$prefix/$f" ] || missing="$missing $f"
done
if [ -z "$missing" ]; then echo "ok - make install: every file is in PREFIX"
else echo "not ok - make install: missing:$missing"; fi

export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
for pc in imgsearch-vec imgsearch; do
  flags=$(pkg-config --cflags --libs "$pc") &&
  ${CC:-cc} -o "$tmp/embed" samples/embed.c $flags -Wl,-rpath,"$(pkg-config --variable=libdir "$pc")" \
    $LDFLAGS_ALL >"$tmp/out" 2>&1 &&
  "$tmp/embed" >"$tmp/out" 2>&1
  check "samples/embed.c built with pkg-config --cflags --libs $pc runs" "$tmp/out"
done

if "$prefix/bin/imgsearch" --help >"$tmp/out" 2>&1 && grep -q '^usage: imgsearch' "$tmp/out"; then
  echo "ok - the installed bin/imgsearch runs"
else echo "not ok - the installed bin/imgsearch --help:"; sed 's/^/#   /' "$tmp/out"; fi

if "$B/tests/sqltest" "$prefix/lib/imgsearch/imgsearch_vec.so" tests/cases/vector_only/*.test >"$tmp/out" 2>&1 &&
   ! grep -q '^not ok' "$tmp/out"; then
  echo "ok - the installed imgsearch_vec.so loads and has the vector functions only"
else echo "not ok - the installed imgsearch_vec.so:"; sed 's/^/#   /' "$tmp/out"; fi
