/*
 * schedtool.c - converts schedules between their text and byte forms and
 * checks that texts survive the round trip.
 *
 *   schedtool encode IN.txt OUT.bin
 *   schedtool decode --target NAME IN.bin [OUT.txt]
 *   schedtool check IN.txt...
 *   schedtool trace [--html] FILE [TARGET]
 *
 * Design.  Subcommands live in one table (the usage text and the dispatch
 * are generated from it), so adding one is adding a row and a function.
 * Exit statuses follow one rule across commands: 0 success, 1 something
 * failed that the input's syntax did not cause (I/O, a round trip that
 * changed the schedule or the text), 2 the invocation or the text itself is
 * wrong; `trace` adds that 1 means the input failed (its trace is printed
 * all the same).  Inputs are read whole with a 1 MiB cap: the longest canonical
 * text is below 90 KiB and the decoder reads at most about 11 KiB of bytes,
 * so anything larger is a wrong file, and refusing it beats stalling.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fz_harness.h"
#include "fz_run.h"
#include "fz_schedule.h"
#include "fz_text.h"

#define INPUT_LIMIT (1024u * 1024u)
#define ENCODED_CAP 16384 /* the longest canonical encoding is 11279 bytes */

enum { STATUS_OK = 0, STATUS_FAILED = 1, STATUS_USAGE = 2 };

struct command {
	const char *name;
	const char *args;
	const char *summary;
	int (*run)(int argc, char **argv); /* the arguments after the command name */
};

static void usage(FILE *f);

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("schedtool: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\n\n", stderr);
	usage(stderr);
	return STATUS_USAGE;
}

/* ---- files ---------------------------------------------------------------- */

struct input {
	char *data; /* NUL-terminated for convenience; may also hold NUL bytes */
	size_t len;
};

/* Reads path whole; on failure names the file and the reason on stderr. */
static bool read_input(const char *path, struct input *in)
{
	FILE *f = fopen(path, "rb");

	if (f == NULL) {
		fprintf(stderr, "schedtool: %s: %s\n", path, strerror(errno));
		return false;
	}
	in->data = malloc(INPUT_LIMIT + 2);
	if (in->data == NULL) {
		fclose(f);
		fprintf(stderr, "schedtool: %s: out of memory\n", path);
		return false;
	}
	/* One byte past the limit tells "exactly the limit" from "too large". */
	in->len = fread(in->data, 1, INPUT_LIMIT + 1, f);
	int read_errno = ferror(f) ? errno : 0;
	fclose(f);
	if (read_errno != 0 || in->len > INPUT_LIMIT) {
		if (read_errno != 0)
			fprintf(stderr, "schedtool: %s: read error: %s\n", path, strerror(read_errno));
		else
			fprintf(stderr, "schedtool: %s: larger than the %u KiB input limit\n", path,
				INPUT_LIMIT / 1024);
		free(in->data);
		return false;
	}
	in->data[in->len] = '\0';
	return true;
}

/* Writes to path, or to standard output when path is NULL. */
static bool write_output(const char *path, const void *data, size_t len)
{
	const char *name = path != NULL ? path : "standard output";
	FILE *f = path != NULL ? fopen(path, "wb") : stdout;

	if (f == NULL) {
		fprintf(stderr, "schedtool: %s: %s\n", name, strerror(errno));
		return false;
	}
	bool ok = fwrite(data, 1, len, f) == len;
	/* Buffered write errors (a full disk) only surface when flushing. */
	ok = (path != NULL ? fclose(f) == 0 : fflush(f) == 0) && ok;
	if (!ok)
		fprintf(stderr, "schedtool: %s: write error: %s\n", name, strerror(errno));
	return ok;
}

/* ---- encode --------------------------------------------------------------- */

/* Reads and parses a text file: STATUS_OK, or the status to exit with after
 * the message was printed. */
static int load_text(const char *path, struct input *in, const struct fz_profile **pr,
		     struct fz_schedule *s)
{
	char err[512];

	if (!read_input(path, in))
		return STATUS_FAILED;
	if (!fz_text_parse_buf(in->data, in->len, path, pr, s, err, sizeof err)) {
		fprintf(stderr, "%s\n", err);
		free(in->data);
		return STATUS_USAGE;
	}
	return STATUS_OK;
}

static size_t encode_or_explain(const char *path, const struct fz_profile *pr,
				const struct fz_schedule *s, uint8_t *out)
{
	const char *why = NULL;
	size_t n = fz_encode(pr, s, out, ENCODED_CAP, &why);

	/* The parser admits only encodable schedules, so this is a bug report. */
	if (n == 0)
		fprintf(stderr, "schedtool: %s: cannot encode: %s\n", path, why ? why : "unknown reason");
	return n;
}

