#!/usr/bin/env bash
# Regenerates the conformance table in README.md from a fresh run of the tool:
# `wasmgate conformance` (wasm-v2, every engine), then the per-engine totals
# table of its summary.md replaces the lines between the README's markers.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cargo run --release --quiet -- conformance -q --out "$out/r" >/dev/null || true
[ -f "$out/r/summary.md" ] || { echo "conformance run wrote no summary" >&2; exit 2; }
# The totals table: from its header line to the first blank line.
awk '/^\| engine \| version \| passed/{on=1} on&&/^$/{exit} on' "$out/r/summary.md" >"$out/table.md"
[ -s "$out/table.md" ] || { echo "no totals table in summary.md" >&2; exit 2; }
awk -v table="$out/table.md" '
  /<!-- conformance:begin -->/ {print; while ((getline line < table) > 0) print line; skip=1; next}
  /<!-- conformance:end -->/ {skip=0}
  !skip' README.md >"$out/README.md"
mv "$out/README.md" README.md
echo "README.md: conformance table updated"
