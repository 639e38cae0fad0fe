/* tests/rewards/test_sandbox.c: the sandbox API. Every verdict from a program made to produce
 * it, stdin/stdout plumbing, the limits' bounds, the refusal without root (a child that drops
 * to nobody), mode none (runs, and has a warning), and groups of boxes that talk over passed fds
 * (placement, EOF when a box ends, the linger and cut, separate uids and namespaces). The
 * attacks are in test_sandbox_attacks.c. */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "sandbox.h"

static sandbox *SB, *SB2; /* slots 3 and 4: uids 60003 and 60004 */

static int setup(void **state) {
    (void)state;
    rlpt_err err = {0};
    if (sandbox_init(&SB, SANDBOX_NAMESPACES, 3, 60000, &err) != 0 ||
        sandbox_init(&SB2, SANDBOX_NAMESPACES, 4, 60000, &err) != 0) {
        fprintf(stderr, "sandbox_init: %s\n", err.msg);
        return -1;
    }
    return 0;
}

static int teardown(void **state) {
    (void)state;
    sandbox_free(SB);
    sandbox_free(SB2);
    return 0;
}

/* Runs `sh -c script` with small limits; stdin optional. */
static void run_sh(sandbox *sb, const char *script, const char *in, double cpu, double wall,
                   sandbox_result *r) {
    const char *argv[] = {"/bin/sh", "-c", script, NULL};
    sandbox_exec ex;
    memset(&ex, 0, sizeof ex);
    ex.argv = argv;
    ex.stdin_data = in;
    ex.stdin_len = in ? strlen(in) : 0;
    sandbox_limits_default(&ex.limits);
    ex.limits.cpu_s = cpu;
    ex.limits.wall_s = wall;
    ex.limits.stdout_max = 4096;
    rlpt_err err = {0};
    if (sandbox_run(sb, &ex, r, &err) != 0) fail_msg("sandbox_run: %s", err.msg);
}

static void test_verdicts(void **state) {
    (void)state;
    sandbox_result r;
    run_sh(SB, "echo hello; echo oops >&2", NULL, 2, 5, &r);
    assert_int_equal(r.verdict, SANDBOX_OK);
    assert_string_equal(r.out, "hello\n");
    assert_string_equal(r.err, "oops\n");
    sandbox_result_free(&r);

    run_sh(SB, "exit 7", NULL, 2, 5, &r);
    assert_int_equal(r.verdict, SANDBOX_RE);
    assert_int_equal(r.exit_code, 7);
    sandbox_result_free(&r);

    run_sh(SB, "kill -SEGV $$", NULL, 2, 5, &r);
    assert_int_equal(r.verdict, SANDBOX_SIG);
    assert_int_equal(r.signal, SIGSEGV);
    sandbox_result_free(&r);

    run_sh(SB, "while :; do :; done", NULL, 1, 10, &r);
    assert_int_equal(r.verdict, SANDBOX_TLE);
    /* rusage lags RLIMIT_CPU's own clock on this VM (seen 0.85 s at a 1 s limit under load) */
    assert_true(r.cpu_s >= 0.5);
    sandbox_result_free(&r);

    run_sh(SB, "sleep 100", NULL, 2, 0.5, &r);
    assert_int_equal(r.verdict, SANDBOX_WALL);
    assert_true(r.wall_s >= 0.5 && r.wall_s < 5); /* seen: 0.50 */
    sandbox_result_free(&r);

    run_sh(SB, "while :; do echo xxxxxxxxxxxxxxxx; done", NULL, 5, 10, &r);
    assert_int_equal(r.verdict, SANDBOX_OLE);
    assert_int_equal(r.out_len, 4096); /* what was kept: exactly the cap */
    sandbox_result_free(&r);

    /* a file over RLIMIT_FSIZE: SIGXFSZ for a C program (dd) */
    run_sh(SB, "exec dd if=/dev/zero of=/box/f bs=1M count=64 2>/dev/null", NULL, 5, 10, &r);
    assert_int_equal(r.verdict, SANDBOX_OLE);
    sandbox_result_free(&r);
}

