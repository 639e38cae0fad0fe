/* rewards/code_fn.c: the code reward as a reward_fn (rewards.h), so the registry, the YAML
 * combination and `rlpt reward --fn code` reach it like any other function.
 *
 * args (a JSON object, from the reward's YAML `args`; every key optional, unknown keys refused):
 *   sandbox   "namespaces" | "none"          workers   1..256          uid_base  1000..2e9
 *   extract   "last_block" | "last_block_or_all" | "all"
 *   scoring   "fraction" | "all"             compare   "tokens" | "lines" | "exact"
 *   limits    per test:  {cpu_s, wall_s, mem_mb, nproc, fsize_mb, nofile, box_mb, stdout_kb,
 *                         stderr_kb}  (bounds: sandbox_limits_check)
 *   compile   compiling one C program: the same keys
 *   (the flat form "limits.cpu_s": 2, as `--set limits.cpu_s=2` gives, is accepted too)
 * The samples' fields_json carry the test shape (code_task_from_json). details[i] is the
 * DESIGN.md output object; with sandbox "none" every one of them carries a "warning".
 * Left out: registering it (reward_registry_init lists the built-ins; rewards.h is not ours). */
#include "code.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct code_fn_state {
    code_pool *pool;
    sandbox_mode mode;
} code_fn_state;

static int number_field(const cJSON *v, const char *where, const char *key, double lo, double hi,
                        double *out, rlpt_err *err) {
    if (!cJSON_IsNumber(v) || !(v->valuedouble >= lo && v->valuedouble <= hi))
        return rlpt_errf(err, RLPT_ECONFIG, "code reward: %s%s must be a number in [%g, %g]", where,
                         key, lo, hi);
    *out = v->valuedouble;
    return 0;
}

/* {cpu_s, wall_s, mem_mb, nproc, fsize_mb, nofile, box_mb, stdout_kb, stderr_kb} */
static int parse_limits(const cJSON *o, const char *where, sandbox_limits *l, rlpt_err *err) {
    if (!cJSON_IsObject(o))
        return rlpt_errf(err, RLPT_ECONFIG, "code reward: %s must be an object", where);
    const double MiB = 1024.0 * 1024.0, KiB = 1024.0;
    const cJSON *v;
    cJSON_ArrayForEach(v, o) {
        const char *k = v->string;
        double x = 0;
        char pre[32];
        snprintf(pre, sizeof pre, "%s.", where);
        int rc = 0;
        if (strcmp(k, "cpu_s") == 0) {
            if (!(rc = number_field(v, pre, k, 0.05, 600, &x, err))) l->cpu_s = x;
        } else if (strcmp(k, "wall_s") == 0) {
            if (!(rc = number_field(v, pre, k, 0.05, 3600, &x, err))) l->wall_s = x;
        } else if (strcmp(k, "mem_mb") == 0) {
            if (!(rc = number_field(v, pre, k, 32, 65536, &x, err)))
                l->mem_bytes = (size_t)(x * MiB);
        } else if (strcmp(k, "nproc") == 0) {
            if (!(rc = number_field(v, pre, k, 1, 4096, &x, err))) l->nproc = (int)x;
        } else if (strcmp(k, "fsize_mb") == 0) {
            if (!(rc = number_field(v, pre, k, 0, 4096, &x, err)))
                l->fsize_bytes = (size_t)(x * MiB);
        } else if (strcmp(k, "nofile") == 0) {
            if (!(rc = number_field(v, pre, k, 8, 4096, &x, err))) l->nofile = (int)x;
        } else if (strcmp(k, "box_mb") == 0) {
            if (!(rc = number_field(v, pre, k, 1, 4096, &x, err))) l->box_bytes = (size_t)(x * MiB);
        } else if (strcmp(k, "stdout_kb") == 0) {
            if (!(rc = number_field(v, pre, k, 1, 262144, &x, err)))
                l->stdout_max = (size_t)(x * KiB);
        } else if (strcmp(k, "stderr_kb") == 0) {
            if (!(rc = number_field(v, pre, k, 1, 262144, &x, err)))
                l->stderr_max = (size_t)(x * KiB);
        } else {
            return rlpt_errf(err, RLPT_ECONFIG,
                             "code reward: unknown key %s%s (known: cpu_s, wall_s, mem_mb, nproc, "
                             "fsize_mb, nofile, box_mb, stdout_kb, stderr_kb)",
                             pre, k);
        }
        if (rc) return rc;
    }
    return 0;
}

static int string_field(const cJSON *v, const char *key, const char **out, rlpt_err *err) {
    if (!cJSON_IsString(v))
        return rlpt_errf(err, RLPT_ECONFIG, "code reward: %s must be a string", key);
    *out = v->valuestring;
    return 0;
}

