#!/usr/bin/env bash
# Runs the book's CI examples (docs/src/commands.md) on this machine, command for command:
#   1. the GitHub Actions matrix: 4 shards (`continue-on-error`: exit 1 is fine),
#      then the merge job, whose exit code is the gate (wasmgate appends the
#      summary to $GITHUB_STEP_SUMMARY);
#   2. the Kubernetes Indexed Job: each pod's shell script, with one pod killed
#      (kill -9) mid-run and restarted as `restartPolicy: OnFailure` would, then
#      the merge.
# Exits 0 when both gates pass (on the defaults: only known divergences).
#
# Usage: scripts/ci-examples.sh [WORKDIR]
# Environment: WASMGATE (the command, default `cargo run --release --quiet --`),
# SEEDS (default 0..2000), POD_TIME (each pod's --time, default 6s), and any
# WASMGATE_* option variable (e.g. WASMGATE_ENGINES) for every step.
set -uo pipefail
work=${1:-$(mktemp -d)}
wasmgate=${WASMGATE:-cargo run --release --quiet --}
seeds=${SEEDS:-0..2000}
pod_time=${POD_TIME:-6s}
mkdir -p "$work"
fail() { echo "ci-examples: $*" >&2; exit 1; }

echo "== GitHub Actions: matrix of 4 shards, then merge (in $work/gha)"
for shard in 1 2 3 4; do
  $wasmgate run -q --seeds "$seeds" --shard "$shard/4" --require-engines wasmtime-cranelift,wasmer-cranelift,wasmi,v8-turbofan --out "$work/gha/reports/shard-$shard"
  code=$?
  [ "$code" -le 1 ] || fail "shard $shard exited $code"       # continue-on-error covers 1 only
  mkdir -p "$work/gha/shards/shard-$shard"                     # upload/download-artifact
  cp -r "$work/gha/reports/shard-$shard/." "$work/gha/shards/shard-$shard/"
done
export GITHUB_STEP_SUMMARY="$work/gha/step-summary.md"
: > "$GITHUB_STEP_SUMMARY"
# wasmgate appends the merged report's summary to $GITHUB_STEP_SUMMARY itself.
$wasmgate merge "$work"/gha/shards/*/ --out "$work/gha/reports/merged" || fail "the merge job failed"
grep -q "gate\|# wasmgate merge" "$GITHUB_STEP_SUMMARY" || fail "the step summary is empty"

echo "== Kubernetes Indexed Job: 4 pods, pod 0 killed and restarted (in $work/k8s)"
pod() {
  # The container's args from the book, for JOB_COMPLETION_INDEX=$1.
  JOB_COMPLETION_INDEX=$1 WASMGATE_CMD=$wasmgate REPORTS=$work/k8s/reports POD_TIME=$pod_time sh -c '
    dir=$REPORTS/shard-$((JOB_COMPLETION_INDEX + 1))
    if [ -f "$dir/journal.jsonl" ]; then $WASMGATE_CMD run -q --resume "$dir"
    else $WASMGATE_CMD run -q --time $POD_TIME --shard $((JOB_COMPLETION_INDEX + 1))/4 --out "$dir"; fi
    code=$?; [ "$code" -le 1 ] || exit "$code"'
}
mkdir -p "$work/k8s/reports"
pod 0 & pid=$!
# Kill it once it has finished some cases (engines start in a few seconds,
# more on a loaded machine): wait for journal lines past the header.
for _ in $(seq 600); do
  [ "$(wc -l < "$work/k8s/reports/shard-1/journal.jsonl" 2>/dev/null || echo 0)" -ge 3 ] && break
  sleep 0.1
done
# kill -9 the pod's wasmgate (a node eviction or OOM kill), not just its shell.
pkill -9 -f -- "--out $work/k8s/reports/shard-1" || fail "pod 0 was not running when its journal had cases"
wait "$pid" 2>/dev/null
[ -f "$work/k8s/reports/shard-1/journal.jsonl" ] || fail "the killed pod left no journal"
# Wait for the killed run's workers to go (they exit when their supervisor's pipe closes).
for _ in $(seq 50); do pgrep -f "wasmgate worker" >/dev/null || break; sleep 0.1; done
for index in 0 1 2 3; do   # pod 0 restarts (and resumes); the others run
  pod "$index" || fail "pod $index failed"
done
$wasmgate merge "$work"/k8s/reports/shard-*/ --out "$work/k8s/merged" || fail "the merge after the job failed"
echo "ci-examples: both pipelines passed"
