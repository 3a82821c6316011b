/*
 * ph_hooks.h - the allocator's only window onto whoever drives it.
 *
 * The allocator announces every access to state shared between threads:
 * before the access a scheduling point (ph_hook_point) naming what it is
 * about to touch, after it what it observed (ph_hook_note).  A controlled
 * scheduler may switch threads at any point; a tracer records the notes;
 * oracles check them.  When the heap lock is busy the allocator asks
 * ph_hook_lock_wait whether someone else will run in the meantime, so a
 * schedule never blocks an OS thread on the lock.  Zeroing a span goes
 * through ph_hook_zero, so a harness can do it as cheaply as its own memory
 * checks.
 *
 * Builds with PH_HOOKS=0 (production, benchmarks) compile every hook to
 * nothing.  Builds with PH_HOOKS=1 call the functions below; ph_hooks.c
 * provides weak no-op versions that a harness overrides.
 *
 * Hooks run on the allocating thread, possibly with the heap lock held.
 * They must not call back into the allocator.
 */
#ifndef PH_HOOKS_H
#define PH_HOOKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifndef PH_HOOKS
#define PH_HOOKS 0
#endif

/*
 * Scheduling points: announced just before the access, together with the
 * object the access touches, so that a scheduler can tell which accesses
 * of different threads conflict: for the zeroedBase points the global
 * arena index (the same number as ph_note.arena); for the others 0, since
 * a heap has one lock and one page allocator.
 */
enum ph_point {
	PH_PT_LOCK,         /* about to try to take the heap lock */
	PH_PT_UNLOCK,       /* about to release it */
	PH_PT_ZB_LOAD,      /* about to load an arena's zeroedBase */
	PH_PT_ZB_CAS,       /* about to CAS it */
	PH_PT_ZB_STORE,     /* about to store it (pre-seed variant and faults) */
	PH_PT_CACHE_REFILL, /* a cache block was chosen, not yet claimed */
	PH_PT_COUNT
};

/* Observations: reported just after the access. */
enum ph_note_kind {
	PH_NOTE_LOCKED,        /* heap lock taken */
	PH_NOTE_UNLOCKED,      /* heap lock released */
	PH_NOTE_CLAIM,         /* pages [base, +npages) now belong to the caller; a = 1 from the P's cache, 0 from the page allocator */
	PH_NOTE_DECIDE_BEGIN,  /* zeroing decision for [base, +npages) starts */
	PH_NOTE_ZB_LOAD,       /* arena's zeroedBase read as a */
	PH_NOTE_ZB_CAS,        /* CAS of arena's zeroedBase from a to b; ok */
	PH_NOTE_ZB_STORE,      /* arena's zeroedBase written as b (plain store) */
	PH_NOTE_DECIDE_END,    /* decision finished; ok = needs zeroing */
	PH_NOTE_ZEROED,        /* [base, +npages) cleared because a decision said so */
	PH_NOTE_CACHE_REFILL,  /* P cache refilled: block at base, a = free bits, b = scavenged bits */
	PH_NOTE_CACHE_FLUSH,   /* P cache returned: block at base, a = free bits */
	PH_NOTE_GROW,          /* page allocator grew by [base, +npages) */
	PH_NOTE_FREE,          /* pages [base, +npages) returned to the page allocator */
	PH_NOTE_COUNT
};

struct ph_note {
	enum ph_note_kind kind;
	uintptr_t base;   /* heap (virtual) address */
	uintptr_t npages;
	uintptr_t arena;  /* global arena index (ZB_* notes) */
	uintptr_t a, b;
	bool ok;
};

/*
 * Pointer tests.  A coverage-guided fuzzer records the operands of every
 * comparison in instrumented code and may splice them into later inputs;
 * an address from mmap or malloc differs on every run, so comparing one in
 * plain sight would let the OS's choice of address steer the fuzzer and
 * break replay.  PH_NULL(p) tests a pointer out of the fuzzer's sight in
 * hooked builds, and is a plain comparison otherwise.
 */
#if PH_HOOKS
bool ph_ptr_eq(const void *a, const void *b);
#define PH_PTR_EQ(a, b) ph_ptr_eq((a), (b))
#else
#define PH_PTR_EQ(a, b) ((const void *)(a) == (const void *)(b))
#endif
#define PH_NULL(p) PH_PTR_EQ((p), NULL)

#if PH_HOOKS
void ph_hook_point(enum ph_point pt, uintptr_t obj);
/* A note travels field by field, in registers: a struct built at the call
 * site would sit in the allocator's instrumented frame, where
 * ThreadSanitizer checks every byte of its initialisation (about 7 % of
 * bench/engine.sh's TSan floor in perf samples).  PH_NOTE still takes
 * designated initialisers; the local struct it builds is never addressed,
 * so the compiler keeps it in registers. */
void ph_hook_note(enum ph_note_kind kind, uintptr_t base, uintptr_t npages, uintptr_t arena, uintptr_t a,
		  uintptr_t b, bool ok);
/* The lock at `lock` is busy.  Returns true if the harness let other threads
 * run and the caller should simply retry; false to wait the normal way. */
bool ph_hook_lock_wait(const void *lock);
/* Clears [p, p+n), heap memory the caller owns (a span it zeroes because
 * the decision said so).  The default is memset; a harness may clear it
 * its own way, e.g. out of a sanitizer's sight with one visible access per
 * page, as long as the bytes end up zero. */
void ph_hook_zero(void *p, size_t n);

#define PH_POINT(pt, obj) ph_hook_point((pt), (obj))
#define PH_NOTE(...)                                                                                 \
	do {                                                                                         \
		const struct ph_note ph_note_ = {__VA_ARGS__};                                       \
		ph_hook_note(ph_note_.kind, ph_note_.base, ph_note_.npages, ph_note_.arena, ph_note_.a, \
			     ph_note_.b, ph_note_.ok);                                               \
	} while (0)
#define PH_LOCK_WAIT(lock) ph_hook_lock_wait(lock)
#define PH_ZERO(p, n) ph_hook_zero((p), (n))
#else
#define PH_POINT(pt, obj) ((void)sizeof(obj))
/* sizeof never evaluates its operand: nothing runs, yet the arguments
 * count as used, so hook-free builds need no #if around note values. */
#define PH_NOTE(...) ((void)sizeof((struct ph_note){__VA_ARGS__}))
#define PH_LOCK_WAIT(lock) ((void)(lock), false)
#define PH_ZERO(p, n) memset((p), 0, (n))
#endif

#endif
