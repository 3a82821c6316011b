#!/usr/bin/env bash
# bench/throughput.sh - inputs per second of every schedule-running fuzz
# target (fuzz_schedule, fuzz_needzero, fuzz_schedule_freerun) fuzzing from
# a fresh copy of its committed corpus with a fixed -seed and -runs
# (-reload=0), under ThreadSanitizer, ASan+UBSan and a plain build
# (libFuzzer coverage, no sanitizer), and, with --baseline, the same
# targets of an older commit built side by side and run interleaved with
# them in the same run, as ratios.  Rewrites the throughput section of
# docs/BENCHMARKS.md unless --no-doc.
#
#   bench/throughput.sh [--baseline REV] [--runs N] [--repeat R]
#                       [--builds "tsan asan plain"] [--targets "fuzz_schedule ..."]
#                       [--no-doc]
#
# Inputs/s = runs / wall-clock seconds of the whole process (start-up and
# the initial corpus pass included), the median of R repetitions;
# repetition k fuzzes with -seed=k.  Both commits fuzz from the same seed
# files (this tree's corpus/) with the same options (fuzz/options/,
# fuzz/dicts/) and seeds; their mutations diverge once their coverage does
# (any change to the allocator changes its coverage), so a ratio compares
# throughput on like inputs, not on identical ones.  This tree's targets
# mutate bytes as the baseline's do (FZ_MUTATOR=bytes unless the caller
# sets FZ_MUTATOR): the structural mutator makes other, longer inputs
# (libFuzzer turns -len_control off for custom mutators), which would
# compare unlike inputs; the interleaving feedback stays on, its default.  The baseline is exported with git archive into
# build/throughput/REV and built there with its own Makefile, once per
# commit.  Usage errors exit 2; a target that crashes or fails to build
# exits 1.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

usage() {
	sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}
BASELINE="" RUNS=3000 REPEAT=3 BUILDS="tsan asan plain" TARGETS="" DOC=1
while [ $# -gt 0 ]; do
	case $1 in
	--baseline) [ $# -ge 2 ] || usage; BASELINE=$2; shift 2 ;;
	--runs) [ $# -ge 2 ] || usage; RUNS=$2; shift 2 ;;
	--repeat) [ $# -ge 2 ] || usage; REPEAT=$2; shift 2 ;;
	--builds) [ $# -ge 2 ] || usage; BUILDS=$2; shift 2 ;;
	--targets) [ $# -ge 2 ] || usage; TARGETS=$2; shift 2 ;;
	--no-doc) DOC=0; shift ;;
	-h | --help) usage ;;
	*) echo "throughput.sh: unknown argument '$1'" >&2; usage ;;
	esac
done
[[ $RUNS =~ ^[0-9]+$ && $RUNS -gt 0 && $REPEAT =~ ^[0-9]+$ && $REPEAT -gt 0 ]] ||
	{ echo "throughput.sh: --runs and --repeat take positive integers" >&2; exit 2; }
for b in $BUILDS; do
	case $b in tsan | asan | plain) ;; *) echo "throughput.sh: unknown build '$b' (tsan, asan, plain)" >&2; exit 2 ;; esac
done
[ -n "$BUILDS" ] || { echo "throughput.sh: --builds is empty" >&2; exit 2; }

# The schedule-running targets: those defined with FZ_SCHEDULE_TARGET.
ALL_TARGETS=$(grep -l 'FZ_SCHEDULE_TARGET(' fuzz/targets/target_*.c | sed 's|.*/target_\(.*\)\.c|fuzz_\1|' | tr '\n' ' ')
[ -n "$TARGETS" ] || TARGETS=$ALL_TARGETS
for t in $TARGETS; do
	case " $ALL_TARGETS " in *" $t "*) ;; *) echo "throughput.sh: '$t' is not a schedule-running target ($ALL_TARGETS)" >&2; exit 2 ;; esac
done

BASE_SHA=""
if [ -n "$BASELINE" ]; then
	BASE_SHA=$(git rev-parse --verify --quiet "$BASELINE^{commit}") ||
		{ echo "throughput.sh: --baseline $BASELINE is not a commit" >&2; exit 2; }
fi

J=$(nproc)
SAN_tsan="-fsanitize=thread"
SAN_asan="-fsanitize=address,undefined -fno-sanitize-recover=all"
SAN_plain=""
OPT_tsan="-O1 -g" OPT_asan="-O1 -g" OPT_plain="-O2 -g"

# build_targets SRCDIR OUTDIR BUILD: the fuzz targets of the tree at SRCDIR
# into OUTDIR with the flags ./build.sh (tsan, asan) and
# tests/scripts/determinism.sh (plain) use; this tree builds into the same
# folders they do, so an up-to-date build is reused.
build_targets() {
	local src=$1 out=$2 b=$3 san opt
	san=SAN_$b opt=OPT_$b
	make -s -C "$src" -j"$J" B="$out" SAN="${!san}" OPT="${!opt}" HOOKS=1 BUG= ZEROING=lockfree \
		CC=clang CXX=clang++ CFLAGS=-fsanitize=fuzzer-no-link LIB_FUZZING_ENGINE=-fsanitize=fuzzer targets \
		>"$out.log" 2>&1 || { echo "throughput.sh: building $out failed, see $out.log" >&2; exit 1; }
}

