/*
 * fz_bulk.c - bulk memory passes hidden from the sanitizers, announcing one
 * access per page to ThreadSanitizer (see fz_bulk.h for why).
 *
 * The passes are FZ_UNINSTRUMENTED (fz_sanitizer.h): no ThreadSanitizer,
 * AddressSanitizer or UBSan instrumentation (coverage is off for the whole
 * file, as for all harness code), never inlined into instrumented callers.  Their
 * loops are word loops, not memcmp/memset: a libc call would go through
 * the sanitizers' interceptors, which check the whole range anyway.  They
 * take four words a step (a page is at least 64 bytes), and look at single
 * words and bytes only to locate a mismatch or for memory that is not
 * word aligned (test buffers).  The per-page announcement is an explicit
 * call of TSan's entry point for a 1-byte access, which records the pass
 * as the accessor; it touches TSan's shadow, not the page.
 * fz_bulk_zero and fz_bulk_clear are the exception: a memset run inside a
 * TSan ignore region (a zeroing loop would become one anyway).
 */
#include "fz_bulk.h"

#include <string.h>

#include "fz_sanitizer.h"

FZ_HARNESS_CODE_BEGIN

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
#define BYTE_OF(word, i) ((unsigned char)((word) >> (8 * ((i) % 8))))
#define MIN(a, b) ((a) < (b) ? (a) : (b))

/* Whole words, four a step, a page at a time: p word aligned, pages a
 * multiple of 32 bytes. */
#define BY_WORDS(p, page) ((((uintptr_t)(p)) & 7) == 0 && (page) % 32 == 0)

/* The passes' bodies, inlined into each entry point (an inlined function
 * must carry the same sanitizer attributes as its caller). */
#if defined(__clang__)
#define FZ_UNINSTRUMENTED_INLINE static inline __attribute__((no_sanitize("address", "thread", "undefined"), always_inline))
#elif defined(__GNUC__) && __GNUC__ >= 8
#define FZ_UNINSTRUMENTED_INLINE static inline __attribute__((no_sanitize("address,thread,undefined"), always_inline))
#else
#define FZ_UNINSTRUMENTED_INLINE static inline
#endif

FZ_UNINSTRUMENTED_INLINE size_t first_mismatch(const void *p, size_t n, size_t page, uint64_t expect, int seen)
{
	const unsigned char *b = p;
	int words = BY_WORDS(p, page);
	for (size_t off = 0; off < n; off += page) {
		size_t end = MIN(n, off + page), i = off;
		if (seen)
			SEEN_READ(b + off);
		if (words) {
			const uint64_t *w = (const uint64_t *)(b + off);
			size_t k = 0, nw = (end - off) / 8;
			while (k + 4 <= nw && ((w[k] ^ expect) | (w[k + 1] ^ expect) | (w[k + 2] ^ expect) |
					       (w[k + 3] ^ expect)) == 0)
				k += 4;
			while (k < nw && w[k] == expect)
				k++;
			i = off + k * 8; /* the byte loop finds the byte in word k */
		}
		for (; i < end; i++)
			if (b[i] != BYTE_OF(expect, i))
				return i;
	}
	return n;
}

FZ_UNINSTRUMENTED size_t fz_bulk_first_mismatch(const void *p, size_t n, size_t page, uint64_t expect)
{
	return first_mismatch(p, n, page, expect, 1);
}

FZ_UNINSTRUMENTED size_t fz_bulk_first_mismatch_unseen(const void *p, size_t n, size_t page, uint64_t expect)
{
	return first_mismatch(p, n, page, expect, 0);
}

FZ_UNINSTRUMENTED void fz_bulk_fill(void *p, size_t n, size_t page, uint64_t word)
{
	unsigned char *b = p;
	int words = BY_WORDS(p, page);
	for (size_t off = 0; off < n; off += page) {
		size_t end = MIN(n, off + page), i = off;
		SEEN_WRITE(b + off);
		if (words) {
			uint64_t *w = (uint64_t *)(b + off);
			size_t nw = (end - off) / 8, k = 0;
			for (; k + 4 <= nw; k += 4) {
				w[k] = word;
				w[k + 1] = word;
				w[k + 2] = word;
				w[k + 3] = word;
			}
			for (; k < nw; k++)
				w[k] = word;
			i = off + nw * 8;
		}
		for (; i < end; i++)
			b[i] = BYTE_OF(word, i);
	}
}

FZ_UNINSTRUMENTED size_t fz_bulk_replace(void *p, size_t n, size_t page, uint64_t expect, uint64_t word)
{
	unsigned char *b = p;
	int words = BY_WORDS(p, page);
	for (size_t off = 0; off < n; off += page) {
		size_t end = MIN(n, off + page), i = off;
		SEEN_WRITE(b + off);
		if (words) {
			uint64_t *w = (uint64_t *)(b + off);
			size_t k = 0, nw = (end - off) / 8;
			for (; k + 4 <= nw; k += 4) {
				if (((w[k] ^ expect) | (w[k + 1] ^ expect) | (w[k + 2] ^ expect) | (w[k + 3] ^ expect)) != 0)
					break;
				w[k] = word;
				w[k + 1] = word;
				w[k + 2] = word;
				w[k + 3] = word;
			}
			for (; k < nw && w[k] == expect; k++)
				w[k] = word;
			i = off + k * 8;
			if (k < nw) {
				/* Word k differs: name its first differing byte. */
				while (b[i] == BYTE_OF(expect, i))
					i++;
				return i;
			}
		}
		for (; i < end; i++) {
			if (b[i] != BYTE_OF(expect, i))
				return i;
			b[i] = BYTE_OF(word, i);
		}
	}
	return n;
}

void fz_bulk_zero(void *p, size_t n)
{
	FZ_UNTRACKED_BEGIN();
	memset(p, 0, n);
	FZ_UNTRACKED_END();
}

void fz_bulk_clear(void *p, size_t n, size_t page)
{
	unsigned char *b = p;
	for (size_t off = 0; off < n; off += page)
		SEEN_WRITE(b + off);
	fz_bulk_zero(p, n);
}

FZ_HARNESS_CODE_END
