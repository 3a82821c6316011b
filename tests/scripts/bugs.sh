#!/usr/bin/env bash
# bugs.sh - the known-bug suite, fast subset: every injected fault of
# allocator/ph_bugs.def is found by a deterministic fuzz target.
#
# For each fault the allocator is rebuilt with it (ASan+UBSan, reusing the
# harness library of the correct ASan build, so only allocator files are
# recompiled), then:
#  - every committed reproducer of the fault (corpus/*/regressions/<bug>*.bin)
#    must fail with the oracle its text names ("# expect: ORACLE");
#  - a fixed-seed fuzzing run (-seed=1, bounded -runs, no time limit) from
#    the committed seeds of the target its reproducer is for (fuzz_schedule,
#    or fuzz_needzero for faults only injected claims reach) must find it.
# The correct build passes the same bounded runs (no false positives); the
# reproducers replay clean on it in corpus.sh.
#
# Run budgets.  RUNS (20000, BUGS_RUNS overrides) is plenty for every fault
# above the "deep faults" marker of ph_bugs.def: all are found within a few
# hundred runs.  Deep faults need a CAS to fail twice in one decision, or a
# raise between a reload and its retry, and libFuzzer has to build that
# interleaving by mutation, which takes it thousands of runs; those measured
# to come close to RUNS get a larger budget in DEEP_RUNS (a budget costs time
# only when the fault is not found).  Runs to the find, seed 1, from the
# committed seeds, with address randomisation off / on (development runs,
# some before the two cas-lost-* seeds were added):
#   cas-retry-once           1879 / 15330, 16324    (fuzz_schedule)
#   retry-store-after-lower  1599 /  6674,  8612    (fuzz_schedule)
#   overlap-check-once      30195 /  1910,  5140    (fuzz_needzero)
# libFuzzer's compare tracing sees some heap addresses, so the run count to a
# find moves with address-space randomisation: the runs are made with it
# off (setarch -R) where the system allows, so they repeat exactly on one
# machine.
set -uo pipefail
cd "$ROOT"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
RUNS=${BUGS_RUNS:-20000}
declare -A DEEP_RUNS=([cas-retry-once]=60000 [retry-store-after-lower]=60000 [overlap-check-once]=100000)
NO_ASLR=()
setarch "$(uname -m)" -R true 2>/dev/null && NO_ASLR=(setarch "$(uname -m)" -R)
# shellcheck source=tools/faulty-build.sh
. "$ROOT/tools/faulty-build.sh"
base=$FAULTY_BASE
export UBSAN_OPTIONS="halt_on_error=1"

build() { # DIR [BUG]
	faulty_build "$1" "${2:-}"
}

if ! build "$base" >"$tmp/base.log" 2>&1; then
	echo "FAIL bugs-base-build"; tail -20 "$tmp/base.log"; exit 0
fi

# fuzz_from_seeds BIN TARGET LOG [RUNS]: the bounded, fixed-seed run; its status.
fuzz_from_seeds() {
	local dir=$tmp/corpus-$2
	rm -rf "$dir"; mkdir -p "$dir"
	cp corpus/"${2#fuzz_}"/*.bin "$dir"/
	(cd "$tmp" && "${NO_ASLR[@]}" "$1" -seed=1 -runs="${4:-$RUNS}" -reload=0 -print_final_stats=1 -artifact_prefix="$tmp/" "$dir" >"$3" 2>&1)
}

for t in fuzz_schedule fuzz_needzero; do
	if fuzz_from_seeds "$base/$t" "$t" "$tmp/clean-$t.log"; then
		echo "PASS bugs-correct-build-clean $t ($RUNS runs, seed 1)"
	else
		echo "FAIL bugs-correct-build-clean $t: $(grep -m1 'verdict' "$tmp/clean-$t.log")"
		tail -30 "$tmp/clean-$t.log"
	fi
done

for bug in $(sed -n 's/^PH_BUG([A-Z0-9_]*, *"\([^"]*\)".*/\1/p' allocator/ph_bugs.def); do
	dir=$ROOT/build/bugs/$bug
	if ! build "$dir" "$bug" >"$tmp/build-$bug.log" 2>&1; then
		echo "FAIL bug-build $bug"; tail -20 "$tmp/build-$bug.log"; continue
	fi
	# ALLOC_BUG=<bug> ./build.sh builds every variant: the fault must compile
	# in the pre-seed variant and without hooks as well.
	if make -s -j"$(nproc)" B="$ROOT/build/bugs/$bug-locked" SAN= HOOKS=0 CC=clang ZEROING=locked BUG="$bug" lib \
		>"$tmp/build-locked-$bug.log" 2>&1; then
		echo "PASS bug-builds-everywhere $bug (pre-seed variant, hooks compiled out)"
	else
		echo "FAIL bug-builds-everywhere $bug"; tail -10 "$tmp/build-locked-$bug.log"
	fi
	found_repro=0 fuzz_target=""
	for bin in corpus/*/regressions/"$bug"*.bin; do
		[ -f "$bin" ] || continue
		found_repro=1
		t=fuzz_$(basename "$(dirname "$(dirname "$bin")")")
		[ -n "$fuzz_target" ] || fuzz_target=$t
		want=$(sed -n 's/^# expect: *\([A-Z0-9]*\).*/\1/p' "${bin%.bin}.txt")
		"$dir/$t" "$bin" >"$tmp/repro.log" 2>&1
		got=$(sed -n 's/^==== verdict: \([A-Z0-9]*\):.*/\1/p' "$tmp/repro.log" | head -1)
		if [ -n "$want" ] && [ "$got" = "$want" ]; then
			echo "PASS bug-reproducer $bug $bin ($got)"
		else
			echo "FAIL bug-reproducer $bug $bin: want oracle ${want:-?}, got ${got:-no verdict}"
			tail -20 "$tmp/repro.log"
		fi
	done
	[ $found_repro = 1 ] || echo "FAIL bug-reproducer $bug: no corpus/*/regressions/$bug*.bin"
	t=${fuzz_target:-fuzz_schedule} runs=${DEEP_RUNS[$bug]:-$RUNS}
	if fuzz_from_seeds "$dir/$t" "$t" "$tmp/fuzz-$bug.log" "$runs"; then
		echo "FAIL bug-found-by-fuzzing $bug: $runs runs of $t (seed 1) found nothing"
	else
		how=$(grep -m1 -oE '==== verdict: [A-Z0-9]+|ERROR: [A-Za-z]+Sanitizer: [a-zA-Z-]+' "$tmp/fuzz-$bug.log")
		n=$(sed -n 's/^stat::number_of_executed_units: *//p' "$tmp/fuzz-$bug.log")
		grep -q INITED "$tmp/fuzz-$bug.log" || n=""
		when=${n:+"after $n runs"}
		echo "PASS bug-found-by-fuzzing $bug (${how#==== verdict: } by $t ${when:-while replaying the seeds}, seed 1, budget $runs)"
	fi
done
