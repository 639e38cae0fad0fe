/* rl/grpo_step.c: one GRPO stage, as DESIGN.md's "One GRPO step" describes it.
 *   1. prompts: prompts_per_step drawn from the training set (seeded order); prompt i of the
 *      step belongs to rank i % ranks, with its whole group;
 *   2. rollout: G samples per prompt with the current weights (rollout_generate_mpi), each
 *      token's behaviour log-probability kept;
 *   3. reward: every configured function on every sample (rl/reward_exec.c: deadlines,
 *      isolation), the weighted sum as the reward;
 *   4. advantage: per group (rl/grpo.c), the batch std over all ranks for batch_std;
 *   5. update: mu passes; each pass in `minibatches` updates over groups g with g % minibatches
 *      == m; the loss is normalised by counts summed over ALL ranks; one gradient allreduce,
 *      clipping, AdamW; every rank applies the same update;
 *   6. record: a metrics line, samples every run.samples_every steps, checkpoints.
 * Log-probabilities of the update (and of the reference) are taken at the rollout temperature,
 * like the sampler's behaviour log-probs. Not built yet: dynamic sampling (refused), maj@k. */
#define _POSIX_C_SOURCE 200809L
#include <cjson/cJSON.h>
#include <math.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rewards.h"
#include "trainer.h"

int rl_trainer_prompt_ids(const rl_trainer *t, const char *question, int32_t **ids, int *n,
                          rlpt_err *err) {
    char *text = NULL;
    size_t len = 0;
    *ids = NULL;
    int rc = rl_trainer_prompt(t, question, &text, err);
    if (rc) return rc;
    int special = t->cfg->tokenizer.template_ != RL_TEMPLATE_CHAT;
    rc = policy_tokenizer_encode(t->tok, text, strlen(text), special, ids, &len, err);
    free(text);
    if (!rc && (len == 0 || len > (size_t)t->cfg->data.max_prompt_tokens))
        rc = rlpt_errf(err, RLPT_EINVAL, "a prompt of %zu tokens (data.max_prompt_tokens is %d)",
                       len, t->cfg->data.max_prompt_tokens);
    *n = (int)len;
    return rc;
}

int rl_make_engine(rl_trainer *t, rollout_engine **e, int for_eval, int n, rlpt_err *err) {
    const rl_config *cfg = t->cfg;
    rollout_config rc;
    rollout_config_default(&rc);
    rc.sampling.temperature = (float)(for_eval ? cfg->eval.temperature : cfg->rollout.temperature);
    if (!for_eval) {
        rc.sampling.top_k = cfg->rollout.top_k;
        rc.sampling.top_p = (float)cfg->rollout.top_p;
        rc.sampling.min_p = (float)cfg->rollout.min_p;
        rc.sampling.repetition_penalty = (float)cfg->rollout.repetition_penalty;
        rc.sampling.presence_penalty = (float)cfg->rollout.presence_penalty;
    }
    rc.n = n;
    rc.max_new_tokens = cfg->rollout.max_new_tokens;
    rc.batch_size = cfg->rollout.batch_size;
    rc.seed = (uint64_t)cfg->run.seed ^ (for_eval ? 0xE7A1000000000000ull : 0);
    rc.stop = (const char *const *)cfg->rollout.stop.v;
    rc.n_stop = cfg->rollout.stop.n;
    rc.max_prompt_tokens = cfg->data.max_prompt_tokens;
    if (rc.max_prompt_tokens >= t->model.cfg.max_pos)
        rc.max_prompt_tokens = t->model.cfg.max_pos - 1;
    return rollout_engine_init(e, &t->model, t->tok, &rc, 0, err);
}

void rl_step_data_free(rl_step_data *d) {
    if (d->samples) rollout_samples_free(d->samples, (size_t)d->P * d->G);
    for (int i = 0; d->prompt_ids && i < d->P; i++) free(d->prompt_ids[i]);
    free(d->prompt_ids);
    free(d->prompt_n);
    free(d->example);
    free(d->own_prompt);
    free(d->samples);
    free(d->reward);
    free(d->per_fn);
    free(d->adv);
    free(d->timeouts);
    memset(d, 0, sizeof *d);
}

