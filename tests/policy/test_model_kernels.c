/* tests/policy/test_model_kernels.c: every layer's backward against central finite differences
 * of a double-summed loss L = sum(out * r) (r fixed random weights), and the forwards of the
 * sgemm kernels against naive loops in double. Also: attention over a KV cache (pos0 > 0)
 * gives the same rows as the full causal pass, as rollout/ will rely on.
 * FD step 1e-2 (actual float step used); tolerances stated per check. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "vexp.h"
#include "test_util.h"

static uint64_t rng = 88172645463325252ull;
static float frand(void) { /* uniform in [-1, 1) */
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return (float)((double)(rng >> 11) / 4503599627370496.0 - 1.0);
}
static float *rnd(size_t n, float scale) {
    float *x = malloc(n * sizeof *x);
    for (size_t i = 0; i < n; i++) x[i] = scale * frand();
    return x;
}
static float *zeros(size_t n) {
    return calloc(n, sizeof(float));
}

/* The kernel under test: forward into out, then L = sum(out * r) in double. */
typedef struct ctx {
    int kind, N, C, IC, OC, T, pos0, H, KVH, D, V;
    float *x, *w, *b, *out, *r, *aux, *aux2, *q, *k, *v, *scratch, *inv_freq;
    int *ids, *pos;
} ctx;
enum { K_RMSNORM, K_LINEAR, K_ROPE, K_ATTENTION, K_SWIGLU, K_LOGPROBS, K_EMBEDDING };

/* The log-probs kernel's logit scale, 1/temperature: 1 except in test_logprobs_temperature. */
static float logprobs_scale = 1.0f;

static double loss(ctx *c) {
    size_t n = 0;
    switch (c->kind) {
    case K_RMSNORM:
        policy_rmsnorm_forward(c->out, c->aux, c->x, c->w, c->N, c->C, 1e-5f);
        n = (size_t)c->N * c->C;
        break;
    case K_LINEAR:
        policy_linear_forward(c->out, c->x, c->w, c->b, c->N, c->IC, c->OC);
        n = (size_t)c->N * c->OC;
        break;
    case K_ROPE:
        memcpy(c->out, c->x, (size_t)c->N * c->H * c->D * sizeof(float));
        policy_rope_forward(c->out, c->pos, c->inv_freq, NULL, c->N, c->H, c->D);
        n = (size_t)c->N * c->H * c->D;
        break;
    case K_ATTENTION:
        policy_attention_forward(c->out, c->aux, c->scratch, c->q, c->k, c->v, c->T, c->pos0, c->H,
                                 c->KVH, c->D);
        n = (size_t)c->T * c->H * c->D;
        break;
    case K_SWIGLU:
        policy_swiglu_forward(c->out, c->x, c->w, (size_t)c->N);
        n = (size_t)c->N;
        break;
    case K_LOGPROBS:
        policy_logprobs_forward(c->out, c->aux, NULL, c->aux2, c->x, c->w, c->ids, c->N, c->C, c->V,
                                logprobs_scale);
        n = (size_t)c->N;
        break;
    case K_EMBEDDING:
        policy_embedding_forward(c->out, c->ids, c->w, c->N, c->C);
        n = (size_t)c->N * c->C;
        break;
    }
    double s = 0.0;
    for (size_t i = 0; i < n; i++) s += (double)c->out[i] * c->r[i];
    return s;
}

/* Central differences of loss() in each x[i] against analytic[i]:
 * |fd - analytic| <= atol + rtol * |fd| (errors seen are noted at each call). */
static void check_fd(ctx *c, float *x, size_t n, const float *analytic, double atol, double rtol,
                     const char *what) {
    size_t bad = 0, first = 0;
    double max_err = 0.0, want_first = 0.0;
    for (size_t i = 0; i < n; i++) {
        float s = x[i];
        float xp = s + 1e-2f, xm = s - 1e-2f;
        x[i] = xp;
        double lp = loss(c);
        x[i] = xm;
        double lm = loss(c);
        x[i] = s;
        double fd = (lp - lm) / ((double)xp - (double)xm);
        double e = fabs(fd - analytic[i]);
        if (e > max_err) max_err = e;
        if (!(e <= atol + rtol * fabs(fd)) && bad++ == 0) first = i, want_first = fd;
    }
    loss(c); /* leave the forward state of the unperturbed inputs */
    if (bad)
        fail_msg("%s: %zu/%zu off (atol %g rtol %g); first [%zu] analytic %g fd %g; max err %g",
                 what, bad, n, atol, rtol, first, (double)analytic[first], want_first, max_err);
    print_message("%-22s max |fd - analytic| %.2e over %zu\n", what, max_err, n);
}

