/* policy/tokenizer_load.c: reads tokenizer.json (and tokenizer_config.json) into a
 * policy_tokenizer: the file as a whole, the BPE vocabulary and merges (both "a b" strings and
 * ["a", "b"] pairs), the added tokens and their flags, the decoder, the config's clean-up and
 * bos/eos; the normalizer, pre-tokenizer and post-processor are tokenizer_pipeline.c's.
 * Everything the file asks for is either implemented exactly or refused with RLPT_EUNSUPPORTED
 * naming the key, so a tokenizer never silently encodes differently from Hugging Face.
 * Leaves out WordPiece/Unigram models, truncation and padding.
 * Reference: huggingface/tokenizers src/tokenizer/serialization.rs,
 * src/models/bpe/serialization.rs. */
#define _POSIX_C_SOURCE 200809L
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "rlpt_io.h"
#include "tokenizer_internal.h"

#define TOK_MAX_FILE (512u << 20)
#define TOK_MAX_IDS  (1 << 22) /* 4M ids: the largest vocabularies have ~260k */
/* ---- JSON helpers ---------------------------------------------------------------------------- */

static int parse_json(cJSON **out, const char *s, size_t n, const char *name, rlpt_err *err) {
    const char *end = NULL;
    *out = cJSON_ParseWithLengthOpts(s, n, &end, 0);
    if (*out) return 0;
    const char *at = end ? end : cJSON_GetErrorPtr();
    size_t off = at && at >= s && at <= s + n ? (size_t)(at - s) : 0;
    int line = 1, col = 1;
    for (size_t i = 0; i < off; i++) {
        if (s[i] == '\n')
            line++, col = 1;
        else
            col++;
    }
    return rlpt_errf(err, RLPT_EFORMAT, "%s:%d:%d: not valid JSON (byte %zu of %zu)", name, line,
                     col, off, n);
}

/* A key that must be absent or null/false/empty to be ignorable. */
int tok_json_nullish(const cJSON *v) {
    return !v || cJSON_IsNull(v) || cJSON_IsFalse(v) || (cJSON_IsString(v) && !v->valuestring[0]);
}

int tok_json_bool(const cJSON *obj, const char *key, int dflt, const char *where, int *out,
                  rlpt_err *err) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!v || cJSON_IsNull(v)) {
        *out = dflt;
        return 0;
    }
    if (!cJSON_IsBool(v))
        return rlpt_errf(err, RLPT_EFORMAT, "%s.%s must be true or false", where, key);
    *out = cJSON_IsTrue(v);
    return 0;
}

const char *tok_json_type(const cJSON *obj) {
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(obj, "type");
    return cJSON_IsString(t) ? t->valuestring : NULL;
}
/* ---- vocabulary ------------------------------------------------------------------------------ */

int tok_json_id(const cJSON *v, int32_t *id) {
    if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble >= TOK_MAX_IDS ||
        v->valuedouble != (double)(int32_t)v->valuedouble)
        return -1;
    *id = (int32_t)v->valuedouble;
    return 0;
}

/* Decodes a ByteLevel token back to bytes (out has room for len bytes); -1 when a character is
 * not one of the 256 of the table (such a token can only be decoded, never produced). */
static long bytelevel_unmap(const char *s, size_t n, const int16_t *cp_to_byte, char *out) {
    size_t i = 0, m = 0;
    while (i < n) {
        uint32_t cp;
        size_t k = tok_utf8_decode((const unsigned char *)s + i, n - i, &cp);
        if (!k || cp >= 324 || cp_to_byte[cp] < 0) return -1;
        out[m++] = (char)cp_to_byte[cp];
        i += k;
    }
    return (long)m;
}

