/* rollout/rollout.h: the rollout module's public interface: prompts in, groups of sampled
 * completions with their behaviour log-probabilities out, on one rank (rollout_generate) or
 * spread over MPI ranks (rollout_generate_mpi). Knows the model (policy/), not the rewards.
 *
 * Reproducibility: every random draw is a counter-based function (Philox4x32-10) of
 * (seed, step, prompt id, sample index, position), and every row of the generation forward pass
 * is computed by kernels whose result for one sequence does not depend on which other sequences
 * share the batch, on the batch size or on the thread count (rollout/matmul.c). So the same
 * prompts give the same completions, bit for bit, whatever rollout.batch_size, slot order or
 * number of MPI ranks.
 *
 * Behaviour log-probabilities: logprobs[t] = log_softmax(z / T)[ids[t]] over the WHOLE
 * vocabulary, where z are the logits the sampler saw (after repetition/presence penalties) and
 * T the temperature (T = 1 for greedy). Truncation (top-k, top-p, min-p) decides which tokens
 * may be drawn but does not renormalise the reported log-probability, so that with penalties
 * off it is what the trainer's full forward at the same temperature recomputes. */
#ifndef ROLLOUT_H
#define ROLLOUT_H

#include <mpi.h>
#include <stddef.h>
#include <stdint.h>

#include "policy.h"

/* ---- randomness (rollout/philox.c) ------------------------------------------------------- */

/* Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC 2011):
 * out = the 10-round bijection of ctr under key. Matches Random123's known-answer vectors. */
void rollout_philox4x32(uint32_t out[4], const uint32_t ctr[4], const uint32_t key[2]);

/* The uniform draw in [0, 1) (53 bits) of one sampling decision. key = seed; counter =
 * (position, sample index, prompt id, step), each taken modulo 2^32. */
double rollout_uniform(uint64_t seed, uint64_t step, uint64_t prompt_id, uint32_t sample,
                       uint32_t position);

/* ---- sampling (rollout/sampler.c) --------------------------------------------------------- */

/* The names and meanings of the YAML keys under rollout.* (rl/config_schema.c). */
typedef struct rollout_sampling {
    float temperature;        /* 0 = greedy (argmax, lowest id on ties) */
    int top_k;                /* keep the k most likely tokens; 0 = off */
    float top_p;              /* keep the smallest most-likely set of mass >= top_p; 1 = off */
    float min_p;              /* drop tokens below min_p * the top probability; 0 = off */
    float repetition_penalty; /* seen tokens (prompt and completion): z > 0 ? z/r : z*r; 1 = off */
    float presence_penalty;   /* subtracted from tokens already generated; 0 = off */
} rollout_sampling;

/* Default: temperature 1, no truncation, no penalties. */
void rollout_sampling_default(rollout_sampling *s);
/* Range checks (temperature >= 0, top_p in (0,1], min_p in [0,1), penalties finite and
 * repetition_penalty > 0); the message names the flag/key. */
int rollout_sampling_check(const rollout_sampling *s, rlpt_err *err);

/* Scratch for rollout_sampler_pick: V floats and V ints. */
typedef struct rollout_sampler_work {
    float *z;
    double *e; /* exp(z - max z), computed once per token */
    int *idx;
    int V;
} rollout_sampler_work;

int rollout_sampler_work_init(rollout_sampler_work *w, int V, rlpt_err *err);
void rollout_sampler_work_free(rollout_sampler_work *w);

/* Picks a token from logits (V) with the uniform draw u in [0, 1). seen (V) or NULL: bit 1 =
 * the token is in the prompt, bit 2 = it has been generated (for the penalties). *logprob gets
 * the behaviour log-probability (see the top of this header). The candidates are ordered by
 * (probability desc, id asc) when truncating and by id otherwise, and the token is the first
 * whose cumulative probability exceeds u, so the pick is a pure function of the inputs. */
int rollout_sampler_pick(const float *logits, const uint8_t *seen, const rollout_sampling *s,
                         double u, rollout_sampler_work *w, float *logprob);

enum { ROLLOUT_SEEN_PROMPT = 1, ROLLOUT_SEEN_OUTPUT = 2 };

/* ---- generation (rollout/kv_cache.c, forward.c, generate.c) ------------------------------- */

typedef struct rollout_config {
    rollout_sampling sampling;
    int max_new_tokens; /* completion length cap (>= 1) */
    int batch_size;     /* sequences decoded at once = KV cache slots (>= 1) */
    int n;              /* samples per prompt, G (>= 1) */
    uint64_t seed;
    const char *const *stop; /* stop strings (need a tokenizer), n_stop of them */
    int n_stop;
    const int32_t *stop_ids; /* extra stop token ids; the model's eos_token_id always stop */
    int n_stop_ids;
    int max_prompt_tokens; /* longest prompt the KV cache must hold */
} rollout_config;

/* Default: default sampling, 256 new tokens, batch 32, n 1, seed 0, no stop strings. */
void rollout_config_default(rollout_config *c);

