/* rl/cmd_tokenize.c: `rlpt tokenize --tokenizer DIR [--decode | --chat]`, a filter over JSON
 * Lines: one output object per input line, in order (blank lines are skipped). Encode:
 * {"text": s} -> {"ids": [...]}; decode: {"ids": [...]} -> {"text": s}; chat:
 * {"messages": [...], "add_generation_prompt": b} -> {"text": s}, rendered by the tokenizer's
 * chat_template (or a plain --template) exactly as transformers' apply_chat_template.
 * The first bad line stops the filter with "stdin:N: ..." (earlier output stays written). */
#define _POSIX_C_SOURCE 200809L
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "policy.h"

static const char usage[] =
    "usage: rlpt tokenize --tokenizer DIR [--decode | --chat] [options]\n"
    "\n"
    "A filter: reads JSON Lines on stdin, writes one JSON object per input line on stdout.\n"
    "  (default)  {\"text\": s}                                  -> {\"ids\": [...]}\n"
    "  --decode   {\"ids\": [...]}                               -> {\"text\": s}\n"
    "  --chat     {\"messages\": [...], \"add_generation_prompt\": b} -> {\"text\": s}\n"
    "\n"
    "DIR holds tokenizer.json (and tokenizer_config.json for decode clean-up and the chat\n"
    "template). Ids are exactly Hugging Face tokenizers'.\n"
    "Options:\n"
    "  --no-special     encode without the post-processor's tokens (Llama 3's BOS); use it\n"
    "                   for text rendered by --chat, which writes its own\n"
    "  --skip-special   decode without special tokens (skip_special_tokens=True)\n"
    "  --no-cleanup     decode without clean_up_tokenization_spaces even if the config asks\n"
    "  --template T     chat with a plain template instead of the chat_template: 'r1-zero'\n"
    "                   or a text whose {question} takes the last user message\n"
    "A --chat line may also carry \"date_string\" (Llama 3's Today Date; default today) and\n"
    "\"enable_thinking\" (Qwen3).\n";

enum { MODE_ENCODE, MODE_DECODE, MODE_CHAT };

/* Writes s[0..n) as a JSON string the way JSON.stringify and Python's json.dumps(...,
 * ensure_ascii=False) do: UTF-8 kept, controls escaped, NUL included. */
static void put_json_string(const char *s, size_t n) {
    putchar('"');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '"':
            fputs("\\\"", stdout);
            break;
        case '\\':
            fputs("\\\\", stdout);
            break;
        case '\n':
            fputs("\\n", stdout);
            break;
        case '\r':
            fputs("\\r", stdout);
            break;
        case '\t':
            fputs("\\t", stdout);
            break;
        case '\b':
            fputs("\\b", stdout);
            break;
        case '\f':
            fputs("\\f", stdout);
            break;
        default:
            if (c < 0x20)
                printf("\\u%04x", c);
            else
                putchar(c);
        }
    }
    putchar('"');
}

/* cJSON strings end at a NUL, so a "\u0000" escape would be cut silently: refuse it. */
static int has_escaped_nul(const char *line) {
    for (const char *p = strstr(line, "u0000"); p; p = strstr(p + 1, "u0000")) {
        size_t bs = 0;
        for (const char *q = p - 1; q >= line && *q == '\\'; q--) bs++;
        if (bs % 2 == 1) return 1;
    }
    return 0;
}

static int do_encode(const policy_tokenizer *tok, const cJSON *root, int add_special, long ln,
                     rlpt_err *err) {
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(root, "text");
    if (!cJSON_IsString(t))
        return rlpt_errf(err, RLPT_EINVAL, "stdin:%ld: expected {\"text\": \"...\"}", ln);
    int32_t *ids;
    size_t n;
    int rc = policy_tokenizer_encode(tok, t->valuestring, strlen(t->valuestring), add_special, &ids,
                                     &n, err);
    if (rc) {
        rlpt_err_prefix(err, "stdin:%ld", ln);
        return rc;
    }
    fputs("{\"ids\": [", stdout);
    for (size_t i = 0; i < n; i++) printf(i ? ", %ld" : "%ld", (long)ids[i]);
    fputs("]}\n", stdout);
    free(ids);
    return 0;
}