static int build_vocab(tok_loader *L, const cJSON *vocab, const cJSON *added) {
    policy_tokenizer *tok = L->tok;
    rlpt_err *err = L->err;
    if (!cJSON_IsObject(vocab))
        return rlpt_errf(err, RLPT_EFORMAT, "%s: model.vocab must be an object {token: id}",
                         L->name);
    int32_t max_id = -1;
    size_t bytes = 0;
    for (const cJSON *v = vocab->child; v; v = v->next) {
        int32_t id;
        if (tok_json_id(v, &id))
            return rlpt_errf(err, RLPT_EFORMAT, "%s: model.vocab['%.80s'] must be an id in [0, %d)",
                             L->name, v->string, TOK_MAX_IDS);
        if (id > max_id) max_id = id;
        bytes += 2 * strlen(v->string) + 2;
    }
    L->max_vocab_id = max_id;
    if (added && !cJSON_IsArray(added))
        return rlpt_errf(err, RLPT_EFORMAT, "%s: added_tokens must be an array", L->name);
    int n_added = cJSON_GetArraySize(added);
    int k = 0;
    for (const cJSON *a = added ? added->child : NULL; a; a = a->next, k++) {
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(a, "id");
        const cJSON *c = cJSON_GetObjectItemCaseSensitive(a, "content");
        int32_t i;
        if (!cJSON_IsObject(a) || tok_json_id(id, &i) || !cJSON_IsString(c) || !c->valuestring[0])
            return rlpt_errf(err, RLPT_EFORMAT,
                             "%s: added_tokens[%d] needs an \"id\" in [0, %d) and a non-empty "
                             "\"content\"",
                             L->name, k, TOK_MAX_IDS);
        if (i > max_id) max_id = i;
        bytes += strlen(c->valuestring) + 1;
    }
    tok->n_ids = max_id + 1;
    size_t n = (size_t)tok->n_ids;
    tok->str = calloc(n, sizeof *tok->str);
    tok->raw = calloc(n, sizeof *tok->raw);
    tok->len = calloc(n, sizeof *tok->len);
    tok->raw_len = calloc(n, sizeof *tok->raw_len);
    tok->is_model = calloc(n, 1);
    tok->is_added = calloc(n, 1);
    tok->is_special = calloc(n, 1);
    tok->arena = malloc(bytes + 1);
    tok->added = calloc((size_t)n_added + 1, sizeof *tok->added);
    if (!tok->str || !tok->raw || !tok->len || !tok->raw_len || !tok->is_model || !tok->is_added ||
        !tok->is_special || !tok->arena || !tok->added)
        return rlpt_errf(err, RLPT_ENOMEM, "%s: out of memory for %zu tokens", L->name, n);
    uint32_t b2c[256];
    int16_t c2b[324];
    tok_bytelevel_tables(b2c, c2b);
    char *ap = tok->arena;
    for (const cJSON *v = vocab->child; v; v = v->next) {
        int32_t id = (int32_t)v->valuedouble;
        size_t len = strlen(v->string);
        if (tok->str[id])
            return rlpt_errf(err, RLPT_EFORMAT,
                             "%s: model.vocab gives id %ld to both '%.80s' and '%.80s'", L->name,
                             (long)id, tok->str[id], v->string);
        memcpy(ap, v->string, len + 1);
        tok->str[id] = ap, tok->len[id] = (uint32_t)len, ap += len + 1;
        tok->is_model[id] = 1;
        long m = tok->byte_level ? bytelevel_unmap(v->string, len, c2b, ap) : -1;
        if (m >= 0) {
            ap[m] = '\0';
            tok->raw[id] = ap, tok->raw_len[id] = (uint32_t)m, ap += m + 1;
        } else {
            tok->raw[id] = tok->str[id], tok->raw_len[id] = (uint32_t)len;
        }
    }
    k = 0;
    for (const cJSON *a = added ? added->child : NULL; a; a = a->next, k++) {
        tok_added *t = &tok->added[tok->n_added++];
        const char *content = cJSON_GetObjectItemCaseSensitive(a, "content")->valuestring;
        tok_json_id(cJSON_GetObjectItemCaseSensitive(a, "id"), &t->id);
        size_t len = strlen(content);
        memcpy(ap, content, len + 1);
        t->content = ap, t->len = (uint32_t)len, ap += len + 1;
        int special, lstrip, rstrip, single_word, normalized, rc;
        char where[64];
        snprintf(where, sizeof where, "%s: added_tokens[%d]", L->name, k);
        if ((rc = tok_json_bool(a, "special", 0, where, &special, err)) ||
            (rc = tok_json_bool(a, "lstrip", 0, where, &lstrip, err)) ||
            (rc = tok_json_bool(a, "rstrip", 0, where, &rstrip, err)) ||
            (rc = tok_json_bool(a, "single_word", 0, where, &single_word, err)) ||
            (rc = tok_json_bool(a, "normalized", !special, where, &normalized, err)))
            return rc;
        t->special = (uint8_t)special, t->lstrip = (uint8_t)lstrip, t->rstrip = (uint8_t)rstrip;
        t->single_word = (uint8_t)single_word, t->normalized = (uint8_t)normalized;
        /* An added token replaces the model's string for its id (decode shows the content). */
        tok->str[t->id] = (char *)t->content, tok->len[t->id] = t->len;
        tok->raw[t->id] = (char *)t->content, tok->raw_len[t->id] = t->len;
        tok->is_added[t->id] = 1;
        tok->is_special[t->id] = (uint8_t)special;
    }
    if (tok_map_init(&tok->by_str, n, (const char *const *)tok->str, tok->len) ||
        tok_map_init(&tok->by_raw, n, (const char *const *)tok->raw, tok->raw_len))
        return rlpt_errf(err, RLPT_ENOMEM, "%s: out of memory", L->name);
    for (int i = 0; i < tok->n_added; i++) tok_map_put(&tok->by_str, tok->added[i].id);
    for (int32_t id = 0; id < tok->n_ids; id++) {
        if (!tok->is_model[id] || tok->is_added[id]) continue;
        tok_map_put(&tok->by_str, id);
        if (!tok->byte_level || tok->raw[id] != tok->str[id] || tok->len[id] == 0)
            tok_map_put(&tok->by_raw, id);
    }
    return 0;
}

