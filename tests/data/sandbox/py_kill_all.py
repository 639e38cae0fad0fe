# expect: OK
# SIGKILLs every pid number
import os, signal
n = 0
for pid in range(1, 1 << 16):
    if pid != os.getpid():
        try:
            os.kill(pid, signal.SIGKILL)
            n += 1
        except OSError:
            pass
print("signalled", n)
