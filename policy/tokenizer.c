/* policy/tokenizer.c: encode and decode through a loaded tokenizer.json pipeline:
 *   text -> (invalid UTF-8 -> U+FFFD) -> split out added tokens (raw contents) -> normalizer ->
 *   split out normalized added tokens -> pre-tokenizers -> BPE -> post-processor template,
 * and ids -> tokens -> ByteLevel decoder (added tokens verbatim) -> optional clean-up of spaces.
 * Also the small shared pieces: UTF-8 helpers, id lists and the string->id map.
 * The order and the added-token rules (leftmost-longest match; lstrip/rstrip trim the
 * neighbouring text) follow tokenizers.js's Tokenizer.encode_text/decode, checked against it.
 * Reference: huggingface/tokenizers src/tokenizer/{mod.rs,added_vocabulary.rs}; tokenizers.js. */
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "tokenizer_internal.h"

/* ---- UTF-8 ----------------------------------------------------------------------------------- */

size_t tok_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp) {
    if (n == 0) return 0;
    unsigned c = s[0];
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    size_t len;
    unsigned lo = 0x80, hi = 0xBF;
    uint32_t v;
    if (c >= 0xC2 && c <= 0xDF)
        len = 2, v = c & 0x1F;
    else if (c >= 0xE0 && c <= 0xEF) {
        len = 3, v = c & 0x0F;
        if (c == 0xE0) lo = 0xA0;
        if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4, v = c & 0x07;
        if (c == 0xF0) lo = 0x90;
        if (c == 0xF4) hi = 0x8F;
    } else
        return 0;
    if (n < len) return 0;
    for (size_t i = 1; i < len; i++) {
        unsigned b = s[i];
        if (b < lo || b > hi) return 0;
        lo = 0x80, hi = 0xBF;
        v = v << 6 | (b & 0x3F);
    }
    *cp = v;
    return len;
}

