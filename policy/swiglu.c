/* policy/swiglu.c: the SwiGLU gate of the MLP, h = silu(g) * u; the three projections around
 * it are policy_linear_*. Reference: transformers LlamaMLP: down(act_fn(gate(x)) * up(x)),
 * act_fn = torch.nn.functional.silu = g / (1 + exp(-g)). */
#include "model.h"

#include <math.h>

void policy_swiglu_forward(float *h, const float *g, const float *u, size_t n) {
    for (size_t i = 0; i < n; i++) h[i] = g[i] / (1.0f + expf(-g[i])) * u[i];
}

void policy_swiglu_backward(float *dg, float *du, const float *dh, const float *g, const float *u,
                            size_t n) {
    for (size_t i = 0; i < n; i++) {
        float sig = 1.0f / (1.0f + expf(-g[i]));
        /* d silu(g)/dg = sig * (1 + g * (1 - sig)) */
        dg[i] += dh[i] * u[i] * sig * (1.0f + g[i] * (1.0f - sig));
        du[i] += dh[i] * g[i] * sig;
    }
}