/* Generates and scores the groups of prompts[0..P) (dataset indices in ex) on their owners. */
int rl_rollout_and_score(rl_trainer *t, rollout_engine *e, const rl_dataset *ds, int P, int G,
                         rl_step_data *d, uint64_t step_key, double *t_roll, double *t_rew,
                         rlpt_err *err) {
    int n_fn = rl_rewards_count(t->rewards);
    d->P = P;
    d->G = G;
    d->prompt_ids = calloc((size_t)P, sizeof *d->prompt_ids);
    d->prompt_n = calloc((size_t)P, sizeof *d->prompt_n);
    d->own_prompt = calloc((size_t)P, sizeof *d->own_prompt);
    d->samples = calloc((size_t)P * G, sizeof *d->samples);
    d->reward = calloc((size_t)P * G, sizeof *d->reward);
    d->per_fn = calloc((size_t)P * G * (n_fn ? n_fn : 1), sizeof *d->per_fn);
    d->adv = calloc((size_t)P * G, sizeof *d->adv);
    d->timeouts = calloc((size_t)(n_fn ? n_fn : 1), sizeof *d->timeouts);
    if (!d->prompt_ids || !d->prompt_n || !d->own_prompt || !d->samples || !d->reward ||
        !d->per_fn || !d->adv || !d->timeouts)
        return rlpt_errf(err, RLPT_ENOMEM, "grpo: out of memory for %d x %d samples", P, G);
    rollout_prompt *prompts = calloc((size_t)P, sizeof *prompts);
    int rc = prompts ? 0 : rlpt_errf(err, RLPT_ENOMEM, "grpo: out of memory");
    for (int i = 0; !rc && i < P; i++) {
        rc = rl_trainer_prompt_ids(t, ds->v[d->example[i]].prompt, &d->prompt_ids[i],
                                   &d->prompt_n[i], err);
        if (rc) rlpt_err_prefix(err, "example %d", d->example[i]);
        prompts[i] = (rollout_prompt){d->prompt_ids[i], d->prompt_n[i], (uint64_t)d->example[i]};
        if (i % t->size == t->rank) d->own_prompt[d->own++] = i;
    }
    rc = rl_mpi_agree(rc, err);
    double t0 = rl_now();
    if (!rc) rc = rollout_generate_mpi(e, MPI_COMM_WORLD, prompts, P, step_key, 0, d->samples, err);
    free(prompts);
    *t_roll = rl_now() - t0;
    if (rc) return rc;
    t0 = rl_now();
    int n = d->own * G;
    reward_sample *rs = calloc((size_t)(n ? n : 1), sizeof *rs);
    if (!rs) rc = rlpt_errf(err, RLPT_ENOMEM, "grpo: out of memory");
    for (int o = 0; !rc && o < d->own; o++)
        for (int j = 0; j < G; j++) {
            const rollout_sample *s = &d->samples[(size_t)d->own_prompt[o] * G + j];
            rs[o * G + j] =
                (reward_sample){s->text ? s->text : "", s->text ? s->text_len : 0, s->n_ids,
                                ds->v[d->example[d->own_prompt[o]]].fields_json};
        }
    if (!rc && n) rc = rl_rewards_score(t->rewards, rs, n, d->reward, d->per_fn, d->timeouts, err);
    free(rs);
    *t_rew = rl_now() - t0;
    return rl_mpi_agree(rc, err);
}

/* A sample counts as correct when the first reward function gives it its full value (math,
 * gsm8k, code: 1 for a right answer). */
static int correct(const rl_step_data *d, int k) {
    return d->per_fn[k] >= 1.0 - 1e-9;
}

