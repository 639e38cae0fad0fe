/* tests/rollout/test_generate.c: the generation engine against references.
 * - Cached path vs full forward: logits of rollout_engine_logits (prefill into the KV cache,
 *   then one cached decode step) against policy_forward of the same sequence (OpenBLAS path)
 *   for every prefix of a sequence, on the reference configs and the real checkpoints.
 *   Tolerance |got - want| <= 1e-4 + 1e-4 |want| (seen: at most 1.3e-5, printed).
 * - Greedy generation against the PyTorch reference with a KV cache
 *   (tests/reference/rollout/make_fixtures.py -> tests/data/rollout/greedy.jsonl): token for
 *   token, log-probabilities within 1e-4 (seen: at most 8e-6, printed), and on the pretrained
 *   TinyStories checkpoint the decoded text byte for byte.
 * - Reproducibility: sampled completions identical in every bit across batch sizes 1, 2, 5
 *   and 16 (continuous batching reorders slots) and thread counts; sample j of a prompt is
 *   the same with n = 2 and n = 5 (the samples share one prefill).
 * - Stops: a stop string spanning two tokens; a stop token id; max_new_tokens.
 * - Refusals: a KV cache larger than memory names the bytes and the knob; bad prompts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rlpt_io.h"
#include "rollout.h"
#include "test_util.h"

#define MODELS SRC("tests/data/models/")

static const char *const model_names[] = {"ref-llama", "ref-odd", "ref-qwen2",
                                          "ferrl-tiny-llama-random", "tinystories-656k-llama"};

static void load_model(policy_model *m, const char *name) {
    char dir[512];
    snprintf(dir, sizeof dir, "%s%s", MODELS, name);
    rlpt_err err;
    if (policy_model_load(m, dir, &err)) fail_msg("%s: %s", dir, err.msg);
}

/* TinyStories' own tokenizer.json is SentencePiece-style, which policy/ does not read yet; its
 * byte-level form (tests/reference/rollout/make_bytelevel_tokenizer.py) decodes the same ids to
 * the same text. */
static policy_tokenizer *load_tok(void) {
    const char *dir = SRC("tests/data/rollout/tinystories-bytelevel");
    rlpt_err err;
    policy_tokenizer *tok = NULL;
    if (policy_tokenizer_load(&tok, dir, &err)) fail_msg("%s: %s", dir, err.msg);
    return tok;
}

/* logits (V) of the last position of ids through policy_forward: the final normed row times
 * the LM head, in double. */
static void full_logits(const policy_model *m, const int *ids, int n, float *logits) {
    policy_acts a;
    rlpt_err err;
    assert_int_equal(policy_acts_init(&a, &m->cfg, 1, n, 0, &err), 0);
    int *targets = malloc((size_t)n * sizeof *targets);
    float *lp = malloc((size_t)n * sizeof *lp);
    for (int i = 0; i < n; i++) targets[i] = -1;
    assert_int_equal(policy_forward(m, &a, ids, targets, lp, NULL, &err), 0);
    int C = m->cfg.C;
    const float *x = a.xnf + (size_t)(n - 1) * C;
    for (int v = 0; v < m->cfg.V; v++) {
        double s = 0.0;
        for (int c = 0; c < C; c++) s += (double)x[c] * m->p.lm_head[(size_t)v * C + c];
        logits[v] = (float)s;
    }
    free(targets);
    free(lp);
    policy_acts_free(&a);
}

