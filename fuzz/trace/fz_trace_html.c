/*
 * fz_trace_html.c - the swimlane trace as one self-contained HTML page.
 *
 * The page shows the rows fz_trace_walk gives the text printout, so the two
 * cannot disagree: one table row per row of the text, the sequence number
 * first and one column per schedule thread, each cell holding exactly the
 * text the text printout shows (HTML-escaped, spaces kept).  On top: the
 * verdict, the schedule's summary line, how many events were not kept, and
 * a legend.  Colours mark what a reader of a zeroing bug looks for: the
 * heap lock (taken, released, waited for, and a band down the column of
 * the thread holding it), every load, CAS and store of zeroedBase (failed
 * CASes apart), the allocator's throws, and the failing step: the event of
 * the failing thread just before its verdict (none when a check at rest
 * failed), and the verdict row itself, which the header links to.
 *
 * No network: the style sheet is inline, no fonts, images or scripts are
 * loaded, so the page opens the same offline, in a CI artifact or a mail.
 *
 * Two passes over the rows: the first finds the failing step (the event
 * before a verdict row in that thread is known only once the verdict row
 * is reached), the second prints.  Nothing else is kept between them.
 */
#include "fz_trace.h"

#include <string.h>

#include "fz_sanitizer.h"

FZ_HARNESS_CODE_BEGIN

static const char style[] =
	"body{font-family:sans-serif;margin:0;color:#1b1b1b;background:#fff}"
	"header{padding:12px 16px;border-bottom:1px solid #ccc;background:#fafafa}"
	"header .verdict{font:bold 15px monospace;padding:8px 10px;border-radius:4px;white-space:pre-wrap}"
	"header .verdict.failed{background:#b3261e;color:#fff}"
	"header .verdict.ok{background:#1e7a34;color:#fff}"
	"header .title,header .note{font:13px monospace;margin:8px 0 0 0;white-space:pre-wrap}"
	"header .legend{font-size:12px;margin:8px 0 0 0}"
	".legend span{display:inline-block;padding:1px 6px;margin:2px 4px 2px 0;border-radius:3px;font-family:monospace}"
	"table{border-collapse:collapse;table-layout:fixed;font:12px monospace;margin:0 0 24px 0}"
	"th,td{padding:1px 6px;white-space:pre;overflow:hidden;text-overflow:ellipsis;text-align:left;"
	"border-right:1px solid #e2e2e2}"
	"th{position:sticky;top:0;background:#eee;border-bottom:1px solid #bbb;z-index:1}"
	"td.seq,th.seq{width:5.5em;text-align:right;color:#777}"
	"th.lane{width:26em}"
	"tr:hover td{outline:1px solid #ddd}"
	"td.op{font-weight:bold}"
	"td.result{color:#333}"
	".lock{background:#e6dcf7}"
	".wait{background:#f7d9b5}"
	"td.held{box-shadow:inset 4px 0 #7e57c2}"
	".zb{background:#d6e8fb}"
	".cas-ok{background:#cdeed6}"
	".cas-fail{background:#f9d3d0;font-weight:bold}"
	".decide{color:#0d47a1}"
	".throw{background:#fbe3c4;color:#8a2a00;font-weight:bold}"
	".fold{color:#777;font-style:italic}"
	"td.step{background:#fff2a8;outline:2px solid #e0a800;font-weight:bold}"
	"tr.verdict-row td.ev{background:#b3261e;color:#fff;font-weight:bold}"
	"header a{color:#fff}";

/* Writes s with the characters HTML gives a meaning escaped. */
static void put_escaped(FILE *out, const char *s)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '&': fputs("&amp;", out); break;
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '"': fputs("&quot;", out); break;
		default: fputc(*s, out); break;
		}
	}
}

