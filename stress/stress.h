/*
 * stress.h - the free-running stress program: shared types and the
 * functions its files offer one another.
 *
 * The fuzz runner (fuzz/run/fz_run.c) plays short, controlled schedules; this
 * program is its long-running counterpart: real threads hammer one heap for
 * seconds or hours with random operations, online oracles judge every
 * operation that is cheap to judge, and quiescent checkpoints judge the
 * whole heap at intervals.  Files, one concern each:
 *
 *   options.c     command line, usage, the rerun command line
 *   variant.c     which variant/fault this binary is; re-exec the sibling
 *   run.c         the main thread: start, watch, checkpoint, stop, tear down
 *   worker.c      a worker thread and its operations (online oracles)
 *   checkpoint.c  the pause barrier and the at-rest oracles
 *   hooks.c       allocator hooks (notes -> trace and decision model,
 *                 jitter) and the throw handler
 *   report.c      progress lines, summary table, JSON, failure report
 *   fatal.c       TSan defaults and death callback; crash signals
 *   micro.c       --micro cache / cache-alloc: 1-page micro-benchmarks
 *   rng.h         the per-thread PRNG
 *
 * Threading discipline (every shared variable's protection is stated on
 * its declaration below):
 *  - a worker's own state (its P, its live allocations, its PRNG) belongs
 *    to the worker while it runs and to the main thread while the worker is
 *    parked at a checkpoint or has finished (the barrier's mutex and
 *    pthread_join give the happens-before edges);
 *  - counters the main thread samples while workers run are written by
 *    one thread only, with relaxed atomic stores, and read with relaxed
 *    atomic loads;
 *  - the trace buffers and the decision model are harness bookkeeping,
 *    touched inside FZ_UNTRACKED regions so ThreadSanitizer neither reports
 *    them nor derives happens-before from them;
 *  - heap memory is always read and written in plain code, so TSan sees
 *    every access the allocator's races could affect.
 */
#ifndef STRESS_H
#define STRESS_H

#include <pthread.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "fz_oracle.h"
#include "fz_trace.h"
#include "ph_heap.h"

/* The trace and the decision model keep per-thread state for this many. */
#define ST_MAX_THREADS FZ_MAX_THREADS
/* A worker that completes no operation for this long is stuck. */
#define ST_WATCHDOG_SECONDS 10
/* Hook builds pause at 1 in this many allocator scheduling points. */
#define ST_DEFAULT_JITTER 8

static inline void st_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

enum { ST_EXIT_OK = 0, ST_EXIT_FAIL = 1, ST_EXIT_USAGE = 2 };

/* Operation kinds a worker draws from the mix. */
enum st_op {
	ST_OP_SMALL,   /* 1..15 pages: the P's cache path */
	ST_OP_LARGE,   /* 16+ pages: the locked path, may span arenas */
	ST_OP_FREE,    /* free one of the worker's live allocations */
	ST_OP_WRITE,   /* check and rewrite one live allocation's pattern */
	ST_OP_DESTROY, /* flush the worker's P cache (Go: procresize) */
	ST_OP_CLAIM,   /* fault injection: a raw zeroing decision for pages not owned */
	ST_OP_KINDS
};

/* ---- options.c ---------------------------------------------------------- */

struct st_options {
	unsigned threads;        /* 1..ST_MAX_THREADS */
	double seconds;          /* run length when ops == 0 */
	uint64_t ops;            /* total operations (split among threads); 0 = timed */
	uint64_t seed;
	bool seed_given;
	unsigned mix[ST_OP_KINDS]; /* relative weights */
	const ph_geom *geom;
	int want_locked;         /* -1 = whatever this binary is, 0 lock-free, 1 locked */
	bool no_page_cache;
	const char *bug;         /* --bug NAME, or NULL */
	unsigned checkpoint_ms;  /* 0 = no periodic checkpoints */
	unsigned reset_ms;       /* heap reset period; 0 = never */
	unsigned jitter;         /* hook builds: pause at 1 in N allocator points; 0 = never */
	const char *json;        /* NULL, a path, or "-" for stdout */
	bool quiet;
	unsigned trace_events;   /* events per worker in a failure report; 0 = all kept */
	const char *micro;       /* NULL, "cache" or "cache-alloc" */
	int argc;                /* the command line, for the rerun command */
	char **argv;
};

/* Fills o from argv; on a bad command line prints usage to stderr and
 * exits ST_EXIT_USAGE; --help prints usage to stdout and exits 0. */
void st_parse_options(struct st_options *o, int argc, char **argv);
const char *st_op_name(enum st_op k);
/* "small=40,large=5,..." */
void st_format_mix(const unsigned mix[ST_OP_KINDS], char *buf, size_t n);
/* A shell command that reruns this invocation with the same seed. */
void st_rerun_command(const struct st_options *o, char *buf, size_t n);

