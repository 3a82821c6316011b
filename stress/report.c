/*
 * report.c - everything the run prints: the banner, a progress line per
 * second, the summary table, the JSON summary, and the failure report
 * (oracle, explanation, seed, swimlane trace of every worker, and the
 * command that reruns it).
 *
 * Human output goes to stdout, or to stderr when the JSON summary goes to
 * stdout; failure reports always go to stderr.  Counters are read with
 * relaxed atomic loads, so progress lines are approximate snapshots while
 * the workers run and exact at the end.
 */
#include <stdlib.h>
#include <string.h>

#include "fz_sanitizer.h"
#include "ph_bugs.h"
#include "stress.h"

FILE *st_human_out(const struct st_options *o)
{
	return o->json != NULL && strcmp(o->json, "-") == 0 ? stderr : stdout;
}

#define SUM(field) t->c.field += __atomic_load_n(&w->c.field, __ATOMIC_RELAXED)

void st_totals(const struct st_run *r, struct st_totals *t)
{
	memset(t, 0, sizeof *t);
	for (unsigned i = 0; i < r->nthreads; i++) {
		const struct st_worker *w = &r->w[i];
		SUM(ops);
		SUM(allocs);
		SUM(frees);
		SUM(writes);
		SUM(destroys);
		SUM(claims);
		SUM(ooms);
		SUM(idle);
		SUM(pages_allocated);
		SUM(pages_needzero);
		SUM(pages_spurious);
		SUM(live_pages);
		SUM(zb_raises);
	}
	t->hs = ph_heap_get_stats(r->heap);
	t->hs.cas_failures += r->stats_base.cas_failures;
	t->hs.lock_contended += r->stats_base.lock_contended;
	t->hs.grows += r->stats_base.grows;
	t->elapsed = (r->end_s > 0 ? r->end_s : st_now()) - r->start_s;
}

static double pct(uint64_t part, uint64_t whole) { return whole ? 100.0 * (double)part / (double)whole : 0.0; }

static void describe_run(const struct st_run *r, char *buf, size_t n)
{
	const struct st_options *o = r->o;
	char mix[160];
	st_format_mix(o->mix, mix, sizeof mix);
	snprintf(buf, n,
		 "stress: seed %llu, %u threads, zeroing %s, hooks %s%s, geometry %s, page caches %s, fault %s, mix %s",
		 (unsigned long long)o->seed, r->nthreads, st_variant_name(st_build_locked), st_build_hooks ? "on" : "off",
		 st_build_tsan ? ", TSan" : "", r->g->name, o->no_page_cache ? "off" : "on", ph_bug_active(), mix);
}

void st_print_banner(const struct st_run *r)
{
	FILE *out = st_human_out(r->o);
	char d[400];
	describe_run(r, d, sizeof d);
	fprintf(out, "%s\n", d);
	if (r->o->ops > 0)
		fprintf(out, "stress: %llu operations, ", (unsigned long long)r->o->ops);
	else
		fprintf(out, "stress: %.1f s, ", r->o->seconds);
	if (r->o->checkpoint_ms > 0)
		fprintf(out, "checkpoint every %u ms, ", r->o->checkpoint_ms);
	else
		fprintf(out, "no periodic checkpoints, ");
	if (r->o->reset_ms > 0)
		fprintf(out, "heap reset every %u ms, ", r->o->reset_ms);
	if (r->o->jitter > 0)
		fprintf(out, "jitter 1/%u, ", r->o->jitter);
	fprintf(out, "live set <= %lu pages per thread, large allocations <= %lu pages\n",
		(unsigned long)r->thread_budget, (unsigned long)r->large_max);
	if (st_build_locked && !r->o->no_page_cache)
		fprintf(out, "stress: note: the pre-seed locked decision throws on out-of-order ranges, which page caches produce; add --no-page-cache\n");
	fflush(out);
}

