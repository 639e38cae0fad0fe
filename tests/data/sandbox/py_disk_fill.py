# expect: OK
# fills the disk: /box is a size-capped tmpfs, files are capped by RLIMIT_FSIZE
import os
total = 0
try:
    for i in range(10000):
        with open("/box/fill%d" % i, "wb") as f:
            for _ in range(16):
                f.write(b"\0" * (1 << 20))
                total += 1 << 20
except OSError as e:
    print("stopped at", total >> 20, "MiB:", e.strerror)
