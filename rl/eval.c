/* rl/eval.c: evaluation on the held-out set (DESIGN.md `rlpt eval`, the pipeline's eval stage
 * and the evaluations around GRPO). eval.samples = n completions per problem, greedy or at
 * eval.temperature; each scored by the configured rewards on the rank that owns the problem.
 * Reported (eval.jsonl and stderr):
 *   accuracy  pass@1: the mean correctness over all n x problems samples;
 *   pass@k    for k = 2, 4, 8, ... < n and k = n: the unbiased estimator of Chen et al. (2021),
 *             1 - C(n-c, k) / C(n, k) per problem with c correct of n, averaged;
 *   maj@n     (n > 1, first reward math or gsm8k) the problem counts as solved when the most
 *             frequent answer is a correct one: answers are extracted with reward_extract's
 *             defaults and grouped by reward_math_equiv; ties go to the answer seen first, as
 *             Python's Counter.most_common does; samples without an answer do not vote.
 * A sample is correct when the first reward function gives it its full value (1). */
#define _POSIX_C_SOURCE 200809L
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rewards.h"
#include "trainer.h"

#define MAX_KS 12 /* pass@k values reported: 2, 4, ..., 1024 and n */

int rl_sample_correct(const rl_step_data *d, int k) {
    return d->per_fn[k] >= 1.0 - 1e-9;
}

double rl_pass_at_k(int n, int c, int k) {
    if (k <= 0 || k > n || c < 0 || c > n) return NAN;
    if (n - c < k) return 1.0;
    /* C(n-c, k) / C(n, k) = prod_{i=n-c+1}^{n} (1 - k/i), no large binomials */
    double q = 1.0;
    for (int i = n - c + 1; i <= n; i++) q *= 1.0 - (double)k / i;
    return 1.0 - q;
}

int rl_majority(char *const *answers, int n, int (*same)(void *ctx, const char *a, const char *b),
                void *ctx) {
    int best = -1, best_count = 0;
    int *rep = malloc((size_t)(n > 0 ? n : 1) * sizeof *rep); /* class of each answer */
    if (!rep) return -2;
    for (int i = 0; i < n; i++) {
        rep[i] = -1;
        if (!answers[i]) continue;
        for (int j = 0; j < i && rep[i] < 0; j++)
            if (rep[j] == j && same(ctx, answers[j], answers[i])) rep[i] = j;
        if (rep[i] < 0) rep[i] = i; /* the first of a new class represents it */
    }
    for (int i = 0; i < n; i++) { /* classes in order of first appearance: a tie keeps the first */
        if (rep[i] != i) continue;
        int count = 0;
        for (int j = i; j < n; j++) count += rep[j] == i;
        if (count > best_count) best = i, best_count = count;
    }
    free(rep);
    return best;
}

typedef struct equiv_ctx {
    reward_math_checker *checker;
    reward_math_opts opts;
} equiv_ctx;

static int equivalent(void *ctx, const char *a, const char *b) {
    equiv_ctx *e = ctx;
    reward_math_result res;
    return reward_math_equiv(e->checker, a, strlen(a), b, strlen(b), &e->opts, &res);
}

/* 1 when the majority answer of problem o's K samples is correct, 0 when not (or when no
 * sample holds an answer), < 0 out of memory. */
static int majority_correct(const rl_step_data *d, int o, equiv_ctx *e) {
    int K = d->G;
    char **answers = calloc((size_t)K, sizeof *answers);
    if (!answers) return -2;
    reward_extract_opts xo;
    reward_extract_opts_default(&xo);
    int rc = 0;
    for (int j = 0; j < K && !rc; j++) {
        const rollout_sample *s = &d->samples[(size_t)d->own_prompt[o] * K + j];
        if (s->text && reward_extract(s->text, s->text_len, &xo, &answers[j]) < 0) rc = -2;
    }
    int best = rc ? -2 : rl_majority(answers, K, equivalent, e);
    for (int j = 0; j < K; j++) free(answers[j]);
    free(answers);
    if (best < 0) return best == -1 ? 0 : best;
    return rl_sample_correct(d, o * K + best);
}

/* The k of the pass@k reported for n samples: 2, 4, ... below n, then n. */
static int pass_ks(int n, int *ks) {
    int m = 0;
    for (int k = 2; k < n && m < MAX_KS - 1; k *= 2) ks[m++] = k;
    if (n > 1) ks[m++] = n;
    return m;
}

