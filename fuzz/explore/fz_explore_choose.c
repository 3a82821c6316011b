/*
 * fz_explore_choose.c - the chooser the controlled scheduler asks at every
 * choice of a run (fz_sched.h): it cuts the run into steps, keeps one node
 * per step on the search stack, and picks who runs next.
 *
 * At each call:
 *  1. The step in progress ends (unless it is a thread's start meeting the
 *     thread's first point: a thread's start and its first operation are
 *     one step).  Its event is what it touched first, a read if that was a
 *     CAS that failed (the heap's count of failed CASes moved), plus a
 *     write of the arena index when the heap grew meanwhile; a step that
 *     ends blocked on the lock (only the file's decisions do that) did not
 *     acquire it.
 *     With DPOR the next node's sleep set follows: the sleeping steps, and
 *     the steps already tried from the node, that are independent of it.
 *     After a branch the bound called for (a conservative branch q,
 *     fz_explore_dpor.c), only the tried step of the thread t that ran
 *     before the node, and only if it released no lock: t's branch there
 *     cost no preemption and q's one, and q then t reaches the state t then
 *     q reaches with no fewer preemptions (as long as q's step leaves q
 *     able to go on, which only a release by t could change); anything
 *     else may have been reached with a smaller budget than this branch's.
 *  2. A node for the state now: which threads can take a step (a thread
 *     whose next step acquires the lock cannot while it is held), whether
 *     the lock is held, the preemptions so far.  A node the next branch
 *     replays is checked against what was recorded: a program that does
 *     not replay the same way is reported, never explored further.
 *  3. The choice: what the decisions picked while they last (a fixed
 *     node), the recorded branch while replaying, else the default: the
 *     running thread if it can go on and is awake (no preemption), else the
 *     lowest awake thread that can - a preemption when the running thread
 *     could have gone on, allowed only below the bound.  Nothing awake: the
 *     run is abandoned (redundant, or blocked by the bound).  Nothing able
 *     to run at all: a deadlock, left to the scheduler to report.
 *
 * Preemptions are counted from where the decisions end; the decisions'
 * own switches are the file's, not the explorer's.
 */
#include "fz_explore_internal.h"

#include <stdlib.h>
#include <string.h>

#include "fz_run_internal.h"
#include "fz_sanitizer.h"

FZ_HARNESS_CODE_BEGIN

bool fz_explore_reserve(struct fz_explorer *x, size_t i)
{
	if (i < x->node_cap)
		return true;
	size_t cap = x->node_cap ? x->node_cap * 2 : 256;
	while (cap <= i)
		cap *= 2;
	struct fz_xnode *n = realloc(x->node, cap * sizeof *n);
	if (n == NULL)
		return false;
	x->node = n;
	x->node_cap = cap;
	return true;
}

static void log_call(struct fz_explorer *x, enum fz_call call, int chosen)
{
	if (x->ncalls == x->calls_cap) {
		size_t cap = x->calls_cap ? x->calls_cap * 2 : 1024;
		struct fz_xcall *c = realloc(x->calls, cap * sizeof *c);
		if (c == NULL) {
			x->oom = true;
			return;
		}
		x->calls = c;
		x->calls_cap = cap;
	}
	x->calls[x->ncalls++] = (struct fz_xcall){(uint8_t)call, (int8_t)chosen};
}

static bool lock_held(const struct fz_explorer *x)
{
	return ph_mutex_is_locked(ph_heap_lock(fz_runner_heap(x->r)));
}

static ph_heap_stats heap_stats(const struct fz_explorer *x)
{
	return ph_heap_get_stats(fz_runner_heap(x->r));
}

bool fz_explore_sleep_sets(const struct fz_explorer *x)
{
	return x->o.por == FZ_POR_DPOR || x->o.por == FZ_POR_DPOR_CUT;
}

bool fz_explore_is_preemption(const struct fz_explorer *x, const struct fz_xnode *n, int t)
{
	(void)x;
	return !n->fixed && n->call == FZ_CALL_POINT && n->prev >= 0 && t != n->prev &&
	       (n->enabled & (1u << n->prev));
}

