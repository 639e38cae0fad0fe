/* rewards/sandbox.c: one sandboxed execution (see sandbox.h for the isolation it gives).
 *
 * Three processes per run. The supervisor is the caller's thread: it feeds stdin, reads
 * stdout/stderr up to their caps, watches the wall deadline through a pidfd and reaps. init is
 * pid 1 of the new namespaces (root, our code only): it builds the root file system, forks the
 * payload, waits for it alone and reports its wait status and CPU time on a pipe; when init
 * exits the kernel kills whatever else lives in the PID namespace (daemons, fork bombs). The
 * payload drops to the slot uid, locks itself down (rlimits, no_new_privs, seccomp) and execs.
 *
 * The callers are threads of one process, so between clone() and exec nothing may take a lock
 * another thread could hold: no malloc, no stdio, raw clone instead of fork() (glibc's fork
 * runs atfork handlers). Every string the child needs is built before the clone.
 * Left out: cgroups, user namespaces (needs root instead). Reference: pid_namespaces(7),
 * mount_namespaces(7), pivot_root(2) ("pivot_root(".", ".")"), the measured sandbox findings
 * of issue #7. */
#define _GNU_SOURCE
#include "sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <math.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_FILES 16
#define NS_FLAGS                                                                                   \
    (CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP)
#define ROOT "/tmp" /* where init builds the new root, inside its private mount namespace */

struct sandbox {
    sandbox_mode mode;
    int slot, uid;
    void *filter; /* struct sock_filter[n_insn] */
    size_t n_insn;
    /* top-level entries of merged-usr Debian (bin -> usr/bin, ...): a link to copy, or a
     * directory to bind read-only on a system without merged /usr */
    struct {
        char name[8];
        char target[64];
        int is_dir;
    } top[6];
    int n_top;
    int has_alternatives; /* /etc/alternatives exists (Debian) */
};

/* init -> supervisor report, written on the status pipe */
enum { MSG_SETUP = 1, MSG_EXEC = 2, MSG_STATUS = 3 };
typedef struct box_msg {
    int32_t kind, step, err_no, status;
    int64_t cpu_usec;
} box_msg;

enum {
    STEP_FDS = 1,
    STEP_PRIVATE,
    STEP_ROOT_TMPFS,
    STEP_USR,
    STEP_TOP,
    STEP_DEV,
    STEP_BOX,
    STEP_SRC,
    STEP_PROC,
    STEP_PIVOT,
    STEP_RDONLY,
    STEP_FORK,
    STEP_RLIMIT,
    STEP_UID,
    STEP_SECCOMP,
    STEP_CHDIR
};
static const char *step_name(int s) {
    static const char *const names[] = {"?",
                                        "moving fds",
                                        "making / private",
                                        "mounting the root tmpfs",
                                        "binding /usr",
                                        "linking /bin and /lib",
                                        "making /dev",
                                        "mounting /box",
                                        "writing /src",
                                        "mounting /proc",
                                        "pivot_root",
                                        "remounting / read-only",
                                        "forking the payload",
                                        "setting rlimits",
                                        "switching to the slot uid",
                                        "loading the seccomp filter",
                                        "entering /box"};
    return s > 0 && s < (int)(sizeof names / sizeof names[0]) ? names[s] : "?";
}

/* Everything the child processes need, prepared before the clone (no allocation after it). */
typedef struct run_ctx {
    const sandbox *sb;
    const sandbox_exec *ex;
    int in_r, out_w, err_w, st_w;
    char root_opts[96], box_opts[128];
    char src_path[MAX_FILES][160];
    char box_dir[96]; /* SANDBOX_NONE: the temporary directory's box/ */
    const char *envp[16];
    char env_home[128], env_tmp[128];
} run_ctx;

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

static long raw_clone(unsigned long flags) {
    return syscall(SYS_clone, flags | SIGCHLD, 0, 0, 0, 0);
}

static void send_msg(int fd, int kind, int step, int err_no, int status, int64_t cpu) {
    box_msg m = {kind, step, err_no, status, cpu};
    ssize_t w = write(fd, &m, sizeof m);
    (void)w;
}

static void close_from(int lo) {
    if (syscall(SYS_close_range, (unsigned)lo, ~0u, 0) == 0) return;
    for (int fd = lo; fd < 4096; fd++) close(fd);
}

/* Puts the four fds at 0, 1, 2, 3 and closes every other fd (other slots' pipes included). */
static int fds_to_0123(const run_ctx *c) {
    int src[4] = {c->in_r, c->out_w, c->err_w, c->st_w}, hi[4];
    for (int i = 0; i < 4; i++)
        if ((hi[i] = fcntl(src[i], F_DUPFD, 100)) < 0) return -1;
    for (int i = 0; i < 4; i++)
        if (dup2(hi[i], i) < 0) return -1;
    close_from(4);
    return 0;
}

