/*
 * fz_run.c - one input from start to verdict: reset, run the threads'
 * programs, judge, clean up.  The operations a schedule can perform are
 * executed here; the allocator's hooks are in fz_hooks.c.
 *
 * Threading discipline.  Per-thread state (struct fz_tctx) belongs to its
 * thread while the input runs and to the main thread between inputs.
 * Shared bookkeeping (scheduler, trace, decision model, allocation
 * numbers) is touched only by harness code, which ThreadSanitizer does not
 * see (fz_sanitizer.h), with libc and allocator calls among it inside
 * FZ_UNTRACKED regions; in free-running mode only through atomics.  Heap
 * memory is read and written by the memory oracles (fz_oracle_pages.c),
 * which check every byte out of the sanitizers' sight but make one access
 * per page that ThreadSanitizer sees, so two owners of a page still race
 * in its eyes.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "fz_run_internal.h"
#include "fz_sanitizer.h"
#include "fz_target.h"
#include "ph_throw.h"

FZ_HARNESS_CODE_BEGIN

struct fz_runner *fz_active_runner;

__thread int fz_freerun_tid = -1;

void fz_runner_unwind(struct fz_runner *r, int tid)
{
	__atomic_store_n(&r->unwinding, 1, __ATOMIC_RELAXED);
	longjmp(r->t[tid].unwind, 1);
}

void fz_runner_trace(struct fz_runner *r, int tid, const struct fz_event *ev)
{
	fz_trace_add(r->trace, tid, ev);
}

void fz_schedule_summary(const struct fz_schedule *s, const char *engine, char *buf, size_t n)
{
	char strat[40];
	switch (s->strategy) {
	case FZ_STRAT_RR: snprintf(strat, sizeof strat, "rr quantum %u", s->param + 1u); break;
	case FZ_STRAT_RANDOM: snprintf(strat, sizeof strat, "random chance 1/%u", s->param + 2u); break;
	default: snprintf(strat, sizeof strat, "pct depth %u", s->param + 1u); break;
	}
	unsigned ops = 0;
	for (unsigned t = 0; t < s->nthreads; t++)
		ops += s->nops[t];
	snprintf(buf, n, "schedule: %u threads, %u ops, %u decisions, strategy %s, seed 0x%08x, caches %s, engine %s",
		 s->nthreads, ops, s->ndecisions, strat, s->seed, s->no_cache ? "off" : "on", engine);
}

/* The trace's title: the last input's schedule summary, written when a
 * trace is printed rather than for every input (the runner refers to the
 * schedule until its next input). */
static const char *trace_title(struct fz_runner *r)
{
	if (r->s == NULL)
		return "";
	fz_schedule_summary(r->s, r->cfg.freerun ? "pthread (free-running, not deterministic)" : fz_engine_name(r->cfg.engine),
			    r->summary, sizeof r->summary);
	return r->summary;
}

static void print_trace(struct fz_runner *r, FILE *out)
{
	struct fz_trace_view view = {.g = r->g, .nthreads = r->s ? r->s->nthreads : 0};
	FZ_UNTRACKED_BEGIN();
	view.title = trace_title(r);
	fz_trace_print(r->trace, &view, out);
	FZ_UNTRACKED_END();
}

void fz_runner_print_trace(struct fz_runner *r, FILE *out)
{
	print_trace(r, out);
}

void fz_outcome_describe(const struct fz_outcome *o, char *buf, size_t n)
{
	if (o->failed)
		snprintf(buf, n, "%s: %s", o->verdict.oracle, o->verdict.msg);
	else
		snprintf(buf, n, "ok (%llu zeroing decisions, %llu pages zeroed although never used%s)",
			 (unsigned long long)o->decisions, (unsigned long long)o->spurious_pages,
			 o->detector_fired ? "; injected overlap detected" : "");
}

void fz_runner_print_trace_html(struct fz_runner *r, const struct fz_outcome *o, FILE *out)
{
	struct fz_trace_view view = {.g = r->g, .nthreads = r->s ? r->s->nthreads : 0};
	char verdict[sizeof o->verdict.msg + 64];
	fz_outcome_describe(o, verdict, sizeof verdict);
	FZ_UNTRACKED_BEGIN();
	view.title = trace_title(r);
	fz_trace_print_html(r->trace, &view, verdict, o->failed, out);
	FZ_UNTRACKED_END();
}

