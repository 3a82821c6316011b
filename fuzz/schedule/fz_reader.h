/*
 * fz_reader.h - the one way fuzz targets read their input bytes (in the
 * spirit of libFuzzer's FuzzedDataProvider, in C).
 *
 * Reads never fail: past the end every read yields zeros, so any byte
 * string decodes to something valid and short inputs mean "small".
 * fz_range maps bytes onto [lo, hi] by modulo, so a mutation that changes a
 * byte changes the value it encodes and nothing else.
 */
#ifndef FZ_READER_H
#define FZ_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct fz_reader {
	const uint8_t *data;
	size_t size;
	size_t pos;
} fz_reader;

static inline fz_reader fz_reader_make(const uint8_t *data, size_t size)
{
	return (fz_reader){data, size, 0};
}

static inline size_t fz_remaining(const fz_reader *r) { return r->size - r->pos; }
static inline bool fz_exhausted(const fz_reader *r) { return r->pos >= r->size; }

uint8_t fz_u8(fz_reader *r);
uint16_t fz_u16(fz_reader *r); /* little-endian */
uint32_t fz_u32(fz_reader *r); /* little-endian */
/* A value in [lo, hi] from one byte (hi - lo < 256) or two (otherwise). */
unsigned fz_range(fz_reader *r, unsigned lo, unsigned hi);

/* The matching writer, used by encoders to produce canonical bytes. */
typedef struct fz_writer {
	uint8_t *data;
	size_t cap;
	size_t len;
	bool overflow; /* set when a write did not fit */
} fz_writer;

void fz_put_u8(fz_writer *w, uint8_t v);
void fz_put_u16(fz_writer *w, uint16_t v);
void fz_put_u32(fz_writer *w, uint32_t v);
/* Writes the bytes fz_range(lo, hi) decodes as v (lo <= v <= hi). */
void fz_put_range(fz_writer *w, unsigned lo, unsigned hi, unsigned v);

#endif
