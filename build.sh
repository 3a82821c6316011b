#!/usr/bin/env bash
# build.sh - build, test, fuzz and reproduce; the one entry point of the project.
#
# Run `./build.sh help` for the commands.  Under OSS-Fuzz's environment
# (OUT, SRC, LIB_FUZZING_ENGINE set) a bare `./build.sh` follows the OSS-Fuzz
# build contract instead of the local build.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$ROOT"

JOBS=$(nproc 2>/dev/null || echo 2)
LOCAL_OUT=${OUT:-$ROOT/out}

usage() {
	cat <<'USAGE'
usage: ./build.sh [COMMAND] [ARGS]

  (none) | build     build every fuzz target (libFuzzer + TSan), the stress
                     binaries, the schedule tool and the tests into out/
  test               run the whole test suite; ends with "N passed, N failed"
  fuzz [SECONDS]     fuzz every target in parallel for SECONDS (default 60)
                     and print a table of executions, coverage and crashes
  repro FILE [TARGET]
                     replay a crash file, print its swimlane trace and name
                     the oracle that fired
  explore FILE [OPTIONS]
                     run every interleaving of a text schedule's threads with
                     at most K preemptions (out/explore; --preemptions K,
                     --por none|dpor|dpor-cut, --max-executions N, --seconds S,
                     --json FILE, --out DIR, --drop-decisions; docs/EXPLORE.md)
  bugs               list the injected-bug suite, one "name  description" line each
  help               this text

Environment:
  OUT=DIR            put the build in DIR instead of out/
  ALLOC_BUG=NAME     build everything with one injected bug switched on
  CC, CXX            compilers (default clang, clang++)
  OUT, SRC and LIB_FUZZING_ENGINE all set (OSS-Fuzz, ClusterFuzzLite): a bare
                     ./build.sh follows their build contract instead
                     (tools/ossfuzz-build.sh: targets, seeds, options into OUT)
USAGE
}

die_usage() {
	echo "build.sh: $*" >&2
	usage >&2
	exit 2
}

# make_variant DIR SAN HOOKS [make args...]: one build variant into DIR.
make_variant() {
	local dir=$1 san=$2 hooks=$3
	shift 3
	make -s -j"$JOBS" B="$dir" SAN="$san" HOOKS="$hooks" BUG="${ALLOC_BUG:-}" "$@"
}

# The injected fault named by ALLOC_BUG, validated against ph_bugs.def.
bug_names() {
	sed -n 's/^PH_BUG([A-Z0-9_]*, *"\([^"]*\)".*/\1/p' allocator/ph_bugs.def
}

check_bug() {
	[ -z "${ALLOC_BUG:-}" ] && return 0
	if ! bug_names | grep -qx -- "$ALLOC_BUG"; then
		echo "build.sh: ALLOC_BUG=$ALLOC_BUG is not a known bug; ./build.sh bugs lists them" >&2
		exit 2
	fi
}

cmd_build() {
	check_bug
	local b=$ROOT/build
	[ -n "${ALLOC_BUG:-}" ] && b=$ROOT/build/bug-${ALLOC_BUG}
	local cc=${CC:-clang} cxx=${CXX:-clang++}
	# Fuzz targets: TSan plus libFuzzer's coverage instrumentation.
	make_variant "$b/fuzz-tsan" "-fsanitize=thread" 1 CC="$cc" CXX="$cxx" \
		CFLAGS="-fsanitize=fuzzer-no-link" LIB_FUZZING_ENGINE=-fsanitize=fuzzer targets
	# The same targets under ASan+UBSan (what ClusterFuzz runs), into $OUT/asan.
	make_variant "$b/fuzz-asan" "-fsanitize=address,undefined -fno-sanitize-recover=all" 1 CC="$cc" CXX="$cxx" \
		CFLAGS="-fsanitize=fuzzer-no-link" LIB_FUZZING_ENGINE=-fsanitize=fuzzer targets
	# Tests, tools and the stress program under TSan; an optimised
	# production build (hooks compiled out) for stress-fast.
	make_variant "$b/tsan" "-fsanitize=thread" 1 CC="$cc" CXX="$cxx" all
	make_variant "$b/fast" "" 0 CC="$cc" OPT="-O2 -g" lib tools stress
	# The pre-seed (locked) zeroing decision, for differential runs and
	# the lock-free vs locked benchmark.
	make_variant "$b/tsan-locked" "-fsanitize=thread" 1 CC="$cc" ZEROING=locked lib stress
	make_variant "$b/fast-locked" "" 0 CC="$cc" OPT="-O2 -g" ZEROING=locked lib stress
	mkdir -p "$LOCAL_OUT"
	local f
	for f in "$b"/fuzz-tsan/fuzz_*; do
		[ -x "$f" ] && cp -f "$f" "$LOCAL_OUT/"
	done
	mkdir -p "$LOCAL_OUT/asan"
	for f in "$b"/fuzz-asan/fuzz_*; do
		[ -x "$f" ] && cp -f "$f" "$LOCAL_OUT/asan/"
	done
	[ -x "$b/tsan/stress" ] && cp -f "$b/tsan/stress" "$LOCAL_OUT/stress"
	[ -x "$b/fast/stress" ] && cp -f "$b/fast/stress" "$LOCAL_OUT/stress-fast"
	[ -x "$b/tsan-locked/stress" ] && cp -f "$b/tsan-locked/stress" "$LOCAL_OUT/stress-locked"
	[ -x "$b/fast-locked/stress" ] && cp -f "$b/fast-locked/stress" "$LOCAL_OUT/stress-fast-locked"
	[ -x "$b/fast/schedtool" ] && cp -f "$b/fast/schedtool" "$LOCAL_OUT/schedtool"
	# The explorer needs the hooks: the TSan build, like the fuzz targets.
	[ -x "$b/tsan/explore" ] && cp -f "$b/tsan/explore" "$LOCAL_OUT/explore"
	echo "build.sh: built into $LOCAL_OUT${ALLOC_BUG:+ (with injected bug $ALLOC_BUG)}"
}

