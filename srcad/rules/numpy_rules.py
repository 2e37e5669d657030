"""Rules for NumPy functions and array methods.

One rule per function, grouped under banners as in a derivative table. Where a
derivative is undefined at a point the choice is written beside the rule and
collected in docs/rules.md:

- `abs`, `sign`-like kinks: abs'(0) = 0 (the sign function; PyTorch and autograd
  agree, JAX picks 1);
- `maximum`/`minimum`/`fmax`/`fmin` ties: each side gets half (as JAX);
- `max`/`min` reductions with ties: split evenly between the tied elements (as JAX);
- `clip`: x passes the gradient on the closed interval [a_min, a_max];
- `sqrt`, `cbrt`, `arcsin`... at the edge of the domain: inf/nan, as the math says;
- `linalg.norm` (2-norm, Frobenius) at 0: gradient 0.
"""
import math

import numpy as np

from ..runtime import (along, appended_part, balanced_weight, broadcast_like, cast_like,
                       cast_tangent, check_pad_mode, cholesky_adjoint, cholesky_tangent,
                       chooser_weights, clip_masks, convolve_adjoint, counts_from,
                       cross_adjoint, cumprod_adjoint, cumprod_tangent, cumsum_adjoint,
                       det_adjoint, det_tangent, diag_adjoint, diagonal_adjoint, diff_adjoint,
                       average_weights, diff_tangent, diff_trimmed, dot_axes, eigh_adjoint,
                       eigh_tangent, gradient_adjoint, interp_adjoint_fp, interp_slope,
                       interp_tangent_fp, median_weights, polyval_adjoint_p, polyval_slope,
                       pinv_adjoint, pinv_tangent, svd_adjoint, svd_tangent,
                       correlate_adjoint_a, correlate_adjoint_v, multi_dot_adjoint,
                       multi_dot_tangent, cov_adjoint, cov_tangent, corrcoef_adjoint,
                       cov_of_pair, corrcoef_of_pair,
                       corrcoef_tangent, polyfit_adjoint_x, polyfit_adjoint_y,
                       polyfit_tangent_x, polyfit_tangent_y, vector_norm_weights,
                       cond_weights,
                       trapezoid_weights,
                       eigvalsh_adjoint, eigvalsh_tangent, einsum_adjoint, einsum_one,
                       fmax_weight,
                       inner_axes, inverse_axes, item_tangent, kron_adjoint_a, kron_adjoint_b,
                       matmul_adjoint_x, matmul_adjoint_y, matrix_power_adjoint,
                       matrix_power_tangent, method_axes, method_shape, mT, norm_weights,
                       outer_adjoint_a, outer_adjoint_b, permute_axes, power_slope,
                       prod_others, product_adjoint_a, product_adjoint_b, reduced_size,
                       lstsq_adjoint_a, lstsq_adjoint_b, lstsq_tangent_a, lstsq_tangent_b,
                       lstsq_weights, qr_adjoint, qr_tangent, quantile_adjoint,
                       quantile_tangent, safe_log, exponent_tangent, sinc_derivative,
                       slogdet_adjoint, slogdet_tangent,
                       solve_adjoint_a, solve_tangent_a, solve_tangent_b, solve_transposed,
                       sort_adjoint, sort_tangent, spaced_weights, spread, take_adjoint,
                       tensordot_adjoint_a, tensordot_adjoint_b, trace_adjoint, unarray,
                       unbroadcast, uncolumn_stack, unconcatenate, unhstack, unitem, unpad,
                       unrepeat, unsplit, unstack_like, untile, unvstack, var_weights)
from ..runtime import (bessel_i1, broadcast_arrays_of, broadcast_arrays_tangent,
                       choose_adjoint, compress_adjoint, ediff1d_adjoint, ediff1d_tangent,
                       gathered_adjoint, histogram_bins, histogram_edges_follow,
                       initial_dropped, initial_zero, item_indices,
                       meshgrid_of, meshgrid_tangent, modf_tangent, nan_chooser_weights,
                       nan_count, nan_var_weights, partition_order, ptp_weights, select_adjoint,
                       take_along_axis_adjoint, vander_powers,
                       unblock, unbroadcast_arrays, undstack, unmeshgrid, unselected)
from .registry import adjoint, elementwise, nondifferentiable, rule_for, tangent, zero_method

# ----- exponentials and logarithms -----


@elementwise(np.exp)
def exp(g, ans, x):
    return g * ans


@elementwise(np.exp2)
def exp2(g, ans, x):
    return g * ans * math.log(2.0)


@elementwise(np.expm1)
def expm1(g, ans, x):
    return g * (ans + 1.0)


@elementwise(np.log)
def log(g, ans, x):
    return g / x


@elementwise(np.log1p)
def log1p(g, ans, x):
    return g / (1.0 + x)


@elementwise(np.log2)
def log2(g, ans, x):
    return g / (x * math.log(2.0))


@elementwise(np.log10)
def log10(g, ans, x):
    return g / (x * math.log(10.0))


# ----- powers and roots -----


@elementwise(np.sqrt)
def sqrt(g, ans, x):
    """sqrt'(0) = inf, as the math (and JAX) says."""
    return g * 0.5 / ans


@elementwise(np.cbrt)
def cbrt(g, ans, x):
    return g / (3.0 * ans * ans)


@elementwise(np.square)
def square(g, ans, x):
    return g * 2.0 * x


@elementwise(np.reciprocal)
def reciprocal(g, ans, x):
    return -g * ans * ans


@adjoint(np.power, np.float_power)
def power(g, ans, x, y):
    """The y-derivative x**y log(x) is taken as 0 at x = 0 (as JAX)."""
    return unbroadcast(g * power_slope(x, y), x), unbroadcast(g * ans * safe_log(x), y)


@tangent(np.power, np.float_power)
def power_tangent(g, ans, x, y):
    return (broadcast_like(g * power_slope(x, y), ans),
            broadcast_like(exponent_tangent(g, ans * safe_log(x)), ans))


# ----- signs and absolute values -----


@elementwise(np.abs, np.fabs)
def absolute(g, ans, x):
    """abs'(0) = 0 (the sign function, a subgradient; JAX uses 1)."""
    return g * np.sign(x)


@elementwise(np.negative)
def negative(g, ans, x):
    return -g


@elementwise(np.positive)
def positive(g, ans, x):
    return g


@adjoint(np.modf)
def modf(g, ans, x):
    """(fractional part, integral part): x's derivative goes through the fractional part
    (slope 1); the integral part is piecewise constant."""
    return g[0]


@tangent(np.modf)
def modf_tangent_(g, ans, x):
    return modf_tangent(g)


# ----- trigonometry -----


@elementwise(np.sin)
def sin(g, ans, x):
    return g * np.cos(x)


@elementwise(np.cos)
def cos(g, ans, x):
    return -g * np.sin(x)


@elementwise(np.tan)
def tan(g, ans, x):
    return g * (1.0 + ans * ans)


@elementwise(np.arcsin)
def arcsin(g, ans, x):
    return g / np.sqrt(1.0 - x * x)


@elementwise(np.arccos)
def arccos(g, ans, x):
    return -g / np.sqrt(1.0 - x * x)


@elementwise(np.arctan)
def arctan(g, ans, x):
    return g / (1.0 + x * x)


@elementwise(np.deg2rad, np.radians)
def deg2rad(g, ans, x):
    return g * (math.pi / 180.0)


@elementwise(np.rad2deg, np.degrees)
def rad2deg(g, ans, x):
    return g * (180.0 / math.pi)


@elementwise(np.sinc)
def sinc(g, ans, x):
    """sinc'(0) = 0."""
    return g * sinc_derivative(x)


# ----- hyperbolic functions -----


@elementwise(np.sinh)
def sinh(g, ans, x):
    return g * np.cosh(x)


@elementwise(np.cosh)
def cosh(g, ans, x):
    return g * np.sinh(x)


@elementwise(np.tanh)
def tanh(g, ans, x):
    return g * (1.0 - ans * ans)


@elementwise(np.arcsinh)
def arcsinh(g, ans, x):
    return g / np.sqrt(x * x + 1.0)


@elementwise(np.arccosh)
def arccosh(g, ans, x):
    return g / np.sqrt(x * x - 1.0)


@elementwise(np.arctanh)
def arctanh(g, ans, x):
    return g / (1.0 - x * x)


# ----- binary arithmetic ufuncs (the operators' rules, under their NumPy names) -----


@adjoint(np.add)
def add(g, ans, x, y):
    return unbroadcast(g, x), unbroadcast(g, y)


@tangent(np.add)
def add_tangent(g, ans, x, y):
    return broadcast_like(g, ans), broadcast_like(g, ans)


@adjoint(np.subtract)
def subtract(g, ans, x, y):
    return unbroadcast(g, x), unbroadcast(-g, y)


@tangent(np.subtract)
def subtract_tangent(g, ans, x, y):
    return broadcast_like(g, ans), broadcast_like(-g, ans)


@adjoint(np.multiply)
def multiply(g, ans, x, y):
    return unbroadcast(g * y, x), unbroadcast(g * x, y)


@tangent(np.multiply)
def multiply_tangent(g, ans, x, y):
    return broadcast_like(g * y, ans), broadcast_like(x * g, ans)


@adjoint(np.divide)
def divide(g, ans, x, y):
    return unbroadcast(g / y, x), unbroadcast(-g * ans / y, y)


@tangent(np.divide)
def divide_tangent(g, ans, x, y):
    return broadcast_like(g / y, ans), broadcast_like(-g * ans / y, ans)


