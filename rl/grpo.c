/* rl/grpo.c: group-relative advantages and the GRPO / DAPO / Dr. GRPO clipped-surrogate loss
 * with its gradient with respect to the per-token log-probabilities (the model's backward
 * takes it from there). Pure functions: no model, no MPI; the caller supplies step-wide token
 * and sequence counts. Conventions are listed in rl.h; the reference is the GRPO notes of the
 * DeepSeekMath, DAPO and Dr. GRPO papers as TRL and verl compute them, and the PyTorch
 * autograd implementation in tests/reference/grpo/ that the tests compare with. */
#include <math.h>

#include "config.h"
#include "rl.h"

#define LOG_RATIO_CLAMP 20.0

void rl_grpo_advantages(double *adv, rl_adv_stats *st, const double *rewards, int n_groups, int G,
                        int mode, double eps) {
    int n = n_groups * G;
    double sum = 0.0, sq = 0.0;
    for (int i = 0; i < n; i++) sum += rewards[i];
    double bmean = n > 0 ? sum / n : 0.0;
    for (int i = 0; i < n; i++) sq += (rewards[i] - bmean) * (rewards[i] - bmean);
    double bstd = n > 1 ? sqrt(sq / (n - 1)) : 0.0;
    st->reward_mean = bmean;
    st->reward_std = bstd;
    st->zero_std_groups = 0;
    for (int g = 0; g < n_groups; g++) {
        const double *r = rewards + (size_t)g * G;
        double *a = adv + (size_t)g * G;
        double mean = 0.0, var = 0.0;
        for (int i = 0; i < G; i++) mean += r[i];
        mean /= G;
        for (int i = 0; i < G; i++) var += (r[i] - mean) * (r[i] - mean);
        double std = sqrt(var / (G - 1)); /* unbiased, as TRL, verl, OpenRLHF and oat */
        if (var == 0.0) st->zero_std_groups++;
        for (int i = 0; i < G; i++) {
            double centred = r[i] - mean;
            if (mode == RL_ADV_GRPO)
                a[i] = centred / (std + eps);
            else if (mode == RL_ADV_BATCH_STD)
                a[i] = centred / (bstd + eps);
            else
                a[i] = centred;
        }
    }
}

/* KL estimate of one token and its derivative with respect to the policy's log-prob.
 * k1 = new - ref; k3 = exp(x) - x - 1 with x = ref - new (Schulman's low-variance estimator). */
static double kl_token(double logp, double ref, int estimator, double *dkl) {
    double x = ref - logp;
    if (estimator == RL_KL_K1) {
        *dkl = 1.0;
        return -x;
    }
    if (x > LOG_RATIO_CLAMP || x < -LOG_RATIO_CLAMP) {
        x = x > 0 ? LOG_RATIO_CLAMP : -LOG_RATIO_CLAMP;
        *dkl = 0.0; /* clamped: no gradient */
    } else {
        *dkl = 1.0 - exp(x); /* d/dlogp (exp(ref-logp) - (ref-logp) - 1) */
    }
    return expm1(x) - x;
}

double rl_grpo_kl_penalty(const float *logp_old, const float *logp_ref, int T, int estimator) {
    double sum = 0.0, unused;
    for (int t = 0; t < T; t++) sum += kl_token(logp_old[t], logp_ref[t], estimator, &unused);
    return sum;
}

static double token_weight(const rl_grpo_seq *s, const rl_grpo_opts *o) {
    switch (o->agg) {
    case RL_AGG_SEQ_MEAN_TOKEN_MEAN:
        return 1.0 / (o->n_seq * s->T);
    case RL_AGG_SEQ_MEAN_TOKEN_SUM:
        return 1.0 / (o->n_seq * o->agg_tokens);
    default:
        return 1.0 / o->n_tok;
    }
}

void rl_grpo_loss(const rl_grpo_seq *seqs, int n, const rl_grpo_opts *o, float *const *dlogp,
                  float *const *dent, rl_grpo_stats *st) {
    for (int i = 0; i < n; i++) {
        const rl_grpo_seq *s = &seqs[i];
        if (s->masked || s->T == 0) {
            for (int t = 0; dlogp && t < s->T; t++) dlogp[i][t] = 0.0f;
            for (int t = 0; dent && dent[i] && t < s->T; t++) dent[i][t] = 0.0f;
            continue;
        }
        double w = token_weight(s, o), A = s->adv;
        for (int t = 0; t < s->T; t++) {
            double lr = (double)s->logp[t] - s->logp_old[t], dratio_on = 1.0;
            if (lr > LOG_RATIO_CLAMP || lr < -LOG_RATIO_CLAMP) {
                lr = lr > 0 ? LOG_RATIO_CLAMP : -LOG_RATIO_CLAMP;
                dratio_on = 0.0;
            }
            double ratio = exp(lr);
            double lo = 1.0 - o->clip_low, hi = 1.0 + o->clip_high;
            double clipped = ratio < lo ? lo : ratio > hi ? hi : ratio;
            double pg1 = -A * ratio, pg2 = -A * clipped;
            /* the unclipped term carries the gradient unless the clipped one is larger */
            double pg = pg1, dpg = -A * ratio * dratio_on;
            if (pg2 > pg1) {
                pg = pg2;
                dpg = 0.0;
                if (ratio < lo)
                    st->clipped_low += 1;
                else
                    st->clipped_high += 1;
            }
            if (o->dual_clip > 1.0 && A < 0 && pg > -A * o->dual_clip) {
                pg = -A * o->dual_clip;
                dpg = 0.0;
                st->dual_clipped += 1;
            }
            double l = pg, dl = dpg;
            if (o->beta != 0.0) {
                double dkl, kl = kl_token(s->logp[t], s->logp_ref[t], o->kl_estimator, &dkl);
                l += o->beta * kl;
                dl += o->beta * dkl;
                st->kl += kl;
            }
            if (s->entropy) {
                l -= o->entropy_coef * s->entropy[t];
                st->entropy += s->entropy[t];
                if (dent && dent[i]) dent[i][t] = (float)(-o->entropy_coef * w);
            }
            if (dlogp) dlogp[i][t] = (float)(w * dl);
            st->loss += w * l;
            st->ratio += ratio;
            st->tokens += 1;
        }
    }
}
