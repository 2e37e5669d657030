"""A derivative follows what the function's free names refer to when it runs.

Closure variables are read through the function's own cells, so assigning one later is
seen, as by the function itself. A name that the transformation looked up as a function
(a user function called, `np.tanh` under another name) guards the cached derivative: bound
to another object later (a notebook cell run again), the derivative is made again instead
of returning the gradient of the old function. Closures made by one `def` share one
transformation. Each expected value is the closed form."""
import itertools
import textwrap

import numpy as np
import pytest

import srcad
import srcad.api
from conftest import load_module

_CELLS = itertools.count()


def load(tmp_path, source):
    return load_module(tmp_path, source, "bindings_mod")


def redefine(module, source):
    """Run `source` in `module`'s namespace, as a notebook cell run again does (from a
    file of its own, so that its functions have source)."""
    path = module.__file__.replace(".py", f"_cell{next(_CELLS)}.py")
    with open(path, "w") as file:
        file.write(textwrap.dedent(source))
    exec(compile(textwrap.dedent(source), path, "exec"), vars(module))


# ----- closure variables are read when the derivative runs -----


CLOSURE = """
    import numpy as np

    def make(a):
        def f(x):
            return np.sum(a * x * x)
        def set_a(value):
            nonlocal a
            a = value
        return f, set_a
    """


def test_assigning_a_closure_variable_later_changes_the_gradient(tmp_path):
    m = load(tmp_path, CLOSURE)
    f, set_a = m.make(1.0)
    g = srcad.grad(f)
    assert g(1.5) == pytest.approx(3.0)            # 2 a x
    set_a(3.0)
    assert f(1.5) == pytest.approx(6.75)
    assert g(1.5) == pytest.approx(9.0)
    assert srcad.value_and_grad(f)(1.5) == pytest.approx((6.75, 9.0))
    assert srcad.jvp(f)(1.5, 1.0) == pytest.approx((6.75, 9.0))


def test_closure_variable_holding_an_array_is_read_when_it_runs(tmp_path):
    m = load(tmp_path, CLOSURE)
    f, set_a = m.make(np.array([1.0, 2.0]))
    g = srcad.grad(f)
    x = np.array([0.5, -1.0])
    assert np.allclose(g(x), 2 * np.array([1.0, 2.0]) * x)
    set_a(np.array([-3.0, 0.5]))
    assert np.allclose(g(x), 2 * np.array([-3.0, 0.5]) * x)
    value, pullback = srcad.vjp(f)(x)
    assert np.allclose(pullback(2.0), 4 * np.array([-3.0, 0.5]) * x)


def test_closures_made_in_a_loop_each_get_their_own_gradient(tmp_path):
    m = load(tmp_path, CLOSURE)
    for a in (0.5, 2.0, -1.0):
        f, _ = m.make(a)
        assert srcad.grad(f)(3.0) == pytest.approx(6.0 * a)


def test_changing_a_data_global_needs_no_new_transformation(tmp_path):
    m = load(tmp_path, """
        import numpy as np
        W = np.array([1.0, 2.0])

        def loss(x):
            return np.sum(W * np.tanh(x))
        """)
    g = srcad.grad(m.loss)
    x = np.array([0.3, -0.4])
    assert np.allclose(g(x), m.W * (1 - np.tanh(x) ** 2))
    compiled = g._last
    m.W = np.array([5.0, -1.0])
    assert np.allclose(g(x), m.W * (1 - np.tanh(x) ** 2))
    assert g._last is compiled     # (its guard: W holds an array, whatever its values)
    assert [(name, kind) for _, name, kind in compiled.guards] == [("W", np.ndarray)]


# ----- functions bound again: the derivative is made again -----


CALLER = """
    import numpy as np

    def h(x):
        return x * x

    def f(x):
        return np.sum(h(x)) + 1.0
    """

CUBE = """
    def h(x):
        return x * x * x
    """


