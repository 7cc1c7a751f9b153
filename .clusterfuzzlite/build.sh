#!/bin/bash -eu
# Builds the cargo-fuzz targets of fuzz/ and copies them where ClusterFuzzLite looks.
cd "$SRC/wasmgate/fuzz"
cargo fuzz build -O
for target in differential validation wast_parse; do
  cp "target/x86_64-unknown-linux-gnu/release/$target" "$OUT/"
done