void fz_runner_fail(struct fz_runner *r, int tid, const struct fz_verdict *v, const char *extra)
{
	FILE *out = r->cfg.out ? r->cfg.out : stderr;
	struct fz_event ev = {.kind = FZ_EV_VERDICT, .flags = tid < 0 ? FZ_VERDICT_AT_REST : 0};
	snprintf(ev.text, sizeof ev.text, "%s", v->oracle);
	fz_runner_trace(r, tid < 0 ? 0 : tid, &ev);

	/* The first failure of the input is the one reported: later ones
	 * happen while unwinding from it, or, free-running, on another thread
	 * at the same moment, which must not die too (the engine's crash
	 * handler would let the second abort end the process before the first
	 * has saved the input). */
	bool first = __atomic_exchange_n(&r->failing, 1, __ATOMIC_RELAXED) == 0;
	if (!first)
		return;
	FZ_UNTRACKED_BEGIN();
	r->out.failed = true;
	r->out.verdict = *v;
	FZ_UNTRACKED_END();
	if (r->on_fail == NULL || r->cfg.trace_always) {
		if (tid >= 0)
			fprintf(out, "==== pageheap-fuzz: oracle %s failed on thread T%d ====\n%s\n", v->oracle, tid, v->msg);
		else
			fprintf(out, "==== pageheap-fuzz: oracle %s failed at rest, after every thread finished ====\n%s\n",
				v->oracle, v->msg);
		if (extra != NULL)
			fputs(extra, out);
		print_trace(r, out);
		fz_target_verdict(out, v->oracle, v->msg);
		fflush(out);
	}
	if (r->on_fail == NULL)
		fz_target_die();
	r->on_fail(&r->out, r->on_fail_arg);
}

/* ---- operations ---------------------------------------------------------- */

static void trace_op(struct fz_runner *r, struct fz_tctx *t, const struct fz_event *ev)
{
	fz_runner_trace(r, t->tid, ev);
}

/* Reports v and, when the run goes on (a test's handler), unwinds. */
static void fail_here(struct fz_runner *r, struct fz_tctx *t, const struct fz_verdict *v)
{
	fz_runner_fail(r, t->tid, v, NULL);
	fz_runner_unwind(r, t->tid);
}

static uint32_t new_alloc_id(struct fz_runner *r)
{
	return FZ_SHARED_BUMP(r->cfg.freerun, &r->next_id);
}

/* The memory of heap address addr (ph_heap_ptr's fixed linear mapping,
 * without a call into the allocator per operation). */
static unsigned char *mem_of(const struct fz_runner *r, uintptr_t addr)
{
	return r->mem + (addr - r->g->heap_vbase);
}

static void op_alloc(struct fz_runner *r, struct fz_tctx *t, const struct fz_op *op)
{
	const ph_geom *g = r->g;
	struct fz_verdict v;
	t->pending_id = new_alloc_id(r);
	trace_op(r, t, &(struct fz_event){.kind = FZ_EV_OP, .sub = FZ_OP_ALLOC, .npages = op->n,
					  .flags = op->zero ? FZ_RES_ZERO : 0});

	ph_span s = ph_alloc_span(r->heap, &t->p, op->n, op->zero);
	if (s.base == 0) {
		FZ_SHARED_BUMP(r->cfg.freerun, &r->out.ooms);
		trace_op(r, t, &(struct fz_event){.kind = FZ_EV_RESULT, .sub = FZ_OP_ALLOC, .flags = FZ_RES_OOM});
		return;
	}
	void *p = mem_of(r, s.base);
	/* Forgotten arenas stay mapped between inputs: a span reaching one
	 * would not fault, so it is checked. */
	if (!fz_span_in_arenas(r->heap, g, r->arenas_seen, s.base, op->n, t->pending_id, &v) ||
	    !fz_shadow_hand_out(&r->shadow, s.base, op->n, t->pending_id, g, &v))
		fail_here(r, t, &v);
	if (!fz_fill_allocation(g, &r->shadow, s.base, p, op->n, t->pending_id, !s.needzero || op->zero, op->zero,
				&v))
		fail_here(r, t, &v);
	t->live[t->nlive++] = (struct fz_live){s.base, op->n, t->pending_id, 0};
	FZ_SHARED_BUMP(r->cfg.freerun, &r->out.allocs);
	trace_op(r, t, &(struct fz_event){.kind = FZ_EV_RESULT, .sub = FZ_OP_ALLOC, .id = t->pending_id,
					  .base = s.base, .npages = op->n,
					  .flags = s.needzero ? FZ_RES_NEEDZERO : 0});
}

