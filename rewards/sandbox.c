/* rewards/sandbox.c: one sandboxed execution, supervised (see sandbox.h for the isolation it
 * gives).
 *
 * Three processes per run. The supervisor is the caller's thread: it feeds stdin, reads
 * stdout/stderr up to their caps, watches the wall deadline through a pidfd and reaps. init
 * and the payload are sandbox_child.c's: init reports the payload's wait status and CPU time on
 * a pipe, and its exit kills the namespace.
 * Left out: cgroups, user namespaces (needs root instead). Reference: pid_namespaces(7),
 * pidfd_open(2), the measured sandbox findings of issue #7. */
#define _GNU_SOURCE
#include "sandbox_child.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <math.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NS_FLAGS                                                                                   \
    (CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP)

static const char *const env_common[] = {
    "PATH=/usr/bin:/bin", "LANG=C.UTF-8",           "PYTHONHASHSEED=0", "PYTHONDONTWRITEBYTECODE=1",
    "OMP_NUM_THREADS=1",  "OPENBLAS_NUM_THREADS=1", "MKL_NUM_THREADS=1"};

int sandbox_uid(const sandbox *sb) {
    return sb->uid;
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st, (void)flag, (void)ftw;
    chmod(path, 0700);
    return remove(path) == 0 ? 0 : 0;
}

static int make_none_dir(run_ctx *c, char *tmp, size_t cap, rlpt_err *err) {
    snprintf(tmp, cap, "/tmp/rlpt-sandbox-none-XXXXXX");
    if (!mkdtemp(tmp))
        return rlpt_errf(err, RLPT_ESANDBOX, "sandbox: mkdtemp %s: %s", tmp, strerror(errno));
    char src[160];
    snprintf(src, sizeof src, "%s/src", tmp);
    snprintf(c->box_dir, sizeof c->box_dir, "%s/box", tmp);
    if (mkdir(src, 0755) != 0 || mkdir(c->box_dir, 0700) != 0)
        return rlpt_errf(err, RLPT_ESANDBOX, "sandbox: mkdir in %s: %s", tmp, strerror(errno));
    for (int i = 0; i < c->ex->n_files; i++) {
        const sandbox_file *f = &c->ex->files[i];
        char path[256];
        snprintf(path, sizeof path, "%s/%s", src, f->name);
        int fd = open(path, O_CREAT | O_WRONLY | O_EXCL | O_CLOEXEC, f->executable ? 0555 : 0444);
        if (fd < 0 || sandbox_write_all(fd, f->data, f->len) != 0) {
            if (fd >= 0) close(fd);
            return rlpt_errf(err, RLPT_ESANDBOX, "sandbox: writing %s: %s", path, strerror(errno));
        }
        close(fd);
    }
    return 0;
}

/* A growing capture buffer with a cap; *over set once more than cap bytes arrived. */
typedef struct capture {
    char *buf;
    size_t len, cap, max;
    int fd, over;
} capture;

static int capture_read(capture *cp) {
    for (;;) {
        if (cp->len == cp->cap && cp->cap < cp->max + 1) {
            size_t n = cp->cap ? cp->cap * 2 : 4096;
            if (n > cp->max + 1) n = cp->max + 1;
            char *b = realloc(cp->buf, n + 1);
            if (!b) return -1;
            cp->buf = b;
            cp->cap = n;
        }
        char sink[4096];
        char *dst = cp->len < cp->cap ? cp->buf + cp->len : sink;
        size_t room = cp->len < cp->cap ? cp->cap - cp->len : sizeof sink;
        ssize_t r = read(cp->fd, dst, room);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return errno == EAGAIN ? 0 : -1;
        if (r == 0) {
            close(cp->fd);
            cp->fd = -1;
            return 0;
        }
        if (dst != sink) cp->len += (size_t)r;
        if (cp->len > cp->max) {
            cp->len = cp->max;
            cp->over = 1;
            return 0;
        }
        if (dst == sink) cp->over = 1;
    }
}

