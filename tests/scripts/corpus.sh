#!/usr/bin/env bash
# corpus.sh - the committed corpus is consistent and replays clean.
#  - every text schedule survives schedtool's round trip (check)
#  - every NAME.bin is exactly the encoding of NAME.txt
#  - every seed and regression input replays without a failure under the
#    TSan build ($OUT_DIR/fuzz_*) and the ASan+UBSan build ($OUT_DIR/asan/)
set -uo pipefail
cd "$ROOT"
tool=$OUT_DIR/schedtool
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for txt in corpus/*/*.txt corpus/*/regressions/*.txt; do
	[ -f "$txt" ] || continue
	name=${txt%.txt}
	if "$tool" check "$txt" >"$tmp/check.log" 2>&1; then
		echo "PASS corpus-roundtrip $txt"
	else
		echo "FAIL corpus-roundtrip $txt"; cat "$tmp/check.log"
	fi
	if "$tool" encode "$txt" "$tmp/enc.bin" >/dev/null 2>&1 && cmp -s "$tmp/enc.bin" "$name.bin"; then
		echo "PASS corpus-bin-matches-text $name.bin"
	else
		echo "FAIL corpus-bin-matches-text $name.bin (regenerate: $tool encode $txt $name.bin)"
	fi
done

for dir in corpus/*/; do
	t=fuzz_$(basename "$dir")
	for build in "$OUT_DIR" "$OUT_DIR/asan"; do
		bin=$build/$t
		[ -x "$bin" ] || { echo "FAIL corpus-replay $t: $bin missing"; continue; }
		label=$( [ "$build" = "$OUT_DIR" ] && echo tsan || echo asan )
		for f in "$dir"* "$dir"regressions/*; do
			[ -f "$f" ] || continue
			case $f in *.txt|*.md) continue ;; esac
			if TSAN_OPTIONS="halt_on_error=1" "$bin" "$f" >"$tmp/run.log" 2>&1; then
				echo "PASS corpus-replay-$label $f"
			else
				echo "FAIL corpus-replay-$label $f"; tail -30 "$tmp/run.log"
			fi
		done
	done
done
