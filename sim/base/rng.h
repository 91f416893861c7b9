/* rng.h -- a small, fast, seedable random stream (xoshiro256**, seeded by
 * splitmix64). Every model that needs randomness owns one or more streams,
 * so results depend only on --seed and the order of draws in each stream. */
#ifndef EVSIM_RNG_H
#define EVSIM_RNG_H

#include <math.h>
#include <stdint.h>

typedef struct {
    uint64_t s[4];
} rng_stream;

static inline uint64_t rng__splitmix(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Streams seeded with the same (seed, stream_id) are identical; different
 * stream ids give independent-looking streams. */
static inline void rng_seed(rng_stream *r, uint64_t seed, uint64_t stream_id)
{
    uint64_t x = seed ^ (stream_id * 0xd1b54a32d192ed03ull);
    for (int i = 0; i < 4; i++)
        r->s[i] = rng__splitmix(&x);
}

static inline uint64_t rng__rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static inline uint64_t rng_next(rng_stream *r)
{
    uint64_t *s = r->s;
    uint64_t out = rng__rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rng__rotl(s[3], 45);
    return out;
}

/* Uniform in [0, 1) with 53 random bits. */
static inline double rng_uniform(rng_stream *r)
{
    return (double)(rng_next(r) >> 11) * 0x1.0p-53;
}

/* Uniform integer in [0, n), n > 0, without modulo bias (Lemire). */
static inline uint64_t rng_below(rng_stream *r, uint64_t n)
{
    for (;;) {
        __uint128_t m = (__uint128_t)rng_next(r) * n;
        uint64_t lo = (uint64_t)m;
        if (lo >= n || lo >= (uint64_t)(-n) % n)
            return (uint64_t)(m >> 64);
    }
}

/* Bernoulli trial with probability p. */
static inline int rng_bernoulli(rng_stream *r, double p)
{
    return rng_uniform(r) < p;
}

/* Exponentially distributed with the given mean. */
static inline double rng_exponential(rng_stream *r, double mean)
{
    return -mean * log1p(-rng_uniform(r));
}

#endif
