/*
 * fz_oracle_decisions.c - Z2, Z3, O2 and O3, judged from the notes the
 * allocator emits around every zeroing decision.
 *
 * The model keeps every claim of the input (real allocations from the
 * moment their pages are claimed until they are freed; raw claims for the
 * span of their decision), each thread's decision in flight, and per arena
 * the zeroedBase implied by the CASes and stores seen plus the highest end
 * any decision reached.  With a controlled schedule (exact) the notes form
 * one total order, so the model is exact and every oracle applies; in
 * free-running mode only the per-thread checks (O3, Z3's bounds) and the
 * highest-end bookkeeping are used.
 *
 * Times are a counter of notes ("now"), which orders events in the
 * controlled schedule.
 *
 * Z2 is judged from that order too.  The seed decides from the value it
 * loads: zeroedBase only grows, so a range may assume its pages dirty only
 * when the mark already stood above its start before it first looked.  So
 * at each decision's first load of an arena's zeroedBase the model records
 * whether the zeroedBase implied by the raises noted so far (model_zb) is
 * above the range's start there; a decision that asks for zeroing of pages
 * never handed out needs that record (or a used page) in one of its
 * arenas.  A raise that becomes visible later, for instance to the reload
 * after a failed CAS against a higher neighbour, justifies nothing: the
 * range was fresh when the decision began, and a higher range's pages are
 * not its own.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "fz_oracle.h"
#include "fz_trace.h"
#include "ph_throw.h"
#include "fz_sanitizer.h"

FZ_HARNESS_CODE_BEGIN

void fz_decisions_reset(struct fz_decisions *d, const ph_geom *g, bool exact)
{
	/* claims[] is left alone: fz_claim_add writes an entry whole before
	 * anything reads it, and nothing reads past nclaims. */
	memset(d, 0, offsetof(struct fz_decisions, claims));
	d->g = g;
	d->first_arena = g->heap_vbase >> g->arena_shift;
	d->nslots = g->max_arenas < 64 ? g->max_arenas : 64;
	d->exact = exact;
	for (unsigned t = 0; t < FZ_MAX_THREADS; t++)
		d->th[t].claim = -1;
}

/* The part of claim range [base, +npages) inside arena ai, as arena
 * offsets [*off, *lim); false if the range does not touch that arena. */
static bool segment(const ph_geom *g, uintptr_t base, uintptr_t npages, uintptr_t ai, uintptr_t *off,
		    uintptr_t *lim)
{
	uintptr_t ab = ph_arena_bytes(g);
	uintptr_t lo = base, hi = base + (npages << g->page_shift);
	uintptr_t a_lo = ai << g->arena_shift, a_hi = a_lo + ab;
	if (hi <= a_lo || lo >= a_hi)
		return false;
	*off = (lo > a_lo ? lo : a_lo) - a_lo;
	*lim = (hi < a_hi ? hi : a_hi) - a_lo;
	return true;
}

int fz_claim_add(struct fz_decisions *d, int tid, uintptr_t base, uintptr_t npages, bool raw, uint32_t id)
{
	if (d->nclaims == FZ_MAX_CLAIMS) {
		d->claims_overflow = true;
		return -1;
	}
	int i = (int)d->nclaims++;
	d->claims[i] = (struct fz_claim){
		.base = base, .npages = npages, .tid = tid, .raw = raw, .id = id,
		.born = d->now, .died = UINT64_MAX,
	};
	if (tid >= 0 && tid < FZ_MAX_THREADS)
		d->th[tid].claim = i;
	return i;
}

void fz_claim_freed(struct fz_decisions *d, uint32_t id)
{
	for (unsigned i = 0; i < d->nclaims; i++)
		if (!d->claims[i].raw && d->claims[i].id == id && d->claims[i].died == UINT64_MAX)
			d->claims[i].died = d->now;
}

/* Counters and the highest ends: plain in a controlled schedule, where one
 * thread runs at a time; atomic when free-running threads feed notes at
 * once.  Plain where it can be because ThreadSanitizer instruments atomics
 * even in harness code it otherwise leaves alone (fz_sanitizer.h). */
static void count(const struct fz_decisions *d, uint64_t *c)
{
	FZ_SHARED_BUMP(!d->exact, c);
}

