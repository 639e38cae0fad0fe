/* rewards/sandbox.h: runs untrusted programs (model-written Python and C) on this machine,
 * as a library call: no daemon, no Docker, no setuid helper.
 *
 * Each execution gets fresh PID, mount, network, IPC, UTS and cgroup namespaces; a read-only
 * root (a tmpfs holding /src with the files given, read-only binds of /usr, the merged-usr
 * links and /etc/alternatives (symlinks /usr/lib points through; nothing else of /etc),
 * null/zero/random/urandom in /dev, a fresh /proc with /proc/sys read-only) entered with
 * pivot_root; a size-capped writable /box as the cwd (/tmp and /dev/shm point there). The payload
 * runs as a per-slot unprivileged uid (uid_base + slot) with no groups, PR_SET_NO_NEW_PRIVS, a
 * seccomp filter compiled once per sandbox (see sandbox_policy.c), rlimits, a fixed environment
 * and only fds 0-2 (plus the fds the caller passes explicitly, at 3, 4, ...). The supervisor (the
 * caller's thread) caps stdout/stderr, enforces the wall deadline and kills the namespace's init,
 * which makes the kernel kill every process in it. sandbox_run_group supervises several boxes at
 * once (each its own namespaces, uid and limits) that talk only through passed fds, such as
 * the two ends of a socketpair.
 *
 * Needs root (real CAP_SYS_ADMIN for the namespaces and mounts, CAP_SETUID for the slot uid).
 * Without it sandbox_init refuses with RLPT_ESANDBOX; it never falls back to less isolation.
 * SANDBOX_NONE runs the program with rlimits, a cleared environment and a temporary directory
 * only: for trusted code, and the caller must show sandbox_mode_warning() to the user.
 *
 * Left out: cgroups (memory is bounded by mem_bytes x nproc), a syscall allow-list, Landlock.
 * Reference: the sandbox findings of issue #7 (measured design), isolate(1) (per-box uid),
 * pid_namespaces(7) (init exit kills the namespace), seccomp(2), pivot_root(2). */
#ifndef REWARDS_SANDBOX_H
#define REWARDS_SANDBOX_H

#include <stddef.h>

#include "rlpt/err.h"

typedef enum sandbox_mode {
    SANDBOX_NAMESPACES = 0, /* the full isolation above (default) */
    SANDBOX_NONE = 1        /* NO isolation: trusted code only */
} sandbox_mode;

/* What happened to one execution (or one test). OK: exited 0. RE: exited non-zero (exit_code
 * kept). SIG: killed by a signal other than the limits'. TLE: CPU limit. WALL: wall deadline.
 * OLE: stdout/stderr over the cap, or a file over fsize (SIGXFSZ). CE: compilation failed.
 * WA: ran to completion but the answer was wrong (set by the code reward, never by a run). */
typedef enum sandbox_verdict {
    SANDBOX_OK = 0,
    SANDBOX_RE,
    SANDBOX_SIG,
    SANDBOX_TLE,
    SANDBOX_WALL,
    SANDBOX_OLE,
    SANDBOX_CE,
    SANDBOX_WA
} sandbox_verdict;

const char *sandbox_verdict_name(sandbox_verdict v); /* "OK", "RE", ... */

/* Limits of one execution; the YAML config fills them (bounds in sandbox_limits_check). */
typedef struct sandbox_limits {
    double cpu_s;       /* RLIMIT_CPU, seconds (hard limit one second above)  [0.05, 600] */
    double wall_s;      /* wall deadline of the whole execution, seconds      [0.05, 3600] */
    size_t mem_bytes;   /* RLIMIT_AS per process                               [32 MiB, 64 GiB] */
    int nproc;          /* RLIMIT_NPROC of the slot uid (processes + threads)  [1, 4096] */
    size_t fsize_bytes; /* RLIMIT_FSIZE: largest file the program may write    [0, 4 GiB] */
    int nofile;         /* RLIMIT_NOFILE                                       [8, 4096] */
    size_t box_bytes;   /* size of the writable tmpfs /box                     [64 KiB, 4 GiB] */
    size_t stdout_max;  /* stdout kept; more is OLE                            [1 KiB, 256 MiB] */
    size_t stderr_max;  /* stderr kept; more is OLE                            [1 KiB, 256 MiB] */
} sandbox_limits;

/* Defaults: cpu 5 s, wall 10 s, mem 512 MiB, nproc 32, fsize 16 MiB, nofile 64, box 64 MiB,
 * stdout 1 MiB, stderr 64 KiB. */