/* The payload, after fork from init (or from the supervisor in SANDBOX_NONE). Never returns. */
static void payload(const run_ctx *c) {
    const sandbox *sb = c->sb;
    const sandbox_limits *l = &c->ex->limits;
    int step = STEP_RLIMIT;
    fcntl(3, F_SETFD, FD_CLOEXEC);
    rlim_t cpu = (rlim_t)ceil(l->cpu_s);
    struct {
        int res;
        rlim_t soft, hard;
    } lim[] = {
        {RLIMIT_CPU, cpu, cpu + 1},
        {RLIMIT_AS, l->mem_bytes, l->mem_bytes},
        {RLIMIT_NPROC, (rlim_t)l->nproc, (rlim_t)l->nproc},
        {RLIMIT_FSIZE, l->fsize_bytes, l->fsize_bytes},
        {RLIMIT_NOFILE, (rlim_t)l->nofile, (rlim_t)l->nofile},
        {RLIMIT_CORE, 0, 0},
        {RLIMIT_MEMLOCK, 0, 0},
        {RLIMIT_MSGQUEUE, 0, 0},
    };
    for (size_t i = 0; i < sizeof lim / sizeof lim[0]; i++) {
        struct rlimit r = {lim[i].soft, lim[i].hard};
        if (setrlimit(lim[i].res, &r) != 0) goto fail;
    }
    if (sb->mode == SANDBOX_NAMESPACES) {
        step = STEP_CHDIR;
        if (chdir("/box") != 0) goto fail;
        step = STEP_UID;
        /* raw syscalls: glibc's set*id broadcast the change to every thread it believes
         * exists, and after a raw clone the other threads of the caller are not here to
         * answer (a futex wait forever) */
        long u = sb->uid;
        /* no securebit (KEEP_CAPS, NO_SETUID_FIXUP) or ambient capability of the caller may
         * keep a capability across the uid switch */
        if (prctl(PR_SET_SECUREBITS, 0, 0, 0, 0) != 0 ||
            prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 ||
            syscall(SYS_setgroups, 0, NULL) != 0 || syscall(SYS_setresgid, u, u, u) != 0 ||
            syscall(SYS_setresuid, u, u, u) != 0)
            goto fail;
        step = STEP_SECCOMP;
        struct sock_fprog prog = {(unsigned short)sb->n_insn, (struct sock_filter *)sb->filter};
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
            prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0)
            goto fail;
    } else {
        step = STEP_CHDIR;
        setpgid(0, 0);
        if (chdir(c->box_dir) != 0) goto fail;
        prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    }
    execve(c->ex->argv[0], (char *const *)c->ex->argv, (char *const *)c->envp);
    send_msg(3, MSG_EXEC, 0, errno, 0, 0);
    _exit(127);
fail:
    send_msg(3, MSG_SETUP, step, errno, 0, 0);
    _exit(127);
}

