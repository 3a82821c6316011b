/*
 * fz_feedback.c - interleaving features from the allocator's notes (see
 * fz_feedback.h for what is recorded and why).
 *
 * The model, per input:
 *   clock           one tick per note: orders writes against decisions
 *   last_write[s]   per arena slot, the last write of zeroedBase seen: its
 *                   value (pages), static site, writer and clock, packed in
 *                   one word so free-running readers see a consistent one
 *   last_end[s]     per arena slot, where the last decision to end there
 *                   started, and by whom
 *   last_unlocker   who released the heap lock last (tid + 1; 0 = nobody)
 *   th[t].flight    thread t's decision in flight (its arena segment),
 *                   packed in one word, 0 when it decides nothing
 *   flying          one bit per thread whose flight word is non-zero, so
 *                   the in-flight counts look only at deciding threads
 * Everything another thread reads is accessed with relaxed atomics among
 * free-running threads, plainly under a controlled schedule (one thread at
 * a time: LD/ST); the rest of th[t] belongs to thread t.  Invariant: a
 * thread's flight word is non-zero, and its bit in flying set, exactly
 * between its DECIDE_BEGIN and DECIDE_END notes (or the end of the input,
 * when it unwinds mid-decision).  Thread t alone sets and clears its bit
 * (an atomic or/and when free-running: those threads change their bits at
 * once).
 */
#include "fz_feedback.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "fz_sanitizer.h"
#include "fz_schedule.h"

FZ_HARNESS_CODE_BEGIN

/* 8 KiB of zeros in a section of its own; aligned because libFuzzer clears
 * it a machine word at a time. */
uint8_t fz_feedback_libfuzzer_counters[FZ_FEEDBACK_COUNTERS]
	__attribute__((section("__libfuzzer_extra_counters"), aligned(64), used));

#define SLOTS 64           /* arena slots modelled, as in the decision oracles */
#define NO_SLOT 127u       /* out of the modelled slots */
#define PAGES_MAX 0xffffffu /* values are kept in 24 bits of pages */

/* A thread's decision in flight: active | last slot | first slot | start
 * page in the first slot | end page in the last slot. */
#define FL_ACTIVE (1ull << 63)
static uint64_t pack_flight(unsigned first, unsigned last, uint64_t off, uint64_t lim)
{
	return FL_ACTIVE | (uint64_t)last << 55 | (uint64_t)first << 48 | off << 24 | lim;
}
static unsigned fl_first(uint64_t f) { return (unsigned)(f >> 48) & 0x7f; }
static unsigned fl_last(uint64_t f) { return (unsigned)(f >> 55) & 0x7f; }
static uint64_t fl_off(uint64_t f) { return (f >> 24) & PAGES_MAX; }
static uint64_t fl_lim(uint64_t f) { return f & PAGES_MAX; }

/* A write of zeroedBase: valid | site | writer | clock | value (pages). */
#define WR_VALID (1ull << 63)
static uint64_t pack_write(enum fz_fb_site site, int tid, uint32_t clock, uint64_t pages)
{
	return WR_VALID | (uint64_t)site << 60 | (uint64_t)tid << 56 | (uint64_t)clock << 24 |
	       (pages > PAGES_MAX ? PAGES_MAX : pages);
}
static enum fz_fb_site wr_site(uint64_t w) { return (enum fz_fb_site)((w >> 60) & 7); }
static int wr_tid(uint64_t w) { return (int)((w >> 56) & 0xf); }
static uint32_t wr_clock(uint64_t w) { return (uint32_t)(w >> 24); }
static uint64_t wr_pages(uint64_t w) { return w & PAGES_MAX; }

struct fb_thread {
	uint64_t flight;    /* relaxed atomic: see pack_flight; 0 = not deciding */
	uint32_t begin;     /* relaxed atomic: clock at its DECIDE_BEGIN */
	/* The thread's own: */
	unsigned slot;      /* arena slot of its last zeroedBase access */
	unsigned attempts;  /* CASes (or stores) in that slot in this decision */
	unsigned total;     /* over the whole decision */
	bool cas_failed;    /* the last CAS failed: the next load is the reload */
	bool waited;        /* found the heap lock busy since it last took it */
};

