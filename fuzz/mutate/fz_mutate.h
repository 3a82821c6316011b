/*
 * fz_mutate.h - a schedule-aware mutator: small steps in schedule space
 * instead of byte flips.
 *
 * Most byte mutations of an encoded schedule (fz_schedule.h) shift every
 * later field: an operation's kind byte decides how many operand bytes
 * follow, and a thread's operation count decides where the next thread and
 * the decisions start, so one flipped bit turns the decisions into a
 * different list.  That is a random restart more than a step.  This module
 * works on the decoded schedule instead: decode, apply one structural
 * mutation (fz_mutate.c) or cross two schedules over (fz_crossover.c),
 * encode canonically (fz_mutator.c).  Every result decodes to exactly the
 * schedule it was made from (the text form stays the ground truth) and is
 * within the decoder's limits (fz_schedule_invalid is NULL).
 *
 * Randomness comes only from the seed the caller passes (libFuzzer's Seed
 * argument), so a mutation is a pure function of (input, seed).
 */
#ifndef FZ_MUTATE_H
#define FZ_MUTATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fz_sanitizer.h"
#include "fz_schedule.h"

/* The longest canonical encoding: header (7 bytes), 8 threads of a count
 * byte and 64 operations of at most 6 bytes, 4096 two-byte decisions. */
#define FZ_ENCODED_MAX (7 + FZ_MAX_THREADS * (1 + FZ_MAX_OPS * 6) + 2 * FZ_MAX_DECISIONS)

/* splitmix64: small, fast, and a fixed function of its seed.  Harness code
 * like the rest of the mutator: a copy of these inlines in any object stays
 * without coverage instrumentation (tests/scripts/coverage_scope.sh). */
struct fz_rng {
	uint64_t s;
};

FZ_HARNESS_CODE_BEGIN

