/* tests/rl/test_grpo.c: rl/grpo.c against (1) values computed by hand from the formulas for
 * small groups and single tokens, and (2) PyTorch autograd over the published formulas
 * (tests/data/grpo/fixtures.json, made by tests/reference/grpo/make_fixtures.py): the loss and
 * d loss / d logp, d loss / d entropy of every aggregation, clip, dual-clip and KL variant.
 * Tolerances: the loss is accumulated in double from float inputs like the reference (seen:
 * <= 3e-16 relative); gradients are stored as float (seen: <= 6e-8 relative). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "rl.h"
#include "rlpt_io.h"
#include "test_util.h"

static void test_advantages_by_hand(void **state) {
    (void)state;
    double adv[16];
    rl_adv_stats st;
    /* [1,0,0,1]: mean 0.5, unbiased std 1/sqrt(3) = 0.5773502692 */
    const double r1[] = {1, 0, 0, 1};
    rl_grpo_advantages(adv, &st, r1, 1, 4, RL_ADV_GRPO, 1e-6);
    assert_true(fabs(adv[0] - 0.8660239038) < 1e-9); /* verl's worked value */
    assert_true(fabs(adv[1] + 0.8660239038) < 1e-9);
    rl_grpo_advantages(adv, &st, r1, 1, 4, RL_ADV_GRPO, 1e-4);
    assert_true(fabs(adv[0] - 0.8658754298) < 1e-9); /* TRL's (eps 1e-4) */
    /* one correct of four: mean 0.25, std 0.5 */
    const double r2[] = {1, 0, 0, 0};
    rl_grpo_advantages(adv, &st, r2, 1, 4, RL_ADV_GRPO, 1e-4);
    assert_true(fabs(adv[0] - 1.4997000600) < 1e-9);
    assert_true(fabs(adv[3] + 0.4999000200) < 1e-9);
    rl_grpo_advantages(adv, &st, r2, 1, 4, RL_ADV_DR_GRPO, 1e-4);
    assert_true(adv[0] == 0.75 && adv[1] == -0.25);
    /* all equal: no signal, every advantage 0, counted */
    const double r3[] = {1, 1, 1, 1, 0, 0, 0, 0, 0.5, 0.5};
    rl_grpo_advantages(adv, &st, r3, 5, 2, RL_ADV_GRPO, 1e-6);
    for (int i = 0; i < 10; i++) assert_true(adv[i] == 0.0);
    assert_int_equal(st.zero_std_groups, 5);
    /* ties inside a group: equal rewards get equal advantages */
    const double r4[] = {1, 1, 0, 0.5};
    rl_grpo_advantages(adv, &st, r4, 1, 4, RL_ADV_GRPO, 1e-6);
    assert_true(adv[0] == adv[1] && adv[0] > 0 && adv[2] < 0);
    assert_int_equal(st.zero_std_groups, 0);
    assert_true(fabs(st.reward_mean - 0.625) < 1e-15);
}

/* One token, token-mean over one token: the loss is the clipped term itself. */
static double one_token(double ratio, double A, double dual, double *grad) {
    float logp = (float)log(ratio), old = 0.0f;
    rl_grpo_seq s = {1, &logp, &old, NULL, NULL, A, 0};
    rl_grpo_opts o = {0.2, 0.28, dual, 0, RL_KL_K3, 0, RL_AGG_TOKEN_MEAN, 0, 1, 1};
    rl_grpo_stats st = {0};
    float g;
    float *gp = &g;
    rl_grpo_loss(&s, 1, &o, &gp, NULL, &st);
    *grad = g;
    return st.loss;
}

