/*
 * test_text.c - the text spelling of schedules (fz_text.h) against the
 * byte decoder, which stays the authority on what a schedule means.
 *
 * The round-trip properties are checked over fixed-seed random byte strings
 * so a failure reproduces exactly; the error tests pin the full
 * "FILE:LINE:COL: message" because editors jump to that position and a
 * column that drifts by one is a real regression.  Mutated texts are fed
 * through fz_text_parse_buf in exact-size heap buffers so that, under ASan,
 * any read past the end of a text is caught.
 */
#include <stdlib.h>
#include <string.h>

#include "fz_schedule.h"
#include "fz_text.h"
#include "ph_test.h"

#define TEXT_CAP (128 * 1024) /* above the longest canonical text (about 86 KiB) */
#define BYTES_CAP 16384       /* above the longest canonical encoding (11279 bytes) */
#define RANDOM_CASES 2000
#define RANDOM_MAX_LEN 600

static const struct fz_profile *const profiles[] = {&fz_profile_schedule, &fz_profile_needzero};

/* ---- deterministic randomness -------------------------------------------- */

static uint64_t rng_state;

static uint64_t rng_next(void)
{
	/* splitmix64: good enough mixing, one line of state, fixed sequence */
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static unsigned rng_below(unsigned n)
{
	return (unsigned)(rng_next() % n);
}

static void rng_fill(uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)rng_next();
}

/* ---- shared checks -------------------------------------------------------- */

static struct fz_schedule decoded, parsed, redecoded;
static char text[TEXT_CAP], text2[TEXT_CAP];
static uint8_t bytes[BYTES_CAP], bytes2[BYTES_CAP];

/*
 * All three invariants for one byte string:
 *   parse(format(decode(B))) == decode(B)
 *   format(parse(T)) == T for the canonical T = format(decode(B))
 *   decode(encode(decode(B))) == decode(B), and encode is a fixed point
 */
static void check_roundtrip(const struct fz_profile *pr, const uint8_t *b, size_t n, unsigned id)
{
	const struct fz_profile *got = NULL;
	char err[256], why[128];
	const char *ewhy = NULL;

	fz_decode(pr, b, n, &decoded);
	int len = fz_text_format(pr, &decoded, text, sizeof text);
	CHECK_MSG(len > 0 && (size_t)len < sizeof text, "case %u: format returned %d", id, len);
	CHECK_MSG((size_t)len == strlen(text), "case %u: length %d vs strlen", id, len);

	bool ok = fz_text_parse(text, "rt.txt", &got, &parsed, err, sizeof err);
	CHECK_MSG(ok, "case %u (%s): %s", id, pr->name, err);
	CHECK_MSG(got == pr, "case %u: profile %s", id, got ? got->name : "NULL");
	CHECK_MSG(fz_schedule_same(&decoded, &parsed, why, sizeof why), "case %u: parse: %s", id, why);
	fz_text_format(pr, &parsed, text2, sizeof text2);
	CHECK_MSG(strcmp(text, text2) == 0, "case %u: format(parse(T)) != T", id);

	size_t m = fz_encode(pr, &decoded, bytes, sizeof bytes, &ewhy);
	CHECK_MSG(m > 0, "case %u: encode: %s", id, ewhy ? ewhy : "?");
	fz_decode(pr, bytes, m, &redecoded);
	CHECK_MSG(fz_schedule_same(&decoded, &redecoded, why, sizeof why), "case %u: bytes: %s", id, why);
	size_t m2 = fz_encode(pr, &redecoded, bytes2, sizeof bytes2, &ewhy);
	CHECK_MSG(m2 == m && memcmp(bytes, bytes2, m) == 0, "case %u: encoding not canonical", id);
}

static void test_roundtrip_random(const void *arg)
{
	const struct fz_profile *pr = arg;
	uint8_t b[RANDOM_MAX_LEN];
	unsigned with_decisions = 0;

	rng_state = 0x5eed0000u + (pr == &fz_profile_needzero);
	for (unsigned i = 0; i < RANDOM_CASES; i++) {
		size_t n = rng_below(RANDOM_MAX_LEN + 1);
		rng_fill(b, n);
		check_roundtrip(pr, b, n, i);
		with_decisions += decoded.ndecisions > 0;
	}
	/* The sample must reach the decisions section, or half the format is untested. */
	CHECK_MSG(with_decisions > RANDOM_CASES / 10, "only %u cases had decisions", with_decisions);
}

