// expect: OK
// exec of a shell
#include <unistd.h>
int main(void) {
    execl("/bin/sh", "sh", "-c", "id; cat /etc/shadow; cat /proc/1/environ; env", (char *)0);
    return 1;
}
