#!/usr/bin/env bash
# bench/detect.sh - the detection benchmark: for every injected bug and every
# engine, whether and how fast the bug is found (seconds and executions), by
# which oracle, and whether the correct allocator ever raises a false alarm.
#
#   bench/detect.sh [--from seeds|minimal] [--bugs "a b ..." | --deep]
#                   [--engines "e1 e2 ..."] [--trials N] [--cap SECONDS]
#                   [--fp-seconds S] [--tsv FILE] [--append] [--out FILE]
#                   [--report-only] [--list]
#
#   --from seeds     (default) libFuzzer engines start from the committed
#                    seeds of their target (corpus/<target>/, without its
#                    regressions/); bugs found while replaying those seeds
#                    are marked apart from bugs found by search
#   --from minimal   every libFuzzer engine starts from one tiny seed (two
#                    threads allocating one page each; for fuzz_pagealloc one
#                    growth and one allocation): the table measures search
#   --bugs LIST      only these faults of allocator/ph_bugs.def
#   --deep           only the deep faults (after the "deep faults" marker in
#                    allocator/ph_bugs.def)
#   --engines LIST   default: every engine below
#   --trials N       fixed seeds 1..N per bug and engine (default 3; 5 with
#                    --from minimal)
#   --cap SECONDS    per trial (default 60)
#   --fp-seconds S   the correct allocator runs every engine for S seconds
#                    (seed 1000); default cap x trials, 0 = skip
#   --tsv FILE       raw results (default build/detect/results.tsv); a run
#                    replaces it unless --append, which adds to it (the last
#                    row for a mode, bug, engine and seed wins)
#   --out FILE       the report (default docs/DETECTION.md)
#   --report-only    rewrite the report from the TSV without running anything
#   --list           print the engines and the bugs (deep ones marked), exit
#
# Engines: fuzz_schedule, fuzz_needzero, fuzz_pagealloc and
# fuzz_schedule_freerun, each in its ASan+UBSan build (/asan, what ClusterFuzz
# runs) and its TSan build (/tsan, what ./build.sh fuzz runs), with the
# options and dictionary ./build.sh fuzz gives them; and stress (the TSan
# build, default options, --seed 1..N): the plain stress testing a user would
# otherwise run, and the baseline of the speed-up.  A trial ends at its first
# detection (the time is when the first failure line appeared, so a target
# that hangs after reporting is still timed right) or at the cap.
#
# TSV columns: mode, bug, engine, seed, result (found|missed|hung), seconds,
# executions, detected by, phase (replay|search|-), cap.  Bug "correct" rows
# are the false-positive runs.  Each run also appends its command line, date
# and load average to FILE.runs, which the report quotes.  The report is
# written by bench/detect_report.sh.  Exit status 0, 2 on bad usage, 1 if a
# build fails.
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

ALL_ENGINES="fuzz_schedule/asan fuzz_schedule/tsan fuzz_needzero/asan fuzz_needzero/tsan fuzz_pagealloc/asan fuzz_pagealloc/tsan fuzz_schedule_freerun/asan fuzz_schedule_freerun/tsan stress"
DEF=allocator/ph_bugs.def
WORK=$ROOT/build/detect

usage() { sed -n '2,48p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
die_usage() { echo "detect.sh: $*" >&2; exit 2; }

all_bugs() { sed -n 's/^PH_BUG([A-Z0-9_]*, *"\([^"]*\)".*/\1/p' "$DEF"; }
deep_bugs() { sed -n '/---- deep faults ----/,$ s/^PH_BUG([A-Z0-9_]*, *"\([^"]*\)".*/\1/p' "$DEF"; }

FROM=seeds CAP=60 TRIALS="" BUGS="" ENGINES=$ALL_ENGINES FP_SECS="" TSV=$WORK/results.tsv
REPORT=$ROOT/docs/DETECTION.md REPORT_ONLY=0 APPEND=0 DEEP=0
CMDLINE="bench/detect.sh$(printf ' %q' "$@")"
while [ $# -gt 0 ]; do
	case $1 in
	--from) FROM=${2:-}; shift 2 || usage ;;
	--bugs) BUGS=${2:-}; shift 2 || usage ;;
	--deep) DEEP=1; shift ;;
	--engines) ENGINES=${2:-}; shift 2 || usage ;;
	--trials) TRIALS=${2:-}; shift 2 || usage ;;
	--cap) CAP=${2:-}; shift 2 || usage ;;
	--fp-seconds) FP_SECS=${2:-}; shift 2 || usage ;;
	--tsv) TSV=${2:-}; shift 2 || usage ;;
	--append) APPEND=1; shift ;;
	--out) REPORT=${2:-}; shift 2 || usage ;;
	--report-only) REPORT_ONLY=1; shift ;;
	--list)
		for e in $ALL_ENGINES; do echo "engine $e"; done
		deep=" $(deep_bugs | tr '\n' ' ')"
		for b in $(all_bugs); do
			case $deep in *" $b "*) echo "bug $b deep" ;; *) echo "bug $b" ;; esac
		done
		exit 0 ;;
	-h | --help) usage ;;
	*) die_usage "unknown argument '$1' (--help lists the options)" ;;
	esac