static void test_rmsnorm(void **state) {
    (void)state;
    /* 150 rows: the weight gradient is summed over three blocks of rows, the last ragged */
    ctx c = {.kind = K_RMSNORM, .N = 150, .C = 20};
    size_t n = (size_t)c.N * c.C;
    c.x = rnd(n, 1.5f), c.w = rnd((size_t)c.C, 1.0f), c.out = zeros(n), c.r = rnd(n, 1.0f);
    c.aux = zeros((size_t)c.N);
    float *dx = zeros(n), *dw = zeros((size_t)c.C);
    float *scratch = zeros(policy_rmsnorm_scratch(c.N, c.C));
    loss(&c);
    policy_rmsnorm_backward(dx, dw, scratch, c.r, c.x, c.w, c.aux, c.N, c.C);
    free(scratch);
    check_fd(&c, c.x, n, dx, 1e-3, 1e-2, "rmsnorm dx");           /* seen 2.8e-5 */
    check_fd(&c, c.w, (size_t)c.C, dw, 1e-3, 1e-2, "rmsnorm dw"); /* seen 1.4e-5 */
    free(c.x), free(c.w), free(c.out), free(c.r), free(c.aux), free(dx), free(dw);
}

static void test_linear(void **state) {
    (void)state;
    ctx c = {.kind = K_LINEAR, .N = 5, .IC = 7, .OC = 6};
    size_t ni = (size_t)c.N * c.IC, no = (size_t)c.N * c.OC, nw = (size_t)c.OC * c.IC;
    c.x = rnd(ni, 1.0f), c.w = rnd(nw, 1.0f), c.b = rnd((size_t)c.OC, 1.0f), c.out = zeros(no);
    c.r = rnd(no, 1.0f);
    loss(&c);
    /* forward against the naive loop in double */
    for (int n = 0; n < c.N; n++)
        for (int o = 0; o < c.OC; o++) {
            double s = c.b[o];
            for (int i = 0; i < c.IC; i++) s += (double)c.x[n * c.IC + i] * c.w[o * c.IC + i];
            assert_true(fabs(s - c.out[n * c.OC + o]) <= 1e-5 * (1 + fabs(s))); /* seen < 1e-6 */
        }
    float *dx = zeros(ni), *dw = zeros(nw), *db = zeros((size_t)c.OC);
    policy_linear_backward(dx, 1, dw, db, c.r, c.x, c.w, c.N, c.IC, c.OC);
    check_fd(&c, c.x, ni, dx, 1e-3, 1e-3, "linear dinp");            /* seen 5.9e-6 */
    check_fd(&c, c.w, nw, dw, 1e-3, 1e-3, "linear dw");              /* seen 6.8e-6 */
    check_fd(&c, c.b, (size_t)c.OC, db, 1e-3, 1e-3, "linear dbias"); /* seen 9.0e-7 */
    /* dinp_add 0 overwrites: whatever dinp held (NaN here) is gone, the same bits as adding to 0 */
    float *dx2 = malloc(ni * sizeof *dx2), *dw2 = zeros(nw);
    for (size_t i = 0; i < ni; i++) dx2[i] = NAN;
    policy_linear_backward(dx2, 0, dw2, NULL, c.r, c.x, c.w, c.N, c.IC, c.OC);
    assert_memory_equal(dx2, dx, ni * sizeof *dx);
    assert_memory_equal(dw2, dw, nw * sizeof *dw);
    free(dx2), free(dw2);
    free(c.x), free(c.w), free(c.b), free(c.out), free(c.r), free(dx), free(dw), free(db);
}

