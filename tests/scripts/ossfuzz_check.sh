#!/usr/bin/env bash
# tests/scripts/ossfuzz_check.sh - OSS-Fuzz's check_build without Docker.
#
# For each sanitizer OSS-Fuzz can build this project with (address,
# undefined, memory, thread, coverage), this sets the environment the base-builder image and its
# `compile` step set, runs the project's oss-fuzz/build.sh the way
# `compile` does (bash -eux $SRC/build.sh from the project folder), and then
# checks every fuzz target in $OUT the way base-runner's bad_build_check
# does:
#   built          the target is in $OUT and is an x86-64 executable
#   instrumented   calls into the right sanitizer runtime (objdump counts
#                  with bad_build_check's thresholds: >= 1000 __asan / __msan
#                  calls, >= 168 __ubsan calls, and >= 1000 __tsan calls;
#                  none of the others) and libFuzzer's coverage counters
#                  (nm: __sancov_cntrs); a coverage build: the profiling
#                  runtime and no sanitizer
#   coverage       -seed=1337 -runs=4 loads >= 100 coverage counters
#   startup        run_fuzzer's command line (FUZZER_ARGS, the .options
#                  file's [libfuzzer] options, the dict) with -runs=4 on an
#                  empty corpus prints "Done 4 runs" and exits 0
#   seeds          -runs=0 over the unzipped seed corpus exits 0
#   report         (coverage builds, instead of coverage/startup/seeds) the
#                  seeds run with LLVM_PROFILE_FILE, llvm-profdata merges the
#                  profile and llvm-cov reports covered lines in allocator/
#   files          fuzz/options/<target>.options is committed and copied
#                  to $OUT (naming <target>.dict when fuzz/dicts has one);
#                  the seed zip holds exactly the committed binary seeds (no
#                  seeds: no zip, since run_fuzzer's unzip fails on an empty
#                  archive)
# plus, once per sanitizer, that .clusterfuzzlite/build.sh builds the same
# set of files.
#
# Runtime options are base-runner's (ASAN_OPTIONS, UBSAN_OPTIONS with
# silence_unsigned_overflow=1, MSAN_OPTIONS, FUZZER_ARGS).  Not emulated:
# CXXFLAGS_EXTRA=-stdlib=libc++ (OSS-Fuzz's libFuzzer is built against
# libc++, Debian's against libstdc++, so linking libc++ here fails; our code
# is C and links no C++ library of its own either way) and the image's
# newer clang.
#
# Environment: ROOT (the project), OSSFUZZ_CHECK_SANITIZERS (default
# "address undefined memory thread coverage"), OSSFUZZ_CHECK_LLVM (a folder with a newer
# clang/clang++ to build with, e.g. /usr/lib/llvm-19/bin after
# `apt-get install clang-19 libclang-rt-19-dev`: closer to the clang OSS-Fuzz
# uses; clang >= 17 checks -fsanitize=function in C code too).
# Prints one PASS/FAIL line per check.
set -euo pipefail

