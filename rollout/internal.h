/* rollout/internal.h: what the rollout module's files share and nobody else sees: the thread
 * pool, the row-independent matrix kernels, the KV cache and the batched forward pass of
 * generation. */
#ifndef ROLLOUT_INTERNAL_H
#define ROLLOUT_INTERNAL_H

#include "rlpt_pool.h"
#include "rollout.h"

/* ---- matrix kernels (rollout/matmul.c) ---------------------------------------------------- */

/* The dot product every generation projection uses: 16 fused multiply-add lanes over k
 * (lane k % 16), then a fixed pairwise reduction (l + 8, l + 4, l + 2, l + 1). Its value for a
 * pair of rows does not depend on anything else: the AVX-512 and portable paths give the same
 * bits. */
float rollout_dot(const float *a, const float *b, int K);

/* n dots of a (K floats) with vectors stored in chunks of sixteen, each chunk a (K, 16) block:
 * out[j] = rollout_dot(a, b_j) where b_j[k] = kc[(j / 16) * 16 * K + k * 16 + j % 16], the same
 * bits; attention's scores against the key cache. */
void rollout_dots_c(float *out, const float *a, const float *kc, int K, int n);

/* out (D) = sum over j = 0 .. n-1, in order, of p[j] * v_j (v_j = v + j * ldv), each step one
 * fused multiply-add from 0: attention's weighted sum of cached values. */
void rollout_weighted_sum(float *out, const float *p, const float *v, int ldv, int n, int D);

/* An rn x ro block of rollout_dot (rn, ro <= 4): out[i * ldo + j] = rollout_dot(a + i * lda,
 * w + j * ldw, K), the same bits as one dot at a time, computed as one register tile when
 * ro = 4 (attention's scores: several query heads against four cached keys). */
void rollout_dots(float *out, int ldo, const float *a, int lda, const float *w, int ldw, int K,
                  int rn, int ro);

/* out (N, OC) = inp (N, IC) @ W^T + bias (W (OC, IC) as HF stores it; bias may be NULL), every
 * element an independent rollout_dot, the work split over the pool's threads by columns. */
void rollout_matmul(rlpt_pool *pool, float *out, const float *inp, const float *w,
                    const float *bias, int N, int IC, int OC);

/* ---- KV cache (rollout/kv_cache.c) -------------------------------------------------------- */

/* Keys and values of L layers for `slots` sequences of up to Tcap positions, KVH kv heads of D
 * components. Each (layer, slot, kv head) owns one contiguous run of keys and one of values, so
 * that attention streams them from memory in order (strided rows had left it waiting on memory
 * latency). Keys come in chunks of sixteen positions, each chunk a (D, 16) block: component d
 * of position t at (t / 16) * 16 * D + d * 16 + t % 16, so one load reads sixteen positions of a
 * component. Values are (Tcap, D): component d of position t at t * D + d. Tcap is rounded up
 * to a multiple of 16 (Tpad). */
typedef struct rollout_kv {
    int L, slots, Tcap, Tpad, KVH, D, KD;
    float *k, *v; /* owned */
} rollout_kv;

/* Bytes of the cache for these sizes; 0 when the product overflows size_t. */
size_t rollout_kv_size(int L, int slots, int Tcap, int KD);
/* Checks the size against the memory available (with `extra` bytes the caller needs beside
 * it) and allocates; a refusal names the bytes, the sizes and the knobs to lower. */
int rollout_kv_init(rollout_kv *kv, int L, int slots, int Tcap, int KVH, int D, size_t extra,
                    rlpt_err *err);
void rollout_kv_free(rollout_kv *kv);
/* The keys of layer l, slot s, kv head g: chunks of sixteen positions, each a (D, 16) block. */
static inline float *rollout_kv_kc(const rollout_kv *kv, int l, int s, int g) {
    return kv->k + (((size_t)l * kv->slots + s) * kv->KVH + g) * kv->Tpad * kv->D;
}
/* The values of layer l, slot s, kv head g: (Tpad, D). */
static inline float *rollout_kv_vh(const rollout_kv *kv, int l, int s, int g) {
    return kv->v + (((size_t)l * kv->slots + s) * kv->KVH + g) * kv->Tpad * kv->D;
}
/* Stores position t's key and value rows (KD floats each) for layer l, slot s. */
void rollout_kv_put(rollout_kv *kv, int l, int s, int t, const float *k, const float *v);
/* Copies positions 0 .. n-1 of every layer from slot `from` to slot `to`. */
void rollout_kv_copy(rollout_kv *kv, int to, int from, int n);
/* Positions 0 .. n-1 of slot s out to (save) or in from (load) buffers of `per_layer` floats per
 * layer for keys and for values (per_layer >= n * KD), in an order of the cache's choosing. */
void rollout_kv_save(const rollout_kv *kv, int s, int n, float *k, float *v, size_t per_layer);
void rollout_kv_load(rollout_kv *kv, int s, int n, const float *k, const float *v,
                     size_t per_layer);

/* ---- batched forward over the cache (rollout/forward.c) ----------------------------------- */

/* Work space of a forward pass over at most R rows, logits for at most NL of them. */
typedef struct rollout_fwd {
    int R, NL;
    float *x, *xn, *q, *k, *v, *att, *o, *g, *u, *rstd, *xl, *logits;
    float *scores; /* Tcap per row: attention probabilities */
} rollout_fwd;

size_t rollout_fwd_size(const policy_config *c, int R, int NL, int Tcap);
int rollout_fwd_init(rollout_fwd *f, const policy_config *c, int R, int NL, int Tcap,
                     rlpt_err *err);
void rollout_fwd_free(rollout_fwd *f);

/* N rows: row r feeds token tok[r] of the sequence in slot[r] at position pos[r]; rows of one
 * slot are consecutive with increasing positions, and positions 0 .. pos[r]-1 of that slot are
 * already in the cache. Writes their keys/values to the cache and the logits of rows
 * logit_rows[0..NL) to f->logits (NL, V). Each row's result depends only on its own sequence. */
void rollout_forward(const policy_model *m, rlpt_pool *pool, rollout_kv *kv, rollout_fwd *f,
                     const int *tok, const int *slot, const int *pos, int N, const int *logit_rows,
                     int NL);

#endif
