#!/usr/bin/env bash
# detect_check.sh - bench/detect.sh's command line and the report it writes
# (bench/detect_report.sh), without running a benchmark: bad arguments exit
# 2, --list marks the deep faults, and a report written from a hand-made
# TSV shows executions to detection, bugs found while replaying seeds, the
# speed-up over plain stress counted only where stress needs >= 1 s or
# misses, and the goals; a rewrite keeps other scripts' marked sections.
set -uo pipefail
cd "$ROOT"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

check() { # NAME CONDITION...
	local name=$1
	shift
	if "$@"; then echo "PASS detect-$name"; else echo "FAIL detect-$name"; fi
}
has() { grep -qF -- "$1" "$tmp/report.md" || { echo "  missing: $1"; return 1; }; }

usage_exit() { bench/detect.sh "$@" >/dev/null 2>&1; [ $? -eq 2 ]; }
check usage-unknown-option usage_exit --bogus
check usage-bad-from usage_exit --from nowhere
check usage-unknown-bug usage_exit --bugs no-such-bug
check usage-unknown-engine usage_exit --engines fuzz_nothing/asan
check usage-deep-and-bugs usage_exit --deep --bugs cas-plain-store
check usage-bad-trials usage_exit --trials 0

# --list: every fault after the marker is marked deep, none before it.
bench/detect.sh --list >"$tmp/list" 2>&1
want=$(sed -n '/---- deep faults ----/,$ s/^PH_BUG([A-Z0-9_]*, *"\([^"]*\)".*/\1/p' allocator/ph_bugs.def | sort)
got=$(sed -n 's/^bug \(.*\) deep$/\1/p' "$tmp/list" | sort)
same_nonempty() { [ -n "$1" ] && [ "$1" = "$2" ]; }
check list-marks-deep-faults same_nonempty "$want" "$got"
check list-has-engines grep -qx 'engine fuzz_schedule/tsan' "$tmp/list"

# A hand-made TSV: mode bug engine seed result seconds execs how phase cap.
T=$'\t'
row() { echo "$1$T$2$T$3$T$4$T$5$T$6$T$7$T$8$T$9$T${10}"; }
{
	# Deep, minimal corpus: found in every trial, 100..500 executions;
	# stress misses every trial (60 s): speed-up >= 60/3 = 20x, counted.
	for s in 1 2 3 4 5; do
		row minimal cas-fail-rezero fuzz_schedule/asan "$s" found "$s.0" "${s}00" Z2 search 60
		row minimal cas-fail-rezero stress "$s" missed 60.1 900000 - - 60
	done
	# A deep fault never found: the goal is not met for it.
	for s in 1 2 3 4 5; do
		row minimal reload-once fuzz_schedule/asan "$s" missed 61 20000 - - 60
		row minimal reload-once stress "$s" missed 60.2 800000 - - 60
	done
	# Stress needs 2 s, the fuzzer 0.5 s: 4x, counted.
	for s in 1 2 3; do
		row minimal cas-no-reload fuzz_schedule/asan "$s" found 0.5 40 LIVELOCK search 60
		row minimal cas-no-reload stress "$s" found 2.0 5000 LIVELOCK - 60
	done
	# Stress finds it in 0.1 s: not counted.
	for s in 1 2 3; do
		row minimal cas-plain-store fuzz_schedule/asan "$s" found 0.2 9 Z3 search 60
		row minimal cas-plain-store stress "$s" found 0.1 300 TSan-race - 60
	done
	# From the seeds: two of three trials found while replaying.
	row seeds needzero-le fuzz_needzero/asan 1 found 0.2 3 Z2 replay 30
	row seeds needzero-le fuzz_needzero/asan 2 found 0.3 4 Z2 replay 30
	row seeds needzero-le fuzz_needzero/asan 3 found 1.5 300 Z2 search 30
	# A rerun row (--append) replaces the first one for the same key.
	row seeds needzero-le fuzz_needzero/asan 3 found 0.9 200 Z2 search 30
	row minimal correct fuzz_schedule/asan 1000 missed 180 50000 - - 180
	row minimal correct stress 1000 found 12 4000 O1 - 180
} >"$tmp/r.tsv"
printf '2026-01-01\tbench/detect.sh --test\t1.00 1.00 1.00\t2.00 2.00 2.00\n' >"$tmp/r.tsv.runs"
bench/detect_report.sh "$tmp/r.tsv" "$tmp/report.md" >/dev/null 2>"$tmp/err"
check report-written [ -s "$tmp/report.md" ]
check report-executions has '| **cas-fail-rezero** | fuzz_schedule/asan | 5/5 | 3.00s (1.00-5.00 s) | 300 (100-500) | yes | missed 5/5 (60s) | >= 20.0x |'
check report-speedup-counts-only-slow-stress has 'over the 3 of 4 bugs where stress needs at least 1 s or misses'
check report-both-missed-not-a-speedup has 'none shown (both missed; counted as 1x)'
check report-speedup-median has "**4.0x**"
check report-shallow-not-counted has '(0.5x, not counted)'
check report-deep-goal-not-met has '60 s in every trial: 1 of 2 deep bugs — **not met**'
check report-deep-goal-names-bug has 'Not met for: reload-once'
check report-replay-marked has '| needzero-le | fuzz_needzero/asan | 3/3 (2 replaying seeds) |'
check report-replay-cell has '3/3, 0.30s, Z2 (replay 2)'
check report-append-last-row-wins has '0.20-0.90 s'
check report-false-positive has '1 in 2 runs of the correct allocator — **not met**'
check report-run-log has 'bench/detect.sh --test'
check report-deep-section has '| reload-once | only the first failed CAS reloads zeroedBase'
check report-no-errors [ ! -s "$tmp/err" ]

# Sections other scripts keep in the same file (bench/feedback.sh's, between
# its markers) survive a rewrite of the report.
printf '# old report\n\n<!-- feedback-bench:begin -->\nfeedback figures\n<!-- feedback-bench:end -->\n' >"$tmp/kept.md"
bench/detect_report.sh "$tmp/r.tsv" "$tmp/kept.md" >/dev/null 2>&1
check report-keeps-marked-sections grep -qx 'feedback figures' "$tmp/kept.md"
check report-drops-the-old-report bash -c "! grep -q '^# old report' '$tmp/kept.md'"
