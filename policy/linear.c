/* policy/linear.c: the projections (q, k, v, o, gate, up, down, LM head) as cblas_sgemm calls
 * on HF's (out, in) weight layout. Leaves out bf16 (cblas_sbgemm: not yet shown to pay).
 * Reference: torch.nn.functional.linear: out = inp @ W^T + b. */
#include "model.h"

#include <cblas.h>

/* out (N, OC) = inp (N, IC) @ W^T (W: (OC, IC)) + bias (OC) */
void policy_linear_forward(float *out, const float *inp, const float *w, const float *bias, int N,
                           int IC, int OC) {
    policy_sgemm(CblasNoTrans, CblasTrans, N, OC, IC, 1.0f, inp, IC, w, IC, 0.0f, out, OC);
    if (!bias) return;
    for (int n = 0; n < N; n++)
        for (int o = 0; o < OC; o++) out[(size_t)n * OC + o] += bias[o];
}

void policy_linear_backward(float *dinp, int dinp_add, float *dw, float *dbias, const float *dout,
                            const float *inp, const float *w, int N, int IC, int OC) {
    /* dinp (N, IC) (+)= dout (N, OC) @ W (OC, IC): overwriting spares the caller a memset */
    policy_sgemm(CblasNoTrans, CblasNoTrans, N, IC, OC, 1.0f, dout, OC, w, IC,
                 dinp_add ? 1.0f : 0.0f, dinp, IC);
    /* dw (OC, IC) += dout^T (OC, N) @ inp (N, IC) */
    policy_sgemm(CblasTrans, CblasNoTrans, OC, IC, N, 1.0f, dout, OC, inp, IC, 1.0f, dw, IC);
    if (!dbias) return;
    for (int o = 0; o < OC; o++) {
        double s = 0.0; /* a sum over all B*T rows */
        for (int n = 0; n < N; n++) s += dout[(size_t)n * OC + o];
        dbias[o] += (float)s;
    }
}
