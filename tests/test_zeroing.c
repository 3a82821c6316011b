/*
 * test_zeroing.c - the zeroing decision (ph_alloc_needs_zero) and the heap
 * around it, single-threaded.
 *
 * Interleavings are constructed, not hoped for: this file overrides the
 * allocator's scheduling hook so that, at a chosen scheduling point of one
 * decision, a second decision runs to completion.  That is exactly the
 * interleaving a controlled schedule would produce, with no threads.
 *
 * Built in both zeroing variants; the expectations that differ (the
 * pre-seed code cannot cope with out-of-order ranges) are selected with
 * PH_ZEROING_LOCKED.
 */
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include "ph_heap.h"
#include "ph_hooks.h"
#include "ph_test.h"
#include "ph_throw.h"

/* ---- throw capture ------------------------------------------------------ */

static jmp_buf throw_jump;
static const char *thrown_msg;

static void capture_throw(const ph_throw_info *info)
{
	thrown_msg = info->msg;
	longjmp(throw_jump, 1);
}

/* ---- injecting a second decision at a scheduling point ----------------- */
#if !PH_ZEROING_LOCKED

struct injection {
	bool armed;
	enum ph_point at;   /* fire at this kind of point ... */
	int countdown;      /* ... the countdown-th time it is reached */
	ph_heap *h;
	uintptr_t base, npages; /* the decision to run there */
	bool result;
	bool ran;
};
static struct injection inject;

#if PH_HOOKS
void ph_hook_point(enum ph_point pt, uintptr_t obj)
{
	(void)obj;
	if (!inject.armed || pt != inject.at || --inject.countdown > 0)
		return;
	inject.armed = false; /* the nested decision must not re-trigger */
	inject.result = ph_alloc_needs_zero(inject.h, inject.base, inject.npages);
	inject.ran = true;
}
#endif

static void arm(ph_heap *h, enum ph_point at, int nth, uintptr_t base, uintptr_t npages)
{
	inject = (struct injection){.armed = true, .at = at, .countdown = nth, .h = h,
				    .base = base, .npages = npages};
}
#endif

/* ---- helpers ------------------------------------------------------------ */

static ph_heap *new_heap(const ph_geom *g, bool cache)
{
	char err[160];
	ph_heap_options opt = {.use_page_cache = cache};
	ph_heap *h = ph_heap_create(g, &opt, err, sizeof err);
	if (h == NULL) {
		fprintf(stderr, "heap: %s\n", err);
		abort();
	}
	return h;
}

static uintptr_t page(const ph_heap *h, uintptr_t arena_slot, uintptr_t pg)
{
	const ph_geom *g = ph_heap_geom(h);
	return g->heap_vbase + arena_slot * ph_arena_bytes(g) + (pg << g->page_shift);
}

static uintptr_t zb_pages(const ph_heap *h, uintptr_t slot)
{
	return ph_heap_zeroed_base(h, ph_heap_first_arena(h) + slot) >> ph_heap_geom(h)->page_shift;
}

static bool all_zero(const ph_heap *h, uintptr_t base, uintptr_t npages)
{
	const unsigned char *p = ph_heap_ptr(h, base);
	size_t n = npages << ph_heap_geom(h)->page_shift;
	for (size_t i = 0; i < n; i++)
		if (p[i] != 0)
			return false;
	return true;
}

static void scribble(const ph_heap *h, uintptr_t base, uintptr_t npages)
{
	memset(ph_heap_ptr(h, base), 0xA5, npages << ph_heap_geom(h)->page_shift);
}

/* ---- tests -------------------------------------------------------------- */

/* Address-ordered use: fresh ranges need no zeroing, reused ranges and a
 * range straddling zeroedBase do. */
