/*
 * test_canary.c - the controlled scheduler hides nothing and hangs on
 * nothing.
 *
 *  - race (TSan builds): two schedule threads increment a plain counter
 *    with a scheduling point in between.  The scheduler serialises them,
 *    but its hand-off creates no happens-before edge, so ThreadSanitizer
 *    must report the race; the same increments under the heap lock (a real
 *    synchronisation) must not be reported.  Each runs in a child process
 *    (this binary re-executed) so the report can be observed.
 *  - overlap (TSan builds): two threads own one heap page; the memory
 *    oracles' per-page announcement makes TSan report it, although their
 *    bulk passes are hidden from it; under the heap lock, no report.
 *  - deadlock: a thread finishes holding the heap lock while another waits
 *    for it: reported as DEADLOCK, with a trace, instead of hanging.
 *  - livelock: a thread passes scheduling points forever: reported as
 *    LIVELOCK once the step budget is spent, with a trace.
 * Both engines are exercised.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fz_oracle.h"
#include "fz_run.h"
#include "fz_sanitizer.h"
#include "ph_hooks.h"
#include "ph_test.h"

static struct fz_schedule two_threads(uint8_t strategy)
{
	struct fz_schedule s;
	memset(&s, 0, sizeof s);
	s.nthreads = 2;
	s.strategy = strategy;
	s.seed = 1;
	return s;
}

struct capture {
	bool failed;
	struct fz_verdict v;
};

static void on_failure(const struct fz_outcome *o, void *arg)
{
	struct capture *c = arg;
	c->failed = true;
	c->v = o->verdict;
}

static struct fz_runner *new_runner_cfg(struct fz_config cfg, struct capture *cap)
{
	char err[200];
	struct fz_runner *r = fz_runner_new(&cfg, err, sizeof err);
	if (r == NULL) {
		fprintf(stderr, "runner: %s\n", err);
		return NULL;
	}
	fz_runner_on_failure(r, on_failure, cap);
	return r;
}

static struct fz_runner *new_runner(enum fz_engine_kind engine, uint64_t budget, struct capture *cap)
{
	return new_runner_cfg((struct fz_config){.engine = engine, .budget = budget}, cap);
}

/* Runs body on two threads with the strategy; checks that the input failed
 * with the oracle named.  Fills *out.  The schedule is static: the runner
 * refers to it until its next input (fz_runner_print_trace reads it). */
static void expect_failure(struct fz_runner *r, const struct capture *cap, uint8_t strategy, fz_body_fn body,
			   void *arg, const char *oracle, struct fz_outcome *out)
{
	static struct fz_schedule s;
	s = two_threads(strategy);
	fz_runner_run_bodies(r, &s, body, arg, out);
	CHECK(out->failed && cap->failed);
	CHECK_MSG(cap->v.oracle != NULL && strcmp(cap->v.oracle, oracle) == 0, "verdict %s, want %s",
		  cap->v.oracle ? cap->v.oracle : "none", oracle);
}

/* After a failed input the runner recovers: the next input runs normally. */
static void check_recovers(struct fz_runner *r)
{
	static struct fz_schedule ok; /* static for the same reason */
	ok = two_threads(FZ_STRAT_RR);
	struct fz_outcome out;
	fz_runner_run(r, &fz_profile_schedule, &ok, &out);
	CHECK(!out.failed);
}

/* The trace of the last run, as a string the caller frees. */
static char *trace_text(struct fz_runner *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	fz_runner_print_trace(r, f);
	fclose(f);
	return buf;
}

/* ---- deadlock ----------------------------------------------------------- */

static void lock_and_leave(int tid, void *arg)
{
	struct fz_runner *r = arg;
	ph_mutex_lock(ph_heap_lock(fz_runner_heap(r)));
	(void)tid; /* thread 0 never unlocks; thread 1 waits forever */
}

static void run_deadlock(const void *arg)
{
	enum fz_engine_kind engine = *(const enum fz_engine_kind *)arg;
	struct capture cap = {0};
	struct fz_runner *r = new_runner(engine, 0, &cap);
	CHECK(r != NULL);
	if (r == NULL)
		return;
	struct fz_outcome out;
	expect_failure(r, &cap, FZ_STRAT_RR, lock_and_leave, r, "DEADLOCK", &out);
	char *t = trace_text(r);
	CHECK_MSG(strstr(t, "waits for heap lock") != NULL && strstr(t, "!! DEADLOCK") != NULL,
		  "trace shows the wait and the verdict:\n%s", t);
	free(t);
	check_recovers(r);
	fz_runner_free(r);
}

/* ---- livelock ----------------------------------------------------------- */

static void spin_forever(int tid, void *arg)
{
	(void)arg;
	if (tid == 0)
		for (;;)
			ph_hook_point(PH_PT_ZB_LOAD, 0); /* retries that never succeed */
}

