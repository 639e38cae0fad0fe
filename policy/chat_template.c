/* policy/chat_template.c: chat templates as named renderers. Each known chat_template string
 * (recognised by its exact text: FNV-1a hash and length) has a C function that writes, byte for
 * byte, what Jinja2 renders from it as transformers sets it up (ImmutableSandboxedEnvironment,
 * trim_blocks, lstrip_blocks; tests/reference/tokenizer/render_chat.py). Plain templates with
 * {field} placeholders (the R1-Zero prompt, the user's YAML templates) are filled as Python's
 * str.format would.
 * Why named renderers and not a Jinja interpreter: five templates cover the supported models, a
 * renderer is ~40 lines that can be read against its template, and an unknown template is then
 * refused instead of being rendered by a partial interpreter that might differ silently.
 * Leaves out tool definitions and assistant tool calls (refused); tool-result messages
 * (role "tool") are rendered. */
#define _POSIX_C_SOURCE 200809L
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rlpt_io.h"
#include "rlpt_text.h"
#include "tokenizer_internal.h"

const char policy_chat_r1_zero_template[] =
    "A conversation between User and Assistant. The user asks a question, and the Assistant "
    "solves it. The assistant first thinks about the reasoning process in the mind and then "
    "provides the user with the answer. The reasoning process and answer are enclosed within "
    "<think> </think> and <answer> </answer> tags, respectively, i.e., <think> reasoning process "
    "here </think> <answer> answer here </answer>. User: {question}. Assistant:";

struct policy_chat_template {
    policy_chat_kind kind;
    const char *default_system; /* Qwen2.5 */
    char *bos;                  /* bos_token text (Llama 3, DeepSeek) */
    char *plain;                /* POLICY_CHAT_PLAIN */
};

static const struct known_template {
    uint64_t hash;
    size_t len;
    policy_chat_kind kind;
    const char *label;
    const char *default_system;
} known[] = {
    {0xc2b27ee60f1b8775ULL, 2507, POLICY_CHAT_QWEN25, "Qwen2.5-Instruct",
     "You are Qwen, created by Alibaba Cloud. You are a helpful assistant."},
    {0xb844301e4c148c65ULL, 2513, POLICY_CHAT_QWEN25, "Qwen2.5-Math",
     "Please reason step by step, and put your final answer within \\boxed{}."},
    {0x2bfdb7aa9754484eULL, 4116, POLICY_CHAT_QWEN3, "Qwen3", NULL},
    {0x0ac29b9538e2befaULL, 3827, POLICY_CHAT_LLAMA3, "Llama-3.2-Instruct", NULL},
    {0x9c0722939a9b83ecULL, 2237, POLICY_CHAT_DEEPSEEK_R1, "DeepSeek-R1-Distill (2025-01-22)",
     NULL},
};

static uint64_t fnv1a64(const char *s, size_t n) {
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 0x100000001b3ULL;
    return h;
}

/* ---- output buffer --------------------------------------------------------------------------- */

typedef rlpt_strbuf obuf; /* common/rlpt_text.h */

static void put(obuf *b, const char *s, size_t n) {
    rlpt_strbuf_put(b, s, n);
}

static void puts_(obuf *b, const char *s) {
    rlpt_strbuf_puts(b, s);
}

/* ---- Python string semantics ----------------------------------------------------------------- */

/* str.isspace() for one character at s (its byte length in *len, 0 when not a space). */
static size_t py_space_at(const char *s, size_t n) {
    uint32_t cp;
    size_t k = tok_utf8_decode((const unsigned char *)s, n, &cp);
    if (!k) return 0;
    if ((cp >= 9 && cp <= 13) || (cp >= 0x1C && cp <= 0x20) || cp == 0x85 || cp == 0xA0 ||
        cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 ||
        cp == 0x202F || cp == 0x205F || cp == 0x3000)
        return k;
    return 0;
}

