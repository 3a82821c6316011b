/*
 * fz_explore_input.c - the FZ_EXPLORE mode of the schedule-running fuzz
 * targets: libFuzzer's bytes choose what the threads do, the explorer runs
 * how they may interleave.
 *
 * Each input is decoded as usual; its decisions are dropped and every
 * interleaving of its thread programs with at most K preemptions is run
 * with DPOR, up to a cap of executions per input (a cap that is hit leaves
 * the rest of that input's interleavings unexplored: this mode looks for
 * bugs, it claims no coverage; out/explore does).  The explorer and its
 * runner are made on the first input and kept, and its runs leave
 * libFuzzer's counters alone (libFuzzer clears them before each input), so
 * the interleaving features of every execution of an input reach libFuzzer,
 * not only those of its last one.  A failing
 * interleaving ends the process the way every target reports a finding
 * (fz_target.h): its schedule as text, whose decisions replay it without
 * FZ_EXPLORE, then its replay's swimlane trace and verdict line.
 * Called only from the thread libFuzzer runs inputs on.
 */
#include "fz_explore.h"

#include <stdlib.h>
#include <string.h>

#include "fz_sanitizer.h"
#include "fz_target.h"
#include "fz_text.h"

FZ_HARNESS_CODE_BEGIN

static void report(const struct fz_config *cfg, const struct fz_profile *pr, const struct fz_explore_result *res,
		   int bound, uint64_t total)
{
	fprintf(stderr,
		"==== pageheap-fuzz: oracle %s failed in interleaving %llu of this input's exploration "
		"(FZ_EXPLORE=%d: DPOR, <= %d preemption%s, decisions dropped; %llu interleavings run "
		"in this process) ====\n%s\n",
		res->failure.verdict.oracle, (unsigned long long)res->executions, bound, bound, bound == 1 ? "" : "s",
		(unsigned long long)total, res->failure.verdict.msg);
	char *text = fz_text_format_alloc(pr, &res->failing);
	if (text != NULL)
		fprintf(stderr, "==== the failing interleaving as a text schedule (its decisions replay it "
				"through this target without FZ_EXPLORE) ====\n%s",
			text);
	free(text);
	fflush(stderr);
	struct fz_outcome o;
	char err[200];
	bool replayed = fz_explore_replay(cfg, pr, &res->failing, stderr, &o, err, sizeof err);
	if (!replayed)
		fprintf(stderr, "pageheap-fuzz: cannot replay the failing interleaving: %s\n", err);
	/* A replay that fails printed the trace and the verdict line itself. */
	if (!replayed || !o.failed)
		fz_target_verdict(stderr, res->failure.verdict.oracle, res->failure.verdict.msg);
}

void fz_explore_input(const struct fz_config *cfg, const struct fz_profile *pr, const struct fz_schedule *s,
		      int bound, uint64_t max_executions, const char *expect, uint64_t *executions)
{
	static struct fz_explorer *x;
	static struct fz_explore_options o;
	static struct fz_explore_result res;
	if (x == NULL) {
		char err[300];
		o.preemptions = bound;
		o.por = FZ_POR_DPOR;
		o.max_executions = max_executions;
		o.drop_decisions = true;
		o.runner = *cfg;
		o.runner.trace_always = false;
		o.runner.feedback_per_input = true; /* every interleaving's features count */
		x = fz_explore_new(&o, err, sizeof err);
		if (x == NULL) {
			fprintf(stderr, "pageheap-fuzz: FZ_EXPLORE: cannot start the explorer: %s\n", err);
			exit(1);
		}
	}
	fz_explore_run(x, pr, s, &res);
	*executions += res.executions;
	if (res.stop == FZ_EXPLORE_ERROR) {
		/* The same program ran differently under the same choices: the
		 * harness, not the allocator, is at fault; say so loudly. */
		fprintf(stderr, "==== pageheap-fuzz: FZ_EXPLORE could not explore this input ====\n");
		fz_target_verdict(stderr, "EXPLORE", res.error);
		fz_target_die();
	}
	if (res.stop != FZ_EXPLORE_FAILED)
		return;
	if (expect != NULL && strcmp(res.failure.verdict.oracle, expect) != 0)
		return;
	/* The replay needs the only runner: the explorer's goes first. */
	fz_explore_free(x);
	x = NULL;
	struct fz_config c = *cfg;
	c.feedback = false;
	report(&c, pr, &res, bound, *executions);
	fz_target_die();
}

FZ_HARNESS_CODE_END
