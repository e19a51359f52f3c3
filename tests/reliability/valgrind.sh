#!/bin/sh
# tests/reliability/valgrind.sh — the test programs of the plain (not
# sanitizer) build under valgrind memcheck (issue 5, item 7: leaks).
#
#   sh tests/reliability/valgrind.sh [--all | PROGRAM...]
#
# Builds what it needs in BUILD (default build/valgrind), then runs under
#   valgrind --leak-check=full --error-exitcode=99 --trace-children=yes
# sqltest on every tests/cases/*.test, test_forest, test_vlad,
# test_transactions and test_persistence.  --all adds the slow ones, where
# OpenCV's SIFT runs under valgrind: test_image, test_images, test_shell
# (which execs build/imgsearch: followed too) and the short runs of the
# tests/reliability programs.  Or name the programs to run (e.g. sqltest).
#
# A program passes when it exits 0 and every process it started (forked
# children included) reports "ERROR SUMMARY: 0 errors": any invalid read or
# write, use of uninitialised memory, or definitely/possibly lost block is
# an error.  Still-reachable memory is not (it is what a process holds when
# it exits: SQLite's and OpenCV's one-time allocations).  Suppressions:
# tests/reliability/valgrind.supp, each entry saying why.  Logs are kept in
# $BUILD/valgrind-logs/, one per process.  Prints "ok - ..." / "not ok - ..."
# per program and exits 1 on any failure.
B=${BUILD:-build/valgrind}
all=0
programs="sqltest test_forest test_vlad test_transactions test_persistence"
if [ "$1" = "--all" ]; then
  all=1
  programs="$programs test_image test_images test_shell"
elif [ $# -gt 0 ]; then
  programs="$*"
fi
command -v valgrind >/dev/null 2>&1 || {
  echo "valgrind is not installed: apt-get install -y --no-install-recommends valgrind" >&2
  exit 2
}

targets="$B/imgsearch.so"
for p in $programs; do targets="$targets $B/tests/$p"; done
[ $all -eq 1 ] && targets="$targets $B/imgsearch $(ls tests/reliability/*.c | sed "s|tests/reliability/\(.*\)\.c|$B/reliability/\1|")"
make -s B="$B" $targets || exit 2

logs="$B/valgrind-logs"
rm -rf "$logs"
mkdir -p "$logs"
supp=tests/reliability/valgrind.supp
status=0

run() {   # run NAME COMMAND...
  name=$1; shift
  start=$(date +%s)
  valgrind -q --leak-check=full --show-leak-kinds=definite,possible \
    --errors-for-leak-kinds=definite,possible --error-exitcode=99 \
    --trace-children=yes --suppressions="$supp" \
    --log-file="$logs/$name.%p.log" "$@" >"$logs/$name.out" 2>&1
  code=$?
  bad=$(grep -l "ERROR SUMMARY: [1-9]" "$logs/$name".*.log 2>/dev/null | wc -l)
  # with -q a clean process writes nothing; any other line is a report
  noisy=$(cat "$logs/$name".*.log 2>/dev/null | grep -c "^==")
  secs=$(( $(date +%s) - start ))
  if [ $code -eq 0 ] && [ "$bad" -eq 0 ] && [ "$noisy" -eq 0 ]; then
    echo "ok - valgrind $name ($secs s)"
  else
    echo "not ok - valgrind $name: exit $code, $noisy report lines (see $logs/$name.*)"
    status=1
  fi
}

for p in $programs; do
  case $p in
    sqltest) run sqltest "$B/tests/sqltest" "$B/imgsearch.so" tests/cases/*.test ;;
    *)       run "$p" "$B/tests/$p" "$B/imgsearch.so" ;;
  esac
done
if [ $all -eq 1 ]; then
  for t in "$B"/reliability/*; do
    [ -x "$t" ] && run "$(basename "$t")" "$t" "$B/imgsearch.so"
  done
fi
exit $status
