/* bench/bench_rollout.c: generation throughput of rollout/ on the model issue's configs
 *   tiny  d=256 L=4 H=4 KVH=2 ffn=768  V=512   (~3M parameters, untied)
 *   100m  d=768 L=12 H=12 KVH=4 ffn=2048 V=32000 (~125M with the untied LM head)
 * with random weights (no stop token, so every sequence runs to its max_new_tokens).
 *   bench_rollout gen CONFIG BATCH PROMPT NEW THREADS
 *       B sequences of PROMPT random tokens, NEW sampled tokens each (temperature 1), in one
 *       rollout_generate call with batch_size B: prints the generated tokens/s (prefill
 *       included) and, at B = 1, the decode rate as a share of the memory-bandwidth limit
 *       (weights bytes per token vs a STREAM triad measured in the same process), and as a
 *       share of a read-only stream over the same arrays (decode only reads).
 *   mpirun -np R bench_rollout mpi CONFIG PROMPTS NEW THREADS
 *       one rollout step of PROMPTS prompts spread over R ranks (rollout_generate_mpi, gathered
 *       at rank 0), batch_size = the prompts of a rank: prints the step's tokens/s.
 * Prints "RESULT ..." lines for bench_rollout.sh. Never fails on time. */
#define _POSIX_C_SOURCE 200809L
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int config_of(const char *name, policy_config *cfg) {
    policy_config_default(cfg, POLICY_ARCH_LLAMA);
    if (strcmp(name, "tiny") == 0) {
        cfg->C = 256, cfg->L = 4, cfg->H = 4, cfg->KVH = 2, cfg->F = 768, cfg->V = 512;
    } else if (strcmp(name, "100m") == 0) {
        cfg->C = 768, cfg->L = 12, cfg->H = 12, cfg->KVH = 4, cfg->F = 2048, cfg->V = 32000;
    } else {
        fprintf(stderr, "bench_rollout: unknown config '%s' (tiny or 100m)\n", name);
        return -1;
    }
    cfg->D = cfg->C / cfg->H;
    cfg->tied = 0;
    cfg->n_eos = 0; /* random weights: never stop early */
    cfg->max_pos = 4096;
    return 0;
}

/* ---- STREAM triad a = b + s c over arrays far larger than the caches ---------------------- */

typedef struct triad_arg {
    float *a, *b, *c;
    size_t n;
} triad_arg;

static void triad_part(void *arg, int t, int nt) {
    triad_arg *x = arg;
    size_t i0 = x->n * (size_t)t / (size_t)nt, i1 = x->n * ((size_t)t + 1) / (size_t)nt;
    for (size_t i = i0; i < i1; i++) x->a[i] = x->b[i] + 3.0f * x->c[i];
}

static void triad_init(void *arg, int t, int nt) { /* first touch by the thread that uses it */
    triad_arg *x = arg;
    size_t i0 = x->n * (size_t)t / (size_t)nt, i1 = x->n * ((size_t)t + 1) / (size_t)nt;
    for (size_t i = i0; i < i1; i++) x->a[i] = 0.0f, x->b[i] = 1.0f, x->c[i] = 2.0f;
}

/* Read-only: sums of the three arrays, thirty-two independent lanes so that it vectorises
 * without reassociation. Decode only reads its weights, which the triad's writes understate. */
static void read_part(void *arg, int t, int nt) {
    triad_arg *x = arg;
    size_t i0 = x->n * (size_t)t / (size_t)nt, i1 = x->n * ((size_t)t + 1) / (size_t)nt;
    i0 &= ~(size_t)31, i1 &= ~(size_t)31;
    float acc[32] = {0};
    for (size_t i = i0; i < i1; i += 32)
        for (int l = 0; l < 32; l++) acc[l] += x->a[i + l] + x->b[i + l] + x->c[i + l];
    float s = 0.0f;
    for (int l = 0; l < 32; l++) s += acc[l];
    if (s == -1.0f) x->a[i0] = s; /* keeps the sums alive; never true for these arrays */
}

/* the shortest of 5 runs of fn over the pool, in seconds */
static double best_of5(rlpt_pool *pool, rlpt_task_fn fn, triad_arg *x) {
    double best = 1e30;
    for (int r = 0; r < 5; r++) {
        double t0 = now();
        rlpt_pool_run(pool, fn, x);
        double dt = now() - t0;
        best = dt < best ? dt : best;
    }
    return best;
}

