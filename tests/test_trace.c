/*
 * test_trace.c - the swimlane printout: which events a thread's buffer
 * keeps (its beginning and its latest), how a gap is marked, and how a run
 * of identical rows is folded.
 */
#include <stdlib.h>
#include <string.h>

#include "fz_trace.h"
#include "ph_test.h"

static struct fz_trace *trace;

/* Thread tid's k-th "info" event, labelled text. */
static void add_info(int tid, const char *text)
{
	struct fz_event ev = {.kind = FZ_EV_INFO};
	snprintf(ev.text, sizeof ev.text, "%s", text);
	fz_trace_add(trace, tid, &ev);
}

/* The printout of the first nthreads columns, in a malloc'd string. */
static char *print(unsigned nthreads)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (f == NULL)
		return NULL;
	struct fz_trace_view view = {.g = &ph_geom_fuzz, .nthreads = nthreads, .title = "title"};
	fz_trace_print(trace, &view, f);
	fclose(f);
	return buf;
}

static unsigned count_lines_with(const char *text, const char *needle)
{
	unsigned n = 0;
	for (const char *p = text; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	return n;
}

/* A buffer that overflows keeps its first `head` events and its last
 * CAP - head, and fz_trace_at says which positions those are. */
static void test_head_and_tail_kept(void)
{
	fz_trace_reset(trace, false, FZ_TRACE_HEAD);
	const uint32_t total = FZ_TRACE_CAP + 5000;
	for (uint32_t i = 0; i < total; i++) {
		char text[32];
		snprintf(text, sizeof text, "e%u", i);
		add_info(0, text);
	}
	const struct fz_trace_buf *b = &trace->buf[0];
	uint32_t tail = fz_trace_tail_start(b);
	CHECK_EQ_U(tail, total - (FZ_TRACE_CAP - FZ_TRACE_HEAD));
	for (uint32_t pos = 0; pos < total; pos++) {
		const struct fz_event *ev = fz_trace_at(b, pos);
		bool kept = pos < FZ_TRACE_HEAD || pos >= tail;
		CHECK_MSG((ev != NULL) == kept, "position %u: kept %d, want %d", pos, ev != NULL, kept);
		if (ev != NULL) {
			char want[32];
			snprintf(want, sizeof want, "e%u", pos);
			CHECK_STREQ(ev->text, want);
			CHECK_EQ_U(ev->seq, pos);
		}
	}
	CHECK(fz_trace_at(b, total) == NULL);

	char *out = print(1);
	CHECK(out != NULL);
	if (out == NULL)
		return;
	char gap[64];
	snprintf(gap, sizeof gap, "... %u events not kept ...", tail - FZ_TRACE_HEAD);
	CHECK_MSG(strstr(out, gap) != NULL, "no gap marker '%s' in the printout", gap);
	/* The gap sits between the head's last event and the tail's first. */
	char last_head[32], first_tail[32];
	snprintf(last_head, sizeof last_head, "| e%u\n", FZ_TRACE_HEAD - 1);
	snprintf(first_tail, sizeof first_tail, "| e%u\n", tail);
	const char *h = strstr(out, last_head), *g = strstr(out, gap), *t = strstr(out, first_tail);
	CHECK(h != NULL && g != NULL && t != NULL && h < g && g < t);
	CHECK(strstr(out, "| e0\n") != NULL);
	char dropped[32];
	snprintf(dropped, sizeof dropped, "| e%u\n", FZ_TRACE_HEAD);
	CHECK_MSG(strstr(out, dropped) == NULL, "dropped event e%u printed", FZ_TRACE_HEAD);
	free(out);
}

/* Without a head (stress), a buffer keeps only its latest CAP events. */
static void test_ring_only(void)
{
	fz_trace_reset(trace, true, 0);
	for (uint32_t i = 0; i < FZ_TRACE_CAP + 10; i++)
		add_info(1, i % 2 ? "odd" : "even");
	const struct fz_trace_buf *b = &trace->buf[1];
	CHECK_EQ_U(fz_trace_tail_start(b), 10);
	CHECK(fz_trace_at(b, 9) == NULL);
	CHECK(fz_trace_at(b, 10) != NULL && fz_trace_at(b, 10)->seq == 10);
	CHECK(fz_trace_at(b, FZ_TRACE_CAP + 9) != NULL);
}

/* Identical consecutive rows of one thread fold into one line with a
 * count; an event of another thread in between breaks the run. */
static void test_repeats_folded(void)
{
	fz_trace_reset(trace, false, FZ_TRACE_HEAD);
	add_info(0, "start");
	for (int i = 0; i < 50; i++)
		add_info(0, "retry");
	add_info(1, "other");
	add_info(0, "retry");
	add_info(0, "retry");
	add_info(0, "done");
	char *out = print(2);
	CHECK(out != NULL);
	if (out == NULL)
		return;
	CHECK_MSG(strstr(out, "(the same 49 more times, to seq 50)") != NULL, "50 retries not folded:\n%s", out);
	/* Two identical rows stay two rows: folding them saves nothing. */
	CHECK_EQ_U(count_lines_with(out, "| retry\n"), 3);
	CHECK(strstr(out, "more times, to seq 53") == NULL);
	CHECK(strstr(out, "not kept") == NULL);
	/* seq 51 is T1's: its row has T0's column blank. */
	CHECK(strstr(out, "    51 | " ) != NULL && strstr(out, "| other\n") != NULL);
	free(out);
}

/* Sequence numbers wider than the default column widen it, so the
 * thread columns stay aligned. */
static void test_wide_seq_column(void)
{
	fz_trace_reset(trace, false, FZ_TRACE_HEAD);
	trace->seq = 12345678;
	add_info(0, "a");
	add_info(1, "b");
	char *out = print(2);
	CHECK(out != NULL);
	if (out == NULL)
		return;
	CHECK_MSG(strstr(out, "\n     seq | T0") != NULL, "header not widened:\n%s", out);
	CHECK_MSG(strstr(out, "\n---------+-") != NULL, "rule not widened:\n%s", out);
	CHECK_MSG(strstr(out, "\n12345678 | a\n") != NULL, "row misaligned:\n%s", out);
	free(out);
}

int main(int argc, char **argv)
{
	ph_test_init(argc, argv);
	trace = calloc(1, sizeof *trace);
	if (trace == NULL) {
		fprintf(stderr, "test_trace: out of memory\n");
		return 1;
	}
	ph_test_run("trace_head_and_tail_kept", test_head_and_tail_kept);
	ph_test_run("trace_ring_only", test_ring_only);
	ph_test_run("trace_repeats_folded", test_repeats_folded);
	ph_test_run("trace_wide_seq_column", test_wide_seq_column);
	free(trace);
	return ph_test_finish();
}