static void cached_vs_full(void **state) {
    (void)state;
    for (size_t k = 0; k < sizeof model_names / sizeof *model_names; k++) {
        policy_model m;
        load_model(&m, model_names[k]);
        int T = m.cfg.max_pos < 40 ? m.cfg.max_pos : 40;
        int *ids = malloc((size_t)T * sizeof *ids);
        uint64_t x = 12345 + k;
        for (int i = 0; i < T; i++) {
            x = x * 6364136223846793005ull + 1442695040888963407ull;
            ids[i] = (int)((x >> 33) % (uint64_t)m.cfg.V);
        }
        rollout_config cfg;
        rollout_config_default(&cfg);
        cfg.batch_size = 2;
        cfg.max_prompt_tokens = T - 1;
        cfg.max_new_tokens = 1;
        rollout_engine *e;
        rlpt_err err;
        if (rollout_engine_init(&e, &m, NULL, &cfg, 2, &err)) fail_msg("%s", err.msg);
        float *got = malloc((size_t)m.cfg.V * sizeof *got), *want = malloc((size_t)m.cfg.V * 4);
        float worst = 0.0f;
        for (int n = 1; n <= T; n += (n < 4 ? 1 : 7)) {
            assert_int_equal(rollout_engine_logits(e, ids, n, got, &err), 0);
            full_logits(&m, ids, n, want);
            char what[128];
            snprintf(what, sizeof what, "%s: cached logits of %d tokens", model_names[k], n);
            assert_close_f(got, want, (size_t)m.cfg.V, 1e-4f, 1e-4f, what);
            for (int v = 0; v < m.cfg.V; v++) worst = fmaxf(worst, fabsf(got[v] - want[v]));
        }
        print_message("%-26s cached decode vs full forward: max |diff| %.2g over %d positions\n",
                      model_names[k], (double)worst, T);
        free(got);
        free(want);
        free(ids);
        rollout_engine_free(e);
        policy_model_free(&m);
    }
}

/* ---- greedy fixtures ------------------------------------------------------------------------ */

static int *json_ints(const cJSON *arr, int *n) {
    *n = cJSON_GetArraySize(arr);
    int *v = malloc(((size_t)*n + 1) * sizeof *v);
    int i = 0;
    for (const cJSON *j = arr->child; j; j = j->next) v[i++] = (int)j->valuedouble;
    return v;
}

