"""Loops with one active scalar input carry their derivative forward (`vdot_k` beside each
value, as in `jvp`) and their reverse is one product per output: the forms, the loops left
to the stack, and derivatives equal to the recorded form, closed forms and differences."""
import re

import numpy as np
import pytest

import srcad
from programs import CASES
from test_optimize import gradient


def invariant(x, n):
    s = 0.0
    for i in range(n):
        s = s + np.sin(x * i)
    return s


def while_stop(x):
    y = x
    while y < 10.0:
        y = y * 1.5 + 0.1
    return y * y


def jumps(x, n):
    y = x
    for i in range(n):
        if y > 2.0:
            break
        if i % 2 == 0:
            continue
        y = y * y + 0.1
    return y


def exp_first(x, n):
    y = np.exp(x)
    for i in range(n):
        y = np.sin(y) + y
    return y


def maybe_unassigned(x, n):
    y = x * 1.0
    for i in range(n):
        t = y * 2.0
        y = y + t
    if n > 0:
        y = y + t
    return y


def nested(x, n):
    y = x
    for i in range(n):
        for j in range(2):
            y = np.cos(y) * 0.5 + y * 0.25
    return y


def two_loops(x, n):
    y = x
    for i in range(n):
        y = np.tanh(y) + 0.5 * y
    z = y
    for i in range(n):
        z = z * y
    return z


def early_return(x, n):
    s = 0.0
    y = x
    while True:
        s = s + np.sin(y)
        y = y * 1.2
        if y > 3.0:
            return s


def return_inside_for(x, n):
    for i in range(n):
        x = x * 1.1
        if x > 2.0:
            return x * 3.0
    return x


CARRIED = [(early_return, (0.5, 0)), (return_inside_for, (1.0, 20)),
           (return_inside_for, (1.0, 3)), (return_inside_for, (3.0, 0)), (invariant, (0.7, 5)), (while_stop, (1.3,)), (jumps, (0.4, 9)),
           (jumps, (1.9, 9)), (exp_first, (0.2, 4)), (maybe_unassigned, (0.3, 0)),
           (maybe_unassigned, (0.3, 3)), (nested, (0.6, 3)), (two_loops, (0.8, 3))]


def carries(df):
    return "vdot_" in df.source and "_stack" not in df.source and "_tape" not in df.source


@pytest.mark.parametrize("f, args", CARRIED, ids=[f"{f.__name__}{args}" for f, args in CARRIED])
def test_carried_loop_matches_recorded_form_and_differences(f, args):
    df = srcad.grad(f)
    value = df(*args)
    assert "vdot_" in df.source
    recorded = srcad.grad(f, optimize=False)(*args)
    assert value == pytest.approx(recorded, rel=1e-12, abs=1e-14)
    srcad.check_grad(f, list(args), wrt=0)
    _, tangent = srcad.jvp(f)(*args, 1.0)
    assert value == pytest.approx(tangent, rel=1e-12, abs=1e-14)


def test_invariant_input_closed_form():
    x, n = 0.7, 6
    df = srcad.grad(invariant)
    assert df(x, n) == pytest.approx(sum(i * np.cos(x * i) for i in range(n)), rel=1e-13)
    assert carries(df)
    # x keeps the adjoint it had after the loop and gains the loop's share
    assert re.search(r"vbar_m1 = (vbar_m1 \+ )?vbar_\w+ \* vdot_\w+", df.source)
    assert "# line 15" not in df.source.split("# reverse sweep")[1]   # s = 0.0: no adjoint


def test_value_before_the_loop_is_restored():
    """exp's adjoint reads its result, which the loop overwrites: saved before the loop,
    restored after the loop's product."""
    df = srcad.grad(exp_first)
    x, n = 0.2, 4
    y, d = np.exp(x), np.exp(x)
    for _ in range(n):
        y, d = np.sin(y) + y, d * (np.cos(y) + 1)
    assert df(x, n) == pytest.approx(d, rel=1e-13)
    assert "_stack.append(v_1)" in df.source and "v_1 = _stack.pop()" in df.source


