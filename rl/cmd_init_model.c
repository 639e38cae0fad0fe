/* rl/cmd_init_model.c: `rlpt init-model`: writes a randomly initialised model in the Hugging
 * Face layout (config.json, model.safetensors) and, with --tokenizer DIR, copies the tokenizer
 * files and takes the vocabulary size and bos/eos ids from them, so tests and the demo need no
 * downloads. The weights are a function of --seed alone. */
#define _POSIX_C_SOURCE 200809L
#include <cjson/cJSON.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "policy.h"
#include "rlpt_io.h"

static const char usage[] =
    "usage: rlpt init-model --arch llama|qwen2 [--hidden N] [--layers N] [--heads N]\n"
    "                        [--kv-heads N] [--head-dim N] [--ffn N] [--vocab N] [--max-pos N]\n"
    "                        [--tied] [--seed N] [--std X] [--dtype float32|bfloat16]\n"
    "                        [--tokenizer DIR] --out DIR\n"
    "\n"
    "Writes a randomly initialised model in the Hugging Face layout (config.json,\n"
    "model.safetensors, the tokenizer files copied from DIR) so tests and the demo need\n"
    "no downloads. Defaults: hidden 64, layers 2, heads 4, kv-heads 2, head-dim hidden/heads,\n"
    "ffn 172, vocab 512 (or the tokenizer's), max-pos 2048, seed 0, std 0.02 (transformers'\n"
    "initializer_range); norms are 1 and biases 0. qwen2 has q/k/v biases.\n";

/* Tokenizer files transformers may write; tokenizer.json must be there. */
static const char *const tok_files[] = {"tokenizer.json",
                                        "tokenizer_config.json",
                                        "special_tokens_map.json",
                                        "generation_config.json",
                                        "chat_template.jinja",
                                        "tokenizer.model",
                                        "vocab.json",
                                        "merges.txt"};

static int int_arg(const char *flag, const char *s, int lo, int hi, int *out, rlpt_err *err) {
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (end == s || *end || errno || v < lo || v > hi)
        return rlpt_errf(err, RLPT_EUSAGE,
                         "init-model: %s must be an integer in %d..%d, got "
                         "'%s'",
                         flag, lo, hi, s);
    *out = (int)v;
    return 0;
}

/* The id of a token's text in tokenizer.json (added_tokens, then model.vocab), or -1. */
static int token_id(const cJSON *tok, const char *text) {
    const cJSON *t;
    cJSON_ArrayForEach(t, cJSON_GetObjectItem(tok, "added_tokens")) {
        const cJSON *c = cJSON_GetObjectItem(t, "content"), *id = cJSON_GetObjectItem(t, "id");
        if (cJSON_IsString(c) && cJSON_IsNumber(id) && strcmp(c->valuestring, text) == 0)
            return id->valueint;
    }
    const cJSON *v = cJSON_GetObjectItem(cJSON_GetObjectItem(tok, "model"), "vocab");
    const cJSON *id = cJSON_IsObject(v) ? cJSON_GetObjectItemCaseSensitive(v, text) : NULL;
    return cJSON_IsNumber(id) ? id->valueint : -1;
}

static const char *special_text(const cJSON *tc, const char *key) {
    const cJSON *j = cJSON_GetObjectItem(tc, key);
    if (cJSON_IsObject(j)) j = cJSON_GetObjectItem(j, "content");
    return cJSON_IsString(j) ? j->valuestring : NULL;
}

static int read_json(const char *dir, const char *name, cJSON **out, rlpt_err *err) {
    char p[4096], *text;
    snprintf(p, sizeof p, "%s/%s", dir, name);
    *out = NULL;
    if (access(p, F_OK) != 0) return 0;
    int rc = rlpt_read_file(p, 256u << 20, &text, NULL, err);
    if (rc) return rc;
    *out = cJSON_Parse(text);
    free(text);
    if (!*out) return rlpt_errf(err, RLPT_EFORMAT, "%s: not valid JSON", p);
    return 0;
}