static int validate(const sandbox_exec *ex, rlpt_err *err) {
    if (!ex->argv || !ex->argv[0] ||
        (ex->argv[0][0] != '/' && strncmp(ex->argv[0], "../src/", 7) != 0))
        return rlpt_errf(err, RLPT_EINVAL,
                         "sandbox: argv[0] must be an absolute path or ../src/NAME");
    if (ex->n_files < 0 || ex->n_files > MAX_FILES)
        return rlpt_errf(err, RLPT_EINVAL, "sandbox: %d files (at most %d)", ex->n_files,
                         MAX_FILES);
    for (int i = 0; i < ex->n_files; i++) {
        const char *n = ex->files[i].name;
        size_t len = strlen(n);
        if (len == 0 || len > 64 ||
            strspn(n, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                      "0123456789._-") != len ||
            n[0] == '.')
            return rlpt_errf(err, RLPT_EINVAL, "sandbox: bad file name '%s' ([A-Za-z0-9._-])", n);
    }
    return sandbox_limits_check(&ex->limits, err);
}

static void verdict_from_status(sandbox_result *res, int st, const sandbox_limits *l) {
    if (WIFEXITED(st)) {
        res->exit_code = WEXITSTATUS(st);
        res->verdict = res->exit_code == 0 ? SANDBOX_OK : SANDBOX_RE;
        return;
    }
    int sig = WIFSIGNALED(st) ? WTERMSIG(st) : 0;
    res->signal = sig;
    if (sig == SIGXCPU || (sig == SIGKILL && res->cpu_s >= ceil(l->cpu_s)))
        res->verdict = SANDBOX_TLE;
    else if (sig == SIGXFSZ)
        res->verdict = SANDBOX_OLE;
    else
        res->verdict = SANDBOX_SIG;
}