static int write_all(int fd, const char *p, size_t n) {
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int bind_ro(const char *src, const char *dst) {
    if (mount(src, dst, NULL, MS_BIND | MS_REC, NULL) != 0) return -1;
    return mount(NULL, dst, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL);
}

/* Builds the new root under ROOT and enters it. Returns 0 or the failing STEP_*. */
static int build_root(const run_ctx *c) {
    const sandbox *sb = c->sb;
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) return STEP_PRIVATE;
    if (mount("tmpfs", ROOT, "tmpfs", MS_NOSUID | MS_NODEV, c->root_opts) != 0)
        return STEP_ROOT_TMPFS;
    if (mkdir(ROOT "/usr", 0755) != 0 || bind_ro("/usr", ROOT "/usr") != 0) return STEP_USR;
    for (int i = 0; i < sb->n_top; i++) {
        char path[32] = ROOT "/";
        strcat(path, sb->top[i].name);
        if (sb->top[i].is_dir ? (mkdir(path, 0755) != 0 || bind_ro(sb->top[i].target, path) != 0)
                              : symlink(sb->top[i].target, path) != 0)
            return STEP_TOP;
    }
    if (mkdir(ROOT "/dev", 0755) != 0) return STEP_DEV;
    static const char *const devs[] = {"null", "zero", "random", "urandom"};
    for (int i = 0; i < 4; i++) {
        char host[32] = "/dev/", path[32] = ROOT "/dev/";
        strcat(host, devs[i]);
        strcat(path, devs[i]);
        int fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0666);
        if (fd < 0) return STEP_DEV;
        close(fd);
        if (mount(host, path, NULL, MS_BIND, NULL) != 0) return STEP_DEV;
    }
    if (symlink("/proc/self/fd", ROOT "/dev/fd") != 0 ||
        symlink("/proc/self/fd/0", ROOT "/dev/stdin") != 0 ||
        symlink("/proc/self/fd/1", ROOT "/dev/stdout") != 0 ||
        symlink("/proc/self/fd/2", ROOT "/dev/stderr") != 0 ||
        symlink("/box", ROOT "/dev/shm") != 0 || symlink("/box", ROOT "/tmp") != 0 ||
        mkdir(ROOT "/etc", 0755) != 0)
        return STEP_DEV;
    /* Debian's alternatives are symlinks that /usr/lib points through (libblas.so.3 for numpy);
     * nothing else of the host's /etc enters the box */
    if (sb->has_alternatives && (mkdir(ROOT "/etc/alternatives", 0755) != 0 ||
                                 bind_ro("/etc/alternatives", ROOT "/etc/alternatives") != 0))
        return STEP_DEV;
    if (mkdir(ROOT "/box", 0700) != 0 ||
        mount("tmpfs", ROOT "/box", "tmpfs", MS_NOSUID | MS_NODEV, c->box_opts) != 0)
        return STEP_BOX;
    if (mkdir(ROOT "/src", 0755) != 0) return STEP_SRC;
    for (int i = 0; i < c->ex->n_files; i++) {
        const sandbox_file *f = &c->ex->files[i];
        int fd = open(c->src_path[i], O_CREAT | O_WRONLY | O_EXCL | O_CLOEXEC,
                      f->executable ? 0555 : 0444);
        if (fd < 0 || write_all(fd, f->data, f->len) != 0) return STEP_SRC;
        close(fd);
    }
    if (mkdir(ROOT "/proc", 0555) != 0 ||
        mount("proc", ROOT "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, "hidepid=2") != 0 ||
        bind_ro(ROOT "/proc/sys", ROOT "/proc/sys") != 0)
        return STEP_PROC;
    if (chdir(ROOT) != 0 || syscall(SYS_pivot_root, ".", ".") != 0 ||
        umount2(".", MNT_DETACH) != 0 || chdir("/") != 0)
        return STEP_PIVOT;
    if (mount(NULL, "/", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL) != 0)
        return STEP_RDONLY;
    sethostname("box", 3);
    return 0;
}

/* Default dispositions and an empty mask: the caller's (SIGCHLD ignored, signals blocked by
 * its threads) would survive into init and through exec into the payload. */
static void reset_signals(void) {
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    for (int sig = 1; sig < 65; sig++)
        if (sig != SIGKILL && sig != SIGSTOP) sigaction(sig, &dfl, NULL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
}

/* pid 1 of the new namespaces. Never returns. */
static void box_init(const run_ctx *c) {
    reset_signals();
    /* if the supervisor dies (rlpt crashes, is killed), so does init, and with it the box */
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    umask(022); /* the caller's umask (077, say) would make /src unreadable to the payload */
    if (fds_to_0123(c) != 0) {
        send_msg(c->st_w, MSG_SETUP, STEP_FDS, errno, 0, 0);
        _exit(1);
    }
    int step = build_root(c);
    if (step) {
        send_msg(3, MSG_SETUP, step, errno, 0, 0);
        _exit(1);
    }
    long pid = raw_clone(0);
    if (pid < 0) {
        send_msg(3, MSG_SETUP, STEP_FORK, errno, 0, 0);
        _exit(1);
    }
    if (pid == 0) payload(c);
    close(0); /* only the payload's tree holds the pipes now: EOF means it is done */
    close(1);
    close(2);
    for (;;) {
        int st;
        struct rusage ru;
        pid_t w = wait4(-1, &st, __WALL, &ru);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) _exit(1);
        if (w == pid) {
            int64_t cpu = (int64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 +
                          ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
            send_msg(3, MSG_STATUS, 0, 0, st, cpu);
            _exit(0); /* the kernel now kills every other process of the namespace */
        }
    }
}

/* SANDBOX_NONE: the forked child. Never returns. */
static void none_child(const run_ctx *c) {
    reset_signals();
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    umask(022);
    if (fds_to_0123(c) != 0) _exit(127);
    payload(c);
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
        if (fd < 0 || write_all(fd, f->data, f->len) != 0) {
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
    pid = raw_clone(ns ? NS_FLAGS : 0);
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
        if (ns) box_init(&c);
        none_child(&c);
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
            rc = rlpt_errf(err, RLPT_ESANDBOX, "sandbox: %s failed: %s", step_name(m[i].step),
                           strerror(m[i].err_no));
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
