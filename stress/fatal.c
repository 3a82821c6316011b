/*
 * fatal.c - when the process dies anyway: a sanitizer report or a crash.
 *
 * A data race ThreadSanitizer reports is a failure of the run like any
 * oracle's, so the TSan defaults here are: stop at the first report
 * (halt_on_error=1) and exit with status 1 (exitcode=1), the stress
 * program's "failed".  TSAN_OPTIONS in the environment still overrides
 * both (and thread-leak reports are off, see below).  When TSan stops the process (a race, or a deadly signal it
 * caught), its death callback adds what TSan cannot know: the seed, every
 * worker's last events in swimlane form, and the rerun command.
 *
 * Without TSan, a crash (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT) inside
 * the allocator gets the same report under the oracle name CRASH, then the
 * process exits with status 1.  The handler is not async-signal-safe (it
 * prints with stdio): the process is dying and the report is worth the
 * risk; a second fault inside it falls back to the default action.
 */
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "fz_sanitizer.h"
#include "stress.h"

static void report_and_flush(struct st_run *r, int tid, const char *oracle, const char *msg)
{
	if (__atomic_load_n(&r->reported, __ATOMIC_RELAXED))
		return; /* dying after a failure that was already reported */
	struct fz_verdict v;
	fz_fail_verdict(&v, oracle, "%s", msg);
	/* Also freezes the trace, so the printout shows the moment of death. */
	st_end(r, ST_FAILED, tid, &v, NULL);
	st_print_failure(r);
	st_write_json(r, "failed", ST_EXIT_FAIL);
	fflush(NULL);
}

#ifdef FZ_TSAN
const char *__tsan_default_options(void);
void __sanitizer_set_death_callback(void (*callback)(void));

const char *__tsan_default_options(void)
{
	/* Thread leaks: a failed run exits without joining workers that may
	 * be stuck in the allocator; that is not a finding of its own. */
	return "halt_on_error=1:exitcode=1:report_thread_leaks=0";
}

static void on_sanitizer_death(void)
{
	struct st_run *r = st_active;
	if (r != NULL)
		report_and_flush(r, st_self != NULL ? st_self->tid : -1, "TSAN",
				 "ThreadSanitizer stopped the run: see its report above (a data race, or a deadly signal it caught)");
}
#else
static void on_crash(int sig)
{
	/* Back to the default action first: a fault in here must not loop. */
	signal(sig, SIG_DFL);
	struct st_run *r = st_active;
	if (r != NULL) {
		char msg[96];
		snprintf(msg, sizeof msg, "the process crashed with signal %d (%s)", sig, strsignal(sig));
		report_and_flush(r, st_self != NULL ? st_self->tid : -1, "CRASH", msg);
	}
	_exit(ST_EXIT_FAIL);
}
#endif

void st_fatal_setup(void)
{
#ifdef FZ_TSAN
	__sanitizer_set_death_callback(on_sanitizer_death);
#else
	static const int sigs[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		signal(sigs[i], on_crash);
#endif
}
