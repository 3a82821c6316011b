/*
 * ph_zeroing.c - does a freshly claimed range need zeroing?  (Go:
 * mheap.allocNeedsZero; the lock-free version is Go commit 4208dbef, the
 * seed of this project.)
 *
 * Each arena keeps zeroedBase: every page at or above that offset has never
 * been handed out, so it is still zero from the OS.  A range that starts
 * below zeroedBase may hold old data and needs zeroing; either way the range
 * raises zeroedBase to its end so the next range knows.
 *
 * Lock-free version (default).  zeroedBase is loaded atomically and raised
 * by a CAS loop, so it never moves down.  Ranges arrive out of address order
 * (per-P page caches), so a range may see zeroedBase already above its
 * start, raised by a neighbour higher up that won the race: it then zeroes
 * needlessly, which is safe.  What must never happen is zeroedBase moving
 * into (start, end] of a range while that range is being decided: only an
 * overlapping claim can do that, so after a failed CAS the reloaded value is
 * checked and "potentially overlapping in-use allocations detected" thrown.
 *
 * Pre-seed version (PH_ZEROING_LOCKED).  Plain read and write under the heap
 * lock, relying on address-ordered first-fit: a range can only start at or
 * below zeroedBase, and one starting above it throws "pages considered for
 * zeroing in the middle of an arena".
 *
 * Every access to zeroedBase is a scheduling point and reports what it saw.
 */
#include "ph_bugs.h"
#include "ph_heap_internal.h"
#include "ph_hooks.h"
#include "ph_throw.h"

__attribute__((noreturn)) static void throw_zeroing(const char *msg, uintptr_t base, uintptr_t npage,
						    uintptr_t ai, uintptr_t zeroed_base)
{
	ph_throw_info info = {
		.msg = msg,
		.has_range = true, .base = base, .npages = npage,
		.has_arena = true, .arena = ai, .zeroed_base = zeroed_base,
	};
	ph_throw(&info);
}

static uintptr_t load_zeroed_base(ph_arena *ha, uintptr_t ai)
{
	PH_POINT(PH_PT_ZB_LOAD, ai);
#if PH_ZEROING_LOCKED
	uintptr_t zb = ha->zeroed_base; /* protected by the heap lock */
#else
	uintptr_t zb = __atomic_load_n(&ha->zeroed_base, __ATOMIC_SEQ_CST);
#endif
	PH_NOTE(.kind = PH_NOTE_ZB_LOAD, .arena = ai, .a = zb);
	return zb;
}

#if PH_ZEROING_LOCKED || PH_BUG_CAS_PLAIN_STORE
#define PH_RAISE_BY_STORE 1
#else
#define PH_RAISE_BY_STORE 0
#endif

#if PH_BUG_RETRY_STORE_AFTER_LOWER && !PH_RAISE_BY_STORE
/* FAULT retry-store-after-lower: the raise after a lost race is an atomic
 * store (no race for TSan to see), not a CAS. */
static void atomic_store_zeroed_base(ph_arena *ha, uintptr_t ai, uintptr_t old, uintptr_t v)
{
	PH_POINT(PH_PT_ZB_STORE, ai);
	__atomic_store_n(&ha->zeroed_base, v, __ATOMIC_SEQ_CST);
	PH_NOTE(.kind = PH_NOTE_ZB_STORE, .arena = ai, .a = old, .b = v);
}
#endif

