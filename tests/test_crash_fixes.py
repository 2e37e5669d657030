"""Crashes that escaped as bare Python exceptions: each case is now right, or a SrcadError."""
import numpy as np
import pytest

import srcad
from conftest import full_check, numeric_jacobian


# ----- [x] * 3: a list repeated with * -----


def repeated(x):
    xs = [x] * 3
    return xs[0] * xs[2]


def preallocated(x):
    xs = [0.0] * 3
    for i in range(3):
        xs[i] = x * (i + 1.0)
    return xs[0] * xs[1] + xs[2]


def repeated_pair(x, y):
    ts = 2 * (x, y * y)
    return np.sum(ts[0] * ts[3]) + np.sum(ts[2])


@pytest.mark.parametrize("f, args", [(repeated, [3.0]), (preallocated, [0.7]),
                                     (repeated_pair, [np.array([0.5, -1.0]), 1.5])])
def test_list_repeat_is_differentiated(f, args):
    full_check(f, args, wrt=tuple(range(len(args))) if len(args) > 1 else 0)
    value, tangent = srcad.jvp(f)(*args, np.ones_like(args[0]))
    assert value == pytest.approx(f(*args))
    assert tangent == pytest.approx(np.sum(srcad.grad(f)(*args)))


def padded(x):
    return np.sum(np.pad(x, 1, mode="linear_ramp"))


def ellipsis_einsum(x):
    return np.sum(np.einsum("...i,...i->...", x, x))


@pytest.mark.parametrize("f, message", [(padded, "mode='linear_ramp'"),
                                        (ellipsis_einsum, r"'\.\.\.' in the subscripts")])
def test_refusals_of_numpy_rules_are_unsupported_errors(f, message):
    with pytest.raises(srcad.UnsupportedError, match=message) as info:
        srcad.grad(f)(np.ones((3, 3)))
    assert info.value.location.line == f.__code__.co_firstlineno + 1   # (told at the line)


# ----- user tangent rules whose preamble reads g -----

_ns = {"np": np}
exec("def sq(x):\n    return x * x\n"
     "def mp(x, y):\n    return x * np.sin(y)\n", _ns)
sq, mp = _ns["sq"], _ns["mp"]


@srcad.adjoint(sq)
def sq_adjoint(g, ans, x):
    t = g * 2.0
    return t * x


@srcad.tangent(sq)
def sq_tangent(g, ans, x):
    t = g * 2.0
    return t * x


@srcad.adjoint(mp)
def mp_adjoint(g, ans, x, y):
    s = np.sin(y)
    return g * s, g * x * np.cos(y)


@srcad.tangent(mp)
def mp_tangent(g, ans, x, y):
    c = np.cos(y)
    gs = g * 1.0
    return gs * np.sin(y), gs * x * c


def uses_sq(x):
    return sq(x)


def uses_mp(x, y):
    return mp(x, y)


def test_tangent_preamble_reading_g_in_both_modes():
    assert srcad.grad(uses_sq)(1.5) == pytest.approx(3.0)
    value, tangent = srcad.jvp(uses_sq)(1.5, 1.0)
    assert (value, tangent) == (pytest.approx(2.25), pytest.approx(3.0))


def test_tangent_preamble_reading_g_once_per_differentiated_input():
    x, y = 2.0, 0.5
    expected = (np.sin(y), x * np.cos(y))
    assert srcad.grad(uses_mp, wrt=(0, 1))(x, y) == pytest.approx(expected)
    for tx, ty in ((1.0, 0.0), (0.0, 1.0), (0.3, -0.7)):
        value, tangent = srcad.jvp(uses_mp, wrt=(0, 1))(x, y, (tx, ty))
        assert value == pytest.approx(x * np.sin(y))
        assert tangent == pytest.approx(tx * expected[0] + ty * expected[1], rel=1e-12)
    _, tangent = srcad.jvp(uses_mp, wrt=1)(x, y, 1.0)       # one input: one preamble
    assert tangent == pytest.approx(expected[1], rel=1e-12)


def clipped_max(x, y):
    return np.sum(np.clip(np.maximum(x, y), -0.5, 0.5))


