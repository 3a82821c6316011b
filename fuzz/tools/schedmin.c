/*
 * schedmin.c - shrinks a failing schedule while it keeps failing the same way.
 *
 *   schedmin [--target NAME] [--expect ORACLE] [--max-runs N] IN OUT.bin
 *
 * libFuzzer's -minimize_crash shortens the bytes; this works on what they
 * mean.  It decodes IN (its text form when IN ends in .txt), runs it
 * in-process under the controlled scheduler with a failure handler, and
 * records the oracle of its verdict.  Then, in rounds until a round
 * changes nothing, it tries smaller schedules and keeps every one that
 * still fails with that oracle:
 *
 *   1. drop scheduling decisions, in chunks halving down to one at a time;
 *   2. drop a whole thread (renumbering the decisions), or, at the minimum
 *      of two threads, empty its program;
 *   3. drop operations of each thread, in chunks halving down to one;
 *   4. simplify what is left: allocation, growth and claim sizes down
 *      towards 1, no zeroing requests, decisions that run 1 point.
 *
 * Each candidate is a whole run of the schedule, judged by every oracle,
 * so a kept candidate fails for real; the runner is deterministic, so
 * running it again (OUT.bin, with the fuzz target) fails the same way.
 * OUT.bin is the canonical encoding of the result.
 *
 * Candidate runs are capped (--max-runs, default 20000); when the cap is
 * hit the result is written all the same and the report says so.  FZ_ENGINE
 * and FZ_BUDGET are read as the fuzz targets read them.  Free-running
 * inputs are not deterministic and are refused.
 *
 * Exit status: 0 written (smaller or not); 1 IN does not fail, fails with
 * another oracle than --expect, or an I/O error; 2 usage.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fz_harness.h"
#include "fz_run.h"
#include "fz_schedule.h"
#include "fz_text.h"

#define INPUT_LIMIT (1024u * 1024u)
#define ENCODED_CAP 16384
#define DEFAULT_MAX_RUNS 20000

enum { STATUS_OK = 0, STATUS_FAILED = 1, STATUS_USAGE = 2 };

static void usage(FILE *f)
{
	fputs("usage: schedmin [--target NAME] [--expect ORACLE] [--max-runs N] IN OUT.bin\n"
	      "  NAME     schedule or needzero (with or without fuzz_; default: the text's\n"
	      "           target for a .txt IN, else schedule)\n"
	      "  ORACLE   the verdict IN must fail with (default: whatever it fails with)\n"
	      "  N        candidate runs at most (default 20000)\n"
	      "Writes the smallest schedule found that fails with the same oracle as IN.\n"
	      "Exit status: 0 written; 1 IN does not fail as expected, or I/O error; 2 usage.\n",
	      f);
}

static int usage_error(const char *msg, const char *arg)
{
	fprintf(stderr, "schedmin: %s%s%s\n\n", msg, arg ? ": " : "", arg ? arg : "");
	usage(stderr);
	return STATUS_USAGE;
}

/* ---- the run ---------------------------------------------------------------- */

struct shrinker {
	struct fz_runner *runner;
	const struct fz_profile *pr;
	char oracle[32];     /* the verdict to keep */
	unsigned long runs, max_runs, kept;
	bool capped;
};

static void note_failure(const struct fz_outcome *o, void *arg)
{
	(void)o;
	(void)arg; /* the outcome comes back from fz_runner_run */
}

/* Runs s; returns its failing oracle, or NULL when it passed. */
static const char *run_once(struct shrinker *sh, const struct fz_schedule *s, struct fz_outcome *out)
{
	fz_runner_run(sh->runner, sh->pr, s, out);
	sh->runs++;
	return out->failed ? out->verdict.oracle : NULL;
}

/* Does candidate c still fail with the oracle?  Counts against the cap. */
static bool still_fails(struct shrinker *sh, const struct fz_schedule *c)
{
	static struct fz_outcome out;
	if (sh->runs >= sh->max_runs) {
		sh->capped = true;
		return false;
	}
	const char *o = run_once(sh, c, &out);
	bool same = o != NULL && strcmp(o, sh->oracle) == 0;
	sh->kept += same;
	return same;
}

/* ---- candidates ------------------------------------------------------------- */

