/*
 * fz_shadow.c - the page shadow: every page's history since the last reset
 * (O1's "no page handed out while in use", Z2's "used before", HEAP's
 * owners).  See struct fz_shadow in fz_oracle.h for the layout.
 *
 * Cost: a hand-out or release is per page (each page's state changes); a
 * question about a range, the at-rest walk and the reset work on the
 * bitmaps a word of 64 pages at a time, and the reset visits only the
 * words below `touched`, so an input pays for what it used, not for the
 * size of the heap.
 *
 * Concurrency: free-running threads (and stress workers) hand out and
 * release at the same time, so then every access is a relaxed atomic: a
 * page's state changes by CAS (the overlap check), its bits by
 * fetch_or/fetch_and on the word.  Under a controlled schedule one thread
 * runs at a time and never between two pages of one hand-out, so the
 * per-page loops are plain and uninstrumented (under ThreadSanitizer a
 * relaxed atomic per page cost more than the memory oracles' passes), and
 * so are the bitmap words' and `touched`'s (FZ_SHARED_*, fz_sanitizer.h).
 * The reset and the at-rest readers run while no thread does.
 */
#include <string.h>

#include "fz_oracle.h"
#include "fz_trace.h"
#include "ph_os.h"
#include "fz_sanitizer.h"

FZ_HARNESS_CODE_BEGIN
/* Blind bookkeeping with relaxed atomics only: no frames for TSan (nothing
 * below these functions is checked while schedule threads run; init, free
 * and reset run when none does), except the written-run walk's, which
 * calls the memory oracles' passes. */
FZ_NO_TSAN_FRAME_BEGIN

bool fz_shadow_init(struct fz_shadow *s, const ph_geom *g)
{
	s->npages = (size_t)g->max_arenas * ph_arena_pages(g);
	s->nwords = (s->npages + 63) / 64;
	s->state = ph_os_alloc(s->npages * sizeof *s->state);
	s->used = ph_os_alloc(3 * s->nwords * sizeof *s->used);
	s->live = s->used != NULL ? s->used + s->nwords : NULL;
	s->written = s->used != NULL ? s->used + 2 * s->nwords : NULL;
	s->vbase = g->heap_vbase;
	s->page_shift = g->page_shift;
	s->concurrent = true;
	s->touched = 0;
	if (s->state == NULL || s->used == NULL) {
		fz_shadow_free(s);
		return false;
	}
	return true;
}

void fz_shadow_free(struct fz_shadow *s)
{
	if (s->state != NULL)
		ph_os_free(s->state, s->npages * sizeof *s->state);
	if (s->used != NULL)
		ph_os_free(s->used, 3 * s->nwords * sizeof *s->used);
	s->state = NULL;
	s->used = s->live = s->written = NULL;
}

/* The reset's loop: states of every page of a used word back to NEVER. */
FZ_UNINSTRUMENTED static void clear_used(uint32_t *state, uint64_t *used, uint64_t *live, uint64_t *written,
					 size_t npages, size_t words)
{
	for (size_t w = 0; w < words; w++) {
		if (used[w] == 0)
			continue;
		size_t first = w * 64, n = npages - first < 64 ? npages - first : 64;
		for (size_t i = 0; i < n; i++)
			state[first + i] = FZ_PAGE_NEVER;
		used[w] = 0;
		live[w] = 0;
		written[w] = 0;
	}
}

void fz_shadow_reset(struct fz_shadow *s)
{
	/* The compiler may turn the loop into a memset, which TSan's
	 * interceptor would check after all: no thread runs now. */
	FZ_UNTRACKED_BEGIN();
	clear_used(s->state, s->used, s->live, s->written, s->npages, s->touched);
	FZ_UNTRACKED_END();
	s->touched = 0;
}

static size_t index_of(const struct fz_shadow *s, uintptr_t addr)
{
	return (addr - s->vbase) >> s->page_shift;
}

