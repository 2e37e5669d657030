"""User-defined rules: @srcad.adjoint / @srcad.tangent for functions srcad cannot see into."""
import inspect
import sys

import numpy as np
import pytest

import srcad

# A stand-in for a C extension: a function whose source srcad cannot read.
_ns = {"np": np}
exec("def softplus(x):\n    return np.log1p(np.exp(x))\n", _ns)
softplus = _ns["softplus"]


@srcad.adjoint(softplus)
def softplus_adjoint(g, ans, x):
    return g / (1.0 + np.exp(-x))


@srcad.tangent(softplus)
def softplus_tangent(g, ans, x):
    return g / (1.0 + np.exp(-x))


def loss(w, x):
    return np.sum(softplus(x @ w))


_ns2 = {"np": np}
exec("def cube(x):\n    return x ** 3\n", _ns2)
cube = _ns2["cube"]


def uses_cube(x):
    return np.sum(cube(x))


_ns3 = {"np": np}
exec("def square(x):\n    return x ** 2\n", _ns3)
square = _ns3["square"]


def uses_square(x):
    return np.sum(square(x))


def test_function_without_source_needs_a_rule():
    with pytest.raises(srcad.MissingRuleError, match="cannot see into square") as info:
        srcad.grad(uses_square)(np.ones(2))
    assert "test_user_rules.py" in str(info.value) and "@srcad.adjoint(square)" in str(info.value)


def test_registered_adjoint_is_used():
    rng = np.random.default_rng(0)
    w, x = rng.standard_normal(3), rng.standard_normal((4, 3))
    g = srcad.grad(loss)(w, x)
    sigmoid = 1.0 / (1.0 + np.exp(-(x @ w)))
    np.testing.assert_allclose(g, x.T @ sigmoid, rtol=1e-12)
    assert "softplus(" in srcad.grad(loss).source
    srcad.check_grad(loss, (w, x))


def test_registered_tangent_is_used():
    rng = np.random.default_rng(1)
    w, x = rng.standard_normal(3), rng.standard_normal((4, 3))
    t = rng.standard_normal(3)
    _, tangent = srcad.jvp(loss)(w, x, t)
    assert tangent == pytest.approx(float(srcad.grad(loss)(w, x) @ t), rel=1e-12)


def test_wrong_registered_rule_is_caught():
    @srcad.adjoint(cube)
    def cube_adjoint_wrong(g, ans, x):
        return g * 2.0 * x * x          # should be 3 x^2
    with pytest.raises(srcad.GradientCheckError):
        srcad.check_grad(uses_cube, (np.array([0.5, 1.5]),))


def test_bad_rule_template_is_a_clear_error():
    with pytest.raises(srcad.RuleError, match="returns 1 expression"):
        @srcad.adjoint(np.hypot)
        def hypot_wrong(g, ans, x, y):
            return g


# ----- helper-35's round: locals named like trace names, tuples, defaults, re-registering

def _opaque(source, name):
    ns = {"np": np}
    exec(source, ns)
    return ns[name]


twosin = _opaque("def twosin(x):\n    return 2.0 * np.sin(x)\n", "twosin")


@srcad.adjoint(twosin)
def twosin_adjoint(g, ans, x):
    v = 2.0                       # `v_<n>` was the call's own value
    vbar = np.cos(x)              # and `vbar_<n>` its adjoint
    return g * v * vbar


@srcad.tangent(twosin)
def twosin_tangent(g, ans, x):
    v = 2.0
    vdot = np.cos(x)
    return g * v * vdot


def uses_twosin(x):
    y = twosin(x)
    return y * y + x


def test_rule_locals_named_like_trace_names():
    x = 0.4
    slope = 8 * np.sin(x) * np.cos(x) + 1
    value, tangent = srcad.jvp(uses_twosin)(x, 1.0)
    assert value == pytest.approx(uses_twosin(x)) and tangent == pytest.approx(slope)
    assert srcad.grad(uses_twosin)(x) == pytest.approx(slope)
    assert srcad.hessian(uses_twosin)(x) == pytest.approx(8 * np.cos(2 * x))


polar = _opaque("def polar(x, y):\n    return np.hypot(x, y), np.arctan2(y, x)\n", "polar")


@srcad.adjoint(polar)
def polar_adjoint(g, ans, x, y):
    r = ans[0]
    return (g[0] * x / r - g[1] * y / (r * r), g[0] * y / r + g[1] * x / (r * r))


@srcad.tangent(polar)
def polar_tangent(g, ans, x, y):
    r = ans[0]
    return (g * x / r, -g * y / (r * r)), (g * y / r, g * x / (r * r))


