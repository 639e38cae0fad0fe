/* tests/rollout/test_sampler.c: Philox4x32-10 against Random123's known answers, and the
 * sampler's distributions against the expected ones. For a fixed logits vector, 10^5 draws
 * (u from Philox at positions 0 .. 10^5-1, fixed seeds, so the outcome is fixed and cannot
 * flake) are compared with the distribution computed here independently (softmax in double,
 * then HF's top-k / top-p / min-p masks) by Pearson's chi-square at significance 0.001; tokens
 * outside the truncated set must never be drawn; the returned log-probability must equal
 * log_softmax(z / T) of the full vocabulary (tolerance 1e-6, seen <= 2.4e-7). A wrong
 * temperature is shown to fail the same check (the test has power). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rollout.h"
#include "test_util.h"

static void philox_known_answers(void **state) {
    (void)state;
    static const uint32_t ctr[3][4] = {{0, 0, 0, 0},
                                       {0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu},
                                       {0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u}};
    static const uint32_t key[3][2] = {
        {0, 0}, {0xffffffffu, 0xffffffffu}, {0xa4093822u, 0x299f31d0u}};
    static const uint32_t want[3][4] = {{0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u},
                                        {0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu},
                                        {0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u}};
    for (int i = 0; i < 3; i++) {
        uint32_t got[4];
        rollout_philox4x32(got, ctr[i], key[i]);
        for (int j = 0; j < 4; j++) assert_int_equal(got[j], want[i][j]);
    }
}

/* Uniforms: in [0, 1), mean 1/2 and variance 1/12 over 10^5 draws, and every key part
 * changes the draw. */
static void uniform_draws(void **state) {
    (void)state;
    double s = 0.0, s2 = 0.0;
    int n = 100000;
    for (int i = 0; i < n; i++) {
        double u = rollout_uniform(7, 3, 11, 2, (uint32_t)i);
        assert_true(u >= 0.0 && u < 1.0);
        s += u;
        s2 += u * u;
    }
    double mean = s / n, var = s2 / n - mean * mean;
    /* standard errors: 0.0009 for the mean, 0.0003 for the variance; 5 sigma */
    assert_true(fabs(mean - 0.5) < 0.0046);
    assert_true(fabs(var - 1.0 / 12) < 0.0015);
    double base = rollout_uniform(1, 2, 3, 4, 5);
    assert_true(base == rollout_uniform(1, 2, 3, 4, 5));
    assert_true(base != rollout_uniform(9, 2, 3, 4, 5));
    assert_true(base != rollout_uniform(1, 9, 3, 4, 5));
    assert_true(base != rollout_uniform(1, 2, 9, 4, 5));
    assert_true(base != rollout_uniform(1, 2, 3, 9, 5));
    assert_true(base != rollout_uniform(1, 2, 3, 4, 9));
    assert_true(base != rollout_uniform((uint64_t)1 << 40 | 1, 2, 3, 4, 5));
}

#define V 12
static const float logits[V] = {2.0f,  1.5f, 1.2f, 1.0f,  0.5f,  0.3f,
                                -0.1f, 0.0f, 1.1f, -1.5f, -2.0f, -3.0f};

/* The expected distribution, written from HF's warpers: p = softmax(z/T) (z after penalties);
 * top-k keeps tokens whose value is >= the k-th largest; top-p sorts the top-k set ascending and
 * drops the tokens whose cumulative renormalised mass is <= 1 - top_p; min-p drops tokens below
 * min_p * the largest remaining probability. */
