/*
 * fz_refmodel.h - the page allocator's specification as a slow, obviously
 * correct reference model: the oracle of fuzz_pagealloc's differential test.
 *
 * Design.  The model keeps one byte of flags per page for every page of the
 * heap's arena slots (ph_geom.heap_vbase .. + max_arenas arenas): whether
 * the page was grown, whether it is in use, whether it is scavenged.  Every
 * operation is a plain loop over that flat array; there is no searchAddr, no
 * summary, no bitmap word trick, because those are exactly the optimisations
 * under test.  The model shares nothing with the real allocator but the
 * geometry constants (page size, chunk size, cache size).
 *
 * Semantics (Go's pageAlloc and pageCache, go1.14/1.15):
 *  - grow(base, size): chunk-aligned, never overlapping earlier growth; the
 *    new pages are free and scavenged (memory fresh from the OS);
 *  - alloc(n): address-ordered first fit over grown pages; runs may cross
 *    chunk and arena boundaries and contiguous separate growths, never a
 *    page that was not grown; the pages become in use and lose their
 *    scavenged bit; reports how many of them were scavenged;
 *  - free(base, n): the pages become free; scavenged bits are untouched
 *    (Go's free clears allocation bits only);
 *  - alloc_to_cache(): the 64-page-aligned block holding the lowest free
 *    page; the cache takes the block's free pages (cache bits) and their
 *    scavenged bits, and all 64 pages become in use and unscavenged;
 *  - cache alloc(n): first fit over the cache bits, no heap involvement;
 *  - cache flush: the cache's free pages become free in the heap, those
 *    with a cache scav bit become scavenged again; an empty cache is a no-op.
 *
 * Scavenged amounts are in pages; the real allocator reports bytes.
 * Single-threaded; no locking.
 */
#ifndef FZ_REFMODEL_H
#define FZ_REFMODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ph_geom.h"

/* Per-page flags. */
#define FZ_REF_GROWN 1u  /* part of a range passed to grow */
#define FZ_REF_IN_USE 2u /* allocated, or held by a page cache */
#define FZ_REF_SCAV 4u   /* scavenged (implies grown and free) */

struct fz_refmodel {
	const ph_geom *g;
	uintptr_t vbase;           /* address of page 0 (the first arena slot) */
	size_t npages;             /* pages in all arena slots */
	uint8_t *page;             /* FZ_REF_* flags, one byte per page */
	size_t grown_lo, grown_hi; /* every grown page index lies in [lo, hi) */
};

/* A page cache in the model: the same three fields Go's pageCache has. */
struct fz_refcache {
	uintptr_t base; /* first page of the 64-page block; 0 = none yet */
	uint64_t cache; /* bit i: page i is free and held by the cache */
	uint64_t scav;  /* bit i: page i is held and scavenged */
};

/* False when the page array cannot be allocated. */
bool fz_ref_init(struct fz_refmodel *m, const ph_geom *g);
void fz_ref_destroy(struct fz_refmodel *m);
/* Back to nothing grown. */
void fz_ref_reset(struct fz_refmodel *m);

/* Grows [base, base+size).  False (and no change) when the range is not
 * chunk aligned, leaves the arena slots, or overlaps earlier growth. */
bool fz_ref_grow(struct fz_refmodel *m, uintptr_t base, uintptr_t size);
/* First fit: the base of npages (>= 1) contiguous free grown pages, now in
 * use, or 0 when there is none.  *scav_pages: how many were scavenged. */
uintptr_t fz_ref_alloc(struct fz_refmodel *m, uintptr_t npages, uintptr_t *scav_pages);
/* Frees pages that are in use.  False (and no change) if any is not. */
bool fz_ref_free(struct fz_refmodel *m, uintptr_t base, uintptr_t npages);

/* Fills a cache from the heap; an empty cache (all zero) when no page is
 * free. */
struct fz_refcache fz_ref_alloc_to_cache(struct fz_refmodel *m);
/* First fit of npages (1..64) over the cache bits; 0 when no run fits. */
uintptr_t fz_ref_cache_alloc(struct fz_refcache *c, const ph_geom *g, uintptr_t npages,
			     uintptr_t *scav_pages);
/* Returns the cache's pages to the heap and empties the cache. */
void fz_ref_cache_flush(struct fz_refmodel *m, struct fz_refcache *c);

/* FZ_REF_* flags of the page holding addr; 0 outside the arena slots. */
unsigned fz_ref_flags(const struct fz_refmodel *m, uintptr_t addr);
/* The chunk at chunk_base (chunk aligned, inside the slots) as the real
 * allocator's two bitmaps would show it: bit i of word k is page 64k+i,
 * in_use[] 1 = in use (or held by a cache), scav[] 1 = scavenged. */
void fz_ref_chunk_bits(const struct fz_refmodel *m, uintptr_t chunk_base,
		       uint64_t in_use[PH_CHUNK_PAGES / 64], uint64_t scav[PH_CHUNK_PAGES / 64]);

#endif
