/* tests/policy/test_chat_template.c: the chat renderers against Jinja2. Every rendering in
 * tests/data/tokenizers/chat/<tokenizer>.jsonl (made by tests/reference/tokenizer/render_chat.py
 * with Debian's python3-jinja2 set up as transformers does, from the real chat_template of each
 * tokenizer_config.json) must come out byte-identical; plain.jsonl checks {question} templates
 * (Python str.format), including the R1-Zero template. Errors: unknown templates, bad
 * placeholders, empty conversations and unknown roles are refused with their codes. */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rlpt_io.h"
#include "tokenizer.h"

#define TOKDIR RLPT_SOURCE_DIR "/tests/data/tokenizers"

/* Calls fn on each parsed line of path; returns the number of lines. */
static size_t each_line(const char *path, void (*fn)(const cJSON *, void *), void *ctx) {
    char *buf;
    size_t len, n = 0;
    rlpt_err err;
    if (rlpt_read_file(path, 16u << 20, &buf, &len, &err)) fail_msg("%s", err.msg);
    for (char *p = buf; *p;) {
        char *nl = strchr(p, '\n');
        if (nl) *nl = '\0';
        cJSON *rec = cJSON_Parse(p);
        assert_non_null(rec);
        fn(rec, ctx);
        cJSON_Delete(rec);
        n++;
        if (!nl) break;
        p = nl + 1;
    }
    free(buf);
    return n;
}

typedef struct chat_ctx {
    const policy_chat_template *t;
    const char *name;
    size_t bad, n;
} chat_ctx;

static void check_rendering(const cJSON *rec, void *arg) {
    chat_ctx *c = arg;
    const cJSON *msgs = cJSON_GetObjectItem(rec, "messages");
    int n = cJSON_GetArraySize(msgs);
    policy_chat_message m[32];
    assert_true(n <= 32);
    int i = 0;
    for (const cJSON *x = msgs->child; x; x = x->next, i++) {
        m[i].role = cJSON_GetObjectItem(x, "role")->valuestring;
        m[i].content = cJSON_GetObjectItem(x, "content")->valuestring;
    }
    const cJSON *date = cJSON_GetObjectItem(rec, "date_string");
    if (!date) date = cJSON_GetObjectItem(rec, "strftime_now");
    const cJSON *think = cJSON_GetObjectItem(rec, "enable_thinking");
    policy_chat_options o = {cJSON_IsTrue(cJSON_GetObjectItem(rec, "add_generation_prompt")),
                             date ? date->valuestring : NULL, think ? cJSON_IsTrue(think) : -1};
    char *out;
    size_t len;
    rlpt_err err;
    if (policy_chat_render(c->t, m, n, &o, &out, &len, &err))
        fail_msg("%s case %zu: %s", c->name, c->n, err.msg);
    const char *want = cJSON_GetObjectItem(rec, "text")->valuestring;
    if (strcmp(out, want) != 0 && c->bad++ == 0)
        fprintf(stderr, "%s case %zu:\n--- got ---\n%s\n--- want ---\n%s\n---\n", c->name, c->n,
                out, want);
    assert_int_equal(len, strlen(out));
    free(out);
    c->n++;
}

static void check_template(const char *dir, policy_chat_kind kind) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", TOKDIR, dir);
    policy_chat_template *t;
    rlpt_err err;
    if (policy_chat_template_load(&t, path, &err)) fail_msg("%s", err.msg);
    assert_int_equal(policy_chat_template_kind(t), kind);
    chat_ctx c = {t, dir, 0, 0};
    snprintf(path, sizeof path, "%s/chat/%s.jsonl", TOKDIR, dir);
    size_t n = each_line(path, check_rendering, &c);
    fprintf(stderr, "%s: %zu renderings, %zu differ\n", dir, n, c.bad);
    assert_true(n >= 30);
    policy_chat_template_free(t);
    if (c.bad) fail_msg("%s: %zu of %zu renderings differ from Jinja2", dir, c.bad, n);
}

static void test_qwen25_instruct(void **s) {
    (void)s;
    check_template("qwen2.5-0.5b-instruct", POLICY_CHAT_QWEN25);
}
static void test_qwen25_math(void **s) {
    (void)s;
    check_template("qwen2.5-math-1.5b", POLICY_CHAT_QWEN25);
}
static void test_qwen3(void **s) {
    (void)s;
    check_template("qwen3-4b", POLICY_CHAT_QWEN3);
}
static void test_llama3(void **s) {
    (void)s;
    check_template("llama-3.2-3b-instruct", POLICY_CHAT_LLAMA3);
}
static void test_deepseek(void **s) {
    (void)s;
    check_template("deepseek-r1-distill-qwen-32b", POLICY_CHAT_DEEPSEEK_R1);
}