static void test_fresh_reuse_straddle(void)
{
	ph_heap *h = new_heap(&ph_geom_fuzz, false);
	ph_p p;
	ph_p_init(&p, 0);

	ph_span a = ph_alloc_span(h, &p, 10, true);
	CHECK_EQ_U(a.base, page(h, 0, 0));
	CHECK(!a.needzero);
	CHECK_EQ_U(zb_pages(h, 0), 10);
	ph_span b = ph_alloc_span(h, &p, 5, true);
	CHECK_EQ_U(b.base, page(h, 0, 10));
	CHECK(!b.needzero);
	CHECK_EQ_U(zb_pages(h, 0), 15);

	ph_free_span(h, a.base, a.npages);
	ph_span c = ph_alloc_span(h, &p, 4, true); /* reuses a's first pages */
	CHECK_EQ_U(c.base, page(h, 0, 0));
	CHECK(c.needzero);
	CHECK_EQ_U(zb_pages(h, 0), 15); /* never lowered */

	ph_free_span(h, b.base, b.npages); /* [4, 15) free, zeroedBase 15 */
	ph_span d = ph_alloc_span(h, &p, 20, true); /* [4, 24) straddles 15 */
	CHECK_EQ_U(d.base, page(h, 0, 4));
	CHECK(d.needzero);
	CHECK_EQ_U(zb_pages(h, 0), 24);

	ph_span e = ph_alloc_span(h, &p, 3, true); /* [24, 27): fresh */
	CHECK_EQ_U(e.base, page(h, 0, 24));
	CHECK(!e.needzero);
	ph_heap_destroy(h);
}

/* Zeroing really happens when asked for, and only then. */
static void test_memory_contents(void)
{
	ph_heap *h = new_heap(&ph_geom_fuzz, false);
	ph_p p;
	ph_p_init(&p, 0);

	ph_span a = ph_alloc_span(h, &p, 6, false);
	CHECK(!a.needzero);
	CHECK(all_zero(h, a.base, a.npages)); /* fresh from the OS */
	scribble(h, a.base, a.npages);
	ph_free_span(h, a.base, a.npages);

	ph_span b = ph_alloc_span(h, &p, 6, false); /* caller does not want zeroes */
	CHECK_EQ_U(b.base, a.base);
	CHECK(b.needzero);
	CHECK(!all_zero(h, b.base, b.npages)); /* so it sees the old data */
	ph_free_span(h, b.base, b.npages);

	ph_span c = ph_alloc_span(h, &p, 6, true);
	CHECK_EQ_U(c.base, a.base);
	CHECK(c.needzero);
	CHECK(all_zero(h, c.base, c.npages));
	ph_heap_destroy(h);
}

/* A range covering several arenas raises zeroedBase in each of them. */
static void test_spans_arenas(void)
{
	ph_heap *h = new_heap(&ph_geom_fuzz, false);
	const uintptr_t ap = ph_arena_pages(&ph_geom_fuzz);
	ph_p p;
	ph_p_init(&p, 0);

	ph_span a = ph_alloc_span(h, &p, 1000, true);
	CHECK_EQ_U(a.base, page(h, 0, 0));
	ph_span b = ph_alloc_span(h, &p, 2 * ap + 50, true); /* arenas 0, 1 and 2 */
	CHECK_EQ_U(b.base, page(h, 0, 1000));
	CHECK(!b.needzero);
	CHECK_EQ_U(zb_pages(h, 0), ap);
	CHECK_EQ_U(zb_pages(h, 1), ap);
	CHECK_EQ_U(zb_pages(h, 2), 1000 + 2 * ap + 50 - 2 * ap);

	/* Ending exactly at an arena boundary fills that arena and leaves the
	 * next one untouched. */
	ph_span c = ph_alloc_span(h, &p, ap - zb_pages(h, 2), true);
	CHECK(!c.needzero);
	CHECK_EQ_U(zb_pages(h, 2), ap);
	CHECK_EQ_U(zb_pages(h, 3), 0);

	ph_free_span(h, b.base, b.npages);
	ph_span d = ph_alloc_span(h, &p, ap, true); /* reuses arena 0's tail and arena 1 */
	CHECK_EQ_U(d.base, page(h, 0, 1000));
	CHECK(d.needzero);
	CHECK(all_zero(h, d.base, d.npages));
	ph_heap_destroy(h);
}

/* Single-threaded, address-ordered first-fit (no page caches): the decision
 * is exact, needzero == "some page of the range was handed out before",
 * zeroedBase never decreases, and unzeroed memory is really zero. */
