/*
 * test_trace.c - the swimlane printout: which events a thread's buffer
 * keeps (its beginning and its latest), how a gap is marked, and how a run
 * of identical rows is folded; and that the HTML page shows exactly the
 * rows of the text, marking the lock, zeroedBase and the failing step.
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

/* ---- the HTML page against the text ------------------------------------- */

/* One row of either printout: sequence number ("" when none), the thread
 * whose column holds the cell, and the cell's text. */
struct row {
	char seq[16];
	int tid;
	char cell[128];
};

#define MAX_ROWS 20000

/* The text printout's rows: every line below the rule. */
static unsigned text_rows(const char *text, struct row *rows)
{
	const char *p = strstr(text, "\n-------");
	unsigned n = 0;
	if (p == NULL)
		return 0;
	p = strchr(p + 1, '\n');
	while (p != NULL && p[1] != '\0' && n < MAX_ROWS) {
		const char *line = p + 1;
		const char *end = strchr(line, '\n');
		if (end == NULL)
			end = line + strlen(line);
		struct row *r = &rows[n++];
		const char *bar = strstr(line, " | ");
		size_t sl = bar != NULL ? (size_t)(bar - line) : 0;
		while (sl > 0 && *line == ' ')
			line++, sl--;
		snprintf(r->seq, sizeof r->seq, "%.*s", (int)sl, line);
		/* Each column before the cell is " | " and 34 blanks. */
		r->tid = 0;
		const char *c = bar != NULL ? bar + 3 : end;
		while (end - c > 37 && strncmp(c + 34, " | ", 3) == 0 && c[0] == ' ') {
			c += 37;
			r->tid++;
		}
		snprintf(r->cell, sizeof r->cell, "%.*s", (int)(end - c), c);
		p = *end == '\n' ? end : NULL;
	}
	return n;
}

