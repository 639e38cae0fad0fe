// expect: OK
// kill(-1) and kill(1)
#include <signal.h>
#include <stdio.h>
int main(void) {
    kill(-1, SIGKILL);
    kill(1, SIGKILL);
    puts("alive");
    return 0;
}
