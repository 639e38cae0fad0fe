/* rewards/length.c: the `length` reward, DAPO's soft overlong punishment (Yu et al. 2025,
 * eq. 13; verl recipe/dapo: min(-(L - (max_len - cache)) / cache * penalty_factor, 0)):
 *   0 for L <= max_len - cache, ((max_len - cache) - L) / cache up to max_len, -1 beyond,
 * times penalty_factor. L is the completion's length in tokens (reward_sample.completion_tokens).
 * Arguments: max_len (20480), cache (4096), penalty_factor (1). */
#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdlib.h>

#include "internal.h"
#include "rewards.h"

double reward_overlong(int len, int max_len, int cache) {
    int start = max_len - cache;
    if (len <= start) return 0.0;
    if (len <= max_len) return (double)(start - len) / (double)cache;
    return -1.0;
}

typedef struct length_args {
    int max_len, cache;
    double penalty_factor;
} length_args;

#define OFF(f) offsetof(length_args, f)
static const reward_arg length_spec[] = {
    {"max_len", 'i', OFF(max_len), 1, 1e9, "the longest completion in tokens (20480)"},
    {"cache", 'i', OFF(cache), 1, 1e9, "the punishment buffer in tokens (4096)"},
    {"penalty_factor", 'n', OFF(penalty_factor), 0, 1e6, "scale of the punishment (1)"},
};
#undef OFF

static int length_init(const reward_fn *self, const char *args_json, void **state, rlpt_err *err) {
    (void)self;
    *state = NULL;
    length_args *a = malloc(sizeof *a);
    if (!a) return rlpt_errf(err, RLPT_ENOMEM, "reward 'length': out of memory");
    *a = (length_args){20480, 4096, 1.0};
    int rc = reward_args_load("length", args_json, length_spec,
                              (int)(sizeof length_spec / sizeof length_spec[0]), a, err);
    if (rc == 0 && a->cache > a->max_len)
        rc =
            rlpt_errf(err, RLPT_ECONFIG, "reward 'length': cache (%d) must not exceed max_len (%d)",
                      a->cache, a->max_len);
    if (rc != 0) {
        free(a);
        return rc;
    }
    *state = a;
    return 0;
}

static int length_score(void *state, const reward_sample *samples, int n, double *rewards,
                        char **details, rlpt_err *err) {
    const length_args *a = state;
    for (int i = 0; i < n; i++)
        if (samples[i].completion_tokens < 0)
            return rlpt_errf(err, RLPT_EINVAL,
                             "reward 'length': sample %d has no token count (completion_tokens)",
                             i);
    for (int i = 0; i < n; i++) {
        int len = samples[i].completion_tokens;
        double r = reward_overlong(len, a->max_len, a->cache) * a->penalty_factor;
        rewards[i] = r == 0.0 ? 0.0 : r; /* no -0 */
        if (details) {
            cJSON *d = cJSON_CreateObject();
            cJSON_AddNumberToObject(d, "tokens", len);
            cJSON_AddNumberToObject(d, "free_up_to", a->max_len - a->cache);
            cJSON_AddNumberToObject(d, "max_len", a->max_len);
            details[i] = cJSON_PrintUnformatted(d);
            cJSON_Delete(d);
        }
    }
    return 0;
}

static void length_free(void *state) {
    free(state);
}

const reward_fn reward_fn_length = {
    "length",    "DAPO soft overlong punishment on completion_tokens",
    length_init, length_score,
    length_free, NULL};
