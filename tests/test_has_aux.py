"""`has_aux=True`: a function returning `(loss, aux)`, as jax.grad and jax.value_and_grad
read it: the gradient of the loss, and aux handed back as the function computed it."""
import copy
import functools

import numpy as np
import pytest

import srcad
from conftest import assert_tree_allclose, fd_check


def loss_of(f):
    """The loss alone, for central differences (same signature as `f`)."""
    @functools.wraps(f)
    def loss(*args):
        return f(*args)[0]
    return loss


def with_array_aux(w, x):
    pred = np.tanh(x @ w)
    return np.mean(pred ** 2), pred


def branches(x, y):
    if np.sum(x) > 0:
        return np.sum(x * y), x + 1.0
    z = np.sin(x)
    return np.sum(z * y), {"z": z, "count": 3, "label": "negative"}


def newton(x, a):
    for i in range(30):
        fx = x * x - a
        if abs(fx) < 1e-12:
            return x * a, i
        x = x - fx / (2.0 * x)
    return x * a, 30


def history(w, steps):
    seen = []
    for _ in range(steps):
        w = w - 0.1 * np.sin(w)
        seen.append(w)
    return np.sum(w * w), seen


def last_iterate(w, steps):
    for _ in range(steps):
        w = w - 0.1 * np.sin(w)       # (the reverse sweep binds w's name again)
    return np.sum(w * w), w


def overwritten(x):
    buf = np.zeros(3)
    buf[0] = x
    s = np.sum(buf * buf)
    buf[0] = 2.0 * x                  # (the reverse sweep puts the old element back)
    buf[2] = s
    return s + np.sum(buf), buf


def dict_items(x):
    d = {"a": x, "b": 2.0 * x}
    s = d["a"] * d["b"]
    d["a"] = s * x                    # (the reverse sweep restores the item)
    return d["a"] + s, d


_aux = 10.0                           # a global named like the generated name


def reads_global_aux(x, _aux_=1.0):
    return x * x * _aux, x * _aux_


def scalar_aux(x):
    y = x * x
    return y * x, y


def with_local_function(x):
    def square(t):
        return t * t
    return np.sum(square(x)), "ok"


CASES = [
    (with_array_aux, (np.array([0.3, -0.2, 0.5]), np.array([[1.0, 0.5, -0.3],
                                                             [0.2, -0.4, 0.8]])), 0),
    (with_array_aux, (np.array([0.3, -0.2, 0.5]), np.array([[1.0, 0.5, -0.3],
                                                             [0.2, -0.4, 0.8]])), (0, 1)),
    (branches, (np.array([0.4, 0.9]), np.array([2.0, -3.0])), (0, 1)),
    (branches, (np.array([-0.4, -0.9]), np.array([2.0, -3.0])), (0, "y")),
    (newton, (1.0, 2.0), "a"),
    (history, (np.array([0.5, 1.5]), 4), 0),
    (scalar_aux, (1.7,), 0),
    (last_iterate, (np.array([0.5, 1.5]), 4), 0),
    (overwritten, (1.5,), 0),
    (dict_items, (0.7,), 0),
    (reads_global_aux, (1.5, 3.0), (0, 1)),
    (with_local_function, (np.array([1.0, -2.0]),), 0),
]


def same(a, b):
    """`a` and `b` hold equal values in the same structure (strings and ints too)."""
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(map(same, a, b))
    if isinstance(a, str):
        return a == b
    return np.array_equal(a, b)


@pytest.mark.parametrize("f, args, wrt", CASES, ids=lambda c: getattr(c, "__name__", None))
def test_grad_of_the_loss_and_aux_as_computed(f, args, wrt):
    before = copy.deepcopy(args)
    grads, aux = srcad.grad(f, wrt=wrt, has_aux=True)(*args)
    assert same(aux, f(*args)[1])
    fd_check(loss_of(f), args, wrt, grads=grads)
    for a, b in zip(args, before):
        assert_tree_allclose(a, b, rtol=0, atol=0)        # the caller's arrays unchanged


@pytest.mark.parametrize("f, args, wrt", CASES, ids=lambda c: getattr(c, "__name__", None))
def test_value_and_grad_gives_the_pair_then_the_gradient(f, args, wrt):
    (loss, aux), grads = srcad.value_and_grad(f, wrt=wrt, has_aux=True)(*args)
    want_loss, want_aux = f(*args)
    assert loss == pytest.approx(want_loss, rel=1e-14)
    assert same(aux, want_aux)
    fd_check(loss_of(f), args, wrt, grads=grads)
    plain, _ = srcad.grad(f, wrt=wrt, has_aux=True, optimize=False)(*args)
    assert_tree_allclose(plain, grads)


