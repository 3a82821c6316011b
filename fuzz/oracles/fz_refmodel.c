/*
 * fz_refmodel.c - the reference page allocator (see fz_refmodel.h).
 *
 * Every function is a direct loop over the per-page flags; the only
 * concession to speed is that searches stop at the highest grown page
 * rather than the end of the arena slots, which cannot change a result
 * because no page above it is free.  Page indices are relative to
 * heap_vbase, which is arena aligned, so 64-page blocks and chunks are
 * aligned the same way in page indices as in addresses.
 */
#include "fz_refmodel.h"

#include <stdlib.h>
#include <string.h>

#include "fz_sanitizer.h"

/* The whole model is harness code: its per-page loops must not steer the
 * fuzzer, nor pay a coverage callback per page. */
FZ_HARNESS_CODE_BEGIN

static uintptr_t page_bytes(const struct fz_refmodel *m) { return ph_page_size(m->g); }

/* Page index of addr; callers have checked addr lies in the slots. */
static size_t page_index(const struct fz_refmodel *m, uintptr_t addr)
{
	return (size_t)((addr - m->vbase) >> m->g->page_shift);
}

static uintptr_t page_addr(const struct fz_refmodel *m, size_t i)
{
	return m->vbase + ((uintptr_t)i << m->g->page_shift);
}

/* Whether [base, base+npages pages) lies inside the arena slots. */
static bool in_slots(const struct fz_refmodel *m, uintptr_t base, uintptr_t npages)
{
	if (base < m->vbase || (base - m->vbase) % page_bytes(m) != 0)
		return false;
	size_t first = page_index(m, base);
	return first <= m->npages && npages <= m->npages - first;
}

static bool is_free(uint8_t flags)
{
	return (flags & FZ_REF_GROWN) && !(flags & FZ_REF_IN_USE);
}

bool fz_ref_init(struct fz_refmodel *m, const ph_geom *g)
{
	memset(m, 0, sizeof *m);
	m->g = g;
	m->vbase = g->heap_vbase;
	m->npages = (size_t)g->max_arenas * ph_arena_pages(g);
	m->page = calloc(m->npages, 1);
	if (m->page == NULL)
		return false;
	m->grown_lo = m->npages;
	m->grown_hi = 0;
	return true;
}

void fz_ref_destroy(struct fz_refmodel *m)
{
	free(m->page);
	m->page = NULL;
}

void fz_ref_reset(struct fz_refmodel *m)
{
	/* Pages outside [grown_lo, grown_hi) were never touched. */
	if (m->grown_lo < m->grown_hi)
		memset(m->page + m->grown_lo, 0, m->grown_hi - m->grown_lo);
	m->grown_lo = m->npages;
	m->grown_hi = 0;
}

bool fz_ref_grow(struct fz_refmodel *m, uintptr_t base, uintptr_t size)
{
	uintptr_t chunk = ph_chunk_bytes(m->g);
	if (size == 0 || base % chunk != 0 || size % chunk != 0)
		return false;
	uintptr_t npages = size >> m->g->page_shift;
	if (!in_slots(m, base, npages))
		return false;
	size_t first = page_index(m, base);
	for (size_t i = first; i < first + npages; i++)
		if (m->page[i] & FZ_REF_GROWN)
			return false;
	for (size_t i = first; i < first + npages; i++)
		m->page[i] = FZ_REF_GROWN | FZ_REF_SCAV; /* fresh from the OS */
	if (first < m->grown_lo)
		m->grown_lo = first;
	if (first + npages > m->grown_hi)
		m->grown_hi = first + npages;
	return true;
}

/* Marks [first, first+n) in use; returns how many were scavenged. */
static uintptr_t take_pages(struct fz_refmodel *m, size_t first, size_t n)
{
	uintptr_t scav = 0;
	for (size_t i = first; i < first + n; i++) {
		if (m->page[i] & FZ_REF_SCAV)
			scav++;
		m->page[i] = FZ_REF_GROWN | FZ_REF_IN_USE; /* in use implies not scavenged */
	}
	return scav;
}

