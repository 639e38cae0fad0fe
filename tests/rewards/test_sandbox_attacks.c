/* tests/rewards/test_sandbox_attacks.c: the adversarial suite. Runs every program of
 * tests/data/sandbox/ (Python and C, one attack class each; the first line says the verdict
 * expected, alternatives separated by '|') in the sandbox, then checks that the host is
 * unchanged: no canary file outside the box, no process of the slot uid left, no connection
 * to the loopback listeners the test opened (only 127.0.0.1 and ::1 are ever targeted), no
 * "ESCAPE" claimed, and neither the secret planted in this process's environment and in a
 * hidden "expected output" file, nor /etc/shadow, nor core_pattern changes.
 * C programs are compiled inside the sandbox, as the code reward does. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "rlpt_io.h"
#include "sandbox.h"

#define SUITE RLPT_SOURCE_DIR "/tests/data/sandbox"

static const char *const canaries[] = {
    "/tmp/rlpt-canary",     "/var/tmp/rlpt-canary", "/dev/shm/rlpt-canary",
    "/root/rlpt-canary",    "/rlpt-canary",         "/usr/rlpt-canary",
    "/etc/rlpt-canary",     "/home/rlpt-canary",    RLPT_BINARY_DIR "/rlpt-canary",
    "/usr/lib/rlpt-canary", "/tmp/../rlpt-canary"};

typedef struct suite {
    sandbox *sb;
    int l4, l6, port4, port6;
    char secret[64];
    char hidden_dir[64], hidden_file[128];
    char *core_pattern;
    char shadow_line[128];
} suite;

static suite S;

static int listen_on(int fam, int *port) {
    int s = socket(fam, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (s < 0) return -1;
    int one = 1;
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    socklen_t len;
    if (fam == AF_INET) {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        a->sin_family = AF_INET;
        a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        len = sizeof *a;
    } else {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        a->sin6_family = AF_INET6;
        a->sin6_addr = in6addr_loopback;
        len = sizeof *a;
    }
    if (bind(s, (struct sockaddr *)&ss, len) != 0 || listen(s, 16) != 0 ||
        getsockname(s, (struct sockaddr *)&ss, &len) != 0) {
        close(s);
        return -1;
    }
    *port = ntohs(fam == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
                                 : ((struct sockaddr_in6 *)&ss)->sin6_port);
    return s;
}

static char *read_small(const char *path) {
    char *s = NULL;
    size_t n = 0;
    if (rlpt_read_file(path, 1 << 20, &s, &n, NULL) != 0) return NULL;
    return s;
}

static int setup(void **state) {
    (void)state;
    rlpt_err err = {0};
    if (sandbox_init(&S.sb, SANDBOX_NAMESPACES, 7, 60000, &err) != 0) {
        fprintf(stderr, "sandbox_init: %s\n", err.msg);
        return -1;
    }
    S.l4 = listen_on(AF_INET, &S.port4);
    S.l6 = listen_on(AF_INET6, &S.port6);
    if (S.l4 < 0) return -1;
    if (S.l6 < 0) S.port6 = S.port4; /* no IPv6 loopback on this machine */
    /* the secret sits in this process's environment (CTest puts it in the real one, which
     * /proc/<pid>/environ shows; setenv alone would change only our memory) and in a hidden
     * "expected output" file */
    const char *env_secret = getenv("RLPT_TEST_SECRET");
    if (env_secret && strlen(env_secret) >= 16 && strlen(env_secret) < sizeof S.secret)
        snprintf(S.secret, sizeof S.secret, "%s", env_secret);
    else
        snprintf(S.secret, sizeof S.secret, "rlpt-secret-%d-%ld", (int)getpid(), (long)random());
    setenv("RLPT_TEST_SECRET", S.secret, 1);
    snprintf(S.hidden_dir, sizeof S.hidden_dir, "/tmp/rlpt-hidden-XXXXXX");
    if (!mkdtemp(S.hidden_dir)) return -1;
    snprintf(S.hidden_file, sizeof S.hidden_file, "%s/expected_output.txt", S.hidden_dir);
    char body[160];
    snprintf(body, sizeof body, "expected %s\n", S.secret);
    if (rlpt_write_file_atomic(S.hidden_file, body, strlen(body), NULL) != 0) return -1;
    S.core_pattern = read_small("/proc/sys/kernel/core_pattern");
    char *shadow = read_small("/etc/shadow");
    if (shadow) {
        /* "root:HASH": the part a leak would show */
        char *c2 = strchr(shadow, ':');
        c2 = c2 ? strchr(c2 + 1, ':') : NULL;
        size_t n = c2 ? (size_t)(c2 - shadow) : 0;
        if (n >= sizeof S.shadow_line) n = sizeof S.shadow_line - 1;
        memcpy(S.shadow_line, shadow, n);
        S.shadow_line[n] = '\0';
        free(shadow);
    }
    return 0;
}

