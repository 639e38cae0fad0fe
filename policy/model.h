/* policy/model.h: the model's public API (issue #4), included by policy/policy.h.
 * A Llama / Qwen2 / Mistral decoder read from and written to the Hugging Face layout:
 * config.json, model.safetensors (or shards + model.safetensors.index.json).
 *
 * Parameters live in ONE contiguous fp32 buffer laid out by a policy_layout (HF tensor name ->
 * offset, shape); gradients and AdamW moments use the same layout, so allreduce, clipping and
 * the optimizer are single loops over one buffer.
 *
 * Kernels (one file each) never allocate and never fail: the orchestration (policy_forward,
 * policy_backward) validates the input and owns the buffers. Forward kernels save what backward
 * needs; backward kernels ADD (+=) into gradients that the caller zeroes once per step.
 *
 * Reusing the kernels for generation (rollout/): a layer step for Tq new tokens of one sequence
 * at positions pos0 .. pos0+Tq-1 (prefill: pos0 = 0, Tq = prompt length; decode: Tq = 1,
 * pos0 = tokens already cached), with a per-layer cache kc, vc of (Tmax, KVH*D) rows:
 *   policy_rmsnorm_forward(xn, rstd, x, lp->ln1, Tq, C, eps);
 *   policy_linear_forward(q, xn, lp->wq, lp->bq, Tq, C, H*D);
 *   policy_linear_forward(kc + pos0*KVH*D, xn, lp->wk, lp->bk, Tq, C, KVH*D);   (same for v)
 *   policy_rope_forward(q, pos, inv_freq, NULL, Tq, H, D); policy_rope_forward(kc + pos0*KVH*D,
 * ...); policy_attention_forward(att, lse, scratch, q, kc, vc, Tq, pos0, H, KVH, D);
 *   policy_linear_forward(o, att, lp->wo, lp->bo, Tq, H*D, C); x += o;
 *   policy_rmsnorm_forward(xn, rstd, x, lp->ln2, ...); gate/up linear; policy_swiglu_forward;
 *   down linear; x += down.
 * then policy_rmsnorm_forward with p->lnf and policy_logprobs_forward (or policy_linear_forward
 * with p->lm_head for the logits of the last row). */
#ifndef POLICY_MODEL_H
#define POLICY_MODEL_H

#include <cblas.h>
#include <stddef.h>
#include <stdint.h>

#include "rlpt/err.h"
#include "rlpt_pool.h"

/* ---- config.json (policy/model_config.c) ---------------------------------------------- */

enum { POLICY_ARCH_LLAMA, POLICY_ARCH_QWEN2, POLICY_ARCH_MISTRAL };
enum { POLICY_ROPE_DEFAULT, POLICY_ROPE_LINEAR, POLICY_ROPE_LLAMA3 };
/* Storage dtypes of safetensors tensors we read and write; everything computes in fp32. */
enum { POLICY_DTYPE_F32, POLICY_DTYPE_BF16, POLICY_DTYPE_F16 };
#define POLICY_MAX_EOS 8

typedef struct policy_config {
    int arch;                           /* POLICY_ARCH_* from model_type */
    int C, F, L, H, KVH, D, V;          /* dimension names as in policy.h */
    int max_pos;                        /* max_position_embeddings */
    double rms_eps;                     /* rms_norm_eps */
    double rope_theta;                  /* RoPE base */
    int rope_type;                      /* POLICY_ROPE_* from rope_scaling / rope_parameters */
    double rope_factor;                 /* linear and llama3 */
    double rope_low_freq_factor;        /* llama3 */
    double rope_high_freq_factor;       /* llama3 */
    int rope_orig_max_pos;              /* llama3 original_max_position_embeddings */
    int tied;                           /* tie_word_embeddings: lm_head is the embedding */
    int qkv_bias;                       /* q/k/v projections have a bias (Qwen2, attention_bias) */
    int o_bias;                         /* o_proj has a bias (Llama attention_bias) */
    int sliding_window;                 /* Mistral; 0 = none. Sequences longer are refused */
    int dtype;                          /* torch_dtype / dtype: POLICY_DTYPE_* */
    int bos_id;                         /* -1 when absent */
    int n_eos, eos_ids[POLICY_MAX_EOS]; /* eos_token_id (an int or a list) */
} policy_config;

