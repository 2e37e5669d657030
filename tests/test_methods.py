"""A method calling another method of its class (`self.predict(w)`): the call of that
function through the class, after a check that self's own method is that function."""
import numpy as np
import pytest

import srcad
from conftest import fd_check, full_check, load_module, numeric_jacobian

_MODEL = """
    import numpy as np
    import srcad

    class Base:
        def feature(self, w):
            return np.tanh(self.X @ w)

    class Model(Base):
        def __init__(self):
            rng = np.random.default_rng(0)
            self.X = rng.standard_normal((4, 3))
            self.W = rng.standard_normal((2, 3))

        def predict(self, w):
            return self.W @ (w * self.feature(w)[:3])

        def loss(self, w, c=1.0):
            r = self.predict(w) - c
            return np.sum(r ** 2) + self.penalty(w, lam=0.1)

        def penalty(self, w, lam):
            return lam * np.sum(w ** 2)

        @staticmethod
        def square(w):
            return np.sum(w * w)

        def loss_static(self, w):
            return self.square(w) * 2.0

        def loop_loss(self, w):
            total = 0.0
            for k in range(3):
                total = total + self.penalty(w * k, 0.5)
            return total

        @srcad.grad
        def decorated(self, w):
            return self.penalty(w, 1.0) + np.sum(self.predict(w))

        def rebinds_self(self, w):
            self = Model()
            return np.sum(self.predict(w))

        def shadows_its_class(self, w):
            Model = Other
            return np.sum(self.predict(w))

    class Other:
        def predict(self, w):
            return 5.0 * w

    class Sub(Model):
        def penalty(self, w, lam):
            return lam * np.sum(np.abs(w))

    class Outer:
        class Inner:
            def scale(self, w):
                return 3.0 * w

            def loss(self, w):
                return np.sum(self.scale(w) ** 2)
    """

W = np.array([0.3, -0.2, 0.5])


@pytest.fixture
def m(tmp_path):
    return load_module(tmp_path, _MODEL, "methods_mod")


def test_methods_of_the_class_and_of_a_base_class(m):
    model = m.Model()
    fd_check(model.loss, (W,))
    fd_check(m.Model.loss, (model, W), wrt=1)
    value, tangent = srcad.jvp(model.loss)(W, np.ones(3))
    np.testing.assert_allclose(tangent, srcad.grad(model.loss)(W) @ np.ones(3), rtol=1e-12)
    hessian = srcad.hessian(model.loss)(W)
    np.testing.assert_allclose(hessian, numeric_jacobian(srcad.grad(model.loss), W),
                               rtol=1e-6, atol=1e-8)


def test_the_generated_code_checks_then_calls_through_the_class(m):
    source = srcad.grad(m.Model().loss).source
    assert "check_method(v_m2, Model, 'predict')\n    v_1 = Model.predict(v_m2, v_m1)" \
        in source
    assert "Model.penalty(v_m2, v_m1, lam=0.1)" in source


def test_a_static_method_and_a_call_in_a_loop(m):
    model = m.Model()
    np.testing.assert_allclose(srcad.grad(model.loss_static)(W), 4.0 * W)
    np.testing.assert_allclose(srcad.grad(model.loop_loss)(W), 2.0 * 0.5 * W * 5.0)


def test_a_decorated_method_and_a_nested_class(m):
    model = m.Model()
    fd_check(lambda w: model.penalty(w, 1.0) + np.sum(model.predict(w)), (W,),
             grads=model.decorated(W))
    np.testing.assert_allclose(srcad.grad(m.Outer.Inner().loss)(W), 18.0 * W)


def test_a_subclass_overriding_the_callee(m):
    """sub.loss, Model's, is differentiated as Sub's method: its self.penalty is Sub's;
    Model.loss called with a Sub object is refused where it runs."""
    sub = m.Sub()
    fd_check(sub.loss, (W,))
    _, tangent = srcad.jvp(sub.loss)(W, np.ones(3))
    assert tangent == pytest.approx(np.sum(srcad.grad(sub.loss)(W)))
    for call in (lambda: srcad.grad(m.Model.loss, wrt=1)(sub, W),
                 lambda: srcad.jvp(m.Model.loss, wrt=1)(sub, W, np.ones(3))):
        with pytest.raises(srcad.UnsupportedError, match=r"Sub's penalty.*Model\.penalty"):
            call()
    model = m.Model()
    model.predict = lambda w: w       # an instance's own attribute: not Model.predict
    with pytest.raises(srcad.UnsupportedError, match="an attribute of the object itself"):
        srcad.grad(model.loss)(W)


