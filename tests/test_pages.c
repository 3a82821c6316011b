/*
 * test_pages.c - the per-input machinery that works a page, a word or a
 * chunk at a time, against plain page-by-page references:
 *
 *  - the bulk memory passes (fz_bulk.h) find the same first differing byte
 *    as a byte loop, for aligned and unaligned memory and any page size,
 *    and the fused check-and-fill passes leave exactly what they promise;
 *  - the page shadow's used and live bitmaps agree with its per-page
 *    states across word boundaries, and its reset leaves nothing behind
 *    (even after an overlap check failed half-way);
 *  - the word-by-word HEAP walk gives the verdict, sentence for sentence,
 *    that a page-by-page walk gives, on random heaps with planted faults;
 *  - a span is checked against the arenas that exist, since the harness's
 *    reset leaves forgotten arenas mapped;
 *  - the page allocator's reset leaves summaries and bitmaps exactly as a
 *    fresh page allocator has them, and from the next growth on exactly
 *    the summary pages that growth needs are accessible;
 *  - the memory oracles read only pages written earlier in the same run,
 *    so the next input never sees what the last one wrote, although the
 *    runner's reset leaves heap memory as it is.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fz_bulk.h"
#include "fz_oracle.h"
#include "fz_run.h"
#include "fz_trace.h"
#include "ph_heap.h"
#include "ph_test.h"

#ifndef PH_ZEROING_LOCKED
#define PH_ZEROING_LOCKED 0
#endif
/* The pre-seed (locked) decision throws on the out-of-order ranges that
 * several Ps' caches produce: heaps here run without caches there. */
#define CACHES (!PH_ZEROING_LOCKED)

static const ph_geom *g = &ph_geom_fuzz;

static uint64_t rng = 0x9E3779B97F4A7C15ull;

static unsigned below(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

/* ---- bulk passes ---------------------------------------------------------- */

static unsigned char byte_of(uint64_t word, size_t i)
{
	return (unsigned char)(word >> (8 * (i % 8)));
}

/* The reference: a byte loop. */
static size_t ref_mismatch(const unsigned char *p, size_t n, uint64_t word)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != byte_of(word, i))
			return i;
	return n;
}

static void bulk_case(size_t misalign, size_t page, size_t n)
{
	static uint64_t mem[(3 * 2048 + 64) / 8 + 1];
	unsigned char *p = (unsigned char *)mem + misalign;
	const uint64_t a = 0xA5000000000000C3ull, b = 0x5A0000000000003Cull;
	fz_bulk_fill(p, n, page, a);
	CHECK_MSG(ref_mismatch(p, n, a) == n, "fill: misalign %zu page %zu n %zu", misalign, page, n);
	CHECK_EQ_U(fz_bulk_first_mismatch(p, n, page, a), n);
	size_t spots[] = {0, 1, 7, 8, 31, 32, 63, page - 1, page, n / 2, n - 1};
	for (size_t k = 0; k < sizeof spots / sizeof spots[0]; k++) {
		size_t at = spots[k];
		if (at >= n)
			continue;
		fz_bulk_fill(p, n, page, a);
		p[at] ^= 0x10;
		CHECK_MSG(fz_bulk_first_mismatch(p, n, page, a) == at, "mismatch at %zu: misalign %zu page %zu n %zu", at,
			  misalign, page, n);
		/* Replace stops at the bad byte: the bytes before its 8-byte
		 * word (counted from p) hold b; the rest is untouched. */
		size_t got = fz_bulk_replace(p, n, page, a, b);
		CHECK_MSG(got == at, "replace found %zu, want %zu (misalign %zu page %zu)", got, at, misalign, page);
		size_t before = at & ~(size_t)7;
		CHECK_MSG(ref_mismatch(p, before, b) == before, "replace rewrote the prefix (misalign %zu, at %zu)",
			  misalign, at);
		for (size_t i = before; i < n; i++)
			if (p[i] != (unsigned char)(byte_of(a, i) ^ (i == at ? 0x10 : 0))) {
				CHECK_MSG(0, "replace changed byte %zu past the mismatch at %zu (misalign %zu)", i, at,
					  misalign);
				break;
			}
	}
	fz_bulk_fill(p, n, page, a);
	CHECK_EQ_U(fz_bulk_replace(p, n, page, a, b), n);
	CHECK_EQ_U(ref_mismatch(p, n, b), n);
}