#if PH_RAISE_BY_STORE
static void store_zeroed_base(ph_arena *ha, uintptr_t ai, uintptr_t old, uintptr_t v)
{
	PH_POINT(PH_PT_ZB_STORE, ai);
	ha->zeroed_base = v; /* plain: under the heap lock, or a fault */
	PH_NOTE(.kind = PH_NOTE_ZB_STORE, .arena = ai, .a = old, .b = v);
}
#else
static bool cas_zeroed_base(ph_heap *h, ph_arena *ha, uintptr_t ai, uintptr_t old, uintptr_t v)
{
	PH_POINT(PH_PT_ZB_CAS, ai);
	uintptr_t expected = old; /* a failed CAS must not refresh `old`: the
				   * algorithm reloads explicitly */
	bool ok = __atomic_compare_exchange_n(&ha->zeroed_base, &expected, v, false,
					      __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
	if (!ok)
		__atomic_fetch_add(&h->cas_failures, 1, __ATOMIC_RELAXED);
	PH_NOTE(.kind = PH_NOTE_ZB_CAS, .arena = ai, .a = old, .b = v, .ok = ok);
	return ok;
}
#endif

bool ph_alloc_needs_zero(ph_heap *h, uintptr_t base, uintptr_t npage)
{
	const ph_geom *g = h->g;
	const uintptr_t arena_bytes = ph_arena_bytes(g);
	bool need_zero = false;

	PH_NOTE(.kind = PH_NOTE_DECIDE_BEGIN, .base = base, .npages = npage);
	while (npage > 0) {
		uintptr_t ai = ph_arena_index(g, base);
		ph_arena *ha = ph_heap_arena_known(h, ai); /* base's pages are ours,
							     * or looked up */
		if (PH_NULL(ha))
			throw_zeroing("zeroing decision for memory outside any arena", base, npage, ai, 0);

		uintptr_t zeroed_base = load_zeroed_base(ha, ai);
		uintptr_t arena_base = base % arena_bytes;
#if PH_ZEROING_LOCKED
		if (arena_base > zeroed_base)
			throw_zeroing(PH_MSG_MIDDLE, base, npage, ai, zeroed_base);
		else if (arena_base < zeroed_base)
			need_zero = true;
#else
#if PH_BUG_MIDDLE_OF_ARENA_THROW
		/* FAULT middle-of-arena-throw: the pre-seed sanity check survives
		 * in the lock-free code, where out-of-order ranges are normal. */
		if (arena_base > zeroed_base)
			throw_zeroing(PH_MSG_MIDDLE, base, npage, ai, zeroed_base);
#endif
#if PH_BUG_NEEDZERO_LE
		/* FAULT needzero-le: a range starting exactly at the mark is
		 * treated as used. */
		if (arena_base <= zeroed_base)
			need_zero = true;
#else
		/* zeroedBase only grows, so seeing it above our start now
		 * means part of the range may really be dirty. */
		if (arena_base < zeroed_base)
			need_zero = true;
#endif
#endif
		/* How far into this arena the range reaches. */
		uintptr_t arena_limit = arena_base + npage * ph_page_size(g);
#if PH_BUG_ARENA_LIMIT_UNCAPPED
		/* FAULT arena-limit-uncapped: no cap at the arena's end. */
#else
		if (arena_limit > arena_bytes)
			arena_limit = arena_bytes;
#endif

#if PH_RAISE_BY_STORE
		/* Pre-seed: a plain raise, correct only under the heap lock.
		 * FAULT cas-plain-store: the same in the lock-free build. */
		if (arena_limit > zeroed_base)
			store_zeroed_base(ha, ai, zeroed_base, arena_limit);
#else
		/* Raise zeroedBase to at least arena_limit, racing with other
		 * deciders; stop as soon as someone has raised it past us. */
#if PH_BUG_CAS_RETRY_ONCE || PH_BUG_OVERLAP_CHECK_ONCE || PH_BUG_RELOAD_ONCE || PH_BUG_ZERO_AFTER_TWO_LOSSES
		unsigned failed_cas = 0;
#endif
		while (arena_limit > zeroed_base) {
			if (cas_zeroed_base(h, ha, ai, zeroed_base, arena_limit))
				break;
#if PH_BUG_CAS_NO_RELOAD
			/* FAULT cas-no-reload: retry with the stale value. */
			continue;
#endif
#if PH_BUG_CAS_RETRY_ONCE || PH_BUG_OVERLAP_CHECK_ONCE || PH_BUG_RELOAD_ONCE || PH_BUG_ZERO_AFTER_TWO_LOSSES
			failed_cas++;
#endif
#if PH_BUG_RELOAD_ONCE
			/* FAULT reload-once: only the first failure reloads; later
			 * retries spin on the value that reload saw. */
			if (failed_cas >= 2)
				continue;
#endif
#if PH_BUG_CAS_RETRY_ONCE
			/* FAULT cas-retry-once: a second failure is taken for a
			 * higher neighbour that keeps winning, and the loop gives
			 * up without knowing where the mark is. */
			if (failed_cas == 2)
				break;
#endif
			zeroed_base = load_zeroed_base(ha, ai);
#if PH_BUG_CAS_NO_OVERLAP_CHECK
			/* FAULT cas-no-overlap-check: the sanity check is gone. */
#elif PH_BUG_OVERLAP_CHECK_ONCE
			/* FAULT overlap-check-once: only the first reload is
			 * checked. */
			if (failed_cas == 1 && zeroed_base <= arena_limit && zeroed_base > arena_base)
				throw_zeroing(PH_MSG_OVERLAP, base, npage, ai, zeroed_base);
#elif PH_BUG_OVERLAP_CHECK_UPPER_EDGE
			/* FAULT overlap-check-upper-edge: the interval leaves out
			 * the range's end, so a claim ending exactly there passes. */
			if (zeroed_base < arena_limit && zeroed_base > arena_base)
				throw_zeroing(PH_MSG_OVERLAP, base, npage, ai, zeroed_base);
#elif PH_BUG_OVERLAP_CHECK_LOWER_EDGE
			/* FAULT overlap-check-lower-edge: the interval includes
			 * the range's start, where the neighbour below ends. */
			if (zeroed_base <= arena_limit && zeroed_base >= arena_base)
				throw_zeroing(PH_MSG_OVERLAP, base, npage, ai, zeroed_base);
#else
			/* Someone moved the mark into the range we are claiming:
			 * they claimed some of the same pages. */
			if (zeroed_base <= arena_limit && zeroed_base > arena_base)
				throw_zeroing(PH_MSG_OVERLAP, base, npage, ai, zeroed_base);
#endif
#if PH_BUG_ZERO_AFTER_TWO_LOSSES
			/* FAULT zero-after-two-losses: "two lost races mean heavy
			 * contention here; zero to be safe", though every reload
			 * said where the mark is and none reached into the range. */
			if (failed_cas >= 2)
				need_zero = true;
#endif
#if PH_BUG_CAS_FAIL_REZERO
			/* FAULT cas-fail-rezero: the reload is run through the
			 * needs-zero test again, though a mark raised past us by
			 * a higher neighbour says nothing about our pages. */
			if (arena_base < zeroed_base)
				need_zero = true;
#endif
#if PH_BUG_RETRY_LIMIT_UNCAPPED
			/* FAULT retry-limit-uncapped: the retry recomputes its
			 * bound from the page count and forgets the arena cap. */
			arena_limit = arena_base + npage * ph_page_size(g);
#endif
#if PH_BUG_RETRY_STORE_AFTER_LOWER
			/* FAULT retry-store-after-lower: "a lower neighbour won,
			 * so nobody is above us": the retry stores instead of
			 * CASing, undoing any higher raise made meanwhile. */
			if (zeroed_base <= arena_base) {
				atomic_store_zeroed_base(ha, ai, zeroed_base, arena_limit);
				break;
			}
#endif
		}
#endif
		/* On to the next arena, or done. */
#if PH_BUG_ARENA_ADVANCE_WRONG
		/* FAULT arena-advance-wrong: base moves by the page count
		 * instead of the byte count, so it never leaves this arena. */
		base += (arena_limit - arena_base) / ph_page_size(g);
#else
		base += arena_limit - arena_base;
#endif
		npage -= (arena_limit - arena_base) / ph_page_size(g);
	}
	PH_NOTE(.kind = PH_NOTE_DECIDE_END, .ok = need_zero);
	return need_zero;
}
