#!/usr/bin/env bash
# tools/ossfuzz-build.sh - the OSS-Fuzz / ClusterFuzzLite build contract.
#
# A bare ./build.sh runs this when OUT, SRC and LIB_FUZZING_ENGINE are set
# (the base-builder image sets them); it can also be run directly.
#
#   compile  $CC  $CFLAGS              (OSS-Fuzz's flags carry the sanitizer
#   link     $CXX $CXXFLAGS ... $LIB_FUZZING_ENGINE   and coverage flags)
#
# and writes, for every fuzz/targets/target_<name>.c:
#   $OUT/fuzz_<name>                  the fuzz target
#   $OUT/fuzz_<name>_seed_corpus.zip  binary seeds of corpus/<name>/ and
#                                     corpus/<name>/regressions/
#   $OUT/fuzz_<name>.options          fuzz/options/fuzz_<name>.options plus
#                                     a "dict =" line when there is a dict
#   $OUT/fuzz_<name>.dict             fuzz/dicts/fuzz_<name>.dict
#
# Environment (OSS-Fuzz's names; the defaults are for running it by hand):
#   OUT              where the results go (required)
#   WORK             scratch space; objects go to $WORK/build-<engine>-<sanitizer>
#                    (default: build/ossfuzz beside this script's project)
#   SANITIZER        address | undefined | memory | thread | coverage
#                    (others are accepted with a note; default address)
#   FUZZING_ENGINE   libfuzzer | afl | honggfuzz | centipede | none (default libfuzzer)
#   CC, CXX          default clang/clang++; afl-clang-fast(++) for afl
#   CFLAGS, CXXFLAGS default: what OSS-Fuzz's compile step would set for
#                    SANITIZER and FUZZING_ENGINE
#   LIB_FUZZING_ENGINE  default -fsanitize=fuzzer; for afl the libAFLDriver.a
#                    of the installed AFL++ (found, not assumed)
#   PH_NO_WERROR=1   escape hatch: let warnings of a newer compiler through
#                    (-Wno-error); our Makefile builds with -Werror
set -euo pipefail

PROG=ossfuzz-build.sh
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

die() {
	echo "$PROG: error: $*" >&2
	exit 1
}

note() {
	echo "$PROG: $*"
}

[ -n "${OUT:-}" ] || die "OUT is not set: it names the folder the fuzz targets are written to"
mkdir -p "$OUT" || die "cannot create OUT=$OUT"
OUT=$(cd "$OUT" && pwd)

SANITIZER=${SANITIZER:-address}
FUZZING_ENGINE=${FUZZING_ENGINE:-libfuzzer}
WORK=${WORK:-$ROOT/build/ossfuzz}
mkdir -p "$WORK" || die "cannot create WORK=$WORK"
WORK=$(cd "$WORK" && pwd)
JOBS=$(nproc 2>/dev/null || echo 2)

# ---- the toolchain -----------------------------------------------------------

# OSS-Fuzz's base images set these; the values below are the same ones
# (infra/base-images/base-clang and base-builder) so that a build by hand
# matches one in the image.
OSSFUZZ_BASE_CFLAGS="-O1 -fno-omit-frame-pointer -gline-tables-only -Wno-error=enum-constexpr-conversion -Wno-error=incompatible-function-pointer-types -Wno-error=int-conversion -Wno-error=deprecated-declarations -Wno-error=implicit-function-declaration -Wno-error=implicit-int -Wno-error=vla-cxx-extension -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION"

sanitizer_flags() {
	case $1 in
	address) echo "-fsanitize=address -fsanitize-address-use-after-scope" ;;
	undefined)
		local checks=array-bounds,bool,builtin,enum,function,integer-divide-by-zero,null,object-size,return,returns-nonnull-attribute,shift,signed-integer-overflow,unreachable,vla-bound,vptr
		echo "-fsanitize=$checks,unsigned-integer-overflow -fno-sanitize-recover=$checks"
		;;
	memory) echo "-fsanitize=memory -fsanitize-memory-track-origins" ;;
	thread) echo "-fsanitize=thread" ;;
	*) echo "" ;;
	esac
}

coverage_flags() {
	if [ "$SANITIZER" = coverage ]; then
		echo "-fprofile-instr-generate -fcoverage-mapping -pthread -Wl,--no-as-needed -Wl,-ldl -Wl,-lm -Wno-unused-command-line-argument"
		return
	fi
	case $FUZZING_ENGINE in
	afl | none) echo "" ;; # afl-clang-fast instruments by itself
	*) echo "-fsanitize=fuzzer-no-link" ;;
	esac
}

