/* rl/trainer.c: `rlpt train`'s driver: sets up the model (loaded, or created at random with
 * the configured shape and the tokenizer's vocabulary), tokenizer, prompt template, optimizer,
 * datasets and run directory on every rank; runs the pipeline's stages in order; writes
 * checkpoints (HF weights + optimizer moments + trainer state) and resumes from `latest`. */
#define _POSIX_C_SOURCE 200809L
#include "trainer.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <limits.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rlpt_io.h"

double rl_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int rl_allreduce_sum_f(float *buf, size_t n, rlpt_err *err) {
    if (!rl_mpi_get()->initialized || rl_mpi_get()->size == 1) return 0;
    for (size_t off = 0; off < n;) {
        int chunk = n - off > (size_t)INT_MAX ? INT_MAX : (int)(n - off);
        int rc = rl_mpi_check(
            MPI_Allreduce(MPI_IN_PLACE, buf + off, chunk, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD),
            "MPI_Allreduce (gradients)", err);
        if (rc) return rc;
        off += (size_t)chunk;
    }
    return 0;
}

int rl_allreduce_sum_d(double *buf, int n, rlpt_err *err) {
    if (!rl_mpi_get()->initialized || rl_mpi_get()->size == 1) return 0;
    return rl_mpi_check(MPI_Allreduce(MPI_IN_PLACE, buf, n, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD),
                        "MPI_Allreduce (metrics)", err);
}

static const char *tokenizer_dir(const rl_config *cfg) {
    return cfg->tokenizer.path[0] ? cfg->tokenizer.path : cfg->model.path;
}

int rl_trainer_prompt(const rl_trainer *t, const char *question, char **out, rlpt_err *err) {
    policy_chat_message msgs[2];
    int n = 0;
    if (t->cfg->tokenizer.system_prompt[0])
        msgs[n++] = (policy_chat_message){"system", t->cfg->tokenizer.system_prompt};
    msgs[n++] = (policy_chat_message){"user", question};
    policy_chat_options opt = {1, "26 Jul 2024", -1};
    size_t len;
    return policy_chat_render(t->prompt_tmpl, msgs, n, &opt, out, &len, err);
}

int rl_trainer_encode_pair(const rl_trainer *t, const char *prompt, const char *completion,
                           int add_eos, int *ids, int *targets, int T, int *cut, rlpt_err *err) {
    int32_t *p = NULL, *c = NULL;
    size_t np = 0, nc = 0;
    /* a chat template writes its own BOS; a plain one gets the post-processor's (Llama) */
    int special = t->cfg->tokenizer.template_ != RL_TEMPLATE_CHAT;
    int rc = policy_tokenizer_encode(t->tok, prompt, strlen(prompt), special, &p, &np, err);
    if (!rc) rc = policy_tokenizer_encode(t->tok, completion, strlen(completion), 0, &c, &nc, err);
    int32_t eos = policy_tokenizer_eos_id(t->tok);
    size_t n = np + nc + (add_eos && eos >= 0);
    if (!rc && cut && n > (size_t)T && np > 0 && np < (size_t)T) {
        /* too long: the completion is cut at the last position, with no end of text */
        *cut = 1;
        nc = (size_t)T - np;
        add_eos = 0;
        n = (size_t)T;
    } else if (cut) {
        *cut = 0;
    }
    if (!rc && (n > (size_t)T || np == 0))
        rc = rlpt_errf(err, RLPT_EINVAL,
                       "an example of %zu tokens (prompt %zu) does not fit the %d positions of "
                       "the batch; raise model.init.max_positions or shorten the data",
                       n, np, T);
    if (!rc) {
        for (int i = 0; i < T; i++) {
            ids[i] = 0;
            targets[i] = -1;
        }
        for (size_t i = 0; i < np; i++) ids[i] = p[i];
        for (size_t i = 0; i < nc; i++) ids[np + i] = c[i];
        if (add_eos && eos >= 0) ids[np + nc] = eos;
        /* the loss is on completion tokens: predict ids[i+1] from position i for i+1 >= np */
        for (size_t i = np - 1; i + 1 < n; i++) targets[i] = ids[i + 1];
    }
    free(p);
    free(c);
    return rc ? rc : (int)n;
}

