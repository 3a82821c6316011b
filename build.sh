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
                     (schedtool, schedmin, explore) and the tests into out/
  test               run the whole test suite; ends with "N passed, N failed"
  fuzz [--asan] [SECONDS]
                     fuzz every target for its share of SECONDS (default 60),
                     one per core at a time, in the TSan build (--asan: the
                     ASan+UBSan build); ends within SECONDS plus 10 s per
                     round of targets, with a table of every target and a
                     repro command for every finding; exit status 1 when
                     anything was found
  repro [--asan] FILE [TARGET]
                     replay a crash file, print its swimlane trace and name
                     the oracle that fired (free-running targets: up to 20
                     attempts); --asan replays with the ASan+UBSan build
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
  explore FILE [OPTIONS]
                     run every interleaving of a text schedule's threads with
                     at most K preemptions (out/explore; --preemptions K,
                     --por classes|dpor|dpor-cut|none, --max-executions N,
                     --seconds S, --json FILE, --out DIR, --drop-decisions;
                     docs/EXPLORE.md)
  bugs               list the injected-bug suite, one "name  description" line
                     each, then the harness faults
  help               this text

Environment:
  OUT=DIR            put the build in DIR instead of out/
  ALLOC_BUG=NAME     build everything with one injected bug switched on
  HARNESS_BUG=NAME   build with one fault planted in the harness itself
                     (fuzz/harness_bugs.def; for testing the tool)
  FUZZ_WORK=DIR      where fuzz keeps corpora and findings (default work/)
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
	make -s -j"$JOBS" B="$dir" SAN="$san" HOOKS="$hooks" BUG="${ALLOC_BUG:-}" HBUG="${HARNESS_BUG:-}" "$@"
}

# The injected faults: ALLOC_BUG names one of allocator/ph_bugs.def,
# HARNESS_BUG one of fuzz/harness_bugs.def (faults in the tool itself, for
# proving the findings pipeline on targets that do not run the allocator).
bug_names() {
	sed -n 's/^PH_BUG([A-Z0-9_]*, *"\([^"]*\)".*/\1/p' allocator/ph_bugs.def
}

harness_bug_names() {
	sed -n 's/^FZ_BUG([A-Z0-9_]*, *"\([^"]*\)".*/\1/p' fuzz/harness_bugs.def
}

check_bug() {
	if [ -n "${ALLOC_BUG:-}" ] && ! bug_names | grep -qx -- "$ALLOC_BUG"; then
		echo "build.sh: ALLOC_BUG=$ALLOC_BUG is not a known bug; ./build.sh bugs lists them" >&2
		exit 2
	fi
	if [ -n "${HARNESS_BUG:-}" ] && ! harness_bug_names | grep -qx -- "$HARNESS_BUG"; then
		echo "build.sh: HARNESS_BUG=$HARNESS_BUG is not a known harness fault; ./build.sh bugs lists them" >&2
		exit 2
	fi
	return 0
}

# Where this build's objects go: one tree per combination of faults.
build_root() {
	local b=$ROOT/build
	[ -n "${ALLOC_BUG:-}" ] && b=$b/bug-$ALLOC_BUG
	[ -n "${HARNESS_BUG:-}" ] && b=$b/hbug-$HARNESS_BUG
	echo "$b"
}

with_bugs() {
	local s=""
	[ -n "${ALLOC_BUG:-}" ] && s=" (with injected bug $ALLOC_BUG)"
	[ -n "${HARNESS_BUG:-}" ] && s="$s (with harness fault $HARNESS_BUG)"
	echo "$s"
}