int rl_evaluate(rl_trainer *t, const char *stage, double *accuracy, rlpt_err *err) {
    const rl_config *cfg = t->cfg;
    int rc = 0;
    if (!t->eval_engine &&
        (rc = rl_mpi_agree(rl_make_engine(t, &t->eval_engine, 1, cfg->eval.samples, err), err)))
        return rc;
    int P = t->eval.n;
    if (cfg->eval.max_examples > 0 && cfg->eval.max_examples < P) P = cfg->eval.max_examples;
    int K = cfg->eval.samples;
    rl_step_data d;
    memset(&d, 0, sizeof d);
    d.example = calloc((size_t)P, sizeof *d.example);
    if (!d.example) return rlpt_errf(err, RLPT_ENOMEM, "eval: out of memory");
    for (int i = 0; i < P; i++) d.example[i] = i;
    double t_roll = 0, t_rew = 0;
    rc = rl_rollout_and_score(t, t->eval_engine, &t->eval, P, K, &d, 0, &t_roll, &t_rew, err);
    /* pass@1 = mean correctness; pass@K unbiased (Chen et al. 2021) with n = K samples:
     * 1 when any sample is right */
    double sums[4] = {0, 0, 0, 0}; /* correct samples, samples, problems solved@K, problems */
    for (int o = 0; !rc && o < d.own; o++) {
        int c = 0;
        for (int j = 0; j < K; j++) c += correct(&d, o * K + j);
        sums[0] += c;
        sums[1] += K;
        sums[2] += c > 0;
        sums[3] += 1;
    }
    if (!rc) rc = rl_allreduce_sum_d(sums, 4, err);
    if (!rc) {
        *accuracy = sums[1] > 0 ? sums[0] / sums[1] : 0.0;
        char line[512];
        int n =
            snprintf(line, sizeof line,
                     "{\"step\":%ld,\"stage\":\"%s\",\"dataset\":\"%s\",\"n\":%.0f,"
                     "\"accuracy\":%.6g",
                     t->step, stage,
                     cfg->data.format == RL_DATA_SYNTHETIC ? "synthetic-heldout" : cfg->data.eval,
                     sums[3], *accuracy);
        if (K > 1 && n > 0 && (size_t)n < sizeof line)
            snprintf(line + n, sizeof line - (size_t)n, ",\"pass@%d\":%.6g}", K,
                     sums[3] > 0 ? sums[2] / sums[3] : 0.0);
        else if (n > 0 && (size_t)n < sizeof line)
            snprintf(line + n, sizeof line - (size_t)n, "}");
        rc = rl_mpi_agree(rl_run_log(&t->run, RL_LOG_EVAL, line, err), err);
        if (!rc && rl_mpi_should_print())
            fprintf(stderr,
                    "eval (%s, step %ld): held-out accuracy %.1f%% on %.0f problems (%.1f s)\n",
                    stage, t->step, 100.0 * *accuracy, sums[3], t_roll + t_rew);
    }
    rl_step_data_free(&d);
    return rc;
}

/* A frozen copy of the current weights: the KL reference (model.reference_path may name
 * another model). */
static int make_reference(rl_trainer *t, rlpt_err *err) {
    int rc = t->cfg->model.reference_path[0]
                 ? policy_model_load(&t->ref, t->cfg->model.reference_path, err)
                 : policy_model_init(&t->ref, &t->model.cfg, err);
    if (rc) return rc;
    if (t->ref.layout.total != t->model.layout.total)
        return rlpt_errf(err, RLPT_EINVAL, "model.reference_path: %s has another shape",
                         t->cfg->model.reference_path);
    if (!t->cfg->model.reference_path[0])
        memcpy(t->ref.params, t->model.params, t->model.layout.total * sizeof(float));
    t->have_ref = 1;
    return 0;
}

/* Sums over a step for the metrics line (all ranks): index names below. */
enum {
    M_REWARD,
    M_REWARD2,
    M_CORRECT,
    M_SAMPLES,
    M_LEN,
    M_TRUNC,
    M_ZERO_STD,
    M_GROUPS,
    M_TOKENS,
    M_CLIP_LO,
    M_CLIP_HI,
    M_DUAL,
    M_KL,
    M_ENT,
    M_RATIO,
    M_LOSS,
    M_TIMEOUTS,
    M_N
};

/* Forward + GRPO loss + backward over the own groups g with g % mb_count == mb, grads +=.
 * logp_diff (or NULL) receives the largest |recomputed - behaviour| log-prob: on the rollout's
 * weights, how far the trainer's forward is from the sampler's. */
