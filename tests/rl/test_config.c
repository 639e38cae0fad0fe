/* tests/rl/test_config.c: the experiment config (rl/config.c, rl/yaml_doc.c): defaults, every
 * type of row, exact error texts, --set, composition, the effective config's round trip, and
 * the structural refusals (duplicates, aliases, tags, UTF-8). The bad-config fixtures test the
 * same through the CLI (tests/rl/bad_config.sh). */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "test_util.h"
#include "trainer.h"

static const char minimal[] = "model:\n  path: m\n"
                              "data:\n  train: t.jsonl\n"
                              "rewards:\n  - fn: math\n";

static int load_text(rl_config *cfg, const char *text, rlpt_err *err) {
    return rl_config_load_string(cfg, "t.yaml", text, strlen(text), NULL, 0, err);
}

static void expect_error(const char *text, const char *want) {
    rl_config cfg;
    rlpt_err err;
    int rc = load_text(&cfg, text, &err);
    assert_int_equal(rc, RLPT_ECONFIG);
    if (!strstr(err.msg, want)) fail_msg("error\n%s\ndoes not contain\n%s", err.msg, want);
}

static void test_defaults(void **state) {
    (void)state;
    rl_config cfg;
    rlpt_err err;
    assert_int_equal(load_text(&cfg, minimal, &err), 0);
    assert_string_equal(cfg.model.path, "m");
    assert_true(cfg.rollout.temperature == 1.0);
    assert_int_equal(cfg.grpo.group_size, 8);
    assert_int_equal(cfg.grpo.advantage, RL_ADV_GRPO);
    assert_int_equal(cfg.grpo.loss_agg, RL_AGG_TOKEN_MEAN);
    assert_true(cfg.grpo.clip_low == 0.2 && cfg.grpo.clip_high == 0.2);
    assert_true(cfg.grpo.adv_eps == 1e-6);
    assert_int_equal(cfg.pipeline.n, 1);
    assert_string_equal(cfg.pipeline.v[0], "grpo");
    assert_int_equal(cfg.rewards.n, 1);
    assert_string_equal(cfg.rewards.v[0].fn, "math");
    assert_true(cfg.rewards.v[0].weight == 1.0);
    assert_string_equal(cfg.rewards.v[0].args_json, "{}");
    assert_string_equal(cfg.run.dir, "runs");
    rl_config_free(&cfg);
    rl_config_free(&cfg); /* a freed config is zeroed: freeing again is harmless */
}

/* A pipeline's later stage of a kind draws its data in its own order: the ordinal counts the
 * earlier stages of the same kind, and the first stage of each kind keeps run.seed ^ salt, so
 * single-stage runs draw what they always drew. */
static void test_stage_ordinal_and_data_seed(void **state) {
    (void)state;
    static const char text[] = "model:\n  path: m\n"
                               "data:\n  train: t.jsonl\n  eval: e.jsonl\n"
                               "rewards:\n  - fn: math\n"
                               "run:\n  seed: 7\n"
                               "pipeline: [grpo, eval, grpo, rejection, grpo]\n";
    rl_config cfg;
    rlpt_err err;
    if (load_text(&cfg, text, &err)) fail_msg("%s", err.msg);
    static const int want[] = {0, 0, 1, 0, 2};
    uint64_t seed[5];
    rl_trainer t;
    memset(&t, 0, sizeof t);
    t.cfg = &cfg;
    for (int i = 0; i < 5; i++) {
        assert_int_equal(rl_config_stage_ordinal(&cfg, i), want[i]);
        t.stage = i;
        seed[i] = rl_data_seed(&t, 0x6792ull);
    }
    assert_true(seed[0] == (7ull ^ 0x6792ull) && seed[1] == seed[0] && seed[3] == seed[0]);
    assert_true(seed[2] != seed[0] && seed[4] != seed[0] && seed[4] != seed[2]);
    /* the orders themselves differ: the first ten draws of grpo stages 1 and 2 */
    rl_dataset ds = {0};
    ds.n = 1000;
    int perm[1000], a[10], b[10], same = 0;
    long epoch = -1;
    for (int k = 0; k < 10; k++) a[k] = rl_data_index(&ds, 1, seed[0], k, perm, &epoch);
    epoch = -1;
    for (int k = 0; k < 10; k++) b[k] = rl_data_index(&ds, 1, seed[2], k, perm, &epoch);
    for (int k = 0; k < 10; k++) same += a[k] == b[k];
    assert_true(same <= 1); /* two unrelated orders: 0.01 matches expected */
    assert_int_equal(rl_config_stage_ordinal(&cfg, 5), 0); /* out of range: 0 */
    /* data.shuffle false: the file's order, epoch after epoch, whatever the seed */
    for (long k = 0; k < 2500; k += 7)
        assert_int_equal(rl_data_index(&ds, 0, seed[2], k, perm, &epoch), (int)(k % 1000));
    /* shuffled: each epoch is a permutation of the whole file */
    int seen[1000] = {0};
    epoch = -1;
    for (long k = 1000; k < 2000; k++) seen[rl_data_index(&ds, 1, seed[0], k, perm, &epoch)]++;
    for (int i = 0; i < 1000; i++) assert_int_equal(seen[i], 1);
    rl_config_free(&cfg);
}

