/* tests/policy/test_model_reference.c: the whole model against PyTorch.
 * - three configs made by tests/reference/model/make_fixtures.py (Llama-like untied with llama3
 *   RoPE; Qwen2-like with QKV bias and tied embeddings; odd sizes: head_dim 6, one kv head,
 *   Llama attention_bias): logits, log-probs, entropy, loss, every gradient, and the parameters
 *   after 5 AdamW steps with clipping; activation recomputation gives the same gradients;
 * - transformers' own logits for the random llama3-RoPE checkpoint (golden.json);
 * - greedy decoding of the pretrained TinyStories model equals the reference's tokens (a story,
 *   see tinystories-656k-llama/greedy-expected.json). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <stdio.h>

#include "rlpt_io.h"
#include "test_model_util.h"

typedef struct run {
    policy_model m;
    policy_acts a;
    policy_st_file fx;
    int *ids, *targets, B, T;
    float *logp, *grads, *dlogp;
    int count; /* targets >= 0 */
} run;

static void run_open(run *r, const char *name, int flags) {
    char dir[4096], fx[4200];
    snprintf(dir, sizeof dir, "%s/%s", SRC("tests/data/models"), name);
    snprintf(fx, sizeof fx, "%s/fixture.safetensors", dir);
    load_model_or_fail(&r->m, dir);
    rlpt_err err;
    assert_int_equal(policy_st_open(&r->fx, fx, &err), 0);
    const policy_st_tensor *t = policy_st_find(&r->fx, "ids");
    assert_non_null(t);
    r->B = (int)t->shape[0], r->T = (int)t->shape[1];
    size_t n;
    r->ids = fixture_ids(&r->fx, "ids", &n);
    r->targets = fixture_ids(&r->fx, "targets", &n);
    if (policy_acts_init(&r->a, &r->m.cfg, r->B, r->T, flags, &err)) fail_msg("%s", err.msg);
    r->logp = calloc(n, sizeof(float));
    r->dlogp = calloc(n, sizeof(float));
    r->grads = calloc(r->m.layout.total, sizeof(float));
    r->count = 0;
    for (size_t i = 0; i < n; i++) r->count += r->targets[i] >= 0;
    /* loss = -mean(logp over counted targets) */
    for (size_t i = 0; i < n; i++) r->dlogp[i] = r->targets[i] >= 0 ? -1.0f / r->count : 0.0f;
}

static void run_close(run *r) {
    policy_model_free(&r->m);
    policy_acts_free(&r->a);
    policy_st_close(&r->fx);
    free(r->ids), free(r->targets), free(r->logp), free(r->dlogp), free(r->grads);
}

static double forward_backward(run *r, float *entropy) {
    rlpt_err err;
    if (policy_forward(&r->m, &r->a, r->ids, r->targets, r->logp, entropy, &err))
        fail_msg("%s", err.msg);
    memset(r->grads, 0, r->m.layout.total * sizeof(float));
    policy_backward(&r->m, &r->a, r->ids, r->targets, r->dlogp, r->grads);
    double loss = 0.0;
    for (int i = 0; i < r->B * r->T; i++) loss -= r->targets[i] >= 0 ? r->logp[i] : 0.0;
    return loss / r->count;
}

/* Compares a tensor of ours with fixture tensor `name`; prints the largest error seen. */
static void compare(const policy_st_file *fx, const char *name, const float *got, size_t n,
                    float atol, float rtol) {
    size_t m;
    float *want = fixture_get(fx, name, &m);
    assert_int_equal(m, n);
    assert_close_f(got, want, n, atol, rtol, name);
    float worst = 0.0f, scale = 0.0f;
    for (size_t i = 0; i < n; i++) {
        worst = fmaxf(worst, fabsf(got[i] - want[i]));
        scale = fmaxf(scale, fabsf(want[i]));
    }
    print_message("  %-50s max |err| %.2e (max |value| %.2e)\n", name, worst, scale);
    free(want);
}

/* AdamW divides each step by sqrt(v), so elements whose gradients are tiny at some step (e.g.
 * qwen2 embed[65][3], -2e-7 at step 1) turn float noise into parameter changes of up to lr, and
 * those feed the next steps' gradients. So: every element within 1e-3 (a tenth of one lr = 1e-2
 * step; seen 4.5e-4), and at most 1 in 200 beyond 1e-5 + 1e-4 |want| (seen 12 of 43696 in
 * qwen2). Bias correction, weight decay or moment bugs move whole tensors by ~lr. */