static int build_merges(tok_loader *L, const cJSON *merges) {
    policy_tokenizer *tok = L->tok;
    if (!merges || cJSON_IsNull(merges))
        merges = NULL;
    else if (!cJSON_IsArray(merges))
        return rlpt_errf(L->err, RLPT_EFORMAT, "%s: model.merges must be an array", L->name);
    size_t n = (size_t)cJSON_GetArraySize(merges);
    if (tok_merges_init(&tok->merges, n))
        return rlpt_errf(L->err, RLPT_ENOMEM, "%s: out of memory for %zu merges", L->name, n);
    char small[512];
    int32_t rank = 0;
    for (const cJSON *m = merges ? merges->child : NULL; m; m = m->next, rank++) {
        const char *a, *b;
        size_t al, bl;
        if (cJSON_IsString(m)) {
            const char *sp = strchr(m->valuestring, ' ');
            if (!sp || strchr(sp + 1, ' '))
                return rlpt_errf(L->err, RLPT_EFORMAT,
                                 "%s: model.merges[%ld] = '%.80s' is not two tokens separated by "
                                 "one space",
                                 L->name, (long)rank, m->valuestring);
            a = m->valuestring, al = (size_t)(sp - a), b = sp + 1, bl = strlen(b);
        } else if (cJSON_IsArray(m) && cJSON_GetArraySize(m) == 2 && cJSON_IsString(m->child) &&
                   cJSON_IsString(m->child->next)) {
            a = m->child->valuestring, al = strlen(a);
            b = m->child->next->valuestring, bl = strlen(b);
        } else {
            return rlpt_errf(L->err, RLPT_EFORMAT,
                             "%s: model.merges[%ld] must be \"a b\" or [\"a\", \"b\"]", L->name,
                             (long)rank);
        }
        int32_t ia = tok_map_get(&tok->by_str, a, al), ib = tok_map_get(&tok->by_str, b, bl);
        char *ab = al + bl + 1 <= sizeof small ? small : malloc(al + bl + 1);
        if (!ab) return rlpt_errf(L->err, RLPT_ENOMEM, "%s: out of memory", L->name);
        memcpy(ab, a, al);
        memcpy(ab + al, b, bl);
        int32_t iab = tok_map_get(&tok->by_str, ab, al + bl);
        int bad = ia < 0 ? 1 : ib < 0 ? 2 : iab < 0 ? 3 : 0;
        if (bad) {
            int rc = rlpt_errf(L->err, RLPT_EFORMAT,
                               "%s: model.merges[%ld] ('%.*s' + '%.*s') names a token not in "
                               "model.vocab: '%.*s'",
                               L->name, (long)rank, (int)al, a, (int)bl, b,
                               bad == 1   ? (int)al
                               : bad == 2 ? (int)bl
                                          : (int)(al + bl),
                               bad == 1   ? a
                               : bad == 2 ? b
                                          : ab);
            if (ab != small) free(ab);
            return rc;
        }
        if (ab != small) free(ab);
        tok_merges_put(&tok->merges, ia, ib, rank, iab);
    }
    return 0;
}
static int32_t config_token_id(const policy_tokenizer *tok, const cJSON *cfg, const char *key) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(cfg, key);
    if (cJSON_IsObject(v)) v = cJSON_GetObjectItemCaseSensitive(v, "content");
    return cJSON_IsString(v) ? policy_tokenizer_token_to_id(tok, v->valuestring) : -1;
}

