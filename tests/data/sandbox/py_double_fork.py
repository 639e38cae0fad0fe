# expect: OK
# double-fork daemon: dies with the PID namespace
import os, time
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        for fd in (0, 1, 2):
            os.close(fd)
        while True:
            time.sleep(1)
    os._exit(0)
os.wait()
print("double-forked daemon left")