static void test_bulk_passes(void)
{
	size_t pages[] = {64, 128, 256, 2048};
	for (size_t misalign = 0; misalign < 3; misalign++)
		for (size_t k = 0; k < sizeof pages / sizeof pages[0]; k++) {
			bulk_case(misalign, pages[k], 4096 + 64);
			bulk_case(misalign, pages[k], 3 * pages[k]);
			bulk_case(misalign, pages[k], pages[k] + 24); /* a partial last page */
		}
}

static void test_fused_oracles(void)
{
	static uint64_t mem[8 * 128 / 8];
	unsigned char *buf = (unsigned char *)mem;
	struct fz_verdict v;
	memset(buf, 0, sizeof mem);
	CHECK(fz_check_zero_then_fill(g, 0xc0000000u, buf, sizeof mem, 7, false, &v));
	CHECK(fz_check_pattern(g, 0xc0000000u, buf, sizeof mem, 7, 0, &v));
	CHECK(fz_check_pattern_then_fill(g, 0xc0000000u, buf, sizeof mem, 7, 0, 1, &v));
	CHECK(fz_check_pattern(g, 0xc0000000u, buf, sizeof mem, 7, 1, &v));
	CHECK(!fz_check_pattern_then_fill(g, 0xc0000000u, buf, sizeof mem, 7, 0, 2, &v)); /* stale tag */
	CHECK(v.oracle != NULL && strcmp(v.oracle, "O1") == 0);
	CHECK_MSG(strstr(v.msg, "byte 4 (page A0:0)") != NULL, "first differing byte (the tag) named: %s", v.msg);
	CHECK(fz_check_pattern_at_rest(g, 0xc0000000u, buf, sizeof mem, 7, 1, &v));
	buf[700] ^= 1;
	CHECK(!fz_check_pattern_at_rest(g, 0xc0000000u, buf, sizeof mem, 7, 1, &v));
	CHECK_MSG(strstr(v.msg, "byte 700 (page A0:5)") != NULL, "message names the byte and page: %s", v.msg);
	CHECK(!fz_check_pattern_then_fill(g, 0xc0000000u, buf, sizeof mem, 7, 1, 2, &v));
	CHECK_MSG(strstr(v.msg, "byte 700 (page A0:5)") != NULL, "message names the byte and page: %s", v.msg);
	memset(buf, 0, sizeof mem);
	buf[300] = 0x42;
	CHECK(!fz_check_zero_then_fill(g, 0xc0000000u, buf, sizeof mem, 9, true, &v));
	CHECK(v.oracle != NULL && strcmp(v.oracle, "Z1") == 0);
	CHECK_MSG(strstr(v.msg, "zeroed on request") != NULL && strstr(v.msg, "byte 300 (page A0:2) is 0x42") != NULL,
		  "message: %s", v.msg);
}

/* ---- shadow ------------------------------------------------------------------ */

static struct fz_shadow shadow;

static uintptr_t pg(size_t i)
{
	return g->heap_vbase + ((uintptr_t)i << g->page_shift);
}

struct runs {
	size_t n;
	uintptr_t base[16], npages[16];
	bool written[16];
};

static void collect_run(uintptr_t base, uintptr_t npages, bool written, void *arg)
{
	struct runs *r = arg;
	if (r->n < 16) {
		r->base[r->n] = base;
		r->npages[r->n] = npages;
		r->written[r->n] = written;
	}
	r->n++;
}

