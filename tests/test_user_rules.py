"""User-defined rules: @srcad.adjoint / @srcad.tangent for functions srcad cannot see into."""
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
