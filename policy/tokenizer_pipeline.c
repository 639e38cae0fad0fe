/* policy/tokenizer_pipeline.c: the pipeline parts of tokenizer.json: normalizer (NFC, NFD, NFKC,
 * NFKD, Sequence), pre-tokenizer (Split, ByteLevel, Digits, Sequence), post-processor
 * (TemplateProcessing, ByteLevel, Sequence) and the added-token tries. Anything else is refused
 * with RLPT_EUNSUPPORTED naming the key and the type. The vocabulary, merges and the file as a
 * whole are tokenizer_load.c's.
 * Reference: huggingface/tokenizers src/{normalizers,pre_tokenizers,processors}/ serialization. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tokenizer_internal.h"

/* ---- pipeline parts -------------------------------------------------------------------------- */

int tok_load_normalizer(tok_loader *L, const cJSON *n, const char *where) {
    policy_tokenizer *tok = L->tok;
    if (!n || cJSON_IsNull(n)) return 0;
    const char *t = tok_json_type(n);
    if (!t) return rlpt_errf(L->err, RLPT_EFORMAT, "%s: %s has no \"type\"", L->name, where);
    if (strcmp(t, "Sequence") == 0) {
        const cJSON *list = cJSON_GetObjectItemCaseSensitive(n, "normalizers");
        if (!cJSON_IsArray(list))
            return rlpt_errf(L->err, RLPT_EFORMAT, "%s: %s.normalizers must be an array", L->name,
                             where);
        int i = 0;
        for (const cJSON *c = list->child; c; c = c->next, i++) {
            char w[96];
            snprintf(w, sizeof w, "%s.normalizers[%d]", where, i);
            int rc = tok_load_normalizer(L, c, w);
            if (rc) return rc;
        }
        return 0;
    }
    int kind = strcmp(t, "NFC") == 0    ? TOK_NORM_NFC
               : strcmp(t, "NFD") == 0  ? TOK_NORM_NFD
               : strcmp(t, "NFKC") == 0 ? TOK_NORM_NFKC
               : strcmp(t, "NFKD") == 0 ? TOK_NORM_NFKD
                                        : -1;
    if (kind < 0)
        return rlpt_errf(L->err, RLPT_EUNSUPPORTED,
                         "%s: %s type '%s' is not supported (rlpt has NFC, NFD, NFKC, NFKD and "
                         "Sequence)",
                         L->name, where, t);
    if (tok->n_norm == (int)(sizeof tok->norm / sizeof tok->norm[0]))
        return rlpt_errf(L->err, RLPT_EUNSUPPORTED, "%s: %s: more than 8 normalizers", L->name,
                         where);
    tok->norm[tok->n_norm++] = kind;
    return 0;
}