static void test_stdin_files_env(void **state) {
    (void)state;
    const char *argv[] = {"/bin/sh", "../src/run.sh", NULL};
    sandbox_file files[2] = {{"run.sh", "cat; cat ../src/data.txt; env | sort; pwd; id -u", 0, 0},
                             {"data.txt", "DATA\n", 5, 0}};
    files[0].len = strlen(files[0].data);
    sandbox_exec ex;
    memset(&ex, 0, sizeof ex);
    ex.argv = argv;
    ex.files = files;
    ex.n_files = 2;
    ex.stdin_data = "from stdin\n";
    ex.stdin_len = 11;
    sandbox_limits_default(&ex.limits);
    sandbox_result r;
    rlpt_err err = {0};
    assert_int_equal(sandbox_run(SB, &ex, &r, &err), 0);
    assert_int_equal(r.verdict, SANDBOX_OK);
    assert_non_null(strstr(r.out, "from stdin\nDATA\n"));
    assert_non_null(strstr(r.out, "HOME=/box\n"));
    assert_non_null(strstr(r.out, "\n/box\n"));
    assert_non_null(strstr(r.out, "\n60003\n")); /* uid_base 60000 + slot 3 */
    assert_null(strstr(r.out, "RLPT_"));         /* nothing of this process's environment */
    sandbox_result_free(&r);

    /* the caller's umask does not make /src unreadable */
    mode_t um = umask(077);
    assert_int_equal(sandbox_run(SB, &ex, &r, &err), 0);
    umask(um);
    assert_int_equal(r.verdict, SANDBOX_OK);
    assert_non_null(strstr(r.out, "from stdin\nDATA\n"));
    sandbox_result_free(&r);

    /* a big stdin is fed while the program runs (more than a pipe buffer) */
    size_t n = 1 << 20;
    char *big = malloc(n + 1);
    assert_non_null(big);
    memset(big, 'a', n);
    big[n] = '\0';
    const char *wc[] = {"/usr/bin/wc", "-c", NULL};
    ex.argv = wc;
    ex.files = NULL;
    ex.n_files = 0;
    ex.stdin_data = big;
    ex.stdin_len = n;
    assert_int_equal(sandbox_run(SB, &ex, &r, &err), 0);
    assert_int_equal(r.verdict, SANDBOX_OK);
    assert_int_equal(atoi(r.out), (int)n);
    sandbox_result_free(&r);
    free(big);
}

static void test_bad_requests(void **state) {
    (void)state;
    sandbox_exec ex;
    memset(&ex, 0, sizeof ex);
    sandbox_limits_default(&ex.limits);
    const char *rel[] = {"sh", NULL};
    ex.argv = rel;
    sandbox_result r;
    rlpt_err err = {0};
    assert_int_equal(sandbox_run(SB, &ex, &r, &err), RLPT_EINVAL);
    assert_non_null(strstr(err.msg, "absolute"));
    sandbox_result_free(&r);
    const char *ok[] = {"/bin/true", NULL};
    ex.argv = ok;
    sandbox_file bad = {"../x", "", 0, 0};
    ex.files = &bad;
    ex.n_files = 1;
    assert_int_equal(sandbox_run(SB, &ex, &r, &err), RLPT_EINVAL);
    assert_non_null(strstr(err.msg, "bad file name"));
    sandbox_result_free(&r);
    ex.n_files = 0;
    const char *missing[] = {"/usr/bin/no-such-program", NULL};
    ex.argv = missing;
    assert_int_equal(sandbox_run(SB, &ex, &r, &err), RLPT_ESANDBOX);
    assert_non_null(strstr(err.msg, "cannot execute /usr/bin/no-such-program"));
    sandbox_result_free(&r);
}

static void test_limits_bounds(void **state) {
    (void)state;
    sandbox_limits l;
    sandbox_limits_default(&l);
    rlpt_err err = {0};
    assert_int_equal(sandbox_limits_check(&l, &err), 0);
    l.nofile = 3;
    assert_int_equal(sandbox_limits_check(&l, &err), RLPT_ECONFIG);
    assert_non_null(strstr(err.msg, "nofile"));
    sandbox_limits_default(&l);
    l.cpu_s = 0;
    assert_int_equal(sandbox_limits_check(&l, &err), RLPT_ECONFIG);
    assert_non_null(strstr(err.msg, "cpu_s"));
    sandbox_mode m;
    assert_int_equal(sandbox_mode_parse("none", &m, &err), 0);
    assert_int_equal(m, SANDBOX_NONE);
    assert_int_equal(sandbox_mode_parse("docker", &m, &err), RLPT_ECONFIG);
    assert_non_null(strstr(err.msg, "docker"));
}

