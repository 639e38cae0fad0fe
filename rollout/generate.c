/* rollout/generate.c: the generation engine: prompts in, n sampled completions each out, over
 * batch_size KV-cache slots with continuous batching (a finished sequence's slot takes the
 * next waiting sample before the next forward pass), batched and chunked prefill mixed with
 * decode rows in one forward pass, the n samples of a prompt sharing its prefill (its cached
 * keys/values and first-token logits are copied, not recomputed), stop token ids, stop strings
 * matched on decoded text across token boundaries, max_new_tokens. Leaves out speculative
 * decoding and prefix caching across prompts. Reference: vLLM's scheduler (continuous
 * batching, mixed prefill/decode batches); transformers generate()'s stopping criteria
 * (StopStringCriteria checks decoded text). */
#define _POSIX_C_SOURCE 200809L
#include "internal.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PREFILL_CHUNK 256 /* prompt rows per forward pass beside the decode rows */
#define MAX_STOP_IDS  32

enum { SLOT_FREE, SLOT_PREFILL, SLOT_WAIT, SLOT_DECODE };

typedef struct slot_state {
    int state;
    int prompt, sample; /* what the slot generates */
    int n_prompt, fed;  /* prompt tokens, and how many are in the cache (PREFILL) */
    int n_out;          /* tokens generated */
    int32_t *ids;       /* max_new_tokens */
    float *lp;          /* max_new_tokens */
    uint8_t *seen;      /* V, when penalties are on */
} slot_state;

struct rollout_engine {
    const policy_model *m;
    const policy_tokenizer *tok;
    rollout_config cfg;
    int B, R, Tcap, V;
    rlpt_pool *pool; /* the model's (policy_pool) */
    rollout_kv kv;
    rollout_fwd fwd;
    rollout_sampler_work sw;
    int *row_tok, *row_slot, *row_pos, *logit_rows, *logit_slot;
    slot_state *slots;
    uint8_t *seen;                           /* B * V or NULL */
    float *store_k, *store_v, *store_logits; /* one prompt's prefill (n > 1) */
    int stop_ids[MAX_STOP_IDS], n_stop_ids;
    int max_stop_len;
    rollout_stats stats;
};

void rollout_config_default(rollout_config *c) {
    memset(c, 0, sizeof *c);
    rollout_sampling_default(&c->sampling);
    c->max_new_tokens = 256;
    c->batch_size = 32;
    c->n = 1;
    c->max_prompt_tokens = 512;
}

static int tcap_of(const policy_config *mc, const rollout_config *cfg) {
    long t = (long)cfg->max_prompt_tokens + cfg->max_new_tokens;
    return t < mc->max_pos ? (int)t : mc->max_pos;
}

static int penalties_on(const rollout_config *cfg) {
    return cfg->sampling.repetition_penalty != 1.0f || cfg->sampling.presence_penalty != 0.0f;
}

/* Everything but the cache itself: work space, per-slot outputs, prefill store. */
static size_t extra_bytes(const policy_config *mc, const rollout_config *cfg) {
    int B = cfg->batch_size, R = B + PREFILL_CHUNK, Tcap = tcap_of(mc, cfg);
    size_t KD = (size_t)mc->KVH * mc->D;
    size_t n = rollout_fwd_size(mc, R, B, Tcap);
    n += (size_t)B * cfg->max_new_tokens * (sizeof(int32_t) + sizeof(float));
    n += (size_t)R * 3 * sizeof(int) + (size_t)B * 2 * sizeof(int);
    n += (size_t)mc->V * (sizeof(float) + sizeof(double) + sizeof(int)); /* sampler */
    if (penalties_on(cfg)) n += (size_t)B * mc->V;
    if (cfg->n > 1) n += ((size_t)2 * mc->L * cfg->max_prompt_tokens * KD + mc->V) * sizeof(float);
    return n;
}

size_t rollout_kv_bytes(const policy_config *mc, const rollout_config *cfg) {
    size_t kv = rollout_kv_size(mc->L, cfg->batch_size, tcap_of(mc, cfg), mc->KVH * mc->D);
    size_t ex = extra_bytes(mc, cfg);
    return kv == 0 || kv > SIZE_MAX - ex ? 0 : kv + ex;
}

