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
 *
 * --micro cache-alloc times the allocations alone: batches of ALLOC_BATCH
 * 1-page allocations are timed, and the frees between batches are not.
 * The difference from the pair shows what Go's free path (the summary
 * walk under the heap lock) costs on top of the lock-free allocation.
 */
#include <string.h>

#include "ph_bugs.h"
#include "stress.h"

#define WARMUP_PAIRS 10000
#define ALLOC_BATCH 4096

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

/* Times n 1-page allocations, freeing each batch untimed; the elapsed
 * seconds in *secs.  False on out of memory. */
static bool allocs_alone(ph_heap *h, ph_p *p, uint64_t n, double *secs)
{
	static uintptr_t bases[ALLOC_BATCH];
	*secs = 0;
	while (n > 0) {
		unsigned batch = n < ALLOC_BATCH ? (unsigned)n : ALLOC_BATCH, got = 0;
		double t0 = st_now();
		for (; got < batch; got++) {
			ph_span s = ph_alloc_span(h, p, 1, false);
			if (s.base == 0)
				break;
			bases[got] = s.base;
		}
		*secs += st_now() - t0;
		for (unsigned i = 0; i < got; i++)
			ph_free_span(h, bases[i], 1);
		if (got < batch)
			return false;
		n -= batch;
	}
	return true;
}

int st_micro(const struct st_options *o)
{
	bool alloc_only = strcmp(o->micro, "cache-alloc") == 0;
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
	double secs = 0;
	bool ok = pairs(h, &p, WARMUP_PAIRS);
	if (ok && alloc_only) {
		/* One untimed batch first: the heap grows to hold a batch. */
		ok = allocs_alone(h, &p, ALLOC_BATCH, &secs) && allocs_alone(h, &p, n, &secs);
	} else if (ok) {
		double t0 = st_now();
		ok = pairs(h, &p, n);
		secs = st_now() - t0;
	}
	ph_p_destroy(h, &p);
	ph_heap_destroy(h);
	if (!ok) {
		fprintf(stderr, "stress: --micro %s: a 1-page allocation failed (out of memory)\n", o->micro);
		return ST_EXIT_FAIL;
	}
	double ns = secs * 1e9 / (double)n;
	FILE *out = st_human_out(o);
	fprintf(out, "micro %s: %llu %s on one thread (zeroing %s, page cache %s, hooks %s%s, geometry %s, fault %s): %.1f ns/%s\n",
		o->micro, (unsigned long long)n,
		alloc_only ? "1-page allocations (frees untimed)" : "pairs of 1-page alloc+free",
		st_variant_name(st_build_locked), o->no_page_cache ? "off" : "on",
		st_build_hooks ? "on" : "off", st_build_tsan ? ", TSan" : "", o->geom->name, ph_bug_active(), ns,
		alloc_only ? "alloc" : "pair");
	if (o->json != NULL) {
		bool to_stdout = strcmp(o->json, "-") == 0;
		FILE *f = to_stdout ? stdout : fopen(o->json, "w");
		if (f == NULL) {
			fprintf(stderr, "stress: cannot write %s\n", o->json);
			return ST_EXIT_FAIL;
		}
		fprintf(f, "{\n  \"tool\": \"stress\",\n  \"micro\": \"%s\",\n  \"ops\": %llu,\n  \"ns_per_op\": %.3f,\n"
			   "  \"variant\": \"%s\",\n  \"page_cache\": %d,\n  \"hooks\": %d,\n  \"tsan\": %d,\n  \"geometry\": \"%s\"\n}\n",
			o->micro, (unsigned long long)n, ns, st_variant_name(st_build_locked), !o->no_page_cache, st_build_hooks,
			st_build_tsan, o->geom->name);
		if (!to_stdout)
			fclose(f);
	}
	return ST_EXIT_OK;
}
