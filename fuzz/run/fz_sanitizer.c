/* fz_sanitizer.c - one-time sanitizer set-up (see fz_sanitizer.h). */
#include "fz_sanitizer.h"

#include <stdint.h>

FZ_HARNESS_CODE_BEGIN

/* Bounds of the coverage-counter section, defined by the linker when the
 * section exists (fuzzing builds); weak, so other builds link too. */
extern char __start___sancov_cntrs[] __attribute__((weak));
extern char __stop___sancov_cntrs[] __attribute__((weak));

#if defined(FZ_TSAN) && defined(__has_feature)
#if __has_feature(coverage_sanitizer)
/* Stack-depth coverage: written on function entry by whichever fiber runs
 * on this OS thread; defined by libFuzzer. */
extern __thread uintptr_t __sancov_lowest_stack;
#define FZ_HAVE_STACK_DEPTH 1
#endif
#endif

void fz_sanitizer_init(void)
{
#ifdef FZ_TSAN
	static int done;
	if (done)
		return;
	done = 1;
	/* Weak symbols: compared as numbers, since either may be absent. */
	uintptr_t start = (uintptr_t)__start___sancov_cntrs, stop = (uintptr_t)__stop___sancov_cntrs;
	if (start != 0 && stop > start)
		AnnotateBenignRaceSized(__FILE__, __LINE__, __start___sancov_cntrs, stop - start,
					"libFuzzer coverage counters");
#ifdef FZ_HAVE_STACK_DEPTH
	AnnotateBenignRaceSized(__FILE__, __LINE__, &__sancov_lowest_stack, sizeof __sancov_lowest_stack,
				"libFuzzer stack-depth tracking, shared by fibers on one thread");
#endif
#endif
}

FZ_HARNESS_CODE_END
