"""Forward mode, Jacobians and second order, checked against reverse mode and closed forms."""
import numpy as np
import pytest

import srcad
import programs
from conftest import numeric_jacobian
from programs import CASES


def leaves(x):
    """Flat list of arrays of a gradient or tangent (arrays, floats, lists, tuples, dicts)."""
    if isinstance(x, dict):
        return [a for k in sorted(x) for a in leaves(x[k])]
    if isinstance(x, (list, tuple)):
        return [a for item in x for a in leaves(item)]
    return [np.asarray(x, dtype=float)]


def like(x, rng):
    """A random tangent with the structure of `x`."""
    if isinstance(x, dict):
        return {k: like(v, rng) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return type(x)(like(v, rng) for v in x)
    if isinstance(x, np.ndarray):
        return rng.standard_normal(x.shape)
    return float(rng.standard_normal())


@pytest.mark.parametrize("name, f, args, wrt", CASES, ids=[c[0] for c in CASES])
def test_forward_agrees_with_reverse(name, f, args, wrt):
    rng = np.random.default_rng(1)
    wrt_t = wrt if isinstance(wrt, tuple) else (wrt,)
    grads = srcad.grad(f, wrt=wrt_t)(*args)
    tangents = tuple(like(args[k], rng) for k in wrt_t)
    value, tangent_out = srcad.jvp(f, wrt=wrt_t)(*args, tangents)
    expected = sum(float(np.sum(g * t)) for gs, ts in zip(grads, tangents)
                   for g, t in zip(leaves(gs), leaves(ts)))
    assert value == pytest.approx(f(*args), rel=1e-12, abs=1e-12)
    assert tangent_out == pytest.approx(expected, rel=1e-10, abs=1e-10)


def test_jvp_source_reads_like_the_textbook_forward_trace():
    source = srcad.jvp(CASES[0][1], wrt=(0, 1)).source
    assert "def jvp_seed(x1, x2, vdot_m1, vdot_0)" in source
    assert "vdot_1 = vdot_m1 / v_m1" in source
    assert "return v_5, vdot_5" in source


def test_jvp_seeding_gives_partial_derivatives():
    f = CASES[0][1]
    assert srcad.jvp(f, wrt=(0, 1))(2.0, 5.0, (1.0, 0.0))[1] == pytest.approx(5.5, abs=1e-12)
    assert srcad.jvp(f, wrt=(0, 1))(2.0, 5.0, (0.0, 1.0))[1] == \
        pytest.approx(1.7163378145367738, abs=1e-12)


# ----- Jacobians -----


def r3_to_r4(x):
    return np.array([x[0] * x[1], np.sin(x[2]), x[0] + x[1] * x[2], np.exp(x[0])])


def r50_to_r2(x):
    return np.array([np.sum(x * x), np.sum(np.sin(x))])


@pytest.mark.parametrize("f, n, chosen", [(r3_to_r4, 3, "forward"), (r50_to_r2, 50, "reverse")])
def test_jacobian_modes_agree(f, n, chosen):
    x = np.random.default_rng(2).standard_normal(n)
    forward = srcad.jacobian(f, mode="forward")(x)
    reverse = srcad.jacobian(f, mode="reverse")(x)
    auto = srcad.jacobian(f)
    np.testing.assert_allclose(forward, reverse, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(forward, numeric_jacobian(f, x), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(auto(x), forward, rtol=1e-12, atol=1e-12)
    assert auto.mode == chosen
    assert forward.shape == (f(x).size, n)


def list_of_arrays(x):
    return [x * 2.0, np.sin(x) * x[0]]


def list_of_numbers(x):
    return [x[0] * x[1], np.sum(x ** 2)]


def nested_tuple(x):
    return ((x[0] * x[1], x[2]), (np.sum(np.exp(x)), x[1] ** 3))


@pytest.mark.parametrize("f", [list_of_arrays, list_of_numbers, nested_tuple])
def test_jacobian_of_a_list_or_tuple_value_in_both_modes(f):
    """Reverse mode seeds the pullback in the value's own structure (it was given an array,
    and refused it as shaped unlike the value)."""
    x = np.random.default_rng(4).standard_normal(3)
    forward = srcad.jacobian(f, mode="forward")(x)
    reverse = srcad.jacobian(f, mode="reverse")(x)
    np.testing.assert_allclose(reverse, forward, rtol=1e-12, atol=1e-12)
    expected = numeric_jacobian(lambda z: np.asarray(f(z)).ravel(), x)
    np.testing.assert_allclose(forward.reshape(expected.shape), expected, rtol=1e-6, atol=1e-7)


# ----- second order -----


def rosenbrock(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)


def rosenbrock_hessian(x):
    n = x.size
    H = np.zeros((n, n))
    for i in range(n - 1):
        H[i, i] += 1200 * x[i] ** 2 - 400 * x[i + 1] + 2
        H[i, i + 1] += -400 * x[i]
        H[i + 1, i] += -400 * x[i]
        H[i + 1, i + 1] += 200
    return H


A = np.array([[2.0, 1.0, 0.0], [1.0, 3.0, 1.0], [0.5, 0.0, 1.0]])


def quadratic(x):
    return x @ A @ x


def sin_cube(x):
    return np.sin(x) * x ** 3


def test_hessian_rosenbrock():
    x = np.array([0.3, -0.5, 1.2, 0.8])
    np.testing.assert_allclose(srcad.hessian(rosenbrock)(x), rosenbrock_hessian(x),
                               rtol=1e-12, atol=1e-9)


def test_hessian_quadratic_form():
    x = np.array([0.3, -0.5, 1.2])
    np.testing.assert_allclose(srcad.hessian(quadratic)(x), A + A.T, rtol=1e-12, atol=1e-12)


def test_grad_of_grad_closed_form():
    for x in (0.7, -1.3, 2.0):
        expected = 6 * x * np.sin(x) + 6 * x ** 2 * np.cos(x) - x ** 3 * np.sin(x)
        assert srcad.grad(srcad.grad(sin_cube))(x) == pytest.approx(expected, rel=1e-12)


def test_hvp_matches_hessian_times_vector():
    rng = np.random.default_rng(3)
    x = rng.standard_normal(5)
    v = rng.standard_normal(5)
    H = srcad.hessian(rosenbrock)(x)
    np.testing.assert_allclose(srcad.hvp(rosenbrock)(x, v), H @ v, rtol=1e-11, atol=1e-9)


@pytest.mark.parametrize("name", ["logistic", "while_stop", "rk4_like", "early_return_loop"])
def test_hessian_through_control_flow(name):
    """Forward over reverse through the stack of a loop, checked by differencing the gradient."""
    _, f, args, _ = next(c for c in CASES if c[0] == name)
    df = srcad.grad(f)
    h = srcad.hessian(f)(*args)
    eps = 1e-6
    x = args[0]
    numeric = (df(x + eps, *args[1:]) - df(x - eps, *args[1:])) / (2 * eps)
    assert float(h) == pytest.approx(numeric, rel=1e-5, abs=1e-6)


def test_jvp_checks_the_tangents_after_calls_that_took_the_fast_path():
    jf = srcad.jvp(programs.neuron, wrt=(0, 1, 2))
    args = (0.1, 0.2, -0.3, 0.5, 0.7)
    for _ in range(2):
        value, tangent = jf(*args, (1.0, 0.0, 0.0))
    with pytest.raises(srcad.WrtError):
        jf(*args, (1.0, 0.0))
    assert jf(*args, (1, 0, 0)) == (value, tangent)      # ints: promoted


def quadratic_in_v(A, v):
    return v @ np.linalg.solve(A, v)


def test_hvp_refuses_v_keyword_when_the_function_has_a_parameter_v():
    """`v=` named the function's own parameter, and the last positional argument became the
    vector: H @ b came back for H @ t, silently."""
    A, b, t = np.array([[2.0, 0.3], [0.1, 1.5]]), np.array([0.4, -0.2]), np.array([0.3, 0.9])
    inverse = np.linalg.inv(A)
    np.testing.assert_allclose(srcad.hvp(quadratic_in_v, wrt=1)(A, b, t),
                               (inverse + inverse.T) @ t)
    with pytest.raises(srcad.ArgumentError, match="ambiguous"):
        srcad.hvp(quadratic_in_v, wrt=1)(A, b, v=t)


# ----- helper-38's round: jacobian, vjp and jvp at their edges -----


def sin_times(x, y, z=1.0):
    return np.sin(x) * y * z


def sum_sin_times(x, y, z=1.0):
    return np.sum(np.sin(x) * y * z)


def list_product(xs):
    return np.sum(xs[0]) * xs[1]


def dict_product(d):
    return d["w"] * np.sum(d["b"])


def product_of_two(x, y):
    return x * y + np.sin(x)


class Scaled:
    def __init__(self, a):
        self.a = a

    def predict(self, x):
        return self.a * np.sin(x)


def test_jacobian_and_hessian_with_respect_to_a_default():
    """wrt a parameter left at its default: a bare IndexError (grad and vjp took it)."""
    x, y = np.array([0.3, 0.7]), np.array([1.1, 0.4])
    np.testing.assert_allclose(srcad.jacobian(sin_times, wrt="z")(x, y), np.sin(x) * y)
    np.testing.assert_allclose(srcad.jacobian(sin_times, wrt=2, mode="forward")(x, y),
                               np.sin(x) * y)
    (hxx, hxz), (hzx, hzz) = srcad.hessian(sum_sin_times, wrt=("x", "z"))(x, y)
    np.testing.assert_allclose(hxx, np.diag(-np.sin(x) * y))
    np.testing.assert_allclose(hxz, np.cos(x) * y)
    assert hzz == 0.0


def test_jacobian_with_respect_to_a_dict_or_a_list_of_several_shapes():
    """A list whose items differ in shape, and a dict: bare ValueErrors once, then refused;
    now a block for each item, as jax.jacobian gives them (`{key: out.shape +
    item.shape}`), forward and reverse. A dict of dicts is refused by its item."""
    xs = [np.array([0.3, 0.7]), 2.0]
    d = {"w": np.array([0.3, 0.7]), "b": np.array([1.0, 2.0, -0.5])}
    for mode in ("forward", "reverse"):
        j_list = srcad.jacobian(list_product, mode=mode)(xs)
        assert isinstance(j_list, list)
        np.testing.assert_allclose(j_list[0], [2.0, 2.0])
        assert j_list[1] == pytest.approx(1.0)
        j_dict = srcad.jacobian(dict_product, mode=mode)(d)
        np.testing.assert_allclose(j_dict["w"], np.eye(2) * np.sum(d["b"]))
        np.testing.assert_allclose(j_dict["b"], np.outer(d["w"], np.ones(3)))
    with pytest.raises(srcad.ArgumentError, match="its item 'inner' is a dict"):
        srcad.jacobian(dict_product)({"w": 1.0, "b": 2.0, "inner": {"c": 1.0}})


def test_jacobian_and_vjp_of_a_bound_method():
    """The README says they take bound methods as grad does: refused ("bound to a class")."""
    m = Scaled(1.7)
    x = np.array([0.3, -0.5, 1.1])
    np.testing.assert_allclose(srcad.jacobian(m.predict)(x), np.diag(1.7 * np.cos(x)))
    value, pullback = srcad.vjp(m.predict)(x)
    np.testing.assert_allclose(value, 1.7 * np.sin(x))
    np.testing.assert_allclose(pullback(np.ones(3)), 1.7 * np.cos(x))


def test_sources_follow_the_last_call():
    """jvp's quickest path left `.source` at the previous call's code; vjp(f).source was a
    property object."""
    j = srcad.jvp(product_of_two)
    j(0.5, 0.3, 1.0)
    floats = j.source
    j(np.array([0.5]), np.array([0.3]), np.array([1.0]))
    assert j.source != floats
    j(0.5, 0.3, 1.0)
    assert j.source == floats
    assert "def grad_product_of_two" in srcad.vjp(product_of_two).source


@pytest.mark.parametrize("call", [
    lambda: srcad.jvp(product_of_two)(1 + 2j, 0.3, 1.0),
    lambda: srcad.jvp(list_product)([1 + 2j, 3.0], [1.0, 0.0]),
    lambda: srcad.jvp(product_of_two)(0.5, 0.3, 1j),
    lambda: srcad.vjp(product_of_two)(np.array([0.5]), 0.3)[1](
        np.array([1 + 1j])),
    lambda: srcad.grad(list_product)([np.array([1 + 2j]), 3.0]),
])
def test_complex_values_are_refused(call):
    """The README says complex inputs raise; jvp, lists and ybar let them through."""
    with pytest.raises(srcad.SrcadError, match="complex"):
        call()


def test_a_list_of_floats_then_a_complex_one():
    g = srcad.grad(list_product)
    g([1.0, 2.0])
    with pytest.raises(srcad.SrcadError, match="complex"):
        g([1 + 2j, 3.0])


def abs_of_product(x, c):
    return np.abs(x * c)


def total_or_each(a, how):
    if how == "sum":
        return np.sum(a * a)
    return a * a


def test_a_complex_argument_that_is_not_differentiated_is_refused():
    """`np.abs(x * c)` with c = 1j: every mode gave -1 (helper-39)."""
    for call in (lambda: srcad.grad(abs_of_product)(0.5, 1j),
                 lambda: srcad.jvp(abs_of_product)(0.5, 1j, 1.0),
                 lambda: srcad.jacobian(abs_of_product)(0.5, [1j])):
        with pytest.raises(srcad.SrcadError, match="complex"):
            call()


def test_a_string_that_chooses_the_output_is_checked_on_each_call():
    """After `g(a, "sum")`, `g(a, "vec")` skipped the output check (the gradient of the
    sum); a fresh derivative refused it."""
    g = srcad.grad(total_or_each)
    a = np.array([0.5, 0.7])
    np.testing.assert_allclose(g(a, "sum"), 2 * a)
    with pytest.raises(srcad.NonScalarOutputError):
        g(a, "vec")


def sine_times_square(x):
    return np.sum(np.sin(x) * x ** 2)


def test_vjp_of_a_gradient():
    """Reverse over reverse through vjp: refused as "not a Python function with source
    code", with a hint to register a rule (helper-40)."""
    x, v = np.array([0.5, -1.2, 0.7]), np.array([1.0, 2.0, -1.0])
    g = srcad.grad(sine_times_square)
    value, pullback = srcad.vjp(g)(x)
    np.testing.assert_allclose(value, g(x))
    np.testing.assert_allclose(pullback(v), srcad.jvp(g)(x, v)[1], rtol=1e-12)


# ----- arguments given by name are arguments as those given by position (helper-49) -----


def scaled_copy(x, b):
    c = b.copy()
    c[0] = x * c[0]
    return np.sum(c * c)


def weighted_by_a_dict(x, d):
    s = 0.0
    for k in d:
        s = s + d[k] * x ** 2
    return s


def maybe_weighted(x, b=None):
    if b is None:
        return x * x
    return x * b


def test_an_integer_array_given_by_name_is_promoted_as_one_given_by_position():
    """x = 2.0 writes an integer into b's copy: the same value for integers and floats, and
    the integers are promoted; x = 0.5 writes one that b's integer copy truncates (4 rather
    than 4.25): refused, by name as by position (the function of floats is another)."""
    dg = srcad.grad(scaled_copy, wrt=(0, 1))
    for grads in (dg(2.0, np.array([1, 2])), dg(2.0, b=np.array([1, 2])),
                  dg(x=2.0, b=np.array([1, 2]))):
        assert grads[0] == pytest.approx(4.0) and grads[1] == pytest.approx([8.0, 4.0])
    value, pullback = srcad.vjp(scaled_copy, wrt=1)(2.0, b=np.array([1, 2]))
    assert value == pytest.approx(8.0) and pullback(1.0) == pytest.approx([8.0, 4.0])
    for call in (lambda: dg(0.5, np.array([1, 2])), lambda: dg(0.5, b=np.array([1, 2])),
                 lambda: dg(x=0.5, b=np.array([1, 2])),
                 lambda: srcad.vjp(scaled_copy, wrt=1)(0.5, b=np.array([1, 2]))):
        with pytest.raises(srcad.ArgumentError, match="integer argument.* b become floats"):
            call()


def test_a_tangent_for_an_argument_given_by_name_is_checked():
    y = np.array([0.1, 0.2, 0.3])
    j = srcad.jvp(lambda_free_sum, wrt="y")
    for call in (lambda: j(2.0, y, np.ones(1)), lambda: j(2.0, np.ones(1), y=y)):
        with pytest.raises(srcad.ArgumentError, match="shaped like the argument"):
            call()
    assert j(2.0, np.ones(3), y=y)[1] == pytest.approx(2.0 * np.sum(np.cos(y)))


def lambda_free_sum(x, y):
    return np.sum(np.sin(y) * x)


def test_the_value_of_a_call_by_name_is_checked():
    df = srcad.grad(maybe_weighted)
    assert df(0.5, b=None) == pytest.approx(1.0)
    with pytest.raises(srcad.NonScalarOutputError):
        df(0.5, b=np.array([1.0, 2.0]))


def test_a_dict_given_by_name_is_walked_by_its_keys():
    df = srcad.grad(weighted_by_a_dict)
    weights = {"a": 1.0, "b": 2.0}
    assert df(0.5, weights) == pytest.approx(3.0)
    assert df(0.5, d=weights) == pytest.approx(3.0)
    assert srcad.jvp(weighted_by_a_dict)(0.5, 1.0, d=weights)[1] == pytest.approx(3.0)


def sigmoid_of_two(w, x):
    return 1.0 / (1.0 + np.exp(-(w * x)))


def test_the_quickest_call_of_floats_hands_anything_else_on():
    """After calls with floats a gradient takes them one by one (no tuple); other calls go
    the usual way: other types, keywords, too few or too many arguments."""
    g = srcad.grad(sigmoid_of_two, wrt=(0, 1))
    s = 1.0 / (1.0 + np.exp(-0.6))
    expected = (s * (1 - s) * 3.0, s * (1 - s) * 0.2)
    for _ in range(3):
        assert g(0.2, 3.0) == pytest.approx(expected)
    assert g(np.float64(0.2), 3.0) == pytest.approx(expected)
    assert g(0.2, x=3.0) == pytest.approx(expected)
    assert g(w=0.2, x=3.0) == pytest.approx(expected)
    assert g(0.2, 3) == pytest.approx(expected)
    for call in (lambda: g(0.2), lambda: g(0.2, 3.0, 1.0), lambda: g(0.2, 3.0, y=1.0)):
        with pytest.raises(srcad.ArgumentError):
            call()
    assert g(0.2, 3.0) == pytest.approx(expected)
    assert isinstance(g, srcad.api.Derivative) and type(g).__name__ == "Derivative"


def scaled_sine(a, b):
    return a * np.sin(b)


def named_self(self, x):
    return self * x * x


def test_a_bool_to_differentiate_and_a_parameter_named_self():
    """A bool where a float is differentiated gave NumPy's float16 result (0.5405 for
    0.5403); `g(self=..., x=...)` collided with the derivative object's own self (bare
    TypeErrors, helper-56)."""
    with pytest.raises(srcad.ArgumentError, match="is a bool"):
        srcad.grad(scaled_sine, wrt=1)(1.0, True)
    assert srcad.grad(scaled_sine, wrt=1)(1.0, 1.0) == pytest.approx(np.cos(1.0))
    g = srcad.grad(named_self, wrt=1)
    assert g(self=2.0, x=3.0) == pytest.approx(12.0)
    assert srcad.value_and_grad(named_self, wrt=1)(self=2.0, x=3.0) == pytest.approx(
        (18.0, 12.0))


def collected_in_a_list(x, n):
    ys = []
    for i in range(n):
        ys.append(np.sin(x * (i + 1)))
    total = 0.0
    while ys:
        total = total + ys.pop() ** 2
    return total


def test_a_lists_tangent_grows_in_place():
    """`ys.append(v)`: its tangent list takes v's tangent in place, as a pop takes one off
    (a new list each time made a long loop's hessian quadratic, helper-65)."""
    fn = srcad.jvp(collected_in_a_list)
    value, tangent = fn(0.3, 5, 1.0)
    want = sum(2 * np.sin(0.3 * k) * np.cos(0.3 * k) * k for k in range(1, 6))
    assert tangent == pytest.approx(want)
    assert ".append(vdot_" in fn.source and "+ [vdot_" not in fn.source


def named_outputs(x, s):
    return {"wave": np.sin(x) * s, "energy": np.sum(x ** 2) * s ** 2}


def test_jacobian_of_a_dict_valued_function_with_several_wrt():
    """jax.jacobian's layout: the value's structure outside, the tuple of `wrt` inside
    (`J["wave"][1]`: d wave / d s); refused before (a dict is not one array)."""
    x, s, h = np.array([0.3, -1.1, 0.8]), 1.7, 1e-6
    for mode in ("forward", "reverse"):
        J = srcad.jacobian(named_outputs, wrt=(0, 1), mode=mode)(x, s)
        assert sorted(J) == ["energy", "wave"]
        for key in J:
            columns = [(named_outputs(x + h * e, s)[key] - named_outputs(x - h * e, s)[key])
                       / (2 * h) for e in np.eye(3)]
            np.testing.assert_allclose(J[key][0], np.stack(columns, axis=-1), rtol=1e-6)
            by_s = (named_outputs(x, s + h)[key] - named_outputs(x, s - h)[key]) / (2 * h)
            np.testing.assert_allclose(J[key][1], by_s, rtol=1e-6)