static int teardown(void **state) {
    (void)state;
    sandbox_free(S.sb);
    if (S.l4 >= 0) close(S.l4);
    if (S.l6 >= 0) close(S.l6);
    unlink(S.hidden_file);
    rmdir(S.hidden_dir);
    free(S.core_pattern);
    return 0;
}

static int uid_processes(int uid) {
    DIR *d = opendir("/proc");
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
        char path[300];
        snprintf(path, sizeof path, "/proc/%s/status", e->d_name);
        char *st = read_small(path);
        if (!st) continue;
        char *u = strstr(st, "\nUid:");
        int r = -1;
        if (u && sscanf(u + 5, "%d", &r) == 1 && r == uid) n++;
        free(st);
    }
    if (d) closedir(d);
    return n;
}

static int contains(const char *hay, size_t n, const char *needle) {
    return needle[0] && memmem(hay, n, needle, strlen(needle)) != NULL;
}

/* Every check of the host after one program: 0 when the host is unchanged, else 1 with what
 * changed in why. uid: the sandbox uid whose processes must all be gone. */
static int host_changed(const sandbox_result *r, int is_binary, int uid, char *why, size_t cap) {
    for (size_t i = 0; i < sizeof canaries / sizeof canaries[0]; i++)
        if (access(canaries[i], F_OK) == 0) {
            unlink(canaries[i]);
            snprintf(why, cap, "left %s on the host", canaries[i]);
            return 1;
        }
    int left = uid_processes(uid);
    if (left) {
        snprintf(why, cap, "%d processes of uid %d outlived the run", left, uid);
        return 1;
    }
    for (int k = 0; k < 2; k++) {
        int l = k ? S.l6 : S.l4;
        if (l < 0) continue;
        int c = accept(l, NULL, NULL);
        if (c >= 0) {
            close(c);
            snprintf(why, cap, "connected to the host's loopback listener");
            return 1;
        }
        assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
    }
    const char *texts[2] = {r->out, r->err};
    size_t lens[2] = {r->out_len, r->err_len};
    for (int k = 0; k < 2; k++) {
        const char *what = NULL;
        if (!(is_binary && k == 0) && contains(texts[k], lens[k], "ESCAPE"))
            what = "claims an escape";
        else if (contains(texts[k], lens[k], S.secret))
            what = "the host secret is in its output";
        else if (contains(texts[k], lens[k], S.shadow_line))
            what = "/etc/shadow is in its output";
        if (what) {
            snprintf(why, cap, "%s: %.200s", what, texts[k]);
            return 1;
        }
    }
    char *cp = read_small("/proc/sys/kernel/core_pattern");
    int changed = cp && S.core_pattern && strcmp(cp, S.core_pattern) != 0;
    if (changed) snprintf(why, cap, "changed kernel.core_pattern to %s", cp);
    free(cp);
    return changed;
}

static void check_host(const char *name, const sandbox_result *r, int is_binary) {
    char why[512];
    if (host_changed(r, is_binary, sandbox_uid(S.sb), why, sizeof why))
        fail_msg("%s: %s", name, why);
}

