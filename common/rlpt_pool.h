/* common/rlpt_pool.h: a fixed set of worker threads that all run one task and meet again: the
 * generation projections (rollout/) and the model's element-wise and row-wise kernels
 * (policy/) use the cores with it, outside OpenBLAS. Leaves out work stealing and nested
 * tasks. */
#ifndef RLPT_POOL_H
#define RLPT_POOL_H

#include <pthread.h>

#include "rlpt/err.h"

/* fn(arg, t, nt) runs once for every t in 0 .. nt-1, t = 0 on the calling thread. */
typedef void (*rlpt_task_fn)(void *arg, int t, int nt);

typedef struct rlpt_pool {
    int n;              /* threads including the caller; 1 = no worker threads */
    pthread_t *threads; /* n - 1 workers */
    pthread_mutex_t mu;
    pthread_cond_t go, done;
    rlpt_task_fn fn;
    void *arg;
    long generation; /* bumped for every task */
    int pending;     /* workers still running the current task */
    int quit;
} rlpt_pool;

int rlpt_pool_init(rlpt_pool *p, int n, rlpt_err *err);
void rlpt_pool_free(rlpt_pool *p);
/* Runs fn on every thread and returns when all are done. */
void rlpt_pool_run(rlpt_pool *p, rlpt_task_fn fn, void *arg);

/* The part [*i0, *i1) of 0 .. n that thread t of nt takes: contiguous, in order, even. */
static inline void rlpt_pool_range(long n, int t, int nt, long *i0, long *i1) {
    *i0 = n * t / nt;
    *i1 = n * (t + 1) / nt;
}

#endif