ROOT=${ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
SANITIZERS=${OSSFUZZ_CHECK_SANITIZERS:-address undefined memory thread coverage}
LLVM_DIR=${OSSFUZZ_CHECK_LLVM:-}
BUILD_PATH=$PATH
[ -n "$LLVM_DIR" ] && BUILD_PATH=$LLVM_DIR:$PATH
RUNS=4                # bad_build_check's MIN_NUMBER_OF_RUNS
MIN_EDGES=100         # THRESHOLD_FOR_NUMBER_OF_EDGES
RUN_TIMEOUT=300       # seconds for one fuzz target run, then it is a hang

failures=0
pass() { echo "PASS $*"; }
fail() {
	echo "FAIL $*"
	failures=$((failures + 1))
}
# show FILE: a log's diagnostics (or its tail), indented, for a failure.
show() {
	if grep -qE '(error|warning):|\*\*\*|ossfuzz-build.sh: error' "$1"; then
		grep -E -A4 '(error|warning):|\*\*\*|ossfuzz-build.sh: error' "$1" | grep -vE '^(clang|gcc|cc|afl-clang-fast)(\+\+)? ' | head -n 40
	else
		tail -n 25 "$1"
	fi | sed 's/^/    /'
}

tmp=$(mktemp -d -t ossfuzz-check.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# ---- prerequisites -----------------------------------------------------------

missing=
for tool in clang clang++ make objdump nm readelf unzip; do
	PATH=$BUILD_PATH command -v "$tool" >/dev/null 2>&1 || missing="$missing $tool"
done
if [ -n "$missing" ]; then
	fail "ossfuzz-prerequisites (missing:$missing; on Debian: apt-get install -y clang make binutils unzip)"
	exit 1
fi
if ! command -v zip >/dev/null 2>&1 && ! command -v python3 >/dev/null 2>&1; then
	fail "ossfuzz-prerequisites (tools/ossfuzz-build.sh needs zip or python3: apt-get install -y zip)"
	exit 1
fi
for f in oss-fuzz/build.sh .clusterfuzzlite/build.sh tools/ossfuzz-build.sh; do
	if [ ! -f "$ROOT/$f" ]; then
		fail "ossfuzz-files ($f is missing)"
		exit 1
	fi
done

# ---- OSS-Fuzz's build environment ----------------------------------------------

# infra/base-images/base-clang: CFLAGS; base-builder: SANITIZER_FLAGS_*,
# COVERAGE_FLAGS; compile: CFLAGS="$CFLAGS $SANITIZER_FLAGS $COVERAGE_FLAGS".
BASE_CFLAGS="-O1 -fno-omit-frame-pointer -gline-tables-only -Wno-error=enum-constexpr-conversion -Wno-error=incompatible-function-pointer-types -Wno-error=int-conversion -Wno-error=deprecated-declarations -Wno-error=implicit-function-declaration -Wno-error=implicit-int -Wno-error=vla-cxx-extension -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION"
UBSAN_CHECKS=array-bounds,bool,builtin,enum,function,integer-divide-by-zero,null,object-size,return,returns-nonnull-attribute,shift,signed-integer-overflow,unreachable,vla-bound,vptr
# shellcheck disable=SC2034 # read through ${!flags_var}
SANITIZER_FLAGS_address="-fsanitize=address -fsanitize-address-use-after-scope"
# shellcheck disable=SC2034
SANITIZER_FLAGS_undefined="-fsanitize=array-bounds,bool,builtin,enum,function,integer-divide-by-zero,null,object-size,return,returns-nonnull-attribute,shift,signed-integer-overflow,unsigned-integer-overflow,unreachable,vla-bound,vptr -fno-sanitize-recover=$UBSAN_CHECKS"
# shellcheck disable=SC2034
SANITIZER_FLAGS_memory="-fsanitize=memory -fsanitize-memory-track-origins"
# shellcheck disable=SC2034
SANITIZER_FLAGS_thread="-fsanitize=thread"
# shellcheck disable=SC2034
SANITIZER_FLAGS_coverage=""
COVERAGE_FLAGS="-fsanitize=fuzzer-no-link"
# compile swaps COVERAGE_FLAGS for COVERAGE_FLAGS_$SANITIZER where one is set:
# a coverage build has source-based profiling and no libFuzzer feedback.
# shellcheck disable=SC2034
COVERAGE_FLAGS_coverage="-fprofile-instr-generate -fcoverage-mapping -pthread -Wl,--no-as-needed -Wl,-ldl -Wl,-lm -Wno-unused-command-line-argument"

# coverage_flags_of SANITIZER: the COVERAGE_FLAGS compile uses for it.
coverage_flags_of() {
	local v=COVERAGE_FLAGS_$1
	if [ -n "${!v+set}" ]; then echo "${!v}"; else echo "$COVERAGE_FLAGS"; fi
}

# base-runner: what ClusterFuzz runs targets with.
RUNNER_ASAN_OPTIONS="alloc_dealloc_mismatch=0:allocator_may_return_null=1:allocator_release_to_os_interval_ms=500:check_malloc_usable_size=0:detect_container_overflow=1:detect_odr_violation=0:detect_leaks=1:detect_stack_use_after_return=1:fast_unwind_on_fatal=0:handle_abort=1:handle_segv=1:handle_sigill=1:max_uar_stack_size_log=16:print_scariness=1:quarantine_size_mb=10:strict_memcmp=1:symbolize=1:use_sigaltstack=1:dedup_token_length=3"
RUNNER_MSAN_OPTIONS="print_stats=1:symbolize=1:dedup_token_length=3"
RUNNER_UBSAN_OPTIONS="print_stacktrace=1:print_summary=1:silence_unsigned_overflow=1:symbolize=1:dedup_token_length=3"
FUZZER_ARGS="-rss_limit_mb=2560 -timeout=25"

# ossfuzz_env SANITIZER SRC WORK OUT: the environment of the build container,
# as `env` arguments (nothing of the caller's leaks in: env -i).
ossfuzz_env() {
	local san=$1 flags_var=SANITIZER_FLAGS_$1
	local cflags
	cflags="$BASE_CFLAGS ${!flags_var} $(coverage_flags_of "$san")"
	echo "PATH=$BUILD_PATH"
	echo "HOME=${HOME:-/root}"
	echo "LANG=C.UTF-8"
	echo "CC=clang"
	echo "CXX=clang++"
	echo "CCC=clang++"
	echo "CFLAGS=$cflags"
	echo "CXXFLAGS=$cflags"
	echo "LIB_FUZZING_ENGINE=-fsanitize=fuzzer"
	echo "SANITIZER=$san"
	echo "SANITIZER_FLAGS=${!flags_var}"
	echo "FUZZING_ENGINE=libfuzzer"
	echo "FUZZING_LANGUAGE=c"
	echo "ARCHITECTURE=x86_64"
	echo "SRC=$2"
	echo "WORK=$3"
	echo "OUT=$4"
	echo "UBSAN_OPTIONS=silence_unsigned_overflow=1"
}

# compile SANITIZER BUILD_SH OUT LOG: what base-builder's `compile` does:
# the project checked out at $SRC/<project>, the integration's build.sh
# copied to $SRC/build.sh, run with bash -eux from the project folder.
compile() {
	local san=$1 build_sh=$2 out=$3 log=$4
	local src=$tmp/$san/src work=$tmp/$san/work
	mkdir -p "$src" "$work" "$out"
	[ -e "$src/pageheap-fuzz" ] || ln -s "$ROOT" "$src/pageheap-fuzz"
	cp -f "$build_sh" "$src/build.sh"
	local envs=()
	mapfile -t envs < <(ossfuzz_env "$san" "$src" "$work" "$out")
	(cd "$src/pageheap-fuzz" && env -i "${envs[@]}" bash -eux "$src/build.sh") >"$log" 2>&1
}

# libfuzzer_options OPTIONS_FILE: the [libfuzzer] section as -key=value
# arguments, as run_fuzzer's parse_options.py gives them.
libfuzzer_options() {
	[ -f "$1" ] || return 0
	awk '
		/^[[:space:]]*[#;]/ { next }
		/^[[:space:]]*\[/ { sec = $0; gsub(/[][[:space:]]/, "", sec); next }
		sec == "libfuzzer" && /=/ {
			k = $0; sub(/=.*/, "", k); gsub(/[[:space:]]/, "", k)
			v = $0; sub(/^[^=]*=[[:space:]]*/, "", v); sub(/[[:space:]]*$/, "", v)
			printf "-%s=%s\n", k, v
		}
	' "$1"
}

# run_target SANITIZER OUT TARGET LOG ARGS...: the target as run_fuzzer runs
# it (from $OUT, base-runner's sanitizer options), bounded in time.
run_target() {
	local san=$1 out=$2 t=$3 log=$4
	shift 4
	local opts=()
	mapfile -t opts < <(libfuzzer_options "$out/$t.options")
	# shellcheck disable=SC2086 # FUZZER_ARGS is a word list, as in run_fuzzer
	(cd "$out" && env -u OUT -u UBSAN_OPTIONS -u ASAN_OPTIONS -u MSAN_OPTIONS -u TSAN_OPTIONS \
		ASAN_OPTIONS="$RUNNER_ASAN_OPTIONS" MSAN_OPTIONS="$RUNNER_MSAN_OPTIONS" \
		UBSAN_OPTIONS="$RUNNER_UBSAN_OPTIONS" SANITIZER="$san" \
		timeout "$RUN_TIMEOUT" "./$t" $FUZZER_ARGS "$@" "${opts[@]}" </dev/null) >"$log" 2>&1
}

# calls BINARY PREFIX: how many call instructions go to PREFIX* functions.
calls() {
	grep -cE "callq?[[:space:]]+[0-9a-f]+[[:space:]]+<$2" "$tmp/objdump.txt" || true
}

# seeds_of TARGET: the committed binary seeds, named as in the zip.
seeds_of() {
	local name=${1#fuzz_} base d f
	base=$ROOT/corpus/$name
	if [ ! -d "$base" ] && [ "${name%_freerun}" != "$name" ]; then
		base=$ROOT/corpus/${name%_freerun}
	fi
	for d in "$base" "$base/regressions"; do
		[ -d "$d" ] || continue
		while read -r f; do
			[ -n "$f" ] || continue
			if [ "$d" = "$base/regressions" ]; then
				echo "regression-$(basename "$f")"
			else
				basename "$f"
			fi
		done < <(find "$d" -maxdepth 1 -type f ! -name '*.txt' ! -name '*.md' ! -name '.*')
	done | LC_ALL=C sort
}

# check_files OUT TARGET ID: the .options, dict and seed zip beside the target.
check_files() {
	local out=$1 t=$2 id=$3 why want have nwant zip=$1/${2}_seed_corpus.zip
	why=
	if [ ! -f "$ROOT/fuzz/options/$t.options" ]; then
		why="$why no fuzz/options/$t.options (give it one: max_len, timeout);"
	elif [ ! -f "$out/$t.options" ]; then
		why="$why fuzz/options/$t.options not copied to \$OUT;"
	fi
	if [ -f "$ROOT/fuzz/dicts/$t.dict" ]; then
		[ -f "$out/$t.dict" ] || why="$why fuzz/dicts/$t.dict not copied;"
		[ -f "$out/$t.options" ] && ! grep -Eq "^[[:space:]]*dict[[:space:]]*=[[:space:]]*$t\.dict[[:space:]]*$" "$out/$t.options" &&
			why="$why $t.options names no dict = $t.dict;"
	fi
	[ -f "$out/$t.options" ] && [ "$(grep -E '^[[:space:]]*[#;]' "$out/$t.options" | grep -c '=' || true)" -gt 0 ] &&
		why="$why $t.options has a comment with '=' (an old run_fuzzer greps for it);"
	want=$(seeds_of "$t")
	if [ -f "$zip" ]; then
		have=$(unzip -Z1 "$zip" 2>/dev/null | LC_ALL=C sort)
		[ "$have" = "$want" ] || why="$why the seed zip holds other files than the binary seeds in corpus/;"
	elif [ -n "$want" ]; then
		why="$why no ${t}_seed_corpus.zip though corpus/ has seeds;"
	fi
	nwant=$(printf '%s' "$want" | grep -c . || true)
	if [ -z "$why" ]; then
		pass "$id-files (.options$([ -f "$out/$t.dict" ] && echo ' + dict'); seed zip: $([ -f "$zip" ] && echo "$nwant seeds from corpus/" || echo "none: no binary seeds in corpus/"))"
	else
		fail "$id-files ($why )"
	fi
}

# check_coverage_report OUT TARGET ID: what OSS-Fuzz's coverage job does with
# a coverage build: run the target over its seeds (-runs=0) with a profile
# file, merge it, and report line coverage of allocator/.
check_coverage_report() {
	local out=$1 t=$2 id=$3 zip=$1/${2}_seed_corpus.zip corpus=$tmp/$t-cov-corpus rc lines
	local rlog=$tmp/coverage-$t-run.log
	rm -rf "$corpus" && mkdir -p "$corpus"
	[ -f "$zip" ] && unzip -q -o -d "$corpus" "$zip" >/dev/null 2>&1
	set +e
	LLVM_PROFILE_FILE=$tmp/$t.profraw run_target coverage "$out" "$t" "$rlog" -runs=0 "$corpus"
	rc=$?
	set -e
	rm -rf "$corpus"
	if [ "$rc" -ne 0 ] || [ ! -s "$tmp/$t.profraw" ]; then
		fail "$id-report (-runs=0 over the seeds exited $rc$([ -s "$tmp/$t.profraw" ] || echo ', no profile written'); output ends:)"
		show "$rlog"
		return
	fi
	if ! llvm-profdata merge -sparse "$tmp/$t.profraw" -o "$tmp/$t.profdata" >"$rlog" 2>&1; then
		fail "$id-report (llvm-profdata merge failed:)"
		show "$rlog"
		return
	fi
	# The allocator's line coverage, e.g. "TOTAL ... 83.12%": the last field.
	lines=$(llvm-cov report "$out/$t" -instr-profile="$tmp/$t.profdata" "$ROOT/allocator" 2>"$rlog" |
		awk '$1 == "TOTAL" { print $NF }')
	rm -f "$tmp/$t.profraw" "$tmp/$t.profdata"
	if [ -n "$lines" ] && [ "${lines%%.*}" -gt 0 ]; then
		pass "$id-report (seeds run, profile merged; allocator/ line coverage $lines)"
	else
		fail "$id-report (llvm-cov reports no covered line of allocator/: '${lines:-nothing}')"
		show "$rlog"
	fi
}

# ---- the checks -------------------------------------------------------------

expected=()
for src in "$ROOT"/fuzz/targets/target_*.c; do
	[ -f "$src" ] || continue
	n=$(basename "$src" .c)
	expected+=("fuzz_${n#target_}")
done
if [ ${#expected[@]} -eq 0 ]; then
	fail "ossfuzz-targets (no fuzz/targets/target_*.c in $ROOT)"
	exit 1
fi

for san in $SANITIZERS; do
	flags_var=SANITIZER_FLAGS_$san
	if [ -z "${!flags_var+set}" ]; then
		fail "ossfuzz-$san (unknown sanitizer; this check knows address, undefined, memory, thread, coverage)"
		continue
	fi
	out=$tmp/$san/out
	log=$tmp/$san-build.log
	start=$SECONDS
	if compile "$san" "$ROOT/oss-fuzz/build.sh" "$out" "$log"; then
		pass "ossfuzz-$san-build (oss-fuzz/build.sh -> ./build.sh -> tools/ossfuzz-build.sh, $((SECONDS - start))s)"
	else
		fail "ossfuzz-$san-build (oss-fuzz/build.sh failed:)"
		show "$log"
		continue
	fi

	# ClusterFuzzLite runs the same image and contract from .clusterfuzzlite/.
	out2=$tmp/$san/out-cflite
	if compile "$san" "$ROOT/.clusterfuzzlite/build.sh" "$out2" "$tmp/$san-cflite.log"; then
		if diff <(cd "$out" && find . -type f | sort) <(cd "$out2" && find . -type f | sort) >"$tmp/diff" 2>&1; then
			pass "ossfuzz-$san-cflite-build (.clusterfuzzlite/build.sh writes the same files)"
		else
			fail "ossfuzz-$san-cflite-build (.clusterfuzzlite/build.sh wrote other files than oss-fuzz/build.sh:)"
			show "$tmp/diff"
		fi
	else
		fail "ossfuzz-$san-cflite-build (.clusterfuzzlite/build.sh failed:)"
		show "$tmp/$san-cflite.log"
	fi
	rm -rf "$out2"

	for t in "${expected[@]}"; do
		bin=$out/$t
		id="ossfuzz-$san-$t"

		# built
		if [ ! -x "$bin" ]; then
			fail "$id-built (not in \$OUT)"
			continue
		fi
		machine=$(readelf -h "$bin" 2>/dev/null | sed -n 's/^ *Machine: *//p')
		case $machine in
		*X86-64*) pass "$id-built (x86-64 executable)" ;;
		*) fail "$id-built (not an x86-64 executable: machine '${machine:-unknown}')" ;;
		esac

		# instrumented
		objdump -d "$bin" >"$tmp/objdump.txt" 2>/dev/null || true
		asan=$(calls "$bin" __asan)
		msan=$(calls "$bin" __msan)
		ubsan=$(calls "$bin" __ubsan)
		tsan=$(calls "$bin" __tsan)
		dfsan=$(calls "$bin" __dfsan)
		rm -f "$tmp/objdump.txt"
		cov=$(nm "$bin" 2>/dev/null | grep -c '__start___sancov_cntrs' || true)
		prof=$(nm "$bin" 2>/dev/null | grep -c '__llvm_profile_runtime' || true)
		why=
		case $san in
		address)
			[ "$asan" -ge 1000 ] || why="$why only $asan __asan calls (want >= 1000);"
			[ "$msan" -le 3 ] || why="$why $msan __msan calls in an ASan build;"
			[ "$ubsan" -le 200 ] || why="$why $ubsan __ubsan calls in an ASan build;"
			;;
		memory)
			[ "$msan" -ge 1000 ] || why="$why only $msan __msan calls (want >= 1000);"
			[ "$asan" -eq 0 ] || why="$why $asan __asan calls in an MSan build;"
			[ "$ubsan" -le 200 ] || why="$why $ubsan __ubsan calls in an MSan build;"
			;;
		undefined)
			[ "$ubsan" -ge 168 ] || why="$why only $ubsan __ubsan calls (want >= 168);"
			[ "$asan" -eq 0 ] || why="$why $asan __asan calls in a UBSan build;"
			[ "$msan" -le 3 ] || why="$why $msan __msan calls in a UBSan build;"
			;;
		thread)
			[ "$tsan" -ge 1000 ] || why="$why only $tsan __tsan calls (want >= 1000);"
			[ "$asan" -eq 0 ] || why="$why $asan __asan calls in a TSan build;"
			[ "$msan" -le 3 ] || why="$why $msan __msan calls in a TSan build;"
			;;
		coverage)
			[ "$prof" -gt 0 ] || why="$why no profiling runtime (__llvm_profile_runtime);"
			[ $((asan + msan + tsan)) -eq 0 ] || why="$why sanitizer calls in a coverage build (__asan $asan, __msan $msan, __tsan $tsan);"
			;;
		esac
		[ "$dfsan" -eq 0 ] || why="$why $dfsan __dfsan calls;"
		# A coverage build is measured by source-based profiling, not fed back.
		[ "$san" = coverage ] || [ "$cov" -gt 0 ] || why="$why no libFuzzer coverage counters (__sancov_cntrs);"
		if [ -z "$why" ]; then
			pass "$id-instrumented (calls: __asan $asan, __msan $msan, __ubsan $ubsan, __tsan $tsan; $([ "$san" = coverage ] && echo 'profiling runtime' || echo 'sancov counters'))"
		else
			fail "$id-instrumented ($why )"
		fi

		if [ "$san" = coverage ]; then
			check_coverage_report "$out" "$t" "$id"
			check_files "$out" "$t" "$id"
			continue
		fi

		# coverage: bad_build_check's check_engine
		rlog=$tmp/$san-$t-engine.log
		set +e
		(cd "$out" && env -u OUT ASAN_OPTIONS="$RUNNER_ASAN_OPTIONS" MSAN_OPTIONS="$RUNNER_MSAN_OPTIONS" \
			UBSAN_OPTIONS="$RUNNER_UBSAN_OPTIONS" timeout "$RUN_TIMEOUT" "./$t" -seed=1337 -runs=$RUNS </dev/null) >"$rlog" 2>&1
		set -e
		edges=$(sed -n 's/^INFO: Loaded [0-9]* module.*(\([0-9]*\) \(inline 8-bit counters\|guards\)).*/\1/p' "$rlog" | head -1)
		if grep -q "no interesting inputs were found" "$rlog"; then
			fail "$id-coverage (libFuzzer: no interesting inputs; is the code instrumented?)"
			show "$rlog"
		elif [ -z "$edges" ]; then
			fail "$id-coverage (the target did not start; its output ends:)"
			show "$rlog"
		elif [ "$edges" -lt "$MIN_EDGES" ]; then
			fail "$id-coverage (only $edges coverage counters, want >= $MIN_EDGES)"
		else
			pass "$id-coverage ($edges coverage counters)"
		fi

		# startup: check_startup_crash, with run_fuzzer's arguments
		rlog=$tmp/$san-$t-startup.log
		set +e
		run_target "$san" "$out" "$t" "$rlog" -seed=1337 -runs=$RUNS
		rc=$?
		set -e
		if [ "$rc" -eq 0 ] && grep -q "Done $RUNS runs" "$rlog"; then
			pass "$id-startup (-runs=$RUNS with its .options: Done $RUNS runs, exit 0)"
		else
			fail "$id-startup (-runs=$RUNS exited $rc$(grep -q "Done $RUNS runs" "$rlog" || echo ', no "Done '$RUNS' runs"'); output ends:)"
			show "$rlog"
		fi

		# seeds: check_seed_corpus (-runs=0 over the unzipped seeds)
		zip=$out/${t}_seed_corpus.zip
		corpus=$tmp/$san-$t-corpus
		rm -rf "$corpus" && mkdir -p "$corpus"
		nseeds=0
		if [ -f "$zip" ]; then
			if unzip -q -o -d "$corpus" "$zip" >"$tmp/unzip.log" 2>&1; then
				nseeds=$(find "$corpus" -type f | wc -l)
			else
				fail "$id-seeds (unzip failed on ${t}_seed_corpus.zip:)"
				show "$tmp/unzip.log"
				continue
			fi
		fi
		rlog=$tmp/$san-$t-seeds.log
		set +e
		run_target "$san" "$out" "$t" "$rlog" -runs=0 "$corpus"
		rc=$?
		set -e
		if [ "$rc" -eq 0 ]; then
			pass "$id-seeds (-runs=0 over $nseeds seed inputs: exit 0)"
		else
			fail "$id-seeds (a seed input crashes or hangs: exit $rc; output ends:)"
			show "$rlog"
		fi
		rm -rf "$corpus"

		check_files "$out" "$t" "$id"
	done

	# Targets in $OUT that have no source are leftovers of something else.
	for f in "$out"/fuzz_*; do
		[ -x "$f" ] && [ -f "$f" ] || continue
		t=$(basename "$f")
		[ -f "$ROOT/fuzz/targets/target_${t#fuzz_}.c" ] || fail "ossfuzz-$san-$t (in \$OUT but has no fuzz/targets/target_${t#fuzz_}.c)"
	done
	rm -rf "${tmp:?}/$san"
done

[ "$failures" -eq 0 ]
