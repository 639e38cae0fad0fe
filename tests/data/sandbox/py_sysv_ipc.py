# expect: OK
# looks for the host's System V shared memory (new IPC namespace)
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
ids = [libc.shmget(k, 4096, 0) for k in range(1, 64)]
print("host segments seen:", [i for i in ids if i >= 0])
