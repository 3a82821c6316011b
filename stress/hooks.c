/*
 * hooks.c - where the allocator talks to the stress program: its hooks
 * (PH_HOOKS=1 builds) and its throws; plus ending the run, which both of
 * them and the workers' oracles do.
 *
 * Hooks.  Nothing is scheduled here (the threads run free), so scheduling
 * points do nothing and a busy heap lock is waited for normally.  Notes go
 * to the calling worker's trace lane and to the decision model in non-exact
 * mode, which checks what one thread can judge on its own while others run:
 * O3 (a reload that saw zeroedBase inside the claim must throw) and Z3's
 * bound (zeroedBase never beyond its arena), and keeps the highest end
 * decided per arena for Z3 at rest.  Both are harness bookkeeping shared by
 * all workers, so they are touched inside FZ_UNTRACKED: TSan must not
 * report them, and above all must not see them as synchronisation that
 * would hide the allocator's races.  The model's clock, counters and
 * highest ends are atomics; its per-arena copy of zeroedBase is a plain
 * store by whichever worker saw a raise, read only in exact mode, so its
 * value does not matter here.
 *
 * Throws.  Go's throw is fatal and the allocator is not safe to use after
 * one (a decision was abandoned half-way, perhaps with the heap lock held).
 * So every throw ends the run: the throwing worker leaves its loop by
 * longjmp and the main thread reports.  A throw is a failure, except
 * "potentially overlapping in-use allocations detected" while claims are
 * enabled and a raw claim explains it: then the detector did its job, the
 * run ends as "detector fired" and exits 0.
 */
#include <sched.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#include "fz_sanitizer.h"
#include "ph_throw.h"
#include "rng.h"
#include "stress.h"

struct st_run *st_active;
__thread struct st_worker *st_self;

uint32_t st_trace(struct st_run *r, int tid, const struct fz_event *ev)
{
	uint32_t seq = 0;
	if (tid < 0 || tid >= ST_MAX_THREADS)
		return 0;
	/* Frozen once the run ended, so the report shows the moment of the
	 * failure even if a stuck worker keeps going. */
	if (__atomic_load_n(&r->ended, __ATOMIC_RELAXED))
		return 0;
	FZ_UNTRACKED_BEGIN();
	seq = fz_trace_add(r->trace, tid, ev);
	FZ_UNTRACKED_END();
	return seq;
}

void st_trace_info(struct st_run *r, int tid, const char *fmt, ...)
{
	struct fz_event ev = {.kind = FZ_EV_INFO};
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(ev.text, sizeof ev.text, fmt, ap);
	va_end(ap);
	st_trace(r, tid, &ev);
}