static int update_minibatch(rl_trainer *t, rl_step_data *d, int mb, int mb_count,
                            const float *ref_lp, double *m, double *logp_diff, rlpt_err *err) {
    const rl_config *cfg = t->cfg;
    int G = d->G, B = 0, T = 1;
    for (int o = 0; o < d->own; o++) {
        if (d->own_prompt[o] % mb_count != mb) continue;
        for (int j = 0; j < G; j++) {
            const rollout_sample *s = &d->samples[(size_t)d->own_prompt[o] * G + j];
            int len = d->prompt_n[d->own_prompt[o]] + s->n_ids;
            if (len > T) T = len;
            B++;
        }
    }
    /* step-wide counts of this minibatch: unmasked sequences and tokens on all ranks */
    double counts[2] = {0, 0};
    for (int o = 0; o < d->own; o++) {
        if (d->own_prompt[o] % mb_count != mb) continue;
        for (int j = 0; j < G; j++) {
            const rollout_sample *s = &d->samples[(size_t)d->own_prompt[o] * G + j];
            int masked = cfg->grpo.overlong_filter && s->finish == ROLLOUT_FINISH_LENGTH;
            if (!masked && s->n_ids > 0) counts[0] += 1, counts[1] += s->n_ids;
        }
    }
    int rc = rl_allreduce_sum_d(counts, 2, err);
    if (rc || B == 0) return rc;
    int *ids = calloc((size_t)B * T, sizeof *ids), *tgt = calloc((size_t)B * T, sizeof *tgt);
    float *logp = calloc((size_t)B * T, sizeof *logp), *ent = calloc((size_t)B * T, sizeof *ent);
    float *dlogp = calloc((size_t)B * T, sizeof *dlogp);
    rl_grpo_seq *seqs = calloc((size_t)B, sizeof *seqs);
    float **dl = calloc((size_t)B, sizeof *dl);
    const float **refs = calloc((size_t)B, sizeof *refs);
    if (!ids || !tgt || !logp || !ent || !dlogp || !seqs || !dl || !refs) {
        rc = rlpt_errf(err, RLPT_ENOMEM, "grpo: out of memory for a minibatch of %d x %d", B, T);
        goto done;
    }
    int b = 0;
    for (int o = 0; o < d->own; o++) {
        int p = d->own_prompt[o];
        if (p % mb_count != mb) continue;
        for (int j = 0; j < G; j++, b++) {
            const rollout_sample *s = &d->samples[(size_t)p * G + j];
            int np = d->prompt_n[p];
            int *row = ids + (size_t)b * T, *trow = tgt + (size_t)b * T;
            for (int i = 0; i < T; i++) trow[i] = -1;
            for (int i = 0; i < np; i++) row[i] = d->prompt_ids[p][i];
            for (int i = 0; i < s->n_ids; i++) {
                row[np + i] = s->ids[i];
                trow[np + i - 1] = s->ids[i]; /* position np+i-1 predicts completion token i */
            }
            seqs[b] = (rl_grpo_seq){
                s->n_ids,
                logp + (size_t)b * T + np - 1,
                s->logprobs,
                ref_lp ? ref_lp + (size_t)(o * G + j) * cfg->rollout.max_new_tokens : NULL,
                ent + (size_t)b * T + np - 1,
                d->adv[o * G + j],
                cfg->grpo.overlong_filter && s->finish == ROLLOUT_FINISH_LENGTH};
            dl[b] = dlogp + (size_t)b * T + np - 1;
        }
    }
    policy_acts acts;
    memset(&acts, 0, sizeof acts);
    int flags = POLICY_ACTS_TRAIN | (cfg->model.recompute ? POLICY_ACTS_RECOMPUTE : 0);
    rc = policy_acts_init(&acts, &t->model.cfg, B, T, flags, err);
    /* the ratio's log-probs at the rollout temperature, as the sampler's (TRL, verl) */
    acts.inv_temperature = (float)(1.0 / cfg->rollout.temperature);
    if (!rc) rc = policy_forward(&t->model, &acts, ids, tgt, logp, ent, err);
    if (!rc) {
        rl_grpo_opts go = {cfg->grpo.clip_low,
                           cfg->grpo.clip_high,
                           cfg->grpo.dual_clip,
                           cfg->grpo.kl_in == RL_KL_IN_LOSS ? cfg->grpo.beta : 0.0,
                           cfg->grpo.kl_estimator,
                           cfg->grpo.entropy_coef,
                           cfg->grpo.loss_agg,
                           cfg->grpo.loss_agg_tokens ? cfg->grpo.loss_agg_tokens
                                                     : cfg->rollout.max_new_tokens,
                           counts[0] > 0 ? counts[0] : 1,
                           counts[1] > 0 ? counts[1] : 1};
        if (cfg->grpo.entropy_coef == 0.0)
            for (int i = 0; i < B; i++) seqs[i].entropy = NULL;
        for (int i = 0; logp_diff && i < B; i++)
            for (int k = 0; k < seqs[i].T; k++) {
                double diff = fabs((double)seqs[i].logp[k] - seqs[i].logp_old[k]);
                if (diff > *logp_diff) *logp_diff = diff;
            }
        rl_grpo_stats st = {0};
        rl_grpo_loss(seqs, B, &go, dl, NULL, &st);
        /* entropy for the metrics even without an entropy bonus */
        double ent_sum = 0;
        for (int i = 0; i < B; i++)
            for (int k = 0; k < seqs[i].T && !seqs[i].masked; k++)
                ent_sum += ent[(size_t)i * T + (size_t)(dl[i] - (dlogp + (size_t)i * T)) + k];
        m[M_TOKENS] += st.tokens;
        m[M_CLIP_LO] += st.clipped_low;
        m[M_CLIP_HI] += st.clipped_high;
        m[M_DUAL] += st.dual_clipped;
        m[M_KL] += st.kl;
        m[M_ENT] += ent_sum;
        m[M_RATIO] += st.ratio;
        m[M_LOSS] += st.loss;
        policy_backward(&t->model, &acts, ids, tgt, dlogp, t->grads);
    }
    policy_acts_free(&acts);
done:
    free(ids);
    free(tgt);
    free(logp);
    free(ent);
    free(dlogp);
    free(seqs);
    free(dl);
    free(refs);
    return rc;
}