def uses_polar(x, y):
    r, t = polar(x, y)
    return r * r * t + r


def test_a_rules_tuple_tangents_add_as_tuples():
    """Forward mode joined the tuple tangents of x and y end to end: y's was lost."""
    x, y = 0.6, 0.8
    grads = srcad.grad(uses_polar, wrt=(0, 1))(x, y)
    for k, direction in enumerate([(1.0, 0.0), (0.0, 1.0)]):
        _, tangent = srcad.jvp(uses_polar, wrt=(0, 1))(x, y, direction)
        assert tangent == pytest.approx(grads[k])
    eps = 1e-6
    assert grads[1] == pytest.approx((uses_polar(x, y + eps) - uses_polar(x, y - eps))
                                     / (2 * eps), rel=1e-6)


def test_a_rule_default_that_is_not_a_literal_is_refused():
    weights = _opaque("def weights(x, w=None):\n    return x * 2.0\n", "weights")
    with pytest.raises(srcad.RuleError, match="cannot write as it is"):
        @srcad.adjoint(weights)
        def weights_adjoint(g, ans, x, w=np.array([1.0, 2.0])):
            return g * w


triple = _opaque("def triple(x):\n    return 3.0 * x\n", "triple")


def uses_triple(x):
    return triple(x) * x


def test_a_rule_registered_again_makes_the_derivative_again():
    @srcad.adjoint(triple)
    def wrong(g, ans, x):
        return g * 2.0
    assert srcad.grad(uses_triple)(1.5) == pytest.approx(2.0 * 1.5 + 4.5)

    @srcad.adjoint(triple)
    def right(g, ans, x):
        return g * 3.0
    assert srcad.grad(uses_triple)(1.5) == pytest.approx(6.0 * 1.5)


def test_rules_read_their_own_modules_names(tmp_path):
    """Two rules' modules binding K to different values, and a parameter named like a
    rule's global: the rules read one K, or the parameter (wrong numbers)."""
    from conftest import load_module, rule_module
    a = load_module(tmp_path, """
        import numpy as np
        import srcad
        K = 2.0
        w = 3.0
        ns = {"np": np}
        exec("def fa(x):\\n    return 2.0 * x\\n", ns)
        fa = ns["fa"]

        @srcad.adjoint(fa)
        def fa_adjoint(g, ans, x):
            return g * K

        @srcad.tangent(fa)
        def fa_tangent(g, ans, x):
            return g * w - g
        """, "rules_a")
    b = load_module(tmp_path, rule_module("fb", 5.0), "rules_b")

    def both(x, w):
        return a.fa(x) * w + b.fb(x)

    # (both is defined in this file: srcad reads it here)
    assert srcad.grad(both)(0.7, 10.0) == pytest.approx(2.0 * 10.0 + 5.0)
    assert srcad.jvp(both)(0.7, 10.0, 1.0)[1] == pytest.approx(2.0 * 10.0 + 5.0)


def test_a_rules_module_value_rebound_later_changes_the_derivative(tmp_path):
    """A rule reads its module's values when the derivative runs (`rules.K`), as the
    differentiated function reads its own: rebinding one after the derivative was made
    changed the rule but not the derivative (wrong numbers)."""
    from conftest import load_module, rule_module
    rules = load_module(tmp_path, rule_module("fa", 3.0), "rules_k")

    def f(x):
        return rules.fa(x) * x

    grad, jvp, hess = srcad.grad(f), srcad.jvp(f), srcad.hessian(f)
    assert grad(0.5) == pytest.approx(3.0 * 0.5 + 1.5)
    assert jvp(0.5, 1.0)[1] == pytest.approx(3.0 * 0.5 + 1.5)
    rules.K = 7.0
    assert grad(0.5) == pytest.approx(7.0 * 0.5 + 1.5)
    assert jvp(0.5, 1.0)[1] == pytest.approx(7.0 * 0.5 + 1.5)
    assert hess(0.5) == pytest.approx(7.0 + 7.0)    # the rule's fa' is K everywhere
    assert f"{rules.__name__}_module.K" in grad.source


