#!/usr/bin/env bash
# campaign.sh BUILD HARNESS RUNS UNTIL [WORKDIR] - one bounded libFuzzer
# campaign, as docs/FUZZING.md describes: the harness from BUILD (an
# ASan+UBSan+fuzzer build, e.g. CC=clang meson setup build-fzo -Dfuzz=true
# --buildtype=debugoptimized -Db_sanitize=address,undefined -Db_lundef=false)
# runs at nice 19 until RUNS executions or the time UNTIL (HH:MM, today),
# whichever comes first, resuming from WORKDIR/HARNESS/corpus (default
# /tmp/fz) with the repository's seeds.  Any sanitizer report stops it
# (halt_on_error) and leaves the input in WORKDIR/HARNESS/crashes.  The log
# is WORKDIR/HARNESS-<start time>.log; its stat:: lines give the figures.
set -euo pipefail
build=${1:?usage: campaign.sh BUILD HARNESS RUNS UNTIL [WORKDIR]}
h=${2:?harness}; runs=${3:?runs}; until=${4:?HH:MM}; work=${5:-/tmp/fz}
src=$(cd "$(dirname "$0")/../.." && pwd)
export OPENAMS_FUZZ_INSTANCE=/dev/shm/fz-instance-$h OPENAMS_SHARE=$src
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ASAN_OPTIONS=detect_leaks=1
left=$(( $(date -d "$until" +%s) - $(date +%s) ))
[ "$left" -gt 0 ] || { echo "campaign.sh: $until has passed" >&2; exit 2; }
mkdir -p "$work/$h/corpus" "$work/$h/crashes"
log=$work/$h-$(date -u +%H%M%S).log
echo "campaign.sh: $h, at most $runs runs or $left s; log $log"
exec nice -n 19 "$build/tests/fuzz/fuzz_$h" -runs="$runs" -max_total_time="$left" -timeout=10 \
  -rss_limit_mb=2048 -print_final_stats=1 -error_exitcode=1 -timeout_exitcode=1 \
  -artifact_prefix="$work/$h/crashes/" "$work/$h/corpus" "$src/tests/fuzz/corpus/$h" >"$log" 2>&1
