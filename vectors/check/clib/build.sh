#!/usr/bin/env bash
# Builds clib.wasm (release 1.1) and clib-1.0.wasm (the previous release, for
# `wasmgate compat`) from clib.c with Debian's clang and lld (no libc needed).
# Both are committed; rebuilding gives the same bytes (`--check` says so).
set -euo pipefail
cd "$(dirname "$0")"
build() { # OUT [CLANG FLAGS…]
  local out=$1; shift
  clang --target=wasm32 -O2 -nostdlib -ffreestanding -fno-ident "$@" \
    -Wl,--no-entry -Wl,--import-memory -Wl,--strip-all -Wl,-z,stack-size=16384 \
    -Wl,--initial-memory=131072 \
    -o "$out" clib.c
}
if [[ "${1:-}" == "--check" ]]; then
  tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
  build "$tmp/clib.wasm"
  build "$tmp/clib-1.0.wasm" -DPREVIOUS_RELEASE
  cmp "$tmp/clib.wasm" clib.wasm && cmp "$tmp/clib-1.0.wasm" clib-1.0.wasm \
    && echo "clib.wasm and clib-1.0.wasm rebuild byte-identically"
else
  build clib.wasm
  build clib-1.0.wasm -DPREVIOUS_RELEASE
fi
