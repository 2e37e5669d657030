"""Issue 2: the foundation -- reverse mode on straight-line code and the public API."""
import math
import re

import numpy as np
import pytest

import srcad
import srcad.api
from conftest import assert_tree_allclose, fd_check, full_check


# ----- functions under test (module level: srcad reads their source) -----


def seed(x1, x2):
    return np.log(x1) + x1 * x2 - np.sin(x2)


def neuron(w0, w1, w2, x1, x2):
    return 1 / (1 + np.exp(-(w0 + w1 * x1 + w2 * x2)))


def squared_residual(x, w, y):
    return (np.dot(x, w) - y) ** 2


def least_squares(X, w, y):
    r = X @ w - y
    return np.sum(r * r)


def named(x, w):
    return np.sum(np.sin(x) * w) + np.sum(x * x)


def vector_valued(x):
    return np.sin(x) * x[0] + x ** 2


def with_stop(x, y):
    return x * srcad.stop_gradient(y) + srcad.stop_gradient(x * x)


def uses_math(x, y):
    return math.exp(x) * math.log(y) + math.sin(x * y) - math.cos(x) + math.sqrt(x + y)


def tuple_unpack(x, y):
    a, b = x * y, x + y
    a, b = b, a
    return a * np.sin(b)


def aug_assign(x, y):
    z = x
    z += y
    z *= x
    z -= y
    z /= y
    return z


def aug_assign_arr(x, y):
    z = x * 1.0
    z += y
    z *= x
    z -= y
    z /= y
    return np.sum(z)


def aug_alias(x, y):
    z = x
    z += y
    return np.sum(z * z)


def used_twice(x):
    y = x * x
    z = y * y
    return z + y + x


def unary_and_pow(x, y):
    return -x ** 3 + y ** 2.5 + x ** y


def all_elementwise(x):
    return np.sum(np.exp(x) + np.log(x) + np.sin(x) + np.cos(x) + np.tan(x)
                  + np.tanh(x) + np.sqrt(x)) + np.mean(x * x)


def bc_add(a, b):
    return np.sum(np.sin(a + b))


def bc_sub(a, b):
    return np.sum(np.sin(a - b))


def bc_mul(a, b):
    return np.sum(np.sin(a * b))


def bc_div(a, b):
    return np.sum(np.sin(a / b))


def mutates_nothing(x, w):
    y = x * w
    return np.sum(y * y)


def returns_float_const_mix(x):
    c = 3.0
    return c * x * x + 2.0


def matmul_quadratic(A, x):
    return x @ (A @ x)


def sum_method(x):
    return x.sum() + (x * x).mean()


# ----- the seed example: values and the shape of the generated source -----


def test_seed_value():
    g = srcad.grad(seed, wrt=(0, 1))(2.0, 5.0)
    assert isinstance(g, tuple) and len(g) == 2
    assert abs(g[0] - 5.5) < 1e-12
    assert abs(g[1] - 1.7163378145367738) < 1e-12


def test_seed_source_shape():
    # optimize=False keeps the textbook trace (the optimiser drops forward values
    # that the reverse sweep never reads; see test_seed_optimised_source)
    df = srcad.grad(seed, wrt=(0, 1), optimize=False)
    df(2.0, 5.0)
    src = df.source
    assert re.search(r"^def \w*seed\w*\(x1, x2", src, re.M)
    assert "vbar_5" in src.splitlines()[0] or "vbar_5" in src
    for name in ("v_m1", "v_0", "v_1", "v_5", "vbar_5", "vbar_m1", "vbar_0"):
        assert re.search(rf"\b{name}\b", src), name
    fwd = src.index("# forward sweep")
    rev = src.index("# reverse sweep")
    assert fwd < rev
    assert re.search(r"# line \d+:", src)
    # the line comment is in the forward sweep and quotes the source line
    line_comment = re.search(r"# line (\d+): (.*)", src)
    assert fwd < line_comment.start() < rev
    assert "np.log(x1)" in line_comment.group(2)
    expected_line = seed.__code__.co_firstlineno + 1
    assert int(line_comment.group(1)) == expected_line
    # three-address: the forward sweep holds one operation per statement
    body = src[fwd:rev]
    assert re.search(r"v_\d+ = np\.log\(v_m1\)", body)
    assert re.search(r"v_\d+ = np\.sin\(v_0\)", body)
    assert re.search(r"v_\d+ = v_m1 \* v_0", body)
    # ends by returning the input adjoints
    last = [l.strip() for l in src.strip().splitlines()][-1]
    assert last.replace("(", "").replace(")", "") == "return vbar_m1, vbar_0"


