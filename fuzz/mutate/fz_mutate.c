/*
 * fz_mutate.c - structural mutations of one schedule (see fz_mutate.h).
 *
 * Each mutation keeps the schedule valid for its profile: counts within
 * FZ_MAX_*, every decision naming an existing thread, every operand in the
 * range fz_decode produces, no operations in thread slots past nthreads.
 * fz_mutate_schedule picks among the mutations that apply, by weight:
 * decisions carry half the weight because the interleaving is what this
 * fuzzer searches; the programs a third; strategy and thread count the
 * rest.  New values lean towards the small ones that matter (short runs,
 * few pages, the first arenas), with a tail over the whole range.
 */
#include <string.h>

#include "fz_mutate.h"
#include "fz_sanitizer.h"

FZ_HARNESS_CODE_BEGIN

static const unsigned weights[FZ_MUTATIONS] = {
	[FZ_MUT_DECISION_CHANGE] = 6, [FZ_MUT_DECISION_INSERT] = 12, [FZ_MUT_DECISION_DELETE] = 6,
	[FZ_MUT_DECISION_SWAP] = 5,   [FZ_MUT_DECISION_RETARGET] = 8, [FZ_MUT_DECISION_RUN] = 13,
	[FZ_MUT_STRATEGY] = 3,        [FZ_MUT_PARAM] = 3,            [FZ_MUT_SEED] = 4,
	[FZ_MUT_CACHES] = 1,          [FZ_MUT_OP_INSERT] = 8,        [FZ_MUT_OP_DELETE] = 5,
	[FZ_MUT_OP_DUPLICATE] = 5,    [FZ_MUT_OP_OPERAND] = 12,      [FZ_MUT_THREAD_ADD] = 3,
	[FZ_MUT_THREAD_DROP] = 3,     [FZ_MUT_THREAD_COPY] = 2,
};

const char *fz_mutation_name(enum fz_mutation m)
{
	static const char *const names[FZ_MUTATIONS] = {
		[FZ_MUT_DECISION_CHANGE] = "decision-change", [FZ_MUT_DECISION_INSERT] = "decision-insert",
		[FZ_MUT_DECISION_DELETE] = "decision-delete", [FZ_MUT_DECISION_SWAP] = "decision-swap",
		[FZ_MUT_DECISION_RETARGET] = "decision-retarget", [FZ_MUT_DECISION_RUN] = "decision-run",
		[FZ_MUT_STRATEGY] = "strategy", [FZ_MUT_PARAM] = "param", [FZ_MUT_SEED] = "seed",
		[FZ_MUT_CACHES] = "caches", [FZ_MUT_OP_INSERT] = "op-insert", [FZ_MUT_OP_DELETE] = "op-delete",
		[FZ_MUT_OP_DUPLICATE] = "op-duplicate", [FZ_MUT_OP_OPERAND] = "op-operand",
		[FZ_MUT_THREAD_ADD] = "thread-add", [FZ_MUT_THREAD_DROP] = "thread-drop",
		[FZ_MUT_THREAD_COPY] = "thread-copy",
	};
	return m < FZ_MUTATIONS ? names[m] : "?";
}

static bool one_in(struct fz_rng *r, unsigned n)
{
	return fz_rng_below(r, n) == 0;
}

/* Uniform in [lo, hi]. */
static unsigned between(struct fz_rng *r, unsigned lo, unsigned hi)
{
	return lo + fz_rng_below(r, hi - lo + 1);
}

/* v moved by a small step (1..span either way), kept within [lo, hi]. */
static unsigned nudge(struct fz_rng *r, unsigned v, unsigned span, unsigned lo, unsigned hi)
{
	unsigned d = between(r, 1, span);
	if (one_in(r, 2))
		v = v >= lo + d ? v - d : lo;
	else
		v = v + d <= hi ? v + d : hi;
	return v;
}

/* ---- values -------------------------------------------------------------- */

static uint8_t new_run(struct fz_rng *r)
{
	switch (fz_rng_below(r, 10)) {
	case 0: case 1: case 2: case 3: case 4: return (uint8_t)between(r, 0, 4);
	case 5: case 6: case 7: return (uint8_t)between(r, 5, 32);
	default: return (uint8_t)between(r, 0, 255);
	}
}

