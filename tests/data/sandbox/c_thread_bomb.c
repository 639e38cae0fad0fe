// expect: OK
// thread bomb
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>
static void *sl(void *a) { (void)a; sleep(100); return 0; }
int main(void) {
    int n = 0;
    pthread_t t;
    while (pthread_create(&t, 0, sl, 0) == 0) n++;
    printf("stopped after %d threads\n", n);
    fflush(stdout);
    _exit(0);
}
