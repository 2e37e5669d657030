"""Programs that gave a wrong number without a word, found by adversarial testing (each test
fails on the code before its fix). References: closed forms and central differences."""

import collections
import inspect
import math
import operator
import types


import re
import warnings
import numpy as np
import pytest

import srcad

from conftest import fd_check, full_check, numeric_jacobian


# ----- np.full / np.full_like: the fill value reaches every element -----

def filled(s):
    return np.sum(np.full(3, s) * np.arange(3.0))


def filled_like(s):
    return np.sum(np.full_like(np.ones(3), s) * np.arange(3.0))


def filled_rows(v):
    return np.sum(np.full((2, 3), v) ** 2)


def filled_integers(s):
    return np.sum(np.full(3, s, dtype=int) * 2.0) + s


def filled_float32(s):
    return np.sum(np.full_like(np.ones(3, dtype=np.float32), s) * 2.0)


@pytest.mark.parametrize("f, slope", [(filled, 3.0), (filled_like, 3.0),
                                      (filled_integers, 1.0), (filled_float32, 6.0)])
def test_full_differentiates_its_fill_value(f, slope):
    assert srcad.grad(f)(0.7) == pytest.approx(slope)
    assert srcad.jvp(f)(0.7, 1.0)[1] == pytest.approx(slope)


def test_full_sums_the_adjoint_back_to_the_fill_values_shape():
    v = np.array([0.5, -1.0, 2.0])
    np.testing.assert_allclose(srcad.grad(filled_rows)(v), 4.0 * v)
    assert srcad.jvp(filled_rows)(v, np.ones(3))[1] == pytest.approx(4.0 * v.sum())


# ----- Hessians through reductions: the seed of a sum's adjoint is an np.float64 -----

def sum_squared(x):
    return np.sum(x) ** 2


def mean_squared(x):
    return np.mean(x) ** 2


def deviation(x):
    return np.std(x)


@pytest.mark.parametrize("f", [sum_squared, mean_squared, deviation])
def test_hessian_through_a_reduction(f):
    x = np.array([0.3, -1.2, 0.8])
    want = numeric_jacobian(srcad.grad(f), x)
    assert np.abs(want).max() > 0.1
    np.testing.assert_allclose(srcad.hessian(f)(x), want, atol=1e-6)


# ----- ranges: their samples move with their bounds -----

def spaced(T):
    return np.sum(np.linspace(0.0, T, 5))


def counted(s):
    return np.sum(np.arange(s, 3.0))


def stepped(h):
    return np.sum(np.arange(0.0, 3.0, h))


@pytest.mark.parametrize("mode", ["grad", "jvp"])
def test_ranges_follow_their_bounds(mode):
    for f, slope in ((spaced, 2.5), (counted, 3.0)):     # 2.5 T; (s) + (s + 1) + (s + 2)
        got = srcad.grad(f)(0.3) if mode == "grad" else srcad.jvp(f)(0.3, 1.0)[1]
        assert got == pytest.approx(slope)


def test_arange_refuses_a_varying_step():
    with pytest.raises(srcad.UnsupportedError, match="with respect to its argument 'step'"):
        srcad.grad(stepped)(0.7)


# ----- nested list comprehensions: each has its own list -----

def nested_single(x):
    grid = [[x * 2.0 for j in range(1)] for i in range(1)]
    return grid[0][0]


def triangle(x):
    grid = [[x[i] * x[j] for j in range(i + 1)] for i in range(3)]
    return sum([sum(row) for row in grid])


def nested_in_loop(x):
    s = 0.0
    for t in range(2):
        rows = [[x * (t + i + j) for j in range(2)] for i in range(2)]
        s = s + rows[1][1] * rows[0][1]
    return s


def test_nested_comprehensions():
    assert srcad.grad(nested_single)(3.0) == 2.0
    assert srcad.value_and_grad(nested_single)(3.0) == (6.0, 2.0)
    full_check(triangle, [np.array([0.5, -1.0, 2.0])])
    full_check(nested_in_loop, [0.7])
    assert srcad.jvp(nested_in_loop)(0.7, 1.0)[1] == pytest.approx(
        srcad.grad(nested_in_loop)(0.7))


# ----- a callee that changes its argument in place -----

def overwrite_first(a):
    a[0] = a[1] * 2.0
    return np.sum(a)


def calls_overwrite(x):
    y = x * 1.0
    t = overwrite_first(y)
    return t + np.sum(y * y)


def put_square(d, a):
    d["k"] = a * a
    return 0.0


def calls_put_square(x):
    d = {"k": x}
    t = put_square(d, x)
    return d["k"] + t


def overwrite_copy(a):
    a = a.copy()
    a[0] = a[1] * 2.0
    return np.sum(a)


def calls_overwrite_copy(x):
    return overwrite_copy(x) + np.sum(x * x)


def nudge(s, h):
    s += h * s
    return s


def calls_nudge(x):
    return nudge(x, 0.5) * x


@pytest.mark.parametrize("f, x", [(calls_overwrite, np.array([1.0, 2.0, 3.0])),
                                  (calls_put_square, 3.0)])
@pytest.mark.parametrize("mode", [srcad.grad, srcad.jvp])
def test_callee_changing_an_argument_in_place_is_refused(f, x, mode):
    x0 = np.copy(x)
    with pytest.raises(srcad.UnsupportedError, match="may change its argument '(a|d)' in place"):
        mode(f)(x, *([np.ones_like(x)] if mode is srcad.jvp else []))
    np.testing.assert_array_equal(x, x0)


def test_callee_changing_a_copy_or_a_scalar_is_differentiated():
    full_check(calls_overwrite_copy, [np.array([1.0, 2.0, 3.0])])
    full_check(calls_nudge, [0.7])


# ----- an index array that names an element twice: NumPy keeps the last write -----

def repeated_write(x):
    y = np.zeros(2)
    y[[0, 0, 1]] = x
    return np.sum(y * y)


def repeated_update(x):
    y = np.zeros(3)
    y[[0, 0, 1]] += x
    return np.sum(y * y)


def repeated_write_in_loop(x):
    y = np.zeros((2, 2))
    for i in range(2):
        y[[i, i]] = x[2 * i:2 * i + 2] * (i + 1.0)
    return np.sum(y ** 3)


@pytest.mark.parametrize("f", [repeated_write, repeated_update])
def test_repeated_indices_pass_on_the_last_write_only(f):
    g = full_check(f, [np.array([1.0, 2.0, 3.0])])
    np.testing.assert_allclose(g, [0.0, 4.0, 6.0])


def test_repeated_indices_in_a_loop():
    full_check(repeated_write_in_loop, [np.array([0.5, -1.0, 2.0, 1.5])])


# ----- a dict gains a key -----

def new_key(x):
    d = {"a": x}
    d["c"] = x * x
    return d["c"] + d["a"]


def new_keys_in_loop(x):
    d = {}
    for i in range(3):
        d[i] = x * (i + 1.0)
    return d[0] * d[2] + d[1]


def new_key_in_argument(d, x):
    d["new"] = x * x
    return d["new"] * d["a"]


@pytest.mark.parametrize("f, slope", [(new_key, 7.0), (new_keys_in_loop, 20.0)])
def test_a_dict_gains_keys(f, slope):
    assert srcad.grad(f)(3.0) == pytest.approx(slope)     # 2x + 1; 6x + 2
    assert srcad.jvp(f)(3.0, 1.0)[1] == pytest.approx(slope)


def test_a_dict_argument_gains_a_key_and_the_callers_stays_as_it_was():
    d = {"a": 2.0}
    g = srcad.grad(new_key_in_argument, wrt=(0, 1))(d, 3.0)
    assert d == {"a": 2.0}
    assert set(g[0]) == {"a"}          # the gradient has the argument's structure
    assert g[0]["a"] == pytest.approx(9.0) and g[1] == pytest.approx(12.0)


# ----- rows of an array that a call gives, saved before they are written -----

def same(a):
    return a


def rows_rewritten(X):
    Y = same(X * 1.0)
    for i in range(2):
        Y[0] = np.sin(Y[0]) * 2.0
    return np.sum(Y ** 2)


def test_rows_of_a_call_result_rewritten_in_a_loop():
    full_check(rows_rewritten, [np.array([[0.3, -0.5], [1.0, 2.0]])])


# ----- `* 1.0` on the user's booleans and integers converts them -----

def mask_doubled(x):
    m = (x > 0) * 1.0
    return np.sum(x * (m + m))


def mask_negated(x):
    m = (x > 0) * 1.0
    return np.sum(x * -m)


def integer_power(x, k):
    y = k * 1.0
    return np.sum(x * y ** 40)


@pytest.mark.parametrize("f, want", [(mask_doubled, [2.0, 0.0, 2.0]),
                                     (mask_negated, [-1.0, 0.0, -1.0])])
def test_booleans_times_one_are_numbers(f, want):
    x = np.array([0.5, -1.0, 2.0])
    np.testing.assert_allclose(srcad.grad(f)(x), want)
    value, tangent = srcad.jvp(f)(x, np.ones(3))
    assert value == pytest.approx(f(x)) and tangent == pytest.approx(sum(want))


def test_integers_times_one_do_not_overflow():
    k = np.array([2, 3, 4])
    np.testing.assert_allclose(srcad.grad(integer_power)(np.ones(3), k),
                               k.astype(float) ** 40, rtol=1e-12)


# ----- forward mode through a list item holding an array -----

def list_item_rewritten(x):
    xs = [x * 1.0, x * 2.0]
    xs[0] = xs[0] * xs[0]
    return np.sum(xs[0]) + np.sum(xs[1])


def test_jvp_of_a_list_item_rewritten():
    x = np.array([0.5, -1.0, 2.0])
    value, tangent = srcad.jvp(list_item_rewritten)(x, np.array([1.0, 0.0, 0.0]))
    assert value == pytest.approx(list_item_rewritten(x)) and tangent == pytest.approx(3.0)


# ----- a sum's scalar seed keeps float32 gradients float32 -----

def scaled_squares(x, c):
    return np.sum(x * x) * c


def test_float32_gradient_stays_float32_with_a_float64_factor():
    x = np.ones(3, np.float32)
    for optimize in (True, False):
        g = srcad.grad(scaled_squares, optimize=optimize)(x, np.float64(0.5))
        assert g.dtype == np.float32 and np.allclose(g, 1.0)


# ----- outputs that are not numbers -----

def returns_nothing(x):
    y = x * 2.0      # noqa: F841 (the return is missing)


def returns_text(x):
    return "a"


def returns_flag(x):
    return x > 0


@pytest.mark.parametrize("f", [returns_nothing, returns_text, returns_flag])
def test_a_gradient_of_something_else_than_a_number_is_refused(f):
    for make in (srcad.grad, srcad.value_and_grad):
        with pytest.raises(srcad.NonScalarOutputError, match="to return a number"):
            make(f)(2.0)
    with pytest.raises(srcad.NonScalarOutputError):
        srcad.grad(f)(np.ones(2))


# ----- calls with the wrong arguments -----

def product(x1, x2):
    return x1 * x2


def dot_product(x, y):
    return np.sum(x * y)


def test_wrong_arguments_are_argument_errors_and_type_errors():
    for call in (lambda: srcad.grad(product)(2.0), lambda: srcad.grad(product)(2.0, 3.0, 4.0),
                 lambda: srcad.grad(product)(2.0, x3=1.0),
                 lambda: srcad.jvp(product)(2.0),
                 lambda: srcad.hvp(dot_product)(np.ones(3)),
                 lambda: srcad.check_grad(product, 2.0)):
        with pytest.raises(srcad.ArgumentError) as info:
            call()
        assert isinstance(info.value, TypeError)


def test_tangents_shaped_unlike_their_arguments_are_refused():
    jf = srcad.jvp(dot_product, wrt=(0, 1))
    with pytest.raises(srcad.ArgumentError, match="tuple of 2 tangents"):
        jf(np.ones(3), 2.0, 1.0)
    with pytest.raises(srcad.ArgumentError, match="shape \\(3,\\), not shape \\(2,\\)"):
        srcad.jvp(dot_product)(np.ones(3), 2.0, np.ones(2))
    with pytest.raises(srcad.ArgumentError, match="not a list"):
        srcad.jvp(dot_product)(np.ones(2), 2.0, [1.0, 0.0])
    with pytest.raises(srcad.ArgumentError, match="shape \\(3,\\), not shape \\(1,\\)"):
        srcad.hvp(dot_product)(np.ones(3), 2.0, np.ones(1))
    assert srcad.jvp(dot_product, wrt=(0, 1))(np.ones(3), 2.0, (np.ones(3), 1.0))[1] == 9.0


def doubled(x, n):
    for i in range(n):
        x = x * 2.0
    return x


def test_an_integer_count_in_wrt_is_an_argument_error():
    with pytest.raises(srcad.ArgumentError, match="integer argument\\(s\\) n"):
        srcad.grad(doubled, wrt=(0, 1))(1.0, 3)
    assert srcad.grad(doubled)(1.0, 3) == 8.0


# ----- @srcad.grad on a method -----

class Model:
    def __init__(self, w):
        self.w = w

    @srcad.grad
    def loss(self, x):
        return self.w * x ** 2

    @srcad.jvp
    def cube(self, x):
        return self.w * x ** 3


def test_a_decorated_method_differentiates_the_bound_method():
    m, n = Model(3.0), Model(5.0)
    assert m.loss(2.0) == 12.0 and n.loss(2.0) == 20.0 and m.loss(1.0) == 6.0
    assert m.cube(2.0, 1.0) == (24.0, 36.0)


class NamedModel(Model):
    """Instances equal by name (a common __eq__), with weights of their own."""

    def __init__(self, name, w):
        super().__init__(w)
        self.name = name

    def __eq__(self, other):
        return isinstance(other, NamedModel) and self.name == other.name

    def __hash__(self):
        return hash(self.name)


class SlottedModel:
    __slots__ = ("w",)            # (no weak references to it)

    def __init__(self, w):
        self.w = w

    @srcad.grad
    def loss(self, x):
        return self.w * x ** 2


def test_a_decorated_method_of_equal_instances_is_each_ones_own():
    """The derivatives made per instance were found by equality (helper-49): b's gradient
    came from a, equal to it by name."""
    a, b = NamedModel("m", 1.0), NamedModel("m", 10.0)
    assert a.loss(2.0) == 4.0 and b.loss(2.0) == 40.0 and a.loss(2.0) == 4.0
    assert b.cube(1.0, 1.0) == (10.0, 30.0)
    assert SlottedModel(2.0).loss(1.0) == 4.0 and SlottedModel(3.0).loss(1.0) == 6.0


# ----- second order through the user's own functions -----

def cube(x):
    return x * x * x


def cube_plus(x):
    return cube(x) + x


def cube_times_sine(x):
    return np.sum(cube(x) * np.sin(x))


def cross(x, y):
    return cube(x) * y + x * cube(y)


def scaled(x, vbar_2=1.0):
    return x * x * vbar_2          # a parameter named like srcad's own names


def calls_scaled(x):
    return scaled(x, vbar_2=3.0)


def test_second_order_through_a_called_function():
    assert srcad.hessian(cube_plus)(1.1) == pytest.approx(6.6)
    x = np.array([0.3, -0.7, 1.2])
    want = numeric_jacobian(srcad.grad(cube_times_sine), x)
    np.testing.assert_allclose(srcad.hessian(cube_times_sine)(x), want, atol=1e-6)
    np.testing.assert_allclose(srcad.hvp(cube_times_sine)(x, np.ones(3)), want.sum(axis=1),
                               atol=1e-6)
    blocks = srcad.hessian(cross, wrt=(0, 1))(0.5, 2.0)   # 6xy, 3x^2 + 3y^2, 6xy
    np.testing.assert_allclose(np.asarray(blocks, dtype=float), [[6.0, 12.75], [12.75, 6.0]])


def test_keyword_named_like_a_generated_name_reaches_the_callees_derivative():
    assert srcad.grad(calls_scaled)(2.0) == pytest.approx(12.0)
    assert srcad.jvp(calls_scaled)(2.0, 1.0)[1] == pytest.approx(12.0)
    assert srcad.hessian(calls_scaled)(2.0) == pytest.approx(6.0)


# ----- a comprehension's variables are its own -----

def comprehension_reuses_a_parameter(x, v):
    ys = [v * v for v in x]
    return sum(ys) * v


def comprehension_reuses_a_local(x):
    i = 1
    ys = [x[i] for i in range(3)]
    return ys[0] * x[i]


def comprehension_reuses_the_loop_variable(x):
    s = 0.0
    for i in range(3):
        ys = [x[i] * 0.5 for i in range(2)]
        s = s + x[i] * ys[1]
    return s


def test_comprehension_variables_do_not_leak():
    x = np.array([1.0, 2.0])
    value, grads = srcad.value_and_grad(comprehension_reuses_a_parameter, wrt=(0, 1))(x, 3.0)
    assert value == 15.0
    np.testing.assert_allclose(grads[0], [6.0, 12.0])
    assert grads[1] == pytest.approx(5.0)
    assert srcad.jvp(comprehension_reuses_a_parameter, wrt=1)(x, 3.0, 1.0)[1] == \
        pytest.approx(5.0)
    x3 = np.array([1.0, 2.0, 3.0])
    assert srcad.value_and_grad(comprehension_reuses_a_local)(x3)[0] == 2.0
    full_check(comprehension_reuses_a_local, [x3])
    full_check(comprehension_reuses_the_loop_variable, [x3])


# ----- generator expressions consumed by sum -----

def summed_generator(x):
    return sum(v * v for v in x) + sum(np.sin(v) * w for v, w in zip(x, x) if v > 0)


def test_sum_of_a_generator_expression():
    full_check(summed_generator, [np.array([0.3, -0.5, 0.8])])


# ----- rules and checks that see the structure -----

def test_a_rule_returning_two_expressions_for_one_parameter_is_refused():
    namespace = {}
    exec("def cube(x):\n    return x ** 3\n", namespace)

    def cube_adjoint(g, ans, x):
        return g * 3.0 * x * x, g
    with pytest.raises(srcad.RuleError, match="2 expressions for 1 differentiable"):
        srcad.adjoint(namespace["cube"])(cube_adjoint)


def sines(x):
    return np.sum(np.sin(x))


def pair_gradient(x):
    return (np.cos(x), np.ones_like(x))


def test_check_grad_refuses_a_gradient_shaped_unlike_its_argument():
    with pytest.raises(srcad.GradientCheckError, match="not shaped like"):
        srcad.check_grad(sines, (np.array([0.3, 0.5]),), grad_fn=pair_gradient)


# ----- iterating a dict argument itself -----

def keys_of_argument(params, x):
    s = 0.0
    for k in params:
        s = s + np.sum(params[k] * x)
    return s


def items_of_argument(params, x):
    s = 0.0
    for k, w in params.items():
        s = s + np.sum(w * x)
    return s


def keys_of_a_rebound_argument(params, x):
    params = params
    s = 0.0
    for k in params:
        s = s + np.sum(params[k] * x)
    return s


def test_iterating_a_dict_argument_walks_its_keys():
    """It was refused: the loop indexed params[0], params[1]. A dict argument now gets the
    loop over its keys (a list or an array argument, the loop over its items)."""
    params, x = {"a": np.array([1.0, 2.0]), "b": np.array([0.5, -1.0])}, np.array([3.0, 4.0])
    g_params, g_x = srcad.grad(keys_of_argument, wrt=(0, 1))(params, x)
    np.testing.assert_allclose(g_params["a"], x)
    np.testing.assert_allclose(g_params["b"], x)
    np.testing.assert_allclose(g_x, params["a"] + params["b"])
    tangent = {"a": np.array([1.0, 0.0]), "b": np.array([0.0, 2.0])}
    assert srcad.jvp(keys_of_argument)(params, x, tangent)[1] == pytest.approx(3.0 + 8.0)
    value, pullback = srcad.vjp(keys_of_argument)(params, x)
    np.testing.assert_allclose(pullback(2.0)["a"], 2.0 * x)
    rows = [np.array([1.0, 2.0]), np.array([0.5, -1.0])]     # a list: its items
    np.testing.assert_allclose(srcad.grad(items_of_list, wrt=1)(rows, x), rows[0] + rows[1])


def items_of_list(rows, x):
    s = 0.0
    for row in rows:
        s = s + np.sum(row * x)
    return s


def test_iterating_a_rebound_dict_argument_is_refused_with_its_line():
    with pytest.raises(srcad.UnsupportedError, match="iterating over the dict 'params'") as info:
        srcad.grad(keys_of_a_rebound_argument)({"a": np.ones(2)}, np.ones(2))
    assert "for k in params:" in str(info.value)
    g = srcad.grad(items_of_argument)({"a": np.array([1.0, 2.0])}, np.array([3.0, 4.0]))
    np.testing.assert_allclose(g["a"], [3.0, 4.0])


# ----- unary plus copies; dict displays iterate over their keys; comprehension names -----

def plus_copy(x):
    y = x * 1.0
    z = +y
    z[0] = 5.0
    return np.sum(y * y) + np.sum(z)


def keys_of_a_display(x):
    s = 0.0
    for k in {"a": 1.0, "bb": 2.0}:
        s = s + x * len(k)
    return s + sum([x * len(k) for k in {"ccc": 1.0}])


G = 3.0


def comprehension_shadows_a_global(x):
    t = G * x
    ys = [G * x for G in [1.0, 2.0]]
    return t + ys[1]


def test_unary_plus_dict_displays_and_shadowed_globals():
    full_check(plus_copy, [np.array([0.3, -0.7, 1.2])])
    assert srcad.value_and_grad(keys_of_a_display)(0.5) == (3.0, 6.0)
    assert srcad.jvp(keys_of_a_display)(0.5, 1.0) == (3.0, 6.0)
    assert srcad.value_and_grad(comprehension_shadows_a_global)(0.5) == (2.5, 5.0)


# ----- x ** y at x = 0: the y-derivative x ** y log(x) is 0 there (as JAX) -----

def power_sum(x, y):
    return np.sum(x ** y)


def scalar_power(x, y):
    return x ** y


def test_power_at_zero_has_a_zero_exponent_derivative():
    assert srcad.grad(scalar_power, wrt=(0, 1))(0.0, 3.0) == (0.0, 0.0)
    blocks = srcad.hessian(power_sum, wrt=(0, 1))(np.array([0.0, 1.0]), 3.0)
    np.testing.assert_allclose(blocks[0][0], [[0.0, 0.0], [0.0, 6.0]])
    x, y = 2.0, 3.0                                    # closed forms away from 0
    np.testing.assert_allclose(np.asarray(srcad.hessian(scalar_power, wrt=(0, 1))(x, y),
                                          dtype=float),
                               [[y * (y - 1) * x ** (y - 2), x ** (y - 1) * (1 + y * np.log(x))],
                                [x ** (y - 1) * (1 + y * np.log(x)), x ** y * np.log(x) ** 2]])


# ----- second order: one-element wrt tuples, repeated wrt, keyword arguments -----

def quadratic_pair(x, y):
    return x * x * y + y ** 3


def cubes(x):
    return np.sum(x ** 3)


def power_with_default(x, n=3):
    return x ** n


def test_hessian_and_hvp_with_a_one_element_wrt_tuple():
    assert np.asarray(srcad.hessian(quadratic_pair, wrt=(0,))(0.7, 1.3)[0][0]) == \
        pytest.approx(2.6)
    x = np.array([1.0, 2.0, 3.0])
    np.testing.assert_allclose(srcad.hessian(cubes, wrt=(0,))(x)[0][0], np.diag(6.0 * x))
    assert srcad.hvp(quadratic_pair, wrt=(0,))(0.7, 1.3, (1.0,)) == pytest.approx((2.6,))


def test_a_parameter_named_twice_in_wrt_is_refused():
    with pytest.raises(srcad.WrtError, match="twice"):
        srcad.hessian(quadratic_pair, wrt=(0, 0))
    with pytest.raises(srcad.WrtError, match="twice"):
        srcad.jvp(quadratic_pair, wrt=("x", 0))


def test_second_order_passes_keyword_arguments():
    want = 12 * 0.7 ** 2
    assert srcad.hessian(power_with_default)(0.7, n=4) == pytest.approx(want)
    assert srcad.hvp(power_with_default)(0.7, 1.0, n=4) == pytest.approx(want)
    assert srcad.jacobian(srcad.grad(power_with_default))(0.7, n=4) == pytest.approx(want)


def of_a_list(xs):
    return xs[0] ** 2 * xs[1] + np.sin(xs[1])


def test_hessian_and_jacobian_of_a_function_of_a_list():
    np.testing.assert_allclose(srcad.hessian(of_a_list)([0.7, -0.4]),
                               [[-0.8, 1.4], [1.4, -np.sin(-0.4)]], rtol=1e-12)
    np.testing.assert_allclose(srcad.jacobian(of_a_list)([0.7, -0.4]),
                               [2 * 0.7 * -0.4, 0.49 + np.cos(-0.4)], rtol=1e-12)


def test_hessian_of_a_float32_input_is_float32():
    x = np.array([1.0, 2.0, 3.0], dtype=np.float32)
    H = srcad.hessian(cubes)(x)
    assert H.dtype == np.float32
    np.testing.assert_allclose(H, np.diag(6.0 * x), rtol=1e-6)


def product_of_calls(x):
    return cube(x) * cube_plus(x) + cube(x * 2.0)


def test_grad_of_grad_through_called_functions():
    # f = x^3 (x^3 + x) + 8 x^3 = x^6 + x^4 + 8 x^3: f'' = 30 x^4 + 12 x^2 + 48 x
    x = 0.7
    assert srcad.grad(srcad.grad(cube_plus))(1.1) == pytest.approx(6.6)
    assert srcad.grad(srcad.grad(product_of_calls))(x) == \
        pytest.approx(30 * x ** 4 + 12 * x ** 2 + 48 * x)


# ----- out= and slices of a dict-like container -----

def floored_in_place(x):
    y = x * 2.0
    np.floor(y, out=y)
    return np.sum(y * x)


def test_out_keyword_is_refused():
    with pytest.raises(srcad.UnsupportedError, match="out="):
        srcad.grad(floored_in_place)(np.array([0.3, 0.7, 1.1]))


def cleared_default(x, buf=np.zeros(3)):
    buf = buf.copy()
    buf[:] = 0.0
    buf[0] = x[0]
    return np.sum(buf * x)


def test_slice_write_into_a_call_result_saves_its_part():
    # (saved_item took the slice as written: a SyntaxError in generated code)
    full_check(cleared_default, [np.array([0.3, 0.7, 1.1])])


def writes_second(x, z):
    z[0] = 5.0
    return np.sum(x * x)


def test_one_array_for_two_parameters_where_one_is_changed_in_place_is_refused():
    a = np.array([0.3, 0.7, 1.1])
    g = srcad.grad(writes_second)
    np.testing.assert_allclose(g(a, a.copy()), 2 * a)     # first call: checked path
    for call in (lambda: g(a, a), lambda: g(a, a[1:]),   # then the fast path
                 lambda: srcad.jvp(writes_second)(a, a, np.ones(3))):
        with pytest.raises(srcad.UnsupportedError, match="argument 'z' in place, and argument 'x'"):
            call()
    np.testing.assert_array_equal(a, [0.3, 0.7, 1.1])


def make_writer(k):
    def writes(x, z):
        z[0] = k
        return np.sum(x * x)
    return writes


def test_a_closure_served_by_another_checks_shared_arguments_too():
    a = np.array([0.3, 0.7, 1.1])
    srcad.grad(make_writer(1.0))(a, a.copy())            # the first closure: transformed
    second = srcad.grad(make_writer(2.0))                 # another: served its derivative
    np.testing.assert_allclose(second(a, a.copy()), 2 * a)
    with pytest.raises(srcad.UnsupportedError, match="argument 'z' in place"):
        second(a, a)


# ----- eighth session -----


def loop_over_a_list(x):
    s = 0.0
    for v in [x, x * x]:
        s = s + v * x
    return s


def loop_over_a_repeated_list(x):
    xs = [x * x, x] * 3
    s = 0.0
    for v in xs:
        s = s + v * x
    return s


def product_of_a_repeated_list(x):
    xs = 2 * [x, x * x]
    return xs[0] * xs[3] + xs[1] * xs[2]


@pytest.mark.parametrize("f, closed_form", [
    (loop_over_a_list, lambda x: 6 * x + 2),               # x^3 + x^2
    (loop_over_a_repeated_list, lambda x: 18 * x + 6),     # 3 (x^3 + x^2)
    (product_of_a_repeated_list, lambda x: 12 * x),        # 2 x^3
])
def test_hessian_through_generated_code_that_pops_and_pushes_list_items(f, closed_form):
    """The generated gradient pushes list items on `_stack` and pops them back: the alias
    check refused the append (a pop gives an item of the stack; an append changes the
    stack, not that item), and the tangent of a repeated list's adjoint was cut short."""
    for x in (0.7, 2.0):
        assert srcad.hessian(f)(x) == pytest.approx(closed_form(x), rel=1e-12)
        numeric = numeric_jacobian(lambda z: srcad.grad(f)(float(z[0])), [x])
        assert srcad.hessian(f)(x) == pytest.approx(float(numeric[0]), rel=1e-6)


def item_then_append(x):
    xs = [x, x * x]
    v = xs[0]
    xs.append(3.0 * x)
    return v * xs[2] + xs[1]


def test_an_item_read_before_its_list_grows_is_not_refused():
    assert srcad.grad(item_then_append)(2.0) == pytest.approx(16.0)      # 4 x
    assert srcad.jvp(item_then_append)(2.0, 1.0)[1] == pytest.approx(16.0)


def array_item_then_written(x):
    xs = [x, np.array([1.0, 2.0]) * x]
    r = xs[1]
    r[0] = 5.0
    return np.sum(xs[1]) * x


def test_writing_into_an_item_read_from_a_list_is_still_refused():
    with pytest.raises(srcad.UnsupportedError, match="changes an array that is also reached"):
        srcad.grad(array_item_then_written)(2.0)


def polynomial(x, c):
    s = 0.0
    for k in range(len(c)):
        s = s + c[k] * x ** k
    return s


def zeroth_and_third_power(x):
    return x ** 0 + x ** 3


def powers_of_an_array(x):
    return np.sum(np.power(x, np.array([0.0, 1.0, 2.0])) + x ** 0)


def test_a_zero_exponent_at_zero_has_slope_zero():
    """d/dx x ** 0 = 0, at x = 0 too: the adjoint was `0 * x ** -1` (ZeroDivisionError for
    floats, nan for arrays)."""
    c = np.array([1.0, 2.0, 3.0])
    assert srcad.grad(polynomial)(0.0, c) == 2.0                  # c1 + 2 c2 x
    assert srcad.hessian(polynomial)(0.0, c) == 6.0               # 2 c2
    assert srcad.jvp(polynomial)(0.0, c, 1.0)[1] == 2.0
    assert srcad.grad(zeroth_and_third_power)(0.0) == 0.0
    np.testing.assert_array_equal(srcad.grad(powers_of_an_array)(np.zeros(3)), [0.0, 1.0, 0.0])
    np.testing.assert_array_equal(srcad.hessian(powers_of_an_array)(np.zeros(3)),
                                  np.diag([0.0, 0.0, 2.0]))


def root(x):
    return x ** 0.5


def test_a_fractional_power_at_zero_has_an_infinite_slope():
    assert srcad.grad(root)(0.0) == np.inf                       # as NumPy's 0.0 ** -0.5


def test_a_constant_exponent_is_folded_into_readable_code():
    source = srcad.grad(zeroth_and_third_power).source
    assert "3 * v_0 ** 2" in source and "(3 - 1)" not in source


def while_counted(x):
    s = x
    while s < 10.0:
        s = s * 1.5 + x
    return s


def while_of_a_square(x):
    s = x
    while s < 10.0:
        s = s * x + 0.5 * s
    return s


def test_grad_of_grad_through_a_while_loop_restores_the_popped_count():
    """grad(grad(f)) differentiates the gradient, which pops its loop count from `_stack`:
    the reverse sweep undid the push (`_stack.pop()`) but not the pop (IndexError)."""
    for x in (1.0, 2.5):
        assert srcad.grad(srcad.grad(while_counted))(x) == srcad.hessian(while_counted)(x) == 0
    numeric = numeric_jacobian(lambda z: srcad.grad(while_of_a_square)(float(z[0])), [1.3])
    assert srcad.hessian(while_of_a_square)(1.3) == pytest.approx(float(numeric[0]), rel=1e-6)
    # (refused until the ninth session: the pops of the active `_stack` now give its
    # adjoint their items' adjoints back)
    assert srcad.grad(srcad.grad(while_of_a_square))(1.3) == pytest.approx(
        srcad.hessian(while_of_a_square)(1.3), rel=1e-12)


# second order through generated gradients that write in place (helper-21's round)

def scalar_loop(x, y):
    t = x
    for i in range(2):
        t = 1.0 / (1.0 + t * t) / (1.0 + y)
    return t


def element_writes(x):
    y = np.zeros(3)
    for i in range(3):
        y[i] = x[i] ** 2
    return np.sum(y * y)


def appended_powers(x):
    ys = []
    for i in range(3):
        ys.append(x ** i)
    return ys[2] * ys[1]


