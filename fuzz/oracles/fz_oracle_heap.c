/*
 * fz_oracle_heap.c - HEAP: at quiescent points the page allocator's own
 * invariants hold (ph_heap_verify) and every page is accounted for once:
 * in use in the bitmap exactly when a live allocation or a P's cache owns
 * it.  After everything is freed and every P destroyed, nothing is in use.
 */
#include <stdio.h>

#include "fz_oracle.h"
#include "fz_trace.h"
#include "fz_sanitizer.h"

FZ_HARNESS_CODE_BEGIN

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

bool fz_heap_accounting(ph_heap *h, const struct fz_shadow *s, const ph_p *const *ps, unsigned nps,
			struct fz_verdict *v)
{
	const ph_geom *g = ph_heap_geom(h);
	char buf[300], at[32];
	const char *bad = ph_heap_verify(h, buf, sizeof buf);
	if (bad != NULL)
		return fz_fail_verdict(v, "HEAP", "%s", bad);

	const ph_pagealloc *pa = ph_heap_pages(h);
	for (size_t r = 0; r < pa->in_use.n; r++) {
		for (uintptr_t addr = pa->in_use.r[r].base; addr < pa->in_use.r[r].limit; addr += ph_page_size(g)) {
			const ph_palloc_data *c = ph_pagealloc_chunk(pa, ph_chunk_index(g, addr));
			bool in_use = ph_bits_get(&c->alloc, ph_chunk_page_index(g, addr));
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
		}
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
			unsigned n = ph_bits_popcnt_range(&c->alloc, 0, PH_CHUNK_PAGES);
			if (n > 0 && used == 0) {
				unsigned i = 0;
				while (!ph_bits_get(&c->alloc, i))
					i++;
				first = a + ((uintptr_t)i << g->page_shift);
			}
			used += n;
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