struct fb_input {
	uint32_t clock;              /* relaxed atomic */
	uint64_t last_write[SLOTS];  /* relaxed atomics: pack_write or 0 */
	uint64_t last_end[SLOTS];    /* relaxed atomics: valid | tid << 32 | start page */
	uint32_t last_unlocker;      /* relaxed atomic: tid + 1, 0 = none yet */
	uint32_t flying;             /* relaxed atomic: bit t = th[t].flight != 0 */
	struct fb_thread th[FZ_MAX_THREADS];
};

struct fz_feedback {
	const ph_geom *g;
	uint8_t *counters;    /* fz_feedback_libfuzzer_counters or own */
	bool freerun;
	uintptr_t first_arena;
	uintptr_t arena_pages;
	uintptr_t arena_mask; /* arena bytes - 1 */
	struct fb_input in;   /* cleared per input */
	/* Main thread only: */
	uint64_t distinct;
	uint64_t seen[FZ_FEEDBACK_COUNTERS / 64];
	uint8_t own[FZ_FEEDBACK_COUNTERS];
};

_Static_assert(FZ_MAX_THREADS <= 32, "flying holds one bit per thread");

/* Shared words (FZ_SHARED_*, fz_sanitizer.h): atomic only among
 * free-running threads.  Every user has fb in scope. */
#define LD(p) FZ_SHARED_LOAD(fb->freerun, p)
#define ST(p, v) FZ_SHARED_STORE(fb->freerun, p, v)

struct fz_feedback *fz_feedback_new(const ph_geom *g, bool to_libfuzzer, bool freerun)
{
	assert(ph_arena_pages(g) < PAGES_MAX);
	struct fz_feedback *fb = calloc(1, sizeof *fb);
	if (fb == NULL)
		return NULL;
	fb->g = g;
	fb->freerun = freerun;
	fb->counters = to_libfuzzer ? fz_feedback_libfuzzer_counters : fb->own;
	fb->first_arena = g->heap_vbase >> g->arena_shift;
	fb->arena_pages = ph_arena_pages(g);
	fb->arena_mask = ph_arena_bytes(g) - 1;
#ifdef FZ_TSAN
	/* Written by whichever schedule thread runs, with no happens-before
	 * edge to the main thread that clears them between inputs, nor to
	 * libFuzzer reading them: the same deliberate race as its own
	 * counters (fz_sanitizer.c). */
	static bool annotated;
	if (to_libfuzzer && !annotated) {
		AnnotateBenignRaceSized(__FILE__, __LINE__, fz_feedback_libfuzzer_counters,
					sizeof fz_feedback_libfuzzer_counters, "interleaving feedback counters");
		annotated = true;
	}
#endif
	fz_feedback_reset(fb, true);
	return fb;
}

void fz_feedback_free(struct fz_feedback *fb)
{
	free(fb);
}

void fz_feedback_reset(struct fz_feedback *fb, bool clear_libfuzzer)
{
	if (fb->counters == fb->own || clear_libfuzzer)
		memset(fb->counters, 0, FZ_FEEDBACK_COUNTERS);
	memset(&fb->in, 0, sizeof fb->in);
	for (unsigned t = 0; t < FZ_MAX_THREADS; t++)
		fb->in.th[t].slot = NO_SLOT;
}

const uint8_t *fz_feedback_counters(const struct fz_feedback *fb)
{
	return fb->counters;
}

uint64_t fz_feedback_account(struct fz_feedback *fb)
{
	uint64_t set = 0;
	for (unsigned i = 0; i < FZ_FEEDBACK_COUNTERS; i++) {
		if (fb->counters[i] == 0)
			continue;
		set++;
		uint64_t bit = 1ull << (i % 64);
		if (!(fb->seen[i / 64] & bit)) {
			fb->seen[i / 64] |= bit;
			fb->distinct++;
		}
	}
	return set;
}

uint64_t fz_feedback_distinct(const struct fz_feedback *fb)
{
	return fb->distinct;
}

/* ---- the model ------------------------------------------------------------ */

/* The note path runs at every zeroedBase access and lock hand-off of every
 * input: no sanitizer instruments it (its memory is this object's, indexed
 * within bounds the asserts and masks keep; its atomics stay visible). */
FZ_UNINSTRUMENTED_BEGIN

unsigned fz_feedback_index(uint32_t key)
{
	/* murmur3's 32-bit finaliser: every key bit moves every index bit. */
	key ^= key >> 16;
	key *= 0x85ebca6bu;
	key ^= key >> 13;
	key *= 0xc2b2ae35u;
	key ^= key >> 16;
	return key & (FZ_FEEDBACK_COUNTERS - 1);
}