/* The classes of an event's cell: what kind of step it is. */
static const char *event_class(const struct fz_event *ev)
{
	switch ((enum fz_ev_kind)ev->kind) {
	case FZ_EV_OP: return "op";
	case FZ_EV_RESULT: return "result";
	case FZ_EV_BLOCK: return "wait";
	case FZ_EV_VERDICT: return "verdict";
	case FZ_EV_INFO: return strncmp(ev->text, "throw", 5) == 0 ? "throw" : "info";
	case FZ_EV_NOTE: break;
	}
	switch ((enum ph_note_kind)ev->sub) {
	case PH_NOTE_LOCKED:
	case PH_NOTE_UNLOCKED: return "lock";
	case PH_NOTE_ZB_LOAD:
	case PH_NOTE_ZB_STORE: return "zb";
	case PH_NOTE_ZB_CAS: return ev->ok ? "cas-ok" : "cas-fail";
	case PH_NOTE_DECIDE_BEGIN:
	case PH_NOTE_DECIDE_END: return "decide";
	default: return "note";
	}
}

/* Pass 1: where the failing step is. */
struct find_step {
	uint32_t last_seq[FZ_MAX_THREADS]; /* each thread's latest event row */
	bool seen[FZ_MAX_THREADS];
	bool verdict_seen;
	int tid;           /* the failing thread, or -1 (none, or failed at rest) */
	uint32_t step_seq; /* its row before the first verdict row */
};

static void find_step_row(const struct fz_trace_row *row, void *arg)
{
	struct find_step *f = arg;
	if (f->verdict_seen || row->tid < 0 || row->tid >= FZ_MAX_THREADS || row->kind == FZ_ROW_GAP)
		return;
	if (row->ev->kind == FZ_EV_VERDICT) {
		/* A check at rest runs after every thread finished: no step of
		 * the thread whose column shows the verdict caused it. */
		bool at_rest = (row->ev->flags & FZ_VERDICT_AT_REST) != 0;
		f->verdict_seen = true;
		f->tid = f->seen[row->tid] && !at_rest ? row->tid : -1;
		f->step_seq = f->last_seq[row->tid];
		return;
	}
	f->last_seq[row->tid] = row->seq;
	f->seen[row->tid] = true;
}

/* Pass 2: the table. */
struct html_out {
	FILE *out;
	unsigned nthreads;
	int lock_holder;  /* thread holding the heap lock after the rows so far, or -1 */
	bool fail_anchor; /* the verdict row's anchor has been written */
	const struct find_step *step;
};

static void print_cell(FILE *out, const char *cls, const char *text)
{
	fprintf(out, "<td class=\"ev %s\">", cls);
	put_escaped(out, text);
	fputs("</td>", out);
}

static void print_html_row(const struct fz_trace_row *row, void *arg)
{
	struct html_out *o = arg;
	FILE *out = o->out;
	char text[96];
	const char *cls, *cell = text;
	bool verdict = false, step = false;

	switch (row->kind) {
	case FZ_ROW_EVENT:
		cls = event_class(row->ev);
		cell = row->cell;
		verdict = row->ev->kind == FZ_EV_VERDICT;
		break;
	case FZ_ROW_REPEAT:
		snprintf(text, sizeof text, "  (the same %lu more times, to seq %u)", row->count, row->seq);
		cls = "fold";
		break;
	default:
		snprintf(text, sizeof text, "  ... %lu events not kept ...", row->count);
		cls = "fold";
		break;
	}
	step = row->kind != FZ_ROW_GAP && row->tid == o->step->tid && row->seq == o->step->step_seq;
	/* The lock's band covers the holder's column from its "lock" row to
	 * its "unlock" row, both included. */
	bool locks = row->kind == FZ_ROW_EVENT && row->ev->kind == FZ_EV_NOTE && row->ev->sub == PH_NOTE_LOCKED;
	bool unlocks = row->kind == FZ_ROW_EVENT && row->ev->kind == FZ_EV_NOTE && row->ev->sub == PH_NOTE_UNLOCKED;
	if (locks)
		o->lock_holder = row->tid;

	fputs(verdict ? "<tr class=\"verdict-row\"" : "<tr", out);
	if (verdict && !o->fail_anchor) {
		fputs(" id=\"fail\"", out);
		o->fail_anchor = true;
	}
	if (row->kind == FZ_ROW_EVENT)
		fprintf(out, "><td class=\"seq\">%u</td>", row->seq);
	else
		fputs("><td class=\"seq\"></td>", out);
	for (unsigned i = 0; i < o->nthreads; i++) {
		if ((int)i == row->tid) {
			char both[64];
			snprintf(both, sizeof both, "%s%s%s", cls, step ? " step" : "",
				 o->lock_holder == (int)i ? " held" : "");
			print_cell(out, both, cell);
		} else if (o->lock_holder == (int)i) {
			fputs("<td class=\"held\"></td>", out);
		} else {
			fputs("<td></td>", out);
		}
	}
	fputs("</tr>\n", out);
	if (unlocks && o->lock_holder == row->tid)
		o->lock_holder = -1;
}