/* The live allocation an operand selects, or NULL (traced) if none. */
static struct fz_live *select_live(struct fz_runner *r, struct fz_tctx *t, const struct fz_op *op)
{
	if (t->nlive == 0) {
		trace_op(r, t, &(struct fz_event){.kind = FZ_EV_OP, .sub = op->kind, .flags = FZ_RES_NONE});
		return NULL;
	}
	struct fz_live *l = &t->live[op->sel % t->nlive];
	trace_op(r, t, &(struct fz_event){.kind = FZ_EV_OP, .sub = op->kind, .id = l->id, .base = l->base,
					  .npages = l->npages});
	return l;
}

static void check_contents(struct fz_runner *r, struct fz_tctx *t, const struct fz_live *l)
{
	struct fz_verdict v;
	if (!fz_check_pattern(r->g, l->base, mem_of(r, l->base), (size_t)l->npages << r->g->page_shift,
			      l->id, l->tag, &v))
		fail_here(r, t, &v);
}

static void op_free(struct fz_runner *r, struct fz_tctx *t, const struct fz_op *op)
{
	struct fz_live *l = select_live(r, t, op);
	if (l == NULL)
		return;
	struct fz_live gone = *l;
	check_contents(r, t, &gone);
	/* Marked free before the allocator can hand the pages to anyone. */
	fz_shadow_release(&r->shadow, gone.base, gone.npages);
	if (!r->cfg.freerun)
		fz_claim_freed(r->dec, gone.id);
	*l = t->live[--t->nlive];
	ph_free_span(r->heap, gone.base, gone.npages);
}

static void op_write(struct fz_runner *r, struct fz_tctx *t, const struct fz_op *op)
{
	struct fz_verdict v;
	struct fz_live *l = select_live(r, t, op);
	if (l == NULL)
		return;
	if (!fz_check_pattern_then_fill(r->g, l->base, mem_of(r, l->base),
					(size_t)l->npages << r->g->page_shift, l->id, l->tag, l->tag + 1, &v))
		fail_here(r, t, &v);
	l->tag++;
}

/* Resolves a claim's arena selector against the arenas that exist now:
 * the first existing slot at or after sel (cyclically); -1 if none. */
static long claim_slot(struct fz_runner *r, unsigned sel)
{
	uintptr_t first = ph_first_arena(r->g);
	unsigned slots = r->g->max_arenas;
	for (unsigned k = 0; k < slots; k++) {
		unsigned s = (sel + k) % slots;
		if (ph_heap_arena(r->heap, first + s) != NULL)
			return s;
	}
	return -1;
}

static void op_claim(struct fz_runner *r, struct fz_tctx *t, const struct fz_op *op)
{
	const ph_geom *g = r->g;
	long slot = claim_slot(r, op->sel);
	if (slot < 0) {
		trace_op(r, t, &(struct fz_event){.kind = FZ_EV_OP, .sub = FZ_OP_CLAIM, .flags = FZ_RES_NONE});
		return;
	}
	uintptr_t base = g->heap_vbase + (uintptr_t)slot * ph_arena_bytes(g) + ((uintptr_t)op->page << g->page_shift);
	/* Stop at the first arena that does not exist. */
	uintptr_t n = op->n, ap = ph_arena_pages(g);
	uintptr_t room = ap - op->page;
	uintptr_t ai = ph_arena_index(g, base) + 1;
	while (room < n && ai < ph_first_arena(g) + g->max_arenas &&
	       ph_heap_arena(r->heap, ai) != NULL) {
		room += ap;
		ai++;
	}
	if (n > room)
		n = room;
	if (!r->cfg.freerun)
		fz_claim_add(r->dec, t->tid, base, n, true, 0);
	/* Free-running threads set it concurrently: an atomic, not a race. */
	__atomic_store_n(&r->raw_claims, true, __ATOMIC_RELAXED);
	trace_op(r, t, &(struct fz_event){.kind = FZ_EV_OP, .sub = FZ_OP_CLAIM, .base = base, .npages = n});
	bool needzero = ph_alloc_needs_zero(r->heap, base, n);
	trace_op(r, t, &(struct fz_event){.kind = FZ_EV_RESULT, .sub = FZ_OP_CLAIM,
					  .flags = needzero ? FZ_RES_NEEDZERO : 0});
}