static void run_exact(const ph_geom *g, unsigned seed, int steps)
{
	ph_heap *h = new_heap(g, false);
	ph_p p;
	ph_p_init(&p, 0);
	const uintptr_t slots = ph_heap_arena_slots(h);
	const uintptr_t ap = ph_arena_pages(g);
	unsigned char *used = calloc(slots * ap, 1); /* page ever handed out */
	uintptr_t *last_zb = calloc(slots, sizeof *last_zb);
	struct { uintptr_t base, npages; } live[64];
	int nlive = 0;
	uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;

	for (int step = 0; step < steps; step++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		if (nlive > 0 && (x % 3 == 0 || nlive == 64)) {
			int k = (int)((x >> 8) % (uint64_t)nlive);
			ph_free_span(h, live[k].base, live[k].npages);
			live[k] = live[--nlive];
			continue;
		}
		uintptr_t n = (x >> 16) % 4 == 0 ? 1 + (x >> 20) % (ap + ap / 2) : 1 + (x >> 20) % 40;
		ph_span s = ph_alloc_span(h, &p, n, false);
		if (s.base == 0)
			break; /* reservation exhausted: fine, stop */
		uintptr_t first = (s.base - g->heap_vbase) >> g->page_shift;
		bool was_used = false;
		for (uintptr_t i = 0; i < n; i++)
			was_used |= used[first + i];
		CHECK_MSG(s.needzero == was_used, "step %d: [%lu,+%lu) needzero=%d, pages used before=%d",
			  step, (unsigned long)first, (unsigned long)n, s.needzero, was_used);
		if (!s.needzero)
			CHECK_MSG(all_zero(h, s.base, n), "step %d: unzeroed range is dirty", step);
		for (uintptr_t i = 0; i < n; i++)
			used[first + i] = 1;
		scribble(h, s.base, n);
		for (uintptr_t a = 0; a < slots; a++) {
			uintptr_t zb = zb_pages(h, a);
			CHECK_MSG(zb >= last_zb[a], "arena %lu zeroedBase fell", (unsigned long)a);
			last_zb[a] = zb;
		}
		live[nlive].base = s.base;
		live[nlive++].npages = n;
	}
	char buf[256];
	const char *bad = ph_heap_verify(h, buf, sizeof buf);
	CHECK_MSG(bad == NULL, "heap inconsistent: %s", bad);
	free(used);
	free(last_zb);
	ph_heap_destroy(h);
}

static void test_exact_fuzz_geometry(void)
{
	for (unsigned seed = 1; seed <= 20; seed++)
		run_exact(&ph_geom_fuzz, seed, 400);
}

static void test_exact_go_geometry(void)
{
	for (unsigned seed = 1; seed <= 3; seed++)
		run_exact(&ph_geom_go, seed, 200);
}

#if !PH_ZEROING_LOCKED
/* Two Ps allocate from their caches out of address order: the lower range
 * is zeroed needlessly (the design allows it), nothing throws. */
static void test_out_of_order_caches(void)
{
	ph_heap *h = new_heap(&ph_geom_fuzz, true);
	ph_p p1, p2;
	ph_p_init(&p1, 1);
	ph_p_init(&p2, 2);
	/* An empty heap has nothing to cache (the first allocation would take
	 * the locked path and grow), so grow first. */
	CHECK(ph_heap_grow(h, PH_CHUNK_PAGES, 0));

	ph_span a = ph_alloc_span(h, &p1, 1, true); /* refills P1: block [0, 64) */
	CHECK_EQ_U(a.base, page(h, 0, 0));
	CHECK(!a.needzero);
	ph_span b = ph_alloc_span(h, &p2, 3, true); /* refills P2: block [64, 128) */
	CHECK_EQ_U(b.base, page(h, 0, 64));
	CHECK(!b.needzero);
	CHECK_EQ_U(zb_pages(h, 0), 67);
	ph_span c = ph_alloc_span(h, &p1, 2, true); /* [1, 3): below the mark */
	CHECK_EQ_U(c.base, page(h, 0, 1));
	CHECK(c.needzero);
	CHECK_EQ_U(zb_pages(h, 0), 67);

	ph_p_destroy(h, &p1);
	ph_p_destroy(h, &p2);
	ph_free_span(h, a.base, a.npages);
	ph_free_span(h, b.base, b.npages);
	ph_free_span(h, c.base, c.npages);
	CHECK_EQ_U(ph_heap_pages(h)->summary[PH_SUMMARY_LEVELS - 1][ph_chunk_index(&ph_geom_fuzz, page(h, 0, 0))],
		   PH_FREE_CHUNK_SUM); /* everything came back */
	ph_heap_destroy(h);
}

struct overlap_case {
	const char *name;
	uintptr_t b_first, b_pages; /* the claim injected into [10, 20) */
	enum ph_point at;
	bool want_throw;
	bool want_needzero; /* of the claim [10, 20), when it does not throw */
	uintptr_t want_zb;  /* pages, afterwards */
};

/* Claim [10, 20) of arena 0 while another claim completes between its load
 * and its CAS.  The detector must fire exactly when the other claim ends in
 * (10, 20], i.e. when the two overlap. */
