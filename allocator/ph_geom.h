/*
 * ph_geom.h - heap geometry: the sizes Go fixes at compile time, chosen here
 * at run time so one build serves Go's real layout and a small fuzzing layout.
 *
 * Structural constants stay fixed because the data structures are built on
 * them: a palloc chunk is 512 pages (one 512-bit bitmap), a page cache is 64
 * pages (one uint64), and the summary radix tree has 5 levels of 3 bits, so
 * a packed summary field needs 9 + 4*3 = 21 bits.  What varies is the page
 * size, the arena size, the width of the heap's address space and the L1/L2
 * split of the two sparse indexes.
 *
 * Heap addresses are virtual: the page allocator and the arena index work on
 * numbers in [0, 2^addr_bits), and only the OS layer (ph_os.h) maps them to
 * the memory the kernel gave us.  That keeps every decision, and every trace,
 * independent of where mmap happened to put the reservation.  Go's
 * arenaBaseOffset (which linearises signed address spaces) is therefore 0.
 *
 * A geometry is immutable after ph_geom_check() accepted it.
 */
#ifndef PH_GEOM_H
#define PH_GEOM_H

#include <stdint.h>
#include <stddef.h>

#define PH_LOG_CHUNK_PAGES 9
#define PH_CHUNK_PAGES (1u << PH_LOG_CHUNK_PAGES)      /* pallocChunkPages */
#define PH_CACHE_PAGES 64u                             /* pageCachePages */
#define PH_SMALL_PAGES (PH_CACHE_PAGES / 4)            /* cache fast path below this */
#define PH_SUMMARY_LEVELS 5
#define PH_SUMMARY_LEVEL_BITS 3
#define PH_LOG_MAX_PACKED (PH_LOG_CHUNK_PAGES + (PH_SUMMARY_LEVELS - 1) * PH_SUMMARY_LEVEL_BITS)

typedef struct ph_geom {
	const char *name;
	unsigned page_shift;     /* log2 of the page size (Go: 13, 8 KiB) */
	unsigned arena_shift;    /* log2 of the arena size (Go: 26, 64 MiB) */
	unsigned addr_bits;      /* heap address bits (Go on amd64: 48) */
	unsigned chunks_l1_bits; /* L1 bits of the chunk index (Go: 13) */
	unsigned arena_l1_bits;  /* L1 bits of the arena index (Go on linux: 0) */
	uintptr_t heap_vbase;    /* virtual address of the first arena slot */
	unsigned max_arenas;     /* arena slots the OS layer reserves, <= PH_MAX_ARENAS */
} ph_geom;

/* The most arena slots a geometry may reserve. */
#define PH_MAX_ARENAS 4096

/* Go's real layout: 8 KiB pages, 64 MiB arenas, 48-bit addresses. */
extern const ph_geom ph_geom_go;
/* Fuzzing layout: 128-byte pages, 4-chunk (256 KiB) arenas, so schedules
 * cross arena boundaries after a few hundred pages. */
extern const ph_geom ph_geom_fuzz;

/* Returns NULL when g is usable, else a sentence saying what is wrong. */
const char *ph_geom_check(const ph_geom *g);
/* "go" or "fuzz"; NULL for other names. */
const ph_geom *ph_geom_by_name(const char *name);

/* Always inlined: a caller built with other sanitizer attributes than
 * this header's includer default (the fuzz harness's own code, which
 * ThreadSanitizer leaves alone) would otherwise get an out-of-line,
 * instrumented copy of each. */
#define PH_GEOM_INLINE static inline __attribute__((always_inline))
PH_GEOM_INLINE uintptr_t ph_page_size(const ph_geom *g) { return (uintptr_t)1 << g->page_shift; }
PH_GEOM_INLINE unsigned ph_log_chunk_bytes(const ph_geom *g) { return g->page_shift + PH_LOG_CHUNK_PAGES; }
PH_GEOM_INLINE uintptr_t ph_chunk_bytes(const ph_geom *g) { return (uintptr_t)1 << ph_log_chunk_bytes(g); }
PH_GEOM_INLINE uintptr_t ph_arena_bytes(const ph_geom *g) { return (uintptr_t)1 << g->arena_shift; }
PH_GEOM_INLINE uintptr_t ph_arena_pages(const ph_geom *g) { return (uintptr_t)1 << (g->arena_shift - g->page_shift); }
/* Global arena number of an address; that of arena slot 0. */
PH_GEOM_INLINE uintptr_t ph_arena_index(const ph_geom *g, uintptr_t addr) { return addr >> g->arena_shift; }
PH_GEOM_INLINE uintptr_t ph_first_arena(const ph_geom *g) { return g->heap_vbase >> g->arena_shift; }

#endif
