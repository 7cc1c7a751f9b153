#!/usr/bin/env bash
# Builds textlib.wasm (release 1.1) and textlib-1.0.wasm (the previous release,
# for `wasmgate compat`) from textlib.c with Debian's clang, lld, wasi-libc and
# libclang-rt-dev-wasm32: a reactor module whose only imports-free runtime is
# wasi-libc's malloc. Both are committed; rebuilding gives the same bytes
# (`--check` says so).
set -euo pipefail
cd "$(dirname "$0")"
build() { # OUT [CLANG FLAGS…]
  local out=$1; shift
  clang --target=wasm32-wasi -O2 -fno-ident -ffile-prefix-map="$PWD"=. \
    -mexec-model=reactor -Wl,--strip-all "$@" -o "$out" textlib.c
}
if [[ "${1:-}" == "--check" ]]; then
  tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
  build "$tmp/textlib.wasm"
  build "$tmp/textlib-1.0.wasm" -DPREVIOUS_RELEASE
  cmp "$tmp/textlib.wasm" textlib.wasm && cmp "$tmp/textlib-1.0.wasm" textlib-1.0.wasm \
    && echo "textlib.wasm and textlib-1.0.wasm rebuild byte-identically"
else
  build textlib.wasm
  build textlib-1.0.wasm -DPREVIOUS_RELEASE
fi