int sandbox_run(sandbox *sb, const sandbox_exec *ex, sandbox_result *res, rlpt_err *err) {
    memset(res, 0, sizeof *res);
    int rc = validate(ex, err);
    if (rc) return rc;
    const sandbox_limits *l = &ex->limits;
    run_ctx c;
    memset(&c, 0, sizeof c);
    c.sb = sb;
    c.ex = ex;
    int ns = sb->mode == SANDBOX_NAMESPACES;
    size_t src_bytes = 0;
    for (int i = 0; i < ex->n_files; i++) {
        if (ex->files[i].len > ((size_t)1 << 30))
            return rlpt_errf(err, RLPT_EINVAL, "sandbox: file %s is over 1 GiB", ex->files[i].name);
        src_bytes += ex->files[i].len + 4096;
        snprintf(c.src_path[i], sizeof c.src_path[i], ROOT "/src/%s", ex->files[i].name);
    }
    snprintf(c.root_opts, sizeof c.root_opts, "size=%zu,mode=0755,nr_inodes=4096",
             src_bytes + ((size_t)1 << 20));
    snprintf(c.box_opts, sizeof c.box_opts, "size=%zu,mode=0700,uid=%d,gid=%d", l->box_bytes,
             sb->uid, sb->uid);
    char tmp[64] = "";
    int n_env = 0;
    for (size_t i = 0; i < sizeof env_common / sizeof env_common[0]; i++)
        c.envp[n_env++] = env_common[i];
    int in_sv[2] = {-1, -1}, out_p[2] = {-1, -1}, err_p[2] = {-1, -1}, st_p[2] = {-1, -1};
    int pidfd = -1;
    long pid = -1;
    capture co = {0}, ce = {0};
    if (!ns) {
        rc = make_none_dir(&c, tmp, sizeof tmp, err);
        if (rc) goto out;
        snprintf(c.env_home, sizeof c.env_home, "HOME=%s", c.box_dir);
        snprintf(c.env_tmp, sizeof c.env_tmp, "TMPDIR=%s", c.box_dir);
    } else {
        snprintf(c.env_home, sizeof c.env_home, "HOME=/box");
        snprintf(c.env_tmp, sizeof c.env_tmp, "TMPDIR=/box");
    }
    c.envp[n_env++] = c.env_home;
    c.envp[n_env++] = c.env_tmp;
    c.envp[n_env] = NULL;

    /* stdin is a socket so that writing to a program that exited gives EPIPE, not SIGPIPE */
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in_sv) != 0 ||
        pipe2(out_p, O_CLOEXEC) != 0 || pipe2(err_p, O_CLOEXEC) != 0 ||
        pipe2(st_p, O_CLOEXEC) != 0) {
        rc = rlpt_errf(err, RLPT_ESANDBOX, "sandbox: pipes: %s", strerror(errno));
        goto out;
    }
    c.in_r = in_sv[1];
    c.out_w = out_p[1];
    c.err_w = err_p[1];
    c.st_w = st_p[1];
    double t0 = now_s();
    pid = sandbox_raw_clone(ns ? NS_FLAGS : 0);
    if (pid < 0) {
        int e = errno;
        rc = rlpt_errf(err, RLPT_ESANDBOX,
                       "sandbox: creating the PID/mount/net/IPC/UTS/cgroup namespaces failed: "
                       "%s%s",
                       strerror(e),
                       e == EPERM ? " (this process may not create namespaces, e.g. a container "
                                    "without CAP_SYS_ADMIN or a seccomp profile that forbids "
                                    "it: run on the host or in a privileged container, or set "
                                    "sandbox: none for code you trust)"
                                  : "");
        goto out;
    }
    if (pid == 0) {
        if (ns) sandbox_child_init(&c);
        sandbox_child_none(&c);
    }
    close(in_sv[1]), close(out_p[1]), close(err_p[1]), close(st_p[1]);
    in_sv[1] = out_p[1] = err_p[1] = st_p[1] = -1;
    pidfd = (int)syscall(SYS_pidfd_open, (pid_t)pid, 0);
    co = (capture){NULL, 0, 0, l->stdout_max, out_p[0], 0};
    ce = (capture){NULL, 0, 0, l->stderr_max, err_p[0], 0};
    out_p[0] = err_p[0] = -1;
    fcntl(co.fd, F_SETFL, O_NONBLOCK);
    fcntl(ce.fd, F_SETFL, O_NONBLOCK);
    fcntl(in_sv[0], F_SETFL, O_NONBLOCK);
    size_t in_off = 0;
    if (!ex->stdin_data || ex->stdin_len == 0) {
        close(in_sv[0]);
        in_sv[0] = -1;
    }
    int exited = 0, killed_wall = 0, killed_ole = 0;
    double deadline = t0 + l->wall_s;
    while (co.fd >= 0 || ce.fd >= 0 || !exited) {
        struct pollfd p[4];
        int n = 0, i_in = -1, i_out = -1, i_err = -1, i_pid = -1;
        if (in_sv[0] >= 0) p[i_in = n++] = (struct pollfd){in_sv[0], POLLOUT, 0};
        if (co.fd >= 0) p[i_out = n++] = (struct pollfd){co.fd, POLLIN, 0};
        if (ce.fd >= 0) p[i_err = n++] = (struct pollfd){ce.fd, POLLIN, 0};
        if (!exited && pidfd >= 0) p[i_pid = n++] = (struct pollfd){pidfd, POLLIN, 0};
        double left = deadline - now_s();
        if ((killed_wall || killed_ole) && left < -2.0) {
            /* SANDBOX_NONE only: a daemon that left the process group still holds a pipe */
            kill((pid_t)pid, SIGKILL);
            break;
        }
        if (left <= 0 && !killed_wall && !killed_ole) {
            kill((pid_t)pid, SIGKILL);
            if (!ns) kill(-(pid_t)pid, SIGKILL);
            killed_wall = 1;
        }
        /* after a kill, all writers die with the namespace: wait for EOF without a deadline */
        int timeout = killed_wall || killed_ole ? 200 : (int)(left * 1000) + 1;
        if (pidfd < 0 && !exited && timeout > 5) timeout = 5;
        int pr = poll(p, (nfds_t)n, timeout);
        if (pr < 0 && errno != EINTR) {
            rc = rlpt_errf(err, RLPT_ESANDBOX, "sandbox: poll: %s", strerror(errno));
            kill((pid_t)pid, SIGKILL);
            goto reap;
        }
        if (i_in >= 0 && p[i_in].revents) {
            ssize_t w = send(in_sv[0], ex->stdin_data + in_off, ex->stdin_len - in_off,
                             MSG_NOSIGNAL | MSG_DONTWAIT);
            if (w > 0) in_off += (size_t)w;
            if ((w < 0 && errno != EAGAIN && errno != EINTR) || in_off == ex->stdin_len) {
                close(in_sv[0]);
                in_sv[0] = -1;
            }
        }
        if ((i_out >= 0 && p[i_out].revents && capture_read(&co) != 0) ||
            (i_err >= 0 && p[i_err].revents && capture_read(&ce) != 0)) {
            rc = rlpt_errf(err, RLPT_ENOMEM, "sandbox: reading the program's output failed");
            kill((pid_t)pid, SIGKILL);
            goto reap;
        }
        if ((co.over || ce.over) && !killed_ole && !killed_wall) {
            kill((pid_t)pid, SIGKILL);
            if (!ns) kill(-(pid_t)pid, SIGKILL);
            killed_ole = 1;
        }
        if (i_pid >= 0 && p[i_pid].revents) exited = 1;
        if (pidfd < 0 && !exited) {
            siginfo_t si = {0};
            if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid)
                exited = 1;
        }
        if (exited && !ns && (co.fd >= 0 || ce.fd >= 0)) kill(-(pid_t)pid, SIGKILL);
    }
