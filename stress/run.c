/*
 * run.c - the main thread of a stress run: set up the heap and the oracles'
 * state, release the workers, then watch them: a progress line every
 * second, a checkpoint every --checkpoint-ms, the watchdog all the time;
 * at the end stop them, and either report the failure or tear everything
 * down and check that nothing is left.
 *
 * The main thread never touches the heap while workers run, except through
 * the allocator's thread-safe statistics; everything else it reads then is
 * a relaxed atomic counter.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fz_sanitizer.h"
#include "rng.h"
#include "stress.h"

/* How long a failed run waits for the other workers to notice before it
 * reports anyway (they may be blocked on a lock the failed one held). */
#define FAIL_GRACE_SECONDS 2.0
/* The live set of all workers together stays under this many bytes, and
 * under half the heap's address space. */
#define LIVE_BYTES_MAX ((uintptr_t)64 << 20)
/* A large allocation writes at most this many bytes. */
#define LARGE_BYTES_MAX ((uintptr_t)4 << 20)

double st_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

static uintptr_t min_u(uintptr_t a, uintptr_t b) { return a < b ? a : b; }

static struct st_run *new_run(const struct st_options *o)
{
	struct st_run *r = calloc(1, sizeof *r);
	if (r == NULL)
		return NULL;
	r->o = o;
	r->g = o->geom;
	r->nthreads = o->threads;
	r->claims_on = o->mix[ST_OP_CLAIM] > 0;
	r->fail_tid = -1;

	const ph_geom *g = r->g;
	uintptr_t heap_pages = (uintptr_t)g->max_arenas * ph_arena_pages(g);
	uintptr_t live_total = min_u(heap_pages / 2, LIVE_BYTES_MAX >> g->page_shift);
	r->thread_budget = live_total / r->nthreads;
	/* Up to 2.5 arenas, so large ranges span arena boundaries (as the
	 * fuzz schedules do), within the byte cap and half a worker's budget. */
	r->large_max = min_u(min_u(ph_arena_pages(g) * 5 / 2, LARGE_BYTES_MAX >> g->page_shift), r->thread_budget / 2);
	if (r->large_max < PH_SMALL_PAGES)
		r->large_max = PH_SMALL_PAGES;

	char err[200];
	ph_heap_options hopt = {.use_page_cache = !o->no_page_cache};
	r->heap = ph_heap_create(g, &hopt, err, sizeof err);
	if (r->heap == NULL) {
		fprintf(stderr, "stress: cannot create the heap: %s\n", err);
		free(r);
		return NULL;
	}
	r->trace = calloc(1, sizeof *r->trace);
	r->dec = calloc(1, sizeof *r->dec);
	if (r->trace == NULL || r->dec == NULL || !fz_shadow_init(&r->shadow, g)) {
		fprintf(stderr, "stress: out of memory\n");
		return NULL;
	}
	/* A worker's first events are minutes old when a long run fails: keep
	 * only the latest. */
	fz_trace_reset(r->trace, true, 0);
	fz_decisions_reset(r->dec, g, false);
	pthread_mutex_init(&r->bar_mu, NULL);
	pthread_cond_init(&r->bar_resume, NULL);
	pthread_cond_init(&r->bar_main, NULL);

	for (unsigned i = 0; i < r->nthreads; i++) {
		struct st_worker *w = &r->w[i];
		w->tid = (int)i;
		ph_p_init(&w->p, i);
		w->last_note.kind = PH_NOTE_COUNT; /* matches no real note */
		/* Every live allocation holds at least a page. */
		w->live_cap = (unsigned)r->thread_budget + 1;
		w->live = calloc(w->live_cap, sizeof *w->live);
		if (w->live == NULL) {
			fprintf(stderr, "stress: out of memory\n");
			return NULL;
		}
		st_rng_seed(w->rng, o->seed, i);
		st_rng_seed(w->jitter_rng, o->seed, i + ST_MAX_THREADS);
		if (o->ops > 0)
			w->quota = o->ops / r->nthreads + (i < o->ops % r->nthreads ? 1 : 0);
	}
	return r;
}

static void free_run(struct st_run *r)
{
	for (unsigned i = 0; i < r->nthreads; i++)
		free(r->w[i].live);
	fz_shadow_free(&r->shadow);
	ph_heap_destroy(r->heap);
	free(r->trace);
	free(r->dec);
	free(r);
}

static unsigned done_count(struct st_run *r)
{
	pthread_mutex_lock(&r->bar_mu);
	unsigned n = r->ndone;
	pthread_mutex_unlock(&r->bar_mu);
	return n;
}

/* Waits until every worker left its loop.  While the run is healthy the
 * watchdog decides how long is too long; after a failure, a short grace.
 * Returns true if all left. */