/* Parses config.json text. `where` names the file in messages. An unsupported value (another
 * model_type, hidden_act, rope_scaling type, mlp_bias true, ...) is an RLPT_EUNSUPPORTED error
 * naming the field; a missing or mistyped required field an RLPT_EFORMAT error. */
int policy_config_parse(policy_config *cfg, const char *json, const char *where, rlpt_err *err);
/* Reads DIR/config.json. */
int policy_config_load(policy_config *cfg, const char *dir, rlpt_err *err);
/* Dimension checks shared by the parser and `rlpt init-model` (H % KVH, D even, bounds). */
int policy_config_check(const policy_config *cfg, const char *where, rlpt_err *err);
/* A small default model of the given arch (used by init-model before its flags). */
void policy_config_default(policy_config *cfg, int arch);
/* HF config.json text for cfg (ends with a newline); malloc'd, caller frees; NULL when out
 * of memory. */
char *policy_config_to_json(const policy_config *cfg);

/* ---- parameter layout (policy/params.c) ------------------------------------------------ */

#define POLICY_NAME_MAX 80

typedef struct policy_tensor_info {
    char name[POLICY_NAME_MAX]; /* HF name, e.g. "model.layers.0.self_attn.q_proj.weight" */
    size_t offset;              /* in floats from the start of the buffer */
    size_t numel;
    int ndim; /* 1 or 2 */
    int shape[2];
} policy_tensor_info;

/* The part [*lo, *hi) of tensor t that lies in elements [i0, i1) of the buffer; 0 when none: for
 * loops cut over the whole buffer that still go tensor by tensor (AdamW, random init). */
static inline int policy_tensor_part(const policy_tensor_info *t, long i0, long i1, size_t *lo,
                                     size_t *hi) {
    *lo = t->offset > (size_t)i0 ? t->offset : (size_t)i0;
    *hi = t->offset + t->numel < (size_t)i1 ? t->offset + t->numel : (size_t)i1;
    return *lo < *hi;
}

typedef struct policy_layout {
    policy_tensor_info *t; /* in HF order: embed, layers, norm, lm_head (if untied) */
    int n;
    size_t total; /* floats */
} policy_layout;

int policy_layout_init(policy_layout *lay, const policy_config *cfg, rlpt_err *err);
void policy_layout_free(policy_layout *lay);
const policy_tensor_info *policy_layout_find(const policy_layout *lay, const char *name);

/* Named views into a buffer laid out by policy_layout: params, grads or moments alike.
 * Matrices are HF (out, in) row-major; absent biases are NULL. */
typedef struct policy_layer_params {
    float *ln1;                         /* input_layernorm (C) */
    float *wq, *bq, *wk, *bk, *wv, *bv; /* (H*D, C), (KVH*D, C); biases (H*D), (KVH*D) */
    float *wo, *bo;                     /* (C, H*D), (C) */
    float *ln2;                         /* post_attention_layernorm (C) */
    float *wg, *wu, *wd;                /* gate, up (F, C); down (C, F) */
} policy_layer_params;

typedef struct policy_params {
    float *wte;                 /* embed_tokens (V, C) */
    float *lnf;                 /* final norm (C) */
    float *lm_head;             /* (V, C); == wte when tied */
    policy_layer_params *layer; /* L entries, owned by whoever made the view */
} policy_params;

/* Points p (whose p->layer has cfg->L entries) into base. */
void policy_params_view(policy_params *p, const policy_config *cfg, float *base);

/* ---- the model (policy/model.c, checkpoint.c) ----------------------------------------- */

typedef struct policy_model {
    policy_config cfg;
    policy_layout layout;
    float *params; /* layout.total floats, owned */
    policy_params p;
    float *inv_freq; /* (D/2) RoPE inverse frequencies, scaling applied; owned */
} policy_model;

/* Allocates a zeroed model for cfg (checked by policy_config_check). */
int policy_model_init(policy_model *m, const policy_config *cfg, rlpt_err *err);
void policy_model_free(policy_model *m); /* NULL and zeroed structs are fine */
/* Normal(0, std) matrices from a counter-based generator of seed, norms 1, biases 0. */
void policy_model_randomize(policy_model *m, uint64_t seed, float std);

/* Loads DIR (config.json + model.safetensors or model.safetensors.index.json and shards).
 * Every tensor is checked against config.json (name, shape); F32/BF16/F16 become fp32. */
int policy_model_load(policy_model *m, const char *dir, rlpt_err *err);
/* Writes DIR/config.json and the weights in dtype (POLICY_DTYPE_F32 or _BF16), one file or
 * shards of at most max_shard_bytes with an index (0 = never shard). Every file atomically. */
