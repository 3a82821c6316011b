/*
 * fz_engine.h - the switching half of the controlled scheduler: runs a set
 * of schedule threads so that exactly one executes at a time and control
 * moves only when the running thread says so.
 *
 * Two engines share this interface:
 *  - "pthread": every schedule thread is a real pthread, created once and
 *    kept for all later inputs (so AFL++'s fork server sees a single-
 *    threaded parent until the first input).  Control passes through a
 *    relaxed atomic word and a raw futex, which gives ThreadSanitizer no
 *    happens-before edge: races between the serialised threads stay
 *    visible.
 *  - "fiber": every schedule thread is a stack of its own on the calling
 *    thread, switched by a few instructions; TSan is told about each
 *    switch without synchronisation (__tsan_switch_to_fiber, no_sync).
 *
 * Either way, the only happens-before edges the engine creates are one per
 * thread per input: main -> thread when the input starts (setup data is
 * published) and thread -> main when the thread finishes (so the next
 * input's setup does not race with this one's accesses).
 */
#ifndef FZ_ENGINE_H
#define FZ_ENGINE_H

#include <stdbool.h>
#include <stddef.h>

#include "fz_schedule.h"

enum fz_engine_kind { FZ_ENGINE_PTHREAD, FZ_ENGINE_FIBER };

/* A schedule thread's body.  It returns the thread to hand control to when
 * it has finished, or -1 when the run is over. */
typedef int (*fz_thread_fn)(int tid, void *arg);

struct fz_engine;

/* NULL with a reason in err when the kind is unavailable in this build. */
struct fz_engine *fz_engine_new(enum fz_engine_kind kind, char *err, size_t errlen);
void fz_engine_free(struct fz_engine *e);
enum fz_engine_kind fz_engine_kind_of(const struct fz_engine *e);
const char *fz_engine_name(enum fz_engine_kind kind);
/* The engine targets use unless told otherwise: fibers where they exist
 * (x86-64 without MemorySanitizer), since they switch in nanoseconds where
 * a futex hand-off between pthreads takes microseconds (figures in
 * docs/BENCHMARKS.md); pthreads elsewhere. */
enum fz_engine_kind fz_engine_default(void);
/* "pthread" or "fiber"; false if neither. */
bool fz_engine_kind_parse(const char *name, enum fz_engine_kind *kind);

/* Runs fn(tid, arg) for tid in [0, n) starting with `first`; returns after
 * the run is over (some body returned -1) and every thread that started
 * has finished.  Called by the main thread only. */
void fz_engine_run(struct fz_engine *e, unsigned n, int first, fz_thread_fn fn, void *arg);
/* Called by the running thread `from`: run `to` instead; returns when
 * `from` is chosen again. */
void fz_engine_switch(struct fz_engine *e, int from, int to);
/* Free-running: runs fn(tid, arg) for tid in [0, n) on real threads all at
 * once (the body synchronises its own start); returns when all returned.
 * False if the engine cannot (fibers share one OS thread). */
bool fz_engine_run_free(struct fz_engine *e, unsigned n, fz_thread_fn fn, void *arg);

/* Engine internals share this vtable. */
struct fz_engine_ops {
	void (*run)(struct fz_engine *e, unsigned n, int first, fz_thread_fn fn, void *arg);
	void (*switch_to)(struct fz_engine *e, int from, int to);
	void (*run_free)(struct fz_engine *e, unsigned n, fz_thread_fn fn, void *arg); /* may be NULL */
	void (*destroy)(struct fz_engine *e);
};
struct fz_engine {
	const struct fz_engine_ops *ops;
	enum fz_engine_kind kind;
};

struct fz_engine *fz_engine_pthread_new(char *err, size_t errlen);
struct fz_engine *fz_engine_fiber_new(char *err, size_t errlen);
bool fz_engine_fiber_available(void);

#endif