WORK=$ROOT/build/throughput
mkdir -p "$WORK"
REVS="current"
for b in $BUILDS; do
	echo "throughput.sh: building this tree ($b)" >&2
	build_targets "$ROOT" "$ROOT/build/fuzz-$b" "$b"
done
if [ -n "$BASE_SHA" ]; then
	REVS="baseline current"
	src=$WORK/src-$BASE_SHA
	if [ ! -f "$src/Makefile" ]; then
		echo "throughput.sh: exporting $BASELINE ($BASE_SHA) into $src" >&2
		rm -rf "$src" && mkdir -p "$src"
		git archive "$BASE_SHA" | tar -x -C "$src"
	fi
	for b in $BUILDS; do
		echo "throughput.sh: building $BASELINE ($b)" >&2
		build_targets "$src" "$WORK/base-$BASE_SHA-$b" "$b"
	done
fi

bin_of() { # REV BUILD TARGET
	if [ "$1" = baseline ]; then echo "$WORK/base-$BASE_SHA-$2/$3"; else echo "$ROOT/build/fuzz-$2/$3"; fi
}

# Seeds: corpus/NAME and its regressions; a free-running target shares the
# corpus of the target it runs free (as tools/ossfuzz-build.sh does).
seed_dir() {
	local name=${1#fuzz_}
	[ -d "corpus/$name" ] || name=${name%_freerun}
	echo "corpus/$name"
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export TSAN_OPTIONS="halt_on_error=1 ${TSAN_OPTIONS:-}" UBSAN_OPTIONS="halt_on_error=1 ${UBSAN_OPTIONS:-}"
export FZ_MUTATOR=${FZ_MUTATOR:-bytes}

# CPU seconds (user + system) the finished children of the shell whose
# `times` output is in FILE have used.
children_cpu() {
	tail -1 "$1" | awk '{ n = 0; for (i = 1; i <= 2; i++) { split($i, a, /[ms]/); n += a[1] * 60 + a[2] } printf "%.3f", n }'
}

# one_run BIN TARGET SEED -> "inputs per wall second, inputs per CPU second"
# of one process.
one_run() {
	local bin=$1 t=$2 seed=$3 dir=$tmp/corpus opts=() t0 t1 c0 c1 seeds
	rm -rf "$dir" && mkdir -p "$dir"
	seeds=$(seed_dir "$t")
	find "$seeds" -name '*.bin' -exec cp {} "$dir/" \;
	[ -f "fuzz/options/$t.options" ] && mapfile -t opts < <(sed -n 's/^\(max_len\) *= *\(.*\)/-\1=\2/p' "fuzz/options/$t.options")
	[ -f "fuzz/dicts/$t.dict" ] && opts+=("-dict=$ROOT/fuzz/dicts/$t.dict")
	times >"$tmp/times0" # this shell's own, not a command substitution's
	t0=$(date +%s%N)
	if ! (cd "$tmp" && exec "$bin" "${opts[@]}" -seed="$seed" -runs="$RUNS" -reload=0 -artifact_prefix="$tmp/" "$dir" >"$tmp/log" 2>&1); then
		echo "throughput.sh: $bin failed on its corpus (seed $seed, $RUNS runs):" >&2
		tail -20 "$tmp/log" >&2
		exit 1
	fi
	t1=$(date +%s%N)
	times >"$tmp/times1"
	c0=$(children_cpu "$tmp/times0") c1=$(children_cpu "$tmp/times1")
	awk -v n="$RUNS" -v ns=$((t1 - t0)) -v c="$(awk -v a="$c0" -v b="$c1" 'BEGIN { print b - a }')" \
		'BEGIN { printf "%.0f %.0f", n / (ns / 1e9), (c > 0 ? n / c : 0) }'
}

median() { tr ' ' '\n' | grep . | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

declare -A RATES=() CPU=()
for ((k = 1; k <= REPEAT; k++)); do
	for t in $TARGETS; do
		for b in $BUILDS; do
			# Alternate which commit goes first, so neither always
			# runs right after the other's warm-up.
			order=$REVS
			[ $((k % 2)) -eq 0 ] && [ -n "$BASE_SHA" ] && order="current baseline"
			for rev in $order; do
				bin=$(bin_of "$rev" "$b" "$t")
				if [ ! -x "$bin" ]; then
					RATES[$rev/$b/$t]="-"
					continue
				fi
				res=$(one_run "$bin" "$t" "$k") || exit 1
				r=${res% *} c=${res#* }
				RATES[$rev/$b/$t]="${RATES[$rev/$b/$t]:-} $r"
				CPU[$rev/$b/$t]="${CPU[$rev/$b/$t]:-} $c"
				echo "  repetition $k: $t $b $rev: $r inputs/s, $c inputs per CPU second" >&2
			done
		done
	done
done

out=$tmp/section
{
	echo "<!-- throughput-bench:begin -->"
	echo "## Fuzz-target throughput: inputs per second"
	echo
	cmd="bench/throughput.sh${BASELINE:+ --baseline $BASELINE} --runs $RUNS --repeat $REPEAT"
	echo "\`$cmd\`, $(date -u +%Y-%m-%d), $J cores"
	echo "($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1); load average $(cut -d' ' -f1-3 /proc/loadavg) at the end)."
	echo "Each target fuzzes from a fresh copy of its committed seeds (\`-seed=K -runs=$RUNS -reload=0\`,"
	echo "its max_len and dictionary; K = 1..$REPEAT, the repetition).  in/s is runs over the"
	echo "process's wall-clock time, in/cpu its runs over the CPU time it used (user + system,"
	echo "all its threads), start-up included; medians of the $REPEAT repetitions.  On a shared"
	echo "machine the CPU figure is the steadier one.  tsan and asan are the builds of"
	echo "\`./build.sh\` (-O1, + libFuzzer coverage), plain is libFuzzer coverage alone (-O2)."
	echo "This tree's targets run with FZ_MUTATOR=$FZ_MUTATOR$([ "$FZ_MUTATOR" = bytes ] && echo " (libFuzzer's byte mutation, as the baseline's: like inputs)")"
	echo "and the interleaving feedback ${FZ_FEEDBACK:+FZ_FEEDBACK=$FZ_FEEDBACK}${FZ_FEEDBACK:-on (the default)}."
	if [ -n "$BASE_SHA" ]; then
		echo "The baseline is $BASELINE (\`$(git log -1 --format='%h %s' "$BASE_SHA" | cut -c1-70)\`), built and run"
		echo "interleaved with this tree in the same run."
	fi
	echo
	echo '```'
	if [ -n "$BASE_SHA" ]; then
		printf '%-22s %-5s %11s %11s %7s   %11s %11s %7s\n' target build "base in/s" "this in/s" ratio \
			"base in/cpu" "this in/cpu" ratio
	else
		printf '%-22s %-5s %11s %11s\n' target build "inputs/s" "in/cpu-s"
	fi
	goals=""
	for t in $TARGETS; do
		for b in $BUILDS; do
			cur=$(echo "${RATES[current/$b/$t]}" | median)
			curc=$(echo "${CPU[current/$b/$t]}" | median)
			if [ -z "$BASE_SHA" ]; then
				printf '%-22s %-5s %11s %11s\n' "$t" "$b" "$cur" "$curc"
				continue
			fi
			base=${RATES[baseline/$b/$t]:-}
			if [ "$base" = "-" ] || [ -z "$base" ]; then
				printf '%-22s %-5s %11s %11s %7s   %11s %11s %7s\n' "$t" "$b" "-" "$cur" "-" "-" "$curc" "-"
				continue
			fi
			base=$(echo "$base" | median)
			basec=$(echo "${CPU[baseline/$b/$t]}" | median)
			printf '%-22s %-5s %11s %11s %7s   %11s %11s %7s\n' "$t" "$b" "$base" "$cur" \
				"$(awk -v c="$cur" -v r="$base" 'BEGIN { printf "%.2fx", c / r }')" "$basec" "$curc" \
				"$(awk -v c="$curc" -v r="$basec" 'BEGIN { printf "%.2fx", (r > 0 ? c / r : 0) }')"
			want=""
			case $t/$b in
			fuzz_schedule/tsan | fuzz_needzero/tsan) want=5 ;;
			fuzz_schedule/asan | fuzz_needzero/asan) want=3 ;;
			esac
			[ -n "$want" ] && goals="$goals$(awk -v t="$t" -v b="$b" -v c="$cur" -v r="$base" -v cc="$curc" -v rc="$basec" -v w="$want" \
				'BEGIN { printf "- %s %s: %.2fx inputs/s, %.2fx per CPU second (goal >= %dx: %s)\n", t, b, c / r,
					(rc > 0 ? cc / rc : 0), w, (c >= w * r ? "met" : (cc >= w * rc ? "met per CPU second, not in wall-clock time" : "not met")) }')
"
		done
	done
	echo '```'
	if [ -n "$goals" ]; then
		echo
		echo "Goals against the baseline:"
		echo
		printf '%s' "$goals"
	fi
	echo
	echo "<!-- throughput-bench:end -->"
} >"$out"
cat "$out"

[ "$DOC" = 1 ] || exit 0
doc=docs/BENCHMARKS.md
[ -f "$doc" ] || printf '# Benchmarks\n\nEvery figure here comes from a script in the repository, with the command\nthat produced it; ratios are against a baseline measured in the same run.\n\n' >"$doc"
if grep -q '<!-- throughput-bench:begin -->' "$doc"; then
	awk -v f="$out" 'BEGIN{while ((getline l < f) > 0) block = block l "\n"}
		/<!-- throughput-bench:begin -->/{printf "%s", block; skip=1; next}
		/<!-- throughput-bench:end -->/{skip=0; next} !skip' "$doc" >"$doc.new" && mv "$doc.new" "$doc"
else
	cat "$out" >>"$doc"
fi
echo "throughput.sh: wrote the throughput section of $doc" >&2
