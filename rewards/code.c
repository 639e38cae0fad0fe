/* rewards/code.c: the code reward's pure parts: configuration, extracting the code from a
 * completion, comparing outputs, and the JSON of `rlpt reward --fn code` (DESIGN.md).
 * Running the code is in code_run.c. Reference: CommonMark fenced code blocks (a ``` line opens,
 * a ``` line closes; an unclosed block at the end is a truncated generation, not code). */
#include "code.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

void code_config_default(code_config *cfg) {
    memset(cfg, 0, sizeof *cfg);
    cfg->mode = SANDBOX_NAMESPACES;
    cfg->workers = 2;
    cfg->uid_base = 60000;
    cfg->extract = CODE_EXTRACT_LAST_BLOCK;
    cfg->scoring = CODE_SCORE_FRACTION;
    cfg->compare = CODE_COMPARE_TOKENS;
    sandbox_limits_default(&cfg->test);
    cfg->test.cpu_s = 4.0;
    cfg->test.wall_s = 8.0;
    cfg->test.nproc = 16;
    sandbox_limits_default(&cfg->compile);
    cfg->compile.cpu_s = 20.0;
    cfg->compile.wall_s = 30.0;
    cfg->compile.mem_bytes = (size_t)1 << 30;
    cfg->compile.stdout_max = (size_t)32 << 20;
    cfg->compile.fsize_bytes = (size_t)64 << 20;
    cfg->compile.box_bytes = (size_t)256 << 20;
}

int code_config_check(const code_config *cfg, rlpt_err *err) {
    if (cfg->workers < 1 || cfg->workers > 256)
        return rlpt_errf(err, RLPT_ECONFIG, "code.workers must be in [1, 256], got %d",
                         cfg->workers);
    int rc = sandbox_limits_check(&cfg->test, err);
    if (rc) {
        rlpt_err_prefix(err, "code.limits");
        return rc;
    }
    rc = sandbox_limits_check(&cfg->compile, err);
    if (rc) rlpt_err_prefix(err, "code.compile");
    return rc;
}

static int parse_enum(const char *s, const char *const *names, int n, int *out, const char *key,
                      rlpt_err *err) {
    for (int i = 0; i < n; i++)
        if (strcmp(s, names[i]) == 0) {
            *out = i;
            return 0;
        }
    char list[160] = "";
    for (int i = 0; i < n; i++) {
        strcat(list, i ? ", " : "");
        strcat(list, names[i]);
    }
    return rlpt_errf(err, RLPT_ECONFIG, "%s must be one of %s, got '%s'", key, list, s);
}

int code_extract_parse(const char *s, code_extract *out, rlpt_err *err) {
    static const char *const names[] = {"last_block", "last_block_or_all", "all"};
    int v = 0, rc = parse_enum(s, names, 3, &v, "code.extract", err);
    if (!rc) *out = (code_extract)v;
    return rc;
}

int code_scoring_parse(const char *s, code_scoring *out, rlpt_err *err) {
    static const char *const names[] = {"fraction", "all"};
    int v = 0, rc = parse_enum(s, names, 2, &v, "code.scoring", err);
    if (!rc) *out = (code_scoring)v;
    return rc;
}

int code_compare_parse(const char *s, code_compare *out, rlpt_err *err) {
    static const char *const names[] = {"tokens", "lines", "exact"};
    int v = 0, rc = parse_enum(s, names, 3, &v, "code.compare", err);
    if (!rc) *out = (code_compare)v;
    return rc;
}

void code_result_free(code_result *r) {
    if (!r) return;
    free(r->tests);
    r->tests = NULL;
}

/* A fence line: optional indentation of up to 3 spaces, then ``` */
static int is_fence(const char *line) {
    int sp = 0;
    while (line[sp] == ' ' && sp < 3) sp++;
    return strncmp(line + sp, "```", 3) == 0;
}

int code_extract_code(const char *completion, code_extract mode, char **out) {
    *out = NULL;
    const char *best = NULL, *best_end = NULL;
    if (mode != CODE_EXTRACT_ALL) {
        const char *open_body = NULL;
        for (const char *line = completion; *line;) {
            const char *nl = strchr(line, '\n');
            const char *next = nl ? nl + 1 : line + strlen(line);
            if (is_fence(line)) {
                if (!open_body) {
                    open_body = next;
                } else {
                    /* a closing fence has nothing after the backticks but spaces */
                    const char *p = strstr(line, "```") + 3;
                    while (*p == '`') p++;
                    while (p < next && isspace((unsigned char)*p)) p++;
                    if (p == next) {
                        best = open_body;
                        best_end = line;
                        open_body = NULL;
                    } else {
                        open_body = next; /* "```python" right after: a new block opens */
                    }
                }
            }
            line = next;
        }
    }
    if (!best) {
        if (mode == CODE_EXTRACT_LAST_BLOCK) return 0;
        best = completion;
        best_end = completion + strlen(completion);
    }
    size_t n = (size_t)(best_end - best);
    char *s = malloc(n + 1);
    if (!s) return RLPT_ENOMEM;
    memcpy(s, best, n);
    s[n] = '\0';
    *out = s;
    return 0;
}

