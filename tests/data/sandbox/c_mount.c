// expect: OK
// mounts and unmounts
#include <stdio.h>
#include <sys/mount.h>
int main(void) {
    puts(mount("none", "/box", "tmpfs", 0, 0) == 0 ? "ESCAPE: mounted" : "refused mount");
    puts(umount2("/usr", MNT_DETACH) == 0 ? "ESCAPE: unmounted /usr" : "refused umount");
    return 0;
}