# ---- test -----------------------------------------------------------------

PASSED=0
FAILED=0
TESTLOG=$ROOT/build/test-logs

# record NAME STATUS: one verdict line for a script-level check.
record() {
	if [ "$2" -eq 0 ]; then
		PASSED=$((PASSED + 1)); echo "PASS $1"
	else
		FAILED=$((FAILED + 1)); echo "FAIL $1"
	fi
}

# run_test_binary VARIANT BIN: runs a C test binary, counts its verdict lines.
run_test_binary() {
	local variant=$1 bin=$2 log name p f rc
	name=$(basename "$bin")
	log=$TESTLOG/$variant-$name.log
	set +e
	"$bin" >"$log" 2>&1
	rc=$?
	set -e
	p=$(grep -c '^PASS ' "$log" || true)
	f=$(grep -c '^FAIL ' "$log" || true)
	sed -e "s/^PASS /PASS [$variant] /" -e "s/^FAIL /FAIL [$variant] /" "$log" | grep -E '^(PASS|FAIL) ' || true
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		# The binary died without a verdict: that is a failure too.
		f=1
		echo "FAIL [$variant] $name (exit status $rc, see $log)"
	fi
	[ "$f" -ne 0 ] && sed -n '1,60p' "$log" | grep -v -E '^(PASS|FAIL) ' >&2 || true
	PASSED=$((PASSED + p)); FAILED=$((FAILED + f))
}

# Variants every unit test runs in: warning-free under gcc and clang, clean
# under TSan, ASan+UBSan and MSan, and the pre-seed (locked) zeroing variant.
TEST_VARIANTS="gcc clang tsan asan msan locked"

variant_make() {
	local v=$1
	shift
	case $v in
	gcc)   make_variant "$ROOT/build/test-gcc" "" 1 CC=gcc OPT="-O2 -g" "$@" ;;
	clang) make_variant "$ROOT/build/test-clang" "" 1 CC=clang OPT="-O2 -g" "$@" ;;
	tsan)  make_variant "$ROOT/build/test-tsan" "-fsanitize=thread" 1 CC=clang "$@" ;;
	asan)  make_variant "$ROOT/build/test-asan" "-fsanitize=address,undefined -fno-sanitize-recover=all" 1 CC=clang "$@" ;;
	msan)  make_variant "$ROOT/build/test-msan" "-fsanitize=memory -fsanitize-memory-track-origins" 1 CC=clang "$@" ;;
	locked) make_variant "$ROOT/build/test-locked" "" 1 CC=gcc OPT="-O2 -g" ZEROING=locked "$@" ;;
	esac
}