static void exec_op(struct fz_runner *r, struct fz_tctx *t, const struct fz_op *op)
{
	switch (op->kind) {
	case FZ_OP_ALLOC: op_alloc(r, t, op); break;
	case FZ_OP_FREE: op_free(r, t, op); break;
	case FZ_OP_WRITE: op_write(r, t, op); break;
	case FZ_OP_DESTROY_P:
		trace_op(r, t, &(struct fz_event){.kind = FZ_EV_OP, .sub = FZ_OP_DESTROY_P});
		ph_p_destroy(r->heap, &t->p);
		break;
	case FZ_OP_GROW:
		trace_op(r, t, &(struct fz_event){.kind = FZ_EV_OP, .sub = FZ_OP_GROW, .npages = op->n, .a = op->sel});
		if (!ph_heap_grow(r->heap, op->n, op->sel))
			trace_op(r, t, &(struct fz_event){.kind = FZ_EV_RESULT, .sub = FZ_OP_GROW, .flags = FZ_RES_OOM});
		break;
	case FZ_OP_CLAIM: op_claim(r, t, op); break;
	default: break;
	}
}

static void run_program(struct fz_runner *r, struct fz_tctx *t)
{
	const struct fz_schedule *s = r->s;
	if (r->body != NULL) {
		r->body(t->tid, r->body_arg);
		return;
	}
	for (unsigned i = 0; i < s->nops[t->tid]; i++) {
		if (fz_runner_unwinding(r))
			return;
		if (!r->cfg.freerun && !r->cfg.sequential)
			fz_runner_point(r, FZ_PT_OP, i); /* operations interleave even on lock-free paths */
		exec_op(r, t, &s->ops[t->tid][i]);
	}
}

/* ---- thread bodies -------------------------------------------------------- */

/* While unwinding: the next thread that has not finished, or -1. */
static int next_unfinished(struct fz_runner *r, int tid)
{
	r->sched.state[tid] = FZ_T_DONE;
	for (unsigned k = 1; k <= r->sched.nthreads; k++) {
		unsigned u = ((unsigned)tid + k) % r->sched.nthreads;
		if (r->sched.state[u] != FZ_T_DONE) {
			r->sched.current = (int)u;
			return (int)u;
		}
	}
	return -1;
}

static int controlled_body(int tid, void *arg)
{
	struct fz_runner *r = arg;
	struct fz_tctx *t = &r->t[tid];
	if (setjmp(t->unwind) == 0 && !fz_runner_unwinding(r))
		run_program(r, t);

	FZ_UNTRACKED_BEGIN();
	int next;
	bool deadlock = false;
	if (fz_runner_unwinding(r)) {
		next = next_unfinished(r, tid);
	} else {
		next = fz_sched_done(&r->sched);
		deadlock = next == -1 && r->sched.failure == FZ_SCHED_DEADLOCK;
		if (next == FZ_SCHED_ABANDON) { /* an explorer ends the input quietly */
			__atomic_store_n(&r->unwinding, 1, __ATOMIC_RELAXED);
			next = next_unfinished(r, tid);
		}
	}
	FZ_UNTRACKED_END();
	if (deadlock) {
		struct fz_verdict v;
		fz_fail_verdict(&v, "DEADLOCK", "thread T%d finished; every unfinished thread waits for the heap lock, which nobody will release", tid);
		fz_runner_fail(r, tid, &v, NULL);
		__atomic_store_n(&r->unwinding, 1, __ATOMIC_RELAXED);
		FZ_UNTRACKED_BEGIN();
		next = next_unfinished(r, tid);
		FZ_UNTRACKED_END();
	}
	return next;
}

