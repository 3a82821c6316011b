/*
 * fz_bulk.c - bulk memory passes hidden from the sanitizers, announcing one
 * access per page to ThreadSanitizer (see fz_bulk.h for why).
 *
 * The passes are FZ_UNINSTRUMENTED (fz_sanitizer.h): no ThreadSanitizer,
 * AddressSanitizer or UBSan instrumentation (coverage is off for the whole
 * file, as for all harness code), never inlined into instrumented callers.  Their
 * loops are word loops, not memcmp/memset: a libc call would go through
 * the sanitizers' interceptors, which check the whole range anyway.  They
 * take 64 bytes a step as vectors (a page is at least 64 bytes), and look
 * at single bytes only to locate a mismatch or for memory that is not
 * word aligned (test buffers).  The per-page announcement is an explicit
 * call of TSan's entry point for a 1-byte access, which records the pass
 * as the accessor; it touches TSan's shadow, not the page.
 * fz_bulk_zero's loop is kept from becoming a memset call, which would go
 * through the interceptors after all.
 */
#include "fz_bulk.h"

#include <stdbool.h>
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

/* The passes' bodies and helpers, inlined into each entry point (an
 * inlined function must carry the same sanitizer attributes as its
 * caller). */
#if defined(__clang__)
#define FZ_UNINSTRUMENTED_INLINE static inline __attribute__((no_sanitize("address", "thread", "undefined"), always_inline))
#elif defined(__GNUC__) && __GNUC__ >= 8
#define FZ_UNINSTRUMENTED_INLINE static inline __attribute__((no_sanitize("address,thread,undefined"), always_inline))
#else
#define FZ_UNINSTRUMENTED_INLINE static inline
#endif

/* Blocks of 64 bytes as four 16-byte vectors (SSE2 on x86-64, whatever
 * the target has elsewhere): p word aligned and pages a multiple of 64
 * bytes (pages are at least 64), else byte by byte.  32-byte AVX2 vectors,
 * chosen at start-up where the CPU has them, were tried and made
 * fuzz_schedule's ASan replay slower (about 1.9 against 1.7 CPU seconds per
 * 3000 inputs here): the passes are short and scattered between the
 * allocator's work. */
typedef uint64_t fz_v2 __attribute__((vector_size(16)));
#define BLOCK 64
#define BY_BLOCKS(p, page) ((((uintptr_t)(p)) & 7) == 0 && (page) % BLOCK == 0)

/* How far a pass goes between two announcements: a page when TSan must see
 * each page, else the whole range in one stretch. */
#ifdef FZ_TSAN
#define STRETCH(page, n, seen) ((seen) ? (page) : (n))
#else
#define STRETCH(page, n, seen) ((void)(seen), (n))
#endif

FZ_UNINSTRUMENTED_INLINE bool block_differs(const unsigned char *q, fz_v2 e)
{
	fz_v2 a, b, c, d;
	memcpy(&a, q, 16);
	memcpy(&b, q + 16, 16);
	memcpy(&c, q + 32, 16);
	memcpy(&d, q + 48, 16);
	fz_v2 x = (a ^ e) | (b ^ e) | (c ^ e) | (d ^ e);
	return (x[0] | x[1]) != 0;
}

FZ_UNINSTRUMENTED_INLINE void block_store(unsigned char *q, fz_v2 w)
{
	memcpy(q, &w, 16);
	memcpy(q + 16, &w, 16);
	memcpy(q + 32, &w, 16);
	memcpy(q + 48, &w, 16);
}

/* The block runs of [i, end): the first block from i that differs from the
 * pattern (or the last whole block's end); the stores of whole blocks; and
 * both fused (stores blocks up to the first that differs, which it leaves
 * alone).  Each returns where the byte loops take over. */
FZ_UNINSTRUMENTED_INLINE size_t same_blocks(const unsigned char *b, size_t i, size_t end, uint64_t expect)
{
	fz_v2 e = {expect, expect};
	while (i + BLOCK <= end && !block_differs(b + i, e))
		i += BLOCK;
	return i;
}

FZ_UNINSTRUMENTED_INLINE size_t store_blocks(unsigned char *b, size_t i, size_t end, uint64_t word)
{
	fz_v2 w = {word, word};
	for (; i + BLOCK <= end; i += BLOCK)
		block_store(b + i, w);
	return i;
}

