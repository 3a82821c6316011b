/*
 * fz_trace.h - what each schedule thread did, and its swimlane printout.
 *
 * Each thread appends events to a buffer of its own; a global sequence
 * number (taken by the one running thread, so plain in controlled mode and
 * an atomic increment in free-running mode) orders them.  Printing merges
 * the buffers by sequence number into one row per event and one column per
 * thread.  Heap addresses print as A<arena slot>:<page>, never as OS
 * addresses, so the same input prints the same trace on every run.
 *
 * A buffer holds FZ_TRACE_CAP events of its thread: the first `head` ever
 * appended stay for good (how the thread began: in a livelock, the load
 * whose stale value it keeps retrying with), the rest is a ring of the
 * latest ones.  What falls between is counted, and the printout marks the
 * gap in that thread's column.  The printout also folds a run of identical
 * consecutive rows of one thread (a CAS failing 10000 times) into one line.
 */
#ifndef FZ_TRACE_H
#define FZ_TRACE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "fz_schedule.h"
#include "ph_geom.h"
#include "ph_hooks.h"

#define FZ_TRACE_CAP 8192
/* Events at the start of each thread the controlled runner keeps for good. */
#define FZ_TRACE_HEAD 1024

enum fz_ev_kind {
	FZ_EV_NOTE,    /* an allocator note; sub = enum ph_note_kind */
	FZ_EV_OP,      /* an operation starts; sub = enum fz_op_kind */
	FZ_EV_RESULT,  /* an operation's outcome; sub = enum fz_op_kind */
	FZ_EV_BLOCK,   /* waits for the heap lock */
	FZ_EV_VERDICT, /* an oracle failed here */
	FZ_EV_INFO,    /* free text (short) */
};

/* ev->flags bits for FZ_EV_RESULT */
#define FZ_RES_OOM 1u      /* allocation failed: out of memory */
#define FZ_RES_NEEDZERO 2u /* decision: needs zeroing */
#define FZ_RES_NONE 4u     /* nothing to do (no live allocation, no arena) */
#define FZ_RES_ZERO 8u     /* zeroed memory was requested */
/* ev->flags bits for FZ_EV_VERDICT */
#define FZ_VERDICT_AT_REST 1u /* a check at rest failed, after every thread finished */

/* fz_trace_add copies the fields before text one by one: a new field must
 * be copied there too (fz_trace.c asserts the layout it knows). */
struct fz_event {
	uint32_t seq;
	uint8_t kind, sub, flags, ok;
	uint32_t id;      /* allocation number, where there is one */
	uintptr_t base;   /* heap address */
	uintptr_t npages;
	uintptr_t arena;  /* global arena index */
	uintptr_t a, b;
	char text[64];    /* FZ_EV_INFO / FZ_EV_VERDICT: a short label */
};

struct fz_trace_buf {
	struct fz_event ev[FZ_TRACE_CAP];
	uint32_t count; /* events ever appended */
	uint32_t head;  /* the first `head` of them are kept for good */
};

struct fz_trace {
	struct fz_trace_buf buf[FZ_MAX_THREADS];
	uint32_t seq; /* next sequence number */
	bool atomic_seq; /* free-running: threads append concurrently */
};

/* Empties every buffer; each will keep its first `head` events
 * (< FZ_TRACE_CAP; 0: only the latest FZ_TRACE_CAP). */
void fz_trace_reset(struct fz_trace *t, bool atomic_seq, uint32_t head);
/* Appends a copy of ev (seq is filled in) to thread tid's buffer; returns
 * its sequence number. */
uint32_t fz_trace_add(struct fz_trace *t, int tid, const struct fz_event *ev);
/* The event appended pos-th (from 0) to b, or NULL if it was not kept. */
const struct fz_event *fz_trace_at(const struct fz_trace_buf *b, uint32_t pos);
/* Position of the first kept event after the head (== the head's length
 * when nothing was dropped). */
uint32_t fz_trace_tail_start(const struct fz_trace_buf *b);

struct fz_trace_view {
	const ph_geom *g;
	unsigned nthreads;
	const char *title; /* first line, e.g. the schedule summary */
};
/* Prints the swimlane table. */
void fz_trace_print(const struct fz_trace *t, const struct fz_trace_view *view, FILE *out);

/*
 * The table's rows, in the order both printouts show them: the events of
 * every thread merged by sequence number; a run of identical rows of one
 * thread folded into its first row and one FZ_ROW_REPEAT (a run of two
 * stays two rows); where a thread's events were not kept, one FZ_ROW_GAP
 * before the first kept event after them.
 */
enum fz_trace_row_kind {
	FZ_ROW_EVENT,  /* one event: seq, ev, cell */
	FZ_ROW_REPEAT, /* the row above, `count` more times, the last at seq; ev the last */
	FZ_ROW_GAP,    /* `count` events of thread tid not kept; seq: the next kept one's */
};
struct fz_trace_row {
	enum fz_trace_row_kind kind;
	int tid;
	uint32_t seq;
	unsigned long count;
	const struct fz_event *ev; /* EVENT, REPEAT */
	const char *cell;          /* EVENT, REPEAT: the event as text (fz_trace_describe) */
};
typedef void (*fz_trace_row_fn)(const struct fz_trace_row *row, void *arg);
/* Calls fn on every row of view's threads, top to bottom. */
void fz_trace_walk(const struct fz_trace *t, const struct fz_trace_view *view, fz_trace_row_fn fn, void *arg);
/* Events not kept, over view's threads, and the largest sequence number kept. */
void fz_trace_measure(const struct fz_trace *t, const struct fz_trace_view *view, unsigned long *dropped,
		      uint32_t *max_seq);
/*
 * The same table as one self-contained HTML page (fz_trace_html.c): the
 * title and the verdict (failed: the failing verdict, else the ok line) on
 * top, one column per thread, the heap lock, zeroedBase's loads, CASes and
 * stores and the failing step marked.  No network: the style is inline.
 */
void fz_trace_print_html(const struct fz_trace *t, const struct fz_trace_view *view, const char *verdict,
			 bool failed, FILE *out);
/* A heap address as "A<arena slot>:<page>" (the only way addresses are
 * ever shown, in traces and verdicts alike); returns buf. */
const char *fz_where(const ph_geom *g, uintptr_t addr, char *buf, size_t n);
/* One event as text (what a cell shows); returns buf. */
char *fz_trace_describe(const struct fz_event *ev, const ph_geom *g, char *buf, size_t n);

#endif