def test_rule_modules_named_like_parameters_numpy_or_each_other(tmp_path, monkeypatch):
    """A rule's module was read as `x.K` (the parameter x shadowed module x) or `np.K`, and
    modules pkg.rules and pkg_rules were both `pkg_rules` (helper-39); a comprehension's
    variable named like a module global was read from the module."""
    import importlib
    import textwrap
    text = """
        import srcad
        K = {k}
        i = 0
        ns = {{}}
        exec("def {name}(x):\\n    return {k} * x\\n", ns)
        {name} = ns["{name}"]

        @srcad.adjoint({name})
        def {name}_adjoint(g, ans, x):
            return sum([g * K * (i + 1) for i in range(2)]) / 3.0
        """
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    for module, k, name in (("x", 3.0, "fx"), ("np", 5.0, "fnp"), ("pkg/rules", 7.0, "fr"),
                            ("pkg_rules", 11.0, "fpr")):
        (tmp_path / f"{module}.py").write_text(textwrap.dedent(text.format(k=k, name=name)))
    monkeypatch.syspath_prepend(str(tmp_path))
    for module in ("x", "np", "pkg", "pkg.rules", "pkg_rules"):
        monkeypatch.delitem(sys.modules, module, raising=False)
    x_mod, np_mod, rules, pkg_rules = (importlib.import_module(m) for m in
                                       ("x", "np", "pkg.rules", "pkg_rules"))

    def f(x):
        return x_mod.fx(x) + np_mod.fnp(x) + rules.fr(x) + pkg_rules.fpr(x)

    assert srcad.grad(f)(0.7) == pytest.approx(3.0 + 5.0 + 7.0 + 11.0)
    for module in ("x", "np", "pkg", "pkg.rules", "pkg_rules"):
        sys.modules.pop(module, None)


def test_bad_registrations_are_rule_errors():
    """A lambda (a bare AttributeError), a number, and `@srcad.adjoint` without the function
    (the rule became the decorator itself) were taken without a word or crashed
    (helper-42)."""
    with pytest.raises(srcad.RuleError, match="lambda"):
        srcad.adjoint(triple)(lambda g, ans, x: g)
    with pytest.raises(srcad.RuleError, match="needs functions"):
        srcad.adjoint(3.0)
    with pytest.raises(srcad.RuleError, match="not a staticmethod"):   # (it said "lambda")
        class Rules:
            @srcad.adjoint(triple)
            @staticmethod
            def triple_adjoint(g, ans, x):
                return g * 3.0
    with pytest.raises(srcad.RuleError, match="the function the rule is for"):
        @srcad.adjoint
        def triple_adjoint(g, ans, x):
            return g * 3.0


def _signed(x):
    return np.abs(x)


def test_rules_that_bind_names_in_their_expression_are_refused_where_they_do_it():
    """`return (x := np.sign(x)) * g` was spliced into the derivative as it is: the walrus
    rebound the forward value x (grad 8.0 instead of 9.6, jvp's value changed too). Errors
    in a rule's body name its file and line, and say how to write a choice."""
    line = inspect.currentframe().f_lineno
    with pytest.raises(srcad.RuleError, match=":=") as info:
        @srcad.adjoint(_signed)
        def signed_adjoint(g, ans, x):
            return (x := np.sign(x)) * g
    assert info.value.location.line == line + 4
    assert info.value.location.filename == __file__
    with pytest.raises(srcad.RuleError, match="lambda"):
        @srcad.tangent(_signed)
        def signed_tangent(g, ans, x):
            return (lambda z: z * g)(np.sign(x))
    with pytest.raises(srcad.RuleError, match="may only assign names") as info:
        @srcad.adjoint(_signed)
        def signed_adjoint_branches(g, ans, x):
            if x > 0:
                return g
            return -g
    assert info.value.location.line == line + 14
    assert "a if c else b" in info.value.hint


def _scaled(c, x):
    return c * x


@srcad.adjoint(_scaled)
def _scaled_adjoint(g, ans, c, x):
    gc = g * x
    gc *= 2.0
    gx = g          # (the derivative's own array: updated in place, it would be changed)
    gx *= c
    return np.sum(gc) / 2.0, gx


@srcad.tangent(_scaled)
def _scaled_tangent(g, ans, c, x):
    t = x * 1.0
    t *= g
    return t, c * g


def uses_scaled(c, x):
    return np.sum(_scaled(c, x) ** 2)


def test_a_rule_updates_its_own_names_with_augmented_assignments():
    """`gc *= 2.0` before a rule's return, of a name the rule assigned, is `gc = gc * 2.0`:
    a new value (refused before: 'may only assign names'), which leaves g as it was."""
    c, x = 1.5, np.array([0.3, -1.2, 2.0])
    gc, gx = srcad.grad(uses_scaled, wrt=(0, 1))(c, x)
    assert gc == pytest.approx(2 * c * np.sum(x * x), rel=1e-12)
    np.testing.assert_allclose(gx, 2 * c * c * x, rtol=1e-12)
    direction = (0.7, np.array([1.0, -0.5, 0.25]))
    _, tangent = srcad.jvp(uses_scaled, wrt=(0, 1))(c, x, direction)
    assert tangent == pytest.approx(gc * direction[0] + gx @ direction[1], rel=1e-12)