void st_print_progress(const struct st_run *r, double now, struct st_totals *prev, double *prev_t)
{
	struct st_totals t;
	st_totals(r, &t);
	double dt = now - *prev_t;
	FILE *out = st_human_out(r->o);
	fprintf(out,
		"[%7.1fs] %10.0f ops/s  live %7llu pages  spurious zeroing %5.2f%%  CAS retries %llu  lock contended %llu  checkpoints %llu\n",
		now - r->start_s, dt > 0 ? (double)(t.c.ops - prev->c.ops) / dt : 0.0,
		(unsigned long long)t.c.live_pages, pct(t.c.pages_spurious, t.c.pages_allocated),
		(unsigned long long)t.hs.cas_failures, (unsigned long long)t.hs.lock_contended,
		(unsigned long long)r->checkpoints);
	fflush(out);
	*prev = t;
	*prev_t = now;
}

static void row(FILE *out, const char *name, const struct st_counters *c, double elapsed)
{
	fprintf(out, "%-6s %12llu %11.0f %10llu %10llu %9llu %8llu %8llu %6llu %12llu %8.2f%%\n", name,
		(unsigned long long)c->ops, elapsed > 0 ? (double)c->ops / elapsed : 0.0,
		(unsigned long long)c->allocs, (unsigned long long)c->frees, (unsigned long long)c->writes,
		(unsigned long long)c->destroys, (unsigned long long)c->claims, (unsigned long long)c->ooms,
		(unsigned long long)c->pages_allocated, pct(c->pages_spurious, c->pages_allocated));
}

void st_print_summary(const struct st_run *r, const char *result)
{
	FILE *out = st_human_out(r->o);
	struct st_totals t;
	st_totals(r, &t);
	fprintf(out, "\n%-6s %12s %11s %10s %10s %9s %8s %8s %6s %12s %9s\n", "thread", "ops", "ops/s", "allocs",
		"frees", "writes", "destroys", "claims", "ooms", "pages-alloc", "spurious");
	for (unsigned i = 0; i < r->nthreads; i++) {
		struct st_counters c;
		const struct st_counters *src = &r->w[i].c;
		/* Field by field: workers may still be running after a failure. */
		c.ops = __atomic_load_n(&src->ops, __ATOMIC_RELAXED);
		c.allocs = __atomic_load_n(&src->allocs, __ATOMIC_RELAXED);
		c.frees = __atomic_load_n(&src->frees, __ATOMIC_RELAXED);
		c.writes = __atomic_load_n(&src->writes, __ATOMIC_RELAXED);
		c.destroys = __atomic_load_n(&src->destroys, __ATOMIC_RELAXED);
		c.claims = __atomic_load_n(&src->claims, __ATOMIC_RELAXED);
		c.ooms = __atomic_load_n(&src->ooms, __ATOMIC_RELAXED);
		c.pages_allocated = __atomic_load_n(&src->pages_allocated, __ATOMIC_RELAXED);
		c.pages_spurious = __atomic_load_n(&src->pages_spurious, __ATOMIC_RELAXED);
		char name[16];
		snprintf(name, sizeof name, "T%u", i);
		row(out, name, &c, t.elapsed);
	}
	row(out, "total", &t.c, t.elapsed);
	/* Raises are seen in the allocator's notes, which hook-free builds lack. */
	char raises[32];
	if (st_build_hooks)
		snprintf(raises, sizeof raises, "%llu", (unsigned long long)t.c.zb_raises);
	else
		snprintf(raises, sizeof raises, "n/a (no hooks)");
	fprintf(out,
		"elapsed %.2f s, %.0f ops/s; zeroing: %llu of %llu allocated pages decided needzero, %llu of them never used before (spurious %.2f%%)\n"
		"zeroedBase raises %s, CAS retries %llu, heap lock contended %llu, heap grows %llu, checkpoints %llu, heap resets %llu, idle ops %llu\n"
		"result: %s (seed %llu)\n",
		t.elapsed, t.elapsed > 0 ? (double)t.c.ops / t.elapsed : 0.0, (unsigned long long)t.c.pages_needzero,
		(unsigned long long)t.c.pages_allocated, (unsigned long long)t.c.pages_spurious,
		pct(t.c.pages_spurious, t.c.pages_allocated), raises, (unsigned long long)t.hs.cas_failures,
		(unsigned long long)t.hs.lock_contended, (unsigned long long)t.hs.grows,
		(unsigned long long)r->checkpoints, (unsigned long long)r->resets, (unsigned long long)t.c.idle, result,
		(unsigned long long)r->o->seed);
	fflush(out);
}

