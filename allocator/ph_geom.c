/* ph_geom.c - the two built-in geometries and their validation. */
#include "ph_geom.h"

#include <string.h>

const ph_geom ph_geom_go = {
	.name = "go",
	.page_shift = 13,
	.arena_shift = 26,
	.addr_bits = 48,
	.chunks_l1_bits = 13,
	.arena_l1_bits = 0,
	.heap_vbase = (uintptr_t)0xc000000000ull,
	.max_arenas = 64, /* 4 GiB of reserved (not committed) address space */
};

const ph_geom ph_geom_fuzz = {
	.name = "fuzz",
	.page_shift = 7,
	.arena_shift = 18, /* 2048 pages: 4 chunks */
	.addr_bits = 32,
	.chunks_l1_bits = 4,
	.arena_l1_bits = 4, /* exercise both levels of the arena index */
	.heap_vbase = (uintptr_t)0xc0000000u,
	.max_arenas = 16,
};

const char *ph_geom_check(const ph_geom *g)
{
	unsigned chunk_log = g->page_shift + PH_LOG_CHUNK_PAGES;

	if (g->page_shift < 6 || g->page_shift > 16)
		return "page_shift must be in [6, 16]";
	if (sizeof(uintptr_t) < 8 || g->addr_bits > 48 || g->addr_bits < 24)
		return "addr_bits must be in [24, 48] on a 64-bit host";
	if (g->arena_shift < chunk_log || g->arena_shift >= g->addr_bits)
		return "an arena must hold at least one chunk and fit the address space";
	if (g->addr_bits < chunk_log + (PH_SUMMARY_LEVELS - 1) * PH_SUMMARY_LEVEL_BITS)
		return "addr_bits too small for a 5-level summary tree";
	if (g->chunks_l1_bits >= g->addr_bits - chunk_log)
		return "chunks_l1_bits must leave at least one L2 bit";
	if (g->arena_l1_bits >= g->addr_bits - g->arena_shift)
		return "arena_l1_bits must leave at least one L2 bit";
	if (g->heap_vbase == 0 || (g->heap_vbase & (((uintptr_t)1 << g->arena_shift) - 1)) != 0)
		return "heap_vbase must be a non-zero multiple of the arena size";
	_Static_assert(PH_MAX_ARENAS == 4096, "the message below names the bound");
	if (g->max_arenas == 0 || g->max_arenas > PH_MAX_ARENAS)
		return "max_arenas must be in [1, 4096]";
	if (((g->heap_vbase >> g->arena_shift) + g->max_arenas) > ((uintptr_t)1 << (g->addr_bits - g->arena_shift)))
		return "the arena slots do not fit below 2^addr_bits";
	return NULL;
}

const ph_geom *ph_geom_by_name(const char *name)
{
	if (strcmp(name, "go") == 0)
		return &ph_geom_go;
	if (strcmp(name, "fuzz") == 0)
		return &ph_geom_fuzz;
	return NULL;
}
