/*
 * test_govectors.c - runs Go's own page-heap test tables against the port.
 *
 * The tables of go1.15's mpagealloc_test.go, mpagecache_test.go and
 * mpallocbits_test.go were exported as plain data into
 * go1.15-pagealloc-vectors.json (see its "notation" field).  The build
 * compiles that file into constant C data (tests/json2c.py, json.h; the
 * Makefile's VECTORS names the file) and this driver replays every case
 * through the C API, one verdict line per case, named like Go's subtests
 * ("TestPageAllocAlloc/AllFree1").  Where Go states a property instead of a
 * table (random summaries, random cache flushes) the property is checked on
 * inputs from a fixed-seed generator, and two randomised comparisons of our
 * own (in-chunk first fit, summary merging) pit the fast word-at-a-time code
 * against bit-by-bit references.
 *
 * Failing loudly is the point: a missing file, a file that is not JSON, a
 * missing or empty section, a section this driver does not know, or a
 * malformed field each produce a FAIL line, so a vector file that drifts
 * cannot turn into a silent pass (tests/scripts/govectors_loud.sh builds
 * the driver against broken files to prove it).  Problems in the data are
 * reported at their line and column in the JSON file.
 *
 * Geometry.  Go's layout (ph_geom_go: 8 KiB pages, 48-bit addresses).  Go's
 * tests place chunk 0 at address 0x3000000000; with our arenaBaseOffset of 0
 * that is chunk index 0xc000, so relative chunk c of the file is chunk
 * 0xc000 + c here.
 *
 * Allocators.  Each case builds fresh page allocators the way Go's
 * NewPageAlloc does (export_test.go): grow each listed chunk, replace the
 * scavenged bitmap grow produced by the case's scav ranges, mark the
 * allocated ranges (which clears their scavenged bits), then recompute the
 * chunk's summaries.  Go grows the chunks in map order, which is random; we
 * shuffle them with a seed derived from the case name, so every run is
 * reproducible yet the order is not always ascending.  'after' is checked
 * by building a second allocator from (after, scav) and comparing bounds and
 * both bitmaps chunk by chunk, as Go's checkPageAlloc does; in addition every
 * allocator must pass ph_pagealloc_verify, which also checks the summaries
 * Go's tests never look at.
 *
 * Throws.  A throw inside the allocator (say "bad summary data") longjmps
 * back to the case that caused it, which fails, and the run goes on.  Every
 * allocator and buffer a case uses is registered with the case and released
 * when it ends, whichever way it ends.  A crash cannot be recovered from,
 * but it still gets a FAIL line naming the case before the previous handler
 * (the default, or a sanitizer's) takes over.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json.h"
#include "ph_geom.h"
#include "ph_pagealloc.h"
#include "ph_pagecache.h"
#include "ph_pallocbits.h"
#include "ph_test.h"
#include "ph_throw.h"

static const ph_geom *const geom = &ph_geom_go;

/* Chunk index of Go's BaseChunkIdx in our address space (see above). */
#define BASE_CHUNK_IDX ((uintptr_t)0xc000)

/* The vector file, compiled in by the build (tests/json2c.py). */
extern const json_doc ph_govectors;

/* ---- deterministic randomness ------------------------------------------- */

/* splitmix64: tiny, fast and well mixed; all we need is reproducibility. */
static uint64_t rng_next(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Uniform in [0, n) without modulo bias worth worrying about (n is small). */
static unsigned rng_below(uint64_t *state, unsigned n)
{
	return (unsigned)(((unsigned __int128)rng_next(state) * n) >> 64);
}

static uint64_t hash_name(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */
	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
	return h;
}

/* ---- per-case resources and throw recovery ------------------------------ */

#define MAX_CASE_BLOCKS 64
#define MAX_CASE_ALLOCATORS 4

static void *case_blocks[MAX_CASE_BLOCKS];
static size_t n_case_blocks;
static ph_pagealloc *case_allocators[MAX_CASE_ALLOCATORS];
static size_t n_case_allocators;
static uint64_t case_rng; /* reseeded from the case name */

static jmp_buf throw_jmp;
static volatile bool throw_armed;
static char throw_text[1024];

static void on_throw(const ph_throw_info *info)
{
	ph_throw_format(info, throw_text, sizeof throw_text);
	if (throw_armed) {
		throw_armed = false;
		longjmp(throw_jmp, 1);
	}
	/* Outside a case: returning makes ph_throw print and abort. */
}

/* Zeroed memory that lives until the current case ends. */
static void *case_calloc(size_t n, size_t size)
{
	if (n_case_blocks == MAX_CASE_BLOCKS) {
		CHECK_MSG(false, "test driver: more than %d buffers in one case", MAX_CASE_BLOCKS);
		return NULL;
	}
	void *p = calloc(n ? n : 1, size);
	CHECK_MSG(p != NULL, "test driver: out of memory");
	if (p != NULL)
		case_blocks[n_case_blocks++] = p;
	return p;
}

/* A fresh page allocator that is destroyed when the current case ends: each
 * one reserves hundreds of MiB of address space. */
static ph_pagealloc *case_pagealloc(void)
{
	if (n_case_allocators == MAX_CASE_ALLOCATORS) {
		CHECK_MSG(false, "test driver: more than %d allocators in one case", MAX_CASE_ALLOCATORS);
		return NULL;
	}
	ph_pagealloc *pa = calloc(1, sizeof *pa);
	if (pa == NULL) {
		CHECK_MSG(false, "test driver: out of memory");
		return NULL;
	}
	const char *why = ph_pagealloc_init(pa, geom);
	if (why != NULL) {
		CHECK_MSG(false, "ph_pagealloc_init: %s", why);
		free(pa);
		return NULL;
	}
	case_allocators[n_case_allocators++] = pa;
	return pa;
}

static void release_case_resources(void)
{
	while (n_case_allocators > 0) {
		ph_pagealloc *pa = case_allocators[--n_case_allocators];
		ph_pagealloc_destroy(pa);
		free(pa);
	}
	while (n_case_blocks > 0)
		free(case_blocks[--n_case_blocks]);
}

struct guarded_case {
	void (*fn)(const void *);
	const void *arg;
};

static void run_guarded(const void *p)
{
	const struct guarded_case *gc = p;
	if (setjmp(throw_jmp) == 0) {
		throw_armed = true;
		gc->fn(gc->arg);
		throw_armed = false;
	} else {
		CHECK_MSG(false, "the allocator threw:\n%s", throw_text);
	}
	release_case_resources();
}

/* "FAIL <case> (fatal signal)\n", prepared before the case runs so the
 * signal handler only has to write(2) it. */
static char crash_line[300];
static size_t crash_line_len;
static struct sigaction previous_segv, previous_bus;

static void on_fatal_signal(int sig)
{
	if (crash_line_len > 0 && write(STDOUT_FILENO, crash_line, crash_line_len) < 0)
		crash_line_len = 0; /* nothing else can be done here */
	/* Returning re-executes the faulting access under the previous
	 * handler, which reports the crash as it would have without us. */
	sigaction(sig, sig == SIGSEGV ? &previous_segv : &previous_bus, NULL);
}

static void install_crash_reporter(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_fatal_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, &previous_segv);
	sigaction(SIGBUS, &sa, &previous_bus);
}

/* Runs one case as its own test, with its own verdict line. */
static void run_case(const char *name, void (*fn)(const void *), const void *arg)
{
	struct guarded_case gc = {fn, arg};
	case_rng = hash_name(name);
	int n = snprintf(crash_line, sizeof crash_line, "FAIL %s (fatal signal)\n", name);
	crash_line_len = n > 0 && (size_t)n < sizeof crash_line ? (size_t)n : 0;
	ph_test_run_arg(name, run_guarded, &gc);
	crash_line_len = 0;
}

static void fail_with_message(const void *msg)
{
	CHECK_MSG(false, "%s", (const char *)msg);
}

/* A FAIL line for a problem outside any one case, such as a missing section. */
static void report_failure(const char *name, const char *msg)
{
	run_case(name, fail_with_message, msg);
}

/* ---- reading vector data ------------------------------------------------ */

/* Reports malformed data at where's line in the vectors file. */
__attribute__((format(printf, 2, 3))) static void bad_data(const json_value *where, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	unsigned line = where != NULL ? where->line : 0, column = where != NULL ? where->column : 0;
	ph_test_fail(ph_govectors.path, (int)line, "column %u: bad vector data: %s", column, msg);
}

static const json_value *need_field(const json_value *obj, const char *key)
{
	const json_value *v = json_get(obj, key);
	if (v == NULL)
		bad_data(obj, "missing field \"%s\"", key);
	return v;
}

static bool read_uint(const json_value *v, const char *what, uint64_t max, uint64_t *out)
{
	if (v == NULL)
		return false; /* already reported */
	if (!json_as_u64(v, out)) {
		bad_data(v, "%s: expected an unsigned integer, got %s", what, json_type_name(v->type));
		return false;
	}
	if (*out > max) {
		bad_data(v, "%s = %llu is above %llu", what, (unsigned long long)*out, (unsigned long long)max);
		return false;
	}
	return true;
}

