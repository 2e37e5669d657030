"""Second derivatives (`hessian`, `hvp`) of functions that call NumPy, checked against
central differences of srcad's own gradient. The gradient calls srcad's runtime helpers
(unconcatenate, norm_weights, prod_others, ...), and these tests check the tangent rules
that let forward mode differentiate it again (srcad/rules/runtime_rules.py)."""
import math

import numpy as np
import pytest

import srcad
from conftest import fd_check, numeric_jacobian

rng = np.random.default_rng(7)
W = rng.standard_normal((3, 3)) * 0.5
B = rng.standard_normal((3, 4))
H0 = np.array([0.3, -0.4, 0.9])
X = np.array([0.3, -0.45, 0.9])           # no ties, no zeros, away from the clip bounds
WITH_ZERO = np.array([0.3, 0.0, 0.9, 1.2])
WITH_ZEROS = np.array([0.0, 0.5, 0.0, 1.2])


def norm(x):
    return np.linalg.norm(x)


def norm_p(x):
    return np.linalg.norm(x, 3) + np.linalg.norm(x + 2.0, 1.5) + np.linalg.norm(x + 2.0, -1)


def norm_axis(x):
    return np.sum(np.linalg.norm(np.outer(x, x) + W, axis=0, keepdims=True) ** 2)


def norm_fro(x):
    return np.linalg.norm(np.outer(x, x) + W, "fro")


def norm_kinked(x):
    """ord 1 and inf: linear between kinks, so only the squares below curve."""
    return np.linalg.norm(x ** 3 + x, 1) ** 2 + np.linalg.norm(x ** 3 + x, np.inf) ** 2


def dot(x):
    return np.dot(x, x ** 2) + np.sum(np.dot(W, x) ** 2) + np.sum(np.dot(np.outer(x, x), W) ** 2)


def inner(x):
    return np.sum(np.inner(np.outer(x, x), W) ** 2)


def tensordot(x):
    return np.sum(np.tensordot(np.outer(x, x), W, axes=1) ** 2)


def transpose(x):
    m = np.outer(x, x ** 2)
    return np.sum(m.T @ W) + np.sum(np.transpose(m) @ W) + np.sum(m.transpose() @ W) \
        + np.sum(np.transpose(m[:, :, None] * B[:, None, :2], (2, 0, 1)) ** 3)


def reshape(x):
    return np.sum(np.reshape(np.outer(x, x), (9,)) ** 3) + np.sum(np.outer(x, x).reshape(9) ** 3)


def stack(x):
    return np.sum(np.stack([x, np.sin(x)]) ** 2) + np.sum(np.stack([x, x ** 2], axis=1) ** 3)


def hstack_vstack(x):
    return np.sum(np.hstack([x, np.sin(x)]) ** 3) + np.sum(np.vstack([x, x ** 2]) ** 3)


def column_stack(x):
    """(the helper uncolumn_stack had no tangent rule: refused, 'iterating over
    unconcatenate(...)')"""
    return np.sum(np.column_stack([x, np.sin(x)]) ** 3) \
        + np.sum(np.column_stack([np.outer(x, x), x ** 2]) ** 3)


def concatenate(x):
    return np.sum(np.concatenate([x, x ** 2]) ** 2)


def split(x):
    a, b, c = np.split(x ** 2, 3)
    return np.sum(a * b * c)


def array(x):
    return np.sum(np.array([x[0], x[0] * x[1]]) ** 2) + np.sum(np.array([x, x * x]) ** 3)


def clip(x):
    return np.sum(np.clip(x, -0.4, 0.5) ** 3)


def prod(x):
    return np.prod(x)


def prod_axis(x):
    return np.sum(np.prod(np.outer(x, x) + W, axis=1, keepdims=True) ** 2)


def einsum(x):
    return np.einsum("i,i->", x, x ** 2) + np.sum(np.einsum("ij,jk->ik", np.outer(x, x), B) ** 2)


def rnn(w):
    h = H0
    for t in range(3):
        h = np.tanh(w @ h)
    return np.sum(h)


def rnn_state(h):
    for t in range(3):
        h = np.tanh(W @ h)
    return np.sum(h)


def full(x):
    return np.sum(np.full(3, x[0] * x[1]) ** 2)


def sort(x):
    return np.sum(np.sort(x) * np.arange(3.0) * x) + np.sum(np.sort(np.outer(x, x), axis=0) * W)


def tile(x):
    return np.sum(np.tile(x, 2) ** 3) + np.sum(np.tile(np.outer(x, x), (2, 1)) ** 3)


def kron(x):
    return np.sum(np.kron(x, x ** 2) ** 2)


def take(x):
    return np.sum(np.take(x, [0, 1, 1]) ** 3) + np.sum(np.take(np.outer(x, x), [0, 2], 1) ** 3)


def repeat(x):
    return np.sum(np.repeat(x, 2) ** 3) + np.sum(np.repeat(np.outer(x, x), 2, axis=0) ** 3)


def pad(x):
    return np.sum(np.pad(x, 1) ** 3) + np.sum(np.pad(np.outer(x, x), ((1, 0), (0, 2))) ** 3)


