/* policy/params.c: the parameter layout (HF tensor name -> offset, shape in one fp32 buffer),
 * named views into a buffer of that layout, and random initialisation. The same layout serves
 * gradients and AdamW moments. Leaves out reading and writing files (checkpoint.c).
 * Reference: transformers modeling_llama.py / modeling_qwen2.py parameter names. */
#include "model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void add(policy_layout *lay, const char *name, int rows, int cols) {
    policy_tensor_info *t = &lay->t[lay->n++];
    snprintf(t->name, sizeof t->name, "%s", name);
    t->ndim = cols ? 2 : 1;
    t->shape[0] = rows;
    t->shape[1] = cols;
    t->numel = (size_t)rows * (size_t)(cols ? cols : 1);
    t->offset = lay->total;
    lay->total += t->numel;
}

int policy_layout_init(policy_layout *lay, const policy_config *c, rlpt_err *err) {
    memset(lay, 0, sizeof *lay);
    size_t max = 3 + (size_t)c->L * 16;
    lay->t = calloc(max, sizeof *lay->t);
    if (!lay->t) return rlpt_errf(err, RLPT_ENOMEM, "out of memory for the parameter table");
    int HD = c->H * c->D, KD = c->KVH * c->D;
    char n[POLICY_NAME_MAX];
    add(lay, "model.embed_tokens.weight", c->V, c->C);
    for (int l = 0; l < c->L; l++) {
#define ADD(suffix, rows, cols)                                                                    \
    (snprintf(n, sizeof n, "model.layers.%d.%s", l, suffix), add(lay, n, rows, cols))
        ADD("input_layernorm.weight", c->C, 0);
        ADD("self_attn.q_proj.weight", HD, c->C);
        if (c->qkv_bias) ADD("self_attn.q_proj.bias", HD, 0);
        ADD("self_attn.k_proj.weight", KD, c->C);
        if (c->qkv_bias) ADD("self_attn.k_proj.bias", KD, 0);
        ADD("self_attn.v_proj.weight", KD, c->C);
        if (c->qkv_bias) ADD("self_attn.v_proj.bias", KD, 0);
        ADD("self_attn.o_proj.weight", c->C, HD);
        if (c->o_bias) ADD("self_attn.o_proj.bias", c->C, 0);
        ADD("post_attention_layernorm.weight", c->C, 0);
        ADD("mlp.gate_proj.weight", c->F, c->C);
        ADD("mlp.up_proj.weight", c->F, c->C);
        ADD("mlp.down_proj.weight", c->C, c->F);
#undef ADD
    }
    add(lay, "model.norm.weight", c->C, 0);
    if (!c->tied) add(lay, "lm_head.weight", c->V, c->C);
    return 0;
}

void policy_layout_free(policy_layout *lay) {
    if (!lay) return;
    free(lay->t);
    memset(lay, 0, sizeof *lay);
}

const policy_tensor_info *policy_layout_find(const policy_layout *lay, const char *name) {
    for (int i = 0; i < lay->n; i++)
        if (strcmp(lay->t[i].name, name) == 0) return &lay->t[i];
    return NULL;
}

/* Walks the buffer in policy_layout_init's order. */
void policy_params_view(policy_params *p, const policy_config *c, float *base) {
    size_t HD = (size_t)c->H * c->D, KD = (size_t)c->KVH * c->D, C = (size_t)c->C;
    size_t F = (size_t)c->F;
    float *at = base;
#define TAKE(n) (at += (n), at - (n))
    p->wte = TAKE((size_t)c->V * C);
    for (int l = 0; l < c->L; l++) {
        policy_layer_params *lp = &p->layer[l];
        lp->ln1 = TAKE(C);
        lp->wq = TAKE(HD * C);
        lp->bq = c->qkv_bias ? TAKE(HD) : NULL;
        lp->wk = TAKE(KD * C);
        lp->bk = c->qkv_bias ? TAKE(KD) : NULL;
        lp->wv = TAKE(KD * C);
        lp->bv = c->qkv_bias ? TAKE(KD) : NULL;
        lp->wo = TAKE(C * HD);
        lp->bo = c->o_bias ? TAKE(C) : NULL;
        lp->ln2 = TAKE(C);
        lp->wg = TAKE(F * C);
        lp->wu = TAKE(F * C);
        lp->wd = TAKE(C * F);
    }
    p->lnf = TAKE(C);
    p->lm_head = c->tied ? p->wte : TAKE((size_t)c->V * C);
#undef TAKE
}

/* splitmix64 of (seed, index): a counter-based generator, so each value depends only on its
 * place and the seed, never on the order of generation. */
static uint64_t mix(uint64_t x) {
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

static double uniform01(uint64_t seed, uint64_t i) { /* in (0, 1) */
    return ((double)(mix(seed ^ mix(i)) >> 11) + 0.5) / 9007199254740992.0;
}

typedef struct rand_task {
    const policy_model *m;
    uint64_t seed;
    float std;
} rand_task;

/* Elements [i0, i1) of the buffer, tensor by tensor: each value depends on its index alone, so the
 * bits do not depend on how the buffer is cut over the threads. */
static void randomize_part(void *arg, long i0, long i1) {
    const rand_task *r = arg;
    const policy_layout *lay = &r->m->layout;
    for (int k = 0; k < lay->n; k++) {
        const policy_tensor_info *t = &lay->t[k];
        size_t lo, hi;
        if (!policy_tensor_part(t, i0, i1, &lo, &hi)) continue;
        float *w = r->m->params;
        if (t->ndim == 1) { /* norms 1, biases 0, as transformers' _init_weights */
            float one = strstr(t->name, "norm") != NULL ? 1.0f : 0.0f;
            for (size_t i = lo; i < hi; i++) w[i] = one;
            continue;
        }
        for (size_t i = lo; i < hi; i++) {
            uint64_t at = (uint64_t)i * 2; /* Box-Muller from two uniforms */
            double u1 = uniform01(r->seed, at), u2 = uniform01(r->seed, at + 1);
            w[i] = (float)(r->std * sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2));
        }
    }
}

void policy_model_randomize(policy_model *m, uint64_t seed, float std) {
    rand_task r = {m, seed, std};
    policy_parallel_for((long)m->layout.total, 1L << 16, randomize_part, &r);
}
