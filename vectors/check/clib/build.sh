#!/usr/bin/env bash
# Builds clib.wasm from clib.c with Debian's clang and lld (no libc needed).
# The result is committed; rebuilding gives the same bytes (`--check` says so).
set -euo pipefail
cd "$(dirname "$0")"
out=clib.wasm
if [[ "${1:-}" == "--check" ]]; then out=$(mktemp --suffix=.wasm); trap 'rm -f "$out"' EXIT; fi
clang --target=wasm32 -O2 -nostdlib -ffreestanding -fno-ident \
    -Wl,--no-entry -Wl,--import-memory -Wl,--strip-all -Wl,-z,stack-size=16384 \
    -Wl,--initial-memory=131072 \
    -o "$out" clib.c
if [[ "${1:-}" == "--check" ]]; then
    cmp "$out" clib.wasm && echo "clib.wasm rebuilds byte-identically"
fi
