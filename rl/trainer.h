/* rl/trainer.h: the trainer's shared state, private to rl/ (trainer.c owns it; sft.c and, with
 * rollout, grpo_step.c use it). One per process; every rank holds identical weights. */
#ifndef RL_TRAINER_H
#define RL_TRAINER_H

#include "config.h"
#include "policy.h"
#include "rl.h"
#include "rollout.h"

typedef struct rl_trainer {
    const rl_config *cfg;
    rl_run run;
    policy_tokenizer *tok;
    policy_chat_template *prompt_tmpl;
    policy_model model;
    policy_adamw opt;
    float *grads; /* model.layout.total floats */
    rl_dataset train, eval, sft;
    rollout_engine *engine, *eval_engine; /* made at first use */
    rl_rewards *rewards;                  /* made at first use */
    policy_model ref;                     /* frozen KL reference (grpo.beta > 0), or empty */
    int have_ref;
    int rank, size;
    /* where the run is: stage index in cfg->pipeline, step within that stage, and the global
     * optimizer step (metrics and checkpoints are keyed by it) */
    int stage;
    long stage_step, step;
    double t_start;
} rl_trainer;

/* Renders a question through the configured template (R1-Zero, chat, plain, custom). */
int rl_trainer_prompt(const rl_trainer *t, const char *question, char **out, rlpt_err *err);

/* Tokenizes prompt + completion into ids/targets of length T (padded with targets -1): the
 * targets are the next ids on completion positions only (SFT's loss mask). Returns the number
 * of ids used, or a negative RLPT_E* when the example does not fit in T. */
int rl_trainer_encode_pair(const rl_trainer *t, const char *prompt, const char *completion,
                           int add_eos, int *ids, int *targets, int T, rlpt_err *err);

/* Sums a float buffer over ranks in place (chunks below INT_MAX elements). */
int rl_allreduce_sum_f(float *buf, size_t n, rlpt_err *err);
int rl_allreduce_sum_d(double *buf, int n, rlpt_err *err);

/* One SFT stage of cfg->sft.steps steps from t->stage_step. */
int rl_sft_stage(rl_trainer *t, rlpt_err *err);

/* One GRPO stage of cfg->grpo.steps steps from t->stage_step, with evaluations before, every
 * eval.every steps and after. */
int rl_grpo_stage(rl_trainer *t, rlpt_err *err);

/* Evaluates on t->eval (greedy or eval.temperature, eval.samples per problem): pass@1 and
 * pass@k; logs a line to eval.jsonl keyed by t->step and prints it on rank 0. */
int rl_evaluate(rl_trainer *t, const char *stage, double *accuracy, rlpt_err *err);

/* The dataset index of the k-th example drawn (a seeded permutation per epoch); perm is a
 * scratch of ds->n ints and *epoch its cached epoch (start with -1). */
int rl_data_index(const rl_dataset *ds, uint64_t seed, long k, int *perm, long *epoch);

/* Rendered, tokenized prompt of a question (caller frees *ids). */
int rl_trainer_prompt_ids(const rl_trainer *t, const char *question, int32_t **ids, int *n,
                          rlpt_err *err);

/* Writes checkpoints/step-<t->step> and moves `latest` (rank 0 writes; all agree). */
int rl_trainer_checkpoint(rl_trainer *t, rlpt_err *err);

/* Wall-clock seconds since an arbitrary origin. */
double rl_now(void);

#endif
