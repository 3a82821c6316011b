#!/usr/bin/env bash
# bench/explore_fuzz.sh - does the FZ_EXPLORE mode pay?  For each fault,
# libFuzzer fuzzes the fault's target from bench/detect.sh's minimal seed
# (two threads allocating or claiming one page each), once as usual and
# once with FZ_EXPLORE=K (every input's programs explored at <= K
# preemptions), over several -seed values, and reports inputs, interleavings
# and seconds to detection.  ASan+UBSan builds with ./build.sh fuzz's
# options and dictionary, the faulty builds of tests/scripts/explore.sh.
#
#   bench/explore_fuzz.sh [--bugs "BUG@TARGET ..."] [--seeds "1 2 3 4 5"]
#                         [--cap SECONDS] [--k K]
#
# Prints a markdown table; exit 2 on bad usage, 1 if a build fails.
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
usage() { sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
BUGS="cas-fail-rezero@fuzz_schedule cas-plain-store@fuzz_schedule cas-no-overlap-check@fuzz_needzero overlap-check-upper-edge@fuzz_needzero"
SEEDS="1 2 3 4 5" CAP=60 K=1
while [ $# -gt 0 ]; do
	case $1 in
	--bugs) [ $# -ge 2 ] || usage; BUGS=$2; shift 2 ;;
	--seeds) [ $# -ge 2 ] || usage; SEEDS=$2; shift 2 ;;
	--cap) [[ ${2:-} =~ ^[1-9][0-9]*$ ]] || usage; CAP=$2; shift 2 ;;
	--k) [[ ${2:-} =~ ^[0-8]$ ]] || usage; K=$2; shift 2 ;;
	*) usage ;;
	esac
done
# shellcheck source=tools/faulty-build.sh
. "$ROOT/tools/faulty-build.sh"
base=$FAULTY_BASE
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export UBSAN_OPTIONS="halt_on_error=1"
build() { # DIR [BUG]
	faulty_build "$1" "${2:-}"
}
build "$base" >"$tmp/b.log" 2>&1 || { tail -20 "$tmp/b.log"; exit 1; }
now() { date +%s.%N; }
echo "\`bench/explore_fuzz.sh --cap $CAP --k $K --seeds \"$SEEDS\"\`, $(date +%F), $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg) at the start."
echo
echo "| bug | target | mode | found | median inputs (range) | median interleavings | median seconds |"
echo "|---|---|---|---|---|---|---|"
for entry in $BUGS; do
	bug=${entry%@*} target=${entry#*@}
	dir=$ROOT/build/bugs/$bug
	build "$dir" "$bug" >"$tmp/b.log" 2>&1 || { tail -20 "$tmp/b.log"; exit 1; }
	printf 'target %s\nthreads 2\nstrategy rr quantum 1\nseed 0x00000001\ncaches on\nthread 0\n  alloc 1\nthread 1\n  alloc 1\ndecisions\n' \
		"${target#fuzz_}" >"$tmp/min.txt" # bench/detect.sh's minimal seed
	opts=()
	[ -f "fuzz/options/$target.options" ] &&
		mapfile -t opts < <(sed -n 's/^\([a-z_]*\) *= *\(.*\)/-\1=\2/p' "fuzz/options/$target.options")
	[ -f "fuzz/dicts/$target.dict" ] && opts+=("-dict=$ROOT/fuzz/dicts/$target.dict")
	for mode in plain explore; do
		: >"$tmp/rows"
		for seed in $SEEDS; do
			rm -rf "$tmp/run" && mkdir -p "$tmp/run/corpus"
			"$ROOT/out/schedtool" encode "$tmp/min.txt" "$tmp/run/corpus/min.bin" >/dev/null ||
				{ echo "explore_fuzz.sh: cannot encode the minimal seed" >&2; exit 1; }
			env=()
			[ "$mode" = explore ] && env=(FZ_EXPLORE="$K")
			t0=$(now)
			(cd "$tmp/run" && env "${env[@]}" timeout -k 5 $((CAP + 30)) "$dir/$target" "${opts[@]}" -seed="$seed" \
				-max_total_time="$CAP" -reload=0 -print_final_stats=1 -artifact_prefix="$tmp/run/" corpus \
				>"$tmp/run/log" 2>&1)
			t1=$(now)
			inputs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$tmp/run/log" | tail -1)
			inter=$(sed -n 's/.*; \([0-9]*\) interleavings run in this process.*/\1/p' "$tmp/run/log" | head -1)
			[ "$mode" = plain ] && inter=$inputs
			if grep -q '^==== verdict' "$tmp/run/log"; then
				echo "1 ${inputs:-0} ${inter:-0} $(echo "$t1 - $t0" | bc)" >>"$tmp/rows"
			else
				echo "0 ${inputs:-0} - $CAP" >>"$tmp/rows"
			fi
		done
		med() { sort -g | awk '{a[NR]=$1} END {if (NR == 0) print "-"; else if (NR % 2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
		found=$(awk '$1 == 1' "$tmp/rows" | wc -l)
		mi=$(awk '$1 == 1 {print $2}' "$tmp/rows" | med)
		lo=$(awk '$1 == 1 {print $2}' "$tmp/rows" | sort -g | head -1)
		hi=$(awk '$1 == 1 {print $2}' "$tmp/rows" | sort -g | tail -1)
		mx=$(awk '$1 == 1 {print $3}' "$tmp/rows" | med)
		ms=$(awk '{print $4}' "$tmp/rows" | med)
		label=$mode
		[ "$mode" = explore ] && label="FZ_EXPLORE=$K"
		printf '| %s | %s | %s | %d/%d | %s (%s-%s) | %s | %.2f |\n' "$bug" "$target" "$label" "$found" \
			"$(wc -l <"$tmp/rows")" "$mi" "${lo:--}" "${hi:--}" "$mx" "$ms"
	done
done
