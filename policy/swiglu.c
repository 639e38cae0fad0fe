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

void policy_swiglu_forward(float *h, const float *g, const float *u, size_t n) {
    swiglu_task t = {h, NULL, NULL, g, u, NULL};
    policy_parallel_for((long)n, GRAIN, forward_part, &t);
}

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
            dg[i] += dh[i] * u[i] * sig * (1.0f + g[i] * (1.0f - sig));
            du[i] += dh[i] * g[i] * sig;
        }
    }
}

void policy_swiglu_backward(float *dg, float *du, const float *dh, const float *g, const float *u,
                            size_t n) {
    swiglu_task t = {NULL, dg, du, g, u, dh};
    policy_parallel_for((long)n, GRAIN, backward_part, &t);
}