static void note_touched(struct fz_shadow *s, size_t end_word)
{
	if (!s->concurrent) {
		if (s->touched < end_word)
			s->touched = end_word;
		return;
	}
	size_t t = __atomic_load_n(&s->touched, __ATOMIC_RELAXED);
	while (t < end_word && !__atomic_compare_exchange_n(&s->touched, &t, end_word, true, __ATOMIC_RELAXED,
							    __ATOMIC_RELAXED))
		;
}

/* Bits of word w covering pages [first, first + n). */
static uint64_t mask_in_word(size_t w, size_t first, size_t n)
{
	size_t lo = first > w * 64 ? first - w * 64 : 0;
	size_t hi = first + n < (w + 1) * 64 ? first + n - w * 64 : 64;
	if (hi <= lo)
		return 0;
	uint64_t upto = hi == 64 ? ~0ull : (1ull << hi) - 1;
	return upto & ~((1ull << lo) - 1);
}

/* Clips [first, first + n) to the shadow; returns the clipped count. */
static size_t clip(const struct fz_shadow *s, size_t first, uintptr_t n)
{
	if (first >= s->npages)
		return 0;
	return n < s->npages - first ? (size_t)n : s->npages - first;
}

/* Gives pages state[0..n) the value val unless one is in use already:
 * returns the index of the first page in use (the pages before it have
 * val), or n.  Atomically, for concurrent hand-outs... */
static size_t claim_atomic(uint32_t *state, size_t n, uint32_t val)
{
	for (size_t i = 0; i < n; i++) {
		uint32_t old = __atomic_load_n(&state[i], __ATOMIC_RELAXED);
		do {
			if (old >= 2)
				return i;
		} while (!__atomic_compare_exchange_n(&state[i], &old, val, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED));
	}
	return n;
}

/* ...and in a plain loop, when one thread runs at a time. */
FZ_UNINSTRUMENTED static size_t claim_plain(uint32_t *state, size_t n, uint32_t val)
{
	for (size_t i = 0; i < n; i++) {
		if (state[i] >= 2)
			return i;
		state[i] = val;
	}
	return n;
}

bool fz_shadow_hand_out(struct fz_shadow *s, uintptr_t base, uintptr_t npages, uint32_t id,
			const ph_geom *g, struct fz_verdict *v)
{
	size_t first = index_of(s, base);
	char at[32];
	if (first >= s->npages || npages > s->npages - first)
		return fz_fail_verdict(v, "O1", "allocation #%u at %s+%lu lies outside the heap", id,
				       fz_where(g, base, at, sizeof at), (unsigned long)npages);
	/* Used first: even when the overlap check fails half-way, every
	 * state changed below is covered by a used bit, which the reset needs. */
	note_touched(s, (first + npages + 63) / 64);
	for (size_t w = first / 64; w * 64 < first + npages; w++)
		FZ_SHARED_OR(s->concurrent, &s->used[w], mask_in_word(w, first, npages));
	size_t i = s->concurrent ? claim_atomic(s->state + first, npages, id + 2)
				 : claim_plain(s->state + first, npages, id + 2);
	if (i < npages)
		return fz_fail_verdict(v, "O1", "page %s handed out to allocation #%u while allocation #%u still uses it",
				       fz_where(g, base + (i << g->page_shift), at, sizeof at), id,
				       __atomic_load_n(&s->state[first + i], __ATOMIC_RELAXED) - 2);
	for (size_t w = first / 64; w * 64 < first + npages; w++)
		FZ_SHARED_OR(s->concurrent, &s->live[w], mask_in_word(w, first, npages));
	return true;
}

FZ_UNINSTRUMENTED static void store_plain(uint32_t *state, size_t n, uint32_t val)
{
	for (size_t i = 0; i < n; i++)
		state[i] = val;
}

