/*
 * test_feedback.c - the interleaving features (fz_feedback.h).
 *
 *  - deterministic: the same input sets the same counters, run after run
 *    and whatever ran in between (hand-written and random schedules)
 *  - cas-race: one program under two schedules that differ only in who
 *    wins the CAS race sets different counters, and the difference is the
 *    reads-from pair of the failed CAS and where the reload landed
 *  - named features: a lock hand-off, decisions ending out of address
 *    order, a reload inside the range (the overlap detector's case)
 *  - off: with feedback off libFuzzer's counters stay untouched, even when
 *    the features are still counted (FZ_STATS)
 *  - free-running: parallel threads record features without a data race
 *    (TSan builds run this too)
 *  - per input: with feedback_per_input (FZ_EXPLORE's many runs of one
 *    input) a run adds to libFuzzer's counters instead of clearing them
 * The pre-seed (locked) variant throws on out-of-order ranges by design, so
 * there the race schedules are replaced by the plain store's reads-from
 * pair.
 */
#include <stdlib.h>
#include <string.h>

#include "fz_feedback.h"
#include "fz_run.h"
#include "fz_text.h"
#include "ph_test.h"

static uint8_t first[FZ_FEEDBACK_COUNTERS], second[FZ_FEEDBACK_COUNTERS];

/* Failures are returned in the outcome instead of aborting the test. */
static void on_failure(const struct fz_outcome *o, void *arg)
{
	(void)o;
	(void)arg;
}

static struct fz_runner *new_runner_cfg(bool feedback, bool count, bool freerun, bool per_input)
{
	char err[200];
	struct fz_config cfg = {.engine = freerun ? FZ_ENGINE_PTHREAD : fz_engine_default(), .freerun = freerun,
				.feedback = feedback, .count_features = count, .feedback_per_input = per_input};
	struct fz_runner *r = fz_runner_new(&cfg, err, sizeof err);
	CHECK_MSG(r != NULL, "runner: %s", err);
	if (r != NULL)
		fz_runner_on_failure(r, on_failure, NULL);
	return r;
}

static struct fz_runner *new_runner(bool feedback, bool count, bool freerun)
{
	return new_runner_cfg(feedback, count, freerun, false);
}

/* Parses text into *s (static storage: the runner keeps a pointer). */
static const struct fz_profile *parse(const char *text, struct fz_schedule *s)
{
	const struct fz_profile *pr = NULL;
	char err[200];
	CHECK_MSG(fz_text_parse(text, "t.txt", &pr, s, err, sizeof err), "%s", err);
	return pr;
}

/* Runs s and copies libFuzzer's counters into out; returns how many are set. */
static unsigned run_counters(struct fz_runner *r, const struct fz_profile *pr, const struct fz_schedule *s,
			     uint8_t *out, struct fz_outcome *o)
{
	fz_runner_run(r, pr, s, o);
	CHECK_MSG(!o->failed, "verdict %s: %s", o->verdict.oracle, o->verdict.msg);
	memcpy(out, fz_feedback_libfuzzer_counters, FZ_FEEDBACK_COUNTERS);
	unsigned n = 0;
	for (unsigned i = 0; i < FZ_FEEDBACK_COUNTERS; i++)
		n += out[i] != 0;
	return n;
}

static bool has(const uint8_t *c, uint32_t key)
{
	return c[fz_feedback_index(key)] != 0;
}

/* ---- schedules ------------------------------------------------------------- */

/* Two adjacent claims in one arena.  "Sequential": T0 decides, then T1.
 * "Race": T0 loads zeroedBase, T1 claims and raises it to 20, T0's CAS
 * fails and the reload finds the mark above T0's range. */
#define ADJACENT_PROGRAM                                                    \
	"target needzero\nthreads 2\nstrategy rr quantum 1\nseed 0x00000002\ncaches on\n" \
	"thread 0\n  claim arena 0 page 0 pages 10\n"                       \
	"thread 1\n  claim arena 0 page 10 pages 10\n"
static const char *const sequential = ADJACENT_PROGRAM "decisions\n  run 0 for 20\n  run 1 for 20\n";
#if !PH_ZEROING_LOCKED
static const char *const race = ADJACENT_PROGRAM "decisions\n  run 0 for 2\n  run 1 for 5\n  run 0 for 20\n";

/* T1's claim [12,15) completes between T0's load and CAS for [10,20): the
 * reload lands inside T0's range (an injected overlap the detector catches). */
