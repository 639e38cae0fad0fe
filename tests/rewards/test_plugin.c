/* tests/rewards/test_plugin.c: the reward plugin loader (rewards/plugin.c) on the example
 * plugin and on broken ones: missing file, not a shared object, no entry symbol, wrong ABI,
 * NULL table, bad name / missing functions, unresolved symbol (RTLD_NOW), failing init and
 * score. Each refusal names the path and the reason; the example scores as documented. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "plugin.h"

#define PLUGIN(name) RLPT_PLUGIN_DIR "/" name ".so"

static void expect_refused(const char *path, const char *want) {
    reward_plugin *p = (reward_plugin *)1;
    rlpt_err err;
    rlpt_err_clear(&err);
    assert_int_equal(reward_plugin_load(&p, path, &err), RLPT_EPLUGIN);
    assert_null(p);
    assert_non_null(strstr(err.msg, path));
    if (!strstr(err.msg, want)) fail_msg("'%s' lacks '%s'", err.msg, want);
}

static void test_refusals(void **state) {
    (void)state;
    expect_refused("/nonexistent/plugin.so", "cannot load: /nonexistent/plugin.so: cannot open");
    expect_refused(RLPT_SOURCE_DIR "/include/rlpt/reward.h", "cannot load");
    expect_refused(PLUGIN("no_entry"), "no entry symbol 'rlpt_reward_plugin_v1'");
    expect_refused(PLUGIN("wrong_abi"),
                   "built for reward ABI version 2, this rlpt speaks version 1");
    expect_refused(PLUGIN("bad_table"), "bad name 'Bad Name!'");
    expect_refused(PLUGIN("undefined_symbol"), "undefined symbol: rlpt_no_such_function");
    setenv("RLPT_TEST_NULL_TABLE", "1", 1);
    expect_refused(PLUGIN("bad_table"), "rlpt_reward_plugin_v1() returned NULL");
    unsetenv("RLPT_TEST_NULL_TABLE");
}

static void test_init_and_score_errors(void **state) {
    (void)state;
    reward_plugin *p = NULL;
    rlpt_err err;
    assert_int_equal(reward_plugin_load(&p, PLUGIN("init_fails"), &err), 0);
    void *st = NULL;
    assert_int_equal(reward_plugin_init_state(p, "{\"threshold\":\"x\"}", &st, &err), RLPT_EPLUGIN);
    assert_non_null(strstr(err.msg, "plugin refuses ("));
    assert_non_null(strstr(err.msg, "init failed: args.threshold: expected a number, got "
                                    "{\"threshold\":\"x\"}"));
    rlpt_reward_sample s = {"x", 1, 1, "{}"};
    double r;
    assert_int_equal(reward_plugin_score(p, NULL, &s, 1, &r, NULL, &err), RLPT_EPLUGIN);
    assert_non_null(strstr(err.msg, "score failed: cannot score"));
    reward_plugin_free(p);
    reward_plugin_free(NULL);
}

static void test_example_plugin(void **state) {
    (void)state;
    reward_plugin *p = NULL;
    rlpt_err err;
    if (reward_plugin_load(&p, PLUGIN("short_answer"), &err)) fail_msg("%s", err.msg);
    assert_string_equal(reward_plugin_table(p)->name, "short_answer");
    void *st = NULL;
    assert_int_equal(reward_plugin_init_state(p, "{\"max_chars\": 10}", &st, &err), 0);
    const char *texts[] = {"<think>x</think><answer>42</answer>",
                           "<answer>123456789012345</answer>", /* 15 chars: 1 - 5/10 */
                           "<answer>123456789012345678901</answer>", "no answer"};
    rlpt_reward_sample s[4];
    for (int i = 0; i < 4; i++) s[i] = (rlpt_reward_sample){texts[i], strlen(texts[i]), -1, "{}"};
    double r[4];
    char *details[4];
    assert_int_equal(reward_plugin_score(p, st, s, 4, r, details, &err), 0);
    assert_true(r[0] == 1.0);
    assert_true(r[1] == 0.5);
    assert_true(r[2] == 0.0);
    assert_true(r[3] == 0.0);
    assert_string_equal(details[0], "{\"answer_chars\": 2}");
    for (int i = 0; i < 4; i++) free(details[i]);
    reward_plugin_free_state(p, st);
    assert_int_equal(reward_plugin_init_state(p, "{\"max_chars\": -3}", &st, &err), RLPT_EPLUGIN);
    assert_non_null(strstr(err.msg, "args.max_chars: expected a positive integer"));
    assert_int_equal(reward_plugin_init_state(p, "{\"colour\": 1}", &st, &err), RLPT_EPLUGIN);
    assert_non_null(strstr(err.msg, "unknown argument"));
    reward_plugin_free(p);
}

/* A plugin in the registry and a weighted combination, beside a built-in. */
static void test_plugin_in_registry(void **state) {
    (void)state;
    reward_plugin *p = NULL;
    reward_registry *reg = NULL;
    reward_combo *combo = NULL;
    rlpt_err err;
    if (reward_plugin_load(&p, PLUGIN("short_answer"), &err)) fail_msg("%s", err.msg);
    assert_int_equal(reward_registry_init(&reg, &err), 0);
    if (reward_registry_add(reg, reward_plugin_fn(p), &err)) fail_msg("%s", err.msg);
    assert_ptr_equal(reward_registry_find(reg, "short_answer"), reward_plugin_fn(p));
    reward_combo_item items[2] = {{"format", 0.5, NULL},
                                  {"short_answer", 2.0, "{\"max_chars\": 10}"}};
    if (reward_combo_init(&combo, reg, items, 2, &err)) fail_msg("%s", err.msg);
    const char *text = "<think>x</think><answer>42</answer>";
    reward_sample s = {text, strlen(text), 10, "{}"};
    double total, per_fn[2];
    if (reward_combo_score(combo, &s, 1, &total, per_fn, &err)) fail_msg("%s", err.msg);
    assert_true(per_fn[1] == 1.0);
    assert_true(fabs(total - (0.5 * per_fn[0] + 2.0)) < 1e-12);
    reward_combo_free(combo);
    /* a failing init through the registry names the plugin and its reason */
    reward_combo_item bad = {"short_answer", 1.0, "{\"max_chars\": 0}"};
    assert_int_equal(reward_combo_init(&combo, reg, &bad, 1, &err), RLPT_EPLUGIN);
    assert_non_null(strstr(err.msg, "args.max_chars: expected a positive integer"));
    reward_registry_free(reg);
    reward_plugin_free(p);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_init_and_score_errors),
        cmocka_unit_test(test_example_plugin),
        cmocka_unit_test(test_plugin_in_registry),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
