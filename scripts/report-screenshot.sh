#!/usr/bin/env bash
# Opens a report.html in headless Chromium and saves a screenshot, as a
# check that the page renders with its charts in a real browser. Installs
# Debian's `chromium` if it is absent (as root, through apt-get).
#
# Usage: scripts/report-screenshot.sh [REPORT.html [OUT.png]]
#   Without a report, makes one: a short `wasmgate perf` run (two workloads,
#   two engines, appended to a scratch history twice, so the trend chart has
#   two runs) and screenshots its report.html.
# Prints the screenshot's path and size, and the number of charts on the page;
# exits 2 if the page has no chart or the screenshot is missing or blank.
set -euo pipefail
cd "$(dirname "$0")/.."
wasmgate=${WASMGATE:-target/release/wasmgate}
if ! command -v chromium >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "error: chromium is not installed (apt-get install chromium)" >&2
    exit 2
  fi
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
html=${1:-}
out=${2:-reports/report-screenshot.png}
if [ -z "$html" ]; then
  [ -x "$wasmgate" ] || cargo build --release --quiet
  for run in 1 2; do
    "$wasmgate" perf --workload fib,crc32 --engines wasmtime-cranelift,wasmi --reps 5 -q \
      --history "$tmp/history.sqlite" --out "$tmp/perf$run" >/dev/null
  done
  html=$tmp/perf2/report.html
fi
[ -f "$html" ] || { echo "error: no report at $html" >&2; exit 2; }
charts=$(grep -o '<svg' "$html" | wc -l)
if [ "$charts" -eq 0 ]; then
  echo "error: $html has no chart" >&2
  exit 2
fi
mkdir -p "$(dirname "$out")"
rm -f "$out"
timeout 120 chromium --headless --no-sandbox --disable-gpu --hide-scrollbars \
  --user-data-dir="$tmp/profile" --window-size=1280,2400 --screenshot="$out" \
  "file://$(realpath "$html")" >/dev/null 2>&1 || true
size=$(stat -c %s "$out" 2>/dev/null || echo 0)
# A blank 1280×2400 page compresses to a few kilobytes; charts and tables do not.
if [ "$size" -lt 30000 ]; then
  echo "error: the screenshot $out is missing or blank ($size bytes)" >&2
  exit 2
fi
echo "$out: $size bytes, $charts charts in $html"
