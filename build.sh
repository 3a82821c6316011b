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

  (none) | build     build every fuzz target (libFuzzer + TSan, and ASan+UBSan
                     into out/asan), the stress binaries, the schedule tools
                     (schedtool, schedmin) and the tests into out/
  test               run the whole test suite; ends with "N passed, N failed"
  fuzz [SECONDS]     fuzz every target in parallel for SECONDS (default 60)
                     and print a table of executions, coverage and crashes
  repro FILE [TARGET]
                     replay a crash file, print its swimlane trace and name
                     the oracle that fired
  repro --html FILE [TARGET]
                     the same trace as one self-contained HTML page (no
                     network), written to work/trace/FILE.html
  minimize [--out DIR] CRASH [TARGET]
                     shrink a crash to the smallest input that fails with the
                     same verdict: libFuzzer's -minimize_crash (FZ_EXPECT keeps
                     the oracle), then threads, operations and decisions of
                     the schedule (out/schedmin); writes NAME-min.bin, .txt
                     and .trace to DIR (default work/minimize) and a table of
                     sizes before and after.  MINIMIZE_RUNS=N: libFuzzer runs
                     per step (default 20000)
  coverage [SECONDS] build the coverage variant (tools/ossfuzz-build.sh,
                     SANITIZER=coverage), run every target over its committed
                     corpus and work/fuzz/TARGET/corpus, and write an HTML
                     report to work/coverage/ plus a per-file table of
                     allocator/ (lines, functions, regions).  SECONDS > 0
                     (default 0): first fuzz the targets (ASan build) that
                     long in all, adding to work/fuzz/TARGET/corpus
  merge [--dry-run]  fold work/fuzz/TARGET/corpus into corpus/NAME/ with
                     libFuzzer's -merge=1: an input is added only if it
                     covers what the committed seeds and regressions do not;
                     schedule inputs as canonical .bin and .txt; regressions/
                     is never touched; --dry-run only reports
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
	make_variant "$b/fast" "" 0 CC="$cc" OPT="-O2 -g" lib stress
	# Command-line tools (schedtool, schedmin): optimised, no sanitizer,
	# hooks on, because they run schedules and print their traces.
	make_variant "$b/tools" "" 1 CC="$cc" OPT="-O2 -g" tools
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
	for f in "$b"/tools/sched*; do
		[ -x "$f" ] && cp -f "$f" "$LOCAL_OUT/"
	done
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
	if [ "${1:-}" = --html ]; then shift; repro_html "$@"; return; fi
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

# repro --html FILE [TARGET]: the same replay as one self-contained HTML page
# (out/schedtool trace --html), written to work/trace/<FILE's name>.html.
repro_html() {
	[ $# -ge 1 ] && [ $# -le 2 ] || die_usage "repro --html FILE [TARGET]"
	local file=$1 target=${2:-}
	[ -f "$file" ] || { echo "build.sh: no such file: $file" >&2; exit 2; }
	[ -n "$target" ] || target=$(guess_target "$file")
	target=fuzz_${target#fuzz_}
	case $target in
	fuzz_schedule | fuzz_needzero | fuzz_schedule_freerun) ;;
	*) die_usage "repro --html: $target runs no schedule, so it has no swimlane trace (want fuzz_schedule, fuzz_needzero or fuzz_schedule_freerun)" ;;
	esac
	[ -x "$LOCAL_OUT/schedtool" ] || cmd_build
	local html rc=0
	html=$ROOT/work/trace/$(basename "$file").html
	mkdir -p "$ROOT/work/trace"
	"$LOCAL_OUT/schedtool" trace --html "$file" "$target" >"$html" || rc=$?
	[ "$rc" -le 1 ] || { rm -f "$html"; exit "$rc"; }
	echo "build.sh: $(sed -n 's:.*<title>pageheap-fuzz trace\: \(.*\)</title>.*:verdict \1:p' "$html" | head -1)"
	echo "build.sh: wrote $html"
	return "$rc"
}

# ---- coverage -----------------------------------------------------------