static bool field_uint(const json_value *obj, const char *key, uint64_t max, uint64_t *out)
{
	return read_uint(need_field(obj, key), key, max, out);
}

static bool field_unsigned(const json_value *obj, const char *key, unsigned max, unsigned *out)
{
	uint64_t x;
	if (!field_uint(obj, key, max, &x))
		return false;
	*out = (unsigned)x;
	return true;
}

static const json_value *need_type(const json_value *v, const char *what, json_type t)
{
	if (v == NULL)
		return NULL;
	if (v->type != t) {
		bad_data(v, "%s: expected %s, got %s", what, json_type_name(t), json_type_name(v->type));
		return NULL;
	}
	return v;
}

static const json_value *field_array(const json_value *obj, const char *key)
{
	return need_type(need_field(obj, key), key, JSON_ARRAY);
}

/* "0x" and 1 to 16 hex digits, nothing else. */
static bool read_hex64(const json_value *v, const char *what, uint64_t *out)
{
	if (need_type(v, what, JSON_STRING) == NULL)
		return false;
	const char *s = v->u.str.s;
	size_t n = v->u.str.len;
	if (n < 3 || n > 18 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X')) {
		bad_data(v, "%s: expected a hex string \"0x...\" of at most 64 bits, got \"%s\"", what, s);
		return false;
	}
	uint64_t x = 0;
	for (size_t i = 2; i < n; i++) {
		char c = s[i];
		unsigned d;
		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			d = (unsigned)(c - 'A' + 10);
		else {
			bad_data(v, "%s: bad hex digit in \"%s\"", what, s);
			return false;
		}
		x = x << 4 | d;
	}
	*out = x;
	return true;
}

static bool field_hex64(const json_value *obj, const char *key, uint64_t *out)
{
	return read_hex64(need_field(obj, key), key, out);
}

/* BitRange [start, count] within one chunk. */
static bool read_bit_range(const json_value *v, unsigned *start, unsigned *count)
{
	if (need_type(v, "bit range", JSON_ARRAY) == NULL)
		return false;
	uint64_t s, n;
	if (json_length(v) != 2) {
		bad_data(v, "bit range: expected [start, count]");
		return false;
	}
	if (!read_uint(json_at(v, 0), "bit range start", PH_CHUNK_PAGES, &s) ||
	    !read_uint(json_at(v, 1), "bit range count", PH_CHUNK_PAGES, &n))
		return false;
	if (s + n > PH_CHUNK_PAGES) {
		bad_data(v, "bit range [%llu, %llu] runs past the chunk's %u pages", (unsigned long long)s,
			 (unsigned long long)n, PH_CHUNK_PAGES);
		return false;
	}
	*start = (unsigned)s;
	*count = (unsigned)n;
	return true;
}

/* Sets (or clears) every range of a JSON list of BitRanges in b. */
static bool apply_bit_ranges(const json_value *list, const char *what, ph_page_bits *b, bool set)
{
	if (need_type(list, what, JSON_ARRAY) == NULL)
		return false;
	for (size_t i = 0; i < json_length(list); i++) {
		unsigned s, n;
		if (!read_bit_range(json_at(list, i), &s, &n))
			return false;
		if (set)
			ph_bits_set_range(b, s, n);
		else
			ph_bits_clear_range(b, s, n);
	}
	return true;
}

/* Largest relative chunk whose index still fits the address space. */
static uintptr_t max_rel_chunk(void)
{
	return ((uintptr_t)1 << (geom->addr_bits - ph_log_chunk_bytes(geom))) - 1 - BASE_CHUNK_IDX;
}

static uintptr_t page_base(uintptr_t rel_chunk, unsigned page)
{
	return ph_chunk_base(geom, BASE_CHUNK_IDX + rel_chunk) + ((uintptr_t)page << geom->page_shift);
}

/* {"chunk": c, "page": p}; null (allowed only if null_ok) reads as 0. */
static bool read_page_addr(const json_value *v, const char *what, bool null_ok, uintptr_t *addr)
{
	if (v == NULL)
		return false;
	if (json_is_null(v) && null_ok) {
		*addr = 0;
		return true;
	}
	if (need_type(v, what, JSON_OBJECT) == NULL)
		return false;
	uint64_t c, p;
	if (!field_uint(v, "chunk", max_rel_chunk(), &c) || !field_uint(v, "page", PH_CHUNK_PAGES - 1, &p))
		return false;
	*addr = page_base((uintptr_t)c, (unsigned)p);
	return true;
}

/* [chunk, page], the exhaust table's compact form. */
static bool read_chunk_page_pair(const json_value *v, uintptr_t *addr)
{
	if (need_type(v, "[chunk, page]", JSON_ARRAY) == NULL)
		return false;
	uint64_t c, p;
	if (json_length(v) != 2) {
		bad_data(v, "expected [chunk, page]");
		return false;
	}
	if (!read_uint(json_at(v, 0), "chunk", max_rel_chunk(), &c) ||
	    !read_uint(json_at(v, 1), "page", PH_CHUNK_PAGES - 1, &p))
		return false;
	*addr = page_base((uintptr_t)c, (unsigned)p);
	return true;
}

/* A chunk map key: the relative chunk index in canonical decimal. */
static bool read_chunk_key(const json_value *map, const json_member *m, uintptr_t *rel)
{
	const char *k = m->key;
	bool canonical = m->key_len > 0 && m->key_len <= 19 && strlen(k) == m->key_len &&
			 (k[0] != '0' || m->key_len == 1);
	uint64_t x = 0;
	for (size_t i = 0; canonical && i < m->key_len; i++) {
		if (k[i] < '0' || k[i] > '9')
			canonical = false;
		else
			x = x * 10 + (uint64_t)(k[i] - '0');
	}
	if (!canonical || x > max_rel_chunk()) {
		bad_data(map, "chunk map key \"%s\" is not a relative chunk index", k);
		return false;
	}
	*rel = (uintptr_t)x;
	return true;
}

/* ---- heap descriptions and building allocators ------------------------- */

/* The state of one chunk that exists, as NewPageAlloc would set it up. */
struct chunk_init {
	uintptr_t rel;      /* relative chunk index */
	ph_page_bits alloc; /* pages to mark allocated */
	ph_page_bits scav;  /* scavenged bits before the allocated pages are marked */
};

struct heap_desc {
	size_t n;
	struct chunk_init *chunks;
};

/*
 * Reads a chunk map plus an optional scav map (absent, null or an object).
 * Scav entries for chunks the chunk map does not list are ignored, as in Go.
 */
static bool read_heap_desc(const json_value *chunk_map, const json_value *scav_map, struct heap_desc *out)
{
	if (need_type(chunk_map, "chunk map", JSON_OBJECT) == NULL)
		return false;
	if (scav_map != NULL && !json_is_null(scav_map) && need_type(scav_map, "scav map", JSON_OBJECT) == NULL)
		return false;
	out->n = json_length(chunk_map);
	out->chunks = case_calloc(out->n, sizeof *out->chunks);
	if (out->chunks == NULL)
		return false;
	for (size_t i = 0; i < out->n; i++) {
		const json_member *m = &chunk_map->u.obj.members[i];
		struct chunk_init *c = &out->chunks[i];
		if (!read_chunk_key(chunk_map, m, &c->rel) ||
		    !apply_bit_ranges(m->value, "allocated ranges", &c->alloc, true))
			return false;
	}
	for (size_t i = 0; i < json_length(scav_map); i++) {
		const json_member *m = &scav_map->u.obj.members[i];
		uintptr_t rel;
		if (!read_chunk_key(scav_map, m, &rel))
			return false;
		for (size_t j = 0; j < out->n; j++)
			if (out->chunks[j].rel == rel && !apply_bit_ranges(m->value, "scavenged ranges",
									   &out->chunks[j].scav, true))
				return false;
	}
	return true;
}

/* The same, with the two maps taken from fields of a case object. */
static bool case_heap_desc(const json_value *c, const char *chunks_key, const char *scav_key,
			   struct heap_desc *out)
{
	const json_value *chunks = need_field(c, chunks_key);
	const json_value *scav = scav_key != NULL ? json_get(c, scav_key) : NULL;
	return chunks != NULL && read_heap_desc(chunks, scav, out);
}

/* Go's NewPageAlloc: see the comment at the top of the file. */
static ph_pagealloc *build_pagealloc(const struct heap_desc *d)
{
	ph_pagealloc *pa = case_pagealloc();
	size_t *order = case_calloc(d->n, sizeof *order);
	if (pa == NULL || order == NULL)
		return NULL;
	for (size_t i = 0; i < d->n; i++)
		order[i] = i;
	for (size_t i = d->n; i > 1; i--) {
		size_t j = rng_below(&case_rng, (unsigned)i);
		size_t t = order[i - 1];
		order[i - 1] = order[j];
		order[j] = t;
	}
	for (size_t k = 0; k < d->n; k++) {
		const struct chunk_init *c = &d->chunks[order[k]];
		uintptr_t ci = BASE_CHUNK_IDX + c->rel;
		uintptr_t base = ph_chunk_base(geom, ci);
		ph_pagealloc_grow(pa, base, ph_chunk_bytes(geom));
		ph_palloc_data *data = ph_pagealloc_chunk(pa, ci);
		/* Grow marked everything scavenged; the case says what is. */
		data->scav = c->scav;
		for (unsigned i = 0; i < PH_CHUNK_PAGES;) {
			if (!ph_bits_get(&c->alloc, i)) {
				i++;
				continue;
			}
			unsigned run = 1;
			while (i + run < PH_CHUNK_PAGES && ph_bits_get(&c->alloc, i + run))
				run++;
			ph_palloc_data_alloc_range(data, i, run);
			i += run;
		}
		ph_pagealloc_update(pa, base, PH_CHUNK_PAGES, false, false);
	}
	return pa;
}