/* Vocabulary size (largest id + 1) and bos/eos ids from the tokenizer's files. */
static int tokenizer_facts(const char *dir, int *vocab, policy_config *cfg, rlpt_err *err) {
    cJSON *tok, *tc;
    int rc = read_json(dir, "tokenizer.json", &tok, err);
    if (rc) return rc;
    if (!tok) return rlpt_errf(err, RLPT_EIO, "%s/tokenizer.json: no such file", dir);
    if ((rc = read_json(dir, "tokenizer_config.json", &tc, err))) {
        cJSON_Delete(tok);
        return rc;
    }
    int max = -1;
    const cJSON *t;
    cJSON_ArrayForEach(t, cJSON_GetObjectItem(cJSON_GetObjectItem(tok, "model"), "vocab")) {
        if (cJSON_IsNumber(t) && t->valueint > max) max = t->valueint;
    }
    cJSON_ArrayForEach(t, cJSON_GetObjectItem(tok, "added_tokens")) {
        const cJSON *id = cJSON_GetObjectItem(t, "id");
        if (cJSON_IsNumber(id) && id->valueint > max) max = id->valueint;
    }
    *vocab = max + 1;
    const char *bos = special_text(tc, "bos_token"), *eos = special_text(tc, "eos_token");
    if (bos) cfg->bos_id = token_id(tok, bos);
    if (eos && token_id(tok, eos) >= 0) {
        cfg->n_eos = 1;
        cfg->eos_ids[0] = token_id(tok, eos);
    }
    cJSON_Delete(tok);
    cJSON_Delete(tc);
    if (max < 0) return rlpt_errf(err, RLPT_EFORMAT, "%s/tokenizer.json: no vocabulary", dir);
    return 0;
}

static int copy_tokenizer(const char *from, const char *to, rlpt_err *err) {
    for (size_t i = 0; i < sizeof tok_files / sizeof tok_files[0]; i++) {
        char src[4096], dst[4096], *data;
        size_t len;
        snprintf(src, sizeof src, "%s/%s", from, tok_files[i]);
        snprintf(dst, sizeof dst, "%s/%s", to, tok_files[i]);
        if (access(src, F_OK) != 0) continue;
        int rc = rlpt_read_file(src, 1u << 30, &data, &len, err);
        if (rc) return rc;
        rc = rlpt_write_file_atomic(dst, data, len, err);
        free(data);
        if (rc) return rc;
    }
    return 0;
}

