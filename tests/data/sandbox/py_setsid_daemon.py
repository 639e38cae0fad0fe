# expect: OK
# setsid daemon: dies with the PID namespace
import os, time
if os.fork() == 0:
    os.setsid()
    os.close(1); os.close(2)
    time.sleep(1000)
print("parent leaves a daemon")
