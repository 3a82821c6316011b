#!/usr/bin/env bash
# bench/tsan_calls.sh - calls into ThreadSanitizer's runtime per input of
# bench_engine's sequential floor (the standard schedule, bench/engine.sh),
# counted exactly with uprobes on the runtime's entry points (perf stat):
# memory-access checks by size, function entries (each has an exit too),
# and atomics.  Unlike a time, the count is the same on every run, so a
# change to the allocator or the harness can be judged on a noisy machine
# (time per call differs by kind: an acquire joins a vector clock, a write
# costs more than a read).  With --baseline REV the same for an older
# commit's bench_engine (built by bench/engine.sh --baseline REV).
#
#   bench/tsan_calls.sh [--inputs N] [--strategy S] [--baseline REV]
#
# Needs root, perf and tracefs (uprobe_events); the probes it adds are
# removed on exit.  Usage errors exit 2, a missing tool or binary 1.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
INPUTS=200 STRATEGY=random BASELINE=""
usage() { echo "usage: bench/tsan_calls.sh [--inputs N] [--strategy S] [--baseline REV]" >&2; exit 2; }
while [ $# -gt 0 ]; do
	case $1 in
	--inputs) [ $# -ge 2 ] || usage; INPUTS=$2; shift 2 ;;
	--strategy) [ $# -ge 2 ] || usage; STRATEGY=$2; shift 2 ;;
	--baseline) [ $# -ge 2 ] || usage; BASELINE=$2; shift 2 ;;
	*) usage ;;
	esac
done
[[ $INPUTS =~ ^[0-9]+$ && $INPUTS -gt 0 ]] || { echo "tsan_calls.sh: --inputs takes a positive integer" >&2; exit 2; }
EVENTS=/sys/kernel/tracing/uprobe_events
[ -w "$EVENTS" ] || { echo "tsan_calls.sh: cannot write $EVENTS (needs root and tracefs)" >&2; exit 1; }
command -v perf >/dev/null || { echo "tsan_calls.sh: perf not found" >&2; exit 1; }

bins=("$ROOT/build/bench-tsan/bench_engine")
if [ -n "$BASELINE" ]; then
	sha=$(git rev-parse --verify --quiet "$BASELINE^{commit}") ||
		{ echo "tsan_calls.sh: --baseline $BASELINE is not a commit" >&2; exit 2; }
	b=$ROOT/build/bench-base-$sha-tsan/bench_engine
	[ -x "$b" ] || { echo "tsan_calls.sh: no $b (run bench/engine.sh --baseline $BASELINE first)" >&2; exit 1; }
	bins+=("$b")
fi
make -s -j"$(nproc)" B=build/bench-tsan SAN=-fsanitize=thread HOOKS=1 CC=clang OPT="-O1 -g" benches

GROUP=fz_tsan_calls
cleanup() { # removes this script's probes
	local l probes
	probes=$(sed -n "s/^p:$GROUP\/\([^ ]*\) .*/-:$GROUP\/\1/p" "$EVENTS" 2>/dev/null || true)
	for l in $probes; do echo "$l" >>"$EVENTS" 2>/dev/null || true; done
}
trap cleanup EXIT

ENTRIES="read1 read2 read4 read8 read16 write1 write2 write4 write8 write16 unaligned_read8 unaligned_write8
	read_range write_range func_entry atomic32_load atomic64_load atomic32_store atomic64_store
	atomic32_fetch_add atomic64_fetch_add atomic32_fetch_sub atomic64_fetch_sub
	atomic32_compare_exchange_val atomic64_compare_exchange_val atomic32_compare_exchange_strong
	atomic64_compare_exchange_strong"
count() { # BIN -> lines "entry calls-per-input"
	local bin=$1 e a
	cleanup
	for e in $ENTRIES; do
		a=$(nm "$bin" | awk -v f="__tsan_$e" '$3 == f { print $1 }')
		[ -n "$a" ] && echo "p:$GROUP/$e $bin:0x$a" >>"$EVENTS"
	done
	perf stat -x, -e "$GROUP:*" "$bin" --inputs "$INPUTS" --repeat 1 --strategy "$STRATEGY" --mode sequential 2>&1 >/dev/null |
		awk -F, -v n="$INPUTS" -v g="$GROUP:" '$3 ~ g { sub(g, "", $3); printf "%s %.1f\n", $3, $1 / n }'
}

declare -A C
names=()
for i in "${!bins[@]}"; do
	while read -r e v; do
		C[$i,$e]=$v
		[[ " ${names[*]} " == *" $e "* ]] || names+=("$e")
	done < <(count "${bins[$i]}")
done
printf '%-34s %12s' "TSan entry (calls per input)" "this tree"
[ -n "$BASELINE" ] && printf ' %12s %8s' "$BASELINE" "ratio"
echo
tot0=0 tot1=0
for e in "${names[@]}"; do
	v0=${C[0,$e]:-0} v1=${C[1,$e]:-0}
	[ "$v0" = 0.0 ] && [ "${v1}" = 0.0 -o "${v1}" = 0 ] && continue
	printf '%-34s %12s' "$e" "$v0"
	[ -n "$BASELINE" ] && printf ' %12s %8s' "$v1" "$(awk -v a="$v0" -v b="$v1" 'BEGIN { printf (a > 0 ? "%.2fx" : "-"), b / a }')"
	echo
	tot0=$(awk -v t="$tot0" -v v="$v0" -v e="$e" 'BEGIN { print t + v * (e == "func_entry" ? 2 : 1) }')
	tot1=$(awk -v t="$tot1" -v v="$v1" -v e="$e" 'BEGIN { print t + v * (e == "func_entry" ? 2 : 1) }')
done
printf '%-34s %12.1f' "total (each entry counted with its exit)" "$tot0"
[ -n "$BASELINE" ] && printf ' %12.1f %8s' "$tot1" "$(awk -v a="$tot0" -v b="$tot1" 'BEGIN { printf "%.2fx", b / a }')"
echo
