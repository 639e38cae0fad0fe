/* tests/rollout/test_workers.c: rollout_generate_mpi under mpirun (run by test_workers.sh at
 * -np 1, 2 and 3). Every rank also generates the whole step alone as the reference.
 * - root < 0: every rank receives all samples, bit-identical to the single-rank reference;
 * - root 0: rank 0 receives all, the other ranks exactly their own prompts (i % size == rank);
 * - a bad prompt owned by rank 1 makes every rank return an error (rank 1 its own EINVAL, the
 *   others RLPT_EMPI naming rank 1), and nobody hangs.
 * Exits 0 when every check passed on this rank; prints the first failure otherwise. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rollout.h"

static int rank, size, failures;

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "rank %d: %s:%d: ", rank, __FILE__, __LINE__);                         \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

static int same(const rollout_sample *a, const rollout_sample *b) {
    return a->n_ids == b->n_ids && a->prompt == b->prompt && a->index == b->index &&
           a->finish == b->finish && memcmp(a->ids, b->ids, (size_t)a->n_ids * 4) == 0 &&
           memcmp(a->logprobs, b->logprobs, (size_t)a->n_ids * 4) == 0 &&
           ((!a->text && !b->text) || (a->text && b->text && strcmp(a->text, b->text) == 0));
}

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    policy_model m;
    policy_tokenizer *tok = NULL;
    rlpt_err err;
    if (policy_model_load(&m, RLPT_SOURCE_DIR "/tests/data/models/tinystories-656k-llama", &err) ||
        policy_tokenizer_load(&tok, RLPT_SOURCE_DIR "/tests/data/rollout/tinystories-bytelevel",
                              &err)) {
        fprintf(stderr, "rank %d: %s\n", rank, err.msg);
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    enum { NP = 7, N = 2 };
    int32_t ids[NP][3];
    rollout_prompt p[NP];
    for (int i = 0; i < NP; i++) {
        ids[i][0] = 1;
        ids[i][1] = 100 + 37 * i;
        ids[i][2] = 200 + 11 * i;
        p[i] = (rollout_prompt){ids[i], 1 + i % 3, (uint64_t)(1000 + i)};
    }
    rollout_config cfg;
    rollout_config_default(&cfg);
    cfg.n = N;
    cfg.batch_size = 3;
    cfg.max_prompt_tokens = 3;
    cfg.max_new_tokens = 24;
    cfg.seed = 5;
    cfg.sampling.temperature = 1.0f;
    const char *stop[] = {"."};
    cfg.stop = stop;
    cfg.n_stop = 1;
    rollout_engine *e;
    if (rollout_engine_init(&e, &m, tok, &cfg, 1, &err)) {
        fprintf(stderr, "rank %d: %s\n", rank, err.msg);
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    rollout_sample ref[NP * N], got[NP * N];
    CHECK(rollout_generate(e, p, NP, 3, ref, &err) == 0, "reference: %s", err.msg);

    /* everything everywhere */
    int rc = rollout_generate_mpi(e, MPI_COMM_WORLD, p, NP, 3, -1, got, &err);
    CHECK(rc == 0, "allgather: %s", err.msg);
    for (int i = 0; rc == 0 && i < NP * N; i++)
        CHECK(same(&got[i], &ref[i]), "allgather: sample %d differs from the reference", i);
    rollout_samples_free(got, NP * N);

    /* to rank 0 */
    rc = rollout_generate_mpi(e, MPI_COMM_WORLD, p, NP, 3, 0, got, &err);
    CHECK(rc == 0, "gather: %s", err.msg);
    for (int i = 0; rc == 0 && i < NP * N; i++) {
        int mine = rollout_prompt_rank(i / N, size) == rank;
        if (rank == 0 || mine)
            CHECK(same(&got[i], &ref[i]), "gather: sample %d differs", i);
        else
            CHECK(got[i].ids == NULL && got[i].n_ids == 0, "gather: sample %d not ours but set", i);
    }
    rollout_samples_free(got, NP * N);

    /* a bad prompt on rank 1 (prompt 1) stops everyone */
    if (size > 1) {
        int32_t bad[2] = {1, 99999};
        rollout_prompt q[NP];
        memcpy(q, p, sizeof q);
        q[1] = (rollout_prompt){bad, 2, 1001};
        rc = rollout_generate_mpi(e, MPI_COMM_WORLD, q, NP, 3, 0, got, &err);
        if (rank == 1)
            CHECK(rc == RLPT_EINVAL && strstr(err.msg, "99999"), "rank 1: rc %d %s", rc, err.msg);
        else
            CHECK(rc == RLPT_EMPI && strstr(err.msg, "rank 1 failed"), "rc %d %s", rc, err.msg);
        for (int i = 0; i < NP * N; i++) CHECK(got[i].ids == NULL, "output left after an error");
    }
    rollout_samples_free(ref, NP * N);
    rollout_engine_free(e);
    policy_tokenizer_free(tok);
    policy_model_free(&m);
    int all = 0;
    MPI_Allreduce(&failures, &all, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    if (rank == 0) printf("rollout workers at -np %d: %s\n", size, all ? "FAILED" : "ok");
    MPI_Finalize();
    return failures ? 1 : 0;
}
