/* policy/attention.c: causal grouped-query attention of one sequence, forward and backward,
 * with explicit query positions so that the same kernel serves training (pos0 = 0), batched
 * prefill and single-token decode over a KV cache (Tq = 1, pos0 = tokens cached).
 * The backward recomputes the probabilities from q, k and the saved log-sum-exp (as
 * FlashAttention does) instead of keeping (H, T, T) per layer. Leaves out sliding windows and
 * dropout (config.json refuses them). Reference: transformers eager_attention_forward:
 * softmax(q k^T * D^-0.5 + causal mask) v, with repeat_kv: query head h reads kv head h / (H/KVH).
 */
#include "model.h"

#include <cblas.h>
#include <math.h>

void policy_attention_forward(float *out, float *lse, float *scratch, const float *q,
                              const float *k, const float *v, int Tq, int pos0, int H, int KVH,
                              int D) {
    int Tk = pos0 + Tq, HD = H * D, KD = KVH * D, rep = H / KVH;
    float scale = 1.0f / sqrtf((float)D);
    for (int h = 0; h < H; h++) {
        const float *qh = q + (size_t)h * D, *kg = k + (size_t)(h / rep) * D;
        const float *vg = v + (size_t)(h / rep) * D;
        /* S (Tq, Tk) = scale * q_h (Tq, D) @ k_g^T (D, Tk) */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Tq, Tk, D, scale, qh, HD, kg, KD, 0.0f,
                    scratch, Tk);
        for (int i = 0; i < Tq; i++) {
            float *s = scratch + (size_t)i * Tk;
            int n = pos0 + i + 1; /* query at pos0+i sees keys 0 .. pos0+i */
            float mx = -INFINITY;
            for (int j = 0; j < n; j++) mx = s[j] > mx ? s[j] : mx;
            double sum = 0.0; /* subtract the row max: expf overflows above 88 */
            for (int j = 0; j < n; j++) sum += (s[j] = expf(s[j] - mx));
            float inv = (float)(1.0 / sum);
            for (int j = 0; j < n; j++) s[j] *= inv;
            for (int j = n; j < Tk; j++) s[j] = 0.0f;
            lse[(size_t)h * Tq + i] = mx + (float)log(sum);
        }
        /* out_h (Tq, D) = P (Tq, Tk) @ v_g (Tk, D) */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Tq, D, Tk, 1.0f, scratch, Tk, vg, KD,
                    0.0f, out + (size_t)h * D, HD);
    }
}

void policy_attention_backward(float *dq, float *dk, float *dv, float *scratch, const float *dout,
                               const float *out, const float *lse, const float *q, const float *k,
                               const float *v, int Tq, int pos0, int H, int KVH, int D) {
    int Tk = pos0 + Tq, HD = H * D, KD = KVH * D, rep = H / KVH;
    float scale = 1.0f / sqrtf((float)D);
    float *P = scratch, *dS = scratch + (size_t)Tq * Tk;
    for (int h = 0; h < H; h++) {
        size_t qo = (size_t)h * D, ko = (size_t)(h / rep) * D;
        /* P = exp(scale * q_h k_g^T - lse), zero above the diagonal */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Tq, Tk, D, scale, q + qo, HD, k + ko,
                    KD, 0.0f, P, Tk);
        /* dP (Tq, Tk) = dout_h (Tq, D) @ v_g^T */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Tq, Tk, D, 1.0f, dout + qo, HD, v + ko,
                    KD, 0.0f, dS, Tk);
        for (int i = 0; i < Tq; i++) {
            float *p = P + (size_t)i * Tk, *ds = dS + (size_t)i * Tk;
            const float *do_i = dout + (size_t)i * HD + qo, *o_i = out + (size_t)i * HD + qo;
            int n = pos0 + i + 1;
            /* softmax backward: dS = P * (dP - sum_j P dP), and sum_j P dP = dout_i . out_i */
            double dot = 0.0;
            for (int d = 0; d < D; d++) dot += (double)do_i[d] * o_i[d];
            float L = lse[(size_t)h * Tq + i];
            for (int j = 0; j < n; j++) {
                p[j] = expf(p[j] - L);
                ds[j] = p[j] * (ds[j] - (float)dot);
            }
            for (int j = n; j < Tk; j++) p[j] = ds[j] = 0.0f;
        }
        /* dv_g (Tk, D) += P^T (Tk, Tq) @ dout_h (Tq, D) */
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Tk, D, Tq, 1.0f, P, Tk, dout + qo, HD,
                    1.0f, dv + ko, KD);
        /* dq_h (Tq, D) += scale * dS (Tq, Tk) @ k_g (Tk, D) */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Tq, D, Tk, scale, dS, Tk, k + ko, KD,
                    1.0f, dq + qo, HD);
        /* dk_g (Tk, D) += scale * dS^T (Tk, Tq) @ q_h (Tq, D) */
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Tk, D, Tq, scale, dS, Tk, q + qo, HD,
                    1.0f, dk + ko, KD);
    }
}
