/*
 * worker.c - one worker thread: random operations on its own P, judged by
 * the online oracles that are cheap enough to run on every operation.
 *
 *   Z1  memory the allocator hands out as not needing zeroing, or zeroed on
 *       request, is all zero: checked in real memory before the worker
 *       writes its pattern.
 *   O1  no page is handed out while another allocation uses it (the page
 *       shadow, fz_shadow_hand_out); an allocation's contents change only
 *       when its owner writes (its pattern is intact at every write and
 *       free).
 * The hooks (hooks.c) add O3 and Z3's bound in PH_HOOKS=1 builds.
 *
 * Each worker owns its P, its live allocations and its PRNG stream
 * (seed, thread).  Allocations are freed by the worker that made them; the
 * interleaving across workers is what the run explores.  A worker keeps
 * its live set under a page budget (so the heap never fills with one
 * thread's data) and gives half of it back when the heap runs out.
 *
 * Every operation is traced in the worker's lane (start and outcome), so a
 * failure's swimlane shows what each thread was doing even in hook-free
 * builds, where the allocator's own notes do not exist.
 */
#include <string.h>

#include "fz_sanitizer.h"
#include "rng.h"
#include "stress.h"

/* Single-writer counters: a relaxed store of the owner's own value plus n. */
#define BUMP(w, field, n) __atomic_store_n(&(w)->c.field, (w)->c.field + (n), __ATOMIC_RELAXED)
#define DROP(w, field, n) __atomic_store_n(&(w)->c.field, (w)->c.field - (n), __ATOMIC_RELAXED)

/* Allocation numbers: unique per worker without a shared counter (a
 * shared one would add contention that changes the interleavings), and
 * kept below 2^32 - 16 because the shadow stores number + 2 in 32 bits. */
static uint32_t next_alloc_id(struct st_run *r, struct st_worker *w)
{
	uint64_t k = w->allocs_made++ * r->nthreads + (uint64_t)w->tid;
	return (uint32_t)(1 + k % 0xFFFFFFF0u);
}

static uint32_t trace_op(struct st_run *r, struct st_worker *w, struct fz_event ev)
{
	ev.kind = FZ_EV_OP;
	w->op_seq = st_trace(r, w->tid, &ev);
	return w->op_seq;
}

static uint32_t trace_result(struct st_run *r, struct st_worker *w, struct fz_event ev)
{
	ev.kind = FZ_EV_RESULT;
	return st_trace(r, w->tid, &ev);
}

static size_t bytes_of(const struct st_run *r, uintptr_t npages) { return (size_t)npages << r->g->page_shift; }

static void check_contents(struct st_run *r, struct st_worker *w, const struct fz_live *l)
{
	struct fz_verdict v;
	if (!fz_check_pattern(r->g, l->base, ph_heap_ptr(r->heap, l->base), bytes_of(r, l->npages), l->id, l->tag,
			      &v))
		st_worker_fail(r, w, &v, NULL);
}

static void free_live(struct st_run *r, struct st_worker *w, unsigned idx)
{
	struct fz_live gone = w->live[idx];
	trace_op(r, w, (struct fz_event){.sub = FZ_OP_FREE, .id = gone.id, .base = gone.base, .npages = gone.npages});
	check_contents(r, w, &gone);
	/* Marked free in the shadow before the allocator can hand the pages
	 * to anyone else, so a correct re-allocation never looks like O1. */
	fz_shadow_release(&r->shadow, gone.base, gone.npages);
	w->live[idx] = w->live[--w->nlive];
	ph_free_span(r->heap, gone.base, gone.npages);
	BUMP(w, frees, 1);
	DROP(w, live_pages, gone.npages);
}

void st_worker_relieve(struct st_run *r, struct st_worker *w)
{
	unsigned keep = w->nlive / 2;
	while (w->nlive > keep)
		free_live(r, w, w->nlive - 1);
}

