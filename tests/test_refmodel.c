/*
 * test_refmodel.c - the reference page allocator (fuzz/oracles/fz_refmodel.h) on
 * hand-computed scenarios, and the differential check behind
 * fuzz_pagealloc (fuzz/oracles/fz_pagediff.h) on fixed inputs.
 *
 * The model is the oracle of a fuzz target, so it gets tested on its own:
 * a wrong model would either flood the fuzzer with false alarms or, worse,
 * agree with a wrong allocator.  Every expected value below was worked out
 * by hand from the semantics in fz_refmodel.h, not taken from the model or
 * the allocator.  The geometry is ph_geom_fuzz: 512-page chunks, 2048-page
 * (4-chunk) arenas, 128-byte pages.
 *
 * The replay tests run byte strings through fz_pagediff_run exactly as the
 * fuzz target does (minus libFuzzer), so the correct allocator must agree
 * with the model on every one of them.
 */
#include <stdlib.h>

#include "fz_pagediff.h"
#include "fz_refmodel.h"
#include "ph_test.h"

static const ph_geom *const G = &ph_geom_fuzz;

/* Address of page p counted from heap_vbase (A0:0 is page 0). */
static uintptr_t pg(uintptr_t p)
{
	return G->heap_vbase + (p << G->page_shift);
}

/* Page number (from heap_vbase) of an address; for readable CHECKs. */
static uintptr_t pn(uintptr_t addr)
{
	return addr == 0 ? (uintptr_t)-1 : (addr - G->heap_vbase) >> G->page_shift;
}

static void grow_chunks(struct fz_refmodel *m, unsigned first_chunk, unsigned nchunks)
{
	CHECK(fz_ref_grow(m, pg((uintptr_t)first_chunk * PH_CHUNK_PAGES),
			  (uintptr_t)nchunks << ph_log_chunk_bytes(G)));
}

static void new_model(struct fz_refmodel *m)
{
	if (!fz_ref_init(m, G)) {
		fprintf(stderr, "fz_ref_init: out of memory\n");
		abort();
	}
}

/* ---- the model ---------------------------------------------------------- */

static void test_grow_rules(void)
{
	struct fz_refmodel m;
	new_model(&m);
	uintptr_t chunk = ph_chunk_bytes(G);

	CHECK(fz_ref_grow(&m, pg(512), chunk));
	CHECK_EQ_U(fz_ref_flags(&m, pg(512)), FZ_REF_GROWN | FZ_REF_SCAV);
	CHECK_EQ_U(fz_ref_flags(&m, pg(1023)), FZ_REF_GROWN | FZ_REF_SCAV);
	CHECK_EQ_U(fz_ref_flags(&m, pg(511)), 0);
	CHECK_EQ_U(fz_ref_flags(&m, pg(1024)), 0);
	/* Overlap, misalignment, empty and out-of-slot growth are refused
	 * and change nothing. */
	CHECK(!fz_ref_grow(&m, pg(0), 2 * chunk));
	CHECK(!fz_ref_grow(&m, pg(1), chunk));
	CHECK(!fz_ref_grow(&m, pg(0), chunk / 2));
	CHECK(!fz_ref_grow(&m, pg(0), 0));
	CHECK(!fz_ref_grow(&m, G->heap_vbase - chunk, chunk));
	CHECK(!fz_ref_grow(&m, pg((uintptr_t)G->max_arenas * ph_arena_pages(G) - 512), 2 * chunk));
	CHECK_EQ_U(fz_ref_flags(&m, pg(0)), 0);
	/* The last chunk of the slots is fine. */
	CHECK(fz_ref_grow(&m, pg((uintptr_t)G->max_arenas * ph_arena_pages(G) - 512), chunk));

	/* Reset forgets everything. */
	fz_ref_reset(&m);
	CHECK_EQ_U(fz_ref_flags(&m, pg(512)), 0);
	uintptr_t scav;
	CHECK_EQ_U(fz_ref_alloc(&m, 1, &scav), 0);
	fz_ref_destroy(&m);
}

