/*
 * fz_explore_dpor.c - after a run: the execution's happens-before order,
 * its class, and (with DPOR) the races that make new branches.
 *
 * Happens-before is program order plus the order of dependent steps
 * (fz_explore_event.c), kept as vector clocks: vc[i][u] is the number of
 * thread u's steps that happen before step i or are step i.  Equivalent
 * interleavings have the same steps per thread with the same clocks, so
 * the clocks, taken thread by thread, are a canonical name of the class
 * (the class hash, which tests compare across --por none and dpor).
 *
 * Source-set DPOR (Abdulla, Aronis, Jonsson, Sagonas, POPL 2014, Alg. 1),
 * run over the whole execution once it is over rather than step by step,
 * which finds the same races:
 *  - steps j < i of different threads race when they are dependent and
 *    nothing lies between them in happens-before (j happens before no other
 *    direct predecessor of i, i's own previous step included);
 *  - the race is reversed at node j (the state before j): v is the steps
 *    after j that do not happen after j, then i; if no initial of v (a
 *    thread whose first step in v has no predecessor in v) is already a
 *    branch of node j, or asleep there, one is added - i's own thread when
 *    it is an initial.
 * Steps carry what they did: a CAS that failed is a read of its word
 * (fz_explore_event.c), so it races with the write it lost to, not with
 * the loads and failed CASes around it.  Every step of v reads in v what
 * it read in the execution, except i, which no longer follows j: a failed
 * CAS there counts as the write it may become when the initials are taken.
 * The heap lock needs two refinements, the usual treatment of mutexes in
 * stateless model checkers: an acquire after a release can never be
 * reversed (the acquiring thread cannot run while the lock is held), so
 * for an acquire the race that counts is with the previous acquire by
 * another thread, skipping its release; and any reversal whose i acquires
 * the lock is dropped when the lock would still be held after v.
 *
 * The bound.  A branch that would cost a preemption beyond K is not added
 * (counted in bound_cut).  Cutting alone loses classes that do fit the
 * bound, because the order DPOR happens to reach a class in may cost more
 * preemptions than another order of the same class (Coons, Musuvathi and
 * McKinley, "Bounded partial-order reduction", OOPSLA 2013).  So, as their
 * BPOR does, when a reversal's branch is a preemption, the same thread is
 * also offered at the latest context switch before it, where taking it
 * instead costs no extra preemption (a "conservative" branch).  Two
 * savings on BPOR:
 *  - the conservative twin is needed only if the bound cut something below
 *    the branch: when the branch itself is cut it is offered at once;
 *    otherwise it is deferred (node->deferred) and offered when the
 *    branch's node has no branch left, if the bound cut a branch or
 *    abandoned a run anywhere in that branch's subtree (node->cut_below,
 *    fz_explore_note_cut); a subtree the bound never touched was explored
 *    as unbounded DPOR explores it, which needs no twin;
 *  - a conservative branch q at node k starts with a sleep set that holds
 *    at most k's earlier branch t that q preempted there (t ran before k,
 *    and its step released no lock; fz_explore_choose.c); every other
 *    sleeper is dropped, since the branch that put it to sleep may have
 *    had a smaller budget than this one.
 * On every seed program at K = 1 and 2 this reaches exactly the terminal
 * states --por none reaches within the same bound (tests/scripts/explore.sh
 * and tests/test_explore.c check it), but it is not complete: on
 * three-caches at K = 3 it reaches 1587 of the 1597 (--por classes, which
 * takes the bound as the plain search does, reaches them all).
 * --por dpor-cut leaves the compensation out: the bound only cuts.
 * Tried and dropped, as they lose terminal states on the seeds (measured
 * with tests/scripts/explore.sh's check): keeping a conservative branch's
 * sleepers whose steps touch nothing the owing reversal touches (loses
 * states on every seed: the sleepers are woken for the budget, not for
 * what they touch); and bounding the class rather than the path (the
 * fewest preemptions of any order of the path's steps, by a search over
 * downsets) with sleep sets kept and no twins: optimal on three-claims and
 * three-arenas, but DPOR then misses races only runs past K would show
 * (three-caches: 441 of 481 states; the looser bound that keeps them all
 * runs ~4500 executions, more than --por none); and a table of fully
 * explored subtrees keyed by the prefix's class, the last thread and the
 * budget left, whose entries let a later branch skip a subtree after
 * replaying its recorded steps against the current path (so their races
 * still add branches; Yang, Chen, Gopalakrishnan and Kirby, SPIN 2008):
 * every state kept, but K = 2 gave 930 / 122 / 66 executions on
 * three-caches / three-arenas / three-claims (4.3x / 8.0x / 2.7x) and ran
 * slower, because the skipped duplicates mostly became runs abandoned a few
 * steps lower, and the twins' prefixes meet explored classes only near
 * their ends (local branch issue12d-cache).
 *
 * A run the overlap detector ended early (its last step ENDS) also races
 * with every other thread's pending step: those are tried before it.
 */