static int do_decode(const policy_tokenizer *tok, const cJSON *root, int flags, long ln,
                     rlpt_err *err) {
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(root, "ids");
    if (!cJSON_IsArray(a))
        return rlpt_errf(err, RLPT_EINVAL, "stdin:%ld: expected {\"ids\": [...]}", ln);
    size_t n = (size_t)cJSON_GetArraySize(a), i = 0;
    int32_t *ids = malloc((n + 1) * sizeof *ids);
    if (!ids) return rlpt_errf(err, RLPT_ENOMEM, "stdin:%ld: out of memory", ln);
    int32_t V = policy_tokenizer_vocab_size(tok);
    for (const cJSON *x = a->child; x; x = x->next, i++) {
        double v = cJSON_IsNumber(x) ? x->valuedouble : -1.0;
        if (v != floor(v) || v < 0 || v >= V) {
            free(ids);
            return rlpt_errf(err, RLPT_EINVAL, "stdin:%ld: ids[%zu] is not a token id in 0..%ld",
                             ln, i, (long)V - 1);
        }
        ids[i] = (int32_t)v;
    }
    char *text;
    size_t len;
    int rc = policy_tokenizer_decode(tok, ids, n, flags, &text, &len, err);
    free(ids);
    if (rc) {
        rlpt_err_prefix(err, "stdin:%ld", ln);
        return rc;
    }
    fputs("{\"text\": ", stdout);
    put_json_string(text, len);
    fputs("}\n", stdout);
    free(text);
    return 0;
}

static int do_chat(const policy_chat_template *t, const cJSON *root, long ln, rlpt_err *err) {
    const cJSON *msgs = cJSON_GetObjectItemCaseSensitive(root, "messages");
    if (!cJSON_IsArray(msgs) || cJSON_GetArraySize(msgs) == 0)
        return rlpt_errf(err, RLPT_EINVAL,
                         "stdin:%ld: expected {\"messages\": [{\"role\": ..., \"content\": ...}, "
                         "...], \"add_generation_prompt\": b}",
                         ln);
    int n = cJSON_GetArraySize(msgs), i = 0;
    policy_chat_message *m = calloc((size_t)n, sizeof *m);
    if (!m) return rlpt_errf(err, RLPT_ENOMEM, "stdin:%ld: out of memory", ln);
    for (const cJSON *x = msgs->child; x; x = x->next, i++) {
        const cJSON *r = cJSON_GetObjectItemCaseSensitive(x, "role");
        const cJSON *c = cJSON_GetObjectItemCaseSensitive(x, "content");
        if (!cJSON_IsString(r) || !cJSON_IsString(c)) {
            free(m);
            return rlpt_errf(err, RLPT_EUNSUPPORTED,
                             "stdin:%ld: messages[%d] needs string \"role\" and \"content\" (tool "
                             "calls and structured content are not supported)",
                             ln, i);
        }
        m[i].role = r->valuestring;
        m[i].content = c->valuestring;
    }
    const cJSON *agp = cJSON_GetObjectItemCaseSensitive(root, "add_generation_prompt");
    const cJSON *date = cJSON_GetObjectItemCaseSensitive(root, "date_string");
    const cJSON *think = cJSON_GetObjectItemCaseSensitive(root, "enable_thinking");
    if ((agp && !cJSON_IsBool(agp)) || (think && !cJSON_IsBool(think)) ||
        (date && !cJSON_IsString(date))) {
        free(m);
        return rlpt_errf(err, RLPT_EINVAL,
                         "stdin:%ld: add_generation_prompt and enable_thinking must be true or "
                         "false, date_string a string",
                         ln);
    }
    policy_chat_options o = {cJSON_IsTrue(agp), date ? date->valuestring : NULL,
                             think ? cJSON_IsTrue(think) : -1};
    char *text;
    size_t len;
    int rc = policy_chat_render(t, m, n, &o, &text, &len, err);
    free(m);
    if (rc) {
        rlpt_err_prefix(err, "stdin:%ld", ln);
        return rc;
    }
    fputs("{\"text\": ", stdout);
    put_json_string(text, len);
    fputs("}\n", stdout);
    free(text);
    return 0;
}

