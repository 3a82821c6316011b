/* fz_harness.c - shared glue of the schedule-running fuzz targets. */
#include "fz_harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fz_sanitizer.h"

FZ_HARNESS_CODE_BEGIN

#ifdef FZ_TSAN
const char *__tsan_default_options(void);

/*
 * Every fuzz target's ThreadSanitizer defaults (TSAN_OPTIONS overrides
 * them): a race is a crash; and libFuzzer's crash handler, which allocates
 * inside the SIGABRT handler an oracle failure raises, must not be reported
 * as a signal-unsafe call, because that report deadlocks the dying process
 * instead of saving the crash.
 */
const char *__tsan_default_options(void)
{
	return "halt_on_error=1:report_signal_unsafe=0";
}
#endif

static void bad_env(const char *name, const char *value, const char *want)
{
	fprintf(stderr, "pageheap-fuzz: %s=%s is not valid (%s)\n", name, value, want);
	exit(2);
}

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
}

int fz_harness_run(const struct fz_profile *pr, int freerun, const uint8_t *data, size_t size)
{
	static struct fz_runner *runner;
	static struct fz_schedule sched;
	if (runner == NULL) {
		struct fz_config cfg;
		char err[200];
		fz_harness_config(&cfg, freerun);
		runner = fz_runner_new(&cfg, err, sizeof err);
		if (runner == NULL) {
			fprintf(stderr, "pageheap-fuzz: cannot start: %s\n", err);
			exit(1);
		}
	}
	fz_decode(pr, data, size, &sched);
	struct fz_outcome out;
	fz_runner_run(runner, pr, &sched, &out);
	return 0;
}

FZ_HARNESS_CODE_END
