/*
 * ph_pagealloc.c - radix-tree page allocator.  The algorithms (summary
 * maintenance in update, the level-by-level first-fit descent in find with
 * its firstFree window, the searchAddr fast path in alloc) are Go's; see
 * ph_pagealloc.h for the structure and its invariants.
 */
#include "ph_hooks.h"
#include "ph_pagealloc.h"

#include <assert.h>
#include <string.h>

#include "ph_bugs.h"
#include "ph_os.h"
#include "ph_throw.h"

static uintptr_t align_down(uintptr_t x, uintptr_t a) { return x & ~(a - 1); }
static uintptr_t align_up(uintptr_t x, uintptr_t a) { return (x + a - 1) & ~(a - 1); }

static size_t summary_reserve_bytes(const ph_pagealloc *pa, int l)
{
	return align_up(pa->summary_cap[l] * sizeof(ph_sum), ph_os_page_size());
}

static size_t chunks_l1_len(const ph_pagealloc *pa)
{
	return (size_t)1 << pa->g->chunks_l1_bits;
}

static size_t chunks_l2_bytes(const ph_pagealloc *pa)
{
	return ((size_t)1 << pa->chunks_l2_bits) * sizeof(ph_palloc_data);
}

const char *ph_pagealloc_init(ph_pagealloc *pa, const ph_geom *g)
{
	const char *why = ph_geom_check(g);
	if (!PH_NULL(why))
		return why;
	memset(pa, 0, sizeof *pa);
	pa->g = g;

	unsigned l0_bits = g->addr_bits - ph_log_chunk_bytes(g) -
			   (PH_SUMMARY_LEVELS - 1) * PH_SUMMARY_LEVEL_BITS;
	for (int l = 0; l < PH_SUMMARY_LEVELS; l++) {
		pa->level_bits[l] = l == 0 ? l0_bits : PH_SUMMARY_LEVEL_BITS;
		pa->level_shift[l] = g->addr_bits - l0_bits - (unsigned)l * PH_SUMMARY_LEVEL_BITS;
		pa->level_log_pages[l] = PH_LOG_CHUNK_PAGES +
					 (unsigned)(PH_SUMMARY_LEVELS - 1 - l) * PH_SUMMARY_LEVEL_BITS;
	}
	/* The root level's page count must fit a packed summary field. */
	assert(pa->level_log_pages[0] <= PH_LOG_MAX_PACKED);

	for (int l = 0; l < PH_SUMMARY_LEVELS; l++) {
		pa->summary_cap[l] = (size_t)1 << (g->addr_bits - pa->level_shift[l]);
		pa->summary[l] = ph_os_reserve(summary_reserve_bytes(pa, l));
		if (PH_NULL(pa->summary[l])) {
			ph_pagealloc_destroy(pa);
			return "failed to reserve page summary memory";
		}
	}
	pa->chunks_l2_bits = g->addr_bits - ph_log_chunk_bytes(g) - g->chunks_l1_bits;
	pa->chunks = ph_os_alloc(chunks_l1_len(pa) * sizeof *pa->chunks);
	if (PH_NULL(pa->chunks)) {
		ph_pagealloc_destroy(pa);
		return "failed to allocate the chunk index";
	}
	ph_ranges_init(&pa->in_use);
	ph_ranges_init(&pa->lingering);
	pa->search_addr = ph_pagealloc_max_search_addr(pa);
	return NULL;
}

void ph_pagealloc_destroy(ph_pagealloc *pa)
{
	for (int l = 0; l < PH_SUMMARY_LEVELS; l++) {
		if (!PH_NULL(pa->summary[l]))
			ph_os_release(pa->summary[l], summary_reserve_bytes(pa, l));
		pa->summary[l] = NULL;
	}
	if (!PH_NULL(pa->chunks)) {
		for (size_t i = 0; i < chunks_l1_len(pa); i++)
			if (!PH_NULL(pa->chunks[i]))
				ph_os_free(pa->chunks[i], chunks_l2_bytes(pa));
		ph_os_free(pa->chunks, chunks_l1_len(pa) * sizeof *pa->chunks);
		pa->chunks = NULL;
	}
	ph_ranges_destroy(&pa->in_use);
	ph_ranges_destroy(&pa->lingering);
}