static void greedy_vs_torch(void **state) {
    (void)state;
    char *text = NULL;
    size_t len = 0;
    rlpt_err err;
    if (rlpt_read_file(SRC("tests/data/rollout/greedy.jsonl"), 1 << 24, &text, &len, &err))
        fail_msg("%s", err.msg);
    /* group the lines by model: all prompts of a model are generated in one call */
    for (size_t k = 0; k < sizeof model_names / sizeof *model_names; k++) {
        cJSON *lines[16];
        int nl = 0;
        for (char *p = text; p && *p && nl < 16;) {
            char *nlp = strchr(p, '\n');
            if (nlp) *nlp = '\0';
            cJSON *j = cJSON_Parse(p);
            if (nlp) *nlp = '\n';
            p = nlp ? nlp + 1 : NULL;
            if (!j) continue;
            if (strcmp(cJSON_GetObjectItem(j, "model")->valuestring, model_names[k]) == 0)
                lines[nl++] = j;
            else
                cJSON_Delete(j);
        }
        assert_true(nl >= 3);
        policy_model m;
        load_model(&m, model_names[k]);
        policy_tokenizer *tok =
            strcmp(model_names[k], "tinystories-656k-llama") == 0 ? load_tok() : NULL;
        rollout_prompt prompts[16];
        int *pids[16], *want[16], n_want[16], max_new = 0, max_prompt = 0;
        for (int i = 0; i < nl; i++) {
            pids[i] = json_ints(cJSON_GetObjectItem(lines[i], "prompt"), &prompts[i].n_ids);
            prompts[i].ids = pids[i];
            prompts[i].id = (uint64_t)i;
            want[i] = json_ints(cJSON_GetObjectItem(lines[i], "ids"), &n_want[i]);
            max_new = n_want[i] > max_new ? n_want[i] : max_new;
            max_prompt = prompts[i].n_ids > max_prompt ? prompts[i].n_ids : max_prompt;
        }
        float worst = 0.0f;
        for (int bs = 1; bs <= 3; bs += 2) {
            rollout_config cfg;
            rollout_config_default(&cfg);
            cfg.sampling.temperature = 0.0f;
            cfg.batch_size = bs;
            cfg.max_prompt_tokens = max_prompt;
            cfg.max_new_tokens = max_new;
            rollout_engine *e;
            if (rollout_engine_init(&e, &m, tok, &cfg, 1, &err)) fail_msg("%s", err.msg);
            rollout_sample out[16];
            if (rollout_generate(e, prompts, nl, 0, out, &err)) fail_msg("%s", err.msg);
            for (int i = 0; i < nl; i++) {
                /* fixtures that stopped early did so at EOS (or the position limit): the
                 * engine must stop there too; others ran to their max_new_tokens */
                int n = n_want[i];
                if (out[i].n_ids != n_want[i])
                    fail_msg("%s prompt %d: %d tokens, reference %d", model_names[k], i,
                             out[i].n_ids, n_want[i]);
                for (int t = 0; t < n; t++)
                    if (out[i].ids[t] != want[i][t])
                        fail_msg("%s prompt %d (batch %d): token %d is %d, reference %d",
                                 model_names[k], i, bs, t, out[i].ids[t], want[i][t]);
                const cJSON *lp = cJSON_GetObjectItem(lines[i], "logprobs");
                int t = 0;
                for (const cJSON *j = lp->child; j && t < n; j = j->next, t++) {
                    float d = fabsf(out[i].logprobs[t] - (float)j->valuedouble);
                    worst = fmaxf(worst, d);
                    if (!(d <= 1e-4f))
                        fail_msg("%s prompt %d: logprob %d off by %g", model_names[k], i, t,
                                 (double)d);
                }
                const cJSON *wt = cJSON_GetObjectItem(lines[i], "text");
                if (tok && cJSON_IsString(wt)) {
                    if (strcmp(out[i].text, wt->valuestring) != 0)
                        fail_msg("%s prompt %d text:\n%s\nreference:\n%s", model_names[k], i,
                                 out[i].text, wt->valuestring);
                    if (bs == 1 && i == 0) print_message("greedy story: %s\n", out[i].text);
                }
            }
            rollout_samples_free(out, (size_t)nl);
            rollout_engine_free(e);
        }
        print_message("%-26s greedy == PyTorch for %d prompts; logprob max |diff| %.2g\n",
                      model_names[k], nl, (double)worst);
        for (int i = 0; i < nl; i++) {
            free(pids[i]);
            free(want[i]);
            cJSON_Delete(lines[i]);
        }
        policy_tokenizer_free(tok);
        policy_model_free(&m);
    }
    free(text);
}

/* ---- reproducibility ------------------------------------------------------------------------ */

static const int32_t story_prompts[5][6] = {
    {1}, {1, 147, 201, 282, 215}, {1, 875}, {1, 147}, {1, 875, 147, 201}};
static const int story_len[5] = {1, 5, 2, 2, 4};

static void run_story(const policy_model *m, const policy_tokenizer *tok, int bs, int n,
                      int threads, rollout_sample *out) {
    rollout_prompt p[5];
    for (int i = 0; i < 5; i++) p[i] = (rollout_prompt){story_prompts[i], story_len[i], 100 + i};
    rollout_config cfg;
    rollout_config_default(&cfg);
    cfg.sampling.temperature = 0.9f;
    cfg.sampling.top_p = 0.95f;
    cfg.sampling.repetition_penalty = 1.1f;
    cfg.batch_size = bs;
    cfg.n = n;
    cfg.seed = 42;
    cfg.max_prompt_tokens = 8;
    cfg.max_new_tokens = 48;
    rollout_engine *e;
    rlpt_err err;
    if (rollout_engine_init(&e, m, tok, &cfg, threads, &err)) fail_msg("%s", err.msg);
    if (rollout_generate(e, p, 5, 7, out, &err)) fail_msg("%s", err.msg);
    rollout_engine_free(e);
}

static void same_sample(const rollout_sample *a, const rollout_sample *b, const char *what) {
    if (a->n_ids != b->n_ids || memcmp(a->ids, b->ids, (size_t)a->n_ids * 4) != 0 ||
        memcmp(a->logprobs, b->logprobs, (size_t)a->n_ids * 4) != 0 || a->finish != b->finish ||
        strcmp(a->text, b->text) != 0)
        fail_msg("%s: prompt %d sample %d differs (%d vs %d tokens)", what, a->prompt, a->index,
                 a->n_ids, b->n_ids);
}

