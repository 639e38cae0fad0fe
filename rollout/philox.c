/* rollout/philox.c: the counter-based generator behind every sampling decision, so that a
 * draw depends only on (seed, step, prompt id, sample index, position) and never on the order in
 * which sequences happen to be decoded. Leaves out streams of many draws (one decision needs one
 * uniform). Reference: Salmon, Moraes, Dror, Shaw, "Parallel random numbers: as easy as 1, 2,
 * 3" (SC 2011), Philox4x32-10; constants and known answers from Random123 (philox.h,
 * kat_vectors). */
#include "rollout.h"

#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u /* golden ratio */
#define PHILOX_W1 0xBB67AE85u /* sqrt(3) - 1 */

void rollout_philox4x32(uint32_t out[4], const uint32_t ctr[4], const uint32_t key[2]) {
    uint32_t c0 = ctr[0], c1 = ctr[1], c2 = ctr[2], c3 = ctr[3], k0 = key[0], k1 = key[1];
    for (int r = 0; r < 10; r++) {
        if (r > 0) { /* key schedule: bumped before every round but the first */
            k0 += PHILOX_W0;
            k1 += PHILOX_W1;
        }
        uint64_t p0 = (uint64_t)PHILOX_M0 * c0, p1 = (uint64_t)PHILOX_M1 * c2;
        uint32_t hi0 = (uint32_t)(p0 >> 32), lo0 = (uint32_t)p0;
        uint32_t hi1 = (uint32_t)(p1 >> 32), lo1 = (uint32_t)p1;
        c0 = hi1 ^ c1 ^ k0;
        c1 = lo1;
        c2 = hi0 ^ c3 ^ k1;
        c3 = lo0;
    }
    out[0] = c0;
    out[1] = c1;
    out[2] = c2;
    out[3] = c3;
}

double rollout_uniform(uint64_t seed, uint64_t step, uint64_t prompt_id, uint32_t sample,
                       uint32_t position) {
    uint32_t ctr[4] = {position, sample, (uint32_t)prompt_id, (uint32_t)step};
    uint32_t key[2] = {(uint32_t)seed, (uint32_t)(seed >> 32)};
    uint32_t r[4];
    rollout_philox4x32(r, ctr, key);
    uint64_t bits = ((uint64_t)r[0] << 21) ^ (r[1] >> 11); /* 53 bits */
    return (double)bits * (1.0 / 9007199254740992.0);      /* 2^-53 */
}
