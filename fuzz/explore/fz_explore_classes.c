/*
 * fz_explore_classes.c - --por classes: every interleaving within the
 * bound is enumerated, and exactly one of each class of equivalent
 * interleavings is run.
 *
 * The search is the plain bounded one (--por none): depth first over the
 * tree of choices, every thread that can take a step a branch as long as
 * the bound allows it, lowest thread first, the default choice going on
 * with the running thread.  What changes is that a step is run only when
 * nothing already run says what it does.
 *
 * Why a step can be worked out.  What a step does - which objects it
 * touches, whether its CAS fails, whether it grows the heap or ends the
 * input, where its thread stands afterwards - depends only on its thread's
 * own past and on the values it reads, and every value it reads was
 * written by the last step before it that wrote the object its point
 * names (the heap lock's chain of acquires and releases orders whatever
 * is read under the lock; fz_explore_event.c says what else a step
 * touches and why it needs no object).  That last writer's value in turn
 * depends only on its own past.  So the step's *behaviour* is a function
 * of
 *
 *     key = (thread, its previous step, its point, the last writer of the
 *            object the point names)
 *
 * where steps are named by their *ids*: a hash of the thread, its number
 * of steps, what it did, and the ids of the latest step of every other
 * thread that happens before it (happens-before as in fz_explore_dpor.c:
 * program order and dependent steps, a failed CAS a read).  Equal ids mean
 * equal pasts, so the key names exactly what the step can see.  Every
 * step of every run is recorded under its key (the behaviour table);
 * where the search meets a step whose key is in the table, it applies the
 * recorded behaviour to its path without running anything.
 *
 * The class of an interleaving (its Mazurkiewicz trace) is named by the
 * ids of every thread's last step.  An enumerated interleaving whose
 * steps are all known and whose class has run is covered: equivalent
 * interleavings end in the same state and every step sees the same values
 * on the way, so they meet the same oracles' verdicts (docs/EXPLORE.md;
 * tests/test_explore.c checks that every interleaving of a class ends in
 * the same state).  The search runs the program only
 *  - at a step whose key is not in the table: the run replays the path
 *    (the steps worked out so far must run as predicted, or the search
 *    stops with an error) and goes on with the default choices, recording
 *    every step; an unknown step is in no class run yet, so this run is a
 *    new class;
 *  - at the end of an interleaving worked out entirely whose class has not
 *    run (its steps were all seen, in other combinations).
 * So every class with an order within the bound is run exactly once, and
 * nothing else is: the executions are the classes within the bound.  The
 * enumeration itself visits every interleaving within the bound, as --por
 * none runs them; a step worked out costs a table lookup and a few clock
 * joins (each object's last writer and the clock of its reads since are
 * kept along the path, and undone when the search backs up), far less
 * than a run (docs/EXPLORE.md has the share on lock-contention).  Without
 * a bound the interleavings grow much faster than the classes: use --por
 * dpor there.
 *
 * What is claimed rests on the dependency relation being complete, as for
 * DPOR; here it is also checked: every run compares the steps and the
 * states worked out for it with what runs (fz_explore_choose.c), and a
 * step recorded twice under one key must agree with itself.  A mismatch
 * stops the search with an error naming the step.
 *
 * Compared with DPOR, which must run an execution to see its races and
 * then make up for what the bound cuts (fz_explore_dpor.c), this search
 * needs no reversal, no sleep set and no compensation: it takes the bound
 * as it is, from the plain bounded search, and removes only runs whose
 * class has run.  It keeps a table of steps seen (one entry per distinct
 * step, a few tens of bytes each), where DPOR keeps only the path.
 */
#include "fz_explore_internal.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "fz_sanitizer.h"

FZ_HARNESS_CODE_BEGIN

/* What one step did, as a run showed it (see the top of the file). */
struct behaviour {
	uint64_t key;           /* 0: an empty slot */
	struct fz_xevent ev;    /* the step as it ran: a failed CAS a read, a growth, the input's end */
	struct fz_xevent after; /* its thread's next step, as where it stands after this one tells */
	uint8_t after_call;     /* the scheduler's call after the step (enum fz_call) */
	int8_t after_prev;      /* the thread that call names as the one that ran */
	bool after_done;        /* the thread finished with this step */
	bool has_after;         /* false when the input ended inside the step */
};