static void run_livelock(const void *arg)
{
	enum fz_engine_kind engine = *(const enum fz_engine_kind *)arg;
	struct capture cap = {0};
	struct fz_runner *r = new_runner(engine, 1000, &cap);
	CHECK(r != NULL);
	if (r == NULL)
		return;
	struct fz_outcome out;
	expect_failure(r, &cap, FZ_STRAT_PCT, spin_forever, NULL, "LIVELOCK", &out);
	CHECK(out.steps > 1000);
	char *t = trace_text(r);
	CHECK_MSG(strstr(t, "!! LIVELOCK") != NULL, "trace shows the verdict:\n%s", t);
	free(t);
	fz_runner_free(r);
}

/* Free-running threads are not scheduled, yet a thread that loops forever
 * still ends the input: it counts its own scheduling points. */
static void run_livelock_freerun(void)
{
	struct capture cap = {0};
	struct fz_runner *r = new_runner_cfg((struct fz_config){.engine = FZ_ENGINE_PTHREAD, .freerun = true,
								.budget = 1000},
					     &cap);
	CHECK(r != NULL);
	if (r == NULL)
		return;
	struct fz_outcome out;
	expect_failure(r, &cap, FZ_STRAT_RR, spin_forever, NULL, "LIVELOCK", &out);
	CHECK_MSG(strstr(cap.v.msg, "thread T0 passed 1000 scheduling points") != NULL, "message: %s", cap.v.msg);
	check_recovers(r);
	fz_runner_free(r);
}

/* ---- data race (TSan) ----------------------------------------------------- */

#ifdef FZ_TSAN
static long counter; /* deliberately unprotected */

static void racy_increments(int tid, void *arg)
{
	(void)tid;
	(void)arg;
	for (int i = 0; i < 3; i++) {
		long v = counter;
		ph_hook_point(PH_PT_ZB_LOAD, 0); /* the scheduler switches here */
		counter = v + 1;
	}
}

static void locked_increments(int tid, void *arg)
{
	struct fz_runner *r = arg;
	(void)tid;
	for (int i = 0; i < 3; i++) {
		ph_mutex_lock(ph_heap_lock(fz_runner_heap(r)));
		counter++;
		ph_mutex_unlock(ph_heap_lock(fz_runner_heap(r)));
	}
}

/*
 * Two threads that both believe they own one heap page, as after an
 * allocator bug hands it out twice: thread 0 allocates it and writes its
 * pattern (what the runner does after an allocation), thread 1 then treats
 * the same page as its own fresh allocation (Z1's zero check, then its
 * pattern).  The memory oracles check bytes out of TSan's sight; their
 * per-page announcement is what must make TSan report this race.  The
 * address travels through a relaxed atomic, which creates no
 * happens-before edge and no race of its own.  In the locked variant both
 * threads touch the page only under the heap lock: no report.
 */
static uintptr_t shared_page;

static void two_owners(struct fz_runner *r, int tid, bool locked)
{
	ph_heap *h = fz_runner_heap(r);
	const ph_geom *g = ph_heap_geom(h);
	struct fz_verdict v;
	if (tid == 0) {
		ph_span s = ph_alloc_span(h, NULL, 1, false);
		if (s.base == 0)
			abort();
		fprintf(stderr, "canary page %p\n", ph_heap_ptr(h, s.base)); /* the report must name it */
		if (locked)
			ph_mutex_lock(ph_heap_lock(h));
		fz_fill_pattern(g, ph_heap_ptr(h, s.base), ph_page_size(g), 1, 0);
		if (locked)
			ph_mutex_unlock(ph_heap_lock(h));
		__atomic_store_n(&shared_page, s.base, __ATOMIC_RELAXED);
		return;
	}
	uintptr_t base;
	while ((base = __atomic_load_n(&shared_page, __ATOMIC_RELAXED)) == 0)
		ph_hook_point(PH_PT_ZB_LOAD, 0); /* let thread 0 run */
	if (locked)
		ph_mutex_lock(ph_heap_lock(h));
	(void)fz_check_zero(g, base, ph_heap_ptr(h, base), ph_page_size(g), 2, false, &v);
	fz_fill_pattern(g, ph_heap_ptr(h, base), ph_page_size(g), 2, 0);
	if (locked)
		ph_mutex_unlock(ph_heap_lock(h));
}

static void two_owners_racy(int tid, void *arg)
{
	two_owners(arg, tid, false);
}

static void two_owners_locked(int tid, void *arg)
{
	two_owners(arg, tid, true);
}

