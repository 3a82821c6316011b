/*
 * fz_sanitizer.h - what the harness tells the sanitizers.
 *
 * Under ThreadSanitizer the harness's own bookkeeping (scheduler state,
 * traces, oracle models) is touched by whichever schedule thread happens to
 * run, with deliberately no happens-before edge between them (so that races
 * in the allocator stay visible).  TSan must neither report it nor derive
 * anything from it, so the harness's code is compiled blind: its plain
 * loads and stores are not instrumented (FZ_HARNESS_CODE_BEGIN/END).  What
 * blindness does not cover -- the interceptors of libc calls (memcpy,
 * memset, printf, malloc and free check or record whole ranges whoever
 * calls them) and instrumented code called from the harness -- is
 * bracketed with FZ_UNTRACKED_BEGIN/END, which tells TSan to ignore the
 * thread's accesses for a while.  The bracket costs a call and an insert
 * into TSan's stack depot, so it stays off the per-step paths (hooks,
 * trace, decision model, scheduler), which call no libc memory function
 * and no allocator code.  Accesses to heap memory that TSan is to judge
 * are explicit calls of its entry points (fz_bulk.c).
 *
 * Fiber support: TSan needs to know about stack switches (a fiber is a
 * separate TSan thread), ASan too (fake stacks, stack bounds).
 */
#ifndef FZ_SANITIZER_H
#define FZ_SANITIZER_H

#include <stddef.h>

#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define FZ_TSAN 1
#endif
#if __has_feature(address_sanitizer)
#define FZ_ASAN 1
#endif
#if __has_feature(memory_sanitizer)
#define FZ_MSAN 1
#endif
#endif
#if !defined(FZ_TSAN) && defined(__SANITIZE_THREAD__)
#define FZ_TSAN 1
#endif
#if !defined(FZ_ASAN) && defined(__SANITIZE_ADDRESS__)
#define FZ_ASAN 1
#endif

/*
 * The harness's own code (oracles, tracing, scheduling, engines) is not
 * what a fuzzer should steer by, and its loops over every page would pay a
 * comparison callback per iteration: files bracket their functions with
 * FZ_HARNESS_CODE_BEGIN/END to keep coverage instrumentation to the
 * allocator and the decoder.  Under ThreadSanitizer the same bracket makes
 * the code blind (see above; TSan still instruments its atomics and
 * function entries).  A header's inline function called from such code
 * must carry the same attributes (or be always_inline), else the caller
 * gets an out-of-line, instrumented copy: tests/scripts/coverage_scope.sh
 * finds those by their coverage.
 */
#if defined(__clang__) && defined(__has_feature)
#if __has_feature(coverage_sanitizer) && defined(FZ_TSAN)
#define FZ_HARNESS_CODE_BEGIN \
	_Pragma("clang attribute push (__attribute__((no_sanitize(\"coverage\", \"thread\"))), apply_to = function)")
#define FZ_HARNESS_CODE_END _Pragma("clang attribute pop")
#elif __has_feature(coverage_sanitizer)
#define FZ_HARNESS_CODE_BEGIN \
	_Pragma("clang attribute push (__attribute__((no_sanitize(\"coverage\"))), apply_to = function)")
#define FZ_HARNESS_CODE_END _Pragma("clang attribute pop")
#elif defined(FZ_TSAN)
#define FZ_HARNESS_CODE_BEGIN \
	_Pragma("clang attribute push (__attribute__((no_sanitize(\"thread\"))), apply_to = function)")
#define FZ_HARNESS_CODE_END _Pragma("clang attribute pop")
#endif
#endif
#ifndef FZ_HARNESS_CODE_BEGIN
#define FZ_HARNESS_CODE_BEGIN
#define FZ_HARNESS_CODE_END
#endif

/*
 * FZ_UNINSTRUMENTED: a function whose plain loads and stores neither
 * ThreadSanitizer, AddressSanitizer nor UBSan instrument (clang keeps
 * instrumenting its atomics and calls, and never inlines it into an
 * instrumented caller; noinline says so for every compiler).
 * MemorySanitizer stays on: its stores must keep memory initialised.  For
 * the harness's bulk loops over memory whose contents, not whose accessors,
 * are being judged (fz_bulk.c) and over its own bookkeeping where a
 * schedule runs one thread at a time (fz_shadow.c).
 */
#if defined(__clang__)
#define FZ_UNINSTRUMENTED __attribute__((no_sanitize("address", "thread", "undefined"), noinline))
#elif defined(__GNUC__) && __GNUC__ >= 8
#define FZ_UNINSTRUMENTED __attribute__((no_sanitize("address,thread,undefined"), noinline))
#else
#define FZ_UNINSTRUMENTED __attribute__((noinline))
#endif

/*
 * FZ_UNINSTRUMENTED_BEGIN/END: the same for every function between them,
 * and no coverage either (the attribute replaces FZ_HARNESS_CODE_BEGIN's),
 * without noinline, so they still inline into one another (clang only;
 * elsewhere nothing changes).  For a whole observer on a hot path whose
 * memory is its own and bounded by asserts (fz_feedback.c's note path).
 * Functions between them must not call sanitized inline functions of
 * headers: those cannot be inlined here and would leave an instrumented
 * out-of-line copy in the object.
 */
#if defined(__clang__)
#define FZ_UNINSTRUMENTED_BEGIN \
	_Pragma("clang attribute push (__attribute__((no_sanitize(\"address\", \"thread\", \"undefined\", \"coverage\"))), apply_to = function)")