/* "chunk+0x1ff page 3" rather than a raw address: the file's own terms. */
static const char *describe_addr(uintptr_t addr, char *buf, size_t n)
{
	if (addr == 0)
		snprintf(buf, n, "0 (failure)");
	else
		snprintf(buf, n, "%#lx (chunk %+ld page %u)", (unsigned long)addr,
			 (long)(ph_chunk_index(geom, addr) - BASE_CHUNK_IDX), ph_chunk_page_index(geom, addr));
	return buf;
}

static void check_verify(const ph_pagealloc *pa, const char *when)
{
	char buf[512];
	const char *why = ph_pagealloc_verify(pa, buf, sizeof buf);
	CHECK_MSG(why == NULL, "ph_pagealloc_verify %s: %s", when, why);
}

/* The common opening of an operation case: the list of operations under
 * list_key, the 'before' and 'after' maps (after's scavenged map under
 * after_scav_key, or none), and a page allocator built from 'before' that
 * passes its own consistency check.  NULL when any part is missing. */
static ph_pagealloc *open_op_case(const json_value *c, const char *list_key, const char *after_scav_key,
				  const json_value **list, struct heap_desc *before, struct heap_desc *after)
{
	*list = field_array(c, list_key);
	if (*list == NULL || !case_heap_desc(c, "before", "scav", before) ||
	    !case_heap_desc(c, "after", after_scav_key, after))
		return NULL;
	ph_pagealloc *pa = build_pagealloc(before);
	if (pa != NULL)
		check_verify(pa, "after setup");
	return pa;
}

/* Word-by-word comparison; what names the bitmap in failure messages. */
static bool same_bits(const char *what, const ph_page_bits *got, const ph_page_bits *want)
{
	bool same = true;
	for (unsigned k = 0; k < PH_CHUNK_PAGES / 64; k++) {
		if (got->w[k] != want->w[k]) {
			CHECK_MSG(false, "%s word %u (pages %u..%u): got %#018llx, want %#018llx", what, k, 64 * k,
				  64 * k + 63, (unsigned long long)got->w[k], (unsigned long long)want->w[k]);
			same = false;
		}
	}
	return same;
}

/* Go's checkPageAlloc: equal bounds, and equal bitmaps in every chunk. */
static void check_same_heap(const ph_pagealloc *got, const ph_pagealloc *want)
{
	CHECK_MSG(got->start == want->start, "start chunk: got %#lx, want %#lx", (unsigned long)got->start,
		  (unsigned long)want->start);
	CHECK_MSG(got->end == want->end, "end chunk: got %#lx, want %#lx", (unsigned long)got->end,
		  (unsigned long)want->end);
	unsigned bad_chunks = 0;
	for (uintptr_t ci = got->start; ci < got->end && bad_chunks < 8; ci++) {
		const ph_palloc_data *g = ph_pagealloc_chunk_or_null(got, ci);
		const ph_palloc_data *w = ph_pagealloc_chunk_or_null(want, ci);
		if (g == NULL && w == NULL)
			continue;
		if (g == NULL || w == NULL) {
			CHECK_MSG(false, "chunk %+ld exists in only one of got (%s) and want (%s)",
				  (long)(ci - BASE_CHUNK_IDX), g ? "yes" : "no", w ? "yes" : "no");
			bad_chunks++;
			continue;
		}
		char what[64];
		snprintf(what, sizeof what, "chunk %+ld alloc", (long)(ci - BASE_CHUNK_IDX));
		bool ok = same_bits(what, &g->alloc, &w->alloc);
		snprintf(what, sizeof what, "chunk %+ld scav", (long)(ci - BASE_CHUNK_IDX));
		ok = same_bits(what, &g->scav, &w->scav) && ok;
		if (!ok)
			bad_chunks++;
	}
}

/* ---- sections: helpers -------------------------------------------------- */

/* The section's case list; a FAIL line and NULL when it is missing or empty. */
static const json_value *section_cases(const json_value *section, const char *key, const char *go_name)
{
	char name[256];
	const json_value *cases = json_get(section, key);
	if (cases == NULL || cases->type != JSON_ARRAY) {
		snprintf(name, sizeof name, "%s/(no-cases)", go_name);
		report_failure(name, cases == NULL ? "the section has no case list"
						   : "the section's case list is not an array");
		return NULL;
	}
	if (json_length(cases) == 0) {
		snprintf(name, sizeof name, "%s/(no-cases)", go_name);
		report_failure(name, "the section's case list is empty");
		return NULL;
	}
	return cases;
}

/* "Go/Name", or "Go/caseN" for a case without a string name. */
static void case_name(char *buf, size_t n, const char *go_name, const json_value *c, size_t index)
{
	const char *s = json_as_string(json_get(c, "name"));
	if (s != NULL)
		snprintf(buf, n, "%s/%s", go_name, s);
	else
		snprintf(buf, n, "%s/case%zu", go_name, index);
}

/* Runs fn on every case of section[key]. */
static void drive_cases(const json_value *section, const char *key, const char *go_name,
			void (*fn)(const void *))
{
	const json_value *cases = section_cases(section, key, go_name);
	for (size_t i = 0; i < json_length(cases); i++) {
		char name[256];
		case_name(name, sizeof name, go_name, json_at(cases, i), i);
		run_case(name, fn, json_at(cases, i));
	}
}

/* ---- pageAlloc sections -------------------------------------------------- */

static void case_page_alloc_grow(const void *arg)
{
	const json_value *c = arg;
	const json_value *chunks = field_array(c, "chunks"), *in_use = field_array(c, "inUse");
	if (chunks == NULL || in_use == NULL)
		return;
	struct heap_desc d = {json_length(chunks), case_calloc(json_length(chunks), sizeof(struct chunk_init))};
	if (d.chunks == NULL)
		return;
	for (size_t i = 0; i < d.n; i++) {
		uint64_t rel;
		if (!read_uint(json_at(chunks, i), "chunk", max_rel_chunk(), &rel))
			return;
		d.chunks[i].rel = (uintptr_t)rel;
	}
	ph_pagealloc *pa = build_pagealloc(&d);
	if (pa == NULL)
		return;

	CHECK_MSG(pa->in_use.n == json_length(in_use), "inUse has %zu ranges, want %zu", pa->in_use.n,
		  json_length(in_use));
	for (size_t i = 0; i < json_length(in_use) && i < pa->in_use.n; i++) {
		const json_value *r = json_at(in_use, i);
		uint64_t s, l;
		if (need_type(r, "inUse range", JSON_ARRAY) == NULL || json_length(r) != 2 ||
		    !read_uint(json_at(r, 0), "inUse start", max_rel_chunk(), &s) ||
		    !read_uint(json_at(r, 1), "inUse limit", max_rel_chunk() + 1, &l)) {
			if (r != NULL && r->type == JSON_ARRAY && json_length(r) != 2)
				bad_data(r, "expected [startChunk, limitChunk]");
			return;
		}
		uintptr_t want_base = page_base((uintptr_t)s, 0), want_limit = page_base((uintptr_t)l, 0);
		CHECK_MSG(pa->in_use.r[i].base == want_base && pa->in_use.r[i].limit == want_limit,
			  "inUse[%zu]: got [%#lx, %#lx), want [%#lx, %#lx)", i, (unsigned long)pa->in_use.r[i].base,
			  (unsigned long)pa->in_use.r[i].limit, (unsigned long)want_base, (unsigned long)want_limit);
	}
	check_verify(pa, "after growing");
}

static void case_page_alloc_alloc(const void *arg)
{
	const json_value *c = arg;
	struct heap_desc before, after;
	const json_value *hits;
	ph_pagealloc *pa = open_op_case(c, "hits", "scav", &hits, &before, &after);
	if (pa == NULL)
		return;

	for (size_t i = 0; i < json_length(hits); i++) {
		const json_value *h = json_at(hits, i);
		uint64_t npages, scav_pages;
		uintptr_t want;
		if (!field_uint(h, "npages", 1u << 20, &npages) || !read_page_addr(need_field(h, "base"), "base", true, &want) ||
		    !field_uint(h, "scavPages", npages, &scav_pages))
			return;
		uintptr_t scav;
		uintptr_t got = ph_pagealloc_alloc(pa, (uintptr_t)npages, &scav);
		char gb[96], wb[96];
		CHECK_MSG(got == want, "hit #%zu Alloc(%llu): base %s, want %s", i, (unsigned long long)npages,
			  describe_addr(got, gb, sizeof gb), describe_addr(want, wb, sizeof wb));
		CHECK_MSG(scav == (uintptr_t)scav_pages << geom->page_shift,
			  "hit #%zu Alloc(%llu): scavenged %lu bytes, want %llu pages = %llu bytes", i,
			  (unsigned long long)npages, (unsigned long)scav, (unsigned long long)scav_pages,
			  (unsigned long long)(scav_pages << geom->page_shift));
		if (got != want || scav != (uintptr_t)scav_pages << geom->page_shift)
			return; /* like Go's t.Fatalf: later hits would only cascade */
	}
	ph_pagealloc *want = build_pagealloc(&after);
	if (want == NULL)
		return;
	check_same_heap(pa, want);
	check_verify(pa, "at the end");
}

