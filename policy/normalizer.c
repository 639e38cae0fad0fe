/* policy/normalizer.c: the normalizers: Unicode NFC, NFD, NFKC, NFKD (utf8proc) and their
 * Sequence. Leaves out Lowercase, Strip, Replace, Prepend, BertNormalizer and Precompiled (the
 * loader refuses them by name). Offsets are not tracked: rlpt needs ids, not alignments.
 * Reference: huggingface/tokenizers src/normalizers/unicode.rs; UAX #15. */
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "tokenizer_internal.h"

static int is_ascii(const char *s, size_t n) {
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] >= 0x80) return 0;
    return 1;
}

int tok_normalize(const int *steps, int n_steps, const char *s, size_t n, char **out,
                  size_t *out_len, rlpt_err *err) {
    char *cur = malloc(n + 1);
    if (!cur) return rlpt_errf(err, RLPT_ENOMEM, "tokenizer: out of memory normalizing");
    memcpy(cur, s, n);
    cur[n] = '\0';
    size_t len = n;
    for (int i = 0; i < n_steps; i++) {
        if (is_ascii(cur, len)) continue; /* every form leaves ASCII unchanged */
        utf8proc_option_t opt = UTF8PROC_STABLE;
        switch (steps[i]) {
        case TOK_NORM_NFC:
            opt |= UTF8PROC_COMPOSE;
            break;
        case TOK_NORM_NFD:
            opt |= UTF8PROC_DECOMPOSE;
            break;
        case TOK_NORM_NFKC:
            opt |= UTF8PROC_COMPOSE | UTF8PROC_COMPAT;
            break;
        case TOK_NORM_NFKD:
            opt |= UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT;
            break;
        }
        utf8proc_uint8_t *r = NULL;
        utf8proc_ssize_t k =
            utf8proc_map((const utf8proc_uint8_t *)cur, (utf8proc_ssize_t)len, &r, opt);
        if (k < 0) {
            free(cur);
            return rlpt_errf(err, k == UTF8PROC_ERROR_NOMEM ? RLPT_ENOMEM : RLPT_EINVAL,
                             "tokenizer: Unicode normalization failed: %s", utf8proc_errmsg(k));
        }
        free(cur);
        cur = (char *)r;
        len = (size_t)k;
    }
    *out = cur;
    *out_len = len;
    return 0;
}