static int run(int argc, char **argv, rlpt_err *err) {
    const char *arch = NULL, *out = NULL, *tokdir = NULL, *dtype = "float32";
    int hidden = 64, layers = 2, heads = 4, kv = 2, head_dim = 0, ffn = 172, vocab = 0;
    int max_pos = 2048, tied = 0, rc = 0;
    unsigned long long seed = 0;
    double std = 0.02;
    for (int i = 1; i < argc && !rc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--tied") == 0) {
            tied = 1;
            continue;
        }
        if (!v || strncmp(a, "--", 2) != 0)
            return rlpt_errf(err, RLPT_EUSAGE,
                             "init-model: unexpected argument '%s' (see rlpt "
                             "init-model --help)",
                             a);
        i++;
        if (strcmp(a, "--arch") == 0)
            arch = v;
        else if (strcmp(a, "--out") == 0)
            out = v;
        else if (strcmp(a, "--tokenizer") == 0)
            tokdir = v;
        else if (strcmp(a, "--dtype") == 0)
            dtype = v;
        else if (strcmp(a, "--hidden") == 0)
            rc = int_arg(a, v, 1, 1 << 16, &hidden, err);
        else if (strcmp(a, "--layers") == 0)
            rc = int_arg(a, v, 1, 1024, &layers, err);
        else if (strcmp(a, "--heads") == 0)
            rc = int_arg(a, v, 1, 1024, &heads, err);
        else if (strcmp(a, "--kv-heads") == 0)
            rc = int_arg(a, v, 1, 1024, &kv, err);
        else if (strcmp(a, "--head-dim") == 0)
            rc = int_arg(a, v, 2, 1024, &head_dim, err);
        else if (strcmp(a, "--ffn") == 0)
            rc = int_arg(a, v, 1, 1 << 18, &ffn, err);
        else if (strcmp(a, "--vocab") == 0)
            rc = int_arg(a, v, 1, 1 << 22, &vocab, err);
        else if (strcmp(a, "--max-pos") == 0)
            rc = int_arg(a, v, 1, 1 << 24, &max_pos, err);
        else if (strcmp(a, "--seed") == 0) {
            char *end;
            errno = 0;
            seed = strtoull(v, &end, 10);
            if (end == v || *end || errno || v[0] == '-')
                rc = rlpt_errf(err, RLPT_EUSAGE,
                               "init-model: --seed must be a non-negative "
                               "integer, got '%s'",
                               v);
        } else if (strcmp(a, "--std") == 0) {
            char *end;
            std = strtod(v, &end);
            if (end == v || *end || !(std >= 0.0 && std <= 10.0))
                rc = rlpt_errf(err, RLPT_EUSAGE, "init-model: --std must be in 0..10, got '%s'", v);
        } else
            return rlpt_errf(err, RLPT_EUSAGE,
                             "init-model: unknown option '%s' (see rlpt "
                             "init-model --help)",
                             a);
    }
    if (rc) return rc;
    if (!arch || !out)
        return rlpt_errf(err, RLPT_EUSAGE, "init-model: --arch and --out are required");
    int arch_id = strcmp(arch, "llama") == 0   ? POLICY_ARCH_LLAMA
                  : strcmp(arch, "qwen2") == 0 ? POLICY_ARCH_QWEN2
                                               : -1;
    if (arch_id < 0)
        return rlpt_errf(err, RLPT_EUSAGE, "init-model: --arch must be llama or qwen2, got '%s'",
                         arch);
    int dt = strcmp(dtype, "float32") == 0    ? POLICY_DTYPE_F32
             : strcmp(dtype, "bfloat16") == 0 ? POLICY_DTYPE_BF16
                                              : -1;
    if (dt < 0)
        return rlpt_errf(err, RLPT_EUSAGE,
                         "init-model: --dtype must be float32 or bfloat16, "
                         "got '%s'",
                         dtype);
    policy_config cfg;
    policy_config_default(&cfg, arch_id);
    if (tokdir) {
        int tok_vocab;
        if ((rc = tokenizer_facts(tokdir, &tok_vocab, &cfg, err))) return rc;
        if (vocab && vocab < tok_vocab)
            return rlpt_errf(err, RLPT_EUSAGE,
                             "init-model: --vocab %d is smaller than the "
                             "tokenizer's %d tokens",
                             vocab, tok_vocab);
        if (!vocab) vocab = tok_vocab;
    }
    cfg.C = hidden, cfg.L = layers, cfg.H = heads, cfg.KVH = kv, cfg.F = ffn;
    cfg.D = head_dim ? head_dim : hidden / heads;
    cfg.V = vocab ? vocab : 512;
    cfg.max_pos = max_pos;
    cfg.tied = tied;
    if ((rc = policy_config_check(&cfg, "init-model", err))) {
        err->code = RLPT_EUSAGE;
        return RLPT_EUSAGE;
    }
    policy_memplan mp;
    policy_memplan_compute(&mp, &cfg, 1, 1, 0);
    mp.total = mp.params; /* only the weights are allocated */
    if ((rc = policy_memplan_check(&mp, policy_mem_available(), 1, 1, 0, err))) return rc;
    policy_model m;
    if ((rc = policy_model_init(&m, &cfg, err))) return rc;
    policy_model_randomize(&m, seed, (float)std);
    rc = policy_model_save(&m, out, dt, 0, err);
    if (!rc && tokdir) rc = copy_tokenizer(tokdir, out, err);
    if (!rc)
        printf("wrote %s: %s, %zu parameters, hidden %d, layers %d, heads %d/%d, vocab %d\n", out,
               arch, m.layout.total, cfg.C, cfg.L, cfg.H, cfg.KVH, cfg.V);
    policy_model_free(&m);
    return rc;
}

const rl_cmd rl_cmd_init_model = {"init-model", "write a random Hugging Face-format model", usage,
                                  run};
