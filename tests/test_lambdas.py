"""Lambdas and functools.partial objects differentiated as functions: `srcad.grad(lambda w:
loss(w, X, y))`, `srcad.grad(partial(loss, X=X, y=y))`, as JAX and
autograd users write them. srcad reads a lambda from its file at its line, and writes a
function for a partial."""
import functools

import numpy as np
import pytest

import srcad
from conftest import fd_check, full_check, load_module

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


# ----- helper-64: what a lambda's name, source and class may hide -----

def test_a_callee_named_like_the_differentiated_function_keeps_its_own_derivative(tmp_path):
    """Two lambdas of line 1, in two files: grad_lambda_1 called itself, not its callee's
    derivative (two defs named f in two modules alike)."""
    other = load_module(tmp_path, "p5 = lambda x: x ** 5\n")
    caller = load_module(tmp_path, "f = lambda x: p5(-x) if x > 0 else 5.0 * x\n")
    caller.p5 = other.p5
    assert srcad.grad(caller.f)(1.1) == pytest.approx(-5 * 1.1 ** 4)
    assert srcad.jvp(caller.f)(1.1, 1.0) == pytest.approx((-1.1 ** 5, -5 * 1.1 ** 4))
    twin = load_module(tmp_path, "def h(x):\n    return x ** 5\n")
    outer = load_module(tmp_path, "def h(x):\n    return inner(-x) if x > 0 else 5.0 * x\n")
    outer.inner = twin.h
    assert srcad.grad(outer.h)(1.1) == pytest.approx(-5 * 1.1 ** 4)


def test_what_a_called_lambda_returns_is_read_from_the_lambda(tmp_path):
    """The reader of what a callee returns took the line's first statement: a crash for
    `sq = lambda ...` (a hessian through any lambda callee), and no sharing seen for a
    lambda made in a `def`'s return."""
    m = load_module(tmp_path, """
        import numpy as np

        sq = lambda a: a * a
        cube = lambda x: x ** 3

        def make_view():
            return lambda a: a[:]

        view = make_view()

        def squared(x):
            y = x * 2.0
            return np.sum(sq(y))

        def through_a_view(x):
            y = x * 1.0
            z = view(y)
            z[0] = 5.0
            return np.sum(y * x)
        """)
    x = np.array([1.0, 2.0])
    np.testing.assert_allclose(srcad.grad(m.squared)(x), 8.0 * x)
    assert srcad.hessian(lambda x: m.cube(x) * 2.0)(1.5) == pytest.approx(12.0 * 1.5)
    with pytest.raises(srcad.UnsupportedError, match="also reached through"):
        srcad.grad(m.through_a_view)(x)


def test_a_lambda_method_and_a_decorated_lambda(tmp_path):
    m = load_module(tmp_path, """
        import functools

        def deco(fn):
            @functools.wraps(fn)
            def wrapper(*args, **kwargs):
                return fn(*args, **kwargs)
            return wrapper

        cube = deco(lambda x: x ** 3)

        class Model:
            def __init__(self):
                self.w = 2.0

            def f(self, x):
                return self.w * x ** 3

            g = lambda self, x: self.f(x) + x
        """)
    assert srcad.grad(m.cube)(1.5) == pytest.approx(3 * 1.5 ** 2)
    assert srcad.grad(m.Model().g)(1.5) == pytest.approx(6.0 * 1.5 ** 2 + 1.0)


def test_a_lambda_inside_a_lambda_with_the_same_parameters():
    make = lambda x: (lambda x: x ** 5)       # noqa: E731
    assert srcad.grad(make(0.0))(1.2) == pytest.approx(5 * 1.2 ** 4)


def test_a_lambda_whose_file_says_otherwise_is_refused(tmp_path):
    """A file edited after the lambda was made, or a lambda that exec made under the file's
    name: the file's lambda at that line compiles to other code."""
    m = load_module(tmp_path, "f = lambda x: x ** 2\n")
    path = m.__file__
    with open(path, "w") as out:
        out.write("f = lambda x: x ** 3\n")
    with pytest.raises(srcad.SourceError, match="not the code"):
        srcad.grad(m.f)(2.0)
    namespace = {}
    exec(compile("g = lambda x: x ** 4\n", path, "exec"), namespace)
    with pytest.raises(srcad.SourceError, match="not the code"):
        srcad.grad(namespace["g"])(2.0)


def test_a_form_feed_ends_no_line(tmp_path):
    """The lines shown in messages and comments are Python's: a form feed (or U+2028 in a
    string) does not start another."""
    m = load_module(tmp_path, 'import numpy as np\ns = "\u2028"\x0c\ng = lambda x: np.sin(x) * x\n')
    df = srcad.grad(m.g)
    assert df(2.0) == pytest.approx(2.0 * np.cos(2.0) + np.sin(2.0))
    assert "# line 3: g = lambda x: np.sin(x) * x" in df.source


# ----- functools.partial -----

def penalised(w, X, y, lam=0.1):
    r = X @ w - y
    return np.sum(r * r) + lam * np.sum(w * w)


