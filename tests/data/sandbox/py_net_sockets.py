# expect: OK
# opens network sockets (no traffic is sent: external network is only probed by socket())
import socket
for fam, typ in ((socket.AF_INET, socket.SOCK_DGRAM), (socket.AF_INET6, socket.SOCK_STREAM), (socket.AF_PACKET, socket.SOCK_RAW), (socket.AF_NETLINK, socket.SOCK_RAW), (socket.AF_INET, socket.SOCK_RAW)):
    try:
        socket.socket(fam, typ)
        print("ESCAPE: opened", fam, typ)
    except OSError as e:
        print("refused", fam, e.strerror)
