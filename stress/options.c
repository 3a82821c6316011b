/*
 * options.c - the command line: parsing, usage, and the command that reruns
 * a run with the same seed.
 *
 * Every option has a default that makes a bare `stress` a sensible 10-second
 * run; a bad option prints the usage to stderr and exits 2, so scripts can
 * tell a mistyped command from a failed run (exit 1).
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rng.h"
#include "stress.h"

static const char *const op_names[ST_OP_KINDS] = {"small", "large", "free", "write", "destroy", "claim"};

/* The default mix keeps the live set roughly level (allocations and frees
 * balance), mostly on the cache path where allocations reach the zeroing
 * decision out of address order, with enough large allocations to cross
 * arena boundaries.  Claims are fault injection and stay off by default. */
static const unsigned default_mix[ST_OP_KINDS] = {40, 6, 40, 12, 2, 0};

const char *st_op_name(enum st_op k) { return k < ST_OP_KINDS ? op_names[k] : "?"; }

static void usage(FILE *out, const char *prog)
{
	fprintf(out,
		"usage: %s [OPTIONS]\n"
		"\n"
		"Free-running multi-threaded stress of the page heap with online oracles\n"
		"(Z1 zero memory, O1 no double hand-out / intact contents, O3 and Z3 bounds\n"
		"from the allocator's notes in hook builds) and quiescent checkpoints (HEAP\n"
		"accounting, Z3 at rest).\n"
		"\n"
		"  --threads N          worker threads, 1..%d (default: number of cores, at most %d)\n"
		"  --seconds S          run for S seconds (default 10)\n"
		"  --ops N              run N operations in all instead (split among threads)\n"
		"  --seed N             PRNG seed (default: from the clock; always printed)\n"
		"  --mix K=W,...        operation weights; K in small, large, free, write, destroy,\n"
		"                       claim; unnamed kinds keep their defaults\n"
		"                       (default small=40,large=6,free=40,write=12,destroy=2,claim=0)\n"
		"                       claim = fault-injected zeroing decisions on random ranges:\n"
		"                       the overlap detector firing on one ends the run, exit 0\n"
		"  --geometry go|fuzz   heap geometry (default fuzz: 128-byte pages, 2048-page arenas)\n"
		"  --variant lockfree|locked\n"
		"                       zeroing decision; compile-time, so the other variant\n"
		"                       re-executes the sibling binary (stress <-> stress-locked)\n"
		"  --no-page-cache      every allocation takes the locked path (address order)\n"
		"  --jitter N           hook builds: at 1 in N of the allocator's scheduling points\n"
		"                       (zeroedBase load/CAS, lock, cache refill) pause for a random\n"
		"                       moment, widening race windows (default %d; 0 = never)\n"
		"  --bug NAME           require this binary to carry injected fault NAME\n"
		"  --checkpoint-ms N    quiescent checkpoint period (default 200; 0 = none)\n"
		"  --reset-ms N         every N ms (at a checkpoint) empty the heap, check nothing\n"
		"                       is left, and reset it to fresh memory, so the workers\n"
		"                       regrow it: growth is where zeroing decisions race\n"
		"                       (default 250; 0 = never)\n"
		"  --json FILE          machine-readable summary ('-' = stdout)\n"
		"  --quiet              no progress lines\n"
		"  --trace-events N     a failure report shows each worker's last N events\n"
		"                       (default 400; 0 = all %u kept)\n"
		"  --micro cache        micro-benchmark: 1-page alloc+free pairs on one thread\n"
		"                       from the P cache, in ns per pair (--ops pairs, default 1000000)\n"
		"  --micro cache-alloc  the same allocations alone, in ns each; the frees,\n"
		"                       in batches between them, are not timed\n"
		"  --help               this text\n"
		"\n"
		"Exit status: 0 clean (or the overlap detector fired on an injected claim),\n"
		"1 an oracle failed, the allocator threw, a thread got stuck or a sanitizer\n"
		"reported, 2 bad usage or wrong binary.\n",
		prog, ST_MAX_THREADS, ST_MAX_THREADS, ST_DEFAULT_JITTER, (unsigned)FZ_TRACE_CAP);
}

__attribute__((noreturn, format(printf, 2, 3))) static void bad_usage(const char *prog, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "stress: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n\n");
	usage(stderr, prog);
	exit(ST_EXIT_USAGE);
}

static uint64_t parse_u64(const char *prog, const char *opt, const char *s, uint64_t min, uint64_t max)
{
	char *end;
	errno = 0;
	if (*s == '-' || *s == '\0')
		bad_usage(prog, "%s needs a non-negative integer, got '%s'", opt, s);
	unsigned long long v = strtoull(s, &end, 0);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		bad_usage(prog, "%s needs an integer in [%llu, %llu], got '%s'", opt, (unsigned long long)min,
			  (unsigned long long)max, s);
	return v;
}

