#!/usr/bin/env bash
# tests/scripts/afl_smoke.sh - AFL++ through the OSS-Fuzz build contract.
#
# Builds the fuzz targets with FUZZING_ENGINE=afl SANITIZER=address via
# tools/ossfuzz-build.sh (afl-clang-fast, the libAFLDriver.a that the
# installed AFL++ ships, found rather than assumed), then fuzzes
# fuzz_schedule with afl-fuzz for AFL_SMOKE_SECONDS (default 20) and checks
# that the fork server came up, that inputs were executed (fuzzer_stats:
# execs_done > 0) and that nothing crashed.  The targets start their
# threads lazily, on the first input, so the fork server forks a
# single-threaded process; this checks that it works.
#
# Runs in a container without root-only sysctls: AFL_SKIP_CPUFREQ,
# AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES (core_pattern may pipe to a
# program), AFL_NO_AFFINITY (no CPU binding on a shared 2-core machine).
set -euo pipefail

ROOT=${ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
SECS=${AFL_SMOKE_SECONDS:-20}
TARGET=fuzz_schedule

failures=0
pass() { echo "PASS $*"; }
fail() {
	echo "FAIL $*"
	failures=$((failures + 1))
}
show() { sed 's/\x1b\[[0-9;?]*[a-zA-Z]//g' "$1" | tail -n 25 | sed 's/^/    /'; }

if ! command -v afl-clang-fast >/dev/null 2>&1 || ! command -v afl-fuzz >/dev/null 2>&1; then
	fail "afl-installed (run: apt-get install -y afl++)"
	exit 1
fi
version=$({ afl-fuzz -h 2>&1 || true; } | sed -n 's/.*afl-fuzz\(++[0-9][0-9.a-z]*\).*/\1/p' | head -1)
pass "afl-installed (afl-fuzz ${version:-version unknown}, $(command -v afl-clang-fast))"

tmp=$(mktemp -d -t afl-smoke.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
out=$tmp/out
mkdir -p "$out" "$tmp/work" "$tmp/src"

# ---- build, as OSS-Fuzz's compile_afl would --------------------------------

# OSS-Fuzz's AFL builds: base CFLAGS plus the sanitizer's, no coverage flags
# (afl-clang-fast instruments); CC/CXX and LIB_FUZZING_ENGINE are left to
# tools/ossfuzz-build.sh, which picks afl-clang-fast(++) and finds the
# driver.
cflags="-O1 -fno-omit-frame-pointer -gline-tables-only -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION -fsanitize=address -fsanitize-address-use-after-scope"
start=$SECONDS
if env -i PATH="$PATH" HOME="${HOME:-/root}" LANG=C.UTF-8 \
	OUT="$out" WORK="$tmp/work" SRC="$tmp/src" \
	SANITIZER=address FUZZING_ENGINE=afl ARCHITECTURE=x86_64 \
	CFLAGS="$cflags" CXXFLAGS="$cflags" AFL_QUIET=1 \
	bash "$ROOT/tools/ossfuzz-build.sh" >"$tmp/build.log" 2>&1; then
	driver=$(sed -n 's/^ossfuzz-build.sh: AFL++ driver: //p' "$tmp/build.log")
	pass "afl-build (tools/ossfuzz-build.sh FUZZING_ENGINE=afl SANITIZER=address, $((SECONDS - start))s; driver ${driver:-?})"
else
	fail "afl-build (tools/ossfuzz-build.sh failed; its log ends:)"
	show "$tmp/build.log"
	exit 1
fi

# The driver must be the installed package's own file.
if command -v dpkg >/dev/null 2>&1 && dpkg -s afl++ >/dev/null 2>&1; then
	pkg_driver=$(dpkg -L afl++ | grep '/libAFLDriver\.a$' | head -1 || true)
	if [ -n "$pkg_driver" ] && [ "$(readlink -f "$pkg_driver")" = "$(readlink -f "${driver:-/nonexistent}")" ]; then
		pass "afl-driver (the afl++ package's $pkg_driver)"
	else
		fail "afl-driver (build used '${driver:-?}', the afl++ package installs '${pkg_driver:-no libAFLDriver.a}')"
	fi
fi

bin=$out/$TARGET
if [ ! -x "$bin" ]; then
	fail "afl-instrumented ($TARGET was not built)"
	exit 1
fi
nm "$bin" >"$tmp/nm.txt" 2>/dev/null || true
if grep -q ' __afl_area_ptr$' "$tmp/nm.txt" && grep -q ' __asan_init$' "$tmp/nm.txt"; then
	pass "afl-instrumented ($TARGET has AFL++ instrumentation and ASan)"
else
	fail "afl-instrumented ($TARGET lacks __afl_area_ptr or __asan_init)"
fi

# ---- fuzz -----------------------------------------------------------------

# Seeds: the committed binary seeds and regressions, plus one tiny input
# (afl-fuzz wants at least one file; run_fuzzer adds the same).
seeds=$tmp/seeds
mkdir -p "$seeds"
for d in "$ROOT/corpus/${TARGET#fuzz_}" "$ROOT/corpus/${TARGET#fuzz_}/regressions"; do
	[ -d "$d" ] || continue
	find "$d" -maxdepth 1 -type f ! -name '*.txt' ! -name '*.md' ! -name '.*' -exec cp -n {} "$seeds/" \;
done
echo input >"$seeds/input"
nseeds=$(find "$seeds" -type f | wc -l)

dict=()
[ -f "$out/$TARGET.dict" ] && dict=(-x "$out/$TARGET.dict")

start=$SECONDS
set +e
(cd "$tmp" && env -u ASAN_OPTIONS -u UBSAN_OPTIONS -u MSAN_OPTIONS -u LSAN_OPTIONS -u TSAN_OPTIONS \
	ASAN_OPTIONS="abort_on_error=1:symbolize=0:detect_leaks=0:detect_odr_violation=0" \
	AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1 \
	AFL_NO_AFFINITY=1 AFL_FORKSRV_INIT_TMOUT=30000 AFL_IGNORE_UNKNOWN_ENVS=1 \
	timeout $((SECS + 120)) afl-fuzz -i "$seeds" -o "$tmp/findings" -V "$SECS" -m none -t 5000+ \
	"${dict[@]}" -- "$bin" </dev/null >"$tmp/afl.log" 2>&1)
rc=$?
set -e
elapsed=$((SECONDS - start))

if grep -q "fork server is up" "$tmp/afl.log"; then
	mode=$(sed 's/\x1b\[[0-9;?]*[a-zA-Z]//g' "$tmp/afl.log" | grep -oE '(Persistent mode|Deferred forkserver) binary detected' | sed 's/ binary detected//' | paste -sd+ -)
	pass "afl-forkserver (fork server up${mode:+: $mode})"
else
	fail "afl-forkserver (afl-fuzz exited $rc before its fork server came up; log ends:)"
	show "$tmp/afl.log"
	exit 1
fi

stats=$tmp/findings/default/fuzzer_stats
stat() { sed -n "s/^$1 *: *//p" "$stats" 2>/dev/null | head -1; }
execs=$(stat execs_done)
if [ "$rc" -eq 0 ] && [ -n "$execs" ] && [ "$execs" -gt 0 ]; then
	pass "afl-fuzz-executes ($TARGET: $execs executions in ${elapsed}s from $nseeds seeds, $(stat execs_per_sec) exec/s, corpus $(stat corpus_count), stability $(stat stability))"
else
	fail "afl-fuzz-executes (afl-fuzz exited $rc, execs_done '${execs:-missing}'; log ends:)"
	show "$tmp/afl.log"
fi

crashes=$(find "$tmp/findings/default/crashes" -type f -name 'id:*' 2>/dev/null | wc -l)
saved=$(stat saved_crashes)
if [ "$crashes" -eq 0 ] && [ "${saved:-0}" -eq 0 ]; then
	pass "afl-no-crashes ($TARGET: 0 crashes, $(stat saved_hangs) hangs in ${SECS}s)"
else
	fail "afl-no-crashes ($TARGET: $crashes crash inputs; replay one with: ./build.sh repro FILE $TARGET)"
	keep=$ROOT/work/afl-smoke-crashes
	mkdir -p "$keep" && cp "$tmp/findings/default/crashes"/id:* "$keep/" 2>/dev/null || true
	echo "    crash inputs copied to $keep"
fi

[ "$failures" -eq 0 ]
