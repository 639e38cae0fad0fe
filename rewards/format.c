/* rewards/format.c: the `format` reward: does the completion follow the R1-Zero template
 * "<think> reasoning </think> <answer> answer </answer>"?
 *   strict (default): the whole completion is "<think>\n...\n</think>\n<answer>\n...\n</answer>"
 *     (one trailing newline allowed), each tag exactly once — open-r1's format_reward regex
 *     r"^<think>\n.*?\n</think>\n<answer>\n.*?\n</answer>$" (re.DOTALL);
 *   lenient: "<think>...</think>", optional whitespace, "<answer>...</answer>" somewhere in the
 *     text, each tag once — TRL's example r"<think>.*?</think>\s*<answer>.*?</answer>".
 * Arguments: strict, think_tag, answer_tag, think_in_prompt (the prompt already opened <think>,
 * so the completion starts inside it), reward (1), penalty (0). */
#include <cjson/cJSON.h>
#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "rewards.h"

typedef struct format_args {
    int strict, think_in_prompt;
    double reward, penalty;
    char think_tag[REWARD_ARG_STR], answer_tag[REWARD_ARG_STR];
} format_args;

#define OFF(f) offsetof(format_args, f)
static const reward_arg format_spec[] = {
    {"strict", 'b', OFF(strict), 0, 1, "exact R1-Zero layout with newlines (true)"},
    {"think_in_prompt", 'b', OFF(think_in_prompt), 0, 1, "completion starts inside <think>"},
    {"reward", 'n', OFF(reward), -1e6, 1e6, "value when the format is kept (1)"},
    {"penalty", 'n', OFF(penalty), -1e6, 1e6, "value otherwise (0)"},
    {"think_tag", 's', OFF(think_tag), 0, 0, "name of the reasoning tag (think)"},
    {"answer_tag", 's', OFF(answer_tag), 0, 0, "name of the answer tag (answer)"},
};
#undef OFF

static int format_init(const reward_fn *self, const char *args_json, void **state, rlpt_err *err) {
    (void)self;
    *state = NULL;
    format_args *a = calloc(1, sizeof *a);
    if (!a) return rlpt_errf(err, RLPT_ENOMEM, "reward 'format': out of memory");
    a->strict = 1;
    a->reward = 1.0;
    snprintf(a->think_tag, sizeof a->think_tag, "think");
    snprintf(a->answer_tag, sizeof a->answer_tag, "answer");
    int rc = reward_args_load("format", args_json, format_spec,
                              (int)(sizeof format_spec / sizeof format_spec[0]), a, err);
    if (rc == 0 && (!a->think_tag[0] || !a->answer_tag[0] || strpbrk(a->think_tag, "<>/") ||
                    strpbrk(a->answer_tag, "<>/")))
        rc = rlpt_errf(err, RLPT_ECONFIG,
                       "reward 'format': think_tag and answer_tag must be non-empty names "
                       "without <, > or /");
    if (rc != 0) {
        free(a);
        return rc;
    }
    *state = a;
    return 0;
}

/* Number of occurrences of needle in s[0..n), and the position of the first in *first. */
static int count_of(const char *s, size_t n, const char *needle, size_t *first) {
    size_t k = strlen(needle);
    int c = 0;
    for (size_t i = 0; i + k <= n; i++)
        if (s[i] == needle[0] && memcmp(s + i, needle, k) == 0) {
            if (c++ == 0) *first = i;
            i += k - 1;
        }
    return c;
}

/* 1 when text keeps the format; *why says what is missing otherwise. */
static int format_check(const format_args *a, const char *s, size_t n, const char **why) {
    char to[80], tc[80], ao[80], ac[80];
    snprintf(to, sizeof to, "<%s>", a->think_tag);
    snprintf(tc, sizeof tc, "</%s>", a->think_tag);
    snprintf(ao, sizeof ao, "<%s>", a->answer_tag);
    snprintf(ac, sizeof ac, "</%s>", a->answer_tag);
    size_t p_to = 0, p_tc = 0, p_ao = 0, p_ac = 0;
    int n_to = count_of(s, n, to, &p_to), n_tc = count_of(s, n, tc, &p_tc);
    int n_ao = count_of(s, n, ao, &p_ao), n_ac = count_of(s, n, ac, &p_ac);
    if (n_to != (a->think_in_prompt ? 0 : 1)) {
        *why = a->think_in_prompt ? "the reasoning tag was opened again"
                                  : "needs one opening reasoning tag";
        return 0;
    }
    if (n_tc != 1 || n_ao != 1 || n_ac != 1) {
        *why = "each of the closing reasoning tag and the answer tags must appear exactly once";
        return 0;
    }
    if (!(p_to <= p_tc && p_tc < p_ao && p_ao < p_ac)) {
        *why = "tags out of order";
        return 0;
    }
    size_t tol = strlen(to), tcl = strlen(tc), aol = strlen(ao), acl = strlen(ac);
    if (!a->strict) {
        for (size_t i = p_tc + tcl; i < p_ao; i++)
            if (!isspace((unsigned char)s[i])) {
                *why = "text between the reasoning and the answer";
                return 0;
            }
        *why = "format kept (lenient)";
        return 1;
    }
    /* strict: <think>\n ... \n</think>\n<answer>\n ... \n</answer>[\n] and nothing else */
    size_t end = n;
    if (end > 0 && s[end - 1] == '\n') end--;
    int ok = (a->think_in_prompt || (p_to == 0 && p_to + tol < n && s[p_to + tol] == '\n')) &&
             p_tc > 0 && s[p_tc - 1] == '\n' && p_tc + tcl + 1 == p_ao && s[p_tc + tcl] == '\n' &&
             p_ao + aol < n && s[p_ao + aol] == '\n' && p_ac > 0 && s[p_ac - 1] == '\n' &&
             p_ac + acl == end && p_ac > p_ao + aol;
    *why = ok ? "format kept (strict)"
              : "layout differs from <think>\\n...\\n</think>\\n<answer>\\n...\\n</answer>";
    return ok;
}

static int format_score(void *state, const reward_sample *samples, int n, double *rewards,
                        char **details, rlpt_err *err) {
    (void)err;
    const format_args *a = state;
    for (int i = 0; i < n; i++) {
        const char *why = "";
        int ok = format_check(a, samples[i].completion, samples[i].completion_len, &why);
        rewards[i] = ok ? a->reward : a->penalty;
        if (details) {
            cJSON *d = cJSON_CreateObject();
            cJSON_AddBoolToObject(d, "format_ok", ok);
            cJSON_AddStringToObject(d, "mode", a->strict ? "strict" : "lenient");
            cJSON_AddStringToObject(d, "why", why);
            details[i] = cJSON_PrintUnformatted(d);
            cJSON_Delete(d);
        }
    }
    return 0;
}

static void format_free(void *state) {
    free(state);
}

const reward_fn reward_fn_format = {
    "format",    "<think>...</think><answer>...</answer> layout (strict or lenient)",
    format_init, format_score,
    format_free, NULL};
