/*
 * ph_pallocbits.c - chunk bitmaps, summaries and the in-chunk first-fit
 * search.  The search and summarise algorithms are Go's (go1.14
 * mpallocbits.go): word-at-a-time scans using trailing/leading zero counts,
 * and a run-shrinking trick to find interior runs inside one word.
 */
#include "ph_pallocbits.h"

#include <assert.h>

#include "ph_bugs.h"

#define WORDS (PH_CHUNK_PAGES / 64)

static inline unsigned tz64(uint64_t x) { return x == 0 ? 64 : (unsigned)__builtin_ctzll(x); }
static inline unsigned lz64(uint64_t x) { return x == 0 ? 64 : (unsigned)__builtin_clzll(x); }
static inline unsigned ones64(uint64_t x) { return (unsigned)__builtin_popcountll(x); }
/* Mask of the low n bits, n in [0, 64]. */
static inline uint64_t low_mask(unsigned n) { return n >= 64 ? ~0ull : ((1ull << n) - 1); }

ph_sum ph_sum_merge(const ph_sum *sums, unsigned n, unsigned log_pages_per_sum)
{
	const unsigned full = 1u << log_pages_per_sum;
	unsigned start, max, end;
	ph_sum_unpack(sums[0], &start, &max, &end);

	for (unsigned i = 1; i < n; i++) {
		unsigned si, mi, ei;
		ph_sum_unpack(sums[i], &si, &mi, &ei);

		/* The start run keeps growing only while everything so far is free. */
		if (start == i * full)
			start += si;
		/* A run may straddle the boundary between the prefix and sums[i]. */
		unsigned straddle = end + si;
#if PH_BUG_SUMMARY_MERGE_OFF_BY_ONE
		/* FAULT summary-merge-off-by-one: a run that really straddles
		 * the boundary is counted one page too long (a fencepost). */
		if (end > 0 && si > 0)
			straddle++;
#endif
		if (straddle > max)
			max = straddle;
		if (mi > max)
			max = mi;
		/* The end run extends across sums[i] only if sums[i] is all free. */
		if (ei == full)
			end += full;
		else
			end = ei;
	}
	return ph_sum_pack(start, max, end);
}

bool ph_bits_get(const ph_page_bits *b, unsigned i)
{
	return (b->w[i / 64] >> (i % 64)) & 1;
}

void ph_bits_set_range(ph_page_bits *b, unsigned i, unsigned n)
{
	if (n == 0)
		return;
	assert(i + n <= PH_CHUNK_PAGES);
	unsigned j = i + n - 1; /* last bit, inclusive */
	if (i / 64 == j / 64) {
		b->w[i / 64] |= low_mask(n) << (i % 64);
		return;
	}
	b->w[i / 64] |= ~0ull << (i % 64);
	for (unsigned k = i / 64 + 1; k < j / 64; k++)
		b->w[k] = ~0ull;
	b->w[j / 64] |= low_mask(j % 64 + 1);
}

void ph_bits_clear_range(ph_page_bits *b, unsigned i, unsigned n)
{
	if (n == 0)
		return;
	assert(i + n <= PH_CHUNK_PAGES);
	unsigned j = i + n - 1;
	if (i / 64 == j / 64) {
		b->w[i / 64] &= ~(low_mask(n) << (i % 64));
		return;
	}
	b->w[i / 64] &= ~(~0ull << (i % 64));
	for (unsigned k = i / 64 + 1; k < j / 64; k++)
		b->w[k] = 0;
	b->w[j / 64] &= ~low_mask(j % 64 + 1);
}

void ph_bits_set_all(ph_page_bits *b)
{
	for (unsigned k = 0; k < WORDS; k++)
		b->w[k] = ~0ull;
}

void ph_bits_clear_all(ph_page_bits *b)
{
	for (unsigned k = 0; k < WORDS; k++)
		b->w[k] = 0;
}

unsigned ph_bits_popcnt_range(const ph_page_bits *b, unsigned i, unsigned n)
{
	if (n == 0)
		return 0;
	assert(i + n <= PH_CHUNK_PAGES);
	unsigned j = i + n - 1;
	if (i / 64 == j / 64)
		return ones64((b->w[i / 64] >> (i % 64)) & low_mask(n));
	unsigned s = ones64(b->w[i / 64] >> (i % 64));
	for (unsigned k = i / 64 + 1; k < j / 64; k++)
		s += ones64(b->w[k]);
	return s + ones64(b->w[j / 64] & low_mask(j % 64 + 1));
}

/*
 * Longest run of zero bits strictly inside x (not touching bit 0 or bit 63),
 * if it is longer than max; otherwise max.  x must not be 0.  Runs of zeros
 * are shrunk from the top by OR-ing x with shifted copies of itself; once
 * every run of length <= max is gone, whatever zeros remain mark a longer
 * run, whose length is measured directly and becomes the new bar.
 */