static int run(int argc, char **argv, rlpt_err *err) {
    const char *dir = NULL, *plain = NULL;
    int mode = MODE_ENCODE, add_special = 1, flags = 0, modes = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--tokenizer") == 0 && i + 1 < argc)
            dir = argv[++i];
        else if (strcmp(argv[i], "--template") == 0 && i + 1 < argc)
            plain = argv[++i];
        else if (strcmp(argv[i], "--decode") == 0)
            mode = MODE_DECODE, modes++;
        else if (strcmp(argv[i], "--chat") == 0)
            mode = MODE_CHAT, modes++;
        else if (strcmp(argv[i], "--no-special") == 0)
            add_special = 0;
        else if (strcmp(argv[i], "--skip-special") == 0)
            flags |= POLICY_DECODE_SKIP_SPECIAL;
        else if (strcmp(argv[i], "--no-cleanup") == 0)
            flags |= POLICY_DECODE_NO_CLEANUP;
        else
            return rlpt_errf(err, RLPT_EUSAGE,
                             "tokenize: unexpected argument '%s' (see rlpt tokenize --help)",
                             argv[i]);
    }
    if (modes > 1)
        return rlpt_errf(err, RLPT_EUSAGE, "tokenize: --decode and --chat exclude each other");
    if (plain && mode != MODE_CHAT)
        return rlpt_errf(err, RLPT_EUSAGE, "tokenize: --template goes with --chat");
    if (!dir && !(mode == MODE_CHAT && plain))
        return rlpt_errf(err, RLPT_EUSAGE, "tokenize: --tokenizer DIR is required");
    policy_tokenizer *tok = NULL;
    policy_chat_template *tmpl = NULL;
    int rc = 0;
    if (mode == MODE_CHAT) {
        if (plain)
            rc = policy_chat_template_plain(
                &tmpl, strcmp(plain, "r1-zero") == 0 ? policy_chat_r1_zero_template : plain, err);
        else
            rc = policy_chat_template_load(&tmpl, dir, err);
    } else {
        rc = policy_tokenizer_load(&tok, dir, err);
    }
    char *line = NULL;
    size_t cap = 0;
    long ln = 0;
    while (!rc && getline(&line, &cap, stdin) >= 0) {
        ln++;
        if (strspn(line, " \t\r\n") == strlen(line)) continue; /* blank line */
        if (has_escaped_nul(line)) {
            rc = rlpt_errf(err, RLPT_EINVAL,
                           "stdin:%ld: a string holds \\u0000 (NUL), which rlpt tokenize does not "
                           "accept",
                           ln);
            break;
        }
        cJSON *root = cJSON_Parse(line);
        if (!cJSON_IsObject(root))
            rc = rlpt_errf(err, RLPT_EINVAL, "stdin:%ld: not a JSON object", ln);
        else if (mode == MODE_ENCODE)
            rc = do_encode(tok, root, add_special, ln, err);
        else if (mode == MODE_DECODE)
            rc = do_decode(tok, root, flags, ln, err);
        else
            rc = do_chat(tmpl, root, ln, err);
        cJSON_Delete(root);
    }
    free(line);
    policy_tokenizer_free(tok);
    policy_chat_template_free(tmpl);
    return rc;
}

const rl_cmd rl_cmd_tokenize = {
    "tokenize", "encode, decode or chat-render text with a model's tokenizer", usage, run};