int policy_model_save(const policy_model *m, const char *dir, int dtype, size_t max_shard_bytes,
                      rlpt_err *err);

/* ---- activations, memory plan (policy/memplan.c) ------------------------------------- */

enum { POLICY_ACTS_TRAIN = 1, POLICY_ACTS_RECOMPUTE = 2 };

/* Saved activations of one layer for B*T rows (N = B*T). */
typedef struct policy_layer_acts {
    float *x;     /* layer input, residual stream (N, C) */
    float *xn1;   /* input_layernorm out (N, C) */
    float *rstd1; /* (N) */
    float *q;     /* after RoPE (N, H*D) */
    float *k, *v; /* k after RoPE (N, KVH*D) */
    float *att;   /* attention out, before o_proj (N, H*D) */
    float *lse;   /* attention log-sum-exp (B, H, T) */
    float *x2;    /* residual after attention (N, C) */
    float *xn2;   /* post_attention_layernorm out (N, C) */
    float *rstd2; /* (N) */
    float *g, *u; /* gate, up (N, F) */
    float *h;     /* silu(g) * u (N, F) */
} policy_layer_acts;

typedef struct policy_acts {
    int B, T, flags, L;
    float inv_temperature; /* log-probs and entropy of softmax(logits * this): 1/T for a
                              sampling temperature T (GRPO's ratio); 1 after policy_acts_init */
    float *buf;            /* everything below points into it; owned */
    size_t n_floats;
    policy_layer_acts *layer; /* L entries; with RECOMPUTE all but x share one layer's space */
    float *xf;                /* final residual (N, C) */
    float *xnf;               /* final norm out (N, C) */
    float *rstdf;             /* (N) */
    float *lse;               /* LM-head log-sum-exp per row (N) */
    int *pos;                 /* position of each row (B*T): n % T */
    float *rope;              /* (T, D) policy_rope_table of positions 0 .. T-1 */
    float *logits;            /* one (T, V) block */
    float *scratch;           /* attention: scratch_slices x policy_attention_scratch(T, T, ...) */
    int scratch_slices;       /* sequences whose attention may run at once (one per thread) */
    /* backward work space (TRAIN only) */
    float *dx, *dxn, *dq, *dk, *dv, *datt, *dg, *du, *dh;
    float *norm_scratch;              /* policy_rmsnorm_scratch(B*T, C) */
    policy_layer_params *grad_layers; /* L entries for the gradients' named view */
} policy_acts;

typedef struct policy_memplan {
    size_t params, grads, moments, acts, total; /* bytes */
} policy_memplan;

/* Bytes a model of cfg needs for batch B x T (train: gradients, two AdamW moments and the
 * saved activations; else forward-only buffers). Computed without allocating. */
void policy_memplan_compute(policy_memplan *mp, const policy_config *cfg, int B, int T, int flags);
/* One line: "memory plan: params 1.2 MiB, grads ..., total ..." */
void policy_memplan_format(const policy_memplan *mp, char *buf, size_t n);
/* 0 when mp->total <= limit_bytes; else RLPT_ENOMEM naming the figure, the limit and the
 * knobs (batch size, sequence length, activation recomputation). */
int policy_memplan_check(const policy_memplan *mp, size_t limit_bytes, int B, int T, int flags,
                         rlpt_err *err);

/* bytes as "512 B", "1.5 MiB", "16.0 GiB" (binary units, one decimal). */
void policy_format_bytes(char *buf, size_t n, size_t bytes);

/* Memory the system can give now (MemAvailable), the usual limit for the check above. */
size_t policy_mem_available(void);

/* Allocates the buffers of a B x T batch, exactly what policy_memplan_compute counts. flags:
 * 0 forward only (one layer's space reused by all layers); POLICY_ACTS_TRAIN keeps every layer's
 * activations and the backward work space; TRAIN | POLICY_ACTS_RECOMPUTE keeps only each
 * layer's input and recomputes the rest of the layer during backward (same gradients, bit for
 * bit; one extra forward). */
int policy_acts_init(policy_acts *a, const policy_config *cfg, int B, int T, int flags,
                     rlpt_err *err);
void policy_acts_free(policy_acts *a);

/* ---- forward / backward (policy/model.c) ---------------------------------------------- */

