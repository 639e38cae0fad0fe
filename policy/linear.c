/* policy/linear.c: the projections (q, k, v, o, gate, up, down, LM head) as cblas_sgemm calls
 * on HF's (out, in) weight layout. Projections that read the same input (q, k, v; gate, up) and
 * the two products of a backward (input and weight gradients) go to policy_sgemm_chains, which
 * runs independent sgemms side by side. Leaves out bf16 (cblas_sbgemm: not yet shown to pay).
 * Reference: torch.nn.functional.linear: out = inp @ W^T + b. */
#include "model.h"

#include <assert.h>
#include <cblas.h>

static void add_bias(float *out, const float *bias, int N, int OC) {
    if (!bias) return;
    for (int n = 0; n < N; n++)
        for (int o = 0; o < OC; o++) out[(size_t)n * OC + o] += bias[o];
}

static void sum_bias(float *dbias, const float *dout, int N, int OC) {
    if (!dbias) return;
    for (int o = 0; o < OC; o++) {
        double s = 0.0; /* a sum over all B*T rows */
        for (int n = 0; n < N; n++) s += dout[(size_t)n * OC + o];
        dbias[o] += (float)s;
    }
}

/* Where to cut n calls into two chains of about equal multiply-adds (the OC's, as they share N
 * and K): the first chain is calls 0 .. cut-1. */
static int halve(const policy_proj *p, int n) {
    long total = 0, run = 0;
    for (int i = 0; i < n; i++) total += p[i].OC;
    int cut = 1;
    for (int i = 0; i < n - 1; i++) {
        run += p[i].OC;
        if (2 * run <= total) cut = i + 1;
    }
    return cut;
}

void policy_projs_forward(const float *inp, int N, int IC, const policy_proj *p, int n) {
    policy_gemm g[POLICY_PROJS_MAX] = {0};
    assert(n >= 1 && n <= POLICY_PROJS_MAX);
    for (int i = 0; i < n; i++) /* out_i (N, OC) = inp (N, IC) @ W_i^T */
        g[i] = (policy_gemm){.ta = CblasNoTrans,
                             .tb = CblasTrans,
                             .M = N,
                             .N = p[i].OC,
                             .K = IC,
                             .alpha = 1.0f,
                             .A = inp,
                             .lda = IC,
                             .B = p[i].w,
                             .ldb = IC,
                             .beta = 0.0f,
                             .C = p[i].out,
                             .ldc = p[i].OC};
    if (n == 1) {
        policy_sgemm_call(&g[0]);
    } else {
        int cut = halve(p, n);
        policy_sgemm_chains(g, cut, g + cut, n - cut);
    }
    for (int i = 0; i < n; i++) add_bias(p[i].out, p[i].bias, N, p[i].OC);
}

void policy_projs_backward(float *dinp, int dinp_add, const float *inp, int N, int IC,
                           const policy_proj *p, int n) {
    policy_gemm gx[POLICY_PROJS_MAX] = {0}, gw[POLICY_PROJS_MAX] = {0};
    assert(n >= 1 && n <= POLICY_PROJS_MAX);
    for (int i = 0; i < n; i++) {
        /* dinp (N, IC) (+)= dout (N, OC) @ W (OC, IC): the first overwrites unless dinp_add,
         * which spares the caller a memset; the same M, N and ldc for every call of the chain */
        gx[i] = (policy_gemm){.ta = CblasNoTrans,
                              .tb = CblasNoTrans,
                              .M = N,
                              .N = IC,
                              .K = p[i].OC,
                              .alpha = 1.0f,
                              .A = p[i].dout,
                              .lda = p[i].OC,
                              .B = p[i].w,
                              .ldb = IC,
                              .beta = i == 0 && !dinp_add ? 0.0f : 1.0f,
                              .C = dinp,
                              .ldc = IC};
        /* dw (OC, IC) += dout^T (OC, N) @ inp (N, IC) */
        gw[i] = (policy_gemm){.ta = CblasTrans,
                              .tb = CblasNoTrans,
                              .M = p[i].OC,
                              .N = IC,
                              .K = N,
                              .alpha = 1.0f,
                              .A = p[i].dout,
                              .lda = p[i].OC,
                              .B = inp,
                              .ldb = IC,
                              .beta = 1.0f,
                              .C = p[i].dw,
                              .ldc = IC};
    }
    policy_sgemm_chains(gx, n, gw, n); /* as many multiply-adds on each side */
    for (int i = 0; i < n; i++) sum_bias(p[i].dbias, p[i].dout, N, p[i].OC);
}

/* out (N, OC) = inp (N, IC) @ W^T (W: (OC, IC)) + bias (OC) */
void policy_linear_forward(float *out, const float *inp, const float *w, const float *bias, int N,
                           int IC, int OC) {
    policy_proj p = {.w = w, .bias = bias, .out = out, .OC = OC};
    policy_projs_forward(inp, N, IC, &p, 1);
}

void policy_linear_backward(float *dinp, int dinp_add, float *dw, float *dbias, const float *dout,
                            const float *inp, const float *w, int N, int IC, int OC) {
    policy_proj p = {.w = w, .dw = dw, .dbias = dbias, .dout = dout, .OC = OC};
    policy_projs_backward(dinp, dinp_add, inp, N, IC, &p, 1);
}
