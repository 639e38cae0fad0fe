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
#include <string.h>

#include "vexp.h"

/* Queries go in blocks of QB rows: block [i0, i1) sees keys 0 .. pos0+i1-1 only, so the
 * sgemms skip most of the masked upper triangle (at T = 512, 44% of the FLOPs). Measured on
 * 8 x 512 tokens, H 12, KVH 4, D 64, forward + backward, one thread: 0.35 CPU-s unblocked,
 * 0.29 with QB 256, 0.27 with 128, 0.25 with 64. */
#define QB 64

/* forward: S of one block (QB, Tk); backward: P and dS of one block */
size_t policy_attention_scratch(int Tq, int Tk) {
    return 2 * (size_t)(Tq < QB ? Tq : QB) * (size_t)Tk;
}

void policy_attention_forward(float *out, float *lse, float *scratch, const float *q,
                              const float *k, const float *v, int Tq, int pos0, int H, int KVH,
                              int D) {
    int HD = H * D, KD = KVH * D, rep = H / KVH;
    float scale = 1.0f / sqrtf((float)D);
    for (int h = 0; h < H; h++) {
        const float *kg = k + (size_t)(h / rep) * D, *vg = v + (size_t)(h / rep) * D;
        for (int i0 = 0; i0 < Tq; i0 += QB) {
            int m = Tq - i0 < QB ? Tq - i0 : QB, nk = pos0 + i0 + m; /* keys this block sees */
            const float *qb = q + (size_t)i0 * HD + (size_t)h * D;
            /* S (m, nk) = scale * q_h[i0:i0+m] (m, D) @ k_g[0:nk]^T (D, nk) */
            policy_sgemm(CblasNoTrans, CblasTrans, m, nk, D, scale, qb, HD, kg, KD, 0.0f, scratch,
                         nk);
            for (int i = 0; i < m; i++) {
                float *s = scratch + (size_t)i * nk;
                int n = pos0 + i0 + i + 1;       /* query at pos0+i0+i sees keys 0 .. pos0+i0+i */
                float mx = policy_max_f32(s, n); /* less the row max: exp overflows above 88 */
                double sum = policy_exp_sub_sum(s, s, mx, n);
                float inv = (float)(1.0 / sum);
                for (int j = 0; j < n; j++) s[j] *= inv;
                for (int j = n; j < nk; j++) s[j] = 0.0f;
                lse[(size_t)h * Tq + i0 + i] = mx + (float)log(sum);
            }
            /* out_h[i0:i0+m] (m, D) = P (m, nk) @ v_g[0:nk] (nk, D) */
            policy_sgemm(CblasNoTrans, CblasNoTrans, m, D, nk, 1.0f, scratch, nk, vg, KD, 0.0f,
                         out + (size_t)i0 * HD + (size_t)h * D, HD);
        }
    }
}

/* p[j] = exp(p[j] - L), the probabilities; ds[j] = p[j] * (ds[j] - dot), for j < n */
static void softmax_backward_row(float *p, float *ds, float L, float dot, int n) {
#if defined(__AVX512F__)
    __m512 vl = _mm512_set1_ps(L), vd = _mm512_set1_ps(dot);
    for (int j = 0; j < n; j += 16) {
        __mmask16 k = policy_mask16(n - j);
        __m512 e = policy_exp512(_mm512_sub_ps(_mm512_maskz_loadu_ps(k, p + j), vl));
        _mm512_mask_storeu_ps(p + j, k, e);
        __m512 d = _mm512_mul_ps(e, _mm512_sub_ps(_mm512_maskz_loadu_ps(k, ds + j), vd));
        _mm512_mask_storeu_ps(ds + j, k, d);
    }
#else
    for (int j = 0; j < n; j++) p[j] -= L;
    policy_exp_array(p, p, n);
    for (int j = 0; j < n; j++) ds[j] = p[j] * (ds[j] - dot);
#endif
}

void policy_attention_backward(float *dq, float *dk, float *dv, float *scratch, const float *dout,
                               const float *out, const float *lse, const float *q, const float *k,
                               const float *v, int Tq, int pos0, int H, int KVH, int D) {
    int Tk = pos0 + Tq, HD = H * D, KD = KVH * D, rep = H / KVH;
    float scale = 1.0f / sqrtf((float)D);
    float *P = scratch, *dS = scratch + (size_t)(Tq < QB ? Tq : QB) * Tk;
    if (Tq <= 0) { /* no queries: no gradient reaches the keys and values */
        memset(dk, 0, (size_t)pos0 * KD * sizeof *dk);
        memset(dv, 0, (size_t)pos0 * KD * sizeof *dv);
        return;
    }
    int last = (Tq - 1) / QB * QB;
    for (int h = 0; h < H; h++) {
        size_t ko = (size_t)(h / rep) * D;
        /* The blocks go last first: the last sees all Tk keys, so for the group's first head it
         * writes every row of dk_g and dv_g (beta 0) and the other blocks add to them. dq's rows
         * of (h, block) have no other contribution. No buffer needs zeroing beforehand. */
        for (int i0 = last; i0 >= 0; i0 -= QB) {
            int m = Tq - i0 < QB ? Tq - i0 : QB, nk = pos0 + i0 + m;
            float kv_beta = h % rep == 0 && i0 == last ? 0.0f : 1.0f;
            size_t qo = (size_t)i0 * HD + (size_t)h * D; /* rows i0.. of head h */
            /* P = exp(scale * q_h k_g^T - lse), zero above the diagonal */
            policy_sgemm(CblasNoTrans, CblasTrans, m, nk, D, scale, q + qo, HD, k + ko, KD, 0.0f, P,
                         nk);
            /* dP (m, nk) = dout_h (m, D) @ v_g^T */
            policy_sgemm(CblasNoTrans, CblasTrans, m, nk, D, 1.0f, dout + qo, HD, v + ko, KD, 0.0f,
                         dS, nk);
            for (int i = 0; i < m; i++) {
                float *p = P + (size_t)i * nk, *ds = dS + (size_t)i * nk;
                const float *do_i = dout + qo + (size_t)i * HD, *o_i = out + qo + (size_t)i * HD;
                int n = pos0 + i0 + i + 1;
                /* softmax backward: dS = P * (dP - sum_j P dP), and sum_j P dP = dout_i . out_i */
                float dot = (float)policy_dot_f64(do_i, o_i, D);
                softmax_backward_row(p, ds, lse[(size_t)h * Tq + i0 + i], dot, n);
                for (int j = n; j < nk; j++) p[j] = ds[j] = 0.0f;
            }
            /* dv_g[0:nk] (nk, D) += P^T (nk, m) @ dout_h (m, D) */
            policy_sgemm(CblasTrans, CblasNoTrans, nk, D, m, 1.0f, P, nk, dout + qo, HD, kv_beta,
                         dv + ko, KD);
            /* dq_h (m, D) = scale * dS (m, nk) @ k_g[0:nk] (nk, D) */
            policy_sgemm(CblasNoTrans, CblasNoTrans, m, D, nk, scale, dS, nk, k + ko, KD, 0.0f,
                         dq + qo, HD);
            /* dk_g[0:nk] (nk, D) += scale * dS^T (nk, m) @ q_h (m, D) */
            policy_sgemm(CblasTrans, CblasNoTrans, nk, D, m, scale, dS, nk, q + qo, HD, kv_beta,
                         dk + ko, KD);
        }
    }
}