/* The swimlane of the last --trace-events events of each worker (all it
 * kept when 0).  Trimming works on a copy holding only those events, so
 * fz_trace_print needs no knob; the omitted count is printed here. */
static void print_trace(struct st_run *r, FILE *out)
{
	char title[400];
	describe_run(r, title, sizeof title);
	struct fz_trace_view view = {.g = r->g, .nthreads = r->nthreads, .title = title};
	uint32_t keep = r->o->trace_events == 0 || r->o->trace_events > FZ_TRACE_CAP ? FZ_TRACE_CAP
										     : r->o->trace_events;
	struct fz_trace *copy = keep < FZ_TRACE_CAP ? calloc(1, sizeof *copy) : NULL;
	/* Workers that are stuck may still touch their buffers. */
	FZ_UNTRACKED_BEGIN();
	if (copy == NULL) {
		fz_trace_print(r->trace, &view, out);
	} else {
		unsigned long omitted = 0;
		for (unsigned i = 0; i < r->nthreads; i++) {
			const struct fz_trace_buf *b = &r->trace->buf[i];
			/* Read once: a worker caught mid-append may still bump it. */
			uint32_t count = __atomic_load_n(&b->count, __ATOMIC_RELAXED);
			uint32_t n = count < keep ? count : keep, kept = 0;
			for (uint32_t k = 0; k < n; k++) {
				const struct fz_event *ev = fz_trace_at(b, count - n + k);
				if (ev != NULL)
					copy->buf[i].ev[kept++] = *ev;
			}
			copy->buf[i].count = kept;
			copy->buf[i].head = 0;
			omitted += count - kept;
		}
		if (omitted > 0)
			fprintf(out, "(the last %u events of each worker; %lu earlier ones omitted, --trace-events 0 shows the %u each kept)\n",
				keep, omitted, (unsigned)FZ_TRACE_CAP);
		fz_trace_print(copy, &view, out);
	}
	FZ_UNTRACKED_END();
	free(copy);
}

static void print_rerun(const struct st_run *r, FILE *out)
{
	char cmd[4096];
	st_rerun_command(r->o, cmd, sizeof cmd);
	fprintf(out,
		"rerun with the same seed (it fixes each worker's random choices; the threads' interleaving differs on every run):\n  %s\n",
		cmd);
}

void st_print_failure(struct st_run *r)
{
	FILE *out = stderr;
	/* Once: a sanitizer's death callback may follow a failure we report. */
	if (__atomic_exchange_n(&r->reported, 1, __ATOMIC_RELAXED))
		return;
	const char *oracle = r->verdict.oracle != NULL ? r->verdict.oracle : "?";
	const char *msg = r->verdict.msg, *extra = r->extra;
	int tid = r->fail_tid;
	char who[32];
	if (tid >= 0)
		snprintf(who, sizeof who, "worker T%d", tid);
	else
		snprintf(who, sizeof who, "the main thread");
	fprintf(out, "==== stress: oracle %s failed on %s ====\n%s\n", oracle, who, msg);
	if (extra != NULL && extra[0] != '\0')
		fprintf(out, "%s\n", extra);
	fprintf(out, "seed: %llu\n", (unsigned long long)r->o->seed);
	print_trace(r, out);
	for (unsigned i = 0; i < r->nthreads; i++) {
		/* Worker-private, frozen once the run ended (hooks.c). */
		FZ_UNTRACKED_BEGIN();
		uint32_t reps = r->w[i].note_repeats;
		FZ_UNTRACKED_END();
		if (reps > 0)
			fprintf(out, "(T%u: its last note above repeated %u more times)\n", i, reps);
	}
	fprintf(out, "==== verdict: %s: %s ====\n", oracle, msg);
	print_rerun(r, out);
	fflush(out);
}

