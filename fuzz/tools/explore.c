/*
 * explore.c - runs every interleaving of a text schedule's thread programs
 * with at most K preemptions, and says what was covered (fuzz/explore/).
 *
 *   explore FILE [--preemptions K|unbounded] [--por classes|dpor|dpor-cut|none]
 *           [--max-executions N] [--seconds S] [--json FILE] [--out DIR]
 *           [--drop-decisions] [--quiet]
 *
 * On a failure the failing execution is printed as the fuzz targets print
 * it (verdict, swimlane trace) and written as a regression pair, DIR/NAME-
 * explore.txt with decisions that replay it exactly and its .bin; the pair
 * is then replayed from the .bin's decoding, as the fuzz target would, and
 * the report says whether the verdict was the same.
 *
 * Exit status: 0 no failure (the report says whether the search was
 * complete), 1 a failure was found or the search could not go on, 2 bad
 * arguments or an unreadable or malformed file.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fz_explore.h"
#include "fz_harness.h"
#include "fz_text.h"
#include "ph_bugs.h"

#define INPUT_LIMIT (1024u * 1024u)
#define ENCODED_CAP 16384

enum { STATUS_PASS = 0, STATUS_FAIL = 1, STATUS_USAGE = 2 };

static void usage(FILE *f)
{
	fputs("usage: explore FILE [options]\n"
	      "\n"
	      "Runs every interleaving of the thread programs of FILE (a text schedule,\n"
	      "corpus/*/NAME.txt) with at most K preemptions, each from a fresh heap, under\n"
	      "every oracle; its decisions, if any, are a fixed prefix.\n"
	      "\n"
	      "  --preemptions K     at most K preemptions (switching away from a thread that\n"
	      "                      could go on); default 2; 'unbounded' for no bound\n"
	      "  --por classes|dpor|dpor-cut|none\n"
	      "                      partial-order reduction.  classes (the default with a\n"
	      "                      bound) enumerates every interleaving within the bound\n"
	      "                      and runs one of each class of equivalent ones, working\n"
	      "                      the others out from the steps that ran; dpor (the\n"
	      "                      default without a bound) runs one execution per class\n"
	      "                      (source-DPOR with sleep sets) and, under a bound, makes\n"
	      "                      up for most of what the bound cuts (not all: it can\n"
	      "                      miss interleavings within the bound); dpor-cut only\n"
	      "                      cuts; none runs every interleaving\n"
	      "  --max-executions N  stop after N executions (the report says so)\n"
	      "  --seconds S         stop after S seconds (the report says so)\n"
	      "  --json FILE         also write the report as JSON to FILE ('-': standard output)\n"
	      "  --out DIR           where a failing schedule is written (default: .)\n"
	      "  --drop-decisions    ignore FILE's decisions: explore from the start\n"
	      "  --quiet             on a failure, no trace: only the report\n"
	      "\n"
	      "Environment: FZ_ENGINE and FZ_BUDGET as for the fuzz targets.\n"
	      "Exit status: 0 no failure, 1 a failure (or the search could not go on),\n"
	      "2 bad arguments or file.  docs/EXPLORE.md has the details.\n",
	      f);
}

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
	va_list ap;
	fputs("explore: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\n\n", stderr);
	usage(stderr);
	return STATUS_USAGE;
}

struct args {
	const char *file, *json, *out_dir;
	bool quiet;
	struct fz_explore_options o;
};

/* A whole non-negative decimal number in [0, max]. */
static bool parse_count(const char *s, unsigned long long max, unsigned long long *v)
{
	if (s == NULL || *s < '0' || *s > '9')
		return false;
	char *end;
	errno = 0;
	*v = strtoull(s, &end, 10);
	return errno == 0 && *end == '\0' && *v <= max;
}

