/*
 * fz_harness.h - the small API every fuzz target uses (in the spirit of
 * libxml2's fuzz/fuzz.h): configuration from the environment, one runner
 * per process created on the first input, and the libFuzzer entry glue.
 *
 * Environment (read once):
 *   FZ_TRACE=1          print the swimlane trace of every input
 *   FZ_ENGINE=pthread|fiber   controlled-scheduler engine (default: fiber
 *                       where available, see fz_engine_default)
 *   FZ_BUDGET=N         scheduling points per input before "livelock"
 *   FZ_STATS=1          at exit, one line of totals over every input run:
 *                       inputs, allocations, zeroing decisions, pages
 *                       zeroed although never used (Z2's statistic), CAS
 *                       failures, scheduling points, distinct interleaving
 *                       features (fz_feedback.h)
 *   FZ_FEEDBACK=0|1     interleaving features as libFuzzer extra counters
 *                       (default 1)
 *   FZ_MUTATOR=structural|bytes   schedule-aware mutation (default) or
 *                       libFuzzer's byte mutation only
 *   FZ_EXPLORE=K        run every interleaving of each input's thread
 *                       programs with at most K (0..8) preemptions (DPOR,
 *                       decisions dropped) instead of the input's own
 *                       schedule (fz_explore_input.c); controlled targets
 *   FZ_EXPLORE_MAX=N    at most N executions per input in that mode
 *                       (default 2000)
 *   FZ_EXPECT=ORACLE    only a failure of this oracle is a crash; an input
 *                       failing another one ends quietly (crash
 *                       minimisation keeps only reductions that fail the
 *                       same way; a name no oracle uses, e.g. NONE, leaves
 *                       only sanitizer reports as crashes)
 */
#ifndef FZ_HARNESS_H
#define FZ_HARNESS_H

#include <stddef.h>
#include <stdint.h>

#include "fz_mutate.h"
#include "fz_run.h"

/* Reads the environment into cfg (freerun as given); exits 2 with a
 * message on a malformed value. */
void fz_harness_config(struct fz_config *cfg, int freerun);
/* Reads and checks the environment once (LLVMFuzzerInitialize calls it, so
 * a bad value stops the process with exit status 2 before libFuzzer runs
 * an input and takes the exit for a crash).  Creates no thread: the runner
 * and its threads come with the first input, after AFL++'s fork server has
 * started.  Returns 0. */
int fz_harness_init(int freerun);
/* Decodes data with the profile and runs it on the process's runner. */
int fz_harness_run(const struct fz_profile *pr, int freerun, const uint8_t *data, size_t size);

/* The libFuzzer entry points of a schedule-running target: its inputs are
 * decoded with profile (a struct fz_profile) and run controlled, or
 * free-running when freerun is 1; libFuzzer mutates them with the
 * schedule-aware mutator (fz_mutate.h), or byte-wise with FZ_MUTATOR=bytes. */
#define FZ_SCHEDULE_TARGET(profile, freerun)                                  \
	int LLVMFuzzerInitialize(int *argc, char ***argv);                    \
	int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);         \
	size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed); \
	size_t LLVMFuzzerCustomCrossOver(const uint8_t *d1, size_t s1, const uint8_t *d2, size_t s2, \
					 uint8_t *out, size_t max_out, unsigned int seed); \
	int LLVMFuzzerInitialize(int *argc, char ***argv)                     \
	{                                                                     \
		int rc = fz_harness_init(freerun);                            \
		fz_mutator_adjust_args(argc, argv);                           \
		return rc;                                                    \
	}                                                                     \
	int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)          \
	{                                                                     \
		return fz_harness_run(&(profile), freerun, data, size);      \
	}                                                                     \
	size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed) \
	{                                                                     \
		return fz_custom_mutator(&(profile), data, size, max_size, seed); \
	}                                                                     \
	size_t LLVMFuzzerCustomCrossOver(const uint8_t *d1, size_t s1, const uint8_t *d2, size_t s2, \
					 uint8_t *out, size_t max_out, unsigned int seed) \
	{                                                                     \
		return fz_custom_crossover(&(profile), d1, s1, d2, s2, out, max_out, seed); \
	}

#endif
