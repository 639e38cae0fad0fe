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
    rollout_engine *engine, *eval_engine, *rej_engine; /* made at first use */
    rl_rewards *rewards;                               /* made at first use */
    policy_model ref; /* frozen KL reference (grpo.beta > 0), or empty */
    int have_ref;
    int rank, size;
    /* where the run is: stage index in cfg->pipeline, step within that stage, and the global
     * optimizer step (metrics and checkpoints are keyed by it) */
    int stage;
    long stage_step, step;
    int n_leaves;     /* gradient tree leaves (rl/grad_tree.c), 0: MPI's allreduce */
    float **tree_tmp; /* its buffers */
    int n_tree_tmp;
    long data_pos; /* GRPO: prompts drawn in this stage (more than steps x P with dynamic
                      sampling); -1 when unknown */
    double t_start;
} rl_trainer;

/* Renders a question through the configured template (R1-Zero, chat, plain, custom). */
int rl_trainer_prompt(const rl_trainer *t, const char *question, char **out, rlpt_err *err);

/* Tokenizes prompt + completion into ids/targets of length T (padded with targets -1): the
 * targets are the next ids on completion positions only (SFT's loss mask). Returns the number
 * of ids used, or a negative RLPT_E* when the example does not fit in T; with cut (not NULL)
 * a completion that does not fit is cut at T instead (*cut = 1; TRL's max_length), and only a
 * prompt that fills T is refused. */
int rl_trainer_encode_pair(const rl_trainer *t, const char *prompt, const char *completion,
                           int add_eos, int *ids, int *targets, int T, int *cut, rlpt_err *err);

/* Sums a float buffer over ranks in place (chunks below INT_MAX elements). */
int rl_allreduce_sum_f(float *buf, size_t n, rlpt_err *err);
int rl_allreduce_sum_d(double *buf, int n, rlpt_err *err);

/* One SFT stage of cfg->sft.steps steps from t->stage_step. */
int rl_sft_stage(rl_trainer *t, rlpt_err *err);

/* One GRPO stage of cfg->grpo.steps steps from t->stage_step, with evaluations before, every
 * eval.every steps and after. */
int rl_grpo_stage(rl_trainer *t, rlpt_err *err);

/* Samples rejection.samples completions for rejection.prompts training prompts, keeps those
 * whose total reward is at least rejection.min_reward (at most max_per_prompt each), writes
 * them as SFT traces and makes them the data of later sft stages (t->sft). */
int rl_rejection_stage(rl_trainer *t, rlpt_err *err);

/* The samples of some prompts that this rank owns, scored (rl/grpo_step.c). */
typedef struct rl_step_data {
    int P, G, own;                 /* prompts, group size, own prompts */
    int *own_prompt;               /* [own] prompt index */
    int32_t **prompt_ids;          /* [P] */
    int *prompt_n;                 /* [P] */
    int *example;                  /* [P] dataset index, set by the caller (malloc'd) */
    int *round_index;              /* [P] index in its sampling round (owner: that % ranks) */
    rollout_sample *samples;       /* [P * G]; own ones filled (all of them on rank 0) */
    double *reward, *per_fn, *adv; /* [own * G], [n_fn][fn_stride], [own * G] */
    int fn_stride;                 /* >= own * G */
    int *timeouts;                 /* [n_fn] */
} rl_step_data;

int rl_rollout_and_score(rl_trainer *t, rollout_engine *e, const rl_dataset *ds, int P, int G,
                         rl_step_data *d, uint64_t step_key, double *t_roll, double *t_rew,
                         rlpt_err *err);
void rl_step_data_free(rl_step_data *d);
/* A rollout engine with the run's sampling settings (temperature: eval.temperature for
 * evaluations), n samples per prompt. */
int rl_make_engine(rl_trainer *t, rollout_engine **e, int for_eval, int n, rlpt_err *err);
/* The settings of such an engine for a model of config mc. */
void rl_engine_config(const rl_config *cfg, const policy_config *mc, int for_eval, int n,
                      rollout_config *rc);

/* 1 when sample k (own order) got the full value of the first reward function (rl/eval.c). */
int rl_sample_correct(const rl_step_data *d, int k);

/* Evaluates on t->eval (greedy or eval.temperature, eval.samples per problem): pass@1, the
 * unbiased pass@k and maj@k (rl/eval.c); logs a line to eval.jsonl keyed by t->step and prints it
 * on rank 0. */
int rl_evaluate(rl_trainer *t, const char *stage, double *accuracy, rlpt_err *err);

/* The dataset index of the k-th example drawn: with shuffle (data.shuffle), a seeded permutation
 * per epoch, perm being a scratch of ds->n ints and *epoch its cached epoch (start with -1);
 * without, the file's order, epoch after epoch. */
int rl_data_index(const rl_dataset *ds, int shuffle, uint64_t seed, long k, int *perm, long *epoch);
/* The seed of the data order of the stage t is in: run.seed ^ salt for the first stage of its
 * kind, a different one for each later stage of the same kind, so that a pipeline's second grpo
 * stage does not draw the first one's prompts in the first one's order. */
uint64_t rl_data_seed(const rl_trainer *t, uint64_t salt);

/* Rendered, tokenized prompt of a question (caller frees *ids). */
int rl_trainer_prompt_ids(const rl_trainer *t, const char *question, int32_t **ids, int *n,
                          rlpt_err *err);

/* Writes checkpoints/step-<t->step> and moves `latest` (rank 0 writes; all agree). */
int rl_trainer_checkpoint(rl_trainer *t, rlpt_err *err);

/* ---- gradients summed in a fixed tree (rl/grad_tree.c) ---- */

/* Computes leaf `leaf`'s gradient into grad (overwriting it), or leaf -1: every leaf this rank
 * holds at once; *present = 0 when the leaf is empty (grad then unread). */
typedef int (*rl_leaf_fn)(void *ctx, int leaf, float *grad, int *present, rlpt_err *err);
/* 1 when size ranks can share n_leaves leaves in the tree: both powers of two, size <= leaves. */
int rl_tree_usable(int n_leaves, int size);
/* Gradient buffers of n floats rl_tree_allreduce needs on each rank. */
int rl_tree_buffers(int n_leaves, int size);
/* The sum over leaves 0..n_leaves-1 (leaf l computed by rank l % size) in out on every rank,
 * the same bits for every usable size; tmp holds rl_tree_buffers(n_leaves, size) buffers;
 * *t_comm (may be NULL) += the time spent in communication. */
int rl_tree_allreduce(rl_leaf_fn fn, void *ctx, int n_leaves, int rank, int size, float *out,
                      size_t n, float **tmp, double *t_comm, rlpt_err *err);

/* The step's gradient in t->grads on every rank: fn's leaves summed in the tree when
 * t->n_leaves, else fn(-1) on each rank and MPI's allreduce. */
int rl_update_grads(rl_trainer *t, rl_leaf_fn fn, void *ctx, double *t_comm, rlpt_err *err);

/* Wall-clock seconds since an arbitrary origin. */
double rl_now(void);

#endif