# The fuzz targets only: TSan into $OUT, ASan+UBSan into $OUT/asan.
build_fuzz_targets() {
	check_bug
	local b cc=${CC:-clang} cxx=${CXX:-clang++} f
	b=$(build_root)
	# Fuzz targets: TSan plus libFuzzer's coverage instrumentation.
	make_variant "$b/fuzz-tsan" "-fsanitize=thread" 1 CC="$cc" CXX="$cxx" \
		CFLAGS="-fsanitize=fuzzer-no-link" LIB_FUZZING_ENGINE=-fsanitize=fuzzer targets
	# The same targets under ASan+UBSan (what ClusterFuzz runs), into $OUT/asan.
	make_variant "$b/fuzz-asan" "-fsanitize=address,undefined -fno-sanitize-recover=all" 1 CC="$cc" CXX="$cxx" \
		CFLAGS="-fsanitize=fuzzer-no-link" LIB_FUZZING_ENGINE=-fsanitize=fuzzer targets
	mkdir -p "$LOCAL_OUT/asan"
	for f in "$b"/fuzz-tsan/fuzz_*; do
		[ -x "$f" ] && cp -f "$f" "$LOCAL_OUT/"
	done
	for f in "$b"/fuzz-asan/fuzz_*; do
		[ -x "$f" ] && cp -f "$f" "$LOCAL_OUT/asan/"
	done
	return 0
}

cmd_build() {
	check_bug
	local b cc=${CC:-clang}
	b=$(build_root)
	build_fuzz_targets
	# Tests, tools and the stress program under TSan; an optimised
	# production build (hooks compiled out) for stress-fast.
	make_variant "$b/tsan" "-fsanitize=thread" 1 CC="$cc" CXX="${CXX:-clang++}" all
	make_variant "$b/fast" "" 0 CC="$cc" OPT="-O2 -g" lib stress
	# Command-line tools (schedtool, schedmin): optimised, no sanitizer,
	# hooks on, because they run schedules and print their traces.
	make_variant "$b/tools" "" 1 CC="$cc" OPT="-O2 -g" tools
	# The pre-seed (locked) zeroing decision, for differential runs and
	# the lock-free vs locked benchmark.
	make_variant "$b/tsan-locked" "-fsanitize=thread" 1 CC="$cc" ZEROING=locked lib stress
	make_variant "$b/fast-locked" "" 0 CC="$cc" OPT="-O2 -g" ZEROING=locked lib stress
	[ -x "$b/tsan/stress" ] && cp -f "$b/tsan/stress" "$LOCAL_OUT/stress"
	[ -x "$b/fast/stress" ] && cp -f "$b/fast/stress" "$LOCAL_OUT/stress-fast"
	[ -x "$b/tsan-locked/stress" ] && cp -f "$b/tsan-locked/stress" "$LOCAL_OUT/stress-locked"
	[ -x "$b/fast-locked/stress" ] && cp -f "$b/fast-locked/stress" "$LOCAL_OUT/stress-fast-locked"
	for f in "$b"/tools/*; do
		[ -f "$f" ] && [ -x "$f" ] && cp -f "$f" "$LOCAL_OUT/"
	done
	# The explorer runs under TSan, like the fuzz targets, so a data race in
	# an explored interleaving is reported as well as the oracles' findings.
	[ -x "$b/tsan/explore" ] && cp -f "$b/tsan/explore" "$LOCAL_OUT/explore"
	echo "build.sh: built into $LOCAL_OUT$(with_bugs)"
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
#
# ./build.sh fuzz runs every target for its share of SECONDS, as many at a
# time as there are cores, and always ends with a table: one row per
# target, whatever state its log is in, then one repro command per finding.
# A target that outlives its share by FUZZ_GRACE seconds is stopped (TERM,
# then KILL) and its row says "hung".  Nothing in here may stop the script
# before the table: every log reader tolerates a missing or partial log.

# Seconds a target may run past its share before it is stopped: libFuzzer
# checks -max_total_time once a second, and a finding needs a moment to be
# written.
FUZZ_GRACE=10
# Attempts `repro` makes for a free-running target's crash (not deterministic).
REPRO_RETRIES=20

# The findings a libFuzzer run can leave behind (slow-unit-* files are
# reports, not findings).
FINDING_GLOBS="crash-* timeout-* oom-* leak-* recovered-*"

# log_value FILE SED-EXPR: the last value the expression extracts, or nothing.
log_value() {
	[ -f "$1" ] || return 0
	sed -n "$2" "$1" 2>/dev/null | tail -n 1 || true
}

# What a log says was found: the verdict line's oracle, else the first
# sanitizer or libFuzzer error; nothing if neither.
verdict_of() {
	local v
	[ -f "$1" ] || return 0
	v=$(sed -n 's/^==== verdict: \([A-Z0-9][A-Z0-9]*\):.*/\1/p' "$1" 2>/dev/null | head -n 1 || true)
	[ -n "$v" ] || v=$(grep -m1 -oE 'ThreadSanitizer: [a-z][a-z -]*[a-z]|AddressSanitizer: [a-zA-Z-]+|MemorySanitizer: [a-zA-Z-]+|LeakSanitizer: [a-zA-Z-]+|runtime error|libFuzzer: [a-z][a-z -]*[a-z]' "$1" 2>/dev/null |
		sed -e 's/^ThreadSanitizer: /TSan /; s/^AddressSanitizer: /ASan /; s/^MemorySanitizer: /MSan /; s/^LeakSanitizer: /LSan /' \
			-e 's/^runtime error/UBSan/; s/^libFuzzer: deadly signal/crash/; s/^libFuzzer: timeout.*/timeout/; s/^libFuzzer: out-of-memory.*/oom/' || true)
	echo "$v"
}