static void batch_invariance(void **state) {
    (void)state;
    policy_model m;
    load_model(&m, "tinystories-656k-llama");
    policy_tokenizer *tok = load_tok();
    rollout_sample ref[25], got[25];
    run_story(&m, tok, 1, 5, 1, ref);
    int distinct = 0;
    for (int j = 1; j < 5; j++) distinct += strcmp(ref[0].text, ref[j].text) != 0;
    assert_true(distinct >= 3); /* the samples of a group do differ */
    const int sizes[3][2] = {{2, 2}, {5, 1}, {16, 2}};
    for (int c = 0; c < 3; c++) {
        run_story(&m, tok, sizes[c][0], 5, sizes[c][1], got);
        char what[64];
        snprintf(what, sizeof what, "batch %d, %d threads", sizes[c][0], sizes[c][1]);
        for (int i = 0; i < 25; i++) same_sample(&got[i], &ref[i], what);
        rollout_samples_free(got, 25);
    }
    /* n = 2: samples 0 and 1 of every prompt are those of n = 5 */
    run_story(&m, tok, 3, 2, 2, got);
    for (int i = 0; i < 5; i++)
        for (int j = 0; j < 2; j++) same_sample(&got[i * 2 + j], &ref[i * 5 + j], "n 2 vs n 5");
    rollout_samples_free(got, 10);
    print_message("sampled story (T 0.9, top-p 0.95): %s\n", ref[1].text);
    rollout_samples_free(ref, 25);
    policy_tokenizer_free(tok);
    policy_model_free(&m);
}

/* ---- stops ------------------------------------------------------------------------------------
 */

static void stops(void **state) {
    (void)state;
    policy_model m;
    load_model(&m, "tinystories-656k-llama");
    policy_tokenizer *tok = load_tok();
    int32_t bos = 1;
    rollout_prompt p = {&bos, 1, 0};
    rollout_config cfg;
    rollout_config_default(&cfg);
    cfg.sampling.temperature = 0.0f;
    cfg.max_prompt_tokens = 4;
    cfg.max_new_tokens = 30;
    /* greedy tokens: "On" "ce " "upon a tim" "e, " ...: "time," spans the 3rd and 4th */
    const char *stop[] = {"never", "time,"};
    cfg.stop = stop;
    cfg.n_stop = 2;
    rollout_engine *e;
    rlpt_err err;
    rollout_sample out;
    if (rollout_engine_init(&e, &m, tok, &cfg, 1, &err)) fail_msg("%s", err.msg);
    if (rollout_generate(e, &p, 1, 0, &out, &err)) fail_msg("%s", err.msg);
    assert_int_equal(out.finish, ROLLOUT_FINISH_STOP_STRING);
    assert_int_equal(out.n_ids, 4);
    assert_int_equal(out.ids[2], 282);
    assert_int_equal(out.ids[3], 215);
    assert_string_equal(out.text, "Once upon a time,");
    rollout_samples_free(&out, 1);
    rollout_engine_free(e);
    /* a stop id: the token is kept in ids (and trained on) but not decoded */
    int32_t sid = 215;
    cfg.n_stop = 0;
    cfg.stop = NULL;
    cfg.stop_ids = &sid;
    cfg.n_stop_ids = 1;
    if (rollout_engine_init(&e, &m, tok, &cfg, 1, &err)) fail_msg("%s", err.msg);
    if (rollout_generate(e, &p, 1, 0, &out, &err)) fail_msg("%s", err.msg);
    assert_int_equal(out.finish, ROLLOUT_FINISH_STOP_ID);
    assert_int_equal(out.n_ids, 4);
    assert_int_equal(out.ids[3], 215);
    assert_string_equal(out.text, "Once upon a tim");
    rollout_samples_free(&out, 1);
    rollout_engine_free(e);
    /* max_new_tokens */
    cfg.n_stop_ids = 0;
    cfg.max_new_tokens = 7;
    if (rollout_engine_init(&e, &m, tok, &cfg, 1, &err)) fail_msg("%s", err.msg);
    if (rollout_generate(e, &p, 1, 0, &out, &err)) fail_msg("%s", err.msg);
    assert_int_equal(out.finish, ROLLOUT_FINISH_LENGTH);
    assert_int_equal(out.n_ids, 7);
    rollout_samples_free(&out, 1);
    rollout_engine_free(e);
    policy_tokenizer_free(tok);
    policy_model_free(&m);
}