static int parse_args(int argc, char **argv, struct args *a)
{
	memset(a, 0, sizeof *a);
	a->out_dir = ".";
	a->o.preemptions = 2;
	bool por_given = false;
	for (int i = 1; i < argc; i++) {
		const char *w = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		unsigned long long n;
		if (strcmp(w, "-h") == 0 || strcmp(w, "--help") == 0) {
			usage(stdout);
			exit(STATUS_PASS);
		} else if (strcmp(w, "--preemptions") == 0) {
			if (v != NULL && strcmp(v, "unbounded") == 0)
				a->o.preemptions = FZ_EXPLORE_UNBOUNDED;
			else if (parse_count(v, 1000, &n))
				a->o.preemptions = (int)n;
			else
				return usage_error("--preemptions wants a number 0..1000 or 'unbounded', got '%s'", v ? v : "");
			i++;
		} else if (strcmp(w, "--por") == 0) {
			if (!fz_por_parse(v, &a->o.por))
				return usage_error("--por wants classes, dpor, dpor-cut or none, got '%s'", v ? v : "");
			por_given = true;
			i++;
		} else if (strcmp(w, "--max-executions") == 0) {
			if (!parse_count(v, UINT64_MAX, &n) || n == 0)
				return usage_error("--max-executions wants a positive number, got '%s'", v ? v : "");
			a->o.max_executions = n;
			i++;
		} else if (strcmp(w, "--seconds") == 0) {
			char *end = NULL;
			double s = v != NULL ? strtod(v, &end) : 0;
			if (v == NULL || end == v || *end != '\0' || !(s > 0) || s > 1e9)
				return usage_error("--seconds wants a positive number, got '%s'", v ? v : "");
			a->o.seconds = s;
			i++;
		} else if (strcmp(w, "--json") == 0 || strcmp(w, "--out") == 0) {
			if (v == NULL || *v == '\0')
				return usage_error("%s wants a file or folder name", w);
			*(w[2] == 'j' ? &a->json : &a->out_dir) = v;
			i++;
		} else if (strcmp(w, "--drop-decisions") == 0) {
			a->o.drop_decisions = true;
		} else if (strcmp(w, "--quiet") == 0) {
			a->quiet = true;
		} else if (w[0] == '-' && w[1] != '\0') {
			return usage_error("unknown option '%s'", w);
		} else if (a->file != NULL) {
			return usage_error("one FILE only (got '%s' and '%s')", a->file, w);
		} else {
			a->file = w;
		}
	}
	if (a->file == NULL)
		return usage_error("no FILE given");
	/* Without a bound the interleavings outgrow the classes by far, and
	 * enumerating them would cost more than DPOR's runs (docs/EXPLORE.md). */
	if (!por_given)
		a->o.por = a->o.preemptions == FZ_EXPLORE_UNBOUNDED ? FZ_POR_DPOR : FZ_POR_CLASSES;
	return -1;
}

/* Reads and parses the schedule; STATUS_USAGE after a message on failure. */
static int load(const char *path, const struct fz_profile **pr, struct fz_schedule *s)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		fprintf(stderr, "explore: %s: %s\n", path, strerror(errno));
		return STATUS_USAGE;
	}
	char *text = malloc(INPUT_LIMIT + 1);
	size_t len = text != NULL ? fread(text, 1, INPUT_LIMIT + 1, f) : 0;
	bool bad = text == NULL || ferror(f) || len > INPUT_LIMIT;
	fclose(f);
	if (bad) {
		fprintf(stderr, "explore: %s: %s\n", path,
			text == NULL ? "out of memory" : len > INPUT_LIMIT ? "larger than 1 MiB: not a text schedule" : "read error");
		free(text);
		return STATUS_USAGE;
	}
	char err[512];
	bool ok = fz_text_parse_buf(text, len, path, pr, s, err, sizeof err);
	free(text);
	if (!ok) {
		fprintf(stderr, "explore: %s\n", err);
		return STATUS_USAGE;
	}
	return STATUS_PASS;
}

/* DIR/NAME-explore.EXT for the input file's NAME. */
static void pair_path(const char *dir, const char *file, const char *ext, char *buf, size_t n)
{
	const char *base = strrchr(file, '/');
	base = base ? base + 1 : file;
	size_t len = strlen(base);
	if (len > 4 && strcmp(base + len - 4, ".txt") == 0)
		len -= 4;
	snprintf(buf, n, "%s/%.*s-explore.%s", dir, (int)len, base, ext);
}

static bool write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	if (f == NULL) {
		fprintf(stderr, "explore: %s: %s\n", path, strerror(errno));
		return false;
	}
	bool ok = fwrite(data, 1, len, f) == len;
	ok = fclose(f) == 0 && ok;
	if (!ok)
		fprintf(stderr, "explore: %s: write error: %s\n", path, strerror(errno));
	return ok;
}

