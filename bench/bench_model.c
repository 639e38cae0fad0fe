/* bench/bench_model.c: training throughput of the policy model, one step = forward + backward
 * + clipping + AdamW over a batch B x T, on a random model of a named config:
 *   tiny  d=256 L=4 H=4 KVH=2 ffn=768  V=512   T=256 B=8   (~3M parameters)
 *   100m  d=768 L=12 H=12 KVH=4 ffn=2048 V=32000 T=512 B=8 (~100M parameters)
 * Prints tokens/s, the sgemm peak measured in the same process (a 2048^3 sgemm), the model
 * FLOP utilisation (PaLM's 6N + 12 L H D T FLOPs per token, N = matmul parameters), the OpenBLAS
 * core and thread count, tokens per CPU-second, and a last line
 * "RESULT <config> <tokens/s> <peak GFLOP/s> <core> <tokens/CPU-s>" for bench/bench_model.sh,
 * which compares with PyTorch. Never passes or fails on time.
 * usage: bench_model tiny|100m [steps] [--recompute]   or   bench_model peak */
#define _POSIX_C_SOURCE 200809L
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "policy.h"

static double clock_s(clockid_t id) {
    struct timespec ts;
    clock_gettime(id, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}
static double now(void) {
    return clock_s(CLOCK_MONOTONIC);
}

/* GFLOP/s of C (n, n) = A (n, n) @ B (n, n), best of 3: OpenBLAS's own threading at the
 * model's thread count (the model keeps OpenBLAS at one thread and cuts its sgemms itself) */
static double sgemm_peak(int n) {
    policy_blas_info bi;
    policy_blas_get_info(&bi);
    openblas_set_num_threads(bi.threads);
    float *a = malloc(sizeof(float) * n * n), *b = malloc(sizeof(float) * n * n);
    float *c = malloc(sizeof(float) * n * n);
    for (long i = 0; i < (long)n * n; i++) a[i] = b[i] = (float)(i % 7) * 0.1f;
    double best = 0.0;
    for (int r = 0; r < 4; r++) {
        double t = now();
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a, n, b, n, 0.0f, c,
                    n);
        double g = 2.0 * n * n * (double)n / (now() - t) / 1e9;
        if (r && g > best) best = g; /* the first call warms up */
    }
    openblas_set_num_threads(1);
    free(a), free(b), free(c);
    return best;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: bench_model tiny|100m [steps] [--recompute] | peak\n");
        return 2;
    }
    if (strcmp(argv[1], "peak") == 0) { /* the sgemm figure alone, to compare cores */
        policy_blas_set_threads(0, 2, 1);
        policy_blas_info bi;
        policy_blas_get_info(&bi);
        printf("sgemm 2048^3: %.1f GFLOP/s, OpenBLAS core %s, %d threads\n", sgemm_peak(2048),
               bi.corename, bi.threads);
        return 0;
    }
    policy_config cfg;
    policy_config_default(&cfg, POLICY_ARCH_LLAMA);
    int B = 8, T;
    if (strcmp(argv[1], "tiny") == 0) {
        cfg.C = 256, cfg.L = 4, cfg.H = 4, cfg.KVH = 2, cfg.F = 768, cfg.V = 512, T = 256;
    } else if (strcmp(argv[1], "100m") == 0) {
        cfg.C = 768, cfg.L = 12, cfg.H = 12, cfg.KVH = 4, cfg.F = 2048, cfg.V = 32000, T = 512;
    } else {
        fprintf(stderr, "bench_model: unknown config '%s'\n", argv[1]);
        return 2;
    }
    cfg.D = cfg.C / cfg.H;
    int steps = 5;
    if (argc > 2) {
        char *end = NULL;
        long v = strtol(argv[2], &end, 10);
        if (end == argv[2] || *end || v < 1 || v > 100000) {
            fprintf(stderr, "bench_model: steps '%s' is not a positive integer\n", argv[2]);
            return 2;
        }
        steps = (int)v;
    }
    int flags = POLICY_ACTS_TRAIN;
    if (argc > 3 && strcmp(argv[3], "--recompute") == 0) flags |= POLICY_ACTS_RECOMPUTE;
    policy_blas_set_threads(0, 2, 1);
    policy_blas_info bi;
    policy_blas_get_info(&bi);
    char plan[256];
    policy_memplan mp;
    policy_memplan_compute(&mp, &cfg, B, T, flags);
    policy_memplan_format(&mp, plan, sizeof plan);
    printf("config %s: d=%d L=%d H=%d KVH=%d ffn=%d V=%d, batch %d x %d%s\n%s\n", argv[1], cfg.C,
           cfg.L, cfg.H, cfg.KVH, cfg.F, cfg.V, B, T,
           flags & POLICY_ACTS_RECOMPUTE ? ", recompute" : "", plan);
    printf("OpenBLAS core %s, %d threads; OPENBLAS_CORETYPE=%s\n", bi.corename, bi.threads,
           getenv("OPENBLAS_CORETYPE") ? getenv("OPENBLAS_CORETYPE") : "(unset)");
    rlpt_err err;
    policy_model m;
    policy_acts a;
    policy_adamw opt;
    if (policy_memplan_check(&mp, policy_mem_available(), B, T, flags, &err) ||
        policy_model_init(&m, &cfg, &err) || policy_acts_init(&a, &cfg, B, T, flags, &err) ||
        policy_adamw_init(&opt, m.layout.total, &err)) {
        fprintf(stderr, "bench_model: %s\n", err.msg);
        return 1;
    }
    policy_model_randomize(&m, 1, 0.02f);
    int N = B * T;
    int *ids = malloc(sizeof(int) * N), *targets = malloc(sizeof(int) * N);
    float *logp = malloc(sizeof(float) * N), *dlogp = malloc(sizeof(float) * N);
    float *grads = malloc(sizeof(float) * m.layout.total);
    for (int i = 0; i < N; i++) ids[i] = (int)((i * 2654435761u) % (unsigned)cfg.V);
    for (int i = 0; i < N; i++) targets[i] = ((i + 1) % T) ? ids[i + 1] : -1;
    for (int i = 0; i < N; i++) dlogp[i] = -1.0f / N;
    double t0 = 0.0, cpu0 = 0.0;
    for (int s = 0; s <= steps; s++) { /* step 0 warms up */
        if (s == 1) t0 = now(), cpu0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
        double ts = now();
        if (policy_forward(&m, &a, ids, targets, logp, NULL, &err)) {
            fprintf(stderr, "bench_model: %s\n", err.msg);
            return 1;
        }
        policy_zero(grads, m.layout.total);
        policy_backward(&m, &a, ids, targets, dlogp, grads);
        double norm = policy_grad_norm(grads, m.layout.total); /* clipped at 1, in the update */
        policy_adamw_step_scaled(&opt, &m.layout, m.params, grads, 1e-4f,
                                 policy_clip_coef(norm, 1.0f));
        double loss = 0.0;
        for (int i = 0; i < N; i++) loss -= logp[i] / N;
        printf("step %d: loss %.4f, grad norm %.3f, %.2f s\n", s, loss, norm, now() - ts);
        fflush(stdout);
    }
    double dt = (now() - t0) / steps, tps = N / dt;
    double cpu_tps = N / ((clock_s(CLOCK_PROCESS_CPUTIME_ID) - cpu0) / steps);
    double n_matmul = (double)m.layout.total - (cfg.tied ? 0 : (double)cfg.V * cfg.C);
    for (int i = 0; i < m.layout.n; i++)
        if (m.layout.t[i].ndim == 1) n_matmul -= (double)m.layout.t[i].numel;
    double flops_tok = 6.0 * n_matmul + 12.0 * cfg.L * cfg.H * cfg.D * T;
    double peak = sgemm_peak(2048);
    printf("%s: %zu parameters, %.0f tokens/s (%.3f s/step), %.1f GFLOP/s model FLOPs; "
           "sgemm peak %.1f GFLOP/s on %d threads: MFU %.1f%%\n",
           argv[1], m.layout.total, tps, dt, flops_tok * tps / 1e9, peak, bi.threads,
           100.0 * flops_tok * tps / 1e9 / peak);
    printf("%s: %.0f tokens per CPU-second (all threads; steadier than wall time on a shared "
           "machine)\n",
           argv[1], cpu_tps);
    printf("RESULT %s %.1f %.1f %s %.1f\n", argv[1], tps, peak, bi.corename, cpu_tps);
    free(ids), free(targets), free(logp), free(dlogp), free(grads);
    policy_adamw_free(&opt);
    policy_acts_free(&a);
    policy_model_free(&m);
    return 0;
}