typedef struct rollout_prompt {
    const int32_t *ids; /* the prompt's tokens (rendered and tokenized by the caller) */
    int n_ids;          /* >= 1 */
    uint64_t id;        /* the prompt id of the random stream (e.g. its dataset index) */
} rollout_prompt;

enum {
    ROLLOUT_FINISH_LENGTH = 0, /* max_new_tokens, or the model's max_position_embeddings */
    ROLLOUT_FINISH_STOP_ID,    /* a stop token id (EOS): it is the last of ids */
    ROLLOUT_FINISH_STOP_STRING /* text contains a stop string; ids end with the token that
                                  completed it, text ends right after it */
};

/* One completion. Owned by whoever called rollout_generate*; free with rollout_samples_free. */
typedef struct rollout_sample {
    int prompt;      /* index in the prompts array passed in */
    int index;       /* sample index in the group, 0 .. n-1 */
    int32_t *ids;    /* n_ids completion tokens (the prompt is not repeated) */
    float *logprobs; /* n_ids behaviour log-probabilities */
    int n_ids;
    char *text; /* decoded completion, NUL-terminated; NULL without a tokenizer. A final
                   stop token id is not decoded; after a stop string nothing is kept */
    size_t text_len;
    int finish; /* ROLLOUT_FINISH_* */
} rollout_sample;

void rollout_samples_free(rollout_sample *s, size_t n); /* frees the contents; NULL is a no-op */

typedef struct rollout_engine rollout_engine; /* opaque */

/* An engine generating from model m (read, never written: the trainer may update the weights
 * between calls) with tokenizer tok (may be NULL when cfg has no stop strings and no text is
 * wanted). Allocates the KV cache of cfg->batch_size slots x (max_prompt_tokens +
 * max_new_tokens, at most max_position_embeddings) positions; its size is checked against the
 * memory available first and refused with the figure and the knob to lower (RLPT_ENOMEM).
 * Generation runs on the model's thread pool (policy_pool), one per process; threads > 0 sets
 * its size for the whole process (policy_threads_set), 0 keeps it (policy_blas_set_threads, or
 * OpenBLAS's thread count). *out is NULL on error. m, tok and the strings of cfg must outlive the
 * engine. */
int rollout_engine_init(rollout_engine **out, const policy_model *m, const policy_tokenizer *tok,
                        const rollout_config *cfg, int threads, rlpt_err *err);
void rollout_engine_free(rollout_engine *e); /* NULL is a no-op */
/* The engine's settings (a copy of what init was given). */
const rollout_config *rollout_engine_config(const rollout_engine *e);

/* Bytes of the KV cache (and per-slot state) an engine for cfg would allocate, without
 * allocating; 0 when the size overflows. */
size_t rollout_kv_bytes(const policy_config *mc, const rollout_config *cfg);

/* Generates cfg->n samples for each prompt. out (n_prompts * n entries, caller-allocated)
 * receives sample j of prompt i at out[i * n + j]. step keys the random stream. Prompts are
 * admitted in order into free slots (continuous batching: a finished sequence's slot takes the
 * next waiting sample at once); the n samples of a prompt share one prefill. A prompt longer
 * than max_prompt_tokens or with ids outside the vocabulary is RLPT_EINVAL naming it. On error
 * out is left zeroed. */
int rollout_generate(rollout_engine *e, const rollout_prompt *prompts, int n_prompts, uint64_t step,
                     rollout_sample *out, rlpt_err *err);

/* Statistics of the last rollout_generate call. */
typedef struct rollout_stats {
    long prompt_tokens, new_tokens; /* rows prefilled, tokens sampled */
    long forward_calls;             /* batched forward passes */
    double seconds;
} rollout_stats;
void rollout_engine_stats(const rollout_engine *e, rollout_stats *st);

/* Logits (V) at the last position of ids[0..n) through the engine's generation path
 * (prefill of n-1 tokens into slot 0, then one cached decode step). For tests and tools. */
int rollout_engine_logits(rollout_engine *e, const int32_t *ids, int n, float *logits,
                          rlpt_err *err);

/* ---- MPI rollout workers (rollout/workers.c) ------------------------------------------------ */

/* Prompt i of the step belongs to rank i % size (a group never spans ranks). */
static inline int rollout_prompt_rank(int i, int size) {
    return i % size;
}

/* Collective over comm: every rank passes the SAME prompts of the step; each generates the
 * prompts it owns (rollout_prompt_rank), then the status of every rank is agreed (an error on
 * one rank makes every rank return RLPT_EMPI, or its own error, without hanging), then the
 * samples are gathered: root >= 0 gathers all n_prompts * n samples at out on that rank (other
 * ranks get only their own); root < 0 gathers them on every rank. out (n_prompts * n entries,
 * caller-allocated) is indexed as in rollout_generate; entries of prompts not present on this
 * rank are left zeroed (ids NULL). Each rank's engine must have the same config. */
int rollout_generate_mpi(rollout_engine *e, MPI_Comm comm, const rollout_prompt *prompts,
                         int n_prompts, uint64_t step, int root, rollout_sample *out,
                         rlpt_err *err);

#endif