def test_seed_optimised_source():
    df = srcad.grad(seed, wrt=(0, 1))
    assert df(2.0, 5.0) == pytest.approx((5.5, 1.7163378145367738), abs=1e-12)
    src = df.source
    assert src.index("# forward sweep") < src.index("# reverse sweep")
    assert "vbar_0 = vbar_0 + vbar_5 * v_m1" in src.replace("vbar_2", "vbar_5") or \
        "vbar_m1" in src
    assert "np.cos(v_0)" in src and "/ v_m1" in src


def test_seed_source_is_valid_python_and_runs():
    df = srcad.grad(seed, wrt=(0, 1))
    df(2.0, 5.0)
    ns = {"np": np}
    exec(compile(df.source, "<generated>", "exec"), ns)
    fns = [v for k, v in ns.items() if callable(v) and k != "np" and "seed" in k]
    assert fns
    g = fns[0](2.0, 5.0)
    assert abs(g[0] - 5.5) < 1e-12 and abs(g[1] - 1.7163378145367738) < 1e-12


def test_seed_deterministic_source():
    a = srcad.grad(seed, wrt=(0, 1))
    a(2.0, 5.0)
    b = srcad.grad(seed, wrt=(0, 1))
    b(2.0, 5.0)
    assert a.source == b.source


# ----- closed forms -----


def test_neuron_closed_form(rng):
    w0, w1, w2, x1, x2 = rng.standard_normal(5)
    g = srcad.grad(neuron, wrt=(0, 1, 2, 3, 4))(w0, w1, w2, x1, x2)
    s = 1 / (1 + np.exp(-(w0 + w1 * x1 + w2 * x2)))
    ds = s * (1 - s)
    expected = (ds, ds * x1, ds * x2, ds * w1, ds * w2)
    np.testing.assert_allclose(np.array(g, dtype=float), np.array(expected), rtol=1e-12)
    fd_check(neuron, [w0, w1, w2, x1, x2], wrt=(0, 1, 2, 3, 4))


def test_squared_residual_closed_form(rng):
    x = rng.standard_normal(5)
    w = rng.standard_normal(5)
    y = 0.3
    g = srcad.grad(squared_residual, wrt="w")(x, w, y)
    np.testing.assert_allclose(g, 2 * (x @ w - y) * x, rtol=1e-12)
    gx = srcad.grad(squared_residual, wrt="x")(x, w, y)
    np.testing.assert_allclose(gx, 2 * (x @ w - y) * w, rtol=1e-12)
    fd_check(squared_residual, [x, w, y], wrt=(0, 1, 2))


def test_least_squares_closed_form(rng):
    X = rng.standard_normal((7, 3))
    w = rng.standard_normal(3)
    y = rng.standard_normal(7)
    g = srcad.grad(least_squares, wrt=1)(X, w, y)
    assert g.shape == w.shape
    np.testing.assert_allclose(g, 2 * X.T @ (X @ w - y), rtol=1e-12)
    gX, gy = srcad.grad(least_squares, wrt=(0, 2))(X, w, y)
    r = X @ w - y
    np.testing.assert_allclose(gX, 2 * np.outer(r, w), rtol=1e-12)
    np.testing.assert_allclose(gy, -2 * r, rtol=1e-12)
    fd_check(least_squares, [X, w, y], wrt=(0, 1, 2))


# ----- wrt forms -----


@pytest.fixture
def xw(rng):
    return rng.standard_normal(4), rng.standard_normal(4)


def expected_named(x, w):
    return np.cos(x) * w + 2 * x, np.sin(x)


def test_wrt_default_is_first(xw):
    x, w = xw
    np.testing.assert_allclose(srcad.grad(named)(x, w), expected_named(x, w)[0])


