/* tests/rl/test_dataset.c: datasets (rl/dataset.c) on real samples of GSM8K, MATH-500,
 * HumanEval and MBPP and on malformed files (each error names FILE:LINE and the key), and the
 * synthetic task (rl/synthetic.c): deterministic, train and held-out sets disjoint, every
 * worked trace arithmetically right, impossible sizes refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "rl.h"
#include "test_util.h"

#define DATA(f) SRC("tests/data/datasets/" f)

static void test_real_formats(void **state) {
    (void)state;
    rl_dataset ds;
    rlpt_err err;
    assert_int_equal(rl_dataset_load(&ds, DATA("gsm8k-3.jsonl"), RL_DATA_GSM8K, "", "", 0, &err),
                     0);
    assert_int_equal(ds.n, 3);
    assert_true(strncmp(ds.v[0].prompt, "Janet", 5) == 0);
    assert_non_null(strstr(ds.v[0].answer, "#### 18"));
    assert_non_null(strstr(ds.v[0].fields_json, "\"answer\":"));
    assert_int_equal(ds.v[2].line, 3);
    rl_dataset_free(&ds);

    assert_int_equal(rl_dataset_load(&ds, DATA("math500-3.jsonl"), RL_DATA_MATH, "", "", 0, &err),
                     0);
    assert_string_equal(ds.v[0].answer, "\\left( 3, \\frac{\\pi}{2} \\right)");
    rl_dataset_free(&ds);

    assert_int_equal(
        rl_dataset_load(&ds, DATA("humaneval-2.jsonl"), RL_DATA_HUMANEVAL, "", "", 0, &err), 0);
    assert_int_equal(ds.n, 2);
    assert_non_null(strstr(ds.v[0].prompt, "def has_close_elements"));
    assert_non_null(strstr(ds.v[0].fields_json, "\"entry_point\":\"has_close_elements\""));
    rl_dataset_free(&ds);

    assert_int_equal(rl_dataset_load(&ds, DATA("mbpp-2.jsonl"), RL_DATA_MBPP, "", "", 0, &err), 0);
    assert_non_null(strstr(ds.v[0].fields_json, "\"test_list\":["));
    rl_dataset_free(&ds);
    assert_int_equal(
        rl_dataset_load(&ds, DATA("mbpp-sanitized-2.jsonl"), RL_DATA_MBPP, "", "", 0, &err), 0);
    assert_int_equal(ds.n, 2);
    rl_dataset_free(&ds);

    /* generic JSONL with chosen keys: GSM8K read as {question, answer} */
    assert_int_equal(
        rl_dataset_load(&ds, DATA("gsm8k-3.jsonl"), RL_DATA_JSONL, "question", "answer", 0, &err),
        0);
    assert_int_equal(ds.n, 3);
    rl_dataset_free(&ds);
}

static void expect_bad(const char *file, int format, int sft, int code, const char *want) {
    rl_dataset ds;
    rlpt_err err;
    char path[512];
    snprintf(path, sizeof path, "%s", file);
    assert_int_equal(rl_dataset_load(&ds, path, format, "prompt", "answer", sft, &err), code);
    assert_null(ds.v);
    assert_int_equal(ds.n, 0);
    if (!strstr(err.msg, want)) fail_msg("'%s' lacks '%s'", err.msg, want);
}

static void test_malformed(void **state) {
    (void)state;
    expect_bad(DATA("bad-json.jsonl"), RL_DATA_GSM8K, 0, RLPT_EINVAL,
               "bad-json.jsonl:2:39: not valid JSON");
    expect_bad(DATA("not-object.jsonl"), RL_DATA_GSM8K, 0, RLPT_EINVAL,
               "not-object.jsonl:3:1: a line must hold one JSON object");
    expect_bad(DATA("missing-answer.jsonl"), RL_DATA_GSM8K, 0, RLPT_EINVAL,
               "missing-answer.jsonl:1: key 'answer' is missing");
    expect_bad(DATA("prompt-not-string.jsonl"), RL_DATA_GSM8K, 0, RLPT_EINVAL,
               "prompt-not-string.jsonl:1: key 'question' is not a string");
    expect_bad(DATA("bad-utf8.jsonl"), RL_DATA_GSM8K, 0, RLPT_EINVAL,
               "bad-utf8.jsonl:1:18: not valid UTF-8 (byte 0xe9)");
    expect_bad(DATA("empty.jsonl"), RL_DATA_GSM8K, 0, RLPT_EINVAL, "no examples (empty file)");
    expect_bad(DATA("humaneval-2.jsonl"), RL_DATA_MBPP, 0, RLPT_EINVAL,
               "humaneval-2.jsonl:1: key 'test_list' is missing or not a list");
    expect_bad(DATA("gsm8k-3.jsonl"), RL_DATA_HUMANEVAL, 0, RLPT_EINVAL,
               "gsm8k-3.jsonl:1: key 'prompt' is missing");
    expect_bad(DATA("sft-missing-completion.jsonl"), RL_DATA_JSONL, 1, RLPT_EINVAL,
               "sft-missing-completion.jsonl:2: key 'completion' is missing");
    expect_bad("/nonexistent.jsonl", RL_DATA_JSONL, 0, RLPT_EIO, "/nonexistent.jsonl: cannot open");
}

