/*
 * fz_explore_report.c - what an exploration says: the counts, the bound,
 * the distinct terminal states, the time and rate, and one sentence that
 * claims exactly what was run - never more.
 *
 * The sentence, by outcome:
 *  - --por none, search done: every interleaving (within the bound) was
 *    run, and the count is theirs;
 *  - --por dpor, search done, the bound never cut a branch: one execution
 *    per class of equivalent interleavings, so every interleaving of the
 *    program is covered;
 *  - --por dpor with cuts: the executions run, and that the cuts were made
 *    up for as bounded POR does, which is not complete (docs/EXPLORE.md:
 *    it misses states at K = 3); --por dpor-cut: that interleavings
 *    within the bound may not be covered;
 *  - --por classes, search done: every interleaving within the bound, how
 *    many classes they fell into (each run once) and how many were worked
 *    out rather than run;
 *  - a failure: which execution, its preemptions, the oracle and message;
 *  - a cap or the time limit: INCOMPLETE, how far it got, no claim.
 * Every report but the time line is a deterministic function of the
 * program and options.
 */
#include <stdio.h>
#include <string.h>

#include "fz_explore.h"
#include "fz_sanitizer.h"

FZ_HARNESS_CODE_BEGIN

const char *fz_explore_stop_name(enum fz_explore_stop s)
{
	switch (s) {
	case FZ_EXPLORE_DONE: return "done";
	case FZ_EXPLORE_FAILED: return "failed";
	case FZ_EXPLORE_CAP: return "max-executions";
	case FZ_EXPLORE_TIME: return "seconds";
	default: return "error";
	}
}

static unsigned total_ops(const struct fz_schedule *s)
{
	unsigned n = 0;
	for (unsigned t = 0; t < s->nthreads; t++)
		n += s->nops[t];
	return n;
}

static void bound_text(const struct fz_explore_options *o, char *buf, size_t n)
{
	if (o->preemptions == FZ_EXPLORE_UNBOUNDED)
		buf[0] = '\0';
	else
		snprintf(buf, n, " with <= %d preemption%s", o->preemptions, o->preemptions == 1 ? "" : "s");
}

static void prefix_text(const struct fz_explore_result *res, char *buf, size_t n)
{
	if (res->prefix_decisions == 0)
		buf[0] = '\0';
	else
		snprintf(buf, n, " that begin with its %u decision%s", res->prefix_decisions,
			 res->prefix_decisions == 1 ? "" : "s");
}

static void done_sentence(const struct fz_explore_report *rep, char *buf, size_t n)
{
	const struct fz_explore_options *o = rep->o;
	const struct fz_explore_result *res = rep->res;
	char bound[48], prefix[64];
	bound_text(o, bound, sizeof bound);
	prefix_text(res, prefix, sizeof prefix);
	unsigned long long c = (unsigned long long)res->complete;
	if (o->por == FZ_POR_NONE) {
		snprintf(buf, n, "all %llu interleavings of %s%s%s pass every oracle (POR off%s)", c, rep->program,
			 prefix, bound, o->preemptions == FZ_EXPLORE_UNBOUNDED ? ", no preemption bound" : "");
		return;
	}
	if (o->por == FZ_POR_CLASSES) {
		unsigned long long all = (unsigned long long)res->interleavings;
		snprintf(buf, n,
			 "all %llu interleavings of %s%s%s pass every oracle (POR on: they fall into %llu classes of "
			 "equivalent interleavings, one of each was run and the other %llu were worked out from the "
			 "steps that ran%s)",
			 all, rep->program, prefix, bound, c, all - c,
			 o->preemptions == FZ_EXPLORE_UNBOUNDED ? ", no preemption bound" : "");
		return;
	}
	if (o->preemptions == FZ_EXPLORE_UNBOUNDED || (res->bound_cut == 0 && res->bound_blocked == 0)) {
		snprintf(buf, n,
			 "all %llu classes of equivalent interleavings of %s%s pass every oracle (POR on: one execution "
			 "per class%s, so every interleaving%s is covered)",
			 c, rep->program, prefix,
			 o->preemptions == FZ_EXPLORE_UNBOUNDED ? ", no preemption bound" : "; the bound cut nothing",
			 prefix[0] ? " with that beginning" : "");
		return;
	}
	if (o->por == FZ_POR_DPOR_CUT) {
		snprintf(buf, n,
			 "all %llu executions of %s%s%s that DPOR ran pass every oracle (POR on, cut at the bound: %llu "
			 "reorderings were cut and not made up for, so some interleavings with <= %d preemptions may "
			 "not be covered)",
			 c, rep->program, prefix, bound, (unsigned long long)res->bound_cut, o->preemptions);
		return;
	}
	snprintf(buf, n,
		 "all %llu executions of %s%s%s that DPOR ran pass every oracle (POR on, bounded as BPOR is: the bound "
		 "cut %llu reorderings and DPOR branched earlier to make up for them, which is not complete: some "
		 "interleavings with <= %d preemptions may not be covered; --por classes covers them all)",
		 c, rep->program, prefix, bound, (unsigned long long)res->bound_cut, o->preemptions);
}