static void test_shadow_bitmaps(const void *concurrent)
{
	struct fz_verdict v;
	if (shadow.state == NULL && !fz_shadow_init(&shadow, g))
		abort();
	fz_shadow_reset(&shadow);
	shadow.concurrent = *(const bool *)concurrent;
	CHECK(fz_shadow_hand_out(&shadow, pg(60), 10, 1, g, &v));  /* 60..69, across a word */
	CHECK(fz_shadow_hand_out(&shadow, pg(70), 60, 2, g, &v));  /* 70..129, across two */
	CHECK(fz_shadow_hand_out(&shadow, pg(200), 1, 3, g, &v));
	size_t last = shadow.npages - 1;
	CHECK(fz_shadow_hand_out(&shadow, pg(last), 1, 4, g, &v));
	CHECK(!fz_shadow_hand_out(&shadow, pg(last), 2, 5, g, &v)); /* past the heap */
	CHECK(fz_shadow_owner(&shadow, pg(65)) == 1 && fz_shadow_owner(&shadow, pg(129)) == 2);
	CHECK(fz_shadow_owner(&shadow, pg(130)) == -1);
	CHECK(fz_shadow_any_used(&shadow, pg(0), 61) && !fz_shadow_any_used(&shadow, pg(0), 60));
	CHECK(!fz_shadow_any_used(&shadow, pg(130), 70) && fz_shadow_any_used(&shadow, pg(130), 71));
	CHECK_EQ_U(fz_shadow_count_never(&shadow, pg(50), 100), 30); /* 50..59 and 130..149 */
	CHECK_EQ_U(fz_shadow_live_word(&shadow, pg(64)), ~0ull);
	CHECK_EQ_U(fz_shadow_live_word(&shadow, pg(0)), 0xFull << 60);
	fz_shadow_release(&shadow, pg(60), 10);
	CHECK_EQ_U(fz_shadow_live_word(&shadow, pg(0)), 0);
	CHECK(fz_shadow_any_used(&shadow, pg(60), 1)); /* freed, still used before */
	/* Written runs: 60..129 written (across two word boundaries), then
	 * 130..199 not, then 200 written. */
	fz_shadow_mark_written(&shadow, pg(60), 10);
	fz_shadow_mark_written(&shadow, pg(70), 60);
	fz_shadow_mark_written(&shadow, pg(200), 1);
	struct runs r = {0};
	fz_shadow_for_each_written_run(&shadow, pg(50), 160, collect_run, &r);
	CHECK_EQ_U(r.n, 5);
	CHECK(r.base[0] == pg(50) && r.npages[0] == 10 && !r.written[0]);
	CHECK(r.base[1] == pg(60) && r.npages[1] == 70 && r.written[1]); /* merged across words */
	CHECK(r.base[2] == pg(130) && r.npages[2] == 70 && !r.written[2]);
	CHECK(r.base[3] == pg(200) && r.npages[3] == 1 && r.written[3]);
	CHECK(r.base[4] == pg(201) && r.npages[4] == 9 && !r.written[4]);
	r.n = 0;
	fz_shadow_for_each_written_run(&shadow, pg(64), 64, collect_run, &r); /* one whole word */
	CHECK(r.n == 1 && r.base[0] == pg(64) && r.npages[0] == 64 && r.written[0]);
	fz_shadow_reset(&shadow);
	CHECK(!fz_shadow_any_used(&shadow, pg(0), shadow.npages));
	CHECK_EQ_U(fz_shadow_count_never(&shadow, pg(0), shadow.npages), shadow.npages);
	for (size_t i = 0; i < shadow.npages; i++)
		if (shadow.state[i] != FZ_PAGE_NEVER) {
			CHECK_MSG(0, "page %zu not reset", i);
			break;
		}
	r.n = 0;
	fz_shadow_for_each_written_run(&shadow, pg(0), shadow.npages, collect_run, &r);
	CHECK(r.n == 1 && r.npages[0] == shadow.npages && !r.written[0]);
}

/* An overlap check that fails half-way has changed some states; the reset
 * must still find and clear every one of them. */
static void test_shadow_reset_after_overlap(const void *concurrent)
{
	struct fz_verdict v;
	if (shadow.state == NULL && !fz_shadow_init(&shadow, g))
		abort();
	fz_shadow_reset(&shadow);
	shadow.concurrent = *(const bool *)concurrent;
	CHECK(fz_shadow_hand_out(&shadow, pg(1000), 1, 1, g, &v));
	CHECK(!fz_shadow_hand_out(&shadow, pg(990), 100, 2, g, &v));
	CHECK_MSG(strstr(v.msg, "page A0:1000 handed out to allocation #2 while allocation #1 still uses it") != NULL,
		  "message: %s", v.msg);
	fz_shadow_reset(&shadow);
	for (size_t i = 980; i < 1100; i++)
		CHECK_MSG(shadow.state[i] == FZ_PAGE_NEVER, "page %zu left as %u", i, shadow.state[i]);
}

/* fz_fill_allocation: pages written earlier in the run are checked, pages
 * not written since the reset are not read (they may hold anything an
 * earlier run left) and everything gets the pattern. */