static void print_legend(FILE *out, bool failed)
{
	fputs("<p class=\"legend\">"
	      "<span class=\"lock\">heap lock</span>"
	      "<span class=\"wait\">waits for the heap lock</span>"
	      "<span style=\"box-shadow:inset 4px 0 #7e57c2\">&nbsp;&nbsp;holds the heap lock</span>"
	      "<span class=\"zb\">zeroedBase load / store</span>"
	      "<span class=\"cas-ok\">CAS ok</span>"
	      "<span class=\"cas-fail\">CAS failed</span>"
	      "<span class=\"decide\">zeroing decision</span>"
	      "<span class=\"throw\">allocator throw</span>",
	      out);
	if (failed)
		fputs("<span class=\"step\" style=\"background:#fff2a8;outline:2px solid #e0a800\">failing step</span>"
		      "<span style=\"background:#b3261e;color:#fff\">verdict</span>",
		      out);
	fputs("</p>\n", out);
}

void fz_trace_print_html(const struct fz_trace *t, const struct fz_trace_view *view, const char *verdict,
			 bool failed, FILE *out)
{
	unsigned nt = view->nthreads > FZ_MAX_THREADS ? FZ_MAX_THREADS : view->nthreads;
	unsigned long dropped;
	uint32_t max_seq;
	struct find_step step = {.tid = -1};

	fz_trace_measure(t, view, &dropped, &max_seq);
	fz_trace_walk(t, view, find_step_row, &step);

	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>pageheap-fuzz trace: ",
	      out);
	put_escaped(out, verdict);
	fprintf(out, "</title>\n<style>%s</style>\n</head>\n<body>\n<header>\n<div class=\"verdict %s\">verdict: ",
		style, failed ? "failed" : "ok");
	put_escaped(out, verdict);
	if (failed && step.verdict_seen)
		fputs("  <a href=\"#fail\">(go to the failure)</a>", out);
	fputs("</div>\n", out);
	if (view->title != NULL) {
		fputs("<p class=\"title\">", out);
		put_escaped(out, view->title);
		fputs("</p>\n", out);
	}
	if (dropped > 0)
		fprintf(out, "<p class=\"note\">(%lu events not kept; each thread's gap is marked in its column)</p>\n",
			dropped);
	print_legend(out, failed);
	fputs("</header>\n<table>\n<thead><tr><th class=\"seq\">seq</th>", out);
	for (unsigned i = 0; i < nt; i++)
		fprintf(out, "<th class=\"lane\">T%u</th>", i);
	fputs("</tr></thead>\n<tbody>\n", out);
	struct html_out o = {.out = out, .nthreads = nt, .lock_holder = -1, .step = &step};
	fz_trace_walk(t, view, print_html_row, &o);
	fputs("</tbody>\n</table>\n</body>\n</html>\n", out);
}

FZ_HARNESS_CODE_END
