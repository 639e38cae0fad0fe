/* tests/fuzz/fuzz_config.c: libFuzzer target for the config loader (libyaml events -> tree ->
 * schema): any bytes must give 0 or RLPT_ECONFIG with a message, never a crash, a leak or a
 * hang. `defaults:` names are resolved against the working directory; the fuzzer runs where
 * no such files exist, so composition is exercised through its error paths.
 * Seed corpus: configs/, tests/data/bad-config/ and tests/data/fuzz/config/ (the inputs a 661 s
 * run grew, merged with -merge=1: 261 files). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    rl_config cfg;
    rlpt_err err;
    int rc = rl_config_load_string(&cfg, "fuzz.yaml", (const char *)data, size, NULL, 0, &err);
    if (rc == 0) {
        rl_config_free(&cfg);
    } else if (rc != RLPT_ECONFIG && rc != RLPT_ENOMEM) {
        abort(); /* anything else is a bug */
    } else if (err.msg[0] == '\0') {
        abort(); /* every refusal says why */
    }
    return 0;
}
