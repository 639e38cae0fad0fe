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
 * like the sampler's behaviour log-probs. Evaluation is in rl/eval.c. */
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

void rl_engine_config(const rl_config *cfg, const policy_config *mc, int for_eval, int n,
                      rollout_config *rc) {
    rollout_config_default(rc);
    rc->sampling.temperature = (float)(for_eval ? cfg->eval.temperature : cfg->rollout.temperature);
    if (!for_eval) {
        rc->sampling.top_k = cfg->rollout.top_k;
        rc->sampling.top_p = (float)cfg->rollout.top_p;
        rc->sampling.min_p = (float)cfg->rollout.min_p;
        rc->sampling.repetition_penalty = (float)cfg->rollout.repetition_penalty;
        rc->sampling.presence_penalty = (float)cfg->rollout.presence_penalty;
    }
    rc->n = n;
    rc->max_new_tokens = cfg->rollout.max_new_tokens;
    rc->batch_size = cfg->rollout.batch_size;
    rc->seed = (uint64_t)cfg->run.seed ^ (for_eval ? 0xE7A1000000000000ull : 0);
    rc->stop = (const char *const *)cfg->rollout.stop.v;
    rc->n_stop = cfg->rollout.stop.n;
    rc->max_prompt_tokens = cfg->data.max_prompt_tokens;
    if (rc->max_prompt_tokens >= mc->max_pos) rc->max_prompt_tokens = mc->max_pos - 1;
}

int rl_make_engine(rl_trainer *t, rollout_engine **e, int for_eval, int n, rlpt_err *err) {
    rollout_config rc;
    rl_engine_config(t->cfg, &t->model.cfg, for_eval, n, &rc);
    return rollout_engine_init(e, &t->model, t->tok, &rc, 0, err);
}

void rl_step_data_free(rl_step_data *d) {
    if (d->samples) rollout_samples_free(d->samples, (size_t)d->P * d->G);
    for (int i = 0; d->prompt_ids && i < d->P; i++) free(d->prompt_ids[i]);
    free(d->prompt_ids);
    free(d->prompt_n);
    free(d->example);
    free(d->round_index);
    free(d->own_prompt);
    free(d->samples);
    free(d->reward);
    free(d->per_fn);
    free(d->adv);
    free(d->timeouts);
    memset(d, 0, sizeof *d);
}

/* Room for P groups of G (d->example is kept when set: the caller's choice of prompts). */
static int step_data_alloc(rl_step_data *d, int P, int G, int n_fn, rlpt_err *err) {
    int *example = d->example;
    memset(d, 0, sizeof *d);
    d->G = G;
    d->fn_stride = P * G;
    d->example = example ? example : calloc((size_t)P, sizeof *d->example);
    d->round_index = calloc((size_t)P, sizeof *d->round_index);
    d->prompt_ids = calloc((size_t)P, sizeof *d->prompt_ids);
    d->prompt_n = calloc((size_t)P, sizeof *d->prompt_n);
    d->own_prompt = calloc((size_t)P, sizeof *d->own_prompt);
    d->samples = calloc((size_t)P * G, sizeof *d->samples);
    d->reward = calloc((size_t)P * G, sizeof *d->reward);
    d->per_fn = calloc((size_t)P * G * (n_fn ? n_fn : 1), sizeof *d->per_fn);
    d->adv = calloc((size_t)P * G, sizeof *d->adv);
    d->timeouts = calloc((size_t)(n_fn ? n_fn : 1), sizeof *d->timeouts);
    if (!d->example || !d->round_index || !d->prompt_ids || !d->prompt_n || !d->own_prompt ||
        !d->samples || !d->reward || !d->per_fn || !d->adv || !d->timeouts)
        return rlpt_errf(err, RLPT_ENOMEM, "grpo: out of memory for %d x %d samples", P, G);
    return 0;
}

