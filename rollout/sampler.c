/* rollout/sampler.c: one token from one row of logits: penalties, temperature, top-k, top-p,
 * min-p, then inverse-CDF sampling with a given uniform draw; and the behaviour log-probability
 * GRPO's ratio needs. Leaves out beam search and logit bias. Reference: transformers'
 * RepetitionPenaltyLogitsProcessor, TemperatureLogitsWarper, TopKLogitsWarper,
 * TopPLogitsWarper, MinPLogitsWarper (applied in that order); presence penalty as in the OpenAI
 * API and vLLM (generated tokens only). */
#include "rollout.h"

#include <math.h>
#include <stdlib.h>

void rollout_sampling_default(rollout_sampling *s) {
    s->temperature = 1.0f;
    s->top_k = 0;
    s->top_p = 1.0f;
    s->min_p = 0.0f;
    s->repetition_penalty = 1.0f;
    s->presence_penalty = 0.0f;
}

int rollout_sampling_check(const rollout_sampling *s, rlpt_err *err) {
    if (!(s->temperature >= 0.0f && s->temperature <= 100.0f))
        return rlpt_errf(err, RLPT_EINVAL, "temperature must be in [0, 100] (0 = greedy), got %g",
                         (double)s->temperature);
    if (s->top_k < 0)
        return rlpt_errf(err, RLPT_EINVAL, "top_k must be >= 0 (0 = off), got %d", s->top_k);
    if (!(s->top_p > 0.0f && s->top_p <= 1.0f))
        return rlpt_errf(err, RLPT_EINVAL, "top_p must be in (0, 1] (1 = off), got %g",
                         (double)s->top_p);
    if (!(s->min_p >= 0.0f && s->min_p < 1.0f))
        return rlpt_errf(err, RLPT_EINVAL, "min_p must be in [0, 1) (0 = off), got %g",
                         (double)s->min_p);
    if (!(s->repetition_penalty > 0.0f && s->repetition_penalty <= 100.0f))
        return rlpt_errf(err, RLPT_EINVAL,
                         "repetition_penalty must be in (0, 100] (1 = off), got %g",
                         (double)s->repetition_penalty);
    if (!(fabsf(s->presence_penalty) <= 100.0f))
        return rlpt_errf(err, RLPT_EINVAL,
                         "presence_penalty must be in [-100, 100] (0 = off), got %g",
                         (double)s->presence_penalty);
    return 0;
}

int rollout_sampler_work_init(rollout_sampler_work *w, int V, rlpt_err *err) {
    w->V = V;
    w->z = malloc((size_t)V * sizeof *w->z);
    w->e = malloc((size_t)V * sizeof *w->e);
    w->idx = malloc((size_t)V * sizeof *w->idx);
    if (!w->z || !w->e || !w->idx) {
        rollout_sampler_work_free(w);
        return rlpt_errf(err, RLPT_ENOMEM, "out of memory for sampler scratch of %d tokens", V);
    }
    return 0;
}

void rollout_sampler_work_free(rollout_sampler_work *w) {
    if (!w) return;
    free(w->z);
    free(w->e);
    free(w->idx);
    w->z = NULL;
    w->e = NULL;
    w->idx = NULL;
}

/* Candidate order for truncation: larger z first, then smaller id. qsort needs the data, so
 * it goes through this file-scope pointer; the sampler is called from one thread at a time
 * per work buffer, and the pointer is set under the same call. */
static _Thread_local const float *sort_z;

static int by_z_desc(const void *a, const void *b) {
    int i = *(const int *)a, j = *(const int *)b;
    if (sort_z[i] != sort_z[j]) return sort_z[i] > sort_z[j] ? -1 : 1;
    return (i > j) - (i < j);
}