static void test_rope(void **state) {
    (void)state;
    policy_config cfg;
    policy_config_default(&cfg, POLICY_ARCH_LLAMA);
    cfg.D = 10, cfg.rope_theta = 10000.0;
    float inv[5];
    policy_rope_inv_freq(inv, &cfg);
    int pos[4] = {0, 3, 17, 250}; /* explicit positions, as a KV cache gives */
    ctx c = {.kind = K_ROPE, .N = 4, .H = 2, .D = 10, .pos = pos, .inv_freq = inv};
    size_t n = (size_t)c.N * c.H * c.D;
    c.x = rnd(n, 1.0f), c.out = zeros(n), c.r = rnd(n, 1.0f);
    loss(&c);
    /* the rotation keeps each pair's norm; position 0 is the identity */
    for (int i = 0; i < c.H * c.D; i++) assert_true(c.out[i] == c.x[i]);
    for (int i = 0; i < 5; i++) {
        const float *a = c.x + 20 + i, *b = c.out + 20 + i;
        assert_true(fabsf(a[0] * a[0] + a[5] * a[5] - b[0] * b[0] - b[5] * b[5]) < 1e-5f);
    }
    float *dx = malloc(n * sizeof *dx);
    memcpy(dx, c.r, n * sizeof *dx);
    policy_rope_backward(dx, pos, inv, NULL, c.N, c.H, c.D);
    check_fd(&c, c.x, n, dx, 1e-4, 1e-3, "rope dx"); /* seen 2.9e-6 */
    free(c.x), free(c.out), free(c.r), free(dx);
}

static void test_rope_scaling(void **state) {
    (void)state;
    /* llama3 with factor 8, low 1, high 4, original 16: wavelengths above 16 slow down 8x,
     * below 4 stay, between are interpolated (transformers _compute_llama3_parameters) */
    policy_config cfg;
    policy_config_default(&cfg, POLICY_ARCH_LLAMA);
    cfg.D = 8, cfg.rope_theta = 500000.0, cfg.rope_type = POLICY_ROPE_LLAMA3;
    cfg.rope_factor = 8, cfg.rope_low_freq_factor = 1, cfg.rope_high_freq_factor = 4;
    cfg.rope_orig_max_pos = 16;
    float inv[4];
    policy_rope_inv_freq(inv, &cfg);
    for (int i = 0; i < 4; i++) {
        double f = 1.0 / pow(500000.0, 2.0 * i / 8), wl = 2 * 3.14159265358979 / f, want = f;
        if (wl > 16)
            want = f / 8;
        else if (wl >= 4) {
            double sm = (16 / wl - 1) / 3;
            want = (1 - sm) * f / 8 + sm * f;
        }
        assert_true(fabs(inv[i] - want) <= 1e-6 * want);
    }
    cfg.rope_type = POLICY_ROPE_LINEAR, cfg.rope_factor = 4;
    policy_rope_inv_freq(inv, &cfg);
    assert_true(fabs(inv[1] - 1.0 / pow(500000.0, 0.25) / 4) <= 1e-6 * inv[1]);
}

/* Naive causal GQA attention in double, for query rows at pos0.. */
static void attention_naive(double *out, const float *q, const float *k, const float *v, int Tq,
                            int pos0, int H, int KVH, int D) {
    for (int h = 0; h < H; h++) {
        int g = h / (H / KVH);
        for (int i = 0; i < Tq; i++) {
            int n = pos0 + i + 1;
            double s[512], mx = -1e300, sum = 0.0; /* pos0 + Tq <= 512 */
            for (int j = 0; j < n; j++) {
                s[j] = 0.0;
                for (int d = 0; d < D; d++)
                    s[j] += (double)q[(i * H + h) * D + d] * k[(j * KVH + g) * D + d];
                s[j] /= sqrt((double)D);
                mx = s[j] > mx ? s[j] : mx;
            }
            for (int j = 0; j < n; j++) sum += (s[j] = exp(s[j] - mx));
            for (int d = 0; d < D; d++) {
                double o = 0.0;
                for (int j = 0; j < n; j++) o += s[j] / sum * v[(j * KVH + g) * D + d];
                out[(i * H + h) * D + d] = o;
            }
        }
    }
}

