/*
 * fz_sched.h - who runs next: the decision half of the controlled scheduler
 * (the switching half is an engine, fz_engine.h).
 *
 * Exactly one schedule thread runs at a time.  At every scheduling point
 * the running thread asks fz_sched_point whether to go on or whom to hand
 * over to; when it must wait for a lock it calls fz_sched_block; when its
 * program ends, fz_sched_done.  The answer comes first from the schedule's
 * decisions ("run thread t for r points"), then from its strategy
 * (round-robin, seeded random or PCT), all derived from the input bytes.
 *
 * A thread blocked on a lock is never chosen while the lock is held.  No
 * runnable thread while some are unfinished is a deadlock; more scheduling
 * points than the budget is reported as a livelock.
 *
 * The state is plain data, touched by whichever thread runs; callers
 * bracket their calls with FZ_UNTRACKED_BEGIN/END (fz_sanitizer.h).
 */
#ifndef FZ_SCHED_H
#define FZ_SCHED_H

#include <stdbool.h>
#include <stdint.h>

#include "fz_schedule.h"

enum fz_tstate { FZ_T_RUNNABLE, FZ_T_BLOCKED, FZ_T_DONE };
enum fz_sched_failure { FZ_SCHED_OK, FZ_SCHED_DEADLOCK, FZ_SCHED_LIVELOCK };

struct fz_sched {
	unsigned nthreads;
	int current;
	uint8_t state[FZ_MAX_THREADS];
	const void *blocked_on[FZ_MAX_THREADS];
	bool (*lock_busy)(const void *lock);

	uint64_t steps;  /* scheduling points passed */
	uint64_t budget; /* livelock threshold */
	uint64_t switches;

	const struct fz_decision *dec;
	unsigned ndec, next_dec;
	unsigned slice_left; /* points the current thread may still run */

	uint8_t strategy, param;
	uint64_t rng;
	/* PCT: higher runs first; change points lower the running thread. */
	int prio[FZ_MAX_THREADS];
	uint64_t change_at[8];
	unsigned nchanges, next_change;

	enum fz_sched_failure failure;
	const char *why; /* reason for the last choice, for traces */
};

/* est_steps: expected scheduling points of the whole run (for PCT). */
void fz_sched_init(struct fz_sched *s, const struct fz_schedule *sch, uint64_t budget,
		   uint64_t est_steps, bool (*lock_busy)(const void *lock));
/* The first thread to run. */
int fz_sched_first(struct fz_sched *s);
/* At a scheduling point of the current thread: the thread to run next
 * (possibly the current one), or -1 when the step budget is exhausted. */
int fz_sched_point(struct fz_sched *s);
/* The current thread waits for lock: the thread to run instead, or -1 on
 * deadlock. */
int fz_sched_block(struct fz_sched *s, const void *lock);
/* The current thread's program ended: the next thread, or -1 when all are
 * done (failure == OK) or the rest are deadlocked (failure == DEADLOCK). */
int fz_sched_done(struct fz_sched *s);

#endif