static void expected(const rollout_sampling *s, const uint8_t *seen, double *p, double *lp_full) {
    double z[V], mx = -INFINITY;
    for (int i = 0; i < V; i++) {
        double x = logits[i];
        if (seen && seen[i]) {
            x = x > 0 ? x / s->repetition_penalty : x * s->repetition_penalty;
            if (seen[i] & ROLLOUT_SEEN_OUTPUT) x -= s->presence_penalty;
        }
        z[i] = (double)(float)x / (s->temperature > 0 ? s->temperature : 1.0);
        mx = fmax(mx, z[i]);
    }
    double sum = 0.0;
    for (int i = 0; i < V; i++) sum += exp(z[i] - mx);
    for (int i = 0; i < V; i++) {
        p[i] = exp(z[i] - mx) / sum;
        lp_full[i] = z[i] - mx - log(sum);
    }
    int keep[V];
    for (int i = 0; i < V; i++) keep[i] = 1;
    if (s->top_k > 0) {
        for (int i = 0; i < V; i++) {
            int above = 0;
            for (int j = 0; j < V; j++) above += z[j] > z[i];
            keep[i] = above < s->top_k;
        }
    }
    if (s->top_p < 1.0f) {
        double tot = 0.0;
        for (int i = 0; i < V; i++) tot += keep[i] ? p[i] : 0.0;
        int drop[V] = {0};
        for (int i = 0; i < V; i++) { /* mass of kept tokens at or below i, ascending */
            if (!keep[i]) continue;
            double cum = 0.0;
            for (int j = 0; j < V; j++)
                if (keep[j] && (z[j] < z[i] || (z[j] == z[i] && j >= i))) cum += p[j] / tot;
            drop[i] = cum <= 1.0 - s->top_p;
        }
        for (int i = 0; i < V; i++) keep[i] = keep[i] && !drop[i];
    }
    if (s->min_p > 0.0f) {
        double pmax = 0.0;
        for (int i = 0; i < V; i++) pmax = keep[i] ? fmax(pmax, p[i]) : pmax;
        for (int i = 0; i < V; i++) keep[i] = keep[i] && p[i] >= s->min_p * pmax;
    }
    double tot = 0.0;
    for (int i = 0; i < V; i++) tot += keep[i] ? p[i] : 0.0;
    for (int i = 0; i < V; i++) p[i] = keep[i] ? p[i] / tot : 0.0;
}

/* chi-square critical values at significance 0.001, df = 1 .. 11 */
static const double chi2_crit[12] = {0,      10.828, 13.816, 16.266, 18.467, 20.515,
                                     22.458, 24.322, 26.124, 27.877, 29.588, 31.264};

#define DRAWS 100000

/* Draws DRAWS tokens with s and returns the chi-square statistic against want (df in *df);
 * fails if a token of zero expected probability is drawn or a log-probability is off. */
static double chi2_of(const rollout_sampling *s, const uint8_t *seen, const double *want,
                      const double *lp_full, uint64_t seed, int *df) {
    rollout_sampler_work w;
    assert_int_equal(rollout_sampler_work_init(&w, V, NULL), 0);
    long count[V] = {0};
    double max_lp_err = 0.0;
    for (int i = 0; i < DRAWS; i++) {
        float lp;
        int t = rollout_sampler_pick(logits, seen, s, rollout_uniform(seed, 0, 0, 0, (uint32_t)i),
                                     &w, &lp);
        assert_true(t >= 0 && t < V);
        count[t]++;
        max_lp_err = fmax(max_lp_err, fabs(lp - lp_full[t]));
    }
    rollout_sampler_work_free(&w);
    assert_true(max_lp_err <= 1e-6);
    double chi2 = 0.0;
    *df = -1;
    for (int i = 0; i < V; i++) {
        if (want[i] == 0.0) {
            if (count[i]) fail_msg("token %d drawn %ld times but is truncated away", i, count[i]);
            continue;
        }
        double e = want[i] * DRAWS;
        chi2 += (count[i] - e) * (count[i] - e) / e;
        (*df)++;
    }
    return chi2;
}

static void check_case(const char *name, const rollout_sampling *s, const uint8_t *seen,
                       uint64_t seed, int expect_kept) {
    double p[V], lp_full[V];
    expected(s, seen, p, lp_full);
    int kept = 0;
    for (int i = 0; i < V; i++) kept += p[i] > 0;
    assert_int_equal(kept, expect_kept); /* the case truncates what it means to */
    int df;
    double chi2 = chi2_of(s, seen, p, lp_full, seed, &df);
    print_message("%-28s kept %2d, chi2 %7.3f, df %2d, critical %.3f\n", name, kept, chi2, df,
                  df > 0 ? chi2_crit[df] : 0.0);
    if (df > 0 && !(chi2 < chi2_crit[df]))
        fail_msg("%s: chi2 %g >= %g (df %d, alpha 0.001)", name, chi2, chi2_crit[df], df);
}

