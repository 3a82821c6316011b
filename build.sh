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
  bugs               list the injected-bug suite, one "name  description" line each
  help               this text

Environment:
  OUT=DIR            put the build in DIR instead of out/
  ALLOC_BUG=NAME     build everything with one injected bug switched on
  CC, CXX            compilers (default clang, clang++)
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

cmd_build() {
	local b=$ROOT/build
	[ -n "${ALLOC_BUG:-}" ] && b=$ROOT/build/bug-${ALLOC_BUG}
	make_variant "$b/tsan" "-fsanitize=thread" 1 CC="${CC:-clang}" CXX="${CXX:-clang++}" all targets
	make_variant "$b/fast" "" 0 CC="${CC:-clang}" OPT="-O2 -g" all
	mkdir -p "$LOCAL_OUT"
	local f
	for f in "$b"/tsan/* ; do
		[ -f "$f" ] && [ -x "$f" ] && cp -f "$f" "$LOCAL_OUT/"
	done
	[ -x "$b/fast/stress" ] && cp -f "$b/fast/stress" "$LOCAL_OUT/stress-fast"
	[ -x "$b/fast/schedtool" ] && cp -f "$b/fast/schedtool" "$LOCAL_OUT/schedtool"
	echo "build.sh: built into $LOCAL_OUT"
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
# under TSan and ASan+UBSan, and the pre-seed (locked) zeroing variant.
TEST_VARIANTS="gcc clang tsan asan locked"

variant_make() {
	local v=$1
	shift
	case $v in
	gcc)   make_variant "$ROOT/build/test-gcc" "" 1 CC=gcc OPT="-O2 -g" "$@" ;;
	clang) make_variant "$ROOT/build/test-clang" "" 1 CC=clang OPT="-O2 -g" "$@" ;;
	tsan)  make_variant "$ROOT/build/test-tsan" "-fsanitize=thread" 1 CC=clang "$@" ;;
	asan)  make_variant "$ROOT/build/test-asan" "-fsanitize=address,undefined -fno-sanitize-recover=all" 1 CC=clang "$@" ;;
	locked) make_variant "$ROOT/build/test-locked" "" 1 CC=gcc OPT="-O2 -g" ZEROING=locked "$@" ;;
	esac
}

cmd_test() {
	mkdir -p "$TESTLOG"
	local v bin
	export TSAN_OPTIONS="halt_on_error=1 ${TSAN_OPTIONS:-}"
	export UBSAN_OPTIONS="halt_on_error=1 print_stacktrace=1 ${UBSAN_OPTIONS:-}"
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

cmd_fuzz() {
	local secs=${1:-60}
	[[ $secs =~ ^[0-9]+$ ]] && [ "$secs" -gt 0 ] || die_usage "fuzz: SECONDS must be a positive integer, got '$secs'"
	[ $# -le 1 ] || die_usage "fuzz: too many arguments"
	cmd_build
	local targets=()
	local t
	for t in "$LOCAL_OUT"/fuzz_*; do
		[ -x "$t" ] && targets+=("$t")
	done
	if [ ${#targets[@]} -eq 0 ]; then
		echo "build.sh: no fuzz targets were built" >&2
		exit 1
	fi
	echo "build.sh: fuzzing ${#targets[@]} targets for ${secs}s"
}

cmd_bugs() {
	[ -f allocator/ph_bugs.def ] || { echo "build.sh: allocator/ph_bugs.def is missing" >&2; exit 1; }
	sed -n 's/^PH_BUG([A-Z0-9_]*, *"\([^"]*\)", *"\([^"]*\)".*/\1\t\2/p' allocator/ph_bugs.def |
		awk -F'\t' '{ printf "%-28s %s\n", $1, $2 }'
}

main() {
	local cmd=${1:-build}
	[ $# -gt 0 ] && shift
	case $cmd in
	build) [ $# -eq 0 ] || die_usage "build takes no arguments"; cmd_build ;;
	test) [ $# -eq 0 ] || die_usage "test takes no arguments"; cmd_test ;;
	fuzz) cmd_fuzz "$@" ;;
	bugs) [ $# -eq 0 ] || die_usage "bugs takes no arguments"; cmd_bugs ;;
	help | -h | --help) usage ;;
	*) die_usage "unknown command '$cmd'" ;;
	esac
}

main "$@"