int tok_load_pretok(tok_loader *L, const cJSON *p, const char *where) {
    policy_tokenizer *tok = L->tok;
    if (!p || cJSON_IsNull(p)) return 0;
    const char *t = tok_json_type(p);
    char w[128];
    if (!t) return rlpt_errf(L->err, RLPT_EFORMAT, "%s: %s has no \"type\"", L->name, where);
    if (strcmp(t, "Sequence") == 0) {
        const cJSON *list = cJSON_GetObjectItemCaseSensitive(p, "pretokenizers");
        if (!cJSON_IsArray(list))
            return rlpt_errf(L->err, RLPT_EFORMAT, "%s: %s.pretokenizers must be an array", L->name,
                             where);
        int i = 0;
        for (const cJSON *c = list->child; c; c = c->next, i++) {
            snprintf(w, sizeof w, "%s.pretokenizers[%d]", where, i);
            int rc = tok_load_pretok(L, c, w);
            if (rc) return rc;
        }
        return 0;
    }
    if (tok->n_pre == (int)(sizeof tok->pre / sizeof tok->pre[0]))
        return rlpt_errf(L->err, RLPT_EUNSUPPORTED, "%s: %s: more than 8 pre-tokenizers", L->name,
                         where);
    if (tok->byte_level)
        return rlpt_errf(L->err, RLPT_EUNSUPPORTED,
                         "%s: %s ('%s') follows ByteLevel; rlpt supports ByteLevel only as the "
                         "last pre-tokenizer",
                         L->name, where, t);
    tok_pre_step *st = &tok->pre[tok->n_pre];
    memset(st, 0, sizeof *st);
    int rc;
    snprintf(w, sizeof w, "%s: %s", L->name, where);
    if (strcmp(t, "Split") == 0) {
        const cJSON *pat = cJSON_GetObjectItemCaseSensitive(p, "pattern");
        const cJSON *rx = cJSON_GetObjectItemCaseSensitive(pat, "Regex");
        const cJSON *lit = cJSON_GetObjectItemCaseSensitive(pat, "String");
        const cJSON *beh = cJSON_GetObjectItemCaseSensitive(p, "behavior");
        int invert;
        if ((rc = tok_json_bool(p, "invert", 0, w, &invert, L->err))) return rc;
        if (!cJSON_IsString(rx) && !cJSON_IsString(lit))
            return rlpt_errf(L->err, RLPT_EFORMAT,
                             "%s: %s.pattern must be {\"Regex\": ...} or {\"String\": ...}",
                             L->name, where);
        if (!cJSON_IsString(beh))
            return rlpt_errf(L->err, RLPT_EFORMAT, "%s: %s.behavior must be a string", L->name,
                             where);
        if (invert)
            return rlpt_errf(L->err, RLPT_EUNSUPPORTED,
                             "%s: %s: Split with \"invert\": true is not supported", L->name,
                             where);
        if (strcmp(beh->valuestring, "Isolated") == 0)
            st->behavior = TOK_SPLIT_ISOLATED;
        else if (strcmp(beh->valuestring, "Removed") == 0)
            st->behavior = TOK_SPLIT_REMOVED;
        else
            return rlpt_errf(L->err, RLPT_EUNSUPPORTED,
                             "%s: %s: Split behavior '%s' is not supported (rlpt has Isolated "
                             "and Removed)",
                             L->name, where, beh->valuestring);
        char w2[160];
        snprintf(w2, sizeof w2, "%s: %s.pattern", L->name, where);
        if ((rc =
                 tok_regex_compile(&st->re, cJSON_IsString(rx) ? rx->valuestring : lit->valuestring,
                                   !cJSON_IsString(rx), w2, L->err)))
            return rc;
        st->kind = TOK_PRE_SPLIT;
    } else if (strcmp(t, "ByteLevel") == 0) {
        int use_regex, trim;
        if ((rc = tok_json_bool(p, "add_prefix_space", 1, w, &st->add_prefix_space, L->err)) ||
            (rc = tok_json_bool(p, "use_regex", 1, w, &use_regex, L->err)) ||
            (rc = tok_json_bool(p, "trim_offsets", 1, w, &trim, L->err)))
            return rc;
        if (use_regex && (rc = tok_regex_compile(
                              &st->re,
                              "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+"
                              "|\\s+(?!\\S)|\\s+",
                              0, w, L->err)))
            return rc;
        st->kind = TOK_PRE_BYTELEVEL;
        tok->byte_level = 1;
    } else if (strcmp(t, "Digits") == 0) {
        if ((rc = tok_json_bool(p, "individual_digits", 0, w, &st->individual_digits, L->err)))
            return rc;
        st->kind = TOK_PRE_DIGITS;
    } else {
        return rlpt_errf(L->err, RLPT_EUNSUPPORTED,
                         "%s: %s type '%s' is not supported (rlpt has Split, ByteLevel, Digits "
                         "and Sequence)",
                         L->name, where, t);
    }
    tok->n_pre++;
    return 0;
}

static int push_id(int32_t **v, int *n, int32_t id) {
    int32_t *p = realloc(*v, (size_t)(*n + 1) * sizeof *p);
    if (!p) return RLPT_ENOMEM;
    p[(*n)++] = id;
    *v = p;
    return 0;
}

