/* rollout/forward.c: one batched forward pass of generation over the KV cache. Its rows may
 * mix prompt tokens of several sequences (batched, possibly chunked, prefill) and single new
 * tokens of others (decode); each row reads the cached keys of its own sequence only, so its
 * result is the same whatever else is in the batch. Norm, RoPE and SwiGLU are the policy
 * kernels (row-wise); projections are rollout_matmul; attention is written here per row.
 * Leaves out the backward (training uses policy_forward). Reference: policy/model.h's recipe
 * for reusing the layer kernels with a cache; transformers LlamaAttention with a DynamicCache. */
#define _POSIX_C_SOURCE 200809L
#include "internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

size_t rollout_fwd_size(const policy_config *c, int R, int NL, int Tcap) {
    size_t HD = (size_t)c->H * c->D, KD = (size_t)c->KVH * c->D;
    size_t per_row = 3 * (size_t)c->C + 2 * HD + 2 * KD + (size_t)c->C + 2 * (size_t)c->F + 1;
    size_t n = (size_t)R * per_row + (size_t)NL * ((size_t)c->C + c->V) + (size_t)R * Tcap;
    return n * sizeof(float);
}

int rollout_fwd_init(rollout_fwd *f, const policy_config *c, int R, int NL, int Tcap,
                     rlpt_err *err) {
    memset(f, 0, sizeof *f);
    size_t HD = (size_t)c->H * c->D, KD = (size_t)c->KVH * c->D, C = c->C, F = c->F;
    f->R = R;
    f->NL = NL;
    f->x = malloc(R * C * sizeof(float));
    f->xn = malloc(R * C * sizeof(float));
    f->o = malloc(R * C * sizeof(float));
    f->q = malloc(R * HD * sizeof(float));
    f->att = malloc(R * HD * sizeof(float));
    f->k = malloc(R * KD * sizeof(float));
    f->v = malloc(R * KD * sizeof(float));
    f->g = malloc(R * F * sizeof(float));
    f->u = malloc(R * F * sizeof(float));
    f->rstd = malloc((size_t)R * sizeof(float));
    f->xl = malloc((size_t)NL * C * sizeof(float));
    f->logits = malloc((size_t)NL * c->V * sizeof(float));
    f->scores = malloc((size_t)R * Tcap * sizeof(float));
    if (!f->x || !f->xn || !f->o || !f->q || !f->att || !f->k || !f->v || !f->g || !f->u ||
        !f->rstd || !f->xl || !f->logits || !f->scores) {
        rollout_fwd_free(f);
        return rlpt_errf(err, RLPT_ENOMEM, "out of memory for %.1f MiB of generation work space",
                         (double)rollout_fwd_size(c, R, NL, Tcap) / (1 << 20));
    }
    return 0;
}

void rollout_fwd_free(rollout_fwd *f) {
    if (!f) return;
    free(f->x);
    free(f->xn);
    free(f->o);
    free(f->q);
    free(f->att);
    free(f->k);
    free(f->v);
    free(f->g);
    free(f->u);
    free(f->rstd);
    free(f->xl);
    free(f->logits);
    free(f->scores);
    memset(f, 0, sizeof *f);
}

typedef struct att_task {
    const policy_config *c;
    rollout_kv *kv;
    rollout_fwd *f;
    const int *slot, *pos;
    int N, l;
} att_task;

/* Causal attention of rows [r0, r1): query head h of row r over keys 0 .. pos[r] of its slot,
 * kv head h / (H/KVH). softmax(q k^T / sqrt(D)) v, the max subtracted before exp. Scores are
 * rollout_dots_c over the chunked key cache (sixteen positions per step) and outputs
 * rollout_weighted_sum (p_j v_j added in order of j), so each row's values depend on its own
 * query and cache only. */
