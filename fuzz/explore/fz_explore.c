/*
 * fz_explore.c - the search: depth first over the tree of choices, one run
 * of the program per execution (see fz_explore.h and
 * fz_explore_internal.h for the structure).
 *
 * Loop: run (the chooser replays nodes [0, keep) and extends the path);
 * close the step the run ended inside, if any; count the run (complete,
 * redundant, or blocked by the bound) and its terminal state; analyse it
 * (class, and with DPOR its races, which add branches to nodes on the
 * path); then the next branch is the deepest node with a branch neither
 * run nor asleep, lowest thread first.  The search ends when no branch is
 * left, at the first failure, or at a cap; it is deterministic: the same
 * program gives the same executions in the same order (the time limit can
 * only stop it earlier).
 *
 * A failing execution is written back as decisions: every choice it made,
 * from the first, as "run T for N points" (the form fz_sched replays), so
 * the input replays it exactly through the fuzz target.
 */
#include "fz_explore_internal.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fz_sanitizer.h"

FZ_HARNESS_CODE_BEGIN

static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void on_failure(const struct fz_outcome *o, void *arg)
{
	struct fz_explorer *x = arg;
	x->failed = true;
	x->fail = *o;
}

static void keep_going(const struct fz_outcome *o, void *arg)
{
	(void)o;
	(void)arg;
}

