#!/usr/bin/env bash
# fuzz_e2e.sh - the findings pipeline end to end, as a user runs it: a build
# with a planted bug, `./build.sh fuzz` under the TSan and the ASan build,
# and the `repro` command it prints.
#
# Planted bugs, each found by the targets named:
#   ALLOC_BUG=searchaddr-past-free    fuzz_schedule, fuzz_needzero,
#                                     fuzz_schedule_freerun (HEAP) and
#                                     fuzz_pagealloc (PAGEALLOC)
#   HARNESS_BUG=text-drops-zero       fuzz_decode (DECODE)
# For each bug and each build, `./build.sh fuzz SECS` must end within the
# bound it states (plus slack for a loaded machine), print one row per
# target, report a finding with the expected oracle for every target named
# above, leave no sanitizer report about the harness in any log, exit 1,
# and every repro command it prints must replay to the same verdict.  One
# run also carries a fake target that ignores TERM: its row must say
# "hung" and the run must still end in time with the full table.
#
# Then the same failure path in the MSan and plain (no sanitizer) builds:
# each target's finding, as libFuzzer's only seed, prints the same verdict
# line, is written as a crash file and ends the process non-zero.
set -uo pipefail
cd "$ROOT"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
SECS=12
SLACK=20
E2E=$ROOT/build/e2e
mkdir -p "$E2E"

pass() { echo "PASS $*"; }
fail() { echo "FAIL $*"; }

# table_row LOG TARGET: that target's row of the table ("status findings verdict").
table_row() {
	awk -v t="$2" '$1 == t && NF >= 8 { print $2, $7, $8 }' "$1" | tail -n 1
}