/* Summary indices at level l that growing [base, limit) maps: whole blocks
 * of 8 siblings, since a parent is computed from all of its children. */
static void grown_summary_range(const ph_pagealloc *pa, int l, uintptr_t base, uintptr_t limit, size_t *lo,
				size_t *hi)
{
	size_t e = (size_t)1 << pa->level_bits[l];
	ph_pagealloc_summary_range(pa, l, base, limit, lo, hi);
	*lo = align_down(*lo, e);
	*hi = align_up(*hi, e);
}

/* Bytes [*from, *to) of level l's array that holding the summaries of
 * [base, limit) maps: whole OS pages. */
static void summary_pages(const ph_pagealloc *pa, int l, uintptr_t base, uintptr_t limit, uintptr_t *from,
			  uintptr_t *to)
{
	size_t lo, hi;
	grown_summary_range(pa, l, base, limit, &lo, &hi);
	*from = align_down(lo * sizeof(ph_sum), ph_os_page_size());
	*to = align_up(hi * sizeof(ph_sum), ph_os_page_size());
}

/* Is [from, to) of level l mapped for one of the ranges? */
static bool pages_mapped_for(const ph_pagealloc *pa, const ph_ranges *rs, int l, uintptr_t from, uintptr_t to)
{
	for (size_t r = 0; r < rs->n; r++) {
		uintptr_t f, t;
		summary_pages(pa, l, rs->r[r].base, rs->r[r].limit, &f, &t);
		if (f <= from && to <= t)
			return true;
	}
	return false;
}

void ph_pagealloc_reset(ph_pagealloc *pa)
{
	/* Every summary write is for an address in a grown range (update and
	 * grow never reach outside one), so clearing the entries of the grown
	 * ranges leaves the levels as zero as fresh memory, and the pages
	 * need not go back to the OS (to be faulted in again next time). */
	for (size_t r = 0; r < pa->in_use.n; r++) {
		for (int l = 0; l < PH_SUMMARY_LEVELS; l++) {
			size_t lo, hi;
			grown_summary_range(pa, l, pa->in_use.r[r].base, pa->in_use.r[r].limit, &lo, &hi);
			memset(&pa->summary[l][lo], 0, (hi - lo) * sizeof(ph_sum));
		}
	}
	/* Their pages even stay accessible until the next growth: changing
	 * a populated page's protection costs microseconds, and the next run
	 * nearly always maps the same pages again.  The first growth makes
	 * inaccessible whatever of them it does not need (drop_lingering),
	 * so from then on exactly the pages of grown ranges are accessible, as
	 * after init; before it, nothing reads summaries (there is no memory).
	 * A reset before any growth keeps the lingering set it had. */
	if (pa->in_use.n > 0) {
		ph_ranges t = pa->lingering;
		pa->lingering = pa->in_use;
		pa->in_use = t;
	}
	for (uintptr_t ci = pa->start; ci < pa->end; ci++) {
		ph_palloc_data *c = ph_pagealloc_chunk_or_null(pa, ci);
		if (!PH_NULL(c))
			memset(c, 0, sizeof *c);
	}
	pa->in_use.n = 0;
	pa->search_addr = ph_pagealloc_max_search_addr(pa);
	pa->start = pa->end = 0;
}

/* At the first growth after a reset: the summary pages the last run left
 * mapped become inaccessible, except those [base, limit) needs. */
static void drop_lingering(ph_pagealloc *pa, uintptr_t base, uintptr_t limit)
{
	for (int l = 0; l < PH_SUMMARY_LEVELS; l++) {
		uintptr_t nf, nt;
		summary_pages(pa, l, base, limit, &nf, &nt);
		for (size_t r = 0; r < pa->lingering.n; r++) {
			uintptr_t f, t;
			summary_pages(pa, l, pa->lingering.r[r].base, pa->lingering.r[r].limit, &f, &t);
			char *a = (char *)pa->summary[l];
			if (f < nf)
				ph_os_protect_none(a + f, (t < nf ? t : nf) - f);
			if (t > nt)
				ph_os_protect_none(a + (f > nt ? f : nt), t - (f > nt ? f : nt));
		}
	}
}