static void test_fill_allocation(void)
{
	static uint64_t mem[32 * 128 / 8];
	unsigned char *heap = (unsigned char *)mem; /* stands for pages 0..31 */
	struct fz_verdict v;
	size_t ps = ph_page_size(g);
	if (shadow.state == NULL && !fz_shadow_init(&shadow, g))
		abort();
	fz_shadow_reset(&shadow);
	shadow.concurrent = false;
	memset(heap, 0x5A, sizeof mem); /* what an earlier run left */
	CHECK(fz_shadow_hand_out(&shadow, pg(0), 10, 1, g, &v));
	CHECK(fz_fill_allocation(g, &shadow, pg(0), heap, 10, 1, true, false, &v)); /* fresh: not read */
	CHECK(fz_check_pattern(g, pg(0), heap, 10 * ps, 1, 0, &v));
	fz_shadow_release(&shadow, pg(0), 10);
	/* Pages 5..9 still hold #1's pattern: handed out as fresh, Z1 fires
	 * at the first of them; pages 10..14 are fresh and not looked at. */
	CHECK(fz_shadow_hand_out(&shadow, pg(5), 10, 2, g, &v));
	CHECK(!fz_fill_allocation(g, &shadow, pg(5), heap + 5 * ps, 10, 2, true, false, &v));
	CHECK_MSG(v.oracle != NULL && strcmp(v.oracle, "Z1") == 0 && strstr(v.msg, "byte 0 (page A0:5) is 0x03") != NULL,
		  "message: %s", v.msg);
	/* The same after the allocator zeroed them: clean. */
	fz_shadow_reset(&shadow);
	memset(heap, 0x5A, sizeof mem);
	CHECK(fz_shadow_hand_out(&shadow, pg(0), 10, 1, g, &v));
	CHECK(fz_fill_allocation(g, &shadow, pg(0), heap, 10, 1, true, false, &v));
	fz_shadow_release(&shadow, pg(0), 10);
	CHECK(fz_shadow_hand_out(&shadow, pg(5), 10, 2, g, &v));
	memset(heap + 5 * ps, 0, 10 * ps);
	memset(heap + 10 * ps, 0x77, 5 * ps); /* fresh pages: whatever they hold */
	CHECK(fz_fill_allocation(g, &shadow, pg(5), heap + 5 * ps, 10, 2, true, true, &v));
	CHECK(fz_check_pattern(g, pg(5), heap + 5 * ps, 10 * ps, 2, 0, &v));
	/* Needing zeroing and not zeroed: nothing to check, only the fill. */
	fz_shadow_release(&shadow, pg(5), 10);
	CHECK(fz_shadow_hand_out(&shadow, pg(0), 20, 3, g, &v));
	CHECK(fz_fill_allocation(g, &shadow, pg(0), heap, 20, 3, false, false, &v));
	CHECK(fz_check_pattern(g, pg(0), heap, 20 * ps, 3, 0, &v));
	fz_shadow_reset(&shadow);
}

/* ---- HEAP, word by word against page by page ------------------------------ */

/* The P whose cache holds page addr free, or -1 (the reference's view). */
static int ref_cached_by(const ph_p *const *ps, unsigned nps, uintptr_t addr)
{
	for (unsigned i = 0; i < nps; i++) {
		const ph_pagecache *c = &ps[i]->cache;
		if (c->cache == 0 || addr < c->base || addr >= c->base + ((uintptr_t)PH_CACHE_PAGES << g->page_shift))
			continue;
		if ((c->cache >> ((addr - c->base) >> g->page_shift)) & 1)
			return (int)i;
	}
	return -1;
}

/* The page-by-page walk the word walk replaced (plus its one new rule, a
 * page free in two caches): the first page breaking the accounting, and
 * why, as a sentence (empty when all is well). */
static void ref_accounting(ph_heap *h, const ph_p *const *ps, unsigned nps, char *out, size_t n)
{
	const ph_pagealloc *pa = ph_heap_pages(h);
	char at[32];
	out[0] = '\0';
	for (size_t r = 0; r < pa->in_use.n; r++) {
		for (uintptr_t a = pa->in_use.r[r].base; a < pa->in_use.r[r].limit; a += ph_page_size(g)) {
			const ph_palloc_data *c = ph_pagealloc_chunk(pa, ph_chunk_index(g, a));
			bool in_use = ph_bits_get(&c->alloc, ph_chunk_page_index(g, a));
			long owner = fz_shadow_owner(&shadow, a);
			int cacher = ref_cached_by(ps, nps, a);
			fz_where(g, a, at, sizeof at);
			if (owner >= 0 && cacher >= 0)
				snprintf(out, n, "page %s belongs to allocation #%ld and is free in P%d's cache", at, owner,
					 cacher);
			else if (in_use && owner < 0 && cacher < 0)
				snprintf(out, n, "page %s is in use in the bitmap but no allocation or page cache owns it (lost)",
					 at);
			else if (!in_use && owner >= 0)
				snprintf(out, n, "page %s is free in the bitmap but allocation #%ld uses it", at, owner);
			else if (!in_use && cacher >= 0)
				snprintf(out, n, "page %s is free in the bitmap but sits in P%d's cache", at, cacher);
			for (unsigned i = (unsigned)cacher + 1; cacher >= 0 && out[0] == '\0' && i < nps; i++)
				if (ref_cached_by(&ps[i], 1, a) == 0)
					snprintf(out, n, "page %s is free in both P%d's and P%u's cache", at, cacher, i);
			if (out[0] != '\0')
				return;
		}
	}
}

