/* rl/config_schema.c: every option of an experiment file, one row each: key, type, bounds,
 * default and doc. `rlpt check-config --doc` prints this table; rl/config.c applies it.
 * Defaults follow the peers where a convention exists (see the GRPO notes in README.md): clip 0.2,
 * adv eps 1e-6 (verl), beta 0, grad clip 1.0, lr 1e-6; a config for a tiny model sets its own. */
#include <float.h>
#include <limits.h>
#include <stddef.h>

#include "config.h"
#include "internal.h"

#define OFF(field) offsetof(rl_config, field)
#define IMAX       ((double)INT_MAX)
#define I64MAX     9007199254740992.0 /* 2^53: exact in the double the bounds are kept in */

/* Row constructors, so each row reads as a sentence. */
#define BOOL(k, f, d, doc)                                                                         \
    { k, CT_BOOL, OFF(f), 0, 1, 0, NULL, d, doc, NULL }
#define INT(k, f, lo, hi, d, doc)                                                                  \
    { k, CT_INT, OFF(f), lo, hi, 0, NULL, d, doc, NULL }
#define I64(k, f, lo, hi, d, doc)                                                                  \
    { k, CT_I64, OFF(f), lo, hi, 0, NULL, d, doc, NULL }
#define FLT(k, f, lo, hi, fl, d, doc)                                                              \
    { k, CT_FLOAT, OFF(f), lo, hi, fl, NULL, d, doc, NULL }
#define STR(k, f, fl, d, doc)                                                                      \
    { k, CT_STR, OFF(f), 0, 0, fl, NULL, d, doc, NULL }
#define PATH(k, f, fl, d, doc)                                                                     \
    { k, CT_PATH, OFF(f), 0, 0, fl, NULL, d, doc, NULL }
#define ENUM(k, f, names, d, doc)                                                                  \
    { k, CT_ENUM, OFF(f), 0, 0, 0, names, d, doc, NULL }

const char *const rl_builtin_rewards[] = {"math",       "gsm8k",    "format", "length",
                                          "repetition", "language", "code",   NULL};

#define ROFF(field) offsetof(rl_reward_cfg, field)
static const cfg_row reward_rows[] = {
    {"fn", CT_STR, ROFF(fn), 0, 0, CF_REQUIRED | CF_NONEMPTY, NULL, NULL,
     "Reward function: a built-in (math, gsm8k, format, length, repetition, language, code) or, "
     "with `plugin`, the name the plugin registers.",
     NULL},
    {"plugin", CT_PATH, ROFF(plugin), 0, 0, 0, NULL, "\"\"",
     "Shared object implementing include/rlpt/reward.h; empty for a built-in.", NULL},
    {"weight", CT_FLOAT, ROFF(weight), -1e6, 1e6, 0, NULL, "1.0",
     "Weight of this function in the total reward (a weighted sum).", NULL},
    {"args", CT_JSON, ROFF(args_json), 0, 0, 0, NULL, NULL,
     "Arguments handed to the function's init, as given (a mapping).", NULL},
    {"timeout_s", CT_FLOAT, ROFF(timeout_s), 0, 3600, CF_LO_OPEN, NULL, "10",
     "Deadline for scoring one sample; a timeout scores timeout_score, is counted and logged.",
     NULL},
    {"timeout_score", CT_FLOAT, ROFF(timeout_score), -1e6, 1e6, 0, NULL, "0",
     "Reward of a sample whose scoring timed out.", NULL},
    {"isolate", CT_BOOL, ROFF(isolate), 0, 1, 0, NULL, "false",
     "Run the function in a worker process, so that a hang or crash in it is contained.", NULL},
};
const cfg_table rl_reward_schema = {reward_rows, sizeof reward_rows / sizeof reward_rows[0],
                                    sizeof(rl_reward_cfg)};