/* Jinja's |trim: Python str.strip(). */
static void put_trim(obuf *b, const char *s) {
    size_t n = strlen(s), i = 0, k;
    while (i < n && (k = py_space_at(s + i, n - i)) > 0) i += k;
    size_t end = n;
    while (end > i) {
        size_t j = end - 1;
        while (j > i && ((unsigned char)s[j] & 0xC0) == 0x80) j--;
        if (py_space_at(s + j, end - j) != end - j) break;
        end = j;
    }
    put(b, s + i, end - i);
}

/* A span of a string. */
typedef struct span {
    const char *p;
    size_t n;
} span;

static span sp(const char *s) {
    return (span){s, strlen(s)};
}

static const char *find(span s, const char *needle) {
    size_t k = strlen(needle);
    for (size_t i = 0; i + k <= s.n; i++)
        if (memcmp(s.p + i, needle, k) == 0) return s.p + i;
    return NULL;
}

static const char *rfind(span s, const char *needle) {
    size_t k = strlen(needle);
    for (size_t i = s.n >= k ? s.n - k + 1 : 0; i-- > 0;)
        if (memcmp(s.p + i, needle, k) == 0) return s.p + i;
    return NULL;
}

/* s.split(sep)[-1] and s.split(sep)[0]. */
static span after_last(span s, const char *sep) {
    const char *p = rfind(s, sep);
    if (!p) return s;
    p += strlen(sep);
    return (span){p, (size_t)(s.p + s.n - p)};
}
static span before_first(span s, const char *sep) {
    const char *p = find(s, sep);
    return p ? (span){s.p, (size_t)(p - s.p)} : s;
}
static span lstrip_nl(span s) {
    while (s.n && s.p[0] == '\n') s.p++, s.n--;
    return s;
}
static span rstrip_nl(span s) {
    while (s.n && s.p[s.n - 1] == '\n') s.n--;
    return s;
}
static int starts_with(span s, const char *x) {
    size_t k = strlen(x);
    return s.n >= k && memcmp(s.p, x, k) == 0;
}
static int ends_with(span s, const char *x) {
    size_t k = strlen(x);
    return s.n >= k && memcmp(s.p + s.n - k, x, k) == 0;
}
static void put_span(obuf *b, span s) {
    put(b, s.p, s.n);
}

/* Python json.dumps(str, ensure_ascii=False): the |tojson of transformers. */
static void put_json_string(obuf *b, const char *s) {
    put(b, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        char e[8];
        switch (*p) {
        case '"':
            puts_(b, "\\\"");
            break;
        case '\\':
            puts_(b, "\\\\");
            break;
        case '\n':
            puts_(b, "\\n");
            break;
        case '\r':
            puts_(b, "\\r");
            break;
        case '\t':
            puts_(b, "\\t");
            break;
        case '\b':
            puts_(b, "\\b");
            break;
        case '\f':
            puts_(b, "\\f");
            break;
        default:
            if (*p < 0x20) {
                snprintf(e, sizeof e, "\\u%04x", *p);
                puts_(b, e);
            } else {
                put(b, (const char *)p, 1);
            }
        }
    }
    put(b, "\"", 1);
}

static int role_is(const policy_chat_message *m, const char *r) {
    return strcmp(m->role, r) == 0;
}

/* ---- the renderers --------------------------------------------------------------------------- */

/* Qwen2.5 Instruct / Math chat_template, no tools. */
static void render_qwen25(const policy_chat_template *t, const policy_chat_message *m, int n,
                          const policy_chat_options *o, obuf *b) {
    puts_(b, "<|im_start|>system\n");
    puts_(b, role_is(&m[0], "system") ? m[0].content : t->default_system);
    puts_(b, "<|im_end|>\n");
    for (int i = 0; i < n; i++) {
        if (role_is(&m[i], "user") || (role_is(&m[i], "system") && i > 0) ||
            role_is(&m[i], "assistant")) {
            puts_(b, "<|im_start|>");
            puts_(b, m[i].role);
            puts_(b, "\n");
            puts_(b, m[i].content);
            puts_(b, "<|im_end|>\n");
        } else if (role_is(&m[i], "tool")) {
            if (i == 0 || !role_is(&m[i - 1], "tool")) puts_(b, "<|im_start|>user");
            puts_(b, "\n<tool_response>\n");
            puts_(b, m[i].content);
            puts_(b, "\n</tool_response>");
            if (i == n - 1 || !role_is(&m[i + 1], "tool")) puts_(b, "<|im_end|>\n");
        }
    }
    if (o->add_generation_prompt) puts_(b, "<|im_start|>assistant\n");
}

