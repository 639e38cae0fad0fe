/* tests/rewards/test_code_datasets.c: the code reward on real data (tests/data/code/, copies of
 * HumanEval and sanitized MBPP with their licences). HumanEval: all 164 canonical solutions
 * pass, and each with its body replaced by `pass` fails. MBPP sanitized (427): every canonical
 * solution passes (126 included, whose function is named `sum` like the builtin: the harness's
 * builtin_under_test), and a wrong answer (every function of the solution returning None) never
 * gets the full reward. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "code.h"
#include "rlpt_io.h"

#define DATA RLPT_SOURCE_DIR "/tests/data/code"

static code_pool *POOL;

static int setup(void **state) {
    (void)state;
    code_config cfg;
    code_config_default(&cfg);
    cfg.uid_base = 60200;
    cfg.extract = CODE_EXTRACT_ALL; /* the datasets' code is bare, not in a fenced block */
    cfg.test.cpu_s = 10;            /* MBPP 123 needs ~2.5 s of CPU; room for a busy machine */
    cfg.test.wall_s = 30;
    rlpt_err err = {0};
    if (code_pool_init(&POOL, &cfg, &err) != 0) {
        fprintf(stderr, "code_pool_init: %s\n", err.msg);
        return -1;
    }
    return 0;
}

static int teardown(void **state) {
    (void)state;
    code_pool_free(POOL);
    return 0;
}

/* Every line of a JSONL file, parsed. */
static cJSON **load_jsonl(const char *path, int *n) {
    char *text = NULL;
    size_t len = 0;
    rlpt_err err = {0};
    if (rlpt_read_file(path, 16u << 20, &text, &len, &err) != 0) fail_msg("%s", err.msg);
    cJSON **v = calloc(1024, sizeof *v);
    assert_non_null(v);
    *n = 0;
    for (char *line = strtok(text, "\n"); line && *n < 1024; line = strtok(NULL, "\n")) {
        v[*n] = cJSON_Parse(line);
        if (!v[*n]) fail_msg("%s: line %d is not JSON", path, *n + 1);
        (*n)++;
    }
    free(text);
    return v;
}

static const char *str(const cJSON *o, const char *k) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    if (!cJSON_IsString(v)) fail_msg("field %s missing", k);
    return v->valuestring;
}

/* Scores every object of v with completion(i) as its completion; results in r. */
static void score_all(cJSON **v, int n, char *(*completion)(const cJSON *), code_result *r,
                      double *seconds) {
    code_task *t = calloc((size_t)n, sizeof *t);
    void **arrays = calloc((size_t)n, sizeof *arrays);
    char **c = calloc((size_t)n, sizeof *c);
    cJSON **in = calloc((size_t)n, sizeof *in);
    assert_true(t && arrays && c && in);
    rlpt_err err = {0};
    for (int i = 0; i < n; i++) {
        c[i] = completion(v[i]);
        in[i] = cJSON_Duplicate(v[i], 1);
        assert_non_null(in[i]);
        cJSON_AddStringToObject(in[i], "completion", c[i]);
        if (code_task_from_json(in[i], &t[i], &arrays[i], &err) != 0)
            fail_msg("%d: %s", i, err.msg);
    }
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    if (code_pool_score(POOL, t, n, r, &err) != 0) fail_msg("score: %s", err.msg);
    clock_gettime(CLOCK_MONOTONIC, &b);
    *seconds = (double)(b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) * 1e-9;
    for (int i = 0; i < n; i++) {
        free(arrays[i]);
        free(c[i]);
        cJSON_Delete(in[i]);
    }
    free(in);
    free(t);
    free(arrays);
    free(c);
}

static char *he_canonical(const cJSON *o) {
    return strdup(str(o, "canonical_solution"));
}
static char *he_pass(const cJSON *o) {
    (void)o;
    return strdup("    pass\n");
}

static void describe(const char *what, int i, const code_result *r) {
    cJSON *j = code_result_to_json(r);
    char *s = cJSON_PrintUnformatted(j);
    print_message("  %s %d: %.400s\n", what, i, s);
    free(s);
    cJSON_Delete(j);
}

