/* tests/policy/test_model_checkpoint.c: loading Hugging Face model directories (the two real
 * transformers-written checkpoints, our reference fixtures, every broken checkpoint in
 * tests/data/bad-checkpoints/) and writing them back: fp32 save -> load is bit-exact, bf16 is
 * round-to-nearest-even, sharding writes an index that loads to the same parameters. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <unistd.h>

#include "test_model_util.h"

static void test_real_checkpoints_load(void **state) {
    (void)state;
    policy_model m;
    load_model_or_fail(&m, SRC("tests/data/models/tinystories-656k-llama"));
    assert_int_equal(m.layout.total, 656000); /* SOURCES.md: 656,000 parameters */
    assert_true(m.cfg.tied);
    assert_ptr_equal(m.p.lm_head, m.p.wte);
    /* the embedding came from lm_head.weight (the __metadata__ alias): compare with the file */
    policy_st_file f;
    rlpt_err err;
    assert_int_equal(policy_st_open(&f,
                                    SRC("tests/data/models/tinystories-656k-llama/"
                                        "model.safetensors"),
                                    &err),
                     0);
    assert_string_equal(policy_st_meta(&f, "model.embed_tokens.weight"), "lm_head.weight");
    size_t n;
    float *head = fixture_get(&f, "lm_head.weight", &n);
    assert_int_equal(n, 2048 * 128);
    assert_memory_equal(head, m.p.wte, n * sizeof(float));
    free(head);
    policy_st_close(&f);
    policy_model_free(&m);

    load_model_or_fail(&m, SRC("tests/data/models/ferrl-tiny-llama-random"));
    assert_int_equal(m.layout.total, 16544);
    assert_int_equal(m.cfg.rope_type, POLICY_ROPE_LLAMA3);
    assert_int_equal(m.cfg.rope_orig_max_pos, 16);
    assert_true(m.cfg.rope_theta == 500000.0);
    policy_model_free(&m);
}

static int code_of(const char *name) {
    const char *names[] = {"EFORMAT", "EUNSUPPORTED", "EIO"};
    const int codes[] = {RLPT_EFORMAT, RLPT_EUNSUPPORTED, RLPT_EIO};
    for (int i = 0; i < 3; i++)
        if (strcmp(name, names[i]) == 0) return codes[i];
    fail_msg("unknown code %s in EXPECTED", name);
    return 0;
}

static void test_bad_checkpoints(void **state) {
    (void)state;
    FILE *f = fopen(SRC("tests/data/bad-checkpoints/EXPECTED"), "r");
    assert_non_null(f);
    char line[512];
    int cases = 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#') continue;
        line[strcspn(line, "\n")] = '\0';
        char *dir = strtok(line, "\t"), *code = strtok(NULL, "\t"), *text = strtok(NULL, "\t");
        assert_non_null(text);
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", SRC("tests/data/bad-checkpoints"), dir);
        policy_model m;
        rlpt_err err;
        rlpt_err_clear(&err);
        int rc = policy_model_load(&m, path, &err);
        if (rc != code_of(code) || !strstr(err.msg, text))
            fail_msg("%s: got %s '%s', want %s containing '%s'", dir, rlpt_err_name(rc), err.msg,
                     code, text);
        assert_null(m.params); /* nothing half-loaded is left behind */
        cases++;
    }
    fclose(f);
    assert_int_equal(cases, 19);
}

static void tmpdir(char *buf, size_t n, const char *tag) {
    snprintf(buf, n, "%s/test-model-%s-%ld", RLPT_BINARY_DIR, tag, (long)getpid());
}

static void rm_dir(const char *dir) {
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

static void test_save_load_exact(void **state) {
    (void)state;
    const char *srcs[] = {SRC("tests/data/models/ref-qwen2"), SRC("tests/data/models/ref-odd"),
                          SRC("tests/data/models/ferrl-tiny-llama-random")};
    for (int s = 0; s < 3; s++) {
        policy_model a, b;
        load_model_or_fail(&a, srcs[s]);
        char dir[4096];
        tmpdir(dir, sizeof dir, "exact");
        rlpt_err err;
        /* one file, then shards of at most 20 KB (must give several files) */
        for (int shard = 0; shard < 2; shard++) {
            if (policy_model_save(&a, dir, POLICY_DTYPE_F32, shard ? 20000 : 0, &err))
                fail_msg("%s", err.msg);
            char idx[4200];
            snprintf(idx, sizeof idx, "%s/model.safetensors.index.json", dir);
            assert_int_equal(access(idx, F_OK) == 0, shard);
            load_model_or_fail(&b, dir);
            assert_memory_equal(&a.cfg, &b.cfg, sizeof a.cfg);
            assert_int_equal(a.layout.total, b.layout.total);
            assert_memory_equal(a.params, b.params, a.layout.total * sizeof(float));
            policy_model_free(&b);
        }
        rm_dir(dir);
        policy_model_free(&a);
    }
}

static void test_save_bf16(void **state) {
    (void)state;
    policy_model a, b;
    load_model_or_fail(&a, SRC("tests/data/models/ref-llama"));
    char dir[4096];
    tmpdir(dir, sizeof dir, "bf16");
    rlpt_err err;
    if (policy_model_save(&a, dir, POLICY_DTYPE_BF16, 0, &err)) fail_msg("%s", err.msg);
    load_model_or_fail(&b, dir);
    assert_int_equal(b.cfg.dtype, POLICY_DTYPE_BF16);
    for (size_t i = 0; i < a.layout.total; i++) {
        float want = policy_bf16_to_f32(policy_f32_to_bf16(a.params[i]));
        if (b.params[i] != want)
            fail_msg("param %zu: %g -> %g, want %g", i, a.params[i], b.params[i], want);
        /* round to nearest: within half a bf16 ulp (2^-8 relative) */
        assert_true(fabsf(b.params[i] - a.params[i]) <= fabsf(a.params[i]) * 0x1p-8f);
    }
    /* ties go to even: 1 + 2^-8 is halfway between 1 and 1 + 2^-7 */
    assert_true(policy_bf16_to_f32(policy_f32_to_bf16(1.0f + 0x1p-8f)) == 1.0f);
    assert_true(policy_bf16_to_f32(policy_f32_to_bf16(1.0f + 3 * 0x1p-8f)) == 1.0f + 0x1p-6f);
    assert_true(isnan(policy_bf16_to_f32(policy_f32_to_bf16(NAN))));
    /* f16: 1.0, -2.0, the smallest subnormal, infinity */
    assert_true(policy_f16_to_f32(0x3c00) == 1.0f);
    assert_true(policy_f16_to_f32(0xc000) == -2.0f);
    assert_true(policy_f16_to_f32(0x0001) == 0x1p-24f);
    assert_true(isinf(policy_f16_to_f32(0x7c00)));
    rm_dir(dir);
    policy_model_free(&a);
    policy_model_free(&b);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_real_checkpoints_load),
        cmocka_unit_test(test_bad_checkpoints),
        cmocka_unit_test(test_save_load_exact),
        cmocka_unit_test(test_save_bf16),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