static int read_config(tok_loader *L, const char *cfg_json, size_t cfg_len, const char *name) {
    policy_tokenizer *tok = L->tok;
    tok->clean_up = 1; /* transformers' and tokenizers.js's default */
    tok->bos_id = tok->eos_id = -1;
    if (!cfg_json) return 0;
    cJSON *cfg;
    int rc = parse_json(&cfg, cfg_json, cfg_len, name, L->err);
    if (rc) return rc;
    if (!cJSON_IsObject(cfg)) {
        cJSON_Delete(cfg);
        return rlpt_errf(L->err, RLPT_EFORMAT, "%s: must be a JSON object", name);
    }
    const cJSON *cu = cJSON_GetObjectItemCaseSensitive(cfg, "clean_up_tokenization_spaces");
    if (cJSON_IsBool(cu))
        tok->clean_up = cJSON_IsTrue(cu);
    else if (cu && !cJSON_IsNull(cu))
        rc = rlpt_errf(L->err, RLPT_EFORMAT,
                       "%s: clean_up_tokenization_spaces must be true or false", name);
    tok->bos_id = config_token_id(tok, cfg, "bos_token");
    tok->eos_id = config_token_id(tok, cfg, "eos_token");
    const cJSON *extra = cJSON_GetObjectItemCaseSensitive(cfg, "additional_special_tokens");
    for (const cJSON *x = cJSON_IsArray(extra) ? extra->child : NULL; x; x = x->next) {
        int32_t id = cJSON_IsString(x) ? policy_tokenizer_token_to_id(tok, x->valuestring) : -1;
        if (id >= 0) tok->is_special[id] = 1;
    }
    cJSON_Delete(cfg);
    return rc;
}

