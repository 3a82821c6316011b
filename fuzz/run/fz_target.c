/*
 * fz_target.c - the finding path every fuzz target shares (fz_target.h),
 * and the ThreadSanitizer defaults of every target.
 */
#include "fz_target.h"

#include <stdlib.h>

#include "fz_sanitizer.h"

FZ_HARNESS_CODE_BEGIN

#ifdef FZ_TSAN
const char *__tsan_default_options(void);

/*
 * Every fuzz target's ThreadSanitizer defaults (TSAN_OPTIONS overrides
 * them).  halt_on_error: a race is a finding, so it ends the input as a
 * crash.  report_signal_unsafe=0: fz_target_die raises SIGABRT, and
 * libFuzzer's handler for it allocates (it formats the crash file's name
 * and writes the file); TSan would call that a signal-unsafe call, and its
 * report, made from inside the handler, can deadlock the dying process
 * before the crash file is written.  Any report from TSan about the
 * harness itself would be noise next to the verdict anyway.
 * atexit_sleep_ms=0: at exit TSan waits a second (its default) whenever
 * another thread still exists -- libFuzzer's RSS watcher always does -- so
 * that racing threads can finish their reports.  Here none can be racing:
 * schedule threads run one at a time, free-running ones are joined after
 * each input, and a report halts at once.  The second was a fifth of the
 * wall-clock time of a 3000-run fuzz_schedule process (bench/throughput.sh)
 * and is paid by every repro, merge and test run.
 */
const char *__tsan_default_options(void)
{
	return "halt_on_error=1:report_signal_unsafe=0:atexit_sleep_ms=0";
}
#endif

void fz_target_verdict(FILE *out, const char *oracle, const char *msg)
{
	fprintf(out, "==== verdict: %s: %s ====\n", oracle, msg);
}

void fz_target_die(void)
{
	fflush(stdout);
	fflush(stderr);
	abort();
}

FZ_HARNESS_CODE_END
