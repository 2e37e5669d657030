"""Issue 3: calls to user-defined functions (transformed recursively), keyword
arguments and defaults, recursion, module constants and closures read-only."""
import numpy as np
import pytest

import srcad
from conftest import fd_check, full_check, numeric_jacobian

SCALE = 1.7
OFFSETS = np.array([0.1, -0.2, 0.3])


# ----- helpers and callers -----


def affine(x, w, b=0.5, scale=1.0):
    return scale * (x * w + b)


def squash(z, temperature=2.0):
    return np.tanh(z / temperature)


def two_helpers_kw(x, w):
    z = affine(x, w=w, scale=3.0)
    y = squash(temperature=0.5, z=z)
    return np.sum(y * y) + np.sum(affine(x, w))


def two_helpers_defaults(x, w):
    return np.sum(squash(affine(x, w)))


def power(x, n):
    if n == 0:
        return 1.0
    return x * power(x, n - 1)


def power_fast(x, n):
    if n == 0:
        return 1.0
    if n % 2 == 0:
        h = power_fast(x, n // 2)
        return h * h
    return x * power_fast(x, n - 1)


def helper_tuple(x, y):
    return x * y, x + y


def uses_tuple_helper(x, y):
    a, b = helper_tuple(x, y)
    return a * np.sin(b)


def helper_called_twice(x):
    return squash(x) + squash(x * x, temperature=3.0)


def helper_in_loop(x):
    s = x
    for i in range(3):
        s = squash(s * 2.0 + i)
    return s


def uses_module_constants(x):
    return np.sum((x + OFFSETS) ** 2) * SCALE


def helper_with_control_flow(x):
    if x > 0:
        return x * x
    return -x


def caller_of_branchy(x, y):
    return helper_with_control_flow(x * y) + helper_with_control_flow(x - y)


def inner_most(x):
    return np.sin(x) * x


def middle(x):
    return inner_most(x) + inner_most(2.0 * x)


def outer(x):
    return np.sum(middle(x) * x)


def make_closure(c):
    def closed(x):
        return np.sum(np.sin(c * x))
    return closed


closure_fn = make_closure(np.array([1.0, 2.0, 3.0]))


def wrt_helper_arg(x, w):
    return np.sum(affine(x, w, b=w))


# ----- tests -----


def test_two_helpers_with_keyword_arguments(rng):
    x = rng.standard_normal(3)
    w = rng.standard_normal(3)
    gx, gw = full_check(two_helpers_kw, [x, w], wrt=(0, 1))
    z = 3.0 * (x * w + 0.5)
    y = np.tanh(z / 0.5)
    dz = 2 * y * (1 - y * y) / 0.5
    np.testing.assert_allclose(gx, dz * 3.0 * w + w, rtol=1e-10)
    np.testing.assert_allclose(gw, dz * 3.0 * x + x, rtol=1e-10)


def test_helpers_with_defaults(rng):
    x = rng.standard_normal(3)
    w = rng.standard_normal(3)
    gx, gw = full_check(two_helpers_defaults, [x, w], wrt=(0, 1))
    t = np.tanh((x * w + 0.5) / 2.0)
    np.testing.assert_allclose(gx, (1 - t * t) / 2.0 * w, rtol=1e-12)


def test_wrt_flows_through_keyword_default_override(rng):
    x = rng.standard_normal(3)
    w = rng.standard_normal(3)
    full_check(wrt_helper_arg, [x, w], wrt=(0, 1))


@pytest.mark.parametrize("n", [0, 1, 2, 5])
def test_recursion_power(n):
    x = 1.3
    g = srcad.grad(power)(x, n)
    assert g == pytest.approx(n * x ** (n - 1) if n else 0.0, rel=1e-12)
    fd_check(power, [x, n], wrt=0)


@pytest.mark.parametrize("n", [1, 4, 7])
def test_recursion_power_fast(n):
    x = 0.9
    g = srcad.grad(power_fast)(x, n)
    assert g == pytest.approx(n * x ** (n - 1), rel=1e-12)


@pytest.mark.parametrize("n", [0, 1, 4])
def test_value_and_grad_of_a_recursive_function(n):
    # the recursive call needs the gradient only: value_and_grad_f calls grad_f
    value, g = srcad.value_and_grad(power_fast)(0.9, n)
    assert value == pytest.approx(0.9 ** n, rel=1e-12)
    assert g == pytest.approx(n * 0.9 ** (n - 1) if n else 0.0, rel=1e-12)


def test_helper_returning_tuple():
    full_check(uses_tuple_helper, [0.7, 1.2], wrt=(0, 1))


def test_same_helper_called_twice_with_different_keywords(rng):
    x = rng.standard_normal(())
    full_check(helper_called_twice, [float(x)])


def test_helper_in_loop():
    full_check(helper_in_loop, [0.3])


def test_module_constants(rng):
    x = rng.standard_normal(3)
    g = full_check(uses_module_constants, [x])
    np.testing.assert_allclose(g, 2 * (x + OFFSETS) * SCALE, rtol=1e-12)


@pytest.mark.parametrize("x, y", [(1.0, 2.0), (-1.0, 2.0), (3.0, 1.0), (-2.0, -3.0)])
def test_helper_with_control_flow(x, y):
    full_check(caller_of_branchy, [x, y], wrt=(0, 1))


def test_nested_call_chain(rng):
    full_check(outer, [rng.standard_normal(4)])


def test_closure_read_only(rng):
    x = rng.standard_normal(3)
    g = full_check(closure_fn, [x])
    c = np.array([1.0, 2.0, 3.0])
    np.testing.assert_allclose(g, c * np.cos(c * x), rtol=1e-12)


# ----- callees taking *args or **kwargs -----

def total(*xs):
    return sum(xs)


def scaled(a, **options):
    return a * options["b"]


def pack(*values):
    return np.array(values)


def sum_of_three(x, y):
    return total(x, y, x * y)


def keyword_to_kwargs(x, y):
    return scaled(x, b=y)


def packed_constants(x):
    return np.sum(pack(1.0, 2.0) * x)


@pytest.mark.parametrize("f", [sum_of_three, keyword_to_kwargs])
def test_a_differentiated_value_passed_to_star_args_is_refused(f):
    """Its derivative was taken as zero (the values in *xs were no operands)."""
    for make in (srcad.grad, srcad.jvp):
        with pytest.raises(srcad.UnsupportedError, match=r"\*args or \*\*kwargs"):
            make(f, wrt=(0, 1))(0.7, 0.3, *([(1.0, 0.0)] if make is srcad.jvp else []))


def star_args_in_an_expression(x, y):
    return np.sin(x) + total(x, y) * 2.0


@pytest.mark.parametrize("make", [srcad.grad, srcad.jvp])
def test_the_refusal_of_a_star_args_callee_points_at_the_call(make):
    """The caret was at the start of `return`, not at the call it refuses."""
    with pytest.raises(srcad.UnsupportedError, match=r"calling total, which takes \*args") \
            as info:
        make(star_args_in_an_expression)(0.7, 0.3, *([1.0] if make is srcad.jvp else []))
    location = info.value.location
    assert location.text[location.col:].startswith("total(x, y)")


def test_constants_passed_to_star_args_are_a_constant():
    np.testing.assert_allclose(srcad.grad(packed_constants)(np.ones(2)), [1.0, 2.0])
    assert srcad.jvp(packed_constants)(np.ones(2), np.ones(2))[1] == 3.0



def _cubed_sum(x):
    return np.sum(x ** 3)


def _sines(x):
    return np.sum(np.sin(x))


_GRADIENTS = {"cubed": srcad.grad(_cubed_sum), "packed": srcad.grad(_cubed_sum, wrt=(0,)),
              "tangent": srcad.jvp(_cubed_sum)}
_FUNCTIONS = (_cubed_sum, np.cos)
_NESTED = {"functions": [_cubed_sum, _sines]}


def calls_dict_items(x):
    (packed,) = _GRADIENTS["packed"](x)
    _, tangent = _GRADIENTS["tangent"](x, x)
    return np.sum(_GRADIENTS["cubed"](x) * x) + np.sum(packed) + tangent


def calls_tuple_items(x):
    return _FUNCTIONS[0](x) * 2.0 + np.sum(_FUNCTIONS[-1](x)) + _NESTED["functions"][1](x)


def calls_an_item_by_a_key_it_computes(x, key):
    return _NESTED["functions"][key](x)


def test_functions_and_derivative_objects_held_in_module_level_containers():
    """`D["g"](x)`, `FUNCTIONS[0](x)`, with a constant key: the function the item holds,
    as a function called by its name is (refused before: 'calling a local variable or the
    result of an expression'); first and second order."""
    x = np.array([0.5, -1.2, 2.0])
    full_check(calls_dict_items, [x])
    np.testing.assert_allclose(srcad.grad(calls_dict_items)(x), 18 * x ** 2 + 6 * x,
                               rtol=1e-12)
    full_check(calls_tuple_items, [x])
    np.testing.assert_allclose(srcad.grad(calls_tuple_items)(x),
                               6 * x ** 2 - np.sin(x) + np.cos(x), rtol=1e-12)
    np.testing.assert_allclose(srcad.hessian(calls_tuple_items)(x),
                               np.diag(12 * x - np.cos(x) - np.sin(x)), rtol=1e-12, atol=1e-12)
    _, tangent = srcad.jvp(calls_tuple_items)(x, np.ones(3))
    assert tangent == pytest.approx(np.sum(6 * x ** 2 - np.sin(x) + np.cos(x)), rel=1e-12)


def test_a_function_held_in_a_container_is_the_one_it_holds_at_each_call():
    """`D["g"] = other` after the derivative was made: it is made again. A key the function
    computes: refused, with the hint to name the function."""
    x = np.array([0.5, -1.2, 2.0])
    with pytest.raises(srcad.UnsupportedError, match="cannot look up") as info:
        srcad.grad(calls_an_item_by_a_key_it_computes)(x, 1)
    assert "give the function a module-level name" in info.value.hint
    gradient = srcad.grad(calls_tuple_items)
    before = gradient(x)
    functions = _NESTED["functions"]
    try:
        functions[1] = _cubed_sum
        np.testing.assert_allclose(gradient(x), before - np.cos(x) + 3 * x ** 2, rtol=1e-12)
    finally:
        functions[1] = _sines
    np.testing.assert_allclose(gradient(x), before, rtol=1e-12)


# ----- f(*xs) of a known length -----


def called_with_a_display_spread(x, w):
    return np.sum(affine(*(x, w), scale=2.0)) + np.sum(affine(x, *[w, 1.5]))


def called_with_a_local_spread(x, w):
    args = (x, w)
    total = np.sum(affine(*args))
    for k in range(3):
        pair = [x * k, np.sin(w)]        # (bound in the loop: the same length each time)
        total = total + np.sum(affine(*pair, scale=x[0]) * len(pair))
    return total


def called_with_a_grown_list_spread(x, w):
    args = [x]
    args.append(w)
    return np.sum(affine(*args))


def called_with_a_list_passed_on_spread(x, w):
    args = [x, w]
    stacked = np.stack(args)                # (args passed on: it might change there)
    return np.sum(affine(*args)) + np.sum(stacked)


def called_with_a_list_written_spread(x, w):
    args = [x, w]
    args[1] = w * 2.0
    return np.sum(affine(*args))


def test_a_call_spreading_a_tuple_or_list_of_known_length():
    """helper-113: `f(*xs)` was refused ("'*' unpacking") where xs is a display or a local
    every binding makes one of the same length, that the function only reads: spread as
    f(xs[0], xs[1]). Where the length may change (an append, a write, xs passed on), it
    stays refused."""
    rng = np.random.default_rng(11)
    x, w = rng.standard_normal(3), rng.standard_normal(3)
    gx, gw = srcad.grad(called_with_a_display_spread, wrt=(0, 1))(x, w)
    np.testing.assert_allclose(gx, 2.0 * w + w, rtol=1e-12)
    np.testing.assert_allclose(gw, 2.0 * x + x, rtol=1e-12)
    for f in (called_with_a_display_spread, called_with_a_local_spread):
        full_check(f, [x, w], wrt=(0, 1))
        t = rng.standard_normal(3)
        h = 1e-6
        numeric = (f(x + h * t, w) - f(x - h * t, w)) / (2 * h)
        assert srcad.jvp(f, wrt=0)(x, w, t)[1] == pytest.approx(numeric, rel=1e-6)
        np.testing.assert_allclose(srcad.hessian(f)(x, w), numeric_jacobian(
            lambda v: srcad.grad(f)(v, w), x), rtol=1e-6, atol=1e-7)
    for f in (called_with_a_grown_list_spread, called_with_a_list_written_spread,
              called_with_a_list_passed_on_spread):
        with pytest.raises(srcad.UnsupportedError, match="'\\*' unpacking"):
            srcad.grad(f)(x, w)