void fz_explore_sentence(const struct fz_explore_report *rep, char *buf, size_t n)
{
	const struct fz_explore_result *res = rep->res;
	switch (res->stop) {
	case FZ_EXPLORE_DONE:
		done_sentence(rep, buf, n);
		break;
	case FZ_EXPLORE_FAILED:
		snprintf(buf, n, "execution %llu of %s (%u preemption%s) fails oracle %s: %s",
			 (unsigned long long)res->executions, rep->program, res->failure_preemptions,
			 res->failure_preemptions == 1 ? "" : "s", res->failure.verdict.oracle, res->failure.verdict.msg);
		break;
	case FZ_EXPLORE_CAP:
	case FZ_EXPLORE_TIME:
		snprintf(buf, n,
			 "INCOMPLETE: %s stopped the search of %s after %llu executions (%llu complete), with at least "
			 "%llu branches not run; no failure in what ran, which says nothing of the rest",
			 res->stop == FZ_EXPLORE_CAP ? "--max-executions" : "--seconds", rep->program,
			 (unsigned long long)res->executions, (unsigned long long)res->complete,
			 (unsigned long long)res->pending);
		break;
	default:
		snprintf(buf, n, "the search of %s could not go on: %s", rep->program, res->error);
		break;
	}
}

const char *fz_por_name(enum fz_por p)
{
	return p == FZ_POR_DPOR ? "dpor" : p == FZ_POR_DPOR_CUT ? "dpor-cut" : p == FZ_POR_CLASSES ? "classes" : "none";
}

bool fz_por_parse(const char *name, enum fz_por *p)
{
	for (int k = FZ_POR_NONE; k <= FZ_POR_CLASSES; k++)
		if (name != NULL && strcmp(name, fz_por_name((enum fz_por)k)) == 0) {
			*p = (enum fz_por)k;
			return true;
		}
	return false;
}

static const char *por_name(enum fz_por p)
{
	switch (p) {
	case FZ_POR_DPOR: return "source-DPOR with sleep sets";
	case FZ_POR_DPOR_CUT: return "source-DPOR with sleep sets, cut at the bound";
	case FZ_POR_CLASSES: return "classes (every interleaving enumerated, one run per class)";
	default: return "none (every interleaving)";
	}
}

void fz_explore_print(const struct fz_explore_report *rep, FILE *out)
{
	const struct fz_explore_options *o = rep->o;
	const struct fz_explore_result *res = rep->res;
	char sentence[1024];
	fz_explore_sentence(rep, sentence, sizeof sentence);
	fprintf(out, "==== explore: %s ====\n", rep->program);
	fprintf(out, "program:     %u threads, %u operations, target %s; ", rep->s->nthreads, total_ops(rep->s),
		rep->pr->name);
	if (res->prefix_decisions)
		fprintf(out, "its %u decisions are a fixed prefix\n", res->prefix_decisions);
	else if (rep->s->ndecisions && o->drop_decisions)
		fprintf(out, "its %u decisions dropped\n", rep->s->ndecisions);
	else
		fprintf(out, "no decisions\n");
	if (o->preemptions == FZ_EXPLORE_UNBOUNDED)
		fprintf(out, "search:      POR %s, no preemption bound\n", por_name(o->por));
	else
		fprintf(out, "search:      POR %s, <= %d preemption%s\n", por_name(o->por), o->preemptions,
			o->preemptions == 1 ? "" : "s");
	fprintf(out, "executions:  %llu run: %llu complete, %llu redundant (all they could run was asleep), "
		     "%llu blocked by the bound\n",
		(unsigned long long)res->executions, (unsigned long long)res->complete,
		(unsigned long long)res->redundant, (unsigned long long)res->bound_blocked);
	if (o->por == FZ_POR_CLASSES)
		fprintf(out, "interleavings: %llu enumerated to their end, %llu of them run (one per class)\n",
			(unsigned long long)res->interleavings, (unsigned long long)res->complete);
	fprintf(out, "bound:       %llu branches or reorderings cut by the preemption bound\n",
		(unsigned long long)res->bound_cut);
	fprintf(out, "states:      %llu distinct terminal states\n", (unsigned long long)res->distinct_states);
	fprintf(out, "steps:       %llu in all, longest execution %llu\n", (unsigned long long)res->steps,
		(unsigned long long)res->longest);
	fprintf(out, "stopped:     %s\n", fz_explore_stop_name(res->stop));
	fprintf(out, "time:        %.2f s, %.0f executions/s\n", res->seconds,
		res->seconds > 0 ? (double)res->executions / res->seconds : 0.0);
	if (rep->pair_txt != NULL)
		fprintf(out, "regression:  %s and %s (replay: ./build.sh repro %s fuzz_%s)\n", rep->pair_txt,
			rep->pair_bin, rep->pair_bin, rep->pr->name);
	if (res->stop == FZ_EXPLORE_FAILED && rep->pair_txt == NULL)
		fprintf(out, "regression:  not written%s%s\n", res->error[0] ? ": " : "", res->error);
	if (rep->replayed)
		fprintf(out, "replayed:    %s (oracle %s)\n",
			rep->replay_same ? "through the target's runner, same verdict" : "DIFFERENT verdict on replay",
			rep->replay_oracle ? rep->replay_oracle : "none");
	fprintf(out, "result:      %s\n", sentence);
}