bool fz_explore_allowed(const struct fz_explorer *x, const struct fz_xnode *n, int t)
{
	if (x->o.preemptions == FZ_EXPLORE_UNBOUNDED)
		return true;
	return n->preemptions + (fz_explore_is_preemption(x, n, t) ? 1 : 0) <= x->o.preemptions;
}

/* The sleeping step of thread t at node i. */
static const struct fz_xevent *sleeping_step(const struct fz_explorer *x, size_t i, unsigned t)
{
	return &x->node[x->node[i].sleep_from[t]].tried[t];
}

/* On the current path, node a's branch preempted thread t, whose step
 * there (tried) released no lock: t, asleep since a, may stay asleep in a
 * branch the bound called for (see the top of the file). */
static bool preempted_there(const struct fz_explorer *x, size_t a, unsigned t)
{
	const struct fz_xnode *n = &x->node[a];
	return n->prev == (int)t && n->chosen != (int)t && fz_explore_is_preemption(x, n, n->chosen) &&
	       !(n->tried[t].flags & FZ_XEV_RELEASE);
}

/* Step 1: the step begun at the last node ended. */
static void close_step(struct fz_explorer *x, enum fz_call call)
{
	size_t i = x->run.depth - 1;
	struct fz_xnode *n = &x->node[i];
	struct fz_xevent ev = x->run.ev;
	ph_heap_stats st = heap_stats(x);
	fz_xevent_outcome(&ev, st.cas_failures != x->run.cas_failures);
	if (st.grows != x->run.grows)
		fz_xevent_add(&ev, FZ_XC_ARENAS, true, 0);
	if (call == FZ_CALL_BLOCK)
		ev.flags &= (uint8_t)~FZ_XEV_ACQUIRE; /* it tried, found the lock held, and waits */
	x->run.open = false;
	x->run.nsteps = i + 1;
	if (i + 1 < x->keep || i < x->planned) {
		/* Replayed, or worked out beforehand (--por classes): the same
		 * step as recorded, else the program is not deterministic (or
		 * the dependency relation left something out) and nothing
		 * recorded can be trusted. */
		if (!fz_xevent_same(&ev, &n->ev) && x->run.error[0] == '\0') {
			char was[80], now[80];
			fz_xevent_describe(&n->ev, was, sizeof was);
			fz_xevent_describe(&ev, now, sizeof now);
			snprintf(x->run.error, sizeof x->run.error,
				 "step %zu did not replay the same way (recorded: %.60s; now: %.60s)", i, was, now);
		}
		if (i + 1 < x->keep)
			return;
	}
	n->ev = ev;
	n->tried[ev.thread] = ev;
	if (!fz_explore_sleep_sets(x))
		return;
	fz_tmask sleep = 0;
	x->run.child_sleep = 0;
	/* A branch the bound called for keeps asleep only the thread it
	 * preempted (see the top of the file). */
	bool conservative = (n->conservative & (1u << ev.thread)) != 0;
	for (fz_tmask m = n->sleep; m; m &= (fz_tmask)(m - 1)) {
		unsigned t = fz_lowest(m);
		if (conservative && !preempted_there(x, n->sleep_from[t], t))
			continue;
		if (t != ev.thread && !fz_xevent_dependent(sleeping_step(x, i, t), &ev)) {
			sleep |= (fz_tmask)(1u << t);
			x->run.child_sleep_from[t] = n->sleep_from[t];
		}
	}
	for (fz_tmask m = n->done & (fz_tmask)~(1u << ev.thread); m; m &= (fz_tmask)(m - 1)) {
		unsigned t = fz_lowest(m);
		if (conservative && !preempted_there(x, i, t))
			continue;
		if (!fz_xevent_dependent(&n->tried[t], &ev)) {
			sleep |= (fz_tmask)(1u << t);
			x->run.child_sleep_from[t] = (uint32_t)i;
		}
	}
	x->run.child_sleep = sleep;
}

/* The threads that can take a step; every thread's next step and the
 * finished ones into next and *finished. */
