"""Local functions (`f = lambda ...`, a nested `def` of assignments and a return) are
inlined where they are called (srcad/inline.py). References: central differences and
closed forms; calls that Python may not make, or make several times, are refused."""

import numpy as np
import pytest

import srcad

from conftest import fd_check, full_check, numeric_jacobian


def spring_energy(x, k):
    spring = lambda d: 0.5 * k * d * d          # noqa: E731
    return np.sum(spring(x) + spring(x - 1.0))


def rk4(y0, k):
    def rhs(y):
        """Decay with a cubic term."""
        a = -k * y
        return a - 0.1 * y ** 3
    y = y0
    h = 0.1
    for i in range(5):
        k1 = rhs(y)
        k2 = rhs(y + 0.5 * h * k1)
        k3 = rhs(y + 0.5 * h * k2)
        k4 = rhs(y + h * k3)
        y = y + h / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4)
    return np.sum(y ** 2)


def late_binding(x):
    a = 2.0
    f = lambda t: t * a                          # noqa: E731
    y = f(x)
    a = 3.0
    z = f(x)
    return y * z


def nested_and_named(x, w):
    sq = lambda t: t * t                         # noqa: E731

    def lin(t, c):
        s = t * c
        s, r = s + 1.0, s - 1.0
        return s * r
    return np.sum(lin(sq(x), c=w)) + np.sum(sq(lin(x, w)))


def shadowing(x):
    s = x * 3.0

    def h(x):
        s = x * 2.0
        return s + 1.0
    return np.sum(h(s) * s)


def in_tests_and_ranges(x):
    n = lambda m: m + 1                          # noqa: E731
    s = 0.0
    for i in range(n(2)):
        if np.sum(x) * n(i) > 0.0:
            s = s + np.sum(x) * n(i)
    return s


def test_local_functions_are_differentiated_where_they_are_called():
    rng = np.random.default_rng(21)
    x, k = rng.normal(size=3), 1.5
    gx, gk = srcad.grad(spring_energy, wrt=(0, 1))(x, k)
    np.testing.assert_allclose(gx, k * (2 * x - 1.0), rtol=1e-12)
    assert gk == pytest.approx(np.sum(0.5 * x * x + 0.5 * (x - 1.0) ** 2))
    full_check(rk4, [rng.normal(size=3), 0.7], wrt=(0, 1))
    full_check(nested_and_named, [rng.normal(size=3), rng.normal(size=3)], wrt=(0, 1))
    full_check(shadowing, [rng.normal(size=3)])
    fd_check(in_tests_and_ranges, [np.abs(rng.normal(size=3))])
    _, tangent = srcad.jvp(rk4, wrt=0)(np.ones(2), 0.7, np.ones(2))
    assert tangent == pytest.approx(float(np.sum(srcad.grad(rk4)(np.ones(2), 0.7))))
    y = rng.normal(size=2)
    np.testing.assert_allclose(srcad.hessian(rk4)(y, 0.7),
                               numeric_jacobian(lambda v: srcad.grad(rk4)(v, 0.7), y),
                               rtol=1e-6, atol=1e-8)


def test_a_local_function_reads_the_enclosing_values_of_the_moment_it_is_called():
    # y = 2x, z = 3x: d(6x^2)/dx = 12x
    assert srcad.grad(late_binding)(0.7) == pytest.approx(12 * 0.7)


def lambda_with_a_default(w):
    g = lambda v, k=2.0: v * k                   # noqa: E731
    return np.sum(g(w) * g(w, 3.0) + g(k=w, v=w))


def def_with_a_default(w):
    def helper(v, scale=0.5):
        s = v * scale
        return s * s
    return np.sum(helper(w) + helper(w, w) + helper(w, scale=2.0))


def default_read_where_defined(x):
    k0 = x * 2.0
    g = lambda v, k=k0 * x: v * k                # noqa: E731
    k0 = 100.0
    a = g(x)
    x = x * 5.0
    return a + g(x) + g(x, k0)


def default_of_a_parameter_bound_in_the_body(x, y):
    def h(v, c=y * y):
        c = c + v
        return c * v
    y = x
    return h(x) + h(y, x)


