#!/usr/bin/env bash
# Runs the steps of examples/ci/github-actions.yml and gitlab-ci.yml on this
# machine, command for command: build the module (when clang is installed;
# otherwise the committed .wasm is used), check it against its golden vectors,
# check it against the previous release, and collect the reports as the CI
# artifacts would be. Exits with the first failing step's code.
#
# Usage: examples/ci/local.sh [REPORTS]   (default: a new temporary folder)
# Environment: WASMGATE (the command, default `cargo run --release --quiet --`).
set -uo pipefail
cd "$(dirname "$0")/../.."
reports=${1:-$(mktemp -d)}
wasmgate=${WASMGATE:-cargo run --release --quiet --}
# As the CI files do: these engines must run, or the step fails.
export WASMGATE_REQUIRE_ENGINES=${WASMGATE_REQUIRE_ENGINES:-wasmtime-cranelift,wasmer-cranelift,wasmi,v8-turbofan}
step() { echo "== $1"; shift; "$@"; local code=$?; [ "$code" -eq 0 ] || { echo "local: step failed with exit $code" >&2; exit "$code"; }; }

if command -v clang >/dev/null && command -v wasm-ld >/dev/null; then
  step "build the module" vectors/check/clib/build.sh --check
else
  echo "== build the module: clang and lld are not installed; using the committed .wasm"
fi
step "check it against its golden vectors" \
  $wasmgate check --vectors vectors/check/clib/golden.toml --out "$reports/check"
step "check it is compatible with the previous release" \
  $wasmgate compat vectors/check/clib/clib-1.0.wasm vectors/check/clib/clib.wasm --vectors vectors/check/clib/imports.toml --calls 8 --out "$reports/compat"
for f in check/report.sarif check/report.xml compat/report.xml compat/summary.md; do
  [ -f "$reports/$f" ] || { echo "local: $f was not written" >&2; exit 1; }
done
echo "local: the module passed; reports in $reports"