static int check_config(const policy_config *mc, const rollout_config *cfg,
                        const policy_tokenizer *tok, rlpt_err *err) {
    int rc = rollout_sampling_check(&cfg->sampling, err);
    if (rc) return rc;
    if (cfg->max_new_tokens < 1)
        return rlpt_errf(err, RLPT_EINVAL, "max_new_tokens must be >= 1, got %d",
                         cfg->max_new_tokens);
    if (cfg->batch_size < 1 || cfg->batch_size > 65536)
        return rlpt_errf(err, RLPT_EINVAL, "batch_size must be in 1..65536, got %d",
                         cfg->batch_size);
    if (cfg->n < 1 || cfg->n > 65536)
        return rlpt_errf(err, RLPT_EINVAL, "n (samples per prompt) must be in 1..65536, got %d",
                         cfg->n);
    if (cfg->max_prompt_tokens < 1 || cfg->max_prompt_tokens >= mc->max_pos)
        return rlpt_errf(err, RLPT_EINVAL,
                         "prompts of %d tokens leave no room to generate: the model's "
                         "max_position_embeddings is %d",
                         cfg->max_prompt_tokens, mc->max_pos);
    if (mc->sliding_window && tcap_of(mc, cfg) > mc->sliding_window)
        return rlpt_errf(err, RLPT_EINVAL,
                         "prompts of up to %d tokens plus %d new ones pass the model's "
                         "sliding_window of %d, which rlpt does not implement (full attention "
                         "would be wrong past it); lower the prompt or generation length",
                         cfg->max_prompt_tokens, cfg->max_new_tokens, mc->sliding_window);
    if (cfg->n_stop > 0 && !tok)
        return rlpt_errf(err, RLPT_EINVAL,
                         "stop strings need the model's tokenizer (tokenizer.json beside the "
                         "weights) to decode text");
    for (int i = 0; i < cfg->n_stop; i++)
        if (!cfg->stop[i] || !cfg->stop[i][0])
            return rlpt_errf(err, RLPT_EINVAL, "stop string %d is empty", i + 1);
    if (cfg->n_stop_ids + POLICY_MAX_EOS + 1 > MAX_STOP_IDS)
        return rlpt_errf(err, RLPT_EINVAL, "at most %d stop token ids, got %d",
                         MAX_STOP_IDS - POLICY_MAX_EOS - 1, cfg->n_stop_ids);
    for (int i = 0; i < cfg->n_stop_ids; i++)
        if (cfg->stop_ids[i] < 0 || cfg->stop_ids[i] >= mc->V)
            return rlpt_errf(err, RLPT_EINVAL, "stop token id %d is not in 0..%d",
                             (int)cfg->stop_ids[i], mc->V - 1);
    return 0;
}

static void add_stop_id(rollout_engine *e, int id) {
    if (id < 0 || id >= e->V) return;
    for (int i = 0; i < e->n_stop_ids; i++)
        if (e->stop_ids[i] == id) return;
    e->stop_ids[e->n_stop_ids++] = id;
}

