/* tests/policy/test_model_optim.c: learning-rate schedules against their formulas, gradient
 * clipping (torch.nn.utils.clip_grad_norm_ semantics), one AdamW step against the update
 * written out in double, and the memory plan (counts match what is allocated; a plan that does
 * not fit is refused naming the figure and the knobs). AdamW over 5 steps against PyTorch is in
 * test_model_reference.c. The AdamW state file round trip. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model.h"
#include "test_util.h"

static void test_schedules(void **state) {
    (void)state;
    policy_lr_schedule s = {POLICY_LR_CONSTANT, 1e-3f, 0.0f, 10, 100};
    assert_true(policy_lr_at(&s, 0) == 1e-3f && policy_lr_at(&s, 500) == 1e-3f);
    s.kind = POLICY_LR_LINEAR_WARMUP;
    assert_true(fabsf(policy_lr_at(&s, 0) - 1e-4f) < 1e-10f); /* (0+1)/10 */
    assert_true(fabsf(policy_lr_at(&s, 4) - 5e-4f) < 1e-10f);
    assert_true(policy_lr_at(&s, 9) == 1e-3f && policy_lr_at(&s, 50) == 1e-3f);
    s.kind = POLICY_LR_COSINE, s.lr_min = 1e-4f;
    assert_true(fabsf(policy_lr_at(&s, 9) - 1e-3f) < 1e-10f);
    assert_true(fabsf(policy_lr_at(&s, 10) - 1e-3f) < 1e-9f);   /* progress 0 */
    assert_true(fabsf(policy_lr_at(&s, 55) - 5.5e-4f) < 1e-9f); /* halfway: the mean */
    assert_true(fabsf(policy_lr_at(&s, 100) - 1e-4f) < 1e-9f);
    assert_true(fabsf(policy_lr_at(&s, 1000) - 1e-4f) < 1e-9f); /* stays at the floor */
    double want = 1e-4 + 9e-4 * 0.5 * (1 + cos(3.14159265358979 * 30.0 / 90.0));
    assert_true(fabs(policy_lr_at(&s, 40) - want) < 1e-9);
}

static void test_clip(void **state) {
    (void)state;
    float g[4] = {3.0f, 0.0f, -4.0f, 0.0f};
    assert_true(policy_grad_clip(g, 4, 10.0f) == 5.0); /* below: untouched */
    assert_true(g[0] == 3.0f && g[2] == -4.0f);
    assert_true(policy_grad_clip(g, 4, 1.0f) == 5.0);
    assert_true(fabsf(g[0] - 0.6f) < 1e-6f && fabsf(g[2] + 0.8f) < 1e-6f);
    assert_true(fabs(policy_grad_clip(g, 4, 0.0f) - 1.0) < 1e-6); /* 0: no clipping */
}

/* Clipping folded into the update (policy_grad_norm, policy_clip_coef,
 * policy_adamw_step_scaled) gives the same bits as policy_grad_clip then policy_adamw_step,
 * and leaves the gradients as they were. */
static void test_adamw_scaled_is_clip_then_step(void **state) {
    (void)state;
    enum { N = 1000 };
    policy_tensor_info t[2] = {{"w", 0, 900, 2, {30, 30}}, {"b", 900, 100, 1, {100, 0}}};
    policy_layout lay = {t, 2, N};
    static float p1[N], p2[N], g[N], g1[N], g2[N];
    for (int i = 0; i < N; i++) {
        p1[i] = p2[i] = sinf(0.37f * (float)i);
        g[i] = 0.05f * cosf(1.3f * (float)i) * (float)(i % 7);
    }
    for (int c = 0; c < 2; c++) { /* max norm below the norm (clipping) and above it */
        float max_norm = c == 0 ? 0.25f : 100.0f;
        policy_adamw o1, o2;
        rlpt_err err;
        assert_int_equal(policy_adamw_init(&o1, N, &err), 0);
        assert_int_equal(policy_adamw_init(&o2, N, &err), 0);
        for (int step = 0; step < 3; step++) {
            memcpy(g1, g, sizeof g);
            memcpy(g2, g, sizeof g);
            double n1 = policy_grad_clip(g1, N, max_norm);
            policy_adamw_step(&o1, &lay, p1, g1, 1e-2f);
            double n2 = policy_grad_norm(g2, N);
            float k = policy_clip_coef(n2, max_norm);
            assert_true(n1 == n2);
            assert_true(c == 0 ? k < 1.0f : k == 1.0f);
            policy_adamw_step_scaled(&o2, &lay, p2, g2, 1e-2f, k);
            assert_memory_equal(g2, g, sizeof g); /* not written */
            assert_memory_equal(p1, p2, sizeof p1);
            assert_memory_equal(o1.m, o2.m, sizeof(float) * N);
            assert_memory_equal(o1.v, o2.v, sizeof(float) * N);
        }
        policy_adamw_free(&o1);
        policy_adamw_free(&o2);
    }
}

static void test_adamw_step(void **state) {
    (void)state;
    policy_tensor_info t[2] = {{"w", 0, 4, 2, {2, 2}}, {"b", 4, 2, 1, {2, 0}}};
    policy_layout lay = {t, 2, 6};
    float p[6] = {1, -2, 0.5f, 3, 1, -1}, g[6] = {0.1f, -0.2f, 0.3f, 0, 1, -1};
    policy_adamw o;
    rlpt_err err;
    assert_int_equal(policy_adamw_init(&o, 6, &err), 0);
    o.weight_decay = 0.5f;
    float p0[6];
    memcpy(p0, p, sizeof p);
    for (int step = 1; step <= 2; step++) {
        policy_adamw_step(&o, &lay, p, g, 0.1f);
        (void)step;
    }
    for (int i = 0; i < 6; i++) {
        double x = p0[i], m = 0, v = 0, lr = 0.1, wd = i < 4 ? 0.5 : 0.0;
        for (int s = 1; s <= 2; s++) {
            x *= 1 - lr * wd;
            m = 0.9 * m + 0.1 * g[i];
            v = 0.999 * v + 0.001 * g[i] * g[i];
            x -= lr / (1 - pow(0.9, s)) * m / (sqrt(v) / sqrt(1 - pow(0.999, s)) + 1e-8);
        }
        assert_true(fabs(p[i] - x) < 1e-6); /* seen ~6e-8 */
    }
    assert_int_equal(o.t, 2);
    policy_adamw_free(&o);
}

