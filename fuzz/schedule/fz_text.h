/*
 * fz_text.h - the human-writable text spelling of a schedule.
 *
 * The bytes (fz_decode.c) stay the authority on what a schedule means; the
 * text exists so people can write, read, review and minimise schedules.
 * Every byte string decodes to a schedule the formatter can print, and every
 * text the parser accepts encodes to bytes, so the two forms convert freely:
 *
 *   parse(format(decode(B))) == decode(B)   for every byte string B
 *   format(parse(T)) == T                   for every canonical text T
 *
 * Canonical text (the formatter's output; one item per line, this order):
 *
 *   target NAME                      profile name: schedule | needzero
 *   threads N                        2..8
 *   strategy rr quantum Q            Q 1..8     (param = Q - 1)
 *   strategy random chance 1/K       K 2..9     (param = K - 2)
 *   strategy pct depth D             D 1..8     (param = D - 1)
 *   seed 0xHHHHHHHH                  eight lower-case hex digits
 *   caches on | caches off           off only if the profile allows it
 *   thread N                         once per thread, 0..threads-1 in order,
 *     alloc N [zero]                 followed by at most 64 operations,
 *     free SEL                       each indented by two spaces
 *     write SEL
 *     destroy-p
 *     grow N skip K
 *     claim arena A page P pages N
 *   decisions                        always present
 *     run T for R                    at most 4096, T < threads, R 0..255
 *
 * The parser also accepts, and the formatter never writes: blank lines,
 * comment lines (first non-blank character '#'), any run of spaces, tabs or
 * carriage returns between and around words, numbers in decimal or 0x-hex
 * with any number of digits, a "fuzz_" prefix on the target name, and a
 * missing final newline.  Everything else is an error.  Operand ranges are
 * the ones fz_decode produces (see fz_schedule.h); claim pages must be below
 * the profile's arena_pages and operations must be in the profile's table.
 */
#ifndef FZ_TEXT_H
#define FZ_TEXT_H

#include <stdbool.h>
#include <stddef.h>

#include "fz_schedule.h"

/*
 * Writes the canonical text of s for profile pr into buf (always
 * NUL-terminated when cap > 0) with snprintf's contract: returns the length
 * of the full text, so a result >= cap means buf holds a truncated prefix.
 * buf may be NULL when cap is 0, to measure.  Returns -1 when s cannot be
 * spelled at all (counts beyond the arrays, unknown op kind or strategy, a
 * decision naming a missing thread); operands are printed as they are, and
 * the parser judges their ranges.
 */
int fz_text_format(const struct fz_profile *pr, const struct fz_schedule *s, char *buf, size_t cap);

/* Same, into a malloc'ed string the caller frees; NULL when fz_text_format
 * returns -1 or memory runs out. */
char *fz_text_format_alloc(const struct fz_profile *pr, const struct fz_schedule *s);

/*
 * Parses a text into *s and sets *pr_out to the profile its target line
 * names.  On error returns false, sets *pr_out to NULL, leaves *s partly
 * filled and writes "FILE:LINE:COL: message" into err (when errlen > 0):
 * LINE and COL are 1-based, COL counts bytes, and both point at the
 * offending word, or just past the last word when one is missing, or at the
 * end of the text when a whole line is.  filename NULL prints as "<text>".
 */
bool fz_text_parse(const char *text, const char *filename, const struct fz_profile **pr_out,
		   struct fz_schedule *s, char *err, size_t errlen);

/* Same for a text of len bytes that may contain NUL bytes (reported as
 * errors, so a binary file gets a position instead of a silent cut). */
bool fz_text_parse_buf(const char *text, size_t len, const char *filename,
		       const struct fz_profile **pr_out, struct fz_schedule *s, char *err,
		       size_t errlen);

/* True for the lines the parser skips (blank or comment): the lines a
 * canonical text leaves out.  line excludes its '\n'. */
bool fz_text_line_ignored(const char *line, size_t len);

/*
 * Compares the parts of two schedules that have meaning (the counts, and
 * every field of each counted op and decision), ignoring slots past the
 * counts and struct padding.  On a difference returns false and describes
 * the first one in why (when whylen > 0).
 */
bool fz_schedule_same(const struct fz_schedule *a, const struct fz_schedule *b, char *why,
		      size_t whylen);

#endif
