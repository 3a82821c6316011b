/* fz_harness.c - shared glue of the schedule-running fuzz targets. */
#include "fz_harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fz_explore.h"
#include "fz_sanitizer.h"

FZ_HARNESS_CODE_BEGIN

static void bad_env(const char *name, const char *value, const char *want)
{
	fprintf(stderr, "pageheap-fuzz: %s=%s is not valid (%s)\n", name, value, want);
	exit(2);
}

static bool stats_wanted(void);

void fz_harness_config(struct fz_config *cfg, int freerun)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->freerun = freerun != 0;
	cfg->engine = fz_engine_default();
	const char *v = getenv("FZ_TRACE");
	if (v != NULL && *v != '\0') {
		if (strcmp(v, "0") != 0 && strcmp(v, "1") != 0)
			bad_env("FZ_TRACE", v, "0 or 1");
		cfg->trace_always = strcmp(v, "1") == 0;
	}
	v = getenv("FZ_ENGINE");
	if (v != NULL && *v != '\0' && !fz_engine_kind_parse(v, &cfg->engine))
		bad_env("FZ_ENGINE", v, "pthread or fiber");
	if (cfg->freerun)
		cfg->engine = FZ_ENGINE_PTHREAD; /* real threads, released together */
	v = getenv("FZ_BUDGET");
	if (v != NULL && *v != '\0') {
		char *end;
		unsigned long long b = strtoull(v, &end, 10);
		if (*end != '\0' || b == 0)
			bad_env("FZ_BUDGET", v, "a positive number of scheduling points");
		cfg->budget = b;
	}
	cfg->feedback = true;
	v = getenv("FZ_FEEDBACK");
	if (v != NULL && *v != '\0') {
		if (strcmp(v, "0") != 0 && strcmp(v, "1") != 0)
			bad_env("FZ_FEEDBACK", v, "0 or 1");
		cfg->feedback = strcmp(v, "1") == 0;
	}
	cfg->count_features = stats_wanted();
}

/* Totals over the process's inputs, for FZ_STATS=1.  Only the thread
 * libFuzzer calls the target on touches them. */
static struct {
	uint64_t inputs, allocs, ooms, decisions, spurious_pages, cas_failures, steps, features_seen;
	uint64_t features_set; /* counters set, summed over the inputs */
	uint64_t explored; /* FZ_EXPLORE: interleavings run over all inputs */
} totals;

static struct fz_config config;
static bool configured;

static void print_totals(void)
{
	fprintf(stderr, "pageheap-fuzz stats: %llu inputs, %llu allocations (%llu out of memory), %llu zeroing decisions, ",
		(unsigned long long)totals.inputs, (unsigned long long)totals.allocs, (unsigned long long)totals.ooms,
		(unsigned long long)totals.decisions);
	/* Free-running inputs have neither an exact decision model nor
	 * scheduling points. */
	if (config.freerun)
		fprintf(stderr, "%llu CAS failures (free-running: spurious zeroing and scheduling points not measured), ",
			(unsigned long long)totals.cas_failures);
	else
		fprintf(stderr, "%llu pages zeroed although never used, %llu CAS failures, %llu scheduling points, ",
			(unsigned long long)totals.spurious_pages, (unsigned long long)totals.cas_failures,
			(unsigned long long)totals.steps);
	if (totals.explored != 0)
		fprintf(stderr, "%llu interleavings explored (FZ_EXPLORE), ", (unsigned long long)totals.explored);
	/* Counted whether or not libFuzzer was shown them (FZ_FEEDBACK). */
	fprintf(stderr, "%llu distinct interleaving features (%.1f per input)\n", (unsigned long long)totals.features_seen,
		totals.inputs ? (double)totals.features_set / (double)totals.inputs : 0.0);
}

/* FZ_STATS: 0 or 1; exits 2 on anything else. */
static bool stats_wanted(void)
{
	const char *v = getenv("FZ_STATS");
	if (v == NULL || *v == '\0' || strcmp(v, "0") == 0)
		return false;
	if (strcmp(v, "1") != 0)
		bad_env("FZ_STATS", v, "0 or 1");
	return true;
}

/* FZ_EXPECT: the one oracle whose failures are crashes, or NULL for all. */
static const char *expected_oracle;

static void read_expect(void)
{
	const char *v = getenv("FZ_EXPECT");
	if (v == NULL || *v == '\0')
		return;
	size_t n = strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789");
	if (n != strlen(v) || n > 15)
		bad_env("FZ_EXPECT", v, "an oracle name such as O1, Z2 or LIVELOCK");
	expected_oracle = v;
}