static unsigned total_ops(const struct fz_schedule *s)
{
	unsigned n = 0;
	for (unsigned t = 0; t < s->nthreads; t++)
		n += s->nops[t];
	return n;
}

static void remove_decisions(struct fz_schedule *s, unsigned at, unsigned n)
{
	memmove(&s->decisions[at], &s->decisions[at + n], (s->ndecisions - at - n) * sizeof s->decisions[0]);
	s->ndecisions = (uint16_t)(s->ndecisions - n);
}

static void remove_ops(struct fz_schedule *s, unsigned t, unsigned at, unsigned n)
{
	memmove(&s->ops[t][at], &s->ops[t][at + n], (s->nops[t] - at - n) * sizeof s->ops[t][0]);
	s->nops[t] = (uint8_t)(s->nops[t] - n);
}

/* Thread t gone: later threads move down, its decisions go, and the
 * decisions of later threads follow their thread. */
static void remove_thread(struct fz_schedule *s, unsigned t)
{
	for (unsigned u = t; u + 1 < s->nthreads; u++) {
		s->nops[u] = s->nops[u + 1];
		memcpy(s->ops[u], s->ops[u + 1], sizeof s->ops[u]);
	}
	s->nthreads--;
	s->nops[s->nthreads] = 0;
	unsigned k = 0;
	for (unsigned i = 0; i < s->ndecisions; i++) {
		struct fz_decision d = s->decisions[i];
		if (d.thread == t)
			continue;
		if (d.thread > t)
			d.thread--;
		s->decisions[k++] = d;
	}
	s->ndecisions = (uint16_t)k;
}

/* Pass 1: decisions, chunks of halving size.  Returns whether any went. */
static bool shrink_decisions(struct shrinker *sh, struct fz_schedule *s)
{
	static struct fz_schedule c;
	bool progress = false;
	for (unsigned chunk = s->ndecisions; chunk >= 1; chunk /= 2) {
		for (unsigned at = 0; at + chunk <= s->ndecisions;) {
			c = *s;
			remove_decisions(&c, at, chunk);
			if (still_fails(sh, &c)) {
				*s = c;
				progress = true;
			} else {
				at += chunk;
			}
		}
	}
	return progress;
}

/* Pass 2: whole threads, the last first. */
static bool shrink_threads(struct shrinker *sh, struct fz_schedule *s)
{
	static struct fz_schedule c;
	bool progress = false;
	for (unsigned t = s->nthreads; t-- > 0;) {
		c = *s;
		if (c.nthreads > FZ_MIN_THREADS)
			remove_thread(&c, t);
		else if (c.nops[t] > 0)
			c.nops[t] = 0;
		else
			continue;
		if (still_fails(sh, &c)) {
			*s = c;
			progress = true;
		}
	}
	return progress;
}

/* Pass 3: each thread's operations, chunks of halving size. */
static bool shrink_ops(struct shrinker *sh, struct fz_schedule *s)
{
	static struct fz_schedule c;
	bool progress = false;
	for (unsigned t = 0; t < s->nthreads; t++) {
		for (unsigned chunk = s->nops[t]; chunk >= 1; chunk /= 2) {
			for (unsigned at = 0; at + chunk <= s->nops[t];) {
				c = *s;
				remove_ops(&c, t, at, chunk);
				if (still_fails(sh, &c)) {
					*s = c;
					progress = true;
				} else {
					at += chunk;
				}
			}
		}
	}
	return progress;
}

/* Sets operation i of thread t to n pages if the failure holds. */
static bool try_op_size(struct shrinker *sh, struct fz_schedule *s, unsigned t, unsigned i, uint16_t n)
{
	static struct fz_schedule c;
	c = *s;
	c.ops[t][i].n = n;
	if (!still_fails(sh, &c))
		return false;
	*s = c;
	return true;
}

/* An operation's size down toward 1: 1 at once, else halving while the
 * failure holds. */
static bool shrink_size(struct shrinker *sh, struct fz_schedule *s, unsigned t, unsigned i)
{
	if (s->ops[t][i].n <= 1)
		return false;
	if (try_op_size(sh, s, t, i, 1))
		return true;
	bool progress = false;
	while (s->ops[t][i].n / 2 > 1 && try_op_size(sh, s, t, i, (uint16_t)(s->ops[t][i].n / 2)))
		progress = true;
	return progress;
}

