#!/usr/bin/env bash
# tools/build-loop.sh - the everyday-loop commands of build.sh: coverage,
# merge and minimize.  build.sh sources this file; it defines functions
# only and uses build.sh's ROOT, LOCAL_OUT, die_usage, cmd_build, check_bug
# and guess_target.  Kept apart so that neither file grows past ~800 lines.
#
#   coverage [SECONDS]   coverage variant, replay of corpus + work/fuzz finds,
#                        HTML report in work/coverage/, per-file table
#   merge [--dry-run]    libFuzzer -merge=1 of work/fuzz finds into corpus/
#   minimize [--out DIR] CRASH [TARGET]
#                        libFuzzer -minimize_crash under FZ_EXPECT, then
#                        out/schedmin's structural shrink

# ---- coverage -----------------------------------------------------------

# coverage_inputs TARGET: the folders of inputs a target's coverage is
# measured on: its committed corpus and regressions (a free-running target
# shares its controlled twin's), and what fuzzing found in work/fuzz/ and
# work/fuzz-asan/ (./build.sh fuzz --asan).
coverage_inputs() {
	local name=${1#fuzz_} d
	[ -d "$ROOT/corpus/$name" ] || name=${name%_freerun}
	for d in "$ROOT/corpus/$name" "$ROOT/corpus/$name/regressions" "$ROOT/work/fuzz/$1/corpus" \
		"$ROOT/work/fuzz-asan/$1/corpus"; do
		[ -d "$d" ] && echo "$d"
	done
	return 0
}

# llvm_tool NAME: the LLVM tool of the clang that built the coverage
# targets (profiles are read only by their own LLVM version).
llvm_tool() {
	local cc dir
	cc=$(command -v "${CC:-clang}" 2>/dev/null) || true
	dir=$( [ -n "$cc" ] && dirname "$(readlink -f "$cc")")
	if [ -n "$dir" ] && [ -x "$dir/$1" ]; then echo "$dir/$1"; else command -v "$1"; fi
}

# coverage [SECONDS]: what the corpus covers, as an HTML report.
cmd_coverage() {
	[ $# -le 1 ] || die_usage "coverage: too many arguments"
	local secs=${1:-0}
	[[ $secs =~ ^[0-9]+$ ]] || die_usage "coverage: SECONDS must be a whole number of seconds, got '$secs'"
	local profdata cov
	profdata=$(llvm_tool llvm-profdata) && cov=$(llvm_tool llvm-cov) ||
		{ echo "build.sh: coverage needs llvm-profdata and llvm-cov (Debian: apt-get install llvm)" >&2; exit 1; }
	local targets=() t src
	for src in "$ROOT"/fuzz/targets/target_*.c; do
		t=$(basename "$src" .c)
		targets+=("fuzz_${t#target_}")
	done
	if [ "$secs" -gt 0 ]; then
		coverage_fuzz "$secs" "${targets[@]}"
	fi

	local b=$ROOT/build/coverage report=$ROOT/work/coverage
	mkdir -p "$b"
	echo "build.sh: building the coverage variant (tools/ossfuzz-build.sh, SANITIZER=coverage) into $b/out"
	# OSS-Fuzz's flags for a coverage build come from the script itself:
	# the caller's CFLAGS and friends must not reach it.
	if ! env -u CFLAGS -u CXXFLAGS -u LIB_FUZZING_ENGINE -u CC -u CXX OUT="$b/out" WORK="$b" SANITIZER=coverage \
		FUZZING_ENGINE=libfuzzer bash "$ROOT/tools/ossfuzz-build.sh" >"$b/build.log" 2>&1; then
		tail -20 "$b/build.log" >&2
		echo "build.sh: the coverage build failed; its log: $b/build.log" >&2
		exit 1
	fi
	rm -rf "$b/profiles" "$b/inputs"
	mkdir -p "$b/profiles"
	local objects=() d n
	printf '\n%-24s %8s  %s\n' target inputs "from"
	for t in "${targets[@]}"; do
		# Binary inputs only, gathered in one folder: texts and notes are
		# not inputs.
		local stage=$b/inputs/$t from=()
		mkdir -p "$stage"
		while read -r d; do
			find "$d" -maxdepth 1 -type f ! -name '*.txt' ! -name '*.md' ! -name '.*' -exec cp -f {} "$stage/" \;
			from+=("${d#"$ROOT"/}")
		done < <(coverage_inputs "$t")
		n=$(find "$stage" -type f | wc -l)
		printf '%-24s %8s  %s\n' "$t" "$n" "${from[*]:-(none)}"
		if ! (cd "$b" && LLVM_PROFILE_FILE="$b/profiles/$t-%p.profraw" "$b/out/$t" -runs=0 "$stage" >"$b/run-$t.log" 2>&1); then
			tail -20 "$b/run-$t.log" >&2
			echo "build.sh: $t failed while replaying its inputs (log: $b/run-$t.log); the corpus must replay clean" >&2
			exit 1
		fi
		objects+=("$b/out/$t")
	done
	"$profdata" merge -sparse "$b"/profiles/*.profraw -o "$b/merged.profdata"
	local args=(-instr-profile="$b/merged.profdata" "${objects[0]}")
	for t in "${objects[@]:1}"; do args+=(-object "$t"); done
	# Sources named one by one, sorted: the report lists them in this order.
	local alloc_src=() fuzz_src=()
	mapfile -t alloc_src < <(find "$ROOT/allocator" -maxdepth 1 -name '*.[ch]' | LC_ALL=C sort)
	mapfile -t fuzz_src < <(find "$ROOT/fuzz" -mindepth 2 -maxdepth 2 -name '*.[ch]' | LC_ALL=C sort)
	rm -rf "$report"
	"$cov" show -format=html -output-dir="$report" -show-line-counts-or-regions \
		-project-title="pageheap-fuzz: what the corpus covers" "${args[@]}" "${alloc_src[@]}" "${fuzz_src[@]}" >/dev/null
	echo
	"$cov" report "${args[@]}" "${alloc_src[@]}" | coverage_table
	echo
	echo "build.sh: HTML report (every file of allocator/ and fuzz/, line by line): $report/index.html"
}

# The allocator's per-file summary from llvm-cov report: covered/total and
# percent for lines, functions and regions.
coverage_table() {
	awk -v root="$ROOT/" '
		function cell(total, missed) {
			if (total == 0)
				return sprintf("%11s %7s", "-", "")
			return sprintf("%5d/%-5d %6.1f%%", total - missed, total, 100 * (total - missed) / total)
		}
		/^Filename/ || /^---/ || NF < 10 { next }
		$2 + $5 + $8 == 0 { next } # a header without code
		{
			name = $1
			sub(root, "", name)
			if (name != "TOTAL" && name !~ /^allocator\//) name = "allocator/" name
			printf "%-28s %s   %s   %s\n", name, cell($8, $9), cell($5, $6), cell($2, $3)
		}
		BEGIN { printf "%-28s %-19s   %-19s   %-19s\n", "file (allocator/)", "lines", "functions", "regions" }
	'
}

# coverage_fuzz SECONDS TARGETS...: fuzz each target in the ASan build for
# its share of SECONDS, adding what it finds to work/fuzz/TARGET/corpus.
coverage_fuzz() {
	local secs=$1 t
	shift
	local each=$((secs / $#))
	[ "$each" -ge 1 ] || each=1
	for t in "$@"; do
		[ -x "$LOCAL_OUT/asan/$t" ] || { cmd_build; break; }
	done
	echo "build.sh: fuzzing each of $# targets for ${each}s first (ASan build), adding to work/fuzz/TARGET/corpus"
	for t in "$@"; do
		local d=$ROOT/work/fuzz/$t d2 opts=()
		mkdir -p "$d/corpus" "$d/crashes"
		local seeds=()
		while read -r d2; do
			[ "$d2" = "$d/corpus" ] || seeds+=("$d2")
		done < <(coverage_inputs "$t")
		[ -f "$ROOT/fuzz/dicts/$t.dict" ] && opts+=("-dict=$ROOT/fuzz/dicts/$t.dict")
		local before
		before=$(find "$d/corpus" -type f | wc -l)
		(cd "$d" && "$LOCAL_OUT/asan/$t" "${opts[@]}" -max_total_time="$each" -reload=0 -artifact_prefix="$d/crashes/" \
			"$d/corpus" "${seeds[@]}" >"$d/coverage-fuzz.log" 2>&1) ||
			echo "build.sh: $t stopped at a crash; reproduce with ./build.sh repro $(ls -t "$d/crashes"/* 2>/dev/null | head -1) $t"
		echo "  $t: $(( $(find "$d/corpus" -type f | wc -l) - before )) new inputs in work/fuzz/$t/corpus"
	done
}

# ---- merge --------------------------------------------------------------

# merge [--dry-run]: fold what fuzzing found into the committed corpus.
cmd_merge() {
	local dry=0
	case ${1:-} in
	--dry-run) dry=1; shift ;;
	esac
	[ $# -eq 0 ] || die_usage "merge takes no arguments but --dry-run"
	[ -x "$LOCAL_OUT/schedtool" ] || cmd_build
	local src t any=0
	for src in "$ROOT"/fuzz/targets/target_*.c; do
		t=$(basename "$src" .c)
		t=fuzz_${t#target_}
		# A free-running target's finds are fuzz_schedule programs: they go
		# to corpus/schedule with fuzz_schedule's (deterministic) coverage.
		[ "$t" = fuzz_schedule_freerun ] && continue
		local work=() w
		for w in "$ROOT/work/fuzz" "$ROOT/work/fuzz-asan"; do
			[ -d "$w/$t/corpus" ] && work+=("$w/$t/corpus")
			[ "$t" = fuzz_schedule ] && [ -d "$w/fuzz_schedule_freerun/corpus" ] &&
				work+=("$w/fuzz_schedule_freerun/corpus")
		done
		if [ ${#work[@]} -eq 0 ]; then
			echo "$t: nothing to merge (no work/fuzz/$t/corpus)"
			continue
		fi
		any=1
		merge_target "$t" "$dry" "${work[@]}"
	done
	[ $any -eq 1 ] || echo "build.sh: nothing to merge: ./build.sh fuzz (or coverage SECONDS) fills work/fuzz/TARGET/corpus"
	[ $dry -eq 0 ] || echo "build.sh: dry run: nothing was written"
}

# merge_target TARGET DRY WORKDIRS...: libFuzzer's -merge=1 of the work
# corpora into a copy of the committed corpus (seeds and regressions, which
# count as covered but are never written); every input it adds is written
# to corpus/NAME/ (schedule-running targets: as canonical bytes and text).
merge_target() {
	local t=$1 dry=$2
	shift 2
	local name=${t#fuzz_} bin=$LOCAL_OUT/asan/$t
	local dest=$ROOT/corpus/$name
	[ -x "$bin" ] || cmd_build
	local tmp
	tmp=$(mktemp -d)
	mkdir -p "$tmp/main"
	# The committed inputs, regressions under a prefix so no name collides.
	local f
	for f in "$dest"/* "$dest"/regressions/*; do
		[ -f "$f" ] || continue
		case $f in *.txt | *.md) continue ;; esac
		case $f in */regressions/*) cp "$f" "$tmp/main/regression-$(basename "$f")" ;; *) cp "$f" "$tmp/main/" ;; esac
	done
	LC_ALL=C ls "$tmp/main" >"$tmp/before"
	# Schedules already committed, by the sha1 of their (canonical) bytes.
	local -A seen=()
	local sum path
	while read -r sum path; do
		seen[$sum]=1
	done < <(cd "$tmp/main" && find . -type f -exec sha1sum {} +)
	local inputs
	inputs=$(find "$@" -type f | wc -l)
	if ! (cd "$tmp" && UBSAN_OPTIONS="halt_on_error=1 ${UBSAN_OPTIONS:-}" "$bin" -merge=1 \
		-merge_control_file="$tmp/control" "$tmp/main" "$@" >"$tmp/merge.log" 2>&1); then
		tail -15 "$tmp/merge.log" >&2
		echo "build.sh: $t: libFuzzer's merge failed (an input crashes?); nothing merged for it" >&2
		rm -rf "$tmp"
		return 0
	fi
	# Where each found input came from, by content.
	local -A origin=()
	while read -r sum path; do
		origin[$sum]=${origin[$sum]:-$path}
	done < <(find "$@" -type f -exec sha1sum {} +)
	local added=() ext=
	compgen -G "$dest/*.bin" >/dev/null && ext=.bin
	for f in $(LC_ALL=C ls "$tmp/main" | LC_ALL=C comm -13 "$tmp/before" -); do
		local new=$tmp/main/$f from
		from=${origin[$(sha1sum <"$new" | cut -d' ' -f1)]:-a work corpus}
		from=${from#"$ROOT"/}
		if is_schedule_target "$t"; then
			# Canonical bytes with their text, as every committed seed is
			# (corpus.sh checks .bin == encode(.txt)); a schedule that is
			# already committed or added is not added twice.
			"$LOCAL_OUT/schedtool" decode --target "$name" "$new" "$tmp/text" &&
				"$LOCAL_OUT/schedtool" encode "$tmp/text" "$tmp/canon" >/dev/null || continue
			local csum
			csum=$(sha1sum <"$tmp/canon" | cut -d' ' -f1)
			[ -z "${seen[$csum]:-}" ] || continue
			seen[$csum]=1
			local id=found-${csum:0:16}
			added+=("$id.bin (+ .txt) from $from")
			if [ "$dry" -eq 0 ]; then
				cp "$tmp/canon" "$dest/$id.bin"
				{
					echo "# Added by ./build.sh merge: fuzzing found it ($from) and it covers"
					echo "# what the committed corpus did not (libFuzzer -merge=1 with $t)."
					cat "$tmp/text"
				} >"$dest/$id.txt"
			fi
		else
			# A copy of a committed input is not added even when libFuzzer
			# credits it with features: those come from the state the
			# previous input left (what a reset had to undo), not from it.
			local rsum
			rsum=$(sha1sum <"$new" | cut -d' ' -f1)
			[ -z "${seen[$rsum]:-}" ] || continue
			seen[$rsum]=1
			local id=found-${rsum:0:16}
			added+=("$id$ext from $from")
			[ "$dry" -eq 0 ] && cp "$new" "$dest/$id$ext"
		fi
	done
	local verb=added
	[ "$dry" -eq 0 ] || verb="would add"
	echo "$t: $inputs inputs in ${*#"$ROOT"/}; new ones that cover what the committed corpus does not: ${#added[@]}; $verb to corpus/$name/:"
	for f in "${added[@]}"; do echo "  $f"; done
	rm -rf "$tmp"
}

# ---- minimize -----------------------------------------------------------

# replay_verdict BIN FILE: what a replay of FILE by BIN ends with: the oracle of
# its "==== verdict: ORACLE: ..." line, or "XSanitizer: kind" for a sanitizer
# report without one, or EXITn for any other failure; empty when it passes.
replay_verdict() {
	local log rc=0 v
	log=$(mktemp)
	TSAN_OPTIONS="halt_on_error=1 ${TSAN_OPTIONS:-}" FZ_TRACE=0 FZ_EXPECT='' "$1" "$2" >"$log" 2>&1 || rc=$?
	v=$(sed -n 's/^==== verdict: \([A-Z0-9]*\): .*/\1/p' "$log" | head -1)
	[ -n "$v" ] || v=$(sed -n 's/^SUMMARY: \([A-Za-z]*Sanitizer\): \([a-zA-Z -]*[a-zA-Z]\).*/\1: \2/p' "$log" | head -1)
	[ -n "$v" ] || [ "$rc" -eq 0 ] || v=EXIT$rc
	rm -f "$log"
	echo "$v"
}

# sched_stats FILE TARGET: "threads ops decisions" of a schedule file.
sched_stats() {
	local t=${2#fuzz_}
	t=${t%_freerun}
	"$LOCAL_OUT/schedtool" decode --target "$t" "$1" | awk '
		/^threads / { th = $2 }
		/^decisions/ { d = 1; next }
		/^  / { if (d) dec++; else ops++ }
		END { printf "%d %d %d\n", th, ops, dec }'
}

# target_story BIN FILE: what BIN says replaying FILE with FZ_TRACE=1,
# without libFuzzer's banner, up to the verdict line when there is one (a
# sanitizer's report, which has none, is kept whole).
target_story() {
	FZ_TRACE=1 FZ_EXPECT='' TSAN_OPTIONS="halt_on_error=1 ${TSAN_OPTIONS:-}" "$1" "$2" 2>&1 |
		sed -e '/^INFO: /d' -e '/^Running: /d' -e '/: Running [0-9]* inputs/d' -e '/^==== verdict: /q' || true
}

# stage_row LABEL FILE TARGET VERDICT: one row of minimize's size table.
stage_row() {
	local bytes th=- ops=- dec=- lines=-
	bytes=$(wc -c <"$2")
	if is_schedule_target "$3"; then
		read -r th ops dec < <(sched_stats "$2" "$3")
		# The trace is an oracle's story; a sanitizer's verdict has none.
		is_oracle "$4" && lines=$({ "$LOCAL_OUT/schedtool" trace "$2" "${3#fuzz_}" 2>/dev/null || true; } | wc -l)
	fi
	printf '  %-12s %8s %8s %8s %10s %12s\n' "$1" "$bytes" "$th" "$ops" "$dec" "$lines"
}

# An oracle's name (Z1, O1, HEAP, ...), not a sanitizer's report or an exit.
is_oracle() {
	[[ $1 =~ ^[A-Z][A-Z0-9]*$ ]] && [[ ! $1 =~ ^EXIT ]]
}

judge_name() {
	case $1 in
	*/asan/*) echo "the ASan build ($1)" ;;
	*) echo "the TSan build ($1)" ;;
	esac
}

is_schedule_target() {
	case $1 in fuzz_schedule | fuzz_needzero) return 0 ;; *) return 1 ;; esac
}

# minimize [--out DIR] CRASH [TARGET]: the smallest input that fails the
# same way, as libFuzzer and then the schedule's structure can make it.
cmd_minimize() {
	local outdir=$ROOT/work/minimize
	if [ "${1:-}" = --out ]; then
		[ $# -ge 2 ] || die_usage "minimize: --out needs a DIR"
		outdir=$2
		shift 2
	fi
	[ $# -ge 1 ] && [ $# -le 2 ] || die_usage "minimize [--out DIR] CRASH [TARGET]"
	local crash=$1 target=${2:-} runs=${MINIMIZE_RUNS:-20000}
	[ -f "$crash" ] || { echo "build.sh: no such file: $crash" >&2; exit 2; }
	[[ $runs =~ ^[0-9]+$ ]] && [ "$runs" -gt 0 ] || die_usage "minimize: MINIMIZE_RUNS must be a positive integer, got '$runs'"
	[ -n "$target" ] || target=$(guess_target "$crash")
	target=fuzz_${target#fuzz_}
	[ -f "$ROOT/fuzz/targets/target_${target#fuzz_}.c" ] || die_usage "minimize: unknown target $target"
	check_bug
	local need
	for need in "$target" "asan/$target" schedtool schedmin; do
		[ -x "$LOCAL_OUT/$need" ] || { cmd_build; break; }
	done
	crash=$(cd "$(dirname "$crash")" && pwd)/$(basename "$crash")

	if [ "$target" = fuzz_schedule_freerun ]; then
		# Free-running replays are not deterministic: minimise the same
		# bytes under control if they fail there.
		if [ -z "$(replay_verdict "$LOCAL_OUT/asan/fuzz_schedule" "$crash")$(replay_verdict "$LOCAL_OUT/fuzz_schedule" "$crash")" ]; then
			echo "build.sh: $crash does not fail under control (fuzz_schedule); a free-running failure is not deterministic, so it cannot be minimised" >&2
			exit 1
		fi
		echo "build.sh: free-running replays are not deterministic; the same bytes fail under control, so they are minimised as fuzz_schedule"
		target=fuzz_schedule
	fi
	# The verdict to keep, and the build that judges it: an oracle's, as
	# the ASan build (ClusterFuzz's view) gives it, when there is one; else
	# the sanitizer report of the TSan build (how ./build.sh fuzz found it)
	# or of the ASan build.
	local v0 vasan vtsan judge
	vasan=$(replay_verdict "$LOCAL_OUT/asan/$target" "$crash")
	vtsan=$(replay_verdict "$LOCAL_OUT/$target" "$crash")
	if [ -n "$vasan" ] && is_oracle "$vasan"; then
		v0=$vasan judge=$LOCAL_OUT/asan/$target
	elif [ -n "$vtsan" ]; then
		v0=$vtsan judge=$LOCAL_OUT/$target
	elif [ -n "$vasan" ]; then
		v0=$vasan judge=$LOCAL_OUT/asan/$target
	else
		echo "build.sh: $crash does not fail with $target (TSan or ASan build): nothing to minimise" >&2
		exit 1
	fi
	echo "build.sh: minimising $crash ($target): verdict $v0 in $(judge_name "$judge")"
	[ -z "$vtsan" ] || [ "$vtsan" = "$v0" ] ||
		echo "build.sh: (the TSan build, $LOCAL_OUT/$target, reports '$vtsan' first)"

	local tmp
	tmp=$(mktemp -d)
	# libFuzzer's crash minimisation in the judging build; FZ_EXPECT makes
	# failures of other oracles no crashes (NONE: any oracle's).
	local expect=$v0
	is_oracle "$v0" || expect=NONE
	# A fixed seed: the same crash minimises to the same input every time.
	echo "build.sh: libFuzzer -minimize_crash=1 -seed=1 -runs=$runs (per step) in $(judge_name "$judge"), FZ_EXPECT=$expect"
	(cd "$tmp" && FZ_EXPECT=$expect TSAN_OPTIONS="halt_on_error=1 ${TSAN_OPTIONS:-}" "$judge" -minimize_crash=1 \
		-seed=1 -runs="$runs" -exact_artifact_path="$tmp/libfuzzer.bin" "$crash" >"$tmp/libfuzzer.log" 2>&1) || true
	local lf=$crash
	if [ -f "$tmp/libfuzzer.bin" ]; then
		local v1
		v1=$(replay_verdict "$judge" "$tmp/libfuzzer.bin")
		if [ "$v1" = "$v0" ]; then
			lf=$tmp/libfuzzer.bin
		else
			echo "build.sh: libFuzzer's reduction fails with '${v1:-nothing}', not $v0; going on from the crash itself"
		fi
	else
		echo "build.sh: libFuzzer found no smaller input failing with $v0"
	fi

	# The schedule's structure: threads, operations, decisions.
	local final=$lf
	if is_schedule_target "$target"; then
		if ! is_oracle "$v0"; then
			echo "build.sh: structural shrinking runs schedules in-process and judges them by the oracles; '$v0' is no oracle's verdict, so libFuzzer's result stays"
		elif "$LOCAL_OUT/schedmin" --target "${target#fuzz_}" --expect "$v0" "$lf" "$tmp/structural.bin"; then
			local v2
			v2=$(replay_verdict "$judge" "$tmp/structural.bin")
			if [ "$v2" = "$v0" ]; then
				final=$tmp/structural.bin
			else
				echo "build.sh: the structural reduction fails with '${v2:-nothing}' in $(judge_name "$judge"), not $v0; libFuzzer's result stays"
			fi
		else
			echo "build.sh: schedmin failed (above); libFuzzer's result stays"
		fi
	fi

	mkdir -p "$outdir"
	local name
	name=$(basename "$crash")
	name=$outdir/${name%.*}-min
	cp "$final" "$name.bin"
	if is_schedule_target "$target"; then
		local st vline
		st=$(sched_stats "$crash" "$target" | awk '{ printf "%s threads, %s ops, %s decisions", $1, $2, $3 }')
		if is_oracle "$v0"; then
			"$LOCAL_OUT/schedtool" trace "$name.bin" "${target#fuzz_}" >"$name.trace" 2>&1 || true
			vline=$(sed -n 's/^==== verdict: \(.*\) ====$/\1/p' "$name.trace")
		else
			target_story "$judge" "$name.bin" >"$name.trace"
			vline="$v0 (in $(judge_name "$judge"))"
		fi
		{
			echo "# Minimised by ./build.sh minimize from $(basename "$crash") ($st, $(wc -c <"$crash") bytes)."
			echo "# Fails with: $vline"
			is_oracle "$v0" && echo "# expect: $v0"
			"$LOCAL_OUT/schedtool" decode --target "${target#fuzz_}" "$name.bin"
		} >"$name.txt"
	else
		target_story "$judge" "$name.bin" >"$name.trace"
	fi

	echo
	printf '  %-12s %8s %8s %8s %10s %12s\n' stage bytes threads ops decisions "trace lines"
	stage_row crash "$crash" "$target" "$v0"
	stage_row libFuzzer "$lf" "$target" "$v0"
	is_schedule_target "$target" && stage_row structural "$final" "$target" "$v0"
	echo
	echo "build.sh: $(basename "$name").bin fails with $v0 in $(judge_name "$judge"), as the crash did"
	echo "build.sh: wrote $name.bin$([ -f "$name.txt" ] && echo ", $name.txt"), $name.trace"
	if is_schedule_target "$target"; then
		local dir=corpus/${target#fuzz_}/regressions
		echo "build.sh: to keep it as a regression, name it, say in the .txt what it shows, and commit both:"
		echo "  cp $name.txt $dir/NAME.txt && out/schedtool encode $dir/NAME.txt $dir/NAME.bin"
	fi
	rm -rf "$tmp"
}