static void test_issue_example_message(void **state) {
    (void)state;
    /* the exact shape the issue asks for */
    rl_config cfg;
    rlpt_err err;
    char text[256];
    snprintf(text, sizeof text, "%srollout:\n  temperature: hot\n", minimal);
    assert_int_equal(load_text(&cfg, text, &err), RLPT_ECONFIG);
    assert_string_equal(err.msg,
                        "t.yaml:8:16: key 'rollout.temperature': expected a number in (0, 10], "
                        "got 'hot'");
}

static void test_types_and_bounds(void **state) {
    (void)state;
    expect_error("grpo:\n  group_size: 1\n", "t.yaml:2:15: key 'grpo.group_size': expected an "
                                             "integer in [2, 1024], got '1'");
    expect_error("grpo:\n  group_size: 8.5\n", "expected an integer in [2, 1024], got '8.5'");
    expect_error("grpo:\n  group_size: 1e3\n", "got '1e3'");
    expect_error("rollout:\n  top_p: 0\n", "key 'rollout.top_p': expected a number in (0, 1], "
                                           "got '0'");
    expect_error("rollout:\n  min_p: 1\n", "expected a number in [0, 1), got '1'");
    expect_error("rollout:\n  temperature: nan\n", "got 'nan'");
    expect_error("rollout:\n  temperature: .inf\n", "got '.inf'");
    expect_error("rollout:\n  temperature: 0x1p1\n", "got '0x1p1'");
    expect_error("rollout:\n  temperature:\n", "got nothing");
    expect_error("rollout:\n  temperature: [1]\n", "got a sequence");
    expect_error("model:\n  recompute: yes\n", "key 'model.recompute': expected true or false, "
                                               "got 'yes'");
    expect_error("grpo:\n  advantage: GRPO\n",
                 "key 'grpo.advantage': expected one of grpo, dr_grpo, batch_std, got 'GRPO'");
    expect_error("pipeline: [sft, rl]\n", "key 'pipeline[1]': expected sft, grpo, eval, "
                                          "rejection, got 'rl'");
    expect_error("pipeline: []\n", "key 'pipeline': expected a list of sft, grpo, eval, "
                                   "rejection, got an empty list");
    expect_error("run:\n  seed: 99999999999999999999\n", "key 'run.seed'");
    expect_error("rollout: 3\n", "key 'rollout': expected a mapping (a section), got '3'");
    expect_error("- a\n- b\n", "expected a mapping of sections");
}

static void test_unknown_keys_did_you_mean(void **state) {
    (void)state;
    expect_error("rollout:\n  temprature: 1\n",
                 "t.yaml:2:3: unknown key 'rollout.temprature' (did you mean "
                 "'rollout.temperature'?)");
    expect_error("temperature: 1\n", "(did you mean 'rollout.temperature'?)");
    expect_error("rollot:\n  top_k: 3\n", "unknown key 'rollot' (did you mean 'rollout'?)");
    expect_error("grpo:\n  group_sise: 4\n", "did you mean 'grpo.group_size'?");
    expect_error("zzzzzzzzzz: 1\n", "unknown key 'zzzzzzzzzz' (see rlpt check-config --doc)");
    expect_error("rewards:\n  - fn: math\n    wieght: 2\n",
                 "t.yaml:3:5: unknown key 'rewards[0].wieght' (an entry of 'rewards' takes fn, "
                 "plugin, weight, args, timeout_s, timeout_score, isolate)");
}

