#!/usr/bin/env bash
# Runs per second of a seeded-argument sweep, side by side in one run:
#   wasmgate wasi: each runtime compiles args.wasm once and runs it RUNS times
#                  in its WASI worker process (node-wasi in one kept node
#                  process below it);
#   node per run:  a new `node` process per run, as a shell loop over the
#                  runtime's own CLI would do (node:wasi, the same program).
# Usage: scripts/wasi-bench.sh [RUNS [CLI_RUNS]]   (defaults 1000 and 50)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-1000}
cli_runs=${2:-50}
wasmgate=${WASMGATE:-target/release/wasmgate}
[ -x "$wasmgate" ] || cargo build --release --quiet
node=${NODE:-node}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/run.mjs" <<'JS'
import { WASI } from "node:wasi";
import { readFileSync } from "node:fs";
const [program, ...args] = process.argv.slice(2);
const wasi = new WASI({ version: "preview1", args: [program, ...args], env: {}, returnOnExit: true });
const module = new WebAssembly.Module(readFileSync(program));
process.exitCode = wasi.start(new WebAssembly.Instance(module, wasi.getImportObject()));
JS
program=vectors/wasi/args.wasm
start=$(date +%s%N)
"$wasmgate" wasi "$program" --random-args u32,u32 --seed 42 --count "$runs" --out "$tmp/report" >"$tmp/out.txt" 2>"$tmp/err.txt" \
  || { cat "$tmp/err.txt" >&2; exit 2; }
wall_ns=$(( $(date +%s%N) - start ))
start=$(date +%s%N)
for i in $(seq 1 "$cli_runs"); do
  "$node" --no-warnings "$tmp/run.mjs" "$program" "$i" "$((i * 7919))" >/dev/null
done
cli_ns=$(( $(date +%s%N) - start ))
cli_rate=$(awk -v n="$cli_runs" -v t="$cli_ns" 'BEGIN { printf "%.1f", n / (t / 1e9) }')
echo "seeded sweep of $program: $runs runs per runtime (wasmgate wasi), $cli_runs runs of node per process"
printf "%-14s %12s %12s\n" runtime "runs/s" "vs node CLI"
grep -E '^[a-z-]+: [0-9]+ runs, [0-9]+ runs/s' "$tmp/out.txt" | while read -r name n _ rate _; do
  printf "%-14s %12s %11sx\n" "${name%:}" "$rate" "$(awk -v a="$rate" -v b="$cli_rate" 'BEGIN { printf "%.0f", a / b }')"
done
printf "%-14s %12s %12s\n" "node per run" "$cli_rate" "1x"
awk -v r="$runs" -v t="$wall_ns" 'BEGIN { printf "whole sweep, every runtime and the comparison: %.2f s wall, %.0f runs/s per runtime\n", t / 1e9, r / (t / 1e9) }'
