#!/usr/bin/env bash
# throughput_smoke.sh - bench/throughput.sh works end to end on a small
# scale: bad arguments exit 2; a short run prints one row per target and
# build with numeric rates; with --baseline (this checkout's HEAD, exported
# and built beside it) every row has both rates and their ratios.  The
# figures themselves are not judged: timings are noisy.
set -uo pipefail
cd "$ROOT"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bench=bench/throughput.sh

usage_ok=1
for args in "--runs x" "--repeat 0" "--builds msan" "--targets fuzz_pagealloc" "--baseline no-such-rev" "--bogus"; do
	# shellcheck disable=SC2086
	bash "$bench" $args --no-doc >"$tmp/usage.log" 2>&1
	rc=$?
	if [ "$rc" -ne 2 ]; then
		echo "FAIL throughput-usage: '$args' exited $rc, want 2"
		usage_ok=0
	fi
done
[ "$usage_ok" = 1 ] && echo "PASS throughput-usage (bad arguments exit 2)"

# A row: target, build, then numbers (and ratios with a baseline).
if bash "$bench" --runs 30 --repeat 1 --builds plain --targets fuzz_needzero --no-doc >"$tmp/run.log" 2>&1 &&
	grep -Eq '^fuzz_needzero +plain +[0-9]+ +[0-9]+$' "$tmp/run.log"; then
	echo "PASS throughput-run (fuzz_needzero, plain build, 30 runs)"
else
	echo "FAIL throughput-run"; tail -20 "$tmp/run.log"
fi

if git rev-parse --verify --quiet HEAD >/dev/null 2>&1; then
	if bash "$bench" --baseline HEAD --runs 30 --repeat 1 --builds plain --targets fuzz_needzero --no-doc \
		>"$tmp/base.log" 2>&1 &&
		grep -Eq '^fuzz_needzero +plain +[0-9]+ +[0-9]+ +[0-9.]+x +[0-9]+ +[0-9]+ +[0-9.]+x$' "$tmp/base.log"; then
		echo "PASS throughput-baseline (HEAD built beside this tree, ratios printed)"
	else
		echo "FAIL throughput-baseline"; tail -20 "$tmp/base.log"
	fi
fi
