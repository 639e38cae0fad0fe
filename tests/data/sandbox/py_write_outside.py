# expect: OK
# writes canary files outside /box (the host check looks for them)
import os
for d in ["/tmp", "/var/tmp", "/dev/shm", "/root", "/", "/usr", "/usr/lib", "/etc", "/src", "/dev", "/proc", "/home"]:
    try:
        with open(os.path.join(d, "rlpt-canary"), "w") as f:
            f.write("canary")
        print("wrote", d)
    except OSError as e:
        print("refused", d, e.strerror)