static void op_alloc(struct st_run *r, struct st_worker *w, uintptr_t n, bool zero)
{
	const ph_geom *g = r->g;
	struct fz_verdict v;
	uint32_t id = next_alloc_id(r, w);
	trace_op(r, w, (struct fz_event){.sub = FZ_OP_ALLOC, .npages = n, .flags = zero ? FZ_RES_ZERO : 0});

	ph_span s = ph_alloc_span(r->heap, &w->p, n, zero);
	if (s.base == 0) {
		trace_result(r, w, (struct fz_event){.sub = FZ_OP_ALLOC, .flags = FZ_RES_OOM});
		BUMP(w, ooms, 1);
		st_worker_relieve(r, w);
		return;
	}
	trace_result(r, w, (struct fz_event){.sub = FZ_OP_ALLOC, .id = id, .base = s.base, .npages = n,
					     .flags = s.needzero ? FZ_RES_NEEDZERO : 0});
	/* Spurious zeroing: pages decided "may be dirty" that were never
	 * handed out.  Counted before the hand-out marks them used; the pages
	 * are ours, so no other thread changes their shadow meanwhile. */
	uintptr_t never = s.needzero ? fz_shadow_count_never(&r->shadow, s.base, n) : 0;
	if (!fz_shadow_hand_out(&r->shadow, s.base, n, id, g, &v))
		st_worker_fail(r, w, &v, NULL);
	void *p = ph_heap_ptr(r->heap, s.base);
	size_t len = bytes_of(r, n);
	if (!s.needzero || zero) {
		if (!fz_check_zero_then_fill(g, s.base, p, len, id, zero, &v))
			st_worker_fail(r, w, &v, NULL);
	} else {
		fz_fill_pattern(g, p, len, id, 0);
	}
	w->live[w->nlive++] = (struct fz_live){s.base, n, id, 0};
	BUMP(w, allocs, 1);
	BUMP(w, pages_allocated, n);
	BUMP(w, live_pages, n);
	if (s.needzero) {
		BUMP(w, pages_needzero, n);
		BUMP(w, pages_spurious, never);
	}
}

/* Allocation sizes: small ones uniform over the cache path; large ones
 * mostly modest (16..64 pages), 1 in 8 up to large_max so that ranges
 * cross arena boundaries without eating the page budget (many ranges
 * per heap generation mean many zeroedBase raises). */
static uintptr_t pick_size(struct st_run *r, struct st_worker *w, enum st_op k)
{
	if (k == ST_OP_SMALL)
		return 1 + st_rng_below(w->rng, PH_SMALL_PAGES - 1);
	uintptr_t hi = r->large_max;
	if (st_rng_below(w->rng, 8) != 0 && hi > 64)
		hi = 64;
	return PH_SMALL_PAGES + st_rng_below(w->rng, hi - PH_SMALL_PAGES + 1);
}

static void op_alloc_kind(struct st_run *r, struct st_worker *w, enum st_op k)
{
	uintptr_t n = pick_size(r, w, k);
	bool zero = st_rng_below(w->rng, 2) == 0;
	/* Over budget: give something back instead. */
	if (w->c.live_pages + n > r->thread_budget && w->nlive > 0) {
		free_live(r, w, (unsigned)st_rng_below(w->rng, w->nlive));
		return;
	}
	op_alloc(r, w, n, zero);
}

static void op_free(struct st_run *r, struct st_worker *w)
{
	if (w->nlive == 0) {
		trace_op(r, w, (struct fz_event){.sub = FZ_OP_FREE, .flags = FZ_RES_NONE});
		BUMP(w, idle, 1);
		return;
	}
	free_live(r, w, (unsigned)st_rng_below(w->rng, w->nlive));
}

static void op_write(struct st_run *r, struct st_worker *w)
{
	if (w->nlive == 0) {
		trace_op(r, w, (struct fz_event){.sub = FZ_OP_WRITE, .flags = FZ_RES_NONE});
		BUMP(w, idle, 1);
		return;
	}
	struct fz_live *l = &w->live[st_rng_below(w->rng, w->nlive)];
	trace_op(r, w, (struct fz_event){.sub = FZ_OP_WRITE, .id = l->id, .base = l->base, .npages = l->npages});
	struct fz_verdict v;
	if (!fz_check_pattern_then_fill(r->g, l->base, ph_heap_ptr(r->heap, l->base), bytes_of(r, l->npages), l->id,
					l->tag, l->tag + 1, &v))
		st_worker_fail(r, w, &v, NULL);
	l->tag++;
	BUMP(w, writes, 1);
}

static void op_destroy(struct st_run *r, struct st_worker *w)
{
	trace_op(r, w, (struct fz_event){.sub = FZ_OP_DESTROY_P});
	ph_p_destroy(r->heap, &w->p);
	BUMP(w, destroys, 1);
}

/*
 * Fault injection: a zeroing decision for pages this worker does not own
 * (Go would never do this).  It races with real decisions in the same
 * arena, which is how the overlap detector gets exercised.  The range lies
 * in arenas that exist: the first mapped slot at or after a random one,
 * cut at the first missing arena.
 */
