#!/bin/sh
# peers.sh — build and run the peer benchmarks: exact ground truth, hnswlib, sqlite-vec's vec0.
#
#   sh tests/bench/peers.sh                    everything
#   sh tests/bench/peers.sh hnswlib vec0       only these (groundtruth runs when gt.i32 is stale)
#   BENCH_DIR=/tmp/data sh tests/bench/peers.sh   data elsewhere (default build/bench)
#
# Data in $BENCH_DIR: base.u8 (n x 128 uint8) and query.u8 (1000 x 128 uint8); gt.i32,
# the peers' caches (hnsw_M16_efc200.*, vec0*.db) are written beside them.
# Programs are built into build/bench/ with -O3 -march=native.  Missing Debian
# libhnswlib-dev and the npm package sqlite-vec-linux-x64 are installed when possible
# (root for apt-get); a peer whose dependency cannot be had is skipped with a message.
# The table goes to stdout, progress and skips to stderr.  Expect ~11 minutes for the
# first hnswlib build on 1.5M vectors (cached afterwards), ~1 minute per vec0 variant.
set -eu
cd "$(dirname "$0")/../.."
BENCH_DIR=${BENCH_DIR:-build/bench}
export BENCH_DIR
BIN=build/bench
CFLAGS_BENCH="-O3 -march=native -Wall -Wextra"
VEC0_SO=${VEC0_SO:-$BIN/npm/node_modules/sqlite-vec-linux-x64/vec0.so}
export VEC0_SO
mkdir -p "$BIN"

say() { echo "peers.sh: $*" >&2; }

wanted() {  # wanted NAME: true when NAME was asked for, or nothing was
  [ -z "$SELECTED" ] && return 0
  case " $SELECTED " in *" $1 "*) return 0 ;; esac
  return 1
}
SELECTED="$*"

if [ ! -s "$BENCH_DIR/base.u8" ] || [ ! -s "$BENCH_DIR/query.u8" ]; then
  say "skipped: no $BENCH_DIR/base.u8 and query.u8 (n x 128 uint8 descriptors; set BENCH_DIR)"
  exit 0
fi

# ---- ground truth -----------------------------------------------------------
cc $CFLAGS_BENCH -pthread -o "$BIN/groundtruth" tests/bench/groundtruth.c
gt="$BENCH_DIR/gt.i32"
if wanted groundtruth || [ ! -s "$gt" ] || [ "$BENCH_DIR/base.u8" -nt "$gt" ] ||
   [ "$BENCH_DIR/query.u8" -nt "$gt" ]; then
  "$BIN/groundtruth"
fi

echo "| system | setting | build s | size MB | recall@10 | queries/s |"
echo "|---|---|---|---|---|---|"
status=0

# ---- hnswlib ----------------------------------------------------------------
if wanted hnswlib; then
  if [ ! -f /usr/include/hnswlib/hnswlib.h ] && [ "$(id -u)" = 0 ]; then
    say "installing libhnswlib-dev"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq --no-install-recommends libhnswlib-dev; } >&2 || true
  fi
  if [ -f /usr/include/hnswlib/hnswlib.h ]; then
    c++ $CFLAGS_BENCH -o "$BIN/peer_hnswlib" tests/bench/peer_hnswlib.cpp
    "$BIN/peer_hnswlib" || status=1
  else
    say "hnswlib skipped: no /usr/include/hnswlib (apt-get install libhnswlib-dev)"
  fi
fi

# ---- sqlite-vec vec0 --------------------------------------------------------
if wanted vec0; then
  if [ ! -f "$VEC0_SO" ] && command -v npm >/dev/null 2>&1; then
    say "installing sqlite-vec-linux-x64 into $BIN/npm"
    npm install --silent --prefix "$BIN/npm" sqlite-vec-linux-x64 >&2 || true
  fi
  if [ ! -f /usr/include/sqlite3.h ]; then
    say "vec0 skipped: no sqlite3.h (apt-get install libsqlite3-dev)"
  elif [ -f "$VEC0_SO" ]; then
    cc $CFLAGS_BENCH -o "$BIN/peer_vec0" tests/bench/peer_vec0.c -lsqlite3
    "$BIN/peer_vec0" || status=1
  else
    say "vec0 skipped: no $VEC0_SO (npm install --prefix $BIN/npm sqlite-vec-linux-x64)"
  fi
fi
exit $status
