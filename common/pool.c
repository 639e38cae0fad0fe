/* common/pool.c: the fork-join thread pool of rlpt_pool.h. Workers wait on a condition variable
 * after polling briefly (SPIN), so an idle pool does not compete with OpenBLAS's threads or
 * other ranks for the cores. Reference: the fork-join pattern of llama.cpp's ggml thread pool, with
 * a mutex and two condition variables. */
#include "rlpt_pool.h"

#include <stdlib.h>
#include <string.h>

typedef struct worker_arg {
    rlpt_pool *p;
    int t;
} worker_arg;

/* Before sleeping on a condition variable, a worker (and the caller waiting for the workers)
 * polls for this many rounds, some tens of microseconds: generation runs one task per
 * projection, and a futex wake-up per task cost more than a tiny model's projection. */
#define SPIN 2000

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

static long load(const long *x) {
    return __atomic_load_n(x, __ATOMIC_ACQUIRE);
}

static void *worker(void *a) {
    worker_arg *wa = a;
    rlpt_pool *p = wa->p;
    int t = wa->t;
    free(wa);
    long seen = 0;
    for (;;) {
        /* fn and arg are written before the generation is released (rlpt_pool_run) */
        for (int i = 0; i < SPIN && load(&p->generation) == seen &&
                        !__atomic_load_n(&p->quit, __ATOMIC_ACQUIRE);
             i++)
            cpu_relax();
        if (load(&p->generation) == seen) {
            pthread_mutex_lock(&p->mu);
            while (!p->quit && p->generation == seen) pthread_cond_wait(&p->go, &p->mu);
            pthread_mutex_unlock(&p->mu);
        }
        if (__atomic_load_n(&p->quit, __ATOMIC_ACQUIRE)) return NULL;
        seen = load(&p->generation);
        p->fn(p->arg, t, p->n);
        if (__atomic_sub_fetch(&p->pending, 1, __ATOMIC_ACQ_REL) == 0) {
            pthread_mutex_lock(&p->mu); /* the caller checks pending under mu before waiting */
            pthread_cond_signal(&p->done);
            pthread_mutex_unlock(&p->mu);
        }
    }
}

int rlpt_pool_init(rlpt_pool *p, int n, rlpt_err *err) {
    memset(p, 0, sizeof *p);
    if (n < 1) n = 1;
    p->n = 1;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->go, NULL);
    pthread_cond_init(&p->done, NULL);
    if (n == 1) return 0;
    p->threads = calloc((size_t)n - 1, sizeof *p->threads);
    if (!p->threads) return rlpt_errf(err, RLPT_ENOMEM, "out of memory for %d threads", n);
    for (int t = 1; t < n; t++) {
        worker_arg *wa = malloc(sizeof *wa);
        if (wa) *wa = (worker_arg){p, t};
        if (!wa || pthread_create(&p->threads[t - 1], NULL, worker, wa) != 0) {
            free(wa);
            rlpt_pool_free(p);
            return rlpt_errf(err, RLPT_ENOMEM,
                             "cannot start generation thread %d of %d (lower the thread count)", t,
                             n);
        }
        p->n = t + 1;
    }
    return 0;
}

void rlpt_pool_free(rlpt_pool *p) {
    if (!p) return;
    pthread_mutex_lock(&p->mu);
    __atomic_store_n(&p->quit, 1, __ATOMIC_RELEASE);
    pthread_cond_broadcast(&p->go);
    pthread_mutex_unlock(&p->mu);
    for (int t = 1; t < p->n; t++) pthread_join(p->threads[t - 1], NULL);
    free(p->threads);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->go);
    pthread_cond_destroy(&p->done);
    memset(p, 0, sizeof *p);
}

void rlpt_pool_run(rlpt_pool *p, rlpt_task_fn fn, void *arg) {
    if (p->n <= 1) {
        fn(arg, 0, 1);
        return;
    }
    pthread_mutex_lock(&p->mu);
    p->fn = fn;
    p->arg = arg;
    __atomic_store_n(&p->pending, p->n - 1, __ATOMIC_RELAXED);
    __atomic_store_n(&p->generation, p->generation + 1, __ATOMIC_RELEASE);
    pthread_cond_broadcast(&p->go);
    pthread_mutex_unlock(&p->mu);
    fn(arg, 0, p->n);
    for (int i = 0; i < SPIN && __atomic_load_n(&p->pending, __ATOMIC_ACQUIRE) > 0; i++)
        cpu_relax();
    pthread_mutex_lock(&p->mu);
    while (__atomic_load_n(&p->pending, __ATOMIC_ACQUIRE) > 0) pthread_cond_wait(&p->done, &p->mu);
    pthread_mutex_unlock(&p->mu);
}