def summed_comprehension(x):
    return sum([x ** k for k in range(4)])


def test_hessian_through_pushes_pops_and_element_restores_of_the_gradient():
    """The gradient's own `_stack` pops, tuple pops, `v[i] = _stack.pop()` restores and bare
    `xs.pop()` undos were refused as aliasing or as unused calls."""
    numeric = numeric_jacobian(lambda z: srcad.grad(scalar_loop, wrt=1)(0.6, float(z[0])), [0.8])
    assert srcad.hessian(scalar_loop, wrt=1)(0.6, 0.8) == pytest.approx(float(numeric[0]),
                                                                        rel=1e-6)
    x = np.array([0.3, -0.4, 0.9])
    np.testing.assert_allclose(srcad.hessian(element_writes)(x), np.diag(12 * x ** 2))
    assert srcad.hessian(appended_powers)(0.7) == pytest.approx(6 * 0.7)          # x^3
    assert srcad.hessian(summed_comprehension)(0.7) == pytest.approx(2 + 6 * 0.7)


def slot_replaced(x):
    y = x * 2.0
    xs = [y, y]
    xs[0] = x * 3.0
    return np.sum(y * x) + np.sum(xs[0])


def slot_added_to(x):
    y = x * 2.0
    xs = [y]
    xs[0] += 1.0            # NumPy adds to y's array in place
    return np.sum(y * x)


def test_a_list_slot_given_another_array_leaves_the_old_one_but_augmenting_it_does_not():
    x = np.array([1.0, 2.0])
    np.testing.assert_allclose(srcad.grad(slot_replaced)(x), 4 * x + 3)
    with pytest.raises(srcad.UnsupportedError, match=r"'xs\[...\] \+= ...' changes an array"):
        srcad.grad(slot_added_to)(x)


def cubic(x, y):
    return x ** 2 * y ** 3


def test_second_order_with_keyword_arguments():
    want = 6 * 0.7 ** 2 * 1.3                     # d2/dy2 x^2 y^3
    assert srcad.hessian(cubic, wrt=1)(x=0.7, y=1.3) == pytest.approx(want)
    assert srcad.hessian(cubic, wrt=1)(0.7, y=1.3) == pytest.approx(want)
    assert srcad.jacobian(srcad.grad(cubic, wrt=1), wrt=1)(x=0.7, y=1.3) == pytest.approx(want)
    assert srcad.hvp(cubic, wrt=1)(x=0.7, y=1.3, v=1.0) == pytest.approx(want)
    assert srcad.hvp(cubic, wrt=1)(0.7, y=1.3, v=1.0) == pytest.approx(want)
    with pytest.raises(srcad.ArgumentError, match="pass the tangents by position"):
        srcad.jvp(srcad.grad(cubic, wrt=1), wrt=1)(x=0.7, y=1.3)


class Cubes:
    def __init__(self, c):
        self.c = c

    def loss(self, x):
        return self.c * np.sum(x ** 3)


def test_second_order_of_a_bound_method():
    m, x = Cubes(2.0), np.array([0.5, 1.0])
    np.testing.assert_allclose(srcad.hessian(m.loss)(x), np.diag(12 * x))
    np.testing.assert_allclose(srcad.hvp(m.loss)(x, np.ones(2)), 12 * x)
    np.testing.assert_allclose(srcad.jacobian(srcad.grad(m.loss))(x), np.diag(12 * x))


def rnn_over_rows(W, xs):
    h = np.zeros(3)
    for t in range(3):
        h = np.tanh(W @ h + xs[t])
    return np.sum(h)


def test_hessian_through_a_loop_over_three_zipped_tapes():
    """The gradient's reverse loop zips three tapes: its count was min(a, b, c), and min's
    rules take two arguments."""
    rng = np.random.default_rng(3)
    W, xs = 0.5 * rng.standard_normal((3, 3)), rng.standard_normal((3, 3))
    numeric = numeric_jacobian(lambda z: srcad.grad(rnn_over_rows, wrt=1)(W, z), xs)
    np.testing.assert_allclose(srcad.hessian(rnn_over_rows, wrt=1)(W, xs), numeric.reshape(3, 3, 3, 3),
                               rtol=1e-5, atol=1e-7)


def of_a_list_of_arrays(xs):
    return np.sum(xs[0] ** 2 * xs[1])


def test_hessian_of_a_function_of_a_list_of_arrays():
    xs = [np.array([0.3, 0.5]), np.array([1.1, -0.4])]
    hessian = srcad.hessian(of_a_list_of_arrays)(xs)          # shape (2, 2) + (2, 2)
    numeric = numeric_jacobian(
        lambda z: np.stack(srcad.grad(of_a_list_of_arrays)([z[0], z[1]])), np.stack(xs))
    np.testing.assert_allclose(hessian, numeric.reshape(hessian.shape), rtol=1e-6, atol=1e-8)


def scaled_sum(s, y):
    return np.sum((s * y) ** 2)


FACTORS = np.array([0.5, -1.5, 2.0])


def product_of_powers(s):
    return np.prod(s * FACTORS)                  # s^3 * prod(FACTORS)


def test_grad_of_grad_through_helpers_with_a_tangent_rule_only():
    """spread and prod_others gained tangent rules (for hessian); reverse over reverse then
    found no reverse rule where it read their source before."""
    y = np.array([0.5, -1.5, 2.0])
    gg = srcad.grad(srcad.grad(scaled_sum))(0.7, y)
    assert gg == pytest.approx(2 * np.sum(y ** 2)) == srcad.hessian(scaled_sum)(0.7, y)
    assert srcad.grad(srcad.grad(product_of_powers))(0.7) == pytest.approx(
        6 * 0.7 * np.prod(FACTORS))


def with_complex_steps(x):
    return np.abs(np.sum(x * 1j))


def test_complex_numbers_are_refused():
    """Real input, complex steps, real output: the rules are for real numbers, and the
    gradient came back complex and wrong (-1 for +1)."""
    with pytest.raises(srcad.UnsupportedError, match="a complex number"):
        srcad.grad(with_complex_steps)(np.array([0.3, -0.5, 1.2]))


def rotated_into(out, x):
    out[...] = np.abs(x * np.exp(0.5j))


def calls_a_rotating_helper(x):
    out = np.zeros(3)
    rotated_into(out, x)
    return np.sum(out * x)


def with_a_capital_imaginary_unit(x):
    return np.abs(np.sum(x * 2J))


def with_complex_of_parts(x):
    return np.abs(complex(x[0], x[1]))


def with_a_single_precision_dtype(x):
    return np.sum(np.abs(x.astype(np.csingle)))


@pytest.mark.parametrize("f", [calls_a_rotating_helper, with_a_capital_imaginary_unit,
                               with_complex_of_parts, with_a_single_precision_dtype])
def test_complex_numbers_are_refused_wherever_they_are_written(f):
    """The look for complex numbers is skipped where no text that the function's nodes
    come from has a sign of one: the helper inlined for what it writes (whose text the
    function's does not hold), `J`, complex(), a complex dtype's name are signs."""
    with pytest.raises(srcad.UnsupportedError, match="a complex number"):
        srcad.grad(f)(np.array([0.3, -0.5, 1.2]))


def named_like_a_helper(x, spread):
    return np.sum(x * spread)


def named_like_an_adjoint(x, vbar_1=1.0):
    return np.sum(x * vbar_1)


def test_parameters_named_like_helpers_or_adjoints():
    x, w = np.array([0.4, -0.3, 0.8]), np.array([1.5, 0.5, -1.0])
    gx, gw = srcad.grad(named_like_a_helper, wrt=(0, 1))(x, w)
    np.testing.assert_allclose(gx, w)
    np.testing.assert_allclose(gw, x)
    np.testing.assert_allclose(srcad.grad(named_like_an_adjoint)(x, vbar_1=3.0), 3 * np.ones(3))
    assert srcad.jvp(named_like_an_adjoint)(x, np.ones(3), vbar_1=3.0)[1] == pytest.approx(9.0)


def picks(x):
    return x[1] * x[2] + np.sum(x[:2] ** 2)


def test_indexing_a_float32_array_keeps_its_gradient_float32():
    assert srcad.grad(picks)(np.array([1.0, 2.0, 3.0], dtype=np.float32)).dtype == np.float32


def cube_sum(x):
    return np.sum(x ** 3)


def two_inputs(x, y):
    return x * x * y


def test_what_jacobian_hessian_and_hvp_return_is_refused_clearly():
    """They return Python loops over jvps: srcad used to try to transform them and pointed
    into api.py (*args/**kwargs)."""
    x = np.array([0.5, 1.0])
    for call, maker in [(lambda: srcad.hessian(srcad.hessian(cube_sum))(x), "hessian"),
                        (lambda: srcad.grad(srcad.hvp(cube_sum))(x, x), "hvp"),
                        (lambda: srcad.jvp(srcad.jacobian(cube_sum))(x, x), "jacobian")]:
        with pytest.raises(srcad.UnsupportedError, match=f"srcad.{maker} returns"):
            call()
    with pytest.raises(srcad.NonScalarOutputError, match="grad_two_inputs to return"):
        srcad.grad(srcad.grad(two_inputs, wrt=(0, 1)))(1.0, 2.0)


# ----- ninth session: pops in reverse mode, reverse over reverse through element writes -----


def pops_two(x):
    xs = [x[0], x[1] * 2.0, np.sin(x[2])]
    a = xs.pop()
    b = xs.pop()
    return a * b + xs[0] ** 2


def pops_in_a_while(x):
    xs = []
    for i in range(4):
        xs.append(x[i] * x[i])
    s = 0.0
    while xs:
        s = s * 0.5 + xs.pop()
    return s


def pops_as_a_work_stack(x):
    stack = [x]
    total = 0.0
    for k in range(3):
        top = stack.pop()
        total = total + np.sum(top ** 2)
        stack.append(top * 0.5 + 1.0)
        stack.append(np.tanh(top))
    return total + np.sum(stack[0]) * np.sum(stack[-1])


def pops_after_a_read_of_the_last(x):
    xs = [x * 1.0, x * 2.0]
    y = xs[-1]
    xs.pop()
    xs.append(y * y)
    z = xs.pop()
    return np.sum(z * xs[0])


def pops_in_a_branch(x):
    acc = []
    for i in range(3):
        acc.append(x * (i + 1.0))
        if i == 1:
            last = acc.pop()
            acc.append(last ** 2)
    return np.sum(acc[0] * acc[1] * acc[2])


@pytest.mark.parametrize("f", [pops_two, pops_in_a_while, pops_as_a_work_stack,
                               pops_after_a_read_of_the_last, pops_in_a_branch])
def test_reverse_mode_through_list_pop(f):
    """`t = xs.pop()` gives xs's adjoint t's adjoint back (refused before the ninth
    session): the adjoint of the append that made the item reads it from there."""
    rng = np.random.default_rng(7)
    for _ in range(3):
        full_check(f, (rng.standard_normal(4),))


def pops_by_index(x, i):
    xs = [x, x * x, np.sin(x), 3.0 * x]
    a = xs.pop(i)
    b = xs.pop(-2)
    return np.sum(a * b + xs[0] * xs[-1])


def pops_the_front_of_a_queue(x):
    queue = [x, 2.0 * x]
    total = 0.0
    for k in range(6):
        v = queue.pop(0)
        total = total + np.sum(v * v)
        queue.append(np.sin(v) + 0.5 * queue[-1])
    return total


def pops_at_a_moving_index(x):
    xs = [x, 2.0 * x, x * x, np.cos(x), 5.0 * x]
    s = 0.0
    for i in range(3):
        u = xs.pop(i + 1)
        t = xs.pop(i - 2)
        s = s + np.sum(t * xs[i] + u)
        xs.insert(-i, np.cos(t))
        xs.append(t * xs[0])
    return s + np.sum(xs[0])


def pops_in_a_statement_of_its_own(x):
    xs = [x, 2.0 * x, x * x]
    xs.pop(-2)
    return np.sum(xs[0] * xs[1])


def pops_its_list_argument_by_index(xs, i):
    a = xs.pop(i)
    return a * xs[0] + xs[-1]


@pytest.mark.parametrize("f, args", [
    (pops_by_index, (1,)), (pops_by_index, (-1,)), (pops_by_index, (0,)),
    (pops_the_front_of_a_queue, ()), (pops_at_a_moving_index, ()),
    (pops_in_a_statement_of_its_own, ())])
def test_list_pop_with_an_index(f, args):
    """helper-113: `xs.pop(i)` was refused ("xs.pop(i) with an index is not supported");
    the reverse sweep puts the item back with xs.insert(j, item), j where it was (i
    counted from the end where negative), and the item's adjoint goes back there."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal(3)
    full_check(f, (x,) + args)
    t = rng.standard_normal(3)
    h = 1e-6
    numeric = (f(x + h * t, *args) - f(x - h * t, *args)) / (2 * h)
    assert srcad.jvp(f, wrt=0)(x, *args, t)[1] == pytest.approx(numeric, rel=1e-6)
    np.testing.assert_allclose(srcad.hessian(f)(x, *args),
                               numeric_jacobian(lambda v: srcad.grad(f)(v, *args), x),
                               rtol=1e-6, atol=1e-7)


def test_list_pop_with_an_index_of_an_argument_and_pythons_errors():
    """The caller's list is left as it was; an index out of range, or no index, raises
    Python's own error, in both modes."""
    xs = [0.7, 1.3, 2.0]
    g = srcad.grad(pops_its_list_argument_by_index)(xs, -2)
    assert g == pytest.approx([1.3, 0.7, 1.0]) and xs == [0.7, 1.3, 2.0]
    assert srcad.jvp(pops_its_list_argument_by_index, wrt=0)(
        xs, 0, [0.0, 1.0, 0.0])[1] == pytest.approx(0.7)
    for i, error, message in ((3, IndexError, "pop index out of range"),
                              (-4, IndexError, "pop index out of range"),
                              (1.0, TypeError, "cannot be interpreted as an integer")):
        with pytest.raises(error, match=message):
            pops_its_list_argument_by_index(list(xs), i)
        with pytest.raises(error, match=message):
            srcad.grad(pops_its_list_argument_by_index)(xs, i)
        with pytest.raises(error, match=message):
            srcad.jvp(pops_its_list_argument_by_index, wrt=0)(xs, i, [1.0, 0.0, 0.0])
    with pytest.raises(IndexError, match="pop from empty list"):
        srcad.grad(pops_its_list_argument_by_index)([], 0)


def array_of_scalars(x):
    a = np.array([x, 2.0 * x, x * x])
    return a[0] * a[2] + np.sin(a[1])


def matrix_of_scalars(x):
    a = np.array([[x, 1.0], [x * x, np.cos(x)]])
    return np.sum(a @ a)


def written_elements(x):
    v = np.zeros(3)
    v[0] = x
    v[1] = x * x
    v[2] = np.sin(x)
    return np.sum(v * v) + v[1] * v[2]


def written_in_a_loop(x):
    v = np.zeros(4)
    for i in range(4):
        v[i] = np.sin(x * (i + 1))
    return np.sum(v * v) + v[2]


def appended_in_a_loop(x):
    acc = 0.0
    xs = []
    for i in range(5):
        acc = acc * 0.5 + np.tanh(x * i)
        xs.append(acc)
    return xs[1] * xs[3] + acc ** 2


def looped_over_a_list(x):
    rows = [x, 2.0 * x]
    out = 0.0
    for r in rows:
        out = out + r * r * x
    return out


@pytest.mark.parametrize("f", [array_of_scalars, matrix_of_scalars, written_elements,
                               written_in_a_loop, appended_in_a_loop, looped_over_a_list])
def test_grad_of_grad_through_indexing_and_the_gradients_stack(f):
    """Reverse over reverse through add_at/set_at/unarray (rules since the ninth session)
    and the pops of the gradient's own stack (an active list): against forward over
    reverse and against differences of the gradient."""
    for x in (0.37, 0.81, 1.3):
        second = srcad.grad(srcad.grad(f))(x)
        numeric = numeric_jacobian(lambda z: srcad.grad(f)(float(z[0])), [x])
        assert second == pytest.approx(float(numeric[0]), rel=1e-6, abs=1e-8)
        assert second == pytest.approx(srcad.hessian(f)(x), rel=1e-10, abs=1e-12)


# helper-26's round (realistic user code)


def sum_of_a_list_and_an_item(a):
    vals = [a, 3.0]
    return np.sum(vals) + vals[0]


def mean_of_a_list_and_a_square(ws):
    return np.mean(ws) * 2 + ws[1] ** 2


def max_of_a_tuple_and_an_item(pair):
    return np.max(pair) + pair[0] * pair[1]


def sum_of_list_of_arrays_and_an_item(x):
    ws = [x * 1.0, x ** 2]
    return np.sum(np.sum(ws, axis=0) * ws[1])


def test_a_list_read_by_numpy_and_by_an_index_keeps_both_adjoints():
    """np.sum(xs)'s adjoint is an array, xs[0]'s a list: add_grad added the list to zeros
    in place of the array's rows (a silently wrong gradient)."""
    assert srcad.grad(sum_of_a_list_and_an_item)(1.0) == pytest.approx(2.0)
    np.testing.assert_allclose(srcad.grad(mean_of_a_list_and_a_square)([0.5, 1.5, -2.0]),
                               [2 / 3, 2 / 3 + 3.0, 2 / 3], rtol=1e-12)
    np.testing.assert_allclose(srcad.grad(max_of_a_tuple_and_an_item)((0.5, 1.5)),
                               [1.5, 1.5], rtol=1e-12)
    x = np.array([0.3, -0.8])
    full_check(sum_of_list_of_arrays_and_an_item, (x,))
    assert srcad.hessian(sum_of_a_list_and_an_item)(1.0) == pytest.approx(0.0, abs=1e-12)


def square_of_a_list(ws):
    return np.sum(np.square(ws)) + np.sum(np.log(ws))


def powers_of_a_list(ws):
    return np.sum(np.power(ws, 3)) + np.sum(np.float_power(ws, 2.0)) + np.sum(
        np.sqrt(ws) * np.reciprocal(ws)) + np.sum(np.multiply(ws, ws)) + np.sum(np.hypot(ws, 1.0))


@pytest.mark.parametrize("f", [square_of_a_list, powers_of_a_list])
@pytest.mark.parametrize("make", [list, tuple])
def test_numpy_ufuncs_of_a_list_compute_their_derivatives_with_an_array(f, make):
    """A rule's `2 * x` repeated a list x (or failed: TypeError); its derivative now computes
    with np.asarray(x). The gradient of a list comes back as a list."""
    ws = make([0.5, 1.5, 2.5])
    grad = srcad.grad(f)(ws)
    assert type(grad) is make and len(grad) == 3
    numeric = numeric_jacobian(lambda z: f(make(z)), np.array(ws))
    np.testing.assert_allclose(np.array(grad), numeric, rtol=1e-6)
    for k in range(3):
        e = make(float(k == j) for j in range(3))
        assert srcad.jvp(f)(ws, e)[1] == pytest.approx(numeric[k], rel=1e-6)
    np.testing.assert_allclose(srcad.hessian(f)(ws), numeric_jacobian(
        lambda z: np.array(srcad.grad(f)(make(z))), np.array(ws)), rtol=1e-5, atol=1e-6)


def integrand(x, p):
    return np.sin(p[0] * x) * np.exp(-p[1] * x)


def simpson(p, a=0.0, b=3.0, n=4):
    h = (b - a) / n
    s = integrand(a, p) + integrand(b, p)
    for i in range(1, n):
        x = a + i * h
        if i % 2 == 1:
            s = s + 4 * integrand(x, p)
        else:
            s = s + 2 * integrand(x, p)
    return s * h / 3


def chained_products(x):
    total = 0.0
    for i in range(len(x) - 1):
        total += x[i] * x[i + 1]
    return total


def deleted_together(x):
    a = x * 2.0
    b = np.sin(x)
    del (a, b)
    return np.sum(x ** 3)


