# expect: OK
# setuid(0)
import os
for f, a in ((os.setuid, 0), (os.setgid, 0), (os.seteuid, 0)):
    try:
        f(a)
        print("ESCAPE:", f.__name__)
    except OSError as e:
        print("refused", f.__name__, e.strerror)
print(os.getuid(), os.geteuid(), os.getgroups())