static void run_attention(int T, int pos0, int H, int KVH, int D) {
    int Tk = pos0 + T;
    ctx c = {.kind = K_ATTENTION, .T = T, .pos0 = pos0, .H = H, .KVH = KVH, .D = D};
    size_t nq = (size_t)T * H * D, nk = (size_t)Tk * KVH * D;
    c.q = rnd(nq, 1.5f), c.k = rnd(nk, 1.5f), c.v = rnd(nk, 1.0f), c.out = zeros(nq);
    c.r = rnd(nq, 1.0f), c.aux = zeros((size_t)H * T),
    c.scratch = zeros(policy_attention_scratch(T, Tk, H, KVH, D));
    loss(&c);
    double *want = malloc(nq * sizeof *want);
    attention_naive(want, c.q, c.k, c.v, T, pos0, H, KVH, D);
    for (size_t i = 0; i < nq; i++)
        if (fabs(want[i] - c.out[i]) > 1e-5)
            fail_msg("attention out[%zu] %g want %g", i, c.out[i], want[i]); /* seen < 3e-7 */
    float *dq = malloc(nq * sizeof *dq), *dk = malloc(nk * sizeof *dk),
          *dv = malloc(nk * sizeof *dv);
    /* the backward overwrites its outputs: what they held (NaN here) must not show */
    for (size_t i = 0; i < nq; i++) dq[i] = NAN;
    for (size_t i = 0; i < nk; i++) dk[i] = dv[i] = NAN;
    policy_attention_backward(dq, dk, dv, c.scratch, c.r, c.out, c.aux, c.q, c.k, c.v, T, pos0, H,
                              KVH, D);
    check_fd(&c, c.q, nq, dq, 2e-3, 1e-2, "attention dq"); /* seen <= 6.8e-6 */
    check_fd(&c, c.k, nk, dk, 2e-3, 1e-2, "attention dk"); /* seen <= 3.7e-5 */
    check_fd(&c, c.v, nk, dv, 2e-3, 1e-2, "attention dv"); /* seen <= 6.6e-6 */
    free(c.q), free(c.k), free(c.v), free(c.out), free(c.r), free(c.aux), free(c.scratch);
    free(want), free(dq), free(dk), free(dv);
}

static void test_attention(void **state) {
    (void)state;
    run_attention(6, 0, 4, 2, 8);   /* training: GQA 2:1 */
    run_attention(5, 0, 3, 1, 6);   /* one kv head, head_dim 6 */
    run_attention(3, 4, 2, 2, 4);   /* queries at 4..6 over 7 cached keys (prefill chunk) */
    run_attention(150, 0, 2, 1, 4); /* five query blocks of the kernel's 32 positions */
    run_attention(70, 80, 2, 2, 4); /* a chunk at 80..149 spanning three blocks */
    run_attention(45, 20, 6, 2, 8); /* three heads per kv head over two blocks, the last ragged */
}

/* Decode step by step over a cache = the full causal pass (what rollout/ depends on). */
static void test_attention_kv_cache(void **state) {
    (void)state;
    int T = 7, H = 4, KVH = 2, D = 6;
    size_t nq = (size_t)T * H * D, nk = (size_t)T * KVH * D;
    float *q = rnd(nq, 1.0f), *k = rnd(nk, 1.0f), *v = rnd(nk, 1.0f);
    float *full = zeros(nq), *step = zeros(nq), *lse = zeros((size_t)H * T);
    float *lse1 = zeros((size_t)H), *scratch = zeros(policy_attention_scratch(T, T, H, KVH, D));
    policy_attention_forward(full, lse, scratch, q, k, v, T, 0, H, KVH, D);
    for (int t = 0; t < T; t++) /* one query at position t over keys 0..t */
        policy_attention_forward(step + (size_t)t * H * D, lse1, scratch, q + (size_t)t * H * D, k,
                                 v, 1, t, H, KVH, D);
    assert_close_f(step, full, nq, 1e-6f, 1e-5f, "decode vs full"); /* seen: identical */
    free(q), free(k), free(v), free(full), free(step), free(lse), free(lse1), free(scratch);
}

static void test_swiglu(void **state) {
    (void)state;
    ctx c = {.kind = K_SWIGLU, .N = 40};
    c.x = rnd(40, 4.0f), c.w = rnd(40, 2.0f), c.out = zeros(40), c.r = rnd(40, 1.0f);
    loss(&c);
    float *dg = zeros(40), *du = zeros(40);
    policy_swiglu_backward(dg, du, c.r, c.x, c.w, 40);
    check_fd(&c, c.x, 40, dg, 1e-3, 1e-2, "swiglu dg"); /* seen 2.6e-5 */
    check_fd(&c, c.w, 40, du, 1e-3, 1e-2, "swiglu du"); /* seen 9.7e-6 */
    /* the AVX-512 kernel against the scalar formulas it must equal bit for bit (a tail of 8) */
    float h[40];
    policy_swiglu_forward(h, c.x, c.w, 40);
    for (int i = 0; i < 40; i++) {
        float e = -c.x[i];
        policy_exp16(&e, &e, 1);
        float sig = 1.0f / (1.0f + e), hw = c.x[i] / (1.0f + e) * c.w[i];
        float dgw = c.r[i] * c.w[i] * sig * (1.0f + c.x[i] * (1.0f - sig)),
              duw = c.r[i] * c.x[i] * sig;
        assert_memory_equal(&h[i], &hw, sizeof hw);
        assert_memory_equal(&dg[i], &dgw, sizeof dgw);
        assert_memory_equal(&du[i], &duw, sizeof duw);
    }
    free(c.x), free(c.w), free(c.out), free(c.r), free(dg), free(du);
}

