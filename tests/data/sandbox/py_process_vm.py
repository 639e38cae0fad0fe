# expect: OK
# process_vm_readv of init
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
buf = ctypes.create_string_buffer(64)
class iov(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]
l = iov(ctypes.cast(buf, ctypes.c_void_p), 64)
r = libc.process_vm_readv(1, ctypes.byref(l), 1, ctypes.byref(l), 1, 0)
print("ESCAPE" if r > 0 else "refused", ctypes.get_errno())
