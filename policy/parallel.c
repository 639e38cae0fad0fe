/* policy/parallel.c: the threads the model runs on: one rlpt_pool per process. The sgemms are
 * cut into row (or column) blocks of the product, one single-threaded cblas_sgemm per thread
 * (policy_sgemm), or two independent chains of sgemms run side by side, each on its share of the
 * threads (policy_sgemm_chains: a backward's input and weight gradients, q beside k and v, gate
 * beside up), and the model's own kernels (row-wise softmax and log-probs, SwiGLU, RoPE,
 * RMSNorm forward, AdamW) run on the same threads, so that they do not leave cores idle between
 * two sgemms. OpenBLAS itself is kept at one thread: its idle workers poll with sched_yield for
 * about 2^28 cycles after each call (OPENBLAS_THREAD_TIMEOUT), and on a machine with as many
 * threads as cores they took the cores from this pool's work (tiny training: 4350 tokens/s with
 * OpenBLAS's threads, 5900 with its timeout at the minimum). Work is cut into contiguous ranges
 * whose results do not depend on the cut; attention runs one sequence per thread
 * (policy_parallel_blas). Sums across rows (RMSNorm's weight gradient, the gradient norm) go
 * over fixed chunks, whose partial sums are then added in chunk order: the same bits at any
 * thread count too. Leaves out work stealing: every cut is fixed in advance. */
#include "model.h"
#include "rlpt_pool.h"

#include <cblas.h>
#include <string.h>

static rlpt_pool pool;
static int pool_up;
static int pool_want; /* 0: OpenBLAS's thread count when first used */
static _Thread_local int in_task;

void policy_threads_set(int threads) {
    if (pool_up && pool.n != threads) {
        rlpt_pool_free(&pool);
        pool_up = 0;
    }
    pool_want = threads;
}

int policy_threads(void) {
    return pool_up ? pool.n : pool_want > 0 ? pool_want : openblas_get_num_threads();
}

typedef struct range_task {
    policy_range_fn fn;
    void *arg;
    long n;
} range_task;

static void run_range(void *arg, int t, int nt) {
    const range_task *r = arg;
    long i0, i1;
    rlpt_pool_range(r->n, t, nt, &i0, &i1);
    in_task = 1;
    if (i1 > i0) r->fn(r->arg, i0, i1);
    in_task = 0;
}

static void pool_start(void) {
    if (pool_up || in_task) return;
    int want = policy_threads();
    if (rlpt_pool_init(&pool, want < 1 ? 1 : want, NULL) != 0)
        rlpt_pool_init(&pool, 1, NULL); /* no threads to be had: run inline */
    pool_up = 1;
    openblas_set_num_threads(1); /* the pool cuts the sgemms */
}

typedef struct blas_task {
    rlpt_task_fn fn;
    void *arg;
} blas_task;

static void run_blas_task(void *arg, int t, int nt) {
    const blas_task *b = arg;
    in_task = 1;
    b->fn(b->arg, t, nt);
    in_task = 0;
}

rlpt_pool *policy_pool(void) {
    pool_start();
    return &pool;
}

int policy_parallel_blas(int max_tasks, rlpt_task_fn fn, void *arg) {
    pool_start();
    if (in_task || pool.n <= 1 || pool.n > max_tasks) {
        fn(arg, 0, 1);
        return 1;
    }
    blas_task b = {fn, arg}; /* each task's sgemms run whole on its own thread */
    rlpt_pool_run(&pool, run_blas_task, &b);
    return pool.n;
}

/* Blocks of the product start at multiples of this, so that they keep OpenBLAS's whole tiles. */
#define SGEMM_ALIGN 64

/* Part t of nt of g's product (rows of C, or columns when C is wider than tall), as one
 * single-threaded cblas_sgemm; each element's sum over K is the same as the whole call's. */
static void sgemm_block(const policy_gemm *g, int t, int nt) {
    int by_rows = g->M >= g->N, n = by_rows ? g->M : g->N;
    int blocks = (n + SGEMM_ALIGN - 1) / SGEMM_ALIGN;
    int i0 = (int)((long)blocks * t / nt) * SGEMM_ALIGN;
    int i1 = (int)((long)blocks * (t + 1) / nt) * SGEMM_ALIGN;
    if (i1 > n) i1 = n;
    if (i1 <= i0) return;
    if (by_rows) { /* rows i0 .. i1-1 of C: those rows of op(A) */
        const float *a = g->A + (g->ta == CblasNoTrans ? (size_t)i0 * g->lda : (size_t)i0);
        cblas_sgemm(CblasRowMajor, g->ta, g->tb, i1 - i0, g->N, g->K, g->alpha, a, g->lda, g->B,
                    g->ldb, g->beta, g->C + (size_t)i0 * g->ldc, g->ldc);
    } else { /* columns i0 .. i1-1 of C: those columns of op(B) */
        const float *b = g->B + (g->tb == CblasNoTrans ? (size_t)i0 : (size_t)i0 * g->ldb);
        cblas_sgemm(CblasRowMajor, g->ta, g->tb, g->M, i1 - i0, g->K, g->alpha, g->A, g->lda, b,
                    g->ldb, g->beta, g->C + i0, g->ldc);
    }
}