static int freerun_body(int tid, void *arg)
{
	struct fz_runner *r = arg;
	struct fz_tctx *t = &r->t[tid];
	fz_freerun_tid = tid;
	/* Start together.  Relaxed on purpose: no happens-before among the
	 * threads, so TSan judges their accesses on their own. */
	__atomic_fetch_add(&r->arrived, 1, __ATOMIC_RELAXED);
	while (__atomic_load_n(&r->arrived, __ATOMIC_RELAXED) < r->s->nthreads)
		__builtin_ia32_pause();
	if (setjmp(t->unwind) == 0)
		run_program(r, t);
	fz_freerun_tid = -1;
	return -1;
}

/* ---- one input ------------------------------------------------------------ */

static void throw_handler(const ph_throw_info *info);

struct fz_runner *fz_runner_new(const struct fz_config *cfg, char *err, size_t errlen)
{
	struct fz_runner *r = calloc(1, sizeof *r);
	if (r == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	r->cfg = *cfg;
	if (r->cfg.budget == 0)
		r->cfg.budget = FZ_DEFAULT_BUDGET;
	r->g = cfg->geom ? cfg->geom : &ph_geom_fuzz;
	r->trace = calloc(1, sizeof *r->trace);
	r->dec = calloc(1, sizeof *r->dec);
	ph_heap_options opt = {.use_page_cache = true};
	r->heap = ph_heap_create(r->g, &opt, err, errlen);
	if (r->trace == NULL || r->dec == NULL || r->heap == NULL || !fz_shadow_init(&r->shadow, r->g)) {
		if (r->heap != NULL)
			snprintf(err, errlen, "out of memory");
		fz_runner_free(r);
		return NULL;
	}
	r->mem = ph_heap_ptr(r->heap, r->g->heap_vbase);
	if (cfg->freerun && cfg->engine != FZ_ENGINE_PTHREAD) {
		snprintf(err, errlen, "free-running mode needs the pthread engine");
		fz_runner_free(r);
		return NULL;
	}
	if (cfg->feedback || cfg->count_features) {
		r->fb = fz_feedback_new(r->g, cfg->feedback, cfg->freerun);
		if (r->fb == NULL) {
			snprintf(err, errlen, "out of memory");
			fz_runner_free(r);
			return NULL;
		}
	}
	if (!cfg->engine_per_input) {
		r->engine = fz_engine_new(cfg->engine, err, errlen);
		if (r->engine == NULL) {
			fz_runner_free(r);
			return NULL;
		}
	}
	ph_set_throw_handler(throw_handler);
	fz_sanitizer_init();
	return r;
}

void fz_runner_free(struct fz_runner *r)
{
	if (r == NULL)
		return;
	fz_engine_free(r->engine);
	ph_heap_destroy(r->heap);
	if (r->shadow.state != NULL)
		fz_shadow_free(&r->shadow);
	free(r->trace);
	free(r->dec);
	fz_feedback_free(r->fb);
	free(r);
}

void fz_runner_on_failure(struct fz_runner *r, fz_failure_fn fn, void *arg)
{
	r->on_fail = fn;
	r->on_fail_arg = arg;
}

/* No schedule thread runs, and the next input's threads start after a
 * release by this one: nothing here can race, so ThreadSanitizer does not
 * track it (reset_for_input). */
static void reset_untracked(struct fz_runner *r, const struct fz_profile *pr, const struct fz_schedule *s)
{
	r->s = s;
	r->pr = pr;
	/* Heap memory is left as the last input wrote it: the memory oracles
	 * read only pages this input writes (fz_fill_allocation), so the
	 * arenas keep their pages mapped and nothing is cleared. */
	ph_heap_reset_keep_memory(r->heap);
	memset(r->arenas_seen, 0, (r->g->max_arenas + 63) / 64 * sizeof r->arenas_seen[0]);
	/* Cache-less runs get a heap configured that way; the option is read
	 * only by allocation, so flipping it on a quiescent heap is safe. */
	((ph_heap_options *)ph_heap_options_of(r->heap))->use_page_cache = !s->no_cache;
	fz_shadow_reset(&r->shadow);
	r->shadow.concurrent = r->cfg.freerun; /* else one thread at a time */
	fz_decisions_reset(r->dec, r->g, !r->cfg.freerun);
	fz_trace_reset(r->trace, r->cfg.freerun, FZ_TRACE_HEAD);
	if (r->fb != NULL)
		fz_feedback_reset(r->fb, !r->cfg.feedback_per_input);
	memset(&r->out, 0, sizeof r->out);
	r->unwinding = 0;
	r->failing = 0;
	r->arrived = 0;
	r->next_id = 1;
	r->raw_claims = false;
	for (unsigned i = 0; i < FZ_MAX_THREADS; i++) {
		r->t[i].tid = (int)i;
		r->t[i].nlive = 0;
		r->t[i].points = 0;
		ph_p_init(&r->t[i].p, i);
	}
}

static void reset_for_input(struct fz_runner *r, const struct fz_profile *pr, const struct fz_schedule *s)
{
	FZ_UNTRACKED_BEGIN();
	reset_untracked(r, pr, s);
	FZ_UNTRACKED_END();
}

/* The scheduler's view of a lock (its callback takes an untyped pointer). */
static bool lock_busy(const void *lock)
{
	return ph_mutex_is_locked(lock);
}

/* One program on the calling thread; its own function so that setjmp's
 * frame holds no variable the loop needs afterwards. */
static void run_sequentially(struct fz_runner *r, int tid)
{
	r->seq_tid = tid;
	if (setjmp(r->t[tid].unwind) == 0)
		run_program(r, &r->t[tid]);
}

static uint64_t estimate_steps(const struct fz_schedule *s)
{
	uint64_t ops = 0;
	for (unsigned t = 0; t < s->nthreads; t++)
		ops += s->nops[t];
	return ops * 8 + 1;
}

/* Checks at rest, then frees everything and checks nothing is left. */
static void judge(struct fz_runner *r)
{
	struct fz_verdict v;
	const ph_p *ps[FZ_MAX_THREADS];
	for (unsigned i = 0; i < r->s->nthreads; i++)
		ps[i] = &r->t[i].p;
	if (!fz_decisions_quiescent(r->dec, r->heap, &v) ||
	    !fz_heap_accounting(r->heap, &r->shadow, ps, r->s->nthreads, &v)) {
		fz_runner_fail(r, -1, &v, NULL);
		return;
	}
	for (unsigned i = 0; i < r->s->nthreads; i++) {
		struct fz_tctx *t = &r->t[i];
		for (unsigned k = 0; k < t->nlive; k++) {
			const struct fz_live *l = &t->live[k];
			/* Every schedule thread's accesses happen before this
			 * (the engines' end-of-run release and acquire). */
			if (!fz_check_pattern_at_rest(r->g, l->base, mem_of(r, l->base),
						      (size_t)l->npages << r->g->page_shift, l->id, l->tag, &v)) {
				fz_runner_fail(r, -1, &v, NULL);
				return;
			}
			fz_shadow_release(&r->shadow, l->base, l->npages);
			ph_free_span(r->heap, l->base, l->npages);
		}
		t->nlive = 0;
		ph_p_destroy(r->heap, &t->p);
	}
	if (!fz_heap_empty(r->heap, &v))
		fz_runner_fail(r, -1, &v, NULL);
}

/* Only this thread runs now, and every schedule thread's accesses happen
 * before (the engines' end-of-run release and acquire): ThreadSanitizer
 * could report no race here, so it does not track the judging either. */
static void judge_at_rest(struct fz_runner *r)
{
	FZ_UNTRACKED_BEGIN();
	judge(r);
	FZ_UNTRACKED_END();
}

void fz_runner_run(struct fz_runner *r, const struct fz_profile *pr, const struct fz_schedule *s,
		   struct fz_outcome *out)
{
	reset_for_input(r, pr, s);
	if (pr->pregrow_pages > 0)
		ph_heap_grow(r->heap, pr->pregrow_pages, 0);
	fz_sched_init(&r->sched, s, r->cfg.budget, estimate_steps(s), lock_busy);
	r->sched.chooser = r->cfg.chooser;

