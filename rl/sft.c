/* rl/sft.c: supervised fine-tuning on (prompt, completion) traces — DeepSeek-R1's cold start,
 * or distillation from a teacher's traces. The loss is the mean negative log-likelihood of the
 * completion tokens (prompt tokens carry no loss), over the whole step's tokens on all ranks.
 * Data parallel: example i of a step goes to rank i % ranks; gradients are summed over ranks
 * as one contiguous buffer, then clipped and applied by AdamW identically on every rank. The
 * data order is a seeded permutation per epoch, so step s always sees the same examples. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rlpt_rand.h"
#include "trainer.h"

/* perm = a seeded shuffle of 0..n-1 for the given epoch (Fisher-Yates). */
static void epoch_perm(int *perm, int n, uint64_t seed, long epoch) {
    for (int i = 0; i < n; i++) perm[i] = i;
    uint64_t s = rlpt_mix64(seed ^ rlpt_mix64((uint64_t)epoch + 0x5F7ull));
    for (int i = n - 1; i > 0; i--) {
        s = rlpt_mix64(s);
        int j = (int)(s % (uint64_t)(i + 1));
        int tmp = perm[i];
        perm[i] = perm[j];
        perm[j] = tmp;
    }
}

int rl_data_index(const rl_dataset *ds, uint64_t seed, long k, int *perm, long *epoch) {
    if (k / ds->n != *epoch) {
        *epoch = k / ds->n;
        epoch_perm(perm, ds->n, seed, *epoch);
    }
    return perm[k % ds->n];
}