int rollout_engine_init(rollout_engine **out, const policy_model *m, const policy_tokenizer *tok,
                        const rollout_config *cfg, int threads, rlpt_err *err) {
    *out = NULL;
    const policy_config *mc = &m->cfg;
    int rc = check_config(mc, cfg, tok, err);
    if (rc) return rc;
    rollout_engine *e = calloc(1, sizeof *e);
    if (!e) return rlpt_errf(err, RLPT_ENOMEM, "out of memory for the generation engine");
    e->m = m;
    e->tok = tok;
    e->cfg = *cfg;
    e->B = cfg->batch_size;
    e->R = e->B + PREFILL_CHUNK;
    e->Tcap = tcap_of(mc, cfg);
    e->V = mc->V;
    if (threads > 0 && threads != policy_threads()) policy_threads_set(threads);
    int KD = mc->KVH * mc->D;
    if ((rc = rollout_kv_init(&e->kv, mc->L, e->B, e->Tcap, mc->KVH, mc->D, extra_bytes(mc, cfg),
                              err)))
        goto fail;
    e->pool = policy_pool();
    if ((rc = rollout_fwd_init(&e->fwd, mc, e->R, e->B, e->Tcap, err))) goto fail;
    if ((rc = rollout_sampler_work_init(&e->sw, e->V, err))) goto fail;
    e->row_tok = malloc((size_t)e->R * sizeof(int));
    e->row_slot = malloc((size_t)e->R * sizeof(int));
    e->row_pos = malloc((size_t)e->R * sizeof(int));
    e->logit_rows = malloc((size_t)e->B * sizeof(int));
    e->logit_slot = malloc((size_t)e->B * sizeof(int));
    e->slots = calloc((size_t)e->B, sizeof *e->slots);
    if (!e->row_tok || !e->row_slot || !e->row_pos || !e->logit_rows || !e->logit_slot || !e->slots)
        goto oom;
    if (penalties_on(cfg) && !(e->seen = malloc((size_t)e->B * e->V))) goto oom;
    for (int s = 0; s < e->B; s++) {
        e->slots[s].ids = malloc((size_t)cfg->max_new_tokens * sizeof(int32_t));
        e->slots[s].lp = malloc((size_t)cfg->max_new_tokens * sizeof(float));
        if (!e->slots[s].ids || !e->slots[s].lp) goto oom;
        if (e->seen) e->slots[s].seen = e->seen + (size_t)s * e->V;
    }
    if (cfg->n > 1) {
        size_t n = (size_t)mc->L * cfg->max_prompt_tokens * KD;
        e->store_k = malloc(n * sizeof(float));
        e->store_v = malloc(n * sizeof(float));
        e->store_logits = malloc((size_t)e->V * sizeof(float));
        if (!e->store_k || !e->store_v || !e->store_logits) goto oom;
    }
    for (int i = 0; i < mc->n_eos; i++) add_stop_id(e, mc->eos_ids[i]);
    if (tok) add_stop_id(e, policy_tokenizer_eos_id(tok));
    for (int i = 0; i < cfg->n_stop_ids; i++) add_stop_id(e, cfg->stop_ids[i]);
    for (int i = 0; i < cfg->n_stop; i++) {
        size_t n = strlen(cfg->stop[i]);
        if (n > 4096) {
            rc = rlpt_errf(err, RLPT_EINVAL, "stop string %d is %zu bytes long (at most 4096)",
                           i + 1, n);
            goto fail;
        }
        if ((int)n > e->max_stop_len) e->max_stop_len = (int)n;
    }
    *out = e;
    return 0;
oom:
    rc = rlpt_errf(err, RLPT_ENOMEM, "out of memory setting up generation for %d slots",
                   cfg->batch_size);
fail:
    rollout_engine_free(e);
    return rc;
}

void rollout_engine_free(rollout_engine *e) {
    if (!e) return;
    rollout_kv_free(&e->kv);
    rollout_fwd_free(&e->fwd);
    rollout_sampler_work_free(&e->sw);
    if (e->slots)
        for (int s = 0; s < e->B; s++) {
            free(e->slots[s].ids);
            free(e->slots[s].lp);
        }
    free(e->slots);
    free(e->seen);
    free(e->row_tok);
    free(e->row_slot);
    free(e->row_pos);
    free(e->logit_rows);
    free(e->logit_slot);
    free(e->store_k);
    free(e->store_v);
    free(e->store_logits);
    free(e);
}

const rollout_config *rollout_engine_config(const rollout_engine *e) {
    return &e->cfg;
}

void rollout_engine_stats(const rollout_engine *e, rollout_stats *st) {
    *st = e->stats;
}

void rollout_samples_free(rollout_sample *s, size_t n) {
    if (!s) return;
    for (size_t i = 0; i < n; i++) {
        free(s[i].ids);
        free(s[i].logprobs);
        free(s[i].text);
        memset(&s[i], 0, sizeof s[i]);
    }
}

/* ---- text ---------------------------------------------------------------------------------- */

/* Decodes ids, leaving out ids the tokenizer does not know (models pad their vocabulary). */
static int decode(const rollout_engine *e, const int32_t *ids, int n, char **text, size_t *len,
                  rlpt_err *err) {
    int32_t tv = policy_tokenizer_vocab_size(e->tok);
    int32_t *keep = malloc(((size_t)n + 1) * sizeof *keep);
    if (!keep) return rlpt_errf(err, RLPT_ENOMEM, "out of memory decoding a completion");
    int k = 0;
    for (int i = 0; i < n; i++)
        if (ids[i] >= 0 && ids[i] < tv) keep[k++] = ids[i];
    int rc = policy_tokenizer_decode(e->tok, keep, (size_t)k, 0, text, len, err);
    free(keep);
    return rc;
}

