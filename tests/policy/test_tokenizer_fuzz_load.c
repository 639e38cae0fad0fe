/* tests/policy/test_tokenizer_fuzz_load.c: libFuzzer target for the tokenizer.json loader. Any
 * input must either load or be refused with an error code and a message, never crash or leak;
 * a tokenizer that loads must then encode and decode without failing. Seeds: the malformed
 * fixtures (tests/data/tokenizers/bad) and small valid files (tests/data/tokenizers/fuzz-load). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tokenizer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    policy_tokenizer *tok;
    rlpt_err err;
    int rc = policy_tokenizer_load_json(&tok, (const char *)data, size, NULL, 0, "fuzz", &err);
    if (rc) {
        if (rc > 0 || tok || !err.msg[0]) abort(); /* an error is a code, a message, no object */
        return 0;
    }
    static const char text[] = "Hello <|endoftext|> w\xC3\xB6rld 123 \xF0\x9F\x99\x82\xFF  \n";
    int32_t *ids;
    size_t n;
    if (policy_tokenizer_encode(tok, text, sizeof text - 1, 1, &ids, &n, &err) == 0) {
        int32_t V = policy_tokenizer_vocab_size(tok);
        for (size_t i = 0; i < n; i++)
            if (ids[i] < 0 || ids[i] >= V) abort();
        char *out;
        size_t len;
        if (policy_tokenizer_decode(tok, ids, n, 0, &out, &len, &err)) abort();
        free(out);
        free(ids);
    }
    policy_tokenizer_free(tok);
    return 0;
}
