/*
 * fz_explore_internal.h - the explorer's state, shared by its files:
 *
 *   fz_explore.c         the search loop: one run per execution, then the
 *                        next branch (depth first), caps, the failing schedule
 *   fz_explore_choose.c  the chooser the scheduler asks during a run: steps,
 *                        nodes, sleep sets, the preemption count
 *   fz_explore_event.c   what a step touches, and when two steps conflict
 *   fz_explore_dpor.c    after a run: happens-before, races, source sets
 *   fz_explore_classes.c --por classes: every interleaving within the bound
 *                        enumerated, one run per class of equivalent ones
 *   fz_explore_state.c   the canonical terminal state, and hash sets
 *   fz_explore_report.c  the report, its sentence and its JSON
 *
 * The search tree is kept as the stack of the current execution (stateless
 * DFS): node i is the state before step i.  A run replays the choices of
 * nodes [0, keep) - node keep-1 with its new branch - and makes fresh
 * choices below.  Nodes chosen by the file's decisions are fixed: they have
 * no alternatives, and no reordering reaches into them.
 *
 * Threading: the chooser runs on whichever schedule thread is at a point,
 * inside the scheduler's FZ_UNTRACKED region, one at a time; everything
 * else runs on the main thread between runs.  The engine orders the two
 * (every run starts and ends on the main thread).
 */
#ifndef FZ_EXPLORE_INTERNAL_H
#define FZ_EXPLORE_INTERNAL_H

#include "fz_explore.h"
#include "fz_sanitizer.h"
#include "fz_sched.h"

/* ---- steps and what they touch ----------------------------------------- */

/* Objects a step can touch.  ZB is one per arena slot; the rest are
 * single: the heap lock, the arena index (grown under the lock, read
 * without it by a claim resolving its arena), and the page allocator
 * (touched under the lock, except by a cache refill whose lock a fault
 * dropped). */
enum fz_xclass { FZ_XC_LOCK, FZ_XC_ARENAS, FZ_XC_PAGES, FZ_XC_ZB };
#define FZ_XC_SINGLE FZ_XC_ZB /* object number of ZB slot s: FZ_XC_SINGLE + s */

struct fz_xacc {
	uint8_t cls;   /* enum fz_xclass */
	uint8_t write; /* a CAS counts as a write until it has run and failed */
	uint16_t slot; /* FZ_XC_ZB: the arena slot */
};

#define FZ_XEV_ACQUIRE 1u /* takes the heap lock */
#define FZ_XEV_RELEASE 2u /* releases it */
#define FZ_XEV_ENDS 4u    /* the input ended inside this step (the overlap detector
			   * caught an injected claim): dependent with every step */
#define FZ_XEV_CAS 8u     /* its access is a zeroedBase CAS */
#define FZ_XEV_FAILED 16u /* ... that ran and failed: it wrote nothing, so its
			   * access is a read (set only on executed steps) */

#define FZ_XEV_MAX_ACC 2

struct fz_xevent {
	uint8_t thread;
	uint8_t flags;
	uint8_t nacc;
	struct fz_xacc acc[FZ_XEV_MAX_ACC];
};

/* Thread t's next step as far as where it stands tells: its first access.
 * A prediction, made before the step runs: a CAS is a write. */
void fz_xevent_next(const struct fz_explorer *x, const struct fz_sched *s, int t, struct fz_xevent *ev);
void fz_xevent_add(struct fz_xevent *ev, enum fz_xclass cls, bool write, unsigned slot);
/* The step predicted as ev has run: its CAS, if any, failed iff `failed`. */
void fz_xevent_outcome(struct fz_xevent *ev, bool failed);
/* Steps of different threads that touch a common object, one writing (or
 * either ending the input).  Never asks about steps of one thread. */
bool fz_xevent_dependent(const struct fz_xevent *a, const struct fz_xevent *b);
bool fz_xevent_same(const struct fz_xevent *a, const struct fz_xevent *b);
/* Object number of access a (0 .. FZ_XC_SINGLE + slots - 1).  Harness
 * code like its callers, so that it inlines into them. */
FZ_HARNESS_CODE_BEGIN
static inline unsigned fz_xobj(const struct fz_xacc *a)
{
	return a->cls == FZ_XC_ZB ? FZ_XC_SINGLE + a->slot : a->cls;
}
FZ_HARNESS_CODE_END
/* "T1 cas zb[A0]" and the like, for diagnostics. */
void fz_xevent_describe(const struct fz_xevent *ev, char *buf, size_t n);

