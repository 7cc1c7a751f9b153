#!/usr/bin/env bash
# Builds the perf workloads (NAME.c → NAME.wasm) with Debian's clang and lld,
# freestanding (no libc, no imports). Each exports `run(n: i32) -> i64`, a
# checksum every engine must agree on. The .wasm files are committed;
# rebuilding gives the same bytes (`--check` says so).
set -euo pipefail
cd "$(dirname "$0")"
build() { # SOURCE OUT
  clang --target=wasm32 -O2 -nostdlib -ffreestanding -fno-ident -mbulk-memory \
    -Wl,--no-entry -Wl,--strip-all -Wl,-z,stack-size=65536 -o "$2" "$1"
}
programs=(*.c)
if [[ "${1:-}" == "--check" ]]; then
  tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
  for c in "${programs[@]}"; do
    build "$c" "$tmp/${c%.c}.wasm"
    cmp "$tmp/${c%.c}.wasm" "${c%.c}.wasm"
  done
  echo "${#programs[@]} workloads rebuild byte-identically"
else
  for c in "${programs[@]}"; do build "$c" "${c%.c}.wasm"; done
fi
