/* tests/rl/test_reward_exec.c: rewards never stall a step (rl/reward_exec.c). An isolated
 * plugin that hangs or crashes on some samples is killed and restarted; those samples score
 * timeout_score and are counted, the others score normally, weights apply. An in-process
 * function past its deadline scores timeout_score too. A failing init is reported at start-up,
 * in the function's words, isolated or not. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "rewards.h"
#include "rl.h"

static int load(rl_config *cfg, const char *rewards_yaml, rlpt_err *err) {
    char text[2048];
    snprintf(text, sizeof text, "model:\n  path: m\ndata:\n  train: t\nrewards:\n%s", rewards_yaml);
    return rl_config_load_string(cfg, "t.yaml", text, strlen(text), NULL, 0, err);
}

static void test_isolated_hang_and_crash(void **state) {
    (void)state;
    rl_config cfg;
    rlpt_err err;
    char yaml[1024];
    snprintf(yaml, sizeof yaml,
             "  - fn: misbehave\n    plugin: %s/misbehave.so\n    isolate: true\n"
             "    timeout_s: 0.5\n    timeout_score: -1\n    weight: 2\n"
             "  - fn: format\n    weight: 0.5\n    args: {strict: false}\n",
             RLPT_PLUGIN_DIR);
    if (load(&cfg, yaml, &err)) fail_msg("%s", err.msg);
    rl_rewards *r = NULL;
    if (rl_rewards_init(&r, &cfg, &err)) fail_msg("%s", err.msg);
    assert_int_equal(rl_rewards_count(r), 2);
    assert_string_equal(rl_rewards_name(r, 0), "misbehave");
    const char *texts[5] = {"<think>a</think><answer>1</answer>", "HANG", "CRASH",
                            "<think>b</think><answer>2</answer>", "x"};
    reward_sample s[5];
    for (int i = 0; i < 5; i++) s[i] = (reward_sample){texts[i], strlen(texts[i]), 3, "{}"};
    double total[5], per_fn[10];
    int timeouts[2];
    if (rl_rewards_score(r, s, 5, total, per_fn, timeouts, &err)) fail_msg("%s", err.msg);
    const double want[5] = {1, -1, -1, 1, 1};
    for (int j = 0; j < 5; j++) {
        assert_true(per_fn[j] == want[j]);
        assert_true(fabs(total[j] - (2 * want[j] + 0.5 * per_fn[5 + j])) < 1e-12);
    }
    assert_int_equal(timeouts[0], 2); /* the hang and the crash */
    assert_int_equal(timeouts[1], 0);
    assert_true(per_fn[5] == 1.0 && per_fn[9] == 0.0); /* format: kept, missing */
    /* the restarted worker keeps serving */
    if (rl_rewards_score(r, s, 1, total, per_fn, timeouts, &err)) fail_msg("%s", err.msg);
    assert_true(per_fn[0] == 1.0);
    rl_rewards_free(r);
    rl_config_free(&cfg);
}

static void test_in_process_deadline(void **state) {
    (void)state;
    rl_config cfg;
    rlpt_err err;
    char yaml[512];
    snprintf(yaml, sizeof yaml,
             "  - fn: misbehave\n    plugin: %s/misbehave.so\n    timeout_s: 0.1\n"
             "    timeout_score: 0.25\n",
             RLPT_PLUGIN_DIR);
    if (load(&cfg, yaml, &err)) fail_msg("%s", err.msg);
    rl_rewards *r = NULL;
    if (rl_rewards_init(&r, &cfg, &err)) fail_msg("%s", err.msg);
    reward_sample s[2] = {{"SLOW", 4, 1, "{}"}, {"fast", 4, 1, "{}"}};
    double total[2];
    int timeouts[1];
    if (rl_rewards_score(r, s, 2, total, NULL, timeouts, &err)) fail_msg("%s", err.msg);
    assert_true(total[0] == 0.25 && total[1] == 1.0);
    assert_int_equal(timeouts[0], 1);
    rl_rewards_free(r);
    rl_config_free(&cfg);
}

static void test_init_failures(void **state) {
    (void)state;
    const char *isolate[2] = {"false", "true"};
    for (int k = 0; k < 2; k++) {
        rl_config cfg;
        rlpt_err err;
        char yaml[512];
        snprintf(yaml, sizeof yaml,
                 "  - fn: misbehave\n    plugin: %s/misbehave.so\n    isolate: %s\n"
                 "    args: {fail: true}\n",
                 RLPT_PLUGIN_DIR, isolate[k]);
        if (load(&cfg, yaml, &err)) fail_msg("%s", err.msg);
        rl_rewards *r = (rl_rewards *)1;
        assert_int_equal(rl_rewards_init(&r, &cfg, &err), RLPT_EPLUGIN);
        assert_null(r);
        if (!strstr(err.msg, "asked to fail")) fail_msg("isolate %s: %s", isolate[k], err.msg);
        assert_non_null(strstr(err.msg, "rewards[0] (misbehave)"));
        rl_config_free(&cfg);
    }
    /* a plugin whose name is not the entry's fn */
    rl_config cfg;
    rlpt_err err;
    char yaml[512];
    snprintf(yaml, sizeof yaml, "  - fn: other\n    plugin: %s/misbehave.so\n", RLPT_PLUGIN_DIR);
    if (load(&cfg, yaml, &err)) fail_msg("%s", err.msg);
    rl_rewards *r = NULL;
    assert_int_equal(rl_rewards_init(&r, &cfg, &err), RLPT_ECONFIG);
    assert_non_null(strstr(err.msg, "provides 'misbehave', not 'other'"));
    rl_config_free(&cfg);
}

/* The YAML sandbox section reaches the code reward: sandbox.reward all vs fraction. */
static void test_code_reward_takes_sandbox_section(void **state) {
    (void)state;
    const char *modes[2] = {"fraction", "all"};
    const double want[2] = {0.5, 0.0};
    for (int k = 0; k < 2; k++) {
        char text[512];
        snprintf(text, sizeof text,
                 "model:\n  path: m\ndata:\n  train: t\nrewards:\n  - fn: code\n"
                 "sandbox:\n  reward: %s\n  cpu_seconds: 2\n  workers: 1\n",
                 modes[k]);
        rl_config cfg;
        rlpt_err err;
        if (rl_config_load_string(&cfg, "t.yaml", text, strlen(text), NULL, 0, &err))
            fail_msg("%s", err.msg);
        rl_rewards *r = NULL;
        if (rl_rewards_init(&r, &cfg, &err)) fail_msg("%s", err.msg);
        const char *completion = "```python\nprint(int(input()) * 2)\n```";
        const char *fields = "{\"language\": \"python\", \"inputs\": [\"2\\n\", \"3\\n\"], "
                             "\"outputs\": [\"4\\n\", \"7\\n\"]}";
        reward_sample s = {completion, strlen(completion), 10, fields};
        double total;
        if (rl_rewards_score(r, &s, 1, &total, NULL, NULL, &err)) fail_msg("%s", err.msg);
        if (total != want[k])
            fail_msg("sandbox.reward %s: reward %g, want %g", modes[k], total, want[k]);
        rl_rewards_free(r);
        rl_config_free(&cfg);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_isolated_hang_and_crash),
        cmocka_unit_test(test_in_process_deadline),
        cmocka_unit_test(test_init_failures),
        cmocka_unit_test(test_code_reward_takes_sandbox_section),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
