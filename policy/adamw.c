/* policy/adamw.c: AdamW over the single parameter buffer, and global-norm gradient clipping.
 * Leaves out the learning-rate schedule (schedule.c) and the allreduce (rl/).
 * Reference: torch.optim.AdamW (decoupled weight decay, bias correction) and
 * torch.nn.utils.clip_grad_norm_; Loshchilov & Hutter, "Decoupled Weight Decay Regularization". */
#include "model.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

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
    float lr, step, bc2_sqrt;
} adamw_task;

/* Elements [i0, i1) of the buffer, tensor by tensor (each has its own weight decay). */
static void adamw_part(void *arg, long i0, long i1) {
    const adamw_task *a = arg;
    const policy_adamw *o = a->o;
    float b1 = o->beta1, b2 = o->beta2, step = a->step, bc2_sqrt = a->bc2_sqrt;
    for (int k = 0; k < a->lay->n; k++) {
        const policy_tensor_info *t = &a->lay->t[k];
        size_t lo = t->offset > (size_t)i0 ? t->offset : (size_t)i0;
        size_t hi = t->offset + t->numel < (size_t)i1 ? t->offset + t->numel : (size_t)i1;
        if (lo >= hi) continue;
        float decay = t->ndim == 2 ? 1.0f - a->lr * o->weight_decay : 1.0f;
        float *p = a->params + lo, *m = o->m + lo, *v = o->v + lo;
        const float *g = a->grads + lo;
        for (size_t i = 0; i < hi - lo; i++) {
            /* torch: p *= 1 - lr*wd; m, v updated; p -= lr/bc1 * m / (sqrt(v)/sqrt(bc2) + eps) */
            p[i] *= decay;
            m[i] = b1 * m[i] + (1.0f - b1) * g[i];
            v[i] = b2 * v[i] + (1.0f - b2) * g[i] * g[i];
            p[i] -= step * m[i] / (sqrtf(v[i]) / bc2_sqrt + o->eps);
        }
    }
}

void policy_adamw_step(policy_adamw *o, const policy_layout *lay, float *params, const float *grads,
                       float lr) {
    o->t++;
    /* bias corrections in double, as torch computes them from Python floats */
    double bc1 = 1.0 - pow(o->beta1, (double)o->t), bc2 = 1.0 - pow(o->beta2, (double)o->t);
    adamw_task a = {o, lay, params, grads, lr, (float)(lr / bc1), (float)sqrt(bc2)};
    policy_parallel_for((long)lay->total, 1L << 16, adamw_part, &a);
}

double policy_grad_clip(float *grads, size_t n, float max_norm) {
    double ss = 0.0;
    for (size_t i = 0; i < n; i++) ss += (double)grads[i] * grads[i];
    double norm = sqrt(ss);
    if (max_norm > 0.0f && norm > max_norm) {
        float k = (float)(max_norm / (norm + 1e-6));
        for (size_t i = 0; i < n; i++) grads[i] *= k;
    }
    return norm;
}