static void test_every_error_listed(void **state) {
    (void)state;
    rl_config cfg;
    rlpt_err err;
    const char *text = "rollout:\n  top_k: -1\n  top_p: 2\ngrpo:\n  mu: 0\n  mu: 1\nbogus: 1\n";
    assert_int_equal(load_text(&cfg, text, &err), RLPT_ECONFIG);
    int lines = 1;
    for (const char *p = err.msg; *p; p++) lines += *p == '\n';
    assert_int_equal(lines, 5); /* duplicate, top_k, top_p, mu, bogus */
    assert_non_null(strstr(err.msg, "t.yaml:6:3: key 'mu' appears twice (first at line 5)"));
    assert_non_null(strstr(err.msg, "unknown key 'bogus'"));
}

static void test_required_and_cross_checks(void **state) {
    (void)state;
    expect_error("data:\n  train: t\nrewards:\n  - fn: math\n",
                 "key 'model.path' is required: a Hugging Face model directory");
    expect_error("model:\n  path: m\n  init:\n    arch: llama\ntokenizer:\n  path: t\n"
                 "data:\n  train: t\nrewards:\n  - fn: math\n",
                 "t.yaml:4:11: key 'model.init.arch': set model.path (load a model) or "
                 "model.init.arch (create a random one), not both");
    expect_error("model:\n  path: m\ndata:\n  train: t\n", "key 'rewards' is required");
    expect_error("model:\n  path: m\nrewards:\n  - fn: math\n", "key 'data.train' is required");
    expect_error("model:\n  path: m\ndata:\n  train: t\nrewards:\n  - weight: 2\n",
                 "t.yaml:6:5: key 'rewards[0].fn' is required in each entry of 'rewards'");
    expect_error("model:\n  path: m\ndata:\n  train: t\nrewards:\n  - fn: maths\n",
                 "key 'rewards[0].fn': 'maths' is not a built-in reward");
    expect_error("model:\n  init:\n    arch: llama\n    heads: 4\n    kv_heads: 3\n"
                 "tokenizer:\n  path: t\ndata:\n  format: synthetic\nrewards:\n  - fn: math\n",
                 "t.yaml:5:15: key 'model.init.kv_heads': 3 does not divide model.init.heads (4)");
    char text[512];
    snprintf(text, sizeof text, "%sgrpo:\n  dual_clip: 0.5\n", minimal);
    expect_error(text, "key 'grpo.dual_clip': expected 0 (off) or a number above 1, got 0.5");
    snprintf(text, sizeof text, "%soptim:\n  lr: 1e-5\n  lr_min: 1e-4\n", minimal);
    expect_error(text, "key 'optim.lr_min': 0.0001 is above optim.lr (1e-05)");
    snprintf(text, sizeof text, "%stokenizer:\n  template: custom\n  user_template: hi\n", minimal);
    expect_error(text, "the custom template must contain {question}");
    /* a plugin may name any function */
    rl_config cfg;
    rlpt_err err;
    snprintf(text, sizeof text,
             "%s  - fn: mine\n    plugin: ./mine.so\n    args:\n      k: [1, two, true, null]\n",
             minimal);
    assert_int_equal(load_text(&cfg, text, &err), 0);
    assert_int_equal(cfg.rewards.n, 2);
    assert_string_equal(cfg.rewards.v[1].args_json, "{\"k\":[1,\"two\",true,null]}");
    rl_config_free(&cfg);
}

static void test_structure_refusals(void **state) {
    (void)state;
    expect_error("run:\n  name: a\n  name: b\n", "t.yaml:3:3: key 'name' appears twice (first at "
                                                 "line 2)");
    expect_error("run: !!str x\n", "YAML tags are not supported");
    expect_error("base: &b {seed: 1}\nrun:\n  <<: *b\n", "merge keys ('<<') are not supported");
    expect_error("run:\n  name: *nope\n", "alias '*nope' names no anchor defined before it");
    expect_error("a: 1\n---\nb: 2\n", "more than one YAML document");
    expect_error("run:\n  name: \"a\xc3\x28\"\n", "t.yaml:2:11: not valid UTF-8 (byte 0xc3)");
    expect_error("run:\n  name: \"\xed\xa0\x80\"\n", "not valid UTF-8 (byte 0xed)"); /* surrogate */
    expect_error("run:\n  name: \"\xc0\xaf\"\n", "not valid UTF-8 (byte 0xc0)");     /* overlong */
    expect_error("run:\n  name: [\n", "YAML syntax error");
    /* billion laughs: 9^5 nodes if expanded */
    expect_error("a: &a [1,1,1,1,1,1,1,1,1]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
                 "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
                 "e: [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n",
                 "the document expands to more than 10000 nodes");
    char deep[256] = "";
    for (int i = 0; i < 40; i++) strcat(deep, "[");
    expect_error(deep, "nested deeper than 32 levels");
}