/* ---- the search stack ----------------------------------------------------- */

typedef uint8_t fz_tmask; /* one bit per thread (FZ_MAX_THREADS == 8) */

struct fz_xnode {
	struct fz_xevent ev;                    /* the step taken here on the current branch */
	struct fz_xevent tried[FZ_MAX_THREADS]; /* the step each thread in `done` took from here */
	uint32_t sleep_from[FZ_MAX_THREADS];    /* node whose tried[t] is sleeping thread t's step */
	fz_tmask enabled;   /* threads that can take a step here */
	fz_tmask backtrack; /* threads to be run from here */
	fz_tmask done;      /* threads run (or running) from here */
	fz_tmask sleep;     /* threads whose step here is known to lead nowhere new */
	fz_tmask conservative; /* branches added for the bound: they keep asleep only the thread
				* they preempted (fz_explore_choose.c) */
	fz_tmask deferred;  /* branches that cost a preemption here: their conservative twin
			     * is offered once their subtree is done, if the bound cut
			     * something in it (fz_explore_dpor.c) */
	fz_tmask cut_below; /* branches in whose subtree the bound cut something */
	int8_t chosen;      /* thread of the current branch; -1: none (end), FZ_SCHED_ABANDON */
	int8_t prev;        /* thread that ran the step before; -1 at the start */
	uint8_t call;       /* enum fz_call */
	bool fixed;         /* chosen by the file's decisions */
	bool lock_held;     /* the heap lock is held here */
	uint16_t preemptions; /* preemptions made before this node's choice */
	/* --por classes: every thread's next step as where it stands here
	 * tells (fz_xevent_next), and the threads that have finished. */
	fz_tmask finished;
	struct fz_xevent next[FZ_MAX_THREADS];
};

struct fz_xclasses; /* --por classes' tables (fz_explore_classes.c) */

/* Every choice of a run, to turn it into decisions. */
struct fz_xcall {
	uint8_t call;
	int8_t chosen;
};

/* A set of 64-bit hashes (open addressing; 0 is stored out of band). */
struct fz_hashset {
	uint64_t *slot;
	size_t cap, n;
	bool has_zero;
};
/* Adds h; true if it was new.  False also when memory ran out (*oom set). */
bool fz_hashset_add(struct fz_hashset *hs, uint64_t h, bool *oom);
bool fz_hashset_has(const struct fz_hashset *hs, uint64_t h);
void fz_hashset_clear(struct fz_hashset *hs);
void fz_hashset_free(struct fz_hashset *hs);

/* A growable array of hashes (states or classes, in the order seen). */
struct fz_hashlist {
	uint64_t *v;
	size_t n, cap;
};
bool fz_hashlist_push(struct fz_hashlist *l, uint64_t h);

struct fz_explorer {
	struct fz_explore_options o;
	struct fz_runner *r;
	struct fz_chooser chooser;
	const struct fz_profile *pr;
	struct fz_schedule prog; /* the program explored; its decisions are the prefix */
	unsigned nslots;         /* arena slots of the heap (ZB objects) */
	uintptr_t first_arena;

	struct fz_xnode *node;   /* the stack */
	size_t node_cap;
	size_t keep;             /* nodes the next run replays */
	size_t planned;          /* --por classes: steps [0, planned) of the next run were
				  * worked out beforehand; each must run as predicted */
	struct fz_xclasses *cx;

	/* The run in progress (written by the chooser). */
	struct {
		size_t depth;        /* nodes created (or replayed) so far */
		size_t nsteps;       /* steps closed: node[0..nsteps) have ev */
		bool open;           /* a step is running */
		int thread;          /* its thread */
		struct fz_xevent ev; /* what it touches first */
		uint64_t grows;      /* heap growths when it started */
		uint64_t cas_failures; /* failed zeroedBase CASes when it started */
		bool merging;        /* it began at the thread's start: the thread's
				      * first point does not end it */
		fz_tmask child_sleep; /* sleep set of the node after the last closed step */
		uint32_t child_sleep_from[FZ_MAX_THREADS];
		uint16_t preemptions;
		bool abandoned, bound_abandoned, terminal, too_deep, failed_choice;
		uint64_t state;      /* terminal state (terminal) */
		char error[200];     /* the program did not replay the same way */
	} run;
	struct fz_xcall *calls;
	size_t ncalls, calls_cap;
	bool oom;

