#!/usr/bin/env bash
# Regenerates the conformance tables in docs/src/conformance.md from fresh runs of the tool:
# `wasmgate conformance` on wasm-v2 (every engine), whose summary.md per-engine
# totals table replaces the lines between the chapter's `conformance` markers;
# then every suite (the spec versions and each proposal folder), whose
# report.json totals make the suite × engine table between the
# `conformance-suites` markers (python3 reads the reports).
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cargo build --release --quiet
wasmgate=target/release/wasmgate
$wasmgate conformance -q --out "$out/r" >/dev/null || true
[ -f "$out/r/summary.md" ] || { echo "conformance run wrote no summary" >&2; exit 2; }
# The totals table: from its header line to the first blank line.
awk '/^\| engine \| version \| passed/{on=1} on&&/^$/{exit} on' "$out/r/summary.md" >"$out/table.md"
[ -s "$out/table.md" ] || { echo "no totals table in summary.md" >&2; exit 2; }

# Every suite, one report each.
suites=$($wasmgate conformance --list-suites)
for suite in $suites; do
  $wasmgate conformance -q --suite "$suite" --out "$out/suites/${suite//\//_}" >/dev/null || true
done
python3 - "$out/suites" $suites >"$out/suites.md" <<'PY'
import json, os, sys
folder, suites = sys.argv[1], sys.argv[2:]
reports = {}
for suite in suites:
    path = os.path.join(folder, suite.replace("/", "_"), "report.json")
    if os.path.exists(path):
        reports[suite] = json.load(open(path))
engines = [e["name"] for e in next(iter(reports.values()))["engines"]]
print("| suite | " + " | ".join(f"`{e}`" for e in engines) + " |")
print("|---|" + "---:|" * len(engines))
for suite in suites:
    r = reports.get(suite)
    if r is None:
        print(f"| `{suite}` | " + " | ".join("no report" for _ in engines) + " |")
        continue
    cells = []
    for e in engines:
        t = r["totals"].get(e)
        if t is None:
            cells.append("unavailable")
            continue
        ran = t["passed"] + t["failed"] + t["expected_failures"]
        if ran == 0:
            reasons = r["skip_reasons"].get(e, {})
            why = max(reasons, key=reasons.get) if reasons else "skipped"
            cells.append(f"— {why}")
            continue
        cell = str(t["passed"])
        if t["expected_failures"]:
            cell += f" +{t['expected_failures']} xf"
        if t["failed"]:
            cell += f" **{t['failed']} failed**"
        if t["skipped"]:
            cell += f" ({t['skipped']} s)"
        cells.append(cell)
    print(f"| `{suite}` | " + " | ".join(cells) + " |")
PY

awk -v table="$out/table.md" -v suites="$out/suites.md" '
  /<!-- conformance:begin -->/ {print; while ((getline line < table) > 0) print line; skip=1; next}
  /<!-- conformance:end -->/ {skip=0}
  /<!-- conformance-suites:begin -->/ {print; while ((getline line < suites) > 0) print line; skip=1; next}
  /<!-- conformance-suites:end -->/ {skip=0}
  !skip' docs/src/conformance.md >"$out/conformance.md"
mv "$out/conformance.md" docs/src/conformance.md
echo "docs/src/conformance.md: conformance tables updated"
