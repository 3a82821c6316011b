#!/usr/bin/env bash
# minimize.sh - ./build.sh minimize turns a long crash into a short one that
# fails the same way.
#
# The crash: tests/data/cache-refill-unlocked-long.bin, an input of 4
# threads and 47 operations that fuzzing found failing with O1 when the
# allocator carries the injected fault cache-refill-unlocked.  The fault is
# built here (TSan and ASan targets, tools) reusing the harness libraries of
# the local build, as bugs.sh does, so only allocator files are compiled.
#  - minimize writes .bin, .txt and .trace; the .bin fails with O1 in the
#    ASan build, its schedule has at most a third of the crash's
#    operations, the .txt is its text form and says "# expect: O1", the
#    .trace ends with an O1 verdict, and the size table is printed
#  - FZ_EXPECT: the crash aborts under FZ_EXPECT=O1, passes quietly under
#    FZ_EXPECT=Z2, and a malformed value stops the target with exit 2
#  - schedmin alone keeps the oracle and refuses what it cannot do
#  - bad arguments exit 2 with the usage; an input that passes exits 1
set -uo pipefail
cd "$ROOT"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bug=cache-refill-unlocked
crash=tests/data/$bug-long.bin
B=$ROOT/build/minimize-test
out=$tmp/out
export UBSAN_OPTIONS="halt_on_error=1"

build_bug() {
	make -s -j"$(nproc)" B="$B/tsan" SAN=-fsanitize=thread HOOKS=1 CC=clang CXX=clang++ \
		CFLAGS=-fsanitize=fuzzer-no-link LIB_FUZZING_ENGINE=-fsanitize=fuzzer \
		FZLIB="$ROOT/build/fuzz-tsan/libfz.a" BUG=$bug "$B/tsan/fuzz_schedule" &&
		make -s -j"$(nproc)" B="$B/asan" SAN="-fsanitize=address,undefined -fno-sanitize-recover=all" HOOKS=1 \
			CC=clang CXX=clang++ CFLAGS=-fsanitize=fuzzer-no-link LIB_FUZZING_ENGINE=-fsanitize=fuzzer \
			FZLIB="$ROOT/build/fuzz-asan/libfz.a" BUG=$bug "$B/asan/fuzz_schedule" &&
		make -s -j"$(nproc)" B="$B/tools" SAN= HOOKS=1 CC=clang OPT="-O2 -g" \
			FZLIB="$ROOT/build/tools/libfz.a" BUG=$bug tools &&
		mkdir -p "$out/asan" &&
		cp "$B/tsan/fuzz_schedule" "$out/" && cp "$B/asan/fuzz_schedule" "$out/asan/" &&
		cp "$B/tools/schedtool" "$B/tools/schedmin" "$out/"
}
if ! build_bug >"$tmp/build.log" 2>&1; then
	echo "FAIL minimize-build ($bug variant)"; tail -20 "$tmp/build.log"; exit 0
fi

# ops FILE: the operations of a schedule file.
ops() {
	"$out/schedtool" decode --target schedule "$1" | awk '/^decisions/ { exit } /^  / { n++ } END { print n + 0 }'
}
verdict() { # BIN FILE [ENV...]: the oracle of the verdict line, if any
	local bin=$1 file=$2
	shift 2
	env "$@" "$bin" "$file" 2>&1 | sed -n 's/^==== verdict: \([A-Z0-9]*\):.*/\1/p' | head -1
}

before=$(ops "$crash")
want=$(verdict "$out/asan/fuzz_schedule" "$crash")
if [ "$want" = O1 ] && [ "$before" -ge 40 ]; then
	echo "PASS minimize-crash-fails ($crash: $before operations, O1 with $bug)"
else
	echo "FAIL minimize-crash-fails ($crash: $before operations, verdict '${want:-none}'; want O1 and >= 40)"
fi

# The command itself.  MINIMIZE_RUNS keeps libFuzzer's part short.
if MINIMIZE_RUNS=3000 OUT="$out" ./build.sh minimize --out "$tmp/min" "$crash" fuzz_schedule >"$tmp/min.log" 2>&1; then
	m=$tmp/min/$bug-long-min
	after=$( [ -f "$m.bin" ] && ops "$m.bin" || echo 999)
	got=$( [ -f "$m.bin" ] && verdict "$out/asan/fuzz_schedule" "$m.bin")
	if [ "$got" = O1 ] && [ "$after" -ge 1 ] && [ $((3 * after)) -le "$before" ]; then
		echo "PASS minimize-shrinks ($before -> $after operations, still O1)"
	else
		echo "FAIL minimize-shrinks ($before -> $after operations, verdict '${got:-none}'; want O1 and at most $((before / 3)))"
		tail -15 "$tmp/min.log"
	fi
	if [ -f "$m.txt" ] && "$out/schedtool" encode "$m.txt" "$tmp/re.bin" && cmp -s "$tmp/re.bin" "$m.bin" &&
		grep -qx '# expect: O1' "$m.txt"; then
		echo "PASS minimize-text (the .txt encodes to the .bin and expects O1)"
	else
		echo "FAIL minimize-text"; head -5 "$m.txt" 2>/dev/null
	fi
	if [ -f "$m.trace" ] && tail -1 "$m.trace" | grep -q '^==== verdict: O1: '; then
		echo "PASS minimize-trace ($(wc -l <"$m.trace") lines, ends with the O1 verdict)"
	else
		echo "FAIL minimize-trace"; tail -3 "$m.trace" 2>/dev/null
	fi
	if grep -qE '^  crash +[0-9]+ +4 +'"$before"' ' "$tmp/min.log" &&
		grep -qE '^  structural +[0-9]+ +[0-9]+ +'"$after"' ' "$tmp/min.log"; then
		echo "PASS minimize-report (sizes before and after)"
	else
		echo "FAIL minimize-report"; grep -A4 '^  stage' "$tmp/min.log"
	fi