/* A vector clock, or steps per thread.  Copied by assignment: these are
 * copied at every step worked out, and a memcpy call would go through
 * ThreadSanitizer's interceptor, which checks the range even here. */
struct clock {
	uint32_t v[FZ_MAX_THREADS];
};

/* What placing one access changed in its object's record, to undo it. */
struct undo {
	uint32_t obj;
	int32_t writer;
	struct clock readers;
};

struct fz_xclasses {
	struct behaviour *tab; /* the behaviour table: open addressing, power-of-two size */
	size_t cap, n;
	struct fz_hashset ran; /* classes run */
	/* Per node of the path (the explorer's stack, x->node). */
	uint64_t *id;                    /* id of the step taken at node d */
	struct clock *vc;                /* its vector clock (fz_explore_dpor.c's) */
	struct clock *cnt;               /* steps each thread took before node d */
	int32_t *at[FZ_MAX_THREADS];     /* at[u][k]: node of thread u's step k + 1 */
	struct undo (*undo)[FZ_XEV_MAX_ACC];
	size_t cap_nodes;
	size_t steps; /* nodes [0, steps) of the path are placed */
	/* Per object, for the path's first `steps` steps: its last writer
	 * (-1: none) and the join of the clocks of its reads since then. */
	int32_t *writer;
	struct clock *readers;
	unsigned nobj;
	bool blind; /* tests: keys without the last writer */
};

void fz_explore_classes_free(struct fz_explorer *x)
{
	struct fz_xclasses *c = x->cx;
	if (c == NULL)
		return;
	free(c->tab);
	fz_hashset_free(&c->ran);
	free(c->id);
	free(c->vc);
	free(c->cnt);
	free(c->undo);
	free(c->writer);
	free(c->readers);
	for (unsigned u = 0; u < FZ_MAX_THREADS; u++)
		free(c->at[u]);
	free(c);
	x->cx = NULL;
}

/* Room for nodes [0, m] in the stack and the per-node arrays. */
static bool reserve(struct fz_explorer *x, size_t m)
{
	struct fz_xclasses *c = x->cx;
	if (!fz_explore_reserve(x, m))
		return false;
	if (m < c->cap_nodes)
		return true;
	size_t cap = c->cap_nodes ? c->cap_nodes * 2 : 256;
	while (cap <= m)
		cap *= 2;
	void *p;
	if ((p = realloc(c->id, cap * sizeof *c->id)) == NULL)
		return false;
	c->id = p;
	if ((p = realloc(c->vc, cap * sizeof *c->vc)) == NULL)
		return false;
	c->vc = p;
	if ((p = realloc(c->cnt, cap * sizeof *c->cnt)) == NULL)
		return false;
	c->cnt = p;
	if ((p = realloc(c->undo, cap * sizeof *c->undo)) == NULL)
		return false;
	c->undo = p;
	for (unsigned u = 0; u < FZ_MAX_THREADS; u++) {
		if ((p = realloc(c->at[u], cap * sizeof *c->at[u])) == NULL)
			return false;
		c->at[u] = p;
	}
	c->cap_nodes = cap;
	return true;
}

/* ---- the behaviour table ---------------------------------------------- */

static struct behaviour *lookup(const struct fz_xclasses *c, uint64_t key)
{
	if (c->cap == 0)
		return NULL;
	for (size_t k = (size_t)(key * 0x9E3779B97F4A7C15ull) & (c->cap - 1); c->tab[k].key != 0;
	     k = (k + 1) & (c->cap - 1))
		if (c->tab[k].key == key)
			return &c->tab[k];
	return NULL;
}

