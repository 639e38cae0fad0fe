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

uint64_t rl_data_seed(const rl_trainer *t, uint64_t salt) {
    uint64_t seed = (uint64_t)t->cfg->run.seed ^ salt;
    int k = rl_config_stage_ordinal(t->cfg, t->stage);
    return k ? seed ^ rlpt_mix64(0xDA7A5EEDull + (uint64_t)k) : seed;
}

int rl_data_index(const rl_dataset *ds, int shuffle, uint64_t seed, long k, int *perm,
                  long *epoch) {
    if (!shuffle) return (int)(k % ds->n);
    if (k / ds->n != *epoch) {
        *epoch = k / ds->n;
        epoch_perm(perm, ds->n, seed, *epoch);
    }
    return perm[k % ds->n];
}

/* One SFT step's rows on this rank: batch row i = rank + r * ranks at row r (stride T). */
typedef struct sft_ctx {
    rl_trainer *t;
    int *ids, *tgt, *len; /* [rows * T], [rows * T], [rows] */
    int rows, T;
    double tokens; /* completion tokens of the batch on all ranks: the loss's normaliser */
    double loss;   /* -sum log p of this rank's rows, summed over the leaves it computed */
} sft_ctx;

/* Forward + backward of the rows of one leaf (row i belongs to leaf i % n_leaves; -1: every own
 * row) at their own longest length; grad is overwritten (rl_leaf_fn). */