void fz_shadow_release(struct fz_shadow *s, uintptr_t base, uintptr_t npages)
{
	size_t first = index_of(s, base);
	size_t n = clip(s, first, npages);
	if (s->concurrent) {
		for (size_t i = 0; i < n; i++)
			__atomic_store_n(&s->state[first + i], FZ_PAGE_FREED, __ATOMIC_RELAXED);
	} else {
		store_plain(s->state + first, n, FZ_PAGE_FREED);
	}
	for (size_t w = first / 64; w * 64 < first + n; w++)
		FZ_SHARED_AND(s->concurrent, &s->live[w], ~mask_in_word(w, first, n));
}

bool fz_shadow_any_used(const struct fz_shadow *s, uintptr_t base, uintptr_t npages)
{
	size_t first = index_of(s, base);
	size_t n = clip(s, first, npages);
	for (size_t w = first / 64; w * 64 < first + n; w++)
		if (FZ_SHARED_LOAD(s->concurrent, &s->used[w]) & mask_in_word(w, first, n))
			return true;
	return false;
}

uintptr_t fz_shadow_count_never(const struct fz_shadow *s, uintptr_t base, uintptr_t npages)
{
	size_t first = index_of(s, base);
	size_t n = clip(s, first, npages);
	uintptr_t used = 0;
	for (size_t w = first / 64; w * 64 < first + n; w++)
		used += (uintptr_t)__builtin_popcountll(FZ_SHARED_LOAD(s->concurrent, &s->used[w]) &
							mask_in_word(w, first, n));
	return n - used;
}

FZ_NO_TSAN_FRAME_END
void fz_shadow_for_each_written_run(const struct fz_shadow *s, uintptr_t base, uintptr_t npages,
				    void (*fn)(uintptr_t base, uintptr_t npages, bool written, void *arg), void *arg)
{
	size_t first = index_of(s, base);
	size_t n = clip(s, first, npages);
	size_t run = first, end = first + n;
	bool run_written = false;
	for (size_t w = first / 64; w * 64 < end; w++) {
		uint64_t bits = FZ_SHARED_LOAD(s->concurrent, &s->written[w]);
		size_t lo = w * 64 > first ? w * 64 : first, hi = (w + 1) * 64 < end ? (w + 1) * 64 : end;
		for (size_t i = lo; i < hi;) {
			bool wr = (bits >> (i % 64)) & 1;
			/* The rest of the word with the same bit: count it at once. */
			uint64_t same = (wr ? bits : ~bits) >> (i % 64);
			size_t len = ~same == 0 ? 64 - i % 64 : (size_t)__builtin_ctzll(~same);
			if (len > hi - i)
				len = hi - i;
			if (i > run && wr != run_written) {
				fn(s->vbase + ((uintptr_t)run << s->page_shift), i - run, run_written, arg);
				run = i;
			}
			run_written = wr;
			i += len;
		}
	}
	if (end > run)
		fn(s->vbase + ((uintptr_t)run << s->page_shift), end - run, run_written, arg);
}

FZ_NO_TSAN_FRAME_BEGIN
void fz_shadow_mark_written(struct fz_shadow *s, uintptr_t base, uintptr_t npages)
{
	size_t first = index_of(s, base);
	size_t n = clip(s, first, npages);
	for (size_t w = first / 64; w * 64 < first + n; w++)
		FZ_SHARED_OR(s->concurrent, &s->written[w], mask_in_word(w, first, n));
}

long fz_shadow_owner(const struct fz_shadow *s, uintptr_t addr)
{
	size_t i = index_of(s, addr);
	if (i >= s->npages)
		return -1;
	uint32_t st = __atomic_load_n(&s->state[i], __ATOMIC_RELAXED);
	return st >= 2 ? (long)(st - 2) : -1;
}

uint64_t fz_shadow_live_word(const struct fz_shadow *s, uintptr_t addr)
{
	size_t i = index_of(s, addr);
	if (i >= s->npages)
		return 0;
	return __atomic_load_n(&s->live[i / 64], __ATOMIC_RELAXED);
}

FZ_NO_TSAN_FRAME_END
FZ_HARNESS_CODE_END
