// expect: OK
// scans for inherited fds
#include <fcntl.h>
#include <stdio.h>
int main(void) {
    int n = 0;
    for (int fd = 3; fd < 4096; fd++) if (fcntl(fd, F_GETFD) >= 0) n++;
    puts(n ? "ESCAPE: inherited fds" : "only 0-2");
    return 0;
}