static inline uint64_t fz_rng_next(struct fz_rng *r)
{
	uint64_t z = (r->s += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

/* Uniform in [0, n); 0 when n is 0. */
static inline unsigned fz_rng_below(struct fz_rng *r, unsigned n)
{
	return n == 0 ? 0 : (unsigned)(fz_rng_next(r) % n);
}
FZ_HARNESS_CODE_END

/* ---- structural mutations (fz_mutate.c) ------------------------------- */

enum fz_mutation {
	FZ_MUT_DECISION_CHANGE,   /* a decision gets a new thread and run length */
	FZ_MUT_DECISION_INSERT,   /* a new decision anywhere in the list */
	FZ_MUT_DECISION_DELETE,   /* one decision, or a short run of them */
	FZ_MUT_DECISION_SWAP,     /* two decisions trade places */
	FZ_MUT_DECISION_RETARGET, /* a decision names another thread */
	FZ_MUT_DECISION_RUN,      /* a decision's run length changes */
	FZ_MUT_STRATEGY,          /* rr / random / pct */
	FZ_MUT_PARAM,             /* the strategy's parameter */
	FZ_MUT_SEED,              /* the strategy's seed */
	FZ_MUT_CACHES,            /* page caches on/off (profiles that allow it) */
	FZ_MUT_OP_INSERT,         /* a new operation in some thread */
	FZ_MUT_OP_DELETE,
	FZ_MUT_OP_DUPLICATE,      /* a copy of an operation, into any thread */
	FZ_MUT_OP_OPERAND,        /* one operand, within its bounds; claims may be
				   * placed against another claim's range */
	FZ_MUT_THREAD_ADD,        /* a new thread (a copy of one, or a few ops) */
	FZ_MUT_THREAD_DROP,       /* a thread and the decisions naming it go */
	FZ_MUT_THREAD_COPY,       /* one thread's program replaces another's */
	FZ_MUTATIONS
};

const char *fz_mutation_name(enum fz_mutation m);

/*
 * Applies mutation m to s (valid for pr) if it applies to this schedule
 * (a deletion needs something to delete, ...) and returns whether it did;
 * s stays valid either way.  A mutation that applies may still leave s as
 * it was (a new seed drawn equal to the old one); callers compare.
 */
bool fz_mutate_apply(const struct fz_profile *pr, struct fz_schedule *s, enum fz_mutation m, struct fz_rng *rng);
/* Picks a mutation by the weights in fz_mutate.c among those that apply
 * and applies it; returns it (FZ_MUTATIONS if none applied, which cannot
 * happen for a valid schedule). */
enum fz_mutation fz_mutate_schedule(const struct fz_profile *pr, struct fz_schedule *s, struct fz_rng *rng);

/* ---- cross-over (fz_crossover.c) --------------------------------------- */

enum fz_crossing {
	FZ_CROSS_THREAD,      /* one of s's programs replaced by one of other's */
	FZ_CROSS_THREAD_ADD,  /* one of other's programs added as a new thread */
	FZ_CROSS_SPLICE,      /* a run of other's decisions inserted into or over s's */
	FZ_CROSS_TAIL,        /* s's decisions up to a point, then other's from a point */
	FZ_CROSS_HEADER,      /* other's strategy, parameter, seed (and caches) */
	FZ_CROSSINGS
};

const char *fz_crossing_name(enum fz_crossing c);
/* Crosses other (valid for pr) into s; thread numbers taken from other are
 * reduced modulo s's thread count.  Returns the crossing applied,
 * FZ_CROSSINGS if none applies (other has nothing s can take). */
enum fz_crossing fz_crossover_schedule(const struct fz_profile *pr, struct fz_schedule *s,
				       const struct fz_schedule *other, struct fz_rng *rng);

/* ---- bytes in, bytes out (fz_mutator.c) -------------------------------- */

enum fz_mutator_mode {
	FZ_MUTATOR_STRUCTURAL, /* this module, with byte mutation for a fraction */
	FZ_MUTATOR_BYTES,      /* byte mutation only: libFuzzer's own behaviour */
};

/* libFuzzer's LLVMFuzzerMutate, or a stand-in (tests): mutates data in
 * place, returns the new size (<= max_size), 0 on failure. */
typedef size_t (*fz_byte_mutator)(uint8_t *data, size_t size, size_t max_size);

/* One in FZ_BYTES_ONE_IN structural mutations is handed to the byte
 * mutator instead: byte flips still find what no structural step reaches
 * (libFuzzer's comparison-guided and dictionary mutations). */
#define FZ_BYTES_ONE_IN 5

/*
 * LLVMFuzzerCustomMutator's contract: mutates data[0, size) in place
 * (data has room for max_size bytes) and returns the new size, at most
 * max_size; 0 when nothing could be made.  Structural mode: decode, one
 * structural mutation (retried when it changed nothing), canonical encode,
 * trailing decisions dropped when the result would not fit; byte mode, or
 * when bytes is non-NULL and one draw in FZ_BYTES_ONE_IN says so, or when
 * even the schedule without decisions does not fit: bytes(data, size,
 * max_size).
 */
size_t fz_mutate_bytes(const struct fz_profile *pr, enum fz_mutator_mode mode, fz_byte_mutator bytes,
		       uint8_t *data, size_t size, size_t max_size, unsigned seed);
/* LLVMFuzzerCustomCrossOver's contract: writes a child of (d1, d2) to out
 * (at most max_out bytes) and returns its size, 0 when nothing could be
 * made.  Byte mode: d1 copied to out and handed to bytes, whose default
 * mutations include libFuzzer's own cross-over. */
size_t fz_crossover_bytes(const struct fz_profile *pr, enum fz_mutator_mode mode, fz_byte_mutator bytes,
			  const uint8_t *d1, size_t s1, const uint8_t *d2, size_t s2, uint8_t *out,
			  size_t max_out, unsigned seed);

/*
 * The fuzz targets' glue (FZ_SCHEDULE_TARGET): the process's mode (set
 * once from FZ_MUTATOR in LLVMFuzzerInitialize) and the entry points
 * using libFuzzer's LLVMFuzzerMutate when the engine provides one.
 */
void fz_mutator_set_mode(enum fz_mutator_mode mode);
enum fz_mutator_mode fz_mutator_mode(void);
/* With FZ_MUTATOR=bytes under libFuzzer: puts -len_control=100 first in
 * argv, undoing libFuzzer's "custom mutator found, -len_control off by
 * default", so byte mode behaves as a target without a custom mutator
 * (a -len_control given on the command line still wins). */
void fz_mutator_adjust_args(int *argc, char ***argv);
size_t fz_custom_mutator(const struct fz_profile *pr, uint8_t *data, size_t size, size_t max_size,
			 unsigned seed);
size_t fz_custom_crossover(const struct fz_profile *pr, const uint8_t *d1, size_t s1, const uint8_t *d2,
			   size_t s2, uint8_t *out, size_t max_out, unsigned seed);

#endif