/* Qwen3 chat_template, no tools, no reasoning_content field: the reasoning of assistant turns
 * after the last user query is kept in <think>, earlier turns lose it. */
static void render_qwen3(const policy_chat_message *m, int n, const policy_chat_options *o,
                         obuf *b) {
    if (role_is(&m[0], "system")) {
        puts_(b, "<|im_start|>system\n");
        puts_(b, m[0].content);
        puts_(b, "<|im_end|>\n");
    }
    int multi_step_tool = 1, last_query = n - 1;
    for (int i = n - 1; i >= 0; i--) {
        span c = sp(m[i].content);
        if (multi_step_tool && role_is(&m[i], "user") &&
            !(starts_with(c, "<tool_response>") && ends_with(c, "</tool_response>"))) {
            multi_step_tool = 0;
            last_query = i;
        }
    }
    for (int i = 0; i < n; i++) {
        if (role_is(&m[i], "user") || (role_is(&m[i], "system") && i > 0)) {
            puts_(b, "<|im_start|>");
            puts_(b, m[i].role);
            puts_(b, "\n");
            puts_(b, m[i].content);
            puts_(b, "<|im_end|>\n");
        } else if (role_is(&m[i], "assistant")) {
            span content = sp(m[i].content), reasoning = {"", 0};
            if (find(content, "</think>")) {
                span all = content;
                content = lstrip_nl(after_last(all, "</think>"));
                reasoning =
                    lstrip_nl(after_last(rstrip_nl(before_first(all, "</think>")), "<think>"));
            }
            puts_(b, "<|im_start|>assistant\n");
            if (i > last_query && (i == n - 1 || reasoning.n > 0)) {
                puts_(b, "<think>\n");
                put_span(b, rstrip_nl(lstrip_nl(reasoning)));
                puts_(b, "\n</think>\n\n");
                put_span(b, lstrip_nl(content));
            } else {
                put_span(b, content);
            }
            puts_(b, "<|im_end|>\n");
        } else if (role_is(&m[i], "tool")) {
            if (i == 0 || !role_is(&m[i - 1], "tool")) puts_(b, "<|im_start|>user");
            puts_(b, "\n<tool_response>\n");
            puts_(b, m[i].content);
            puts_(b, "\n</tool_response>");
            if (i == n - 1 || !role_is(&m[i + 1], "tool")) puts_(b, "<|im_end|>\n");
        }
    }
    if (o->add_generation_prompt) {
        puts_(b, "<|im_start|>assistant\n");
        if (o->enable_thinking == 0) puts_(b, "<think>\n\n</think>\n\n");
    }
}

/* Llama 3.1/3.2 Instruct chat_template, no tools: the system block always carries the
 * knowledge-cutoff and today's date. */