/* ---- variant.c ---------------------------------------------------------- */

extern const bool st_build_locked; /* compiled with PH_ZEROING_LOCKED=1 */
extern const bool st_build_hooks;  /* compiled with PH_HOOKS=1 */
extern const bool st_build_tsan;   /* compiled with ThreadSanitizer */
const char *st_variant_name(bool locked);
/* Re-executes the sibling binary when --variant asks for the other zeroing
 * variant; returns only when this binary is the right one.  Exits
 * ST_EXIT_USAGE with a message when the sibling is missing. */
void st_ensure_variant(struct st_options *o);
/* Exits ST_EXIT_USAGE unless --bug (if given) names the compiled-in fault. */
void st_ensure_bug(const struct st_options *o);

/* ---- the run (run.c, worker.c, checkpoint.c, hooks.c) ------------------- */

/* Per-worker counters: written only by the owning worker (relaxed atomic
 * stores), read by the main thread at any time (relaxed atomic loads).
 * The one exception, live_pages, is zeroed by the main thread when it frees
 * everything, while the worker is parked or finished. */
struct st_counters {
	uint64_t ops;             /* operations completed */
	uint64_t allocs;          /* successful allocations */
	uint64_t frees;
	uint64_t writes;
	uint64_t destroys;
	uint64_t claims;
	uint64_t ooms;            /* allocations that found no memory */
	uint64_t idle;            /* free/write with nothing live */
	uint64_t pages_allocated;
	uint64_t pages_needzero;  /* pages in ranges decided "needs zeroing" */
	uint64_t pages_spurious;  /* ... of which never handed out before */
	uint64_t live_pages;      /* pages currently held */
	uint64_t zb_raises;       /* zeroedBase CASes/stores seen in notes (hook builds) */
};

/* A raw claim as the throw handler sees it.  end_seq is UINT32_MAX while
 * its decision runs, then the trace sequence number of its outcome. */
#define ST_CLAIM_HISTORY 64
struct st_claim_rec {
	uintptr_t base, npages;
	uint32_t end_seq;
};

struct st_worker {
	int tid;
	pthread_t thread;
	/* Owned by the worker while it runs; by the main thread while the
	 * worker is parked at a checkpoint or finished. */
	ph_p p;
	struct fz_live *live;
	unsigned nlive, live_cap;
	uint64_t rng[4];           /* operation choices */
	uint64_t jitter_rng[4];    /* pauses at allocator points (hooks.c) */
	uint64_t quota;            /* operations to do; 0 = until told to stop */
	uint64_t allocs_made;      /* for allocation numbers */
	jmp_buf unwind;            /* where a failure or throw leaves the loop */
	/* Relaxed atomics, single writer (the worker). */
	struct st_counters c;
	/* Worker-private (read by its own throw handler): trace sequence
	 * number of the current operation's start. */
	uint32_t op_seq;
	/* The worker's last ST_CLAIM_HISTORY raw claims (the one in flight
	 * included): written by the worker, read by any thread's throw handler
	 * to decide whether a claim can explain an overlap throw (hooks.c).
	 * Entry fields are relaxed atomics except base (release/acquire);
	 * nclaims counts entries ever published (release/acquire). */
	struct st_claim_rec claim_hist[ST_CLAIM_HISTORY];
	uint32_t nclaims;
	bool in_claim;             /* worker-private: the current op is a claim */
	/* Worker-private (hooks.c): the last note traced and how many times
	 * it repeated since, so a retry loop does not flood the trace ring. */
	struct ph_note last_note;
	uint32_t note_repeats;
	/* Protected by run.bar_mu (also read relaxed by the watchdog). */
	uint32_t done;             /* left its loop (finished, failed or told to stop) */
	uint32_t parked;           /* waiting at a checkpoint */
};

enum st_state {
	ST_RUNNING,  /* workers run operations */
	ST_STOPPING, /* time is up: workers finish their operation and leave */
	ST_FAILED,   /* an oracle failed (verdict set) */
	ST_DETECTED, /* the overlap detector fired on an injected claim */
};

struct st_run {
	const struct st_options *o;
	const ph_geom *g;
	ph_heap *heap;
	unsigned nthreads;
	uintptr_t large_max;        /* largest large allocation, pages */
	uintptr_t thread_budget;    /* live pages a worker may hold */
	bool claims_on;
	struct fz_shadow shadow;    /* relaxed atomics inside */
	struct fz_trace *trace;     /* untracked bookkeeping, per-thread buffers */
	struct fz_decisions *dec;   /* untracked bookkeeping (HOOKS=1 builds only) */
	struct st_worker w[ST_MAX_THREADS];