static void test_clipped_term_by_hand(void **state) {
    (void)state;
    double g;
    /* worked values of the shared GRPO notes, eps_low 0.2, eps_high 0.28 */
    assert_true(fabs(one_token(1.5, 1, 0, &g) + 1.28) < 1e-6 && g == 0.0);
    assert_true(fabs(one_token(0.5, 1, 0, &g) + 0.5) < 1e-6 && fabs(g + 0.5) < 1e-6);
    assert_true(fabs(one_token(1.5, -1, 0, &g) - 1.5) < 1e-6 && fabs(g - 1.5) < 1e-6);
    assert_true(fabs(one_token(0.5, -1, 0, &g) - 0.8) < 1e-6 && g == 0.0);
    assert_true(fabs(one_token(4.0, -1, 0, &g) - 4.0) < 1e-5);   /* TRL: no dual clip */
    assert_true(fabs(one_token(4.0, -1, 3.0, &g) - 3.0) < 1e-6); /* verl: dual clip c = 3 */
    assert_true(g == 0.0);
    /* k3 worked values: (logp, ref) = (-1, -1.5) -> 0.1065306597; (-2, -1) -> 0.7182818285 */
    float lp[2] = {-1.0f, -2.0f}, rf[2] = {-1.5f, -1.0f};
    assert_true(fabs(rl_grpo_kl_penalty(lp, rf, 1, RL_KL_K3) - 0.1065306597) < 1e-9);
    assert_true(fabs(rl_grpo_kl_penalty(lp + 1, rf + 1, 1, RL_KL_K3) - 0.7182818285) < 1e-9);
    assert_true(fabs(rl_grpo_kl_penalty(lp, rf, 2, RL_KL_K1) - (0.5 - 1.0)) < 1e-12);
}

static void test_aggregation_worked_values(void **state) {
    (void)state;
    /* per-token losses A = [1,2,3] (3 tokens), B = [4] (1 token): with ratio 1 and advantage
     * -1 the per-token loss is 1; scale the advantage to get each sequence's token losses. A
     * per-token loss of (1,2,3) needs different advantages per token, so use two sequences of
     * constant loss instead: [2,2,2] and [4]: seq-mean-token-mean 3, token-mean 2.5,
     * Dr. GRPO with L = 4: (6 + 4) / (2 * 4) = 1.25. */
    float z3[3] = {0, 0, 0}, z1[1] = {0};
    rl_grpo_seq s[2] = {{3, z3, z3, NULL, NULL, -2.0, 0}, {1, z1, z1, NULL, NULL, -4.0, 0}};
    const int aggs[3] = {RL_AGG_SEQ_MEAN_TOKEN_MEAN, RL_AGG_TOKEN_MEAN, RL_AGG_SEQ_MEAN_TOKEN_SUM};
    const double want[3] = {3.0, 2.5, 1.25};
    for (int i = 0; i < 3; i++) {
        rl_grpo_opts o = {0.2, 0.2, 0, 0, RL_KL_K3, 0, aggs[i], 4, 2, 4};
        rl_grpo_stats st = {0};
        rl_grpo_loss(s, 2, &o, NULL, NULL, &st);
        if (fabs(st.loss - want[i]) > 1e-12)
            fail_msg("aggregation %d: loss %.17g, want %g", i, st.loss, want[i]);
    }
}

static float *floats(const cJSON *arr, int *n) {
    *n = cJSON_GetArraySize(arr);
    float *v = calloc((size_t)*n + 1, sizeof *v);
    for (int i = 0; i < *n; i++) v[i] = (float)cJSON_GetArrayItem(arr, i)->valuedouble;
    return v;
}