static int verdict_expected(const char *expect, sandbox_verdict v) {
    const char *name = sandbox_verdict_name(v);
    size_t n = strlen(name);
    for (const char *p = expect; *p;) {
        size_t k = strcspn(p, "|");
        if (k == n && strncmp(p, name, n) == 0) return 1;
        p += k;
        if (*p == '|') p++;
    }
    return 0;
}

static void suite_limits(sandbox_limits *l) {
    sandbox_limits_default(l);
    l->cpu_s = 1.0;
    l->wall_s = 5.0;
    l->mem_bytes = (size_t)256 << 20;
    l->nproc = 16;
    l->box_bytes = (size_t)32 << 20;
    l->stdout_max = (size_t)256 << 10;
    l->stderr_max = (size_t)64 << 10;
}

/* Runs one program; for C, compiles it inside the sandbox first. */
static void run_one(const char *name, int *n_py, int *n_c) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", SUITE, name);
    char *src = read_small(path);
    assert_non_null(src);
    char expect[64] = "";
    if (sscanf(src, "%*s expect: %63s", expect) != 1) fail_msg("%s: no 'expect:' line", name);
    int is_c = strcmp(name + strlen(name) - 2, ".c") == 0;
    rlpt_err err = {0};
    sandbox_exec ex;
    memset(&ex, 0, sizeof ex);
    suite_limits(&ex.limits);
    char input[64];
    snprintf(input, sizeof input, "%d %d\n", S.port4, S.port6);
    sandbox_result r;
    char *bin = NULL;
    size_t bin_len = 0;
    /* a program expected to end by its CPU limit gets a long wall clock, so that a busy machine
     * (a few % of a core) still lets it reach the hard limit (2 s of CPU) first */
    int cpu_bound = strcmp(expect, "TLE") == 0;
    if (is_c) {
        (*n_c)++;
        static const char *const cc[] = {
            "/bin/sh", "-c",
            "gcc -std=gnu11 -O1 -pipe -o a.out ../src/prog.c -lm 1>&2 && cat a.out", NULL};
        sandbox_file f = {"prog.c", src, strlen(src), 0};
        ex.argv = cc;
        ex.files = &f;
        ex.n_files = 1;
        sandbox_limits lc = ex.limits;
        ex.limits.cpu_s = 20;
        ex.limits.wall_s = 30;
        ex.limits.mem_bytes = (size_t)1 << 30;
        ex.limits.nproc = 32;
        ex.limits.stdout_max = (size_t)16 << 20;
        if (sandbox_run(S.sb, &ex, &r, &err) != 0) fail_msg("%s: compile: %s", name, err.msg);
        check_host(name, &r, 1); /* stdout is the binary: its strings say ESCAPE */
        if (r.verdict != SANDBOX_OK) {
            r.verdict = SANDBOX_CE;
        } else {
            bin = r.out;
            bin_len = r.out_len;
            r.out = NULL;
        }
        ex.limits = lc;
        if (cpu_bound) ex.limits.wall_s = 20;
        if (bin) {
            sandbox_result_free(&r);
            static const char *const run[] = {"../src/a.out", NULL};
            sandbox_file fb = {"a.out", bin, bin_len, 1};
            ex.argv = run;
            ex.files = &fb;
            ex.stdin_data = input;
            ex.stdin_len = strlen(input);
            if (sandbox_run(S.sb, &ex, &r, &err) != 0) fail_msg("%s: run: %s", name, err.msg);
        }
    } else {
        (*n_py)++;
        static const char *const py[] = {"/usr/bin/python3", "-I", "-S", "-B",
                                         "../src/prog.py",   NULL};
        sandbox_file f = {"prog.py", src, strlen(src), 0};
        ex.argv = py;
        ex.files = &f;
        ex.n_files = 1;
        ex.stdin_data = input;
        ex.stdin_len = strlen(input);
        if (cpu_bound) ex.limits.wall_s = 20;
        if (sandbox_run(S.sb, &ex, &r, &err) != 0) fail_msg("%s: run: %s", name, err.msg);
    }
    print_message("  %-22s %-5s (expected %s) cpu %.2f s wall %.2f s  %.60s\n", name,
                  sandbox_verdict_name(r.verdict), expect, r.cpu_s, r.wall_s,
                  r.out_len ? r.out : r.err);
    if (!verdict_expected(expect, r.verdict))
        fail_msg("%s: verdict %s (exit %d, signal %d), expected %s; stdout %.200s stderr %.300s",
                 name, sandbox_verdict_name(r.verdict), r.exit_code, r.signal, expect, r.out,
                 r.err);
    check_host(name, &r, 0);
    if (strcmp(name, "py_exit_code.py") == 0 || strcmp(name, "c_exit42.c") == 0)
        assert_int_equal(r.exit_code, 42);
    if (strcmp(name, "py_stdin_echo.py") == 0) assert_non_null(strstr(r.out, input));
    if (strcmp(name, "py_benign.py") == 0) assert_string_equal(r.out, "45\n");
    sandbox_result_free(&r);
    free(bin);
    free(src);
}