/* The first byte past the earliest stop string in text[0..n), or 0 when none occurs. */
static size_t stop_end(const rollout_engine *e, const char *text, size_t n) {
    size_t best = 0, best_at = (size_t)-1;
    for (int i = 0; i < e->cfg.n_stop; i++) {
        const char *s = e->cfg.stop[i];
        size_t m = strlen(s);
        for (size_t at = 0; at + m <= n && at < best_at; at++)
            if (memcmp(text + at, s, m) == 0) {
                if (at < best_at || at + m < best) {
                    best_at = at;
                    best = at + m;
                }
                break;
            }
    }
    return best;
}

/* Did the newest token complete a stop string? The tail of the completion is decoded: a
 * window of max_stop_len + 4 tokens spans at least that many bytes (a token is at least one
 * byte), so a stop string ending in the newest token lies inside it. */
static int stop_string_hit(const rollout_engine *e, const slot_state *sl, rlpt_err *err, int *hit) {
    *hit = 0;
    int w = e->max_stop_len + 4;
    int from = sl->n_out > w ? sl->n_out - w : 0;
    char *text = NULL;
    size_t len = 0;
    int rc = decode(e, sl->ids + from, sl->n_out - from, &text, &len, err);
    if (rc) return rc;
    *hit = stop_end(e, text, len) > 0;
    free(text);
    return 0;
}

/* ---- the engine loop ------------------------------------------------------------------------ */

typedef struct gen_run {
    const rollout_prompt *prompts;
    int n_prompts;
    uint64_t step;
    rollout_sample *out;
    int next, total, done;
    unsigned char *prefilled; /* per prompt */
} gen_run;

static int is_stop_id(const rollout_engine *e, int id) {
    for (int i = 0; i < e->n_stop_ids; i++)
        if (e->stop_ids[i] == id) return 1;
    return 0;
}

/* Moves a finished slot's completion to its output entry and frees the slot. */
static int finish(rollout_engine *e, gen_run *g, slot_state *sl, int why, rlpt_err *err) {
    rollout_sample *o = &g->out[(size_t)sl->prompt * e->cfg.n + sl->sample];
    o->prompt = sl->prompt;
    o->index = sl->sample;
    o->n_ids = sl->n_out;
    o->finish = why;
    o->ids = malloc((size_t)sl->n_out * sizeof *o->ids);
    o->logprobs = malloc((size_t)sl->n_out * sizeof *o->logprobs);
    if (!o->ids || !o->logprobs)
        return rlpt_errf(err, RLPT_ENOMEM, "out of memory storing a completion");
    memcpy(o->ids, sl->ids, (size_t)sl->n_out * sizeof *o->ids);
    memcpy(o->logprobs, sl->lp, (size_t)sl->n_out * sizeof *o->logprobs);
    if (e->tok) {
        int n_text = sl->n_out - (why == ROLLOUT_FINISH_STOP_ID ? 1 : 0);
        int rc = decode(e, sl->ids, n_text, &o->text, &o->text_len, err);
        if (rc) return rc;
        if (why == ROLLOUT_FINISH_STOP_STRING) {
            size_t end = stop_end(e, o->text, o->text_len);
            if (end > 0) {
                o->text[end] = '\0';
                o->text_len = end;
            }
        }
    }
    sl->state = SLOT_FREE;
    g->done++;
    return 0;
}

/* Samples the next token of slot sl from logits and decides whether it is finished. */
static int sample_next(rollout_engine *e, gen_run *g, slot_state *sl, const float *logits,
                       rlpt_err *err) {
    const rollout_prompt *p = &g->prompts[sl->prompt];
    double u =
        rollout_uniform(e->cfg.seed, g->step, p->id, (uint32_t)sl->sample, (uint32_t)sl->n_out);
    float lp;
    int t = rollout_sampler_pick(logits, sl->seen, &e->cfg.sampling, u, &e->sw, &lp);
    sl->ids[sl->n_out] = t;
    sl->lp[sl->n_out] = lp;
    sl->n_out++;
    e->stats.new_tokens++;
    if (sl->seen) sl->seen[t] |= ROLLOUT_SEEN_OUTPUT;
    if (is_stop_id(e, t)) return finish(e, g, sl, ROLLOUT_FINISH_STOP_ID, err);
    if (e->cfg.n_stop > 0) {
        int hit, rc = stop_string_hit(e, sl, err, &hit);
        if (rc) return rc;
        if (hit) return finish(e, g, sl, ROLLOUT_FINISH_STOP_STRING, err);
    }
    if (sl->n_out >= e->cfg.max_new_tokens || sl->n_prompt + sl->n_out >= e->Tcap)
        return finish(e, g, sl, ROLLOUT_FINISH_LENGTH, err);
    sl->state = SLOT_DECODE;
    return 0;
}