static void compare_adamw(const policy_st_file *fx, const char *name, const float *got, size_t n,
                          size_t *loose) {
    char key[POLICY_NAME_MAX + 16];
    snprintf(key, sizeof key, "adamw5.%s", name);
    float *want = fixture_get(fx, key, NULL);
    assert_close_f(got, want, n, 1e-3f, 0.0f, key);
    float worst = 0.0f;
    for (size_t i = 0; i < n; i++) {
        float e = fabsf(got[i] - want[i]);
        worst = fmaxf(worst, e);
        *loose += !(e <= 1e-5f + 1e-4f * fabsf(want[i]));
    }
    print_message("  %-50s max |err| %.2e\n", key, (double)worst);
    free(want);
}

static void check_config(const char *name) {
    run r;
    print_message("%s:\n", name);
    run_open(&r, name, POLICY_ACTS_TRAIN);
    size_t N = (size_t)r.B * r.T, V = (size_t)r.m.cfg.V, C = (size_t)r.m.cfg.C;
    float *entropy = calloc(N, sizeof(float));
    double loss = forward_backward(&r, entropy);
    /* the logits of all rows, from the saved final-norm output */
    float *logits = malloc(N * V * sizeof(float));
    policy_linear_forward(logits, r.a.xnf, r.m.p.lm_head, NULL, (int)N, (int)C, (int)V);
    compare(&r.fx, "logits", logits, N * V, 1e-5f, 1e-5f); /* seen <= 7.5e-6 (|logit| <= 7) */
    compare(&r.fx, "logp", r.logp, N, 1e-5f, 1e-5f);       /* seen <= 3.4e-6 */
    compare(&r.fx, "entropy", entropy, N, 1e-5f, 1e-5f);   /* seen <= 1.9e-6 */
    float l = (float)loss;
    compare(&r.fx, "loss", &l, 1, 1e-6f, 1e-6f); /* seen <= 2.4e-7 */
    char g[POLICY_NAME_MAX + 16];
    for (int i = 0; i < r.m.layout.n; i++) {
        const policy_tensor_info *t = &r.m.layout.t[i];
        snprintf(g, sizeof g, "grad.%s", t->name);
        compare(&r.fx, g, r.grads + t->offset, t->numel, 5e-6f, 1e-4f); /* seen <= 1.5e-6 */
    }

    /* recomputation: the same gradients, bit for bit */
    run rr;
    run_open(&rr, name, POLICY_ACTS_TRAIN | POLICY_ACTS_RECOMPUTE);
    forward_backward(&rr, NULL);
    assert_memory_equal(rr.grads, r.grads, r.m.layout.total * sizeof(float));
    assert_memory_equal(rr.logp, r.logp, N * sizeof(float));
    run_close(&rr);

    /* 5 AdamW steps, clip 1.0, lr 1e-2, weight decay 0.1 on matrices */
    policy_adamw opt;
    rlpt_err err;
    assert_int_equal(policy_adamw_init(&opt, r.m.layout.total, &err), 0);
    opt.weight_decay = 0.1f;
    float norms[5];
    for (int s = 0; s < 5; s++) {
        forward_backward(&r, NULL);
        norms[s] = (float)policy_grad_clip(r.grads, r.m.layout.total, 1.0f);
        policy_adamw_step(&opt, &r.m.layout, r.m.params, r.grads, 1e-2f);
    }
    compare(&r.fx, "gradnorm", norms, 5, 1e-5f, 1e-4f); /* seen <= 1.0e-4 at 10.7 */
    size_t loose = 0;
    for (int i = 0; i < r.m.layout.n; i++) {
        const policy_tensor_info *t = &r.m.layout.t[i];
        compare_adamw(&r.fx, t->name, r.m.params + t->offset, t->numel, &loose);
    }
    print_message("  adamw5: %zu of %zu elements beyond 1e-5 + 1e-4 |want|\n", loose,
                  r.m.layout.total);
    assert_true(loose * 200 <= r.m.layout.total);
    policy_adamw_free(&opt);
    free(entropy);
    free(logits);
    run_close(&r);
}

static void test_llama(void **state) {
    (void)state;
    check_config("ref-llama");
}
static void test_qwen2(void **state) {
    (void)state;
    check_config("ref-qwen2");
}
static void test_odd(void **state) {
    (void)state;
    check_config("ref-odd");
}

/* Logits of the last rows for ids (B, T). logits: (B*T, V) */
static void model_logits(const policy_model *m, const int *ids, int B, int T, float *logits) {
    policy_acts a;
    rlpt_err err;
    if (policy_acts_init(&a, &m->cfg, B, T, 0, &err)) fail_msg("%s", err.msg);
    int *targets = malloc((size_t)B * T * sizeof(int));
    float *logp = malloc((size_t)B * T * sizeof(float));
    for (int i = 0; i < B * T; i++) targets[i] = -1;
    if (policy_forward(m, &a, ids, targets, logp, NULL, &err)) fail_msg("%s", err.msg);
    policy_linear_forward(logits, a.xnf, m->p.lm_head, NULL, B * T, m->cfg.C, m->cfg.V);
    free(targets);
    free(logp);
    policy_acts_free(&a);
}

