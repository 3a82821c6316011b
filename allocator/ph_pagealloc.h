/*
 * ph_pagealloc.h - the page allocator (Go: pageAlloc, mpagealloc.go and
 * mpagealloc_64bit.go, go1.14 with the go1.15 searchAddr fixes).
 *
 * Structure.  Pages are tracked by a bitmap sharded into chunks of 512 pages
 * (ph_palloc_data, which adds the scavenged bitmap).  Chunks live in a
 * two-level sparse array indexed by chunk number, with L2 blocks created on
 * grow.  Above the bitmap sits a radix tree of packed summaries
 * (ph_pallocbits.h), five levels of 3 bits below a root level that covers
 * the whole heap address space; each level is one flat array, reserved for
 * the whole address space at init and mapped read-write piecewise as the
 * heap grows.  Allocation is address-ordered first-fit: descend the tree
 * from the root, taking the first summary whose runs can hold the request.
 *
 * Invariants (checked by ph_pagealloc_verify):
 *  - summary[L-1][c] == summarize(chunk c) for every grown chunk c, and each
 *    higher summary is the merge of its 8 children;
 *  - scavenged implies free;
 *  - searchAddr: no page below searchAddr is free, and searchAddr lies in
 *    inUse or is the "no free memory" value ph_pagealloc_max_search_addr();
 *  - [start, end) spans every grown chunk (chunk indices).
 *
 * Locking: every function requires the heap lock (or exclusive ownership,
 * as in single-threaded tests, or the heap at rest).  The chunk L1 entries
 * are stored atomically, with release, as Go publishes them for readers
 * without the lock; every reader here holds the lock or owns the heap, so
 * lookups load them relaxed.
 */
#ifndef PH_PAGEALLOC_H
#define PH_PAGEALLOC_H

#include <assert.h>
#include <stdbool.h>
#include <stdint.h>

#include "ph_geom.h"
#include "ph_hooks.h"
#include "ph_pallocbits.h"
#include "ph_ranges.h"

typedef struct ph_pagealloc {
	const ph_geom *g;
	/* Radix-tree shape, derived from g at init (Go: levelBits,
	 * levelShift, levelLogPages). */
	unsigned level_bits[PH_SUMMARY_LEVELS];
	unsigned level_shift[PH_SUMMARY_LEVELS];
	unsigned level_log_pages[PH_SUMMARY_LEVELS];

	ph_sum *summary[PH_SUMMARY_LEVELS]; /* reserved arrays */
	size_t summary_cap[PH_SUMMARY_LEVELS]; /* entries reserved */

	ph_palloc_data **chunks; /* L1: 1 << chunks_l1_bits pointers to L2 blocks */
	unsigned chunks_l2_bits;

	uintptr_t search_addr; /* see the invariant above */
	uintptr_t start, end;  /* chunk indices */
	ph_ranges in_use;      /* every range passed to grow */
	ph_ranges lingering;   /* after a reset, until the next growth: the ranges
	                        * grown before it, whose summary pages are still
	                        * mapped (see ph_pagealloc_reset) */
} ph_pagealloc;

/* Returns NULL, or a sentence explaining why the reservation failed. */
const char *ph_pagealloc_init(ph_pagealloc *pa, const ph_geom *g);
void ph_pagealloc_destroy(ph_pagealloc *pa);
/* Back to the state right after init, keeping the reservations: the
 * summaries of every grown range and the chunk bitmaps are cleared.  Their
 * summary pages stay mapped until the next growth, which makes
 * inaccessible those it does not need itself (the next run usually needs
 * the same ones: changing a page's protection is what a reset must not
 * pay for every time).  Requires exclusive access. */
void ph_pagealloc_reset(ph_pagealloc *pa);