static uint16_t new_alloc_pages(struct fz_rng *r)
{
	if (!one_in(r, 7))
		return (uint16_t)(one_in(r, 2) ? between(r, 1, 4) : between(r, 1, FZ_MAX_SMALL));
	return (uint16_t)(one_in(r, 2) ? between(r, FZ_MAX_SMALL + 1, 600) : between(r, FZ_MAX_SMALL + 1, FZ_MAX_LARGE));
}

static uint16_t new_selector(struct fz_rng *r)
{
	return (uint16_t)(one_in(r, 5) ? between(r, 0, 255) : between(r, 0, 7));
}

static uint16_t new_grow_pages(struct fz_rng *r, const struct fz_profile *pr)
{
	switch (fz_rng_below(r, 5)) {
	case 0: return 64;
	case 1: return 512;
	case 2: return (uint16_t)pr->arena_pages;
	case 3: return (uint16_t)between(r, 1, 128);
	default: return (uint16_t)between(r, 1, FZ_MAX_GROW);
	}
}

static uint16_t new_claim_page(struct fz_rng *r, const struct fz_profile *pr)
{
	switch (fz_rng_below(r, 4)) {
	case 0: return (uint16_t)between(r, 0, 15);
	case 1: return (uint16_t)(pr->arena_pages - between(r, 1, 16)); /* against the arena's end */
	default: return (uint16_t)fz_rng_below(r, pr->arena_pages);
	}
}

static uint16_t new_claim_pages(struct fz_rng *r)
{
	return (uint16_t)(one_in(r, 4) ? between(r, 1, FZ_MAX_CLAIM) : between(r, 1, 64));
}

/* Some claim of the schedule other than `not`, or NULL. */
static const struct fz_op *some_claim(const struct fz_schedule *s, const struct fz_op *not, struct fz_rng *r)
{
	const struct fz_op *found = NULL;
	unsigned seen = 0;
	for (unsigned t = 0; t < s->nthreads; t++)
		for (unsigned i = 0; i < s->nops[t]; i++) {
			const struct fz_op *op = &s->ops[t][i];
			if (op->kind == FZ_OP_CLAIM && op != not && one_in(r, ++seen))
				found = op; /* reservoir sampling: each equally likely */
		}
	return found;
}

/* Places claim op against another claim's range: overlapping it, or just
 * touching it from below or above, in the same arena.  False if there is
 * no other claim. */
static bool claim_against(const struct fz_profile *pr, const struct fz_schedule *s, struct fz_op *op,
			  struct fz_rng *r)
{
	const struct fz_op *o = some_claim(s, op, r);
	if (o == NULL)
		return false;
	unsigned last = pr->arena_pages - 1;
	op->sel = o->sel;
	unsigned page;
	switch (fz_rng_below(r, 3)) {
	case 0: page = o->page + fz_rng_below(r, o->n); break;      /* starts inside */
	case 1: page = o->page + o->n; break;                       /* right above */
	default: page = o->page >= op->n ? o->page - op->n : 0; break; /* ends at its start */
	}
	op->page = (uint16_t)(page > last ? last : page);
	return true;
}

static void new_op(const struct fz_profile *pr, const struct fz_schedule *s, struct fz_op *op, struct fz_rng *r)
{
	memset(op, 0, sizeof *op);
	op->kind = pr->kinds[fz_rng_below(r, pr->nkinds)];
	switch (op->kind) {
	case FZ_OP_ALLOC:
		op->n = new_alloc_pages(r);
		op->zero = one_in(r, 4);
		break;
	case FZ_OP_FREE:
	case FZ_OP_WRITE:
		op->sel = new_selector(r);
		break;
	case FZ_OP_GROW:
		op->n = new_grow_pages(r, pr);
		op->sel = (uint16_t)between(r, 0, FZ_MAX_SKIP);
		break;
	case FZ_OP_CLAIM:
		op->n = new_claim_pages(r);
		op->sel = (uint16_t)(one_in(r, 5) ? between(r, 0, FZ_CLAIM_ARENAS - 1) : between(r, 0, 3));
		op->page = new_claim_page(r, pr);
		if (one_in(r, 2))
			claim_against(pr, s, op, r);
		break;
	default:
		break;
	}
}

