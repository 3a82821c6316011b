/*
 * ph_verify.c - the heap's invariant checks (ph_pagealloc_verify,
 * ph_heap_verify): the page allocator's summaries agree with its bitmaps at
 * every level, no page is both in use and scavenged, every page below
 * searchAddr is in use, and every arena's zeroedBase is a page offset
 * inside the arena.  See ph_pagealloc.h and ph_heap.h for the invariants.
 *
 * A file of its own because checking is not the allocator's behaviour: a
 * fuzz build compiles it without libFuzzer's coverage (Makefile,
 * NO_COVERAGE_SRC), since its branches are the same for every healthy heap
 * and would only add features -- the same ones -- to every input.
 *
 * Locking: the heap must be quiescent, or its lock held by the caller.
 */
#include <stdio.h>

#include "ph_heap_internal.h"
#include "ph_hooks.h"
#include "ph_pagealloc.h"
#include "ph_pallocbits.h"

#define FAIL(...)                                                                \
	do {                                                                     \
		snprintf(buf, n, __VA_ARGS__);                                   \
		return buf;                                                      \
	} while (0)

static const char *verify_search_addr(const ph_pagealloc *pa, char *buf, size_t n)
{
	const ph_geom *g = pa->g;
	uintptr_t sa = pa->search_addr;
	if (sa == ph_pagealloc_max_search_addr(pa))
		return NULL;
	if (!ph_ranges_contains(&pa->in_use, sa))
		FAIL("searchAddr %#lx is outside every in-use range", (unsigned long)sa);
	for (size_t r = 0; r < pa->in_use.n; r++) {
		for (uintptr_t a = pa->in_use.r[r].base; a < pa->in_use.r[r].limit && a < sa;
		     a += ph_chunk_bytes(g)) {
			uintptr_t ci = ph_chunk_index(g, a);
			const ph_palloc_data *c = ph_pagealloc_chunk(pa, ci);
			unsigned below = ph_chunk_index(g, sa) == ci ? ph_chunk_page_index(g, sa) : PH_CHUNK_PAGES;
			unsigned used = ph_bits_popcnt_range(&c->alloc, 0, below);
			if (used != below)
				FAIL("free page below searchAddr %#lx in chunk %#lx (%u of %u pages in use)",
				     (unsigned long)sa, (unsigned long)ci, used, below);
		}
	}
	return NULL;
}

const char *ph_pagealloc_verify(const ph_pagealloc *pa, char *buf, size_t n)
{
	const ph_geom *g = pa->g;
	const int leaf = PH_SUMMARY_LEVELS - 1;

	for (size_t r = 0; r < pa->in_use.n; r++) {
		uintptr_t base = pa->in_use.r[r].base, limit = pa->in_use.r[r].limit;
		for (uintptr_t ci = ph_chunk_index(g, base); ci < ph_chunk_index(g, limit); ci++) {
			const ph_palloc_data *c = ph_pagealloc_chunk(pa, ci);
			if (ci < pa->start || ci >= pa->end)
				FAIL("chunk %#lx outside [start, end) = [%#lx, %#lx)", (unsigned long)ci,
				     (unsigned long)pa->start, (unsigned long)pa->end);
			ph_sum want = ph_palloc_summarize(&c->alloc);
			if (pa->summary[leaf][ci] != want)
				FAIL("leaf summary of chunk %#lx is (%u,%u,%u), bitmap says (%u,%u,%u)",
				     (unsigned long)ci, ph_sum_start(pa->summary[leaf][ci]),
				     ph_sum_max(pa->summary[leaf][ci]), ph_sum_end(pa->summary[leaf][ci]),
				     ph_sum_start(want), ph_sum_max(want), ph_sum_end(want));
			for (unsigned k = 0; k < PH_CHUNK_PAGES / 64; k++)
				if (c->alloc.w[k] & c->scav.w[k])
					FAIL("chunk %#lx: pages %u..%u are both in use and scavenged",
					     (unsigned long)ci, 64 * k, 64 * k + 63);
		}
		for (int l = leaf - 1; l >= 0; l--) {
			size_t lo, hi;
			ph_pagealloc_summary_range(pa, l, base, limit, &lo, &hi);
			unsigned log_children = pa->level_bits[l + 1];
			for (size_t i = lo; i < hi; i++) {
				ph_sum want = ph_sum_merge(&pa->summary[l + 1][i << log_children],
							   1u << log_children, pa->level_log_pages[l + 1]);
				if (pa->summary[l][i] != want)
					FAIL("summary[%d][%#lx] is (%u,%u,%u), its children merge to (%u,%u,%u)",
					     l, (unsigned long)i, ph_sum_start(pa->summary[l][i]),
					     ph_sum_max(pa->summary[l][i]), ph_sum_end(pa->summary[l][i]),
					     ph_sum_start(want), ph_sum_max(want), ph_sum_end(want));
			}
		}
	}
	return verify_search_addr(pa, buf, n);
}

const char *ph_heap_verify(ph_heap *h, char *buf, size_t n)
{
	const ph_geom *g = h->g;
	const char *bad = ph_pagealloc_verify(&h->pages, buf, n);
	if (!PH_NULL(bad))
		return bad;
	for (unsigned s = 0; s < h->slots_hw; s++) {
		uintptr_t ai = ph_heap_first_arena(h) + s;
		ph_arena *a = ph_heap_arena(h, ai);
		if (PH_NULL(a))
			continue;
		uintptr_t zb = __atomic_load_n(&a->zeroed_base, __ATOMIC_SEQ_CST);
		if (zb > ph_arena_bytes(g) || zb % ph_page_size(g) != 0) {
			snprintf(buf, n, "arena %lu: zeroedBase %#lx is not a page offset inside the arena",
				 (unsigned long)ai, (unsigned long)zb);
			return buf;
		}
	}
	return NULL;
}
