/* rewards/registry.c: the table of reward functions by name (the built-ins; plugins and the
 * code reward join through reward_registry_add, issue #7) and the weighted combination the
 * trainer calls: total = sum_i weight_i * r_i, every r_i kept for the metrics.
 * Reference: TRL GRPOTrainer (reward_funcs + reward_weights, per-function rewards logged). */
#include <stdlib.h>
#include <string.h>

#include "code.h"
#include "rewards.h"

#define REGISTRY_MAX 64

struct reward_registry {
    int n;
    const reward_fn *fns[REGISTRY_MAX];
};

int reward_registry_init(reward_registry **out, rlpt_err *err) {
    *out = NULL;
    reward_registry *r = calloc(1, sizeof *r);
    if (!r) return rlpt_errf(err, RLPT_ENOMEM, "reward registry: out of memory");
    const reward_fn *builtin[] = {&reward_fn_math,   &reward_fn_gsm8k,      &reward_fn_format,
                                  &reward_fn_length, &reward_fn_repetition, &reward_fn_language,
                                  &reward_fn_code};
    for (size_t i = 0; i < sizeof builtin / sizeof builtin[0]; i++) r->fns[r->n++] = builtin[i];
    *out = r;
    return 0;
}

int reward_registry_add(reward_registry *reg, const reward_fn *fn, rlpt_err *err) {
    if (!fn || !fn->name || !fn->init || !fn->score_batch || !fn->free)
        return rlpt_errf(err, RLPT_EINVAL,
                         "reward registry: a function needs a name, init, "
                         "score_batch and free");
    if (reward_registry_find(reg, fn->name))
        return rlpt_errf(err, RLPT_EINVAL, "reward registry: '%s' is already registered", fn->name);
    if (reg->n >= REGISTRY_MAX)
        return rlpt_errf(err, RLPT_EINVAL, "reward registry: more than %d functions", REGISTRY_MAX);
    reg->fns[reg->n++] = fn;
    return 0;
}

const reward_fn *reward_registry_find(const reward_registry *reg, const char *name) {
    for (int i = 0; i < reg->n; i++)
        if (strcmp(reg->fns[i]->name, name) == 0) return reg->fns[i];
    return NULL;
}

int reward_registry_count(const reward_registry *reg) {
    return reg->n;
}

const reward_fn *reward_registry_at(const reward_registry *reg, int i) {
    return i >= 0 && i < reg->n ? reg->fns[i] : NULL;
}

void reward_registry_free(reward_registry *reg) {
    free(reg);
}

/* ---- combination ---------------------------------------------------------------------------- */

struct reward_combo {
    int n;
    const reward_fn **fn;
    void **state;
    double *weight;
    double *scratch; /* one function's values for a batch */
    int scratch_n;
};

void reward_combo_free(reward_combo *c) {
    if (!c) return;
    for (int i = 0; i < c->n; i++)
        if (c->fn[i]) c->fn[i]->free(c->state[i]);
    free(c->fn);
    free(c->state);
    free(c->weight);
    free(c->scratch);
    free(c);
}

int reward_combo_init(reward_combo **out, const reward_registry *reg,
                      const reward_combo_item *items, int n_items, rlpt_err *err) {
    *out = NULL;
    if (n_items < 1) return rlpt_errf(err, RLPT_ECONFIG, "rewards: the list is empty");
    reward_combo *c = calloc(1, sizeof *c);
    if (!c) return rlpt_errf(err, RLPT_ENOMEM, "rewards: out of memory");
    c->fn = calloc((size_t)n_items, sizeof *c->fn);
    c->state = calloc((size_t)n_items, sizeof *c->state);
    c->weight = calloc((size_t)n_items, sizeof *c->weight);
    if (!c->fn || !c->state || !c->weight) {
        reward_combo_free(c);
        return rlpt_errf(err, RLPT_ENOMEM, "rewards: out of memory");
    }
    for (int i = 0; i < n_items; i++) {
        const reward_fn *fn = reward_registry_find(reg, items[i].fn);
        if (!fn) {
            reward_combo_free(c);
            return rlpt_errf(err, RLPT_ECONFIG, "rewards[%d]: unknown reward function '%s'", i,
                             items[i].fn);
        }
        int rc = fn->init(fn, items[i].args_json, &c->state[i], err);
        if (rc != 0) {
            rlpt_err_prefix(err, "rewards[%d] (%s)", i, fn->name);
            reward_combo_free(c);
            return rc;
        }
        c->fn[i] = fn;
        c->weight[i] = items[i].weight;
        c->n = i + 1;
    }
    *out = c;
    return 0;
}

int reward_combo_size(const reward_combo *c) {
    return c->n;
}

const char *reward_combo_name(const reward_combo *c, int i) {
    return c->fn[i]->name;
}

double reward_combo_weight(const reward_combo *c, int i) {
    return c->weight[i];
}

int reward_combo_score(reward_combo *c, const reward_sample *samples, int n, double *total,
                       double *per_fn, rlpt_err *err) {
    if (n > c->scratch_n) {
        double *s = realloc(c->scratch, sizeof *s * (size_t)n);
        if (!s) return rlpt_errf(err, RLPT_ENOMEM, "rewards: out of memory for %d samples", n);
        c->scratch = s;
        c->scratch_n = n;
    }
    for (int j = 0; j < n; j++) total[j] = 0.0;
    for (int i = 0; i < c->n; i++) {
        int rc = c->fn[i]->score_batch(c->state[i], samples, n, c->scratch, NULL, err);
        if (rc != 0) return rc;
        for (int j = 0; j < n; j++) {
            total[j] += c->weight[i] * c->scratch[j];
            if (per_fn) per_fn[(size_t)i * (size_t)n + (size_t)j] = c->scratch[j];
        }
    }
    return 0;
}
