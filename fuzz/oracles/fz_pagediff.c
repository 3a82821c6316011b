/*
 * fz_pagediff.c - the page allocator against the reference model, one
 * operation at a time (see fz_pagediff.h for the encoding and the checks).
 *
 * Every operation is logged before it runs, so a throw from inside the
 * allocator can still print the list with the guilty operation last.  The
 * log holds what the real allocator did; a verdict message states both
 * sides of a disagreement.
 *
 * The real page allocator is created once and put back to its
 * just-initialised state for every input with ph_pagealloc_reset, the
 * allocator's own reset (it knows every field; a reset written here would
 * go stale silently when one is added, and state leaking from one input to
 * the next would make crashes irreproducible).  Destroy + init per input
 * was measured at about 65-100 us, a third to a half of an input's time.
 *
 * Periodic checks compare only the chunks an operation touched since the
 * previous check (rendering the model's bitmaps is the expensive part);
 * the checks at the end of the input compare every grown chunk.
 *
 * Coverage instrumentation is kept to the decoder and the operations (the
 * do_* functions and run_ops), whose branches are worth steering by; the
 * logging, the checks and the model are harness code (FZ_HARNESS_CODE_*).
 */
#include "fz_pagediff.h"
#include "fz_trace.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "fz_reader.h"
#include "fz_refmodel.h"
#include "fz_sanitizer.h"
#include "ph_pagealloc.h"
#include "ph_pagecache.h"

enum op_kind {
	OP_GROW,
	OP_ALLOC,
	OP_FREE,
	OP_REFILL,
	OP_CACHE_ALLOC,
	OP_FLUSH,
};

/* Selector byte % 16 -> operation; small allocations and frees dominate
 * because they are what moves searchAddr and fragments the summaries. */
static const enum op_kind op_table[16] = {
	OP_GROW, OP_GROW,
	OP_ALLOC, OP_ALLOC, OP_ALLOC, OP_ALLOC, OP_ALLOC,
	OP_FREE, OP_FREE, OP_FREE,
	OP_REFILL, OP_REFILL,
	OP_CACHE_ALLOC, OP_CACHE_ALLOC,
	OP_FLUSH, OP_FLUSH,
};

/* Upper bounds of the allocation size classes (skewed towards small). */
static const unsigned alloc_class_max[4] = {16, 64, 512, 2100};

struct logged_op {
	enum op_kind kind;
	unsigned cache;      /* cache ops: which cache */
	bool skipped;        /* nothing to do: no room to grow, nothing live */
	bool drain;          /* part of the final clean-up */
	bool contiguous;     /* grow: placed after the highest growth */
	uintptr_t npages;    /* pages requested, freed or grown */
	uintptr_t base;      /* grow/free: the range; alloc/refill: the result */
	uintptr_t scav;      /* scavenged pages the allocator reported */
	uint64_t bits, scav_bits; /* refill and flush: the cache's bitmaps */
};

/* Chunks of the arena slots the dirty set can track; the fuzz geometry
 * has 64. */
#define FZ_PAGEDIFF_MAX_SLOT_CHUNKS 1024

struct live_alloc {
	uintptr_t base, npages;
};

/* Enough for every decoded operation to log an extra flush (refill of a
 * full cache), plus the drain: a flush per cache, a free per allocation. */
#define LOG_CAP (2 * FZ_PAGEDIFF_MAX_OPS + FZ_PAGEDIFF_CACHES + FZ_PAGEDIFF_MAX_OPS + 8)

struct fz_pagediff {
	const ph_geom *g;
	ph_pagealloc pa;
	ph_pagecache cache[FZ_PAGEDIFF_CACHES];
	struct fz_refmodel model;
	struct fz_refcache model_cache[FZ_PAGEDIFF_CACHES];
	struct live_alloc live[FZ_PAGEDIFF_MAX_OPS];
	unsigned nlive;
	unsigned slot_chunks;  /* chunks in all arena slots */
	/* Chunks whose bitmaps an operation changed since the last check:
	 * periodic checks compare only these, the final checks all. */
	bool dirty[FZ_PAGEDIFF_MAX_SLOT_CHUNKS];
	struct logged_op log[LOG_CAP];
	unsigned nlog;
};

