#!/usr/bin/env bash
# How well the perf gate detects a slowdown, and how often it cries wolf:
#   1. one baseline of ENGINE (default wasmi) on the workloads;
#   2. RUNS comparisons of slow:ENGINE:25 against it — the rate flagged (exit 1);
#   3. RUNS A/A comparisons of ENGINE against it — the rate flagged (false alarms);
#   4. RUNS/2 comparisons at each smaller slowdown in SLOWDOWNS, to find the
#      smallest the defaults detect reliably (at least 95 % of runs).
# Every comparison uses wasmgate perf's defaults (10 % threshold, 95 % Welch
# interval on log times, Bonferroni over the comparisons).
# Usage: scripts/perf-detection.sh [RUNS]   (default 20)
#   ENGINE=wasmtime-cranelift  SLOWDOWNS="5 10 15 20"  WORKLOADS=fib,sieve,…  REPS=40
#   PHASE=compile (slows that phase instead of execute: slow:ENGINE:PCT@compile;
#   with WORKLOADS=codegen, the built-in workload whose compile is over the gate
#   floor; compile gates from COMPILE_FLOOR ms, default 0)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-20}
engine=${ENGINE:-wasmi}
slowdowns=${SLOWDOWNS:-"5 10 15 20"}
workloads=${WORKLOADS:-}
reps=${REPS:-}
phase=${PHASE:-execute}
at=""
[ "$phase" != execute ] && at="@$phase"
wasmgate=${WASMGATE:-target/release/wasmgate}
[ -x "$wasmgate" ] || cargo build --release --quiet
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
common=(--no-history --baseline-dir "$tmp/baselines" -q)
[ -n "$workloads" ] && common+=(--workload "$workloads")
[ -n "$reps" ] && common+=(--reps "$reps")
[ "$phase" = compile ] && common+=(--compile-gate-floor "${COMPILE_FLOOR:-0}")
perf() { "$wasmgate" perf "${common[@]}" "$@" >"$tmp/out.txt" 2>"$tmp/err.txt"; }

perf --engines "$engine" --save-baseline base --out "$tmp/r" \
  || { echo "error: the baseline run failed:"; cat "$tmp/err.txt"; exit 2; } >&2

# RATE SPEC N: how many of N comparisons of SPEC against the baseline exit 1.
rate() {
  local spec=$1 n=$2 flagged=0 code
  for _ in $(seq "$n"); do
    code=0
    perf --engines "$spec" --baseline base --out "$tmp/r" || code=$?
    case $code in
      0) ;;
      1) flagged=$((flagged + 1)) ;;
      *) { echo "error: wasmgate perf --engines $spec exited $code:"; cat "$tmp/err.txt"; } >&2; exit 2 ;;
    esac
  done
  echo "$flagged"
}

slow=$(rate "slow:$engine:25$at" "$runs")
aa=$(rate "$engine" "$runs")
pct() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f", 100 * a / b }'; }
echo "slow:$engine:25$at flagged $slow of $runs ($(pct "$slow" "$runs") %; target >= 95 %)"
echo "A/A $engine flagged $aa of $runs ($(pct "$aa" "$runs") %; target <= 5 %)"
smallest=""
half=$(( (runs + 1) / 2 ))
for pct in $slowdowns; do
  hit=$(rate "slow:$engine:$pct$at" "$half")
  printf 'slow:%s:%s%s flagged %d of %d\n' "$engine" "$pct" "$at" "$hit" "$half"
  if [ -z "$smallest" ] && [ $((hit * 100)) -ge $((half * 95)) ]; then smallest=$pct; fi
done
if [ -z "$smallest" ] && [ $((slow * 100)) -ge $((runs * 95)) ]; then smallest=25; fi
echo "smallest slowdown flagged in >= 95 % of runs: ${smallest:-none up to 25}${smallest:+ %}"
