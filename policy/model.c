/* policy/model.c: the decoder's forward and backward over a batch B x T, calling one kernel
 * per layer (embedding, RMSNorm, linear, RoPE, attention, SwiGLU, log-probs) in
 * transformers' order; also allocation of a model. Leaves out generation with a KV cache
 * (rollout/ reuses the kernels, see model.h) and file formats (checkpoint.c).
 * Reference: transformers LlamaForCausalLM / Qwen2ForCausalLM forward; llm.c train_gpt2.c. */
#include "model.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

int policy_model_init(policy_model *m, const policy_config *cfg, rlpt_err *err) {
    memset(m, 0, sizeof *m);
    int rc = policy_config_check(cfg, "model config", err);
    if (rc) return rc;
    m->cfg = *cfg;
    if ((rc = policy_layout_init(&m->layout, cfg, err))) return rc;
    m->params = calloc(m->layout.total, sizeof(float));
    m->p.layer = calloc((size_t)cfg->L, sizeof *m->p.layer);
    m->inv_freq = malloc((size_t)cfg->D / 2 * sizeof(float));
    if (!m->params || !m->p.layer || !m->inv_freq) {
        size_t bytes = m->layout.total * sizeof(float);
        policy_model_free(m);
        return rlpt_errf(err, RLPT_ENOMEM, "out of memory for %zu bytes of parameters", bytes);
    }
    policy_params_view(&m->p, cfg, m->params);
    policy_rope_inv_freq(m->inv_freq, cfg);
    return 0;
}

void policy_model_free(policy_model *m) {
    if (!m) return;
    policy_layout_free(&m->layout);
    free(m->params);
    free(m->p.layer);
    free(m->inv_freq);
    memset(m, 0, sizeof *m);
}

/* The attention of layer l, forward or backward, sequence by sequence: thread t of nt takes a
 * contiguous share of the B sequences and scratch slice t (policy_parallel_blas). */
typedef struct att_job {
    const policy_model *m;
    policy_acts *a;
    int l, backward;
} att_job;

static void attention_seqs(void *arg, int t, int nt) {
    const att_job *j = arg;
    const policy_config *c = &j->m->cfg;
    policy_acts *a = j->a;
    policy_layer_acts *la = &a->layer[j->l];
    int T = a->T, HD = c->H * c->D, KD = c->KVH * c->D;
    float *scratch = a->scratch + (size_t)t * policy_attention_scratch(T, T, c->H, c->KVH, c->D);
    for (int b = a->B * t / nt; b < a->B * (t + 1) / nt; b++) {
        size_t r = (size_t)b * T;
        if (!j->backward) {
            policy_attention_forward(la->att + r * HD, la->lse + r * c->H, scratch, la->q + r * HD,
                                     la->k + r * KD, la->v + r * KD, T, 0, c->H, c->KVH, c->D);
            continue;
        }
        policy_attention_backward(a->dq + r * HD, a->dk + r * KD, a->dv + r * KD, scratch,
                                  a->datt + r * HD, la->att + r * HD, la->lse + r * c->H,
                                  la->q + r * HD, la->k + r * KD, la->v + r * KD, T, 0, c->H,
                                  c->KVH, c->D);
    }
}

static void attention(const policy_model *m, policy_acts *a, int l, int backward) {
    att_job j = {m, a, l, backward};
    policy_parallel_blas(a->scratch_slices, attention_seqs, &j);
}

typedef struct add_task {
    float *y;
    const float *x;
} add_task;

static void add_part(void *arg, long i0, long i1) {
    const add_task *t = arg;
    for (long i = i0; i < i1; i++) t->y[i] += t->x[i];
}

static void add_inplace(float *y, const float *x, size_t n) {
    add_task t = {y, x};
    policy_parallel_for((long)n, 1L << 15, add_part, &t);
}

/* Layer l from a->layer[l].x; writes the layer's output to out (N, C), or stops after the
 * SwiGLU when out is NULL (recomputation for backward needs no more). */