def test_a_partial_binding_data_by_name():
    rng = np.random.default_rng(8)
    X2, y2, w = rng.normal(size=(5, 3)), rng.normal(size=5), rng.normal(size=3)
    p = functools.partial(penalised, X=X2, y=y2)
    g = srcad.grad(p)
    np.testing.assert_allclose(g(w), 2 * X2.T @ (X2 @ w - y2) + 0.2 * w, rtol=1e-12)
    assert "def grad_penalised_partial(w" in g.source
    np.testing.assert_allclose(srcad.hessian(p)(w), 2 * X2.T @ X2 + 0.2 * np.eye(3),
                               rtol=1e-12)

    def penalty(w, lam=0.1):
        return lam * np.sum(w * w)
    g = srcad.grad(functools.partial(penalty))
    assert g(w) == pytest.approx(0.2 * w)
    penalty.__defaults__ = (0.5,)     # (a partial reads the function's default when called)
    assert g(w) == pytest.approx(1.0 * w)


def test_a_partials_function_keeps_its_names_apart_from_the_made_ones():
    """A parameter named like the made function's cells (`_p_keyword_0`) took the bound
    value's place (helper-67); a partial of a lambda has no name to call it by."""
    def scaled(x, _p_keyword_0, z):
        return x * _p_keyword_0 * z
    g = srcad.grad(functools.partial(scaled, z=2.0), wrt=1)
    assert g(0.6, 3.0) == pytest.approx(1.2)
    _, tangent = srcad.jvp(functools.partial(scaled, z=2.0), wrt=1)(0.6, 3.0, 1.0)
    assert tangent == pytest.approx(1.2)
    square = functools.partial(lambda x, a: a * x ** 2, a=3.0)
    assert srcad.grad(square)(0.5) == pytest.approx(3.0)


def test_a_partial_binding_leading_arguments_and_a_method():
    rng = np.random.default_rng(9)
    X2, y2, w = rng.normal(size=(5, 3)), rng.normal(size=5), rng.normal(size=3)
    g = srcad.grad(functools.partial(penalised, w))       # X is argument 0 now
    np.testing.assert_allclose(g(X2, y2), 2 * np.outer(X2 @ w - y2, w), rtol=1e-12)

    class Scaled:
        def __init__(self):
            self.s = 2.0

        def f(self, x, k):
            return self.s * x ** k
    assert srcad.grad(functools.partial(Scaled().f, k=3))(1.5) == pytest.approx(6 * 1.5 ** 2)


def test_partials_of_one_function_share_one_transformation(monkeypatch):
    rng = np.random.default_rng(10)
    X2, y2, w = rng.normal(size=(4, 2)), rng.normal(size=4), rng.normal(size=2)
    srcad.grad(functools.partial(penalised, X=X2, y=y2))(w)
    made = []
    normalise = srcad.api.normalise
    monkeypatch.setattr(srcad.api, "normalise", lambda *a: made.append(1) or normalise(*a))
    for k in range(1, 4):
        Xk = k * X2
        got = srcad.grad(functools.partial(penalised, X=Xk, y=y2))(w)
        np.testing.assert_allclose(got, 2 * Xk.T @ (Xk @ w - y2) + 0.2 * w, rtol=1e-12)
    assert not made


def test_a_partial_of_a_function_without_source_says_so():
    with pytest.raises(srcad.SourceError, match="functools.partial"):
        srcad.grad(functools.partial(np.power, 2.0))(1.5)


# ----- seventeenth session: a module-level partial called inside the function -----

def _data_loss(w, X, y):
    return np.sum((X @ w - y) ** 2)


_X3 = np.array([[1.0, 2.0], [0.5, -1.0], [0.3, 0.2]])
_Y3 = np.array([0.5, -0.2, 0.1])
DATA_LOSS = functools.partial(_data_loss, X=_X3, y=_Y3)


def regularised(w):
    return DATA_LOSS(w) + 0.1 * np.sum(w ** 2)


def _passes_back(x, k):
    return x


SAME = functools.partial(_passes_back, k=2.0)


def written_through_a_partials_result(x):
    y = SAME(x)
    y[0] = 5.0                 # x itself
    return np.sum(x * 2.0)


def test_a_partial_called_inside_the_function():
    """`DATA_LOSS(w)` of `DATA_LOSS = partial(loss, X=X, y=y)`: srcad differentiates the
    function it writes for the partial (refused before: "no derivative rule for
    DATA_LOSS"); what the partial's function returns may be its argument."""
    w = np.array([0.3, -0.4])
    np.testing.assert_allclose(srcad.grad(regularised)(w),
                               2 * _X3.T @ (_X3 @ w - _Y3) + 0.2 * w)
    np.testing.assert_allclose(srcad.hessian(regularised)(w), 2 * _X3.T @ _X3 + 0.2 * np.eye(2))
    full_check(regularised, (w,))
    with pytest.raises(srcad.UnsupportedError, match="also reached through 'x'"):
        srcad.grad(written_through_a_partials_result)(w)
