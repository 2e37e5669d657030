"""Rules for Python's operators (`+ - * / ** @ // %`, unary minus, comparisons)."""
import operator

import numpy as np

from ..runtime import (broadcast_like, exponent_tangent, matmul_adjoint_x, matmul_adjoint_y,
                       power_slope, safe_log, unbroadcast)
from .registry import adjoint, nondifferentiable, tangent

# ----- arithmetic -----


@adjoint(operator.add)
def add(g, ans, x, y):
    return unbroadcast(g, x), unbroadcast(g, y)


@tangent(operator.add)
def add_tangent(g, ans, x, y):
    return broadcast_like(g, ans), broadcast_like(g, ans)


@adjoint(operator.sub)
def sub(g, ans, x, y):
    return unbroadcast(g, x), unbroadcast(-g, y)


@tangent(operator.sub)
def sub_tangent(g, ans, x, y):
    return broadcast_like(g, ans), broadcast_like(-g, ans)


@adjoint(operator.mul)
def mul(g, ans, x, y):
    return unbroadcast(g * y, x), unbroadcast(g * x, y)


@tangent(operator.mul)
def mul_tangent(g, ans, x, y):
    return g * y, x * g


@adjoint(operator.truediv)
def truediv(g, ans, x, y):
    return unbroadcast(g / y, x), unbroadcast(-g * ans / y, y)


@tangent(operator.truediv)
def truediv_tangent(g, ans, x, y):
    return broadcast_like(g / y, ans), broadcast_like(-g * ans / y, ans)


@adjoint(operator.pow)
def pow_(g, ans, x, y):
    return unbroadcast(g * power_slope(x, y), x), unbroadcast(g * ans * safe_log(x), y)


@tangent(operator.pow)
def pow_tangent(g, ans, x, y):
    return (broadcast_like(g * power_slope(x, y), ans),
            broadcast_like(exponent_tangent(g, ans * safe_log(x)), ans))


@adjoint(operator.neg)
def neg(g, ans, x):
    return -g


@tangent(operator.neg)
def neg_tangent(g, ans, x):
    return -g


@adjoint(operator.pos)
def pos(g, ans, x):
    return g


@tangent(operator.pos)
def pos_tangent(g, ans, x):
    return g


# ----- matrix product -----
# matmul_adjoint_x/y are g @ y.T and x.T @ g, with NumPy's promotion of 1-D
# operands and broadcasting of stacked matrices undone.


@adjoint(operator.matmul)
def matmul(g, ans, x, y):
    return matmul_adjoint_x(g, x, y), matmul_adjoint_y(g, x, y)


@tangent(operator.matmul)
def matmul_tangent(g, ans, x, y):
    return g @ y, x @ g


# ----- piecewise -----


@adjoint(operator.mod)
def mod(g, ans, x, y):
    return unbroadcast(g, x), unbroadcast(-g * np.floor_divide(x, y), y)


@tangent(operator.mod)
def mod_tangent(g, ans, x, y):
    return broadcast_like(g, ans), broadcast_like(-g * np.floor_divide(x, y), ans)


# Comparisons, `//` and `not` are piecewise constant.
nondifferentiable(operator.floordiv, operator.lt, operator.le, operator.gt, operator.ge,
                  operator.eq, operator.ne, operator.not_, operator.is_, operator.is_not,
                  operator.contains, operator.and_, operator.or_, operator.xor, operator.invert,
                  operator.truth)
