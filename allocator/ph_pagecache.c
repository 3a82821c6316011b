/* ph_pagecache.c - per-P page cache. */
#include "ph_pagecache.h"

#include "ph_bugs.h"
#include "ph_hooks.h"
#include "ph_throw.h"

uintptr_t ph_pagecache_alloc(ph_pagecache *c, const ph_geom *g, uintptr_t npages, uintptr_t *scav)
{
	*scav = 0;
	if (c->cache == 0)
		return 0;
	if (npages == 1) {
		unsigned i = (unsigned)__builtin_ctzll(c->cache);
		*scav = ((c->scav >> i) & 1) << g->page_shift;
		c->cache &= ~(1ull << i);
		c->scav &= ~(1ull << i);
		return c->base + ((uintptr_t)i << g->page_shift);
	}
	unsigned i = ph_find_bit_range64(c->cache, (unsigned)npages);
	if (i >= 64)
		return 0;
	uint64_t mask = (npages >= 64 ? ~0ull : ((1ull << npages) - 1)) << i;
	*scav = (uintptr_t)__builtin_popcountll(c->scav & mask) << g->page_shift;
	c->cache &= ~mask;
	c->scav &= ~mask;
	return c->base + ((uintptr_t)i << g->page_shift);
}

void ph_pagecache_flush(ph_pagecache *c, ph_pagealloc *pa)
{
	const ph_geom *g = pa->g;
	if (ph_pagecache_empty(c))
		return;
	PH_NOTE(.kind = PH_NOTE_CACHE_FLUSH, .base = c->base, .npages = PH_CACHE_PAGES, .a = c->cache);
#if PH_BUG_FLUSH_LEAKS_PAGES
	/* FAULT flush-leaks-pages: the cache is emptied but its free pages stay
	 * marked in use in the page allocator forever. */
	(void)g;
#else
	uintptr_t ci = ph_chunk_index(g, c->base);
	unsigned pi = ph_chunk_page_index(g, c->base);
	ph_palloc_data *chunk = ph_pagealloc_chunk(pa, ci);
	/* Go frees bit by bit, the slow and safe way; so do we, but only for
	 * the bits that are set (the P owns c: nothing changes it meanwhile). */
	for (uint64_t m = c->cache; m != 0; m &= m - 1)
		ph_bits_clear_range(&chunk->alloc, pi + (unsigned)__builtin_ctzll(m), 1);
	for (uint64_t m = c->scav; m != 0; m &= m - 1)
		ph_bits_set_range(&chunk->scav, pi + (unsigned)__builtin_ctzll(m), 1);
	/* Like a free: pages below searchAddr came back. */
	if (c->base < pa->search_addr)
		pa->search_addr = c->base;
	ph_pagealloc_update(pa, c->base, PH_CACHE_PAGES, false, false);
#endif
	*c = (ph_pagecache){0};
}

ph_pagecache ph_pagealloc_alloc_to_cache(ph_pagealloc *pa)
{
	const ph_geom *g = pa->g;
	ph_pagecache c = {0};
	ph_palloc_data *chunk;
	unsigned j, unused;

	if (ph_chunk_index(g, pa->search_addr) >= pa->end)
		return c;
	uintptr_t ci = ph_chunk_index(g, pa->search_addr);
	if (pa->summary[PH_SUMMARY_LEVELS - 1][ci] != 0) {
		/* Free pages at or just after searchAddr. */
		chunk = ph_pagealloc_chunk(pa, ci);
		j = ph_palloc_find(&chunk->alloc, 1, ph_chunk_page_index(g, pa->search_addr), &unused);
		if (j == PH_NOT_FOUND)
			ph_throwf("bad summary data", "allocToCache: chunk %#lx has no free page", (unsigned long)ci);
	} else {
		uintptr_t candidate;
		uintptr_t addr = ph_pagealloc_find(pa, 1, &candidate);
		if (addr == 0) {
			pa->search_addr = ph_pagealloc_max_search_addr(pa);
			return c;
		}
		ci = ph_chunk_index(g, addr);
		chunk = ph_pagealloc_chunk(pa, ci);
		j = ph_chunk_page_index(g, addr);
	}
	c.base = ph_chunk_base(g, ci) + ((uintptr_t)(j & ~63u) << g->page_shift);
	c.cache = ~ph_bits_block64(&chunk->alloc, j);
	c.scav = ph_bits_block64(&chunk->scav, j);

	/* Chosen but not yet claimed: without the heap lock another P could
	 * choose the same block here. */
	PH_POINT(PH_PT_CACHE_REFILL, 0);

	/* Claim the block's free pages; its scavenged bits move to the cache. */
	unsigned k = j / 64;
	chunk->alloc.w[k] |= c.cache;
	chunk->scav.w[k] &= ~(c.cache & c.scav);
	ph_pagealloc_update(pa, c.base, PH_CACHE_PAGES, false, true);

	/* Every page of the block is now in use and none below it was free,
	 * so searching can resume at the block's last page, which stays
	 * inside inUse (golang/go#38605). */
	pa->search_addr = c.base + ((uintptr_t)(PH_CACHE_PAGES - 1) << g->page_shift);
	PH_NOTE(.kind = PH_NOTE_CACHE_REFILL, .base = c.base, .npages = PH_CACHE_PAGES, .a = c.cache, .b = c.scav);
	return c;
}