static unsigned longest_inner_zero_run(uint64_t x, unsigned max)
{
	x >>= tz64(x) & 63; /* the trailing zeros belong to another run */
	if ((x & (x + 1)) == 0)
		return max; /* only ones left below the top zeros */

	unsigned p = max; /* zeros still to shave off every run */
	unsigned k = 1;   /* every run of ones in x is at least k long */
	for (;;) {
		while (p > 0) {
			if (p <= k) {
				x |= x >> (p & 63);
				if ((x & (x + 1)) == 0)
					return max;
				break;
			}
			x |= x >> (k & 63);
			if ((x & (x + 1)) == 0)
				return max;
			p -= k;
			k *= 2; /* the runs of ones just doubled */
		}
		/* The lowest surviving zero run beats max by its length. */
		unsigned ones = tz64(~x);
		x >>= ones & 63;
		unsigned zeros = tz64(x);
		x >>= zeros & 63;
		max += zeros;
		if ((x & (x + 1)) == 0)
			return max;
		p = zeros;
	}
}

ph_sum ph_palloc_summarize(const ph_page_bits *alloc)
{
	const unsigned unset = ~0u;
	unsigned start = unset, max = 0, cur = 0;

	for (unsigned k = 0; k < WORDS; k++) {
		uint64_t x = alloc->w[k];
		if (x == 0) {
			cur += 64;
			continue;
		}
		cur += tz64(x);
		if (start == unset)
			start = cur;
		if (cur > max)
			max = cur;
		cur = lz64(x);
	}
	if (start == unset)
		return ph_sum_pack(PH_CHUNK_PAGES, PH_CHUNK_PAGES, PH_CHUNK_PAGES);
	if (cur > max)
		max = cur;
	if (max < 64 - 2) {
		/* A run inside a single word could still be the longest. */
		for (unsigned k = 0; k < WORDS; k++)
			max = longest_inner_zero_run(alloc->w[k], max);
	}
	return ph_sum_pack(start, max, cur);
}

/* c >> i with Go's meaning for i >= 64 (all bits shifted out). */
static inline uint64_t shr64(uint64_t c, unsigned i) { return i >= 64 ? 0 : c >> i; }

unsigned ph_find_bit_range64(uint64_t c, unsigned n)
{
	unsigned i = 0;
	unsigned cont = tz64(~c); /* length of the run of ones at bit i */
	while (cont < n && i < 64) {
		i += cont;                   /* skip the short run of ones */
		i += tz64(shr64(c, i));      /* and the zeros after it */
		cont = tz64(~shr64(c, i));
	}
	return i;
}

static unsigned find1(const ph_page_bits *b, unsigned search_idx)
{
	for (unsigned k = search_idx / 64; k < WORDS; k++) {
		uint64_t x = b->w[k];
		if (x != ~0ull)
			return k * 64 + tz64(~x);
	}
	return PH_NOT_FOUND;
}

/* npages <= 64: a fitting run spans at most one word boundary. */
static unsigned find_small(const ph_page_bits *b, unsigned npages, unsigned search_idx,
			   unsigned *new_search_idx)
{
	unsigned end = 0; /* free pages at the top of the previous word */
	*new_search_idx = PH_NOT_FOUND;
	for (unsigned k = search_idx / 64; k < WORDS; k++) {
		uint64_t x = b->w[k];
		if (x == ~0ull) {
			end = 0;
			continue;
		}
		if (*new_search_idx == PH_NOT_FOUND)
			*new_search_idx = k * 64 + tz64(~x);
		unsigned start = tz64(x);
		if (end + start >= npages)
			return k * 64 - end;
		unsigned j = ph_find_bit_range64(~x, npages);
		if (j < 64)
			return k * 64 + j;
		end = lz64(x);
	}
	return PH_NOT_FOUND;
}

/* npages > 64: a fitting run crosses at least one word boundary. */
static unsigned find_large(const ph_page_bits *b, unsigned npages, unsigned search_idx,
			   unsigned *new_search_idx)
{
	unsigned start = PH_NOT_FOUND, size = 0;
	*new_search_idx = PH_NOT_FOUND;
	for (unsigned k = search_idx / 64; k < WORDS; k++) {
		uint64_t x = b->w[k];
		if (x == ~0ull) {
			size = 0;
			continue;
		}
		if (*new_search_idx == PH_NOT_FOUND)
			*new_search_idx = k * 64 + tz64(~x);
		if (size == 0) {
			size = lz64(x);
			start = k * 64 + 64 - size;
			continue;
		}
		unsigned s = tz64(x);
		if (s + size >= npages)
			return start;
		if (s < 64) {
			size = lz64(x);
			start = k * 64 + 64 - size;
			continue;
		}
		size += 64;
	}
	return size >= npages ? start : PH_NOT_FOUND;
}

unsigned ph_palloc_find(const ph_page_bits *alloc, unsigned npages,
			unsigned search_idx, unsigned *new_search_idx)
{
	assert(npages > 0);
	if (search_idx >= PH_CHUNK_PAGES) {
		*new_search_idx = PH_NOT_FOUND;
		return PH_NOT_FOUND;
	}
	if (npages == 1) {
		unsigned i = find1(alloc, search_idx);
		*new_search_idx = i;
		return i;
	}
	if (npages <= 64)
		return find_small(alloc, npages, search_idx, new_search_idx);
	return find_large(alloc, npages, search_idx, new_search_idx);
}

void ph_palloc_data_alloc_range(ph_palloc_data *d, unsigned i, unsigned n)
{
	ph_bits_set_range(&d->alloc, i, n);
	ph_bits_clear_range(&d->scav, i, n);
}

void ph_palloc_data_alloc_all(ph_palloc_data *d)
{
	ph_bits_set_all(&d->alloc);
	ph_bits_clear_all(&d->scav);
}
