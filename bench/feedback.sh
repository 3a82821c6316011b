#!/usr/bin/env bash
# bench/feedback.sh - what interleaving feedback and the schedule-aware
# mutator buy: executions to detect injected bugs, from a minimal corpus,
# for {feedback on, off} x {mutator structural, bytes}; distinct
# interleaving features reached in a fixed time; the feedback's cost in
# executions per second; false positives on the correct allocator.
#
#   bench/feedback.sh [--bugs "BUG[@TARGET] ..."] [--seeds "1 2 3 4 5"]
#                     [--runs N] [--from minimal|seeds] [--reach SECONDS]
#                     [--jobs J] [--out FILE] [--report-only | --cost-only]
#
# --bugs     injected faults (allocator/ph_bugs.def), each fuzzed with
#            fuzz_schedule unless @fuzz_needzero follows its name (default:
#            the CAS-path faults cas-no-overlap-check cas-no-reload
#            needzero-le arena-advance-wrong); the word "deep" stands for
#            the faults below the file's deep-faults marker, each with the
#            target of its reproducer
# --seeds    libFuzzer -seed values, one trial each per bug and configuration
# --runs     executions per trial before giving up (default 200000); a
#            trial that does not detect the bug counts as N
# --from     minimal: bench/detect.sh's minimal seed (two threads
#            allocating one page each); seeds: the committed
#            corpus/<target>/ (no regressions)
# --reach    seconds of fuzz_schedule on the correct allocator per
#            configuration, counting distinct interleaving features
#            (FZ_STATS=1) and executions per second; also the false-positive
#            check (default 600; 0 skips it)
# --jobs     trials run at once (default 1: timings stay comparable)
# --out      the report goes between the feedback-bench markers of FILE
#            (default docs/DETECTION.md), replacing that section
# --report-only  rewrite the report from build/feedback/results.tsv
# --cost-only    measure the feedback's cost again on the last run's reach
#            corpus (build/feedback/), then rewrite the report
#
# libFuzzer targets are the ASan+UBSan builds (as bench/detect.sh and
# ClusterFuzz use) with the options and dictionary ./build.sh fuzz gives
# them (fuzz/options/, fuzz/dicts/), -reload=0, and address-space
# randomisation off where allowed (setarch -R), so every trial repeats
# exactly; each configuration is set by FZ_FEEDBACK and FZ_MUTATOR only.
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

CMDLINE="bench/feedback.sh$(printf ' %q' "$@")"
BUGS="cas-no-overlap-check cas-no-reload needzero-le arena-advance-wrong"
SEEDS="1 2 3 4 5" RUNS=200000 FROM=minimal REACH=600 JOBS=1
REPORT=$ROOT/docs/DETECTION.md REPORT_ONLY=0 COST_ONLY=0
usage() { sed -n '2,38p' "$0" >&2; exit 2; }
while [ $# -gt 0 ]; do
	case $1 in
	--bugs) BUGS=${2:?}; shift 2 ;;
	--seeds) SEEDS=${2:?}; shift 2 ;;
	--runs) RUNS=${2:?}; shift 2 ;;
	--from) FROM=${2:?}; shift 2 ;;
	--reach) REACH=${2:?}; shift 2 ;;
	--jobs) JOBS=${2:?}; shift 2 ;;
	--out) REPORT=${2:?}; shift 2 ;;
	--report-only) REPORT_ONLY=1; shift ;;
	--cost-only) COST_ONLY=1; shift ;;
	-h | --help) usage ;;
	*) echo "feedback.sh: unknown argument '$1'" >&2; usage ;;
	esac
done
[[ $RUNS =~ ^[1-9][0-9]*$ && $REACH =~ ^[0-9]+$ && $JOBS =~ ^[1-9][0-9]*$ ]] ||
	{ echo "feedback.sh: --runs and --jobs take positive integers, --reach a number of seconds" >&2; exit 2; }
