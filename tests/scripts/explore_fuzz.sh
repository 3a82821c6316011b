#!/usr/bin/env bash
# explore_fuzz.sh - the FZ_EXPLORE mode of the schedule-running targets
# (fuzz/explore/fz_explore_input.c): libFuzzer's bytes choose the thread
# programs, the explorer runs their interleavings.
#  - on the correct allocator every seed of corpus/schedule and
#    corpus/needzero passes with FZ_EXPLORE=1;
#  - with a fault (cas-fail-rezero) a seed whose own decisions pass fails
#    in FZ_EXPLORE=1 with the fault's oracle, the process exits non-zero
#    and ends with the verdict line, and the text schedule it prints
#    replays to the same oracle through the same target without FZ_EXPLORE;
#  - libFuzzer with FZ_EXPLORE=1 finds a fault from bench/detect.sh's
#    minimal seed (cas-no-overlap-check, fuzz_needzero, fixed seed);
#  - bad values of FZ_EXPLORE and FZ_EXPLORE_MAX exit 2 with a message.
# The faulty builds are those of bugs.sh and explore.sh (same folders and
# flags, linked against the correct build's harness).
set -uo pipefail
cd "$ROOT"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# shellcheck source=tools/faulty-build.sh
. "$ROOT/tools/faulty-build.sh"
base=$FAULTY_BASE
export UBSAN_OPTIONS="halt_on_error=1" FZ_BUDGET=20000
build() { # DIR [BUG]
	faulty_build "$1" "${2:-}"
}
if ! build "$base" >"$tmp/base.log" 2>&1; then
	echo "FAIL explore-fuzz-base-build"; tail -20 "$tmp/base.log"; exit 0
fi

for fam in schedule needzero; do
	if FZ_EXPLORE=1 "$base/fuzz_$fam" corpus/$fam/*.bin >"$tmp/pass-$fam.log" 2>&1 &&
		! grep -q '^==== verdict' "$tmp/pass-$fam.log"; then
		echo "PASS explore-fuzz-correct-seeds fuzz_$fam ($(ls corpus/$fam/*.bin | wc -l) seeds, FZ_EXPLORE=1)"
	else
		echo "FAIL explore-fuzz-correct-seeds fuzz_$fam"; grep -m3 '^====' "$tmp/pass-$fam.log"
	fi
done

bug=cas-fail-rezero seed=corpus/schedule/fresh-arena.bin
dir=$ROOT/build/bugs/$bug
if ! build "$dir" "$bug" >"$tmp/build.log" 2>&1; then
	echo "FAIL explore-fuzz-bug-build $bug"; tail -20 "$tmp/build.log"; exit 0
fi
if "$dir/fuzz_schedule" "$seed" >"$tmp/plain.log" 2>&1; then
	echo "PASS explore-fuzz-plain-run-passes $bug $seed (its own decisions miss the fault)"
else
	echo "FAIL explore-fuzz-plain-run-passes $bug $seed: the seed alone fails, so it proves nothing"
fi
FZ_EXPLORE=1 "$dir/fuzz_schedule" "$seed" >"$tmp/x.log" 2>&1
rc=$?
got=$(sed -n 's/^==== verdict: \([A-Z0-9]*\):.*/\1/p' "$tmp/x.log" | head -1)
if [ $rc -ne 0 ] && [ "$got" = Z2 ] && grep -q 'oracle Z2 failed in interleaving [0-9]* of this input' "$tmp/x.log"; then
	echo "PASS explore-fuzz-finds $bug $seed (Z2, exit $rc)"
else
	echo "FAIL explore-fuzz-finds $bug $seed: exit $rc, verdict ${got:-none}"; tail -15 "$tmp/x.log"