static void hit(struct fz_feedback *fb, uint32_t key)
{
	uint8_t *c = &fb->counters[fz_feedback_index(key)];
	uint8_t v = LD(c);
	if (v != 255) /* saturate: wrapping to 0 would erase the feature */
		ST(c, (uint8_t)(v + 1));
}

static unsigned cap3(unsigned n) { return n > 3 ? 3 : n; }

static uint32_t tick(struct fz_feedback *fb)
{
	if (fb->freerun)
		return __atomic_add_fetch(&fb->in.clock, 1, __ATOMIC_RELAXED);
	/* One thread at a time: no read-modify-write needed. */
	uint32_t now = LD(&fb->in.clock) + 1;
	ST(&fb->in.clock, now);
	return now;
}

static unsigned slot_of_arena(const struct fz_feedback *fb, uintptr_t ai)
{
	uintptr_t s = ai - fb->first_arena; /* wraps to huge below the heap */
	return s < SLOTS ? (unsigned)s : NO_SLOT;
}

/* The flight word of a decision of [base, +npages). */
static uint64_t flight_of(const struct fz_feedback *fb, uintptr_t base, uintptr_t npages)
{
	const ph_geom *g = fb->g;
	uintptr_t end = base + (npages << g->page_shift);
	uintptr_t mask = fb->arena_mask;
	unsigned first = slot_of_arena(fb, base >> g->arena_shift);
	unsigned last = npages == 0 ? first : slot_of_arena(fb, (end - 1) >> g->arena_shift);
	uint64_t off = (base & mask) >> g->page_shift;
	uint64_t lim = npages == 0 ? off : (((end - 1) & mask) >> g->page_shift) + 1;
	if (last < first)
		last = NO_SLOT;
	return pack_flight(first, last, off, lim);
}

/* The segment [*lo, *hi) of decision f in slot s (pages); false if it does
 * not reach s. */
static bool segment_in(const struct fz_feedback *fb, uint64_t f, unsigned s, uint64_t *lo, uint64_t *hi)
{
	if (!(f & FL_ACTIVE) || s == NO_SLOT || s < fl_first(f) || s > fl_last(f))
		return false;
	*lo = s == fl_first(f) ? fl_off(f) : 0;
	*hi = s == fl_last(f) ? fl_lim(f) : fb->arena_pages;
	return true;
}

static enum fz_fb_pos position(const struct fz_feedback *fb, int tid, unsigned slot, uint64_t pages)
{
	uint64_t lo, hi;
	if (!segment_in(fb, LD(&fb->in.th[tid].flight), slot, &lo, &hi))
		return FZ_POS_NO_RANGE;
	if (pages < lo)
		return FZ_POS_BELOW;
	if (pages == lo)
		return FZ_POS_AT_START;
	if (pages < hi)
		return FZ_POS_INSIDE;
	return pages == hi ? FZ_POS_AT_END : FZ_POS_ABOVE;
}

/* Other threads with a decision reaching slot (any slot: NO_SLOT and
 * anywhere); with mine, whether one overlaps it, lies above or below. */
struct others {
	unsigned n;
	bool overlap, above, below;
};

static struct others others_in(const struct fz_feedback *fb, int tid, unsigned slot, bool anywhere)
{
	struct others o = {0};
	uint32_t flying = LD(&fb->in.flying) & ~(1u << tid);
	if (anywhere) {
		o.n = (unsigned)__builtin_popcount(flying);
		return o;
	}
	uint64_t mlo = 0, mhi = 0;
	bool mine = segment_in(fb, LD(&fb->in.th[tid].flight), slot, &mlo, &mhi);
	for (; flying != 0; flying &= flying - 1) {
		int t = __builtin_ctz(flying);
		uint64_t f = LD(&fb->in.th[t].flight), lo, hi;
		if (!segment_in(fb, f, slot, &lo, &hi))
			continue; /* another arena, or (free-running) just ended */
		o.n++;
		if (mine) {
			o.overlap |= lo < mhi && mlo < hi;
			o.above |= lo >= mhi;
			o.below |= hi <= mlo;
		}
	}
	return o;
}

