/*
 * fz_oracle_pages.c - the real-memory oracles: Z1 (handed-out memory that
 * needs no zeroing is zero) and O1's contents check (a live allocation
 * holds the pattern its owner last wrote).  The page shadow, O1's other
 * half, is fz_shadow.c.
 *
 * Every byte is checked in a pass the sanitizers do not instrument, which
 * announces one access per page to ThreadSanitizer as it goes (fz_bulk.h):
 * that is what lets TSan see two owners of one page race.
 *
 * Fresh memory.  Z1 asks whether memory handed out as needing no zeroing
 * holds anything an earlier allocation put there.  Within one run the
 * shadow knows every page the harness wrote (the allocator writes only
 * zeros), so the runner's check (fz_fill_allocation) reads just those
 * pages; any other page holds nothing this run wrote and counts as zero
 * whatever an earlier run left in it, so the reset between runs need not
 * clear heap memory at all.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>

#include "fz_bulk.h"
#include "fz_oracle.h"
#include "fz_trace.h"
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

static bool zero_verdict(const ph_geom *g, uintptr_t base, const void *p, size_t n, size_t bad, uint32_t id,
			 bool requested, struct fz_verdict *v)
{
	char at[32], pg[32];
	return fz_fail_verdict(v, "Z1",
			       "allocation #%u at %s+%lu was handed out %s, but byte %zu (page %s) is 0x%02x",
			       id, fz_where(g, base, at, sizeof at), (unsigned long)(n >> g->page_shift),
			       requested ? "as zeroed on request" : "as not needing zeroing", bad,
			       fz_where(g, base + (bad & ~(ph_page_size(g) - 1)), pg, sizeof pg),
			       ((const unsigned char *)p)[bad]);
}

static bool pattern_verdict(const ph_geom *g, uintptr_t base, const void *p, size_t n, size_t bad, uint32_t id,
			    struct fz_verdict *v)
{
	char at[32], pg[32];
	return fz_fail_verdict(v, "O1",
			       "contents of allocation #%u at %s+%lu changed while it was live: byte %zu (page %s) is 0x%02x",
			       id, fz_where(g, base, at, sizeof at), (unsigned long)(n >> g->page_shift), bad,
			       fz_where(g, base + (bad & ~(ph_page_size(g) - 1)), pg, sizeof pg),
			       ((const unsigned char *)p)[bad]);
}

static uint64_t pattern_word(uint32_t id, uint32_t tag)
{
	/* Never zero, and different for every (allocation, write). */
	return 0xA500000000000000ull | ((uint64_t)(tag & 0xFFFF) << 32) | (uint64_t)id << 1 | 1;
}

bool fz_check_zero(const ph_geom *g, uintptr_t base, const void *p, size_t n, uint32_t id,
		   bool requested, struct fz_verdict *v)
{
	size_t bad = fz_bulk_first_mismatch(p, n, ph_page_size(g), 0);
	return bad == n || zero_verdict(g, base, p, n, bad, id, requested, v);
}

void fz_fill_pattern(const ph_geom *g, void *p, size_t n, uint32_t id, uint32_t tag)
{
	fz_bulk_fill(p, n, ph_page_size(g), pattern_word(id, tag));
}

bool fz_check_pattern(const ph_geom *g, uintptr_t base, const void *p, size_t n, uint32_t id,
		      uint32_t tag, struct fz_verdict *v)
{
	size_t bad = fz_bulk_first_mismatch(p, n, ph_page_size(g), pattern_word(id, tag));
	return bad == n || pattern_verdict(g, base, p, n, bad, id, v);
}

bool fz_check_pattern_at_rest(const ph_geom *g, uintptr_t base, const void *p, size_t n, uint32_t id, uint32_t tag,
			      struct fz_verdict *v)
{
	size_t bad = fz_bulk_first_mismatch_unseen(p, n, ph_page_size(g), pattern_word(id, tag));
	return bad == n || pattern_verdict(g, base, p, n, bad, id, v);
}

bool fz_check_zero_then_fill(const ph_geom *g, uintptr_t base, void *p, size_t n, uint32_t id, bool requested,
			     struct fz_verdict *v)
{
	size_t bad = fz_bulk_replace(p, n, ph_page_size(g), 0, pattern_word(id, 0));
	return bad == n || zero_verdict(g, base, p, n, bad, id, requested, v);
}

/* fz_fill_allocation's walk over runs of written and fresh pages. */
struct fill {
	const ph_geom *g;
	uintptr_t base;
	unsigned char *p;
	uint64_t word;
	bool check;
	size_t bad; /* byte offset of the first Z1 violation, or SIZE_MAX */
};

static void fill_run(uintptr_t base, uintptr_t npages, bool written, void *arg)
{
	struct fill *f = arg;
	if (f->bad != SIZE_MAX)
		return; /* the verdict is in: the input ends */
	size_t off = (size_t)(base - f->base), len = (size_t)npages << f->g->page_shift;
	if (written && f->check) {
		size_t bad = fz_bulk_replace(f->p + off, len, ph_page_size(f->g), 0, f->word);
		if (bad != len)
			f->bad = off + bad;
	} else {
		fz_bulk_fill(f->p + off, len, ph_page_size(f->g), f->word);
	}
}

bool fz_fill_allocation(const ph_geom *g, struct fz_shadow *s, uintptr_t base, void *p, uintptr_t npages, uint32_t id,
			bool check, bool requested, struct fz_verdict *v)
{
	struct fill f = {.g = g, .base = base, .p = p, .word = pattern_word(id, 0), .check = check, .bad = SIZE_MAX};
	fz_shadow_for_each_written_run(s, base, npages, fill_run, &f);
	fz_shadow_mark_written(s, base, npages);
	return f.bad == SIZE_MAX || zero_verdict(g, base, p, (size_t)npages << g->page_shift, f.bad, id, requested, v);
}

bool fz_check_pattern_then_fill(const ph_geom *g, uintptr_t base, void *p, size_t n, uint32_t id, uint32_t tag,
				uint32_t new_tag, struct fz_verdict *v)
{
	size_t bad = fz_bulk_replace(p, n, ph_page_size(g), pattern_word(id, tag), pattern_word(id, new_tag));
	return bad == n || pattern_verdict(g, base, p, n, bad, id, v);
}

FZ_HARNESS_CODE_END