struct live {
	uintptr_t base, npages;
	uint32_t id;
};

/* Returns whether the planted fault broke the accounting. */
static bool heap_scenario(unsigned seed)
{
	char err[128], want[300];
	struct fz_verdict v;
	rng = 0x9E3779B97F4A7C15ull ^ seed * 0x100000001B3ull;
	/* Without caches, fault 2 still plants one. */
	ph_heap_options opt = {.use_page_cache = CACHES};
	ph_heap *h = ph_heap_create(g, &opt, err, sizeof err);
	CHECK(h != NULL);
	if (h == NULL)
		return false;
	if (shadow.state == NULL && !fz_shadow_init(&shadow, g))
		abort();
	fz_shadow_reset(&shadow);
	ph_p p[3];
	const ph_p *ps[3] = {&p[0], &p[1], &p[2]};
	for (unsigned i = 0; i < 3; i++)
		ph_p_init(&p[i], i);
	static struct live live[200];
	unsigned nlive = 0;
	uint32_t id = 1;
	for (unsigned k = 0; k < 120; k++) {
		unsigned what = below(10);
		if (what < 6 && nlive < 200) {
			uintptr_t n = below(3) == 0 ? 16 + below(300) : 1 + below(15);
			ph_span s = ph_alloc_span(h, &p[below(3)], n, false);
			if (s.base == 0)
				continue;
			CHECK(fz_shadow_hand_out(&shadow, s.base, n, id, g, &v));
			live[nlive++] = (struct live){s.base, n, id++};
		} else if (what < 9 && nlive > 0) {
			unsigned i = below(nlive);
			fz_shadow_release(&shadow, live[i].base, live[i].npages);
			ph_free_span(h, live[i].base, live[i].npages);
			live[i] = live[--nlive];
		} else {
			ph_p_destroy(h, &p[below(3)]);
		}
	}
	CHECK(fz_heap_accounting(h, &shadow, ps, 3, &v));
	ref_accounting(h, ps, 3, want, sizeof want);
	CHECK_MSG(want[0] == '\0', "reference disagrees on a sound heap: %s", want);

	/* Plant one fault; both walks must name the same page, the same way. */
	unsigned fault = seed % 4;
	if (fault == 0 && nlive > 0) { /* forget an allocation: its pages are lost */
		unsigned i = below(nlive);
		fz_shadow_release(&shadow, live[i].base, live[i].npages);
	} else if (fault == 1 && nlive > 0) { /* free pages still owned */
		unsigned i = below(nlive);
		ph_free_span(h, live[i].base, live[i].npages);
	} else if (fault == 2) { /* a cache claims pages it does not hold */
		p[2].cache = (ph_pagecache){.base = ph_heap_pages(h)->in_use.r[0].base, .cache = 0xF0F0ull << below(40)};
	} else { /* hand out a page the bitmap calls free */
		ph_pagealloc *pa = ph_heap_pages(h);
		uintptr_t a = pa->in_use.r[pa->in_use.n - 1].limit - ph_page_size(g);
		if (fz_shadow_owner(&shadow, a) < 0)
			CHECK(fz_shadow_hand_out(&shadow, a, 1, id++, g, &v));
	}
	ref_accounting(h, ps, 3, want, sizeof want);
	bool ok = fz_heap_accounting(h, &shadow, ps, 3, &v);
	if (want[0] == '\0') {
		CHECK_MSG(ok, "seed %u: word walk fails where the page walk does not: %s", seed, v.msg);
	} else {
		CHECK_MSG(!ok && strcmp(v.oracle, "HEAP") == 0 && strcmp(v.msg, want) == 0,
			  "seed %u (fault %u):\n word walk: %s\n page walk: %s", seed, fault, ok ? "(none)" : v.msg, want);
	}
	ph_heap_destroy(h);
	return want[0] != '\0';
}