FZ_HARNESS_CODE_BEGIN

/* ---- addresses in messages ---------------------------------------------- */

/* "A<slot>:<page>" relative to heap_vbase, "none" for 0. */
static const char *where(const struct fz_pagediff *d, uintptr_t addr, char *buf, size_t n)
{
	const ph_geom *g = d->g;
	if (addr == 0) {
		snprintf(buf, n, "none");
	} else if (addr < g->heap_vbase) {
		snprintf(buf, n, "%#lx(below the heap)", (unsigned long)addr);
	} else {
		fz_where(g, addr, buf, n);
	}
	return buf;
}

#define WHERE(d, addr) where((d), (addr), (char[48]){0}, 48)

static void describe_op(const struct fz_pagediff *d, const struct logged_op *op, char *buf, size_t n)
{
	const char *drain = op->drain ? " (drain)" : "";
	switch (op->kind) {
	case OP_GROW:
		if (op->skipped)
			snprintf(buf, n, "grow %lu chunks %s: skipped, no ungrown chunk there",
				 (unsigned long)(op->npages / PH_CHUNK_PAGES),
				 op->contiguous ? "after the highest growth" : WHERE(d, op->base));
		else
			snprintf(buf, n, "grow %s +%lu chunks (%lu pages)%s", WHERE(d, op->base),
				 (unsigned long)(op->npages / PH_CHUNK_PAGES), (unsigned long)op->npages,
				 op->contiguous ? ", after the highest growth" : "");
		break;
	case OP_ALLOC:
		snprintf(buf, n, "alloc %lu -> %s, %lu scavenged", (unsigned long)op->npages,
			 WHERE(d, op->base), (unsigned long)op->scav);
		break;
	case OP_FREE:
		if (op->skipped)
			snprintf(buf, n, "free: skipped, nothing live");
		else
			snprintf(buf, n, "free %s %lu pages%s", WHERE(d, op->base), (unsigned long)op->npages, drain);
		break;
	case OP_REFILL:
		snprintf(buf, n, "refill cache %u -> %s cache=%#llx scav=%#llx", op->cache, WHERE(d, op->base),
			 (unsigned long long)op->bits, (unsigned long long)op->scav_bits);
		break;
	case OP_CACHE_ALLOC:
		snprintf(buf, n, "cache %u alloc %lu -> %s, %lu scavenged", op->cache, (unsigned long)op->npages,
			 WHERE(d, op->base), (unsigned long)op->scav);
		break;
	case OP_FLUSH:
		if (op->bits == 0)
			snprintf(buf, n, "flush cache %u (empty: nothing to do)%s", op->cache, drain);
		else
			snprintf(buf, n, "flush cache %u (block %s cache=%#llx scav=%#llx)%s", op->cache,
			 WHERE(d, op->base), (unsigned long long)op->bits, (unsigned long long)op->scav_bits, drain);
		break;
	}
}

void fz_pagediff_print_ops(const struct fz_pagediff *d, FILE *f)
{
	char line[200];
	fprintf(f, "PAGEALLOC: %u operations (geometry %s, page %lu bytes, chunk %u pages, arena %lu pages):\n",
		d->nlog, d->g->name, (unsigned long)ph_page_size(d->g), PH_CHUNK_PAGES,
		(unsigned long)ph_arena_pages(d->g));
	for (unsigned i = 0; i < d->nlog; i++) {
		describe_op(d, &d->log[i], line, sizeof line);
		fprintf(f, "  #%-3u %s\n", i, line);
	}
}

void fz_pagediff_current_op(const struct fz_pagediff *d, char *buf, size_t n)
{
	char op[200];
	if (d->nlog == 0) {
		snprintf(buf, n, "before any operation");
		return;
	}
	describe_op(d, &d->log[d->nlog - 1], op, sizeof op);
	snprintf(buf, n, "op #%u (%s)", d->nlog - 1, op);
}

/* Logs an operation before it runs; returns its entry. */
static struct logged_op *log_op(struct fz_pagediff *d, enum op_kind kind)
{
	/* LOG_CAP bounds every run; running out would be a bug here. */
	if (d->nlog >= LOG_CAP)
		abort();
	struct logged_op *op = &d->log[d->nlog++];
	*op = (struct logged_op){.kind = kind};
	return op;
}

