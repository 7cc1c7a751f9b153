#!/usr/bin/env bash
# Builds wasmgate against your own checkout of wasmtime, wasmer or wasmi, as
# a runtime developer does before fuzzing the engine they are changing.
#
#   scripts/build-against.sh [--dry-run] CHECKOUT...
#
# Every crate of a CHECKOUT that this build's Cargo.lock uses (wasmtime,
# wasmtime-wasi, cranelift-*, wasmer-*, wasmi, wasmi_core, …) replaces the
# registry's through a [patch.crates-io] given on cargo's command line, and
# the workspace's exact pins of those runtimes are moved to the checkout's
# versions — in a copy of the workspace under WORK (default
# target/against), so this repository is left as it is. It then builds that
# copy and prints `wasmgate engines` of the result: the engine versions it
# got. --dry-run prints the patches, the moved pins and the cargo command,
# writes the copy, and builds nothing. A checkout whose API moved past what wasmgate's
# adapters call fails to build with the compiler's errors: the adapters are
# one file each in runners/src/native/ and runners/src/wasi/.
#
# Afterwards: WORK/target/release/wasmgate run --engines wasmtime-cranelift,wasmi,…
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
dry=0
if [ "${1:-}" = "--dry-run" ]; then dry=1; shift; fi
[ $# -gt 0 ] || { echo "usage: scripts/build-against.sh [--dry-run] CHECKOUT..." >&2; exit 2; }
work=${WORK:-$repo/target/against}

# The crates this build links, by name.
locked=$(sed -n 's/^name = "\(.*\)"$/\1/p' "$repo/Cargo.lock" | sort -u)
# The runtimes the workspace pins exactly (their pins move to the checkout's versions).
pinned="wasmtime wasmtime-wasi wasmer wasmer-wasix wasmi wasmi_wasi"

# A manifest's [package] key, or the checkout's [workspace.package] one
# when the package inherits it (`version.workspace = true`).
package_key() { sed -n '/^\[package\]/,/^\[/{s/^'"$2"' *= *"\([^"]*\)".*/\1/p}' "$1" | head -1; }
workspace_version() { sed -n '/^\[workspace.package\]/,/^\[/{s/^version *= *"\([^"]*\)".*/\1/p}' "$1" | head -1; }

configs=()
moves=()
for checkout in "$@"; do
  [ -d "$checkout" ] || { echo "error: \`$checkout\` is not a folder (give the root of a wasmtime, wasmer or wasmi checkout)" >&2; exit 2; }
  checkout=$(cd "$checkout" && pwd)
  root_version=$( [ -f "$checkout/Cargo.toml" ] && workspace_version "$checkout/Cargo.toml" || true)
  found=0
  while IFS= read -r manifest; do
    name=$(package_key "$manifest" name)
    [ -n "$name" ] && grep -qx -- "$name" <<<"$locked" || continue
    version=$(package_key "$manifest" version)
    [ -n "$version" ] || version=$root_version
    dir=$(dirname "$manifest")
    echo "patch $name $version $dir"
    configs+=(--config "patch.crates-io.$name.path=\"$dir\"")
    found=$((found + 1))
    if [[ " $pinned " == *" $name "* ]]; then
      moves+=("$name=$version")
      echo "pin   $name = \"=$version\""
    fi
  done < <(find "$checkout" -name Cargo.toml -not -path "*/target/*" -not -path "*/fuzz/*" \
    -not -path "*/tests/*" -not -path "*/examples/*" -not -path "*/benches/*" | sort)
  [ "$found" -gt 0 ] || { echo "error: \`$checkout\` holds no crate this build uses (is it a wasmtime, wasmer or wasmi checkout?)" >&2; exit 2; }
done

# A copy of the workspace with the moved pins.
rm -rf "$work/src"
mkdir -p "$work/src"
tar -C "$repo" --exclude=./target --exclude=./.git --exclude=./reports -cf - . | tar -C "$work/src" -xf -
for move in "${moves[@]}"; do
  name=${move%%=*}
  version=${move#*=}
  sed -i "s/^$name = { version = \"=[^\"]*\"/$name = { version = \"=$version\"/" "$work/src/Cargo.toml"
done
echo "cargo build --release --manifest-path $work/src/Cargo.toml --target-dir $work/target ${configs[*]}"
[ "$dry" = 1 ] && exit 0
# A fresh target folder: the first build takes as long as a clean one.
cargo build --release --manifest-path "$work/src/Cargo.toml" --target-dir "$work/target" "${configs[@]}"
echo "built $work/target/release/wasmgate:"
"$work/target/release/wasmgate" engines