def test_decorator_form():
    @srcad.grad(wrt=("w",), has_aux=True)
    def loss(w, x):
        r = x @ w
        return 0.5 * np.sum(r * r), r
    w, x = np.array([1.0, -2.0]), np.array([[1.0, 2.0], [3.0, 4.0]])
    (g,), r = loss(w, x)
    np.testing.assert_allclose(g, x.T @ (x @ w), rtol=1e-14)
    np.testing.assert_array_equal(r, x @ w)


def test_the_same_function_without_has_aux_is_still_refused_and_told_of_it():
    x = np.array([0.4, 0.9])
    srcad.grad(scalar_aux, has_aux=True)(1.5)
    with pytest.raises(srcad.NonScalarOutputError, match="has_aux=True"):
        srcad.grad(scalar_aux)(1.5)
    with pytest.raises(srcad.NonScalarOutputError, match="has_aux=True"):
        srcad.grad(branches)(x, x)


def returns_a_name(x):
    out = (x * x, x)
    return out


def may_end_without_return(x):
    if x > 0:
        return x * x, 1


def returns_three(x):
    return x * x, x, 2.0


@pytest.mark.parametrize("f, phrase", [
    (returns_a_name, "each return to give a pair"),
    (returns_three, "each return to give a pair"),
    (may_end_without_return, "end in a return of a pair"),
])
def test_refused_where_the_pair_is_not_written_out(f, phrase):
    with pytest.raises(srcad.UnsupportedError, match=phrase) as info:
        srcad.grad(f, has_aux=True)
    assert "test_has_aux.py" in str(info.value) and "return loss, aux" in str(info.value)


def test_a_loss_that_is_not_a_scalar_is_refused():
    def vector_loss(x):
        return x * 2.0, 1
    with pytest.raises(srcad.NonScalarOutputError, match=r"has_aux=True.*shape \(3,\)"):
        srcad.grad(vector_loss, has_aux=True)(np.ones(3))


@pytest.mark.parametrize("outer", [srcad.grad, srcad.hessian, srcad.jacobian])
def test_a_has_aux_derivative_is_not_differentiated_again(outer):
    for inner in (srcad.grad(scalar_aux, has_aux=True),
                  srcad.value_and_grad(scalar_aux, has_aux=True)):
        with pytest.raises(srcad.UnsupportedError, match="has_aux=True"):
            outer(inner)


GRAD_AUX = srcad.grad(scalar_aux, has_aux=True)
GRAD_AUX_PACKED = srcad.grad(scalar_aux, wrt=(0,), has_aux=True)
VALUE_AUX = srcad.value_and_grad(scalar_aux, has_aux=True)
VALUE_AUX_PACKED = srcad.value_and_grad(scalar_aux, wrt=(0,), has_aux=True)


def calls_grad_aux(x):
    g, y = GRAD_AUX(x)
    return g * y


def calls_grad_aux_packed(x):
    (g,), y = GRAD_AUX_PACKED(x)
    return g * y + x


def calls_value_aux(x):
    (v, y), g = VALUE_AUX(x)
    return g * y * v


def calls_value_aux_packed(x):
    (v, y), (g,) = VALUE_AUX_PACKED(x)
    return g - y * v


@pytest.mark.parametrize("f", [calls_grad_aux, calls_grad_aux_packed, calls_value_aux,
                               calls_value_aux_packed])
def test_called_by_a_differentiated_function(f):
    # scalar_aux: loss x**3 (gradient 3x**2), aux x**2
    x = 1.3
    closed = {calls_grad_aux: 12 * x ** 3, calls_grad_aux_packed: 12 * x ** 3 + 1,
              calls_value_aux: 21 * x ** 6, calls_value_aux_packed: 6 * x - 5 * x ** 4}
    assert srcad.grad(f)(x) == pytest.approx(closed[f], rel=1e-12)
    fd_check(f, (x,), 0)


class Model:
    def __init__(self, scale):
        self.scale = scale

    def loss(self, w):
        s = self.scale * w
        return np.sum(s ** 2), s


def test_bound_method():
    m = Model(3.0)
    w = np.array([1.0, -0.5])
    g, s = srcad.grad(m.loss, has_aux=True)(w)
    np.testing.assert_allclose(g, 2 * 9.0 * w, rtol=1e-14)
    np.testing.assert_array_equal(s, 3.0 * w)