static int cmp_names(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_attack_suite(void **state) {
    (void)state;
    DIR *d = opendir(SUITE);
    assert_non_null(d);
    char *names[256];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 256) {
        size_t len = strlen(e->d_name);
        if ((len > 3 && strcmp(e->d_name + len - 3, ".py") == 0) ||
            (len > 2 && strcmp(e->d_name + len - 2, ".c") == 0))
            names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, (size_t)n, sizeof names[0], cmp_names);
    int n_py = 0, n_c = 0;
    for (int i = 0; i < n; i++) {
        run_one(names[i], &n_py, &n_c);
        free(names[i]);
    }
    print_message("  %d programs (%d Python, %d C) contained\n", n, n_py, n_c);
    assert_true(n_py + n_c >= 40);
    assert_true(n_py >= 10 && n_c >= 10);
}

/* The checks can fail: the same kind of programs WITHOUT isolation (mode none, as root) are
 * caught by host_changed, one violation each. */
static void test_checks_catch_escapes(void **state) {
    (void)state;
    sandbox *none = NULL;
    rlpt_err err = {0};
    assert_int_equal(sandbox_init(&none, SANDBOX_NONE, 0, 60000, &err), 0);
    char port[16];
    snprintf(port, sizeof port, "%d", S.port4);
    const char *cases[][2] = {
        {"open('/tmp/rlpt-canary', 'w').write('x')", "left /tmp/rlpt-canary"},
        {"import socket, sys\nsocket.create_connection(('127.0.0.1', int(sys.stdin.read())))",
         "loopback listener"},
        {"import glob\nfor p in glob.glob('/tmp/rlpt-hidden-*/*'): print(open(p).read())",
         "host secret"},
        {"print('ESCAPE: pretend')", "claims an escape"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *argv[] = {"/usr/bin/python3", "-I", "-S", "-c", cases[i][0], NULL};
        sandbox_exec ex;
        memset(&ex, 0, sizeof ex);
        ex.argv = argv;
        ex.stdin_data = port;
        ex.stdin_len = strlen(port);
        suite_limits(&ex.limits);
        sandbox_result r;
        assert_int_equal(sandbox_run(none, &ex, &r, &err), 0);
        char why[512] = "";
        int changed = host_changed(&r, 0, sandbox_uid(S.sb), why, sizeof why);
        print_message("  control %zu: %s\n", i, changed ? why : "NOT CAUGHT");
        if (!changed || !strstr(why, cases[i][1]))
            fail_msg("control %zu: expected '%s', got '%s'", i, cases[i][1], why);
        sandbox_result_free(&r);
    }
    sandbox_free(none);
}

int main(void) {
    if (geteuid() != 0) {
        /* the suite needs the real sandbox; CI runs as root (test_sandbox checks refusal) */
        fprintf(stderr, "test_sandbox_attacks: needs root\n");
        return 1;
    }
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_checks_catch_escapes),
                                       cmocka_unit_test(test_attack_suite)};
    return cmocka_run_group_tests(tests, setup, teardown);
}