static void attention_rows(const att_task *a, int r0, int r1) {
    const policy_config *c = a->c;
    int H = c->H, D = c->D, rep = c->H / c->KVH, Tcap = a->kv->Tcap;
    float scale = 1.0f / sqrtf((float)D);
    for (int r = r0; r < r1; r++) {
        int n = a->pos[r] + 1;
        float *s = a->f->scores + (size_t)r * Tcap;
        for (int h = 0; h < H; h++) {
            int g = h / rep;
            rollout_dots_c(s, a->f->q + ((size_t)r * H + h) * D,
                           rollout_kv_kc(a->kv, a->l, a->slot[r], g), D, n);
            float mx = -INFINITY;
            for (int j = 0; j < n; j++) {
                s[j] *= scale;
                mx = s[j] > mx ? s[j] : mx;
            }
            double sum = 0.0;
            for (int j = 0; j < n; j++) sum += (s[j] = expf(s[j] - mx));
            float inv = (float)(1.0 / sum);
            for (int j = 0; j < n; j++) s[j] *= inv;
            rollout_weighted_sum(a->f->att + ((size_t)r * H + h) * D, s,
                                 rollout_kv_vh(a->kv, a->l, a->slot[r], g), D, n, D);
        }
    }
}

static void att_part(void *arg, int t, int nt) {
    const att_task *a = arg;
    attention_rows(a, (int)((long)a->N * t / nt), (int)((long)a->N * (t + 1) / nt));
}

static void add_inplace(float *y, const float *x, size_t n) {
    for (size_t i = 0; i < n; i++) y[i] += x[i];
}

void rollout_forward(const policy_model *m, rlpt_pool *pool, rollout_kv *kv, rollout_fwd *f,
                     const int *tok, const int *slot, const int *pos, int N, const int *logit_rows,
                     int NL) {
    const policy_config *c = &m->cfg;
    int C = c->C, F = c->F, HD = c->H * c->D, KD = c->KVH * c->D;
    float eps = (float)c->rms_eps;
    policy_embedding_forward(f->x, tok, m->p.wte, N, C);
    for (int l = 0; l < c->L; l++) {
        const policy_layer_params *lp = &m->p.layer[l];
        policy_rmsnorm_forward(f->xn, f->rstd, f->x, lp->ln1, N, C, eps);
        rollout_matmul(pool, f->q, f->xn, lp->wq, lp->bq, N, C, HD);
        rollout_matmul(pool, f->k, f->xn, lp->wk, lp->bk, N, C, KD);
        rollout_matmul(pool, f->v, f->xn, lp->wv, lp->bv, N, C, KD);
        policy_rope_forward(f->q, pos, m->inv_freq, NULL, N, c->H, c->D);
        policy_rope_forward(f->k, pos, m->inv_freq, NULL, N, c->KVH, c->D);
        for (int r = 0; r < N; r++)
            rollout_kv_put(kv, l, slot[r], pos[r], f->k + (size_t)r * KD, f->v + (size_t)r * KD);
        att_task at = {c, kv, f, slot, pos, N, l};
        if (pool && pool->n > 1 && N > 1)
            rlpt_pool_run(pool, att_part, &at);
        else
            attention_rows(&at, 0, N);
        rollout_matmul(pool, f->o, f->att, lp->wo, lp->bo, N, HD, C);
        add_inplace(f->x, f->o, (size_t)N * C); /* residual */
        policy_rmsnorm_forward(f->xn, f->rstd, f->x, lp->ln2, N, C, eps);
        rollout_matmul(pool, f->g, f->xn, lp->wg, NULL, N, C, F);
        rollout_matmul(pool, f->u, f->xn, lp->wu, NULL, N, C, F);
        policy_swiglu_forward(f->g, f->g, f->u, (size_t)N * F);
        rollout_matmul(pool, f->o, f->g, lp->wd, NULL, N, F, C);
        add_inplace(f->x, f->o, (size_t)N * C); /* residual */
    }
    for (int i = 0; i < NL; i++)
        memcpy(f->xl + (size_t)i * C, f->x + (size_t)logit_rows[i] * C, (size_t)C * sizeof(float));
    policy_rmsnorm_forward(f->xl, f->rstd, f->xl, m->p.lnf, NL, C, eps);
    rollout_matmul(pool, f->logits, f->xl, m->p.lm_head, NULL, NL, C, c->V);
}