size_t tok_utf8_encode(uint32_t cp, char out[4]) {
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | cp >> 6), out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | cp >> 12), out[1] = (char)(0x80 | (cp >> 6 & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | cp >> 18), out[1] = (char)(0x80 | (cp >> 12 & 0x3F));
    out[2] = (char)(0x80 | (cp >> 6 & 0x3F)), out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Length of the maximal subpart of an ill-formed sequence at s (>= 1): the bytes one U+FFFD
 * replaces under the WHATWG / Unicode "substitution of maximal subparts" practice. */
static size_t bad_prefix_len(const unsigned char *s, size_t n) {
    unsigned c = s[0], lo = 0x80, hi = 0xBF;
    size_t len;
    if (c >= 0xC2 && c <= 0xDF)
        len = 2;
    else if (c >= 0xE0 && c <= 0xEF)
        len = 3, lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
    else if (c >= 0xF0 && c <= 0xF4)
        len = 4, lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
    else
        return 1;
    size_t i = 1;
    for (; i < len && i < n; i++) {
        if (s[i] < lo || s[i] > hi) break;
        lo = 0x80, hi = 0xBF;
    }
    return i;
}

/* Returns s with invalid sequences replaced by U+FFFD in *out (malloc'd), or 0 and *out NULL
 * when s is valid already. */
static int utf8_sanitize(const char *s, size_t n, char **out, size_t *out_len) {
    *out = NULL;
    size_t i = 0;
    uint32_t cp;
    while (i < n) {
        size_t k = tok_utf8_decode((const unsigned char *)s + i, n - i, &cp);
        if (!k) break;
        i += k;
    }
    if (i == n) return 0;
    if (n > (SIZE_MAX - 1) / 3) return RLPT_ENOMEM;
    char *o = malloc(3 * n + 1); /* each bad byte grows to at most 3 */
    if (!o) return RLPT_ENOMEM;
    memcpy(o, s, i);
    size_t m = i;
    while (i < n) {
        size_t k = tok_utf8_decode((const unsigned char *)s + i, n - i, &cp);
        if (k) {
            memcpy(o + m, s + i, k);
            m += k;
            i += k;
        } else {
            memcpy(o + m, "\xEF\xBF\xBD", 3);
            m += 3;
            i += bad_prefix_len((const unsigned char *)s + i, n - i);
        }
    }
    o[m] = '\0';
    *out = o;
    *out_len = m;
    return 0;
}

/* ---- id lists, map --------------------------------------------------------------------------- */

int tok_ids_push(tok_ids *a, int32_t id) {
    if (a->n == a->cap) {
        size_t cap = a->cap ? 2 * a->cap : 64;
        int32_t *v = realloc(a->v, cap * sizeof *v);
        if (!v) return RLPT_ENOMEM;
        a->v = v;
        a->cap = cap;
    }
    a->v[a->n++] = id;
    return 0;
}

int tok_ids_append(tok_ids *a, const int32_t *ids, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (tok_ids_push(a, ids[i])) return RLPT_ENOMEM;
    return 0;
}

uint64_t tok_hash_bytes(const void *p, size_t n) {
    const unsigned char *s = p;
    uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a */
    for (size_t i = 0; i < n; i++) h = (h ^ s[i]) * 0x100000001b3ULL;
    return h ^ (h >> 29);
}

int tok_map_init(tok_map *m, size_t n_keys, const char *const *keys, const uint32_t *lens) {
    size_t cap = 16;
    while (cap < 2 * n_keys + 16) cap <<= 1;
    m->slot = malloc(cap * sizeof *m->slot);
    if (!m->slot) return RLPT_ENOMEM;
    for (size_t i = 0; i < cap; i++) m->slot[i] = -1;
    m->mask = cap - 1;
    m->keys = keys;
    m->lens = lens;
    return 0;
}

void tok_map_free(tok_map *m) {
    free(m->slot);
    m->slot = NULL;
}

void tok_map_put(tok_map *m, int32_t id) {
    const char *k = m->keys[id];
    size_t n = m->lens[id];
    for (size_t i = tok_hash_bytes(k, n) & m->mask;; i = (i + 1) & m->mask) {
        int32_t e = m->slot[i];
        if (e < 0) {
            m->slot[i] = id;
            return;
        }
        if (m->lens[e] == n && memcmp(m->keys[e], k, n) == 0) return;
    }
}

int32_t tok_map_get(const tok_map *m, const char *s, size_t n) {
    if (!m->slot) return -1;
    for (size_t i = tok_hash_bytes(s, n) & m->mask;; i = (i + 1) & m->mask) {
        int32_t e = m->slot[i];
        if (e < 0) return -1;
        if (m->lens[e] == n && memcmp(m->keys[e], s, n) == 0) return e;
    }
}

/* ---- added tokens ---------------------------------------------------------------------------- */

/* JavaScript's String.prototype.trim whitespace (tokenizers.js trims text beside an lstrip /
 * rstrip token with it): WhiteSpace and LineTerminator. */
static size_t js_space_at(const char *s, size_t n) {
    uint32_t cp;
    size_t k = tok_utf8_decode((const unsigned char *)s, n, &cp);
    if (!k) return 0;
    if ((cp >= 9 && cp <= 13) || cp == 0x20 || cp == 0xA0 || cp == 0x1680 ||
        (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F ||
        cp == 0x205F || cp == 0x3000 || cp == 0xFEFF)
        return k;
    return 0;
}

static size_t js_space_before(const char *s, size_t n) {
    if (n == 0) return 0;
    size_t i = n - 1;
    while (i > 0 && ((unsigned char)s[i] & 0xC0) == 0x80) i--;
    size_t k = js_space_at(s + i, n - i);
    return k == n - i ? k : 0;
}

/* Rust regex's \w (what tokenizers' single_word tests): Alphabetic, marks, Nd, Pc. utf8proc
 * has no Alphabetic property: letters, Nl and marks stand for it. */
static int is_word_char_at(const char *s, size_t n) {
    uint32_t cp;
    if (!tok_utf8_decode((const unsigned char *)s, n, &cp)) return 0;
    utf8proc_category_t c = utf8proc_category((utf8proc_int32_t)cp);
    return (c >= UTF8PROC_CATEGORY_LU && c <= UTF8PROC_CATEGORY_LO) ||
           (c >= UTF8PROC_CATEGORY_MN && c <= UTF8PROC_CATEGORY_ME) || c == UTF8PROC_CATEGORY_ND ||
           c == UTF8PROC_CATEGORY_NL || c == UTF8PROC_CATEGORY_PC;
}

/* The added token matched at s[i] (longest), or -1; *len its byte length. A single_word token
 * touching a word character is "discarded" as tokenizers does: *discard is set and the span
 * stays text (the search resumes after it). tokenizers.js ignores single_word. */
static int trie_match(const policy_tokenizer *tok, const tok_trie *t, const char *s, size_t n,
                      size_t i, size_t *len, int *discard) {
    *discard = 0;
    if (!t->n || !t->first[(unsigned char)s[i]]) return -1;
    int32_t node = 0, best = -1;
    size_t best_len = 0;
    for (size_t j = i; j < n; j++) {
        int32_t c = t->node[node].child;
        while (c >= 0 && t->node[c].byte != (unsigned char)s[j]) c = t->node[c].sibling;
        if (c < 0) break;
        node = c;
        if (t->node[node].added >= 0) best = t->node[node].added, best_len = j + 1 - i;
    }
    if (best < 0) return -1;
    *len = best_len;
    if (tok->added[best].single_word) {
        size_t p = i; /* p - 1: the lead byte of the character before s[i] */
        while (p > 0 && ((unsigned char)s[p - 1] & 0xC0) == 0x80) p--;
        if ((i > 0 && p > 0 && is_word_char_at(s + p - 1, n - p + 1)) ||
            (i + best_len < n && is_word_char_at(s + i + best_len, n - i - best_len)))
            *discard = 1;
    }
    return best;
}

typedef struct piece {
    size_t start, len;
    int added; /* index into tok->added, or -1 for text */
} piece;

typedef struct pieces {
    piece *v;
    size_t n, cap;
} pieces;

static int pieces_push(pieces *p, piece x) {
    if (p->n == p->cap) {
        size_t cap = p->cap ? 2 * p->cap : 16;
        piece *v = realloc(p->v, cap * sizeof *v);
        if (!v) return RLPT_ENOMEM;
        p->v = v;
        p->cap = cap;
    }
    p->v[p->n++] = x;
    return 0;
}

/* Splits s into text and added-token pieces, then trims the text beside lstrip/rstrip tokens. */
static int split_added(const policy_tokenizer *tok, const tok_trie *t, const char *s, size_t n,
                       pieces *out) {
    out->n = 0;
    size_t start = 0, i = 0;
    while (i < n) {
        size_t len = 0;
        int discard;
        int a = trie_match(tok, t, s, n, i, &len, &discard);
        if (a < 0 || discard) {
            i += a < 0 ? 1 : len;
            continue;
        }
        if (i > start && pieces_push(out, (piece){start, i - start, -1})) return RLPT_ENOMEM;
        if (pieces_push(out, (piece){i, len, a})) return RLPT_ENOMEM;
        i += len;
        start = i;
    }
    if (start < n && pieces_push(out, (piece){start, n - start, -1})) return RLPT_ENOMEM;
    for (size_t k = 0; k < out->n; k++) {
        if (out->v[k].added < 0) continue;
        const tok_added *a = &tok->added[out->v[k].added];
        if (a->lstrip && k > 0 && out->v[k - 1].added < 0) {
            piece *p = &out->v[k - 1];
            size_t w;
            while (p->len > 0 && (w = js_space_before(s + p->start, p->len)) > 0) p->len -= w;
        }
        if (a->rstrip && k + 1 < out->n && out->v[k + 1].added < 0) {
            piece *p = &out->v[k + 1];
            size_t w;
            while (p->len > 0 && (w = js_space_at(s + p->start, p->len)) > 0)
                p->start += w, p->len -= w;
        }
    }
    return 0;
}

/* Normalizes one text section, splits out normalized added tokens and runs the rest through
 * the pre-tokenizers and the model. */
static int encode_section(const policy_tokenizer *tok, const char *s, size_t n,
                          pcre2_match_data *md, tok_ids *out, rlpt_err *err) {
    /* Every Unicode normal form leaves ASCII as it is: skip the copy. */
    size_t ascii = 0;
    if (tok->n_norm)
        while (ascii < n && (unsigned char)s[ascii] < 0x80) ascii++;
    if ((tok->n_norm == 0 || ascii == n) && tok->trie_norm.n == 0)
        return tok_pretokenize(tok, 0, s, n, md, out, err);
    char *t = NULL;
    size_t tn = 0;
    int rc = tok_normalize(tok->norm, tok->n_norm, s, n, &t, &tn, err);
    if (rc) return rc;
    if (tok->trie_norm.n == 0) {
        rc = tok_pretokenize(tok, 0, t, tn, md, out, err);
        free(t);
        return rc;
    }
    pieces ps = {0};
    rc = split_added(tok, &tok->trie_norm, t, tn, &ps);
    if (rc) rc = rlpt_errf(err, RLPT_ENOMEM, "tokenizer: out of memory");
    for (size_t k = 0; rc == 0 && k < ps.n; k++) {
        if (ps.v[k].added >= 0)
            rc = tok_ids_push(out, tok->added[ps.v[k].added].id);
        else
            rc = tok_pretokenize(tok, 0, t + ps.v[k].start, ps.v[k].len, md, out, err);
    }
    free(ps.v);
    free(t);
    return rc;
}

int policy_tokenizer_encode(const policy_tokenizer *tok, const char *text, size_t len,
                            int add_special, int32_t **ids, size_t *n_ids, rlpt_err *err) {
    *ids = NULL;
    *n_ids = 0;
    if (!text && len) return rlpt_errf(err, RLPT_EINVAL, "tokenizer: NULL text");
    char *clean = NULL;
    if (len && utf8_sanitize(text, len, &clean, &len))
        return rlpt_errf(err, RLPT_ENOMEM, "tokenizer: out of memory for %zu bytes", len);
    const char *s = clean ? clean : text;
    tok_ids out = {0};
    pieces ps = {0};
    int rc = 0;
    pcre2_match_data *md = pcre2_match_data_create(1, NULL);
    if (!md) rc = rlpt_errf(err, RLPT_ENOMEM, "tokenizer: out of memory");
    if (!rc && add_special) rc = tok_ids_append(&out, tok->tmpl_pre, (size_t)tok->n_tmpl_pre);
    if (!rc && len) rc = split_added(tok, &tok->trie_raw, s, len, &ps);
    if (rc == RLPT_ENOMEM) rc = rlpt_errf(err, RLPT_ENOMEM, "tokenizer: out of memory");
    for (size_t k = 0; rc == 0 && k < ps.n; k++) {
        if (ps.v[k].added >= 0) {
            rc = tok_ids_push(&out, tok->added[ps.v[k].added].id);
            if (rc) rc = rlpt_errf(err, RLPT_ENOMEM, "tokenizer: out of memory");
        } else {
            rc = encode_section(tok, s + ps.v[k].start, ps.v[k].len, md, &out, err);
        }
    }
    if (!rc && add_special && tok_ids_append(&out, tok->tmpl_post, (size_t)tok->n_tmpl_post))
        rc = rlpt_errf(err, RLPT_ENOMEM, "tokenizer: out of memory");
    pcre2_match_data_free(md);
    free(ps.v);
    free(clean);
    if (rc) {
        free(out.v);
        return rc;
    }
    *ids = out.v;
    *n_ids = out.n;
    return 0;
}

/* ---- decode ---------------------------------------------------------------------------------- */

typedef struct cbuf {
    char *p;
    size_t n, cap;
} cbuf;

static int cb_put(cbuf *b, const char *s, size_t n) {
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->n + n + 1) cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) return RLPT_ENOMEM;
        b->p = p;
        b->cap = cap;
    }
    if (n) memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
    return 0;
}