static bool insert(struct fz_xclasses *c, const struct behaviour *b)
{
	if ((c->n + 1) * 2 > c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 1024;
		struct behaviour *tab = calloc(cap, sizeof *tab);
		if (tab == NULL)
			return false;
		for (size_t i = 0; i < c->cap; i++) {
			if (c->tab[i].key == 0)
				continue;
			size_t k = (size_t)(c->tab[i].key * 0x9E3779B97F4A7C15ull) & (cap - 1);
			while (tab[k].key != 0)
				k = (k + 1) & (cap - 1);
			tab[k] = c->tab[i];
		}
		free(c->tab);
		c->tab = tab;
		c->cap = cap;
	}
	size_t k = (size_t)(b->key * 0x9E3779B97F4A7C15ull) & (c->cap - 1);
	while (c->tab[k].key != 0)
		k = (k + 1) & (c->cap - 1);
	c->tab[k] = *b;
	c->n++;
	return true;
}

static bool same_behaviour(const struct behaviour *a, const struct behaviour *b)
{
	if (!fz_xevent_same(&a->ev, &b->ev) || a->has_after != b->has_after)
		return false;
	if (!a->has_after)
		return true;
	return a->after_call == b->after_call && a->after_prev == b->after_prev && a->after_done == b->after_done &&
	       (a->after_done || fz_xevent_same(&a->after, &b->after));
}

/* ---- ids and keys ------------------------------------------------------ */

/* Id of thread u's latest step before node d, 0 if none. */
static uint64_t latest_id(const struct fz_xclasses *c, size_t d, unsigned u)
{
	uint32_t k = c->cnt[d].v[u];
	return k ? c->id[c->at[u][k - 1]] : 0;
}

static uint64_t mix_event(uint64_t h, const struct fz_xevent *e)
{
	h = fz_xmix(h, (uint64_t)e->flags << 8 | e->nacc);
	for (unsigned a = 0; a < e->nacc; a++)
		h = fz_xmix(h, (uint64_t)fz_xobj(&e->acc[a]) << 1 | e->acc[a].write);
	return h;
}

/* The key of thread u's next step at node d, the end of the placed path
 * (see the top of the file). */
static uint64_t key_of(const struct fz_explorer *x, size_t d, unsigned u)
{
	const struct fz_xclasses *c = x->cx;
	const struct fz_xevent *p = &x->node[d].next[u];
	assert(d == c->steps);
	uint64_t k = fz_xmix(0x243F6A8885A308D3ull, u);
	k = fz_xmix(k, latest_id(c, d, u));
	k = mix_event(k, p);
	if (p->nacc > 0 && !c->blind) {
		int32_t w = c->writer[fz_xobj(&p->acc[0])];
		k = fz_xmix(k, w >= 0 ? c->id[w] : 0);
	}
	return k ? k : 1;
}

static void join(struct clock *vc, const struct clock *other)
{
	for (unsigned v = 0; v < FZ_MAX_THREADS; v++)
		if (other->v[v] > vc->v[v])
			vc->v[v] = other->v[v];
}

/* Node d's step (x->node[d].ev) joins the path, whose first d steps are
 * placed: its clock, its id, the counts at node d + 1 and the objects'
 * records.  The clock as fz_explore_analyse computes it: the thread's
 * previous step, the last writer of every object it touches, the reads
 * since then of every object it writes, and everything when the input
 * ended in it. */
