/*
 * checkpoint.c - quiescent checkpoints, the watchdog, and the final
 * tear-down checks.
 *
 * A checkpoint parks every worker between two operations, lets the main
 * thread judge the whole heap at rest, and resumes them:
 *   HEAP  the page allocator's invariants hold (ph_heap_verify) and every
 *         page is accounted for once: in use in the bitmap exactly when a
 *         live allocation or a P's cache owns it (fz_heap_accounting);
 *   Z3    at rest, each arena's zeroedBase equals the highest end any
 *         decision reached in it (fz_decisions_quiescent; hook builds).
 *
 * The barrier is a real one (a mutex and two condition variables), which is
 * fine for correctness because workers only park between operations: no
 * allocator call is ever in flight at a checkpoint, so the barrier cannot
 * split one.  It is NOT free for race detection: parking and resuming
 * create happens-before edges between every pair of threads, so TSan
 * cannot pair an access made before a checkpoint with one made after it.
 * Races are still seen between operations that run between the same two
 * checkpoints, which at the default 200 ms period is thousands of
 * operations per thread; keep checkpoints infrequent (or --checkpoint-ms 0)
 * when hunting races.  The main thread needs a timed wait (to run the
 * watchdog while a worker may be stuck), which a pthread_barrier cannot do.
 *
 * The watchdog declares a worker stuck when it completed no operation for
 * ST_WATCHDOG_SECONDS while not parked: a retry loop that never ends
 * (livelock) or a lock that is never released (deadlock).
 */
#include <string.h>
#include <time.h>

#include "fz_sanitizer.h"
#include "stress.h"

void st_checkpoint_poll(struct st_run *r, struct st_worker *w)
{
	pthread_mutex_lock(&r->bar_mu);
	/* Re-checked under the mutex: the relaxed poll may have been stale. */
	if (__atomic_load_n(&r->pause_req, __ATOMIC_RELAXED)) {
		st_trace_info(r, w->tid, "-- checkpoint --");
		__atomic_store_n(&w->parked, 1, __ATOMIC_RELAXED);
		r->nparked++;
		pthread_cond_signal(&r->bar_main);
		uint64_t gen = r->resume_gen;
		while (r->resume_gen == gen)
			pthread_cond_wait(&r->bar_resume, &r->bar_mu);
		r->nparked--;
		__atomic_store_n(&w->parked, 0, __ATOMIC_RELAXED);
	}
	pthread_mutex_unlock(&r->bar_mu);
}

void st_worker_leave(struct st_run *r, struct st_worker *w)
{
	pthread_mutex_lock(&r->bar_mu);
	__atomic_store_n(&w->done, 1, __ATOMIC_RELAXED);
	r->ndone++;
	pthread_cond_signal(&r->bar_main);
	pthread_mutex_unlock(&r->bar_mu);
}

bool st_check_at_rest(struct st_run *r, struct fz_verdict *v)
{
	const ph_p *ps[ST_MAX_THREADS];
	for (unsigned i = 0; i < r->nthreads; i++)
		ps[i] = &r->w[i].p;
	if (!fz_heap_accounting(r->heap, &r->shadow, ps, r->nthreads, v))
		return false;
#if PH_HOOKS
	if (!fz_decisions_quiescent(r->dec, r->heap, v))
		return false;
#endif
	return true;
}

bool st_watchdog(struct st_run *r, double now)
{
	int stuck = -1;
	for (unsigned i = 0; i < r->nthreads; i++) {
		const struct st_worker *w = &r->w[i];
		uint64_t ops = __atomic_load_n(&w->c.ops, __ATOMIC_RELAXED);
		bool resting = __atomic_load_n(&w->parked, __ATOMIC_RELAXED) || __atomic_load_n(&w->done, __ATOMIC_RELAXED);
		if (ops != r->last_ops[i] || resting) {
			r->last_ops[i] = ops;
			r->last_change_s[i] = now;
		} else if (now - r->last_change_s[i] >= ST_WATCHDOG_SECONDS && stuck < 0) {
			stuck = (int)i;
		}
	}
	if (stuck < 0)
		return true;
	bool locked = ph_mutex_is_locked(ph_heap_lock(r->heap));
	struct fz_verdict v;
	fz_fail_verdict(&v, locked ? "DEADLOCK" : "LIVELOCK",
			"worker T%d completed no operation for %d s while the heap lock was %s: %s", stuck,
			ST_WATCHDOG_SECONDS, locked ? "held" : "free",
			locked ? "a thread holds or waits for the heap lock forever"
			       : "a thread retries forever (a lock-free loop that cannot make progress)");
	st_end(r, ST_FAILED, -1, &v, NULL);
	return false;
}

