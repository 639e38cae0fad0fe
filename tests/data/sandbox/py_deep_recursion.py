# expect: SIG|RE|TLE
# recursion through C: SIGSEGV on the stack (contained)
import sys
sys.setrecursionlimit(10**9)
def f(n):
    return list(map(f, [n + 1]))
f(0)