int rollout_sampler_pick(const float *logits, const uint8_t *seen, const rollout_sampling *s,
                         double u, rollout_sampler_work *w, float *logprob) {
    int V = w->V;
    float *z = w->z;
    float rp = s->repetition_penalty, pp = s->presence_penalty;
    for (int i = 0; i < V; i++) {
        float x = logits[i];
        if (seen && seen[i]) {
            if (rp != 1.0f) x = x > 0.0f ? x / rp : x * rp;
            if ((seen[i] & ROLLOUT_SEEN_OUTPUT) && pp != 0.0f) x -= pp;
        }
        z[i] = x;
    }
    float T = s->temperature > 0.0f ? s->temperature : 1.0f;
    if (T != 1.0f)
        for (int i = 0; i < V; i++) z[i] /= T;
    /* log-sum-exp of the whole distribution: the reported log-probability's normaliser */
    int best = 0;
    for (int i = 1; i < V; i++)
        if (z[i] > z[best]) best = i; /* the first maximum: lowest id on ties */
    float zmax = z[best];
    double sum = 0.0, *e = w->e;
    for (int i = 0; i < V; i++) sum += (e[i] = exp((double)z[i] - zmax));
    double lse = zmax + log(sum);
    if (s->temperature <= 0.0f) {
        *logprob = (float)((double)z[best] - lse);
        return best;
    }
    int *idx = w->idx, n = 0;
    int truncate = s->top_k > 0 || s->top_p < 1.0f || s->min_p > 0.0f;
    int pick = -1;
    if (!truncate) { /* every token, in id order */
        double target = u * sum, cum = 0.0;
        for (int i = 0; i < V; i++) {
            cum += e[i];
            if (cum > target) {
                pick = i;
                break;
            }
        }
        if (pick < 0) pick = best; /* u * sum rounded up to the total */
        *logprob = (float)((double)z[pick] - lse);
        return pick;
    }
    /* min-p last, as HF applies it: p_i >= min_p * p_max <=> z_i >= zmax + log(min_p) (a
     * ratio to the maximum, which every step keeps). Without top-p it commutes with top-k, so
     * it then filters before the sort. */
    double zmin = s->min_p > 0.0f ? zmax + log((double)s->min_p) : -INFINITY;
    int topk = s->top_k > 0 && s->top_k < V ? s->top_k : 0;
    /* Sorting all of a 150k vocabulary per token is slow; when the tokens within `gap` of the
     * maximum already hold the top-k set or the top-p mass, the rest can never be kept, and
     * those tokens are a prefix of the full sorted order, so the result is the same. */
    double thr = -INFINITY;
    if (V > 2048 && (topk || s->top_p < 1.0f)) {
        for (double gap = 8.0; gap <= 64.0 && thr == -INFINITY; gap *= 2.0) {
            int m = 0;
            double mass = 0.0;
            for (int i = 0; i < V; i++)
                if ((double)z[i] >= zmax - gap) m++, mass += e[i];
            if (topk ? m >= topk : mass >= (double)s->top_p * sum * (1.0 + 1e-9)) thr = zmax - gap;
        }
    }
    if (s->top_p >= 1.0f && zmin > thr) thr = zmin; /* min-p commutes with top-k alone */
    for (int i = 0; i < V; i++)
        if ((double)z[i] >= thr) idx[n++] = i;
    sort_z = z;
    qsort(idx, (size_t)n, sizeof *idx, by_z_desc);
    if (topk && n > topk) n = topk;
    if (s->top_p < 1.0f) { /* HF: over the top-k set renormalised; keep until mass >= top_p */
        double tot = sum;  /* no top-k: the whole distribution, summed in id order */
        if (topk) {
            tot = 0.0;
            for (int i = 0; i < n; i++) tot += e[idx[i]];
        }
        double cum = 0.0;
        int keep = 0;
        while (keep < n && cum < (double)s->top_p * tot) cum += e[idx[keep++]];
        n = keep > 0 ? keep : 1;
    }
    while (n > 1 && (double)z[idx[n - 1]] < zmin) n--; /* sorted: min-p cuts the tail */
    double tot = 0.0;
    for (int i = 0; i < n; i++) tot += e[idx[i]];
    double target = u * tot, cum = 0.0;
    pick = idx[n - 1];
    for (int i = 0; i < n; i++) {
        cum += e[idx[i]];
        if (cum > target) {
            pick = idx[i];
            break;
        }
    }
    *logprob = (float)((double)z[pick] - lse);
    return pick;
}
