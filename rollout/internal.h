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

/* n dots of a (K floats) with columns of a transposed matrix: out[j] = rollout_dot(a, b_j) where
 * b_j[k] = bt[k * ldb + j], the same bits; attention's scores against the transposed key cache. */
void rollout_dots_t(float *out, const float *a, const float *bt, int ldb, int K, int n);

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

/* Keys and values of L layers for `slots` sequences of up to Tcap positions; a position's row
 * is KD = KVH*D floats. Values: layer l, slot s, position t starts at ((l * slots + s) * Tcap +
 * t) * KD. Keys are stored transposed, so that attention reads sixteen positions of one
 * component in one load: layer l, slot s is a (KD, Tcap) block at (l * slots + s) * KD * Tcap,
 * component c of position t at c * Tcap + t. */
typedef struct rollout_kv {
    int L, slots, Tcap, KD;
    float *k, *v; /* owned */
} rollout_kv;

/* Bytes of the cache for these sizes; 0 when the product overflows size_t. */
size_t rollout_kv_size(int L, int slots, int Tcap, int KD);
/* Checks the size against the memory available (with `extra` bytes the caller needs beside
 * it) and allocates; a refusal names the bytes, the sizes and the knobs to lower. */
int rollout_kv_init(rollout_kv *kv, int L, int slots, int Tcap, int KD, size_t extra,
                    rlpt_err *err);
void rollout_kv_free(rollout_kv *kv);
/* The transposed keys of layer l, slot s: (KD, Tcap), row stride Tcap. */
static inline float *rollout_kv_kt(const rollout_kv *kv, int l, int s) {
    return kv->k + ((size_t)l * kv->slots + s) * kv->Tcap * kv->KD;
}
static inline float *rollout_kv_v(const rollout_kv *kv, int l, int s, int t) {
    return kv->v + (((size_t)l * kv->slots + s) * kv->Tcap + t) * kv->KD;
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