@pytest.mark.parametrize("f, x", [(simpson, [1.3, 0.4]), (chained_products, [1.0, 2.0, 3.0])])
def test_hessian_through_the_gradients_deletes_and_tapes_of_indices(f, x):
    """The gradient's `del (v_3, v_7, ...)` (a wrapped line) was refused as deleting an
    element; an index saved on one tape with varying values was taken for a varying
    argument of add_at (no derivative)."""
    x = np.array(x)
    numeric = numeric_jacobian(srcad.grad(f), x)
    np.testing.assert_allclose(srcad.hessian(f)(x), numeric, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(srcad.jacobian(srcad.grad(f))(x), numeric, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(srcad.hvp(f)(x, np.ones_like(x)), numeric @ np.ones_like(x),
                               rtol=1e-6, atol=1e-8)


def test_del_of_a_parenthesised_tuple_of_names():
    x = np.array([0.5, -1.0])
    np.testing.assert_allclose(srcad.grad(deleted_together)(x), 3 * x ** 2)


NODES = np.linspace(-1.0, 1.0, 5)
TABLE = np.array([[1.0, 2.0], [3.0, 4.0]])


def vandermonde_fit(c, xs):
    V = np.vander(xs, 3)              # no rule for np.vander: xs is a constant here
    r = V @ c - np.cos(xs)
    return r @ r


def centred_table(w):
    return np.sum((TABLE - TABLE.mean(axis=0)) @ w) + np.sum(TABLE.astype(np.float64) @ w)


def weights_by_name(params):
    out = 0.0
    for name, value in params.items():
        if name.startswith("W"):
            out = out + np.sum(value ** 2)
    return out


def sorted_in_place(x):
    y = x * 1.0
    t = y.sort()
    return np.sum(y * np.arange(3.0))


def diagonal_filled(A):
    B = A * 1.0
    t = np.fill_diagonal(B, 0.0)
    return np.sum(B * B)


def fft_of_the_input(x):
    return np.sum(np.fft.fft(x).real)


def test_calls_without_a_rule_on_constant_values():
    """A function or method srcad has no rule for, called on values that do not depend on
    the differentiated arguments, gives a constant (helper-26: np.vander of data, X.mean()
    of a module array, str.startswith of a dict key were refused)."""
    c = np.array([0.3, -0.2, 0.6])
    full_check(vandermonde_fit, (c, NODES))
    np.testing.assert_allclose(srcad.hessian(vandermonde_fit)(c, NODES), numeric_jacobian(
        lambda z: srcad.grad(vandermonde_fit)(z, NODES), c), rtol=1e-6, atol=1e-8)
    full_check(centred_table, (np.array([1.0, -1.0]),))
    grads = srcad.grad(weights_by_name)({"W0": np.array([1.0, 2.0]), "b0": np.array([0.5])})
    np.testing.assert_allclose(grads["W0"], [2.0, 4.0])
    np.testing.assert_allclose(grads["b0"], [0.0])


@pytest.mark.parametrize("f, x", [(sorted_in_place, np.array([3.0, 1.0, 2.0])),
                                  (diagonal_filled, np.ones((2, 2))),
                                  (fft_of_the_input, np.ones(4))])
def test_calls_without_a_rule_on_varying_values_are_refused(f, x):
    """Whatever becomes of the value: the call may change its argument in place (`y.sort()`
    returns None), and a chain of such calls must not hide the variation (`.real` of an
    fft gave a silent zero gradient while this was being written)."""
    with pytest.raises(srcad.MissingRuleError):
        srcad.grad(f)(x)
    with pytest.raises(srcad.MissingRuleError):
        srcad.jvp(f)(x, np.ones_like(x))


def largest_of_a_list(a, b):
    terms = [a * 2.0, b]
    return max(terms) + min(terms)


def largest_of_three(x):
    return max(x[0], x[1], x[2]) - min(x[0] * 2, x[1], x[2], 0.5)


def largest_of_an_array(x):
    return max(x) + min(t * t for t in x)


def test_builtin_max_and_min_of_one_sequence_or_many_values():
    """`max(xs)` and `max(a, b, c)` were refused (the rule takes two values)."""
    assert srcad.grad(largest_of_a_list, wrt=(0, 1))(1.0, 3.0) == (2.0, 1.0)
    x = np.array([1.0, 3.0, 2.0])
    for f in (largest_of_three, largest_of_an_array):
        full_check(f, (x,))
    np.testing.assert_allclose(srcad.hessian(largest_of_an_array)(x), np.diag([2.0, 0, 0]))


def scaled_by_comprehension(params):
    scaled = {k: 2.0 * v for k, v in params.items()}
    return np.sum(scaled["w"] ** 2) + np.sum(scaled["b"])


def keyed_squares(x):
    d = {i: x[i] ** 2 for i in range(3) if i != 1}
    return d[0] * d[2]


def test_dict_comprehensions():
    """(Refused before the ninth session: a dict comprehension is a loop storing items.)"""
    grads = srcad.grad(scaled_by_comprehension)({"w": np.array([1.0, 2.0]), "b": np.array(0.5)})
    np.testing.assert_allclose(grads["w"], [8.0, 16.0])
    assert grads["b"] == pytest.approx(2.0)
    full_check(keyed_squares, (np.array([0.5, 1.5, -2.0]),))


def scaled_copy_with_a_corner(x):
    y = x.copy()
    y *= 2.0
    y[0] -= 1.0
    return np.sum(y ** 2)


def history_of_states(W, x):
    H = np.zeros((4, 2))
    H[0] = x
    for t in range(3):
        H[t + 1] = np.tanh(W @ H[t])
    return np.sum(H ** 2)


def test_a_second_order_refusal_points_at_the_users_line():
    """Differentiating the gradient again can meet an element write that the alias check
    refuses (here rows of a matrix read before the next is written); the error named
    generated names (v_1, v_3) in `<srcad grad_f #1>`."""
    W, x = np.array([[0.5, 0.1], [-0.2, 0.3]]), np.array([0.3, -0.4])
    with pytest.raises(srcad.UnsupportedError) as info:
        srcad.hessian(history_of_states)(W, x)
    error = info.value
    assert error.location.filename == __file__
    assert "H[t + 1] = np.tanh(W @ H[t])" in error.location.text
    assert "gradient of history_of_states again" in str(error)
    assert "v_" not in str(error)


def test_second_derivatives_through_a_row_write():
    """The gradient's views of the array it writes into are read for their shape only
    (`unbroadcast(g, v_2)`): refused before the seventeenth session."""
    x = np.array([[0.3, 0.5], [0.1, -0.2]])
    h = srcad.hessian(scaled_copy_with_a_corner)(x)
    np.testing.assert_allclose(h.reshape(4, 4), 8.0 * np.eye(4))


def test_second_derivatives_through_an_element_write_of_a_vector():
    """The same function of a vector: y[0] is a number, which the gradient's saved copy of
    it shares nothing with (refused before this session)."""
    x = np.array([0.3, 0.5, -0.7])
    np.testing.assert_allclose(srcad.hessian(scaled_copy_with_a_corner)(x), 8.0 * np.eye(3))
    np.testing.assert_allclose(srcad.jacobian(srcad.grad(scaled_copy_with_a_corner),
                                              mode="reverse")(x), 8.0 * np.eye(3))


def reversed_into_a_list(xs):
    ys = list(reversed(xs))
    return ys[0] * ys[1]


def sum_of_reversed(xs):
    return sum(reversed(xs))


def zipped_into_a_list(xs):
    ys = list(zip(xs, xs))
    return ys[0][0] * ys[1][1]


def loops_over_enumerate_zip_reversed(xs):
    s = 0.0
    for i, v in enumerate(xs):
        s = s + v * i
    for a, b in zip(xs, reversed(xs)):
        s = s + a * b
    for v in reversed(xs):
        s = s * v
    return s


@pytest.mark.parametrize("f", [reversed_into_a_list, sum_of_reversed, zipped_into_a_list])
def test_enumerate_zip_reversed_of_varying_values_outside_a_loop_are_refused(f):
    """They were registered with a zero derivative: `sum(reversed(xs))` had a zero
    gradient, and so had `list(reversed(xs))` with calls of rule-less functions on
    constants allowed (helper-27)."""
    xs = np.array([0.3, 0.7])
    with pytest.raises(srcad.UnsupportedError, match="outside a for statement"):
        srcad.grad(f)(xs)
    with pytest.raises(srcad.UnsupportedError, match="outside a for statement"):
        srcad.jvp(f)(xs, np.ones(2))


def test_for_statements_over_enumerate_zip_reversed():
    full_check(loops_over_enumerate_zip_reversed, (np.array([0.5, 1.5, -0.7]),))


def largest_key(x):
    d = {"a": x[0], "b": x[1] * 2.0}
    return d[max(d)] * 2.0


def largest_pair(x):
    v, i = max([(x[0] ** 2, 0), (x[1] ** 2, 1)])
    return v + i


def test_builtin_max_of_things_other_than_numbers_keeps_pythons_value():
    """max(d) of a dict is its largest key, not NumPy's max (helper-27); max of tuples
    compares them in turn: its value is Python's, its derivative refused when it runs."""
    x = np.array([0.3, 0.7])
    np.testing.assert_allclose(srcad.grad(largest_key)(x), [0.0, 4.0])
    with pytest.raises(srcad.UnsupportedError, match="other things than numbers"):
        srcad.grad(largest_pair)(x)


# helper-27's round (this session's changes, adversarially)


def pops_a_list_it_looped_over(x):
    xs = [x, 2 * x, 3 * x]
    s = 0.0
    for v in xs:
        s = s + v * v
    xs.pop()
    return s + xs[-1]


def pops_its_list_argument(xs):
    a = xs.pop()
    return a * xs[0]


def array_minus_a_list(xs):
    C = np.array([1.0, 2.0, 3.0])
    return np.sum((C - xs) ** 2) + np.sum(C / xs)


def ragged_pair(x):
    return (x, np.ones(2))


def test_a_pop_of_a_list_a_loop_went_over_is_refused_in_reverse_mode():
    """The loop's name for the list kept the old length: IndexError."""
    with pytest.raises(srcad.UnsupportedError, match="list.pop"):
        srcad.grad(pops_a_list_it_looped_over)(0.7)
    assert srcad.jvp(pops_a_list_it_looped_over)(0.7, 1.0)[1] == pytest.approx(28 * 0.7 + 2)


def test_jvp_leaves_the_callers_tangent_list_as_it_was():
    xs, t = [0.7, 1.3, 2.0], [1.0, 0.0, 0.0]
    assert srcad.jvp(pops_its_list_argument)(xs, t)[1] == pytest.approx(2.0)
    assert xs == [0.7, 1.3, 2.0] and t == [1.0, 0.0, 0.0]


def test_reverse_mode_pops_a_copy_of_its_list_argument():
    """The entry binding `v_0 = xs.copy()` is no second name of the list: the pop was
    refused as if a loop went over it."""
    xs = [0.7, 1.3, 2.0]
    assert srcad.grad(pops_its_list_argument)(xs) == pytest.approx([2.0, 0.0, 0.7])
    assert xs == [0.7, 1.3, 2.0]


def test_jvp_of_an_array_minus_a_list():
    xs = [0.3, 0.7, 0.9]
    grad = srcad.grad(array_minus_a_list)(xs)
    for k in range(3):
        e = [float(k == j) for j in range(3)]
        assert srcad.jvp(array_minus_a_list)(xs, e)[1] == pytest.approx(grad[k])


def test_grad_of_a_ragged_tuple_says_it_is_not_scalar():
    with pytest.raises(srcad.NonScalarOutputError, match="tuple"):
        srcad.grad(ragged_pair)(0.5)


def dict_item_rewritten(x):
    d = {"a": x * 1.0}
    d["b"] = x ** 2
    d["a"] = d["a"] * d["b"]
    return d["a"] + d["b"]


def dict_of_lists_rewritten(x):
    d = {"a": [x, x * x], "b": [x * 1.0]}
    d["a"] = d["a"] + [d["b"][0] * 2.0]
    return d["a"][2] * d["a"][1]


def test_any_second_order_refusal_in_generated_code_points_at_the_users_line():
    """(helper-27: `<srcad grad_f16 #41>:31:8: a call whose result is unused`.) helper-100:
    the dict item writes of dict_item_rewritten differentiate again (f'' = 6x + 2); the
    item taken from an item of the dict, which srcad cannot show the write leaves alone,
    is still refused, at the user's line."""
    assert srcad.hessian(dict_item_rewritten)(0.7) == pytest.approx(6 * 0.7 + 2, rel=1e-12)
    with pytest.raises(srcad.UnsupportedError) as info:
        srcad.hessian(dict_of_lists_rewritten)(0.7)
    assert info.value.location.filename == __file__
    assert 'd["a"] = d["a"] + [d["b"][0] * 2.0]' in info.value.location.text
    assert "gradient of dict_of_lists_rewritten again" in str(info.value)


# ----- a dict given to a callee that iterates it; dicts srcad cannot tell -----

def squares_of_values(d):
    s = 0.0
    for k in d:
        s = s + d[k] ** 2
    return s


def through_a_callee(d):
    return squares_of_values(d) * 2.0


def nested_dict(outer):
    s = 0.0
    for k in outer["inner"]:
        s = s + outer["inner"][k]
    return s


def keyword_only_dict(x, *, e):
    s = 0.0
    for k in e:
        s = s + e[k] * x
    return s


def test_a_dict_argument_passed_on_to_a_callee_walks_its_keys():
    d = {"a": 0.5, "b": 1.5}
    g = srcad.grad(through_a_callee)(d)
    assert g["a"] == pytest.approx(2.0) and g["b"] == pytest.approx(6.0)


def test_loops_over_dicts_srcad_took_for_lists_are_refused():
    """They indexed the dict: a bare KeyError: 0."""
    with pytest.raises(srcad.SrcadError, match="loop over d.keys"):
        srcad.grad(nested_dict)({"inner": {"a": 0.5}})
    with pytest.raises(srcad.SrcadError, match="loop over d.keys"):
        srcad.grad(keyword_only_dict)(0.3, e={"a": 0.5})


def scaled_and_shifted(x, *, scale=2.0, shift):
    return np.sum((x - shift) ** 2) * scale ** 2


def test_wrt_names_a_keyword_only_parameter():
    """grad, value_and_grad, vjp and jvp differentiate a keyword-only parameter that wrt
    names (it was refused: 'srcad differentiates positional parameters'), passed by name
    or left to its default, a dict one walking its keys; jacobian, hessian, hvp and
    check_grad, which take the arguments by position, still refuse it, with what does."""
    x = np.array([1.0, 2.0])

    def differences(f, value, h=1e-6):
        return (f(value + h) - f(value - h)) / (2 * h)

    g = srcad.grad(scaled_and_shifted, wrt=("x", "scale", "shift"))(x, shift=0.5)
    assert g[1] == pytest.approx(differences(
        lambda s: scaled_and_shifted(x, scale=s, shift=0.5), 2.0), rel=1e-6)
    assert g[2] == pytest.approx(differences(
        lambda s: scaled_and_shifted(x, shift=s), 0.5), rel=1e-6)
    np.testing.assert_allclose(g[0], numeric_jacobian(
        lambda z: scaled_and_shifted(z, shift=0.5), x), rtol=1e-6)
    value, slope = srcad.value_and_grad(scaled_and_shifted, wrt="shift")(
        x, shift=0.5, scale=3.0)
    assert value == pytest.approx(22.5) and slope == pytest.approx(differences(
        lambda s: scaled_and_shifted(x, shift=s, scale=3.0), 0.5), rel=1e-6)
    assert srcad.vjp(scaled_and_shifted, wrt="shift")(x, shift=0.5, scale=3.0)[1](1.0) \
        == pytest.approx(slope)
    assert srcad.jvp(scaled_and_shifted, wrt="shift")(x, 1.0, shift=0.5, scale=3.0)[1] \
        == pytest.approx(slope)
    inner = srcad.grad(scaled_and_shifted, wrt="shift")
    assert srcad.grad(inner, wrt="shift")(x, shift=0.5) == pytest.approx(differences(
        lambda s: inner(x, shift=s), 0.5), rel=1e-6)
    assert srcad.grad(keyword_only_dict, wrt=("x", "e"))(0.3, e={"a": 0.5, "b": 2.0}) \
        == (pytest.approx(2.5), {"a": pytest.approx(0.3), "b": pytest.approx(0.3)})
    with pytest.raises(srcad.WrtError, match="jacobian, hessian, hvp and check_grad"):
        srcad.hessian(scaled_and_shifted, wrt="shift")(x, shift=0.5)


def doubles_in_place(x):
    x[0] = x[0] * 2.0
    return np.sum(x ** 2)


def test_vjp_of_a_function_that_changes_its_argument():
    """vjp ran the function on the caller's array first: the pullback then differentiated
    at the changed values (and the caller's array changed)."""
    x = np.array([0.5, 1.5])
    value, pullback = srcad.vjp(doubles_in_place)(x)
    np.testing.assert_allclose(pullback(1.0), [4.0, 3.0])
    np.testing.assert_array_equal(x, [0.5, 1.5])
    assert value == pytest.approx(3.25)


def test_a_dict_loop_refused_when_it_runs_names_its_line():
    with pytest.raises(srcad.SrcadError) as info:
        srcad.grad(nested_dict)({"inner": {"a": 0.5}})
    assert info.value.location.line == nested_dict.__code__.co_firstlineno + 2


def walks_an_item(ms, x):
    s = 0.0
    m = ms[0]
    for k in m:
        s = s + x * k
    return s


def walks_a_mapping(d, x):
    s = 0.0
    for k in d:
        s = s + x * k
    return s


def unpacks_a_dict(x, d):
    a, b = d
    return x * a + x * b


def squares_of_a_display(x):
    return squares_of_values({"a": x, "b": 2.0 * x})


def test_dicts_and_sets_srcad_takes_for_lists_are_refused():
    """A dict with the keys 0 and 1 was walked by index: its values, silently."""
    import collections
    with pytest.raises(srcad.SrcadError, match="dict or a set"):
        srcad.grad(walks_an_item, wrt=1)([{0: 2.0, 1: 3.0}], 0.5)
    for mapping in (collections.UserDict({0: 2.0, 1: 3.0}), {0.0, 1.0}):
        with pytest.raises(srcad.SrcadError, match="dict or a set"):
            srcad.grad(walks_a_mapping, wrt=1)(mapping, 0.5)
    assert srcad.grad(unpacks_a_dict)(0.5, {0: 2.0, 1: 3.0}) == pytest.approx(1.0)
    assert srcad.grad(squares_of_a_display)(0.5) == pytest.approx(10 * 0.5)


class Locked:
    def __init__(self):
        import threading
        self.lock = threading.Lock()
        self.scale = 3.0


def scaled_square(x, config):
    return config.scale * x * x


def test_an_argument_that_cannot_be_copied():
    """The first call ran the function on deep copies: a bare TypeError for a lock."""
    assert srcad.grad(scaled_square)(0.5, Locked()) == pytest.approx(3.0)


def test_vjp_pullback_keeps_the_arguments_of_the_forward_call():
    x = np.array([1.0, 2.0, 3.0])
    value, pullback = srcad.vjp(lambda_free_square)(x)
    x *= 10.0
    np.testing.assert_allclose(pullback(np.ones(3)), [2.0, 4.0, 6.0])


def lambda_free_square(x):
    return x * x


def walks_a_rebound_display(x, ds):
    t = 0.0
    xs = [1.0]
    for xs in ds:
        for v in xs:
            t = t + x * v
    return t


def walks_a_union(x, ds):
    t = 0.0
    a = ds[0] | ds[1]
    for v in a:
        t = t + x * v
    return t


def walks_an_iterator(x, it):
    t = 0.0
    for v in it:
        t = t + x * v
    return t


def changes_an_attribute(x, p):
    b = p.a
    b[0] = b[0] + 1.0
    return x * b[0]


def test_more_loops_over_what_srcad_cannot_index_are_refused():
    """A display rebound by a loop target, a dict union: walked by index (wrong numbers)."""
    with pytest.raises(srcad.SrcadError, match="dict or a set"):
        srcad.grad(walks_a_rebound_display)(2.0, [{0: 5.0, 1: 7.0}])
    with pytest.raises(srcad.SrcadError, match="dict or a set"):
        srcad.grad(walks_a_union)(2.0, [{0: 5.0}, {1: 7.0}])
    with pytest.raises(srcad.SrcadError, match="cannot index"):
        srcad.grad(walks_an_iterator, wrt=0)(2.0, {0: 5.0}.values())


def test_an_uncopyable_argument_the_function_changes_is_refused():
    """Run on the original, the first call's check changed it before the derivative ran."""
    p = Locked()
    p.a = [1.0, 2.0]
    with pytest.raises(srcad.ArgumentError, match="cannot be copied"):
        srcad.grad(changes_an_attribute)(2.0, p)
    assert p.a == [1.0, 2.0]


def walks_a_dict_backwards(x, d):
    t = 0.0
    for k in reversed(d):
        t = t + x * d[k]
    return t


def walks_a_list_backwards(x, xs):
    t = 0.0
    for v in reversed(xs):
        t = t * 0.5 + x * v
    return t


def test_reversed_of_a_dict_walks_its_keys_back_and_of_a_list_its_items():
    # t = x d[1] + x d[0] (walked last key first): refused until the eleventh session
    gx, gd = srcad.grad(walks_a_dict_backwards, wrt=(0, 1))(2.0, {0: 5.0, 1: 7.0})
    assert gx == pytest.approx(12.0) and gd == {0: 2.0, 1: 2.0}
    # t = 0.5 (0.5 (4 x) + 2 x) + 1 x: the first item walked (the last) is halved twice
    assert srcad.grad(walks_a_list_backwards)(2.0, [1.0, 2.0, 4.0]) == pytest.approx(
        0.25 * 4.0 + 0.5 * 2.0 + 1.0)


def test_reversed_of_a_deque_is_refused_at_the_users_line():
    """A deque has a length and items but no slices: generated code walked `xs[::-1]` and
    a bare TypeError escaped."""
    with pytest.raises(srcad.SrcadError, match=r"reversed\(...\) of a deque") as caught:
        srcad.grad(walks_a_list_backwards)(2.0, collections.deque([1.0, 2.0, 4.0]))
    assert "for v in reversed(xs)" in str(caught.value)
    assert srcad.grad(walks_a_list_backwards)(2.0, (1.0, 2.0, 4.0)) == pytest.approx(3.0)
    assert "check_reversible(v_0)" in srcad.grad(walks_a_list_backwards).compiled(
        (2.0, [1.0, 2.0])).source


def walks_a_made_dict_backwards(x):
    d = {"a": x, "b": 2.0 * x, "c": x * x}
    t = 0.0
    for k in reversed(d):
        t = t * 0.5 + d[k]
    return t


def test_reversed_of_a_dict_display_walks_its_keys_back():
    # c, b, a: t = 0.25 x^2 + 2 x
    assert srcad.grad(walks_a_made_dict_backwards)(2.0) == pytest.approx(3.0)
    assert srcad.hessian(walks_a_made_dict_backwards)(2.0) == pytest.approx(0.5)
    d = {"a": 1.0, "b": 2.0, "c": 4.0}
    gx, gd = srcad.grad(walks_a_dict_backwards, wrt=(0, 1))(2.0, d)
    assert gx == pytest.approx(7.0) and gd == {"a": 2.0, "b": 2.0, "c": 2.0}


# ----- the eleventh session's last round (helper-36) -----

def diag_of(x):
    return np.einsum("ii->i", x)          # a view of x


def written_under_a_returned_view(A):
    B = A * 1.0
    d = diag_of(B)
    B[0, 0] = A[0, 1] * 5.0               # d[0] too
    return np.sum(d * d)


def new_key_in_a_dict_copy(w):
    d = {"a": w}
    e = d.copy()
    e["c"] = w ** 3
    return np.sum(e["a"] * e["c"])


class Backwards(list):
    def __reversed__(self):
        return iter(list.__iter__(self))  # (not backwards at all)


def test_a_returned_einsum_view_a_dict_copy_and_a_list_walking_back_its_own_way():
    with pytest.raises(srcad.UnsupportedError, match="also reached through 'd'"):
        srcad.grad(written_under_a_returned_view)(np.array([[0.3, 0.7], [1.1, -0.4]]))
    w = np.array([0.3, 0.7])
    np.testing.assert_allclose(srcad.grad(new_key_in_a_dict_copy)(w), 4 * w ** 3)  # (a bare KeyError)
    with pytest.raises(srcad.SrcadError, match="own __reversed__"):
        srcad.grad(walks_a_list_backwards)(2.0, Backwards([1.0, 2.0, 4.0]))


def new_key_in_a_comprehensions_dict(w):
    d = {k: w * 1.0 for k in "a"}
    d["c"] = w ** 3
    return np.sum(d["a"] * d["c"])


def test_a_new_key_in_a_dict_made_by_a_comprehension():
    """Adjoints of the dict before and after the key came added with a KeyError (and a key
    only the second one had would have been dropped)."""
    w = np.array([0.3, 0.7])
    np.testing.assert_allclose(srcad.grad(new_key_in_a_comprehensions_dict)(w), 4 * w ** 3)
    assert srcad.runtime.add_grad({"a": 1.0}, {"a": 2.0, "c": 3.0}) == {"a": 3.0, "c": 3.0}


def test_a_helper_named_like_a_users_function_the_function_never_calls(tmp_path):
    """`list(xs)` is `listed(xs)` in the IR; a module with its own `def listed` that the
    function does not call made `listed` mean the user's function, whose derivative called
    itself (RecursionError; helper-37's test file had one)."""
    from conftest import load_module
    mod = load_module(tmp_path, """
        def listed(xs):
            return list(xs)

        def f(xs):
            ys = list(xs)
            return ys[0] * 2.0 + ys[1] * 3.0

        def g(x):
            ys = listed([x, 2.0 * x])
            return ys[0] * ys[1]
        """)
    assert srcad.grad(mod.f)([0.3, 0.7]) == [2.0, 3.0]
    assert srcad.grad(mod.g)(0.3) == pytest.approx(4.0 * 0.3)


def masked_sum_squared(x):
    y = x[x > 0.2]
    return np.sum((y * np.sum(y)) ** 2)


def masked_variance(x):
    y = x[x > 0.0]
    return np.sum((y - y.mean()) ** 2)


def masked_scaled(x, s):
    z = x[np.abs(x) > 0.2]
    return s * np.sum(z) + np.sum(z * s)


def test_a_mask_made_by_a_comparison_is_no_number():
    """`x[x > c]`: the comparison of an array was taken for a number, so its selection for
    one element, and adjoints reaching a number from it were not summed (helper-37: wrong
    gradients, and an array for the gradient of a float)."""
    x = np.array([0.5, -1.0, 0.9, 0.3, -0.3])
    full_check(masked_sum_squared, (x,))
    full_check(masked_variance, (x,))
    grads = full_check(masked_scaled, (x, 1.7), wrt=(0, 1))
    assert np.ndim(grads[1]) == 0 and grads[1] == pytest.approx(2.0 * np.sum(x[np.abs(x) > 0.2]))


def times_twice(x, y):
    return x * x * y


def first_twice(xs):
    return xs[0] * 2.0 + xs[1]


def test_a_float_too_many_after_float_calls_is_an_error_not_the_seed():
    """After a call with floats, the quickest path passed a third float on as the seed
    (`grad_f(x, y, vbar_3)`: the gradient times 7.0), and one float too few was a bare
    TypeError (helper-38)."""
    g = srcad.grad(times_twice)
    assert g(0.5, 0.3) == pytest.approx(0.3)
    with pytest.raises(srcad.ArgumentError, match="too many"):
        g(0.5, 0.3, 7.0)
    with pytest.raises(srcad.ArgumentError, match="missing"):
        g(0.5)
    both = srcad.grad(times_twice, wrt=(0, 1))
    assert both(0.5, 0.3) == pytest.approx((0.3, 0.25))
    with pytest.raises(srcad.ArgumentError):
        both(0.5, 0.3, 7.0)
    assert g(0.5, 0.3) == pytest.approx(0.3)


def test_the_output_check_looks_inside_lists_and_dicts():
    """A list of floats, then one of arrays: the second call skipped the check that the
    output is a number and gave the gradient of its sum (helper-38)."""
    g = srcad.grad(first_twice)
    assert g([1.0, 2.0]) == [2.0, 1.0]
    with pytest.raises(srcad.NonScalarOutputError):
        g([np.array([1.0, 2.0]), np.array([3.0, 4.0])])
    with pytest.raises(srcad.NonScalarOutputError):
        g((np.array([1.0, 2.0]), 3.0))


def writes_through_asarray(x):
    y = np.asarray(x)
    y[0] = 5.0 * y[0]
    return np.sum(y ** 2)


def writes_through_ravel(x):
    y = np.ravel(x)
    y[0] = 2.0 * y[0]
    return y ** 2


def doubles_then_cubes(x):
    x *= 2.0
    return x ** 3


@pytest.mark.parametrize("f", [writes_through_asarray, writes_through_ravel])
def test_jvp_leaves_an_array_changed_through_a_view_alone(f):
    """`y = np.asarray(x); y[0] = ...`: jvp's code wrote into the caller's x (grad's
    restores it in the reverse sweep), and the forward Jacobian's later columns started
    from the changed x (helper-37)."""
    x = np.array([1.0, 2.0, 3.0])
    value, tangent = srcad.jvp(f)(x, np.array([1.0, 0.0, 0.0]))
    np.testing.assert_array_equal(x, [1.0, 2.0, 3.0])
    np.testing.assert_allclose(value, f(x.copy()))
    jac = srcad.jacobian(f, mode="forward")(x)
    np.testing.assert_array_equal(x, [1.0, 2.0, 3.0])
    np.testing.assert_allclose(jac, numeric_jacobian(lambda v: f(v.copy()), x), rtol=1e-6)


@pytest.mark.parametrize("mode", ["forward", "reverse"])
def test_jacobian_is_taken_at_the_arguments_as_given(mode):
    """jacobian ran the function itself on the caller's array first: `x *= 2.0` changed it,
    and the Jacobian was taken at 2x (helper-37)."""
    x = np.array([1.0, 2.0, 3.0])
    jac = srcad.jacobian(doubles_then_cubes, mode=mode)(x)
    np.testing.assert_array_equal(x, [1.0, 2.0, 3.0])
    np.testing.assert_allclose(np.diag(jac), 24.0 * x ** 2)


def cholesky_log_det(A):
    n = A.shape[0]
    L = np.zeros_like(A)
    for i in range(n):
        for j in range(i + 1):
            s = A[i, j]
            for k in range(j):
                s -= L[i, k] * L[j, k]
            if i == j:
                L[i, j] = np.sqrt(s)
            else:
                L[i, j] = s / L[j, j]
    return np.sum(np.log(np.diag(L)))


def squares_where_positive(x):
    idx = np.where(x > 0)[0]
    return np.sum(x[idx] ** 2)


def squares_from_one(xs):
    return sum((x * x for x in xs), 1.0)


def test_false_refusals_of_helper_37():
    """A textbook Cholesky (`s = A[i, j]` is a number: `s -= ...` changes no array; L from
    np.zeros_like(A) has A's dimensions), np.where(c) of one argument (np.nonzero's
    indices), sum((... for ...), start)."""
    A = np.array([[2.0, 0.3, 0.1], [0.3, 1.5, -0.2], [0.1, -0.2, 1.2]])
    grad = full_check(cholesky_log_det, (A,))
    np.testing.assert_allclose(np.tril(grad, -1), np.tril(np.linalg.inv(A), -1))
    np.testing.assert_allclose(np.diag(grad), 0.5 * np.diag(np.linalg.inv(A)))
    full_check(squares_where_positive, (np.array([0.3, -0.5, 1.2]),))
    assert srcad.grad(squares_from_one)([0.3, 1.2]) == pytest.approx([0.6, 2.4])


def sum_of_values_times_a(d):
    return sum(d.values()) * d["a"]


def stacked_values(d):
    return np.sum(np.stack(list(d.values())) ** 2)


def values_of_a_display(x):
    d = {"a": x, "b": 2.0 * x}
    return np.sum(sum(d.values()) ** 2)


def test_dict_values_outside_a_for_statement():
    """`sum(d.values())`, `list(d.values())`: "no derivative rule for the method
    '.values()'" (helper-37); they are [d[k] for k in d.keys()]."""
    grads = srcad.grad(sum_of_values_times_a)({"a": 0.3, "b": 0.7})
    assert grads == pytest.approx({"a": 2 * 0.3 + 0.7, "b": 0.3})
    d = {"a": np.array([0.3, 0.1]), "b": np.array([0.7, -0.2])}
    grads = srcad.grad(stacked_values)(d)
    for k in d:
        np.testing.assert_allclose(grads[k], 2.0 * d[k])
    full_check(values_of_a_display, (np.array([0.5, 1.0]),))
    np.testing.assert_allclose(srcad.hessian(values_of_a_display)(np.array([0.5, 1.0])),
                               18.0 * np.eye(2))


def test_a_hessian_with_respect_to_a_dict_is_a_dict_of_dicts():
    """As jax.hessian gives it, {a: {b: block}} (helper-66: refused before); a dict holding
    a list says what it takes, and so do several wrt with a dict among them."""
    H = srcad.hessian(sum_of_values_times_a)({"a": 0.3, "b": 0.7})
    assert H == {"a": {"a": pytest.approx(2.0), "b": pytest.approx(1.0)},
                 "b": {"a": pytest.approx(1.0), "b": pytest.approx(0.0)}}
    d = {"a": np.array([0.3, 0.1]), "b": np.array([0.7, -0.2])}
    H = srcad.hessian(stacked_values)(d)
    np.testing.assert_allclose(H["a"]["a"], 2.0 * np.eye(2))
    np.testing.assert_allclose(H["a"]["b"], np.zeros((2, 2)))
    with pytest.raises(srcad.ArgumentError, match="a dict of numbers and arrays"):
        srcad.hessian(sum_of_values_times_a)({"a": 0.3, "b": [0.7]})


RNN_INPUTS = np.random.default_rng(5).standard_normal((5, 2))


def rnn_of_two_matrices(theta):
    Wh = theta[:4].reshape(2, 2)
    Wx = theta[4:8].reshape(2, 2)
    h = np.zeros(2)
    for t in range(3):
        h = np.tanh(Wh @ h + Wx @ RNN_INPUTS[t])
    return np.sum(h ** 2)


def rnn_stacking_its_states(W):
    h = np.array([0.2, -0.1])
    hs = []
    for t in range(RNN_INPUTS.shape[0]):
        h = np.tanh(W @ h + RNN_INPUTS[t])
        hs.append(h)
    H = np.stack(hs)
    return np.sum(H[:, 0] ** 2) + 0.1 * np.sum(H[:, 1] ** 2)


@pytest.mark.parametrize("f, x", [(rnn_of_two_matrices, np.linspace(-0.5, 0.6, 8)),
                                  (rnn_stacking_its_states,
                                   np.array([[0.3, -0.2], [0.5, 0.1]]))])
def test_second_derivatives_of_an_rnn_whose_gradient_batches_outer_products(f, x):
    """The optimised gradient collects `vbar @ h.T` terms in a list (batch_outer_products),
    which differentiating it again refused; its plain code is differentiated instead
    (helper-40)."""
    v = np.ones_like(x)
    g = srcad.grad(f)
    expected = (g(x + 1e-6 * v) - g(x - 1e-6 * v)) / 2e-6
    np.testing.assert_allclose(srcad.hvp(f)(x, v), expected, rtol=1e-6, atol=1e-8)
    hess = srcad.hessian(f)(x).reshape(x.size, x.size)
    np.testing.assert_allclose(hess @ v.ravel(), expected.ravel(), rtol=1e-6, atol=1e-8)


def make_scaled_sine(k):
    def scaled_sine(x):
        return np.sum(np.sin(x) * k)
    return scaled_sine


def test_vjp_of_a_second_closure_of_one_def():
    """The second closure shares the first one's derivative: vjp read its output's name,
    which that copy lacked (a bare AttributeError)."""
    x = np.array([0.3, 0.5])
    srcad.vjp(make_scaled_sine(2.0))(x)
    value, pullback = srcad.vjp(make_scaled_sine(3.0))(x)
    np.testing.assert_allclose(pullback(1.0), 3.0 * np.cos(x))
    np.testing.assert_allclose(srcad.hvp(make_scaled_sine(5.0))(x, np.ones(2)), -5 * np.sin(x))


def inner_loss(w, x):
    return np.sum((w * x - 1.0) ** 2) + 0.1 * np.sum(w ** 4)


d_inner_loss = srcad.grad(inner_loss)
value_and_grad_inner_loss = srcad.value_and_grad(inner_loss)


def unrolled_descent(lr):
    w = np.array([0.5, -0.3])
    x = np.array([1.2, 0.7])
    for _ in range(3):
        w = w - lr * d_inner_loss(w, x)
    return np.sum(w ** 2)


def unrolled_with_values(lr):
    w = np.array([0.5, -0.3])
    x = np.array([1.2, 0.7])
    total = 0.0
    for _ in range(3):
        v, g = value_and_grad_inner_loss(w, x)
        total = total + v
        w = w - lr * g
    return total + np.sum(w ** 2)


@pytest.mark.parametrize("f", [unrolled_descent, unrolled_with_values])
def test_a_function_that_calls_a_derivative_object(f):
    """Unrolled gradient descent (MAML): "no derivative rule for d_inner" (helper-40). The
    derivative object's generated code is differentiated as a function of the user's."""
    lr, e = 0.05, 1e-6
    fd = (f(lr + e) - f(lr - e)) / (2 * e)
    assert srcad.grad(f)(lr) == pytest.approx(fd, rel=1e-7)
    assert srcad.jvp(f)(lr, 1.0)[1] == pytest.approx(fd, rel=1e-7)
    g = srcad.grad(f)
    assert srcad.hessian(f)(lr) == pytest.approx((g(lr + 1e-5) - g(lr - 1e-5)) / 2e-5,
                                                 rel=1e-6)


WEIGHTS_3 = np.array([0.3, -0.5, 1.1])


def sum_over_a_module_array(a):
    s = 0.0
    for d in WEIGHTS_3:
        s = s + np.exp(-a * d * d) * d
    return s


def test_a_third_order_refusal_points_at_the_users_line():
    """It pointed into srcad's generated code (`<srcad grad_f #1>:26:12`, helper-40): the
    gradient's line comes from generated code, whose own comment names the user's."""
    g3 = srcad.grad(srcad.grad(srcad.grad(sum_over_a_module_array)))
    with pytest.raises(srcad.UnsupportedError) as info:
        g3(0.7)
    assert info.value.location.filename == __file__
    lines, first = inspect.getsourcelines(sum_over_a_module_array)
    assert info.value.location.text.strip() in [line.strip() for line in lines[1:]]
    assert "sum_over_a_module_array" in str(info.value)


def first_and_rest(v):
    first, *rest = v
    return first * np.sum(np.array(rest) ** 2)


def ends_and_middle(v):
    a, *m, z = v
    return a * z + sum(m) * 2.0


def test_starred_assignment():
    """`first, *rest = v` (helper-37: "starred assignment is not supported"): the starred
    name is the list of the other items, as Python makes it."""
    x = np.array([0.3, 1.2, -0.5, 0.9])
    full_check(first_and_rest, (x,))
    full_check(ends_and_middle, (x,))
    assert srcad.grad(ends_and_middle)([0.3, 1.2, -0.5]) == pytest.approx([-0.5, 2.0, 0.3])
    g = srcad.grad(first_and_rest)
    fd = np.stack([(g(x + 1e-6 * d) - g(x - 1e-6 * d)) / 2e-6 for d in np.eye(4)], axis=1)
    np.testing.assert_allclose(srcad.hessian(first_and_rest)(x), fd, rtol=1e-6, atol=1e-8)


def test_helper_41s_round(tmp_path):
    """A derivative object's callee defined again: the derivative of a function calling
    the object kept the old callee's code (wrong numbers). `vs = d.values()` kept as a
    name is a view that later writes change (it was taken as a list then: wrong numbers;
    now refused). sum(..., []) joins lists (differentiated as a sum: wrong numbers).
    `.values()` of an object that is no dict, and a callable object whose __getattr__
    answers anything (bare TypeError and AttributeError)."""
    from conftest import load_module
    mod = load_module(tmp_path, """
        import numpy as np
        import srcad

        def helper(w):
            return np.sum(w ** 2)

        def helper2(w):
            return np.sum(w ** 3)

        def loss(w):
            return helper(w)

        d = srcad.grad(loss)

        def f(w):
            return np.sum(d(w) ** 2)

        def view_then_write(x):
            d = {"a": x}
            vs = d.values()
            d["b"] = 2.0 * x
            return sum(vs)

        def joins(xs):
            ys = sum([[x, 2.0 * x] for x in xs], [])
            return ys[0] * ys[3]

        def joins_from_a_name(x):
            acc = []
            ys = sum([[x, 3.0], [2.0 * x]], acc)
            return ys[2] * x

        class Bag:
            def __init__(self, x):
                self.x = x

            def values(self):
                return [self.x, 2.0 * self.x]

        def bag_values(x):
            bag = Bag(x)
            return sum(bag.values())

        class Config:
            def __init__(self):
                self.k = 2.0

            def __call__(self, x):
                return self.k * x

            def __getattr__(self, name):
                return 1.0

        LAYER = Config()

        def through_config(x):
            return LAYER(x) * x
        """)
    w = np.array([0.5, -0.3])
    g = srcad.grad(mod.f)
    np.testing.assert_allclose(g(w), 8.0 * w)
    mod.helper = mod.helper2
    np.testing.assert_allclose(g(w), 36.0 * w ** 3)
    for call in (lambda: srcad.grad(mod.view_then_write)(0.5),
                 lambda: srcad.grad(mod.joins)([0.3, 0.5]),
                 lambda: srcad.jvp(mod.joins)([0.3, 0.5], [1.0, 0.0]),
                 lambda: srcad.grad(mod.joins_from_a_name)(0.5),
                 lambda: srcad.jvp(mod.joins_from_a_name)(0.5, 1.0),
                 lambda: srcad.grad(mod.bag_values)(0.5)):
        with pytest.raises(srcad.SrcadError):
            call()
    assert srcad.grad(mod.through_config)(3.0) == pytest.approx(12.0)


def quartic(w):
    return np.sum(w ** 4)


HESSIAN_OF_QUARTIC = srcad.hessian(quartic)


def calls_a_hessian(w):
    return np.sum(HESSIAN_OF_QUARTIC(w) @ w)


def test_calling_a_hessian_inside_a_function_says_so():
    """It said "calling jac, which takes *args or **kwargs" (helper-41)."""
    with pytest.raises(srcad.UnsupportedError, match="what srcad.hessian returns"):
        srcad.grad(calls_a_hessian)(np.array([0.5, 0.3]))


def test_a_function_called_through_its_module_defined_again(tmp_path):
    """`helpers.act(x)` then `helpers.act = act2`: the cached derivative kept tanh's
    (helper-43: wrong numbers in process); module attributes are guarded as class
    attributes were."""
    from conftest import load_module
    helpers = load_module(tmp_path, """
        import numpy as np

        def act(x):
            return np.tanh(x)

        def act2(x):
            return x ** 3
        """, "helpers_mod")
    user = load_module(tmp_path, f"""
        import numpy as np
        import {helpers.__name__} as helpers

        def f(x):
            return np.sum(helpers.act(x))
        """)
    x = np.array([0.3, 0.7])
    g = srcad.grad(user.f)
    np.testing.assert_allclose(g(x), 1.0 - np.tanh(x) ** 2)
    helpers.act = helpers.act2
    np.testing.assert_allclose(g(x), 3.0 * x ** 2)


def test_a_module_name_rebound_to_another_module(tmp_path):
    """`mod.act(x)`, then `model.mod = other` (or `BOX.mod = other`): the derivative kept
    the first module's act (helper-44: wrong numbers in process). The name's module and an
    object's module attribute are guarded."""
    from conftest import load_module
    first = load_module(tmp_path, """
        import numpy as np

        def act(x):
            return np.sin(x)
        """, "mod_a")
    second = load_module(tmp_path, """
        import numpy as np

        def act(x):
            return np.cos(x)
        """, "mod_b")
    model = load_module(tmp_path, f"""
        import {first.__name__} as mod

        class Box:
            pass

        BOX = Box()
        BOX.mod = mod

        def f(x):
            return mod.act(x) * x

        def g(x):
            return BOX.mod.act(x) * x
        """)
    x = 0.7
    gf, gg = srcad.grad(model.f), srcad.grad(model.g)
    assert gf(x) == pytest.approx(np.sin(x) + x * np.cos(x))
    assert gg(x) == pytest.approx(np.sin(x) + x * np.cos(x))
    model.mod = second
    model.BOX.mod = second
    for g in (gf, gg):
        assert g(x) == pytest.approx(np.cos(x) - x * np.sin(x))


class AnswersAnything:
    def __call__(self, x):
        return 2.0 * x ** 3

    def __getattr__(self, name):
        return lambda *args: None


class LayerObject:
    def __init__(self, W):
        self.W = W

    def __call__(self, x):
        return np.tanh(self.W @ x)


def test_vjp_and_jacobian_of_callable_objects():
    """vjp and jacobian of a callable object were refused ("not a Python function"), and an
    object answering any attribute was taken for what srcad.jacobian returns (helper-44)."""
    layer = LayerObject(np.array([[0.3, -0.2], [0.5, 0.1]]))
    x = np.array([0.7, -0.4])
    want = numeric_jacobian(layer, x)
    np.testing.assert_allclose(srcad.jacobian(layer)(x), want, rtol=1e-6)
    value, pullback = srcad.vjp(layer)(x)
    np.testing.assert_allclose(pullback(np.ones(2)), np.ones(2) @ want, rtol=1e-6)
    assert srcad.grad(AnswersAnything())(0.5) == pytest.approx(6.0 * 0.25)


class _Ridge:
    def __init__(self, lam):
        self.lam = lam

    def loss(self, w, x):
        return np.sum((w * x - 1.0) ** 2) + self.lam * np.sum(w * w)


RIDGE = _Ridge(0.1)
d_bound_loss = srcad.grad(RIDGE.loss)
d_class_loss = srcad.grad(_Ridge.loss, wrt=1)


def unrolled_through_a_bound_method(lr):
    w = np.array([0.5, -0.3])
    for _ in range(3):
        w = w - lr * d_bound_loss(w, np.array([1.2, 0.7]))
    return np.sum(w ** 2)


def unrolled_through_the_class(lr):
    w = np.array([0.5, -0.3])
    for _ in range(3):
        w = w - lr * d_class_loss(RIDGE, w, np.array([1.2, 0.7]))
    return np.sum(w ** 2)


def test_a_derivative_of_a_bound_method_called_inside_says_how_to_write_it():
    """`d = srcad.grad(model.loss)` called in a differentiated function was refused as a call
    that 'does not match its signature (missing y)' (helper-46): the object was missing.
    The refusal says so and gives the form that works, checked here too."""
    with pytest.raises(srcad.UnsupportedError, match="bound method") as info:
        srcad.grad(unrolled_through_a_bound_method)(0.05)
    assert "srcad.grad(_Ridge.loss, wrt=1)" in info.value.hint
    f, lr, e = unrolled_through_the_class, 0.05, 1e-6
    assert srcad.grad(f)(lr) == pytest.approx((f(lr + e) - f(lr - e)) / (2 * e), rel=1e-7)


def descent_that_prints(x0, lr):
    x = x0
    for i in range(3):
        x = x - lr * 2 * x
        print(f"step {i}: x={x:.4f} {{{x!r}}}")
    return x ** 2


def computed_format(x, digits):
    print(f"{x:.{digits}f}")
    return x * x


def test_f_strings_are_texts_with_a_zero_derivative(capsys):
    """print(f"step {i}: x={x:.4f}") in an optimisation loop was refused ("an f-string");
    it is "step {}: x={:.4f}".format(i, x) now, a text, as print's % formatting was."""
    g = srcad.grad(descent_that_prints, wrt=(0, 1))(1.0, 0.1)
    assert g == pytest.approx((2 * 0.8 ** 6, 2 * 0.8 ** 6 * 3 * -2 / 0.8))
    assert "step 2: x=0.5120 {0.512" in capsys.readouterr().out
    assert srcad.jvp(descent_that_prints)(1.0, 0.1, 1.0)[1] == pytest.approx(2 * 0.8 ** 6)
    with pytest.raises(srcad.UnsupportedError, match="computed format"):
        srcad.grad(computed_format)(0.5, 3)
    for f in (number_from_an_f_string, number_from_percent_formatting):
        with pytest.raises(srcad.UnsupportedError, match="a number read back from a text"):
            srcad.grad(f)(1.25)


def number_from_an_f_string(x):
    return float(f"{x}") * x           # (helper-47: d/dx came back as x, not 2x)


def number_from_percent_formatting(x):
    return float("%.6f" % x) * x       # (a TypeError from the generated code before)


def items_chosen_by_a_bool(x):
    b = x[0] > 0
    return x[b]                        # a (1, 3) array, not a number


def square_root_of_a_negative(x):
    return x ** 0.5                    # complex for x < 0


def test_outputs_that_an_analysis_would_call_numbers_are_checked_when_they_run():
    """A change of this session skipped the first call's run of the function where the
    analysis took the output for a number; helper-48 found outputs it took wrongly (an index
    by a bool, a complex power, a bool): it was reverted, and these stay refused."""
    with pytest.raises(srcad.NonScalarOutputError):
        srcad.grad(items_chosen_by_a_bool)(np.array([0.5, 1.0, 2.0]))
    with pytest.raises(srcad.SrcadError):
        srcad.grad(square_root_of_a_negative)(-4.0)


def largest_square_or_default(xs, d):
    return max((x * x for x in xs), default=d) * 2.0


def smallest_big_square(x):
    return min((v * v for v in x if v > 5.0), default=1.5) * np.sum(x)


def test_max_and_min_with_a_default():
    """`max(gen, default=d)` was refused ("the rule for max does not take 'default'"): it is
    max(list(gen) or [d]) now."""
    g = full_check(largest_square_or_default, [[0.5, -2.0, 1.0], 0.3], wrt=(0, 1))
    assert g[1] == 0.0 and g[0][1] == pytest.approx(-8.0)
    assert srcad.grad(largest_square_or_default, wrt=1)([], 0.3) == pytest.approx(2.0)
    full_check(smallest_big_square, [np.array([6.0, 7.0, 0.5])])
    full_check(smallest_big_square, [np.array([0.5, -2.0, 1.0])])


def energy_of(z):
    return np.sum(np.sin(z) * z)


ENERGY_JVP = srcad.jvp(energy_of)


def along_ones(z):
    v, t = ENERGY_JVP(z, np.ones(3))
    return v * t


def test_a_jvp_called_inside_is_differentiated():
    """It said srcad's own helper mul_tangent "may change a value outside it", quoting
    srcad's runtime.py (helper-50); then that srcad could not differentiate mul_tangent
    (helper-89): add_tangent and mul_tangent, which a jvp for arguments of any kind calls,
    have adjoint rules."""
    fd_check(along_ones, [np.array([0.1, 0.5, -0.3])])


def picked_by_a_flag(x):
    return np.sum(x[np.sum(x) > 0] * x[0])


def picked_by_not(x, y):
    keep = not (y > 1.0)
    return np.sum(x[keep] * x[0]) + np.sum(x[np.isnan(y)] * x[1])


def test_an_index_that_is_a_bool_is_no_element():
    """`x[b]` of a bool b is x with an axis more ((1, n)), not an element: the gradient of
    x[0] took the shape of x (a bare ValueError in add_at)."""
    x = np.array([1.0, 2.0])
    assert srcad.grad(picked_by_a_flag)(x) == pytest.approx([2 * x[0] + x[1], x[0]])
    full_check(picked_by_not, [x, 0.5])
    full_check(picked_by_a_flag, [np.array([[1.0, 2.0], [0.5, -1.0]])])


def spectrum_energy(a):
    w, _ = np.linalg.eigh(a)
    return np.sum(w ** 2) + w[-1]


def test_eigenvalues_of_a_matrix_with_a_repeated_eigenvalue_have_a_gradient():
    """The eigenvector part of eigh's adjoint divides by the gaps between eigenvalues: with
    no eigenvector used it must not turn the gradient into nan (0 * inf)."""
    a = np.diag([2.0, 2.0, 5.0])
    assert srcad.grad(spectrum_energy)(a) == pytest.approx(np.diag([4.0, 4.0, 11.0]))
    rng = np.random.default_rng(3)
    b = rng.standard_normal((4, 4))
    full_check(spectrum_energy, [b + b.T])


def weighted_twice(a, w):
    avg, total = np.average(a, weights=w, returned=True)
    return avg * total


def median_of_planes(a):
    return np.sum(np.median(a, axis=(0, 1)))


def interp_periodic(x):
    return np.sum(np.interp(x, [0.0, 1.0, 2.0], [1.0, 2.0, 0.5], period=2.0))


@pytest.mark.parametrize("f, args, words", [
    (weighted_twice, (np.ones(3), np.ones(3)), "returned=True"),
    (median_of_planes, (np.ones((2, 2, 3)),), "several axes"),
    (interp_periodic, (np.ones(3),), "period")])
def test_the_parts_of_the_new_statistics_rules_that_have_none_are_refused(f, args, words):
    with pytest.raises(srcad.UnsupportedError, match=words):
        srcad.grad(f)(*args)


U0 = np.sin(np.linspace(0.0, 3.0, 6))


def smoothed_once(k, u0=U0):
    u = u0.copy()
    u[1:-1] = u[1:-1] + k * (u[2:] - 2 * u[1:-1] + u[:-2])
    return np.sum(u ** 2)


class _Profile:
    """Values behind an object of the user's: a value of a kind srcad does not know."""

    def __init__(self, values):
        self.values = values

    def copy(self):
        return self.values.copy()


def test_a_hessian_through_an_element_write_says_so():
    """It said 'a call whose result is unused' (the reverse sweep's restore_item), pointing
    at a line without a call (helper-53). (u0 of a kind srcad does not know, which may hold
    a dict; an array, passed or left to the default, restores nothing: the Hessian is
    made.) helper-100: the restore is a value of its own now (restored_item); the write
    into what u0.copy() gives, which srcad cannot show unshared, is what is refused."""
    with pytest.raises(srcad.UnsupportedError) as info:
        srcad.hessian(smoothed_once)(0.2, _Profile(U0))
    assert "writes into an array in place, as this line does" in str(info.value)
    assert "u[1:-1] = u[1:-1] + k" in info.value.location.text
    g = srcad.grad(smoothed_once)
    expected = (g(0.2 + 1e-5, U0) - g(0.2 - 1e-5, U0)) / 2e-5
    assert srcad.hessian(smoothed_once)(0.2, U0) == pytest.approx(expected, rel=1e-6)
    assert srcad.hessian(smoothed_once)(0.2) == pytest.approx(expected, rel=1e-6)


# ----- helper-54: the new rules' corners -----


def trapezoid_along_a_middle_axis(y, x):
    return np.sum(np.trapezoid(y, x, axis=-2))


def interp_at_one_point(x):
    return np.interp(2.0, [2.0], [3.0]) + np.interp(x, [2.0], [3.0]) + x


def average_over_two_axes(b, w):
    return np.sum(np.average(b, axis=(1, 2), weights=w) ** 2)


def cubed_eigenvalues(a):
    return np.sum(np.linalg.eigvalsh(a) ** 3)


def index_of(k):
    return k + 1


def written_at_a_computed_index(x):
    y = x * 1.0
    y[index_of(0)] = y[index_of(0)] * 3.0
    return np.sum(y * y)


def test_the_new_rules_corners():
    rng = np.random.default_rng(4)
    full_check(trapezoid_along_a_middle_axis,
               [rng.standard_normal((2, 3, 4)), np.cumsum(rng.uniform(0.1, 1.0, (3, 4)), 0)])
    assert srcad.grad(interp_at_one_point)(2.0) == pytest.approx(1.0)
    assert srcad.jvp(interp_at_one_point)(1.0, 1.0)[1] == pytest.approx(1.0)
    full_check(average_over_two_axes, [rng.standard_normal((2, 3, 4)),
                                       rng.uniform(0.5, 2.0, (3, 4))])
    # a twice repeated eigenvalue: no finite but meaningless Hessian (it was 2.23 off; then
    # nan; refused now: helper-103)
    q, _ = np.linalg.qr(rng.standard_normal((3, 3)))
    with pytest.raises(srcad.UnsupportedError, match="at a repeated eigenvalue"):
        srcad.hessian(cubed_eigenvalues)(q @ np.diag([1.0, 1.0, 2.0]) @ q.T)
    x = np.array([1.0, 2.0, 3.0])
    assert srcad.hessian(written_at_a_computed_index)(x) == pytest.approx(
        np.diag([2.0, 18.0, 2.0]))


def trapezoid_of_squares(x):
    return np.trapezoid(x * x)


def twice_the_median(x):
    return np.median(x) * 2


def average_of_squares(x):
    return np.average(x * x)


@pytest.mark.parametrize("f", [trapezoid_of_squares, twice_the_median, average_of_squares])
def test_the_new_statistics_rules_keep_float32(f):
    """Their weights were float64: a float32 function got a float64 gradient (helper-54)."""
    x = np.array([0.3, -1.2, 2.0, 0.7], dtype=np.float32)
    assert np.asarray(f(x)).dtype == np.float32
    assert srcad.grad(f)(x).dtype == np.float32
    np.testing.assert_allclose(srcad.grad(f)(x), srcad.grad(f)(x.astype(float)), rtol=1e-6)


def average_over_axes_in_their_order(b, w):
    return np.sum(np.average(b, axis=(-1, -2), weights=w) ** 2)


def interp_one_point_both_sides(fp):
    return np.sum(np.interp(np.array([1.0, 3.0]), [2.0], fp))


def median_with_a_nan(x):
    return np.median(x)


def test_more_corners_of_the_new_rules():
    """Weights for a tuple axis follow its order; one point of np.interp gives fp[0] on both
    sides; a nan makes the median's derivative nan (helper-55)."""
    rng = np.random.default_rng(5)
    full_check(average_over_axes_in_their_order,
               [rng.standard_normal((2, 3, 4)), rng.uniform(0.5, 2.0, (4, 3))])
    assert srcad.grad(interp_one_point_both_sides)(np.array([3.0])) == pytest.approx([2.0])
    assert np.all(np.isnan(srcad.grad(median_with_a_nan)(np.array([1.0, np.nan, 2.0]))))


class Holder:
    pass


def doubles_its_argument(x, o):
    x *= 2.0
    return np.sum(x * o.k)


def test_an_argument_changed_in_place_that_an_objects_attribute_holds_is_refused():
    k = np.array([0.5, 0.5, 0.5])
    o = Holder()
    o.k = k
    with pytest.raises(srcad.UnsupportedError, match="argument 'o.k' shares its array"):
        srcad.grad(doubles_its_argument)(k, o)
    np.testing.assert_array_equal(k, [0.5, 0.5, 0.5])
    assert srcad.grad(doubles_its_argument)(k.copy(), o) == pytest.approx(2.0 * k)


# ----- helper-58: numbers a state update reads, from a helper's tuple and the module -----

G_ACCEL = 9.81


def pendulum_rhs(theta, omega, L):
    return omega, -G_ACCEL / L * np.sin(theta)


def rk4_pendulum(theta0, L, dt=0.01, steps=20):
    th = theta0
    om = 0.0
    for _ in range(steps):
        a1, b1 = pendulum_rhs(th, om, L)
        a2, b2 = pendulum_rhs(th + 0.5 * dt * a1, om + 0.5 * dt * b1, L)
        a3, b3 = pendulum_rhs(th + 0.5 * dt * a2, om + 0.5 * dt * b2, L)
        a4, b4 = pendulum_rhs(th + dt * a3, om + dt * b3, L)
        th += dt / 6 * (a1 + 2 * a2 + 2 * a3 + a4)
        om += dt / 6 * (b1 + 2 * b2 + 2 * b3 + b4)
    return th ** 2 + 0.5 * om


SCALE = 2.0


def scaled_by_the_module(x):
    return x * SCALE


def test_a_state_updated_by_numbers_from_a_helpers_tuple():
    """`a1, b1 = rhs(th, om, L)` of `return omega, -G / L * sin(theta)`: with numbers in,
    both items are numbers (the module's G a float, dt=0.01 left to its default), and
    `om += ...` changes no array (refused as an array's in-place change before)."""
    full_check(rk4_pendulum, [0.3, 1.0], wrt=(0, 1))
    _, tangent = srcad.jvp(rk4_pendulum, wrt=0)(0.3, 1.0, 1.0)
    assert tangent == pytest.approx(srcad.grad(rk4_pendulum)(0.3, 1.0))


def test_numbers_from_a_helpers_tuple_get_the_adjoints_of_numbers():
    """The items were numbers, but also items of a call's value, which might have been
    lists: every adjoint they reached added with add_grad and add_adjoint (62x the
    function's time, helper-66); numbers now, as written out by hand."""
    df = srcad.grad(rk4_pendulum, wrt=(0, 1))
    df(0.3, 1.0)
    for generic in ("add_grad(", "add_adjoint(", "mul_adjoint("):
        assert generic not in df.source


def test_a_module_number_the_analysis_relied_on_is_guarded_by_its_type():
    """SCALE a float: `x * SCALE` is a number, which the gradient does not check again;
    SCALE an array later: the derivative is made again, and the array value refused (a
    gradient of its sum, without a word, had the old derivative stayed)."""
    global SCALE
    g = srcad.grad(scaled_by_the_module)
    try:
        assert g(0.5) == pytest.approx(2.0)
        SCALE = np.array([2.0, 1.0])
        with pytest.raises(srcad.NonScalarOutputError):
            g(0.5)
        SCALE = 3.0
        assert g(0.5) == pytest.approx(3.0)
    finally:
        SCALE = 2.0


def best_path_sum(s):
    """A dynamic programme's boundary in a conditional expression (helper-58)."""
    n, m = s.shape
    best = np.zeros((n, m))
    for i in range(n):
        for j in range(m):
            up = best[i - 1, j] if i > 0 else 0.0
            best[i, j] = s[i, j] + up
    return best[-1, -1]


def rows_of_a_conditional_expression(s):
    n, m = s.shape
    best = np.zeros((n, m))
    for i in range(n):
        up = best[i - 1] if i > 0 else 0.0
        best[i] = s[i] + up
        best[i, 0] = best[i, 0] * 2.0
    return np.sum(best)


def fresh_list_each_turn(x, a):
    n = len(x)
    u = list(x)
    for t in range(3):
        new = [0.0] * n
        for i in range(n):
            new[i] = u[i] - a * u[i - 1]
        u = new
    return sum(v * v for v in u)


def normalised_rows(M):
    P = np.exp(M)
    for row in P:
        row /= row.sum()
    return np.sum(P * np.arange(P.shape[1]))


def test_items_of_a_conditional_expression_and_lists_made_anew_each_turn():
    """`up = best[i - 1, j] if i > 0 else 0.0` takes a number (a row there is refused as
    before); `[0.0] * n` is a new list each turn, which shares nothing with n."""
    rng = np.random.default_rng(58)
    full_check(best_path_sum, [rng.normal(size=(3, 4))])
    with pytest.raises(srcad.UnsupportedError, match="also reached through 'up'"):
        srcad.grad(rows_of_a_conditional_expression)(rng.normal(size=(3, 4)))
    x = rng.normal(size=4)
    full_check(fresh_list_each_turn, [list(x), 0.4], wrt=(0, 1))


def test_hints_for_writes_through_rows_say_how_to_change_the_matrix():
    """The hints kept only the copy (which leaves P as it was) or `row = row / ...`: both
    change what the program computes where it meant to change P."""
    with pytest.raises(srcad.UnsupportedError) as info:
        srcad.grad(normalised_rows)(np.ones((2, 3)))
    assert "write into it by index (P[i] /= ...)" in str(info.value)


# ----- helper-60: a number the analysis relied on, read where it lives -----

LENGTH = 2.0


def scaled_copy(x):
    s = LENGTH * 1.0
    t = s
    s *= 3.0
    return np.sum(t * x)


def test_a_module_number_made_an_array_is_read_anew():
    """The guard on LENGTH's type fired, but the IR kept a copy of the module's names made
    with it, and the analysis read LENGTH there: still a float, so `s *= 3.0` was no
    in-place change of t (a gradient of 2 for 6, without a word)."""
    global LENGTH
    x = np.array([1.5])
    g = srcad.grad(scaled_copy)
    try:
        assert g(x) == pytest.approx([2.0])
        LENGTH = np.array([2.0])
        with pytest.raises(srcad.UnsupportedError, match="NumPy does this in place"):
            g(x)
        with pytest.raises(srcad.UnsupportedError, match="NumPy does this in place"):
            srcad.jvp(scaled_copy)(x, np.ones(1))
    finally:
        LENGTH = 2.0


class _Params:
    """Values behind attributes, and a KeyError for any other name (__dict__ too)."""
    __slots__ = ("_values",)

    def __init__(self, **values):
        self._values = values

    def __getattr__(self, name):
        return self._values[name]

    def __deepcopy__(self, memo):
        return _Params(**self._values)


class _Model:
    pass


def loss_with_nested_params(x, m):
    y = x
    y += 1.0
    return np.sum(y * y) * m.p.scale


def test_objects_whose_attributes_raise_are_read_carefully():
    m = _Model()
    m.p = _Params(scale=2.0)
    assert srcad.grad(loss_with_nested_params)(np.array([1.0, 2.0]), m) == \
        pytest.approx([8.0, 12.0])


# ----- helper-66: least squares -----

def least_squares_fit(A, b):
    x, residuals, rank, s = np.linalg.lstsq(A, b, rcond=None)
    return np.sum(x ** 2) + 0.3 * residuals[0] + np.sum(s)


def least_squares_solution(A, b):
    return np.sum(np.tanh(np.linalg.lstsq(A, b, rcond=None)[0]))


def test_lstsq_of_a_matrix_of_full_column_rank():
    """np.linalg.lstsq: its solution, residuals and singular values, for a tall matrix of
    full column rank; a wide one (a minimum-norm solution) is refused where it runs."""
    rng = np.random.default_rng(11)
    A, b = rng.normal(size=(6, 3)), rng.normal(size=6)
    full_check(least_squares_fit, [A, b], wrt=(0, 1))
    full_check(least_squares_solution, [A, b], wrt=(0, 1))
    gb = srcad.grad(least_squares_solution, wrt=1)(A, b)
    x = np.linalg.solve(A.T @ A, A.T @ b)
    np.testing.assert_allclose(gb, A @ np.linalg.solve(A.T @ A, 1 - np.tanh(x) ** 2),
                               rtol=1e-10)
    with pytest.raises(srcad.UnsupportedError, match="full column rank") as info:
        srcad.grad(least_squares_solution)(rng.normal(size=(2, 3)), rng.normal(size=2))
    assert "np.linalg.lstsq(A, b, rcond=None)" in info.value.location.text


def least_squares_values(A, b):
    return np.sin(np.linalg.lstsq(A, b, rcond=None)[0])


@pytest.mark.parametrize("shape, rank", [((3, 2), 1), ((2, 3), 2), ((4, 3), 2)])
def test_lstsq_of_a_rank_deficient_matrix_is_refused_in_every_mode(shape, rank):
    """jvp raised a bare LinAlgError ('Singular matrix', from solving with A^T A) where grad
    refused clearly: the tangents check the rank as the adjoint does."""
    rng = np.random.default_rng(30 + rank)
    A = rng.normal(size=(shape[0], rank)) @ rng.normal(size=(rank, shape[1]))
    b = rng.normal(size=shape[0])
    calls = [lambda: srcad.grad(least_squares_solution, wrt=(0, 1))(A, b),
             lambda: srcad.jvp(least_squares_solution, wrt=1)(A, b, np.ones_like(b)),
             lambda: srcad.jvp(least_squares_solution, wrt=0)(A, b, np.ones_like(A)),
             lambda: srcad.jvp(least_squares_fit, wrt=(0, 1))(A, b, (A, b)),
             lambda: srcad.hessian(least_squares_solution, wrt=1)(A, b),
             lambda: srcad.hvp(least_squares_solution, wrt=1)(A, b, b),
             lambda: srcad.jacobian(least_squares_values, wrt=1, mode="forward")(A, b),
             lambda: srcad.jacobian(least_squares_values, wrt=1, mode="reverse")(A, b),
             lambda: srcad.vjp(least_squares_values, wrt=0)(A, b)[1](np.ones(shape[1]))]
    for call in calls:
        with pytest.raises(srcad.UnsupportedError, match="full column rank") as info:
            call()
        assert "np.linalg.lstsq(A, b, rcond=None)" in info.value.location.text


def test_lstsq_tangents_of_a_matrix_of_full_column_rank():
    """The tangents (along A and b) against central differences."""
    rng = np.random.default_rng(33)
    A, b = rng.normal(size=(6, 3)), rng.normal(size=6)
    dA, db = rng.normal(size=A.shape), rng.normal(size=b.shape)
    h = 1e-6
    for f in (least_squares_fit, least_squares_solution):
        expected = (f(A + h * dA, b + h * db) - f(A - h * dA, b - h * db)) / (2 * h)
        value, tangent = srcad.jvp(f, wrt=(0, 1))(A, b, (dA, db))
        assert value == pytest.approx(f(A, b), rel=1e-12)
        assert tangent == pytest.approx(expected, rel=1e-6)
    jacobian = srcad.jacobian(least_squares_values, wrt=1, mode="forward")(A, b)
    np.testing.assert_allclose(jacobian, numeric_jacobian(lambda v: least_squares_values(A, v), b),
                               rtol=1e-6, atol=1e-8)


def qr_features(A):
    Q, R = np.linalg.qr(A)
    return np.sum(Q[:, 0] * np.arange(5.0)) + np.sum(np.log(np.abs(np.diag(R))))


def qr_norm(A):
    R = np.linalg.qr(A)[1]
    return np.sum(R ** 2)


def test_qr_of_a_tall_matrix():
    """np.linalg.qr's reduced factorisation (Q and R); ||R|| = ||A||: the Hessian of
    sum(R ** 2) is 2 I, through the gradient's own qr_adjoint."""
    rng = np.random.default_rng(12)
    full_check(qr_features, [rng.normal(size=(5, 3))])
    A = rng.normal(size=(3, 2))
    np.testing.assert_allclose(srcad.grad(qr_norm)(A), 2 * A, rtol=1e-10)
    H = np.asarray(srcad.hessian(qr_norm)(A)).reshape(6, 6)
    np.testing.assert_allclose(H, 2 * np.eye(6), atol=1e-10)
    with pytest.raises(srcad.UnsupportedError, match="no more columns than rows"):
        srcad.grad(qr_norm)(rng.normal(size=(2, 3)))


def qr_r_log_volume(A):
    R = np.linalg.qr(A, mode="r")
    return np.sum(np.log(np.abs(np.diag(R)))) + np.sum(R[0] * np.arange(3.0))


def qr_r_norm(A):
    R = np.linalg.qr(A, mode="r")
    return np.sum(R * R)


def qr_complete(A):
    Q, R = np.linalg.qr(A, mode="complete")
    return np.sum(R * R)


def test_qr_mode_r_gives_r_alone():
    """mode='r' returns R alone (the reduced factorisation's): the rule unpacked it as
    (Q, R), a bare ValueError. sum(log |R_ii|) = log det(A^T A) / 2, gradient A (A^T A)^-1;
    ||R||^2 = ||A||^2, gradient 2 A, Hessian 2 I; the rest against central differences."""
    rng = np.random.default_rng(13)
    A = rng.normal(size=(5, 3))
    g = srcad.grad(qr_r_log_volume)(A)
    np.testing.assert_allclose(g, numeric_jacobian(qr_r_log_volume, A).reshape(A.shape),
                               rtol=1e-6, atol=1e-8)
    # the first term's part, in closed form: what is left is the first row's
    first_row = numeric_jacobian(lambda B: np.sum(np.linalg.qr(B)[1][0] * np.arange(3.0)), A)
    np.testing.assert_allclose(g - A @ np.linalg.inv(A.T @ A), first_row.reshape(A.shape),
                               rtol=1e-6, atol=1e-8)
    t = rng.normal(size=A.shape)
    value, tangent = srcad.jvp(qr_r_log_volume)(A, t)
    assert value == pytest.approx(qr_r_log_volume(A), rel=1e-14)
    assert tangent == pytest.approx(np.sum(g * t), rel=1e-10)
    H = np.asarray(srcad.hessian(qr_r_log_volume)(A))
    H_numeric = numeric_jacobian(srcad.grad(qr_r_log_volume), A).reshape(H.shape)
    np.testing.assert_allclose(H, H_numeric, rtol=1e-5, atol=1e-6)
    B = rng.normal(size=(3, 2))
    np.testing.assert_allclose(srcad.grad(qr_r_norm)(B), 2 * B, rtol=1e-10)
    np.testing.assert_allclose(np.asarray(srcad.hessian(qr_r_norm)(B)).reshape(6, 6),
                               2 * np.eye(6), atol=1e-10)
    np.testing.assert_allclose(srcad.jvp(qr_r_norm)(B, B)[1], 2 * np.sum(B * B), rtol=1e-10)
    with pytest.raises(srcad.UnsupportedError, match="mode='complete'") as info:
        srcad.grad(qr_complete)(A)
    assert 'np.linalg.qr(A, mode="complete")' in info.value.location.text


def determinant(A):
    return np.linalg.det(A)


def determinants(A):
    return np.sum(np.linalg.det(A) * np.arange(1.0, 4.0))


def log_abs_determinant(A):
    return np.linalg.slogdet(A)[1]


def log_abs_determinants(A):
    sign, logdet = np.linalg.slogdet(A)
    return np.sum(np.where(sign == 0, 0.0, logdet))


def cofactors(A):
    """The matrix of cofactors, from the minors: d det(A) / dA, independent of srcad."""
    n = A.shape[-1]
    out = np.zeros(A.shape)
    for i in range(n):
        for j in range(n):
            minor = np.delete(np.delete(A, i, -2), j, -1)
            out[..., i, j] = (-1) ** (i + j) * np.linalg.det(minor)
    return out


def of_rank(rng, n, r):
    return rng.normal(size=(n, r)) @ rng.normal(size=(r, n))


@pytest.mark.parametrize("rank", [4, 3, 2, 1])
def test_det_at_singular_matrices(rank):
    """det's derivative is the cofactor matrix, which exists everywhere (det is a
    polynomial): the rules inverted A, a bare LinAlgError at a singular one. Rank 3 of 4 has
    cofactors of rank 1, rank 2 none but a second derivative, rank 1 neither; checked
    against the minors and their central differences, in every mode."""
    rng = np.random.default_rng(20 + rank)
    A, T = of_rank(rng, 4, rank), rng.normal(size=(4, 4))
    expected = cofactors(A)
    np.testing.assert_allclose(srcad.grad(determinant)(A), expected, atol=1e-12)
    value, tangent = srcad.jvp(determinant)(A, T)
    assert tangent == pytest.approx(np.sum(expected * T), abs=1e-12)
    h = 1e-5
    hessian = np.stack([(cofactors(A + h * E) - cofactors(A - h * E)) / (2 * h)
                        for E in np.eye(16).reshape(16, 4, 4)], axis=-1).reshape(4, 4, 4, 4)
    np.testing.assert_allclose(srcad.hessian(determinant)(A), hessian, atol=1e-8)
    np.testing.assert_allclose(srcad.hvp(determinant)(A, T),
                               np.tensordot(hessian, T, axes=2), atol=1e-8)
    np.testing.assert_allclose(srcad.jacobian(srcad.grad(determinant))(A), hessian, atol=1e-8)
    # reverse over reverse: the gradient of ||cofactors||^2, against its differences
    gradient = srcad.grad(determinant)
    squared = srcad.grad(lambda B: np.sum(gradient(B) ** 2))(A)
    np.testing.assert_allclose(squared, numeric_jacobian(
        lambda B: np.sum(cofactors(B) ** 2), A).reshape(4, 4), rtol=1e-6, atol=1e-7)


def test_det_of_a_stack_with_singular_matrices():
    rng = np.random.default_rng(24)
    A = np.stack([of_rank(rng, 3, 2), rng.normal(size=(3, 3)), of_rank(rng, 3, 1)])
    np.testing.assert_allclose(srcad.grad(determinants)(A),
                               cofactors(A) * np.arange(1.0, 4.0)[:, None, None], atol=1e-12)
    T = rng.normal(size=A.shape)
    assert srcad.jvp(determinants)(A, T)[1] == pytest.approx(
        np.sum(cofactors(A) * T * np.arange(1.0, 4.0)[:, None, None]), abs=1e-12)
    H = np.asarray(srcad.hessian(determinants)(A)).reshape(27, 27)
    np.testing.assert_allclose(H, numeric_jacobian(srcad.grad(determinants), A).reshape(27, 27),
                               rtol=1e-6, atol=1e-7)


DETERMINANT_GRADIENT = srcad.grad(determinant)
COFACTOR_WEIGHTS = np.random.default_rng(25).normal(size=(3, 3))


def weighted_cofactors(A):
    return np.sum(DETERMINANT_GRADIENT(A) * COFACTOR_WEIGHTS)


@pytest.mark.parametrize("rank", [3, 2, 1])
def test_third_derivatives_of_det(rank):
    """The adjugate's own derivatives (det's third): from the SVD too, right where A is
    singular; a fourth derivative is refused at the user's line."""
    rng = np.random.default_rng(25 + rank)
    A = of_rank(rng, 3, rank)
    third = srcad.hessian(weighted_cofactors)(A)
    np.testing.assert_allclose(
        np.asarray(third).reshape(9, 9),
        numeric_jacobian(srcad.grad(weighted_cofactors), A).reshape(9, 9), rtol=1e-6, atol=1e-6)
    # reverse over reverse over reverse
    second = srcad.grad(weighted_cofactors)
    reverse = srcad.grad(lambda B: np.sum(second(B) * COFACTOR_WEIGHTS.T))(A)
    np.testing.assert_allclose(reverse, numeric_jacobian(
        lambda B: np.sum(second(B) * COFACTOR_WEIGHTS.T), A).reshape(3, 3), rtol=1e-6,
        atol=1e-6)
    # (the SVD has a rule now: what stops it is a helper's einsum of three operands)
    with pytest.raises(srcad.UnsupportedError, match="cannot differentiate its helper") as info:
        srcad.hessian(lambda B: np.sum(second(B) * COFACTOR_WEIGHTS.T))(A)
    assert info.value.location.filename == __file__


def test_slogdet_at_a_singular_matrix_is_refused():
    """logabsdet is -inf there, without a derivative: a clear error at the user's line
    (a bare LinAlgError before), in both modes; a singular matrix of a stack whose logabsdet
    is not used gets 0, the others inv(A)^T."""
    rng = np.random.default_rng(26)
    A = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [0.5, 0.1, 0.2]])
    assert np.linalg.slogdet(A)[0] == 0
    for call in (lambda: srcad.grad(log_abs_determinant)(A),
                 lambda: srcad.jvp(log_abs_determinant)(A, np.eye(3)),
                 lambda: srcad.hessian(log_abs_determinant)(A)):
        with pytest.raises(srcad.UnsupportedError, match="slogdet of a singular matrix") \
                as info:
            call()
        assert "np.linalg.slogdet(A)[1]" in info.value.location.text
    B = np.stack([A, rng.normal(size=(3, 3))])
    np.testing.assert_allclose(srcad.grad(log_abs_determinants)(B),
                               np.stack([np.zeros((3, 3)), np.linalg.inv(B[1]).T]), atol=1e-12)


