/*
 * target_pagealloc.c - fuzz_pagealloc: a single-threaded differential test
 * of the page allocator (ph_pagealloc) and its page caches against the
 * reference model, oracle PAGEALLOC.  The decoding and the checks live in
 * fz_pagediff.c (shared with tests/test_refmodel.c); this file only owns
 * the process-wide context and turns a disagreement into a crash.
 *
 * A disagreement prints a header naming the operation, every operation so
 * far, and the verdict line "==== verdict: PAGEALLOC: op #N (...): ... ===="
 * (fz_target.h), then dies the way every target does.  A throw from inside
 * the allocator (e.g. "bad summary data") is reported the same way, its
 * verdict naming the operation that threw: a crash either way, but the
 * list is what makes it reproducible by eye.
 */
#include <stdio.h>
#include <stdlib.h>

#include "fz_pagediff.h"
#include "fz_target.h"
#include "ph_throw.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Created on the first input and reused: libFuzzer runs inputs one at a
 * time in one thread, and fz_pagediff_run starts every input afresh. */
static struct fz_pagediff *diff;

/* The story (what happened, then every operation) and the verdict. */
__attribute__((noreturn)) static void report(const char *oracle, const char *msg, const char *detail)
{
	fprintf(stderr, "==== pageheap-fuzz: oracle %s failed ====\n%s\n%s", oracle, msg, detail);
	fz_pagediff_print_ops(diff, stderr);
	fz_target_verdict(stderr, oracle, msg);
	fz_target_die();
}

static void report_throw(const ph_throw_info *info)
{
	char text[512], op[300], msg[400];
	ph_throw_format(info, text, sizeof text);
	fz_pagediff_current_op(diff, op, sizeof op);
	snprintf(msg, sizeof msg, "%s: the page allocator threw \"%s\"", op, info->msg);
	report("PAGEALLOC", msg, text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (diff == NULL) {
		char err[200];
		diff = fz_pagediff_new(&ph_geom_fuzz, err, sizeof err);
		if (diff == NULL) {
			fprintf(stderr, "fuzz_pagealloc: cannot start: %s\n", err);
			exit(1);
		}
		ph_set_throw_handler(report_throw);
	}
	struct fz_verdict v;
	if (!fz_pagediff_run(diff, data, size, &v))
		report(v.oracle, v.msg, "");
	return 0;
}
