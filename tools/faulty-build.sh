# tools/faulty-build.sh - sourced (never run) by the scripts that build the
# fuzz targets with one injected fault: tests/scripts/bugs.sh, explore.sh,
# explore_fuzz.sh and bench/explore_fuzz.sh.  One place for the folders and
# flags, so whichever script runs first builds each variant once for all.
# The caller sets ROOT (the checkout).
#
#   faulty_build DIR [BUG [MAKE-TARGET...]]
#
# builds the ASan+UBSan libFuzzer targets into DIR (build/bugs/BUG by
# convention; the correct build is $FAULTY_BASE, build/bugs/base) with the
# fault BUG of allocator/ph_bugs.def compiled in (none when empty), linked
# against the correct build's harness library -- the faults live in the
# allocator, the harness is the same -- plus any further make targets named
# (such as "$DIR/explore").  Make's exit status is the function's.

FAULTY_SAN="-fsanitize=address,undefined -fno-sanitize-recover=all"
FAULTY_BASE=$ROOT/build/bugs/base

faulty_build() {
	local dir=$1 bug=${2:-}
	shift
	[ $# -gt 0 ] && shift
	make -s -j"$(nproc)" B="$dir" SAN="$FAULTY_SAN" HOOKS=1 CC=clang CXX=clang++ CFLAGS=-fsanitize=fuzzer-no-link \
		LIB_FUZZING_ENGINE=-fsanitize=fuzzer FZLIB="$FAULTY_BASE/libfz.a" BUG="$bug" "$FAULTY_BASE/libfz.a" targets "$@"
}
