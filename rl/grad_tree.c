/* rl/grad_tree.c: the gradient of a step summed over ranks in a fixed tree, so that the
 * weights do not depend on how many ranks computed them.
 *
 * Floating-point addition is commutative but not associative: a rank summing its share of a
 * batch inside one backward pass, then MPI adding the ranks' sums, gives a result whose last
 * bits depend on the rank count. Here the batch is cut into n_leaves leaves defined by the
 * data alone (a GRPO group's index in its sampling round, an SFT row's index in the batch,
 * modulo n_leaves); each leaf's gradient is computed on its own (its own padding, its own
 * batch) and leaves are added in one tree over leaf indices:
 *     S(r, j) = S(r, j+1) + S(r + 2^j, j+1)   (leaves l = r mod 2^j),   S(l, J) = leaf l,
 * with 2^J = n_leaves, and the answer S(0, 0). With size ranks, size a power of two dividing
 * n_leaves, leaf l lives on rank l mod size: rank r computes S(r, log2 size) alone, depth
 * first, and the levels above cross ranks (rank r receives S(r + 2^j, j+1) from rank r + 2^j),
 * then rank 0 broadcasts. Every rank count does the same additions in the same order, so the
 * sum is the same bits. An empty leaf is absent, never a zero added (x + 0 can turn -0 into
 * +0, which a byte comparison of the AdamW moments would see).
 * Cost: the leaves' smaller matrix products and log2(n_leaves / size) gradient buffers on
 * each rank (rl_tree_buffers), and a tree of sends instead of MPI's allreduce. Assumes each leaf's
 * gradient is itself reproducible, which holds for rlpt's kernels and OpenBLAS's level-3 routines
 * (threads split rows and columns, never the inner dimension) and is what tests/rl/grpo_train.sh
 * checks. */
#include <limits.h>
#include <mpi.h>
#include <stdlib.h>
#include <string.h>

#include "trainer.h"

int rl_tree_buffers(int n_leaves, int size) {
    int levels = 0;
    while ((size << levels) < n_leaves) levels++;
    return levels > 0 ? levels : size > 1; /* size > 1: a receive buffer */
}

int rl_tree_usable(int n_leaves, int size) {
    if (n_leaves < 2 || size > n_leaves) return 0;
    for (int s = size; s > 1; s >>= 1)
        if (s & 1) return 0;
    return n_leaves % size == 0 && (n_leaves & (n_leaves - 1)) == 0;
}

typedef struct tree {
    rl_leaf_fn fn;
    void *ctx;
    int n_leaves;
    size_t n;
    float **tmp; /* one buffer per local level */
    rlpt_err *err;
} tree;

static void add_into(float *out, int *present, const float *x, int x_present, size_t n) {
    if (*present && x_present)
        for (size_t i = 0; i < n; i++) out[i] += x[i];
    else if (x_present)
        memcpy(out, x, n * sizeof *out);
    *present = *present || x_present;
}

/* S(r, j) into out; depth is the index of the first free tmp buffer. */
static int local_sum(tree *t, int r, int step, float *out, int depth, int *present) {
    if (step >= t->n_leaves) return t->fn(t->ctx, r, out, present, t->err);
    int p2 = 0;
    int rc = local_sum(t, r, step * 2, out, depth + 1, present);
    if (!rc) rc = local_sum(t, r + step, step * 2, t->tmp[depth], depth + 1, &p2);
    if (!rc) add_into(out, present, t->tmp[depth], p2, t->n);
    return rc;
}

static int send_floats(float *buf, size_t n, int peer, int recv, rlpt_err *err) {
    for (size_t off = 0; off < n; off += INT_MAX / 2) {
        int len = (int)(n - off < (size_t)INT_MAX / 2 ? n - off : (size_t)INT_MAX / 2);
        int rc = recv ? rl_mpi_check(MPI_Recv(buf + off, len, MPI_FLOAT, peer, 71, MPI_COMM_WORLD,
                                              MPI_STATUS_IGNORE),
                                     "MPI_Recv (gradient tree)", err)
                      : rl_mpi_check(MPI_Send(buf + off, len, MPI_FLOAT, peer, 71, MPI_COMM_WORLD),
                                     "MPI_Send (gradient tree)", err);
        if (rc) return rc;
    }
    return 0;
}

int rl_tree_allreduce(rl_leaf_fn fn, void *ctx, int n_leaves, int rank, int size, float *out,
                      size_t n, float **tmp, double *t_comm, rlpt_err *err) {
    tree t = {fn, ctx, n_leaves, n, tmp, err};
    int present = 0;
    int rc = local_sum(&t, rank, size, out, 0, &present);
    if (!present) memset(out, 0, n * sizeof *out);
    rc = rl_mpi_agree(rc, err);
    double c0 = rl_now();
    /* the levels above a rank: at step s, rank r < s takes S(r + s) from rank r + s */
    for (int s = size / 2; !rc && s >= 1; s /= 2) {
        if (rank < s) {
            int p2 = 0;
            rc = rl_mpi_check(
                MPI_Recv(&p2, 1, MPI_INT, rank + s, 70, MPI_COMM_WORLD, MPI_STATUS_IGNORE),
                "MPI_Recv (gradient tree)", err);
            if (!rc && p2) rc = send_floats(tmp[0], n, rank + s, 1, err);
            if (!rc) add_into(out, &present, tmp[0], p2, n);
        } else if (rank < 2 * s) {
            rc = rl_mpi_check(MPI_Send(&present, 1, MPI_INT, rank - s, 70, MPI_COMM_WORLD),
                              "MPI_Send (gradient tree)", err);
            if (!rc && present) rc = send_floats(out, n, rank - s, 0, err);
        }
    }
    for (size_t off = 0; !rc && size > 1 && off < n; off += INT_MAX / 2) {
        int len = (int)(n - off < (size_t)INT_MAX / 2 ? n - off : (size_t)INT_MAX / 2);
        rc = rl_mpi_check(MPI_Bcast(out + off, len, MPI_FLOAT, 0, MPI_COMM_WORLD),
                          "MPI_Bcast (gradient tree)", err);
    }
    if (t_comm) *t_comm += rl_now() - c0;
    return rc;
}

int rl_update_grads(rl_trainer *t, rl_leaf_fn fn, void *ctx, double *t_comm, rlpt_err *err) {
    size_t n = t->model.layout.total;
    if (t->n_leaves)
        return rl_tree_allreduce(fn, ctx, t->n_leaves, t->rank, t->size, t->grads, n, t->tree_tmp,
                                 t_comm, err);
    int present = 0;
    int rc = fn(ctx, -1, t->grads, &present, err);
    if (!rc && !present) policy_zero(t->grads, n);
    rc = rl_mpi_agree(rc, err);
    double c0 = rl_now();
    if (!rc) rc = rl_allreduce_sum_f(t->grads, n, err);
    if (t_comm) *t_comm += rl_now() - c0;
    return rc;
}