static void render_llama3(const policy_chat_template *t, const policy_chat_message *m, int n,
                          const policy_chat_options *o, obuf *b) {
    char today[64];
    const char *date = o->date_string;
    if (!date) {
        /* transformers' strftime_now("%d %b %Y"): the local date, C locale month names */
        time_t now = time(NULL);
        struct tm tm;
        localtime_r(&now, &tm);
        static const char *const mon[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
        snprintf(today, sizeof today, "%02d %s %04d", tm.tm_mday, mon[tm.tm_mon],
                 tm.tm_year + 1900);
        date = today;
    }
    puts_(b, t->bos ? t->bos : "");
    int first = 0;
    puts_(b, "<|start_header_id|>system<|end_header_id|>\n\n");
    puts_(b, "Cutting Knowledge Date: December 2023\n");
    puts_(b, "Today Date: ");
    puts_(b, date);
    puts_(b, "\n\n");
    if (role_is(&m[0], "system")) {
        put_trim(b, m[0].content);
        first = 1;
    }
    puts_(b, "<|eot_id|>");
    for (int i = first; i < n; i++) {
        if (role_is(&m[i], "tool") || role_is(&m[i], "ipython")) {
            /* a string is "iterable" to Jinja, so the template JSON-quotes it */
            puts_(b, "<|start_header_id|>ipython<|end_header_id|>\n\n");
            put_json_string(b, m[i].content);
            puts_(b, "<|eot_id|>");
            continue;
        }
        puts_(b, "<|start_header_id|>");
        puts_(b, m[i].role);
        puts_(b, "<|end_header_id|>\n\n");
        put_trim(b, m[i].content);
        puts_(b, "<|eot_id|>");
    }
    if (o->add_generation_prompt) puts_(b, "<|start_header_id|>assistant<|end_header_id|>\n\n");
}

/* DeepSeek-R1(-Distill) chat_template (revision of 2025-01-22): the last system message goes
 * first; assistant turns keep only what follows their last </think>. */
static void render_deepseek(const policy_chat_template *t, const policy_chat_message *m, int n,
                            const policy_chat_options *o, obuf *b) {
    const char *system = "";
    for (int i = 0; i < n; i++)
        if (role_is(&m[i], "system")) system = m[i].content;
    puts_(b, t->bos ? t->bos : "");
    puts_(b, system);
    int is_tool = 0, output_first = 1;
    for (int i = 0; i < n; i++) {
        if (role_is(&m[i], "user")) {
            is_tool = 0;
            puts_(b, "<\xEF\xBD\x9CUser\xEF\xBD\x9C>");
            puts_(b, m[i].content);
        }
        if (role_is(&m[i], "assistant")) {
            if (is_tool) {
                puts_(b, "<\xEF\xBD\x9Ctool\xE2\x96\x81outputs\xE2\x96\x81"
                         "end\xEF\xBD\x9C>");
                puts_(b, m[i].content);
                is_tool = 0;
            } else {
                puts_(b, "<\xEF\xBD\x9C"
                         "Assistant\xEF\xBD\x9C>");
                put_span(b, after_last(sp(m[i].content), "</think>"));
            }
            puts_(b, "<\xEF\xBD\x9C"
                     "end\xE2\x96\x81of\xE2\x96\x81sentence\xEF\xBD\x9C>");
        }
        if (role_is(&m[i], "tool")) {
            is_tool = 1;
            if (output_first) {
                puts_(b, "<\xEF\xBD\x9Ctool\xE2\x96\x81outputs\xE2\x96\x81"
                         "begin\xEF\xBD\x9C>"
                         "<\xEF\xBD\x9Ctool\xE2\x96\x81output\xE2\x96\x81"
                         "begin\xEF\xBD\x9C>");
                output_first = 0;
            } else {
                puts_(b, "\n<\xEF\xBD\x9Ctool\xE2\x96\x81output\xE2\x96\x81"
                         "begin\xEF\xBD\x9C>");
            }
            puts_(b, m[i].content);
            puts_(b, "<\xEF\xBD\x9Ctool\xE2\x96\x81output\xE2\x96\x81"
                     "end\xEF\xBD\x9C>");
        }
    }
    if (is_tool)
        puts_(b, "<\xEF\xBD\x9Ctool\xE2\x96\x81outputs\xE2\x96\x81"
                 "end\xEF\xBD\x9C>");
    if (o->add_generation_prompt && !is_tool)
        puts_(b, "<\xEF\xBD\x9C"
                 "Assistant\xEF\xBD\x9C>");
}

/* ---- plain templates ------------------------------------------------------------------------- */

int policy_prompt_format(const char *tmpl, const char *const *names, const char *const *values,
                         int n_fields, char **out, size_t *len, rlpt_err *err) {
    *out = NULL;
    obuf b = {0};
    put(&b, "", 0);
    for (size_t i = 0; tmpl[i];) {
        char c = tmpl[i];
        if ((c == '{' || c == '}') && tmpl[i + 1] == c) { /* {{ and }} are literal braces */
            put(&b, &c, 1);
            i += 2;
            continue;
        }
        if (c == '}') {
            free(b.p);
            return rlpt_errf(err, RLPT_EINVAL,
                             "prompt template: single '}' at offset %zu (write '}}' for a brace)",
                             i);
        }
        if (c != '{') {
            put(&b, &c, 1);
            i++;
            continue;
        }
        const char *end = strchr(tmpl + i + 1, '}');
        size_t k = end ? (size_t)(end - tmpl - i - 1) : 0;
        int f = -1;
        for (int j = 0; end && j < n_fields; j++)
            if (strlen(names[j]) == k && memcmp(names[j], tmpl + i + 1, k) == 0) f = j;
        if (f < 0) {
            free(b.p);
            if (!end)
                return rlpt_errf(err, RLPT_EINVAL,
                                 "prompt template: '{' at offset %zu is not closed (write '{{' "
                                 "for a brace)",
                                 i);
            return rlpt_errf(err, RLPT_EINVAL,
                             "prompt template: unknown placeholder {%.*s} at offset %zu", (int)k,
                             tmpl + i + 1, i);
        }
        puts_(&b, values[f]);
        i += k + 2;
    }
    if (b.oom) {
        free(b.p);
        return rlpt_errf(err, RLPT_ENOMEM, "prompt template: out of memory");
    }
    *out = b.p;
    if (len) *len = b.n;
    return 0;
}

/* ---- loading and rendering ------------------------------------------------------------------- */

int policy_chat_template_plain(policy_chat_template **out, const char *text, rlpt_err *err) {
    *out = NULL;
    policy_chat_template *t = calloc(1, sizeof *t);
    if (!t || !(t->plain = strdup(text))) {
        free(t);
        return rlpt_errf(err, RLPT_ENOMEM, "chat template: out of memory");
    }
    t->kind = POLICY_CHAT_PLAIN;
    /* Refuse a broken template now rather than at the first prompt. */
    const char *names[] = {"question"}, *values[] = {""};
    char *probe;
    int rc = policy_prompt_format(text, names, values, 1, &probe, NULL, err);
    if (rc) {
        policy_chat_template_free(t);
        return rc;
    }
    free(probe);
    *out = t;
    return 0;
}

int policy_chat_template_from_config(policy_chat_template **out, const char *config_json,
                                     size_t len, const char *name, rlpt_err *err) {
    *out = NULL;
    cJSON *cfg = cJSON_ParseWithLength(config_json, len);
    if (!cJSON_IsObject(cfg)) {
        cJSON_Delete(cfg);
        return rlpt_errf(err, RLPT_EFORMAT, "%s: not a JSON object", name);
    }
    const cJSON *ct = cJSON_GetObjectItemCaseSensitive(cfg, "chat_template");
    if (!cJSON_IsString(ct)) {
        cJSON_Delete(cfg);
        return rlpt_errf(err, RLPT_EUNSUPPORTED,
                         "%s: no \"chat_template\" string (a list of named templates is not "
                         "supported); use a plain prompt template instead",
                         name);
    }
    size_t n = strlen(ct->valuestring);
    uint64_t h = fnv1a64(ct->valuestring, n);
    const struct known_template *k = NULL;
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (known[i].hash == h && known[i].len == n) k = &known[i];
    if (!k) {
        cJSON_Delete(cfg);
        return rlpt_errf(err, RLPT_EUNSUPPORTED,
                         "%s: chat_template (%zu bytes, fnv1a64 %016llx) is not one rlpt renders "
                         "(Qwen2.5-Instruct, Qwen2.5-Math, Qwen3, Llama-3.2-Instruct, "
                         "DeepSeek-R1-Distill); use a plain prompt template instead",
                         name, n, (unsigned long long)h);
    }
    policy_chat_template *t = calloc(1, sizeof *t);
    const cJSON *bos = cJSON_GetObjectItemCaseSensitive(cfg, "bos_token");
    if (cJSON_IsObject(bos)) bos = cJSON_GetObjectItemCaseSensitive(bos, "content");
    if (t && cJSON_IsString(bos)) t->bos = strdup(bos->valuestring);
    cJSON_Delete(cfg);
    if (!t || (cJSON_IsString(bos) && !t->bos)) {
        free(t);
        return rlpt_errf(err, RLPT_ENOMEM, "chat template: out of memory");
    }
    t->kind = k->kind;
    t->default_system = k->default_system;
    *out = t;
    return 0;
}

int policy_chat_template_load(policy_chat_template **out, const char *dir, rlpt_err *err) {
    *out = NULL;
    size_t dl = strlen(dir);
    char *path = malloc(dl + 32), *json = NULL;
    size_t n;
    if (!path) return rlpt_errf(err, RLPT_ENOMEM, "out of memory");
    snprintf(path, dl + 32, "%s/tokenizer_config.json", dir);
    int rc = rlpt_read_file(path, 64u << 20, &json, &n, err);
    if (!rc) rc = policy_chat_template_from_config(out, json, n, path, err);
    free(json);
    free(path);
    return rc;
}

void policy_chat_template_free(policy_chat_template *t) {
    if (!t) return;
    free(t->bos);
    free(t->plain);
    free(t);
}

policy_chat_kind policy_chat_template_kind(const policy_chat_template *t) {
    return t->kind;
}

int policy_chat_render(const policy_chat_template *t, const policy_chat_message *messages,
                       int n_messages, const policy_chat_options *opt, char **out, size_t *len,
                       rlpt_err *err) {
    *out = NULL;
    policy_chat_options dflt = {0, NULL, -1};
    if (!opt) opt = &dflt;
    if (n_messages <= 0)
        return rlpt_errf(err, RLPT_EINVAL, "chat: a conversation needs at least one message");
    for (int i = 0; i < n_messages; i++) {
        const policy_chat_message *m = &messages[i];
        if (!m->role || !m->content)
            return rlpt_errf(err, RLPT_EINVAL, "chat: messages[%d] needs a role and a content", i);
        if (t->kind != POLICY_CHAT_PLAIN && !role_is(m, "system") && !role_is(m, "user") &&
            !role_is(m, "assistant") && !role_is(m, "tool") &&
            !(t->kind == POLICY_CHAT_LLAMA3 && role_is(m, "ipython")))
            return rlpt_errf(err, RLPT_EUNSUPPORTED,
                             "chat: messages[%d] has role '%s'; rlpt renders system, user, "
                             "assistant and tool",
                             i, m->role);
    }
    if (t->kind == POLICY_CHAT_PLAIN) {
        const char *q = NULL;
        for (int i = 0; i < n_messages; i++)
            if (role_is(&messages[i], "user")) q = messages[i].content;
        if (!q)
            return rlpt_errf(err, RLPT_EINVAL,
                             "chat: a plain template needs a user message for {question}");
        const char *names[] = {"question"}, *values[] = {q};
        return policy_prompt_format(t->plain, names, values, 1, out, len, err);
    }
    obuf b = {0};
    put(&b, "", 0);
    switch (t->kind) {
    case POLICY_CHAT_QWEN25:
        render_qwen25(t, messages, n_messages, opt, &b);
        break;
    case POLICY_CHAT_QWEN3:
        render_qwen3(messages, n_messages, opt, &b);
        break;
    case POLICY_CHAT_LLAMA3:
        render_llama3(t, messages, n_messages, opt, &b);
        break;
    case POLICY_CHAT_DEEPSEEK_R1:
        render_deepseek(t, messages, n_messages, opt, &b);
        break;
    case POLICY_CHAT_PLAIN:
        break;
    }
    if (b.oom) {
        free(b.p);
        return rlpt_errf(err, RLPT_ENOMEM, "chat: out of memory");
    }
    *out = b.p;
    if (len) *len = b.n;
    return 0;
}
