/*
 * json.h - a small, strict JSON (RFC 8259) reader for test data.
 *
 * The tests load reference vectors written by other tools, so the parser is
 * deliberately unforgiving: anything RFC 8259 does not allow (trailing
 * commas, comments, leading zeros, raw control characters or invalid UTF-8
 * in strings, lone surrogate escapes, text after the top-level value) is an
 * error, and so is a key repeated within one object, because a duplicate
 * would silently hide half of a test table.  Errors name the line and column
 * (1-based; the column counts characters, not bytes).
 *
 * The result is a read-only tree owned by a json_doc.  All of its memory
 * comes from one arena that json_doc_free releases at once, so callers never
 * free individual values.  Objects keep their members in source order.
 *
 * Numbers keep their double value, and additionally an exact int64 and/or
 * uint64 when the number is integral and fits: integer literals are
 * converted digit by digit (so 18446744073709551615 is exact even though no
 * double holds it), other literals such as 1e3 or 2.0 only when their double
 * is an integer below 2^53 in magnitude, where the double itself is exact.
 */
#ifndef PH_JSON_H
#define PH_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum json_type {
	JSON_NULL,
	JSON_FALSE,
	JSON_TRUE,
	JSON_NUMBER,
	JSON_STRING,
	JSON_ARRAY,
	JSON_OBJECT,
} json_type;

typedef struct json_value json_value;

typedef struct json_member {
	const char *key; /* NUL-terminated; may also contain NULs (see key_len) */
	size_t key_len;
	const json_value *value;
} json_member;

struct json_value {
	json_type type;
	size_t offset; /* byte offset of the value's first character */
	union {
		struct {
			double d;
			bool has_i64, has_u64;
			int64_t i64;
			uint64_t u64;
		} num;
		struct {
			const char *s; /* UTF-8, NUL-terminated; may contain \u0000 */
			size_t len;
		} str;
		struct {
			const json_value *const *items;
			size_t n;
		} arr;
		struct {
			const json_member *members;
			size_t n;
		} obj;
	} u;
};

typedef struct json_doc json_doc;

/*
 * Parses text[0, len).  On success returns the document; on failure returns
 * NULL and writes "line L, column C: what went wrong" into err (errlen bytes,
 * always NUL-terminated when errlen > 0).
 */
json_doc *json_parse(const char *text, size_t len, char *err, size_t errlen);
/* Reads and parses a file; an I/O error is reported as "PATH: reason". */
json_doc *json_parse_file(const char *path, char *err, size_t errlen);
void json_doc_free(json_doc *doc);

const json_value *json_doc_root(const json_doc *doc);
/* 1-based line and column of v in the document's source text. */
void json_doc_position(const json_doc *doc, const json_value *v, unsigned *line, unsigned *column);

/* "null", "false", "true", "number", "string", "array" or "object". */
const char *json_type_name(json_type t);

/* Convenience accessors; all accept NULL and return NULL/0/false when v
 * has the wrong type, so lookups can be chained and checked once. */
const json_value *json_get(const json_value *obj, const char *key);
size_t json_length(const json_value *v); /* array items or object members */
const json_value *json_at(const json_value *arr, size_t i);
bool json_is_null(const json_value *v);
bool json_as_u64(const json_value *v, uint64_t *out);
bool json_as_i64(const json_value *v, int64_t *out);
const char *json_as_string(const json_value *v);

#endif
