# expect: OK
# reads /etc/shadow and other host files
for p in ["/etc/shadow", "/etc/passwd", "/etc/hostname", "/root/.bash_history", "/proc/1/root/etc/shadow"]:
    try:
        print(p, open(p).read()[:200])
    except OSError as e:
        print(p, "refused", e.strerror)