/* Long inputs reach the FZ_MAX_DECISIONS cap. */
static void test_roundtrip_long(const void *arg)
{
	const struct fz_profile *pr = arg;
	static uint8_t b[20000];
	bool capped = false;

	rng_state = 0x10c0u + (pr == &fz_profile_needzero);
	for (unsigned i = 0; i < 20; i++) {
		size_t n = 9000 + rng_below(sizeof b - 9000 + 1);
		rng_fill(b, n);
		check_roundtrip(pr, b, n, i);
		capped |= decoded.ndecisions == FZ_MAX_DECISIONS;
	}
	CHECK(capped);
}

static void test_empty_input(void)
{
	static const char want_schedule[] = "target schedule\n"
					    "threads 2\n"
					    "strategy rr quantum 1\n"
					    "seed 0x00000000\n"
					    "caches on\n"
					    "thread 0\n"
					    "thread 1\n"
					    "decisions\n";

	for (unsigned i = 0; i < 2; i++) {
		const struct fz_profile *pr = profiles[i];
		fz_decode(pr, NULL, 0, &decoded);
		CHECK(fz_text_format(pr, &decoded, text, sizeof text) > 0);
		CHECK_STREQ(text + strlen("target ") + strlen(pr->name),
			    want_schedule + strlen("target schedule"));
		check_roundtrip(pr, NULL, 0, i);
	}
	CHECK(fz_text_format(&fz_profile_schedule, &decoded, text, sizeof text) > 0);
	CHECK_STREQ(text, want_schedule);
}

/* ---- hand-written canonical texts ---------------------------------------- */

struct canonical_case {
	const char *name;
	const char *profile;
	const char *text;
	unsigned nthreads, strategy, param, no_cache, seed, total_ops, ndecisions;
};

static const struct canonical_case canonical_cases[] = {
	{"pct-every-op", "schedule",
	 "target schedule\n"
	 "threads 3\n"
	 "strategy pct depth 2\n"
	 "seed 0x0000abcd\n"
	 "caches on\n"
	 "thread 0\n"
	 "  alloc 3\n"
	 "  alloc 40 zero\n"
	 "  free 0\n"
	 "  write 1\n"
	 "  destroy-p\n"
	 "  grow 512 skip 1\n"
	 "  claim arena 1 page 100 pages 5\n"
	 "thread 1\n"
	 "thread 2\n"
	 "  alloc 1\n"
	 "decisions\n"
	 "  run 1 for 3\n"
	 "  run 0 for 0\n",
	 3, FZ_STRAT_PCT, 1, 0, 0xabcd, 8, 2},
	{"rr-limits", "schedule",
	 "target schedule\n"
	 "threads 8\n"
	 "strategy rr quantum 8\n"
	 "seed 0xffffffff\n"
	 "caches off\n"
	 "thread 0\n"
	 "  alloc 5119 zero\n"
	 "  alloc 15\n"
	 "  alloc 16\n"
	 "thread 1\n"
	 "  grow 4096 skip 3\n"
	 "  grow 1 skip 0\n"
	 "thread 2\n"
	 "  claim arena 15 page 2047 pages 4096\n"
	 "  claim arena 0 page 0 pages 1\n"
	 "thread 3\n"
	 "  free 255\n"
	 "  write 255\n"
	 "thread 4\n"
	 "thread 5\n"
	 "thread 6\n"
	 "thread 7\n"
	 "  destroy-p\n"
	 "decisions\n"
	 "  run 7 for 255\n",
	 8, FZ_STRAT_RR, 7, 1, 0xffffffffu, 10, 1},
	{"random-chance", "schedule",
	 "target schedule\n"
	 "threads 2\n"
	 "strategy random chance 1/9\n"
	 "seed 0x00000001\n"
	 "caches on\n"
	 "thread 0\n"
	 "thread 1\n"
	 "  free 7\n"
	 "decisions\n",
	 2, FZ_STRAT_RANDOM, 7, 0, 1, 1, 0},
	{"random-lowest", "schedule",
	 "target schedule\n"
	 "threads 2\n"
	 "strategy random chance 1/2\n"
	 "seed 0x00000000\n"
	 "caches on\n"
	 "thread 0\n"
	 "thread 1\n"
	 "decisions\n"
	 "  run 1 for 1\n"
	 "  run 1 for 2\n"
	 "  run 0 for 3\n",
	 2, FZ_STRAT_RANDOM, 0, 0, 0, 0, 3},
	{"needzero", "needzero",
	 "target needzero\n"
	 "threads 4\n"
	 "strategy pct depth 8\n"
	 "seed 0x12345678\n"
	 "caches on\n"
	 "thread 0\n"
	 "  claim arena 3 page 2040 pages 100\n"
	 "thread 1\n"
	 "  alloc 2 zero\n"
	 "  free 1\n"
	 "thread 2\n"
	 "thread 3\n"
	 "  alloc 600\n"
	 "decisions\n"
	 "  run 3 for 9\n",
	 4, FZ_STRAT_PCT, 7, 0, 0x12345678, 4, 1},
};

