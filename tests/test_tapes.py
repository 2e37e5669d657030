"""Loops that replay from tapes of their own instead of the shared stack: the rewrite, the
loops it leaves alone, and derivatives unchanged with and without it."""
import gast
import numpy as np
import pytest

import srcad
from srcad.codegen import to_source
from srcad.tapes import replay_loops_from_tapes
from srcad.template import comment, quote
from conftest import numeric_jacobian
from programs import CASES
from test_optimize import gradient


def function(src):
    """A function of the statements in `src`; a first line `# text` becomes a comment node,
    as generated code has them."""
    head, _, rest = src.partition("\n")
    body = [comment(head[2:])] + quote(rest) if head.startswith("# ") else quote(src)
    return gast.FunctionDef(name="f", args=quote("def f(): pass")[0].args, body=body,
                            decorator_list=[], returns=None, type_comment=None)


def rewrite(src):
    return to_source(replay_loops_from_tapes(function(src))).split("\n", 1)[1]


def printed(src):
    return to_source(function(src)).split("\n", 1)[1]


def lines(text):
    """The statements of `text`, whitespace and line breaks inside them aside."""
    return " ".join(text.split()).replace("( ", "(").replace(" )", ")")


LOOP = """\
# names the reverse sweep reads, bound on every path
v_2 = v_3 = None
_stack = []
for v_1 in range(v_0):
    _stack.append(v_2)
    v_2 = v_m1 * v_m2
    _stack.append(v_3)
    v_3 = 1 - v_m2
    v_m2 = v_2 * v_3
vbar_m2 = vbar_4
for v_1 in reversed(range(v_0)):
    vbar_2 = vbar_m2 * v_3
    vbar_3 = vbar_m2 * v_2
    v_3 = _stack.pop()
    vbar_m2 = vbar_2 * v_m1 - vbar_3
    v_2 = _stack.pop()
return vbar_m2
"""


def test_a_loop_of_straight_line_code_gets_tapes():
    assert lines(rewrite(LOOP)) == lines("""\
_tape1 = []
_tape2 = []
for v_1 in range(v_0):
    v_2 = v_m1 * v_m2
    _tape1.append(v_2)
    v_3 = 1 - v_m2
    _tape2.append(v_3)
    v_m2 = v_2 * v_3
vbar_m2 = vbar_4
for v_2, v_3 in zip(reversed(_tape1), reversed(_tape2)):
    vbar_2 = vbar_m2 * v_3
    vbar_3 = vbar_m2 * v_2
    vbar_m2 = vbar_2 * v_m1 - vbar_3
return vbar_m2
""")


def test_the_index_and_groups_come_along():
    src = """\
_stack = []
for v_1 in range(v_0):
    v_3 = v_m1[v_1]
    _stack.append(v_2)
    v_2 = v_2 * v_3
    v_4 = v_3 * 2.0
    v_5 = v_4 + v_3
    v_6 = v_5 * v_4
    _stack.append((v_4, v_5, v_6))
for v_1 in reversed(range(v_0)):
    v_4, v_5, v_6 = _stack.pop()
    g = v_4 * v_5 * v_6 * v_m1[v_1] * v_2
    v_2 = _stack.pop()
return g
"""
    assert lines(rewrite(src)) == lines("""\
_tape1 = []
_tape2 = []
for v_1 in range(v_0):
    v_3 = v_m1[v_1]
    v_2 = v_2 * v_3
    _tape1.append(v_2)
    v_4 = v_3 * 2.0
    v_5 = v_4 + v_3
    v_6 = v_5 * v_4
    _tape2.append((v_4, v_5, v_6))
for v_1, v_2, (v_4, v_5, v_6) in zip(reversed(range(v_0)), reversed(_tape1),
        reversed(_tape2)):
    g = v_4 * v_5 * v_6 * v_m1[v_1] * v_2
return g
""")