/* The config of the random model model.init describes (its vocabulary: the tokenizer's). */
static int init_config(const rl_trainer *t, policy_config *pc, rlpt_err *err) {
    const rl_config *cfg = t->cfg;
    policy_config_default(pc, cfg->model.init.arch == RL_ARCH_QWEN2 ? POLICY_ARCH_QWEN2
                                                                    : POLICY_ARCH_LLAMA);
    pc->C = cfg->model.init.hidden;
    pc->L = cfg->model.init.layers;
    pc->H = cfg->model.init.heads;
    pc->KVH = cfg->model.init.kv_heads;
    pc->D = cfg->model.init.head_dim ? cfg->model.init.head_dim : pc->C / pc->H;
    pc->F = cfg->model.init.ffn;
    pc->max_pos = cfg->model.init.max_positions;
    pc->rope_theta = cfg->model.init.rope_theta;
    pc->rms_eps = cfg->model.init.rms_norm_eps;
    pc->tied = cfg->model.init.tie_embeddings;
    pc->V = cfg->model.init.vocab ? cfg->model.init.vocab : policy_tokenizer_vocab_size(t->tok);
    pc->bos_id = policy_tokenizer_bos_id(t->tok);
    pc->n_eos = 0;
    int32_t eos = policy_tokenizer_eos_id(t->tok);
    if (eos >= 0) pc->eos_ids[pc->n_eos++] = eos;
    return policy_config_check(pc, "model.init", err);
}

static int create_model(rl_trainer *t, const policy_config *pc, rlpt_err *err) {
    int rc = policy_model_init(&t->model, pc, err);
    if (rc) return rc;
    const rl_config *cfg = t->cfg;
    uint64_t seed = cfg->model.init.seed ? (uint64_t)cfg->model.init.seed : (uint64_t)cfg->run.seed;
    policy_model_randomize(&t->model, seed, 0.02f);
    return 0;
}

static void human(char *buf, size_t n, double bytes) {
    policy_format_bytes(buf, n, (size_t)bytes);
}

/* What one rank of this run will hold at its peak, from the model's config alone (checked
 * before any weight is allocated): weights, gradients and AdamW moments; the frozen KL
 * reference (grpo.beta > 0) with its forward buffers for one group; the saved activations of
 * the largest update (a GRPO minibatch: the groups a rank owns / minibatches x G sequences of
 * max_prompt_tokens + max_new_tokens; with dynamic sampling a rank may own up to all P
 * groups; an SFT batch share at the same length, SFT traces being planned at that length);
 * the KV cache of every rollout engine the pipeline makes (GRPO, eval, rejection); and the
 * gradient tree's buffers (rl/grad_tree.c).
 * The limit is system.memory_limit_gib, or MemAvailable shared by this node's ranks. */