static void test_aliases_within_budget(void **state) {
    (void)state;
    rl_config cfg;
    rlpt_err err;
    char text[512];
    snprintf(text, sizeof text,
             "%srollout:\n  stop: &s [\"</answer>\", \"\\n\\n\"]\n"
             "grpo:\n  clip_low: &c 0.25\n  clip_high: *c\n",
             minimal);
    assert_int_equal(load_text(&cfg, text, &err), 0);
    assert_true(cfg.grpo.clip_high == 0.25);
    assert_int_equal(cfg.rollout.stop.n, 2);
    assert_string_equal(cfg.rollout.stop.v[1], "\n\n");
    rl_config_free(&cfg);
}

static void test_set_overrides(void **state) {
    (void)state;
    rl_config cfg;
    rlpt_err err;
    const char *sets[] = {"rollout.temperature=0.7", "rewards[0].weight=2.5",
                          "rollout.stop=[\"a\", b]", "pipeline=[sft, grpo, eval]",
                          "data.format=synthetic",   "run.name=x y"};
    assert_int_equal(rl_config_load_string(&cfg, "t.yaml", minimal, strlen(minimal), sets, 6, &err),
                     0);
    assert_true(cfg.rollout.temperature == 0.7);
    assert_true(cfg.rewards.v[0].weight == 2.5);
    assert_int_equal(cfg.rollout.stop.n, 2);
    assert_int_equal(cfg.pipeline.n, 3);
    assert_int_equal(cfg.data.format, RL_DATA_SYNTHETIC);
    assert_string_equal(cfg.run.name, "x y");
    rl_config_free(&cfg);

    const char *bad[] = {"rollout.temperature=hot", "rewards[3].weight=1", "nokey", "=1",
                         "grpo.bogus=1"};
    assert_int_equal(rl_config_load_string(&cfg, "t.yaml", minimal, strlen(minimal), bad, 5, &err),
                     RLPT_ECONFIG);
    assert_non_null(strstr(err.msg, "--set rollout.temperature=hot: key 'rollout.temperature': "
                                    "expected a number in (0, 10], got 'hot'"));
    assert_non_null(strstr(err.msg, "--set rewards[3].weight=1: 'rewards' has no entry [3]"));
    assert_non_null(strstr(err.msg, "--set nokey: expected key=value"));
    assert_non_null(strstr(err.msg, "--set =1: expected key=value"));
    assert_non_null(strstr(err.msg, "--set grpo.bogus=1: unknown key 'grpo.bogus'"));
}

static char tmpdir[64];