static int cmd_encode(int argc, char **argv)
{
	static struct fz_schedule s;
	static uint8_t out[ENCODED_CAP];
	const struct fz_profile *pr;
	struct input in;

	if (argc != 2)
		return usage_error("encode takes IN.txt OUT.bin");
	int status = load_text(argv[0], &in, &pr, &s);
	if (status != STATUS_OK)
		return status;
	free(in.data);
	size_t n = encode_or_explain(argv[0], pr, &s, out);
	if (n == 0)
		return STATUS_FAILED;
	return write_output(argv[1], out, n) ? STATUS_OK : STATUS_FAILED;
}

/* ---- decode --------------------------------------------------------------- */

struct decode_args {
	const char *target;
	const char *in, *out;
};

static int parse_decode_args(int argc, char **argv, struct decode_args *a)
{
	const char *files[3] = {NULL, NULL, NULL};
	int nfiles = 0;
	bool options = true;

	for (int i = 0; i < argc; i++) {
		const char *arg = argv[i];
		if (options && strcmp(arg, "--") == 0) {
			options = false;
		} else if (options && strcmp(arg, "--target") == 0) {
			if (i + 1 >= argc)
				return usage_error("--target needs a NAME");
			a->target = argv[++i];
		} else if (options && strncmp(arg, "--target=", 9) == 0) {
			a->target = arg + 9;
		} else if (options && arg[0] == '-' && arg[1] != '\0') {
			return usage_error("decode: unknown option '%s'", arg);
		} else if (nfiles < 3) {
			files[nfiles++] = arg;
		}
	}
	if (a->target == NULL)
		return usage_error("decode needs --target NAME");
	if (fz_profile_by_name(a->target) == NULL)
		return usage_error("unknown target '%s' (want schedule or needzero)", a->target);
	if (nfiles < 1 || nfiles > 2)
		return usage_error("decode takes IN.bin and at most one OUT.txt");
	a->in = files[0];
	a->out = files[1];
	return STATUS_OK;
}

static int cmd_decode(int argc, char **argv)
{
	static struct fz_schedule s;
	struct decode_args a = {NULL, NULL, NULL};
	struct input in;

	int status = parse_decode_args(argc, argv, &a);
	if (status != STATUS_OK)
		return status;
	const struct fz_profile *pr = fz_profile_by_name(a.target);
	if (!read_input(a.in, &in))
		return STATUS_FAILED;
	fz_decode(pr, (const uint8_t *)in.data, in.len, &s);
	free(in.data);
	char *text = fz_text_format_alloc(pr, &s);
	if (text == NULL) {
		fprintf(stderr, "schedtool: %s: out of memory\n", a.in);
		return STATUS_FAILED;
	}
	bool ok = write_output(a.out, text, strlen(text));
	free(text);
	return ok ? STATUS_OK : STATUS_FAILED;
}

/* ---- check ---------------------------------------------------------------- */

struct line_cursor {
	const char *p, *end;
	unsigned no; /* number of the line last returned */
};

/* The next line that carries meaning (not blank, not a comment). */
static bool next_meaningful_line(struct line_cursor *c, const char **line, size_t *len)
{
	while (c->p < c->end) {
		const char *start = c->p;
		const char *nl = memchr(start, '\n', (size_t)(c->end - start));
		size_t n = (size_t)((nl != NULL ? nl : c->end) - start);
		c->p = nl != NULL ? nl + 1 : c->end;
		c->no++;
		if (!fz_text_line_ignored(start, n)) {
			*line = start;
			*len = n;
			return true;
		}
	}
	return false;
}

/* Prints a line so that tabs and carriage returns, which make two lines
 * differ while looking the same, stay visible. */
static void print_visible(const char *label, const char *line, size_t len)
{
	fprintf(stderr, "  %-10s '", label);
	for (size_t i = 0; i < len; i++) {
		if (line[i] == '\t')
			fputs("\\t", stderr);
		else if (line[i] == '\r')
			fputs("\\r", stderr);
		else
			fputc(line[i], stderr);
	}
	fputs("'\n", stderr);
}

/* Compares the file's meaningful lines with the canonical text; explains
 * the first difference. */