static void sgemm_part(void *arg, int t, int nt) {
    sgemm_block(arg, t, nt);
}

static void sgemm_whole(const policy_gemm *g) {
    cblas_sgemm(CblasRowMajor, g->ta, g->tb, g->M, g->N, g->K, g->alpha, g->A, g->lda, g->B, g->ldb,
                g->beta, g->C, g->ldc);
}

/* Below this many multiply-adds per thread, one call on one thread is faster. */
#define SGEMM_PARALLEL_MIN (1L << 21)

void policy_sgemm_call(const policy_gemm *g) {
    pool_start();
    int n = g->M >= g->N ? g->M : g->N;
    if (in_task || pool.n <= 1 || (long)g->M * g->N * g->K < SGEMM_PARALLEL_MIN * pool.n ||
        n < 2 * SGEMM_ALIGN) {
        sgemm_whole(g);
        return;
    }
    rlpt_pool_run(&pool, sgemm_part, (void *)g);
}

void policy_sgemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int M, int N, int K, float alpha,
                  const float *A, int lda, const float *B, int ldb, float beta, float *C, int ldc) {
    policy_gemm g = {ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc};
    policy_sgemm_call(&g);
}

typedef struct chains_task {
    const policy_gemm *c[2];
    int n[2];
    int split; /* threads 0 .. split-1 run chain 0, the rest chain 1 */
} chains_task;

static void chains_part(void *arg, int t, int nt) {
    const chains_task *ct = arg;
    int which = t >= ct->split, t0 = which ? ct->split : 0, g = which ? nt - ct->split : ct->split;
    in_task = 1;
    for (int i = 0; i < ct->n[which]; i++) {
        const policy_gemm *e = &ct->c[which][i];
        /* the cut depends on M, N and the group alone, so a call that adds to the C an earlier
         * call of the chain wrote finds its own rows on the same thread */
        if (g > 1 && (e->M >= e->N ? e->M : e->N) >= 2 * SGEMM_ALIGN)
            sgemm_block(e, t - t0, g);
        else if (t == t0)
            sgemm_whole(e);
    }
    in_task = 0;
}

static double chain_cost(const policy_gemm *c, int n) {
    double s = 0.0;
    for (int i = 0; i < n; i++) s += (double)c[i].M * c[i].N * c[i].K;
    return s;
}

void policy_sgemm_chains(const policy_gemm *a, int na, const policy_gemm *b, int nb) {
    pool_start();
    double ca = chain_cost(a, na), cb = chain_cost(b, nb);
    if (in_task || pool.n <= 1 || !(ca > 0.0 && cb > 0.0)) { /* also: an empty chain or product */
        for (int i = 0; i < na; i++) policy_sgemm_call(&a[i]);
        for (int i = 0; i < nb; i++) policy_sgemm_call(&b[i]);
        return;
    }
    /* each chain gets a share of the threads in proportion to its multiply-adds */
    int split = (int)(pool.n * ca / (ca + cb) + 0.5);
    if (split < 1) split = 1;
    if (split > pool.n - 1) split = pool.n - 1;
    chains_task ct = {{a, b}, {na, nb}, split};
    rlpt_pool_run(&pool, chains_part, &ct);
}

void policy_parallel_for(long n, long grain, policy_range_fn fn, void *arg) {
    if (n <= 0) return;
    pool_start();
    if (in_task || pool.n <= 1 || n < 2 * grain) {
        fn(arg, 0, n);
        return;
    }
    range_task r = {fn, arg, n};
    rlpt_pool_run(&pool, run_range, &r);
}

static void zero_part(void *arg, long i0, long i1) {
    memset((float *)arg + i0, 0, (size_t)(i1 - i0) * sizeof(float));
}

void policy_zero(float *x, size_t n) {
    policy_parallel_for((long)n, 1L << 16, zero_part, x);
}