/* Checks an exhaust case against the section's prose rule, so a drift
 * between the two in the file is noticed. */
static void check_exhaust_rule(const json_value *c, uint64_t npages, uint64_t n_alloc, const json_value *bases)
{
	const uint64_t total = 4 * PH_CHUNK_PAGES;
	CHECK_MSG(n_alloc == total / npages, "nAlloc = %llu, but the rule gives %llu", (unsigned long long)n_alloc,
		  (unsigned long long)(total / npages));
	CHECK_MSG(json_length(bases) == n_alloc, "hitBases has %zu entries, nAlloc = %llu", json_length(bases),
		  (unsigned long long)n_alloc);
	for (size_t i = 0; i < json_length(bases); i++) {
		uintptr_t got;
		if (!read_chunk_page_pair(json_at(bases, i), &got))
			return;
		uint64_t page = i * npages;
		uintptr_t want = page_base(page / PH_CHUNK_PAGES, (unsigned)(page % PH_CHUNK_PAGES));
		if (got != want) {
			bad_data(json_at(bases, i), "hitBases[%zu] disagrees with the rule", i);
			return;
		}
	}
	/* The final state the rule describes: chunks 0..3 filled in order. */
	const json_value *after = need_field(c, "after");
	if (after == NULL)
		return;
	if (json_length(after) != 4)
		bad_data(after, "'after' should list exactly chunks 0..3");
	uint64_t left = n_alloc * npages;
	for (unsigned k = 0; k < 4; k++) {
		char key[4];
		snprintf(key, sizeof key, "%u", k);
		unsigned want = left >= PH_CHUNK_PAGES ? PH_CHUNK_PAGES : (unsigned)left;
		left -= want;
		const json_value *ranges = json_get(after, key);
		unsigned s = 0, n = 0;
		bool ok = ranges != NULL && ranges->type == JSON_ARRAY;
		if (ok && want == 0)
			ok = json_length(ranges) == 0;
		else if (ok)
			ok = json_length(ranges) == 1 && read_bit_range(json_at(ranges, 0), &s, &n) && s == 0 && n == want;
		if (!ok)
			bad_data(after, "after[\"%u\"] disagrees with the rule, which gives %s%u]]", k,
				 want ? "[[0, " : "[] instead of [[0, ", want);
	}
}

struct exhaust_case {
	const json_value *setup, *c;
};

static void case_page_alloc_exhaust(const void *arg)
{
	const struct exhaust_case *ec = arg;
	const json_value *c = ec->c, *setup = ec->setup;
	struct heap_desc before, after;
	uint64_t npages, n_alloc;
	const json_value *bases = field_array(c, "hitBases"), *final = need_field(c, "finalAlloc");
	if (bases == NULL || final == NULL || !field_uint(c, "npages", 1u << 20, &npages) || npages == 0 ||
	    !field_uint(c, "nAlloc", 1u << 20, &n_alloc) || !case_heap_desc(setup, "before", "scav", &before) ||
	    !case_heap_desc(c, "after", NULL, &after))
		return;
	check_exhaust_rule(c, npages, n_alloc, bases);

	/* The setup's chunk list and its 'before' map must agree. */
	const json_value *chunks = field_array(setup, "chunks");
	CHECK_MSG(chunks != NULL && json_length(chunks) == before.n,
		  "setup: 'chunks' and 'before' list different numbers of chunks");
	for (size_t i = 0; chunks != NULL && i < json_length(chunks) && i < before.n; i++) {
		uint64_t rel;
		if (read_uint(json_at(chunks, i), "chunk", max_rel_chunk(), &rel) && rel != before.chunks[i].rel)
			bad_data(json_at(chunks, i), "setup: 'chunks' and 'before' disagree");
	}

	ph_pagealloc *pa = build_pagealloc(&before);
	if (pa == NULL)
		return;
	for (size_t i = 0; i < json_length(bases); i++) {
		uintptr_t want, scav;
		if (!read_chunk_page_pair(json_at(bases, i), &want))
			return;
		uintptr_t got = ph_pagealloc_alloc(pa, (uintptr_t)npages, &scav);
		if (got != want) {
			char gb[96], wb[96];
			CHECK_MSG(false, "alloc #%zu of %llu pages: got %s, want %s", i + 1, (unsigned long long)npages,
				  describe_addr(got, gb, sizeof gb), describe_addr(want, wb, sizeof wb));
			return;
		}
	}
	uintptr_t want_final = 0, scav;
	if (!json_is_null(final) && !read_chunk_page_pair(final, &want_final))
		return;
	uintptr_t got = ph_pagealloc_alloc(pa, (uintptr_t)npages, &scav);
	char gb[96], wb[96];
	CHECK_MSG(got == want_final, "the allocation after the last one: got %s, want %s",
		  describe_addr(got, gb, sizeof gb), describe_addr(want_final, wb, sizeof wb));

	ph_pagealloc *want = build_pagealloc(&after);
	if (want == NULL)
		return;
	check_same_heap(pa, want);
	check_verify(pa, "at the end");
}

/* npagesValues must be exactly the npages of the expanded cases, in order. */
static void case_exhaust_expansion(const void *arg)
{
	const json_value *section = arg;
	const json_value *values = field_array(section, "npagesValues");
	const json_value *cases = json_get(json_get(section, "expanded"), "cases");
	if (values == NULL)
		return;
	CHECK_MSG(json_length(values) == json_length(cases), "%zu npagesValues but %zu expanded cases",
		  json_length(values), json_length(cases));
	for (size_t i = 0; i < json_length(values) && i < json_length(cases); i++) {
		uint64_t a, b;
		if (read_uint(json_at(values, i), "npagesValues entry", UINT64_MAX, &a) &&
		    field_uint(json_at(cases, i), "npages", UINT64_MAX, &b) && a != b)
			bad_data(json_at(cases, i), "expanded case %zu has npages %llu, npagesValues says %llu", i,
				 (unsigned long long)b, (unsigned long long)a);
	}
}

static void drive_page_alloc_exhaust(const json_value *section, const char *go_name)
{
	const json_value *setup = json_get(section, "setup");
	const json_value *expanded = json_get(section, "expanded");
	char name[256];
	if (setup == NULL || expanded == NULL) {
		snprintf(name, sizeof name, "%s/(no-cases)", go_name);
		report_failure(name, "the section lacks 'setup' or 'expanded'");
		return;
	}
	const json_value *cases = section_cases(expanded, "cases", go_name);
	if (cases == NULL)
		return;
	snprintf(name, sizeof name, "%s/(npagesValues)", go_name);
	run_case(name, case_exhaust_expansion, section);

	for (size_t i = 0; i < json_length(cases); i++) {
		const json_value *c = json_at(cases, i);
		struct exhaust_case ec = {setup, c};
		uint64_t npages;
		/* Go names these subtests by npages alone. */
		if (json_as_u64(json_get(c, "npages"), &npages))
			snprintf(name, sizeof name, "%s/%llu", go_name, (unsigned long long)npages);
		else
			snprintf(name, sizeof name, "%s/case%zu", go_name, i);
		run_case(name, case_page_alloc_exhaust, &ec);
	}
}

static void case_page_alloc_free(const void *arg)
{
	const json_value *c = arg;
	struct heap_desc before, after;
	const json_value *frees;
	/* Go builds the expected state with no scavenged pages at all. */
	ph_pagealloc *pa = open_op_case(c, "frees", NULL, &frees, &before, &after);
	if (pa == NULL)
		return;
	for (size_t i = 0; i < json_length(frees); i++) {
		const json_value *f = json_at(frees, i);
		uintptr_t base;
		uint64_t npages;
		if (!read_page_addr(need_field(f, "base"), "base", false, &base) ||
		    !field_uint(f, "npages", 1u << 20, &npages) || npages == 0)
			return;
		ph_pagealloc_free(pa, base, (uintptr_t)npages);
	}
	ph_pagealloc *want = build_pagealloc(&after);
	if (want == NULL)
		return;
	check_same_heap(pa, want);
	check_verify(pa, "at the end");
}

