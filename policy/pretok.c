/* policy/pretok.c: the pre-tokenizers: Split (a regex or a literal; Isolated or Removed), ByteLevel
 * (GPT-2's byte<->char table, optional prefix space and GPT-2 regex), Digits, and their Sequence,
 * run as a recursion over the steps so no list of pieces is materialised.
 * Regexes are PCRE2 (UTF + UCP, JIT). tokenizer.json patterns are written for Oniguruma, so a few
 * constructs are rewritten first, as tokenizers.js does for JavaScript: \s/\S become White_Space
 * (PCRE2's \s lacks U+0085), \w/\W Oniguruma's word set, and (?i:...) folds ASCII letters only.
 * Leaves out the Split behaviours MergedWithPrevious/Next and Contiguous, Whitespace, Metaspace,
 * Punctuation and BERT pre-tokenizers (refused by the loader).
 * Reference: huggingface/tokenizers src/pre_tokenizers/{split,byte_level,digits}.rs. */
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "rlpt_text.h"
#include "tokenizer_internal.h"

void tok_bytelevel_tables(uint32_t byte_to_cp[256], int16_t *cp_to_byte) {
    /* Printable bytes map to themselves; the others, in order, to U+0100 upwards. */
    int n = 0;
    for (int b = 0; b < 256; b++) {
        int printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE;
        byte_to_cp[b] = printable ? (uint32_t)b : (uint32_t)(256 + n++);
    }
    if (cp_to_byte) {
        for (int i = 0; i < 324; i++) cp_to_byte[i] = -1;
        for (int b = 0; b < 256; b++) cp_to_byte[byte_to_cp[b]] = (int16_t)b;
    }
}

/* ---- regex translation ----------------------------------------------------------------------- */

typedef rlpt_strbuf sbuf; /* common/rlpt_text.h */

static void sb_put(sbuf *b, const char *s, size_t n) {
    rlpt_strbuf_put(b, s, n);
}
static void sb_str(sbuf *b, const char *s) {
    rlpt_strbuf_puts(b, s);
}

#define WORD_CHARS "\\p{Alphabetic}\\p{M}\\p{Nd}\\p{Pc}"

static int translate(const char *re, sbuf *o, const char *where, rlpt_err *err) {
    int in_class = 0, icase_depth = -1, depth = 0;
    for (size_t i = 0; re[i]; i++) {
        char c = re[i];
        if (c == '\\') {
            char e = re[i + 1];
            if (e == '\0')
                return rlpt_errf(err, RLPT_EFORMAT, "%s: regex ends in a lone backslash", where);
            i++;
            if (e == 's')
                sb_str(o, "\\p{White_Space}");
            else if (e == 'S')
                sb_str(o, "\\P{White_Space}");
            else if (e == 'w')
                sb_str(o, in_class ? WORD_CHARS : "[" WORD_CHARS "]");
            else if (e == 'W' && !in_class)
                sb_str(o, "[^" WORD_CHARS "]");
            else if (e == 'W' || e == 'h' || e == 'H' || e == 'G' || e == 'b' || e == 'B')
                return rlpt_errf(err, RLPT_EUNSUPPORTED,
                                 "%s: regex escape \\%c (Oniguruma semantics) is not supported",
                                 where, e);
            else {
                char two[2] = {'\\', e};
                sb_put(o, two, 2);
            }
            continue;
        }
        if (in_class) {
            if (c == '[' && re[i + 1] == ':')
                return rlpt_errf(err, RLPT_EUNSUPPORTED,
                                 "%s: POSIX bracket classes in regexes are not supported", where);
            if (c == '[')
                return rlpt_errf(err, RLPT_EUNSUPPORTED,
                                 "%s: nested character classes (Oniguruma) are not supported",
                                 where);
            if (icase_depth >= 0 && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')))
                return rlpt_errf(err, RLPT_EUNSUPPORTED,
                                 "%s: letters in a class inside (?i:...) are not supported", where);
            if (c == ']') in_class = 0;
            sb_put(o, &c, 1);
            continue;
        }
        if (c == '[') {
            in_class = 1;
            sb_put(o, &c, 1);
            if (re[i + 1] == '^') sb_put(o, &re[++i], 1);
            if (re[i + 1] == ']') sb_put(o, &re[++i], 1); /* a leading ] is literal */
            continue;
        }
        if (c == '(') {
            if (strncmp(re + i, "(?i:", 4) == 0) {
                if (icase_depth < 0) icase_depth = depth;
                depth++;
                sb_str(o, "(?:");
                i += 3;
                continue;
            }
            if (re[i + 1] == '?' && strchr("imsx-", re[i + 2]))
                return rlpt_errf(err, RLPT_EUNSUPPORTED,
                                 "%s: inline option group '(?%c' is not supported (only (?i:...))",
                                 where, re[i + 2]);
            depth++;
        } else if (c == ')') {
            depth--;
            if (depth == icase_depth) icase_depth = -1;
        } else if (icase_depth >= 0 && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) {
            char cls[4] = {'[', (char)(c | 0x20), (char)(c & ~0x20), ']'};
            sb_put(o, cls, 4);
            continue;
        }
        sb_put(o, &c, 1);
    }
    if (o->oom) return rlpt_errf(err, RLPT_ENOMEM, "%s: out of memory", where);
    return 0;
}

int tok_regex_compile(pcre2_code **out, const char *pattern, int literal, const char *where,
                      rlpt_err *err) {
    *out = NULL;
    sbuf o = {0};
    int rc = literal ? (sb_str(&o, pattern), o.oom ? RLPT_ENOMEM : 0)
                     : translate(pattern, &o, where, err);
    if (rc) {
        free(o.p);
        return rc == RLPT_ENOMEM ? rlpt_errf(err, rc, "%s: out of memory", where) : rc;
    }
    int ec;
    PCRE2_SIZE off;
    uint32_t opts = literal ? PCRE2_UTF | PCRE2_LITERAL : PCRE2_UTF | PCRE2_UCP;
    pcre2_code *re =
        pcre2_compile((PCRE2_SPTR)(o.p ? o.p : ""), PCRE2_ZERO_TERMINATED, opts, &ec, &off, NULL);
    if (!re) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(ec, msg, sizeof msg);
        rc = rlpt_errf(err, RLPT_EFORMAT, "%s: bad regex at offset %zu: %s (pattern /%s/)", where,
                       (size_t)off, (const char *)msg, pattern);
        free(o.p);
        return rc;
    }
    free(o.p);
    pcre2_jit_compile(re, PCRE2_JIT_COMPLETE); /* best effort: the interpreter is the fallback */
    *out = re;
    return 0;
}

