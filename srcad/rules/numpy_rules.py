"""Rules for NumPy functions and array methods."""
import numpy as np

from ..runtime import expand_to, matmul_adjoint_x, matmul_adjoint_y, reduced_size
from .registry import adjoint, elementwise, nondifferentiable, tangent, zero_method

# ----- exponentials and logarithms -----


@elementwise(np.exp)
def exp(g, ans, x):
    return g * ans


@elementwise(np.log)
def log(g, ans, x):
    return g / x


@elementwise(np.sqrt)
def sqrt(g, ans, x):
    return g * 0.5 / ans


# ----- trigonometry and hyperbolic functions -----


@elementwise(np.sin)
def sin(g, ans, x):
    return g * np.cos(x)


@elementwise(np.cos)
def cos(g, ans, x):
    return -g * np.sin(x)


@elementwise(np.tan)
def tan(g, ans, x):
    return g * (1.0 + ans * ans)


@elementwise(np.tanh)
def tanh(g, ans, x):
    return g * (1.0 - ans * ans)


# ----- reductions -----


@adjoint(np.sum, method="sum")
def sum_(g, ans, x, axis=None, dtype=None, out=None, keepdims=False):
    return expand_to(g, x, axis, keepdims)


@tangent(np.sum)
def sum_tangent(g, ans, x, axis=None, dtype=None, out=None, keepdims=False):
    return np.sum(g, axis=axis, keepdims=keepdims)


@adjoint(np.mean, method="mean")
def mean(g, ans, x, axis=None, dtype=None, out=None, keepdims=False):
    return expand_to(g, x, axis, keepdims) / reduced_size(x, axis)


@tangent(np.mean)
def mean_tangent(g, ans, x, axis=None, dtype=None, out=None, keepdims=False):
    return np.mean(g, axis=axis, keepdims=keepdims)


# ----- linear algebra -----


@adjoint(np.dot, np.matmul, method="dot")
def dot(g, ans, x, y):
    return matmul_adjoint_x(g, x, y), matmul_adjoint_y(g, x, y)


@tangent(np.dot, np.matmul)
def dot_tangent(g, ans, x, y):
    return np.dot(g, y), np.dot(x, g)


# ----- piecewise constant -----

nondifferentiable(np.floor, np.ceil, np.round, np.rint, np.sign, np.argmax, np.argmin,
                  np.argsort, np.isnan, np.isinf, np.isfinite, np.zeros, np.ones,
                  np.zeros_like, np.ones_like, np.empty, np.empty_like, np.eye, np.identity,
                  np.arange, np.linspace, np.full, np.full_like, np.shape, np.ndim, np.size,
                  np.less, np.less_equal, np.greater, np.greater_equal, np.equal,
                  np.not_equal, np.logical_and, np.logical_or, np.logical_not, np.any, np.all)
zero_method("shape", "ndim", "size", "dtype", "argmax", "argmin", "argsort", "astype_int",
            "nonzero", "any", "all")