static void case_page_alloc_alloc_and_free(const void *arg)
{
	const json_value *c = arg;
	struct heap_desc init;
	const json_value *ops = field_array(c, "ops");
	if (ops == NULL || !case_heap_desc(c, "init", "scav", &init))
		return;
	ph_pagealloc *pa = build_pagealloc(&init);
	if (pa == NULL)
		return;
	for (size_t i = 0; i < json_length(ops); i++) {
		const json_value *o = json_at(ops, i);
		const char *op = json_as_string(need_field(o, "op"));
		uintptr_t base;
		uint64_t npages;
		if (op == NULL || !field_uint(o, "npages", 1u << 20, &npages) || npages == 0 ||
		    !read_page_addr(need_field(o, "base"), "base", true, &base))
			return;
		if (strcmp(op, "alloc") == 0) {
			uintptr_t scav;
			uintptr_t got = ph_pagealloc_alloc(pa, (uintptr_t)npages, &scav);
			char gb[96], wb[96];
			CHECK_MSG(got == base, "op #%zu Alloc(%llu): got %s, want %s", i, (unsigned long long)npages,
				  describe_addr(got, gb, sizeof gb), describe_addr(base, wb, sizeof wb));
			if (got != base)
				return;
		} else if (strcmp(op, "free") == 0 && base != 0) {
			ph_pagealloc_free(pa, base, (uintptr_t)npages);
		} else {
			bad_data(o, "op must be \"alloc\" or \"free\" (with a base)");
			return;
		}
	}
	check_verify(pa, "at the end");
}

/* ---- pageCache sections -------------------------------------------------- */

static void case_page_cache_alloc(const void *arg)
{
	const json_value *c = arg;
	const json_value *cache = need_field(c, "cache"), *hits = field_array(c, "hits");
	ph_pagecache pc;
	if (hits == NULL || need_type(cache, "cache", JSON_OBJECT) == NULL ||
	    !read_page_addr(need_field(cache, "base"), "cache base", false, &pc.base) ||
	    !field_hex64(cache, "cacheBits", &pc.cache) || !field_hex64(cache, "scavBits", &pc.scav))
		return;
	for (size_t i = 0; i < json_length(hits); i++) {
		const json_value *h = json_at(hits, i);
		const json_value *off = need_field(h, "base");
		uint64_t npages, scav_pages, offset = 0;
		if (!field_uint(h, "npages", 1u << 20, &npages) || npages == 0 || off == NULL ||
		    (!json_is_null(off) && !read_uint(off, "base offset", PH_CACHE_PAGES - 1, &offset)) ||
		    !field_uint(h, "scavPages", PH_CACHE_PAGES, &scav_pages))
			return;
		uintptr_t want = json_is_null(off) ? 0 : pc.base + ((uintptr_t)offset << geom->page_shift);
		uintptr_t scav;
		uintptr_t got = ph_pagecache_alloc(&pc, geom, (uintptr_t)npages, &scav);
		char gb[96], wb[96];
		CHECK_MSG(got == want, "hit #%zu alloc(%llu): got %s, want %s", i, (unsigned long long)npages,
			  describe_addr(got, gb, sizeof gb), describe_addr(want, wb, sizeof wb));
		CHECK_MSG(scav == (uintptr_t)scav_pages << geom->page_shift,
			  "hit #%zu alloc(%llu): scavenged %lu bytes, want %llu pages", i, (unsigned long long)npages,
			  (unsigned long)scav, (unsigned long long)scav_pages);
		if (got != want || scav != (uintptr_t)scav_pages << geom->page_shift)
			return;
	}
}

static void case_page_alloc_alloc_to_cache(const void *arg)
{
	const json_value *c = arg;
	struct heap_desc before, after;
	const json_value *hits;
	ph_pagealloc *pa = open_op_case(c, "hits", "scav", &hits, &before, &after);
	if (pa == NULL)
		return;
	for (size_t i = 0; i < json_length(hits); i++) {
		const json_value *h = json_at(hits, i);
		ph_pagecache want;
		if (!read_page_addr(need_field(h, "base"), "base", true, &want.base) ||
		    !field_hex64(h, "cacheBits", &want.cache) || !field_hex64(h, "scavBits", &want.scav))
			return;
		ph_pagecache got = ph_pagealloc_alloc_to_cache(pa);
		char gb[96], wb[96];
		CHECK_MSG(got.base == want.base && got.cache == want.cache && got.scav == want.scav,
			  "hit #%zu AllocToCache: got base %s cache %#018llx scav %#018llx, "
			  "want base %s cache %#018llx scav %#018llx",
			  i, describe_addr(got.base, gb, sizeof gb), (unsigned long long)got.cache,
			  (unsigned long long)got.scav, describe_addr(want.base, wb, sizeof wb),
			  (unsigned long long)want.cache, (unsigned long long)want.scav);
		if (got.base != want.base || got.cache != want.cache || got.scav != want.scav)
			return;
	}
	ph_pagealloc *want = build_pagealloc(&after);
	if (want == NULL)
		return;
	check_same_heap(pa, want);
	check_verify(pa, "at the end");
}

/* One flush: before and want are heap descriptions of chunk 0 only. */
static void run_flush(unsigned base, uint64_t cache, uint64_t scav, const struct heap_desc *before,
		      const struct heap_desc *want_desc)
{
	ph_pagealloc *pa = build_pagealloc(before);
	if (pa == NULL)
		return;
	ph_pagecache pc = {.base = page_base(0, base), .cache = cache, .scav = scav};
	ph_pagecache_flush(&pc, pa);
	CHECK_MSG(ph_pagecache_empty(&pc), "the cache is not empty after the flush: cache %#018llx",
		  (unsigned long long)pc.cache);
	ph_pagealloc *want = build_pagealloc(want_desc);
	if (want == NULL)
		return;
	check_same_heap(pa, want);
	check_verify(pa, "after the flush");
}

/* The procedure's expected state: the block's non-cache pages allocated and
 * exactly the cache's scavenged pages scavenged. */
static bool flush_descs(unsigned base, uint64_t cache, uint64_t scav, struct heap_desc *before,
			struct heap_desc *after)
{
	before->n = after->n = 1;
	before->chunks = case_calloc(1, sizeof *before->chunks);
	after->chunks = case_calloc(1, sizeof *after->chunks);
	if (before->chunks == NULL || after->chunks == NULL)
		return false;
	ph_bits_set_range(&before->chunks[0].alloc, base, PH_CACHE_PAGES);
	after->chunks[0].alloc.w[base / 64] = ~cache;
	after->chunks[0].scav.w[base / 64] = scav;
	return true;
}

static bool same_desc_chunk(const struct heap_desc *a, const struct heap_desc *b)
{
	return a->n == 1 && b->n == 1 && a->chunks[0].rel == b->chunks[0].rel &&
	       memcmp(&a->chunks[0].alloc, &b->chunks[0].alloc, sizeof(ph_page_bits)) == 0 &&
	       memcmp(&a->chunks[0].scav, &b->chunks[0].scav, sizeof(ph_page_bits)) == 0;
}

static void case_page_cache_flush(const void *arg)
{
	const json_value *c = arg;
	unsigned base;
	uint64_t cache, scav;
	struct heap_desc before, after, rule_before, rule_after;
	if (!field_unsigned(c, "base", PH_CHUNK_PAGES - PH_CACHE_PAGES, &base) || !field_hex64(c, "cacheBits", &cache) ||
	    !field_hex64(c, "scavBits", &scav) || !case_heap_desc(c, "before", "scav", &before) ||
	    !case_heap_desc(c, "after", "afterScav", &after) || !flush_descs(base, cache, scav, &rule_before, &rule_after))
		return;
	if (base % PH_CACHE_PAGES != 0) {
		bad_data(c, "base %u is not a multiple of %u", base, PH_CACHE_PAGES);
		return;
	}
	/* The tabled states must be what the section's procedure says. */
	if (!same_desc_chunk(&before, &rule_before))
		bad_data(c, "'before'/'scav' differ from the procedure's");
	if (!same_desc_chunk(&after, &rule_after))
		bad_data(c, "'after'/'afterScav' differ from the procedure's");
	run_flush(base, cache, scav, &before, &after);
}

struct flush_params {
	unsigned base;
	uint64_t cache, scav;
};

static void case_page_cache_flush_random(const void *arg)
{
	const struct flush_params *fp = arg;
	struct heap_desc before, after;
	if (flush_descs(fp->base, fp->cache, fp->scav, &before, &after))
		run_flush(fp->base, fp->cache, fp->scav, &before, &after);
}

static void drive_page_cache_flush(const json_value *section, const char *go_name)
{
	drive_cases(section, "cases", go_name, case_page_cache_flush);

	char name[256];
	if (json_as_string(json_get(section, "randomProperty")) == NULL) {
		snprintf(name, sizeof name, "%s/(randomProperty)", go_name);
		report_failure(name, "the section has no 'randomProperty'; the random cases below ran anyway");
	}
	uint64_t rng = 0x70616765636163ull; /* fixed: every run flushes the same caches */
	for (unsigned i = 0; i < 100; i++) {
		struct flush_params fp;
		fp.base = PH_CACHE_PAGES * rng_below(&rng, PH_CHUNK_PAGES / PH_CACHE_PAGES);
		fp.cache = rng_next(&rng);
		fp.scav = rng_next(&rng) & fp.cache;
		snprintf(name, sizeof name, "%s/random%02u", go_name, i);
		run_case(name, case_page_cache_flush_random, &fp);
	}
}