static void check_plain(const cJSON *rec, void *arg) {
    size_t *bad = arg;
    const char *tmpl = cJSON_GetObjectItem(rec, "template")->valuestring;
    const char *q = cJSON_GetObjectItem(rec, "question")->valuestring;
    const char *want = cJSON_GetObjectItem(rec, "text")->valuestring;
    policy_chat_template *t;
    rlpt_err err;
    if (policy_chat_template_plain(&t, tmpl, &err)) fail_msg("%s", err.msg);
    policy_chat_message m[2] = {{"system", "ignored"}, {"user", q}};
    char *out;
    size_t len;
    assert_int_equal(policy_chat_render(t, m, 2, NULL, &out, &len, &err), 0);
    if (strcmp(out, want) != 0 && (*bad)++ == 0)
        fprintf(stderr, "plain: got '%s' want '%s'\n", out, want);
    free(out);
    policy_chat_template_free(t);
}

static void test_plain(void **s) {
    (void)s;
    size_t bad = 0;
    size_t n = each_line(TOKDIR "/chat/plain.jsonl", check_plain, &bad);
    assert_int_equal(n, 20);
    assert_int_equal(bad, 0);
}

/* The C constant is the R1-Zero text the Python reference used (its first template). */
static void first_template(const cJSON *rec, void *arg) {
    const char **first = arg;
    if (!*first) *first = strdup(cJSON_GetObjectItem(rec, "template")->valuestring);
}

static void test_r1_zero_text(void **s) {
    (void)s;
    const char *first = NULL;
    each_line(TOKDIR "/chat/plain.jsonl", first_template, &first);
    assert_string_equal(first, policy_chat_r1_zero_template);
    free((char *)first);
}

static void test_errors(void **s) {
    (void)s;
    policy_chat_template *t = NULL;
    rlpt_err err;
    const char cfg[] = "{\"chat_template\": \"{{ messages[0].content }}\"}";
    assert_int_equal(policy_chat_template_from_config(&t, cfg, strlen(cfg), "x.json", &err),
                     RLPT_EUNSUPPORTED);
    assert_non_null(strstr(err.msg, "is not one rlpt renders"));
    assert_null(t);
    const char none[] = "{\"eos_token\": \"</s>\"}";
    assert_int_equal(policy_chat_template_from_config(&t, none, strlen(none), "y.json", &err),
                     RLPT_EUNSUPPORTED);
    assert_int_equal(policy_chat_template_plain(&t, "Q: {question} {answer}", &err), RLPT_EINVAL);
    assert_non_null(strstr(err.msg, "unknown placeholder {answer}"));
    assert_int_equal(policy_chat_template_plain(&t, "Q: {question", &err), RLPT_EINVAL);
    assert_int_equal(policy_chat_template_plain(&t, "Q: } {question}", &err), RLPT_EINVAL);
    assert_int_equal(policy_chat_template_load(&t, TOKDIR "/qwen3-4b", &err), 0);
    char *out = NULL;
    size_t len;
    assert_int_equal(policy_chat_render(t, NULL, 0, NULL, &out, &len, &err), RLPT_EINVAL);
    policy_chat_message m[1] = {{"function", "x"}};
    assert_int_equal(policy_chat_render(t, m, 1, NULL, &out, &len, &err), RLPT_EUNSUPPORTED);
    assert_non_null(strstr(err.msg, "role 'function'"));
    assert_null(out);
    policy_chat_template_free(t);
    const char *names[] = {"question", "answer"}, *values[] = {"2+2", "4"};
    assert_int_equal(
        policy_prompt_format("{question} = {answer} {{x}}", names, values, 2, &out, &len, &err), 0);
    assert_string_equal(out, "2+2 = 4 {x}");
    free(out);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_qwen25_instruct), cmocka_unit_test(test_qwen25_math),
        cmocka_unit_test(test_qwen3),           cmocka_unit_test(test_llama3),
        cmocka_unit_test(test_deepseek),        cmocka_unit_test(test_plain),
        cmocka_unit_test(test_r1_zero_text),    cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
