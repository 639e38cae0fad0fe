/* rl/rl.h: the rl module's public interface: MPI start-up and error agreement, the experiment
 * configuration (rl/config.h), and — with issue #9 — GRPO, SFT, evaluation, rejection sampling
 * and the trainer loop. rl depends on rollout, policy and rewards; nothing depends on rl. */
#ifndef RL_H
#define RL_H

#include <stdint.h>

#include "rlpt/err.h"

/* ---- MPI (rl/mpi.c) -------------------------------------------------------------------------
 * One process-wide MPI context. Every MPI call is checked; its error string goes into the
 * message. Only rank 0 prints. A failure on any rank is agreed at the next rl_mpi_agree(), so
 * every rank leaves with the same code and none waits forever in a collective. */
typedef struct rl_mpi {
    int initialized;            /* 1 after rl_mpi_init */
    int rank, size;             /* in MPI_COMM_WORLD */
    int local_rank, local_size; /* among the ranks on this node (shared memory) */
    int cores;                  /* online CPU cores of this node */
} rl_mpi;

/* MPI_Init (once; later calls return the same context), rank/size, the node-local rank count,
 * MPI_ERRORS_RETURN on MPI_COMM_WORLD. */
int rl_mpi_init(int *argc, char ***argv, rlpt_err *err);
const rl_mpi *rl_mpi_get(void);

/* Collective: every rank passes its own status rc (0 or a negative RLPT_E*) and err. Returns 0
 * on every rank when all passed 0. Otherwise returns, on every rank, the code of the lowest
 * failing rank; on rank 0 err then holds every failing rank's message ("rank 1: ..."), the
 * ranks that did not fail get "rank N: ..." too, so each can exit non-zero. Without MPI
 * initialised it returns rc unchanged. */
int rl_mpi_agree(int rc, rlpt_err *err);

/* 1 when this process should print (rank 0, or MPI not initialised). */
int rl_mpi_should_print(void);

/* Sets the BLAS thread count from the config value (0 = auto: cores per node / ranks per
 * node) and returns it. */
int rl_mpi_setup_blas(int blas_threads);

/* MPI_Finalize when initialised (returns its checked status); a no-op returning 0 otherwise. */
int rl_mpi_finalize(rlpt_err *err);

/* Turns an MPI return code into an RLPT_EMPI error naming the call (MPI_Error_string). */
int rl_mpi_check(int mpi_rc, const char *call, rlpt_err *err);

#endif

/* ---- GRPO maths (rl/grpo.c) -----------------------------------------------------------------
 * Conventions (one per knob; README.md, "GRPO conventions", explains each choice):
 *   std: unbiased (N-1); advantage eps added to the std; the advantage of a sequence is
 *   broadcast to all its completion tokens; log-ratios are clamped to [-20, 20] (verl) and a
 *   clamped token passes no gradient; k3 = exp(x) - x - 1 with x = ref - new clamped the same
 *   way (no clamp of the result). Aggregation weights w (loss = sum of w * per-token loss):
 *     RL_AGG_SEQ_MEAN_TOKEN_MEAN  w = 1 / (N_seq * |o_i|)          (GRPO paper)
 *     RL_AGG_TOKEN_MEAN           w = 1 / N_tok                      (DAPO; TRL "dapo")
 *     RL_AGG_SEQ_MEAN_TOKEN_SUM   w = 1 / (N_seq * L_const)          (Dr. GRPO; TRL "dr_grpo")
 *   where N_seq and N_tok count the unmasked sequences / tokens of the optimizer step on ALL
 *   ranks (the caller allreduces them), so the gradient does not depend on how the batch is
 *   split. Masked sequences (overlong filtering) count in neither. */

typedef struct rl_adv_stats {
    int zero_std_groups;            /* groups whose rewards are all equal (no signal) */
    double reward_mean, reward_std; /* over the batch (std unbiased) */
} rl_adv_stats;

/* rewards, adv: n_groups * G values, group-major (the G samples of a prompt are adjacent).
 * mode: RL_ADV_GRPO (r - mean) / (std + eps); RL_ADV_DR_GRPO r - mean; RL_ADV_BATCH_STD
 * (r - group mean) / (batch std + eps). G >= 2. */
void rl_grpo_advantages(double *adv, rl_adv_stats *st, const double *rewards, int n_groups, int G,
                        int mode, double eps);