static bool wait_workers(struct st_run *r)
{
	double failed_at = 0;
	for (;;) {
		if (done_count(r) == r->nthreads)
			return true;
		double now = st_now();
		enum st_state s = __atomic_load_n(&r->state, __ATOMIC_RELAXED);
		if (s == ST_FAILED || s == ST_DETECTED) {
			if (failed_at == 0)
				failed_at = now;
			else if (now - failed_at > FAIL_GRACE_SECONDS)
				return false;
		} else {
			st_watchdog(r, now);
		}
		sleep_ms(10);
	}
}

/* The watching loop; returns when time is up, the operations are done or
 * the run ended early. */
static void watch(struct st_run *r)
{
	const struct st_options *o = r->o;
	double next_progress = r->start_s + 1.0;
	double next_checkpoint = r->start_s + o->checkpoint_ms / 1000.0;
	double next_reset = r->start_s + o->reset_ms / 1000.0;
	struct st_totals prev = {0};
	double prev_t = r->start_s;
	for (;;) {
		sleep_ms(10);
		double now = st_now();
		if (__atomic_load_n(&r->state, __ATOMIC_RELAXED) != ST_RUNNING)
			return;
		if (o->ops > 0 ? done_count(r) == r->nthreads : now - r->start_s >= o->seconds)
			return;
		if (!st_watchdog(r, now))
			return;
		bool reset = o->reset_ms > 0 && now >= next_reset;
		if (reset || (o->checkpoint_ms > 0 && now >= next_checkpoint)) {
			if (!st_checkpoint(r, reset))
				return;
			double after = st_now();
			next_checkpoint = after + o->checkpoint_ms / 1000.0;
			if (reset)
				next_reset = after + o->reset_ms / 1000.0;
		}
		if (!o->quiet && now >= next_progress) {
			st_print_progress(r, now, &prev, &prev_t);
			next_progress += 1.0;
		}
	}
}

/* Reports a failure and leaves the process: workers may still be stuck
 * inside the allocator, so nothing is torn down. */
__attribute__((noreturn)) static void exit_failed(struct st_run *r, bool all_left)
{
	if (all_left)
		for (unsigned i = 0; i < r->nthreads; i++)
			pthread_join(r->w[i].thread, NULL);
	st_print_failure(r);
	st_print_summary(r, "failed");
	st_write_json(r, "failed", ST_EXIT_FAIL);
	fflush(NULL);
	_exit(ST_EXIT_FAIL);
}

int st_run_stress(const struct st_options *o)
{
	if (o->mix[ST_OP_CLAIM] > 0 && st_build_locked) {
		fprintf(stderr,
			"stress: claims (--mix claim=W) probe the lock-free decision's overlap detector; the pre-seed locked decision has none and requires the heap lock, so this binary cannot run them.  Drop claim= or use --variant lockfree.\n");
		return ST_EXIT_USAGE;
	}
	struct st_run *r = new_run(o);
	if (r == NULL)
		return ST_EXIT_FAIL;
	st_active = r;
	st_install_throw_handler();
	st_fatal_setup();
	st_print_banner(r);

	r->start_s = st_now();
	for (unsigned i = 0; i < r->nthreads; i++) {
		r->last_change_s[i] = r->start_s;
		int rc = pthread_create(&r->w[i].thread, NULL, st_worker_main, &r->w[i]);
		if (rc != 0) {
			fprintf(stderr, "stress: cannot start worker %u: %s\n", i, strerror(rc));
			_exit(ST_EXIT_FAIL);
		}
	}
	watch(r);
	uint32_t running = ST_RUNNING;
	__atomic_compare_exchange_n(&r->state, &running, ST_STOPPING, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
	bool all_left = wait_workers(r);
	r->end_s = st_now();

	/* Acquire: pairs with st_end's release, so the verdict is visible. */
	enum st_state s = __atomic_load_n(&r->state, __ATOMIC_ACQUIRE);
	if (s == ST_DETECTED && !all_left) {
		/* A worker is still inside the allocator: report without joining. */
		st_print_detection(r);
		st_print_summary(r, "detector-fired");
		st_write_json(r, "detector-fired", ST_EXIT_OK);
		fflush(NULL);
		_exit(ST_EXIT_OK);
	}
	if (s == ST_FAILED || !all_left)
		exit_failed(r, all_left);
	for (unsigned i = 0; i < r->nthreads; i++)
		pthread_join(r->w[i].thread, NULL);
	if (s == ST_DETECTED) {
		/* The heap is not usable after a throw; no tear-down. */
		st_print_detection(r);
		st_print_summary(r, "detector-fired");
		st_write_json(r, "detector-fired", ST_EXIT_OK);
		st_active = NULL;
		return ST_EXIT_OK;
	}
	struct fz_verdict v;
	if (!st_teardown(r, &v)) {
		st_end(r, ST_FAILED, -1, &v, NULL);
		exit_failed(r, false);
	}
	st_print_summary(r, "ok");
	st_write_json(r, "ok", ST_EXIT_OK);
	st_active = NULL;
	free_run(r);
	return ST_EXIT_OK;
}
