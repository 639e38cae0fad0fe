/* rewards/language.c: the `language` reward, DeepSeek-R1's language consistency reward ("the
 * proportion of target language words in the CoT", R1 paper section 2.3.3), measured here as
 * the share of letters (Unicode category L*, via utf8proc) that belong to the target script.
 * The chain of thought is the text inside <think>...</think> when present (up to the end when
 * only the closing tag is missing, or from the start when the prompt opened it), else the whole
 * completion. Scripts are Unicode block ranges (below); digits, symbols and punctuation do not
 * count; an invalid UTF-8 byte counts as a letter of no script.
 * Arguments: script ("latin"), think_tag ("think"), reward (1: the value at share 1).
 * Left out: telling languages of one script apart (English vs French). */
#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "internal.h"
#include "rewards.h"

typedef struct script_range {
    const char *script;
    int32_t lo, hi;
} script_range;

static const script_range ranges[] = {
    {"latin", 0x41, 0x5A},        {"latin", 0x61, 0x7A},      {"latin", 0xC0, 0x24F},
    {"latin", 0x1E00, 0x1EFF},    {"latin", 0xFF21, 0xFF5A},  {"greek", 0x370, 0x3FF},
    {"greek", 0x1F00, 0x1FFF},    {"cyrillic", 0x400, 0x52F}, {"armenian", 0x530, 0x58F},
    {"hebrew", 0x590, 0x5FF},     {"arabic", 0x600, 0x6FF},   {"arabic", 0x750, 0x77F},
    {"devanagari", 0x900, 0x97F}, {"bengali", 0x980, 0x9FF},  {"thai", 0xE00, 0xE7F},
    {"georgian", 0x10A0, 0x10FF}, {"hangul", 0x1100, 0x11FF}, {"hangul", 0x3130, 0x318F},
    {"hangul", 0xAC00, 0xD7AF},   {"kana", 0x3040, 0x30FF},   {"kana", 0x31F0, 0x31FF},
    {"han", 0x3400, 0x4DBF},      {"han", 0x4E00, 0x9FFF},    {"han", 0xF900, 0xFAFF},
    {"han", 0x20000, 0x2FA1F},
};
#define N_RANGES (sizeof ranges / sizeof ranges[0])

/* "cjk" = han + kana + hangul; "chinese" = han; "japanese" = han + kana; "korean" = hangul + han */
static int in_script(const char *script, int32_t cp) {
    const char *fam[3] = {script, NULL, NULL};
    if (strcmp(script, "cjk") == 0)
        fam[0] = "han", fam[1] = "kana", fam[2] = "hangul";
    else if (strcmp(script, "chinese") == 0)
        fam[0] = "han";
    else if (strcmp(script, "japanese") == 0)
        fam[0] = "han", fam[1] = "kana";
    else if (strcmp(script, "korean") == 0)
        fam[0] = "hangul", fam[1] = "han";
    else if (strcmp(script, "english") == 0)
        fam[0] = "latin";
    else if (strcmp(script, "russian") == 0)
        fam[0] = "cyrillic";
    for (size_t i = 0; i < N_RANGES; i++)
        for (int f = 0; f < 3 && fam[f]; f++)
            if (strcmp(ranges[i].script, fam[f]) == 0 && cp >= ranges[i].lo && cp <= ranges[i].hi)
                return 1;
    return 0;
}

static int known_script(const char *script) {
    static const char *const alias[] = {"cjk",     "chinese", "japanese", "korean",
                                        "english", "russian", NULL};
    for (int i = 0; alias[i]; i++)
        if (strcmp(alias[i], script) == 0) return 1;
    for (size_t i = 0; i < N_RANGES; i++)
        if (strcmp(ranges[i].script, script) == 0) return 1;
    return 0;
}

double reward_script_share(const char *text, size_t len, const char *script) {
    if (!known_script(script)) return -1.0;
    size_t letters = 0, hits = 0;
    const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)text;
    for (size_t i = 0; i < len;) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t k = utf8proc_iterate(p + i, (utf8proc_ssize_t)(len - i), &cp);
        if (k <= 0) { /* invalid byte: a letter of no script */
            letters++;
            i++;
            continue;
        }
        i += (size_t)k;
        utf8proc_category_t cat = utf8proc_category(cp);
        if (cat < UTF8PROC_CATEGORY_LU || cat > UTF8PROC_CATEGORY_LO) continue;
        letters++;
        hits += (size_t)in_script(script, cp);
    }
    return letters ? (double)hits / (double)letters : 0.0;
}

typedef struct lang_args {
    char script[REWARD_ARG_STR], think_tag[REWARD_ARG_STR];
    double reward;
} lang_args;

static const reward_arg lang_spec[] = {
    {"script", 's', offsetof(lang_args, script), 0, 0, "target script (latin)"},
    {"think_tag", 's', offsetof(lang_args, think_tag), 0, 0, "reasoning tag (think)"},
    {"reward", 'n', offsetof(lang_args, reward), -1e6, 1e6, "value at share 1 (1)"},
};

static int lang_init(const reward_fn *self, const char *args_json, void **state, rlpt_err *err) {
    (void)self;
    *state = NULL;
    lang_args *a = calloc(1, sizeof *a);
    if (!a) return rlpt_errf(err, RLPT_ENOMEM, "reward 'language': out of memory");
    snprintf(a->script, sizeof a->script, "latin");
    snprintf(a->think_tag, sizeof a->think_tag, "think");
    a->reward = 1.0;
    int rc = reward_args_load("language", args_json, lang_spec, 3, a, err);
    if (rc == 0 && !known_script(a->script))
        rc = rlpt_errf(err, RLPT_ECONFIG,
                       "reward 'language': unknown script '%s' (latin, greek, cyrillic, armenian, "
                       "hebrew, arabic, devanagari, bengali, thai, georgian, hangul, kana, han, "
                       "cjk, chinese, japanese, korean, english, russian)",
                       a->script);
    if (rc != 0) {
        free(a);
        return rc;
    }
    *state = a;
    return 0;
}

static const char *find(const char *s, size_t n, const char *needle) {
    size_t k = strlen(needle);
    for (size_t i = 0; i + k <= n; i++)
        if (memcmp(s + i, needle, k) == 0) return s + i;
    return NULL;
}

static int lang_score(void *state, const reward_sample *samples, int n, double *rewards,
                      char **details, rlpt_err *err) {
    (void)err;
    const lang_args *a = state;
    char open[80], close[80];
    snprintf(open, sizeof open, "<%s>", a->think_tag);
    snprintf(close, sizeof close, "</%s>", a->think_tag);
    for (int i = 0; i < n; i++) {
        const char *s = samples[i].completion, *b = s, *e = s + samples[i].completion_len;
        const char *o = find(s, samples[i].completion_len, open);
        const char *c = find(s, samples[i].completion_len, close);
        if (o) b = o + strlen(open);
        if (c && c >= b) e = c;
        double share = reward_script_share(b, (size_t)(e - b), a->script);
        rewards[i] = a->reward * share;
        if (details) {
            cJSON *d = cJSON_CreateObject();
            cJSON_AddNumberToObject(d, "script_share", share);
            cJSON_AddStringToObject(d, "script", a->script);
            cJSON_AddStringToObject(d, "scope", o || c ? "think" : "completion");
            details[i] = cJSON_PrintUnformatted(d);
            cJSON_Delete(d);
        }
    }
    return 0;
}

static void lang_free(void *state) {
    free(state);
}

const reward_fn reward_fn_language = {
    "language", "share of the chain of thought's letters in the target script",
    lang_init,  lang_score,
    lang_free,  NULL};
