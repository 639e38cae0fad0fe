/* rl/cmd_score.c: `rlpt score --model DIR`, a filter: {"ids": [...]} lines in, one
 * {"logprobs": [...]} line out per input line, in order, where logprobs[i] is
 * log p(ids[i+1] | ids[0..i]) (so n ids give n-1 values). Takes ids, not text, so the model
 * directory needs no tokenizer. Each line is one forward pass with B = 1; its memory plan is
 * checked against the memory available before allocating. */
#define _POSIX_C_SOURCE 200809L
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "policy.h"

static const char usage[] =
    "usage: rlpt score --model DIR\n"
    "\n"
    "A filter: reads {\"ids\": [...]} lines on stdin and writes {\"logprobs\": [...]} with\n"
    "log p(ids[i+1] | ids[0..i]). Takes ids, so the model directory needs no tokenizer.\n"
    "Ids must be in 0..vocab_size-1 and a line at most max_position_embeddings long.\n";

/* The ids of one input line; *ids malloc'd. */
static int parse_line(const char *line, long lineno, const policy_config *cfg, int **ids, int *n,
                      rlpt_err *err) {
    *ids = NULL;
    cJSON *root = cJSON_Parse(line);
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(root, "ids");
    int rc = 0;
    if (!cJSON_IsArray(arr)) {
        rc = rlpt_errf(err, RLPT_EINVAL, "stdin:%ld: expected {\"ids\": [...]}", lineno);
        goto done;
    }
    *n = cJSON_GetArraySize(arr);
    if (*n > cfg->max_pos) {
        rc = rlpt_errf(err, RLPT_EINVAL,
                       "stdin:%ld: %d ids, more than the model's "
                       "max_position_embeddings %d",
                       lineno, *n, cfg->max_pos);
        goto done;
    }
    *ids = malloc(((size_t)*n + 1) * sizeof **ids);
    if (!*ids) {
        rc = rlpt_errf(err, RLPT_ENOMEM, "stdin:%ld: out of memory", lineno);
        goto done;
    }
    int i = 0;
    for (const cJSON *j = arr->child; j; j = j->next, i++) {
        double v = cJSON_IsNumber(j) ? j->valuedouble : -1.0;
        if (v != floor(v) || v < 0 || v >= cfg->V) {
            rc = rlpt_errf(err, RLPT_EINVAL, "stdin:%ld: ids[%d] is not a token id in 0..%d",
                           lineno, i, cfg->V - 1);
            goto done;
        }
        (*ids)[i] = (int)v;
    }
done:
    cJSON_Delete(root);
    if (rc) {
        free(*ids);
        *ids = NULL;
    }
    return rc;
}

/* logprobs of one sequence of n >= 2 ids into lp (n values; the last is unused). */
static int score(const policy_model *m, const int *ids, int n, float *lp, long lineno,
                 rlpt_err *err) {
    policy_memplan mp;
    policy_memplan_compute(&mp, &m->cfg, 1, n, 0);
    mp.total -= mp.params; /* the weights are loaded already */
    int rc = policy_memplan_check(&mp, policy_mem_available(), 1, n, 0, err);
    if (rc) return rc;
    policy_acts a;
    if ((rc = policy_acts_init(&a, &m->cfg, 1, n, 0, err))) return rc;
    int *targets = malloc((size_t)n * sizeof *targets);
    if (!targets) {
        policy_acts_free(&a);
        return rlpt_errf(err, RLPT_ENOMEM, "stdin:%ld: out of memory", lineno);
    }
    for (int i = 0; i < n; i++) targets[i] = i + 1 < n ? ids[i + 1] : -1;
    rc = policy_forward(m, &a, ids, targets, lp, NULL, err);
    if (rc) rlpt_err_prefix(err, "stdin:%ld", lineno);
    for (int i = 0; i + 1 < n && !rc; i++)
        if (!isfinite(lp[i]))
            rc = rlpt_errf(err, RLPT_EINVAL,
                           "stdin:%ld: the model gives a non-finite "
                           "log-probability at position %d (are its weights finite?)",
                           lineno, i);
    free(targets);
    policy_acts_free(&a);
    return rc;
}

static int run(int argc, char **argv, rlpt_err *err) {
    const char *dir = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--model") == 0 && i + 1 < argc)
            dir = argv[++i];
        else
            return rlpt_errf(err, RLPT_EUSAGE,
                             "score: unexpected argument '%s' (see rlpt score "
                             "--help)",
                             argv[i]);
    }
    if (!dir) return rlpt_errf(err, RLPT_EUSAGE, "score: --model DIR is required");
    policy_model m;
    int rc = policy_model_load(&m, dir, err);
    if (rc) return rc;
    char *line = NULL;
    size_t cap = 0;
    long lineno = 0;
    while (!rc && getline(&line, &cap, stdin) >= 0) {
        lineno++;
        if (strspn(line, " \t\r\n") == strlen(line)) continue; /* blank line */
        int *ids, n = 0;
        if ((rc = parse_line(line, lineno, &m.cfg, &ids, &n, err))) break;
        float *lp = malloc(((size_t)n + 1) * sizeof *lp);
        if (!lp) rc = rlpt_errf(err, RLPT_ENOMEM, "stdin:%ld: out of memory", lineno);
        if (!rc && n >= 2) rc = score(&m, ids, n, lp, lineno, err);
        if (!rc) {
            fputs("{\"logprobs\": [", stdout);
            for (int i = 0; i + 1 < n; i++) printf(i ? ", %.9g" : "%.9g", (double)lp[i]);
            fputs("]}\n", stdout);
            fflush(stdout);
        }
        free(ids);
        free(lp);
    }
    free(line);
    policy_model_free(&m);
    return rc;
}

const rl_cmd rl_cmd_score = {"score", "log-probabilities of token ids under a model", usage, run};
