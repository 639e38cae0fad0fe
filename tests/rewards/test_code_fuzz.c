/* tests/rewards/test_code_fuzz.c: fuzz target for the code reward's parsers: the input object of
 * `rlpt reward --fn code` (code_task_from_json), the fenced-block extraction and the output
 * comparison modes, and the output JSON. Nothing is executed (no sandbox here). Seeds in
 * tests/data/code/fuzz/; in normal builds CTest replays them (tests/CMakeLists.txt). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "code.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *s = malloc(size + 1);
    if (!s) return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    for (int m = 0; m < 3; m++) {
        char *code = NULL;
        if (code_extract_code(s, (code_extract)m, &code) == 0 && code) {
            /* what comes out is a part of what went in */
            if (m != CODE_EXTRACT_ALL && !strstr(s, code)) abort();
            for (int c = 0; c < 3; c++)
                if (!code_output_matches(code, strlen(code), code, (code_compare)c)) abort();
            free(code);
        }
    }
    cJSON *in = cJSON_ParseWithLength((const char *)data, size);
    code_task t;
    void *arrays = NULL;
    rlpt_err err = {0};
    if (in && code_task_from_json(in, &t, &arrays, &err) == 0) {
        int n = t.shape == CODE_SHAPE_HUMANEVAL ? 1 : t.n_tests;
        code_result r;
        memset(&r, 0, sizeof r);
        r.total = n;
        r.tests = calloc((size_t)(n > 0 ? n : 1), sizeof *r.tests);
        if (r.tests) {
            for (int i = 0; i < n; i++) {
                const char *o = t.shape == CODE_SHAPE_STDIO ? t.outputs[i] : t.completion;
                strncpy(r.tests[i].out_head, o, CODE_HEAD);
                r.tests[i].verdict = (sandbox_verdict)(i % 8);
            }
            cJSON *j = code_result_to_json(&r);
            cJSON_Delete(j);
        }
        code_result_free(&r);
        free(arrays);
    }
    cJSON_Delete(in);
    free(s);
    return 0;
}
