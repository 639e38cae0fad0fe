/* tests/rewards/test_math_peer.c: the math checker against the peer suites' own cases.
 *   - Math-Verify (huggingface/Math-Verify tests, 245 cases, each with its options) and
 *     hendrycks/math is_equiv (16 cases): agreement per source, target >= 95% and 16/16.
 *     Every disagreement must be listed, with its reason, in
 *     tests/data/rewards/peer-disagreements.md as "math_verify #N"; the test fails when the
 *     set of disagreements differs from that list in either direction.
 * Options mapping (see tests/data/rewards/SOURCES in peer-disagreements.md): Math-Verify's
 * match_types "expr" -> answer_is + whole + last_number + comma decimals, "latex" -> boxed +
 * answer_is + latex_env, both -> all; precision -> decimal_places (helper default 6); strict ->
 * strict_symbols; allow_set_relation_comp -> set_relation. hendrycks compares its normalised
 * strings, so lists keep their order there (ordered_lists = 1). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rewards.h"
#include "rlpt_io.h"
#include "test_util.h"

static int verbose;

static char *read_all(const char *path) {
    char *buf = NULL;
    size_t len = 0;
    rlpt_err err;
    if (rlpt_read_file(path, 64u << 20, &buf, &len, &err) != 0) fail_msg("%s", err.msg);
    return buf;
}

static int has_type(const cJSON *types, const char *t) {
    const cJSON *x;
    cJSON_ArrayForEach(x, types) if (cJSON_IsString(x) && strcmp(x->valuestring, t) == 0) return 1;
    return 0;
}

static void mv_opts(const cJSON *rec, reward_math_opts *o, int *direct) {
    reward_math_opts_default(o);
    o->decimal_places = 6;
    *direct = 0;
    const cJSON *opt = cJSON_GetObjectItem(rec, "options");
    const cJSON *types = opt ? cJSON_GetObjectItem(opt, "match_types") : NULL;
    reward_extract_opts *e[2] = {&o->gold_extract, &o->pred_extract};
    for (int i = 0; i < 2; i++) {
        reward_extract_opts_default(e[i]);
        e[i]->gsm8k = 0;
        e[i]->answer_tag = 0;
        if (types && !has_type(types, "latex")) { /* expr only */
            e[i]->boxed = e[i]->latex_env = 0;
            e[i]->comma_decimal = 1;
        } else if (types && !has_type(types, "expr")) { /* latex only */
            e[i]->whole = e[i]->last_number = 0;
        }
    }
    if (!opt) return;
    const cJSON *x;
    if ((x = cJSON_GetObjectItem(opt, "precision"))) o->decimal_places = x->valueint;
    if ((x = cJSON_GetObjectItem(opt, "float_rounding"))) {
        o->decimal_places = x->valueint;
        *direct = 1; /* sympy objects compared without extraction */
    }
    if ((x = cJSON_GetObjectItem(opt, "strict"))) o->strict_symbols = cJSON_IsTrue(x);
    if ((x = cJSON_GetObjectItem(opt, "allow_set_relation_comp")))
        o->set_relation = cJSON_IsTrue(x);
}

/* Runs a suite; returns the number of agreements, fills bad[] with disagreeing indexes. */
static int run_suite(const char *path, int math_verify, int *n_cases, int *bad, int *n_bad) {
    char *data = read_all(path);
    reward_math_checker *chk;
    rlpt_err err;
    assert_int_equal(reward_math_checker_init(&chk, &err), 0);
    int agree = 0, n = 0;
    *n_bad = 0;
    for (char *line = strtok(data, "\n"); line; line = strtok(NULL, "\n"), n++) {
        cJSON *rec = cJSON_Parse(line);
        assert_non_null(rec);
        const char *gold = cJSON_GetObjectItem(rec, "gold")->valuestring;
        const char *pred = cJSON_GetObjectItem(rec, "pred")->valuestring;
        int expected = cJSON_IsTrue(cJSON_GetObjectItem(rec, "expected"));
        reward_math_opts o;
        int direct = 0;
        if (math_verify) {
            mv_opts(rec, &o, &direct);
        } else {
            reward_math_opts_default(&o);
            o.ordered_lists = 1;
        }
        reward_math_result res;
        memset(&res, 0, sizeof res);
        int got = direct
                      ? reward_math_equiv(chk, gold, strlen(gold), pred, strlen(pred), &o, &res)
                      : reward_math_verify(chk, gold, strlen(gold), pred, strlen(pred), &o, &res);
        if (got == expected) {
            agree++;
        } else {
            bad[(*n_bad)++] = n;
            if (verbose)
                printf("DISAGREE %s #%d %s[%d] expected %d: gold(%s)=[%s] pred(%s)=[%s]: %s\n",
                       math_verify ? "math_verify" : "hendrycks", n,
                       cJSON_GetObjectItem(rec, "source")->valuestring,
                       cJSON_GetObjectItem(rec, "index")
                           ? cJSON_GetObjectItem(rec, "index")->valueint
                           : 0,
                       expected, reward_extract_name(res.gold_how), res.gold,
                       reward_extract_name(res.pred_how), res.pred, res.why ? res.why : "");
        }
        cJSON_Delete(rec);
    }
    reward_math_checker_free(chk);
    free(data);
    *n_cases = n;
    return agree;
}

/* The "math_verify #N" entries of the committed report. */
static int listed(const char *report, const char *suite, int *out, int max) {
    int n = 0;
    char key[64];
    snprintf(key, sizeof key, "%s #", suite);
    for (const char *p = strstr(report, key); p && n < max; p = strstr(p + 1, key))
        out[n++] = atoi(p + strlen(key));
    return n;
}

static void check_against_report(const char *suite, const int *bad, int n_bad) {
    char *report = read_all(SRC("tests/data/rewards/peer-disagreements.md"));
    int want[300];
    int n_want = listed(report, suite, want, 300);
    for (int i = 0; i < n_bad; i++) {
        int found = 0;
        for (int j = 0; j < n_want; j++) found |= want[j] == bad[i];
        if (!found) fail_msg("%s #%d disagrees and is not in peer-disagreements.md", suite, bad[i]);
    }
    for (int j = 0; j < n_want; j++) {
        int found = 0;
        for (int i = 0; i < n_bad; i++) found |= want[j] == bad[i];
        if (!found)
            fail_msg("%s #%d is listed in peer-disagreements.md but now agrees", suite, want[j]);
    }
    free(report);
}

static void test_math_verify_cases(void **state) {
    (void)state;
    int bad[300], n_bad, n;
    int agree = run_suite(SRC("tests/data/rewards/math_verify_cases.jsonl"), 1, &n, bad, &n_bad);
    printf("Math-Verify cases: %d/%d agree (%.1f%%)\n", agree, n, 100.0 * agree / n);
    assert_int_equal(n, 245);
    assert_true(agree * 100 >= 95 * n);
    check_against_report("math_verify", bad, n_bad);
}

static void test_hendrycks_cases(void **state) {
    (void)state;
    int bad[32], n_bad, n;
    int agree =
        run_suite(SRC("tests/data/rewards/hendrycks_math_equiv_cases.jsonl"), 0, &n, bad, &n_bad);
    printf("hendrycks is_equiv cases: %d/%d agree\n", agree, n);
    assert_int_equal(n, 16);
    assert_int_equal(agree, 16);
}

int main(void) {
    verbose = getenv("RLPT_TEST_VERBOSE") != NULL;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_math_verify_cases),
        cmocka_unit_test(test_hendrycks_cases),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
