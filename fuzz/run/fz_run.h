/*
 * fz_run.h - runs one schedule against the heap and judges it.
 *
 * A runner owns a heap, an engine, the oracles' state and the trace, and
 * keeps them across inputs.  For every input it resets the heap, lets the
 * schedule's threads run their programs (under the controlled scheduler,
 * or free-running on real threads), checks the oracles as events happen,
 * then, at rest, checks Z3 and the heap's accounting, frees everything and
 * checks that nothing is left in use.
 *
 * On a failure (an oracle, a throw, a deadlock, a livelock) the runner
 * prints the verdict and the swimlane trace and aborts, which is what a
 * fuzzing engine wants.  Tests install a failure handler instead; the run
 * then unwinds every thread and fz_runner_run returns the verdict.
 *
 * One runner at a time may run (the allocator's hooks are process-wide).
 */
#ifndef FZ_RUN_H
#define FZ_RUN_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "fz_engine.h"
#include "fz_oracle.h"
#include "fz_sched.h"
#include "fz_schedule.h"
#include "ph_geom.h"
#include "ph_heap.h"

#define FZ_DEFAULT_BUDGET 200000 /* scheduling points per input */

struct fz_config {
	enum fz_engine_kind engine;
	bool freerun;        /* real parallel threads, no control (not deterministic) */
	bool sequential;     /* benchmark floor: every program in turn on the calling
	                      * thread, no scheduling at all */
	bool engine_per_input; /* benchmark baseline: a fresh engine (fresh threads)
	                        * for every input, as a naive harness would do */
	uint64_t budget;     /* livelock threshold; 0 = FZ_DEFAULT_BUDGET */
	bool trace_always;   /* print the trace of every input, not only failures */
	bool feedback;       /* interleaving features into libFuzzer's extra counters (fz_feedback.h) */
	bool count_features; /* compute them even with feedback off, and count the distinct ones */
	bool feedback_per_input; /* runs leave libFuzzer's counters to libFuzzer, which clears
	                          * them before each input: the many runs of one input
	                          * (FZ_EXPLORE) add up instead of each erasing the last */
	FILE *out;           /* verdicts and traces; NULL = stderr */
	const ph_geom *geom; /* NULL = ph_geom_fuzz */
	const struct fz_chooser *chooser; /* controlled mode: makes the choices once the
	                                   * decisions run out (fuzz/explore/); NULL = the strategy */
};

struct fz_outcome {
	bool failed;
	struct fz_verdict verdict;
	bool detector_fired; /* an injected overlap was caught, as it should be */
	uint64_t steps, switches, allocs, ooms, decisions, spurious_pages, cas_failures;
	/* With count_features: counters this input set, and distinct counters
	 * set by any input of this runner so far. */
	uint64_t features, features_seen;
};

struct fz_runner;
typedef void (*fz_failure_fn)(const struct fz_outcome *o, void *arg);

struct fz_runner *fz_runner_new(const struct fz_config *cfg, char *err, size_t errlen);
void fz_runner_free(struct fz_runner *r);
/* Replace abort-on-failure by fn (NULL restores aborting). */
void fz_runner_on_failure(struct fz_runner *r, fz_failure_fn fn, void *arg);
void fz_runner_run(struct fz_runner *r, const struct fz_profile *pr, const struct fz_schedule *s,
		   struct fz_outcome *out);
/*
 * Runs body(tid, arg) as the program of each of the schedule's threads
 * under the same scheduler, tracing and failure detection (s supplies the
 * thread count, strategy and decisions; its operations are ignored).  For
 * hand-written concurrency tests and the harness's own canaries.  At-rest
 * checks are skipped: the bodies' allocations are their own business.
 */
typedef void (*fz_body_fn)(int tid, void *arg);
void fz_runner_run_bodies(struct fz_runner *r, const struct fz_schedule *s, fz_body_fn body, void *arg,
			  struct fz_outcome *out);
/* The runner's heap, for bodies. */
ph_heap *fz_runner_heap(struct fz_runner *r);
/* The last run's trace, with its summary line. */
void fz_runner_print_trace(struct fz_runner *r, FILE *out);
/* The same as one HTML page, headed by o's verdict (o: that run's outcome). */
void fz_runner_print_trace_html(struct fz_runner *r, const struct fz_outcome *o, FILE *out);
/* What the "==== verdict: ... ====" line says about o: "ORACLE: message"
 * (as a failure prints it), or "ok (N zeroing decisions, ...)". */
void fz_outcome_describe(const struct fz_outcome *o, char *buf, size_t n);
/* One line describing a schedule (threads, strategy, seed, caches). */
void fz_schedule_summary(const struct fz_schedule *s, const char *engine, char *buf, size_t n);

#endif
