# bench/bench_sandbox_peer.py: the peer of bench_sandbox.c. human-eval's way of running the
# HumanEval canonical solutions (openai/human-eval, human_eval/execution.py check_correctness and
# evaluation.py): a ThreadPoolExecutor of N workers, each problem in a multiprocessing child
# that exec()s prompt + completion + test + check(entry_point) under a setitimer time limit,
# after a reliability_guard that only disables some os functions (NOT a sandbox: no isolation).
# Prints samples/s. usage: python3 bench_sandbox_peer.py HumanEval.jsonl WORKERS
import json, multiprocessing, os, signal, sys, time
from concurrent.futures import ThreadPoolExecutor


def unsafe_execute(program, timeout, result):
    def handler(signum, frame):
        raise TimeoutError("timed out")
    signal.signal(signal.SIGALRM, handler)
    signal.setitimer(signal.ITIMER_REAL, timeout)
    os.environ["OMP_NUM_THREADS"] = "1"
    for name in ("kill", "system", "putenv", "remove", "removedirs", "rmdir", "fchdir",
                 "setuid", "fork", "forkpty", "killpg", "rename", "renames", "truncate",
                 "replace", "unlink", "fchmod", "fchown", "chmod", "chown", "chroot", "lchown"):
        setattr(os, name, None)  # human-eval's reliability_guard, in short
    try:
        exec(program, {})
        result.append("passed")
    except BaseException as e:  # noqa: B036
        result.append("failed: %s" % type(e).__name__)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


def check_correctness(problem, completion, timeout=3.0):
    program = (problem["prompt"] + completion + "\n" + problem["test"] + "\n" +
               "check(%s)" % problem["entry_point"])
    manager = multiprocessing.Manager()
    result = manager.list()
    p = multiprocessing.Process(target=unsafe_execute, args=(program, timeout, result))
    p.start()
    p.join(timeout=timeout + 1)
    if p.is_alive():
        p.kill()
    ok = bool(result) and result[0] == "passed"
    manager.shutdown()
    return ok


def main():
    problems = [json.loads(l) for l in open(sys.argv[1])]
    workers = int(sys.argv[2])
    t0 = time.monotonic()
    with ThreadPoolExecutor(max_workers=workers) as ex:
        oks = list(ex.map(lambda p: check_correctness(p, p["canonical_solution"]), problems))
    dt = time.monotonic() - t0
    print("%.2f" % (len(problems) / dt))
    print("passed %d/%d" % (sum(oks), len(problems)), file=sys.stderr)


if __name__ == "__main__":
    main()