/* ids, targets: (B, T) of a->B x a->T. logp (B, T): log p(targets[b,t] | ids[b, 0..t]);
 * targets < 0 are skipped (logp 0). entropy (B, T) of each next-token distribution, or NULL.
 * Ids outside [0, V) and sequences beyond max_position_embeddings / sliding_window are
 * RLPT_EINVAL errors. Only one (T, V) block of logits exists at a time. */
int policy_forward(const policy_model *m, policy_acts *a, const int *ids, const int *targets,
                   float *logp, float *entropy, rlpt_err *err);
/* After policy_forward on a TRAIN acts with the same ids/targets: grads (layout.total, zeroed
 * by the caller) += d(sum dlogp * logp) / d(params). */
void policy_backward(const policy_model *m, policy_acts *a, const int *ids, const int *targets,
                     const float *dlogp, float *grads);

/* ---- kernels (one file each) ----------------------------------------------------------- */

/* embedding.c. out (N, C) = wte[ids[n]]; ids already checked to be in [0, V). */
void policy_embedding_forward(float *out, const int *ids, const float *wte, int N, int C);
void policy_embedding_backward(float *dwte, const float *dout, const int *ids, int N, int C);

/* ---- threads of the model's own kernels (policy/parallel.c) ------------------------------ */

/* fn(arg, i0, i1) handles items i0 .. i1-1. */
typedef void (*policy_range_fn)(void *arg, long i0, long i1);
/* Runs fn over 0 .. n-1 cut into one contiguous range per thread, or inline when n < 2 * grain
 * or when called from inside such a range. Only for work whose results do not depend on the
 * cut. */
void policy_parallel_for(long n, long grain, policy_range_fn fn, void *arg);
/* x[0 .. n-1] = 0 on the pool's threads (the gradient buffer before each step) */
void policy_zero(float *x, size_t n);
/* Runs fn(arg, t, nt) on the pool's nt threads, each task's sgemms whole on its own thread;
 * inline as fn(arg, 0, 1) when the pool has one thread, more than max_tasks, or when called
 * from inside a task. Returns nt. */
int policy_parallel_blas(int max_tasks, rlpt_task_fn fn, void *arg);
/* cblas_sgemm, row-major: C = alpha op(A) op(B) + beta C. A large product is cut into blocks
 * of rows of C (of columns when C is wider than tall), one single-threaded cblas_sgemm per
 * thread of the pool; each element's sum over K is OpenBLAS's either way. Every sgemm of the
 * model goes through here: OpenBLAS is kept at one thread once the pool is up. */
void policy_sgemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int M, int N, int K, float alpha,
                  const float *A, int lda, const float *B, int ldb, float beta, float *C, int ldc);
/* One cblas_sgemm's arguments, row-major. */
typedef struct policy_gemm {
    CBLAS_TRANSPOSE ta, tb;
    int M, N, K;
    float alpha;
    const float *A;
    int lda;
    const float *B;
    int ldb;
    float beta;
    float *C;
    int ldc;
} policy_gemm;
/* policy_sgemm with its arguments in a struct. */
void policy_sgemm_call(const policy_gemm *g);
/* Runs the two chains of sgemms at once, each on its share of the threads (in proportion to its
 * multiply-adds), a chain's calls in order; each call cut over its share as policy_sgemm cuts it
 * over the pool, or whole on one thread. On one thread: chain a, then chain b. Every call's result
 * is the bits of one cblas_sgemm. Chain a's calls must not read what chain b's write, nor the
 * reverse; within a chain, a call may add to (beta 1) the C of an earlier call only with the same
 * M, N and ldc (it then finds its blocks on the threads that wrote them), and may read nothing
 * else an earlier call wrote. With two threads, each chain runs whole on one: no duplicated
 * packing of the operand both halves of a cut sgemm share, and one fork-join for the lot. */
void policy_sgemm_chains(const policy_gemm *a, int na, const policy_gemm *b, int nb);
/* The pool itself, started if need be: generation (rollout/) runs its projections and attention
 * on it too, so that a process has one set of threads. Not for use from inside its tasks. */
rlpt_pool *policy_pool(void);
/* Threads of that pool (default: OpenBLAS's count when first used); policy_blas_set_threads
 * sets it. */
void policy_threads_set(int threads);
int policy_threads(void);

/* rmsnorm.c. x, out: (N, C); w (C); rstd (N) kept. out = x * rstd * w (HF LlamaRMSNorm). */
void policy_rmsnorm_forward(float *out, float *rstd, const float *x, const float *w, int N, int C,
                            float eps);
