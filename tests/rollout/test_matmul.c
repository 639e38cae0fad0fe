/* tests/rollout/test_matmul.c: the property reproducible sampling rests on. rollout_dot equals,
 * bit for bit, the portable definition written here (16 fused multiply-add lanes, lane k % 16,
 * reduction (l, l+8), (l, l+4), (0, 2) + (1, 3)) for every length 1 .. 200 (tails included), so
 * the AVX-512 and portable builds agree; and every element of rollout_matmul equals the
 * rollout_dot of its two rows whatever the number of rows N (1 .. 70, edges of the 4 x 4 tiles
 * and of the 64-row blocks), the number of columns and the thread count (1, 2, 3); and every
 * element of a strided rollout_dots block and of rollout_dots_c over vectors in chunks of
 * sixteen (attention's scores against the key cache) equals its rollout_dot; and
 * rollout_weighted_sum equals the scalar loop of fused multiply-adds in order. Also checked
 * against a double-precision product (tolerance 1e-5 relative to sum |a_k w_k|; seen < 1e-6). */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static float portable_dot(const float *a, const float *b, int K) {
    float acc[16] = {0};
    for (int k = 0; k < K; k++) acc[k % 16] = fmaf(a[k], b[k], acc[k % 16]);
    float s8[8], s4[4];
    for (int l = 0; l < 8; l++) s8[l] = acc[l] + acc[l + 8];
    for (int l = 0; l < 4; l++) s4[l] = s8[l] + s8[l + 4];
    return (s4[0] + s4[2]) + (s4[1] + s4[3]);
}

static float rnd(uint64_t *s) {
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return (float)((double)(*s >> 40) / (double)(1 << 24) * 2.0 - 1.0);
}

static int bits_equal(float a, float b) {
    return memcmp(&a, &b, sizeof a) == 0;
}

static void dot_is_portable(void **state) {
    (void)state;
    uint64_t s = 1;
    float a[200], b[200];
    for (int K = 1; K <= 200; K++) {
        for (int k = 0; k < K; k++) a[k] = rnd(&s), b[k] = rnd(&s);
        float got = rollout_dot(a, b, K), want = portable_dot(a, b, K);
        if (!bits_equal(got, want)) fail_msg("K %d: %.9g vs portable %.9g", K, got, want);
    }
}

static void matmul_rows_independent(void **state) {
    (void)state;
    uint64_t s = 7;
    const int IC = 37, OC = 23, NMAX = 70;
    float *x = malloc((size_t)NMAX * IC * 4), *w = malloc((size_t)OC * IC * 4), b[23];
    float *out = malloc((size_t)NMAX * OC * 4);
    for (int i = 0; i < NMAX * IC; i++) x[i] = rnd(&s);
    for (int i = 0; i < OC * IC; i++) w[i] = rnd(&s);
    for (int i = 0; i < OC; i++) b[i] = rnd(&s);
    double worst = 0.0;
    for (int threads = 1; threads <= 3; threads++) {
        rlpt_pool pool;
        assert_int_equal(rlpt_pool_init(&pool, threads, NULL), 0);
        for (int N = 1; N <= NMAX; N += (N < 10 ? 1 : 13)) {
            for (int oc = 1; oc <= OC; oc += 5) {
                /* a shifted window of rows: row r of this call is row r + off of x */
                int off = (N * 3) % (NMAX - N + 1);
                rollout_matmul(&pool, out, x + (size_t)off * IC, w, b, N, IC, oc);
                for (int r = 0; r < N; r++)
                    for (int o = 0; o < oc; o++) {
                        const float *xr = x + (size_t)(r + off) * IC, *wo = w + (size_t)o * IC;
                        float want = rollout_dot(xr, wo, IC) + b[o];
                        float got = out[(size_t)r * oc + o];
                        if (!bits_equal(got, want))
                            fail_msg("N %d oc %d threads %d: [%d,%d] %.9g vs %.9g", N, oc, threads,
                                     r, o, got, want);
                        double ref = b[o], mag = fabs(b[o]);
                        for (int k = 0; k < IC; k++) {
                            ref += (double)xr[k] * wo[k];
                            mag += fabs((double)xr[k] * wo[k]);
                        }
                        double e = fabs(got - ref) / mag;
                        worst = e > worst ? e : worst;
                        assert_true(e <= 1e-5);
                    }
            }
        }
        rlpt_pool_free(&pool);
    }
    print_message("rollout_matmul vs double: max relative error %.2g\n", worst);
    free(x);
    free(w);
    free(out);
}