static int check_memory(const rl_trainer *t, const policy_config *pc, rlpt_err *err) {
    const rl_config *cfg = t->cfg;
    const rl_mpi *mpi = rl_mpi_get();
    int local = mpi->initialized && mpi->local_size > 0 ? mpi->local_size : 1;
    int grpo = rl_config_has_stage(cfg, "grpo"), sft = rl_config_has_stage(cfg, "sft");
    int flags =
        grpo || sft ? POLICY_ACTS_TRAIN | (cfg->model.recompute ? POLICY_ACTS_RECOMPUTE : 0) : 0;
    int T = cfg->data.max_prompt_tokens + cfg->rollout.max_new_tokens;
    if (T > pc->max_pos) T = pc->max_pos;
    int B = 1;
    if (grpo) {
        int P = cfg->grpo.prompts_per_step,
            own = cfg->grpo.dynamic_sampling ? P : (P + t->size - 1) / t->size;
        int mb = (own + cfg->grpo.minibatches - 1) / cfg->grpo.minibatches;
        B = mb * cfg->grpo.group_size;
    }
    if (sft && (cfg->sft.batch_size + t->size - 1) / t->size > B)
        B = (cfg->sft.batch_size + t->size - 1) / t->size;
    policy_memplan mp, ref;
    policy_memplan_compute(&mp, pc, B, T, flags);
    double ref_bytes = 0, kv = 0;
    if (grpo && cfg->grpo.beta > 0) {
        policy_memplan_compute(&ref, pc, cfg->grpo.group_size, T, 0);
        ref_bytes = (double)ref.params + (double)ref.acts;
    }
    rollout_config rc;
    if (grpo) {
        rl_engine_config(cfg, pc, 0, cfg->grpo.group_size, &rc);
        kv += (double)rollout_kv_bytes(pc, &rc);
    }
    if (rl_config_has_stage(cfg, "eval") ||
        (grpo && (cfg->data.format == RL_DATA_SYNTHETIC || cfg->data.eval[0]))) {
        rl_engine_config(cfg, pc, 1, cfg->eval.samples, &rc);
        kv += (double)rollout_kv_bytes(pc, &rc);
    }
    if (rl_config_has_stage(cfg, "rejection")) {
        rl_engine_config(cfg, pc, 0, cfg->rejection.samples, &rc);
        kv += (double)rollout_kv_bytes(pc, &rc);
    }
    /* the gradient tree's buffers (training only) */
    double tree =
        flags && rl_tree_usable(cfg->system.deterministic_ranks, t->size)
            ? (double)rl_tree_buffers(cfg->system.deterministic_ranks, t->size) * (double)mp.grads
            : 0;
    double total = (double)mp.total + ref_bytes + kv + tree;
    double limit = cfg->system.memory_limit_gib > 0 ? cfg->system.memory_limit_gib * 1073741824.0
                                                    : (double)policy_mem_available() / local;
    char w[32], g[32], m[32], a[32], r[32], k[32], tr[32], tot[32], lim[32];
    human(w, sizeof w, (double)mp.params);
    human(g, sizeof g, (double)mp.grads);
    human(m, sizeof m, (double)mp.moments);
    human(a, sizeof a, (double)mp.acts);
    human(r, sizeof r, ref_bytes);
    human(k, sizeof k, kv);
    human(tr, sizeof tr, tree);
    human(tot, sizeof tot, total);
    human(lim, sizeof lim, limit);
    if (total > limit)
        return rlpt_errf(err, RLPT_ENOMEM,
                         "memory plan: a rank needs %s (weights %s, gradients %s, AdamW moments "
                         "%s, activations %s for %d x %d tokens, KL reference %s, KV caches %s, "
                         "gradient tree %s) but %s is available to it%s; lower "
                         "grpo.prompts_per_step, grpo.group_size, sft.batch_size, "
                         "data.max_prompt_tokens or rollout.max_new_tokens, raise "
                         "grpo.minibatches, turn on model.recompute, lower "
                         "system.deterministic_ranks, or run fewer ranks per node",
                         tot, w, g, m, a, B, T, r, k, tr, lim,
                         cfg->system.memory_limit_gib > 0 ? " (system.memory_limit_gib)" : "");
    if (rl_mpi_should_print())
        fprintf(stderr,
                "memory plan per rank: %s of %s (weights %s, gradients %s, AdamW %s, "
                "activations %s, KL reference %s, KV caches %s, gradient tree %s)\n",
                tot, lim, w, g, m, a, r, k, tr);
    return 0;
}

static int load_datasets(rl_trainer *t, rlpt_err *err) {
    const rl_config *cfg = t->cfg;
    int rc = 0;
    if (cfg->data.format == RL_DATA_SYNTHETIC) {
        int task = cfg->data.synthetic.task, digits = cfg->data.synthetic.digits;
        rc = rl_dataset_synthetic(&t->train, task, digits, cfg->data.synthetic.train_size, 0,
                                  (uint64_t)cfg->run.seed, err);
        if (!rc)
            rc = rl_dataset_synthetic(&t->eval, task, digits, cfg->data.synthetic.eval_size, 1,
                                      (uint64_t)cfg->run.seed, err);
    } else {
        if (cfg->data.train[0])
            rc = rl_dataset_load(&t->train, cfg->data.train, cfg->data.format, cfg->data.prompt_key,
                                 cfg->data.answer_key, 0, err);
        if (!rc && cfg->data.eval[0])
            rc = rl_dataset_load(&t->eval, cfg->data.eval,
                                 cfg->data.eval_format ? cfg->data.eval_format - 1
                                                       : cfg->data.format,
                                 cfg->data.prompt_key, cfg->data.answer_key, 0, err);
    }
    if (!rc && cfg->sft.data[0])
        rc = rl_dataset_load(&t->sft, cfg->sft.data, RL_DATA_JSONL, cfg->data.prompt_key, "", 1,
                             err);
    return rc;
}

