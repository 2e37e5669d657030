"""Expression swell: symbolic differentiation of the n-fold logistic map.

Symbolic differentiation works on the expression tree, and ``l_{k+1} =
r l_k (1 - l_k)`` uses ``l_k`` twice, so the tree of ``l_n`` (and of its
derivative) doubles with every step, while the AD derivative of
``workloads.logistic`` stays a loop of a few statements for any n.
"""

import time
from dataclasses import dataclass

from benchmarks.workloads import logistic_grad


@dataclass
class SwellRow:
    n: int
    ops: int          # sympy.count_ops of d l_n / d l0
    nodes: int        # nodes of its expression tree (len(str) costs 10x more)
    seconds: float    # build l_n + differentiate (sympy caches are cleared)
    rel_error: float  # symbolic value vs logistic_grad at l0 = 0.3 (nan: skipped)


def expression_swell(max_n, l0_value=0.3, r_value="16/5", max_checked_n=8):
    """One ``SwellRow`` per n = 1..max_n; raises ImportError without sympy.
    Substituting into the huge trees costs more than building them, so the
    value is checked against the AD result only up to ``max_checked_n``."""
    import sympy as sp
    l0 = sp.Symbol("l0")
    r = sp.Rational(r_value)
    rows = []
    for n in range(1, max_n + 1):
        sp.core.cache.clear_cache()
        start = time.perf_counter()
        expr = l0
        for i in range(n):
            expr = r * expr * (1 - expr)
        derivative = sp.diff(expr, l0)
        seconds = time.perf_counter() - start
        rows.append(SwellRow(n, int(sp.count_ops(derivative)),
                             sum(1 for _ in sp.preorder_traversal(derivative)), seconds, float("nan")))
        if n <= max_checked_n:
            value = float(derivative.subs(l0, sp.Float(l0_value, 30)))
            exact = logistic_grad(l0_value, float(r), n)
            rows[-1].rel_error = abs(value - exact) / max(abs(exact), 1e-300)
    return rows


def swell_table(rows):
    lines = ["| n | count_ops | tree nodes | build + diff time | rel. error vs AD |",
             "| ---: | ---: | ---: | ---: | ---: |"]
    for row in rows:
        lines.append(f"| {row.n} | {row.ops:,} | {row.nodes:,} | "
                     f"{row.seconds * 1e3:.2f} ms | {_error(row.rel_error)} |")
    return lines


def _error(rel_error):
    return "not checked" if rel_error != rel_error else f"{rel_error:.1e}"
