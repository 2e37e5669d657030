"""Element loops: a gradient whose reverse loop updates adjoint arrays element by element.

Not one of SPEC section 7's workloads: hand-written stencils, triangular solves and
assembly loops, which array programs avoid and numeric code written from a textbook does
not. srcad's reverse loop adds into the adjoint array in place (``in_place.py``); with
the rewrite switched off, each element's update copies the array (``add_at``). Both are
timed here, in one process, as ratios to the function's own time.
"""
import numpy as np

import srcad
import srcad.api

from benchmarks.timing import measure


def heat_steps(u0, k):
    """Explicit heat-equation steps written element by element."""
    u = u0.copy()
    for t in range(5):
        un = u.copy()
        for i in range(1, u.shape[0] - 1):
            un[i] = u[i] + k * (u[i + 1] - 2.0 * u[i] + u[i - 1])
        u = un
    return np.sum(u ** 2)


def forward_substitution(L, b):
    """x of L x = b, L lower triangular, row by row."""
    n = b.shape[0]
    x = np.zeros(n)
    for i in range(n):
        s = b[i]
        for j in range(i):
            s = s - L[i, j] * x[j]
        x[i] = s / L[i, i]
    return np.sum(x ** 2)


def _cases(quick):
    sizes = (100,) if quick else (100, 1000, 10000)
    for n in sizes:
        yield "heat_steps", f"n = {n}", heat_steps, (np.linspace(0.0, 1.0, n) ** 2, 0.2), (0, 1)
    for n in ((20,) if quick else (50, 200)):
        rng = np.random.default_rng(0)
        L = np.tril(rng.uniform(-0.5, 0.5, (n, n))) + n * np.eye(n)
        yield "forward_substitution", f"n = {n}", forward_substitution, \
            (L, rng.standard_normal(n)), (1,)


def element_loop_times(budget_s, quick):
    """Rows of (workload, size, forward s, in place s, copying s)."""
    rows = []
    for name, size, f, args, wrt in _cases(quick):
        forward = measure(lambda: f(*args), budget_s).median_s
        in_place = srcad.grad(f, wrt=wrt)
        in_place(*args)
        fast = measure(lambda: in_place(*args), budget_s).median_s
        real = srcad.api.update_in_place
        srcad.api.update_in_place = lambda tree, numbers, names: tree
        srcad.api._DERIVED.clear()          # (derivatives are made at the first call)
        try:
            copying = srcad.grad(f, wrt=wrt)
            copying(*args)
            slow = measure(lambda: copying(*args), budget_s).median_s
        finally:
            srcad.api.update_in_place = real
            srcad.api._DERIVED.clear()
        rows.append((name, size, forward, fast, slow))
    return rows