static void raise_max_end(struct fz_decisions *d, unsigned slot, uintptr_t lim)
{
	if (d->exact) {
		if (d->max_end[slot] < lim)
			d->max_end[slot] = lim;
		return;
	}
	uintptr_t cur = __atomic_load_n(&d->max_end[slot], __ATOMIC_RELAXED);
	while (cur < lim && !__atomic_compare_exchange_n(&d->max_end[slot], &cur, lim, true,
							 __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
}

static void decide_begin(struct fz_decisions *d, int tid, const struct ph_note *n)
{
	struct fz_deciding *t = &d->th[tid];
	int c = d->exact ? t->claim : -1;
	t->base = n->base;
	t->npages = n->npages;
	/* Normally the decision is for the pages just claimed; a decision for
	 * other pages (taken before claiming them) is a claim of its own. */
	if (d->exact && (c < 0 || d->claims[c].base != n->base || d->claims[c].npages != n->npages ||
			 d->claims[c].decided))
		c = fz_claim_add(d, tid, n->base, n->npages, false, 0);
	t->claim = c;
	t->reload_due = t->must_throw = false;
	t->first_loaded = 0;
	t->raise_seen_first = false;
	if (c >= 0) {
		d->claims[c].deciding = d->claims[c].decided = true;
		d->claims[c].born = d->claims[c].born < d->now ? d->claims[c].born : d->now;
	}
	count(d, &d->decisions);
	const ph_geom *g = d->g;
	uintptr_t first = n->base >> g->arena_shift;
	uintptr_t last = (n->base + (n->npages << g->page_shift) - 1) >> g->arena_shift;
	for (uintptr_t ai = first; ai <= last; ai++) {
		uintptr_t off, lim;
		if (ai - d->first_arena < d->nslots && segment(g, n->base, n->npages, ai, &off, &lim))
			raise_max_end(d, (unsigned)(ai - d->first_arena), lim);
	}
}

/* Z2, at a load of zeroedBase by tid's decision in flight: on the first
 * load of that arena, was the mark (as the notes so far raised it) already
 * above the range's start there? */
static void z2_first_load(struct fz_decisions *d, struct fz_deciding *t, uintptr_t ai)
{
	uintptr_t slot = ai - d->first_arena, off, lim;
	if (!d->exact || t->claim < 0)
		return;
	if (slot >= d->nslots) {
		/* No model of that arena (a geometry with more than 64 slots):
		 * Z2 cannot judge the decision, so it does not blame it. */
		t->raise_seen_first = true;
		return;
	}
	if (t->first_loaded & ((uint64_t)1 << slot))
		return;
	t->first_loaded |= (uint64_t)1 << slot;
	if (segment(d->g, t->base, t->npages, ai, &off, &lim) && d->model_zb[slot] > off)
		t->raise_seen_first = true;
}

/* Z2: did anything allow this decision to ask for zeroing? */
static bool zeroing_justified(const struct fz_decisions *d, const struct fz_deciding *t, int c,
			      const struct fz_shadow *shadow)
{
	const struct fz_claim *me = &d->claims[c];
	return fz_shadow_any_used(shadow, me->base, me->npages) || t->raise_seen_first;
}

static bool o3_pending(struct fz_decisions *d, int tid, struct fz_verdict *v)
{
	struct fz_deciding *t = &d->th[tid];
	if (!t->must_throw)
		return true;
	char at[32];
	t->must_throw = false;
	return fz_fail_verdict(v, "O3",
			       "claim %s+%lu reloaded zeroedBase of A%lu as %lu pages, inside its own range, after a failed CAS; the overlap detector had to fire but the decision went on",
			       fz_where(d->g, t->base, at, sizeof at), (unsigned long)t->npages,
			       (unsigned long)(t->arena - d->first_arena), (unsigned long)(t->seen >> d->g->page_shift));
}

static bool check_bounds(struct fz_decisions *d, uintptr_t ai, uintptr_t v_new, uintptr_t v_old,
			 const char *how, struct fz_verdict *v)
{
	const ph_geom *g = d->g;
	unsigned slot = (unsigned)(ai - d->first_arena);
	if (v_new > ph_arena_bytes(g))
		return fz_fail_verdict(v, "Z3", "%s set zeroedBase of A%u to %lu pages, beyond the arena's %lu",
				       how, slot, (unsigned long)(v_new >> g->page_shift),
				       (unsigned long)ph_arena_pages(g));
	if (d->exact && slot < d->nslots && v_new < d->model_zb[slot])
		return fz_fail_verdict(v, "Z3", "%s moved zeroedBase of A%u down from %lu to %lu pages", how, slot,
				       (unsigned long)(d->model_zb[slot] >> g->page_shift),
				       (unsigned long)(v_new >> g->page_shift));
	(void)v_old;
	if (slot < d->nslots)
		d->model_zb[slot] = v_new;
	return true;
}

bool fz_decisions_note(struct fz_decisions *d, int tid, const struct ph_note *n,
		       const struct fz_shadow *shadow, struct fz_verdict *v)
{
	if (tid < 0 || tid >= FZ_MAX_THREADS)
		return true;
	struct fz_deciding *t = &d->th[tid];
	count(d, &d->now);
	switch (n->kind) {
	case PH_NOTE_DECIDE_BEGIN:
		decide_begin(d, tid, n);
		return true;
	case PH_NOTE_ZB_LOAD:
		if (!o3_pending(d, tid, v))
			return false;
		t->arena = n->arena;
		z2_first_load(d, t, n->arena);
		if (t->reload_due) {
			uintptr_t off, lim;
			t->reload_due = false;
			if (segment(d->g, t->base, t->npages, n->arena, &off, &lim) && n->a > off && n->a <= lim) {
				t->must_throw = true;
				t->seen = n->a;
			}
		}
		return true;
	case PH_NOTE_ZB_CAS:
		if (!o3_pending(d, tid, v))
			return false;
		t->arena = n->arena;
		if (!n->ok) {
			t->reload_due = true;
			return true;
		}
		return check_bounds(d, n->arena, n->b, n->a, "a CAS", v);
	case PH_NOTE_ZB_STORE:
		if (!o3_pending(d, tid, v))
			return false;
		t->arena = n->arena;
		return check_bounds(d, n->arena, n->b, n->a, "a store", v);
	case PH_NOTE_DECIDE_END: {
		if (!o3_pending(d, tid, v))
			return false;
		int c = t->claim;
		t->claim = -1;
		if (c < 0)
			return true;
		d->claims[c].deciding = false;
		if (d->claims[c].raw)
			d->claims[c].died = d->now;
		/* A model that ran out of claim slots cannot vouch for Z2. */
		if (n->ok && d->exact && !d->claims_overflow) {
			d->spurious_pages += fz_shadow_count_never(shadow, d->claims[c].base, d->claims[c].npages);
			if (!zeroing_justified(d, t, c, shadow)) {
				char at[32];
				return fz_fail_verdict(v, "Z2",
						       "decision for %s+%lu asked for zeroing, but none of its pages was used before and zeroedBase stood at or below its start when the decision first loaded it",
						       fz_where(d->g, d->claims[c].base, at, sizeof at),
						       (unsigned long)d->claims[c].npages);
			}
		}
		return true;
	}
	default:
		return true;
	}
}

enum fz_throw_class fz_decisions_throw(struct fz_decisions *d, int tid, const char *msg,
				       struct fz_verdict *v)
{
	struct fz_deciding *t = tid >= 0 && tid < FZ_MAX_THREADS ? &d->th[tid] : NULL;
	char at[32], at2[32];
	if (strcmp(msg, PH_MSG_OVERLAP) != 0 || t == NULL || t->claim < 0) {
		fz_fail_verdict(v, "THROW", "the allocator threw \"%s\"", msg);
		return FZ_THROW_OTHER;
	}
	t->must_throw = false;
	if (d->claims_overflow) {
		/* Some claims went unrecorded: the throw cannot be judged. */
		fz_fail_verdict(v, "THROW", "the allocator threw \"%s\" (too many claims in this input to judge it)", msg);
		return FZ_THROW_OTHER;
	}
	const struct fz_claim *me = &d->claims[t->claim];
	uintptr_t me_end = me->base + (me->npages << d->g->page_shift);
	for (unsigned i = 0; i < d->nclaims; i++) {
		const struct fz_claim *o = &d->claims[i];
		uintptr_t o_end = o->base + (o->npages << d->g->page_shift);
		if ((int)i == t->claim || o->base >= me_end || o_end <= me->base)
			continue;
		if (o->born > d->now || o->died < me->born)
			continue; /* not alive at any time during this decision */
		if (o->raw || me->raw)
			return FZ_THROW_INJECTED;
		fz_fail_verdict(v, "O1",
				"allocations #%u (%s+%lu) and #%u (%s+%lu) overlap; the allocator's overlap detector caught it",
				me->id, fz_where(d->g, me->base, at, sizeof at), (unsigned long)me->npages, o->id,
				fz_where(d->g, o->base, at2, sizeof at2), (unsigned long)o->npages);
		return FZ_THROW_REAL;
	}
	fz_fail_verdict(v, "O2",
			"\"%s\" thrown for %s+%lu, but no overlapping claim was in flight or live during its decision",
			msg, fz_where(d->g, me->base, at, sizeof at), (unsigned long)me->npages);
	return FZ_THROW_UNSOUND;
}

bool fz_decisions_quiescent(const struct fz_decisions *d, const ph_heap *h, struct fz_verdict *v)
{
	for (unsigned s = 0; s < d->nslots; s++) {
		uintptr_t zb = ph_heap_zeroed_base(h, d->first_arena + s);
		uintptr_t want = __atomic_load_n(&d->max_end[s], __ATOMIC_RELAXED);
		if (zb != want)
			return fz_fail_verdict(v, "Z3",
					       "at rest, zeroedBase of A%u is %lu pages but the highest end decided in that arena is %lu",
					       s, (unsigned long)(zb >> d->g->page_shift),
					       (unsigned long)(want >> d->g->page_shift));
	}
	return true;
}

FZ_HARNESS_CODE_END