def test_self_bound_again_keeps_the_old_refusal(m):
    with pytest.raises(srcad.SrcadError, match=r"'\.predict\(\)'"):
        srcad.grad(m.Model().rebinds_self)(W)


def test_a_local_named_like_the_class_is_not_the_class(m):
    """`Model = Other` in the method made `self.predict(w)` call Other.predict."""
    with pytest.raises(srcad.SrcadError, match=r"'\.predict\(\)'"):
        srcad.grad(m.Model().shadows_its_class)(W)


def test_a_method_replaced_on_the_class_is_differentiated_anew(m):
    """The derivative of the old method stayed in use (the guards named module names only)."""
    model = m.Model()
    before = srcad.grad(model.loss)(W)
    old = m.Model.penalty
    try:
        m.Model.penalty = lambda self, w, lam: lam * np.sum(w ** 4)
        assert not np.allclose(fd_check(model.loss, (W,)), before)     # (a lambda's too)
        m.Model.penalty = m.Sub.penalty
        fd_check(model.loss, (W,))
    finally:
        m.Model.penalty = old
    np.testing.assert_allclose(srcad.grad(model.loss)(W), before)


def test_a_refusal_when_the_derivative_runs_names_the_users_line(m):
    """check_method's refusal (and every other one the generated code raises) had no place."""
    with pytest.raises(srcad.UnsupportedError) as info:
        srcad.grad(m.Model.loss, wrt=1)(m.Sub(), W)
    location = info.value.location
    assert location is not None and location.filename == m.__file__
    assert "self.penalty(w, lam=0.1)" in location.text


def test_a_refusal_in_a_derivative_of_a_derivative_names_the_users_line(m):
    with pytest.raises(srcad.UnsupportedError) as info:
        srcad.jvp(srcad.grad(m.Model.loss, wrt=1), wrt=1)(m.Sub(), W, np.ones(3))
    assert info.value.location.filename == m.__file__


_INSTANCE = """
    import numpy as np

    class Model:
        def __init__(self, W):
            self.W = W

        def loss(self, w):
            return np.sum((self.W @ w) ** 2)

        @staticmethod
        def reg(w):
            return np.sum(w ** 4)

    class Other(Model):
        def loss(self, w):
            return np.sum(w)

    M = Model(np.array([[1.0, 2.0], [0.5, -1.0]]))

    def f(w):
        return M.loss(w) + 0.1 * M.reg(w) + np.sum(w)
    """


def test_a_method_of_a_module_level_object(tmp_path):
    """`M.loss(w)` of a module-level instance was refused ("no derivative rule for
    M.loss"); it is `Model.loss(M, w)` after a check that M's loss is still that one."""
    m = load_module(tmp_path, _INSTANCE, "instance_mod")
    w = np.array([0.3, 0.7])
    fd_check(m.f, [w])
    assert "check_method(M, Model, 'loss', 'M')" in srcad.grad(m.f).compiled((w,)).source
    np.testing.assert_allclose(srcad.hessian(m.f)(w), numeric_jacobian(srcad.grad(m.f), w),
                               rtol=1e-6, atol=1e-7)
    g = srcad.grad(m.f)
    g(w)
    m.M = m.Model(np.eye(2) * 2.0)            # another object of the class: read when it runs
    fd_check(m.f, [w], grads=g(w))
    m.M = m.Other(np.eye(2))                  # another class: made again for it
    fd_check(m.f, [w], grads=g(w))
    assert "check_method(M, Other, 'loss', 'M')" in g.source