static void place(struct fz_explorer *x, size_t d)
{
	struct fz_xclasses *c = x->cx;
	const struct fz_xevent *e = &x->node[d].ev;
	unsigned u = e->thread, nthreads = x->prog.nthreads;
	assert(d == c->steps);
	uint32_t local = c->cnt[d].v[u] + 1;
	struct clock vc = {{0}};
	if (local > 1)
		vc = c->vc[c->at[u][local - 2]];
	for (unsigned a = 0; a < e->nacc; a++) {
		unsigned o = fz_xobj(&e->acc[a]);
		if (c->writer[o] >= 0)
			join(&vc, &c->vc[c->writer[o]]);
		if (e->acc[a].write)
			join(&vc, &c->readers[o]);
	}
	if (e->flags & FZ_XEV_ENDS)
		for (unsigned v = 0; v < nthreads; v++)
			if (v != u && c->cnt[d].v[v] > 0)
				join(&vc, &c->vc[c->at[v][c->cnt[d].v[v] - 1]]);
	vc.v[u] = local;

	uint64_t id = fz_xmix(fz_xmix(0x13198A2E03707344ull, u), local);
	id = mix_event(id, e);
	for (unsigned v = 0; v < nthreads; v++)
		id = fz_xmix(id, v == u ? latest_id(c, d, u) : vc.v[v] ? c->id[c->at[v][vc.v[v] - 1]] : 0);
	c->id[d] = id;
	c->vc[d] = vc;
	c->cnt[d + 1] = c->cnt[d];
	c->cnt[d + 1].v[u] = local;
	c->at[u][local - 1] = (int32_t)d;
	for (unsigned a = 0; a < e->nacc; a++) {
		unsigned o = fz_xobj(&e->acc[a]);
		struct undo *un = &c->undo[d][a];
		un->obj = o;
		un->writer = c->writer[o];
		un->readers = c->readers[o];
		if (e->acc[a].write) {
			c->writer[o] = (int32_t)d;
			c->readers[o] = (struct clock){{0}};
		} else {
			join(&c->readers[o], &vc);
		}
	}
	c->steps = d + 1;
}

/* Takes the path's placed steps back to its first d. */
static void unplace(struct fz_explorer *x, size_t d)
{
	struct fz_xclasses *c = x->cx;
	for (; c->steps > d; c->steps--) {
		size_t k = c->steps - 1;
		const struct fz_xevent *e = &x->node[k].ev;
		for (unsigned a = e->nacc; a-- > 0;) {
			const struct undo *un = &c->undo[k][a];
			c->writer[un->obj] = un->writer;
			c->readers[un->obj] = un->readers;
		}
	}
}

/* The class of the path's first m steps: the ids of every thread's last step. */
static uint64_t class_of(const struct fz_explorer *x, size_t m)
{
	uint64_t h = 0x452821E638D01377ull;
	for (unsigned v = 0; v < x->prog.nthreads; v++)
		h = fz_xmix(h, latest_id(x->cx, m, v));
	return h;
}

/* ---- the path ------------------------------------------------------------ */

static bool all_finished(const struct fz_explorer *x, const struct fz_xnode *n)
{
	return n->finished == (fz_tmask)((1u << x->prog.nthreads) - 1);
}

/* A node met for the first time: its branches are every thread that can
 * run, within the bound (as --por none has them), its first the chooser's
 * default choice.  n has no sleep set and someone can run, so the default
 * is never an abandon: the running thread going on costs no preemption. */
static void branches(struct fz_explorer *x, struct fz_xnode *n)
{
	n->chosen = (int8_t)fz_explore_default_choice(x, n);
	assert(n->chosen >= 0);
	n->done = (fz_tmask)(1u << n->chosen);
	n->backtrack = 0;
	fz_explore_every_branch(x, n);
}

/* Node d + 1 from node d and the behaviour of the step taken there. */
static void next_node(struct fz_explorer *x, size_t d, const struct behaviour *b)
{
	const struct fz_xnode *p = &x->node[d];
	struct fz_xnode *n = &x->node[d + 1];
	unsigned u = p->ev.thread;
	/* Field by field: a memset of the node would go through TSan's
	 * interceptor (see struct clock); tried and sleep_from are DPOR's. */
	n->ev = (struct fz_xevent){0};
	n->enabled = n->backtrack = n->done = n->sleep = n->conservative = n->deferred = n->cut_below = 0;
	n->fixed = false;
	n->call = b->after_call;
	n->prev = b->after_prev;
	for (unsigned t = 0; t < FZ_MAX_THREADS; t++)
		n->next[t] = p->next[t];
	n->finished = p->finished;
	if (b->after_done) {
		n->finished |= (fz_tmask)(1u << u);
		n->next[u] = (struct fz_xevent){0};
	} else {
		n->next[u] = b->after;
	}
	n->lock_held = (p->ev.flags & FZ_XEV_ACQUIRE) ? true : (p->ev.flags & FZ_XEV_RELEASE) ? false : p->lock_held;
	for (unsigned t = 0; t < x->prog.nthreads; t++)
		if (!(n->finished & (1u << t)) && !((n->next[t].flags & FZ_XEV_ACQUIRE) && n->lock_held))
			n->enabled |= (fz_tmask)(1u << t);
	n->preemptions = (uint16_t)(p->preemptions + (fz_explore_is_preemption(x, p, u) ? 1 : 0));
}