static void distributions(void **state) {
    (void)state;
    rollout_sampling s;
    rollout_sampling_default(&s);
    check_case("temperature 1", &s, NULL, 101, 12);
    s.temperature = 0.7f;
    check_case("temperature 0.7", &s, NULL, 102, 12);
    s.temperature = 1.6f;
    check_case("temperature 1.6", &s, NULL, 103, 12);
    rollout_sampling_default(&s);
    s.top_k = 5;
    s.temperature = 1.3f;
    check_case("top-k 5, T 1.3", &s, NULL, 104, 5);
    rollout_sampling_default(&s);
    s.top_p = 0.8f;
    check_case("top-p 0.8", &s, NULL, 105, 6);
    rollout_sampling_default(&s);
    s.min_p = 0.2f;
    check_case("min-p 0.2", &s, NULL, 106, 6);
    rollout_sampling_default(&s);
    s.top_k = 8;
    s.top_p = 0.9f;
    s.min_p = 0.15f;
    s.temperature = 0.9f;
    check_case("top-k 8 top-p .9 min-p .15", &s, NULL, 107, 6);
    rollout_sampling_default(&s);
    s.repetition_penalty = 1.5f;
    s.presence_penalty = 0.7f;
    uint8_t seen[V] = {ROLLOUT_SEEN_PROMPT,
                       0,
                       ROLLOUT_SEEN_OUTPUT,
                       0,
                       0,
                       0,
                       0,
                       0,
                       ROLLOUT_SEEN_PROMPT | ROLLOUT_SEEN_OUTPUT,
                       ROLLOUT_SEEN_OUTPUT};
    check_case("penalties 1.5 / 0.7", &s, seen, 108, 12);
}

/* The same check rejects draws at temperature 1 tested against temperature 0.7. */
static void chi_square_has_power(void **state) {
    (void)state;
    rollout_sampling s, wrong;
    rollout_sampling_default(&s);
    rollout_sampling_default(&wrong);
    wrong.temperature = 0.7f;
    double p[V], lp_full[V], pw[V], lpw[V];
    expected(&s, NULL, p, lp_full);
    expected(&wrong, NULL, pw, lpw);
    int df;
    double chi2 = chi2_of(&s, NULL, pw, lp_full, 101, &df);
    print_message("T 1 draws vs T 0.7 expectation: chi2 %.1f (critical %.3f)\n", chi2,
                  chi2_crit[df]);
    assert_true(chi2 > chi2_crit[df]);
}

static void greedy_and_ties(void **state) {
    (void)state;
    rollout_sampling s;
    rollout_sampling_default(&s);
    s.temperature = 0.0f;
    rollout_sampler_work w;
    assert_int_equal(rollout_sampler_work_init(&w, V, NULL), 0);
    float lp;
    assert_int_equal(rollout_sampler_pick(logits, NULL, &s, 0.999, &w, &lp), 0);
    double p[V], lpf[V];
    expected(&s, NULL, p, lpf);
    assert_true(fabs(lp - lpf[0]) < 1e-6);
    float tie[V] = {0};
    tie[3] = tie[7] = 5.0f;
    assert_int_equal(rollout_sampler_pick(tie, NULL, &s, 0.5, &w, &lp), 3); /* lowest id */
    /* top-k 1 at any temperature is greedy */
    s.temperature = 1.0f;
    s.top_k = 1;
    for (int i = 0; i < 100; i++)
        assert_int_equal(rollout_sampler_pick(logits, NULL, &s, i / 100.0, &w, &lp), 0);
    rollout_sampler_work_free(&w);
}

static void bad_settings(void **state) {
    (void)state;
    rollout_sampling s;
    rlpt_err err;
    rollout_sampling_default(&s);
    assert_int_equal(rollout_sampling_check(&s, &err), 0);
    s.top_p = 0.0f;
    assert_int_equal(rollout_sampling_check(&s, &err), RLPT_EINVAL);
    assert_non_null(strstr(err.msg, "top_p"));
    rollout_sampling_default(&s);
    s.temperature = -1.0f;
    assert_int_equal(rollout_sampling_check(&s, &err), RLPT_EINVAL);
    assert_non_null(strstr(err.msg, "temperature"));
    rollout_sampling_default(&s);
    s.min_p = NAN;
    assert_int_equal(rollout_sampling_check(&s, &err), RLPT_EINVAL);
    assert_non_null(strstr(err.msg, "min_p"));
}