def test_a_method_of_a_module_level_object_of_a_class_named_through_its_module(tmp_path):
    """`M.loss(w)` where M's class is another module's, imported as a module (`import models
    as mm; M = mm.Model(W)`): refused as "no derivative rule for M.loss", since the function
    could not name the class; it is `mm.Model.loss(M, w)` now (found by a PyTorch-style
    model object made in a script)."""
    models = load_module(tmp_path, _INSTANCE, "models_mod")
    m = load_module(tmp_path, f"""
        import numpy as np
        import {models.__name__} as mm

        M = mm.Model(np.array([[1.0, 2.0], [0.5, -1.0]]))

        def f(w):
            return M.loss(w) + 0.1 * M.reg(w) + np.sum(w)
        """, "script_mod")
    w = np.array([0.3, 0.7])
    fd_check(m.f, [w])
    assert "check_method(M, mm.Model, 'loss', 'M')" in srcad.grad(m.f).compiled((w,)).source
    np.testing.assert_allclose(srcad.hessian(m.f)(w), numeric_jacobian(srcad.grad(m.f), w),
                               rtol=1e-6, atol=1e-7)
    g = srcad.grad(m.f)
    g(w)
    m.M = models.Other(np.eye(2))             # another class: made again for it
    fd_check(m.f, [w], grads=g(w))


def test_super_of_a_base_class_imported_under_another_name(tmp_path):
    """super().loss(w) where the base class is another module's, imported as Parent: the
    derivative names it by the module's name for it (a TypeError for a while, when a
    namespace attribute hid the dict's items())."""
    base = load_module(tmp_path, """
        import numpy as np

        class Base:
            def loss(self, w):
                return np.sum(w ** 3)
        """, "base_mod")
    m = load_module(tmp_path, f"""
        import numpy as np
        from {base.__name__} import Base as Parent

        class Child(Parent):
            def loss(self, w):
                return 2.0 * super().loss(w) + np.sum(w)
        """, "child_mod")
    w = np.array([0.3, -0.7, 1.1])
    np.testing.assert_allclose(srcad.grad(m.Child().loss)(w), 6.0 * w ** 2 + 1.0)


class CallableLayer:
    def __init__(self, W):
        self.W = W

    def __call__(self, x):
        return np.tanh(self.W @ x)


LAYER = CallableLayer(np.array([[0.3, -0.2], [0.5, 0.1], [-0.4, 0.6]]))


def through_a_callable_object(x):
    return np.sum(LAYER(x) ** 2) + np.sum(x ** 4)


def test_a_module_level_callable_object():
    """`LAYER(x)` of an object whose class defines __call__ (a PyTorch-style layer): "no
    derivative rule for LAYER" (helper-40). It is `CallableLayer.__call__(LAYER, x)`."""
    x = np.array([0.7, -0.4])
    full_check(through_a_callable_object, (x,))
    g = srcad.grad(through_a_callable_object)
    e = 1e-6
    fd = np.stack([(g(x + e * d) - g(x - e * d)) / (2 * e) for d in np.eye(2)], axis=1)
    np.testing.assert_allclose(srcad.hessian(through_a_callable_object)(x), fd, rtol=1e-6)


class ComparedLayer(CallableLayer):
    """A layer whose instances compare by their weights: a class that defines __eq__
    without __hash__ makes its instances unhashable."""

    def __eq__(self, other):
        return isinstance(other, ComparedLayer) and np.array_equal(self.W, other.W)


COMPARED = ComparedLayer(LAYER.W)


def through_an_unhashable_callable_object(x):
    h = np.zeros(3)
    for _ in range(2):
        h = h + COMPARED(x)
    return np.sum(h ** 2) + np.sum(x ** 4)


def test_an_unhashable_callable_object():
    """srcad asked whether the object was one of NumPy's functions with `in` on a set: a
    bare TypeError "unhashable type: 'ComparedLayer'" (hashing it) escaped."""
    x = np.array([0.7, -0.4])
    full_check(through_an_unhashable_callable_object, (x,))
    value, tangent = srcad.jvp(through_an_unhashable_callable_object)(x, np.array([1.0, 0.0]))
    np.testing.assert_allclose(tangent, srcad.grad(through_an_unhashable_callable_object)(x)[0])
    g = srcad.grad(through_an_unhashable_callable_object)
    e = 1e-6
    fd = np.stack([(g(x + e * d) - g(x - e * d)) / (2 * e) for d in np.eye(2)], axis=1)
    np.testing.assert_allclose(srcad.hessian(through_an_unhashable_callable_object)(x), fd,
                               rtol=1e-6)