static bool same_as_canonical(const char *path, const struct input *in, const char *canonical)
{
	struct line_cursor file = {in->data, in->data + in->len, 0};
	struct line_cursor canon = {canonical, canonical + strlen(canonical), 0};
	const char *fl = NULL, *cl = NULL;
	size_t flen = 0, clen = 0;

	for (;;) {
		bool has_f = next_meaningful_line(&file, &fl, &flen);
		bool has_c = next_meaningful_line(&canon, &cl, &clen);
		if (!has_f && !has_c)
			return true;
		if (has_f && has_c && flen == clen && memcmp(fl, cl, flen) == 0)
			continue;
		fprintf(stderr, "%s:%u: not in canonical form\n", path, has_f ? file.no : file.no + 1);
		if (has_f)
			print_visible("file:", fl, flen);
		if (has_c)
			print_visible("canonical:", cl, clen);
		return false;
	}
}

static int check_file(const char *path)
{
	static struct fz_schedule s, back;
	static uint8_t bytes[ENCODED_CAP];
	const struct fz_profile *pr;
	struct input in;
	char why[160];

	int status = load_text(path, &in, &pr, &s);
	if (status != STATUS_OK)
		return status;
	size_t n = encode_or_explain(path, pr, &s, bytes);
	if (n > 0) {
		fz_decode(pr, bytes, n, &back);
		if (!fz_schedule_same(&s, &back, why, sizeof why)) {
			fprintf(stderr, "%s: the bytes decode to a different schedule: %s\n", path, why);
			n = 0;
		}
	}
	char *text = n > 0 ? fz_text_format_alloc(pr, &back) : NULL;
	bool ok = text != NULL && same_as_canonical(path, &in, text);
	free(text);
	free(in.data);
	if (ok)
		printf("ok %s\n", path);
	return ok ? STATUS_OK : STATUS_FAILED;
}

static int cmd_check(int argc, char **argv)
{
	int worst = STATUS_OK;

	if (argc < 1)
		return usage_error("check needs at least one IN.txt");
	/* Every file is checked, so one run lists every problem. */
	for (int i = 0; i < argc; i++) {
		int status = check_file(argv[i]);
		worst = status > worst ? status : worst;
	}
	return worst;
}

/* ---- trace ---------------------------------------------------------------- */

struct trace_args {
	bool html;
	const char *file, *target;
};

