#!/usr/bin/env bash
# trace_html.sh - the picture of a trace shows the same story as its text.
#  - for every committed schedule and needzero input (seeds and regressions)
#    `schedtool trace --html` shows every row of `schedtool trace`, event by
#    event, under the same verdict, and loads nothing from outside
#    (tests/scripts/trace_compare.py)
#  - a failing run (a tiny FZ_BUDGET turns a seed into a LIVELOCK) marks
#    and links its verdict row
#  - `schedtool trace` tells the same story as the fuzz target's own
#    FZ_TRACE=1 output
#  - `./build.sh repro --html` writes the page and says where; bad
#    arguments exit 2
set -uo pipefail
cd "$ROOT"
tool=$OUT_DIR/schedtool
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# compare LABEL FILE TARGET [ENV...]: text and HTML of one input agree.
compare() {
	local label=$1 file=$2 target=$3
	shift 3
	env "$@" "$tool" trace "$file" "$target" >"$tmp/t.txt" 2>"$tmp/err"
	local rc_text=$?
	env "$@" "$tool" trace --html "$file" "$target" >"$tmp/t.html" 2>>"$tmp/err"
	local rc_html=$?
	if [ "$rc_text" -gt 1 ] || [ "$rc_text" != "$rc_html" ]; then
		echo "FAIL trace-html $label: exit statuses $rc_text (text) and $rc_html (html)"
		head -5 "$tmp/err"
		return
	fi
	if python3 "$ROOT/tests/scripts/trace_compare.py" "$tmp/t.txt" "$tmp/t.html" >"$tmp/cmp" 2>&1; then
		local rows
		rows=$(grep -c '^<tr' "$tmp/t.html")
		echo "PASS trace-html $label ($rows rows, $(sed -n 's/^==== verdict: \([^ :]*\).*/\1/p' "$tmp/t.txt"))"
	else
		echo "FAIL trace-html $label"
		head -5 "$tmp/cmp"
	fi
}

for dir in corpus/schedule corpus/needzero; do
	target=${dir#corpus/}
	for f in "$dir"/*.bin "$dir"/regressions/*.bin; do
		[ -f "$f" ] && compare "$f" "$f" "$target"
	done
done

compare "livelock FZ_BUDGET=30 corpus/schedule/lock-contention.bin" corpus/schedule/lock-contention.bin schedule FZ_BUDGET=30
if grep -q 'LIVELOCK' "$tmp/t.txt" && grep -q 'class="ev [^"]* step' "$tmp/t.html"; then
	echo "PASS trace-html-failing-step (LIVELOCK; its verdict row and the step before it marked)"
else
	echo "FAIL trace-html-failing-step (no LIVELOCK with FZ_BUDGET=30, or no step marked)"
fi

# The text form is the fuzz target's story: same rows, same verdict.
for f in corpus/schedule/lock-contention.bin corpus/needzero/claim-overlap-inside.bin; do
	t=fuzz_$(basename "$(dirname "$f")")
	"$tool" trace "$f" "$t" >"$tmp/tool.txt" 2>&1
	FZ_TRACE=1 "$OUT_DIR/$t" "$f" 2>&1 | sed -n '/^schedule: /,/^==== verdict/p' >"$tmp/target.txt"
	if [ -s "$tmp/target.txt" ] && cmp -s "$tmp/tool.txt" "$tmp/target.txt"; then
		echo "PASS trace-tool-matches-target $f ($(wc -l <"$tmp/tool.txt") lines)"
	else
		echo "FAIL trace-tool-matches-target $f"
		diff "$tmp/tool.txt" "$tmp/target.txt" | head -10
	fi
done

# build.sh repro --html: the page lands in work/trace/ and is named.
f=corpus/schedule/multi-arena.bin
page=$ROOT/work/trace/$(basename "$f").html
rm -f "$page"
if OUT="$OUT_DIR" ./build.sh repro --html "$f" >"$tmp/repro.log" 2>&1 && [ -s "$page" ] &&
	grep -qF "wrote $page" "$tmp/repro.log" && grep -q '^build.sh: verdict ok' "$tmp/repro.log" &&
	"$tool" trace "$f" >"$tmp/t.txt" 2>&1 && python3 tests/scripts/trace_compare.py "$tmp/t.txt" "$page" >"$tmp/cmp"; then
	echo "PASS build-repro-html ($page)"
else
	echo "FAIL build-repro-html"
	cat "$tmp/repro.log" "$tmp/cmp" 2>/dev/null | head -10
fi
rm -f "$page"

for args in "--html" "--html $f fuzz_schedule extra" "--html corpus/decode/fresh-arena.bin" "--html $f fuzz_nosuch"; do
	# shellcheck disable=SC2086 # the words are the arguments
	OUT="$OUT_DIR" ./build.sh repro $args >"$tmp/bad.log" 2>&1
	rc=$?
	if [ $rc -eq 2 ] && grep -q '^usage: ./build.sh' "$tmp/bad.log"; then
		echo "PASS build-repro-html-usage repro $args (exit 2 with the usage)"
	else
		echo "FAIL build-repro-html-usage repro $args (exit $rc)"
		head -3 "$tmp/bad.log"
	fi
done
for args in "trace" "trace --html" "trace --bogus $f" "trace $f schedule extra" "trace $f nosuch"; do
	# shellcheck disable=SC2086
	"$tool" $args >"$tmp/bad.log" 2>&1
	rc=$?
	if [ $rc -eq 2 ] && grep -q '^usage: schedtool' "$tmp/bad.log"; then
		echo "PASS schedtool-trace-usage $args (exit 2 with the usage)"
	else
		echo "FAIL schedtool-trace-usage $args (exit $rc)"
		head -3 "$tmp/bad.log"
	fi
done
