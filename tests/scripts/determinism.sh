#!/usr/bin/env bash
# determinism.sh - the same bytes give the same schedule, trace and verdict.
#  - every corpus input replayed 100 times in one process prints one and
#    the same trace, in the TSan build and in a build without sanitizers
#  - two libFuzzer runs with the same -seed and -runs end with the same
#    coverage and feature counts
set -uo pipefail
cd "$ROOT"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# A build without sanitizers (libFuzzer only), kept beside the others.
plain=$ROOT/build/fuzz-plain
make -s -j"$(nproc)" B="$plain" SAN= HOOKS=1 CC=clang CXX=clang++ OPT="-O2 -g" \
	CFLAGS=-fsanitize=fuzzer-no-link LIB_FUZZING_ENGINE=-fsanitize=fuzzer targets >"$tmp/build.log" 2>&1 ||
	{ echo "FAIL determinism-plain-build"; tail -20 "$tmp/build.log"; exit 0; }

# distinct_traces BIN FILE: number of different traces over 100 replays.
distinct_traces() {
	# One line per replay: the trace's lines joined with '|'.
	FZ_TRACE=1 TSAN_OPTIONS=halt_on_error=1 "$1" -runs=100 "$2" 2>&1 |
		awk '/^schedule: /{t=""; on=1} on{t=t $0 "|"} /^==== verdict/{if (on) print t; on=0}' >"$tmp/traces"
	local n
	n=$(wc -l <"$tmp/traces")
	[ "$n" -eq 100 ] || { echo "0 (only $n traces printed)"; return; }
	sort -u "$tmp/traces" | wc -l
}

for dir in corpus/schedule corpus/needzero; do
	t=fuzz_$(basename "$dir")
	for f in "$dir"/*.bin "$dir"/regressions/*.bin; do
		[ -f "$f" ] || continue
		for build in tsan plain; do
			bin=$OUT_DIR/$t
			[ "$build" = plain ] && bin=$plain/$t
			n=$(distinct_traces "$bin" "$f")
			if [ "$n" = 1 ]; then
				echo "PASS determinism-trace-$build $f"
			else
				echo "FAIL determinism-trace-$build $f: $n different traces in 100 replays"
			fi
		done
	done
done

# Same -seed, same -runs: same coverage and features.  -reload=0: libFuzzer
# otherwise rereads its corpus folder once a second, and re-running seeds it
# had reduced away shifts every later iteration by wall-clock time.
# Address-space randomisation off where allowed (setarch -R, as bugs.sh):
# libFuzzer's compare tracing sees some heap addresses, and the mutations
# it derives from them move a fixed-seed run with the layout.
NO_ASLR=()
setarch "$(uname -m)" -R true 2>/dev/null && NO_ASLR=(setarch "$(uname -m)" -R)
for build in tsan plain; do
	for t in fuzz_schedule fuzz_needzero; do
		bin=$OUT_DIR/$t
		[ "$build" = plain ] && bin=$plain/$t
		for k in 1 2; do
			rm -rf "$tmp/c$k-$t"
			mkdir -p "$tmp/c$k-$t"
			cp corpus/"${t#fuzz_}"/*.bin "$tmp/c$k-$t/"
			TSAN_OPTIONS=halt_on_error=1 "${NO_ASLR[@]}" "$bin" -seed=7 -runs=1500 -reload=0 "$tmp/c$k-$t" >"$tmp/lf$k-$t.log" 2>&1
			grep -E '^#[0-9]+[[:space:]]+DONE' "$tmp/lf$k-$t.log" | sed 's/exec\/s: [0-9]* //; s/rss: [0-9]*Mb//' >"$tmp/done$k-$t"
		done
		if [ -s "$tmp/done1-$t" ] && cmp -s "$tmp/done1-$t" "$tmp/done2-$t"; then
			echo "PASS determinism-libfuzzer-seed-$build $t ($(cat "$tmp/done1-$t"))"
		else
			echo "FAIL determinism-libfuzzer-seed-$build $t: $(cat "$tmp/done1-$t") vs $(cat "$tmp/done2-$t")"
		fi
	done
done
