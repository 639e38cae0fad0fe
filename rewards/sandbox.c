/* rewards/sandbox.c: sandboxed executions, supervised (see sandbox.h for the isolation they
 * get).
 *
 * Three processes per box. The supervisor is the caller's thread: it feeds stdin, reads
 * stdout/stderr up to their caps, watches the wall deadline through a pidfd and reaps. init
 * and the payload are sandbox_child.c's: init reports the payload's wait status and CPU time on
 * a pipe, and its exit kills the namespace. A group (sandbox_run_group) is several boxes
 * cloned one after the other, then supervised in one poll loop, each with its own deadline;
 * when one has ended the others get the linger, then are killed; sandbox_run is a group of one.
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
    remove(path); /* best effort: carry on with the rest of the tree */
    return 0;
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
    if (ex->n_pass_fds < 0 || ex->n_pass_fds > SANDBOX_MAX_PASS_FDS ||
        (ex->n_pass_fds > 0 && !ex->pass_fds))
        return rlpt_errf(err, RLPT_EINVAL, "sandbox: %d fds to pass (at most %d)", ex->n_pass_fds,
                         SANDBOX_MAX_PASS_FDS);
    for (int i = 0; i < ex->n_pass_fds; i++)
        if (ex->pass_fds[i] < 0 || fcntl(ex->pass_fds[i], F_GETFD) < 0)
            return rlpt_errf(err, RLPT_EINVAL, "sandbox: fd %d to pass is not open",
                             ex->pass_fds[i]);
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

/* One execution in flight, from its clone to its result. */
typedef struct box {
    run_ctx c;
    capture co, ce;
    size_t in_off;
    double t0, t_end, deadline;
    double cut_at;    /* when a partner ended plus the linger; 0 while none has */
    double killed_at; /* when the supervisor killed it (wall, OLE or cut); 0 if it has not */
    long pid;         /* init (or mode none's child); -1 before the clone and once reaped */
    int ns;
    int pidfd;    /* -1 where pidfd_open is missing: then waitid polls */
    int in_fd;    /* the supervisor's end of stdin (a socket), -1 once all is written */
    int st_r;     /* the status pipe init reports on */
    int child[4]; /* the child's ends of stdin, stdout, stderr, status until the clone */
    int exited, killed_wall, killed_ole, killed_cut;
    int done;
    char tmp[64]; /* SANDBOX_NONE: the temporary directory */
} box;

static void box_reset(box *b) {
    memset(b, 0, sizeof *b);
    b->pid = -1;
    b->pidfd = b->in_fd = b->st_r = b->co.fd = b->ce.fd = -1;
    for (int i = 0; i < 4; i++) b->child[i] = -1;
}

/* Prepares everything the child needs, makes the pipes and clones. On error the box holds
 * what box_cleanup releases. */