int tok_load_postproc(tok_loader *L, const cJSON *p, const char *where) {
    policy_tokenizer *tok = L->tok;
    if (!p || cJSON_IsNull(p)) return 0;
    const char *t = tok_json_type(p);
    if (!t) return rlpt_errf(L->err, RLPT_EFORMAT, "%s: %s has no \"type\"", L->name, where);
    if (strcmp(t, "ByteLevel") == 0) return 0; /* offsets only: ids unchanged */
    if (strcmp(t, "Sequence") == 0) {
        const cJSON *list = cJSON_GetObjectItemCaseSensitive(p, "processors");
        if (!cJSON_IsArray(list))
            return rlpt_errf(L->err, RLPT_EFORMAT, "%s: %s.processors must be an array", L->name,
                             where);
        int i = 0;
        for (const cJSON *c = list->child; c; c = c->next, i++) {
            char w[96];
            snprintf(w, sizeof w, "%s.processors[%d]", where, i);
            int rc = tok_load_postproc(L, c, w);
            if (rc) return rc;
        }
        return 0;
    }
    if (strcmp(t, "TemplateProcessing") != 0)
        return rlpt_errf(L->err, RLPT_EUNSUPPORTED,
                         "%s: %s type '%s' is not supported (rlpt has TemplateProcessing, "
                         "ByteLevel and Sequence)",
                         L->name, where, t);
    if (tok->n_tmpl_pre || tok->n_tmpl_post)
        return rlpt_errf(L->err, RLPT_EUNSUPPORTED, "%s: %s: a second TemplateProcessing", L->name,
                         where);
    const cJSON *single = cJSON_GetObjectItemCaseSensitive(p, "single");
    const cJSON *specials = cJSON_GetObjectItemCaseSensitive(p, "special_tokens");
    if (!cJSON_IsArray(single))
        return rlpt_errf(L->err, RLPT_EFORMAT, "%s: %s.single must be an array", L->name, where);
    int seen_a = 0, i = 0;
    for (const cJSON *it = single->child; it; it = it->next, i++) {
        const cJSON *sp = cJSON_GetObjectItemCaseSensitive(it, "SpecialToken");
        const cJSON *sq = cJSON_GetObjectItemCaseSensitive(it, "Sequence");
        if (sq) {
            const cJSON *id = cJSON_GetObjectItemCaseSensitive(sq, "id");
            if (seen_a || !cJSON_IsString(id) || strcmp(id->valuestring, "A") != 0)
                return rlpt_errf(L->err, RLPT_EUNSUPPORTED,
                                 "%s: %s.single[%d]: only one Sequence \"A\" is supported", L->name,
                                 where, i);
            seen_a = 1;
            continue;
        }
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(sp, "id");
        if (!cJSON_IsString(name))
            return rlpt_errf(L->err, RLPT_EFORMAT,
                             "%s: %s.single[%d] must be {\"SpecialToken\": {\"id\": ...}} or "
                             "{\"Sequence\": ...}",
                             L->name, where, i);
        const cJSON *ent = cJSON_GetObjectItemCaseSensitive(specials, name->valuestring);
        const cJSON *ids = cJSON_GetObjectItemCaseSensitive(ent, "ids");
        int rc = 0;
        if (cJSON_IsArray(ids)) {
            for (const cJSON *x = ids->child; x && !rc; x = x->next) {
                int32_t id;
                if (tok_json_id(x, &id) || id >= tok->n_ids || !tok->str[id])
                    return rlpt_errf(L->err, RLPT_EFORMAT,
                                     "%s: %s.special_tokens['%s'].ids holds an unknown id", L->name,
                                     where, name->valuestring);
                rc = seen_a ? push_id(&tok->tmpl_post, &tok->n_tmpl_post, id)
                            : push_id(&tok->tmpl_pre, &tok->n_tmpl_pre, id);
            }
        } else {
            int32_t id = policy_tokenizer_token_to_id(tok, name->valuestring);
            if (id < 0)
                return rlpt_errf(L->err, RLPT_EFORMAT,
                                 "%s: %s.single[%d]: special token '%s' is not in the vocabulary",
                                 L->name, where, i, name->valuestring);
            rc = seen_a ? push_id(&tok->tmpl_post, &tok->n_tmpl_post, id)
                        : push_id(&tok->tmpl_pre, &tok->n_tmpl_pre, id);
        }
        if (rc) return rlpt_errf(L->err, RLPT_ENOMEM, "%s: out of memory", L->name);
    }
    return 0;
}

/* Inserts an added token's match string into a trie. */
static int trie_add(tok_trie *t, const char *s, size_t n, int32_t added) {
    if (t->n == 0) {
        t->node = malloc(64 * sizeof *t->node);
        if (!t->node) return RLPT_ENOMEM;
        t->cap = 64;
        t->node[0] = (tok_trie_node){-1, -1, -1, 0};
        t->n = 1;
    }
    int32_t node = 0;
    for (size_t i = 0; i < n; i++) {
        int32_t c = t->node[node].child;
        while (c >= 0 && t->node[c].byte != (unsigned char)s[i]) c = t->node[c].sibling;
        if (c < 0) {
            if (t->n == t->cap) {
                tok_trie_node *p = realloc(t->node, 2 * t->cap * sizeof *p);
                if (!p) return RLPT_ENOMEM;
                t->node = p;
                t->cap *= 2;
            }
            c = (int32_t)t->n++;
            t->node[c] = (tok_trie_node){-1, t->node[node].child, -1, (uint8_t)s[i]};
            t->node[node].child = c;
        }
        node = c;
    }
    if (t->node[node].added < 0) t->node[node].added = added; /* first of equal contents wins */
    t->first[(unsigned char)s[0]] = 1;
    return 0;
}

int tok_load_added_tries(tok_loader *L) {
    policy_tokenizer *tok = L->tok;
    for (int i = 0; i < tok->n_added; i++) {
        tok_added *a = &tok->added[i];
        int rc;
        if (a->normalized && tok->n_norm > 0) {
            size_t nl;
            if ((rc = tok_normalize(tok->norm, tok->n_norm, a->content, a->len, &a->norm, &nl,
                                    L->err)))
                return rc;
            a->norm_len = (uint32_t)nl;
            rc = nl ? trie_add(&tok->trie_norm, a->norm, nl, i) : 0;
        } else {
            rc = trie_add(&tok->trie_raw, a->content, a->len, i);
        }
        if (rc) return rlpt_errf(L->err, RLPT_ENOMEM, "%s: out of memory", L->name);
    }
    return 0;
}
