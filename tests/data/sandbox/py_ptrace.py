# expect: OK
# ptrace of init and of itself
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
for pid in (1, 2):
    r = libc.ptrace(16, pid, 0, 0)  # PTRACE_ATTACH
    print("ESCAPE: attached" if r == 0 else "refused %d errno %d" % (pid, ctypes.get_errno()))
r = libc.ptrace(0, 0, 0, 0)  # PTRACE_TRACEME
print("ESCAPE: traceme" if r == 0 else "traceme refused")
