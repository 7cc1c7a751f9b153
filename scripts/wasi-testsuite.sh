#!/usr/bin/env bash
# Builds the preview1 tests of a checkout of the official WASI testsuite
# (github.com/WebAssembly/wasi-testsuite) and runs them with `wasmgate wasi`.
#
# The checkout holds sources only; the tests are built into OUT laid out as
# the suite's own runner reads them (NAME.wasm beside its NAME.json, the
# fixture folder `fs-tests.dir` beside them), one folder per language:
#   c/               the C tests: Debian's clang, lld, wasi-libc
#   rust/            the Rust tests: cargo with rustup's wasm32-wasip1 target
#   assemblyscript/  the AssemblyScript tests: npm's assemblyscript and
#                    @assemblyscript/wasi-shim (when npm can fetch them)
# A language whose tool chain is missing is left out, saying so. Then
# `wasmgate wasi OUT` runs every test on every WASI runtime and prints each
# runtime's passed/failed/skipped against the suite's expectations.
#
# Usage: scripts/wasi-testsuite.sh CHECKOUT [OUT] [wasmgate wasi flags…]
# Environment: WASMGATE (default `cargo run --release --quiet --`).
set -uo pipefail
[ $# -ge 1 ] || { echo "usage: scripts/wasi-testsuite.sh CHECKOUT [OUT] [flags…]" >&2; exit 2; }
checkout=$(cd "$1" && pwd) || exit 2
out=${2:-$(mktemp -d)}
shift; [ $# -gt 0 ] && shift
wasmgate=${WASMGATE:-cargo run --release --quiet --}
mkdir -p "$out"; out=$(cd "$out" && pwd)
[ -d "$checkout/tests" ] || { echo "wasi-testsuite: $checkout has no tests/ folder" >&2; exit 2; }

# C: one program per source file.
c="$checkout/tests/c/src"
if [ -d "$c" ] && command -v clang >/dev/null; then
  mkdir -p "$out/c"
  n=0
  for src in "$c"/*.c; do
    name=$(basename "$src" .c)
    clang --target=wasm32-wasi -O2 -o "$out/c/$name.wasm" "$src" 2>"$out/c/$name.log" \
      && { n=$((n + 1)); rm -f "$out/c/$name.log"; } \
      || echo "wasi-testsuite: C test $name did not build (see $out/c/$name.log)" >&2
    [ -f "$c/$name.json" ] && cp "$c/$name.json" "$out/c/"
  done
  cp -r "$c/fs-tests.dir" "$out/c/"
  echo "wasi-testsuite: $n C tests built"
else
  echo "wasi-testsuite: C tests left out (no clang, or no tests/c/src)" >&2
fi

# Rust: the suite's support library and one binary per src/bin/*.rs.
r="$checkout/tests/rust/wasm32-wasip1"
if [ -d "$r/src/bin" ] && rustup target list --installed 2>/dev/null | grep -qx wasm32-wasip1; then
  crate=$(mktemp -d)
  cp -r "$r/src" "$crate/"
  rm -rf "$crate/src/bin/fs-tests.dir"
  cat > "$crate/Cargo.toml" <<'TOML'
[package]
name = "wasi_tests"
version = "0.0.0"
edition = "2024"
publish = false

[dependencies]
libc = "0.2"
once_cell = "1"
wasip1 = "1"

[profile.release]
debug = false
TOML
  mkdir -p "$out/rust"
  if (cd "$crate" && CARGO_TARGET_DIR="$crate/target" cargo build -q --release --target wasm32-wasip1 --bins \
        2>"$out/rust-build.log"); then
    cp "$crate"/target/wasm32-wasip1/release/*.wasm "$out/rust/"
    cp "$r"/src/bin/*.json "$out/rust/" 2>/dev/null
    cp -r "$r/src/bin/fs-tests.dir" "$out/rust/"
    echo "wasi-testsuite: $(ls "$out"/rust/*.wasm | wc -l) Rust tests built"
  else
    echo "wasi-testsuite: the Rust tests did not build (see $out/rust-build.log)" >&2
  fi
  rm -rf "$crate"
else
  echo "wasi-testsuite: Rust tests left out (needs \`rustup target add wasm32-wasip1\`)" >&2
fi

# AssemblyScript: asc with the WASI shim, from npm.
a="$checkout/tests/assemblyscript/wasm32-wasip1/src"
if [ -d "$a" ] && command -v npm >/dev/null; then
  tools=$(mktemp -d)
  if (cd "$tools" && npm install --silent --no-audit --no-fund assemblyscript @assemblyscript/wasi-shim >/dev/null 2>&1); then
    mkdir -p "$out/assemblyscript"
    n=0
    for src in "$a"/*.ts; do
      name=$(basename "$src" .ts)
      cp "$src" "$tools/$name.ts"
      (cd "$tools" && npx --no-install asc "$name.ts" --config node_modules/@assemblyscript/wasi-shim/asconfig.json \
        -O2 -o "$out/assemblyscript/$name.wasm" >/dev/null 2>&1) && n=$((n + 1)) \
        || echo "wasi-testsuite: AssemblyScript test $name did not build" >&2
      [ -f "$a/$name.json" ] && cp "$a/$name.json" "$out/assemblyscript/"
    done
    echo "wasi-testsuite: $n AssemblyScript tests built"
  else
    echo "wasi-testsuite: AssemblyScript tests left out (npm could not install assemblyscript)" >&2
  fi
  rm -rf "$tools"
fi

echo "wasi-testsuite: running wasmgate wasi $out"
$wasmgate wasi "$out" "$@"
