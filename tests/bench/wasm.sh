#!/bin/sh
# wasm.sh — the WebAssembly build against the native vector-only extension
# (docs/BENCHMARKS.md, "SQLite and the annoy table in WebAssembly").
#
#   sh tests/bench/wasm.sh
#
# Builds make wasm and build/imgsearch_vec.so, then prints: the sizes of the
# module (raw and gzip -9) and of the native extension; one row per build
# of the same workload (wasm_bench.c / wasm_bench.js: 10,000 rows of
# float32[64], 1000 KNN queries, k = 10, 100 exact ones) — native with
# Debian's SQLite, native with the amalgamation the module is built from,
# the module under Node.js; then the demo page with the same settings in
# headless Chromium (wasm_chromium.py).  One program at a time, niced.
set -eu
cd "$(dirname "$0")/../.."
W=build/wasm
make -s wasm build/imgsearch_vec.so
mkdir -p build/bench
cc -O2 -Wall -Wextra -o build/bench/wasm_bench tests/bench/wasm_bench.c -lsqlite3
# the amalgamation as the module compiles it, less what a native build needs
# (loading extensions) or does not (threads off as in the module)
[ build/bench/wasm_bench_amalgamation -nt $W/sqlite/sqlite3.c ] ||
  nice cc -O2 -I$W/sqlite -DSQLITE_THREADSAFE=0 -DSQLITE_DEFAULT_MEMSTATUS=0 -DSQLITE_TEMP_STORE=3 \
    -o build/bench/wasm_bench_amalgamation tests/bench/wasm_bench.c $W/sqlite/sqlite3.c -ldl -lm

size() { wc -c <"$1" | tr -d ' '; }
gz() { gzip -9 -c "$1" | wc -c | tr -d ' '; }
strip -o build/bench/imgsearch_vec.stripped.so build/imgsearch_vec.so
echo "| file | bytes | gzip -9 |"
echo "| --- | ---: | ---: |"
for f in $W/imgsearch.wasm $W/imgsearch.js; do
  echo "| $f | $(size $f) | $(gz $f) |"
done
echo "| build/imgsearch_vec.so, stripped (without SQLite) | $(size build/bench/imgsearch_vec.stripped.so) | $(gz build/bench/imgsearch_vec.stripped.so) |"
echo
echo "| build | SQLite | insert 10,000 ms | 1000 KNN ms | ms a query | ms an exact query | rows / sum of rowids |"
echo "| --- | --- | ---: | ---: | ---: | ---: | --- |"
nice build/bench/wasm_bench build/imgsearch_vec.so "native .so, Debian's SQLite"
nice build/bench/wasm_bench_amalgamation build/imgsearch_vec.so "native .so, the module's SQLite"
nice node tests/bench/wasm_bench.js $W "wasm, Node.js $(node --version)"

if command -v chromium >/dev/null 2>&1; then
  tmp=$(mktemp -d)
  python3 -u -m http.server --bind 127.0.0.1 --directory $W 0 >"$tmp/http.log" 2>&1 &
  server=$!
  trap 'kill $server 2>/dev/null; rm -rf "$tmp"' EXIT
  sleep 1
  port=$(sed -n 's/^Serving HTTP on .* port \([0-9]*\) .*/\1/p' "$tmp/http.log")
  echo
  echo "$(chromium --version 2>/dev/null), demo.html?rows=10000&dims=64&queries=1000&k=10:"
  nice python3 tests/bench/wasm_chromium.py "http://127.0.0.1:$port/demo.html?rows=10000&dims=64&queries=1000&k=10"
fi
echo
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(date -u +%Y-%m-%d)"
