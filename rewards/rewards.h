/* rewards/rewards.h: the rewards module's public interface. Scores completions; sees text and
 * token counts, never tensors or the model.
 *
 * Three layers:
 *   1. answer extraction and math equivalence (reward_extract, reward_math_*), usable alone;
 *   2. reward functions behind one table shape (reward_fn: init with the YAML args of that
 *      reward as JSON text, score a batch, free) — the built-ins (math, gsm8k, format, length,
 *      repetition, language) and, with issue #7, code and the dlopen plugins;
 *   3. a weighted combination of reward functions that keeps every function's value.
 * Code execution (the code reward and its sandbox) lives in rewards/code.h and sandbox.h. */
#ifndef REWARDS_H
#define REWARDS_H

#include <stddef.h>

#include "rlpt/err.h"

/* ---- 1. answer extraction ----------------------------------------------------------------- */

enum reward_extract_how {
    REWARD_EXTRACT_NONE = 0,
    REWARD_EXTRACT_ANSWER_TAG, /* the text of <answer>...</answer> (nothing more specific in it) */
    REWARD_EXTRACT_BOXED,      /* last \boxed{} / \fbox{} (a glued run of boxes = one list) */
    REWARD_EXTRACT_GSM8K,      /* "#### N" */
    REWARD_EXTRACT_ANSWER_IS,  /* "the answer is ...", "Final Answer: ..." */
    REWARD_EXTRACT_LATEX,      /* last $...$, $$...$$, \(...\), \[...\] */
    REWARD_EXTRACT_WHOLE,      /* the whole text, when it reads as math */
    REWARD_EXTRACT_LAST_NUMBER /* the last number in the text */
};

/* Which methods to try (1 = on). Priority: <answer> region first; inside it (or the whole
 * text) the latest of boxed / answer_is / gsm8k, then latex_env, whole, last_number. */
typedef struct reward_extract_opts {
    int answer_tag, boxed, gsm8k, answer_is, latex_env, whole, last_number;
    int comma_decimal; /* plain numbers "2,74" read as 2.74 (European); off by default */
    char tag[32];      /* answer tag name, default "answer" */
} reward_extract_opts;

void reward_extract_opts_default(reward_extract_opts *o); /* everything on but comma_decimal */

/* Finds the answer in text[0..len). Returns the method (> 0) with *out a NUL-terminated copy
 * the caller frees, 0 when no answer was found (*out NULL), -1 when out of memory.
 * Linear time in len whatever the input. */
int reward_extract(const char *text, size_t len, const reward_extract_opts *o, char **out);
const char *reward_extract_name(int how); /* "boxed", "answer_is", ... (static) */

/* ---- math equivalence --------------------------------------------------------------------- */

typedef struct reward_math_opts {
    reward_extract_opts gold_extract; /* default: all but last_number */
    reward_extract_opts pred_extract; /* default: all */
    double rel_tol;     /* relative tolerance, only where a value is irrational (1e-9) */
    int decimal_places; /* -1: rationals compare exactly; N >= 0: when either side has a decimal
                           literal, values rounded to N places also match (Math-Verify's
                           float_rounding) */
    int ordered_lists;  /* bare lists "1, 2" compare in order (default 0: as sets) */
    int strict_symbols; /* 1 (default): x and y differ; 0: symbols may be renamed */
    int set_relation;   /* a reference interval also accepts "a <= x <= b" (default 0; the
                           reverse, reference inequality vs predicted interval, always holds) */
} reward_math_opts;

void reward_math_opts_default(reward_math_opts *o);

typedef struct reward_math_result {
    int equal;
    int gold_how, pred_how;    /* enum reward_extract_how */
    char gold[256], pred[256]; /* extracted answers (cut to fit) */
    const char *why;           /* static text: "equivalent", "not equivalent", a parse failure */
    long steps;                /* evaluation steps used (bounded by 200000) */
    int nodes;                 /* parse-tree nodes built (bounded by 2 x 4096) */
} reward_math_result;

/* A checker owns its parse buffers (about 400 KiB) and is reused from call to call; one per
 * thread. */
typedef struct reward_math_checker reward_math_checker;
int reward_math_checker_init(reward_math_checker **out, rlpt_err *err);
void reward_math_checker_free(reward_math_checker *c); /* NULL is a no-op */

/* Extracts the answers of gold (reference) and pred (completion) and compares them.
 * Returns res->equal (1 or 0); never fails on input. */
int reward_math_verify(reward_math_checker *c, const char *gold, size_t glen, const char *pred,
                       size_t plen, const reward_math_opts *o, reward_math_result *res);