def test_wrt_index(xw):
    x, w = xw
    np.testing.assert_allclose(srcad.grad(named, wrt=1)(x, w), expected_named(x, w)[1])


def test_wrt_name(xw):
    x, w = xw
    np.testing.assert_allclose(srcad.grad(named, wrt="w")(x, w), expected_named(x, w)[1])
    np.testing.assert_allclose(srcad.grad(named, wrt="x")(x, w), expected_named(x, w)[0])


def test_wrt_negative_index(xw):
    x, w = xw
    np.testing.assert_allclose(srcad.grad(named, wrt=-1)(x, w), expected_named(x, w)[1])
    np.testing.assert_allclose(srcad.grad(named, wrt=-2)(x, w), expected_named(x, w)[0])


def test_wrt_tuple_mixed(xw):
    x, w = xw
    g = srcad.grad(named, wrt=("w", 0))(x, w)
    assert isinstance(g, tuple) and len(g) == 2
    np.testing.assert_allclose(g[0], expected_named(x, w)[1])
    np.testing.assert_allclose(g[1], expected_named(x, w)[0])


def test_wrt_one_element_tuple_gives_tuple(xw):
    x, w = xw
    g = srcad.grad(named, wrt=(1,))(x, w)
    assert isinstance(g, tuple) and len(g) == 1
    np.testing.assert_allclose(g[0], expected_named(x, w)[1])


@pytest.mark.parametrize("index", [np.int64(1), np.int32(-1), np.intp(1)])
def test_wrt_a_numpy_integer_index(xw, index):
    """An index NumPy computed (`np.argmax`, `np.int64`) is an index like an int, in every
    form that takes wrt."""
    x, w = xw
    expected = expected_named(x, w)
    np.testing.assert_allclose(srcad.grad(named, wrt=index)(x, w), expected[1])
    gx, gw = srcad.grad(named, wrt=(np.int64(0), index))(x, w)
    np.testing.assert_allclose(gx, expected[0])
    np.testing.assert_allclose(gw, expected[1])
    np.testing.assert_allclose(srcad.jvp(named, wrt=index)(x, w, np.ones(4))[1],
                               np.sum(expected[1]))
    np.testing.assert_allclose(srcad.hessian(named, wrt=index)(x, w), np.zeros((4, 4)),
                               atol=1e-12)
    np.testing.assert_allclose(srcad.hessian(named, wrt=np.int64(0))(x, w),
                               np.diag(2 - np.sin(x) * w), rtol=1e-12)
    np.testing.assert_allclose(srcad.jacobian(named, wrt=index)(x, w), expected[1])
    srcad.check_grad(named, (x, w), wrt=index)


def test_wrt_a_numpy_integer_where_the_function_belongs():
    with pytest.raises(srcad.WrtError, match="where the function belongs"):
        srcad.grad(np.int64(0))


@srcad.grad
def decorated_plain(x, w):
    return np.sum(np.sin(x) * w) + np.sum(x * x)


@srcad.grad(wrt=("x", "w"))
def decorated_named(x, w):
    return np.sum(np.sin(x) * w) + np.sum(x * x)


def test_decorator_plain(xw):
    x, w = xw
    np.testing.assert_allclose(decorated_plain(x, w), expected_named(x, w)[0])
    assert decorated_plain.primal(x, w) == pytest.approx(named(x, w))


def test_decorator_with_wrt(xw):
    x, w = xw
    gx, gw = decorated_named(x, w)
    ex, ew = expected_named(x, w)
    np.testing.assert_allclose(gx, ex)
    np.testing.assert_allclose(gw, ew)


# ----- value_and_grad, vjp, primal, show, ssa, stop_gradient -----


def test_value_and_grad(xw):
    x, w = xw
    value, g = srcad.value_and_grad(named)(x, w)
    assert value == pytest.approx(named(x, w), rel=1e-14)
    np.testing.assert_allclose(g, expected_named(x, w)[0])
    value, (gx, gw) = srcad.value_and_grad(named, wrt=(0, 1))(x, w)
    assert value == pytest.approx(named(x, w), rel=1e-14)
    np.testing.assert_allclose(gw, expected_named(x, w)[1])


