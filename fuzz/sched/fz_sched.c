/* fz_sched.c - scheduling decisions and strategies (see fz_sched.h). */
#include "fz_sched.h"

#include <string.h>
#include "fz_sanitizer.h"

FZ_HARNESS_CODE_BEGIN

static uint64_t next_random(struct fz_sched *s)
{
	/* splitmix64: a fixed function of the seed, so runs replay. */
	uint64_t z = (s->rng += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

static bool runnable(struct fz_sched *s, unsigned t)
{
	if (s->state[t] == FZ_T_BLOCKED && !s->lock_busy(s->blocked_on[t])) {
		s->state[t] = FZ_T_RUNNABLE;
		s->blocked_on[t] = NULL;
	}
	return s->state[t] == FZ_T_RUNNABLE;
}

/* t itself if it can run, else the next one that can, cyclically; -1 if none. */
static int runnable_from(struct fz_sched *s, unsigned t)
{
	for (unsigned k = 0; k < s->nthreads; k++) {
		unsigned u = (t + k) % s->nthreads;
		if (runnable(s, u))
			return (int)u;
	}
	return -1;
}

static int highest_priority(struct fz_sched *s)
{
	int best = -1;
	for (unsigned t = 0; t < s->nthreads; t++)
		if (runnable(s, t) && (best < 0 || s->prio[t] > s->prio[best]))
			best = (int)t;
	return best;
}

static int random_runnable(struct fz_sched *s)
{
	return runnable_from(s, (unsigned)(next_random(s) % s->nthreads));
}

/* The chooser's pick, told what the decisions picked (or that they ran out). */
static int ask(struct fz_sched *s, enum fz_call call, int decided)
{
	/* A chooser may allocate: TSan must not track its allocator calls
	 * (made by whichever schedule thread runs; fz_sanitizer.h). */
	FZ_UNTRACKED_BEGIN();
	int t = s->chooser->choose(s->chooser->arg, s, call, decided);
	FZ_UNTRACKED_END();
	if (t >= 0)
		(void)runnable(s, (unsigned)t); /* a waiter picked once the lock is free runs again */
	return t;
}

/* A new choice, made when the current slice is over or the current thread
 * cannot go on. */
static int choose(struct fz_sched *s, enum fz_call call)
{
	if (s->next_dec < s->ndec) {
		const struct fz_decision *d = &s->dec[s->next_dec++];
		s->slice_left = d->run;
		s->why = "decision";
		int t = runnable_from(s, d->thread);
		return s->chooser != NULL ? ask(s, call, t) : t;
	}
	if (s->chooser != NULL) {
		/* A slice the last decision left unused (its thread blocked or
		 * finished) belongs to no one: every later point is the chooser's. */
		s->slice_left = 0;
		s->why = "explore";
		return ask(s, call, FZ_SCHED_UNDECIDED);
	}
	switch (s->strategy) {
	case FZ_STRAT_RR:
		s->slice_left = s->param; /* quantum param+1, this point included */
		s->why = "round-robin";
		return runnable_from(s, (unsigned)(s->current + 1) % s->nthreads);
	case FZ_STRAT_RANDOM:
		s->why = "random";
		return random_runnable(s);
	default:
		s->why = "pct";
		return highest_priority(s);
	}
}

void fz_sched_init(struct fz_sched *s, const struct fz_schedule *sch, uint64_t budget,
		   uint64_t est_steps, bool (*lock_busy)(const void *lock))
{
	memset(s, 0, sizeof *s);
	s->nthreads = sch->nthreads;
	s->lock_busy = lock_busy;
	s->budget = budget;
	s->dec = sch->decisions;
	s->ndec = sch->ndecisions;
	s->strategy = sch->strategy;
	s->param = sch->param;
	s->rng = sch->seed;
	s->why = "start";
	for (unsigned t = 0; t < FZ_MAX_THREADS; t++)
		s->at_kind[t] = FZ_PT_START;
	if (s->strategy == FZ_STRAT_PCT) {
		/* Random distinct priorities above the change-point levels. */
		unsigned depth = s->param + 1u;
		for (unsigned t = 0; t < s->nthreads; t++)
			s->prio[t] = (int)(depth + t);
		for (unsigned t = s->nthreads - 1; t > 0; t--) {
			unsigned k = (unsigned)(next_random(s) % (t + 1));
			int tmp = s->prio[t];
			s->prio[t] = s->prio[k];
			s->prio[k] = tmp;
		}
		s->nchanges = depth - 1;
		for (unsigned i = 0; i < s->nchanges; i++)
			s->change_at[i] = 1 + next_random(s) % (est_steps ? est_steps : 1);
		/* Sorted, so they are met in order. */
		for (unsigned i = 1; i < s->nchanges; i++)
			for (unsigned j = i; j > 0 && s->change_at[j - 1] > s->change_at[j]; j--) {
				uint64_t tmp = s->change_at[j];
				s->change_at[j] = s->change_at[j - 1];
				s->change_at[j - 1] = tmp;
			}
	}
}

int fz_sched_first(struct fz_sched *s)
{
	s->current = 0;
	int t = choose(s, FZ_CALL_FIRST);
	s->current = t < 0 ? 0 : t;
	return s->current;
}

static int switch_to(struct fz_sched *s, int t)
{
	if (t >= 0 && t != s->current)
		s->switches++;
	if (t >= 0)
		s->current = t;
	return t;
}

int fz_sched_point(struct fz_sched *s, unsigned kind, uintptr_t obj)
{
	s->at_kind[s->current] = (uint8_t)kind;
	s->at_obj[s->current] = obj;
	if (++s->steps > s->budget) {
		s->failure = FZ_SCHED_LIVELOCK;
		return -1;
	}
	if (s->chooser != NULL) {
		/* The decisions' slices hold as always; the chooser sees every point. */
		if (s->slice_left > 0) {
			s->slice_left--;
			return switch_to(s, ask(s, FZ_CALL_POINT, s->current));
		}
		return switch_to(s, choose(s, FZ_CALL_POINT));
	}
	if (s->strategy == FZ_STRAT_PCT && s->next_dec >= s->ndec) {
		while (s->next_change < s->nchanges && s->change_at[s->next_change] <= s->steps) {
			/* Below every initial priority, later changes lower still. */
			s->prio[s->current] = (int)(s->nchanges - s->next_change) - 1;
			s->next_change++;
		}
		s->why = "pct";
		return switch_to(s, highest_priority(s));
	}
	if (s->next_dec >= s->ndec && s->strategy == FZ_STRAT_RANDOM) {
		if (next_random(s) % (s->param + 2u) != 0)
			return s->current;
		s->why = "random";
		return switch_to(s, random_runnable(s));
	}
	if (s->slice_left > 0) {
		s->slice_left--;
		return s->current;
	}
	return switch_to(s, choose(s, FZ_CALL_POINT));
}

int fz_sched_block(struct fz_sched *s, const void *lock)
{
	s->state[s->current] = FZ_T_BLOCKED;
	s->blocked_on[s->current] = lock;
	int t = choose(s, FZ_CALL_BLOCK);
	if (t < 0)
		s->failure = FZ_SCHED_DEADLOCK;
	s->why = t < 0 ? "deadlock" : "blocked";
	return switch_to(s, t);
}

int fz_sched_done(struct fz_sched *s)
{
	s->state[s->current] = FZ_T_DONE;
	int t = choose(s, FZ_CALL_DONE);
	if (t >= 0 || t == FZ_SCHED_ABANDON)
		return switch_to(s, t);
	for (unsigned u = 0; u < s->nthreads; u++)
		if (s->state[u] != FZ_T_DONE) {
			s->failure = FZ_SCHED_DEADLOCK;
			s->why = "deadlock";
			return -1;
		}
	s->why = "all done";
	return -1;
}

FZ_HARNESS_CODE_END
