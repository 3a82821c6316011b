#!/usr/bin/env bash
# govectors_loud.sh - a vector file that drifts cannot turn into a silent pass.
#
# test_govectors reads Go's tables as C data generated at build time
# (tests/json2c.py, the Makefile's VECTORS).  This builds it (gcc, -O0, in
# build/govectors-loud) against broken copies of the file and checks that
# each breakage ends in a FAIL line naming it and a non-zero exit:
#   missing file, a file that is not JSON (trailing comma), a key repeated
#   within an object, a missing section, an unknown section, and a
#   malformed field (reported at its line in the file).
set -uo pipefail
cd "$ROOT"
real=../shared/reference/go1.15-pagealloc-vectors.json
B=$ROOT/build/govectors-loud
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if [ ! -f "$real" ]; then
	echo "FAIL govectors-loud (the vector file $real is missing)"
	exit 0
fi

# run_with NAME FILE: builds the driver against FILE, runs it into $tmp/NAME.log.
run_with() {
	if ! make -s B="$B" SAN= HOOKS=1 CC=gcc OPT="-O0 -g" VECTORS="$1" "$B/test_govectors" >"$tmp/build.log" 2>&1; then
		echo "build failed:"; tail -20 "$tmp/build.log"
		return 2
	fi
	"$B/test_govectors" >"$tmp/run.out" 2>"$tmp/run.err"
}

# expect NAME FILE FAIL-LINE [STDERR-PATTERN]: the driver exits non-zero,
# prints the FAIL line, and (if given) says the pattern on standard error.
expect() {
	local name=$1 file=$2 line=$3 pattern=${4:-}
	run_with "$file"
	local rc=$?
	if [ $rc -ne 0 ] && grep -qxF "$line" "$tmp/run.out" &&
		{ [ -z "$pattern" ] || grep -qE "$pattern" "$tmp/run.err"; }; then
		echo "PASS govectors-loud-$name ($line)"
	else
		echo "FAIL govectors-loud-$name (exit $rc; want '$line'${pattern:+ and /$pattern/ on stderr})"
		grep -E '^FAIL' "$tmp/run.out" | head -5
		head -5 "$tmp/run.err"
	fi
}

# mutate OUT PYTHON-STATEMENTS: a copy of the real file changed by the
# statements (on the parsed document d), written with one value per line.
mutate() {
	python3 - "$real" "$1" "$2" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
exec(sys.argv[3])
open(sys.argv[2], "w").write(json.dumps(d, indent=1) + "\n")
PY
}

expect missing-file "$tmp/nowhere.json" "FAIL govectors-file-missing" "no such file"

sed '0,/\]/s/\]/,]/' "$real" >"$tmp/comma.json"
expect not-json "$tmp/comma.json" "FAIL govectors-file-unreadable" "line [0-9]+, column [0-9]+"

python3 -c 'import sys; t = open(sys.argv[1]).read(); open(sys.argv[2], "w").write(t.replace("{", "{\"source\": 1, ", 1))' \
	"$real" "$tmp/dup.json"
expect repeated-key "$tmp/dup.json" "FAIL govectors-file-unreadable" 'key "source" appears twice'

mutate "$tmp/nosection.json" 'del d["pageAllocFree"]'
expect missing-section "$tmp/nosection.json" "FAIL govectors-missing-section/pageAllocFree"

mutate "$tmp/unknown.json" 'd["pageAllocScavenge"] = {"cases": []}'
expect unknown-section "$tmp/unknown.json" "FAIL govectors-unknown-section/pageAllocScavenge"

mutate "$tmp/field.json" 'd["pallocBitsAllocRange"]["cases"][1]["n"] = "one"'
# The bad value is the only "one" string of the file: its line is known.
want_line=$(grep -n '"n": "one"' "$tmp/field.json" | cut -d: -f1)
expect malformed-field "$tmp/field.json" "FAIL TestPallocBitsAllocRange/OneHigh" \
	"field.json:$want_line: column [0-9]+: bad vector data: n: expected an unsigned integer, got string"

# Back to the real file: every case passes, so the failures above came from
# the breakage and not from this build.
run_with "$real"
rc=$?
pass_count=$(grep -c '^PASS' "$tmp/run.out")
if [ $rc -eq 0 ] && ! grep -q '^FAIL' "$tmp/run.out" && [ "$pass_count" -gt 300 ]; then
	echo "PASS govectors-loud-real-file ($pass_count cases pass with the real file)"
else
	echo "FAIL govectors-loud-real-file (exit $rc, $pass_count PASS lines)"
	grep -E '^FAIL' "$tmp/run.out" | head -5
fi
