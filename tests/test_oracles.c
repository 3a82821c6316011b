/*
 * test_oracles.c - every oracle fires on a hand-made violation and stays
 * silent on the matching legal case.
 *
 * The decision oracles (Z2, Z3, O2, O3) are fed note sequences written
 * here by hand, the way the allocator would emit them; the memory and heap
 * oracles (Z1, O1, HEAP) run against real buffers and a real heap.
 */
#include <stdlib.h>
#include <string.h>

#include "fz_oracle.h"
#include "ph_heap.h"
#include "ph_test.h"
#include "ph_throw.h"

static const ph_geom *g = &ph_geom_fuzz;

static uintptr_t page(unsigned slot, unsigned pg)
{
	return g->heap_vbase + (uintptr_t)slot * ph_arena_bytes(g) + ((uintptr_t)pg << g->page_shift);
}

static uintptr_t arena(unsigned slot)
{
	return (g->heap_vbase >> g->arena_shift) + slot;
}

static uintptr_t off(unsigned pg)
{
	return (uintptr_t)pg << g->page_shift;
}

/* A fresh model and shadow for each test. */
static struct fz_decisions *dec;
static struct fz_shadow shadow;

static void fresh(void)
{
	if (dec == NULL)
		dec = calloc(1, sizeof *dec);
	if (shadow.state == NULL && !fz_shadow_init(&shadow, g))
		abort();
	fz_decisions_reset(dec, g, true);
	fz_shadow_reset(&shadow);
	shadow.touched = shadow.npages; /* reset clears everything below this */
	fz_shadow_reset(&shadow);
}

/* Feeds a note; returns the oracle that fired, or NULL. */
static const char *note(int tid, struct ph_note n)
{
	struct fz_verdict v;
	return fz_decisions_note(dec, tid, &n, &shadow, &v) ? NULL : v.oracle;
}

static bool str_is(const char *a, const char *b)
{
	return a != NULL && b != NULL && strcmp(a, b) == 0;
}

/* One complete uncontended decision for [first, +n) in arena 0, loading
 * zb and raising it to the end (what the allocator emits). */
static const char *decide(int tid, unsigned first, unsigned n, uintptr_t zb, bool needzero)
{
	const char *o;
	fz_claim_add(dec, tid, page(0, first), n, false, 100 + (uint32_t)first);
	if ((o = note(tid, (struct ph_note){.kind = PH_NOTE_CLAIM, .base = page(0, first), .npages = n})) ||
	    (o = note(tid, (struct ph_note){.kind = PH_NOTE_DECIDE_BEGIN, .base = page(0, first), .npages = n})) ||
	    (o = note(tid, (struct ph_note){.kind = PH_NOTE_ZB_LOAD, .arena = arena(0), .a = zb})))
		return o;
	if (off(first + n) > zb &&
	    (o = note(tid, (struct ph_note){.kind = PH_NOTE_ZB_CAS, .arena = arena(0), .a = zb, .b = off(first + n), .ok = true})))
		return o;
	return note(tid, (struct ph_note){.kind = PH_NOTE_DECIDE_END, .ok = needzero});
}

/* ---- Z1 ---- */

static void test_z1(void)
{
	static unsigned char buf[4 * 128];
	struct fz_verdict v;
	memset(buf, 0, sizeof buf);
	CHECK(fz_check_zero(g, page(0, 0), buf, sizeof buf, 1, false, &v));
	buf[300] = 7;
	CHECK(!fz_check_zero(g, page(0, 0), buf, sizeof buf, 1, false, &v));
	CHECK(str_is(v.oracle, "Z1"));
	CHECK_MSG(strstr(v.msg, "byte 300") != NULL, "message names the byte: %s", v.msg);
}

/* ---- O1 ---- */

static void test_o1_shadow(void)
{
	struct fz_verdict v;
	fresh();
	CHECK(fz_shadow_hand_out(&shadow, page(0, 10), 5, 1, g, &v));
	CHECK(!fz_shadow_hand_out(&shadow, page(0, 14), 3, 2, g, &v)); /* page 14 still used by #1 */
	CHECK(str_is(v.oracle, "O1"));
	fz_shadow_release(&shadow, page(0, 10), 5);
	CHECK(fz_shadow_hand_out(&shadow, page(0, 14), 3, 3, g, &v)); /* legal reuse */
}

static void test_o1_contents(void)
{
	static unsigned char buf[8 * 128];
	struct fz_verdict v;
	fz_fill_pattern(buf, sizeof buf, 42, 3);
	CHECK(fz_check_pattern(g, page(0, 0), buf, sizeof buf, 42, 3, &v));
	CHECK(!fz_check_pattern(g, page(0, 0), buf, sizeof buf, 42, 4, &v)); /* another write's tag */
	buf[1000] ^= 1;
	CHECK(!fz_check_pattern(g, page(0, 0), buf, sizeof buf, 42, 3, &v));
	CHECK(str_is(v.oracle, "O1"));
	CHECK_MSG(strstr(v.msg, "byte 1000") != NULL, "message names the byte: %s", v.msg);
}