/* ---- pallocBits sections ------------------------------------------------- */

static void case_palloc_bits_alloc_range(const void *arg)
{
	const json_value *c = arg;
	const json_value *words = field_array(c, "words");
	unsigned i, n;
	if (words == NULL || !field_unsigned(c, "i", PH_CHUNK_PAGES, &i) || !field_unsigned(c, "n", PH_CHUNK_PAGES, &n))
		return;
	if (i + n > PH_CHUNK_PAGES || json_length(words) != PH_CHUNK_PAGES / 64) {
		bad_data(c, "need i + n <= %u and %u words", PH_CHUNK_PAGES, PH_CHUNK_PAGES / 64);
		return;
	}
	ph_page_bits want;
	for (unsigned k = 0; k < PH_CHUNK_PAGES / 64; k++)
		if (!read_hex64(json_at(words, k), "word", &want.w[k]))
			return;

	ph_page_bits got = {{0}};
	ph_bits_set_range(&got, i, n);
	same_bits("bitmap", &got, &want);

	/* The chunk-level form must also clear exactly those scavenged bits. */
	ph_palloc_data d = {{{0}}, {{0}}};
	ph_bits_set_all(&d.scav);
	ph_palloc_data_alloc_range(&d, i, n);
	ph_page_bits want_scav;
	for (unsigned k = 0; k < PH_CHUNK_PAGES / 64; k++)
		want_scav.w[k] = ~want.w[k];
	same_bits("palloc_data alloc", &d.alloc, &want);
	same_bits("palloc_data scav", &d.scav, &want_scav);
}

static void case_palloc_bits_popcnt_range(const void *arg)
{
	const json_value *c = arg;
	const json_value *tests = field_array(c, "tests");
	ph_page_bits b = {{0}};
	if (tests == NULL || !apply_bit_ranges(need_field(c, "init"), "init", &b, true))
		return;
	for (size_t t = 0; t < json_length(tests); t++) {
		const json_value *e = json_at(tests, t);
		unsigned i, n, want;
		if (!field_unsigned(e, "i", PH_CHUNK_PAGES, &i) || !field_unsigned(e, "n", PH_CHUNK_PAGES, &n) ||
		    !field_unsigned(e, "want", PH_CHUNK_PAGES, &want))
			return;
		if (i + n > PH_CHUNK_PAGES) {
			bad_data(e, "range [%u, +%u) leaves the chunk", i, n);
			return;
		}
		unsigned got = ph_bits_popcnt_range(&b, i, n);
		CHECK_MSG(got == want, "popcntRange(%u, %u) = %u, want %u", i, n, got, want);
	}
}

static void case_palloc_bits_summarize(const void *arg)
{
	const json_value *c = arg;
	const json_value *want = need_field(c, "want");
	ph_page_bits b;
	unsigned start, max, end;
	uint64_t packed;
	ph_bits_set_all(&b);
	if (!apply_bit_ranges(need_field(c, "free"), "free", &b, false) || need_type(want, "want", JSON_OBJECT) == NULL ||
	    !field_unsigned(want, "start", PH_CHUNK_PAGES, &start) || !field_unsigned(want, "max", PH_CHUNK_PAGES, &max) ||
	    !field_unsigned(want, "end", PH_CHUNK_PAGES, &end) || !field_hex64(c, "wantPackedDerived", &packed))
		return;
	ph_sum s = ph_palloc_summarize(&b);
	CHECK_MSG(ph_sum_start(s) == start && ph_sum_max(s) == max && ph_sum_end(s) == end,
		  "summarize = (start %u, max %u, end %u), want (%u, %u, %u)", ph_sum_start(s), ph_sum_max(s),
		  ph_sum_end(s), start, max, end);
	CHECK_MSG(s == packed, "packed summary %#llx, want %#llx", (unsigned long long)s, (unsigned long long)packed);
	CHECK_MSG(ph_sum_pack(start, max, end) == packed, "ph_sum_pack(%u, %u, %u) = %#llx, want %#llx", start, max,
		  end, (unsigned long long)ph_sum_pack(start, max, end), (unsigned long long)packed);
}

/* A list of BitRanges as a bitmap, with the ranges set (or, if !set, with
 * everything but the ranges set). */
static bool ranges_bitmap(const json_value *c, const char *key, bool set, ph_page_bits *out)
{
	memset(out, 0, sizeof *out);
	if (!set)
		ph_bits_set_all(out);
	return apply_bit_ranges(need_field(c, key), key, out, set);
}

static void case_palloc_bits_alloc(const void *arg)
{
	const json_value *c = arg;
	const json_value *hits = field_array(c, "hits");
	ph_page_bits b, want;
	unsigned npages;
	if (hits == NULL || !field_unsigned(c, "npages", PH_CHUNK_PAGES, &npages) || npages == 0 ||
	    !ranges_bitmap(c, "before", true, &b) || !ranges_bitmap(c, "after", true, &want))
		return;
	for (size_t i = 0; i < json_length(hits); i++) {
		const json_value *h = json_at(hits, i);
		uint64_t idx = PH_NOT_FOUND;
		if (!json_is_null(h) && !read_uint(h, "hit", PH_CHUNK_PAGES - 1, &idx))
			return;
		unsigned new_search_idx;
		unsigned got = ph_palloc_find(&b, npages, 0, &new_search_idx);
		CHECK_MSG(got == idx, "hit #%zu find(%u, 0) = %d, want %d", i, npages, (int)got, (int)idx);
		if (got != idx)
			return;
		if (got != PH_NOT_FOUND)
			ph_bits_set_range(&b, got, npages);
	}
	same_bits("bitmap", &b, &want);
}

static void case_palloc_bits_free(const void *arg)
{
	const json_value *c = arg;
	const json_value *frees = field_array(c, "frees");
	ph_page_bits b, want;
	unsigned npages;
	if (frees == NULL || !field_unsigned(c, "npages", PH_CHUNK_PAGES, &npages) || npages == 0 ||
	    !ranges_bitmap(c, "beforeFree", false, &b) || !ranges_bitmap(c, "afterFree", false, &want))
		return;
	for (size_t i = 0; i < json_length(frees); i++) {
		uint64_t idx;
		if (!read_uint(json_at(frees, i), "free index", PH_CHUNK_PAGES - npages, &idx))
			return;
		ph_bits_clear_range(&b, (unsigned)idx, npages);
	}
	same_bits("bitmap", &b, &want);
}

static void case_find_bit_range64(const void *arg)
{
	const json_value *c = arg;
	const json_value *want_v = need_field(c, "want");
	uint64_t x, want = 0;
	unsigned n;
	if (!field_hex64(c, "x", &x) || !field_unsigned(c, "n", 64, &n) || want_v == NULL ||
	    (!json_is_null(want_v) && !read_uint(want_v, "want", 63, &want)))
		return;
	unsigned got = ph_find_bit_range64(x, n);
	if (json_is_null(want_v))
		CHECK_MSG(got >= 64, "findBitRange64(%#llx, %u) = %u, want a failure (>= 64)", (unsigned long long)x, n,
			  got);
	else
		CHECK_MSG(got == want, "findBitRange64(%#llx, %u) = %u, want %llu", (unsigned long long)x, n, got,
			  (unsigned long long)want);
}

/* Test names for a section without per-case names: "Go/caseN". */
static void drive_unnamed_cases(const json_value *section, const char *go_name, void (*fn)(const void *))
{
	const json_value *cases = section_cases(section, "cases", go_name);
	for (size_t i = 0; i < json_length(cases); i++) {
		char name[256];
		snprintf(name, sizeof name, "%s/case%zu", go_name, i);
		run_case(name, fn, json_at(cases, i));
	}
}

/* ---- slow references and random properties ------------------------------ */

/* Free-run summary of bits [0, nbits) of words (1 = allocated), one bit at a
 * time. */
static void slow_summary(const uint64_t *words, unsigned nbits, unsigned *start, unsigned *max, unsigned *end)
{
	unsigned run = 0, best = 0, first = 0;
	bool seen_alloc = false;
	for (unsigned i = 0; i < nbits; i++) {
		if ((words[i / 64] >> (i % 64)) & 1) {
			if (!seen_alloc)
				first = run;
			seen_alloc = true;
			run = 0;
		} else if (++run > best) {
			best = run;
		}
	}
	*start = seen_alloc ? first : nbits;
	*max = best;
	*end = run;
}

/* Lowest i such that [i, i+npages) is free and inside the chunk; one pass
 * over the bits, counting the current free run. */
static unsigned slow_find(const ph_page_bits *b, unsigned npages)
{
	unsigned run = 0;
	for (unsigned i = 0; i < PH_CHUNK_PAGES; i++) {
		run = ph_bits_get(b, i) ? 0 : run + 1;
		if (run >= npages)
			return i + 1 - npages;
	}
	return PH_NOT_FOUND;
}

static unsigned slow_first_free(const ph_page_bits *b)
{
	for (unsigned i = 0; i < PH_CHUNK_PAGES; i++)
		if (!ph_bits_get(b, i))
			return i;
	return PH_NOT_FOUND;
}

