/*
 * fz_run_internal.h - the runner's state, shared by fz_run.c (inputs and
 * operations) and fz_hooks.c (the allocator's hooks).
 */
#ifndef FZ_RUN_INTERNAL_H
#define FZ_RUN_INTERNAL_H

#include <setjmp.h>

#include "fz_feedback.h"
#include "fz_run.h"
#include "fz_sanitizer.h"
#include "fz_sched.h"
#include "fz_trace.h"
#include "ph_heap.h"

#define FZ_MAX_LIVE FZ_MAX_OPS

struct fz_tctx {
	int tid;
	ph_p p;
	jmp_buf unwind;        /* where an abandoned input unwinds to */
	struct fz_live live[FZ_MAX_LIVE];
	unsigned nlive;
	uint32_t pending_id;   /* number of the allocation in progress */
	uint64_t points;       /* free-running: scheduling points this input;
				* written only by the thread itself */
};

struct fz_runner {
	struct fz_config cfg;
	const ph_geom *g;
	ph_heap *heap;
	unsigned char *mem;   /* ph_heap_ptr(heap, g->heap_vbase): fixed for the heap's life */
	struct fz_engine *engine;
	struct fz_sched sched;
	struct fz_trace *trace;
	struct fz_shadow shadow;
	uint64_t arenas_seen[FZ_ARENA_SEEN_WORDS]; /* fz_span_in_arenas' cache; cleared with the heap */
	struct fz_decisions *dec;
	struct fz_feedback *fb; /* NULL unless cfg.feedback or cfg.count_features */
	struct fz_tctx t[FZ_MAX_THREADS];

	const struct fz_schedule *s;
	const struct fz_profile *pr;
	char summary[200];    /* the trace's title, written when a trace is printed */

	bool hooks_on;        /* schedule threads are running */
	int seq_tid;          /* sequential mode: the program being run */
	uint32_t unwinding;   /* abandon the input: set atomically; read atomically
			       * when free-running (fz_runner_unwinding) */
	uint32_t failing;     /* relaxed atomic: a failure is being reported;
			       * only the thread that set it reports (and dies) */
	uint32_t arrived;     /* relaxed atomic: free-running start barrier */
	uint32_t next_id;
	bool raw_claims;      /* the input made fault-injected claims */
	fz_body_fn body;      /* fz_runner_run_bodies: runs instead of the ops */
	void *body_arg;
	struct fz_outcome out;
	fz_failure_fn on_fail;
	void *on_fail_arg;
};

/* The runner whose schedule is running, if any (set by the main thread
 * before the threads start, cleared after they finish). */
extern struct fz_runner *fz_active_runner;

/* A free-running thread's schedule thread number; -1 elsewhere. */
extern __thread int fz_freerun_tid;

/* The schedule thread running the calling code; -1 on the main thread.
 * Inline (always: blind callers must not get an instrumented copy): asked
 * at every note. */
static inline __attribute__((always_inline)) int fz_current_tid(const struct fz_runner *r)
{
	if (r->cfg.freerun)
		return fz_freerun_tid;
	if (r->cfg.sequential)
		return r->hooks_on ? r->seq_tid : -1;
	return r->hooks_on ? r->sched.current : -1;
}
/* A scheduling point of the harness (kind FZ_PT_OP, obj = the number of
 * the operation about to start) or of the allocator (enum ph_point). */
void fz_runner_point(struct fz_runner *r, unsigned kind, uintptr_t obj);
/* Reports a failure on thread tid; returns only when a failure handler is
 * installed, after which the caller must unwind (fz_runner_unwind). */
void fz_runner_fail(struct fz_runner *r, int tid, const struct fz_verdict *v, const char *extra);
__attribute__((noreturn)) void fz_runner_unwind(struct fz_runner *r, int tid);
/* Inline (always: blind callers must not get an instrumented copy); asked
 * at every scheduling point and operation. */
static inline __attribute__((always_inline)) bool fz_runner_unwinding(const struct fz_runner *r)
{
	return FZ_SHARED_LOAD(r->cfg.freerun, &r->unwinding) != 0;
}
void fz_runner_trace(struct fz_runner *r, int tid, const struct fz_event *ev);

#endif