/* args_json into cfg (which holds the defaults on entry). */
static int parse_args(const char *args_json, code_config *cfg, rlpt_err *err) {
    if (!args_json || !*args_json) return 0;
    cJSON *o = cJSON_Parse(args_json);
    if (!cJSON_IsObject(o)) {
        cJSON_Delete(o);
        return rlpt_errf(err, RLPT_ECONFIG, "code reward: args must be a JSON object, got '%.80s'",
                         args_json);
    }
    int rc = 0;
    const cJSON *v;
    cJSON_ArrayForEach(v, o) {
        const char *k = v->string, *s = NULL;
        double x = 0;
        if (strcmp(k, "sandbox") == 0) {
            if (!(rc = string_field(v, k, &s, err))) rc = sandbox_mode_parse(s, &cfg->mode, err);
        } else if (strcmp(k, "workers") == 0) {
            if (!(rc = number_field(v, "", k, 1, 256, &x, err))) cfg->workers = (int)x;
        } else if (strcmp(k, "uid_base") == 0) {
            if (!(rc = number_field(v, "", k, 1000, 2e9 - 4096, &x, err))) cfg->uid_base = (int)x;
        } else if (strcmp(k, "extract") == 0) {
            if (!(rc = string_field(v, k, &s, err))) rc = code_extract_parse(s, &cfg->extract, err);
        } else if (strcmp(k, "scoring") == 0) {
            if (!(rc = string_field(v, k, &s, err))) rc = code_scoring_parse(s, &cfg->scoring, err);
        } else if (strcmp(k, "compare") == 0) {
            if (!(rc = string_field(v, k, &s, err))) rc = code_compare_parse(s, &cfg->compare, err);
        } else if (strcmp(k, "limits") == 0) {
            rc = parse_limits(v, "limits", &cfg->test, err);
        } else if (strcmp(k, "compile") == 0) {
            rc = parse_limits(v, "compile", &cfg->compile, err);
        } else if (strncmp(k, "limits.", 7) == 0 || strncmp(k, "compile.", 8) == 0) {
            /* the flat form of `--set limits.cpu_s=2` */
            int lim = k[0] == 'l';
            cJSON *one = cJSON_CreateObject();
            cJSON *val = cJSON_Duplicate(v, 1);
            if (!one || !val || !cJSON_AddItemToObject(one, k + (lim ? 7 : 8), val)) {
                cJSON_Delete(val);
                rc = rlpt_errf(err, RLPT_ENOMEM, "code reward: out of memory");
            } else {
                rc = parse_limits(one, lim ? "limits" : "compile", lim ? &cfg->test : &cfg->compile,
                                  err);
            }
            cJSON_Delete(one);
        } else {
            rc = rlpt_errf(err, RLPT_ECONFIG,
                           "code reward: unknown key '%s' (known: sandbox, workers, uid_base, "
                           "extract, scoring, compare, limits, compile)",
                           k);
        }
        if (rc) break;
    }
    cJSON_Delete(o);
    return rc;
}

static int code_fn_init(const reward_fn *self, const char *args_json, void **state, rlpt_err *err) {
    (void)self;
    *state = NULL;
    code_config cfg;
    code_config_default(&cfg);
    int rc = parse_args(args_json, &cfg, err);
    if (rc) return rc;
    code_fn_state *st = calloc(1, sizeof *st);
    if (!st) return rlpt_errf(err, RLPT_ENOMEM, "code reward: out of memory");
    st->mode = cfg.mode;
    rc = code_pool_init(&st->pool, &cfg, err);
    if (rc) {
        free(st);
        return rc;
    }
    *state = st;
    return 0;
}

static void code_fn_free(void *state) {
    code_fn_state *st = state;
    if (!st) return;
    code_pool_free(st->pool);
    free(st);
}

static int code_fn_score(void *state, const reward_sample *samples, int n, double *rewards,
                         char **details, rlpt_err *err) {
    code_fn_state *st = state;
    if (n <= 0) return 0;
    cJSON **in = calloc((size_t)n, sizeof *in);
    code_task *tasks = calloc((size_t)n, sizeof *tasks);
    void **arrays = calloc((size_t)n, sizeof *arrays);
    code_result *res = calloc((size_t)n, sizeof *res);
    int rc = 0;
    if (!in || !tasks || !arrays || !res)
        rc = rlpt_errf(err, RLPT_ENOMEM, "code reward: out of memory");
    for (int i = 0; i < n && rc == 0; i++) {
        in[i] = cJSON_Parse(samples[i].fields_json ? samples[i].fields_json : "{}");
        char *c = malloc(samples[i].completion_len + 1);
        if (c) {
            memcpy(c, samples[i].completion, samples[i].completion_len);
            c[samples[i].completion_len] = '\0';
        }
        if (!cJSON_IsObject(in[i]) || !c) {
            free(c);
            rc = rlpt_errf(err, c ? RLPT_EINVAL : RLPT_ENOMEM,
                           "code reward: sample %d: the fields are not a JSON object", i);
            break;
        }
        cJSON_DeleteItemFromObjectCaseSensitive(in[i], "completion");
        cJSON_AddStringToObject(in[i], "completion", c);
        free(c);
        rc = code_task_from_json(in[i], &tasks[i], &arrays[i], err);
        if (rc) rlpt_err_prefix(err, "sample %d", i);
    }
    if (rc == 0) rc = code_pool_score(st->pool, tasks, n, res, err);
    for (int i = 0; rc == 0 && i < n; i++) {
        rewards[i] = res[i].reward;
        if (!details) continue;
        cJSON *d = code_result_to_json(&res[i]);
        if (d && st->mode == SANDBOX_NONE)
            cJSON_AddStringToObject(d, "warning", sandbox_mode_warning(SANDBOX_NONE));
        details[i] = d ? cJSON_PrintUnformatted(d) : NULL;
        cJSON_Delete(d);
        if (!details[i]) {
            for (int k = 0; k < i; k++) free(details[k]);
            rc = rlpt_errf(err, RLPT_ENOMEM, "code reward: out of memory for the details");
        }
    }
    for (int i = 0; i < n; i++) {
        if (res) code_result_free(&res[i]);
        if (arrays) free(arrays[i]);
        if (in) cJSON_Delete(in[i]);
    }
    free(in);
    free(tasks);
    free(arrays);
    free(res);
    return rc;
}

const reward_fn reward_fn_code = {
    "code",
    "runs the completion's code (last ``` block) in the sandbox against the sample's tests "
    "(HumanEval, MBPP or stdin/stdout); args: sandbox, workers, uid_base, extract, scoring, "
    "compare, limits, compile",
    code_fn_init,
    code_fn_score,
    code_fn_free,
    NULL};