def cumprod(x):
    return np.sum(np.cumprod(x) * np.arange(1.0, 1.0 + x.size))


def cumprod_axis(x):
    return np.sum(np.cumprod(np.outer(x, x) + W, axis=1) ** 2)


def trace(x):
    return np.trace(np.outer(x, x) @ W) + (np.outer(x, x) @ W).trace() ** 2


def diagonal(x):
    return np.sum(np.diagonal(np.outer(x, x) @ W) ** 2) + np.sum(np.diag(x) @ W @ np.diag(x))


def reductions(x):
    m = np.outer(x, x) + W
    return (np.sum(np.mean(m, axis=0) ** 3) + np.sum(np.var(m[None], axis=(1, 2), ddof=1) ** 2)
            + np.sum(np.std(m, axis=1, keepdims=True) ** 2) + m.std() + np.sum(m.var(axis=0)))


def item(x):
    return np.outer(x, x).item(1, 2) ** 3


def linspace(x):
    return np.sum(np.linspace(x[0], x[1] * x[2], 4) ** 3)


def slogdet(x):
    sign, logdet = np.linalg.slogdet(np.outer(x, x) + 3.0 * np.eye(3) + W)
    return logdet ** 2 + np.linalg.slogdet(np.diag(x) + 2.0 * np.eye(3))[1] ** 3


def list_copy(x):
    xs = [x, 2.0 * x]
    ys = xs.copy()
    return np.sum(ys[0] * ys[1] * x)


def dict_copy(x):
    d = {"a": x, "b": np.tanh(x)}
    e = d.copy()
    return np.sum(e["a"] * e["b"] * x)


def median_terms(x):
    return np.median(x) ** 2 + np.sum(np.median(np.outer(x, x), axis=0) ** 2)


def average_terms(x):
    w = np.arange(1.0, np.size(x) + 1.0)
    return np.average(x ** 2, weights=w) ** 2 + np.average(np.sin(x))


def trapezoid_terms(x):
    return np.trapezoid(x ** 3, np.cumsum(np.ones(np.size(x)))) ** 2 + np.trapezoid(x, dx=0.3)


def eigenvalue_terms(x):
    a = np.outer(x, x) + np.diag(x)
    return np.sum(np.linalg.eigvalsh(a) ** 3)


def diagflat_terms(x):
    return np.sum(np.diagflat(x * x, 1) @ np.sqrt(np.arange(16.0).reshape(4, 4))) \
        + np.sum(np.diagflat(np.outer(x, x)) ** 2)


def vander_terms(x):
    return np.sum(np.vander(x) ** 2) + np.sum(np.vander(x, 4, increasing=True) @ B.T)


def layout_terms(x):
    return np.sum(np.ascontiguousarray(np.outer(x, x).T) ** 3) \
        + np.sum(np.asfortranarray(x * x) ** 2)


SEGMENTS = np.array([0, 2, 2, 1, 0, 2])


def segment_sums(x):
    sums = np.bincount(SEGMENTS, weights=np.concatenate([x, x * x]), minlength=4)
    return np.sum(sums ** 2) + np.sum(np.bincount(SEGMENTS, np.tanh(np.concatenate([x, x])))
                                      * np.arange(3.0))


def partition_terms(x):
    return np.sum(np.partition(x * x, 1) * np.arange(3.0) * x) \
        + np.sum(np.partition(np.outer(x, x), 1, axis=0) ** 3 * W)


def nan_quantile_terms(x):
    y = np.concatenate([x, [np.nan], x * x])
    return np.nanmedian(y) ** 2 + np.sum(np.nanquantile(y, [0.2, 0.7]) ** 2) \
        + np.nanpercentile(y, 40.0) ** 3 + np.sum(np.nanmedian(np.outer(x, y), axis=1) ** 2)


def modf_terms(x):
    fraction, whole = np.modf(3.0 * x * x)
    return np.sum(fraction ** 2 * whole) + np.sum(np.modf(5.0 * x)[0] ** 3)


HISTOGRAM_DATA = np.array([0.3, -1.2, 0.8, 2.0, 0.1, -0.4, 1.5])


def histogram_terms(x):
    """Weighted counts (linear in the weights) and edges that follow the data's extremes."""
    counts, edges = np.histogram(HISTOGRAM_DATA, bins=4, weights=np.concatenate([x, x * x, [1.0]]))
    spread_edges = np.histogram(np.concatenate([3.0 * x, HISTOGRAM_DATA]), 5)[1]
    return np.sum(counts ** 2 * np.arange(4.0)) + np.sum(spread_edges ** 3 * np.arange(6.0))


CASES = [(norm, X), (norm_p, X), (norm_axis, X), (norm_fro, X), (norm_kinked, X), (dot, X),
         (inner, X), (tensordot, X), (transpose, X), (reshape, X), (stack, X),
         (hstack_vstack, X), (column_stack, X), (concatenate, X), (split, X), (array, X),
         (clip, X), (prod, X), (prod, WITH_ZERO), (prod, WITH_ZEROS), (prod_axis, X), (einsum, X), (rnn, W),
         (rnn_state, H0), (full, X), (sort, X), (tile, X), (kron, X), (take, X), (repeat, X),
         (pad, X), (cumprod, X), (cumprod, WITH_ZERO), (cumprod, WITH_ZEROS),
         (cumprod_axis, X), (trace, X), (diagonal, X), (reductions, X), (item, X),
         (linspace, X), (slogdet, X), (list_copy, X), (dict_copy, X), (median_terms, X),
         (average_terms, X), (trapezoid_terms, X), (eigenvalue_terms, X),
         (diagflat_terms, X), (vander_terms, X), (layout_terms, X), (segment_sums, X),
         (partition_terms, X), (nan_quantile_terms, X), (modf_terms, X), (histogram_terms, X)]