/* Fails v with "<prefix>op #N (<operation>): <why>", N the last op. */
__attribute__((format(printf, 4, 0))) static bool fail_v(struct fz_pagediff *d, struct fz_verdict *v,
							 const char *prefix, const char *fmt, va_list ap)
{
	char why[300], op[200];
	vsnprintf(why, sizeof why, fmt, ap);
	if (d->nlog == 0)
		return fz_fail_verdict(v, "PAGEALLOC", "before any operation: %s", why);
	describe_op(d, &d->log[d->nlog - 1], op, sizeof op);
	return fz_fail_verdict(v, "PAGEALLOC", "%sop #%u (%s): %s", prefix, d->nlog - 1, op, why);
}

/* The last operation's own results are wrong. */
__attribute__((format(printf, 3, 4))) static bool fail_op(struct fz_pagediff *d, struct fz_verdict *v,
							  const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fail_v(d, v, "", fmt, ap);
	va_end(ap);
	return false;
}

/* A whole-heap check after the last operation failed: the culprit may be
 * any operation since the previous check. */
__attribute__((format(printf, 3, 4))) static bool fail_check(struct fz_pagediff *d, struct fz_verdict *v,
							     const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fail_v(d, v, "after ", fmt, ap);
	va_end(ap);
	return false;
}

/* ---- lifetime ----------------------------------------------------------- */