/* Appends bytes[0..n) as UTF-8 with each invalid subpart replaced by U+FFFD. */
static int cb_put_lossy(cbuf *b, const char *s, size_t n) {
    char *clean = NULL;
    size_t m = n;
    if (utf8_sanitize(s, n, &clean, &m)) return RLPT_ENOMEM;
    int rc = cb_put(b, clean ? clean : s, m);
    free(clean);
    return rc;
}

/* transformers' clean_up_tokenization: each replacement over the whole text, in this order. */
static int clean_up(cbuf *b) {
    static const char *const from[] = {" .",   " ?",  " !",  " ,",   " ' ",
                                       " n't", " 'm", " 's", " 've", " 're"};
    static const char *const to[] = {".", "?", "!", ",", "'", "n't", "'m", "'s", "'ve", "'re"};
    for (size_t r = 0; r < sizeof from / sizeof from[0]; r++) {
        size_t fl = strlen(from[r]), tl = strlen(to[r]), w = 0;
        for (size_t i = 0; i < b->n;) {
            if (i + fl <= b->n && memcmp(b->p + i, from[r], fl) == 0) {
                memmove(b->p + w, to[r], tl); /* tl < fl and w <= i: never overruns the input */
                w += tl;
                i += fl;
            } else {
                b->p[w++] = b->p[i++];
            }
        }
        b->n = w;
        if (b->p) b->p[w] = '\0';
    }
    return 0;
}