/* Compares two already extracted answers (res->gold/pred are left empty). */
int reward_math_equiv(reward_math_checker *c, const char *gold, size_t glen, const char *pred,
                      size_t plen, const reward_math_opts *o, reward_math_result *res);

/* ---- 2. reward functions ------------------------------------------------------------------ */

/* One completion to score. fields_json is the dataset record (a JSON object text, "{}" when
 * there is none): math reads "answer", gsm8k "answer", code its test fields. */
typedef struct reward_sample {
    const char *completion;
    size_t completion_len;
    int completion_tokens; /* length in tokens (length penalties); -1 when unknown */
    const char *fields_json;
} reward_sample;

/* A reward function. This is the shape plugins get too (include/rlpt/reward.h, issue #7).
 *   init: args_json is the function's arguments from the YAML file as a JSON object text
 *         (NULL or "{}" for defaults); unknown keys and bad values are refused with the key.
 *   score_batch: rewards[n] receives the values; details, when not NULL, receives n
 *         malloc'd JSON object texts (the caller frees each) saying what was extracted and
 *         why it matched or not. A bad sample (e.g. fields without "answer") is an error.
 *   free: NULL is a no-op.
 * A state is used by one thread at a time (the math checker keeps its parse buffers in it);
 * score from several threads with one state each. */
typedef struct reward_fn {
    const char *name;
    const char *doc; /* one line: what it scores and its arguments */
    /* self: this table, so that one init can serve many entries (a loaded plugin keeps its
     * handle in ctx and wraps the plugin's state in its own) */
    int (*init)(const struct reward_fn *self, const char *args_json, void **state, rlpt_err *err);
    int (*score_batch)(void *state, const reward_sample *samples, int n, double *rewards,
                       char **details, rlpt_err *err);
    void (*free)(void *state);
    const void *ctx; /* for init; NULL for the built-ins */
} reward_fn;

/* The built-in functions: math, gsm8k, format, length, repetition, language. */
extern const reward_fn reward_fn_math, reward_fn_gsm8k, reward_fn_format, reward_fn_length,
    reward_fn_repetition, reward_fn_language;

/* The table of reward functions by name: built-ins are registered by init; plugins (issue #7)
 * are added with reward_registry_add. The registry does not own the reward_fn structs. */
typedef struct reward_registry reward_registry;
int reward_registry_init(reward_registry **out, rlpt_err *err);
int reward_registry_add(reward_registry *reg, const reward_fn *fn, rlpt_err *err);
const reward_fn *reward_registry_find(const reward_registry *reg, const char *name);
int reward_registry_count(const reward_registry *reg);
const reward_fn *reward_registry_at(const reward_registry *reg, int i);
void reward_registry_free(reward_registry *reg); /* NULL is a no-op */

/* ---- 3. weighted combination -------------------------------------------------------------- */

typedef struct reward_combo_item {
    const char *fn; /* name in the registry */
    double weight;
    const char *args_json; /* the function's arguments, NULL for defaults */
} reward_combo_item;

typedef struct reward_combo reward_combo;
/* Initialises every function; on error nothing is left allocated and err names the item. */
int reward_combo_init(reward_combo **out, const reward_registry *reg,
                      const reward_combo_item *items, int n_items, rlpt_err *err);
int reward_combo_size(const reward_combo *c);
const char *reward_combo_name(const reward_combo *c, int i);
double reward_combo_weight(const reward_combo *c, int i);
/* total[n] = sum_i weight_i * value_i; per_fn (may be NULL) is [n_items][n] row-major: the
 * unweighted value of function i for sample j at per_fn[i * n + j], kept for metrics. */
int reward_combo_score(reward_combo *c, const reward_sample *samples, int n, double *total,
                       double *per_fn, rlpt_err *err);
void reward_combo_free(reward_combo *c); /* NULL is a no-op */

/* ---- single-purpose scores (used by the functions above, handy in tests) ------------------ */

/* DAPO's soft overlong punishment (eq. 13): 0 up to max_len - cache, then falling linearly to
 * -1 at max_len, -1 beyond. */
double reward_overlong(int len, int max_len, int cache);

/* Share of repeated n-grams of words: 1 - distinct/total over the word n-grams (0 when fewer
 * than n words). The repetition reward is -penalty * this. */
double reward_repeated_ngram_share(const char *text, size_t len, int n);

/* Share of the letters of text in the given script ("latin", "cjk", "cyrillic", "arabic",
 * "greek", "devanagari", "hangul", ...), over all letters; -1 when the script is unknown,
 * 0 when there are no letters. Invalid UTF-8 bytes count as letters of no script. */
double reward_script_share(const char *text, size_t len, const char *script);

#endif