static const char *const overlap_inside =
	"target needzero\nthreads 2\nstrategy rr quantum 1\nseed 0x00000002\ncaches on\n"
	"thread 0\n  claim arena 0 page 10 pages 10\n"
	"thread 1\n  claim arena 0 page 12 pages 3\n"
	"decisions\n  run 0 for 2\n  run 1 for 5\n  run 0 for 20\n";
#endif

/* Four threads take the heap lock in turn (corpus/schedule/lock-contention;
 * without page caches in the pre-seed variant, which needs address order). */
#if PH_ZEROING_LOCKED
#define CACHES "caches off\n"
#else
#define CACHES "caches on\n"
#endif
static const char *const lock_contention =
	"target schedule\nthreads 4\nstrategy rr quantum 1\nseed 0x00000007\n" CACHES
	"thread 0\n  alloc 16\n  alloc 1\n  free 0\n"
	"thread 1\n  alloc 17\n  alloc 2\n  destroy-p\n"
	"thread 2\n  alloc 300\n  alloc 3\n"
	"thread 3\n  alloc 18\n  free 0\n  alloc 1\n"
	"decisions\n";

#if !PH_ZEROING_LOCKED
/* P1's block [64,128) is used before P0 returns for pages 1..2 of [0,64)
 * (corpus/schedule/out-of-order-caches): decisions end out of order. */
static const char *const out_of_order =
	"target schedule\nthreads 2\nstrategy rr quantum 1\nseed 0x00000001\ncaches on\n"
	"thread 0\n  grow 512 skip 0\n  alloc 1\n  alloc 2\n"
	"thread 1\n  alloc 3\n"
	"decisions\n  run 0 for 9\n  run 1 for 10\n  run 0 for 30\n";
#endif

#if PH_ZEROING_LOCKED
static const char *const texts[] = {sequential, lock_contention};
#else
static const char *const texts[] = {sequential, race, overlap_inside, lock_contention, out_of_order};
#endif
#define NTEXTS (sizeof texts / sizeof texts[0])

/* ---- tests ------------------------------------------------------------------ */

static void test_deterministic(void)
{
	static struct fz_schedule s[NTEXTS], rnd;
	const struct fz_profile *pr[NTEXTS];
	struct fz_runner *r = new_runner(true, false, false);
	if (r == NULL)
		return;
	struct fz_outcome o;
	for (unsigned i = 0; i < NTEXTS; i++)
		pr[i] = parse(texts[i], &s[i]);
	/* Each text twice, with the others run in between the second time. */
	for (unsigned i = 0; i < NTEXTS; i++) {
		unsigned n = run_counters(r, pr[i], &s[i], first, &o);
		for (unsigned k = 0; k < NTEXTS; k++)
			run_counters(r, pr[k], &s[k], second, &o);
		run_counters(r, pr[i], &s[i], second, &o);
		CHECK_MSG(n > 0, "text %u set no counter", i);
		CHECK_MSG(memcmp(first, second, sizeof first) == 0, "text %u set other counters the second time", i);
	}
	/* Random byte strings, each decoded and run twice. */
	uint64_t x = 0x2545F4914F6CDD1Dull;
	static uint8_t buf[600];
	unsigned nonzero = 0;
	for (unsigned k = 0; k < 30; k++) {
		for (size_t j = 0; j < sizeof buf; j++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			buf[j] = (uint8_t)x;
		}
		const struct fz_profile *p = k % 2 ? &fz_profile_needzero : &fz_profile_schedule;
		fz_decode(p, buf, 40 + k * 18, &rnd);
		fz_runner_run(r, p, &rnd, &o);
		bool failed = o.failed; /* the pre-seed variant throws on out-of-order ranges */
		memcpy(first, fz_feedback_libfuzzer_counters, sizeof first);
		fz_runner_run(r, p, &rnd, &o);
		CHECK_EQ_U(o.failed, failed);
		memcpy(second, fz_feedback_libfuzzer_counters, sizeof second);
		CHECK_MSG(memcmp(first, second, sizeof first) == 0, "random input %u set other counters the second time", k);
		for (unsigned i = 0; i < FZ_FEEDBACK_COUNTERS; i++)
			nonzero += first[i] != 0;
	}
	CHECK_MSG(nonzero > 0, "random inputs set no counter at all");
	fz_runner_free(r);
}

