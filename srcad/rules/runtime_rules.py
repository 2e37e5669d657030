"""Rules for the helpers generated code calls, so generated code can be differentiated again
(`hessian`, `hvp`, `grad(grad(f))`). Each helper is linear in its adjoint argument and
only reads the shape of its `like` argument (derivative 0)."""
import numpy as np

from .. import runtime
from ..runtime import (add_adjoint, add_adjoint_transpose, add_at, broadcast_like, expand_to,
                       matmul_adjoint_x, matmul_adjoint_y, mul_adjoint, mul_adjoint_along,
                       mul_adjoint_transpose, power_slope, power_slope_in_y, set_at,
                       sum_adjoint, unbroadcast, unstack, zeros_like_grad)
from .registry import adjoint, nondifferentiable, tangent

# ----- shape bookkeeping -----


@adjoint(runtime.unbroadcast)
def unbroadcast_(g, ans, t, like):
    return broadcast_like(g, t), 0


@tangent(runtime.unbroadcast)
def unbroadcast_tangent(g, ans, t, like):
    return unbroadcast(g, like), 0


@adjoint(runtime.broadcast_like)
def broadcast_like_(g, ans, t, like):
    return unbroadcast(g, t), 0


@tangent(runtime.broadcast_like)
def broadcast_like_tangent(g, ans, t, like):
    return broadcast_like(g, like), 0


@adjoint(runtime.expand_to)
def expand_to_(g, ans, t, x, axis=None, keepdims=False):
    return np.sum(g, axis=axis, keepdims=keepdims), 0


@tangent(runtime.expand_to)
def expand_to_tangent(g, ans, t, x, axis=None, keepdims=False):
    return expand_to(g, x, axis, keepdims), 0


# ----- accumulation -----


@tangent(runtime.add_grad)
def add_grad_tangent(g, ans, a, b):
    return g, g


@adjoint(runtime.add_grad)
def add_grad_(g, ans, a, b):
    return g, g


@tangent(runtime.add_adjoint)
def add_adjoint_tangent(g, ans, u, x, y, first):
    """Linear in the adjoint u; x and y give shapes (or lengths) only."""
    return add_adjoint(g, x, y, first), 0, 0, None


@adjoint(runtime.add_adjoint)
def add_adjoint_(g, ans, u, x, y, first):
    return add_adjoint_transpose(g, u, x, y, first), 0, 0, None


@adjoint(runtime.mul_adjoint)
def mul_adjoint_(g, ans, u, x, y, first):
    return (mul_adjoint_transpose(g, u, x, y, first, 0),
            mul_adjoint_transpose(g, u, x, y, first, 1),
            mul_adjoint_transpose(g, u, x, y, first, 2), None)


@tangent(runtime.mul_adjoint)
def mul_adjoint_tangent(g, ans, u, x, y, first):
    """unbroadcast(u * y, x) (first) or unbroadcast(u * x, y): bilinear in u and the other
    factor; the one it is shaped like gives a shape only."""
    return (mul_adjoint(g, x, y, first), mul_adjoint_along(u, g, y, first, 1),
            mul_adjoint_along(u, x, g, first, 2), None)


@tangent(runtime.add_at)
def add_at_tangent(g, ans, acc, like, index, t):
    return add_at(g, like, index, 0.0), 0, None, add_at(zeros_like_grad(like), like, index, g)


@tangent(runtime.set_at)
def set_at_tangent(g, ans, acc, like, index, value):
    return set_at(g, like, index, 0.0), 0, None, set_at(zeros_like_grad(like), like, index, g)


@tangent(runtime.unstack)
def unstack_tangent(g, ans, t, axis=0):
    return unstack(g, axis)


@tangent(runtime.sum_adjoint)
def sum_adjoint_tangent(g, ans, u, xs):
    """Linear in the adjoint u; xs gives shapes only."""
    return sum_adjoint(g, xs), 0


# ----- powers -----


@adjoint(runtime.power_slope)
def power_slope_(g, ans, x, y, n=1):
    """In x the next derivative, power_slope(x, y, n + 1)."""
    return (unbroadcast(g * power_slope(x, y, n + 1), x),
            unbroadcast(g * power_slope_in_y(x, y, n), y))


@tangent(runtime.power_slope)
def power_slope_tangent(g, ans, x, y, n=1):
    return (broadcast_like(g * power_slope(x, y, n + 1), ans),
            broadcast_like(g * power_slope_in_y(x, y, n), ans))


# ----- matrix products -----


@tangent(runtime.matmul_adjoint_x)
def matmul_adjoint_x_tangent(g, ans, gy, x, y):
    return matmul_adjoint_x(g, x, y), 0, matmul_adjoint_x(gy, x, g)


@tangent(runtime.matmul_adjoint_y)
def matmul_adjoint_y_tangent(g, ans, gy, x, y):
    return matmul_adjoint_y(g, x, y), matmul_adjoint_y(gy, g, y), 0


# generated code builds index objects and iterates backwards
nondifferentiable(runtime.zeros_like_grad, runtime.reduced_size, runtime.keys_of, slice,
                  reversed)