IDS = [f"{f.__name__}-{k}" for k, (f, _) in enumerate(CASES)]


def numeric_hessian(f, x):
    return numeric_jacobian(srcad.grad(f), x).reshape(np.shape(x) * 2)


@pytest.mark.parametrize("f, x", CASES, ids=IDS)
def test_hessian_matches_differences_of_the_gradient(f, x):
    np.testing.assert_allclose(srcad.hessian(f)(x), numeric_hessian(f, x), rtol=1e-6,
                               atol=1e-7)


@pytest.mark.parametrize("f, x", CASES, ids=IDS)
def test_hvp_matches_differences_of_the_gradient(f, x):
    v = np.random.default_rng(3).standard_normal(np.shape(x))
    expected = np.tensordot(numeric_hessian(f, x), v, axes=np.ndim(x))
    np.testing.assert_allclose(srcad.hvp(f)(x, v), expected, rtol=1e-6, atol=1e-7)


def nuclear_norm(x):
    return np.linalg.norm(np.outer(x, x) + W, "nuc")


def spectral_norms(x):
    """ord 2 and -2 of a square, a tall and a wide matrix."""
    tall = np.outer(x, x[:2]) + B[:, :2]
    return np.linalg.norm(np.outer(x, x) + W, 2) ** 2 + np.linalg.norm(tall, -2) \
        + np.linalg.norm(tall.T @ np.diag(x) + B[:2, :3], 2) * np.sum(x)


def stacked_singular_norms(x):
    """Stacks of matrices (axis=(1, 2), its transpose (2, 1) with keepdims), matrix_norm."""
    stack = np.stack([B.T * x, B.T[::-1] + np.outer(B[0], x)])
    return np.sum(np.linalg.norm(stack, "nuc", axis=(1, 2)) ** 2) \
        + np.sum(np.linalg.norm(stack, -2, axis=(2, 1), keepdims=True) ** 3) \
        + np.sum(np.linalg.matrix_norm(stack, ord=2))


def nuclear_condition_number(x):
    return np.linalg.cond(np.outer(x, x) + W + np.eye(3), "nuc")


@pytest.mark.parametrize("f", [nuclear_norm, spectral_norms, stacked_singular_norms,
                               nuclear_condition_number])
def test_second_derivatives_of_the_norms_of_singular_values(f):
    """The nuclear norm and ord 2, -2 (their weights U V^T, u_k v_k^T change along t as the
    singular vectors do: runtime._singular_weights_change): refused by hessian and hvp
    before ('no second derivative for the matrix norm'; for cond(a, 'nuc') at a line of
    srcad's runtime.py)."""
    expected = numeric_hessian(f, X)
    np.testing.assert_allclose(srcad.hessian(f)(X), expected, rtol=1e-6, atol=1e-7)
    v = np.array([0.4, -1.0, 0.3])
    np.testing.assert_allclose(srcad.hvp(f)(X, v), expected @ v, rtol=1e-6, atol=1e-7)


def nuclear_norm_of_a_rank_one_matrix(x):
    return np.linalg.norm(np.outer(x, x), "nuc")


def spectral_norm_of_a_multiple_of_the_identity(x):
    return np.linalg.norm(np.eye(3) * np.sum(x), 2)


def smallest_singular_value_repeated(x):
    return np.linalg.matrix_norm(np.diag([2.0, 1.0, 1.0]) * np.sum(x * x), ord=-2)


SPECTRAL_NORM_GRADIENT = srcad.grad(lambda a: np.linalg.norm(a, 2))


def corner_of_the_spectral_norms_gradient(a):
    return SPECTRAL_NORM_GRADIENT(a)[0, 0]


@pytest.mark.parametrize("f, which", [
    (nuclear_norm_of_a_rank_one_matrix, "singular values include a 0"),
    (spectral_norm_of_a_multiple_of_the_identity, "largest singular value is repeated"),
    (smallest_singular_value_repeated, "smallest singular value is repeated or 0")])
def test_singular_norms_without_a_second_derivative_are_refused(f, which):
    """Where the norm has none (a singular value 0 of the nuclear norm, a repeated
    largest one of ord 2), hessian and hvp gave NaN (and, before, the finite numbers
    that eigenvalues equal but for rounding gave: 0.38, 0.76, ... for the nuclear norm of
    x x^T), where these compositions have a Hessian (|x|^2 I, 0); grad of grad gave the
    derivative of the singular vectors that svd returned, or refused them in other words.
    All three refuse alike now, the gradient alone is still given."""
    assert np.all(np.isfinite(srcad.grad(f)(X)))
    slope = srcad.grad(f)
    for second in (lambda: srcad.hessian(f)(X), lambda: srcad.hvp(f)(X, np.ones(3)),
                   lambda: srcad.grad(lambda x: np.sum(slope(x)))(X)):
        with pytest.raises(srcad.UnsupportedError, match=f"no second derivative at a matrix "
                           f"whose {which}"):
            second()


