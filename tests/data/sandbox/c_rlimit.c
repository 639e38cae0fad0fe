// expect: OK
// raises hard rlimits
#include <stdio.h>
#include <sys/resource.h>
int main(void) {
    struct rlimit r = {RLIM_INFINITY, RLIM_INFINITY};
    int res[] = {RLIMIT_CPU, RLIMIT_NPROC, RLIMIT_AS, RLIMIT_FSIZE};
    for (int i = 0; i < 4; i++) puts(setrlimit(res[i], &r) == 0 ? "ESCAPE: raised" : "refused");
    return 0;
}