def spread_of_quantiles(x):
    low, high = np.percentile(x, [25.0, 75.0])
    return (high - low) ** 2 + np.quantile(x, 0.9)


def test_quantiles_and_percentiles():
    """np.quantile and np.percentile (method='linear'): the two items around q (n - 1) share
    g; another method is refused where it runs."""
    x = np.array([0.3, -1.2, 2.5, 0.7, 1.1, -0.4])
    full_check(spread_of_quantiles, [x])
    s = np.sort(x)
    # np.quantile(x, 0.9): position 4.5, half of s[4] and half of s[5]
    g = srcad.grad(lambda x: np.quantile(x, 0.9))(x)
    np.testing.assert_allclose(g[np.argsort(x)], [0, 0, 0, 0, 0.5, 0.5], atol=1e-15)
    assert s[4] < s[5]
    with pytest.raises(srcad.UnsupportedError, match="method='linear'"):
        srcad.grad(lambda x: np.quantile(x, 0.5, method="nearest"))(x)


def test_qr_of_a_matrix_of_lower_rank_is_refused():
    with pytest.raises(srcad.UnsupportedError, match="lower rank than its columns"):
        srcad.grad(qr_norm)(np.ones((3, 2)))


def nuclear_norm(A):
    return np.sum(np.linalg.svd(A, compute_uv=False))


