/*
 * test_mutate.c - the schedule-aware mutator (fz_mutate.h).
 *
 *  - round-trip: tens of thousands of mutations in a random walk, for both
 *    profiles: every mutated schedule is valid (fz_schedule_invalid is
 *    NULL) and encodes and decodes to itself (fz_schedule_same)
 *  - every-mutation: each mutation applies to a schedule that has what it
 *    needs, changes it, and keeps it valid; those that need something
 *    (a decision to delete, room for a thread) refuse when it is missing
 *  - bytes: the byte-level entry respects max_size, is a function of
 *    (input, seed), writes canonical encodings, hands the stated fraction
 *    (1 in FZ_BYTES_ONE_IN) to the byte mutator, and falls back to it
 *    when even the programs do not fit
 *  - bytes-mode: FZ_MUTATOR_BYTES is the byte mutator and nothing else
 *  - crossover: children are valid and canonical, every crossing occurs,
 *    and a child takes whole programs and decision runs from the other
 *    parent
 */
#include <stdlib.h>
#include <string.h>

#include "fz_mutate.h"
#include "fz_text.h"
#include "ph_test.h"

static const struct fz_profile *const profiles[] = {&fz_profile_schedule, &fz_profile_needzero};

static uint64_t xs = 0x9E3779B97F4A7C15ull;
static uint8_t next_byte(void)
{
	xs ^= xs << 13, xs ^= xs >> 7, xs ^= xs << 17;
	return (uint8_t)(xs >> 24);
}

static void random_schedule(const struct fz_profile *pr, struct fz_schedule *s, size_t len)
{
	static uint8_t buf[4096];
	for (size_t i = 0; i < len && i < sizeof buf; i++)
		buf[i] = next_byte();
	fz_decode(pr, buf, len < sizeof buf ? len : sizeof buf, s);
}

/* s is valid and survives encode + decode unchanged. */
static bool round_trips(const struct fz_profile *pr, const struct fz_schedule *s, const char *what)
{
	static uint8_t enc[FZ_ENCODED_MAX];
	static struct fz_schedule back;
	const char *bad = fz_schedule_invalid(pr, s), *why;
	CHECK_MSG(bad == NULL, "%s: invalid: %s", what, bad);
	size_t n = fz_encode(pr, s, enc, sizeof enc, &why);
	CHECK_MSG(n > 0, "%s: does not encode: %s", what, why);
	if (bad != NULL || n == 0)
		return false;
	fz_decode(pr, enc, n, &back);
	char diff[200];
	bool same = fz_schedule_same(s, &back, diff, sizeof diff);
	CHECK_MSG(same, "%s: decodes to another schedule: %s", what, diff);
	return same;
}

static void test_round_trip(void)
{
	static struct fz_schedule s;
	unsigned counts[FZ_MUTATIONS] = {0};
	struct fz_rng r = {42};
	for (unsigned p = 0; p < 2; p++) {
		const struct fz_profile *pr = profiles[p];
		for (unsigned walk = 0; walk < 24; walk++) {
			/* From empty, tiny and large random schedules. */
			random_schedule(pr, &s, walk % 4 == 0 ? 0 : next_byte() * (walk % 3 + 1));
			for (unsigned k = 0; k < 400; k++) {
				enum fz_mutation m = fz_mutate_schedule(pr, &s, &r);
				CHECK_MSG(m < FZ_MUTATIONS, "no mutation applied");
				if (m < FZ_MUTATIONS)
					counts[m]++;
				if (!round_trips(pr, &s, fz_mutation_name(m)))
					return;
			}
		}
	}
	for (unsigned m = 0; m < FZ_MUTATIONS; m++)
		CHECK_MSG(counts[m] > 0, "mutation %s never chosen", fz_mutation_name((enum fz_mutation)m));
}

