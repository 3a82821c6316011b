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
 * Exploration (fuzz/explore/) replaces the strategy by a chooser: once
 * installed it is asked at every choice (the first thread, every point,
 * every block, every finished thread), told what the decisions picked
 * while they last, and picks by itself afterwards.  It sees where every
 * thread stands (at_kind/at_obj), which is what each will touch next.
 *
 * The state is plain data, touched by whichever thread runs, in harness
 * code ThreadSanitizer does not see (fz_sanitizer.h); a chooser is called
 * inside FZ_UNTRACKED_BEGIN/END, as it may allocate.
 */
#ifndef FZ_SCHED_H
#define FZ_SCHED_H

#include <stdbool.h>
#include <stdint.h>

#include "fz_schedule.h"
#include "ph_hooks.h"

enum fz_tstate { FZ_T_RUNNABLE, FZ_T_BLOCKED, FZ_T_DONE };
enum fz_sched_failure { FZ_SCHED_OK, FZ_SCHED_DEADLOCK, FZ_SCHED_LIVELOCK };

/* Where a thread stands (at_kind): an allocator point (enum ph_point, its
 * object in at_obj), FZ_PT_OP before operation number at_obj of its
 * program, or FZ_PT_START before it first ran. */
enum { FZ_PT_OP = PH_PT_COUNT, FZ_PT_START, FZ_PT_KINDS };

/* The moments a choice is made. */
enum fz_call { FZ_CALL_FIRST, FZ_CALL_POINT, FZ_CALL_BLOCK, FZ_CALL_DONE };

#define FZ_SCHED_ABANDON (-2)   /* chooser: end this input quietly, no verdict */
#define FZ_SCHED_UNDECIDED (-3) /* to a chooser: the decisions have run out */

struct fz_sched;
/* decided: the thread the schedule's decisions pick (the chooser must
 * return it), or FZ_SCHED_UNDECIDED.  Returns the thread to run, -1 when
 * none can (at a point: never; return the current thread, which then
 * blocks and the deadlock is reported), or FZ_SCHED_ABANDON (at a point or
 * a finished thread only).  Called inside FZ_UNTRACKED regions. */
struct fz_chooser {
	int (*choose)(void *arg, const struct fz_sched *s, enum fz_call call, int decided);
	void *arg;
};

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

	uint8_t at_kind[FZ_MAX_THREADS]; /* where each thread stands (see FZ_PT_OP) */
	uintptr_t at_obj[FZ_MAX_THREADS];
	const struct fz_chooser *chooser; /* NULL: the strategy decides */
};

/* est_steps: expected scheduling points of the whole run (for PCT). */
void fz_sched_init(struct fz_sched *s, const struct fz_schedule *sch, uint64_t budget,
		   uint64_t est_steps, bool (*lock_busy)(const void *lock));
/* The first thread to run. */
int fz_sched_first(struct fz_sched *s);
/* At a scheduling point of the current thread, standing before an access
 * of kind `kind` (enum ph_point or FZ_PT_OP) to obj: the thread to run next
 * (possibly the current one), -1 when the step budget is exhausted, or
 * FZ_SCHED_ABANDON from a chooser. */
int fz_sched_point(struct fz_sched *s, unsigned kind, uintptr_t obj);
/* The current thread waits for lock: the thread to run instead, or -1 on
 * deadlock. */
int fz_sched_block(struct fz_sched *s, const void *lock);
/* The current thread's program ended: the next thread, or -1 when all are
 * done (failure == OK) or the rest are deadlocked (failure == DEADLOCK), or
 * FZ_SCHED_ABANDON from a chooser. */
int fz_sched_done(struct fz_sched *s);

#endif
