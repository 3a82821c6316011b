#!/usr/bin/env bash
# stress/bench.sh - benchmarks of the page heap through the stress program,
# written into docs/BENCHMARKS.md.
#
#   stress/bench.sh [--seconds S] [--repeat N] [--faults | --fault NAME...] [--doc FILE]
#
# Measures, in one run, on out/stress-fast and out/stress-fast-locked
# (clang -O2, allocator hooks compiled out; built by ./build.sh build, which
# this script runs when they are missing):
#   1. zeroing-decision throughput, lock-free (the seed) vs pre-seed locked,
#      at 1 and 2 threads, with page caches OFF for both (the pre-seed
#      decision throws on the out-of-order ranges page caches produce, by
#      design), plus lock-free with caches on, reported separately;
#   2. stress throughput of the optimised build with the default mix;
#   3. the share of spurious zeroing of the lock-free design under
#      contention (2 threads, default mix, caches on): pages decided
#      "needs zeroing" that were never used before, over pages allocated;
#   4. the 1-page alloc+free pair from the P cache (stress --micro cache),
#      in ns per pair, for both variants;
#   5. with --faults: for each injected fault `./build.sh bugs` lists that
#      stress can detect, the time to detection: the fault is built out of
#      tree (ALLOC_BUG=<name> OUT=<tmpdir> ./build.sh build; slow, about a
#      minute per fault) and its TSan stress binary run with a fixed seed,
#      capped at 60 s.  --fault NAME (repeatable) measures only those
#      faults and keeps the other rows of the previous table.  When the
#      fault's ./build.sh build fails in a variant after the TSan stress
#      binary was built (build/bug-<name>/tsan/stress), that binary is used
#      and the row says so.
# Every figure is the median of --repeat runs (default 3).  Throughput
# figures are stress operations (allocation, free, pattern write/check, P
# flush), each judged by the online oracles, not bare allocator calls;
# --micro cache is the bare allocator.
#
# The results replace the part of the document between the markers
# <!-- stress-bench:begin --> and <!-- stress-bench:end --> (the file is
# created if missing; everything outside the markers is kept).  Without
# --faults, the fault table of a previous run is kept as it was.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=${OUT:-$ROOT/out}
SECONDS_PER_RUN=3
REPEAT=3
FAULTS=0
DOC=$ROOT/docs/BENCHMARKS.md
FAULT_CAP=60
ONLY_FAULTS=()
FAULT_SEED=1
INVOCATION="stress/bench.sh${*:+ $*}"
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)

usage() {
	sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '/^set -euo/d' -e 's/^# \{0,1\}//'
}

while [ $# -gt 0 ]; do
	case $1 in
	--seconds) SECONDS_PER_RUN=${2:?--seconds needs a value}; shift 2 ;;
	--repeat) REPEAT=${2:?--repeat needs a value}; shift 2 ;;
	--faults) FAULTS=1; shift ;;
	--fault) FAULTS=1; ONLY_FAULTS+=("${2:?--fault needs a name}"); shift 2 ;;
	--doc) DOC=${2:?--doc needs a file}; shift 2 ;;
	-h | --help) usage; exit 0 ;;
	*) echo "bench.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
	esac
done
[[ $SECONDS_PER_RUN =~ ^[0-9]+([.][0-9]+)?$ ]] || { echo "bench.sh: --seconds must be a number" >&2; exit 2; }
[[ $REPEAT =~ ^[1-9][0-9]*$ ]] || { echo "bench.sh: --repeat must be a positive integer" >&2; exit 2; }

FAST=$OUT/stress-fast
FAST_LOCKED=$OUT/stress-fast-locked
if [ ! -x "$FAST" ] || [ ! -x "$FAST_LOCKED" ]; then
	echo "bench.sh: $FAST or $FAST_LOCKED missing; running ./build.sh build" >&2
	OUT=$OUT "$ROOT/build.sh" build >&2
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/stress-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# json FILE KEY: a number or string value from a stress JSON summary.
json() {
	sed -n "s/^ *\"$2\": \"\{0,1\}\([^\",]*\)\"\{0,1\},\{0,1\}\$/\1/p" "$1" | head -1
}

