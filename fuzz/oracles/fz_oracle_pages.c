/* fz_oracle_pages.c - the page shadow (O1) and real-memory checks (Z1, O1). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "fz_oracle.h"
#include "fz_trace.h"
#include "ph_os.h"
#include "fz_sanitizer.h"

FZ_HARNESS_CODE_BEGIN

bool fz_fail_verdict(struct fz_verdict *v, const char *oracle, const char *fmt, ...)
{
	va_list ap;
	v->oracle = oracle;
	va_start(ap, fmt);
	vsnprintf(v->msg, sizeof v->msg, fmt, ap);
	va_end(ap);
	return false;
}

bool fz_shadow_init(struct fz_shadow *s, const ph_geom *g)
{
	s->npages = (size_t)g->max_arenas * ph_arena_pages(g);
	s->state = ph_os_alloc(s->npages * sizeof *s->state);
	s->vbase = g->heap_vbase;
	s->page_shift = g->page_shift;
	s->touched = 0;
	return s->state != NULL;
}

void fz_shadow_free(struct fz_shadow *s)
{
	ph_os_free(s->state, s->npages * sizeof *s->state);
	s->state = NULL;
}

void fz_shadow_reset(struct fz_shadow *s)
{
	memset(s->state, 0, s->touched * sizeof *s->state);
	s->touched = 0;
}

static size_t index_of(const struct fz_shadow *s, uintptr_t addr)
{
	return (addr - s->vbase) >> s->page_shift;
}

static void note_touched(struct fz_shadow *s, size_t end)
{
	size_t t = __atomic_load_n(&s->touched, __ATOMIC_RELAXED);
	while (t < end && !__atomic_compare_exchange_n(&s->touched, &t, end, true, __ATOMIC_RELAXED,
						       __ATOMIC_RELAXED))
		;
}

bool fz_shadow_hand_out(struct fz_shadow *s, uintptr_t base, uintptr_t npages, uint32_t id,
			const ph_geom *g, struct fz_verdict *v)
{
	size_t first = index_of(s, base);
	char at[32];
	if (first + npages > s->npages)
		return fz_fail_verdict(v, "O1", "allocation #%u at %s+%lu lies outside the heap", id,
				       fz_where(g, base, at, sizeof at), (unsigned long)npages);
	note_touched(s, first + npages);
	for (uintptr_t i = 0; i < npages; i++) {
		uint32_t old = __atomic_load_n(&s->state[first + i], __ATOMIC_RELAXED);
		for (;;) {
			if (old >= 2)
				return fz_fail_verdict(v, "O1",
						       "page %s handed out to allocation #%u while allocation #%u still uses it",
						       fz_where(g, base + (i << g->page_shift), at, sizeof at), id,
						       old - 2);
			if (__atomic_compare_exchange_n(&s->state[first + i], &old, id + 2, false,
							__ATOMIC_RELAXED, __ATOMIC_RELAXED))
				break;
		}
	}
	return true;
}

void fz_shadow_release(struct fz_shadow *s, uintptr_t base, uintptr_t npages)
{
	size_t first = index_of(s, base);
	for (uintptr_t i = 0; i < npages && first + i < s->npages; i++)
		__atomic_store_n(&s->state[first + i], FZ_PAGE_FREED, __ATOMIC_RELAXED);
}

bool fz_shadow_any_used(const struct fz_shadow *s, uintptr_t base, uintptr_t npages)
{
	size_t first = index_of(s, base);
	for (uintptr_t i = 0; i < npages && first + i < s->npages; i++)
		if (__atomic_load_n(&s->state[first + i], __ATOMIC_RELAXED) != FZ_PAGE_NEVER)
			return true;
	return false;
}

uintptr_t fz_shadow_count_never(const struct fz_shadow *s, uintptr_t base, uintptr_t npages)
{
	size_t first = index_of(s, base);
	uintptr_t n = 0;
	for (uintptr_t i = 0; i < npages && first + i < s->npages; i++)
		n += __atomic_load_n(&s->state[first + i], __ATOMIC_RELAXED) == FZ_PAGE_NEVER;
	return n;
}

void fz_shadow_for_each_used_run(const struct fz_shadow *s, void (*fn)(uintptr_t base, uintptr_t npages, void *arg),
				 void *arg)
{
	size_t i = 0, end = __atomic_load_n(&s->touched, __ATOMIC_RELAXED);
	while (i < end) {
		if (__atomic_load_n(&s->state[i], __ATOMIC_RELAXED) == FZ_PAGE_NEVER) {
			i++;
			continue;
		}
		size_t run = i;
		while (i < end && __atomic_load_n(&s->state[i], __ATOMIC_RELAXED) != FZ_PAGE_NEVER)
			i++;
		fn(s->vbase + ((uintptr_t)run << s->page_shift), i - run, arg);
	}
}

long fz_shadow_owner(const struct fz_shadow *s, uintptr_t addr)
{
	size_t i = index_of(s, addr);
	if (i >= s->npages)
		return -1;
	uint32_t st = __atomic_load_n(&s->state[i], __ATOMIC_RELAXED);
	return st >= 2 ? (long)(st - 2) : -1;
}

/*
 * The memory oracles go through memcmp/memcpy: ThreadSanitizer (and the
 * other sanitizers) intercept those as one range access, which keeps every
 * byte checked for races at a fraction of the cost of a loop of 8-byte
 * instrumented accesses.
 */

