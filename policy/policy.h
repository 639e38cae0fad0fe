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
    int threads;          /* threads OpenBLAS uses now */
} policy_blas_info;

void policy_blas_get_info(policy_blas_info *info);

/* Sets the BLAS thread count. threads > 0 is used as given; 0 means "automatic": the
 * OPENBLAS_NUM_THREADS environment variable when set, else cores_per_node / ranks_per_node
 * (at least 1), so that `mpirun -np 2` on 2 cores runs one BLAS thread per rank. The model's
 * own kernels (policy/parallel.c) use as many threads. Returns the count in use. */
int policy_blas_set_threads(int threads, int cores_per_node, int ranks_per_node);

#endif