#if !PH_ZEROING_LOCKED
static void test_cas_race(void)
{
	static struct fz_schedule a, b;
	const struct fz_profile *pr = parse(sequential, &a);
	parse(race, &b);
	struct fz_runner *r = new_runner(true, false, false);
	if (r == NULL || pr == NULL)
		return;
	struct fz_outcome oa, ob;
	run_counters(r, pr, &a, first, &oa);
	run_counters(r, pr, &b, second, &ob);
	CHECK_EQ_U(oa.cas_failures, 0);
	CHECK_EQ_U(ob.cas_failures, 1);
	CHECK_MSG(memcmp(first, second, sizeof first) != 0, "the CAS race outcome changed no counter");
	/* Sequential: T0's CAS read the arena's initial value; T1's load
	 * read T0's first-try CAS, written before T1's decision began. */
	uint32_t t0_cas = fz_fb_key(FZ_FB_READ, FZ_RD_CAS_OK, FZ_WR_NONE, FZ_REL_NONE, 0);
	uint32_t t1_load = fz_fb_key(FZ_FB_READ, FZ_RD_LOAD, FZ_WR_CAS_FIRST, FZ_REL_BEFORE, 0);
	CHECK(has(first, t0_cas) && has(first, t1_load));
	/* Race: T0's CAS failed on T1's write, made during T0's decision by a
	 * decision that had ended; the reload found the mark above T0's range
	 * after one attempt; T1's load overlapped T0's decision in flight. */
	uint32_t failed = fz_fb_key(FZ_FB_READ, FZ_RD_CAS_FAIL, FZ_WR_CAS_FIRST, FZ_REL_DURING_DONE, 0);
	uint32_t reload = fz_fb_key(FZ_FB_WHERE, FZ_RD_RELOAD, FZ_POS_ABOVE, 1, 0);
	uint32_t in_flight = fz_fb_key(FZ_FB_READ, FZ_RD_LOAD, FZ_WR_NONE, FZ_REL_NONE, 1);
	CHECK(has(second, failed) && has(second, reload) && has(second, in_flight));
	CHECK(!has(first, failed) && !has(first, reload) && !has(first, in_flight));
	fz_runner_free(r);
}

/* Two runs of one input under FZ_EXPLORE: the second adds its features to
 * the first's (libFuzzer clears the counters between inputs, not runs). */
static void test_per_input(void)
{
	static struct fz_schedule a, b;
	const struct fz_profile *pr = parse(sequential, &a);
	parse(race, &b);
	uint32_t seq_only = fz_fb_key(FZ_FB_READ, FZ_RD_LOAD, FZ_WR_CAS_FIRST, FZ_REL_BEFORE, 0);
	uint32_t race_only = fz_fb_key(FZ_FB_READ, FZ_RD_CAS_FAIL, FZ_WR_CAS_FIRST, FZ_REL_DURING_DONE, 0);
	struct fz_outcome o;
	for (int per_input = 0; per_input < 2; per_input++) {
		struct fz_runner *r = new_runner_cfg(true, false, false, per_input);
		if (r == NULL || pr == NULL)
			return;
		memset(fz_feedback_libfuzzer_counters, 0, FZ_FEEDBACK_COUNTERS); /* as libFuzzer does */
		run_counters(r, pr, &a, first, &o);
		CHECK(has(first, seq_only) && !has(first, race_only));
		run_counters(r, pr, &b, second, &o);
		CHECK(has(second, race_only));
		CHECK_MSG(has(second, seq_only) == (per_input != 0), "per_input %d: the first run's features %s", per_input,
			  per_input ? "were erased" : "were kept");
		for (unsigned i = 0; i < FZ_FEEDBACK_COUNTERS && per_input; i++)
			CHECK_MSG(second[i] >= first[i], "counter %u went down from %u to %u", i, first[i], second[i]);
		fz_runner_free(r);
	}
}

static void test_named_features(void)
{
	static struct fz_schedule s;
	struct fz_runner *r = new_runner(true, false, false);
	if (r == NULL)
		return;
	struct fz_outcome o;
	const struct fz_profile *pr = parse(overlap_inside, &s);
	run_counters(r, pr, &s, first, &o);
	CHECK(o.detector_fired);
	CHECK(has(first, fz_fb_key(FZ_FB_WHERE, FZ_RD_RELOAD, FZ_POS_INSIDE, 1, 0)));
	CHECK(has(first, fz_fb_key(FZ_FB_BEGIN, 1, true, false, false))); /* T1 began inside T0's range */

	pr = parse(out_of_order, &s);
	run_counters(r, pr, &s, first, &o);
	CHECK(has(first, fz_fb_key(FZ_FB_END, true, 0, FZ_ORD_DOWN, false))); /* no CAS: the mark is above */
	CHECK(!has(first, fz_fb_key(FZ_FB_END, true, 0, FZ_ORD_DOWN, true)));
	fz_runner_free(r);
}
#else
/* The pre-seed decision raises the mark by a plain store under the heap
 * lock: the next decision reads a store made before it began. */
