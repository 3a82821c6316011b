/*
 * json.c - recursive-descent parser for json.h.
 *
 * The document keeps its own copy of the source text, so positions can be
 * turned into line/column numbers after parsing (only on demand: computing
 * them for every value would be quadratic on long lines).  Values, strings
 * and member/item arrays live in an arena of large blocks; while an array or
 * object is being read its children collect in a temporary heap vector,
 * because their number is unknown until the closing bracket.
 *
 * Strings are decoded in two passes: the first finds the closing quote, the
 * second decodes into an arena buffer of the raw length, which is always
 * enough since no escape decodes to more bytes than it occupies.
 *
 * Nesting is limited to JSON_MAX_DEPTH so hostile input cannot overflow the
 * C stack.
 */
#include "json.h"

#include <errno.h>
#include <stdarg.h>
#include <stdalign.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JSON_MAX_DEPTH 256
#define ARENA_BLOCK_BYTES (64 * 1024)

/* ---- arena ------------------------------------------------------------- */

struct arena_block {
	struct arena_block *next;
	size_t used, cap;
	alignas(max_align_t) unsigned char data[];
};

struct json_doc {
	char *text; /* NUL-terminated copy of the source */
	size_t len;
	struct arena_block *blocks;
	const json_value *root;
};

static void *arena_alloc(json_doc *doc, size_t n)
{
	const size_t align = alignof(max_align_t);
	n = (n + align - 1) & ~(align - 1);
	struct arena_block *b = doc->blocks;
	if (b == NULL || b->cap - b->used < n) {
		size_t cap = n > ARENA_BLOCK_BYTES ? n : ARENA_BLOCK_BYTES;
		b = malloc(sizeof *b + cap);
		if (b == NULL)
			return NULL;
		b->used = 0;
		b->cap = cap;
		/* A large one-off allocation goes behind the current block so
		 * the current block's free tail stays usable. */
		if (doc->blocks != NULL && cap > ARENA_BLOCK_BYTES) {
			b->next = doc->blocks->next;
			doc->blocks->next = b;
		} else {
			b->next = doc->blocks;
			doc->blocks = b;
		}
	}
	void *p = b->data + b->used;
	b->used += n;
	return p;
}

void json_doc_free(json_doc *doc)
{
	if (doc == NULL)
		return;
	struct arena_block *b = doc->blocks;
	while (b != NULL) {
		struct arena_block *next = b->next;
		free(b);
		b = next;
	}
	free(doc->text);
	free(doc);
}

/* ---- positions and errors ---------------------------------------------- */

static void position_of(const char *text, size_t offset, unsigned *line, unsigned *column)
{
	unsigned l = 1, c = 1;
	for (size_t i = 0; i < offset; i++) {
		unsigned char ch = (unsigned char)text[i];
		if (ch == '\n') {
			l++;
			c = 1;
		} else if ((ch & 0xc0) != 0x80) {
			c++; /* UTF-8 continuation bytes belong to the previous character */
		}
	}
	*line = l;
	*column = c;
}

void json_doc_position(const json_doc *doc, const json_value *v, unsigned *line, unsigned *column)
{
	position_of(doc->text, v->offset <= doc->len ? v->offset : doc->len, line, column);
}

struct parser {
	const char *s;
	size_t len, pos;
	json_doc *doc;
	char *err;
	size_t errlen;
	unsigned depth;
};

__attribute__((format(printf, 3, 4))) static bool fail_at(struct parser *p, size_t offset, const char *fmt, ...)
{
	if (p->errlen == 0)
		return false;
	unsigned line, column;
	position_of(p->s, offset, &line, &column);
	int w = snprintf(p->err, p->errlen, "line %u, column %u: ", line, column);
	if (w >= 0 && (size_t)w < p->errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(p->err + w, p->errlen - (size_t)w, fmt, ap);
		va_end(ap);
	}
	return false;
}

static bool fail_oom(struct parser *p)
{
	return fail_at(p, p->pos, "out of memory");
}

/* A character for an error message: itself if printable, else its code. */
static const char *describe_char(unsigned char ch, char buf[8])
{
	if (ch >= 0x20 && ch < 0x7f)
		snprintf(buf, 8, "'%c'", ch);
	else
		snprintf(buf, 8, "0x%02x", ch);
	return buf;
}

