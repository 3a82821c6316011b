#!/usr/bin/env bash
# bench/detect.sh - the detection benchmark: for every injected bug and
# every engine, how long until the bug is found, and by what; and whether
# the correct allocator ever raises a false alarm.
#
#   bench/detect.sh [--cap SECONDS] [--trials N] [--bugs "a b ..."] [--out FILE]
#                   [--report-only]
#
# Engines: fuzz_schedule, fuzz_needzero, fuzz_pagealloc (libFuzzer,
# ASan+UBSan builds, fixed seeds 1..N, from the committed seeds),
# fuzz_schedule_freerun (libFuzzer, TSan) and stress (TSan build, default
# options, seeds 1..N) -- the plain stress testing a user would otherwise
# run, and the baseline of the speed-up column.  Each trial stops at the
# first detection or at the cap.  The correct allocator then runs every
# engine for cap x trials seconds: any failure there is a false positive.
#
# Writes a report (default docs/DETECTION.md) and prints its tables;
# --report-only rewrites it from the last run's build/detect/results.tsv
# (give the same --cap and --trials) without running anything.
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

CAP=60 TRIALS=3 BUGS="" REPORT=$ROOT/docs/DETECTION.md
usage() { sed -n '2,21p' "$0" >&2; exit 2; }
REPORT_ONLY=0
while [ $# -gt 0 ]; do
	case $1 in
	--cap) CAP=${2:?}; shift 2 ;;
	--trials) TRIALS=${2:?}; shift 2 ;;
	--bugs) BUGS=${2:?}; shift 2 ;;
	--out) REPORT=${2:?}; shift 2 ;;
	--report-only) REPORT_ONLY=1; shift ;;
	-h | --help) usage ;;
	*) echo "detect.sh: unknown argument '$1'" >&2; usage ;;
	esac
done
[[ $CAP =~ ^[0-9]+$ && $CAP -gt 0 && $TRIALS =~ ^[0-9]+$ && $TRIALS -gt 0 ]] || { echo "detect.sh: --cap and --trials take positive integers" >&2; exit 2; }
[ -n "$BUGS" ] || BUGS=$(sed -n 's/^PH_BUG([A-Z0-9_]*, *"\([^"]*\)".*/\1/p' allocator/ph_bugs.def)

ENGINES="fuzz_schedule fuzz_needzero fuzz_pagealloc fuzz_schedule_freerun stress"
WORK=$ROOT/build/detect
mkdir -p "$WORK"
RAW=$WORK/results.tsv
if [ "$REPORT_ONLY" = 1 ]; then
	[ -s "$RAW" ] || { echo "detect.sh: --report-only: no results in $RAW; run the benchmark first" >&2; exit 2; }
else
	: >"$RAW"
fi
export TSAN_OPTIONS="halt_on_error=1" UBSAN_OPTIONS="halt_on_error=1"
ASAN="-fsanitize=address,undefined -fno-sanitize-recover=all"
TSAN="-fsanitize=thread"
J=$(nproc)

# build DIR SAN FZLIBDIR BUG GOALS...: one variant, reusing FZLIBDIR's harness.
build() {
	local dir=$1 san=$2 lib=$3 bug=$4
	shift 4
	make -s -j"$J" B="$dir" SAN="$san" HOOKS=1 CC=clang CXX=clang++ BUG="$bug" \
		FZLIB="$lib/libfz.a" "$lib/libfz.a" "$@" >"$dir.log" 2>&1 ||
		{ echo "detect.sh: build of $dir failed, see $dir.log" >&2; exit 1; }
}

build_all() { # NAME BUG
	local name=$1 bug=$2 cov="CFLAGS=-fsanitize=fuzzer-no-link LIB_FUZZING_ENGINE=-fsanitize=fuzzer"
	build "$WORK/$name-asan" "$ASAN" "$WORK/base-asan" "$bug" $cov targets
	build "$WORK/$name-tsanfz" "$TSAN" "$WORK/base-tsanfz" "$bug" $cov "$WORK/$name-tsanfz/fuzz_schedule_freerun"
	build "$WORK/$name-tsan" "$TSAN" "$WORK/base-tsan" "$bug" stress
}

now() { date +%s.%N; }

