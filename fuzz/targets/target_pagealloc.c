/*
 * target_pagealloc.c - fuzz_pagealloc: a single-threaded differential test
 * of the page allocator (ph_pagealloc) and its page caches against the
 * reference model, oracle PAGEALLOC.  The decoding and the checks live in
 * fz_pagediff.c (shared with tests/test_refmodel.c); this file only owns
 * the process-wide context and turns a disagreement into a crash.
 *
 * A disagreement prints one line "PAGEALLOC: op #N (...): ..." naming the
 * operation, then every operation so far, then aborts.  A throw from inside
 * the allocator (e.g. "bad summary data") prints the same list under a
 * PAGEALLOC line naming the operation that threw, then aborts: it is a
 * crash either way, but the list is what makes it reproducible by eye.
 * Both end with the verdict line every target prints,
 * "==== verdict: PAGEALLOC: ... ====".
 */
#include <stdio.h>
#include <stdlib.h>

#include "fz_pagediff.h"
#include "ph_throw.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Created on the first input and reused: libFuzzer runs inputs one at a
 * time in one thread, and fz_pagediff_run starts every input afresh. */
static struct fz_pagediff *diff;

static void report_throw(const ph_throw_info *info)
{
	char text[512], op[300];
	ph_throw_format(info, text, sizeof text);
	fz_pagediff_current_op(diff, op, sizeof op);
	fprintf(stderr, "PAGEALLOC: %s: the page allocator threw \"%s\"\n%s", op, info->msg, text);
	fz_pagediff_print_ops(diff, stderr);
	fprintf(stderr, "==== verdict: PAGEALLOC: %s: the page allocator threw \"%s\" ====\n", op, info->msg);
	fflush(stderr);
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (diff == NULL) {
		char err[200];
		diff = fz_pagediff_new(&ph_geom_fuzz, err, sizeof err);
		if (diff == NULL) {
			fprintf(stderr, "fuzz_pagealloc: %s\n", err);
			abort();
		}
		ph_set_throw_handler(report_throw);
	}
	struct fz_verdict v;
	if (!fz_pagediff_run(diff, data, size, &v)) {
		fprintf(stderr, "%s: %s\n", v.oracle, v.msg);
		fz_pagediff_print_ops(diff, stderr);
		fprintf(stderr, "==== verdict: %s: %s ====\n", v.oracle, v.msg);
		fflush(stderr);
		abort();
	}
	return 0;
}
