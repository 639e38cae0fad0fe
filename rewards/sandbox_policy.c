/* rewards/sandbox_policy.c: the seccomp policy of the code sandbox, compiled once per sandbox
 * with libseccomp and exported as a BPF program that the payload loads with one prctl.
 *
 * Default allow (Python and gcc use a wide set of calls); refused with EPERM: everything that
 * inspects or changes other processes (ptrace, process_vm_*, kcmp, pidfd_getfd), the kernel
 * (modules, kexec, reboot, swap, clocks, keyrings, bpf, perf, io_uring, userfaultfd), mounts and
 * namespaces (mount family, pivot_root, chroot, unshare, setns, clone with a CLONE_NEW* flag),
 * and every socket family but AF_UNIX. clone3 gets ENOSYS, which makes glibc fall back to clone,
 * whose flags a filter can read. Left out: an allow-list (not measured yet), Landlock.
 * Reference: seccomp(2), seccomp_rule_add(3), the sandbox findings of issue #7 (section 2). */
#define _GNU_SOURCE
#include "sandbox.h"

#include <errno.h>
#include <sched.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

static const char *const denied[] = {
    "ptrace",
    "process_vm_readv",
    "process_vm_writev",
    "kcmp",
    "pidfd_getfd",
    "mount",
    "umount2",
    "pivot_root",
    "chroot",
    "unshare",
    "setns",
    "open_tree",
    "move_mount",
    "fsopen",
    "fsconfig",
    "fsmount",
    "fspick",
    "mount_setattr",
    "bpf",
    "perf_event_open",
    "userfaultfd",
    "keyctl",
    "add_key",
    "request_key",
    "io_uring_setup",
    "io_uring_enter",
    "io_uring_register",
    "kexec_load",
    "kexec_file_load",
    "init_module",
    "finit_module",
    "delete_module",
    "reboot",
    "swapon",
    "swapoff",
    "acct",
    "settimeofday",
    "clock_settime",
    "clock_adjtime",
    "adjtimex",
    "syslog",
    "quotactl",
    "open_by_handle_at",
    "name_to_handle_at",
    "lookup_dcookie",
    "vhangup",
    "fanotify_init",
    "iopl",
    "ioperm",
    "modify_ldt",
    "uselib",
    "sethostname",
    "setdomainname",
    "personality",
    "nfsservctl",
    "move_pages",
    "migrate_pages",
    "mbind",
    "set_mempolicy",
    "landlock_create_ruleset",
};

#define CLONE_NEW_ANY                                                                              \
    (CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID |  \
     CLONE_NEWNET | 0x00000080 /* CLONE_NEWTIME */)

/* Compiles the policy into *prog (malloc'd sock_filter array, *n_insn instructions). */
int sandbox_policy_compile(void **prog, size_t *n_insn, rlpt_err *err) {
    *prog = NULL;
    *n_insn = 0;
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
    if (!ctx) return rlpt_errf(err, RLPT_ESANDBOX, "sandbox: seccomp_init failed");
    int rc = 0;
    const char *what = "";
    for (size_t i = 0; i < sizeof denied / sizeof denied[0] && rc == 0; i++) {
        int nr = seccomp_syscall_resolve_name(denied[i]);
        if (nr == __NR_SCMP_ERROR) continue;
        what = denied[i];
        rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0);
    }
    if (rc == 0) {
        what = "clone3";
        rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
    }
    for (unsigned bit = 0; bit < 64 && rc == 0; bit++) {
        unsigned long long m = 1ull << bit;
        if (!(m & (unsigned long long)CLONE_NEW_ANY)) continue;
        what = "clone";
        rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
                              SCMP_A0(SCMP_CMP_MASKED_EQ, m, m));
    }
    /* socket(2) and socketpair(2): AF_UNIX only (no network, not even a netlink socket). */
    if (rc == 0) {
        what = "socket";
        rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EAFNOSUPPORT), SCMP_SYS(socket), 1,
                              SCMP_A0(SCMP_CMP_NE, AF_UNIX, 0));
    }
    if (rc == 0) {
        what = "socketpair";
        rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EAFNOSUPPORT), SCMP_SYS(socketpair), 1,
                              SCMP_A0(SCMP_CMP_NE, AF_UNIX, 0));
    }
    if (rc != 0) {
        seccomp_release(ctx);
        return rlpt_errf(err, RLPT_ESANDBOX, "sandbox: seccomp rule for %s: %s", what,
                         strerror(-rc));
    }
    /* Export to a pipe-free buffer: seccomp_export_bpf writes to an fd, so use a memfd. */
    int fd = memfd_create("rlpt-seccomp", MFD_CLOEXEC);
    if (fd < 0) {
        seccomp_release(ctx);
        return rlpt_errf(err, RLPT_ESANDBOX, "sandbox: memfd_create: %s", strerror(errno));
    }
    rc = seccomp_export_bpf(ctx, fd);
    seccomp_release(ctx);
    off_t size = rc == 0 ? lseek(fd, 0, SEEK_END) : -1;
    const size_t insn = 8; /* sizeof(struct sock_filter) */
    if (size <= 0 || (size_t)size % insn != 0) {
        close(fd);
        return rlpt_errf(err, RLPT_ESANDBOX, "sandbox: seccomp_export_bpf failed (%s)",
                         rc ? strerror(-rc) : "bad size");
    }
    void *buf = malloc((size_t)size);
    if (!buf || pread(fd, buf, (size_t)size, 0) != size) {
        free(buf);
        close(fd);
        return rlpt_errf(err, RLPT_ESANDBOX, "sandbox: reading the seccomp program failed");
    }
    close(fd);
    *prog = buf;
    *n_insn = (size_t)size / insn;
    return 0;
}