typedef struct rl_grpo_opts {
    double clip_low, clip_high; /* ratio kept in [1 - clip_low, 1 + clip_high] */
    double dual_clip;           /* c > 1: per-token loss of A < 0 capped at -A * c; 0 = off */
    double beta;                /* KL coefficient in the loss (0 = no KL term) */
    int kl_estimator;           /* RL_KL_K1 or RL_KL_K3 */
    double entropy_coef;        /* loss -= entropy_coef * aggregated entropy */
    int agg;                    /* RL_AGG_* */
    double agg_tokens;          /* L_const of RL_AGG_SEQ_MEAN_TOKEN_SUM */
    double n_seq, n_tok;        /* step-wide counts (all ranks) of unmasked sequences / tokens */
} rl_grpo_opts;

/* One completion's tokens as the update sees them. */
typedef struct rl_grpo_seq {
    int T;                 /* completion tokens */
    const float *logp;     /* (T) log-probs under the current policy */
    const float *logp_old; /* (T) behaviour log-probs recorded at rollout */
    const float *logp_ref; /* (T) reference log-probs; NULL when beta == 0 */
    const float *entropy;  /* (T) policy entropy per token; NULL when entropy_coef == 0 */
    double adv;            /* the sequence's advantage */
    int masked;            /* 1: excluded from the loss (overlong filtering) */
} rl_grpo_seq;

/* Sums over tokens, for metrics; divide by tokens for means. */
typedef struct rl_grpo_stats {
    double loss;   /* this call's share of the step loss (sum of w * l) */
    double tokens; /* unmasked tokens seen */
    double clipped_low, clipped_high, dual_clipped; /* tokens whose gradient a clip removed */
    double kl, entropy, ratio; /* sums of per-token k-estimate, entropy, ratio */
} rl_grpo_stats;

/* For each sequence s and token t: the per-token loss
 *   l = max(-A r, -A clip(r, 1-clip_low, 1+clip_high))   [dual clip: min(l, -A c) for A < 0]
 *       + beta * kl(new, ref) - entropy_coef * H,
 * weighted as above. Writes dlogp[s][t] = d loss / d logp and, when entropy is given,
 * dent[s][t] = d loss / d H (both may be NULL to only compute the loss). Adds to *st. */
void rl_grpo_loss(const rl_grpo_seq *seqs, int n, const rl_grpo_opts *o, float *const *dlogp,
                  float *const *dent, rl_grpo_stats *st);

/* KL in the reward (verl's use_kl_in_reward): r_i -= beta * sum_t kl(old, ref) over the
 * sequence's tokens, with the behaviour log-probs. */
double rl_grpo_kl_penalty(const float *logp_old, const float *logp_ref, int T, int estimator);

/* ---- evaluation (rl/eval.c) -------------------------------------------------------------- */

/* Unbiased pass@k of Chen et al. (2021) for c correct of n samples: 1 - C(n-c, k) / C(n, k),
 * computed as a product (no large binomials); NaN unless 0 < k <= n and 0 <= c <= n. */
double rl_pass_at_k(int n, int c, int k);

/* Majority vote over answers[0..n) (NULL: no answer, no vote) with `same` as the equivalence:
 * the index of the first answer of the most frequent class, ties to the class seen first;
 * -1 when no sample has an answer, -2 out of memory. */
int rl_majority(char *const *answers, int n, int (*same)(void *ctx, const char *a, const char *b),
                void *ctx);

/* ---- datasets (rl/dataset.c, rl/synthetic.c) ------------------------------------------------
 * A dataset is a list of examples: the prompt (the question; the template is applied later),
 * the reference answer, the whole record as JSON (what reward functions read: "answer",
 * HumanEval/MBPP test fields), and, for SFT data, the target completion. */

typedef struct rl_example {
    char *prompt;
    char *answer;      /* "" when the format has none */
    char *fields_json; /* the record as a JSON object text, with "answer" */
    char *target;      /* SFT completion, or NULL */
    int line;          /* 1-based line in the file (0 for synthetic) */
} rl_example;

typedef struct rl_dataset {
    rl_example *v;
    int n;
} rl_dataset;

/* Reads a JSONL file in `format` (RL_DATA_*): jsonl (prompt_key, answer_key), gsm8k
 * (question, answer with its "#### N" line), math (problem, answer or else solution), humaneval
 * (prompt, test, entry_point), mbpp (text or prompt, test_list). Each bad line is an error
 * naming FILE:LINE and the key; the file must hold at least one example. With `sft` set,
 * records are {prompt_key, "completion"} traces for supervised fine-tuning. */
int rl_dataset_load(rl_dataset *ds, const char *path, int format, const char *prompt_key,
                    const char *answer_key, int sft, rlpt_err *err);