void st_print_detection(struct st_run *r)
{
	FILE *out = st_human_out(r->o);
	fprintf(out, "stress: worker T%d: %s\n%s\n", r->fail_tid, r->verdict.msg, r->extra);
	fflush(out);
}

static void json_kv_u(FILE *f, const char *k, unsigned long long v) { fprintf(f, ",\n  \"%s\": %llu", k, v); }
static void json_kv_d(FILE *f, const char *k, double v) { fprintf(f, ",\n  \"%s\": %.6g", k, v); }

static void json_kv_s(FILE *f, const char *k, const char *s)
{
	fprintf(f, ",\n  \"%s\": \"", k);
	for (; s != NULL && *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

void st_write_json(const struct st_run *r, const char *result, int exit_code)
{
	const struct st_options *o = r->o;
	if (o->json == NULL)
		return;
	bool to_stdout = strcmp(o->json, "-") == 0;
	FILE *f = to_stdout ? stdout : fopen(o->json, "w");
	if (f == NULL) {
		fprintf(stderr, "stress: cannot write %s\n", o->json);
		return;
	}
	struct st_totals t;
	st_totals(r, &t);
	char mix[160], cmd[4096];
	st_format_mix(o->mix, mix, sizeof mix);
	st_rerun_command(o, cmd, sizeof cmd);
	fprintf(f, "{\n  \"tool\": \"stress\"");
	json_kv_s(f, "result", result);
	json_kv_u(f, "exit_code", (unsigned long long)exit_code);
	json_kv_s(f, "oracle", strcmp(result, "ok") == 0 ? "" : r->verdict.oracle);
	json_kv_s(f, "message", strcmp(result, "ok") == 0 ? "" : r->verdict.msg);
	json_kv_u(f, "seed", (unsigned long long)o->seed);
	json_kv_u(f, "threads", r->nthreads);
	json_kv_s(f, "variant", st_variant_name(st_build_locked));
	json_kv_u(f, "hooks", st_build_hooks);
	json_kv_u(f, "tsan", st_build_tsan);
	json_kv_s(f, "fault", ph_bug_active());
	json_kv_s(f, "geometry", r->g->name);
	json_kv_u(f, "page_cache", !o->no_page_cache);
	json_kv_s(f, "mix", mix);
	json_kv_u(f, "checkpoint_ms", o->checkpoint_ms);
	json_kv_d(f, "elapsed_s", t.elapsed);
	json_kv_u(f, "ops", t.c.ops);
	json_kv_d(f, "ops_per_s", t.elapsed > 0 ? (double)t.c.ops / t.elapsed : 0.0);
	json_kv_u(f, "allocs", t.c.allocs);
	json_kv_u(f, "frees", t.c.frees);
	json_kv_u(f, "writes", t.c.writes);
	json_kv_u(f, "destroys", t.c.destroys);
	json_kv_u(f, "claims", t.c.claims);
	json_kv_u(f, "ooms", t.c.ooms);
	json_kv_u(f, "idle", t.c.idle);
	json_kv_u(f, "pages_allocated", t.c.pages_allocated);
	json_kv_u(f, "pages_needzero", t.c.pages_needzero);
	json_kv_u(f, "pages_spurious", t.c.pages_spurious);
	json_kv_d(f, "spurious_pct", pct(t.c.pages_spurious, t.c.pages_allocated));
	if (st_build_hooks)
		json_kv_u(f, "zb_raises", t.c.zb_raises);
	else
		fprintf(f, ",\n  \"zb_raises\": null"); /* not observable without hooks */
	json_kv_u(f, "cas_retries", t.hs.cas_failures);
	json_kv_u(f, "lock_contended", t.hs.lock_contended);
	json_kv_u(f, "grows", t.hs.grows);
	json_kv_u(f, "checkpoints", r->checkpoints);
	json_kv_u(f, "heap_resets", r->resets);
	json_kv_u(f, "reset_ms", o->reset_ms);
	json_kv_u(f, "jitter", o->jitter);
	json_kv_s(f, "rerun", cmd);
	fprintf(f, "\n}\n");
	if (to_stdout)
		fflush(f);
	else
		fclose(f);
}