static void layer_forward(const policy_model *m, policy_acts *a, int l, float *out) {
    const policy_config *c = &m->cfg;
    const policy_layer_params *lp = &m->p.layer[l];
    policy_layer_acts *la = &a->layer[l];
    int B = a->B, T = a->T, N = B * T, C = c->C, F = c->F;
    int HD = c->H * c->D, KD = c->KVH * c->D;
    policy_rmsnorm_forward(la->xn1, la->rstd1, la->x, lp->ln1, N, C, (float)c->rms_eps);
    policy_proj qkv[3] = {{.w = lp->wq, .bias = lp->bq, .out = la->q, .OC = HD},
                          {.w = lp->wk, .bias = lp->bk, .out = la->k, .OC = KD},
                          {.w = lp->wv, .bias = lp->bv, .out = la->v, .OC = KD}};
    policy_projs_forward(la->xn1, N, C, qkv, 3);
    policy_rope_forward(la->q, a->pos, m->inv_freq, a->rope, N, c->H, c->D);
    policy_rope_forward(la->k, a->pos, m->inv_freq, a->rope, N, c->KVH, c->D);
    attention(m, a, l, 0);
    policy_linear_forward(la->x2, la->att, lp->wo, lp->bo, N, HD, C);
    add_inplace(la->x2, la->x, (size_t)N * C); /* residual */
    policy_rmsnorm_forward(la->xn2, la->rstd2, la->x2, lp->ln2, N, C, (float)c->rms_eps);
    policy_proj gu[2] = {{.w = lp->wg, .out = la->g, .OC = F},
                         {.w = lp->wu, .out = la->u, .OC = F}};
    policy_projs_forward(la->xn2, N, C, gu, 2);
    policy_swiglu_forward(la->h, la->g, la->u, (size_t)N * F);
    if (!out) return;
    policy_linear_forward(out, la->h, lp->wd, NULL, N, F, C);
    add_inplace(out, la->x2, (size_t)N * C); /* residual */
}

int policy_forward(const policy_model *m, policy_acts *a, const int *ids, const int *targets,
                   float *logp, float *entropy, rlpt_err *err) {
    const policy_config *c = &m->cfg;
    int B = a->B, T = a->T, N = B * T, C = c->C, V = c->V;
    if (T > c->max_pos)
        return rlpt_errf(err, RLPT_EINVAL,
                         "sequence of %d tokens is longer than the model's "
                         "max_position_embeddings %d",
                         T, c->max_pos);
    if (c->sliding_window && T > c->sliding_window)
        return rlpt_errf(err, RLPT_EUNSUPPORTED,
                         "sequence of %d tokens is longer than the "
                         "sliding_window %d, which rlpt does not implement",
                         T, c->sliding_window);
    for (int n = 0; n < N; n++) {
        if (ids[n] < 0 || ids[n] >= V)
            return rlpt_errf(err, RLPT_EINVAL,
                             "token id %d at position %d of sequence %d is "
                             "not in 0..%d",
                             ids[n], n % T, n / T, V - 1);
        if (targets[n] >= V)
            return rlpt_errf(err, RLPT_EINVAL,
                             "target id %d at position %d of sequence %d is "
                             "not below the vocabulary size %d",
                             targets[n], n % T, n / T, V);
    }
    policy_rope_table(a->rope, m->inv_freq, T, c->D); /* a->pos[n] = n % T */
    policy_embedding_forward(a->layer[0].x, ids, m->p.wte, N, C);
    for (int l = 0; l < c->L; l++) layer_forward(m, a, l, l + 1 < c->L ? a->layer[l + 1].x : a->xf);
    policy_rmsnorm_forward(a->xnf, a->rstdf, a->xf, m->p.lnf, N, C, (float)c->rms_eps);
    for (int b = 0; b < B; b++) { /* one (T, V) block of logits at a time */
        size_t r = (size_t)b * T;
        policy_logprobs_forward(logp + r, a->lse + r, entropy ? entropy + r : NULL, a->logits,
                                a->xnf + r * C, m->p.lm_head, targets + r, T, C, V,
                                a->inv_temperature);
    }
    return 0;
}