	struct fz_outcome fail; /* filled by the runner's failure handler */
	bool failed;

	struct fz_explore_result res;
	struct fz_hashset states_seen, classes_seen;
	struct fz_hashlist states, classes; /* per complete execution */

	/* Scratch for the race analysis, sized on demand. */
	uint32_t (*vc)[FZ_MAX_THREADS];
	uint32_t *local;   /* step's number within its thread, from 1 */
	uint8_t *mark;
	size_t scratch_cap;
	int32_t *last_write;                 /* per object */
	int32_t (*last_read)[FZ_MAX_THREADS]; /* per object and thread, since the last write */
	uint8_t *seen_rw;                    /* per object: bit 0 read, bit 1 written (initials) */
	unsigned nobj;
};

/* The chooser (fz_explore_choose.c). */
int fz_explore_choose(void *arg, const struct fz_sched *s, enum fz_call call, int decided);
/* Sleep sets are kept with DPOR. */
bool fz_explore_sleep_sets(const struct fz_explorer *x);
/* Whether choosing t at node n is a preemption, and whether the bound allows it. */
bool fz_explore_is_preemption(const struct fz_explorer *x, const struct fz_xnode *n, int t);
bool fz_explore_allowed(const struct fz_explorer *x, const struct fz_xnode *n, int t);
/* A fresh node's first choice: the running thread if it can go on and is
 * awake, else the lowest awake thread that can (FZ_SCHED_ABANDON when
 * none is awake or the bound forbids it). */
int fz_explore_default_choice(struct fz_explorer *x, const struct fz_xnode *n);
/* Without sleep sets (--por none, --por classes): every thread that can
 * run becomes a branch of node n, as far as the bound allows; the others
 * are counted as cut. */
void fz_explore_every_branch(struct fz_explorer *x, struct fz_xnode *n);
/* Room for node i (false when out of memory). */
bool fz_explore_reserve(struct fz_explorer *x, size_t i);

/* The bound cut a branch at node m, or a run there (fz_explore_dpor.c):
 * the branches on the path above m learn that their subtree lost something. */
void fz_explore_note_cut(struct fz_explorer *x, size_t m);
/* Node d has no branch left: offers the conservative twins its subtrees
 * turned out to need (fz_explore_dpor.c). */
void fz_explore_settle(struct fz_explorer *x, size_t d);

/* --por classes' search (fz_explore_classes.c), in place of the DPOR
 * loop of fz_explore_run; and its tables' end. */
void fz_explore_classes_search(struct fz_explorer *x, double t0);
void fz_explore_classes_free(struct fz_explorer *x);
/* For tests: keys that leave out the last writer of what a step reads, a
 * dependency relation that misses something, which the runs must catch. */
void fz_explore_classes_blind(struct fz_explorer *x);

/* Shared by both searches (fz_explore.c): a run from a fresh heap that
 * replays nodes [0, keep), and its accounting; false when the search must
 * stop (res.stop says why). */
bool fz_explore_one_run(struct fz_explorer *x);
/* The search has run out of executions or time (res.stop set, true). */
bool fz_explore_capped(struct fz_explorer *x, double t0);

/* After a run (fz_explore_dpor.c): vector clocks, the execution's class
 * hash (*cls), and - with DPOR - its races turned into backtrack entries.
 * False when out of memory. */
bool fz_explore_analyse(struct fz_explorer *x, bool dpor, uint64_t *cls);

/* The terminal state of the runner's last run (fz_explore_state.c): zeroedBase
 * per arena, the page allocator's bitmaps and search address, every P's
 * cache, and every thread's live allocations and operation results; heap
 * addresses only, never OS addresses or allocation numbers. */
uint64_t fz_explore_state_hash(const struct fz_explorer *x);

FZ_HARNESS_CODE_BEGIN
static inline unsigned fz_lowest(fz_tmask m)
{
	return (unsigned)__builtin_ctz(m);
}

/* One step of the hashes that name classes and steps. */
static inline uint64_t fz_xmix(uint64_t h, uint64_t v)
{
	h ^= v + 0x9E3779B97F4A7C15ull + (h << 6) + (h >> 2);
	return h * 0xff51afd7ed558ccdull;
}
FZ_HARNESS_CODE_END

#endif