static unsigned total_ops(const struct fz_schedule *s)
{
	unsigned n = 0;
	for (unsigned t = 0; t < s->nthreads; t++)
		n += s->nops[t];
	return n;
}

static void test_canonical(const void *arg)
{
	const struct canonical_case *c = arg;
	const struct fz_profile *pr = NULL;
	char err[256];
	const char *why = NULL;

	CHECK_MSG(fz_text_parse(c->text, "c.txt", &pr, &parsed, err, sizeof err), "%s", err);
	CHECK(pr == fz_profile_by_name(c->profile));
	if (pr == NULL)
		return;
	CHECK_EQ_U(parsed.nthreads, c->nthreads);
	CHECK_EQ_U(parsed.strategy, c->strategy);
	CHECK_EQ_U(parsed.param, c->param);
	CHECK_EQ_U(parsed.no_cache, c->no_cache);
	CHECK_EQ_U(parsed.seed, c->seed);
	CHECK_EQ_U(total_ops(&parsed), c->total_ops);
	CHECK_EQ_U(parsed.ndecisions, c->ndecisions);
	CHECK(fz_text_format(pr, &parsed, text, sizeof text) > 0);
	CHECK_STREQ(text, c->text);

	/* The bytes agree with the text. */
	size_t m = fz_encode(pr, &parsed, bytes, sizeof bytes, &why);
	CHECK_MSG(m > 0, "encode: %s", why ? why : "?");
	fz_decode(pr, bytes, m, &redecoded);
	CHECK(fz_schedule_same(&parsed, &redecoded, NULL, 0));
}

/* Every op kind lands in the right fields, unused fields zero. */
static void test_ops_each_kind(void)
{
	static const struct fz_op want[] = {
		{.kind = FZ_OP_ALLOC, .n = 3},
		{.kind = FZ_OP_ALLOC, .zero = true, .n = 40},
		{.kind = FZ_OP_FREE, .sel = 0},
		{.kind = FZ_OP_WRITE, .sel = 1},
		{.kind = FZ_OP_DESTROY_P},
		{.kind = FZ_OP_GROW, .n = 512, .sel = 1},
		{.kind = FZ_OP_CLAIM, .sel = 1, .page = 100, .n = 5},
	};
	const struct fz_profile *pr;
	char err[256];

	CHECK_MSG(fz_text_parse(canonical_cases[0].text, "c.txt", &pr, &parsed, err, sizeof err), "%s",
		  err);
	CHECK_EQ_U(parsed.nops[0], sizeof want / sizeof want[0]);
	for (unsigned i = 0; i < sizeof want / sizeof want[0]; i++) {
		const struct fz_op *op = &parsed.ops[0][i];
		CHECK_EQ_U(op->kind, want[i].kind);
		CHECK_EQ_U(op->zero, want[i].zero);
		CHECK_EQ_U(op->n, want[i].n);
		CHECK_EQ_U(op->sel, want[i].sel);
		CHECK_EQ_U(op->page, want[i].page);
	}
	CHECK_EQ_U(parsed.nops[1], 0);
	CHECK_EQ_U(parsed.nops[2], 1);
	CHECK_EQ_U(parsed.decisions[0].thread, 1);
	CHECK_EQ_U(parsed.decisions[0].run, 3);
	CHECK_EQ_U(parsed.decisions[1].thread, 0);
	CHECK_EQ_U(parsed.decisions[1].run, 0);
}

/* What people may write besides the canonical form. */
static void test_lenient_spellings(void)
{
	static const char loose[] = "# a schedule written by hand\r\n"
				    "\n"
				    "target fuzz_schedule\r\n"
				    "   threads\t0x3\n"
				    "strategy  pct depth 0X2   \n"
				    "seed 43981\n"
				    "  # caches stay on\n"
				    "caches on\n"
				    "thread 0x0\n"
				    "alloc 03\n"
				    "\talloc 0x28 zero\n"
				    "  free 0\n"
				    "  write 1\n"
				    "  destroy-p\n"
				    "  grow 0x200 skip 1\n"
				    "  claim arena 1 page 100 pages 5\n"
				    "thread 1\n"
				    "thread 2\n"
				    "  alloc 1\n"
				    "decisions\n"
				    "  run 1 for 3\n"
				    "  run 0 for 0"; /* no final newline */
	const struct fz_profile *pr;
	char err[256];

	CHECK_MSG(fz_text_parse(loose, "l.txt", &pr, &parsed, err, sizeof err), "%s", err);
	CHECK(pr == &fz_profile_schedule);
	CHECK(fz_text_format(&fz_profile_schedule, &parsed, text, sizeof text) > 0);
	CHECK_STREQ(text, canonical_cases[0].text);
}

