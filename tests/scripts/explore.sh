#!/usr/bin/env bash
# explore.sh - out/explore end to end (the engine's own checks are in
# tests/test_explore.c).
#  - every seed program of corpus/schedule/ and corpus/needzero/ (not the
#    regressions) is explored with its decisions dropped, the default
#    reduction (--por classes), K = 2 (K = 1 where noted), on the correct
#    allocator: the search completes and every execution passes
#  - DPOR at K = 1 and 2 reaches as many terminal states as --por none on
#    every seed program (so the same ones), in no more executions
#  - --por classes (the default with a bound) at K = 1 and 2 (and at K = 3
#    on three-caches, where bounded DPOR misses states) enumerates as
#    many interleavings as --por none runs, runs exactly as many executions
#    as --por none finds classes, and reaches as many terminal states
#  - the same file gives the same report and JSON twice (time aside)
#  - a cap says INCOMPLETE and claims nothing; bad arguments and bad files
#    exit 2 with a message
#  - every fault listed in tests/explore_bugs.txt is found on its program
#    within its bound, and the .bin written for it replays to the same
#    oracle through the fuzz target built with the same fault
set -uo pipefail
cd "$ROOT"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ex=$OUT_DIR/explore
export TSAN_OPTIONS="halt_on_error=1 ${TSAN_OPTIONS:-}"
[ -x "$ex" ] || { echo "FAIL explore-binary: $ex missing"; exit 0; }

# K for the programs that cannot afford 2 in the suite's time budget.
declare -A bound=(
	[corpus/schedule/lock-contention.txt]=1 # 4 threads: 22k executions at K = 2
)

for f in corpus/schedule/*.txt corpus/needzero/*.txt; do
	k=${bound[$f]:-2}
	if "$ex" "$f" --drop-decisions --preemptions "$k" --json "$tmp/r.json" >"$tmp/r.txt" 2>&1 &&
		grep -q '^result: *all .* pass every oracle' "$tmp/r.txt" && grep -q '"complete_search": true' "$tmp/r.json"; then
		echo "PASS explore-corpus $f (K=$k, $(sed -n 's/^executions: *\([0-9]*\) run.*/\1/p' "$tmp/r.txt") executions)"
	else
		echo "FAIL explore-corpus $f (K=$k)"; tail -30 "$tmp/r.txt"
	fi
done

