"""Values of an integer or bool dtype are piecewise constant: no derivative goes through a
cast to one (`x.astype(int)`, `dtype=int`), nor through a value written into an array of
one (`np.zeros(3, dtype=int)`, `np.arange(5)`, `np.array([0, 0, 0])`): NumPy truncates it."""
import numpy as np
import pytest

import srcad
from conftest import assert_tree_allclose, numeric_jacobian

INTS = np.array([1, 2, 3])
FLOATS = np.array([1.0, 2.0, 3.0])


def astype_int(x):
    return np.sum(x * x.astype(int))


def astype_bool(x):
    return np.sum(x * x.astype(bool))


def asarray_int(x):
    return np.sum(x * np.asarray(x, dtype=int))


def array_int64(x):
    return np.sum(x * np.array(x, dtype=np.int64))


def array_of_items_int(x):
    return np.sum(np.array([x[0], x[1]], dtype=int)) * x[2]


def sum_int(x):
    return np.sum(x, dtype=int) * x[0]


def cumsum_int(x):
    return np.sum(np.cumsum(x, dtype="int64") * x)


def trace_int(x):
    return np.trace(np.diag(x), dtype=int) * x[2]


def dtype_of_a_module_array(x):      # known when it runs: int here
    return np.sum(x * x.astype(INTS.dtype))


def float_dtype_of_a_module_array(x):
    return np.sum(x * x.astype(FLOATS.dtype))


def dtype_argument(x, t=int):
    return np.sum(x.astype(t) * x)


def write_into_int_zeros(x):
    y = np.zeros(3, dtype=int)
    y[1] = x[1] * 2
    return np.sum(y) * x[0]


def write_into_int_zeros_positional(x):
    y = np.zeros(3, int)
    y[1] = x[1] * 3
    return np.sum(y * x)


def write_into_bool_zeros(x):
    y = np.zeros(3, dtype=bool)
    y[1] = x[1]
    return np.sum(y * x)


def add_into_arange(x):
    y = np.arange(3)
    y[2] += x[2]
    return np.sum(y * x)


def write_into_int_display(x):
    v = np.array([0, 0, 0])
    v[0] = x[0] * 3
    return np.sum(v * x)


def write_into_float_display(x):     # (floats: the derivative goes through)
    v = np.array([0.0, 0, 0])
    v[0] = x[0] * 3
    return np.sum(v * x)


X = np.array([1.6, -2.3, 0.4])
CASES = [astype_int, astype_bool, asarray_int, array_int64, array_of_items_int, sum_int,
         cumsum_int, trace_int, dtype_of_a_module_array, float_dtype_of_a_module_array,
         dtype_argument, write_into_int_zeros, write_into_int_zeros_positional,
         write_into_bool_zeros, add_into_arange, write_into_int_display,
         write_into_float_display]


@pytest.mark.parametrize("f", CASES, ids=[f.__name__ for f in CASES])
def test_gradient_and_tangent_match_differences(f):
    # (away from integers: the casts are constant around X)
    expected = numeric_jacobian(f, X)
    np.testing.assert_allclose(srcad.grad(f)(X.copy()), expected, atol=1e-6)
    direction = np.array([0.3, -1.0, 0.7])
    value, tangent = srcad.jvp(f)(X.copy(), direction)
    np.testing.assert_allclose(tangent, expected @ direction, atol=1e-6)


def test_a_dtype_known_when_it_runs_is_checked_there():
    source = srcad.grad(dtype_of_a_module_array).source
    assert "if_floating(cast_like(" in source
    assert "if_floating" not in srcad.grad(astype_int).source     # known: no derivative
    np.testing.assert_allclose(srcad.hessian(float_dtype_of_a_module_array)(X), 2 * np.eye(3))
    np.testing.assert_allclose(srcad.hessian(dtype_of_a_module_array)(X), np.zeros((3, 3)))


# ----- writes checked when they run: arrays whose dtype srcad does not know -----

def write_into_an_argument_copy(x, ints):
    y = ints.copy()
    y[1] = x[1] * 3.0
    return np.sum(y * x)


def write_into_full_of_an_int(x):
    y = np.full(3, 2)
    y[0] = x[0] * 2.5
    return np.sum(y * x)


def write_into_a_changed_int_list(x):
    values = [1, 2, 3]
    values[0] = x[0]                 # a float in the list: np.array makes floats
    y = np.array(values)
    y[1] = x[1] * 10.0
    return np.sum(y * x)


def write_into_an_int_list(x):
    y = np.array([1, 2, 3])
    y[1] = x[1] * 10.0
    return np.sum(y * x)