def test_augmented_assignments_of_a_parameter_or_an_unassigned_name_are_refused():
    line = inspect.currentframe().f_lineno
    with pytest.raises(srcad.RuleError, match="updates its parameter g in place") as info:
        @srcad.adjoint(_signed)
        def signed_adjoint_doubled(g, ans, x):
            g *= 2.0
            return g * np.sign(x)
    assert info.value.location.line == line + 4
    with pytest.raises(srcad.RuleError, match="updates s, which it has not assigned"):
        @srcad.adjoint(_signed)
        def signed_adjoint_unassigned(g, ans, x):
            s += 1.0
            return g * s


def test_an_augmented_update_of_a_name_another_name_shares_is_refused():
    """helper-106: `h = gx; gx *= c`, then h read: srcad took `gx *= c` for a new value (h
    unscaled), where Python changes the array h shares (h scaled): a gradient of 2 c x for
    Python's 2 c^2 x, without a word. Refused where a name that may share the array (an
    alias, a view, the name it was bound to) is read after the update."""
    with pytest.raises(srcad.RuleError, match="then reads h, which may share gx's array"):
        @srcad.adjoint(_signed)
        def signed_adjoint_aliased(g, ans, x):
            gx = g * np.sign(x)
            h = gx[:]
            gx *= 2.0
            return h
    with pytest.raises(srcad.RuleError, match="then reads g, which may share t's array"):
        @srcad.tangent(_signed)
        def signed_tangent_aliased(g, ans, x):
            t = g
            t *= np.sign(x)
            return t + g


def _softened(x):
    return np.log1p(np.exp(x))


@srcad.adjoint(_softened)
def _softened_adjoint(g, ans, x):
    return g / (1.0 + np.exp(-x))


def uses_softened(x):
    return np.sum(_softened(x) ** 2)


def test_an_adjoint_rule_alone_says_forward_mode_needs_a_tangent_rule_too():
    """A function with an adjoint rule of the user's and no tangent rule: forward mode, and
    hessian and hvp (forward over reverse), do not read its code, which may not be what
    the rule says (a rule for a gradient of the user's choice); the hint says which rule."""
    x = np.array([0.3, -1.2])
    np.testing.assert_allclose(srcad.grad(uses_softened)(x),
                               2 * _softened(x) / (1.0 + np.exp(-x)), rtol=1e-12)
    for call in (lambda: srcad.jvp(uses_softened)(x, np.ones(2)),
                 lambda: srcad.hessian(uses_softened)(x), lambda: srcad.hvp(uses_softened)(x, x)):
        with pytest.raises(srcad.UnsupportedError, match="no forward-mode rule") as info:
            call()
        assert "@srcad.tangent(_softened)" in info.value.hint


class ScaledSine:
    """A callable object whose class defines __eq__ without __hash__: unhashable."""

    def __init__(self, k):
        self.k = k

    def __call__(self, x):
        return self.k * np.sin(x)

    def __eq__(self, other):
        return isinstance(other, ScaledSine) and other.k == self.k


SCALED_SINE = ScaledSine(3.0)


@srcad.adjoint(SCALED_SINE)
def scaled_sine_adjoint(g, ans, x):
    return g * 3.0 * np.cos(x)


@srcad.tangent(SCALED_SINE)
def scaled_sine_tangent(g, ans, x):
    return g * 3.0 * np.cos(x)


def uses_scaled_sine(x):
    return np.sum(SCALED_SINE(x) * x)


def test_a_rule_for_an_unhashable_callable():
    """The analysis looked the rule's primal up in sets and dicts of NumPy functions: a bare
    TypeError "unhashable type: 'ScaledSine'" escaped from grad, jvp and hessian."""
    x = np.array([2.0, -0.5])
    want = 3.0 * np.cos(x) * x + 3.0 * np.sin(x)
    np.testing.assert_allclose(srcad.grad(uses_scaled_sine)(x), want, rtol=1e-12)
    _, tangent = srcad.jvp(uses_scaled_sine)(x, np.array([0.0, 1.0]))
    np.testing.assert_allclose(tangent, want[1], rtol=1e-12)
    np.testing.assert_allclose(srcad.hessian(uses_scaled_sine)(x),
                               np.diag(3.0 * (2.0 * np.cos(x) - x * np.sin(x))), rtol=1e-12)