/* Child mode: run one schedule and exit 0; TSan exits 66 on a report. */
static int child(const char *what, const char *engine_name)
{
	enum fz_engine_kind engine;
	if (!fz_engine_kind_parse(engine_name, &engine))
		return 2;
	struct capture cap = {0};
	struct fz_runner *r = new_runner(engine, 0, &cap);
	if (r == NULL)
		return 3;
	struct fz_schedule s = two_threads(FZ_STRAT_RR); /* switches at every point */
	struct fz_outcome out;
	fz_body_fn body = strcmp(what, "race") == 0	     ? racy_increments
			  : strcmp(what, "locked") == 0	     ? locked_increments
			  : strcmp(what, "overlap") == 0     ? two_owners_racy
			  : strcmp(what, "overlap-locked") == 0 ? two_owners_locked
							     : NULL;
	if (body == NULL)
		return 2;
	fz_runner_run_bodies(r, &s, body, r, &out);
	fz_runner_free(r);
	return out.failed ? 4 : 0;
}

static const char *self_path;

/* Runs this binary as a child; returns its exit status, stderr in *err. */
static int run_child(const char *what, const char *engine, char **err)
{
	int fd[2];
	if (pipe(fd) != 0)
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		dup2(fd[1], 2);
		close(fd[0]);
		setenv("TSAN_OPTIONS", "halt_on_error=1 exitcode=66", 1);
		execl(self_path, self_path, "--canary-child", what, engine, (char *)NULL);
		_exit(127);
	}
	close(fd[1]);
	size_t cap = 1 << 16, len = 0;
	*err = calloc(cap, 1);
	ssize_t n;
	while ((n = read(fd[0], *err + len, cap - 1 - len)) > 0)
		len += (size_t)n;
	close(fd[0]);
	int status;
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Does TSan's report in err name an access of the page the child printed
 * ("Read of size 1 at 0x... by thread ...")? */
static bool report_names_page(const char *err)
{
	const char *at = strstr(err, "canary page ");
	void *page;
	if (at == NULL || sscanf(at, "canary page %p", &page) != 1)
		return false;
	for (const char *q = strstr(err, " of size "); q != NULL; q = strstr(q + 1, " of size ")) {
		const char *a = strstr(q, " at 0x");
		if (a != NULL && strtoull(a + 4, NULL, 16) == (unsigned long long)(uintptr_t)page)
			return true;
	}
	return false;
}

/* Heap pages: two owners of one page race in TSan's eyes although the
 * oracles' bulk passes are hidden from it. */
static void run_overlap(const void *arg)
{
	const char *engine = arg;
	char *err = NULL;
	int rc = run_child("overlap", engine, &err);
	CHECK_MSG(rc == 66 && strstr(err, "ThreadSanitizer: data race") != NULL && report_names_page(err),
		  "two owners of a page on %s: exit %d, expected TSan's report of a race on that page (66):\n%s",
		  engine, rc, err);
	free(err);
	rc = run_child("overlap-locked", engine, &err);
	CHECK_MSG(rc == 0 && strstr(err, "ThreadSanitizer") == NULL,
		  "the same page under the heap lock on %s: exit %d, expected no report:\n%s", engine, rc, err);
	free(err);
}

static void run_race(const void *arg)
{
	const char *engine = arg;
	char *err = NULL;
	int rc = run_child("race", engine, &err);
	CHECK_MSG(rc == 66 && strstr(err, "ThreadSanitizer: data race") != NULL,
		  "racy schedule on %s: exit %d, expected TSan's report (66):\n%s", engine, rc, err);
	free(err);
	rc = run_child("locked", engine, &err);
	CHECK_MSG(rc == 0 && strstr(err, "ThreadSanitizer") == NULL,
		  "locked schedule on %s: exit %d, expected no report:\n%s", engine, rc, err);
	free(err);
}
#endif

int main(int argc, char **argv)
{
#ifdef FZ_TSAN
	if (argc == 4 && strcmp(argv[1], "--canary-child") == 0)
		return child(argv[2], argv[3]);
	self_path = argv[0];
#endif
	ph_test_init(argc, argv);
	static const enum fz_engine_kind pthread_engine = FZ_ENGINE_PTHREAD, fiber_engine = FZ_ENGINE_FIBER;
	ph_test_run_arg("canary/deadlock-reported/pthread", run_deadlock, &pthread_engine);
	ph_test_run_arg("canary/livelock-reported/pthread", run_livelock, &pthread_engine);
	ph_test_run("canary/livelock-reported/freerun", run_livelock_freerun);
#if defined(__x86_64__) && !defined(FZ_MSAN)
	ph_test_run_arg("canary/deadlock-reported/fiber", run_deadlock, &fiber_engine);
	ph_test_run_arg("canary/livelock-reported/fiber", run_livelock, &fiber_engine);
#else
	(void)fiber_engine;
#endif
#ifdef FZ_TSAN
	ph_test_run_arg("canary/race-visible-to-tsan/pthread", run_race, "pthread");
	ph_test_run_arg("canary/race-visible-to-tsan/fiber", run_race, "fiber");
	ph_test_run_arg("canary/overlap-visible-to-tsan/pthread", run_overlap, "pthread");
	ph_test_run_arg("canary/overlap-visible-to-tsan/fiber", run_overlap, "fiber");
#endif
	return ph_test_finish();
}