[[ $SEEDS =~ ^[0-9\ ]+$ && -n ${SEEDS// /} ]] || { echo "feedback.sh: --seeds takes numbers" >&2; exit 2; }
case $FROM in minimal | seeds) ;; *) echo "feedback.sh: --from takes minimal or seeds" >&2; exit 2 ;; esac
KNOWN=$(sed -n 's/^PH_BUG([A-Z0-9_]*, *"\([^"]*\)".*/\1/p' allocator/ph_bugs.def)
# "deep" in the list: the faults below ph_bugs.def's deep-faults marker,
# each with the target its committed reproducer belongs to.
deep_bugs() {
	sed -n '/---- deep faults ----/,$ s/^PH_BUG([A-Z0-9_]*, *"\([^"]*\)".*/\1/p' allocator/ph_bugs.def |
		while read -r b; do
			if [ -f "corpus/needzero/regressions/$b.bin" ]; then echo "$b@fuzz_needzero"; else echo "$b"; fi
		done
}
expanded=""
for b in $BUGS; do
	if [ "$b" = deep ]; then
		d=$(deep_bugs)
		[ -n "$d" ] || { echo "feedback.sh: allocator/ph_bugs.def has no deep-faults section" >&2; exit 2; }
		expanded="$expanded $d"
	else
		expanded="$expanded $b"
	fi
done
BUGS=$(echo $expanded)
for b in $BUGS; do
	t=${b#*@}
	[ "$t" = "$b" ] || [ "$t" = fuzz_schedule ] || [ "$t" = fuzz_needzero ] ||
		{ echo "feedback.sh: $b: the target must be fuzz_schedule or fuzz_needzero" >&2; exit 2; }
	grep -qx -- "${b%@*}" <<<"$KNOWN" || { echo "feedback.sh: ${b%@*} is not in allocator/ph_bugs.def" >&2; exit 2; }
done

# The four configurations: name, FZ_FEEDBACK, FZ_MUTATOR.
CONFIGS="on-structural:1:structural off-structural:0:structural on-bytes:1:bytes off-bytes:0:bytes"
WORK=$ROOT/build/feedback
RAW=$WORK/results.tsv REACHRAW=$WORK/reach.tsv COSTRAW=$WORK/cost.tsv
mkdir -p "$WORK"
export UBSAN_OPTIONS="halt_on_error=1"
ASAN="-fsanitize=address,undefined -fno-sanitize-recover=all"
J=$(nproc)

# build DIR BUG GOALS...: one fault (or none), reusing the correct build's harness.
build() {
	local dir=$1 bug=$2 base=$WORK/base
	shift 2
	make -s -j"$J" B="$dir" SAN="$ASAN" HOOKS=1 CC=clang CXX=clang++ BUG="$bug" CFLAGS=-fsanitize=fuzzer-no-link \
		LIB_FUZZING_ENGINE=-fsanitize=fuzzer FZLIB="$base/libfz.a" "$base/libfz.a" "$@" >"$dir.log" 2>&1 ||
		{ echo "feedback.sh: build of $dir failed, see $dir.log" >&2; exit 1; }
}

# The minimal seeds, bench/detect.sh's: two threads allocating one page
# each, in the target's byte format.  Written once, before trials run in
# parallel.
make_minimal() {
	local t
	for t in fuzz_schedule fuzz_needzero; do
		printf 'target %s\nthreads 2\nstrategy rr quantum 1\nseed 0x00000001\ncaches on\nthread 0\n  alloc 1\nthread 1\n  alloc 1\ndecisions\n' \
			"${t#fuzz_}" >"$WORK/minimal-$t.txt"
		"$WORK/base/schedtool" encode "$WORK/minimal-$t.txt" "$WORK/minimal-$t.bin" >/dev/null ||
			{ echo "feedback.sh: cannot encode $WORK/minimal-$t.txt" >&2; exit 1; }
	done
}

# The starting corpus of a target.
corpus_for() { # TARGET DIR
	local t=$1 d=$2
	mkdir -p "$d"
	if [ "$FROM" = seeds ]; then
		find "corpus/${t#fuzz_}" -maxdepth 1 -type f -name '*.bin' -exec cp {} "$d/" \;
	else
		cp "$WORK/minimal-$t.bin" "$d/minimal.bin"
	fi
}

# libFuzzer's compare tracing sees some heap addresses, so a fixed-seed run
# moves with address-space randomisation: runs are made with it off where
# the system allows (as tests/scripts/bugs.sh does), so they repeat exactly.
NO_ASLR=""
setarch "$(uname -m)" -R true 2>/dev/null && NO_ASLR="setarch $(uname -m) -R"

# The options and dictionary ./build.sh fuzz (and bench/detect.sh) give a target.
target_options() {
	sed -n 's/^\([a-z_]*\) *= *\(.*\)/-\1=\2/p' "$ROOT/fuzz/options/$1.options" 2>/dev/null
	[ -f "$ROOT/fuzz/dicts/$1.dict" ] && echo "-dict=$ROOT/fuzz/dicts/$1.dict"
}

# trial BUG TARGET CONFIG SEED: one libFuzzer run; prints a results line.
trial() {
	local bug=$1 t=$2 cfg=$3 seed=$4 name fb mut
	IFS=: read -r name fb mut <<<"$cfg"
	local d=$WORK/run-$bug-$t-$name-$seed
	rm -rf "$d"
	corpus_for "$t" "$d/corpus"
	local t0 rc
	t0=$(date +%s.%N)
	(cd "$d" && FZ_FEEDBACK=$fb FZ_MUTATOR=$mut timeout -k 10 3600 $NO_ASLR "$WORK/bug-$bug/$t" $(target_options "$t") \
		-seed="$seed" -runs="$RUNS" -reload=0 -print_final_stats=1 -artifact_prefix="$d/" corpus >log 2>&1)
	rc=$?
	local secs execs how found=0
	secs=$(echo "$(date +%s.%N) - $t0" | bc)
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$d/log" | tail -1)
	how=$(grep -m1 -oE 'verdict: [A-Z0-9]+|ERROR: [A-Za-z]+Sanitizer|runtime error' "$d/log" | sed 's/verdict: //')
	# 124/137: the timeout ended a run that ignored its limits.
	[ -z "$how" ] && { [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; } && how=HANG
	[ "$rc" -ne 0 ] && found=1
	[ "$found" = 1 ] || { execs=$RUNS; how=-; }
	if [ "$found" = 1 ] && [ -z "$how" ]; then
		how=crash
		cp "$d/log" "$WORK/unexplained-$bug-$name-$seed.log"
		echo "feedback.sh: $bug $name seed $seed: exit $rc without a verdict (log kept)" >&2
	fi
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%.2f\t%s\n' "$bug" "$t" "$name" "$seed" "$found" "${execs:-0}" "$secs" "$how"
	rm -rf "$d"
}
# reach CONFIG: fuzz_schedule on the correct allocator for REACH seconds;
# prints name, exit status, distinct features, executions, exec/s, corpus.
reach() {
	local name fb mut d=$WORK/reach-${1%%:*}
	IFS=: read -r name fb mut <<<"$1"
	rm -rf "$d" && mkdir -p "$d"
	corpus_for fuzz_schedule "$d/corpus"
	(cd "$d" && FZ_STATS=1 FZ_FEEDBACK=$fb FZ_MUTATOR=$mut timeout -k 10 $((REACH + 300)) $NO_ASLR "$WORK/base/fuzz_schedule" \
		$(target_options fuzz_schedule) -seed=1 -max_total_time="$REACH" -reload=0 -print_final_stats=1 \
		-artifact_prefix="$d/" corpus >log 2>&1)
	local rc=$? feats execs rate corp
	feats=$(sed -n 's/^pageheap-fuzz stats: .*, \([0-9]*\) distinct interleaving features.*$/\1/p' "$d/log")
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$d/log")
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$d/log")
	corp=$(find "$d/corpus" -type f | wc -l)
	printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$rc" "${feats:-?}" "${execs:-?}" "${rate:-?}" "$corp"
}
export -f trial corpus_for target_options reach
export WORK RUNS FROM ROOT REACH NO_ASLR

# --report-only describes the run that made the results, not this call's
# defaults.
if { [ "$REPORT_ONLY" = 1 ] || [ "$COST_ONLY" = 1 ]; } && [ -f "$WORK/settings" ]; then
	# shellcheck disable=SC1091
	. "$WORK/settings"
fi
if [ "$REPORT_ONLY" = 0 ] && [ "$COST_ONLY" = 0 ]; then
	echo "$CMDLINE" >"$WORK/cmdline"
	printf 'RUNS=%s FROM=%s REACH=%s\n' "$RUNS" "$FROM" "$REACH" >"$WORK/settings"
	echo "feedback.sh: building (ASan+UBSan, libFuzzer) into $WORK"
	mkdir -p "$WORK/base"
	build "$WORK/base" "" targets tools
	make_minimal
	: >"$RAW"
	jobs_file=$WORK/jobs
	: >"$jobs_file"
	for b in $BUGS; do
		bug=${b%@*} t=${b#*@}
		[ "$t" = "$b" ] && t=fuzz_schedule
		mkdir -p "$WORK/bug-$bug"
		build "$WORK/bug-$bug" "$bug" targets
		for seed in $SEEDS; do
			for cfg in $CONFIGS; do
				echo "$bug $t $cfg $seed" >>"$jobs_file"
			done
		done
	done
	echo "feedback.sh: $(wc -l <"$jobs_file") trials, $JOBS at a time, at most $RUNS executions each"
	xargs -P "$JOBS" -L 1 bash -c 'trial "$@"' _ <"$jobs_file" | tee -a "$RAW" |
		awk -F'\t' '{ printf "  %-24s %-14s %-14s seed %-3s %s\n", $1, $2, $3, $4, ($5 == 1 ? "found after " $6 " executions (" $8 ", " $7 "s)" : "not found in " $6 " executions") }'

	# Reach and false positives: the correct allocator, each configuration.
	: >"$REACHRAW"
	if [ "$REACH" -gt 0 ]; then
		echo "feedback.sh: distinct interleaving features in ${REACH}s of fuzz_schedule, correct allocator, $JOBS at a time"
		for cfg in $CONFIGS; do echo "$cfg"; done | xargs -P "$JOBS" -L 1 bash -c 'reach "$@"' _ >>"$REACHRAW"
		awk -F'\t' '{printf "  %s: %s features, %s executions (%s/s), corpus %s, exit %s\n", $1, $3, $4, $5, $6, $2}' "$REACHRAW"
	fi

fi
if [ "$REPORT_ONLY" = 0 ]; then
	[ "$COST_ONLY" = 0 ] || [ -x "$WORK/base/fuzz_schedule" ] ||
		{ echo "feedback.sh: --cost-only needs an earlier run's build in $WORK" >&2; exit 2; }
	# The report names a separate cost measurement; a full run clears that.
	if [ "$COST_ONLY" = 1 ]; then echo "$(date -u +%Y-%m-%d)" >"$WORK/cost-only"; else rm -f "$WORK/cost-only"; fi
	# The feedback's cost: the same inputs replayed (-runs=0: libFuzzer
	# runs each once, collects its features and updates its frequencies,
	# as for every execution while fuzzing, without mutating), feedback on
	# and off in turn, eleven times; the inputs are the on-structural reach
	# corpus, copied three times so that execution outweighs start-up.
	# CPU seconds (user + system) of the process: less moved by the other
	# core's jobs than wall time.
	: >"$COSTRAW"
	inputs=$WORK/reach-on-structural/corpus
	if [ -d "$inputs" ] && [ "$(find "$inputs" -type f | wc -l)" -gt 0 ]; then
		rm -rf "$WORK/replay" && mkdir -p "$WORK/replay"
		for k in 1 2 3; do
			for f in "$inputs"/*; do cp "$f" "$WORK/replay/$k-${f##*/}"; done
		done
		echo "feedback.sh: feedback cost: replaying $(find "$WORK/replay" -type f | wc -l) inputs, feedback on and off, 11 times"
		for k in 1 2 3 4 5 6 7 8 9 10 11; do
			order="1 0"
			[ $((k % 2)) = 0 ] && order="0 1" # alternate, so drift favours neither
			for fb in $order; do
				TIMEFORMAT='%U %S'
				t=$({ time FZ_FEEDBACK=$fb "$WORK/base/fuzz_schedule" -runs=0 "$WORK/replay" >"$WORK/replay.log" 2>&1; } 2>&1)
				grep -q 'Done [0-9]* runs' "$WORK/replay.log" || { echo "feedback.sh: the replay failed (see $WORK/replay.log)" >&2; exit 1; }
				printf '%s\t%s\t%s\n' "$k" "$fb" "$(echo "$t" | awk '{print $1 + $2}')" >>"$COSTRAW"
			done
		done
		rm -rf "$WORK/replay"
	fi
fi
[ -s "$RAW" ] || { echo "feedback.sh: no results in $RAW" >&2; exit 2; }

# ---- report ------------------------------------------------------------------
median() { sort -g | awk '{a[NR]=$1} END{if (NR==0) print ""; else if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
cfgnames=$(for c in $CONFIGS; do echo "${c%%:*}"; done)
bugs=$(cut -f1,2 "$RAW" | awk '!seen[$0]++' | tr '\t' '@')
nseeds=$(cut -f4 "$RAW" | sort -u | wc -l)
section=$WORK/section.md
{
	echo "<!-- feedback-bench:begin -->"
	echo "## Interleaving feedback and the schedule-aware mutator"
	echo
	echo "Generated by \`$(cat "$WORK/cmdline" 2>/dev/null || echo "$CMDLINE")\` on $(date -u +%Y-%m-%d), $(nproc) cores"
	echo "($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)).  ASan+UBSan libFuzzer builds, one"
	echo "trial per bug, configuration and \`-seed\` ($nseeds seeds), with the options and dictionary of"
	echo "\`./build.sh fuzz\`, each from $([ "$FROM" = minimal ] && echo "bench/detect.sh's minimal seed (two threads allocating one page each)" || echo "the committed seeds"),"
	echo "stopping at the first detection or after $RUNS executions (counted as $RUNS)."
	echo "Configurations: feedback on/off (\`FZ_FEEDBACK\`) x mutator structural/bytes"
	echo "(\`FZ_MUTATOR\`); off-bytes is libFuzzer as it was before either existed."
	echo "Cells: trials that found the bug / trials, median executions to detect"
	echo "(min-max)."
	echo
	printf '| bug | target |'; for c in $cfgnames; do printf ' %s |' "$c"; done; echo
	printf '|---|---|'; for c in $cfgnames; do printf -- '---|'; done; echo
	for bt in $bugs; do
		b=${bt%@*} t=${bt#*@}
		printf '| %s | %s |' "$b" "$t"
		for c in $cfgnames; do
			awk -F'\t' -v b="$b" -v t="$t" -v c="$c" '$1==b && $2==t && $3==c {print $6, $5}' "$RAW" >"$WORK/cell"
			n=$(wc -l <"$WORK/cell"); f=$(awk '$2==1' "$WORK/cell" | wc -l)
			med=$(cut -d' ' -f1 "$WORK/cell" | median)
			lo=$(cut -d' ' -f1 "$WORK/cell" | sort -g | head -1); hi=$(cut -d' ' -f1 "$WORK/cell" | sort -g | tail -1)
			printf ' %s/%s, %s (%s-%s) |' "$f" "$n" "$med" "$lo" "$hi"
		done
		echo
	done
	echo
	# Per configuration: the median over bugs of each bug's median.
	for c in $cfgnames; do
		for bt in $bugs; do
			b=${bt%@*} t=${bt#*@}
			awk -F'\t' -v b="$b" -v t="$t" -v c="$c" '$1==b && $2==t && $3==c {print $6}' "$RAW" | median
		done | median >"$WORK/med-$c"
	done
	on=$(cat "$WORK/med-on-structural") off=$(cat "$WORK/med-off-bytes")
	ratio=$(echo "scale=2; $off / $on" | bc)
	lost=$(awk -F'\t' '$5==0 {print $1 " (" $3 ", seed " $4 ")"}' "$RAW" | sort -u)
	nlost=$(awk -F'\t' '$5==0' "$RAW" | wc -l)
	echo "Median over the bugs of the median executions to detect:"
	for c in $cfgnames; do printf '%s %s, ' "$c" "$(cat "$WORK/med-$c")"; done | sed 's/, $/./'
	echo
	echo
	# Each part alone, from the same medians.
	x() { printf '%.2fx' "$(echo "scale=4; $(cat "$WORK/med-$1") / $(cat "$WORK/med-$2")" | bc)"; }
	echo "Each part alone (ratio of those medians; above 1 means fewer executions):"
	echo "the structural mutator $(x off-bytes off-structural) without feedback and $(x on-bytes on-structural) with it;"
	echo "the feedback $(x off-bytes on-bytes) with byte mutation and $(x off-structural on-structural) with the"
	echo "structural mutator."
	echo
	# Wall clock: what a user waits.  Executions cost more where inputs are
	# longer (libFuzzer turns -len_control off for custom mutators), and the
	# machine's load moves seconds, so this is a second view, not the goal.
	echo "Median seconds to detect (a trial that missed counts its full duration;"
	echo "wall clock on a machine shared with other jobs, so noisier than executions):"
	echo
	printf '| bug |'; for c in $cfgnames; do printf ' %s |' "$c"; done; echo
	printf '|---|'; for c in $cfgnames; do printf -- '---|'; done; echo
	for bt in $bugs; do
		b=${bt%@*} t=${bt#*@}
		printf '| %s |' "$b"
		for c in $cfgnames; do
			printf ' %s |' "$(awk -F'\t' -v b="$b" -v t="$t" -v c="$c" '$1==b && $2==t && $3==c {print $7}' "$RAW" | median)"
		done
		echo
	done
	echo
	echo "### Goals"
	echo
	echo "- Median executions to detect at least 3x lower with feedback and the"
	echo "  structural mutator (on-structural) than with neither (off-bytes): $(printf '%.2f' "$ratio")x —"
	echo "  $(echo "$ratio >= 3" | bc | sed 's/1/met/; s/0/**not met**/')."
	echo "- No bug lost in any configuration: $nlost trials of $(wc -l <"$RAW") did not detect their bug"
	echo "  within $RUNS executions — $([ "$nlost" -eq 0 ] && echo met || echo "**not met**: $(echo $lost | tr '\n' ' ')")."
	if [ -s "$COSTRAW" ]; then
		onm=$(awk -F'\t' '$2==1 {print $3}' "$COSTRAW" | median)
		offm=$(awk -F'\t' '$2==0 {print $3}' "$COSTRAW" | median)
		# Executions per second lost: 1 - (on's rate / off's rate).
		cost=$(echo "scale=4; (1 - $offm / $onm) * 100" | bc)
		ninputs=$(find "$WORK/reach-on-structural/corpus" -type f 2>/dev/null | wc -l)
		echo "- Executions per second lost to the feedback under 15 %: $(printf '%.1f' "$cost") % —"
		echo "  $(echo "$cost < 15" | bc | sed 's/1/met/; s/0/**not met**/') (libFuzzer \`-runs=0\` replaying the same $ninputs inputs three times each,"
		echo "  which runs each and collects and weighs its features as fuzzing does: median CPU time of 11,"
		echo "  ${onm}s on, ${offm}s off$([ -f "$WORK/cost-only" ] && echo "; measured again by \`bench/feedback.sh --cost-only\` on $(cat "$WORK/cost-only")"))."
	fi
	if [ -s "$REACHRAW" ]; then
		fp=$(awk -F'\t' '$2 != 0' "$REACHRAW" | wc -l)
		echo "- No false positives: $fp of $(wc -l <"$REACHRAW") runs of ${REACH}s on the correct allocator"
		echo "  failed — $([ "$fp" -eq 0 ] && echo met || echo "**not met**")."
		echo
		echo "### Interleavings reached"
		echo
		echo "Distinct interleaving features (counters of \`fz_feedback.c\`, counted with"
		echo "\`FZ_STATS=1\` in every configuration) reached by fuzz_schedule on the correct"
		echo "allocator in ${REACH}s from the minimal seed, \`-seed=1\`:"
		echo
		echo "| configuration | distinct features | executions | exec/s | corpus |"
		echo "|---|---|---|---|---|"
		awk -F'\t' '{printf "| %s | %s | %s | %s | %s |\n", $1, $3, $4, $5, $6}' "$REACHRAW"
	fi
	echo
	echo "Raw results: \`build/feedback/results.tsv\` (bug, target, configuration, seed,"
	echo "found, executions, seconds, oracle), \`reach.tsv\`, \`cost.tsv\`."
	echo "<!-- feedback-bench:end -->"
} >"$section"

# Replace the marked section of the report, or append it.
if [ -f "$REPORT" ] && grep -q '^<!-- feedback-bench:begin -->' "$REPORT"; then
	awk -v sec="$section" '
		/^<!-- feedback-bench:begin -->/ { while ((getline l < sec) > 0) print l; skip = 1; next }
		/^<!-- feedback-bench:end -->/ { skip = 0; next }
		!skip { print }' "$REPORT" >"$REPORT.new" && mv "$REPORT.new" "$REPORT"
else
	{ [ -f "$REPORT" ] && echo; cat "$section"; } >>"$REPORT"
fi
cat "$section"