def squared_singular_values(A):
    return np.sum(np.linalg.svd(A, compute_uv=False) ** 2)


def rank_one_misfit(A, B):
    U, s, Vh = np.linalg.svd(A, full_matrices=False)
    return np.sum(((U[:, :1] * s[:1]) @ Vh[:1] - B) ** 2)


def cubed_singular_values(A):
    U, s, Vh = np.linalg.svd(A)      # (full_matrices=True: U is 5 x 5 for a 5 x 3 A)
    return np.sum(s ** 3) + np.sum(U[:, :3] * Vh[0, 0])


def last_column_of_full_u(A):
    U, s, Vh = np.linalg.svd(A)
    return np.sum(U[:, -1] ** 3)


@pytest.mark.parametrize("shape", [(3, 3), (5, 3), (3, 4)])
def test_svd_in_every_mode(shape):
    """np.linalg.svd: the nuclear norm's gradient is U V^T; ||A||_F^2 = sum(s^2), so its
    Hessian is 2 I (through the gradient's own svd_adjoint); a rank-one approximation's
    misfit (U, s and Vh all used) against central differences in reverse and forward mode."""
    rng = np.random.default_rng(14)
    A, B = rng.normal(size=shape), rng.normal(size=shape)
    U, s, Vh = np.linalg.svd(A, full_matrices=False)
    np.testing.assert_allclose(srcad.grad(nuclear_norm)(A), U @ Vh, rtol=1e-10, atol=1e-12)
    H = np.asarray(srcad.hessian(squared_singular_values)(A)).reshape(A.size, A.size)
    np.testing.assert_allclose(H, 2 * np.eye(A.size), atol=1e-10)
    full_check(rank_one_misfit, [A, B], wrt=(0, 1))
    dA, h = rng.normal(size=shape), 1e-6
    expected = (rank_one_misfit(A + h * dA, B) - rank_one_misfit(A - h * dA, B)) / (2 * h)
    value, tangent = srcad.jvp(rank_one_misfit)(A, B, dA)
    assert value == pytest.approx(rank_one_misfit(A, B), rel=1e-12)
    assert tangent == pytest.approx(expected, rel=1e-6)


def test_svd_with_full_matrices_of_a_tall_matrix():
    """full_matrices=True (NumPy's default) of a 5 x 3 matrix: U's two extra columns are any
    basis of the complement of A's columns, with no derivative. Reverse mode takes the rest;
    it refuses where an extra column is used, and forward mode (which gives every output a
    tangent) refuses at once; both name the call."""
    rng = np.random.default_rng(15)
    A = rng.normal(size=(5, 3))
    full_check(cubed_singular_values, [A])
    calls = [lambda: srcad.grad(last_column_of_full_u)(A),
             lambda: srcad.jvp(cubed_singular_values)(A, A)]
    for call in calls:
        with pytest.raises(srcad.UnsupportedError, match="columns of U beyond") as info:
            call()
        assert "np.linalg.svd(A)" in info.value.location.text
        assert "full_matrices=False" in info.value.hint


def test_svd_gives_lstsq_second_derivatives():
    """lstsq's singular values are svd's: its Hessians needed an svd rule (they were refused);
    against central differences of the gradient."""
    rng = np.random.default_rng(16)
    A, b = rng.normal(size=(6, 3)), rng.normal(size=6)
    H = srcad.hessian(least_squares_fit, wrt=0)(A, b)
    grad = srcad.grad(least_squares_fit, wrt=0)
    dA, h = rng.normal(size=A.shape), 1e-5
    expected = (grad(A + h * dA, b) - grad(A - h * dA, b)) / (2 * h)
    np.testing.assert_allclose(np.tensordot(H, dA, 2), expected, rtol=1e-6, atol=1e-7)


def pseudo_inverse_fit(A, b):
    x = np.linalg.pinv(A) @ b
    return np.sum(np.tanh(x)) + np.sum((A @ x - b) ** 2)


@pytest.mark.parametrize("shape", [(3, 3), (6, 3), (3, 5)])
def test_pinv_of_a_matrix_of_full_rank(shape):
    """np.linalg.pinv in both modes and at second order, against central differences; for a
    tall A, pinv(A) @ b is lstsq's solution and has its gradient in b."""
    rng = np.random.default_rng(17)
    A, b = rng.normal(size=shape), rng.normal(size=shape[0])
    full_check(pseudo_inverse_fit, [A, b], wrt=(0, 1))
    dA, db, h = rng.normal(size=A.shape), rng.normal(size=b.shape), 1e-6
    expected = (pseudo_inverse_fit(A + h * dA, b + h * db)
                - pseudo_inverse_fit(A - h * dA, b - h * db)) / (2 * h)
    assert srcad.jvp(pseudo_inverse_fit, wrt=(0, 1))(A, b, (dA, db))[1] == \
        pytest.approx(expected, rel=1e-6)
    H = srcad.hessian(pseudo_inverse_fit, wrt=0)(A, b)
    grad = srcad.grad(pseudo_inverse_fit, wrt=0)
    expected = (grad(A + 1e-5 * dA, b) - grad(A - 1e-5 * dA, b)) / 2e-5
    np.testing.assert_allclose(np.tensordot(H, dA, 2), expected, rtol=1e-5, atol=1e-6)
    if shape[0] > shape[1]:
        x = np.linalg.lstsq(A, b, rcond=None)[0]
        np.testing.assert_allclose(srcad.grad(least_squares_solution, wrt=1)(A, b),
                                   srcad.grad(lambda v: np.sum(np.tanh(np.linalg.pinv(A) @ v)))(b),
                                   rtol=1e-10)
        assert x == pytest.approx(np.linalg.pinv(A) @ b)


def test_pinv_of_a_rank_deficient_matrix_is_refused():
    """Where A loses rank, pinv jumps (a perturbation brings the dropped singular value
    back): refused in both modes at the user's line, with a way out."""
    rng = np.random.default_rng(18)
    A = rng.normal(size=(4, 1)) @ rng.normal(size=(1, 3))
    b = rng.normal(size=4)
    for call in (lambda: srcad.grad(pseudo_inverse_fit)(A, b),
                 lambda: srcad.jvp(pseudo_inverse_fit)(A, b, A)):
        with pytest.raises(srcad.UnsupportedError, match="lower rank than min") as info:
            call()
        assert "np.linalg.pinv(A)" in info.value.location.text


def gaussian_fit_loss(X):
    C = np.cov(X, rowvar=False) + 0.1 * np.eye(X.shape[1])
    sign, logdet = np.linalg.slogdet(C)
    return logdet + np.sum(np.corrcoef(X, rowvar=False) ** 2)


def quadratic_trend(t, y):
    p = np.polyfit(t, y, 2)
    return p[0] * 10.0 + np.sum(np.polyval(p, t) ** 2)


def matched_filter_energy(signal, template):
    return np.sum(np.correlate(signal, template, "same") ** 2)


def chained_products(A, B, v):
    return np.linalg.vector_norm(np.linalg.multi_dot([v, A, B, A.T])) + np.linalg.cond(A @ B)


def test_statistics_fits_and_filters_of_numpy():
    """np.cov, np.corrcoef, np.polyfit, np.correlate, multi_dot, vector_norm, cond: rules of
    the twentieth session, in the programs they come in, against central differences in
    both modes; cov's gradient of sum(C * W) in closed form, (W + W^T) Xc / (N - 1); polyfit
    is linear in y: its coefficients' gradient in y is a row of the pseudo-inverse."""
    rng = np.random.default_rng(19)
    X = rng.normal(size=(8, 3))
    full_check(gaussian_fit_loss, [X])
    W = rng.normal(size=(3, 3))
    centred = X - X.mean(axis=0)
    np.testing.assert_allclose(srcad.grad(lambda Z: np.sum(np.cov(Z, rowvar=False) * W))(X),
                               centred @ (W + W.T) / 7, rtol=1e-10)
    t, y = np.linspace(0.0, 2.0, 7) + 0.1 * rng.normal(size=7), rng.normal(size=7)
    full_check(quadratic_trend, [t, y], wrt=(0, 1))
    V = t[:, None] ** np.arange(2, -1, -1)
    np.testing.assert_allclose(srcad.grad(lambda v: np.polyfit(t, v, 2)[0], wrt=0)(y),
                               np.linalg.pinv(V)[0], rtol=1e-8, atol=1e-12)
    full_check(matched_filter_energy, [rng.normal(size=9), rng.normal(size=4)], wrt=(0, 1))
    full_check(matched_filter_energy, [rng.normal(size=3), rng.normal(size=5)], wrt=(0, 1))
    A, B, v = rng.normal(size=(3, 3)), rng.normal(size=(3, 3)), rng.normal(size=3)
    full_check(chained_products, [A, B, v], wrt=(0, 1, 2))
    for f, args in ((gaussian_fit_loss, (X,)), (quadratic_trend, (t, y)),
                    (chained_products, (A, B, v))):
        directions = tuple(rng.normal(size=np.shape(a)) for a in args)
        h = 1e-6
        expected = (f(*(a + h * d for a, d in zip(args, directions)))
                    - f(*(a - h * d for a, d in zip(args, directions)))) / (2 * h)
        wrt = tuple(range(len(args)))
        tangent = srcad.jvp(f, wrt=wrt)(*args, directions)[1]
        assert tangent == pytest.approx(expected, rel=1e-6, abs=1e-8)


def test_second_derivatives_through_covariance_and_correlation():
    """The Hessian of gaussian_fit_loss (its gradient reads cov_adjoint and
    corrcoef_adjoint, differentiated again) against differences of its gradient."""
    rng = np.random.default_rng(20)
    X = rng.normal(size=(6, 2))
    H = srcad.hessian(gaussian_fit_loss)(X)
    grad = srcad.grad(gaussian_fit_loss)
    d, h = rng.normal(size=X.shape), 1e-5
    np.testing.assert_allclose(np.tensordot(H, d, 2), (grad(X + h * d) - grad(X - h * d)) / (2 * h),
                               rtol=1e-5, atol=1e-7)


def test_what_the_new_numpy_rules_refuse():
    """A clear error, never a number: polyfit through too few distinct points, cov with
    weights. (A varying y of np.cov was refused too: tests below.)"""
    rng = np.random.default_rng(21)
    t = np.array([0.0, 1.0, 1.0, 0.0])
    with pytest.raises(srcad.UnsupportedError, match="fit is not unique"), \
            warnings.catch_warnings():
        warnings.simplefilter("ignore")           # (NumPy's RankWarning, before the refusal)
        srcad.grad(quadratic_trend, wrt=1)(t, rng.normal(size=4))
    with pytest.raises(srcad.UnsupportedError, match="fweights or aweights"):
        srcad.grad(lambda Z: np.sum(np.cov(Z, aweights=np.ones(5))))(rng.normal(size=(2, 5)))


def paired_covariance(a, b):
    return np.sum(np.cov(a, b) ** 2) + np.sum(np.cov(a, y=b, rowvar=False, ddof=0))


def pearson(a, b):
    return np.corrcoef(a, b)[0, 1]


@pytest.mark.parametrize("f", [paired_covariance, pearson])
def test_covariance_and_correlation_of_two_varying_arrays(f):
    """np.cov(a, b) and np.corrcoef(a, b) with both varying (Pearson's r): refused before
    (y a constant to their rules), now differentiated in both, in both modes."""
    rng = np.random.default_rng(24)
    args = [rng.normal(size=6), rng.normal(size=6)]
    full_check(f, args, wrt=(0, 1))
    d, h = [rng.normal(size=6), rng.normal(size=6)], 1e-6
    expected = (f(*(a + h * t for a, t in zip(args, d)))
                - f(*(a - h * t for a, t in zip(args, d)))) / (2 * h)
    assert srcad.jvp(f, wrt=(0, 1))(*args, tuple(d))[1] == pytest.approx(expected, rel=1e-6)


# ----- seventeenth session: helper-69's and helper-70's refusals of plain code -----

def summed_over_a_grid(x):
    s = 0.0
    for t in np.linspace(0.0, 1.0, 5):
        s = s + np.sin(t * x)
    return s


def any_pair_positive(x):
    if any(a * b > 0 for a in x for b in x):
        return np.sum(x ** 2)
    return np.sum(x)


SCALE = 2.0


def reads_a_declared_global(x):
    global SCALE
    return SCALE * x


def params_by_keywords(w, b):
    p = dict(W=w, b=b)
    p["W"] = p["W"] * 3.0
    return np.sum(p["W"] * w) + p["b"] ** 2


def picked_by_an_index_array(x):
    idx = np.array([0, 2])
    a = x[idx]                 # an index array's pick is a copy
    a[0] = 5.0
    return np.sum(a * x[:2])


def element_of_an_element(x):
    B = np.zeros((2, 3))
    B[0][1] = x[0]
    for i in range(2):
        B[i][2] = x[1] * i
    return np.sum(B * B * 3.0)


def test_plain_code_that_was_refused():
    """`for t in np.linspace(...)`, `global G` only read, dict(W=w, b=b), a copy picked by
    an index array and written, B[i][j] = v of an array."""
    x = np.array([0.3, -0.2, 0.5])
    full_check(summed_over_a_grid, (0.7,))
    assert srcad.grad(reads_a_declared_global)(0.5) == pytest.approx(2.0)
    full_check(params_by_keywords, (np.array([1.0, -2.0]), 0.5), wrt=(0, 1))
    full_check(picked_by_an_index_array, (x,))
    full_check(element_of_an_element, (np.array([0.5, 2.0]),))


def item_through_dict_keywords(x):
    y = x * 2.0
    d = dict(a=y, b=x)
    d["a"] *= 3.0              # y itself, tripled
    return np.sum(y)


def assigns_a_declared_global(x):
    global SCALE
    SCALE = x
    return SCALE * x


def fills(x):
    y = x * 1.0
    y.fill(2.0)
    return np.sum(y * x)


def writes_out(x):
    y = np.zeros(3)
    np.multiply(x, 2.0, out=y)
    return np.sum(y)


def written_through_a_bool_index(x):
    ws = [x * 3.0, x * 2.0]
    m = 2 > 1                  # a bool: ws[m] is ws[1] itself
    a = ws[m]
    a[0] = 0.0
    return np.sum(ws[1] * x)


def columns_of_a_view(A):
    B = A * 1.0
    for c in np.transpose(B):  # rows of a view of B
        c[0] = 0.0
    return np.sum(B * A)


def updated_by_union(d):
    p = d | {}
    p["a"] += 1.0              # d["a"] itself
    return np.sum(p["a"]) + np.sum(d["a"] ** 2)


def rebuilt_from_a_copy(params):
    p = params.copy()
    q = {"a": p["a"]}
    q["a"] += 1.0              # params["a"] itself
    return np.sum(params["a"] ** 2)


def element_of_a_nested_list(x):
    row = [0.0, 1.0]               # (B[0] is row: a display of new lists writes, helper-109)
    B = [row, [2.0, 3.0]]
    B[0][1] = x
    return B[0][1] * 2.0 + row[1]


@pytest.mark.parametrize("f, x, message", [
    (item_through_dict_keywords, np.ones(3), "also reached through 'y'"),
    (assigns_a_declared_global, 0.5, "'global' of a name the function assigns"),
    (fills, np.ones(3), r"'\.fill\(\)', which changes what it is called on in place"),
    (writes_out, np.ones(3), "out="),
    (element_of_a_nested_list, 0.5, "take the inner list first"),
    # (any of a generator over two loops: the break would leave the inner one only)
    (any_pair_positive, np.ones(3), "a generator expression"),
    (written_through_a_bool_index, np.ones(3), "also reached through 'ws'"),
    (columns_of_a_view, np.ones((2, 2)), r"iterating over np.transpose\(...\)"),
    (updated_by_union, {"a": np.ones(2)}, "that the copy holds too"),
    (rebuilt_from_a_copy, {"a": np.ones(2)}, "that the copy holds too")])
def test_what_stays_refused_says_what_to_write(f, x, message):
    with pytest.raises(srcad.UnsupportedError, match=message):
        srcad.grad(f)(x)


def middle_of_three(a, b, c):
    s = sorted([a, b, c])
    return s[1] * 2.0 + s[0]


def largest_first(x):
    s = sorted(x, reverse=True)
    return s[0] * 3.0 + s[-1]


def sorted_by_a_key(x):
    s = sorted(x, key=abs)
    return s[0] * 3.0


def test_sorted():
    """helper-70: sorted had no rule. Each item's adjoint goes back where it came from."""
    assert srcad.grad(middle_of_three, wrt=(0, 1, 2))(0.5, 0.2, 0.9) == \
        pytest.approx((2.0, 1.0, 0.0))
    x = np.array([0.5, 0.2, 0.9])
    full_check(largest_first, (x,))
    assert srcad.grad(largest_first)([0.5, 0.2, 0.9]) == pytest.approx([0.0, 1.0, 3.0])
    assert srcad.jvp(largest_first)(x, np.array([1.0, 10.0, 100.0]))[1] == pytest.approx(310.0)
    with pytest.raises(srcad.SrcadError, match="key="):
        srcad.grad(sorted_by_a_key)(x)


def pivoted_by_argmin(x):
    a = x * 1.0
    for i in range(a.shape[0]):
        m = i + int(np.argmin(a[i:]))
        a[i], a[m] = a[m], a[i]          # numbers of a vector: no views
    return np.sum(a * np.arange(1.0, a.shape[0] + 1))


def test_a_swap_at_an_index_int_makes():
    """helper-69: int(...) (and np.argmin without an axis) is a number, so a[m] of a vector
    is one: the swap was refused as if the items were rows."""
    full_check(pivoted_by_argmin, (np.array([0.5, -0.2, 0.9]),))


def none_or_zero(x, y):
    return (0.0 if x is None else x) + y * 2.0


def test_a_gradient_with_respect_to_none_is_an_error():
    """helper-70: grad with respect to a None argument gave 0.0 (a string: an error)."""
    with pytest.raises(srcad.ArgumentError, match="argument 0 is None"):
        srcad.grad(none_or_zero)(None, 2.0)
    assert srcad.grad(none_or_zero, wrt=1)(None, 2.0) == pytest.approx(2.0)


def none_by_default(x, y=None):
    return x * 2.0 + (0.0 if y is None else y)


def test_a_gradient_with_respect_to_a_default_none_is_an_error():
    """helper-73: the parameter left to its default None gave 0.0, as None passed did."""
    with pytest.raises(srcad.ArgumentError, match=r"argument 1 \(y\) is left to its default"):
        srcad.grad(none_by_default, wrt=1)(0.5)
    assert srcad.grad(none_by_default, wrt=1)(0.5, 1.5) == pytest.approx(1.0)
    assert srcad.grad(none_by_default)(0.5) == pytest.approx(2.0)


# ----- seventeenth session: helper-75's derivatives for arguments of any kind -----

def list_slice_made_shorter(x):
    u = list(x)
    u[1:3] = [u[1] * u[2]]
    return np.sum(np.asarray(u) ** 2)


def list_slice_made_longer(x):
    u = list(x)
    u[0:1] = [u[0] * 2.0, u[0] * 3.0]
    return np.sum(np.asarray(u) ** 2)


def list_slice_of_its_length(x):
    u = list(x)
    u[1:3] = [u[1] * u[2], u[2]]
    return np.sum(np.asarray(u) ** 2)


def test_a_list_slice_write_that_changes_the_length():
    """The gradient lost the last item's derivative (a wrong gradient without a word) or
    crashed (IndexError, ValueError): refused where it runs; a write of the slice's length
    is differentiated."""
    for f in (list_slice_made_shorter, list_slice_made_longer):
        for x in ([0.5, 0.7, 0.9, 1.1], np.array([0.5, 0.7, 0.9, 1.1])):
            with pytest.raises(srcad.UnsupportedError, match="changes the length of a list"):
                srcad.grad(f)(x)
    full_check(list_slice_of_its_length, (np.array([0.5, 0.7, 0.9, 1.1]),))


def added_into_integers(k, x):
    u = np.zeros_like(k)       # ints: NumPy truncates each sum
    np.add.at(u, [0, 0], x)
    return np.sum(u * x)


def rebound_zero_dimensional(x):
    s = np.zeros(())
    s[...] = x
    s = s + x * x
    return float(s)


def test_add_at_into_integers_and_a_zero_dimensional_write():
    """np.add.at into an int array gave 3 for NumPy's 2 (the sums were truncated once, at
    the end), and its gradient 3.0 for 2.0; a 0-d array written and rebound crashed the
    derivative for arguments of any kind (`g[...]` of a float adjoint)."""
    k = np.array([1, 2, 3])
    assert srcad.value_and_grad(added_into_integers, wrt=1)(k, 1.7)[0] == \
        pytest.approx(added_into_integers(k, 1.7))
    assert srcad.grad(added_into_integers, wrt=1)(k, 1.7) == pytest.approx(2.0)
    generic = srcad.api.derive(rebound_zero_dimensional, (0,), ("other",))
    assert generic.function(0.7) == pytest.approx(2.4)
    assert srcad.grad(rebound_zero_dimensional)(0.7) == pytest.approx(2.4)


def item_of_a_union_written(d):
    p = {} | d
    t = p["a"]                 # d["a"] itself
    t[0] = 0.0
    return np.sum(t) + np.sum(d["a"] ** 2)


def test_an_item_of_a_dict_union_is_the_arguments():
    """`{} | d` holds d's arrays, as d.copy() does (found by re-running helper-73's cases)."""
    with pytest.raises(srcad.UnsupportedError, match="that the copy holds too"):
        srcad.grad(item_of_a_union_written)({"a": np.array([1.0, 2.0])})


# ----- eighteenth session: helper-78 and helper-79 -----

def _scratch_default():
    def scratch(x, buf=np.zeros(3)):
        buf[0] = buf[0] + x
        return buf[0] * x
    return scratch


@pytest.mark.parametrize("mode", ["grad", "vjp", "hvp", "hessian", "jacobian"])
def test_a_default_array_the_function_writes_stays_as_it_was(mode):
    """helper-78: the check run (is the value a number?) ran the function on copies of
    the arguments but not of the defaults it left to the function: the run wrote into the
    default array, and the derivative was taken at the changed default (grad 1.5 for
    1.0 = d(x * x)/dx at 0.5)."""
    f = _scratch_default()
    expected = {"grad": 1.0, "vjp": 1.0, "hvp": 2.0, "hessian": 2.0, "jacobian": 1.0}
    if mode == "vjp":
        got = srcad.vjp(f)(0.5)[1](1.0)
    elif mode == "hvp":
        got = srcad.hvp(f)(0.5, 1.0)
    else:
        got = getattr(srcad, mode)(f)(0.5)
    assert np.allclose(got, expected[mode])
    assert np.all(f.__defaults__[0] == 0.0)


class Squaring:
    """An object whose * is not a product: s * x is 3 x ** 2."""

    def __mul__(self, x):
        return 3.0 * x ** 2

    __rmul__ = __mul__


class LinearMap:
    def __init__(self, A):
        self.A = np.asarray(A, dtype=float)

    def __matmul__(self, x):
        return self.A @ x


with warnings.catch_warnings():
    warnings.simplefilter("ignore", PendingDeprecationWarning)
    MATRIX = np.matrix([[2.0, 1.0], [0.5, 3.0]])


def scaled_by_an_object(x, s):
    return s * x


def applied_map(x, L):
    return np.sum((L @ x) ** 2)


def times_a_global_matrix(x):
    return np.sum(np.asarray(MATRIX * x) ** 2)


def object_used_where_nothing_varies(x, s):
    c = s * 2.0
    return c * np.sum(x * x)


@pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")      # (np.matrix)
@pytest.mark.parametrize("f, args", [
    (scaled_by_an_object, (0.7, Squaring())),
    (applied_map, (np.array([0.3, -0.4]), LinearMap([[2.0, 0.0], [1.0, 3.0]]))),
    (times_a_global_matrix, (np.array([[0.3], [-0.7]]),))])
@pytest.mark.parametrize("mode", ["grad", "jvp"])
def test_an_operand_with_operators_of_its_own_is_refused(f, args, mode):
    """helper-78: an operand whose class brings its own `*` or `@` (a user class, a
    scipy.sparse matrix, np.matrix) got the derivative of NumPy's operator: 3.0 for 4.2
    (nonlinear __mul__), or a crash (AxisError) in runtime.matmul_adjoint_y. Refused where
    the operator's value varies."""
    with pytest.raises(srcad.UnsupportedError, match="brings its operators with it"):
        if mode == "grad":
            srcad.grad(f)(*args)
        else:
            srcad.jvp(f)(*args, np.ones_like(args[0]))


def object_converted_where_nothing_varies(x, s):
    c = float(s * 2.0)
    return c * np.sum(x * x)


def test_an_object_with_operators_where_nothing_varies_is_accepted():
    """What the function computes from such an object is taken for one of its kind (an
    np.matrix or a sparse matrix stays one; a class's own `*` may give anything): refused
    where it meets arithmetic that varies, unless converted (float(...), np.asarray)."""
    x = np.array([1.0, 2.0])
    assert np.allclose(srcad.grad(object_converted_where_nothing_varies)(x, Squaring()),
                       24.0 * x)
    with pytest.raises(srcad.UnsupportedError, match="brings its operators with it"):
        srcad.grad(object_used_where_nothing_varies)(x, Squaring())


def math_power_plus_x(x, n):
    return math.pow(x, n) + x


def test_math_pow_at_a_zero_base_with_a_zero_exponent():
    """helper-79: the rule computed n * math.pow(x, n - 1), which raises at x = 0 for n = 0
    (math domain error), where x ** 0 is 1 and its slope 0 (`**` gave 1.0)."""
    assert srcad.grad(math_power_plus_x)(0.0, 0.0) == 1.0
    assert srcad.jvp(math_power_plus_x)(0.0, 0.0, 1.0) == (1.0, 1.0)
    assert srcad.hessian(math_power_plus_x)(0.0, 1.0) == 0.0
    assert srcad.grad(math_power_plus_x, wrt=(0, 1))(2.0, 3.0) == pytest.approx(
        (13.0, 8.0 * math.log(2.0)))
    # helper-80: a rule `... if y != 0 else 0.0` lost the y-derivative of the x-slope there
    h = srcad.hessian(math_power_plus_x, wrt=(0, 1))(2.0, 0.0)
    assert np.allclose(np.array(h, dtype=float), [[0.0, 0.5], [0.5, math.log(2.0) ** 2]])


def power_from_a_list(x):
    items = [2, x[0]]
    return np.sum(x ** items[0]) * items[1]


def np_power_from_a_tuple(x):
    t = (3.0, np.sin(x[0]))
    return np.sum(np.power(x, t[0])) + t[1]


def math_pow_from_a_dict(x):
    d = {"n": 2, "s": x[0] * 2.0}
    return math.pow(x[1], d["n"]) * d["s"] + pow(x[1], d["n"]) * x[2]


def powers_from_pairs(x):
    total = 0.0
    for n, c in [(1, x[0]), (2, x[1]), (3, x[2])]:
        total = total + np.sum(x ** n) * c
    return total


@pytest.mark.parametrize("f", [power_from_a_list, np_power_from_a_tuple, math_pow_from_a_dict,
                               powers_from_pairs])
