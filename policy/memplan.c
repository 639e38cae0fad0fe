/* policy/memplan.c: the memory plan. One function lays out every activation buffer of a batch
 * B x T; run without a base it only counts, so the plan printed before allocating is exactly
 * what policy_acts_init then allocates. Leaves out the rollout's KV cache (rollout/).
 * Reference: llm.c train_gpt2.c (fill_in_activation_sizes). */
#define _POSIX_C_SOURCE 200809L
#include "model.h"

#include <stdint.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Hands out n floats at *off from base (or only counts when base is NULL); 64-byte aligned. */
static float *take(float *base, size_t *off, size_t n) {
    float *p = base ? base + *off : NULL;
    *off += (n + 15) / 16 * 16;
    return p;
}

static void layer_shared(policy_layer_acts *la, const policy_config *c, size_t N, int B, int T,
                         float *base, size_t *off) {
    size_t C = (size_t)c->C, HD = (size_t)c->H * c->D, KD = (size_t)c->KVH * c->D, F = c->F;
    la->xn1 = take(base, off, N * C);
    la->rstd1 = take(base, off, N);
    la->q = take(base, off, N * HD);
    la->k = take(base, off, N * KD);
    la->v = take(base, off, N * KD);
    la->att = take(base, off, N * HD);
    la->lse = take(base, off, (size_t)B * c->H * T);
    la->x2 = take(base, off, N * C);
    la->xn2 = take(base, off, N * C);
    la->rstd2 = take(base, off, N);
    la->g = take(base, off, N * F);
    la->u = take(base, off, N * F);
    la->h = take(base, off, N * F);
}

/* Without TRAIN (scoring) or with RECOMPUTE, layers keep only their input x and share one
 * layer's space for the rest; with TRAIN alone every layer keeps everything. */
static size_t acts_layout(policy_acts *a, const policy_config *c, int B, int T, int flags,
                          float *base) {
    size_t N = (size_t)B * T, C = (size_t)c->C, off = 0;
    size_t HD = (size_t)c->H * c->D, KD = (size_t)c->KVH * c->D, F = c->F;
    int share = !(flags & POLICY_ACTS_TRAIN) || (flags & POLICY_ACTS_RECOMPUTE);
    for (int l = 0; l < c->L; l++) {
        policy_layer_acts *la = &a->layer[l];
        la->x = take(base, &off, N * C);
        if (!share || l == 0)
            layer_shared(la, c, N, B, T, base, &off);
        else {
            float *x = la->x;
            *la = a->layer[0];
            la->x = x;
        }
    }
    a->xf = take(base, &off, N * C);
    a->xnf = take(base, &off, N * C);
    a->rstdf = take(base, &off, N);
    a->lse = take(base, &off, N);
    a->rope = take(base, &off, (size_t)T * c->D);
    a->logits = take(base, &off, (size_t)T * c->V);
    /* one attention scratch per thread that may run a sequence's attention (policy_parallel_blas)
     */
    int slices = policy_threads();
    a->scratch_slices = slices < 1 ? 1 : slices > B ? B : slices;
    a->scratch = take(
        base, &off, (size_t)a->scratch_slices * policy_attention_scratch(T, T, c->H, c->KVH, c->D));
    if (flags & POLICY_ACTS_TRAIN) {
        a->dx = take(base, &off, N * C);
        a->dxn = take(base, &off, N * C);
        a->dq = take(base, &off, N * HD);
        a->dk = take(base, &off, N * KD);
        a->dv = take(base, &off, N * KD);
        a->datt = take(base, &off, N * HD);
        a->dg = take(base, &off, N * F);
        a->du = take(base, &off, N * F);
        a->dh = take(base, &off, N * F);
        a->norm_scratch = take(base, &off, policy_rmsnorm_scratch(B * T, (int)C));
    }
    return off;
}

static size_t acts_floats(const policy_config *c, int B, int T, int flags) {
    policy_layer_acts *layers = calloc((size_t)c->L, sizeof *layers);
    policy_acts a = {.layer = layers};
    size_t n = layers ? acts_layout(&a, c, B, T, flags, NULL) : 0;
    free(layers);
    return n;
}