else
	echo "FAIL minimize-runs (exit status not 0)"; tail -20 "$tmp/min.log"
fi

# FZ_EXPECT: only the named oracle is a crash.
"$out/asan/fuzz_schedule" "$crash" >/dev/null 2>&1
plain=$?
FZ_EXPECT=O1 "$out/asan/fuzz_schedule" "$crash" >"$tmp/e1.log" 2>&1
e1=$?
FZ_EXPECT=Z2 "$out/asan/fuzz_schedule" "$crash" >"$tmp/e2.log" 2>&1
e2=$?
FZ_EXPECT=o1 "$out/asan/fuzz_schedule" "$crash" >"$tmp/e3.log" 2>&1
e3=$?
if [ $plain -ne 0 ] && [ $e1 -ne 0 ] && grep -q '^==== verdict: O1: ' "$tmp/e1.log" &&
	[ $e2 -eq 0 ] && ! grep -q '^==== verdict' "$tmp/e2.log" && [ $e3 -eq 2 ] && grep -q 'FZ_EXPECT=o1 is not valid' "$tmp/e3.log"; then
	echo "PASS minimize-fz-expect (O1 crashes, Z2 passes quietly, a malformed name exits 2)"
else
	echo "FAIL minimize-fz-expect (exit statuses: plain $plain, O1 $e1, Z2 $e2, malformed $e3)"
fi

# schedmin on its own.
"$out/schedmin" --expect Z2 "$crash" "$tmp/x.bin" >"$tmp/sm.log" 2>&1
rc=$?
if [ $rc -eq 1 ] && grep -q 'does not fail with Z2' "$tmp/sm.log" && [ ! -f "$tmp/x.bin" ]; then
	echo "PASS schedmin-expect (another oracle: exit 1, nothing written)"
else
	echo "FAIL schedmin-expect (exit $rc)"; cat "$tmp/sm.log"
fi
"$out/schedmin" --max-runs 3 "$crash" "$tmp/x.bin" >"$tmp/sm.log" 2>&1
rc=$?
if [ $rc -eq 0 ] && grep -q 'stopped at the cap of 3 candidate runs' "$tmp/sm.log" &&
	[ "$(verdict "$out/asan/fuzz_schedule" "$tmp/x.bin")" = O1 ]; then
	echo "PASS schedmin-cap (the cap is reported; the result still fails with O1)"
else
	echo "FAIL schedmin-cap (exit $rc)"; cat "$tmp/sm.log"
fi
for args in "" "$crash" "--target schedule_freerun $crash $tmp/x.bin" "--target nosuch $crash $tmp/x.bin" \
	"--max-runs 0 $crash $tmp/x.bin" "--bogus $crash $tmp/x.bin"; do
	# shellcheck disable=SC2086 # the words are the arguments
	"$out/schedmin" $args >"$tmp/bad.log" 2>&1
	rc=$?
	if [ $rc -eq 2 ] && grep -q '^usage: schedmin' "$tmp/bad.log"; then
		echo "PASS schedmin-usage '$args' (exit 2 with the usage)"
	else
		echo "FAIL schedmin-usage '$args' (exit $rc)"; head -3 "$tmp/bad.log"
	fi
done

# build.sh minimize: bad arguments, and an input that does not fail.
for args in "" "a b c" "--out" "/nonexistent/crash" "$crash fuzz_nosuch"; do
	# shellcheck disable=SC2086
	OUT="$out" ./build.sh minimize $args >"$tmp/bad.log" 2>&1
	rc=$?
	if [ $rc -eq 2 ] && { grep -q '^usage: ./build.sh' "$tmp/bad.log" || grep -q 'no such file' "$tmp/bad.log"; }; then
		echo "PASS minimize-usage '$args' (exit 2)"
	else
		echo "FAIL minimize-usage '$args' (exit $rc)"; head -3 "$tmp/bad.log"
	fi
done
OUT="$OUT_DIR" ./build.sh minimize --out "$tmp/none" corpus/schedule/fresh-arena.bin >"$tmp/pass.log" 2>&1
rc=$?
if [ $rc -eq 1 ] && grep -q 'nothing to minimise' "$tmp/pass.log" && [ ! -d "$tmp/none" ]; then
	echo "PASS minimize-passing-input (exit 1, nothing written)"
else
	echo "FAIL minimize-passing-input (exit $rc)"; tail -3 "$tmp/pass.log"
fi
