/* tests/rewards/test_rewards_text.c: the reward functions behind the reward_fn table (math,
 * gsm8k, format, length, repetition, language), their argument checking, and the weighted
 * combination. Expected values are computed by hand from the formulas cited in each source
 * file; the DAPO overlong values are the worked values of shared/grpo-reference.md
 * (L_max 20480, cache 4096: 16384 -> 0, 18432 -> -0.5, 20480 -> -1). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rewards.h"

static reward_sample sample(const char *completion, int tokens, const char *fields) {
    reward_sample s = {completion, strlen(completion), tokens, fields};
    return s;
}

/* Scores one sample with fn(args); returns the reward, and the details in *details if asked. */
static double score1(const reward_fn *fn, const char *args, reward_sample s, char **details) {
    void *st = NULL;
    rlpt_err err;
    rlpt_err_clear(&err);
    if (fn->init(fn, args, &st, &err) != 0) fail_msg("%s init: %s", fn->name, err.msg);
    double r = NAN;
    char *d = NULL;
    if (fn->score_batch(st, &s, 1, &r, &d, &err) != 0) fail_msg("%s score: %s", fn->name, err.msg);
    fn->free(st);
    if (details)
        *details = d;
    else
        free(d);
    return r;
}

static void test_math_fn(void **state) {
    (void)state;
    char *d = NULL;
    double r = score1(&reward_fn_math, NULL,
                      sample("<think>1/2 of 2</think><answer>\\boxed{\\dfrac{1}{2}}</answer>", -1,
                             "{\"answer\": \"0.5\"}"),
                      &d);
    assert_true(r == 1.0);
    assert_non_null(strstr(d, "\"extracted\":\"\\\\dfrac{1}{2}\""));
    assert_non_null(strstr(d, "\"method\":\"boxed\""));
    free(d);
    r = score1(&reward_fn_math, "{\"incorrect\": -1}",
               sample("so \\boxed{(2,1)}", -1, "{\"answer\": \"(1,2)\"}"), &d);
    assert_true(r == -1.0);
    assert_non_null(strstr(d, "\"correct\":false"));
    free(d);
    /* a numeric field; the last-number fallback and switching it off */
    assert_true(score1(&reward_fn_gsm8k, NULL,
                       sample("She has 18 eggs left.", -1, "{\"answer\": 18}"), NULL) == 1.0);
    assert_true(score1(&reward_fn_gsm8k, "{\"last_number\": false}",
                       sample("She has 18 eggs left.", -1, "{\"answer\": 18}"), NULL) == 0.0);
    assert_true(
        score1(&reward_fn_gsm8k, NULL,
               sample("... #### 1,000", -1, "{\"answer\": \"Total 10*100=1000\\n#### 1000\"}"),
               NULL) == 1.0);
    /* a sample without the field is an error naming it */
    void *st;
    rlpt_err err;
    assert_int_equal(reward_fn_math.init(&reward_fn_math, NULL, &st, &err), 0);
    reward_sample s = sample("\\boxed{1}", -1, "{\"question\": 1}");
    double v;
    assert_int_equal(reward_fn_math.score_batch(st, &s, 1, &v, NULL, &err), RLPT_EINVAL);
    assert_non_null(strstr(err.msg, "\"answer\""));
    reward_fn_math.free(st);
}

static void test_args_refused(void **state) {
    (void)state;
    void *st = NULL;
    rlpt_err err;
    rlpt_err_clear(&err);
    assert_int_equal(reward_fn_math.init(&reward_fn_math, "{\"corect\": 1}", &st, &err),
                     RLPT_ECONFIG);
    assert_non_null(strstr(err.msg, "unknown argument 'corect'"));
    assert_null(st);
    rlpt_err_clear(&err);
    assert_int_equal(reward_fn_length.init(&reward_fn_length, "{\"max_len\": 1.5}", &st, &err),
                     RLPT_ECONFIG);
    assert_non_null(strstr(err.msg, "'max_len' must be an integer"));
    rlpt_err_clear(&err);
    assert_int_equal(
        reward_fn_length.init(&reward_fn_length, "{\"max_len\": 100, \"cache\": 200}", &st, &err),
        RLPT_ECONFIG);
    rlpt_err_clear(&err);
    assert_int_equal(reward_fn_format.init(&reward_fn_format, "{\"strict\": 1}", &st, &err),
                     RLPT_ECONFIG);
    assert_non_null(strstr(err.msg, "'strict' must be true or false"));
    rlpt_err_clear(&err);
    assert_int_equal(
        reward_fn_language.init(&reward_fn_language, "{\"script\": \"klingon\"}", &st, &err),
        RLPT_ECONFIG);
    rlpt_err_clear(&err);
    assert_int_equal(reward_fn_format.init(&reward_fn_format, "[1]", &st, &err), RLPT_ECONFIG);
}