static void run_overlap_case(const void *arg)
{
	const struct overlap_case *oc = arg;
	ph_heap *h = new_heap(&ph_geom_fuzz, false);
	CHECK(ph_heap_grow(h, 64, 0));

	arm(h, oc->at, 1, page(h, 0, oc->b_first), oc->b_pages);
	thrown_msg = NULL;
	ph_set_throw_handler(capture_throw);
	volatile bool needzero = false;
	if (setjmp(throw_jump) == 0)
		needzero = ph_alloc_needs_zero(h, page(h, 0, 10), 10);
	ph_set_throw_handler(NULL);

	CHECK(inject.ran);
	if (oc->want_throw) {
		CHECK_MSG(thrown_msg != NULL && strcmp(thrown_msg, PH_MSG_OVERLAP) == 0,
			  "expected the overlap throw, got %s", thrown_msg ? thrown_msg : "no throw");
	} else {
		CHECK_MSG(thrown_msg == NULL, "unexpected throw: %s", thrown_msg);
		CHECK_EQ_U(needzero, oc->want_needzero);
		CHECK_EQ_U(zb_pages(h, 0), oc->want_zb);
	}
	ph_heap_destroy(h);
}

static const struct overlap_case overlap_cases[] = {
	{"zeroing/overlap/inside", 12, 3, PH_PT_ZB_CAS, true, false, 0},
	{"zeroing/overlap/ends-at-end", 15, 5, PH_PT_ZB_CAS, true, false, 0},
	{"zeroing/overlap/ends-one-past-start", 5, 6, PH_PT_ZB_CAS, true, false, 0},
	{"zeroing/overlap/ends-at-start", 5, 5, PH_PT_ZB_CAS, false, false, 20},
	{"zeroing/overlap/below", 0, 3, PH_PT_ZB_CAS, false, false, 20},
	{"zeroing/overlap/above", 20, 10, PH_PT_ZB_CAS, false, false, 30},
	{"zeroing/overlap/covers-beyond-end", 12, 20, PH_PT_ZB_CAS, false, false, 32},
	/* Injected before the first load, the other claim is simply earlier:
	 * the overlap is invisible to the detector, the range gets zeroed. */
	{"zeroing/overlap/before-load", 12, 3, PH_PT_ZB_LOAD, false, true, 20},
};
#else
/* Pre-seed: an out-of-order range is a throw, which is why the seed
 * change was needed once page caches existed. */
static void test_preseed_middle_throw(void)
{
	ph_heap *h = new_heap(&ph_geom_fuzz, true);
	ph_p p1, p2;
	ph_p_init(&p1, 1);
	ph_p_init(&p2, 2);
	CHECK(ph_heap_grow(h, PH_CHUNK_PAGES, 0));
	thrown_msg = NULL;
	ph_set_throw_handler(capture_throw);
	if (setjmp(throw_jump) == 0) {
		ph_alloc_span(h, &p1, 1, true);
		ph_alloc_span(h, &p2, 1, true); /* page 64 while zeroedBase is 1 */
	}
	ph_set_throw_handler(NULL);
	CHECK_MSG(thrown_msg != NULL && strcmp(thrown_msg, PH_MSG_MIDDLE) == 0,
		  "expected the middle-of-arena throw, got %s", thrown_msg ? thrown_msg : "no throw");
	/* The throw left the heap lock held; the heap is discarded. */
	ph_heap_destroy(h);
}
#endif

int main(int argc, char **argv)
{
	ph_test_init(argc, argv);
	ph_test_run("zeroing/fresh-reuse-straddle", test_fresh_reuse_straddle);
	ph_test_run("zeroing/memory-contents", test_memory_contents);
	ph_test_run("zeroing/spans-arenas", test_spans_arenas);
	ph_test_run("zeroing/exact-serialised-fuzz-geometry", test_exact_fuzz_geometry);
	ph_test_run("zeroing/exact-serialised-go-geometry", test_exact_go_geometry);
#if !PH_ZEROING_LOCKED
	ph_test_run("zeroing/out-of-order-caches", test_out_of_order_caches);
	for (size_t i = 0; i < sizeof overlap_cases / sizeof overlap_cases[0]; i++)
		ph_test_run_arg(overlap_cases[i].name, run_overlap_case, &overlap_cases[i]);
#else
	ph_test_run("zeroing/preseed-middle-of-arena-throw", test_preseed_middle_throw);
#endif
	return ph_test_finish();
}