/* ---- running the steps ----------------------------------------------------------------------- */

static size_t utf8_len_at(const char *s, size_t n) {
    uint32_t cp;
    size_t k = tok_utf8_decode((const unsigned char *)s, n, &cp);
    return k ? k : 1;
}

/* Splits s by re: gaps always go on; matches too when keep_matches. An empty match yields
 * nothing and the search moves on by one character (as JS's matchAll does). */
static int split_regex(const policy_tokenizer *tok, int next, const pcre2_code *re,
                       int keep_matches, const char *s, size_t n, pcre2_match_data *md,
                       tok_ids *out, rlpt_err *err) {
    size_t prev = 0, at = 0;
    while (at <= n) {
        int r = pcre2_match(re, (PCRE2_SPTR)s, n, at, PCRE2_NO_UTF_CHECK, md, NULL);
        if (r == PCRE2_ERROR_NOMATCH) break;
        if (r < 0) {
            PCRE2_UCHAR msg[256];
            pcre2_get_error_message(r, msg, sizeof msg);
            return rlpt_errf(err, RLPT_EINVAL, "tokenizer %s: regex match failed: %s", tok->name,
                             (const char *)msg);
        }
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
        size_t a = ov[0], b = ov[1];
        if (a > prev) {
            int rc = tok_pretokenize(tok, next, s + prev, a - prev, md, out, err);
            if (rc) return rc;
        }
        if (b > a) {
            if (keep_matches) {
                int rc = tok_pretokenize(tok, next, s + a, b - a, md, out, err);
                if (rc) return rc;
            }
            prev = at = b;
        } else {
            prev = a;
            if (a >= n) break;
            at = a + utf8_len_at(s + a, n - a);
        }
    }
    if (prev < n) return tok_pretokenize(tok, next, s + prev, n - prev, md, out, err);
    return 0;
}

static int is_numeric_at(const char *s, size_t n, size_t *len) {
    uint32_t cp;
    size_t k = tok_utf8_decode((const unsigned char *)s, n, &cp);
    *len = k ? k : 1;
    if (!k) return 0;
    utf8proc_category_t c = utf8proc_category((utf8proc_int32_t)cp);
    return c == UTF8PROC_CATEGORY_ND || c == UTF8PROC_CATEGORY_NL || c == UTF8PROC_CATEGORY_NO;
}

/* Digits: runs of numeric characters (Rust's char::is_numeric) apart from the rest; with
 * individual_digits each numeric character alone. */
static int split_digits(const policy_tokenizer *tok, int next, int individual, const char *s,
                        size_t n, pcre2_match_data *md, tok_ids *out, rlpt_err *err) {
    size_t i = 0;
    while (i < n) {
        size_t k, j = i;
        int num = is_numeric_at(s + i, n - i, &k);
        j += k;
        if (!(num && individual)) {
            size_t k2;
            while (j < n && is_numeric_at(s + j, n - j, &k2) == num) j += k2;
        }
        int rc = tok_pretokenize(tok, next, s + i, j - i, md, out, err);
        if (rc) return rc;
        i = j;
    }
    return 0;
}

int tok_pretokenize(const policy_tokenizer *tok, int step, const char *s, size_t n,
                    pcre2_match_data *md, tok_ids *out, rlpt_err *err) {
    if (n == 0) return 0;
    if (step >= tok->n_pre) return tok_bpe_word(tok, s, n, out, err);
    const tok_pre_step *st = &tok->pre[step];
    switch (st->kind) {
    case TOK_PRE_SPLIT:
        return split_regex(tok, step + 1, st->re, st->behavior == TOK_SPLIT_ISOLATED, s, n, md, out,
                           err);
    case TOK_PRE_DIGITS:
        return split_digits(tok, step + 1, st->individual_digits, s, n, md, out, err);
    case TOK_PRE_BYTELEVEL: {
        if (st->add_prefix_space && s[0] != ' ') {
            char small[256], *buf = n + 1 <= sizeof small ? small : malloc(n + 1);
            if (!buf) return rlpt_errf(err, RLPT_ENOMEM, "tokenizer: out of memory");
            buf[0] = ' ';
            memcpy(buf + 1, s, n);
            int rc = st->re ? split_regex(tok, step + 1, st->re, 1, buf, n + 1, md, out, err)
                            : tok_pretokenize(tok, step + 1, buf, n + 1, md, out, err);
            if (buf != small) free(buf);
            return rc;
        }
        return st->re ? split_regex(tok, step + 1, st->re, 1, s, n, md, out, err)
                      : tok_pretokenize(tok, step + 1, s, n, md, out, err);
    }
    }
    return rlpt_errf(err, RLPT_EINTERNAL, "tokenizer: unknown pre-tokenizer step %d", st->kind);
}