/* Reference log-probs of every own completion token: out[(o*G + j) * max_new + i]. */
static int reference_logprobs(rl_trainer *t, const rl_step_data *d, float *out, rlpt_err *err) {
    int G = d->G, max_new = t->cfg->rollout.max_new_tokens, rc = 0;
    for (int o = 0; !rc && o < d->own; o++) {
        int p = d->own_prompt[o], T = 1;
        for (int j = 0; j < G; j++) {
            int len = d->prompt_n[p] + d->samples[(size_t)p * G + j].n_ids;
            if (len > T) T = len;
        }
        int *ids = calloc((size_t)G * T, sizeof *ids), *tgt = calloc((size_t)G * T, sizeof *tgt);
        float *lp = calloc((size_t)G * T, sizeof *lp);
        policy_acts acts;
        memset(&acts, 0, sizeof acts);
        rc = ids && tgt && lp ? 0 : rlpt_errf(err, RLPT_ENOMEM, "grpo: out of memory");
        for (int j = 0; !rc && j < G; j++) {
            const rollout_sample *s = &d->samples[(size_t)p * G + j];
            for (int i = 0; i < T; i++) tgt[(size_t)j * T + i] = -1;
            for (int i = 0; i < d->prompt_n[p]; i++) ids[(size_t)j * T + i] = d->prompt_ids[p][i];
            for (int i = 0; i < s->n_ids; i++) {
                ids[(size_t)j * T + d->prompt_n[p] + i] = s->ids[i];
                tgt[(size_t)j * T + d->prompt_n[p] + i - 1] = s->ids[i];
            }
        }
        if (!rc) rc = policy_acts_init(&acts, &t->ref.cfg, G, T, 0, err);
        acts.inv_temperature = (float)(1.0 / t->cfg->rollout.temperature);
        if (!rc) rc = policy_forward(&t->ref, &acts, ids, tgt, lp, NULL, err);
        for (int j = 0; !rc && j < G; j++) {
            const rollout_sample *s = &d->samples[(size_t)p * G + j];
            for (int i = 0; i < s->n_ids; i++)
                out[(size_t)(o * G + j) * max_new + i] = lp[(size_t)j * T + d->prompt_n[p] + i - 1];
        }
        policy_acts_free(&acts);
        free(ids);
        free(tgt);
        free(lp);
    }
    return rc;
}

