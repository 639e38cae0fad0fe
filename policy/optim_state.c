/* policy/optim_state.c: AdamW state in and out of a file, so that training resumes exactly:
 * one safetensors file with exp_avg.<param> and exp_avg_sq.<param> (torch's names for the two
 * moments) in fp32 and the step count in __metadata__. Written atomically. Leaves out the
 * hyper-parameters (the experiment config owns them) and RNG state (rl/).
 * Reference: torch.optim.AdamW.state_dict (exp_avg, exp_avg_sq, step). */
#include "model_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rlpt_io.h"

#define N_MOMENTS 2
static const char *const moment_names[N_MOMENTS] = {"exp_avg", "exp_avg_sq"};

static float *moment(const policy_adamw *o, int k) {
    return k == 0 ? o->m : o->v;
}

int policy_adamw_save(const policy_adamw *o, const policy_layout *lay, const char *path,
                      rlpt_err *err) {
    int n = lay->n * N_MOMENTS, rc = 0;
    policy_st_entry *e = calloc((size_t)n, sizeof *e);
    char(*names)[POLICY_NAME_MAX + 16] = calloc((size_t)n, sizeof *names);
    if (!e || !names) {
        rc = rlpt_errf(err, RLPT_ENOMEM, "%s: out of memory", path);
        goto done;
    }
    for (int k = 0; k < N_MOMENTS; k++)
        for (int i = 0; i < lay->n; i++) {
            const policy_tensor_info *t = &lay->t[i];
            int j = k * lay->n + i;
            snprintf(names[j], sizeof names[j], "%s.%s", moment_names[k], t->name);
            e[j] = (policy_st_entry){
                names[j], moment(o, k) + t->offset, t->ndim, {t->shape[0], t->shape[1]}, t->numel};
        }
    char step[32];
    snprintf(step, sizeof step, "%ld", o->t);
    const char *meta[2] = {"step", step};
    rlpt_atomic_file af;
    if ((rc = rlpt_atomic_open(&af, path, err))) goto done;
    if ((rc = policy_st_write(af.f, e, n, POLICY_DTYPE_F32, meta, 1, path, err)))
        rlpt_atomic_abort(&af);
    else
        rc = rlpt_atomic_commit(&af, err);
done:
    free(e);
    free(names);
    return rc;
}

int policy_adamw_load(policy_adamw *o, const policy_layout *lay, const char *path, rlpt_err *err) {
    if (o->n != lay->total)
        return rlpt_errf(err, RLPT_EINTERNAL, "AdamW state of %zu values for %zu parameters", o->n,
                         lay->total);
    policy_st_file f;
    int rc = policy_st_open(&f, path, err);
    if (rc) return rc;
    const char *step = policy_st_meta(&f, "step");
    char *end = NULL;
    errno = 0;
    long t = step ? strtol(step, &end, 10) : -1;
    if (!step || *end || errno || t < 0) {
        rc = rlpt_errf(err, RLPT_EFORMAT, "%s: __metadata__ has no valid \"step\"", path);
        goto done;
    }
    /* check everything before writing anything: a failure leaves o untouched */
    for (int pass = 0; pass < 2 && !rc; pass++)
        for (int k = 0; k < N_MOMENTS && !rc; k++)
            for (int i = 0; i < lay->n && !rc; i++) {
                const policy_tensor_info *ti = &lay->t[i];
                char name[POLICY_NAME_MAX + 16];
                snprintf(name, sizeof name, "%s.%s", moment_names[k], ti->name);
                const policy_st_tensor *st = policy_st_find(&f, name);
                if (!st || st->numel != ti->numel || st->ndim != ti->ndim)
                    rc = rlpt_errf(err, RLPT_EFORMAT,
                                   "%s: tensor '%s' is %s; the optimizer "
                                   "state belongs to another model",
                                   path, name, st ? "of another shape" : "missing");
                else if (pass == 1)
                    policy_st_read_f32(&f, st, moment(o, k) + ti->offset);
            }
    if (!rc) o->t = t;
done:
    policy_st_close(&f);
    return rc;
}