/* Who wrote what thread tid just read (w: the slot's last write). */
static void classify(const struct fz_feedback *fb, int tid, uint64_t w, bool check, uint64_t pages,
		     enum fz_fb_site *site, enum fz_fb_rel *rel)
{
	if (!(w & WR_VALID)) {
		/* No write this input: the value must be the arena's initial 0. */
		*site = check && pages != 0 ? FZ_WR_UNSEEN : FZ_WR_NONE;
		*rel = FZ_REL_NONE;
		return;
	}
	if (check && wr_pages(w) != (pages > PAGES_MAX ? PAGES_MAX : pages)) {
		*site = FZ_WR_UNSEEN; /* free-running: a write not yet in the model */
		*rel = FZ_REL_NONE;
		return;
	}
	*site = wr_site(w);
	int writer = wr_tid(w);
	if (writer == tid) {
		*rel = FZ_REL_SELF;
	} else if (wr_clock(w) < LD(&fb->in.th[tid].begin)) {
		*rel = FZ_REL_BEFORE;
	} else {
		/* Still in flight: the decision that wrote began before it. */
		const struct fb_thread *o = &fb->in.th[writer];
		bool flying = (LD(&o->flight) & FL_ACTIVE) && LD(&o->begin) <= wr_clock(w);
		*rel = flying ? FZ_REL_DURING_FLIGHT : FZ_REL_DURING_DONE;
	}
}

/* A zeroedBase access in slot: a new arena of the decision starts afresh. */
static struct fb_thread *enter_slot(struct fz_feedback *fb, int tid, unsigned slot)
{
	struct fb_thread *me = &fb->in.th[tid];
	if (me->slot != slot) {
		me->slot = slot;
		me->attempts = 0;
		me->cas_failed = false;
	}
	return me;
}

static uint64_t last_write(const struct fz_feedback *fb, unsigned slot)
{
	return slot < SLOTS ? LD(&fb->in.last_write[slot]) : 0;
}

static void record_write(struct fz_feedback *fb, unsigned slot, uint64_t w)
{
	if (slot < SLOTS)
		ST(&fb->in.last_write[slot], w);
}

static void decide_begin(struct fz_feedback *fb, int tid, const struct ph_note *n, uint32_t now)
{
	struct fb_thread *me = &fb->in.th[tid];
	uint64_t f = flight_of(fb, n->base, n->npages);
	me->slot = NO_SLOT;
	me->attempts = me->total = 0;
	me->cas_failed = false;
	ST(&me->begin, now);
	ST(&me->flight, f);
	FZ_SHARED_OR(fb->freerun, &fb->in.flying, 1u << tid);
	struct others o = others_in(fb, tid, fl_first(f), false);
	hit(fb, fz_fb_key(FZ_FB_BEGIN, cap3(o.n), o.overlap, o.above, o.below));
}

static void zb_load(struct fz_feedback *fb, int tid, const struct ph_note *n)
{
	unsigned slot = slot_of_arena(fb, n->arena);
	struct fb_thread *me = enter_slot(fb, tid, slot);
	uint64_t pages = n->a >> fb->g->page_shift;
	enum fz_fb_read rd = me->cas_failed ? FZ_RD_RELOAD : FZ_RD_LOAD;
	enum fz_fb_site site;
	enum fz_fb_rel rel;
	classify(fb, tid, last_write(fb, slot), true, pages, &site, &rel);
	hit(fb, fz_fb_key(FZ_FB_READ, rd, site, rel, cap3(others_in(fb, tid, slot, false).n)));
	hit(fb, fz_fb_key(FZ_FB_WHERE, rd, position(fb, tid, slot, pages), cap3(me->attempts), 0));
	me->cas_failed = false;
}

