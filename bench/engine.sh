#!/usr/bin/env bash
# bench/engine.sh - executions per second of the controlled scheduler on the
# standard schedule (4 threads x 32 operations), against the sequential
# floor and a naive harness, under TSan and without sanitizers, all modes of
# one build measured in the same run (bench/bench_engine.c).  With
# --baseline REV the sequential floor of an older commit, built side by side
# (exported with git archive into build/throughput/, as bench/throughput.sh
# does), is measured in the same run too, and the floor's speed-up over it
# printed.  Rewrites the engine section of docs/BENCHMARKS.md.
#
#   bench/engine.sh [--inputs N] [--repeat R] [--baseline REV]
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
INPUTS=2000 REPEAT=5 BASELINE=""
usage() { echo "usage: bench/engine.sh [--inputs N] [--repeat R] [--baseline REV]" >&2; exit 2; }
while [ $# -gt 0 ]; do
	case $1 in
	--inputs) [ $# -ge 2 ] || usage; INPUTS=$2; shift 2 ;;
	--repeat) [ $# -ge 2 ] || usage; REPEAT=$2; shift 2 ;;
	--baseline) [ $# -ge 2 ] || usage; BASELINE=$2; shift 2 ;;
	*) usage ;;
	esac
done
[[ $INPUTS =~ ^[0-9]+$ && $INPUTS -ge 5 && $REPEAT =~ ^[0-9]+$ && $REPEAT -gt 0 ]] ||
	{ echo "engine.sh: --inputs takes an integer >= 5, --repeat a positive integer" >&2; exit 2; }
BASE_SHA=""
if [ -n "$BASELINE" ]; then
	BASE_SHA=$(git rev-parse --verify --quiet "$BASELINE^{commit}") ||
		{ echo "engine.sh: --baseline $BASELINE is not a commit" >&2; exit 2; }
fi
J=$(nproc)
make -s -j"$J" B=build/bench-plain SAN= HOOKS=1 CC=clang OPT="-O2 -g" benches
make -s -j"$J" B=build/bench-tsan SAN=-fsanitize=thread HOOKS=1 CC=clang OPT="-O1 -g" benches
if [ -n "$BASE_SHA" ]; then
	src=$ROOT/build/throughput/src-$BASE_SHA
	if [ ! -f "$src/Makefile" ]; then
		rm -rf "$src" && mkdir -p "$src"
		git archive "$BASE_SHA" | tar -x -C "$src"
	fi
	make -s -C "$src" -j"$J" B="$ROOT/build/bench-base-$BASE_SHA-plain" SAN= HOOKS=1 CC=clang OPT="-O2 -g" benches
	make -s -C "$src" -j"$J" B="$ROOT/build/bench-base-$BASE_SHA-tsan" SAN=-fsanitize=thread HOOKS=1 CC=clang \
		OPT="-O1 -g" benches
fi

tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
{
	echo "<!-- engine-bench:begin -->"
	echo "## Controlled scheduler: executions per second"
	echo
	echo "\`bench/engine.sh --inputs $INPUTS --repeat $REPEAT${BASELINE:+ --baseline $BASELINE}\`, $(date -u +%Y-%m-%d), $J cores"
	echo "($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)).  The standard schedule is"
	echo "4 threads x 32 operations (40% small and 10% large allocations, 30% frees,"
	echo "20% writes) with every oracle and the trace running in every mode.  The"
	echo "floor runs the same operations on one thread with no scheduling; the naive"
	echo "harness creates and joins fresh pthreads for every input.  Inputs/s are"
	echo "medians of $REPEAT repetitions; ratios are against the floor of the same"
	echo "strategy in the same run.  Each repetition of each mode runs in a process"
	echo "of its own, and the modes take turns (repetition 1 of every mode, then"
	echo "repetition 2, ...), so a slow spell of this shared machine hits them alike."
	echo "\"switches\" counts hand-offs per input.  The naive harness pays for"
	echo "creating and joining 4 threads per input (pthread_create + join costs about"
	echo "120 us under TSan here); 10x over it needs an input's own work -- oracles,"
	echo "trace, heap reset, which every mode pays -- to cost under a ninth of that,"
	echo "so the ratio to naive grows with the number of switches per input."
	if [ -n "$BASE_SHA" ]; then
		echo "\"baseline floor\" is the sequential floor of $BASELINE (\`$(git log -1 --format='%h %s' "$BASE_SHA" | cut -c1-60)\`),"
		echo "built side by side and measured in the same run; \"vs floor\" on its line is this"
		echo "tree's floor over it (the speed-up of an input's own work).  The floor runs the same"
		echo "operations whatever the strategy, so its three lines measure one quantity: the"
		echo "goal is judged on the ratios of the pairs (this floor, then the baseline's, one"
		echo "after the other in each repetition) pooled over the strategies, median and range."
	fi
	echo
	for b in plain tsan; do
		echo "### $( [ $b = plain ] && echo "Without sanitizers (-O2)" || echo "ThreadSanitizer (-O1)" )"
		echo
		echo '```'
		n=$INPUTS
		[ $b = tsan ] && n=$((INPUTS / 5))
		printf '%-14s %-22s %12s %10s %10s\n' strategy mode inputs/s "vs floor" switches
		goals="" pairs=""
		for strategy in pct random rr; do
			floor=""
			declare -A R=() S=() L=()
			modes=(sequential)
			# The baseline's floor right after this tree's, so each
			# repetition gives a pair measured moments apart.
			[ -n "$BASE_SHA" ] && modes+=(baseline)
			modes+=("controlled pthread" "controlled fiber" naive)
			# Repetitions in turns; one process each (see bench_engine.c).
			for ((k = 1; k <= REPEAT; k++)); do
				for mode in "${modes[@]}"; do
					if [ "$mode" = baseline ]; then
						line=$(TSAN_OPTIONS=halt_on_error=1 "build/bench-base-$BASE_SHA-$b/bench_engine" --inputs "$n" \
							--repeat 1 --strategy "$strategy" --mode sequential)
					else
						line=$(TSAN_OPTIONS=halt_on_error=1 "build/bench-$b/bench_engine" --inputs "$n" \
							--repeat 1 --strategy "$strategy" --mode "$mode")
					fi
					# Fixed columns: strategy 1-14, mode 16-37, inputs/s 39-50.
					S[$mode]="${S[$mode]:-} $(echo "${line:38:12}" | tr -d ' ')"
					L[$mode]=$line
				done
			done
			for mode in "${modes[@]}"; do
				R[$mode]=$(echo ${S[$mode]} | tr ' ' '\n' | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
			done
			floor=${R[sequential]}
			for mode in sequential "controlled pthread" "controlled fiber" naive; do
				line=${L[$mode]} rate=${R[$mode]}
				printf '%s %s %12s %10s %10s\n' "${line:0:14}" "${line:15:22}" "$rate" \
					"$(awk -v r="$rate" -v f="$floor" 'BEGIN{printf "%.2fx", r / f}')" "$(echo "$line" | awk '{print $NF}')"
			done
			if [ -n "$BASE_SHA" ]; then
				# The older floor: its time per input over this one's.
				line=${L[baseline]} base=${R[baseline]}
				printf '%-14s %-22s %12s %10s %10s\n' "${line:0:14}" "baseline floor" "$base" \
					"$(awk -v r="$base" -v f="$floor" 'BEGIN{printf "%.2fx", f / r}')" 0
				goals="$goals$(awk -v s="$strategy" -v b="$base" -v f="$floor" \
					'BEGIN { printf "- %s: floor %.2fx the baseline floor (medians)\n", s, f / b }')
"
				pairs="$pairs $(paste -d' ' <(echo ${S[sequential]} | tr ' ' '\n') <(echo ${S[baseline]} | tr ' ' '\n') |
					awk '$2 > 0 { printf "%.4f ", $1 / $2 }')"
			fi
			# Goal: the default (fiber) engine at >= 50% of the floor
			# and >= 10x the naive harness.
			goals="$goals$(awk -v s="$strategy" -v c="${R[controlled fiber]:-0}" -v f="$floor" -v n="${R[naive]:-0}" \
				'BEGIN { printf "- %s: fiber %.2fx the floor (%s), %.1fx the naive harness (%s)\n", s, c / f,
					(c >= 0.5 * f ? "met" : "not met"), (n > 0 ? c / n : 0), (n > 0 && c >= 10 * n ? "met" : "not met") }')
"
		done
		echo '```'
		echo
		echo "Goals (controlled fiber >= 50 % of the floor and >= 10x naive${BASE_SHA:+; under TSan the floor >= 5x the baseline floor}):"
		echo
		printf '%s' "$goals"
		if [ -n "$BASE_SHA" ]; then
			# The floor runs the same operations whatever the strategy
			# (bench_engine.c), so the three strategies' repetitions are
			# all measurements of one quantity: the ratio of each
			# repetition's pair, pooled.
			echo "$pairs" | tr ' ' '\n' | grep . | sort -n | awk -v w="$( [ $b = tsan ] && echo 5 || echo 0 )" \
				'{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2;
				   printf "- the floor over the baseline floor, paired by repetition, all strategies: median of %d ratios %.2fx (range %.2f-%.2fx)%s\n",
					NR, m, v[1], v[NR], (w > 0 ? sprintf(" (goal >= %dx: %s)", w, m >= w ? "met" : "not met") : "") }'
		fi
		echo
	done
	echo "<!-- engine-bench:end -->"
} >"$tmp"
cat "$tmp"
mkdir -p docs
doc=docs/BENCHMARKS.md
[ -f "$doc" ] || printf '# Benchmarks\n\nEvery figure here comes from a script in the repository, with the command\nthat produced it; ratios are against a baseline measured in the same run.\n\n' >"$doc"
if grep -q '<!-- engine-bench:begin -->' "$doc"; then
	awk -v f="$tmp" 'BEGIN{while ((getline l < f) > 0) block = block l "\n"}
		/<!-- engine-bench:begin -->/{printf "%s", block; skip=1; next}
		/<!-- engine-bench:end -->/{skip=0; next} !skip' "$doc" >"$doc.new" && mv "$doc.new" "$doc"
else
	cat "$tmp" >>"$doc"
fi