	uint32_t arrived;           /* relaxed atomic: start barrier */
	uint32_t state;             /* enum st_state; see st_end() for ordering */
	uint32_t ended;             /* atomic CAS: first failure/detection wins */
	/* Written once by whoever won `ended`, before the release store to
	 * state; read by the main thread after an acquire load of state. */
	struct fz_verdict verdict;
	int fail_tid;               /* -1: the main thread (checkpoint, watchdog) */
	uint32_t reported;          /* atomic exchange: the failure report was printed */
	char extra[640];            /* Go's throw text, or empty */

	/* Checkpoint barrier.  pause_req is written by the main thread under
	 * bar_mu and polled relaxed by workers between operations; parked,
	 * done and resume_gen are protected by bar_mu. */
	pthread_mutex_t bar_mu;
	pthread_cond_t bar_resume;  /* workers wait here */
	pthread_cond_t bar_main;    /* the main thread waits here */
	uint32_t pause_req;
	unsigned nparked, ndone;
	uint64_t resume_gen;

	/* Main thread only (heap statistics are zeroed by a heap reset, so
	 * the totals of earlier heap generations are kept here). */
	uint64_t checkpoints, resets;
	ph_heap_stats stats_base;
	double start_s, end_s;
	uint64_t last_ops[ST_MAX_THREADS];
	double last_change_s[ST_MAX_THREADS];
};

/* The run in progress, for the hooks and the throw handler (set by the
 * main thread before any worker starts, never changed while they run). */
extern struct st_run *st_active;
/* The calling thread's worker; NULL on the main thread. */
extern __thread struct st_worker *st_self;

double st_now(void);
int st_run_stress(const struct st_options *o);

void *st_worker_main(void *arg);
/* Pages a worker frees when the heap is out of memory: half its live set. */
void st_worker_relieve(struct st_run *r, struct st_worker *w);

/* Records the first failure (or detection, when state is ST_DETECTED) and
 * publishes it; returns true if this call was the first.  tid -1 = main. */
bool st_end(struct st_run *r, enum st_state state, int tid, const struct fz_verdict *v, const char *extra);
/* Ends the run with v from worker w and leaves the worker's loop. */
__attribute__((noreturn)) void st_worker_fail(struct st_run *r, struct st_worker *w, const struct fz_verdict *v,
					       const char *extra);
/* Appends an event to worker tid's trace buffer; returns its sequence number. */
uint32_t st_trace(struct st_run *r, int tid, const struct fz_event *ev);
void st_trace_info(struct st_run *r, int tid, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* checkpoint.c */
void st_checkpoint_poll(struct st_run *r, struct st_worker *w); /* worker side */
void st_worker_leave(struct st_run *r, struct st_worker *w);    /* worker side */
/* Main side: parks every worker, runs the at-rest oracles, with reset also
 * empties the heap (checking it) and resets it to fresh OS memory, then
 * resumes them.  Returns false when the run ended (failure, or a worker
 * stuck). */
bool st_checkpoint(struct st_run *r, bool reset);
/* The at-rest oracles (HEAP accounting, Z3 at rest); false fills v. */
bool st_check_at_rest(struct st_run *r, struct fz_verdict *v);
/* The watchdog: true if every worker that should be running made progress
 * within ST_WATCHDOG_SECONDS; otherwise ends the run with a verdict. */
bool st_watchdog(struct st_run *r, double now);
/* After the workers were joined: check, free everything, destroy every P,
 * check nothing is left.  false fills v. */
bool st_teardown(struct st_run *r, struct fz_verdict *v);

/* hooks.c */
void st_install_throw_handler(void);

/* fatal.c: a TSan report or a crash also prints the seed, the swimlane
 * trace and the rerun command before the process dies. */
void st_fatal_setup(void);

/* report.c */
struct st_totals {
	struct st_counters c;
	ph_heap_stats hs;
	double elapsed;
};
void st_totals(const struct st_run *r, struct st_totals *t);
FILE *st_human_out(const struct st_options *o);
void st_print_banner(const struct st_run *r);
void st_print_progress(const struct st_run *r, double now, struct st_totals *prev, double *prev_t);
void st_print_summary(const struct st_run *r, const char *result);
void st_print_failure(struct st_run *r);
void st_print_detection(struct st_run *r);
/* Writes the JSON summary if --json was given; result is "ok", "failed"
 * or "detector-fired". */
void st_write_json(const struct st_run *r, const char *result, int exit_code);

/* micro.c */
int st_micro(const struct st_options *o);

#endif
