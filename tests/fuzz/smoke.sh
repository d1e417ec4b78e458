#!/usr/bin/env bash
# smoke.sh HARNESS SEEDS WORK: runs a libFuzzer harness for FUZZ_SECONDS
# (default 5) over its seed corpus SEEDS (read only: new inputs go to
# WORK/corpus), crashes written under WORK/.  Exit status: libFuzzer's
# (1 on a crash, leak, timeout or out-of-memory: libFuzzer's own default, 77,
# is what meson reads as "skipped", which hid a crash once).
set -u
exe=$1 seeds=$2 work=$3
secs=${FUZZ_SECONDS:-5}
mkdir -p "$work/corpus"
exec "$exe" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=16384 \
  -error_exitcode=1 -timeout_exitcode=1 \
  -print_final_stats=1 -artifact_prefix="$work/" "$work/corpus" "$seeds"
