/*
 * fz_bulk.c - bulk memory passes hidden from the sanitizers, announcing one
 * access per page to ThreadSanitizer (see fz_bulk.h for why).
 *
 * FZ_BULK functions are compiled without ThreadSanitizer, AddressSanitizer
 * and UBSan instrumentation (coverage is off for the whole file, as for all
 * harness code) and are never inlined into instrumented callers.  Their
 * loops are word loops, not memcmp/memset: a libc call would go through
 * the sanitizers' interceptors, which check the whole range anyway.  The
 * per-page announcement is an explicit call of TSan's own entry point for
 * a 1-byte access, which records this function as the accessor.
 * fz_bulk_zero is the exception: a memset run inside a TSan ignore region.
 */
#include "fz_bulk.h"

#include <string.h>

#include "fz_sanitizer.h"

FZ_HARNESS_CODE_BEGIN

#if defined(__clang__)
#define FZ_BULK __attribute__((no_sanitize("address", "thread", "undefined"), noinline))
#elif defined(__GNUC__) && __GNUC__ >= 8
#define FZ_BULK __attribute__((no_sanitize("address,thread,undefined"), noinline))
#else
#define FZ_BULK __attribute__((noinline))
#endif

#ifdef FZ_TSAN
void __tsan_read1(void *addr);
void __tsan_write1(void *addr);
#define SEEN_READ(p) __tsan_read1((void *)(p))
#define SEEN_WRITE(p) __tsan_write1((void *)(p))
#else
#define SEEN_READ(p) ((void)(p))
#define SEEN_WRITE(p) ((void)(p))
#endif

/* Macros, not functions: an instrumented helper would not be inlined into
 * the uninstrumented passes. */
#define WORDS_OK(p, page) ((((uintptr_t)(p)) & 7) == 0 && (page) % 8 == 0)
#define MIN(a, b) ((a) < (b) ? (a) : (b))

FZ_BULK size_t fz_bulk_first_nonzero(const void *p, size_t n, size_t page)
{
	const unsigned char *b = p;
	for (size_t off = 0; off < n; off += page) {
		size_t end = MIN(n, off + page), i = off;
		SEEN_READ(b + off);
		if (WORDS_OK(p, page)) {
			const uint64_t *w = (const uint64_t *)(b + off);
			size_t k = 0, nw = (end - off) / 8;
			while (k < nw && w[k] == 0)
				k++;
			i = off + k * 8; /* the byte loop finds the byte in word k */
		}
		for (; i < end; i++)
			if (b[i] != 0)
				return i;
	}
	return n;
}

FZ_BULK size_t fz_bulk_first_mismatch(const void *p, size_t n, size_t page, uint64_t word)
{
	const unsigned char *b = p;
	const unsigned char *wb = (const unsigned char *)&word;
	for (size_t off = 0; off < n; off += page) {
		size_t end = MIN(n, off + page), i = off;
		SEEN_READ(b + off);
		if (WORDS_OK(p, page)) {
			const uint64_t *w = (const uint64_t *)(b + off);
			size_t k = 0, nw = (end - off) / 8;
			while (k < nw && w[k] == word)
				k++;
			i = off + k * 8;
		}
		for (; i < end; i++)
			if (b[i] != wb[i % 8])
				return i;
	}
	return n;
}

FZ_BULK void fz_bulk_fill(void *p, size_t n, size_t page, uint64_t word)
{
	unsigned char *b = p;
	const unsigned char *wb = (const unsigned char *)&word;
	for (size_t off = 0; off < n; off += page) {
		size_t end = MIN(n, off + page), i = off;
		SEEN_WRITE(b + off);
		if (WORDS_OK(p, page)) {
			uint64_t *w = (uint64_t *)(b + off);
			size_t nw = (end - off) / 8;
			for (size_t k = 0; k < nw; k++)
				w[k] = word;
			i = off + nw * 8;
		}
		for (; i < end; i++)
			b[i] = wb[i % 8];
	}
}

void fz_bulk_zero(void *p, size_t n)
{
	FZ_UNTRACKED_BEGIN();
	memset(p, 0, n);
	FZ_UNTRACKED_END();
}

FZ_HARNESS_CODE_END