# Script-level tests: every tests/scripts/*.sh prints PASS/FAIL lines like
# the C tests; a script that exits non-zero without a FAIL line counts as
# one failure.  They run with the local build in $LOCAL_OUT.
run_test_scripts() {
	local sc log p f rc name
	for sc in "$ROOT"/tests/scripts/*.sh; do
		[ -f "$sc" ] || continue
		name=$(basename "$sc" .sh)
		log=$TESTLOG/script-$name.log
		set +e
		ROOT="$ROOT" OUT_DIR="$LOCAL_OUT" bash "$sc" >"$log" 2>&1
		rc=$?
		set -e
		grep -E '^(PASS|FAIL) ' "$log" || true
		p=$(grep -c '^PASS ' "$log" || true)
		f=$(grep -c '^FAIL ' "$log" || true)
		if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
			f=1
			echo "FAIL $name (exit status $rc, see $log)"
		fi
		[ "$f" -ne 0 ] && tail -40 "$log" >&2 || true
		PASSED=$((PASSED + p)); FAILED=$((FAILED + f))
	done
}

cmd_test() {
	mkdir -p "$TESTLOG"
	local v bin
	export TSAN_OPTIONS="halt_on_error=1 ${TSAN_OPTIONS:-}"
	export UBSAN_OPTIONS="halt_on_error=1 print_stacktrace=1 ${UBSAN_OPTIONS:-}"
	set +e
	cmd_build >"$TESTLOG/build-local.log" 2>&1
	local brc=$?
	set -e
	record "build-local (fuzz targets, stress, tools into $LOCAL_OUT)" $brc
	[ $brc -ne 0 ] && sed -n '1,40p' "$TESTLOG/build-local.log" >&2
	[ $brc -eq 0 ] && run_test_scripts
	for v in $TEST_VARIANTS; do
		set +e
		variant_make "$v" lib tests >"$TESTLOG/build-$v.log" 2>&1
		local rc=$?
		set -e
		record "build-$v (-Wall -Wextra -Werror)" $rc
		[ $rc -ne 0 ] && { sed -n '1,40p' "$TESTLOG/build-$v.log" >&2; continue; }
		for bin in "$ROOT/build/test-$v"/test_*; do
			[ -x "$bin" ] && run_test_binary "$v" "$bin"
		done
	done
	echo "$PASSED passed, $FAILED failed"
	[ "$FAILED" -eq 0 ]
}

# ---- fuzz ---------------------------------------------------------------

# stat FILE KEY: a value from libFuzzer's -print_final_stats block.
stat() {
	sed -n "s/^stat::$2: *//p" "$1" | tail -1
}

# Last coverage figure ("cov: N") a libFuzzer log reported.
last_cov() {
	grep -o 'cov: [0-9]*' "$1" | tail -1 | sed 's/cov: //'
}