#include "fz_explore_internal.h"

#include <stdlib.h>
#include <string.h>

#include "fz_sanitizer.h"

FZ_HARNESS_CODE_BEGIN

#define MAX_PREDS (2 * (1 + FZ_MAX_THREADS) + FZ_MAX_THREADS)

struct preds {
	int32_t at[MAX_PREDS];
	bool via_lock[MAX_PREDS]; /* only through the lock */
	unsigned n;
};

static void add_pred(struct preds *p, int32_t j, bool via_lock)
{
	for (unsigned k = 0; k < p->n; k++)
		if (p->at[k] == j) {
			p->via_lock[k] = p->via_lock[k] && via_lock;
			return;
		}
	if (p->n < MAX_PREDS) {
		p->at[p->n] = j;
		p->via_lock[p->n++] = via_lock;
	}
}

static bool scratch(struct fz_explorer *x, size_t m)
{
	if (m <= x->scratch_cap)
		return true;
	size_t cap = x->scratch_cap ? x->scratch_cap : 256;
	while (cap < m)
		cap *= 2;
	void *vc = realloc(x->vc, cap * sizeof *x->vc);
	if (vc == NULL)
		return false;
	x->vc = vc;
	void *local = realloc(x->local, cap * sizeof *x->local);
	if (local == NULL)
		return false;
	x->local = local;
	void *mark = realloc(x->mark, cap);
	if (mark == NULL)
		return false;
	x->mark = mark;
	x->scratch_cap = cap;
	return true;
}

static unsigned thr(const struct fz_explorer *x, size_t i)
{
	return x->node[i].ev.thread;
}

/* Step a happens before step b (a < b). */
static bool hb(const struct fz_explorer *x, int32_t a, int32_t b)
{
	return a < b && x->vc[b][thr(x, (size_t)a)] >= x->local[a];
}

static bool is_acquire(const struct fz_explorer *x, size_t i)
{
	return (x->node[i].ev.flags & FZ_XEV_ACQUIRE) != 0;
}

/* Node n's latest context switch strictly before it (the start counts),
 * or -1 when there is none outside the fixed prefix. */
static long last_switch_before(const struct fz_explorer *x, size_t n)
{
	for (size_t k = n; k-- > 0;) {
		const struct fz_xnode *nd = &x->node[k];
		if (nd->fixed)
			return -1;
		if (nd->prev < 0 || nd->chosen != nd->prev)
			return (long)k;
	}
	return -1;
}

/* Offers q at node k if it can run there, is new there, and fits the bound. */
static bool offer(struct fz_explorer *x, size_t k, unsigned q, bool conservative)
{
	struct fz_xnode *at = &x->node[k];
	if (!(at->enabled & (1u << q)) || !fz_explore_allowed(x, at, (int)q))
		return false;
	if (conservative && !(at->done & (1u << q)))
		at->conservative |= (fz_tmask)(1u << q);
	if ((at->backtrack | at->sleep) & (1u << q))
		return false;
	at->backtrack |= (fz_tmask)(1u << q);
	return true;
}

/* Adds one of the initials to node n's branches, within the bound.  When
 * the one chosen costs a preemption there, the same thread is also offered
 * at the latest context switch before n, where taking it instead costs
 * nothing extra (Coons et al.): the bound may make that the only way to
 * reach the reversed order within K. */
static void add_branch(struct fz_explorer *x, size_t n, fz_tmask initials, unsigned prefer)
{
	struct fz_xnode *nd = &x->node[n];
	if (initials & (nd->backtrack | nd->sleep))
		return;
	fz_tmask cand = initials & nd->enabled;
	if (cand == 0)
		return; /* cannot happen: an initial's first step is enabled where v starts */
	unsigned q = (cand & (1u << prefer)) ? prefer : fz_lowest(cand);
	if (!fz_explore_allowed(x, nd, (int)q))
		for (fz_tmask m = cand; m; m &= (fz_tmask)(m - 1))
			if (fz_explore_allowed(x, nd, (int)fz_lowest(m))) {
				q = fz_lowest(m);
				break;
			}
	bool preempts = fz_explore_is_preemption(x, nd, (int)q);
	bool cut = !fz_explore_allowed(x, nd, (int)q);
	if (!offer(x, n, q, false))
		x->res.bound_cut++;
	if (cut)
		fz_explore_note_cut(x, n);
	if (!preempts || x->o.preemptions == FZ_EXPLORE_UNBOUNDED || x->o.por != FZ_POR_DPOR)
		return;
	if (cut) {
		long k = last_switch_before(x, n);
		if (k >= 0 && !offer(x, (size_t)k, q, true) && !fz_explore_allowed(x, &x->node[k], (int)q))
			fz_explore_note_cut(x, (size_t)k);
	} else {
		nd->deferred |= (fz_tmask)(1u << q);
	}
}

