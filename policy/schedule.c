/* policy/schedule.c: learning-rate schedules: constant, linear warm-up then constant, and
 * linear warm-up then cosine decay to lr_min. Leaves out restarts and step decay.
 * Reference: transformers get_cosine_schedule_with_warmup (half a cosine period). */
#include "model.h"

#include <math.h>

float policy_lr_at(const policy_lr_schedule *s, long step) {
    if (s->kind == POLICY_LR_CONSTANT) return s->lr_max;
    if (step < s->warmup_steps) return s->lr_max * (float)(step + 1) / (float)s->warmup_steps;
    if (s->kind == POLICY_LR_LINEAR_WARMUP) return s->lr_max;
    long span = s->total_steps - s->warmup_steps;
    double progress = span > 0 ? (double)(step - s->warmup_steps) / (double)span : 1.0;
    if (progress > 1.0) progress = 1.0;
    return (float)(s->lr_min +
                   (s->lr_max - s->lr_min) * 0.5 * (1.0 + cos(3.14159265358979323846 * progress)));
}