/* dx (N, C) += d(x); dw (C) += d(w), summed over fixed blocks of rows whatever the threads;
 * scratch of policy_rmsnorm_scratch(N, C) floats. */
size_t policy_rmsnorm_scratch(int N, int C);
void policy_rmsnorm_backward(float *dx, float *dw, float *scratch, const float *dout,
                             const float *x, const float *w, const float *rstd, int N, int C);

/* linear.c. out (N, OC) = inp (N, IC) @ W^T + bias; W (OC, IC) as HF stores it; bias may be NULL */
void policy_linear_forward(float *out, const float *inp, const float *w, const float *bias, int N,
                           int IC, int OC);
/* dinp (N, IC) += dout @ W (dinp_add 1) or = (0); dw (OC, IC) += dout^T @ inp; dbias (OC) +=
 * column sums (if not NULL) */
void policy_linear_backward(float *dinp, int dinp_add, float *dw, float *dbias, const float *dout,
                            const float *inp, const float *w, int N, int IC, int OC);

/* Projections of one input inp (N, IC): q, k, v of a layer, or gate and up. */
typedef struct policy_proj {
    const float *w, *bias; /* W (OC, IC) as HF stores it; bias (OC) or NULL */
    float *out;            /* forward: (N, OC) = inp @ W^T + bias */
    const float *dout;     /* backward: d(out) */
    float *dw, *dbias;     /* backward: += d(W), d(bias) (dbias may be NULL) */
    int OC;
} policy_proj;
#define POLICY_PROJS_MAX 4
/* The n (<= POLICY_PROJS_MAX) projections' sgemms, the first ones beside the rest
 * (policy_sgemm_chains); the same bits as n policy_linear_forward calls. */
void policy_projs_forward(const float *inp, int N, int IC, const policy_proj *p, int n);
/* dinp (N, IC) (+)= sum_i dout_i @ W_i (added to when dinp_add, else overwritten); dw_i +=
 * dout_i^T @ inp; dbias_i += column sums. The input gradient's chain of sgemms runs beside the
 * weight gradients'; the same bits as n policy_linear_backward calls. */
void policy_projs_backward(float *dinp, int dinp_add, const float *inp, int N, int IC,
                           const policy_proj *p, int n);

/* rope.c. inv_freq (D/2) from rope_theta and the scaling (HF _compute_*_parameters). */
void policy_rope_inv_freq(float *inv_freq, const policy_config *cfg);
/* table (P, D): cos then sin of p * inv_freq, for positions p < P */
void policy_rope_table(float *table, const float *inv_freq, int P, int D);
/* x (N, nh*D) rotated in place, row n at position pos[n] (HF rotate_half: pairs i, i+D/2). The
 * angles come from table (pos[n] < its P) or, when table is NULL, from inv_freq: the same bits. */
void policy_rope_forward(float *x, const int *pos, const float *inv_freq, const float *table, int N,
                         int nh, int D);
/* dx (N, nh*D) in place: the transposed rotation. */
void policy_rope_backward(float *dx, const int *pos, const float *inv_freq, const float *table,
                          int N, int nh, int D);

/* Floats of scratch the attention of Tq queries over Tk keys needs (forward and backward). */
size_t policy_attention_scratch(int Tq, int Tk, int H, int KVH, int D);
/* attention.c. Causal grouped-query attention of one sequence. q (Tq, H*D) holds the queries at
 * positions pos0 .. pos0+Tq-1; k, v (pos0+Tq, KVH*D) the keys/values at 0 .. pos0+Tq-1 (a KV
 * cache plus the new rows); query head h reads kv head h / (H/KVH). out (Tq, H*D);
 * lse (H, Tq) log-sum-exp of each scaled score row, kept for backward; scratch of
 * policy_attention_scratch(Tq, pos0 + Tq, H, KVH, D) floats. */
void policy_attention_forward(float *out, float *lse, float *scratch, const float *q,
                              const float *k, const float *v, int Tq, int pos0, int H, int KVH,
                              int D);
/* dq (Tq, H*D), dk, dv (pos0+Tq, KVH*D) = the gradients, overwritten (not added to); scores are
 * recomputed from q, k and lse */
void policy_attention_backward(float *dq, float *dk, float *dv, float *scratch, const float *dout,
                               const float *out, const float *lse, const float *q, const float *k,
                               const float *v, int Tq, int pos0, int H, int KVH, int D);