/* Best of 5 triads over 3 x 128 MiB, bytes counted as STREAM does (3 x 4 per element); and,
 * in *read_gbs, the best of 5 read-only passes over the same arrays. */
static double triad_gbs(rlpt_pool *pool, double *read_gbs) {
    triad_arg x = {NULL, NULL, NULL, (size_t)32 << 20};
    x.a = malloc(x.n * 4), x.b = malloc(x.n * 4), x.c = malloc(x.n * 4);
    if (!x.a || !x.b || !x.c) {
        free(x.a), free(x.b), free(x.c);
        return 0.0;
    }
    rlpt_pool_run(pool, triad_init, &x);
    *read_gbs = 12.0 * (double)x.n / best_of5(pool, read_part, &x) / 1e9;
    double best = best_of5(pool, triad_part, &x);
    free(x.a), free(x.b), free(x.c);
    return 12.0 * (double)x.n / best / 1e9;
}

/* ---- generation ------------------------------------------------------------------------------ */

static rollout_prompt *make_prompts(int P, int T, int V, int32_t **buf) {
    *buf = malloc((size_t)P * T * sizeof **buf);
    rollout_prompt *p = malloc((size_t)P * sizeof *p);
    for (int i = 0; i < P; i++) {
        for (int t = 0; t < T; t++)
            (*buf)[(size_t)i * T + t] =
                (int32_t)(((uint32_t)(i * 7919 + t) * 2654435761u) % (uint32_t)V);
        p[i] = (rollout_prompt){*buf + (size_t)i * T, T, (uint64_t)i};
    }
    return p;
}