bool st_end(struct st_run *r, enum st_state state, int tid, const struct fz_verdict *v, const char *extra)
{
	uint32_t expected = 0;
	if (!__atomic_compare_exchange_n(&r->ended, &expected, 1, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		return false; /* someone else's failure came first */
	if (v != NULL)
		r->verdict = *v;
	r->fail_tid = tid;
	snprintf(r->extra, sizeof r->extra, "%s", extra != NULL ? extra : "");
	/* Reports add their own line ends. */
	size_t len = strlen(r->extra);
	while (len > 0 && r->extra[len - 1] == '\n')
		r->extra[--len] = '\0';
	/* Release: the main thread's acquire load of state then sees the
	 * verdict.  This edge exists only once, at the end of the run. */
	__atomic_store_n(&r->state, state, __ATOMIC_RELEASE);
	return true;
}

void st_worker_fail(struct st_run *r, struct st_worker *w, const struct fz_verdict *v, const char *extra)
{
	struct fz_event ev = {.kind = FZ_EV_VERDICT};
	snprintf(ev.text, sizeof ev.text, "%s", v->oracle);
	st_trace(r, w->tid, &ev);
	st_end(r, ST_FAILED, w->tid, v, extra);
	longjmp(w->unwind, 1);
}

#if PH_HOOKS
/*
 * Free-running: no scheduling, and lock waits sleep on the futex.  What a
 * point can do is jitter: at 1 in --jitter points (zeroedBase loads and
 * CASes, lock and unlock, cache refills) the worker pauses for a random
 * moment, mostly a short spin, sometimes a yield.  Without it the window
 * between a zeroedBase load and its CAS is a few nanoseconds and two
 * workers almost never meet in it; with it CAS failures, and the faults
 * that only show after one (cas-no-reload, cas-no-overlap-check), happen
 * within seconds.  The pause uses the worker's own jitter PRNG, so the
 * operation stream of a seed is unchanged.
 */
void ph_hook_point(enum ph_point pt, uintptr_t obj)
{
	(void)pt;
	(void)obj;
	struct st_worker *w = st_self;
	struct st_run *r = st_active;
	if (w == NULL || r == NULL || r->o->jitter == 0 || st_rng_below(w->jitter_rng, r->o->jitter) != 0)
		return;
	uint64_t x = st_rng_next(w->jitter_rng);
	if ((x & 7) == 0) {
		sched_yield();
		return;
	}
	for (uint64_t i = (x >> 3) % 256; i > 0; i--)
		st_cpu_relax();
}

bool ph_hook_lock_wait(const void *lock)
{
	(void)lock;
	return false;
}

void ph_hook_note(enum ph_note_kind kind, uintptr_t base, uintptr_t npages, uintptr_t arena, uintptr_t a, uintptr_t b,
		  bool ok)
{
	const struct ph_note note = {kind, base, npages, arena, a, b, ok}, *n = &note;
	struct st_worker *w = st_self;
	struct st_run *r = st_active;
	if (w == NULL || r == NULL)
		return; /* the main thread's set-up and tear-down */
	struct fz_verdict v;
	if (__atomic_load_n(&r->ended, __ATOMIC_RELAXED))
		return; /* the trace is frozen; the run is over anyway */
	/* A note identical to the previous one (a CAS retried with the same
	 * values) is counted, not traced: a livelock would otherwise fill the
	 * ring with one line and push out everything that led to it. */
	bool repeat = n->kind == w->last_note.kind && n->base == w->last_note.base &&
		      n->npages == w->last_note.npages && n->arena == w->last_note.arena &&
		      n->a == w->last_note.a && n->b == w->last_note.b && n->ok == w->last_note.ok;
	if (repeat) {
		w->note_repeats++;
	} else if (w->note_repeats > 0) {
		st_trace_info(r, w->tid, "  (previous note x%u more)", w->note_repeats);
		w->note_repeats = 0;
	}
	w->last_note = *n;
	FZ_UNTRACKED_BEGIN();
	if (!repeat)
		fz_trace_add(r->trace, w->tid, &(struct fz_event){
			.kind = FZ_EV_NOTE, .sub = (uint8_t)n->kind, .ok = n->ok, .base = n->base,
			.npages = n->npages, .arena = n->arena, .a = n->a, .b = n->b});
	bool judged_ok = fz_decisions_note(r->dec, w->tid, n, &r->shadow, &v);
	FZ_UNTRACKED_END();
	if (n->kind == PH_NOTE_ZB_CAS || n->kind == PH_NOTE_ZB_STORE)
		__atomic_store_n(&w->c.zb_raises, w->c.zb_raises + 1, __ATOMIC_RELAXED);
	if (!judged_ok)
		st_worker_fail(r, w, &v, NULL);
}
#endif

/*
 * Can an injected claim explain an overlap throw on worker w (NULL: main)?
 * Yes if w was itself making a raw claim, or if some worker's raw claim
 * overlapping the thrown range was in flight or ended after w's operation
 * started: only a decision running concurrently can move zeroedBase into a
 * range between its load and its CAS.  Each worker keeps its last
 * ST_CLAIM_HISTORY claims; if even the oldest kept one ended after w's
 * operation started, older ones may matter too and the answer is yes.
 * Entries are written field by field, so a reader racing with a recycled
 * entry may pair fields of two claims; that can only make an overlap look
 * injected, and needs a real double allocation coinciding with such a race.
 * Trace sequence numbers wrap after 2^32 events; differences are compared
 * as signed, which is right while an operation spans fewer than 2^31.
 */
static bool claim_explains(struct st_run *r, const struct st_worker *w, const ph_throw_info *info)
{
	if (w != NULL && w->in_claim)
		return true;
	if (!info->has_range)
		return false;
	uintptr_t lo = info->base, hi = info->base + (info->npages << r->g->page_shift);
	uint32_t since = w != NULL ? w->op_seq : 0;
	for (unsigned i = 0; i < r->nthreads; i++) {
		const struct st_worker *x = &r->w[i];
		uint32_t count = __atomic_load_n(&x->nclaims, __ATOMIC_ACQUIRE);
		uint32_t first = count > ST_CLAIM_HISTORY ? count - ST_CLAIM_HISTORY : 0;
		for (uint32_t k = first; k < count; k++) {
			const struct st_claim_rec *c = &x->claim_hist[k % ST_CLAIM_HISTORY];
			uintptr_t cb = __atomic_load_n(&c->base, __ATOMIC_ACQUIRE);
			uintptr_t np = __atomic_load_n(&c->npages, __ATOMIC_RELAXED);
			uint32_t end = __atomic_load_n(&c->end_seq, __ATOMIC_RELAXED);
			bool recent = end == UINT32_MAX || (int32_t)(end - since) > 0;
			if (recent && k == first && first > 0)
				return true; /* the history overflowed inside the window */
			if (recent && cb < hi && cb + (np << r->g->page_shift) > lo)
				return true;
		}
	}
	return false;
}

static void on_throw(const ph_throw_info *info)
{
	struct st_run *r = st_active;
	if (r == NULL)
		return; /* not during a run: ph_throw prints and aborts */
	struct st_worker *w = st_self;
	int tid = w != NULL ? w->tid : -1;
	char text[640];
	ph_throw_format(info, text, sizeof text);
	st_trace_info(r, tid, "throw \"%.52s\"", info->msg);

	struct fz_verdict v;
	bool overlap = strcmp(info->msg, PH_MSG_OVERLAP) == 0;
	if (overlap && r->claims_on && claim_explains(r, w, info)) {
		fz_fail_verdict(&v, "DETECTOR",
				"the overlap detector fired on a fault-injected claim (as it should); Go's throw is fatal, so the run ends here");
		st_end(r, ST_DETECTED, tid, &v, text);
		if (w != NULL)
			longjmp(w->unwind, 1);
	} else if (overlap) {
		fz_fail_verdict(&v, "O1", "the allocator threw \"%s\"%s", info->msg,
				r->claims_on ? " and no injected claim overlapping the range was running"
					     : " and no claim was injected: two allocations overlapped");
	} else if (strcmp(info->msg, PH_MSG_MIDDLE) == 0 && st_build_locked &&
		   ph_heap_options_of(r->heap)->use_page_cache) {
		fz_fail_verdict(&v, "THROW",
				"the allocator threw \"%s\": the pre-seed locked decision assumes address-ordered allocation, which per-P page caches break (that is why Go made it lock-free); run the locked variant with --no-page-cache",
				info->msg);
	} else {
		fz_fail_verdict(&v, "THROW", "the allocator threw \"%s\"", info->msg);
	}
	if (w != NULL)
		st_worker_fail(r, w, &v, text);
	/* The main thread (tear-down): nothing to unwind to; report and go. */
	st_end(r, ST_FAILED, -1, &v, text);
	st_print_failure(r);
	st_write_json(r, "failed", ST_EXIT_FAIL);
	fflush(NULL);
	_exit(ST_EXIT_FAIL);
}

void st_install_throw_handler(void)
{
	ph_set_throw_handler(on_throw);
}