static void test_first_fit_with_holes(void)
{
	struct fz_refmodel m;
	uintptr_t scav;
	new_model(&m);
	grow_chunks(&m, 0, 1);

	CHECK_EQ_U(pn(fz_ref_alloc(&m, 10, &scav)), 0);  /* pages 0..9 */
	CHECK_EQ_U(scav, 10);                            /* fresh memory */
	CHECK_EQ_U(pn(fz_ref_alloc(&m, 5, &scav)), 10);  /* 10..14 */
	CHECK_EQ_U(pn(fz_ref_alloc(&m, 20, &scav)), 15); /* 15..34 */
	CHECK(fz_ref_free(&m, pg(10), 5));               /* hole 10..14 */
	CHECK_EQ_U(fz_ref_flags(&m, pg(10)), FZ_REF_GROWN); /* free, not scavenged */
	CHECK(!fz_ref_free(&m, pg(10), 1));              /* already free */

	CHECK_EQ_U(pn(fz_ref_alloc(&m, 3, &scav)), 10);  /* first fit: the hole */
	CHECK_EQ_U(scav, 0);                             /* freed pages are not scavenged */
	CHECK_EQ_U(pn(fz_ref_alloc(&m, 3, &scav)), 35);  /* 13..14 too small */
	CHECK_EQ_U(scav, 3);
	CHECK_EQ_U(pn(fz_ref_alloc(&m, 2, &scav)), 13);  /* exactly fills the rest */
	CHECK_EQ_U(scav, 0);

	/* 0..37 in use: 474 pages left, so 475 fails and 474 fits. */
	CHECK_EQ_U(fz_ref_alloc(&m, 475, &scav), 0);
	CHECK_EQ_U(scav, 0);
	CHECK_EQ_U(pn(fz_ref_alloc(&m, 474, &scav)), 38);
	CHECK_EQ_U(scav, 474);
	CHECK_EQ_U(fz_ref_alloc(&m, 1, &scav), 0);
	fz_ref_destroy(&m);
}

static void test_runs_straddle_chunks_and_arenas_not_gaps(void)
{
	struct fz_refmodel m;
	uintptr_t scav;
	new_model(&m);
	/* Chunks 0 and 1 (grown separately but adjacent), a gap at chunk 2,
	 * then chunks 3 (end of arena 0) and 4 (start of arena 1). */
	grow_chunks(&m, 0, 1);
	grow_chunks(&m, 1, 1);
	grow_chunks(&m, 3, 2);

	CHECK_EQ_U(pn(fz_ref_alloc(&m, 500, &scav)), 0);
	/* 500..1023 is 524 pages; 600 cannot cross the ungrown chunk 2, so
	 * it goes to 1536 and runs across the arena boundary at 2048. */
	CHECK_EQ_U(pn(fz_ref_alloc(&m, 600, &scav)), 1536);
	CHECK_EQ_U(scav, 600);
	CHECK_EQ_U(fz_ref_flags(&m, pg(2048)), FZ_REF_GROWN | FZ_REF_IN_USE);
	/* The 524-page hole across the chunk 0/1 boundary fits exactly. */
	CHECK_EQ_U(pn(fz_ref_alloc(&m, 524, &scav)), 500);
	CHECK_EQ_U(scav, 524);
	/* What is left: 2136..2559 (424 pages). */
	CHECK_EQ_U(fz_ref_alloc(&m, 425, &scav), 0);
	CHECK_EQ_U(pn(fz_ref_alloc(&m, 1, &scav)), 2136);
	fz_ref_destroy(&m);
}

static void test_alloc_to_cache_block_choice(void)
{
	struct fz_refmodel m;
	uintptr_t scav;
	new_model(&m);
	grow_chunks(&m, 0, 1);

	/* Empty heap: an empty cache. */
	struct fz_refmodel empty;
	new_model(&empty);
	struct fz_refcache none = fz_ref_alloc_to_cache(&empty);
	CHECK_EQ_U(none.base, 0);
	CHECK_EQ_U(none.cache, 0);
	fz_ref_destroy(&empty);

	/* 0..69 in use, then free 66..67 (unscavenged) inside the block. */
	CHECK_EQ_U(pn(fz_ref_alloc(&m, 66, &scav)), 0);
	CHECK_EQ_U(pn(fz_ref_alloc(&m, 2, &scav)), 66);
	CHECK_EQ_U(pn(fz_ref_alloc(&m, 2, &scav)), 68);
	CHECK(fz_ref_free(&m, pg(66), 2));

	/* Lowest free page 66: block 64..127.  Free: 66, 67 (bits 2, 3) and
	 * 70..127 (bits 6..63); scavenged: only 70..127. */
	struct fz_refcache c = fz_ref_alloc_to_cache(&m);
	CHECK_EQ_U(pn(c.base), 64);
	CHECK_EQ_U(c.cache, ~0x3full | 0xcull);
	CHECK_EQ_U(c.scav, ~0x3full);
	/* The whole block is in use now and nothing in it is scavenged. */
	for (uintptr_t p = 64; p < 128; p++)
		CHECK_EQ_U(fz_ref_flags(&m, pg(p)), FZ_REF_GROWN | FZ_REF_IN_USE);
	CHECK_EQ_U(fz_ref_flags(&m, pg(128)), FZ_REF_GROWN | FZ_REF_SCAV);

	/* The next cache takes the next block, whatever lies below. */
	struct fz_refcache c2 = fz_ref_alloc_to_cache(&m);
	CHECK_EQ_U(pn(c2.base), 128);
	CHECK_EQ_U(c2.cache, ~0ull);
	CHECK_EQ_U(c2.scav, ~0ull);

	/* Cache allocation: first fit over the cache bits. */
	CHECK_EQ_U(pn(fz_ref_cache_alloc(&c, G, 1, &scav)), 66);
	CHECK_EQ_U(scav, 0);
	CHECK_EQ_U(pn(fz_ref_cache_alloc(&c, G, 2, &scav)), 70); /* 67 alone is too short */
	CHECK_EQ_U(scav, 2);
	CHECK_EQ_U(pn(fz_ref_cache_alloc(&c, G, 1, &scav)), 67);
	CHECK_EQ_U(c.cache, ~0xffull);
	CHECK_EQ_U(c.scav, ~0xffull);
	CHECK_EQ_U(fz_ref_cache_alloc(&c, G, 57, &scav), 0); /* 56 left */
	CHECK_EQ_U(pn(fz_ref_cache_alloc(&c, G, 56, &scav)), 72);
	CHECK_EQ_U(scav, 56);
	CHECK_EQ_U(c.cache, 0);
	fz_ref_destroy(&m);
}

