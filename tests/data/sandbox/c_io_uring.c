// expect: OK
// io_uring and bpf
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>
int main(void) {
    char p[120] = {0};
    puts(syscall(425, 4, p) >= 0 ? "ESCAPE: io_uring" : "refused io_uring");
    puts(syscall(321, 0, p, 48) >= 0 ? "ESCAPE: bpf" : "refused bpf");
    return 0;
}
