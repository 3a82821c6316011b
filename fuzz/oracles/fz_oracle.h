/*
 * fz_oracle.h - what the allocator promises, checked on every schedule.
 *
 * The oracles state behaviour, not implementation; each returns false and
 * fills a verdict (oracle name + one-line explanation) when the promise is
 * broken, and never aborts by itself: the runner decides what a failure
 * does.  None depends on ThreadSanitizer.
 *
 *   Z1  memory handed out as not needing zeroing (or zeroed on request) is
 *       all zero, checked in real memory before the harness writes to it
 *   Z2  zeroing is requested only if a page of the range was handed out
 *       before, or, in one of the range's arenas, another decision had
 *       already raised zeroedBase above the range's start when this decision
 *       first loaded it (a raise seen only after that first load, e.g. by
 *       the reload after a failed CAS, does not count)
 *   Z3  zeroedBase never decreases, never exceeds the arena, and when the
 *       heap is quiescent equals the highest end decided in its arena
 *   O1  no page is handed out while in use; a live allocation's contents
 *       change only when its owner writes
 *   O2  "potentially overlapping in-use allocations detected" is thrown only
 *       while an overlapping claim is in flight or live
 *   O3  when zeroedBase has moved into (offset, limit] of a claim between
 *       its load and its CAS, the claim throws
 *   HEAP at quiescent points the page allocator is self-consistent and
 *       every page is accounted for exactly once
 */
#ifndef FZ_ORACLE_H
#define FZ_ORACLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fz_schedule.h"
#include "ph_heap.h"
#include "ph_hooks.h"

struct fz_verdict {
	const char *oracle; /* "Z1", "O2", "HEAP", ... */
	char msg[400];
};

bool fz_fail_verdict(struct fz_verdict *v, const char *oracle, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* ---- page shadow: every page's history (O1, and Z2's "used before") ---- */

#define FZ_PAGE_NEVER 0u /* never handed out */
#define FZ_PAGE_FREED 1u /* handed out once, now free (dirty) */
/* values >= 2: in use by allocation number value - 2 */

/*
 * Pages are indexed from the heap's first arena slot.  Besides each page's
 * state the shadow keeps three bitmaps, one bit per page, so that at-rest
 * checks and the reset work a word (64 pages) at a time:
 *   used     the page was handed out since the last reset (state != NEVER);
 *   live     the page belongs to a live allocation (state >= 2);
 *   written  the harness wrote the page's memory since the last reset.
 * A page not written since the reset holds nothing this run put there: the
 * memory oracles treat it as fresh (zero) without reading it, and the
 * reset leaves heap memory as it is (fz_fill_allocation).
 * When `concurrent` (free-running threads, stress workers; the default)
 * every field is accessed with relaxed atomics, so threads may update it at
 * the same time without creating happens-before edges.  Otherwise (a
 * controlled schedule: one thread at a time) per-page states, bitmap words
 * and `touched` are read and written plainly, like the harness's other
 * bookkeeping.  Invariants at rest: live and written are subsets of used;
 * used bits, and non-NEVER states, lie only in words below `touched`.
 */
struct fz_shadow {
	uint32_t *state;
	uint64_t *used, *live, *written; /* nwords words each */
	size_t npages, nwords;
	uintptr_t vbase;
	unsigned page_shift;
	bool concurrent;  /* set between inputs only */
	size_t touched; /* words below this index may be non-zero (only grows until a reset) */
};

bool fz_shadow_init(struct fz_shadow *s, const ph_geom *g);
void fz_shadow_free(struct fz_shadow *s);
/* Back to "nothing handed out"; costs what the last run touched.  No
 * thread may be using the shadow. */
void fz_shadow_reset(struct fz_shadow *s);
/* O1: marks the pages in use by allocation id; false if any was in use. */
bool fz_shadow_hand_out(struct fz_shadow *s, uintptr_t base, uintptr_t npages, uint32_t id,
			const ph_geom *g, struct fz_verdict *v);
void fz_shadow_release(struct fz_shadow *s, uintptr_t base, uintptr_t npages);
/* Any page of the range handed out before (in use or freed)? */
bool fz_shadow_any_used(const struct fz_shadow *s, uintptr_t base, uintptr_t npages);
uintptr_t fz_shadow_count_never(const struct fz_shadow *s, uintptr_t base, uintptr_t npages);
/* Calls fn for every maximal run of [base, +npages) whose pages are all
 * written, or all not written, since the last reset, in address order. */