static void test_logprobs(void **state) {
    (void)state;
    int ids[5] = {3, 0, -1, 10, 7}; /* -1: skipped */
    ctx c = {.kind = K_LOGPROBS, .N = 5, .C = 8, .V = 11, .ids = ids};
    size_t nx = 40, nw = 88;
    c.x = rnd(nx, 1.0f), c.w = rnd(nw, 1.0f), c.out = zeros(5), c.r = rnd(5, 1.0f);
    c.aux = zeros(5), c.aux2 = zeros(5 * 11);
    loss(&c);
    assert_true(c.out[2] == 0.0f);
    /* against log_softmax in double, and entropy */
    float ent[5], lp2[5];
    policy_logprobs_forward(lp2, c.aux, ent, c.aux2, c.x, c.w, ids, 5, 8, 11, logprobs_scale);
    for (int n = 0; n < 5; n++) {
        double s[11], mx = -1e300, sum = 0.0, h = 0.0;
        for (int j = 0; j < 11; j++) {
            s[j] = 0.0;
            for (int i = 0; i < 8; i++) s[j] += (double)c.x[n * 8 + i] * c.w[j * 8 + i];
            s[j] *= logprobs_scale;
            mx = s[j] > mx ? s[j] : mx;
        }
        for (int j = 0; j < 11; j++) sum += exp(s[j] - mx);
        for (int j = 0; j < 11; j++) {
            double lp = s[j] - mx - log(sum);
            h -= exp(lp) * lp;
        }
        if (ids[n] >= 0) assert_true(fabs(s[ids[n]] - mx - log(sum) - lp2[n]) < 1e-5);
        assert_true(fabs(h - ent[n]) < 1e-5); /* seen ~1e-7 */
    }
    float *dx = zeros(nx), *dw = zeros(nw);
    policy_logprobs_backward(dx, dw, c.aux2, c.r, c.x, c.w, c.aux, ids, 5, 8, 11, logprobs_scale);
    check_fd(&c, c.x, nx, dx, 1e-3, 1e-2, "logprobs dx"); /* seen 1.2e-5 */
    check_fd(&c, c.w, nw, dw, 1e-3, 1e-2, "logprobs dw"); /* seen 1.2e-5 */
    free(c.x), free(c.w), free(c.out), free(c.r), free(c.aux), free(c.aux2), free(dx), free(dw);
}

/* The same checks at temperature 0.7: log_softmax(x W^T / 0.7), and its gradient (the GRPO
 * ratio's log-probs at the rollout temperature). */
static void test_logprobs_temperature(void **state) {
    logprobs_scale = 1.0f / 0.7f;
    test_logprobs(state);
    logprobs_scale = 1.0f;
}

static void test_embedding(void **state) {
    (void)state;
    int ids[4] = {2, 0, 2, 5}; /* 2 twice: both contributions */
    ctx c = {.kind = K_EMBEDDING, .N = 4, .C = 3, .ids = ids};
    c.w = rnd(18, 1.0f), c.out = zeros(12), c.r = rnd(12, 1.0f);
    loss(&c);
    float *dw = zeros(18);
    policy_embedding_backward(dw, c.r, ids, 4, 3);
    check_fd(&c, c.w, 18, dw, 1e-4, 1e-3, "embedding dwte"); /* seen 3.7e-9 */
    free(c.w), free(c.out), free(c.r), free(dw);
}

/* policy_exp16 against exp in double over the whole float range that matters, every 2^-7 of
 * [-104, 89] and a dense grid on [-1, 1]: relative error under 2 ulp (2.4e-7; seen 1.14e-7),
 * exp(0) = 1 exactly, underflow to 0 below -104, overflow to inf above 88.73, NaN kept. */