/* ---- lexical helpers ---------------------------------------------------- */

static void skip_ws(struct parser *p)
{
	while (p->pos < p->len) {
		char c = p->s[p->pos];
		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			break;
		p->pos++;
	}
}

static bool at_end(const struct parser *p) { return p->pos >= p->len; }
static char peek(const struct parser *p) { return p->pos < p->len ? p->s[p->pos] : '\0'; }
static bool is_digit(char c) { return c >= '0' && c <= '9'; }

static json_value *new_value(struct parser *p, json_type t, size_t offset)
{
	json_value *v = arena_alloc(p->doc, sizeof *v);
	if (v == NULL)
		return NULL;
	memset(v, 0, sizeof *v);
	v->type = t;
	v->offset = offset;
	return v;
}

/* A temporary growable vector of pointers or members. */
struct vec {
	void *items;
	size_t n, cap, size;
};

static bool vec_push(struct vec *v, const void *item)
{
	if (v->n == v->cap) {
		size_t cap = v->cap ? 2 * v->cap : 8;
		void *bigger = realloc(v->items, cap * v->size);
		if (bigger == NULL)
			return false;
		v->items = bigger;
		v->cap = cap;
	}
	memcpy((char *)v->items + v->n * v->size, item, v->size);
	v->n++;
	return true;
}

/* Moves the vector's contents into the arena; NULL for an empty vector. */
static bool vec_to_arena(struct parser *p, struct vec *v, void **out)
{
	*out = NULL;
	if (v->n == 0)
		return true;
	*out = arena_alloc(p->doc, v->n * v->size);
	if (*out == NULL)
		return false;
	memcpy(*out, v->items, v->n * v->size);
	return true;
}

/* ---- values ------------------------------------------------------------- */

static bool parse_value(struct parser *p, const json_value **out);

static bool parse_literal(struct parser *p, const char *word, json_type t, const json_value **out)
{
	size_t n = strlen(word), start = p->pos;
	if (p->len - p->pos < n || memcmp(p->s + p->pos, word, n) != 0)
		return fail_at(p, start, "invalid literal (expected '%s')", word);
	p->pos += n;
	json_value *v = new_value(p, t, start);
	if (v == NULL)
		return fail_oom(p);
	*out = v;
	return true;
}