def write_into_zeros_like(x):        # (known floats: no check in the code)
    y = np.zeros_like(x)
    y[2] = x[2] ** 2
    return np.sum(y * x)


def object_dtype_argument(x, d=object):
    return np.sum(x.astype(d) * x)


WRITES = [write_into_full_of_an_int, write_into_a_changed_int_list, write_into_an_int_list,
          write_into_zeros_like, object_dtype_argument]


X2 = np.array([1.63, -2.31, 0.43])     # (the values written are no integers)


@pytest.mark.parametrize("f", WRITES, ids=[f.__name__ for f in WRITES])
def test_writes_of_unknown_dtype(f):
    expected = numeric_jacobian(f, X2)
    np.testing.assert_allclose(np.asarray(srcad.grad(f)(X2.copy()), float), expected, atol=1e-6)
    direction = np.array([0.3, -1.0, 0.7])
    np.testing.assert_allclose(float(srcad.jvp(f)(X2.copy(), direction)[1]),
                               expected @ direction, atol=1e-6)


def test_a_write_into_an_integer_argument_is_checked_when_it_runs():
    for ints in (np.array([1, 2, 3]), np.array([1.0, 2.0, 3.0])):
        expected = numeric_jacobian(lambda x: write_into_an_argument_copy(x, ints), X2)
        np.testing.assert_allclose(srcad.grad(write_into_an_argument_copy)(X2.copy(), ints),
                                   expected, atol=1e-6)
    assert "if_floating" not in srcad.grad(write_into_zeros_like).source


def differentiated_argument_made_integer(x, y):
    x = x.astype(int)
    x[0] = y
    return np.sum(x) * 1.0


def test_a_differentiated_argument_rebound_to_integers():
    """The write's check was skipped: a differentiated argument was taken for floats."""
    gx, gy = srcad.grad(differentiated_argument_made_integer, wrt=(0, 1))(X2.copy(), 2.7)
    np.testing.assert_allclose(gx, 0.0)
    assert gy == 0.0


# ----- integer arrays differentiated: promoted only where the function's value stays -----

def filled_like(x, c):
    """full_like keeps x's dtype: int(c) for an integer x, c for floats."""
    return float(np.sum(np.full_like(x, c) * x))


def filled_like_values(x, c):
    return np.full_like(x, c) * x


def sine_weighted(x, c):
    return np.sum(np.sin(x) * c + x ** 2)


def sine_weighted_values(x, c):
    return np.sin(x) * c + x ** 2


def printed_cubes(x):
    print("ran")
    return np.sum(x ** 3)


PROMOTED_CALLS = {
    "grad": lambda f, x, c: srcad.grad(f, wrt=(0, 1))(x, c),
    "grad_by_name": lambda f, x, c: srcad.grad(f, wrt="x")(x=x, c=c),
    "value_and_grad": lambda f, x, c: srcad.value_and_grad(f, wrt=(0, 1))(x, c),
    "jvp": lambda f, x, c: srcad.jvp(f, wrt=(0, 1))(x, c, (np.ones(3), 1.0)),
    "hessian": lambda f, x, c: srcad.hessian(f)(x, c),
    "hessian_of_two": lambda f, x, c: srcad.hessian(f, wrt=(0, 1))(x, c),
    "hvp": lambda f, x, c: srcad.hvp(f)(x, c, np.ones(3)),
    "grad_of_grad": lambda f, x, c: srcad.grad(srcad.grad(f, wrt=1), wrt=0)(x, c),
}
VECTOR_CALLS = {
    "vjp": lambda f, x, c: srcad.vjp(f, wrt=(0, 1))(x, c)[1](np.ones(3)),
    "jvp": lambda f, x, c: srcad.jvp(f)(x, c, np.ones(3)),
    "jacobian_forward": lambda f, x, c: srcad.jacobian(f, mode="forward")(x, c),
    "jacobian_reverse": lambda f, x, c: srcad.jacobian(f, mode="reverse")(x, c),
}


