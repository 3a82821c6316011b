/*
 * fz_oracle_heap.c - HEAP: at quiescent points the page allocator's own
 * invariants hold (ph_heap_verify) and every page is accounted for once:
 * in use in the bitmap exactly when a live allocation or a P's cache owns
 * it.  After everything is freed and every P destroyed, nothing is in use.
 *
 * Both walks go a word of 64 pages at a time: for each grown chunk, its
 * allocation bitmap words against the shadow's live bits and the Ps' cache
 * masks, so the cost is the heap's size over 64 plus the number of Ps, and
 * the allocator is asked for a chunk once, not for every page.  A word with
 * a violation is then looked at page by page, lowest page first, to report
 * the same page and sentence a page-by-page walk would.
 *
 * fz_span_in_arenas stands in for the fault an access to an arena that
 * does not exist used to raise: the harness's reset leaves forgotten
 * arenas mapped (ph_heap_reset_keep_memory).
 *
 * Locking: no thread may be running the heap (the page allocator is read
 * without its lock), except for fz_span_in_arenas, which reads only the
 * arena index (atomically published).
 */
#include <stdio.h>

#include "fz_oracle.h"
#include "fz_trace.h"
#include "fz_sanitizer.h"

FZ_HARNESS_CODE_BEGIN

#define CHUNK_WORDS (PH_CHUNK_PAGES / 64)

/* Page-cache bits that fall into the 64 pages from word_addr: a P's block
 * is 64-page aligned, so it is one word, but nothing here relies on it. */
static uint64_t cache_bits(const ph_pagecache *c, const ph_geom *g, uintptr_t word_addr)
{
	if (c->cache == 0)
		return 0;
	uintptr_t span = (uintptr_t)64 << g->page_shift;
	if (c->base >= word_addr + span || c->base + span <= word_addr)
		return 0;
	if (c->base >= word_addr)
		return c->cache << ((c->base - word_addr) >> g->page_shift);
	return c->cache >> ((word_addr - c->base) >> g->page_shift);
}

/* The P whose cache holds page addr free, or -1. */
static int cached_by(const ph_p *const *ps, unsigned nps, const ph_geom *g, uintptr_t addr)
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

/* The verdict for page addr, which breaks the accounting in one of the
 * ways the word check found. */
static bool page_verdict(const struct fz_shadow *s, const ph_p *const *ps, unsigned nps, const ph_geom *g,
			 uintptr_t addr, bool in_use, struct fz_verdict *v)
{
	char at[32];
	long owner = fz_shadow_owner(s, addr);
	int cacher = cached_by(ps, nps, g, addr);
	if (owner >= 0 && cacher >= 0)
		return fz_fail_verdict(v, "HEAP", "page %s belongs to allocation #%ld and is free in P%d's cache",
				       fz_where(g, addr, at, sizeof at), owner, cacher);
	if (in_use && owner < 0 && cacher < 0)
		return fz_fail_verdict(v, "HEAP",
				       "page %s is in use in the bitmap but no allocation or page cache owns it (lost)",
				       fz_where(g, addr, at, sizeof at));
	if (!in_use && owner >= 0)
		return fz_fail_verdict(v, "HEAP", "page %s is free in the bitmap but allocation #%ld uses it",
				       fz_where(g, addr, at, sizeof at), owner);
	if (!in_use && cacher >= 0)
		return fz_fail_verdict(v, "HEAP", "page %s is free in the bitmap but sits in P%d's cache",
				       fz_where(g, addr, at, sizeof at), cacher);
	/* Two caches hold it: cached_by named the first. */
	for (unsigned i = (unsigned)cacher + 1; i < nps; i++)
		if (cache_bits(&ps[i]->cache, g, addr) & 1)
			return fz_fail_verdict(v, "HEAP", "page %s is free in both P%d's and P%u's cache",
					       fz_where(g, addr, at, sizeof at), cacher, i);
	return fz_fail_verdict(v, "HEAP", "page %s: accounting mismatch", fz_where(g, addr, at, sizeof at));
}

