#!/usr/bin/env bash
# Peak RSS of a long campaign, sampled over its whole life: supervisor, worker
# processes and their node children summed. Prints one line per sample and, at
# the end, the growth of RSS after warm-up (target: flat, under 10 %).
#
#   scripts/rss-bench.sh [DURATION] [extra `wasmgate run` flags…]
#   scripts/rss-bench.sh 30m --engines wasmtime-cranelift,wasmi,crash:wasmi:i64.rem_s,hang:wasmi:f32.sqrt --timeout 3
set -euo pipefail
cd "$(dirname "$0")/.."
duration="${1:-30m}"
shift || true
cargo build --release -q
out="$(mktemp -d)/rss-run"
./target/release/wasmgate run --time "$duration" -q --out "$out" "$@" > "$out.log" 2>&1 &
root=$!
interval=15

tree_rss_kb() {
  local pids
  pids=$(ps -e -o pid=,ppid= | awk -v root="$1" '
    { parent[$1] = $2 } END {
      keep[root] = 1; changed = 1
      while (changed) { changed = 0; for (p in parent) if (!(p in keep) && (parent[p] in keep)) { keep[p] = 1; changed = 1 } }
      for (p in keep) print p }')
  local total=0
  for p in $pids; do
    local kb
    kb=$(awk '/^VmRSS:/ { print $2 }' "/proc/$p/status" 2>/dev/null || true)
    total=$((total + ${kb:-0}))
  done
  echo "$total"
}

echo "elapsed_s rss_mib"
samples=()
start=$(date +%s)
while kill -0 "$root" 2>/dev/null; do
  kb=$(tree_rss_kb "$root")
  now=$(( $(date +%s) - start ))
  [ "$kb" -gt 0 ] && { samples+=("$now:$kb"); printf '%9d %7.1f\n' "$now" "$(awk -v k="$kb" 'BEGIN { print k / 1024 }')"; }
  sleep "$interval"
done
wait "$root" || true
tail -n 20 "$out.log" | grep -E "^wasmgate:|^finding|^report" || true
# Warm-up: the first fifth of the run. Engine processes are recycled, so RSS is
# a sawtooth: compare the peak of the later half with the peak of the earlier
# half of what follows warm-up; a leak shows as a higher later peak.
n=${#samples[@]}
if [ "$n" -ge 6 ]; then
  warm=$(( n / 5 ))
  mid=$(( warm + (n - warm) / 2 ))
  early=0; late=0
  for ((i = warm; i < n; i++)); do
    v=${samples[$i]#*:}
    if [ "$i" -lt "$mid" ]; then [ "$v" -gt "$early" ] && early=$v; else [ "$v" -gt "$late" ] && late=$v; fi
  done
  awk -v e="$early" -v l="$late" 'BEGIN { printf "after warm-up: peak RSS %.1f MiB in the earlier half, %.1f MiB in the later half: growth %.1f%%\n", e / 1024, l / 1024, (l - e) * 100 / e }'
fi
