/* tests/policy/fuzz_model_config.c: fuzz target for the config.json reader
 * (policy_config_parse). Whatever the bytes, it either fails with a message or gives a config
 * that passes policy_config_check and survives a JSON round trip unchanged.
 * Seeds: the config.json files under tests/data/ (tests/policy/model.cmake). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    policy_config a, b;
    rlpt_err err;
    int rc = policy_config_parse(&a, text, "fuzz", &err);
    free(text);
    if (rc) {
        if (err.msg[0] == '\0') abort(); /* a failure always explains itself */
        return 0;
    }
    if (policy_config_check(&a, "fuzz", &err)) abort();
    char *json = policy_config_to_json(&a);
    if (!json) return 0;
    if (policy_config_parse(&b, json, "fuzz", &err) || memcmp(&a, &b, sizeof a) != 0) abort();
    free(json);
    return 0;
}