void sandbox_limits_default(sandbox_limits *l);
/* RLPT_ECONFIG naming the first field out of bounds, with the bounds. */
int sandbox_limits_check(const sandbox_limits *l, rlpt_err *err);

/* A file placed read-only in /src; the program finds it as ../src/NAME from its cwd /box
 * (the same relative path works in SANDBOX_NONE). name: [A-Za-z0-9._-]+. */
typedef struct sandbox_file {
    const char *name;
    const char *data;
    size_t len;
    int executable; /* mode 0555 instead of 0444 */
} sandbox_file;

#define SANDBOX_MAX_PASS_FDS 4

typedef struct sandbox_exec {
    const char *const *argv; /* NULL-terminated; argv[0] absolute (/usr/...) or ../src/NAME */
    const sandbox_file *files;
    int n_files;            /* at most 16 */
    const char *stdin_data; /* may be NULL; fed while the program runs */
    size_t stdin_len;
    /* fds the program gets as 3, 4, ... (every other inherited fd stays closed). The sandbox
     * takes them: sandbox_run(_group) closes the caller's copies in every case, once the box
     * started or failed to, so that the box holds the only ones (a socket's peer then sees EOF
     * when the box ends). Make them O_CLOEXEC, so no other child of the caller inherits them. */
    const int *pass_fds;
    int n_pass_fds; /* at most SANDBOX_MAX_PASS_FDS */
    sandbox_limits limits;
} sandbox_exec;

typedef struct sandbox_result {
    sandbox_verdict verdict;
    int exit_code; /* RE: the exit status */
    int signal;    /* SIG/TLE/OLE by signal: the signal number, else 0 */
    double cpu_s;  /* user + system time of the payload and the children it reaped */
    double wall_s;
    char *out; /* stdout, at most stdout_max bytes, NUL-terminated; owned by the result */
    size_t out_len;
    char *err; /* stderr, likewise */
    size_t err_len;
    int cut; /* sandbox_run_group: killed because another box of the group ended first (verdict
              * SIG, signal SIGKILL); 0 when it ended by itself or by its own limits */
} sandbox_result;

typedef struct sandbox sandbox; /* one slot: its uid, its compiled seccomp filter */

/* Prepares slot `slot` (uid and gid uid_base + slot, which must not be used on the host).
 * Checks once that namespaces, mounts and the uid switch work here. One sandbox runs one
 * execution at a time; use one per thread. *out is owned by the caller (sandbox_free). */
int sandbox_init(sandbox **out, sandbox_mode mode, int slot, int uid_base, rlpt_err *err);
void sandbox_free(sandbox *sb); /* NULL is a no-op */

/* Runs ex to completion (or its limits) and fills res (sandbox_result_free it, also on error).
 * Returns 0 whatever the program did; a negative RLPT_E* only when the sandbox itself failed
 * (setup step and errno in err). */
int sandbox_run(sandbox *sb, const sandbox_exec *ex, sandbox_result *res, rlpt_err *err);
void sandbox_result_free(sandbox_result *res);

#define SANDBOX_MAX_GROUP 4

/* Runs n (1..SANDBOX_MAX_GROUP) executions at once, exs[i] in sbs[i] (give each its own slot:
 * its own uid), all started before any is waited for and supervised by the calling thread,
 * each with its own limits and wall deadline. When one box has ended, the others get linger_s
 * seconds ([0, 60]) to end by themselves (they normally do: their peer's end of a passed socket
 * closed), then are killed (res[i].cut). res[i] as sandbox_run's, every one to be freed, also on
 * error; the error names the box (1-based) when n > 1. */
int sandbox_run_group(sandbox *const *sbs, const sandbox_exec *exs, int n, double linger_s,
                      sandbox_result *res, rlpt_err *err);

/* The warning the caller must print when mode is SANDBOX_NONE (NULL otherwise). */
const char *sandbox_mode_warning(sandbox_mode mode);
/* "namespaces" or "none"; parse returns RLPT_ECONFIG on anything else. */
const char *sandbox_mode_name(sandbox_mode mode);
int sandbox_mode_parse(const char *s, sandbox_mode *out, rlpt_err *err);

/* The slot's uid (tests check no process of it outlives a run). */
int sandbox_uid(const sandbox *sb);

/* Internal to sandbox*.c: the seccomp policy as a BPF program (malloc'd struct sock_filter
 * array of *n_insn instructions; the caller frees it). */
int sandbox_policy_compile(void **prog, size_t *n_insn, rlpt_err *err);

#endif
