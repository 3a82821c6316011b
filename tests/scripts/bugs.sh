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
#    the committed seeds of fuzz_schedule must find it.
# The correct build passes the same bounded runs (no false positives); the
# reproducers replay clean on it in corpus.sh.
set -uo pipefail
cd "$ROOT"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
RUNS=${BUGS_RUNS:-20000}
SAN="-fsanitize=address,undefined -fno-sanitize-recover=all"
base=$ROOT/build/bugs/base
export UBSAN_OPTIONS="halt_on_error=1"

build() { # DIR [BUG]
	make -s -j"$(nproc)" B="$1" SAN="$SAN" HOOKS=1 CC=clang CXX=clang++ CFLAGS=-fsanitize=fuzzer-no-link \
		LIB_FUZZING_ENGINE=-fsanitize=fuzzer FZLIB="$base/libfz.a" BUG="${2:-}" "$base/libfz.a" targets
}

if ! build "$base" >"$tmp/base.log" 2>&1; then
	echo "FAIL bugs-base-build"; tail -20 "$tmp/base.log"; exit 0
fi

# fuzz_from_seeds BIN TARGET LOG: the bounded, fixed-seed run; its status.
fuzz_from_seeds() {
	local dir=$tmp/corpus-$2
	rm -rf "$dir"; mkdir -p "$dir"
	cp corpus/"${2#fuzz_}"/*.bin "$dir"/
	(cd "$tmp" && "$1" -seed=1 -runs="$RUNS" -reload=0 -artifact_prefix="$tmp/" "$dir" >"$3" 2>&1)
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
	found_repro=0
	for bin in corpus/*/regressions/"$bug"*.bin; do
		[ -f "$bin" ] || continue
		found_repro=1
		t=fuzz_$(basename "$(dirname "$(dirname "$bin")")")
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
	if fuzz_from_seeds "$dir/fuzz_schedule" fuzz_schedule "$tmp/fuzz-$bug.log"; then
		echo "FAIL bug-found-by-fuzzing $bug: $RUNS runs of fuzz_schedule (seed 1) found nothing"
	else
		how=$(grep -m1 -oE '==== verdict: [A-Z0-9]+|ERROR: [A-Za-z]+Sanitizer: [a-zA-Z-]+' "$tmp/fuzz-$bug.log")
		runs=$(grep -oE '^#[0-9]+' "$tmp/fuzz-$bug.log" | tail -1)
		when=${runs:+"after ${runs#\#} runs"}
		echo "PASS bug-found-by-fuzzing $bug (${how#==== verdict: } ${when:-while replaying the seeds}, seed 1)"
	fi
done
