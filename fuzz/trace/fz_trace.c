/* fz_trace.c - per-thread event buffers, the rows of the swimlane table
 * (fz_trace_walk, shared by the text printout here and the HTML page of
 * fz_trace_html.c) and the text printout. */
#include "fz_trace.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "fz_sanitizer.h"

FZ_HARNESS_CODE_BEGIN

#define COL 34 /* characters per thread column */

void fz_trace_reset(struct fz_trace *t, bool atomic_seq, uint32_t head)
{
	for (unsigned i = 0; i < FZ_MAX_THREADS; i++) {
		t->buf[i].count = 0;
		t->buf[i].head = head < FZ_TRACE_CAP ? head : 0;
	}
	t->seq = 0;
	t->atomic_seq = atomic_seq;
}

/* Where the pos-th event appended lives: the head in place, the rest in
 * the ring after it. */
static uint32_t slot_of_pos(const struct fz_trace_buf *b, uint32_t pos)
{
	/* Below the capacity (above head, which is smaller) nothing has
	 * wrapped yet, and most inputs never fill a buffer: no division. */
	if (pos < FZ_TRACE_CAP)
		return pos;
	return b->head + (pos - b->head) % (FZ_TRACE_CAP - b->head);
}

uint32_t fz_trace_tail_start(const struct fz_trace_buf *b)
{
	uint32_t head_len = b->count < b->head ? b->count : b->head;
	return b->count > FZ_TRACE_CAP ? b->count - (FZ_TRACE_CAP - b->head) : head_len;
}

const struct fz_event *fz_trace_at(const struct fz_trace_buf *b, uint32_t pos)
{
	if (pos >= b->count || (pos >= b->head && pos < fz_trace_tail_start(b)))
		return NULL;
	return &b->ev[slot_of_pos(b, pos)];
}

/* The fields fz_trace_add copies one by one, in struct fz_event's order:
 * a field added to the event moves its text or its base, and stops the
 * build here until it is copied too. */
struct copied_fields {
	uint32_t seq;
	uint8_t kind, sub, flags, ok;
	uint32_t id;
	uintptr_t base, npages, arena, a, b;
};
_Static_assert(offsetof(struct fz_event, text) == sizeof(struct copied_fields) &&
		       offsetof(struct fz_event, base) == offsetof(struct copied_fields, base),
	       "fz_trace_add copies struct fz_event field by field: copy the new field too");