/* Checks the 64 pages from addr, whose bitmap word is alloc. */
static bool check_word(const struct fz_shadow *s, const ph_p *const *ps, unsigned nps, const ph_geom *g,
		       uintptr_t addr, uint64_t alloc, struct fz_verdict *v)
{
	uint64_t live = fz_shadow_live_word(s, addr);
	uint64_t cached = 0, twice = 0;
	for (unsigned i = 0; i < nps; i++) {
		uint64_t c = cache_bits(&ps[i]->cache, g, addr);
		twice |= cached & c;
		cached |= c;
	}
	uint64_t bad = (live & cached) | (alloc & ~live & ~cached) | (~alloc & (live | cached)) | twice;
	if (bad == 0)
		return true;
	unsigned i = (unsigned)__builtin_ctzll(bad);
	return page_verdict(s, ps, nps, g, addr + ((uintptr_t)i << g->page_shift), (alloc >> i) & 1, v);
}

bool fz_heap_accounting(ph_heap *h, const struct fz_shadow *s, const ph_p *const *ps, unsigned nps,
			struct fz_verdict *v)
{
	const ph_geom *g = ph_heap_geom(h);
	char buf[300];
	const char *bad = ph_heap_verify(h, buf, sizeof buf);
	if (bad != NULL)
		return fz_fail_verdict(v, "HEAP", "%s", bad);

	const ph_pagealloc *pa = ph_heap_pages(h);
	uintptr_t word_bytes = (uintptr_t)64 << g->page_shift;
	for (size_t r = 0; r < pa->in_use.n; r++) {
		for (uintptr_t a = pa->in_use.r[r].base; a < pa->in_use.r[r].limit; a += ph_chunk_bytes(g)) {
			const ph_palloc_data *c = ph_pagealloc_chunk(pa, ph_chunk_index(g, a));
			for (unsigned k = 0; k < CHUNK_WORDS; k++)
				if (!check_word(s, ps, nps, g, a + k * word_bytes, c->alloc.w[k], v))
					return false;
		}
	}
	return true;
}

bool fz_span_in_arenas(const ph_heap *h, const ph_geom *g, uint64_t *seen, uintptr_t base, uintptr_t npages,
		       uint32_t id, struct fz_verdict *v)
{
	char at[32];
	uintptr_t first = ph_arena_index(g, base);
	uintptr_t last = ph_arena_index(g, base + (npages << g->page_shift) - 1);
	for (uintptr_t ai = first; ai <= last; ai++) {
		uintptr_t slot = ai - ph_first_arena(g); /* wraps below the first */
		if (slot >= g->max_arenas)
			goto missing;
		uint64_t bit = 1ull << (slot % 64);
		if (seen != NULL && (__atomic_load_n(&seen[slot / 64], __ATOMIC_RELAXED) & bit) != 0)
			continue;
		if (ph_heap_arena(h, ai) == NULL)
			goto missing;
		if (seen != NULL)
			__atomic_fetch_or(&seen[slot / 64], bit, __ATOMIC_RELAXED);
		continue;
	missing:
		return fz_fail_verdict(v, "O1", "allocation #%u at %s+%lu reaches arena slot %ld, which does not exist",
				       id, fz_where(g, base, at, sizeof at), (unsigned long)npages, (long)slot);
	}
	return true;
}

bool fz_heap_empty(ph_heap *h, struct fz_verdict *v)
{
	const ph_geom *g = ph_heap_geom(h);
	const ph_pagealloc *pa = ph_heap_pages(h);
	uintptr_t used = 0, first = 0;
	for (size_t r = 0; r < pa->in_use.n; r++) {
		for (uintptr_t a = pa->in_use.r[r].base; a < pa->in_use.r[r].limit; a += ph_chunk_bytes(g)) {
			const ph_palloc_data *c = ph_pagealloc_chunk(pa, ph_chunk_index(g, a));
			for (unsigned k = 0; k < CHUNK_WORDS; k++) {
				uint64_t w = c->alloc.w[k];
				if (w != 0 && used == 0)
					first = a + (((uintptr_t)k * 64 + (unsigned)__builtin_ctzll(w)) << g->page_shift);
				used += (uintptr_t)__builtin_popcountll(w);
			}
		}
	}
	if (used == 0)
		return true;
	char at[32];
	return fz_fail_verdict(v, "HEAP",
			       "after freeing every allocation and destroying every P, %lu pages are still in use (first: %s)",
			       (unsigned long)used, fz_where(g, first, at, sizeof at));
}

FZ_HARNESS_CODE_END