static void test_vexp(void **state) {
    (void)state;
    double worst = 0.0;
    float x[16], y[16];
    for (int pass = 0; pass < 2; pass++) {
        double lo = pass ? -1.0 : -103.0, hi = pass ? 1.0 : 88.7,
               step = pass ? 1.0 / 4096 : 1.0 / 128;
        for (double v = lo; v < hi; v += 16 * step) {
            for (int l = 0; l < 16; l++) x[l] = (float)(v + l * step);
            policy_exp16(y, x, 16);
            for (int l = 0; l < 16; l++) {
                double want = exp((double)x[l]);
                if (want < 1.2e-38 || want > 3.4028234e38)
                    continue; /* subnormal: below; inf: below */
                double rel = fabs(y[l] - want) / want;
                worst = rel > worst ? rel : worst;
                if (rel > 2.4e-7)
                    fail_msg("exp(%.9g) = %.9g, want %.9g (rel %.3g)", x[l], y[l], want, rel);
            }
        }
    }
    print_message("policy_exp16: worst relative error %.3g\n", worst);
    float sp[5] = {0.0f, -200.0f, 100.0f, NAN, -INFINITY}, r[5];
    policy_exp16(r, sp, 5);
    assert_true(r[0] == 1.0f);
    assert_true(r[1] == 0.0f);
    assert_true(isinf(r[2]) && r[2] > 0);
    assert_true(isnan(r[3]));
    assert_true(r[4] == 0.0f);
    for (float v = -103.9f; v < -87.4f; v += 0.25f) { /* subnormal range: within 2^-149 */
        policy_exp16(y, &v, 1);
        if (fabs(y[0] - exp((double)v)) > 1.5e-45) fail_msg("exp(%.9g) = %.9g", v, y[0]);
    }
}

/* policy_max_f32 against the scalar loop it replaces, every length to 40 (tails under the
 * mask), with NaNs (skipped) and infinities */
static void test_max(void **state) {
    (void)state;
    float x[40];
    for (int n = 0; n <= 40; n++)
        for (int pass = 0; pass < 3; pass++) {
            for (int i = 0; i < n; i++) x[i] = (float)((i * 37 + pass * 11) % 23) - 30.0f;
            if (pass == 1 && n > 3) x[n / 2] = NAN, x[0] = NAN;
            if (pass == 2 && n > 1) x[n - 1] = INFINITY, x[n / 3] = NAN;
            float want = -INFINITY;
            for (int i = 0; i < n; i++) want = x[i] > want ? x[i] : want;
            float got = policy_max_f32(x, n);
            if (!(got == want)) fail_msg("n %d pass %d: max %g, want %g", n, pass, got, want);
        }
    float all_nan[3] = {NAN, NAN, NAN};
    assert_true(policy_max_f32(all_nan, 3) == -INFINITY);
}

/* policy_exp_sub_sum: the same bits as its three steps (subtract, policy_exp_array,
 * policy_sum_f64), every length to 40 */
static void test_exp_sub_sum(void **state) {
    (void)state;
    float x[40], y[40], want[40];
    for (int n = 0; n <= 40; n++) {
        for (int i = 0; i < n; i++) x[i] = (float)((i * 53 + n * 7) % 41) * 0.37f - 9.0f;
        float sub = n ? x[n / 2] : 0.0f;
        for (int i = 0; i < n; i++) want[i] = x[i] - sub;
        policy_exp_array(want, want, n);
        double want_sum = policy_sum_f64(want, n);
        double sum = policy_exp_sub_sum(y, x, sub, n);
        assert_memory_equal(&sum, &want_sum, sizeof sum);
        if (n) assert_memory_equal(y, want, (size_t)n * sizeof *y);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_max),
        cmocka_unit_test(test_exp_sub_sum),
        cmocka_unit_test(test_rmsnorm),
        cmocka_unit_test(test_linear),
        cmocka_unit_test(test_rope),
        cmocka_unit_test(test_rope_scaling),
        cmocka_unit_test(test_attention),
        cmocka_unit_test(test_attention_kv_cache),
        cmocka_unit_test(test_swiglu),
        cmocka_unit_test(test_logprobs),
        cmocka_unit_test(test_logprobs_temperature),
        cmocka_unit_test(test_embedding),
        cmocka_unit_test(test_vexp),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