fi
sed -n '/^==== the failing interleaving as a text schedule/,/^====/p' "$tmp/x.log" | sed '1d;$d' >"$tmp/fail.txt"
if [ -s "$tmp/fail.txt" ] && "$OUT_DIR/schedtool" encode "$tmp/fail.txt" "$tmp/fail.bin" >/dev/null 2>&1; then
	"$dir/fuzz_schedule" "$tmp/fail.bin" >"$tmp/replay.log" 2>&1
	again=$(sed -n 's/^==== verdict: \([A-Z0-9]*\):.*/\1/p' "$tmp/replay.log" | head -1)
	if [ "$again" = Z2 ]; then
		echo "PASS explore-fuzz-printed-schedule-replays $bug (Z2 without FZ_EXPLORE)"
	else
		echo "FAIL explore-fuzz-printed-schedule-replays $bug: ${again:-no verdict}"; tail -5 "$tmp/replay.log"
	fi
else
	echo "FAIL explore-fuzz-printed-schedule-replays $bug: no text schedule printed, or it does not encode"
	head -20 "$tmp/fail.txt"
fi

# Search: libFuzzer chooses the programs from a two-thread minimal seed.
bug=cas-no-overlap-check
dir=$ROOT/build/bugs/$bug
if build "$dir" "$bug" >"$tmp/build2.log" 2>&1; then
	mkdir -p "$tmp/corpus" "$tmp/art"
	printf 'target needzero\nthreads 2\nstrategy rr quantum 1\nseed 0x00000001\ncaches on\nthread 0\n  alloc 1\nthread 1\n  alloc 1\ndecisions\n' \
		>"$tmp/min.txt" # bench/detect.sh's minimal seed
	"$OUT_DIR/schedtool" encode "$tmp/min.txt" "$tmp/corpus/min.bin" || echo "FAIL explore-fuzz-minimal-seed: does not encode"
	FZ_EXPLORE=1 "$dir/fuzz_needzero" -seed=1 -runs=20000 -max_len=4096 -artifact_prefix="$tmp/art/" \
		"$tmp/corpus" >"$tmp/search.log" 2>&1
	rc=$?
	got=$(sed -n 's/^==== verdict: \([A-Z0-9]*\):.*/\1/p' "$tmp/search.log" | head -1)
	# The mode's own header: the failure came from an explored interleaving,
	# not from the seed's decisions or libFuzzer's plain run.
	if [ $rc -ne 0 ] && [ "$got" = O3 ] && ls "$tmp"/art/crash-* >/dev/null 2>&1 &&
		grep -q '^==== pageheap-fuzz: oracle O3 failed in interleaving [0-9]* of this input' "$tmp/search.log"; then
		echo "PASS explore-fuzz-search $bug (O3 from the minimal seed, $(grep -c '^#[0-9]' "$tmp/search.log") libFuzzer status lines)"
	else
		echo "FAIL explore-fuzz-search $bug: exit $rc, verdict ${got:-none}"; tail -5 "$tmp/search.log"
	fi
else
	echo "FAIL explore-fuzz-bug-build $bug"; tail -20 "$tmp/build2.log"
fi

bad() { # NAME ENV... -- the target must exit 2 naming the variable
	local name=$1 target=$2
	shift 2
	env "$@" "$target" corpus/schedule/fresh-arena.bin >"$tmp/bad.log" 2>&1
	local rc=$?
	if [ $rc -eq 2 ] && grep -q "is not valid" "$tmp/bad.log"; then
		echo "PASS explore-fuzz-usage-$name"
	else
		echo "FAIL explore-fuzz-usage-$name (exit $rc)"; head -3 "$tmp/bad.log"
	fi
}
bad bound-too-large "$base/fuzz_schedule" FZ_EXPLORE=9
bad not-a-number "$base/fuzz_schedule" FZ_EXPLORE=one
bad freerun "$base/fuzz_schedule_freerun" FZ_EXPLORE=1
bad max-zero "$base/fuzz_schedule" FZ_EXPLORE=1 FZ_EXPLORE_MAX=0
