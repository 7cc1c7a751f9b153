#!/usr/bin/env bash
# Builds aslib.wasm from lib.ts with AssemblyScript 0.28.20 (from npm, into a
# temporary folder; nothing is installed globally) and `--exportRuntime`, so
# callers can make and pin managed objects. It is committed; rebuilding gives
# the same bytes (`--check` says so). ASC overrides the compiler command.
set -euo pipefail
cd "$(dirname "$0")"
version=0.28.20
tools=$(mktemp -d); trap 'rm -rf "$tools"' EXIT
if [[ -z "${ASC:-}" ]]; then
  if ! (cd "$tools" && npm install --silent --no-audit --no-fund "assemblyscript@$version" >/dev/null 2>&1); then
    echo "cannot fetch assemblyscript@$version from npm" >&2
    exit 3
  fi
  ASC="$tools/node_modules/.bin/asc"
fi
build() { # OUT
  "$ASC" lib.ts --exportRuntime --runtime incremental -O3 --noAssert --outFile "$1"
}
if [[ "${1:-}" == "--check" ]]; then
  build "$tools/aslib.wasm"
  cmp "$tools/aslib.wasm" aslib.wasm && echo "aslib.wasm rebuilds byte-identically"
else
  build aslib.wasm
fi