void fz_explore_note_cut(struct fz_explorer *x, size_t m)
{
	for (size_t a = 0; a < m; a++) {
		struct fz_xnode *nd = &x->node[a];
		if (nd->chosen >= 0)
			nd->cut_below |= (fz_tmask)(1u << nd->chosen);
	}
}

void fz_explore_settle(struct fz_explorer *x, size_t d)
{
	struct fz_xnode *nd = &x->node[d];
	fz_tmask need = nd->deferred & nd->cut_below;
	nd->deferred = 0;
	if (need == 0)
		return;
	long k = last_switch_before(x, d);
	if (k < 0)
		return;
	for (; need; need &= (fz_tmask)(need - 1)) {
		unsigned q = fz_lowest(need);
		if (!offer(x, (size_t)k, q, true) && !fz_explore_allowed(x, &x->node[k], (int)q))
			fz_explore_note_cut(x, (size_t)k);
	}
}

/* Reverses the race of steps j < i (see the top of the file). */
static void reverse(struct fz_explorer *x, int32_t j, int32_t i)
{
	struct fz_xnode *nj = &x->node[j];
	if (nj->fixed)
		return;
	/* v = the steps after j that do not happen after j, then i. */
	bool held = nj->lock_held;
	for (int32_t k = j + 1; k < i; k++) {
		x->mark[k] = !hb(x, j, k);
		if (!x->mark[k])
			continue;
		if (x->node[k].ev.flags & FZ_XEV_ACQUIRE)
			held = true;
		if (x->node[k].ev.flags & FZ_XEV_RELEASE)
			held = false;
	}
	x->mark[i] = 1;
	if (is_acquire(x, (size_t)i) && held)
		return; /* i could not take the lock there */

	/* Initials of v: threads whose first step in v conflicts with no
	 * earlier step of v.  seen_rw: bit 0 read, bit 1 written in v so far.
	 * Every step of v but i reads what it read in this execution; i no
	 * longer follows j, so a CAS that failed there may succeed: it counts
	 * as the write it may be. */
	memset(x->seen_rw, 0, x->nobj);
	fz_tmask seen = 0, initials = 0;
	bool anything = false, ended = false;
	for (int32_t k = j + 1; k <= i; k++) {
		if (!x->mark[k])
			continue;
		const struct fz_xevent *e = &x->node[k].ev;
		if (!(seen & (1u << e->thread))) {
			seen |= (fz_tmask)(1u << e->thread);
			bool conflict = ended || ((e->flags & FZ_XEV_ENDS) && anything);
			bool moved = k == i && (e->flags & FZ_XEV_FAILED);
			for (unsigned a = 0; a < e->nacc && !conflict; a++) {
				bool w = e->acc[a].write || (moved && a == 0);
				conflict = (x->seen_rw[fz_xobj(&e->acc[a])] & (w ? 3 : 2)) != 0;
			}
			if (!conflict)
				initials |= (fz_tmask)(1u << e->thread);
		}
		for (unsigned a = 0; a < e->nacc; a++)
			x->seen_rw[fz_xobj(&e->acc[a])] |= (uint8_t)(e->acc[a].write ? 2 : 1);
		anything = true;
		ended = ended || (e->flags & FZ_XEV_ENDS);
	}
	add_branch(x, (size_t)j, initials, thr(x, (size_t)i));
}

/* Races of step i with the steps before it. */
static void races_of(struct fz_explorer *x, int32_t i, const struct preds *p, int32_t prev, int32_t last_acquire)
{
	unsigned t = thr(x, (size_t)i);
	bool acquire = is_acquire(x, (size_t)i);
	for (unsigned a = 0; a < p->n; a++) {
		int32_t j = p->at[a];
		if (thr(x, (size_t)j) == t || (acquire && p->via_lock[a]))
			continue;
		bool immediate = !(prev >= 0 && hb(x, j, prev));
		for (unsigned b = 0; b < p->n && immediate; b++)
			if (b != a && hb(x, j, p->at[b]))
				immediate = false;
		if (immediate)
			reverse(x, j, i);
	}
	if (acquire && last_acquire >= 0 && thr(x, (size_t)last_acquire) != t) {
		int32_t j = last_acquire;
		bool immediate = !(prev >= 0 && hb(x, j, prev));
		for (unsigned b = 0; b < p->n && immediate; b++)
			if (!p->via_lock[b] && p->at[b] != j && hb(x, j, p->at[b]))
				immediate = false;
		if (immediate)
			reverse(x, j, i);
	}
}