# The libFuzzer-compatible driver of the installed AFL++: next to the
# compiler (a source build, like OSS-Fuzz's $SRC/aflplusplus), in AFL_PATH,
# in ../lib/afl beside it (Debian's afl++ package), or wherever dpkg says.
find_afl_driver() {
	local cc bin cand
	local dirs=()
	[ -n "${AFL_PATH:-}" ] && dirs+=("$AFL_PATH")
	for cc in "${CC%% *}" afl-clang-fast; do
		cc=$(command -v "$cc" 2>/dev/null) || continue
		bin=$(dirname "$(readlink -f "$cc")")
		dirs+=("$bin" "$bin/../lib/afl" "$bin/../lib/afl++" "$bin/../lib")
	done
	for cand in "${dirs[@]}"; do
		if [ -f "$cand/libAFLDriver.a" ]; then
			readlink -f "$cand/libAFLDriver.a"
			return 0
		fi
	done
	if command -v dpkg >/dev/null 2>&1; then
		cand=$(dpkg -L afl++ 2>/dev/null | grep '/libAFLDriver\.a$' | head -1 || true)
		[ -n "$cand" ] && [ -f "$cand" ] && { echo "$cand"; return 0; }
	fi
	return 1
}

case $FUZZING_ENGINE in
libfuzzer | centipede | none)
	CC=${CC:-clang}
	CXX=${CXX:-clang++}
	LIB_FUZZING_ENGINE=${LIB_FUZZING_ENGINE:--fsanitize=fuzzer}
	;;
afl)
	CC=${CC:-afl-clang-fast}
	CXX=${CXX:-afl-clang-fast++}
	command -v "${CC%% *}" >/dev/null 2>&1 ||
		die "FUZZING_ENGINE=afl needs AFL++'s compiler ($CC), which is not on PATH (Debian: apt-get install -y afl++)"
	case ${CC%% *} in
	*afl*) ;;
	*) note "FUZZING_ENGINE=afl with CC=$CC: the targets get AFL++ coverage only if CFLAGS instrument for it (afl-clang-fast does by itself)" ;;
	esac
	if [ -z "${LIB_FUZZING_ENGINE:-}" ]; then
		LIB_FUZZING_ENGINE=$(find_afl_driver) ||
			die "FUZZING_ENGINE=afl: cannot find AFL++'s libAFLDriver.a (looked in AFL_PATH, beside $CC and in dpkg -L afl++); set LIB_FUZZING_ENGINE to it"
		note "AFL++ driver: $LIB_FUZZING_ENGINE"
	fi
	;;
honggfuzz)
	CC=${CC:-hfuzz-clang}
	CXX=${CXX:-hfuzz-clang++}
	[ -n "${LIB_FUZZING_ENGINE:-}" ] || die "FUZZING_ENGINE=honggfuzz: set LIB_FUZZING_ENGINE (OSS-Fuzz's image does)"
	;;
*)
	[ -n "${LIB_FUZZING_ENGINE:-}" ] || die "FUZZING_ENGINE=$FUZZING_ENGINE is not known here; set CC, CXX, CFLAGS, CXXFLAGS and LIB_FUZZING_ENGINE"
	;;
esac

case $SANITIZER in
address | undefined | memory | thread | coverage) ;;
*) note "SANITIZER=$SANITIZER is none of address, undefined, memory, thread, coverage: building with the given CFLAGS as they are" ;;
esac

if [ -z "${CFLAGS+set}" ]; then
	CFLAGS="$OSSFUZZ_BASE_CFLAGS $(sanitizer_flags "$SANITIZER") $(coverage_flags)"
fi
CXXFLAGS=${CXXFLAGS-$CFLAGS}

# Our Makefile builds with -Werror, which we keep.  OSS-Fuzz's CFLAGS name
# warnings that only newer clangs know (-Wno-error=vla-cxx-extension, ...);
# an older clang would turn "unknown warning option" into an error.
EXTRA_CFLAGS="-Wno-unknown-warning-option"
[ "${PH_NO_WERROR:-0}" = 1 ] && EXTRA_CFLAGS="$EXTRA_CFLAGS -Wno-error"

# MemorySanitizer: the fiber engine is unavailable there (FZ_ENGINE=fiber
# stops with an error); the targets use the default pthread engine.
# ThreadSanitizer: fuzz/run/fz_sanitizer.c declares libFuzzer's coverage
# counters and stack-depth slot a benign race at start-up (the schedule
# threads touch them with no happens-before edge, by design) and keeps the
# harness's own code out of coverage; it keys on __has_feature, so the
# flags above are all it needs.

# ---- build -----------------------------------------------------------------

BUILD=$WORK/build-$FUZZING_ENGINE-$SANITIZER
note "building fuzz targets: SANITIZER=$SANITIZER FUZZING_ENGINE=$FUZZING_ENGINE into $BUILD"
note "CC=$CC"
note "CXX=$CXX"
note "CFLAGS=$CFLAGS $EXTRA_CFLAGS"
note "CXXFLAGS=$CXXFLAGS"
note "LIB_FUZZING_ENGINE=$LIB_FUZZING_ENGINE"

targets=()
for src in "$ROOT"/fuzz/targets/target_*.c; do
	[ -f "$src" ] || continue
	name=$(basename "$src" .c)
	targets+=("fuzz_${name#target_}")
