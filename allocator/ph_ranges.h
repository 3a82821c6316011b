/*
 * ph_ranges.h - a sorted set of disjoint address ranges (Go: addrRanges in
 * mranges.go), used for the page allocator's inUse set: every range ever
 * passed to grow.  Adjacent ranges are merged on insert.  The set starts
 * with room for 16 ranges and doubles as needed.
 *
 * Protected by the heap lock (through the page allocator that owns it).
 */
#ifndef PH_RANGES_H
#define PH_RANGES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct ph_range {
	uintptr_t base, limit; /* [base, limit) */
} ph_range;

typedef struct ph_ranges {
	ph_range *r;
	size_t n, cap;
} ph_ranges;

void ph_ranges_init(ph_ranges *a);
void ph_ranges_destroy(ph_ranges *a);
/* Index of the first range whose base is above addr (n if none). */
size_t ph_ranges_find_succ(const ph_ranges *a, uintptr_t addr);
/* Adds r, which must not overlap any range already in the set. */
void ph_ranges_add(ph_ranges *a, ph_range r);
bool ph_ranges_contains(const ph_ranges *a, uintptr_t addr);
/* Smallest address in the set that is >= addr; false if there is none. */
bool ph_ranges_find_ge(const ph_ranges *a, uintptr_t addr, uintptr_t *out);

#endif