#define FZ_UNINSTRUMENTED_END _Pragma("clang attribute pop")
#else
#define FZ_UNINSTRUMENTED_BEGIN
#define FZ_UNINSTRUMENTED_END
#endif

/*
 * FZ_NO_TSAN_FRAME_BEGIN/END: harness functions ThreadSanitizer does not
 * instrument at all, not even their entries and exits or their atomics
 * (clang's disable_sanitizer_instrumentation, TSan builds only).  For
 * blind bookkeeping that neither makes an access TSan checks nor calls
 * anything that does, so its frame never stands in a report, while an
 * entry and an exit per call are two calls into the runtime.  Its atomics
 * must all be relaxed: TSan learns no ordering from them anyway.
 * tests/scripts/coverage_scope.sh checks which functions of fz_shadow.c
 * keep a frame.
 */
#if defined(FZ_TSAN) && defined(__clang__) && defined(__has_attribute)
#if __has_attribute(disable_sanitizer_instrumentation)
#define FZ_NO_TSAN_FRAME_BEGIN \
	_Pragma("clang attribute push (__attribute__((disable_sanitizer_instrumentation)), apply_to = function)")
#define FZ_NO_TSAN_FRAME_END _Pragma("clang attribute pop")
#endif
#endif
#ifndef FZ_NO_TSAN_FRAME_BEGIN
#define FZ_NO_TSAN_FRAME_BEGIN
#define FZ_NO_TSAN_FRAME_END
#endif

#ifdef FZ_TSAN
/* Cheaper than AnnotateIgnoreReads/WritesBegin, but not free: clang 14's
 * runtime still puts the caller's stack into its stack depot at every
 * begin (in perf profiles of bench/engine.sh's TSan floor, 4-9 % of the
 * time went there while ph_hook_note and the scheduling point took the
 * bracket at every step). */
void __tsan_ignore_thread_begin(void);
void __tsan_ignore_thread_end(void);
void *__tsan_get_current_fiber(void);
void *__tsan_create_fiber(unsigned flags);
void __tsan_destroy_fiber(void *fiber);
void __tsan_switch_to_fiber(void *fiber, unsigned flags);
void __tsan_set_fiber_name(void *fiber, const char *name);
void AnnotateBenignRaceSized(const char *file, int line, const volatile void *mem, size_t size,
			     const char *desc);
#define FZ_TSAN_NO_SYNC 1u
#define FZ_UNTRACKED_BEGIN() __tsan_ignore_thread_begin()
#define FZ_UNTRACKED_END() __tsan_ignore_thread_end()
#else
#define FZ_UNTRACKED_BEGIN() ((void)0)
#define FZ_UNTRACKED_END() ((void)0)
#endif

/*
 * FZ_SHARED_*: the harness's bookkeeping that schedule threads share.
 * Free-running threads really run at once, so their accesses are relaxed
 * atomics (no happens-before edge, as everywhere in the harness); under a
 * controlled schedule one thread runs at a time and the accesses are
 * plain, because ThreadSanitizer instruments an atomic even in blind code
 * (a runtime call each).  `atomic` says which; p is evaluated once.
 */
#define FZ_SHARED_LOAD(atomic, p)                                                   \
	({                                                                          \
		__typeof__(p) p_ = (p);                                              \
		(atomic) ? __atomic_load_n(p_, __ATOMIC_RELAXED) : *p_;              \
	})
#define FZ_SHARED_STORE(atomic, p, v)                                               \
	do {                                                                        \
		__typeof__(p) p_ = (p);                                              \
		if (atomic)                                                          \
			__atomic_store_n(p_, (v), __ATOMIC_RELAXED);                 \
		else                                                                 \
			*p_ = (v);                                                   \
	} while (0)
/* Adds 1; the value before. */
#define FZ_SHARED_BUMP(atomic, p)                                                   \
	({                                                                          \
		__typeof__(p) p_ = (p);                                              \
		(atomic) ? __atomic_fetch_add(p_, 1, __ATOMIC_RELAXED) : (*p_)++;    \
	})
#define FZ_SHARED_OR(atomic, p, bits)                                               \
	do {                                                                        \
		__typeof__(p) p_ = (p);                                              \
		if (atomic)                                                          \
			__atomic_fetch_or(p_, (bits), __ATOMIC_RELAXED);             \
		else                                                                 \
			*p_ |= (bits);                                               \
	} while (0)
#define FZ_SHARED_AND(atomic, p, bits)                                              \
	do {                                                                        \
		__typeof__(p) p_ = (p);                                              \
		if (atomic)                                                          \
			__atomic_fetch_and(p_, (bits), __ATOMIC_RELAXED);            \
		else                                                                 \
			*p_ &= (bits);                                               \
	} while (0)

/*
 * libFuzzer's coverage counters are bumped with plain stores by whichever
 * schedule thread runs; since the hand-off deliberately creates no
 * happens-before edge, TSan (which in clang 14 instruments those stores)
 * would report every counter as a race.  fz_sanitizer_init declares the
 * counter section a benign race, once, before any schedule thread runs.
 */
void fz_sanitizer_init(void);

#ifdef FZ_ASAN
void __sanitizer_start_switch_fiber(void **fake_stack_save, const void *bottom, size_t size);
void __sanitizer_finish_switch_fiber(void *fake_stack_save, const void **bottom_old, size_t *size_old);
#endif

#endif