static void parse_mix(const char *prog, const char *s, unsigned mix[ST_OP_KINDS])
{
	char buf[256];
	if (strlen(s) >= sizeof buf)
		bad_usage(prog, "--mix: too long");
	strcpy(buf, s);
	char *save = NULL;
	for (char *item = strtok_r(buf, ",", &save); item != NULL; item = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(item, '=');
		if (eq == NULL)
			bad_usage(prog, "--mix: '%s' is not KIND=WEIGHT", item);
		*eq = '\0';
		int k;
		for (k = 0; k < ST_OP_KINDS; k++)
			if (strcmp(item, op_names[k]) == 0)
				break;
		if (k == ST_OP_KINDS)
			bad_usage(prog, "--mix: unknown kind '%s' (small, large, free, write, destroy, claim)", item);
		mix[k] = (unsigned)parse_u64(prog, "--mix weight", eq + 1, 0, 1000000);
	}
	unsigned all = 0;
	for (int k = 0; k < ST_OP_KINDS; k++)
		all += mix[k];
	if (all == 0)
		bad_usage(prog, "--mix: every weight is 0");
}

void st_format_mix(const unsigned mix[ST_OP_KINDS], char *buf, size_t n)
{
	size_t len = 0;
	buf[0] = '\0';
	for (int k = 0; k < ST_OP_KINDS && len < n; k++)
		len += (size_t)snprintf(buf + len, n - len, "%s%s=%u", k ? "," : "", op_names[k], mix[k]);
}

static unsigned default_threads(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	if (n < 1)
		n = 1;
	return n > ST_MAX_THREADS ? ST_MAX_THREADS : (unsigned)n;
}

enum {
	OPT_THREADS = 256, OPT_SECONDS, OPT_OPS, OPT_SEED, OPT_MIX, OPT_GEOMETRY, OPT_VARIANT,
	OPT_NO_CACHE, OPT_BUG, OPT_CHECKPOINT, OPT_RESET, OPT_JITTER, OPT_JSON, OPT_QUIET, OPT_TRACE_EVENTS, OPT_MICRO, OPT_HELP,
};