def test_value_and_grad_seed():
    value, g = srcad.value_and_grad(seed, wrt=(0, 1))(2.0, 5.0)
    assert value == pytest.approx(seed(2.0, 5.0), rel=1e-15)
    assert g[0] == pytest.approx(5.5, abs=1e-12)
    assert g[1] == pytest.approx(1.7163378145367738, abs=1e-12)


def test_vjp_against_jacobian(rng):
    x = rng.standard_normal(4)
    value, pullback = srcad.vjp(vector_valued)(x)
    np.testing.assert_allclose(value, vector_valued(x))
    # explicit Jacobian of sin(x) * x[0] + x**2
    J = np.diag(np.cos(x) * x[0] + 2 * x)
    J[:, 0] += np.sin(x)
    for _ in range(3):
        ybar = rng.standard_normal(4)
        np.testing.assert_allclose(pullback(ybar), J.T @ ybar, rtol=1e-12, atol=1e-14)
    # unit vectors give the rows of the Jacobian
    for i in range(4):
        np.testing.assert_allclose(pullback(np.eye(4)[i]), J[i], rtol=1e-12, atol=1e-14)


def pair_valued(x):
    return [np.sin(x), {"s": np.sum(x * x)}]


@pytest.mark.parametrize("ybar", [1.0, np.ones(1), np.ones((4, 1)), np.ones(5)],
                         ids=["scalar", "one", "column", "longer"])
def test_vjp_refuses_a_ybar_shaped_unlike_the_value(rng, ybar):
    """Broadcast, these would give a product silently (a column quadruples it)."""
    _, pullback = srcad.vjp(vector_valued)(rng.standard_normal(4))
    with pytest.raises(srcad.SrcadError, match=r"ybar shaped like value .*shape \(4,\)"):
        pullback(ybar)


def test_vjp_checks_each_part_of_a_structured_value():
    x = np.array([0.3, -0.7])
    _, pullback = srcad.vjp(pair_valued)(x)
    got = pullback([np.array([1.0, 2.0]), {"s": 3.0}])
    np.testing.assert_allclose(got, np.cos(x) * [1.0, 2.0] + 3.0 * 2 * x, rtol=1e-12)
    for bad, where in (([np.ones(2)], "ybar"), ([1.0, {"s": 3.0}], r"ybar\[0\]"),
                       ([np.ones(2), {"t": 3.0}], r"ybar\[1\]"),
                       ([np.ones(2), {"s": np.ones(2)}], r"ybar\[1\]\['s'\]")):
        with pytest.raises(srcad.SrcadError, match=where + " shaped like value"):
            pullback(bad)


def test_primal_is_original():
    df = srcad.grad(seed)
    assert df.primal is seed
    assert df.primal(2.0, 5.0) == seed(2.0, 5.0)


def test_show_prints_source(capsys):
    df = srcad.grad(seed, wrt=(0, 1))
    df(2.0, 5.0)
    text = srcad.show(df)
    out = capsys.readouterr().out
    assert "vbar_m1" in out and "# reverse sweep" in out
    assert text is None or "vbar_m1" in text


def test_ssa_naming():
    text = srcad.ssa(seed)
    assert re.search(r"\bv_m1 = x1\b", text)
    assert re.search(r"\bv_0 = x2\b", text)
    assert re.search(r"v_1 = np\.log\(v_m1\)", text)
    assert re.search(r"\bv_5\b", text)
    assert "vbar" not in text
    assert re.search(r"# line \d+:", text)
    # one operation per statement: no nested calls or binary ops on the right
    for line in text.splitlines():
        line = line.strip()
        m = re.match(r"v_\w+ = (.*)", line)
        if m:
            rhs = m.group(1)
            ops = len(re.findall(r"[-+*/@]|np\.\w+\(", rhs))
            assert ops <= 1, line


def test_ssa_is_executable():
    text = srcad.ssa(seed)
    ns = {"np": np}
    exec(text, ns)
    assert ns["seed"](2.0, 5.0) == pytest.approx(seed(2.0, 5.0), rel=1e-15)


def test_stop_gradient():
    g = srcad.grad(with_stop, wrt=(0, 1))(2.0, 3.0)
    assert g[0] == pytest.approx(3.0)
    assert g[1] == pytest.approx(0.0)
    assert with_stop(2.0, 3.0) == 10.0