int rl_evaluate(rl_trainer *t, const char *stage, double *accuracy, rlpt_err *err) {
    const rl_config *cfg = t->cfg;
    int rc = 0;
    if (!t->rewards && (rc = rl_mpi_agree(rl_rewards_init(&t->rewards, cfg, err), err))) return rc;
    if (!t->eval_engine &&
        (rc = rl_mpi_agree(rl_make_engine(t, &t->eval_engine, 1, cfg->eval.samples, err), err)))
        return rc;
    int P = t->eval.n;
    if (cfg->eval.max_examples > 0 && cfg->eval.max_examples < P) P = cfg->eval.max_examples;
    int K = cfg->eval.samples, ks[MAX_KS], n_ks = pass_ks(K, ks);
    const char *first =
        cfg->rewards.n > 0 && !cfg->rewards.v[0].plugin[0] ? cfg->rewards.v[0].fn : "";
    int want_maj = K > 1 && (strcmp(first, "math") == 0 || strcmp(first, "gsm8k") == 0);
    equiv_ctx eq;
    memset(&eq, 0, sizeof eq);
    reward_math_opts_default(&eq.opts);
    if (want_maj) rc = reward_math_checker_init(&eq.checker, err);
    rl_step_data d;
    memset(&d, 0, sizeof d);
    d.example = calloc((size_t)P, sizeof *d.example);
    if (!rc && !d.example) rc = rlpt_errf(err, RLPT_ENOMEM, "eval: out of memory");
    rc = rl_mpi_agree(rc, err);
    for (int i = 0; !rc && d.example && i < P; i++) d.example[i] = i;
    double t_roll = 0, t_rew = 0;
    if (!rc)
        rc = rl_rollout_and_score(t, t->eval_engine, &t->eval, P, K, &d, 0, &t_roll, &t_rew, err);
    /* sums over problems: correct samples, samples, problems, maj@K solved, pass@k[n_ks] */
    double sums[4 + MAX_KS];
    memset(sums, 0, sizeof sums);
    for (int o = 0; !rc && o < d.own; o++) {
        int c = 0;
        for (int j = 0; j < K; j++) c += rl_sample_correct(&d, o * K + j);
        sums[0] += c;
        sums[1] += K;
        sums[2] += 1;
        for (int i = 0; i < n_ks; i++) sums[4 + i] += rl_pass_at_k(K, c, ks[i]);
        if (want_maj) {
            int m = majority_correct(&d, o, &eq);
            if (m < -1) rc = rlpt_errf(err, RLPT_ENOMEM, "eval: out of memory");
            sums[3] += m > 0;
        }
    }
    rc = rl_mpi_agree(rc, err);
    if (!rc) rc = rl_allreduce_sum_d(sums, 4 + n_ks, err);
    if (!rc) {
        double np = sums[2] > 0 ? sums[2] : 1;
        *accuracy = sums[1] > 0 ? sums[0] / sums[1] : 0.0;
        cJSON *j = cJSON_CreateObject();
        cJSON_AddNumberToObject(j, "step", (double)t->step);
        cJSON_AddStringToObject(j, "stage", stage);
        cJSON_AddStringToObject(j, "dataset",
                                cfg->data.format == RL_DATA_SYNTHETIC ? "synthetic-heldout"
                                                                      : cfg->data.eval);
        cJSON_AddNumberToObject(j, "n", sums[2]);
        cJSON_AddNumberToObject(j, "samples", K);
        cJSON_AddNumberToObject(j, "accuracy", *accuracy);
        char key[32], extra[64] = "";
        for (int i = 0; i < n_ks; i++) {
            snprintf(key, sizeof key, "pass@%d", ks[i]);
            cJSON_AddNumberToObject(j, key, sums[4 + i] / np);
        }
        if (want_maj) {
            snprintf(key, sizeof key, "maj@%d", K);
            cJSON_AddNumberToObject(j, key, sums[3] / np);
            snprintf(extra, sizeof extra, ", maj@%d %.1f%%, pass@%d %.1f%%", K,
                     100.0 * sums[3] / np, K, 100.0 * sums[4 + n_ks - 1] / np);
        } else if (n_ks > 0) {
            snprintf(extra, sizeof extra, ", pass@%d %.1f%%", K, 100.0 * sums[4 + n_ks - 1] / np);
        }
        char *line = cJSON_PrintUnformatted(j);
        cJSON_Delete(j);
        rc = line ? rl_run_log(&t->run, RL_LOG_EVAL, line, err)
                  : rlpt_errf(err, RLPT_ENOMEM, "eval: out of memory");
        free(line);
        rc = rl_mpi_agree(rc, err);
        if (!rc && rl_mpi_should_print())
            fprintf(stderr,
                    "eval (%s, step %ld): held-out accuracy %.1f%% on %.0f problems%s (%.1f s)\n",
                    stage, t->step, 100.0 * *accuracy, sums[2], extra, t_roll + t_rew);
    }
    reward_math_checker_free(eq.checker);
    rl_step_data_free(&d);
    return rc;
}