# coverage_inputs TARGET: the folders of inputs a target's coverage is
# measured on: its committed corpus and regressions (a free-running target
# shares its controlled twin's), and what fuzzing found in work/fuzz/.
coverage_inputs() {
	local name=${1#fuzz_} d
	[ -d "$ROOT/corpus/$name" ] || name=${name%_freerun}
	for d in "$ROOT/corpus/$name" "$ROOT/corpus/$name/regressions" "$ROOT/work/fuzz/$1/corpus"; do
		[ -d "$d" ] && echo "$d"
	done
	return 0
}

# llvm_tool NAME: the LLVM tool of the clang that built the coverage
# targets (profiles are read only by their own LLVM version).
llvm_tool() {
	local cc dir
	cc=$(command -v "${CC:-clang}" 2>/dev/null) || true
	dir=$( [ -n "$cc" ] && dirname "$(readlink -f "$cc")")
	if [ -n "$dir" ] && [ -x "$dir/$1" ]; then echo "$dir/$1"; else command -v "$1"; fi
}

# coverage [SECONDS]: what the corpus covers, as an HTML report.
cmd_coverage() {
	[ $# -le 1 ] || die_usage "coverage: too many arguments"
	local secs=${1:-0}
	[[ $secs =~ ^[0-9]+$ ]] || die_usage "coverage: SECONDS must be a whole number of seconds, got '$secs'"
	local profdata cov
	profdata=$(llvm_tool llvm-profdata) && cov=$(llvm_tool llvm-cov) ||
		{ echo "build.sh: coverage needs llvm-profdata and llvm-cov (Debian: apt-get install llvm)" >&2; exit 1; }
	local targets=() t src
	for src in "$ROOT"/fuzz/targets/target_*.c; do
		t=$(basename "$src" .c)
		targets+=("fuzz_${t#target_}")
	done
	if [ "$secs" -gt 0 ]; then
		coverage_fuzz "$secs" "${targets[@]}"
	fi

	local b=$ROOT/build/coverage report=$ROOT/work/coverage
	mkdir -p "$b"
	echo "build.sh: building the coverage variant (tools/ossfuzz-build.sh, SANITIZER=coverage) into $b/out"
	# OSS-Fuzz's flags for a coverage build come from the script itself:
	# the caller's CFLAGS and friends must not reach it.
	if ! env -u CFLAGS -u CXXFLAGS -u LIB_FUZZING_ENGINE -u CC -u CXX OUT="$b/out" WORK="$b" SANITIZER=coverage \
		FUZZING_ENGINE=libfuzzer bash "$ROOT/tools/ossfuzz-build.sh" >"$b/build.log" 2>&1; then
		tail -20 "$b/build.log" >&2
		echo "build.sh: the coverage build failed; its log: $b/build.log" >&2
		exit 1
	fi
	rm -rf "$b/profiles" "$b/inputs"
	mkdir -p "$b/profiles"
	local objects=() d n
	printf '\n%-24s %8s  %s\n' target inputs "from"
	for t in "${targets[@]}"; do
		# Binary inputs only, gathered in one folder: texts and notes are
		# not inputs.
		local stage=$b/inputs/$t from=()
		mkdir -p "$stage"
		while read -r d; do
			find "$d" -maxdepth 1 -type f ! -name '*.txt' ! -name '*.md' ! -name '.*' -exec cp -f {} "$stage/" \;
			from+=("${d#"$ROOT"/}")
		done < <(coverage_inputs "$t")
		n=$(find "$stage" -type f | wc -l)
		printf '%-24s %8s  %s\n' "$t" "$n" "${from[*]:-(none)}"
		if ! (cd "$b" && LLVM_PROFILE_FILE="$b/profiles/$t-%p.profraw" "$b/out/$t" -runs=0 "$stage" >"$b/run-$t.log" 2>&1); then
			tail -20 "$b/run-$t.log" >&2
			echo "build.sh: $t failed while replaying its inputs (log: $b/run-$t.log); the corpus must replay clean" >&2
			exit 1
		fi
		objects+=("$b/out/$t")
	done
	"$profdata" merge -sparse "$b"/profiles/*.profraw -o "$b/merged.profdata"
	local args=(-instr-profile="$b/merged.profdata" "${objects[0]}")
	for t in "${objects[@]:1}"; do args+=(-object "$t"); done
	# Sources named one by one, sorted: the report lists them in this order.
	local alloc_src=() fuzz_src=()
	mapfile -t alloc_src < <(find "$ROOT/allocator" -maxdepth 1 -name '*.[ch]' | LC_ALL=C sort)
	mapfile -t fuzz_src < <(find "$ROOT/fuzz" -mindepth 2 -maxdepth 2 -name '*.[ch]' | LC_ALL=C sort)
	rm -rf "$report"
	"$cov" show -format=html -output-dir="$report" -show-line-counts-or-regions \
		-project-title="pageheap-fuzz: what the corpus covers" "${args[@]}" "${alloc_src[@]}" "${fuzz_src[@]}" >/dev/null
	echo
	"$cov" report "${args[@]}" "${alloc_src[@]}" | coverage_table
	echo
	echo "build.sh: HTML report (every file of allocator/ and fuzz/, line by line): $report/index.html"
}

# The allocator's per-file summary from llvm-cov report: covered/total and
# percent for lines, functions and regions.
coverage_table() {
	awk -v root="$ROOT/" '
		function cell(total, missed) {
			if (total == 0)
				return sprintf("%11s %7s", "-", "")
			return sprintf("%5d/%-5d %6.1f%%", total - missed, total, 100 * (total - missed) / total)
		}
		/^Filename/ || /^---/ || NF < 10 { next }
		$2 + $5 + $8 == 0 { next } # a header without code
		{
			name = $1
			sub(root, "", name)
			if (name != "TOTAL" && name !~ /^allocator\//) name = "allocator/" name
			printf "%-28s %s   %s   %s\n", name, cell($8, $9), cell($5, $6), cell($2, $3)
		}
		BEGIN { printf "%-28s %-19s   %-19s   %-19s\n", "file (allocator/)", "lines", "functions", "regions" }
	'
}

# coverage_fuzz SECONDS TARGETS...: fuzz each target in the ASan build for
# its share of SECONDS, adding what it finds to work/fuzz/TARGET/corpus.
coverage_fuzz() {
	local secs=$1 t
	shift
	local each=$((secs / $#))
	[ "$each" -ge 1 ] || each=1
	for t in "$@"; do
		[ -x "$LOCAL_OUT/asan/$t" ] || { cmd_build; break; }
	done
	echo "build.sh: fuzzing each of $# targets for ${each}s first (ASan build), adding to work/fuzz/TARGET/corpus"
	for t in "$@"; do
		local d=$ROOT/work/fuzz/$t d2 opts=()
		mkdir -p "$d/corpus" "$d/crashes"
		local seeds=()
		while read -r d2; do
			[ "$d2" = "$d/corpus" ] || seeds+=("$d2")
		done < <(coverage_inputs "$t")
		[ -f "$ROOT/fuzz/dicts/$t.dict" ] && opts+=("-dict=$ROOT/fuzz/dicts/$t.dict")
		local before
		before=$(find "$d/corpus" -type f | wc -l)
		(cd "$d" && "$LOCAL_OUT/asan/$t" "${opts[@]}" -max_total_time="$each" -reload=0 -artifact_prefix="$d/crashes/" \
			"$d/corpus" "${seeds[@]}" >"$d/coverage-fuzz.log" 2>&1) ||
			echo "build.sh: $t stopped at a crash; reproduce with ./build.sh repro $(ls -t "$d/crashes"/* 2>/dev/null | head -1) $t"
		echo "  $t: $(( $(find "$d/corpus" -type f | wc -l) - before )) new inputs in work/fuzz/$t/corpus"
	done
}

# ---- merge --------------------------------------------------------------

# merge [--dry-run]: fold what fuzzing found into the committed corpus.
cmd_merge() {
	local dry=0
	case ${1:-} in
	--dry-run) dry=1; shift ;;
	esac
	[ $# -eq 0 ] || die_usage "merge takes no arguments but --dry-run"
	[ -x "$LOCAL_OUT/schedtool" ] || cmd_build
	local src t any=0
	for src in "$ROOT"/fuzz/targets/target_*.c; do
		t=$(basename "$src" .c)
		t=fuzz_${t#target_}
		# A free-running target's finds are fuzz_schedule programs: they go
		# to corpus/schedule with fuzz_schedule's (deterministic) coverage.
		[ "$t" = fuzz_schedule_freerun ] && continue
		local work=()
		[ -d "$ROOT/work/fuzz/$t/corpus" ] && work+=("$ROOT/work/fuzz/$t/corpus")
		[ "$t" = fuzz_schedule ] && [ -d "$ROOT/work/fuzz/fuzz_schedule_freerun/corpus" ] &&
			work+=("$ROOT/work/fuzz/fuzz_schedule_freerun/corpus")
		if [ ${#work[@]} -eq 0 ]; then
			echo "$t: nothing to merge (no work/fuzz/$t/corpus)"
			continue
		fi
		any=1
		merge_target "$t" "$dry" "${work[@]}"
	done
	[ $any -eq 1 ] || echo "build.sh: nothing to merge: ./build.sh fuzz (or coverage SECONDS) fills work/fuzz/TARGET/corpus"
	[ $dry -eq 0 ] || echo "build.sh: dry run: nothing was written"
}

# merge_target TARGET DRY WORKDIRS...: libFuzzer's -merge=1 of the work
# corpora into a copy of the committed corpus (seeds and regressions, which
# count as covered but are never written); every input it adds is written
# to corpus/NAME/ (schedule-running targets: as canonical bytes and text).
merge_target() {
	local t=$1 dry=$2
	shift 2
	local name=${t#fuzz_} bin=$LOCAL_OUT/asan/$t
	local dest=$ROOT/corpus/$name
	[ -x "$bin" ] || cmd_build
	local tmp
	tmp=$(mktemp -d)
	mkdir -p "$tmp/main"
	# The committed inputs, regressions under a prefix so no name collides.
	local f
	for f in "$dest"/* "$dest"/regressions/*; do
		[ -f "$f" ] || continue
		case $f in *.txt | *.md) continue ;; esac
		case $f in */regressions/*) cp "$f" "$tmp/main/regression-$(basename "$f")" ;; *) cp "$f" "$tmp/main/" ;; esac
	done
	LC_ALL=C ls "$tmp/main" >"$tmp/before"
	# Schedules already committed, by the sha1 of their (canonical) bytes.
	local -A seen=()
	local sum path
	while read -r sum path; do
		seen[$sum]=1
	done < <(cd "$tmp/main" && find . -type f -exec sha1sum {} +)
	local inputs
	inputs=$(find "$@" -type f | wc -l)
	if ! (cd "$tmp" && UBSAN_OPTIONS="halt_on_error=1 ${UBSAN_OPTIONS:-}" "$bin" -merge=1 \
		-merge_control_file="$tmp/control" "$tmp/main" "$@" >"$tmp/merge.log" 2>&1); then
		tail -15 "$tmp/merge.log" >&2
		echo "build.sh: $t: libFuzzer's merge failed (an input crashes?); nothing merged for it" >&2
		rm -rf "$tmp"
		return 0
	fi
	# Where each found input came from, by content.
	local -A origin=()
	while read -r sum path; do
		origin[$sum]=${origin[$sum]:-$path}
	done < <(find "$@" -type f -exec sha1sum {} +)
	local added=() ext=
	compgen -G "$dest/*.bin" >/dev/null && ext=.bin
	for f in $(LC_ALL=C ls "$tmp/main" | LC_ALL=C comm -13 "$tmp/before" -); do
		local new=$tmp/main/$f from
		from=${origin[$(sha1sum <"$new" | cut -d' ' -f1)]:-a work corpus}
		from=${from#"$ROOT"/}
		if is_schedule_target "$t"; then
			# Canonical bytes with their text, as every committed seed is
			# (corpus.sh checks .bin == encode(.txt)); a schedule that is
			# already committed or added is not added twice.
			"$LOCAL_OUT/schedtool" decode --target "$name" "$new" "$tmp/text" &&
				"$LOCAL_OUT/schedtool" encode "$tmp/text" "$tmp/canon" >/dev/null || continue
			local csum
			csum=$(sha1sum <"$tmp/canon" | cut -d' ' -f1)
			[ -z "${seen[$csum]:-}" ] || continue
			seen[$csum]=1
			local id=found-${csum:0:16}
			added+=("$id.bin (+ .txt) from $from")
			if [ "$dry" -eq 0 ]; then
				cp "$tmp/canon" "$dest/$id.bin"
				{
					echo "# Added by ./build.sh merge: fuzzing found it ($from) and it covers"
					echo "# what the committed corpus did not (libFuzzer -merge=1 with $t)."
					cat "$tmp/text"
				} >"$dest/$id.txt"
			fi
		else
			# A copy of a committed input is not added even when libFuzzer
			# credits it with features: those come from the state the
			# previous input left (what a reset had to undo), not from it.
			local rsum
			rsum=$(sha1sum <"$new" | cut -d' ' -f1)
			[ -z "${seen[$rsum]:-}" ] || continue
			seen[$rsum]=1
			local id=found-${rsum:0:16}
			added+=("$id$ext from $from")
			[ "$dry" -eq 0 ] && cp "$new" "$dest/$id$ext"
		fi
	done
	local verb=added
	[ "$dry" -eq 0 ] || verb="would add"
	echo "$t: $inputs inputs in ${*#"$ROOT"/}; new ones that cover what the committed corpus does not: ${#added[@]}; $verb to corpus/$name/:"
	for f in "${added[@]}"; do echo "  $f"; done
	rm -rf "$tmp"
}

# ---- minimize -----------------------------------------------------------

# verdict_of BIN FILE: what a replay of FILE by BIN ends with: the oracle of
# its "==== verdict: ORACLE: ..." line, or "XSanitizer: kind" for a sanitizer
# report without one, or EXITn for any other failure; empty when it passes.
verdict_of() {
	local log rc=0 v
	log=$(mktemp)
	TSAN_OPTIONS="halt_on_error=1 ${TSAN_OPTIONS:-}" FZ_TRACE=0 FZ_EXPECT='' "$1" "$2" >"$log" 2>&1 || rc=$?
	v=$(sed -n 's/^==== verdict: \([A-Z0-9]*\): .*/\1/p' "$log" | head -1)
	[ -n "$v" ] || v=$(sed -n 's/^SUMMARY: \([A-Za-z]*Sanitizer\): \([a-zA-Z -]*[a-zA-Z]\).*/\1: \2/p' "$log" | head -1)
	[ -n "$v" ] || [ "$rc" -eq 0 ] || v=EXIT$rc
	rm -f "$log"
	echo "$v"
}

# sched_stats FILE TARGET: "threads ops decisions" of a schedule file.
sched_stats() {
	local t=${2#fuzz_}
	t=${t%_freerun}
	"$LOCAL_OUT/schedtool" decode --target "$t" "$1" | awk '
		/^threads / { th = $2 }
		/^decisions/ { d = 1; next }
		/^  / { if (d) dec++; else ops++ }
		END { printf "%d %d %d\n", th, ops, dec }'
}

# target_story BIN FILE: what BIN says replaying FILE with FZ_TRACE=1,
# without libFuzzer's banner, up to the verdict line when there is one (a
# sanitizer's report, which has none, is kept whole).
target_story() {
	FZ_TRACE=1 FZ_EXPECT='' TSAN_OPTIONS="halt_on_error=1 ${TSAN_OPTIONS:-}" "$1" "$2" 2>&1 |
		sed -e '/^INFO: /d' -e '/^Running: /d' -e '/: Running [0-9]* inputs/d' -e '/^==== verdict: /q' || true
}

# stage_row LABEL FILE TARGET VERDICT: one row of minimize's size table.
stage_row() {
	local bytes th=- ops=- dec=- lines=-
	bytes=$(wc -c <"$2")
	if is_schedule_target "$3"; then
		read -r th ops dec < <(sched_stats "$2" "$3")
		# The trace is an oracle's story; a sanitizer's verdict has none.
		is_oracle "$4" && lines=$({ "$LOCAL_OUT/schedtool" trace "$2" "${3#fuzz_}" 2>/dev/null || true; } | wc -l)
	fi
	printf '  %-12s %8s %8s %8s %10s %12s\n' "$1" "$bytes" "$th" "$ops" "$dec" "$lines"
}

# An oracle's name (Z1, O1, HEAP, ...), not a sanitizer's report or an exit.
is_oracle() {
	[[ $1 =~ ^[A-Z][A-Z0-9]*$ ]] && [[ ! $1 =~ ^EXIT ]]
}

judge_name() {
	case $1 in
	*/asan/*) echo "the ASan build ($1)" ;;
	*) echo "the TSan build ($1)" ;;
	esac
}

is_schedule_target() {
	case $1 in fuzz_schedule | fuzz_needzero) return 0 ;; *) return 1 ;; esac
}

# minimize [--out DIR] CRASH [TARGET]: the smallest input that fails the
# same way, as libFuzzer and then the schedule's structure can make it.
cmd_minimize() {
	local outdir=$ROOT/work/minimize
	if [ "${1:-}" = --out ]; then
		[ $# -ge 2 ] || die_usage "minimize: --out needs a DIR"
		outdir=$2
		shift 2
	fi
	[ $# -ge 1 ] && [ $# -le 2 ] || die_usage "minimize [--out DIR] CRASH [TARGET]"
	local crash=$1 target=${2:-} runs=${MINIMIZE_RUNS:-20000}
	[ -f "$crash" ] || { echo "build.sh: no such file: $crash" >&2; exit 2; }
	[[ $runs =~ ^[0-9]+$ ]] && [ "$runs" -gt 0 ] || die_usage "minimize: MINIMIZE_RUNS must be a positive integer, got '$runs'"
	[ -n "$target" ] || target=$(guess_target "$crash")
	target=fuzz_${target#fuzz_}
	[ -f "$ROOT/fuzz/targets/target_${target#fuzz_}.c" ] || die_usage "minimize: unknown target $target"
	check_bug
	local need
	for need in "$target" "asan/$target" schedtool schedmin; do
		[ -x "$LOCAL_OUT/$need" ] || { cmd_build; break; }
	done
	crash=$(cd "$(dirname "$crash")" && pwd)/$(basename "$crash")

	if [ "$target" = fuzz_schedule_freerun ]; then
		# Free-running replays are not deterministic: minimise the same
		# bytes under control if they fail there.
		if [ -z "$(verdict_of "$LOCAL_OUT/asan/fuzz_schedule" "$crash")$(verdict_of "$LOCAL_OUT/fuzz_schedule" "$crash")" ]; then
			echo "build.sh: $crash does not fail under control (fuzz_schedule); a free-running failure is not deterministic, so it cannot be minimised" >&2
			exit 1
		fi
		echo "build.sh: free-running replays are not deterministic; the same bytes fail under control, so they are minimised as fuzz_schedule"
		target=fuzz_schedule
	fi
	# The verdict to keep, and the build that judges it: an oracle's, as
	# the ASan build (ClusterFuzz's view) gives it, when there is one; else
	# the sanitizer report of the TSan build (how ./build.sh fuzz found it)
	# or of the ASan build.
	local v0 vasan vtsan judge
	vasan=$(verdict_of "$LOCAL_OUT/asan/$target" "$crash")
	vtsan=$(verdict_of "$LOCAL_OUT/$target" "$crash")
	if [ -n "$vasan" ] && is_oracle "$vasan"; then
		v0=$vasan judge=$LOCAL_OUT/asan/$target
	elif [ -n "$vtsan" ]; then
		v0=$vtsan judge=$LOCAL_OUT/$target
	elif [ -n "$vasan" ]; then
		v0=$vasan judge=$LOCAL_OUT/asan/$target
	else
		echo "build.sh: $crash does not fail with $target (TSan or ASan build): nothing to minimise" >&2
		exit 1
	fi
	echo "build.sh: minimising $crash ($target): verdict $v0 in $(judge_name "$judge")"
	[ -z "$vtsan" ] || [ "$vtsan" = "$v0" ] ||
		echo "build.sh: (the TSan build, $LOCAL_OUT/$target, reports '$vtsan' first)"

	local tmp
	tmp=$(mktemp -d)
	# libFuzzer's crash minimisation in the judging build; FZ_EXPECT makes
	# failures of other oracles no crashes (NONE: any oracle's).
	local expect=$v0
	is_oracle "$v0" || expect=NONE
	# A fixed seed: the same crash minimises to the same input every time.
	echo "build.sh: libFuzzer -minimize_crash=1 -seed=1 -runs=$runs (per step) in $(judge_name "$judge"), FZ_EXPECT=$expect"
	(cd "$tmp" && FZ_EXPECT=$expect TSAN_OPTIONS="halt_on_error=1 ${TSAN_OPTIONS:-}" "$judge" -minimize_crash=1 \
		-seed=1 -runs="$runs" -exact_artifact_path="$tmp/libfuzzer.bin" "$crash" >"$tmp/libfuzzer.log" 2>&1) || true
	local lf=$crash
	if [ -f "$tmp/libfuzzer.bin" ]; then
		local v1
		v1=$(verdict_of "$judge" "$tmp/libfuzzer.bin")
		if [ "$v1" = "$v0" ]; then
			lf=$tmp/libfuzzer.bin
		else
			echo "build.sh: libFuzzer's reduction fails with '${v1:-nothing}', not $v0; going on from the crash itself"
		fi
	else
		echo "build.sh: libFuzzer found no smaller input failing with $v0"
	fi

	# The schedule's structure: threads, operations, decisions.
	local final=$lf
	if is_schedule_target "$target"; then
		if ! is_oracle "$v0"; then
			echo "build.sh: structural shrinking runs schedules in-process and judges them by the oracles; '$v0' is no oracle's verdict, so libFuzzer's result stays"
		elif "$LOCAL_OUT/schedmin" --target "${target#fuzz_}" --expect "$v0" "$lf" "$tmp/structural.bin"; then
			local v2
			v2=$(verdict_of "$judge" "$tmp/structural.bin")
			if [ "$v2" = "$v0" ]; then
				final=$tmp/structural.bin
			else
				echo "build.sh: the structural reduction fails with '${v2:-nothing}' in $(judge_name "$judge"), not $v0; libFuzzer's result stays"
			fi
		else
			echo "build.sh: schedmin failed (above); libFuzzer's result stays"
		fi
	fi

	mkdir -p "$outdir"
	local name
	name=$(basename "$crash")
	name=$outdir/${name%.*}-min
	cp "$final" "$name.bin"
	if is_schedule_target "$target"; then
		local st vline
		st=$(sched_stats "$crash" "$target" | awk '{ printf "%s threads, %s ops, %s decisions", $1, $2, $3 }')
		if is_oracle "$v0"; then
			"$LOCAL_OUT/schedtool" trace "$name.bin" "${target#fuzz_}" >"$name.trace" 2>&1 || true
			vline=$(sed -n 's/^==== verdict: \(.*\) ====$/\1/p' "$name.trace")
		else
			target_story "$judge" "$name.bin" >"$name.trace"
			vline="$v0 (in $(judge_name "$judge"))"
		fi
		{
			echo "# Minimised by ./build.sh minimize from $(basename "$crash") ($st, $(wc -c <"$crash") bytes)."
			echo "# Fails with: $vline"
			is_oracle "$v0" && echo "# expect: $v0"
			"$LOCAL_OUT/schedtool" decode --target "${target#fuzz_}" "$name.bin"
		} >"$name.txt"
	else
		target_story "$judge" "$name.bin" >"$name.trace"
	fi

	echo
	printf '  %-12s %8s %8s %8s %10s %12s\n' stage bytes threads ops decisions "trace lines"
	stage_row crash "$crash" "$target" "$v0"
	stage_row libFuzzer "$lf" "$target" "$v0"
	is_schedule_target "$target" && stage_row structural "$final" "$target" "$v0"
	echo
	echo "build.sh: $(basename "$name").bin fails with $v0 in $(judge_name "$judge"), as the crash did"
	echo "build.sh: wrote $name.bin$([ -f "$name.txt" ] && echo ", $name.txt"), $name.trace"
	if is_schedule_target "$target"; then
		local dir=corpus/${target#fuzz_}/regressions
		echo "build.sh: to keep it as a regression, name it, say in the .txt what it shows, and commit both:"
		echo "  cp $name.txt $dir/NAME.txt && out/schedtool encode $dir/NAME.txt $dir/NAME.bin"
	fi
	rm -rf "$tmp"
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
	minimize) cmd_minimize "$@" ;;
	coverage) cmd_coverage "$@" ;;
	merge) cmd_merge "$@" ;;
	bugs) [ $# -eq 0 ] || die_usage "bugs takes no arguments"; cmd_bugs ;;
	help | -h | --help) usage ;;
	*) die_usage "unknown command '$cmd'" ;;
	esac
}

main "$@"