/* ---- Z2 ---- */

static void test_z2_spurious(void)
{
	fresh();
	CHECK(decide(0, 0, 10, 0, false) == NULL);
	/* [10, 20) was never handed out and nothing else reached above 10. */
	CHECK(str_is(decide(1, 10, 10, off(10), true), "Z2"));
}

static void test_z2_reuse(void)
{
	struct fz_verdict v;
	fresh();
	CHECK(decide(0, 0, 10, 0, false) == NULL);
	CHECK(fz_shadow_hand_out(&shadow, page(0, 0), 10, 100, g, &v));
	fz_shadow_release(&shadow, page(0, 0), 10);
	CHECK(decide(1, 5, 3, off(10), true) == NULL); /* used before: zeroing is right */
}

static void test_z2_out_of_order(void)
{
	fresh();
	/* A higher range decided first raises the mark above a lower, fresh
	 * range: zeroing the lower one is needless but allowed. */
	CHECK(decide(0, 64, 3, 0, false) == NULL);
	CHECK(decide(1, 1, 2, off(67), true) == NULL);
}

/* The seed's promise is about the value a decision first loads: a fresh
 * range that loses its CAS to a higher neighbour and then asks for zeroing
 * (because the reload shows the mark above its start) zeroes needlessly. */
static void test_z2_switch_after_failed_cas(void)
{
	fresh();
	fz_claim_add(dec, 0, page(0, 10), 10, false, 1);
	CHECK(note(0, (struct ph_note){.kind = PH_NOTE_DECIDE_BEGIN, .base = page(0, 10), .npages = 10}) == NULL);
	CHECK(note(0, (struct ph_note){.kind = PH_NOTE_ZB_LOAD, .arena = arena(0), .a = 0}) == NULL);
	/* The higher neighbour [30, 40) decides completely in between. */
	CHECK(decide(1, 30, 10, 0, false) == NULL);
	CHECK(note(0, (struct ph_note){.kind = PH_NOTE_ZB_CAS, .arena = arena(0), .a = 0, .b = off(20), .ok = false}) == NULL);
	CHECK(note(0, (struct ph_note){.kind = PH_NOTE_ZB_LOAD, .arena = arena(0), .a = off(40)}) == NULL);
	CHECK(str_is(note(0, (struct ph_note){.kind = PH_NOTE_DECIDE_END, .ok = true}), "Z2"));
	/* The same end with ok = false (the seed's behaviour) is legal. */
	fresh();
	fz_claim_add(dec, 0, page(0, 10), 10, false, 1);
	note(0, (struct ph_note){.kind = PH_NOTE_DECIDE_BEGIN, .base = page(0, 10), .npages = 10});
	note(0, (struct ph_note){.kind = PH_NOTE_ZB_LOAD, .arena = arena(0), .a = 0});
	CHECK(decide(1, 30, 10, 0, false) == NULL);
	note(0, (struct ph_note){.kind = PH_NOTE_ZB_CAS, .arena = arena(0), .a = 0, .b = off(20), .ok = false});
	note(0, (struct ph_note){.kind = PH_NOTE_ZB_LOAD, .arena = arena(0), .a = off(40)});
	CHECK(note(0, (struct ph_note){.kind = PH_NOTE_DECIDE_END, .ok = false}) == NULL);
}

/* A raise seen at the first load of any of the range's arenas counts:
 * [2040, 2060) spans arenas 0 and 1, and arena 1 was already raised. */
static void test_z2_later_arena(void)
{
	uintptr_t ab = ph_arena_bytes(g);
	fresh();
	note(1, (struct ph_note){.kind = PH_NOTE_ZB_CAS, .arena = arena(1), .a = 0, .b = off(30), .ok = true});
	fz_claim_add(dec, 0, page(0, 2040), 20, false, 1);
	note(0, (struct ph_note){.kind = PH_NOTE_DECIDE_BEGIN, .base = page(0, 2040), .npages = 20});
	note(0, (struct ph_note){.kind = PH_NOTE_ZB_LOAD, .arena = arena(0), .a = 0});
	CHECK(note(0, (struct ph_note){.kind = PH_NOTE_ZB_CAS, .arena = arena(0), .a = 0, .b = ab, .ok = true}) == NULL);
	note(0, (struct ph_note){.kind = PH_NOTE_ZB_LOAD, .arena = arena(1), .a = off(30)});
	CHECK(note(0, (struct ph_note){.kind = PH_NOTE_DECIDE_END, .ok = true}) == NULL);
	/* Without that earlier raise the same zeroing is spurious. */
	fresh();
	fz_claim_add(dec, 0, page(0, 2040), 20, false, 1);
	note(0, (struct ph_note){.kind = PH_NOTE_DECIDE_BEGIN, .base = page(0, 2040), .npages = 20});
	note(0, (struct ph_note){.kind = PH_NOTE_ZB_LOAD, .arena = arena(0), .a = 0});
	note(0, (struct ph_note){.kind = PH_NOTE_ZB_CAS, .arena = arena(0), .a = 0, .b = ab, .ok = true});
	note(0, (struct ph_note){.kind = PH_NOTE_ZB_LOAD, .arena = arena(1), .a = 0});
	note(0, (struct ph_note){.kind = PH_NOTE_ZB_CAS, .arena = arena(1), .a = 0, .b = off(12), .ok = true});
	CHECK(str_is(note(0, (struct ph_note){.kind = PH_NOTE_DECIDE_END, .ok = true}), "Z2"));
}