void fz_shadow_for_each_written_run(const struct fz_shadow *s, uintptr_t base, uintptr_t npages,
				    void (*fn)(uintptr_t base, uintptr_t npages, bool written, void *arg), void *arg);
/* Marks pages whose memory the harness has written (they must be used). */
void fz_shadow_mark_written(struct fz_shadow *s, uintptr_t base, uintptr_t npages);
/* In-use owner id of a page, or -1. */
long fz_shadow_owner(const struct fz_shadow *s, uintptr_t addr);
/* Live bits of the 64 pages from addr (64-page aligned from the heap's
 * first slot): bit i set when page i belongs to a live allocation. */
uint64_t fz_shadow_live_word(const struct fz_shadow *s, uintptr_t addr);

/* ---- real memory (Z1 and O1's content check) ----
 * Each checks or writes every byte in a pass the sanitizers do not
 * instrument, announcing one access per page to ThreadSanitizer, so TSan
 * still sees two owners of one page race (fz_bulk.h). */

/* Z1: false if [p, p+n) holds a non-zero byte. */
bool fz_check_zero(const ph_geom *g, uintptr_t base, const void *p, size_t n, uint32_t id,
		   bool requested, struct fz_verdict *v);
/* O1: writes pattern (id, tag) over [p, p+n), n a multiple of 8. */
void fz_fill_pattern(const ph_geom *g, void *p, size_t n, uint32_t id, uint32_t tag);
/* O1: false if [p, p+n) no longer holds pattern (id, tag). */
bool fz_check_pattern(const ph_geom *g, uintptr_t base, const void *p, size_t n, uint32_t id,
		      uint32_t tag, struct fz_verdict *v);
/* fz_check_pattern while no schedule thread runs (every thread's accesses
 * happen before it, so TSan could not report a race): no per-page
 * announcement. */
bool fz_check_pattern_at_rest(const ph_geom *g, uintptr_t base, const void *p, size_t n, uint32_t id, uint32_t tag,
			      struct fz_verdict *v);
/* fz_check_zero, then (when it holds) fz_fill_pattern with tag 0, in one
 * pass over the memory.  On a Z1 failure the memory is left partly
 * rewritten; the verdict names the original byte. */
bool fz_check_zero_then_fill(const ph_geom *g, uintptr_t base, void *p, size_t n, uint32_t id, bool requested,
			     struct fz_verdict *v);
/* What a fresh allocation [base, +npages) at p gets from the runner, whose
 * shadow knows which pages it wrote since the reset: when check (the
 * allocation was handed out as needing no zeroing, or zeroed on request),
 * Z1 on the pages written before -- the others hold nothing this run put
 * there, they count as fresh and are not read -- then pattern (id, 0) over
 * all of it, in one pass; the pages are marked written.  The pages must
 * have been handed out (fz_shadow_hand_out). */
bool fz_fill_allocation(const ph_geom *g, struct fz_shadow *s, uintptr_t base, void *p, uintptr_t npages, uint32_t id,
			bool check, bool requested, struct fz_verdict *v);
/* fz_check_pattern with tag, then (when it holds) fz_fill_pattern with
 * new_tag, in one pass: what a write to a live allocation does. */
bool fz_check_pattern_then_fill(const ph_geom *g, uintptr_t base, void *p, size_t n, uint32_t id, uint32_t tag,
				uint32_t new_tag, struct fz_verdict *v);

/* ---- decisions: Z2, Z3, O2, O3 from the allocator's notes ---- */

#define FZ_MAX_CLAIMS 2048

struct fz_claim {
	uintptr_t base, npages;
	int tid;
	bool raw;          /* fault-injected claim, not an allocation */
	bool deciding;     /* its zeroing decision is in flight */
	bool decided;      /* its decision began at some point */
	uint32_t id;       /* allocation number (real claims) */
	uint64_t born;     /* event time its pages were claimed / decision began */
	uint64_t died;     /* event time freed / decision ended; UINT64_MAX = alive */
};

