// expect: OK
// ptrace of init
#include <stdio.h>
#include <sys/ptrace.h>
int main(void) {
    long r = ptrace(PTRACE_ATTACH, 1, 0, 0);
    puts(r == 0 ? "ESCAPE: attached to init" : "refused");
    return 0;
}
