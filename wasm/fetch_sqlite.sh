#!/bin/sh
# wasm/fetch_sqlite.sh DIR — SQLite's amalgamation for the WebAssembly build,
# from the npm registry: sqlite3.c, sqlite3.h and sqlite3ext.h into DIR.
#
# The input is pinned: one version of better-sqlite3 (which ships SQLite's
# amalgamation in deps/sqlite3/) and the sha256 of its tarball, so every
# build compiles the same SQLite. It is a build input, never committed.
# Offline, WASM_SQLITE_TGZ=FILE uses a copy of that tarball instead of the
# registry (the checksum still applies).
set -eu
PACKAGE=better-sqlite3
VERSION=12.10.1                 # SQLite 3.53.2
SHA256=55a4e8528e28a50c6074b698ee5da4061af1e70b886e2e0c08ce0da340935171

dir=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
tgz=$tmp/$PACKAGE-$VERSION.tgz
if [ -n "${WASM_SQLITE_TGZ:-}" ]; then
  cp "$WASM_SQLITE_TGZ" "$tgz"
elif ! (cd "$tmp" && npm pack --loglevel=error "$PACKAGE@$VERSION" >npm.log 2>&1); then
  echo "wasm/fetch_sqlite.sh: 'npm pack $PACKAGE@$VERSION' failed (is the npm registry" >&2
  echo "reachable?); or set WASM_SQLITE_TGZ to a copy of $PACKAGE-$VERSION.tgz:" >&2
  sed 's/^/  /' "$tmp/npm.log" >&2
  exit 1
fi
if ! echo "$SHA256  $tgz" | sha256sum -c --status; then
  echo "wasm/fetch_sqlite.sh: $PACKAGE-$VERSION.tgz does not have sha256 $SHA256" >&2
  exit 1
fi
tar -xmzf "$tgz" -C "$tmp" package/deps/sqlite3
mkdir -p "$dir"
for f in sqlite3.c sqlite3.h sqlite3ext.h; do
  mv "$tmp/package/deps/sqlite3/$f" "$dir/$f"
done
