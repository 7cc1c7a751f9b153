#!/usr/bin/env bash
# Feeds wasmgate bad input — malformed modules, corrupt reports, journals and
# bundles, bad flags and variables, missing engines — and checks each answer:
# exit 2, exactly one line on stderr starting `error: `, no panic.
# Prints one line per input that breaks the rule and the totals.
#
# Usage: scripts/bad-inputs.sh   (WASMGATE: the command, default `cargo run --release --quiet --`)
set -uo pipefail
wasmgate=${WASMGATE:-cargo run --release --quiet --}
repo=$(cd "$(dirname "$0")/.." && pwd)
w=$(mktemp -d)
trap 'rm -rf "$w"' EXIT
cd "$w"   # reports that bad input still writes (a suite no engine runs) land here
E=wasmi,wasmtime-cranelift

# Fixtures: a good run to corrupt, and broken files of every kind.
$wasmgate run -q --seeds 470..480 --engines $E,wasmer-cranelift --known /dev/null --shrink-attempts 0 --out "$w/good" >/dev/null 2>&1
bundle=$(ls -d "$w"/good/findings/*/ | head -1)
[ -n "$bundle" ] || { echo "bad-inputs: the fixture run made no finding to corrupt" >&2; exit 1; }
printf '\0asm\1\0\0\0\1\5' > "$w/truncated.wasm"
printf '\377\023\067' > "$w/garbage.wasm"
printf '(module (func (export "f") (result i32) i64.const 1))' > "$w/invalid.wat"
printf '(module (func' > "$w/unbalanced.wat"
printf '(module (import "env" "f" (func)))' > "$w/import.wat"
printf '{"schema_version": 2, "kind": "run"' > "$w/torn-report.json"
printf '{}' > "$w/empty-report.json"
printf 'not json' > "$w/text-report.json"
mkdir -p "$w/j1" "$w/j2" "$w/j3" "$w/b1" "$w/b2" "$w/b3" "$w/f"
: > "$w/j1/journal.jsonl"
printf 'garbage\n' > "$w/j2/journal.jsonl"
head -1 "$w/good/journal.jsonl" | sed 's/"journal":2/"journal":1/' > "$w/j3/journal.jsonl"
cp -r "$bundle". "$w/b1/"; printf 'x' >> "$w/b1/module.wasm"
cp -r "$bundle". "$w/b2/"; rm "$w/b2/module.wasm"
cp -r "$bundle". "$w/b3/"; printf '{' > "$w/b3/bundle.json"
touch "$w/f/mine.txt"
cp "$repo/vectors/wasi/args.wasm" "$w/args.wasm"
printf 'program = "args.wasm"\n[[case]]\nargz = ["1"]\n' > "$w/wasi-cases.toml"
printf 'program = "args.wasm"\n[[case]]\ndirs = ["nowhere"]\n' > "$w/wasi-nofixture.toml"
mkdir -p "$w/wasi-suite" "$w/wb1" "$w/wb2"
cp "$w/args.wasm" "$w/wasi-suite/args.wasm"; printf '{"args": [1' > "$w/wasi-suite/args.json"
mkdir -p "$w/ws-key" "$w/ws-mixed" "$w/ws-send" "$w/ws-order" "$w/ws-root" "$w/ws-empty/sub"
for d in ws-key ws-mixed ws-send ws-order ws-root; do cp "$w/args.wasm" "$w/$d/t.wasm"; done
printf '{"args": [], "exitcode": 1}' > "$w/ws-key/t.json"
printf '{"args": ["a"], "operations": [{"type": "run"}, {"type": "wait"}]}' > "$w/ws-mixed/t.json"
printf '{"operations": [{"type": "run"}, {"type": "send", "id": "x"}, {"type": "wait"}]}' > "$w/ws-send/t.json"
printf '{"operations": [{"type": "wait"}, {"type": "run"}]}' > "$w/ws-order/t.json"
printf '{"root": "missing.dir"}' > "$w/ws-root/t.json"
printf 'not sqlite at all\n' > "$w/history.sqlite"
mkdir -p "$w/bench-bad" "$w/baselines"
printf '[[workload]]\nname = "x"\nmodule = "nonexistent.wasm"\n' > "$w/bench-bad/workloads.toml"
printf '{"schema_version": 1' > "$w/baselines/torn.json"
printf '{"kind": "wasi", "schema_version": 1' > "$w/wb1/bundle.json"
printf '{"kind": "wasi", "schema_version": 9}' > "$w/wb2/bundle.json"
printf '[[divergence]]\nsignature = "x"\n' > "$w/known-noreason.toml"
printf '[[divergence]]\nsig = "x"\nreason = "r"\n' > "$w/known-badkey.toml"
printf '[[divergence]]\nsignature = "x"\ncause = "cause-1"\nreason = "r"\n' > "$w/known-both.toml"
printf '[[divergence]]\nreason = "r"\n' > "$w/known-neither.toml"
printf '[[failure]]\nengine = "wasmi"\n' > "$w/expected-bad.toml"
printf '(module (func (export "f")))\n(assert_return (invoke "f") (i32.const' > "$w/bad.wast"
printf '(module (import "env" "g" (global i32)) (func (export "f") (param i32) (result i32) local.get 0))' > "$w/lib.wat"
printf '[[import]]\nmodule = "env"\nname = "g"\nvalue = 1\n' > "$w/imports.toml"
printf '[[vector]]\nexport = "f"\nargs = ["x"]\n' > "$w/vec-type.toml"
printf '[[vector]]\nexport = "nope"\n' > "$w/vec-export.toml"
printf '[[vector]]\nexport = "f"\nargs = [1]\nreturns = ["nan:odd"]\n' > "$w/vec-expect.toml"
printf '[[vector]]\nexport = "f"\nargs = [1]\ntrap = "boom"\n' > "$w/vec-trap.toml"
printf '[[import]]\nmodule = "env"\nname = "g"\nreturns = [1]\n' > "$w/imports-kind.toml"
printf '[[vectr]]\n' > "$w/vec-key.toml"
printf '[[divergence]]\nsignature = "x"\nreason = "r"\nexpires = "soon"\n' > "$w/known-date.toml"
printf '[[divergence]]\nsignature = "x"\nreason = "r"\nversions = "<2"\n' > "$w/known-range.toml"
printf '[profile.default]\nengnes = ["wasmi"]\n' > "$w/config-key.toml"
printf '[profile.default]\njobs = [1, 2]\n' > "$w/config-list.toml"
printf '(module (func (export "f") (param i32) (result i32) local.get 0))' > "$w/id.wat"
printf '(module)' > "$w/noexports.wat"
printf '(module (func (export "spin") (loop (br 0))))' > "$w/spin.wat"
# A bundle whose call names an export its module lacks: a replay would "agree".
mkdir -p "$w/b4"; cp -r "$bundle". "$w/b4/"
python3 - "$w/b4/bundle.json" <<'PY'
import json, sys
b = json.load(open(sys.argv[1]))
b["case"]["calls"][0]["export"] = "no-such-export"
json.dump(b, open(sys.argv[1], "w"))
PY

inputs=(
  "repro --wasm $w/truncated.wasm"
  "repro --wasm $w/garbage.wasm"
  "repro --wasm $w/unbalanced.wat"
  "repro --wasm $w/nonexistent.wasm"
  "repro --wasm $w/import.wat"
  "repro $w/b1"
  "repro $w/b2"
  "repro $w/b3"
  "repro $w/nonexistent"
  "repro $w/b4"
  "repro --wasm $w/spin.wat --engines $E --timeout 1"
  "check $w/noexports.wat --engines $E"
  "check --calls 0 $w/id.wat --engines $E"
  "repro"
  "repro --seed x"
  "repro --fuzz-input $w/nonexistent"
  "shrink $w/b1"
  "shrink $w/nonexistent"
  "merge $w/torn-report.json"
  "merge $w/empty-report.json"
  "merge $w/text-report.json"
  "merge $w/nonexistent"
  "merge $w/good --out $w/good"
  "merge $w/good $w/good --out $w/m2"
  "run --seeds 5"
  "run --seeds 9..3"
  "run --seeds a..b"
  "run --seeds 0..0 --engines $E"
  "run --time 0s --engines $E"
  "run --time forever"
  "run --shard 0/4"
  "run --shard 5/4"
  "run --shard x"
  "run --jobs 0"
  "run --jobs -1"
  "run --jobs 1099511627776"
  "run --timeout 0"
  "run --timeout 18446744073709551615 --seeds 0..3 --engines $E"
  "sweep --timeout 18446744073709551615 --engines $E"
  "conformance --timeout 18446744073709551615 --engines $E"
  "check --calls 100000000 $w/id.wat --engines $E"
  "check --calls 4294967296 $w/id.wat --engines $E"
  "check --calls 99999999999999 $w/id.wat --engines $E"
  "wasi --random-args u32 --count 18446744073709551615 $w/args.wasm"
  "wasi --timeout 18446744073709551615 $w/args.wasm"
  "wasi --env =v $w/args.wasm"
  "perf --save-baseline ../../escape --engines wasmi"
  "perf --baseline ../../escape --engines wasmi"
  "selftest --faults i32.add"
  "selftest --with-known"
  "selftest --wasm3"
  "selftest --seeds 0..0"
  "selftest --score --faults i32.add --known $w/nonexistent.toml"
  "selftest --score --faults i32.add --out /proc/nope"
  "run --fault wasmi --seeds 0..3 --engines $E"
  "run --fault nope:i32.add --seeds 0..3 --engines $E"
  "run --fault wasmi:i32.add@sideways --seeds 0..3 --engines $E"
  "run --fault wasmi:i32.load --seeds 0..3 --engines $E"
  "sweep --fault v8-turbofan:i32.add --engines $E"
  "check --fault wasmi: $w/id.wat --engines $E"
  "run --timeout x"
  "run --profile nope"
  "run --engines nope"
  "run --engines wasmi"
  "run --engines wasmi,wasmi"
  "run --engines mutant:wasmi:i32.load"
  "run --engines mutant:nope:i32.add"
  "run --engine-cmd wasmi=node"
  "run --engine-cmd noequals"
  "run --engine-cmd t=/bin/true --seeds 0..3"
  "run --engine-cmd t=/nonexistent/engine --seeds 0..3"
  "run --require-engines nosuch --engines $E --seeds 0..3"
  "run --require-engines v8-chromium --engines $E --seeds 0..3"
  "run --name ../../escape --seeds 0..3 --engines $E"
  "run --name a/b --seeds 0..3 --engines $E"
  "run --resume $w/nonexistent"
  "run --resume $w/j1"
  "run --resume $w/j2"
  "run --resume $w/j3"
  "run --resume $w/good --seeds 0..5"
  "run --resume $w/good --engines wasmi,v8-turbofan"
  "run --out $w/f --seeds 0..3 --engines $E"
  "run --known $w/known-noreason.toml --seeds 0..3 --engines $E"
  "run --known $w/known-badkey.toml --seeds 0..3 --engines $E"
  "run --known $w/nonexistent.toml"
  "run --shrink-time never"
  "run --no-such-flag"
  "sweep --only no-such-instruction --engines $E"
  "sweep --engines wasmi"
  "sweep --profile nope"
  "conformance --suite nope"
  "conformance --file $w/bad.wast --engines $E"
  "conformance --file $w/nonexistent.wast"
  "conformance --only no-such-file"
  "conformance --expected $w/expected-bad.toml"
  "conformance --baseline $w/torn-report.json"
  "conformance --baseline $w/nonexistent"
  "conformance -q --suite proposals/threads --engines $E"
  "check $w/lib.wat --engines $E"
  "check $w/lib.wat --vectors $w/imports.toml --vectors $w/vec-type.toml --engines $E"
  "check $w/lib.wat --vectors $w/imports.toml --vectors $w/vec-export.toml --engines $E"
  "check $w/lib.wat --vectors $w/imports.toml --vectors $w/vec-expect.toml --engines $E"
  "check $w/lib.wat --vectors $w/imports.toml --vectors $w/vec-trap.toml --engines $E"
  "check $w/lib.wat --vectors $w/imports-kind.toml --engines $E"
  "check $w/lib.wat --vectors $w/vec-key.toml --engines $E"
  "check $w/lib.wat --vectors $w/nonexistent.toml"
  "check $w/garbage.wasm --engines $E"
  "check $w/nonexistent.wasm"
  "check"
  "check $w/lib.wat --vectors $w/imports.toml --engines wasmi"
  "check $w/lib.wat --vectors $w/imports.toml --known $w/known-date.toml --engines $E"
  "check $w/lib.wat --vectors $w/imports.toml --known $w/known-range.toml --engines $E"
  "check $w/lib.wat $w/lib.wat --vectors $w/imports.toml --record $w/golden.toml"
  "check $w/lib.wat --vectors $w/imports.toml --vectors $w/imports.toml --update"
  "check --init $w/lib.wat $w/lib.wat"
  "check --init $w/garbage.wasm"
  "check --init"
  "compat $w/lib.wat $w/nonexistent.wasm --vectors $w/imports.toml"
  "compat $w/lib.wat $w/garbage.wasm --vectors $w/imports.toml"
  "compat $w/lib.wat $w/lib.wat"
  "wasi $w/garbage.wasm"
  "wasi $w/truncated.wasm"
  "wasi $w/import.wat"
  "wasi $w/nonexistent.wasm"
  "wasi $w/wasi-cases.toml"
  "wasi $w/wasi-nofixture.toml"
  "wasi $w/wasi-suite"
  "wasi $w/wasi-suite/args.json"
  "wasi $w/ws-key"
  "wasi $w/ws-mixed"
  "wasi $w/ws-send"
  "wasi $w/ws-order"
  "wasi $w/ws-root"
  "wasi $w/ws-empty"
  "wasi $w/wb1"
  "wasi $w/args.wasm --engines nope"
  "wasi $w/args.wasm --engines wasmi-wasi"
  "wasi $w/args.wasm --timeout 0"
  "wasi $w/args.wasm --count 5"
  "wasi $w/args.wasm --random-args u32,nope"
  "wasi $w/args.wasm --dir $w/nonexistent"
  "perf --workloads $repo/vectors/bench --workload nope"
  "perf --workloads $w/bench-bad"
  "perf --workloads $w/nonexistent"
  "perf --wasm $repo/vectors/bench/fib.wasm --call nope"
  "perf --wasm $repo/vectors/bench/fib.wasm --call run x"
  "perf --wasm $w/garbage.wasm --call run"
  "perf --wasm $w/import.wat --call f"
  "perf --workloads $repo/vectors/bench --history $w/history.sqlite"
  "perf --workloads $repo/vectors/bench --baseline torn --baseline-dir $w/baselines --engines wasmi"
  "perf --workloads $repo/vectors/bench --baseline none --baseline-dir $w/baselines --engines wasmi"
  "perf --workloads $repo/vectors/bench --save-baseline x:y --engines wasmi,wasmtime-cranelift"
  "perf --workloads $repo/vectors/bench --engines slow:wasmi:0"
  "perf --workloads $repo/vectors/bench --engines wasmi"
  "perf --reps 1"
  "perf --threshold -5"
  "perf history --history $w/history.sqlite"
  "perf history --history $w/nonexistent.sqlite"
  "repro $w/wb1"
  "repro $w/wb2"
  "engines --config $w/config-key.toml"
  "run --config $w/config-list.toml"
  "engines --config $w/nonexistent.toml"
  "engines --config-profile nightly"
  "gen"
  "gen --seed x"
  "gen --seed 1 -o /nonexistent/dir/x.wasm"
  "schema nope"
  "bench --jobs 0"
  "selftest --mutant nope"
  "selftest --score --faults i32.add@sideways"
  "selftest --score --faults f64.add@wide-shift"
  "selftest --score --faults i32.add@const+branch"
  "selftest --score --faults i32.load@zero"
  "selftest --score --budget 0"
  "run --seeds 0..3 --engines $E,mutant:wasmi:i32.shl@tie"
  "corpus mutate --no-corpus --wasm $w/nonexistent.wasm"
  "corpus mutate --no-corpus"
  "corpus mutate --mutants 0"
  "corpus mutate --no-corpus --wasm $w/garbage.wasm"
  "run --known $w/known-both.toml --seeds 0..3 --engines $E"
  "run --known $w/known-neither.toml --seeds 0..3 --engines $E"
  "nope"
  "run --out /proc/nope --seeds 0..3 --engines $E"
  "run --seeds 0..1 --shard 2/2 --engines $E"
  "conformance --suite proposals/threads --engines $E"
  "check $w/id.wat --engines $E --record /proc/nope/golden.toml"
  "sweep --out /proc/nope --engines $E --only i32.add"
  "conformance --out /proc/nope --engines $E --only nop"
)
# Every subcommand, run on valid input, with each of its flags given one bad
# value (flags read from its --help): the bad value must be refused, never
# ignored, whatever the rest of the command.
declare -A base=(
  [run]="--seeds 0..2 --engines $E --shrink-attempts 0"
  [sweep]="--engines $E --only i32.add"
  [conformance]="--engines $E --only nop"
  [check]="$w/id.wat --engines $E"
  [compat]="$w/id.wat $w/id.wat --engines $E"
  [wasi]="$w/args.wasm --engines wasmi-wasi,wasmtime-wasi"
  [perf]="--wasm $repo/vectors/bench/fib.wasm --call run --engines $E --no-history"
  [repro]="$bundle --engines $E"
  [shrink]="$bundle --shrink-attempts 1"
  [selftest]="--seeds 0..1"
  [merge]="$w/good"
  [gen]="--seed 1 -o $w/gen.wasm"
  [bench]="--seeds 0..2 --engines $E --startup-cases 1"
  [engines]=""
  [schema]="report"
)
declare -A bad=(
  [--out]="/proc/nope"
  [--jobs]="0|x"
  [--engines]="nope|wasmi,wasmi|,"
  [--engine-cmd]="noequals"
  [--fault]="wasmi:|nope:i32.add"
  [--timeout]="0|x"
  [--config]="$w/config-key.toml|$w/nonexistent.toml"
  [--config-profile]="nightly"
  [--known]="$w/nonexistent.toml|$w/known-badkey.toml"
  [--profile]="nope"
  [--seeds]="9..3"
  [--seed]="x"
  [--shrink-attempts]="x"
)
for cmd in run sweep conformance check compat wasi perf repro shrink selftest merge gen bench engines schema; do
  flags=$($wasmgate $cmd --help 2>/dev/null | grep -oE '^ +(-[a-z], )?--[a-z-]+' | grep -oE -- '--[a-z-]+')
  inputs+=("$cmd ${base[$cmd]} --no-such-flag")
  for flag in $flags; do
    [ -n "${bad[$flag]:-}" ] || continue
    IFS='|' read -ra values <<< "${bad[$flag]}"
    for value in "${values[@]}"; do
      inputs+=("$cmd ${base[$cmd]} $flag $value")
    done
  done
done
total=0; ok=0; panics=0
for args in "${inputs[@]}"; do
  total=$((total + 1))
  err=$($wasmgate $args 2>&1 >/dev/null </dev/null); code=$?
  lines=$(printf '%s\n' "$err" | grep -c .)
  case "$err" in *panicked*) panics=$((panics + 1));; esac
  if [ "$code" -eq 2 ] && [ "$lines" -eq 1 ] && [ "${err#error: }" != "$err" ]; then
    ok=$((ok + 1))
  else
    echo "NOT ONE CLEAR ERROR (exit $code, $lines lines): wasmgate $args"
    printf '%s\n' "$err" | head -3 | sed 's/^/    /'
  fi
done
# A variable is read when its flag is absent: each is the only source of its option.
for var in "WASMGATE_JOBS=0" "WASMGATE_SEEDS=5" "WASMGATE_PROFILE=nope" "WASMGATE_IN_PROCESS=maybe" "WASMGATE_TIMEOUT=0" "NODE=/nonexistent" "WASMGATE_ENGINES=nope" "WASMGATE_SHARD=9/4"; do
  total=$((total + 1))
  engines="WASMGATE_ENGINES=wasmi,v8-turbofan"
  case "$var" in WASMGATE_ENGINES=*) engines=$var ;; esac
  err=$(env "$engines" "$var" $wasmgate run -q 2>&1 >/dev/null </dev/null); code=$?
  lines=$(printf '%s\n' "$err" | grep -c .)
  if [ "$code" -eq 2 ] && [ "$lines" -eq 1 ] && [ "${err#error: }" != "$err" ]; then ok=$((ok + 1)); else
    echo "NOT ONE CLEAR ERROR (exit $code, $lines lines): $var wasmgate run"; printf '%s\n' "$err" | head -3 | sed 's/^/    /'; fi
done
# Without node, a WASI comparison of node-wasi and one other runtime compared nothing.
total=$((total + 1))
err=$(NODE=/nonexistent $wasmgate wasi -q "$w/args.wasm" --engines node-wasi,wasmi-wasi --out "$w/nonode" 2>&1 >/dev/null </dev/null); code=$?
lines=$(printf '%s\n' "$err" | grep -c .)
if [ "$code" -eq 2 ] && [ "$lines" -eq 1 ] && [ "${err#error: }" != "$err" ]; then ok=$((ok + 1)); else
  echo "NOT ONE CLEAR ERROR (exit $code, $lines lines): NODE=/nonexistent wasmgate wasi"; printf '%s\n' "$err" | head -3 | sed 's/^/    /'; fi
echo "bad inputs: $total tried, $ok answered with one clear error line and exit 2, $panics panics"
[ "$ok" -eq "$total" ] && [ "$panics" -eq 0 ]
