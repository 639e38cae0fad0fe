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

/* Queries go in blocks of QB positions: block [i0, i1) sees keys 0 .. pos0+i1-1 only, so the
 * sgemms skip most of the masked upper triangle (at T = 512, 44% of the FLOPs).
 * The rep = H/KVH query heads that read one kv head go through the sgemms together: a block's
 * queries are gathered into R = rep*m rows, row r = (position i0 + r/rep, head g*rep + r%rep),
 * so that k and v are packed once per block rather than once per head, and dk, dv each get one
 * sgemm with an inner dimension of R rather than rep sgemms of m. With R rows per sgemm the
 * blocks can be shorter, which skips more of the triangle. Measured per layer, one thread,
 * forward / backward, best of four, against one head at a time with 64-row blocks:
 * - tiny (T 256, H 4, KVH 2, D 64, 4 sequences): 2.00 / 4.40 ms against 2.16 / 4.86;
 * - 100M (T 512, H 12, KVH 4, D 64, 4 sequences): 22.95 / 51.55 ms against 24.03 / 54.26;
 * - Qwen2.5-1.5B's heads (T 512, H 12, KVH 2, D 128, 2 sequences): 19.31 / 46.70 ms against
 *   21.58 / 53.88.
 * Blocks of 16 positions were slower than 32 on tiny (2.13 / 4.90 ms). Earlier, one head at a
 * time, on 8 x 512 tokens (100M's heads): 0.35 CPU-s unblocked, 0.29 with blocks of 256, 0.27
 * with 128, 0.25 with 64. */
#define QB 32

/* forward: S of one block (R, Tk) and the gathered queries / outputs (R, D); backward: P and dS
 * of one block, and the gathered queries and output gradients */
size_t policy_attention_scratch(int Tq, int Tk, int H, int KVH, int D) {
    size_t R = (size_t)(H / KVH) * (size_t)(Tq < QB ? Tq : QB);
    return 2 * R * (size_t)Tk + 2 * R * (size_t)D;
}

/* dst (m*rep, D) <- m rows of x (ld floats apart) of rep*D floats each, from x on: the rep heads of
 * one kv group at m positions, each row split into rep rows of D. scatter_rows puts them back. */
static void gather_rows(float *dst, const float *x, int ld, int m, int rep, int D) {
    for (int i = 0; i < m; i++)
        memcpy(dst + (size_t)i * rep * D, x + (size_t)i * ld, (size_t)rep * D * sizeof *dst);
}

static void scatter_rows(float *x, const float *src, int ld, int m, int rep, int D) {
    for (int i = 0; i < m; i++)
        memcpy(x + (size_t)i * ld, src + (size_t)i * rep * D, (size_t)rep * D * sizeof *src);
}