/* Next whitespace-separated token of [*p, end): its start in *tok, length returned (0: none). */
static size_t next_token(const char **p, const char *end, const char **tok) {
    const char *s = *p;
    while (s < end && isspace((unsigned char)*s)) s++;
    const char *e = s;
    while (e < end && !isspace((unsigned char)*e)) e++;
    *tok = s;
    *p = e;
    return (size_t)(e - s);
}

/* Length of [s, e) without trailing spaces, tabs and carriage returns. */
static size_t rtrim_len(const char *s, const char *e) {
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r')) e--;
    return (size_t)(e - s);
}

/* [s, end) without trailing whitespace lines (and trailing whitespace) */
static const char *trim_end(const char *s, const char *end) {
    while (end > s && isspace((unsigned char)end[-1])) end--;
    return end;
}

int code_output_matches(const char *got, size_t got_len, const char *want, code_compare mode) {
    size_t want_len = strlen(want);
    if (mode == CODE_COMPARE_EXACT) return got_len == want_len && memcmp(got, want, got_len) == 0;
    const char *g = got, *ge = got + got_len, *w = want, *we = want + want_len;
    if (mode == CODE_COMPARE_TOKENS) {
        for (;;) {
            const char *tg, *tw;
            size_t ng = next_token(&g, ge, &tg), nw = next_token(&w, we, &tw);
            if (ng != nw || memcmp(tg, tw, ng) != 0) return 0;
            if (ng == 0) return 1;
        }
    }
    ge = trim_end(g, ge);
    we = trim_end(w, we);
    while (g < ge || w < we) {
        if (g >= ge || w >= we) return 0;
        const char *gn = memchr(g, '\n', (size_t)(ge - g)), *wn = memchr(w, '\n', (size_t)(we - w));
        if (!gn) gn = ge;
        if (!wn) wn = we;
        size_t lg = rtrim_len(g, gn), lw = rtrim_len(w, wn);
        if (lg != lw || memcmp(g, w, lg) != 0) return 0;
        g = gn < ge ? gn + 1 : ge;
        w = wn < we ? wn + 1 : we;
    }
    return 1;
}

/* ---- JSON ---- */

static const char *str_field(const cJSON *obj, const char *key, int required, int *bad) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!v || cJSON_IsNull(v)) {
        if (required) *bad = 1;
        return NULL;
    }
    if (!cJSON_IsString(v)) {
        *bad = 1;
        return NULL;
    }
    return v->valuestring;
}

/* A JSON array of strings into (*arr)[0..n): pointers borrowed from the cJSON tree. */
static int str_array(const cJSON *obj, const char *key, const char ***arr, int *n, int required,
                     rlpt_err *err) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    *arr = NULL;
    *n = 0;
    if (!v || cJSON_IsNull(v)) {
        if (required)
            return rlpt_errf(err, RLPT_EINVAL,
                             "code reward: field '%s' (array of strings) is "
                             "missing",
                             key);
        return 0;
    }
    if (!cJSON_IsArray(v))
        return rlpt_errf(err, RLPT_EINVAL, "code reward: field '%s' must be an array of strings",
                         key);
    int count = cJSON_GetArraySize(v);
    if (count > 100000)
        return rlpt_errf(err, RLPT_EINVAL, "code reward: '%s' has %d entries (at most 100000)", key,
                         count);
    const char **a = calloc((size_t)count + 1, sizeof *a);
    if (!a) return rlpt_errf(err, RLPT_ENOMEM, "code reward: out of memory");
    int i = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, v) {
        if (!cJSON_IsString(e)) {
            free(a);
            return rlpt_errf(err, RLPT_EINVAL, "code reward: %s[%d] must be a string", key, i);
        }
        a[i++] = e->valuestring;
    }
    *arr = a;
    *n = count;
    return 0;
}

