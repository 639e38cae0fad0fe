/* rollout/internal.h: what the rollout module's files share and nobody else sees: the thread
 * pool, the row-independent matrix kernels, the KV cache and the batched forward pass of
 * generation. */
#ifndef ROLLOUT_INTERNAL_H
#define ROLLOUT_INTERNAL_H

#include <pthread.h>

#include "rollout.h"

/* ---- thread pool (rollout/pool.c) --------------------------------------------------------- */

/* fn(arg, t, nt) runs once for every t in 0 .. nt-1, t = 0 on the calling thread. */
typedef void (*rollout_task_fn)(void *arg, int t, int nt);

typedef struct rollout_pool {
    int n;              /* threads including the caller; 1 = no worker threads */
    pthread_t *threads; /* n - 1 workers */
    pthread_mutex_t mu;
    pthread_cond_t go, done;
    rollout_task_fn fn;
    void *arg;
    long generation; /* bumped for every task */
    int pending;     /* workers still running the current task */
    int quit;
} rollout_pool;

int rollout_pool_init(rollout_pool *p, int n, rlpt_err *err);
void rollout_pool_free(rollout_pool *p);
/* Runs fn on every thread and returns when all are done. */
void rollout_pool_run(rollout_pool *p, rollout_task_fn fn, void *arg);

/* ---- matrix kernels (rollout/matmul.c) ---------------------------------------------------- */

/* The dot product every generation projection uses: 16 fused multiply-add lanes over k
 * (lane k % 16), then a fixed pairwise reduction (l + 8, l + 4, l + 2, l + 1). Its value for a
 * pair of rows does not depend on anything else: the AVX-512 and portable paths give the same
 * bits. */
float rollout_dot(const float *a, const float *b, int K);

/* An rn x ro block of rollout_dot (rn, ro <= 4): out[i * ldo + j] = rollout_dot(a + i * lda,
 * w + j * ldw, K), the same bits as one dot at a time, computed as one register tile when
 * ro = 4 (attention's scores: several query heads against four cached keys). */
void rollout_dots(float *out, int ldo, const float *a, int lda, const float *w, int ldw, int K,
                  int rn, int ro);

/* out (N, OC) = inp (N, IC) @ W^T + bias (W (OC, IC) as HF stores it; bias may be NULL), every
 * element an independent rollout_dot, the work split over the pool's threads by columns. */
void rollout_matmul(rollout_pool *pool, float *out, const float *inp, const float *w,
                    const float *bias, int N, int IC, int OC);

/* ---- KV cache (rollout/kv_cache.c) -------------------------------------------------------- */

/* Keys and values of L layers for `slots` sequences of up to Tcap positions; a row is KD =
 * KVH*D floats. Layer l, slot s, position t starts at ((l * slots + s) * Tcap + t) * KD. */
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
static inline float *rollout_kv_k(const rollout_kv *kv, int l, int s, int t) {
    return kv->k + (((size_t)l * kv->slots + s) * kv->Tcap + t) * kv->KD;
}
static inline float *rollout_kv_v(const rollout_kv *kv, int l, int s, int t) {
    return kv->v + (((size_t)l * kv->slots + s) * kv->Tcap + t) * kv->KD;
}
/* Copies positions 0 .. n-1 of every layer from slot `from` to slot `to`. */
void rollout_kv_copy(rollout_kv *kv, int to, int from, int n);

/* ---- batched forward over the cache (rollout/forward.c) ----------------------------------- */

/* Work space of a forward pass over at most R rows, logits for at most NL of them. */
typedef struct rollout_fwd {
    int R, NL;
    float *x, *xn, *q, *k, *v, *att, *o, *g, *u, *rstd, *xl, *logits;
    float *scores; /* 4 x Tcap per row: attention probabilities of up to 4 query heads */
} rollout_fwd;

size_t rollout_fwd_size(const policy_config *c, int R, int NL, int Tcap);
int rollout_fwd_init(rollout_fwd *f, const policy_config *c, int R, int NL, int Tcap,
                     rlpt_err *err);
void rollout_fwd_free(rollout_fwd *f);

/* N rows: row r feeds token tok[r] of the sequence in slot[r] at position pos[r]; rows of one
 * slot are consecutive with increasing positions, and positions 0 .. pos[r]-1 of that slot are
 * already in the cache. Writes their keys/values to the cache and the logits of rows
 * logit_rows[0..NL) to f->logits (NL, V). Each row's result depends only on its own sequence. */
void rollout_forward(const policy_model *m, rollout_pool *pool, rollout_kv *kv, rollout_fwd *f,
                     const int *tok, const int *slot, const int *pos, int N, const int *logit_rows,
                     int NL);

#endif