/* ---- parse errors --------------------------------------------------------- */

#define HEADER(target, threads)                                                              \
	"target " target "\nthreads " threads "\nstrategy rr quantum 1\nseed 0x00000000\n"   \
	"caches on\n"

struct error_case {
	const char *name;
	const char *text;
	const char *want; /* the whole message */
};

static const struct error_case error_cases[] = {
	{"unknown-keyword", HEADER("schedule", "2") "thread 0\n  jump 3\nthread 1\ndecisions\n",
	 "t.txt:7:3: unknown keyword 'jump'"},
	{"bad-number", "target schedule\nthreads two\n",
	 "t.txt:2:9: bad number 'two' for thread count (want decimal or 0x-hex)"},
	{"negative-number", HEADER("schedule", "2") "thread 0\n  free -1\n",
	 "t.txt:7:8: bad number '-1' for selector (want decimal or 0x-hex)"},
	{"bad-hex", "target schedule\nthreads 2\nstrategy rr quantum 1\nseed 0xg1\n",
	 "t.txt:4:6: bad number '0xg1' for seed (want decimal or 0x-hex)"},
	{"threads-out-of-range", "target schedule\nthreads 9\n",
	 "t.txt:2:9: thread count out of range: 9 (allowed 2..8)"},
	{"huge-number", "target schedule\nthreads 99999999999999999999999\n",
	 "t.txt:2:9: thread count out of range: 99999999999999999999999 (allowed 2..8)"},
	{"alloc-zero-pages", HEADER("schedule", "2") "thread 0\n  alloc 0\n",
	 "t.txt:7:9: alloc page count out of range: 0 (allowed 1..5119)"},
	{"claim-page-beyond-arena",
	 HEADER("schedule", "2") "thread 0\n  claim arena 0 page 2048 pages 1\n",
	 "t.txt:7:22: claim page out of range: 2048 (allowed 0..2047)"},
	{"claim-wrong-word", HEADER("schedule", "2") "thread 0\n  claim arena 0 pg 1 pages 1\n",
	 "t.txt:7:17: expected 'page', got 'pg'"},
	{"random-chance-out-of-range", "target schedule\nthreads 2\nstrategy random chance 1/10\n",
	 "t.txt:3:26: chance out of range: 10 (allowed 2..9)"},
	{"random-chance-no-fraction", "target schedule\nthreads 2\nstrategy random chance 5\n",
	 "t.txt:3:24: expected '1/N', got '5'"},
	{"unknown-strategy", "target schedule\nthreads 2\nstrategy fifo\n",
	 "t.txt:3:10: unknown strategy 'fifo' (want rr, random or pct)"},
	{"op-not-in-needzero", HEADER("needzero", "2") "thread 0\n  grow 1 skip 0\n",
	 "t.txt:7:3: operation 'grow' is not available in target needzero"},
	{"caches-off-in-needzero", "target needzero\nthreads 2\nstrategy rr quantum 1\nseed 0\ncaches off\n",
	 "t.txt:5:8: caches off is not available in target needzero"},
	{"decision-thread-too-large",
	 HEADER("schedule", "2") "thread 0\nthread 1\ndecisions\n  run 0 for 1\n  run 2 for 1\n",
	 "t.txt:10:7: decision thread out of range: 2 (allowed 0..1)"},
	{"run-length-too-large", HEADER("schedule", "2") "thread 0\nthread 1\ndecisions\n  run 0 for 256\n",
	 "t.txt:9:13: run length out of range: 256 (allowed 0..255)"},
	{"missing-decisions", HEADER("schedule", "2") "thread 0\nthread 1\n",
	 "t.txt:8:1: missing 'decisions' line"},
	{"missing-decisions-no-newline", HEADER("schedule", "2") "thread 0\nthread 1",
	 "t.txt:7:9: missing 'decisions' line"},
	{"missing-thread-section", HEADER("schedule", "3") "thread 0\nthread 1\ndecisions\n",
	 "t.txt:8:1: missing 'thread 2' section before 'decisions'"},
	{"threads-out-of-order", HEADER("schedule", "3") "thread 0\nthread 2\n",
	 "t.txt:7:8: thread numbers out of order: expected 'thread 1' next"},
	{"duplicate-thread", HEADER("schedule", "3") "thread 0\nthread 0\n",
	 "t.txt:7:8: duplicate 'thread 0' section"},
	{"thread-does-not-exist", HEADER("schedule", "2") "thread 0\nthread 1\nthread 2\n",
	 "t.txt:8:8: thread 2 does not exist ('threads 2' numbers them 0..1)"},
	{"duplicate-section", "target schedule\nthreads 2\nstrategy rr quantum 1\nseed 1\nseed 2\n",
	 "t.txt:5:1: duplicate 'seed' line (first on line 4)"},
	{"duplicate-decisions", HEADER("schedule", "2") "thread 0\nthread 1\ndecisions\ndecisions\n",
	 "t.txt:9:1: duplicate 'decisions' line (first on line 8)"},
	{"missing-header-line", "target schedule\nstrategy rr quantum 1\n",
	 "t.txt:2:1: missing 'threads' line before this one"},
	{"missing-operand", HEADER("schedule", "2") "thread 0\n  alloc\n",
	 "t.txt:7:8: missing alloc page count"},
	{"missing-keyword-operand", HEADER("schedule", "2") "thread 0\n  grow 5\n",
	 "t.txt:7:9: missing 'skip'"},
	{"extra-operand", HEADER("schedule", "2") "thread 0\n  free 1 2\n",
	 "t.txt:7:10: unexpected '2' after a complete 'free' line"},
	{"bad-zero-flag", HEADER("schedule", "2") "thread 0\n  alloc 3 zeroo\n",
	 "t.txt:7:11: expected 'zero' or the end of the line, got 'zeroo'"},
	{"op-before-thread", HEADER("schedule", "2") "  alloc 3\n",
	 "t.txt:6:3: operation before the 'thread 0' line"},
	{"run-before-decisions", HEADER("schedule", "2") "thread 0\n  run 0 for 1\n",
	 "t.txt:7:3: 'run' line before the 'decisions' line"},
	{"thread-after-decisions", HEADER("schedule", "2") "thread 0\nthread 1\ndecisions\nthread 2\n",
	 "t.txt:9:1: 'thread' after the 'decisions' line (only 'run' lines may follow)"},
	{"unknown-target", "target fuzz_nope\n",
	 "t.txt:1:8: unknown target 'fuzz_nope' (want schedule or needzero)"},
	{"control-character", "target schedule\nthr\001eads 2\n",
	 "t.txt:2:4: unexpected control character (byte 0x01)"},
	{"garbage-escaped", "\xff\xfe'x\n",
	 "t.txt:1:1: unknown keyword '\\xff\\xfe\\x27x'"},
	{"empty", "", "t.txt:1:1: missing 'target' line"},
	{"comments-only", "# nothing\n\n   # here\n", "t.txt:4:1: missing 'target' line"},
};

