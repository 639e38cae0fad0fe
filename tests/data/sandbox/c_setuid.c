// expect: OK
// setuid(0)
#include <stdio.h>
#include <unistd.h>
int main(void) {
    puts(setuid(0) == 0 ? "ESCAPE: root" : "refused setuid");
    puts(setgid(0) == 0 ? "ESCAPE: gid 0" : "refused setgid");
    return 0;
}