@pytest.mark.parametrize("call", list(PROMOTED_CALLS) + [f"vector-{k}" for k in VECTOR_CALLS])
def test_an_integer_array_whose_dtype_changes_the_value_is_refused(call):
    """np.full_like(x, 2.7) of an integer x truncates 2.7: f(x, c) is 12, not the 16.2 of
    floats, and d/dc is 0. srcad made x floats first and returned 16.2 and the derivatives of
    that other function; it now refuses, naming x and telling to pass floats."""
    x, c = np.array([1, 2, 3]), 2.7
    if call.startswith("vector-"):
        make, f = VECTOR_CALLS[call[len("vector-"):]], filled_like_values
    else:
        make, f = PROMOTED_CALLS[call], filled_like
    with pytest.raises(srcad.ArgumentError, match=r"integer argument\(s\) x become floats") \
            as info:
        make(f, x, c)
    assert "pass floats" in str(info.value)
    # floats: the function of floats, whose derivatives are c and sum(x)
    xf = x.astype(float)
    if call == "grad":
        gx, gc = make(f, xf, c)
        np.testing.assert_allclose(gx, [c] * 3)
        assert gc == pytest.approx(6.0)


@pytest.mark.parametrize("call", list(PROMOTED_CALLS) + [f"vector-{k}" for k in VECTOR_CALLS])
def test_an_integer_array_whose_dtype_does_not_change_the_value_is_promoted(call):
    """sin(x) c + x^2 is the same for integers and floats: promoted as before, the
    derivatives those of the floats (checked against central differences)."""
    x, c = np.array([1, 2, 3]), 0.7
    xf = x.astype(float)
    if call.startswith("vector-"):
        make, f = VECTOR_CALLS[call[len("vector-"):]], sine_weighted_values
    else:
        make, f = PROMOTED_CALLS[call], sine_weighted
    got = make(f, x, c)
    assert_tree_allclose(got, make(f, xf, c), rtol=1e-12, atol=0.0)
    if call == "grad":
        gx, gc = got
        np.testing.assert_allclose(gx, numeric_jacobian(lambda v: f(v, c), xf), rtol=1e-7)
        np.testing.assert_allclose(gx, c * np.cos(xf) + 2 * xf, rtol=1e-12)
        assert gc == pytest.approx(np.sum(np.sin(xf)), rel=1e-12)


def test_the_integer_check_runs_only_for_integer_arrays(capsys):
    """Float calls run the function as before: once more on the first call (its check),
    then only inside the gradient; an integer array runs it six times more on each call (on
    the integers and on the floats, at the point and at the integers 1 and 2 greater)."""
    g = srcad.grad(printed_cubes)
    x = np.array([1.0, 2.0])
    for _ in range(3):
        np.testing.assert_allclose(g(x), [3.0, 12.0])
    assert capsys.readouterr().out.count("ran") == 3 + 1
    np.testing.assert_allclose(g(np.array([1, 2])), [3.0, 12.0])
    assert capsys.readouterr().out.count("ran") == 1 + 6


def filled_from_a_count(x, n):
    y = np.full(3, n)
    y[0] = 0.5 * n
    return np.sum(y) * x


def summed_pieces(xs):
    total = 0.0
    for x in xs:
        y = np.zeros_like(x)
        y[0] = 1.5 * x[0]
        total = total + np.sum(y * x)
    return total


def test_a_python_int_or_integer_arrays_in_a_list_whose_dtype_changes_the_value():
    """helper-89: a Python int among wrt (np.full(3, n) is an integer array) and integer
    arrays inside a list were not checked as integer arrays are: the value was the
    integers' (14.0, 21), the derivative the floats' function's."""
    with pytest.raises(srcad.ArgumentError, match="computes another value"):
        srcad.value_and_grad(filled_from_a_count, wrt=(0, 1))(2.0, 3)
    with pytest.raises(srcad.ArgumentError, match="computes another value"):
        srcad.grad(summed_pieces)([np.array([1, 2]), np.array([3, 4])])
    # (helper-98: at n = 4 the values agree, at 5 not: np.full(3, 5) truncates 2.5)
    with pytest.raises(srcad.ArgumentError, match="not 1 greater"):
        srcad.grad(filled_from_a_count, wrt=(0, 1))(2.0, 4)
    assert srcad.grad(filled_from_a_count, wrt=(0, 1))(2.0, 4.0) == pytest.approx((10.0, 5.0))
    g = srcad.grad(summed_pieces)([np.array([1.0, 2.0]), np.array([3.0, 4.0])])
    np.testing.assert_allclose(g[0], [3.0, 0.0])
    np.testing.assert_allclose(g[1], [9.0, 0.0])


def adds_a_float_in_place(x):
    x += 0.5
    return np.sum(x * x)


def test_hvp_of_a_function_that_fails_on_integers_says_so():
    """helper-89: hvp's check of the value ran the function on the integers first: numpy's
    UFuncTypeError escaped (grad and hessian said what failed)."""
    with pytest.raises(srcad.ArgumentError, match="fails on its integer"):
        srcad.hvp(adds_a_float_in_place)(np.array([1, 2]), np.ones(2))
