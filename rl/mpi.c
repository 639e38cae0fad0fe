/* rl/mpi.c: MPI start-up, checked calls and error agreement (see rl.h).
 * The agreement is what keeps a bad input on one rank from hanging the others: every rank
 * reaches the same collective whether it failed or not, learns who failed, and leaves.
 * Reference: MPI 3.1 standard, sections 8.3 (error handlers) and 6.4.2 (MPI_Comm_split_type). */
#define _POSIX_C_SOURCE 200809L
#include "rl.h"

#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "policy.h"

static rl_mpi g_mpi;

int rl_mpi_check(int mpi_rc, const char *call, rlpt_err *err) {
    if (mpi_rc == MPI_SUCCESS) return 0;
    char s[MPI_MAX_ERROR_STRING];
    int len = 0;
    if (MPI_Error_string(mpi_rc, s, &len) != MPI_SUCCESS) snprintf(s, sizeof s, "code %d", mpi_rc);
    return rlpt_errf(err, RLPT_EMPI, "%s failed: %s", call, s);
}

int rl_mpi_init(int *argc, char ***argv, rlpt_err *err) {
    if (g_mpi.initialized) return 0;
    int rc = rl_mpi_check(MPI_Init(argc, argv), "MPI_Init", err);
    if (rc) return rc;
    g_mpi.initialized = 1;
    /* Errors come back as codes we turn into messages, instead of aborting the job. */
    if ((rc = rl_mpi_check(MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN),
                           "MPI_Comm_set_errhandler", err)))
        return rc;
    if ((rc = rl_mpi_check(MPI_Comm_rank(MPI_COMM_WORLD, &g_mpi.rank), "MPI_Comm_rank", err)))
        return rc;
    if ((rc = rl_mpi_check(MPI_Comm_size(MPI_COMM_WORLD, &g_mpi.size), "MPI_Comm_size", err)))
        return rc;
    MPI_Comm node;
    if ((rc = rl_mpi_check(MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, g_mpi.rank,
                                               MPI_INFO_NULL, &node),
                           "MPI_Comm_split_type", err)))
        return rc;
    rc = rl_mpi_check(MPI_Comm_rank(node, &g_mpi.local_rank), "MPI_Comm_rank(node)", err);
    if (!rc) rc = rl_mpi_check(MPI_Comm_size(node, &g_mpi.local_size), "MPI_Comm_size(node)", err);
    int frc = rl_mpi_check(MPI_Comm_free(&node), "MPI_Comm_free", rc ? NULL : err);
    if (rc || frc) return rc ? rc : frc;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    g_mpi.cores = cores > 0 ? (int)cores : 1;
    return 0;
}

const rl_mpi *rl_mpi_get(void) {
    return &g_mpi;
}

int rl_mpi_should_print(void) {
    return !g_mpi.initialized || g_mpi.rank == 0;
}

int rl_mpi_setup_blas(int blas_threads) {
    int cores = g_mpi.cores > 0 ? g_mpi.cores : (int)sysconf(_SC_NPROCESSORS_ONLN);
    int local = g_mpi.initialized ? g_mpi.local_size : 1;
    return policy_blas_set_threads(blas_threads, cores, local);
}

int rl_mpi_finalize(rlpt_err *err) {
    if (!g_mpi.initialized) return 0;
    g_mpi.initialized = 0;
    int finalized = 0;
    int rc = rl_mpi_check(MPI_Finalized(&finalized), "MPI_Finalized", err);
    if (rc == 0 && !finalized) rc = rl_mpi_check(MPI_Finalize(), "MPI_Finalize", err);
    return rc;
}

/* Appends "rank r: <each line of msg>" to out. */
static void append_rank_lines(rlpt_err *out, int code, int r, const char *msg) {
    const char *p = msg;
    if (!*p) {
        rlpt_err_append(out, code, "rank %d: %s", r, rlpt_err_name(code));
        return;
    }
    while (*p) {
        const char *nl = strchr(p, '\n');
        int n = nl ? (int)(nl - p) : (int)strlen(p);
        rlpt_err_append(out, code, "rank %d: %.*s", r, n, p);
        p += n + (nl ? 1 : 0);
    }
}

int rl_mpi_agree(int rc, rlpt_err *err) {
    if (!g_mpi.initialized) return rc;
    int size = g_mpi.size;
    int *codes = calloc((size_t)size, sizeof *codes);
    if (!codes) return rlpt_errf(err, RLPT_ENOMEM, "out of memory agreeing on errors");
    rlpt_err local;
    rlpt_err_clear(&local);
    int mrc = MPI_Allgather(&rc, 1, MPI_INT, codes, 1, MPI_INT, MPI_COMM_WORLD);
    if (mrc != MPI_SUCCESS) {
        free(codes);
        /* The job is broken; keep our own error if we had one. */
        if (rc) return rc;
        return rl_mpi_check(mrc, "MPI_Allgather (error agreement)", err);
    }
    int first = -1;
    for (int r = 0; r < size; r++)
        if (codes[r] != 0 && first < 0) first = r;
    if (first < 0) {
        free(codes);
        return 0;
    }
    int agreed = codes[first];
    /* Gather the messages at rank 0 so it can print them all. */
    if (rc != 0 && err) memcpy(local.msg, err->msg, RLPT_ERR_MSG_MAX);
    local.msg[RLPT_ERR_MSG_MAX - 1] = '\0';
    char *all = NULL;
    if (g_mpi.rank == 0) all = malloc((size_t)size * RLPT_ERR_MSG_MAX);
    mrc = MPI_Gather(local.msg, RLPT_ERR_MSG_MAX, MPI_CHAR, all, RLPT_ERR_MSG_MAX, MPI_CHAR, 0,
                     MPI_COMM_WORLD);
    if (g_mpi.rank == 0 && err) {
        rlpt_err_clear(err);
        if (size == 1 && all && mrc == MPI_SUCCESS) {
            rlpt_errf(err, agreed, "%s", all);
        } else {
            for (int r = 0; r < size; r++) {
                if (codes[r] == 0) continue;
                const char *m = (all && mrc == MPI_SUCCESS) ? all + (size_t)r * RLPT_ERR_MSG_MAX
                                                            : "(message lost)";
                append_rank_lines(err, codes[r], r, m);
            }
        }
        err->code = agreed;
    } else if (err && rc == 0) {
        rlpt_errf(err, agreed, "rank %d failed; rank 0 reports why", first);
    }
    free(all);
    free(codes);
    return agreed;
}