static void test_parse_error(const void *arg)
{
	const struct error_case *c = arg;
	const struct fz_profile *pr = &fz_profile_schedule;
	char err[256];

	CHECK(!fz_text_parse(c->text, "t.txt", &pr, &parsed, err, sizeof err));
	CHECK(pr == NULL);
	CHECK_STREQ(err, c->want);
}

/* Texts too long to write out: one op or decision past the limit. */
static size_t append(char *buf, size_t len, const char *s)
{
	size_t n = strlen(s);
	memcpy(buf + len, s, n + 1);
	return len + n;
}

static void test_too_many_ops(void)
{
	char err[256];
	size_t len = append(text, 0, HEADER("schedule", "2") "thread 0\n");

	for (unsigned i = 0; i < FZ_MAX_OPS; i++)
		len = append(text, len, "  free 0\n");
	len = append(text, len, "thread 1\ndecisions\n");
	CHECK_MSG(fz_text_parse(text, "t.txt", NULL, &parsed, err, sizeof err), "%s", err);
	CHECK_EQ_U(parsed.nops[0], FZ_MAX_OPS);

	len = append(text, 0, HEADER("schedule", "2") "thread 0\n");
	for (unsigned i = 0; i <= FZ_MAX_OPS; i++)
		len = append(text, len, "  free 0\n");
	CHECK(!fz_text_parse(text, "t.txt", NULL, &parsed, err, sizeof err));
	CHECK_STREQ(err, "t.txt:71:3: too many operations in thread 0 (at most 64)");
}

