# expect: OK
# ctypes calls into the kernel: mount, reboot, bpf, io_uring, modules, ...
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
checks = [
    ("mount", lambda: libc.mount(b"none", b"/box", b"tmpfs", 0, None)),
    ("reboot", lambda: libc.reboot(0x4321FEDC)),
    ("chroot", lambda: libc.chroot(b"/box")),
    ("sethostname", lambda: libc.sethostname(b"evil", 4)),
    ("setns", lambda: libc.setns(0, 0)),
    ("bpf", lambda: libc.syscall(321, 0, 0, 0)),
    ("perf_event_open", lambda: libc.syscall(298, 0, 0, -1, -1, 0)),
    ("io_uring_setup", lambda: libc.syscall(425, 1, 0)),
    ("keyctl", lambda: libc.syscall(250, 0, 0, 0)),
    ("init_module", lambda: libc.syscall(175, 0, 0, 0)),
    ("userfaultfd", lambda: libc.syscall(323, 0)),
]
for name, f in checks:
    r = f()
    print("ESCAPE: " + name if r >= 0 else "refused %s errno %d" % (name, ctypes.get_errno()))
