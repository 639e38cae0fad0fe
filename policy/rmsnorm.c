/* policy/rmsnorm.c: RMSNorm forward and backward. Leaves out the bias-carrying LayerNorm.
 * Reference: transformers LlamaRMSNorm: w * (x * rsqrt(mean(x^2) + eps)), in fp32. */
#include "model.h"

#include <math.h>

#include "vexp.h"

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
        double ss = policy_dot_f64(x_n, x_n, C); /* float sums drift at C = 8192 */
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

/* Rows per partial sum of the weight gradient. Fixed, so that the order of the sum depends on N
 * only and not on the threads. */
#define DW_ROWS 64

size_t policy_rmsnorm_scratch(int N, int C) {
    return (size_t)((N + DW_ROWS - 1) / DW_ROWS) * (size_t)C;
}

typedef struct norm_bwd_task {
    float *dx, *part;
    const float *dout, *x, *w, *rstd;
    int N, C;
} norm_bwd_task;

/* One row: dx_n += d(x_n), dw += this row's part of d(w). The dot product goes in sixteen double
 * lanes (element i in lane i % 16), then the lanes in order; written as whole groups of sixteen
 * and a tail so that it vectorises, with restrict for the same reason. */
static void backward_row(float *restrict dx_n, float *restrict dw, const float *restrict dout_n,
                         const float *restrict x_n, const float *restrict w, float r, int C) {
    /* forward: out[i] = x[i] * r * w[i], r = (mean(x^2)+eps)^-1/2; dr/dx[j] = -r^3 x[j]/C */
    double lane[16] = {0}, dot = 0.0;
    int i = 0;
    for (; i + 16 <= C; i += 16)
        for (int l = 0; l < 16; l++) lane[l] += (double)dout_n[i + l] * w[i + l] * x_n[i + l];
    for (int l = 0; i + l < C; l++) lane[l] += (double)dout_n[i + l] * w[i + l] * x_n[i + l];
    for (int l = 0; l < 16; l++) dot += lane[l];
    float k = (float)(dot / C) * r * r * r;
    for (i = 0; i < C; i++) {
        dw[i] += dout_n[i] * x_n[i] * r;
        dx_n[i] += dout_n[i] * w[i] * r - x_n[i] * k;
    }
}

/* chunks [c0, c1) of DW_ROWS rows: dx of their rows, and chunk c's weight gradient in part[c] */
static void backward_chunks(void *arg, long c0, long c1) {
    const norm_bwd_task *t = arg;
    int C = t->C;
    for (long ch = c0; ch < c1; ch++) {
        float *dw = t->part + (size_t)ch * C;
        for (int i = 0; i < C; i++) dw[i] = 0.0f;
        long n1 = (ch + 1) * DW_ROWS < t->N ? (ch + 1) * DW_ROWS : t->N;
        for (long n = ch * DW_ROWS; n < n1; n++)
            backward_row(t->dx + (size_t)n * C, dw, t->dout + (size_t)n * C, t->x + (size_t)n * C,
                         t->w, t->rstd[n], C);
    }
}

void policy_rmsnorm_backward(float *dx, float *dw, float *scratch, const float *dout,
                             const float *x, const float *w, const float *rstd, int N, int C) {
    norm_bwd_task t = {dx, scratch, dout, x, w, rstd, N, C};
    long chunks = (N + DW_ROWS - 1) / DW_ROWS;
    policy_parallel_for(chunks, 1, backward_chunks, &t);
    for (int i = 0; i < C; i++) { /* the chunks' partial sums, in chunk order */
        double s = 0.0;
        for (long ch = 0; ch < chunks; ch++) s += scratch[(size_t)ch * C + i];
        dw[i] += (float)s;
    }
}
