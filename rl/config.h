/* rl/config.h: the experiment configuration: every option of a YAML experiment file as a typed
 * field, filled from a table of rows (key, type, bounds, default, doc) in rl/config_schema.c.
 *
 * Loading composes files (`defaults: base.yaml`, or a list, relative to the including file;
 * cycles refused), applies `--set key=value` overrides with the same checks, rejects unknown
 * keys with a did-you-mean, and reports EVERY error found as
 *   FILE:LINE:COL: key 'rollout.temperature': expected a number in (0, 10], got 'hot'
 * Nothing is clamped. The effective config (rl_config_write_yaml) is what a run records, and
 * loading it again gives the same config. Paths in a config are relative to the working
 * directory, except `defaults:`, which is relative to the file that names it. */
#ifndef RL_CONFIG_H
#define RL_CONFIG_H

#include <stdint.h>
#include <stdio.h>

#include "rlpt/err.h"

typedef struct rl_strlist {
    char **v;
    int n;
} rl_strlist;

/* One entry of `rewards:`: a built-in function or a plugin, its weight and its arguments. */
typedef struct rl_reward_cfg {
    char *fn;     /* built-in name (math, gsm8k, format, ...) or the plugin's name */
    char *plugin; /* path of a shared object, or "" for a built-in */
    double weight;
    char *args_json;      /* `args:` as a JSON object text ("{}" when absent) */
    double timeout_s;     /* per-sample deadline */
    double timeout_score; /* reward given to a sample whose scoring timed out */
    int isolate;          /* run in a worker process so a hang or crash is contained */
} rl_reward_cfg;

typedef struct rl_reward_list {
    rl_reward_cfg *v;
    int n;
} rl_reward_list;

/* Enumerations: the order matches the names in rl/config_schema.c. */
enum { RL_PROGRESS_AUTO, RL_PROGRESS_ALWAYS, RL_PROGRESS_NEVER };
enum { RL_ARCH_NONE, RL_ARCH_LLAMA, RL_ARCH_QWEN2 };
enum { RL_DTYPE_FP32, RL_DTYPE_BF16 };
enum { RL_OLD_LOGPROBS_RECOMPUTE, RL_OLD_LOGPROBS_ROLLOUT };
enum { RL_TEMPLATE_R1_ZERO, RL_TEMPLATE_CHAT, RL_TEMPLATE_PLAIN, RL_TEMPLATE_CUSTOM };
enum {
    RL_DATA_JSONL,
    RL_DATA_GSM8K,
    RL_DATA_MATH,
    RL_DATA_HUMANEVAL,
    RL_DATA_MBPP,
    RL_DATA_SYNTHETIC
};
enum { RL_TASK_ADDITION, RL_TASK_MULTIPLICATION };
enum { RL_ADV_GRPO, RL_ADV_DR_GRPO, RL_ADV_BATCH_STD };
enum { RL_AGG_SEQ_MEAN_TOKEN_MEAN, RL_AGG_TOKEN_MEAN, RL_AGG_SEQ_MEAN_TOKEN_SUM };
enum { RL_KL_K1, RL_KL_K3 };
enum { RL_KL_IN_LOSS, RL_KL_IN_REWARD };
enum { RL_SCHED_CONSTANT, RL_SCHED_LINEAR, RL_SCHED_COSINE };
enum { RL_SANDBOX_NAMESPACES, RL_SANDBOX_NONE };
enum { RL_CODE_REWARD_FRACTION, RL_CODE_REWARD_ALL };