static int grpo_step(rl_trainer *t, const policy_lr_schedule *sched, int *perm, long *epoch,
                     rlpt_err *err) {
    const rl_config *cfg = t->cfg;
    int P = cfg->grpo.prompts_per_step, G = cfg->grpo.group_size,
        n_fn = rl_rewards_count(t->rewards);
    double t0 = rl_now(), t_roll = 0, t_rew = 0, t_ref = 0, t_upd = 0;
    rl_step_data d;
    memset(&d, 0, sizeof d);
    d.example = calloc((size_t)P, sizeof *d.example);
    if (!d.example) return rlpt_errf(err, RLPT_ENOMEM, "grpo: out of memory");
    for (int i = 0; i < P; i++)
        d.example[i] = rl_data_index(&t->train, (uint64_t)cfg->run.seed ^ 0x6792ull,
                                     t->stage_step * (long)P + i, perm, epoch);
    int rc = rl_rollout_and_score(t, t->engine, &t->train, P, G, &d, (uint64_t)t->step, &t_roll,
                                  &t_rew, err);
    float *ref_lp = NULL;
    int n_own = d.own * G, max_new = cfg->rollout.max_new_tokens;
    if (!rc && t->have_ref && n_own) {
        double r0 = rl_now();
        ref_lp = calloc((size_t)n_own * max_new, sizeof *ref_lp);
        rc = ref_lp ? reference_logprobs(t, &d, ref_lp, err)
                    : rlpt_errf(err, RLPT_ENOMEM, "grpo: out of memory");
        if (!rc && cfg->grpo.kl_in == RL_KL_IN_REWARD)
            for (int k = 0; k < n_own; k++) {
                const rollout_sample *s = &d.samples[(size_t)d.own_prompt[k / G] * G + k % G];
                d.reward[k] -=
                    cfg->grpo.beta * rl_grpo_kl_penalty(s->logprobs, ref_lp + (size_t)k * max_new,
                                                        s->n_ids, cfg->grpo.kl_estimator);
            }
        t_ref = rl_now() - r0;
    }
    rc = rl_mpi_agree(rc, err);
    double m[M_N];
    memset(m, 0, sizeof m);
    if (!rc) {
        rl_adv_stats ast;
        int mode = cfg->grpo.advantage == RL_ADV_BATCH_STD ? RL_ADV_DR_GRPO : cfg->grpo.advantage;
        rl_grpo_advantages(d.adv, &ast, d.reward, d.own, G, mode, cfg->grpo.adv_eps);
        for (int k = 0; k < n_own; k++) {
            const rollout_sample *s = &d.samples[(size_t)d.own_prompt[k / G] * G + k % G];
            m[M_REWARD] += d.reward[k];
            m[M_REWARD2] += d.reward[k] * d.reward[k];
            m[M_CORRECT] += correct(&d, k);
            m[M_LEN] += s->n_ids;
            m[M_TRUNC] += s->finish == ROLLOUT_FINISH_LENGTH;
        }
        m[M_SAMPLES] = n_own;
        m[M_ZERO_STD] = ast.zero_std_groups;
        m[M_GROUPS] = d.own;
        for (int i = 0; i < n_fn; i++) m[M_TIMEOUTS] += d.timeouts[i];
        double batch[3] = {m[M_REWARD], m[M_REWARD2], m[M_SAMPLES]};
        rc = rl_allreduce_sum_d(batch, 3, err);
        if (!rc && cfg->grpo.advantage == RL_ADV_BATCH_STD) {
            double mean = batch[0] / batch[2];
            double var = (batch[1] - batch[2] * mean * mean) / (batch[2] > 1 ? batch[2] - 1 : 1);
            double std = sqrt(var > 0 ? var : 0);
            for (int k = 0; k < n_own; k++) d.adv[k] /= std + cfg->grpo.adv_eps;
        }
    }
    /* mu passes over the step's groups, minibatches within a pass */
    double u0 = rl_now(), gnorm = 0, logp_diff = 0;
    float lr = policy_lr_at(sched, t->stage_step);
    for (int pass = 0; !rc && pass < cfg->grpo.mu; pass++)
        for (int mb = 0; !rc && mb < cfg->grpo.minibatches; mb++) {
            memset(t->grads, 0, t->model.layout.total * sizeof(float));
            /* the first update runs on the rollout's weights: measure the log-prob gap there */
            rc = update_minibatch(t, &d, mb, cfg->grpo.minibatches, ref_lp, m,
                                  pass == 0 && mb == 0 ? &logp_diff : NULL, err);
            rc = rl_mpi_agree(rc, err);
            if (!rc) rc = rl_allreduce_sum_f(t->grads, t->model.layout.total, err);
            if (rc) break;
            gnorm = policy_grad_clip(t->grads, t->model.layout.total, (float)cfg->optim.grad_clip);
            policy_adamw_step(&t->opt, &t->model.layout, t->model.params, t->grads, lr);
        }
    t_upd = rl_now() - u0;
    if (!rc) rc = rl_allreduce_sum_d(m, M_N, err);
    if (!rc && t->size > 1)
        rc = rl_mpi_check(
            MPI_Allreduce(MPI_IN_PLACE, &logp_diff, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD),
            "MPI_Allreduce (max)", err);
    if (!rc && (t->step % cfg->run.log_every == 0 || t->stage_step + 1 == cfg->grpo.steps)) {
        double ns = m[M_SAMPLES] > 0 ? m[M_SAMPLES] : 1, nt = m[M_TOKENS] > 0 ? m[M_TOKENS] : 1;
        double mean = m[M_REWARD] / ns, dt = rl_now() - t0;
        double var = (m[M_REWARD2] - ns * mean * mean) / (ns > 1 ? ns - 1 : 1);
        char line[1024];
        snprintf(line, sizeof line,
                 "{\"step\":%ld,\"stage\":\"grpo\",\"stage_step\":%ld,\"reward\":%.6g,"
                 "\"reward_std\":%.6g,\"accuracy\":%.6g,\"response_length\":%.6g,"
                 "\"truncated\":%.6g,\"zero_std_groups\":%.6g,\"loss\":%.6g,"
                 "\"clip_low\":%.6g,\"clip_high\":%.6g,\"dual_clip\":%.6g,\"kl\":%.6g,"
                 "\"entropy\":%.6g,\"ratio\":%.6g,\"logp_diff_max\":%.3g,"
                 "\"reward_timeouts\":%.0f,\"grad_norm\":%.6g,"
                 "\"lr\":%.6g,\"tokens_per_s\":%.1f,\"time_rollout_s\":%.3f,"
                 "\"time_reward_s\":%.3f,\"time_reference_s\":%.3f,\"time_update_s\":%.3f,"
                 "\"time_s\":%.3f}",
                 t->step, t->stage_step, mean, sqrt(var > 0 ? var : 0), m[M_CORRECT] / ns,
                 m[M_LEN] / ns, m[M_TRUNC] / ns, m[M_GROUPS] > 0 ? m[M_ZERO_STD] / m[M_GROUPS] : 0,
                 m[M_LOSS], m[M_CLIP_LO] / nt, m[M_CLIP_HI] / nt, m[M_DUAL] / nt, m[M_KL] / nt,
                 m[M_ENT] / nt, m[M_RATIO] / nt, logp_diff, m[M_TIMEOUTS], gnorm, (double)lr,
                 m[M_LEN] / (dt > 0 ? dt : 1e-9), t_roll, t_rew, t_ref, t_upd, dt);
        rc = rl_mpi_agree(rl_run_log(&t->run, RL_LOG_METRICS, line, err), err);
        if (!rc && rl_mpi_should_print() && cfg->run.progress != RL_PROGRESS_NEVER) {
            double eta = dt * (cfg->grpo.steps - t->stage_step - 1);
            fprintf(stderr,
                    "grpo step %ld/%d  reward %.3f  acc %.1f%%  len %.1f  %.0f tok/s  ETA %.0f s\n",
                    t->stage_step + 1, cfg->grpo.steps, mean, 100.0 * m[M_CORRECT] / ns,
                    m[M_LEN] / ns, m[M_LEN] / (dt > 0 ? dt : 1e-9), eta);
        }
    }
    /* a few completions for samples.jsonl (rank 0 holds every sample) */
    if (!rc && cfg->run.samples_every > 0 && t->step % cfg->run.samples_every == 0 &&
        t->rank == 0) {
        for (int k = 0; !rc && k < G && k < 4; k++) {
            const rollout_sample *s = &d.samples[k];
            cJSON *j = cJSON_CreateObject();
            cJSON_AddNumberToObject(j, "step", (double)t->step);
            cJSON_AddStringToObject(j, "prompt", t->train.v[d.example[0]].prompt);
            cJSON_AddStringToObject(j, "completion", s->text ? s->text : "");
            cJSON_AddNumberToObject(j, "reward", d.reward[k]);
            char *text = cJSON_PrintUnformatted(j);
            cJSON_Delete(j);
            if (text) rc = rl_run_log(&t->run, RL_LOG_SAMPLES, text, err);
            free(text);
        }
    }
    rc = rl_mpi_agree(rc, err);
    free(ref_lp);
    rl_step_data_free(&d);
    return rc;
}

