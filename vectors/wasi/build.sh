#!/usr/bin/env bash
# Builds the WASI test programs (NAME.c -> NAME.wasm, wasm32-wasi command
# programs) with Debian's clang, lld, wasi-libc and libclang-rt-dev-wasm32.
# The .wasm files are committed; rebuilding gives the same bytes (`--check`
# rebuilds into a temporary folder and compares).
set -euo pipefail
cd "$(dirname "$0")"
PROGRAMS=(args floats files exit stdin env probe)
build() { # SRC OUT
  clang --target=wasm32-wasi -O2 -fno-ident -ffile-prefix-map="$PWD"=. \
    -Wl,--strip-all -o "$2" "$1" -lm
}
if [[ "${1:-}" == "--check" ]]; then
  tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
  for p in "${PROGRAMS[@]}"; do
    build "$p.c" "$tmp/$p.wasm"
    cmp "$tmp/$p.wasm" "$p.wasm"
  done
  echo "${#PROGRAMS[@]} programs rebuild byte-identically"
else
  for p in "${PROGRAMS[@]}"; do build "$p.c" "$p.wasm"; done
fi