/*
 * A random chunk bitmap with structure: uniformly random words rarely hold
 * a free run longer than a few pages, so most maps are alternating
 * allocated/free runs of a randomly chosen typical length, and some are
 * entirely free or entirely allocated (which is what makes summaries
 * propagate across chunks).
 */
static void random_bitmap(uint64_t *rng, ph_page_bits *b)
{
	static const unsigned typical_run[] = {1, 3, 8, 30, 70, 200, 400};
	unsigned mode = rng_below(rng, 10);
	if (mode == 0) {
		ph_bits_clear_all(b);
		return;
	}
	if (mode == 1) {
		ph_bits_set_all(b);
		return;
	}
	if (mode == 2) {
		for (unsigned k = 0; k < PH_CHUNK_PAGES / 64; k++)
			b->w[k] = rng_next(rng);
		return;
	}
	unsigned typical = typical_run[rng_below(rng, sizeof typical_run / sizeof typical_run[0])];
	bool allocated = rng_below(rng, 2);
	ph_bits_clear_all(b);
	for (unsigned i = 0; i < PH_CHUNK_PAGES;) {
		unsigned n = 1 + rng_below(rng, 2 * typical);
		if (n > PH_CHUNK_PAGES - i)
			n = PH_CHUNK_PAGES - i;
		if (allocated)
			ph_bits_set_range(b, i, n);
		allocated = !allocated;
		i += n;
	}
}

/* Go's TestPallocBitsSummarizeRandom: random words against the reference. */
static void case_summarize_random(const void *arg)
{
	(void)arg;
	uint64_t rng = 0x73756d6d61727a65ull;
	for (unsigned t = 0; t < 1000; t++) {
		ph_page_bits b;
		for (unsigned k = 0; k < PH_CHUNK_PAGES / 64; k++)
			b.w[k] = rng_next(&rng);
		/* Go's random words almost never leave a run longer than a few
		 * pages; clearing a random span now and then tests long runs. */
		if (t % 4 == 3) {
			unsigned s = rng_below(&rng, PH_CHUNK_PAGES);
			ph_bits_clear_range(&b, s, rng_below(&rng, PH_CHUNK_PAGES - s + 1));
		}
		unsigned start, max, end;
		slow_summary(b.w, PH_CHUNK_PAGES, &start, &max, &end);
		ph_sum s = ph_palloc_summarize(&b);
		CHECK_MSG(ph_sum_start(s) == start && ph_sum_max(s) == max && ph_sum_end(s) == end,
			  "bitmap #%u: summarize = (%u, %u, %u), reference (%u, %u, %u)", t, ph_sum_start(s),
			  ph_sum_max(s), ph_sum_end(s), start, max, end);
	}
}

/*
 * ph_palloc_find against first fit.  find's contract: no page below
 * search_idx is free, so the bitmap is made to honour that; then the result
 * must be the first fit and new_search_idx the first free page.
 */
static void case_find_random(const void *arg)
{
	(void)arg;
	uint64_t rng = 0x66696e6466697421ull;
	for (unsigned t = 0; t < 5000; t++) {
		ph_page_bits b;
		random_bitmap(&rng, &b);
		unsigned search_idx = rng_below(&rng, PH_CHUNK_PAGES + 1);
		if (rng_below(&rng, 4) == 0)
			search_idx = slow_first_free(&b) == PH_NOT_FOUND ? PH_CHUNK_PAGES : slow_first_free(&b);
		ph_bits_set_range(&b, 0, search_idx);
		/* Small requests are the common case and the most intricate code. */
		unsigned npages = rng_below(&rng, 2) ? 1 + rng_below(&rng, 64) : 1 + rng_below(&rng, 600);

		unsigned want = slow_find(&b, npages);
		unsigned new_search_idx = 0;
		unsigned got = ph_palloc_find(&b, npages, search_idx, &new_search_idx);
		CHECK_MSG(got == want, "#%u: find(%u, searchIdx %u) = %d, first fit is %d (bitmap %016llx %016llx ...)",
			  t, npages, search_idx, (int)got, (int)want, (unsigned long long)b.w[0],
			  (unsigned long long)b.w[1]);
		if (got == want && got != PH_NOT_FOUND)
			CHECK_MSG(new_search_idx == slow_first_free(&b),
				  "#%u: find(%u, searchIdx %u): new searchIdx %u, first free page is %u", t, npages,
				  search_idx, new_search_idx, slow_first_free(&b));
	}
}

/*
 * ph_sum_merge against a scan of the concatenated bitmaps: first n (1..8)
 * chunk summaries, then, to exercise the wider fields, 8 summaries of 8
 * chunks each (32768 pages).
 */
static void case_merge_random(const void *arg)
{
	(void)arg;
	uint64_t rng = 0x6d657267652d3921ull;
	enum { WORDS = PH_CHUNK_PAGES / 64 };
	static uint64_t concat[64 * WORDS]; /* 64 chunks */
	for (unsigned t = 0; t < 2200; t++) {
		bool two_levels = t >= 2000;
		unsigned n = two_levels ? 8 : 1 + rng_below(&rng, 8);
		unsigned nchunks = two_levels ? 64 : n;
		ph_sum leaf[64];
		for (unsigned c = 0; c < nchunks; c++) {
			ph_page_bits b;
			random_bitmap(&rng, &b);
			memcpy(&concat[c * WORDS], b.w, sizeof b.w);
			leaf[c] = ph_palloc_summarize(&b);
		}
		ph_sum got;
		if (two_levels) {
			ph_sum mid[8];
			for (unsigned m = 0; m < 8; m++)
				mid[m] = ph_sum_merge(&leaf[8 * m], 8, PH_LOG_CHUNK_PAGES);
			got = ph_sum_merge(mid, 8, PH_LOG_CHUNK_PAGES + 3);
		} else {
			got = ph_sum_merge(leaf, n, PH_LOG_CHUNK_PAGES);
		}
		unsigned start, max, end;
		slow_summary(concat, nchunks * PH_CHUNK_PAGES, &start, &max, &end);
		CHECK_MSG(ph_sum_start(got) == start && ph_sum_max(got) == max && ph_sum_end(got) == end,
			  "#%u: merge of %u chunks = (%u, %u, %u), reference (%u, %u, %u)", t, nchunks,
			  ph_sum_start(got), ph_sum_max(got), ph_sum_end(got), start, max, end);
	}
}

/* The packing rule the pallocSumPacking note states. */
static void case_sum_packing_rule(const void *arg)
{
	(void)arg;
	const uint64_t m = PH_MAX_PACKED;
	CHECK_EQ_U(ph_sum_pack(PH_CHUNK_PAGES, PH_CHUNK_PAGES, PH_CHUNK_PAGES), 0x8000040000200ull);
	CHECK_EQ_U(PH_FREE_CHUNK_SUM, 0x8000040000200ull);
	CHECK_EQ_U(ph_sum_pack(PH_MAX_PACKED, PH_MAX_PACKED, PH_MAX_PACKED), 1ull << 63);
	CHECK_EQ_U(ph_sum_start(1ull << 63), m);
	CHECK_EQ_U(ph_sum_max(1ull << 63), m);
	CHECK_EQ_U(ph_sum_end(1ull << 63), m);
	uint64_t rng = 0x7061636b696e6721ull;
	for (unsigned t = 0; t < 1000; t++) {
		unsigned max = rng_below(&rng, PH_MAX_PACKED);
		unsigned start = rng_below(&rng, max + 1), end = rng_below(&rng, max + 1);
		uint64_t want = (start & (m - 1)) | (max & (m - 1)) << PH_LOG_MAX_PACKED |
				(end & (m - 1)) << (2 * PH_LOG_MAX_PACKED);
		ph_sum s = ph_sum_pack(start, max, end);
		CHECK_MSG(s == want, "pack(%u, %u, %u) = %#llx, want %#llx", start, max, end, (unsigned long long)s,
			  (unsigned long long)want);
		CHECK_MSG(ph_sum_start(s) == start && ph_sum_max(s) == max && ph_sum_end(s) == end,
			  "unpack(pack(%u, %u, %u)) = (%u, %u, %u)", start, max, end, ph_sum_start(s), ph_sum_max(s),
			  ph_sum_end(s));
	}
}

/* ---- sections without tables -------------------------------------------- */

/* pallocSumPacking: go1.15 has no vectors, only the rule in the note. */
static void drive_sum_packing(const json_value *section, const char *go_name)
{
	char name[256];
	const json_value *vec = json_get(section, "vectors");
	if (vec != NULL && !json_is_null(vec)) {
		snprintf(name, sizeof name, "%s/(vectors)", go_name);
		report_failure(name, "the file now has packing vectors, which this driver cannot read yet");
	}
	snprintf(name, sizeof name, "%s/rule", go_name);
	run_case(name, case_sum_packing_rule, NULL);
}

/* pallocBitsFind: go1.15 has no table; a randomised first-fit comparison
 * stands in. */
static void drive_bits_find(const json_value *section, const char *go_name)
{
	char name[256];
	if (json_get(section, "cases") != NULL) {
		snprintf(name, sizeof name, "%s/(cases)", go_name);
		report_failure(name, "the file now has find cases, which this driver cannot read yet");
	}
	snprintf(name, sizeof name, "%s/randomFirstFit", go_name);
	run_case(name, case_find_random, NULL);
}