static fz_tmask enabled_threads(const struct fz_explorer *x, const struct fz_sched *s, bool held,
				struct fz_xevent next[FZ_MAX_THREADS], fz_tmask *finished)
{
	fz_tmask en = 0;
	*finished = 0;
	memset(next, 0, FZ_MAX_THREADS * sizeof *next);
	for (unsigned t = 0; t < s->nthreads; t++) {
		if (s->state[t] == FZ_T_DONE) {
			*finished |= (fz_tmask)(1u << t);
			continue;
		}
		fz_xevent_next(x, s, (int)t, &next[t]);
		if ((next[t].flags & FZ_XEV_ACQUIRE) && held)
			continue;
		en |= (fz_tmask)(1u << t);
	}
	return en;
}

static bool all_done(const struct fz_sched *s)
{
	for (unsigned t = 0; t < s->nthreads; t++)
		if (s->state[t] != FZ_T_DONE)
			return false;
	return true;
}

/* Step 3 for a fresh node: the default choice. */
int fz_explore_default_choice(struct fz_explorer *x, const struct fz_xnode *n)
{
	fz_tmask awake = n->enabled & (fz_tmask)~n->sleep;
	bool prev_can_go_on = n->call == FZ_CALL_POINT && n->prev >= 0 && (n->enabled & (1u << n->prev));
	if (prev_can_go_on) {
		if (awake & (1u << n->prev))
			return n->prev;
		if (awake == 0) {
			x->run.abandoned = true;
			return FZ_SCHED_ABANDON;
		}
		if (!fz_explore_allowed(x, n, (int)fz_lowest(awake))) {
			x->run.bound_abandoned = true;
			return FZ_SCHED_ABANDON;
		}
		return (int)fz_lowest(awake);
	}
	if (awake != 0)
		return (int)fz_lowest(awake);
	if (n->enabled != 0) {
		x->run.abandoned = true;
		return FZ_SCHED_ABANDON;
	}
	/* Nobody can run: at a point the current thread goes on into the lock
	 * and the scheduler reports the deadlock when it blocks. */
	return n->call == FZ_CALL_POINT ? n->prev : -1;
}

/* Step 2 and 3 for a node met for the first time. */
static int fresh_node(struct fz_explorer *x, struct fz_xnode *n, const struct fz_sched *s, enum fz_call call,
		      int decided)
{
	memset(n, 0, sizeof *n);
	n->call = (uint8_t)call;
	n->prev = call == FZ_CALL_FIRST ? -1 : (int8_t)s->current;
	n->lock_held = lock_held(x);
	n->enabled = enabled_threads(x, s, n->lock_held, n->next, &n->finished);
	n->fixed = decided != FZ_SCHED_UNDECIDED;
	n->preemptions = x->run.preemptions;
	if (fz_explore_sleep_sets(x) && x->run.depth > 0) {
		n->sleep = x->run.child_sleep;
		memcpy(n->sleep_from, x->run.child_sleep_from, sizeof n->sleep_from);
	}
	int t = n->fixed ? decided : fz_explore_default_choice(x, n);
	n->chosen = (int8_t)t;
	if (t == FZ_SCHED_ABANDON && x->run.bound_abandoned)
		fz_explore_note_cut(x, x->run.depth);
	if (t < 0 || n->fixed)
		return t;
	n->done = (fz_tmask)(1u << t);
	if (fz_explore_sleep_sets(x)) {
		n->backtrack = n->done;
		return t;
	}
	fz_explore_every_branch(x, n);
	return t;
}

void fz_explore_every_branch(struct fz_explorer *x, struct fz_xnode *n)
{
	for (fz_tmask m = n->enabled; m; m &= (fz_tmask)(m - 1)) {
		unsigned u = fz_lowest(m);
		if (fz_explore_allowed(x, n, (int)u))
			n->backtrack |= (fz_tmask)(1u << u);
		else
			x->res.bound_cut++;
	}
}

