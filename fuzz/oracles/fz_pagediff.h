/*
 * fz_pagediff.h - the differential check behind fuzz_pagealloc: one input's
 * bytes, decoded into page-allocator operations, run on the real page
 * allocator (ph_pagealloc plus FZ_PAGEDIFF_CACHES page caches) and on the
 * reference model (fz_refmodel.h) side by side.
 *
 * Kept out of the target file so unit tests can replay inputs without
 * libFuzzer's main.  Single-threaded: the page allocator is driven directly,
 * with no heap lock and no scheduler.
 *
 * Input encoding (all reads through fz_reader, so every byte string is
 * valid; up to FZ_PAGEDIFF_MAX_OPS operations, fewer when the bytes run
 * out).  Each operation is one selector byte s, then its arguments:
 *
 *   s % 16   operation     arguments
 *   0-1      grow          b: nchunks = 1 + (b >> 1) % 16; b & 1 = place
 *                          right after the highest grown chunk, else one
 *                          more byte: first chunk = fz_range(0, slots-1).
 *                          Trimmed to the ungrown chunks from there (never
 *                          overlaps earlier growth); nothing left = skipped.
 *   2-6      alloc         c: c % 4 picks the size class, then npages =
 *                          fz_range(1, 16 | 64 | 512 | 2100)
 *   7-9      free          one byte: live allocation number byte % nlive
 *   10-11    refill        one byte: cache k = byte % 4; a non-empty cache
 *                          is flushed first (Go refills only empty caches)
 *   12-13    cache alloc   b: cache k = b & 3, npages = 1 + (b >> 2) % 15
 *   14-15    flush         one byte: cache k = byte % 4
 *
 * After the last operation every cache is flushed and every live allocation
 * freed (logged as "drain" operations), and the heap is checked once more.
 *
 * Checks (oracle "PAGEALLOC"): after every operation its results (base,
 * scavenged bytes, cache base and bits); every FZ_PAGEDIFF_CHECK_EVERY
 * operations and at the end, ph_pagealloc_verify and the allocation and
 * scavenged bitmaps of every chunk against the model, and the grown chunks
 * against the allocator's inUse set.
 */
#ifndef FZ_PAGEDIFF_H
#define FZ_PAGEDIFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "fz_oracle.h"
#include "ph_geom.h"

#define FZ_PAGEDIFF_MAX_OPS 200
#define FZ_PAGEDIFF_CACHES 4
#define FZ_PAGEDIFF_CHECK_EVERY 8

struct fz_pagediff;

/* Creates the context (real allocator, caches, model) for geometry g,
 * reused across inputs; NULL with a reason in err on failure. */
struct fz_pagediff *fz_pagediff_new(const ph_geom *g, char *err, size_t errlen);
void fz_pagediff_delete(struct fz_pagediff *d);

/* Runs one input from a fresh heap.  True when the allocator agreed with
 * the model throughout; otherwise false with v filled (oracle PAGEALLOC,
 * a one-line message naming the operation).  A throw from the allocator
 * goes to the installed ph_throw handler, as always. */
bool fz_pagediff_run(struct fz_pagediff *d, const uint8_t *data, size_t size, struct fz_verdict *v);

/* The operations of the last (or current) run, one human-readable line
 * each, addresses as A<arena slot>:<page> relative to heap_vbase. */
void fz_pagediff_print_ops(const struct fz_pagediff *d, FILE *f);
/* "op #N (<operation>)" for the operation being run (or run last). */
void fz_pagediff_current_op(const struct fz_pagediff *d, char *buf, size_t n);

#endif
