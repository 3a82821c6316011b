/*
 * ph_pagecache.h - a P's private cache of up to 64 free pages (Go:
 * pageCache, mpagecache.go).
 *
 * The cache owns one 64-page aligned block: base is its first page, bit i
 * of `cache` is set while page i is free in the cache, bit i of `scav` while
 * it is also scavenged.  The page allocator's bitmap marks the whole block
 * in use as long as the cache holds it, so the pages can be handed out with
 * no lock at all.  Pages come out of a cache in whatever order its bits
 * dictate, and different Ps hold different blocks, which is why allocations
 * reach the zeroing decision out of address order.
 *
 * Ownership: a cache belongs to one P, used by one thread at a time.
 * Refilling (ph_pagealloc_alloc_to_cache) and flushing take the heap lock.
 */
#ifndef PH_PAGECACHE_H
#define PH_PAGECACHE_H

#include <stdbool.h>
#include <stdint.h>

#include "ph_pagealloc.h"

typedef struct ph_pagecache {
	uintptr_t base;
	uint64_t cache; /* 1 = free page held by the cache */
	uint64_t scav;  /* 1 = scavenged */
} ph_pagecache;

static inline bool ph_pagecache_empty(const ph_pagecache *c) { return c->cache == 0; }

/* Takes npages contiguous pages; returns their base (0 = not available) and
 * the scavenged bytes among them in *scav.  No locking: c is private. */
uintptr_t ph_pagecache_alloc(ph_pagecache *c, const ph_geom *g, uintptr_t npages, uintptr_t *scav);
/* Returns the cache's free pages to pa and empties the cache.
 * Requires the heap lock. */
void ph_pagecache_flush(ph_pagecache *c, ph_pagealloc *pa);
/* Claims the 64-page block holding the first free page for a cache; an empty
 * cache when the heap is exhausted.  Requires the heap lock. */
ph_pagecache ph_pagealloc_alloc_to_cache(ph_pagealloc *pa);

#endif