static int box_start(box *b, sandbox *sb, const sandbox_exec *ex, rlpt_err *err) {
    const sandbox_limits *l = &ex->limits;
    run_ctx *c = &b->c;
    c->sb = sb;
    c->ex = ex;
    c->st_fd = 3 + ex->n_pass_fds;
    b->ns = sb->mode == SANDBOX_NAMESPACES;
    size_t src_bytes = 0;
    for (int i = 0; i < ex->n_files; i++) {
        if (ex->files[i].len > ((size_t)1 << 30))
            return rlpt_errf(err, RLPT_EINVAL, "sandbox: file %s is over 1 GiB", ex->files[i].name);
        src_bytes += ex->files[i].len + 4096;
        snprintf(c->src_path[i], sizeof c->src_path[i], ROOT "/src/%s", ex->files[i].name);
    }
    snprintf(c->root_opts, sizeof c->root_opts, "size=%zu,mode=0755,nr_inodes=4096",
             src_bytes + ((size_t)1 << 20));
    snprintf(c->box_opts, sizeof c->box_opts, "size=%zu,mode=0700,uid=%d,gid=%d", l->box_bytes,
             sb->uid, sb->uid);
    int n_env = 0;
    for (size_t i = 0; i < sizeof env_common / sizeof env_common[0]; i++)
        c->envp[n_env++] = env_common[i];
    if (!b->ns) {
        int rc = make_none_dir(c, b->tmp, sizeof b->tmp, err);
        if (rc) return rc;
        snprintf(c->env_home, sizeof c->env_home, "HOME=%s", c->box_dir);
        snprintf(c->env_tmp, sizeof c->env_tmp, "TMPDIR=%s", c->box_dir);
    } else {
        snprintf(c->env_home, sizeof c->env_home, "HOME=/box");
        snprintf(c->env_tmp, sizeof c->env_tmp, "TMPDIR=/box");
    }
    c->envp[n_env++] = c->env_home;
    c->envp[n_env++] = c->env_tmp;
    c->envp[n_env] = NULL;

    /* stdin is a socket so that writing to a program that exited gives EPIPE, not SIGPIPE */
    int in_sv[2], out_p[2], err_p[2], st_p[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in_sv) != 0)
        return rlpt_errf(err, RLPT_ESANDBOX, "sandbox: pipes: %s", strerror(errno));
    b->in_fd = in_sv[0], b->child[0] = in_sv[1];
    if (pipe2(out_p, O_CLOEXEC) != 0)
        return rlpt_errf(err, RLPT_ESANDBOX, "sandbox: pipes: %s", strerror(errno));
    b->co.fd = out_p[0], b->child[1] = out_p[1];
    if (pipe2(err_p, O_CLOEXEC) != 0)
        return rlpt_errf(err, RLPT_ESANDBOX, "sandbox: pipes: %s", strerror(errno));
    b->ce.fd = err_p[0], b->child[2] = err_p[1];
    if (pipe2(st_p, O_CLOEXEC) != 0)
        return rlpt_errf(err, RLPT_ESANDBOX, "sandbox: pipes: %s", strerror(errno));
    b->st_r = st_p[0], b->child[3] = st_p[1];
    c->in_r = b->child[0];
    c->out_w = b->child[1];
    c->err_w = b->child[2];
    c->st_w = b->child[3];
    b->t0 = now_s();
    long pid = sandbox_raw_clone(b->ns ? NS_FLAGS : 0);
    if (pid < 0) {
        int e = errno;
        return rlpt_errf(err, RLPT_ESANDBOX,
                         "sandbox: creating the PID/mount/net/IPC/UTS/cgroup namespaces failed: "
                         "%s%s",
                         strerror(e),
                         e == EPERM ? " (this process may not create namespaces, e.g. a container "
                                      "without CAP_SYS_ADMIN or a seccomp profile that forbids "
                                      "it: run on the host or in a privileged container, or set "
                                      "sandbox: none for code you trust)"
                                    : "");
    }
    if (pid == 0) {
        if (b->ns) sandbox_child_init(c);
        sandbox_child_none(c);
    }
    b->pid = pid;
    for (int i = 0; i < 4; i++) {
        close(b->child[i]);
        b->child[i] = -1;
    }
    b->pidfd = (int)syscall(SYS_pidfd_open, (pid_t)pid, 0);
    b->co.max = l->stdout_max;
    b->ce.max = l->stderr_max;
    fcntl(b->co.fd, F_SETFL, O_NONBLOCK);
    fcntl(b->ce.fd, F_SETFL, O_NONBLOCK);
    fcntl(b->in_fd, F_SETFL, O_NONBLOCK);
    if (!ex->stdin_data || ex->stdin_len == 0) {
        close(b->in_fd);
        b->in_fd = -1;
    }
    b->deadline = b->t0 + l->wall_s;
    return 0;
}

/* Kills init, which takes the namespace with it (mode none: the process group). */
static void box_kill(const box *b) {
    kill((pid_t)b->pid, SIGKILL);
    if (!b->ns) kill(-(pid_t)b->pid, SIGKILL);
}

