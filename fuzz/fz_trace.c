/* fz_trace.c - per-thread event buffers and the swimlane printout. */
#include "fz_trace.h"

#include <stdlib.h>
#include <string.h>
#include "fz_sanitizer.h"

FZ_HARNESS_CODE_BEGIN

#define COL 34 /* characters per thread column */

void fz_trace_reset(struct fz_trace *t, bool atomic_seq)
{
	for (unsigned i = 0; i < FZ_MAX_THREADS; i++)
		t->buf[i].count = 0;
	t->seq = 0;
	t->atomic_seq = atomic_seq;
}

void fz_trace_add(struct fz_trace *t, int tid, const struct fz_event *ev)
{
	if (tid < 0 || tid >= FZ_MAX_THREADS)
		return;
	struct fz_trace_buf *b = &t->buf[tid];
	struct fz_event *slot = &b->ev[b->count % FZ_TRACE_CAP];
	*slot = *ev;
	slot->seq = t->atomic_seq ? __atomic_fetch_add(&t->seq, 1, __ATOMIC_RELAXED) : t->seq++;
	b->count++;
}

const char *fz_where(const ph_geom *g, uintptr_t addr, char *buf, size_t n)
{
	uintptr_t off = addr - g->heap_vbase;
	snprintf(buf, n, "A%lu:%lu", (unsigned long)(off >> g->arena_shift),
		 (unsigned long)((off & (ph_arena_bytes(g) - 1)) >> g->page_shift));
	return buf;
}

static unsigned long slot_of(const ph_geom *g, uintptr_t arena)
{
	return (unsigned long)(arena - (g->heap_vbase >> g->arena_shift));
}

static unsigned long pages(const ph_geom *g, uintptr_t bytes)
{
	return (unsigned long)(bytes >> g->page_shift);
}

static void describe_note(const struct fz_event *ev, const ph_geom *g, char *buf, size_t n)
{
	char at[32];
	fz_where(g, ev->base, at, sizeof at);
	switch ((enum ph_note_kind)ev->sub) {
	case PH_NOTE_LOCKED: snprintf(buf, n, "  lock"); break;
	case PH_NOTE_UNLOCKED: snprintf(buf, n, "  unlock"); break;
	case PH_NOTE_CLAIM:
		snprintf(buf, n, "  got %s+%lu %s", at, (unsigned long)ev->npages, ev->a ? "cache" : "pages");
		break;
	case PH_NOTE_DECIDE_BEGIN: snprintf(buf, n, "  decide %s+%lu", at, (unsigned long)ev->npages); break;
	case PH_NOTE_ZB_LOAD:
		snprintf(buf, n, "  load zb[A%lu]=%lu", slot_of(g, ev->arena), pages(g, ev->a));
		break;
	case PH_NOTE_ZB_CAS:
		snprintf(buf, n, "  cas zb[A%lu] %lu->%lu %s", slot_of(g, ev->arena), pages(g, ev->a),
			 pages(g, ev->b), ev->ok ? "ok" : "FAIL");
		break;
	case PH_NOTE_ZB_STORE:
		snprintf(buf, n, "  store zb[A%lu] %lu->%lu", slot_of(g, ev->arena), pages(g, ev->a),
			 pages(g, ev->b));
		break;
	case PH_NOTE_DECIDE_END: snprintf(buf, n, "  => %s", ev->ok ? "needzero" : "fresh"); break;
	case PH_NOTE_ZEROED: snprintf(buf, n, "  clear %s+%lu", at, (unsigned long)ev->npages); break;
	case PH_NOTE_CACHE_REFILL:
		snprintf(buf, n, "  refill %s free=%016lx", at, (unsigned long)ev->a);
		break;
	case PH_NOTE_CACHE_FLUSH:
		snprintf(buf, n, "  flush %s free=%016lx", at, (unsigned long)ev->a);
		break;
	case PH_NOTE_GROW: snprintf(buf, n, "  grow %s+%lu", at, (unsigned long)ev->npages); break;
	case PH_NOTE_FREE: snprintf(buf, n, "  freed %s+%lu", at, (unsigned long)ev->npages); break;
	default: snprintf(buf, n, "  note %u", ev->sub); break;
	}
}

