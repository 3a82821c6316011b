/*
 * fz_crossover.c - two schedules make a third (see fz_mutate.h).
 *
 * The units a schedule is built from are kept whole: a thread's program
 * and a run of decisions.  Thread numbers taken from the other schedule
 * are reduced modulo this one's thread count, so every decision still
 * names a thread that exists; the result is valid whenever both parents
 * are.
 */
#include <string.h>

#include "fz_mutate.h"
#include "fz_sanitizer.h"

FZ_HARNESS_CODE_BEGIN

const char *fz_crossing_name(enum fz_crossing c)
{
	static const char *const names[FZ_CROSSINGS] = {
		[FZ_CROSS_THREAD] = "thread", [FZ_CROSS_THREAD_ADD] = "thread-add", [FZ_CROSS_SPLICE] = "splice",
		[FZ_CROSS_TAIL] = "tail", [FZ_CROSS_HEADER] = "header",
	};
	return c < FZ_CROSSINGS ? names[c] : "?";
}

static void copy_program(struct fz_schedule *s, unsigned to, const struct fz_schedule *o, unsigned from)
{
	s->nops[to] = o->nops[from];
	memcpy(s->ops[to], o->ops[from], o->nops[from] * sizeof o->ops[0][0]);
}

static struct fz_decision mapped(const struct fz_schedule *s, struct fz_decision d)
{
	d.thread = (uint8_t)(d.thread % s->nthreads);
	return d;
}

/* A run of other's decisions goes in at a random place: inserted (what
 * follows moves back) or over s's own decisions from there. */
static void splice(struct fz_schedule *s, const struct fz_schedule *o, struct fz_rng *r)
{
	unsigned from = fz_rng_below(r, o->ndecisions);
	unsigned left = o->ndecisions - from;
	unsigned n = 1 + fz_rng_below(r, left < 16 ? left : 16);
	unsigned at = fz_rng_below(r, s->ndecisions + 1u);
	if (fz_rng_below(r, 2) == 0) {
		unsigned room = FZ_MAX_DECISIONS - (unsigned)s->ndecisions;
		if (n > room)
			n = room;
		memmove(&s->decisions[at + n], &s->decisions[at], (s->ndecisions - at) * sizeof s->decisions[0]);
		s->ndecisions = (uint16_t)(s->ndecisions + n);
	} else {
		if (n > FZ_MAX_DECISIONS - at)
			n = FZ_MAX_DECISIONS - at;
		if (at + n > s->ndecisions)
			s->ndecisions = (uint16_t)(at + n);
	}
	for (unsigned k = 0; k < n; k++)
		s->decisions[at + k] = mapped(s, o->decisions[from + k]);
}

/* s's decisions up to a point, then other's from a point. */
static void tail(struct fz_schedule *s, const struct fz_schedule *o, struct fz_rng *r)
{
	unsigned keep = fz_rng_below(r, s->ndecisions + 1u);
	unsigned from = fz_rng_below(r, o->ndecisions);
	unsigned n = o->ndecisions - from;
	if (n > FZ_MAX_DECISIONS - keep)
		n = FZ_MAX_DECISIONS - keep;
	for (unsigned k = 0; k < n; k++)
		s->decisions[keep + k] = mapped(s, o->decisions[from + k]);
	s->ndecisions = (uint16_t)(keep + n);
}

static bool cross(const struct fz_profile *pr, struct fz_schedule *s, const struct fz_schedule *o,
		  enum fz_crossing c, struct fz_rng *r)
{
	switch (c) {
	case FZ_CROSS_THREAD:
		copy_program(s, fz_rng_below(r, s->nthreads), o, fz_rng_below(r, o->nthreads));
		return true;
	case FZ_CROSS_THREAD_ADD:
		if (s->nthreads >= FZ_MAX_THREADS)
			return false;
		copy_program(s, s->nthreads, o, fz_rng_below(r, o->nthreads));
		s->nthreads++;
		return true;
	case FZ_CROSS_SPLICE:
		if (o->ndecisions == 0)
			return false;
		splice(s, o, r);
		return true;
	case FZ_CROSS_TAIL:
		if (o->ndecisions == 0)
			return false;
		tail(s, o, r);
		return true;
	case FZ_CROSS_HEADER:
		s->strategy = o->strategy;
		s->param = o->param;
		s->seed = o->seed;
		if (pr->allow_no_cache)
			s->no_cache = o->no_cache;
		return true;
	default:
		return false;
	}
}

enum fz_crossing fz_crossover_schedule(const struct fz_profile *pr, struct fz_schedule *s,
				       const struct fz_schedule *other, struct fz_rng *r)
{
	/* Interleavings first: decision runs twice as often as the rest. */
	static const enum fz_crossing order[] = {
		FZ_CROSS_SPLICE, FZ_CROSS_SPLICE, FZ_CROSS_TAIL, FZ_CROSS_TAIL, FZ_CROSS_THREAD,
		FZ_CROSS_THREAD, FZ_CROSS_THREAD_ADD, FZ_CROSS_HEADER,
	};
	const unsigned n = sizeof order / sizeof order[0];
	unsigned start = fz_rng_below(r, n);
	for (unsigned k = 0; k < n; k++) {
		enum fz_crossing c = order[(start + k) % n];
		if (cross(pr, s, other, c, r))
			return c;
	}
	return FZ_CROSSINGS;
}

FZ_HARNESS_CODE_END