static void test_humaneval(void **state) {
    (void)state;
    int n = 0;
    cJSON **v = load_jsonl(DATA "/humaneval/HumanEval.jsonl", &n);
    assert_int_equal(n, 164);
    code_result *r = calloc((size_t)n, sizeof *r);
    double sec;
    score_all(v, n, he_canonical, r, &sec);
    int ok = 0;
    for (int i = 0; i < n; i++) {
        if (r[i].reward == 1.0)
            ok++;
        else
            describe("canonical fails", i, &r[i]);
        code_result_free(&r[i]);
    }
    print_message("  HumanEval canonical: %d/%d pass (%.1f s, %.1f samples/s on 2 slots)\n", ok, n,
                  sec, n / sec);
    assert_int_equal(ok, 164);
    int n2 = 0;
    cJSON **v2 = load_jsonl(DATA "/humaneval/HumanEval.jsonl", &n2);
    score_all(v2, n2, he_pass, r, &sec);
    int passed = 0;
    for (int i = 0; i < n2; i++) {
        if (r[i].reward != 0.0) {
            passed++;
            describe("pass-body passes", i, &r[i]);
        }
        code_result_free(&r[i]);
    }
    print_message("  HumanEval with `pass` bodies: %d/%d pass\n", passed, n2);
    assert_int_equal(passed, 0);
    for (int i = 0; i < n; i++) cJSON_Delete(v[i]);
    for (int i = 0; i < n2; i++) cJSON_Delete(v2[i]);
    free(v);
    free(v2);
    free(r);
}

static char *mbpp_canonical(const cJSON *o) {
    return strdup(str(o, "code"));
}

/* The canonical code with every top-level function rebound to return None. */
static char *mbpp_none(const cJSON *o) {
    const char *code = str(o, "code");
    size_t cap = strlen(code) * 2 + 64;
    char *s = malloc(cap);
    assert_non_null(s);
    strcpy(s, code);
    strcat(s, "\n");
    for (const char *p = code; (p = strstr(p, "def ")) != NULL; p += 4) {
        if (p != code && p[-1] != '\n') continue;
        const char *e = p + 4;
        size_t k = strcspn(e, "( :");
        if (strlen(s) + k + 40 >= cap) break;
        strncat(s, e, k);
        strcat(s, " = lambda *a, **k: None\n");
    }
    return s;
}

static int task_id(const cJSON *o) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "task_id");
    return cJSON_IsNumber(v) ? v->valueint : -1;
}

static void test_mbpp(void **state) {
    (void)state;
    int n = 0;
    cJSON **v = load_jsonl(DATA "/mbpp/sanitized-mbpp.jsonl", &n);
    assert_int_equal(n, 427);
    code_result *r = calloc((size_t)n, sizeof *r);
    double sec;
    score_all(v, n, mbpp_canonical, r, &sec);
    int ok = 0, tests = 0;
    for (int i = 0; i < n; i++) {
        tests += r[i].total;
        if (r[i].reward == 1.0)
            ok++;
        else
            describe("MBPP canonical fails", task_id(v[i]), &r[i]);
        code_result_free(&r[i]);
    }
    print_message("  MBPP sanitized canonical: %d/%d pass (%d tests, %.1f s, %.1f tests/s on 2 "
                  "slots)\n",
                  ok, n, tests, sec, tests / sec);
    assert_int_equal(ok, n);

    int n2 = 0;
    cJSON **v2 = load_jsonl(DATA "/mbpp/sanitized-mbpp.jsonl", &n2);
    score_all(v2, n2, mbpp_none, r, &sec);
    int full = 0, some = 0;
    for (int i = 0; i < n2; i++) {
        if (r[i].reward == 1.0) {
            full++;
            describe("None answer passes", task_id(v2[i]), &r[i]);
        }
        if (r[i].passed > 0) some++;
        code_result_free(&r[i]);
    }
    print_message("  MBPP with every function returning None: %d/%d full reward, %d with some "
                  "test passed\n",
                  full, n2, some);
    assert_int_equal(full, 0);
    for (int i = 0; i < n; i++) cJSON_Delete(v[i]);
    for (int i = 0; i < n2; i++) cJSON_Delete(v2[i]);
    free(v);
    free(v2);
    free(r);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_humaneval),
                                       cmocka_unit_test(test_mbpp)};
    return cmocka_run_group_tests(tests, setup, teardown);
}