def test_a_called_function_defined_again_is_seen_by_an_existing_gradient(tmp_path):
    m = load(tmp_path, CALLER)
    g = srcad.grad(m.f)
    x = np.array([1.0, -2.0])
    assert g(3.0) == pytest.approx(6.0)
    assert g(np.float64(3.0)) == pytest.approx(6.0)
    assert np.allclose(g(x), 2 * x)
    redefine(m, CUBE)
    assert m.f(3.0) == pytest.approx(28.0)
    assert g(3.0) == pytest.approx(27.0)           # the quickest path: floats only
    assert g(np.float64(3.0)) == pytest.approx(27.0)
    assert np.allclose(g(x), 3 * x * x)            # arrays: by layout
    assert srcad.grad(m.f)(3.0) == pytest.approx(27.0)


def test_forward_mode_and_value_and_grad_see_a_function_defined_again(tmp_path):
    m = load(tmp_path, CALLER)
    jf, vg = srcad.jvp(m.f), srcad.value_and_grad(m.f)
    assert jf(3.0, 1.0) == pytest.approx((10.0, 6.0))
    assert vg(3.0) == pytest.approx((10.0, 6.0))
    redefine(m, CUBE)
    assert jf(3.0, 1.0) == pytest.approx((28.0, 27.0))
    assert vg(3.0) == pytest.approx((28.0, 27.0))


def test_a_function_two_calls_deep_defined_again(tmp_path):
    m = load(tmp_path, """
        import numpy as np

        def k(x):
            return np.sin(x)

        def h(x):
            return 2.0 * k(x)

        def f(x):
            return h(x) * x
        """)
    g = srcad.grad(m.f)
    x = 0.7
    assert g(x) == pytest.approx(2 * np.cos(x) * x + 2 * np.sin(x))
    redefine(m, """
        def k(x):
            return np.cos(x)
        """)
    assert g(x) == pytest.approx(-2 * np.sin(x) * x + 2 * np.cos(x))


def test_a_rule_function_under_another_name_bound_again(tmp_path):
    m = load(tmp_path, """
        import numpy as np
        act = np.tanh

        def f(x):
            return act(x) * 3.0
        """)
    g = srcad.grad(m.f)
    assert g(0.4) == pytest.approx(3 * (1 - np.tanh(0.4) ** 2))
    m.act = np.sin
    assert g(0.4) == pytest.approx(3 * np.cos(0.4))


def test_a_closure_variable_holding_a_function_assigned_again(tmp_path):
    m = load(tmp_path, """
        import numpy as np

        def make():
            act = np.tanh
            def f(x):
                return act(x) + x
            def use(fn):
                nonlocal act
                act = fn
            return f, use
        """)
    f, use = m.make()
    g = srcad.grad(f)
    assert g(0.4) == pytest.approx(2 - np.tanh(0.4) ** 2)
    use(np.exp)
    assert g(0.4) == pytest.approx(np.exp(0.4) + 1)


def test_a_function_held_by_an_object_assigned_again(tmp_path):
    """`cfg.act` of a module-level object (not a module, not a class): its derivative was
    made once, even for a new srcad.grad (helper-49)."""
    m = load(tmp_path, """
        import types
        import numpy as np

        def square(x):
            return x ** 2

        class Settings:
            pass

        cfg = types.SimpleNamespace(act=square)
        settings = Settings()
        settings.act = np.tanh

        def f(x):
            return cfg.act(x) * 2.0 + settings.act(x)
        """)
    g = srcad.grad(m.f)
    x = 0.5
    assert g(x) == pytest.approx(2 * 2 * x + 1 - np.tanh(x) ** 2)
    m.cfg.act = np.sin
    assert g(x) == pytest.approx(2 * np.cos(x) + 1 - np.tanh(x) ** 2)
    m.settings.act = m.square
    assert g(x) == pytest.approx(2 * np.cos(x) + 2 * x)
    assert srcad.grad(m.f)(x) == pytest.approx(2 * np.cos(x) + 2 * x)


