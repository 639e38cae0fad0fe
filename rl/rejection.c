/* rl/rejection.c: rejection sampling, DeepSeek-R1's bridge from RL back to SFT: sample
 * completions for training prompts with the current policy, keep those the rewards accept
 * (total >= rejection.min_reward, at most max_per_prompt per prompt, in sample order), and
 * write them as SFT traces {<data.prompt_key>: question, "completion": text}.
 * Every rank scores the prompts it owns; the keep flags are summed onto rank 0, which holds
 * every sample's text and writes the file atomically. A later sft stage trains on it. */
#define _POSIX_C_SOURCE 200809L
#include <cjson/cJSON.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rlpt_io.h"
#include "trainer.h"

#define CHUNK 64 /* prompts generated at a time */

int rl_rejection_stage(rl_trainer *t, rlpt_err *err) {
    const rl_config *cfg = t->cfg;
    int rc = 0;
    if (!t->rewards) rc = rl_rewards_init(&t->rewards, cfg, err);
    rc = rl_mpi_agree(rc, err);
    if (!rc && !t->rej_engine)
        rc = rl_mpi_agree(rl_make_engine(t, &t->rej_engine, 0, cfg->rejection.samples, err), err);
    if (rc) return rc;
    char path[4200];
    if (cfg->rejection.out[0])
        snprintf(path, sizeof path, "%s", cfg->rejection.out);
    else
        snprintf(path, sizeof path, "%s/rejection.jsonl", t->run.dir);
    int P = cfg->rejection.prompts < t->train.n ? cfg->rejection.prompts : t->train.n;
    int G = cfg->rejection.samples;
    int *perm = malloc((size_t)t->train.n * sizeof *perm);
    int *keep = calloc((size_t)CHUNK * G, sizeof *keep);
    long epoch = -1, kept = 0, total = 0;
    rlpt_atomic_file af;
    memset(&af, 0, sizeof af);
    if (!perm || !keep) rc = rlpt_errf(err, RLPT_ENOMEM, "rejection: out of memory");
    if (!rc && t->run.writer) rc = rlpt_atomic_open(&af, path, err);
    rc = rl_mpi_agree(rc, err);
    double t0 = rl_now();
    for (int start = 0; !rc && start < P; start += CHUNK) {
        int n = P - start < CHUNK ? P - start : CHUNK;
        rl_step_data d;
        memset(&d, 0, sizeof d);
        if (!(d.example = calloc((size_t)n, sizeof *d.example))) {
            rc = rlpt_errf(err, RLPT_ENOMEM, "rejection: out of memory");
            break;
        }
        for (int i = 0; i < n; i++)
            d.example[i] = rl_data_index(&t->train, cfg->data.shuffle, rl_data_seed(t, 0x2E1ull),
                                         (long)start + i, perm, &epoch);
        double tr, tw;
        rc = rl_rollout_and_score(t, t->rej_engine, &t->train, n, G, &d,
                                  0x2E1000000ull + (uint64_t)start, &tr, &tw, err);
        memset(keep, 0, (size_t)CHUNK * G * sizeof *keep);
        for (int o = 0; !rc && o < d.own; o++) {
            int p = d.own_prompt[o], taken = 0;
            for (int j = 0; j < G; j++)
                if (d.reward[o * G + j] >= cfg->rejection.min_reward &&
                    taken < cfg->rejection.max_per_prompt) {
                    keep[p * G + j] = 1;
                    taken++;
                }
        }
        if (!rc && t->size > 1)
            rc = rl_mpi_check(MPI_Reduce(t->rank == 0 ? MPI_IN_PLACE : keep, keep, n * G, MPI_INT,
                                         MPI_SUM, 0, MPI_COMM_WORLD),
                              "MPI_Reduce (rejection)", err);
        for (int k = 0; !rc && t->run.writer && k < n * G; k++) {
            if (!keep[k]) continue;
            const rollout_sample *s = &d.samples[k];
            cJSON *j = cJSON_CreateObject();
            cJSON_AddStringToObject(j, cfg->data.prompt_key, t->train.v[d.example[k / G]].prompt);
            cJSON_AddStringToObject(j, "completion", s->text ? s->text : "");
            char *line = cJSON_PrintUnformatted(j);
            cJSON_Delete(j);
            if (!line || fprintf(af.f, "%s\n", line) < 0)
                rc = rlpt_errf(err, RLPT_EIO, "%s: write failed", path);
            free(line);
            kept++;
        }
        total += (long)n * G;
        rl_step_data_free(&d);
        rc = rl_mpi_agree(rc, err);
    }
    if (t->run.writer && af.f) {
        if (rc)
            rlpt_atomic_abort(&af);
        else
            rc = rlpt_atomic_commit(&af, err);
    }
    rc = rl_mpi_agree(rc, err);
    if (!rc && t->rank != 0) kept = 0;
    long counts[1] = {kept};
    if (!rc && t->size > 1)
        rc = rl_mpi_check(MPI_Allreduce(MPI_IN_PLACE, counts, 1, MPI_LONG, MPI_SUM, MPI_COMM_WORLD),
                          "MPI_Allreduce (rejection)", err);
    if (!rc) {
        char line[512];
        snprintf(line, sizeof line,
                 "{\"step\":%ld,\"stage\":\"rejection\",\"prompts\":%d,\"samples\":%ld,"
                 "\"kept\":%ld,\"acceptance\":%.6g,\"time_s\":%.3f}",
                 t->step, P, total, counts[0], total ? (double)counts[0] / total : 0.0,
                 rl_now() - t0);
        rc = rl_mpi_agree(rl_run_log(&t->run, RL_LOG_METRICS, line, err), err);
        if (!rc && rl_mpi_should_print())
            fprintf(stderr, "rejection sampling: kept %ld of %ld samples from %d prompts -> %s\n",
                    counts[0], total, P, path);
    }
    /* later sft stages train on what was kept (every rank reads the file rank 0 wrote) */
    if (!rc && counts[0] > 0) {
        rl_dataset_free(&t->sft);
        rc = rl_mpi_agree(
            rl_dataset_load(&t->sft, path, RL_DATA_JSONL, cfg->data.prompt_key, "", 1, err), err);
    }
    free(perm);
    free(keep);
    return rc;
}