/* Pass 4: smaller operands, no zeroing requests, one-point decisions. */
static bool simplify(struct shrinker *sh, struct fz_schedule *s)
{
	static struct fz_schedule c;
	bool progress = false;
	for (unsigned t = 0; t < s->nthreads; t++) {
		for (unsigned i = 0; i < s->nops[t]; i++) {
			const struct fz_op *op = &s->ops[t][i];
			if (op->kind == FZ_OP_ALLOC || op->kind == FZ_OP_GROW || op->kind == FZ_OP_CLAIM)
				progress |= shrink_size(sh, s, t, i);
			if (op->kind == FZ_OP_ALLOC && op->zero) {
				c = *s;
				c.ops[t][i].zero = false;
				if (still_fails(sh, &c)) {
					*s = c;
					progress = true;
				}
			}
		}
	}
	for (unsigned i = 0; i < s->ndecisions; i++) {
		if (s->decisions[i].run <= 1)
			continue;
		c = *s;
		c.decisions[i].run = 1;
		if (still_fails(sh, &c)) {
			*s = c;
			progress = true;
		}
	}
	return progress;
}

static void shrink(struct shrinker *sh, struct fz_schedule *s)
{
	bool progress = true;
	while (progress && !sh->capped) {
		progress = shrink_decisions(sh, s);
		progress |= shrink_threads(sh, s);
		progress |= shrink_ops(sh, s);
		progress |= simplify(sh, s);
	}
}

/* ---- files ------------------------------------------------------------------ */

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		fprintf(stderr, "schedmin: %s: %s\n", path, strerror(errno));
		return NULL;
	}
	char *data = malloc(INPUT_LIMIT + 2);
	*len = data != NULL ? fread(data, 1, INPUT_LIMIT + 1, f) : 0;
	bool bad = data == NULL || ferror(f) || *len > INPUT_LIMIT;
	fclose(f);
	if (bad) {
		fprintf(stderr, "schedmin: %s: %s\n", path,
			data == NULL ? "out of memory" : *len > INPUT_LIMIT ? "larger than 1 MiB" : "read error");
		free(data);
		return NULL;
	}
	data[*len] = '\0';
	return data;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

static int load(const char *path, const char *target, const struct fz_profile **pr, struct fz_schedule *s)
{
	size_t len;
	char *data = read_file(path, &len);
	if (data == NULL)
		return STATUS_FAILED;
	const struct fz_profile *want = target != NULL ? fz_profile_by_name(target) : NULL;
	int status = STATUS_OK;
	if (ends_with(path, ".txt")) {
		char err[512];
		if (!fz_text_parse_buf(data, len, path, pr, s, err, sizeof err)) {
			fprintf(stderr, "%s\n", err);
			status = STATUS_USAGE;
		} else if (want != NULL && want != *pr) {
			fprintf(stderr, "schedmin: %s is a '%s' schedule, not one for target '%s'\n", path, (*pr)->name,
				target);
			status = STATUS_USAGE;
		}
	} else {
		*pr = want != NULL ? want : &fz_profile_schedule;
		fz_decode(*pr, (const uint8_t *)data, len, s);
	}
	free(data);
	return status;
}

static bool write_bin(const char *path, const struct fz_profile *pr, const struct fz_schedule *s)
{
	static uint8_t bytes[ENCODED_CAP];
	const char *why = NULL;
	size_t n = fz_encode(pr, s, bytes, sizeof bytes, &why);
	if (n == 0) {
		fprintf(stderr, "schedmin: cannot encode the result: %s\n", why ? why : "unknown reason");
		return false;
	}
	FILE *f = fopen(path, "wb");
	bool ok = f != NULL && fwrite(bytes, 1, n, f) == n;
	ok = f != NULL && fclose(f) == 0 && ok;
	if (!ok)
		fprintf(stderr, "schedmin: %s: %s\n", path, strerror(errno));
	return ok;
}

static void describe(const struct fz_schedule *s, char *buf, size_t n)
{
	snprintf(buf, n, "%u threads, %u ops, %u decisions", s->nthreads, total_ops(s), s->ndecisions);
}

/* ---- main ------------------------------------------------------------------- */

struct args {
	const char *target, *expect, *in, *out;
	unsigned long max_runs;
};