/* properties: every listed property must have a driver. */
static void drive_properties(const json_value *section, const char *go_name)
{
	char name[256];
	bool ran_summarize = false;
	for (size_t i = 0; i < json_length(section); i++) {
		const char *test = json_as_string(json_get(json_at(section, i), "test"));
		if (test != NULL && strcmp(test, "TestPallocBitsSummarizeRandom") == 0) {
			run_case("TestPallocBitsSummarizeRandom", case_summarize_random, NULL);
			ran_summarize = true;
		} else if (test != NULL && strcmp(test, "TestPageCacheFlush (random part)") == 0) {
			continue; /* run with the pageCacheFlush section */
		} else {
			snprintf(name, sizeof name, "%s/(entry%zu)", go_name, i);
			report_failure(name, "a property this driver does not know (or one without a 'test' name)");
		}
	}
	if (!ran_summarize)
		report_failure("TestPallocBitsSummarizeRandom", "the 'properties' section does not list it");
}

/* ---- the file ------------------------------------------------------------ */

typedef void (*section_driver)(const json_value *section, const char *go_name);

/* A section whose "cases" each carry a "name". */
#define NAMED_DRIVER(fname, case_fn)                                 \
	static void fname(const json_value *s, const char *go_name)  \
	{                                                            \
		drive_cases(s, "cases", go_name, case_fn);           \
	}
NAMED_DRIVER(drive_grow, case_page_alloc_grow)
NAMED_DRIVER(drive_alloc, case_page_alloc_alloc)
NAMED_DRIVER(drive_free, case_page_alloc_free)
NAMED_DRIVER(drive_alloc_and_free, case_page_alloc_alloc_and_free)
NAMED_DRIVER(drive_cache_alloc, case_page_cache_alloc)
NAMED_DRIVER(drive_alloc_to_cache, case_page_alloc_alloc_to_cache)
NAMED_DRIVER(drive_alloc_range, case_palloc_bits_alloc_range)
NAMED_DRIVER(drive_popcnt_range, case_palloc_bits_popcnt_range)
NAMED_DRIVER(drive_summarize, case_palloc_bits_summarize)
NAMED_DRIVER(drive_bits_alloc, case_palloc_bits_alloc)
NAMED_DRIVER(drive_bits_free, case_palloc_bits_free)

static void drive_find_bit_range64(const json_value *s, const char *go_name)
{
	drive_unnamed_cases(s, go_name, case_find_bit_range64);
}

static const struct {
	const char *key, *go_name;
	json_type type;
	section_driver drive;
} sections[] = {
	{"pageAllocGrow", "TestPageAllocGrow", JSON_OBJECT, drive_grow},
	{"pageAllocAlloc", "TestPageAllocAlloc", JSON_OBJECT, drive_alloc},
	{"pageAllocExhaust", "TestPageAllocExhaust", JSON_OBJECT, drive_page_alloc_exhaust},
	{"pageAllocFree", "TestPageAllocFree", JSON_OBJECT, drive_free},
	{"pageAllocAllocAndFree", "TestPageAllocAllocAndFree", JSON_OBJECT, drive_alloc_and_free},
	{"pageCacheAlloc", "TestPageCacheAlloc", JSON_OBJECT, drive_cache_alloc},
	{"pageAllocAllocToCache", "TestPageAllocAllocToCache", JSON_OBJECT, drive_alloc_to_cache},
	{"pageCacheFlush", "TestPageCacheFlush", JSON_OBJECT, drive_page_cache_flush},
	{"pallocBitsAllocRange", "TestPallocBitsAllocRange", JSON_OBJECT, drive_alloc_range},
	{"pallocBitsPopcntRange", "TestMallocBitsPopcntRange", JSON_OBJECT, drive_popcnt_range},
	{"pallocBitsSummarize", "TestPallocBitsSummarize", JSON_OBJECT, drive_summarize},
	{"pallocBitsAlloc", "TestPallocBitsAlloc", JSON_OBJECT, drive_bits_alloc},
	{"pallocBitsFree", "TestPallocBitsFree", JSON_OBJECT, drive_bits_free},
	{"findBitRange64", "TestFindBitRange64", JSON_OBJECT, drive_find_bit_range64},
	{"pallocSumPacking", "TestPallocSumPacking", JSON_OBJECT, drive_sum_packing},
	{"pallocBitsFind", "TestPallocBitsFind", JSON_OBJECT, drive_bits_find},
	{"properties", "properties", JSON_ARRAY, drive_properties},
};

/* Top-level fields that describe the file rather than hold tests. */
static const char *const metadata_keys[] = {"source", "sourceDetail", "constants", "notation", "skipped"};

/* Our geometry must be the one the vectors were written for. */
static void case_constants(const void *arg)
{
	const json_value *k = arg;
	const json_value *d = need_field(k, "derived_linux_amd64");
	uint64_t v;
	if (field_uint(k, "pageSize", UINT64_MAX, &v))
		CHECK_EQ_U(ph_page_size(geom), v);
	if (field_uint(k, "pallocChunkPages", UINT64_MAX, &v))
		CHECK_EQ_U(PH_CHUNK_PAGES, v);
	if (field_uint(k, "pageCachePages", UINT64_MAX, &v))
		CHECK_EQ_U(PH_CACHE_PAGES, v);
	if (field_uint(k, "heapArenaBytes", UINT64_MAX, &v))
		CHECK_EQ_U(ph_arena_bytes(geom), v);
	if (field_uint(k, "summaryLevels", UINT64_MAX, &v))
		CHECK_EQ_U(PH_SUMMARY_LEVELS, v);
	if (field_uint(k, "summaryLevelBits", UINT64_MAX, &v))
		CHECK_EQ_U(PH_SUMMARY_LEVEL_BITS, v);
	if (field_uint(k, "logMaxPackedValue", UINT64_MAX, &v))
		CHECK_EQ_U(PH_LOG_MAX_PACKED, v);
	if (need_type(d, "derived_linux_amd64", JSON_OBJECT) == NULL)
		return;
	if (field_uint(d, "pallocChunkBytes", UINT64_MAX, &v))
		CHECK_EQ_U(ph_chunk_bytes(geom), v);
	if (field_uint(d, "maxPackedValue", UINT64_MAX, &v))
		CHECK_EQ_U(PH_MAX_PACKED, v);
	if (field_uint(d, "heapAddrBits", UINT64_MAX, &v))
		CHECK_EQ_U(geom->addr_bits, v);
	/* Go's BaseChunkIdx differs (its arenaBaseOffset is not 0), but the
	 * address of the first page, which is what the tables use, is equal. */
	if (field_hex64(d, "PageBase(BaseChunkIdx,0)", &v))
		CHECK_EQ_U(page_base(0, 0), v);
}

int main(int argc, char **argv)
{
	ph_test_init(argc, argv);
	if (ph_govectors.error != NULL) {
		fprintf(stderr, "test_govectors: %s: %s (the build read it; see the Makefile's VECTORS)\n",
			ph_govectors.path, ph_govectors.error);
		printf("FAIL %s\n", ph_govectors.missing ? "govectors-file-missing" : "govectors-file-unreadable");
		return 1;
	}
	const json_value *root = ph_govectors.root;
	if (root->type != JSON_OBJECT) {
		fprintf(stderr, "test_govectors: %s: the top level is not an object\n", ph_govectors.path);
		printf("FAIL govectors-file-unreadable\n");
		return 1;
	}
	ph_set_throw_handler(on_throw);
	install_crash_reporter();

	const json_value *constants = json_get(root, "constants");
	if (constants == NULL)
		report_failure("govectors-constants", "the file has no 'constants'");
	else
		run_case("govectors-constants", case_constants, constants);

	for (size_t i = 0; i < sizeof sections / sizeof sections[0]; i++) {
		const json_value *s = json_get(root, sections[i].key);
		char name[256];
		if (s == NULL || s->type != sections[i].type) {
			snprintf(name, sizeof name, "govectors-missing-section/%s", sections[i].key);
			report_failure(name, s == NULL ? "the section is missing" : "the section has the wrong type");
			continue;
		}
		sections[i].drive(s, sections[i].go_name);
	}

	/* A section this driver does not know would otherwise go untested. */
	for (size_t i = 0; i < json_length(root); i++) {
		const char *key = root->u.obj.members[i].key;
		bool known = false;
		for (size_t j = 0; j < sizeof sections / sizeof sections[0] && !known; j++)
			known = strcmp(key, sections[j].key) == 0;
		for (size_t j = 0; j < sizeof metadata_keys / sizeof metadata_keys[0] && !known; j++)
			known = strcmp(key, metadata_keys[j]) == 0;
		if (!known) {
			char name[256];
			snprintf(name, sizeof name, "govectors-unknown-section/%s", key);
			report_failure(name, "no driver for this section");
		}
	}

	/* Not from the file: merging summaries against concatenated bitmaps. */
	run_case("TestPallocSumMergeRandom", case_merge_random, NULL);

	ph_set_throw_handler(NULL);
	return ph_test_finish();
}