/* Changes one operand of op within its bounds; false if op has none. */
static bool change_operand(const struct fz_profile *pr, const struct fz_schedule *s, struct fz_op *op,
			   struct fz_rng *r)
{
	switch (op->kind) {
	case FZ_OP_ALLOC:
		switch (fz_rng_below(r, 3)) {
		case 0: op->zero = !op->zero; break;
		case 1: op->n = (uint16_t)nudge(r, op->n, 3, 1, FZ_MAX_LARGE); break;
		default: op->n = new_alloc_pages(r); break;
		}
		return true;
	case FZ_OP_FREE:
	case FZ_OP_WRITE:
		op->sel = (uint16_t)(one_in(r, 2) ? nudge(r, op->sel, 2, 0, 255) : new_selector(r));
		return true;
	case FZ_OP_GROW:
		switch (fz_rng_below(r, 3)) {
		case 0: op->sel = (uint16_t)between(r, 0, FZ_MAX_SKIP); break;
		case 1: op->n = (uint16_t)nudge(r, op->n, 64, 1, FZ_MAX_GROW); break;
		default: op->n = new_grow_pages(r, pr); break;
		}
		return true;
	case FZ_OP_CLAIM:
		switch (fz_rng_below(r, 6)) {
		case 0: op->sel = (uint16_t)between(r, 0, FZ_CLAIM_ARENAS - 1); break;
		case 1: op->page = (uint16_t)nudge(r, op->page, 16, 0, pr->arena_pages - 1); break;
		case 2: op->page = new_claim_page(r, pr); break;
		case 3: op->n = (uint16_t)nudge(r, op->n, 16, 1, FZ_MAX_CLAIM); break;
		case 4: op->n = new_claim_pages(r); break;
		default:
			if (!claim_against(pr, s, op, r))
				op->page = new_claim_page(r, pr);
			break;
		}
		return true;
	default:
		return false; /* destroy-p has no operands */
	}
}

/* ---- picking places ------------------------------------------------------- */

static unsigned total_ops(const struct fz_schedule *s)
{
	unsigned n = 0;
	for (unsigned t = 0; t < s->nthreads; t++)
		n += s->nops[t];
	return n;
}

/* The k-th operation over all threads in order. */
static void nth_op(const struct fz_schedule *s, unsigned k, unsigned *t, unsigned *i)
{
	for (*t = 0; k >= s->nops[*t]; (*t)++)
		k -= s->nops[*t];
	*i = k;
}

/* A thread with room for another operation, or -1. */
static int thread_with_room(const struct fz_schedule *s, struct fz_rng *r)
{
	unsigned start = fz_rng_below(r, s->nthreads);
	for (unsigned k = 0; k < s->nthreads; k++) {
		unsigned t = (start + k) % s->nthreads;
		if (s->nops[t] < FZ_MAX_OPS)
			return (int)t;
	}
	return -1;
}

static void insert_op(struct fz_schedule *s, unsigned t, unsigned at, const struct fz_op *op)
{
	memmove(&s->ops[t][at + 1], &s->ops[t][at], (s->nops[t] - at) * sizeof *op);
	s->ops[t][at] = *op;
	s->nops[t]++;
}

static void insert_decision(struct fz_schedule *s, unsigned at, struct fz_decision d)
{
	memmove(&s->decisions[at + 1], &s->decisions[at], (s->ndecisions - at) * sizeof d);
	s->decisions[at] = d;
	s->ndecisions++;
}

static void delete_decisions(struct fz_schedule *s, unsigned at, unsigned n)
{
	memmove(&s->decisions[at], &s->decisions[at + n], (s->ndecisions - at - n) * sizeof s->decisions[0]);
	s->ndecisions = (uint16_t)(s->ndecisions - n);
}

/* ---- the mutations ---------------------------------------------------------- */

