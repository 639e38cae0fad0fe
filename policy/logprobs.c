/* policy/logprobs.c: the LM head fused with log-softmax, giving the log-probability of given
 * target tokens (what GRPO and SFT need) and optionally the entropy, for a block of N rows: the
 * caller passes blocks of at most one sequence so that no more than one (T, V) block of logits
 * exists. The backward recomputes the block's logits rather than keeping them.
 * Reference: torch.log_softmax(x @ W^T)[target] and its gradient dlogp * (onehot - softmax). */
#include "model.h"

#include <cblas.h>
#include <math.h>

#include "vexp.h"

static void logits_of(float *logits, const float *x, const float *w, int N, int C, int V,
                      float scale) {
    /* logits (N, V) = scale * x (N, C) @ W^T (W: (V, C)); scale = 1/temperature */
    policy_sgemm(CblasNoTrans, CblasTrans, N, V, C, scale, x, C, w, C, 0.0f, logits, V);
}

typedef struct lp_task {
    float *logp, *lse, *entropy, *logits;
    const float *dlogp, *lse_in; /* backward */
    const int *targets;
    int V;
} lp_task;

static void forward_rows(void *arg, long n0, long n1) {
    const lp_task *t = arg;
    float *logp = t->logp, *lse = t->lse, *entropy = t->entropy;
    const float *logits = t->logits;
    const int *targets = t->targets;
    int V = t->V;
    for (long n = n0; n < n1; n++) {
        const float *s = logits + (size_t)n * V;
        float mx = policy_max_f32(s, V);
        /* V terms: a long reduction, summed in double, in sixteen lanes (policy_sum_f64's order) */
        double sum_l[16] = {0}, ws_l[16] = {0};
        for (int j0 = 0; j0 < V; j0 += 16) {
            int m = V - j0 < 16 ? V - j0 : 16;
            float e[16];
            for (int l = 0; l < m; l++) e[l] = s[j0 + l] - mx;
            policy_exp16(e, e, m); /* <= 1: float is exact enough */
            for (int l = 0; l < m; l++) {
                sum_l[l] += e[l];
                ws_l[l] += (double)e[l] * s[j0 + l];
            }
        }
        for (int w = 8; w >= 1; w /= 2)
            for (int l = 0; l < w; l++) sum_l[l] += sum_l[l + w], ws_l[l] += ws_l[l + w];
        double sum = sum_l[0], ws = ws_l[0];
        double l = mx + log(sum);
        lse[n] = (float)l;
        logp[n] = targets[n] >= 0 ? (float)(s[targets[n]] - l) : 0.0f;
        /* H = -sum p log p = lse - sum p s */
        if (entropy) entropy[n] = (float)(l - ws / sum);
    }
}

void policy_logprobs_forward(float *logp, float *lse, float *entropy, float *logits, const float *x,
                             const float *w, const int *targets, int N, int C, int V, float scale) {
    logits_of(logits, x, w, N, C, V, scale);
    lp_task t = {logp, lse, entropy, logits, NULL, NULL, targets, V};
    policy_parallel_for(N, 1, forward_rows, &t);
}

/* Rows of logits become d(loss)/d(logits), in place. */
static void backward_rows(void *arg, long n0, long n1) {
    const lp_task *t = arg;
    float *logits = t->logits;
    const float *lse = t->lse_in, *dlogp = t->dlogp;
    const int *targets = t->targets;
    int V = t->V;
    for (long n = n0; n < n1; n++) {
        float *s = logits + (size_t)n * V;
        float g = targets[n] >= 0 ? dlogp[n] : 0.0f;
        /* logp = s[t] - lse: dlogp/ds[j] = [j == t] - softmax(s)[j] */
        for (int j = 0; j < V; j++) s[j] -= lse[n];
        policy_exp_array(s, s, V);
        for (int j = 0; j < V; j++) s[j] *= -g;
        if (targets[n] >= 0) s[targets[n]] += g;
    }
}

void policy_logprobs_backward(float *dx, float *dw, float *logits, const float *dlogp,
                              const float *x, const float *w, const float *lse, const int *targets,
                              int N, int C, int V, float scale) {
    logits_of(logits, x, w, N, C, V, scale);
    lp_task t = {NULL, NULL, NULL, logits, dlogp, lse, targets, V};
    policy_parallel_for(N, 1, backward_rows, &t);
    /* the logits are scale * x W^T, so dx (N, C) += scale * dlogits (N, V) @ W (V, C) and
     * dw (V, C) += scale * dlogits^T (V, N) @ x (N, C) */
    policy_gemm gx = {CblasNoTrans, CblasNoTrans, N, C, V, scale, logits, V, w, C, 1.0f, dx, C};
    policy_gemm gw = {CblasTrans, CblasNoTrans, V, C, N, scale, logits, V, x, C, 1.0f, dw, C};
    policy_sgemm_chains(&gx, 1, &gw, 1);
}