def test_local_functions_with_defaults_are_inlined():
    """helper-113: `lambda v, k=2.0: ...` and `def helper(v, scale=0.5)` inside the
    function were refused ("this lambda is not supported"); a default is computed where
    the function is defined, as Python computes it, not at the call."""
    rng = np.random.default_rng(5)
    w = rng.normal(size=3)
    np.testing.assert_allclose(srcad.grad(lambda_with_a_default)(w), 12 * w + 2 * w,
                               rtol=1e-12)
    np.testing.assert_allclose(srcad.grad(def_with_a_default)(w),
                               0.5 * w + 4 * w ** 3 + 8 * w, rtol=1e-12)
    for f in (lambda_with_a_default, def_with_a_default):
        full_check(f, [w])
        np.testing.assert_allclose(srcad.hessian(f)(w),
                                   numeric_jacobian(srcad.grad(f), w), rtol=1e-6, atol=1e-7)
    # 2x^3 (k = 2x^2, the x of the definition) + 10x^3 + 500x
    x = 0.7
    assert default_read_where_defined(x) == pytest.approx(12 * x ** 3 + 500 * x)
    assert srcad.grad(default_read_where_defined)(x) == pytest.approx(36 * x * x + 500)
    fd_check(default_read_where_defined, [x])
    assert srcad.jvp(default_read_where_defined)(x, 1.0)[1] == pytest.approx(36 * x * x + 500)
    assert srcad.hessian(default_read_where_defined)(x) == pytest.approx(72 * x)
    # h(x) = (y^2 + x) x with the y passed in; h(x, x) = 2x^2
    gx, gy = srcad.grad(default_of_a_parameter_bound_in_the_body, wrt=(0, 1))(0.6, 1.3)
    assert (gx, gy) == pytest.approx((1.3 ** 2 + 2 * 0.6 + 4 * 0.6, 2 * 1.3 * 0.6))
    fd_check(default_of_a_parameter_bound_in_the_body, [0.6, 1.3], wrt=(0, 1))


def comprehension_variable_named_like_the_argument(x, v):
    def h(t):
        return sum([t * v for v in [1.0, 2.0]])
    return h(v) + x


def calls_in_the_order_python_makes_them(x):
    g = lambda t: t * t                          # noqa: E731
    h = lambda t: t + 1.0                        # noqa: E731
    return g(x) - h(g(x * 2.0)) * g(x + 1.0)


def annotated_local_function(x: np.ndarray, w: float) -> float:
    def scaled_square(v: np.ndarray) -> np.ndarray:
        u: np.ndarray = v * w
        return u * u
    return np.sum(scaled_square(x))


def test_a_local_function_with_annotations_is_inlined():
    """helper-102: `def sq(v) -> float` inside the function was refused ("this function
    defined inside the differentiated function is not supported"), where `def sq(v)` was
    inlined: the result's annotation means nothing to the derivative."""
    x, w = np.array([0.3, -0.5, 0.7]), 1.5
    gx, gw = srcad.grad(annotated_local_function, wrt=(0, 1))(x, w)
    np.testing.assert_allclose(gx, 2 * w * w * x, rtol=1e-12)
    assert gw == pytest.approx(2 * w * np.sum(x * x))
    fd_check(annotated_local_function, [x, w], wrt=(0, 1))


def test_calls_run_arguments_first_left_to_right():
    # x^2 - (4x^2 + 1)(x + 1)^2
    x = 0.7
    expected = 2 * x - (8 * x * (x + 1) ** 2 + (4 * x * x + 1) * 2 * (x + 1))
    assert srcad.grad(calls_in_the_order_python_makes_them)(x) == pytest.approx(expected)


def test_an_argument_is_not_confused_with_a_name_of_the_local_functions_own():
    # h(v) = v * 1.0 + v * 2.0: the comprehension's v is its own
    assert srcad.grad(comprehension_variable_named_like_the_argument, wrt=(0, 1))(
        0.5, 0.3) == pytest.approx((1.0, 3.0))


def called_in_a_conditional_expression(x, c):
    double = lambda t: 2.0 * t                   # noqa: E731
    return double(x) if c > 0 else x


def called_in_a_comprehension(xs):
    double = lambda t: 2.0 * t                   # noqa: E731
    return sum([double(v) for v in xs])


def called_in_a_while_condition(x):
    half = lambda t: t * 0.5                     # noqa: E731
    while half(x) > 1.0:
        x = x * 0.5
    return x


def passed_on(xs):
    return sum(map(lambda t: t * t, xs))


def recursive(x):
    def power(t, n):
        return t * power(t, n - 1) if n > 1 else t
    return power(x, 3)


def with_star_args(x):
    f = lambda *ts: ts[0] * 2.0                  # noqa: E731
    return f(x)


def recursive_with_a_default(x):
    def power(t, n=3):
        return t * power(t, n - 1) if n > 1 else t
    return power(x)


def called_in_an_assert_message(x):
    f = lambda t: t * 2.0                        # noqa: E731
    assert x > -10.0, f(x)
    return f(x)