static bool mutate_decisions(struct fz_schedule *s, enum fz_mutation m, struct fz_rng *r)
{
	unsigned nd = s->ndecisions;
	if (m == FZ_MUT_DECISION_INSERT) {
		if (nd >= FZ_MAX_DECISIONS)
			return false;
		insert_decision(s, fz_rng_below(r, nd + 1),
				(struct fz_decision){(uint8_t)fz_rng_below(r, s->nthreads), new_run(r)});
		return true;
	}
	if (nd == 0 || (m == FZ_MUT_DECISION_SWAP && nd < 2))
		return false;
	unsigned i = fz_rng_below(r, nd);
	struct fz_decision *d = &s->decisions[i];
	switch (m) {
	case FZ_MUT_DECISION_CHANGE:
		d->thread = (uint8_t)fz_rng_below(r, s->nthreads);
		d->run = new_run(r);
		return true;
	case FZ_MUT_DECISION_DELETE: {
		unsigned n = one_in(r, 4) ? between(r, 1, nd - i < 4 ? nd - i : 4) : 1;
		delete_decisions(s, i, n);
		return true;
	}
	case FZ_MUT_DECISION_SWAP: {
		/* Mostly neighbours: who runs first at one point. */
		unsigned j = one_in(r, 3) ? fz_rng_below(r, nd) : (i + 1 < nd ? i + 1 : i - 1);
		struct fz_decision tmp = s->decisions[j];
		s->decisions[j] = *d;
		*d = tmp;
		return true;
	}
	case FZ_MUT_DECISION_RETARGET:
		d->thread = (uint8_t)((d->thread + 1 + fz_rng_below(r, s->nthreads - 1u)) % s->nthreads);
		return true;
	case FZ_MUT_DECISION_RUN:
		d->run = (uint8_t)(one_in(r, 3) ? new_run(r) : nudge(r, d->run, 3, 0, 255));
		return true;
	default:
		return false;
	}
}

static bool mutate_ops(const struct fz_profile *pr, struct fz_schedule *s, enum fz_mutation m, struct fz_rng *r)
{
	unsigned total = total_ops(s), t, i;
	struct fz_op op;
	int dest;
	switch (m) {
	case FZ_MUT_OP_INSERT:
		if ((dest = thread_with_room(s, r)) < 0)
			return false;
		new_op(pr, s, &op, r);
		insert_op(s, (unsigned)dest, fz_rng_below(r, s->nops[dest] + 1u), &op);
		return true;
	case FZ_MUT_OP_DELETE:
		if (total == 0)
			return false;
		nth_op(s, fz_rng_below(r, total), &t, &i);
		memmove(&s->ops[t][i], &s->ops[t][i + 1], (s->nops[t] - i - 1) * sizeof op);
		s->nops[t]--;
		return true;
	case FZ_MUT_OP_DUPLICATE:
		if (total == 0 || (dest = thread_with_room(s, r)) < 0)
			return false;
		nth_op(s, fz_rng_below(r, total), &t, &i);
		op = s->ops[t][i];
		insert_op(s, (unsigned)dest, fz_rng_below(r, s->nops[dest] + 1u), &op);
		return true;
	case FZ_MUT_OP_OPERAND:
		/* A few tries: destroy-p has nothing to change. */
		for (unsigned k = 0; k < 4 && total > 0; k++) {
			nth_op(s, fz_rng_below(r, total), &t, &i);
			if (change_operand(pr, s, &s->ops[t][i], r))
				return true;
		}
		return false;
	default:
		return false;
	}
}

