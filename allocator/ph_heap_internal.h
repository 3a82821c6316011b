/*
 * ph_heap_internal.h - the heap's fields, shared by the files that
 * implement it (ph_mheap.c, ph_arena.c, ph_zeroing.c, ph_verify.c).
 * Nothing outside allocator/ includes this.
 */
#ifndef PH_HEAP_INTERNAL_H
#define PH_HEAP_INTERNAL_H

#include "ph_heap.h"

struct ph_heap {
	const ph_geom *g;
	ph_heap_options opt;

	ph_mutex lock; /* the heap lock (Go: mheap_.lock) */

	ph_pagealloc pages; /* protected by lock */

	/* Arena index (Go: mheap_.arenas): L1 array of L2 arrays of arena
	 * pointers.  Entries are written under lock with release stores, since
	 * the zeroing decision reads them without the lock: acquire loads
	 * (ph_heap_arena) for readers that may not be ordered after the
	 * publication, relaxed ones (ph_heap_arena_known) for those that are. */
	ph_arena ***arenas;
	unsigned arena_l2_bits;
	ph_arena *arena_meta; /* one per slot of the reservation */

	/* OS reservation holding every arena slot, slot 0 at heap_vbase. */
	char *os_base;
	size_t os_size;
	unsigned next_slot; /* arena hint: next slot to map; protected by lock */
	unsigned slots_hw;  /* slots ever mapped, for reset; protected by lock */

	/* Mapped arena space not yet given to the page allocator (Go:
	 * curArena); protected by lock. */
	uintptr_t cur_base, cur_end;

	uint64_t cas_failures; /* relaxed atomic */
	uint64_t grows;        /* protected by lock */
};

/* Maps new arenas for at least n bytes at the arena hint and registers
 * them (Go: mheap.sysAlloc).  Returns the base, 0 when out of slots.
 * Requires the heap lock. */
uintptr_t ph_heap_sys_alloc(ph_heap *h, uintptr_t n, uintptr_t *size);
/* Arena ai, NULL if absent, loading the index with memory order `order`
 * (ph_heap_arena acquires, for readers that may know nothing of ai yet). */
static inline __attribute__((always_inline)) ph_arena *ph_heap_arena_lookup(const ph_heap *h, uintptr_t ai,
									   int order)
{
	ph_arena **l2 = __atomic_load_n(&h->arenas[ai >> h->arena_l2_bits], order);
	if (PH_NULL(l2))
		return NULL;
	return __atomic_load_n(&l2[ai & (((uintptr_t)1 << h->arena_l2_bits) - 1)], order);
}

/* Arena ai, NULL if absent, for a caller already ordered after the
 * arena's publication: it holds the heap lock, or pages of arena ai that
 * the heap lock (directly or through a page cache filled under it) handed
 * it, or it found the arena with ph_heap_arena.  Relaxed loads, as Go reads
 * mheap_.arenas plainly; ThreadSanitizer pays a vector-clock join for each
 * acquire, and the zeroing decision looks up every arena it touches. */
static inline __attribute__((always_inline)) ph_arena *ph_heap_arena_known(const ph_heap *h, uintptr_t ai)
{
	return ph_heap_arena_lookup(h, ai, __ATOMIC_RELAXED);
}
/* Forgets every arena (for reset); release_memory = give the pages back to
 * the OS and make them inaccessible, else they stay mapped as they are
 * (ph_heap_reset_keep_memory).  No thread may be using the heap. */
void ph_heap_arenas_reset(ph_heap *h, bool release_memory);
/* Creates the index; false on failure. */
bool ph_heap_arenas_init(ph_heap *h);
void ph_heap_arenas_destroy(ph_heap *h);

#endif
