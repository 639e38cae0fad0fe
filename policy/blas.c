/* policy/blas.c: which OpenBLAS kernels and how many threads the model's sgemm calls use.
 * Reference: OpenBLAS cblas.h (openblas_get_corename, openblas_set_num_threads). */
#include "model.h"
#include "policy.h"

#include <cblas.h>
#include <stdlib.h>

void policy_blas_get_info(policy_blas_info *info) {
    info->corename = openblas_get_corename();
    info->config = openblas_get_config();
    info->threads = openblas_get_num_threads();
}

int policy_blas_set_threads(int threads, int cores_per_node, int ranks_per_node) {
    if (threads <= 0) {
        const char *env = getenv("OPENBLAS_NUM_THREADS");
        char *end = NULL;
        long from_env = env ? strtol(env, &end, 10) : 0;
        if (!env || end == env || *end || from_env > 1024) from_env = 0; /* ignore junk */
        if (from_env > 0) {
            threads = (int)from_env;
        } else {
            if (ranks_per_node < 1) ranks_per_node = 1;
            threads = cores_per_node / ranks_per_node;
            if (threads < 1) threads = 1;
        }
    }
    openblas_set_num_threads(threads);
    policy_threads_set(openblas_get_num_threads()); /* the model's own kernels: as many */
    return openblas_get_num_threads();
}
