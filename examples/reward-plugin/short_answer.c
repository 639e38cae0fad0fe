/* examples/reward-plugin/short_answer.c: a reward plugin for rlpt (include/rlpt/reward.h).
 * Rewards concise answers: 1 when the text inside <answer>...</answer> is at most max_chars
 * characters, falling linearly to 0 at twice that; 0 without an answer.
 *
 * Build (one line, nothing to link):
 *   cc -shared -fPIC -O2 -I include -o examples/reward-plugin/short_answer.so \
 *      examples/reward-plugin/short_answer.c
 * Use: configs/plugin-reward.yaml. Arguments: {max_chars: N} (default 200). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rlpt/reward.h"

typedef struct state {
    long max_chars;
} state;

/* Reads {"max_chars": N} or {}; anything else is refused. A tiny parser suffices here; a real
 * plugin would use a JSON library. */
static int init(const char *args_json, void **out, char *errbuf, size_t errlen) {
    state *s = malloc(sizeof *s);
    if (!s) {
        snprintf(errbuf, errlen, "out of memory");
        return 1;
    }
    s->max_chars = 200;
    const char *p = args_json ? strstr(args_json, "\"max_chars\"") : NULL;
    if (p) {
        char *end = NULL;
        p = strchr(p, ':');
        s->max_chars = p ? strtol(p + 1, &end, 10) : -1;
        if (!p || end == p + 1 || s->max_chars < 1) {
            snprintf(errbuf, errlen, "args.max_chars: expected a positive integer");
            free(s);
            return 1;
        }
    } else if (args_json && strcmp(args_json, "{}") != 0) {
        snprintf(errbuf, errlen, "unknown argument in %s (takes max_chars)", args_json);
        free(s);
        return 1;
    }
    *out = s;
    return 0;
}

static int score(void *st, const rlpt_reward_sample *samples, int n, double *rewards,
                 char **details, char *errbuf, size_t errlen) {
    (void)errbuf;
    (void)errlen;
    const state *s = st;
    for (int i = 0; i < n; i++) {
        const char *a = strstr(samples[i].completion, "<answer>");
        const char *b = a ? strstr(a, "</answer>") : NULL;
        long len = b ? (long)(b - a - 8) : -1;
        double r = 0.0;
        if (len >= 0 && len <= s->max_chars)
            r = 1.0;
        else if (len > s->max_chars && len < 2 * s->max_chars)
            r = 1.0 - (double)(len - s->max_chars) / (double)s->max_chars;
        rewards[i] = r;
        if (details) {
            details[i] = malloc(64);
            if (details[i]) snprintf(details[i], 64, "{\"answer_chars\": %ld}", len);
        }
    }
    return 0;
}

static void free_state(void *st) {
    free(st);
}

static const rlpt_reward_plugin plugin = {
    RLPT_REWARD_ABI_VERSION,
    sizeof(rlpt_reward_plugin),
    "short_answer",
    "1 for an <answer> of at most max_chars characters, falling to 0 at twice that",
    init,
    score,
    free_state};

const rlpt_reward_plugin *RLPT_REWARD_ENTRY(void);
const rlpt_reward_plugin *RLPT_REWARD_ENTRY(void) {
    return &plugin;
}