static void timed_wait(pthread_cond_t *cv, pthread_mutex_t *mu, long ms)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += ms * 1000000L;
	ts.tv_sec += ts.tv_nsec / 1000000000L;
	ts.tv_nsec %= 1000000000L;
	pthread_cond_timedwait(cv, mu, &ts);
}

/*
 * Heap generations.  Most of the zeroing decision's concurrency happens
 * while the heap grows: ranges at zeroedBase arrive out of address order
 * from different Ps' caches and their CASes race.  Once the live set is at
 * its budget, nearly every range lies below zeroedBase and the decision
 * is a single load.  So every --reset-ms the heap is emptied (every
 * allocation checked and freed, every P flushed, nothing may be left),
 * reset to fresh OS memory and regrown by the workers.
 */
static bool reset_heap(struct st_run *r, struct fz_verdict *v)
{
	if (!st_teardown(r, v))
		return false;
	ph_heap_stats hs = ph_heap_get_stats(r->heap);
	r->stats_base.cas_failures += hs.cas_failures;
	r->stats_base.lock_contended += hs.lock_contended;
	r->stats_base.grows += hs.grows;
	ph_heap_reset(r->heap);
	fz_shadow_reset(&r->shadow);
	FZ_UNTRACKED_BEGIN();
	fz_decisions_reset(r->dec, r->g, false);
	FZ_UNTRACKED_END();
	for (unsigned i = 0; i < r->nthreads; i++) {
		ph_p_init(&r->w[i].p, i);
		st_trace_info(r, (int)i, "-- heap reset --");
	}
	r->resets++;
	return true;
}

bool st_checkpoint(struct st_run *r, bool reset)
{
	bool ok = true;
	pthread_mutex_lock(&r->bar_mu);
	__atomic_store_n(&r->pause_req, 1, __ATOMIC_RELAXED);
	while (r->nparked + r->ndone < r->nthreads) {
		if (__atomic_load_n(&r->state, __ATOMIC_RELAXED) != ST_RUNNING || !st_watchdog(r, st_now())) {
			ok = false;
			break;
		}
		timed_wait(&r->bar_main, &r->bar_mu, 50);
	}
	if (ok && __atomic_load_n(&r->state, __ATOMIC_RELAXED) == ST_RUNNING) {
		/* Every worker is parked (or gone): the heap is at rest, and the
		 * barrier's mutex orders their last operation before our reads. */
		struct fz_verdict v;
		if (!(reset ? reset_heap(r, &v) : st_check_at_rest(r, &v))) {
			st_end(r, ST_FAILED, -1, &v, NULL);
			ok = false;
		}
		r->checkpoints++;
	}
	__atomic_store_n(&r->pause_req, 0, __ATOMIC_RELAXED);
	r->resume_gen++;
	pthread_cond_broadcast(&r->bar_resume);
	pthread_mutex_unlock(&r->bar_mu);
	/* Parked time is not stuck time. */
	double now = st_now();
	for (unsigned i = 0; i < r->nthreads; i++)
		r->last_change_s[i] = now;
	return ok;
}

bool st_teardown(struct st_run *r, struct fz_verdict *v)
{
	if (!st_check_at_rest(r, v))
		return false;
	for (unsigned i = 0; i < r->nthreads; i++) {
		struct st_worker *w = &r->w[i];
		for (unsigned k = 0; k < w->nlive; k++) {
			const struct fz_live *l = &w->live[k];
			if (!fz_check_pattern(r->g, l->base, ph_heap_ptr(r->heap, l->base),
					      (size_t)l->npages << r->g->page_shift, l->id, l->tag, v))
				return false;
			fz_shadow_release(&r->shadow, l->base, l->npages);
			ph_free_span(r->heap, l->base, l->npages);
		}
		w->nlive = 0;
		__atomic_store_n(&w->c.live_pages, 0, __ATOMIC_RELAXED);
		ph_p_destroy(r->heap, &w->p);
	}
	return fz_heap_empty(r->heap, v);
}