static void test_transformers_golden(void **state) {
    (void)state;
    policy_model m;
    load_model_or_fail(&m, SRC("tests/data/models/ferrl-tiny-llama-random"));
    char *text;
    rlpt_err err;
    assert_int_equal(rlpt_read_file(SRC("tests/data/models/ferrl-tiny-llama-random/golden.json"),
                                    1 << 20, &text, NULL, &err),
                     0);
    cJSON *root = cJSON_Parse(text);
    free(text);
    const cJSON *cases = cJSON_GetObjectItem(root, "cases"), *c;
    int n_cases = 0;
    cJSON_ArrayForEach(c, cases) {
        const cJSON *rows = cJSON_GetObjectItem(c, "input_ids"),
                    *lg = cJSON_GetObjectItem(c, "logits");
        int B = cJSON_GetArraySize(rows), T = cJSON_GetArraySize(cJSON_GetArrayItem(rows, 0));
        int *ids = malloc((size_t)B * T * sizeof(int));
        for (int b = 0; b < B; b++)
            for (int t = 0; t < T; t++)
                ids[b * T + t] = cJSON_GetArrayItem(cJSON_GetArrayItem(rows, b), t)->valueint;
        size_t n = (size_t)B * T * m.cfg.V;
        assert_int_equal(cJSON_GetArraySize(lg), (int)n);
        float *want = malloc(n * sizeof(float)), *got = malloc(n * sizeof(float));
        for (size_t i = 0; i < n; i++) want[i] = (float)cJSON_GetArrayItem(lg, (int)i)->valuedouble;
        model_logits(&m, ids, B, T, got);
        /* transformers 5.11 / torch 2.12: logits up to ~4; seen max |diff| 4.1e-6 */
        assert_close_f(got, want, n, 1e-5f, 1e-5f, c->string);
        float worst = 0.0f;
        for (size_t i = 0; i < n; i++) worst = fmaxf(worst, fabsf(got[i] - want[i]));
        print_message("golden %s: max |diff| vs transformers %.2e\n", c->string, worst);
        free(ids), free(want), free(got);
        n_cases++;
    }
    assert_int_equal(n_cases, 2);
    cJSON_Delete(root);
    policy_model_free(&m);
}

static void test_tinystories_greedy(void **state) {
    (void)state;
    policy_model m;
    load_model_or_fail(&m, SRC("tests/data/models/tinystories-656k-llama"));
    char *text;
    rlpt_err err;
    assert_int_equal(rlpt_read_file(SRC("tests/data/models/tinystories-656k-llama/"
                                        "greedy-expected.json"),
                                    1 << 20, &text, NULL, &err),
                     0);
    cJSON *root = cJSON_Parse(text);
    free(text);
    const cJSON *want = cJSON_GetObjectItem(root, "ids");
    int n = cJSON_GetArraySize(want);
    int *ids = malloc((size_t)n * sizeof(int));
    float *logits = malloc((size_t)n * m.cfg.V * sizeof(float));
    ids[0] = m.cfg.bos_id;
    for (int t = 1; t < n; t++) {
        model_logits(&m, ids, 1, t, logits);
        const float *last = logits + (size_t)(t - 1) * m.cfg.V;
        int best = 0;
        for (int j = 1; j < m.cfg.V; j++) best = last[j] > last[best] ? j : best;
        ids[t] = best;
        if (ids[t] != cJSON_GetArrayItem(want, t)->valueint)
            fail_msg("greedy token %d: %d, reference %d", t, ids[t],
                     cJSON_GetArrayItem(want, t)->valueint);
    }
    print_message("tinystories: %d greedy tokens equal the reference's: %s\n", n - 1,
                  cJSON_GetObjectItem(root, "text")->valuestring);
    free(ids), free(logits);
    cJSON_Delete(root);
    policy_model_free(&m);
}

/* The generation recipe in model.h, step by step: prefill 5 tokens, then decode one token at a
 * time over a per-layer KV cache; each step's logits must equal the full causal pass's row. */
