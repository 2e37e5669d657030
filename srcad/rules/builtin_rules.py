"""Rules for Python built-ins (`abs`, `sum`, `min`, `max`, `pow`, `float`, `len`, ...).

`max(x, y)` and `min(x, y)` split the gradient evenly on ties (as JAX's
`maximum`). Normalisation makes `max(a, b, c)` pairs, and `max(xs)` of one iterable
`runtime.largest(xs)` (NumPy's max of numbers, Python's of anything else); `list(xs)` and
`tuple(xs)` of one iterable are `runtime.listed(xs)` and `runtime.tupled(xs)`.
"""
import builtins

import numpy as np

from .. import runtime
from ..runtime import (balanced_weight, broadcast_like, exponent_tangent, extremum_weights,
                       listed_tangent, power_slope, safe_log, sorted_adjoint, sorted_tangent,
                       spread, sum_adjoint, sum_tangent, transposed, unbroadcast, unlisted,
                       untransposed)
from .registry import adjoint, elementwise, nondifferentiable, tangent


@elementwise(builtins.float)
def float_(g, ans, x):
    return g


@elementwise(builtins.abs)
def abs_(g, ans, x):
    """abs'(0) = 0 (the sign function)."""
    return g * np.sign(x)


@adjoint(builtins.pow)
def pow_(g, ans, x, y, mod=None):
    return unbroadcast(g * power_slope(x, y), x), unbroadcast(g * ans * safe_log(x), y)


@tangent(builtins.pow)
def pow_tangent(g, ans, x, y, mod=None):
    return g * power_slope(x, y), exponent_tangent(g, ans * safe_log(x))


@adjoint(builtins.sum)
def builtin_sum(g, ans, xs, start=0):
    """sum over a list of arrays or over the first axis of an array."""
    return sum_adjoint(g, xs)


@tangent(builtins.sum)
def builtin_sum_tangent(g, ans, xs, start=0):
    return sum_tangent(g, xs)


@adjoint(builtins.sorted)
def builtin_sorted(g, ans, iterable, key=None, reverse=False):
    """Each item's adjoint back where it came from (ties in Python's stable order)."""
    return sorted_adjoint(g, iterable, key, reverse)


@tangent(builtins.sorted)
def builtin_sorted_tangent(g, ans, iterable, key=None, reverse=False):
    return sorted_tangent(g, iterable, key, reverse)


@adjoint(builtins.max)
def builtin_max(g, ans, x, y):
    """max(x, y): ties give each side half."""
    return unbroadcast(g * balanced_weight(x, y), x), unbroadcast(g * balanced_weight(y, x), y)


@tangent(builtins.max)
def builtin_max_tangent(g, ans, x, y):
    return (broadcast_like(g * balanced_weight(x, y), ans),
            broadcast_like(g * balanced_weight(y, x), ans))


@adjoint(runtime.largest, runtime.smallest)
def extremum_(g, ans, xs):
    """max(xs) or min(xs) of numbers: as np.max (ties split evenly)."""
    return spread(g, np.asarray(xs)) * extremum_weights(xs, ans)


@tangent(runtime.largest, runtime.smallest)
def extremum_tangent(g, ans, xs):
    return np.sum(np.asarray(g) * extremum_weights(xs, ans))


@adjoint(builtins.min)
def builtin_min(g, ans, x, y):
    """min(x, y): ties give each side half."""
    return unbroadcast(g * balanced_weight(y, x), x), unbroadcast(g * balanced_weight(x, y), y)


@tangent(builtins.min)
def builtin_min_tangent(g, ans, x, y):
    return (broadcast_like(g * balanced_weight(y, x), ans),
            broadcast_like(g * balanced_weight(x, y), ans))


@adjoint(runtime.listed, runtime.tupled)
def listed(g, ans, xs):
    """list(xs) and tuple(xs) of one list, tuple or array (its rows)."""
    return unlisted(g, xs)


@tangent(runtime.listed, runtime.tupled)
def listed_tangent_(g, ans, xs):
    return listed_tangent(g, xs, ans)


@adjoint(runtime.transposed)
def transposed_(g, ans, rows):
    """zip(*rows) listed: each tuple's adjoints back in the rows."""
    return untransposed(g, rows)


@tangent(runtime.transposed)
def transposed_tangent(g, ans, rows):
    return transposed(g)


# (enumerate, zip and reversed pass values on: a `for` statement over them is a loop over
# the values; elsewhere they are refused where the values vary, see analysis._call_op)
nondifferentiable(builtins.len, builtins.range, builtins.int, builtins.bool, builtins.round,
                  builtins.isinstance, builtins.type, builtins.print)