def test_an_object_holding_a_function_bound_again(tmp_path):
    """`cfg = Cfg(np.tanh)` (the global rebound, not its attribute): the gradient kept the
    old object's function (helper-51); also one level deeper (`box.cfg = ...`)."""
    m = load(tmp_path, """
        import types
        import numpy as np

        class Cfg:
            def __init__(self, act):
                self.act = act

        cfg = Cfg(np.sin)
        box = types.SimpleNamespace(cfg=Cfg(np.sin))

        def f(x):
            return cfg.act(x) + 2.0 * box.cfg.act(x)
        """)
    g = srcad.grad(m.f)
    x = 0.3
    assert g(x) == pytest.approx(3 * np.cos(x))
    m.cfg = m.Cfg(np.tanh)
    assert g(x) == pytest.approx(1 - np.tanh(x) ** 2 + 2 * np.cos(x))
    m.box.cfg = m.Cfg(np.exp)
    assert g(x) == pytest.approx(1 - np.tanh(x) ** 2 + 2 * np.exp(x))
    assert srcad.grad(m.f)(x) == pytest.approx(1 - np.tanh(x) ** 2 + 2 * np.exp(x))


def test_a_guard_that_holds_costs_no_transformation(tmp_path):
    m = load(tmp_path, CALLER)
    g = srcad.grad(m.f)
    g(3.0)
    compiled = g._last
    assert compiled.guards               # f relies on h
    size = len(srcad.api._DERIVED)
    for _ in range(3):
        assert g(2.0) == pytest.approx(4.0)
    assert g._last is compiled and len(srcad.api._DERIVED) == size


# ----- defaults: the values the function was made with -----


def test_a_default_computed_in_the_enclosing_function(tmp_path):
    m = load(tmp_path, """
        import numpy as np

        def make(a):
            def f(x, k=a * 2, *, s=-a):
                return k * x * x + s * x
            return f
        """)
    f = m.make(3.0)
    g = srcad.grad(f)
    assert g(1.5) == pytest.approx(2 * 6.0 * 1.5 - 3.0)
    assert g(1.5, 1.0) == pytest.approx(2 * 1.0 * 1.5 - 3.0)
    assert srcad.jvp(f)(1.5, 1.0)[1] == pytest.approx(2 * 6.0 * 1.5 - 3.0)


def test_a_default_reading_a_global_keeps_the_value_it_was_made_with(tmp_path):
    m = load(tmp_path, """
        K = 2.0

        def f(x, k=K):
            return k * x * x
        """)
    m.K = 100.0                          # the function still multiplies by 2.0
    assert m.f(1.5) == pytest.approx(4.5)
    assert srcad.grad(m.f)(1.5) == pytest.approx(6.0)


# ----- closures made by one `def`: one transformation serves them all -----


def test_closures_made_by_one_def_share_one_transformation(tmp_path):
    m = load(tmp_path, CLOSURE)
    x = np.array([0.5, -1.0])
    f, _ = m.make(np.array([1.0, 2.0]))
    assert np.allclose(srcad.grad(f)(x), 2 * np.array([1.0, 2.0]) * x)
    sizes = len(srcad.api._IRS), len(srcad.api._DERIVED)
    for k in range(5):
        a = np.array([k, 1.0 - k])
        f, set_a = m.make(a)
        g = srcad.grad(f)
        assert np.allclose(g(x), 2 * a * x)
        set_a(a * 3)
        assert np.allclose(g(x), 6 * a * x)
    assert (len(srcad.api._IRS), len(srcad.api._DERIVED)) == sizes


def test_a_shared_transformation_keeps_no_closure_alive(tmp_path):
    import gc
    import weakref
    m = load(tmp_path, CLOSURE)
    srcad.grad(m.make(1.0)[0])(2.0)
    f, _ = m.make(5.0)
    assert srcad.grad(f)(2.0) == pytest.approx(20.0)
    alive = weakref.ref(f)
    del f
    gc.collect()
    assert alive() is None