static void forward_cached(const policy_model *m, const int *ids, int Tq, int pos0, float *kc,
                           float *vc, float *logits) {
    const policy_config *c = &m->cfg;
    int C = c->C, F = c->F, HD = c->H * c->D, KD = c->KVH * c->D, Tk = pos0 + Tq;
    float *x = malloc(sizeof(float) * Tq * C), *xn = malloc(sizeof(float) * Tq * C);
    float *rstd = malloc(sizeof(float) * Tq), *q = malloc(sizeof(float) * Tq * HD);
    float *att = malloc(sizeof(float) * Tq * HD), *o = malloc(sizeof(float) * Tq * C);
    float *lse = malloc(sizeof(float) * c->H * Tq),
          *scratch = malloc(sizeof(float) * policy_attention_scratch(Tq, Tk, c->H, c->KVH, c->D));
    float *g = malloc(sizeof(float) * Tq * F), *u = malloc(sizeof(float) * Tq * F);
    float *h = malloc(sizeof(float) * Tq * F);
    int *pos = malloc(sizeof(int) * Tq);
    for (int i = 0; i < Tq; i++) pos[i] = pos0 + i;
    policy_embedding_forward(x, ids, m->p.wte, Tq, C);
    for (int l = 0; l < c->L; l++) {
        const policy_layer_params *lp = &m->p.layer[l];
        float *kl = kc + (size_t)l * c->max_pos * KD, *vl = vc + (size_t)l * c->max_pos * KD;
        policy_rmsnorm_forward(xn, rstd, x, lp->ln1, Tq, C, (float)c->rms_eps);
        policy_linear_forward(q, xn, lp->wq, lp->bq, Tq, C, HD);
        policy_linear_forward(kl + (size_t)pos0 * KD, xn, lp->wk, lp->bk, Tq, C, KD);
        policy_linear_forward(vl + (size_t)pos0 * KD, xn, lp->wv, lp->bv, Tq, C, KD);
        policy_rope_forward(q, pos, m->inv_freq, NULL, Tq, c->H, c->D);
        policy_rope_forward(kl + (size_t)pos0 * KD, pos, m->inv_freq, NULL, Tq, c->KVH, c->D);
        policy_attention_forward(att, lse, scratch, q, kl, vl, Tq, pos0, c->H, c->KVH, c->D);
        policy_linear_forward(o, att, lp->wo, lp->bo, Tq, HD, C);
        for (int i = 0; i < Tq * C; i++) x[i] += o[i];
        policy_rmsnorm_forward(xn, rstd, x, lp->ln2, Tq, C, (float)c->rms_eps);
        policy_linear_forward(g, xn, lp->wg, NULL, Tq, C, F);
        policy_linear_forward(u, xn, lp->wu, NULL, Tq, C, F);
        policy_swiglu_forward(h, g, u, (size_t)Tq * F);
        policy_linear_forward(o, h, lp->wd, NULL, Tq, F, C);
        for (int i = 0; i < Tq * C; i++) x[i] += o[i];
    }
    policy_rmsnorm_forward(xn, rstd, x, m->p.lnf, Tq, C, (float)c->rms_eps);
    policy_linear_forward(logits, xn + (size_t)(Tq - 1) * C, m->p.lm_head, NULL, 1, C, c->V);
    free(x), free(xn), free(rstd), free(q), free(att), free(o), free(lse), free(scratch);
    free(g), free(u), free(h), free(pos);
}

static void test_kv_cache_recipe(void **state) {
    (void)state;
    const char *dirs[] = {SRC("tests/data/models/ferrl-tiny-llama-random"),
                          SRC("tests/data/models/ref-qwen2"), SRC("tests/data/models/ref-odd")};
    for (int d = 0; d < 3; d++) {
        policy_model m;
        load_model_or_fail(&m, dirs[d]);
        const policy_config *c = &m.cfg;
        int T = 9, ids[9] = {1, 4, 2, 7, 3, 0, 5, 6, 8};
        size_t cache = (size_t)c->L * c->max_pos * c->KVH * c->D;
        float *kc = calloc(cache, sizeof(float)), *vc = calloc(cache, sizeof(float));
        float *full = malloc(sizeof(float) * T * c->V), *step = malloc(sizeof(float) * c->V);
        model_logits(&m, ids, 1, T, full);
        forward_cached(&m, ids, 5, 0, kc, vc, step); /* prefill */
        assert_close_f(step, full + 4 * c->V, (size_t)c->V, 1e-5f, 1e-5f, "prefill");
        for (int t = 5; t < T; t++) { /* decode */
            forward_cached(&m, ids + t, 1, t, kc, vc, step);
            assert_close_f(step, full + (size_t)t * c->V, (size_t)c->V, 1e-5f, 1e-5f, "decode");
        }
        free(kc), free(vc), free(full), free(step);
        policy_model_free(&m);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_llama),
        cmocka_unit_test(test_qwen2),
        cmocka_unit_test(test_odd),
        cmocka_unit_test(test_transformers_golden),
        cmocka_unit_test(test_tinystories_greedy),
        cmocka_unit_test(test_kv_cache_recipe),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