static void test_store_site(void)
{
	static struct fz_schedule s;
	struct fz_runner *r = new_runner(true, false, false);
	const struct fz_profile *pr = parse(lock_contention, &s);
	if (r == NULL || pr == NULL)
		return;
	struct fz_outcome o;
	run_counters(r, pr, &s, first, &o);
	bool store_read = false;
	for (unsigned n = 0; n < 4; n++)
		store_read |= has(first, fz_fb_key(FZ_FB_READ, FZ_RD_LOAD, FZ_WR_STORE, FZ_REL_BEFORE, n));
	CHECK(store_read);
	fz_runner_free(r);
}
#endif

/* Heap-lock hand-offs, in both variants. */
static void test_lock_handoff(void)
{
	static struct fz_schedule s;
	struct fz_runner *r = new_runner(true, false, false);
	const struct fz_profile *pr = parse(lock_contention, &s);
	if (r == NULL || pr == NULL)
		return;
	struct fz_outcome o;
	run_counters(r, pr, &s, first, &o);
	CHECK(has(first, fz_fb_key(FZ_FB_LOCK, FZ_HO_FIRST, false, 0, 0)));
	CHECK(has(first, fz_fb_key(FZ_FB_LOCK, FZ_HO_OTHER, true, 0, 0))); /* waited, then handed over */
	fz_runner_free(r);
}

static void test_off(void)
{
	static struct fz_schedule s;
	const struct fz_profile *pr = parse(texts[NTEXTS - 1], &s);
	struct fz_outcome o;
	for (int count = 0; count < 2; count++) {
		struct fz_runner *r = new_runner(false, count, false);
		if (r == NULL || pr == NULL)
			return;
		memset(fz_feedback_libfuzzer_counters, 0, FZ_FEEDBACK_COUNTERS);
		unsigned n = run_counters(r, pr, &s, first, &o);
		CHECK_MSG(n == 0, "feedback off%s set %u of libFuzzer's counters", count ? " (counting)" : "", n);
		if (count) {
			CHECK(o.features > 0 && o.features_seen == o.features);
			fz_runner_run(r, pr, &s, &o);
			CHECK_EQ_U(o.features_seen, o.features); /* the same input adds nothing new */
		} else {
			CHECK_EQ_U(o.features, 0);
		}
		fz_runner_free(r);
	}
	/* On, counting: the private count and libFuzzer's array agree. */
	struct fz_runner *r = new_runner(true, true, false);
	if (r == NULL)
		return;
	unsigned n = run_counters(r, pr, &s, first, &o);
	CHECK_EQ_U(o.features, n);
	fz_runner_free(r);
}

static void test_freerun(void)
{
	static struct fz_schedule s;
	const struct fz_profile *pr = parse(lock_contention, &s);
	struct fz_runner *r = new_runner(true, true, true);
	if (r == NULL || pr == NULL)
		return;
	struct fz_outcome o;
	uint64_t most = 0;
	for (int k = 0; k < 20; k++) {
		fz_runner_run(r, pr, &s, &o);
		CHECK_MSG(!o.failed, "verdict %s: %s", o.verdict.oracle, o.verdict.msg);
		most = o.features > most ? o.features : most;
	}
	CHECK_MSG(most > 0, "free-running threads set no counter");
	fz_runner_free(r);
}

int main(int argc, char **argv)
{
	ph_test_init(argc, argv);
	ph_test_run("feedback/deterministic", test_deterministic);
#if !PH_ZEROING_LOCKED
	ph_test_run("feedback/cas-race", test_cas_race);
	ph_test_run("feedback/named-features", test_named_features);
	ph_test_run("feedback/per-input", test_per_input);
#else
	ph_test_run("feedback/store-site", test_store_site);
#endif
	ph_test_run("feedback/lock-handoff", test_lock_handoff);
	ph_test_run("feedback/off", test_off);
	ph_test_run("feedback/freerun", test_freerun);
	return ph_test_finish();
}
