#!/usr/bin/env bash
# bench/explore.sh - out/explore, measured in one run:
#  1. executions/s of explore (DPOR, K = 2) against the controlled fuzz
#     target replaying the same program's .bin as many times, in the same
#     build (TSan, out/), on the 3-thread seeds and one 2-thread seed;
#  2. the executions DPOR saves against --por none at K = 1 and 2 on every
#     seed program of corpus/schedule and corpus/needzero, with the distinct
#     terminal states each reaches, and what unbounded DPOR needs;
# and rewrites the explore sections of docs/BENCHMARKS.md (1 and 2) and
# docs/EXPLORE.md (the per-program table).
#
#   bench/explore.sh [--no-write] [--skip-slow]
#
# --skip-slow leaves out --por none at K = 2 on the 4-thread lock-contention
# program (about 130000 executions, minutes under TSan).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
WRITE=1 SKIP_SLOW=0
while [ $# -gt 0 ]; do
	case $1 in
	--no-write) WRITE=0; shift ;;
	--skip-slow) SKIP_SLOW=1; shift ;;
	*) echo "usage: bench/explore.sh [--no-write] [--skip-slow]" >&2; exit 2 ;;
	esac
done
./build.sh >/dev/null
OUT=${OUT:-$ROOT/out}
export TSAN_OPTIONS="halt_on_error=1 ${TSAN_OPTIONS:-}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# json FILE KEY: one number or word from explore's --json.
json() {
	sed -n "s/^  \"$2\": \"\{0,1\}\([^\",]*\)\"\{0,1\},\{0,1\}$/\1/p" "$1"
}

# explore FILE POR K [OPTIONS]: runs explore, leaves the JSON in $tmp/e.json.
explore() {
	"$OUT/explore" "$1" --drop-decisions --por "$2" --preemptions "$3" "${@:4}" --json "$tmp/e.json" >/dev/null 2>&1 || true
}

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
stamp="$(date -u +%Y-%m-%d), $(nproc) cores ($cpu), load average $(cut -d' ' -f1 /proc/loadavg) at the start"

# ---- 1. executions/s against the fuzz target ------------------------------
rate_table=$tmp/rate.md
{
	echo "| program | threads | executions | explore exec/s | fuzz target exec/s | explore / target |"
	echo "|---|---|---|---|---|---|"
} >"$rate_table"
for f in corpus/schedule/three-caches.txt corpus/needzero/three-arenas.txt corpus/needzero/three-claims.txt \
	corpus/schedule/fresh-arena.txt; do
	explore "$f" dpor 2
	n=$(json "$tmp/e.json" executions)
	xr=$(json "$tmp/e.json" executions_per_second)
	target=fuzz_$(basename "$(dirname "$f")")
	threads=$(json "$tmp/e.json" threads)
	ms=$("$OUT/$target" -runs="$n" "${f%.txt}.bin" 2>&1 | sed -n 's/^Executed .* in \([0-9]*\) ms$/\1/p')
	tr=$(awk -v n="$n" -v ms="$ms" 'BEGIN { printf "%.1f", (ms > 0) ? n * 1000 / ms : 0 }')
	ratio=$(awk -v a="$xr" -v b="$tr" 'BEGIN { printf "%.2f", (b > 0) ? a / b : 0 }')
	echo "| $(basename "$f") | $threads | $n | $xr | $tr | ${ratio}x |" >>"$rate_table"
done