_SELF_CALLED = """
    import numpy as np

    class Layer:
        def __init__(self, W):
            self.W = W

        def __call__(self, x):
            return np.tanh(self.W @ x)

        def loss(self, x):
            return np.sum(self(x) ** 2)

    class Sine(Layer):
        def __call__(self, x):
            return np.sin(self.W @ x)

    LAYER = Layer(np.array([[0.3, -0.2], [0.5, 0.1], [-0.4, 0.6]]))
    SINE = Sine(LAYER.W)

    def outside(x):
        return LAYER.loss(x) + np.sum(x ** 4)

    def outside_sine(x):
        return SINE.loss(x)
    """


def test_self_called_in_a_method_of_a_callable_class(tmp_path):
    """`self(x)` in a method of a class whose __call__ is a plain function was refused as
    'calling a local variable', and where another function called the method, as 'loss
    may change its argument x in place' (helper-107). It is `Layer.__call__(self, x)`,
    after the check that self's own __call__ is that function (a subclass's is refused)."""
    m = load_module(tmp_path, _SELF_CALLED)
    x = np.array([0.7, -0.4])
    t = np.tanh(m.LAYER.W @ x)
    np.testing.assert_allclose(srcad.grad(m.LAYER.loss)(x),
                               m.LAYER.W.T @ (2 * t * (1 - t ** 2)), rtol=1e-12)
    full_check(m.outside, (x,))
    g = srcad.grad(m.outside)
    e = 1e-6
    fd = np.stack([(g(x + e * d) - g(x - e * d)) / (2 * e) for d in np.eye(2)], axis=1)
    np.testing.assert_allclose(srcad.hessian(m.outside)(x), fd, rtol=1e-6)
    with pytest.raises(srcad.UnsupportedError, match=r"self.__call__\(...\) in Layer is "
                                                     "Sine's __call__ here"):
        srcad.grad(m.outside_sine)(x)


# ----- sixteenth session: super() -----

_SUPER = """
    import numpy as np

    class Base:
        def __init__(self):
            self.k = 2.0

        def loss(self, w):
            return self.k * np.sum(w ** 2)

    class Sub(Base):
        def loss(self, w):
            return super().loss(w) + np.sum(np.sin(w))

    class Other(Base):
        def loss(self, w):
            return np.sum(np.cos(w))

    class Both(Sub, Other):
        pass

    def outside(w):
        return super().loss(w)
    """


def test_super_calls_the_base_class_method(tmp_path):
    """`super().loss(w)` is `Base.loss(self, w)` after a check that super() finds it for
    self's class: in Both(Sub, Other), Other's loss comes first, and the check refuses."""
    m = load_module(tmp_path, _SUPER)
    w = np.array([0.3, -0.4])
    np.testing.assert_allclose(srcad.grad(m.Sub().loss)(w), 4.0 * w + np.cos(w), rtol=1e-12)
    fd_check(m.Sub().loss, (w,))
    np.testing.assert_allclose(srcad.hessian(m.Sub().loss)(w), np.diag(4.0 - np.sin(w)),
                               rtol=1e-12)
    with pytest.raises(srcad.UnsupportedError, match=r"super\(\).loss\(...\) in Sub is"):
        srcad.grad(m.Both().loss)(w)
    with pytest.raises(srcad.UnsupportedError, match="super.. outside a method"):
        srcad.grad(m.outside)(w)


_OVERRIDES = """
    import numpy as np
    import srcad

    class Linear:
        def __init__(self, X, y):
            self.X, self.y = X, y

        def predict(self, w):
            return self.X @ w[:-1] + w[-1]

        def loss(self, w):
            r = self.predict(w) - self.y
            return 0.5 * np.mean(r ** 2)

    class Poly(Linear):
        def predict(self, w):
            return np.polyval(w, self.X[:, 0])
    """


