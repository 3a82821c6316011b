/*
 * micro.c - --micro cache: the cost of a 1-page allocation from the P's
 * page cache plus its free, on one thread, in nanoseconds per pair.
 *
 * This is the Go 1.14 fast path the seed change made lock-free end to end:
 * the page comes out of the P's cache with no lock, the zeroing decision is
 * a load and a CAS, and only the free (and the cache refill every 64 pages)
 * takes the heap lock.  In the pre-seed (locked) variant the decision takes
 * the heap lock too, which is the difference the benchmark shows.  No
 * memory is touched (zeroing is not requested), so the figure is the
 * allocator's own cost.  No oracles run; throws abort.
 */
#include <string.h>

#include "ph_bugs.h"
#include "stress.h"

#define WARMUP_PAIRS 10000

static bool pairs(ph_heap *h, ph_p *p, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		ph_span s = ph_alloc_span(h, p, 1, false);
		if (s.base == 0)
			return false;
		ph_free_span(h, s.base, 1);
	}
	return true;
}

int st_micro(const struct st_options *o)
{
	uint64_t n = o->ops > 0 ? o->ops : 1000000;
	char err[200];
	ph_heap_options hopt = {.use_page_cache = !o->no_page_cache};
	ph_heap *h = ph_heap_create(o->geom, &hopt, err, sizeof err);
	if (h == NULL) {
		fprintf(stderr, "stress: cannot create the heap: %s\n", err);
		return ST_EXIT_FAIL;
	}
	ph_p p;
	ph_p_init(&p, 0);
	/* Warm-up: the heap grows, the first arena is mapped, caches fill. */
	double t0 = 0, t1 = 0;
	bool ok = pairs(h, &p, WARMUP_PAIRS);
	if (ok) {
		t0 = st_now();
		ok = pairs(h, &p, n);
		t1 = st_now();
	}
	ph_p_destroy(h, &p);
	ph_heap_destroy(h);
	if (!ok) {
		fprintf(stderr, "stress: --micro cache: a 1-page allocation failed (out of memory)\n");
		return ST_EXIT_FAIL;
	}
	double ns = (t1 - t0) * 1e9 / (double)n;
	FILE *out = st_human_out(o);
	fprintf(out, "micro cache: %llu pairs of 1-page alloc+free on one thread (zeroing %s, page cache %s, hooks %s%s, geometry %s, fault %s): %.1f ns/pair\n",
		(unsigned long long)n, st_variant_name(st_build_locked), o->no_page_cache ? "off" : "on",
		st_build_hooks ? "on" : "off", st_build_tsan ? ", TSan" : "", o->geom->name, ph_bug_active(), ns);
	if (o->json != NULL) {
		bool to_stdout = strcmp(o->json, "-") == 0;
		FILE *f = to_stdout ? stdout : fopen(o->json, "w");
		if (f == NULL) {
			fprintf(stderr, "stress: cannot write %s\n", o->json);
			return ST_EXIT_FAIL;
		}
		fprintf(f, "{\n  \"tool\": \"stress\",\n  \"micro\": \"cache\",\n  \"pairs\": %llu,\n  \"ns_per_op\": %.3f,\n"
			   "  \"variant\": \"%s\",\n  \"page_cache\": %d,\n  \"hooks\": %d,\n  \"tsan\": %d,\n  \"geometry\": \"%s\"\n}\n",
			(unsigned long long)n, ns, st_variant_name(st_build_locked), !o->no_page_cache, st_build_hooks,
			st_build_tsan, o->geom->name);
		if (!to_stdout)
			fclose(f);
	}
	return ST_EXIT_OK;
}