static void test_too_many_decisions(void)
{
	char err[256];
	size_t len = append(text, 0, HEADER("schedule", "2") "thread 0\nthread 1\ndecisions\n");

	for (unsigned i = 0; i < FZ_MAX_DECISIONS; i++)
		len = append(text, len, "  run 1 for 2\n");
	CHECK_MSG(fz_text_parse(text, "t.txt", NULL, &parsed, err, sizeof err), "%s", err);
	CHECK_EQ_U(parsed.ndecisions, FZ_MAX_DECISIONS);
	len = append(text, len, "  run 1 for 2\n");
	CHECK(!fz_text_parse(text, "t.txt", NULL, &parsed, err, sizeof err));
	CHECK_STREQ(err, "t.txt:4105:3: too many decisions (at most 4096)");
}

static void test_nul_byte(void)
{
	static const char with_nul[] = "target schedule\nthreads 2\0 3\n";
	char err[256];

	CHECK(!fz_text_parse_buf(with_nul, sizeof with_nul - 1, "t.txt", NULL, &parsed, err,
				 sizeof err));
	CHECK_STREQ(err, "t.txt:2:10: unexpected control character (byte 0x00)");
}

/* Error buffers of every size stay terminated and the default name shows. */
static void test_error_buffer(void)
{
	char err[12];

	memset(err, 'x', sizeof err);
	CHECK(!fz_text_parse("bogus\n", NULL, NULL, &parsed, err, sizeof err));
	CHECK_STREQ(err, "<text>:1:1:");
	CHECK(!fz_text_parse("bogus\n", NULL, NULL, &parsed, NULL, 0));
	CHECK(!fz_text_parse("bogus\n", NULL, NULL, &parsed, err, 1));
	CHECK_STREQ(err, "");
}

/* ---- encoder and formatter contracts -------------------------------------- */

static void minimal_schedule(struct fz_schedule *s)
{
	memset(s, 0, sizeof *s);
	s->nthreads = 2;
}

static void test_encode_rejects_foreign_op(void)
{
	static struct fz_schedule s;
	const char *why = NULL;
	char err[256];

	minimal_schedule(&s);
	s.nops[0] = 1;
	s.ops[0][0] = (struct fz_op){.kind = FZ_OP_GROW, .n = 1};
	CHECK(fz_encode(&fz_profile_schedule, &s, bytes, sizeof bytes, &why) > 0);
	CHECK_EQ_U(fz_encode(&fz_profile_needzero, &s, bytes, sizeof bytes, &why), 0);
	CHECK(why != NULL);

	/* The formatter spells it anyway, and the parser names the problem. */
	CHECK(fz_text_format(&fz_profile_needzero, &s, text, sizeof text) > 0);
	CHECK(!fz_text_parse(text, "t.txt", NULL, &parsed, err, sizeof err));
	CHECK_STREQ(err, "t.txt:7:3: operation 'grow' is not available in target needzero");

	minimal_schedule(&s);
	s.no_cache = true;
	CHECK_EQ_U(fz_encode(&fz_profile_needzero, &s, bytes, sizeof bytes, &why), 0);
	CHECK(why != NULL);
}

static void test_format_contract(void)
{
	static struct fz_schedule s;
	char small[20];

	fz_decode(&fz_profile_schedule, (const uint8_t *)"\x01\x04\x01\x04\x03\x02\x01", 7, &s);
	int len = fz_text_format(&fz_profile_schedule, &s, NULL, 0);
	CHECK(len > 0);
	CHECK_EQ_U(fz_text_format(&fz_profile_schedule, &s, small, sizeof small), len);
	CHECK_EQ_U(strlen(small), sizeof small - 1);
	CHECK(fz_text_format(&fz_profile_schedule, &s, text, sizeof text) == len);
	CHECK(strncmp(small, text, sizeof small - 1) == 0);
	CHECK_STREQ(text, "target schedule\nthreads 3\nstrategy random chance 1/3\nseed 0x01020304\n"
			  "caches off\nthread 0\nthread 1\nthread 2\ndecisions\n");

	char *dup = fz_text_format_alloc(&fz_profile_schedule, &s);
	CHECK(dup != NULL && strcmp(dup, text) == 0);
	free(dup);

	/* Schedules that cannot be spelled are refused, not half-printed. */
	s.nthreads = FZ_MAX_THREADS + 1;
	CHECK(fz_text_format(&fz_profile_schedule, &s, text, sizeof text) == -1);
	CHECK(fz_text_format_alloc(&fz_profile_schedule, &s) == NULL);
	minimal_schedule(&s);
	s.nops[1] = 1;
	s.ops[1][0].kind = FZ_OP_KINDS;
	CHECK(fz_text_format(&fz_profile_schedule, &s, text, sizeof text) == -1);
	minimal_schedule(&s);
	s.ndecisions = 1;
	s.decisions[0].thread = 2;
	CHECK(fz_text_format(&fz_profile_schedule, &s, text, sizeof text) == -1);
}

