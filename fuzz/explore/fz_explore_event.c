/*
 * fz_explore_event.c - what a step touches, and the dependency relation.
 *
 * A step is the code one thread runs from a scheduling point to its next
 * one (or to its end); its first shared access is the one its point
 * announced (ph_hooks.h), so where a thread stands tells what its next
 * step touches first:
 *
 *   before operation N (FZ_PT_OP), or not started     a claim reads the arena
 *                                                      index; nothing else
 *   LOCK, or blocked on the lock                      acquires the heap lock
 *   UNLOCK                                            releases it
 *   ZB_LOAD of arena a                                reads zeroedBase[a]
 *   ZB_CAS of arena a                                 writes zeroedBase[a]; once it
 *                                                      has run and failed, reads it
 *   ZB_STORE of arena a                               writes zeroedBase[a]
 *   CACHE_REFILL                                      writes the page allocator
 *
 * What else a step may touch, and why it needs no entry of its own:
 *  - the page allocator, summaries and arena metadata inside a critical
 *    section: protected by the heap lock, whose acquire and release
 *    already order every such step (a fault that drops the lock around a
 *    refill leaves the refill's own point, which writes the page allocator);
 *  - a heap growth, which also writes the arena index that claims read
 *    without the lock: the chooser sees the heap's growth count move and
 *    adds the write to the step that grew (fz_explore_choose.c);
 *  - heap pages: the harness writes only pages handed to the writing
 *    thread, and the allocator clears only pages it just handed out, so
 *    these are private - unless the allocator handed a page out twice,
 *    which O1 reports at the second hand-out, in the same step;
 *  - a P's page cache: private to its thread;
 *  - statistics counters (CAS failures, lock contention): never read by
 *    the program, so commuting their increments changes nothing it sees;
 *  - the oracles' and trace's bookkeeping: observers, not program state.
 *
 * Two steps of different threads are dependent when they touch a common
 * object and one writes; acquire and release both write the lock.  A step
 * inside which the input ended is dependent with every step.
 *
 * A CAS is predicted as a write (fz_xevent_next: nobody knows yet whether
 * it will succeed), and stays one if it succeeds.  A CAS that failed wrote
 * nothing: it read zeroedBase and compared, so once it has run it is a
 * read (fz_xevent_outcome; the chooser tells from the heap's count of
 * failed CASes).  That is exact, not a guess: a failed CAS next to a load
 * or another failed CAS of the same word commutes with it (each still
 * reads the same value, so the CAS still fails), while next to a write it
 * may have succeeded, and stays dependent.  Everything that compares steps
 * compares executed ones (the race analysis, sleep sets, replay checks);
 * the one place where a failed CAS is moved to where it may behave
 * otherwise, the step a race reversal puts first, treats it as the write it
 * may become (fz_explore_dpor.c).
 */
#include "fz_explore_internal.h"

#include <stdio.h>
#include <string.h>

#include "fz_sanitizer.h"

FZ_HARNESS_CODE_BEGIN

_Static_assert(FZ_MAX_THREADS <= 8, "fz_tmask holds one bit per thread");

void fz_xevent_add(struct fz_xevent *ev, enum fz_xclass cls, bool write, unsigned slot)
{
	if (ev->nacc >= FZ_XEV_MAX_ACC)
		return; /* callers add at most two: the first access and a growth */
	ev->acc[ev->nacc++] = (struct fz_xacc){.cls = (uint8_t)cls, .write = write, .slot = (uint16_t)slot};
}

/* The first step of operation i of thread t: only a claim touches shared
 * state before its first point (it resolves its arena against the arenas
 * that exist now). */
static void op_start(const struct fz_explorer *x, int t, uintptr_t i, struct fz_xevent *ev)
{
	if (i < x->prog.nops[t] && x->prog.ops[t][i].kind == FZ_OP_CLAIM)
		fz_xevent_add(ev, FZ_XC_ARENAS, false, 0);
}

static unsigned zb_slot(const struct fz_explorer *x, uintptr_t arena)
{
	uintptr_t s = arena - x->first_arena;
	return s < x->nslots ? (unsigned)s : x->nslots - 1; /* every decided arena exists */
}