/* Map the summary memory that [base, limit) needs (Go: sysGrow), skipping
 * pages already mapped for another grown range or left mapped by the last
 * run (Go prunes its mapping the same way). */
static void summaries_grow(ph_pagealloc *pa, uintptr_t base, uintptr_t limit)
{
	uintptr_t cb = ph_chunk_bytes(pa->g);
	if (base % cb != 0 || limit % cb != 0)
		ph_throwf("sysGrow bounds not aligned to pallocChunkBytes",
			  "base = %#lx, limit = %#lx", (unsigned long)base, (unsigned long)limit);

	for (int l = 0; l < PH_SUMMARY_LEVELS; l++) {
		uintptr_t from, to;
		summary_pages(pa, l, base, limit, &from, &to);
		if (pages_mapped_for(pa, &pa->in_use, l, from, to) || pages_mapped_for(pa, &pa->lingering, l, from, to))
			continue;
		if (!ph_os_map((char *)pa->summary[l] + from, to - from))
			ph_throwf("out of memory", "cannot map summary level %d", l);
	}
	if (pa->lingering.n > 0) {
		drop_lingering(pa, base, limit);
		pa->lingering.n = 0;
	}
}

void ph_pagealloc_grow(ph_pagealloc *pa, uintptr_t base, uintptr_t size)
{
	const ph_geom *g = pa->g;
	uintptr_t limit = align_up(base + size, ph_chunk_bytes(g));
	base = align_down(base, ph_chunk_bytes(g));

	summaries_grow(pa, base, limit);

	bool first_growth = pa->start == 0 && pa->end == 0;
	uintptr_t start = ph_chunk_index(g, base), end = ph_chunk_index(g, limit);
	if (first_growth || start < pa->start)
		pa->start = start;
	if (end > pa->end)
		pa->end = end;
	ph_ranges_add(&pa->in_use, (ph_range){base, limit});

	/* Growing is like freeing: new memory below searchAddr lowers it. */
	if (base < pa->search_addr)
		pa->search_addr = base;

	for (uintptr_t c = start; c < end; c++) {
		uintptr_t l1 = c >> pa->chunks_l2_bits;
		if (PH_NULL(pa->chunks[l1])) {
			ph_palloc_data *block = ph_os_alloc(chunks_l2_bytes(pa));
			if (PH_NULL(block))
				ph_throwf("out of memory", "cannot allocate a chunk block");
			__atomic_store_n(&pa->chunks[l1], block, __ATOMIC_RELEASE);
		}
		/* Memory fresh from the OS counts as scavenged. */
		ph_bits_set_all(&ph_pagealloc_chunk(pa, c)->scav);
	}
	ph_pagealloc_update(pa, base, (limit - base) >> g->page_shift, true, false);
}

