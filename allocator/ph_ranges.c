/* ph_ranges.c - sorted range set with binary-search insertion. */
#include "ph_hooks.h"
#include "ph_ranges.h"

#include <stdlib.h>
#include <string.h>

#include "ph_throw.h"

void ph_ranges_init(ph_ranges *a)
{
	a->n = 0;
	a->cap = 16;
	a->r = calloc(a->cap, sizeof *a->r);
	if (PH_NULL(a->r))
		ph_throwf("out of memory", "cannot allocate the in-use range list");
}

void ph_ranges_destroy(ph_ranges *a)
{
	free(a->r);
	a->r = NULL;
	a->n = a->cap = 0;
}

size_t ph_ranges_find_succ(const ph_ranges *a, uintptr_t addr)
{
	size_t lo = 0, hi = a->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (addr < a->r[mid].base)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

void ph_ranges_add(ph_ranges *a, ph_range r)
{
	size_t i = ph_ranges_find_succ(a, r.base);
	bool merges_down = i > 0 && a->r[i - 1].limit == r.base;
	bool merges_up = i < a->n && r.limit == a->r[i].base;

	if (merges_down && merges_up) {
		a->r[i - 1].limit = a->r[i].limit;
		memmove(&a->r[i], &a->r[i + 1], (a->n - i - 1) * sizeof *a->r);
		a->n--;
	} else if (merges_down) {
		a->r[i - 1].limit = r.limit;
	} else if (merges_up) {
		a->r[i].base = r.base;
	} else {
		if (a->n == a->cap) {
			ph_range *bigger = realloc(a->r, 2 * a->cap * sizeof *a->r);
			if (PH_NULL(bigger))
				ph_throwf("out of memory", "cannot grow the in-use range list");
			a->r = bigger;
			a->cap *= 2;
		}
		memmove(&a->r[i + 1], &a->r[i], (a->n - i) * sizeof *a->r);
		a->r[i] = r;
		a->n++;
	}
}

bool ph_ranges_contains(const ph_ranges *a, uintptr_t addr)
{
	size_t i = ph_ranges_find_succ(a, addr);
	return i > 0 && addr < a->r[i - 1].limit;
}

bool ph_ranges_find_ge(const ph_ranges *a, uintptr_t addr, uintptr_t *out)
{
	size_t i = ph_ranges_find_succ(a, addr);
	if (i > 0 && addr < a->r[i - 1].limit) {
		*out = addr;
		return true;
	}
	if (i < a->n) {
		*out = a->r[i].base;
		return true;
	}
	return false;
}
