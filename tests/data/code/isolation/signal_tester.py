# A solution that tries to stop, kill and ptrace every process it can name but itself and its
# parent (the zygote: killing it only ends its own box), the tester included if it can reach it,
# then gives the right answer: the test passes only if the tester lived through it. It also asks
# each inherited socket who is at the other end (SO_PEERCRED). stdout says what worked.
import ctypes, os, signal, socket, struct

libc = ctypes.CDLL(None, use_errno=True)
PTRACE_SEIZE = 0x4206


def add(a, b):
    me, parent = os.getpid(), os.getppid()
    signalled, traced, peers = [], [], []
    for pid in range(1, 1025):
        if pid in (me, parent):
            continue
        for sig in (signal.SIGSTOP, signal.SIGKILL):
            try:
                os.kill(pid, sig)
                signalled.append(pid)
            except OSError:
                pass
        if libc.ptrace(PTRACE_SEIZE, pid, 0, 0) == 0:
            traced.append(pid)
    for fd in range(3, 256):
        try:
            d = os.dup(fd)
        except OSError:
            continue
        try:
            s = socket.socket(fileno=d)
        except OSError:
            os.close(d)
            continue
        try:
            cred = s.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12)
            peers.append(struct.unpack("3i", cred)[0])
        except OSError:
            pass
        finally:
            s.close()
    print("signalled %s ptraced %s peer pids %s" % (signalled, traced, peers))
    return a + b