# fuzz_case NAME ENV SAN "TARGET:ORACLE ..." [HANG]: one ./build.sh fuzz run.
fuzz_case() {
	local name=$1 envs=$2 san=$3 expect=$4 hang=${5:-}
	local out=$E2E/out-$name work=$tmp/work-$name log=$tmp/$name-$san.log flag=""
	[ "$san" = asan ] && flag=--asan
	local bindir=$out
	[ "$san" = asan ] && bindir=$out/asan
	mkdir -p "$bindir"
	rm -f "$bindir/fuzz_zz_hang"
	if [ -n "$hang" ]; then
		# A target that ignores TERM and never ends: the run must stop it.
		printf '#!/bin/sh\ntrap "" TERM INT\necho "#1 INITED cov: 1 ft: 1 corp: 1/1b exec/s: 0 rss: 1Mb"\nwhile :; do sleep 1; done\n' \
			>"$bindir/fuzz_zz_hang"
		chmod +x "$bindir/fuzz_zz_hang"
	fi
	# Timestamps per line: the bound is checked from the moment fuzzing
	# starts, after the build.
	local rc
	(env $envs OUT="$out" FUZZ_WORK="$work" timeout -k 5 900 ./build.sh fuzz $flag "$SECS"; echo "exit-status $?") 2>&1 |
		while IFS= read -r line; do printf '%s %s\n' "$(date +%s)" "$line"; done >"$log"
	rm -f "$bindir/fuzz_zz_hang"
	rc=$(sed -n 's/^[0-9]* exit-status //p' "$log")
	local t0 t1 bound
	t0=$(awk '/build.sh: fuzzing/ { print $1; exit }' "$log")
	t1=$(tail -n 1 "$log" | cut -d' ' -f1)
	bound=$(sed -n 's/.*ends within about \([0-9]*\)s.*/\1/p' "$log")
	sed -i 's/^[0-9]* //' "$log"
	local what="$name ($san build, ${SECS}s)"
	if [ "$rc" = 1 ]; then
		pass "fuzz-e2e-exit $what (exit status 1: something was found)"
	else
		fail "fuzz-e2e-exit $what: exit status ${rc:-none}, want 1"
		tail -n 30 "$log"
	fi
	if [ -n "$t0" ] && [ -n "$bound" ] && [ $((t1 - t0)) -le $((bound + SLACK)) ]; then
		pass "fuzz-e2e-in-time $what (fuzzing took $((t1 - t0))s; stated bound ${bound}s)"
	else
		fail "fuzz-e2e-in-time $what: fuzzing took $((t1 - ${t0:-t1}))s, stated bound '${bound:-none}'s plus ${SLACK}s slack"
	fi
	# One row per target, found or not.
	local t rows=0 missing=""
	for t in $(cd "$bindir" && ls fuzz_* 2>/dev/null) ${hang:+fuzz_zz_hang}; do
		if [ -n "$(table_row "$log" "$t")" ]; then rows=$((rows + 1)); else missing+=" $t"; fi
	done
	if [ -z "$missing" ] && [ "$rows" -ge 5 ]; then
		pass "fuzz-e2e-table $what ($rows rows)"
	else
		fail "fuzz-e2e-table $what: no row for$missing"
		sed -n '/^target /,$p' "$log"
	fi
	local e tgt want row
	for e in $expect; do
		tgt=${e%%:*} want=${e#*:}
		row=$(table_row "$log" "$tgt")
		set -- $row
		if [ "${1:-}" = found ] && [ "${2:-0}" -ge 1 ] && [ "${3:-}" = "$want" ]; then
			pass "fuzz-e2e-found $what $tgt ($want)"
		else
			fail "fuzz-e2e-found $what $tgt: row '$row', want 'found N $want'"
			tail -n 20 "$work"/fuzz*/"$tgt"/log 2>/dev/null
		fi
	done
	if [ -n "$hang" ]; then
		row=$(table_row "$log" fuzz_zz_hang)
		if [ "${row%% *}" = hung ] && grep -q '^hung: fuzz_zz_hang' "$log"; then
			pass "fuzz-e2e-hung $what (a target that ignores TERM is stopped and reported)"
		else
			fail "fuzz-e2e-hung $what: row '$row'"
		fi
	fi
	# No sanitizer report about the harness: the only sanitizer line a
	# finding may leave is libFuzzer's own advice.
	local noise
	noise=$(cat "$work"/fuzz*/fuzz_*/log 2>/dev/null | grep -E 'WARNING: ThreadSanitizer|ERROR: AddressSanitizer|WARNING: MemorySanitizer|runtime error:|ERROR: LeakSanitizer' | sort -u | head -n 3)
	if [ -z "$noise" ]; then
		pass "fuzz-e2e-no-sanitizer-noise $what"
	else
		fail "fuzz-e2e-no-sanitizer-noise $what: $noise"
	fi
	# Every printed repro command replays to the verdict the table gave.
	local line cmd got n=0
	while IFS= read -r line; do
		n=$((n + 1))
		want=$(sed -n 's/^finding in [a-z_]* (\([^)]*\)):.*/\1/p' <<<"$line")
		cmd=${line#*: }
		timeout -k 5 300 bash -c "cd '$ROOT' && $cmd" >"$tmp/repro.log" 2>&1
		got=$(sed -n 's/^==== verdict: \([A-Z0-9]*\):.*/\1/p' "$tmp/repro.log" | head -n 1)
		if [ -n "$want" ] && [ "$got" = "$want" ]; then
			pass "fuzz-e2e-repro $what: $(sed 's/.*repro //' <<<"$cmd" | awk '{print $NF}') ($got)"
		else
			fail "fuzz-e2e-repro $what: '$cmd' gave '${got:-no verdict}', the table said '$want'"
			tail -n 15 "$tmp/repro.log"
		fi
	done < <(grep '^finding in ' "$log")
	[ "$n" -gt 0 ] || fail "fuzz-e2e-repro $what: no repro command printed"
}

SA="fuzz_schedule:HEAP fuzz_needzero:HEAP fuzz_schedule_freerun:HEAP fuzz_pagealloc:PAGEALLOC"
fuzz_case searchaddr "ALLOC_BUG=searchaddr-past-free" tsan "$SA"
fuzz_case searchaddr "ALLOC_BUG=searchaddr-past-free" asan "$SA"
fuzz_case textzero "HARNESS_BUG=text-drops-zero" tsan "fuzz_decode:DECODE" hang
fuzz_case textzero "HARNESS_BUG=text-drops-zero" asan "fuzz_decode:DECODE"

# ---- MSan and plain builds: the same failure path ----------------------------

# build_variant DIR SAN BUG HBUG: the fuzz targets in one more build.
build_variant() {
	make -s -j"$(nproc)" B="$1" SAN="$2" HOOKS=1 CC=clang CXX=clang++ BUG="$3" HBUG="$4" \
		CFLAGS=-fsanitize=fuzzer-no-link LIB_FUZZING_ENGINE=-fsanitize=fuzzer targets
}

# One crash input per target, from the TSan runs above (replays are
# deterministic for every target but the free-running one, which gets
# retries).
for variant in msan plain; do
	case $variant in
	msan) san="-fsanitize=memory -fsanitize-memory-track-origins" ;;
	plain) san="" ;;
	esac
	for bugspec in "searchaddr-past-free:" ":text-drops-zero"; do
		bug=${bugspec%%:*} hbug=${bugspec#*:}
		dir=$E2E/$variant-${bug:-h$hbug}
		if ! build_variant "$dir" "$san" "$bug" "$hbug" >"$tmp/build.log" 2>&1; then
			fail "fuzz-e2e-build $variant ${bug:-$hbug}"; tail -n 20 "$tmp/build.log"; continue
		fi
		name=searchaddr; [ -n "$hbug" ] && name=textzero
		for f in "$tmp"/work-$name/fuzz/fuzz_*/crashes/crash-*; do
			[ -f "$f" ] || continue
			t=${f%/crashes/*}; t=${t##*/}
			want=$(sed -n 's/^finding in '"$t"' (\([^)]*\)):.*/\1/p' "$tmp/$name-tsan.log" | head -n 1)
			got="" written=0 rc=0
			for attempt in $(seq 1 20); do
				# Fuzzing mode over a corpus of that one input, so libFuzzer
				# saves what crashes (replaying a file names it instead).
				rm -rf "$tmp/art" "$tmp/in" && mkdir -p "$tmp/art" "$tmp/in" && cp "$f" "$tmp/in/"
				(cd "$tmp/art" && timeout -k 5 120 "$dir/$t" -runs=2 -artifact_prefix="$tmp/art/" "$tmp/in" >"$tmp/run.log" 2>&1)
				rc=$?
				[ "$rc" -ne 0 ] && break
				[ "${t%_freerun}" != "$t" ] || break
			done
			got=$(sed -n 's/^==== verdict: \([A-Z0-9]*\):.*/\1/p' "$tmp/run.log" | head -n 1)
			written=$(find "$tmp/art" -name 'crash-*' | wc -l)
			noise=$(grep -E 'WARNING: ThreadSanitizer|ERROR: AddressSanitizer|WARNING: MemorySanitizer|runtime error:' "$tmp/run.log" | head -n 1)
			if [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] && [ "$rc" -ne 137 ] && [ "$got" = "$want" ] && [ "$written" -eq 1 ] && [ -z "$noise" ]; then
				pass "fuzz-e2e-$variant $t ($got, crash file written, exit $rc)"
			else
				fail "fuzz-e2e-$variant $t: exit $rc, verdict '${got:-none}' (want '$want'), $written crash files${noise:+, $noise}"
				tail -n 15 "$tmp/run.log"
			fi
		done
	done
done
