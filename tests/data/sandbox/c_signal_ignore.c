// expect: TLE
// ignores SIGXCPU: the hard limit is SIGKILL
#include <signal.h>
int main(void) {
    signal(SIGXCPU, SIG_IGN);
    signal(SIGTERM, SIG_IGN);
    volatile unsigned long x = 0;
    for (;;) x++;
}