def defining_a_lambda(x):
    f = lambda t: (lambda u: u * t)(2.0)         # noqa: E731
    return f(x)


def popped_around_a_call(x):
    xs = [x, 2.0 * x]
    g = lambda t: t * t                          # noqa: E731
    return g(xs.pop()) - g(xs.pop())


def called_before_its_definition(x):
    a = f(x)
    f = lambda t: t * 2.0                        # noqa: E731
    return a * x


def called_with_too_few(x):
    f = lambda a, b: a * b                       # noqa: E731
    return f(x)


@pytest.mark.parametrize("f, args, message, line", [
    (called_in_a_conditional_expression, (2.0, 1.0), "may not make",
     "return double(x) if c > 0 else x"),
    (called_in_a_comprehension, ([0.5, 0.25],), "may not make",
     "return sum([double(v) for v in xs])"),
    (called_in_a_while_condition, (5.0,), "in a while condition", "while half(x) > 1.0:"),
    (passed_on, ([0.5, 0.25],), "this lambda", "return sum(map(lambda t: t * t, xs))"),
    (recursive, (0.5,), "this function defined inside", "def power(t, n):"),
    (with_star_args, (0.5,), "this lambda", "f = lambda *ts: ts[0] * 2.0"),
    (recursive_with_a_default, (0.5,), "this function defined inside", "def power(t, n=3):"),
    (called_in_an_assert_message, (0.5,), "local function 'f' here",
     "assert x > -10.0, f(x)"),
    (defining_a_lambda, (0.5,), "this lambda", "f = lambda t: (lambda u: u * t)(2.0)"),
    (popped_around_a_call, (3.0,), "also pops from a list",
     "return g(xs.pop()) - g(xs.pop())"),
    (called_before_its_definition, (3.0,), "before its definition", "a = f(x)"),
    (called_with_too_few, (0.5,), r"does not match its parameters \(a, b\)", "return f(x)"),
])
def test_local_functions_that_cannot_be_inlined_are_refused_at_their_line(f, args, message,
                                                                          line):
    with pytest.raises(srcad.UnsupportedError, match=message) as info:
        srcad.grad(f)(*args)
    assert line in str(info.value) and "test_local_functions.py" in str(info.value)


def reads_an_array_written_through_another_name(x):
    g = lambda t: np.sum(y * t)                  # noqa: E731
    y = x * 1.0
    z = y
    z[0] = 5.0
    return g(x)


def test_an_inlined_body_is_where_its_call_is():
    """The call reads y after the write through z (Python changes both): the inlined body
    sits at the call, not at the lambda's line, for the check of what is read after a
    write (it was taken to read y before the write: a wrong gradient without a word)."""
    with pytest.raises(srcad.UnsupportedError, match="also reached through 'y'"):
        srcad.grad(reads_an_array_written_through_another_name)(np.array([1.0, 2.0, 3.0]))



def default_shares_an_array_written_later(x):
    y = x * 1.0
    g = lambda t, c=y: np.sum(t * c)             # noqa: E731
    y[0] = 3.0 * y[1]
    return g(x)


def def_default_shares_an_array_written_later(x):
    y = x * 1.0

    def g(t, c=y):
        return np.sum(t * c)
    y[0] = 3.0 * y[1]
    return g(x)


def _doubles_through_an_alias(a, out):
    b = a
    b[0] = 2.0 * b[1]
    out[0] = np.sum(a * b)


def calls_a_helper_that_writes_through_an_alias(x):
    out = np.zeros(1)
    _doubles_through_an_alias(x * 1.0, out)
    return out[0]


@pytest.mark.parametrize("f, written, shared", [
    (default_shares_an_array_written_later, "y", "c"),
    (def_default_shares_an_array_written_later, "y", "c"),
    (calls_a_helper_that_writes_through_an_alias, "b", "a")])
def test_refusals_in_inlined_code_name_what_the_user_wrote(f, written, shared):
    """The names inlining gives a default (`g__c`) and an inlined function's parameters
    and locals (`a__1`, `b__1`) showed in the refusal of a write into an array another
    name shares; it names them as the user wrote them."""
    with pytest.raises(srcad.UnsupportedError) as info:
        srcad.grad(f)(np.array([0.3, 0.7]))
    message = str(info.value)
    assert f"'{written}[...] = ...' changes an array that is also reached through " \
        f"'{shared}'" in message and "__" not in message

def annotated_local(x):
    def g(t):
        u: float = t * 2.0
        return u * t
    return g(x) + x


def test_an_annotated_assignment_in_a_local_function():
    # 2x^2 + x
    assert srcad.grad(annotated_local)(1.5) == pytest.approx(7.0)