/* The comparator the round trips rely on sees every field and no padding. */
static void test_schedule_same(void)
{
	static struct fz_schedule a, b;
	static const uint8_t seed[] = {2, 3, 1, 9, 9, 9, 9, 2, 0x00, 40, 0x03, 0, 0, 0, 0, 5, 2, 1, 200};
	char why[128];

	fz_decode(&fz_profile_schedule, seed, sizeof seed, &a);
	CHECK_EQ_U(a.nops[0], 2);
	CHECK_EQ_U(a.ndecisions, 2);
	b = a;
	CHECK(fz_schedule_same(&a, &b, why, sizeof why));
	/* Slots past the counts are not part of the schedule. */
	b.ops[0][5].n = 77;
	b.decisions[100].run = 1;
	b.nops[7] = 3;
	CHECK(fz_schedule_same(&a, &b, why, sizeof why));

#define MUTATED(field, value, want)                                                          \
	do {                                                                                 \
		b = a;                                                                       \
		b.field = value;                                                             \
		CHECK(!fz_schedule_same(&a, &b, why, sizeof why));                           \
		CHECK_STREQ(why, want);                                                      \
	} while (0)
	MUTATED(nthreads, 5, "nthreads 4 vs 5");
	MUTATED(strategy, 2, "strategy 0 vs 2");
	MUTATED(param, 3, "param 1 vs 3");
	MUTATED(no_cache, false, "no_cache 1 vs 0");
	MUTATED(seed, 1, "seed 151587081 vs 1");
	MUTATED(nops[1], 1, "thread 1: 0 vs 1 operations");
	MUTATED(ops[0][0].kind, FZ_OP_FREE, "thread 0 op 0: kind 0 vs 1");
	MUTATED(ops[0][0].zero, true, "thread 0 op 0: zero 0 vs 1");
	MUTATED(ops[0][0].n, 2, "thread 0 op 0: n 11 vs 2");
	MUTATED(ops[0][1].sel, 9, "thread 0 op 1: sel 0 vs 9");
	MUTATED(ops[0][1].page, 9, "thread 0 op 1: page 0 vs 9");
	MUTATED(ndecisions, 1, "2 vs 1 decisions");
	MUTATED(decisions[1].run, 9, "decision 1: run 1 for 200 vs run 1 for 9");
#undef MUTATED
}

/* ---- mutated and random texts --------------------------------------------- */

/* An error is "NAME:LINE:COL: message" with the position inside the text and
 * nothing unprintable in it. */
static void check_error_shape(const char *err, const char *buf, size_t len, unsigned id)
{
	unsigned line = 0, col = 0, lines = 1, longest = 0, cur = 0;
	int used = 0;

	for (size_t i = 0; i < len; i++) {
		cur = buf[i] == '\n' ? 0 : cur + 1;
		lines += buf[i] == '\n';
		longest = cur > longest ? cur : longest;
	}
	CHECK_MSG(sscanf(err, "g.txt:%u:%u: %n", &line, &col, &used) == 2 && used > 0 && err[used],
		  "case %u: malformed error '%s'", id, err);
	CHECK_MSG(line >= 1 && line <= lines && col >= 1 && col <= longest + 1,
		  "case %u: position %u:%u outside the text", id, line, col);
	for (const char *c = err; *c; c++)
		CHECK_MSG((unsigned char)*c >= 0x20 && (unsigned char)*c < 0x7f,
			  "case %u: unprintable byte in error", id);
}

static void mutate(char *buf, size_t *len, size_t cap)
{
	static const char pieces[] = "0123456789 x#\n-/zero run thread alloc 0x1ff";
	size_t at = *len ? rng_below((unsigned)*len) : 0;

	switch (rng_below(4)) {
	case 0: /* overwrite with anything */
		if (*len)
			buf[at] = (char)rng_next();
		break;
	case 1: /* overwrite with something the grammar uses */
		if (*len)
			buf[at] = pieces[rng_below(sizeof pieces - 1)];
		break;
	case 2: { /* cut a span */
		size_t n = rng_below(12);
		n = n > *len - at ? *len - at : n;
		memmove(buf + at, buf + at + n, *len - at - n);
		*len -= n;
		break;
	}
	default: /* repeat a span, which duplicates lines and words */
		if (*len && *len + 40 <= cap) {
			size_t n = 1 + rng_below(40);
			n = n > *len - at ? *len - at : n;
			memmove(buf + at + n, buf + at, *len - at);
			*len += n;
		}
		break;
	}
}

