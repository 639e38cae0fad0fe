/* tests/policy/tokenizer_write_tiny.c: writes the rlpt-tiny tokenizer into a directory with
 * policy_tokenizer_write_tiny; how tests/data/tokenizers/rlpt-tiny/ was made:
 *   build/tests/policy/tokenizer_write_tiny tests/data/tokenizers/rlpt-tiny */
#include <stdio.h>

#include "tokenizer.h"

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: tokenizer_write_tiny DIR\n");
        return 2;
    }
    rlpt_err err;
    if (policy_tokenizer_write_tiny(argv[1], &err)) {
        fprintf(stderr, "tokenizer_write_tiny: %s\n", err.msg);
        return 1;
    }
    return 0;
}