static void test_format_fn(void **state) {
    (void)state;
    const reward_fn *f = &reward_fn_format;
    struct {
        const char *args, *text;
        double want;
    } cases[] = {
        {NULL, "<think>\nstep 1\n</think>\n<answer>\n42\n</answer>", 1},
        {NULL, "<think>\nstep 1\n</think>\n<answer>\n42\n</answer>\n", 1},
        {NULL, "<think>step 1</think><answer>42</answer>", 0}, /* strict wants newlines */
        {NULL, "<think>\na\n</think>\n<answer>\n4\n</answer> extra", 0},
        {NULL, "<think>\na\n</think>\n<answer>\n4\n</answer><answer>\n5\n</answer>", 0},
        {NULL, "<answer>\n42\n</answer>\n<think>\na\n</think>", 0},
        {"{\"strict\": false}", "<think>step 1</think> <answer>42</answer>", 1},
        {"{\"strict\": false}", "Sure! <think>a</think>\n<answer>4</answer>", 1},
        {"{\"strict\": false}", "<think>a</think> so <answer>4</answer>", 0},
        {"{\"strict\": false}", "<think>a</think>", 0},
        {"{\"think_in_prompt\": true}", "\nstep 1\n</think>\n<answer>\n42\n</answer>", 1},
        {"{\"think_in_prompt\": true}", "<think>\nx\n</think>\n<answer>\n42\n</answer>", 0},
        {"{\"think_tag\": \"reasoning\", \"answer_tag\": \"final\", \"reward\": 2}",
         "<reasoning>\nx\n</reasoning>\n<final>\n4\n</final>", 2},
        {"{\"penalty\": -1}", "no tags", -1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        double r = score1(f, cases[i].args, sample(cases[i].text, -1, "{}"), NULL);
        if (r != cases[i].want) fail_msg("format case %zu: got %g want %g", i, r, cases[i].want);
    }
}

static void test_length_fn(void **state) {
    (void)state;
    assert_true(reward_overlong(16384, 20480, 4096) == 0.0);
    assert_true(reward_overlong(18432, 20480, 4096) == -0.5);
    assert_true(reward_overlong(20480, 20480, 4096) == -1.0);
    assert_true(reward_overlong(20481, 20480, 4096) == -1.0);
    assert_true(reward_overlong(16385, 20480, 4096) == -1.0 / 4096);
    assert_true(score1(&reward_fn_length, NULL, sample("x", 18432, "{}"), NULL) == -0.5);
    assert_true(score1(&reward_fn_length,
                       "{\"max_len\": 100, \"cache\": 20, \"penalty_factor\": 2}",
                       sample("x", 90, "{}"), NULL) == -1.0); /* (80-90)/20*2 */
    assert_true(score1(&reward_fn_length, NULL, sample("x", 5, "{}"), NULL) == 0.0);
    void *st;
    rlpt_err err;
    assert_int_equal(reward_fn_length.init(&reward_fn_length, NULL, &st, &err), 0);
    reward_sample s = sample("x", -1, "{}");
    double v;
    assert_int_equal(reward_fn_length.score_batch(st, &s, 1, &v, NULL, &err), RLPT_EINVAL);
    assert_non_null(strstr(err.msg, "completion_tokens"));
    reward_fn_length.free(st);
}

static void test_repetition_fn(void **state) {
    (void)state;
    /* 9 words, 7 trigrams, 3 distinct: 1 - 3/7 */
    double share = reward_repeated_ngram_share("a b c a b c a b c", 17, 3);
    assert_true(fabs(share - 4.0 / 7.0) < 1e-15);
    assert_true(reward_repeated_ngram_share("A b C\na B c", 11, 3) ==
                0.25); /* lower-cased: 4 trigrams, 3 distinct */
    assert_true(reward_repeated_ngram_share("one two", 7, 3) == 0.0);
    assert_true(reward_repeated_ngram_share("the cat sat on the mat", 22, 2) == 0.0);
    double r = score1(&reward_fn_repetition, "{\"penalty\": 0.5}",
                      sample("a b c a b c a b c", -1, "{}"), NULL);
    assert_true(fabs(r - (-0.5 * 4.0 / 7.0)) < 1e-15);
    assert_true(score1(&reward_fn_repetition, NULL, sample("all words differ here", -1, "{}"),
                       NULL) == 0.0);
}

static void test_language_fn(void **state) {
    (void)state;
    const char *mixed = "Answer \xe6\x98\xaf 42"; /* "Answer 是 42": 6 Latin letters, 1 Han */
    assert_true(fabs(reward_script_share(mixed, strlen(mixed), "latin") - 6.0 / 7.0) < 1e-15);
    assert_true(fabs(reward_script_share(mixed, strlen(mixed), "chinese") - 1.0 / 7.0) < 1e-15);
    assert_true(reward_script_share("123 + 4 = 127", 13, "latin") == 0.0);
    assert_true(reward_script_share("x", 1, "klingon") == -1.0);
    const char *bad = "ab\xff"; /* an invalid byte counts against */
    assert_true(fabs(reward_script_share(bad, 3, "latin") - 2.0 / 3.0) < 1e-15);
    /* only the chain of thought counts */
    double r = score1(
        &reward_fn_language, NULL,
        sample("<think>think in English</think><answer>\xe7\xad\x94</answer>", -1, "{}"), NULL);
    assert_true(r == 1.0);
    r = score1(&reward_fn_language, "{\"script\": \"cyrillic\"}",
               sample("<think>\xd0\xb4\xd0\xb0 ok</think>", -1, "{}"), NULL); /* "да ok" */
    assert_true(r == 0.5);
}

/* A function registered at run time whose init reads its table's ctx (as a plugin wrapper
 * does): every sample scores *(const double *)ctx. */
static int const_init(const reward_fn *self, const char *args_json, void **state, rlpt_err *err) {
    (void)args_json;
    (void)err;
    *state = (void *)self->ctx;
    return 0;
}

static int const_score(void *state, const reward_sample *samples, int n, double *rewards,
                       char **details, rlpt_err *err) {
    (void)samples;
    (void)err;
    for (int i = 0; i < n; i++) {
        rewards[i] = *(const double *)state;
        if (details) details[i] = NULL;
    }
    return 0;
}

static void const_free(void *state) {
    (void)state;
}

static void test_combination(void **state) {
    (void)state;
    reward_registry *reg;
    rlpt_err err;
    rlpt_err_clear(&err);
    assert_int_equal(reward_registry_init(&reg, &err), 0);
    assert_int_equal(reward_registry_count(reg), 7);
    assert_non_null(reward_registry_find(reg, "language"));
    assert_non_null(reward_registry_find(reg, "code"));
    assert_int_equal(reward_registry_add(reg, &reward_fn_math, &err), RLPT_EINVAL); /* duplicate */
    reward_combo_item items[] = {{"math", 1.0, NULL},
                                 {"format", 0.5, "{\"strict\": false}"},
                                 {"length", 2.0, "{\"max_len\": 100, \"cache\": 50}"}};
    reward_combo *c;
    assert_int_equal(reward_combo_init(&c, reg, items, 3, &err), 0);
    assert_int_equal(reward_combo_size(c), 3);
    assert_string_equal(reward_combo_name(c, 1), "format");
    reward_sample s[2] = {
        sample("<think>x</think><answer>\\boxed{4}</answer>", 75, "{\"answer\": \"4\"}"),
        sample("it is 5", 10, "{\"answer\": \"4\"}")};
    double total[2], per[6];
    assert_int_equal(reward_combo_score(c, s, 2, total, per, &err), 0);
    /* math 1/0; format 1/0; length (50-75)/50 = -0.5 / 0 */
    assert_true(per[0] == 1.0 && per[1] == 0.0);
    assert_true(per[2] == 1.0 && per[3] == 0.0);
    assert_true(per[4] == -0.5 && per[5] == 0.0);
    assert_true(total[0] == 1.0 + 0.5 - 1.0);
    assert_true(total[1] == 0.0);
    reward_combo_free(c);
    /* an unknown function and a bad argument name the item */
    reward_combo_item bad1[] = {{"math", 1.0, NULL}, {"maths", 1.0, NULL}};
    assert_int_equal(reward_combo_init(&c, reg, bad1, 2, &err), RLPT_ECONFIG);
    assert_non_null(strstr(err.msg, "rewards[1]: unknown reward function 'maths'"));
    assert_null(c);
    rlpt_err_clear(&err);
    reward_combo_item bad2[] = {{"format", 1.0, "{\"strict\": \"yes\"}"}};
    assert_int_equal(reward_combo_init(&c, reg, bad2, 1, &err), RLPT_ECONFIG);
    assert_non_null(strstr(err.msg, "rewards[0] (format)"));
    /* a run-time function with a context, through the same table */
    static const double seven = 7.0;
    static const reward_fn constant = {"constant",  "ctx value", const_init,
                                       const_score, const_free,  &seven};
    assert_int_equal(reward_registry_add(reg, &constant, &err), 0);
    assert_int_equal(reward_registry_count(reg), 8);
    reward_combo_item mix[] = {{"constant", 0.5, NULL}, {"math", 1.0, NULL}};
    assert_int_equal(reward_combo_init(&c, reg, mix, 2, &err), 0);
    assert_int_equal(reward_combo_score(c, s, 2, total, per, &err), 0);
    assert_true(per[0] == 7.0 && per[1] == 7.0);
    assert_true(total[0] == 3.5 + 1.0 && total[1] == 3.5);
    reward_combo_free(c);
    reward_registry_free(reg);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_math_fn),       cmocka_unit_test(test_args_refused),
        cmocka_unit_test(test_format_fn),     cmocka_unit_test(test_length_fn),
        cmocka_unit_test(test_repetition_fn), cmocka_unit_test(test_language_fn),
        cmocka_unit_test(test_combination),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