# ---- 2. DPOR against --por none -------------------------------------------
cut_table=$tmp/cut.md
corpus_table=$tmp/corpus.md
{
	echo "| program | threads | K | none: executions | states | classes | dpor: executions | states | none / dpor | dpor-cut: executions | states | none / dpor-cut | unbounded dpor: executions |"
	echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
} >"$cut_table"
{
	echo "| program | threads | ops | K | executions, POR off | executions, DPOR | time, POR off | time, DPOR | result |"
	echo "|---|---|---|---|---|---|---|---|---|"
} >"$corpus_table"
for f in corpus/schedule/*.txt corpus/needzero/*.txt; do
	explore "$f" dpor unbounded --max-executions 20000
	un=$(json "$tmp/e.json" executions)
	[ "$(json "$tmp/e.json" complete_search)" = true ] || un=">$un (stopped)"
	for k in 1 2; do
		if [ $SKIP_SLOW = 1 ] && [ $k = 2 ] && [ "$f" = corpus/schedule/lock-contention.txt ]; then
			continue
		fi
		explore "$f" none "$k"
		ne=$(json "$tmp/e.json" executions) ns=$(json "$tmp/e.json" distinct_states)
		ncl=$(json "$tmp/e.json" distinct_classes)
		nt=$(json "$tmp/e.json" seconds) nres=$(json "$tmp/e.json" result)
		threads=$(json "$tmp/e.json" threads) ops=$(json "$tmp/e.json" operations)
		explore "$f" dpor "$k"
		de=$(json "$tmp/e.json" executions) ds=$(json "$tmp/e.json" distinct_states)
		dt=$(json "$tmp/e.json" seconds) dres=$(json "$tmp/e.json" result)
		explore "$f" dpor-cut "$k"
		ce=$(json "$tmp/e.json" executions) cs=$(json "$tmp/e.json" distinct_states)
		ratio=$(awk -v a="$ne" -v b="$de" 'BEGIN { printf "%.1f", (b > 0) ? a / b : 0 }')
		cratio=$(awk -v a="$ne" -v b="$ce" 'BEGIN { printf "%.1f", (b > 0) ? a / b : 0 }')
		echo "| $(basename "$f") | $threads | $k | $ne | $ns | $ncl | $de | $ds | ${ratio}x | $ce | $cs | ${cratio}x | $un |" >>"$cut_table"
		echo "| $(basename "$f") | $threads | $ops | $k | $ne | $de | ${nt} s | ${dt} s | $nres / $dres |" >>"$corpus_table"
	done
done

# goals RATE-TABLE CUT-TABLE: the issue's two goals, checked on the tables.
goals() {
	awk -F'|' 'NR > 2 && NF > 3 { for (i = 1; i <= NF; i++) gsub(/^ +| +$/, "", $i)
			r = $7; sub(/x/, "", r); n++; if (r + 0 >= 1) ok++; list = list sep " " $2 " " r "x"; sep = "," }
		END { printf "- executions/s of explore at least those of the fuzz target on the same program: %s (%d of %d:%s)\n",
			ok == n ? "met" : "NOT met", ok, n, list }' "$1"
	awk -F'|' 'NR > 2 && NF > 3 && $3 + 0 == 3 && $4 + 0 == 2 { for (i = 1; i <= NF; i++) gsub(/^ +| +$/, "", $i)
			d = $10; c = $13; sub(/x/, "", d); sub(/x/, "", c); n++
			if (d + 0 >= 5) dok++
			if (c + 0 >= 5) cok++
			dl = dl sep " " $2 " " d "x (states " $9 " of " $6 "; at best " sprintf("%.1f", $5 / $7) "x at one execution per class)"
			cl = cl sep " " $2 " " c "x (states " $12 " of " $6 ")"; sep = "," }
		END { printf "- DPOR at least 5x fewer executions than --por none on the 3-thread seeds at K = 2: --por dpor %s (%d of %d:%s); --por dpor-cut %s (%d of %d:%s)\n",
			dok == n ? "met" : "NOT met", dok, n, dl, cok == n ? "met" : "NOT met", cok, n, cl }' "$2"
}

echo "== executions/s: explore (DPOR, K = 2) vs the fuzz target on the same program, TSan build"
cat "$rate_table"
echo
echo "== executions: --por none vs DPOR"
cat "$cut_table"
echo
echo "== goals"
goals "$rate_table" "$cut_table"
echo
echo "== corpus table (docs/EXPLORE.md)"
cat "$corpus_table"
[ $WRITE = 1 ] || exit 0

# replace_section FILE TAG CONTENT-FILE: rewrites the text between the markers.
replace_section() {
	local file=$1 tag=$2 content=$3
	if ! grep -q "<!-- $tag:begin -->" "$file"; then
		printf '\n<!-- %s:begin -->\n<!-- %s:end -->\n' "$tag" "$tag" >>"$file"
	fi
	awk -v tag="$tag" -v src="$content" '
		$0 == "<!-- " tag ":begin -->" { print; while ((getline line < src) > 0) print line; skip = 1; next }
		$0 == "<!-- " tag ":end -->" { skip = 0 }
		!skip { print }' "$file" >"$file.new"
	mv "$file.new" "$file"
}
{
	echo "## Systematic exploration (out/explore)"
	echo
	echo "\`bench/explore.sh\`, $stamp; TSan build (\`out/\`), every"
	echo "program with its decisions dropped."
	echo
	echo "### Executions per second against the fuzz target"
	echo
	echo "The explorer runs DPOR with K = 2; the controlled fuzz target (same runner,"
	echo "libFuzzer replaying the program's \`.bin\`) runs as many inputs.  Both pay"
	echo "the runner's reset, engine and oracles per execution; the explorer adds its"
	echo "chooser and the race analysis, the target libFuzzer and the decoding."
	echo
	cat "$rate_table"
	echo
	echo "### Executions saved by DPOR"
	echo
	echo "Executions of \`--por none\` against \`--por dpor\` and \`--por dpor-cut\` at"
	echo "the same bound, with the distinct terminal states each reached (the states"
	echo "of \`none\` are everything reachable within the bound: equal states mean the"
	echo "reduction lost nothing), the classes of equivalent interleavings among"
	echo "them (no reduction can run fewer executions and cover every interleaving"
	echo "within the bound), and the executions unbounded DPOR needs to cover"
	echo "every interleaving (stopped at a cap of 20000 where marked)."
	echo
	cat "$cut_table"
	echo
	echo "Goals (issue 12), from the tables above:"
	echo
	goals "$rate_table" "$cut_table"
	echo
	echo "With the compensation (\`dpor\`, the default) every seed keeps all its"
	echo "states.  The classes column is the floor for any reduction that covers"
	echo "every interleaving within the bound: one execution per class (\"at best\""
	echo "in the goal line).  Most steps of these programs touch the same zeroedBase"
	echo "word or the heap lock, so there are many classes; bounded DPOR runs more"
	echo "than one execution per class where the bound cuts the order DPOR reaches a"
	echo "class in and the compensation reaches it again another way, and unbounded"
	echo "DPOR, which needs no compensation, is cheaper still where the bound hardly"
	echo "restricts anything (three-arenas, three-claims).  \`dpor-cut\` runs fewer"
	echo "executions than there are classes because it loses some (docs/EXPLORE.md,"
	echo "\"Bounding and DPOR together\")."
} >"$tmp/bench-section.md"
replace_section docs/BENCHMARKS.md explore-bench "$tmp/bench-section.md"
{
	echo "\`bench/explore.sh\`, $stamp; TSan build, decisions dropped."
	echo
	cat "$corpus_table"
} >"$tmp/corpus-section.md"
replace_section docs/EXPLORE.md explore-corpus "$tmp/corpus-section.md"
echo "bench/explore.sh: rewrote docs/BENCHMARKS.md and docs/EXPLORE.md"