/* Four threads, every kind of operation, a few decisions. */
static const char *const rich =
	"target schedule\nthreads 4\nstrategy random chance 1/3\nseed 0x00000005\ncaches on\n"
	"thread 0\n  grow 512 skip 0\n  alloc 1\n  claim arena 0 page 10 pages 10\n"
	"thread 1\n  alloc 20 zero\n  free 0\n  destroy-p\n"
	"thread 2\n  write 1\n  claim arena 0 page 12 pages 3\n"
	"thread 3\n  alloc 3\n"
	"decisions\n  run 0 for 3\n  run 1 for 2\n  run 2 for 7\n  run 3 for 1\n";

static void test_every_mutation(void)
{
	static struct fz_schedule base, s;
	const struct fz_profile *pr = NULL;
	char err[200], why[200];
	CHECK_MSG(fz_text_parse(rich, "rich.txt", &pr, &base, err, sizeof err), "%s", err);
	if (pr == NULL)
		return;
	struct fz_rng r = {7};
	for (unsigned m = 0; m < FZ_MUTATIONS; m++) {
		unsigned changed = 0;
		for (unsigned k = 0; k < 50; k++) {
			s = base;
			bool applied = fz_mutate_apply(pr, &s, (enum fz_mutation)m, &r);
			CHECK_MSG(applied, "%s does not apply to a schedule with everything", fz_mutation_name((enum fz_mutation)m));
			round_trips(pr, &s, fz_mutation_name((enum fz_mutation)m));
			changed += !fz_schedule_same(&s, &base, why, sizeof why);
		}
		CHECK_MSG(changed >= 40, "%s changed the schedule %u times in 50", fz_mutation_name((enum fz_mutation)m), changed);
	}
	/* What needs something refuses when it is missing. */
	static struct fz_schedule bare;
	memset(&bare, 0, sizeof bare);
	bare.nthreads = FZ_MIN_THREADS;
	const enum fz_mutation need_something[] = {
		FZ_MUT_DECISION_CHANGE, FZ_MUT_DECISION_DELETE, FZ_MUT_DECISION_SWAP, FZ_MUT_DECISION_RETARGET,
		FZ_MUT_DECISION_RUN, FZ_MUT_OP_DELETE, FZ_MUT_OP_DUPLICATE, FZ_MUT_OP_OPERAND, FZ_MUT_THREAD_DROP,
	};
	for (unsigned i = 0; i < sizeof need_something / sizeof need_something[0]; i++) {
		s = bare;
		CHECK_MSG(!fz_mutate_apply(pr, &s, need_something[i], &r), "%s applied to an empty schedule",
			  fz_mutation_name(need_something[i]));
	}
	s = bare;
	CHECK(!fz_mutate_apply(&fz_profile_needzero, &s, FZ_MUT_CACHES, &r)); /* needzero keeps caches on */
	s = base;
	s.nthreads = FZ_MAX_THREADS;
	CHECK(!fz_mutate_apply(pr, &s, FZ_MUT_THREAD_ADD, &r));
}

/* The byte mutator stand-in: flips the middle byte; counts its calls. */
static unsigned byte_calls;
static size_t flip_middle(uint8_t *data, size_t size, size_t max_size)
{
	byte_calls++;
	if (size == 0 || size > max_size)
		return 0;
	data[size / 2] ^= 0x5a;
	return size;
}

/* out is the canonical encoding of the schedule it decodes to. */
static bool canonical(const struct fz_profile *pr, const uint8_t *out, size_t n)
{
	static struct fz_schedule s;
	static uint8_t again[FZ_ENCODED_MAX];
	const char *why;
	fz_decode(pr, out, n, &s);
	size_t m = fz_encode(pr, &s, again, sizeof again, &why);
	return m == n && memcmp(again, out, n) == 0;
}

