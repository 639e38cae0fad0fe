/* rollout/kv_cache.c: the keys and values of every layer for each decoding slot, sized from the
 * model config and the rollout settings and checked against the memory available before a
 * byte is allocated. Leaves out paging and prefix sharing between slots (n samples of a prompt
 * copy its prefill, generate.c). Reference: the KV cache of llama2.c's run.c (key_cache,
 * value_cache per layer), laid out per kv head and with keys in chunks of sixteen positions
 * (internal.h). */
#define _POSIX_C_SOURCE 200809L
#include "internal.h"

#include <stdlib.h>
#include <string.h>

static int pad16(int T) {
    return (T + 15) / 16 * 16;
}

size_t rollout_kv_size(int L, int slots, int Tcap, int KD) {
    size_t n = 2 * sizeof(float); /* keys and values */
    size_t f[4] = {(size_t)L, (size_t)slots, (size_t)pad16(Tcap), (size_t)KD};
    for (int i = 0; i < 4; i++) {
        if (f[i] != 0 && n > SIZE_MAX / f[i]) return 0;
        n *= f[i];
    }
    return n;
}

int rollout_kv_init(rollout_kv *kv, int L, int slots, int Tcap, int KVH, int D, size_t extra,
                    rlpt_err *err) {
    memset(kv, 0, sizeof *kv);
    int KD = KVH * D;
    size_t bytes = rollout_kv_size(L, slots, Tcap, KD);
    size_t avail = policy_mem_available();
    if (bytes == 0 || bytes > SIZE_MAX - extra || bytes + extra > avail)
        return rlpt_errf(err, RLPT_ENOMEM,
                         "KV cache needs %.2f GiB (%d slots x %d positions x %d layers x %d "
                         "floats x 2) plus %.2f GiB of work space, but %.2f GiB are available; "
                         "lower rollout.batch_size (--batch-size) or rollout.max_new_tokens "
                         "(--max-new-tokens), or shorten the prompts",
                         bytes ? (double)bytes / (1 << 30) : (double)SIZE_MAX / (1 << 30), slots,
                         pad16(Tcap), L, KD, (double)extra / (1 << 30), (double)avail / (1 << 30));
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
    kv->Tpad = pad16(Tcap);
    kv->KVH = KVH;
    kv->D = D;
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
    int D = kv->D;
    for (int g = 0; g < kv->KVH; g++) {
        float *kc = rollout_kv_kc(kv, l, s, g) + (size_t)(t / 16) * 16 * D + t % 16;
        for (int d = 0; d < D; d++) kc[(size_t)d * 16] = k[(size_t)g * D + d];
        memcpy(rollout_kv_vh(kv, l, s, g) + (size_t)t * D, v + (size_t)g * D,
               (size_t)D * sizeof(float));
    }
}

/* Floats of one kv head's keys that hold positions 0 .. n-1: whole chunks. */
static size_t key_run(const rollout_kv *kv, int n) {
    return (size_t)pad16(n) * kv->D;
}

void rollout_kv_copy(rollout_kv *kv, int to, int from, int n) {
    if (to == from || n <= 0) return;
    for (int l = 0; l < kv->L; l++)
        for (int g = 0; g < kv->KVH; g++) {
            memcpy(rollout_kv_kc(kv, l, to, g), rollout_kv_kc(kv, l, from, g),
                   key_run(kv, n) * sizeof(float));
            memcpy(rollout_kv_vh(kv, l, to, g), rollout_kv_vh(kv, l, from, g),
                   (size_t)n * kv->D * sizeof(float));
        }
}

/* Saved keys and values of a layer: kv head g's run at g * n * D, keys in the cache's chunked
 * order, the last chunk cut to the n positions it holds. */
static void key_move(const rollout_kv *kv, float *to, const float *from, int n, int save) {
    int D = kv->D;
    for (int c = 0; c * 16 < n; c++) {
        int w = n - c * 16 < 16 ? n - c * 16 : 16; /* positions in this chunk */
        for (int d = 0; d < D; d++) {
            size_t in_cache = ((size_t)c * D + d) * 16, in_buf = (size_t)c * 16 * D + (size_t)d * w;
            if (save)
                memcpy(to + in_buf, from + in_cache, (size_t)w * sizeof(float));
            else
                memcpy(to + in_cache, from + in_buf, (size_t)w * sizeof(float));
        }
    }
}

void rollout_kv_save(const rollout_kv *kv, int s, int n, float *k, float *v, size_t per_layer) {
    size_t run = (size_t)n * kv->D;
    for (int l = 0; l < kv->L; l++)
        for (int g = 0; g < kv->KVH; g++) {
            key_move(kv, k + (size_t)l * per_layer + g * run, rollout_kv_kc(kv, l, s, g), n, 1);
            memcpy(v + (size_t)l * per_layer + g * run, rollout_kv_vh(kv, l, s, g),
                   run * sizeof(float));
        }
}

void rollout_kv_load(rollout_kv *kv, int s, int n, const float *k, const float *v,
                     size_t per_layer) {
    size_t run = (size_t)n * kv->D;
    for (int l = 0; l < kv->L; l++)
        for (int g = 0; g < kv->KVH; g++) {
            key_move(kv, rollout_kv_kc(kv, l, s, g), k + (size_t)l * per_layer + g * run, n, 0);
            memcpy(rollout_kv_vh(kv, l, s, g), v + (size_t)l * per_layer + g * run,
                   run * sizeof(float));
        }
}