static void describe_op(const struct fz_event *ev, const ph_geom *g, char *buf, size_t n)
{
	char at[32];
	fz_where(g, ev->base, at, sizeof at);
	switch ((enum fz_op_kind)ev->sub) {
	case FZ_OP_ALLOC:
		snprintf(buf, n, "alloc %lu%s", (unsigned long)ev->npages, ev->flags & FZ_RES_ZERO ? " zero" : "");
		break;
	case FZ_OP_FREE:
	case FZ_OP_WRITE:
		if (ev->flags & FZ_RES_NONE)
			snprintf(buf, n, "%s (nothing live)", fz_op_name(ev->sub));
		else
			snprintf(buf, n, "%s #%u %s+%lu", fz_op_name(ev->sub), ev->id, at,
				 (unsigned long)ev->npages);
		break;
	case FZ_OP_DESTROY_P: snprintf(buf, n, "destroy-p"); break;
	case FZ_OP_GROW:
		snprintf(buf, n, "grow %lu skip %lu", (unsigned long)ev->npages, (unsigned long)ev->a);
		break;
	case FZ_OP_CLAIM:
		if (ev->flags & FZ_RES_NONE)
			snprintf(buf, n, "claim (no arena yet)");
		else
			snprintf(buf, n, "claim* %s+%lu", at, (unsigned long)ev->npages);
		break;
	default: snprintf(buf, n, "op %u", ev->sub); break;
	}
}

static void describe_result(const struct fz_event *ev, const ph_geom *g, char *buf, size_t n)
{
	char at[32];
	fz_where(g, ev->base, at, sizeof at);
	if (ev->flags & FZ_RES_OOM)
		snprintf(buf, n, "= out of memory");
	else if (ev->sub == FZ_OP_ALLOC)
		snprintf(buf, n, "= #%u %s+%lu %s", ev->id, at, (unsigned long)ev->npages,
			 ev->flags & FZ_RES_NEEDZERO ? "needzero" : "fresh");
	else if (ev->sub == FZ_OP_CLAIM)
		snprintf(buf, n, "= %s", ev->flags & FZ_RES_NEEDZERO ? "needzero" : "fresh");
	else
		snprintf(buf, n, "= done");
}

char *fz_trace_describe(const struct fz_event *ev, const ph_geom *g, char *buf, size_t n)
{
	switch ((enum fz_ev_kind)ev->kind) {
	case FZ_EV_NOTE: describe_note(ev, g, buf, n); break;
	case FZ_EV_OP: describe_op(ev, g, buf, n); break;
	case FZ_EV_RESULT: describe_result(ev, g, buf, n); break;
	case FZ_EV_BLOCK: snprintf(buf, n, "  waits for heap lock"); break;
	case FZ_EV_VERDICT: snprintf(buf, n, "!! %s", ev->text); break;
	case FZ_EV_INFO: snprintf(buf, n, "%s", ev->text); break;
	default: snprintf(buf, n, "?"); break;
	}
	return buf;
}

struct cursor {
	const struct fz_trace_buf *b;
	uint32_t next, end; /* positions in the ever-appended numbering */
};

void fz_trace_print(const struct fz_trace *t, const struct fz_trace_view *view, FILE *out)
{
	struct cursor cur[FZ_MAX_THREADS];
	unsigned nt = view->nthreads > FZ_MAX_THREADS ? FZ_MAX_THREADS : view->nthreads;
	unsigned long dropped = 0;

	if (view->title != NULL)
		fprintf(out, "%s\n", view->title);
	for (unsigned i = 0; i < nt; i++) {
		cur[i].b = &t->buf[i];
		cur[i].end = t->buf[i].count;
		cur[i].next = cur[i].end > FZ_TRACE_CAP ? cur[i].end - FZ_TRACE_CAP : 0;
		dropped += cur[i].next;
	}
	if (dropped > 0)
		fprintf(out, "(%lu earliest events not kept)\n", dropped);

	fprintf(out, "%6s", "seq");
	for (unsigned i = 0; i < nt; i++)
		fprintf(out, " | T%-*u", COL - 1, i);
	fputc('\n', out);
	fprintf(out, "------");
	for (unsigned i = 0; i < nt; i++) {
		fputs("-+-", out);
		for (int k = 0; k < COL; k++)
			fputc('-', out);
	}
	fputc('\n', out);

	for (;;) {
		int best = -1;
		uint32_t best_seq = 0;
		for (unsigned i = 0; i < nt; i++) {
			if (cur[i].next >= cur[i].end)
				continue;
			uint32_t s = cur[i].b->ev[cur[i].next % FZ_TRACE_CAP].seq;
			if (best < 0 || s < best_seq) {
				best = (int)i;
				best_seq = s;
			}
		}
		if (best < 0)
			break;
		const struct fz_event *ev = &cur[best].b->ev[cur[best].next % FZ_TRACE_CAP];
		cur[best].next++;
		char cell[96];
		fz_trace_describe(ev, view->g, cell, sizeof cell);
		/* Columns left of the event stay blank; nothing is printed to
		 * its right, so rows carry no trailing spaces. */
		fprintf(out, "%6u", ev->seq);
		for (int i = 0; i < best; i++)
			fprintf(out, " | %-*s", COL, "");
		fprintf(out, " | %s", cell);
		fputc('\n', out);
	}
}

FZ_HARNESS_CODE_END