# The bound and DPOR (docs/EXPLORE.md, "Bounding and DPOR together"): on
# every seed, at K = 1 and 2 (K = 1 only where noted above), DPOR reaches as
# many distinct terminal states as the plain bounded search -- the same
# ones, since every state DPOR reaches is one of an interleaving within K.
json_field() { sed -n "s/.*\"$1\": \([0-9]*\),.*/\1/p" "$2" | head -1; }
for f in corpus/schedule/*.txt corpus/needzero/*.txt; do
	for k in 1 2; do
		[ "$k" -gt "${bound[$f]:-2}" ] && continue
		"$ex" "$f" --drop-decisions --quiet --preemptions "$k" --por none --json "$tmp/n.json" >/dev/null 2>&1
		"$ex" "$f" --drop-decisions --quiet --preemptions "$k" --por dpor --json "$tmp/d.json" >/dev/null 2>&1
		"$ex" "$f" --drop-decisions --quiet --preemptions "$k" --por classes --json "$tmp/c.json" >/dev/null 2>&1
		ns=$(json_field distinct_states "$tmp/n.json") ds=$(json_field distinct_states "$tmp/d.json")
		ne=$(json_field executions "$tmp/n.json") de=$(json_field executions "$tmp/d.json")
		if [ -n "$ns" ] && [ "$ns" = "$ds" ] && [ "$de" -le "$ne" ]; then
			echo "PASS explore-bounded-dpor-states $f K=$k ($ns states; $de executions, $ne without POR)"
		else
			echo "FAIL explore-bounded-dpor-states $f K=$k: --por none ${ns:-?} states in ${ne:-?} executions, dpor ${ds:-?} in ${de:-?}"
		fi
		nc=$(json_field distinct_classes "$tmp/n.json") cs=$(json_field distinct_states "$tmp/c.json")
		ce=$(json_field executions "$tmp/c.json") ci=$(json_field interleavings "$tmp/c.json")
		if [ -n "$ns" ] && [ "$ns" = "$cs" ] && [ "$ce" = "$nc" ] && [ "$ci" = "$ne" ]; then
			echo "PASS explore-one-run-per-class $f K=$k ($ce executions for $ci interleavings, $cs states)"
		else
			echo "FAIL explore-one-run-per-class $f K=$k: --por none ${ne:-?} interleavings in ${nc:-?} classes, ${ns:-?} states; classes ${ci:-?} interleavings, ${ce:-?} executions, ${cs:-?} states"
		fi
	done
done

# Where bounded DPOR is not complete: three-caches at K = 3, where DPOR
# reaches 1587 of the 1597 states (docs/EXPLORE.md); --por classes must
# still run exactly --por none's classes and reach all of its states.
f=corpus/schedule/three-caches.txt
"$ex" "$f" --drop-decisions --quiet --preemptions 3 --por none --json "$tmp/n.json" >/dev/null 2>&1
"$ex" "$f" --drop-decisions --quiet --preemptions 3 --por classes --json "$tmp/c.json" >/dev/null 2>&1
ne=$(json_field executions "$tmp/n.json") nc=$(json_field distinct_classes "$tmp/n.json") ns=$(json_field distinct_states "$tmp/n.json")
ce=$(json_field executions "$tmp/c.json") ci=$(json_field interleavings "$tmp/c.json") cs=$(json_field distinct_states "$tmp/c.json")
if [ -n "$ns" ] && [ "$ns" = "$cs" ] && [ "$ce" = "$nc" ] && [ "$ci" = "$ne" ]; then
	echo "PASS explore-one-run-per-class $f K=3 ($ce executions for $ci interleavings, $cs states)"
else
	echo "FAIL explore-one-run-per-class $f K=3: --por none ${ne:-?} interleavings in ${nc:-?} classes, ${ns:-?} states; classes ${ci:-?} interleavings, ${ce:-?} executions, ${cs:-?} states"
fi

# Determinism: the report without its time line, the JSON without its timings.
f=corpus/schedule/fresh-arena.txt
for i in 1 2; do
	"$ex" "$f" --drop-decisions --json "$tmp/j$i.json" | grep -v '^time:' >"$tmp/t$i.txt"
	grep -v -e '"seconds"' -e '"executions_per_second"' "$tmp/j$i.json" >"$tmp/jj$i.json"
done
if cmp -s "$tmp/t1.txt" "$tmp/t2.txt" && cmp -s "$tmp/jj1.json" "$tmp/jj2.json" && [ -s "$tmp/t1.txt" ]; then
	echo "PASS explore-deterministic-report $f"
else
	echo "FAIL explore-deterministic-report $f"; diff "$tmp/t1.txt" "$tmp/t2.txt" | head; diff "$tmp/jj1.json" "$tmp/jj2.json" | head
fi

# A cap: exit 0, INCOMPLETE, no claim of coverage.
"$ex" corpus/schedule/three-caches.txt --max-executions 5 --json "$tmp/cap.json" >"$tmp/cap.txt" 2>&1
rc=$?
if [ $rc -eq 0 ] && grep -q '^result: *INCOMPLETE' "$tmp/cap.txt" && grep -q '"complete_search": false' "$tmp/cap.json" &&
	grep -q '"executions": 5,' "$tmp/cap.json" && ! grep -q 'pass every oracle' "$tmp/cap.txt"; then
	echo "PASS explore-cap-says-incomplete"
else
	echo "FAIL explore-cap-says-incomplete (exit $rc)"; tail -5 "$tmp/cap.txt"
fi

# Bad arguments and files: exit 2 and a message naming the problem.
printf 'target schedule\nthreads 9\n' >"$tmp/bad.txt"
check_usage() { # NAME WANT-IN-MESSAGE ARGS...
	local name=$1 want=$2
	shift 2
	"$ex" "$@" >"$tmp/u.out" 2>"$tmp/u.err"
	local rc=$?
	if [ $rc -eq 2 ] && grep -q -- "$want" "$tmp/u.err"; then
		echo "PASS explore-usage-$name"
	else
		echo "FAIL explore-usage-$name (exit $rc)"; head -5 "$tmp/u.err"
	fi
}
check_usage no-file "no FILE given"
check_usage bad-por "--por wants classes, dpor, dpor-cut or none" corpus/schedule/fresh-arena.txt --por maybe
check_usage bad-k "--preemptions wants" corpus/schedule/fresh-arena.txt --preemptions -3
check_usage bad-flag "unknown option" corpus/schedule/fresh-arena.txt --fast
check_usage missing-file "No such file" "$tmp/none.txt"
check_usage malformed "bad.txt:2:9: thread count out of range" "$tmp/bad.txt"
check_usage binary-file "fresh-arena.bin:1:" corpus/schedule/fresh-arena.bin
check_usage bad-out "not a folder" corpus/schedule/fresh-arena.txt --out "$tmp/none"

# Faults on the CAS-failure path.  The builds are those of bugs.sh (same
# folders and flags, so whichever script runs first builds them once); the
# explorer is linked against the correct build's harness like the targets.
# shellcheck source=tools/faulty-build.sh
. "$ROOT/tools/faulty-build.sh"
base=$FAULTY_BASE
export UBSAN_OPTIONS="halt_on_error=1"
build() { # DIR [BUG]
	faulty_build "$1" "${2:-}" "$1/explore"
}
if ! build "$base" >"$tmp/base.log" 2>&1; then
	echo "FAIL explore-bugs-base-build"; tail -20 "$tmp/base.log"; exit 0
fi
known=$(sed -n 's/^PH_BUG([A-Z0-9_]*, *"\([^"]*\)".*/\1/p' allocator/ph_bugs.def)
# A livelock is declared after this many scheduling points, in the explorer
# and in the replay alike (the default 200000 only costs time here).
export FZ_BUDGET=20000
while read -r bug prog k want; do
	case $bug in '' | '#'*) continue ;; esac
	name="explore-finds-bug $bug $prog K=$k"
	if ! grep -qx -- "$bug" <<<"$known"; then
		echo "FAIL $name: no fault '$bug' in allocator/ph_bugs.def"; continue
	fi
	dir=$ROOT/build/bugs/$bug
	if ! build "$dir" "$bug" >"$tmp/build-$bug.log" 2>&1; then
		echo "FAIL $name: build"; tail -20 "$tmp/build-$bug.log"; continue
	fi
	for por in classes dpor; do
		name="explore-finds-bug $bug $prog K=$k --por $por"
		rm -rf "$tmp/pair" && mkdir -p "$tmp/pair"
		"$dir/explore" "$prog" --drop-decisions --preemptions "$k" --por "$por" --out "$tmp/pair" --json "$tmp/bug.json" \
			>"$tmp/bug.txt" 2>&1
		rc=$?
		got=$(sed -n 's/.*"oracle": "\([A-Z0-9]*\)".*/\1/p' "$tmp/bug.json" | head -1)
		bin=$(ls "$tmp"/pair/*.bin 2>/dev/null | head -1)
		if [ $rc -ne 1 ] || [ "$got" != "$want" ] || [ -z "$bin" ]; then
			echo "FAIL $name: exit $rc, oracle ${got:-none}, want $want"; tail -15 "$tmp/bug.txt"; continue
		fi
		target=fuzz_$(sed -n 's/^target  *\([a-z_]*\).*/\1/p' "$prog" | head -1) # the file's own target line
		"$dir/$target" "$bin" >"$tmp/replay.log" 2>&1
		replayed=$(sed -n 's/^==== verdict: \([A-Z0-9]*\):.*/\1/p' "$tmp/replay.log" | head -1)
		execs=$(sed -n 's/.*"executions": \([0-9]*\),.*/\1/p' "$tmp/bug.json")
		if [ "$replayed" = "$want" ] && grep -q '"replays_same_verdict": true' "$tmp/bug.json"; then
			echo "PASS $name ($want at execution $execs, replayed by $target)"
		else
			echo "FAIL $name: the written schedule replays to ${replayed:-no verdict} through $target, want $want"
			tail -15 "$tmp/replay.log"
		fi
	done
done <tests/explore_bugs.txt