static int load_parsed(tok_loader *L, const cJSON *root) {
    policy_tokenizer *tok = L->tok;
    rlpt_err *err = L->err;
    if (!cJSON_IsObject(root))
        return rlpt_errf(err, RLPT_EFORMAT, "%s: the top level must be a JSON object", L->name);
    const cJSON *model = cJSON_GetObjectItemCaseSensitive(root, "model");
    const char *mt = tok_json_type(model);
    if (!cJSON_IsObject(model))
        return rlpt_errf(err, RLPT_EFORMAT, "%s: no \"model\" object", L->name);
    if (mt && strcmp(mt, "BPE") != 0)
        return rlpt_errf(err, RLPT_EUNSUPPORTED,
                         "%s: model.type '%s' is not supported (rlpt has BPE)", L->name, mt);
    if (!mt && !cJSON_GetObjectItemCaseSensitive(model, "merges"))
        return rlpt_errf(err, RLPT_EUNSUPPORTED, "%s: model has no type and no merges: not BPE",
                         L->name);
    static const char *const refuse_top[] = {"truncation", "padding"};
    for (size_t i = 0; i < 2; i++)
        if (!tok_json_nullish(cJSON_GetObjectItemCaseSensitive(root, refuse_top[i])))
            return rlpt_errf(err, RLPT_EUNSUPPORTED,
                             "%s: \"%s\" is set; rlpt does not truncate or pad in the tokenizer "
                             "(set it to null)",
                             L->name, refuse_top[i]);
    static const char *const refuse_model[] = {"dropout", "continuing_subword_prefix",
                                               "end_of_word_suffix"};
    for (size_t i = 0; i < 3; i++)
        if (!tok_json_nullish(cJSON_GetObjectItemCaseSensitive(model, refuse_model[i])))
            return rlpt_errf(err, RLPT_EUNSUPPORTED, "%s: model.%s is not supported", L->name,
                             refuse_model[i]);
    int rc;
    /* The pre-tokenizer first: whether it is byte-level decides how the vocabulary is keyed. */
    if ((rc = tok_load_normalizer(L, cJSON_GetObjectItemCaseSensitive(root, "normalizer"),
                                  "normalizer")) ||
        (rc = tok_load_pretok(L, cJSON_GetObjectItemCaseSensitive(root, "pre_tokenizer"),
                              "pre_tokenizer")))
        return rc;
    if ((rc = build_vocab(L, cJSON_GetObjectItemCaseSensitive(model, "vocab"),
                          cJSON_GetObjectItemCaseSensitive(root, "added_tokens"))) ||
        (rc = build_merges(L, cJSON_GetObjectItemCaseSensitive(model, "merges"))))
        return rc;
    if ((rc = tok_json_bool(model, "ignore_merges", 0, "model", &tok->ignore_merges, err)) ||
        (rc = tok_json_bool(model, "byte_fallback", 0, "model", &tok->byte_fallback, err)) ||
        (rc = tok_json_bool(model, "fuse_unk", 0, "model", &tok->fuse_unk, err)))
        return rc;
    const cJSON *unk = cJSON_GetObjectItemCaseSensitive(model, "unk_token");
    tok->unk_id = -1;
    if (cJSON_IsString(unk)) {
        tok->unk_id = tok_map_get(&tok->by_str, unk->valuestring, strlen(unk->valuestring));
        if (tok->unk_id < 0)
            return rlpt_errf(err, RLPT_EFORMAT, "%s: model.unk_token '%s' is not in model.vocab",
                             L->name, unk->valuestring);
    }
    uint32_t b2c[256];
    tok_bytelevel_tables(b2c, NULL);
    for (int b = 0; b < 256; b++) {
        char u[4], hex[8];
        size_t k = tok_utf8_encode(b2c[b], u);
        tok->byte_id[b] = tok->byte_level ? tok_map_get(&tok->by_str, u, k) : -1;
        snprintf(hex, sizeof hex, "<0x%02X>", b);
        tok->byte_fallback_id[b] = tok_map_get(&tok->by_str, hex, strlen(hex));
    }
    if ((rc = tok_load_added_tries(L)) ||
        (rc = tok_load_postproc(L, cJSON_GetObjectItemCaseSensitive(root, "post_processor"),
                                "post_processor")))
        return rc;
    const cJSON *dec = cJSON_GetObjectItemCaseSensitive(root, "decoder");
    const char *dt = tok_json_type(dec);
    if (dec && !cJSON_IsNull(dec)) {
        if (!dt || strcmp(dt, "ByteLevel") != 0)
            return rlpt_errf(err, RLPT_EUNSUPPORTED,
                             "%s: decoder type '%s' is not supported (rlpt has ByteLevel)", L->name,
                             dt ? dt : "(none)");
        tok->decoder = TOK_DEC_BYTELEVEL;
    }
    if (tok_cache_init(&tok->cache))
        return rlpt_errf(err, RLPT_ENOMEM, "%s: out of memory for the cache", L->name);
    return 0;
}

