#!/usr/bin/env bash
# Builds the wasmgate image (Dockerfile at the repository root) and prints its
# size and how long the build took. Usage: scripts/docker-build.sh [TAG]
# (default `wasmgate:latest`). Exit 3 (skipped) where no Docker daemon runs.
set -euo pipefail
cd "$(dirname "$0")/.."
tag=${1:-wasmgate:latest}
if ! docker info >/dev/null 2>&1; then
  echo "docker-build: skipped: no Docker daemon here (docker info failed)" >&2
  exit 3
fi
start=$(date +%s)
DOCKER_BUILDKIT=1 docker build -t "$tag" .
took=$(( $(date +%s) - start ))
size=$(docker image inspect --format '{{.Size}}' "$tag")
echo "docker-build: $tag built in ${took} s, $(( size / 1000000 )) MB"
# The image runs the main job's engines: every one must start (exit 2 otherwise).
docker run --rm "$tag" engines
