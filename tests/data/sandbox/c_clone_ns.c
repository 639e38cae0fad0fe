// expect: OK
// clone with namespace flags (raw syscall, not the libc wrapper)
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
int main(void) {
    long r = syscall(SYS_clone, CLONE_NEWUSER | CLONE_NEWPID | SIGCHLD, 0, 0, 0, 0);
    if (r == 0) _exit(0);
    puts(r > 0 ? "ESCAPE: cloned into new namespaces" : "refused");
    return 0;
}