PH_GEOM_INLINE uintptr_t ph_chunk_index(const ph_geom *g, uintptr_t addr) { return addr >> ph_log_chunk_bytes(g); }
static inline uintptr_t ph_chunk_base(const ph_geom *g, uintptr_t ci) { return ci << ph_log_chunk_bytes(g); }
static inline unsigned ph_chunk_page_index(const ph_geom *g, uintptr_t addr)
{
	return (unsigned)((addr & (ph_chunk_bytes(g) - 1)) >> g->page_shift);
}
/* Summary indices [*lo, *hi) at level l covering addresses [base, limit). */
static inline void ph_pagealloc_summary_range(const ph_pagealloc *pa, int l, uintptr_t base, uintptr_t limit,
					      size_t *lo, size_t *hi)
{
	*lo = base >> pa->level_shift[l];
	*hi = ((limit - 1) >> pa->level_shift[l]) + 1;
}
/* searchAddr value meaning "no free memory anywhere". */
static inline uintptr_t ph_pagealloc_max_search_addr(const ph_pagealloc *pa)
{
	return ((uintptr_t)1 << pa->g->addr_bits) - 1;
}

/* NULL when chunk ci's L2 block was never created.  Always inline: a
 * lookup is a load or two, done several times per allocation, and an
 * out-of-line call would cost ThreadSanitizer a frame each time (and a
 * harness caller would get an instrumented copy of its own; see
 * PH_GEOM_INLINE). */
PH_GEOM_INLINE ph_palloc_data *ph_pagealloc_chunk_or_null(const ph_pagealloc *pa, uintptr_t ci)
{
	uintptr_t l1 = ci >> pa->chunks_l2_bits;
	uintptr_t l2 = ci & (((uintptr_t)1 << pa->chunks_l2_bits) - 1);
	/* Relaxed: every reader holds the heap lock or owns the heap at rest,
	 * either of which orders it after the growth that stored the entry.
	 * The load is atomic only because the store is (Go: StorepNoWB, for
	 * readers without the lock, which this port does not have).  An
	 * acquire would cost ThreadSanitizer a vector-clock join per lookup,
	 * several per allocation. */
	ph_palloc_data *block = __atomic_load_n(&pa->chunks[l1], __ATOMIC_RELAXED);
	return PH_NULL(block) ? NULL : &block[l2];
}

/* The chunk's bitmaps; the chunk must have been grown. */
PH_GEOM_INLINE ph_palloc_data *ph_pagealloc_chunk(const ph_pagealloc *pa, uintptr_t ci)
{
	ph_palloc_data *c = ph_pagealloc_chunk_or_null(pa, ci);
	assert(!PH_NULL(c));
	return c;
}

/* Adds [base, base+size) (chunk aligned) as free, scavenged memory. */
void ph_pagealloc_grow(ph_pagealloc *pa, uintptr_t base, uintptr_t size);
/* Recomputes summaries after bitmap changes in [base, base+npages pages). */
void ph_pagealloc_update(ph_pagealloc *pa, uintptr_t base, uintptr_t npages, bool contig, bool alloc);
/* Marks the range in use; returns the scavenged bytes it contained. */
uintptr_t ph_pagealloc_alloc_range(ph_pagealloc *pa, uintptr_t base, uintptr_t npages);
/* First fit without claiming: returns the base (0 = none) and a candidate
 * searchAddr in *search_addr. */
uintptr_t ph_pagealloc_find(ph_pagealloc *pa, uintptr_t npages, uintptr_t *search_addr);
/* First fit and claim: returns the base (0 = none); *scav = scavenged bytes. */
uintptr_t ph_pagealloc_alloc(ph_pagealloc *pa, uintptr_t npages, uintptr_t *scav);
void ph_pagealloc_free(ph_pagealloc *pa, uintptr_t base, uintptr_t npages);

/* Checks the invariants above; returns NULL or writes a description of the
 * first violation into buf and returns buf. */
const char *ph_pagealloc_verify(const ph_pagealloc *pa, char *buf, size_t n);

#endif
