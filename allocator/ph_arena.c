/*
 * ph_arena.c - heap arenas: the two-level arena index and mapping new
 * arenas from the reservation (Go: arenaIndex, mheap.sysAlloc).
 *
 * Arena ai (global number: address >> arena_shift) lives at index
 * [ai >> l2_bits][ai & (2^l2_bits - 1)].  Slot s of the reservation is
 * arena heap_vbase/arena_bytes + s.  sysAlloc hands out slots in order from
 * the hint next_slot; a grow with a skip moves the hint first, which is how
 * schedules make the heap discontiguous.
 */
#include <string.h>

#include "ph_hooks.h"
#include "ph_heap_internal.h"
#include "ph_os.h"
#include "ph_throw.h"

static size_t l1_len(const ph_heap *h) { return (size_t)1 << h->g->arena_l1_bits; }
static size_t l2_bytes(const ph_heap *h) { return ((size_t)1 << h->arena_l2_bits) * sizeof(ph_arena *); }

bool ph_heap_arenas_init(ph_heap *h)
{
	h->arena_l2_bits = h->g->addr_bits - h->g->arena_shift - h->g->arena_l1_bits;
	h->arenas = ph_os_alloc(l1_len(h) * sizeof *h->arenas);
	h->arena_meta = ph_os_alloc(h->g->max_arenas * sizeof *h->arena_meta);
	return !PH_NULL(h->arenas) && !PH_NULL(h->arena_meta);
}

void ph_heap_arenas_destroy(ph_heap *h)
{
	if (!PH_NULL(h->arenas)) {
		for (size_t i = 0; i < l1_len(h); i++)
			if (!PH_NULL(h->arenas[i]))
				ph_os_free(h->arenas[i], l2_bytes(h));
		ph_os_free(h->arenas, l1_len(h) * sizeof *h->arenas);
		h->arenas = NULL;
	}
	if (!PH_NULL(h->arena_meta))
		ph_os_free(h->arena_meta, h->g->max_arenas * sizeof *h->arena_meta);
	h->arena_meta = NULL;
}

uintptr_t ph_heap_arena_index(const ph_heap *h, uintptr_t addr)
{
	return ph_arena_index(h->g, addr);
}

uintptr_t ph_heap_first_arena(const ph_heap *h)
{
	return ph_first_arena(h->g);
}

unsigned ph_heap_arena_slots(const ph_heap *h)
{
	return h->g->max_arenas;
}

ph_arena *ph_heap_arena(const ph_heap *h, uintptr_t ai)
{
	return ph_heap_arena_lookup(h, ai, __ATOMIC_ACQUIRE);
}

uintptr_t ph_heap_zeroed_base(const ph_heap *h, uintptr_t ai)
{
	ph_arena *a = ph_heap_arena(h, ai);
	return PH_NULL(a) ? 0 : __atomic_load_n(&a->zeroed_base, __ATOMIC_SEQ_CST);
}

static void publish_arena(ph_heap *h, uintptr_t ai, ph_arena *a)
{
	ph_arena ***slot = &h->arenas[ai >> h->arena_l2_bits];
	if (PH_NULL(*slot)) {
		ph_arena **l2 = ph_os_alloc(l2_bytes(h));
		if (PH_NULL(l2))
			ph_throwf("out of memory", "cannot allocate an arena index block");
		__atomic_store_n(slot, l2, __ATOMIC_RELEASE);
	}
	__atomic_store_n(&(*slot)[ai & (((uintptr_t)1 << h->arena_l2_bits) - 1)], a, __ATOMIC_RELEASE);
}

uintptr_t ph_heap_sys_alloc(ph_heap *h, uintptr_t n, uintptr_t *size)
{
	const ph_geom *g = h->g;
	uintptr_t ab = ph_arena_bytes(g);
	uintptr_t k = (n + ab - 1) / ab;

	if (k == 0 || h->next_slot + k > g->max_arenas)
		return 0;
	unsigned slot = h->next_slot;
	if (!ph_os_map(h->os_base + (size_t)slot * ab, k * ab))
		return 0;
	for (uintptr_t i = 0; i < k; i++) {
		ph_arena *a = &h->arena_meta[slot + i];
		a->zeroed_base = 0; /* a fresh arena: nothing handed out yet */
		publish_arena(h, ph_heap_first_arena(h) + slot + i, a);
	}
	h->next_slot = slot + (unsigned)k;
	if (h->next_slot > h->slots_hw)
		h->slots_hw = h->next_slot;
	*size = k * ab;
	return g->heap_vbase + (uintptr_t)slot * ab;
}

void ph_heap_arenas_reset(ph_heap *h, bool release_memory)
{
	uintptr_t ab = ph_arena_bytes(h->g);
	for (unsigned s = 0; s < h->slots_hw; s++) {
		uintptr_t ai = ph_heap_first_arena(h) + s;
		ph_arena **l2 = h->arenas[ai >> h->arena_l2_bits];
		if (!PH_NULL(l2))
			l2[ai & (((uintptr_t)1 << h->arena_l2_bits) - 1)] = NULL;
		h->arena_meta[s].zeroed_base = 0;
	}
	/* Without release_memory the arenas stay mapped and populated: changing
	 * the protection of populated memory walks every page table entry, and
	 * took longer than a whole fuzzing input once its heap had grown. */
	if (h->slots_hw > 0 && release_memory)
		ph_os_unmap(h->os_base, (size_t)h->slots_hw * ab);
	h->next_slot = 0;
	h->slots_hw = 0;
}

void *ph_heap_ptr(const ph_heap *h, uintptr_t addr)
{
	return h->os_base + (addr - h->g->heap_vbase);
}
