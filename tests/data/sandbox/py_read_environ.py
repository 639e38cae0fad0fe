# expect: OK
# reads other processes' environment (the host secret is in the supervisor's)
import os
for pid in os.listdir("/proc"):
    if pid.isdigit():
        for what in ("environ", "cmdline"):
            try:
                print(pid, what, open("/proc/%s/%s" % (pid, what), "rb").read()[:300])
            except OSError as e:
                print(pid, what, "refused", e.strerror)
print(dict(os.environ))