bool fz_explore_analyse(struct fz_explorer *x, bool dpor, uint64_t *cls)
{
	size_t m = x->run.nsteps;
	unsigned nthreads = x->prog.nthreads;
	if (!scratch(x, m + 1))
		return false;
	for (unsigned o = 0; o < x->nobj; o++) {
		x->last_write[o] = -1;
		for (unsigned u = 0; u < FZ_MAX_THREADS; u++)
			x->last_read[o][u] = -1;
	}
	int32_t last_of[FZ_MAX_THREADS];
	uint32_t count[FZ_MAX_THREADS] = {0};
	uint64_t th[FZ_MAX_THREADS];
	for (unsigned u = 0; u < FZ_MAX_THREADS; u++) {
		last_of[u] = -1;
		th[u] = u + 1;
	}
	int32_t last_acquire = -1;

	for (size_t i = 0; i < m; i++) {
		const struct fz_xevent *e = &x->node[i].ev;
		unsigned t = e->thread;
		int32_t prev = last_of[t];
		struct preds p = {.n = 0};
		for (unsigned a = 0; a < e->nacc; a++) {
			unsigned o = fz_xobj(&e->acc[a]);
			bool lock = e->acc[a].cls == FZ_XC_LOCK;
			if (x->last_write[o] >= 0)
				add_pred(&p, x->last_write[o], lock);
			if (e->acc[a].write)
				for (unsigned u = 0; u < nthreads; u++)
					if (x->last_read[o][u] >= 0)
						add_pred(&p, x->last_read[o][u], lock);
		}
		if (e->flags & FZ_XEV_ENDS)
			for (unsigned u = 0; u < nthreads; u++)
				if (u != t && last_of[u] >= 0)
					add_pred(&p, last_of[u], false);

		uint32_t *vc = x->vc[i];
		if (prev >= 0)
			memcpy(vc, x->vc[prev], sizeof x->vc[i]);
		else
			memset(vc, 0, sizeof x->vc[i]);
		for (unsigned a = 0; a < p.n; a++)
			for (unsigned u = 0; u < FZ_MAX_THREADS; u++)
				if (x->vc[p.at[a]][u] > vc[u])
					vc[u] = x->vc[p.at[a]][u];
		vc[t] = x->local[i] = ++count[t];

		th[t] = fz_xmix(th[t], (uint64_t)e->flags << 8 | e->nacc);
		for (unsigned a = 0; a < e->nacc; a++)
			th[t] = fz_xmix(th[t], (uint64_t)fz_xobj(&e->acc[a]) << 1 | e->acc[a].write);
		for (unsigned u = 0; u < nthreads; u++)
			th[t] = fz_xmix(th[t], vc[u]);

		if (dpor)
			races_of(x, (int32_t)i, &p, prev, last_acquire);

		for (unsigned a = 0; a < e->nacc; a++) {
			unsigned o = fz_xobj(&e->acc[a]);
			if (e->acc[a].write) {
				x->last_write[o] = (int32_t)i;
				for (unsigned u = 0; u < FZ_MAX_THREADS; u++)
					x->last_read[o][u] = -1;
			} else {
				x->last_read[o][t] = (int32_t)i;
			}
		}
		last_of[t] = (int32_t)i;
		if (e->flags & FZ_XEV_ACQUIRE)
			last_acquire = (int32_t)i;
	}

	uint64_t h = 0x6a09e667f3bcc908ull;
	for (unsigned u = 0; u < nthreads; u++)
		h = fz_xmix(h, th[u]);
	*cls = h;

	/* Ended inside its last step: every other thread's pending step races with it. */
	if (dpor && m > 0 && (x->node[m - 1].ev.flags & FZ_XEV_ENDS)) {
		const struct fz_xnode *n = &x->node[m - 1];
		for (fz_tmask r = n->enabled & (fz_tmask)~(1u << n->ev.thread); r; r &= (fz_tmask)(r - 1)) {
			unsigned q = fz_lowest(r);
			add_branch(x, m - 1, (fz_tmask)(1u << q), q);
		}
	}
	return true;
}

FZ_HARNESS_CODE_END