def test_an_exponent_read_from_a_container_with_floats_keeps_a_negative_base(f):
    """An int (or float) exponent read from a list that also holds a varying float has a
    tangent of zeros; times its slope x ** y log(x), nan at x < 0, it made jvp nan and rows
    of the Hessian nan where x ** n has its derivatives (the tangent of the exponent's term
    is 0 where the exponent does not move)."""
    x = np.array([0.4, -0.7, 1.1])
    g = srcad.grad(f)(x)
    v = np.array([0.3, -1.0, 0.5])
    assert srcad.jvp(f)(x, v)[1] == pytest.approx(g @ v, rel=1e-9)
    expected = numeric_jacobian(srcad.grad(f), x)
    np.testing.assert_allclose(srcad.hessian(f)(x), expected, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(srcad.hvp(f)(x, v), expected @ v, rtol=1e-6, atol=1e-8)


def loss_and_sum(x):
    return (np.sum(x ** 2), np.sum(x))


def loss_and_sum_listed(x):
    return [np.sum(x ** 2), np.sum(x)]


def loss_and_sum_in_a_dict(x):
    return {"loss": np.sum(x ** 2), "sum": np.sum(x)}


@pytest.mark.parametrize("f", [loss_and_sum, loss_and_sum_listed, loss_and_sum_in_a_dict])
def test_value_and_grad_of_a_function_returning_several_values(f):
    """helper-79: value_and_grad ran the derivative without the output check that grad
    makes, and its code failed on `vbar_3[0]` of the seed 1.0 (a bare TypeError)."""
    with pytest.raises(srcad.NonScalarOutputError, match="^value_and_grad needs"):
        srcad.value_and_grad(f)(np.array([0.1, 0.2, 0.3]))


def sum_of_multiples(x, n):
    s = 0.0
    for i in range(n):
        s = s + x * i
    return s


@pytest.mark.parametrize("mode", ["jvp", "hvp"])
def test_forward_modes_with_an_integer_count_among_wrt(mode):
    """helper-79: grad says that the integer n, made a float to be differentiated, fails
    in range(n); jvp and hvp let the bare TypeError out."""
    with pytest.raises(srcad.ArgumentError, match="integer argument"):
        getattr(srcad, mode)(sum_of_multiples, wrt=(0, 1))(0.5, 3, (1.0, 1.0))


def forgets_to_return(x):
    y = x * 2


def returns_none(x):
    return None


@pytest.mark.parametrize("f", [forgets_to_return, returns_none])
def test_jvp_of_a_function_returning_none(f):
    """helper-78: jvp made up a tangent 0.0 for the None a function without `return`
    gives; None has none (JAX gives (None, None))."""
    assert srcad.jvp(f)(0.7, 1.0) == (None, None)


def exec_statement(x):
    exec("y = 1")
    return x * x


def test_exec_as_a_statement_gets_its_own_error():
    """helper-78: `exec("...")` as a statement was 'a call whose result is unused'."""
    with pytest.raises(srcad.UnsupportedError, match=r"exec\(\), which reads the names"):
        srcad.grad(exec_statement)(0.7)


def power_times(x, s):
    return np.sum(x ** 2) * s


@pytest.mark.parametrize("bad", [None, "abc"])
def test_hvp_with_none_or_text_among_wrt(bad):
    """helper-78: hvp ran the function on them first (a TypeError of its own)."""
    with pytest.raises(srcad.ArgumentError, match="srcad differentiates with respect to"):
        srcad.hvp(power_times)(bad, 2.0, np.ones(2))


def dict_scaled(p):
    return {"a": p["a"] * 2.0, "b": p["b"] * 3.0}


def test_a_tangent_dict_with_other_keys_names_them():
    """helper-79: 'a dict of 2, not a dict of 2'."""
    p = {"a": 1.0, "b": 2.0}
    with pytest.raises(srcad.ArgumentError, match="keys 'a', 'b', not a dict with keys 'a', 'c'"):
        srcad.jvp(dict_scaled)(p, {"a": 1.0, "c": 1.0})


def dict_comprehension_product(x):
    d = {k: x * (k + 1) for k in range(3)}
    return sum(d.values()) * d[1]


def test_second_derivative_of_a_dict_comprehension():
    """helper-78: the refusal spoke of arrays written in place, of code with a dict
    comprehension and no array. helper-100: differentiated again (12 x^2: 24)."""
    assert srcad.grad(dict_comprehension_product)(0.7) == pytest.approx(16.8)
    assert srcad.hessian(dict_comprehension_product)(0.7) == pytest.approx(24.0, rel=1e-12)
    assert srcad.grad(srcad.grad(dict_comprehension_product))(0.7) == pytest.approx(
        24.0, rel=1e-12)


def test_grad_of_a_function_returning_a_dict_names_its_keys():
    """helper-79: the message read 'a value of shape a dict'."""
    with pytest.raises(srcad.NonScalarOutputError, match=r"returned a dict \(keys 'loss', 'sum'\)"):
        srcad.grad(loss_and_sum_in_a_dict)(np.array([0.1, 0.2]))


def product_of_layer_norms(ws):
    return np.sum(ws[0] ** 2) * np.sum(ws[1] ** 3)


@pytest.mark.parametrize("container", [list, tuple])
def test_hessian_with_respect_to_arrays_of_several_shapes(container):
    """A list of arrays of several shapes was an ArgumentError (that named
    srcad.jacobian); JAX gives a list of lists of blocks, as srcad does for a dict."""
    ws = container([np.array([0.3, -0.5]), np.array([0.2, 0.4, -0.1])])
    h = srcad.hessian(product_of_layer_norms)(ws)
    assert type(h) is container and all(type(row) is container for row in h)
    a, b = ws
    expected = [[2.0 * np.eye(2) * np.sum(b ** 3), np.outer(2 * a, 3 * b ** 2)],
                [np.outer(3 * b ** 2, 2 * a), np.diag(6 * b) * np.sum(a ** 2)]]
    for i in range(2):
        for j in range(2):
            np.testing.assert_allclose(h[i][j], expected[i][j], rtol=1e-12, atol=1e-14)


def scratch_made_when_none(x, buf=None):
    if buf is None:
        buf = np.zeros(2)
    buf[0] = buf[0] + x
    return buf[0] * x


def test_a_none_default_made_into_an_array_then_written():
    """helper-80: the derivative copied the parameter it writes (`buf.copy()`), also when
    it was the None of `buf=None` (a bare AttributeError)."""
    assert srcad.grad(scratch_made_when_none)(1.5) == pytest.approx(3.0)
    assert srcad.jvp(scratch_made_when_none)(1.5, 1.0) == pytest.approx((2.25, 3.0))
    buf = np.array([1.0, 2.0])
    assert srcad.grad(scratch_made_when_none)(1.5, buf) == pytest.approx(4.0)   # 2x + 1
    assert buf.tolist() == [1.0, 2.0]


def accumulates_in_its_default(x, buf=np.zeros(2)):
    buf[0] = buf[0] + x
    return buf[0] * x


def calls_it_twice(x):
    return accumulates_in_its_default(x) + accumulates_in_its_default(x)


def calls_it_with_new_buffers(x):
    return accumulates_in_its_default(x, np.zeros(2)) + accumulates_in_its_default(
        x, np.zeros(2))


@pytest.mark.parametrize("mode", ["grad", "jvp", "value_and_grad"])
def test_a_called_function_writing_its_default_is_refused(mode):
    """helper-80: a function that changes its default array keeps the change for the next
    call; srcad's derivative of its callers did not follow it (grad 18.0 for 9.0)."""
    f = getattr(srcad, mode)(calls_it_twice)
    with pytest.raises(srcad.UnsupportedError, match="its default value of 'buf'"):
        f(1.5, 1.0) if mode == "jvp" else f(1.5)
    # what the refusal says to write: a new array for each call
    g = getattr(srcad, mode)(calls_it_with_new_buffers)
    assert (g(1.5, 1.0)[1] if mode == "jvp" else g(1.5) if mode == "grad"
            else g(1.5)[1]) == pytest.approx(4 * 1.5)


class Remainder:
    """An object whose % is x * x."""

    def __rmod__(self, x):
        return x * x


REMAINDER = Remainder()


class MatrixProductArray(np.ndarray):
    """An ndarray whose * is a matrix product."""

    def __mul__(self, other):
        return np.asarray(self) @ np.asarray(other)


PRODUCT_ARRAY = np.array([[2.0, 1.0], [0.5, 3.0]]).view(MatrixProductArray)


def squaring_made_inside(x):
    s = Squaring()
    return s * x


def matrix_made_inside(s):
    M = np.matrix([[1.0, 2.0], [3.0, 4.0]])
    return float((M * (M * s))[0, 1])


def squaring_by_default(x, s=Squaring()):
    return s * x


def remainder_of_a_global(x):
    return x % REMAINDER


def times_a_product_array(x):
    return np.sum(np.asarray(PRODUCT_ARRAY * x))


@pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")      # (np.matrix)
@pytest.mark.parametrize("f, x", [
    (squaring_made_inside, 0.7), (matrix_made_inside, 0.7), (squaring_by_default, 0.7),
    (remainder_of_a_global, 0.7), (times_a_product_array, np.array([0.3, -0.4]))])
def test_more_operands_with_operators_of_their_own_are_refused(f, x):
    """helper-80: an object made in the function (a class with its own *, np.matrix), one
    left to a default, a % of its own, an ndarray subclass redefining *: wrong numbers
    (37.0 for 10.0 of the np.matrix) or bare errors."""
    with pytest.raises(srcad.UnsupportedError, match="brings its operators with it"):
        srcad.grad(f)(x)


def scaled_by_a_masked_array(x, m):
    return np.sum(m * x ** 2)


MASKED = np.ma.masked_array([1.0, 2.0, 3.0], mask=[False, True, False])


def scaled_by_a_global_masked_array(x):
    return np.sum(MASKED * x ** 2)


def squares_summed(x):
    return np.sum(x ** 2)


def masked_where_inside(x, c):
    return np.sum(np.ma.masked_where(c > 1.5, c) * x ** 2)


def masked_array_made_inside(x, c):
    m = np.ma.array(c, mask=[False, True, False])
    return np.sum(m * x ** 2)


def masked_array_filled(x, c):
    m = np.ma.masked_array(c, mask=[False, True, False])
    return np.sum(m.filled(0.0) * x ** 2)


@pytest.mark.parametrize("f, rest", [
    (scaled_by_a_masked_array, (MASKED,)), (scaled_by_a_global_masked_array, ()),
    (masked_where_inside, (np.array([1.0, 2.0, 3.0]),)),
    (masked_array_made_inside, (np.array([1.0, 2.0, 3.0]),))])
@pytest.mark.parametrize("mode", ["grad", "jvp"])
def test_a_masked_array_operand_is_refused(f, rest, mode):
    """A masked array's operators and reductions skip its masked entries, srcad's
    derivatives do not: the gradient of sum(m * x ** 2) kept the masked entry's term
    ([2, 1, 6] for [2, 0, 6]), as an argument, a global, or one the function makes
    (np.ma.masked_where, np.ma.array). Refused, with how to make an array of it."""
    x = np.ones(3)
    with pytest.raises(srcad.UnsupportedError, match=r"numpy\.ma\.MaskedArray, which brings "
                       r"its operators with it(.|\n)*m\.filled\(0\.0\)"):
        if mode == "grad":
            srcad.grad(f)(x, *rest)
        else:
            srcad.jvp(f)(x, *rest, np.ones(3))


def test_a_masked_array_differentiated_or_filled():
    """Differentiated with respect to a masked array: refused as well. What the hint
    says to write (`m.filled(0.0)`) is an array: its gradient is the right one."""
    with pytest.raises(srcad.UnsupportedError, match="numpy.ma.MaskedArray"):
        srcad.grad(squares_summed)(MASKED)
    c = np.array([1.0, 2.0, 3.0])
    x = np.array([0.5, -1.0, 2.0])
    np.testing.assert_allclose(srcad.grad(masked_array_filled)(x, c), 2 * x * [1.0, 0.0, 3.0])
    np.testing.assert_allclose(srcad.grad(scaled_by_a_masked_array)(x, MASKED.filled(0.0)),
                               2 * x * [1.0, 0.0, 3.0])


def none_on_one_branch(x):
    if x > 0:
        return None
    return x * 2


def none_unless_large(x):
    r = None
    if x > 10:
        r = x * 2
    return r


def returns_early(x):
    if x > 0:
        return x * 2
    return x * 3


def test_jvp_of_a_function_returning_none_on_one_path():
    """helper-80: (None, 0.0) where the path taken returns None; the tangent is None
    there, and a function with early returns keeps its plain `return v, vdot`."""
    assert srcad.jvp(none_on_one_branch)(1.5, 1.0) == (None, None)
    assert srcad.jvp(none_on_one_branch)(-1.5, 1.0) == (-3.0, 2.0)
    assert srcad.jvp(none_unless_large)(1.5, 1.0) == (None, None)
    assert srcad.jvp(none_unless_large)(11.0, 1.0) == (22.0, 2.0)
    j = srcad.jvp(returns_early)
    assert j(1.5, 1.0) == (3.0, 2.0)
    assert "is None" not in j.source


def none_beside_a_value(x):
    return (None, x * 2)


def none_in_a_list_and_a_dict(x):
    return [x * 2, None], {"a": None, "b": x * 3}


def none_after_a_loop_that_may_return(x):
    for i in range(3):
        if i > 5:
            return x
    return None


def a_text(x):
    return "abc"


def a_text_on_one_path(x):
    return "small" if x < 1 else x * 2


@pytest.mark.parametrize("f, x, expected", [
    (none_beside_a_value, 1.5, (None, 2.0)),
    (none_in_a_list_and_a_dict, 1.5, ([2.0, None], {"a": None, "b": 3.0})),
    (none_after_a_loop_that_may_return, 1.5, None),
    (a_text, 1.5, None), (a_text_on_one_path, 0.5, None),
    (a_text_on_one_path, 1.5, 2.0)])
def test_jvp_has_no_tangent_for_none_or_a_text(f, x, expected):
    """A None or a text among the outputs has no tangent, as in JAX: jvp made one up
    ((0.0, 2.0) for `(None, x * 2)`; 0.0 for "abc")."""
    assert srcad.jvp(f)(x, 1.0)[1] == expected


def adds_into_its_buffer(x, buf):
    buf[0] = buf[0] + x
    return buf[0] * x


def passes_a_new_zeroed_buffer(x):
    return adds_into_its_buffer(x, np.ones(2) * 0.0)


def passes_np_zeros(x):
    return adds_into_its_buffer(x, np.zeros(2))


@pytest.mark.parametrize("f", [passes_a_new_zeroed_buffer, passes_np_zeros])
def test_a_new_array_that_the_callee_changes_in_place(f):
    """Found while widening the arrays taken for new (np.zeros): reverse mode called the
    callee in the forward sweep, which wrote into the array, then its derivative with the
    written array (grad 4.5 for 3.0, silently). The forward sweep's call takes a copy;
    forward mode calls the callee once."""
    g = srcad.grad(f)
    assert g(1.5) == pytest.approx(3.0)
    assert "fresh(v_1))" in g.source or "fresh(v_2))" in g.source
    assert srcad.jvp(f)(1.5, 1.0) == pytest.approx((2.25, 3.0))
    assert srcad.hessian(f)(1.5) == pytest.approx(2.0)


def copied_into_then_doubled(x, buf):
    buf[:] = x
    buf[0] = buf[0] * 2.0
    return buf


def passes_x_and_a_new_buffer(x):
    y = copied_into_then_doubled(x, np.zeros(2))
    return np.sum(y * x)


def test_a_slice_store_shares_nothing_a_later_slot_write_could_change():
    """`buf[:] = x` copies x's values into array buf (a list's slots get x's items):
    `buf[0] = ...` afterwards changes neither x nor its items. The callee was refused for
    changing 'x' in place."""
    x = np.array([1.0, 2.0])
    assert np.allclose(srcad.grad(passes_x_and_a_new_buffer)(x), [4.0, 4.0])
    assert np.allclose(srcad.jvp(passes_x_and_a_new_buffer)(x, np.ones(2))[1], 8.0)
    assert np.allclose(x, [1.0, 2.0])


def matrix_made_then_converted(x, A):
    M = np.matrix(A)
    M = np.array(M)
    return np.sum((M @ x) ** 2)


def matrix_argument_converted(x, A):
    A = np.asarray(A)
    return np.sum((A @ x) ** 2)


@pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")      # (np.matrix)
@pytest.mark.parametrize("f", [matrix_made_then_converted, matrix_argument_converted])
def test_an_np_matrix_converted_before_the_product_is_accepted(f):
    """helper-81: a name that held an np.matrix anywhere was refused everywhere, also
    after `M = np.array(M)` (what the refusal's hint says to write)."""
    A = np.array([[1.0, 2.0], [3.0, 4.0]])
    x = np.array([0.7, -1.3])
    got = srcad.grad(f)(x, np.matrix(A) if f is matrix_argument_converted else A)
    np.testing.assert_allclose(got, 2 * A.T @ (A @ x))


def applies_an_operator(s, x):
    return s * x


def passes_the_object_on(x, s):
    return applies_an_operator(s, x)


def test_an_object_with_operators_of_its_own_passed_to_a_callee_is_refused():
    """helper-81: the callee's derivative took it for a number or an array (grad 1.0 for
    3.0 = d(x * x)/dx at 1.5)."""
    with pytest.raises(srcad.UnsupportedError, match="an argument of this call is a"):
        srcad.grad(passes_the_object_on)(1.5, Squaring())


def product_by_a_method(x, M):
    return np.sum(np.asarray(M.dot(x)) ** 2)


@pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")      # (np.matrix)
def test_a_method_of_an_object_with_operators_of_its_own_is_refused():
    """helper-83: `M.dot(x)` of a sparse matrix crashed (IndexError) in the array method's
    rule; an np.matrix is refused the same way."""
    with pytest.raises(srcad.UnsupportedError, match="the object of this method is a"):
        srcad.grad(product_by_a_method)(np.array([0.3, -0.5]), np.matrix([[1.0, 2.0],
                                                                           [3.0, 4.0]]))
    A = np.array([[1.0, 2.0], [3.0, 4.0]])
    x = np.array([0.3, -0.5])
    np.testing.assert_allclose(srcad.grad(product_by_a_method)(x, A), 2 * A.T @ (A @ x))


def times_an_item(x, Ms):
    return np.sum(x * (Ms[0] @ x))


def times_a_dict_value(x, d):
    return np.sum(d["A"] @ x)


def times_an_unpacked_item(x, pair):
    M, b = pair
    return np.sum((M @ x) * b)


def times_each_item(x, Ms):
    s = 0.0
    for M in Ms:
        s = s + np.sum(M @ x)
    return s


def times_an_attribute(x, m):
    return np.sum((m.A @ x) ** 2)


class _Holder:
    def __init__(self, **values):
        self.__dict__.update(values)


GLOBAL_MAPS = [LinearMap([[2.0, 0.0], [1.0, 3.0]])]
GLOBAL_HOLDER = _Holder(L=LinearMap([[2.0, 0.0], [1.0, 3.0]]), w=np.array([1.0, 2.0]))


def times_a_global_item(x):
    return np.sum(GLOBAL_MAPS[0] @ x)


def times_a_global_attribute(x):
    return np.sum(GLOBAL_HOLDER.L @ x)


def times_an_item_of_a_list_made_inside(x):
    maps = [GLOBAL_MAPS[0], Squaring()]
    return np.sum(maps[1] * x)


_L = LinearMap([[2.0, 0.0], [1.0, 3.0]])


@pytest.mark.parametrize("f, rest", [
    (times_an_item, ([_L],)), (times_a_dict_value, ({"A": _L},)),
    (times_an_unpacked_item, ((_L, np.array([1.0, -1.0])),)),
    (times_each_item, ([_L, _L],)), (times_an_attribute, (_Holder(A=_L),)),
    (times_a_global_item, ()), (times_a_global_attribute, ()),
    (times_an_item_of_a_list_made_inside, ())])
@pytest.mark.parametrize("mode", ["grad", "jvp", "hessian"])
def test_an_item_or_attribute_with_operators_of_its_own_is_refused(f, rest, mode):
    """An object with operators of its own reached through a list item, a dict value, an
    unpacked tuple, a loop over a list, an attribute of an argument or of a global: a
    sparse matrix in a list gave an object array of sparse matrices for the gradient, an
    attribute one an AxisError."""
    x = np.array([0.3, -0.4])
    with pytest.raises(srcad.UnsupportedError, match="brings its operators with it"):
        if mode == "jvp":
            srcad.jvp(f)(x, *rest, np.ones(2))
        else:
            getattr(srcad, mode)(f)(x, *rest)


def times_a_scaled_object(x, A):
    B = A * 2.0
    return np.sum(np.sin(B * x))


def divided_by_a_shifted_item(x, L):
    s = 0.0
    for A in L:
        s = s + np.sum(np.sin(x / (A + 5.0)))
    return s


def _attribute_of(p):
    return p.A


def times_what_a_helper_returns(x, p):
    A = _attribute_of(p)
    return np.sum(np.sin(A * x))


def times_by_operator_mul(x, A):
    return np.sum(np.sin(operator.mul(A, x)))


def times_by_np_multiply(x, A):
    return np.sum(np.sin(np.multiply(A, x)))


def times_by_np_dot(x, A):
    return np.sum(np.sin(np.dot(A, x)))


def times_a_keyword_only(x, *, A):
    return np.sum(np.sin(A * x))


_COMPUTED_FROM = [
    (times_a_scaled_object, lambda A: ((A,), {})),
    (divided_by_a_shifted_item, lambda A: (([A, A],), {})),
    (times_what_a_helper_returns, lambda A: ((_Holder(A=A),), {})),
    (times_by_operator_mul, lambda A: ((A,), {})),
    (times_by_np_multiply, lambda A: ((A,), {})),
    (times_by_np_dot, lambda A: ((A,), {})),
    (times_a_keyword_only, lambda A: ((), {"A": A}))]


@pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")      # (np.matrix)
@pytest.mark.parametrize("f, make, kind", [(f, make, "matrix") for f, make in _COMPUTED_FROM]
                         + [(f, make, "map") for f, make in _COMPUTED_FROM if f not in (
                             divided_by_a_shifted_item, times_by_np_multiply,
                             times_by_np_dot)])   # (a LinearMap has no +, NumPy's * and dot)
def test_values_computed_from_an_object_with_operators_of_its_own_are_refused(f, make, kind):
    """helper-86: `B = A * 2.0` of an np.matrix or a sparse matrix is one too, as is what
    `A + 5.0` gives, what a helper returns from such an object, and np.multiply, np.dot,
    operator.mul of one; a keyword-only argument was not looked at: wrong numbers
    (the gradient of an elementwise product for a matrix product, or twice the right one)
    or a bare ValueError."""
    A = MATRIX if kind == "matrix" else _L
    args, kwargs = make(A)
    x = np.array([[0.3, 0.7], [-0.2, 0.4]])
    with pytest.raises(srcad.UnsupportedError, match="brings its operators with it"):
        srcad.grad(f)(x, *args, **kwargs)


REBOUND = np.array([[1.0, 2.0], [0.5, 3.0]])


def times_a_global_rebound_later(x):
    return np.sum(np.sin(REBOUND * x))


def _closure_over(A):
    def times_a_closure_variable(x):
        return np.sum(np.sin(A * x))

    def rebind(value):
        nonlocal A
        A = value
    return times_a_closure_variable, rebind


@pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")      # (np.matrix)
def test_a_global_or_closure_operand_bound_to_an_object_with_operators_later():
    """helper-86: a global (or closure variable) that an operator takes, an array at the
    first call and later bound to an np.matrix: the cached derivative (also of a new
    srcad.grad) gave the elementwise product's gradient for a matrix product. The
    derivative holds while the name holds a value of the type it had."""
    global REBOUND
    x = np.array([[0.3, 0.7], [-0.2, 0.4]])
    M = np.array([[1.0, 2.0], [0.5, 3.0]])
    g = srcad.grad(times_a_global_rebound_later)
    np.testing.assert_allclose(g(x), M * np.cos(M * x))
    try:
        REBOUND = np.matrix(M)
        for grad in (g, srcad.grad(times_a_global_rebound_later)):
            with pytest.raises(srcad.UnsupportedError, match="brings its operators"):
                grad(x)
    finally:
        REBOUND = M
    np.testing.assert_allclose(g(x), M * np.cos(M * x))
    f, rebind = _closure_over(M.copy())
    g = srcad.grad(f)
    np.testing.assert_allclose(g(x), M * np.cos(M * x))
    rebind(np.matrix(M))
    with pytest.raises(srcad.UnsupportedError, match="brings its operators"):
        g(x)


GLOBAL_MAP = LinearMap([[2.0, 0.0], [1.0, 3.0]])
GLOBAL_SQUARING = Squaring()
GLOBAL_CONFIG = _Holder(L=np.array([[2.0, 0.0], [1.0, 3.0]]))


def _the_same(o):
    return o


def global_map_chosen_in_a_branch(x):
    B = GLOBAL_MAP
    if x[0] > -100.0:
        B = GLOBAL_MAP
    return np.sum(B @ x)


def global_through_a_helper(x):
    return np.sum(_the_same(GLOBAL_MAP) @ x)


def global_object_negated(x):
    o = -GLOBAL_SQUARING
    return o * x[0]


def global_object_bound_again_multiplied(x):
    y = GLOBAL_SQUARING
    y = y * x[0]
    return y


def global_object_multiplied_in_place(x):
    s = GLOBAL_SQUARING
    s *= x[0]
    return s


def global_map_appended(x):
    maps = []
    maps.append(GLOBAL_MAP)
    return np.sum(maps[0] @ x)


def a_dict_value_got(x, d):
    return d.get("o", 1.0) * x[0]


@pytest.mark.parametrize("f, rest", [
    (global_map_chosen_in_a_branch, ()), (global_through_a_helper, ()), (global_map_appended, ()),
    (global_object_negated, ()), (global_object_bound_again_multiplied, ()),
    (global_object_multiplied_in_place, ()), (a_dict_value_got, ({"o": Squaring()},))])
def test_globals_with_operators_of_their_own_through_other_routes(f, rest):
    """helper-88: a module-level object with operators of its own reached through a
    branch, a helper that returns it, unary minus, a name bound to it then again, `*=`,
    a list it is appended to, or `d.get` of a dict argument holding one: wrong numbers
    (3.0 for 7.8) or a bare AxisError."""
    Squaring.__neg__ = lambda self: self
    try:
        with pytest.raises(srcad.UnsupportedError, match="brings its operators with it"):
            srcad.grad(f)(np.array([0.3, -0.4]), *rest)
    finally:
        del Squaring.__neg__


def times_a_global_attribute_rebound_later(x):
    return np.sum(np.sin(GLOBAL_CONFIG.L @ x))


def test_an_attribute_of_a_global_bound_to_an_object_with_operators_later():
    """helper-88: `CFG.W` an array at the first call, then a sparse matrix (here a class
    with its own @): the cached derivative raised a bare AxisError. The derivative holds
    while the attribute holds a value of the type it had."""
    x = np.array([0.3, -0.4])
    L = GLOBAL_CONFIG.L
    g = srcad.grad(times_a_global_attribute_rebound_later)
    np.testing.assert_allclose(g(x), L.T @ np.cos(L @ x))
    try:
        GLOBAL_CONFIG.L = LinearMap(L)
        with pytest.raises(srcad.UnsupportedError, match="brings its operators with it"):
            g(x)
    finally:
        GLOBAL_CONFIG.L = L
    np.testing.assert_allclose(g(x), L.T @ np.cos(L @ x))


_PATH_L = np.array([[2.0, 0.0], [1.0, 3.0]])
GLOBAL_LAYERS = [_PATH_L]
GLOBAL_WEIGHTS = {"L": _PATH_L}
GLOBAL_PAIR = (_PATH_L, 1.0)
GLOBAL_NESTED = _Holder(inner=_Holder(L=_PATH_L))


def times_a_global_list_item(x):
    return np.sum(np.sin(GLOBAL_LAYERS[0] @ x))


def times_each_global_list_item(x):
    s = 0.0
    for L in GLOBAL_LAYERS:
        s = s + np.sum(np.sin(L @ x))
    return s


def times_a_global_dict_value(x):
    return np.sum(np.sin(GLOBAL_WEIGHTS["L"] @ x))


def times_a_global_tuple_item(x):
    return np.sum(np.sin(GLOBAL_PAIR[0] @ x))


def times_an_attribute_of_an_attribute(x):
    return np.sum(np.sin(GLOBAL_NESTED.inner.L @ x))


def times_an_attribute_got(x):
    return np.sum(np.sin(getattr(GLOBAL_NESTED.inner, "L") @ x))


class ScalableMap(LinearMap):
    """A LinearMap that scales and transposes into another."""

    def __mul__(self, k):
        return ScalableMap(self.A * k)

    @property
    def T(self):
        return ScalableMap(self.A.T)


def times_a_global_list_item_scaled(x):
    B = GLOBAL_LAYERS[0] * 2.0
    return np.sum(np.sin(0.5 * (B @ x)))


def times_a_global_list_item_transposed_twice(x):
    A = GLOBAL_LAYERS[0]
    return np.sum(np.sin(A.T.T @ x))


GLOBAL_MODULE = types.ModuleType("srcad_test_settings")
GLOBAL_MODULE.L = _PATH_L


class GlobalSettings:
    L = _PATH_L


def times_an_attribute_of_a_module(x):
    return np.sum(np.sin(GLOBAL_MODULE.L @ x))


def times_an_attribute_of_a_class(x):
    return np.sum(np.sin(GlobalSettings.L @ x))


def times_a_global_dict_value_got(x):
    return np.sum(np.sin(GLOBAL_WEIGHTS.get("L") @ x))


def _rebind_global(name, value):
    globals()[name] = value


@pytest.mark.parametrize("f, rebind", [
    (times_a_global_list_item, lambda v: GLOBAL_LAYERS.__setitem__(0, v)),
    (times_each_global_list_item, lambda v: GLOBAL_LAYERS.__setitem__(0, v)),
    (times_a_global_dict_value, lambda v: GLOBAL_WEIGHTS.__setitem__("L", v)),
    (times_a_global_tuple_item, lambda v: _rebind_global("GLOBAL_PAIR", (v, 1.0))),
    (times_an_attribute_of_an_attribute, lambda v: setattr(GLOBAL_NESTED.inner, "L", v)),
    (times_an_attribute_of_an_attribute,
     lambda v: _rebind_global("GLOBAL_NESTED", _Holder(inner=_Holder(L=v)))),
    (times_an_attribute_got, lambda v: setattr(GLOBAL_NESTED.inner, "L", v)),
    (times_a_global_list_item_scaled, lambda v: GLOBAL_LAYERS.__setitem__(0, v)),
    (times_a_global_list_item_transposed_twice, lambda v: GLOBAL_LAYERS.__setitem__(0, v)),
    (times_an_attribute_of_a_module, lambda v: setattr(GLOBAL_MODULE, "L", v)),
    (times_an_attribute_of_a_class, lambda v: setattr(GlobalSettings, "L", v)),
    (times_a_global_dict_value_got, lambda v: GLOBAL_WEIGHTS.__setitem__("L", v))])
def test_an_item_or_attribute_of_a_global_bound_to_an_object_with_operators_later(f, rebind):
    """helper-92: `LAYERS[0] @ x`, `for L in LAYERS`, `D["L"]`, `PAIR[0]`,
    `CFG.inner.L` (or the object holding it bound anew), `getattr(CFG.inner, "L")`, what
    is computed from one where nothing varies (`LAYERS[0] * 2.0`, `A.T.T`), an attribute
    of the user's module or class, `D.get("L")`: an
    array at the first call, then an object with operators of its own (a sparse matrix;
    here a class with its own @). The cached derivative kept the elementwise rule (wrong
    numbers) or a bare AxisError; the derivative holds while what the path reaches has the
    type it had, and one made with the object there refuses it."""
    x = np.array([0.3, -0.4])
    expected = _PATH_L.T @ np.cos(_PATH_L @ x)
    g = srcad.grad(f)
    np.testing.assert_allclose(g(x), expected)
    try:
        rebind(ScalableMap(_PATH_L))
        for grad in (g, srcad.grad(f)):
            with pytest.raises(srcad.UnsupportedError, match="brings its operators with it"):
                grad(x)
    finally:
        rebind(_PATH_L)
    np.testing.assert_allclose(g(x), expected)


def _closure_over_a_list(L):
    layers = [L]

    def times_an_item_of_a_closure_list(x):
        return np.sum(np.sin(layers[0] @ x))
    return times_an_item_of_a_closure_list, layers


def test_an_item_of_a_closure_variable_bound_to_an_object_with_operators_later():
    """helper-92: as a global list's item, one of a list a closure holds."""
    x = np.array([0.3, -0.4])
    f, layers = _closure_over_a_list(_PATH_L)
    g = srcad.grad(f)
    np.testing.assert_allclose(g(x), _PATH_L.T @ np.cos(_PATH_L @ x))
    layers[0] = LinearMap(_PATH_L)
    with pytest.raises(srcad.UnsupportedError, match="brings its operators with it"):
        g(x)


def times_an_attribute_of_an_argument(x, p):
    return np.sum(np.sin(p.L @ x))


def test_an_attribute_of_an_argument_that_becomes_an_object_with_operators():
    """helper-86: one derivative object called again with an object of the same class
    whose attribute is now a sparse matrix (here a class with its own @): the calls of
    that class went straight to the derivative made for an array attribute (a bare
    AxisError, or wrong numbers). Such calls are told apart by their attributes' types."""
    x = np.array([0.3, -0.4])
    L = np.array([[2.0, 0.0], [1.0, 3.0]])
    g = srcad.grad(times_an_attribute_of_an_argument)
    for _ in range(2):
        np.testing.assert_allclose(g(x, _Holder(L=L)), L.T @ np.cos(L @ x))
    with pytest.raises(srcad.UnsupportedError, match="brings its operators with it"):
        g(x, _Holder(L=LinearMap(L)))
    np.testing.assert_allclose(g(x, _Holder(L=2.0 * L)), 2.0 * L.T @ np.cos(2.0 * L @ x))


def _global_squaring():
    return GLOBAL_SQUARING


def _global_map_for(k):
    return GLOBAL_MAP


def _global_map_whatever(x):
    return GLOBAL_MAP


def _holder_of_the_global_map():
    return _Holder(L=GLOBAL_MAP)


def _the_global_maps():
    return GLOBAL_MAPS


def times_what_a_helper_without_arguments_gives(x):
    return np.sum(_global_squaring() * x)


def times_what_a_helper_with_arguments_gives(x):
    return np.sum(_global_map_for(1) @ x)


def times_what_a_varying_helper_gives(x):
    return np.sum(_global_map_whatever(x) @ x)


def times_an_attribute_of_what_a_helper_gives(x):
    return np.sum(_holder_of_the_global_map().L @ x)


def times_an_item_of_what_a_helper_gives(x):
    maps = _the_global_maps()
    return np.sum(maps[0] @ x)


@pytest.mark.parametrize("f", [
    times_what_a_helper_without_arguments_gives, times_what_a_helper_with_arguments_gives,
    times_what_a_varying_helper_gives, times_an_attribute_of_what_a_helper_gives,
    times_an_item_of_what_a_helper_gives])
@pytest.mark.parametrize("mode", ["grad", "jvp", "hessian"])
def test_what_a_helper_gives_with_operators_of_its_own_is_refused(f, mode):
    """helper-92: `get() * x` where the helper returns a global object with operators of
    its own (a class's own *, here; a sparse matrix): its type is known only when the
    helper runs, and the derivative took it for an array (3.0 for 6 x, or a "gradient" of
    sparse matrices). The derivative checks such a value where it comes."""
    x = np.array([0.3, -0.4])
    with pytest.raises(srcad.UnsupportedError, match=r"the value of _\w+\(.*\) is a .*, "
                       "which brings its operators with it"):
        if mode == "jvp":
            srcad.jvp(f)(x, np.ones(2))
        else:
            getattr(srcad, mode)(f)(x)


_HELPED = [np.array([[2.0, 0.0], [1.0, 3.0]])]


def _helped_weights():
    return _HELPED[0]


def times_what_a_helper_gives_later(x):
    return np.sum(np.sin(_helped_weights() @ x))


def test_what_a_helper_gives_is_checked_on_each_call():
    """helper-92: an array while the derivative is made, then an object with operators of
    its own: refused on that call; the array again, right again."""
    x = np.array([0.3, -0.4])
    L = _HELPED[0]
    g = srcad.grad(times_what_a_helper_gives_later)
    np.testing.assert_allclose(g(x), L.T @ np.cos(L @ x))
    try:
        _HELPED[0] = LinearMap(L)
        with pytest.raises(srcad.UnsupportedError, match="the value of _helped_weights"):
            g(x)
    finally:
        _HELPED[0] = L
    np.testing.assert_allclose(g(x), L.T @ np.cos(L @ x))
    h = srcad.hessian(times_what_a_helper_gives_later)(x)
    np.testing.assert_allclose(h, -L.T @ np.diag(np.sin(L @ x)) @ L)


def times_a_nested_attribute_of_an_argument(x, p):
    return np.sum(np.sin(p.inner.L @ x))


def times_an_item_of_an_argument_attribute(x, p):
    return np.sum(np.sin(p.layers[0] @ x))


@pytest.mark.parametrize("f, make", [
    (times_a_nested_attribute_of_an_argument, lambda L: _Holder(inner=_Holder(L=L))),
    (times_an_item_of_an_argument_attribute, lambda L: _Holder(layers=[L]))])
def test_what_an_argument_attribute_holds_becomes_an_object_with_operators(f, make):
    """helper-92: `p.inner.L`, `p.layers[0]` an array, then (same object, or another of
    the same class) a sparse matrix (here a class with its own @): the fast path, keyed
    by the types of p's own attributes only, kept the elementwise derivative (wrong
    numbers). It keys by the types of what those hold too."""
    x = np.array([0.3, -0.4])
    L = np.array([[2.0, 0.0], [1.0, 3.0]])
    g = srcad.grad(f)
    p = make(L)
    for _ in range(2):
        np.testing.assert_allclose(g(x, p), L.T @ np.cos(L @ x))
    if f is times_a_nested_attribute_of_an_argument:
        p.inner.L = LinearMap(L)
    else:
        p.layers[0] = LinearMap(L)
    for q in (p, make(LinearMap(L))):
        with pytest.raises(srcad.UnsupportedError, match="brings its operators with it"):
            g(x, q)
    np.testing.assert_allclose(g(x, make(2.0 * L)), 2.0 * L.T @ np.cos(2.0 * L @ x))


def times_a_deep_attribute_of_an_argument(x, p):
    return np.sum(np.sin(p.a.b.c.L @ x))


def times_a_deep_item_of_an_argument(x, p):
    return np.sum(np.sin(p[0][0][0][0] @ x))


@pytest.mark.parametrize("f, make, put", [
    (times_a_deep_attribute_of_an_argument,
     lambda L: _Holder(a=_Holder(b=_Holder(c=_Holder(L=L)))),
     lambda p, v: setattr(p.a.b.c, "L", v)),
    (times_a_deep_item_of_an_argument, lambda L: [[[[L]]]],
     lambda p, v: p[0][0][0].__setitem__(0, v))])
def test_an_object_with_operators_deep_in_an_argument_is_refused(f, make, put):
    """helper-92: four levels down (`p.a.b.c.L`, `p[0][0][0][0]`) an object with
    operators of its own was not looked for (the walk stopped at three): a class's own @
    gave the elementwise product's gradient, a sparse matrix a bare AxisError. Any depth
    is looked at now, on the first call and by the fast path's key; an object that
    holds itself is walked once (a list that holds itself is no argument srcad takes)."""
    x = np.array([0.3, -0.4])
    L = np.array([[2.0, 0.0], [1.0, 3.0]])
    with pytest.raises(srcad.UnsupportedError, match="brings its operators with it"):
        srcad.grad(f)(x, make(LinearMap(L)))
    g = srcad.grad(f)
    p = make(L)
    np.testing.assert_allclose(g(x, p), L.T @ np.cos(L @ x))
    put(p, LinearMap(L))
    with pytest.raises(srcad.UnsupportedError, match="brings its operators with it"):
        g(x, p)
    if f is times_a_deep_attribute_of_an_argument:
        p = make(L)
        p.a.b.back = p                      # (an object that holds itself)
        for _ in range(2):
            np.testing.assert_allclose(g(x, p), L.T @ np.cos(L @ x))


def times_a_converted_product(x, A):
    B = np.asarray(A * 2.0)
    return np.sum(np.sin(B * x))


@pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")      # (np.matrix)
def test_a_value_computed_from_an_object_then_converted_is_accepted():
    x = np.array([[0.3, 0.7], [-0.2, 0.4]])
    M = np.asarray(MATRIX)
    np.testing.assert_allclose(srcad.grad(times_a_converted_product)(x, MATRIX),
                               2 * M * np.cos(2 * M * x))


def times_the_second_item(x, Ms):
    return np.sum(Ms[1] * x)


def times_a_plain_attribute(x, m):
    return np.sum(m.w * x)


def times_a_plain_global_attribute(x):
    return np.sum(GLOBAL_HOLDER.w * x * x)


def test_plain_items_beside_an_object_with_operators_of_its_own_are_accepted():
    """The item (or attribute) that the arithmetic takes is a NumPy array: right, though
    its list (or object) holds another that brings its own operators."""
    x = np.array([0.3, -0.4])
    w = np.array([1.0, 2.0])
    assert np.allclose(srcad.grad(times_the_second_item)(x, [_L, w]), w)
    assert np.allclose(srcad.grad(times_a_plain_attribute)(x, _Holder(A=_L, w=w)), w)
    assert np.allclose(srcad.grad(times_a_plain_global_attribute)(x), 2 * w * x)


def _stores_into_its_default(x, buf=np.zeros((2, 2))):
    buf[0] = x
    return np.sum(buf[0] * 2.0)


def calls_one_that_stores_into_its_default(x):
    return _stores_into_its_default(x) * np.sum(x)


def test_a_store_into_a_default_array_names_the_default():
    """helper-90: `buf[0] = x` into a default array was refused as a change of 'x' (the
    store was taken for one that shares x's object, as a list's slot would); it names
    buf, the default that Python keeps for the next call."""
    with pytest.raises(srcad.UnsupportedError, match="default value of 'buf'"):
        srcad.grad(calls_one_that_stores_into_its_default)(np.array([1.5, -0.5]))


def cubed_weights(w):
    return np.sum(w * w * 3.0 + w)


CUBED_JVP = srcad.jvp(cubed_weights)


def value_and_slope_combined(w):
    v, t = CUBED_JVP(w, np.ones(2))
    return t * 2.0 + v


def test_grad_of_a_function_calling_a_jvp_that_multiplies_and_adds_arrays():
    """helper-89: grad of a function calling a srcad.jvp object was refused wherever the
    inner function multiplied or added arrays (no rule for mul_tangent, add_tangent)."""
    w = np.array([0.5, -1.0])
    np.testing.assert_allclose(srcad.grad(value_and_slope_combined)(w),
                               12.0 + 6.0 * w + 1.0)
    fd_check(value_and_slope_combined, [w])


class _MapWithArray(LinearMap):
    def toarray(self):
        return self.A


def times_the_maps_array(x, L):
    return np.sum(L.toarray() @ x * x)


def times_what_the_map_gives(x, L):
    return np.sum((L @ np.ones(2)) * x)


@pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")      # (np.matrix)
def test_what_converts_an_object_with_operators_of_its_own_and_what_does_not():
    """helper-91: a value computed from such an object is taken for one of its kind, but
    its conversions are not: `L.toarray()` (`M.A` of an np.matrix) is an array; other
    values are refused saying they were computed from one (they spoke of the object)."""
    x = np.array([0.3, -0.4])
    A = np.array([[2.0, 0.0], [1.0, 3.0]])
    np.testing.assert_allclose(srcad.grad(times_the_maps_array)(x, _MapWithArray(A)),
                               A @ x + A.T @ x)
    with pytest.raises(srcad.UnsupportedError, match="is computed from a"):
        srcad.grad(times_what_the_map_gives)(x, _MapWithArray(A))


def hypot_of_several(x):
    return math.hypot(x[0], x[1], x[2]) + math.hypot(x[0])


def test_math_hypot_at_the_origin_has_derivative_zero():
    """helper-91: math.hypot's rule divided by the value: ZeroDivisionError at 0 (of one
    value or three); 0 there, as np.linalg.norm's rule."""
    assert np.allclose(srcad.grad(hypot_of_several)(np.zeros(3)), 0.0)
    x = np.array([1.0, -2.0, 2.0])
    np.testing.assert_allclose(srcad.grad(hypot_of_several)(x),
                               x / 3.0 + np.array([1.0, 0.0, 0.0]))


def counter_maybe_taken_then_added_to(x, y):
    if x > 10.0:
        j = 0
        while j < 2:
            j = j + 1
            x = (j if y > 100.0 else x)
    x += y
    return x * x


def test_an_item_check_of_a_name_a_branch_may_not_have_bound():
    """Long fuzz run (seed 59949): `x += y` after a branch where x may have become j's
    item checks j (`check_item_copied`), which the path taken never bound: an
    UnboundLocalError from the generated code. Such a name is None until bound."""
    g = srcad.grad(counter_maybe_taken_then_added_to, wrt=(0, 1))
    assert g(0.5, 0.25) == pytest.approx((1.5, 1.5))
    assert srcad.jvp(counter_maybe_taken_then_added_to)(0.5, 0.25, 1.0)[1] == \
        pytest.approx(1.5)



def _returned_on_one_path(p0):
    if p0 * p0 >= -1.2:
        return -p0 * 2.0
    return (1.0 + p0 * p0) ** -1.5


def _lowers_its_first(p0, p1):
    if p1 <= 1.5:
        p0 -= p1
    return p0 * p1


def passes_a_difference_that_may_be_a_number(x):
    t = 0.5 + x ** 2
    return _lowers_its_first(_returned_on_one_path(t) - x, np.tanh(t * x))


def test_a_number_passed_where_the_callee_may_change_an_array():
    """Long fuzz run (seed 9308): the forward sweep copied a value it could not tell from
    a new array for a callee that changes its argument in place (`p0 -= p1`), with
    `.copy()`: a float has none (AttributeError). `fresh` copies arrays only."""
    for x in (1.3, -1.3, 0.4):
        fd_check(passes_a_difference_that_may_be_a_number, [x])


class _SummableMap(LinearMap):
    def __add__(self, other):
        return _SummableMap(self.A + (other.A if isinstance(other, LinearMap) else other))

    __radd__ = __add__


def times_a_sum_of_maps(x, maps):
    return np.sum(sum(maps) @ x)


def test_a_sum_of_objects_with_operators_of_their_own_is_refused():
    """helper-91: `sum([A, A]) @ x` of sparse matrices (a reduction of a list of them is
    one of their kind) gave the elementwise product's gradient."""
    A = _SummableMap([[2.0, 0.0], [1.0, 3.0]])
    with pytest.raises(srcad.UnsupportedError, match="computed from a"):
        srcad.grad(times_a_sum_of_maps)(np.array([0.3, -0.4]), [A, A])


# ----- twentieth session: helper-95's derivative objects called in differentiated code -----

def tanh_energy(w, x):
    return np.sum(np.tanh(w * x) ** 2)


ENERGY_GRADIENT_IN_A_TUPLE = srcad.grad(tanh_energy, wrt=(0,))
ENERGY_VALUE_AND_GRADIENT = srcad.value_and_grad(tanh_energy, wrt=("w",))
ENERGY_TANGENTS = srcad.jvp(tanh_energy, wrt=(0, 1))
ENERGY_TANGENT = srcad.jvp(tanh_energy, wrt=(0,))


def after_three_steps(lr, w0, x):
    w = w0
    for i in range(3):
        w = w - lr * ENERGY_GRADIENT_IN_A_TUPLE(w, x)[0]
    return tanh_energy(w, x)


def after_a_step_with_its_value(lr, w0, x):
    value, (g,) = ENERGY_VALUE_AND_GRADIENT(w0, x)
    return value * tanh_energy(w0 - lr * g, x)


def tangents_used(lr, w0, x):
    value, t = ENERGY_TANGENTS(w0, x, (lr * np.ones_like(w0), x))
    single, s = ENERGY_TANGENT(w0, x, (lr * w0,))
    return value * t + s * s


@pytest.mark.parametrize("f", [after_three_steps, after_a_step_with_its_value, tangents_used])
def test_derivative_objects_called_as_the_api_documents(f):
    """helper-95: srcad.grad(g, wrt=(0,)) gives its gradient in a 1-tuple, but srcad
    differentiated a function calling it through its generated code, which gives it alone:
    `d(w, x)[0]` took the gradient's first element (jvp: a wrong value and tangent; grad: a
    bare ValueError). A jvp object's tuple of tangents after the arguments was refused
    naming srcad's 'vdot_0'. Both now call the generated function as it takes and gives
    (forward over forward through a jvp object: tangent rules of add_tangent, mul_tangent)."""
    rng = np.random.default_rng(22)
    args = [0.1, rng.normal(size=3), rng.normal(size=3)]
    full_check(f, args, wrt=(0, 1, 2))
    h, directions = 1e-6, [0.7, rng.normal(size=3), rng.normal(size=3)]
    expected = (f(*(a + h * d for a, d in zip(args, directions)))
                - f(*(a - h * d for a, d in zip(args, directions)))) / (2 * h)
    value, tangent = srcad.jvp(f, wrt=(0, 1, 2))(*args, tuple(directions))
    assert value == pytest.approx(f(*args), rel=1e-12)
    assert tangent == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize("make", [lambda d: srcad.jvp(d, wrt=(0,)), lambda d: srcad.vjp(d),
                                  lambda d: srcad.grad(d), lambda d: srcad.jacobian(d)])
def test_a_derivative_object_packing_its_gradient_is_not_differentiated_again(make):
    """jvp of grad(f, wrt=(0,)) gave bare arrays where the object gives 1-tuples, vjp's
    pullback a bare ValueError: refused when made, saying to take wrt=0."""
    with pytest.raises(srcad.WrtError, match="in a 1-tuple") as info:
        make(ENERGY_GRADIENT_IN_A_TUPLE)
    assert "wrt=0" in info.value.hint


# ----- twentieth session: NumPy rules (helper-96) -----
# NumPy functions users call that srcad refused (MissingRuleError): NaN-aware statistics,
# selections, shape operations. References: closed forms and central differences.


def _with_missing():
    """A 4 x 3 table of measurements with missing values (NaN), none of its columns empty."""
    return np.array([[0.3, -1.2, 2.0], [np.nan, 0.7, -0.4], [1.5, np.nan, 0.9],
                     [-0.8, 0.2, np.nan]])


def spread_statistics(x):
    centred = x - np.nanmean(x, axis=0)
    return np.sum(np.nanstd(x, axis=0, ddof=1) * np.nanmean(2.0 * centred + 1.0, axis=0)) \
        + np.nanmax(x) - np.nanmin(x, axis=1).sum() + np.nanvar(x) * np.nansum(x) \
        + np.nanprod(x + 2.0)


def test_nan_aware_statistics_of_data_with_missing_values():
    """The missing items get derivative 0; the others as central differences say."""
    x = _with_missing()
    g = fd_check(spread_statistics, [x])
    assert np.all(g[np.isnan(x)] == 0.0) and np.all(np.isfinite(g))
    t = np.where(np.isnan(x), 0.0, np.arange(12.0).reshape(4, 3) / 7)
    h = 1e-6
    numeric = (spread_statistics(x + h * t) - spread_statistics(x - h * t)) / (2 * h)
    assert srcad.jvp(spread_statistics)(x, t)[1] == pytest.approx(numeric, rel=1e-6)


def missing_labels_loss(w, X, y):
    missing = np.isnan(y)
    residuals = X @ w - np.where(missing, 0.0, y)
    return np.nanmean(np.where(missing, np.nan, residuals ** 2))


def test_a_mean_squared_error_over_the_labels_present():
    """Labels missing (NaN) leave their rows out of the loss: 2/n X_m^T (X_m w - y_m) over
    the n rows m with a label. (The NaNs are put back after the arithmetic: a NaN label in
    `(X @ w - y) ** 2` reaches the gradient as 0 * NaN, docs/rules.md.)"""
    rng = np.random.default_rng(7)
    X, w = rng.standard_normal((6, 3)), rng.standard_normal(3)
    y = rng.standard_normal(6)
    y[[1, 4]] = np.nan
    m = ~np.isnan(y)
    expected = 2.0 / m.sum() * X[m].T @ (X[m] @ w - y[m])
    np.testing.assert_allclose(srcad.grad(missing_labels_loss)(w, X, y), expected)
    np.testing.assert_allclose(srcad.jvp(missing_labels_loss)(w, X, y, np.ones(3))[1],
                               expected.sum())


def huber_by_select(x):
    return np.sum(np.select([x > 1.0, x < -1.0], [2.0 * x - 1.0, -2.0 * x - 1.0], x * x))


def huber_by_select_default(x):
    return np.sum(np.select([np.abs(x) <= 1.0], [x * x], 2.0 * np.abs(x) - 1.0))


def positive_part_energy(x):
    kept = np.extract(x > 0, x)
    return np.sum(kept ** 2) + np.sum(np.compress(x[:, 0] > 0, x, axis=0) ** 3)


def test_masked_selections():
    x = np.array([[-2.0, -0.5, 0.25], [1.5, 0.75, -1.25]])
    np.testing.assert_allclose(srcad.grad(huber_by_select)(x), 2.0 * np.clip(x, -1.0, 1.0))
    np.testing.assert_allclose(srcad.grad(huber_by_select_default)(x),
                               2.0 * np.clip(x, -1.0, 1.0))
    expected = 2.0 * np.maximum(x, 0.0) + np.where(x[:, :1] > 0, 3.0 * x * x, 0.0)
    np.testing.assert_allclose(srcad.grad(positive_part_energy)(x), expected)
    full_check(positive_part_energy, [x])


def top_two_per_row(s):
    order = np.argsort(s, axis=1)
    return np.sum(np.take_along_axis(s, order[:, -2:], axis=1) ** 2)


def repeated_picks(s):
    picks = np.array([[0, 0, 2], [1, 1, 1]])
    return np.sum(np.take_along_axis(s, picks, axis=1) * np.array([1.0, 2.0, 3.0]))


def test_take_along_axis_sends_each_adjoint_back_to_its_place():
    s = np.array([[0.3, -1.0, 2.0, 0.5], [1.0, 0.2, -0.7, 0.9]])
    top = np.zeros_like(s)
    np.put_along_axis(top, np.argsort(s, axis=1)[:, -2:], 1.0, axis=1)
    np.testing.assert_allclose(srcad.grad(top_two_per_row)(s), 2.0 * s * top)
    # a place taken twice gets both adjoints
    np.testing.assert_allclose(srcad.grad(repeated_picks)(s),
                               [[3.0, 0.0, 3.0, 0.0], [0.0, 6.0, 0.0, 0.0]])


def spread_of_running_totals(x):
    totals = np.cumulative_sum(x * x, include_initial=True)
    return np.nanvar(np.where(x > 0.0, totals[1:], np.nan)) + np.ptp(totals) ** 2


def picked_cubes(x):
    rows = np.reshape(x, (2, 3))
    return np.sum(np.take_along_axis(rows, np.array([[2, 0], [1, 1]]), axis=1) ** 3) \
        + np.nanprod(np.where(x > 1.0, np.nan, x))


@pytest.mark.parametrize("f", [spread_of_running_totals, picked_cubes])
def test_second_derivatives_through_the_new_rules(f):
    """srcad.hessian against central differences of srcad.grad."""
    x = np.array([0.4, -0.9, 1.3, 0.7, -0.2, 0.55])
    H = srcad.hessian(f)(x)
    np.testing.assert_allclose(H, numeric_jacobian(srcad.grad(f), x), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(H, H.T, atol=1e-8)


def one_list_chosen_from_twice(x, y):
    xs = [2.0 * x, y]
    picks = np.array([1, 0, 1])
    return np.sum(np.choose(picks, xs) ** 3) + np.sum(np.select([x > 0, x <= 0], xs) ** 2) \
        + np.sum(np.choose(picks, xs) * x)


def test_the_hessian_where_one_list_gets_two_adjoints():
    """The adjoints select and choose give a list are lists: differentiated again, their
    sum is add_grad's (`+` joined the two lists: a Hessian 50 off)."""
    x, y = np.array([0.3, -1.1, 0.8]), np.array([0.5, 1.5, -0.25])
    H = srcad.hessian(one_list_chosen_from_twice)(x, y)
    numeric = numeric_jacobian(lambda v: srcad.grad(one_list_chosen_from_twice)(v, y), x)
    np.testing.assert_allclose(H, numeric, rtol=1e-6, atol=1e-6)


def cleaned_in_place(x):
    y = np.nan_to_num(x, copy=False)
    return np.sum(x * x) + np.sum(y)


def test_nan_to_num_writing_into_its_argument_is_refused():
    """np.nan_to_num(x, copy=False) replaces x's NaNs in place: later reads of x are of the
    cleaned values, whose derivative at a NaN is 0 (the gradient had 1 there)."""
    with pytest.raises(srcad.UnsupportedError, match="copy=False"):
        srcad.grad(cleaned_in_place)(np.array([1.0, np.nan, 2.0]))


def written_into_a_grid_view(x):
    X, Y = np.meshgrid(x[0], x[1], copy=False)
    X[0, 0] = 3.0
    return np.sum(x * x)


def written_into_a_grid_copy(x):
    X, Y = np.meshgrid(x[0], x[1])
    X[0, 0] = 3.0
    return np.sum(x * x) + np.sum(X * Y)


def test_a_write_into_what_meshgrid_shares_is_refused():
    """np.meshgrid(..., copy=False) (and np.broadcast_arrays) give views of their inputs: a
    write into one changes x, which srcad had not seen (a wrong gradient). Its copies (the
    default) may be written."""
    x = np.array([[1.0, 2.0], [3.0, 4.0]])
    with pytest.raises(srcad.UnsupportedError, match="also reached through 'x'"):
        srcad.grad(written_into_a_grid_view)(x)
    fd_check(written_into_a_grid_copy, [x])


def written_into_its_real_part(x):
    a = np.real(x)
    a[0] = 5.0
    return np.sum(x * x)


def test_a_write_into_np_real_of_a_real_array_is_refused():
    """np.real(x) of a real x is x's own memory: the write changes x (the gradient was
    [10, 4] where it is [0, 4])."""
    with pytest.raises(srcad.UnsupportedError, match="also reached through 'x'"):
        srcad.grad(written_into_its_real_part)(np.array([1.0, 2.0]))


def joined_rows(x):
    return np.sum(np.concatenate(x) ** 2) + np.sum(np.hstack(x) ** 3) \
        + np.sum(np.vstack(x) * np.column_stack(x).T) + np.sum(np.stack(x, axis=1) ** 3)


def test_a_2d_array_joined_as_its_rows_gets_an_array_gradient():
    """np.concatenate(x), np.hstack(x), ... of a 2-d array join its rows: the gradient was
    a list of row gradients (check_grad: not shaped like the argument)."""
    x = np.array([[0.3, -1.2, 2.0], [0.5, 0.7, -0.4]])
    g = full_check(joined_rows, [x])
    assert isinstance(g, np.ndarray) and g.shape == x.shape


def grid_energy(x, y):
    X, Y = np.meshgrid(x, y)
    return np.sum(np.sin(X) * Y ** 2)


def sparse_grid_energy(x, y):
    X, Y, Z = np.meshgrid(x, y, np.array([1.0, 2.0]), indexing="ij", sparse=True)
    return np.sum(np.sin(X) * Y ** 2 * Z)


def grid_of_a_list(x, y):
    axes = [x, 2.0 * y]
    X, Y = np.meshgrid(*axes)
    return np.sum(X * Y ** 3)


def broadcast_pair(x, y):
    a, b = np.broadcast_arrays(x, y[:, None])
    return np.sum(a * b ** 2)


@pytest.mark.parametrize("f", [grid_energy, sparse_grid_energy, grid_of_a_list,
                               broadcast_pair])
def test_meshgrid_and_broadcast_arrays(f):
    """np.meshgrid(x, y) takes its arrays as *args: they are differentiated as a list's
    items (normalise calls runtime.meshgrid_of)."""
    x, y = np.array([0.3, -1.1, 0.8]), np.array([0.5, 1.5, -0.25, 2.0])
    full_check(f, [x, y], wrt=(0, 1))
    h = 1e-6
    tx, ty = np.array([1.0, -0.5, 0.25]), np.array([0.2, 0.0, -1.0, 0.5])
    numeric = (f(x + h * tx, y + h * ty) - f(x - h * tx, y - h * ty)) / (2 * h)
    dx = srcad.jvp(f, wrt=0)(x, y, tx)[1]
    dy = srcad.jvp(f, wrt=1)(x, y, ty)[1]
    assert dx + dy == pytest.approx(numeric, rel=1e-6)


def nan_statistics_of(x):
    return np.nansum(x * 2.0) + np.nanmean(x) + np.nanmax(x) + np.nanstd(x) + np.nanprod(x)


def selections_of(x):
    return np.sum(np.select([x > 0], [x], x * 2.0)) + np.ptp(x) \
        + np.sum(np.take_along_axis(x, np.array([0, 0, 2]), 0) ** 2)


def shapes_of(x):
    return np.sum(np.insert(np.delete(x, 1), 1, 2.0) ** 2) + np.sum(np.resize(x, 6) ** 2) \
        + np.sum(np.copysign(x, -1.0) * np.ediff1d(x, to_begin=0.0)) \
        + np.sum(np.cumulative_sum(x, include_initial=True) ** 2)


@pytest.mark.parametrize("f", [nan_statistics_of, selections_of, shapes_of])
def test_float32_in_float32_out_through_the_new_rules(f):
    x = np.array([0.5, -1.0, 2.0, 0.25], dtype=np.float32)
    assert srcad.grad(f)(x).dtype == np.float32
    assert srcad.jvp(f)(x, np.ones(4, dtype=np.float32))[1].dtype == np.float32
    fd_check(f, [x.astype(float)])


def test_a_standalone_file_of_nan_statistics_runs_without_srcad(tmp_path):
    """`srcad grad` copies the new helpers (nan_count, nan_var_weights, ...) into the file."""
    import subprocess
    import sys
    import textwrap
    from srcad.cli import main
    source = tmp_path / "stats.py"
    source.write_text(textwrap.dedent("""
        import numpy as np

        def spread(x):
            return np.nanstd(x, axis=0).sum() + np.nanmean(x) ** 2
        """))
    assert main(["grad", f"{source}:spread"]) == 0
    check = textwrap.dedent("""
        import sys
        sys.modules["srcad"] = None
        import numpy as np
        import stats, stats_grad
        x = np.array([[0.3, np.nan, 2.0], [1.1, 0.7, np.nan], [-0.4, 0.2, 0.9]])
        g = stats_grad.grad_spread(x)
        h, d = 1e-6, np.where(np.isnan(x), 0.0, np.arange(9.0).reshape(3, 3) / 9)
        numeric = (stats.spread(x + h * d) - stats.spread(x - h * d)) / (2 * h)
        assert np.all(g[np.isnan(x)] == 0.0)
        assert abs(np.sum(g * d) - numeric) < 1e-7, (np.sum(g * d), numeric)
        """)
    proc = subprocess.run([sys.executable, "-c", check], cwd=tmp_path, capture_output=True,
                          text=True, env={**__import__("os").environ, "PYTHONPATH": ""})
    assert proc.returncode == 0, proc.stderr


# ----- twentieth session: helper-98's findings in the day's features -----

SHORT_SIDE = np.arange(12.0).reshape(3, 4) / 7.0
LONG_SIDE = np.cos(np.arange(8.0)).reshape(4, 2)


def chained_to_a_vector(x):
    return np.sum(np.sin(np.linalg.multi_dot([SHORT_SIDE, LONG_SIDE, x])))


def vector_chain(x):
    return np.linalg.multi_dot([x, np.eye(3) + 0.1, x])


@pytest.mark.parametrize("f, x", [(chained_to_a_vector, np.array([0.3, -1.2])),
                                  (vector_chain, np.array([0.3, -1.2, 0.5]))])
def test_multi_dot_with_vector_ends_at_second_order(f, x):
    """vjp of the gradient (reverse over reverse) through multi_dot with a 1-D first or last
    array raised a bare ValueError (the helper's list of matrices was written in place)."""
    v = np.linspace(0.5, 1.0, x.size)
    slope = srcad.grad(f)
    expected = (slope(x + 1e-6 * v) - slope(x - 1e-6 * v)) / 2e-6
    np.testing.assert_allclose(srcad.vjp(slope)(x)[1](v), expected, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(srcad.hvp(f)(x, v), expected, rtol=1e-6, atol=1e-8)


def chained_through_a_stack(x):
    return np.sum(np.linalg.multi_dot([x, np.ones((2, 3, 3))]))


def first_singular_vectors(x):
    u, s, vh = np.linalg.svd(x, full_matrices=False)
    return np.sum(u[:, 0] ** 3) + np.sum(vh[-1] ** 2 * s[0])


def condition_number(a):
    return np.linalg.cond(a)


def test_what_the_day_s_rules_refuse_where_they_have_no_derivative():
    """helper-98: a bare ValueError for multi_dot of a 3-D array; gradients of 1e15 from the
    singular vectors of a 4 x 3 matrix of rank 2 (its third vectors are any basis of a
    complement); 7e35 for the condition number of a singular matrix. Clear errors now; the
    singular values alone are still differentiated there."""
    rng = np.random.default_rng(23)
    with pytest.raises(srcad.UnsupportedError, match="other than matrices"):
        srcad.grad(chained_through_a_stack)(np.ones(3))
    low_rank = rng.normal(size=(4, 2)) @ rng.normal(size=(2, 3))
    for call in (lambda: srcad.grad(first_singular_vectors)(low_rank),
                 lambda: srcad.jvp(first_singular_vectors)(low_rank, low_rank)):
        with pytest.raises(srcad.UnsupportedError, match="lower rank than min"):
            call()
    full_check(first_singular_vectors, [rng.normal(size=(4, 3))])
    with pytest.raises(srcad.UnsupportedError, match="cond of a singular matrix"):
        srcad.grad(condition_number)(np.array([[1.0, 2.0], [2.0, 4.0]]))
    full_check(condition_number, [np.array([[2.0, 1.0], [0.5, 3.0]])])


def sine_scaled(a, b):
    return a * np.sin(b)


@pytest.mark.parametrize("make", [srcad.grad, srcad.hessian, srcad.jvp, srcad.hvp,
                                  srcad.jacobian, srcad.vjp])
def test_a_jvp_object_is_not_differentiated_again(make):
    """grad, hessian or jvp of a jvp object raised a bare TypeError (its generated code's
    tangents are keyword-only): refused, naming the transformation."""
    with pytest.raises(srcad.UnsupportedError, match="of a srcad.jvp object"):
        make(srcad.jvp(sine_scaled, wrt=(0, 1)))


# ----- twentieth session: helper-95's API findings (helper-97) -----

def dropout_loss(w, x, rng):
    mask = rng.random(w.shape) < 0.5
    h = np.tanh(x @ (w * mask))
    return np.sum(h ** 2)


def noisy_features(w, rng):
    noise = rng.normal(size=w.shape)
    return np.sin(w * noise) * w[0]


def noisy_quadratic(x, y, rng):
    scale = rng.random(x.shape)
    return np.sum(scale * x ** 2 * y) + np.sum(y ** 3)


DROPOUT_W = np.array([0.3, -0.4, 1.1, 0.7])
DROPOUT_X = np.array([[0.5, -1.0, 0.2, 0.9], [1.1, 0.3, -0.7, 0.4]])


def _after_one_call(f, *args, seed):
    """Where a generator of `seed` stands after one call of f(*args, generator)."""
    rng = np.random.default_rng(seed)
    f(*args, rng)
    return rng.random()


def test_vjp_value_and_pullback_come_from_one_draw():
    """helper-95: vjp's value came from one draw of the generator it was given, its pullback
    differentiated another (and each call of the pullback a third, a fourth)."""
    value, g = srcad.value_and_grad(dropout_loss)(DROPOUT_W, DROPOUT_X,
                                                  np.random.default_rng(1))
    rng = np.random.default_rng(1)
    made, pullback = srcad.vjp(dropout_loss)(DROPOUT_W, DROPOUT_X, rng)
    assert made == value
    np.testing.assert_allclose(pullback(1.0), g, rtol=1e-12)
    after = rng.random()       # (the caller's draws between: the pullback leaves them)
    np.testing.assert_allclose(pullback(2.0), 2.0 * g, rtol=1e-12)
    assert after == _after_one_call(dropout_loss, DROPOUT_W, DROPOUT_X, seed=1)


@pytest.mark.parametrize("mode", ["forward", "reverse"])
def test_jacobian_passes_make_one_draw(mode):
    """helper-95: each column (row) of a Jacobian drew again from the generator."""
    w = np.array([0.3, -0.4, 1.1])
    J = srcad.jacobian(noisy_features, mode=mode)(w, np.random.default_rng(4))
    expected = numeric_jacobian(lambda v: noisy_features(v, np.random.default_rng(4)), w)
    np.testing.assert_allclose(J, expected, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("make", [np.random.default_rng, np.random.RandomState])
def test_hessians_and_products_with_a_generator_make_one_draw(make):
    x, y = np.array([0.3, -0.4, 1.1]), np.array([0.5, 0.2, -0.8])
    scale = make(6).random(3)
    H = srcad.hessian(noisy_quadratic)(x, y, make(6))
    np.testing.assert_allclose(H, np.diag(2.0 * scale * y), rtol=1e-12)
    blocks = srcad.hessian(noisy_quadratic, wrt=(0, 1))(x, y, make(6))
    np.testing.assert_allclose(blocks[0][1], np.diag(2.0 * scale * x), rtol=1e-12)
    np.testing.assert_allclose(blocks[1][1], np.diag(6.0 * y), rtol=1e-12)
    v = np.array([1.0, -2.0, 0.5])
    np.testing.assert_allclose(srcad.hvp(noisy_quadratic)(x, y, make(6), v),
                               2.0 * scale * y * v, rtol=1e-12)


def noisy_in_place(x, rng):
    y = np.asarray(x)
    y[0] = y[0] * rng.normal()
    return np.sum(y ** 2)


def test_jvp_on_copies_moves_the_callers_generator_on():
    """A function changing its argument in place runs on copies of the arguments: the
    generator among them is the caller's, which the call moves on as Python's does."""
    rng, x = np.random.default_rng(2), np.array([0.3, -0.4, 1.1])
    value, tangent = srcad.jvp(noisy_in_place)(x, rng, np.ones(3))
    c = np.random.default_rng(2).normal()
    assert value == pytest.approx(np.sum((x * [c, 1, 1]) ** 2), rel=1e-12)
    assert tangent == pytest.approx(np.sum(2 * x * [c, 1, 1] * [c, 1, 1]), rel=1e-12)
    assert rng.random() == _after_one_call(noisy_in_place, x.copy(), seed=2)


def noisy_sum(x, rng):
    noise = rng.normal(size=x.shape)
    return np.sum(x * noise) + np.sum(x ** 2)


@pytest.mark.parametrize("make", [np.random.default_rng, np.random.RandomState])
def test_check_grad_differences_make_the_gradients_draw(make):
    """helper-95: f(x + eps d) and f(x - eps d) drew from the generator one after the other:
    a difference of two draws / 2e-6, and a correct gradient refused."""
    rng = make(5)
    report = srcad.check_grad(noisy_sum, (np.array([0.3, -0.4, 1.1]), rng))
    assert report.worst < 1e-6
    reference = make(5)
    noisy_sum(np.zeros(3), reference)       # (left where one call leaves it)
    assert rng.random() == reference.random()


NOISE = np.random.default_rng(8)


def module_noise(x):
    return np.sum(x ** 2 * NOISE.random(x.shape)) + np.sum(np.random.random(x.shape) * x)


def test_vjp_of_a_function_drawing_from_module_generators():
    """The module's generator and NumPy's own: the pullback replays the value's draws."""
    x = np.array([0.3, -0.4, 1.1])
    np.random.seed(3)
    state = NOISE.bit_generator.state
    value, pullback = srcad.vjp(module_noise)(x)
    NOISE.bit_generator.state = state
    np.random.seed(3)
    a, b = NOISE.random(3), np.random.random(3)
    assert value == pytest.approx(np.sum(x ** 2 * a) + np.sum(b * x), rel=1e-12)
    np.testing.assert_allclose(pullback(1.0), 2 * x * a + b, rtol=1e-12)


def writes_its_first(x, y):
    x[0] = 5.0
    return np.sum(x * y ** 2)


@pytest.mark.parametrize("call", [
    lambda z: srcad.hessian(writes_its_first, wrt=(0, 1))(z, z),
    lambda z: srcad.hvp(writes_its_first, wrt=(0, 1))(z, z, (np.ones(3), np.ones(3))),
    lambda z: srcad.hvp(writes_its_first)(z, z, np.ones(3)),
    lambda z: srcad.jvp(srcad.grad(writes_its_first))(z, z, np.ones(3))])
def test_hessians_refuse_an_argument_sharing_the_array_changed_in_place(call):
    """helper-95: grad, jvp, vjp and jacobian refuse f(z, z) where f writes into x (Python
    changes y too); hessian and hvp, forward over the gradient's code (which copies x),
    gave the numbers of two arrays."""
    z = np.array([0.3, -0.4, 1.1])
    with pytest.raises(srcad.UnsupportedError,
                       match="writes_its_first changes its argument 'x' in place, and "
                             "argument 'y' shares its array"):
        call(z)
    x, y, v = np.array([0.3, -0.4, 1.1]), np.array([0.5, 0.2, -0.8]), np.array([1.0, 2.0, -1.0])
    # d/dx: (0, y1^2, y2^2); d/dy: (10 y0, 2 x1 y1, 2 x2 y2)
    expected = (np.array([0.0, 2 * y[1] * v[1], 2 * y[2] * v[2]]),
                np.array([10.0 * v[0], 2 * y[1] * v[1] + 2 * x[1] * v[1],
                          2 * y[2] * v[2] + 2 * x[2] * v[2]]))
    tangent = srcad.hvp(writes_its_first, wrt=(0, 1))(x.copy(), y, (v, v))
    np.testing.assert_allclose(tangent[0], expected[0], rtol=1e-12)
    np.testing.assert_allclose(tangent[1], expected[1], rtol=1e-12)


def _made_by_exec(source, name):
    """A function srcad cannot read the source of: it needs a rule."""
    namespace = {"np": np}
    exec(source, namespace)
    return namespace[name]


CUBED = _made_by_exec("def cubed(x):\n    return x ** 3\n", "cubed")


def uses_cubed(x):
    return np.sum(CUBED(x)) * 2.0


def test_derivative_objects_made_before_take_a_rule_registered_again():
    """helper-95: an existing derivative object went on with the rule it was made with
    (its quick path to the derivative skipped the registry's version), while a new
    srcad.grad took the one registered again, as the README says."""
    @srcad.adjoint(CUBED)
    def wrong_adjoint(g, ans, x):
        return g * 2.0 * x ** 2

    @srcad.tangent(CUBED)
    def wrong_tangent(g, ans, x):
        return g * 2.0 * x ** 2

    x = np.array([0.3, -0.5, 0.9])
    d, t, vjp = srcad.grad(uses_cubed), srcad.jvp(uses_cubed), srcad.vjp(uses_cubed)
    for _ in range(2):       # (the second call takes the quick paths)
        assert d(1.5) == pytest.approx(4.0 * 1.5 ** 2)
        np.testing.assert_allclose(d(x), 4.0 * x ** 2)
        assert t(1.5, 1.0)[1] == pytest.approx(4.0 * 1.5 ** 2)

    @srcad.adjoint(CUBED)
    def cubed_adjoint(g, ans, x):
        return g * 3.0 * x ** 2

    @srcad.tangent(CUBED)
    def cubed_tangent(g, ans, x):
        return g * 3.0 * x ** 2

    assert d(1.5) == pytest.approx(6.0 * 1.5 ** 2)
    np.testing.assert_allclose(d(x), 6.0 * x ** 2)
    assert t(1.5, 1.0)[1] == pytest.approx(6.0 * 1.5 ** 2)
    np.testing.assert_allclose(vjp(x)[1](1.0), 6.0 * x ** 2)
    fd_check(uses_cubed, [x])


def two_outputs(x):
    return x * 2.0, np.sum(x)


def list_of_three(xs):
    return xs[0] * xs[1] ** 2 + np.sin(xs[2])


def number_and_array(a, x):
    return a * np.sum(x ** 2) + a ** 3


@pytest.mark.parametrize("ybar, where", [((np.ones(3), None), "ybar[1]"),
                                         ((None, 1.0), "ybar[0]"), (None, "ybar")])
def test_a_pullback_refuses_none_for_a_part_of_its_value(ybar, where):
    """helper-95: None for a number's cotangent in a tuple gave a bare TypeError (and None
    for a number's whole one an array of Nones)."""
    _, pullback = srcad.vjp(two_outputs)(np.array([0.3, -0.4, 1.1]))
    with pytest.raises(srcad.SrcadError, match=re.escape(where) + r" shaped like .*, not None"
                       ) as info:
        pullback(ybar)
    assert "zeros" in info.value.hint
    with pytest.raises(srcad.SrcadError, match="not None"):
        srcad.vjp(sum_squared)(np.ones(3))[1](None)
    np.testing.assert_allclose(pullback((np.ones(3), 0.0)), 2.0 * np.ones(3))


@pytest.mark.parametrize("call, where", [
    (lambda: srcad.jvp(list_of_three)([0.5, 1.5, 2.0], [1.0, None, 0.0]), "xs[1]"),
    (lambda: srcad.hvp(list_of_three)([0.5, 1.5, 2.0], [1.0, None, 0.0]), "xs[1]"),
    (lambda: srcad.jvp(number_and_array, wrt=(0, 1))(0.7, np.ones(3), (None, np.ones(3))),
     "of a "),
    (lambda: srcad.jvp(number_and_array, wrt=(0, 1))(0.7, np.ones(3), (1.0, None)),
     "of x ")])
def test_tangents_refuse_none_for_a_number_or_an_array(call, where):
    """helper-95: None as the tangent of a list's number gave a bare TypeError, and None in
    the tuple of tangents was refused as "argument 0 is None" (the argument was 0.7)."""
    with pytest.raises(srcad.ArgumentError, match=re.escape(where) + r".*, not None"):
        call()
    value, tangent = srcad.jvp(list_of_three)([0.5, 1.5, 2.0], [1.0, 0.0, 0.0])
    assert tangent == pytest.approx(1.5 ** 2)


def sines_times_first(x):
    return np.sin(x) * x[0]


@pytest.mark.parametrize("mode", ["forward", "reverse"])
def test_jacobian_of_float32_is_float32(mode):
    """helper-95: the reverse Jacobian of a float32 function was float64 (its seeds were)."""
    x = np.array([0.3, -0.4, 1.1], dtype=np.float32)
    J = srcad.jacobian(sines_times_first, mode=mode)(x)
    assert J.dtype == np.float32
    expected = numeric_jacobian(sines_times_first, x.astype(float))
    np.testing.assert_allclose(J, expected, rtol=1e-5, atol=1e-6)


def squared_for_integers(x):
    if isinstance(x, int):
        return x ** 2 - 6.0
    return x


def summed_squares_for_integers(x):
    if x.dtype.kind == "i":
        return np.sum(x ** 2) - 2.0
    return np.sum(x)


def floats_first(x):
    if x.dtype.kind == "i":
        x = x.astype(float)
    return np.sum(x ** 2)


@pytest.mark.parametrize("call", [
    lambda: srcad.grad(squared_for_integers)(3),
    lambda: srcad.jvp(squared_for_integers)(3, 1.0),
    lambda: srcad.hessian(summed_squares_for_integers)(np.array([1, 2]))])
def test_a_branch_on_an_integers_type_that_agrees_at_the_point_only_is_refused(call):
    """helper-95: the promotion check compared values at the point given only: a branch on
    the argument's type agreeing there (3 ** 2 - 6 == 3.0) gave the float branch's
    derivative (1.0) where Python's call takes the other (6)."""
    with pytest.raises(srcad.ArgumentError, match="not 1 greater"):
        call()
    assert srcad.grad(squared_for_integers)(3.0) == 1.0
    np.testing.assert_allclose(srcad.grad(floats_first)(np.array([1, 2])), [2.0, 4.0])


def fields_through_names(a):
    factors = np.linalg.svd(a)
    spectrum = np.linalg.eigh(a @ a.T)
    volume = np.linalg.slogdet(a)
    q_r = np.linalg.qr(a)
    return (np.sum(factors.S) + np.sum(factors.U[:, 0] * factors.Vh[0])
            + np.sum(spectrum.eigenvalues ** 2) + volume.logabsdet + np.sum(q_r.R ** 2))


def a_name_bound_twice(a):
    factors = np.linalg.svd(a)
    if a[0, 0] > 10.0:
        factors = (a, a, a)
    return np.sum(factors.S)


def test_named_result_fields_read_through_a_name():
    """NumPy 2's named results (`r = np.linalg.svd(a)`, then `r.S`) were refused ("no
    derivative rule for the attribute '.S'") where the call's own field (`svd(a).S`) worked;
    a name bound to something else too stays refused."""
    rng = np.random.default_rng(25)
    A = rng.normal(size=(3, 3)) + 3.0 * np.eye(3)
    full_check(fields_through_names, [A])
    d, h = rng.normal(size=A.shape), 1e-6
    expected = (fields_through_names(A + h * d) - fields_through_names(A - h * d)) / (2 * h)
    assert srcad.jvp(fields_through_names)(A, d)[1] == pytest.approx(expected, rel=1e-6)
    with pytest.raises(srcad.MissingRuleError, match="'.S'"):
        srcad.grad(a_name_bound_twice)(A)


def fields_of_calls_with_options(a):
    thin = np.linalg.svd(a, full_matrices=False)
    spectrum = np.linalg.eigh(a.T @ a, UPLO="U")
    q_r = np.linalg.qr(a, mode="reduced")
    return (np.sum(thin.S ** 2) + np.sum(thin.U[:, 0] * a[:, 0])
            + np.sum(np.linalg.svd(a, False).Vh[0] ** 3) + np.sum(spectrum.eigenvalues)
            + np.sum(q_r.R ** 2))


def singular_values_alone(a):
    return np.sum(np.linalg.svd(a, compute_uv=False).S)


def test_named_result_fields_of_calls_with_options():
    """`np.linalg.svd(a, full_matrices=False).S` (and eigh's UPLO, qr's mode) was refused
    ("no derivative rule for the attribute '.S'"): only calls of one argument had their
    fields. An option that makes the call give something else (compute_uv=False: S alone,
    an array without fields) stays refused."""
    rng = np.random.default_rng(26)
    A = rng.normal(size=(4, 3))
    full_check(fields_of_calls_with_options, [A])
    with pytest.raises(srcad.MissingRuleError, match="'.S'"):
        srcad.grad(singular_values_alone)(A)


class _Settings:
    pass


SETTINGS = _Settings()
SETTINGS.physics = _Settings()
SETTINGS.physics.gravity = 9.81
SETTINGS.steps = 3


def pendulum_energy(theta, omega):
    """A number read through a global object's attributes (`SETTINGS.physics.gravity`)."""
    for _ in range(SETTINGS.steps):
        theta = theta + 0.1 * omega
        omega = omega - 0.1 * SETTINGS.physics.gravity * np.sin(theta)
    return np.sum(0.5 * omega ** 2 - SETTINGS.physics.gravity * np.cos(theta))


def test_numbers_read_through_global_attributes_are_numbers_under_a_guard():
    """A number read through a global object's attributes (`CFG.g`) was taken for a value
    that may be an array: float arguments got broadcasting helpers and a run-time check of
    the value (twice the call's cost). It is a number now, as a global name bound to one
    (`G = 9.81`) is, while the path reaches a number of that type: bound to an array (the
    gradient of float arguments is then a sum over its entries), or to an int, it gets a
    derivative of its own."""
    derivative = srcad.grad(pendulum_energy, wrt=(0, 1))
    try:
        for gravity in (9.81, np.array([9.81, 1.62, 3.7]), 3):
            SETTINGS.physics.gravity = gravity
            got = derivative(0.3, -0.2)
            h = 1e-6
            expected = ((pendulum_energy(0.3 + h, -0.2) - pendulum_energy(0.3 - h, -0.2)) / (2 * h),
                        (pendulum_energy(0.3, -0.2 + h) - pendulum_energy(0.3, -0.2 - h)) / (2 * h))
            assert np.shape(got[0]) == () and np.shape(got[1]) == ()
            assert got == pytest.approx(expected, rel=1e-6)
            if np.ndim(gravity) == 0:
                assert "unbroadcast" not in derivative.source
                assert "check_output" not in derivative.source
    finally:
        SETTINGS.physics.gravity = 9.81


# ----- twenty-first session: helper-103, eigenvectors at repeated eigenvalues -----
# (x x^T + diag(d): for d = (1, 1, 1), eigenvalues 1, 1 and 1 + |x|^2)

REPEATED = np.ones(3)


def first_eigenvector_cubed(x, d=REPEATED):
    w, V = np.linalg.eigh(np.outer(x, x) + np.diag(d))
    return np.sum(V[:, 0] ** 3)


def top_eigenvector_weighted(x, d=REPEATED):
    w, V = np.linalg.eigh(np.outer(x, x) + np.diag(d))
    return np.sum(V[:, 2] ** 2 * x) + np.sum(w ** 2)


def second_singular_vectors_cubed(x, d=REPEATED):
    U, s, Vh = np.linalg.svd(np.outer(x, x) + np.diag(d))
    return np.sum(U[:, 1] ** 3) + np.sum(Vh[2] ** 3)


def top_singular_vectors_weighted(x, d=REPEATED):
    U, s, Vh = np.linalg.svd(np.outer(x, x) + np.diag(d))
    return np.sum(U[:, 0] ** 2 * x) + np.sum(Vh[0] * U[:, 0]) + np.sum(s ** 2)


def eigenvalues_squared(x, d=REPEATED):
    w, V = np.linalg.eigh(np.outer(x, x) + np.diag(d))
    return np.sum(w ** 2)


def _central_gradient(f, x, d, h=1e-6):
    return np.array([(f(x + h * e, d) - f(x - h * e, d)) / (2 * h) for e in np.eye(x.size)])


def _checked_every_mode(f, x, d, second=True):
    """grad and jvp of f against central differences of f, the Hessian against those of
    srcad.grad(f)."""
    expected = _central_gradient(f, x, d)
    np.testing.assert_allclose(srcad.grad(f)(x, d), expected, rtol=1e-6, atol=1e-8)
    v = np.array([0.3, -0.7, 0.5])
    value, tangent = srcad.jvp(f)(x, d, v)
    assert value == pytest.approx(f(x, d), rel=1e-12)
    assert tangent == pytest.approx(expected @ v, rel=1e-6, abs=1e-8)
    if second:
        g = srcad.grad(f)
        columns = [(g(x + 1e-6 * e, d) - g(x - 1e-6 * e, d)) / 2e-6 for e in np.eye(x.size)]
        np.testing.assert_allclose(srcad.hessian(f)(x, d), np.array(columns).T, rtol=1e-5,
                                   atol=1e-6)


@pytest.mark.parametrize("f, phrase", [
    (first_eigenvector_cubed, "eigenvectors of np.linalg.eigh at a repeated eigenvalue"),
    (second_singular_vectors_cubed,
     "singular vectors of np.linalg.svd at a repeated singular value")])
def test_vectors_of_a_repeated_eigenvalue_are_refused(f, phrase):
    """The adjoint and tangent of eigenvectors (singular vectors) divide by the gaps between
    eigenvalues: where a vector of a repeated one was used, grad, jvp and hessian gave NaN
    with no error (and the Hessian of the eigenvalues alone, which needs their tangent).
    They are refused at run time, at the user's line, with what to do; equal but for
    rounding (Q diag(1, 1, 5) Q^T) is repeated too."""
    x = np.array([1.0, 2.0, 3.0])
    calls = [lambda: srcad.grad(f)(x), lambda: srcad.jvp(f)(x, np.ones(3)),
             lambda: srcad.hessian(f)(x), lambda: srcad.hessian(eigenvalues_squared)(x)]
    for call in calls:
        with pytest.raises(srcad.UnsupportedError, match="at a repeated") as info:
            call()
        assert "is not defined" in str(info.value)
        assert "alone" in info.value.hint and "apart" in info.value.hint
        assert info.value.location.filename == __file__
    with pytest.raises(srcad.UnsupportedError, match=phrase):
        srcad.grad(f)(x)
    q, _ = np.linalg.qr(np.random.default_rng(103).normal(size=(3, 3)))
    rounded = q @ np.diag([1.0, 1.0, 5.0]) @ q.T
    with pytest.raises(srcad.UnsupportedError, match=phrase):
        srcad.grad(vectors_of_a_matrix)(rounded, "svd" in phrase)


def eigen_pair(x, d=REPEATED):
    return np.linalg.eigh(np.outer(x, x) + np.diag(d))


def singular_vectors_returned(x, d=REPEATED):
    U, s, Vh = np.linalg.svd(np.outer(x, x) + np.diag(d))
    return [s, {"U": U}]


@pytest.mark.parametrize("f", [eigen_pair, singular_vectors_returned])
def test_the_vectors_of_a_repeated_eigenvalue_returned_by_jvp_are_refused(f):
    """jvp of a function that returns the eigenvectors (singular vectors) of a repeated
    eigenvalue handed its UndefinedTangent back among the tangents (an object, no numbers):
    returning it is a use too, refused as the others are. Those of distinct eigenvalues
    stay."""
    x = np.array([1.0, 2.0, 3.0])
    with pytest.raises(srcad.UnsupportedError, match="at a repeated"):
        srcad.jvp(f)(x, np.ones(3))
    with pytest.raises(srcad.UnsupportedError, match="at a repeated"):
        srcad.jvp(f)(x, np.ones(3))          # (the second call takes the fast path)
    apart, h = np.array([1.0, 3.0, 4.0]), 1e-6
    tangent = srcad.jvp(f)(x, apart, np.ones(3))[1]
    np.testing.assert_allclose(tangent[0], (f(x + h, apart)[0] - f(x - h, apart)[0]) / (2 * h),
                               rtol=1e-6, atol=1e-8)


def vectors_of_a_matrix(a, singular):
    if singular:
        return np.sum(np.linalg.svd(a)[0][:, 2] ** 3)
    return np.sum(np.linalg.eigh(a)[1][:, 0] ** 3)


@pytest.mark.parametrize("f", [top_eigenvector_weighted, top_singular_vectors_weighted])
def test_vectors_of_a_distinct_eigenvalue_beside_a_repeated_one(f):
    """A vector of an eigenvalue (singular value) apart from the others has a derivative
    where two others are equal; so do the eigenvalues alone (first derivatives: the second
    need the tangent of the repeated ones' vectors, and are refused above)."""
    x = np.array([1.0, 2.0, 3.0])
    _checked_every_mode(f, x, REPEATED, second=False)
    _checked_every_mode(eigenvalues_squared, x, REPEATED, second=False)


@pytest.mark.parametrize("f", [first_eigenvector_cubed, top_eigenvector_weighted,
                               second_singular_vectors_cubed, top_singular_vectors_weighted,
                               eigenvalues_squared])
@pytest.mark.parametrize("gap", [1.0, 1e-3])
def test_vectors_of_distinct_eigenvalues_in_every_mode(f, gap):
    """Eigenvalues apart (x x^T + diag(1, 1 + gap, 4)), close ones too: grad, jvp and
    hessian against central differences, as before."""
    _checked_every_mode(f, np.array([0.3, -0.2, 0.4]), np.array([1.0, 1.0 + gap, 4.0]),
                        second=gap == 1.0)


# ----- np.diagflat, np.vander, np.ascontiguousarray, np.bincount, np.partition, the
# nan-quantiles and np.modf in programs (refused before: 'no derivative rule for np.X') -----

_SEGMENT_OF = np.array([0, 1, 1, 3, 0, 3, 3, 1])        # segment 2 is empty
_FEATURES = np.random.default_rng(104).standard_normal((8, 3))
_TARGET_MEANS = np.array([0.5, -0.2, 0.0, 1.1])


def segment_mean_loss(w):
    """Per-segment means of a linear model's predictions by scatter-adds (segment sums over
    counts), against targets."""
    predictions = np.tanh(_FEATURES @ w)
    sums = np.bincount(_SEGMENT_OF, weights=predictions, minlength=4)
    counts = np.maximum(np.bincount(_SEGMENT_OF, minlength=4), 1)
    return np.sum((sums / counts - _TARGET_MEANS) ** 2)


def trimmed_squares(w):
    """Least trimmed squares: the sum of the 5 smallest squared residuals of 8."""
    residuals = _FEATURES @ w - np.arange(8.0) * 0.1
    return np.sum(np.partition(residuals ** 2, 4)[:5])


_WITH_GAPS = np.array([0.3, np.nan, -1.2, 0.8, np.nan, 2.0, 0.1, -0.4])


def robust_scale(w):
    """The median and an interquartile range of residuals to data with missing values (NaN
    items are skipped)."""
    residuals = _WITH_GAPS - _FEATURES @ w
    spread = np.nanpercentile(residuals, 75.0) - np.nanquantile(residuals, 0.25)
    return np.nanmedian(residuals) ** 2 + 0.5 * spread ** 2


_TIMES = np.linspace(-1.0, 1.0, 7)


def polynomial_fit_loss(coefficients, times):
    """A cubic's values at (moving) sample times, by its Vandermonde matrix."""
    values = np.vander(times, 4) @ coefficients
    return np.sum((values - np.sin(_TIMES)) ** 2)


def gaussian_log_likelihood(log_sd, loading):
    """A factor model's covariance: a low-rank part plus a diagonal made by np.diagflat,
    laid out again with np.ascontiguousarray."""
    covariance = np.ascontiguousarray(np.outer(loading, loading) + np.diagflat(np.exp(2 * log_sd)))
    sign, log_det = np.linalg.slogdet(covariance)
    data = np.array([0.4, -0.3, 1.0])
    return 0.5 * log_det + 0.5 * data @ np.linalg.solve(covariance, data)


def periodic_features(frequency):
    """The phase of each time within its period: np.modf's fractional part."""
    phase, cycles = np.modf(np.abs(_TIMES) * frequency + 3.0)
    return np.sum(np.sin(2 * np.pi * phase) ** 2) + 0.01 * np.sum(cycles * phase)


_POSITIONS = np.array([0.05, 0.4, 0.45, 0.9, 0.62, 0.31, 0.77, 0.2])


def binned_profile(w):
    """A profile of a model's values binned by (fixed) positions: np.histogram's weighted
    counts over its plain counts, against a target profile; and the spread of the bins
    that a moving sample spans."""
    values = np.exp(_FEATURES @ w)
    totals, edges = np.histogram(_POSITIONS, bins=4, range=(0.0, 1.0), weights=values)
    counts, _ = np.histogram(_POSITIONS, bins=edges)
    profile = totals / np.maximum(counts, 1)
    span = np.histogram(_FEATURES[:, 0] * w[0], 3)[1]
    return np.sum((profile - 1.0) ** 2) + np.sum(np.diff(span) ** 2)


_NEW_RULE_PROGRAMS = [
    (segment_mean_loss, (np.array([0.3, -0.7, 0.2]),), 0),
    (trimmed_squares, (np.array([0.3, -0.7, 0.2]),), 0),
    (robust_scale, (np.array([0.3, -0.7, 0.2]),), 0),
    (polynomial_fit_loss, (np.array([0.2, -0.1, 0.9, 0.05]), _TIMES + 0.01), (0, 1)),
    (gaussian_log_likelihood, (np.array([0.1, -0.2, 0.3]), np.array([0.5, 0.2, -0.4])), (0, 1)),
    (periodic_features, (1.37,), 0),
    (binned_profile, (np.array([0.3, -0.7, 0.2]),), 0),
]


@pytest.mark.parametrize("f, args, wrt", _NEW_RULE_PROGRAMS,
                         ids=[f.__name__ for f, _, _ in _NEW_RULE_PROGRAMS])
def test_programs_with_the_new_numpy_rules_match_central_differences(f, args, wrt):
    full_check(f, args, wrt)
    for k in (wrt if isinstance(wrt, tuple) else (wrt,)):
        tangent = np.ones_like(args[k]) * 0.7
        h = 1e-6
        moved = [list(args), list(args)]
        moved[0][k] = args[k] + h * tangent
        moved[1][k] = args[k] - h * tangent
        _, got = srcad.jvp(f, wrt=k)(*args, tangent)
        assert got == pytest.approx((f(*moved[0]) - f(*moved[1])) / (2 * h), rel=1e-6, abs=1e-8)


_ONE_ARGUMENT_PROGRAMS = [case for case in _NEW_RULE_PROGRAMS if case[2] == 0]


@pytest.mark.parametrize("f, args, wrt", _ONE_ARGUMENT_PROGRAMS,
                         ids=[f.__name__ for f, _, _ in _ONE_ARGUMENT_PROGRAMS])
def test_hessians_of_programs_with_the_new_numpy_rules(f, args, wrt):
    """Forward over reverse, against central differences of srcad's gradient."""
    x = args[0]
    slope = srcad.grad(f)
    if np.ndim(x) == 0:
        expected = (slope(x + 1e-6) - slope(x - 1e-6)) / 2e-6
        assert srcad.hessian(f)(x) == pytest.approx(expected, rel=1e-6, abs=1e-8)
        assert srcad.grad(slope)(x) == pytest.approx(expected, rel=1e-6, abs=1e-8)
        return
    np.testing.assert_allclose(srcad.hessian(f)(x), numeric_jacobian(slope, x), rtol=1e-6,
                               atol=1e-7)


_PARTITION_WEIGHTS = np.random.default_rng(6).standard_normal(300)


def weighted_partition(x):
    return np.sum(np.partition(x, 150) * _PARTITION_WEIGHTS)


def test_partition_moves_each_item_where_np_partition_put_it():
    """np.argpartition may order the items beside the kth one differently from
    np.partition (NumPy's vectorised kernels, from a few hundred items): the derivative
    follows the items np.partition moved, matched by value."""
    x = np.random.default_rng(5).standard_normal(300)
    placed = np.partition(x, 150)
    expected = np.array([_PARTITION_WEIGHTS[np.flatnonzero(placed == item)[0]] for item in x])
    np.testing.assert_allclose(srcad.grad(weighted_partition)(x), expected, rtol=0, atol=0)
    tangent = np.random.default_rng(7).standard_normal(300)
    assert srcad.jvp(weighted_partition)(x, tangent)[1] == pytest.approx(expected @ tangent)


def fraction_of_a_number(y):
    fraction, whole = np.modf(4.0 * y)
    return fraction ** 3 + whole * fraction


def test_modf_of_a_number_is_a_pair():
    """np.modf is a ufunc of two results: of a number it gives a pair, not a number (its
    gradient's add_at into the pair's adjoint was a bare TypeError, 'float' object is not
    iterable)."""
    slope = srcad.grad(fraction_of_a_number)
    h = 1e-6
    assert slope(0.3) == pytest.approx(
        (fraction_of_a_number(0.3 + h) - fraction_of_a_number(0.3 - h)) / (2 * h), rel=1e-6)
    expected = (slope(0.3 + h) - slope(0.3 - h)) / (2 * h)
    assert srcad.grad(slope)(0.3) == pytest.approx(expected, rel=1e-6)
    assert srcad.hessian(fraction_of_a_number)(0.3) == pytest.approx(expected, rel=1e-6)


def test_what_the_nan_quantile_rules_refuse():
    """As np.quantile's: several axes, another method or overwrite_input, a clear error."""
    x = np.array([[0.3, np.nan, 1.2], [0.5, -0.4, 2.0]])
    with pytest.raises(srcad.UnsupportedError, match="over one axis"):
        srcad.grad(lambda a: np.nanmedian(a, axis=(0, 1)))(x)
    with pytest.raises(srcad.UnsupportedError, match="method='linear'"):
        srcad.grad(lambda a: np.sum(np.nanquantile(a, 0.3, axis=1, method="nearest")))(x)
    with pytest.raises(srcad.UnsupportedError, match="overwrite_input"):
        srcad.grad(lambda a: np.nanpercentile(a, 30.0, overwrite_input=True))(x)


def test_what_the_histogram_rule_refuses():
    """density=True (heights divided by the counts' sum and the bins' widths): a clear
    error, never a number."""
    x = np.array([0.3, -0.45, 0.9, 0.1])
    with pytest.raises(srcad.UnsupportedError, match=r"density=True\) has no derivative rule"):
        srcad.grad(lambda w: np.sum(np.histogram(x, 3, weights=w, density=True)[0]))(x)
    with pytest.raises(srcad.UnsupportedError, match=r"density=True\) has no derivative rule"):
        srcad.jvp(lambda a: np.sum(np.histogram(a, 3, density=True)[1]))(x, x)


def edges_from_a_range(x):
    """Edges from a range that moves, and edges given as a moving array."""
    low_edges = np.histogram(_POSITIONS, 3, range=(np.min(x), 1.0))[1]
    counts, given = np.histogram(_POSITIONS, np.sort(x * x))
    return np.sum(low_edges ** 2 * np.arange(4.0)) + np.sum(np.sin(given[1:]) * counts)


def test_histogram_edges_follow_a_range_or_given_edges():
    x = np.array([-0.3, 0.45, 0.9, 0.1])
    full_check(edges_from_a_range, (x,))
    slope = srcad.grad(edges_from_a_range)
    np.testing.assert_allclose(srcad.hessian(edges_from_a_range)(x), numeric_jacobian(slope, x),
                               rtol=1e-6, atol=1e-7)


def at_least_pairs(x, y):
    a, b = np.atleast_1d(x, y[0])
    c, d, e = np.atleast_2d(x, y, x * y)
    f, g = np.atleast_3d(y, x)
    return np.sum(a * b ** 2) + np.sum(c @ d.T * e) + np.sum(np.sin(f) * g ** 3)


def written_into_an_at_least_view(x, y):
    a, b = np.atleast_2d(x, y)
    a[0, 0] = 3.0
    return np.sum(x * y)


def test_np_atleast_nd_of_several_arrays():
    """np.atleast_1d(a, b) (2d, 3d) gives a tuple of each made at least so many dimensions:
    each is the call of one, whose rule srcad has (it was refused: too many arguments for
    its rule), through first and second derivatives. Each is a view of its input, so a
    write into one stays refused."""
    x, y = np.array([0.3, -1.1, 0.8]), np.array([0.5, 1.5, -0.25])
    full_check(at_least_pairs, [x, y], wrt=(0, 1))
    h = 1e-6
    tx, ty = np.array([1.0, -0.5, 0.25]), np.array([0.2, 0.0, -1.0])
    numeric = (at_least_pairs(x + h * tx, y + h * ty)
               - at_least_pairs(x - h * tx, y - h * ty)) / (2 * h)
    dx = srcad.jvp(at_least_pairs, wrt=0)(x, y, tx)[1]
    dy = srcad.jvp(at_least_pairs, wrt=1)(x, y, ty)[1]
    assert dx + dy == pytest.approx(numeric, rel=1e-6)
    np.testing.assert_allclose(
        srcad.hessian(at_least_pairs)(x, y),
        numeric_jacobian(lambda v: srcad.grad(at_least_pairs)(v, y), x), rtol=1e-6, atol=1e-7)
    with pytest.raises(srcad.UnsupportedError, match="also reached through 'x'"):
        srcad.grad(written_into_an_at_least_view)(x.copy(), y)