static void test_against_pytorch(void **state) {
    (void)state;
    char *text = NULL;
    rlpt_err err;
    if (rlpt_read_file(SRC("tests/data/grpo/fixtures.json"), 1 << 24, &text, NULL, &err))
        fail_msg("%s", err.msg);
    cJSON *root = cJSON_Parse(text);
    free(text);
    assert_non_null(root);
    const cJSON *jseqs = cJSON_GetObjectItem(root, "seqs");
    int n = cJSON_GetArraySize(jseqs);
    rl_grpo_seq *seqs = calloc((size_t)n, sizeof *seqs);
    float **dlogp = calloc((size_t)n, sizeof *dlogp), **dent = calloc((size_t)n, sizeof *dent);
    for (int i = 0; i < n; i++) {
        const cJSON *j = cJSON_GetArrayItem(jseqs, i);
        int T;
        seqs[i].logp = floats(cJSON_GetObjectItem(j, "logp"), &T);
        seqs[i].logp_old = floats(cJSON_GetObjectItem(j, "logp_old"), &T);
        seqs[i].logp_ref = floats(cJSON_GetObjectItem(j, "logp_ref"), &T);
        seqs[i].entropy = floats(cJSON_GetObjectItem(j, "entropy"), &T);
        seqs[i].T = T;
        seqs[i].adv = cJSON_GetObjectItem(j, "adv")->valuedouble;
        seqs[i].masked = cJSON_GetObjectItem(j, "masked")->valueint;
        dlogp[i] = calloc((size_t)T, sizeof(float));
        dent[i] = calloc((size_t)T, sizeof(float));
    }
    const cJSON *c;
    int variant = 0;
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(root, "cases")) {
        const cJSON *jo = cJSON_GetObjectItem(c, "opts");
        const char *agg = cJSON_GetObjectItem(jo, "agg")->valuestring;
        rl_grpo_opts o = {
            .clip_low = cJSON_GetObjectItem(jo, "clip_low")->valuedouble,
            .clip_high = cJSON_GetObjectItem(jo, "clip_high")->valuedouble,
            .dual_clip = cJSON_GetObjectItem(jo, "dual_clip")->valuedouble,
            .beta = cJSON_GetObjectItem(jo, "beta")->valuedouble,
            .kl_estimator =
                strcmp(cJSON_GetObjectItem(jo, "kl")->valuestring, "k1") == 0 ? RL_KL_K1 : RL_KL_K3,
            .entropy_coef = cJSON_GetObjectItem(jo, "entropy_coef")->valuedouble,
            .agg = strcmp(agg, "token_mean") == 0           ? RL_AGG_TOKEN_MEAN
                   : strcmp(agg, "seq_mean_token_sum") == 0 ? RL_AGG_SEQ_MEAN_TOKEN_SUM
                                                            : RL_AGG_SEQ_MEAN_TOKEN_MEAN,
            .agg_tokens = cJSON_GetObjectItem(jo, "agg_tokens")->valuedouble,
            .n_seq = cJSON_GetObjectItem(c, "n_seq")->valuedouble,
            .n_tok = cJSON_GetObjectItem(c, "n_tok")->valuedouble,
        };
        rl_grpo_stats st = {0};
        rl_grpo_loss(seqs, n, &o, dlogp, dent, &st);
        double want = cJSON_GetObjectItem(c, "loss")->valuedouble;
        if (fabs(st.loss - want) > 1e-12 + 1e-12 * fabs(want))
            fail_msg("variant %d (%s): loss %.17g, torch %.17g", variant, agg, st.loss, want);
        for (int i = 0; i < n; i++) {
            int T;
            float *w = floats(cJSON_GetArrayItem(cJSON_GetObjectItem(c, "dlogp"), i), &T);
            char what[64];
            snprintf(what, sizeof what, "variant %d seq %d dlogp", variant, i);
            assert_close_f(dlogp[i], w, (size_t)T, 1e-9f, 1e-6f, what);
            free(w);
            w = floats(cJSON_GetArrayItem(cJSON_GetObjectItem(c, "dent"), i), &T);
            snprintf(what, sizeof what, "variant %d seq %d dentropy", variant, i);
            assert_close_f(dent[i], w, (size_t)T, 1e-9f, 1e-6f, what);
            free(w);
        }
        variant++;
    }
    assert_int_equal(variant, 6);
    int adv_cases = 0;
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(root, "advantages")) {
        const cJSON *jr = cJSON_GetObjectItem(c, "rewards");
        int nr = cJSON_GetArraySize(jr), G = cJSON_GetObjectItem(c, "G")->valueint;
        double r[16], a[16];
        for (int i = 0; i < nr; i++) r[i] = cJSON_GetArrayItem(jr, i)->valuedouble;
        const char *mode = cJSON_GetObjectItem(c, "mode")->valuestring;
        int m = strcmp(mode, "grpo") == 0      ? RL_ADV_GRPO
                : strcmp(mode, "dr_grpo") == 0 ? RL_ADV_DR_GRPO
                                               : RL_ADV_BATCH_STD;
        rl_adv_stats st;
        rl_grpo_advantages(a, &st, r, nr / G, G, m, cJSON_GetObjectItem(c, "eps")->valuedouble);
        for (int i = 0; i < nr; i++) {
            double w = cJSON_GetArrayItem(cJSON_GetObjectItem(c, "adv"), i)->valuedouble;
            if (fabs(a[i] - w) > 1e-12 + 1e-12 * fabs(w))
                fail_msg("advantage case %d (%s) [%d]: %.17g, torch %.17g", adv_cases, mode, i,
                         a[i], w);
        }
        adv_cases++;
    }
    assert_int_equal(adv_cases, 30);
    for (int i = 0; i < n; i++) {
        free((void *)seqs[i].logp);
        free((void *)seqs[i].logp_old);
        free((void *)seqs[i].logp_ref);
        free((void *)seqs[i].entropy);
        free(dlogp[i]);
        free(dent[i]);
    }
    free(seqs);
    free(dlogp);
    free(dent);
    cJSON_Delete(root);
}

