#!/usr/bin/env bash
# feedback.sh - interleaving feedback and the custom mutator in the real
# fuzz targets, as libFuzzer (clang 14) runs them.
#  - libFuzzer reads the interleaving counters: replaying the committed
#    seeds counts more features (ft:) with FZ_FEEDBACK=1 than with
#    FZ_FEEDBACK=0, in the TSan, ASan+UBSan, MSan and sanitizer-free builds
#  - the free-running target records features from parallel threads with
#    no ThreadSanitizer report
#  - FZ_STATS=1 counts distinct interleaving features with the feedback on
#    or off
#  - the schedule-aware mutator is libFuzzer's custom mutator; with
#    FZ_MUTATOR=bytes, -len_control is back at libFuzzer's default (inputs
#    start short), with the structural mutator it is off (libFuzzer's
#    default for custom mutators)
set -uo pipefail
cd "$ROOT"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export TSAN_OPTIONS="halt_on_error=1" UBSAN_OPTIONS="halt_on_error=1"

fz() { # DIR: a libFuzzer build of the fuzz targets (SAN as given)
	make -s -j"$(nproc)" B="$1" SAN="$2" HOOKS=1 CC=clang CXX=clang++ OPT="${3:--O1 -g}" \
		CFLAGS=-fsanitize=fuzzer-no-link LIB_FUZZING_ENGINE=-fsanitize=fuzzer "$1/fuzz_schedule" "$1/fuzz_needzero"
}
# The sanitizer-free build is determinism.sh's (same folder, same flags).
fz "$ROOT/build/fuzz-plain" "" "-O2 -g" >"$tmp/plain.log" 2>&1 || { echo "FAIL feedback-build plain"; tail -20 "$tmp/plain.log"; }
fz "$ROOT/build/fuzz-msan" "-fsanitize=memory -fsanitize-memory-track-origins" >"$tmp/msan.log" 2>&1 ||
	{ echo "FAIL feedback-build msan"; tail -20 "$tmp/msan.log"; }

mkdir -p "$tmp/seeds-schedule" "$tmp/seeds-needzero"
cp corpus/schedule/*.bin "$tmp/seeds-schedule/"
cp corpus/needzero/*.bin "$tmp/seeds-needzero/"

# features BIN TARGET FEEDBACK: ft: after replaying the seeds.
features() {
	FZ_FEEDBACK=$3 "$1" -runs=0 "$tmp/seeds-${2#fuzz_}" 2>&1 | sed -n 's/^#[0-9]*[[:space:]]*INITED .* ft: \([0-9]*\) .*/\1/p' | tail -1
}

for build in tsan:"$OUT_DIR" asan:"$OUT_DIR/asan" msan:"$ROOT/build/fuzz-msan" plain:"$ROOT/build/fuzz-plain"; do
	name=${build%%:*} dir=${build#*:}
	for t in fuzz_schedule fuzz_needzero; do
		[ -x "$dir/$t" ] || { echo "FAIL feedback-read-by-libfuzzer $name $t: $dir/$t was not built"; continue; }
		on=$(features "$dir/$t" "$t" 1)
		off=$(features "$dir/$t" "$t" 0)
		if [ -n "$on" ] && [ -n "$off" ] && [ "$on" -gt "$off" ]; then
			echo "PASS feedback-read-by-libfuzzer $name $t (seeds: ft $on with feedback, $off without)"
		else
			echo "FAIL feedback-read-by-libfuzzer $name $t: ft '${on:-none}' with feedback, '${off:-none}' without"
		fi
	done
done

# Free-running: real parallel threads write the counters; TSan must stay quiet.
rm -rf "$tmp/fr" && mkdir -p "$tmp/fr" && cp "$tmp/seeds-schedule"/*.bin "$tmp/fr/"
if FZ_FEEDBACK=1 "$OUT_DIR/fuzz_schedule_freerun" -seed=1 -runs=300 -reload=0 "$tmp/fr" >"$tmp/fr.log" 2>&1 &&
	! grep -q 'ThreadSanitizer' "$tmp/fr.log"; then
	echo "PASS feedback-freerun-tsan (300 runs, $(grep -oE 'ft: [0-9]+' "$tmp/fr.log" | tail -1))"
else
	echo "FAIL feedback-freerun-tsan"
	grep -m3 -A8 'ThreadSanitizer\|ERROR' "$tmp/fr.log"
fi

# FZ_STATS counts features in both settings (the off count is what
# bench/feedback.sh compares against).
for fb in 1 0; do
	n=$(FZ_STATS=1 FZ_FEEDBACK=$fb "$OUT_DIR/fuzz_needzero" "$tmp"/seeds-needzero/*.bin 2>&1 |
		sed -n 's/^pageheap-fuzz stats: .*, \([0-9]*\) distinct interleaving features.*$/\1/p')
	if [ -n "$n" ] && [ "$n" -gt 0 ]; then
		echo "PASS feedback-stats FZ_FEEDBACK=$fb ($n distinct features over the needzero seeds)"
	else
		echo "FAIL feedback-stats FZ_FEEDBACK=$fb: '${n:-no stats line}'"
	fi
done

# The custom mutator is in use, and FZ_MUTATOR=bytes restores -len_control.
for mode in structural bytes; do
	rm -rf "$tmp/m" && mkdir -p "$tmp/m" && cp "$tmp/seeds-schedule"/*.bin "$tmp/m/"
	FZ_MUTATOR=$mode "$OUT_DIR/asan/fuzz_schedule" -seed=1 -runs=400 -reload=0 "$tmp/m" >"$tmp/m-$mode.log" 2>&1
	rc=$?
	lim=$(grep -m1 -oE 'NEW .* lim: [0-9]+' "$tmp/m-$mode.log" | sed 's/.*lim: //')
	custom=$(grep -c 'MS: .*Custom' "$tmp/m-$mode.log")
	if [ "$mode" = structural ]; then
		ok=$([ "$rc" -eq 0 ] && [ "${lim:-0}" = 4096 ] && [ "$custom" -gt 0 ] && echo 1)
	else
		ok=$([ "$rc" -eq 0 ] && [ -n "$lim" ] && [ "$lim" -lt 4096 ] && echo 1)
	fi
	if [ "$ok" = 1 ]; then
		echo "PASS feedback-mutator FZ_MUTATOR=$mode (first new input at lim: $lim, $custom new inputs made by the custom mutator)"
	else
		echo "FAIL feedback-mutator FZ_MUTATOR=$mode: exit $rc, lim '${lim:-none}', $custom custom"
		tail -5 "$tmp/m-$mode.log"
	fi
done
