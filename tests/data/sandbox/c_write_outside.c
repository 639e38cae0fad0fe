// expect: OK
// writes outside the box
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
int main(void) {
    const char *p[] = {"/rlpt-canary", "/tmp/../rlpt-canary", "/var/tmp/rlpt-canary", "/root/rlpt-canary", "/usr/rlpt-canary", "/dev/shm/rlpt-canary"};
    for (int i = 0; i < 6; i++) {
        int fd = open(p[i], O_CREAT | O_WRONLY, 0644);
        printf("%s %s\n", p[i], fd >= 0 ? "written" : "refused");
        if (fd >= 0) close(fd);
    }
    return 0;
}