reap:;
    int st = 0;
    struct rusage ru;
    memset(&ru, 0, sizeof ru);
    pid_t w;
    while ((w = wait4((pid_t)pid, &st, __WALL, &ru)) < 0 && errno == EINTR) {
    }
    /* ECHILD: something else in this process reaped it (a waitpid(-1) or SIGCHLD set to
     * SIG_IGN). Namespaces mode does not need it (init reports on the pipe); mode none does. */
    int reaped = w == (pid_t)pid;
    pid = -1;
    res->wall_s = now_s() - t0;
    if (rc) goto out;
    box_msg m[2];
    memset(m, 0, sizeof m);
    ssize_t got = read(st_p[0], m, sizeof m);
    int n_msg = got > 0 ? (int)(got / (ssize_t)sizeof(box_msg)) : 0;
    int have_status = 0, status = 0;
    int64_t cpu_usec = 0;
    for (int i = 0; i < n_msg; i++) {
        if (m[i].kind == MSG_SETUP) {
            rc = rlpt_errf(err, RLPT_ESANDBOX, "sandbox: %s failed: %s",
                           sandbox_step_name(m[i].step), strerror(m[i].err_no));
            goto out;
        }
        if (m[i].kind == MSG_EXEC) {
            rc = rlpt_errf(err, RLPT_ESANDBOX, "sandbox: cannot execute %s: %s", ex->argv[0],
                           strerror(m[i].err_no));
            goto out;
        }
        if (m[i].kind == MSG_STATUS) {
            have_status = 1;
            status = m[i].status;
            cpu_usec = m[i].cpu_usec;
        }
    }
    if (!ns && !reaped && !rc) {
        rc = rlpt_errf(err, RLPT_ESANDBOX,
                       "sandbox: the program's exit status was lost: another part of this "
                       "process reaps children (waitpid(-1) or SIGCHLD ignored)");
        goto out;
    }
    if (!ns) {
        have_status = 1;
        status = st;
        cpu_usec = (int64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 +
                   ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
    }
    res->cpu_s = (double)cpu_usec * 1e-6;
    if (killed_ole) {
        res->verdict = SANDBOX_OLE;
    } else if (killed_wall && !ns) {
        res->verdict = SANDBOX_WALL;
    } else if (have_status) {
        verdict_from_status(res, status, l);
        /* the payload ended, but the wall clock ran out before its daemons let go of stdout */
        if (killed_wall && res->verdict == SANDBOX_OK) res->verdict = SANDBOX_WALL;
    } else if (killed_wall) {
        res->verdict = SANDBOX_WALL;
    } else {
        rc = rlpt_errf(err, RLPT_ESANDBOX,
                       "sandbox: init ended without reporting (wait status 0x%x)", st);
        goto out;
    }
out:
    if (pid > 0) {
        kill((pid_t)pid, SIGKILL);
        waitpid((pid_t)pid, NULL, __WALL);
    }
    if (tmp[0]) nftw(tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    int fds[] = {in_sv[0], in_sv[1], out_p[0], out_p[1], err_p[0], err_p[1],
                 st_p[0],  st_p[1],  pidfd,    co.fd,    ce.fd};
    for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++)
        if (fds[i] >= 0) close(fds[i]);
    if (!co.buf) co.buf = calloc(1, 1);
    if (!ce.buf) ce.buf = calloc(1, 1);
    if (co.buf) co.buf[co.len] = '\0';
    if (ce.buf) ce.buf[ce.len] = '\0';
    res->out = co.buf;
    res->out_len = co.buf ? co.len : 0;
    res->err = ce.buf;
    res->err_len = ce.buf ? ce.len : 0;
    if (rc == 0 && (!co.buf || !ce.buf))
        rc = rlpt_errf(err, RLPT_ENOMEM, "sandbox: out of memory for the output");
    return rc;
}