static void test_bytes(void)
{
	static uint8_t in[4096], out[4096], out2[4096];
	static struct fz_schedule s;
	for (unsigned p = 0; p < 2; p++) {
		const struct fz_profile *pr = profiles[p];
		unsigned structural = 0, calls = 0;
		for (unsigned k = 0; k < 3000; k++) {
			size_t max = k % 3 == 0 ? 64 : sizeof out;
			size_t n = next_byte() % 2 ? next_byte() : (size_t)next_byte() * 8;
			if (n > max)
				n = max;
			for (size_t i = 0; i < n; i++)
				in[i] = next_byte();
			unsigned seed = k * 2654435761u;
			memcpy(out, in, n);
			byte_calls = 0;
			size_t m = fz_mutate_bytes(pr, FZ_MUTATOR_STRUCTURAL, flip_middle, out, n, max, seed);
			bool by_bytes = byte_calls > 0;
			calls += by_bytes;
			CHECK_MSG(m <= max, "result of %zu bytes, max %zu", m, max);
			if (!by_bytes) {
				structural++;
				CHECK_MSG(m > 0, "structural mutation of %zu bytes made nothing", n);
				CHECK_MSG(canonical(pr, out, m), "structural result (%zu bytes) is not canonical", m);
				fz_decode(pr, out, m, &s);
				CHECK(fz_schedule_invalid(pr, &s) == NULL);
			}
			/* A function of (input, seed). */
			memcpy(out2, in, n);
			size_t m2 = fz_mutate_bytes(pr, FZ_MUTATOR_STRUCTURAL, flip_middle, out2, n, max, seed);
			CHECK_MSG(m2 == m && memcmp(out, out2, m) == 0, "same input and seed, different results");
		}
		/* 1 in 5 by the draw, plus the inputs whose programs exceed 64 bytes. */
		CHECK_MSG(calls >= 3000 / FZ_BYTES_ONE_IN / 2 && calls <= 3000 / 2, "%u of 3000 went to the byte mutator", calls);
		CHECK(structural > 1000);
	}
	/* Programs longer than max_size: the byte mutator's turn. */
	const char *why;
	static struct fz_schedule big;
	const struct fz_profile *pr = NULL;
	char err[200];
	CHECK_MSG(fz_text_parse(rich, "rich.txt", &pr, &big, err, sizeof err), "%s", err);
	size_t n = fz_encode(pr, &big, in, sizeof in, &why);
	unsigned fallbacks = 0;
	for (unsigned seed = 0; seed < 50; seed++) {
		memcpy(out, in, n);
		byte_calls = 0;
		size_t m = fz_mutate_bytes(pr, FZ_MUTATOR_STRUCTURAL, flip_middle, out, 12, 12, seed);
		CHECK(m <= 12);
		fallbacks += byte_calls;
	}
	CHECK_MSG(fallbacks == 50, "only %u of 50 oversized schedules went to the byte mutator", fallbacks);
}

static void test_bytes_mode(void)
{
	static uint8_t in[512], out[512], want[512], other[512];
	for (unsigned k = 0; k < 200; k++) {
		for (size_t i = 0; i < sizeof in; i++)
			in[i] = next_byte(), other[i] = next_byte();
		size_t n = 1 + next_byte();
		memcpy(out, in, n);
		memcpy(want, in, n);
		flip_middle(want, n, sizeof want);
		byte_calls = 0;
		size_t m = fz_mutate_bytes(&fz_profile_schedule, FZ_MUTATOR_BYTES, flip_middle, out, n, sizeof out, k);
		CHECK(byte_calls == 1 && m == n && memcmp(out, want, n) == 0);
		byte_calls = 0;
		m = fz_crossover_bytes(&fz_profile_schedule, FZ_MUTATOR_BYTES, flip_middle, in, n, other, 100, out,
				       sizeof out, k);
		CHECK(byte_calls == 1 && m == n && memcmp(out, want, n) == 0);
	}
}