static bool mutate_threads(struct fz_schedule *s, enum fz_mutation m, const struct fz_profile *pr,
			   struct fz_rng *r)
{
	unsigned n = s->nthreads;
	switch (m) {
	case FZ_MUT_THREAD_ADD:
		if (n >= FZ_MAX_THREADS)
			return false;
		if (one_in(r, 2)) {
			unsigned from = fz_rng_below(r, n);
			s->nops[n] = s->nops[from];
			memcpy(s->ops[n], s->ops[from], s->nops[from] * sizeof s->ops[0][0]);
		} else {
			s->nops[n] = (uint8_t)between(r, 1, 3);
			for (unsigned i = 0; i < s->nops[n]; i++)
				new_op(pr, s, &s->ops[n][i], r);
		}
		s->nthreads++;
		/* Let the decisions reach it sometimes, or it only runs when
		 * the strategy picks it. */
		if (s->ndecisions < FZ_MAX_DECISIONS && one_in(r, 2))
			insert_decision(s, fz_rng_below(r, s->ndecisions + 1u), (struct fz_decision){(uint8_t)n, new_run(r)});
		return true;
	case FZ_MUT_THREAD_DROP: {
		if (n <= FZ_MIN_THREADS)
			return false;
		unsigned v = fz_rng_below(r, n);
		for (unsigned t = v; t + 1 < n; t++) {
			s->nops[t] = s->nops[t + 1];
			memcpy(s->ops[t], s->ops[t + 1], s->nops[t] * sizeof s->ops[0][0]);
		}
		s->nops[n - 1] = 0;
		s->nthreads--;
		unsigned k = 0;
		for (unsigned i = 0; i < s->ndecisions; i++) {
			struct fz_decision d = s->decisions[i];
			if (d.thread == v)
				continue;
			if (d.thread > v)
				d.thread--;
			s->decisions[k++] = d;
		}
		s->ndecisions = (uint16_t)k;
		return true;
	}
	case FZ_MUT_THREAD_COPY: {
		unsigned from = fz_rng_below(r, n), to = (from + 1 + fz_rng_below(r, n - 1)) % n;
		s->nops[to] = s->nops[from];
		memcpy(s->ops[to], s->ops[from], s->nops[from] * sizeof s->ops[0][0]);
		return true;
	}
	default:
		return false;
	}
}

bool fz_mutate_apply(const struct fz_profile *pr, struct fz_schedule *s, enum fz_mutation m, struct fz_rng *r)
{
	switch (m) {
	case FZ_MUT_DECISION_CHANGE:
	case FZ_MUT_DECISION_INSERT:
	case FZ_MUT_DECISION_DELETE:
	case FZ_MUT_DECISION_SWAP:
	case FZ_MUT_DECISION_RETARGET:
	case FZ_MUT_DECISION_RUN:
		return mutate_decisions(s, m, r);
	case FZ_MUT_STRATEGY:
		s->strategy = (uint8_t)((s->strategy + 1 + fz_rng_below(r, FZ_STRATEGIES - 1)) % FZ_STRATEGIES);
		return true;
	case FZ_MUT_PARAM:
		s->param = (uint8_t)((s->param + 1 + fz_rng_below(r, 7)) % 8);
		return true;
	case FZ_MUT_SEED:
		s->seed = one_in(r, 2) ? s->seed ^ (1u << fz_rng_below(r, 32)) : (uint32_t)fz_rng_next(r);
		return true;
	case FZ_MUT_CACHES:
		if (!pr->allow_no_cache)
			return false;
		s->no_cache = !s->no_cache;
		return true;
	case FZ_MUT_OP_INSERT:
	case FZ_MUT_OP_DELETE:
	case FZ_MUT_OP_DUPLICATE:
	case FZ_MUT_OP_OPERAND:
		return mutate_ops(pr, s, m, r);
	case FZ_MUT_THREAD_ADD:
	case FZ_MUT_THREAD_DROP:
	case FZ_MUT_THREAD_COPY:
		return mutate_threads(s, m, pr, r);
	default:
		return false;
	}
}

enum fz_mutation fz_mutate_schedule(const struct fz_profile *pr, struct fz_schedule *s, struct fz_rng *r)
{
	unsigned sum = 0;
	for (unsigned m = 0; m < FZ_MUTATIONS; m++)
		sum += weights[m];
	/* A drawn mutation that does not apply is drawn again; every valid
	 * schedule takes at least a strategy change, so this ends. */
	for (unsigned tries = 0; tries < 64; tries++) {
		unsigned x = fz_rng_below(r, sum), m = 0;
		while (x >= weights[m])
			x -= weights[m++];
		if (fz_mutate_apply(pr, s, (enum fz_mutation)m, r))
			return (enum fz_mutation)m;
	}
	return fz_mutate_apply(pr, s, FZ_MUT_STRATEGY, r) ? FZ_MUT_STRATEGY : FZ_MUTATIONS;
}

FZ_HARNESS_CODE_END