/* ---- Z3 ---- */

static void test_z3_beyond_arena(void)
{
	fresh();
	note(0, (struct ph_note){.kind = PH_NOTE_DECIDE_BEGIN, .base = page(0, 2000), .npages = 100});
	note(0, (struct ph_note){.kind = PH_NOTE_ZB_LOAD, .arena = arena(0), .a = 0});
	CHECK(str_is(note(0, (struct ph_note){.kind = PH_NOTE_ZB_CAS, .arena = arena(0), .a = 0, .b = off(2100), .ok = true}), "Z3"));
}

static void test_z3_decrease(void)
{
	fresh();
	CHECK(decide(0, 0, 20, 0, false) == NULL);
	note(1, (struct ph_note){.kind = PH_NOTE_DECIDE_BEGIN, .base = page(0, 5), .npages = 5});
	note(1, (struct ph_note){.kind = PH_NOTE_ZB_LOAD, .arena = arena(0), .a = off(10)});
	CHECK(str_is(note(1, (struct ph_note){.kind = PH_NOTE_ZB_STORE, .arena = arena(0), .a = off(5), .b = off(10)}), "Z3"));
	/* A store that raises the mark is legal (the pre-seed variant). */
	fresh();
	CHECK(note(0, (struct ph_note){.kind = PH_NOTE_ZB_STORE, .arena = arena(0), .a = 0, .b = off(10)}) == NULL);
}

static void test_z3_at_rest(void)
{
	char err[128];
	struct fz_verdict v;
	ph_heap_options opt = {.use_page_cache = false};
	ph_heap *h = ph_heap_create(g, &opt, err, sizeof err);
	CHECK(h != NULL);
	if (h == NULL)
		return;
	CHECK(ph_heap_grow(h, 512, 0));
	fresh();
	/* The model saw a decision reaching page 20; the heap agrees... */
	note(0, (struct ph_note){.kind = PH_NOTE_DECIDE_BEGIN, .base = page(0, 0), .npages = 20});
	ph_alloc_needs_zero(h, page(0, 0), 20);
	CHECK(fz_decisions_quiescent(dec, h, &v));
	/* ...until the model saw one reaching page 30 that the heap missed. */
	note(1, (struct ph_note){.kind = PH_NOTE_DECIDE_BEGIN, .base = page(0, 25), .npages = 5});
	CHECK(!fz_decisions_quiescent(dec, h, &v));
	CHECK(str_is(v.oracle, "Z3"));
	ph_heap_destroy(h);
}

/* ---- O3 ---- */

/* Claim [10, 20) loses its CAS to someone who moved zb to `moved_to`. */
static const char *lose_cas(uintptr_t moved_to, bool then_throws)
{
	const char *o;
	fresh();
	note(0, (struct ph_note){.kind = PH_NOTE_DECIDE_BEGIN, .base = page(0, 10), .npages = 10});
	note(0, (struct ph_note){.kind = PH_NOTE_ZB_LOAD, .arena = arena(0), .a = 0});
	if ((o = note(0, (struct ph_note){.kind = PH_NOTE_ZB_CAS, .arena = arena(0), .a = 0, .b = off(20), .ok = false})) ||
	    (o = note(0, (struct ph_note){.kind = PH_NOTE_ZB_LOAD, .arena = arena(0), .a = moved_to})))
		return o;
	if (then_throws) {
		struct fz_verdict v;
		fz_decisions_throw(dec, 0, PH_MSG_OVERLAP, &v);
		return NULL;
	}
	if (moved_to < off(20) &&
	    (o = note(0, (struct ph_note){.kind = PH_NOTE_ZB_CAS, .arena = arena(0), .a = moved_to, .b = off(20), .ok = true})))
		return o;
	/* The first load saw 0, below the claim's start: no zeroing needed. */
	return note(0, (struct ph_note){.kind = PH_NOTE_DECIDE_END, .ok = false});
}