done
[ ${#targets[@]} -gt 0 ] || die "no fuzz targets (fuzz/targets/target_*.c) in $ROOT"

# SAN and OPT empty: the sanitizer, coverage and -O flags are OSS-Fuzz's.
# BUG and ZEROING explicit: fuzz the allocator as shipped, whatever the
# environment says.
make -C "$ROOT" -j"$JOBS" B="$BUILD" SAN= OPT= HOOKS=1 BUG= HBUG= ZEROING=lockfree \
	CC="$CC" CXX="$CXX" CFLAGS="$CFLAGS $EXTRA_CFLAGS" CXXFLAGS="$CXXFLAGS" \
	LIB_FUZZING_ENGINE="$LIB_FUZZING_ENGINE" targets ||
	die "make failed (SANITIZER=$SANITIZER FUZZING_ENGINE=$FUZZING_ENGINE); the compiler's messages are above"

# ---- package -------------------------------------------------------------

# seed_dirs NAME: the corpus folders of target fuzz_NAME.  A free-running
# variant decodes the same programs as its controlled target, so it falls
# back to that target's seeds when it has no folder of its own.
seed_dirs() {
	local base=$ROOT/corpus/$1
	if [ ! -d "$base" ] && [ "${1%_freerun}" != "$1" ]; then
		base=$ROOT/corpus/${1%_freerun}
	fi
	[ -d "$base" ] && echo "$base"
	[ -d "$base/regressions" ] && echo "$base/regressions"
	return 0
}

# Binary seeds only: text schedules (*.txt), notes (*.md) and dot files
# are not inputs.
seed_files() {
	find "$1" -maxdepth 1 -type f ! -name '*.txt' ! -name '*.md' ! -name '.*' -print | LC_ALL=C sort
}

make_zip() { # make_zip ZIP DIR: every file of DIR, flat
	local zip=$1 dir=$2
	rm -f "$zip"
	if command -v zip >/dev/null 2>&1; then
		(cd "$dir" && find . -type f -printf '%P\n' | LC_ALL=C sort | zip -q -X "$zip" -@)
	elif command -v python3 >/dev/null 2>&1; then
		local files=()
		mapfile -t files < <(cd "$dir" && find . -type f -printf '%P\n' | LC_ALL=C sort)
		(cd "$dir" && python3 -m zipfile -c "$zip" "${files[@]}")
	else
		die "neither zip nor python3 is installed: cannot write $zip (apt-get install -y zip)"
	fi
}

# options_for TARGET: the options file, with a dict reference added to its
# [libfuzzer] section when the target has a dictionary.
options_for() {
	local t=$1 src=$ROOT/fuzz/options/$1.options dict=
	[ -f "$ROOT/fuzz/dicts/$t.dict" ] && dict="$t.dict"
	if [ ! -f "$src" ]; then
		[ -n "$dict" ] && printf '[libfuzzer]\ndict = %s\n' "$dict"
		return 0
	fi
	if [ -z "$dict" ] || grep -Eq '^[[:space:]]*dict[[:space:]]*=' "$src"; then
		cat "$src"
		return 0
	fi
	awk -v dict="$dict" '
		{ print }
		/^\[libfuzzer\][[:space:]]*$/ && !done { print "dict = " dict; done = 1 }
		END { if (!done) { print ""; print "[libfuzzer]"; print "dict = " dict } }
	' "$src"
}

stage=$WORK/seeds-$FUZZING_ENGINE-$SANITIZER
for t in "${targets[@]}"; do
	[ -x "$BUILD/$t" ] || die "make did not produce $BUILD/$t"
	cp -f "$BUILD/$t" "$OUT/$t"

	# Seed corpus.  Regression reproducers keep their names with a
	# "regression-" prefix, so they cannot collide with a seed.
	rm -rf "$stage" && mkdir -p "$stage"
	n=0
	while read -r d; do
		prefix=
		[ "$(basename "$d")" = regressions ] && prefix=regression-
		while read -r f; do
			[ -n "$f" ] || continue
			cp -f "$f" "$stage/$prefix$(basename "$f")"
			n=$((n + 1))
		done < <(seed_files "$d")
	done < <(seed_dirs "${t#fuzz_}")
	# No zip without seeds: an empty archive makes OSS-Fuzz's run_fuzzer
	# (bash -eu; unzip exits 1 on it) fail before the target starts.
	rm -f "$OUT/${t}_seed_corpus.zip"
	[ "$n" -gt 0 ] && make_zip "$OUT/${t}_seed_corpus.zip" "$stage"

	# Options and dictionary.
	rm -f "$OUT/$t.options" "$OUT/$t.dict"
	[ -f "$ROOT/fuzz/dicts/$t.dict" ] && cp -f "$ROOT/fuzz/dicts/$t.dict" "$OUT/$t.dict"
	opts=$(options_for "$t")
	[ -n "$opts" ] && printf '%s\n' "$opts" >"$OUT/$t.options"

	note "$OUT/$t: $n seeds$([ -f "$OUT/$t.options" ] && echo ", options")$([ -f "$OUT/$t.dict" ] && echo ", dict")"
done
rm -rf "$stage"
note "done: ${#targets[@]} fuzz targets in $OUT"
