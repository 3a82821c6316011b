/*
 * fz_mutator.c - the mutator's byte-level entry points and the fuzz
 * targets' glue (see fz_mutate.h).
 *
 * One caller at a time: libFuzzer mutates on its own thread, between
 * inputs, and each process (-fork, -jobs) has its own copy of the scratch
 * schedules below.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "fz_mutate.h"
#include "fz_sanitizer.h"

FZ_HARNESS_CODE_BEGIN

/* libFuzzer's byte mutator.  Weak: AFL++'s driver brings a stub, plain
 * builds (tests, tools) none at all. */
size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size) __attribute__((weak));
/* Defined by libFuzzer and no other engine. */
void __libfuzzer_is_present(void) __attribute__((weak));

/* Scratch space: schedules are 12 KiB, too much for every call's stack. */
static struct fz_schedule work, other;
static uint8_t enc[FZ_ENCODED_MAX];

/* Encodes s canonically into enc, dropping trailing decisions (the
 * encoding's last two bytes each) until it fits max; returns the size, 0
 * when even the schedule without decisions does not fit.  s keeps only
 * the decisions encoded. */
static size_t encode_fit(const struct fz_profile *pr, struct fz_schedule *s, size_t max)
{
	const char *why;
	size_t n = fz_encode(pr, s, enc, sizeof enc, &why);
	/* Mutations keep schedules valid, and a valid schedule always encodes. */
	assert(n > 0 && why == NULL);
	if (n <= max)
		return n;
	size_t base = n - 2u * s->ndecisions;
	if (base > max)
		return 0;
	s->ndecisions = (uint16_t)((max - base) / 2);
	return base + 2u * s->ndecisions;
}

static bool same_bytes(const uint8_t *a, size_t na, const uint8_t *b, size_t nb)
{
	return na == nb && memcmp(a, b, na) == 0;
}

size_t fz_mutate_bytes(const struct fz_profile *pr, enum fz_mutator_mode mode, fz_byte_mutator bytes,
		       uint8_t *data, size_t size, size_t max_size, unsigned seed)
{
	struct fz_rng r = {seed};
	if (mode == FZ_MUTATOR_BYTES || (bytes != NULL && fz_rng_below(&r, FZ_BYTES_ONE_IN) == 0))
		return bytes != NULL ? bytes(data, size, max_size) : 0;
	fz_decode(pr, data, size, &work);
	/* Mutations pile up until the bytes change (a redrawn seed may equal
	 * the old one, a deleted decision may be re-inserted...). */
	for (unsigned tries = 0; tries < 8; tries++) {
		fz_mutate_schedule(pr, &work, &r);
		size_t n = encode_fit(pr, &work, max_size);
		if (n == 0)
			break; /* the programs alone are longer than max_size */
		if (!same_bytes(enc, n, data, size)) {
			memcpy(data, enc, n);
			return n;
		}
	}
	return bytes != NULL ? bytes(data, size, max_size) : 0;
}

size_t fz_crossover_bytes(const struct fz_profile *pr, enum fz_mutator_mode mode, fz_byte_mutator bytes,
			  const uint8_t *d1, size_t s1, const uint8_t *d2, size_t s2, uint8_t *out,
			  size_t max_out, unsigned seed)
{
	if (mode == FZ_MUTATOR_BYTES) {
		if (bytes == NULL || s1 > max_out)
			return 0;
		memcpy(out, d1, s1);
		return bytes(out, s1, max_out);
	}
	struct fz_rng r = {seed};
	fz_decode(pr, d1, s1, &work);
	fz_decode(pr, d2, s2, &other);
	for (unsigned tries = 0; tries < 4; tries++) {
		if (fz_crossover_schedule(pr, &work, &other, &r) == FZ_CROSSINGS)
			break;
		size_t n = encode_fit(pr, &work, max_out);
		if (n == 0)
			break;
		if (!same_bytes(enc, n, d1, s1)) {
			memcpy(out, enc, n);
			return n;
		}
	}
	return 0;
}

/* ---- the fuzz targets' glue -------------------------------------------------- */

/* Set once, before the first input, from LLVMFuzzerInitialize. */
static enum fz_mutator_mode process_mode = FZ_MUTATOR_STRUCTURAL;

void fz_mutator_set_mode(enum fz_mutator_mode mode)
{
	process_mode = mode;
}

enum fz_mutator_mode fz_mutator_mode(void)
{
	return process_mode;
}

void fz_mutator_adjust_args(int *argc, char ***argv)
{
	static char len_control[] = "-len_control=100"; /* libFuzzer's own default */
	if (process_mode != FZ_MUTATOR_BYTES || __libfuzzer_is_present == NULL || argc == NULL || argv == NULL ||
	    *argc < 1)
		return;
	char **args = malloc(((size_t)*argc + 2) * sizeof *args);
	assert(args != NULL);
	args[0] = (*argv)[0];
	args[1] = len_control;
	memcpy(&args[2], &(*argv)[1], ((size_t)*argc - 1) * sizeof *args);
	args[*argc + 1] = NULL;
	/* Kept for the life of the process: libFuzzer holds on to argv. */
	*argv = args;
	(*argc)++;
}

size_t fz_custom_mutator(const struct fz_profile *pr, uint8_t *data, size_t size, size_t max_size,
			 unsigned seed)
{
	return fz_mutate_bytes(pr, process_mode, LLVMFuzzerMutate, data, size, max_size, seed);
}

size_t fz_custom_crossover(const struct fz_profile *pr, const uint8_t *d1, size_t s1, const uint8_t *d2,
			   size_t s2, uint8_t *out, size_t max_out, unsigned seed)
{
	return fz_crossover_bytes(pr, process_mode, LLVMFuzzerMutate, d1, s1, d2, s2, out, max_out, seed);
}

FZ_HARNESS_CODE_END
