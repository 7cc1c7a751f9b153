#!/usr/bin/env bash
# Bug-finding power on faults nobody tuned for: mutants of wasmi's own source,
# written by cargo-mutants (a third-party mutation tool), run through wasmgate
# with the built-in known list in force — as a runtime developer would run it
# after changing their engine. An overnight tool, not part of `cargo test`.
#
#   scripts/engine-mutants.sh N [SEED]
#
# Samples N mutants (by SEED, default 1) of the pinned wasmi crates — numeric
# operations in wasmi_core, the executor and translator in wasmi — builds a
# slim wasmgate (wasmtime-cranelift, wasmer-cranelift, wasmi) against each
# through a [patch.crates-io] given on cargo's command line, and runs the
# default run's seeds, the sweep and the spec testsuite on those three
# engines. Per mutant it prints whether each mode caught it (a finding blamed
# on wasmi reported as new: exit 1), the time to the first finding, and
# whether it was *masked*: a mode reported nothing new while a known entry
# explained more cases than on the unmutated engine (the mutant showed only
# as known; `no(+known)` where a mode caught it and a known entry grew too).
# Mutants that do not build are skipped and counted; one that changes nothing
# any mode sees is listed as not caught (it may be equivalent).
#
# Environment: WORK (default $TMPDIR/wasmgate-engine-mutants, outside the
# workspace so cargo treats the copies as crates of their own) holds the copies
# and reports; SEEDS (default 0..3000) the run's seeds; KEEP=1 keeps each
# mutant's reports.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:?usage: scripts/engine-mutants.sh N [SEED]}
seed=${2:-1}
work=${WORK:-${TMPDIR:-/tmp}/wasmgate-engine-mutants}
seeds=${SEEDS:-0..3000}
version=2.0.0
engines=wasmtime-cranelift,wasmer-cranelift,wasmi
features=wasmtime-cranelift,wasmer-cranelift,wasmi
mkdir -p "$work"
work=$(cd "$work" && pwd)
# Patching changes Cargo.lock (patched crates lose their registry source): put it back.
cp Cargo.lock "$work/Cargo.lock.orig"
trap 'cp "$work/Cargo.lock.orig" Cargo.lock' EXIT

command -v cargo-mutants >/dev/null 2>&1 || cargo install --locked cargo-mutants
cargo fetch --quiet
registry=$(dirname "$(find "${CARGO_HOME:-$HOME/.cargo}/registry/src" -maxdepth 2 -name "wasmi_core-$version" | head -1)")
[ -d "$registry/wasmi_core-$version" ] || { echo "error: wasmi_core $version is not in cargo's registry" >&2; exit 2; }

# Pristine copies of the two crates; cargo-mutants lists their mutants with diffs.
for crate in wasmi_core wasmi; do
  rm -rf "$work/pristine/$crate"
  mkdir -p "$work/pristine"
  cp -r "$registry/$crate-$version" "$work/pristine/$crate"
done
list() { # crate, then file globs
  local crate=$1; shift
  local args=()
  for f in "$@"; do args+=(--file "$f"); done
  (cd "$work/pristine/$crate" && cargo mutants --list --json --diff "${args[@]}" 2>/dev/null) \
    | python3 -c "import json,sys; [print(json.dumps(dict(m, crate='$crate'))) for m in json.load(sys.stdin) if 'simd' not in m['file']]"
}
{
  list wasmi_core 'src/wasm.rs' 'src/value.rs' 'src/raw.rs' 'src/typed.rs' 'src/memory/access.rs'
  list wasmi 'src/engine/executor/**/*.rs' 'src/engine/translator/**/*.rs'
} >"$work/all.jsonl"
python3 - "$work/all.jsonl" "$n" "$seed" >"$work/sample.jsonl" <<'EOF'
import json, random, sys
mutants = [json.loads(l) for l in open(sys.argv[1])]
random.Random(int(sys.argv[3])).shuffle(mutants)
# A few more than N: some will not build.
for m in mutants[: int(sys.argv[2]) * 2]:
    print(json.dumps(m))
EOF
echo "engine-mutants: $(wc -l <"$work/all.jsonl") mutants of wasmi_core and wasmi $version; sampling $n (seed $seed)"