static void json_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (; s != NULL && *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c < 0x20)
			fprintf(out, "\\u%04x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

void fz_explore_json(const struct fz_explore_report *rep, FILE *out)
{
	const struct fz_explore_options *o = rep->o;
	const struct fz_explore_result *res = rep->res;
	char sentence[1024];
	fz_explore_sentence(rep, sentence, sizeof sentence);
	fprintf(out, "{\n  \"program\": ");
	json_string(out, rep->program);
	fprintf(out, ",\n  \"target\": ");
	json_string(out, rep->pr->name);
	fprintf(out, ",\n  \"threads\": %u,\n  \"operations\": %u,\n  \"prefix_decisions\": %u,\n", rep->s->nthreads,
		total_ops(rep->s), res->prefix_decisions);
	fprintf(out, "  \"por\": \"%s\",\n  \"preemptions\": ", fz_por_name(o->por));
	if (o->preemptions == FZ_EXPLORE_UNBOUNDED)
		fprintf(out, "null,\n");
	else
		fprintf(out, "%d,\n", o->preemptions);
	fprintf(out, "  \"executions\": %llu,\n  \"complete\": %llu,\n  \"redundant\": %llu,\n  \"bound_blocked\": %llu,\n",
		(unsigned long long)res->executions, (unsigned long long)res->complete,
		(unsigned long long)res->redundant, (unsigned long long)res->bound_blocked);
	fprintf(out, "  \"bound_cut\": %llu,\n  \"distinct_states\": %llu,\n  \"distinct_classes\": %llu,\n",
		(unsigned long long)res->bound_cut, (unsigned long long)res->distinct_states,
		(unsigned long long)res->distinct_classes);
	if (o->por == FZ_POR_CLASSES || o->por == FZ_POR_NONE)
		fprintf(out, "  \"interleavings\": %llu,\n", (unsigned long long)res->interleavings);
	else
		fprintf(out, "  \"interleavings\": null,\n");
	fprintf(out, "  \"steps\": %llu,\n  \"longest\": %llu,\n",
		(unsigned long long)res->steps, (unsigned long long)res->longest);
	fprintf(out, "  \"stopped\": \"%s\",\n  \"complete_search\": %s,\n  \"pending_branches\": %llu,\n",
		fz_explore_stop_name(res->stop), res->stop == FZ_EXPLORE_DONE ? "true" : "false",
		(unsigned long long)res->pending);
	fprintf(out, "  \"seconds\": %.3f,\n  \"executions_per_second\": %.1f,\n", res->seconds,
		res->seconds > 0 ? (double)res->executions / res->seconds : 0.0);
	if (res->stop == FZ_EXPLORE_FAILED) {
		fprintf(out, "  \"failure\": {\"oracle\": ");
		json_string(out, res->failure.verdict.oracle);
		fprintf(out, ", \"message\": ");
		json_string(out, res->failure.verdict.msg);
		fprintf(out, ", \"execution\": %llu, \"preemptions\": %u", (unsigned long long)res->executions,
			res->failure_preemptions);
		if (rep->pair_txt != NULL) {
			fprintf(out, ", \"txt\": ");
			json_string(out, rep->pair_txt);
			fprintf(out, ", \"bin\": ");
			json_string(out, rep->pair_bin);
		}
		if (rep->replayed)
			fprintf(out, ", \"replays_same_verdict\": %s", rep->replay_same ? "true" : "false");
		fprintf(out, "},\n");
	}
	fprintf(out, "  \"result\": \"%s\",\n  \"sentence\": ",
		res->stop == FZ_EXPLORE_FAILED ? "fail" : res->stop == FZ_EXPLORE_DONE ? "pass" :
		res->stop == FZ_EXPLORE_ERROR ? "error" : "incomplete");
	json_string(out, sentence);
	fprintf(out, "\n}\n");
}

FZ_HARNESS_CODE_END