# new_findings DIR MARKER: finding files in DIR written after MARKER.
new_findings() {
	local g
	for g in $FINDING_GLOBS; do
		find "$1" -maxdepth 1 -type f -name "$g" -newer "$2" 2>/dev/null
	done | LC_ALL=C sort
}

# A stopped libFuzzer may have printed the input it was saving (Base64 of
# a small unit) without writing it: keep it as crashes/recovered-<sha1>.
recover_finding() {
	local d=$1 b64 f
	b64=$(log_value "$d/log" 's/^Base64: //p')
	[ -n "$b64" ] || return 0
	f=$d/crashes/recovered-$(printf '%s' "$b64" | base64 -d 2>/dev/null | sha1sum | cut -c1-40)
	printf '%s' "$b64" | base64 -d >"$f" 2>/dev/null || rm -f "$f"
}

fuzz_usage_error() {
	die_usage "fuzz: $*"
}

cmd_fuzz() {
	local secs="" san=thread
	while [ $# -gt 0 ]; do
		case $1 in
		--asan) san=address ;;
		--tsan) san=thread ;;
		-*) fuzz_usage_error "unknown option '$1'" ;;
		*)
			[ -z "$secs" ] || fuzz_usage_error "too many arguments"
			secs=$1 ;;
		esac
		shift
	done
	secs=${secs:-60}
	[[ $secs =~ ^[0-9]+$ ]] && [ "$secs" -gt 0 ] || fuzz_usage_error "SECONDS must be a positive integer, got '$secs'"
	build_fuzz_targets
	local bindir=$LOCAL_OUT work=${FUZZ_WORK:-$ROOT/work}/fuzz label=TSan repro_flag=""
	if [ "$san" = address ]; then
		bindir=$LOCAL_OUT/asan work=${FUZZ_WORK:-$ROOT/work}/fuzz-asan label=ASan+UBSan repro_flag="--asan "
	fi
	# The repro commands name the build they need: the same faults, the
	# same output folder.
	local env_prefix=""
	[ -n "${ALLOC_BUG:-}" ] && env_prefix+="ALLOC_BUG=$ALLOC_BUG "
	[ -n "${HARNESS_BUG:-}" ] && env_prefix+="HARNESS_BUG=$HARNESS_BUG "
	[ "$LOCAL_OUT" != "$ROOT/out" ] && env_prefix+="OUT=$LOCAL_OUT "
	local targets=() t
	for t in "$bindir"/fuzz_*; do
		[ -x "$t" ] && targets+=("$(basename "$t")")
	done
	[ ${#targets[@]} -gt 0 ] || { echo "build.sh: no fuzz targets were built in $bindir" >&2; exit 1; }

	local waves=$(( (${#targets[@]} + JOBS - 1) / JOBS ))
	local each=$(( secs / waves ))
	[ "$each" -ge 1 ] || each=1
	echo "build.sh: fuzzing ${#targets[@]} targets ($label build$(with_bugs)), $JOBS at a time, ${each}s each;"
	echo "          ends within about $((waves * (each + FUZZ_GRACE)))s (${secs}s plus ${FUZZ_GRACE}s grace per round of $JOBS); work in $work"
	export TSAN_OPTIONS="halt_on_error=1 ${TSAN_OPTIONS:-}"
	mkdir -p "$work"
	local marker=$work/.last-run
	touch "$marker"

	# A job pool: start a target whenever a slot is free.
	local -A pid_of=() rc_of=() secs_of=()
	local queue=("${targets[@]}") running=() started
	local progress_pid
	fuzz_progress "$work" "${targets[@]}" &
	progress_pid=$!
	while [ ${#queue[@]} -gt 0 ] || [ ${#running[@]} -gt 0 ]; do
		while [ ${#queue[@]} -gt 0 ] && [ ${#running[@]} -lt "$JOBS" ]; do
			t=${queue[0]}
			queue=("${queue[@]:1}")
			fuzz_start "$work" "$bindir" "$t" "$each"
			pid_of[$t]=$!
			secs_of[$t]=$SECONDS
			running+=("$t")
		done
		# Reap whichever finished; `wait -n` would also reap the progress loop.
		local still=() r
		for r in "${running[@]}"; do
			if kill -0 "${pid_of[$r]}" 2>/dev/null; then
				still+=("$r")
			else
				set +e
				wait "${pid_of[$r]}"
				rc_of[$r]=$?
				set -e
				secs_of[$r]=$((SECONDS - secs_of[$r]))
			fi
		done
		running=("${still[@]+"${still[@]}"}")
		[ ${#running[@]} -eq 0 ] && [ ${#queue[@]} -eq 0 ] || sleep 0.2
	done
	kill "$progress_pid" 2>/dev/null || true
	wait "$progress_pid" 2>/dev/null || true

	local status=0
	set +e
	fuzz_table "$work" "$marker" "$env_prefix./build.sh repro $repro_flag" rc_of secs_of "${targets[@]}"
	status=$?
	set -e
	return "$status"
}

# fuzz_start WORK BINDIR TARGET SECONDS: one target in the background,
# stopped by `timeout` if it outlives its share; its exit status is the
# background job's ($! in the caller).
fuzz_start() {
	local work=$1 bindir=$2 t=$3 each=$4
	local d=$work/$t
	mkdir -p "$d/corpus" "$d/crashes"
	# Seeds (and regression inputs) are copied: corpus/ stays as committed.
	# A free-running target shares its controlled twin's seeds.
	local name=${t#fuzz_} seeds
	seeds=$ROOT/corpus/$name
	[ -d "$seeds" ] || seeds=$ROOT/corpus/${name%_freerun}
	[ -d "$seeds" ] && find "$seeds" -type f ! -name '*.txt' ! -name '*.md' -exec cp -n {} "$d/corpus/" \; 2>/dev/null
	local opts=() timeout_opt=25
	if [ -f "$ROOT/fuzz/options/$t.options" ]; then
		mapfile -t opts < <(sed -n 's/^\([a-z_]*\) *= *\(.*\)/-\1=\2/p' "$ROOT/fuzz/options/$t.options" | grep -v '^-timeout=')
		timeout_opt=$(sed -n 's/^timeout *= *\([0-9]*\).*/\1/p' "$ROOT/fuzz/options/$t.options" | tail -n 1)
		timeout_opt=${timeout_opt:-25}
	fi
	# A hanging input must be caught by libFuzzer (which saves it) before
	# the share runs out and the whole target is stopped.
	[ "$timeout_opt" -le "$each" ] || timeout_opt=$each
	[ -f "$ROOT/fuzz/dicts/$t.dict" ] && opts+=("-dict=$ROOT/fuzz/dicts/$t.dict")
	: >"$d/log"
	( cd "$d" && exec timeout -k 3 $((each + FUZZ_GRACE)) "$bindir/$t" "${opts[@]}" -timeout="$timeout_opt" \
		-max_total_time="$each" -print_final_stats=1 -artifact_prefix="$d/crashes/" "$d/corpus" >"$d/log" 2>&1 ) &
}

# fuzz_progress WORK NAMES...: a status line per running target every 10s
# (a target whose log has its final statistics or a verdict has ended).
fuzz_progress() {
	local work=$1 t line
	shift
	while sleep 10; do
		for t in "$@"; do
			[ -s "$work/$t/log" ] || continue
			grep -qE '^stat::|^==== verdict' "$work/$t/log" 2>/dev/null && continue
			line=$(grep -E '^#[0-9]+' "$work/$t/log" 2>/dev/null | tail -n 1 || true)
			echo "  $t: ${line:-starting}"
		done
	done
}

# fuzz_table WORK MARKER REPRO_COMMAND RC_ARRAY SECS_ARRAY TARGETS...: the
# table, then every finding of this run with its repro command.  Returns 1
# when anything was found (or a target hung or failed), else 0.
fuzz_table() {
	local work=$1 marker=$2 repro=$3
	local -n rcs=$4 took=$5
	shift 5
	local t total=0 bad=0
	printf '\n%-24s %-8s %12s %8s %8s %7s %9s  %s\n' target status executions exec/s coverage corpus findings verdict
	for t in "$@"; do
		local d=$work/$t rc=${rcs[$t]:-?} state execs rate cov corp n verdict
		[ "$rc" = 124 ] || [ "$rc" = 137 ] && recover_finding "$d"
		n=$(new_findings "$d/crashes" "$marker" | wc -l)
		execs=$(log_value "$d/log" 's/^stat::number_of_executed_units: *//p')
		[ -n "$execs" ] || execs=$(log_value "$d/log" 's/^#\([0-9][0-9]*\).*/\1/p')
		rate=$(log_value "$d/log" 's/^stat::average_exec_per_sec: *//p')
		[ -n "$rate" ] || rate=$(log_value "$d/log" 's/.* exec\/s: \([0-9][0-9]*\).*/\1/p')
		cov=$(log_value "$d/log" 's/.* cov: \([0-9][0-9]*\).*/\1/p')
		corp=$(find "$d/corpus" -type f 2>/dev/null | wc -l)
		verdict=$(verdict_of "$d/log")
		case $rc in
		124 | 137) state=hung ;;
		0) state=ok ;;
		*) if [ "$n" -gt 0 ]; then state=found; else state="exit $rc"; fi ;;
		esac
		[ "$state" = ok ] && verdict=-
		[ "$state" = ok ] || bad=1
		total=$((total + n))
		printf '%-24s %-8s %12s %8s %8s %7s %9s  %s\n' "$t" "$state" "${execs:-?}" "${rate:-?}" "${cov:-?}" \
			"$corp" "$n" "${verdict:-?}"
	done
	echo
	local f
	for t in "$@"; do
		local d=$work/$t rc=${rcs[$t]:-?}
		while IFS= read -r f; do
			[ -n "$f" ] || continue
			echo "finding in $t ($(verdict_of "$d/log")): $repro$f $t"
		done < <(new_findings "$d/crashes" "$marker")
		case $rc in
		124 | 137) echo "hung: $t did not stop within its share plus ${FUZZ_GRACE}s and was killed after ${took[$t]:-?}s; its log: $d/log" ;;
		0) ;;
		*) if [ "$(new_findings "$d/crashes" "$marker" | wc -l)" -eq 0 ]; then
			echo "error: $t exited with status $rc and saved no input; its log ends:"
			tail -n 5 "$d/log" 2>/dev/null | sed 's/^/    /'
		   fi ;;
		esac
	done
	local older
	older=$(find "$work"/fuzz_*/crashes -maxdepth 1 -type f ! -newer "$marker" 2>/dev/null | wc -l)
	[ "$older" -eq 0 ] || echo "($older findings of earlier runs are kept in $work/*/crashes)"
	if [ "$bad" -eq 0 ]; then
		echo "build.sh: nothing found"
		return 0
	fi
	echo "build.sh: $total new finding(s)"
	return 1
}

# Which target a crash file belongs to, from where it lives.
guess_target() {
	local f
	f=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
	case $f in
	*/fuzz/fuzz_*/crashes/* | */fuzz-asan/fuzz_*/crashes/*) f=${f%/crashes/*}; echo "${f##*/}" ;;
	*/corpus/*/*) f=${f#*/corpus/}; echo "fuzz_${f%%/*}" ;;
	*) echo fuzz_schedule ;;
	esac
}

cmd_repro() {
	local san=thread args=()
	while [ $# -gt 0 ]; do
		case $1 in
		--asan) san=address ;;
		--tsan) san=thread ;;
		--html) shift; repro_html "$@"; return ;;
		-*) die_usage "repro: unknown option '$1'" ;;
		*) args+=("$1") ;;
		esac
		shift
	done
	[ ${#args[@]} -ge 1 ] && [ ${#args[@]} -le 2 ] || die_usage "repro [--asan] FILE [TARGET]"
	local file=${args[0]} target=${args[1]:-}
	[ -f "$file" ] || { echo "build.sh: no such file: $file" >&2; exit 2; }
	[ -n "$target" ] || target=$(guess_target "$file")
	target=fuzz_${target#fuzz_}
	local bindir=$LOCAL_OUT
	[ "$san" = address ] && bindir=$LOCAL_OUT/asan
	# Brings the binaries up to date with the sources and ALLOC_BUG /
	# HARNESS_BUG (a no-op when they are), so a repro command replays with
	# the build it names, not whatever was built into OUT last.
	build_fuzz_targets >/dev/null
	[ -x "$bindir/$target" ] || { echo "build.sh: unknown target $target" >&2; exit 2; }
	export TSAN_OPTIONS="halt_on_error=1 ${TSAN_OPTIONS:-}" FZ_TRACE=1
	if [ "${target%_freerun}" = "$target" ]; then
		echo "build.sh: replaying $file with $target ($([ "$san" = address ] && echo ASan+UBSan || echo TSan) build)"
		exec "$bindir/$target" "$file"
	fi
	# Free-running: the threads are not controlled, so one replay may take
	# another interleaving; try until it fails, at most REPRO_RETRIES times.
	echo "build.sh: replaying $file with $target, up to $REPRO_RETRIES times (free-running: not deterministic)"
	local i rc=0
	for i in $(seq 1 "$REPRO_RETRIES"); do
		set +e
		"$bindir/$target" "$file"
		rc=$?
		set -e
		if [ "$rc" -ne 0 ]; then
			echo "build.sh: reproduced on attempt $i of $REPRO_RETRIES"
			exit "$rc"
		fi
	done
	echo "build.sh: did not reproduce in $REPRO_RETRIES attempts"
	exit 0
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

cmd_explore() {
	[ $# -ge 1 ] || die_usage "explore FILE [OPTIONS]"
	[ -x "$LOCAL_OUT/explore" ] || cmd_build >&2
	TSAN_OPTIONS="halt_on_error=1 ${TSAN_OPTIONS:-}" exec "$LOCAL_OUT/explore" "$@"
}

# coverage, merge, minimize.
# shellcheck source=tools/build-loop.sh
. "$ROOT/tools/build-loop.sh"

cmd_bugs() {
	[ -f allocator/ph_bugs.def ] || { echo "build.sh: allocator/ph_bugs.def is missing" >&2; exit 1; }
	sed -n 's/^PH_BUG([A-Z0-9_]*, *"\([^"]*\)", *"\([^"]*\)".*/\1\t\2/p' allocator/ph_bugs.def |
		awk -F'\t' '{ printf "%-28s %s\n", $1, $2 }'
	echo
	echo "Harness faults (HARNESS_BUG=NAME), planted in the tool to test its findings pipeline:"
	sed -n 's/^FZ_BUG([A-Z0-9_]*, *"\([^"]*\)", *"\([^"]*\)".*/\1\t\2/p' fuzz/harness_bugs.def |
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
	explore) cmd_explore "$@" ;;
	bugs) [ $# -eq 0 ] || die_usage "bugs takes no arguments"; cmd_bugs ;;
	help | -h | --help) usage ;;
	*) die_usage "unknown command '$cmd'" ;;
	esac
}

main "$@"
