#!/usr/bin/env bash
# Replays the hostile modules of vectors/hostile/ (memory to its maximum, memory
# fill, table growth, deep recursion, a 2^63-iteration loop, a looping start
# function) on every engine with `wasmgate repro --wasm`, and checks, per module:
#   - no divergence (exit 0: the engines agree; or exit 2 with the verdict
#     inconclusive — every engine hung — which compared nothing);
#   - the whole process tree (wasmgate, workers, node, jsc, the browser) peaks
#     under 2 GiB (summed PSS), plus 1 GiB per Firefox: each engine may hold a
#     256 MiB memory, and an engine process gives a large one back (a garbage
#     collection as it is reset) before the next engine runs;
#   - the wall time stays under twice what the CPU time limits allow: a
#     module every engine hangs on uses the limit (--timeout, in CPU seconds)
#     once in the worker and once per engine alone, the engines sharing the
#     machine's cores — t x (1 + engines / cores) — plus 5 s for starting
#     fresh worker processes and their engines, and 5 s more per headless
#     browser;
#   - no wasmgate or node process is left behind.
# Prints a table and exits non-zero on any violation.
#
# Usage: scripts/hostile.sh [TIMEOUT_SECONDS]   (default 5)
# Environment: WASMGATE (default `cargo run --release --quiet --`), ENGINES
# (default: every engine in this build), MODULES (default: vectors/hostile/*.wat).
set -uo pipefail
cd "$(dirname "$0")/.."
timeout=${1:-5}
wasmgate=${WASMGATE:-cargo run --release --quiet --}
engines=${ENGINES:+--engines $ENGINES}
modules=${MODULES:-vectors/hostile/*.wat}
if [ -n "${ENGINES:-}" ]; then
  names=$(echo "$ENGINES" | tr ',' '\n' | grep .)
else
  names=$($wasmgate engines | tail -n +2 | grep -v 'WASI preview1' | awk '{print $1}')
fi
count=$(echo "$names" | grep -c .)
# A headless Firefox is 7 processes of about 430 MiB in all, started twice
# (the command's own, which tells its version and features, and the worker's).
firefoxes=$(echo "$names" | grep -c firefox)
limit_kib=$(((2 + firefoxes) * 1024 * 1024))
cores=$(nproc)
# Each headless browser takes a few seconds to start in each fresh worker.
browsers=$(echo "$names" | grep -cE 'chromium|firefox')
bound=$(awk -v t="$timeout" -v e="$count" -v c="$cores" -v b="$browsers" 'BEGIN { printf "%.0f", 2 * t * (1 + e / c) + 5 + 5 * b }')
failed=0

seen=$(mktemp)
# Summed memory (KiB) of process $1 and all its descendants; their pids go to
# $seen (one `ps`, one `cat` and two `awk` per sample, however many processes). Proportional set size (PSS, /proc/PID/smaps_rollup): a page shared by
# several processes (a browser's zygote-forked children, say) counts once in
# total, where summed RSS would count it once per process.
tree_rss() {
  ps -e -o pid=,ppid=,rss= | awk -v root="$1" -v seen="$seen" '
    { parent[$1] = $2; rss[$1] = $3 }
    END {
      for (p in rss) {
        q = p
        while (q != "" && q != root && q != 0 && q != 1) q = parent[q]
        if (q == root) { print p >> seen; print "/proc/" p "/smaps_rollup" }
      }
    }' | xargs -r cat 2>/dev/null | awk '/^Pss:/ { total += $2 } END { print total + 0 }'
}

# The processes of our runs that are still alive (not gone, not zombies).
leftovers() {
  sort -u "$seen" | while read -r p; do
    state=$(ps -o stat= -p "$p" 2>/dev/null)
    [ -n "$state" ] && [ "${state#Z}" = "$state" ] && echo "$p"
  done | wc -l
}

printf '%-22s %-6s %9s %9s  %s\n' module exit wall_s pss_MiB verdict
for module in $modules; do
  out=$(mktemp)
  start=$(date +%s.%N)
  $wasmgate repro --wasm "$module" --timeout "$timeout" $engines > "$out" 2>&1 &
  pid=$!
  peak=0
  while kill -0 "$pid" 2>/dev/null; do
    rss=$(tree_rss "$pid")
    [ "$rss" -gt "$peak" ] && peak=$rss
    sleep 0.1
  done
  wait "$pid"; code=$?
  wall=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
  verdict=$(grep -m1 '^verdict:' "$out" | cut -c1-60)
  printf '%-22s %-6s %9.1f %9d  %s\n' "$(basename "$module")" "$code" "$wall" $((peak / 1024)) "$verdict"
  problem=""
  if [ "$code" -ne 0 ] && ! { [ "$code" -eq 2 ] && grep -q '^verdict: inconclusive' "$out"; }; then
    problem="exit $code (divergence or error)"
  fi
  [ "$peak" -lt "$limit_kib" ] || problem="$problem; peak PSS $((peak / 1024)) MiB"
  awk -v w="$wall" -v b="$bound" 'BEGIN { exit !(w < b) }' || problem="$problem; wall ${wall}s >= ${bound}s"
  if [ -n "$problem" ]; then
    echo "  FAILED: $problem" >&2
    sed 's/^/  | /' "$out" >&2
    failed=1
  fi
  rm -f "$out"
done
sleep 0.5
after=$(leftovers)
echo "worker and engine processes started: $(sort -u "$seen" | wc -l), still running after the runs: $after"
[ "$after" -eq 0 ] || { echo "FAILED: processes left behind: $(sort -u "$seen" | tr '\n' ' ')" >&2; failed=1; }
rm -f "$seen"
exit $failed
