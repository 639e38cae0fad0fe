# expect: OK
# kills its parent, init and everything it can
import os, signal
for pid in (os.getppid(), 1, -1):
    try:
        os.kill(pid, signal.SIGKILL)
        print("signalled", pid)
    except OSError as e:
        print("refused", pid, e.strerror)
print("alive")