/* Per-thread state of the decision in flight. */
struct fz_deciding {
	uintptr_t base, npages; /* the range being decided */
	int claim;          /* index into claims (exact mode), -1 if none */
	uintptr_t arena;    /* arena of the last zeroedBase access */
	bool reload_due;    /* a CAS failed; the next load is the reload */
	bool must_throw;    /* the reload saw the mark inside the range */
	uintptr_t seen;     /* that value */
	/* Z2, exact mode: arena slots (bit per slot) whose first zeroedBase
	 * load in this decision has been seen, and whether at one of those
	 * first loads the model's zeroedBase already stood above the
	 * range's start in that arena. */
	uint64_t first_loaded;
	bool raise_seen_first;
};

struct fz_decisions {
	const ph_geom *g;
	uintptr_t first_arena;
	unsigned nslots;
	bool exact;             /* controlled schedule: the model is exact */
	uint64_t now;           /* event clock */
	uintptr_t model_zb[64]; /* per slot, from the CASes and stores seen */
	uintptr_t max_end[64];  /* per slot, highest offset any decision reached */
	unsigned nclaims;
	bool claims_overflow;
	struct fz_deciding th[FZ_MAX_THREADS];
	uint64_t spurious_pages; /* zeroed although never used */
	uint64_t decisions;
	/* Last, so a reset can clear everything before it and skip it. */
	struct fz_claim claims[FZ_MAX_CLAIMS];
};

/* Starts a new input. */
void fz_decisions_reset(struct fz_decisions *d, const ph_geom *g, bool exact);
/* A real allocation's pages were claimed (PH_NOTE_CLAIM), or a raw claim
 * is about to decide.  Returns the claim index or -1 when full. */
int fz_claim_add(struct fz_decisions *d, int tid, uintptr_t base, uintptr_t npages, bool raw, uint32_t id);
/* The allocation with this number was freed. */
void fz_claim_freed(struct fz_decisions *d, uint32_t id);
/* Feeds one note of thread tid to the model; false on a Z2/Z3/O3 violation.
 * Z2 needs the shadow for "handed out before". */
bool fz_decisions_note(struct fz_decisions *d, int tid, const struct ph_note *n,
		       const struct fz_shadow *shadow, struct fz_verdict *v);

enum fz_throw_class {
	FZ_THROW_INJECTED,   /* overlap detected, and a raw claim was part of it: expected */
	FZ_THROW_REAL,       /* overlap detected between real allocations: an allocator bug */
	FZ_THROW_UNSOUND,    /* overlap reported with no overlapping claim: O2 */
	FZ_THROW_OTHER,      /* any other fatal error */
};
/* Classifies a throw on thread tid; fills v for everything but INJECTED. */
enum fz_throw_class fz_decisions_throw(struct fz_decisions *d, int tid, const char *msg,
				       struct fz_verdict *v);
/* Z3 at a quiescent point: every arena's zeroedBase equals the highest end
 * decided in it. */
bool fz_decisions_quiescent(const struct fz_decisions *d, const ph_heap *h, struct fz_verdict *v);

/* ---- heap accounting (HEAP) ---- */

struct fz_live {
	uintptr_t base, npages;
	uint32_t id, tag;
};

/* At a quiescent point: the page allocator's invariants hold, and every
 * page is in use in the bitmap exactly when it belongs to a live
 * allocation or sits free in a P's cache, never both. */
bool fz_heap_accounting(ph_heap *h, const struct fz_shadow *s, const ph_p *const *ps, unsigned nps,
			struct fz_verdict *v);
/* O1: every page of a span handed out lies in an arena that exists (the
 * arena index is read atomically: any time); g is the heap's geometry.
 * seen (NULL: none) caches the arena slots found published since the
 * heap's last reset, one bit per slot, FZ_ARENA_SEEN_WORDS words: an arena,
 * once published, stays so until the reset, so a slot seen is not looked
 * up again (two acquire loads, which ThreadSanitizer makes cost a
 * vector-clock merge each).  The caller clears it whenever it resets the
 * heap.  Its words are relaxed atomics (free-running threads hand out at
 * once). */
#define FZ_ARENA_SEEN_WORDS (PH_MAX_ARENAS / 64)
bool fz_span_in_arenas(const ph_heap *h, const ph_geom *g, uint64_t *seen, uintptr_t base, uintptr_t npages,
		       uint32_t id, struct fz_verdict *v);
/* After every allocation was freed and every P destroyed: nothing in use. */
bool fz_heap_empty(ph_heap *h, struct fz_verdict *v);

#endif