/* Without root the sandbox refuses, with a message that says why and what to do. */
static void test_refuses_without_root(void **state) {
    (void)state;
    int p[2];
    assert_int_equal(pipe(p), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(p[0]);
        if (setresgid(65534, 65534, 65534) != 0 || setresuid(65534, 65534, 65534) != 0) _exit(2);
        sandbox *sb = NULL;
        rlpt_err err = {0};
        int rc = sandbox_init(&sb, SANDBOX_NAMESPACES, 0, 60000, &err);
        dprintf(p[1], "%d %s", rc, err.msg);
        _exit(sb == NULL ? 0 : 1);
    }
    close(p[1]);
    char buf[4096] = "";
    ssize_t n = read(p[0], buf, sizeof buf - 1);
    close(p[0]);
    int st;
    waitpid(pid, &st, 0);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    assert_true(n > 0);
    assert_int_equal(atoi(buf), RLPT_ESANDBOX);
    assert_non_null(strstr(buf, "needs root"));
    assert_non_null(strstr(buf, "sandbox: none"));
}

static void test_mode_none(void **state) {
    (void)state;
    assert_null(sandbox_mode_warning(SANDBOX_NAMESPACES));
    assert_non_null(strstr(sandbox_mode_warning(SANDBOX_NONE), "WITHOUT isolation"));
    sandbox *sb = NULL;
    rlpt_err err = {0};
    assert_int_equal(sandbox_init(&sb, SANDBOX_NONE, 0, 60000, &err), 0);
    sandbox_result r;
    run_sh(sb, "cat; echo $HOME; ls ../src", "in\n", 2, 5, &r);
    assert_int_equal(r.verdict, SANDBOX_OK);
    assert_non_null(strstr(r.out, "in\n/tmp/rlpt-sandbox-none-"));
    sandbox_result_free(&r);
    run_sh(sb, "sleep 100 & sleep 100", NULL, 2, 0.3, &r);
    assert_int_equal(r.verdict, SANDBOX_WALL);
    sandbox_result_free(&r);
    /* no PID namespace here: a daemon that left the process group keeps stdout open; the
     * supervisor gives up on it 2 s after the deadline instead of hanging */
    run_sh(sb, "setsid sleep 4 & sleep 100", NULL, 2, 0.3, &r);
    assert_int_equal(r.verdict, SANDBOX_WALL);
    assert_true(r.wall_s < 3.5); /* seen: 2.3 */
    sandbox_result_free(&r);
    sandbox_free(sb);
}

/* A process that ignores SIGCHLD (children reaped by the kernel): namespaces mode still gets
 * the status from init's report; mode none says it lost it instead of guessing. Neither that
 * nor a blocked signal of the caller reaches the program. */
static void test_sigchld_ignored(void **state) {
    (void)state;
    struct sigaction old, ign;
    memset(&ign, 0, sizeof ign);
    ign.sa_handler = SIG_IGN;
    assert_int_equal(sigaction(SIGCHLD, &ign, &old), 0);
    sandbox_result r;
    run_sh(SB, "exit 5", NULL, 2, 5, &r);
    assert_int_equal(r.verdict, SANDBOX_RE);
    assert_int_equal(r.exit_code, 5);
    sandbox_result_free(&r);
    sandbox *none = NULL;
    rlpt_err err = {0};
    int rc = sandbox_init(&none, SANDBOX_NONE, 0, 60000, &err);
    sigaction(SIGCHLD, &old, NULL);
    assert_int_equal(rc, RLPT_ESANDBOX);
    assert_non_null(strstr(err.msg, "exit status was lost"));
    /* a caller that blocks SIGXCPU does not pass the block on: the soft limit still signals */
    sigset_t block, prev;
    sigemptyset(&block);
    sigaddset(&block, SIGXCPU);
    assert_int_equal(sigprocmask(SIG_BLOCK, &block, &prev), 0);
    run_sh(SB, "while :; do :; done", NULL, 1, 10, &r);
    sigprocmask(SIG_SETMASK, &prev, NULL);
    assert_int_equal(r.verdict, SANDBOX_TLE);
    assert_int_equal(r.signal, SIGXCPU);
    sandbox_result_free(&r);
}

/* Processes of uid still alive. */
static int uid_processes(int uid) {
    DIR *d = opendir("/proc");
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d))) {
        char path[300], buf[4096];
        snprintf(path, sizeof path, "/proc/%s/status", e->d_name);
        FILE *f = e->d_name[0] >= '0' && e->d_name[0] <= '9' ? fopen(path, "r") : NULL;
        if (!f) continue;
        size_t len = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[len] = '\0';
        char *u = strstr(buf, "\nUid:");
        int r = -1;
        if (u && sscanf(u + 5, "%d", &r) == 1 && r == uid) n++;
    }
    if (d) closedir(d);
    return n;
}