FZ_UNINSTRUMENTED_INLINE size_t replace_blocks(unsigned char *b, size_t i, size_t end, uint64_t expect,
						uint64_t word)
{
	fz_v2 e = {expect, expect}, w = {word, word};
	for (; i + BLOCK <= end && !block_differs(b + i, e); i += BLOCK)
		block_store(b + i, w);
	return i;
}

/* Index of the first byte of b[i..end) that differs from the pattern, or
 * end. */
FZ_UNINSTRUMENTED_INLINE size_t bytes_differ(const unsigned char *b, size_t i, size_t end, uint64_t expect)
{
	for (; i < end; i++)
		if (b[i] != BYTE_OF(expect, i))
			return i;
	return end;
}

FZ_UNINSTRUMENTED_INLINE size_t first_mismatch(const void *p, size_t n, size_t page, uint64_t expect, bool seen)
{
	const unsigned char *b = p;
	bool blocks = BY_BLOCKS(p, page);
	size_t step = STRETCH(page, n, seen);
	for (size_t off = 0; off < n; off += step) {
		size_t end = MIN(n, off + step), i = off;
		if (seen)
			SEEN_READ(b + off);
		if (blocks)
			i = same_blocks(b, i, end, expect); /* the byte loop finds the byte in a block */
		i = bytes_differ(b, i, end, expect);
		if (i < end)
			return i;
	}
	return n;
}

FZ_UNINSTRUMENTED size_t fz_bulk_first_mismatch(const void *p, size_t n, size_t page, uint64_t expect)
{
	return first_mismatch(p, n, page, expect, true);
}

FZ_UNINSTRUMENTED size_t fz_bulk_first_mismatch_unseen(const void *p, size_t n, size_t page, uint64_t expect)
{
	return first_mismatch(p, n, page, expect, false);
}

FZ_UNINSTRUMENTED void fz_bulk_fill(void *p, size_t n, size_t page, uint64_t word)
{
	unsigned char *b = p;
	bool blocks = BY_BLOCKS(p, page);
	size_t step = STRETCH(page, n, true);
	for (size_t off = 0; off < n; off += step) {
		size_t end = MIN(n, off + step), i = off;
		SEEN_WRITE(b + off);
		if (blocks)
			i = store_blocks(b, i, end, word);
		for (; i < end; i++)
			b[i] = BYTE_OF(word, i);
	}
}

FZ_UNINSTRUMENTED size_t fz_bulk_replace(void *p, size_t n, size_t page, uint64_t expect, uint64_t word)
{
	unsigned char *b = p;
	bool blocks = BY_BLOCKS(p, page);
	size_t step = STRETCH(page, n, true);
	for (size_t off = 0; off < n; off += step) {
		size_t end = MIN(n, off + step), i = off;
		SEEN_WRITE(b + off);
		if (blocks)
			i = replace_blocks(b, i, end, expect, word);
		/* Then word by word (i % 8 == 0: pages are a multiple of 8), so
		 * a mismatch leaves its whole word untouched, then bytes. */
		for (; i + 8 <= end; i += 8) {
			uint64_t x;
			memcpy(&x, b + i, 8);
			if (x != expect)
				return bytes_differ(b, i, i + 8, expect);
			memcpy(b + i, &word, 8);
		}
		for (; i < end; i++) {
			if (b[i] != BYTE_OF(expect, i))
				return i;
			b[i] = BYTE_OF(word, i);
		}
	}
	return n;
}

/* The zeroing loop must not become a call of memset, which goes through
 * the sanitizers' interceptor (clang: no_builtin; gcc turns loops into
 * memset calls only from -O2 on, and its TSan builds are not the fuzzers'). */
#if defined(__clang__)
#define NO_MEMSET_CALL __attribute__((no_builtin("memset")))
#else
#define NO_MEMSET_CALL
#endif

FZ_UNINSTRUMENTED NO_MEMSET_CALL void fz_bulk_zero(void *p, size_t n)
{
	unsigned char *b = p;
	size_t i = (((uintptr_t)b) & 7) == 0 ? store_blocks(b, 0, n, 0) : 0;
	for (; i < n; i++)
		b[i] = 0;
}

FZ_UNINSTRUMENTED void fz_bulk_clear(void *p, size_t n, size_t page)
{
	unsigned char *b = p;
	for (size_t off = 0; off < n; off += page)
		SEEN_WRITE(b + off);
	fz_bulk_zero(p, n);
}

FZ_HARNESS_CODE_END
