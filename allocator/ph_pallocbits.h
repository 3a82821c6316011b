/*
 * ph_pallocbits.h - one palloc chunk's bitmaps and the packed summaries that
 * describe them (Go: mpallocbits.go and the pallocSum half of mpagealloc.go).
 *
 * A chunk is PH_CHUNK_PAGES pages.  Its allocation bitmap has 1 for an
 * in-use page and 0 for a free one; its scavenged bitmap has 1 for a page
 * whose memory was returned to the OS.  Invariant: scavenged implies free,
 * so every operation that allocates a page also clears its scavenged bit.
 *
 * A summary packs three counts of free pages for a region: the run at its
 * start, the longest run anywhere, and the run at its end.  Each field has
 * PH_LOG_MAX_PACKED bits; the single value "all three equal 2^21" (a fully
 * free root-level region) is encoded as bit 63 alone.  A summary of 0 means
 * the region has no free page at all, which searches rely on.
 *
 * These types carry no locking of their own: the page allocator that owns a
 * chunk protects it with the heap lock.
 */
#ifndef PH_PALLOCBITS_H
#define PH_PALLOCBITS_H

#include <stdbool.h>
#include <stdint.h>

#include "ph_geom.h"

#define PH_NOT_FOUND (~0u) /* find* result when no run is long enough */

typedef struct ph_page_bits {
	uint64_t w[PH_CHUNK_PAGES / 64]; /* bit i of w[k] is page 64k+i */
} ph_page_bits;

typedef struct ph_palloc_data {
	ph_page_bits alloc; /* 1 = in use */
	ph_page_bits scav;  /* 1 = scavenged (and therefore free) */
} ph_palloc_data;

typedef uint64_t ph_sum;

#define PH_MAX_PACKED (1u << PH_LOG_MAX_PACKED)

/* Packing and unpacking are inline: the summary walk in every allocation
 * and free merges dozens of summaries, and a call per field dominated it. */
static inline ph_sum ph_sum_pack(unsigned start, unsigned max, unsigned end)
{
	if (max == PH_MAX_PACKED)
		return (ph_sum)1 << 63;
	return ((ph_sum)start & (PH_MAX_PACKED - 1)) |
	       (((ph_sum)max & (PH_MAX_PACKED - 1)) << PH_LOG_MAX_PACKED) |
	       (((ph_sum)end & (PH_MAX_PACKED - 1)) << (2 * PH_LOG_MAX_PACKED));
}

static inline void ph_sum_unpack(ph_sum s, unsigned *start, unsigned *max, unsigned *end)
{
	if (s >> 63) {
		*start = *max = *end = PH_MAX_PACKED;
		return;
	}
	*start = (unsigned)(s & (PH_MAX_PACKED - 1));
	*max = (unsigned)((s >> PH_LOG_MAX_PACKED) & (PH_MAX_PACKED - 1));
	*end = (unsigned)((s >> (2 * PH_LOG_MAX_PACKED)) & (PH_MAX_PACKED - 1));
}

static inline unsigned ph_sum_start(ph_sum s)
{
	return (s >> 63) ? PH_MAX_PACKED : (unsigned)(s & (PH_MAX_PACKED - 1));
}

static inline unsigned ph_sum_max(ph_sum s)
{
	return (s >> 63) ? PH_MAX_PACKED : (unsigned)((s >> PH_LOG_MAX_PACKED) & (PH_MAX_PACKED - 1));
}

static inline unsigned ph_sum_end(ph_sum s)
{
	return (s >> 63) ? PH_MAX_PACKED : (unsigned)((s >> (2 * PH_LOG_MAX_PACKED)) & (PH_MAX_PACKED - 1));
}
/* Summary of a completely free chunk. */
#define PH_FREE_CHUNK_SUM                                                       \
	((ph_sum)PH_CHUNK_PAGES | ((ph_sum)PH_CHUNK_PAGES << PH_LOG_MAX_PACKED) | \
	 ((ph_sum)PH_CHUNK_PAGES << (2 * PH_LOG_MAX_PACKED)))

/*
 * Merges n consecutive summaries, each describing 2^log_pages_per_sum pages,
 * into the summary of their concatenation.
 */
ph_sum ph_sum_merge(const ph_sum *sums, unsigned n, unsigned log_pages_per_sum);

/* Plain bitmap operations on [i, i+n); n may be 0 only where noted. */
bool ph_bits_get(const ph_page_bits *b, unsigned i);
void ph_bits_set_range(ph_page_bits *b, unsigned i, unsigned n);
void ph_bits_clear_range(ph_page_bits *b, unsigned i, unsigned n);
void ph_bits_set_all(ph_page_bits *b);
void ph_bits_clear_all(ph_page_bits *b);
unsigned ph_bits_popcnt_range(const ph_page_bits *b, unsigned i, unsigned n);
/* The 64-page aligned word holding page i. */
static inline uint64_t ph_bits_block64(const ph_page_bits *b, unsigned i) { return b->w[i / 64]; }

/* Summary of an allocation bitmap. */
ph_sum ph_palloc_summarize(const ph_page_bits *alloc);

/*
 * First-fit search for npages free pages starting no lower than search_idx,
 * the lowest page known to be possibly free.  Returns the first page of the
 * run or PH_NOT_FOUND.  *new_search_idx receives the first free page seen
 * (a candidate for a higher search_idx); it is meaningless on failure.
 */
unsigned ph_palloc_find(const ph_page_bits *alloc, unsigned npages,
			unsigned search_idx, unsigned *new_search_idx);

/* Lowest i with bits [i, i+n) of c all set, or a value >= 64 if none. */
unsigned ph_find_bit_range64(uint64_t c, unsigned n);

/* Marks [i, i+n) in use and clears their scavenged bits. */
void ph_palloc_data_alloc_range(ph_palloc_data *d, unsigned i, unsigned n);
void ph_palloc_data_alloc_all(ph_palloc_data *d);

#endif