/*
 * The failure handler under FZ_EXPECT (arg: the runner).  The expected
 * oracle crashes the process as it would without the handler; any other
 * failure returns, so the runner unwinds the input and libFuzzer carries
 * on as if it had passed.
 */
static void expect_filter(const struct fz_outcome *o, void *arg)
{
	if (strcmp(o->verdict.oracle, expected_oracle) != 0)
		return;
	FILE *out = config.out ? config.out : stderr;
	if (!config.trace_always) { /* with FZ_TRACE=1 the runner printed it all */
		char line[sizeof o->verdict.msg + 64];
		fprintf(out, "==== pageheap-fuzz: oracle %s failed (FZ_EXPECT=%s) ====\n%s\n", o->verdict.oracle,
			expected_oracle, o->verdict.msg);
		fz_runner_print_trace(arg, out);
		fz_outcome_describe(o, line, sizeof line);
		fprintf(out, "==== verdict: %s ====\n", line);
		fflush(out);
	}
	abort();
}

/* FZ_EXPLORE=K (0..8): explore every input's interleavings with at most K
 * preemptions instead of running its decisions (fz_explore_input.c);
 * FZ_EXPLORE_MAX=N: at most N executions per input (default 2000).
 * Off (-1) when unset; exits 2 on a bad value. */
static int explore_bound = -1;
static uint64_t explore_max = 2000;

static void read_explore(int freerun)
{
	const char *v = getenv("FZ_EXPLORE");
	if (v == NULL || *v == '\0')
		return;
	if (strlen(v) != 1 || v[0] < '0' || v[0] > '8')
		bad_env("FZ_EXPLORE", v, "a preemption bound from 0 to 8");
	if (freerun)
		bad_env("FZ_EXPLORE", v, "exploration needs a controlled target, not the free-running one");
	explore_bound = v[0] - '0';
	v = getenv("FZ_EXPLORE_MAX");
	if (v != NULL && *v != '\0') {
		char *end;
		unsigned long long n = strtoull(v, &end, 10);
		if (*end != '\0' || n == 0 || n > 100000000ull || v[0] == '-')
			bad_env("FZ_EXPLORE_MAX", v, "a number of executions from 1 to 100000000");
		explore_max = n;
	}
}

/* FZ_MUTATOR: structural (default) or bytes; exits 2 on anything else. */
static enum fz_mutator_mode mutator_wanted(void)
{
	const char *v = getenv("FZ_MUTATOR");
	if (v == NULL || *v == '\0' || strcmp(v, "structural") == 0)
		return FZ_MUTATOR_STRUCTURAL;
	if (strcmp(v, "bytes") != 0)
		bad_env("FZ_MUTATOR", v, "structural or bytes");
	return FZ_MUTATOR_BYTES;
}

int fz_harness_init(int freerun)
{
	if (configured)
		return 0;
	fz_harness_config(&config, freerun);
	read_expect();
	read_explore(freerun);
	fz_mutator_set_mode(mutator_wanted());
	if (stats_wanted())
		atexit(print_totals);
	configured = true;
	return 0;
}

int fz_harness_run(const struct fz_profile *pr, int freerun, const uint8_t *data, size_t size)
{
	static struct fz_runner *runner;
	static struct fz_schedule sched;
	fz_harness_init(freerun);
	if (explore_bound >= 0) {
		fz_decode(pr, data, size, &sched);
		fz_explore_input(&config, pr, &sched, explore_bound, explore_max, expected_oracle, &totals.explored);
		totals.inputs++;
		return 0;
	}
	if (runner == NULL) {
		char err[200];
		runner = fz_runner_new(&config, err, sizeof err);
		if (runner == NULL) {
			fprintf(stderr, "pageheap-fuzz: cannot start: %s\n", err);
			exit(1);
		}
		if (expected_oracle != NULL)
			fz_runner_on_failure(runner, expect_filter, runner);
	}
	fz_decode(pr, data, size, &sched);
	struct fz_outcome out;
	fz_runner_run(runner, pr, &sched, &out);
	totals.inputs++;
	totals.allocs += out.allocs;
	totals.ooms += out.ooms;
	totals.decisions += out.decisions;
	totals.spurious_pages += out.spurious_pages;
	totals.cas_failures += out.cas_failures;
	totals.steps += out.steps;
	totals.features_seen = out.features_seen;
	totals.features_set += out.features;
	return 0;
}

FZ_HARNESS_CODE_END
