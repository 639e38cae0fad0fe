/* policy/policy.h: the policy module's public interface — the model (config, parameters,
 * forward/backward, optimizer, checkpoints), the tokenizer and chat templates, and the BLAS
 * set-up they run on. policy/ knows nothing of RL.
 *
 * Dimension names, used in every shape comment of this module and its dependants:
 *   B batch, T sequence length, C model width (hidden_size), H query heads, KVH key/value heads,
 *   D head dim, F MLP width (intermediate_size), L layers, V vocabulary, G samples per group. */
#ifndef POLICY_H
#define POLICY_H

#include "rlpt/err.h"

#include "model.h"
#include "tokenizer.h"

/* ---- BLAS (policy/blas.c) ---------------------------------------------------------------- */

typedef struct policy_blas_info {
    const char *corename; /* OpenBLAS kernel set in use, e.g. "Haswell", "SkylakeX" */
    const char *config;   /* openblas_get_config(): version and build options */
    int threads;          /* threads the model's sgemms and kernels run on */
} policy_blas_info;

void policy_blas_get_info(policy_blas_info *info);

/* Sets the model's thread count (its sgemms and its own kernels, policy/parallel.c). threads > 0
 * is used as given (up to what OpenBLAS was built for); 0 means "automatic": the
 * OPENBLAS_NUM_THREADS environment variable when set, else cores_per_node / ranks_per_node
 * (at least 1), so that `mpirun -np 2` on 2 cores runs one thread per rank. OpenBLAS itself is
 * set to one thread. Returns the count in use. */
int policy_blas_set_threads(int threads, int cores_per_node, int ranks_per_node);

#endif