def test_lambdas_made_again_and_again_share_one_transformation(tmp_path):
    # `srcad.grad(lambda w: loss(w, batch))` in a loop, batch a global: one transformation,
    # no cache entry for each lambda, and each reads the global batch when it runs
    m = load(tmp_path, """
        import numpy as np
        import srcad

        X = np.array([[1.0, 2.0], [3.0, -1.0], [0.5, 0.5]])
        batch = 0.0

        def loss(w, b):
            return np.sum((X @ w - b) ** 2)

        def step(w):
            return srcad.grad(lambda v: loss(v, batch))(w)

        def step_by_def(w, scale):
            def scaled(v, k=2.0):
                return k * loss(v, batch)
            return srcad.grad(scaled)(w) * scale
        """)
    w = np.array([0.5, -0.25])
    m.step(w), m.step_by_def(w, 1.0)
    sizes = len(srcad.api._IRS), len(srcad.api._DERIVED)
    for b in (1.0, -2.0, 3.5):
        m.batch = b
        want = 2 * m.X.T @ (m.X @ w - b)
        np.testing.assert_allclose(m.step(w), want, rtol=1e-14)
        np.testing.assert_allclose(m.step_by_def(w, 3.0), 6.0 * want, rtol=1e-14)
    assert (len(srcad.api._IRS), len(srcad.api._DERIVED)) == sizes


def test_copies_of_one_method_for_two_classes_are_not_shared(tmp_path):
    # method_of_class gives Poly its own copy of Linear.loss (the same code): its
    # self.predict is Poly's
    m = load(tmp_path, """
        import numpy as np

        class Linear:
            def predict(self, w):
                return w * 2.0

            def loss(self, w):
                return np.sum(self.predict(w) ** 2)

        class Poly(Linear):
            def predict(self, w):
                return w ** 3
        """)
    w = np.array([0.5, -1.5])
    np.testing.assert_allclose(srcad.grad(m.Linear().loss)(w), 8.0 * w, rtol=1e-14)
    np.testing.assert_allclose(srcad.grad(m.Poly().loss)(w), 6.0 * w ** 5, rtol=1e-14)
    np.testing.assert_allclose(srcad.grad(m.Linear().loss)(w), 8.0 * w, rtol=1e-14)


def test_closures_calling_different_functions_are_not_shared(tmp_path):
    m = load(tmp_path, """
        import numpy as np

        def make(act, k):
            def f(x, scale=k):
                return act(x) * scale
            return f
        """)
    for act, slope in ((np.tanh, lambda x: 1 - np.tanh(x) ** 2), (np.sin, np.cos),
                       (np.tanh, lambda x: 1 - np.tanh(x) ** 2), (np.exp, np.exp)):
        for k in (1.0, 3.0):
            assert srcad.grad(m.make(act, k))(0.4) == pytest.approx(k * slope(0.4))


# ----- code replaced in place (IPython's autoreload) -----


def test_code_replaced_in_place_is_seen_by_a_new_gradient(tmp_path):
    """autoreload edits a function by giving the same object the new code: a gradient
    asked for again is made again, for the caller and for a function it calls."""
    m = load(tmp_path, CALLER)
    assert srcad.grad(m.f)(3.0) == pytest.approx(6.0)
    edited = load(tmp_path, CALLER.replace("x * x", "x * x * x"))
    m.h.__code__ = edited.h.__code__     # h edited: f's derivative calls h's
    assert m.f(3.0) == pytest.approx(28.0)
    assert srcad.grad(m.f)(3.0) == pytest.approx(27.0)
    edited = load(tmp_path, CALLER.replace("+ 1.0", "* 2.0"))
    m.f.__code__ = edited.f.__code__     # f itself edited
    assert m.f(3.0) == pytest.approx(54.0)
    assert srcad.grad(m.f)(3.0) == pytest.approx(54.0)


def test_code_replaced_in_place_is_seen_by_a_gradient_made_before(tmp_path):
    """The same gradient object, called again after autoreload gave f new code, on each
    of its quick paths (floats, arrays, forward mode)."""
    m = load(tmp_path, CALLER)
    df, jf = srcad.grad(m.f), srcad.jvp(m.f)
    x = np.array([1.0, 2.0])
    assert df(3.0) == pytest.approx(6.0) and df(3.0) == pytest.approx(6.0)
    assert df(x) == pytest.approx(2 * x) and df(x) == pytest.approx(2 * x)
    assert jf(3.0, 1.0)[1] == pytest.approx(6.0) and jf(3.0, 1.0)[1] == pytest.approx(6.0)
    m.f.__code__ = load(tmp_path, CALLER.replace("np.sum(h(x))", "np.sum(h(x) * x)")).f.__code__
    assert df(3.0) == pytest.approx(27.0)
    assert df(x) == pytest.approx(3 * x ** 2)
    assert jf(3.0, 1.0) == pytest.approx((28.0, 27.0))


