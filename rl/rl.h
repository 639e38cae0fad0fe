/* rl/rl.h: the rl module's public interface: MPI start-up and error agreement, the experiment
 * configuration (rl/config.h), and — with issue #9 — GRPO, SFT, evaluation, rejection sampling
 * and the trainer loop. rl depends on rollout, policy and rewards; nothing depends on rl. */
#ifndef RL_H
#define RL_H

#include "rlpt/err.h"

/* ---- MPI (rl/mpi.c) -------------------------------------------------------------------------
 * One process-wide MPI context. Every MPI call is checked; its error string goes into the
 * message. Only rank 0 prints. A failure on any rank is agreed at the next rl_mpi_agree(), so
 * every rank leaves with the same code and none waits forever in a collective. */
typedef struct rl_mpi {
    int initialized;            /* 1 after rl_mpi_init */
    int rank, size;             /* in MPI_COMM_WORLD */
    int local_rank, local_size; /* among the ranks on this node (shared memory) */
    int cores;                  /* online CPU cores of this node */
} rl_mpi;

/* MPI_Init (once; later calls return the same context), rank/size, the node-local rank count,
 * MPI_ERRORS_RETURN on MPI_COMM_WORLD. */
int rl_mpi_init(int *argc, char ***argv, rlpt_err *err);
const rl_mpi *rl_mpi_get(void);

/* Collective: every rank passes its own status rc (0 or a negative RLPT_E*) and err. Returns 0
 * on every rank when all passed 0. Otherwise returns, on every rank, the code of the lowest
 * failing rank; on rank 0 err then holds every failing rank's message ("rank 1: ..."), the
 * ranks that did not fail get "rank N: ..." too, so each can exit non-zero. Without MPI
 * initialised it returns rc unchanged. */
int rl_mpi_agree(int rc, rlpt_err *err);

/* 1 when this process should print (rank 0, or MPI not initialised). */
int rl_mpi_should_print(void);

/* Sets the BLAS thread count from the config value (0 = auto: cores per node / ranks per
 * node) and returns it. */
int rl_mpi_setup_blas(int blas_threads);

/* MPI_Finalize when initialised (returns its checked status); a no-op returning 0 otherwise. */
int rl_mpi_finalize(rlpt_err *err);

/* Turns an MPI return code into an RLPT_EMPI error naming the call (MPI_Error_string). */
int rl_mpi_check(int mpi_rc, const char *call, rlpt_err *err);

#endif