static void refusals(void **state) {
    (void)state;
    policy_model m;
    load_model(&m, "tinystories-656k-llama");
    rollout_config cfg;
    rollout_config_default(&cfg);
    cfg.batch_size = 65536;
    cfg.max_prompt_tokens = 256;
    cfg.max_new_tokens = 256;
    rollout_engine *e = (rollout_engine *)&cfg;
    rlpt_err err;
    /* 65536 slots x 512 positions x 2 layers x 64 floats x 2 x 4 bytes = 32 GiB */
    assert_int_equal(rollout_engine_init(&e, &m, NULL, &cfg, 1, &err), RLPT_ENOMEM);
    assert_null(e);
    assert_non_null(strstr(err.msg, "KV cache needs 32.00 GiB"));
    assert_non_null(strstr(err.msg, "rollout.batch_size"));
    rollout_config_default(&cfg);
    cfg.max_prompt_tokens = 4;
    cfg.max_new_tokens = 4;
    assert_int_equal(rollout_engine_init(&e, &m, NULL, &cfg, 1, &err), 0);
    int32_t bad[2] = {1, 5000};
    rollout_prompt p = {bad, 2, 0};
    rollout_sample out;
    assert_int_equal(rollout_generate(e, &p, 1, 0, &out, &err), RLPT_EINVAL);
    assert_non_null(strstr(err.msg, "id 5000"));
    int32_t longp[5] = {1, 2, 3, 4, 5};
    p = (rollout_prompt){longp, 5, 0};
    assert_int_equal(rollout_generate(e, &p, 1, 0, &out, &err), RLPT_EINVAL);
    assert_non_null(strstr(err.msg, "max_prompt_tokens"));
    rollout_engine_free(e);
    cfg.n_stop = 1;
    const char *s[] = {"x"};
    cfg.stop = s;
    assert_int_equal(rollout_engine_init(&e, &m, NULL, &cfg, 1, &err), RLPT_EINVAL);
    assert_non_null(strstr(err.msg, "tokenizer"));
    /* a Mistral-style sliding window is not implemented: generating past it is refused, not
     * silently computed with full attention */
    cfg.n_stop = 0;
    m.cfg.sliding_window = 6;
    assert_int_equal(rollout_engine_init(&e, &m, NULL, &cfg, 1, &err), RLPT_EINVAL);
    assert_non_null(strstr(err.msg, "sliding_window of 6"));
    m.cfg.sliding_window = 8; /* 4 + 4 positions fit */
    assert_int_equal(rollout_engine_init(&e, &m, NULL, &cfg, 1, &err), 0);
    rollout_engine_free(e);
    policy_model_free(&m);
}

/* The n samples of a prompt share one prefill: only the prompt's own tokens are fed, whether
 * the siblings wait for the leader's prefill (batch >= n) or come later from the stored copy
 * (batch < n); and a freed slot is refilled (continuous batching): with 2 slots, 6 samples of
 * 12 tokens take at most 3 * 12 + 1 forward passes, not one pass per token per sample. */