static void slot_start(rollout_engine *e, gen_run *g, slot_state *sl, int q) {
    int p = q / e->cfg.n;
    sl->prompt = p;
    sl->sample = q % e->cfg.n;
    sl->n_prompt = g->prompts[p].n_ids;
    sl->fed = 0;
    sl->n_out = 0;
    if (sl->seen) {
        memset(sl->seen, 0, (size_t)e->V);
        for (int i = 0; i < sl->n_prompt; i++)
            sl->seen[g->prompts[p].ids[i]] |= ROLLOUT_SEEN_PROMPT;
    }
}

static void store_put(rollout_engine *e, int s, int n, const float *logits) {
    rollout_kv_save(&e->kv, s, n, e->store_k, e->store_v,
                    (size_t)e->cfg.max_prompt_tokens * e->kv.KD);
    memcpy(e->store_logits, logits, (size_t)e->V * sizeof(float));
}

static void store_get(rollout_engine *e, int s, int n) {
    rollout_kv_load(&e->kv, s, n, e->store_k, e->store_v,
                    (size_t)e->cfg.max_prompt_tokens * e->kv.KD);
}

/* Fills free slots with the next waiting samples, in order. */
static int admit(rollout_engine *e, gen_run *g, rlpt_err *err) {
    for (int s = 0; s < e->B && g->next < g->total; s++) {
        slot_state *sl = &e->slots[s];
        if (sl->state != SLOT_FREE) continue;
        int q = g->next++;
        slot_start(e, g, sl, q);
        if (sl->sample == 0) {
            sl->state = SLOT_PREFILL;
        } else if (g->prefilled[sl->prompt]) { /* the prompt's prefill is in the store */
            store_get(e, s, sl->n_prompt);
            int rc = sample_next(e, g, sl, e->store_logits, err);
            if (rc) return rc;
            if (sl->state == SLOT_FREE) s--; /* finished at once: refill this slot */
        } else {
            sl->state = SLOT_WAIT; /* its leader's prefill is under way */
        }
    }
    return 0;
}

/* After the forward pass: samples for every row that produced logits. */
static int after_forward(rollout_engine *e, gen_run *g, int NL, rlpt_err *err) {
    for (int i = 0; i < NL; i++) {
        int s = e->logit_slot[i];
        slot_state *sl = &e->slots[s];
        const float *logits = e->fwd.logits + (size_t)i * e->V;
        int rc;
        if (sl->state == SLOT_PREFILL) {
            int p = sl->prompt;
            g->prefilled[p] = 1;
            for (int w = 0; w < e->B; w++) { /* siblings waiting for this prefill */
                slot_state *ws = &e->slots[w];
                if (ws->state != SLOT_WAIT || ws->prompt != p) continue;
                rollout_kv_copy(&e->kv, w, s, sl->n_prompt);
                if ((rc = sample_next(e, g, ws, logits, err))) return rc;
            }
            if (g->next < g->total && g->next / e->cfg.n == p)
                store_put(e, s, sl->n_prompt, logits);
        }
        if ((rc = sample_next(e, g, sl, logits, err))) return rc;
    }
    return 0;
}

static int check_prompts(const rollout_engine *e, const rollout_prompt *prompts, int n,
                         rlpt_err *err) {
    for (int i = 0; i < n; i++) {
        const rollout_prompt *p = &prompts[i];
        if (p->n_ids < 1)
            return rlpt_errf(err, RLPT_EINVAL, "prompt %d is empty (at least one token, e.g. BOS)",
                             i);
        if (p->n_ids > e->cfg.max_prompt_tokens)
            return rlpt_errf(err, RLPT_EINVAL,
                             "prompt %d has %d tokens, more than the %d the KV cache was sized "
                             "for (max_prompt_tokens)",
                             i, p->n_ids, e->cfg.max_prompt_tokens);
        for (int t = 0; t < p->n_ids; t++)
            if (p->ids[t] < 0 || p->ids[t] >= e->V)
                return rlpt_errf(err, RLPT_EINVAL, "prompt %d: token %d is id %d, not in 0..%d", i,
                                 t, (int)p->ids[t], e->V - 1);
    }
    return 0;
}

