/* rewards/repetition.c: the `repetition` reward, an n-gram repetition penalty as in open-r1's
 * get_repetition_penalty_reward (after Yeo et al. 2025, "Demystifying Long Chain-of-Thought
 * Reasoning"): words = lower-cased whitespace-separated words; share = 1 - distinct n-grams /
 * all n-grams (0 when there are fewer than n words); reward = -penalty * share.
 * n-grams are compared by a 64-bit hash of their words (FNV-1a): two different n-grams collide
 * with probability about 2^-64 per pair, which could only lower the penalty.
 * Arguments: n (3), penalty (1, the largest magnitude). */
#include <cjson/cJSON.h>
#include <ctype.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "rewards.h"

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

double reward_repeated_ngram_share(const char *text, size_t len, int n) {
    if (n < 1) return 0.0;
    /* word hashes */
    size_t cap = len / 2 + 1, nw = 0;
    uint64_t *w = malloc(sizeof *w * cap);
    if (!w) return 0.0;
    for (size_t i = 0; i < len;) {
        while (i < len && isspace((unsigned char)text[i])) i++;
        if (i >= len) break;
        uint64_t h = 1469598103934665603ull;
        while (i < len && !isspace((unsigned char)text[i])) {
            h = (h ^ (unsigned char)tolower((unsigned char)text[i])) * 1099511628211ull;
            i++;
        }
        w[nw++] = h;
    }
    if (nw < (size_t)n) {
        free(w);
        return 0.0;
    }
    size_t ng = nw - (size_t)n + 1;
    uint64_t *g = malloc(sizeof *g * ng);
    if (!g) {
        free(w);
        return 0.0;
    }
    for (size_t i = 0; i < ng; i++) {
        uint64_t h = 1469598103934665603ull;
        for (int k = 0; k < n; k++) h = (h ^ w[i + (size_t)k]) * 1099511628211ull;
        g[i] = h;
    }
    qsort(g, ng, sizeof *g, cmp_u64);
    size_t distinct = 1;
    for (size_t i = 1; i < ng; i++) distinct += g[i] != g[i - 1];
    free(w);
    free(g);
    return 1.0 - (double)distinct / (double)ng;
}

typedef struct rep_args {
    int n;
    double penalty;
} rep_args;

static const reward_arg rep_spec[] = {
    {"n", 'i', offsetof(rep_args, n), 1, 64, "n-gram size in words (3)"},
    {"penalty", 'n', offsetof(rep_args, penalty), 0, 1e6, "largest penalty (1)"},
};

static int rep_init(const reward_fn *self, const char *args_json, void **state, rlpt_err *err) {
    (void)self;
    *state = NULL;
    rep_args *a = malloc(sizeof *a);
    if (!a) return rlpt_errf(err, RLPT_ENOMEM, "reward 'repetition': out of memory");
    *a = (rep_args){3, 1.0};
    int rc = reward_args_load("repetition", args_json, rep_spec, 2, a, err);
    if (rc != 0) {
        free(a);
        return rc;
    }
    *state = a;
    return 0;
}

static int rep_score(void *state, const reward_sample *samples, int n, double *rewards,
                     char **details, rlpt_err *err) {
    (void)err;
    const rep_args *a = state;
    for (int i = 0; i < n; i++) {
        double share =
            reward_repeated_ngram_share(samples[i].completion, samples[i].completion_len, a->n);
        rewards[i] = share > 0 ? -a->penalty * share : 0.0;
        if (details) {
            cJSON *d = cJSON_CreateObject();
            cJSON_AddNumberToObject(d, "repeated_share", share);
            cJSON_AddNumberToObject(d, "n", a->n);
            details[i] = cJSON_PrintUnformatted(d);
            cJSON_Delete(d);
        }
    }
    return 0;
}

static void rep_free(void *state) {
    free(state);
}

const reward_fn reward_fn_repetition = {
    "repetition", "-penalty x share of repeated word n-grams", rep_init, rep_score, rep_free, NULL};
