/* policy/adamw.c: AdamW over the single parameter buffer, and global-norm gradient clipping.
 * Leaves out the learning-rate schedule (schedule.c) and the allreduce (rl/).
 * Reference: torch.optim.AdamW (decoupled weight decay, bias correction) and
 * torch.nn.utils.clip_grad_norm_; Loshchilov & Hutter, "Decoupled Weight Decay Regularization". */
#include "model.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "vexp.h"

int policy_adamw_init(policy_adamw *o, size_t n, rlpt_err *err) {
    memset(o, 0, sizeof *o);
    o->beta1 = 0.9f, o->beta2 = 0.999f, o->eps = 1e-8f, o->weight_decay = 0.01f;
    o->m = calloc(n, sizeof(float));
    o->v = calloc(n, sizeof(float));
    o->n = n;
    if (!o->m || !o->v) {
        policy_adamw_free(o);
        return rlpt_errf(err, RLPT_ENOMEM, "out of memory for AdamW moments (%zu bytes)",
                         2 * n * sizeof(float));
    }
    return 0;
}

void policy_adamw_free(policy_adamw *o) {
    if (!o) return;
    free(o->m);
    free(o->v);
    memset(o, 0, sizeof *o);
}

typedef struct adamw_task {
    const policy_adamw *o;
    const policy_layout *lay;
    float *params;
    const float *grads;
    float lr, step, bc2_sqrt, grad_scale;
} adamw_task;

/* Elements [i0, i1) of the buffer, tensor by tensor (each has its own weight decay). */
static void adamw_part(void *arg, long i0, long i1) {
    const adamw_task *a = arg;
    const policy_adamw *o = a->o;
    float b1 = o->beta1, b2 = o->beta2, step = a->step, bc2_sqrt = a->bc2_sqrt, gs = a->grad_scale;
    float eps = o->eps;
    for (int k = 0; k < a->lay->n; k++) {
        const policy_tensor_info *t = &a->lay->t[k];
        size_t lo, hi;
        if (!policy_tensor_part(t, i0, i1, &lo, &hi)) continue;
        float decay = t->ndim == 2 ? 1.0f - a->lr * o->weight_decay : 1.0f;
        /* restrict, and eps in a local: the loop vectorises (it did not when a store to p, m
         * or v might have changed o->eps); sqrt and division are exact per lane, same bits */
        float *restrict p = a->params + lo, *restrict m = o->m + lo, *restrict v = o->v + lo;
        const float *restrict g = a->grads + lo;
        for (size_t i = 0; i < hi - lo; i++) {
            /* torch: p *= 1 - lr*wd; m, v updated; p -= lr/bc1 * m / (sqrt(v)/sqrt(bc2) + eps) */
            /* gs: the clipping's scale, the float product clip_grad_norm_ leaves in the grads
             * (1.0f, exact, when there is no clipping) */
            float gi = g[i] * gs;
            p[i] *= decay;
            m[i] = b1 * m[i] + (1.0f - b1) * gi;
            v[i] = b2 * v[i] + (1.0f - b2) * gi * gi;
            p[i] -= step * m[i] / (sqrtf(v[i]) / bc2_sqrt + eps);
        }
    }
}

void policy_adamw_step_scaled(policy_adamw *o, const policy_layout *lay, float *params,
                              const float *grads, float lr, float grad_scale) {
    o->t++;
    /* bias corrections in double, as torch computes them from Python floats */
    double bc1 = 1.0 - pow(o->beta1, (double)o->t), bc2 = 1.0 - pow(o->beta2, (double)o->t);
    adamw_task a = {o, lay, params, grads, lr, (float)(lr / bc1), (float)sqrt(bc2), grad_scale};
    policy_parallel_for((long)lay->total, 1L << 16, adamw_part, &a);
}

void policy_adamw_step(policy_adamw *o, const policy_layout *lay, float *params, const float *grads,
                       float lr) {
    policy_adamw_step_scaled(o, lay, params, grads, lr, 1.0f);
}

/* The sum of squares goes over CLIP_SLICES fixed slices of the buffer, each in sixteen double
 * lanes, and then the slices' sums in order: the same bits whatever the threads. */
#define CLIP_SLICES 64

typedef struct clip_task {
    const float *g; /* read by sumsq_slices */
    float *out;     /* scaled by scale_part */
    size_t n;
    double *part;
    float k;
} clip_task;

static void sumsq_slices(void *arg, long s0, long s1) {
    const clip_task *t = arg;
    for (long s = s0; s < s1; s++) {
        size_t lo = t->n * (size_t)s / CLIP_SLICES, hi = t->n * (size_t)(s + 1) / CLIP_SLICES;
        t->part[s] = policy_dot_f64(t->g + lo, t->g + lo, (long)(hi - lo));
    }
}

static void scale_part(void *arg, long i0, long i1) {
    const clip_task *t = arg;
    for (long i = i0; i < i1; i++) t->out[i] *= t->k;
}

double policy_grad_norm(const float *grads, size_t n) {
    double part[CLIP_SLICES];
    clip_task t = {grads, NULL, n, part, 1.0f};
    policy_parallel_for(CLIP_SLICES, 1, sumsq_slices, &t);
    double ss = 0.0;
    for (int s = 0; s < CLIP_SLICES; s++) ss += part[s];
    return sqrt(ss);
}

float policy_clip_coef(double norm, float max_norm) {
    return max_norm > 0.0f && norm > max_norm ? (float)(max_norm / (norm + 1e-6)) : 1.0f;
}

double policy_grad_clip(float *grads, size_t n, float max_norm) {
    double norm = policy_grad_norm(grads, n);
    clip_task t = {grads, grads, n, NULL, policy_clip_coef(norm, max_norm)};
    if (t.k != 1.0f) policy_parallel_for((long)n, 1L << 16, scale_part, &t);
    return norm;
}