void ph_pagealloc_update(ph_pagealloc *pa, uintptr_t base, uintptr_t npages, bool contig, bool alloc)
{
	const ph_geom *g = pa->g;
	const int leaf = PH_SUMMARY_LEVELS - 1;
	uintptr_t limit = base + (npages << g->page_shift) - 1; /* inclusive */
	uintptr_t sc = ph_chunk_index(g, base), ec = ph_chunk_index(g, limit);
	ph_sum *leaves = pa->summary[leaf];

	if (sc == ec) {
		/* One chunk: if its summary did not change, nothing above can. */
		ph_sum y = ph_palloc_summarize(&ph_pagealloc_chunk(pa, sc)->alloc);
		if (leaves[sc] == y)
			return;
		leaves[sc] = y;
	} else if (contig) {
		/* A contiguous operation: the chunks strictly inside are now
		 * entirely in use or entirely free. */
		leaves[sc] = ph_palloc_summarize(&ph_pagealloc_chunk(pa, sc)->alloc);
		for (uintptr_t c = sc + 1; c < ec; c++)
			leaves[c] = alloc ? 0 : PH_FREE_CHUNK_SUM;
		leaves[ec] = ph_palloc_summarize(&ph_pagealloc_chunk(pa, ec)->alloc);
	} else {
		for (uintptr_t c = sc; c <= ec; c++)
			leaves[c] = ph_palloc_summarize(&ph_pagealloc_chunk(pa, c)->alloc);
	}

	/* Walk up while summaries keep changing. */
	bool changed = true;
	for (int l = leaf - 1; l >= 0 && changed; l--) {
		changed = false;
		unsigned log_children = pa->level_bits[l + 1];
		unsigned log_child_pages = pa->level_log_pages[l + 1];
		size_t lo, hi;
		ph_pagealloc_summary_range(pa, l, base, limit + 1, &lo, &hi);
		for (size_t i = lo; i < hi; i++) {
			const ph_sum *children = &pa->summary[l + 1][i << log_children];
			ph_sum sum = ph_sum_merge(children, 1u << log_children, log_child_pages);
			if (pa->summary[l][i] != sum) {
				changed = true;
				pa->summary[l][i] = sum;
			}
		}
	}
}

uintptr_t ph_pagealloc_alloc_range(ph_pagealloc *pa, uintptr_t base, uintptr_t npages)
{
	const ph_geom *g = pa->g;
	uintptr_t limit = base + (npages << g->page_shift) - 1;
	uintptr_t sc = ph_chunk_index(g, base), ec = ph_chunk_index(g, limit);
	unsigned si = ph_chunk_page_index(g, base), ei = ph_chunk_page_index(g, limit);
	unsigned scav = 0;

	if (sc == ec) {
		ph_palloc_data *c = ph_pagealloc_chunk(pa, sc);
		scav += ph_bits_popcnt_range(&c->scav, si, ei + 1 - si);
		ph_palloc_data_alloc_range(c, si, ei + 1 - si);
	} else {
		ph_palloc_data *c = ph_pagealloc_chunk(pa, sc);
		scav += ph_bits_popcnt_range(&c->scav, si, PH_CHUNK_PAGES - si);
		ph_palloc_data_alloc_range(c, si, PH_CHUNK_PAGES - si);
		for (uintptr_t ci = sc + 1; ci < ec; ci++) {
			c = ph_pagealloc_chunk(pa, ci);
			scav += ph_bits_popcnt_range(&c->scav, 0, PH_CHUNK_PAGES);
			ph_palloc_data_alloc_all(c);
		}
		c = ph_pagealloc_chunk(pa, ec);
		scav += ph_bits_popcnt_range(&c->scav, 0, ei + 1);
		ph_palloc_data_alloc_range(c, 0, ei + 1);
	}
	ph_pagealloc_update(pa, base, npages, true, true);
	return (uintptr_t)scav << g->page_shift;
}

/*
 * The smallest address in inUse at or above addr, so a searchAddr estimate
 * never points into memory whose summaries are not mapped (golang/go#40191).
 */
static uintptr_t find_mapped_addr(const ph_pagealloc *pa, uintptr_t addr)
{
	uintptr_t v;
	if (ph_ranges_find_ge(&pa->in_use, addr, &v))
		return v;
	return ph_pagealloc_max_search_addr(pa);
}

/* The window [base, bound] known to contain the first free page. */
struct first_free {
	uintptr_t base, bound;
};

/* Narrows the window to [addr, addr+size) when that lies inside it; a range
 * that only partly overlaps the window means the tree is inconsistent. */
static void found_free(struct first_free *ff, uintptr_t addr, uintptr_t size)
{
	uintptr_t last = addr + size - 1;
	if (ff->base <= addr && last <= ff->bound) {
		ff->base = addr;
		ff->bound = last;
	} else if (!(last < ff->base || addr > ff->bound)) {
		ph_throwf("range partially overlaps", "addr = %#lx, size = %lu, base = %#lx, bound = %#lx",
			  (unsigned long)addr, (unsigned long)size, (unsigned long)ff->base,
			  (unsigned long)ff->bound);
	}
}

