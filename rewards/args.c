/* rewards/args.c: reads a reward function's arguments (a JSON object, the function's entry of
 * the YAML rewards list) into its options struct, refusing unknown keys and bad values with
 * messages that name the function and the key; and reads a dataset field of a sample.
 * Left out: nested arguments (every built-in takes scalars only). */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

int reward_args_load(const char *fn, const char *args_json, const reward_arg *spec, int n_spec,
                     void *out, rlpt_err *err) {
    if (!args_json || !args_json[0]) return 0;
    cJSON *root = cJSON_Parse(args_json);
    if (!root || !cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return rlpt_errf(err, RLPT_ECONFIG,
                         "reward '%s': arguments must be a JSON object, got '%.80s'", fn,
                         args_json);
    }
    int rc = 0;
    const cJSON *kv;
    cJSON_ArrayForEach(kv, root) {
        const reward_arg *a = NULL;
        for (int i = 0; i < n_spec; i++)
            if (strcmp(spec[i].key, kv->string) == 0) a = &spec[i];
        if (!a) {
            char known[512];
            size_t o = 0;
            known[0] = 0;
            for (int i = 0; i < n_spec && o < sizeof known - 40; i++)
                o += (size_t)snprintf(known + o, sizeof known - o, "%s%s", i ? ", " : "",
                                      spec[i].key);
            rc =
                rlpt_err_append(err, RLPT_ECONFIG, "reward '%s': unknown argument '%s' (known: %s)",
                                fn, kv->string, known);
            continue;
        }
        char *dst = (char *)out + a->offset;
        if (a->type == 'b') {
            if (!cJSON_IsBool(kv)) {
                rc = rlpt_err_append(err, RLPT_ECONFIG, "reward '%s': '%s' must be true or false",
                                     fn, a->key);
                continue;
            }
            *(int *)dst = cJSON_IsTrue(kv);
        } else if (a->type == 's') {
            if (!cJSON_IsString(kv) || strlen(kv->valuestring) >= REWARD_ARG_STR) {
                rc = rlpt_err_append(err, RLPT_ECONFIG,
                                     "reward '%s': '%s' must be a string of at most %d bytes", fn,
                                     a->key, REWARD_ARG_STR - 1);
                continue;
            }
            memcpy(dst, kv->valuestring, strlen(kv->valuestring) + 1);
        } else {
            double v = cJSON_IsNumber(kv) ? kv->valuedouble : NAN;
            int integral = a->type != 'i' || (isfinite(v) && v == floor(v));
            if (!cJSON_IsNumber(kv) || !isfinite(v) || !integral || v < a->min || v > a->max) {
                rc = rlpt_err_append(err, RLPT_ECONFIG, "reward '%s': '%s' must be %s in [%g, %g]",
                                     fn, a->key, a->type == 'i' ? "an integer" : "a number", a->min,
                                     a->max);
                continue;
            }
            if (a->type == 'i')
                *(int *)dst = (int)v;
            else
                *(double *)dst = v;
        }
    }
    cJSON_Delete(root);
    return rc;
}

char *reward_field_string(const char *fields_json, const char *key) {
    if (!fields_json) return NULL;
    cJSON *root = cJSON_Parse(fields_json);
    const cJSON *v = root ? cJSON_GetObjectItem(root, key) : NULL;
    char *out = NULL;
    if (cJSON_IsString(v)) {
        size_t n = strlen(v->valuestring);
        out = malloc(n + 1);
        if (out) memcpy(out, v->valuestring, n + 1);
    } else if (cJSON_IsNumber(v)) {
        out = malloc(64);
        if (out) {
            if (v->valuedouble == floor(v->valuedouble) && fabs(v->valuedouble) < 1e15)
                snprintf(out, 64, "%.0f", v->valuedouble);
            else
                snprintf(out, 64, "%.17g", v->valuedouble);
        }
    }
    cJSON_Delete(root);
    return out;
}
