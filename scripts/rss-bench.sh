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
# Warm-up: the first fifth of the run. Growth: peak after warm-up vs the warm-up level.
n=${#samples[@]}
if [ "$n" -ge 5 ]; then
  warm=$(( n / 5 ))
  base=${samples[$warm]#*:}
  peak=0
  for s in "${samples[@]:$warm}"; do v=${s#*:}; [ "$v" -gt "$peak" ] && peak=$v; done
  awk -v b="$base" -v p="$peak" 'BEGIN { printf "warm-up RSS %.1f MiB, peak after warm-up %.1f MiB, growth %.1f%%\n", b / 1024, p / 1024, (p - b) * 100 / b }'
fi