static int sft_leaf(void *ctx, int leaf, float *grad, int *present, rlpt_err *err) {
    sft_ctx *c = ctx;
    rl_trainer *t = c->t;
    int B = 0, T = 1;
    for (int r = 0; r < c->rows; r++) {
        int i = t->rank + r * t->size;
        if (leaf >= 0 && i % t->n_leaves != leaf) continue;
        B++;
        if (c->len[r] > T) T = c->len[r];
    }
    *present = B > 0;
    if (B == 0) return 0;
    int *ids = malloc((size_t)B * T * sizeof *ids), *tgt = malloc((size_t)B * T * sizeof *tgt);
    float *logp = malloc((size_t)B * T * sizeof *logp);
    float *dlogp = malloc((size_t)B * T * sizeof *dlogp);
    if (!ids || !tgt || !logp || !dlogp) {
        free(ids);
        free(tgt);
        free(logp);
        free(dlogp);
        return rlpt_errf(err, RLPT_ENOMEM, "sft: out of memory for a batch of %d x %d", B, T);
    }
    for (int r = 0, b = 0; r < c->rows; r++) {
        int i = t->rank + r * t->size;
        if (leaf >= 0 && i % t->n_leaves != leaf) continue;
        memcpy(ids + (size_t)b * T, c->ids + (size_t)r * c->T, (size_t)T * sizeof *ids);
        memcpy(tgt + (size_t)b * T, c->tgt + (size_t)r * c->T, (size_t)T * sizeof *tgt);
        b++;
    }
    policy_acts acts;
    memset(&acts, 0, sizeof acts);
    int flags = POLICY_ACTS_TRAIN | (t->cfg->model.recompute ? POLICY_ACTS_RECOMPUTE : 0);
    int rc = policy_acts_init(&acts, &t->model.cfg, B, T, flags, err);
    if (!rc) rc = policy_forward(&t->model, &acts, ids, tgt, logp, NULL, err);
    if (!rc) {
        float scale = (float)(-1.0 / (c->tokens > 0 ? c->tokens : 1.0));
        for (size_t k = 0; k < (size_t)B * T; k++) {
            if (tgt[k] >= 0) c->loss -= logp[k];
            dlogp[k] = tgt[k] < 0 ? 0.0f : scale;
        }
        memset(grad, 0, t->model.layout.total * sizeof *grad);
        policy_backward(&t->model, &acts, ids, tgt, dlogp, grad);
    }
    policy_acts_free(&acts);
    free(ids);
    free(tgt);
    free(logp);
    free(dlogp);
    return rc;
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
    sft_ctx c = {t, NULL, NULL, NULL, b_local, T, 0, 0};
    int *perm = malloc((size_t)ds->n * sizeof *perm);
    c.ids = malloc((size_t)(b_local ? b_local : 1) * T * sizeof *c.ids);
    c.tgt = malloc((size_t)(b_local ? b_local : 1) * T * sizeof *c.tgt);
    c.len = calloc((size_t)(b_local ? b_local : 1), sizeof *c.len);
    if (!perm || !c.ids || !c.tgt || !c.len) {
        free(perm);
        free(c.ids);
        free(c.tgt);
        free(c.len);
        return rlpt_errf(err, RLPT_ENOMEM, "sft: out of memory for a batch of %d x %d", b_local, T);
    }
    int rc = 0;
    policy_lr_schedule sched = {cfg->optim.schedule == RL_SCHED_COSINE ? POLICY_LR_COSINE
                                : cfg->optim.warmup_steps > 0          ? POLICY_LR_LINEAR_WARMUP
                                                                       : POLICY_LR_CONSTANT,
                                (float)cfg->sft.lr, (float)cfg->optim.lr_min,
                                cfg->optim.warmup_steps, cfg->sft.steps};
    long epoch = -1;
    for (; !rc && t->stage_step < cfg->sft.steps; t->stage_step++, t->step++) {
        double t0 = rl_now();
        /* this rank's examples of the step (batch rows rank, rank + ranks, ...), encoded */
        double sums[4] = {0, 0, b_local, 0}; /* -sum logp, tokens, examples, cut */
        for (int i = t->rank, r = 0; i < B && !rc; i += t->size, r++) {
            long k = t->stage_step * (long)B + i;
            const rl_example *e =
                &ds->v[rl_data_index(ds, cfg->data.shuffle, rl_data_seed(t, 0), k, perm, &epoch)];
            char *prompt = NULL;
            int cut = 0;
            rc = rl_trainer_prompt(t, e->prompt, &prompt, err);
            int n = rc ? rc
                       : rl_trainer_encode_pair(t, prompt, e->target, 1, c.ids + (size_t)r * T,
                                                c.tgt + (size_t)r * T, T, &cut, err);
            sums[3] += cut;
            free(prompt);
            if (n < 0) rc = n;
            c.len[r] = n > 0 ? n : 1;
            for (int p = 0; !rc && p < c.len[r]; p++) sums[1] += c.tgt[(size_t)r * T + p] >= 0;
        }
        rc = rl_mpi_agree(rc, err);
        if (!rc) rc = rl_allreduce_sum_d(sums + 1, 3, err);
        c.tokens = sums[1];
        c.loss = 0;
        if (!rc) rc = rl_update_grads(t, sft_leaf, &c, NULL, err);
        sums[0] = c.loss;
        if (!rc) rc = rl_allreduce_sum_d(sums, 1, err);
        if (rc) break;
        double gnorm = policy_grad_norm(t->grads, t->model.layout.total); /* clipped in the step */
        float lr = policy_lr_at(&sched, t->stage_step);
        policy_adamw_step_scaled(&t->opt, &t->model.layout, t->model.params, t->grads, lr,
                                 policy_clip_coef(gnorm, (float)cfg->optim.grad_clip));
        double dt = rl_now() - t0;
        if (t->step % cfg->run.log_every == 0 || t->stage_step + 1 == cfg->sft.steps) {
            char line[512];
            snprintf(line, sizeof line,
                     "{\"step\":%ld,\"stage\":\"sft\",\"stage_step\":%ld,\"loss\":%.6g,"
                     "\"tokens\":%.0f,\"examples\":%.0f,\"truncated\":%.0f,\"grad_norm\":%.6g,"
                     "\"lr\":%.6g,\"time_s\":%.4f,\"tokens_per_s\":%.1f}",
                     t->step, t->stage_step, sums[0] / (sums[1] > 0 ? sums[1] : 1), sums[1],
                     sums[2], sums[3], gnorm, (double)lr, dt, sums[1] / (dt > 0 ? dt : 1e-9));
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
    free(c.ids);
    free(c.tgt);
    free(c.len);
    return rc;
}