/* ---- checkpoints ----------------------------------------------------------------------------
 * checkpoints/step-N/: the Hugging Face files (config.json, model.safetensors, the tokenizer's
 * files), optimizer.safetensors (AdamW moments and step, policy_adamw_save) and trainer.json
 * (stage, steps, prompts drawn). Weights are written in fp32 whatever
 * model.dtype_save says for the final export, so that resuming is exact. */

static int copy_file(const char *from, const char *to, rlpt_err *err) {
    char *buf = NULL;
    size_t len = 0;
    int rc = rlpt_read_file(from, 1u << 30, &buf, &len, err);
    if (rc) return rc;
    rc = rlpt_write_file_atomic(to, buf, len, err);
    free(buf);
    return rc;
}

/* The Hugging Face files of the current weights in dtype, with the tokenizer's (rank 0). */
static int save_hf(const rl_trainer *t, const char *dir, int dtype, rlpt_err *err) {
    int rc = rlpt_mkdir_p(dir, err);
    if (!rc) rc = policy_model_save(&t->model, dir, dtype, 0, err);
    const char *names[] = {"tokenizer.json", "tokenizer_config.json"};
    for (int i = 0; !rc && i < 2; i++) {
        char from[4400], path[4600];
        snprintf(from, sizeof from, "%s/%s", tokenizer_dir(t->cfg), names[i]);
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        FILE *probe = fopen(from, "rb");
        if (probe) {
            fclose(probe);
            rc = copy_file(from, path, err);
        }
    }
    return rc;
}

int rl_trainer_checkpoint(rl_trainer *t, rlpt_err *err) {
    int rc = 0;
    char dir[4400], path[4600];
    rl_run_checkpoint_dir(&t->run, t->step, dir, sizeof dir);
    if (t->run.writer) {
        rc = save_hf(t, dir, POLICY_DTYPE_F32, err);
        if (!rc && t->opt.n > 0) { /* none without a training stage */
            snprintf(path, sizeof path, "%s/optimizer.safetensors", dir);
            rc = policy_adamw_save(&t->opt, &t->model.layout, path, err);
        }
        if (!rc) {
            char json[256];
            int n = snprintf(json, sizeof json,
                             "{\"stage\": %d, \"stage_step\": %ld, \"step\": %ld, "
                             "\"data_pos\": %ld}\n",
                             t->stage, t->stage_step, t->step, t->data_pos);
            snprintf(path, sizeof path, "%s/trainer.json", dir);
            rc = rlpt_write_file_atomic(path, json, (size_t)n, err);
        }
        if (!rc) rc = rl_run_set_latest(&t->run, t->step, t->cfg->run.keep_checkpoints, err);
    }
    return rl_mpi_agree(rc, err);
}

static int resume(rl_trainer *t, const char *run_dir, long step, rlpt_err *err) {
    char dir[4400], path[4600];
    snprintf(dir, sizeof dir, "%s/checkpoints/step-%ld", run_dir, step);
    policy_model_free(&t->model);
    int rc = policy_model_load(&t->model, dir, err);
    if (rc) return rc;
    snprintf(path, sizeof path, "%s/trainer.json", dir);
    char *text = NULL;
    if ((rc = rlpt_read_file(path, 4096, &text, NULL, err))) return rc;
    cJSON *j = cJSON_Parse(text);
    free(text);
    const cJSON *st = cJSON_GetObjectItem(j, "stage"), *ss = cJSON_GetObjectItem(j, "stage_step"),
                *s = cJSON_GetObjectItem(j, "step");
    if (!cJSON_IsNumber(st) || !cJSON_IsNumber(ss) || !cJSON_IsNumber(s)) {
        cJSON_Delete(j);
        return rlpt_errf(err, RLPT_EFORMAT, "%s: not a trainer state", path);
    }
    t->stage = st->valueint;
    t->stage_step = (long)ss->valuedouble;
    t->step = (long)s->valuedouble;
    const cJSON *dp = cJSON_GetObjectItem(j, "data_pos");
    t->data_pos = cJSON_IsNumber(dp) ? (long)dp->valuedouble : -1;
    cJSON_Delete(j);
    if (t->opt.n == 0) return 0; /* no training stage: no optimizer */
    snprintf(path, sizeof path, "%s/optimizer.safetensors", dir);
    return policy_adamw_load(&t->opt, &t->model.layout, path, err);
}

