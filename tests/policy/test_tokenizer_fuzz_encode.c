/* tests/policy/test_tokenizer_fuzz_encode.c: libFuzzer target for encode and decode. The first
 * input byte picks a tokenizer (Qwen3, Llama 3, rlpt-tiny, the synthetic character-level and
 * GPT-2 ones) and add_special; the rest is the text, any bytes. Every id must be in the
 * vocabulary, decoding them must succeed, and decoding must accept any in-range ids. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tokenizer.h"

static const char *const dirs[] = {"qwen3-4b",          "llama-3.2-3b-instruct",
                                   "rlpt-tiny",         "synth-charbpe-fallback",
                                   "synth-charbpe-unk", "synth-gpt2"};
#define N_TOK (sizeof dirs / sizeof dirs[0])
static policy_tokenizer *toks[N_TOK];

static policy_tokenizer *get(size_t k) {
    if (!toks[k]) {
        char path[1024];
        rlpt_err err;
        snprintf(path, sizeof path, "%s/tests/data/tokenizers/%s", RLPT_SOURCE_DIR, dirs[k]);
        if (policy_tokenizer_load(&toks[k], path, &err)) {
            fprintf(stderr, "fuzz: %s\n", err.msg);
            abort();
        }
    }
    return toks[k];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0) return 0;
    policy_tokenizer *tok = get(data[0] % N_TOK);
    int add_special = (data[0] / N_TOK) & 1;
    int32_t *ids;
    size_t n;
    rlpt_err err;
    if (policy_tokenizer_encode(tok, (const char *)data + 1, size - 1, add_special, &ids, &n, &err))
        abort(); /* any bytes encode */
    int32_t V = policy_tokenizer_vocab_size(tok);
    for (size_t i = 0; i < n; i++)
        if (ids[i] < 0 || ids[i] >= V) abort();
    char *out;
    size_t len;
    if (policy_tokenizer_decode(tok, ids, n, 0, &out, &len, &err)) abort();
    free(out);
    free(ids);
    /* The input bytes read as ids (in range): decode never fails on valid ids. */
    size_t m = (size - 1) / 4;
    int32_t *raw = malloc((m + 1) * sizeof *raw);
    for (size_t i = 0; i < m; i++) {
        uint32_t v;
        memcpy(&v, data + 1 + 4 * i, 4);
        raw[i] = (int32_t)(v % (uint32_t)V);
        if (!policy_tokenizer_id_to_token(tok, raw[i])) raw[i] = 0; /* holes in the id range */
    }
    if (policy_tokenizer_decode(tok, raw, m, POLICY_DECODE_SKIP_SPECIAL, &out, &len, &err)) abort();
    free(out);
    free(raw);
    return 0;
}