static void test_o3(void)
{
	CHECK(str_is(lose_cas(off(15), false), "O3"));  /* inside, no throw */
	CHECK(str_is(lose_cas(off(20), false), "O3"));  /* at the upper edge, no throw */
	CHECK(lose_cas(off(15), true) == NULL);          /* inside, thrown */
	CHECK(lose_cas(off(10), false) == NULL);         /* at the start: not inside */
	CHECK(lose_cas(off(30), false) == NULL);         /* beyond the end */
}

/* ---- O2 ---- */

static enum fz_throw_class throw_with(bool other_overlaps, bool other_raw, struct fz_verdict *v)
{
	fresh();
	fz_claim_add(dec, 1, other_overlaps ? page(0, 15) : page(0, 40), 5, other_raw, 7);
	note(1, (struct ph_note){.kind = PH_NOTE_DECIDE_BEGIN, .base = other_overlaps ? page(0, 15) : page(0, 40), .npages = 5});
	fz_claim_add(dec, 0, page(0, 10), 10, false, 8);
	note(0, (struct ph_note){.kind = PH_NOTE_DECIDE_BEGIN, .base = page(0, 10), .npages = 10});
	return fz_decisions_throw(dec, 0, PH_MSG_OVERLAP, v);
}

static void test_o2(void)
{
	struct fz_verdict v;
	CHECK(throw_with(false, true, &v) == FZ_THROW_UNSOUND);
	CHECK(str_is(v.oracle, "O2"));
	CHECK(throw_with(true, true, &v) == FZ_THROW_INJECTED);
	CHECK(throw_with(true, false, &v) == FZ_THROW_REAL);
	CHECK(str_is(v.oracle, "O1"));
	fresh();
	CHECK(fz_decisions_throw(dec, 0, PH_MSG_MIDDLE, &v) == FZ_THROW_OTHER);
	CHECK(str_is(v.oracle, "THROW"));
}

/* ---- HEAP ---- */

static void test_heap_accounting(void)
{
	char err[128];
	struct fz_verdict v;
	ph_heap_options opt = {.use_page_cache = true};
	ph_heap *h = ph_heap_create(g, &opt, err, sizeof err);
	CHECK(h != NULL);
	if (h == NULL)
		return;
	ph_p p;
	ph_p_init(&p, 0);
	const ph_p *ps[] = {&p};
	fresh();
	ph_span big = ph_alloc_span(h, &p, 40, false);   /* locked path */
	ph_span small = ph_alloc_span(h, &p, 2, false);  /* from P's cache */
	CHECK(fz_shadow_hand_out(&shadow, big.base, 40, 1, g, &v));
	CHECK(fz_shadow_hand_out(&shadow, small.base, 2, 2, g, &v));
	CHECK(fz_heap_accounting(h, &shadow, ps, 1, &v));
	/* Forget the small allocation: its pages are in use but owned by nobody. */
	fz_shadow_release(&shadow, small.base, 2);
	CHECK(!fz_heap_accounting(h, &shadow, ps, 1, &v));
	CHECK(str_is(v.oracle, "HEAP"));
	CHECK(!fz_heap_empty(h, &v));
	ph_free_span(h, big.base, 40);
	ph_free_span(h, small.base, 2);
	ph_p_destroy(h, &p);
	CHECK(fz_heap_empty(h, &v));
	ph_heap_destroy(h);
}

int main(int argc, char **argv)
{
	ph_test_init(argc, argv);
	ph_test_run("oracle/Z1-dirty-memory", test_z1);
	ph_test_run("oracle/O1-page-handed-out-twice", test_o1_shadow);
	ph_test_run("oracle/O1-contents-changed", test_o1_contents);
	ph_test_run("oracle/Z2-spurious-zeroing", test_z2_spurious);
	ph_test_run("oracle/Z2-legal-reuse", test_z2_reuse);
	ph_test_run("oracle/Z2-legal-out-of-order", test_z2_out_of_order);
	ph_test_run("oracle/Z2-fresh-then-needzero-after-failed-cas", test_z2_switch_after_failed_cas);
	ph_test_run("oracle/Z2-raise-seen-in-later-arena", test_z2_later_arena);
	ph_test_run("oracle/Z3-beyond-arena", test_z3_beyond_arena);
	ph_test_run("oracle/Z3-decrease", test_z3_decrease);
	ph_test_run("oracle/Z3-at-rest", test_z3_at_rest);
	ph_test_run("oracle/O3-detector-completeness", test_o3);
	ph_test_run("oracle/O2-detector-soundness", test_o2);
	ph_test_run("oracle/HEAP-accounting", test_heap_accounting);
	free(dec);
	fz_shadow_free(&shadow);
	return ph_test_finish();
}