def test_builtin_rules_with_preambles_in_forward_mode():
    x, y = np.array([0.1, -2.0, 0.3, 0.9]), np.array([0.2, -1.0, 0.0, 0.1])
    tx, ty = np.array([1.0, 2.0, -1.0, 0.5]), np.array([0.5, -1.0, 2.0, 1.0])
    _, tangent = srcad.jvp(clipped_max, wrt=(0, 1))(x, y, (tx, ty))
    m = np.maximum(x, y)
    inside = (m >= -0.5) & (m <= 0.5)
    assert tangent == pytest.approx(np.sum(np.where(x > y, tx, ty) * inside))


# ----- hessian with a tuple wrt -----


def cubic_times(x, y):
    return np.sum(x ** 3) * y


def scalar_pair(a, b):
    return a * a * b + b ** 3


def test_hessian_of_array_and_scalar_gives_blocks_like_jax():
    x, y = np.array([0.5, -1.0]), 2.0
    h = srcad.hessian(cubic_times, wrt=(0, 1))(x, y)
    assert isinstance(h, tuple) and all(isinstance(row, tuple) and len(row) == 2 for row in h)
    np.testing.assert_allclose(h[0][0], np.diag(6 * x * y), rtol=1e-12)
    np.testing.assert_allclose(h[0][1], 3 * x ** 2, rtol=1e-12)
    np.testing.assert_allclose(h[1][0], 3 * x ** 2, rtol=1e-12)
    assert np.shape(h[1][1]) == () and float(h[1][1]) == 0.0
    gx = srcad.grad(cubic_times, wrt=0)
    np.testing.assert_allclose(h[0][0], numeric_jacobian(lambda v: gx(v, y), x), rtol=1e-6)


def test_hessian_of_scalars_with_a_tuple_wrt():
    a, b = 0.5, 2.0
    h = srcad.hessian(scalar_pair, wrt=(0, 1))(a, b)
    assert isinstance(h, tuple) and all(isinstance(row, tuple) and len(row) == 2 for row in h)
    np.testing.assert_allclose(np.asarray(h, dtype=float), [[2 * b, 2 * a], [2 * a, 6 * b]])
    assert float(h[0][1]) == pytest.approx(2 * a)


def test_hessian_with_a_single_wrt_is_unchanged():
    x, y = np.array([0.5, -1.0]), 2.0
    np.testing.assert_allclose(srcad.hessian(cubic_times)(x, y), np.diag(6 * x * y))


def two_outputs(x):
    return x, np.sum(x)


def nested_outputs(x):
    return {"parts": [x, np.sum(x)]}


def test_jacobian_of_a_tuple_of_different_shapes_has_a_block_for_each():
    """Refused before (a clear error, once a bare ValueError); as jax.jacobian gives it,
    the Jacobian of each item. A list of such inside a dict is still refused."""
    x = np.array([0.3, -1.2, 2.0])
    for mode in ("forward", "reverse"):
        ja, jb = srcad.jacobian(two_outputs, mode=mode)(x)
        np.testing.assert_array_equal(ja, np.eye(3))
        np.testing.assert_array_equal(jb, np.ones(3))
    with pytest.raises(srcad.SrcadError, match="its item 'parts' is a list"):
        srcad.jacobian(nested_outputs)(x)


# ----- hvp through dicts, lists and tuples (lists were joined by `+`: wrong values) -----


def dict_cube(x):
    d = {'u': x * x, 'v': x}
    return np.sum(d['u'] * d['v'])


def list_cube(x):
    parts = [x * x, x]
    return np.sum(parts[0] * parts[1])


def tuple_cube(x):
    parts = (x * x, x)
    return np.sum(parts[0] * parts[1])


def nested_cube(x):
    d = {'a': [x * x, x]}
    return np.sum(d['a'][0] * d['a'][1])


@pytest.mark.parametrize("f", [dict_cube, list_cube, tuple_cube, nested_cube])
def test_hvp_through_a_container(f):
    x, v = np.array([0.3, -1.2, 0.8]), np.array([1.0, -0.5, 2.0])
    np.testing.assert_allclose(srcad.hvp(f)(x, np.ones(3)), 6 * x, rtol=1e-12)
    np.testing.assert_allclose(srcad.hvp(f)(x, v), 6 * x * v, rtol=1e-12)
    np.testing.assert_allclose(srcad.hessian(f)(x), np.diag(6 * x), rtol=1e-12)
    np.testing.assert_allclose(numeric_jacobian(srcad.grad(f), x) @ v, 6 * x * v, rtol=1e-6)