def test_zero_passes_leave_the_seeded_tangents():
    df = srcad.grad(maybe_unassigned)
    assert df(0.3, 0) == 1.0
    assert df(0.3, 2) == pytest.approx(15.0, rel=1e-15)   # y -> 3y twice, then y + 2 * 3y
    assert re.search(r"vdot_\w+ = 0\.0", df.source)


def test_second_derivatives_through_a_carried_loop():
    x, n, eps = 0.6, 3, 1e-6
    g = srcad.grad(nested)
    g(x, n)
    assert carries(g)
    h = srcad.hessian(nested)(x, n)
    assert h == pytest.approx((g(x + eps, n) - g(x - eps, n)) / (2 * eps), rel=1e-6)
    assert srcad.hvp(nested)(x, n, 1.0) == pytest.approx(h, rel=1e-12)


# ----- loops left to the stack or tapes -----

def logistic(l, r, n):
    for i in range(n):
        l = r * l * (1 - l)
    return l


def vector_map(x, n):
    for i in range(n):
        x = np.sin(x) + 0.5 * x
    return np.sum(x)


def step(y):
    return y * np.cos(y)


def calls(x, n):
    for i in range(n):
        x = step(x) + x
    return x


_ns = {"np": np}
exec("def opaque(x):\n    return np.tanh(x)\n", _ns)
opaque = _ns["opaque"]


@srcad.adjoint(opaque)
def opaque_adjoint(g, ans, x):
    return g * (1.0 - ans * ans)


def uses_opaque(x, n):
    for i in range(n):
        x = opaque(x) + x
    return x


@pytest.mark.parametrize("f, args, wrt", [
    (logistic, (0.3, 3.2, 6), (0, 1)),          # two active inputs enter the loop
    (vector_map, (np.array([0.1, 0.5, 0.9]), 4), 0),   # the input is an array
    (calls, (0.4, 3), 0),                       # a user function inside
    (uses_opaque, (0.4, 3), 0),                 # a rule with an adjoint and no tangent
], ids=["two-inputs", "array", "call", "adjoint-only-rule"])
def test_loops_left_recorded(f, args, wrt):
    df = srcad.grad(f, wrt=wrt)
    got = df(*args)
    assert "vdot_" not in df.source
    srcad.check_grad(f, list(args), wrt=wrt)
    for a, b in zip(np.atleast_1d(got), np.atleast_1d(srcad.grad(f, wrt=wrt, optimize=False)(*args))):
        np.testing.assert_allclose(a, b, rtol=1e-13)


def test_corpus_unchanged_without_carried_loops(monkeypatch):
    """Every program of the corpus has the same derivative with loops recorded instead."""
    original = srcad.api.differentiate
    for name, f, args, wrt in CASES:
        carried = gradient(f, args, wrt)
        monkeypatch.setattr(srcad.api, "differentiate",
                            lambda *a, **k: original(*a, **{**k, "carry": False}))
        recorded = gradient(f, args, wrt)
        monkeypatch.undo()
        for a, b in zip(carried, recorded):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-13, err_msg=name)


def test_gradient_of_a_carried_gradient():
    """No stack: the gradient's own code can be differentiated in reverse mode again.
    y_k = 1.5^k x + c after k steps, so d2(y_k^2)/dx2 = 2 * 1.5^(2k)."""
    df = srcad.grad(while_stop)
    df(1.3)
    assert "_stack" not in df.source
    assert srcad.grad(srcad.grad(while_stop))(1.3) == pytest.approx(2 * 1.5 ** 10, rel=1e-13)


def test_no_empty_if_left_behind():
    """The early return's flag leaves `if flag: pass else: pass` after the loop; it goes."""
    df = srcad.grad(early_return)
    df(0.5, 0)
    assert "pass" not in df.source
