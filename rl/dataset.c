/* rl/dataset.c: JSON Lines datasets in the layouts of GSM8K, MATH, HumanEval, MBPP and a
 * generic one. Every record keeps its whole JSON text (reward functions read their fields from
 * it) and gets an "answer" field when the format names one. A malformed line is an error with
 * FILE:LINE and what is wrong; blank lines are skipped. Sizes: a file of at most 4 GiB, a line
 * of at most 64 MiB. */
#define _POSIX_C_SOURCE 200809L
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "rl.h"
#include "rlpt_text.h"

#define MAX_LINE (64u << 20)

void rl_dataset_free(rl_dataset *ds) {
    if (!ds) return;
    for (int i = 0; i < ds->n; i++) {
        free(ds->v[i].prompt);
        free(ds->v[i].answer);
        free(ds->v[i].fields_json);
        free(ds->v[i].target);
    }
    free(ds->v);
    memset(ds, 0, sizeof *ds);
}

/* The string under key, or NULL; *why says what was wrong when the key exists. */
static const char *get_string(const cJSON *o, const char *key, const char **why) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    *why = v ? "is not a string" : "is missing";
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Fills e from one parsed record. Returns 0, or RLPT_EINVAL with err naming the line. */
static int fill(rl_example *e, cJSON *o, int format, const char *pkey, const char *akey, int sft,
                const char *path, int line, rlpt_err *err) {
    const char *why, *prompt = NULL, *answer = "";
    const char *pname = pkey;
    switch (format) {
    case RL_DATA_GSM8K:
        pname = "question";
        break;
    case RL_DATA_MATH:
        pname = "problem";
        break;
    case RL_DATA_HUMANEVAL:
        pname = "prompt";
        break;
    case RL_DATA_MBPP: /* mbpp.jsonl says "text", sanitized-mbpp "prompt" */
        pname = cJSON_GetObjectItemCaseSensitive(o, "prompt") ? "prompt" : "text";
        break;
    default:
        break;
    }
    if (sft) pname = pkey;
    if (!(prompt = get_string(o, pname, &why)))
        return rlpt_errf(err, RLPT_EINVAL, "%s:%d: key '%s' %s", path, line, pname, why);
    if (sft) {
        const char *c = get_string(o, "completion", &why);
        if (!c)
            return rlpt_errf(err, RLPT_EINVAL,
                             "%s:%d: key 'completion' %s (SFT traces are "
                             "{\"%s\": ..., \"completion\": ...})",
                             path, line, why, pkey);
        if (!(e->target = strdup(c))) return RLPT_ENOMEM;
    }
    const char *aname = NULL;
    if (format == RL_DATA_GSM8K)
        aname = "answer";
    else if (format == RL_DATA_JSONL && !sft)
        aname = akey;
    else if (format == RL_DATA_MATH)
        aname = cJSON_GetObjectItemCaseSensitive(o, "answer") ? "answer" : "solution";
    if (aname) {
        if (!(answer = get_string(o, aname, &why)))
            return rlpt_errf(err, RLPT_EINVAL, "%s:%d: key '%s' %s", path, line, aname, why);
    }
    if (format == RL_DATA_HUMANEVAL) {
        const char *k[] = {"test", "entry_point"};
        for (int i = 0; i < 2; i++)
            if (!get_string(o, k[i], &why))
                return rlpt_errf(err, RLPT_EINVAL, "%s:%d: key '%s' %s", path, line, k[i], why);
    }
    if (format == RL_DATA_MBPP && !cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(o, "test_list")))
        return rlpt_errf(err, RLPT_EINVAL, "%s:%d: key 'test_list' is missing or not a list", path,
                         line);
    if (!*prompt) return rlpt_errf(err, RLPT_EINVAL, "%s:%d: key '%s' is empty", path, line, pname);
    if (!(e->prompt = strdup(prompt)) || !(e->answer = strdup(answer))) return RLPT_ENOMEM;
    /* the record as reward functions see it: with "answer" when the format has one */
    if (aname && strcmp(aname, "answer") != 0) {
        cJSON_DeleteItemFromObjectCaseSensitive(o, "answer");
        if (!cJSON_AddStringToObject(o, "answer", answer)) return RLPT_ENOMEM;
    }
    if (!(e->fields_json = cJSON_PrintUnformatted(o))) return RLPT_ENOMEM;
    e->line = line;
    return 0;
}

int rl_dataset_load(rl_dataset *ds, const char *path, int format, const char *prompt_key,
                    const char *answer_key, int sft, rlpt_err *err) {
    memset(ds, 0, sizeof *ds);
    FILE *f = fopen(path, "rb");
    if (!f) return rlpt_errf(err, RLPT_EIO, "%s: cannot open: %s", path, strerror(errno));
    char *buf = NULL;
    size_t cap = 0;
    int line = 0, rc = 0, alloc = 0;
    ssize_t got;
    while ((got = getline(&buf, &cap, f)) >= 0) {
        line++;
        size_t len = (size_t)got;
        while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r')) buf[--len] = '\0';
        if (len == 0 || strspn(buf, " \t") == len) continue;
        if (len > MAX_LINE) {
            rc = rlpt_errf(err, RLPT_EINVAL, "%s:%d: line of %zu bytes (at most %u)", path, line,
                           len, MAX_LINE);
            break;
        }
        size_t bad = rlpt_utf8_check(buf, len);
        if (bad < len) {
            int l, col;
            rlpt_line_col(buf, bad, &l, &col);
            rc = rlpt_errf(err, RLPT_EINVAL, "%s:%d:%d: not valid UTF-8 (byte 0x%02x)", path, line,
                           col, (unsigned char)buf[bad]);
            break;
        }
        const char *end = NULL;
        cJSON *o = cJSON_ParseWithLengthOpts(buf, len, &end, 0);
        if (!o || !cJSON_IsObject(o)) {
            size_t at = o ? 0 : (size_t)(cJSON_GetErrorPtr() ? cJSON_GetErrorPtr() - buf : 0);
            if (at > len) at = 0;
            rc = rlpt_errf(err, RLPT_EINVAL, "%s:%d:%zu: %s", path, line, at + 1,
                           o ? "a line must hold one JSON object" : "not valid JSON");
            cJSON_Delete(o);
            break;
        }
        if (ds->n == alloc) {
            int ncap = alloc ? alloc * 2 : 256;
            rl_example *v = realloc(ds->v, (size_t)ncap * sizeof *v);
            if (!v) {
                cJSON_Delete(o);
                rc = RLPT_ENOMEM;
                break;
            }
            ds->v = v;
            alloc = ncap;
        }
        memset(&ds->v[ds->n], 0, sizeof ds->v[ds->n]);
        ds->n++; /* counted before filling so that free() reaches partial entries */
        rc = fill(&ds->v[ds->n - 1], o, format, prompt_key, answer_key, sft, path, line, err);
        cJSON_Delete(o);
        if (rc) break;
    }
    int read_error = ferror(f);
    free(buf);
    fclose(f);
    if (rc == RLPT_ENOMEM) rlpt_errf(err, rc, "%s:%d: out of memory", path, line);
    if (!rc && read_error)
        rc = rlpt_errf(err, RLPT_EIO, "%s: read error after line %d", path, line);
    if (!rc && ds->n == 0) rc = rlpt_errf(err, RLPT_EINVAL, "%s: no examples (empty file)", path);
    if (rc) rl_dataset_free(ds);
    return rc;
}