build() { # patch dir for wasmi_core, for wasmi
  # The project's own target folder: the runtimes' artifacts are shared, and
  # the slim build's own ones (other features, patched sources) sit beside
  # the full build's; only target/release/wasmgate is the slim one meanwhile.
  cargo build --release --quiet -p wasmgate-harness --no-default-features --features "$features" \
    --config "patch.crates-io.wasmi_core.path=\"$1\"" \
    --config "patch.crates-io.wasmi.path=\"$2\""
}
bin="$PWD/target/release/wasmgate"
modes() { # label → prints "run sweep conformance" exit codes and seconds, writes reports under $work/out/label
  local out="$work/out/$1"; rm -rf "$out"; mkdir -p "$out"
  local t0 t1 t2 t3 r s c
  t0=$(date +%s.%N)
  set +e
  # The run's own profile (`mixed`): a wasm3 seed wasmer cannot run leaves
  # wasmtime and wasmi voting, and a known wasmi bug explains such a
  # disagreement without hiding a new one.
  "$bin" run --quiet --engines "$engines" --seeds "$seeds" --shrink-attempts 0 --out "$out/run" >"$out/run.log" 2>&1; r=$?
  t1=$(date +%s.%N)
  "$bin" sweep --quiet --engines "$engines" --out "$out/sweep" >"$out/sweep.log" 2>&1; s=$?
  t2=$(date +%s.%N)
  "$bin" conformance --quiet --engines "$engines" --out "$out/conformance" >"$out/conformance.log" 2>&1; c=$?
  t3=$(date +%s.%N)
  set -e
  echo "$r $s $c $(echo "$t1 - $t0" | bc) $(echo "$t2 - $t1" | bc) $(echo "$t3 - $t2" | bc)"
}
explained() { # report.json → "entry=cases ..." of the known list
  python3 -c "import json,sys; r=json.load(open(sys.argv[1])); print(' '.join(f\"{e['entry']}={e['cases']}\" for e in r.get('known_list',{}).get('explained',[])))" "$1" 2>/dev/null || true
}
more() { # baseline counts, mutant counts ("entry=cases …"): whether an entry explained more cases
  python3 - "$1" "$2" <<'EOF'
import sys
parse = lambda t: {k: int(v) for k, v in (e.split("=") for e in t.split())}
base, now = parse(sys.argv[1]), parse(sys.argv[2])
sys.exit(0 if any(n > base.get(k, 0) for k, n in now.items()) else 1)
EOF
}
first_new() { # report.json, mode seconds → estimated seconds to the first new finding blamed on wasmi
  python3 - "$1" "$2" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
seeds = [min(f["seeds"]) for f in r["findings"] if not f.get("known") and "wasmi" in f["blamed"] and f["seeds"]]
n = max(1, r["run"]["seeds"]["end"] - r["run"]["seeds"]["start"])
print("-" if not seeds else f"{float(sys.argv[2]) * (min(seeds) - r['run']['seeds']['start'] + 1) / n:.1f}")
EOF
}

echo "engine-mutants: baseline (unmutated wasmi $version)"
build "$work/pristine/wasmi_core" "$work/pristine/wasmi"
read -r br bs bc _ <<<"$(modes baseline)"
base_run=$(explained "$work/out/baseline/run/report.json")
base_sweep=$(explained "$work/out/baseline/sweep/report.json")
echo "baseline: run exit $br [$base_run], sweep exit $bs [$base_sweep], conformance exit $bc"

printf '%-4s %-6s %-6s %-6s %-9s %-11s %s\n' "#" "run" "sweep" "conf" "first s" "masked" "mutant (cargo-mutants)"
done_n=0; caught_run=0; caught_sweep=0; caught_conf=0; caught_any=0; masked_n=0; unviable=0
while IFS= read -r m && [ "$done_n" -lt "$n" ]; do
  crate=$(python3 -c "import json,sys; print(json.loads(sys.argv[1])['crate'])" "$m")
  name=$(python3 -c "import json,sys; m=json.loads(sys.argv[1]); print(m.get('name') or m['file']+':'+str(m['span']['start']['line'])+' '+m['replacement'])" "$m")
  rm -rf "$work/mutant"; mkdir -p "$work/mutant"
  cp -r "$work/pristine/wasmi_core" "$work/pristine/wasmi" "$work/mutant/"
  file=$(python3 -c "import json,sys; print(json.loads(sys.argv[1])['file'])" "$m")
  python3 -c "import json,sys; print(json.loads(sys.argv[1])['diff'])" "$m" | (cd "$work/mutant/$crate" && patch -s -p0 "$file") \
    || { unviable=$((unviable + 1)); continue; }
  if ! build "$work/mutant/wasmi_core" "$work/mutant/wasmi" 2>"$work/build.log"; then
    unviable=$((unviable + 1)); continue
  fi
  done_n=$((done_n + 1))
  read -r r s c tr _ _ <<<"$(modes "m$done_n")"
  out="$work/out/m$done_n"
  yes_no() { [ "$1" = 1 ] && echo caught || { [ "$1" = 0 ] && echo - || echo "err$1"; }; }
  first=$( [ "$r" = 1 ] && first_new "$out/run/report.json" "$tr" || echo -)
  # Masked: a mode that reported nothing new while a known entry explained
  # more cases than on the unmutated engine (the mutant showed only as known).
  # A mode that caught it and also grew a known entry is noted, not masked.
  masked=no
  grew() { # mode, its exit code, its baseline counts
    more "$3" "$(explained "$out/$1/report.json")" || return 0
    if [ "$2" = 0 ]; then masked=yes; elif [ "$masked" = no ]; then masked="no(+known)"; fi
  }
  grew run "$r" "$base_run"
  grew sweep "$s" "$base_sweep"
  [ "$r" = 1 ] && caught_run=$((caught_run + 1))
  [ "$s" = 1 ] && caught_sweep=$((caught_sweep + 1))
  [ "$c" = 1 ] && caught_conf=$((caught_conf + 1))
  { [ "$r" = 1 ] || [ "$s" = 1 ] || [ "$c" = 1 ]; } && caught_any=$((caught_any + 1))
  [ "$masked" = yes ] && masked_n=$((masked_n + 1))
  printf '%-4s %-6s %-6s %-6s %-9s %-11s %s\n' "$done_n" "$(yes_no "$r")" "$(yes_no "$s")" "$(yes_no "$c")" "$first" "$masked" "$crate: $name"
  [ "${KEEP:-0}" = 1 ] || rm -rf "$out"
done <"$work/sample.jsonl"
echo "engine-mutants: $done_n mutants ($unviable unviable skipped): caught by run $caught_run, sweep $caught_sweep, conformance $caught_conf, any $caught_any; masked $masked_n"