/* The synthetic task: n problems of `task` (RL_TASK_*) with `digits`-digit operands, each with
 * a worked <think> trace and an <answer> as its target. split 0 draws training problems, 1
 * held-out ones; the two never share a problem (a problem is held out when a hash of its
 * operands says so, whatever the seed). Deterministic in seed. Errors when the held-out pool
 * is smaller than n (few digits). */
int rl_dataset_synthetic(rl_dataset *ds, int task, int digits, int n, int split, uint64_t seed,
                         rlpt_err *err);

void rl_dataset_free(rl_dataset *ds); /* NULL and zeroed are fine */

/* ---- the run directory (rl/run.c) -----------------------------------------------------------
 * runs/<name>/: config.yaml (the effective config), metrics.jsonl, eval.jsonl, samples.jsonl,
 * checkpoints/step-N/, and `latest` (a symlink to the last complete checkpoint, replaced
 * atomically). Only rank 0 writes; every function is a no-op on other ranks. JSONL files are
 * appended one whole line at a time and flushed, so a crash loses at most the line being
 * written; on resume, lines beyond the checkpoint's step are dropped (they will be written
 * again, identically). */
typedef struct rl_run {
    char dir[4096];
    int writer;                      /* 1 on rank 0 */
    void *metrics, *evals, *samples; /* FILE * */
} rl_run;

struct rl_config;

/* Creates (or, with resume, reopens) the run directory of cfg and writes config.yaml. A new run
 * refuses a directory that already holds checkpoints (name the run, or --resume it). With
 * resume, resume_step is the checkpoint's next step: log lines of that step on are dropped. */
int rl_run_open(rl_run *run, const struct rl_config *cfg, int resume, long resume_step,
                rlpt_err *err);
void rl_run_close(rl_run *run);

/* Appends one JSON object line (text without the newline) to metrics/eval/samples. */
enum { RL_LOG_METRICS, RL_LOG_EVAL, RL_LOG_SAMPLES };
int rl_run_log(rl_run *run, int which, const char *json_line, rlpt_err *err);

/* Path of checkpoints/step-<step> in buf. */
void rl_run_checkpoint_dir(const rl_run *run, long step, char *buf, size_t n);
/* Points `latest` at checkpoints/step-<step> atomically (symlink to a temporary name, rename),
 * then deletes the oldest checkpoints beyond keep. */
int rl_run_set_latest(rl_run *run, long step, int keep, rlpt_err *err);
/* The step `latest` points at in dir, or -1 when there is none. */
long rl_run_latest_step(const char *dir);

/* ---- the trainer (rl/trainer.c) -------------------------------------------------------------
 * Runs cfg->pipeline on every rank; with resume_dir, continues from its `latest` checkpoint. */
int rl_train(const struct rl_config *cfg, const char *resume_dir, rlpt_err *err);

/* ---- plots (rl/plot.c) ----------------------------------------------------------------------
 * Draws a run's curves (reward, accuracy with the evaluations, response length, KL, entropy,
 * SFT loss) from RUN_DIR/metrics.jsonl and eval.jsonl into one PNG with gnuplot (Debian's
 * gnuplot-nox, run directly, no shell). out NULL: RUN_DIR/curves.png. */
int rl_plot(const char *run_dir, const char *out, rlpt_err *err);

/* ---- rewards of a run (rl/reward_exec.c) ----------------------------------------------------
 * The configured reward functions (built-ins and plugins) with their weights, and the rule that
 * rewards never stall a step: each sample has a deadline (rewards[].timeout_s). A function
 * with `isolate: true` runs in a worker process: a sample past its deadline, or one that crashes
 * the worker, is killed with the worker, scores timeout_score, is counted, and a new worker is
 * started for the next sample. A function run in-process cannot be pre-empted: a sample that
 * took longer than its deadline still scores timeout_score and is counted (built-ins bound
 * their own work, so this is a safety net, not the mechanism). */
struct reward_sample;
typedef struct rl_rewards rl_rewards;

int rl_rewards_init(rl_rewards **out, const struct rl_config *cfg, rlpt_err *err);
int rl_rewards_count(const rl_rewards *r); /* functions */
const char *rl_rewards_name(const rl_rewards *r, int i);
/* total[n] weighted sums; per_fn (may be NULL) [count][n] unweighted values; timeouts (may be
 * NULL) [count] samples that timed out or crashed in this call, per function. */
int rl_rewards_score(rl_rewards *r, const struct reward_sample *samples, int n, double *total,
                     double *per_fn, int *timeouts, rlpt_err *err);
void rl_rewards_free(rl_rewards *r); /* NULL is a no-op; stops the workers */
