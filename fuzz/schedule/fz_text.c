/*
 * fz_text.c - schedules to and from text (grammar in fz_text.h).
 *
 * Design.  The text is line-oriented and its lines come in one fixed order,
 * so every schedule has exactly one canonical spelling and the parser always
 * knows what it expected where.  The parser is a small state machine over
 * "steps" (target, threads, strategy, seed, caches, the thread programs, the
 * decisions); the first word of each line picks a handler, and the handlers
 * hold operands to the same ranges fz_encode enforces, so any text that
 * parses also encodes.  Errors carry the position of the word that broke the
 * rule because people fix texts by jumping to FILE:LINE:COL in an editor;
 * words quoted in messages are escaped and shortened, so binary garbage
 * cannot garble a terminal.
 */
#include "fz_text.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * How each strategy's parameter is spelled: the word before the value, the
 * value's fixed prefix, and the offset that turns the stored param (0..7)
 * into the number people think in (a quantum of 1, a chance of 1/2, ...).
 */
struct strategy_spelling {
	const char *word;
	const char *prefix;
	unsigned offset;
};

static const struct strategy_spelling strategy_spellings[FZ_STRATEGIES] = {
	[FZ_STRAT_RR] = {"quantum", "", 1},
	[FZ_STRAT_RANDOM] = {"chance", "1/", 2},
	[FZ_STRAT_PCT] = {"depth", "", 1},
};

#define MAX_PARAM 7 /* the byte format keeps three bits of it */

/* ---- formatting ----------------------------------------------------------- */

/* An snprintf-style sink: keeps counting past the end so callers learn the
 * size they need. */
struct sink {
	char *buf;
	size_t cap;
	size_t len;
};

