# expect: OK
# connects to a listener on the host's loopback (only loopback is ever targeted)
import socket, sys
port4, port6 = map(int, sys.stdin.read().split())
for fam, host, port in ((socket.AF_INET, "127.0.0.1", port4), (socket.AF_INET6, "::1", port6)):
    try:
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.settimeout(1)
        s.connect((host, port))
        print("ESCAPE: connected to", host)
    except OSError as e:
        print("refused", host, e.strerror)
