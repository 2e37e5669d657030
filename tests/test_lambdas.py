"""Lambdas differentiated as functions: `srcad.grad(lambda w: loss(w, X, y))`, as JAX and
autograd users write it. srcad reads the lambda from its file at its line."""
import numpy as np
import pytest

import srcad
from conftest import fd_check

X = np.arange(6.0).reshape(3, 2) / 5
Y = np.array([0.5, -1.0, 2.0])


def loss(w, X, y):
    r = X @ w - y
    return np.sum(r * r)


def test_a_lambda_closing_over_data():
    w = np.array([0.3, -0.2])
    g = srcad.grad(lambda w: loss(w, X, Y))
    np.testing.assert_allclose(g(w), 2 * X.T @ (X @ w - Y), rtol=1e-12)
    assert "def grad_lambda_" in g.source
    np.testing.assert_allclose(srcad.hessian(lambda w: loss(w, X, Y))(w), 2 * X.T @ X,
                               rtol=1e-12)


def _fitted_gradient(X, y):
    """A lambda made inside a function: X and y are its closure's cells."""
    return srcad.grad(lambda w: loss(w, X, y))


def test_lambdas_made_by_one_function_for_other_data():
    w = np.array([0.1, 0.4])
    for scale in (1.0, -2.0):
        g = _fitted_gradient(scale * X, Y)
        np.testing.assert_allclose(g(w), 2 * scale * X.T @ (scale * X @ w - Y), rtol=1e-12)


def test_a_lambda_over_several_lines_with_a_default():
    g = srcad.grad(
        lambda w, s=2.0:
            s * np.sum(np.tanh(X @ w) ** 2))
    fd_check(lambda w, s=2.0: s * np.sum(np.tanh(X @ w) ** 2), (np.array([0.3, -0.2]),),
             grads=g(np.array([0.3, -0.2])))


def test_two_lambdas_on_one_line_are_told_apart():
    f, h = (lambda t: np.sin(t) * t), (lambda t: np.cos(t) * t)
    assert srcad.grad(f)(0.3) == pytest.approx(np.cos(0.3) * 0.3 + np.sin(0.3))
    assert srcad.grad(h)(0.3) == pytest.approx(-np.sin(0.3) * 0.3 + np.cos(0.3))


def test_lambdas_made_in_a_comprehension_keep_their_defaults():
    fs = [lambda t, k=k: np.sin(k * t) for k in range(3)]
    assert [srcad.grad(f)(0.5) for f in fs] == pytest.approx(
        [k * np.cos(k * 0.5) for k in range(3)])


square = lambda x: x ** 2     # noqa: E731  (a module's lambda, called by a function)


def uses_a_module_lambda(x):
    return square(x) + np.sin(x)


def test_a_function_calling_a_module_lambda():
    assert srcad.grad(uses_a_module_lambda)(0.5) == pytest.approx(1.0 + np.cos(0.5))
    assert srcad.jvp(lambda a: a ** 3)(2.0, 1.0) == pytest.approx((8.0, 12.0))
    np.testing.assert_allclose(srcad.jacobian(lambda v: np.tanh(v))(np.array([0.1, 0.2])),
                               np.diag(1 - np.tanh([0.1, 0.2]) ** 2), rtol=1e-12)


def test_errors_in_a_lambda_point_into_it():
    with pytest.raises(srcad.UnsupportedError) as info:
        srcad.grad(lambda w: w * undefined_name)(1.0)  # noqa: F821
    assert info.value.location.col == info.value.location.text.index("undefined_name")


def test_a_lambda_without_a_file_says_so():
    namespace = {}
    exec("h = lambda x: x * x", namespace)
    with pytest.raises(srcad.SourceError, match="source of the lambda .* is not available"):
        srcad.grad(namespace["h"])(2.0)
