#!/usr/bin/env bash
# coverage.sh - ./build.sh coverage measures what the corpus covers.
#
# Runs in a copy of the project (sources, corpus; no build/, out/, work/) so
# the report and the fuzzing it does stay out of the real work/ folder; the
# fuzz targets of the local build ($OUT_DIR) are reused.  `coverage 5`:
#  - fuzzes every target about a second (ASan build) into work/fuzz/*/corpus
#  - builds the coverage variant, replays the committed corpus plus those
#    finds, and prints a per-file table of allocator/ in which
#    allocator/ph_zeroing.c has covered lines
#  - writes work/coverage/index.html naming allocator/ph_zeroing.c, with a
#    page of its own, and prints where index.html is
#  - counts the inputs fuzzing added for each target
# Bad arguments exit 2 with the usage.
set -uo pipefail
cd "$ROOT"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
copy=$tmp/project
mkdir -p "$copy"
tar -C "$ROOT" --exclude=./build --exclude=./out --exclude=./work --exclude=./.git -cf - . | tar -C "$copy" -xf -

OUT="$OUT_DIR" "$copy/build.sh" coverage 5 >"$tmp/cov.log" 2>&1
rc=$?
if [ $rc -eq 0 ]; then
	echo "PASS coverage-runs (exit 0)"
else
	echo "FAIL coverage-runs (exit $rc)"; tail -20 "$tmp/cov.log"
fi

row=$(grep -E '^allocator/ph_zeroing\.c ' "$tmp/cov.log")
covered=$(echo "$row" | awk '{ split($2, a, "/"); print a[1] + 0 }')
if [ -n "$row" ] && [ "$covered" -gt 0 ] && grep -qE '^TOTAL ' "$tmp/cov.log"; then
	echo "PASS coverage-table (allocator/ph_zeroing.c: $(echo "$row" | awk '{ print $2, $3 }') lines)"
else
	echo "FAIL coverage-table (no allocator/ph_zeroing.c row with covered lines)"; grep -A3 '^file' "$tmp/cov.log"
fi

index=$copy/work/coverage/index.html
page=$(find "$copy/work/coverage" -name 'ph_zeroing.c.html' 2>/dev/null | head -1)
if [ -f "$index" ] && grep -q 'allocator/ph_zeroing.c' "$index" && [ -n "$page" ] &&
	grep -qF "HTML report (every file of allocator/ and fuzz/, line by line): $index" "$tmp/cov.log"; then
	echo "PASS coverage-html (index.html names allocator/ph_zeroing.c; its page: ${page#"$copy"/})"
else
	echo "FAIL coverage-html (index.html ${index#"$copy"/} or the page of ph_zeroing.c missing, or its path not printed)"
fi

# Fuzzing added inputs, and the replay counted them.
committed=$(find corpus/schedule corpus/schedule/regressions -maxdepth 1 -type f -name '*.bin' | wc -l)
found=$(find "$copy/work/fuzz/fuzz_schedule/corpus" -type f 2>/dev/null | wc -l)
counted=$(awk '$1 == "fuzz_schedule" && $2 ~ /^[0-9]+$/ { print $2 }' "$tmp/cov.log")
if [ "$found" -gt 0 ] && [ "${counted:-0}" -gt "$committed" ] &&
	grep -qE '^fuzz_schedule .*work/fuzz/fuzz_schedule/corpus' "$tmp/cov.log"; then
	echo "PASS coverage-fuzz-first (fuzz_schedule: $found inputs found; $counted replayed, $committed of them committed)"
else
	echo "FAIL coverage-fuzz-first (found $found, replayed ${counted:-?}, committed $committed)"
	grep -E '^  fuzz_|^fuzz_' "$tmp/cov.log"
fi

for args in "abc" "1 2" "-5"; do
	# shellcheck disable=SC2086 # the words are the arguments
	OUT="$OUT_DIR" "$copy/build.sh" coverage $args >"$tmp/bad.log" 2>&1
	rc=$?
	if [ $rc -eq 2 ] && grep -q '^usage: ./build.sh' "$tmp/bad.log"; then
		echo "PASS coverage-usage '$args' (exit 2 with the usage)"
	else
		echo "FAIL coverage-usage '$args' (exit $rc)"; head -3 "$tmp/bad.log"
	fi
done