static void check_mutant(const char *src, size_t len, unsigned id, unsigned *accepted)
{
	char *buf = malloc(len ? len : 1); /* exact size: ASan sees any overread */
	const struct fz_profile *pr;
	char err[256], why[128];
	const char *ewhy = NULL;

	memcpy(buf, src, len);
	if (!fz_text_parse_buf(buf, len, "g.txt", &pr, &parsed, err, sizeof err)) {
		check_error_shape(err, buf, len, id);
	} else {
		++*accepted;
		CHECK(fz_text_format(pr, &parsed, text2, sizeof text2) > 0);
		CHECK_MSG(fz_text_parse(text2, "g2.txt", &pr, &redecoded, err, sizeof err), "%s", err);
		CHECK_MSG(fz_schedule_same(&parsed, &redecoded, why, sizeof why), "case %u: %s", id, why);
		CHECK_MSG(fz_encode(pr, &parsed, bytes, sizeof bytes, &ewhy) > 0, "case %u: %s", id,
			  ewhy ? ewhy : "?");
	}
	free(buf);
}

static void test_mutated_texts(void)
{
	static char buf[TEXT_CAP];
	uint8_t b[200];
	unsigned accepted = 0, cases = 0;

	rng_state = 0xbadc0de;
	for (unsigned i = 0; i < 600; i++) {
		const struct fz_profile *pr = profiles[i % 2];
		size_t n = rng_below(sizeof b + 1);
		rng_fill(b, n);
		fz_decode(pr, b, n, &decoded);
		size_t len = (size_t)fz_text_format(pr, &decoded, buf, sizeof buf / 2);
		unsigned rounds = 1 + rng_below(3);
		for (unsigned r = 0; r < rounds; r++)
			mutate(buf, &len, sizeof buf);
		check_mutant(buf, len, cases++, &accepted);
	}
	for (unsigned i = 0; i < 300; i++) {
		size_t n = rng_below(300);
		rng_fill((uint8_t *)buf, n);
		check_mutant(buf, n, cases++, &accepted);
	}
	/* Both outcomes must occur, or the mutations test nothing. */
	CHECK_MSG(accepted >= 10 && accepted < cases - 100, "%u of %u accepted", accepted, cases);
}

int main(int argc, char **argv)
{
	ph_test_init(argc, argv);
	ph_test_run_arg("text_roundtrip_random_schedule", test_roundtrip_random, &fz_profile_schedule);
	ph_test_run_arg("text_roundtrip_random_needzero", test_roundtrip_random, &fz_profile_needzero);
	ph_test_run_arg("text_roundtrip_long_schedule", test_roundtrip_long, &fz_profile_schedule);
	ph_test_run_arg("text_roundtrip_long_needzero", test_roundtrip_long, &fz_profile_needzero);
	ph_test_run("text_empty_input", test_empty_input);
	for (size_t i = 0; i < sizeof canonical_cases / sizeof canonical_cases[0]; i++) {
		char name[80];
		snprintf(name, sizeof name, "text_canonical_%s", canonical_cases[i].name);
		ph_test_run_arg(name, test_canonical, &canonical_cases[i]);
	}
	ph_test_run("text_ops_each_kind", test_ops_each_kind);
	ph_test_run("text_lenient_spellings", test_lenient_spellings);
	for (size_t i = 0; i < sizeof error_cases / sizeof error_cases[0]; i++) {
		char name[80];
		snprintf(name, sizeof name, "text_error_%s", error_cases[i].name);
		ph_test_run_arg(name, test_parse_error, &error_cases[i]);
	}
	ph_test_run("text_error_too_many_ops", test_too_many_ops);
	ph_test_run("text_error_too_many_decisions", test_too_many_decisions);
	ph_test_run("text_error_nul_byte", test_nul_byte);
	ph_test_run("text_error_buffer", test_error_buffer);
	ph_test_run("text_encode_rejects_foreign_op", test_encode_rejects_foreign_op);
	ph_test_run("text_format_contract", test_format_contract);
	ph_test_run("text_schedule_same", test_schedule_same);
	ph_test_run("text_mutated_texts", test_mutated_texts);
	return ph_test_finish();
}