def test_grad_of_grad_of_the_spectral_norm_at_a_repeated_largest_singular_value():
    """At diag(2, 2, 1) the gradient of ||a||_2 is e_1 e_1^T (svd's choice among the top
    pair's vectors), and its corner [0, 0] jumps from 0 to 1 along E_00: grad of grad gave
    0 (the corner's cotangent reached no singular vector), the hessian NaN; both refuse."""
    a = np.diag([2.0, 2.0, 1.0])
    with pytest.raises(srcad.UnsupportedError, match="largest singular value is repeated"):
        srcad.grad(corner_of_the_spectral_norms_gradient)(a)
    with pytest.raises(srcad.UnsupportedError, match="largest singular value is repeated"):
        srcad.hessian(lambda a: np.linalg.norm(a, 2))(a)


def squared_norm(x):
    return np.linalg.norm(x) ** 2


def cubed_three_norm(x):
    return np.linalg.vector_norm(x, ord=3) ** 3


def squared_norms_of_rows(x):
    """The second row is 0 where x is."""
    return np.sum(np.linalg.norm(np.stack([x + 1.0, x]), axis=1, keepdims=True) ** 2)


def squared_frobenius_norm(x):
    return np.linalg.matrix_norm(np.outer(x, x)) ** 2


SQUARED_NORM_GRADIENT = srcad.grad(squared_norm)


def squared_norms_slope_along(x):
    return np.sum(SQUARED_NORM_GRADIENT(x) * np.arange(1.0, 4.0))


@pytest.mark.parametrize("f", [squared_norm, cubed_three_norm, squared_norms_of_rows,
                               squared_frobenius_norm])
def test_norms_at_zero_refuse_second_derivatives(f):
    """A p-norm (the Frobenius norm) has none where it is 0: hessian and hvp gave NaN (inf
    times 0), grad of grad 0 (x / where(n == 0, 1, n) differentiated), where these
    compositions have one (2 I for the square of the 2-norm). All refuse; the gradient
    (0 there, a subgradient) is still given."""
    zero = np.zeros(3)
    assert np.all(np.isfinite(srcad.grad(f)(zero)))
    slope = srcad.grad(f)
    for second in (lambda: srcad.hessian(f)(zero), lambda: srcad.hvp(f)(zero, np.ones(3)),
                   lambda: srcad.grad(lambda x: np.sum(slope(x) * np.arange(3.0)))(zero)):
        with pytest.raises(srcad.UnsupportedError, match="no second derivative where it is 0"):
            second()
    with pytest.raises(srcad.UnsupportedError, match="no second derivative where it is 0"):
        srcad.grad(squared_norms_slope_along)(zero)
    np.testing.assert_allclose(srcad.hessian(f)(X), numeric_hessian(f, X), rtol=1e-6,
                               atol=1e-7)


# ----- grad of grad: reverse rules of the gradient's helpers -----

def sum_of_a_list(x):
    return sum([x, x * x])


def norm_of_items(x):
    return np.linalg.norm(np.array([x, x * x, 1.0]))


def sum_of_a_stack(x):
    return np.sum(np.stack([x, x * x]))


def products_of_items(x):
    return np.sum(np.cumprod(np.array([x, x * x, 0.0, 2.0])))


@pytest.mark.parametrize("f", [sum_of_a_list, norm_of_items, sum_of_a_stack,
                               lambda x: np.sum(np.cumprod(np.array([x, x * x, 2.0]))),
                               products_of_items])
def test_grad_of_grad_through_the_gradients_helpers(f):
    """sum_adjoint, norm_weights, unstack_like and cumprod_adjoint had no reverse rule (the
    twentieth session gave them, and others, one): grad of grad was refused."""
    slope = srcad.grad(f)
    expected = (slope(0.7 + 1e-6) - slope(0.7 - 1e-6)) / 2e-6
    assert srcad.grad(srcad.grad(f))(0.7) == pytest.approx(expected, rel=1e-6)
    assert srcad.hessian(f)(0.7) == pytest.approx(expected, rel=1e-6)   # (forward over reverse)


def written_in_place(x):
    a = np.array([x, 2 * x, 3.0])
    for i in range(3):
        if a[i] > 1.0:
            a[i] = a[i] ** 2
    return np.sum(a)


def test_grad_of_grad_refusals_name_the_users_line():
    """They named a line of the gradient's own code, or of srcad's runtime.py (here: the
    gradient's write into an array in place, which reverse over reverse refuses; the
    joined lists this test took before have their rule now)."""
    line = written_in_place.__code__.co_firstlineno + 4
    with pytest.raises(srcad.SrcadError) as info:
        srcad.grad(srcad.grad(written_in_place))(0.7)
    assert info.value.location.filename == __file__ and info.value.location.line == line
    assert "writes into an array in place" in str(info.value)