static void test_heap_word_walk(void)
{
	unsigned broken = 0;
	for (unsigned seed = 0; seed < 40; seed++)
		broken += heap_scenario(seed);
	/* Every kind of planted fault breaks the accounting. */
	CHECK_MSG(broken == 40, "only %u of 40 planted faults broke the accounting", broken);
}

/* Two Ps holding one page free: only the word walk looks for it. */
static void test_heap_two_caches(void)
{
	char err[128];
	struct fz_verdict v;
	ph_heap_options opt = {.use_page_cache = true};
	ph_heap *h = ph_heap_create(g, &opt, err, sizeof err);
	CHECK(h != NULL);
	if (h == NULL)
		return;
	if (shadow.state == NULL && !fz_shadow_init(&shadow, g))
		abort();
	fz_shadow_reset(&shadow);
	ph_p p[2];
	const ph_p *ps[2] = {&p[0], &p[1]};
	ph_p_init(&p[0], 0);
	ph_p_init(&p[1], 1);
	CHECK(ph_heap_grow(h, 512, 0));
	ph_span s = ph_alloc_span(h, &p[0], 1, false); /* refills P0's cache */
	CHECK(s.base != 0 && fz_shadow_hand_out(&shadow, s.base, 1, 1, g, &v));
	CHECK(p[0].cache.cache != 0);
	CHECK(fz_heap_accounting(h, &shadow, ps, 2, &v));
	p[1].cache = p[0].cache;
	CHECK(!fz_heap_accounting(h, &shadow, ps, 2, &v));
	CHECK_MSG(strstr(v.msg, "is free in both P0's and P1's cache") != NULL, "message: %s", v.msg);
	ph_heap_destroy(h);
}

/* Forgotten arenas stay mapped after the harness's reset, so spans are
 * checked against the arenas that exist. */
static void test_span_in_arenas(void)
{
	char err[128];
	struct fz_verdict v;
	ph_heap_options opt = {.use_page_cache = false};
	ph_heap *h = ph_heap_create(g, &opt, err, sizeof err);
	CHECK(h != NULL);
	if (h == NULL)
		return;
	uintptr_t ap = ph_arena_pages(g);
	CHECK(ph_heap_grow(h, 512, 0)); /* arena slot 0 */
	CHECK(fz_span_in_arenas(h, g, NULL, pg(0), ap, 1, &v));
	CHECK(!fz_span_in_arenas(h, g, NULL, pg(ap - 1), 2, 2, &v));
	CHECK_MSG(strstr(v.msg, "allocation #2 at A0:2047+2 reaches arena slot 1, which does not exist") != NULL,
		  "message: %s", v.msg);
	CHECK(!fz_span_in_arenas(h, g, NULL, g->heap_vbase - ph_page_size(g), 1, 3, &v)); /* below the first slot */
	CHECK(!fz_span_in_arenas(h, g, NULL, pg(ap * g->max_arenas), 1, 4, &v)); /* past the last */
	ph_heap_reset_keep_memory(h);
	CHECK(!fz_span_in_arenas(h, g, NULL, pg(0), 1, 5, &v)); /* forgotten */
	CHECK(ph_heap_grow(h, 512, 1));                  /* slot 1 this time */
	CHECK(!fz_span_in_arenas(h, g, NULL, pg(0), 1, 6, &v) && fz_span_in_arenas(h, g, NULL, pg(ap), 1, 7, &v));

	/* The cache of slots seen: filled by a check that passes, trusted
	 * after (so its owner clears it with the heap), never filled by one
	 * that fails. */
	uint64_t seen[FZ_ARENA_SEEN_WORDS] = {0};
	CHECK(!fz_span_in_arenas(h, g, seen, pg(0), 1, 8, &v) && seen[0] == 0);
	CHECK(fz_span_in_arenas(h, g, seen, pg(ap), 1, 9, &v) && seen[0] == 2);
	ph_heap_reset_keep_memory(h); /* slot 1 forgotten too */
	CHECK(fz_span_in_arenas(h, g, seen, pg(ap), 1, 10, &v));   /* the stale cache answers */
	memset(seen, 0, sizeof seen);
	CHECK(!fz_span_in_arenas(h, g, seen, pg(ap), 1, 11, &v)); /* cleared: looked up again */
	CHECK(!fz_span_in_arenas(h, g, seen, pg(ap * g->max_arenas), 1, 12, &v) && seen[0] == 0);
	ph_heap_destroy(h);
}

