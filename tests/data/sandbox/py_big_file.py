# expect: OK
# one file over RLIMIT_FSIZE: EFBIG (Python ignores SIGXFSZ)
try:
    with open("/box/big", "wb") as f:
        f.write(b"\0" * (100 << 20))
    print("ESCAPE: wrote 100 MiB")
except OSError as e:
    print("refused:", e.strerror)