uint32_t fz_trace_add(struct fz_trace *t, int tid, const struct fz_event *ev)
{
	if (tid < 0 || tid >= FZ_MAX_THREADS)
		return 0;
	struct fz_trace_buf *b = &t->buf[tid];
	struct fz_event *slot = &b->ev[slot_of_pos(b, b->count)];
	/* Only labelled events carry text (most of an event's bytes).  The
	 * rest is copied field by field: callers build the event on their
	 * stack a field at a time, and loads wider than those stores would
	 * wait for them to reach the cache (no store forwarding), which made
	 * this copy the costliest part of a note. */
	if (ev->kind == FZ_EV_INFO || ev->kind == FZ_EV_VERDICT) {
		*slot = *ev;
	} else {
		slot->kind = ev->kind;
		slot->sub = ev->sub;
		slot->flags = ev->flags;
		slot->ok = ev->ok;
		slot->id = ev->id;
		slot->base = ev->base;
		slot->npages = ev->npages;
		slot->arena = ev->arena;
		slot->a = ev->a;
		slot->b = ev->b;
	}
	slot->seq = t->atomic_seq ? __atomic_fetch_add(&t->seq, 1, __ATOMIC_RELAXED) : t->seq++;
	b->count++;
	return slot->seq;
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

/* One thread's kept events in order: the head, then (after a gap of
 * dropped ones, if any) the tail. */
struct cursor {
	const struct fz_trace_buf *b;
	uint32_t next, end;    /* positions in the ever-appended numbering */
	uint32_t gap_at, skip; /* at position gap_at, skip dropped events */
};

static const struct fz_event *cursor_peek(struct cursor *c)
{
	if (c->skip > 0 && c->next == c->gap_at)
		c->next += c->skip;
	return c->next < c->end ? fz_trace_at(c->b, c->next) : NULL;
}

/* A row waiting to be shown, and how many identical rows followed it. */
struct pending_row {
	int tid; /* -1: none */
	uint32_t seq, last_seq;
	unsigned long repeats;
	const struct fz_event *ev, *last_ev;
	char cell[96];
};

static void emit_pending(struct pending_row *p, fz_trace_row_fn fn, void *arg)
{
	if (p->tid < 0)
		return;
	struct fz_trace_row row = {.kind = FZ_ROW_EVENT, .tid = p->tid, .seq = p->seq, .ev = p->ev, .cell = p->cell};
	fn(&row, arg);
	if (p->repeats == 1) {
		/* Two identical rows stay two rows: folding them saves nothing. */
		row.seq = p->last_seq;
		row.ev = p->last_ev;
		fn(&row, arg);
	} else if (p->repeats > 1) {
		row = (struct fz_trace_row){.kind = FZ_ROW_REPEAT, .tid = p->tid, .seq = p->last_seq,
					    .count = p->repeats, .ev = p->last_ev, .cell = p->cell};
		fn(&row, arg);
	}
	p->tid = -1;
}

/* Every thread's cursor over its kept events; returns the events dropped. */
static unsigned long open_cursors(const struct fz_trace *t, unsigned nt, struct cursor *cur)
{
	unsigned long dropped = 0;
	for (unsigned i = 0; i < nt; i++) {
		const struct fz_trace_buf *b = &t->buf[i];
		uint32_t head_len = b->count < b->head ? b->count : b->head;
		cur[i] = (struct cursor){.b = b, .next = 0, .end = b->count, .gap_at = head_len,
					 .skip = fz_trace_tail_start(b) - head_len};
		dropped += cur[i].skip;
	}
	return dropped;
}

static unsigned view_threads(const struct fz_trace_view *view)
{
	return view->nthreads > FZ_MAX_THREADS ? FZ_MAX_THREADS : view->nthreads;
}

void fz_trace_measure(const struct fz_trace *t, const struct fz_trace_view *view, unsigned long *dropped,
		      uint32_t *max_seq)
{
	struct cursor cur[FZ_MAX_THREADS];
	unsigned nt = view_threads(view);
	*dropped = open_cursors(t, nt, cur);
	*max_seq = 0;
	for (unsigned i = 0; i < nt; i++) {
		const struct fz_event *last = cur[i].end > 0 ? fz_trace_at(cur[i].b, cur[i].end - 1) : NULL;
		if (last != NULL && last->seq > *max_seq)
			*max_seq = last->seq;
	}
}

void fz_trace_walk(const struct fz_trace *t, const struct fz_trace_view *view, fz_trace_row_fn fn, void *arg)
{
	struct cursor cur[FZ_MAX_THREADS];
	unsigned nt = view_threads(view);
	open_cursors(t, nt, cur);

	struct pending_row pending = {.tid = -1};
	for (;;) {
		int best = -1;
		const struct fz_event *ev = NULL;
		for (unsigned i = 0; i < nt; i++) {
			const struct fz_event *e = cursor_peek(&cur[i]);
			if (e != NULL && (ev == NULL || e->seq < ev->seq)) {
				best = (int)i;
				ev = e;
			}
		}
		if (ev == NULL)
			break;
		struct cursor *c = &cur[best];
		bool after_gap = c->skip > 0 && c->next == c->gap_at + c->skip;
		c->next++;
		char cell[96];
		fz_trace_describe(ev, view->g, cell, sizeof cell);
		if (after_gap) {
			emit_pending(&pending, fn, arg);
			struct fz_trace_row gap = {.kind = FZ_ROW_GAP, .tid = best, .seq = ev->seq, .count = c->skip};
			fn(&gap, arg);
		} else if (pending.tid == best && strcmp(pending.cell, cell) == 0) {
			pending.repeats++;
			pending.last_seq = ev->seq;
			pending.last_ev = ev;
			continue;
		}
		emit_pending(&pending, fn, arg);
		pending.tid = best;
		pending.seq = pending.last_seq = ev->seq;
		pending.ev = pending.last_ev = ev;
		pending.repeats = 0;
		snprintf(pending.cell, sizeof pending.cell, "%s", cell);
	}
	emit_pending(&pending, fn, arg);
}

/* ---- the text printout ------------------------------------------------------ */

struct text_out {
	FILE *out;
	int seq_width;
};

static void print_row(FILE *out, int seq_width, int tid, const char *seq, const char *cell)
{
	/* Columns left of the event stay blank; nothing is printed to its
	 * right, so rows carry no trailing spaces. */
	fprintf(out, "%*s", seq_width, seq);
	for (int i = 0; i < tid; i++)
		fprintf(out, " | %-*s", COL, "");
	fprintf(out, " | %s\n", cell);
}

static void print_text_row(const struct fz_trace_row *row, void *arg)
{
	const struct text_out *o = arg;
	char seq[16], cell[96];
	switch (row->kind) {
	case FZ_ROW_EVENT:
		snprintf(seq, sizeof seq, "%u", row->seq);
		print_row(o->out, o->seq_width, row->tid, seq, row->cell);
		break;
	case FZ_ROW_REPEAT:
		snprintf(cell, sizeof cell, "  (the same %lu more times, to seq %u)", row->count, row->seq);
		print_row(o->out, o->seq_width, row->tid, "", cell);
		break;
	case FZ_ROW_GAP:
		snprintf(cell, sizeof cell, "  ... %lu events not kept ...", row->count);
		print_row(o->out, o->seq_width, row->tid, "", cell);
		break;
	}
}

void fz_trace_print(const struct fz_trace *t, const struct fz_trace_view *view, FILE *out)
{
	unsigned nt = view_threads(view);
	unsigned long dropped;
	uint32_t max_seq;

	if (view->title != NULL)
		fprintf(out, "%s\n", view->title);
	fz_trace_measure(t, view, &dropped, &max_seq);
	if (dropped > 0)
		fprintf(out, "(%lu events not kept; each thread's gap is marked in its column)\n", dropped);

	/* The seq column is as wide as the largest number it will show. */
	char digits[16];
	int seq_width = snprintf(digits, sizeof digits, "%u", max_seq);
	if (seq_width < 6)
		seq_width = 6;
	fprintf(out, "%*s", seq_width, "seq");
	for (unsigned i = 0; i < nt; i++)
		fprintf(out, " | T%-*u", COL - 1, i);
	fputc('\n', out);
	for (int k = 0; k < seq_width; k++)
		fputc('-', out);
	for (unsigned i = 0; i < nt; i++) {
		fputs("-+-", out);
		for (int k = 0; k < COL; k++)
			fputc('-', out);
	}
	fputc('\n', out);

	struct text_out o = {out, seq_width};
	fz_trace_walk(t, view, print_text_row, &o);
}

FZ_HARNESS_CODE_END
