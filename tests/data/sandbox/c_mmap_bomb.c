// expect: OK
// maps 1 TiB
#include <stdio.h>
#include <sys/mman.h>
int main(void) {
    void *p = mmap(0, 1ul << 40, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    puts(p == MAP_FAILED ? "refused" : "ESCAPE: mapped 1 TiB");
    return 0;
}