cmd_fuzz() {
	local secs=${1:-60}
	[ $# -le 1 ] || die_usage "fuzz: too many arguments"
	[[ $secs =~ ^[0-9]+$ ]] && [ "$secs" -gt 0 ] || die_usage "fuzz: SECONDS must be a positive integer, got '$secs'"
	cmd_build
	local targets=() t
	for t in "$LOCAL_OUT"/fuzz_*; do
		[ -x "$t" ] && targets+=("$(basename "$t")")
	done
	[ ${#targets[@]} -gt 0 ] || { echo "build.sh: no fuzz targets were built" >&2; exit 1; }

	local work=$ROOT/work/fuzz
	local waves=$(( (${#targets[@]} + JOBS - 1) / JOBS ))
	local each=$(( secs / waves ))
	[ "$each" -ge 1 ] || each=1
	echo "build.sh: fuzzing ${#targets[@]} targets, $JOBS at a time, ${each}s each (about ${secs}s in all); work in $work"
	export TSAN_OPTIONS="halt_on_error=1 ${TSAN_OPTIONS:-}"

	local i=0 pids=() names=()
	for t in "${targets[@]}"; do
		local d=$work/${t}
		mkdir -p "$d/corpus" "$d/crashes"
		# Seeds (and regression inputs) are copied: corpus/ stays as committed.
		local seeds=$ROOT/corpus/${t#fuzz_}
		[ -d "$seeds" ] && find "$seeds" -type f ! -name '*.txt' ! -name '*.md' -exec cp -n {} "$d/corpus/" \; 2>/dev/null
		local opts=()
		[ -f "$ROOT/fuzz/options/$t.options" ] && mapfile -t opts < <(sed -n 's/^\([a-z_]*\) *= *\(.*\)/-\1=\2/p' "$ROOT/fuzz/options/$t.options")
		[ -f "$ROOT/fuzz/dicts/$t.dict" ] && opts+=("-dict=$ROOT/fuzz/dicts/$t.dict")
		( cd "$d" && "$LOCAL_OUT/$t" "${opts[@]}" -max_total_time="$each" -print_final_stats=1 \
			-artifact_prefix="$d/crashes/" "$d/corpus" >"$d/log" 2>&1 ) &
		pids+=($!); names+=("$t")
		i=$((i + 1))
		if [ $((i % JOBS)) -eq 0 ] || [ "$i" -eq ${#targets[@]} ]; then
			fuzz_progress "$work" "${names[@]}" &
			local prog=$!
			local p
			for p in "${pids[@]}"; do wait "$p" || true; done
			kill "$prog" 2>/dev/null; wait "$prog" 2>/dev/null || true
			pids=(); names=()
		fi
	done
	fuzz_table "$work" "${targets[@]}"
}

# fuzz_progress WORK NAMES...: a status line per running target every 10s.
fuzz_progress() {
	local work=$1 t line
	shift
	while sleep 10; do
		for t in "$@"; do
			line=$(grep -E '^#[0-9]+' "$work/$t/log" 2>/dev/null | tail -1)
			echo "  $t: ${line:-starting}"
		done
	done
}

fuzz_table() {
	local work=$1 t
	shift
	local crashes_total=0
	printf '\n%-24s %12s %10s %8s %8s %8s\n' target executions exec/s coverage corpus crashes
	for t in "$@"; do
		local d=$work/$t
		local execs rate cov corp crashes
		execs=$(stat "$d/log" number_of_executed_units)
		rate=$(stat "$d/log" average_exec_per_sec)
		cov=$(last_cov "$d/log")
		corp=$(find "$d/corpus" -type f | wc -l)
		crashes=$(find "$d/crashes" -type f | wc -l)
		crashes_total=$((crashes_total + crashes))
		printf '%-24s %12s %10s %8s %8s %8s\n' "$t" "${execs:-?}" "${rate:-?}" "${cov:-?}" "$corp" "$crashes"
	done
	for t in "$@"; do
		local c
		for c in "$work/$t/crashes"/*; do
			[ -f "$c" ] || continue
			echo "crash in $t: reproduce with: ./build.sh repro $c $t"
		done
	done
	[ "$crashes_total" -eq 0 ] || return 1
}

# Which target a crash file belongs to, from where it lives.
guess_target() {
	local f
	f=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
	case $f in
	*/work/fuzz/fuzz_*/*) f=${f#*/work/fuzz/}; echo "${f%%/*}" ;;
	*/corpus/*/*) f=${f#*/corpus/}; echo "fuzz_${f%%/*}" ;;
	*) echo fuzz_schedule ;;
	esac
}

cmd_repro() {
	[ $# -ge 1 ] && [ $# -le 2 ] || die_usage "repro FILE [TARGET]"
	local file=$1 target=${2:-}
	[ -f "$file" ] || { echo "build.sh: no such file: $file" >&2; exit 2; }
	[ -n "$target" ] || target=$(guess_target "$file")
	target=fuzz_${target#fuzz_}
	[ -x "$LOCAL_OUT/$target" ] || cmd_build
	[ -x "$LOCAL_OUT/$target" ] || { echo "build.sh: unknown target $target" >&2; exit 2; }
	echo "build.sh: replaying $file with $target"
	TSAN_OPTIONS="halt_on_error=1 ${TSAN_OPTIONS:-}" FZ_TRACE=1 "$LOCAL_OUT/$target" "$file"
}

cmd_explore() {
	[ $# -ge 1 ] || die_usage "explore FILE [OPTIONS]"
	[ -x "$LOCAL_OUT/explore" ] || cmd_build >&2
	TSAN_OPTIONS="halt_on_error=1 ${TSAN_OPTIONS:-}" exec "$LOCAL_OUT/explore" "$@"
}

cmd_bugs() {
	[ -f allocator/ph_bugs.def ] || { echo "build.sh: allocator/ph_bugs.def is missing" >&2; exit 1; }
	sed -n 's/^PH_BUG([A-Z0-9_]*, *"\([^"]*\)", *"\([^"]*\)".*/\1\t\2/p' allocator/ph_bugs.def |
		awk -F'\t' '{ printf "%-28s %s\n", $1, $2 }'
}

# Under OSS-Fuzz's (or ClusterFuzzLite's) build environment a bare
# ./build.sh follows that contract; tools/ossfuzz-build.sh implements it.
in_ossfuzz_env() {
	[ -n "${OUT:-}" ] && [ -n "${SRC:-}" ] && [ -n "${LIB_FUZZING_ENGINE:-}" ]
}

main() {
	if [ $# -eq 0 ] && in_ossfuzz_env; then
		exec bash "$ROOT/tools/ossfuzz-build.sh"
	fi
	local cmd=${1:-build}
	[ $# -gt 0 ] && shift
	case $cmd in
	build) [ $# -eq 0 ] || die_usage "build takes no arguments"; cmd_build ;;
	test) [ $# -eq 0 ] || die_usage "test takes no arguments"; cmd_test ;;
	fuzz) cmd_fuzz "$@" ;;
	repro) cmd_repro "$@" ;;
	explore) cmd_explore "$@" ;;
	bugs) [ $# -eq 0 ] || die_usage "bugs takes no arguments"; cmd_bugs ;;
	help | -h | --help) usage ;;
	*) die_usage "unknown command '$cmd'" ;;
	esac
}

main "$@"
