/* rewards/math_reward.c: the `math` and `gsm8k` reward functions: the completion's answer
 * against the sample's "answer" field (for GSM8K the reference solution ending in "#### N", or
 * N). Reward `correct` (default 1) when equivalent, else `incorrect` (default 0; DAPO uses -1).
 * Arguments: correct, incorrect, rel_tol, decimal_places, ordered_lists, strict_symbols,
 * set_relation, last_number (the completion's last-number fallback), answer_tag.
 * Details: the extracted answers, how each was found, and why they match or not. */
#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "internal.h"
#include "rewards.h"

typedef struct math_args {
    double correct, incorrect, rel_tol;
    int decimal_places, ordered_lists, strict_symbols, set_relation, last_number;
    char answer_tag[REWARD_ARG_STR];
} math_args;

typedef struct math_state {
    const char *name;
    math_args a;
    reward_math_opts opts;
    reward_math_checker *chk;
} math_state;

#define OFF(f) offsetof(math_args, f)
static const reward_arg math_spec[] = {
    {"correct", 'n', OFF(correct), -1e6, 1e6, "reward of an equivalent answer (1)"},
    {"incorrect", 'n', OFF(incorrect), -1e6, 1e6, "reward otherwise (0)"},
    {"rel_tol", 'n', OFF(rel_tol), 0, 1, "relative tolerance for irrational values (1e-9)"},
    {"decimal_places", 'i', OFF(decimal_places), -1, 15, "round to N places with decimals (-1)"},
    {"ordered_lists", 'b', OFF(ordered_lists), 0, 1, "bare lists in order (false)"},
    {"strict_symbols", 'b', OFF(strict_symbols), 0, 1, "x differs from y (true)"},
    {"set_relation", 'b', OFF(set_relation), 0, 1, "interval accepts inequality (false)"},
    {"last_number", 'b', OFF(last_number), 0, 1, "fall back to the last number (true)"},
    {"answer_tag", 's', OFF(answer_tag), 0, 0, "answer tag name (answer)"},
};
#undef OFF

static int init_common(const char *name, const char *args_json, void **state, rlpt_err *err) {
    *state = NULL;
    math_state *s = calloc(1, sizeof *s);
    if (!s) return rlpt_errf(err, RLPT_ENOMEM, "reward '%s': out of memory", name);
    s->name = name;
    s->a = (math_args){1.0, 0.0, 1e-9, -1, 0, 1, 0, 1, "answer"};
    int rc = reward_args_load(name, args_json, math_spec,
                              (int)(sizeof math_spec / sizeof math_spec[0]), &s->a, err);
    if (rc == 0) rc = reward_math_checker_init(&s->chk, err);
    if (rc != 0) {
        free(s);
        return rc;
    }
    reward_math_opts_default(&s->opts);
    s->opts.rel_tol = s->a.rel_tol;
    s->opts.decimal_places = s->a.decimal_places;
    s->opts.ordered_lists = s->a.ordered_lists;
    s->opts.strict_symbols = s->a.strict_symbols;
    s->opts.set_relation = s->a.set_relation;
    s->opts.pred_extract.last_number = s->a.last_number;
    memcpy(s->opts.pred_extract.tag, s->a.answer_tag, sizeof s->opts.pred_extract.tag);
    s->opts.gold_extract.answer_tag = 0;
    *state = s;
    return 0;
}

static int math_init(const reward_fn *self, const char *args_json, void **state, rlpt_err *err) {
    (void)self;
    return init_common("math", args_json, state, err);
}

static int gsm8k_init(const reward_fn *self, const char *args_json, void **state, rlpt_err *err) {
    (void)self;
    return init_common("gsm8k", args_json, state, err);
}

/* out (room for 3 * strlen(s) + 1): s with every invalid UTF-8 byte replaced by U+FFFD, so the
 * details stay valid JSON text (answers are cut at 255 bytes, maybe mid-character) */
static void utf8_clean(char *out, const char *s) {
    size_t n = strlen(s), o = 0;
    for (size_t i = 0; i < n;) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t k =
            utf8proc_iterate((const utf8proc_uint8_t *)s + i, (utf8proc_ssize_t)(n - i), &cp);
        if (k <= 0) {
            memcpy(out + o, "\xEF\xBF\xBD", 3);
            o += 3;
            i++;
        } else {
            memcpy(out + o, s + i, (size_t)k);
            o += (size_t)k;
            i += (size_t)k;
        }
    }
    out[o] = 0;
}

static char *details_json(const reward_math_result *r, const char *reference) {
    cJSON *d = cJSON_CreateObject();
    char clean[3 * 256 + 1], ref[3 * 256 + 1];
    char refcut[256];
    size_t rl = strlen(reference) < 255 ? strlen(reference) : 255;
    memcpy(refcut, reference, rl);
    refcut[rl] = 0;
    cJSON_AddBoolToObject(d, "correct", r->equal);
    utf8_clean(clean, r->pred);
    cJSON_AddStringToObject(d, "extracted", clean);
    cJSON_AddStringToObject(d, "method", reward_extract_name(r->pred_how));
    utf8_clean(ref, r->gold[0] ? r->gold : refcut);
    cJSON_AddStringToObject(d, "reference", ref);
    cJSON_AddStringToObject(d, "reference_method", reward_extract_name(r->gold_how));
    cJSON_AddStringToObject(d, "why", r->why ? r->why : "");
    char *s = cJSON_PrintUnformatted(d);
    cJSON_Delete(d);
    return s;
}

static int math_score(void *state, const reward_sample *samples, int n, double *rewards,
                      char **details, rlpt_err *err) {
    math_state *s = state;
    for (int i = 0; i < n; i++) {
        char *ref = reward_field_string(samples[i].fields_json, "answer");
        if (!ref) {
            if (details)
                for (int j = 0; j < i; j++) free(details[j]), details[j] = NULL;
            return rlpt_errf(err, RLPT_EINVAL,
                             "reward '%s': sample %d has no \"answer\" field (a string or number "
                             "with the reference answer)",
                             s->name, i);
        }
        reward_math_result r;
        reward_math_verify(s->chk, ref, strlen(ref), samples[i].completion,
                           samples[i].completion_len, &s->opts, &r);
        rewards[i] = r.equal ? s->a.correct : s->a.incorrect;
        if (details) details[i] = details_json(&r, ref);
        free(ref);
    }
    return 0;
}

static void math_free(void *state) {
    math_state *s = state;
    if (!s) return;
    reward_math_checker_free(s->chk);
    free(s);
}

const reward_fn reward_fn_math = {
    "math",
    "answer (last \\boxed{}, <answer>, 'the answer is', ...) equivalent to field \"answer\"",
    math_init,
    math_score,
    math_free,
    NULL};

const reward_fn reward_fn_gsm8k = {
    "gsm8k",    "answer equal to the number after '####' in field \"answer\" (or the field itself)",
    gsm8k_init, math_score,
    math_free,  NULL};
