#!/usr/bin/python3
"""The peer of bench/bench_math.c: a math-answer checker on Debian's python3-sympy.

usage: bench_math_sympy.py PAIRS.jsonl SECONDS

PAIRS.jsonl holds {"gold": s, "pred": s} lines (written by bench_math). Each check is
parse(gold), parse(pred), simplify(a - b) == 0, as the common sympy-based checkers do.
Debian's sympy has no LaTeX parser (sympy.parsing.latex needs antlr4, not packaged), so a small
LaTeX-to-sympy rewrite (\\frac, \\sqrt, \\pi, ^, \\cdot, \\left/\\right, \\text) feeds
sympy_parser.parse_expr with implicit multiplication. A check that fails to parse or raises
counts as a (false) result; its time counts too. Each check is cut at 5 s (SIGALRM).
Runs one pass over the pairs (sympy caches results, so repeating would flatter it), stopping
early once SECONDS have passed (after at least 20 pairs), and prints: checks=N seconds=T checks_per_s=R parsed=P/N equal=E
"""
import json
import re
import signal
import sys
import time

from sympy import simplify
from sympy.parsing.sympy_parser import (convert_xor, implicit_multiplication_application,
                                        parse_expr, standard_transformations)

T = standard_transformations + (implicit_multiplication_application, convert_xor)


def group(s, i):
    """s[i] == '{': returns (content, index after the closing brace)."""
    d = 0
    for j in range(i, len(s)):
        if s[j] == '{':
            d += 1
        elif s[j] == '}':
            d -= 1
            if d == 0:
                return s[i + 1:j], j + 1
    raise ValueError("unbalanced")


def arg(s, i):
    while i < len(s) and s[i] == ' ':
        i += 1
    if i < len(s) and s[i] == '{':
        return group(s, i)
    return s[i], i + 1


def latex_to_sympy(s):
    s = s.replace('\\left', '').replace('\\right', '').replace('\\!', '').replace('\\,', '')
    s = s.replace('\\dfrac', '\\frac').replace('\\tfrac', '\\frac').replace('$', '')
    s = re.sub(r'\\text\{[^}]*\}|\\mbox\{[^}]*\}|\^\\circ|\^\{\\circ\}|\\%', '', s)
    out, i = [], 0
    while i < len(s):
        if s.startswith('\\frac', i):
            a, i = arg(s, i + 5)
            b, i = arg(s, i)
            out.append('((%s)/(%s))' % (latex_to_sympy(a), latex_to_sympy(b)))
        elif s.startswith('\\sqrt', i):
            i += 5
            if i < len(s) and s[i] == '[':
                j = s.index(']', i)
                n = s[i + 1:j]
                a, i = arg(s, j + 1)
                out.append('((%s)**(1/(%s)))' % (latex_to_sympy(a), latex_to_sympy(n)))
            else:
                a, i = arg(s, i)
                out.append('sqrt(%s)' % latex_to_sympy(a))
        elif s.startswith('\\pi', i):
            out.append(' pi ')
            i += 3
        elif s.startswith('\\infty', i):
            out.append(' oo ')
            i += 6
        elif s.startswith('\\cdot', i) or s.startswith('\\times', i):
            out.append('*')
            i += 5 if s.startswith('\\cdot', i) else 6
        elif s[i] == '\\':
            m = re.match(r'\\([a-zA-Z]+)', s[i:])
            name = m.group(1) if m else s[i + 1:i + 2]
            out.append(' %s ' % name)
            i += 1 + len(name)
        elif s[i] in '{}':
            out.append('(' if s[i] == '{' else ')')
            i += 1
        else:
            out.append(s[i])
            i += 1
    return ''.join(out)


def timeout(signum, frame):
    raise TimeoutError()


def check(gold, pred):
    a = parse_expr(latex_to_sympy(gold), transformations=T)
    b = parse_expr(latex_to_sympy(pred), transformations=T)
    return simplify(a - b) == 0


def main():
    pairs = [json.loads(l) for l in open(sys.argv[1])]
    budget = float(sys.argv[2])
    signal.signal(signal.SIGALRM, timeout)
    n = parsed = equal = 0
    t0 = time.perf_counter()
    for p in pairs:  # one pass: sympy caches results, so repeats would flatter it
        signal.alarm(5)
        try:
            equal += bool(check(p["gold"], p["pred"]))
            parsed += 1
        except Exception:
            pass
        finally:
            signal.alarm(0)
        n += 1
        if time.perf_counter() - t0 > budget and n >= 20:
            break
    dt = time.perf_counter() - t0
    print("checks=%d seconds=%.3f checks_per_s=%.3f parsed=%d/%d equal=%d"
          % (n, dt, n / dt, parsed, n, equal))


if __name__ == "__main__":
    main()
