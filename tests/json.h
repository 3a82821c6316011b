/*
 * json.h - a JSON document compiled into constant C data at build time.
 *
 * Tests read reference vectors written by other tools (Go's page-heap test
 * tables) as JSON.  Rather than parse them at run time, tests/json2c.py
 * reads the file with Python's json module when the tests are built and
 * writes a C file defining one `const json_doc` (see that script for what
 * it refuses: it holds the data to RFC 8259 and forbids repeated keys).
 * The tree below is that data: one json_value per JSON value, objects with
 * their members in source order, every value with the line and column
 * (1-based, in characters) where it starts in the file.
 *
 * A file that is missing or is not valid JSON does not stop the build: the
 * document then has no root and `error` says why, so the test can print a
 * FAIL line instead.
 *
 * Numbers keep their double value, and additionally an exact int64 and/or
 * uint64 when the number is integral and fits: integer literals exactly
 * (18446744073709551615 too, which no double holds), other literals such as
 * 1e3 or 2.0 only when their double is an integer below 2^53 in magnitude.
 *
 * Everything is constant static data: no allocation, no initialisation at
 * run time, nothing for a sanitizer to see uninitialised.
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
	unsigned line, column; /* where the value starts in the JSON file */
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

typedef struct json_doc {
	const char *path;       /* the JSON file the document was generated from */
	const char *error;      /* NULL, or why there is no document */
	bool missing;           /* the error is that the file does not exist */
	const json_value *root; /* NULL when error is set */
} json_doc;

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
