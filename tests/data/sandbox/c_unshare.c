// expect: OK
// creates namespaces
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
int main(void) {
    puts(unshare(CLONE_NEWUSER) == 0 ? "ESCAPE: user namespace" : "refused user");
    puts(unshare(CLONE_NEWNS) == 0 ? "ESCAPE: mount namespace" : "refused mount");
    return 0;
}