int rl_grpo_stage(rl_trainer *t, rlpt_err *err) {
    const rl_config *cfg = t->cfg;
    int rc = 0;
    if (cfg->grpo.dynamic_sampling)
        rc = rlpt_errf(err, RLPT_ENOTBUILT, "grpo: grpo.dynamic_sampling is not built yet");
    if (!rc && !t->rewards) rc = rl_rewards_init(&t->rewards, cfg, err);
    rc = rl_mpi_agree(rc, err);
    if (!rc && !t->engine)
        rc = rl_mpi_agree(rl_make_engine(t, &t->engine, 0, cfg->grpo.group_size, err), err);
    if (!rc && cfg->grpo.beta > 0 && !t->have_ref) rc = rl_mpi_agree(make_reference(t, err), err);
    if (rc) return rc;
    int *perm = malloc((size_t)t->train.n * sizeof *perm);
    if (!perm) return rlpt_errf(err, RLPT_ENOMEM, "grpo: out of memory");
    long epoch = -1;
    policy_lr_schedule sched = {cfg->optim.schedule == RL_SCHED_COSINE ? POLICY_LR_COSINE
                                : cfg->optim.warmup_steps > 0          ? POLICY_LR_LINEAR_WARMUP
                                                                       : POLICY_LR_CONSTANT,
                                (float)cfg->optim.lr, (float)cfg->optim.lr_min,
                                cfg->optim.warmup_steps, cfg->grpo.steps};
    double acc;
    if (t->stage_step == 0 && t->eval.n > 0) rc = rl_evaluate(t, "before-grpo", &acc, err);
    for (; !rc && t->stage_step < cfg->grpo.steps; t->stage_step++, t->step++) {
        rc = grpo_step(t, &sched, perm, &epoch, err);
        int last = t->stage_step + 1 == cfg->grpo.steps;
        if (!rc && cfg->eval.every > 0 && (t->stage_step + 1) % cfg->eval.every == 0 && !last &&
            t->eval.n > 0) {
            t->step++;
            rc = rl_evaluate(t, "grpo", &acc, err);
            t->step--;
        }
        int every = cfg->run.checkpoint_every > 0 && (t->step + 1) % cfg->run.checkpoint_every == 0;
        if (!rc && (last || every)) {
            t->stage_step++;
            t->step++;
            if (last) t->stage++, t->stage_step = 0;
            rc = rl_trainer_checkpoint(t, err);
            if (last) t->stage--, t->stage_step = cfg->grpo.steps;
            t->stage_step--;
            t->step--;
        }
    }
    if (!rc && t->eval.n > 0) {
        t->step++;
        rc = rl_evaluate(t, "after-grpo", &acc, err);
        t->step--;
    }
    free(perm);
    return rc;
}
