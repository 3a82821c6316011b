#!/usr/bin/env bash
# coverage_scope.sh - libFuzzer's coverage instrumentation is where it
# guides the search, and nowhere else, in the fuzz targets ./build.sh
# builds (TSan and ASan+UBSan): the allocator, the schedule decoder and
# text form, the targets' entry points and fuzz_pagealloc's operations
# (fz_pagediff.c) carry edge counters and comparison tracing, except the
# bitmap and summary arithmetic (allocator/ph_pallocbits.c), which carries
# edge counters only (Makefile, NO_CMP_TRACE_SRC), and the heap's
# invariant checks (allocator/ph_verify.c, NO_COVERAGE_SRC: run after every
# input, the same branches each time), which carry none; the oracles,
# the shadow, the trace, the scheduler, the engines and the runner carry
# neither -- their loops over pages and events would pay a callback per
# comparison and feed the fuzzer values that no input byte decides.
# Checked in the object files, so inlined helpers and out-of-line copies of
# header functions count too.
# In the TSan build the same harness files hold no ThreadSanitizer access
# check either (fz_sanitizer.h: its bookkeeping is compiled blind), except
# the memory oracles' explicit one-per-page announcements (fz_bulk.c),
# while the allocator keeps them.  The hot blind files of the Makefile's
# NO_TSAN_STACK_SRC hold no __tsan_func_entry either (TSan keeps no call
# stack for them); the runner, the memory oracles (whose frames stand in
# the stacks of TSan's reports about a page) and the allocator keep theirs.
# Within fz_shadow.c only the written-run walk does (FZ_NO_TSAN_FRAME_*).
set -uo pipefail
cd "$ROOT"

NO_STACK=$(make -pn -f Makefile lib 2>/dev/null | sed -n 's/^NO_TSAN_STACK_SRC = //p')