def test_stop_gradient_identity():
    x = np.arange(3.0)
    assert srcad.stop_gradient(x) is x


# ----- caching -----


def test_caching_second_call_no_new_derivation(xw):
    x, w = xw
    df = srcad.grad(named, wrt=(0, 1))
    df(x, w)
    size = len(srcad.api._DERIVED)
    df(x, w)
    srcad.grad(named, wrt=(0, 1))(x, w)
    srcad.grad(named, wrt=(0, 1))(x + 1, w)
    assert len(srcad.api._DERIVED) == size


def test_caching_same_compiled_object(xw):
    x, w = xw
    a = srcad.grad(named, wrt=1)
    a(x, w)
    b = srcad.grad(named, wrt=1)
    b(x, w)
    assert a.compiled((x, w)) is b.compiled((x, w))


def test_source_follows_the_last_call_through_the_float_path(xw):
    """`.source` shows the code of the last call's argument kinds, also when calls with
    floats (the quickest path) and with arrays take turns."""
    x, w = xw
    df = srcad.grad(named, wrt=(0, 1))
    df(0.5, 1.5)
    df(0.5, 1.5)                    # now on the quickest path
    floats = df.source
    df(x, w)
    arrays = df.source
    assert arrays != floats
    df(0.5, 1.5)
    assert df.source == floats
    df(x, w)
    assert df.source == arrays
    df(0.25, 1.0)
    assert df.source == floats
    assert np.allclose(df(0.5, 1.5), (np.cos(0.5) * 1.5 + 1.0, np.sin(0.5)))


# ----- inputs unchanged -----


def test_caller_arrays_unchanged(rng):
    x = rng.standard_normal(5)
    w = rng.standard_normal(5)
    x0, w0 = x.copy(), w.copy()
    srcad.grad(mutates_nothing, wrt=(0, 1))(x, w)
    srcad.grad(aug_assign_arr, wrt=(0, 1))(x, w + 3.0)
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(w, w0)


def test_aug_assign_arrays_unchanged(rng):
    x = rng.standard_normal(5)
    y = rng.standard_normal(5) + 3.0
    x0, y0 = x.copy(), y.copy()
    srcad.grad(aug_assign_arr, wrt=(0, 1))(x, y)
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(y, y0)


def test_grad_of_aliasing_function_leaves_caller_arrays_unchanged(rng):
    # `z = x; z += y` mutates x when the *primal* runs; calling the derivative
    # must still leave the caller's x alone and give the gradient at the given x.
    x = rng.standard_normal(3)
    y = rng.standard_normal(3)
    x0 = x.copy()
    gx, gy = srcad.grad(aug_alias, wrt=(0, 1))(x, y)
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_allclose(gx, 2 * (x0 + y), rtol=1e-12)
    np.testing.assert_allclose(gy, 2 * (x0 + y), rtol=1e-12)


# ----- straight-line constructs vs finite differences -----


def test_math_module(rng):
    g = full_check(uses_math, [0.7, 1.3], wrt=(0, 1))
    x, y = 0.7, 1.3
    ex = (math.exp(x) * math.log(y) + y * math.cos(x * y) + math.sin(x)
          + 0.5 / math.sqrt(x + y))
    ey = math.exp(x) / y + x * math.cos(x * y) + 0.5 / math.sqrt(x + y)
    assert g[0] == pytest.approx(ex, rel=1e-12)
    assert g[1] == pytest.approx(ey, rel=1e-12)


def test_tuple_unpacking():
    g = full_check(tuple_unpack, [0.7, 1.3], wrt=(0, 1))
    x, y = 0.7, 1.3
    # (x + y) * sin(x y)
    ex = np.sin(x * y) + (x + y) * np.cos(x * y) * y
    assert g[0] == pytest.approx(ex, rel=1e-12)


def test_augmented_assignment_scalar():
    full_check(aug_assign, [0.7, 1.3], wrt=(0, 1))


def test_augmented_assignment_array(rng):
    full_check(aug_assign_arr, [rng.standard_normal(4), rng.standard_normal(4) + 3],
               wrt=(0, 1))


