/*
 * ph_hooks.c - default hooks for PH_HOOKS=1 builds used without a harness:
 * no scheduling, no tracing.  Weak, so a harness's definitions win.
 */
#include "ph_hooks.h"

#if PH_HOOKS
#if defined(__clang__) && defined(__has_feature)
#if __has_feature(coverage_sanitizer)
#define PH_UNSEEN __attribute__((noinline, no_sanitize("coverage")))
#endif
#endif
#ifndef PH_UNSEEN
#define PH_UNSEEN __attribute__((noinline))
#endif

/* Not inlined, so the comparison is never instrumented in a caller. */
PH_UNSEEN bool ph_ptr_eq(const void *a, const void *b)
{
	return a == b;
}

__attribute__((weak)) void ph_hook_point(enum ph_point pt, uintptr_t obj)
{
	(void)pt;
	(void)obj;
}

__attribute__((weak)) void ph_hook_note(enum ph_note_kind kind, uintptr_t base, uintptr_t npages, uintptr_t arena,
				      uintptr_t a, uintptr_t b, bool ok)
{
	(void)kind;
	(void)base;
	(void)npages;
	(void)arena;
	(void)a;
	(void)b;
	(void)ok;
}

__attribute__((weak)) bool ph_hook_lock_wait(const void *lock)
{
	(void)lock;
	return false;
}

__attribute__((weak)) void ph_hook_zero(void *p, size_t n)
{
	memset(p, 0, n);
}
#else
/* Keep the translation unit non-empty for -Wpedantic-style checks. */
typedef int ph_hooks_disabled;
#endif