DEFAULTS = """
    import numpy as np

    def h(x, c=2.0):
        return c * x * x

    def f(x, c=2.0):
        return c * x * x

    def g(x, *, c=2.0):
        return c * x * x

    def calls_h(x):
        return h(x) + x
    """


@pytest.mark.parametrize("name", ["f", "g"])
def test_defaults_changed_after_the_first_call_are_seen(tmp_path, name):
    """`f.__defaults__ = (5.0,)` (or a keyword-only default changed) gives f another value:
    gradients, their values, tangents and Hessians made before follow it."""
    fn = getattr(load(tmp_path, DEFAULTS), name)
    made = (srcad.grad(fn), srcad.value_and_grad(fn), srcad.jvp(fn), srcad.hessian(fn))

    def results(x):
        df, vg, jf, hf = made
        return df(x), vg(x), jf(x, 1.0), hf(x)

    for c in (2.0, 5.0, -1.0):
        if name == "f":
            fn.__defaults__ = (c,)
        elif c == 5.0:
            fn.__kwdefaults__["c"] = c          # (the same dict, changed)
        else:
            fn.__kwdefaults__ = {"c": c}
        for _ in range(2):                      # (the first call, then a quick one)
            grad, (value, grad_too), (value_too, tangent), second = results(3.0)
            assert (value, value_too) == pytest.approx((9.0 * c, 9.0 * c))
            assert (grad, grad_too, tangent) == pytest.approx((6.0 * c,) * 3)
            assert second == pytest.approx(2.0 * c)
            assert srcad.grad(fn)(np.float64(3.0)) == pytest.approx(6.0 * c)


def test_defaults_of_a_called_function_changed_after_the_first_call_are_seen(tmp_path):
    m = load(tmp_path, DEFAULTS)
    df = srcad.grad(m.calls_h)
    assert df(3.0) == pytest.approx(13.0) and df(3.0) == pytest.approx(13.0)
    m.h.__defaults__ = (5.0,)
    assert df(3.0) == pytest.approx(31.0) and df(3.0) == pytest.approx(31.0)
    assert df(np.float64(3.0)) == pytest.approx(31.0)


def test_defaults_given_to_a_function_are_those_of_its_signature(tmp_path):
    """Defaults that the source does not show (more of them, or none where it has one)."""
    m = load(tmp_path, DEFAULTS)
    df = srcad.grad(m.f)
    assert df(3.0) == pytest.approx(12.0)
    m.f.__defaults__ = (1.5, 3.0)                   # x too has a default now
    assert df() == pytest.approx(9.0)
    m.f.__defaults__ = None
    with pytest.raises(srcad.ArgumentError, match="missing a required argument: 'c'"):
        df(3.0)
    assert df(3.0, 4.0) == pytest.approx(24.0)


def test_a_default_of_the_other_zero_is_another_default(tmp_path):
    """0.0 == -0.0: the literal of the source was kept for the other one (helper-51)."""
    m = load(tmp_path, """
        import numpy as np

        def f(x, a=-0.0):
            return x * np.arctan2(a, -1.0)
        """)
    assert srcad.grad(m.f)(2.0) == pytest.approx(-np.pi)
    m.f.__defaults__ = (0.0,)
    assert srcad.grad(m.f)(2.0) == pytest.approx(np.pi)


def test_a_recursive_closure_calls_its_own_derivative_with_its_own_cells(tmp_path):
    m = load(tmp_path, """
        def make(c):
            def f(x, n):
                if n == 0:
                    return c * x
                return f(x, n - 1) * x
            def set_c(value):
                nonlocal c
                c = value
            return f, set_c
        """)
    for c in (1.0, 2.0, -0.5):
        f, set_c = m.make(c)
        g = srcad.grad(f)
        assert g(2.0, 3) == pytest.approx(c * 4 * 2.0 ** 3)     # c x^4
        set_c(5.0)
        assert g(2.0, 3) == pytest.approx(5.0 * 4 * 2.0 ** 3)


