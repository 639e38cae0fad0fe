// expect: OK
// allocates and touches until RLIMIT_AS says no
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
int main(void) {
    size_t n = 0;
    for (;;) {
        char *p = malloc(1 << 24);
        if (!p) break;
        memset(p, 1, 1 << 24);
        n++;
    }
    printf("stopped at %zu MiB\n", n * 16);
    return 0;
}
