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
 * A buffer keeps the last FZ_TRACE_CAP events of its thread; older ones
 * are counted and the printout says how many were dropped.
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
	uint32_t count; /* events ever appended; the buffer keeps the last CAP */
};

struct fz_trace {
	struct fz_trace_buf buf[FZ_MAX_THREADS];
	uint32_t seq; /* next sequence number */
	bool atomic_seq; /* free-running: threads append concurrently */
};

void fz_trace_reset(struct fz_trace *t, bool atomic_seq);
/* Appends a copy of ev (seq is filled in) to thread tid's buffer. */
void fz_trace_add(struct fz_trace *t, int tid, const struct fz_event *ev);

struct fz_trace_view {
	const ph_geom *g;
	unsigned nthreads;
	const char *title; /* first line, e.g. the schedule summary */
};
/* Prints the swimlane table. */
void fz_trace_print(const struct fz_trace *t, const struct fz_trace_view *view, FILE *out);
/* A heap address as "A<arena slot>:<page>" (the only way addresses are
 * ever shown, in traces and verdicts alike); returns buf. */
const char *fz_where(const ph_geom *g, uintptr_t addr, char *buf, size_t n);
/* One event as text (what a cell shows); returns buf. */
char *fz_trace_describe(const struct fz_event *ev, const ph_geom *g, char *buf, size_t n);

#endif
