/*
 * ph_mheap.c - heap creation, growth, span allocation and freeing (Go:
 * mheap.allocSpan, mheap.alloc, mheap.grow and mheap.freeSpan, go1.14).
 * See ph_heap.h for the design; the locking precondition of each internal
 * function is stated on it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ph_bugs.h"
#include "ph_heap_internal.h"
#include "ph_hooks.h"
#include "ph_os.h"
#include "ph_throw.h"

static uintptr_t align_up(uintptr_t x, uintptr_t a) { return (x + a - 1) & ~(a - 1); }

ph_heap *ph_heap_create(const ph_geom *g, const ph_heap_options *opt, char *err, size_t errlen)
{
	const char *why = ph_geom_check(g);
	if (!PH_NULL(why)) {
		snprintf(err, errlen, "bad geometry '%s': %s", !PH_NULL(g->name) ? g->name : "?", why);
		return NULL;
	}
	ph_heap *h = calloc(1, sizeof *h);
	if (PH_NULL(h)) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	h->g = g;
	h->opt = !PH_NULL(opt) ? *opt : (ph_heap_options){.use_page_cache = true};
	why = ph_pagealloc_init(&h->pages, g);
	if (!PH_NULL(why)) {
		snprintf(err, errlen, "%s", why);
		free(h);
		return NULL;
	}
	h->os_size = (size_t)g->max_arenas * ph_arena_bytes(g);
	h->os_base = ph_os_reserve(h->os_size);
	if (PH_NULL(h->os_base) || !ph_heap_arenas_init(h)) {
		snprintf(err, errlen, "cannot reserve %zu bytes of address space for the heap", h->os_size);
		ph_heap_destroy(h);
		return NULL;
	}
	return h;
}

void ph_heap_destroy(ph_heap *h)
{
	if (PH_NULL(h))
		return;
	ph_heap_arenas_destroy(h);
	ph_os_release(h->os_base, h->os_size);
	ph_pagealloc_destroy(&h->pages);
	free(h);
}

static void heap_reset(ph_heap *h, bool release_memory)
{
	ph_heap_arenas_reset(h, release_memory);
	ph_pagealloc_reset(&h->pages);
	h->cur_base = h->cur_end = 0;
	h->lock.state = 0;
	h->lock.contended = 0;
	h->cas_failures = 0;
	h->grows = 0;
}

void ph_heap_reset(ph_heap *h)
{
	heap_reset(h, true);
}

void ph_heap_reset_keep_memory(ph_heap *h)
{
	heap_reset(h, false);
}

const ph_geom *ph_heap_geom(const ph_heap *h) { return h->g; }
const ph_heap_options *ph_heap_options_of(const ph_heap *h) { return &h->opt; }
ph_pagealloc *ph_heap_pages(ph_heap *h) { return &h->pages; }
ph_mutex *ph_heap_lock(ph_heap *h) { return &h->lock; }

ph_heap_stats ph_heap_get_stats(const ph_heap *h)
{
	return (ph_heap_stats){
		.cas_failures = __atomic_load_n(&h->cas_failures, __ATOMIC_RELAXED),
		.lock_contended = __atomic_load_n(&h->lock.contended, __ATOMIC_RELAXED),
		.grows = __atomic_load_n(&h->grows, __ATOMIC_RELAXED),
	};
}

void ph_p_init(ph_p *p, unsigned id)
{
	p->id = id;
	p->cache = (ph_pagecache){0};
}

void ph_p_destroy(ph_heap *h, ph_p *p)
{
	ph_mutex_lock(&h->lock);
	ph_pagecache_flush(&p->cache, &h->pages);
	ph_mutex_unlock(&h->lock);
}

/*
 * Adds at least npage pages to the page allocator, mapping new arenas when
 * the current one is used up.  Returns false when out of address space.
 * Requires the heap lock.
 */
static bool heap_grow_locked(ph_heap *h, uintptr_t npage)
{
	const ph_geom *g = h->g;
	/* Whole chunks only. */
	uintptr_t ask = align_up(npage, PH_CHUNK_PAGES) << g->page_shift;
	uintptr_t phys = ph_os_page_size();
	uintptr_t n_base = align_up(h->cur_base + ask, phys);

	if (h->cur_base == 0 || n_base > h->cur_end) {
		uintptr_t size;
		uintptr_t av = ph_heap_sys_alloc(h, ask, &size);
		if (av == 0)
			return false;
		if (h->cur_base != 0 && av == h->cur_end) {
			/* Contiguous with the current space: extend it. */
			h->cur_end = av + size;
		} else {
			/* Discontiguous: hand what is left of the current
			 * space to the page allocator, then switch. */
			if (h->cur_end > h->cur_base) {
				ph_pagealloc_grow(&h->pages, h->cur_base, h->cur_end - h->cur_base);
				PH_NOTE(.kind = PH_NOTE_GROW, .base = h->cur_base,
					.npages = (h->cur_end - h->cur_base) >> g->page_shift);
			}
			h->cur_base = av;
			h->cur_end = av + size;
		}
		n_base = align_up(h->cur_base + ask, phys);
	}
	uintptr_t v = h->cur_base;
	h->cur_base = n_base;
	ph_pagealloc_grow(&h->pages, v, n_base - v);
	PH_NOTE(.kind = PH_NOTE_GROW, .base = v, .npages = (n_base - v) >> g->page_shift);
	__atomic_store_n(&h->grows, h->grows + 1, __ATOMIC_RELAXED);
	return true;
}

