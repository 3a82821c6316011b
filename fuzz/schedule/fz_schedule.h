/*
 * fz_schedule.h - a schedule: what every thread does and how the threads
 * interleave.  The fuzz targets decode it from bytes (fz_decode.c), people
 * write it as text (fz_text.c); both forms describe the same data.
 *
 * Byte layout (every byte string is valid; missing bytes read as 0):
 *   header   threads = 2 + b0 % 7
 *            strategy = b1 % 3, param = (b1 / 3) % 8
 *            flags = b2, present only in targets that allow page caches
 *                    to be turned off (bit 0: caches off)
 *            seed = b3..b6 (little-endian)
 *   programs for each thread: nops = b % 65, then nops operations, each a
 *            kind byte (index into the target's op table, modulo its size,
 *            plus flag bits) and its operands (see fz_decode.c)
 *   decisions the rest, two bytes each: run thread b0 % threads for b1
 *            scheduling points, then take the next decision
 *
 * When the decisions run out the strategy decides: round-robin with a
 * quantum of param+1 points, seeded random switching with probability
 * 1/(param+2) per point, or PCT of depth param+1 (random priorities and
 * param priority-change points), all seeded by `seed`.
 */
#ifndef FZ_SCHEDULE_H
#define FZ_SCHEDULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fz_reader.h"

#define FZ_MIN_THREADS 2
#define FZ_MAX_THREADS 8
#define FZ_MAX_OPS 64
#define FZ_MAX_DECISIONS 4096
#define FZ_MAX_SMALL 15    /* below PH_SMALL_PAGES: the P's cache path */
#define FZ_MAX_LARGE 5119  /* 2.5 fuzz-geometry arenas */
#define FZ_MAX_GROW 4096
#define FZ_MAX_SKIP 3
#define FZ_MAX_CLAIM 4096
#define FZ_CLAIM_ARENAS 16 /* arena selector range; taken modulo mapped arenas */

enum fz_op_kind {
	FZ_OP_ALLOC,     /* allocate n pages (cache path below 16, locked path above) */
	FZ_OP_FREE,      /* free live allocation number sel (modulo the count) */
	FZ_OP_WRITE,     /* rewrite the pattern of live allocation number sel */
	FZ_OP_DESTROY_P, /* flush the thread's P cache */
	FZ_OP_GROW,      /* grow the heap by n pages, moving the arena hint sel slots on */
	FZ_OP_CLAIM,     /* fault injection: zeroing decision for pages [page, +n) of arena sel */
	FZ_OP_KINDS
};

struct fz_op {
	uint8_t kind;
	bool zero;     /* ALLOC: ask for zeroed memory */
	uint16_t n;    /* ALLOC, GROW, CLAIM: pages */
	uint16_t sel;  /* FREE, WRITE: live-allocation selector; GROW: skip; CLAIM: arena */
	uint16_t page; /* CLAIM: first page inside the arena */
};

enum fz_strategy { FZ_STRAT_RR, FZ_STRAT_RANDOM, FZ_STRAT_PCT, FZ_STRATEGIES };

struct fz_decision {
	uint8_t thread; /* already reduced modulo the thread count */
	uint8_t run;    /* scheduling points to run before the next decision */
};

struct fz_schedule {
	uint8_t nthreads;
	uint8_t strategy;
	uint8_t param;
	bool no_cache;
	uint32_t seed;
	uint8_t nops[FZ_MAX_THREADS];
	struct fz_op ops[FZ_MAX_THREADS][FZ_MAX_OPS];
	uint16_t ndecisions;
	struct fz_decision decisions[FZ_MAX_DECISIONS];
};

/*
 * A target's view of the byte format: which operations its op table holds
 * (a kind may appear several times to make it likelier) and what it sets
 * up before the schedule runs.
 */
struct fz_profile {
	const char *name;        /* target name without "fuzz_" */
	const uint8_t *kinds;    /* op table */
	unsigned nkinds;
	bool allow_no_cache;
	unsigned arena_pages;    /* claim pages are reduced modulo this */
	unsigned pregrow_pages;  /* heap grown by this much before the schedule */
};

extern const struct fz_profile fz_profile_schedule;
extern const struct fz_profile fz_profile_needzero;
/* "schedule", "needzero" (also accepted with a "fuzz_" prefix); NULL if unknown. */
const struct fz_profile *fz_profile_by_name(const char *name);

const char *fz_op_name(enum fz_op_kind k);
const char *fz_strategy_name(enum fz_strategy s);

/* Bytes to schedule; never fails. */
void fz_decode(const struct fz_profile *pr, const uint8_t *data, size_t size, struct fz_schedule *s);
/* Every field within the limits above and the profile's op table; NULL,
 * or a sentence naming the first field out of bounds. */
const char *fz_schedule_invalid(const struct fz_profile *pr, const struct fz_schedule *s);
/* Schedule to canonical bytes; returns the length, or 0 with *why set when
 * the schedule cannot be expressed for this profile or does not fit. */
size_t fz_encode(const struct fz_profile *pr, const struct fz_schedule *s, uint8_t *out, size_t cap,
		 const char **why);

#endif
