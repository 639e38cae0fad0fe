/* policy/rmsnorm.c: RMSNorm forward and backward. Leaves out the bias-carrying LayerNorm.
 * Reference: transformers LlamaRMSNorm: w * (x * rsqrt(mean(x^2) + eps)), in fp32. */
#include "model.h"

#include <math.h>

typedef struct norm_task {
    float *out, *rstd;
    const float *x, *w;
    int C;
    float eps;
} norm_task;

static void norm_rows(void *arg, long n0, long n1) {
    const norm_task *t = arg;
    float *out = t->out, *rstd = t->rstd, eps = t->eps;
    const float *x = t->x, *w = t->w;
    int C = t->C;
    for (long n = n0; n < n1; n++) {
        const float *x_n = x + (size_t)n * C;
        float *o = out + (size_t)n * C;
        double ss = 0.0; /* float sums drift at C = 8192 */
        for (int i = 0; i < C; i++) ss += (double)x_n[i] * x_n[i];
        float r = 1.0f / sqrtf((float)(ss / C) + eps);
        rstd[n] = r;
        for (int i = 0; i < C; i++) o[i] = w[i] * (x_n[i] * r);
    }
}

/* x, out: (N, C); w: (C); rstd: (N), kept for backward. out = x * rstd * w */
void policy_rmsnorm_forward(float *out, float *rstd, const float *x, const float *w, int N, int C,
                            float eps) {
    norm_task t = {out, rstd, x, w, C, eps};
    policy_parallel_for(N, 16384 / (C > 0 ? C : 1) + 1, norm_rows, &t);
}

void policy_rmsnorm_backward(float *dx, float *dw, const float *dout, const float *x,
                             const float *w, const float *rstd, int N, int C) {
    for (int n = 0; n < N; n++) {
        const float *x_n = x + (size_t)n * C, *dout_n = dout + (size_t)n * C;
        float *dx_n = dx + (size_t)n * C, r = rstd[n];
        /* forward: out[i] = x[i] * r * w[i], r = (mean(x^2)+eps)^-1/2; dr/dx[j] = -r^3 x[j]/C */
        double dot = 0.0;
        for (int i = 0; i < C; i++) dot += (double)dout_n[i] * w[i] * x_n[i];
        float k = (float)(dot / C) * r * r * r;
        for (int i = 0; i < C; i++) {
            dw[i] += dout_n[i] * x_n[i] * r;
            dx_n[i] += dout_n[i] * w[i] * r - x_n[i] * k;
        }
    }
}
