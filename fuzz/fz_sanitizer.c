/* fz_sanitizer.c - one-time sanitizer set-up (see fz_sanitizer.h). */
#include "fz_sanitizer.h"

/* Bounds of the coverage-counter section, defined by the linker when the
 * section exists (fuzzing builds); weak, so other builds link too. */
extern char __start___sancov_cntrs[] __attribute__((weak));
extern char __stop___sancov_cntrs[] __attribute__((weak));

void fz_sanitizer_init(void)
{
#ifdef FZ_TSAN
	static int done;
	if (done || __start___sancov_cntrs == 0 || __stop___sancov_cntrs <= __start___sancov_cntrs)
		return;
	done = 1;
	AnnotateBenignRaceSized(__FILE__, __LINE__, __start___sancov_cntrs,
				(size_t)(__stop___sancov_cntrs - __start___sancov_cntrs),
				"libFuzzer coverage counters");
#endif
}