/* load_json with the config's own name for messages. */
static int load_json_named(policy_tokenizer **out, const char *json, size_t len,
                           const char *config_json, size_t config_len, const char *name,
                           const char *config_name, rlpt_err *err) {
    *out = NULL;
    policy_tokenizer *tok = calloc(1, sizeof *tok);
    if (!tok) return rlpt_errf(err, RLPT_ENOMEM, "%s: out of memory", name);
    tok->name = strdup(name ? name : "tokenizer.json");
    if (!tok->name) {
        free(tok);
        return rlpt_errf(err, RLPT_ENOMEM, "out of memory");
    }
    tok_loader L = {tok, tok->name, err, -1};
    cJSON *root = NULL;
    int rc = parse_json(&root, json, len, tok->name, err);
    if (!rc) rc = load_parsed(&L, root);
    cJSON_Delete(root);
    if (!rc) rc = read_config(&L, config_json, config_len, config_name);
    if (rc) {
        policy_tokenizer_free(tok);
        return rc;
    }
    *out = tok;
    return 0;
}

int policy_tokenizer_load_json(policy_tokenizer **out, const char *json, size_t len,
                               const char *config_json, size_t config_len, const char *name,
                               rlpt_err *err) {
    return load_json_named(out, json, len, config_json, config_len, name, "tokenizer_config.json",
                           err);
}

int policy_tokenizer_load(policy_tokenizer **out, const char *path, rlpt_err *err) {
    *out = NULL;
    struct stat st;
    if (stat(path, &st) != 0)
        return rlpt_errf(err, RLPT_EIO, "tokenizer %s: no such file or directory", path);
    size_t pl = strlen(path);
    char *json_path = malloc(pl + 32), *cfg_path = malloc(pl + 40);
    if (!json_path || !cfg_path) {
        free(json_path);
        free(cfg_path);
        return rlpt_errf(err, RLPT_ENOMEM, "out of memory");
    }
    if (S_ISDIR(st.st_mode)) {
        snprintf(json_path, pl + 32, "%s/tokenizer.json", path);
        snprintf(cfg_path, pl + 40, "%s/tokenizer_config.json", path);
    } else {
        memcpy(json_path, path, pl + 1);
        const char *slash = strrchr(path, '/');
        int dl = slash ? (int)(slash - path) : 1;
        snprintf(cfg_path, pl + 40, "%.*s/tokenizer_config.json", dl, slash ? path : ".");
    }
    char *json = NULL, *cfg = NULL;
    size_t jn = 0, cn = 0;
    int rc = rlpt_read_file(json_path, TOK_MAX_FILE, &json, &jn, err);
    if (!rc && stat(cfg_path, &st) == 0)
        rc = rlpt_read_file(cfg_path, TOK_MAX_FILE, &cfg, &cn, err);
    if (!rc) rc = load_json_named(out, json, jn, cfg, cn, json_path, cfg_path, err);
    free(json);
    free(cfg);
    free(json_path);
    free(cfg_path);
    return rc;
}

void policy_tokenizer_free(policy_tokenizer *tok) {
    if (!tok) return;
    for (int i = 0; i < tok->n_added; i++) free(tok->added[i].norm);
    free(tok->added);
    for (int i = 0; i < tok->n_pre; i++) pcre2_code_free(tok->pre[i].re);
    /* A step whose compile failed half-way is not counted in n_pre: free it too. */
    if (tok->n_pre < (int)(sizeof tok->pre / sizeof tok->pre[0]))
        pcre2_code_free(tok->pre[tok->n_pre].re);
    free(tok->trie_raw.node);
    free(tok->trie_norm.node);
    tok_map_free(&tok->by_str);
    tok_map_free(&tok->by_raw);
    tok_merges_free(&tok->merges);
    tok_cache_free(&tok->cache);
    free(tok->str);
    free(tok->raw);
    free(tok->len);
    free(tok->raw_len);
    free(tok->is_model);
    free(tok->is_added);
    free(tok->is_special);
    free(tok->arena);
    free(tok->tmpl_pre);
    free(tok->tmpl_post);
    free(tok->name);
    free(tok);
}