/* swiglu.c. h = silu(g) * u elementwise over n values (HF LlamaMLP act_fn(gate) * up). */
void policy_swiglu_forward(float *h, const float *g, const float *u, size_t n);
/* dg, du = the gradients (overwritten, not added to: g and u feed nothing else) */
void policy_swiglu_backward(float *dg, float *du, const float *dh, const float *g, const float *u,
                            size_t n);

/* logprobs.c. x (N, C) final-normed rows; w (V, C) LM head; logits: (N, V) scratch, the only
 * logits that exist. logp (N) = log_softmax(scale * x W^T)[target] (scale = 1/temperature);
 * lse (N) kept; targets < 0 give 0. entropy (N) or NULL. */
void policy_logprobs_forward(float *logp, float *lse, float *entropy, float *logits, const float *x,
                             const float *w, const int *targets, int N, int C, int V, float scale);
/* dx (N, C) += dlogits @ W, dw (V, C) += dlogits^T @ x, where the logits are recomputed and
 * dlogits = dlogp * (onehot(target) - softmax). */
void policy_logprobs_backward(float *dx, float *dw, float *logits, const float *dlogp,
                              const float *x, const float *w, const float *lse, const int *targets,
                              int N, int C, int V, float scale);

/* ---- optimizer (policy/adamw.c, schedule.c) ------------------------------------------ */

typedef struct policy_adamw {
    float beta1, beta2, eps, weight_decay; /* torch.optim.AdamW defaults: .9 .999 1e-8 .01 */
    float *m, *v;                          /* first/second moments, param layout; owned */
    size_t n;
    long t; /* steps taken */
} policy_adamw;

int policy_adamw_init(policy_adamw *o, size_t n, rlpt_err *err);
void policy_adamw_free(policy_adamw *o);
/* One torch.optim.AdamW step: decoupled decay (matrices only: tensors with ndim 2; norms and
 * biases are not decayed), bias-corrected moments. */
void policy_adamw_step(policy_adamw *o, const policy_layout *lay, float *params, const float *grads,
                       float lr);
/* The same step on grads * grad_scale, without writing grads: clipping folded into the update
 * (policy_grad_norm, policy_clip_coef) spares a pass over the gradient buffer. Same bits as
 * policy_grad_clip followed by policy_adamw_step. */
void policy_adamw_step_scaled(policy_adamw *o, const policy_layout *lay, float *params,
                              const float *grads, float lr, float grad_scale);
/* The moments and step count to / from one safetensors file (exp_avg.<param>,
 * exp_avg_sq.<param>, __metadata__ "step"), written atomically; loading checks every tensor
 * against lay first and leaves o untouched on error. o must have been initialised for lay. */
int policy_adamw_save(const policy_adamw *o, const policy_layout *lay, const char *path,
                      rlpt_err *err);
int policy_adamw_load(policy_adamw *o, const policy_layout *lay, const char *path, rlpt_err *err);
/* Global L2 norm of grads (summed in double); if above max_norm (> 0), scales grads by
 * max_norm / (norm + 1e-6) like torch.nn.utils.clip_grad_norm_. Returns the norm before. */
double policy_grad_clip(float *grads, size_t n, float max_norm);
/* The global L2 norm alone, summed as policy_grad_clip sums it. */
double policy_grad_norm(const float *grads, size_t n);
/* What policy_grad_clip scales by: max_norm / (norm + 1e-6) above max_norm (> 0), else 1. */
float policy_clip_coef(double norm, float max_norm);

enum { POLICY_LR_CONSTANT, POLICY_LR_LINEAR_WARMUP, POLICY_LR_COSINE };

typedef struct policy_lr_schedule {
    int kind;          /* POLICY_LR_* */
    float lr_max;      /* peak (and constant) rate */
    float lr_min;      /* cosine floor */
    long warmup_steps; /* linear ramp 0 -> lr_max over steps 0 .. warmup_steps-1 (LINEAR, COSINE) */
    long total_steps;  /* cosine reaches lr_min here */
} policy_lr_schedule;

/* Rate for step (0-based): warm-up lr_max * (step+1)/warmup_steps, then constant or
 * lr_min + (lr_max-lr_min) * (1 + cos(pi * progress)) / 2 for cosine. */
float policy_lr_at(const policy_lr_schedule *s, long step);

#endif
