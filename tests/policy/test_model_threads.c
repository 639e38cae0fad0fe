/* tests/policy/test_model_threads.c: the model's values do not depend on its thread count.
 * policy_sgemm cuts large products into row or column blocks, one single-threaded OpenBLAS call
 * per thread; every element keeps OpenBLAS's own sum over K, so at 2 and 3 threads the product
 * is the same bits as one cblas_sgemm on one thread, for each transpose case, shapes with
 * ragged edges, beta 0 and 1. A whole training step (forward, backward, clipping, AdamW) of a
 * model large enough for its sgemms to be cut gives the same log-probs, gradients and
 * parameters at 1, 2 and 3 threads. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "policy.h"

static float rnd(uint64_t *s) {
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return (float)((double)(*s >> 40) / (double)(1 << 24) - 0.5);
}

static void sgemm_same_bits(void **state) {
    (void)state;
    static const int shapes[][3] = {{2048, 256, 256}, {256, 2048, 256}, {768, 256, 2048},
                                    {1000, 300, 129}, {300, 1000, 77},  {4096, 1000, 96}};
    uint64_t s = 3;
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
        for (int t = 0; t < 4; t++) {
            int M = shapes[i][0], N = shapes[i][1], K = shapes[i][2];
            CBLAS_TRANSPOSE ta = t & 1 ? CblasTrans : CblasNoTrans;
            CBLAS_TRANSPOSE tb = t & 2 ? CblasTrans : CblasNoTrans;
            int lda = ta == CblasTrans ? M : K, ldb = tb == CblasTrans ? K : N;
            float beta = t == 3 ? 0.0f : 1.0f;
            float *A = malloc(sizeof(float) * M * K), *B = malloc(sizeof(float) * K * N);
            float *C0 = malloc(sizeof(float) * M * N), *C = malloc(sizeof(float) * M * N);
            for (long j = 0; j < (long)M * K; j++) A[j] = rnd(&s);
            for (long j = 0; j < (long)K * N; j++) B[j] = rnd(&s);
            for (long j = 0; j < (long)M * N; j++) C0[j] = rnd(&s);
            memcpy(C, C0, sizeof(float) * M * N);
            policy_threads_set(1);
            policy_sgemm(ta, tb, M, N, K, 0.75f, A, lda, B, ldb, beta, C0, N);
            float *want = C0;
            for (int th = 2; th <= 3; th++) {
                float *got = malloc(sizeof(float) * M * N);
                memcpy(got, C, sizeof(float) * M * N);
                policy_threads_set(th);
                policy_sgemm(ta, tb, M, N, K, 0.75f, A, lda, B, ldb, beta, got, N);
                if (memcmp(got, want, sizeof(float) * M * N) != 0)
                    fail_msg("%d x %d x %d, transposes %d %d, %d threads: not the 1-thread bits", M,
                             N, K, ta == CblasTrans, tb == CblasTrans, th);
                free(got);
            }
            free(A), free(B), free(C0), free(C);
        }
    policy_threads_set(1);
}

/* policy_sgemm_chains: chain a adds three products into one C (beta 0, then 1, 1; K differs),
 * chain b writes two other C's, one too small to cut. At 1 to 4 threads (each chain on one
 * thread, or cut over two or three), every C is the bits of the same calls made one after the
 * other with cblas_sgemm; beside an empty chain (M = 0), or with both empty, too. */