def test_used_twice_accumulates():
    g = srcad.grad(used_twice)(1.5)
    assert g == pytest.approx(4 * 1.5 ** 3 + 2 * 1.5 + 1, rel=1e-14)


def test_unary_and_pow():
    g = full_check(unary_and_pow, [1.2, 0.8], wrt=(0, 1))
    x, y = 1.2, 0.8
    assert g[0] == pytest.approx(-3 * x ** 2 + y * x ** (y - 1), rel=1e-12)
    assert g[1] == pytest.approx(2.5 * y ** 1.5 + x ** y * math.log(x), rel=1e-12)


def test_elementwise_rules(rng):
    x = rng.uniform(0.2, 1.2, size=5)
    full_check(all_elementwise, [x])


def test_constants():
    assert srcad.grad(returns_float_const_mix)(2.0) == pytest.approx(12.0)


def test_integer_input_promoted():
    assert srcad.grad(returns_float_const_mix)(2) == pytest.approx(12.0)


def test_matmul_quadratic(rng):
    A = rng.standard_normal((4, 4))
    x = rng.standard_normal(4)
    gA, gx = full_check(matmul_quadratic, [A, x], wrt=(0, 1))
    np.testing.assert_allclose(gx, (A + A.T) @ x, rtol=1e-12)
    np.testing.assert_allclose(gA, np.outer(x, x), rtol=1e-12)


def test_array_methods(rng):
    x = rng.standard_normal((3, 2))
    g = full_check(sum_method, [x])
    np.testing.assert_allclose(g, 1 + 2 * x / x.size, rtol=1e-12)


# ----- broadcasting: (3, 1) with (4,) -----


@pytest.mark.parametrize("fn", [bc_add, bc_sub, bc_mul, bc_div])
def test_broadcasting_3x1_with_4(fn, rng):
    a = rng.standard_normal((3, 1))
    b = rng.uniform(1.0, 2.0, size=4)
    ga, gb = full_check(fn, [a, b], wrt=(0, 1))
    assert ga.shape == (3, 1)
    assert gb.shape == (4,)


@pytest.mark.parametrize("fn", [bc_add, bc_mul, bc_div])
def test_broadcasting_scalar_with_array(fn, rng):
    b = rng.uniform(1.0, 2.0, size=(2, 3))
    ga, gb = full_check(fn, [0.7, b], wrt=(0, 1))
    assert np.ndim(ga) == 0
    assert gb.shape == (2, 3)


# ----- check_grad itself -----


def test_check_grad_passes_on_seed():
    report = srcad.check_grad(seed, [2.0, 5.0], wrt=(0, 1))
    assert report is not None


def wrong_rule_primal(x):
    return x * x


def uses_wrong_rule(x):
    return wrong_rule_primal(x) + 0.0


def test_check_grad_detects_wrong_rule():
    @srcad.adjoint(wrong_rule_primal)
    def wrong_adjoint(g, ans, x):
        return g * 3.0 * x   # wrong: should be 2 x

    with pytest.raises(srcad.GradientCheckError):
        srcad.check_grad(uses_wrong_rule, [1.3])


def test_the_first_derivative_parses_only_the_rules_it_uses(tmp_path):
    """The names generated code reserves came from every rule's parsed source, so a
    process's first derivative parsed all ~400 templates (about 0.2 s); they come from the
    rules' code objects now, and a rule is parsed where it is used."""
    import os
    import pathlib
    import subprocess
    import sys
    script = tmp_path / "first.py"
    script.write_text("import numpy as np, srcad\n"
                      "from srcad.rules import registry\n\n\n"
                      "def f(x):\n"
                      "    return np.sum(np.sin(x) * x)\n\n\n"
                      "srcad.grad(f)(np.ones(3))\n"
                      "parsed = sum(t.__dict__['_loaded'] for t in registry._TEMPLATES)\n"
                      "print(parsed, len(registry._TEMPLATES))\n")
    root = str(pathlib.Path(srcad.__file__).resolve().parent.parent)
    env = dict(os.environ, PYTHONPATH=root)
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                         check=True, env=env).stdout.split()
    parsed, total = int(out[0]), int(out[1])
    assert total > 300 and parsed < 20
