/* policy/blas.c: which OpenBLAS kernels the model's sgemm calls use, and on how many threads
 * (the model's pool's, policy/parallel.c; OpenBLAS itself runs at one).
 * Reference: OpenBLAS cblas.h (openblas_get_corename, openblas_set_num_threads). */
#include "model.h"
#include "policy.h"

#include <cblas.h>
#include <stdlib.h>

void policy_blas_get_info(policy_blas_info *info) {
    info->corename = openblas_get_corename();
    info->config = openblas_get_config();
    info->threads = policy_threads();
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
    openblas_set_num_threads(threads); /* clamps to what OpenBLAS was built for */
    policy_threads_set(openblas_get_num_threads());
    openblas_set_num_threads(1); /* policy_sgemm cuts the sgemms over the model's threads */
    return policy_threads();
}
