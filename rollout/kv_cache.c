/* rollout/kv_cache.c: the keys and values of every layer for each decoding slot, sized from the
 * model config and the rollout settings and checked against the memory available before a
 * byte is allocated. Leaves out paging and prefix sharing between slots (n samples of a prompt
 * copy its prefill, generate.c). Reference: the KV cache of llama2.c's run.c (key_cache,
 * value_cache per layer), one (Tcap, KVH*D) block per slot, keys transposed. */
#define _POSIX_C_SOURCE 200809L
#include "internal.h"

#include <stdlib.h>
#include <string.h>

size_t rollout_kv_size(int L, int slots, int Tcap, int KD) {
    size_t n = 2 * sizeof(float); /* keys and values */
    size_t f[4] = {(size_t)L, (size_t)slots, (size_t)Tcap, (size_t)KD};
    for (int i = 0; i < 4; i++) {
        if (f[i] != 0 && n > SIZE_MAX / f[i]) return 0;
        n *= f[i];
    }
    return n;
}

int rollout_kv_init(rollout_kv *kv, int L, int slots, int Tcap, int KD, size_t extra,
                    rlpt_err *err) {
    memset(kv, 0, sizeof *kv);
    size_t bytes = rollout_kv_size(L, slots, Tcap, KD);
    size_t avail = policy_mem_available();
    if (bytes == 0 || bytes > SIZE_MAX - extra || bytes + extra > avail)
        return rlpt_errf(err, RLPT_ENOMEM,
                         "KV cache needs %.2f GiB (%d slots x %d positions x %d layers x %d "
                         "floats x 2) plus %.2f GiB of work space, but %.2f GiB are available; "
                         "lower rollout.batch_size (--batch-size) or rollout.max_new_tokens "
                         "(--max-new-tokens), or shorten the prompts",
                         bytes ? (double)bytes / (1 << 30) : (double)SIZE_MAX / (1 << 30), slots,
                         Tcap, L, KD, (double)extra / (1 << 30), (double)avail / (1 << 30));
    kv->k = malloc(bytes / 2);
    kv->v = malloc(bytes / 2);
    if (!kv->k || !kv->v) {
        rollout_kv_free(kv);
        return rlpt_errf(err, RLPT_ENOMEM,
                         "out of memory for a KV cache of %.2f GiB; lower rollout.batch_size "
                         "(--batch-size) or rollout.max_new_tokens (--max-new-tokens)",
                         (double)bytes / (1 << 30));
    }
    kv->L = L;
    kv->slots = slots;
    kv->Tcap = Tcap;
    kv->KD = KD;
    return 0;
}

void rollout_kv_free(rollout_kv *kv) {
    if (!kv) return;
    free(kv->k);
    free(kv->v);
    memset(kv, 0, sizeof *kv);
}

void rollout_kv_put(rollout_kv *kv, int l, int s, int t, const float *k, const float *v) {
    float *kt = rollout_kv_kt(kv, l, s) + t;
    for (int c = 0; c < kv->KD; c++) kt[(size_t)c * kv->Tcap] = k[c];
    memcpy(rollout_kv_v(kv, l, s, t), v, (size_t)kv->KD * sizeof(float));
}

void rollout_kv_copy(rollout_kv *kv, int to, int from, int n) {
    if (to == from || n <= 0) return;
    for (int l = 0; l < kv->L; l++) {
        const float *kf = rollout_kv_kt(kv, l, from);
        float *kt = rollout_kv_kt(kv, l, to);
        for (int c = 0; c < kv->KD; c++)
            memcpy(kt + (size_t)c * kv->Tcap, kf + (size_t)c * kv->Tcap, (size_t)n * sizeof(float));
        memcpy(rollout_kv_v(kv, l, to, 0), rollout_kv_v(kv, l, from, 0),
               (size_t)n * kv->KD * sizeof(float));
    }
}

/* Saved keys keep the transposed order, rows of n: component c of position t at c * n + t. */
void rollout_kv_save(const rollout_kv *kv, int s, int n, float *k, float *v, size_t per_layer) {
    for (int l = 0; l < kv->L; l++) {
        const float *kt = rollout_kv_kt(kv, l, s);
        for (int c = 0; c < kv->KD; c++)
            memcpy(k + (size_t)l * per_layer + (size_t)c * n, kt + (size_t)c * kv->Tcap,
                   (size_t)n * sizeof(float));
        memcpy(v + (size_t)l * per_layer, rollout_kv_v(kv, l, s, 0),
               (size_t)n * kv->KD * sizeof(float));
    }
}

void rollout_kv_load(rollout_kv *kv, int s, int n, const float *k, const float *v,
                     size_t per_layer) {
    for (int l = 0; l < kv->L; l++) {
        float *kt = rollout_kv_kt(kv, l, s);
        for (int c = 0; c < kv->KD; c++)
            memcpy(kt + (size_t)c * kv->Tcap, k + (size_t)l * per_layer + (size_t)c * n,
                   (size_t)n * sizeof(float));
        memcpy(rollout_kv_v(kv, l, s, 0), v + (size_t)l * per_layer,
               (size_t)n * kv->KD * sizeof(float));
    }
}