bool ph_heap_grow(ph_heap *h, uintptr_t npages, unsigned skip)
{
	ph_mutex_lock(&h->lock);
	/* The hinted slots are "taken by someone else": later arenas start
	 * further on, so the heap becomes discontiguous. */
	unsigned room = h->g->max_arenas - h->next_slot;
	h->next_slot += skip < room ? skip : room;
	bool ok = heap_grow_locked(h, npages);
	ph_mutex_unlock(&h->lock);
	return ok;
}

/*
 * Claims npages from the page allocator, growing the heap if needed.
 * Returns 0 when out of memory.  Requires the heap lock.
 */
static uintptr_t pages_alloc_locked(ph_heap *h, uintptr_t npages, uintptr_t *scav)
{
	uintptr_t base = ph_pagealloc_alloc(&h->pages, npages, scav);
	if (base != 0)
		return base;
	if (!heap_grow_locked(h, npages))
		return 0;
	base = ph_pagealloc_alloc(&h->pages, npages, scav);
	if (base == 0)
		ph_throwf("grew heap, but no adequate free space found", "npages = %lu", (unsigned long)npages);
	return base;
}

#if PH_BUG_DECIDE_BEFORE_CLAIM && !PH_ZEROING_LOCKED
/* FAULT decide-before-claim: find where the pages will probably come from
 * and decide for that range, then claim in a second critical section. */
static uintptr_t pages_alloc_decided_early(ph_heap *h, uintptr_t npages, uintptr_t *scav, bool *needzero)
{
	uintptr_t unused_search, guess = 0;
	ph_mutex_lock(&h->lock);
	/* The same guard as ph_pagealloc_alloc: nothing to find before the
	 * first growth. */
	if (ph_chunk_index(h->g, h->pages.search_addr) < h->pages.end)
		guess = ph_pagealloc_find(&h->pages, npages, &unused_search);
	ph_mutex_unlock(&h->lock);
	if (guess != 0)
		*needzero = ph_alloc_needs_zero(h, guess, npages);
	ph_mutex_lock(&h->lock);
	uintptr_t base = pages_alloc_locked(h, npages, scav);
	ph_mutex_unlock(&h->lock);
	if (base != 0 && guess == 0)
		*needzero = ph_alloc_needs_zero(h, base, npages);
	return base;
}
#endif

ph_span ph_alloc_span(ph_heap *h, ph_p *p, uintptr_t npages, bool zero)
{
	const ph_geom *g = h->g;
	ph_span s = {.npages = npages};
	uintptr_t base = 0, scav = 0;
	bool decided = false;

	if (npages == 0)
		ph_throwf("allocSpan of zero pages", NULL);

	if (h->opt.use_page_cache && !PH_NULL(p) && npages < PH_SMALL_PAGES) {
		ph_pagecache *c = &p->cache;
		if (ph_pagecache_empty(c)) {
#if PH_BUG_CACHE_REFILL_UNLOCKED
			/* FAULT cache-refill-unlocked: no heap lock around the
			 * page allocator. */
			*c = ph_pagealloc_alloc_to_cache(&h->pages);
#else
			ph_mutex_lock(&h->lock);
			*c = ph_pagealloc_alloc_to_cache(&h->pages);
			ph_mutex_unlock(&h->lock);
#endif
		}
		base = ph_pagecache_alloc(c, g, npages, &scav);
		if (base != 0) {
			PH_NOTE(.kind = PH_NOTE_CLAIM, .base = base, .npages = npages, .a = 1);
#if PH_ZEROING_LOCKED
			/* Pre-seed: the decision needs the heap lock. */
			ph_mutex_lock(&h->lock);
			s.needzero = ph_alloc_needs_zero(h, base, npages);
			ph_mutex_unlock(&h->lock);
			decided = true;
#endif
		}
	}

	if (base == 0) {
#if PH_BUG_DECIDE_BEFORE_CLAIM && !PH_ZEROING_LOCKED
		base = pages_alloc_decided_early(h, npages, &scav, &s.needzero);
		if (base == 0)
			return (ph_span){0};
		PH_NOTE(.kind = PH_NOTE_CLAIM, .base = base, .npages = npages, .a = 0);
		decided = true;
#else
		ph_mutex_lock(&h->lock);
		base = pages_alloc_locked(h, npages, &scav);
		if (base == 0) {
			ph_mutex_unlock(&h->lock);
			return (ph_span){0};
		}
		PH_NOTE(.kind = PH_NOTE_CLAIM, .base = base, .npages = npages, .a = 0);
#if PH_ZEROING_LOCKED
		s.needzero = ph_alloc_needs_zero(h, base, npages);
		decided = true;
#endif
		ph_mutex_unlock(&h->lock);
#endif
	}

	/* The heap lock is not held here (Go 1.14's HaveSpan). */
	if (!decided)
		s.needzero = ph_alloc_needs_zero(h, base, npages);
	s.base = base;
	s.scav = scav;

	if (zero && s.needzero) {
#if PH_BUG_ZEROING_IGNORED
		/* FAULT zeroing-ignored: the clear is skipped. */
#else
		PH_ZERO(ph_heap_ptr(h, base), npages << g->page_shift);
		PH_NOTE(.kind = PH_NOTE_ZEROED, .base = base, .npages = npages);
#endif
	}
	return s;
}

void ph_free_span(ph_heap *h, uintptr_t base, uintptr_t npages)
{
	ph_mutex_lock(&h->lock);
	ph_pagealloc_free(&h->pages, base, npages);
	PH_NOTE(.kind = PH_NOTE_FREE, .base = base, .npages = npages);
	ph_mutex_unlock(&h->lock);
}
