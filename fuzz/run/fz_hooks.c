/*
 * fz_hooks.c - the allocator's hooks (allocator/ph_hooks.h), implemented
 * for the runner: scheduling points hand control to the controlled
 * scheduler, lock waits let other threads run, notes go to the trace, to
 * the decision oracles and to the interleaving feedback (fz_feedback.h),
 * zeroing goes through the memory oracles' bulk pass.  With no schedule
 * running (the main thread's set-up and clean-up) every hook returns at
 * once.
 */
#include <string.h>

#include "fz_bulk.h"
#include "fz_run_internal.h"
#include "fz_sanitizer.h"

FZ_HARNESS_CODE_BEGIN

static void livelock(struct fz_runner *r, int me)
{
	struct fz_verdict v;
	if (r->cfg.freerun)
		fz_fail_verdict(&v, "LIVELOCK",
				"thread T%d passed %llu scheduling points in one input: it retries forever", me,
				(unsigned long long)r->cfg.budget);
	else
		fz_fail_verdict(&v, "LIVELOCK",
				"no thread finished within %llu scheduling points: some thread retries forever",
				(unsigned long long)r->cfg.budget);
	fz_runner_fail(r, me, &v, NULL);
	fz_runner_unwind(r, me);
}

/* Hands control from me to next and returns when me runs again; unwinds
 * instead if the input was abandoned meanwhile. */
static void hand_over(struct fz_runner *r, int me, int next)
{
	if (next != me)
		fz_engine_switch(r->engine, me, next);
	if (fz_runner_unwinding(r))
		fz_runner_unwind(r, me);
}

void fz_runner_point(struct fz_runner *r, unsigned kind, uintptr_t obj)
{
	if (fz_runner_unwinding(r))
		fz_runner_unwind(r, r->sched.current);
	int me = r->sched.current;
	int next = fz_sched_point(&r->sched, kind, obj);
	if (next == FZ_SCHED_ABANDON)
		fz_runner_unwind(r, me); /* an explorer has seen enough of this input */
	if (next < 0)
		livelock(r, me);
	hand_over(r, me, next);
}

#if PH_HOOKS
/* Hook-free builds (stress-fast, benchmarks) have no hooks to implement. */

/* Free-running threads are not scheduled, but each counts its own points,
 * so a thread that loops forever (a CAS retried with a stale value) ends
 * the input as a LIVELOCK instead of hanging it: a count, not a clock.
 * The other threads are not unwound here, in the middle of the allocator:
 * one holding the heap lock would leave the rest asleep on its futex.
 * They stop between operations. */
static void freerun_point(struct fz_runner *r)
{
	int me = fz_current_tid(r);
	if (me < 0)
		return;
	if (++r->t[me].points > r->cfg.budget)
		livelock(r, me);
}

void ph_hook_point(enum ph_point pt, uintptr_t obj)
{
	struct fz_runner *r = fz_active_runner;
	if (r == NULL || !r->hooks_on || r->cfg.sequential)
		return;
	if (r->cfg.freerun) {
		freerun_point(r);
		return;
	}
	fz_runner_point(r, pt, obj);
}

bool ph_hook_lock_wait(const void *lock)
{
	struct fz_runner *r = fz_active_runner;
	if (r == NULL || !r->hooks_on || r->cfg.freerun || r->cfg.sequential)
		return false; /* sleep on the futex like any program */
	int me = r->sched.current;
	fz_runner_trace(r, me, &(struct fz_event){.kind = FZ_EV_BLOCK});
	if (r->fb != NULL)
		fz_feedback_lock_wait(r->fb, me);
	int next = fz_sched_block(&r->sched, lock);
	if (next < 0) {
		struct fz_verdict v;
		fz_fail_verdict(&v, "DEADLOCK", "thread T%d waits for the heap lock and no thread can run", me);
		fz_runner_fail(r, me, &v, NULL);
		fz_runner_unwind(r, me);
	}
	hand_over(r, me, next);
	return true;
}

void ph_hook_note(enum ph_note_kind kind, uintptr_t base, uintptr_t npages, uintptr_t arena, uintptr_t a, uintptr_t b,
		  bool ok)
{
	const struct ph_note note = {kind, base, npages, arena, a, b, ok}, *n = &note;
	struct fz_runner *r = fz_active_runner;
	if (r == NULL || !r->hooks_on)
		return;
	int tid = fz_current_tid(r);
	if (tid < 0)
		return;
	struct fz_verdict v;
	fz_trace_add(r->trace, tid, &(struct fz_event){
		.kind = FZ_EV_NOTE, .sub = (uint8_t)n->kind, .ok = n->ok, .base = n->base,
		.npages = n->npages, .arena = n->arena, .a = n->a, .b = n->b});
	if (n->kind == PH_NOTE_CLAIM && !r->cfg.freerun)
		fz_claim_add(r->dec, tid, n->base, n->npages, false, r->t[tid].pending_id);
	if (r->fb != NULL)
		fz_feedback_note(r->fb, tid, n);
	if (!fz_decisions_note(r->dec, tid, n, &r->shadow, &v)) {
		fz_runner_fail(r, tid, &v, NULL);
		fz_runner_unwind(r, tid);
	}
}

/* The allocator zeroes a span like the memory oracles check one: every
 * byte out of the sanitizers' sight, one write per page that TSan sees, so
 * zeroing a page someone else still uses remains a race it reports. */
void ph_hook_zero(void *p, size_t n)
{
	struct fz_runner *r = fz_active_runner;
	if (r == NULL) {
		memset(p, 0, n);
		return;
	}
	fz_bulk_clear(p, n, ph_page_size(r->g));
}
#endif

FZ_HARNESS_CODE_END
