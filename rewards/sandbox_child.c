/* rewards/sandbox_child.c: the processes of one sandboxed execution after the clone (see
 * sandbox.h for the isolation they build; sandbox.c is the supervisor that starts them).
 *
 * init is pid 1 of the new namespaces (root, our code only): it builds the root file system,
 * forks the payload, waits for it alone and reports its wait status and CPU time on a pipe;
 * when init exits the kernel kills whatever else lives in the PID namespace (daemons, fork
 * bombs). The payload drops to the slot uid, locks itself down (rlimits, no_new_privs, seccomp)
 * and execs.
 *
 * The callers are threads of one process, so between clone() and exec nothing may take a lock
 * another thread could hold: no malloc, no stdio, raw clone instead of fork() (glibc's fork
 * runs atfork handlers). Every string the child needs is built before the clone (run_ctx).
 * Reference: pid_namespaces(7), mount_namespaces(7), pivot_root(2) ("pivot_root(".", ".")"). */
#define _GNU_SOURCE
#include "sandbox_child.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <math.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

const char *sandbox_step_name(int s) {
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

long sandbox_raw_clone(unsigned long flags) {
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

/* Puts stdin, stdout and stderr at 0-2, the passed fds at 3.., the status pipe right after them
 * (c->st_fd), and closes every other fd (other slots' pipes included). */
static int place_fds(const run_ctx *c) {
    int src[3 + SANDBOX_MAX_PASS_FDS + 1], hi[3 + SANDBOX_MAX_PASS_FDS + 1], n = 0;
    src[n++] = c->in_r;
    src[n++] = c->out_w;
    src[n++] = c->err_w;
    for (int i = 0; i < c->ex->n_pass_fds; i++) src[n++] = c->ex->pass_fds[i];
    src[n++] = c->st_w;
    /* above every target first, so that no dup2 overwrites a source still to be moved */
    for (int i = 0; i < n; i++)
        if ((hi[i] = fcntl(src[i], F_DUPFD, 100)) < 0) return -1;
    for (int i = 0; i < n; i++)
        if (dup2(hi[i], i) < 0) return -1;
    close_from(n);
    return 0;
}

/* The payload, after fork from init (or from the supervisor in SANDBOX_NONE). Never returns. */
static void payload(const run_ctx *c) {
    const sandbox *sb = c->sb;
    const sandbox_limits *l = &c->ex->limits;
    int step = STEP_RLIMIT;
    fcntl(c->st_fd, F_SETFD, FD_CLOEXEC);
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
    send_msg(c->st_fd, MSG_EXEC, 0, errno, 0, 0);
    _exit(127);
fail:
    send_msg(c->st_fd, MSG_SETUP, step, errno, 0, 0);
    _exit(127);
}

int sandbox_write_all(int fd, const char *p, size_t n) {
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
        if (fd < 0 || sandbox_write_all(fd, f->data, f->len) != 0) return STEP_SRC;
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
void sandbox_child_init(const run_ctx *c) {
    reset_signals();
    /* if the supervisor dies (rlpt crashes, is killed), so does init, and with it the box */
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    umask(022); /* the caller's umask (077, say) would make /src unreadable to the payload */
    if (place_fds(c) != 0) {
        send_msg(c->st_w, MSG_SETUP, STEP_FDS, errno, 0, 0);
        _exit(1);
    }
    int step = build_root(c);
    if (step) {
        send_msg(c->st_fd, MSG_SETUP, step, errno, 0, 0);
        _exit(1);
    }
    long pid = sandbox_raw_clone(0);
    if (pid < 0) {
        send_msg(c->st_fd, MSG_SETUP, STEP_FORK, errno, 0, 0);
        _exit(1);
    }
    if (pid == 0) payload(c);
    /* only the payload's tree holds the pipes and the passed fds now: EOF on them means it is
     * done (or, for a passed socket, that the box is) */
    for (int fd = 0; fd < c->st_fd; fd++) close(fd);
    for (;;) {
        int st;
        struct rusage ru;
        pid_t w = wait4(-1, &st, __WALL, &ru);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) _exit(1);
        if (w == pid) {
            int64_t cpu = (int64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 +
                          ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
            send_msg(c->st_fd, MSG_STATUS, 0, 0, st, cpu);
            _exit(0); /* the kernel now kills every other process of the namespace */
        }
    }
}

/* SANDBOX_NONE: the forked child. Never returns. */
void sandbox_child_none(const run_ctx *c) {
    reset_signals();
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    umask(022);
    if (place_fds(c) != 0) _exit(127);
    payload(c);
}