@pytest.mark.parametrize("change, why", [
    (("    vbar_m2 = vbar_2 * v_m1 - vbar_3\n    v_2 = _stack.pop()",
      "    vbar_m2 = vbar_2 * v_m1 - vbar_3\n    v_2 = _stack.pop()\n    g = v_2"),
     "a value read after its pop"),
    (("return vbar_m2", "return vbar_m2, v_3"), "a value read after the reverse loop"),
    (("    v_m2 = v_2 * v_3\n", "    v_m2 = v_2 * v_3\n    if v_m2 > 0:\n        v_m2 = -v_m2\n"),
     "a branch in the loop"),
    (("    v_m2 = v_2 * v_3\n", "    v_m2 = v_2 * v_3\n    v_m2[0] = v_3\n"),
     "an element written"),
    (("    v_m2 = v_2 * v_3\n", "    v_m2 = v_2 * v_3\n    v_3 = v_3 + 1\n"),
     "a saved value assigned twice"),
    (("for v_1 in reversed(range(v_0)):", "for v_1 in reversed(range(v_0)[:_stack.pop()]):"),
     "a reverse loop with breaks"),
])
def test_loops_that_keep_the_stack(change, why):
    src = LOOP.replace(*change)
    assert src != LOOP
    assert lines(rewrite(src)) == lines(printed(src)), why


def test_tapes_preserve_every_derivative(monkeypatch):
    """Tapes (run once, after the passes) change no derivative of the program corpus."""
    for name, f, args, wrt in CASES:
        reference = gradient(f, args, wrt)
        monkeypatch.setattr(srcad.api, "replay_loops_from_tapes", lambda tree, names: tree)
        for a, b in zip(reference, gradient(f, args, wrt)):
            np.testing.assert_allclose(a, b, rtol=0, atol=0, err_msg=name)
        monkeypatch.undo()


def logistic(l, r, n):
    for i in range(n):
        l = r * l * (1 - l)
    return l


def tanh_map(l, r, n):
    for i in range(n):
        l = r * np.tanh(l)
    return l


def test_second_derivatives_through_tapes():
    """Forward over reverse differentiates the tape loops too: the Hessian of a map in
    (l, r) matches central differences of its gradient."""
    srcad.api._DERIVED.clear()
    l0, r, n, eps = 0.3, 1.2, 8, 1e-6
    g = srcad.grad(tanh_map, wrt=(0, 1))
    g(l0, r, n)
    assert "_tape1" in g.source
    h = srcad.hessian(tanh_map, wrt=(0, 1))(l0, r, n)
    rows = [(np.array(g(l0 + eps, r, n)) - np.array(g(l0 - eps, r, n))) / (2 * eps),
            (np.array(g(l0, r + eps, n)) - np.array(g(l0, r - eps, n))) / (2 * eps)]
    assert np.asarray(h) == pytest.approx(np.array(rows), rel=1e-6)


def powers_scaled(x):
    total = 0.0
    for i in range(3):
        total = total + np.sum(x ** (i + 1)) * np.sin(x[0])
    return total


def test_an_int_saved_on_a_tape_of_tuples_has_no_tangent():
    """The gradient's loop saves (i + 1, x ** (i + 1), sin(x[0])) on one tape of tuples;
    forward over reverse read the exponent back as a varying value: its tangent 0 times
    log(x) was nan where x < 0 (a row of the Hessian nan, as was the hvp's item)."""
    x = np.array([0.4, -0.7, 1.1])
    g = srcad.grad(powers_scaled)
    g(x)
    assert "_tape1.append((" in g.source
    expected = numeric_jacobian(g, x)
    np.testing.assert_allclose(srcad.hessian(powers_scaled)(x), expected, rtol=1e-6, atol=1e-8)
    v = np.array([0.3, -1.0, 0.5])
    np.testing.assert_allclose(srcad.hvp(powers_scaled)(x, v), expected @ v, rtol=1e-6,
                               atol=1e-8)