/* ---- page allocator reset ------------------------------------------------- */

/* Summaries and bitmaps of two page allocators that grew the same ranges. */
static bool same_pagealloc(const ph_pagealloc *a, const ph_pagealloc *b)
{
	if (a->in_use.n != b->in_use.n || a->search_addr != b->search_addr || a->start != b->start || a->end != b->end)
		return false;
	for (size_t r = 0; r < a->in_use.n; r++) {
		uintptr_t base = a->in_use.r[r].base, limit = a->in_use.r[r].limit;
		for (int l = 0; l < PH_SUMMARY_LEVELS; l++) {
			/* Every entry of the mapped blocks, 8 siblings at a time. */
			size_t per = (size_t)1 << a->level_bits[l];
			size_t lo = (base >> a->level_shift[l]) & ~(per - 1);
			size_t hi = ((((limit - 1) >> a->level_shift[l]) + 1) + per - 1) & ~(per - 1);
			if (memcmp(&a->summary[l][lo], &b->summary[l][lo], (hi - lo) * sizeof(ph_sum)) != 0)
				return false;
		}
		for (uintptr_t c = ph_chunk_index(g, base); c < ph_chunk_index(g, limit); c++)
			if (memcmp(ph_pagealloc_chunk(a, c), ph_pagealloc_chunk(b, c), sizeof(ph_palloc_data)) != 0)
				return false;
	}
	return true;
}

static void test_pagealloc_reset(void)
{
	ph_pagealloc used, fresh;
	CHECK(ph_pagealloc_init(&used, g) == NULL && ph_pagealloc_init(&fresh, g) == NULL);
	uintptr_t ab = ph_arena_bytes(g);
	for (unsigned round = 0; round < 3; round++) {
		/* Use it: discontiguous growth, allocations, a cache. */
		ph_pagealloc_grow(&used, g->heap_vbase, 2 * ab);
		ph_pagealloc_grow(&used, g->heap_vbase + 5 * ab, ab);
		uintptr_t scav;
		for (unsigned k = 0; k < 50; k++)
			ph_pagealloc_alloc(&used, 1 + below(700), &scav);
		ph_pagecache c = ph_pagealloc_alloc_to_cache(&used);
		ph_pagecache_flush(&c, &used);
		ph_pagealloc_reset(&used);
		CHECK(used.in_use.n == 0 && used.start == 0 && used.end == 0);
		/* Grow the same way again: as if it never had been used. */
		ph_pagealloc_grow(&used, g->heap_vbase + ab, ab);
		ph_pagealloc_grow(&fresh, g->heap_vbase + ab, ab);
		CHECK_MSG(same_pagealloc(&used, &fresh), "round %u: reset page allocator differs from a fresh one", round);
		ph_pagealloc_reset(&used);
		ph_pagealloc_destroy(&fresh);
		CHECK(ph_pagealloc_init(&fresh, g) == NULL);
	}
	ph_pagealloc_destroy(&used);
	ph_pagealloc_destroy(&fresh);
}

/* Can the process read the byte at p?  Writing it into a pipe makes the
 * kernel copy it, which reports EFAULT instead of faulting, so an
 * inaccessible page can be probed without a crash (/dev/null would not
 * even look at the byte). */
static bool readable(const void *p)
{
	static int fd[2] = {-1, -1};
	char c;
	if (fd[0] < 0 && pipe(fd) != 0)
		abort();
	if (write(fd[1], p, 1) != 1)
		return false;
	if (read(fd[0], &c, 1) != 1)
		abort();
	return true;
}

/* After a reset the summary pages of the last run stay mapped until the
 * next growth, which leaves exactly the pages it needs accessible, as a
 * fresh page allocator would.  Go's geometry: two ranges 64 arenas apart
 * keep their leaf summaries on different OS pages. */
