/* policy/swiglu.c: the SwiGLU gate of the MLP, h = silu(g) * u; the three projections around
 * it are policy_linear_*. Reference: transformers LlamaMLP: down(act_fn(gate(x)) * up(x)),
 * act_fn = torch.nn.functional.silu = g / (1 + exp(-g)). */
#include "model.h"

#include <math.h>

#include "vexp.h"

typedef struct swiglu_task {
    float *h, *dg, *du;
    const float *g, *u, *dh;
} swiglu_task;

/* Below this many elements a second thread costs more than it saves. */
#define GRAIN 16384

#if defined(__AVX512F__)
/* Sixteen elements at a time, the tail under a mask: the same operations in the same order as
 * the scalar code below (no FMA), so an element's bits do not depend on where a thread's range
 * starts. */
static __m512 neg(__m512 x) {
    return _mm512_castsi512_ps(
        _mm512_xor_si512(_mm512_castps_si512(x), _mm512_set1_epi32((int)0x80000000u)));
}

static void forward_part(void *arg, long i0, long i1) {
    const swiglu_task *t = arg;
    const __m512 one = _mm512_set1_ps(1.0f);
    for (long i = i0; i < i1; i += 16) {
        __mmask16 k = policy_mask16(i1 - i);
        __m512 g = _mm512_maskz_loadu_ps(k, t->g + i), u = _mm512_maskz_loadu_ps(k, t->u + i);
        __m512 e = policy_exp512(neg(g));
        __m512 h = _mm512_mul_ps(_mm512_div_ps(g, _mm512_add_ps(one, e)), u);
        _mm512_mask_storeu_ps(t->h + i, k, h);
    }
}
#else
/* e[l] = exp(-g[i0 + l]) for l < m <= 16 */
static void exp_neg16(float *e, const float *g, int m) {
    for (int l = 0; l < m; l++) e[l] = -g[l];
    policy_exp16(e, e, m);
}

static void forward_part(void *arg, long i0, long i1) {
    const swiglu_task *t = arg;
    float *h = t->h;
    const float *g = t->g, *u = t->u;
    for (long i = i0; i < i1; i += 16) {
        int m = i1 - i < 16 ? (int)(i1 - i) : 16;
        float e[16];
        exp_neg16(e, g + i, m);
        for (int l = 0; l < m; l++) h[i + l] = g[i + l] / (1.0f + e[l]) * u[i + l];
    }
}
#endif

void policy_swiglu_forward(float *h, const float *g, const float *u, size_t n) {
    swiglu_task t = {h, NULL, NULL, g, u, NULL};
    policy_parallel_for((long)n, GRAIN, forward_part, &t);
}

#if defined(__AVX512F__)
static void backward_part(void *arg, long i0, long i1) {
    const swiglu_task *t = arg;
    const __m512 one = _mm512_set1_ps(1.0f);
    for (long i = i0; i < i1; i += 16) {
        __mmask16 k = policy_mask16(i1 - i);
        __m512 g = _mm512_maskz_loadu_ps(k, t->g + i), u = _mm512_maskz_loadu_ps(k, t->u + i);
        __m512 dh = _mm512_maskz_loadu_ps(k, t->dh + i);
        __m512 sig = _mm512_div_ps(one, _mm512_add_ps(one, policy_exp512(neg(g))));
        /* as the scalar code: ((dh * u) * sig) * (1 + g * (1 - sig)), (dh * g) * sig */
        __m512 slope = _mm512_add_ps(one, _mm512_mul_ps(g, _mm512_sub_ps(one, sig)));
        __m512 dg = _mm512_mul_ps(_mm512_mul_ps(_mm512_mul_ps(dh, u), sig), slope);
        _mm512_mask_storeu_ps(t->dg + i, k, dg);
        _mm512_mask_storeu_ps(t->du + i, k, _mm512_mul_ps(_mm512_mul_ps(dh, g), sig));
    }
}
#else
static void backward_part(void *arg, long i0, long i1) {
    const swiglu_task *t = arg;
    float *dg = t->dg, *du = t->du;
    const float *g = t->g, *u = t->u, *dh = t->dh;
    for (long i0b = i0; i0b < i1; i0b += 16) {
        int m = i1 - i0b < 16 ? (int)(i1 - i0b) : 16;
        float e[16];
        exp_neg16(e, g + i0b, m);
        for (int l = 0; l < m; l++) {
            long i = i0b + l;
            float sig = 1.0f / (1.0f + e[l]);
            /* d silu(g)/dg = sig * (1 + g * (1 - sig)) */
            dg[i] = dh[i] * u[i] * sig * (1.0f + g[i] * (1.0f - sig));
            du[i] = dh[i] * g[i] * sig;
        }
    }
}
#endif

void policy_swiglu_backward(float *dg, float *du, const float *dh, const float *g, const float *u,
                            size_t n) {
    swiglu_task t = {NULL, dg, du, g, u, dh};
    policy_parallel_for((long)n, GRAIN, backward_part, &t);
}