	fz_active_runner = r;
	r->hooks_on = true;
	if (r->cfg.engine_per_input && r->engine == NULL) {
		char err[160];
		r->engine = fz_engine_new(r->cfg.engine, err, sizeof err);
		if (r->engine == NULL) {
			fprintf(stderr, "pageheap-fuzz: %s\n", err);
			abort();
		}
	}
	if (r->cfg.sequential) {
		for (unsigned i = 0; i < s->nthreads && !fz_runner_unwinding(r); i++)
			run_sequentially(r, (int)i);
	} else if (r->cfg.freerun) {
		fz_engine_run_free(r->engine, s->nthreads, freerun_body, r);
	} else {
		int first = fz_sched_first(&r->sched);
		fz_engine_run(r->engine, s->nthreads, first, controlled_body, r);
	}
	r->hooks_on = false;
	fz_active_runner = NULL;
	if (r->cfg.engine_per_input) {
		fz_engine_free(r->engine); /* joins its threads */
		r->engine = NULL;
	}

	ph_heap_stats hs = ph_heap_get_stats(r->heap);
	r->out.steps = r->sched.steps;
	r->out.switches = r->sched.switches;
	r->out.decisions = r->dec->decisions;
	r->out.spurious_pages = r->dec->spurious_pages;
	r->out.cas_failures = hs.cas_failures;
	if (r->fb != NULL && r->cfg.count_features) {
		r->out.features = fz_feedback_account(r->fb);
		r->out.features_seen = fz_feedback_distinct(r->fb);
	}
	if (!r->out.failed && !fz_runner_unwinding(r) && r->body == NULL)
		judge_at_rest(r);
	if (r->cfg.trace_always && !r->out.failed) {
		FILE *o = r->cfg.out ? r->cfg.out : stderr;
		print_trace(r, o);
		char line[sizeof r->out.verdict.msg + 64];
		fz_outcome_describe(&r->out, line, sizeof line);
		fprintf(o, "==== verdict: %s ====\n", line);
	}
	*out = r->out;
}

void fz_runner_run_bodies(struct fz_runner *r, const struct fz_schedule *s, fz_body_fn body, void *arg,
			  struct fz_outcome *out)
{
	r->body = body;
	r->body_arg = arg;
	fz_runner_run(r, &fz_profile_schedule, s, out);
	r->body = NULL;
	r->body_arg = NULL;
}

ph_heap *fz_runner_heap(struct fz_runner *r)
{
	return r->heap;
}

/* ---- throws ----------------------------------------------------------------- */

static void throw_handler(const ph_throw_info *info)
{
	struct fz_runner *r = fz_active_runner;
	if (r == NULL || !r->hooks_on)
		return; /* not ours: ph_throw prints and aborts */
	int tid = fz_current_tid(r);
	if (tid < 0)
		return;
	struct fz_verdict v;
	enum fz_throw_class cls;
	FZ_UNTRACKED_BEGIN();
	if (r->cfg.freerun) {
		/* No global claim model: an overlap throw counts as expected
		 * when the input injected claims at all. */
		bool overlap = strcmp(info->msg, PH_MSG_OVERLAP) == 0;
		cls = overlap && __atomic_load_n(&r->raw_claims, __ATOMIC_RELAXED) ? FZ_THROW_INJECTED : FZ_THROW_OTHER;
		if (cls != FZ_THROW_INJECTED)
			fz_fail_verdict(&v, overlap ? "O1" : "THROW", "the allocator threw \"%s\"%s", info->msg,
					overlap ? " and no claim was injected" : "");
	} else {
		cls = fz_decisions_throw(r->dec, tid, info->msg, &v);
	}
	FZ_UNTRACKED_END();
	struct fz_event ev = {.kind = FZ_EV_INFO};
	snprintf(ev.text, sizeof ev.text, "throw \"%s\"", info->msg);
	fz_runner_trace(r, tid, &ev);
	if (cls == FZ_THROW_INJECTED) {
		r->out.detector_fired = true;
		fz_runner_unwind(r, tid);
	}
	char text[512];
	ph_throw_format(info, text, sizeof text);
	fz_runner_fail(r, tid, &v, text);
	fz_runner_unwind(r, tid);
}

FZ_HARNESS_CODE_END
