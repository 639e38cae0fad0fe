/* tests/policy/test_model_util.h: helpers the model tests share: reading a named tensor of a
 * fixture (a safetensors file made by tests/reference/model/) and comparing with a report.
 * Include after cmocka.h. */
#ifndef TEST_MODEL_UTIL_H
#define TEST_MODEL_UTIL_H

#include <stdlib.h>
#include <string.h>

#include "model_internal.h"
#include "test_util.h"

/* The tensor's values as fp32 (malloc'd, caller frees); fails the test when absent. */
static inline float *fixture_get(const policy_st_file *f, const char *name, size_t *numel) {
    const policy_st_tensor *t = policy_st_find(f, name);
    if (!t) fail_msg("fixture %s has no tensor '%s'", f->path, name);
    float *out = malloc((t->numel ? t->numel : 1) * sizeof(float));
    assert_non_null(out);
    policy_st_read_f32(f, t, out);
    if (numel) *numel = t->numel;
    return out;
}

/* Float ids stored in a fixture, as ints. */
static inline int *fixture_ids(const policy_st_file *f, const char *name, size_t *n) {
    float *v = fixture_get(f, name, n);
    int *ids = malloc(*n * sizeof(int));
    assert_non_null(ids);
    for (size_t i = 0; i < *n; i++) ids[i] = (int)v[i];
    free(v);
    return ids;
}

static inline void load_model_or_fail(policy_model *m, const char *dir) {
    rlpt_err err;
    rlpt_err_clear(&err);
    if (policy_model_load(m, dir, &err)) fail_msg("%s: %s", dir, err.msg);
}

#endif