static bool parse_number(struct parser *p, const json_value **out)
{
	size_t start = p->pos;
	bool negative = false, integral = true;

	if (peek(p) == '-') {
		negative = true;
		p->pos++;
	}
	if (!is_digit(peek(p)))
		return fail_at(p, p->pos, "expected a digit in number");
	if (peek(p) == '0') {
		p->pos++;
		if (is_digit(peek(p)))
			return fail_at(p, p->pos, "leading zeros are not allowed in numbers");
	} else {
		while (is_digit(peek(p)))
			p->pos++;
	}
	size_t int_end = p->pos;
	if (peek(p) == '.') {
		integral = false;
		p->pos++;
		if (!is_digit(peek(p)))
			return fail_at(p, p->pos, "expected a digit after the decimal point");
		while (is_digit(peek(p)))
			p->pos++;
	}
	if (peek(p) == 'e' || peek(p) == 'E') {
		integral = false;
		p->pos++;
		if (peek(p) == '+' || peek(p) == '-')
			p->pos++;
		if (!is_digit(peek(p)))
			return fail_at(p, p->pos, "expected a digit in the exponent");
		while (is_digit(peek(p)))
			p->pos++;
	}

	json_value *v = new_value(p, JSON_NUMBER, start);
	if (v == NULL)
		return fail_oom(p);

	/* strtod must see exactly the validated lexeme: on the raw text it
	 * would, for instance, read "0x10" as sixteen. */
	size_t n = p->pos - start;
	char small[64];
	char *lexeme = n < sizeof small ? small : malloc(n + 1);
	if (lexeme == NULL)
		return fail_oom(p);
	memcpy(lexeme, p->s + start, n);
	lexeme[n] = '\0';
	errno = 0;
	double d = strtod(lexeme, NULL);
	int range_error = errno;
	if (lexeme != small)
		free(lexeme);
	if (range_error == ERANGE && (d > 1.0 || d < -1.0))
		return fail_at(p, start, "number is too large for a double");
	v->u.num.d = d;

	if (integral) {
		/* Digit by digit, so integers beyond 2^53 stay exact. */
		uint64_t mag = 0;
		bool overflow = false;
		for (size_t i = start + (negative ? 1 : 0); i < int_end; i++) {
			unsigned digit = (unsigned)(p->s[i] - '0');
			if (mag > (UINT64_MAX - digit) / 10) {
				overflow = true;
				break;
			}
			mag = mag * 10 + digit;
		}
		if (!overflow) {
			if (!negative) {
				v->u.num.has_u64 = true;
				v->u.num.u64 = mag;
				if (mag <= (uint64_t)INT64_MAX) {
					v->u.num.has_i64 = true;
					v->u.num.i64 = (int64_t)mag;
				}
			} else if (mag <= (uint64_t)INT64_MAX + 1) {
				v->u.num.has_i64 = true;
				v->u.num.i64 = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag;
				if (mag == 0) {
					v->u.num.has_u64 = true;
					v->u.num.u64 = 0;
				}
			}
		}
	} else {
		/* Below 2^53 every integer is a double, so the cast is exact. */
		const double limit = 9007199254740992.0;
		if (d > -limit && d < limit && (double)(int64_t)d == d) {
			v->u.num.has_i64 = true;
			v->u.num.i64 = (int64_t)d;
			if (d >= 0) {
				v->u.num.has_u64 = true;
				v->u.num.u64 = (uint64_t)(int64_t)d;
			}
		}
	}
	*out = v;
	return true;
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Reads the 4 hex digits of a \u escape whose 'u' is at p->pos - 1. */
static bool read_hex4(struct parser *p, unsigned *out)
{
	unsigned x = 0;
	for (int k = 0; k < 4; k++) {
		int h = p->pos < p->len ? hex_value(p->s[p->pos]) : -1;
		if (h < 0)
			return fail_at(p, p->pos, "\\u escape needs 4 hex digits");
		x = x * 16 + (unsigned)h;
		p->pos++;
	}
	*out = x;
	return true;
}

static size_t put_utf8(char *dst, unsigned cp)
{
	if (cp < 0x80) {
		dst[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		dst[0] = (char)(0xc0 | (cp >> 6));
		dst[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		dst[0] = (char)(0xe0 | (cp >> 12));
		dst[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		dst[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	dst[0] = (char)(0xf0 | (cp >> 18));
	dst[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	dst[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	dst[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/*
 * Length of the well-formed UTF-8 sequence at s[0, avail), or 0 if it is
 * not well formed (overlong forms, surrogates and code points above
 * U+10FFFF are all rejected, as RFC 3629 requires).
 */
static size_t utf8_sequence_length(const unsigned char *s, size_t avail)
{
	unsigned char c = s[0];
	size_t n;
	unsigned char lo = 0x80, hi = 0xbf; /* allowed range of the 2nd byte */
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		if (c == 0xe0)
			lo = 0xa0; /* overlong */
		if (c == 0xed)
			hi = 0x9f; /* surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		if (c == 0xf0)
			lo = 0x90; /* overlong */
		if (c == 0xf4)
			hi = 0x8f; /* above U+10FFFF */
	} else {
		return 0;
	}
	if (avail < n || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t k = 2; k < n; k++)
		if ((s[k] & 0xc0) != 0x80)
			return 0;
	return n;
}

/* Parses the string whose opening quote is at p->pos. */
static bool parse_string_raw(struct parser *p, const char **out, size_t *out_len)
{
	size_t open = p->pos;
	size_t i = open + 1;
	while (i < p->len && p->s[i] != '"')
		i += p->s[i] == '\\' ? 2 : 1;
	if (i >= p->len)
		return fail_at(p, open, "unterminated string");
	size_t raw_len = i - open - 1;

	char *buf = arena_alloc(p->doc, raw_len + 1);
	if (buf == NULL)
		return fail_oom(p);
	size_t n = 0;
	p->pos = open + 1;
	for (;;) {
		unsigned char c = (unsigned char)p->s[p->pos];
		if (c == '"') {
			p->pos++;
			break;
		}
		if (c < 0x20) {
			char d[8];
			return fail_at(p, p->pos, "control character %s must be escaped in a string",
				       describe_char(c, d));
		}
		if (c != '\\') {
			size_t k = utf8_sequence_length((const unsigned char *)p->s + p->pos, p->len - p->pos);
			if (k == 0)
				return fail_at(p, p->pos, "invalid UTF-8 in string");
			memcpy(buf + n, p->s + p->pos, k);
			n += k;
			p->pos += k;
			continue;
		}
		size_t esc = p->pos;
		p->pos++;
		char e = p->s[p->pos++];
		switch (e) {
		case '"': buf[n++] = '"'; break;
		case '\\': buf[n++] = '\\'; break;
		case '/': buf[n++] = '/'; break;
		case 'b': buf[n++] = '\b'; break;
		case 'f': buf[n++] = '\f'; break;
		case 'n': buf[n++] = '\n'; break;
		case 'r': buf[n++] = '\r'; break;
		case 't': buf[n++] = '\t'; break;
		case 'u': {
			unsigned cp;
			if (!read_hex4(p, &cp))
				return false;
			if (cp >= 0xdc00 && cp <= 0xdfff)
				return fail_at(p, esc, "unpaired low surrogate \\u%04x", cp);
			if (cp >= 0xd800 && cp <= 0xdbff) {
				/* UTF-16 pair: the low half must follow at once. */
				unsigned low;
				if (p->pos + 1 >= p->len || p->s[p->pos] != '\\' || p->s[p->pos + 1] != 'u')
					return fail_at(p, esc, "unpaired high surrogate \\u%04x", cp);
				p->pos += 2;
				if (!read_hex4(p, &low))
					return false;
				if (low < 0xdc00 || low > 0xdfff)
					return fail_at(p, esc, "high surrogate \\u%04x is not followed by a low one", cp);
				cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
			}
			n += put_utf8(buf + n, cp);
			break;
		}
		default:
			if (e >= 0x20 && e < 0x7f)
				return fail_at(p, esc, "invalid escape '\\%c' in string", e);
			return fail_at(p, esc, "invalid escape: backslash followed by byte 0x%02x",
				       (unsigned char)e);
		}
	}
	buf[n] = '\0';
	*out = buf;
	*out_len = n;
	return true;
}

static bool parse_string(struct parser *p, const json_value **out)
{
	size_t start = p->pos;
	const char *s;
	size_t n;
	if (!parse_string_raw(p, &s, &n))
		return false;
	json_value *v = new_value(p, JSON_STRING, start);
	if (v == NULL)
		return fail_oom(p);
	v->u.str.s = s;
	v->u.str.len = n;
	*out = v;
	return true;
}

/*
 * After an array item or object member: a ',' means another follows (1),
 * the closing bracket ends the container (0); anything else is reported
 * (-1).  start is where the container began, for "unterminated".
 */
static int next_item(struct parser *p, char close, size_t start, const char *container, const char *item)
{
	skip_ws(p);
	if (peek(p) == ',') {
		p->pos++;
		skip_ws(p);
		if (peek(p) == close) {
			fail_at(p, p->pos, "trailing comma before '%c'", close);
			return -1;
		}
		return 1;
	}
	if (peek(p) == close) {
		p->pos++;
		return 0;
	}
	if (at_end(p))
		fail_at(p, start, "unterminated %s", container);
	else
		fail_at(p, p->pos, "expected ',' or '%c' after an %s %s", close, container, item);
	return -1;
}

static bool parse_array(struct parser *p, const json_value **out)
{
	size_t start = p->pos;
	struct vec items = {.size = sizeof(const json_value *)};
	bool ok = false;

	p->pos++; /* '[' */
	skip_ws(p);
	if (peek(p) == ']') {
		p->pos++;
	} else {
		for (;;) {
			const json_value *item;
			if (!parse_value(p, &item))
				goto done;
			if (!vec_push(&items, &item)) {
				fail_oom(p);
				goto done;
			}
			int more = next_item(p, ']', start, "array", "item");
			if (more < 0)
				goto done;
			if (more == 0)
				break;
		}
	}
	json_value *v = new_value(p, JSON_ARRAY, start);
	void *stored;
	if (v == NULL || !vec_to_arena(p, &items, &stored)) {
		fail_oom(p);
		goto done;
	}
	v->u.arr.items = stored;
	v->u.arr.n = items.n;
	*out = v;
	ok = true;
done:
	free(items.items);
	return ok;
}

static bool parse_object(struct parser *p, const json_value **out)
{
	size_t start = p->pos;
	struct vec members = {.size = sizeof(json_member)};
	bool ok = false;

	p->pos++; /* '{' */
	skip_ws(p);
	if (peek(p) == '}') {
		p->pos++;
	} else {
		for (;;) {
			json_member m;
			size_t key_at = p->pos;
			if (peek(p) != '"') {
				if (at_end(p))
					fail_at(p, start, "unterminated object");
				else
					fail_at(p, p->pos, "expected a string key");
				goto done;
			}
			if (!parse_string_raw(p, &m.key, &m.key_len))
				goto done;
			const json_member *seen = members.items;
			for (size_t k = 0; k < members.n; k++) {
				if (seen[k].key_len == m.key_len && memcmp(seen[k].key, m.key, m.key_len) == 0) {
					fail_at(p, key_at, "duplicate key \"%s\" in object", m.key);
					goto done;
				}
			}
			skip_ws(p);
			if (peek(p) != ':') {
				fail_at(p, p->pos, "expected ':' after an object key");
				goto done;
			}
			p->pos++;
			if (!parse_value(p, &m.value))
				goto done;
			if (!vec_push(&members, &m)) {
				fail_oom(p);
				goto done;
			}
			int more = next_item(p, '}', start, "object", "member");
			if (more < 0)
				goto done;
			if (more == 0)
				break;
		}
	}
	json_value *v = new_value(p, JSON_OBJECT, start);
	void *stored;
	if (v == NULL || !vec_to_arena(p, &members, &stored)) {
		fail_oom(p);
		goto done;
	}
	v->u.obj.members = stored;
	v->u.obj.n = members.n;
	*out = v;
	ok = true;
done:
	free(members.items);
	return ok;
}

static bool parse_value(struct parser *p, const json_value **out)
{
	skip_ws(p);
	if (at_end(p))
		return fail_at(p, p->pos, "unexpected end of input, expected a value");
	char c = peek(p);
	switch (c) {
	case '{':
	case '[': {
		if (p->depth >= JSON_MAX_DEPTH)
			return fail_at(p, p->pos, "nesting deeper than %d levels", JSON_MAX_DEPTH);
		p->depth++;
		bool ok = c == '{' ? parse_object(p, out) : parse_array(p, out);
		p->depth--;
		return ok;
	}
	case '"':
		return parse_string(p, out);
	case 't':
		return parse_literal(p, "true", JSON_TRUE, out);
	case 'f':
		return parse_literal(p, "false", JSON_FALSE, out);
	case 'n':
		return parse_literal(p, "null", JSON_NULL, out);
	default:
		if (c == '-' || is_digit(c))
			return parse_number(p, out);
		char d[8];
		return fail_at(p, p->pos, "unexpected character %s, expected a value",
			       describe_char((unsigned char)c, d));
	}
}

/* ---- documents ---------------------------------------------------------- */

/* Parses text, which must be NUL-terminated at text[len] and which the
 * document takes over (freed on failure too). */
static json_doc *parse_owned(char *text, size_t len, char *err, size_t errlen)
{
	if (errlen > 0)
		err[0] = '\0';
	json_doc *doc = calloc(1, sizeof *doc);
	if (doc == NULL) {
		free(text);
		if (errlen > 0)
			snprintf(err, errlen, "out of memory");
		return NULL;
	}
	doc->text = text;
	doc->len = len;

	struct parser p = {.s = text, .len = len, .doc = doc, .err = err, .errlen = errlen};
	const json_value *root;
	if (!parse_value(&p, &root)) {
		json_doc_free(doc);
		return NULL;
	}
	skip_ws(&p);
	if (!at_end(&p)) {
		fail_at(&p, p.pos, "unexpected text after the top-level value");
		json_doc_free(doc);
		return NULL;
	}
	doc->root = root;
	return doc;
}

json_doc *json_parse(const char *text, size_t len, char *err, size_t errlen)
{
	char *copy = malloc(len + 1);
	if (copy == NULL) {
		if (errlen > 0)
			snprintf(err, errlen, "out of memory");
		return NULL;
	}
	memcpy(copy, text, len);
	copy[len] = '\0';
	return parse_owned(copy, len, err, errlen);
}

json_doc *json_parse_file(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		if (errlen > 0)
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	/* Read in growing steps rather than trusting the file size, so pipes
	 * and files that change while being read behave. */
	size_t len = 0, cap = 64 * 1024;
	char *buf = malloc(cap + 1);
	while (buf != NULL) {
		size_t got = fread(buf + len, 1, cap - len, f);
		len += got;
		if (len < cap)
			break;
		char *bigger = realloc(buf, 2 * cap + 1);
		if (bigger == NULL) {
			free(buf);
			buf = NULL;
			break;
		}
		buf = bigger;
		cap *= 2;
	}
	int read_error = buf != NULL && ferror(f);
	int saved_errno = errno;
	fclose(f);
	if (buf == NULL) {
		if (errlen > 0)
			snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	if (read_error) {
		free(buf);
		if (errlen > 0)
			snprintf(err, errlen, "%s: %s", path, strerror(saved_errno));
		return NULL;
	}
	buf[len] = '\0';
	json_doc *doc = parse_owned(buf, len, err, errlen);
	if (doc == NULL && errlen > 0) {
		/* Prefix the path so the message reads "file: line L, column C: ...". */
		char tail[512];
		snprintf(tail, sizeof tail, "%s", err);
		snprintf(err, errlen, "%s: %s", path, tail);
	}
	return doc;
}

const json_value *json_doc_root(const json_doc *doc)
{
	return doc->root;
}

/* ---- accessors ---------------------------------------------------------- */

const char *json_type_name(json_type t)
{
	switch (t) {
	case JSON_NULL: return "null";
	case JSON_FALSE: return "false";
	case JSON_TRUE: return "true";
	case JSON_NUMBER: return "number";
	case JSON_STRING: return "string";
	case JSON_ARRAY: return "array";
	case JSON_OBJECT: return "object";
	}
	return "?";
}

const json_value *json_get(const json_value *obj, const char *key)
{
	if (obj == NULL || obj->type != JSON_OBJECT)
		return NULL;
	size_t n = strlen(key);
	for (size_t i = 0; i < obj->u.obj.n; i++) {
		const json_member *m = &obj->u.obj.members[i];
		if (m->key_len == n && memcmp(m->key, key, n) == 0)
			return m->value;
	}
	return NULL;
}

size_t json_length(const json_value *v)
{
	if (v == NULL)
		return 0;
	if (v->type == JSON_ARRAY)
		return v->u.arr.n;
	if (v->type == JSON_OBJECT)
		return v->u.obj.n;
	return 0;
}

const json_value *json_at(const json_value *arr, size_t i)
{
	if (arr == NULL || arr->type != JSON_ARRAY || i >= arr->u.arr.n)
		return NULL;
	return arr->u.arr.items[i];
}

bool json_is_null(const json_value *v)
{
	return v != NULL && v->type == JSON_NULL;
}

bool json_as_u64(const json_value *v, uint64_t *out)
{
	if (v == NULL || v->type != JSON_NUMBER || !v->u.num.has_u64)
		return false;
	*out = v->u.num.u64;
	return true;
}

bool json_as_i64(const json_value *v, int64_t *out)
{
	if (v == NULL || v->type != JSON_NUMBER || !v->u.num.has_i64)
		return false;
	*out = v->u.num.i64;
	return true;
}

const char *json_as_string(const json_value *v)
{
	return v != NULL && v->type == JSON_STRING ? v->u.str.s : NULL;
}
