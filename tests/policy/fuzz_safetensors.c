/* tests/policy/fuzz_safetensors.c: fuzz target for the safetensors header parser and dtype
 * conversion (policy_st_parse, policy_st_read_f32). Whatever the bytes, parsing either fails
 * with a message or yields tensors whose data lies inside the buffer, which reading then
 * touches in full (ASan catches a read outside). Seeds: tests/data/bad-checkpoints/ and a real
 * checkpoint (tests/policy/model.cmake). */
#include <stdint.h>
#include <stdlib.h>

#include "model_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    policy_st_file f;
    rlpt_err err;
    if (policy_st_parse(&f, data, size, "fuzz", &err) != 0) {
        if (err.code == 0 || err.msg[0] == '\0') abort(); /* a failure always explains itself */
        return 0;
    }
    for (int i = 0; i < f.n; i++) {
        if (f.t[i].end > f.data_size ||
            f.t[i].end - f.t[i].begin != f.t[i].numel * (f.t[i].dtype ? 2 : 4))
            abort();
        float *out = malloc(f.t[i].numel * sizeof(float) + 1);
        if (out) policy_st_read_f32(&f, &f.t[i], out);
        free(out);
    }
    policy_st_close(&f);
    return 0;
}
