# expect: OK
# writes /proc/sys (core_pattern runs a pipe as root on the next crash) and sysrq
for p, v in (("/proc/sys/kernel/core_pattern", "|/bin/sh -c 'touch /rlpt-canary'"), ("/proc/sysrq-trigger", "c"), ("/proc/sys/kernel/hostname", "evil")):
    try:
        with open(p, "w") as f:
            f.write(v)
        print("ESCAPE: wrote", p)
    except OSError as e:
        print("refused", p, e.strerror)