void policy_attention_forward(float *out, float *lse, float *scratch, const float *q,
                              const float *k, const float *v, int Tq, int pos0, int H, int KVH,
                              int D) {
    int HD = H * D, KD = KVH * D, rep = H / KVH, mb = Tq < QB ? Tq : QB;
    float scale = 1.0f / sqrtf((float)D);
    float *Qs = scratch + 2 * (size_t)rep * mb * (pos0 + Tq); /* after S (R, Tk) */
    for (int g = 0; g < KVH; g++) {
        const float *kg = k + (size_t)g * D, *vg = v + (size_t)g * D;
        for (int i0 = 0; i0 < Tq; i0 += QB) {
            int m = Tq - i0 < QB ? Tq - i0 : QB, nk = pos0 + i0 + m, R = rep * m;
            size_t qo = (size_t)i0 * HD + (size_t)g * rep * D;
            gather_rows(Qs, q + qo, HD, m, rep, D);
            /* S (R, nk) = scale * Qs (R, D) @ k_g[0:nk]^T (D, nk) */
            policy_sgemm(CblasNoTrans, CblasTrans, R, nk, D, scale, Qs, D, kg, KD, 0.0f, scratch,
                         nk);
            for (int r = 0; r < R; r++) {
                float *s = scratch + (size_t)r * nk;
                int i = r / rep, h = g * rep + r % rep;
                int n = pos0 + i0 + i + 1;       /* query at pos0+i0+i sees keys 0 .. pos0+i0+i */
                float mx = policy_max_f32(s, n); /* less the row max: exp overflows above 88 */
                double sum = policy_exp_sub_sum(s, s, mx, n);
                float inv = (float)(1.0 / sum);
                for (int j = 0; j < n; j++) s[j] *= inv;
                for (int j = n; j < nk; j++) s[j] = 0.0f;
                lse[(size_t)h * Tq + i0 + i] = mx + (float)log(sum);
            }
            /* Os (R, D) = P (R, nk) @ v_g[0:nk] (nk, D), into the gathered rows' place */
            policy_sgemm(CblasNoTrans, CblasNoTrans, R, D, nk, 1.0f, scratch, nk, vg, KD, 0.0f, Qs,
                         D);
            scatter_rows(out + qo, Qs, HD, m, rep, D);
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
    size_t Rmax = (size_t)rep * (Tq < QB ? Tq : QB);
    float *P = scratch, *dS = P + Rmax * Tk, *Qs = dS + Rmax * Tk, *dOs = Qs + Rmax * D;
    if (Tq <= 0) { /* no queries: no gradient reaches the keys and values */
        memset(dk, 0, (size_t)pos0 * KD * sizeof *dk);
        memset(dv, 0, (size_t)pos0 * KD * sizeof *dv);
        return;
    }
    int last = (Tq - 1) / QB * QB;
    for (int g = 0; g < KVH; g++) {
        size_t ko = (size_t)g * D;
        /* The blocks go last first: the last sees all Tk keys, so it writes every row of dk_g
         * and dv_g (beta 0) and the other blocks add to them. dq's rows of a block have no other
         * contribution. No buffer needs zeroing beforehand. */
        for (int i0 = last; i0 >= 0; i0 -= QB) {
            int m = Tq - i0 < QB ? Tq - i0 : QB, nk = pos0 + i0 + m, R = rep * m;
            float kv_beta = i0 == last ? 0.0f : 1.0f;
            size_t qo = (size_t)i0 * HD + (size_t)g * rep * D; /* rows i0.. of the group */
            gather_rows(Qs, q + qo, HD, m, rep, D);
            gather_rows(dOs, dout + qo, HD, m, rep, D);
            /* P = exp(scale * Qs k_g^T - lse), zero above the diagonal */
            policy_sgemm(CblasNoTrans, CblasTrans, R, nk, D, scale, Qs, D, k + ko, KD, 0.0f, P, nk);
            /* dP (R, nk) = dOs (R, D) @ v_g^T */
            policy_sgemm(CblasNoTrans, CblasTrans, R, nk, D, 1.0f, dOs, D, v + ko, KD, 0.0f, dS,
                         nk);
            for (int r = 0; r < R; r++) {
                float *p = P + (size_t)r * nk, *ds = dS + (size_t)r * nk;
                int i = r / rep, h = g * rep + r % rep, n = pos0 + i0 + i + 1;
                const float *o_i = out + (size_t)(i0 + i) * HD + (size_t)h * D;
                /* softmax backward: dS = P * (dP - sum_j P dP), and sum_j P dP = dout_i . out_i */
                float dot = (float)policy_dot_f64(dOs + (size_t)r * D, o_i, D);
                softmax_backward_row(p, ds, lse[(size_t)h * Tq + i0 + i], dot, n);
                for (int j = n; j < nk; j++) p[j] = ds[j] = 0.0f;
            }
            /* dv_g[0:nk] (nk, D) (+)= P^T (nk, R) @ dOs (R, D) */
            policy_sgemm(CblasTrans, CblasNoTrans, nk, D, R, 1.0f, P, nk, dOs, D, kv_beta, dv + ko,
                         KD);
            /* dk_g[0:nk] (nk, D) (+)= scale * dS^T (nk, R) @ Qs (R, D) */
            policy_sgemm(CblasTrans, CblasNoTrans, nk, D, R, scale, dS, nk, Qs, D, kv_beta, dk + ko,
                         KD);
            /* dQs (R, D) = scale * dS (R, nk) @ k_g[0:nk] (nk, D), into Qs's place, then to dq */
            policy_sgemm(CblasNoTrans, CblasNoTrans, R, D, nk, scale, dS, nk, k + ko, KD, 0.0f, Qs,
                         D);
            scatter_rows(dq + qo, Qs, HD, m, rep, D);
        }
    }
}