/* Step 2 and 3 for a node the run replays. */
static int replayed_node(struct fz_explorer *x, const struct fz_xnode *n, const struct fz_sched *s,
			 enum fz_call call, int decided)
{
	bool held = lock_held(x);
	struct fz_xevent next[FZ_MAX_THREADS];
	fz_tmask finished;
	fz_tmask en = enabled_threads(x, s, held, next, &finished);
	int elsewhere = -1; /* a thread that stands elsewhere than worked out (--por classes) */
	if (x->o.por == FZ_POR_CLASSES)
		for (unsigned t = 0; t < FZ_MAX_THREADS && elsewhere < 0; t++)
			if ((finished | n->finished) & (1u << t) ? (finished ^ n->finished) & (1u << t)
								  : !fz_xevent_same(&next[t], &n->next[t]))
				elsewhere = (int)t;
	if ((en != n->enabled || held != n->lock_held || call != n->call || (decided != FZ_SCHED_UNDECIDED) != n->fixed) &&
	    x->run.error[0] == '\0')
		snprintf(x->run.error, sizeof x->run.error,
			 "the state before step %zu did not replay the same way (threads able to run: %#x, was %#x)",
			 x->run.depth, (unsigned)en, (unsigned)n->enabled);
	if (elsewhere >= 0 && x->run.error[0] == '\0')
		snprintf(x->run.error, sizeof x->run.error,
			 "the state before step %zu did not replay the same way (T%d stands elsewhere than worked out)",
			 x->run.depth, elsewhere);
	if (n->fixed)
		return decided;
	if (n->chosen < 0 || !(en & (1u << n->chosen)))
		return x->run.error[0] ? fz_explore_default_choice(x, &(struct fz_xnode){.enabled = en, .call = (uint8_t)call,
									  .prev = n->prev})
				       : n->chosen;
	return n->chosen;
}

int fz_explore_choose(void *arg, const struct fz_sched *s, enum fz_call call, int decided)
{
	struct fz_explorer *x = arg;
	int cur = s->current;

	if (call == FZ_CALL_POINT && x->run.open && x->run.merging && x->run.thread == cur) {
		x->run.merging = false;
		if (decided == FZ_SCHED_UNDECIDED || decided == cur) {
			log_call(x, call, cur);
			return cur;
		}
		x->run.ev.nacc = 0; /* the decisions switch at the first point: the start was empty */
	}
	if (x->run.open)
		close_step(x, call);

	size_t i = x->run.depth;
	int t;
	if (!fz_explore_reserve(x, i)) {
		x->oom = true;
		t = decided != FZ_SCHED_UNDECIDED ? decided : (call == FZ_CALL_POINT ? cur : -1);
		log_call(x, call, t);
		return t;
	}
	struct fz_xnode *n = &x->node[i];
	t = i < x->keep ? replayed_node(x, n, s, call, decided) : fresh_node(x, n, s, call, decided);
	x->run.depth = i + 1;
	if (t == FZ_SCHED_ABANDON && (call == FZ_CALL_FIRST || call == FZ_CALL_BLOCK)) {
		/* The scheduler takes no abandon here; unreachable (nothing is
		 * asleep at the start, and only a deadlock blocks past the
		 * decisions), but the contract holds regardless. */
		x->run.abandoned = x->run.bound_abandoned = false;
		t = n->enabled ? (int)fz_lowest(n->enabled) : -1;
		n->chosen = (int8_t)t;
	}

	if (call == FZ_CALL_DONE && t == -1 && all_done(s)) {
		x->run.terminal = true;
		x->run.state = fz_explore_state_hash(x);
	}
	if (t >= 0) {
		if (fz_explore_is_preemption(x, n, t))
			x->run.preemptions++;
		x->run.open = true;
		x->run.thread = t;
		fz_xevent_next(x, s, t, &x->run.ev);
		ph_heap_stats st = heap_stats(x);
		x->run.grows = st.grows;
		x->run.cas_failures = st.cas_failures;
		x->run.merging = s->at_kind[t] == FZ_PT_START && s->state[t] != FZ_T_BLOCKED;
	}
	log_call(x, call, t);
	return t;
}

FZ_HARNESS_CODE_END