# median: the median of the numbers on stdin (one per line).
median() {
	sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "n/a"; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.6g\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# fmt_int N / fmt1 N: numbers for tables.
fmt_int() { awk -v x="$1" 'BEGIN { if (x == "n/a") print x; else printf "%.0f\n", x }'; }
fmt1() { awk -v x="$1" 'BEGIN { if (x == "n/a") print x; else printf "%.1f\n", x }'; }
fmt2() { awk -v x="$1" 'BEGIN { if (x == "n/a") print x; else printf "%.2f\n", x }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "n/a" || b == "n/a" || b == 0) print "n/a"; else printf "%.2f\n", a / b }'; }

# measure NAME KEY... -- CMD...: runs CMD (which writes --json $tmp/NAME.N.json)
# REPEAT times and sets MED_<KEY> to the median of each KEY.  A run that
# does not exit 0 aborts the benchmark: the figures would mean nothing.
measure() {
	local name=$1 keys=() k i f
	shift
	while [ "$1" != "--" ]; do keys+=("$1"); shift; done
	shift
	for i in $(seq 1 "$REPEAT"); do
		f=$tmp/$name.$i.json
		if ! "$@" --quiet --json "$f" >"$tmp/$name.$i.log" 2>&1; then
			echo "bench.sh: run failed: $* (log follows)" >&2
			tail -30 "$tmp/$name.$i.log" >&2
			exit 1
		fi
	done
	for k in "${keys[@]}"; do
		printf -v "MED_$k" '%s' "$(for i in $(seq 1 "$REPEAT"); do json "$tmp/$name.$i.json" "$k"; done | median)"
	done
}

# cmdline CMD...: how a command appears in the document (relative paths).
cmdline() {
	local s="$*"
	echo "${s//$ROOT\//}"
}

SEED=42
DECISION_MIX=small=45,large=5,free=50,write=0,destroy=0
echo "bench.sh: ${REPEAT} runs of ${SECONDS_PER_RUN} s per figure" >&2

# ---- 1. lock-free vs locked decision ----------------------------------------

declare -A D_OPS D_ALLOCS D_CMD
for t in 1 2; do
	for v in lockfree locked; do
		bin=$FAST
		[ $v = locked ] && bin=$FAST_LOCKED
		echo "bench.sh: decision throughput, $v, $t thread(s), caches off" >&2
		cmd=("$bin" --threads "$t" --seconds "$SECONDS_PER_RUN" --seed "$SEED" --no-page-cache --mix "$DECISION_MIX")
		measure "dec-$v-$t" ops_per_s allocs elapsed_s -- "${cmd[@]}"
		D_OPS[$v,$t]=$MED_ops_per_s
		D_ALLOCS[$v,$t]=$(awk -v a="$MED_allocs" -v e="$MED_elapsed_s" 'BEGIN { printf "%.0f\n", a / e }')
		D_CMD[$v,$t]=$(cmdline "${cmd[@]}")
	done
	echo "bench.sh: decision throughput, lockfree, $t thread(s), caches on" >&2
	cmd=("$FAST" --threads "$t" --seconds "$SECONDS_PER_RUN" --seed "$SEED" --mix "$DECISION_MIX")
	measure "dec-cache-$t" ops_per_s allocs elapsed_s -- "${cmd[@]}"
	D_OPS[cache,$t]=$MED_ops_per_s
	D_ALLOCS[cache,$t]=$(awk -v a="$MED_allocs" -v e="$MED_elapsed_s" 'BEGIN { printf "%.0f\n", a / e }')
	D_CMD[cache,$t]=$(cmdline "${cmd[@]}")
done

# ---- 2. optimised build, default mix ------------------------------------------

NPROC=$(nproc 2>/dev/null || echo 1)
echo "bench.sh: optimised build, default mix, $NPROC threads" >&2
cmd=("$FAST" --seconds "$SECONDS_PER_RUN" --seed "$SEED")
measure throughput ops_per_s threads -- "${cmd[@]}"
T_OPS=$MED_ops_per_s
T_THREADS=$MED_threads
T_CMD=$(cmdline "${cmd[@]}")

# ---- 3. spurious zeroing under contention ---------------------------------------

echo "bench.sh: spurious zeroing, lockfree, 2 threads, caches on" >&2
cmd=("$FAST" --threads 2 --seconds "$SECONDS_PER_RUN" --seed "$SEED")
measure spurious spurious_pct pages_allocated pages_spurious pages_needzero heap_resets cas_retries -- "${cmd[@]}"
S_PCT=$MED_spurious_pct
S_ALLOC=$MED_pages_allocated
S_SPUR=$MED_pages_spurious
S_NZ=$MED_pages_needzero
S_RESETS=$MED_heap_resets
S_CAS=$MED_cas_retries
S_CMD=$(cmdline "${cmd[@]}")

# ---- 4. 1-page cache alloc+free -------------------------------------------------

MICRO_OPS=2000000
declare -A M_NS M_CMD A_NS A_CMD
for v in lockfree locked; do
	bin=$FAST
	[ $v = locked ] && bin=$FAST_LOCKED
	echo "bench.sh: --micro cache, $v" >&2
	cmd=("$bin" --micro cache --ops "$MICRO_OPS")
	measure "micro-$v" ns_per_op -- "${cmd[@]}"
	M_NS[$v]=$MED_ns_per_op
	M_CMD[$v]=$(cmdline "${cmd[@]}")
	echo "bench.sh: --micro cache-alloc, $v" >&2
	cmd=("$bin" --micro cache-alloc --ops "$MICRO_OPS")
	measure "micro-alloc-$v" ns_per_op -- "${cmd[@]}"
	A_NS[$v]=$MED_ns_per_op
	A_CMD[$v]=$(cmdline "${cmd[@]}")
done

# Where the lock-free pair's time goes: the top functions by sampled CPU
# time (perf, when the machine has it and lets us sample).
M_PROFILE=
if command -v perf >/dev/null 2>&1 &&
	perf record -q -o "$tmp/micro.perf" -- "$FAST" --micro cache --ops "$MICRO_OPS" >/dev/null 2>&1; then
	M_PROFILE=$(perf report -i "$tmp/micro.perf" --stdio --no-children -F overhead,sym 2>/dev/null |
		awk '$1 ~ /^[0-9.]+%$/ && n < 5 { printf "%s%s %s", (n ? ", " : ""), $3, $1; n++ }')
fi

# ---- 5. time to detection of injected faults ------------------------------------

# Faults stress cannot detect, and why; extra stress arguments per fault.
declare -A UNDETECTABLE=(
	[needzero-le]="zeroes a range that starts exactly at zeroedBase: needless but safe, so no safety oracle fires; only Z2 (exact, controlled schedules) flags it, and stress shows it as a higher spurious-zeroing share"
)
declare -A FAULT_ARGS=(
	[cas-no-overlap-check]="--mix claim=10"
)
# The previous document's row for fault $1, if any.
old_row() {
	[ -f "$DOC" ] && grep -m1 -F "| \`$1\` |" "$DOC" || true
}

# measure_fault NAME: one table row for an injected fault.
measure_fault() {
	local f=$1 fout bin note="" times=() what="" detected=0 i rc start end o med day
	day=$(date -u '+%Y-%m-%d')
	if [ -n "${UNDETECTABLE[$f]:-}" ]; then
		echo "| \`$f\` | not run | | $day | ${UNDETECTABLE[$f]} |"
		return
	fi
	fout=$tmp/out-$f
	echo "bench.sh: building fault $f (ALLOC_BUG=$f OUT=$fout ./build.sh build)" >&2
	bin=$fout/stress
	if ! ALLOC_BUG=$f OUT=$fout "$ROOT/build.sh" build >"$tmp/build-$f.log" 2>&1 || [ ! -x "$bin" ]; then
		bin=$ROOT/build/bug-$f/tsan/stress
		local why
		why=$(grep -m1 -E 'error:' "$tmp/build-$f.log" | sed -e "s|$ROOT/||g" -e 's/|/\\|/g' || true)
		if [ ! -x "$bin" ]; then
			echo "| \`$f\` | build failed | | $day | \`ALLOC_BUG=$f ./build.sh build\` fails: ${why:-see its log} |"
			return
		fi
		note=" (\`./build.sh build\` failed after the TSan stress was built: ${why:-see its log}; used build/bug-$f/tsan/stress)"
	fi
	for i in $(seq 1 "$REPEAT"); do
		set +e
		start=$EPOCHREALTIME
		# shellcheck disable=SC2086 # FAULT_ARGS holds several words
		timeout $((FAULT_CAP + 20)) "$bin" --bug "$f" --threads 2 --seconds "$FAULT_CAP" \
			--seed "$FAULT_SEED" --quiet ${FAULT_ARGS[$f]:-} --json "$tmp/fault-$f.$i.json" \
			>"$tmp/fault-$f.$i.log" 2>&1
		rc=$?
		end=$EPOCHREALTIME
		set -e
		if [ "$rc" -eq 1 ]; then
			detected=$((detected + 1))
			times+=("$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f\n", b - a }')")
			o=$(json "$tmp/fault-$f.$i.json" oracle)
			[ -n "$o" ] || o=$(grep -m1 -o '^==== verdict: [A-Z0-9]*' "$tmp/fault-$f.$i.log" | sed 's/.* //')
			case " $what " in *" ${o:-?} "*) ;; *) what="${what:+$what }${o:-?}" ;; esac
		fi
	done
	local args=${FAULT_ARGS[$f]:+ (args \`${FAULT_ARGS[$f]}\`)}
	if [ "$detected" -eq 0 ]; then
		echo "| \`$f\` | not detected in ${FAULT_CAP} s | 0/$REPEAT | $day |${args}${note} |"
	else
		med=$(printf '%s\n' "${times[@]}" | median)
		echo "| \`$f\` | $(fmt2 "$med") s | $detected/$REPEAT | $day | ${what}${args}${note} |"
	fi
}

FAULT_ROWS=""
if [ "$FAULTS" = 1 ]; then
	mapfile -t names < <("$ROOT/build.sh" bugs | awk '{ print $1 }')
	for f in "${ONLY_FAULTS[@]}"; do
		printf '%s\n' "${names[@]}" | grep -qx -- "$f" || { echo "bench.sh: --fault $f: not in ./build.sh bugs" >&2; exit 2; }
	done
	for f in "${names[@]}"; do
		if [ ${#ONLY_FAULTS[@]} -gt 0 ] && ! printf '%s\n' "${ONLY_FAULTS[@]}" | grep -qx -- "$f"; then
			row=$(old_row "$f")
			[ -n "$row" ] || row="| \`$f\` | not measured | | | |"
		else
			row=$(measure_fault "$f")
		fi
		FAULT_ROWS+="$row"$'\n'
	done
fi

# ---- the document ---------------------------------------------------------------

CPU=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
DATE=$(date -u '+%Y-%m-%d %H:%M UTC')
SECTION=$tmp/section.md
{
	echo "<!-- stress-bench:begin -->"
	echo "## Stress benchmarks"
	echo
	echo "Generated by \`$INVOCATION\` on $DATE."
	echo "Machine: $NPROC cores (\`nproc\`), ${CPU:-unknown CPU} (/proc/cpuinfo); load average $LOAD_BEFORE when the run started (other work on the machine makes figures noisy; compare figures from one run)."
	echo "Binaries: \`out/stress-fast\` and \`out/stress-fast-locked\` from \`./build.sh build\` (clang -O2, allocator hooks compiled out, no sanitizer)."
	echo "Every figure is the median of $REPEAT runs of $SECONDS_PER_RUN s (stress defaults: checkpoint every 200 ms, heap reset every 250 ms, fuzz geometry)."
	echo "Stress operations are judged by the online oracles (shadow, zero check, pattern write/check), so ops/s measures the harness with the allocator, not bare allocator calls; section 4 is the bare allocator."
	echo
	echo "### 1. Zeroing decision: lock-free vs pre-seed locked"
	echo
	echo "Mix \`$DECISION_MIX\` (allocations and frees only); every allocation takes one zeroing decision.  Page caches off for both variants: the pre-seed decision throws on the out-of-order ranges caches produce."
	echo
	echo "| threads | lock-free ops/s | locked ops/s | ratio lock-free/locked | lock-free decisions/s | locked decisions/s |"
	echo "|---:|---:|---:|---:|---:|---:|"
	for t in 1 2; do
		echo "| $t | $(fmt_int "${D_OPS[lockfree,$t]}") | $(fmt_int "${D_OPS[locked,$t]}") | $(ratio "${D_OPS[lockfree,$t]}" "${D_OPS[locked,$t]}") | ${D_ALLOCS[lockfree,$t]} | ${D_ALLOCS[locked,$t]} |"
	done
	echo
	echo "Lock-free with page caches on (Go 1.14's fast path; not comparable with the locked variant):"
	echo
	echo "| threads | ops/s | decisions/s |"
	echo "|---:|---:|---:|"
	for t in 1 2; do
		echo "| $t | $(fmt_int "${D_OPS[cache,$t]}") | ${D_ALLOCS[cache,$t]} |"
	done
	echo
	echo "Commands:"
	echo
	for t in 1 2; do
		echo "    ${D_CMD[lockfree,$t]}"
		echo "    ${D_CMD[locked,$t]}"
		echo "    ${D_CMD[cache,$t]}"
	done
	echo
	echo "### 2. Throughput of the optimised build"
	echo
	echo "Default mix, $T_THREADS threads (the default: one per core), page caches on: **$(fmt_int "$T_OPS") ops/s**."
	echo
	echo "    $T_CMD"
	echo
	echo "### 3. Spurious zeroing of the lock-free design under contention"
	echo
	echo "2 threads, default mix, page caches on: **$(fmt2 "$S_PCT") %** of allocated pages were decided \"needs zeroing\" although never used before ($(fmt_int "$S_SPUR") of $(fmt_int "$S_ALLOC") pages; $(fmt_int "$S_NZ") pages decided needzero in all; $(fmt_int "$S_RESETS") heap resets, $(fmt_int "$S_CAS") CAS retries; medians)."
	echo "Spurious zeroing happens while the heap grows: a range below zeroedBase, which a neighbour higher up raised first, is zeroed although fresh.  At steady state nearly every range is below zeroedBase and really dirty, so the share depends on how often the heap regrows (\`--reset-ms\`)."
	echo
	echo "    $S_CMD"
	echo
	echo "### 4. 1-page alloc+free from the P cache"
	echo
	echo "One thread, $MICRO_OPS pairs of a 1-page allocation from the P's cache and its free (the free and every 64th allocation's cache refill take the heap lock; zeroing not requested, memory untouched)."
	echo
	echo "| variant | ns per alloc+free | ns per allocation alone |"
	echo "|---|---:|---:|"
	echo "| lock-free | $(fmt1 "${M_NS[lockfree]}") | $(fmt1 "${A_NS[lockfree]}") |"
	echo "| pre-seed locked | $(fmt1 "${M_NS[locked]}") | $(fmt1 "${A_NS[locked]}") |"
	echo "| ratio locked / lock-free | $(awk -v a="${M_NS[locked]}" -v b="${M_NS[lockfree]}" 'BEGIN { printf "%.2f", a / b }') | $(awk -v a="${A_NS[locked]}" -v b="${A_NS[lockfree]}" 'BEGIN { printf "%.2f", a / b }') |"
	echo
	echo "\"Allocation alone\" times batches of 4096 allocations and not the frees between them: the lock-free fast path by itself, where the pre-seed variant's decision takes the heap lock and the seed's does not."
	echo
	echo "    ${M_CMD[lockfree]}"
	echo "    ${M_CMD[locked]}"
	echo "    ${A_CMD[lockfree]}"
	echo "    ${A_CMD[locked]}"
	echo
	if awk -v x="${M_NS[lockfree]}" 'BEGIN { exit !(x < 50) }'; then
		met="met"
	else
		met="**not met**"
	fi
	echo "Target for the lock-free pair: under 50 ns ($met in this run; the allocation alone takes $(fmt1 "${A_NS[lockfree]}") ns).  The free is Go's: under the heap lock, pageAlloc.free clears the bit and pageAlloc.update re-summarises the chunk and merges 8 child summaries at each of the 4 levels above it while they keep changing, so most of the pair is that walk, not the lock-free allocation."
	if [ -n "$M_PROFILE" ]; then
		echo "Top functions of the lock-free pair by CPU samples: $M_PROFILE."
		echo
		echo "    perf record -- ${M_CMD[lockfree]}; perf report --no-children -F overhead,sym"
	fi
	echo
	echo "### 5. Time to detection of injected faults"
	echo
	echo "<!-- stress-bench-faults:begin -->"
	if [ "$FAULTS" = 1 ]; then
		echo "Each fault built with \`ALLOC_BUG=<name> OUT=<tmpdir> ./build.sh build\`, then its TSan stress binary (hooks on, default jitter) run $REPEAT times (last update: \`$INVOCATION\`, $DATE) as"
		echo
		echo "    <tmpdir>/stress --bug <name> --threads 2 --seconds $FAULT_CAP --seed $FAULT_SEED --quiet [args]"
		echo
		echo "Time is wall clock from start to exit 1 (median of the detecting runs), including start-up and, for hangs, the 10 s watchdog."
		echo
		echo "| fault | time to detection | detected | measured | oracle(s) / note |"
		echo "|---|---:|---:|---|---|"
		printf '%s' "$FAULT_ROWS"
	elif [ -f "$DOC" ] && grep -q '<!-- stress-bench-faults:begin -->' "$DOC"; then
		sed -n '/<!-- stress-bench-faults:begin -->/,/<!-- stress-bench-faults:end -->/p' "$DOC" | sed '1d;$d'
	else
		echo "Not measured yet: run \`stress/bench.sh --faults\`."
	fi
	echo "<!-- stress-bench-faults:end -->"
	echo "<!-- stress-bench:end -->"
} >"$SECTION"

mkdir -p "$(dirname "$DOC")"
if [ -f "$DOC" ] && grep -q '<!-- stress-bench:begin -->' "$DOC" && grep -q '<!-- stress-bench:end -->' "$DOC"; then
	awk -v section="$SECTION" '
		/<!-- stress-bench:begin -->/ { while ((getline line < section) > 0) print line; skip = 1; next }
		/<!-- stress-bench:end -->/ { skip = 0; next }
		!skip { print }
	' "$DOC" >"$tmp/doc.md"
	cp "$tmp/doc.md" "$DOC"
elif [ -f "$DOC" ]; then
	{ cat "$DOC"; echo; cat "$SECTION"; } >"$tmp/doc.md"
	cp "$tmp/doc.md" "$DOC"
else
	{ echo "# Benchmarks"; echo; cat "$SECTION"; } >"$DOC"
fi
echo "bench.sh: wrote $DOC" >&2
sed -n '/<!-- stress-bench:begin -->/,/<!-- stress-bench:end -->/p' "$DOC"
