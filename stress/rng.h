/*
 * rng.h - the per-thread PRNG: xoshiro256** seeded through splitmix64.
 *
 * Each worker owns one generator seeded from (seed, thread), so a seed
 * fixes every worker's stream of random choices; what the threads do with
 * them still depends on the interleaving (how full the heap is, which
 * pages come back), which no seed can fix on real threads.
 */
#ifndef STRESS_RNG_H
#define STRESS_RNG_H

#include <stdint.h>

static inline uint64_t st_splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static inline void st_rng_seed(uint64_t s[4], uint64_t seed, unsigned stream)
{
	uint64_t x = seed ^ (0xd1b54a32d192ed03ull * (stream + 1));
	for (int i = 0; i < 4; i++)
		s[i] = st_splitmix64(&x);
}

static inline uint64_t st_rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static inline uint64_t st_rng_next(uint64_t s[4])
{
	uint64_t result = st_rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = st_rotl(s[3], 45);
	return result;
}

/* Uniform in [0, n); n > 0.  The modulo bias is irrelevant here. */
static inline uint64_t st_rng_below(uint64_t s[4], uint64_t n) { return st_rng_next(s) % n; }

#endif