void policy_memplan_compute(policy_memplan *mp, const policy_config *cfg, int B, int T, int flags) {
    policy_layout lay;
    size_t n = policy_layout_init(&lay, cfg, NULL) == 0 ? lay.total : 0;
    policy_layout_free(&lay);
    int train = (flags & POLICY_ACTS_TRAIN) != 0;
    mp->params = n * sizeof(float);
    mp->grads = train ? n * sizeof(float) : 0;
    mp->moments = train ? 2 * n * sizeof(float) : 0;
    mp->acts = acts_floats(cfg, B, T, flags) * sizeof(float) + (size_t)B * T * sizeof(int);
    mp->total = mp->params + mp->grads + mp->moments + mp->acts;
}

void policy_format_bytes(char *buf, size_t n, size_t bytes) {
    const char *unit[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = (double)bytes;
    int u = 0;
    while (v >= 1024.0 && u < 4) v /= 1024.0, u++;
    snprintf(buf, n, u ? "%.1f %s" : "%.0f %s", v, unit[u]);
}

void policy_memplan_format(const policy_memplan *mp, char *buf, size_t n) {
    char p[32], g[32], m[32], a[32], t[32];
    policy_format_bytes(p, sizeof p, mp->params);
    policy_format_bytes(g, sizeof g, mp->grads);
    policy_format_bytes(m, sizeof m, mp->moments);
    policy_format_bytes(a, sizeof a, mp->acts);
    policy_format_bytes(t, sizeof t, mp->total);
    snprintf(buf, n,
             "memory plan: params %s, grads %s, AdamW moments %s, activations %s; "
             "total %s",
             p, g, m, a, t);
}

int policy_memplan_check(const policy_memplan *mp, size_t limit_bytes, int B, int T, int flags,
                         rlpt_err *err) {
    if (mp->total <= limit_bytes) return 0;
    char t[32], l[32], a[32];
    policy_format_bytes(t, sizeof t, mp->total);
    policy_format_bytes(l, sizeof l, limit_bytes);
    policy_format_bytes(a, sizeof a, mp->acts);
    return rlpt_errf(err, RLPT_ENOMEM,
                     "the model needs %s (activations %s for %d x %d tokens) "
                     "but %s is available; lower the batch size (%d) or the sequence length "
                     "(%d)%s",
                     t, a, B, T, l, B, T,
                     (flags & POLICY_ACTS_TRAIN) && !(flags & POLICY_ACTS_RECOMPUTE)
                         ? ", or turn on activation recomputation"
                         : "");
}

size_t policy_mem_available(void) {
    FILE *f = fopen("/proc/meminfo", "r");
    char line[256];
    unsigned long long kb = 0;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1) break;
    if (f) fclose(f);
    if (kb) return (size_t)kb * 1024;
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    return pages > 0 && page > 0 ? (size_t)pages * (size_t)page : SIZE_MAX;
}

int policy_acts_init(policy_acts *a, const policy_config *cfg, int B, int T, int flags,
                     rlpt_err *err) {
    memset(a, 0, sizeof *a);
    if (B < 1 || T < 1 || (size_t)B * T > (1u << 30))
        return rlpt_errf(err, RLPT_EINVAL, "batch %d x %d tokens is out of range", B, T);
    a->B = B, a->T = T, a->flags = flags, a->L = cfg->L;
    a->inv_temperature = 1.0f;
    a->layer = calloc((size_t)cfg->L, sizeof *a->layer);
    a->pos = malloc((size_t)B * T * sizeof *a->pos);
    a->grad_layers = calloc((size_t)cfg->L, sizeof *a->grad_layers);
    a->n_floats = a->layer ? acts_layout(a, cfg, B, T, flags, NULL) : 0;
    a->buf = a->n_floats ? calloc(a->n_floats, sizeof(float)) : NULL;
    if (!a->buf || !a->pos || !a->grad_layers) {
        size_t bytes = a->n_floats * sizeof(float);
        policy_acts_free(a);
        return rlpt_errf(err, RLPT_ENOMEM,
                         "out of memory for %zu bytes of activations (%d x %d "
                         "tokens); lower the batch size or the sequence length",
                         bytes, B, T);
    }
    acts_layout(a, cfg, B, T, flags, a->buf);
    for (int n = 0; n < B * T; n++) a->pos[n] = n % T;
    return 0;
}

void policy_acts_free(policy_acts *a) {
    if (!a) return;
    free(a->buf);
    free(a->layer);
    free(a->pos);
    free(a->grad_layers);
    memset(a, 0, sizeof *a);
}