# Files whose code is meant to be instrumented.
instrumented() {
	case $1 in
	allocator/* | fuzz/schedule/* | fuzz/targets/* | fuzz/oracles/fz_pagediff.c) return 0 ;;
	*) return 1 ;;
	esac
}

for variant in fuzz-tsan fuzz-asan; do
	obj=$ROOT/build/$variant/obj
	if [ ! -d "$obj" ]; then
		echo "FAIL coverage-scope-$variant: no objects in $obj (./build.sh builds them)"
		continue
	fi
	bad="" seen_alloc=0 seen_decoder=0 seen_bits=0 checked=0 tsan_bad="" tsan_alloc=0 seen_verify=0 stack_bad="" stack_kept=0
	for src in allocator/*.c fuzz/*/*.c; do
		o=$obj/${src%.c}.o
		[ -f "$o" ] || continue
		checked=$((checked + 1))
		# Functions holding a call to a comparison-tracing callback, and
		# whether the object has an edge-counter section at all.
		funcs=$(objdump -dr "$o" | awk '/^[0-9a-f]+ <.*>:$/ { f = $2 } /R_X86_64_PLT32[[:space:]]+__sanitizer_cov_trace/ { print f }' | sort -u | tr -d '<>:' | tr '\n' ' ')
		counters=$(objdump -h "$o" | awk '$2 == "__sancov_cntrs"' | wc -l)
		if [ "$variant" = fuzz-tsan ]; then
			checks=$(objdump -dr "$o" | grep -cE 'R_X86_64_PLT32[[:space:]]+__tsan_(unaligned_)?(read|write)[0-9]+')
			case $src in
			allocator/ph_pagealloc.c) [ "$checks" -gt 0 ] && tsan_alloc=1 ;;
			fuzz/oracles/fz_bulk.c) ;;
			*) instrumented "$src" || [ "$checks" -eq 0 ] || tsan_bad="$tsan_bad $src($checks)" ;;
			esac
			entries=$(objdump -dr "$o" | grep -cE 'R_X86_64_PLT32[[:space:]]+__tsan_func_entry')
			case " $NO_STACK " in
			*" $src "*) [ "$entries" -eq 0 ] || stack_bad="$stack_bad $src($entries)" ;;
			*)
				case $src in
				allocator/ph_pagealloc.c | fuzz/run/fz_run.c | fuzz/oracles/fz_oracle_pages.c)
					[ "$entries" -gt 0 ] && stack_kept=$((stack_kept + 1)) ;;
				esac ;;
			esac
		fi
		if instrumented "$src"; then
			case $src in
			allocator/ph_pagealloc.c) [ -n "$funcs" ] && [ "$counters" -gt 0 ] && seen_alloc=1 ;;
			allocator/ph_pallocbits.c)
				if [ -n "$funcs" ]; then bad="$bad $src(comparison tracing in: $funcs)"; fi
				[ "$counters" -gt 0 ] && seen_bits=1 ;;
			fuzz/schedule/fz_decode.c) [ -n "$funcs" ] && [ "$counters" -gt 0 ] && seen_decoder=1 ;;
			allocator/ph_verify.c)
				if [ -n "$funcs" ] || [ "$counters" -gt 0 ]; then
					bad="$bad $src(${funcs:-edge counters})"
				else
					seen_verify=1
				fi ;;
			esac
		elif [ -n "$funcs" ] || [ "$counters" -gt 0 ]; then
			bad="$bad $src(${funcs:-edge counters})"
		fi
	done
	if [ "$checked" -eq 0 ]; then
		echo "FAIL coverage-scope-$variant: no object files found under $obj"
	elif [ -n "$bad" ]; then
		echo "FAIL coverage-scope-$variant: coverage instrumentation where it does not belong:$bad"
	elif [ "$seen_alloc" = 0 ] || [ "$seen_decoder" = 0 ] || [ "$seen_bits" = 0 ]; then
		echo "FAIL coverage-scope-$variant: the allocator, its bitmap arithmetic or the decoder lost its coverage instrumentation"
	elif [ "$seen_verify" = 0 ]; then
		echo "FAIL coverage-scope-$variant: no object of allocator/ph_verify.c (the invariant checks) under $obj"
	else
		echo "PASS coverage-scope-$variant ($checked objects: harness and invariant checks free of coverage, allocator and decoder instrumented, bitmap arithmetic edges only)"
	fi
	if [ "$variant" = fuzz-tsan ]; then
		if [ -n "$tsan_bad" ]; then
			echo "FAIL tsan-scope-$variant: ThreadSanitizer access checks in harness code:$tsan_bad"
		elif [ "$tsan_alloc" = 0 ]; then
			echo "FAIL tsan-scope-$variant: allocator/ph_pagealloc.c lost its ThreadSanitizer instrumentation"
		else
			echo "PASS tsan-scope-$variant (harness code blind to TSan but for fz_bulk.c's announcements; allocator instrumented)"
		fi
		if [ -z "$NO_STACK" ]; then
			echo "FAIL tsan-stack-$variant: the Makefile names no NO_TSAN_STACK_SRC"
		elif [ -n "$stack_bad" ]; then
			echo "FAIL tsan-stack-$variant: TSan function entry/exit in files built without a TSan stack:$stack_bad"
		elif [ "$stack_kept" -ne 3 ]; then
			echo "FAIL tsan-stack-$variant: the allocator, the runner or the memory oracles lost their TSan stack frames"
		else
			echo "PASS tsan-stack-$variant ($(echo $NO_STACK | wc -w) hot blind files keep no TSan stack; allocator, runner and memory oracles do)"
		fi
		# Within fz_shadow.c (FZ_NO_TSAN_FRAME_BEGIN/END): only the
		# written-run walk, which calls the memory passes, keeps a frame.
		o=$obj/fuzz/oracles/fz_shadow.o
		framed=$( [ -f "$o" ] && objdump -dr "$o" |
			awk '/^[0-9a-f]+ <.*>:$/ { f = $2 } /R_X86_64_PLT32[[:space:]]+__tsan_func_entry/ { print f }' |
			tr -d '<>:' | sort -u | tr '\n' ' ')
		if [ ! -f "$o" ]; then
			echo "FAIL tsan-frames-shadow-$variant: no $o"
		elif [ "$framed" != "fz_shadow_for_each_written_run " ]; then
			echo "FAIL tsan-frames-shadow-$variant: functions of fz_shadow.c with a TSan frame: '${framed}' (want only fz_shadow_for_each_written_run)"
		else
			echo "PASS tsan-frames-shadow-$variant (the shadow's bookkeeping keeps no TSan frame; its walk into the memory passes does)"
		fi
	fi
done
