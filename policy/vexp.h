/* policy/vexp.h: exp over sixteen floats at once (AVX-512), for the softmaxes and SwiGLU of
 * training, which called the scalar expf once per element: 12.6M calls per tiny training step
 * (SwiGLU) and 10M more in attention and the log-probs. Cody-Waite reduction x = n ln2 + r,
 * |r| <= ln2/2, then Cephes' degree-7 polynomial for exp(r) (the one of its expf) and 2^n by
 * vscalefps, which also gives the correct underflow to subnormals and 0. Inputs are clamped to
 * [-104, 89] (exp(-104) is below half the smallest subnormal; above 88.72 the result is inf);
 * NaN stays NaN. Relative error under 1 ulp against exp in double (seen: 1.14e-7,
 * tests/policy/test_model_kernels.c). Without AVX-512, policy_exp16 is libm's expf on each
 * element, so values differ in the last bits between the two builds, as OpenBLAS's differ
 * between its cores. Reference: Cephes expf.c (S. Moshier). */
#ifndef RLPT_POLICY_VEXP_H
#define RLPT_POLICY_VEXP_H

#include <math.h>

#if defined(__AVX512F__)
#include <immintrin.h>

/* The first min(left, 16) lanes (left > 0): the mask of a loop's last, partial vector. */
static inline __mmask16 policy_mask16(long left) {
    return left >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << left) - 1u);
}

static inline __m512 policy_exp512(__m512 x) {
    x = _mm512_max_ps(_mm512_set1_ps(-104.0f), x); /* NaN in x: x (the second operand) */
    x = _mm512_min_ps(_mm512_set1_ps(89.0f), x);   /* above 88.72: inf, by vscalefps */
    __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                    _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
    __m512 p = _mm512_set1_ps(1.9875691500e-4f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
    p = _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
    return _mm512_scalef_ps(p, n);
}
#endif

/* y[i] = exp(x[i]) for i < m (m <= 16); y may be x. */
static inline void policy_exp16(float *y, const float *x, int m) {
#if defined(__AVX512F__)
    __mmask16 k = policy_mask16(m);
    _mm512_mask_storeu_ps(y, k, policy_exp512(_mm512_maskz_loadu_ps(k, x)));
#else
    for (int i = 0; i < m; i++) y[i] = expf(x[i]);
#endif
}

/* sum of x[0 .. n-1] in double, in sixteen lanes (lane l: the elements i = l mod 16, in order)
 * added pairwise at the end: a fixed order, vectorised, without a long dependency chain. */
static inline double policy_sum_f64(const float *x, long n) {
    double acc[16] = {0};
    long i = 0;
    for (; i + 16 <= n; i += 16)
        for (int l = 0; l < 16; l++) acc[l] += x[i + l];
    for (int l = 0; i + l < n; l++) acc[l] += x[i + l];
    for (int w = 8; w >= 1; w /= 2)
        for (int l = 0; l < w; l++) acc[l] += acc[l + w];
    return acc[0];
}

/* The largest of x[0 .. n-1] (-inf for n = 0), NaNs skipped as by `x > m ? x : m`: the same
 * value as that scalar loop, in sixteen lanes (max is exact, so the order does not matter; only
 * the sign of a zero maximum may differ). The scalar loop is a chain of vmaxss latencies: a third
 * of the attention forward's own time. */
static inline float policy_max_f32(const float *x, long n) {
#if defined(__AVX512F__)
    __m512 m = _mm512_set1_ps(-INFINITY);
    long i = 0;
    for (; i + 16 <= n; i += 16) m = _mm512_max_ps(_mm512_loadu_ps(x + i), m);
    if (i < n)
        m = _mm512_mask_max_ps(m, policy_mask16(n - i),
                               _mm512_maskz_loadu_ps(policy_mask16(n - i), x + i), m);
    return _mm512_reduce_max_ps(m);
#else
    float m = -INFINITY;
    for (long i = 0; i < n; i++) m = x[i] > m ? x[i] : m;
    return m;
#endif
}

/* sum of x[i] * y[i] in double, in the same sixteen lanes as policy_sum_f64 */
static inline double policy_dot_f64(const float *x, const float *y, long n) {
    double acc[16] = {0};
    long i = 0;
    for (; i + 16 <= n; i += 16)
        for (int l = 0; l < 16; l++) acc[l] += (double)x[i + l] * y[i + l];
    for (int l = 0; i + l < n; l++) acc[l] += (double)x[i + l] * y[i + l];
    for (int w = 8; w >= 1; w /= 2)
        for (int l = 0; l < w; l++) acc[l] += acc[l + w];
    return acc[0];
}

/* y[i] = exp(x[i]) for i < n; y may be x. */
static inline void policy_exp_array(float *y, const float *x, long n) {
    for (long i = 0; i < n; i += 16) policy_exp16(y + i, x + i, n - i < 16 ? (int)(n - i) : 16);
}

/* y[i] = exp(x[i] - sub) for i < n (y may be x), and returns their sum: in one pass, the same
 * bits as the subtraction, policy_exp_array and policy_sum_f64 in turn (softmax rows). */
static inline double policy_exp_sub_sum(float *y, const float *x, float sub, long n) {
#if defined(__AVX512F__)
    __m512d lo = _mm512_setzero_pd(), hi = _mm512_setzero_pd(); /* lanes 0-7, 8-15 */
    __m512 vs = _mm512_set1_ps(sub);
    for (long i = 0; i < n; i += 16) {
        __mmask16 k = policy_mask16(n - i);
        __m512 e = policy_exp512(_mm512_sub_ps(_mm512_maskz_loadu_ps(k, x + i), vs));
        e = _mm512_maskz_mov_ps(k, e); /* lanes past n add 0, as policy_sum_f64 adds nothing */
        _mm512_mask_storeu_ps(y + i, k, e);
        lo = _mm512_add_pd(lo, _mm512_cvtps_pd(_mm512_castps512_ps256(e)));
        hi = _mm512_add_pd(
            hi, _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(e), 1))));
    }
    lo = _mm512_add_pd(lo, hi); /* then lanes l += l + 4, l += l + 2, l += l + 1 */
    __m256d q = _mm256_add_pd(_mm512_castpd512_pd256(lo), _mm512_extractf64x4_pd(lo, 1));
    __m128d d = _mm_add_pd(_mm256_castpd256_pd128(q), _mm256_extractf128_pd(q, 1));
    return _mm_cvtsd_f64(_mm_add_sd(d, _mm_unpackhi_pd(d, d)));
#else
    for (long i = 0; i < n; i++) y[i] = x[i] - sub;
    policy_exp_array(y, y, n);
    return policy_sum_f64(y, n);
#endif
}

#endif
