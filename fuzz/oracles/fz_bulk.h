/*
 * fz_bulk.h - passes over heap memory that check or write every byte out
 * of the sanitizers' sight, while ThreadSanitizer still sees each page.
 *
 * The memory oracles (Z1's zero check, O1's pattern fill and check) and the
 * reset between inputs read or write every byte an input was handed.  Done
 * in instrumented code, or through memcmp/memset, ThreadSanitizer checks
 * every 8 bytes against its shadow and AddressSanitizer every access, which
 * was most of an input's cost.  The bytes' *values* are what the oracles
 * judge, and no sanitizer is needed for that: these passes are compiled
 * without ThreadSanitizer, AddressSanitizer, UBSan and coverage
 * instrumentation.
 *
 * What ThreadSanitizer must keep seeing is *who* touches a page: two
 * threads handed the same page race on it.  So each pass announces one
 * access to ThreadSanitizer -- a 1-byte read or write at the first byte of
 * every page, as the pass reaches it -- and two owners of one page (or an
 * owner and the allocator's own zeroing memset) still form a race that
 * TSan reports (tests/test_canary.c, canary/overlap-visible-to-tsan).
 * A pass that writes announces a write, which conflicts with any access.
 *
 * MemorySanitizer keeps its instrumentation on these passes: an
 * uninstrumented fill would leave the pattern "uninitialised" in MSan's
 * shadow and the next check would report it.
 *
 * Patterns are an 8-byte word repeated from p on: byte i of a region holds
 * byte i % 8 of the word.  page is the heap's page size, a power of two.
 * None of these functions synchronises; the caller owns the memory (or, for
 * a racing bug, believes it does).
 */
#ifndef FZ_BULK_H
#define FZ_BULK_H

#include <stddef.h>
#include <stdint.h>

/* Index of the first byte of p[0..n) that differs from pattern `expect`,
 * or n. */
size_t fz_bulk_first_mismatch(const void *p, size_t n, size_t page, uint64_t expect);
/* The same without announcing anything: for checks while no schedule
 * thread runs, when every access of theirs happens before the check and
 * TSan could report no race anyway. */
size_t fz_bulk_first_mismatch_unseen(const void *p, size_t n, size_t page, uint64_t expect);
/* Fills p[0..n) with pattern `word`. */
void fz_bulk_fill(void *p, size_t n, size_t page, uint64_t word);
/* Checks p[0..n) against pattern `expect` and rewrites it with pattern
 * `word` in the same pass.  Returns n when every byte matched (all of
 * p[0..n) now holds `word`), else the index of the first mismatch: the
 * bytes before its 8-byte word (counted from p) hold `word`, it and the
 * rest are untouched.  page is a multiple of 8. */
size_t fz_bulk_replace(void *p, size_t n, size_t page, uint64_t expect, uint64_t word);
/* Clears p[0..n), unseen by ThreadSanitizer, AddressSanitizer and UBSan
 * (MemorySanitizer sees the stores): for clearing when no schedule thread
 * runs and there is no race to find. */
void fz_bulk_zero(void *p, size_t n);
/* The same, announcing a write per page: for clearing on a schedule
 * thread (the allocator's zeroing of a span, through ph_hook_zero). */
void fz_bulk_clear(void *p, size_t n, size_t page);

#endif
