/*
 * fz_explore.h - systematic exploration: every interleaving of a schedule's
 * thread programs with at most K preemptions, with or without partial-order
 * reduction, on the same runner, oracles and trace as the fuzz targets.
 *
 * Stateless (as CHESS and loom): every execution re-runs the programs from
 * a fresh heap (the runner's reset), replaying a prefix of earlier choices
 * and then branching.  The schedule's own decisions, if kept, are a fixed
 * prefix every execution starts with; the strategy is never used.
 *
 * A step is what one thread runs from one scheduling point to its next (or
 * to its end).  Each scheduling point names what the step after it touches
 * first (ph_hooks.h); the explorer adds what the step did on the way (a
 * heap growth).  Two steps of different threads are dependent when they
 * touch the same object and one of them writes; interleavings that only
 * reorder independent steps form a class.  --por classes enumerates every
 * interleaving within the bound and runs one of each class, working the
 * rest out from the steps that ran (fz_explore_classes.c); --por dpor runs
 * one execution per class by source-set DPOR with sleep sets (Abdulla et
 * al., POPL 2014).  The preemption bound counts switches away from a
 * thread that could go on; docs/EXPLORE.md says what is and is not
 * claimed when a bound and each reduction are combined.
 *
 * One explorer at a time (it owns a runner, and runners are process-wide).
 */
#ifndef FZ_EXPLORE_H
#define FZ_EXPLORE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "fz_run.h"
#include "fz_schedule.h"

/* NONE: every interleaving.  DPOR: one execution per class; under a bound
 * it branches earlier to make up for what the bound cuts (docs/EXPLORE.md).
 * DPOR_CUT: the same, but the bound only cuts: fewer executions, and
 * interleavings within the bound may be left out.  CLASSES: every
 * interleaving within the bound is enumerated, and one of each class of
 * equivalent ones is run; the others are worked out from the steps that
 * ran (fz_explore_classes.c). */
enum fz_por { FZ_POR_NONE, FZ_POR_DPOR, FZ_POR_DPOR_CUT, FZ_POR_CLASSES };
/* "none", "dpor", "dpor-cut", "classes"; and back (false if unknown). */
const char *fz_por_name(enum fz_por p);
bool fz_por_parse(const char *name, enum fz_por *p);

#define FZ_EXPLORE_UNBOUNDED (-1)

struct fz_explore_options {
	int preemptions;          /* K, or FZ_EXPLORE_UNBOUNDED */
	enum fz_por por;
	uint64_t max_executions;  /* 0 = no cap */
	double seconds;           /* 0 = no time limit */
	bool drop_decisions;      /* explore from the start, ignoring the file's decisions */
	struct fz_config runner;  /* engine, budget (chooser and out are set by the explorer) */
};

enum fz_explore_stop {
	FZ_EXPLORE_DONE,     /* every branch was run */
	FZ_EXPLORE_FAILED,   /* an oracle failed; the search stopped there */
	FZ_EXPLORE_CAP,      /* --max-executions reached first */
	FZ_EXPLORE_TIME,     /* --seconds reached first */
	FZ_EXPLORE_ERROR,    /* the program did not replay the same way (see error) */
};

struct fz_explore_result {
	enum fz_explore_stop stop;
	uint64_t executions;     /* runs started */
	uint64_t complete;       /* ran to their end: every thread finished, or the input ended itself */
	uint64_t redundant;      /* abandoned: every thread they could run next was asleep (DPOR) */
	uint64_t bound_blocked;  /* abandoned: going on needed a preemption beyond K */
	uint64_t bound_cut;      /* branches (or DPOR reorderings) not taken because of K */
	uint64_t distinct_states;
	uint64_t distinct_classes; /* of the complete executions: classes of equivalent
				    * interleavings (with --por none, those within the bound) */
	uint64_t interleavings;  /* --por classes: interleavings enumerated to their end,
				  * run or worked out (--por none: = complete) */
	uint64_t steps;          /* steps run, over all executions */
	uint64_t longest;        /* steps of the longest execution */
	uint64_t pending;        /* stopped early: branches known but not run */
	unsigned prefix_decisions; /* decisions kept as a fixed prefix */
	double seconds;
	/* stop == FAILED: the failing run's outcome, its preemptions, and the
	 * schedule whose decisions replay it exactly (the strategy, seed and
	 * programs of the input, decisions covering every choice). */
	struct fz_outcome failure;
	unsigned failure_preemptions;
	struct fz_schedule failing;
	char error[320];         /* stop == ERROR */
};

struct fz_explorer;

/* NULL with a reason in err on failure. */
struct fz_explorer *fz_explore_new(const struct fz_explore_options *o, char *err, size_t errlen);
void fz_explore_free(struct fz_explorer *x);
/* Explores s (its decisions are the prefix unless dropped) and fills res. */
void fz_explore_run(struct fz_explorer *x, const struct fz_profile *pr, const struct fz_schedule *s,
		    struct fz_explore_result *res);
/* Terminal-state hashes of the complete executions, in the order first
 * seen (for tests); *n receives the count. */
const uint64_t *fz_explore_states(const struct fz_explorer *x, size_t *n);
/* The class of each complete execution, in the same order: a canonical
 * hash of its steps and their happens-before order, equal exactly for
 * interleavings that only reorder independent steps. */
const uint64_t *fz_explore_classes(const struct fz_explorer *x, size_t *n);

/* Runs s once on a fresh runner without a chooser (as the fuzz target
 * does), printing its trace and verdict to out when out is not NULL;
 * fills *o.  False if no runner could be made (err says why). */
bool fz_explore_replay(const struct fz_config *cfg, const struct fz_profile *pr, const struct fz_schedule *s,
		       FILE *out, struct fz_outcome *o, char *err, size_t errlen);

/* ---- the report (fz_explore_report.c) ---- */

struct fz_explore_report {
	const char *program;     /* how the program is named in the sentence */
	const struct fz_profile *pr;
	const struct fz_schedule *s;
	const struct fz_explore_options *o;
	const struct fz_explore_result *res;
	const char *pair_txt, *pair_bin; /* the regression pair written, or NULL */
	bool replayed, replay_same; /* the pair was replayed; to the same oracle */
	const char *replay_oracle;
};

/* The one-sentence verdict. */
void fz_explore_sentence(const struct fz_explore_report *rep, char *buf, size_t n);
/* The report: counts, bound, states, time, rate, the sentence. */
void fz_explore_print(const struct fz_explore_report *rep, FILE *out);
/* The same as a JSON object. */
void fz_explore_json(const struct fz_explore_report *rep, FILE *out);
const char *fz_explore_stop_name(enum fz_explore_stop s);

/* ---- exploring fuzz inputs (fz_explore_input.c) ---- */

/* The FZ_EXPLORE mode of a schedule-running target: explores s's thread
 * programs (decisions dropped) with DPOR at <= bound preemptions, at most
 * max_executions runs, and adds the runs to *executions.  Returns when no
 * interleaving failed (or, with expect, none failed that oracle); else
 * prints the failing interleaving (text schedule, trace, verdict) and dies
 * (fz_target_die).  cfg is the target's runner configuration. */
void fz_explore_input(const struct fz_config *cfg, const struct fz_profile *pr, const struct fz_schedule *s,
		      int bound, uint64_t max_executions, const char *expect, uint64_t *executions);

#endif