static bool fail_search(struct fz_explorer *x, const char *why, size_t d)
{
	x->res.stop = FZ_EXPLORE_ERROR;
	char ev[80];
	fz_xevent_describe(&x->node[d].ev, ev, sizeof ev);
	snprintf(x->res.error, sizeof x->res.error, "step %zu (%.40s) %.120s", d, ev, why);
	return false;
}

/* After a run: records its steps from node `from` on (those before were
 * placed already), places them, and notes its class as run.  A step
 * already in the table must have done the same again.  `expect`: the
 * class the run was worked out to be, or 0.  False when the search must
 * stop. */
static bool record(struct fz_explorer *x, size_t from, uint64_t expect)
{
	struct fz_xclasses *c = x->cx;
	size_t m = x->run.nsteps;
	if (!reserve(x, m + 1))
		return fail_search(x, "could not be recorded: out of memory", from);
	unplace(x, from);
	for (size_t i = from; i < m; i++) {
		const struct fz_xnode *n = &x->node[i];
		unsigned u = n->ev.thread;
		struct behaviour b = {.key = key_of(x, i, u), .ev = n->ev};
		if (i + 1 < x->run.depth) {
			const struct fz_xnode *a = &x->node[i + 1];
			b.has_after = true;
			b.after_call = a->call;
			b.after_prev = a->prev;
			b.after_done = (a->finished & (1u << u)) != 0;
			if (!b.after_done)
				b.after = a->next[u];
		}
		const struct behaviour *old = lookup(c, b.key);
		if (old != NULL && !same_behaviour(old, &b))
			return fail_search(x, "did otherwise than a step with the same past did before: the dependency "
					      "relation misses something (docs/EXPLORE.md)", i);
		if (old == NULL && !insert(c, &b))
			return fail_search(x, "could not be recorded: out of memory", i);
		place(x, i);
	}
	uint64_t cls = class_of(x, m);
	if (expect != 0 && cls != expect)
		return fail_search(x, "ended a run in another class than worked out for it", m ? m - 1 : 0);
	bool oom = false;
	fz_hashset_add(&c->ran, cls, &oom);
	if (oom)
		return fail_search(x, "could not be recorded: out of memory", m ? m - 1 : 0);
	return true;
}

/* Runs the path's first `replay` nodes (their choices made, the first
 * `planned` steps worked out) and records it from node `from`. */
static bool run(struct fz_explorer *x, size_t replay, size_t planned, size_t from, uint64_t expect)
{
	x->keep = replay;
	x->planned = planned;
	uint64_t before = x->res.complete;
	if (!fz_explore_one_run(x))
		return false;
	if (x->res.complete > before)
		x->res.interleavings++;
	/* Nodes the run met first have their branches from the chooser, as
	 * --por none gives them (fz_explore_choose.c's fresh_node). */
	return record(x, from, expect);
}

enum walk { KNOWN_CLASS, NEW_CLASS, UNKNOWN_STEP, NO_MEMORY };

/* Works the path out from node d, whose choice is made, taking default
 * choices below, until an interleaving ends or a step is not in the
 * table.  *at: the node of the unknown step, or the number of steps of
 * the interleaving that ended; *cls its class. */