static void op_claim(struct st_run *r, struct st_worker *w)
{
	const ph_geom *g = r->g;
	ph_heap *h = r->heap;
	uintptr_t first = ph_heap_first_arena(h);
	unsigned slots = ph_heap_arena_slots(h);
	unsigned sel = (unsigned)st_rng_below(w->rng, slots);
	long slot = -1;
	for (unsigned k = 0; k < slots && slot < 0; k++)
		if (ph_heap_arena(h, first + (sel + k) % slots) != NULL)
			slot = (long)((sel + k) % slots);
	uintptr_t ap = ph_arena_pages(g);
	uintptr_t page = st_rng_below(w->rng, ap);
	uintptr_t n = 1 + st_rng_below(w->rng, FZ_MAX_CLAIM < 2 * ap ? FZ_MAX_CLAIM : 2 * ap);
	if (slot < 0) {
		trace_op(r, w, (struct fz_event){.sub = FZ_OP_CLAIM, .flags = FZ_RES_NONE});
		BUMP(w, idle, 1);
		return;
	}
	uintptr_t base = g->heap_vbase + (uintptr_t)slot * ph_arena_bytes(g) + (page << g->page_shift);
	uintptr_t room = ap - page;
	uintptr_t ai = ph_heap_arena_index(h, base) + 1;
	while (room < n && ai < first + slots && ph_heap_arena(h, ai) != NULL) {
		room += ap;
		ai++;
	}
	if (n > room)
		n = room;
	/* Published for the throw handler (see claim_explains in hooks.c):
	 * "in flight" first, the range with release, the count last with
	 * release, so a reader that sees this entry counted sees its range and
	 * sees it in flight or finished. */
	struct st_claim_rec *rec = &w->claim_hist[w->nclaims % ST_CLAIM_HISTORY];
	__atomic_store_n(&rec->end_seq, UINT32_MAX, __ATOMIC_RELAXED);
	__atomic_store_n(&rec->npages, n, __ATOMIC_RELAXED);
	__atomic_store_n(&rec->base, base, __ATOMIC_RELEASE);
	__atomic_store_n(&w->nclaims, w->nclaims + 1, __ATOMIC_RELEASE);
	w->in_claim = true;
	trace_op(r, w, (struct fz_event){.sub = FZ_OP_CLAIM, .base = base, .npages = n});
	bool needzero = ph_alloc_needs_zero(h, base, n);
	w->in_claim = false;
	uint32_t end = trace_result(r, w, (struct fz_event){.sub = FZ_OP_CLAIM, .flags = needzero ? FZ_RES_NEEDZERO : 0});
	__atomic_store_n(&rec->end_seq, end == UINT32_MAX ? end - 1 : end, __ATOMIC_RELAXED);
	BUMP(w, claims, 1);
}

static enum st_op pick_op(const struct st_run *r, struct st_worker *w)
{
	const unsigned *mix = r->o->mix;
	uint64_t total = 0;
	for (int k = 0; k < ST_OP_KINDS; k++)
		total += mix[k];
	uint64_t x = st_rng_below(w->rng, total);
	for (int k = 0; k < ST_OP_KINDS; k++) {
		if (x < mix[k])
			return (enum st_op)k;
		x -= mix[k];
	}
	return ST_OP_FREE;
}

static void run_loop(struct st_run *r, struct st_worker *w)
{
	for (;;) {
		if (__atomic_load_n(&r->state, __ATOMIC_RELAXED) != ST_RUNNING)
			return;
		if (w->quota != 0 && w->c.ops >= w->quota)
			return;
		if (__atomic_load_n(&r->pause_req, __ATOMIC_RELAXED))
			st_checkpoint_poll(r, w);
		switch (pick_op(r, w)) {
		case ST_OP_SMALL: op_alloc_kind(r, w, ST_OP_SMALL); break;
		case ST_OP_LARGE: op_alloc_kind(r, w, ST_OP_LARGE); break;
		case ST_OP_FREE: op_free(r, w); break;
		case ST_OP_WRITE: op_write(r, w); break;
		case ST_OP_DESTROY: op_destroy(r, w); break;
		case ST_OP_CLAIM: op_claim(r, w); break;
		default: break;
		}
		BUMP(w, ops, 1);
	}
}

void *st_worker_main(void *arg)
{
	struct st_worker *w = arg;
	struct st_run *r = st_active;
	st_self = w;
	/* Start together.  Relaxed on purpose: no happens-before among the
	 * workers, so TSan judges their accesses on their own. */
	__atomic_fetch_add(&r->arrived, 1, __ATOMIC_RELAXED);
	while (__atomic_load_n(&r->arrived, __ATOMIC_RELAXED) < r->nthreads)
		st_cpu_relax();
	if (setjmp(w->unwind) == 0)
		run_loop(r, w);
	/* Here after the loop ended, an oracle failed or the allocator threw. */
	w->in_claim = false;
	st_worker_leave(r, w);
	st_self = NULL;
	return NULL;
}