/* pass@k by hand from 1 - C(n-c, k) / C(n, k): n=5, c=2, k=2: 1 - 3/10; n=10, c=3, k=4:
 * 1 - C(7,4)/C(10,4) = 1 - 35/210; edges: c=0 -> 0, n-c < k -> 1, k=1 -> c/n. */
static void test_pass_at_k_by_hand(void **state) {
    (void)state;
    assert_true(fabs(rl_pass_at_k(5, 2, 2) - 0.7) < 1e-15);
    assert_true(fabs(rl_pass_at_k(10, 3, 4) - (1.0 - 35.0 / 210.0)) < 1e-15);
    assert_true(rl_pass_at_k(8, 0, 4) == 0.0);
    assert_true(rl_pass_at_k(8, 5, 4) == 1.0);
    for (int c = 0; c <= 16; c++) assert_true(fabs(rl_pass_at_k(16, c, 1) - c / 16.0) < 1e-15);
    assert_true(rl_pass_at_k(16, 1, 16) == 1.0 && rl_pass_at_k(16, 0, 16) == 0.0); /* k = n: any */
    assert_true(isnan(rl_pass_at_k(4, 1, 5)) && isnan(rl_pass_at_k(4, 5, 2)));
}

/* Equivalence for the majority tests: equal after dropping spaces ("1/2" and "1 / 2"). */
static int same_nospace(void *ctx, const char *a, const char *b) {
    (void)ctx;
    for (;; a++, b++) {
        while (*a == ' ') a++;
        while (*b == ' ') b++;
        if (*a != *b) return 0;
        if (!*a) return 1;
    }
}

static void test_majority_by_hand(void **state) {
    (void)state;
    char *v1[] = {"3", "5", "5", NULL, "3", "1 / 2", "1/2", "1/2"}; /* 1/2 x3 beats 3 x2, 5 x2 */
    assert_int_equal(rl_majority(v1, 8, same_nospace, NULL), 5);
    char *v2[] = {"7", "9", "9", "7"}; /* a tie goes to the class seen first */
    assert_int_equal(rl_majority(v2, 4, same_nospace, NULL), 0);
    char *v3[] = {NULL, NULL, "4"}; /* samples without an answer do not vote */
    assert_int_equal(rl_majority(v3, 3, same_nospace, NULL), 2);
    char *v4[] = {NULL, NULL};
    assert_int_equal(rl_majority(v4, 2, same_nospace, NULL), -1);
    assert_int_equal(rl_majority(v4, 0, same_nospace, NULL), -1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_advantages_by_hand),
        cmocka_unit_test(test_clipped_term_by_hand),
        cmocka_unit_test(test_aggregation_worked_values),
        cmocka_unit_test(test_against_pytorch),
        cmocka_unit_test(test_pass_at_k_by_hand),
        cmocka_unit_test(test_majority_by_hand),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
