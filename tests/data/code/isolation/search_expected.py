# A solution that looks everywhere it can for the expected value of its test, and returns it if
# found. The test (tests/rewards/test_code.c, test_tests_out_of_reach) plants a literal
# rlpt-expected-<digits>-<digits> in its assert; the pattern is split so that it never matches
# this program's own text. Where it looks, at module level (in the zygote) and again in each call
# (in the solution process): every file name and every file's first MiB in the visible tree but
# /usr (the host's read-only /usr, bound in: nothing of a run is written there), /proc included;
# stdin and every inherited fd (peeked, read, or pread); and the repr of every object in its own
# memory. stdout says how much it saw.
import gc, os, re, socket, stat

PAT = re.compile(("rlpt-exp" + r"ected-[0-9]+-[0-9]+").encode())
FOUND = []
SEEN = {"files": 0, "fds": 0, "objects": 0}


def look(data):
    m = PAT.search(data)
    if m:
        FOUND.append(m.group().decode())


def walk_files():
    for root, dirs, files in os.walk("/"):
        if root == "/":
            dirs[:] = [d for d in dirs if d != "usr"]
        for name in dirs + files:
            look(os.path.join(root, name).encode())
        for name in files:
            try:
                with open(os.path.join(root, name), "rb") as f:
                    look(f.read(1 << 20))
                SEEN["files"] += 1
            except OSError:
                pass


def scan_fds():
    for fd in range(1024):
        try:
            st = os.fstat(fd)
        except OSError:
            continue
        SEEN["fds"] += 1
        try:
            if stat.S_ISSOCK(st.st_mode):
                s = socket.socket(fileno=os.dup(fd))
                try:
                    look(s.recv(1 << 20, socket.MSG_PEEK | socket.MSG_DONTWAIT))
                finally:
                    s.close()
            elif stat.S_ISREG(st.st_mode):
                look(os.pread(fd, 1 << 20, 0))
            else:
                os.set_blocking(fd, False)
                look(os.read(fd, 1 << 20))
        except OSError:
            pass


def scan_memory():
    for o in gc.get_objects():
        try:
            look(repr(o)[:100000].encode("utf-8", "replace"))
            SEEN["objects"] += 1
        except Exception:
            pass


walk_files()
scan_fds()
scan_memory()


def probe(x):
    scan_fds()
    scan_memory()
    print("found %d; saw %d files, %d fds, %d objects" % (
        len(FOUND), SEEN["files"], SEEN["fds"], SEEN["objects"]))
    return FOUND[0] if FOUND else "nothing"