struct fz_explorer *fz_explore_new(const struct fz_explore_options *o, char *err, size_t errlen)
{
	if (o->runner.freerun || o->runner.sequential) {
		snprintf(err, errlen, "exploration needs the controlled scheduler");
		return NULL;
	}
	struct fz_explorer *x = calloc(1, sizeof *x);
	if (x == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	x->o = *o;
	x->chooser = (struct fz_chooser){fz_explore_choose, x};
	struct fz_config cfg = o->runner;
	cfg.chooser = &x->chooser;
	cfg.trace_always = false;
	x->r = fz_runner_new(&cfg, err, errlen);
	if (x->r == NULL) {
		free(x);
		return NULL;
	}
	fz_runner_on_failure(x->r, on_failure, x);
	ph_heap *h = fz_runner_heap(x->r);
	x->first_arena = ph_heap_first_arena(h);
	x->nslots = ph_heap_arena_slots(h);
	x->nobj = FZ_XC_SINGLE + x->nslots;
	x->last_write = calloc(x->nobj, sizeof *x->last_write);
	x->last_read = calloc(x->nobj, sizeof *x->last_read);
	x->seen_rw = calloc(x->nobj, 1);
	if (x->last_write == NULL || x->last_read == NULL || x->seen_rw == NULL) {
		snprintf(err, errlen, "out of memory");
		fz_explore_free(x);
		return NULL;
	}
	return x;
}

void fz_explore_free(struct fz_explorer *x)
{
	if (x == NULL)
		return;
	fz_explore_classes_free(x);
	fz_runner_free(x->r);
	free(x->node);
	free(x->calls);
	free(x->vc);
	free(x->local);
	free(x->mark);
	free(x->last_write);
	free(x->last_read);
	free(x->seen_rw);
	fz_hashset_free(&x->states_seen);
	fz_hashset_free(&x->classes_seen);
	free(x->states.v);
	free(x->classes.v);
	free(x);
}

const uint64_t *fz_explore_states(const struct fz_explorer *x, size_t *n)
{
	*n = x->states.n;
	return x->states.v;
}

const uint64_t *fz_explore_classes(const struct fz_explorer *x, size_t *n)
{
	*n = x->classes.n;
	return x->classes.v;
}

/* The choices of the last run as decisions (see the top of the file);
 * false if they do not fit the format. */
static bool decisions_of_run(const struct fz_explorer *x, struct fz_schedule *s)
{
	unsigned nd = 0;
	int current = -1;
	for (size_t k = 0; k < x->ncalls; k++) {
		const struct fz_xcall *c = &x->calls[k];
		if (c->chosen < 0)
			continue; /* the end, or an abandoned run: no thread to name */
		bool stays = c->call == FZ_CALL_POINT && c->chosen == current && nd > 0 &&
			     s->decisions[nd - 1].run < UINT8_MAX;
		if (stays) {
			s->decisions[nd - 1].run++;
		} else {
			if (nd == FZ_MAX_DECISIONS)
				return false;
			s->decisions[nd++] = (struct fz_decision){(uint8_t)c->chosen, 0};
		}
		current = c->chosen;
	}
	s->ndecisions = (uint16_t)nd;
	return true;
}

static void begin_run(struct fz_explorer *x)
{
	memset(&x->run, 0, sizeof x->run);
	x->ncalls = 0;
	x->failed = false;
}

/* Counts the run that just ended; false when the search must stop. */
static bool end_run(struct fz_explorer *x, const struct fz_outcome *out)
{
	struct fz_explore_result *res = &x->res;
	if (x->run.open) {
		/* The input ended inside this step: a failure, or the overlap
		 * detector catching an injected claim. */
		size_t i = x->run.depth - 1;
		struct fz_xnode *n = &x->node[i];
		struct fz_xevent ev = x->run.ev;
		ev.flags |= FZ_XEV_ENDS;
		x->run.open = false;
		x->run.nsteps = i + 1;
		if ((i + 1 < x->keep || i < x->planned) && !fz_xevent_same(&ev, &n->ev) && x->run.error[0] == '\0')
			snprintf(x->run.error, sizeof x->run.error, "the input ended inside step %zu only this time", i);
		if (i + 1 >= x->keep) {
			n->ev = ev;
			n->tried[ev.thread] = ev;
		}
	}
	res->executions++;
	res->steps += x->run.nsteps;
	if (x->run.nsteps > res->longest)
		res->longest = x->run.nsteps;
	if (x->oom) {
		res->stop = FZ_EXPLORE_ERROR;
		snprintf(res->error, sizeof res->error, "out of memory after %llu executions",
			 (unsigned long long)res->executions);
		return false;
	}
	if (x->run.error[0] != '\0') {
		res->stop = FZ_EXPLORE_ERROR;
		if (x->o.por == FZ_POR_CLASSES) /* what ran was worked out from equivalent interleavings */
			snprintf(res->error, sizeof res->error,
				 "execution %llu: %.140s: a shared access no point announces (a race, a lock not taken), "
				 "or a program that is not deterministic",
				 (unsigned long long)res->executions, x->run.error);
		else
			snprintf(res->error, sizeof res->error, "execution %llu: %.140s: the program is not deterministic",
				 (unsigned long long)res->executions, x->run.error);
		return false;
	}
	if (out->failed) {
		res->stop = FZ_EXPLORE_FAILED;
		res->failure = *out;
		res->failure_preemptions = x->run.preemptions;
		res->failing = x->prog;
		if (!decisions_of_run(x, &res->failing)) {
			res->failing.ndecisions = 0;
			snprintf(res->error, sizeof res->error,
				 "the failing execution needs more than %d decisions; no replayable schedule was written",
				 FZ_MAX_DECISIONS);
		}
		return false;
	}
	bool complete = x->run.terminal || out->detector_fired;
	if (x->run.abandoned)
		res->redundant++;
	else if (x->run.bound_abandoned)
		res->bound_blocked++;
	uint64_t cls = 0;
	bool dpor = x->o.por == FZ_POR_DPOR || x->o.por == FZ_POR_DPOR_CUT;
	if (!fz_explore_analyse(x, dpor, &cls)) {
		res->stop = FZ_EXPLORE_ERROR;
		snprintf(res->error, sizeof res->error, "out of memory analysing execution %llu",
			 (unsigned long long)res->executions);
		return false;
	}
	if (complete) {
		res->complete++;
		if (x->o.por == FZ_POR_NONE)
			res->interleavings++;
		uint64_t state = x->run.terminal ? x->run.state : fz_explore_state_hash(x);
		bool oom = false;
		if (fz_hashset_add(&x->states_seen, state, &oom))
			res->distinct_states++;
		if (fz_hashset_add(&x->classes_seen, cls, &oom))
			res->distinct_classes++;
		if (oom || !fz_hashlist_push(&x->states, state) || !fz_hashlist_push(&x->classes, cls)) {
			res->stop = FZ_EXPLORE_ERROR;
			snprintf(res->error, sizeof res->error, "out of memory recording states");
			return false;
		}
	}
	return true;
}

bool fz_explore_one_run(struct fz_explorer *x)
{
	begin_run(x);
	struct fz_outcome out;
	fz_runner_run(x->r, x->pr, &x->prog, &out);
	return end_run(x, &out);
}

bool fz_explore_capped(struct fz_explorer *x, double t0)
{
	if (x->o.max_executions != 0 && x->res.executions >= x->o.max_executions) {
		x->res.stop = FZ_EXPLORE_CAP;
		return true;
	}
	if (x->o.seconds > 0 && now_seconds() - t0 >= x->o.seconds) {
		x->res.stop = FZ_EXPLORE_TIME;
		return true;
	}
	return false;
}

/* Sets up the next branch: the deepest node with one left; false if none. */
static bool next_branch(struct fz_explorer *x)
{
	for (size_t d = x->run.depth; d-- > 0;) {
		struct fz_xnode *n = &x->node[d];
		if (n->fixed)
			return false;
		fz_tmask left = n->backtrack & (fz_tmask)~(n->done | n->sleep);
		if (left == 0) {
			fz_explore_settle(x, d);
			continue;
		}
		unsigned p = fz_lowest(left);
		n->done |= (fz_tmask)(1u << p);
		n->chosen = (int8_t)p;
		x->keep = d + 1;
		return true;
	}
	return false;
}

/* Branches known but not run (when stopped early). */
static uint64_t pending_branches(const struct fz_explorer *x)
{
	uint64_t n = 0;
	for (size_t d = 0; d < x->keep; d++) {
		const struct fz_xnode *nd = &x->node[d];
		n += (uint64_t)__builtin_popcount(nd->backtrack & (fz_tmask)~(nd->done | nd->sleep));
	}
	return n + 1; /* the branch next_branch had picked */
}

void fz_explore_run(struct fz_explorer *x, const struct fz_profile *pr, const struct fz_schedule *s,
		    struct fz_explore_result *res)
{
	x->pr = pr;
	x->prog = *s;
	if (x->o.drop_decisions)
		x->prog.ndecisions = 0;
	memset(&x->res, 0, sizeof x->res);
	x->res.prefix_decisions = x->prog.ndecisions;
	x->keep = 0;
	x->planned = 0;
	x->oom = false;
	fz_hashset_clear(&x->states_seen);
	fz_hashset_clear(&x->classes_seen);
	x->states.n = x->classes.n = 0;

	double t0 = now_seconds();
	if (x->o.por == FZ_POR_CLASSES) {
		fz_explore_classes_search(x, t0);
	} else {
		for (;;) {
			if (!fz_explore_one_run(x))
				break;
			if (!next_branch(x)) {
				x->res.stop = FZ_EXPLORE_DONE;
				break;
			}
			if (fz_explore_capped(x, t0)) {
				x->res.pending = pending_branches(x);
				break;
			}
		}
	}
	x->res.seconds = now_seconds() - t0;
	*res = x->res;
}

bool fz_explore_replay(const struct fz_config *cfg, const struct fz_profile *pr, const struct fz_schedule *s,
		       FILE *out, struct fz_outcome *o, char *err, size_t errlen)
{
	struct fz_config c = *cfg;
	c.chooser = NULL;
	c.trace_always = out != NULL;
	c.out = out;
	struct fz_runner *r = fz_runner_new(&c, err, errlen);
	if (r == NULL)
		return false;
	fz_runner_on_failure(r, keep_going, NULL); /* the outcome says it all */
	fz_runner_run(r, pr, s, o);
	fz_runner_free(r);
	return true;
}

FZ_HARNESS_CODE_END