static void test_flush(void)
{
	struct fz_refmodel m;
	uintptr_t scav;
	new_model(&m);
	grow_chunks(&m, 0, 1);

	/* Pages 0..69 in use, 66..67 freed: the cache of the previous test. */
	CHECK_EQ_U(pn(fz_ref_alloc(&m, 66, &scav)), 0);
	CHECK_EQ_U(pn(fz_ref_alloc(&m, 2, &scav)), 66);
	CHECK_EQ_U(pn(fz_ref_alloc(&m, 2, &scav)), 68);
	CHECK(fz_ref_free(&m, pg(66), 2));
	struct fz_refcache c = fz_ref_alloc_to_cache(&m);
	CHECK_EQ_U(pn(fz_ref_cache_alloc(&c, G, 4, &scav)), 70); /* 70..73 */

	/* Flush: held pages come back free, scavenged where the cache says
	 * so; handed-out pages and pages in use before stay in use. */
	fz_ref_cache_flush(&m, &c);
	CHECK_EQ_U(c.base, 0);
	CHECK_EQ_U(c.cache, 0);
	CHECK_EQ_U(c.scav, 0);
	CHECK_EQ_U(fz_ref_flags(&m, pg(65)), FZ_REF_GROWN | FZ_REF_IN_USE);
	CHECK_EQ_U(fz_ref_flags(&m, pg(66)), FZ_REF_GROWN);
	CHECK_EQ_U(fz_ref_flags(&m, pg(67)), FZ_REF_GROWN);
	CHECK_EQ_U(fz_ref_flags(&m, pg(68)), FZ_REF_GROWN | FZ_REF_IN_USE);
	CHECK_EQ_U(fz_ref_flags(&m, pg(73)), FZ_REF_GROWN | FZ_REF_IN_USE);
	CHECK_EQ_U(fz_ref_flags(&m, pg(74)), FZ_REF_GROWN | FZ_REF_SCAV);
	CHECK_EQ_U(fz_ref_flags(&m, pg(127)), FZ_REF_GROWN | FZ_REF_SCAV);

	/* The heap is usable again, first fit from the bottom. */
	CHECK_EQ_U(pn(fz_ref_alloc(&m, 2, &scav)), 66);
	CHECK_EQ_U(scav, 0);
	CHECK_EQ_U(pn(fz_ref_alloc(&m, 1, &scav)), 74);
	CHECK_EQ_U(scav, 1);

	/* Flushing an empty cache does nothing. */
	fz_ref_cache_flush(&m, &c);
	CHECK_EQ_U(fz_ref_flags(&m, pg(75)), FZ_REF_GROWN | FZ_REF_SCAV);

	/* Chunk bitmaps as the real allocator shows them. */
	uint64_t used[PH_CHUNK_PAGES / 64], sc[PH_CHUNK_PAGES / 64];
	fz_ref_chunk_bits(&m, pg(0), used, sc);
	CHECK_EQ_U(used[0], ~0ull);
	CHECK_EQ_U(used[1], 0x7ffull); /* 64..74 */
	CHECK_EQ_U(sc[0], 0);
	CHECK_EQ_U(sc[1], ~0x7ffull);
	CHECK_EQ_U(used[2], 0);
	CHECK_EQ_U(sc[2], ~0ull);
	fz_ref_destroy(&m);
}

/* ---- the differential check on fixed inputs ------------------------------ */

static struct fz_pagediff *new_diff(void)
{
	char err[200];
	struct fz_pagediff *d = fz_pagediff_new(G, err, sizeof err);
	if (d == NULL) {
		fprintf(stderr, "fz_pagediff_new: %s\n", err);
		abort();
	}
	return d;
}