static void test_memplan(void **state) {
    (void)state;
    policy_config c;
    policy_config_default(&c, POLICY_ARCH_LLAMA);
    c.C = 768, c.F = 2048, c.L = 12, c.H = 12, c.KVH = 4, c.D = 64, c.V = 32000;
    policy_memplan full, rec, inf;
    policy_memplan_compute(&full, &c, 8, 512, POLICY_ACTS_TRAIN);
    policy_memplan_compute(&rec, &c, 8, 512, POLICY_ACTS_TRAIN | POLICY_ACTS_RECOMPUTE);
    policy_memplan_compute(&inf, &c, 8, 512, 0);
    assert_int_equal(full.grads, full.params);
    assert_int_equal(full.moments, 2 * full.params);
    assert_true(rec.acts < full.acts / 3); /* recomputation keeps one layer's worth */
    assert_int_equal(inf.grads + inf.moments, 0);
    char line[256];
    policy_memplan_format(&full, line, sizeof line);
    assert_non_null(strstr(line, "memory plan: params "));
    rlpt_err err;
    rlpt_err_clear(&err);
    assert_int_equal(policy_memplan_check(&full, full.total, 8, 512, POLICY_ACTS_TRAIN, &err), 0);
    assert_int_equal(policy_memplan_check(&full, full.total - 1, 8, 512, POLICY_ACTS_TRAIN, &err),
                     RLPT_ENOMEM);
    assert_non_null(strstr(err.msg, "lower the batch size (8) or the sequence length (512)"));
    assert_non_null(strstr(err.msg, "activation recomputation"));
    /* what policy_acts_init allocates is what the plan counted */
    c.C = 64, c.F = 96, c.L = 3, c.H = 4, c.KVH = 2, c.D = 16, c.V = 100;
    for (int flags = 0; flags < 4; flags++) {
        if (flags == POLICY_ACTS_RECOMPUTE) continue;
        policy_memplan mp;
        policy_memplan_compute(&mp, &c, 2, 33, flags);
        policy_acts a;
        assert_int_equal(policy_acts_init(&a, &c, 2, 33, flags, &err), 0);
        assert_int_equal(mp.acts, a.n_floats * sizeof(float) + 2 * 33 * sizeof(int));
        policy_acts_free(&a);
    }
}

/* AdamW state save -> load is bit-exact, and refuses the state of another model */
static void test_adamw_state_file(void **state) {
    (void)state;
    policy_config c;
    policy_config_default(&c, POLICY_ARCH_QWEN2);
    c.C = 16, c.F = 24, c.L = 2, c.H = 2, c.KVH = 1, c.D = 8, c.V = 30;
    policy_layout lay;
    rlpt_err err;
    assert_int_equal(policy_layout_init(&lay, &c, &err), 0);
    float *p = calloc(lay.total, sizeof(float)), *g = calloc(lay.total, sizeof(float));
    for (size_t i = 0; i < lay.total; i++) p[i] = 0.01f * (float)(i % 13), g[i] = sinf((float)i);
    policy_adamw a, b;
    assert_int_equal(policy_adamw_init(&a, lay.total, &err), 0);
    assert_int_equal(policy_adamw_init(&b, lay.total, &err), 0);
    policy_adamw_step(&a, &lay, p, g, 1e-3f);
    policy_adamw_step(&a, &lay, p, g, 1e-3f);
    char path[4096];
    snprintf(path, sizeof path, "%s/test-adamw-%ld.safetensors", RLPT_BINARY_DIR, (long)getpid());
    if (policy_adamw_save(&a, &lay, path, &err)) fail_msg("%s", err.msg);
    if (policy_adamw_load(&b, &lay, path, &err)) fail_msg("%s", err.msg);
    assert_int_equal(b.t, 2);
    assert_memory_equal(a.m, b.m, lay.total * sizeof(float));
    assert_memory_equal(a.v, b.v, lay.total * sizeof(float));
    /* another model (one more layer): refused, naming the first missing tensor; b untouched */
    policy_layout other;
    c.L = 3;
    assert_int_equal(policy_layout_init(&other, &c, &err), 0);
    policy_adamw o;
    assert_int_equal(policy_adamw_init(&o, other.total, &err), 0);
    assert_int_equal(policy_adamw_load(&o, &other, path, &err), RLPT_EFORMAT);
    assert_non_null(strstr(err.msg, "'exp_avg.model.layers.2.input_layernorm.weight' is missing"));
    assert_int_equal(o.t, 0);
    for (size_t i = 0; i < other.total; i++) assert_true(o.m[i] == 0.0f && o.v[i] == 0.0f);
    remove(path);
    policy_adamw_free(&a), policy_adamw_free(&b), policy_adamw_free(&o);
    policy_layout_free(&lay), policy_layout_free(&other);
    free(p), free(g);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_schedules),
        cmocka_unit_test(test_clip),
        cmocka_unit_test(test_adamw_step),
        cmocka_unit_test(test_memplan),
        cmocka_unit_test(test_adamw_scaled_is_clip_then_step),
        cmocka_unit_test(test_adamw_state_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
