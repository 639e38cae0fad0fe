/* tests/rewards/test_math_hostile.c: hostile completions get reward 0 with bounded work.
 * Each case is checked against the reference "2" and must come back not equal, with the work
 * counters the checker reports inside their bounds: parse-tree nodes <= 2 x 4096 and
 * evaluation steps <= 200000 (MATH_MAX_NODES, MATH_MAX_STEPS in rewards/internal.h). Work is
 * asserted by these counts, never by wall time. Extraction is a single pass by construction;
 * the 1 MB inputs here would take minutes if any scan were quadratic (CTest timeout 120 s). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rewards.h"

static reward_math_checker *chk;

static int setup(void **state) {
    (void)state;
    rlpt_err err;
    return reward_math_checker_init(&chk, &err);
}

static int teardown(void **state) {
    (void)state;
    reward_math_checker_free(chk);
    return 0;
}

/* Checks pred against "2"; the reason must contain why_part when given. */
static void hostile(const char *what, const char *pred, size_t len, const char *why_part) {
    reward_math_opts o;
    reward_math_opts_default(&o);
    reward_math_result res;
    int eq = reward_math_verify(chk, "2", 1, pred, len, &o, &res);
    printf("%-40s -> %d (%s), nodes %d, steps %ld\n", what, eq, res.why ? res.why : "", res.nodes,
           res.steps);
    if (eq) fail_msg("%s: accepted", what);
    assert_true(res.nodes <= 2 * 4096);
    assert_true(res.steps <= 200000);
    if (why_part && (!res.why || !strstr(res.why, why_part)))
        fail_msg("%s: reason '%s' does not mention '%s'", what, res.why ? res.why : "", why_part);
}

static char *repeat(const char *head, const char *unit, size_t times, const char *tail,
                    size_t *len) {
    size_t hl = strlen(head), ul = strlen(unit), tl = strlen(tail);
    char *s = malloc(hl + ul * times + tl + 1), *p = s;
    assert_non_null(s);
    memcpy(p, head, hl), p += hl;
    for (size_t i = 0; i < times; i++) memcpy(p, unit, ul), p += ul;
    memcpy(p, tail, tl), p += tl;
    *p = 0;
    *len = (size_t)(p - s);
    return s;
}

static void test_nested_braces(void **state) {
    (void)state;
    size_t len;
    char *s = repeat("\\boxed{", "{", 1u << 20, "2", &len); /* 1 MB, never closed */
    hostile("1 MB of unclosed nested braces", s, len, "longer than 8192");
    free(s);
    s = repeat("", "{", 1u << 19, "", &len);
    char *t = repeat(s, "}", 1u << 19, "", &len); /* 1 MB balanced, no answer marker */
    hostile("1 MB of balanced braces", t, len, NULL);
    free(s);
    free(t);
    s = repeat("\\boxed{", "{", 3000, "2", &len);
    t = repeat(s, "}", 3001, "", &len); /* fits 8192 bytes, 3000 levels deep */
    hostile("3000 nested braces in a box", t, len, "nested too deeply");
    free(s);
    free(t);
    s = repeat("", "\\(", 1u << 19, "", &len); /* unclosed math environments */
    hostile("1 MB of unclosed \\(", s, len, NULL);
    free(s);
    s = repeat("", "The answer is ", 70000, "", &len);
    hostile("1 MB of 'The answer is'", s, len, NULL);
    free(s);
}

static void test_huge_numbers(void **state) {
    (void)state;
    size_t len;
    char *s = repeat("\\boxed{", "9", 1000000, "}", &len);
    hostile("a 10^6-digit number", s, len, "longer than 8192");
    free(s);
    s = repeat("\\boxed{", "9", 8000, "}", &len);
    hostile("an 8000-digit number", s, len, "too many digits");
    free(s);
    const char *towers[] = {"\\boxed{10^{10^{10}}}",
                            "\\boxed{2^{2^{2^{2^{2}}}}}",
                            "\\boxed{9^{9^{9^{9}}}}",
                            "\\boxed{(10^{10})!}",
                            "\\boxed{\\binom{10^{9}}{10^{8}}}",
                            "\\boxed{10^{-10^{10}}}",
                            "\\boxed{(1+10^{-100})^{10^{100}}}"};
    for (size_t i = 0; i < sizeof towers / sizeof towers[0]; i++)
        hostile(towers[i], towers[i], strlen(towers[i]), NULL);
}

