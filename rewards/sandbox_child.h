/* rewards/sandbox_child.h: what sandbox.c (the supervisor) and sandbox_child.c (the processes
 * after the clone: the box's init and the payload) share. Internal to sandbox*.c. */
#ifndef REWARDS_SANDBOX_CHILD_H
#define REWARDS_SANDBOX_CHILD_H

#include <stdint.h>

#include "sandbox.h"

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

/* the steps init and the payload report a failure of (sandbox_step_name) */
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
const char *sandbox_step_name(int step);

/* Everything the child processes need, prepared before the clone (no allocation after it). */
typedef struct run_ctx {
    const sandbox *sb;
    const sandbox_exec *ex;
    int in_r, out_w, err_w, st_w; /* the child's ends, where the supervisor has them */
    int st_fd;                    /* where the status pipe goes: 3 + n_pass_fds */
    char root_opts[96], box_opts[128];
    char src_path[MAX_FILES][160];
    char box_dir[96]; /* SANDBOX_NONE: the temporary directory's box/ */
    const char *envp[16];
    char env_home[128], env_tmp[128];
} run_ctx;

/* clone(2) without glibc's fork machinery (no atfork handlers, no locks) */
long sandbox_raw_clone(unsigned long flags);
int sandbox_write_all(int fd, const char *p, size_t n);
/* The clone's entry points; neither returns. pid 1 of the new namespaces (SANDBOX_NAMESPACES),
 * or the plain child of SANDBOX_NONE. */
void sandbox_child_init(const run_ctx *c);
void sandbox_child_none(const run_ctx *c);

#endif