static const cfg_row rows[] = {
    /* run */
    STR("run.name", run.name, 0, "\"\"",
        "Name of the run directory under run.dir; empty means a timestamp."),
    PATH("run.dir", run.dir, CF_NONEMPTY, "runs", "Where run directories are created."),
    I64("run.seed", run.seed, 0, I64MAX, "1",
        "Seed of every random choice (data order, sampling, initialisation)."),
    INT("run.log_every", run.log_every, 1, IMAX, "1", "Steps between metrics.jsonl lines."),
    INT("run.samples_every", run.samples_every, 0, IMAX, "10",
        "Steps between samples.jsonl records; 0 never writes samples."),
    INT("run.checkpoint_every", run.checkpoint_every, 0, IMAX, "50",
        "Steps between checkpoints; 0 writes only the final one."),
    INT("run.keep_checkpoints", run.keep_checkpoints, 1, 1000, "3",
        "Checkpoints kept; older ones are deleted after a newer one is complete."),
    ENUM("run.progress", run.progress, "auto|always|never", "auto",
         "Progress line on stderr: auto shows it on a terminal only."),
    /* system */
    INT("system.blas_threads", system.blas_threads, 0, 1024, "0",
        "Threads per rank for the model (its sgemms, cut by rlpt, and its own kernels); 0 = "
        "cores per node / ranks per node."),
    FLT("system.memory_limit_gib", system.memory_limit_gib, 0, 1e6, 0, "0",
        "Memory a rank may plan for; 0 = the memory available (MemAvailable) / ranks per node."),
    INT("system.deterministic_ranks", system.deterministic_ranks, 1, 1024, "8",
        "Weights are the same bits at every power-of-two rank count up to this (gradients summed "
        "in a fixed tree of this many leaves; a power of two; costs log2(it / ranks) gradient "
        "buffers per rank); 1 = MPI's allreduce (equal across rank counts to rounding only)."),
    /* model */
    PATH("model.path", model.path, 0, "\"\"",
         "Hugging Face model directory (config.json, safetensors, tokenizer files). Set this "
         "or model.init.arch."),
    PATH("model.reference_path", model.reference_path, 0, "\"\"",
         "Frozen reference model for the KL term; empty = the policy's initial weights. "
         "Never loaded when grpo.beta is 0."),
    ENUM("model.dtype_save", model.dtype_save, "fp32|bf16", "fp32",
         "Precision of the trained model written to RUN_DIR/final/ (checkpoints stay fp32 so "
         "that resuming is exact)."),
    BOOL("model.recompute", model.recompute, "false",
         "Recompute activations in the backward pass to bound memory for long sequences."),
    ENUM("model.init.arch", model.init.arch, "none|llama|qwen2", "none",
         "Create a random model of this architecture instead of loading model.path."),
    INT("model.init.hidden", model.init.hidden, 8, 65536, "128", "Width of the random model."),
    INT("model.init.layers", model.init.layers, 1, 1024, "2", "Decoder layers."),
    INT("model.init.heads", model.init.heads, 1, 1024, "4", "Query heads."),
    INT("model.init.kv_heads", model.init.kv_heads, 1, 1024, "2",
        "Key/value heads (divides heads)."),
    INT("model.init.head_dim", model.init.head_dim, 0, 4096, "0",
        "Head dimension; 0 = hidden / heads."),
    INT("model.init.ffn", model.init.ffn, 8, 1048576, "384", "MLP width (intermediate_size)."),
    INT("model.init.vocab", model.init.vocab, 0, 16777216, "0",
        "Vocabulary rows (vocab_size); 0 = the tokenizer's. Rows past the tokenizer's ids are "
        "padding, as in real checkpoints (Qwen2.5: 151936 rows for 151665 ids)."),
    INT("model.init.max_positions", model.init.max_positions, 16, 1048576, "512",
        "max_position_embeddings."),
    BOOL("model.init.tie_embeddings", model.init.tie_embeddings, "true",
         "Share the embedding and LM-head matrices."),
    FLT("model.init.rope_theta", model.init.rope_theta, 0, 1e9, CF_LO_OPEN, "10000", "RoPE base."),
    FLT("model.init.rms_norm_eps", model.init.rms_norm_eps, 0, 1, CF_LO_OPEN, "1e-6",
        "RMSNorm epsilon."),
    I64("model.init.seed", model.init.seed, 0, I64MAX, "0",
        "Seed of the random weights (0 = run.seed)."),
    /* tokenizer */
    PATH("tokenizer.path", tokenizer.path, 0, "\"\"",
         "Directory with tokenizer.json / tokenizer_config.json; empty = model.path."),
    ENUM("tokenizer.template", tokenizer.template_, "r1-zero|chat|plain|custom", "r1-zero",
         "Prompt template: DeepSeek-R1-Zero's, the model's chat_template, the question alone, "
         "or tokenizer.user_template."),
    STR("tokenizer.user_template", tokenizer.user_template, 0, "\"\"",
        "Template for `custom`; {question} is replaced by the prompt."),
    STR("tokenizer.system_prompt", tokenizer.system_prompt, 0, "\"\"",
        "System message for the chat template; empty = none."),
    /* data */
    ENUM("data.format", data.format, "jsonl|gsm8k|math|humaneval|mbpp|synthetic", "jsonl",
         "Dataset layout: generic JSONL (prompt_key/answer_key), GSM8K, MATH, HumanEval, "
         "MBPP, or the built-in synthetic task."),
    ENUM("data.eval_format", data.eval_format, "same|jsonl|gsm8k|math|humaneval|mbpp", "same",
         "Layout of data.eval when it differs from data.format (e.g. MBPP training, HumanEval "
         "evaluation)."),
    PATH("data.train", data.train, 0, "\"\"", "Training prompts (JSONL)."),
    PATH("data.eval", data.eval, 0, "\"\"", "Held-out prompts for evaluation (JSONL)."),
    STR("data.prompt_key", data.prompt_key, CF_NONEMPTY, "question",
        "Field of a JSONL record holding the prompt."),
    STR("data.answer_key", data.answer_key, CF_NONEMPTY, "answer",
        "Field holding the reference answer."),
    BOOL("data.shuffle", data.shuffle, "true", "Shuffle training prompts each epoch (seeded)."),
    INT("data.max_prompt_tokens", data.max_prompt_tokens, 1, 1048576, "512",
        "Prompts longer than this are refused with their line number."),
    ENUM("data.synthetic.task", data.synthetic.task, "addition|multiplication", "addition",
         "Synthetic task: multi-digit arithmetic with a worked <think> trace."),
    INT("data.synthetic.digits", data.synthetic.digits, 1, 12, "2", "Digits per operand."),
    INT("data.synthetic.train_size", data.synthetic.train_size, 1, 10000000, "10000",
        "Training problems generated."),
    INT("data.synthetic.eval_size", data.synthetic.eval_size, 1, 1000000, "200",
        "Held-out problems generated (disjoint from training)."),
    /* rollout */
    FLT("rollout.temperature", rollout.temperature, 0, 10, CF_LO_OPEN, "1.0",
        "Sampling temperature of training rollouts (GRPO needs samples, so 0 is refused)."),
    INT("rollout.top_k", rollout.top_k, 0, IMAX, "0", "Keep the k most likely tokens; 0 = off."),
    FLT("rollout.top_p", rollout.top_p, 0, 1, CF_LO_OPEN, "1.0", "Nucleus sampling; 1 = off."),
    FLT("rollout.min_p", rollout.min_p, 0, 1, CF_HI_OPEN, "0",
        "Drop tokens below min_p times the top probability; 0 = off."),
    FLT("rollout.repetition_penalty", rollout.repetition_penalty, 0, 10, CF_LO_OPEN, "1.0",
        "Divide positive logits (multiply negative ones) of seen tokens; 1 = off."),
    FLT("rollout.presence_penalty", rollout.presence_penalty, -10, 10, 0, "0",
        "Subtracted from the logits of tokens already generated; 0 = off."),
    INT("rollout.max_new_tokens", rollout.max_new_tokens, 1, 1048576, "256",
        "Completion length cap."),
    INT("rollout.batch_size", rollout.batch_size, 1, 65536, "32",
        "Sequences decoded at once per rank (KV cache slots)."),
    {"rollout.stop", CT_STRLIST, OFF(rollout.stop), 0, 0, 0, NULL, "[]",
     "Stop strings, matched on decoded text across token boundaries (EOS always stops).", NULL},
    /* rewards */
    {"rewards", CT_LIST, OFF(rewards), 0, 0, 0, NULL, NULL,
     "Reward functions; the total is their weighted sum. Each entry: fn, weight, args, "
     "plugin, timeout_s, timeout_score, isolate.",
     &rl_reward_schema},
    /* grpo */
    INT("grpo.steps", grpo.steps, 0, IMAX, "100", "GRPO steps."),
    INT("grpo.prompts_per_step", grpo.prompts_per_step, 1, 1000000, "16",
        "Prompts per step for the whole job; prompt i goes to rank i % ranks."),
    INT("grpo.group_size", grpo.group_size, 2, 1024, "8", "Samples per prompt (G)."),
    INT("grpo.mu", grpo.mu, 1, 100, "1", "Update passes over a step's trajectories."),
    INT("grpo.minibatches", grpo.minibatches, 1, 65536, "1",
        "Optimizer updates per pass (each over 1/minibatches of the step's groups)."),
    ENUM("grpo.advantage", grpo.advantage, "grpo|dr_grpo|batch_std", "grpo",
         "(r - mean) / (std + eps) per group; Dr. GRPO: r - mean; or the batch's std."),
    FLT("grpo.adv_eps", grpo.adv_eps, 0, 1, CF_LO_OPEN, "1e-6",
        "eps in the advantage's denominator."),
    ENUM("grpo.loss_agg", grpo.loss_agg, "seq_mean_token_mean|token_mean|seq_mean_token_sum",
         "token_mean",
         "Loss aggregation: GRPO (mean over sequences of token means), DAPO (token mean over "
         "the global batch), Dr. GRPO (token sums over a constant)."),
    INT("grpo.loss_agg_tokens", grpo.loss_agg_tokens, 0, 1048576, "0",
        "Dr. GRPO's constant; 0 = rollout.max_new_tokens."),
    FLT("grpo.clip_low", grpo.clip_low, 0, 1, 0, "0.2", "Lower clip: ratio >= 1 - clip_low."),
    FLT("grpo.clip_high", grpo.clip_high, 0, 10, 0, "0.2",
        "Upper clip: ratio <= 1 + clip_high (DAPO's clip-higher uses 0.28)."),
    FLT("grpo.dual_clip", grpo.dual_clip, 0, 100, 0, "0",
        "Dual-clip constant c > 1 bounding the loss of negative advantages; 0 = off."),
    FLT("grpo.beta", grpo.beta, 0, 100, 0, "0",
        "KL coefficient; 0 never loads the reference model."),
    ENUM("grpo.kl_estimator", grpo.kl_estimator, "k1|k3", "k3", "KL estimator (Schulman)."),
    ENUM("grpo.kl_in", grpo.kl_in, "loss|reward", "loss",
         "Where the KL term goes: in the loss, or subtracted from the reward."),
    FLT("grpo.entropy_coef", grpo.entropy_coef, -1, 1, 0, "0", "Entropy bonus coefficient."),
    BOOL("grpo.dynamic_sampling", grpo.dynamic_sampling, "false",
         "Drop groups whose rewards are all equal and re-sample to fill the batch (DAPO)."),
    INT("grpo.max_resample_rounds", grpo.max_resample_rounds, 0, 1000, "3",
        "Cap on re-sampling rounds per step with dynamic sampling."),
    ENUM("grpo.old_logprobs", grpo.old_logprobs, "recompute|rollout", "recompute",
         "Old log-probs of the ratio: recomputed by the trainer before the update (as verl; "
         "weights then do not depend on the rank count) or the sampler's (saves a forward when "
         "mu or minibatches > 1; equal to rounding)."),
    BOOL("grpo.overlong_filter", grpo.overlong_filter, "false",
         "Mask truncated completions out of the loss (DAPO overlong filtering)."),
    /* optim */
    FLT("optim.lr", optim.lr, 0, 1, CF_LO_OPEN, "1e-6", "Peak learning rate (AdamW)."),
    FLT("optim.lr_min", optim.lr_min, 0, 1, 0, "0", "Final learning rate of the schedule."),
    ENUM("optim.schedule", optim.schedule, "constant|linear|cosine", "constant",
         "Learning-rate schedule after warm-up."),
    INT("optim.warmup_steps", optim.warmup_steps, 0, IMAX, "0", "Linear warm-up steps."),
    FLT("optim.weight_decay", optim.weight_decay, 0, 10, 0, "0", "Decoupled weight decay."),
    FLT("optim.beta1", optim.beta1, 0, 1, CF_HI_OPEN, "0.9", "AdamW beta1."),
    FLT("optim.beta2", optim.beta2, 0, 1, CF_HI_OPEN, "0.999", "AdamW beta2."),
    FLT("optim.eps", optim.eps, 0, 1, CF_LO_OPEN, "1e-8", "AdamW epsilon."),
    FLT("optim.grad_clip", optim.grad_clip, 0, 1e6, 0, "1.0",
        "Global gradient-norm clip; 0 = off."),
    /* sft */
    INT("sft.steps", sft.steps, 0, IMAX, "0", "SFT steps (cold start / distillation)."),
    INT("sft.batch_size", sft.batch_size, 1, 1000000, "32", "Sequences per SFT step (job)."),
    FLT("sft.lr", sft.lr, 0, 1, CF_LO_OPEN, "1e-4", "SFT learning rate."),
    PATH("sft.data", sft.data, 0, "\"\"",
         "JSONL traces {prompt, completion}; empty = traces of the synthetic task."),
    /* eval */
    INT("eval.every", eval.every, 0, IMAX, "0",
        "GRPO steps between evaluations; 0 = before and after each stage only."),
    INT("eval.samples", eval.samples, 1, 1024, "1", "Samples per problem (k of pass@k, maj@k)."),
    INT("eval.max_examples", eval.max_examples, 0, IMAX, "0",
        "Evaluate at most this many problems; 0 = all."),
    FLT("eval.temperature", eval.temperature, 0, 10, 0, "0",
        "Evaluation sampling temperature; 0 = greedy."),
    /* rejection sampling */
    INT("rejection.prompts", rejection.prompts, 1, 10000000, "256",
        "Training prompts sampled (the seeded order of the training set)."),
    INT("rejection.samples", rejection.samples, 1, 1024, "4", "Samples per prompt."),
    FLT("rejection.min_reward", rejection.min_reward, -1e6, 1e6, 0, "1.0",
        "Keep completions whose total (weighted) reward is at least this; with the demo's "
        "rewards, 1.1 asks for a right answer and the format."),
    INT("rejection.max_per_prompt", rejection.max_per_prompt, 1, 1024, "1",
        "Kept completions per prompt at most."),
    PATH("rejection.out", rejection.out, 0, "\"\"",
         "Output JSONL ({prompt key, completion}); empty = rejection.jsonl in the run "
         "directory. An sft stage later in the pipeline trains on it."),
    /* sandbox */
    ENUM("sandbox.mode", sandbox.mode, "namespaces|none", "namespaces",
         "Isolation of model-written code; none is for trusted code only and says so loudly."),
    INT("sandbox.workers", sandbox.workers, 0, 1024, "0",
        "Parallel sandbox slots per rank; 0 = cores per rank."),
    FLT("sandbox.cpu_seconds", sandbox.cpu_seconds, 0, 3600, CF_LO_OPEN, "4", "CPU time per test."),
    FLT("sandbox.wall_seconds", sandbox.wall_seconds, 0, 3600, CF_LO_OPEN, "10",
        "Wall time per test."),
    INT("sandbox.memory_mib", sandbox.memory_mib, 16, 1048576, "512", "Address space per test."),
    INT("sandbox.output_kib", sandbox.output_kib, 1, 1048576, "64",
        "stdout + stderr kept per test; more is an OLE verdict."),
    INT("sandbox.processes", sandbox.processes, 1, 4096, "16", "Processes per test."),
    INT("sandbox.files", sandbox.files, 4, 65536, "64", "Open files per process."),
    INT("sandbox.disk_mib", sandbox.disk_mib, 1, 65536, "16", "Size of the writable /box."),
    ENUM("sandbox.reward", sandbox.reward, "fraction|all", "fraction",
         "Code reward: fraction of tests passed, or 1 only when all pass."),
    /* pipeline */
    {"pipeline", CT_ENUMLIST, OFF(pipeline), 0, 0, CF_NONEMPTY, "sft|grpo|eval|rejection", "[grpo]",
     "Stages in order, e.g. [sft, grpo, rejection, sft, grpo] as DeepSeek-R1 did.", NULL},
};

const cfg_table rl_config_schema = {rows, sizeof rows / sizeof rows[0], sizeof(rl_config)};