def test_a_called_function_named_like_a_helper_is_guarded_under_its_own_name(tmp_path):
    """Generated code calls the user's `unbroadcast` `unbroadcast_`: its guard must read
    the user's name (under the new one it failed on every call: a transformation each)."""
    m = load(tmp_path, """
        def unbroadcast(x):
            return x * x

        def f(x):
            return unbroadcast(x) + 1.0
        """)
    g = srcad.grad(m.f)
    assert g(3.0) == pytest.approx(6.0)
    compiled = g._last
    assert g(2.0) == pytest.approx(4.0) and g._last is compiled
    redefine(m, """
        def unbroadcast(x):
            return x * x * x
        """)
    assert g(3.0) == pytest.approx(27.0)


def test_a_decorated_callee_sees_a_function_it_calls_defined_again(tmp_path):
    m = load(tmp_path, """
        import functools

        def traced(fn):
            @functools.wraps(fn)
            def wrapper(*args):
                return fn(*args)
            return wrapper

        def k(x):
            return x * x

        @traced
        def h(x):
            return 2.0 * k(x)

        def f(x):
            return h(x) + x
        """)
    g = srcad.grad(m.f)
    assert g(3.0) == pytest.approx(13.0)             # 4 x + 1
    redefine(m, """
        def k(x):
            return x * x * x
        """)
    assert g(3.0) == pytest.approx(55.0)             # 6 x^2 + 1


def test_user_globals_named_like_the_helpers_normalisation_calls(tmp_path):
    """A module constant `counted` (or `tupled`) took the place of the helper the loop (the
    tuple(...) call) is normalised to: "srcad has no derivative rule for counted"."""
    m = load(tmp_path, """
        import numpy as np

        counted = 3.0
        tupled = 2.0

        def f(x, d):
            s = 0.0
            for k in d:
                s = s + d[k] * counted
            t = tuple(x)
            return s + np.sum(x ** 2) * tupled + t[0]
        """)
    gx, gd = srcad.grad(m.f, wrt=(0, 1))(np.array([1.0, 2.0]), {"a": 1.0, "b": 2.0})
    np.testing.assert_allclose(gx, [4.0 * 1.0 + 1.0, 4.0 * 2.0])
    assert gd == {"a": 3.0, "b": 3.0}


def test_a_loop_over_a_module_level_dict_walks_its_keys_when_it_runs(tmp_path):
    """`for k in CFG` over a module dict was refused when it ran (srcad indexed it);
    generated code walks `keys_of(CFG)`, read when it runs, as Python's loop does."""
    m = load(tmp_path, """
        import numpy as np

        CFG = {"a": 1.0, "b": 2.0}
        W = {"a": np.array([1.0, 2.0]), "b": np.array([0.5, -1.0])}

        def f(x):
            t = 0.0
            for k in CFG:
                t = t + CFG[k] * np.sum(x ** 2)
            for k in reversed(W):
                t = t * 0.5 + np.sum(W[k] * x)
            return t
        """)
    x = np.array([0.3, 0.7])
    g = srcad.grad(m.f)
    # t = 0.25 * 3 sum(x^2) + 0.5 sum(W_b x) + sum(W_a x)
    np.testing.assert_allclose(g(x), 1.5 * x + 0.5 * m.W["b"] + m.W["a"])
    m.CFG = {"z": 5.0}
    np.testing.assert_allclose(g(x), 2.5 * x + 0.5 * m.W["b"] + m.W["a"])
    m.CFG = [0.0]            # a list now: Python walks its items, and CFG[0.0] fails
    with pytest.raises(TypeError):
        m.f(x)


def test_code_with_fewer_parameters_checks_wrt_again(tmp_path):
    """wrt=(0, 1), then autoreload gives f one parameter: a bare IndexError (helper-56)."""
    m = load(tmp_path, """
        def f(x, y):
            return x * y
        """)
    g = srcad.grad(m.f, wrt=(0, 1))
    assert g(2.0, 3.0) == pytest.approx((3.0, 2.0))
    m.f.__code__ = load(tmp_path, "def f(x):\n    return x * x\n").f.__code__
    with pytest.raises(srcad.WrtError, match="out of range"):
        g(2.0)