static void zb_cas(struct fz_feedback *fb, int tid, const struct ph_note *n, uint32_t now)
{
	unsigned slot = slot_of_arena(fb, n->arena);
	struct fb_thread *me = enter_slot(fb, tid, slot);
	me->attempts++;
	me->total++;
	uint64_t w = last_write(fb, slot);
	uint64_t expected = n->a >> fb->g->page_shift;
	enum fz_fb_read rd = n->ok ? FZ_RD_CAS_OK : FZ_RD_CAS_FAIL;
	enum fz_fb_site site;
	enum fz_fb_rel rel;
	/* A successful CAS read the expected value; a failed one read the
	 * last write, whatever it was. */
	classify(fb, tid, w, n->ok, expected, &site, &rel);
	hit(fb, fz_fb_key(FZ_FB_READ, rd, site, rel, cap3(others_in(fb, tid, slot, false).n)));
	/* Where the value in memory lay: the expected one, or the one that
	 * made the CAS fail. */
	uint64_t seen = !n->ok && (w & WR_VALID) ? wr_pages(w) : expected;
	hit(fb, fz_fb_key(FZ_FB_WHERE, rd, position(fb, tid, slot, seen), cap3(me->attempts), 0));
	if (n->ok)
		record_write(fb, slot, pack_write(me->attempts == 1 ? FZ_WR_CAS_FIRST : FZ_WR_CAS_RETRY, tid, now,
						  n->b >> fb->g->page_shift));
	else
		me->cas_failed = true;
}

static void zb_store(struct fz_feedback *fb, int tid, const struct ph_note *n, uint32_t now)
{
	unsigned slot = slot_of_arena(fb, n->arena);
	struct fb_thread *me = enter_slot(fb, tid, slot);
	me->attempts++;
	me->total++;
	record_write(fb, slot, pack_write(FZ_WR_STORE, tid, now, n->b >> fb->g->page_shift));
}

static void decide_end(struct fz_feedback *fb, int tid, const struct ph_note *n)
{
	struct fb_thread *me = &fb->in.th[tid];
	uint64_t f = LD(&me->flight);
	if (!(f & FL_ACTIVE))
		return;
	unsigned slot = fl_first(f);
	enum fz_fb_order ord = FZ_ORD_FIRST;
	bool same = false;
	if (slot < SLOTS) {
		uint64_t prev = LD(&fb->in.last_end[slot]);
		if (prev != 0) {
			uint64_t start = prev & PAGES_MAX;
			ord = fl_off(f) > start ? FZ_ORD_UP : fl_off(f) == start ? FZ_ORD_SAME : FZ_ORD_DOWN;
			same = (int)((prev >> 32) & 0xf) == tid;
		}
		ST(&fb->in.last_end[slot], 1ull << 63 | (uint64_t)tid << 32 | fl_off(f));
	}
	hit(fb, fz_fb_key(FZ_FB_END, n->ok, cap3(me->total), ord, same));
	FZ_SHARED_AND(fb->freerun, &fb->in.flying, ~(1u << tid));
	ST(&me->flight, 0);
}

static void locked(struct fz_feedback *fb, int tid)
{
	struct fb_thread *me = &fb->in.th[tid];
	uint32_t last = LD(&fb->in.last_unlocker);
	enum fz_fb_handoff ho = last == 0 ? FZ_HO_FIRST : last == (uint32_t)tid + 1 ? FZ_HO_SELF : FZ_HO_OTHER;
	hit(fb, fz_fb_key(FZ_FB_LOCK, ho, me->waited, cap3(others_in(fb, tid, NO_SLOT, true).n), 0));
	me->waited = false;
}

void fz_feedback_note(struct fz_feedback *fb, int tid, const struct ph_note *n)
{
	assert(tid >= 0 && tid < FZ_MAX_THREADS);
	uint32_t now = tick(fb);
	switch (n->kind) {
	case PH_NOTE_DECIDE_BEGIN: decide_begin(fb, tid, n, now); break;
	case PH_NOTE_ZB_LOAD: zb_load(fb, tid, n); break;
	case PH_NOTE_ZB_CAS: zb_cas(fb, tid, n, now); break;
	case PH_NOTE_ZB_STORE: zb_store(fb, tid, n, now); break;
	case PH_NOTE_DECIDE_END: decide_end(fb, tid, n); break;
	case PH_NOTE_LOCKED: locked(fb, tid); break;
	case PH_NOTE_UNLOCKED: ST(&fb->in.last_unlocker, (uint32_t)tid + 1); break;
	case PH_NOTE_CLAIM:
		hit(fb, fz_fb_key(FZ_FB_CLAIM, n->a != 0, cap3(others_in(fb, tid, NO_SLOT, true).n), 0, 0));
		break;
	default: break;
	}
}

void fz_feedback_lock_wait(struct fz_feedback *fb, int tid)
{
	assert(tid >= 0 && tid < FZ_MAX_THREADS);
	fb->in.th[tid].waited = true;
}

FZ_UNINSTRUMENTED_END

FZ_HARNESS_CODE_END