done
case $FROM in seeds | minimal) ;; *) die_usage "--from takes seeds or minimal, got '$FROM'" ;; esac
[ -n "$TRIALS" ] || { [ "$FROM" = minimal ] && TRIALS=5 || TRIALS=3; }
[ -n "$FP_SECS" ] || FP_SECS=$((CAP * TRIALS))
for n in "$CAP" "$TRIALS"; do
	[[ $n =~ ^[0-9]+$ && $n -gt 0 ]] || die_usage "--cap and --trials take positive integers"
done
[[ $FP_SECS =~ ^[0-9]+$ ]] || die_usage "--fp-seconds takes a non-negative integer"
[ "$DEEP" = 1 ] && [ -n "$BUGS" ] && die_usage "--deep and --bugs exclude each other"
[ "$DEEP" = 1 ] && BUGS=$(deep_bugs | tr '\n' ' ')
[ -n "$BUGS" ] || BUGS=$(all_bugs | tr '\n' ' ')
for b in $BUGS; do all_bugs | grep -qx -- "$b" || die_usage "unknown bug '$b' (--list shows them)"; done
for e in $ENGINES; do
	case " $ALL_ENGINES " in *" $e "*) ;; *) die_usage "unknown engine '$e' (--list shows them)" ;; esac
done

mkdir -p "$WORK" "$(dirname "$TSV")"
if [ "$REPORT_ONLY" = 1 ]; then
	[ -s "$TSV" ] || die_usage "--report-only: no results in $TSV; run the benchmark first"
elif [ "$APPEND" = 0 ]; then
	: >"$TSV"
	: >"$TSV.runs"
fi
export TSAN_OPTIONS="halt_on_error=1" UBSAN_OPTIONS="halt_on_error=1"
ASAN="-fsanitize=address,undefined -fno-sanitize-recover=all"
TSAN="-fsanitize=thread"
FUZZ="CFLAGS=-fsanitize=fuzzer-no-link LIB_FUZZING_ENGINE=-fsanitize=fuzzer"
J=$(nproc)

now() { date +%s.%N; }
uses() { case " $ENGINES " in *"$1"*) return 0 ;; esac; return 1; }

# build DIR SAN LIBDIR BUG GOALS...: one variant, reusing LIBDIR's harness.
build() {
	local dir=$1 san=$2 lib=$3 bug=$4
	shift 4
	mkdir -p "$dir"
	make -s -j"$J" B="$dir" SAN="$san" HOOKS=1 CC=clang CXX=clang++ BUG="$bug" \
		FZLIB="$lib/libfz.a" "$lib/libfz.a" "$@" >"$dir.log" 2>&1 ||
		{ echo "detect.sh: build of $dir failed, see $dir.log" >&2; exit 1; }
}

# build_all NAME BUG: the variants the chosen engines need.
build_all() {
	local name=$1 bug=$2
	if uses /asan; then build "$WORK/$name-asan" "$ASAN" "$WORK/base-asan" "$bug" $FUZZ targets; fi
	if uses /tsan; then build "$WORK/$name-tsanfz" "$TSAN" "$WORK/base-tsanfz" "$bug" $FUZZ targets; fi
	if uses stress; then build "$WORK/$name-tsan" "$TSAN" "$WORK/base-tsan" "$bug" stress; fi
}