typedef struct rl_config {
    char *source; /* the top file as given, or "" */
    struct {
        char *name; /* run directory name; "" = a timestamp */
        char *dir;
        int64_t seed;
        int log_every, samples_every, checkpoint_every, keep_checkpoints, progress;
    } run;
    struct {
        int blas_threads;        /* 0 = cores per node / ranks per node */
        double memory_limit_gib; /* 0 = MemAvailable / ranks per node */
        int deterministic_ranks; /* gradient tree leaves (rl/grad_tree.c); 1 = off */
    } system;
    struct {
        char *path;           /* a Hugging Face model directory */
        char *reference_path; /* frozen KL reference; "" = the initial policy */
        int dtype_save, recompute;
        struct {
            int arch, hidden, layers, heads, kv_heads, head_dim, ffn, max_positions, vocab;
            int tie_embeddings;
            double rope_theta, rms_norm_eps;
            int64_t seed;
        } init;
    } model;
    struct {
        char *path; /* "" = model.path */
        int template_;
        char *user_template; /* with {question} */
        char *system_prompt;
    } tokenizer;
    struct {
        int format;
        int eval_format; /* 0: as format; else 1 + an RL_DATA_* (never synthetic) */
        char *train, *eval;
        char *prompt_key, *answer_key;
        int shuffle, max_prompt_tokens;
        struct {
            int task, digits, train_size, eval_size;
        } synthetic;
    } data;
    struct {
        double temperature, top_p, min_p, repetition_penalty, presence_penalty;
        int top_k, max_new_tokens, batch_size;
        rl_strlist stop;
    } rollout;
    rl_reward_list rewards;
    struct {
        int steps, prompts_per_step, group_size, mu, minibatches;
        int advantage, loss_agg, loss_agg_tokens;
        double adv_eps, clip_low, clip_high, dual_clip, beta, entropy_coef;
        int kl_estimator, kl_in;
        int dynamic_sampling, max_resample_rounds, overlong_filter;
        int old_logprobs; /* RL_OLD_LOGPROBS_* */
    } grpo;
    struct {
        double lr, lr_min, weight_decay, beta1, beta2, eps, grad_clip;
        int schedule, warmup_steps;
    } optim;
    struct {
        int steps, batch_size;
        double lr;
        char *data; /* JSONL traces {prompt, completion}; "" = the synthetic task's traces */
    } sft;
    struct {
        int every, samples, max_examples;
        double temperature;
    } eval;
    struct {
        int prompts, samples;
        double min_reward;
        int max_per_prompt;
        char *out;
    } rejection;
    struct {
        int mode, workers, memory_mib, output_kib, processes, files, disk_mib, reward;
        double cpu_seconds, wall_seconds;
    } sandbox;
    rl_strlist pipeline; /* stage names in order: sft, grpo, eval, rejection */
} rl_config;

/* Loads path (NULL: defaults only) and applies the n_sets "key=value" overrides in order. On
 * success *cfg owns its strings (rl_config_free). On failure *cfg is zeroed and err holds
 * every error found, one per line. */
int rl_config_load(rl_config *cfg, const char *path, const char *const *sets, int n_sets,
                   rlpt_err *err);

/* The same from an in-memory document named `name` in messages (`defaults:` is resolved
 * relative to the working directory). Used by the fuzzer and tests. */
int rl_config_load_string(rl_config *cfg, const char *name, const char *text, size_t len,
                          const char *const *sets, int n_sets, rlpt_err *err);

void rl_config_free(rl_config *cfg); /* NULL is a no-op */

/* Writes the effective config as YAML, every key, in schema order. Loading it again gives an
 * equal config. Returns 0 or RLPT_EIO. */
int rl_config_write_yaml(const rl_config *cfg, FILE *f);

/* Prints the reference of every option: key, type and bounds, default, doc. */
void rl_config_print_doc(FILE *f);

/* The names of an enumerated option's values ("grpo|dr_grpo|batch_std"), for messages. */
const char *rl_config_enum_name(const char *key, int value);
/* 1 when the pipeline holds the stage (sft, grpo, eval, rejection). */
int rl_config_has_stage(const rl_config *cfg, const char *stage);
/* How many earlier entries of the pipeline name the same stage as entry `stage` (0 for the first
 * grpo, 1 for a second grpo, ...). */
int rl_config_stage_ordinal(const rl_config *cfg, int stage);

#endif
