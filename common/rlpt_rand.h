/* common/rlpt_rand.h: the stateless mixing function behind rlpt's counter-based randomness:
 * a value is a function of (seed, counters) only, so results do not depend on call order,
 * batch size or the number of ranks. splitmix64 finaliser (Steele, Lea, Flood 2014). */
#ifndef RLPT_RAND_H
#define RLPT_RAND_H

#include <stdint.h>

static inline uint64_t rlpt_mix64(uint64_t x) {
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

#endif