static void shared_prefill(void **state) {
    (void)state;
    policy_model m;
    load_model(&m, "tinystories-656k-llama");
    const int32_t ids[5] = {1, 147, 201, 282, 215};
    rollout_prompt p = {ids, 5, 3};
    for (int bs = 1; bs <= 8; bs *= 2) {
        rollout_config cfg;
        rollout_config_default(&cfg);
        cfg.n = 6;
        cfg.batch_size = bs;
        cfg.max_prompt_tokens = 5;
        cfg.max_new_tokens = 12;
        rollout_engine *e;
        rlpt_err err;
        rollout_sample out[6];
        if (rollout_engine_init(&e, &m, NULL, &cfg, 1, &err)) fail_msg("%s", err.msg);
        if (rollout_generate(e, &p, 1, 0, out, &err)) fail_msg("%s", err.msg);
        rollout_stats st;
        rollout_engine_stats(e, &st);
        long toks = 0;
        for (int j = 0; j < 6; j++) toks += out[j].n_ids;
        assert_int_equal(st.prompt_tokens, 5);
        assert_int_equal(st.new_tokens, toks);
        long bound = (long)((6 + bs - 1) / bs) * 12 + 1;
        if (st.forward_calls > bound)
            fail_msg("batch %d: %ld forward passes for %ld tokens (bound %ld)", bs,
                     st.forward_calls, toks, bound);
        rollout_samples_free(out, 6);
        rollout_engine_free(e);
    }
    policy_model_free(&m);
}

/* A prompt longer than one forward pass's rows (batch_size + 256) is prefilled in chunks: its
 * logits match the full forward (same tolerance as above), and greedy and sampled completions
 * are bit-identical to an unchunked prefill (batch 64: 320 rows per pass). */
static void long_prompt_chunked(void **state) {
    (void)state;
    policy_model m;
    load_model(&m, "tinystories-656k-llama");
    enum { T = 300 };
    int32_t ids[T];
    uint64_t x = 77;
    for (int i = 0; i < T; i++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        ids[i] = i == 0 ? 1 : (int32_t)(3 + (x >> 33) % 2000);
    }
    rollout_config cfg;
    rollout_config_default(&cfg);
    cfg.batch_size = 1;
    cfg.max_prompt_tokens = T;
    cfg.max_new_tokens = 20;
    cfg.n = 2;
    cfg.sampling.temperature = 0.8f;
    rollout_engine *e;
    rlpt_err err;
    if (rollout_engine_init(&e, &m, NULL, &cfg, 2, &err)) fail_msg("%s", err.msg);
    float *got = malloc((size_t)m.cfg.V * sizeof *got), *want = malloc((size_t)m.cfg.V * 4);
    assert_int_equal(rollout_engine_logits(e, ids, T, got, &err), 0);
    full_logits(&m, ids, T, want);
    assert_close_f(got, want, (size_t)m.cfg.V, 1e-4f, 1e-4f, "chunked prefill logits");
    rollout_prompt p = {ids, T, 9};
    rollout_sample a[2], b[2];
    if (rollout_generate(e, &p, 1, 0, a, &err)) fail_msg("%s", err.msg);
    rollout_stats st;
    rollout_engine_stats(e, &st);
    assert_int_equal(st.prompt_tokens, T);
    rollout_engine_free(e);
    cfg.batch_size = 64;
    if (rollout_engine_init(&e, &m, NULL, &cfg, 1, &err)) fail_msg("%s", err.msg);
    if (rollout_generate(e, &p, 1, 0, b, &err)) fail_msg("%s", err.msg);
    for (int j = 0; j < 2; j++) {
        assert_int_equal(a[j].n_ids, b[j].n_ids);
        assert_memory_equal(a[j].ids, b[j].ids, (size_t)a[j].n_ids * 4);
        assert_memory_equal(a[j].logprobs, b[j].logprobs, (size_t)a[j].n_ids * 4);
    }
    rollout_samples_free(a, 2);
    rollout_samples_free(b, 2);
    rollout_engine_free(e);
    free(got);
    free(want);
    policy_model_free(&m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(cached_vs_full),
        cmocka_unit_test(greedy_vs_torch),
        cmocka_unit_test(batch_invariance),
        cmocka_unit_test(stops),
        cmocka_unit_test(refusals),
        cmocka_unit_test(shared_prefill),
        cmocka_unit_test(long_prompt_chunked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