/* Blocks of 1..4 x 1..4 dots with row strides longer than the dot, as attention uses them (query
 * heads D apart, cached keys KVH*D apart). */
static void dots_block_is_dots(void **state) {
    (void)state;
    uint64_t s = 11;
    enum { LDA = 53, LDW = 71, KMAX = 40 };
    float a[4 * LDA], w[4 * LDW], out[4 * 9];
    for (int i = 0; i < 4 * LDA; i++) a[i] = rnd(&s);
    for (int i = 0; i < 4 * LDW; i++) w[i] = rnd(&s);
    for (int K = 1; K <= KMAX; K += 3)
        for (int rn = 1; rn <= 4; rn++)
            for (int ro = 1; ro <= 4; ro++) {
                memset(out, 0, sizeof out);
                rollout_dots(out, 9, a, LDA, w, LDW, K, rn, ro);
                for (int i = 0; i < rn; i++)
                    for (int j = 0; j < ro; j++) {
                        float want = rollout_dot(a + i * LDA, w + j * LDW, K);
                        if (!bits_equal(out[i * 9 + j], want))
                            fail_msg("K %d block %dx%d: [%d,%d] %.9g vs %.9g", K, rn, ro, i, j,
                                     out[i * 9 + j], want);
                    }
            }
}

/* Dots against the columns of a transposed matrix, for lengths below, at and past 16 (lane
 * tails) and column counts that end mid-vector. */
static void dots_chunked_is_dots(void **state) {
    (void)state;
    uint64_t s = 13;
    enum { KMAX = 70, NMAX = 37, NPAD = 48 };
    float a[KMAX], kc[KMAX * NPAD], col[KMAX], out[NMAX];
    for (int i = 0; i < KMAX; i++) a[i] = rnd(&s);
    for (int i = 0; i < KMAX * NPAD; i++) kc[i] = rnd(&s);
    for (int K = 1; K <= KMAX; K += 3)
        for (int n = 1; n <= NMAX; n += 4) {
            rollout_dots_c(out, a, kc, K, n);
            for (int j = 0; j < n; j++) {
                for (int k = 0; k < K; k++) col[k] = kc[(j / 16) * 16 * K + k * 16 + j % 16];
                float want = rollout_dot(a, col, K);
                if (!bits_equal(out[j], want))
                    fail_msg("K %d n %d: [%d] %.9g vs %.9g", K, n, j, out[j], want);
            }
        }
}

/* Weighted sums of value rows for widths below, at and past the 128 components of one pass. */
static void weighted_sum_is_fma_loop(void **state) {
    (void)state;
    uint64_t s = 17;
    enum { DMAX = 150, NMAX = 21, LDV = 157 };
    float *v = malloc(sizeof(float) * NMAX * LDV), p[NMAX], out[DMAX + 1], want[DMAX];
    for (int i = 0; i < NMAX * LDV; i++) v[i] = rnd(&s);
    for (int j = 0; j < NMAX; j++) p[j] = rnd(&s);
    for (int D = 1; D <= DMAX; D += 7)
        for (int n = 1; n <= NMAX; n += 5) {
            out[D] = 12345.0f; /* past the end: must stay */
            rollout_weighted_sum(out, p, v, LDV, n, D);
            for (int d = 0; d < D; d++) want[d] = 0.0f;
            for (int j = 0; j < n; j++)
                for (int d = 0; d < D; d++) want[d] = fmaf(p[j], v[j * LDV + d], want[d]);
            for (int d = 0; d < D; d++)
                if (!bits_equal(out[d], want[d]))
                    fail_msg("D %d n %d: [%d] %.9g vs %.9g", D, n, d, out[d], want[d]);
            assert_true(out[D] == 12345.0f);
        }
    free(v);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(dot_is_portable),          cmocka_unit_test(matmul_rows_independent),
        cmocka_unit_test(dots_block_is_dots),       cmocka_unit_test(dots_chunked_is_dots),
        cmocka_unit_test(weighted_sum_is_fma_loop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