static const unsigned char zero_block[4096];

/* Index of the first byte of p[0..n) that is not zero, or n. */
static size_t first_nonzero(const unsigned char *p, size_t n)
{
	for (size_t off = 0; off < n; off += sizeof zero_block) {
		size_t len = n - off < sizeof zero_block ? n - off : sizeof zero_block;
		if (memcmp(p + off, zero_block, len) != 0) {
			for (size_t i = off; i < off + len; i++)
				if (p[i] != 0)
					return i;
		}
	}
	return n;
}

/* Index of the first byte of p[0..n) (n a multiple of 8) that differs from
 * the repeated 8-byte word `want`, or n.  A buffer is that word repeated
 * exactly when its first word matches and it equals itself shifted by 8. */
static size_t first_mismatch(const unsigned char *p, size_t n, uint64_t want)
{
	if (n == 0)
		return 0;
	if (memcmp(p, &want, sizeof want) == 0 && memcmp(p, p + sizeof want, n - sizeof want) == 0)
		return n;
	for (size_t i = 0; i < n; i++)
		if (p[i] != ((const unsigned char *)&want)[i % sizeof want])
			return i;
	return n;
}

bool fz_check_zero(const ph_geom *g, uintptr_t base, const void *p, size_t n, uint32_t id,
		   bool requested, struct fz_verdict *v)
{
	size_t bad = first_nonzero(p, n);
	if (bad == n)
		return true;
	char at[32], pg[32];
	return fz_fail_verdict(v, "Z1",
			       "allocation #%u at %s+%lu was handed out %s, but byte %zu (page %s) is 0x%02x",
			       id, fz_where(g, base, at, sizeof at), (unsigned long)(n >> g->page_shift),
			       requested ? "as zeroed on request" : "as not needing zeroing", bad,
			       fz_where(g, base + (bad & ~(ph_page_size(g) - 1)), pg, sizeof pg),
			       ((const unsigned char *)p)[bad]);
}

static uint64_t pattern_word(uint32_t id, uint32_t tag)
{
	/* Never zero, and different for every (allocation, write). */
	return 0xA500000000000000ull | ((uint64_t)(tag & 0xFFFF) << 32) | (uint64_t)id << 1 | 1;
}

void fz_fill_pattern(void *p, size_t n, uint32_t id, uint32_t tag)
{
	unsigned char *b = p;
	uint64_t word = pattern_word(id, tag);
	if (n < sizeof word)
		return;
	memcpy(b, &word, sizeof word);
	/* Double the filled prefix until the buffer is full. */
	for (size_t done = sizeof word; done < n; done *= 2)
		memcpy(b + done, b, done < n - done ? done : n - done);
}

bool fz_check_pattern(const ph_geom *g, uintptr_t base, const void *p, size_t n, uint32_t id,
		      uint32_t tag, struct fz_verdict *v)
{
	size_t bad = first_mismatch(p, n, pattern_word(id, tag));
	if (bad == n)
		return true;
	char at[32], pg[32];
	return fz_fail_verdict(v, "O1",
			       "contents of allocation #%u at %s+%lu changed while it was live: byte %zu (page %s) is 0x%02x",
			       id, fz_where(g, base, at, sizeof at), (unsigned long)(n >> g->page_shift), bad,
			       fz_where(g, base + (bad & ~(ph_page_size(g) - 1)), pg, sizeof pg),
			       ((const unsigned char *)p)[bad]);
}

FZ_HARNESS_CODE_END