static void test_deep_frac(void **state) {
    (void)state;
    size_t len;
    char *s = repeat("\\boxed{", "\\frac{1}{", 800, "2", &len);
    char *t = repeat(s, "}", 801, "", &len);
    hostile("800 nested \\frac", t, len, "nested too deeply");
    free(s);
    free(t);
    s = repeat("\\boxed{", "\\sqrt{", 1000, "4", &len);
    t = repeat(s, "}", 1001, "", &len);
    hostile("1000 nested \\sqrt", t, len, "nested too deeply");
    free(s);
    free(t);
    s = repeat("\\boxed{x", "+x", 2000, "}", &len); /* a deep tree built by iteration */
    hostile("a 2001-term sum", s, len, NULL);
    free(s);
    s = repeat("\\boxed{1", "+1", 3000, "}", &len);
    hostile("a 3001-term sum of numbers", s, len, "too many numbers");
    free(s);
}

static void test_blowup(void **state) {
    (void)state;
    /* 120 x 120 list items with symbols: the step budget bounds the pairwise comparison */
    char buf[8192];
    size_t o = 0;
    o += (size_t)snprintf(buf + o, sizeof buf - o, "\\boxed{\\{");
    for (int i = 0; i < 120; i++)
        o += (size_t)snprintf(buf + o, sizeof buf - o, "%sx^{%d}+y", i ? "," : "", i + 2);
    o += (size_t)snprintf(buf + o, sizeof buf - o, "\\}}");
    reward_math_opts opts;
    reward_math_opts_default(&opts);
    reward_math_result res;
    int eq = reward_math_verify(chk, buf, o, buf + 0, o, &opts, &res); /* same text: equal */
    assert_int_equal(eq, 1);
    char gold[8192];
    size_t g = 0;
    g += (size_t)snprintf(gold + g, sizeof gold - g, "\\{");
    for (int i = 0; i < 120; i++)
        g += (size_t)snprintf(gold + g, sizeof gold - g, "%sy+x^{%d}", i ? "," : "", 121 - i);
    g += (size_t)snprintf(gold + g, sizeof gold - g, "\\}");
    eq = reward_math_verify(chk, gold, g, buf, o, &opts, &res);
    printf("120x120 symbolic set -> %d (%s), steps %ld\n", eq, res.why, res.steps);
    assert_true(res.steps <= 200000);
}

static void test_invalid_utf8(void **state) {
    (void)state;
    const char bad1[] = "\xff\xfe\xfd \\boxed{\xc3\x28}";
    const char bad2[] = "\x80\x80\x80 7\xc0";
    const char bad3[] = "\\boxed{2\xed\xa0\x80}"; /* a UTF-16 surrogate in UTF-8 */
    hostile("invalid UTF-8 in a box", bad1, sizeof bad1 - 1, NULL);
    hostile("invalid UTF-8 around a number", bad2, sizeof bad2 - 1, NULL);
    hostile("surrogate after the answer", bad3, sizeof bad3 - 1, NULL);
    const char nul[] = "\\boxed{2\0}";
    hostile("NUL inside the box", nul, sizeof nul - 1, NULL);
    /* invalid bytes outside the answer do not matter (a completion cut mid-character) */
    reward_math_opts o;
    reward_math_opts_default(&o);
    reward_math_result res;
    const char cut[] = "so \\boxed{2} \xe4\xb8";
    assert_int_equal(reward_math_verify(chk, "2", 1, cut, sizeof cut - 1, &o, &res), 1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nested_braces), cmocka_unit_test(test_huge_numbers),
        cmocka_unit_test(test_deep_frac),     cmocka_unit_test(test_blowup),
        cmocka_unit_test(test_invalid_utf8),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