/* Writes the regression pair; false (after a message) on failure. */
static bool write_pair(const struct args *a, const struct fz_profile *pr, const struct fz_explore_result *res,
		       const char *txt_path, const char *bin_path, uint8_t *bin, size_t *bin_len)
{
	const char *why = NULL;
	*bin_len = fz_encode(pr, &res->failing, bin, ENCODED_CAP, &why);
	char *body = fz_text_format_alloc(pr, &res->failing);
	if (*bin_len == 0 || body == NULL) {
		fprintf(stderr, "explore: cannot write the failing schedule: %s\n", why ? why : "out of memory");
		free(body);
		return false;
	}
	char head[2048];
	const char *bug = ph_bug_active();
	int n = snprintf(head, sizeof head,
			 "# Found by out/explore (POR %s, %s%u preemption%s) in %s%s%s:\n"
			 "# execution %llu fails oracle %s: %.300s\n"
			 "# Its decisions are every choice of that execution, so it replays exactly.\n"
			 "# expect: %s\n",
			 fz_por_name(a->o.por),
			 a->o.preemptions == FZ_EXPLORE_UNBOUNDED ? "no bound, this run had " : "<= ",
			 a->o.preemptions == FZ_EXPLORE_UNBOUNDED ? res->failure_preemptions : (unsigned)a->o.preemptions,
			 (a->o.preemptions == FZ_EXPLORE_UNBOUNDED ? res->failure_preemptions : (unsigned)a->o.preemptions) == 1 ? "" : "s",
			 a->file, strcmp(bug, "none") != 0 ? ", built with ALLOC_BUG=" : "",
			 strcmp(bug, "none") != 0 ? bug : "", (unsigned long long)res->executions,
			 res->failure.verdict.oracle, res->failure.verdict.msg, res->failure.verdict.oracle);
	size_t blen = strlen(body);
	char *all = malloc((size_t)n + blen + 1);
	bool ok = all != NULL;
	if (ok) {
		memcpy(all, head, (size_t)n);
		memcpy(all + n, body, blen + 1);
		ok = write_file(txt_path, all, (size_t)n + blen) && write_file(bin_path, bin, *bin_len);
	}
	free(all);
	free(body);
	return ok;
}

int main(int argc, char **argv)
{
#if !PH_HOOKS
	fprintf(stderr, "explore: this build has the allocator's hooks compiled out (HOOKS=0): "
			"it cannot see the scheduling points; use out/explore\n");
	(void)argc;
	(void)argv;
	return STATUS_FAIL;
#endif
	struct args a;
	int st = parse_args(argc, argv, &a);
	if (st >= 0)
		return st;
	const struct fz_profile *pr;
	static struct fz_schedule s;
	if ((st = load(a.file, &pr, &s)) != STATUS_PASS)
		return st;
	FILE *json = NULL;
	if (a.json != NULL) {
		json = strcmp(a.json, "-") == 0 ? stdout : fopen(a.json, "w");
		if (json == NULL) {
			fprintf(stderr, "explore: %s: %s\n", a.json, strerror(errno));
			return STATUS_USAGE;
		}
	}
	struct stat dir;
	if (stat(a.out_dir, &dir) != 0 || !S_ISDIR(dir.st_mode)) {
		fprintf(stderr, "explore: --out %s: not a folder\n", a.out_dir);
		return STATUS_USAGE;
	}

	fz_harness_config(&a.o.runner, 0);
	a.o.runner.trace_always = false;
	char err[300];
	struct fz_explorer *x = fz_explore_new(&a.o, err, sizeof err);
	if (x == NULL) {
		fprintf(stderr, "explore: cannot start: %s\n", err);
		return STATUS_FAIL;
	}
	static struct fz_explore_result res;
	fz_explore_run(x, pr, &s, &res);
	fz_explore_free(x);

	struct fz_explore_report rep = {.program = a.file, .pr = pr, .s = &s, .o = &a.o, .res = &res};
	char txt_path[4096], bin_path[4096];
	static uint8_t bin[ENCODED_CAP];
	struct fz_outcome replay;
	if (res.stop == FZ_EXPLORE_FAILED && res.failing.ndecisions > 0) {
		pair_path(a.out_dir, a.file, "txt", txt_path, sizeof txt_path);
		pair_path(a.out_dir, a.file, "bin", bin_path, sizeof bin_path);
		size_t bin_len = 0;
		if (write_pair(&a, pr, &res, txt_path, bin_path, bin, &bin_len)) {
			rep.pair_txt = txt_path;
			rep.pair_bin = bin_path;
			/* Replay what the fuzz target would run: the decoded bytes. */
			static struct fz_schedule decoded;
			fz_decode(pr, bin, bin_len, &decoded);
			if (fz_explore_replay(&a.o.runner, pr, &decoded, a.quiet ? NULL : json == stdout ? stderr : stdout,
					      &replay, err, sizeof err)) {
				rep.replayed = true;
				rep.replay_same = replay.failed && strcmp(replay.verdict.oracle, res.failure.verdict.oracle) == 0;
				rep.replay_oracle = replay.failed ? replay.verdict.oracle : NULL;
			} else {
				fprintf(stderr, "explore: cannot replay: %s\n", err);
			}
		}
	}
	/* With the JSON on standard output, the text goes to standard error. */
	fz_explore_print(&rep, json == stdout ? stderr : stdout);
	if (json != NULL) {
		fz_explore_json(&rep, json);
		if (json != stdout && fclose(json) != 0) {
			fprintf(stderr, "explore: %s: write error\n", a.json);
			return STATUS_FAIL;
		}
	}
	return res.stop == FZ_EXPLORE_FAILED || res.stop == FZ_EXPLORE_ERROR ? STATUS_FAIL : STATUS_PASS;
}