static int box_killed(const box *b) {
    return b->killed_wall || b->killed_ole || b->killed_cut;
}

/* Feeds stdin and drains stdout/stderr of every box until each has ended (payload gone, both
 * pipes at EOF), enforcing each one's wall deadline and output caps, and ending the others
 * linger_s after the first one ended. Returns 0, or an error with the boxes still running (the
 * caller kills them). */
static int supervise(box *b, int n, double linger_s, rlpt_err *err) {
    for (;;) {
        struct pollfd p[SANDBOX_MAX_GROUP * 4];
        int at[SANDBOX_MAX_GROUP][4]; /* index in p of stdin, stdout, stderr, pidfd, or -1 */
        int np = 0, active = 0;
        double now = now_s(), wait_s = 3600.0;
        for (int k = 0; k < n; k++) {
            box *x = &b[k];
            at[k][0] = at[k][1] = at[k][2] = at[k][3] = -1;
            if (x->done) continue;
            if (box_killed(x) && now - x->killed_at > 2.0) {
                /* SANDBOX_NONE only: a daemon that left the process group still holds a pipe */
                kill((pid_t)x->pid, SIGKILL);
                x->done = 1;
                x->t_end = now;
                continue;
            }
            if (!box_killed(x) && now >= x->deadline) {
                box_kill(x);
                x->killed_wall = 1;
                x->killed_at = now;
            } else if (!box_killed(x) && !x->exited && x->cut_at > 0 && now >= x->cut_at) {
                box_kill(x);
                x->killed_cut = 1;
                x->killed_at = now;
            }
            active++;
            /* after a kill, all writers die with the namespace: wait for EOF without a deadline */
            double t = box_killed(x) ? 0.2 : x->deadline - now;
            if (!box_killed(x) && !x->exited && x->cut_at > 0 && x->cut_at - now < t)
                t = x->cut_at - now;
            if (t < 0) t = 0;
            if (x->pidfd < 0 && !x->exited && t > 0.005) t = 0.005;
            if (t < wait_s) wait_s = t;
            if (x->in_fd >= 0) p[at[k][0] = np++] = (struct pollfd){x->in_fd, POLLOUT, 0};
            if (x->co.fd >= 0) p[at[k][1] = np++] = (struct pollfd){x->co.fd, POLLIN, 0};
            if (x->ce.fd >= 0) p[at[k][2] = np++] = (struct pollfd){x->ce.fd, POLLIN, 0};
            if (!x->exited && x->pidfd >= 0)
                p[at[k][3] = np++] = (struct pollfd){x->pidfd, POLLIN, 0};
        }
        if (active == 0) return 0;
        int pr = poll(p, (nfds_t)np, (int)(wait_s * 1000) + 1);
        if (pr < 0 && errno != EINTR)
            return rlpt_errf(err, RLPT_ESANDBOX, "sandbox: poll: %s", strerror(errno));
        int ended = 0;
        for (int k = 0; k < n; k++) {
            box *x = &b[k];
            if (x->done) continue;
            const sandbox_exec *ex = x->c.ex;
            if (at[k][0] >= 0 && p[at[k][0]].revents) {
                ssize_t w = send(x->in_fd, ex->stdin_data + x->in_off, ex->stdin_len - x->in_off,
                                 MSG_NOSIGNAL | MSG_DONTWAIT);
                if (w > 0) x->in_off += (size_t)w;
                if ((w < 0 && errno != EAGAIN && errno != EINTR) || x->in_off == ex->stdin_len) {
                    close(x->in_fd);
                    x->in_fd = -1;
                }
            }
            if ((at[k][1] >= 0 && p[at[k][1]].revents && capture_read(&x->co) != 0) ||
                (at[k][2] >= 0 && p[at[k][2]].revents && capture_read(&x->ce) != 0))
                return rlpt_errf(err, RLPT_ENOMEM, "sandbox: reading the program's output failed");
            if ((x->co.over || x->ce.over) && !box_killed(x)) {
                box_kill(x);
                x->killed_ole = 1;
                x->killed_at = now_s();
            }
            if (at[k][3] >= 0 && p[at[k][3]].revents) x->exited = 1;
            if (x->pidfd < 0 && !x->exited) {
                siginfo_t si = {0};
                if (waitid(P_PID, (id_t)x->pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid)
                    x->exited = 1;
            }
            if (x->exited && !x->ns && (x->co.fd >= 0 || x->ce.fd >= 0))
                kill(-(pid_t)x->pid, SIGKILL);
            if (x->exited && x->co.fd < 0 && x->ce.fd < 0) {
                x->done = 1;
                x->t_end = now_s();
                ended = 1;
            }
        }
        if (ended)
            for (int k = 0; k < n; k++)
                if (!b[k].done && b[k].cut_at == 0) b[k].cut_at = now_s() + linger_s;
    }
}

/* Reaps the box and turns init's report into res's verdict. */
static int box_finish(box *b, sandbox_result *res, rlpt_err *err) {
    const sandbox_exec *ex = b->c.ex;
    const sandbox_limits *l = &ex->limits;
    int st = 0;
    struct rusage ru;
    memset(&ru, 0, sizeof ru);
    pid_t w;
    while ((w = wait4((pid_t)b->pid, &st, __WALL, &ru)) < 0 && errno == EINTR) {
    }
    /* ECHILD: something else in this process reaped it (a waitpid(-1) or SIGCHLD set to
     * SIG_IGN). Namespaces mode does not need it (init reports on the pipe); mode none does. */
    int reaped = w == (pid_t)b->pid;
    b->pid = -1;
    res->wall_s = (b->done ? b->t_end : now_s()) - b->t0;
    box_msg m[2];
    memset(m, 0, sizeof m);
    ssize_t got = read(b->st_r, m, sizeof m);
    int n_msg = got > 0 ? (int)(got / (ssize_t)sizeof(box_msg)) : 0;
    int have_status = 0, status = 0;
    int64_t cpu_usec = 0;
    for (int i = 0; i < n_msg; i++) {
        if (m[i].kind == MSG_SETUP)
            return rlpt_errf(err, RLPT_ESANDBOX, "sandbox: %s failed: %s",
                             sandbox_step_name(m[i].step), strerror(m[i].err_no));
        if (m[i].kind == MSG_EXEC)
            return rlpt_errf(err, RLPT_ESANDBOX, "sandbox: cannot execute %s: %s", ex->argv[0],
                             strerror(m[i].err_no));
        if (m[i].kind == MSG_STATUS) {
            have_status = 1;
            status = m[i].status;
            cpu_usec = m[i].cpu_usec;
        }
    }
    if (!b->ns && !reaped)
        return rlpt_errf(err, RLPT_ESANDBOX,
                         "sandbox: the program's exit status was lost: another part of this "
                         "process reaps children (waitpid(-1) or SIGCHLD ignored)");
    if (!b->ns) {
        have_status = 1;
        status = st;
        cpu_usec = (int64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 +
                   ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
    }
    res->cpu_s = (double)cpu_usec * 1e-6;
    /* a kill decides the verdict unless init reported the payload's own end first (mode none:
     * the status is always the kill's) */
    int by_kill = !b->ns || !have_status;
    if (b->killed_ole) {
        res->verdict = SANDBOX_OLE;
    } else if (b->killed_wall && by_kill) {
        res->verdict = SANDBOX_WALL;
    } else if (b->killed_cut && by_kill) {
        res->verdict = SANDBOX_SIG;
        res->signal = SIGKILL;
        res->cut = 1;
    } else if (have_status) {
        verdict_from_status(res, status, l);
        /* the payload ended, but the wall clock ran out before its daemons let go of stdout */
        if (b->killed_wall && res->verdict == SANDBOX_OK) res->verdict = SANDBOX_WALL;
    } else {
        return rlpt_errf(err, RLPT_ESANDBOX,
                         "sandbox: init ended without reporting (wait status 0x%x)", st);
    }
    return 0;
}

/* Releases what the box still holds (killing it if it runs) and hands its output to res. */
static int box_cleanup(box *b, sandbox_result *res, rlpt_err *err) {
    if (b->pid > 0) {
        kill((pid_t)b->pid, SIGKILL);
        waitpid((pid_t)b->pid, NULL, __WALL);
        b->pid = -1;
    }
    if (b->tmp[0]) nftw(b->tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    int fds[] = {b->in_fd,    b->st_r,     b->pidfd,    b->co.fd,   b->ce.fd,
                 b->child[0], b->child[1], b->child[2], b->child[3]};
    for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++)
        if (fds[i] >= 0) close(fds[i]);
    capture *co = &b->co, *ce = &b->ce;
    if (!co->buf) co->buf = calloc(1, 1);
    if (!ce->buf) ce->buf = calloc(1, 1);
    if (co->buf) co->buf[co->len] = '\0';
    if (ce->buf) ce->buf[ce->len] = '\0';
    res->out = co->buf;
    res->out_len = co->buf ? co->len : 0;
    res->err = ce->buf;
    res->err_len = ce->buf ? ce->len : 0;
    if (!co->buf || !ce->buf)
        return rlpt_errf(err, RLPT_ENOMEM, "sandbox: out of memory for the output");
    return 0;
}

static void close_pass_fds(const sandbox_exec *exs, int n) {
    for (int i = 0; i < n; i++)
        for (int k = 0; exs[i].pass_fds && k < exs[i].n_pass_fds && k < SANDBOX_MAX_PASS_FDS; k++)
            if (exs[i].pass_fds[k] >= 0) close(exs[i].pass_fds[k]);
}

int sandbox_run_group(sandbox *const *sbs, const sandbox_exec *exs, int n, double linger_s,
                      sandbox_result *res, rlpt_err *err) {
    for (int i = 0; i < n; i++) memset(&res[i], 0, sizeof res[i]);
    if (n < 1 || n > SANDBOX_MAX_GROUP || !(linger_s >= 0 && linger_s <= 60)) {
        close_pass_fds(exs, n > 0 ? n : 0);
        return rlpt_errf(err, RLPT_EINVAL,
                         "sandbox: a group of %d boxes with a linger of %g s (1 to %d boxes, "
                         "0 to 60 s)",
                         n, linger_s, SANDBOX_MAX_GROUP);
    }
    int rc = 0, bad = -1, used = 0;
    for (int i = 0; i < n && !rc; i++)
        if ((rc = validate(&exs[i], err)) != 0) bad = i;
    box b[SANDBOX_MAX_GROUP];
    for (int i = 0; i < n && !rc; i++) {
        box_reset(&b[i]);
        used = i + 1;
        if ((rc = box_start(&b[i], sbs[i], &exs[i], err)) != 0) bad = i;
    }
    close_pass_fds(exs, n); /* the boxes hold the only copies now */
    if (!rc) rc = supervise(b, n, linger_s, err);
    if (rc)
        for (int i = 0; i < used; i++)
            if (b[i].pid > 0) box_kill(&b[i]);
    for (int i = 0; i < used; i++) {
        rlpt_err e = {0};
        int r = b[i].pid > 0 ? box_finish(&b[i], &res[i], &e) : 0;
        int r2 = box_cleanup(&b[i], &res[i], r ? NULL : &e);
        if (!r) r = r2;
        if (r && !rc) {
            rc = r;
            bad = i;
            if (err) *err = e;
        }
    }
    if (rc && n > 1 && bad >= 0) rlpt_err_prefix(err, "box %d of %d", bad + 1, n);
    return rc;
}

int sandbox_run(sandbox *sb, const sandbox_exec *ex, sandbox_result *res, rlpt_err *err) {
    return sandbox_run_group(&sb, ex, 1, 0.0, res, err);
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