static void sgemm_chains_same_bits(void **state) {
    (void)state;
    enum { M = 1000, N = 300, KA = 129, KB = 77, KC = 300, MS = 100 };
    uint64_t s = 5;
    size_t na = (size_t)M * (KA + KB + KC), nbw = (size_t)N * (KA + KB + KC);
    float *A = malloc(sizeof(float) * na), *B = malloc(sizeof(float) * nbw);
    float *S = malloc(sizeof(float) * MS * MS), *want[3], *got[3];
    for (size_t j = 0; j < na; j++) A[j] = rnd(&s);
    for (size_t j = 0; j < nbw; j++) B[j] = rnd(&s);
    for (size_t j = 0; j < (size_t)MS * MS; j++) S[j] = rnd(&s);
    size_t sizes[3] = {(size_t)M * N, (size_t)N * N, (size_t)MS * MS};
    for (int i = 0; i < 3; i++) want[i] = malloc(sizeof(float) * sizes[i]);
    for (int th = 1; th <= 4; th++) {
        for (int i = 0; i < 3; i++) {
            got[i] = malloc(sizeof(float) * sizes[i]);
            for (size_t j = 0; j < sizes[i]; j++) got[i][j] = (float)(j % 7) - 3.0f;
        }
        /* a: C0 (M, N) = A1 B1^T, += A2 B2^T, += A3 B3^T; b: C1 (N, N) += B1^T-ish, C2 small */
        policy_gemm a[3] = {
            {CblasNoTrans, CblasTrans, M, N, KA, 1.0f, A, KA, B, KA, 0.0f, got[0], N},
            {CblasNoTrans, CblasTrans, M, N, KB, 0.5f, A + (size_t)M * KA, KB, B + (size_t)N * KA,
             KB, 1.0f, got[0], N},
            {CblasNoTrans, CblasTrans, M, N, KC, 1.0f, A + (size_t)M * (KA + KB), KC,
             B + (size_t)N * (KA + KB), KC, 1.0f, got[0], N}};
        policy_gemm b[2] = {
            {CblasTrans, CblasNoTrans, N, N, KA, 1.0f, B, N, B, N, 1.0f, got[1], N},
            {CblasNoTrans, CblasNoTrans, MS, MS, MS, 1.0f, S, MS, S, MS, 1.0f, got[2], MS}};
        if (th == 1) { /* the reference: the calls in order, each whole */
            for (int i = 0; i < 3; i++)
                cblas_sgemm(CblasRowMajor, a[i].ta, a[i].tb, a[i].M, a[i].N, a[i].K, a[i].alpha,
                            a[i].A, a[i].lda, a[i].B, a[i].ldb, a[i].beta, a[i].C, a[i].ldc);
            for (int i = 0; i < 2; i++)
                cblas_sgemm(CblasRowMajor, b[i].ta, b[i].tb, b[i].M, b[i].N, b[i].K, b[i].alpha,
                            b[i].A, b[i].lda, b[i].B, b[i].ldb, b[i].beta, b[i].C, b[i].ldc);
            for (int i = 0; i < 3; i++) {
                memcpy(want[i], got[i], sizeof(float) * sizes[i]);
                for (size_t j = 0; j < sizes[i]; j++) got[i][j] = (float)(j % 7) - 3.0f;
            }
        }
        policy_threads_set(th);
        policy_sgemm_chains(a, 3, b, 2);
        for (int i = 0; i < 3; i++) {
            if (memcmp(got[i], want[i], sizeof(float) * sizes[i]) != 0)
                fail_msg("%d threads: product %d of the chains is not the bits of the calls in "
                         "order",
                         th, i);
            free(got[i]);
        }
    }
    /* a chain with no multiply-adds (an empty batch: M = 0) beside chain a: it runs inline */
    policy_threads_set(2);
    float *got0 = malloc(sizeof(float) * sizes[0]);
    for (size_t j = 0; j < sizes[0]; j++) got0[j] = (float)(j % 7) - 3.0f;
    policy_gemm a1[3] = {{CblasNoTrans, CblasTrans, M, N, KA, 1.0f, A, KA, B, KA, 0.0f, got0, N},
                         {CblasNoTrans, CblasTrans, M, N, KB, 0.5f, A + (size_t)M * KA, KB,
                          B + (size_t)N * KA, KB, 1.0f, got0, N},
                         {CblasNoTrans, CblasTrans, M, N, KC, 1.0f, A + (size_t)M * (KA + KB), KC,
                          B + (size_t)N * (KA + KB), KC, 1.0f, got0, N}};
    policy_gemm empty = {CblasNoTrans, CblasNoTrans, 0, MS, MS, 1.0f, S, MS, S, MS, 0.0f, S, MS};
    policy_sgemm_chains(&empty, 1, &empty, 1); /* nothing to do on either side */
    policy_sgemm_chains(a1, 3, &empty, 1);
    assert_memory_equal(got0, want[0], sizeof(float) * sizes[0]);
    free(got0);
    for (int i = 0; i < 3; i++) free(want[i]);
    free(A), free(B), free(S);
    policy_threads_set(1);
}

/* policy_model_randomize cuts the buffer over the threads; every value depends on its index
 * alone, so the buffer is the same at 1, 2 and 3 threads and the same as the serial loop gave
 * before the cut (FNV-1a of its bytes, recorded from that loop: random models made by earlier
 * builds, and the demo's, are made again bit for bit). */