void fz_xevent_next(const struct fz_explorer *x, const struct fz_sched *s, int t, struct fz_xevent *ev)
{
	memset(ev, 0, sizeof *ev);
	ev->thread = (uint8_t)t;
	if (s->state[t] == FZ_T_BLOCKED) {
		ev->flags = FZ_XEV_ACQUIRE;
		fz_xevent_add(ev, FZ_XC_LOCK, true, 0);
		return;
	}
	switch (s->at_kind[t]) {
	case FZ_PT_START:
		op_start(x, t, 0, ev);
		break;
	case FZ_PT_OP:
		op_start(x, t, s->at_obj[t], ev);
		break;
	case PH_PT_LOCK:
		ev->flags = FZ_XEV_ACQUIRE;
		fz_xevent_add(ev, FZ_XC_LOCK, true, 0);
		break;
	case PH_PT_UNLOCK:
		ev->flags = FZ_XEV_RELEASE;
		fz_xevent_add(ev, FZ_XC_LOCK, true, 0);
		break;
	case PH_PT_ZB_LOAD:
		fz_xevent_add(ev, FZ_XC_ZB, false, zb_slot(x, s->at_obj[t]));
		break;
	case PH_PT_ZB_CAS:
		ev->flags = FZ_XEV_CAS;
		fz_xevent_add(ev, FZ_XC_ZB, true, zb_slot(x, s->at_obj[t]));
		break;
	case PH_PT_ZB_STORE:
		fz_xevent_add(ev, FZ_XC_ZB, true, zb_slot(x, s->at_obj[t]));
		break;
	case PH_PT_CACHE_REFILL:
		fz_xevent_add(ev, FZ_XC_PAGES, true, 0);
		break;
	default:
		break;
	}
}

void fz_xevent_outcome(struct fz_xevent *ev, bool failed)
{
	if (!(ev->flags & FZ_XEV_CAS) || !failed)
		return;
	/* The CAS is the step's first access; the rest of the step (until the
	 * next point) touches nothing shared. */
	ev->flags |= FZ_XEV_FAILED;
	ev->acc[0].write = false;
}

bool fz_xevent_dependent(const struct fz_xevent *a, const struct fz_xevent *b)
{
	if ((a->flags | b->flags) & FZ_XEV_ENDS)
		return true;
	for (unsigned i = 0; i < a->nacc; i++)
		for (unsigned j = 0; j < b->nacc; j++)
			if (fz_xobj(&a->acc[i]) == fz_xobj(&b->acc[j]) && (a->acc[i].write || b->acc[j].write))
				return true;
	return false;
}

bool fz_xevent_same(const struct fz_xevent *a, const struct fz_xevent *b)
{
	if (a->thread != b->thread || a->flags != b->flags || a->nacc != b->nacc)
		return false;
	for (unsigned i = 0; i < a->nacc; i++)
		if (fz_xobj(&a->acc[i]) != fz_xobj(&b->acc[i]) || a->acc[i].write != b->acc[i].write)
			return false;
	return true;
}

void fz_xevent_describe(const struct fz_xevent *ev, char *buf, size_t n)
{
	static const char *const names[] = {[FZ_XC_LOCK] = "lock", [FZ_XC_ARENAS] = "arenas", [FZ_XC_PAGES] = "pages"};
	size_t o = (size_t)snprintf(buf, n, "T%u", ev->thread);
	if (ev->nacc == 0 && o < n)
		o += (size_t)snprintf(buf + o, n - o, " local");
	for (unsigned i = 0; i < ev->nacc && o < n; i++) {
		const struct fz_xacc *a = &ev->acc[i];
		if (a->cls == FZ_XC_ZB)
			o += (size_t)snprintf(buf + o, n - o, " %s zb[A%u]",
					      (ev->flags & FZ_XEV_CAS) && i == 0
						      ? ((ev->flags & FZ_XEV_FAILED) ? "cas fails on" : "cas")
						      : (a->write ? "writes" : "reads"),
					      a->slot);
		else
			o += (size_t)snprintf(buf + o, n - o, " %s %s", a->write ? "writes" : "reads", names[a->cls]);
	}
	if ((ev->flags & FZ_XEV_ENDS) && o < n)
		snprintf(buf + o, n - o, " (input ends)");
}

FZ_HARNESS_CODE_END