static void put(struct sink *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct sink *o, const char *fmt, ...)
{
	char *dst = o->len < o->cap ? o->buf + o->len : NULL;
	size_t room = o->len < o->cap ? o->cap - o->len : 0;
	va_list ap;

	va_start(ap, fmt);
	int n = vsnprintf(dst, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->len += (size_t)n;
}

static void format_op(struct sink *o, const struct fz_op *op)
{
	const char *name = fz_op_name(op->kind);
	unsigned n = op->n, sel = op->sel, page = op->page;

	switch (op->kind) {
	case FZ_OP_ALLOC:
#if FZ_BUG_TEXT_DROPS_ZERO
		/* FAULT text-drops-zero: the zero flag is not written. */
		put(o, "  %s %u\n", name, n);
#else
		put(o, "  %s %u%s\n", name, n, op->zero ? " zero" : "");
#endif
		break;
	case FZ_OP_FREE:
	case FZ_OP_WRITE:
		put(o, "  %s %u\n", name, sel);
		break;
	case FZ_OP_GROW:
		put(o, "  %s %u skip %u\n", name, n, sel);
		break;
	case FZ_OP_CLAIM:
		put(o, "  %s arena %u page %u pages %u\n", name, sel, page, n);
		break;
	default:
		put(o, "  %s\n", name);
		break;
	}
}

/* Whether s can be printed without reading past its arrays or printing
 * words the parser would not know. */
static bool spellable(const struct fz_schedule *s)
{
	if (s->nthreads > FZ_MAX_THREADS || s->strategy >= FZ_STRATEGIES ||
	    s->ndecisions > FZ_MAX_DECISIONS)
		return false;
	for (unsigned t = 0; t < s->nthreads; t++) {
		if (s->nops[t] > FZ_MAX_OPS)
			return false;
		for (unsigned i = 0; i < s->nops[t]; i++)
			if (s->ops[t][i].kind >= FZ_OP_KINDS)
				return false;
	}
	for (unsigned i = 0; i < s->ndecisions; i++)
		if (s->decisions[i].thread >= s->nthreads)
			return false;
	return true;
}

static void format_header(struct sink *o, const struct fz_profile *pr, const struct fz_schedule *s)
{
	const struct strategy_spelling *sp = &strategy_spellings[s->strategy];

	put(o, "target %s\n", pr->name);
	put(o, "threads %u\n", (unsigned)s->nthreads);
	put(o, "strategy %s %s %s%u\n", fz_strategy_name(s->strategy), sp->word, sp->prefix,
	    s->param + sp->offset);
	put(o, "seed 0x%08lx\n", (unsigned long)s->seed);
	put(o, "caches %s\n", s->no_cache ? "off" : "on");
}

int fz_text_format(const struct fz_profile *pr, const struct fz_schedule *s, char *buf, size_t cap)
{
	struct sink o = {buf, cap, 0};

	if (!spellable(s))
		return -1;
	if (cap > 0)
		buf[0] = '\0';
	format_header(&o, pr, s);
	for (unsigned t = 0; t < s->nthreads; t++) {
		put(&o, "thread %u\n", t);
		for (unsigned i = 0; i < s->nops[t]; i++)
			format_op(&o, &s->ops[t][i]);
	}
	put(&o, "decisions\n");
	for (unsigned i = 0; i < s->ndecisions; i++)
		put(&o, "  run %u for %u\n", (unsigned)s->decisions[i].thread,
		    (unsigned)s->decisions[i].run);
	return (int)o.len;
}

char *fz_text_format_alloc(const struct fz_profile *pr, const struct fz_schedule *s)
{
	int len = fz_text_format(pr, s, NULL, 0);
	if (len < 0)
		return NULL;
	char *text = malloc((size_t)len + 1);
	if (text != NULL)
		fz_text_format(pr, s, text, (size_t)len + 1);
	return text;
}

/* ---- comparing ------------------------------------------------------------ */

static bool differ(char *why, size_t whylen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static bool differ(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (why != NULL && whylen > 0) {
		va_start(ap, fmt);
		vsnprintf(why, whylen, fmt, ap);
		va_end(ap);
	}
	return false;
}

static bool op_same(unsigned t, unsigned i, const struct fz_op *a, const struct fz_op *b, char *why,
		    size_t whylen)
{
#define SAME_FIELD(f)                                                                       \
	if (a->f != b->f)                                                                   \
		return differ(why, whylen, "thread %u op %u: " #f " %u vs %u", t, i,        \
			      (unsigned)a->f, (unsigned)b->f)
	SAME_FIELD(kind);
	SAME_FIELD(zero);
	SAME_FIELD(n);
	SAME_FIELD(sel);
	SAME_FIELD(page);
#undef SAME_FIELD
	return true;
}

static bool programs_same(const struct fz_schedule *a, const struct fz_schedule *b, char *why,
			  size_t whylen)
{
	unsigned nthreads = a->nthreads < FZ_MAX_THREADS ? a->nthreads : FZ_MAX_THREADS;

	for (unsigned t = 0; t < nthreads; t++) {
		if (a->nops[t] != b->nops[t])
			return differ(why, whylen, "thread %u: %u vs %u operations", t,
				      (unsigned)a->nops[t], (unsigned)b->nops[t]);
		unsigned nops = a->nops[t] < FZ_MAX_OPS ? a->nops[t] : FZ_MAX_OPS;
		for (unsigned i = 0; i < nops; i++)
			if (!op_same(t, i, &a->ops[t][i], &b->ops[t][i], why, whylen))
				return false;
	}
	return true;
}

static bool decisions_same(const struct fz_schedule *a, const struct fz_schedule *b, char *why,
			   size_t whylen)
{
	if (a->ndecisions != b->ndecisions)
		return differ(why, whylen, "%u vs %u decisions", (unsigned)a->ndecisions,
			      (unsigned)b->ndecisions);
	unsigned n = a->ndecisions < FZ_MAX_DECISIONS ? a->ndecisions : FZ_MAX_DECISIONS;
	for (unsigned i = 0; i < n; i++) {
		const struct fz_decision *da = &a->decisions[i], *db = &b->decisions[i];
		if (da->thread != db->thread || da->run != db->run)
			return differ(why, whylen, "decision %u: run %u for %u vs run %u for %u", i,
				      (unsigned)da->thread, (unsigned)da->run, (unsigned)db->thread,
				      (unsigned)db->run);
	}
	return true;
}

bool fz_schedule_same(const struct fz_schedule *a, const struct fz_schedule *b, char *why,
		      size_t whylen)
{
#define SAME_HEADER(f)                                                                      \
	if (a->f != b->f)                                                                   \
		return differ(why, whylen, #f " %lu vs %lu", (unsigned long)a->f,           \
			      (unsigned long)b->f)
	SAME_HEADER(nthreads);
	SAME_HEADER(strategy);
	SAME_HEADER(param);
	SAME_HEADER(no_cache);
	SAME_HEADER(seed);
#undef SAME_HEADER
	return programs_same(a, b, why, whylen) && decisions_same(a, b, why, whylen);
}

/* ---- lines and words ------------------------------------------------------ */

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

static bool is_control(unsigned char c)
{
	return (c < 0x20 && !is_blank((char)c)) || c == 0x7f;
}

bool fz_text_line_ignored(const char *line, size_t len)
{
	size_t i = 0;
	while (i < len && is_blank(line[i]))
		i++;
	return i == len || line[i] == '#';
}

/* The longest line, a claim, has 7 words; keeping an 8th is enough to point
 * at the first extra word of any line. */
#define MAX_WORDS 8

struct word {
	const char *s;
	size_t len;
	unsigned col;
};

struct line {
	unsigned no;
	unsigned nwords;
	struct word w[MAX_WORDS];
	unsigned end_col; /* just past the last word: where a missing word belongs */
};

static bool is_word(const struct word *w, const char *kw)
{
	size_t n = strlen(kw);
	return w->len == n && memcmp(w->s, kw, n) == 0;
}

/* ---- parser state and errors ---------------------------------------------- */

enum step {
	STEP_TARGET,
	STEP_THREADS,
	STEP_STRATEGY,
	STEP_SEED,
	STEP_CACHES,
	STEP_PROGRAMS,  /* "thread N" lines and their operations */
	STEP_DECISIONS, /* after the "decisions" line: only "run" lines */
};

#define HEADER_STEPS STEP_PROGRAMS

static const char *const step_words[] = {
	[STEP_TARGET] = "target", [STEP_THREADS] = "threads", [STEP_STRATEGY] = "strategy",
	[STEP_SEED] = "seed",     [STEP_CACHES] = "caches",   [STEP_PROGRAMS] = "thread",
	[STEP_DECISIONS] = "decisions",
};

struct parser {
	const char *cur, *end;
	const char *line_start; /* start of line number lineno */
	unsigned lineno;
	const char *file;
	char *err;
	size_t errlen;
	const struct fz_profile *pr;
	struct fz_schedule *s;
	enum step step;
	unsigned header_line[HEADER_STEPS]; /* for "duplicate ... (first on line N)" */
	unsigned decisions_line;
	unsigned threads_seen;
	char shown[64]; /* the one quoted word of the current message */
};

static bool fail(struct parser *p, unsigned line, unsigned col, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static bool fail(struct parser *p, unsigned line, unsigned col, const char *fmt, ...)
{
	va_list ap;

	if (p->err == NULL || p->errlen == 0)
		return false;
	int n = snprintf(p->err, p->errlen, "%s:%u:%u: ", p->file, line, col);
	if (n >= 0 && (size_t)n < p->errlen) {
		va_start(ap, fmt);
		vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return false;
}

/* Quotable form of len bytes at s: non-printable bytes as \xHH, long words
 * cut with "...". */
static const char *show(struct parser *p, const char *s, size_t len)
{
	size_t o = 0, i = 0, room = sizeof p->shown - sizeof "...";

	for (; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		bool plain = c >= 0x20 && c < 0x7f && c != '\'' && c != '\\';
		if (o + (plain ? 1 : 4) > room)
			break;
		if (plain)
			p->shown[o++] = (char)c;
		else
			o += (size_t)snprintf(p->shown + o, sizeof p->shown - o, "\\x%02x", c);
	}
	strcpy(p->shown + o, i < len ? "..." : "");
	return p->shown;
}

static const char *show_word(struct parser *p, const struct word *w)
{
	return show(p, w->s, w->len);
}

/* ---- reading lines -------------------------------------------------------- */

static unsigned column(const char *line, const char *at)
{
	return (unsigned)(at - line) + 1;
}

static bool split_words(struct parser *p, unsigned no, const char *start, const char *stop,
			struct line *ln)
{
	const char *c = start;

	ln->no = no;
	ln->nwords = 0;
	ln->end_col = 1;
	while (c < stop) {
		if (is_blank(*c)) {
			c++;
			continue;
		}
		const char *w = c;
		while (c < stop && !is_blank(*c)) {
			if (is_control((unsigned char)*c))
				return fail(p, no, column(start, c),
					    "unexpected control character (byte 0x%02x)",
					    (unsigned)(unsigned char)*c);
			c++;
		}
		if (ln->nwords < MAX_WORDS)
			ln->w[ln->nwords++] = (struct word){w, (size_t)(c - w), column(start, w)};
		ln->end_col = column(start, c);
	}
	return true;
}

/* Next line with words: 1, 0 at the end of the text, -1 on an error. */
static int read_line(struct parser *p, struct line *ln)
{
	while (p->cur < p->end) {
		const char *start = p->cur;
		const char *nl = memchr(start, '\n', (size_t)(p->end - start));
		const char *stop = nl != NULL ? nl : p->end;
		unsigned no = p->lineno;

		if (nl != NULL) {
			p->cur = nl + 1;
			p->lineno++;
			p->line_start = p->cur;
		} else {
			p->cur = p->end;
		}
		if (fz_text_line_ignored(start, (size_t)(stop - start)))
			continue;
		return split_words(p, no, start, stop, ln) ? 1 : -1;
	}
	return 0;
}

/* ---- operands ------------------------------------------------------------- */

static int digit_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

enum scan { SCAN_OK, SCAN_BAD, SCAN_HUGE };

/* Decimal or 0x-hex; SCAN_HUGE when the digits overflow 64 bits, which is
 * out of every range, not malformed. */
static enum scan scan_number(const char *s, size_t len, uint64_t *v)
{
	unsigned base = 10;
	bool huge = false;

	if (len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
		len -= 2;
	}
	if (len == 0)
		return SCAN_BAD;
	*v = 0;
	for (size_t i = 0; i < len; i++) {
		int d = digit_value(s[i]);
		if (d < 0 || (unsigned)d >= base)
			return SCAN_BAD;
		if (*v > (UINT64_MAX - (unsigned)d) / base)
			huge = true;
		else
			*v = *v * base + (unsigned)d;
	}
	return huge ? SCAN_HUGE : SCAN_OK;
}

static bool number_at(struct parser *p, unsigned line, unsigned col, const char *s, size_t len,
		      unsigned lo, unsigned hi, const char *what, unsigned *out)
{
	uint64_t v = 0;
	enum scan r = scan_number(s, len, &v);

	if (r == SCAN_BAD)
		return fail(p, line, col, "bad number '%s' for %s (want decimal or 0x-hex)",
			    show(p, s, len), what);
	if (r == SCAN_HUGE || v < lo || v > hi)
		return fail(p, line, col, "%s out of range: %s (allowed %u..%u)", what,
			    show(p, s, len), lo, hi);
	*out = (unsigned)v;
	return true;
}

/* Word i of ln as a number in [lo, hi]. */
static bool number(struct parser *p, const struct line *ln, unsigned i, unsigned lo, unsigned hi,
		   const char *what, unsigned *out)
{
	if (i >= ln->nwords)
		return fail(p, ln->no, ln->end_col, "missing %s", what);
	const struct word *w = &ln->w[i];
	return number_at(p, ln->no, w->col, w->s, w->len, lo, hi, what, out);
}

static bool expect_word(struct parser *p, const struct line *ln, unsigned i, const char *kw)
{
	if (i >= ln->nwords)
		return fail(p, ln->no, ln->end_col, "missing '%s'", kw);
	if (!is_word(&ln->w[i], kw))
		return fail(p, ln->no, ln->w[i].col, "expected '%s', got '%s'", kw,
			    show_word(p, &ln->w[i]));
	return true;
}

/* A line of n words has nothing after its n-th word. */
static bool expect_end(struct parser *p, const struct line *ln, unsigned n)
{
	if (ln->nwords <= n)
		return true;
	const struct word *kw = &ln->w[0];
	return fail(p, ln->no, ln->w[n].col, "unexpected '%s' after a complete '%.*s' line",
		    show_word(p, &ln->w[n]), (int)kw->len, kw->s);
}

/* ---- header lines --------------------------------------------------------- */

static bool parse_target(struct parser *p, const struct line *ln)
{
	char name[32];

	if (ln->nwords < 2)
		return fail(p, ln->no, ln->end_col, "missing target name (schedule or needzero)");
	const struct word *w = &ln->w[1];
	if (w->len < sizeof name) {
		memcpy(name, w->s, w->len);
		name[w->len] = '\0';
		p->pr = fz_profile_by_name(name);
	}
	if (p->pr == NULL)
		return fail(p, ln->no, w->col, "unknown target '%s' (want schedule or needzero)",
			    show_word(p, w));
	return expect_end(p, ln, 2);
}

static bool parse_threads(struct parser *p, const struct line *ln)
{
	unsigned n;

	if (!number(p, ln, 1, FZ_MIN_THREADS, FZ_MAX_THREADS, "thread count", &n))
		return false;
	p->s->nthreads = (uint8_t)n;
	return expect_end(p, ln, 2);
}

static bool strategy_param(struct parser *p, const struct line *ln, enum fz_strategy k)
{
	const struct strategy_spelling *sp = &strategy_spellings[k];
	size_t plen = strlen(sp->prefix);
	unsigned v;

	if (!expect_word(p, ln, 2, sp->word))
		return false;
	if (ln->nwords < 4)
		return fail(p, ln->no, ln->end_col, "missing %s value", sp->word);
	const struct word *w = &ln->w[3];
	if (w->len < plen || memcmp(w->s, sp->prefix, plen) != 0)
		return fail(p, ln->no, w->col, "expected '%sN', got '%s'", sp->prefix,
			    show_word(p, w));
	if (!number_at(p, ln->no, w->col + (unsigned)plen, w->s + plen, w->len - plen, sp->offset,
		       sp->offset + MAX_PARAM, sp->word, &v))
		return false;
	p->s->param = (uint8_t)(v - sp->offset);
	return expect_end(p, ln, 4);
}

static bool parse_strategy(struct parser *p, const struct line *ln)
{
	if (ln->nwords < 2)
		return fail(p, ln->no, ln->end_col, "missing strategy (rr, random or pct)");
	for (unsigned k = 0; k < FZ_STRATEGIES; k++) {
		if (is_word(&ln->w[1], fz_strategy_name(k))) {
			p->s->strategy = (uint8_t)k;
			return strategy_param(p, ln, k);
		}
	}
	return fail(p, ln->no, ln->w[1].col, "unknown strategy '%s' (want rr, random or pct)",
		    show_word(p, &ln->w[1]));
}

static bool parse_seed(struct parser *p, const struct line *ln)
{
	unsigned seed;

	if (!number(p, ln, 1, 0, UINT32_MAX, "seed", &seed))
		return false;
	p->s->seed = seed;
	return expect_end(p, ln, 2);
}

static bool parse_caches(struct parser *p, const struct line *ln)
{
	if (ln->nwords < 2)
		return fail(p, ln->no, ln->end_col, "missing 'on' or 'off'");
	const struct word *w = &ln->w[1];
	if (is_word(w, "off")) {
		if (!p->pr->allow_no_cache)
			return fail(p, ln->no, w->col, "caches off is not available in target %s",
				    p->pr->name);
		p->s->no_cache = true;
	} else if (!is_word(w, "on")) {
		return fail(p, ln->no, w->col, "expected 'on' or 'off', got '%s'", show_word(p, w));
	}
	return expect_end(p, ln, 2);
}

typedef bool line_parser(struct parser *p, const struct line *ln);

static line_parser *const header_parsers[HEADER_STEPS] = {
	[STEP_TARGET] = parse_target, [STEP_THREADS] = parse_threads,
	[STEP_STRATEGY] = parse_strategy, [STEP_SEED] = parse_seed, [STEP_CACHES] = parse_caches,
};

/* ---- thread programs ------------------------------------------------------ */

static bool parse_thread(struct parser *p, const struct line *ln)
{
	unsigned t, nthreads = p->s->nthreads;

	if (!number(p, ln, 1, 0, UINT32_MAX, "thread number", &t))
		return false;
	unsigned col = ln->w[1].col;
	if (t < p->threads_seen)
		return fail(p, ln->no, col, "duplicate 'thread %u' section", t);
	if (t >= nthreads)
		return fail(p, ln->no, col, "thread %u does not exist ('threads %u' numbers them 0..%u)",
			    t, nthreads, nthreads - 1);
	if (t > p->threads_seen)
		return fail(p, ln->no, col, "thread numbers out of order: expected 'thread %u' next",
			    p->threads_seen);
	p->threads_seen++;
	return expect_end(p, ln, 2);
}

static bool profile_has(const struct fz_profile *pr, enum fz_op_kind kind)
{
	for (unsigned i = 0; i < pr->nkinds; i++)
		if (pr->kinds[i] == kind)
			return true;
	return false;
}

static bool alloc_operands(struct parser *p, const struct line *ln, struct fz_op *op)
{
	unsigned n, words = 2;

	if (!number(p, ln, 1, 1, FZ_MAX_LARGE, "alloc page count", &n))
		return false;
	op->n = (uint16_t)n;
	if (ln->nwords > 2) {
		if (!is_word(&ln->w[2], "zero"))
			return fail(p, ln->no, ln->w[2].col, "expected 'zero' or the end of the line, got '%s'",
				    show_word(p, &ln->w[2]));
		op->zero = true;
		words = 3;
	}
	return expect_end(p, ln, words);
}

static bool grow_operands(struct parser *p, const struct line *ln, struct fz_op *op)
{
	unsigned n, skip;

	if (!number(p, ln, 1, 1, FZ_MAX_GROW, "grow page count", &n) || !expect_word(p, ln, 2, "skip") ||
	    !number(p, ln, 3, 0, FZ_MAX_SKIP, "skip", &skip))
		return false;
	op->n = (uint16_t)n;
	op->sel = (uint16_t)skip;
	return expect_end(p, ln, 4);
}

static bool claim_operands(struct parser *p, const struct line *ln, struct fz_op *op)
{
	/* Pages are stored in 16 bits; the decoder reduces them modulo arena_pages. */
	unsigned last_page = p->pr->arena_pages - 1 < UINT16_MAX ? p->pr->arena_pages - 1 : UINT16_MAX;
	unsigned arena, page, n;

	if (!expect_word(p, ln, 1, "arena") ||
	    !number(p, ln, 2, 0, FZ_CLAIM_ARENAS - 1, "claim arena", &arena) ||
	    !expect_word(p, ln, 3, "page") || !number(p, ln, 4, 0, last_page, "claim page", &page) ||
	    !expect_word(p, ln, 5, "pages") ||
	    !number(p, ln, 6, 1, FZ_MAX_CLAIM, "claim page count", &n))
		return false;
	op->sel = (uint16_t)arena;
	op->page = (uint16_t)page;
	op->n = (uint16_t)n;
	return expect_end(p, ln, 7);
}

static bool op_operands(struct parser *p, const struct line *ln, struct fz_op *op)
{
	unsigned sel;

	switch (op->kind) {
	case FZ_OP_ALLOC:
		return alloc_operands(p, ln, op);
	case FZ_OP_FREE:
	case FZ_OP_WRITE:
		if (!number(p, ln, 1, 0, UINT8_MAX, "selector", &sel))
			return false;
		op->sel = (uint16_t)sel;
		return expect_end(p, ln, 2);
	case FZ_OP_GROW:
		return grow_operands(p, ln, op);
	case FZ_OP_CLAIM:
		return claim_operands(p, ln, op);
	default:
		return expect_end(p, ln, 1);
	}
}

static bool parse_op(struct parser *p, const struct line *ln, enum fz_op_kind kind)
{
	unsigned t = p->threads_seen - 1;
	struct fz_op op = {.kind = (uint8_t)kind};

	if (p->s->nops[t] >= FZ_MAX_OPS)
		return fail(p, ln->no, ln->w[0].col, "too many operations in thread %u (at most %d)", t,
			    FZ_MAX_OPS);
	if (!profile_has(p->pr, kind))
		return fail(p, ln->no, ln->w[0].col, "operation '%s' is not available in target %s",
			    fz_op_name(kind), p->pr->name);
	if (!op_operands(p, ln, &op))
		return false;
	p->s->ops[t][p->s->nops[t]++] = op;
	return true;
}

/* ---- decisions ------------------------------------------------------------ */

static bool parse_decisions(struct parser *p, const struct line *ln)
{
	if (p->step == STEP_DECISIONS)
		return fail(p, ln->no, ln->w[0].col, "duplicate 'decisions' line (first on line %u)",
			    p->decisions_line);
	if (p->threads_seen < p->s->nthreads)
		return fail(p, ln->no, ln->w[0].col, "missing 'thread %u' section before 'decisions'",
			    p->threads_seen);
	p->step = STEP_DECISIONS;
	p->decisions_line = ln->no;
	return expect_end(p, ln, 1);
}

static bool parse_run(struct parser *p, const struct line *ln)
{
	struct fz_schedule *s = p->s;
	unsigned t, run;

	if (p->step != STEP_DECISIONS)
		return fail(p, ln->no, ln->w[0].col, "'run' line before the 'decisions' line");
	if (s->ndecisions >= FZ_MAX_DECISIONS)
		return fail(p, ln->no, ln->w[0].col, "too many decisions (at most %d)",
			    FZ_MAX_DECISIONS);
	if (!number(p, ln, 1, 0, s->nthreads - 1u, "decision thread", &t) ||
	    !expect_word(p, ln, 2, "for") || !number(p, ln, 3, 0, UINT8_MAX, "run length", &run))
		return false;
	s->decisions[s->ndecisions++] = (struct fz_decision){(uint8_t)t, (uint8_t)run};
	return expect_end(p, ln, 4);
}

/* ---- dispatch ------------------------------------------------------------- */

static int header_step(const struct word *w)
{
	for (int k = 0; k < HEADER_STEPS; k++)
		if (is_word(w, step_words[k]))
			return k;
	return -1;
}

static int op_kind(const struct word *w)
{
	for (int k = 0; k < FZ_OP_KINDS; k++)
		if (is_word(w, fz_op_name(k)))
			return k;
	return -1;
}

static bool parse_header(struct parser *p, const struct line *ln, enum step k)
{
	if (k < p->step)
		return fail(p, ln->no, ln->w[0].col, "duplicate '%s' line (first on line %u)",
			    step_words[k], p->header_line[k]);
	if (k > p->step)
		return fail(p, ln->no, ln->w[0].col, "missing '%s' line before this one",
			    step_words[p->step]);
	p->header_line[k] = ln->no;
	p->step++;
	return header_parsers[k](p, ln);
}

/* Lines of the programs and decisions; the header is complete. */
static bool parse_body(struct parser *p, const struct line *ln, int kind)
{
	const struct word *w0 = &ln->w[0];

	if (is_word(w0, "decisions"))
		return parse_decisions(p, ln);
	if (is_word(w0, "run"))
		return parse_run(p, ln);
	if (p->step == STEP_DECISIONS)
		return fail(p, ln->no, w0->col, "'%s' after the 'decisions' line (only 'run' lines may follow)",
			    show_word(p, w0));
	if (kind >= 0 && p->threads_seen == 0)
		return fail(p, ln->no, w0->col, "operation before the 'thread 0' line");
	if (kind >= 0)
		return parse_op(p, ln, (enum fz_op_kind)kind);
	return parse_thread(p, ln);
}

static bool parse_line(struct parser *p, const struct line *ln)
{
	const struct word *w0 = &ln->w[0];
	int header = header_step(w0), kind = op_kind(w0);
	bool body = kind >= 0 || is_word(w0, step_words[STEP_PROGRAMS]) ||
		    is_word(w0, step_words[STEP_DECISIONS]) || is_word(w0, "run");

	if (header >= 0)
		return parse_header(p, ln, (enum step)header);
	if (!body)
		return fail(p, ln->no, w0->col, "unknown keyword '%s'", show_word(p, w0));
	if (p->step < STEP_PROGRAMS)
		return fail(p, ln->no, w0->col, "missing '%s' line before this one",
			    step_words[p->step]);
	return parse_body(p, ln, kind);
}

/* The text ended: everything still expected is missing, reported at the end. */
static bool finish(struct parser *p)
{
	unsigned line = p->lineno, col = column(p->line_start, p->end);

	if (p->step < STEP_PROGRAMS)
		return fail(p, line, col, "missing '%s' line", step_words[p->step]);
	if (p->step == STEP_PROGRAMS && p->threads_seen < p->s->nthreads)
		return fail(p, line, col, "missing 'thread %u' section", p->threads_seen);
	if (p->step == STEP_PROGRAMS)
		return fail(p, line, col, "missing 'decisions' line");
	return true;
}

bool fz_text_parse_buf(const char *text, size_t len, const char *filename,
		       const struct fz_profile **pr_out, struct fz_schedule *s, char *err,
		       size_t errlen)
{
	struct parser p = {
		.cur = text, .end = text + len, .line_start = text, .lineno = 1,
		.file = filename != NULL ? filename : "<text>", .err = err, .errlen = errlen, .s = s,
	};
	struct line ln;
	int got;

	memset(s, 0, sizeof *s);
	if (pr_out != NULL)
		*pr_out = NULL;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	while ((got = read_line(&p, &ln)) > 0)
		if (!parse_line(&p, &ln))
			return false;
	if (got < 0 || !finish(&p))
		return false;
	if (pr_out != NULL)
		*pr_out = p.pr;
	return true;
}

bool fz_text_parse(const char *text, const char *filename, const struct fz_profile **pr_out,
		   struct fz_schedule *s, char *err, size_t errlen)
{
	return fz_text_parse_buf(text, strlen(text), filename, pr_out, s, err, errlen);
}
