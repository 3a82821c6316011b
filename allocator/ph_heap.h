/*
 * ph_heap.h - the page heap (Go: mheap, mheap.go as of go1.14): the public
 * API of the allocator core.
 *
 * A heap is a page allocator (ph_pagealloc.h) over a set of arenas carved
 * from one OS reservation, one heap lock, and per-arena metadata holding
 * zeroedBase, the high-water mark below which an arena's pages may be dirty.
 *
 * Allocation (ph_alloc_span) follows Go 1.14's mheap.allocSpan:
 *  - fewer than PH_SMALL_PAGES (16) pages come from the caller's P's page
 *    cache with no lock; an empty cache is refilled under the heap lock;
 *  - anything else takes the heap lock and uses the page allocator,
 *    growing the heap when it has no room;
 *  - then, with the lock released, ph_alloc_needs_zero decides whether the
 *    pages must be cleared.  That decision runs concurrently with other
 *    threads' decisions, which is what the seed change made lock-free.
 *
 * Variants (compile time): the default is the seed's lock-free decision;
 * PH_ZEROING_LOCKED=1 builds the pre-seed decision, taken under the heap
 * lock with plain reads and writes and the "middle of an arena" throw.
 * Options (run time): use_page_cache=false sends every allocation down the
 * locked path, which is the address-ordered world the pre-seed code assumed.
 *
 * Contexts: callers pass their P explicitly; the heap keeps no thread-local
 * state, so any scheduler (pthreads, fibers, a controlled schedule) can run it.
 *
 * Addresses: every heap address is virtual (see ph_geom.h); ph_heap_ptr
 * turns one into a pointer to its memory.
 */
#ifndef PH_HEAP_H
#define PH_HEAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ph_geom.h"
#include "ph_lock.h"
#include "ph_pagealloc.h"
#include "ph_pagecache.h"

typedef struct ph_heap_options {
	bool use_page_cache; /* default true: Go 1.14's per-P fast path */
} ph_heap_options;

/* Per-arena metadata (Go: heapArena). */
typedef struct ph_arena {
	/* Every page at or above this arena offset (bytes) has never been
	 * handed out since the arena came from the OS, so it is still zero.
	 * It only grows.  Lock-free variant: read atomically, written only by
	 * CAS.  Pre-seed variant: read and written under the heap lock. */
	uintptr_t zeroed_base;
} ph_arena;

/* A P: the context every allocation runs in (Go: the p's pcache and id). */
typedef struct ph_p {
	unsigned id;
	ph_pagecache cache; /* owned by the thread running this P */
} ph_p;

typedef struct ph_span {
	uintptr_t base;   /* 0 = out of memory */
	uintptr_t npages;
	bool needzero;    /* the decision: pages may hold old data */
	uintptr_t scav;   /* scavenged bytes among the pages */
} ph_span;

typedef struct ph_heap_stats {
	uint64_t cas_failures;  /* failed zeroedBase CASes (retries) */
	uint64_t lock_contended; /* heap-lock acquisitions that found it busy */
	uint64_t grows;          /* successful heap growths */
} ph_heap_stats;

typedef struct ph_heap ph_heap;

/* Creates an empty heap; on failure returns NULL and a reason in err. */
ph_heap *ph_heap_create(const ph_geom *g, const ph_heap_options *opt, char *err, size_t errlen);
void ph_heap_destroy(ph_heap *h);
/* Returns the heap to its state right after creation: no arenas, no pages,
 * all memory fresh from the OS.  No thread may be using the heap, and every
 * P must be re-initialised (ph_p_init) afterwards. */
void ph_heap_reset(ph_heap *h);
/* The same, except that the arenas' memory stays mapped and as it is: the
 * next run pays neither a page fault nor a protection change per page
 * (both cost more than a whole fuzzing input once its heap had grown).
 * For a caller that reads no heap page it has not written since the reset
 * (what an earlier run left there is then never seen; the allocator itself
 * only ever writes zeros), and that checks the spans it is given against
 * the arenas that exist (ph_heap_arena), since an access to a forgotten
 * arena no longer faults. */
void ph_heap_reset_keep_memory(ph_heap *h);
const ph_geom *ph_heap_geom(const ph_heap *h);
const ph_heap_options *ph_heap_options_of(const ph_heap *h);

void ph_p_init(ph_p *p, unsigned id);
/* Returns the P's cached pages to the heap (takes the heap lock). */
void ph_p_destroy(ph_heap *h, ph_p *p);

/* Allocates npages (> 0) pages.  When zero is true the memory is cleared
 * if the decision says it may be dirty (Go: mheap.alloc's needzero).
 * Takes the heap lock as described above. */
ph_span ph_alloc_span(ph_heap *h, ph_p *p, uintptr_t npages, bool zero);
/* Frees a span's pages (takes the heap lock). */
void ph_free_span(ph_heap *h, uintptr_t base, uintptr_t npages);
/* Grows the heap by at least npages, first moving the arena hint skip
 * arena slots on (a hint already taken, so growth is not contiguous).
 * Returns false when the reservation is exhausted.  Takes the heap lock. */
bool ph_heap_grow(ph_heap *h, uintptr_t npages, unsigned skip);

/* The zeroing decision for pages [base, base+npages) the caller owns:
 * true if any of them may be dirty.  Raises zeroedBase of every arena the
 * range touches.  Lock-free variant: no locking constraints.  Pre-seed
 * variant: the heap lock must be held.  A caller deciding for pages it does
 * not own (a test harness's claims) must first have found each arena the
 * range touches with ph_heap_arena: the decision's own lookups are relaxed,
 * relying on the caller being ordered after the arenas' publication. */
bool ph_alloc_needs_zero(ph_heap *h, uintptr_t base, uintptr_t npages);

/* Memory of heap address addr (which must lie in a mapped arena).  The
 * mapping is linear and fixed for the heap's life: the memory of addr is
 * ph_heap_ptr(h, heap_vbase) + (addr - heap_vbase) (one reservation). */
void *ph_heap_ptr(const ph_heap *h, uintptr_t addr);

/* Introspection for oracles, traces and tests. */
uintptr_t ph_heap_arena_index(const ph_heap *h, uintptr_t addr);  /* global arena number */
uintptr_t ph_heap_first_arena(const ph_heap *h);                  /* global number of slot 0 */
unsigned ph_heap_arena_slots(const ph_heap *h);                   /* slots in the reservation */
/* NULL if arena ai has not been created. */
ph_arena *ph_heap_arena(const ph_heap *h, uintptr_t ai);
/* An atomic snapshot of arena ai's zeroedBase (0 if absent). */
uintptr_t ph_heap_zeroed_base(const ph_heap *h, uintptr_t ai);
ph_heap_stats ph_heap_get_stats(const ph_heap *h);
/* The page allocator; read it only with the heap lock or while quiescent. */
ph_pagealloc *ph_heap_pages(ph_heap *h);
ph_mutex *ph_heap_lock(ph_heap *h);
/* Checks page-allocator and arena invariants while no thread runs;
 * NULL when consistent, else buf with the first violation. */
const char *ph_heap_verify(ph_heap *h, char *buf, size_t n);

#endif