int code_task_from_json(const cJSON *obj, code_task *task, void **arrays, rlpt_err *err) {
    memset(task, 0, sizeof *task);
    *arrays = NULL;
    if (!cJSON_IsObject(obj))
        return rlpt_errf(err, RLPT_EINVAL, "code reward: the input must be a JSON object");
    int bad = 0;
    task->completion = str_field(obj, "completion", 1, &bad);
    if (bad)
        return rlpt_errf(err, RLPT_EINVAL, "code reward: field 'completion' (string) is missing");
    const cJSON *tl = cJSON_GetObjectItemCaseSensitive(obj, "test_list");
    const cJSON *in = cJSON_GetObjectItemCaseSensitive(obj, "inputs");
    const char **a1 = NULL, **a2 = NULL;
    int n1 = 0, n2 = 0, rc = 0;
    if (cJSON_GetObjectItemCaseSensitive(obj, "entry_point")) {
        task->shape = CODE_SHAPE_HUMANEVAL;
        task->prompt = str_field(obj, "prompt", 1, &bad);
        task->test = str_field(obj, "test", 1, &bad);
        task->entry_point = str_field(obj, "entry_point", 1, &bad);
        if (bad)
            return rlpt_errf(err, RLPT_EINVAL,
                             "code reward: a HumanEval input needs string "
                             "fields 'prompt', 'test' and 'entry_point'");
        return 0;
    }
    if (tl) {
        task->shape = CODE_SHAPE_MBPP;
        rc = str_array(obj, "test_list", &a1, &n1, 1, err);
        if (!rc) rc = str_array(obj, "test_imports", &a2, &n2, 0, err);
        task->test_setup_code = str_field(obj, "test_setup_code", 0, &bad);
        if (!rc && bad)
            rc = rlpt_errf(err, RLPT_EINVAL, "code reward: 'test_setup_code' must be a string");
        task->test_list = a1;
        task->n_tests = n1;
        task->test_imports = a2;
        task->n_imports = n2;
    } else if (in) {
        task->shape = CODE_SHAPE_STDIO;
        const char *lang = str_field(obj, "language", 0, &bad);
        if (bad || (lang && strcmp(lang, "python") != 0 && strcmp(lang, "c") != 0))
            return rlpt_errf(err, RLPT_EINVAL,
                             "code reward: 'language' must be \"python\" or \"c\"");
        task->lang = lang && strcmp(lang, "c") == 0 ? CODE_LANG_C : CODE_LANG_PYTHON;
        rc = str_array(obj, "inputs", &a1, &n1, 1, err);
        if (!rc) rc = str_array(obj, "outputs", &a2, &n2, 1, err);
        if (!rc && n1 != n2)
            rc = rlpt_errf(err, RLPT_EINVAL,
                           "code reward: %d inputs but %d outputs (one output per input)", n1, n2);
        task->inputs = a1;
        task->outputs = a2;
        task->n_tests = n1;
    } else {
        return rlpt_errf(err, RLPT_EINVAL,
                         "code reward: no tests: give HumanEval fields (prompt, test, "
                         "entry_point), MBPP fields (test_list) or stdio fields (inputs, "
                         "outputs)");
    }
    if (rc) {
        free(a1);
        free(a2);
        memset(task, 0, sizeof *task);
        return rc;
    }
    /* one allocation for the caller to free: both arrays are copied into it */
    const char **block = malloc(((size_t)n1 + (size_t)n2 + 2) * sizeof *block);
    if (!block) {
        free(a1);
        free(a2);
        memset(task, 0, sizeof *task);
        return rlpt_errf(err, RLPT_ENOMEM, "code reward: out of memory");
    }
    if (n1) memcpy(block, a1, (size_t)n1 * sizeof *block);
    if (n2) memcpy(block + n1 + 1, a2, (size_t)n2 * sizeof *block);
    if (task->shape == CODE_SHAPE_MBPP) {
        task->test_list = block;
        task->test_imports = n2 ? block + n1 + 1 : NULL;
    } else {
        task->inputs = block;
        task->outputs = block + n1 + 1;
    }
    free(a1);
    free(a2);
    *arrays = (void *)block;
    return 0;
}

cJSON *code_result_to_json(const code_result *r) {
    cJSON *o = cJSON_CreateObject();
    if (!o) return NULL;
    cJSON_AddNumberToObject(o, "reward", r->reward);
    cJSON_AddNumberToObject(o, "passed", r->passed);
    cJSON_AddNumberToObject(o, "total", r->total);
    if (r->why[0]) cJSON_AddStringToObject(o, "why", r->why);
    cJSON *tests = cJSON_AddArrayToObject(o, "tests");
    for (int i = 0; tests && i < r->total; i++) {
        const code_test_result *t = &r->tests[i];
        cJSON *e = cJSON_CreateObject();
        if (!e) break;
        cJSON_AddItemToArray(tests, e);
        cJSON_AddStringToObject(e, "verdict", sandbox_verdict_name(t->verdict));
        cJSON_AddNumberToObject(e, "exit_code", t->exit_code);
        cJSON_AddNumberToObject(e, "signal", t->signal);
        cJSON_AddNumberToObject(e, "cpu_s", t->cpu_s);
        cJSON_AddNumberToObject(e, "wall_s", t->wall_s);
        cJSON_AddStringToObject(e, "stdout_head", t->out_head);
        cJSON_AddStringToObject(e, "stderr_head", t->err_head);
        if (t->why[0]) cJSON_AddStringToObject(e, "why", t->why);
    }
    if (!tests || cJSON_GetArraySize(tests) != r->total) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

int reward_code_score_json(code_pool *pool, const cJSON *in, cJSON **out, rlpt_err *err) {
    *out = NULL;
    code_task task;
    void *arrays = NULL;
    int rc = code_task_from_json(in, &task, &arrays, err);
    if (rc) return rc;
    code_result res;
    memset(&res, 0, sizeof res);
    rc = code_pool_score(pool, &task, 1, &res, err);
    if (!rc) {
        *out = code_result_to_json(&res);
        if (!*out) rc = rlpt_errf(err, RLPT_ENOMEM, "code reward: out of memory for the JSON");
    }
    code_result_free(&res);
    free(arrays);
    return rc;
}
