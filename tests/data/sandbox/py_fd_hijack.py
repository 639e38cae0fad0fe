# expect: OK
# looks for inherited fds (a supervisor pipe would let it forge output)
import os
fds = sorted(int(x) for x in os.listdir("/proc/self/fd"))
extra = []
for fd in range(3, 1024):
    try:
        os.fstat(fd)
        extra.append(fd)
    except OSError:
        pass
# listdir itself opens one fd; anything else was inherited
print("ESCAPE: inherited fds %s" % extra if len(extra) > 0 else "only 0-2", fds)
