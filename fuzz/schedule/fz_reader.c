/* fz_reader.c - byte reader and writer. */
#include "fz_reader.h"

uint8_t fz_u8(fz_reader *r)
{
	return r->pos < r->size ? r->data[r->pos++] : 0;
}

uint16_t fz_u16(fz_reader *r)
{
	uint16_t lo = fz_u8(r);
	return (uint16_t)(lo | (uint16_t)fz_u8(r) << 8);
}

uint32_t fz_u32(fz_reader *r)
{
	uint32_t lo = fz_u16(r);
	return lo | (uint32_t)fz_u16(r) << 16;
}

unsigned fz_range(fz_reader *r, unsigned lo, unsigned hi)
{
	unsigned span = hi - lo + 1;
	if (span <= 256)
		return lo + fz_u8(r) % span;
	return lo + fz_u16(r) % span;
}

void fz_put_u8(fz_writer *w, uint8_t v)
{
	if (w->len < w->cap)
		w->data[w->len++] = v;
	else
		w->overflow = true;
}

void fz_put_u16(fz_writer *w, uint16_t v)
{
	fz_put_u8(w, (uint8_t)v);
	fz_put_u8(w, (uint8_t)(v >> 8));
}

void fz_put_u32(fz_writer *w, uint32_t v)
{
	fz_put_u16(w, (uint16_t)v);
	fz_put_u16(w, (uint16_t)(v >> 16));
}

void fz_put_range(fz_writer *w, unsigned lo, unsigned hi, unsigned v)
{
	unsigned span = hi - lo + 1;
	if (span <= 256)
		fz_put_u8(w, (uint8_t)(v - lo));
	else
		fz_put_u16(w, (uint16_t)(v - lo));
}