static void expect_agreement(struct fz_pagediff *d, const uint8_t *data, size_t size, const char *what)
{
	struct fz_verdict v;
	if (!fz_pagediff_run(d, data, size, &v)) {
		CHECK_MSG(false, "%s: %s: %s", what, v.oracle, v.msg);
		fz_pagediff_print_ops(d, stderr);
	}
}

/* Hand-written inputs in the encoding of fz_pagediff.h:
 * grow 0 b [chunk], alloc 2 class n.., free 7 sel, refill 10 k,
 * cache alloc 12 (k | (n-1) << 2), flush 14 k. */
static const uint8_t seed_basic[] = {
	0, 6 << 1 | 1,          /* grow 7 chunks after the highest growth */
	2, 0, 9,                /* alloc 10 */
	2, 2, 0xff, 0x01,       /* alloc 512 */
	2, 3, 0x33, 0x08,       /* alloc 2100 (straddles chunks and an arena) */
	7, 0,                   /* free the first */
	10, 1,                  /* refill cache 1 */
	12, 1 | 3 << 2,         /* cache 1 alloc 4 */
	2, 0, 0,                /* alloc 1 */
	14, 1,                  /* flush cache 1 */
	2, 1, 40,               /* alloc 41 */
};
static const uint8_t seed_discontiguous[] = {
	0, 0 << 1, 20,          /* grow 1 chunk at chunk 20 (A5:0) */
	0, 1 << 1, 2,           /* grow chunks 2..3 (A0:1024), below: lowers searchAddr */
	2, 2, 0x57, 0x02,       /* alloc 600 -> A0:1024 */
	2, 2, 0xff, 0x01,       /* alloc 512 -> A5:0 (424 left below) */
	2, 2, 0xa7, 0x01,       /* alloc 424 -> A0:1624: heap exhausted */
	2, 0, 0,                /* alloc 1 fails */
	10, 0,                  /* refill cache 0: nothing free, empty cache */
	7, 1,                   /* free the 512 at A5:0 */
	2, 0, 3,                /* alloc 4 -> A5:0 */
};

static void test_replay_fixed_inputs(void)
{
	struct fz_pagediff *d = new_diff();
	expect_agreement(d, NULL, 0, "empty input");
	expect_agreement(d, seed_basic, sizeof seed_basic, "seed_basic");
	expect_agreement(d, seed_discontiguous, sizeof seed_discontiguous, "seed_discontiguous");
	/* Every single byte value on its own, and long runs of one value. */
	uint8_t buf[600];
	for (unsigned b = 0; b < 256; b++) {
		char what[40];
		buf[0] = (uint8_t)b;
		snprintf(what, sizeof what, "byte %#x", b);
		expect_agreement(d, buf, 1, what);
		memset(buf, (int)b, sizeof buf);
		snprintf(what, sizeof what, "600 times byte %#x", b);
		expect_agreement(d, buf, sizeof buf, what);
	}
	fz_pagediff_delete(d);
}

/* Pseudo-random inputs from a fixed generator, so every run replays the
 * same ones: a cheap sweep of the operation mix in every test variant. */
static void test_replay_generated_inputs(void)
{
	struct fz_pagediff *d = new_diff();
	uint64_t state = 0x9e3779b97f4a7c15ull;
	uint8_t buf[700];
	for (unsigned n = 0; n < 150; n++) {
		size_t size = 20 + n * 4;
		for (size_t i = 0; i < size; i++) {
			state = state * 6364136223846793005ull + 1442695040888963407ull;
			uint8_t b = (uint8_t)(state >> 56);
			/* Every fourth byte a grow or alloc selector, so heaps
			 * fill up rather than staying tiny. */
			if (i % 4 == 0 && (b & 1))
				b = (uint8_t)((b >> 1) % 7);
			buf[i] = b;
		}
		char what[40];
		snprintf(what, sizeof what, "generated input %u", n);
		expect_agreement(d, buf, size, what);
	}
	fz_pagediff_delete(d);
}

int main(int argc, char **argv)
{
	ph_test_init(argc, argv);
	ph_test_run("refmodel_grow_rules", test_grow_rules);
	ph_test_run("refmodel_first_fit_with_holes", test_first_fit_with_holes);
	ph_test_run("refmodel_runs_straddle_chunks_and_arenas_not_gaps", test_runs_straddle_chunks_and_arenas_not_gaps);
	ph_test_run("refmodel_alloc_to_cache_block_choice", test_alloc_to_cache_block_choice);
	ph_test_run("refmodel_flush", test_flush);
	ph_test_run("pagediff_replay_fixed_inputs", test_replay_fixed_inputs);
	ph_test_run("pagediff_replay_generated_inputs", test_replay_generated_inputs);
	return ph_test_finish();
}