/* A 6000-token vocabulary takes the sampler's shortcut (only tokens near the maximum are
 * sorted); every pick must equal that of a full sort of the vocabulary, done here. */
#define BIGV 6000
static float big_z[BIGV];
static int by_big_z(const void *a, const void *b) {
    int i = *(const int *)a, j = *(const int *)b;
    if (big_z[i] != big_z[j]) return big_z[i] > big_z[j] ? -1 : 1;
    return (i > j) - (i < j);
}

static int full_sort_pick(const rollout_sampling *s, double u) {
    static int idx[BIGV];
    double zmax = -INFINITY, sum = 0.0;
    for (int i = 0; i < BIGV; i++) zmax = fmax(zmax, big_z[i] / s->temperature);
    for (int i = 0; i < BIGV; i++) sum += exp((double)(big_z[i] / s->temperature) - zmax);
    for (int i = 0; i < BIGV; i++) idx[i] = i;
    qsort(idx, BIGV, sizeof *idx, by_big_z);
    int n = s->top_k > 0 && s->top_k < BIGV ? s->top_k : BIGV;
    double tot = sum;
    if (s->top_k > 0) {
        tot = 0.0;
        for (int i = 0; i < n; i++) tot += exp((double)(big_z[idx[i]] / s->temperature) - zmax);
    }
    double cum = 0.0;
    int keep = 0;
    while (keep < n && cum < (double)s->top_p * tot)
        cum += exp((double)(big_z[idx[keep++]] / s->temperature) - zmax);
    n = keep;
    tot = 0.0;
    for (int i = 0; i < n; i++) tot += exp((double)(big_z[idx[i]] / s->temperature) - zmax);
    cum = 0.0;
    for (int i = 0; i < n; i++) {
        cum += exp((double)(big_z[idx[i]] / s->temperature) - zmax);
        if (cum > u * tot) return idx[i];
    }
    return idx[n - 1];
}

static void large_vocabulary_shortcut(void **state) {
    (void)state;
    rollout_sampler_work w;
    assert_int_equal(rollout_sampler_work_init(&w, BIGV, NULL), 0);
    const float top_p[3] = {0.9f, 0.5f, 1.0f};
    const int top_k[3] = {0, 40, 100};
    for (int d = 0; d < 2; d++) {
        /* d 0: a long tail, most tokens far below the top; d 1: one token 10 above a flat
         * crowd whose mass outweighs it, so the shortcut must widen to reach the nucleus */
        uint64_t x = 99;
        for (int i = 0; i < BIGV; i++) {
            x = x * 6364136223846793005ull + 1442695040888963407ull;
            double r = (double)(x >> 40) / (double)(1 << 24);
            big_z[i] = d == 0 ? (float)(r * 30.0 - 25.0) : (float)(r * 2.0 - 1.0);
        }
        if (d == 1) big_z[17] = 10.0f;
        for (int c = 0; c < 3; c++) {
            rollout_sampling s;
            rollout_sampling_default(&s);
            s.top_p = top_p[c];
            s.top_k = top_k[c];
            for (int i = 0; i < 300; i++) {
                double u = rollout_uniform(5, 0, (uint64_t)c, 0, (uint32_t)i);
                float lp;
                int got = rollout_sampler_pick(big_z, NULL, &s, u, &w, &lp);
                int want = full_sort_pick(&s, u);
                if (got != want)
                    fail_msg("dist %d top-p %g top-k %d draw %d: %d, full sort %d", d,
                             (double)s.top_p, s.top_k, i, got, want);
            }
        }
    }
    rollout_sampler_work_free(&w);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(philox_known_answers),
        cmocka_unit_test(uniform_draws),
        cmocka_unit_test(distributions),
        cmocka_unit_test(chi_square_has_power),
        cmocka_unit_test(greedy_and_ties),
        cmocka_unit_test(bad_settings),
        cmocka_unit_test(large_vocabulary_shortcut),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