def cumprods_at_zeros(x):
    return np.sum(np.cumprod(x) ** 2) + np.sum(np.cumprod(x * x[::-1]))


def cumprods_along_axes(x):
    m = np.outer(x, x[::-1]) * np.array([[1.0, 0.0, 1.0]])
    return np.sum(np.cumprod(m, axis=1) ** 2) + np.sum(np.cumprod(m, axis=0) * m)


@pytest.mark.parametrize("f, x", [(cumprods_at_zeros, WITH_ZERO),
                                  (cumprods_at_zeros, WITH_ZEROS),
                                  (cumprods_along_axes, np.array([0.3, 0.0, 0.9]))])
def test_reverse_over_reverse_of_cumprod_at_zeros(f, x):
    """At zeros cumprod's adjoint reads x alone, and its Jacobian in x is the Hessian of
    sum(u * cumprod(x)), symmetric: its adjoint is its change along g (refused before:
    'reverse over reverse of np.cumprod of an array holding zeros')."""
    slope = srcad.grad(f)
    v = np.linspace(-1.0, 0.7, np.size(x))

    def along_v(y):
        return np.sum(slope(y) * v)

    expected = numeric_jacobian(slope, x).T @ v
    np.testing.assert_allclose(srcad.grad(along_v)(x), expected, rtol=1e-6, atol=1e-7)


def joined(x):
    return np.sum(np.concatenate([x, x * x]) ** 3)


def sorted_weighted(x):
    return np.sum(np.sort(x) * np.arange(4.0)) + np.sum(np.sort(x * x) ** 2)


def sorted_items(x):
    return sum(v * v * k for k, v in enumerate(sorted([x[0], x[1], x[2]])))


def contracted(x):
    M = np.outer(x, x[::-1])
    return np.sum(np.tanh(np.einsum("ij,jk->ik", M, M))) + np.sum(np.einsum("i,i->", x, x))


def kron_squared(x):
    return np.sum(np.kron(x, x * x) ** 2)


def taken(x):
    return np.sum(np.take(x, [0, 2, 2]) ** 3) + x[1:2].item() ** 3


def spacing_squared(x):
    return np.sum(np.gradient(x * x) ** 2)


@pytest.mark.parametrize("f", [joined, sorted_weighted, sorted_items, contracted,
                               kron_squared, taken, spacing_squared, norm])
def test_reverse_over_reverse_of_numpy_functions(f):
    """vjp of the gradient (reverse over reverse) through unconcatenate, sort_adjoint,
    sorted_adjoint, einsum_adjoint, kron's, take_adjoint, unitem, gradient_adjoint and
    norm_weights (refused before: their sources have lambdas, generator expressions,
    in-place writes), against central differences of the gradient."""
    x = np.array([0.3, -0.7, 1.1, 0.5])
    v = np.array([0.2, 0.4, -0.3, 0.9])
    slope = srcad.grad(f)
    expected = (slope(x + 1e-6 * v) - slope(x - 1e-6 * v)) / 2e-6
    np.testing.assert_allclose(srcad.vjp(slope)(x)[1](v), expected, rtol=1e-6, atol=1e-8)
    # forward over reverse too (sorted's: the list tangents of add_at added, not joined)
    np.testing.assert_allclose(srcad.hvp(f)(x, v), expected, rtol=1e-6, atol=1e-8)


# ----- np.einsum of one operand -----

def einsum_trace(a):
    return np.einsum("ii->", a) ** 2


def einsum_transpose(a):
    return np.sum(np.einsum("ij->ji", a) * np.arange(6.0).reshape(3, 2))


def einsum_diagonal(a):
    return np.sum(np.sin(np.einsum("ii->i", a)))


@pytest.mark.parametrize("f, shape", [(einsum_trace, (3, 3)), (einsum_transpose, (2, 3)),
                                      (einsum_diagonal, (3, 3))])
def test_einsum_of_one_operand(f, shape):
    """It lacked the rule's second operand."""
    a = np.random.default_rng(5).standard_normal(shape)
    expected = numeric_jacobian(f, a).reshape(shape)
    np.testing.assert_allclose(srcad.grad(f)(a), expected, rtol=1e-6, atol=1e-8)
    t = np.ones(shape)
    np.testing.assert_allclose(srcad.jvp(f)(a, t)[1], np.sum(expected * t), rtol=1e-6)
    np.testing.assert_allclose(srcad.hessian(f)(a),
                               numeric_jacobian(srcad.grad(f), a).reshape(shape + shape),
                               rtol=1e-5, atol=1e-7)


def einsum_operand_lists(a):
    return np.sum(np.einsum(a, [0, 0]))


def test_einsum_without_a_subscripts_string_is_refused():
    """np.einsum(a, [0, 0]) took `a` for the subscripts: a zero gradient."""
    with pytest.raises(srcad.UnsupportedError, match="subscripts string"):
        srcad.grad(einsum_operand_lists)(np.eye(2))


def einsum_rows(x, y):
    return np.sum(np.sin(np.einsum("ij,ij->i", x, y)) ** 2)


def einsum_product(x, y):
    return np.sum(np.sin(np.einsum("ij,jk->ik", x, y)) ** 2)


def einsum_total(x, y):
    return np.sum(np.sin(np.einsum("ij,ij->", x, y)) ** 2)