# trial BUILDNAME ENGINE SEED SECONDS -> "detected seconds execs how"
trial() {
	local name=$1 engine=$2 seed=$3 secs=$4 d=$WORK/run
	rm -rf "$d"; mkdir -p "$d/corpus"
	local t0 t1 rc log=$d/log
	t0=$(now)
	case $engine in
	stress)
		timeout -k 10 $((secs + 60)) "$WORK/$name-tsan/stress" --seed "$seed" --seconds "$secs" --quiet >"$log" 2>&1
		rc=$? ;;
	*)
		local seeds=corpus/${engine#fuzz_}
		[ "$engine" = fuzz_schedule_freerun ] && seeds=corpus/schedule
		find "$seeds" -maxdepth 1 -type f ! -name '*.md' ! -name '*.txt' -exec cp {} "$d/corpus/" \;
		local bin=$WORK/$name-asan/$engine
		[ "$engine" = fuzz_schedule_freerun ] && bin=$WORK/$name-tsanfz/$engine
		(cd "$d" && timeout -k 10 $((secs + 60)) "$bin" -seed="$seed" -max_total_time="$secs" -reload=0 \
			-artifact_prefix="$d/" corpus >"$log" 2>&1)
		rc=$? ;;
	esac
	t1=$(now)
	local el execs how
	el=$(echo "$t1 - $t0" | bc)
	if [ "$engine" = stress ]; then
		execs=$(awk '$1 == "total" {print $2}' "$log" | tail -1)
	else
		execs=$(grep -oE '^#[0-9]+' "$log" | tail -1 | tr -d '#')
	fi
	# fuzz_pagealloc's differential oracle prints "PAGEALLOC: ..." at a
	# line start; the schedule targets and stress print verdict lines.
	how=$(grep -m1 -oE 'verdict: [A-Z0-9]+|oracle [A-Z0-9]+|^PAGEALLOC:|ThreadSanitizer: [a-z -]+|AddressSanitizer: [a-zA-Z-]+|runtime error' "$log" |
		sed 's/verdict: //; s/oracle //; s/^PAGEALLOC:/PAGEALLOC/; s/ThreadSanitizer: data race.*/TSan race/; s/ThreadSanitizer: .*/TSan/')
	# 124/137: our timeout ended a trial that ignored its time limit.
	[ -z "$how" ] && { [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; } && how=HANG
	if [ "$rc" -ne 0 ]; then
		echo "1 $el ${execs:-0} ${how:-crash}"
	else
		echo "0 $el ${execs:-0} -"
	fi
}

if [ "$REPORT_ONLY" = 0 ]; then
echo "detect.sh: building the correct allocator's harness libraries"
mkdir -p "$WORK/base-asan" "$WORK/base-tsanfz" "$WORK/base-tsan"
build_all base ""

for bug in $BUGS; do
	echo "detect.sh: $bug"
	build_all "bug-$bug" "$bug"
	for engine in $ENGINES; do
		for seed in $(seq 1 "$TRIALS"); do
			read -r found secs execs how < <(trial "bug-$bug" "$engine" "$seed" "$CAP")
			printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$bug" "$engine" "$seed" "$found" "$secs" "$execs" "$how" >>"$RAW"
			printf '  %-24s seed %s: %s\n' "$engine" "$seed" \
				"$([ "$found" = 1 ] && echo "found in ${secs}s after $execs by $how" || echo "not found in ${CAP}s")"
		done
	done
done

echo "detect.sh: false positives: the correct allocator, every engine, $((CAP * TRIALS))s each"
FP=0
for engine in $ENGINES; do
	read -r found secs execs how < <(trial base "$engine" 1000 $((CAP * TRIALS)))
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' correct "$engine" 1000 "$found" "$secs" "$execs" "$how" >>"$RAW"
	[ "$found" = 1 ] && { FP=$((FP + 1)); echo "  FALSE POSITIVE: $engine: $how (log kept in $WORK/run/log)"; cp -r "$WORK/run" "$WORK/fp-$engine"; }
	echo "  $engine: ${secs}s, $execs executions, $([ "$found" = 1 ] && echo "FAILED ($how)" || echo clean)"
done
fi
FP=$(awk -F'\t' '$1 == "correct" && $4 == 1' "$RAW" | wc -l)
FP_RUNS=$(awk -F'\t' '$1 == "correct"' "$RAW" | wc -l)

# ---- report ----------------------------------------------------------------
rm -f "$WORK/speedups" "$WORK/always" "$WORK/shallow"
median() { sort -g | awk '{a[NR]=$1} END{if (NR==0) print ""; else if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

{
	echo "# Detection benchmark"
	echo
	echo "Generated by \`bench/detect.sh --cap $CAP --trials $TRIALS\` on $(date -u +%Y-%m-%d),"
	echo "$(nproc) cores ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1))."
	echo "Each cell: trials that found the bug / trials, median seconds to detection"
	echo "over the trials that found it (a trial that did not counts as the cap when"
	echo "computing the best engine's median), and what detected it.  libFuzzer"
	echo "targets run the ASan+UBSan build (\`fuzz_schedule_freerun\` the TSan build)"
	echo "from the committed seeds with \`-seed=1..$TRIALS\`; \`stress\` is the TSan"
	echo "build with default options and \`--seed 1..$TRIALS\`.  The libFuzzer targets"
	echo "start from \`corpus/<target>/\` only: the reproducers in its \`regressions/\`"
	echo "folder, one per injected bug, are left out.  Times are wall clock from"
	echo "process start, so they include start-up (about 0.15 s for a sanitizer"
	echo "build); where plain stress also finds a bug within its first second, the"
	echo "speed-up cannot be large."
	echo
	echo "## Summary"
	echo
	echo "| bug | best fuzzing engine | median time to detect | found in every trial | plain stress median | speed-up over stress |"
	echo "|---|---|---|---|---|---|"
	for bug in $BUGS; do
		best="" bestmed=""
		# The tool's best engine; stress is the baseline it is measured against.
		for engine in $ENGINES; do
			[ "$engine" = stress ] && continue
			med=$(awk -F'\t' -v b="$bug" -v e="$engine" -v cap="$CAP" '$1==b && $2==e {print ($4==1 ? $5 : cap)}' "$RAW" | median)
			if [ -z "$bestmed" ] || [ "$(echo "$med < $bestmed" | bc)" = 1 ]; then best=$engine bestmed=$med; fi
		done
		all=$(awk -F'\t' -v b="$bug" -v e="$best" '$1==b && $2==e && $4==1' "$RAW" | wc -l)
		smed=$(awk -F'\t' -v b="$bug" -v cap="$CAP" '$1==b && $2=="stress" {print ($4==1 ? $5 : cap)}' "$RAW" | median)
		sfound=$(awk -F'\t' -v b="$bug" '$1==b && $2=="stress" && $4==1' "$RAW" | wc -l)
		# A trial stress missed counts as the cap: a lower bound.
		ratio=$(echo "scale=2; $smed / $bestmed" | bc)
		echo "$ratio" >>"$WORK/speedups"
		[ "$all" -eq "$TRIALS" ] && [ "$(echo "$bestmed <= 60" | bc)" = 1 ] && echo "$bug" >>"$WORK/always"
		[ "$sfound" -eq "$TRIALS" ] && [ "$(echo "$smed < 1 && $bestmed < 1" | bc)" = 1 ] && echo "$bug" >>"$WORK/shallow"
		if [ "$sfound" -lt "$TRIALS" ]; then
			speed=">= $(echo "scale=0; $CAP / $bestmed" | bc)x"
			stext="not found in ${CAP}s ($sfound/$TRIALS)"
		else
			speed="$(printf '%.1f' "$(echo "scale=3; $smed / $bestmed" | bc)")x"
			stext=$(printf '%.2fs' "$smed")
		fi
		printf '| %s | %s | %.2fs | %s | %s | %s |\n' "$bug" "$best" "$bestmed" \
			"$([ "$all" -eq "$TRIALS" ] && echo yes || echo "no ($all/$TRIALS)")" "$stext" "$speed"
	done
	echo
	echo "False positives on the correct allocator ($((CAP * TRIALS))s per engine, $FP_RUNS engines): **$FP**."
	echo
	echo "## Goals"
	echo
	nbugs=$(echo $BUGS | wc -w)
	nalways=$(sort -u "$WORK/always" 2>/dev/null | wc -l)
	medspeed=$(median <"$WORK/speedups")
	n10=$(awk '$1 >= 10' "$WORK/speedups" | wc -l)
	echo "- Every bug detected by at least one engine in every trial within 60 s"
	echo "  (counted for the best fuzzing engine; the cap here is ${CAP} s): $nalways of $nbugs bugs — $([ "$nalways" -eq "$nbugs" ] && echo met || echo '**not met**')."
	echo "- Median detection at least 10x faster than plain stress: median speed-up"
	echo "  over the bugs $(printf '%.1f' "$medspeed")x (lower bounds where stress missed), $n10 of $nbugs bugs"
	echo "  at 10x or more — $(echo "$medspeed >= 10" | bc | sed 's/1/met/; s/0/**not met**/')."
	echo "- Zero false positives: $FP — $([ "$FP" -eq 0 ] && echo met || echo '**not met**')."
	nshallow=$(sort -u "$WORK/shallow" 2>/dev/null | wc -l)
	echo
	echo "$nshallow of $nbugs bugs are found by both the best fuzzing engine and plain stress"
	echo "in under a second, on their first inputs: for those the ratio compares"
	echo "start-up times (a libFuzzer target loads and replays its seeds before the"
	echo "first new input), not search power.  The large ratios are where a bug"
	echo "needs one particular interleaving or an oracle stress does not have."
	echo
	echo "## Every engine"
	echo
	printf '| bug |'; for e in $ENGINES; do printf ' %s |' "$e"; done; echo
	printf '|---|'; for e in $ENGINES; do printf -- '---|'; done; echo
	for bug in $BUGS; do
		printf '| %s |' "$bug"
		for engine in $ENGINES; do
			n=$(awk -F'\t' -v b="$bug" -v e="$engine" '$1==b && $2==e && $4==1' "$RAW" | wc -l)
			med=$(awk -F'\t' -v b="$bug" -v e="$engine" '$1==b && $2==e && $4==1 {print $5}' "$RAW" | median)
			how=$(awk -F'\t' -v b="$bug" -v e="$engine" '$1==b && $2==e && $4==1 {print $7}' "$RAW" | sort | uniq -c | sort -rn | awk 'NR==1{print $2}')
			if [ "$n" -gt 0 ]; then printf ' %s/%s, %.2fs, %s |' "$n" "$TRIALS" "$med" "$how"; else printf ' 0/%s |' "$TRIALS"; fi
		done
		echo
	done
	echo
	echo "Raw results (bug, engine, seed, found, seconds, executions, detected by): \`build/detect/results.tsv\`."
} >"$REPORT"
cat "$REPORT"