/* A supervisor killed mid-run (rlpt crashing) takes its box with it. */
static void test_supervisor_dies(void **state) {
    (void)state;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        sandbox *sb = NULL;
        rlpt_err err = {0};
        if (sandbox_init(&sb, SANDBOX_NAMESPACES, 9, 60000, &err) != 0) _exit(2);
        sandbox_result r;
        run_sh(sb, "sleep 100 & sleep 100", NULL, 2, 100, &r);
        _exit(1);
    }
    for (int i = 0; i < 100 && uid_processes(60009) < 2; i++) usleep(20000);
    assert_true(uid_processes(60009) >= 2); /* seen: both sleeps up after ~50 ms */
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    for (int i = 0; i < 100 && uid_processes(60009) > 0; i++) usleep(20000);
    assert_int_equal(uid_processes(60009), 0);
}

static void sh_exec(sandbox_exec *ex, const char **argv, const char *script, const int *fds,
                    int n_fds) {
    argv[0] = "/bin/sh";
    argv[1] = "-c";
    argv[2] = script;
    argv[3] = NULL;
    memset(ex, 0, sizeof *ex);
    ex->argv = argv;
    ex->pass_fds = fds;
    ex->n_pass_fds = n_fds;
    sandbox_limits_default(&ex->limits);
    ex->limits.stdout_max = 4096;
}

/* Two boxes over a socketpair: each end lands at fd 3 (and nothing else is open), they talk,
 * each runs as its own slot's uid in its own PID and mount namespaces, and the caller's copies
 * of the passed fds are closed. */
static void test_group_talk(void **state) {
    (void)state;
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    const char *a_argv[4], *b_argv[4];
    sandbox_exec ex[2];
    const char *ns = "readlink /proc/self/ns/pid /proc/self/ns/mnt; id -u";
    char a_script[256], b_script[256];
    snprintf(a_script, sizeof a_script,
             "echo ping >&3; read r <&3; echo \"$r\"; ls /proc/$$/fd; %s", ns);
    snprintf(b_script, sizeof b_script, "read x <&3; echo \"got $x\"; echo pong >&3; %s", ns);
    sh_exec(&ex[0], a_argv, a_script, &sv[0], 1);
    sh_exec(&ex[1], b_argv, b_script, &sv[1], 1);
    sandbox *sbs[2] = {SB, SB2};
    sandbox_result r[2];
    rlpt_err err = {0};
    assert_int_equal(sandbox_run_group(sbs, ex, 2, 5.0, r, &err), 0);
    print_message("  A: %s  B: %s\n", r[0].out, r[1].out);
    assert_int_equal(r[0].verdict, SANDBOX_OK);
    assert_int_equal(r[1].verdict, SANDBOX_OK);
    assert_true(strncmp(r[0].out, "pong\n0\n1\n2\n3\npid:[", 18) == 0); /* only 0-3 */
    assert_true(strncmp(r[1].out, "got ping\npid:[", 14) == 0);
    assert_non_null(strstr(r[0].out, "\n60003\n"));
    assert_non_null(strstr(r[1].out, "\n60004\n"));
    /* "pid:[N]\nmnt:[M]" of each: both namespaces differ */
    unsigned long pid_ns[2] = {0, 0}, mnt_ns[2] = {0, 0};
    for (int i = 0; i < 2; i++) {
        const char *p = strstr(r[i].out, "pid:["), *m = strstr(r[i].out, "mnt:[");
        assert_true(p && m);
        pid_ns[i] = strtoul(p + 5, NULL, 10);
        mnt_ns[i] = strtoul(m + 5, NULL, 10);
        assert_true(pid_ns[i] > 0 && mnt_ns[i] > 0);
    }
    assert_true(pid_ns[0] != pid_ns[1] && mnt_ns[0] != mnt_ns[1]);
    assert_int_equal(r[0].cut + r[1].cut, 0);
    assert_int_equal(fcntl(sv[0], F_GETFD), -1); /* taken by the sandbox */
    assert_int_equal(fcntl(sv[1], F_GETFD), -1);
    for (int i = 0; i < 2; i++) sandbox_result_free(&r[i]);
}

/* When one box ends, its end of the socket closes: a partner reading it sees EOF and ends by
 * itself; one that does not (sleeps) is cut after the linger. */
