#!/usr/bin/python3
"""Makes tests/data/rewards/sympy_alt_forms.jsonl: MATH-500 reference answers against other
spellings of the same value (and of different values), each with sympy's verdict, as an
independent reference for rlpt's math checker (tests/rewards/test_math_sympy.c).

usage: make_sympy_pairs.py MATH500_ANSWERS_JSONL OUT_JSONL   (Debian python3-sympy 1.12)

For every answer the small LaTeX-to-sympy rewrite of bench/bench_math_sympy.py parses as one
scalar expression, the pairs are (answer, pred) with pred one of
  sympy.latex(e) (sympy's own spelling, e.g. "\\frac{\\sqrt{3}}{2}", "x^{2} + 2 x"),
  sympy.latex(expand(e)), sympy.latex(factor(e)), latex(e - 1) + " + 1",
  "\\frac{1}{" + latex(1/e) + "}" (e != 0), the exact decimal of a terminating rational,
  and, as wrong answers, sympy.latex(e + 1) and sympy.latex(2 e) (when e != 0),
and sympy_equal = (simplify(parse(answer) - parse(pred)) == 0). Forms identical to the answer's
text are skipped, and so are answers the LaTeX rewrite cannot read faithfully (base subscripts,
\\pm, \\$, units, mixed numbers: see UNFAITHFUL); decimals are parsed as exact rationals. Records: {"gold", "pred", "sympy_equal", "form"}.
"""
import json
import os
import signal
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "bench"))
from bench_math_sympy import T, latex_to_sympy  # noqa: E402
from sympy import Tuple, expand, factor, latex, simplify  # noqa: E402
from sympy.parsing.sympy_parser import parse_expr, rationalize  # noqa: E402
import re  # noqa: E402

TR = T + (rationalize,)  # decimals as exact rationals, as rlpt reads them
# what the small LaTeX rewrite cannot read faithfully: base subscripts (52_8), \pm, \$, units
# (\mbox{ cm}^2 would be squared), mixed numbers (1\frac45 would be a product)
UNFAITHFUL = re.compile(r"_|\\pm|\\\$|\\mbox|\\text|[0-9]\s*\\frac")


def alarm(signum, frame):
    raise TimeoutError()


def main():
    src, out = sys.argv[1:3]
    signal.signal(signal.SIGALRM, alarm)
    n_answers = 0
    with open(src) as f, open(out, "w") as g:
        for line in f:
            ans = json.loads(line)["answer"]
            if UNFAITHFUL.search(ans):
                continue
            signal.alarm(10)
            try:
                e = parse_expr(latex_to_sympy(ans), transformations=TR)
                if isinstance(e, (tuple, Tuple)) or not hasattr(e, "free_symbols"):
                    continue
                forms = [("latex", latex(e)), ("expand", latex(expand(e))),
                         ("factor", latex(factor(e))), ("split", latex(e - 1) + " + 1"),
                         ("plus_one", latex(e + 1))]
                if simplify(e) != 0:
                    forms.append(("reciprocal", "\\frac{1}{%s}" % latex(simplify(1 / e))))
                    forms.append(("twice", latex(2 * e)))
                if e.is_Rational and not e.is_Integer:
                    q = e.q
                    while q % 2 == 0:
                        q //= 2
                    while q % 5 == 0:
                        q //= 5
                    if q == 1:  # a terminating decimal, written exactly
                        forms.append(("decimal", str(e.evalf(30)).rstrip("0")))
                seen = {ans}
                recs = []
                for name, p in forms:
                    if p in seen:
                        continue
                    seen.add(p)
                    b = parse_expr(latex_to_sympy(p), transformations=TR)
                    recs.append({"gold": ans, "pred": p, "sympy_equal": bool(simplify(e - b) == 0),
                                 "form": name})
            except Exception:
                continue
            finally:
                signal.alarm(0)
            n_answers += 1
            for r in recs:
                g.write(json.dumps(r) + "\n")
    print("answers used:", n_answers, file=sys.stderr)


if __name__ == "__main__":
    main()