@adjoint(np.mod)
def mod(g, ans, x, y):
    return unbroadcast(g, x), unbroadcast(-g * np.floor_divide(x, y), y)


@tangent(np.mod)
def mod_tangent(g, ans, x, y):
    return broadcast_like(g, ans), broadcast_like(-g * np.floor_divide(x, y), ans)


@adjoint(np.fmod)
def fmod(g, ans, x, y):
    return unbroadcast(g, x), unbroadcast(-g * np.trunc(x / y), y)


@tangent(np.fmod)
def fmod_tangent(g, ans, x, y):
    return broadcast_like(g, ans), broadcast_like(-g * np.trunc(x / y), ans)


# ----- binary transcendental ufuncs -----


@adjoint(np.arctan2)
def arctan2(g, ans, y, x):
    return unbroadcast(g * x / (x * x + y * y), y), unbroadcast(-g * y / (x * x + y * y), x)


@tangent(np.arctan2)
def arctan2_tangent(g, ans, y, x):
    return (broadcast_like(g * x / (x * x + y * y), ans),
            broadcast_like(-g * y / (x * x + y * y), ans))


@adjoint(np.hypot)
def hypot(g, ans, x, y):
    return unbroadcast(g * x / ans, x), unbroadcast(g * y / ans, y)


@tangent(np.hypot)
def hypot_tangent(g, ans, x, y):
    return broadcast_like(g * x / ans, ans), broadcast_like(g * y / ans, ans)


@adjoint(np.logaddexp)
def logaddexp(g, ans, x, y):
    return unbroadcast(g * np.exp(x - ans), x), unbroadcast(g * np.exp(y - ans), y)


@tangent(np.logaddexp)
def logaddexp_tangent(g, ans, x, y):
    return broadcast_like(g * np.exp(x - ans), ans), broadcast_like(g * np.exp(y - ans), ans)


@adjoint(np.logaddexp2)
def logaddexp2(g, ans, x, y):
    return unbroadcast(g * np.exp2(x - ans), x), unbroadcast(g * np.exp2(y - ans), y)


@tangent(np.logaddexp2)
def logaddexp2_tangent(g, ans, x, y):
    return broadcast_like(g * np.exp2(x - ans), ans), broadcast_like(g * np.exp2(y - ans), ans)


# ----- piecewise selections (ties split evenly, as JAX) -----


@adjoint(np.maximum)
def maximum(g, ans, x, y):
    w = balanced_weight(x, y)
    return unbroadcast(g * w, x), unbroadcast(g * (1.0 - w), y)


@tangent(np.maximum)
def maximum_tangent(g, ans, x, y):
    w = balanced_weight(x, y)
    return broadcast_like(g * w, ans), broadcast_like(g * (1.0 - w), ans)


@adjoint(np.minimum)
def minimum(g, ans, x, y):
    w = balanced_weight(y, x)
    return unbroadcast(g * w, x), unbroadcast(g * (1.0 - w), y)


@tangent(np.minimum)
def minimum_tangent(g, ans, x, y):
    w = balanced_weight(y, x)
    return broadcast_like(g * w, ans), broadcast_like(g * (1.0 - w), ans)


@adjoint(np.fmax)
def fmax(g, ans, x, y):
    w = fmax_weight(x, y)
    return unbroadcast(g * w, x), unbroadcast(g * (1.0 - w), y)


@tangent(np.fmax)
def fmax_tangent(g, ans, x, y):
    w = fmax_weight(x, y)
    return broadcast_like(g * w, ans), broadcast_like(g * (1.0 - w), ans)


@adjoint(np.fmin)
def fmin(g, ans, x, y):
    w = fmax_weight(-x, -y)
    return unbroadcast(g * w, x), unbroadcast(g * (1.0 - w), y)


@tangent(np.fmin)
def fmin_tangent(g, ans, x, y):
    w = fmax_weight(-x, -y)
    return broadcast_like(g * w, ans), broadcast_like(g * (1.0 - w), ans)


@adjoint(np.clip, method="clip")
def clip(g, ans, x, a_min, a_max):
    """x passes the gradient on [a_min, a_max] (bounds included); a bound elsewhere."""
    m = clip_masks(x, a_min, a_max)
    return unbroadcast(g * m[0], x), unbroadcast(g * m[1], a_min), unbroadcast(g * m[2], a_max)


@tangent(np.clip)
def clip_tangent(g, ans, x, a_min, a_max):
    m = clip_masks(x, a_min, a_max)
    return (broadcast_like(g * m[0], ans), broadcast_like(g * m[1], ans),
            broadcast_like(g * m[2], ans))


@adjoint(np.where)
def where(g, ans, condition, x, y):
    return (0, unbroadcast(np.where(condition, g, 0.0), x),
            unbroadcast(np.where(condition, 0.0, g), y))


@tangent(np.where)
def where_tangent(g, ans, condition, x, y):
    return (0, broadcast_like(np.where(condition, g, 0.0), ans),
            broadcast_like(np.where(condition, 0.0, g), ans))


# ----- reductions -----


@adjoint(np.sum, method="sum")
def sum_(g, ans, x, axis=None, dtype=None, out=None, keepdims=False):
    return spread(g, x, axis, keepdims)


@tangent(np.sum)
def sum_tangent(g, ans, x, axis=None, dtype=None, out=None, keepdims=False):
    return np.sum(g, axis=axis, keepdims=keepdims)


@adjoint(np.mean, method="mean")
def mean(g, ans, x, axis=None, dtype=None, out=None, keepdims=False):
    return spread(g, x, axis, keepdims) / reduced_size(x, axis)


@tangent(np.mean)
def mean_tangent(g, ans, x, axis=None, dtype=None, out=None, keepdims=False):
    return np.mean(g, axis=axis, keepdims=keepdims)


@adjoint(np.prod, method="prod")
def prod(g, ans, x, axis=None, dtype=None, out=None, keepdims=False):
    """Exact where x holds zeros: the product of the other elements, not ans / x."""
    return spread(g, x, axis, keepdims) * prod_others(x, axis)


@tangent(np.prod)
def prod_tangent(g, ans, x, axis=None, dtype=None, out=None, keepdims=False):
    return np.sum(g * prod_others(x, axis), axis=axis, keepdims=keepdims)


@adjoint(np.max, np.amax, method="max")
def max_(g, ans, x, axis=None, out=None, keepdims=False):
    """Ties split the gradient evenly between the tied elements (as JAX)."""
    return spread(g, x, axis, keepdims) * chooser_weights(x, ans, axis, keepdims)


@tangent(np.max, np.amax)
def max_tangent(g, ans, x, axis=None, out=None, keepdims=False):
    return np.sum(g * chooser_weights(x, ans, axis, keepdims), axis=axis, keepdims=keepdims)


@adjoint(np.min, np.amin, method="min")
def min_(g, ans, x, axis=None, out=None, keepdims=False):
    """Ties split the gradient evenly between the tied elements (as JAX)."""
    return spread(g, x, axis, keepdims) * chooser_weights(x, ans, axis, keepdims)


@tangent(np.min, np.amin)
def min_tangent(g, ans, x, axis=None, out=None, keepdims=False):
    return np.sum(g * chooser_weights(x, ans, axis, keepdims), axis=axis, keepdims=keepdims)