uintptr_t ph_pagealloc_find(ph_pagealloc *pa, uintptr_t npages, uintptr_t *search_addr)
{
	const ph_geom *g = pa->g;
	size_t i = 0; /* first entry of the block searched at the current level */
	struct first_free ff = {0, ((uintptr_t)1 << g->addr_bits) - 1};
	ph_sum last_sum = 0;
	long last_sum_idx = -1;

	for (int l = 0; l < PH_SUMMARY_LEVELS; l++) {
		size_t per_block = (size_t)1 << pa->level_bits[l];
		unsigned log_max_pages = pa->level_log_pages[l];
		i <<= pa->level_bits[l];
		const ph_sum *entries = &pa->summary[l][i];

		/* Entries before searchAddr hold no free page: skip them when
		 * this block is the one searchAddr falls into. */
		size_t j0 = 0;
		size_t search_idx = pa->search_addr >> pa->level_shift[l];
		if ((search_idx & ~(per_block - 1)) == i)
			j0 = search_idx & (per_block - 1);

		/* base/size: the run of free pages being built across entries,
		 * base in pages relative to entry i. */
		uintptr_t base = 0, size = 0;
		bool descend = false;
		for (size_t j = j0; j < per_block; j++) {
			ph_sum sum = entries[j];
			if (sum == 0) {
				size = 0;
				continue;
			}
			found_free(&ff, (uintptr_t)(i + j) << pa->level_shift[l],
				   ((uintptr_t)1 << log_max_pages) << g->page_shift);
			uintptr_t s = ph_sum_start(sum);
			if (size + s >= npages) {
				if (size == 0)
					base = (uintptr_t)j << log_max_pages;
				size += s;
				break;
			}
			if (ph_sum_max(sum) >= npages) {
				/* The run is inside this entry: go one level down. */
				i += j;
				last_sum_idx = (long)i;
				last_sum = sum;
				descend = true;
				break;
			}
			if (size == 0 || s < ((uintptr_t)1 << log_max_pages)) {
				/* Start a new run at this entry's free tail. */
				size = ph_sum_end(sum);
				base = ((uintptr_t)(j + 1) << log_max_pages) - size;
				continue;
			}
			size += (uintptr_t)1 << log_max_pages; /* entirely free */
		}
		if (descend)
			continue;
		if (size >= npages) {
			/* A run straddling entry boundaries at this level. */
			uintptr_t addr = ((uintptr_t)i << pa->level_shift[l]) + (base << g->page_shift);
			*search_addr = find_mapped_addr(pa, ff.base);
			return addr;
		}
		if (l == 0) {
			*search_addr = ph_pagealloc_max_search_addr(pa);
			return 0;
		}
		ph_throwf("bad summary data",
			  "summary[%d][%ld] = (%u, %u, %u), level = %d, npages = %lu, searchAddr = %#lx",
			  l - 1, last_sum_idx, ph_sum_start(last_sum), ph_sum_max(last_sum),
			  ph_sum_end(last_sum), l, (unsigned long)npages, (unsigned long)pa->search_addr);
	}

	/* The leaf summary promised a long enough run inside chunk i. */
	uintptr_t ci = i;
	unsigned new_idx;
	unsigned j = ph_palloc_find(&ph_pagealloc_chunk(pa, ci)->alloc, (unsigned)npages, 0, &new_idx);
	if (j == PH_NOT_FOUND) {
		ph_sum sum = pa->summary[PH_SUMMARY_LEVELS - 1][i];
		ph_throwf("bad summary data", "summary[%d][%lu] = (%u, %u, %u), npages = %lu",
			  PH_SUMMARY_LEVELS - 1, (unsigned long)i, ph_sum_start(sum), ph_sum_max(sum),
			  ph_sum_end(sum), (unsigned long)npages);
	}
	uintptr_t addr = ph_chunk_base(g, ci) + ((uintptr_t)j << g->page_shift);
	uintptr_t first = ph_chunk_base(g, ci) + ((uintptr_t)new_idx << g->page_shift);
	found_free(&ff, first, ph_chunk_base(g, ci + 1) - first);
	*search_addr = find_mapped_addr(pa, ff.base);
	return addr;
}