def test_a_base_class_method_calls_the_subclass_override(tmp_path):
    """`srcad.grad(poly.loss)`, loss defined in Linear and calling self.predict, which Poly
    overrides: differentiated as Poly's method (helper-66: refused before); a subclass
    defined in another module still gets the check's refusal."""
    m = load_module(tmp_path, _OVERRIDES)
    rng = np.random.default_rng(13)
    X, y, w = rng.normal(size=(8, 2)), rng.normal(size=8), rng.normal(size=3)
    poly, linear = m.Poly(X, y), m.Linear(X, y)
    fd_check(poly.loss, (w,))
    fd_check(linear.loss, (w,))
    assert not np.allclose(srcad.grad(poly.loss)(w), srcad.grad(linear.loss)(w))
    H = srcad.hessian(poly.loss)(w)
    np.testing.assert_allclose(H, H.T, atol=1e-12)
    other = load_module(tmp_path, """
        import numpy as np

        def make(base):
            class Cubic(base):
                def predict(self, w):
                    return np.polyval(w, self.X[:, 0]) ** 3
            return Cubic
        """)
    with pytest.raises(srcad.UnsupportedError, match="Cubic's predict here"):
        srcad.grad(other.make(m.Linear)(X, y).loss)(w)


def test_super_other_than_a_method_call_is_refused(tmp_path):
    """`super().scale` (a property), `super().K`, `f = super().loss`: the generated code has
    no __class__ cell for super() (a RuntimeError escaped, helper-67)."""
    m = load_module(tmp_path, """
        import numpy as np

        class Base:
            K = 2.0

            def loss(self, w):
                return np.sum(w ** 2)

        class Sub(Base):
            def loss(self, w):
                return super().K * np.sum(w ** 2)
        """)
    with pytest.raises(srcad.UnsupportedError, match="super.. other than in a call"):
        srcad.grad(m.Sub().loss)(np.array([0.3, -0.5]))


GLOBAL_W = np.array([[1.0, 2.0], [0.5, 3.0]])


def through_a_global_arrays_method(x):
    return np.sum(np.tanh(GLOBAL_W.dot(x)))


def _closure_calling_a_method(scale):
    V = GLOBAL_W * scale

    def h(x):
        return np.sum(np.tanh(V.dot(x)))
    return h


def test_an_array_method_of_a_global_or_closure_array():
    """helper-86: `W.dot(x)` of a module-level (or closure) array had no rule ("no
    derivative rule for W.dot"); the array method's rule, while W holds an array."""
    x = np.array([0.3, -0.2])
    for f, M in ((through_a_global_arrays_method, GLOBAL_W),
                 (_closure_calling_a_method(2.0), 2.0 * GLOBAL_W)):
        expected = M.T @ (1 - np.tanh(M @ x) ** 2)
        np.testing.assert_allclose(srcad.grad(f)(x), expected, rtol=1e-12)
        np.testing.assert_allclose(srcad.jvp(f)(x, np.ones(2))[1], expected.sum(),
                                   rtol=1e-12)
        fd_check(f, [x])


def test_a_derivative_object_of_the_class_called_through_self(tmp_path):
    """`self.dloss(a)`, dloss a srcad derivative object the class holds: through the class
    it works (wrt counting self); through self, its wrt would count the parameters after
    self, which the call through the class does not: refused, saying how (it said 'no
    derivative rule for the method .dloss()', whose hint calls self.loss(w) supported)."""
    mod = load_module(tmp_path, """
        import numpy as np
        import srcad

        class Net:
            def __init__(self, w):
                self.w = w

            def loss(self, a):
                return np.sum((a * self.w) ** 2)

            dloss = srcad.grad(loss, wrt=1)

            def through_the_class(self, a):
                return np.sum(Net.dloss(self, a))

            def through_self(self, a):
                return np.sum(self.dloss(a))
    """, "derivative_members")
    w, a = np.array([0.3, 0.7, -1.1]), np.array([0.5, -1.2, 2.0])
    net = mod.Net(w)
    np.testing.assert_allclose(srcad.grad(net.through_the_class)(a), 2 * w ** 2, rtol=1e-12)
    with pytest.raises(srcad.UnsupportedError, match="derivative object that the class Net "
                                                     "holds") as info:
        srcad.grad(net.through_self)(a)
    assert "Net.dloss(self, ...)" in info.value.hint