static bool has_program(const struct fz_schedule *s, const struct fz_schedule *o, unsigned from)
{
	for (unsigned t = 0; t < s->nthreads; t++)
		if (s->nops[t] == o->nops[from] && memcmp(s->ops[t], o->ops[from], o->nops[from] * sizeof o->ops[0][0]) == 0)
			return true;
	return false;
}

static void test_crossover(void)
{
	static struct fz_schedule a, b, child;
	static uint8_t da[4096], db[4096], out[4096];
	unsigned counts[FZ_CROSSINGS] = {0};
	struct fz_rng r = {99};
	const char *why;
	for (unsigned k = 0; k < 2000; k++) {
		const struct fz_profile *pr = profiles[k % 2];
		random_schedule(pr, &a, 200 + next_byte());
		random_schedule(pr, &b, 200 + next_byte());
		child = a;
		enum fz_crossing c = fz_crossover_schedule(pr, &child, &b, &r);
		CHECK(c < FZ_CROSSINGS);
		if (c >= FZ_CROSSINGS)
			continue;
		counts[c]++;
		round_trips(pr, &child, fz_crossing_name(c));
		/* What each crossing promises to take from the other parent. */
		bool took = true;
		switch (c) {
		case FZ_CROSS_THREAD_ADD: {
			/* The new last thread runs one of other's programs. */
			unsigned t = a.nthreads;
			took = false;
			for (unsigned u = 0; u < b.nthreads; u++)
				took |= child.nthreads == t + 1 && child.nops[t] == b.nops[u] &&
					memcmp(child.ops[t], b.ops[u], b.nops[u] * sizeof b.ops[0][0]) == 0;
			break;
		}
		case FZ_CROSS_HEADER:
			took = child.strategy == b.strategy && child.param == b.param && child.seed == b.seed;
			break;
		case FZ_CROSS_TAIL:
			/* The last decision is other's last, its thread reduced. */
			took = child.ndecisions > 0 &&
			       child.decisions[child.ndecisions - 1].run == b.decisions[b.ndecisions - 1].run;
			break;
		default:
			break;
		}
		CHECK_MSG(took, "%s took nothing from the other parent", fz_crossing_name(c));
		/* Bytes in, bytes out. */
		size_t na = fz_encode(pr, &a, da, sizeof da, &why), nb = fz_encode(pr, &b, db, sizeof db, &why);
		size_t m = fz_crossover_bytes(pr, FZ_MUTATOR_STRUCTURAL, flip_middle, da, na, db, nb, out, 3000, k);
		CHECK(m <= 3000);
		if (m > 0)
			CHECK_MSG(canonical(pr, out, m), "cross-over result is not canonical");
	}
	for (unsigned c = 0; c < FZ_CROSSINGS; c++)
		CHECK_MSG(counts[c] > 0, "crossing %s never chosen", fz_crossing_name((enum fz_crossing)c));
	/* A program taken whole: cross until FZ_CROSS_THREAD is drawn. */
	random_schedule(&fz_profile_schedule, &a, 300);
	random_schedule(&fz_profile_schedule, &b, 300);
	bool seen = false;
	for (unsigned k = 0; k < 200 && !seen; k++) {
		child = a;
		if (fz_crossover_schedule(&fz_profile_schedule, &child, &b, &r) != FZ_CROSS_THREAD)
			continue;
		seen = true;
		bool found = false;
		for (unsigned u = 0; u < b.nthreads; u++)
			found |= has_program(&child, &b, u);
		CHECK_MSG(found, "no program of the other parent in the child");
	}
	CHECK(seen);
}

int main(int argc, char **argv)
{
	ph_test_init(argc, argv);
	ph_test_run("mutate/round-trip", test_round_trip);
	ph_test_run("mutate/every-mutation", test_every_mutation);
	ph_test_run("mutate/bytes", test_bytes);
	ph_test_run("mutate/bytes-mode", test_bytes_mode);
	ph_test_run("mutate/crossover", test_crossover);
	return ph_test_finish();
}