void sandbox_result_free(sandbox_result *res) {
    if (!res) return;
    free(res->out);
    free(res->err);
    res->out = res->err = NULL;
    res->out_len = res->err_len = 0;
}

static int find_top_links(sandbox *sb, rlpt_err *err) {
    static const char *const names[] = {"bin", "sbin", "lib", "lib32", "lib64", "libx32"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char path[16] = "/";
        strcat(path, names[i]);
        struct stat st;
        if (lstat(path, &st) != 0) continue;
        int k = sb->n_top;
        snprintf(sb->top[k].name, sizeof sb->top[k].name, "%s", names[i]);
        if (S_ISLNK(st.st_mode)) {
            ssize_t n = readlink(path, sb->top[k].target, sizeof sb->top[k].target - 1);
            if (n <= 0)
                return rlpt_errf(err, RLPT_ESANDBOX, "sandbox: readlink %s: %s", path,
                                 strerror(errno));
            sb->top[k].target[n] = '\0';
        } else if (S_ISDIR(st.st_mode)) {
            snprintf(sb->top[k].target, sizeof sb->top[k].target, "%s", path);
            sb->top[k].is_dir = 1;
        } else {
            continue;
        }
        sb->n_top++;
    }
    return 0;
}

int sandbox_init(sandbox **out, sandbox_mode mode, int slot, int uid_base, rlpt_err *err) {
    *out = NULL;
    if (mode != SANDBOX_NAMESPACES && mode != SANDBOX_NONE)
        return rlpt_errf(err, RLPT_EINVAL, "sandbox: unknown mode %d", (int)mode);
    if (slot < 0 || slot > 4095 || uid_base < 1000 || uid_base > 2000000000 - 4096)
        return rlpt_errf(err, RLPT_ECONFIG,
                         "sandbox: slot %d / uid_base %d out of range (slot < 4096, uid_base in "
                         "[1000, 2e9])",
                         slot, uid_base);
    if (mode == SANDBOX_NAMESPACES && geteuid() != 0)
        return rlpt_errf(err, RLPT_ESANDBOX,
                         "the code sandbox needs root: it creates PID, mount and network "
                         "namespaces and runs each program as its own uid (euid is %d). Run as "
                         "root, or set sandbox: none in the config for code you trust (no "
                         "isolation at all)",
                         (int)geteuid());
    sandbox *sb = calloc(1, sizeof *sb);
    if (!sb) return rlpt_errf(err, RLPT_ENOMEM, "sandbox: out of memory");
    sb->mode = mode;
    sb->slot = slot;
    sb->uid = uid_base + slot;
    int rc = 0;
    if (mode == SANDBOX_NAMESPACES) {
        struct stat st;
        sb->has_alternatives = stat("/etc/alternatives", &st) == 0 && S_ISDIR(st.st_mode);
        rc = find_top_links(sb, err);
        if (!rc) rc = sandbox_policy_compile(&sb->filter, &sb->n_insn, err);
    }
    if (!rc) {
        /* probe: one trivial run through every step, so a machine that cannot do it fails
         * here with the step that broke, not in the middle of training */
        static const char *const argv[] = {"/bin/true", NULL};
        sandbox_exec ex;
        memset(&ex, 0, sizeof ex);
        ex.argv = argv;
        sandbox_limits_default(&ex.limits);
        sandbox_result r;
        rc = sandbox_run(sb, &ex, &r, err);
        if (!rc && r.verdict != SANDBOX_OK)
            rc = rlpt_errf(err, RLPT_ESANDBOX, "sandbox: probe /bin/true ended %s (code %d)",
                           sandbox_verdict_name(r.verdict), r.exit_code);
        sandbox_result_free(&r);
        if (rc) rlpt_err_prefix(err, "sandbox self-test in mode %s", sandbox_mode_name(mode));
    }
    if (rc) {
        sandbox_free(sb);
        return rc;
    }
    *out = sb;
    return 0;
}

void sandbox_free(sandbox *sb) {
    if (!sb) return;
    free(sb->filter);
    free(sb);
}