uintptr_t fz_ref_alloc(struct fz_refmodel *m, uintptr_t npages, uintptr_t *scav_pages)
{
	*scav_pages = 0;
	if (npages == 0)
		return 0;
	/* run = free pages seen in a row ending at page i. */
	size_t run = 0;
	for (size_t i = m->grown_lo; i < m->grown_hi; i++) {
		run = is_free(m->page[i]) ? run + 1 : 0;
		if (run == npages) {
			size_t first = i + 1 - npages;
			*scav_pages = take_pages(m, first, npages);
			return page_addr(m, first);
		}
	}
	return 0;
}

bool fz_ref_free(struct fz_refmodel *m, uintptr_t base, uintptr_t npages)
{
	if (npages == 0 || !in_slots(m, base, npages))
		return false;
	size_t first = page_index(m, base);
	for (size_t i = first; i < first + npages; i++)
		if (!(m->page[i] & FZ_REF_IN_USE))
			return false;
	for (size_t i = first; i < first + npages; i++)
		m->page[i] = FZ_REF_GROWN; /* free; scavenged bit stays clear */
	return true;
}

struct fz_refcache fz_ref_alloc_to_cache(struct fz_refmodel *m)
{
	struct fz_refcache c = {0};
	size_t lowest = m->npages;
	for (size_t i = m->grown_lo; i < m->grown_hi; i++) {
		if (is_free(m->page[i])) {
			lowest = i;
			break;
		}
	}
	if (lowest == m->npages)
		return c;
	/* Growth is chunk granular, so the whole block was grown. */
	size_t block = lowest & ~(size_t)(PH_CACHE_PAGES - 1);
	c.base = page_addr(m, block);
	for (unsigned i = 0; i < PH_CACHE_PAGES; i++) {
		uint8_t f = m->page[block + i];
		if (is_free(f))
			c.cache |= 1ull << i;
		if (f & FZ_REF_SCAV)
			c.scav |= 1ull << i;
		/* The whole block is in use while the cache holds it, free
		 * pages and pages already in use alike. */
		m->page[block + i] = FZ_REF_GROWN | FZ_REF_IN_USE;
	}
	return c;
}

uintptr_t fz_ref_cache_alloc(struct fz_refcache *c, const ph_geom *g, uintptr_t npages,
			     uintptr_t *scav_pages)
{
	*scav_pages = 0;
	if (npages == 0 || npages > PH_CACHE_PAGES)
		return 0;
	for (unsigned first = 0; first + npages <= PH_CACHE_PAGES; first++) {
		bool fits = true;
		for (unsigned i = first; i < first + npages; i++)
			if (!(c->cache >> i & 1))
				fits = false;
		if (!fits)
			continue;
		for (unsigned i = first; i < first + npages; i++) {
			if (c->scav >> i & 1)
				(*scav_pages)++;
			c->cache &= ~(1ull << i);
			c->scav &= ~(1ull << i);
		}
		return c->base + ((uintptr_t)first << g->page_shift);
	}
	return 0;
}

void fz_ref_cache_flush(struct fz_refmodel *m, struct fz_refcache *c)
{
	if (c->cache == 0)
		return; /* Go: flush of an empty cache does nothing */
	size_t block = page_index(m, c->base);
	for (unsigned i = 0; i < PH_CACHE_PAGES; i++) {
		if (!(c->cache >> i & 1))
			continue; /* handed out from the cache: stays in use */
		m->page[block + i] = FZ_REF_GROWN;
		if (c->scav >> i & 1)
			m->page[block + i] |= FZ_REF_SCAV;
	}
	*c = (struct fz_refcache){0};
}

unsigned fz_ref_flags(const struct fz_refmodel *m, uintptr_t addr)
{
	if (addr < m->vbase || page_index(m, addr) >= m->npages)
		return 0;
	return m->page[page_index(m, addr)];
}

void fz_ref_chunk_bits(const struct fz_refmodel *m, uintptr_t chunk_base,
		       uint64_t in_use[PH_CHUNK_PAGES / 64], uint64_t scav[PH_CHUNK_PAGES / 64])
{
	size_t first = page_index(m, chunk_base);
	for (unsigned k = 0; k < PH_CHUNK_PAGES / 64; k++) {
		in_use[k] = scav[k] = 0;
		for (unsigned i = 0; i < 64; i++) {
			uint8_t f = m->page[first + 64 * k + i];
			in_use[k] |= (uint64_t)((f & FZ_REF_IN_USE) != 0) << i;
			scav[k] |= (uint64_t)((f & FZ_REF_SCAV) != 0) << i;
		}
	}
}

FZ_HARNESS_CODE_END
