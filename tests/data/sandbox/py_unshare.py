# expect: OK
# creates namespaces (user namespaces would give it root inside)
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
for name, flag in (("user", 0x10000000), ("mount", 0x20000), ("net", 0x40000000), ("pid", 0x20000000)):
    r = libc.unshare(flag)
    print("ESCAPE: unshared " + name if r == 0 else "refused " + name)
