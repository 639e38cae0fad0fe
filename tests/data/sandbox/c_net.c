// expect: OK
// connects to the host's loopback listener
#include <arpa/inet.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>
int main(void) {
    int p4 = 0, p6 = 0;
    if (scanf("%d %d", &p4, &p6) != 2) return 1;
    int s = socket(AF_INET, SOCK_STREAM, 0);
    if (s < 0) { puts("refused socket"); return 0; }
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons((unsigned short)p4);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    puts(connect(s, (struct sockaddr *)&a, sizeof a) == 0 ? "ESCAPE: connected" : "refused connect");
    return 0;
}
