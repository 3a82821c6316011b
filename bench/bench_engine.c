/*
 * bench_engine.c - executions per second of the controlled scheduler on a
 * standard schedule (4 threads x 32 operations), against the sequential
 * floor (the same operations on one thread, no scheduling) and a naive
 * harness (fresh pthreads created and joined for every input), all in the
 * same process run.  Oracles and tracing run in every mode, so the ratios
 * isolate the cost of scheduling.
 *
 * usage: bench_engine [--inputs N] [--repeat R] [--strategy S] [--mode M]
 * Prints one line per (strategy, mode) with inputs/s (median of R) and the
 * ratio to the sequential floor.  --strategy/--mode (index or name prefix)
 * measure one combination only, so each can run in a fresh process: under
 * ThreadSanitizer every thread or fiber ever created makes later
 * synchronisation slower, which would penalise whatever runs last.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fz_run.h"
#include "fz_schedule.h"

struct mode {
	const char *name;
	enum fz_engine_kind engine;
	bool sequential, per_input;
};

static const struct mode modes[] = {
	{"sequential floor", FZ_ENGINE_PTHREAD, true, false},
	{"controlled pthread", FZ_ENGINE_PTHREAD, false, false},
	{"controlled fiber", FZ_ENGINE_FIBER, false, false},
	{"naive pthread/input", FZ_ENGINE_PTHREAD, false, true},
};

static uint64_t rng = 0x243F6A8885A308D3ull;

static unsigned next(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

/* The standard schedule: 4 threads, 32 operations each; 40% small and 10%
 * large allocations, 30% frees, 20% writes. */
static void standard_schedule(struct fz_schedule *s, uint8_t strategy, uint8_t param)
{
	rng = 0x243F6A8885A308D3ull; /* the same operations for every strategy */
	memset(s, 0, sizeof *s);
	s->nthreads = 4;
	s->strategy = strategy;
	s->param = param;
	s->seed = 0x5eed;
	for (unsigned t = 0; t < 4; t++) {
		s->nops[t] = 32;
		for (unsigned i = 0; i < 32; i++) {
			struct fz_op *op = &s->ops[t][i];
			unsigned k = next(10);
			if (k < 4) {
				*op = (struct fz_op){.kind = FZ_OP_ALLOC, .n = (uint16_t)(1 + next(15)), .zero = next(2)};
			} else if (k < 5) {
				*op = (struct fz_op){.kind = FZ_OP_ALLOC, .n = (uint16_t)(16 + next(48))};
			} else if (k < 8) {
				*op = (struct fz_op){.kind = FZ_OP_FREE, .sel = (uint16_t)next(256)};
			} else {
				*op = (struct fz_op){.kind = FZ_OP_WRITE, .sel = (uint16_t)next(256)};
			}
		}
	}
}

#define MAX_REPEAT 16 /* repetitions one process measures */

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Inputs per second of one mode, or a negative value if unavailable. */
static double measure(const struct mode *m, const struct fz_schedule *s, unsigned inputs, unsigned repeat,
		      struct fz_outcome *last)
{
	struct fz_config cfg = {.engine = m->engine, .sequential = m->sequential, .engine_per_input = m->per_input};
	char err[200];
	struct fz_runner *r = fz_runner_new(&cfg, err, sizeof err);
	if (r == NULL)
		return -1;
	double rates[MAX_REPEAT];
	for (unsigned i = 0; i < 10; i++)
		fz_runner_run(r, &fz_profile_schedule, s, last);
	for (unsigned k = 0; k < repeat; k++) {
		double t0 = now();
		for (unsigned i = 0; i < inputs; i++)
			fz_runner_run(r, &fz_profile_schedule, s, last);
		rates[k] = inputs / (now() - t0);
	}
	fz_runner_free(r);
	qsort(rates, repeat, sizeof rates[0], cmp_double);
	return rates[repeat / 2];
}

int main(int argc, char **argv)
{
	unsigned inputs = 2000, repeat = 3;
	const char *only_strategy = NULL, *only_mode = NULL;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--inputs") == 0 && i + 1 < argc)
			inputs = (unsigned)strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--repeat") == 0 && i + 1 < argc)
			repeat = (unsigned)strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--strategy") == 0 && i + 1 < argc)
			only_strategy = argv[++i];
		else if (strcmp(argv[i], "--mode") == 0 && i + 1 < argc)
			only_mode = argv[++i];
		else {
			fprintf(stderr, "usage: bench_engine [--inputs N] [--repeat R] [--strategy S] [--mode M]\n");
			return 2;
		}
	}
	if (inputs == 0 || repeat == 0 || repeat > MAX_REPEAT) {
		fprintf(stderr, "bench_engine: --inputs must be positive, --repeat between 1 and %d\n", MAX_REPEAT);
		return 2;
	}
	static const struct {
		const char *name;
		uint8_t strategy, param;
	} strategies[] = {
		{"pct depth 3", FZ_STRAT_PCT, 2},
		{"random 1/2", FZ_STRAT_RANDOM, 0},
		{"rr quantum 1", FZ_STRAT_RR, 0},
	};
	static struct fz_schedule s;
	if (only_strategy == NULL && only_mode == NULL)
		printf("%-14s %-22s %12s %10s %10s\n", "strategy", "mode", "inputs/s", "vs floor", "switches");
	for (size_t k = 0; k < sizeof strategies / sizeof strategies[0]; k++) {
		if (only_strategy != NULL && strncmp(strategies[k].name, only_strategy, strlen(only_strategy)) != 0)
			continue;
		standard_schedule(&s, strategies[k].strategy, strategies[k].param);
		double floor = 0;
		for (size_t m = 0; m < sizeof modes / sizeof modes[0]; m++) {
			if (only_mode != NULL && strncmp(modes[m].name, only_mode, strlen(only_mode)) != 0)
				continue;
			struct fz_outcome out = {0};
			double rate = measure(&modes[m], &s, modes[m].per_input ? inputs / 10 + 1 : inputs, repeat, &out);
			if (m == 0)
				floor = rate;
			if (only_mode != NULL)
				floor = 0; /* measured elsewhere: no ratio here */
			if (rate < 0) {
				printf("%-14s %-22s %12s\n", strategies[k].name, modes[m].name, "unavailable");
				continue;
			}
			if (floor > 0)
				printf("%-14s %-22s %12.0f %9.2fx %10llu\n", strategies[k].name, modes[m].name, rate,
				       rate / floor, (unsigned long long)out.switches);
			else
				printf("%-14s %-22s %12.0f %10s %10llu\n", strategies[k].name, modes[m].name, rate, "-",
				       (unsigned long long)out.switches);
			if (out.failed) {
				fprintf(stderr, "bench_engine: the standard schedule failed: %s\n", out.verdict.msg);
				return 1;
			}
		}
	}
	return 0;
}