def einsum_implicit(x, y):
    return np.sum(np.sin(np.einsum("i,i", x, y)) ** 2)


def einsum_diagonal_times(x, y):
    return np.sum(np.sin(np.einsum("ii,i->i", x, y)) ** 2)


def einsum_outer_rows(x, y):
    return np.sum(np.sin(np.einsum("ij,kj->ikj", x, y)) ** 2)


EINSUM_BROADCASTS = [(einsum_rows, (3, 3), (1, 3)), (einsum_rows, (1, 3), (3, 3)),
                     (einsum_product, (3, 1), (4, 2)), (einsum_total, (3, 1), (1, 4)),
                     (einsum_implicit, (1,), (4,)), (einsum_diagonal_times, (3, 3), (1,)),
                     (einsum_outer_rows, (2, 1), (3, 4))]


@pytest.mark.parametrize("f, a, b", EINSUM_BROADCASTS)
def test_einsum_of_operands_with_broadcast_axes(f, a, b):
    """An axis of size 1 against the other operand's n: its adjoint sums over the n (a
    bare ValueError from a reshape before)."""
    rng = np.random.default_rng(8)
    x, y = rng.standard_normal(a), rng.standard_normal(b)
    gx, gy = srcad.grad(f, wrt=(0, 1))(x, y)
    np.testing.assert_allclose(gx, numeric_jacobian(lambda z: f(z, y), x).reshape(a),
                               rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(gy, numeric_jacobian(lambda z: f(x, z), y).reshape(b),
                               rtol=1e-6, atol=1e-8)
    v = rng.standard_normal(a)
    grad = srcad.grad(f)
    np.testing.assert_allclose(srcad.hvp(f)(x, y, v),
                               (grad(x + 1e-6 * v, y) - grad(x - 1e-6 * v, y)) / 2e-6,
                               rtol=1e-5, atol=1e-7)


# ----- np.gradient: linear in the values; several axes give a tuple of arrays -----

T_COORDINATES = np.array([0.0, 0.1, 0.35, 0.5, 0.9, 1.0, 1.4])


def gradient_cubed(x):
    return np.sum(np.gradient(x, T_COORDINATES, edge_order=2) ** 3)


def gradients_of_a_grid(x):
    gy, gx = np.gradient(x.reshape(3, 4), 0.5, 2.0)
    return np.sum(gy * gx) + np.sum(np.cos(gx))


@pytest.mark.parametrize("f, size", [(gradient_cubed, 7), (gradients_of_a_grid, 12)])
def test_second_derivatives_through_np_gradient(f, size):
    """The adjoint of np.gradient is its transpose, linear in the adjoint; a tuple of
    per-axis arrays adds its tangents item by item (with `+` they were joined)."""
    x = np.linspace(-0.8, 1.1, size) ** 2
    hessian = srcad.hessian(f)(x)
    np.testing.assert_allclose(hessian, numeric_jacobian(srcad.grad(f), x),
                               rtol=1e-6, atol=1e-6)


# ----- np.einsum of three operands and more: two at a time -----

def einsum_of_three(A, B, C):
    return np.sum(np.tanh(np.einsum("id,de,je->ij", A, B, C)))


def einsum_of_three_implicit(A, B, C):
    return np.sum(np.einsum("id,de,je", A, B, C) ** 2)


def einsum_of_three_vectors(a, b, c):
    return np.einsum("i,i,i->", a, b, c)


def einsum_of_four(A, B, C, D):
    return np.sum(np.einsum("ij,jk,kl,lm->im", A, B, C, D) ** 2)


_R = np.random.default_rng(4)


@pytest.mark.parametrize("f, shapes", [
    (einsum_of_three, [(3, 4), (4, 5), (2, 5)]),
    (einsum_of_three_implicit, [(3, 4), (4, 5), (2, 5)]),
    (einsum_of_three_vectors, [(4,), (4,), (4,)]),
    (einsum_of_four, [(3, 4), (4, 5), (5, 2), (2, 3)])])
def test_einsum_of_more_than_two_operands(f, shapes):
    """helper-84: np.einsum of 3 operands was refused; it contracts two at a time, each
    pair keeping the letters that a later operand or the output has."""
    args = [_R.normal(size=s) for s in shapes]
    wrt = tuple(range(len(args)))
    fd_check(f, args, wrt=wrt)
    assert "np.einsum('id,de->ie'" in srcad.grad(einsum_of_three).source
    tangents = tuple(_R.normal(size=s) for s in shapes)
    eps = 1e-6
    numeric = (f(*[a + eps * t for a, t in zip(args, tangents)])
               - f(*[a - eps * t for a, t in zip(args, tangents)])) / (2 * eps)
    assert srcad.jvp(f, wrt=wrt)(*args, tangents)[1] == pytest.approx(numeric, rel=1e-6)
    h = srcad.hessian(f)(*args)
    g = srcad.grad(f)
    np.testing.assert_allclose(h.reshape(args[0].size, -1),
                               numeric_jacobian(lambda a: g(a, *args[1:]), args[0]).reshape(
                                   args[0].size, -1), rtol=1e-5, atol=1e-6)


# ----- spellings of supported calls -----

def reshaped_by_columns(x):
    return np.sum(np.sin(x.reshape(2, 3, order="F")) * np.arange(6.0).reshape(2, 3))


def hypot_of_three(x):
    return math.hypot(x[0], x[1], x[2])


def hypot_of_one(x):
    return math.hypot(x[0]) * x[1]


def log_determinant_field(a):
    return np.linalg.slogdet(a).logabsdet


def eigenvalues_field(a):
    return np.sum(np.linalg.eigh(a).eigenvalues ** 2)


@pytest.mark.parametrize("f, x", [
    (reshaped_by_columns, np.linspace(-1.0, 1.0, 6)),
    (hypot_of_three, np.array([1.0, -2.0, 2.5])),
    (hypot_of_one, np.array([-1.5, 0.7])),
    (log_determinant_field, np.array([[2.0, 0.3], [0.1, 1.5]])),
    (eigenvalues_field, np.array([[2.0, 0.3], [0.3, 1.5]]))])
def test_spellings_that_were_refused(f, x):
    """helper-85: `x.reshape(..., order="F")` (np.reshape took order=, the method did not),
    math.hypot of one or three values, and the fields of NumPy 2's named-tuple results
    (`slogdet(a).logabsdet`, `eigh(a).eigenvalues`) were refused."""
    fd_check(f, [x])
    tangent = np.linspace(0.3, -0.2, x.size).reshape(x.shape)
    eps = 1e-6
    numeric = (f(x + eps * tangent) - f(x - eps * tangent)) / (2 * eps)
    assert srcad.jvp(f)(x, tangent)[1] == pytest.approx(numeric, rel=1e-6, abs=1e-9)


# ----- np.sinc near 0: its derivative's helper, differentiated again -----

def sinc(x):
    return np.sinc(x)


def sinc_sum(x):
    return np.sum(np.sinc(x))


def sinc_second_derivative(x):
    """sinc''(x), closed form away from 0; near it (where the closed form cancels) the
    Taylor series of sinc(x) = sum (-1)^k (pi x)^2k / (2k + 1)!, differentiated twice."""
    if abs(x) < 1e-2:
        p2 = (np.pi * x) ** 2
        return np.pi ** 2 * (-1 / 3 + p2 / 10 - p2 ** 2 / 168)
    px = np.pi * x
    return ((2 - px ** 2) * np.sin(px) - 2 * px * np.cos(px)) / (np.pi * x ** 3)


@pytest.mark.parametrize("x", [0.0, 1e-12, 1e-9, 1e-6, 1e-3, 0.1, 0.2499, 0.25, 0.3, 1.0,
                               -0.7, 2.5])
def test_sinc_second_derivative_near_zero(x):
    """sinc''(0) = -pi^2 / 3: the helper for sinc' was 0 at 0 (a constant branch, whose
    derivative srcad took) and cancelled to garbage for tiny x; now a series near 0."""
    expected = sinc_second_derivative(x)
    np.testing.assert_allclose(srcad.hessian(sinc)(x), expected, rtol=1e-12)
    np.testing.assert_allclose(srcad.grad(srcad.grad(sinc))(x), expected, rtol=1e-12)
    np.testing.assert_allclose(srcad.hvp(sinc)(x, 1.0), expected, rtol=1e-12)
    # the first derivative, accurate to rounding there too (-(pi^2 / 3) x to first order)
    if abs(x) <= 1e-6:
        assert srcad.grad(sinc)(x) == pytest.approx(-np.pi ** 2 / 3 * x, rel=1e-12, abs=0)
    else:   # (central differences of the value: 1e-7 is what they reach)
        h = 1e-6
        assert srcad.grad(sinc)(x) == pytest.approx((np.sinc(x + h) - np.sinc(x - h)) / (2 * h),
                                                    rel=1e-7)


def test_sinc_hessian_of_an_array_through_zero():
    x = np.array([0.0, 0.3, -1e-8, 1.5])
    expected = np.diag([sinc_second_derivative(v) for v in x])
    np.testing.assert_allclose(srcad.hessian(sinc_sum)(x), expected, rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(srcad.hessian(sinc_sum)(x), numeric_hessian(sinc_sum, x),
                               rtol=1e-6, atol=1e-7)


# ----- second derivatives through helpers that srcad could not differentiate -----

def cubed_eigenvalues(a):
    return np.sum(np.linalg.eigh(a)[0] ** 3)


def first_eigenvector_weighted(a):
    w, V = np.linalg.eigh(a)
    return np.sum(V[:, 0] * np.array([1.0, 2.0, -1.0])) * w[1]


def cube_summed(a):
    return np.sum(np.linalg.matrix_power(a, 3))


def inverse_squared_summed(a):
    return np.sum(np.linalg.matrix_power(a, -2))


def self_convolved(x):
    return np.sum(np.convolve(x, x) ** 2)


def polynomial_of_itself(x):
    return np.sum(np.polyval(x, x))


def squared_quantile(x):
    return np.quantile(x, 0.3) ** 2


_SYMMETRIC = np.array([[2.0, 0.3, -0.1], [0.3, 1.5, 0.2], [-0.1, 0.2, 0.7]])


@pytest.mark.parametrize("f, x", [
    (cubed_eigenvalues, _SYMMETRIC), (first_eigenvector_weighted, _SYMMETRIC),
    (cube_summed, _SYMMETRIC + 0.1 * np.arange(9.0).reshape(3, 3)),
    (inverse_squared_summed, _SYMMETRIC),
    (self_convolved, np.array([0.5, -0.3, 0.8])),
    (polynomial_of_itself, np.array([0.5, -0.3, 0.8])),
    (squared_quantile, np.array([0.5, -0.3, 0.8, 0.1]))])
def test_hessians_through_helpers_srcad_could_not_differentiate(f, x):
    """helper-85: eigh's adjoint had a `with` (and its tangents added as tuples: np.eigh's
    result was not known for one), matrix_power's called itself, convolve's used
    np.correlate, polyval's np.polyder, quantile's weights were not known to be constant,
    np.result_type had no rule: hessian refused them."""
    h = np.asarray(srcad.hessian(f)(x)).reshape(x.size, x.size)
    g = srcad.grad(f)
    np.testing.assert_allclose(h, numeric_jacobian(g, x).reshape(x.size, x.size),
                               rtol=1e-5, atol=1e-6)


# ----- reverse over reverse through the adjoints of joins and selections (helper-103) -----

def gridded(x):
    a, b = np.meshgrid(x, x[:3] * 2)
    c, d = np.meshgrid(x[:2], x, indexing="ij", sparse=True)
    return np.sum(np.sin(a * b)) + np.sum(np.cos(c * d) * c)


def broadcast_together(x):
    a, b = np.broadcast_arrays(x, x[:, None] ** 2)
    return np.sum(np.sin(a * b))


def blocked(x):
    m = np.block([[x[:2], x[2:] ** 2], [x[:2] * 3, np.sin(x[2:])]])
    return np.sum(np.sin(m) * m) + np.sum(np.block([x[0], x[1:] ** 2]) ** 3)


def stacked_every_way(x):
    y = x ** 2
    return (np.sum(np.sin(np.vstack([x, y])) ** 2) + np.sum(np.cos(np.hstack([x, y, x[0]])) * y[0])
            + np.sum(np.sin(np.dstack([x, y])) ** 3) + np.sum(np.sin(np.column_stack([x, y]) ** 2)))


def selected(x):
    return np.sum(np.sin(np.select([x > 0.5, x < 0.0], [x ** 2, x * 3], default=np.cos(x))) ** 2)


def chosen(x):
    return np.sum(np.sin(np.choose(np.array([0, 1, 0, 1]), [x ** 2, np.cos(x)])) ** 2) + np.sum(
        np.choose(np.array([2, 0, 1, 3]), [x, x ** 3, 1.0], mode="wrap") ** 2)


def joined_lists(x):
    xs = [x[0], x[1] ** 2]
    ys = xs + [x[2]] + xs
    return ys[0] * ys[4] * ys[2] + np.sin(ys[1]) * ys[3] + sum(ys) ** 2


def repeated_lists(x):
    xs = [x[0], x[1] ** 2]
    ys = xs * 3
    zs = 2 * (x[2],)
    return ys[0] * ys[3] * ys[4] + np.sin(ys[1]) * zs[1] + sum(ys) ** 2


@pytest.mark.parametrize("f", [gridded, broadcast_together, blocked, stacked_every_way,
                               selected, chosen, joined_lists, repeated_lists])
def test_reverse_over_reverse_of_joins_and_selections(f):
    """vjp of the gradient through the adjoints of np.meshgrid, np.broadcast_arrays,
    np.block, np.vstack/hstack/dstack/column_stack, np.select, np.choose and of lists
    joined by + or repeated by * (refused before: their helpers had tangent rules only, the
    lists' 'a derivative of the adjoint of + joining lists is not differentiable'): their
    adjoint rules are their transposes. Against central differences of the gradient, and
    forward over reverse."""
    x = np.array([0.3, -0.7, 1.1, 0.6])
    v = np.array([0.2, 0.4, -0.3, 0.9])
    slope = srcad.grad(f)
    expected = (slope(x + 1e-6 * v) - slope(x - 1e-6 * v)) / 2e-6
    np.testing.assert_allclose(srcad.vjp(slope)(x)[1](v), expected, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(srcad.hvp(f)(x, v), expected, rtol=1e-6, atol=1e-8)


def scalar_through_lists_and_grids(t):
    xs = [t, t * t]
    ys = xs + xs
    zs = xs * 2
    a, b = np.meshgrid(np.array([t, 2.0]), np.array([t * t]))
    return ys[0] * ys[3] + zs[1] * zs[2] + np.sum(np.sin(a * b)) + np.sum(np.hstack([t, t ** 3]) ** 2)


def test_grad_of_grad_through_lists_and_grids():
    """srcad.grad(srcad.grad(f)) of a scalar f of a scalar, against central differences."""
    t, h = 0.7, 1e-5
    slope = srcad.grad(scalar_through_lists_and_grids)
    expected = (slope(t + h) - slope(t - h)) / (2 * h)
    assert srcad.grad(slope)(t) == pytest.approx(expected, rel=1e-7)
