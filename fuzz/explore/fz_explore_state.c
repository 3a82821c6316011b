/*
 * fz_explore_state.c - the canonical terminal state of a run, and the hash
 * sets that count distinct ones.
 *
 * The terminal state is taken when the last thread finishes (before the
 * runner frees everything at rest), or, for a run the overlap detector
 * ended, where it ended.  It hashes, in a fixed order:
 *  - per arena slot: whether the arena exists and its zeroedBase;
 *  - the page allocator: the ranges it was grown by, searchAddr, and the
 *    alloc and scavenged bitmaps of every chunk it spans;
 *  - per thread: its P's page cache (block, free and scavenged bits), its
 *    live allocations (range and how often rewritten) in its own order, and
 *    every operation result it traced (range, fresh or needzero, out of
 *    memory, nothing to do), in program order;
 *  - whether the run ended early (and which thread threw), and where every
 *    thread stood.
 * Heap addresses are virtual (ph_geom.h), so the same state hashes the same
 * on every run and machine; allocation numbers are left out, since they
 * follow the global order in which operations began, which equivalent
 * interleavings do not share.
 */
#include "fz_explore_internal.h"

#include <stdlib.h>
#include <string.h>

#include "fz_run_internal.h"
#include "fz_sanitizer.h"

FZ_HARNESS_CODE_BEGIN

/* FNV-1a over 64-bit words. */
static uint64_t put(uint64_t h, uint64_t v)
{
	for (unsigned i = 0; i < 8; i++) {
		h ^= (v >> (8 * i)) & 0xff;
		h *= 0x100000001b3ull;
	}
	return h;
}

static uint64_t put_bits(uint64_t h, const ph_page_bits *b)
{
	for (size_t k = 0; k < sizeof b->w / sizeof b->w[0]; k++)
		h = put(h, b->w[k]);
	return h;
}

static uint64_t hash_pages(uint64_t h, ph_heap *heap)
{
	const ph_pagealloc *pa = ph_heap_pages(heap);
	h = put(h, pa->search_addr);
	h = put(h, pa->in_use.n);
	for (size_t k = 0; k < pa->in_use.n; k++) {
		h = put(h, pa->in_use.r[k].base);
		h = put(h, pa->in_use.r[k].limit);
	}
	for (uintptr_t ci = pa->start; ci < pa->end; ci++) {
		const ph_palloc_data *c = ph_pagealloc_chunk_or_null(pa, ci);
		h = put(h, c != NULL);
		if (c != NULL) {
			h = put_bits(h, &c->alloc);
			h = put_bits(h, &c->scav);
		}
	}
	return h;
}

static uint64_t hash_thread(uint64_t h, const struct fz_runner *r, unsigned t)
{
	const struct fz_tctx *tc = &r->t[t];
	h = put(h, tc->p.cache.base);
	h = put(h, tc->p.cache.cache);
	h = put(h, tc->p.cache.scav);
	h = put(h, tc->nlive);
	for (unsigned k = 0; k < tc->nlive; k++) {
		h = put(h, tc->live[k].base);
		h = put(h, tc->live[k].npages);
		h = put(h, tc->live[k].tag);
	}
	const struct fz_trace_buf *b = &r->trace->buf[t];
	h = put(h, b->count);
	for (uint32_t k = 0; k < b->count; k++) {
		const struct fz_event *ev = fz_trace_at(b, k);
		if (ev == NULL || (ev->kind != FZ_EV_RESULT && ev->kind != FZ_EV_INFO))
			continue;
		h = put(h, (uint64_t)ev->kind << 16 | (uint64_t)ev->sub << 8 | ev->flags);
		if (ev->kind == FZ_EV_RESULT) {
			h = put(h, ev->base);
			h = put(h, ev->npages);
		} else {
			for (size_t c = 0; c < sizeof ev->text && ev->text[c]; c++)
				h = put(h, (unsigned char)ev->text[c]);
		}
	}
	h = put(h, r->sched.state[t]);
	h = put(h, r->sched.at_kind[t]);
	h = put(h, r->sched.at_obj[t]);
	return h;
}

uint64_t fz_explore_state_hash(const struct fz_explorer *x)
{
	const struct fz_runner *r = x->r;
	ph_heap *heap = fz_runner_heap(x->r);
	uint64_t h = 0xcbf29ce484222325ull;
	for (unsigned s = 0; s < x->nslots; s++) {
		ph_arena *a = ph_heap_arena(heap, x->first_arena + s);
		h = put(h, a != NULL);
		if (a != NULL)
			h = put(h, ph_heap_zeroed_base(heap, x->first_arena + s));
	}
	h = hash_pages(h, heap);
	for (unsigned t = 0; t < x->prog.nthreads; t++)
		h = hash_thread(h, r, t);
	h = put(h, r->out.detector_fired);
	return h;
}

/* ---- hash sets ---------------------------------------------------------- */

static bool grow_set(struct fz_hashset *hs)
{
	size_t cap = hs->cap ? hs->cap * 2 : 1024;
	uint64_t *slot = calloc(cap, sizeof *slot);
	if (slot == NULL)
		return false;
	for (size_t i = 0; i < hs->cap; i++) {
		uint64_t v = hs->slot[i];
		if (v == 0)
			continue;
		size_t k = (size_t)(v * 0x9E3779B97F4A7C15ull) & (cap - 1);
		while (slot[k] != 0)
			k = (k + 1) & (cap - 1);
		slot[k] = v;
	}
	free(hs->slot);
	hs->slot = slot;
	hs->cap = cap;
	return true;
}

bool fz_hashset_add(struct fz_hashset *hs, uint64_t h, bool *oom)
{
	if (h == 0) {
		bool added = !hs->has_zero;
		hs->has_zero = true;
		return added;
	}
	if ((hs->n + 1) * 2 > hs->cap && !grow_set(hs)) {
		*oom = true;
		return false;
	}
	size_t k = (size_t)(h * 0x9E3779B97F4A7C15ull) & (hs->cap - 1);
	while (hs->slot[k] != 0) {
		if (hs->slot[k] == h)
			return false;
		k = (k + 1) & (hs->cap - 1);
	}
	hs->slot[k] = h;
	hs->n++;
	return true;
}

bool fz_hashset_has(const struct fz_hashset *hs, uint64_t h)
{
	if (h == 0)
		return hs->has_zero;
	if (hs->cap == 0)
		return false;
	for (size_t k = (size_t)(h * 0x9E3779B97F4A7C15ull) & (hs->cap - 1); hs->slot[k] != 0; k = (k + 1) & (hs->cap - 1))
		if (hs->slot[k] == h)
			return true;
	return false;
}

void fz_hashset_clear(struct fz_hashset *hs)
{
	if (hs->slot != NULL)
		memset(hs->slot, 0, hs->cap * sizeof *hs->slot);
	hs->n = 0;
	hs->has_zero = false;
}

void fz_hashset_free(struct fz_hashset *hs)
{
	free(hs->slot);
	*hs = (struct fz_hashset){0};
}

bool fz_hashlist_push(struct fz_hashlist *l, uint64_t h)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 256;
		uint64_t *v = realloc(l->v, cap * sizeof *v);
		if (v == NULL)
			return false;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = h;
	return true;
}

FZ_HARNESS_CODE_END