static int bench_gen(const char *name, int B, int T, int NEW, int threads) {
    policy_config cfg;
    if (config_of(name, &cfg)) return 2;
    policy_model m;
    rlpt_err err;
    if (policy_model_init(&m, &cfg, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    policy_model_randomize(&m, 1, 0.02f);
    rollout_config rc;
    rollout_config_default(&rc);
    rc.batch_size = B;
    rc.max_prompt_tokens = T;
    rc.max_new_tokens = NEW;
    rc.seed = 1;
    rollout_engine *e;
    if (rollout_engine_init(&e, &m, NULL, &rc, threads, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    int32_t *buf;
    rollout_prompt *p = make_prompts(B, T, cfg.V, &buf);
    rollout_sample *out = calloc((size_t)B, sizeof *out);
    /* warm-up: one short call touches the weights and the cache */
    rollout_generate(e, p, B < 2 ? B : 2, 99, out, &err);
    rollout_samples_free(out, (size_t)(B < 2 ? B : 2));
    double t0 = now();
    if (rollout_generate(e, p, B, 0, out, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        free(out), free(p), free(buf);
        rollout_engine_free(e);
        policy_model_free(&m);
        return 1;
    }
    double dt = now() - t0;
    rollout_stats st;
    rollout_engine_stats(e, &st);
    long toks = 0;
    for (int i = 0; i < B; i++) toks += out[i].n_ids;
    policy_blas_info bi;
    policy_blas_get_info(&bi);
    double wbytes = 4.0 * ((double)m.layout.total - (double)cfg.V * cfg.C); /* embed row: 1 */
    printf("rlpt %s: batch %d, prompt %d, %d new tokens, %d threads: %ld tokens in %.3f s = "
           "%.1f tokens/s (%ld forward passes; OpenBLAS core %s, unused by generation)\n",
           name, B, T, NEW, threads, toks, dt, (double)toks / dt, st.forward_calls, bi.corename);
    double share = 0.0, gbs = 0.0, rgbs = 0.0;
    if (B == 1) { /* decode only: time NEW-1 single-token steps after the prefill */
        int32_t *one = buf;
        rollout_prompt q = {one, T, 0};
        rollout_config r1 = rc;
        r1.max_new_tokens = 1;
        rollout_engine *e1;
        rollout_engine_init(&e1, &m, NULL, &r1, threads, &err);
        rollout_sample o1;
        double p0 = now();
        rollout_generate(e1, &q, 1, 0, &o1, &err); /* prefill + 1 token */
        double prefill = now() - p0;
        rollout_samples_free(&o1, 1);
        rollout_engine_free(e1);
        double decode_tps = (NEW - 1) / (dt - prefill);
        rlpt_pool pool;
        rlpt_pool_init(&pool, threads, NULL);
        gbs = triad_gbs(&pool, &rgbs);
        rlpt_pool_free(&pool);
        double limit = gbs * 1e9 / wbytes, rlimit = rgbs * 1e9 / wbytes;
        share = decode_tps / limit;
        printf("rlpt %s batch 1 decode: %.1f tokens/s; weights %.1f MB per token; STREAM triad "
               "%.1f GB/s (%d threads) -> limit %.1f tokens/s; share %.0f%%; read-only stream "
               "%.1f GB/s -> limit %.1f tokens/s; share %.0f%%\n",
               name, decode_tps, wbytes / 1e6, gbs, threads, limit, 100.0 * share, rgbs, rlimit,
               100.0 * decode_tps / rlimit);
    }
    printf("RESULT gen %s %d %.2f %.3f %.2f %s %.2f\n", name, B, (double)toks / dt, share, gbs,
           bi.corename, rgbs);
    rollout_samples_free(out, (size_t)B);
    free(out);
    free(p);
    free(buf);
    rollout_engine_free(e);
    policy_model_free(&m);
    return 0;
}

static int bench_mpi(const char *name, int P, int NEW, int threads) {
    MPI_Init(NULL, NULL);
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    policy_config cfg;
    if (config_of(name, &cfg)) return 2;
    policy_model m;
    rlpt_err err;
    if (policy_model_init(&m, &cfg, &err)) return 1;
    policy_model_randomize(&m, 1, 0.02f);
    rollout_config rc;
    rollout_config_default(&rc);
    rc.batch_size = (P + size - 1) / size;
    rc.max_prompt_tokens = 32;
    rc.max_new_tokens = NEW;
    rollout_engine *e;
    if (rollout_engine_init(&e, &m, NULL, &rc, threads, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    int32_t *buf;
    rollout_prompt *p = make_prompts(P, 32, cfg.V, &buf);
    rollout_sample *out = calloc((size_t)P, sizeof *out);
    rollout_generate_mpi(e, MPI_COMM_WORLD, p, size, 99, 0, out, &err); /* warm-up */
    rollout_samples_free(out, (size_t)P);
    MPI_Barrier(MPI_COMM_WORLD);
    double t0 = now();
    int r = rollout_generate_mpi(e, MPI_COMM_WORLD, p, P, 0, 0, out, &err);
    double dt = now() - t0;
    if (r) fprintf(stderr, "rank %d: %s\n", rank, err.msg);
    if (rank == 0) {
        long toks = 0;
        for (int i = 0; i < P; i++) toks += out[i].n_ids;
        printf("rlpt %s rollout step: %d prompts x %d new tokens on %d rank%s x %d thread%s: "
               "%.3f s = %.1f tokens/s\n",
               name, P, NEW, size, size > 1 ? "s" : "", threads, threads > 1 ? "s" : "", dt,
               (double)toks / dt);
        printf("RESULT mpi %s %d %d %.2f\n", name, size, threads, (double)toks / dt);
    }
    rollout_samples_free(out, (size_t)P);
    free(out);
    free(p);
    free(buf);
    rollout_engine_free(e);
    policy_model_free(&m);
    MPI_Finalize();
    return r ? 1 : 0;
}

/* argv[first .. first+n-1] as positive ints; 0 when one is not */
static int ints(char **argv, int first, int n, int *v) {
    for (int i = 0; i < n; i++) {
        char *end = NULL;
        long x = strtol(argv[first + i], &end, 10);
        if (end == argv[first + i] || *end || x < 1 || x > 1 << 20) return 0;
        v[i] = (int)x;
    }
    return 1;
}

int main(int argc, char **argv) {
    int v[4];
    if (argc == 7 && strcmp(argv[1], "gen") == 0 && ints(argv, 3, 4, v))
        return bench_gen(argv[2], v[0], v[1], v[2], v[3]);
    if (argc == 6 && strcmp(argv[1], "mpi") == 0 && ints(argv, 3, 3, v))
        return bench_mpi(argv[2], v[0], v[1], v[2]);
    fprintf(stderr, "usage: bench_rollout gen tiny|100m BATCH PROMPT NEW THREADS\n"
                    "       mpirun -np R bench_rollout mpi tiny|100m PROMPTS NEW THREADS\n");
    return 2;
}