void st_parse_options(struct st_options *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"threads", required_argument, NULL, OPT_THREADS},
		{"seconds", required_argument, NULL, OPT_SECONDS},
		{"ops", required_argument, NULL, OPT_OPS},
		{"seed", required_argument, NULL, OPT_SEED},
		{"mix", required_argument, NULL, OPT_MIX},
		{"geometry", required_argument, NULL, OPT_GEOMETRY},
		{"variant", required_argument, NULL, OPT_VARIANT},
		{"no-page-cache", no_argument, NULL, OPT_NO_CACHE},
		{"bug", required_argument, NULL, OPT_BUG},
		{"checkpoint-ms", required_argument, NULL, OPT_CHECKPOINT},
		{"reset-ms", required_argument, NULL, OPT_RESET},
		{"jitter", required_argument, NULL, OPT_JITTER},
		{"json", required_argument, NULL, OPT_JSON},
		{"quiet", no_argument, NULL, OPT_QUIET},
		{"trace-events", required_argument, NULL, OPT_TRACE_EVENTS},
		{"micro", required_argument, NULL, OPT_MICRO},
		{"help", no_argument, NULL, OPT_HELP},
		{NULL, 0, NULL, 0},
	};
	const char *prog = argc > 0 ? argv[0] : "stress";
	bool have_seconds = false;

	*o = (struct st_options){
		.threads = default_threads(),
		.seconds = 10,
		.geom = &ph_geom_fuzz,
		.want_locked = -1,
		.checkpoint_ms = 200,
		.reset_ms = 250,
		.trace_events = 400,
		.jitter = st_build_hooks ? ST_DEFAULT_JITTER : 0,
	};
	memcpy(o->mix, default_mix, sizeof o->mix);
	/* getopt_long permutes argv; the rerun command needs it as typed. */
	o->argc = argc;
	o->argv = calloc((size_t)argc + 1, sizeof *o->argv);
	if (o->argv == NULL) {
		fprintf(stderr, "stress: out of memory\n");
		exit(ST_EXIT_FAIL);
	}
	for (int i = 0; i < argc; i++)
		o->argv[i] = argv[i];

	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_THREADS:
			o->threads = (unsigned)parse_u64(prog, "--threads", optarg, 1, ST_MAX_THREADS);
			break;
		case OPT_SECONDS: {
			char *end;
			errno = 0;
			o->seconds = strtod(optarg, &end);
			if (errno != 0 || *end != '\0' || !(o->seconds > 0) || o->seconds > 1e7)
				bad_usage(prog, "--seconds needs a positive number, got '%s'", optarg);
			have_seconds = true;
			break;
		}
		case OPT_OPS: o->ops = parse_u64(prog, "--ops", optarg, 1, UINT64_MAX / 2); break;
		case OPT_SEED:
			o->seed = parse_u64(prog, "--seed", optarg, 0, UINT64_MAX);
			o->seed_given = true;
			break;
		case OPT_MIX: parse_mix(prog, optarg, o->mix); break;
		case OPT_GEOMETRY:
			o->geom = ph_geom_by_name(optarg);
			if (o->geom == NULL)
				bad_usage(prog, "--geometry must be go or fuzz, got '%s'", optarg);
			break;
		case OPT_VARIANT:
			if (strcmp(optarg, "lockfree") == 0)
				o->want_locked = 0;
			else if (strcmp(optarg, "locked") == 0)
				o->want_locked = 1;
			else
				bad_usage(prog, "--variant must be lockfree or locked, got '%s'", optarg);
			break;
		case OPT_NO_CACHE: o->no_page_cache = true; break;
		case OPT_BUG: o->bug = optarg; break;
		case OPT_CHECKPOINT:
			o->checkpoint_ms = (unsigned)parse_u64(prog, "--checkpoint-ms", optarg, 0, 3600000);
			break;
		case OPT_RESET: o->reset_ms = (unsigned)parse_u64(prog, "--reset-ms", optarg, 0, 3600000); break;
		case OPT_JITTER:
			o->jitter = (unsigned)parse_u64(prog, "--jitter", optarg, 0, 1u << 30);
			if (o->jitter > 0 && !st_build_hooks)
				bad_usage(prog, "--jitter needs a hook build (out/stress, out/stress-locked); this one compiles the allocator's hooks out");
			break;
		case OPT_JSON: o->json = optarg; break;
		case OPT_QUIET: o->quiet = true; break;
		case OPT_TRACE_EVENTS:
			o->trace_events = (unsigned)parse_u64(prog, "--trace-events", optarg, 0, FZ_TRACE_CAP);
			break;
		case OPT_MICRO:
			if (strcmp(optarg, "cache") != 0 && strcmp(optarg, "cache-alloc") != 0)
				bad_usage(prog, "--micro knows 'cache' and 'cache-alloc', got '%s'", optarg);
			o->micro = optarg;
			break;
		case 'h':
		case OPT_HELP: usage(stdout, prog); exit(ST_EXIT_OK);
		case ':': bad_usage(prog, "%s needs a value", argv[optind - 1]);
		default: bad_usage(prog, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		bad_usage(prog, "unexpected argument '%s'", argv[optind]);
	if (have_seconds && o->ops > 0)
		bad_usage(prog, "--seconds and --ops are alternatives; give one");
	if (!o->seed_given) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		uint64_t x = ((uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec) ^ ((uint64_t)getpid() << 32);
		/* Scrambled (runs started together differ), and short enough to retype. */
		o->seed = st_splitmix64(&x) % 1000000000ull;
	}
}

/* Appends s to buf, single-quoted if the shell would otherwise split or
 * expand it. */
static size_t append_quoted(char *buf, size_t len, size_t n, const char *s)
{
	bool plain = *s != '\0';
	for (const char *p = s; *p; p++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./=,:+-@%", *p))
			plain = false;
	if (len >= n)
		return len;
	if (plain)
		return len + (size_t)snprintf(buf + len, n - len, "%s", s);
	len += (size_t)snprintf(buf + len, n - len, "'");
	for (const char *p = s; *p && len < n; p++)
		len += (size_t)snprintf(buf + len, n - len, *p == '\'' ? "'\\''" : "%c", *p);
	if (len < n)
		len += (size_t)snprintf(buf + len, n - len, "'");
	return len;
}

void st_rerun_command(const struct st_options *o, char *buf, size_t n)
{
	size_t len = 0;
	buf[0] = '\0';
	for (int i = 0; i < o->argc && len < n; i++) {
		const char *a = o->argv[i];
		if (i > 0 && strcmp(a, "--seed") == 0) {
			i++; /* drop the old value too */
			continue;
		}
		if (i > 0 && strncmp(a, "--seed=", 7) == 0)
			continue;
		if (i > 0 && len < n)
			len += (size_t)snprintf(buf + len, n - len, " ");
		len = append_quoted(buf, len, n, a);
	}
	if (len < n)
		snprintf(buf + len, n - len, " --seed %llu", (unsigned long long)o->seed);
}