/* ---- the run ---------------------------------------------------------------------------- */

static void trainer_free(rl_trainer *t) {
    rl_run_close(&t->run);
    rollout_engine_free(t->engine);
    rollout_engine_free(t->eval_engine);
    rollout_engine_free(t->rej_engine);
    rl_rewards_free(t->rewards);
    policy_model_free(&t->ref);
    policy_tokenizer_free(t->tok);
    policy_chat_template_free(t->prompt_tmpl);
    policy_model_free(&t->model);
    policy_adamw_free(&t->opt);
    free(t->grads);
    for (int i = 0; t->tree_tmp && i < t->n_tree_tmp; i++) free(t->tree_tmp[i]);
    free(t->tree_tmp);
    rl_dataset_free(&t->train);
    rl_dataset_free(&t->eval);
    rl_dataset_free(&t->sft);
}

static int setup(rl_trainer *t, const rl_config *cfg, rlpt_err *err) {
    memset(t, 0, sizeof *t);
    t->cfg = cfg;
    t->data_pos = -1;
    const rl_mpi *m = rl_mpi_get();
    t->rank = m->initialized ? m->rank : 0;
    t->size = m->initialized ? m->size : 1;
    char tokfile[4200];
    snprintf(tokfile, sizeof tokfile, "%s/tokenizer.json", tokenizer_dir(cfg));
    int rc = policy_tokenizer_load(&t->tok, tokfile, err);
    if (rc) return rc;
    switch (cfg->tokenizer.template_) {
    case RL_TEMPLATE_CHAT:
        rc = policy_chat_template_load(&t->prompt_tmpl, tokenizer_dir(cfg), err);
        break;
    case RL_TEMPLATE_PLAIN:
        rc = policy_chat_template_plain(&t->prompt_tmpl, "{question}", err);
        break;
    case RL_TEMPLATE_CUSTOM:
        rc = policy_chat_template_plain(&t->prompt_tmpl, cfg->tokenizer.user_template, err);
        break;
    default:
        rc = policy_chat_template_plain(&t->prompt_tmpl, policy_chat_r1_zero_template, err);
        break;
    }
    if (rc) return rc;
    policy_config pc;
    rc = cfg->model.path[0] ? policy_config_load(&pc, cfg->model.path, err)
                            : init_config(t, &pc, err);
    if (!rc) rc = check_memory(t, &pc, err);
    if (!rc)
        rc = cfg->model.path[0] ? policy_model_load(&t->model, cfg->model.path, err)
                                : create_model(t, &pc, err);
    if (rc) return rc;
    if (policy_tokenizer_vocab_size(t->tok) > t->model.cfg.V)
        return rlpt_errf(err, RLPT_EINVAL,
                         "the tokenizer in %s has %d ids but the model's vocabulary is %d",
                         tokenizer_dir(cfg), policy_tokenizer_vocab_size(t->tok), t->model.cfg.V);
    /* eval- or rejection-only pipelines need no gradients nor optimizer (checkpoints then
     * hold the weights alone) */
    if (!rl_config_has_stage(cfg, "sft") && !rl_config_has_stage(cfg, "grpo"))
        return load_datasets(t, err);
    if ((rc = policy_adamw_init(&t->opt, t->model.layout.total, err))) return rc;
    t->opt.beta1 = (float)cfg->optim.beta1;
    t->opt.beta2 = (float)cfg->optim.beta2;
    t->opt.eps = (float)cfg->optim.eps;
    t->opt.weight_decay = (float)cfg->optim.weight_decay;
    if (!(t->grads = calloc(t->model.layout.total, sizeof(float))))
        return rlpt_errf(err, RLPT_ENOMEM, "out of memory for %zu gradients",
                         t->model.layout.total);
    /* the gradient tree: bit-identical weights across power-of-two rank counts */
    int leaves = cfg->system.deterministic_ranks;
    if (rl_tree_usable(leaves, t->size)) {
        t->n_leaves = leaves;
        t->n_tree_tmp = rl_tree_buffers(leaves, t->size);
        t->tree_tmp = calloc((size_t)t->n_tree_tmp, sizeof *t->tree_tmp);
        for (int i = 0; t->tree_tmp && i < t->n_tree_tmp; i++)
            if (!(t->tree_tmp[i] = malloc(t->model.layout.total * sizeof(float))))
                return rlpt_errf(err, RLPT_ENOMEM, "out of memory for the gradient tree");
        if (!t->tree_tmp) return rlpt_errf(err, RLPT_ENOMEM, "out of memory");
    } else if (leaves > 1 && rl_mpi_should_print()) {
        fprintf(stderr,
                "note: %d ranks: gradients summed by MPI_Allreduce, so weights match "
                "other rank counts to rounding, not bit for bit (that needs a power of "
                "two up to system.deterministic_ranks = %d)\n",
                t->size, leaves);
    }
    return load_datasets(t, err);
}