int rollout_generate(rollout_engine *e, const rollout_prompt *prompts, int n_prompts, uint64_t step,
                     rollout_sample *out, rlpt_err *err) {
    int n = e->cfg.n;
    if (n_prompts < 0 || (size_t)n_prompts > (size_t)INT32_MAX / (size_t)n)
        return rlpt_errf(err, RLPT_EINVAL, "%d prompts x %d samples is too many", n_prompts, n);
    memset(out, 0, (size_t)n_prompts * n * sizeof *out);
    int rc = check_prompts(e, prompts, n_prompts, err);
    if (rc) return rc;
    memset(&e->stats, 0, sizeof e->stats);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    gen_run g = {prompts, n_prompts, step, out, 0, n_prompts * n, 0, NULL};
    g.prefilled = calloc((size_t)n_prompts + 1, 1);
    if (!g.prefilled) return rlpt_errf(err, RLPT_ENOMEM, "out of memory for %d prompts", n_prompts);
    for (int s = 0; s < e->B; s++) e->slots[s].state = SLOT_FREE;
    while (g.done < g.total) {
        if ((rc = admit(e, &g, err))) goto fail;
        if (g.done == g.total) break;
        int N = 0, NL = 0;
        for (int s = 0; s < e->B; s++) { /* decode rows: the last token in, the next out */
            slot_state *sl = &e->slots[s];
            if (sl->state != SLOT_DECODE) continue;
            e->row_tok[N] = sl->ids[sl->n_out - 1];
            e->row_slot[N] = s;
            e->row_pos[N] = sl->n_prompt + sl->n_out - 1;
            e->logit_slot[NL] = s;
            e->logit_rows[NL++] = N++;
        }
        for (int s = 0; s < e->B && N < e->R; s++) { /* prefill rows, chunked to fit */
            slot_state *sl = &e->slots[s];
            if (sl->state != SLOT_PREFILL) continue;
            const int32_t *ids = prompts[sl->prompt].ids;
            int c = sl->n_prompt - sl->fed;
            if (c > e->R - N) c = e->R - N;
            for (int i = 0; i < c; i++, N++) {
                e->row_tok[N] = ids[sl->fed + i];
                e->row_slot[N] = s;
                e->row_pos[N] = sl->fed + i;
            }
            sl->fed += c;
            e->stats.prompt_tokens += c;
            if (sl->fed == sl->n_prompt) {
                e->logit_slot[NL] = s;
                e->logit_rows[NL++] = N - 1;
            }
        }
        if (N == 0) {
            rc = rlpt_errf(err, RLPT_EINTERNAL, "generation stalled with %d of %d samples done",
                           g.done, g.total);
            goto fail;
        }
        rollout_forward(e->m, e->pool, &e->kv, &e->fwd, e->row_tok, e->row_slot, e->row_pos, N,
                        e->logit_rows, NL);
        e->stats.forward_calls++;
        if ((rc = after_forward(e, &g, NL, err))) goto fail;
    }
    free(g.prefilled);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    e->stats.seconds = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    return 0;
fail:
    free(g.prefilled);
    rollout_samples_free(out, (size_t)n_prompts * n);
    return rc;
}

int rollout_engine_logits(rollout_engine *e, const int32_t *ids, int n, float *logits,
                          rlpt_err *err) {
    if (n < 1 || n > e->Tcap)
        return rlpt_errf(err, RLPT_EINVAL, "%d tokens: need 1 .. %d", n, e->Tcap);
    for (int t = 0; t < n; t++)
        if (ids[t] < 0 || ids[t] >= e->V)
            return rlpt_errf(err, RLPT_EINVAL, "token %d is id %d, not in 0..%d", t, (int)ids[t],
                             e->V - 1);
    for (int t0 = 0; t0 < n - 1; t0 += e->R) { /* prefill n-1 tokens in chunks */
        int c = n - 1 - t0 < e->R ? n - 1 - t0 : e->R;
        for (int i = 0; i < c; i++) {
            e->row_tok[i] = ids[t0 + i];
            e->row_slot[i] = 0;
            e->row_pos[i] = t0 + i;
        }
        rollout_forward(e->m, e->pool, &e->kv, &e->fwd, e->row_tok, e->row_slot, e->row_pos, c,
                        NULL, 0);
    }
    int row = 0;
    e->row_tok[0] = ids[n - 1];
    e->row_slot[0] = 0;
    e->row_pos[0] = n - 1;
    rollout_forward(e->m, e->pool, &e->kv, &e->fwd, e->row_tok, e->row_slot, e->row_pos, 1, &row,
                    1);
    memcpy(logits, e->fwd.logits, (size_t)e->V * sizeof(float));
    return 0;
}
