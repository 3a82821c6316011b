/*
 * test_decode.c - the decoder never fails and never leaves its limits:
 * empty, random, huge and truncated inputs all decode to valid schedules,
 * and a truncated encoding decodes to a prefix of the full schedule.
 */
#include <stdlib.h>
#include <string.h>

#include "fz_schedule.h"
#include "fz_text.h"
#include "ph_test.h"

static const struct fz_profile *const profiles[] = {&fz_profile_schedule, &fz_profile_needzero};
static struct fz_schedule s, full;

static uint64_t rng = 0x9E3779B97F4A7C15ull;

static uint8_t next_byte(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint8_t)(rng >> 24);
}

static void expect_valid(const struct fz_profile *pr, const uint8_t *data, size_t size, const char *what)
{
	fz_decode(pr, data, size, &s);
	const char *bad = fz_schedule_invalid(pr, &s);
	CHECK_MSG(bad == NULL, "%s (%zu bytes, %s): %s", what, size, pr->name, bad);
}

static void test_empty(void)
{
	for (size_t p = 0; p < 2; p++) {
		expect_valid(profiles[p], NULL, 0, "empty input");
		CHECK_EQ_U(s.nthreads, FZ_MIN_THREADS);
		CHECK_EQ_U(s.nops[0] + s.nops[1], 0);
		CHECK_EQ_U(s.ndecisions, 0);
	}
}

static void test_random(void)
{
	static uint8_t buf[4096];
	for (int i = 0; i < 20000; i++) {
		size_t n = next_byte() % 2 ? next_byte() : ((size_t)next_byte() << 4) % sizeof buf;
		for (size_t k = 0; k < n; k++)
			buf[k] = next_byte();
		expect_valid(profiles[i % 2], buf, n, "random input");
	}
}

static void test_huge(void)
{
	size_t n = 8u << 20;
	uint8_t *buf = malloc(n);
	CHECK(buf != NULL);
	if (buf == NULL)
		return;
	for (size_t k = 0; k < n; k++)
		buf[k] = next_byte();
	for (size_t p = 0; p < 2; p++) {
		expect_valid(profiles[p], buf, n, "8 MiB of random bytes");
		CHECK_EQ_U(s.ndecisions, FZ_MAX_DECISIONS); /* capped, the rest ignored */
	}
	memset(buf, 0xff, n);
	for (size_t p = 0; p < 2; p++)
		expect_valid(profiles[p], buf, n, "8 MiB of 0xff");
	free(buf);
}

/* Every prefix of a full encoding decodes to a valid schedule, and to the
 * same threads and operations as the prefix padded with zero bytes: the
 * reader's promise that missing bytes read as zero, so a truncated input
 * is simply a smaller one. */
static void test_truncated(void)
{
	static uint8_t buf[16384], enc[16384], padded[16384];
	static struct fz_schedule zero_padded;
	char why[160];
	for (int round = 0; round < 40; round++) {
		const struct fz_profile *pr = profiles[round % 2];
		for (size_t k = 0; k < sizeof buf; k++)
			buf[k] = next_byte();
		fz_decode(pr, buf, 600 + (size_t)round * 50, &full);
		const char *err;
		size_t n = fz_encode(pr, &full, enc, sizeof enc, &err);
		CHECK_MSG(n > 0, "encode: %s", err);
		for (size_t cut = 0; cut <= n; cut += 1 + cut / 64) {
			expect_valid(pr, enc, cut, "truncated encoding");
			memset(padded, 0, sizeof padded);
			memcpy(padded, enc, cut);
			fz_decode(pr, padded, n + 64, &zero_padded);
			s.ndecisions = zero_padded.ndecisions = 0; /* padding adds decisions */
			CHECK_MSG(fz_schedule_same(&s, &zero_padded, why, sizeof why),
				  "prefix %zu of %zu differs from its zero-padded self: %s", cut, n, why);
		}
		fz_decode(pr, enc, n, &s);
		CHECK_MSG(fz_schedule_same(&s, &full, why, sizeof why), "full encoding: %s", why);
	}
}

int main(int argc, char **argv)
{
	ph_test_init(argc, argv);
	ph_test_run("decode/empty", test_empty);
	ph_test_run("decode/random", test_random);
	ph_test_run("decode/huge", test_huge);
	ph_test_run("decode/truncated", test_truncated);
	return ph_test_finish();
}
