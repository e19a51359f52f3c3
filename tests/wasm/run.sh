#!/bin/sh
# tests/wasm/run.sh — the WebAssembly build (make wasm; run by tests/run.sh):
# tests/wasm/test_wasm.js under Node.js, then wasm/demo.html in headless
# Chromium, served from build/wasm/ by python3's http.server on 127.0.0.1.
# Without emscripten or Node.js (make test then does not build the module)
# it reports a skip, as without Chromium the page's case does.
W=build/wasm
if ! command -v emcc >/dev/null 2>&1 || ! command -v node >/dev/null 2>&1; then
  echo "ok - wasm: the WebAssembly build # SKIP emscripten or nodejs not installed (apt-get install emscripten nodejs npm)"
  exit 0
fi
node tests/wasm/test_wasm.js "$W"
status=$?

# 5.x the demo page: it loads the module, fills an annoy table of 5000 rows
# of 32 dimensions, runs 100 KNN queries and checks each against an exact
# scan in JavaScript.  --virtual-time-budget lets --dump-dom wait for that
# (the page's timings read 0 in virtual time; its status line is checked).
if ! command -v chromium >/dev/null 2>&1; then
  echo "ok - wasm 5.1 demo.html in headless Chromium # SKIP chromium not installed"
  exit $status
fi
tmp=$(mktemp -d)
python3 -u -m http.server --bind 127.0.0.1 --directory "$W" 0 >"$tmp/http.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$tmp"' EXIT
port=
for i in 1 2 3 4 5 6 7 8 9 10; do
  port=$(sed -n 's/^Serving HTTP on .* port \([0-9]*\) .*/\1/p' "$tmp/http.log")
  [ -n "$port" ] && break
  sleep 0.5
done
timeout 120 chromium --headless --no-sandbox --disable-gpu --user-data-dir="$tmp/profile" \
  --virtual-time-budget=60000 --dump-dom "http://127.0.0.1:$port/demo.html" >"$tmp/dom.html" 2>"$tmp/chromium.log"
status_line=$(sed -n 's/.*<p id="status">\([^<]*\)<.*/\1/p' "$tmp/dom.html")
sqlite=$(sed -n 's/^#define SQLITE_VERSION  *"\(.*\)"/\1/p' "$W/sqlite/sqlite3.h")
recall=$(echo "$status_line" | sed -n "s/^done: 5000 rows of 32 dimensions; .* ms a query; recall \([0-9]*\) of 1000 nearest (SQLite $sqlite)\$/\1/p")
neighbours=$(sed -n 's/.*<table id="neighbours">\(.*\)<\/table>.*/\1/p' "$tmp/dom.html" | grep -o '<tr><td>' | wc -l)
if [ -n "$recall" ] && [ "$recall" -ge 950 ] && [ "$neighbours" = 10 ]; then
  echo "ok - wasm 5.1 demo.html in headless Chromium: $recall of the 1000 nearest found, 10 rows shown"
else
  echo "not ok - wasm 5.1 demo.html in headless Chromium: status \"$status_line\", $neighbours rows shown"
  [ -s "$tmp/dom.html" ] || sed 's/^/#   /' "$tmp/http.log" "$tmp/chromium.log" | tail -20
  status=1
fi
exit $status