static enum walk walk(struct fz_explorer *x, size_t d, size_t *at, uint64_t *cls)
{
	struct fz_xclasses *c = x->cx;
	for (;;) {
		if (!reserve(x, d + 2))
			return NO_MEMORY;
		struct fz_xnode *n = &x->node[d];
		unsigned u = (unsigned)n->chosen;
		const struct behaviour *b = lookup(c, key_of(x, d, u));
		if (b == NULL) {
			*at = d;
			return UNKNOWN_STEP;
		}
		n->ev = b->ev;
		n->ev.thread = (uint8_t)u;
		place(x, d);
		bool ended = (b->ev.flags & FZ_XEV_ENDS) || !b->has_after, stuck = false;
		if (!ended) {
			next_node(x, d, b);
			const struct fz_xnode *after = &x->node[d + 1];
			ended = all_finished(x, after);
			stuck = !ended && after->enabled == 0;
		}
		if (ended || stuck) {
			*at = d + 1;
			*cls = class_of(x, d + 1);
			/* A deadlock (nobody can run) is run, for the scheduler to report it. */
			return !stuck && fz_hashset_has(&c->ran, *cls) ? KNOWN_CLASS : NEW_CLASS;
		}
		branches(x, &x->node[d + 1]);
		d++;
	}
}

/* The next branch: the deepest node with one left (lowest thread first). */
static bool next_branch(struct fz_explorer *x, size_t *d)
{
	for (size_t k = x->cx->steps; k-- > 0;) {
		struct fz_xnode *n = &x->node[k];
		if (n->fixed)
			return false;
		fz_tmask left = n->backtrack & (fz_tmask)~n->done;
		if (left == 0)
			continue;
		unsigned u = fz_lowest(left);
		n->done |= (fz_tmask)(1u << u);
		n->chosen = (int8_t)u;
		*d = k;
		return true;
	}
	return false;
}

static uint64_t pending(const struct fz_explorer *x)
{
	uint64_t p = 0;
	for (size_t k = 0; k < x->cx->steps; k++)
		p += (uint64_t)__builtin_popcount(x->node[k].backtrack & (fz_tmask)~x->node[k].done);
	return p;
}

static bool tables(struct fz_explorer *x)
{
	return x->cx != NULL || (x->cx = calloc(1, sizeof *x->cx)) != NULL;
}

void fz_explore_classes_blind(struct fz_explorer *x)
{
	if (tables(x))
		x->cx->blind = true;
}

void fz_explore_classes_search(struct fz_explorer *x, double t0)
{
	if (!tables(x)) {
		x->res.stop = FZ_EXPLORE_ERROR;
		snprintf(x->res.error, sizeof x->res.error, "out of memory");
		return;
	}
	struct fz_xclasses *c = x->cx;
	if (c->tab != NULL)
		memset(c->tab, 0, c->cap * sizeof *c->tab);
	c->n = 0;
	c->steps = 0;
	fz_hashset_clear(&c->ran);
	if (c->nobj != x->nobj) {
		free(c->writer);
		free(c->readers);
		c->nobj = x->nobj;
		c->writer = malloc(c->nobj * sizeof *c->writer);
		c->readers = malloc(c->nobj * sizeof *c->readers);
		if (c->writer == NULL || c->readers == NULL) {
			c->nobj = 0;
			fail_search(x, "could not be recorded: out of memory", 0);
			return;
		}
	}
	for (unsigned o = 0; o < c->nobj; o++)
		c->writer[o] = -1;
	memset(c->readers, 0, c->nobj * sizeof *c->readers);
	if (!reserve(x, 1)) {
		fail_search(x, "could not be recorded: out of memory", 0);
		return;
	}
	c->cnt[0] = (struct clock){{0}};

	if (!run(x, 0, 0, 0, 0))
		return;
	for (;;) {
		size_t d, at;
		uint64_t cls = 0;
		if (!next_branch(x, &d)) {
			x->res.stop = FZ_EXPLORE_DONE;
			return;
		}
		if (fz_explore_capped(x, t0)) {
			x->res.pending = pending(x) + 1; /* and the branch just picked */
			return;
		}
		unplace(x, d);
		switch (walk(x, d, &at, &cls)) {
		case KNOWN_CLASS:
			x->res.interleavings++;
			break;
		case NEW_CLASS:
			if (!run(x, at, at, at ? at - 1 : 0, cls))
				return;
			break;
		case UNKNOWN_STEP:
			if (!run(x, at + 1, at, at, 0))
				return;
			break;
		case NO_MEMORY:
			fail_search(x, "could not be worked out: out of memory", d);
			return;
		}
	}
}

FZ_HARNESS_CODE_END