static int parse_trace_args(int argc, char **argv, struct trace_args *a)
{
	const char *pos[3] = {NULL, NULL, NULL};
	int npos = 0;
	bool options = true;

	for (int i = 0; i < argc; i++) {
		if (options && strcmp(argv[i], "--") == 0)
			options = false;
		else if (options && strcmp(argv[i], "--html") == 0)
			a->html = true;
		else if (options && argv[i][0] == '-' && argv[i][1] != '\0')
			return usage_error("trace: unknown option '%s'", argv[i]);
		else if (npos < 3)
			pos[npos++] = argv[i];
		else
			npos++;
	}
	if (npos < 1 || npos > 2)
		return usage_error("trace takes FILE and at most one TARGET");
	a->file = pos[0];
	a->target = pos[1];
	return STATUS_OK;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* The schedule FILE holds: its text form when it ends in .txt, its bytes
 * otherwise.  target (NULL: the text's, or schedule) picks the profile; a
 * "_freerun" suffix asks for free-running threads. */
static int load_schedule(const struct trace_args *a, const struct fz_profile **pr, struct fz_schedule *s,
			 bool *freerun)
{
	char name[64] = "schedule";
	*freerun = false;
	if (a->target != NULL) {
		const char *t = strncmp(a->target, "fuzz_", 5) == 0 ? a->target + 5 : a->target;
		snprintf(name, sizeof name, "%s", t);
		if (ends_with(name, "_freerun")) {
			name[strlen(name) - strlen("_freerun")] = '\0';
			*freerun = strcmp(name, "schedule") == 0;
			if (!*freerun)
				return usage_error("trace: unknown target '%s'", a->target);
		}
		if (fz_profile_by_name(name) == NULL)
			return usage_error("trace: unknown target '%s' (want schedule, needzero or schedule_freerun)",
					   a->target);
	}
	if (ends_with(a->file, ".txt")) {
		struct input in;
		int status = load_text(a->file, &in, pr, s);
		if (status != STATUS_OK)
			return status;
		free(in.data);
		if (a->target != NULL && *pr != fz_profile_by_name(name))
			return usage_error("trace: %s is a '%s' schedule, not one for target '%s'", a->file, (*pr)->name,
					   a->target);
		return STATUS_OK;
	}
	struct input in;
	if (!read_input(a->file, &in))
		return STATUS_FAILED;
	*pr = fz_profile_by_name(name);
	fz_decode(*pr, (const uint8_t *)in.data, in.len, s);
	free(in.data);
	return STATUS_OK;
}

/* A failure ends the run (its threads unwind) instead of the process. */
static void note_failure(const struct fz_outcome *o, void *arg)
{
	(void)o;
	(void)arg;
}

static int cmd_trace(int argc, char **argv)
{
	static struct fz_schedule s;
	struct trace_args a = {false, NULL, NULL};
	const struct fz_profile *pr;
	bool freerun;

	int status = parse_trace_args(argc, argv, &a);
	if (status == STATUS_OK)
		status = load_schedule(&a, &pr, &s, &freerun);
	if (status != STATUS_OK)
		return status;
	/* FZ_ENGINE and FZ_BUDGET as the fuzz targets read them. */
	struct fz_config cfg;
	fz_harness_config(&cfg, freerun);
	cfg.trace_always = false;
	char err[200];
	struct fz_runner *r = fz_runner_new(&cfg, err, sizeof err);
	if (r == NULL) {
		fprintf(stderr, "schedtool: cannot start the runner: %s\n", err);
		return STATUS_FAILED;
	}
	fz_runner_on_failure(r, note_failure, NULL);
	struct fz_outcome out;
	fz_runner_run(r, pr, &s, &out);
	if (a.html) {
		fz_runner_print_trace_html(r, &out, stdout);
	} else {
		char line[512];
		fz_runner_print_trace(r, stdout);
		fz_outcome_describe(&out, line, sizeof line);
		printf("==== verdict: %s ====\n", line);
	}
	fz_runner_free(r);
	return out.failed ? STATUS_FAILED : STATUS_OK;
}

/* ---- commands ------------------------------------------------------------- */

/*
 * EXTENSION POINT: subcommands are rows here, with their functions above
 * this table.  Usage, --help and dispatch pick new rows up by themselves.
 */
static const struct command commands[] = {
	{"encode", "IN.txt OUT.bin", "text to bytes; the target is the text's 'target' line",
	 cmd_encode},
	{"decode", "--target NAME IN.bin [OUT.txt]",
	 "bytes to canonical text (standard output without OUT.txt);\n"
	 "NAME is schedule or needzero, with or without the fuzz_ prefix",
	 cmd_decode},
	{"check", "IN.txt...",
	 "parse, encode, decode and re-format each file, and compare the\n"
	 "result with the file's lines (blank and comment lines aside);\n"
	 "prints \"ok FILE\" for each file that survives",
	 cmd_check},
	{"trace", "[--html] FILE [TARGET]",
	 "run the schedule FILE holds (its text form when FILE ends in .txt,\n"
	 "its bytes otherwise) as TARGET does (schedule, needzero or\n"
	 "schedule_freerun; default: the text's target, else schedule) and\n"
	 "print its swimlane trace and verdict line, or with --html the same\n"
	 "as one self-contained HTML page; exit status 1 when it failed.\n"
	 "FZ_ENGINE and FZ_BUDGET are read as the fuzz targets read them",
	 cmd_trace},
};

#define NCOMMANDS (sizeof commands / sizeof commands[0])

/* Prints a summary with every line after the first indented under it. */
static void print_summary(FILE *f, const char *summary)
{
	for (const char *p = summary; *p != '\0'; p++) {
		fputc(*p, f);
		if (*p == '\n')
			fputs("      ", f);
	}
	fputc('\n', f);
}

static void usage(FILE *f)
{
	fputs("usage: schedtool COMMAND ARGS...\n\n", f);
	for (size_t i = 0; i < NCOMMANDS; i++) {
		fprintf(f, "  %s %s\n      ", commands[i].name, commands[i].args);
		print_summary(f, commands[i].summary);
	}
	fputs("\n"
	      "  --help      this text\n\n"
	      "The text format is described in fuzz/schedule/fz_text.h.  Inputs above 1 MiB are refused.\n"
	      "Exit status: 0 success; 1 I/O error or failed round trip; 2 usage or syntax error\n"
	      "(syntax errors print FILE:LINE:COL: message).\n",
	      f);
}

static bool is_help_option(const char *arg)
{
	return strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0;
}

/* "schedtool --help", "schedtool help" and "schedtool COMMAND --help". */
static bool wants_help(int argc, char **argv)
{
	return is_help_option(argv[1]) || strcmp(argv[1], "help") == 0 ||
	       (argc > 2 && is_help_option(argv[2]));
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage_error("missing COMMAND");
	if (wants_help(argc, argv)) {
		usage(stdout);
		return fflush(stdout) == 0 ? STATUS_OK : STATUS_FAILED;
	}
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (strcmp(argv[1], commands[i].name) == 0) {
			int status = commands[i].run(argc - 2, argv + 2);
			if (fflush(stdout) != 0 && status == STATUS_OK) {
				fprintf(stderr, "schedtool: standard output: %s\n", strerror(errno));
				status = STATUS_FAILED;
			}
			return status;
		}
	return usage_error("unknown command '%s'", argv[1]);
}