int policy_tokenizer_decode(const policy_tokenizer *tok, const int32_t *ids, size_t n_ids,
                            int flags, char **text, size_t *len, rlpt_err *err) {
    *text = NULL;
    if (len) *len = 0;
    for (size_t i = 0; i < n_ids; i++)
        if (ids[i] < 0 || ids[i] >= tok->n_ids || !tok->str[ids[i]])
            return rlpt_errf(err, RLPT_EINVAL,
                             "tokenizer %s: ids[%zu] = %ld is not a token id (vocabulary has %ld "
                             "ids)",
                             tok->name, i, (long)ids[i], (long)tok->n_ids);
    cbuf out = {0}, pend = {0};
    int rc = cb_put(&out, "", 0), first = 1;
    for (size_t i = 0; rc == 0 && i < n_ids; i++) {
        int32_t id = ids[i];
        if ((flags & POLICY_DECODE_SKIP_SPECIAL) && tok->is_special[id]) continue;
        if (tok->decoder == TOK_DEC_BYTELEVEL) {
            if (tok->is_added[id]) {
                rc = cb_put_lossy(&out, pend.p, pend.n);
                pend.n = 0;
                if (!rc) rc = cb_put(&out, tok->str[id], tok->len[id]);
            } else {
                rc = cb_put(&pend, tok->raw[id], tok->raw_len[id]);
            }
        } else {
            if (!first) rc = cb_put(&out, " ", 1);
            if (!rc) rc = cb_put(&out, tok->str[id], tok->len[id]);
        }
        first = 0;
    }
    if (!rc && pend.n) rc = cb_put_lossy(&out, pend.p, pend.n);
    free(pend.p);
    if (!rc && tok->clean_up && !(flags & POLICY_DECODE_NO_CLEANUP)) rc = clean_up(&out);
    if (rc) {
        free(out.p);
        return rlpt_errf(err, RLPT_ENOMEM, "tokenizer: out of memory decoding %zu ids", n_ids);
    }
    *text = out.p;
    if (len) *len = out.n;
    return 0;
}

/* ---- accessors ------------------------------------------------------------------------------- */

int32_t policy_tokenizer_vocab_size(const policy_tokenizer *tok) {
    return tok->n_ids;
}

int32_t policy_tokenizer_token_to_id(const policy_tokenizer *tok, const char *token) {
    return tok_map_get(&tok->by_str, token, strlen(token));
}

const char *policy_tokenizer_id_to_token(const policy_tokenizer *tok, int32_t id) {
    return id >= 0 && id < tok->n_ids ? tok->str[id] : NULL;
}

int policy_tokenizer_is_special(const policy_tokenizer *tok, int32_t id) {
    return id >= 0 && id < tok->n_ids && tok->is_special[id];
}

int32_t policy_tokenizer_eos_id(const policy_tokenizer *tok) {
    return tok->eos_id;
}

int32_t policy_tokenizer_bos_id(const policy_tokenizer *tok) {
    return tok->bos_id;
}