static void randomize_same_bits(void **state) {
    (void)state;
    policy_config cfg;
    policy_config_default(&cfg, POLICY_ARCH_QWEN2); /* QKV biases: zeros; norms: ones */
    cfg.C = 96, cfg.L = 2, cfg.H = 4, cfg.KVH = 2, cfg.D = 24, cfg.F = 200, cfg.V = 300;
    rlpt_err err;
    for (int th = 1; th <= 3; th++) {
        policy_threads_set(th);
        policy_model m;
        assert_int_equal(policy_model_init(&m, &cfg, &err), 0);
        assert_int_equal(m.layout.total, 228960);
        policy_model_randomize(&m, 7, 0.05f);
        uint64_t h = 1469598103934665603ull;
        const unsigned char *b = (const unsigned char *)m.params;
        for (size_t i = 0; i < m.layout.total * sizeof(float); i++)
            h = (h ^ b[i]) * 1099511628211ull;
        if (h != 0x8964d23dd0746e8bull)
            fail_msg("%d threads: FNV-1a %016llx, the serial loop's was 8964d23dd0746e8b", th,
                     (unsigned long long)h);
        policy_model_free(&m);
    }
    policy_threads_set(1);
}

typedef struct step_out {
    float *logp, *grads, *params;
    size_t n; /* parameters */
} step_out;

/* One training step of a fresh model (seeded) at `threads` threads. */
static step_out train_step(int threads) {
    policy_threads_set(threads);
    policy_config cfg;
    policy_config_default(&cfg, POLICY_ARCH_LLAMA);
    cfg.C = 256, cfg.L = 2, cfg.H = 4, cfg.KVH = 2, cfg.D = 64, cfg.F = 704, cfg.V = 1000;
    int B = 3, T = 200, N = B * T;
    rlpt_err err;
    policy_model m;
    policy_acts a;
    policy_adamw opt;
    assert_int_equal(policy_model_init(&m, &cfg, &err), 0);
    assert_int_equal(policy_acts_init(&a, &cfg, B, T, POLICY_ACTS_TRAIN, &err), 0);
    assert_int_equal(policy_adamw_init(&opt, m.layout.total, &err), 0);
    policy_model_randomize(&m, 7, 0.05f);
    int *ids = malloc(sizeof(int) * N), *targets = malloc(sizeof(int) * N);
    float *dlogp = malloc(sizeof(float) * N);
    step_out o = {malloc(sizeof(float) * N), calloc(m.layout.total, sizeof(float)),
                  malloc(sizeof(float) * m.layout.total), m.layout.total};
    for (int i = 0; i < N; i++) ids[i] = (int)((i * 2654435761u) % (unsigned)cfg.V);
    for (int i = 0; i < N; i++) targets[i] = ((i + 1) % T) ? ids[i + 1] : -1;
    for (int i = 0; i < N; i++) dlogp[i] = -1.0f / N;
    assert_int_equal(policy_forward(&m, &a, ids, targets, o.logp, NULL, &err), 0);
    policy_backward(&m, &a, ids, targets, dlogp, o.grads);
    float *g = malloc(sizeof(float) * m.layout.total);
    memcpy(g, o.grads, sizeof(float) * m.layout.total);
    policy_grad_clip(g, m.layout.total, 1.0f);
    policy_adamw_step(&opt, &m.layout, m.params, g, 1e-3f);
    memcpy(o.params, m.params, sizeof(float) * m.layout.total);
    free(g), free(ids), free(targets), free(dlogp);
    policy_adamw_free(&opt);
    policy_acts_free(&a);
    policy_model_free(&m);
    return o;
}

static void training_step_same_bits(void **state) {
    (void)state;
    step_out one = train_step(1);
    size_t n = one.n;
    for (int th = 2; th <= 3; th++) {
        step_out o = train_step(th);
        if (memcmp(o.logp, one.logp, sizeof(float) * 3 * 200))
            fail_msg("log-probs at %d threads differ from 1 thread", th);
        if (memcmp(o.grads, one.grads, sizeof(float) * n))
            fail_msg("gradients at %d threads differ from 1 thread", th);
        if (memcmp(o.params, one.params, sizeof(float) * n))
            fail_msg("parameters after AdamW at %d threads differ from 1 thread", th);
        free(o.logp), free(o.grads), free(o.params);
    }
    free(one.logp), free(one.grads), free(one.params);
    policy_threads_set(1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sgemm_same_bits),
        cmocka_unit_test(sgemm_chains_same_bits),
        cmocka_unit_test(randomize_same_bits),
        cmocka_unit_test(training_step_same_bits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