static void test_pagealloc_reset_protection(void)
{
	const ph_geom *go = &ph_geom_go;
	ph_pagealloc pa;
	CHECK(ph_pagealloc_init(&pa, go) == NULL);
	uintptr_t ab = ph_arena_bytes(go);
	uintptr_t a = go->heap_vbase, b = go->heap_vbase + 64 * ab;
	const ph_sum *leaf = pa.summary[PH_SUMMARY_LEVELS - 1];
	const ph_sum *at_a = &leaf[ph_chunk_index(go, a)], *at_b = &leaf[ph_chunk_index(go, b)];
	CHECK(!readable(at_a) && !readable(at_b)); /* fresh: nothing mapped */
	ph_pagealloc_grow(&pa, a, ab);
	ph_pagealloc_grow(&pa, b, ab);
	CHECK(readable(at_a) && readable(at_b));
	ph_pagealloc_reset(&pa);
	ph_pagealloc_reset(&pa); /* twice, with no growth between */
	ph_pagealloc_grow(&pa, a, ab); /* the next run needs only a's pages */
	CHECK(readable(at_a));
	CHECK_MSG(!readable(at_b), "b's leaf summaries are still mapped after a run that never grew there");
	CHECK(*at_a == PH_FREE_CHUNK_SUM);
	ph_pagealloc_grow(&pa, b, ab); /* and mapped again when needed */
	CHECK(readable(at_b) && *at_b == PH_FREE_CHUNK_SUM);
	ph_pagealloc_destroy(&pa);
}

/* ---- runner reset ------------------------------------------------------------ */

/* What an input wrote is never seen by the next: the same program run
 * again is handed the same pages as fresh, and Z1 does not fire. */
static void test_runner_reset(void)
{
	char err[200];
	struct fz_config cfg = {.engine = FZ_ENGINE_PTHREAD, .sequential = true};
	struct fz_runner *r = fz_runner_new(&cfg, err, sizeof err);
	CHECK(r != NULL);
	if (r == NULL)
		return;
	struct fz_outcome out;
	static struct fz_schedule s;
	memset(&s, 0, sizeof s);
	s.nthreads = 2;
	s.no_cache = !CACHES;
	s.nops[0] = 3;
	s.ops[0][0] = (struct fz_op){.kind = FZ_OP_ALLOC, .n = 700};
	s.ops[0][1] = (struct fz_op){.kind = FZ_OP_ALLOC, .n = 3};
	s.ops[0][2] = (struct fz_op){.kind = FZ_OP_WRITE, .sel = 1};
	s.nops[1] = 2;
	s.ops[1][0] = (struct fz_op){.kind = FZ_OP_GROW, .n = 600, .sel = 2};
	s.ops[1][1] = (struct fz_op){.kind = FZ_OP_ALLOC, .n = 1000};
	for (int k = 0; k < 3; k++) {
		fz_runner_run(r, &fz_profile_schedule, &s, &out); /* aborts on a failure */
		CHECK(!out.failed && out.allocs == 3);
	}
	fz_runner_free(r);
}

int main(int argc, char **argv)
{
	ph_test_init(argc, argv);
	ph_test_run("pages/bulk-passes-match-byte-loops", test_bulk_passes);
	ph_test_run("pages/fused-oracle-passes", test_fused_oracles);
	static const bool concurrent = true, controlled = false;
	ph_test_run_arg("pages/shadow-bitmaps/concurrent", test_shadow_bitmaps, &concurrent);
	ph_test_run_arg("pages/shadow-bitmaps/one-thread-at-a-time", test_shadow_bitmaps, &controlled);
	ph_test_run_arg("pages/shadow-reset-after-failed-overlap-check/concurrent", test_shadow_reset_after_overlap,
			&concurrent);
	ph_test_run_arg("pages/shadow-reset-after-failed-overlap-check/one-thread-at-a-time",
			test_shadow_reset_after_overlap, &controlled);
	ph_test_run("pages/heap-word-walk-matches-page-walk", test_heap_word_walk);
	ph_test_run("pages/heap-page-in-two-caches", test_heap_two_caches);
	ph_test_run("pages/fill-allocation-reads-only-written-pages", test_fill_allocation);
	ph_test_run("pages/span-in-existing-arenas", test_span_in_arenas);
	ph_test_run("pages/pagealloc-reset-equals-fresh", test_pagealloc_reset);
	ph_test_run("pages/pagealloc-reset-remaps-only-what-is-needed", test_pagealloc_reset_protection);
	ph_test_run("pages/runner-next-input-sees-fresh-memory", test_runner_reset);
	if (shadow.state != NULL)
		fz_shadow_free(&shadow);
	return ph_test_finish();
}