int rl_train(const rl_config *cfg, const char *resume_dir, rlpt_err *err) {
    rl_trainer t;
    int rc = setup(&t, cfg, err);
    rc = rl_mpi_agree(rc, err);
    long from = -1;
    if (!rc && resume_dir) {
        /* killed before the first checkpoint: start again from step 0 (initialisation and
         * data order are seeded, so the run is the same) */
        from = rl_run_latest_step(resume_dir);
        if (from >= 0)
            rc = resume(&t, resume_dir, from, err);
        else
            from = 0;
        /* a rejection stage already done left the traces later sft stages train on */
        for (int s = 0; !rc && s < t.stage; s++) {
            if (strcmp(cfg->pipeline.v[s], "rejection") != 0) continue;
            char path[4200];
            if (cfg->rejection.out[0])
                snprintf(path, sizeof path, "%s", cfg->rejection.out);
            else
                snprintf(path, sizeof path, "%s/rejection.jsonl", resume_dir);
            rl_dataset_free(&t.sft);
            rc = rl_dataset_load(&t.sft, path, RL_DATA_JSONL, cfg->data.prompt_key, "", 1, err);
        }
        rc = rl_mpi_agree(rc, err);
    }
    if (!rc) rc = rl_mpi_agree(rl_run_open(&t.run, cfg, resume_dir != NULL, from, err), err);
    t.t_start = rl_now();
    for (; !rc && t.stage < cfg->pipeline.n; t.stage++, t.stage_step = 0) {
        const char *stage = cfg->pipeline.v[t.stage];
        /* each stage starts a fresh AdamW, as a separate SFT or GRPO run would (a resumed
         * stage keeps the moments of its checkpoint) */
        if (t.stage_step == 0 && t.opt.n > 0) {
            memset(t.opt.m, 0, t.opt.n * sizeof(float));
            memset(t.opt.v, 0, t.opt.n * sizeof(float));
            t.opt.t = 0;
        }
        if (strcmp(stage, "sft") == 0) {
            rc = rl_sft_stage(&t, err);
        } else if (strcmp(stage, "grpo") == 0) {
            rc = rl_grpo_stage(&t, err);
        } else if (strcmp(stage, "eval") == 0) {
            double acc;
            rc = rl_evaluate(&t, "eval", &acc, err);
        } else if (strcmp(stage, "rejection") == 0) {
            rc = rl_rejection_stage(&t, err);
            if (!rc) { /* a completed stage is a checkpoint, so a resume does not redo it */
                t.stage++;
                rc = rl_trainer_checkpoint(&t, err);
                t.stage--;
            }
        } else {
            rc = rlpt_errf(err, RLPT_EINTERNAL, "train: unknown stage '%s'", stage);
        }
    }
    /* the trained model for users, in model.dtype_save (checkpoints stay fp32 for resume) */
    char final[4400];
    snprintf(final, sizeof final, "%s/final", t.run.dir);
    if (!rc && t.opt.n > 0 && t.run.writer)
        rc = save_hf(&t, final,
                     cfg->model.dtype_save == RL_DTYPE_BF16 ? POLICY_DTYPE_BF16 : POLICY_DTYPE_F32,
                     err);
    if (t.opt.n > 0) rc = rl_mpi_agree(rc, err);
    if (!rc && rl_mpi_should_print())
        fprintf(stderr, "rlpt: done after %ld steps in %.1f s; run directory %s%s\n", t.step,
                rl_now() - t.t_start, t.run.dir, t.opt.n > 0 ? ", trained model in final/" : "");
    trainer_free(&t);
    return rc;
}