static void zero(float *x, size_t n) {
    memset(x, 0, n * sizeof *x);
}

/* On entry a->dx holds d(output of layer l); on return d(input of layer l). */
static void layer_backward(const policy_model *m, policy_acts *a, int l, policy_params *g) {
    const policy_config *c = &m->cfg;
    const policy_layer_params *lp = &m->p.layer[l];
    policy_layer_params *lg = &g->layer[l];
    policy_layer_acts *la = &a->layer[l];
    int B = a->B, T = a->T, N = B * T, C = c->C, F = c->F;
    int HD = c->H * c->D, KD = c->KVH * c->D;
    if (a->flags & POLICY_ACTS_RECOMPUTE) layer_forward(m, a, l, NULL);
    /* out = x2 + down(h): dx already is d(x2)'s residual part */
    /* the first contribution to each gradient buffer overwrites it: no memset of dh, dg, du,
     * dxn, datt, dq, dk, dv */
    policy_linear_backward(a->dh, 0, lg->wd, NULL, a->dx, la->h, lp->wd, N, F, C);
    policy_swiglu_backward(a->dg, a->du, a->dh, la->g, la->u, (size_t)N * F);
    policy_proj gu[2] = {{.w = lp->wg, .dout = a->dg, .dw = lg->wg, .OC = F},
                         {.w = lp->wu, .dout = a->du, .dw = lg->wu, .OC = F}};
    policy_projs_backward(a->dxn, 0, la->xn2, N, C, gu, 2);
    policy_rmsnorm_backward(a->dx, lg->ln2, a->norm_scratch, a->dxn, la->x2, lp->ln2, la->rstd2, N,
                            C);
    /* x2 = x + o_proj(att): dx now is d(x2), and also x's residual part */
    policy_linear_backward(a->datt, 0, lg->wo, lg->bo, a->dx, la->att, lp->wo, N, HD, C);
    attention(m, a, l, 1);
    policy_rope_backward(a->dq, a->pos, m->inv_freq, a->rope, N, c->H, c->D);
    policy_rope_backward(a->dk, a->pos, m->inv_freq, a->rope, N, c->KVH, c->D);
    policy_proj qkv[3] = {{.w = lp->wq, .dout = a->dq, .dw = lg->wq, .dbias = lg->bq, .OC = HD},
                          {.w = lp->wk, .dout = a->dk, .dw = lg->wk, .dbias = lg->bk, .OC = KD},
                          {.w = lp->wv, .dout = a->dv, .dw = lg->wv, .dbias = lg->bv, .OC = KD}};
    policy_projs_backward(a->dxn, 0, la->xn1, N, C, qkv, 3);
    policy_rmsnorm_backward(a->dx, lg->ln1, a->norm_scratch, a->dxn, la->x, lp->ln1, la->rstd1, N,
                            C);
}

void policy_backward(const policy_model *m, policy_acts *a, const int *ids, const int *targets,
                     const float *dlogp, float *grads) {
    const policy_config *c = &m->cfg;
    int B = a->B, T = a->T, N = B * T, C = c->C, V = c->V;
    assert(a->flags & POLICY_ACTS_TRAIN); /* forward-only buffers have no backward space */
    policy_params g;
    g.layer = a->grad_layers;
    policy_params_view(&g, c, grads);
    zero(a->dxn, (size_t)N * C);
    for (int b = 0; b < B; b++) {
        size_t r = (size_t)b * T;
        policy_logprobs_backward(a->dxn + r * C, g.lm_head, a->logits, dlogp + r, a->xnf + r * C,
                                 m->p.lm_head, a->lse + r, targets + r, T, C, V,
                                 a->inv_temperature);
    }
    zero(a->dx, (size_t)N * C);
    policy_rmsnorm_backward(a->dx, g.lnf, a->norm_scratch, a->dxn, a->xf, m->p.lnf, a->rstdf, N, C);
    for (int l = c->L - 1; l >= 0; l--) layer_backward(m, a, l, &g);
    policy_embedding_backward(g.wte, a->dx, ids, N, C);
}