static void write_file(const char *name, const char *text) {
    char path[256];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_defaults_composition(void **state) {
    (void)state;
    strcpy(tmpdir, "/tmp/rlpt-test-config-XXXXXX");
    assert_non_null(mkdtemp(tmpdir));
    char sub[128];
    snprintf(sub, sizeof sub, "%s/sub", tmpdir);
    assert_int_equal(mkdir(sub, 0755), 0);
    write_file("base.yaml", "model:\n  path: m\ndata:\n  train: t\nrewards:\n  - fn: math\n"
                            "rollout:\n  temperature: 0.5\n  top_k: 5\n");
    write_file("sub/mid.yaml", "defaults: ../base.yaml\nrollout:\n  top_k: 7\n");
    write_file("top.yaml", "defaults: [sub/mid.yaml]\nrollout:\n  top_p: 0.9\n");
    char path[256];
    snprintf(path, sizeof path, "%s/top.yaml", tmpdir);
    rl_config cfg;
    rlpt_err err;
    int rc = rl_config_load(&cfg, path, NULL, 0, &err);
    if (rc) fail_msg("%s", err.msg);
    assert_true(cfg.rollout.temperature == 0.5); /* from base */
    assert_int_equal(cfg.rollout.top_k, 7);      /* mid overrides base */
    assert_true(cfg.rollout.top_p == 0.9);       /* top's own */
    rl_config_free(&cfg);

    /* a cycle, named where it closes */
    write_file("c1.yaml", "defaults: c2.yaml\n");
    write_file("c2.yaml", "defaults: c1.yaml\n");
    snprintf(path, sizeof path, "%s/c1.yaml", tmpdir);
    assert_int_equal(rl_config_load(&cfg, path, NULL, 0, &err), RLPT_ECONFIG);
    assert_non_null(strstr(err.msg, "c2.yaml:1:11: key 'defaults': '"));
    assert_non_null(strstr(err.msg, "includes itself (a cycle through"));
    /* a missing default, and an error inside an included file located there */
    write_file("m.yaml", "defaults: [base.yaml, nothere.yaml]\n");
    snprintf(path, sizeof path, "%s/m.yaml", tmpdir);
    assert_int_equal(rl_config_load(&cfg, path, NULL, 0, &err), RLPT_ECONFIG);
    assert_non_null(strstr(err.msg, "m.yaml:1:23: key 'defaults': cannot open '"));
    write_file("b2.yaml", "rollout:\n  top_k: many\n");
    write_file("i.yaml", "defaults: b2.yaml\nmodel:\n  path: m\n");
    snprintf(path, sizeof path, "%s/i.yaml", tmpdir);
    assert_int_equal(rl_config_load(&cfg, path, NULL, 0, &err), RLPT_ECONFIG);
    assert_non_null(strstr(err.msg, "b2.yaml:2:10: key 'rollout.top_k': expected an integer"));
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    assert_int_equal(system(cmd), 0);
}

static void test_effective_config_round_trip(void **state) {
    (void)state;
    rl_config a, b;
    rlpt_err err;
    char text[1024];
    snprintf(text, sizeof text,
             "%s  - fn: format\n    weight: 0.1\n    args: {strict: true, tags: [\"<think>\"]}\n"
             "run:\n  name: \"quote\\\" back\\\\slash\\ttab\"\n  seed: 9007199254740992\n"
             "rollout:\n  temperature: 0.1\n  stop: [\"</answer>\", \"\\n\"]\n"
             "optim:\n  lr: 3e-4\n  eps: 1.234567890123e-9\npipeline: [sft, grpo, rejection]\n",
             minimal);
    assert_int_equal(load_text(&a, text, &err), 0);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_int_equal(rl_config_write_yaml(&a, f), 0);
    fclose(f);
    if (rl_config_load_string(&b, "written.yaml", buf, len, NULL, 0, &err))
        fail_msg("written config does not reload: %s\n%s", err.msg, buf);
    /* writing the reloaded config gives the same text: every field survived */
    char *buf2 = NULL;
    size_t len2 = 0;
    f = open_memstream(&buf2, &len2);
    assert_int_equal(rl_config_write_yaml(&b, f), 0);
    fclose(f);
    const char *body1 = strchr(buf, '\n'), *body2 = strchr(buf2, '\n'); /* skip the source line */
    assert_string_equal(body1, body2);
    assert_true(b.optim.eps == 1.234567890123e-9);
    assert_true(b.run.seed == 9007199254740992LL);
    assert_string_equal(b.run.name, "quote\" back\\slash\ttab");
    assert_string_equal(b.rewards.v[1].args_json, "{\"strict\":true,\"tags\":[\"<think>\"]}");
    free(buf);
    free(buf2);
    rl_config_free(&a);
    rl_config_free(&b);
}

static void test_doc_lists_every_key(void **state) {
    (void)state;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    rl_config_print_doc(f);
    fclose(f);
    const char *keys[] = {"rollout.temperature\n    number in (0, 10]; default 1.0",
                          ("grpo.loss_agg\n    one of seq_mean_token_mean|token_mean|"
                           "seq_mean_token_sum; default token_mean"),
                          "rewards[].fn\n    string; required", "pipeline\n    list of"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (!strstr(buf, keys[i])) fail_msg("doc lacks '%s'", keys[i]);
    free(buf);
    assert_string_equal(rl_config_enum_name("grpo.advantage", RL_ADV_DR_GRPO), "dr_grpo");
    assert_string_equal(rl_config_enum_name("tokenizer.template", RL_TEMPLATE_CUSTOM), "custom");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_issue_example_message),
        cmocka_unit_test(test_types_and_bounds),
        cmocka_unit_test(test_unknown_keys_did_you_mean),
        cmocka_unit_test(test_every_error_listed),
        cmocka_unit_test(test_required_and_cross_checks),
        cmocka_unit_test(test_structure_refusals),
        cmocka_unit_test(test_aliases_within_budget),
        cmocka_unit_test(test_set_overrides),
        cmocka_unit_test(test_defaults_composition),
        cmocka_unit_test(test_effective_config_round_trip),
        cmocka_unit_test(test_doc_lists_every_key),
        cmocka_unit_test(test_stage_ordinal_and_data_seed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