# The tiny seed of --from minimal, per target.
minimal_seed() { # TARGET FILE
	local target=${1#fuzz_} txt=$WORK/minimal-$1.txt
	[ "$target" = schedule_freerun ] && target=schedule
	if [ "$target" = pagealloc ]; then
		printf '\001\001\002\000\000' >"$2" # grow 1 chunk, allocate 1 page
		return
	fi
	printf 'target %s\nthreads 2\nstrategy rr quantum 1\nseed 0x00000001\ncaches on\nthread 0\n  alloc 1\nthread 1\n  alloc 1\ndecisions\n' \
		"$target" >"$txt"
	"$WORK/base-tools/schedtool" encode "$txt" "$2" >/dev/null ||
		{ echo "detect.sh: cannot encode the minimal seed $txt" >&2; exit 1; }
}

# A line that means "found": an oracle's verdict, a sanitizer report, a
# libFuzzer crash or timeout, stress's failure.
DETECT='^==== (pageheap-fuzz|stress): oracle|^==== verdict: |^PAGEALLOC:|WARNING: ThreadSanitizer|ERROR: (Address|Thread|Memory|UndefinedBehavior)Sanitizer|runtime error:|ERROR: libFuzzer|^result: failed'

# trial BUILDNAME ENGINE SEED SECONDS -> "result seconds execs how phase"
trial() {
	local name=$1 engine=$2 seed=$3 secs=$4 d=$WORK/run
	rm -rf "$d"; mkdir -p "$d/corpus"
	local log=$d/log cmd=() target=${engine%/*} build=${engine#*/}
	if [ "$engine" = stress ]; then
		cmd=("$WORK/$name-tsan/stress" --seed "$seed" --seconds "$secs" --quiet)
	else
		local dir=$WORK/$name-asan seeds=corpus/${target#fuzz_} opts=()
		[ "$build" = tsan ] && dir=$WORK/$name-tsanfz
		[ "$target" = fuzz_schedule_freerun ] && seeds=corpus/schedule
		if [ "$FROM" = minimal ]; then
			minimal_seed "$target" "$d/corpus/tiny"
		else
			find "$seeds" -maxdepth 1 -type f ! -name '*.md' ! -name '*.txt' -exec cp {} "$d/corpus/" \;
		fi
		# The options and dictionary ./build.sh fuzz uses.
		[ -f "fuzz/options/$target.options" ] &&
			mapfile -t opts < <(sed -n 's/^\([a-z_]*\) *= *\(.*\)/-\1=\2/p' "fuzz/options/$target.options")
		[ -f "fuzz/dicts/$target.dict" ] && opts+=("-dict=$ROOT/fuzz/dicts/$target.dict")
		cmd=("$dir/$target" "${opts[@]}" -seed="$seed" -max_total_time="$secs" -reload=0
			-print_final_stats=1 -artifact_prefix="$d/" corpus)
	fi
	local t0 t_found="" pid rc
	t0=$(now)
	(cd "$d" && exec timeout -k 5 $((secs + 30)) "${cmd[@]}" >"$log" 2>&1) &
	pid=$!
	# Poll for the first failure line; a process that does not end within
	# 5 s of reporting (a hang in a crash handler) is stopped.
	while kill -0 "$pid" 2>/dev/null; do
		if [ -z "$t_found" ]; then
			grep -qE "$DETECT" "$log" 2>/dev/null && t_found=$(now)
		elif [ "$(echo "$(now) - $t_found > 5" | bc)" = 1 ]; then
			kill -TERM "$pid" 2>/dev/null
		fi
		sleep 0.1
	done
	wait "$pid"
	rc=$?
	[ -z "$t_found" ] && grep -qE "$DETECT" "$log" && t_found=$(now)
	local el execs how phase=-
	el=$(echo "${t_found:-$(now)} - $t0" | bc)
	if [ "$engine" = stress ]; then
		execs=$(awk '$1 == "total" {print $2}' "$log" | tail -1)
	else
		execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
		# Killed before its final stats: the last status line (a lower bound).
		[ -n "$execs" ] || execs=$(grep -oE '^#[0-9]+' "$log" | tail -1 | tr -d '#')
	fi
	how=$(grep -m1 -oE 'verdict: [A-Z0-9]+|: oracle [A-Z0-9]+|^PAGEALLOC:|ThreadSanitizer: [a-z -]+|AddressSanitizer: [a-zA-Z-]+|runtime error|libFuzzer: [a-z-]+' "$log" |
		sed 's/verdict: //; s/: oracle //; s/^PAGEALLOC:/PAGEALLOC/; s/ThreadSanitizer: data race.*/TSan-race/; s/ThreadSanitizer: .*/TSan/; s/AddressSanitizer: .*/ASan/; s/runtime error/UBSan/; s/libFuzzer: timeout/timeout/; s/libFuzzer: .*/crash/')
	if [ -n "$t_found" ]; then
		if [ "$engine" != stress ]; then
			# Before libFuzzer's INITED line it was still replaying the corpus.
			local at inited
			at=$(grep -nE "$DETECT" "$log" | head -1 | cut -d: -f1)
			inited=$(grep -n 'INITED' "$log" | head -1 | cut -d: -f1)
			if [ -n "$inited" ] && [ "$inited" -lt "$at" ]; then phase=search; else phase=replay; fi
		fi
		echo "found $el ${execs:-0} ${how:-crash} $phase"
	elif [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		echo "hung $el ${execs:-0} HANG -" # ignored its own time limit
	elif [ "$rc" -ne 0 ]; then
		echo "found $el ${execs:-0} exit-$rc -"
	else
		echo "missed $el ${execs:-0} - -"
	fi
}

record() { # BUG ENGINE SEED RESULT SECONDS EXECS HOW PHASE CAP
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$FROM" "$@" >>"$TSV"
}

if [ "$REPORT_ONLY" = 0 ]; then
	LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
	echo "detect.sh: from $FROM, cap ${CAP}s, $TRIALS trials; building the correct allocator's harness libraries"
	mkdir -p "$WORK/base-tools"
	make -s -j"$J" B="$WORK/base-tools" SAN= HOOKS=1 CC=clang tools >"$WORK/base-tools.log" 2>&1 ||
		{ echo "detect.sh: build of schedtool failed, see $WORK/base-tools.log" >&2; exit 1; }
	build_all base ""
	for bug in $BUGS; do
		echo "detect.sh: $bug"
		build_all "bug-$bug" "$bug"
		for engine in $ENGINES; do
			for seed in $(seq 1 "$TRIALS"); do
				read -r res secs execs how phase < <(trial "bug-$bug" "$engine" "$seed" "$CAP")
				record "$bug" "$engine" "$seed" "$res" "$secs" "$execs" "$how" "$phase" "$CAP"
				case $res in
				found) msg="found in ${secs}s, $execs executions, by $how" ;;
				hung) msg="HUNG (no report, killed after $((CAP + 30))s)" ;;
				*) msg="not found in ${CAP}s ($execs executions)" ;;
				esac
				[ "$phase" = replay ] && msg="$msg, while replaying the seeds"
				printf '  %-28s seed %s: %s\n' "$engine" "$seed" "$msg"
			done
		done
	done
	if [ "$FP_SECS" -gt 0 ]; then
		echo "detect.sh: false positives: the correct allocator, every engine, ${FP_SECS}s each"
		for engine in $ENGINES; do
			read -r res secs execs how phase < <(trial base "$engine" 1000 "$FP_SECS")
			record correct "$engine" 1000 "$res" "$secs" "$execs" "$how" "$phase" "$FP_SECS"
			if [ "$res" != missed ]; then
				cp -r "$WORK/run" "$WORK/fp-${engine//\//-}"
				echo "  FALSE POSITIVE: $engine: $how (log kept in $WORK/fp-${engine//\//-})"
			fi
			echo "  $engine: ${secs}s, $execs executions, $([ "$res" = missed ] && echo clean || echo "FAILED ($how)")"
		done
	fi
	LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
	echo "detect.sh: load average $LOAD_BEFORE at the start, $LOAD_AFTER at the end"
	printf '%s\t%s\t%s\t%s\n' "$(date -u +%Y-%m-%d)" "$CMDLINE" "$LOAD_BEFORE" "$LOAD_AFTER" >>"$TSV.runs"
fi

bench/detect_report.sh "$TSV" "$REPORT"
