/* policy/parallel.c: the threads the model's own kernels run on (row-wise softmax and log-probs,
 * SwiGLU, RoPE, RMSNorm forward, AdamW): one rlpt_pool per process, as many threads as OpenBLAS
 * uses, so that these kernels do not leave the other cores idle between two sgemms. Work is cut
 * into contiguous ranges of rows or elements whose results do not depend on the cut, so the
 * values are the same at any thread count; attention runs one sequence per thread with OpenBLAS
 * set to one thread meanwhile (policy_parallel_blas). Leaves out reductions across rows
 * (RMSNorm's weight gradient, the gradient norm), which stay on one thread in their fixed
 * order. */
#include "model.h"
#include "rlpt_pool.h"

#include <cblas.h>

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

int policy_parallel_blas(int max_tasks, rlpt_task_fn fn, void *arg) {
    pool_start();
    if (in_task || pool.n <= 1 || pool.n > max_tasks) {
        fn(arg, 0, 1);
        return 1;
    }
    /* each task's sgemms on its own thread: OpenBLAS runs them in the caller when set to 1 */
    int blas = openblas_get_num_threads();
    openblas_set_num_threads(1);
    blas_task b = {fn, arg};
    rlpt_pool_run(&pool, run_blas_task, &b);
    openblas_set_num_threads(blas);
    return pool.n;
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