/* Generates and scores the groups of prompts[0..P) (dataset indices in ex) on their owners. */
int rl_rollout_and_score(rl_trainer *t, rollout_engine *e, const rl_dataset *ds, int P, int G,
                         rl_step_data *d, uint64_t step_key, double *t_roll, double *t_rew,
                         rlpt_err *err) {
    int rc = step_data_alloc(d, P, G, rl_rewards_count(t->rewards), err);
    if (rc) return rc;
    d->P = P;
    rollout_prompt *prompts = calloc((size_t)P, sizeof *prompts);
    if (!prompts) rc = rlpt_errf(err, RLPT_ENOMEM, "grpo: out of memory");
    for (int i = 0; !rc && i < P; i++) {
        rc = rl_trainer_prompt_ids(t, ds->v[d->example[i]].prompt, &d->prompt_ids[i],
                                   &d->prompt_n[i], err);
        if (rc) rlpt_err_prefix(err, "example %d", d->example[i]);
        prompts[i] = (rollout_prompt){d->prompt_ids[i], d->prompt_n[i], (uint64_t)d->example[i]};
        if (i % t->size == t->rank) d->own_prompt[d->own++] = i;
    }
    d->fn_stride = d->own * G;
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

/* One GRPO minibatch's work: groups q with q % mb_count == mb, their token counts over all
 * ranks (the loss's normaliser), the step's reference log-probs and metric sums. */
typedef struct mb_ctx {
    rl_trainer *t;
    rl_step_data *d;
    int mb, mb_count;
    const float *ref_lp;
    double *m;
    double *logp_diff; /* or NULL */
    double counts[2];  /* unmasked sequences and tokens of the minibatch on all ranks */
    /* the ratio's old log-probs: old_lp (recomputed before the first update, laid out as
     * ref_lp), or NULL: the sampler's (grpo.old_logprobs: rollout) when from_rollout, else the
     * forward's own values, detached (one update on the rollout's weights: a ratio of 1) */
    const float *old_lp;
    int from_rollout;
    float *old_out; /* the pre-pass: forward only, log-probs stored here (ref_lp's layout) */
} mb_ctx;

/* In minibatch mb, leaf `leaf` of c->t->n_leaves (-1: all own groups)? */
static int in_leaf(const mb_ctx *c, int q, int leaf) {
    return q % c->mb_count == c->mb && (leaf < 0 || c->d->round_index[q] % c->t->n_leaves == leaf);
}

static int minibatch_counts(mb_ctx *c, rlpt_err *err) {
    const rl_step_data *d = c->d;
    c->counts[0] = c->counts[1] = 0;
    for (int o = 0; o < d->own; o++) {
        if (!in_leaf(c, d->own_prompt[o], -1)) continue;
        for (int j = 0; j < d->G; j++) {
            const rollout_sample *s = &d->samples[(size_t)d->own_prompt[o] * d->G + j];
            int masked = c->t->cfg->grpo.overlong_filter && s->finish == ROLLOUT_FINISH_LENGTH;
            if (!masked && s->n_ids > 0) c->counts[0] += 1, c->counts[1] += s->n_ids;
        }
    }
    return rl_allreduce_sum_d(c->counts, 2, err);
}

/* Forward + GRPO loss + backward over the minibatch's own groups of one leaf (rl_leaf_fn):
 * grad is overwritten. logp_diff (or NULL) receives the largest |recomputed - behaviour|
 * log-prob: on the rollout's weights, how far the trainer's forward is from the sampler's. */
static int update_leaf(void *ctx, int leaf, float *grad, int *present, rlpt_err *err) {
    mb_ctx *c = ctx;
    rl_trainer *t = c->t;
    rl_step_data *d = c->d;
    const rl_config *cfg = t->cfg;
    const float *ref_lp = c->ref_lp;
    double *m = c->m, *logp_diff = c->logp_diff;
    int G = d->G, B = 0, T = 1, rc = 0;
    for (int o = 0; o < d->own; o++) {
        if (!in_leaf(c, d->own_prompt[o], leaf)) continue;
        for (int j = 0; j < G; j++) {
            const rollout_sample *s = &d->samples[(size_t)d->own_prompt[o] * G + j];
            int len = d->prompt_n[d->own_prompt[o]] + s->n_ids;
            if (len > T) T = len;
            B++;
        }
    }
    *present = B > 0;
    if (B == 0) return 0;
    int *ids = calloc((size_t)B * T, sizeof *ids), *tgt = calloc((size_t)B * T, sizeof *tgt);
    float *logp = calloc((size_t)B * T, sizeof *logp), *ent = calloc((size_t)B * T, sizeof *ent);
    float *dlogp = calloc((size_t)B * T, sizeof *dlogp);
    float *lp_self = calloc((size_t)B * T, sizeof *lp_self);
    rl_grpo_seq *seqs = calloc((size_t)B, sizeof *seqs);
    float **dl = calloc((size_t)B, sizeof *dl);
    const float **refs = calloc((size_t)B, sizeof *refs);
    if (!ids || !tgt || !logp || !ent || !dlogp || !lp_self || !seqs || !dl || !refs) {
        rc = rlpt_errf(err, RLPT_ENOMEM, "grpo: out of memory for a minibatch of %d x %d", B, T);
        goto done;
    }
    int b = 0;
    for (int o = 0; o < d->own; o++) {
        int p = d->own_prompt[o];
        if (!in_leaf(c, p, leaf)) continue;
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
                c->old_lp         ? c->old_lp + (size_t)(o * G + j) * cfg->rollout.max_new_tokens
                : c->from_rollout ? s->logprobs
                                  : lp_self + (size_t)b * T + np - 1,
                ref_lp ? ref_lp + (size_t)(o * G + j) * cfg->rollout.max_new_tokens : NULL,
                ent + (size_t)b * T + np - 1,
                d->adv[o * G + j],
                cfg->grpo.overlong_filter && s->finish == ROLLOUT_FINISH_LENGTH};
            dl[b] = dlogp + (size_t)b * T + np - 1;
        }
    }
    policy_acts acts;
    memset(&acts, 0, sizeof acts);
    int flags =
        c->old_out ? 0 : POLICY_ACTS_TRAIN | (cfg->model.recompute ? POLICY_ACTS_RECOMPUTE : 0);
    rc = policy_acts_init(&acts, &t->model.cfg, B, T, flags, err);
    /* the ratio's log-probs at the rollout temperature, as the sampler's (TRL, verl) */
    acts.inv_temperature = (float)(1.0 / cfg->rollout.temperature);
    if (!rc) rc = policy_forward(&t->model, &acts, ids, tgt, logp, ent, err);
    if (!rc && c->old_out) { /* the pre-pass: keep the log-probs, no loss, no gradient */
        *present = 0;
        for (int i = 0; i < B; i++)
            memcpy(c->old_out + (seqs[i].logp_old - c->old_lp), seqs[i].logp,
                   (size_t)seqs[i].T * sizeof(float));
    } else if (!rc) {
        memcpy(lp_self, logp, (size_t)B * T * sizeof *lp_self);
        rl_grpo_opts go = {cfg->grpo.clip_low,
                           cfg->grpo.clip_high,
                           cfg->grpo.dual_clip,
                           cfg->grpo.kl_in == RL_KL_IN_LOSS ? cfg->grpo.beta : 0.0,
                           cfg->grpo.kl_estimator,
                           cfg->grpo.entropy_coef,
                           cfg->grpo.loss_agg,
                           cfg->grpo.loss_agg_tokens ? cfg->grpo.loss_agg_tokens
                                                     : cfg->rollout.max_new_tokens,
                           c->counts[0] > 0 ? c->counts[0] : 1,
                           c->counts[1] > 0 ? c->counts[1] : 1};
        if (cfg->grpo.entropy_coef == 0.0)
            for (int i = 0; i < B; i++) seqs[i].entropy = NULL;
        /* on the rollout's weights: the gap to the sampler's own log-probs */
        for (int i = 0, b2 = 0; logp_diff && i < d->own; i++) {
            if (!in_leaf(c, d->own_prompt[i], leaf)) continue;
            for (int j = 0; j < G; j++, b2++) {
                const rollout_sample *s = &d->samples[(size_t)d->own_prompt[i] * G + j];
                for (int k = 0; k < s->n_ids; k++) {
                    double diff = fabs((double)seqs[b2].logp[k] - s->logprobs[k]);
                    if (diff > *logp_diff) *logp_diff = diff;
                }
            }
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
        memset(grad, 0, t->model.layout.total * sizeof *grad);
        policy_backward(&t->model, &acts, ids, tgt, dlogp, grad);
    }
    policy_acts_free(&acts);
done:
    free(ids);
    free(tgt);
    free(logp);
    free(ent);
    free(dlogp);
    free(lp_self);
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

/* Moves group i of round r to the end of acc (capacity: its P at allocation), on every rank:
 * the prompt and the samples (those this rank holds), and on the owner of i in r its rewards,
 * which stay with that owner (acc->own_prompt lists the groups this rank owns). */
static void take_group(rl_step_data *acc, rl_step_data *r, int i, int rank, int size, int n_fn) {
    int G = r->G, q = acc->P++;
    acc->example[q] = r->example[i];
    acc->round_index[q] = i;
    acc->prompt_ids[q] = r->prompt_ids[i];
    r->prompt_ids[i] = NULL;
    acc->prompt_n[q] = r->prompt_n[i];
    memcpy(&acc->samples[(size_t)q * G], &r->samples[(size_t)i * G],
           (size_t)G * sizeof *r->samples);
    memset(&r->samples[(size_t)i * G], 0, (size_t)G * sizeof *r->samples);
    if (i % size != rank) return;
    int o = i / size, a = acc->own++; /* r->own_prompt[o] == i */
    acc->own_prompt[a] = q;
    for (int j = 0; j < G; j++) {
        acc->reward[a * G + j] = r->reward[o * G + j];
        for (int f = 0; f < n_fn; f++)
            acc->per_fn[(size_t)f * acc->fn_stride + (size_t)a * G + j] =
                r->per_fn[(size_t)f * r->fn_stride + (size_t)o * G + j];
    }
}

/* The step's groups: rounds of P prompts drawn at t->data_pos, rolled out and scored; every
 * group goes to d, or with grpo.dynamic_sampling (DAPO) only groups whose rewards are not all
 * equal, round after round until P are kept or 1 + max_resample_rounds rounds were drawn (then
 * the step trains on fewer, possibly none). Rewards are compared before any KL penalty. The
 * sample metrics (m) cover every sampled group, the trained batch is d. */
static int sample_groups(rl_trainer *t, int *perm, long *epoch, rl_step_data *d, double *m,
                         double *fn_m, int *rounds, double *t_roll, double *t_rew, rlpt_err *err) {
    const rl_config *cfg = t->cfg;
    int P = cfg->grpo.prompts_per_step, G = cfg->grpo.group_size,
        n_fn = rl_rewards_count(t->rewards), dyn = cfg->grpo.dynamic_sampling;
    int max_rounds = dyn ? 1 + cfg->grpo.max_resample_rounds : 1;
    int rc = step_data_alloc(d, P, G, n_fn, err);
    double *keep = calloc((size_t)P, sizeof *keep);
    if (!rc && !keep) rc = rlpt_errf(err, RLPT_ENOMEM, "grpo: out of memory");
    rc = rl_mpi_agree(rc, err);
    for (*rounds = 0; !rc && *rounds < max_rounds && d->P < P; ++*rounds) {
        rl_step_data r;
        memset(&r, 0, sizeof r);
        r.example = calloc((size_t)P, sizeof *r.example);
        rc = rl_mpi_agree(r.example ? 0 : rlpt_errf(err, RLPT_ENOMEM, "grpo: out of memory"), err);
        for (int i = 0; !rc && i < P; i++)
            r.example[i] = rl_data_index(&t->train, cfg->data.shuffle, rl_data_seed(t, 0x6792ull),
                                         t->data_pos + i, perm, epoch);
        t->data_pos += P;
        /* round 0 keeps the step's key, so a run without dynamic sampling is unchanged */
        double tr = 0, tw = 0;
        if (!rc)
            rc = rl_rollout_and_score(t, t->engine, &t->train, P, G, &r,
                                      (uint64_t)t->step ^ ((uint64_t)*rounds << 48), &tr, &tw, err);
        *t_roll += tr;
        *t_rew += tw;
        /* keep[i]: group i has signal (set by its owner, summed over ranks) */
        memset(keep, 0, (size_t)P * sizeof *keep);
        for (int o = 0; !rc && o < r.own; o++) {
            double lo = r.reward[(size_t)o * G], hi = lo;
            for (int j = 0; j < G; j++) {
                double v = r.reward[o * G + j];
                const rollout_sample *s = &r.samples[(size_t)r.own_prompt[o] * G + j];
                lo = v < lo ? v : lo;
                hi = v > hi ? v : hi;
                m[M_REWARD] += v;
                m[M_REWARD2] += v * v;
                m[M_CORRECT] += rl_sample_correct(&r, o * G + j);
                m[M_LEN] += s->n_ids;
                m[M_TRUNC] += s->finish == ROLLOUT_FINISH_LENGTH;
                m[M_SAMPLES] += 1;
            }
            for (int f = 0; f < n_fn; f++)
                for (int j = 0; j < G; j++) {
                    double v = r.per_fn[(size_t)f * r.fn_stride + (size_t)o * G + j];
                    fn_m[(size_t)2 * f] += v;
                    fn_m[(size_t)2 * f + 1] += v * v;
                }
            m[M_ZERO_STD] += lo == hi;
            m[M_GROUPS] += 1;
            keep[r.own_prompt[o]] = lo != hi;
        }
        for (int f = 0; !rc && f < n_fn; f++) d->timeouts[f] += r.timeouts[f];
        if (!rc && dyn) rc = rl_allreduce_sum_d(keep, P, err);
        for (int i = 0; !rc && i < P && d->P < P; i++)
            if (!dyn || keep[i] > 0) take_group(d, &r, i, t->rank, t->size, n_fn);
        rl_step_data_free(&r);
    }
    free(keep);
    return rc;
}

/* The metrics key of reward function f: its name when that is a plain word used once, else
 * fn<f> (plugins name themselves; a config may list one function twice). */
static void reward_key(const rl_rewards *r, int f, char *buf, size_t n) {
    const char *name = rl_rewards_name(r, f);
    int plain = name[0] != '\0' && strlen(name) < 64;
    for (const char *c = name; plain && *c; c++)
        plain = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
                *c == '_' || *c == '-';
    for (int i = 0; plain && i < rl_rewards_count(r); i++)
        plain = i == f || strcmp(rl_rewards_name(r, i), name) != 0;
    if (plain)
        snprintf(buf, n, "%s", name);
    else
        snprintf(buf, n, "fn%d", f);
}

static int grpo_step(rl_trainer *t, const policy_lr_schedule *sched, int *perm, long *epoch,
                     rlpt_err *err) {
    const rl_config *cfg = t->cfg;
    int G = cfg->grpo.group_size, rounds = 0;
    double t0 = rl_now(), t_roll = 0, t_rew = 0, t_ref = 0, t_old = 0, t_upd = 0, t_ar = 0;
    double m[M_N];
    memset(m, 0, sizeof m);
    int n_fn = rl_rewards_count(t->rewards);
    double *fn_m = calloc((size_t)2 * n_fn + 1, sizeof *fn_m); /* sum, sum of squares */
    rl_step_data d;
    memset(&d, 0, sizeof d);
    int rc = fn_m ? sample_groups(t, perm, epoch, &d, m, fn_m, &rounds, &t_roll, &t_rew, err)
                  : rlpt_errf(err, RLPT_ENOMEM, "grpo: out of memory");
    float *ref_lp = NULL, *old_lp = NULL;
    int n_own = d.own * G, max_new = cfg->rollout.max_new_tokens;
    int from_rollout = cfg->grpo.old_logprobs == RL_OLD_LOGPROBS_ROLLOUT;
    int kl_reward = t->have_ref && cfg->grpo.kl_in == RL_KL_IN_REWARD;
    /* The ratio's old log-probs, recomputed by the trainer as verl does (the sampler's differ in
     * the last bits with the rollout's batching, i.e. with the rank count): a forward pass
     * before any update, needed when several updates follow or the KL goes in the reward; with
     * one update the forward's own values serve, detached. */
    if (!rc && !from_rollout && n_own &&
        (cfg->grpo.mu > 1 || cfg->grpo.minibatches > 1 || kl_reward)) {
        double r0 = rl_now();
        old_lp = calloc((size_t)n_own * max_new, sizeof *old_lp);
        if (!old_lp) rc = rlpt_errf(err, RLPT_ENOMEM, "grpo: out of memory");
        for (int mb = 0; !rc && mb < cfg->grpo.minibatches; mb++) {
            mb_ctx c = {t, &d, mb, cfg->grpo.minibatches, NULL, m, NULL, {1, 1}, old_lp, 0, old_lp};
            int present = 0, step = t->n_leaves ? t->size : 1;
            for (int leaf = t->n_leaves ? t->rank : -1; !rc && leaf < t->n_leaves; leaf += step) {
                rc = update_leaf(&c, leaf, NULL, &present, err);
                if (leaf < 0) break;
            }
        }
        t_old = rl_now() - r0;
    }
    if (!rc && t->have_ref && n_own) {
        double r0 = rl_now();
        ref_lp = calloc((size_t)n_own * max_new, sizeof *ref_lp);
        rc = ref_lp ? reference_logprobs(t, &d, ref_lp, err)
                    : rlpt_errf(err, RLPT_ENOMEM, "grpo: out of memory");
        if (!rc && kl_reward)
            for (int k = 0; k < n_own; k++) {
                const rollout_sample *s = &d.samples[(size_t)d.own_prompt[k / G] * G + k % G];
                d.reward[k] -= cfg->grpo.beta *
                               rl_grpo_kl_penalty(
                                   old_lp ? old_lp + (size_t)k * max_new : s->logprobs,
                                   ref_lp + (size_t)k * max_new, s->n_ids, cfg->grpo.kl_estimator);
            }
        t_ref = rl_now() - r0;
    }
    rc = rl_mpi_agree(rc, err);
    if (!rc) {
        rl_adv_stats ast;
        int mode = cfg->grpo.advantage == RL_ADV_BATCH_STD ? RL_ADV_DR_GRPO : cfg->grpo.advantage;
        rl_grpo_advantages(d.adv, &ast, d.reward, d.own, G, mode, cfg->grpo.adv_eps);
        for (int i = 0; i < rl_rewards_count(t->rewards); i++) m[M_TIMEOUTS] += d.timeouts[i];
        /* the batch std over the trained groups of all ranks */
        double batch[3] = {0, 0, n_own};
        for (int k = 0; k < n_own; k++)
            batch[0] += d.reward[k], batch[1] += d.reward[k] * d.reward[k];
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
    for (int pass = 0; !rc && d.P > 0 && pass < cfg->grpo.mu; pass++)
        for (int mb = 0; !rc && mb < cfg->grpo.minibatches; mb++) {
            /* the first update runs on the rollout's weights: measure the log-prob gap there */
            mb_ctx c = {t,
                        &d,
                        mb,
                        cfg->grpo.minibatches,
                        ref_lp,
                        m,
                        pass == 0 && mb == 0 ? &logp_diff : NULL,
                        {0, 0},
                        old_lp,
                        from_rollout,
                        NULL};
            rc = minibatch_counts(&c, err);
            if (!rc) rc = rl_update_grads(t, update_leaf, &c, &t_ar, err);
            if (rc) break;
            gnorm = policy_grad_norm(t->grads, t->model.layout.total); /* clipped in the step */
            policy_adamw_step_scaled(&t->opt, &t->model.layout, t->model.params, t->grads, lr,
                                     policy_clip_coef(gnorm, (float)cfg->optim.grad_clip));
        }
    t_upd = rl_now() - u0;
    if (!rc) rc = rl_allreduce_sum_d(m, M_N, err);
    if (!rc && n_fn) rc = rl_allreduce_sum_d(fn_m, 2 * n_fn, err);
    if (!rc && t->size > 1)
        rc = rl_mpi_check(
            MPI_Allreduce(MPI_IN_PLACE, &logp_diff, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD),
            "MPI_Allreduce (max)", err);
    if (!rc && (t->step % cfg->run.log_every == 0 || t->stage_step + 1 == cfg->grpo.steps)) {
        double ns = m[M_SAMPLES] > 0 ? m[M_SAMPLES] : 1, nt = m[M_TOKENS] > 0 ? m[M_TOKENS] : 1;
        double mean = m[M_REWARD] / ns, dt = rl_now() - t0;
        double var = (m[M_REWARD2] - ns * mean * mean) / (ns > 1 ? ns - 1 : 1);
        char line[4096];
        int len = snprintf(
            line, sizeof line,
            "{\"step\":%ld,\"stage\":\"grpo\",\"stage_step\":%ld,\"reward\":%.6g,"
            "\"reward_std\":%.6g,\"accuracy\":%.6g,\"response_length\":%.6g,"
            "\"truncated\":%.6g,\"zero_std_groups\":%.6g,\"loss\":%.6g,"
            "\"clip_low\":%.6g,\"clip_high\":%.6g,\"dual_clip\":%.6g,\"kl\":%.6g,"
            "\"entropy\":%.6g,\"ratio\":%.6g,\"logp_diff_max\":%.3g,"
            "\"reward_timeouts\":%.0f,\"grad_norm\":%.6g,"
            "\"lr\":%.6g,\"tokens_per_s\":%.1f,\"time_rollout_s\":%.3f,"
            "\"time_reward_s\":%.3f,\"time_reference_s\":%.3f,\"time_old_logprobs_s\":%.3f,"
            "\"time_update_s\":%.3f,\"time_allreduce_s\":%.3f,\"time_s\":%.3f,\"sample_rounds\":%d,"
            "\"groups_trained\":%d}",
            t->step, t->stage_step, mean, sqrt(var > 0 ? var : 0), m[M_CORRECT] / ns, m[M_LEN] / ns,
            m[M_TRUNC] / ns, m[M_GROUPS] > 0 ? m[M_ZERO_STD] / m[M_GROUPS] : 0, m[M_LOSS],
            m[M_CLIP_LO] / nt, m[M_CLIP_HI] / nt, m[M_DUAL] / nt, m[M_KL] / nt, m[M_ENT] / nt,
            m[M_RATIO] / nt, logp_diff, m[M_TIMEOUTS], gnorm, (double)lr,
            m[M_LEN] / (dt > 0 ? dt : 1e-9), t_roll, t_rew, t_ref, t_old, t_upd, t_ar, dt, rounds,
            d.P);
        /* each reward function's mean and std over the sampled completions, unweighted */
        for (int f = 0; f < n_fn && len > 0 && (size_t)len < sizeof line; f++) {
            double fm = fn_m[(size_t)2 * f] / ns,
                   fv = (fn_m[(size_t)2 * f + 1] - ns * fm * fm) / (ns > 1 ? ns - 1 : 1);
            char name[80];
            reward_key(t->rewards, f, name, sizeof name);
            len--; /* over the closing brace */
            len += snprintf(line + len, sizeof line - (size_t)len,
                            ",\"reward_%s\":%.6g,\"reward_%s_std\":%.6g}", name, fm, name,
                            sqrt(fv > 0 ? fv : 0));
        }
        rc = rl_mpi_agree(rl_run_log(&t->run, RL_LOG_METRICS, line, err), err);
        if (!rc && rl_mpi_should_print() && cfg->run.progress != RL_PROGRESS_NEVER) {
            double eta = dt * (cfg->grpo.steps - t->stage_step - 1);
            fprintf(stderr,
                    "grpo step %ld/%d  reward %.3f  acc %.1f%%  len %.1f  %.0f tok/s  ETA %.0f s\n",
                    t->stage_step + 1, cfg->grpo.steps, mean, 100.0 * m[M_CORRECT] / ns,
                    m[M_LEN] / ns, m[M_LEN] / (dt > 0 ? dt : 1e-9), eta);
        }
    }
    /* a few completions of rank 0's first trained group for samples.jsonl */
    if (!rc && cfg->run.samples_every > 0 && t->step % cfg->run.samples_every == 0 &&
        t->rank == 0 && d.own > 0) {
        int p = d.own_prompt[0];
        for (int k = 0; !rc && k < G && k < 4; k++) {
            const rollout_sample *s = &d.samples[(size_t)p * G + k];
            cJSON *j = cJSON_CreateObject();
            cJSON_AddNumberToObject(j, "step", (double)t->step);
            cJSON_AddStringToObject(j, "prompt", t->train.v[d.example[p]].prompt);
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
    free(old_lp);
    free(fn_m);
    rl_step_data_free(&d);
    return rc;
}

int rl_grpo_stage(rl_trainer *t, rlpt_err *err) {
    const rl_config *cfg = t->cfg;
    int rc = 0;
    if (!t->rewards) rc = rl_rewards_init(&t->rewards, cfg, err);
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
    /* prompts drawn so far in this stage (a checkpoint keeps it; older ones did not) */
    if (t->stage_step == 0 || t->data_pos < 0)
        t->data_pos = t->stage_step * (long)cfg->grpo.prompts_per_step;
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
    /* keyed like every evaluation by the optimizer steps done */
    if (!rc && t->eval.n > 0) rc = rl_evaluate(t, "after-grpo", &acc, err);
    free(perm);
    return rc;
}
