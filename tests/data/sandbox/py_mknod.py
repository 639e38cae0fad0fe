# expect: OK
# mknod of /dev/mem
import os, stat
for p in ("/box/sda", "/box/mem"):
    try:
        os.mknod(p, stat.S_IFCHR | 0o666, os.makedev(1, 1))
        print("ESCAPE: mknod", p)
    except OSError as e:
        print("refused", p, e.strerror)
