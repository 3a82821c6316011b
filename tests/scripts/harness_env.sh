#!/usr/bin/env bash
# harness_env.sh - the fuzz targets' environment variables.
#  - a malformed FZ_TRACE, FZ_ENGINE, FZ_BUDGET, FZ_STATS, FZ_FEEDBACK or
#    FZ_MUTATOR stops the target with exit status 2 and a message naming
#    the variable, before libFuzzer runs an input (so no crash file is
#    written)
#  - FZ_STATS=1 prints one totals line at exit whose counts agree with the
#    per-input verdict line FZ_TRACE=1 prints
#  - every TSan target runs with the built-in TSan defaults fz_target.c
#    declares (a race halts; no report from inside the crash handler; no
#    second of sleep at exit), as TSan's own flag listing shows them
set -uo pipefail
cd "$ROOT"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for t in fuzz_schedule fuzz_needzero fuzz_schedule_freerun; do
	for bad in FZ_TRACE=yes FZ_ENGINE=green FZ_BUDGET=0 FZ_STATS=2 FZ_FEEDBACK=2 FZ_MUTATOR=bits; do
		name=${bad%%=*}
		rm -rf "$tmp/cwd" && mkdir -p "$tmp/cwd"
		(cd "$tmp/cwd" && env "$bad" "$OUT_DIR/$t" -runs=3 >"$tmp/log" 2>&1)
		rc=$?
		crashes=$(find "$tmp/cwd" -name 'crash-*' | wc -l)
		if [ "$rc" -eq 2 ] && grep -q "$name=.*is not valid" "$tmp/log" && [ "$crashes" -eq 0 ]; then
			echo "PASS harness-env-rejects $t $bad (exit 2, names $name)"
		else
			echo "FAIL harness-env-rejects $t $bad: exit $rc, $crashes crash files; output ends:"
			tail -5 "$tmp/log"
		fi
	done
done

# One input: the totals line must repeat the verdict line's counts.
seed=corpus/schedule/out-of-order-caches.bin
FZ_TRACE=1 FZ_STATS=1 "$OUT_DIR/fuzz_schedule" "$seed" >"$tmp/log" 2>&1
verdict=$(sed -n 's/^==== verdict: ok (\([0-9]*\) zeroing decisions, \([0-9]*\) pages zeroed although never used.*/\1 \2/p' "$tmp/log")
stats=$(sed -n 's/^pageheap-fuzz stats: 1 inputs, .*, \([0-9]*\) zeroing decisions, \([0-9]*\) pages zeroed although never used, .*/\1 \2/p' "$tmp/log")
if [ -n "$verdict" ] && [ "$verdict" = "$stats" ] && [ "${verdict#* }" -gt 0 ]; then
	echo "PASS harness-env-stats $seed (decisions and spurious pages: $stats)"
else
	echo "FAIL harness-env-stats $seed: verdict says '${verdict:-nothing}', stats say '${stats:-nothing}'"
	tail -5 "$tmp/log"
fi

# Without FZ_STATS there is no totals line.
"$OUT_DIR/fuzz_schedule" "$seed" >"$tmp/log" 2>&1
if grep -q '^pageheap-fuzz stats:' "$tmp/log"; then
	echo "FAIL harness-env-stats-off: a totals line without FZ_STATS"
else
	echo "PASS harness-env-stats-off"
fi

# The built-in TSan defaults, as TSan lists its flags' current values
# (TSAN_OPTIONS=help=1 adds the listing and changes nothing else).
for t in fuzz_schedule fuzz_needzero fuzz_schedule_freerun fuzz_pagealloc fuzz_decode; do
	TSAN_OPTIONS=help=1 "$OUT_DIR/$t" -runs=0 >"$tmp/log" 2>&1
	bad=""
	for want in "halt_on_error:true" "report_signal_unsafe:false" "atexit_sleep_ms:0"; do
		flag=${want%%:*} value=${want#*:}
		got=$(grep -A1 -E "^[[:space:]]*$flag\$" "$tmp/log" | sed -n 's/.*(Current Value: \(.*\))$/\1/p' | head -1)
		[ "$got" = "$value" ] || bad="$bad $flag=${got:-missing}"
	done
	if [ -z "$bad" ]; then
		echo "PASS harness-env-tsan-defaults $t (halt_on_error, report_signal_unsafe=0, atexit_sleep_ms=0)"
	else
		echo "FAIL harness-env-tsan-defaults $t:$bad"
	fi
done
