#!/usr/bin/env bash
# Builds rustlib.wasm from lib.rs with Debian's rustc and its wasm32 standard
# library (`apt-get install rustc libstd-rust-dev-wasm32`; plain rustc, no
# cargo, no crates): a cdylib for wasm32-unknown-unknown. It is committed;
# rebuilding gives the same bytes (`--check` says so). RUSTC overrides the
# compiler (the committed file was built by Debian's 1.63).
set -euo pipefail
cd "$(dirname "$0")"
rustc=${RUSTC:-/usr/bin/rustc}
build() { # OUT
  "$rustc" --edition 2021 --crate-type cdylib --target wasm32-unknown-unknown \
    -C opt-level=2 -C panic=abort -C strip=symbols -C debuginfo=0 \
    --remap-path-prefix "$PWD"=. -o "$1" lib.rs
}
if [[ "${1:-}" == "--check" ]]; then
  tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
  build "$tmp/rustlib.wasm"
  cmp "$tmp/rustlib.wasm" rustlib.wasm && echo "rustlib.wasm rebuilds byte-identically"
else
  build rustlib.wasm
fi
