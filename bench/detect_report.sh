#!/usr/bin/env bash
# bench/detect_report.sh TSV REPORT - writes the detection report (markdown)
# from bench/detect.sh's raw results and prints it.
#
# Definitions used throughout:
#  - a trial that found nothing counts as the cap when a median is taken for
#    choosing the best engine or for a speed-up (so those are lower bounds);
#    the median seconds and executions shown in a cell are over the trials
#    that found the bug;
#  - the best engine of a bug is the libFuzzer engine with the lowest such
#    median seconds (ties: more trials found);
#  - speed-up over plain stress = stress median / best engine median,
#    counted only over the bugs where stress needs at least 1 s or misses in
#    some trial (below that both measure start-up, not search).
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
[ $# -eq 2 ] || { echo "usage: bench/detect_report.sh TSV REPORT" >&2; exit 2; }
TSV=$1 REPORT=$2
[ -s "$TSV" ] || { echo "detect_report.sh: $TSV is empty" >&2; exit 2; }
DEF=allocator/ph_bugs.def
ALL_ENGINES=$(sed -n 's/^ALL_ENGINES="\(.*\)"$/\1/p' bench/detect.sh)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The last row for each (mode, bug, engine, seed) wins (--append reruns).
awk -F'\t' '{k = $1 FS $2 FS $3 FS $4; if (!(k in row)) order[n++] = k; row[k] = $0}
	END {for (i = 0; i < n; i++) print row[order[i]]}' "$TSV" >"$tmp/rows"

median() { sort -g | awk '{a[NR] = $1} END {if (NR == 0) print ""; else if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
range() { sort -g | awk 'NR == 1 {lo = $1} {hi = $1} END {if (NR) print lo "-" hi}'; }
sel() { awk -F'\t' -v m="$1" -v b="$2" -v e="$3" '$1 == m && $2 == b && $3 == e' "$tmp/rows"; }
modes() { cut -f1 "$tmp/rows" | awk '!seen[$0]++'; }
bugs_of() { awk -F'\t' -v m="$1" '$1 == m && $2 != "correct" && !seen[$2]++ {print $2}' "$tmp/rows"; }
engines_of() { awk -F'\t' -v m="$1" '$1 == m && !seen[$3]++ {print $3}' "$tmp/rows"; }
fuzz_engines_of() { engines_of "$1" | grep -v '^stress$'; }
deep_list=" $(sed -n '/---- deep faults ----/,$ s/^PH_BUG([A-Z0-9_]*, *"\([^"]*\)".*/\1/p' "$DEF" | tr '\n' ' ')"
is_deep() { case $deep_list in *" $1 "*) return 0 ;; esac; return 1; }
fmt_s() { printf '%.2fs' "$1"; }

# stats MODE BUG ENGINE -> "found trials cap med_capped med_s range_s med_x range_x how replays"
stats() {
	local r
	r=$(sel "$1" "$2" "$3")
	[ -n "$r" ] || { echo "0 0 0 - - - - - - 0"; return; }
	local found trials cap medc meds rs medx rx how rep
	trials=$(echo "$r" | wc -l)
	found=$(echo "$r" | awk -F'\t' '$5 == "found"' | wc -l)
	cap=$(echo "$r" | cut -f10 | sort -g | tail -1)
	medc=$(echo "$r" | awk -F'\t' '{print ($5 == "found" ? $6 : $10)}' | median)
	meds=$(echo "$r" | awk -F'\t' '$5 == "found" {print $6}' | median)
	rs=$(echo "$r" | awk -F'\t' '$5 == "found" {printf "%.2f\n", $6}' | range)
	medx=$(echo "$r" | awk -F'\t' '$5 == "found" {print $7}' | median)
	rx=$(echo "$r" | awk -F'\t' '$5 == "found" {print $7}' | range)
	how=$(echo "$r" | awk -F'\t' '$5 == "found" {print $8}' | sort | uniq -c | sort -rn | awk 'NR == 1 {print $2}')
	rep=$(echo "$r" | awk -F'\t' '$5 == "found" && $9 == "replay"' | wc -l)
	echo "$found $trials $cap $medc ${meds:--} ${rs:--} ${medx:--} ${rx:--} ${how:--} $rep"
}

# best MODE BUG -> "engine med_capped found trials"
best() {
	local e s bestline=""
	for e in $(fuzz_engines_of "$1"); do
		read -r f t _ mc _ < <(stats "$1" "$2" "$e")
		[ "$t" -gt 0 ] || continue
		if [ -z "$bestline" ]; then bestline="$e $mc $f $t"; continue; fi
		read -r _ bmc bf _ <<<"$bestline"
		if [ "$(echo "$mc < $bmc || ($mc == $bmc && $f > $bf)" | bc)" = 1 ]; then bestline="$e $mc $f $t"; fi
	done
	echo "${bestline:-- 0 0 0}"
}

# One engine's cell: "n/N, median s (range), median executions (range), oracle".
cell() {
	read -r f t _ _ meds rs medx rx how rep < <(stats "$1" "$2" "$3")
	[ "$t" -gt 0 ] || { printf ' |'; return; }
	if [ "$f" -eq 0 ]; then printf ' 0/%s |' "$t"; return; fi
	local mark=""
	[ "$rep" -gt 0 ] && mark=" (replay $rep)"
	if [ "$1" = minimal ] || [ "$4" = execs ]; then
		printf ' %s/%s, %s (%s s), %s x (%s), %s%s |' "$f" "$t" "$(fmt_s "$meds")" "$rs" "$medx" "$rx" "$how" "$mark"
	else
		printf ' %s/%s, %s, %s%s |' "$f" "$t" "$(fmt_s "$meds")" "$how" "$mark"
	fi
}

repro_of() { # BUG -> "target oracle uses-claims"
	local txt
	txt=$(ls corpus/*/regressions/"$1".txt 2>/dev/null | head -1)
	[ -n "$txt" ] || { echo "- - 0"; return; }
	local t o c
	t=$(basename "$(dirname "$(dirname "$txt")")")
	o=$(sed -n 's/^# expect: *\([A-Z0-9]*\).*/\1/p' "$txt")
	c=$(grep -c '^ *claim ' "$txt")
	echo "fuzz_$t ${o:--} $c"
}

desc_of() { sed -n "s/^PH_BUG([A-Z0-9_]*, *\"$1\", *\"\([^\"]*\)\".*/\1/p" "$DEF"; }

# summary MODE: the per-bug table with the best engine and the speed-up;
# leaves the speed-ups in $tmp/speedups-MODE and goal counts in files.
summary() {
	local m=$1 b e mc f t sf st smc smeds ratio speed stext every
	: >"$tmp/speedups-$m"; : >"$tmp/counted-$m"; : >"$tmp/deepok-$m"; : >"$tmp/deep-$m"; : >"$tmp/shallow-$m"
	echo "| bug | best engine | found | median time (range) | median executions (range) | every trial < 60 s | plain stress | speed-up |"
	echo "|---|---|---|---|---|---|---|---|"
	for b in $(bugs_of "$m"); do
		read -r e mc f t < <(best "$m" "$b")
		[ "$e" = - ] && continue
		read -r _ _ cap _ meds rs medx rx _ rep < <(stats "$m" "$b" "$e")
		every=$(sel "$m" "$b" "$e" | awk -F'\t' '$5 != "found" || $6 >= 60 {bad = 1} END {print bad ? "no" : "yes"}')
		read -r sf st scap smc smeds _ < <(stats "$m" "$b" stress)
		local name=$b
		is_deep "$b" && { name="**$b**"; echo "$b" >>"$tmp/deep-$m"; [ "$every" = yes ] && echo "$b" >>"$tmp/deepok-$m"; }
		if [ "$st" -eq 0 ]; then
			stext="not run" speed="-"
		else
			if [ "$sf" -lt "$st" ]; then stext="missed $((st - sf))/$st (${scap}s)"; else stext=$(fmt_s "$smc"); fi
			ratio=$(echo "scale=3; $smc / $mc" | bc)
			if [ "$sf" -lt "$st" ] || [ "$(echo "$smc >= 1" | bc)" = 1 ]; then
				echo "$b" >>"$tmp/counted-$m"
				if [ "$f" -lt "$t" ] && [ "$sf" -lt "$st" ]; then
					# Both missed in some trial: no speed-up can be claimed.
					echo "1 both-missed" >>"$tmp/speedups-$m"
					speed="none shown (both missed; counted as 1x)"
				elif [ "$f" -lt "$t" ]; then
					echo "$ratio upper-bound" >>"$tmp/speedups-$m"
					speed="<= $(printf '%.1f' "$ratio")x"
				elif [ "$sf" -lt "$st" ]; then
					echo "$ratio lower-bound" >>"$tmp/speedups-$m"
					speed=">= $(printf '%.1f' "$ratio")x"
				else
					echo "$ratio exact" >>"$tmp/speedups-$m"
					speed="$(printf '%.1f' "$ratio")x"
				fi
			else
				echo "$b" >>"$tmp/shallow-$m"
				speed="($(printf '%.1f' "$ratio")x, not counted)"
			fi
		fi
		local found="$f/$t"
		[ "$rep" -gt 0 ] && found="$found ($rep replaying seeds)"
		printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$name" "$e" "$found" \
			"$([ "$meds" = - ] && echo - || echo "$(fmt_s "$meds") ($rs s)")" \
			"$([ "$medx" = - ] && echo - || echo "$medx ($rx)")" "$every" "$stext" "$speed"
	done
}

engines_table() {
	local m=$1 e b missing
	missing=$(for e in $ALL_ENGINES; do engines_of "$m" | grep -qx "$e" || printf ' `%s`' "$e"; done)
	[ -n "$missing" ] && echo "Not run for this table:$missing." && echo
	printf '| bug |'; for e in $(engines_of "$m"); do printf ' %s |' "$e"; done; echo
	printf '|---|'; for e in $(engines_of "$m"); do printf -- '---|'; done; echo
	for b in $(bugs_of "$m"); do
		printf '| %s |' "$b"
		for e in $(engines_of "$m"); do cell "$m" "$b" "$e" "${2:-}"; done
		echo
	done
}

speedup_text() {
	local m=$1 n med nlb n10 nb
	n=$(wc -l <"$tmp/counted-$m")
	nb=$(bugs_of "$m" | wc -l)
	if ! engines_of "$m" | grep -qx stress; then
		echo "Plain stress was not run in this table, so no speed-up is computed."
		return
	fi
	if [ "$n" -eq 0 ]; then
		echo "No bug in this table needs plain stress 1 s or more, so no speed-up is counted."
		return
	fi
	med=$(cut -d' ' -f1 "$tmp/speedups-$m" | median)
	nlb=$(grep -c lower-bound "$tmp/speedups-$m")
	nub=$(grep -c upper-bound "$tmp/speedups-$m")
	nboth=$(grep -c both-missed "$tmp/speedups-$m")
	n10=$(awk '$1 >= 10' "$tmp/speedups-$m" | wc -l)
	echo "Speed-up over plain stress, over the $n of $nb bugs where stress needs at least 1 s or misses:"
	echo "median **$(printf '%.1f' "$med")x**, $n10 of the $n at 10x or more.  Of these ratios $nlb are lower bounds"
	echo "(stress missed in some trial, counted at the cap), $nub upper bounds (the best engine missed"
	echo "in some trial) and $nboth bugs were missed by both in some trial (counted as 1x).  The other"
	echo "$((nb - n)) bugs are found by plain stress in under a second: there both sides measure"
	echo "start-up, not search, and they are left out."
}

LOADS=$(awk -F'\t' '{print "- `" $2 "` (" $1 "), load average " $3 " at the start, " $4 " at the end"}' "$TSV.runs" 2>/dev/null)
{
	echo "# Detection benchmark"
	echo
	echo "Generated by \`bench/detect.sh\` (raw results: \`$(realpath --relative-to="$ROOT" "$TSV" 2>/dev/null || echo "$TSV")\`) on"
	echo "$(nproc) cores ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)), shared with other work:"
	echo
	echo "${LOADS:-- (no run log)}"
	echo
	echo "Engines: the four libFuzzer targets, each in its ASan+UBSan build (\`/asan\`, what"
	echo "ClusterFuzz runs) and its TSan build (\`/tsan\`, what \`./build.sh fuzz\` runs), with the"
	echo "options and dictionary \`./build.sh fuzz\` gives them and \`-seed=1..N\`; and \`stress\`,"
	echo "the TSan stress program with default options and \`--seed 1..N\`: the plain"
	echo "stress testing a user would otherwise run, and the baseline.  A trial stops at"
	echo "the first failure line (its time is when that line appeared, measured from"
	echo "process start, so it includes start-up: about 0.15 s for a sanitizer build)"
	echo "or at the cap.  A cell reads: trials that found the bug / trials, median seconds"
	echo "over those trials (range), median executions (range) where shown, the oracle"
	echo "that fired most often, and how many were found while libFuzzer was still"
	echo "replaying its starting corpus.  Bold bugs are the deep faults of"
	echo "\`allocator/ph_bugs.def\` (after its \"deep faults\" marker)."
	echo
	for m in $(modes); do summary "$m" >"$tmp/summary-$m.md"; done
	echo "## Goals"
	echo
	if [ -f "$tmp/deep-minimal" ]; then
		nd=$(wc -l <"$tmp/deep-minimal"); nok=$(wc -l <"$tmp/deepok-minimal")
		echo "- Every deep bug found by the best engine from the minimal corpus in under"
		echo "  60 s in every trial: $nok of $nd deep bugs — $([ "$nd" -gt 0 ] && [ "$nok" -eq "$nd" ] && echo met || echo '**not met**')."
		missing=$(comm -23 <(sort "$tmp/deep-minimal") <(sort "$tmp/deepok-minimal") | tr '\n' ' ')
		[ -n "$missing" ] && echo "  Not met for: $missing"
	else
		echo "- Deep bugs from the minimal corpus: not run in these results."
	fi
	fpn=$(awk -F'\t' '$2 == "correct" && $5 != "missed"' "$tmp/rows" | wc -l)
	fpr=$(awk -F'\t' '$2 == "correct"' "$tmp/rows" | wc -l)
	echo "- Zero false positives: $fpn in $fpr runs of the correct allocator — $([ "$fpr" -eq 0 ] && echo 'not run' || { [ "$fpn" -eq 0 ] && echo met || echo '**not met**'; })."
	for m in $(modes); do
		echo "- Speed-up, from the $([ "$m" = minimal ] && echo minimal corpus || echo committed seeds):"
		speedup_text "$m" | sed 's/^/  /'
	done
	if [ -f "$tmp/summary-minimal.md" ]; then
		echo
		echo "## Deep bugs"
		echo
		echo "Faults whose path plain stress (the TSan build, default options, 60 s)"
		echo "did not reach in 3 of 3 seeds when they were added; the stress column here is"
		echo "this run's own measurement, with the cap of the table it comes from."
		echo
		echo "| bug | what goes wrong | reproducer | plain stress | why stress misses it |"
		echo "|---|---|---|---|---|"
		for b in $(bugs_of minimal); do
			is_deep "$b" || continue
			read -r rt ro rc < <(repro_of "$b")
			read -r sf st scap _ smeds _ < <(stats minimal "$b" stress)
			[ "$st" -gt 0 ] || read -r sf st scap _ smeds _ < <(stats seeds "$b" stress)
			if [ "$ro" = Z2 ]; then why="no oracle there: spurious zeroing is only a statistic in stress; Z2 needs the exact model of a controlled schedule"
			elif [ "$rc" -gt 0 ]; then why="needs an injected overlapping claim; stress's default mix has claim=0"
			else why="needs an interleaving stress did not produce: a CAS that fails twice, or a raise between a reload and its retry"; fi
			printf '| %s | %s | `%s` (%s) | %s | %s |\n' "$b" "$(desc_of "$b")" "$rt" "$ro" \
				"$([ "$st" -eq 0 ] && echo 'not run' || echo "found $sf/$st$([ "$sf" -gt 0 ] && echo ", median $(fmt_s "$smeds")") (${scap}s cap)")" "$why"
		done
		echo
		echo "## From a minimal corpus: search"
		echo
		echo "Every libFuzzer engine starts from one tiny seed (two threads allocating one"
		echo "page each; for \`fuzz_pagealloc\` one growth and one allocation); no committed"
		echo "seed and no regression input is used."
		echo
		cat "$tmp/summary-minimal.md"
		echo
		speedup_text minimal
		echo
		echo "### Every engine, from the minimal corpus"
		echo
		engines_table minimal
	fi
	if [ -f "$tmp/summary-seeds.md" ]; then
		echo
		echo "## From the committed seeds"
		echo
		echo "libFuzzer engines start from \`corpus/<target>/\` (\`corpus/schedule/\` for the"
		echo "free-running target) without its \`regressions/\` folder, which holds a"
		echo "reproducer of every injected fault.  \"replaying seeds\" counts trials that"
		echo "found the bug before libFuzzer's INITED line, i.e. on a committed seed as it"
		echo "is, before any search."
		echo
		cat "$tmp/summary-seeds.md"
		echo
		speedup_text seeds
		echo
		echo "### Every engine, from the committed seeds"
		echo
		engines_table seeds
	fi
	echo
	echo "## False positives"
	echo
	if [ "$fpr" -eq 0 ]; then
		echo "Not run in these results."
	else
		echo "| corpus | engine | seconds | executions | result |"
		echo "|---|---|---|---|---|"
		awk -F'\t' '$2 == "correct" {printf "| %s | %s | %.0f | %s | %s |\n", $1, $3, $6, $7, ($5 == "missed" ? "clean" : "**" $5 " (" $8 ")**")}' "$tmp/rows"
	fi
} >"$tmp/report"
# Sections other scripts write into the same file (between their
# <!-- NAME:begin --> and <!-- NAME:end --> markers, e.g. bench/feedback.sh's)
# are carried over.
[ -f "$REPORT" ] && awk '/^<!-- [a-z-]*:begin -->/ {keep = 1} keep {print} /^<!-- [a-z-]*:end -->/ {keep = 0; print ""}' "$REPORT" >"$tmp/kept"
if [ -s "$tmp/kept" ]; then
	{ echo; cat "$tmp/kept"; } >>"$tmp/report"
fi
mv "$tmp/report" "$REPORT"
cat "$REPORT"