uintptr_t ph_pagealloc_alloc(ph_pagealloc *pa, uintptr_t npages, uintptr_t *scav)
{
	const ph_geom *g = pa->g;
	uintptr_t addr = 0, search_addr = 0;
	*scav = 0;

	if (ph_chunk_index(g, pa->search_addr) >= pa->end)
		return 0; /* searchAddr is past every chunk: no free memory */

	/* Fast path: the run may fit in searchAddr's own chunk. */
	unsigned pi = ph_chunk_page_index(g, pa->search_addr);
	bool found = false;
	if (PH_CHUNK_PAGES - pi >= npages) {
		uintptr_t ci = ph_chunk_index(g, pa->search_addr);
		unsigned max = ph_sum_max(pa->summary[PH_SUMMARY_LEVELS - 1][ci]);
		if (max >= npages) {
			unsigned new_idx;
			unsigned j = ph_palloc_find(&ph_pagealloc_chunk(pa, ci)->alloc, (unsigned)npages, pi, &new_idx);
			if (j == PH_NOT_FOUND)
				ph_throwf("bad summary data", "max = %u, npages = %lu, searchIdx = %u, searchAddr = %#lx",
					  max, (unsigned long)npages, pi, (unsigned long)pa->search_addr);
			addr = ph_chunk_base(g, ci) + ((uintptr_t)j << g->page_shift);
			search_addr = ph_chunk_base(g, ci) + ((uintptr_t)new_idx << g->page_shift);
			found = true;
		}
	}
	if (!found) {
		addr = ph_pagealloc_find(pa, npages, &search_addr);
		if (addr == 0) {
			/* Not even one page free: the heap is exhausted. */
			if (npages == 1)
				pa->search_addr = ph_pagealloc_max_search_addr(pa);
			return 0;
		}
	}
	*scav = ph_pagealloc_alloc_range(pa, addr, npages);
#if PH_BUG_SEARCHADDR_PAST_FREE
	/* FAULT searchaddr-past-free: assume everything below the end of this
	 * allocation is in use, skipping any free pages in between. */
	search_addr = addr + (npages << g->page_shift);
	if (search_addr > pa->search_addr)
		pa->search_addr = search_addr;
#else
	/* Everything below a higher candidate is known to be in use. */
	if (search_addr > pa->search_addr)
		pa->search_addr = search_addr;
#endif
	return addr;
}

void ph_pagealloc_free(ph_pagealloc *pa, uintptr_t base, uintptr_t npages)
{
	const ph_geom *g = pa->g;
#if PH_BUG_FREE_KEEPS_SEARCHADDR
	/* FAULT free-keeps-searchaddr: searchAddr is left where it was, so
	 * first-fit never looks at the pages freed below it. */
#else
	if (base < pa->search_addr)
		pa->search_addr = base;
#endif
	if (npages == 1) {
		ph_bits_clear_range(&ph_pagealloc_chunk(pa, ph_chunk_index(g, base))->alloc,
				    ph_chunk_page_index(g, base), 1);
	} else {
		uintptr_t limit = base + (npages << g->page_shift) - 1;
		uintptr_t sc = ph_chunk_index(g, base), ec = ph_chunk_index(g, limit);
		unsigned si = ph_chunk_page_index(g, base), ei = ph_chunk_page_index(g, limit);
		if (sc == ec) {
			ph_bits_clear_range(&ph_pagealloc_chunk(pa, sc)->alloc, si, ei + 1 - si);
		} else {
			ph_bits_clear_range(&ph_pagealloc_chunk(pa, sc)->alloc, si, PH_CHUNK_PAGES - si);
			for (uintptr_t c = sc + 1; c < ec; c++)
				ph_bits_clear_all(&ph_pagealloc_chunk(pa, c)->alloc);
			ph_bits_clear_range(&ph_pagealloc_chunk(pa, ec)->alloc, 0, ei + 1);
		}
	}
	ph_pagealloc_update(pa, base, npages, true, false);
}