@adjoint(np.var, method="var")
def var(g, ans, x, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    return spread(g, x, axis, keepdims) * var_weights(x, axis, ddof)


@tangent(np.var)
def var_tangent(g, ans, x, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    return np.sum(g * var_weights(x, axis, ddof), axis=axis, keepdims=keepdims)


@adjoint(np.std, method="std")
def std(g, ans, x, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    """std' = var' / (2 std): nan where every element is equal (as JAX)."""
    return spread(g / ans, x, axis, keepdims) * var_weights(x, axis, ddof) * 0.5


@tangent(np.std)
def std_tangent(g, ans, x, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    return np.sum(g * var_weights(x, axis, ddof), axis=axis, keepdims=keepdims) * 0.5 / ans


@adjoint(np.cumsum, method="cumsum")
def cumsum(g, ans, x, axis=None, dtype=None, out=None):
    return cumsum_adjoint(g, x, axis)


@tangent(np.cumsum)
def cumsum_tangent(g, ans, x, axis=None, dtype=None, out=None):
    return np.cumsum(g, axis=axis)


@adjoint(np.cumprod, method="cumprod")
def cumprod(g, ans, x, axis=None, dtype=None, out=None):
    return cumprod_adjoint(g, ans, x, axis)


@tangent(np.cumprod)
def cumprod_tangent_(g, ans, x, axis=None, dtype=None, out=None):
    return cumprod_tangent(g, ans, x, axis)


@adjoint(np.linalg.norm)
def norm(g, ans, x, ord=None, axis=None, keepdims=False):
    """Vector ord 1, 2, inf, -inf, p and matrix 'fro', 'nuc', 1, -1, 2, -2, inf, -inf.

    ord=0 counts nonzeros: derivative 0. 2-norm at 0: gradient 0. inf-norm ties
    split evenly.
    """
    return spread(g, x, axis, keepdims) * norm_weights(x, ans, ord, axis, keepdims)


@tangent(np.linalg.norm)
def norm_tangent(g, ans, x, ord=None, axis=None, keepdims=False):
    return np.sum(g * norm_weights(x, ans, ord, axis, keepdims), axis=axis, keepdims=keepdims)


@adjoint(np.linalg.vector_norm)
def vector_norm(g, ans, x, axis=None, keepdims=False, ord=2):
    """ord 1, 2, inf, -inf, p, over any axes (all for None: x flattened)."""
    return spread(g, x, axis, keepdims) * vector_norm_weights(x, ans, axis, keepdims, ord)


@tangent(np.linalg.vector_norm)
def vector_norm_tangent(g, ans, x, axis=None, keepdims=False, ord=2):
    return np.sum(g * vector_norm_weights(x, ans, axis, keepdims, ord), axis=axis,
                  keepdims=keepdims)


@adjoint(np.linalg.matrix_norm)
def matrix_norm(g, ans, x, keepdims=False, ord="fro"):
    """As np.linalg.norm's over the last two axes."""
    return spread(g, x, (-2, -1), keepdims) * norm_weights(x, ans, ord, (-2, -1), keepdims)


@tangent(np.linalg.matrix_norm)
def matrix_norm_tangent(g, ans, x, keepdims=False, ord="fro"):
    return np.sum(g * norm_weights(x, ans, ord, (-2, -1), keepdims), axis=(-2, -1),
                  keepdims=keepdims)


@adjoint(np.linalg.cond)
def cond(g, ans, x, p=None):
    """p None, 2, -2 (from the SVD), 'fro', 'nuc', 1, -1, inf, -inf (square x)."""
    return np.asarray(g)[..., None, None] * cond_weights(x, p)


@tangent(np.linalg.cond)
def cond_tangent(g, ans, x, p=None):
    return np.sum(g * cond_weights(x, p), axis=(-2, -1))


@adjoint(np.linalg.trace)
def linalg_trace(g, ans, x, offset=0, dtype=None):
    return trace_adjoint(g, x, offset, -2, -1)


@tangent(np.linalg.trace)
def linalg_trace_tangent(g, ans, x, offset=0, dtype=None):
    return np.linalg.trace(g, offset=offset)


@adjoint(np.linalg.diagonal)
def linalg_diagonal(g, ans, x, offset=0):
    return diagonal_adjoint(g, x, offset, -2, -1)


@tangent(np.linalg.diagonal)
def linalg_diagonal_tangent(g, ans, x, offset=0):
    return np.linalg.diagonal(g, offset=offset)


@adjoint(np.trace, method="trace")
def trace(g, ans, x, offset=0, axis1=0, axis2=1, dtype=None, out=None):
    return trace_adjoint(g, x, offset, axis1, axis2)


@tangent(np.trace)
def trace_tangent(g, ans, x, offset=0, axis1=0, axis2=1, dtype=None, out=None):
    return np.trace(g, offset, axis1, axis2)


@adjoint(np.diff)
def diff(g, ans, x, n=1, axis=-1, prepend=None, append=None):
    """prepend and append (constants) are not differentiated."""
    return diff_trimmed(diff_adjoint(g, n, axis), x, n, axis, prepend, append)


@tangent(np.diff)
def diff_tangent_(g, ans, x, n=1, axis=-1, prepend=None, append=None):
    return diff_tangent(g, n, axis, prepend, append)


@adjoint(np.sort)
def sort(g, ans, x, axis=-1, kind=None, order=None):
    return sort_adjoint(g, x, axis)


@tangent(np.sort)
def sort_tangent_(g, ans, x, axis=-1, kind=None, order=None):
    return sort_tangent(g, x, axis)


@adjoint(np.partition)
def partition(g, ans, a, kth, axis=-1, kind="introselect", order=None):
    """A permutation, as np.sort's: g sent back to where each item came from (kth: no
    derivative)."""
    return take_along_axis_adjoint(g, a, partition_order(a, ans, axis), axis), None


@tangent(np.partition)
def partition_tangent(g, ans, a, kth, axis=-1, kind="introselect", order=None):
    return np.take_along_axis(g, partition_order(a, ans, axis), axis=axis), None


# ----- shape operations -----


@adjoint(np.reshape)
def reshape(g, ans, x, shape=None, order="C"):
    return np.reshape(g, np.shape(x), order=order)


@tangent(np.reshape)
def reshape_tangent(g, ans, x, shape=None, order="C"):
    return np.reshape(g, np.shape(ans), order=order)


@adjoint(np.ndarray.reshape, method="reshape")
def reshape_method(g, ans, x, *shape, order="C"):
    """x.reshape(3, 4) and x.reshape((3, 4)): the shape is never differentiated."""
    return np.reshape(g, np.shape(x), order=order)


@tangent(np.ndarray.reshape)
def reshape_method_tangent(g, ans, x, *shape, order="C"):
    return np.reshape(g, method_shape(shape), order=order)


@adjoint(np.ravel, method=("ravel", "flatten"))
def ravel(g, ans, x, order="C"):
    return np.reshape(g, np.shape(x), order=order)


@tangent(np.ravel)
def ravel_tangent(g, ans, x, order="C"):
    return np.ravel(g, order=order)


@adjoint(np.transpose, method="T")
def transpose(g, ans, x, axes=None):
    return permute_axes(g, inverse_axes(axes, x))


@tangent(np.transpose)
def transpose_tangent(g, ans, x, axes=None):
    return permute_axes(g, axes)


@adjoint(np.ndarray.transpose, method="transpose")
def transpose_method(g, ans, x, *axes):
    """x.transpose(), x.transpose(1, 0, 2) and x.transpose((1, 0, 2))."""
    return permute_axes(g, inverse_axes(method_axes(axes), x))


@tangent(np.ndarray.transpose)
def transpose_method_tangent(g, ans, x, *axes):
    return permute_axes(g, method_axes(axes))


@elementwise(np.swapaxes, method="swapaxes")
def swapaxes(g, ans, x, axis1=0, axis2=1):
    return np.swapaxes(g, axis1, axis2)


@adjoint(np.moveaxis)
def moveaxis(g, ans, x, source=0, destination=0):
    return np.moveaxis(g, destination, source)


@tangent(np.moveaxis)
def moveaxis_tangent(g, ans, x, source=0, destination=0):
    return np.moveaxis(g, source, destination)


@adjoint(np.squeeze, np.expand_dims, method="squeeze")
def expand_dims(g, ans, x, axis=None):
    return np.reshape(g, np.shape(x))


@tangent(np.squeeze, np.expand_dims)
def expand_dims_tangent(g, ans, x, axis=None):
    return np.reshape(g, np.shape(ans))


# (of one array: normalise makes np.atleast_1d(a, b) the tuple of a call for each)
@adjoint(np.atleast_1d, np.atleast_2d, np.atleast_3d)
def atleast(g, ans, x):
    return np.reshape(g, np.shape(x))


@tangent(np.atleast_1d, np.atleast_2d, np.atleast_3d)
def atleast_tangent(g, ans, x):
    return np.reshape(g, np.shape(ans))


@adjoint(np.broadcast_to)
def broadcast_to(g, ans, x, shape=None, subok=False):
    return unbroadcast(g, x)


@tangent(np.broadcast_to)
def broadcast_to_tangent(g, ans, x, shape=None, subok=False):
    return np.broadcast_to(g, np.shape(ans))


@adjoint(np.tile)
def tile(g, ans, x, reps=1):
    return untile(g, x, reps)


@tangent(np.tile)
def tile_tangent(g, ans, x, reps=1):
    return np.tile(g, reps)


@adjoint(np.repeat, method="repeat")
def repeat(g, ans, x, repeats=1, axis=None):
    return unrepeat(g, x, repeats, axis)


@tangent(np.repeat)
def repeat_tangent(g, ans, x, repeats=1, axis=None):
    return np.repeat(g, repeats, axis)


@elementwise(np.flip)
def flip(g, ans, x, axis=None):
    return np.flip(g, axis)


@elementwise(np.fliplr)
def fliplr(g, ans, x):
    return np.fliplr(g)


@elementwise(np.flipud)
def flipud(g, ans, x):
    return np.flipud(g)


@adjoint(np.roll)
def roll(g, ans, x, shift=0, axis=None):
    return np.roll(g, np.negative(shift), axis)


@tangent(np.roll)
def roll_tangent(g, ans, x, shift=0, axis=None):
    return np.roll(g, shift, axis)


@adjoint(np.pad)
def pad(g, ans, x, pad_width=0, mode="constant", constant_values=0):
    """Modes constant (its padding value not differentiated), edge, reflect, symmetric, wrap.

    The modes that pad with copies of x's elements add the copies' adjoints up."""
    return unpad(g, x, pad_width, mode)


@tangent(np.pad)
def pad_tangent(g, ans, x, pad_width=0, mode="constant", constant_values=0):
    return np.pad(g, pad_width, mode=check_pad_mode(mode))


@adjoint(np.diag)
def diag(g, ans, v, k=0):
    return diag_adjoint(g, v, k)


@tangent(np.diag)
def diag_tangent(g, ans, v, k=0):
    return np.diag(g, k)


@adjoint(np.diagflat)
def diagflat(g, ans, v, k=0):
    """v's items, flattened, on diagonal k: that diagonal of g, shaped as v."""
    return unarray(np.reshape(np.diagonal(g, k), np.shape(v)), v)


@tangent(np.diagflat)
def diagflat_tangent(g, ans, v, k=0):
    return np.diagflat(g, k)


@adjoint(np.diagonal, method="diagonal")
def diagonal(g, ans, x, offset=0, axis1=0, axis2=1):
    return diagonal_adjoint(g, x, offset, axis1, axis2)


@tangent(np.diagonal)
def diagonal_tangent(g, ans, x, offset=0, axis1=0, axis2=1):
    return np.diagonal(g, offset, axis1, axis2)


@elementwise(np.triu)
def triu(g, ans, x, k=0):
    return np.triu(g, k)


@elementwise(np.tril)
def tril(g, ans, x, k=0):
    return np.tril(g, k)


@adjoint(np.take, method="take")
def take(g, ans, x, indices=None, axis=None, out=None, mode="raise"):
    return take_adjoint(g, x, indices, axis, mode)


@tangent(np.take)
def take_tangent(g, ans, x, indices=None, axis=None, out=None, mode="raise"):
    return np.take(g, indices, axis, mode=mode)


# ----- joining and splitting (list arguments get list adjoints) -----


@adjoint(np.concatenate)
def concatenate(g, ans, arrays, axis=0, out=None, dtype=None, casting="same_kind"):
    return unconcatenate(g, arrays, axis)


@tangent(np.concatenate)
def concatenate_tangent(g, ans, arrays, axis=0, out=None, dtype=None, casting="same_kind"):
    return np.concatenate(g, axis=axis)


@adjoint(np.stack)
def stack(g, ans, arrays, axis=0, out=None, dtype=None, casting="same_kind"):
    return unstack_like(g, arrays, axis)


@tangent(np.stack)
def stack_tangent(g, ans, arrays, axis=0, out=None, dtype=None, casting="same_kind"):
    return np.stack(g, axis=axis)


@adjoint(np.hstack)
def hstack(g, ans, tup, dtype=None, casting="same_kind"):
    return unhstack(g, tup)


@tangent(np.hstack)
def hstack_tangent(g, ans, tup, dtype=None, casting="same_kind"):
    return np.hstack(g)


@adjoint(np.vstack)
def vstack(g, ans, tup, dtype=None, casting="same_kind"):
    return unvstack(g, tup)


@tangent(np.vstack)
def vstack_tangent(g, ans, tup, dtype=None, casting="same_kind"):
    return np.vstack(g)


@adjoint(np.column_stack)
def column_stack(g, ans, tup):
    return uncolumn_stack(g, tup)


@tangent(np.column_stack)
def column_stack_tangent(g, ans, tup):
    return np.column_stack(g)


@adjoint(np.append)
def append(g, ans, arr, values, axis=None):
    return appended_part(g, arr, values, axis, True), appended_part(g, arr, values, axis, False)


@tangent(np.append)
def append_tangent(g, ans, arr, values, axis=None):
    return (np.append(g, np.zeros_like(g, shape=np.shape(values)), axis),
            np.append(np.zeros_like(g, shape=np.shape(arr)), g, axis))


@adjoint(np.split, np.array_split)
def split(g, ans, x, indices_or_sections=1, axis=0):
    """ans is a list of pieces; g a list of their adjoints (0.0 for unused pieces)."""
    return unsplit(g, ans, axis)


@tangent(np.split, np.array_split)
def split_tangent(g, ans, x, indices_or_sections=1, axis=0):
    return unconcatenate(g, ans, axis)


# ----- conversions and copies -----


@adjoint(np.array, np.asarray)
def array(g, ans, x, dtype=None, copy=True, order="K"):
    """np.array([a, b]) stacks: the list gets a list of adjoints."""
    return unarray(g, x)


@tangent(np.array, np.asarray)
def array_tangent(g, ans, x, dtype=None, copy=True, order="K"):
    return cast_tangent(np.array(g), ans)


@adjoint(np.copy, method="copy")
def copy(g, ans, x, order="K", subok=False):
    return g


@adjoint(np.ascontiguousarray, np.asfortranarray)
def ascontiguousarray(g, ans, a, dtype=None):
    """np.array's, in another memory layout (a number becomes an array of one item)."""
    return unarray(g, a)


@tangent(np.ascontiguousarray, np.asfortranarray)
def ascontiguousarray_tangent(g, ans, a, dtype=None):
    return cast_tangent(np.reshape(np.array(g), np.shape(ans)), ans)


@tangent(np.copy)
def copy_tangent(g, ans, x, order="K", subok=False):
    # xs.copy() of a list or dict (the method): its tangent is one too, not an array
    return g.copy() if isinstance(g, (list, dict)) else np.copy(g)


@adjoint(np.ndarray.astype, np.float64, np.float32, method="astype")
def astype(g, ans, x, dtype=None, order="K", casting="unsafe", subok=True, copy=True):
    """A change of floating dtype: the adjoint takes x's dtype back."""
    return cast_like(g, x)


@tangent(np.ndarray.astype, np.float64, np.float32)
def astype_tangent(g, ans, x, dtype=None, order="K", casting="unsafe", subok=True, copy=True):
    return cast_tangent(g, ans)


@adjoint(np.ndarray.item, method="item")
def item(g, ans, x, *index):
    return unitem(g, x, index)


@tangent(np.ndarray.item)
def item_tangent_(g, ans, x, *index):
    return item_tangent(g, index)


# ----- products -----


@adjoint(np.dot, method="dot")
def dot(g, ans, x, y):
    """N-D dot contracts x's last axis with y's second-to-last (a tensordot)."""
    return product_adjoint_a(g, x, y, dot_axes(x, y)), product_adjoint_b(g, x, y, dot_axes(x, y))


@tangent(np.dot)
def dot_tangent(g, ans, x, y):
    return np.dot(g, y), np.dot(x, g)


@adjoint(np.matmul, np.linalg.matmul)
def matmul(g, ans, x, y):
    return matmul_adjoint_x(g, x, y), matmul_adjoint_y(g, x, y)


@tangent(np.matmul, np.linalg.matmul)
def matmul_tangent(g, ans, x, y):
    return np.matmul(g, y), np.matmul(x, g)


@adjoint(np.vecdot, np.linalg.vecdot)
def vecdot(g, ans, x1, x2, axis=-1):
    """Real arrays: sum(x1 * x2, axis) of the broadcast pair."""
    return (unbroadcast(np.expand_dims(g, axis) * x2, x1),
            unbroadcast(np.expand_dims(g, axis) * x1, x2))


@tangent(np.vecdot, np.linalg.vecdot)
def vecdot_tangent(g, ans, x1, x2, axis=-1):
    return np.sum(g * x2, axis=axis), np.sum(x1 * g, axis=axis)


@adjoint(np.matvec)
def matvec(g, ans, x1, x2):
    """Real arrays: x1 @ x2 of stacks of matrices and vectors."""
    return (unbroadcast(np.asarray(g)[..., :, None] * np.asarray(x2)[..., None, :], x1),
            unbroadcast(np.sum(np.asarray(g)[..., :, None] * x1, axis=-2), x2))


@tangent(np.matvec)
def matvec_tangent(g, ans, x1, x2):
    return np.matvec(g, x2), np.matvec(x1, g)


@adjoint(np.vecmat)
def vecmat(g, ans, x1, x2):
    """Real arrays: x1 @ x2 of stacks of vectors and matrices."""
    return (unbroadcast(np.sum(x2 * np.asarray(g)[..., None, :], axis=-1), x1),
            unbroadcast(np.asarray(x1)[..., :, None] * np.asarray(g)[..., None, :], x2))


@tangent(np.vecmat)
def vecmat_tangent(g, ans, x1, x2):
    return np.vecmat(g, x2), np.vecmat(x1, g)


@adjoint(np.inner)
def inner(g, ans, x, y):
    return (product_adjoint_a(g, x, y, inner_axes(x, y)),
            product_adjoint_b(g, x, y, inner_axes(x, y)))


@tangent(np.inner)
def inner_tangent(g, ans, x, y):
    return np.inner(g, y), np.inner(x, g)


@adjoint(np.vdot)
def vdot(g, ans, x, y):
    return np.reshape(g * y, np.shape(x)), np.reshape(g * x, np.shape(y))


@tangent(np.vdot)
def vdot_tangent(g, ans, x, y):
    return np.vdot(g, y), np.vdot(x, g)


@adjoint(np.outer, np.linalg.outer)
def outer(g, ans, x, y):
    return outer_adjoint_a(g, x, y), outer_adjoint_b(g, x, y)


@tangent(np.outer, np.linalg.outer)
def outer_tangent(g, ans, x, y):
    return np.outer(g, y), np.outer(x, g)


@adjoint(np.cross)
def cross(g, ans, a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """d(a x b) = da x b + a x db; the adjoint of a is b x g, that of b is g x a."""
    return (cross_adjoint(g, a, b, axisa, axisb, axisc, axis),
            -cross_adjoint(g, b, a, axisb, axisa, axisc, axis))


@tangent(np.cross)
def cross_tangent(g, ans, a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    return np.cross(g, b, axisa, axisb, axisc, axis), np.cross(a, g, axisa, axisb, axisc, axis)


@adjoint(np.linalg.cross)
def linalg_cross(g, ans, x1, x2, axis=-1):
    """Vectors of 3 along axis."""
    return (cross_adjoint(g, x1, x2, -1, -1, -1, axis),
            -cross_adjoint(g, x2, x1, -1, -1, -1, axis))


@tangent(np.linalg.cross)
def linalg_cross_tangent(g, ans, x1, x2, axis=-1):
    return np.linalg.cross(g, x2, axis=axis), np.linalg.cross(x1, g, axis=axis)


@adjoint(np.convolve)
def convolve(g, ans, a, v, mode="full"):
    return convolve_adjoint(g, a, v, mode), convolve_adjoint(g, v, a, mode)


@tangent(np.convolve)
def convolve_tangent(g, ans, a, v, mode="full"):
    return np.convolve(g, v, mode), np.convolve(a, g, mode)


@adjoint(np.correlate)
def correlate(g, ans, a, v, mode="valid"):
    return correlate_adjoint_a(g, a, v, mode), correlate_adjoint_v(g, a, v, mode)


@tangent(np.correlate)
def correlate_tangent(g, ans, a, v, mode="valid"):
    return np.correlate(g, v, mode), np.correlate(a, g, mode)


@adjoint(np.tensordot)
def tensordot(g, ans, x, y, axes=2):
    return tensordot_adjoint_a(g, x, y, axes), tensordot_adjoint_b(g, x, y, axes)


@tangent(np.tensordot)
def tensordot_tangent(g, ans, x, y, axes=2):
    return np.tensordot(g, y, axes), np.tensordot(x, g, axes)


@adjoint(np.einsum)
def einsum(g, ans, subscripts, x, y, optimize=False):
    """Any number of operands (more than two: contracted two at a time), no '...'."""
    return 0, einsum_adjoint(g, subscripts, (x, y), 0), einsum_adjoint(g, subscripts, (x, y), 1)


@adjoint(einsum_one)
def einsum_one_(g, ans, subscripts, x):
    return 0, einsum_adjoint(g, subscripts, (x,), 0)


@tangent(einsum_one)
def einsum_one_tangent(g, ans, subscripts, x):
    return 0, np.einsum(subscripts, g)


@tangent(np.einsum)
def einsum_tangent(g, ans, subscripts, x, y, optimize=False):
    return 0, np.einsum(subscripts, g, y), np.einsum(subscripts, x, g)


@adjoint(np.kron)
def kron(g, ans, x, y):
    return kron_adjoint_a(g, x, y), kron_adjoint_b(g, x, y)


@tangent(np.kron)
def kron_tangent(g, ans, x, y):
    return np.kron(g, y), np.kron(x, g)


# ----- linear algebra -----


@adjoint(np.linalg.solve)
def solve(g, ans, a, b):
    w = solve_transposed(g, a, b)
    return solve_adjoint_a(w, ans, a, b), unbroadcast(w, b)


@tangent(np.linalg.solve)
def solve_tangent(g, ans, a, b):
    return solve_tangent_a(g, ans, a, b), solve_tangent_b(g, a, b)


@adjoint(np.linalg.matrix_power)
def matrix_power(g, ans, a, n=1):
    return matrix_power_adjoint(g, a, n)


@tangent(np.linalg.matrix_power)
def matrix_power_tangent_(g, ans, a, n=1):
    return matrix_power_tangent(g, a, n)


@adjoint(np.linalg.inv)
def inv(g, ans, a):
    return -mT(ans) @ g @ mT(ans)


@tangent(np.linalg.inv)
def inv_tangent(g, ans, a):
    return -ans @ g @ ans


@adjoint(np.linalg.det)
def det(g, ans, a):
    """g adj(a)^T, the cofactors: right where a is singular too."""
    return det_adjoint(g, ans, a)


@tangent(np.linalg.det)
def det_tangent_(g, ans, a):
    return det_tangent(g, ans, a)


@adjoint(np.linalg.qr)
def qr(g, ans, a, mode="reduced"):
    """ans = (Q, R) (R alone for mode='r'), reduced, of a matrix with no more columns than rows."""
    return qr_adjoint(g, ans, a, mode)


@tangent(np.linalg.qr)
def qr_tangent_(g, ans, a, mode="reduced"):
    return qr_tangent(g, ans, a, mode)


@adjoint(np.linalg.lstsq)
def lstsq(g, ans, a, b, rcond=None):
    """ans = (x, residuals, rank, singular values), a of full column rank."""
    z = lstsq_weights(g, ans, a)
    return lstsq_adjoint_a(g, ans, a, b, z), lstsq_adjoint_b(g, ans, a, b, z)


@tangent(np.linalg.lstsq)
def lstsq_tangent(g, ans, a, b, rcond=None):
    return lstsq_tangent_a(g, ans, a, b), lstsq_tangent_b(g, ans, a, b)


@adjoint(np.linalg.slogdet)
def slogdet(g, ans, a):
    """ans = (sign, logabsdet); only logabsdet has a derivative (none at a singular a)."""
    return slogdet_adjoint(g, ans, a)


@tangent(np.linalg.slogdet)
def slogdet_tangent_(g, ans, a):
    return slogdet_tangent(g, ans, a)


@adjoint(np.linalg.cholesky)
def cholesky(g, ans, a):
    """NumPy reads only a's lower triangle, so the adjoint lives there."""
    return cholesky_adjoint(g, ans)


@tangent(np.linalg.cholesky)
def cholesky_tangent_(g, ans, a):
    return cholesky_tangent(g, ans)


@adjoint(np.linalg.eigh)
def eigh(g, ans, a, UPLO="L"):
    """eigh reads one triangle of a (the lower by default): the adjoint lives there. An
    eigenvector of a repeated eigenvalue has no derivative (nan where it is used)."""
    return eigh_adjoint(g, ans, UPLO)


@tangent(np.linalg.eigh)
def eigh_tangent_(g, ans, a, UPLO="L"):
    return eigh_tangent(g, ans, UPLO)


@adjoint(np.linalg.eigvalsh)
def eigvalsh(g, ans, a, UPLO="L"):
    return eigvalsh_adjoint(g, a, UPLO)


@tangent(np.linalg.eigvalsh)
def eigvalsh_tangent_(g, ans, a, UPLO="L"):
    return eigvalsh_tangent(g, a, UPLO)


@adjoint(np.linalg.multi_dot)
def multi_dot(g, ans, arrays, out=None):
    return multi_dot_adjoint(g, arrays)


@tangent(np.linalg.multi_dot)
def multi_dot_tangent_(g, ans, arrays, out=None):
    return multi_dot_tangent(g, arrays)


@adjoint(np.linalg.svdvals)
def svdvals(g, ans, x):
    return svd_adjoint(g, ans, x, False, False)


@tangent(np.linalg.svdvals)
def svdvals_tangent(g, ans, x):
    return svd_tangent(g, ans, x, False, False)


@adjoint(np.linalg.pinv)
def pinv(g, ans, a, rcond=None, hermitian=False, *, rtol=None):
    """a of full rank (by pinv's own cutoff): where the rank drops, pinv jumps."""
    return pinv_adjoint(g, ans, a, rcond, hermitian, rtol)


@tangent(np.linalg.pinv)
def pinv_tangent_(g, ans, a, rcond=None, hermitian=False, *, rtol=None):
    return pinv_tangent(g, ans, a, rcond, hermitian, rtol)


@adjoint(np.linalg.svd)
def svd(g, ans, a, full_matrices=True, compute_uv=True, hermitian=False):
    """ans = (U, S, Vh) (S alone for compute_uv=False). A singular vector of a repeated singular
    value has no derivative (nan where it is used); U's columns (Vh's rows) beyond min(m, n)
    of full_matrices=True none (refused where they are used)."""
    return svd_adjoint(g, ans, a, full_matrices, compute_uv, hermitian)


@tangent(np.linalg.svd)
def svd_tangent_(g, ans, a, full_matrices=True, compute_uv=True, hermitian=False):
    return svd_tangent(g, ans, a, full_matrices, compute_uv, hermitian)


# ----- polynomials, quadrature, interpolation, weighted statistics -----


@adjoint(np.polyfit)
def polyfit(g, ans, x, y, deg, rcond=None, full=False, w=None, cov=False):
    """The coefficients alone (not full=True or cov=True), a unique fit (full column rank);
    the weights w are constants."""
    return (polyfit_adjoint_x(g, ans, x, y, deg, w, full, cov),
            polyfit_adjoint_y(g, ans, x, y, deg, w, full, cov), 0)


@tangent(np.polyfit)
def polyfit_tangent(g, ans, x, y, deg, rcond=None, full=False, w=None, cov=False):
    return (polyfit_tangent_x(g, ans, x, y, deg, w, full, cov),
            polyfit_tangent_y(g, ans, x, y, deg, w, full, cov), 0)


@adjoint(np.cov)
def cov(g, ans, m, y=None, rowvar=True, bias=False, ddof=None, fweights=None, aweights=None,
        *, dtype=None):
    """Without weights; m and y (where given) differentiated."""
    return cov_adjoint(g, m, y, rowvar, bias, ddof, fweights, aweights)


@tangent(np.cov)
def cov_tangent_(g, ans, m, y=None, rowvar=True, bias=False, ddof=None, fweights=None,
                 aweights=None, *, dtype=None):
    return cov_tangent(g, m, y, rowvar, bias, ddof, fweights, aweights)


# np.cov(m, y) with y given (normalise's `_through_srcad_helper`): y differentiated too
@adjoint(cov_of_pair)
def cov_of_pair_(g, ans, m, y, rowvar=True, bias=False, ddof=None, fweights=None,
                 aweights=None):
    return (cov_adjoint(g, m, y, rowvar, bias, ddof, fweights, aweights),
            cov_adjoint(g, m, y, rowvar, bias, ddof, fweights, aweights, True))


@tangent(cov_of_pair)
def cov_of_pair_tangent(g, ans, m, y, rowvar=True, bias=False, ddof=None, fweights=None,
                        aweights=None):
    return (cov_tangent(g, m, y, rowvar, bias, ddof, fweights, aweights),
            cov_tangent(g, m, y, rowvar, bias, ddof, fweights, aweights, True))


@adjoint(np.corrcoef)
def corrcoef(g, ans, x, y=None, rowvar=True, *, dtype=None):
    """x and y (where given) differentiated."""
    return corrcoef_adjoint(g, x, y, rowvar)


@tangent(np.corrcoef)
def corrcoef_tangent_(g, ans, x, y=None, rowvar=True, *, dtype=None):
    return corrcoef_tangent(g, x, y, rowvar)


# np.corrcoef(x, y) with y given, as np.cov's
@adjoint(corrcoef_of_pair)
def corrcoef_of_pair_(g, ans, x, y, rowvar=True):
    return corrcoef_adjoint(g, x, y, rowvar), corrcoef_adjoint(g, x, y, rowvar, True)


@tangent(corrcoef_of_pair)
def corrcoef_of_pair_tangent(g, ans, x, y, rowvar=True):
    return corrcoef_tangent(g, x, y, rowvar), corrcoef_tangent(g, x, y, rowvar, True)


@adjoint(np.polyval)
def polyval(g, ans, p, x):
    return polyval_adjoint_p(g, p, x), unbroadcast(g * polyval_slope(p, x), x)


@tangent(np.polyval)
def polyval_tangent(g, ans, p, x):
    return np.polyval(g, x), g * polyval_slope(p, x)


@adjoint(np.vander)
def vander(g, ans, x, N=None, increasing=False):
    """Column j is x ** p_j: each item of x gets p_j x ** (p_j - 1) of its row's g."""
    return np.sum(g * power_slope(np.reshape(x, (-1, 1)), vander_powers(x, N, increasing)),
                  axis=-1)


@tangent(np.vander)
def vander_tangent(g, ans, x, N=None, increasing=False):
    return np.reshape(g, (-1, 1)) * power_slope(np.reshape(x, (-1, 1)),
                                                vander_powers(x, N, increasing))


@adjoint(np.trapezoid)
def trapezoid(g, ans, y, x=None, dx=1.0, axis=-1):
    """Linear in y; the sample points x and the spacing dx are constants."""
    return trapezoid_weights(y, x, dx, axis) * spread(g, y, axis)


@tangent(np.trapezoid)
def trapezoid_tangent(g, ans, y, x=None, dx=1.0, axis=-1):
    return np.trapezoid(g, x, dx, axis)


@adjoint(np.gradient)
def gradient(g, ans, f, *varargs, axis=None, edge_order=1):
    """Linear in f; the spacings are constants (g: one adjoint per axis, for several)."""
    return gradient_adjoint(g, f, varargs, axis, edge_order)


@tangent(np.gradient)
def gradient_tangent(g, ans, f, *varargs, axis=None, edge_order=1):
    return np.gradient(g, *varargs, axis=axis, edge_order=edge_order)


@adjoint(np.average)
def average(g, ans, a, axis=None, weights=None, returned=False, keepdims=False):
    """The weights are constants (not returned=True)."""
    return average_weights(a, axis, weights, returned) * spread(g, a, axis, keepdims)


@tangent(np.average)
def average_tangent(g, ans, a, axis=None, weights=None, returned=False, keepdims=False):
    return np.sum(g * average_weights(a, axis, weights, returned), axis=axis,
                  keepdims=keepdims)


@adjoint(np.interp)
def interp(g, ans, x, xp, fp, left=None, right=None, period=None):
    """Piecewise linear in x (the slope of x's segment; 0 outside xp) and linear in fp;
    the breakpoints xp, left and right are constants (no period)."""
    return (unbroadcast(g * interp_slope(x, xp, fp, left, right, period), x), None,
            interp_adjoint_fp(g, x, xp, fp, left, right, period))


@tangent(np.interp)
def interp_tangent(g, ans, x, xp, fp, left=None, right=None, period=None):
    return (g * interp_slope(x, xp, fp, left, right, period), None,
            interp_tangent_fp(g, x, xp, fp, left, right, period))


@adjoint(np.median)
def median(g, ans, a, axis=None, out=None, overwrite_input=False, keepdims=False):
    """The middle item (the two middle ones share an even count's): as np.sort's."""
    return median_weights(a, axis, overwrite_input) * spread(g, a, axis, keepdims)


@tangent(np.median)
def median_tangent(g, ans, a, axis=None, out=None, overwrite_input=False, keepdims=False):
    return np.sum(g * median_weights(a, axis, overwrite_input), axis=axis, keepdims=keepdims)


@adjoint(np.quantile)
def quantile(g, ans, a, q, axis=None, out=None, overwrite_input=False, method="linear",
             keepdims=False, weights=None):
    """Linear interpolation between the two items sorting puts around q (n - 1): their
    shares of g (q itself: no derivative)."""
    return quantile_adjoint(g, a, q, axis, overwrite_input, method, keepdims, weights), None


@tangent(np.quantile)
def quantile_tangent_(g, ans, a, q, axis=None, out=None, overwrite_input=False,
                      method="linear", keepdims=False, weights=None):
    return quantile_tangent(g, a, q, axis, overwrite_input, method, keepdims, weights), None


@adjoint(np.percentile)
def percentile(g, ans, a, q, axis=None, out=None, overwrite_input=False, method="linear",
               keepdims=False, weights=None):
    """np.quantile's, at q / 100."""
    return quantile_adjoint(g, a, q, axis, overwrite_input, method, keepdims, weights,
                            0.01), None


@tangent(np.percentile)
def percentile_tangent(g, ans, a, q, axis=None, out=None, overwrite_input=False,
                       method="linear", keepdims=False, weights=None):
    return quantile_tangent(g, a, q, axis, overwrite_input, method, keepdims, weights,
                            0.01), None


# ----- arrays made from a value -----


@adjoint(np.full)
def full(g, ans, shape, fill_value, dtype=None, order="C"):
    """Every element is the fill value: its adjoint is g summed back to the fill value's
    shape (zero where the result holds integers, which round it)."""
    floating = np.issubdtype(np.asarray(ans).dtype, np.inexact)
    return 0, cast_like(unbroadcast(g, fill_value), fill_value) * floating


@tangent(np.full)
def full_tangent(g, ans, shape, fill_value, dtype=None, order="C"):
    floating = np.issubdtype(np.asarray(ans).dtype, np.inexact)
    return 0, cast_tangent(np.broadcast_to(g, np.shape(ans)), ans) * floating


@adjoint(np.full_like)
def full_like(g, ans, a, fill_value, dtype=None, order="K", subok=True, shape=None):
    """Only the fill value reaches the result (`a` gives its shape and dtype)."""
    floating = np.issubdtype(np.asarray(ans).dtype, np.inexact)
    return 0, cast_like(unbroadcast(g, fill_value), fill_value) * floating


@tangent(np.full_like)
def full_like_tangent(g, ans, a, fill_value, dtype=None, order="K", subok=True, shape=None):
    floating = np.issubdtype(np.asarray(ans).dtype, np.inexact)
    return 0, cast_tangent(np.broadcast_to(g, np.shape(ans)), ans) * floating


# Ranges: sample k of linspace(start, stop) is (1 - w_k) start + w_k stop; logspace raises
# a base to those samples, geomspace is start (stop / start) ** w_k. An arange's values move
# with its start alone (its stop and step change how many there are: no rule for them).

@adjoint(np.linspace)
def linspace(g, ans, start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    w = spaced_weights(start, stop, num, endpoint, axis, retstep)
    return (unbroadcast(np.sum(g * (1.0 - w), axis=axis), start),
            unbroadcast(np.sum(g * w, axis=axis), stop))


@tangent(np.linspace)
def linspace_tangent(g, ans, start, stop, num=50, endpoint=True, retstep=False, dtype=None,
                     axis=0):
    w = spaced_weights(start, stop, num, endpoint, axis, retstep)
    return along(g, ans, axis) * (1.0 - w), along(g, ans, axis) * w


@adjoint(np.logspace)
def logspace(g, ans, start, stop, num=50, endpoint=True, base=10.0, dtype=None, axis=0):
    w = spaced_weights(start, stop, num, endpoint, axis)
    h = g * ans * np.log(base)
    return (unbroadcast(np.sum(h * (1.0 - w), axis=axis), start),
            unbroadcast(np.sum(h * w, axis=axis), stop))


@tangent(np.logspace)
def logspace_tangent(g, ans, start, stop, num=50, endpoint=True, base=10.0, dtype=None, axis=0):
    w = spaced_weights(start, stop, num, endpoint, axis)
    return (along(g, ans, axis) * (1.0 - w) * ans * np.log(base),
            along(g, ans, axis) * w * ans * np.log(base))


@adjoint(np.geomspace)
def geomspace(g, ans, start, stop, num=50, endpoint=True, dtype=None, axis=0):
    w = spaced_weights(start, stop, num, endpoint, axis)
    return (unbroadcast(np.sum(g * ans * (1.0 - w), axis=axis), start) / start,
            unbroadcast(np.sum(g * ans * w, axis=axis), stop) / stop)


@tangent(np.geomspace)
def geomspace_tangent(g, ans, start, stop, num=50, endpoint=True, dtype=None, axis=0):
    w = spaced_weights(start, stop, num, endpoint, axis)
    return (along(g / start, ans, axis) * (1.0 - w) * ans,
            along(g / stop, ans, axis) * w * ans)


@adjoint(np.arange)
def arange(g, ans, start, stop=None, step=None, dtype=None):
    """np.arange(n) counts from 0: its one argument is the stop, which moves no value."""
    return np.sum(g) * counts_from(stop)


@tangent(np.arange)
def arange_tangent(g, ans, start, stop=None, step=None, dtype=None):
    return np.broadcast_to(g, np.shape(ans)) * counts_from(stop)


# ----- piecewise constant and constant-valued -----

nondifferentiable(
    # rounding and signs
    np.floor, np.ceil, np.round, np.around, np.rint, np.trunc, np.fix, np.sign, np.signbit,
    np.heaviside, np.floor_divide,
    # indices and counts
    np.argmax, np.argmin, np.argsort, np.argwhere, np.nonzero, np.flatnonzero,
    np.count_nonzero, np.searchsorted, np.digitize,
    # predicates and comparisons
    np.isnan, np.isinf, np.isfinite, np.isclose, np.allclose, np.array_equal,
    np.less, np.less_equal, np.greater, np.greater_equal, np.equal, np.not_equal,
    np.logical_and, np.logical_or, np.logical_not, np.logical_xor, np.any, np.all,
    np.issubdtype, np.bool_, np.result_type,
    # constructors whose value does not depend on an input's value
    np.zeros, np.ones, np.zeros_like, np.ones_like, np.empty, np.empty_like, np.eye,
    np.identity, np.tri, np.diag_indices, np.tril_indices, np.triu_indices, np.indices,
    # shapes
    np.shape, np.ndim, np.size)
zero_method("shape", "ndim", "size", "dtype", "argmax", "argmin", "argsort", "astype_int",
            "nonzero", "any", "all", "round", "searchsorted")


# ----- NaN-aware reductions, selections, shapes (twentieth session) -----
# The nan-reductions skip NaN items: those get a zero derivative (their tangents are read
# as 0 too, whatever they hold), and an all-NaN group, whose result is NaN, none.


@adjoint(np.nansum)
def nansum(g, ans, x, axis=None, dtype=None, out=None, keepdims=False):
    """NaN items are skipped: their derivative is 0."""
    return np.where(np.isnan(x), 0.0, spread(g, x, axis, keepdims))


@tangent(np.nansum)
def nansum_tangent(g, ans, x, axis=None, dtype=None, out=None, keepdims=False):
    return np.sum(np.where(np.isnan(x), 0.0, g), axis=axis, keepdims=keepdims)


@adjoint(np.nanmean)
def nanmean(g, ans, x, axis=None, dtype=None, out=None, keepdims=False):
    """The mean of a group's numbers: NaN items get derivative 0 (an all-NaN group too)."""
    return np.where(np.isnan(x), 0.0, spread(g, x, axis, keepdims) / nan_count(x, axis))


@tangent(np.nanmean)
def nanmean_tangent(g, ans, x, axis=None, dtype=None, out=None, keepdims=False):
    return np.sum(np.where(np.isnan(x), 0.0, g) / nan_count(x, axis), axis=axis,
                  keepdims=keepdims)


@adjoint(np.nanprod)
def nanprod(g, ans, x, axis=None, dtype=None, out=None, keepdims=False):
    """The product of the other numbers (NaN items count as 1), exact at zeros."""
    ones = np.where(np.isnan(x), 1.0, x)
    return np.where(np.isnan(x), 0.0, spread(g, x, axis, keepdims) * prod_others(ones, axis))


@tangent(np.nanprod)
def nanprod_tangent(g, ans, x, axis=None, dtype=None, out=None, keepdims=False):
    ones = np.where(np.isnan(x), 1.0, x)
    return np.sum(np.where(np.isnan(x), 0.0, g) * prod_others(ones, axis), axis=axis,
                  keepdims=keepdims)


@adjoint(np.nanmax, np.nanmin)
def nanmax(g, ans, x, axis=None, out=None, keepdims=False):
    """NaN items are never chosen; ties split evenly between the tied elements (as np.max)."""
    return spread(g, x, axis, keepdims) * nan_chooser_weights(x, ans, axis, keepdims)


@tangent(np.nanmax, np.nanmin)
def nanmax_tangent(g, ans, x, axis=None, out=None, keepdims=False):
    return np.sum(np.where(np.isnan(x), 0.0, g) * nan_chooser_weights(x, ans, axis, keepdims),
                  axis=axis, keepdims=keepdims)


@adjoint(np.nanvar)
def nanvar(g, ans, x, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    """2 (x - nanmean) / (n - ddof) over each group's n numbers; NaN items get 0."""
    return spread(g, x, axis, keepdims) * nan_var_weights(x, axis, ddof)


@tangent(np.nanvar)
def nanvar_tangent(g, ans, x, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    return np.sum(np.where(np.isnan(x), 0.0, g) * nan_var_weights(x, axis, ddof), axis=axis,
                  keepdims=keepdims)


@adjoint(np.nanstd)
def nanstd(g, ans, x, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    """nanstd' = nanvar' / (2 nanstd): nan where every number of a group is equal (as std)."""
    return spread(g / ans, x, axis, keepdims) * nan_var_weights(x, axis, ddof) * 0.5


@tangent(np.nanstd)
def nanstd_tangent(g, ans, x, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    return np.sum(np.where(np.isnan(x), 0.0, g) * nan_var_weights(x, axis, ddof), axis=axis,
                  keepdims=keepdims) * 0.5 / ans


@adjoint(np.nanquantile)
def nanquantile(g, ans, a, q, axis=None, out=None, overwrite_input=False, method="linear",
                keepdims=False, weights=None):
    """np.quantile's over each group's numbers: NaN items get derivative 0 (an all-NaN group,
    whose quantiles are NaN, too)."""
    return quantile_adjoint(g, a, q, axis, overwrite_input, method, keepdims, weights, 1.0,
                            True), None


@tangent(np.nanquantile)
def nanquantile_tangent(g, ans, a, q, axis=None, out=None, overwrite_input=False,
                        method="linear", keepdims=False, weights=None):
    return quantile_tangent(g, a, q, axis, overwrite_input, method, keepdims, weights, 1.0,
                            True), None


@adjoint(np.nanpercentile)
def nanpercentile(g, ans, a, q, axis=None, out=None, overwrite_input=False, method="linear",
                  keepdims=False, weights=None):
    """np.nanquantile's, at q / 100."""
    return quantile_adjoint(g, a, q, axis, overwrite_input, method, keepdims, weights, 0.01,
                            True), None


@tangent(np.nanpercentile)
def nanpercentile_tangent(g, ans, a, q, axis=None, out=None, overwrite_input=False,
                          method="linear", keepdims=False, weights=None):
    return quantile_tangent(g, a, q, axis, overwrite_input, method, keepdims, weights, 0.01,
                            True), None


@adjoint(np.nanmedian)
def nanmedian(g, ans, a, axis=None, out=None, overwrite_input=False, keepdims=False):
    """np.nanquantile's at q = 1/2: the middle number (the two middle ones share an even
    count's); NaN items get derivative 0."""
    return quantile_adjoint(g, a, 0.5, axis, overwrite_input, "linear", keepdims, None, 1.0,
                            True)


@tangent(np.nanmedian)
def nanmedian_tangent(g, ans, a, axis=None, out=None, overwrite_input=False, keepdims=False):
    return quantile_tangent(g, a, 0.5, axis, overwrite_input, "linear", keepdims, None, 1.0,
                            True)


@adjoint(np.ptp)
def ptp(g, ans, x, axis=None, out=None, keepdims=False):
    """max - min: ties split evenly (a constant group: derivative 0)."""
    return spread(g, x, axis, keepdims) * ptp_weights(x, axis, keepdims)


@tangent(np.ptp)
def ptp_tangent(g, ans, x, axis=None, out=None, keepdims=False):
    return np.sum(g * ptp_weights(x, axis, keepdims), axis=axis, keepdims=keepdims)


@elementwise(np.nan_to_num)
def nan_to_num(g, ans, x, copy=True, nan=0.0, posinf=None, neginf=None):
    """Finite items pass through; NaN and infinities become constants (derivative 0)."""
    return np.where(np.isfinite(x), g, 0.0)


@adjoint(np.take_along_axis)
def take_along_axis(g, ans, arr, indices, axis=-1):
    """Places taken more than once add their adjoints up."""
    return take_along_axis_adjoint(g, arr, indices, axis), 0


@tangent(np.take_along_axis)
def take_along_axis_tangent(g, ans, arr, indices, axis=-1):
    return np.take_along_axis(g, indices, axis=axis), 0


# (a call without weights passes None: analysis._bind)
@adjoint(np.bincount)
def bincount(g, ans, x, weights, minlength=0):
    """Linear in the weights: each one is added to its index's bin (a scatter-add), so its
    adjoint is g read at its index; the indices and counts have no derivative."""
    return 0, cast_like(np.take(g, x), weights)


@tangent(np.bincount)
def bincount_tangent(g, ans, x, weights, minlength=0):
    return 0, np.bincount(x, g, minlength)


# (bins, range, density and weights not given: NumPy's defaults, analysis._bind)
@adjoint(np.histogram)
def histogram(g, ans, a, bins, range, density, weights):
    """(counts, edges). The counts are piecewise constant in a and the edges, and linear in
    the weights (each one added to its item's bin). The edges are bins where it is an array;
    else np.linspace(low, high, n + 1), (low, high) the range where one is given, else a's
    smallest and largest items (ties split as np.min's)."""
    from_a = histogram_edges_follow(bins, range, density)
    from_range = float(np.ndim(bins) == 0) - from_a
    share = np.linspace(0.0, 1.0, np.size(ans[1]))
    low = np.sum(g[1] * (1.0 - share))
    high = np.sum(g[1] * share)
    place = histogram_bins(a, ans[1])
    return (from_a * (low * chooser_weights(a, np.min(a)) + high * chooser_weights(a, np.max(a))),
            unarray(g[1], bins), (from_range * low, from_range * high), None,
            np.where(place >= 0, np.take(g[0], place, mode="clip"), 0.0))


@tangent(np.histogram)
def histogram_tangent(g, ans, a, bins, range, density, weights):
    from_a = histogram_edges_follow(bins, range, density)
    from_range = float(np.ndim(bins) == 0) - from_a
    share = np.linspace(0.0, 1.0, np.size(ans[1]))
    no_counts = np.zeros(np.shape(ans[0]))
    return ((no_counts, from_a * ((1.0 - share) * np.sum(g * chooser_weights(a, np.min(a)))
                                  + share * np.sum(g * chooser_weights(a, np.max(a))))),
            (no_counts, cast_tangent(np.array(g), ans[1])),
            (no_counts, from_range * ((1.0 - share) * g[0] + share * g[1])),
            None,
            (np.histogram(a, ans[1], weights=g)[0], np.zeros(np.shape(ans[1]))))


# (a call without the default passes 0: analysis._bind)
@adjoint(np.select)
def select(g, ans, condlist, choicelist, default):
    """The first condition that holds picks its choice; the default where none holds."""
    return 0, select_adjoint(g, condlist, choicelist), unselected(g, condlist, default)


@tangent(np.select)
def select_tangent(g, ans, condlist, choicelist, default):
    return (0, broadcast_like(np.select(condlist, g, 0.0), ans),
            broadcast_like(np.select(condlist, [0.0] * len(condlist), g), ans))


@adjoint(np.choose)
def choose(g, ans, a, choices, out=None, mode="raise"):
    return 0, choose_adjoint(g, a, choices, mode)


@tangent(np.choose)
def choose_tangent(g, ans, a, choices, out=None, mode="raise"):
    return 0, broadcast_like(np.choose(a, g, mode=mode), ans)


@adjoint(np.compress)
def compress(g, ans, condition, a, axis=None, out=None):
    return 0, compress_adjoint(g, condition, a, axis)


@tangent(np.compress)
def compress_tangent(g, ans, condition, a, axis=None, out=None):
    return 0, np.compress(condition, g, axis=axis)


@adjoint(np.extract)
def extract(g, ans, condition, arr):
    return 0, compress_adjoint(g, np.ravel(condition), arr)


@tangent(np.extract)
def extract_tangent(g, ans, condition, arr):
    return 0, np.extract(condition, g)


@adjoint(np.cumulative_sum)
def cumulative_sum(g, ans, x, axis=None, dtype=None, out=None, include_initial=False):
    """include_initial's leading 0 is a constant."""
    return cumsum_adjoint(initial_dropped(g, axis, include_initial), x, axis)


@tangent(np.cumulative_sum)
def cumulative_sum_tangent(g, ans, x, axis=None, dtype=None, out=None, include_initial=False):
    return np.cumulative_sum(g, axis=axis, include_initial=include_initial)


@adjoint(np.cumulative_prod)
def cumulative_prod(g, ans, x, axis=None, dtype=None, out=None, include_initial=False):
    """include_initial's leading 1 is a constant; exact at zeros (as np.cumprod's)."""
    return cumprod_adjoint(initial_dropped(g, axis, include_initial),
                           initial_dropped(ans, axis, include_initial), x, axis)


@tangent(np.cumulative_prod)
def cumulative_prod_tangent(g, ans, x, axis=None, dtype=None, out=None, include_initial=False):
    return initial_zero(cumprod_tangent(g, initial_dropped(ans, axis, include_initial), x, axis),
                        axis, include_initial)


# (np.meshgrid(x, y) and np.broadcast_arrays(a, b) are called through these helpers, which
# take the arrays as one list: see normalise; the rules keep NumPy's names)
rule_for(meshgrid_of, create=True, name="numpy.meshgrid")
rule_for(broadcast_arrays_of, create=True, name="numpy.broadcast_arrays")


@adjoint(meshgrid_of)
def meshgrid(g, ans, xs, copy=True, sparse=False, indexing="xy"):
    """np.meshgrid: each input's adjoint is its grid's summed over the other axes."""
    return unmeshgrid(g, ans, xs, indexing)


@tangent(meshgrid_of)
def meshgrid_tangent_(g, ans, xs, copy=True, sparse=False, indexing="xy"):
    return meshgrid_tangent(g, xs, copy, sparse, indexing)


@adjoint(broadcast_arrays_of)
def broadcast_arrays(g, ans, xs, subok=False):
    """np.broadcast_arrays: each adjoint summed back to its input's shape."""
    return unbroadcast_arrays(g, ans, xs)


@tangent(broadcast_arrays_of)
def broadcast_arrays_tangent_(g, ans, xs, subok=False):
    return broadcast_arrays_tangent(g, ans)


@adjoint(np.copysign)
def copysign(g, ans, x1, x2):
    """|x1| with x2's sign (piecewise constant in x2); |x1|'s kink at 0 gets 0 (as abs)."""
    return unbroadcast(np.where(np.signbit(x2), -g, g) * np.sign(x1), x1), 0


@tangent(np.copysign)
def copysign_tangent(g, ans, x1, x2):
    return broadcast_like(np.where(np.signbit(x2), -g, g) * np.sign(x1), ans), 0


@adjoint(np.ldexp)
def ldexp(g, ans, x1, x2):
    """x1 * 2 ** x2, x2 integers."""
    return unbroadcast(np.ldexp(g, x2), x1), 0


@tangent(np.ldexp)
def ldexp_tangent(g, ans, x1, x2):
    return broadcast_like(np.ldexp(g, x2), ans), 0


@elementwise(np.real)
def real(g, ans, val):
    """Of real values: the identity (srcad refuses complex values where they are made)."""
    return g


@elementwise(np.unwrap)
def unwrap(g, ans, p, discont=None, axis=-1, *, period=6.283185307179586):
    """p plus whole periods, which are piecewise constant: the identity."""
    return g


@adjoint(np.rot90)
def rot90(g, ans, m, k=1, axes=(0, 1)):
    return np.rot90(g, -k, axes)


@tangent(np.rot90)
def rot90_tangent(g, ans, m, k=1, axes=(0, 1)):
    return np.rot90(g, k, axes)


@adjoint(np.dstack)
def dstack(g, ans, tup):
    return undstack(g, tup)


@tangent(np.dstack)
def dstack_tangent(g, ans, tup):
    return np.dstack(g)


@adjoint(np.block)
def block(g, ans, arrays):
    """Nested lists of blocks get nested lists of adjoints."""
    return unblock(g, arrays)


@tangent(np.block)
def block_tangent(g, ans, arrays):
    return np.block(g)


@adjoint(np.hsplit)
def hsplit(g, ans, ary, indices_or_sections=1):
    """As np.split's along axis 1 (axis 0 of a vector)."""
    return unsplit(g, ans, 0 if np.ndim(ary) == 1 else 1)


@tangent(np.hsplit)
def hsplit_tangent(g, ans, ary, indices_or_sections=1):
    return unconcatenate(g, ans, 0 if np.ndim(ary) == 1 else 1)


@adjoint(np.vsplit)
def vsplit(g, ans, ary, indices_or_sections=1):
    """As np.split's along axis 0."""
    return unsplit(g, ans, 0)


@tangent(np.vsplit)
def vsplit_tangent(g, ans, ary, indices_or_sections=1):
    return unconcatenate(g, ans, 0)


@adjoint(np.dsplit)
def dsplit(g, ans, ary, indices_or_sections=1):
    """As np.split's along axis 2."""
    return unsplit(g, ans, 2)


@tangent(np.dsplit)
def dsplit_tangent(g, ans, ary, indices_or_sections=1):
    return unconcatenate(g, ans, 2)


# np.delete, np.insert and np.resize move items: done to the items' indices (item_indices),
# they say where each item of the result comes from, and adjoints go back there


@adjoint(np.delete)
def delete(g, ans, arr, obj=None, axis=None):
    return gathered_adjoint(g, arr, np.delete(item_indices(arr), obj, axis))


@tangent(np.delete)
def delete_tangent(g, ans, arr, obj=None, axis=None):
    return np.delete(g, obj, axis)


@adjoint(np.insert)
def insert(g, ans, arr, obj, values, axis=None):
    """Zero where the result holds integers (values inserted into an integer array round)."""
    floating = np.issubdtype(np.asarray(ans).dtype, np.inexact)
    return (gathered_adjoint(g, arr, np.insert(item_indices(arr), obj, -1, axis)) * floating, 0,
            gathered_adjoint(g, values, np.insert(np.full(np.shape(arr), -1), obj,
                                                  item_indices(values), axis)) * floating)


@tangent(np.insert)
def insert_tangent(g, ans, arr, obj, values, axis=None):
    floating = np.issubdtype(np.asarray(ans).dtype, np.inexact)
    return (np.insert(g, obj, 0.0, axis) * floating, 0,
            np.insert(np.zeros_like(g, shape=np.shape(arr)), obj, g, axis) * floating)


@adjoint(np.resize)
def resize(g, ans, a, new_shape=None):
    """The items repeated to fill a larger shape add their adjoints up."""
    return gathered_adjoint(g, a, np.resize(item_indices(a), new_shape))


@tangent(np.resize)
def resize_tangent(g, ans, a, new_shape=None):
    return np.resize(g, new_shape)


@adjoint(np.ediff1d)
def ediff1d(g, ans, ary, to_end=None, to_begin=None):
    """to_end and to_begin are constants."""
    return ediff1d_adjoint(g, ary, to_begin)


@tangent(np.ediff1d)
def ediff1d_tangent_(g, ans, ary, to_end=None, to_begin=None):
    return ediff1d_tangent(g, to_end, to_begin)


@elementwise(np.i0)
def i0(g, ans, x):
    """I0' = I1, the modified Bessel function of order 1."""
    return g * bessel_i1(x)