static int parse_args(int argc, char **argv, struct args *a)
{
	const char *files[2];
	int nfiles = 0;
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		bool has_value = i + 1 < argc;
		if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
			usage(stdout);
			exit(STATUS_OK);
		} else if (strcmp(arg, "--target") == 0 && has_value) {
			a->target = argv[++i];
		} else if (strcmp(arg, "--expect") == 0 && has_value) {
			a->expect = argv[++i];
		} else if (strcmp(arg, "--max-runs") == 0 && has_value) {
			char *end;
			a->max_runs = strtoul(argv[++i], &end, 10);
			if (*end != '\0' || a->max_runs == 0)
				return usage_error("--max-runs wants a positive number", argv[i]);
		} else if (arg[0] == '-' && arg[1] != '\0') {
			return usage_error("unknown option, or one without its value", arg);
		} else if (nfiles < 2) {
			files[nfiles++] = arg;
		} else {
			return usage_error("too many arguments", arg);
		}
	}
	if (nfiles != 2)
		return usage_error("want IN and OUT.bin", NULL);
	if (a->target != NULL) {
		const char *t = strncmp(a->target, "fuzz_", 5) == 0 ? a->target + 5 : a->target;
		if (strstr(t, "freerun") != NULL)
			return usage_error("free-running inputs are not deterministic, so they cannot be shrunk; "
					   "try the same bytes with --target schedule",
					   a->target);
		if (fz_profile_by_name(t) == NULL)
			return usage_error("unknown target (want schedule or needzero)", a->target);
		a->target = t;
	}
	if (a->expect != NULL && (strlen(a->expect) == 0 || strlen(a->expect) >= 32))
		return usage_error("--expect wants an oracle name", a->expect);
	a->in = files[0];
	a->out = files[1];
	return STATUS_OK;
}

int main(int argc, char **argv)
{
	static struct fz_schedule s, orig;
	struct args a = {.max_runs = DEFAULT_MAX_RUNS};
	int status = parse_args(argc, argv, &a);
	const struct fz_profile *pr;
	if (status == STATUS_OK)
		status = load(a.in, a.target, &pr, &s);
	if (status != STATUS_OK)
		return status;

	struct fz_config cfg;
	fz_harness_config(&cfg, 0);
	cfg.trace_always = false;
	char err[200];
	struct shrinker sh = {.pr = pr, .max_runs = a.max_runs};
	sh.runner = fz_runner_new(&cfg, err, sizeof err);
	if (sh.runner == NULL) {
		fprintf(stderr, "schedmin: cannot start the runner: %s\n", err);
		return STATUS_FAILED;
	}
	fz_runner_on_failure(sh.runner, note_failure, NULL);

	struct fz_outcome out;
	const char *oracle = run_once(&sh, &s, &out);
	if (oracle == NULL || (a.expect != NULL && strcmp(oracle, a.expect) != 0)) {
		char v[512];
		fz_outcome_describe(&out, v, sizeof v);
		fprintf(stderr, "schedmin: %s does not fail%s%s; its verdict: %s\n", a.in,
			a.expect ? " with " : "", a.expect ? a.expect : "", v);
		fz_runner_free(sh.runner);
		return STATUS_FAILED;
	}
	snprintf(sh.oracle, sizeof sh.oracle, "%s", oracle);
	orig = s;
	shrink(&sh, &s);

	char before[96], after[96];
	describe(&orig, before, sizeof before);
	describe(&s, after, sizeof after);
	printf("schedmin: %s fails with %s: %s -> %s (%lu candidate runs, %lu kept)\n", a.in, sh.oracle, before,
	       after, sh.runs, sh.kept);
	if (sh.capped)
		printf("schedmin: stopped at the cap of %lu candidate runs (--max-runs); it may shrink further\n",
		       sh.max_runs);
	/* The result once more, as the fuzz target will replay it. */
	oracle = run_once(&sh, &s, &out);
	bool same = oracle != NULL && strcmp(oracle, sh.oracle) == 0;
	if (!same)
		fprintf(stderr, "schedmin: internal error: the result no longer fails with %s\n", sh.oracle);
	bool ok = same && write_bin(a.out, pr, &s);
	fz_runner_free(sh.runner);
	return ok ? STATUS_OK : STATUS_FAILED;
}