/* Parses "a+b" and checks the trace's columns and the answer. */
static void check_addition(const rl_example *e, int digits) {
    unsigned long long a, b;
    assert_int_equal(sscanf(e->prompt, "%llu+%llu", &a, &b), 2);
    assert_int_equal((int)strlen(e->prompt), 2 * digits + 1);
    char want_answer[32];
    snprintf(want_answer, sizeof want_answer, "%llu", a + b);
    assert_string_equal(e->answer, want_answer);
    const char *p = e->target;
    assert_true(strncmp(p, "<think>", 7) == 0);
    p += 7;
    unsigned long long carry = 0, x = a, y = b;
    for (int i = 0; i < digits; i++) {
        unsigned da, db, c, s;
        int used = 0;
        assert_int_equal(sscanf(p, "%u+%u+%u=%u%n", &da, &db, &c, &s, &used), 4);
        assert_true(da == x % 10 && db == y % 10 && c == carry && s == da + db + c);
        carry = s / 10;
        x /= 10;
        y /= 10;
        p += used;
        if (*p == ' ') p++;
    }
    char tail[96];
    snprintf(tail, sizeof tail, "</think><answer>%0*llu</answer>", digits + 1, a + b);
    assert_string_equal(p, tail);
    char fields[64];
    snprintf(fields, sizeof fields, "{\"answer\":\"%llu\"}", a + b);
    assert_string_equal(e->fields_json, fields);
}

static void test_synthetic(void **state) {
    (void)state;
    rl_dataset tr, ev, tr2;
    rlpt_err err;
    assert_int_equal(rl_dataset_synthetic(&tr, RL_TASK_ADDITION, 2, 5000, 0, 7, &err), 0);
    assert_int_equal(rl_dataset_synthetic(&ev, RL_TASK_ADDITION, 2, 200, 1, 7, &err), 0);
    assert_int_equal(rl_dataset_synthetic(&tr2, RL_TASK_ADDITION, 2, 5000, 0, 7, &err), 0);
    for (int i = 0; i < tr.n; i++) {
        check_addition(&tr.v[i], 2);
        assert_string_equal(tr.v[i].prompt, tr2.v[i].prompt); /* same seed, same data */
    }
    for (int i = 0; i < ev.n; i++) {
        check_addition(&ev.v[i], 2);
        for (int j = 0; j < i; j++) assert_string_not_equal(ev.v[i].prompt, ev.v[j].prompt);
        for (int j = 0; j < tr.n; j++) assert_string_not_equal(ev.v[i].prompt, tr.v[j].prompt);
    }
    /* another seed reorders the training draw */
    rl_dataset tr3;
    assert_int_equal(rl_dataset_synthetic(&tr3, RL_TASK_ADDITION, 2, 50, 0, 8, &err), 0);
    int same = 0;
    for (int i = 0; i < 50; i++) same += strcmp(tr3.v[i].prompt, tr.v[i].prompt) == 0;
    assert_true(same < 10);
    rl_dataset_free(&tr3);
    rl_dataset_free(&tr);
    rl_dataset_free(&tr2);
    rl_dataset_free(&ev);

    assert_int_equal(rl_dataset_synthetic(&ev, RL_TASK_ADDITION, 6, 100, 1, 1, &err), 0);
    for (int i = 0; i < ev.n; i++) check_addition(&ev.v[i], 6);
    rl_dataset_free(&ev);

    assert_int_equal(rl_dataset_synthetic(&ev, RL_TASK_MULTIPLICATION, 2, 20, 0, 1, &err), 0);
    unsigned long long a, b;
    assert_int_equal(sscanf(ev.v[0].prompt, "%llu*%llu", &a, &b), 2);
    char want[32];
    snprintf(want, sizeof want, "%llu", a * b);
    assert_string_equal(ev.v[0].answer, want);
    assert_non_null(strstr(ev.v[0].target, "</think><answer>"));
    rl_dataset_free(&ev);

    /* 1-digit operands: 100 problems, about 10 held out: 200 are impossible, and said so */
    assert_int_equal(rl_dataset_synthetic(&ev, RL_TASK_ADDITION, 1, 200, 1, 1, &err), RLPT_EINVAL);
    assert_non_null(strstr(err.msg, "lower data.synthetic.eval_size or raise digits"));
    assert_null(ev.v);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_real_formats),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_synthetic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