/* Undoes the page's escaping of &, <, > and ". */
static void unescape(const char *s, size_t len, char *out, size_t cap)
{
	static const struct { const char *ent; char c; } ents[] = {
		{"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}};
	size_t o = 0;
	for (size_t i = 0; i < len && o + 1 < cap;) {
		bool done = false;
		for (size_t k = 0; k < sizeof ents / sizeof ents[0] && !done; k++) {
			size_t el = strlen(ents[k].ent);
			if (i + el <= len && strncmp(s + i, ents[k].ent, el) == 0) {
				out[o++] = ents[k].c;
				i += el;
				done = true;
			}
		}
		if (!done)
			out[o++] = s[i++];
	}
	out[o] = '\0';
}

/* The page's rows: every <tr> of the body, its seq cell and its one cell
 * of class "ev". */
static unsigned html_rows(const char *html, struct row *rows, unsigned *marked_steps)
{
	const char *p = strstr(html, "<tbody>");
	unsigned n = 0;
	*marked_steps = 0;
	while (p != NULL && (p = strstr(p, "<tr")) != NULL && n < MAX_ROWS) {
		const char *end = strstr(p, "</tr>");
		if (end == NULL)
			break;
		struct row *r = &rows[n++];
		r->tid = -1;
		r->seq[0] = r->cell[0] = '\0';
		const char *seq = strstr(p, "<td class=\"seq\">");
		if (seq != NULL && seq < end) {
			seq += strlen("<td class=\"seq\">");
			snprintf(r->seq, sizeof r->seq, "%.*s", (int)(strstr(seq, "</td>") - seq), seq);
		}
		int col = -1;
		for (const char *td = strstr(p, "<td"); td != NULL && td < end; td = strstr(td + 3, "<td")) {
			if (strncmp(td, "<td class=\"ev ", 14) == 0) {
				const char *gt = strchr(td, '>') + 1, *close = strstr(gt, "</td>");
				if (memmem(td, (size_t)(gt - td), " step", 5) != NULL)
					(*marked_steps)++;
				unescape(gt, (size_t)(close - gt), r->cell, sizeof r->cell);
				r->tid = col;
			}
			col++;
		}
		p = end;
	}
	return n;
}

static char *print_html(unsigned nthreads, const char *verdict, bool failed)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (f == NULL)
		return NULL;
	struct fz_trace_view view = {.g = &ph_geom_fuzz, .nthreads = nthreads, .title = "title <&>"};
	fz_trace_print_html(trace, &view, verdict, failed, f);
	fclose(f);
	return buf;
}

static void add_note(int tid, enum ph_note_kind kind, bool ok)
{
	struct fz_event ev = {.kind = FZ_EV_NOTE, .sub = (uint8_t)kind, .ok = ok,
			      .arena = ph_geom_fuzz.heap_vbase >> ph_geom_fuzz.arena_shift,
			      .base = ph_geom_fuzz.heap_vbase};
	fz_trace_add(trace, tid, &ev);
}

/* Every row of the text, in order, is a row of the page with the same
 * sequence number, column and text; the rest of the page holds what the
 * text's header says and loads nothing. */
static void check_html_matches_text(unsigned nthreads, const char *verdict, bool failed, unsigned want_steps)
{
	static struct row trows[MAX_ROWS], hrows[MAX_ROWS];
	char *text = print(nthreads), *html = print_html(nthreads, verdict, failed);
	CHECK(text != NULL && html != NULL);
	if (text == NULL || html == NULL) {
		free(text);
		free(html);
		return;
	}
	unsigned steps;
	unsigned nt = text_rows(text, trows), nh = html_rows(html, hrows, &steps);
	CHECK_MSG(nt > 0 && nt == nh, "%u text rows, %u HTML rows", nt, nh);
	for (unsigned i = 0; i < nt && i < nh; i++) {
		CHECK_MSG(strcmp(trows[i].seq, hrows[i].seq) == 0 && trows[i].tid == hrows[i].tid &&
				  strcmp(trows[i].cell, hrows[i].cell) == 0,
			  "row %u: text (seq '%s', T%d, '%s'), HTML (seq '%s', T%d, '%s')", i, trows[i].seq,
			  trows[i].tid, trows[i].cell, hrows[i].seq, hrows[i].tid, hrows[i].cell);
		if (ph_test.failed_checks > 3)
			break;
	}
	CHECK_EQ_U(steps, want_steps);
	CHECK(strstr(html, "title &lt;&amp;&gt;") != NULL);
	const char *dropped = strstr(text, "events not kept; each");
	CHECK((dropped != NULL) == (strstr(html, "events not kept; each") != NULL));
	CHECK(strstr(html, failed ? "class=\"verdict failed\"" : "class=\"verdict ok\"") != NULL);
	static const char *const remote[] = {"http:", "https:", "src=", "<link", "<script", "@import", "url("};
	for (size_t k = 0; k < sizeof remote / sizeof remote[0]; k++)
		CHECK_MSG(strstr(html, remote[k]) == NULL, "the page refers to something outside it: %s", remote[k]);
	free(text);
	free(html);
}

/* Gaps, folded repeats, several threads, the lock and zeroedBase, text
 * that needs escaping, and a verdict row: the page shows the same rows. */
static void test_html_same_rows(void)
{
	fz_trace_reset(trace, false, FZ_TRACE_HEAD);
	add_info(0, "start <T0> & \"quoted\"");
	add_note(1, PH_NOTE_LOCKED, true);
	add_note(1, PH_NOTE_ZB_LOAD, true);
	add_note(1, PH_NOTE_ZB_CAS, true);
	add_note(1, PH_NOTE_UNLOCKED, true);
	for (uint32_t i = 0; i < FZ_TRACE_CAP + 3000; i++)
		add_note(0, PH_NOTE_ZB_CAS, false); /* a livelock: folded, then a gap */
	add_info(2, "x");
	add_info(2, "x"); /* two identical rows stay two */
	struct fz_event v = {.kind = FZ_EV_VERDICT};
	snprintf(v.text, sizeof v.text, "LIVELOCK");
	fz_trace_add(trace, 0, &v);
	check_html_matches_text(3, "LIVELOCK: a thread <retried> forever", true, 1);

	char *html = print_html(3, "LIVELOCK", true);
	CHECK(html != NULL);
	if (html != NULL) {
		CHECK(strstr(html, "<td class=\"ev lock held\">  lock</td>") != NULL);
		CHECK(strstr(html, "<td class=\"ev cas-ok held\">") != NULL);
		CHECK(strstr(html, "<td class=\"ev cas-fail\">") != NULL);
		CHECK(strstr(html, "<tr class=\"verdict-row\" id=\"fail\">") != NULL);
		CHECK(strstr(html, "href=\"#fail\"") != NULL);
		/* The failing step is T0's folded CAS just before its verdict. */
		CHECK(strstr(html, "<td class=\"ev fold step\">") != NULL);
		free(html);
	}

	/* A passing run: no failing step, no verdict row. */
	fz_trace_reset(trace, false, FZ_TRACE_HEAD);
	add_info(0, "a");
	add_note(1, PH_NOTE_ZB_LOAD, true);
	check_html_matches_text(2, "ok (1 zeroing decisions)", false, 0);

	/* A check at rest failed: the verdict row, but no thread's step caused it. */
	fz_trace_reset(trace, false, FZ_TRACE_HEAD);
	add_info(0, "a");
	v.flags = FZ_VERDICT_AT_REST;
	snprintf(v.text, sizeof v.text, "HEAP");
	fz_trace_add(trace, 0, &v);
	check_html_matches_text(2, "HEAP: pages leaked", true, 0);
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
	ph_test_run("trace_html_same_rows", test_html_same_rows);
	free(trace);
	return ph_test_finish();
}
