/*
 * fz_engine_pthread.c - schedule threads as persistent pthreads.
 *
 * Control word: turn[t] is 1 while thread t may run.  Handing over from A
 * to B sets turn[B] with a relaxed store and wakes B's futex; A then sleeps
 * on its own word.  Relaxed atomics and raw futex syscalls create no
 * happens-before edge in ThreadSanitizer's model.
 *
 * Per input: main publishes the run (body, arguments) and bumps `gen` with
 * a release store; each worker acquires it (edge main -> worker).  A
 * finishing worker adds to `finished` with a release; main acquires it
 * (edge worker -> main).  Workers outside this input's thread count report
 * finished at once and go back to sleep.
 */
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fz_engine.h"
#include "fz_sanitizer.h"

FZ_HARNESS_CODE_BEGIN

struct pthread_engine {
	struct fz_engine base;
	pthread_t threads[FZ_MAX_THREADS];
	unsigned created;
	uint32_t turn[FZ_MAX_THREADS]; /* relaxed; futex words */
	uint32_t gen;                  /* release by main, acquire by workers */
	uint32_t finished;             /* release by workers, acquire by main */
	uint32_t quit;
	/* Published by main before the gen release. */
	bool free_running; /* no turns: everyone runs at once */
	unsigned n;
	fz_thread_fn fn;
	void *arg;
};

struct worker_start {
	struct pthread_engine *e;
	unsigned tid;
	uint32_t seen; /* the last generation before this worker existed */
};

static void futex_wait(uint32_t *word, uint32_t val)
{
	syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, val, NULL, NULL, 0);
}

static void futex_wake(uint32_t *word, int n)
{
	syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, n, NULL, NULL, 0);
}

static void wait_turn(struct pthread_engine *e, unsigned t)
{
	while (__atomic_load_n(&e->turn[t], __ATOMIC_RELAXED) == 0)
		futex_wait(&e->turn[t], 0);
	__atomic_store_n(&e->turn[t], 0, __ATOMIC_RELAXED);
}

static void give_turn(struct pthread_engine *e, unsigned t)
{
	__atomic_store_n(&e->turn[t], 1, __ATOMIC_RELAXED);
	futex_wake(&e->turn[t], 1);
}

static void *worker_main(void *p)
{
	struct worker_start start = *(struct worker_start *)p;
	struct pthread_engine *e = start.e;
	uint32_t seen = start.seen;
	free(p);

	for (;;) {
		uint32_t g;
		while ((g = __atomic_load_n(&e->gen, __ATOMIC_ACQUIRE)) == seen)
			futex_wait(&e->gen, seen);
		seen = g;
		if (__atomic_load_n(&e->quit, __ATOMIC_RELAXED))
			return NULL;
		if (start.tid >= e->n) {
			/* Not in this run, but its read of the run's fields must
			 * still happen before main rewrites them. */
			__atomic_fetch_add(&e->finished, 1, __ATOMIC_RELEASE);
			futex_wake(&e->finished, 1);
			continue;
		}
		/* Read the run's fields now: once this worker reports finished,
		 * main may publish the next run over them. */
		bool free_running = e->free_running;
		if (!free_running)
			wait_turn(e, start.tid);
		int next = e->fn((int)start.tid, e->arg);
		__atomic_fetch_add(&e->finished, 1, __ATOMIC_RELEASE);
		futex_wake(&e->finished, 1);
		if (next >= 0 && !free_running)
			give_turn(e, (unsigned)next);
	}
}

static void ensure_threads(struct pthread_engine *e, unsigned n)
{
	while (e->created < n) {
		struct worker_start *ws = malloc(sizeof *ws);
		if (ws == NULL) {
			fprintf(stderr, "fz_engine: out of memory\n");
			abort();
		}
		ws->e = e;
		ws->tid = e->created;
		ws->seen = __atomic_load_n(&e->gen, __ATOMIC_RELAXED); /* only main writes gen */
		int rc = pthread_create(&e->threads[e->created], NULL, worker_main, ws);
		if (rc != 0) {
			fprintf(stderr, "fz_engine: pthread_create: error %d\n", rc);
			abort();
		}
		e->created++;
	}
}

/* Publishes the run and wakes the workers; first < 0 means free-running. */
static void start_run(struct pthread_engine *e, unsigned n, int first, fz_thread_fn fn, void *arg)
{
	ensure_threads(e, n);
	e->n = n;
	e->fn = fn;
	e->arg = arg;
	e->free_running = first < 0;
	__atomic_store_n(&e->finished, 0, __ATOMIC_RELAXED);
	if (first >= 0)
		__atomic_store_n(&e->turn[first], 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&e->gen, 1, __ATOMIC_RELEASE);
	futex_wake(&e->gen, INT_MAX);
}

static void wait_finished(struct pthread_engine *e, unsigned n)
{
	uint32_t f;
	while ((f = __atomic_load_n(&e->finished, __ATOMIC_ACQUIRE)) < n)
		futex_wait(&e->finished, f);
}

static void pthread_run_free(struct fz_engine *base, unsigned n, fz_thread_fn fn, void *arg)
{
	struct pthread_engine *e = (struct pthread_engine *)base;
	start_run(e, n, -1, fn, arg);
	wait_finished(e, e->created);
}

static void pthread_run(struct fz_engine *base, unsigned n, int first, fz_thread_fn fn, void *arg)
{
	struct pthread_engine *e = (struct pthread_engine *)base;
	start_run(e, n, first, fn, arg);

	/* Every thread of the run finishes exactly once: the scheduler only
	 * ends the run when none is left unfinished (or abandons the run, in
	 * which case the bodies unwind and finish anyway).  Workers outside
	 * the run report at once. */
	wait_finished(e, e->created);
}

static void pthread_switch(struct fz_engine *base, int from, int to)
{
	struct pthread_engine *e = (struct pthread_engine *)base;
	give_turn(e, (unsigned)to);
	wait_turn(e, (unsigned)from);
}

static void pthread_destroy(struct fz_engine *base)
{
	struct pthread_engine *e = (struct pthread_engine *)base;
	__atomic_store_n(&e->quit, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&e->gen, 1, __ATOMIC_RELEASE);
	futex_wake(&e->gen, INT_MAX);
	for (unsigned i = 0; i < e->created; i++)
		pthread_join(e->threads[i], NULL);
	free(e);
}

static const struct fz_engine_ops pthread_ops = {
	.run = pthread_run,
	.switch_to = pthread_switch,
	.run_free = pthread_run_free,
	.destroy = pthread_destroy,
};

struct fz_engine *fz_engine_pthread_new(char *err, size_t errlen)
{
	struct pthread_engine *e = calloc(1, sizeof *e);
	if (e == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	e->base.ops = &pthread_ops;
	e->base.kind = FZ_ENGINE_PTHREAD;
	return &e->base;
}

FZ_HARNESS_CODE_END