static void test_group_end(void **state) {
    (void)state;
    sandbox *sbs[2] = {SB, SB2};
    const char *a_argv[4], *b_argv[4];
    sandbox_exec ex[2];
    sandbox_result r[2];
    rlpt_err err = {0};
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    sh_exec(&ex[0], a_argv, "exit 3", &sv[0], 1);
    sh_exec(&ex[1], b_argv, "cat <&3; echo eof", &sv[1], 1);
    assert_int_equal(sandbox_run_group(sbs, ex, 2, 30.0, r, &err), 0);
    assert_int_equal(r[0].verdict, SANDBOX_RE);
    assert_int_equal(r[0].exit_code, 3);
    assert_int_equal(r[1].verdict, SANDBOX_OK);
    assert_string_equal(r[1].out, "eof\n");
    assert_int_equal(r[0].cut + r[1].cut, 0);
    for (int i = 0; i < 2; i++) sandbox_result_free(&r[i]);

    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    sh_exec(&ex[0], a_argv, "sleep 100", &sv[0], 1);
    sh_exec(&ex[1], b_argv, "exit 0", &sv[1], 1);
    ex[0].limits.wall_s = 60; /* the cut, not the wall, ends it */
    assert_int_equal(sandbox_run_group(sbs, ex, 2, 0.2, r, &err), 0);
    assert_int_equal(r[1].verdict, SANDBOX_OK);
    assert_int_equal(r[1].cut, 0);
    assert_int_equal(r[0].verdict, SANDBOX_SIG);
    assert_int_equal(r[0].signal, SIGKILL);
    assert_int_equal(r[0].cut, 1);
    for (int i = 0; i < 2; i++) sandbox_result_free(&r[i]);
    assert_int_equal(uid_processes(60003) + uid_processes(60004), 0);
}

/* Bad groups and bad fds are refused, the error names the box, and the fds are closed anyway. */
static void test_group_bad(void **state) {
    (void)state;
    sandbox *sbs[2] = {SB, SB2};
    const char *a_argv[4], *b_argv[4];
    sandbox_exec ex[2];
    sandbox_result r[2];
    rlpt_err err = {0};
    sh_exec(&ex[0], a_argv, "true", NULL, 0);
    assert_int_equal(sandbox_run_group(sbs, ex, 0, 1.0, r, &err), RLPT_EINVAL);
    assert_non_null(strstr(err.msg, "1 to 4 boxes"));
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    int five[5] = {sv[0], sv[0], sv[0], sv[0], sv[0]};
    sh_exec(&ex[0], a_argv, "true", five, 5);
    assert_int_equal(sandbox_run(SB, &ex[0], &r[0], &err), RLPT_EINVAL);
    assert_non_null(strstr(err.msg, "5 fds to pass (at most 4)"));
    sandbox_result_free(&r[0]);
    assert_int_equal(fcntl(sv[0], F_GETFD), -1);
    int closed = sv[0];
    sh_exec(&ex[0], a_argv, "true", &closed, 1);
    assert_int_equal(sandbox_run(SB, &ex[0], &r[0], &err), RLPT_EINVAL);
    assert_non_null(strstr(err.msg, "is not open"));
    sandbox_result_free(&r[0]);
    /* box 2 cannot start its program: box 1 is ended, the error says which */
    static const char *const missing[] = {"/usr/bin/no-such-program", NULL};
    sh_exec(&ex[0], a_argv, "read x <&3", &sv[1], 1);
    memset(&ex[1], 0, sizeof ex[1]);
    ex[1].argv = missing;
    sandbox_limits_default(&ex[1].limits);
    (void)b_argv;
    assert_int_equal(sandbox_run_group(sbs, ex, 2, 1.0, r, &err), RLPT_ESANDBOX);
    assert_non_null(
        strstr(err.msg, "box 2 of 2: sandbox: cannot execute /usr/bin/no-such-program"));
    assert_int_equal(fcntl(sv[1], F_GETFD), -1);
    for (int i = 0; i < 2; i++) sandbox_result_free(&r[i]);
    assert_int_equal(uid_processes(60003) + uid_processes(60004), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_verdicts),
        cmocka_unit_test(test_stdin_files_env),
        cmocka_unit_test(test_bad_requests),
        cmocka_unit_test(test_limits_bounds),
        cmocka_unit_test(test_refuses_without_root),
        cmocka_unit_test(test_mode_none),
        cmocka_unit_test(test_sigchld_ignored),
        cmocka_unit_test(test_supervisor_dies),
        cmocka_unit_test(test_group_talk),
        cmocka_unit_test(test_group_end),
        cmocka_unit_test(test_group_bad),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