struct fz_pagediff *fz_pagediff_new(const ph_geom *g, char *err, size_t errlen)
{
	struct fz_pagediff *d = calloc(1, sizeof *d);
	if (d == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	d->g = g;
	d->slot_chunks = (unsigned)(((uintptr_t)g->max_arenas << g->arena_shift) >> ph_log_chunk_bytes(g));
	if (d->slot_chunks > FZ_PAGEDIFF_MAX_SLOT_CHUNKS) {
		snprintf(err, errlen, "geometry %s has %u chunks of arena slots, at most %u supported",
			 g->name, d->slot_chunks, FZ_PAGEDIFF_MAX_SLOT_CHUNKS);
		free(d);
		return NULL;
	}
	if (!fz_ref_init(&d->model, g)) {
		snprintf(err, errlen, "out of memory for the reference model");
		free(d);
		return NULL;
	}
	const char *why = ph_pagealloc_init(&d->pa, g);
	if (why != NULL) {
		snprintf(err, errlen, "ph_pagealloc_init: %s", why);
		fz_ref_destroy(&d->model);
		free(d);
		return NULL;
	}
	return d;
}

void fz_pagediff_delete(struct fz_pagediff *d)
{
	if (d == NULL)
		return;
	ph_pagealloc_destroy(&d->pa);
	fz_ref_destroy(&d->model);
	free(d);
}

static void reset(struct fz_pagediff *d)
{
	ph_pagealloc_reset(&d->pa);
	fz_ref_reset(&d->model);
	memset(d->cache, 0, sizeof d->cache);
	memset(d->model_cache, 0, sizeof d->model_cache);
	memset(d->dirty, 0, sizeof d->dirty);
	d->nlive = 0;
	d->nlog = 0;
}

/* ---- whole-heap comparison ---------------------------------------------- */

static uintptr_t chunk_addr(const struct fz_pagediff *d, unsigned slot_chunk)
{
	return d->g->heap_vbase + ((uintptr_t)slot_chunk << ph_log_chunk_bytes(d->g));
}

/* Marks the chunks of [base, base+npages pages) for the next check. */
static void touch(struct fz_pagediff *d, uintptr_t base, uintptr_t npages)
{
	const ph_geom *g = d->g;
	if (base < g->heap_vbase || npages == 0)
		return;
	uintptr_t first = (base - g->heap_vbase) >> ph_log_chunk_bytes(g);
	uintptr_t last = (base + (npages << g->page_shift) - 1 - g->heap_vbase) >> ph_log_chunk_bytes(g);
	for (uintptr_t c = first; c <= last && c < d->slot_chunks; c++)
		d->dirty[c] = true;
}

/* ph_pagealloc_verify, the grown chunks against inUse, and the bitmaps of
 * every grown chunk (all = true) or of the dirty ones, against the model. */
static bool check_heap(struct fz_pagediff *d, bool all, struct fz_verdict *v)
{
	const ph_geom *g = d->g;
	char buf[300];
	const char *bad = ph_pagealloc_verify(&d->pa, buf, sizeof buf);
	if (bad != NULL)
		return fail_check(d, v, "ph_pagealloc_verify: %s", bad);

	for (unsigned sc = 0; sc < d->slot_chunks; sc++) {
		uintptr_t base = chunk_addr(d, sc);
		bool model_grown = fz_ref_flags(&d->model, base) & FZ_REF_GROWN;
		bool real_grown = ph_ranges_contains(&d->pa.in_use, base);
		if (model_grown != real_grown)
			return fail_check(d, v, "chunk at %s is %s in the allocator's inUse set but %s in the model",
				       WHERE(d, base), real_grown ? "present" : "absent",
				       model_grown ? "grown" : "not grown");
		bool compare = model_grown && (all || d->dirty[sc]);
		d->dirty[sc] = false;
		if (!compare)
			continue;
		const ph_palloc_data *chunk = ph_pagealloc_chunk(&d->pa, ph_chunk_index(g, base));
		uint64_t want_used[PH_CHUNK_PAGES / 64], want_scav[PH_CHUNK_PAGES / 64];
		fz_ref_chunk_bits(&d->model, base, want_used, want_scav);
		for (unsigned k = 0; k < PH_CHUNK_PAGES / 64; k++) {
			uint64_t used_diff = chunk->alloc.w[k] ^ want_used[k];
			uint64_t scav_diff = chunk->scav.w[k] ^ want_scav[k];
			if (used_diff == 0 && scav_diff == 0)
				continue;
			/* Name the lowest page that differs, allocation first. */
			unsigned i = (unsigned)__builtin_ctzll(used_diff != 0 ? used_diff : scav_diff);
			uintptr_t addr = base + ((uintptr_t)(64 * k + i) << g->page_shift);
			if (used_diff != 0) {
				bool used = chunk->alloc.w[k] >> i & 1;
				return fail_check(d, v, "page %s is %s in the allocation bitmap but %s in the model",
					       WHERE(d, addr), used ? "in use" : "free", used ? "free" : "in use");
			}
			bool scav = chunk->scav.w[k] >> i & 1;
			return fail_check(d, v, "page %s is %s in the scavenged bitmap but %s in the model",
				       WHERE(d, addr), scav ? "scavenged" : "not scavenged",
				       scav ? "not scavenged" : "scavenged");
		}
	}
	return true;
}

/* Chunk index (within the slots) just after the highest grown chunk. */
static unsigned after_highest_growth(const struct fz_pagediff *d)
{
	unsigned next = 0;
	for (unsigned sc = 0; sc < d->slot_chunks; sc++)
		if (fz_ref_flags(&d->model, chunk_addr(d, sc)) & FZ_REF_GROWN)
			next = sc + 1;
	return next;
}

FZ_HARNESS_CODE_END

/* ---- operations --------------------------------------------------------- */

static bool do_grow(struct fz_pagediff *d, fz_reader *r, struct fz_verdict *v)
{
	const ph_geom *g = d->g;
	uint8_t b = fz_u8(r);
	unsigned want = 1 + (b >> 1) % 16;
	bool contiguous = b & 1;
	unsigned first = contiguous ? after_highest_growth(d) : fz_range(r, 0, d->slot_chunks - 1);

	struct logged_op *op = log_op(d, OP_GROW);
	op->contiguous = contiguous;
	op->base = first < d->slot_chunks ? chunk_addr(d, first) : 0;
	op->npages = (uintptr_t)want * PH_CHUNK_PAGES;

	/* Never overlap earlier growth, never leave the slots: keep the run
	 * of ungrown chunks starting at first. */
	unsigned n = 0;
	while (n < want && first + n < d->slot_chunks &&
	       !(fz_ref_flags(&d->model, chunk_addr(d, first + n)) & FZ_REF_GROWN))
		n++;
	if (n == 0) {
		op->skipped = true;
		return true;
	}
	op->npages = (uintptr_t)n * PH_CHUNK_PAGES;
	uintptr_t size = (uintptr_t)n << ph_log_chunk_bytes(g);
	ph_pagealloc_grow(&d->pa, op->base, size);
	touch(d, op->base, op->npages);
	if (!fz_ref_grow(&d->model, op->base, size))
		return fail_op(d, v, "the reference model refused the growth (harness bug)");
	return true;
}

static bool do_alloc(struct fz_pagediff *d, fz_reader *r, struct fz_verdict *v)
{
	unsigned cls = fz_u8(r) % 4;
	uintptr_t npages = fz_range(r, 1, alloc_class_max[cls]);

	struct logged_op *op = log_op(d, OP_ALLOC);
	op->npages = npages;
	uintptr_t scav_bytes;
	uintptr_t base = ph_pagealloc_alloc(&d->pa, npages, &scav_bytes);
	op->base = base;
	op->scav = scav_bytes >> d->g->page_shift;
	touch(d, base, npages);

	uintptr_t want_scav;
	uintptr_t want = fz_ref_alloc(&d->model, npages, &want_scav);
	if (base != want || scav_bytes != want_scav << d->g->page_shift)
		return fail_op(d, v, "allocator returned %s with %lu scavenged bytes, model expects %s with %lu (%lu pages)",
			       WHERE(d, base), (unsigned long)scav_bytes, WHERE(d, want),
			       (unsigned long)(want_scav << d->g->page_shift), (unsigned long)want_scav);
	if (base != 0)
		d->live[d->nlive++] = (struct live_alloc){base, npages};
	return true;
}

/* Frees live allocation i (both sides) and forgets it. */
static bool free_live(struct fz_pagediff *d, unsigned i, bool drain, struct fz_verdict *v)
{
	struct live_alloc a = d->live[i];
	struct logged_op *op = log_op(d, OP_FREE);
	op->drain = drain;
	op->base = a.base;
	op->npages = a.npages;
	ph_pagealloc_free(&d->pa, a.base, a.npages);
	touch(d, a.base, a.npages);
	if (!fz_ref_free(&d->model, a.base, a.npages))
		return fail_op(d, v, "the reference model says these pages are not in use (harness bug)");
	d->live[i] = d->live[--d->nlive];
	return true;
}

static bool do_free(struct fz_pagediff *d, fz_reader *r, struct fz_verdict *v)
{
	uint8_t sel = fz_u8(r);
	if (d->nlive == 0) {
		log_op(d, OP_FREE)->skipped = true;
		return true;
	}
	return free_live(d, sel % d->nlive, false, v);
}

/* Both sides' cache k must hold the same block and bits. */
static bool same_cache(struct fz_pagediff *d, unsigned k, struct fz_verdict *v)
{
	const ph_pagecache *c = &d->cache[k];
	const struct fz_refcache *m = &d->model_cache[k];
	/* An emptied cache keeps its stale base in Go; only a non-empty
	 * cache's base means anything. */
	bool base_matters = c->cache != 0 || m->cache != 0;
	if ((base_matters && c->base != m->base) || c->cache != m->cache || c->scav != m->scav)
		return fail_op(d, v, "cache %u is %s cache=%#llx scav=%#llx, model expects %s cache=%#llx scav=%#llx",
			       k, WHERE(d, c->base), (unsigned long long)c->cache, (unsigned long long)c->scav,
			       WHERE(d, m->base), (unsigned long long)m->cache, (unsigned long long)m->scav);
	return true;
}

static bool flush_cache(struct fz_pagediff *d, unsigned k, bool drain, struct fz_verdict *v)
{
	struct logged_op *op = log_op(d, OP_FLUSH);
	op->cache = k;
	op->drain = drain;
	op->base = d->cache[k].cache != 0 ? d->cache[k].base : 0;
	op->bits = d->cache[k].cache;
	op->scav_bits = d->cache[k].scav;
	ph_pagecache_flush(&d->cache[k], &d->pa);
	touch(d, op->base, PH_CACHE_PAGES);
	fz_ref_cache_flush(&d->model, &d->model_cache[k]);
	return same_cache(d, k, v);
}

static bool do_refill(struct fz_pagediff *d, fz_reader *r, struct fz_verdict *v)
{
	unsigned k = fz_u8(r) % FZ_PAGEDIFF_CACHES;
	/* Go only refills an empty cache; refilling a full one would leak it. */
	if (!ph_pagecache_empty(&d->cache[k]) && !flush_cache(d, k, false, v))
		return false;
	struct logged_op *op = log_op(d, OP_REFILL);
	op->cache = k;
	d->cache[k] = ph_pagealloc_alloc_to_cache(&d->pa);
	op->base = d->cache[k].base;
	op->bits = d->cache[k].cache;
	op->scav_bits = d->cache[k].scav;
	touch(d, op->base, PH_CACHE_PAGES);
	d->model_cache[k] = fz_ref_alloc_to_cache(&d->model);
	/* Here the base matters even for an empty cache: both must say
	 * "nothing" with base 0. */
	if (d->cache[k].base != d->model_cache[k].base)
		return fail_op(d, v, "allocator's cache block is %s, model expects %s",
			       WHERE(d, d->cache[k].base), WHERE(d, d->model_cache[k].base));
	return same_cache(d, k, v);
}

static bool do_cache_alloc(struct fz_pagediff *d, fz_reader *r, struct fz_verdict *v)
{
	uint8_t b = fz_u8(r);
	unsigned k = b & 3;
	uintptr_t npages = 1 + (b >> 2) % 15; /* below PH_SMALL_PAGES, like Go */

	struct logged_op *op = log_op(d, OP_CACHE_ALLOC);
	op->cache = k;
	op->npages = npages;
	uintptr_t scav_bytes;
	uintptr_t base = ph_pagecache_alloc(&d->cache[k], d->g, npages, &scav_bytes);
	op->base = base;
	op->scav = scav_bytes >> d->g->page_shift;

	uintptr_t want_scav;
	uintptr_t want = fz_ref_cache_alloc(&d->model_cache[k], d->g, npages, &want_scav);
	if (base != want || scav_bytes != want_scav << d->g->page_shift)
		return fail_op(d, v, "cache returned %s with %lu scavenged bytes, model expects %s with %lu (%lu pages)",
			       WHERE(d, base), (unsigned long)scav_bytes, WHERE(d, want),
			       (unsigned long)(want_scav << d->g->page_shift), (unsigned long)want_scav);
	if (base != 0)
		d->live[d->nlive++] = (struct live_alloc){base, npages};
	return same_cache(d, k, v);
}

static bool do_flush(struct fz_pagediff *d, fz_reader *r, struct fz_verdict *v)
{
	return flush_cache(d, fz_u8(r) % FZ_PAGEDIFF_CACHES, false, v);
}

/* ---- the run ------------------------------------------------------------ */

static bool run_ops(struct fz_pagediff *d, fz_reader *r, struct fz_verdict *v)
{
	for (unsigned n = 0; n < FZ_PAGEDIFF_MAX_OPS && !fz_exhausted(r); n++) {
		bool ok = true;
		switch (op_table[fz_u8(r) % 16]) {
		case OP_GROW: ok = do_grow(d, r, v); break;
		case OP_ALLOC: ok = do_alloc(d, r, v); break;
		case OP_FREE: ok = do_free(d, r, v); break;
		case OP_REFILL: ok = do_refill(d, r, v); break;
		case OP_CACHE_ALLOC: ok = do_cache_alloc(d, r, v); break;
		case OP_FLUSH: ok = do_flush(d, r, v); break;
		}
		if (!ok)
			return false;
		if ((n + 1) % FZ_PAGEDIFF_CHECK_EVERY == 0 && !check_heap(d, false, v))
			return false;
	}
	if (!check_heap(d, true, v))
		return false;

	/* Drain: everything goes back, and the heap must agree again. */
	for (unsigned k = 0; k < FZ_PAGEDIFF_CACHES; k++)
		if (!ph_pagecache_empty(&d->cache[k]) || d->model_cache[k].cache != 0)
			if (!flush_cache(d, k, true, v))
				return false;
	while (d->nlive > 0)
		if (!free_live(d, d->nlive - 1, true, v))
			return false;
	return check_heap(d, true, v);
}

bool fz_pagediff_run(struct fz_pagediff *d, const uint8_t *data, size_t size, struct fz_verdict *v)
{
	reset(d);
	fz_reader r = fz_reader_make(data, size);
	return run_ops(d, &r, v);
}