int rl_sft_stage(rl_trainer *t, rlpt_err *err) {
    const rl_config *cfg = t->cfg;
    const rl_dataset *ds = t->sft.n ? &t->sft : &t->train;
    if (ds->n == 0 || !ds->v[0].target)
        return rlpt_errf(err, RLPT_ECONFIG,
                         "sft: no traces to learn from; set sft.data (JSONL of {prompt, "
                         "completion}) or use data.format: synthetic");
    int B = cfg->sft.batch_size, T = t->model.cfg.max_pos;
    int b_local = B / t->size + (t->rank < B % t->size);
    int *perm = malloc((size_t)ds->n * sizeof *perm);
    int *ids = malloc((size_t)(b_local ? b_local : 1) * T * sizeof *ids);
    int *tgt = malloc((size_t)(b_local ? b_local : 1) * T * sizeof *tgt);
    float *logp = malloc((size_t)(b_local ? b_local : 1) * T * sizeof *logp);
    float *dlogp = malloc((size_t)(b_local ? b_local : 1) * T * sizeof *dlogp);
    int rc = 0;
    if (!perm || !ids || !tgt || !logp || !dlogp)
        rc = rlpt_errf(err, RLPT_ENOMEM, "sft: out of memory for a batch of %d x %d", b_local, T);
    policy_lr_schedule sched = {cfg->optim.schedule == RL_SCHED_COSINE ? POLICY_LR_COSINE
                                : cfg->optim.warmup_steps > 0          ? POLICY_LR_LINEAR_WARMUP
                                                                       : POLICY_LR_CONSTANT,
                                (float)cfg->sft.lr, (float)cfg->optim.lr_min,
                                cfg->optim.warmup_steps, cfg->sft.steps};
    long epoch = -1;
    for (; !rc && t->stage_step < cfg->sft.steps; t->stage_step++, t->step++) {
        double t0 = rl_now();
        /* this rank's examples of the step, encoded; T_step is the longest */
        int t_step = 1;
        for (int i = t->rank, r = 0; i < B && !rc; i += t->size, r++) {
            long k = t->stage_step * (long)B + i;
            const rl_example *e =
                &ds->v[rl_data_index(ds, (uint64_t)cfg->run.seed, k, perm, &epoch)];
            char *prompt = NULL;
            rc = rl_trainer_prompt(t, e->prompt, &prompt, err);
            int n = rc ? rc
                       : rl_trainer_encode_pair(t, prompt, e->target, 1, ids + (size_t)r * T,
                                                tgt + (size_t)r * T, T, err);
            free(prompt);
            if (n < 0)
                rc = n;
            else if (n > t_step)
                t_step = n;
        }
        /* compact rows from stride T to stride t_step */
        for (int r = 1; !rc && r < b_local; r++) {
            memmove(ids + (size_t)r * t_step, ids + (size_t)r * T, (size_t)t_step * sizeof *ids);
            memmove(tgt + (size_t)r * t_step, tgt + (size_t)r * T, (size_t)t_step * sizeof *tgt);
        }
        policy_acts acts;
        memset(&acts, 0, sizeof acts);
        double sums[3] = {0, 0, 0}; /* -sum logp, tokens, examples */
        if (!rc && b_local > 0) {
            int flags = POLICY_ACTS_TRAIN | (cfg->model.recompute ? POLICY_ACTS_RECOMPUTE : 0);
            rc = policy_acts_init(&acts, &t->model.cfg, b_local, t_step, flags, err);
            if (!rc) rc = policy_forward(&t->model, &acts, ids, tgt, logp, NULL, err);
            for (size_t i = 0; !rc && i < (size_t)b_local * t_step; i++) {
                if (tgt[i] < 0) continue;
                sums[0] -= logp[i];
                sums[1] += 1;
            }
            sums[2] = b_local;
        }
        rc = rl_mpi_agree(rc, err);
        if (!rc) rc = rl_allreduce_sum_d(sums, 3, err);
        if (!rc) {
            memset(t->grads, 0, t->model.layout.total * sizeof(float));
            if (b_local > 0) {
                float scale = (float)(-1.0 / (sums[1] > 0 ? sums[1] : 1.0));
                for (size_t i = 0; i < (size_t)b_local * t_step; i++)
                    dlogp[i] = tgt[i] < 0 ? 0.0f : scale;
                policy_backward(&t->model, &acts, ids, tgt, dlogp, t->grads);
            }
            rc = rl_allreduce_sum_f(t->grads, t->model.layout.total, err);
        }
        policy_acts_free(&acts);
        if (rc) break;
        double gnorm =
            policy_grad_clip(t->grads, t->model.layout.total, (float)cfg->optim.grad_clip);
        float lr = policy_lr_at(&sched, t->stage_step);
        policy_adamw_step(&t->opt, &t->model.layout, t->model.params, t->grads, lr);
        double dt = rl_now() - t0;
        if (t->step % cfg->run.log_every == 0 || t->stage_step + 1 == cfg->sft.steps) {
            char line[512];
            snprintf(line, sizeof line,
                     "{\"step\":%ld,\"stage\":\"sft\",\"stage_step\":%ld,\"loss\":%.6g,"
                     "\"tokens\":%.0f,\"examples\":%.0f,\"grad_norm\":%.6g,\"lr\":%.6g,"
                     "\"time_s\":%.4f,\"tokens_per_s\":%.1f}",
                     t->step, t->stage_step, sums[0] / (sums[1] > 0 ? sums[1] : 1), sums[1],
                     sums[2], gnorm, (double)lr, dt, sums[1] / (dt > 0 ? dt : 1e-9));
            rc = rl_mpi_agree(rl_run_log(&t->run, RL_LOG_METRICS, line, err), err);
            if (!rc && rl_mpi_should_print() && cfg->run.progress != RL_PROGRESS_NEVER)
                fprintf(stderr, "sft step %ld/%d  loss %.4f  grad %.3f  lr %.2g  %.0f tok/s\n",
                        t->stage_step + 1, cfg->sft.steps, sums[0] / (sums[1] > 0 ? sums[1] : 1),
                        gnorm, (double)lr, sums[1] / (dt > 0 ? dt : 1e-9));
        }
        int last = t->stage_step + 1 == cfg->sft.steps;
        int every = cfg->run.checkpoint_every > 0 && (t->step + 1) % cfg->run.checkpoint_every == 0;
        if (!rc && (last || every)) {
            t->stage_step++; /* a checkpoint records the next step to run */
            t->step++;
            if (last) t->stage++, t->stage_step = 0;
            rc = rl_trainer_checkpoint(t, err);
            if (last) t->stage--, t->stage_step = cfg->sft.steps;
            t->stage_step--;
            t->step--;
        }
    }
    free(perm);
    free(ids);
    free(tgt);
    free(logp);
    free(dlogp);
    return rc;
}
